//! `reward_modulated`: three-factor plasticity with slow consolidation ("stable, reward-based").
//!
//! An eligibility trace `c` collects STDP-like coincidences of presynaptic input and the bAP in
//! the synapse's compartment, and decays with `τ_c`; a broadcast neuromodulator `d(t)` (reward or
//! reward-prediction error) turns eligibility into a labile weight change, which is consolidated
//! into a stable component over `τ_cons` (Izhikevich 2007; Frémaux & Gerstner 2016; consolidation
//! after Clopath et al. 2008 / Benna & Fusi 2016):
//!
//! ```text
//! at a presynaptic spike:  c <- c - A- · y(t)            (y: bAP trace, τ-)
//! at a bAP arrival:        c <- c + a · A+ · x(t)        (x: presynaptic trace, τ+)
//! dc/dt = -c / τ_c
//! dL/dt = η c(t) d(t) - L / τ_cons,    dS/dt = L / τ_cons,    w = clip(S + L, w_min, w_max)
//! ```
//!
//! Between events the rule advances lazily: `∫ c d dt` exactly over the modulator's history (see
//! [`crate::Modulator::integral_decaying`]), then the exact relaxation of `L` into `S` over the
//! elapsed time (Strang splitting between the two, error `O((Δt/τ_cons)²)`). A periodic tick
//! (`tick_ms`) keeps every synapse's last update recent. A single pairing that leaves eligibility
//! `c_0` and a reward released `D` ms later changes the weight by `η c_0 exp(-D/τ_c) R τ'`, with
//! `R` the released amount and `τ' = (1/τ_c + 1/τ_d)⁻¹`.

use crate::rate::{RateCompartment, RateTerms};
use crate::rule::{Needs, Rule, TraceSpec};
use crate::signals::{LocalSignals, Stamp};
use crate::trace::decay;

/// Three-factor, reward-gated plasticity with consolidation.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RewardModulated {
    /// Eligibility increment for pre-before-bAP `A+`. Default 1.
    pub a_plus: f64,
    /// Eligibility decrement for bAP-before-pre `A-`. Default 1.5.
    pub a_minus: f64,
    /// `τ+` (ms). Default 20.
    pub tau_plus_ms: f64,
    /// `τ-` (ms). Default 20.
    pub tau_minus_ms: f64,
    /// Eligibility time constant `τ_c` (ms). Default 1000 (Izhikevich 2007).
    pub tau_c_ms: f64,
    /// Learning rate `η` (weight units per unit eligibility × modulator × ms). Default 1e-3.
    pub eta: f64,
    /// Consolidation time constant `τ_cons` (ms); infinite: no consolidation. Default 600 000.
    pub tau_cons_ms: f64,
    /// Lower weight bound. Default 0.
    pub w_min: f64,
    /// Upper weight bound. Default 1.
    pub w_max: f64,
    /// Period of the lazy catch-up tick (ms). Default 1000. It also keeps each synapse's
    /// 4-byte [`Stamp`] exact, which needs a tick within 2^32 steps (about 5 days at 0.1 ms).
    pub tick_ms: f64,
}

impl Default for RewardModulated {
    fn default() -> Self {
        RewardModulated {
            a_plus: 1.0,
            a_minus: 1.5,
            tau_plus_ms: 20.0,
            tau_minus_ms: 20.0,
            tau_c_ms: 1000.0,
            eta: 1e-3,
            tau_cons_ms: 600_000.0,
            w_min: 0.0,
            w_max: 1.0,
            tick_ms: 1000.0,
        }
    }
}

/// Per-synapse state of [`RewardModulated`] (12 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RewardState {
    /// Eligibility just after the last update.
    pub c: f32,
    /// Labile weight component `L` (the stable one is `w - L`).
    pub labile: f32,
    /// When the synapse was last brought up to date (step 0 before its first update; the
    /// periodic tick keeps it recent).
    pub updated: Stamp,
}

impl RewardModulated {
    /// Bring `c`, `L` and `w` from the last update to `t`.
    fn advance(&self, w: &mut f64, s: &mut RewardState, sig: &LocalSignals) {
        let t = sig.t_ms;
        let t_last = sig.time_of(s.updated);
        let dt = t - t_last;
        if dt <= 0.0 {
            return;
        }
        let c0 = f64::from(s.c);
        let decay_c = (-dt / self.tau_c_ms).exp();
        let gain = match sig.modulator {
            Some(m) if c0 != 0.0 => self.eta * m.integral_decaying(c0, self.tau_c_ms, t_last, t, decay_c),
            _ => 0.0,
        };
        let mut labile = f64::from(s.labile);
        let stable = *w - labile;
        // Strang splitting: half the consolidation, the reward-gated gain, the other half.
        let half = if self.tau_cons_ms.is_finite() {
            decay(dt / (2.0 * self.tau_cons_ms))
        } else {
            1.0
        };
        let mut moved = labile * (1.0 - half);
        labile = labile * half + gain;
        moved += labile * (1.0 - half);
        labile *= half;
        let total = (stable + moved + labile).clamp(self.w_min, self.w_max);
        // Clipping removes weight from the labile part first.
        labile = total - (stable + moved);
        *w = total;
        s.labile = labile as f32;
        s.c = (c0 * decay_c) as f32;
        s.updated = sig.stamp();
    }
}

impl Rule for RewardModulated {
    type State = RewardState;

