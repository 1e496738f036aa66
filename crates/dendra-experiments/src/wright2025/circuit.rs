//! The network of one simulated animal: a cue, a motor population that learns the task by
//! reward-modulated plasticity, and one imaged L2/3 pyramidal neuron whose compartments follow
//! the preset's rules.
//!
//! | population | what |
//! |---|---|
//! | `cue` | `N_CUE` sources, on during each trial's response window ([`super::trains`]) |
//! | `motor` | `N_MOTOR` LIF neurons with a basal dendrite; cue synapses there are `reward_modulated` (dopamine released at rewarded presses); their population burst is the lever press |
//! | `background` | `N_BG` Poisson sources at `BG_RATE_HZ` (spontaneous drive of motor and pyramidal somata) |
//! | `pyramidal` | the imaged neuron: soma, two basal branches, an apical trunk with two tuft branches, a distal basal and a distal tuft branch; driven at the soma by the motor population (so it fires around movements) |
//! | `assembly` | sources of spontaneous assemblies ([`super::trains`]) |
//!
//! Imaged spines ([`super::layout`]) are weak synapses (weights in `[0, 1]` pA: they report
//! plasticity without steering the neuron), one projection per branch and input population,
//! placed at listed positions. With Kir, a potassium conductance on the pyramidal soma for the
//! whole run silences most of its spikes (and so its bAPs); the motor population and behaviour
//! are unaffected, as with the sparse Kir expression of the paper.

use std::sync::Arc;

use dendra_model::rules::rules::{
    BapHebbian, BranchSpecific, DendriticPrediction, LocalCoactivity, RewardModulated,
};
use dendra_model::rules::{ModulatorParams, WeightBounds};
use dendra_model::{
    AnyRule, BapParams, CompartmentParams, CompartmentRule, Connectivity, InitialPotential, ModulatorDesc,
    NetworkDesc, NeuronTemplate, Placement, PlateauParams, Population, PopulationKind, ProjectionDesc,
    ReceptorParams, RecordingDesc, Role, Selection, Site, SomaParams, SourceParams, Stimulus, StimulusKind,
    WeightDist, Window,
};

use super::layout::{BRANCH_UM, Input, Layout};
use super::params::{Preset, UniformRule, Wright2025Params};

/// Cue sources.
pub const N_CUE: u32 = 20;
/// Motor neurons.
pub const N_MOTOR: u32 = 30;
/// Background sources.
pub const N_BG: u32 = 200;
/// Background rate (Hz).
pub const BG_RATE_HZ: f64 = 10.0;

/// Population indices.
pub const POP_CUE: usize = 0;
/// Motor population.
pub const POP_MOTOR: usize = 1;
/// Background sources.
pub const POP_BG: usize = 2;
/// The imaged neuron.
pub const POP_PYR: usize = 3;
/// Assembly sources.
pub const POP_ASSEMBLY: usize = 4;

/// Compartments of the pyramidal template.
pub const BASAL: [usize; 2] = [1, 2];
/// Apical tuft branches (imaged).
pub const APICAL: [usize; 2] = [4, 5];
/// The apical trunk.
pub const TRUNK: usize = 3;
/// Distal branches: basal, tuft.
pub const DISTAL: [usize; 2] = [6, 7];

/// Initial cue -> motor weight range (pA).
const CUE_W_PA: (f64, f64) = (20.0, 60.0);
/// Largest cue -> motor weight (pA).
const CUE_W_MAX_PA: f64 = 120.0;
/// Background -> motor (pA) and in-degree.
const BG_MOTOR: (f64, u32) = (180.0, 20);
/// Motor -> pyramidal soma (pA).
const DRIVE_PA: f64 = 50.0;
/// Background -> pyramidal soma (pA) and in-degree.
const BG_PYR: (f64, u32) = (125.0, 40);
/// Initial imaged-spine weight range (pA, also the weight unit of the rules).
const SPINE_W: (f64, f64) = (0.25, 0.45);
/// Distal input weight (pA) and its upper bound under `branch_specific`.
const DISTAL_W_PA: (f64, f64) = (150.0, 400.0);

