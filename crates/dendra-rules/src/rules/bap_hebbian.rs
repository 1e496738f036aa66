//! `bap_hebbian`: basal-dendrite plasticity gated by back-propagating action potentials, as
//! found by Wright, Hedrick & Komiyama (Science 2025): basal spines potentiate when their input
//! coincides with the postsynaptic spike as it arrives in the dendrite, and blocking somatic
//! spiking (or the bAP) removes the potentiation.
//!
//! With `x` the presynaptic trace and `y` the compartment's bAP trace (both with the coincidence
//! window `τ_c`), and `a` the strength of an arriving bAP (its attenuation; 0 if blocked):
//!
//! ```text
//! at a presynaptic spike:  w <- w + A+ · y(t)                     (input just after a bAP)
//! at a bAP arrival:        w <- w + a · (A+ · x(t) - A-)           (input just before; else depression)
//! ```
//!
//! so a bAP potentiates the synapses whose input coincided with it within `~τ_c` and depresses
//! the others (heterosynaptically), and without bAPs nothing changes at all. Soft or hard bounds.

use crate::bounds::WeightBounds;
use crate::bounds::check_bounds;
use crate::rate::RateForm;
use crate::rule::{Needs, Rule, TraceSpec};
use crate::signals::LocalSignals;
use dendra_core::error::{ParamResult, non_negative};

/// bAP-gated Hebbian plasticity.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BapHebbian {
    /// Coincidence potentiation `A+` (weight units per unit trace). Default 0.02.
    pub a_plus: f64,
    /// Depression per bAP without coincident input `A-` (weight units). Default 0.002.
    pub a_minus: f64,
    /// Coincidence window `τ_c` (ms). Default 20.
    pub tau_ms: f64,
    /// Weight bounds. Default soft `[0, 1]`.
    pub bounds: WeightBounds,
}

impl Default for BapHebbian {
    fn default() -> Self {
        BapHebbian {
            a_plus: 0.02,
            a_minus: 0.002,
            tau_ms: 20.0,
            bounds: WeightBounds::soft(0.0, 1.0),
        }
    }
}

impl Rule for BapHebbian {
    fn validate(&self) -> ParamResult<()> {
        non_negative("a_plus", self.a_plus)?;
        non_negative("a_minus", self.a_minus)?;
        self.bounds.validate()?;
        check_bounds(self.bounds.w_min, self.bounds.w_max)
    }

    type State = ();

    fn name(&self) -> &'static str {
        "bap_hebbian"
    }

    fn needs(&self) -> Needs {
        Needs {
            pre: [Some(TraceSpec::all_to_all(self.tau_ms)), None],
            post: [Some(TraceSpec::all_to_all(self.tau_ms)), None],
            post_events: true,
            ..Needs::default()
        }
    }

    fn on_pre(&self, w: &mut f64, _state: &mut (), sig: &LocalSignals) {
        *w = self
            .bounds
            .potentiate(*w, self.bounds.scale() * self.a_plus * sig.post[0]);
    }

    fn on_post(&self, w: &mut f64, _state: &mut (), sig: &LocalSignals) {
        let dw = sig.bap * (self.a_plus * sig.pre[0] - self.a_minus);
        *w = self.bounds.apply(*w, self.bounds.scale() * dw);
    }
}

/// No rate form: the rate engine refuses this rule.
impl RateForm for BapHebbian {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coincidence_potentiates_lone_bap_depresses_blocked_bap_does_nothing() {
        let r = BapHebbian {
            bounds: WeightBounds::hard(0.0, 1.0),
            ..BapHebbian::default()
        };
        // Input 5 ms before a full bAP.
        let mut w = 0.5;
        let x = (-5.0f64 / r.tau_ms).exp();
        r.on_post(
            &mut w,
            &mut (),
            &LocalSignals {
                pre: [x, 0.0],
                bap: 1.0,
                ..LocalSignals::default()
            },
        );
        assert!((w - (0.5 + r.a_plus * x - r.a_minus)).abs() < 1e-12);
        // A bAP with no recent input depresses.
        let mut w = 0.5;
        r.on_post(
            &mut w,
            &mut (),
            &LocalSignals {
                bap: 1.0,
                ..LocalSignals::default()
            },
        );
        assert!((w - (0.5 - r.a_minus)).abs() < 1e-12);
        // Attenuated bAP: effect scales with its strength; blocked (a = 0): nothing.
        let mut w = 0.5;
        r.on_post(
            &mut w,
            &mut (),
            &LocalSignals {
                pre: [1.0, 0.0],
                bap: 0.0,
                ..LocalSignals::default()
            },
        );
        assert_eq!(w, 0.5);
        // Input without any bAP trace: nothing (no somatic spiking, no plasticity).
        let mut w = 0.5;
        r.on_pre(&mut w, &mut (), &LocalSignals::default());
        assert_eq!(w, 0.5);
    }
}