    fn name(&self) -> &'static str {
        "reward_modulated"
    }

    fn needs(&self) -> Needs {
        Needs {
            pre: [Some(TraceSpec::all_to_all(self.tau_plus_ms)), None],
            post: [Some(TraceSpec::all_to_all(self.tau_minus_ms)), None],
            post_events: true,
            modulator: true,
            tick_ms: Some(self.tick_ms),
            ..Needs::default()
        }
    }

    fn on_pre(&self, w: &mut f64, s: &mut RewardState, sig: &LocalSignals) {
        self.advance(w, s, sig);
        s.c -= (self.a_minus * sig.post[0]) as f32;
    }

    fn on_post(&self, w: &mut f64, s: &mut RewardState, sig: &LocalSignals) {
        self.advance(w, s, sig);
        s.c += (sig.bap * self.a_plus * sig.pre[0]) as f32;
    }

    fn on_tick(&self, w: &mut f64, s: &mut RewardState, sig: &LocalSignals) {
        self.advance(w, s, sig);
    }

    fn has_rate_form(&self) -> bool {
        true
    }

    /// Rate form: within one sample the eligibility is the coincidence `A+ · x · y` of input
    /// and somatic activity, and the sample's modulator `d` turns it into a labile change
    /// `η d A+ x y` (one sample is short against `τ_c`).
    fn rate_terms(&self, c: &RateCompartment) -> RateTerms {
        RateTerms {
            hebb: self.eta * self.a_plus * c.modulator * c.post,
            ..RateTerms::ZERO
        }
    }

    /// The change enters the labile component `aux`, which then relaxes into the stable one
    /// over `dt` exactly (`L <- (L + Δ) e^{-dt/τ_cons}`, `S <- S + (L + Δ)(1 - e^{-dt/τ_cons})`);
    /// clipping to the bounds removes weight from the labile part first.
    fn rate_apply(&self, w: f64, aux: &mut f64, dw: f64, dt_ms: f64) -> f64 {
        let stay = if self.tau_cons_ms.is_finite() {
            decay(dt_ms / self.tau_cons_ms)
        } else {
            1.0
        };
        let labile = *aux + dw;
        let stable = w - *aux + labile * (1.0 - stay);
        let total = (stable + labile * stay).clamp(self.w_min, self.w_max);
        *aux = total - stable;
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modulator::{Modulator, ModulatorParams};

    /// A pre-post pairing at t = 0 / 10 ms, a reward `delay` ms after it, then a tick at 20 s.
    fn reward_after(delay: f64, tau_cons_ms: f64) -> (f64, RewardState) {
        let rule = RewardModulated {
            tau_cons_ms,
            w_max: 100.0,
            ..RewardModulated::default()
        };
        let mut m = Modulator::new(ModulatorParams {
            tau_ms: 200.0,
            baseline: 0.0,
            history_ms: 1e5,
        });
        let mut w = 1.0;
        let mut s = rule.init(w);
        fn sig(t: f64, pre: f64, m: &Modulator) -> LocalSignals<'_> {
            LocalSignals {
                pre: [pre, 0.0],
                bap: 1.0,
                modulator: Some(m),
                ..LocalSignals::at_step((t / 0.1).round() as u64, 0.1)
            }
        }
        rule.on_pre(&mut w, &mut s, &sig(0.0, 0.0, &m));
        let x = (-10.0 / rule.tau_plus_ms).exp();
        rule.on_post(&mut w, &mut s, &sig(10.0, x, &m));
        m.release(10.0 + delay, 1.0);
        // Ticks every 100 ms, as the engine would with tick_ms = 100.
        for k in 1..=200 {
            rule.on_tick(&mut w, &mut s, &sig(10.0 + 100.0 * k as f64, 0.0, &m));
        }
        (w - 1.0, s)
    }

    #[test]
    fn delayed_reward_scales_with_eligibility_decay() {
        let rule = RewardModulated::default();
        let c0 = rule.a_plus * (-10.0 / rule.tau_plus_ms).exp();
        let tau = 1.0 / (1.0 / rule.tau_c_ms + 1.0 / 200.0);
        for delay in [0.0, 500.0, 1000.0, 2000.0] {
            let (dw, _) = reward_after(delay, f64::INFINITY);
            // Reward at 10 + delay; the modulator decays to ~0 well before 20 s.
            let expected = rule.eta * c0 * (-delay / rule.tau_c_ms).exp() * tau;
            assert!(
                (dw - expected).abs() < 1e-6 * expected,
                "delay {delay}: {dw} vs {expected}"
            );
        }
    }

    #[test]
    fn no_reward_no_change_and_consolidation_moves_labile_to_stable() {
        let rule = RewardModulated::default();
        let mut w = 0.5;
        let mut s = rule.init(w);
        let m = Modulator::new(ModulatorParams::default());
        for (t, pre) in [(0.0_f64, 0.0), (10.0, 0.6)] {
            let sig = LocalSignals {
                pre: [pre, 0.0],
                bap: 1.0,
                modulator: Some(&m),
                ..LocalSignals::at_step((t / 0.1).round() as u64, 0.1)
            };
            rule.on_post(&mut w, &mut s, &sig);
        }
        assert_eq!(w, 0.5, "eligibility alone does not change the weight");
        let (dw, s) = reward_after(0.0, 1000.0);
        assert!(dw > 0.0);
        // After 20 s with τ_cons = 1 s nearly all of the change is stable (e^-20 left).
        assert!(f64::from(s.labile).abs() < 1e-6 * dw, "labile {}", s.labile);
        let (dw_plain, _) = reward_after(0.0, f64::INFINITY);
        assert!(
            (dw - dw_plain).abs() < 0.02 * dw_plain,
            "consolidation keeps the total: {dw} vs {dw_plain}"
        );
    }
}
