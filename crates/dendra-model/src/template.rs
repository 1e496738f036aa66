//! Neuron templates: a soma, a tree of dendritic compartments and the receptors on them.

use dendra_core::ParamError;
use dendra_core::error::{ParamResult, finite};

use dendra_rules::{AnyRule, StructuralParams};

use crate::compartment::CompartmentParams;
use crate::receptor::ReceptorParams;
use crate::soma::SomaParams;

/// How a neuron's potentials are set at the start of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InitialPotential {
    /// Every compartment at its own leak reversal potential.
    Rest,
    /// Every compartment at this potential (mV).
    Fixed(f64),
    /// The soma drawn uniformly in `[lo_mv, hi_mv)` per neuron (seeded stream); dendrites at rest.
    Uniform {
        /// Lower bound (mV).
        lo_mv: f64,
        /// Upper bound (mV).
        hi_mv: f64,
    },
}

/// A plasticity rule acting on the synapses of one compartment.
///
/// Several rules may act on the same synapses; each then owns one component of the weight (the
/// first rule's component starts at the synapse's initial weight, the others at 0) and the
/// synapse transmits their sum.
#[derive(Debug, Clone, PartialEq)]
pub struct CompartmentRule {
    /// Compartment index (0 = soma).
    pub compartment: usize,
    /// Receptors (indices into the template's receptors, all on `compartment`) whose synapses
    /// follow the rule; empty: every receptor on the compartment.
    pub receptors: Vec<usize>,
    /// The rule and its parameters.
    pub rule: AnyRule,
    /// Index of the network's neuromodulator the rule listens to (rules that need one).
    pub modulator: Option<usize>,
    /// Structural plasticity of these synapses (spine size, pruning, formation), if any.
    pub structural: Option<StructuralParams>,
}

impl CompartmentRule {
    /// `rule` on all receptors of `compartment`, without modulator or structural plasticity.
    pub fn new(compartment: usize, rule: AnyRule) -> Self {
        CompartmentRule {
            compartment,
            receptors: Vec::new(),
            rule,
            modulator: None,
            structural: None,
        }
    }

    /// Whether this rule acts on synapses onto `receptor` (which sits on `compartment`).
    pub fn applies_to(&self, receptor: usize, compartment: usize) -> bool {
        self.compartment == compartment && (self.receptors.is_empty() || self.receptors.contains(&receptor))
    }
}

/// The shape and parameters shared by all neurons of a population.
#[derive(Debug, Clone, PartialEq)]
pub struct NeuronTemplate {
    /// Template name (e.g. `l23_pyramidal`).
    pub name: String,
    /// The soma (compartment 0).
    pub soma: SomaParams,
    /// Dendritic compartments; entry `k` is compartment `k + 1`.
    pub compartments: Vec<CompartmentParams>,
    /// Receptors; each sits on one compartment.
    pub receptors: Vec<ReceptorParams>,
    /// Initial potentials. Default: at rest.
    pub initial: InitialPotential,
    /// Plasticity rules per compartment (none: all synapses static).
    pub rules: Vec<CompartmentRule>,
}

impl NeuronTemplate {
    /// A point neuron (soma only) with the given receptors.
    pub fn point(name: impl Into<String>, soma: SomaParams, receptors: Vec<ReceptorParams>) -> Self {
        NeuronTemplate {
            name: name.into(),
            soma,
            compartments: Vec::new(),
            receptors,
            initial: InitialPotential::Rest,
            rules: Vec::new(),
        }
    }

    /// Number of compartments including the soma.
    pub fn n_compartments(&self) -> usize {
        self.compartments.len() + 1
    }

    /// Compartment index (0 = soma) by name (`soma` or a dendrite's name).
    pub fn compartment_index(&self, name: &str) -> Option<usize> {
        if name == "soma" {
            return Some(0);
        }
        self.compartments
            .iter()
            .position(|c| c.name == name)
            .map(|k| k + 1)
    }

    /// Name of compartment `index` (0 = `soma`).
    pub fn compartment_name(&self, index: usize) -> &str {
        if index == 0 {
            "soma"
        } else {
            &self.compartments[index - 1].name
        }
    }

