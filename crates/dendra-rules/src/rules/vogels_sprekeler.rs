//! `vogels_sprekeler`: inhibitory STDP that balances excitation (Vogels, Sprekeler, Zenke,
//! Clopath & Gerstner, Science 2011).
//!
//! With symmetric traces `x` (presynaptic) and `y` (postsynaptic), time constant `τ` (20 ms):
//!
//! ```text
//! at a presynaptic spike:   w <- w + η (y(t) - α),   α = 2 ρ0 τ
//! at a postsynaptic spike:  w <- w + η x(t)
//! ```
//!
//! so near-coincident spikes (either order) strengthen the inhibitory synapse by
//! `η exp(-|Δt|/τ)` and every presynaptic spike weakens it by `η α`; for uncorrelated Poisson
//! trains the expected drift is `η r_pre (2 τ r_post - α)`, zero at the target rate
//! `r_post = ρ0`. Hard bounds `[w_min, w_max]` (weights as positive magnitudes).

use crate::bounds::WeightBounds;
use crate::bounds::check_bounds;
use crate::rate::RateForm;
use crate::rule::{Needs, Rule, TraceSpec};
use crate::signals::LocalSignals;
use dendra_core::error::{ParamResult, non_negative};

/// Inhibitory STDP (Vogels et al. 2011).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VogelsSprekeler {
    /// Learning rate `η` (weight units). Default 0.01.
    pub eta: f64,
    /// Target postsynaptic rate `ρ0` (Hz). Default 5.
    pub rho0_hz: f64,
    /// Trace time constant `τ` (ms). Default 20.
    pub tau_ms: f64,
    /// Lower bound. Default 0.
    pub w_min: f64,
    /// Upper bound. Default 10.
    pub w_max: f64,
}

impl Default for VogelsSprekeler {
    fn default() -> Self {
        VogelsSprekeler {
            eta: 0.01,
            rho0_hz: 5.0,
            tau_ms: 20.0,
            w_min: 0.0,
            w_max: 10.0,
        }
    }
}

impl VogelsSprekeler {
    /// The depression per presynaptic spike, `α = 2 ρ0 τ` (dimensionless).
    pub fn alpha(&self) -> f64 {
        2.0 * self.rho0_hz * self.tau_ms / 1000.0
    }
}

impl Rule for VogelsSprekeler {
    fn validate(&self) -> ParamResult<()> {
        non_negative("eta", self.eta)?;
        non_negative("rho0_hz", self.rho0_hz)?;
        check_bounds(self.w_min, self.w_max)
    }

    type State = ();

    fn name(&self) -> &'static str {
        "vogels_sprekeler"
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
        *w = WeightBounds::hard(self.w_min, self.w_max).apply(*w, self.eta * (sig.post[0] - self.alpha()));
    }

    fn on_post(&self, w: &mut f64, _state: &mut (), sig: &LocalSignals) {
        *w = WeightBounds::hard(self.w_min, self.w_max).potentiate(*w, self.eta * sig.pre[0]);
    }
}

/// No rate form: the rate engine refuses this rule.
impl RateForm for VogelsSprekeler {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Trace;

    #[test]
    fn window_is_symmetric_with_a_constant_presynaptic_offset() {
        let r = VogelsSprekeler::default();
        for k in -40..=40 {
            let dt = k as f64 * 1.25; // t_post - t_pre
            if dt == 0.0 {
                continue;
            }
            let (t_pre, t_post) = (100.0, 100.0 + dt);
            let (mut x, mut y) = (Trace::default(), Trace::default());
            let mut w = 5.0;
            let mut events = [(t_pre, true), (t_post, false)];
            events.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (t, pre) in events {
                let sig = LocalSignals {
                    t_ms: t,
                    pre: [x.at(t, r.tau_ms), 0.0],
                    post: [y.at(t, r.tau_ms), 0.0],
                    bap: f64::from(!pre),
                    ..LocalSignals::default()
                };
                if pre {
                    r.on_pre(&mut w, &mut (), &sig);
                    x.bump(t, r.tau_ms, 1.0);
                } else {
                    r.on_post(&mut w, &mut (), &sig);
                    y.bump(t, r.tau_ms, 1.0);
                }
            }
            let expected = r.eta * (-dt.abs() / r.tau_ms).exp() - r.eta * r.alpha();
            assert!(
                (w - 5.0 - expected).abs() < 1e-12,
                "dt {dt}: {} vs {expected}",
                w - 5.0
            );
        }
    }
}