/// Which signal a rule's potentiation follows, as the analysis names it.
pub fn signal_of(rule: &AnyRule) -> &'static str {
    match rule {
        AnyRule::LocalCoactivity(_) | AnyRule::BranchSpecific(_) => "local",
        _ => "bap",
    }
}

fn local() -> AnyRule {
    AnyRule::LocalCoactivity(LocalCoactivity {
        a_plus: 0.004,
        a_minus: 0.0008,
        radius_um: 10.0,
        window_ms: 50.0,
        n_max: 3,
        bounds: WeightBounds::soft(0.0, 1.0),
    })
}

fn bap() -> AnyRule {
    AnyRule::BapHebbian(BapHebbian {
        a_plus: 0.05,
        a_minus: 0.01,
        tau_ms: 20.0,
        bounds: WeightBounds::soft(0.0, 1.0),
    })
}

fn reward() -> AnyRule {
    AnyRule::RewardModulated(RewardModulated {
        eta: 2e-5,
        a_minus: 0.5,
        w_min: 0.0,
        w_max: 1.0,
        tau_cons_ms: 600_000.0,
        tick_ms: 1000.0,
        ..RewardModulated::default()
    })
}

fn prediction() -> AnyRule {
    AnyRule::DendriticPrediction(DendriticPrediction {
        eta: 0.02,
        theta_mv: -45.0,
        w_min: 0.0,
        w_max: 1.0,
        ..DendriticPrediction::default()
    })
}

fn branch() -> AnyRule {
    AnyRule::BranchSpecific(BranchSpecific {
        a_plus: 0.05 * DISTAL_W_PA.1,
        a_het: 0.01 * DISTAL_W_PA.1,
        a_plateau: 0.005 * DISTAL_W_PA.1,
        tau_ms: 20.0,
        bounds: WeightBounds::soft(0.0, DISTAL_W_PA.1),
    })
}

/// `rule` with every learning rate (potentiation, depression, eta) multiplied by `k`: the
/// study's `plasticity_scale`.
pub fn scaled(rule: AnyRule, k: f64) -> AnyRule {
    match rule {
        AnyRule::LocalCoactivity(r) => AnyRule::LocalCoactivity(LocalCoactivity {
            a_plus: r.a_plus * k,
            a_minus: r.a_minus * k,
            ..r
        }),
        AnyRule::BapHebbian(r) => AnyRule::BapHebbian(BapHebbian {
            a_plus: r.a_plus * k,
            a_minus: r.a_minus * k,
            ..r
        }),
        AnyRule::RewardModulated(r) => AnyRule::RewardModulated(RewardModulated { eta: r.eta * k, ..r }),
        AnyRule::DendriticPrediction(r) => {
            AnyRule::DendriticPrediction(DendriticPrediction { eta: r.eta * k, ..r })
        }
        AnyRule::BranchSpecific(r) => AnyRule::BranchSpecific(BranchSpecific {
            a_plus: r.a_plus * k,
            a_het: r.a_het * k,
            a_plateau: r.a_plateau * k,
            ..r
        }),
        other => other,
    }
}

/// The rule of compartment `c` under `preset` (`None`: static).
pub fn rule_for(preset: Preset, uniform: UniformRule, c: usize) -> Option<AnyRule> {
    let apical = APICAL.contains(&c) || c == DISTAL[1];
    let basal = BASAL.contains(&c) || c == DISTAL[0];
    if !apical && !basal {
        return None;
    }
    let distal = DISTAL.contains(&c);
    Some(match preset {
        Preset::Paper => {
            if apical {
                local()
            } else {
                bap()
            }
        }
        Preset::Swapped => {
            if apical {
                bap()
            } else {
                local()
            }
        }
        Preset::Uniform => match uniform {
            UniformRule::BapHebbian => bap(),
            UniformRule::LocalCoactivity => local(),
        },
        Preset::Article => {
            if distal {
                branch()
            } else if apical {
                reward()
            } else {
                prediction()
            }
        }
    })
}

