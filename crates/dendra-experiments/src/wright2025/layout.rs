//! Where each imaged spine sits and what drives it.
//!
//! Each imaged branch (`BRANCH_UM` long) holds seven *units* about 14 µm apart, so units are
//! farther apart than the analysis radius (10 µm) plus a cluster's width: two clusters of three
//! movement-related spines, two clusters of three spines from one spontaneous assembly, two
//! single movement-related spines and one single assembly spine, in a random order. Clustered
//! spines sit within ±`CLUSTER_HALF_WIDTH_UM` of their unit's centre. Movement-related spines
//! are driven by distinct neurons of the motor population (their co-activity grows as the task
//! is learned); assembly spines by members of spontaneous assemblies (shared bursts unrelated to
//! the task). A single assembly spine's partners project to the distal branches, not near it.
//! So local co-activity and co-activity with the neuron's output vary independently across
//! spines: the analysis can tell which one a rule follows.
//!
//! [`Arrangement::Random`] drops the design: as many units as the spine density asks for (the
//! seven kinds in turn), each centred at a uniform random position on the branch, so that
//! units overlap and single spines can have co-active partners within the radius, as on a real
//! dendrite.

use dendra_core::{Purpose, StreamKey};
use rand::RngExt;
use rand::seq::SliceRandom;

/// Length of an imaged branch (µm).
pub const BRANCH_UM: f64 = 100.0;
/// Half-width of a cluster (µm).
pub const CLUSTER_HALF_WIDTH_UM: f64 = 2.0;
/// Members of a spontaneous assembly.
pub const ASSEMBLY_SIZE: usize = 3;

/// How units are placed on a branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrangement {
    /// Seven units evenly spaced (about 14 µm apart): the designed grid.
    Designed,
    /// Units at uniform random positions, their number set by the spine density.
    Random,
}

/// Spines per µm of the designed layout (15 per 100 µm).
pub const DESIGNED_DENSITY_PER_UM: f64 = 0.15;

/// What drives a spine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Neuron `j` of the motor population.
    Motor(u32),
    /// Source `k` of the assembly source population.
    Assembly(u32),
}

/// One mapped spine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpineSite {
    /// Compartment index in the pyramidal template.
    pub compartment: usize,
    /// Position along it (µm).
    pub position_um: f64,
    /// What drives it.
    pub input: Input,
    /// Whether it belongs to a cluster.
    pub clustered: bool,
}

/// The spines of one neuron, plus the assemblies and the unimaged distal inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Imaged spines, branch by branch, by position within a branch.
    pub spines: Vec<SpineSite>,
    /// Number of assembly sources; source `k` belongs to assembly `k / ASSEMBLY_SIZE`.
    pub assembly_sources: u32,
    /// Unimaged distal inputs: `(compartment, assembly source)`.
    pub distal: Vec<(usize, u32)>,
}

#[derive(Clone, Copy)]
enum Unit {
    MotorCluster,
    AssemblyCluster,
    MotorSingle,
    AssemblySingle,
}

