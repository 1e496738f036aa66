//! Parameters of a network of pyramidal rate units, as a spec gives them.

use dendra_core::ParamError;
use dendra_core::error::{ParamResult, finite, positive};
use dendra_rules::AnyRule;
use dendra_rules::WeightBounds;
use dendra_rules::rules::{BranchSpecific, DendriticPrediction, RewardModulated};

/// Which rule acts on which compartment's synapses. Every assignment (multi-rule, uniform,
/// swapped, ablated: `static`) is a change of these four tables, never of code.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleAssignment {
    /// Feedforward synapses of hidden units (default `dendritic_prediction`, η = 2).
    pub basal: AnyRule,
    /// Top-down synapses onto the apical tuft of hidden units (default `reward_modulated`).
    pub apical: AnyRule,
    /// Context synapses on the distal segments of hidden units (default `branch_specific`).
    pub distal: AnyRule,
    /// Feedforward synapses of the output units, whose apical compartment receives the teacher
    /// (default `dendritic_prediction`, η = 2).
    pub output: AnyRule,
}

impl RuleAssignment {
    /// dendra's multi-rule assignment: error-correcting basal, reward-based apical, selective
    /// distal.
    pub fn multi_rule() -> Self {
        RuleAssignment {
            basal: AnyRule::DendriticPrediction(DendriticPrediction {
                eta: 2.0,
                w_min: -100.0,
                w_max: 100.0,
                ..DendriticPrediction::default()
            }),
            apical: AnyRule::RewardModulated(RewardModulated {
                eta: 0.005,
                a_plus: 1.0,
                tau_cons_ms: 1000.0,
                w_min: -1.0,
                w_max: 1.0,
                ..RewardModulated::default()
            }),
            distal: AnyRule::BranchSpecific(BranchSpecific {
                a_plus: 0.05,
                a_het: 0.01,
                bounds: WeightBounds::soft(0.0, 1.0),
                ..BranchSpecific::default()
            }),
            output: AnyRule::DendriticPrediction(DendriticPrediction {
                eta: 2.0,
                w_min: -100.0,
                w_max: 100.0,
                ..DendriticPrediction::default()
            }),
        }
    }

    /// Check each rule's parameters and that it has a rate form; errors name the compartment.
    pub fn validate(&self) -> ParamResult<()> {
        for (compartment, rule) in [
            ("basal", &self.basal),
            ("apical", &self.apical),
            ("distal", &self.distal),
            ("output", &self.output),
        ] {
            rule.validate()
                .map_err(|e| e.within(&format!("rules.{compartment}")))?;
            if !rule.has_rate_form() {
                return Err(ParamError::new(
                    format!("rules.{compartment}.name"),
                    format!("a rule with a rate form ({})", AnyRule::rate_names().join(", ")),
                    rule.name(),
                ));
            }
        }
        Ok(())
    }
}

impl Default for RuleAssignment {
    fn default() -> Self {
        RuleAssignment::multi_rule()
    }
}

/// How a hidden unit combines its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Pyramidal units: basal drive, multiplicatively gated by the best-matching distal
    /// segment, nudged by the apical compartment.
    Compartments,
    /// Point neurons: feedforward, context and top-down input all sum at the soma (one context
    /// "segment", added to the drive instead of gating it).
    Point,
}

/// A network of pyramidal rate units (see [`crate::pyramidal`] for the equations).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetParams {
    /// Hidden layer sizes.
    pub hidden: Vec<usize>,
    /// Compartmental or point units.
    pub unit: UnitKind,
    /// Distal segments per hidden unit (`K`).
    pub segments: usize,
    /// Gain of the distal gate `σ(gain (a - threshold))`.
    pub gate_gain: f64,
    /// Threshold of the distal gate.
    pub gate_threshold: f64,
    /// Probability that a unit's gate starts open for a given context: one of its segments,
    /// drawn at random, starts above the gate threshold for that context and the others below
    /// (sparse random context selectivity, which the distal rule then refines); 1: every
    /// unit's gate starts open for every context.
    pub open_fraction: f64,
    /// Fraction of each hidden layer's units kept active per sample (k-winners-take-all); 1
    /// keeps all.
    pub active_fraction: f64,
    /// How far the teacher nudges the output rates towards the target, `β` in `(0, 1]`.
    pub nudging: f64,
    /// Gain of the apical compartment's effect on the somatic potential.
    pub apical_gain: f64,
    /// Time constant (updates) of the running average of reward that the reward-prediction
    /// error is measured against.
    pub reward_tau_updates: f64,
    /// The rules.
    pub rules: RuleAssignment,
}

impl Default for NetParams {
    fn default() -> Self {
        NetParams {
            hidden: vec![256],
            unit: UnitKind::Compartments,
            segments: 10,
            gate_gain: 10.0,
            gate_threshold: 0.5,
            open_fraction: 1.0,
            active_fraction: 1.0,
            nudging: 0.1,
            apical_gain: 1.0,
            reward_tau_updates: 100.0,
            rules: RuleAssignment::default(),
        }
    }
}

impl NetParams {
    /// Check the values.
    pub fn validate(&self) -> ParamResult<()> {
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err(ParamError::new(
                "hidden",
                "one or more hidden layer sizes, each >= 1",
                format!("{:?}", self.hidden),
            ));
        }
        if self.segments == 0 {
            return Err(ParamError::new("segments", "at least 1 distal segment", 0));
        }
        positive("gate_gain", self.gate_gain)?;
        finite("gate_threshold", self.gate_threshold)?;
        if !(0.0..=1.0).contains(&self.open_fraction) {
            return Err(ParamError::new(
                "open_fraction",
                "a probability in [0, 1]",
                self.open_fraction,
            ));
        }
        if !(self.active_fraction > 0.0 && self.active_fraction <= 1.0) {
            return Err(ParamError::new(
                "active_fraction",
                "a fraction in (0, 1]",
                self.active_fraction,
            ));
        }
        if !(self.nudging > 0.0 && self.nudging <= 1.0) {
            return Err(ParamError::new("nudging", "a fraction in (0, 1]", self.nudging));
        }
        finite("apical_gain", self.apical_gain)?;
        positive("reward_tau_updates", self.reward_tau_updates)?;
        self.rules.validate()
    }
}