fn pyramidal(preset: Preset, uniform: UniformRule, plasticity_scale: f64) -> NeuronTemplate {
    let comp = |name: &str, role: Role, parent: usize, len: f64, delay_ms: f64, attenuation: f64| {
        let mut c = CompartmentParams::new(name, role, parent, len);
        c.bap = Some(BapParams {
            delay_ms,
            attenuation,
        });
        c
    };
    let mut compartments = vec![
        comp("basal_a", Role::at(Site::Basal), 0, BRANCH_UM, 0.5, 0.15),
        comp("basal_b", Role::at(Site::Basal), 0, BRANCH_UM, 0.5, 0.15),
        comp("trunk", Role::at(Site::ApicalTrunk), 0, 150.0, 1.0, 0.12),
        comp("tuft_a", Role::at(Site::ApicalTuft), TRUNK, BRANCH_UM, 2.0, 0.08),
        comp("tuft_b", Role::at(Site::ApicalTuft), TRUNK, BRANCH_UM, 2.0, 0.08),
        comp(
            "basal_distal",
            Role::distal(Site::Basal),
            BASAL[0],
            80.0,
            1.0,
            0.03,
        ),
        comp(
            "tuft_distal",
            Role::distal(Site::ApicalTuft),
            APICAL[0],
            80.0,
            2.5,
            0.02,
        ),
    ];
    for &d in &DISTAL {
        compartments[d - 1].plateau = Some(PlateauParams::default());
    }
    let mut receptors = vec![ReceptorParams::current("drive", 0, 3.0)];
    receptors.extend((1..=compartments.len()).map(|c| ReceptorParams::current("ampa", c, 3.0)));
    let mut rules = Vec::new();
    for c in 1..=compartments.len() {
        if let Some(rule) = rule_for(preset, uniform, c) {
            let mut r = CompartmentRule::new(c, scaled(rule, plasticity_scale));
            if matches!(r.rule, AnyRule::RewardModulated(_)) {
                r.modulator = Some(0);
            }
            rules.push(r);
        }
    }
    NeuronTemplate {
        name: "pyramidal".into(),
        soma: SomaParams::default(),
        compartments,
        receptors,
        initial: InitialPotential::Uniform {
            lo_mv: -70.0,
            hi_mv: -60.0,
        },
        rules,
    }
}

fn motor(eta: f64) -> NeuronTemplate {
    let mut basal = CompartmentParams::new("basal", Role::at(Site::Basal), 0, 100.0);
    basal.bap = Some(BapParams {
        delay_ms: 0.5,
        attenuation: 0.8,
    });
    let mut rule = CompartmentRule::new(
        1,
        AnyRule::RewardModulated(RewardModulated {
            eta,
            a_minus: 0.5,
            w_min: 0.0,
            w_max: CUE_W_MAX_PA,
            tau_cons_ms: 600_000.0,
            tick_ms: 1000.0,
            ..RewardModulated::default()
        }),
    );
    rule.modulator = Some(0);
    NeuronTemplate {
        name: "motor".into(),
        soma: SomaParams::default(),
        compartments: vec![basal],
        receptors: vec![
            ReceptorParams::current("cue", 1, 3.0),
            ReceptorParams::current("background", 0, 3.0),
        ],
        initial: InitialPotential::Uniform {
            lo_mv: -70.0,
            hi_mv: -55.0,
        },
        rules: vec![rule],
    }
}

/// An imaged-spine projection: its index, compartment and source population.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpineProjection {
    /// Projection index.
    pub proj: usize,
    /// Compartment.
    pub compartment: usize,
    /// `POP_MOTOR` or `POP_ASSEMBLY`.
    pub source: usize,
}

