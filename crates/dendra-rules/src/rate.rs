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
//! compartment's own signals ([`RateCompartment`]) alone, `g` ([`RateForm::rate_pre`]) acts on
//! the presynaptic rate alone, and `apply` ([`RateForm::rate_apply`]) sees only the synapse's
//! weight, its one number of rate state `aux` and its summed change. The factorisation is what
//! lets the engine compute `Σ hebb ⊗ g(pre)` for a whole layer as one matrix product, and it is
//! also what keeps every rule local: no term can mix one synapse's input with another
//! compartment's signals.

use crate::signals::RateSignals;

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
    /// Running average of `post²` over [`RateForm::post_sq_avg_ms`], kept by the engine per
    /// compartment for the rules that declare it (0 for the others).
    pub post_sq_avg: f64,
    /// The broadcast neuromodulator (reward or reward-prediction error) for this sample.
    pub modulator: f64,
}

/// A rule's form in the rate engine (see the module docs). Every [`crate::Rule`] implements
/// it; a rule without a rate form keeps the defaults (`impl RateForm for MyRule {}`), and the
/// rate engine refuses it.
pub trait RateForm {
    /// Whether the rule has a rate form (the rate engine refuses rules without one).
    fn has_rate_form(&self) -> bool {
        false
    }

    /// The compartment-side factors of the weight change.
    fn rate_terms(&self, c: &RateCompartment) -> RateTerms {
        let _ = c;
        RateTerms::ZERO
    }

    /// The presynaptic factor `g(pre)` (default: the rate itself).
    fn rate_pre(&self, pre: f64) -> f64 {
        pre
    }

    /// Apply the summed change `dw` of one update of length `dt_ms` to a synapse with weight
    /// `w` and rate state `aux` (bounds, consolidation); returns the new weight.
    fn rate_apply(&self, w: f64, aux: &mut f64, dw: f64, dt_ms: f64) -> f64 {
        let _ = (aux, dt_ms);
        w + dw
    }

    /// The time constant (ms) of a running average of `post²` the engine must keep for each
    /// compartment ([`RateCompartment::post_sq_avg`]), if the rule reads one (BCM's sliding
    /// threshold): `dθ/dt = (<post²> - θ)/τ`, with `<post²>` the mean over an update's samples.
    fn post_sq_avg_ms(&self) -> Option<f64> {
        None
    }

    /// One update for a single synapse and sample: the rate form applied to one synapse (the
    /// engine applies it to whole layers at once, with the same result).
    fn on_rate(&self, w: &mut f64, aux: &mut f64, sig: &RateSignals) {
        let terms = self.rate_terms(&sig.compartment());
        let dw = sig.dt_ms * terms.rate_of_change(self.rate_pre(sig.pre), *w);
        *w = self.rate_apply(*w, aux, dw, sig.dt_ms);
    }
}

/// The running average of `post²` that [`RateForm::post_sq_avg_ms`] asks for, advanced over
/// `dt_ms` exactly for a `post²` of `mean_sq` held over it: `θ <- m + (θ - m) e^{-dt/τ}`.
pub fn advance_post_sq_avg(theta: f64, mean_sq: f64, dt_ms: f64, tau_ms: f64) -> f64 {
    mean_sq + (theta - mean_sq) * (-dt_ms / tau_ms).exp()
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
