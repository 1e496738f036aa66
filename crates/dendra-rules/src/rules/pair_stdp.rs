//! `pair_stdp`: pair-based spike-timing-dependent plasticity.
//!
//! With presynaptic trace `x` (time constant `τ+`) and postsynaptic trace `y` (`τ-`) of the
//! synapse's compartment:
//!
//! ```text
//! at a presynaptic spike:   w <- w - A- · f-(w) · y(t)      then x <- x + 1   (x <- 1 if nearest)
//! at a postsynaptic spike:  w <- w + A+ · f+(w) · x(t)      then y <- y + a   (y <- a if nearest)
//! ```
//!
//! so one pairing with lag `Δt = t_post - t_pre` changes the weight by `A+ exp(-Δt/τ+)` for
//! `Δt > 0` and `-A- exp(Δt/τ-)` for `Δt < 0` (Bi & Poo 1998; Song, Miller & Abbott 2000;
//! Morrison, Diesmann & Gerstner 2008 for the all-to-all / nearest variants). `a` is the bAP's
//! strength in this compartment (1 on the soma). Additive: `f± = 1`, hard bounds
//! `[w_min, w_max]`; multiplicative (van Rossum et al. 2000, Rubin et al. 2001): `f+ = (w_max -
//! w)/(w_max - w_min)`, `f- = (w - w_min)/(w_max - w_min)`. `A±` are in weight units.

use crate::bounds::WeightBounds;
use crate::bounds::check_bounds;
use crate::rate::RateForm;
use crate::rule::{Needs, Rule, TraceSpec};
use crate::signals::LocalSignals;
use dendra_core::error::{ParamResult, non_negative};

/// Additive or multiplicative weight dependence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StdpUpdate {
    /// Changes independent of `w`, clipped at the bounds.
    Additive,
    /// Changes scaled by the distance to the bound they move towards.
    Multiplicative,
}

/// Which spike pairs interact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StdpPairing {
    /// Every pre spike with every post spike.
    AllToAll,
    /// Each spike with the nearest spike of the other side only.
    Nearest,
}

/// Pair STDP.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PairStdp {
    /// Potentiation amplitude `A+` (weight units). Default 0.01.
    pub a_plus: f64,
    /// Depression amplitude `A-` (weight units). Default 0.0105.
    pub a_minus: f64,
    /// Potentiation window `τ+` (ms). Default 20.
    pub tau_plus_ms: f64,
    /// Depression window `τ-` (ms). Default 20.
    pub tau_minus_ms: f64,
    /// Weight bounds. Default hard `[0, 1]`.
    pub w_min: f64,
    /// Upper bound.
    pub w_max: f64,
    /// Additive or multiplicative. Default additive.
    pub update: StdpUpdate,
    /// All-to-all or nearest. Default all-to-all.
    pub pairing: StdpPairing,
}

impl Default for PairStdp {
    fn default() -> Self {
        PairStdp {
            a_plus: 0.01,
            a_minus: 0.0105,
            tau_plus_ms: 20.0,
            tau_minus_ms: 20.0,
            w_min: 0.0,
            w_max: 1.0,
            update: StdpUpdate::Additive,
            pairing: StdpPairing::AllToAll,
        }
    }
}

impl PairStdp {
    fn bounds(&self) -> WeightBounds {
        WeightBounds {
            w_min: self.w_min,
            w_max: self.w_max,
            soft: self.update == StdpUpdate::Multiplicative,
        }
    }

    /// Scale of a nominal change for the bounds (`A / (w_max - w_min)` for soft bounds).
    fn scale(&self, a: f64) -> f64 {
        a * self.bounds().scale()
    }

    /// The change of weight for one isolated pairing at lag `dt_ms = t_post - t_pre` starting
    /// from weight `w` (the STDP window).
    pub fn window(&self, w: f64, dt_ms: f64) -> f64 {
        let b = self.bounds();
        if dt_ms > 0.0 {
            b.potentiate(w, self.scale(self.a_plus) * (-dt_ms / self.tau_plus_ms).exp()) - w
        } else if dt_ms < 0.0 {
            b.depress(w, self.scale(self.a_minus) * (dt_ms / self.tau_minus_ms).exp()) - w
        } else {
            0.0
        }
    }
}

impl Rule for PairStdp {
    fn validate(&self) -> ParamResult<()> {
        non_negative("a_plus", self.a_plus)?;
        non_negative("a_minus", self.a_minus)?;
        check_bounds(self.w_min, self.w_max)
    }

    type State = ();