/// The network of one animal, and its imaged-spine projections.
pub fn network(
    p: &Wright2025Params,
    layout: &Layout,
    cue: Vec<Vec<f64>>,
    assemblies: Vec<Vec<f64>>,
    kir: bool,
    dt_ms: f64,
) -> (NetworkDesc, Vec<SpineProjection>) {
    let neurons = |name: &str, size: u32, t: NeuronTemplate| Population {
        name: name.into(),
        size,
        kind: PopulationKind::Neurons(Arc::new(t)),
    };
    let source = |name: &str, size: u32, kind: SourceParams| Population {
        name: name.into(),
        size,
        kind: PopulationKind::Source(kind),
    };
    let populations = vec![
        source("cue", N_CUE, SourceParams::SpikeTrains { trains: cue }),
        neurons("motor", N_MOTOR, motor(p.motor_eta)),
        source("background", N_BG, SourceParams::Poisson { rate_hz: BG_RATE_HZ }),
        neurons(
            "pyramidal",
            1,
            pyramidal(p.preset, p.uniform_rule, p.plasticity_scale),
        ),
        source(
            "assembly",
            layout.assembly_sources,
            SourceParams::SpikeTrains { trains: assemblies },
        ),
    ];
    let proj = |name: String, source, target, receptor, connectivity, weight| {
        ProjectionDesc::new(name, source, target, receptor, connectivity, weight, 1.0)
    };
    let mut projections = vec![
        proj(
            "cue_motor".into(),
            POP_CUE,
            POP_MOTOR,
            0,
            Connectivity::AllToAll,
            WeightDist::Uniform {
                lo: CUE_W_PA.0,
                hi: CUE_W_PA.1,
            },
        ),
        proj(
            "background_motor".into(),
            POP_BG,
            POP_MOTOR,
            1,
            Connectivity::FixedIndegree { k: BG_MOTOR.1 },
            WeightDist::Constant(BG_MOTOR.0),
        ),
        proj(
            "motor_pyramidal".into(),
            POP_MOTOR,
            POP_PYR,
            0,
            Connectivity::AllToAll,
            WeightDist::Constant(DRIVE_PA),
        ),
        proj(
            "background_pyramidal".into(),
            POP_BG,
            POP_PYR,
            0,
            Connectivity::FixedIndegree { k: BG_PYR.1 },
            WeightDist::Constant(BG_PYR.0),
        ),
    ];
    let mut spine_projections = Vec::new();
    for (c, name) in BASAL.iter().chain(&APICAL).map(|&c| (c, c)) {
        for (pop, label) in [(POP_MOTOR, "motor"), (POP_ASSEMBLY, "assembly")] {
            let sites: Vec<_> = layout
                .spines
                .iter()
                .filter(|s| s.compartment == c)
                .filter_map(|s| match (s.input, pop) {
                    (Input::Motor(j), POP_MOTOR) => Some((j, s.position_um)),
                    (Input::Assembly(k), POP_ASSEMBLY) => Some((k, s.position_um)),
                    _ => None,
                })
                .collect();
            if sites.is_empty() {
                continue;
            }
            let mut d = proj(
                format!("spines_{label}_{name}"),
                pop,
                POP_PYR,
                c,
                Connectivity::Explicit(sites.iter().map(|&(s, _)| (s, 0)).collect()),
                WeightDist::Uniform {
                    lo: SPINE_W.0,
                    hi: SPINE_W.1,
                },
            );
            d.placement = Placement::Listed(sites.iter().map(|&(_, x)| x).collect());
            spine_projections.push(SpineProjection {
                proj: projections.len(),
                compartment: c,
                source: pop,
            });
            projections.push(d);
        }
    }
    for &c in &DISTAL {
        let pairs: Vec<(u32, u32)> = layout
            .distal
            .iter()
            .filter(|d| d.0 == c)
            .map(|d| (d.1, 0))
            .collect();
        if !pairs.is_empty() {
            projections.push(proj(
                format!("distal_{c}"),
                POP_ASSEMBLY,
                POP_PYR,
                c,
                Connectivity::Explicit(pairs),
                WeightDist::Constant(DISTAL_W_PA.0),
            ));
        }
    }
    let stimuli = if kir {
        vec![Stimulus {
            population: POP_PYR,
            neurons: Selection::All,
            window: Window::ALWAYS,
            kind: StimulusKind::Kir {
                g_ns: p.kir_g_ns,
                e_k_mv: -90.0,
            },
        }]
    } else {
        Vec::new()
    };
    let net = NetworkDesc {
        dt_ms,
        populations,
        projections,
        stimuli,
        recording: RecordingDesc {
            spikes: vec![POP_MOTOR, POP_PYR],
            ..RecordingDesc::default()
        },
        modulators: vec![ModulatorDesc {
            name: "dopamine".into(),
            params: ModulatorParams::default(),
        }],
        releases: Vec::new(),
    };
    (net, spine_projections)
}
