//! `clopath`: voltage-based STDP (Clopath, Büsing, Vasilaki & Gerstner, Nat. Neurosci. 2010).
//!
//! With `u` the compartment potential, `ū-` and `ū+` its low-pass filters (`τ-`, `τ+`, kept by
//! the engine per compartment) and `x̄` the presynaptic trace (`τ_x`, +1 per spike):
//!
//! ```text
//! at a presynaptic spike:  w <- w - A_LTD [ū-(t) - θ-]+
//! continuously:            dw/dt = A_LTP x̄(t) [u(t) - θ+]+ [ū+(t) - θ-]+
//! ```
//!
//! Depression needs a depolarised compartment at input time, potentiation needs presynaptic
//! activity while the compartment is strongly depolarised (e.g. by a bAP) after a period of
//! depolarisation. The continuous term is a compartment drive `[u - θ+]+ [ū+ - θ-]+` archived
//! per step and integrated by each synapse against its own trace at its spikes and ticks (the
//! homeostatic scaling of `A_LTD` by `<ū>²` is not included). Defaults: the visual-cortex set of
//! the paper (`θ- = -70.6`, `θ+ = -45.3` mV, `A_LTD = 14e-5 /mV`, `A_LTP = 8e-5 /mV²`,
//! `τ_x = 15`, `τ- = 10`, `τ+ = 7` ms); hard bounds.

use crate::bounds::WeightBounds;
use crate::bounds::check_bounds;
use crate::drive::CompartmentSignals;
use crate::rate::RateForm;
use crate::rule::{Needs, Rule};
use crate::signals::LocalSignals;
use dendra_core::error::{ParamResult, non_negative, positive};

/// Voltage-based STDP.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Clopath {
    /// Depression amplitude `A_LTD` (weight per mV).
    pub a_ltd: f64,
    /// Potentiation amplitude `A_LTP` (weight per mV² per ms).
    pub a_ltp: f64,
    /// `θ-` (mV).
    pub theta_minus_mv: f64,
    /// `θ+` (mV).
    pub theta_plus_mv: f64,
    /// Presynaptic trace time constant `τ_x` (ms).
    pub tau_x_ms: f64,
    /// `τ-` of `ū-` (ms).
    pub tau_minus_ms: f64,
    /// `τ+` of `ū+` (ms).
    pub tau_plus_ms: f64,
    /// Weight bounds. Default hard `[0, 1]`.
    pub bounds: WeightBounds,
    /// Catch-up tick (ms). Default 50.
    pub tick_ms: f64,
}

impl Default for Clopath {
    fn default() -> Self {
        Clopath {
            a_ltd: 14e-5,
            a_ltp: 8e-5,
            theta_minus_mv: -70.6,
            theta_plus_mv: -45.3,
            tau_x_ms: 15.0,
            tau_minus_ms: 10.0,
            tau_plus_ms: 7.0,
            bounds: WeightBounds::hard(0.0, 1.0),
            tick_ms: 50.0,
        }
    }
}

/// Per-synapse state: the presynaptic trace at the last update and its time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClopathState {
    /// `x̄` just after the last update.
    pub x: f64,
    /// Time of the last update (ms); NaN before the first.
    pub t_ms: f64,
}

impl Default for ClopathState {
    fn default() -> Self {
        ClopathState {
            x: 0.0,
            t_ms: f64::NAN,
        }
    }
}

impl Clopath {
    fn advance(&self, w: &mut f64, s: &mut ClopathState, sig: &LocalSignals) {
        let t = sig.t_ms;
        if !s.t_ms.is_nan() && t > s.t_ms {
            if let Some(archive) = sig.drive {
                let gain = self.a_ltp * archive.integrate(s.t_ms, t, &[(s.x, self.tau_x_ms)]);
                *w = self.bounds.potentiate(*w, gain);
            }
            s.x *= (-(t - s.t_ms) / self.tau_x_ms).exp();
        }
        s.t_ms = t;
    }
}