    fn name(&self) -> &'static str {
        "pair_stdp"
    }

    fn needs(&self) -> Needs {
        let nearest = self.pairing == StdpPairing::Nearest;
        let spec = |tau| TraceSpec { tau_ms: tau, nearest };
        Needs {
            pre: [Some(spec(self.tau_plus_ms)), None],
            post: [Some(spec(self.tau_minus_ms)), None],
            post_events: true,
            ..Needs::default()
        }
    }

    fn on_pre(&self, w: &mut f64, _state: &mut (), sig: &LocalSignals) {
        *w = self.bounds().depress(*w, self.scale(self.a_minus) * sig.post[0]);
    }

    fn on_post(&self, w: &mut f64, _state: &mut (), sig: &LocalSignals) {
        *w = self.bounds().potentiate(*w, self.scale(self.a_plus) * sig.pre[0]);
    }
}

/// No rate form: the rate engine refuses this rule.
impl RateForm for PairStdp {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Trace;

    /// Drive the rule through a pre spike at `t_pre` and a post spike at `t_post`, keeping the
    /// traces the way the engine does.
    fn pairing(rule: &PairStdp, w0: f64, t_pre: f64, t_post: f64) -> f64 {
        let needs = rule.needs();
        let (tp, tm) = (needs.pre[0].unwrap().tau_ms, needs.post[0].unwrap().tau_ms);
        let (mut x, mut y) = (Trace::default(), Trace::default());
        let mut w = w0;
        let mut events = [(t_pre, true), (t_post, false)];
        events.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (t, is_pre) in events {
            let sig = LocalSignals {
                t_ms: t,
                pre: [x.at(t, tp), 0.0],
                post: [y.at(t, tm), 0.0],
                bap: if is_pre { 0.0 } else { 1.0 },
                ..LocalSignals::default()
            };
            if is_pre {
                rule.on_pre(&mut w, &mut (), &sig);
                x.bump(t, tp, 1.0);
            } else {
                rule.on_post(&mut w, &mut (), &sig);
                y.bump(t, tm, 1.0);
            }
        }
        w - w0
    }

    #[test]
    fn sampled_window_equals_formula() {
        for update in [StdpUpdate::Additive, StdpUpdate::Multiplicative] {
            let rule = PairStdp {
                update,
                ..PairStdp::default()
            };
            for k in -100..=100 {
                let dt = k as f64 * 0.5;
                if dt == 0.0 {
                    continue;
                }
                let got = pairing(&rule, 0.5, 100.0, 100.0 + dt);
                let expected = rule.window(0.5, dt);
                assert!(
                    (got - expected).abs() < 1e-12,
                    "{update:?} dt {dt}: {got} vs {expected}"
                );
                let analytic = if dt > 0.0 {
                    let f = if update == StdpUpdate::Additive { 1.0 } else { 0.5 };
                    0.01 * f * (-dt / 20.0).exp()
                } else {
                    let f = if update == StdpUpdate::Additive { 1.0 } else { 0.5 };
                    -0.0105 * f * (dt / 20.0).exp()
                };
                assert!(
                    (got - analytic).abs() < 1e-12,
                    "{update:?} dt {dt}: {got} vs {analytic}"
                );
            }
        }
    }

    #[test]
    fn additive_weights_stay_in_bounds() {
        let rule = PairStdp {
            a_plus: 0.5,
            ..PairStdp::default()
        };
        assert!((pairing(&rule, 0.9, 0.0, 1.0) - 0.1).abs() < 1e-12);
        let rule = PairStdp {
            a_minus: 0.5,
            ..PairStdp::default()
        };
        assert!((pairing(&rule, 0.1, 1.0, 0.0) + 0.1).abs() < 1e-12);
    }

    #[test]
    fn nearest_pairing_ignores_earlier_spikes() {
        // Two pre spikes then a post spike: all-to-all sums both, nearest counts the last only.
        let run = |pairing: StdpPairing| {
            let rule = PairStdp {
                pairing,
                ..PairStdp::default()
            };
            let spec = rule.needs().pre[0].unwrap();
            let mut x = Trace::default();
            for t in [0.0, 10.0] {
                if spec.nearest {
                    x.set(t, 1.0);
                } else {
                    x.bump(t, spec.tau_ms, 1.0);
                }
            }
            let mut w = 0.5;
            let sig = LocalSignals {
                t_ms: 15.0,
                pre: [x.at(15.0, spec.tau_ms), 0.0],
                bap: 1.0,
                ..LocalSignals::default()
            };
            rule.on_post(&mut w, &mut (), &sig);
            w - 0.5
        };
        let a2a = run(StdpPairing::AllToAll);
        let nn = run(StdpPairing::Nearest);
        assert!((nn - 0.01 * (-5.0f64 / 20.0).exp()).abs() < 1e-12);
        assert!((a2a - 0.01 * ((-5.0f64 / 20.0).exp() + (-15.0f64 / 20.0).exp())).abs() < 1e-12);
    }
}
