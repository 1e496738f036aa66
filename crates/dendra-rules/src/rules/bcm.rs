//! `bcm`: the Bienenstock–Cooper–Munro rule with a sliding threshold (BCM 1982; Intrator &
//! Cooper 1992 form).
//!
//! ```text
//! dw/dt = η x y (y - θ),      θ = <y²>  (running average over τ_θ, kept per compartment)
//! ```
//!
//! Activity above the threshold potentiates, below it depresses; the threshold slides with the
//! average squared postsynaptic activity, which stabilises the rule. Rate engine only; the engine
//! keeps `θ` per compartment, as [`RateForm::post_sq_avg_ms`] asks, and provides it as
//! [`RateCompartment::post_sq_avg`].

use crate::bounds::WeightBounds;
use crate::bounds::check_bounds;
use crate::rate::{RateCompartment, RateForm, RateTerms};
use crate::rule::{Needs, Rule};
use crate::signals::LocalSignals;
use dendra_core::error::{ParamResult, non_negative, positive};

/// The BCM rule.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bcm {
    /// Learning rate `η` (per ms). Default 1e-4.
    pub eta: f64,
    /// Threshold averaging time `τ_θ` (ms). Default 1000.
    pub tau_theta_ms: f64,
    /// Weight bounds. Default hard `[0, 10]`.
    pub bounds: WeightBounds,
}

impl Default for Bcm {
    fn default() -> Self {
        Bcm {
            eta: 1e-4,
            tau_theta_ms: 1000.0,
            bounds: WeightBounds::hard(0.0, 10.0),
        }
    }
}

impl Rule for Bcm {
    fn validate(&self) -> ParamResult<()> {
        non_negative("eta", self.eta)?;
        positive("tau_theta_ms", self.tau_theta_ms)?;
        self.bounds.validate()?;
        check_bounds(self.bounds.w_min, self.bounds.w_max)
    }

    fn is_rate_only(&self) -> bool {
        true
    }

    type State = ();

    fn name(&self) -> &'static str {
        "bcm"
    }

    fn needs(&self) -> Needs {
        Needs::default()
    }

    fn on_pre(&self, _w: &mut f64, _state: &mut (), _sig: &LocalSignals) {}
}

impl RateForm for Bcm {
    fn has_rate_form(&self) -> bool {
        true
    }

    /// `hebb = η y (y - θ)`.
    fn rate_terms(&self, c: &RateCompartment) -> RateTerms {
        RateTerms {
            hebb: self.eta * c.post * (c.post - c.post_sq_avg),
            ..RateTerms::ZERO
        }
    }

    fn rate_apply(&self, w: f64, _aux: &mut f64, dw: f64, _dt_ms: f64) -> f64 {
        self.bounds.apply(w, dw)
    }

    fn post_sq_avg_ms(&self) -> Option<f64> {
        Some(self.tau_theta_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::RateSignals;

    #[test]
    fn threshold_tracks_mean_squared_activity_and_sign_follows_it() {
        // Alternate y between 1 and 3 every 10 ms: <y²> = 5.
        let mut theta = 0.0;
        for k in 0..100_000 {
            let y = if (k / 10) % 2 == 0 { 1.0 } else { 3.0 };
            theta = crate::rate::advance_post_sq_avg(theta, y * y, 1.0, 1000.0);
        }
        assert!((theta - 5.0).abs() < 0.1, "theta {theta}");
        let r = Bcm::default();
        let mut up = 1.0;
        r.on_rate(
            &mut up,
            &mut 0.0,
            &RateSignals {
                dt_ms: 1.0,
                pre: 2.0,
                post: 3.0,
                post_sq_avg: theta,
                ..RateSignals::default()
            },
        );
        let mut down = 1.0;
        r.on_rate(
            &mut down,
            &mut 0.0,
            &RateSignals {
                dt_ms: 1.0,
                pre: 2.0,
                post: 1.0,
                post_sq_avg: theta,
                ..RateSignals::default()
            },
        );
        assert!((up - 1.0 - 1e-4 * 2.0 * 3.0 * (3.0 - theta)).abs() < 1e-12);
        assert!(up < 1.0 && down < 1.0, "both below θ = 5 depress: {up} {down}");
        let mut high = 1.0;
        r.on_rate(
            &mut high,
            &mut 0.0,
            &RateSignals {
                dt_ms: 1.0,
                pre: 2.0,
                post: 6.0,
                post_sq_avg: theta,
                ..RateSignals::default()
            },
        );
        assert!(high > 1.0, "above θ potentiates");
    }
}