/// Lay out spines on `branches` (compartment indices) with motor neurons drawn from `0..motor`
/// (distinct on a branch while there are enough); `distal` are the compartments that receive
/// single assemblies' partners. `Random` places `round(7 · density / 0.15)` units (at least
/// one) per branch.
pub fn layout(
    seed: u64,
    branches: &[usize],
    distal: &[usize],
    motor: u32,
    arrangement: Arrangement,
    density_per_um: f64,
) -> Layout {
    let mut rng = StreamKey::new(seed, Purpose::Placement, 1000, 0).rng();
    let mut spines = Vec::new();
    let mut distal_inputs = Vec::new();
    let mut next_source = 0u32;
    for (b, &comp) in branches.iter().enumerate() {
        let kinds = [
            Unit::MotorCluster,
            Unit::MotorCluster,
            Unit::AssemblyCluster,
            Unit::AssemblyCluster,
            Unit::MotorSingle,
            Unit::MotorSingle,
            Unit::AssemblySingle,
        ];
        let count = match arrangement {
            Arrangement::Designed => kinds.len(),
            Arrangement::Random => {
                ((kinds.len() as f64 * density_per_um / DESIGNED_DENSITY_PER_UM).round() as usize).max(1)
            }
        };
        let mut units: Vec<Unit> = (0..count).map(|k| kinds[k % kinds.len()]).collect();
        units.shuffle(&mut rng);
        let mut motors: Vec<u32> = (0..motor).collect();
        motors.shuffle(&mut rng);
        let mut motors = motors.into_iter().cycle();
        let spacing = BRANCH_UM / units.len() as f64;
        for (u, unit) in units.iter().enumerate() {
            let centre = match arrangement {
                Arrangement::Designed => spacing * (u as f64 + 0.5) + (rng.random::<f64>() - 0.5),
                Arrangement::Random => rng.random::<f64>() * BRANCH_UM,
            };
            let jitter = |rng: &mut rand_chacha::ChaCha8Rng| {
                centre + (rng.random::<f64>() * 2.0 - 1.0) * CLUSTER_HALF_WIDTH_UM
            };
            let mut push = |position_um: f64, input: Input, clustered: bool| {
                spines.push(SpineSite {
                    compartment: comp,
                    position_um: position_um.clamp(0.0, BRANCH_UM),
                    input,
                    clustered,
                });
            };
            match unit {
                Unit::MotorCluster => {
                    for _ in 0..ASSEMBLY_SIZE {
                        let j = motors.next().unwrap_or(0);
                        push(jitter(&mut rng), Input::Motor(j), true);
                    }
                }
                Unit::MotorSingle => {
                    let j = motors.next().unwrap_or(0);
                    push(centre, Input::Motor(j), false);
                }
                Unit::AssemblyCluster => {
                    for _ in 0..ASSEMBLY_SIZE {
                        push(jitter(&mut rng), Input::Assembly(next_source), true);
                        next_source += 1;
                    }
                }
                Unit::AssemblySingle => {
                    push(centre, Input::Assembly(next_source), false);
                    for m in 1..ASSEMBLY_SIZE {
                        if !distal.is_empty() {
                            distal_inputs.push((distal[(b + m) % distal.len()], next_source + m as u32));
                        }
                    }
                    next_source += ASSEMBLY_SIZE as u32;
                }
            }
        }
    }
    spines.sort_by(|a, b| {
        (a.compartment, a.position_um)
            .partial_cmp(&(b.compartment, b.position_um))
            .unwrap()
    });
    Layout {
        spines,
        assembly_sources: next_source,
        distal: distal_inputs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_farther_apart_than_the_radius_and_partners_never_near_singles() {
        let l = layout(
            7,
            &[1, 2],
            &[6],
            30,
            Arrangement::Designed,
            DESIGNED_DENSITY_PER_UM,
        );
        assert_eq!(l.spines.len(), 2 * (3 * 4 + 3));
        for a in &l.spines {
            for b in &l.spines {
                if a.compartment != b.compartment || a == b {
                    continue;
                }
                let d = (a.position_um - b.position_um).abs();
                let same_source = match (a.input, b.input) {
                    (Input::Assembly(x), Input::Assembly(y)) => {
                        x as usize / ASSEMBLY_SIZE == y as usize / ASSEMBLY_SIZE
                    }
                    (Input::Motor(_), Input::Motor(_)) => true,
                    _ => false,
                };
                if !a.clustered || !b.clustered {
                    // A single spine has no co-active partner within 10 µm.
                    assert!(!same_source || d > 10.0, "{a:?} {b:?}");
                }
            }
        }
        // Distinct motor neurons per branch.
        let mut m: Vec<(usize, u32)> = l
            .spines
            .iter()
            .filter_map(|s| match s.input {
                Input::Motor(j) => Some((s.compartment, j)),
                _ => None,
            })
            .collect();
        let n = m.len();
        m.sort_unstable();
        m.dedup();
        assert_eq!(m.len(), n);
        assert_eq!(l.distal.len(), 2 * (ASSEMBLY_SIZE - 1));
    }

    #[test]
    fn a_random_layout_has_the_density_asked_for_and_units_anywhere() {
        let l = layout(3, &[1, 2], &[6], 30, Arrangement::Random, 0.45);
        // 21 units per branch, 45 spines per branch (three times the designed 15).
        assert_eq!(l.spines.len(), 2 * 45);
        // Units are not on a grid: some single spine has a clustered spine within 5 um.
        let close = l.spines.iter().any(|a| {
            !a.clustered
                && l.spines.iter().any(|b| {
                    b.clustered
                        && a.compartment == b.compartment
                        && (a.position_um - b.position_um).abs() < 5.0
                })
        });
        assert!(close);
        // The designed density reproduces the designed spine count.
        let d = layout(3, &[1, 2], &[6], 30, Arrangement::Random, DESIGNED_DENSITY_PER_UM);
        assert_eq!(d.spines.len(), 2 * 15);
    }
}
