//! `triplet_stdp`: the triplet rule of Pfister & Gerstner (2006), all-to-all.
//!
//! Presynaptic traces `r1` (`τ+`), `r2` (`τx`); postsynaptic traces `o1` (`τ-`), `o2` (`τy`),
//! all sampled just before the current spike:
//!
//! ```text
//! at a presynaptic spike:   w <- w - o1(t) · (A2- + A3- · r2(t))
//! at a postsynaptic spike:  w <- w + r1(t) · (A2+ + A3+ · o2(t))
//! ```
//!
//! Hard bounds `[w_min, w_max]`. Defaults: the all-to-all fit to visual cortex data (Pfister &
//! Gerstner 2006, Table 4): `τ+ = 16.8`, `τ- = 33.7`, `τx = 101`, `τy = 125` ms,
//! `A2+ = 5e-10`, `A3+ = 6.2e-3`, `A2- = 7e-3`, `A3- = 2.3e-4`.

use crate::bounds::WeightBounds;
use crate::bounds::check_bounds;
use crate::rate::RateForm;
use crate::rule::{Needs, Rule, TraceSpec};
use crate::signals::LocalSignals;
use dendra_core::error::{ParamResult, non_negative};

/// Triplet STDP.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TripletStdp {
    /// `τ+` (ms).
    pub tau_plus_ms: f64,
    /// `τ-` (ms).
    pub tau_minus_ms: f64,
    /// `τx` (ms).
    pub tau_x_ms: f64,
    /// `τy` (ms).
    pub tau_y_ms: f64,
    /// Pair potentiation `A2+`.
    pub a2_plus: f64,
    /// Triplet potentiation `A3+`.
    pub a3_plus: f64,
    /// Pair depression `A2-`.
    pub a2_minus: f64,
    /// Triplet depression `A3-`.
    pub a3_minus: f64,
    /// Lower weight bound.
    pub w_min: f64,
    /// Upper weight bound.
    pub w_max: f64,
}

impl Default for TripletStdp {
    fn default() -> Self {
        TripletStdp {
            tau_plus_ms: 16.8,
            tau_minus_ms: 33.7,
            tau_x_ms: 101.0,
            tau_y_ms: 125.0,
            a2_plus: 5e-10,
            a3_plus: 6.2e-3,
            a2_minus: 7e-3,
            a3_minus: 2.3e-4,
            w_min: 0.0,
            w_max: 1.0,
        }
    }
}

impl Rule for TripletStdp {
    fn validate(&self) -> ParamResult<()> {
        for (k, v) in [
            ("a2_plus", self.a2_plus),
            ("a3_plus", self.a3_plus),
            ("a2_minus", self.a2_minus),
            ("a3_minus", self.a3_minus),
        ] {
            non_negative(k, v)?;
        }
        check_bounds(self.w_min, self.w_max)
    }

    type State = ();

    fn name(&self) -> &'static str {
        "triplet_stdp"
    }

    fn needs(&self) -> Needs {
        Needs {
            pre: [
                Some(TraceSpec::all_to_all(self.tau_plus_ms)),
                Some(TraceSpec::all_to_all(self.tau_x_ms)),
            ],
            post: [
                Some(TraceSpec::all_to_all(self.tau_minus_ms)),
                Some(TraceSpec::all_to_all(self.tau_y_ms)),
            ],
            post_events: true,
            ..Needs::default()
        }
    }

    fn on_pre(&self, w: &mut f64, _state: &mut (), sig: &LocalSignals) {
        let dw = sig.post[0] * (self.a2_minus + self.a3_minus * sig.pre[1]);
        *w = WeightBounds::hard(self.w_min, self.w_max).depress(*w, dw);
    }

    fn on_post(&self, w: &mut f64, _state: &mut (), sig: &LocalSignals) {
        let dw = sig.pre[0] * (self.a2_plus + self.a3_plus * sig.post[1]);
        *w = WeightBounds::hard(self.w_min, self.w_max).potentiate(*w, dw);
    }
}

/// No rate form: the rate engine refuses this rule.
impl RateForm for TripletStdp {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Trace;

    /// Replay spikes `(t, is_pre)` in time order with engine-style traces.
    fn replay(rule: &TripletStdp, spikes: &[(f64, bool)]) -> f64 {
        let n = rule.needs();
        let taus = |s: [Option<TraceSpec>; 2]| [s[0].unwrap().tau_ms, s[1].unwrap().tau_ms];
        let (tp, tq) = (taus(n.pre), taus(n.post));
        let mut pre = [Trace::default(); 2];
        let mut post = [Trace::default(); 2];
        let mut w = 0.5;
        for &(t, is_pre) in spikes {
            let sig = LocalSignals {
                t_ms: t,
                pre: [pre[0].at(t, tp[0]), pre[1].at(t, tp[1])],
                post: [post[0].at(t, tq[0]), post[1].at(t, tq[1])],
                bap: f64::from(!is_pre),
                ..LocalSignals::default()
            };
            if is_pre {
                rule.on_pre(&mut w, &mut (), &sig);
                pre.iter_mut().zip(tp).for_each(|(x, tau)| x.bump(t, tau, 1.0));
            } else {
                rule.on_post(&mut w, &mut (), &sig);
                post.iter_mut().zip(tq).for_each(|(x, tau)| x.bump(t, tau, 1.0));
            }
        }
        w - 0.5
    }

    #[test]
    fn post_pre_post_triplet_matches_closed_form() {
        let r = TripletStdp::default();
        // post at 0, pre at 10, post at 20.
        let got = replay(&r, &[(0.0, false), (10.0, true), (20.0, false)]);
        let dep = (-10.0 / r.tau_minus_ms).exp() * r.a2_minus; // r2 = 0 before the first pre spike
        let pot = (-10.0 / r.tau_plus_ms).exp() * (r.a2_plus + r.a3_plus * (-20.0 / r.tau_y_ms).exp());
        assert!((got - (pot - dep)).abs() < 1e-12, "{got} vs {}", pot - dep);
    }

    #[test]
    fn pairing_frequency_dependence() {
        // 60 pairings at lag `lag` ms and frequency `hz` (Sjöström et al. 2001 protocol,
        // Pfister & Gerstner 2006 Fig. 4): pre-post pairs potentiate more at higher rates;
        // post-pre pairs depress at low rates and potentiate at high rates.
        let r = TripletStdp {
            w_max: 100.0,
            ..TripletStdp::default()
        };
        let protocol = |hz: f64, lag: f64| {
            let period = 1000.0 / hz;
            let mut s = Vec::new();
            for k in 0..60 {
                let t = 100.0 + k as f64 * period;
                s.push((t, true));
                s.push((t + lag, false));
            }
            s.sort_by(|a, b| a.0.total_cmp(&b.0));
            replay(&r, &s)
        };
        assert!(protocol(1.0, -10.0) < 0.0, "{}", protocol(1.0, -10.0));
        assert!(protocol(50.0, -10.0) > 0.0, "{}", protocol(50.0, -10.0));
        assert!(protocol(1.0, 10.0) < protocol(20.0, 10.0));
        assert!(protocol(20.0, 10.0) < protocol(50.0, 10.0));
    }
}
