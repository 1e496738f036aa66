//! `branch_specific`: input-specific, branch-local plasticity (after Legenstein & Maass, J.
//! Neurosci. 2011, "Branch-specific plasticity enables self-organization of nonlinear
//! computation in single neurons").
//!
//! The synapses of one branch compete at the branch's own dendritic spikes (plateau onsets):
//!
//! ```text
//! at a dendritic spike of the branch:     w <- w + A+ · x(t) - A_het     (x: presynaptic trace, τ)
//! at an input during an ongoing plateau:   w <- w + A_p
//! ```
//!
//! so inputs that were active just before the branch fired grow and the branch's other inputs
//! shrink (heterosynaptic depression): each branch comes to select a subset of its inputs. The
//! second half of the mechanism, branch-strength plasticity (the gain with which a branch's
//! dendritic spike drives the soma grows when it is followed by a somatic spike arriving back as
//! a bAP, and decays otherwise), acts on the compartment, not on a synapse: see
//! `dendra_model::PlateauParams::strength`. Soft or hard bounds.

use crate::bounds::WeightBounds;
use crate::bounds::check_bounds;
use crate::rate::{RateCompartment, RateForm, RateTerms};
use crate::rule::{Needs, Rule, TraceSpec};
use crate::signals::LocalSignals;
use dendra_core::error::{ParamResult, non_negative};

/// Branch-specific heterosynaptic plasticity.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BranchSpecific {
    /// Potentiation of recently active inputs at a dendritic spike `A+` (per unit trace). Default 0.05.
    pub a_plus: f64,
    /// Heterosynaptic depression at a dendritic spike `A_het`. Default 0.01.
    pub a_het: f64,
    /// Potentiation of an input arriving during a plateau `A_p`. Default 0.005.
    pub a_plateau: f64,
    /// Presynaptic trace time constant `τ` (ms). Default 20.
    pub tau_ms: f64,
    /// Weight bounds. Default soft `[0, 1]`.
    pub bounds: WeightBounds,
}

impl Default for BranchSpecific {
    fn default() -> Self {
        BranchSpecific {
            a_plus: 0.05,
            a_het: 0.01,
            a_plateau: 0.005,
            tau_ms: 20.0,
            bounds: WeightBounds::soft(0.0, 1.0),
        }
    }
}

impl Rule for BranchSpecific {
    fn validate(&self) -> ParamResult<()> {
        non_negative("a_plus", self.a_plus)?;
        non_negative("a_het", self.a_het)?;
        non_negative("a_plateau", self.a_plateau)?;
        self.bounds.validate()?;
        check_bounds(self.bounds.w_min, self.bounds.w_max)
    }

    type State = ();

    fn name(&self) -> &'static str {
        "branch_specific"
    }

    fn needs(&self) -> Needs {
        Needs {
            pre: [Some(TraceSpec::all_to_all(self.tau_ms)), None],
            branch_events: true,
            ..Needs::default()
        }
    }

    fn on_pre(&self, w: &mut f64, _state: &mut (), sig: &LocalSignals) {
        if sig.plateau {
            *w = self.bounds.potentiate(*w, self.bounds.scale() * self.a_plateau);
        }
    }

    fn on_branch_spike(&self, w: &mut f64, _state: &mut (), sig: &LocalSignals) {
        *w = self
            .bounds
            .apply(*w, self.bounds.scale() * (self.a_plus * sig.pre[0] - self.a_het));
    }
}

impl RateForm for BranchSpecific {
    fn has_rate_form(&self) -> bool {
        true
    }

    /// Rate form: `post` is the segment's share of the somatic activity (its bAP when the
    /// segment is the unit's winning one, 0 otherwise): `dw = dt (A+ x - A_het) · post`, so only
    /// the selected segment learns, towards the inputs active with it.
    fn rate_terms(&self, c: &RateCompartment) -> RateTerms {
        let s = self.bounds.scale();
        RateTerms {
            hebb: s * self.a_plus * c.post,
            decay: 0.0,
            offset: -s * self.a_het * c.post,
        }
    }

    fn rate_apply(&self, w: f64, _aux: &mut f64, dw: f64, _dt_ms: f64) -> f64 {
        self.bounds.apply(w, dw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_inputs_win_inactive_lose_at_a_branch_spike() {
        let r = BranchSpecific {
            bounds: WeightBounds::hard(0.0, 1.0),
            ..BranchSpecific::default()
        };
        let at = |x: f64| {
            let mut w = 0.5;
            r.on_branch_spike(
                &mut w,
                &mut (),
                &LocalSignals {
                    pre: [x, 0.0],
                    ..LocalSignals::default()
                },
            );
            w - 0.5
        };
        assert!((at(1.0) - (r.a_plus - r.a_het)).abs() < 1e-12);
        assert!((at(0.0) + r.a_het).abs() < 1e-12);
        let mut w = 0.5;
        r.on_pre(&mut w, &mut (), &LocalSignals::default());
        assert_eq!(w, 0.5, "no plateau, no change");
        r.on_pre(
            &mut w,
            &mut (),
            &LocalSignals {
                plateau: true,
                ..LocalSignals::default()
            },
        );
        assert!((w - 0.5 - r.a_plateau).abs() < 1e-12);
    }
}