impl Rule for Clopath {
    fn validate(&self) -> ParamResult<()> {
        non_negative("a_ltd", self.a_ltd)?;
        non_negative("a_ltp", self.a_ltp)?;
        positive("tau_x_ms", self.tau_x_ms)?;
        positive("tau_minus_ms", self.tau_minus_ms)?;
        positive("tau_plus_ms", self.tau_plus_ms)?;
        self.bounds.validate()?;
        check_bounds(self.bounds.w_min, self.bounds.w_max)
    }

    type State = ClopathState;

    fn name(&self) -> &'static str {
        "clopath"
    }

    fn needs(&self) -> Needs {
        Needs {
            drive: true,
            voltage_filters: [Some(self.tau_minus_ms), Some(self.tau_plus_ms)],
            tick_ms: Some(self.tick_ms),
            ..Needs::default()
        }
    }

    fn on_pre(&self, w: &mut f64, s: &mut ClopathState, sig: &LocalSignals) {
        self.advance(w, s, sig);
        let ltd = self.a_ltd * (sig.v_filtered[0] - self.theta_minus_mv).max(0.0);
        *w = self.bounds.depress(*w, ltd);
        s.x += 1.0;
    }

    fn on_tick(&self, w: &mut f64, s: &mut ClopathState, sig: &LocalSignals) {
        self.advance(w, s, sig);
    }

    fn compartment_drive(&self, c: &CompartmentSignals) -> f64 {
        (c.v_mv - self.theta_plus_mv).max(0.0) * (c.v_filtered[1] - self.theta_minus_mv).max(0.0)
    }
}

/// No rate form: the rate engine refuses this rule.
impl RateForm for Clopath {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drive::DriveArchive;

    #[test]
    fn clamped_depolarisation_gives_closed_form_ltd_and_ltp() {
        // u held at -40 mV for long (ū± = u): a pre spike at 0 depresses by A_LTD (u - θ-) and
        // then potentiates by A_LTP (u - θ+)(u - θ-) Σ_k x̄(t_k) dt over 100 ms.
        let r = Clopath {
            bounds: WeightBounds::hard(-10.0, 10.0),
            ..Clopath::default()
        };
        let (u, dt) = (-40.0, 0.1);
        let mut archive = DriveArchive::default();
        for k in 1..=1000 {
            let c = CompartmentSignals {
                t_ms: k as f64 * dt,
                dt_ms: dt,
                v_mv: u,
                bap: 0.0,
                v_filtered: [u, u],
            };
            archive.push(c.t_ms, r.compartment_drive(&c) * dt);
        }
        let mut w = 0.0;
        let mut s = ClopathState::default();
        fn sig(t: f64, u: f64, a: &DriveArchive) -> LocalSignals<'_> {
            LocalSignals {
                t_ms: t,
                v_filtered: [u, u],
                drive: Some(a),
                ..LocalSignals::default()
            }
        }
        r.on_pre(&mut w, &mut s, &sig(0.0, u, &archive));
        let ltd = r.a_ltd * (u - r.theta_minus_mv);
        assert!((w + ltd).abs() < 1e-15);
        r.on_tick(&mut w, &mut s, &sig(100.0, u, &archive));
        let q = (-dt / r.tau_x_ms).exp();
        let sum = q * (1.0 - q.powi(1000)) / (1.0 - q);
        let ltp = r.a_ltp * (u - r.theta_plus_mv) * (u - r.theta_minus_mv) * sum * dt;
        assert!((w - (ltp - ltd)).abs() < 1e-12, "{w} vs {}", ltp - ltd);
        // Below θ+ there is no potentiation, only depression.
        let c = CompartmentSignals {
            v_mv: -50.0,
            v_filtered: [-50.0, -50.0],
            ..CompartmentSignals::default()
        };
        assert_eq!(r.compartment_drive(&c), 0.0);
    }
}
