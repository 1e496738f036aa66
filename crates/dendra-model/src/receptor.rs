//! Synaptic receptors: exponentially decaying currents or conductances on one compartment.

use dendra_core::error::{ParamResult, finite, positive};

/// Whether a receptor injects a current or opens a conductance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReceptorKind {
    /// Current-based: a spike of weight `w` (pA) adds `w` to `I`, which decays with `tau_ms`;
    /// `I` enters the compartment's membrane equation directly.
    Current,
    /// Conductance-based: a spike of weight `w` (nS) adds `w` to `g`, which decays with
    /// `tau_ms`; the current is `g (e_rev_mv - V)`.
    Conductance {
        /// Reversal potential (mV).
        e_rev_mv: f64,
    },
}

/// One receptor of a neuron template, attached to one compartment.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceptorParams {
    /// Name, unique within its compartment (e.g. `ampa`, `gaba`, `exc`).
    pub name: String,
    /// Compartment index it sits on (0 = soma).
    pub compartment: usize,
    /// Current- or conductance-based.
    pub kind: ReceptorKind,
    /// Decay time constant (ms, > 0).
    pub tau_ms: f64,
}

impl ReceptorParams {
    /// A current-based receptor.
    pub fn current(name: impl Into<String>, compartment: usize, tau_ms: f64) -> Self {
        ReceptorParams {
            name: name.into(),
            compartment,
            kind: ReceptorKind::Current,
            tau_ms,
        }
    }

    /// A conductance-based receptor.
    pub fn conductance(name: impl Into<String>, compartment: usize, tau_ms: f64, e_rev_mv: f64) -> Self {
        ReceptorParams {
            name: name.into(),
            compartment,
            kind: ReceptorKind::Conductance { e_rev_mv },
            tau_ms,
        }
    }

    /// Unit of the weights of synapses onto this receptor.
    pub fn weight_unit(&self) -> &'static str {
        match self.kind {
            ReceptorKind::Current => "pA",
            ReceptorKind::Conductance { .. } => "nS",
        }
    }

    /// Check all values.
    pub fn validate(&self) -> ParamResult<()> {
        positive("tau_ms", self.tau_ms)?;
        if let ReceptorKind::Conductance { e_rev_mv } = self.kind {
            finite("e_rev_mv", e_rev_mv)?;
        }
        Ok(())
    }
}
