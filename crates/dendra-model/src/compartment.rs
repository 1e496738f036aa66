//! Dendritic compartments: passive leaky membranes in a tree rooted at the soma.

use std::fmt;

use dendra_core::ParamError;
use dendra_core::error::{ParamResult, finite, in_range, non_negative, positive};

/// Where on the neuron a compartment sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Site {
    /// Basal dendrite.
    Basal,
    /// Apical trunk.
    ApicalTrunk,
    /// Apical tuft.
    ApicalTuft,
    /// Oblique dendrite off the apical trunk.
    Oblique,
}

/// The role of a compartment: its site, and whether it is a distal branch of that site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Role {
    /// Basal, apical trunk, apical tuft or oblique.
    pub site: Site,
    /// A distal branch of the site (e.g. a thin distal basal branch).
    pub distal: bool,
}

impl Role {
    /// A proximal compartment at `site`.
    pub const fn at(site: Site) -> Self {
        Role { site, distal: false }
    }

    /// A distal branch at `site`.
    pub const fn distal(site: Site) -> Self {
        Role { site, distal: true }
    }

    /// Whether the site is part of the apical tree (trunk, tuft or oblique).
    pub fn is_apical(&self) -> bool {
        !matches!(self.site, Site::Basal)
    }

    /// Parse the names printed by `Display` (`basal`, `apical_tuft`, `distal_basal`, ...).
    pub fn parse(name: &str) -> Option<Role> {
        let (distal, rest) = match name.strip_prefix("distal_") {
            Some(rest) => (true, rest),
            None => (false, name),
        };
        let site = match rest {
            "basal" => Site::Basal,
            "apical_trunk" => Site::ApicalTrunk,
            "apical_tuft" => Site::ApicalTuft,
            "oblique" => Site::Oblique,
            _ => return None,
        };
        Some(Role { site, distal })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let site = match self.site {
            Site::Basal => "basal",
            Site::ApicalTrunk => "apical_trunk",
            Site::ApicalTuft => "apical_tuft",
            Site::Oblique => "oblique",
        };
        if self.distal {
            write!(f, "distal_{site}")
        } else {
            f.write_str(site)
        }
    }
}

/// How the somatic spike reaches a compartment as a back-propagating action potential (bAP).
///
/// A somatic spike at time `t` arrives at `t + delay_ms` and raises the compartment's potential
/// instantaneously by `attenuation * spike_amplitude_mv` of the soma. It can be blocked per
/// compartment or per neuron by a manipulation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BapParams {
    /// Propagation delay from the soma (ms, >= 0, at most 63 steps). Default 0.5.
    pub delay_ms: f64,
    /// Fraction of the somatic spike amplitude that arrives (0..=1). Default 0.3.
    pub attenuation: f64,
}

impl Default for BapParams {
    fn default() -> Self {
        BapParams {
            delay_ms: 0.5,
            attenuation: 0.3,
        }
    }
}

/// Branch-strength plasticity (Legenstein & Maass 2011): the gain `u` of a branch's plateau
/// current grows when its dendritic spike is followed, within `window_ms`, by a bAP arriving in
/// the branch (the branch helped fire the soma), and decays otherwise:
/// `u <- u + eta_up (u_max - u)` or `u <- u - eta_down (u - u_min)`, evaluated `window_ms`
/// after each onset. Local: it reads only the branch's own plateau and bAPs.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BranchStrengthParams {
    /// Potentiation step (fraction of the distance to `u_max`). Default 0.1.
    pub eta_up: f64,
    /// Depression step (fraction of the distance to `u_min`). Default 0.05.
    pub eta_down: f64,
    /// Window after the onset in which a bAP counts (ms). Default 20.
    pub window_ms: f64,
    /// Lower bound of the gain. Default 0.2.
    pub u_min: f64,
    /// Upper bound of the gain. Default 2.
    pub u_max: f64,
}

impl Default for BranchStrengthParams {
    fn default() -> Self {
        BranchStrengthParams {
            eta_up: 0.1,
            eta_down: 0.05,
            window_ms: 20.0,
            u_min: 0.2,
            u_max: 2.0,
        }
    }
}

/// An NMDA-like plateau / dendritic spike.
///
/// When the compartment's potential reaches `threshold_mv` (and it is not refractory), a
/// depolarising current `current_pa` flows for `duration_ms`; a new plateau cannot start until
/// `refractory_ms` after the end of the last one.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlateauParams {
    /// Local threshold (mV). Default -40.
    pub threshold_mv: f64,
    /// Plateau current (pA). Default 300.
    pub current_pa: f64,
    /// Plateau duration (ms, > 0). Default 20.
    pub duration_ms: f64,
    /// Refractory time after a plateau (ms). Default 10.
    pub refractory_ms: f64,
    /// Branch-strength plasticity of the plateau's gain (starts at 1), if any.
    pub strength: Option<BranchStrengthParams>,
}

impl Default for PlateauParams {
    fn default() -> Self {
        PlateauParams {
            threshold_mv: -40.0,
            current_pa: 300.0,
            duration_ms: 20.0,
            refractory_ms: 10.0,
            strength: None,
        }
    }
}