    /// Receptor index by compartment and receptor name.
    pub fn receptor_index(&self, compartment: usize, name: &str) -> Option<usize> {
        self.receptors
            .iter()
            .position(|r| r.compartment == compartment && r.name == name)
    }

    /// Leak reversal of compartment `index`.
    pub fn e_leak_mv(&self, index: usize) -> f64 {
        if index == 0 {
            self.soma.e_leak_mv
        } else {
            self.compartments[index - 1].e_leak_mv
        }
    }

    /// Length of compartment `index` in µm (0 for the soma).
    pub fn length_um(&self, index: usize) -> f64 {
        if index == 0 {
            0.0
        } else {
            self.compartments[index - 1].length_um
        }
    }

    /// Check the whole template (names unique, tree well formed, receptors on real compartments).
    pub fn validate(&self, dt_ms: f64) -> ParamResult<()> {
        self.soma.validate().map_err(|e| e.within("soma"))?;
        for (k, c) in self.compartments.iter().enumerate() {
            let key = format!("compartments[{k}]");
            c.validate(k + 1, dt_ms).map_err(|e| e.within(&key))?;
            if self.compartments[..k].iter().any(|o| o.name == c.name) {
                return Err(ParamError::new(
                    format!("{key}.name"),
                    "a name not used by another compartment",
                    format!("{:?}", c.name),
                ));
            }
        }
        let n = self.n_compartments();
        for (k, r) in self.receptors.iter().enumerate() {
            let key = format!("receptors[{k}]");
            r.validate().map_err(|e| e.within(&key))?;
            if r.compartment >= n {
                return Err(ParamError::new(
                    format!("{key}.compartment"),
                    format!("a compartment index in 0..{n}"),
                    r.compartment,
                ));
            }
            if self.receptors[..k]
                .iter()
                .any(|o| o.name == r.name && o.compartment == r.compartment)
            {
                return Err(ParamError::new(
                    format!("{key}.name"),
                    "a receptor name not used twice on one compartment",
                    format!("{:?}", r.name),
                ));
            }
        }
        self.validate_rates(dt_ms)?;
        for (k, cr) in self.rules.iter().enumerate() {
            let key = format!("rules[{k}]");
            self.validate_rule(cr).map_err(|e| e.within(&key))?;
        }
        match self.initial {
            InitialPotential::Rest => {}
            InitialPotential::Fixed(v) => {
                finite("initial", v)?;
            }
            InitialPotential::Uniform { lo_mv, hi_mv } => {
                finite("initial.lo_mv", lo_mv)?;
                finite("initial.hi_mv", hi_mv)?;
                if hi_mv < lo_mv {
                    return Err(ParamError::new(
                        "initial.hi_mv",
                        format!("a bound >= lo_mv ({lo_mv} mV)"),
                        hi_mv,
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The largest rate of a neuron's linear system times the step (a time constant of 1e-15
/// steps): far beyond any physical neuron, and small enough that the tenth power of the system
/// stays finite.
pub const MAX_RATE_PER_STEP: f64 = 1e15;

impl NeuronTemplate {
    /// Every rate of the neuron's linear system, times the step, must be at most
    /// [`MAX_RATE_PER_STEP`]: each compartment's total conductance (leak and couplings) over its
    /// capacitance, its leak current over its capacitance, and each receptor's decay. Values that
    /// are each valid can still overflow in these ratios (a 1e300 nS coupling on a 1e-20 pF
    /// compartment), and the propagator's matrix exponential, which takes powers of the system
    /// up to the tenth, does not end when one of them is infinite.
    fn validate_rates(&self, dt_ms: f64) -> ParamResult<()> {
        let n = self.n_compartments();
        let mut conductance = vec![0.0f64; n];
        let mut capacitance = vec![0.0f64; n];
        let mut leak_current = vec![0.0f64; n];
        capacitance[0] = self.soma.c_m_pf;
        conductance[0] = self.soma.g_leak_ns;
        leak_current[0] = (self.soma.g_leak_ns * self.soma.e_leak_mv).abs();
        for (k, c) in self.compartments.iter().enumerate() {
            capacitance[k + 1] = c.c_m_pf;
            conductance[k + 1] += c.g_leak_ns + c.g_couple_ns;
            leak_current[k + 1] = (c.g_leak_ns * c.e_leak_mv).abs();
            if c.parent < n {
                conductance[c.parent] += c.g_couple_ns;
            }
        }
        for c in 0..n {
            let rates = [conductance[c], leak_current[c], 1.0].map(|x| x / capacitance[c] * dt_ms);
            if !rates.iter().all(|r| r.abs() <= MAX_RATE_PER_STEP) {
                let key = if c == 0 {
                    "soma.c_m_pf".to_string()
                } else {
                    format!("compartments[{}].c_m_pf", c - 1)
                };
                return Err(ParamError::new(
                    key,
                    format!(
                        "a capacitance for which conductance / capacitance and leak current / capacitance, times the step, stay at most {MAX_RATE_PER_STEP:e}"
                    ),
                    capacitance[c],
                ));
            }
        }
        for (k, r) in self.receptors.iter().enumerate() {
            let rate = (dt_ms / r.tau_ms).abs();
            if rate.is_nan() || rate > MAX_RATE_PER_STEP {
                return Err(ParamError::new(
                    format!("receptors[{k}].tau_ms"),
                    format!("a time constant for which step / tau stays at most {MAX_RATE_PER_STEP:e}"),
                    r.tau_ms,
                ));
            }
        }
        Ok(())
    }

    fn validate_rule(&self, cr: &CompartmentRule) -> ParamResult<()> {
        // A template is a spiking neuron: a rule that exists only in rate form has nothing to
        // act on here.
        if cr.rule.is_rate_only() {
            return Err(ParamError::new(
                "rule.name",
                "a rule with a spike-based form (this one acts in the rate engine only)",
                cr.rule.name(),
            ));
        }
        let n = self.n_compartments();
        if cr.compartment >= n {
            return Err(ParamError::new(
                "compartment",
                format!("a compartment index in 0..{n}"),
                cr.compartment,
            ));
        }
        for (k, &r) in cr.receptors.iter().enumerate() {
            match self.receptors.get(r) {
                Some(rec) if rec.compartment == cr.compartment => {}
                _ => {
                    return Err(ParamError::new(
                        format!("receptors[{k}]"),
                        format!(
                            "a receptor on compartment `{}`",
                            self.compartment_name(cr.compartment)
                        ),
                        r,
                    ));
                }
            }
        }
        cr.rule.validate().map_err(|e| e.within("rule"))?;
        if let Some(sp) = &cr.structural {
            sp.validate().map_err(|e| e.within("structural"))?;
            if sp.formation_rate_hz > 0.0 && self.length_um(cr.compartment) <= 0.0 {
                return Err(ParamError::new(
                    "structural.formation_rate_hz",
                    "0 on a compartment without length (new synapses need free positions)",
                    sp.formation_rate_hz,
                ));
            }
        }
        let needs = cr.rule.needs();
        let name = self.compartment_name(cr.compartment);
        let has_bap = cr.compartment == 0 || self.compartments[cr.compartment - 1].bap.is_some();
        if (needs.post_events || needs.post.iter().any(Option::is_some)) && !has_bap {
            return Err(ParamError::new(
                "rule",
                format!(
                    "a rule that needs no back-propagating spike (`{}` reads the bAP, which does not reach `{name}`)",
                    cr.rule.name()
                ),
                cr.rule.name(),
            ));
        }
        let has_plateau = cr.compartment > 0 && self.compartments[cr.compartment - 1].plateau.is_some();
        if needs.branch_events && !has_plateau {
            return Err(ParamError::new(
                "rule",
                format!(
                    "a rule that needs no dendritic spikes (`{}` learns at plateau onsets; `{name}` has no plateau)",
                    cr.rule.name()
                ),
                cr.rule.name(),
            ));
        }
        if needs.coactivity.is_some() && self.length_um(cr.compartment) <= 0.0 {
            return Err(ParamError::new(
                "rule",
                format!(
                    "a rule that needs no synapse positions (`{}` counts neighbours along a branch; `{name}` has no length)",
                    cr.rule.name()
                ),
                cr.rule.name(),
            ));
        }
        if needs.modulator && cr.modulator.is_none() {
            return Err(ParamError::new(
                "modulator",
                format!("a neuromodulator for `{}`", cr.rule.name()),
                "none",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compartment::{Role, Site};

    fn two_comp() -> NeuronTemplate {
        NeuronTemplate {
            name: "t".into(),
            soma: SomaParams::default(),
            compartments: vec![CompartmentParams::new(
                "apical",
                Role::at(Site::ApicalTuft),
                0,
                200.0,
            )],
            receptors: vec![
                ReceptorParams::current("exc", 0, 5.0),
                ReceptorParams::current("exc", 1, 5.0),
            ],
            initial: InitialPotential::Rest,
            rules: Vec::new(),
        }
    }

    #[test]
    fn rules_needing_missing_signals_are_rejected() {
        let mut t = two_comp();
        t.compartments[0].bap = None;
        t.rules.push(CompartmentRule {
            compartment: 1,
            receptors: vec![],
            rule: AnyRule::default_named("bap_hebbian").unwrap(),
            modulator: None,
            structural: None,
        });
        let e = t.validate(0.1).unwrap_err();
        assert_eq!(e.key, "rules[0].rule");
        assert!(e.expected.contains("bAP"), "{e}");
        t.rules[0] = CompartmentRule {
            compartment: 0,
            receptors: vec![],
            rule: AnyRule::default_named("local_coactivity").unwrap(),
            modulator: None,
            structural: None,
        };
        assert!(t.validate(0.1).unwrap_err().expected.contains("positions"));
        t.rules[0] = CompartmentRule {
            compartment: 1,
            receptors: vec![0],
            rule: AnyRule::default_named("local_coactivity").unwrap(),
            modulator: None,
            structural: None,
        };
        assert_eq!(t.validate(0.1).unwrap_err().key, "rules[0].receptors[0]");
        t.rules[0].receptors = vec![1];
        t.validate(0.1).unwrap();
    }

    #[test]
    fn lookups_by_name() {
        let t = two_comp();
        t.validate(0.1).unwrap();
        assert_eq!(t.compartment_index("soma"), Some(0));
        assert_eq!(t.compartment_index("apical"), Some(1));
        assert_eq!(t.receptor_index(1, "exc"), Some(1));
        assert_eq!(t.receptor_index(1, "inh"), None);
        assert_eq!(t.compartment_name(1), "apical");
    }

    #[test]
    fn receptor_on_missing_compartment_is_named() {
        let mut t = two_comp();
        t.receptors.push(ReceptorParams::current("x", 5, 5.0));
        assert_eq!(t.validate(0.1).unwrap_err().key, "receptors[2].compartment");
    }

    /// Values valid one by one whose ratios overflow (the fuzz found a run that then never
    /// ended: the matrix exponential of an infinite system) are refused at the capacitance.
    #[test]
    fn rates_that_overflow_are_refused() {
        let mut t = two_comp();
        assert!(t.validate(0.1).is_ok());
        t.compartments[0].g_couple_ns = 1e10;
        t.compartments[0].c_m_pf = 1e-20;
        assert_eq!(t.validate(0.1).unwrap_err().key, "compartments[0].c_m_pf");
        // The coupling also loads the soma.
        t.compartments[0].c_m_pf = 100.0;
        t.soma.c_m_pf = 1e-20;
        assert_eq!(t.validate(0.1).unwrap_err().key, "soma.c_m_pf");
        let mut t = two_comp();
        t.receptors[0].tau_ms = 1e-320;
        assert!(t.validate(0.1).is_err());
    }

    #[test]
    fn duplicate_names_rejected() {
        let mut t = two_comp();
        t.compartments
            .push(CompartmentParams::new("apical", Role::at(Site::Basal), 0, 10.0));
        assert_eq!(t.validate(0.1).unwrap_err().key, "compartments[1].name");
    }
}
