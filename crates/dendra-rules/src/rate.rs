//! The rate form of a rule, as the rate engine applies it to whole batches.
//!
//! In the rate engine a synapse from input `j` onto compartment `i` changes, over one update of
//! length `dt` and averaged over the `m` samples of a batch, as
//!
//! ```text
//! Δw_ij = dt/m · Σ_samples [ hebb_i · g(pre_j) + decay_i · w_ij + offset_i ]
//! w_ij  <- apply(w_ij, aux_ij, Δw_ij)
//! ```
//!
//! where `hebb_i`, `decay_i` and `offset_i` are [`RateTerms`] that the rule computes from the
//! compartment's own signals ([`RateCompartment`]) alone, `g` ([`crate::Rule::rate_pre`]) acts on
//! the presynaptic rate alone, and `apply` ([`crate::Rule::rate_apply`]) sees only the synapse's
//! weight, its one number of rate state `aux` and its summed change. The factorisation is what
//! lets the engine compute `Σ hebb ⊗ g(pre)` for a whole layer as one matrix product, and it is
//! also what keeps every rule local: no term can mix one synapse's input with another
//! compartment's signals.

/// What one compartment of a rate unit senses for one sample: the postsynaptic side of every
/// synapse on it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RateCompartment {
    /// The somatic rate as it reaches the compartment (the rate counterpart of the bAP), after
    /// any nudging by teaching input.
    pub post: f64,
    /// The compartment's own prediction of that rate from its dendritic input (the free rate,
    /// before nudging).
    pub prediction: f64,
    /// Running average of `post²` (for rules with [`crate::Needs::post_sq_avg_ms`]).
    pub post_sq_avg: f64,
    /// The broadcast neuromodulator (reward or reward-prediction error) for this sample.
    pub modulator: f64,
    /// Teaching input arriving at the compartment.
    pub teaching: f64,
}

/// The per-compartment factors of a rule's rate form (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RateTerms {
    /// Factor of the presynaptic term `g(pre)` (per ms).
    pub hebb: f64,
    /// Factor of the synapse's own weight (per ms).
    pub decay: f64,
    /// A change common to all synapses of the compartment (weight units per ms).
    pub offset: f64,
}

impl RateTerms {
    /// No change.
    pub const ZERO: RateTerms = RateTerms {
        hebb: 0.0,
        decay: 0.0,
        offset: 0.0,
    };

    /// The change of one synapse with presynaptic factor `g` and weight `w`, per ms.
    #[inline]
    pub fn rate_of_change(&self, g: f64, w: f64) -> f64 {
        self.hebb * g + self.decay * w + self.offset
    }
}

/// Where [`crate::AnyRule::rate_terms_row`] writes the terms of one sample's compartments.
#[derive(Debug)]
pub struct TermsOut<'a> {
    /// `hebb` per compartment.
    pub hebb: &'a mut [f32],
    /// `decay` per compartment, added to.
    pub decay: &'a mut [f32],
    /// `offset` per compartment, added to.
    pub offset: &'a mut [f32],
}