/// A passive dendritic compartment coupled to its parent by an axial conductance:
///
/// `C_d dV_d/dt = -g_L (V_d - E_L) + g_c (V_parent - V_d) + Σ children g_c' (V_child - V_d) + I_syn + I_ext`.
///
/// Compartment indices start at 1; index 0 is the soma.
#[derive(Debug, Clone, PartialEq)]
pub struct CompartmentParams {
    /// Name, unique in the template (e.g. `apical_tuft_1`).
    pub name: String,
    /// Site and whether it is a distal branch.
    pub role: Role,
    /// Index of the parent compartment (0 = soma); must be smaller than this compartment's index.
    pub parent: usize,
    /// Length of the branch (µm, >= 0): synapses sit at positions in `[0, length_um]`.
    pub length_um: f64,
    /// Membrane capacitance (pF). Default 100.
    pub c_m_pf: f64,
    /// Leak conductance (nS). Default 5.
    pub g_leak_ns: f64,
    /// Leak reversal potential (mV). Default -70.
    pub e_leak_mv: f64,
    /// Axial coupling conductance to the parent (nS, > 0). Default 10.
    pub g_couple_ns: f64,
    /// Back-propagating action potential, or `None` if spikes do not invade this compartment.
    pub bap: Option<BapParams>,
    /// Optional NMDA-like plateau.
    pub plateau: Option<PlateauParams>,
}

impl CompartmentParams {
    /// A compartment with documented defaults.
    pub fn new(name: impl Into<String>, role: Role, parent: usize, length_um: f64) -> Self {
        CompartmentParams {
            name: name.into(),
            role,
            parent,
            length_um,
            c_m_pf: 100.0,
            g_leak_ns: 5.0,
            e_leak_mv: -70.0,
            g_couple_ns: 10.0,
            bap: Some(BapParams::default()),
            plateau: None,
        }
    }

    /// Check all values; `index` is this compartment's index (>= 1).
    pub fn validate(&self, index: usize, dt_ms: f64) -> ParamResult<()> {
        if self.name.is_empty() || self.name == "soma" {
            return Err(ParamError::new(
                "name",
                "a non-empty name other than `soma`",
                format!("{:?}", self.name),
            ));
        }
        if self.parent >= index {
            return Err(ParamError::new(
                "parent",
                format!("an earlier compartment (0 = soma .. {})", index - 1),
                self.parent,
            ));
        }
        non_negative("length_um", self.length_um)?;
        positive("c_m_pf", self.c_m_pf)?;
        positive("g_leak_ns", self.g_leak_ns)?;
        finite("e_leak_mv", self.e_leak_mv)?;
        positive("g_couple_ns", self.g_couple_ns)?;
        if let Some(bap) = &self.bap {
            non_negative("bap.delay_ms", bap.delay_ms)?;
            if (bap.delay_ms / dt_ms).round() > 63.0 {
                return Err(ParamError::new(
                    "bap.delay_ms",
                    format!("a delay of at most 63 steps ({} ms)", 63.0 * dt_ms),
                    bap.delay_ms,
                ));
            }
            in_range("bap.attenuation", bap.attenuation, 0.0, 1.0)?;
        }
        if let Some(p) = &self.plateau {
            finite("plateau.threshold_mv", p.threshold_mv)?;
            finite("plateau.current_pa", p.current_pa)?;
            positive("plateau.duration_ms", p.duration_ms)?;
            non_negative("plateau.refractory_ms", p.refractory_ms)?;
            if let Some(b) = &p.strength {
                in_range("plateau.strength.eta_up", b.eta_up, 0.0, 1.0)?;
                in_range("plateau.strength.eta_down", b.eta_down, 0.0, 1.0)?;
                positive("plateau.strength.window_ms", b.window_ms)?;
                non_negative("plateau.strength.u_min", b.u_min)?;
                if !b.u_max.is_finite() || b.u_max < b.u_min || b.u_max < 1.0 || b.u_min > 1.0 {
                    return Err(ParamError::new(
                        "plateau.strength.u_max",
                        format!("bounds with u_min ({}) <= 1 <= u_max", b.u_min),
                        b.u_max,
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_names() {
        for site in [Site::Basal, Site::ApicalTrunk, Site::ApicalTuft, Site::Oblique] {
            for role in [Role::at(site), Role::distal(site)] {
                assert_eq!(Role::parse(&role.to_string()), Some(role));
            }
        }
        assert_eq!(Role::parse("axon"), None);
        assert!(Role::at(Site::Oblique).is_apical());
        assert!(!Role::distal(Site::Basal).is_apical());
    }

    #[test]
    fn parent_must_come_first() {
        let c = CompartmentParams::new("b", Role::at(Site::Basal), 2, 50.0);
        assert_eq!(c.validate(2, 0.1).unwrap_err().key, "parent");
        assert!(c.validate(3, 0.1).is_ok());
    }

    #[test]
    fn bap_delay_is_bounded() {
        let mut c = CompartmentParams::new("b", Role::at(Site::Basal), 0, 50.0);
        c.bap = Some(BapParams {
            delay_ms: 10.0,
            attenuation: 0.5,
        });
        assert_eq!(c.validate(1, 0.1).unwrap_err().key, "bap.delay_ms");
    }
}
