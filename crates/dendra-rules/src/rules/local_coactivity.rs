//! `local_coactivity`: apical-dendrite plasticity driven by the co-activity of nearby synapses,
//! as found by Wright, Hedrick & Komiyama (Science 2025): apical spines potentiate with the
//! co-activity of neighbouring spines on the same branch (within ~10 µm in their analysis code),
//! independently of somatic spikes.
//!
//! At a presynaptic spike, with `n` the number of *other* synapses on the same branch within
//! `radius_um` whose input was active within `window_ms` before (see [`CoactivityRegister`](crate::rules::CoactivityRegister)):
//!
//! ```text
//! w <- w + A+ · min(n, n_max) - A-
//! ```
//!
//! so clustered, co-active inputs grow and isolated inputs shrink. No postsynaptic spike or bAP
//! enters the rule. Soft or hard bounds.

use crate::bounds::WeightBounds;
use crate::bounds::check_bounds;
use crate::rate::RateForm;
use crate::rule::{CoactivitySpec, Needs, Rule};
use crate::signals::LocalSignals;
use dendra_core::error::{ParamResult, non_negative};

/// Co-activity-driven plasticity.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalCoactivity {
    /// Potentiation per co-active neighbour `A+` (weight units). Default 0.01.
    pub a_plus: f64,
    /// Depression per presynaptic spike `A-` (weight units). Default 0.004.
    pub a_minus: f64,
    /// Neighbourhood radius (µm). Default 10.
    pub radius_um: f64,
    /// Co-activity window (ms). Default 50.
    pub window_ms: f64,
    /// Neighbours counted at most. Default 5.
    pub n_max: u32,
    /// Weight bounds. Default soft `[0, 1]`.
    pub bounds: WeightBounds,
}

impl Default for LocalCoactivity {
    fn default() -> Self {
        LocalCoactivity {
            a_plus: 0.01,
            a_minus: 0.004,
            radius_um: 10.0,
            window_ms: 50.0,
            n_max: 5,
            bounds: WeightBounds::soft(0.0, 1.0),
        }
    }
}

impl Rule for LocalCoactivity {
    fn validate(&self) -> ParamResult<()> {
        non_negative("a_plus", self.a_plus)?;
        non_negative("a_minus", self.a_minus)?;
        self.bounds.validate()?;
        check_bounds(self.bounds.w_min, self.bounds.w_max)
    }

    type State = ();

    fn name(&self) -> &'static str {
        "local_coactivity"
    }

    fn needs(&self) -> Needs {
        Needs {
            coactivity: Some(CoactivitySpec {
                radius_um: self.radius_um,
                window_ms: self.window_ms,
            }),
            ..Needs::default()
        }
    }

    fn on_pre(&self, w: &mut f64, _state: &mut (), sig: &LocalSignals) {
        let scale = self.bounds.scale();
        let dw = self.a_plus * f64::from(sig.coactive.min(self.n_max)) - self.a_minus;
        *w = self.bounds.apply(*w, scale * dw);
    }
}

/// No rate form: the rate engine refuses this rule.
impl RateForm for LocalCoactivity {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_is_linear_in_neighbours_and_independent_of_spikes() {
        let r = LocalCoactivity {
            bounds: WeightBounds::hard(0.0, 1.0),
            ..LocalCoactivity::default()
        };
        for n in 0..8u32 {
            let mut w = 0.5;
            let sig = LocalSignals {
                coactive: n,
                // A bAP trace must not matter.
                post: [5.0, 5.0],
                ..LocalSignals::default()
            };
            r.on_pre(&mut w, &mut (), &sig);
            let expected = 0.5 + r.a_plus * f64::from(n.min(r.n_max)) - r.a_minus;
            assert!((w - expected).abs() < 1e-12, "n {n}: {w}");
        }
        assert!(r.needs().post[0].is_none() && !r.needs().post_events);
    }
}
