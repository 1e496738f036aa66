//! Broadcast neuromodulators (reward, reward-prediction error, dopamine).
//!
//! A modulator is a scalar concentration `d(t)` that relaxes to a baseline with time constant
//! `τ_d` and jumps at release events: `d(t) = b + (d_k - b) exp(-(t - t_k)/τ_d)` after the release
//! at `t_k`. It is the same for every synapse that listens to it, so it is "local" in the sense of
//! volume transmission. Rules read it; only the experiment releases it.
//!
//! Three-factor rules need `∫ c(t) d(t) dt` for an eligibility `c(t) = c_0 exp(-(t - t_0)/τ_c)`;
//! [`Modulator::integral_with`] evaluates it exactly over the piecewise-exponential history (as
//! NEST's `stdp_dopamine_synapse` does with its volume transmitter).

use std::cell::Cell;
use std::collections::VecDeque;

use dendra_core::error::{ParamResult, finite, positive};

/// Parameters of a modulator.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModulatorParams {
    /// Relaxation time constant `τ_d` (ms). Default 200 (Izhikevich 2007).
    pub tau_ms: f64,
    /// Baseline concentration. Default 0.
    pub baseline: f64,
    /// History kept for exact integrals (ms). Default 10 000. Synapses are ticked more often
    /// than this by the engine, so no integral reaches further back.
    pub history_ms: f64,
}

impl Default for ModulatorParams {
    fn default() -> Self {
        ModulatorParams {
            tau_ms: 200.0,
            baseline: 0.0,
            history_ms: 10_000.0,
        }
    }
}

impl ModulatorParams {
    /// Check the values.
    pub fn validate(&self) -> ParamResult<()> {
        positive("tau_ms", self.tau_ms)?;
        finite("baseline", self.baseline)?;
        positive("history_ms", self.history_ms)?;
        Ok(())
    }
}

/// A modulator's state and recent history. Each thread holds its own copy (the engine keeps
/// one per worker): it remembers its latest decay in a `Cell`, so it is `Send` but not `Sync`.
#[derive(Debug, Clone)]
pub struct Modulator {
    params: ModulatorParams,
    /// `(t_k, d_k)`: time of each release and the concentration just after it, oldest first.
    /// The first entry is the initial condition.
    history: VecDeque<(f64, f64)>,
    /// `(t, exp(-(t - t_k)/τ_d))` for the latest release `t_k` at the last time asked (NaN:
    /// none). Every synapse updated in one step asks at the same time, so one exponential serves
    /// them all; a release clears it.
    latest: Cell<(f64, f64)>,
    /// The same at the time asked before `latest`'s: a clock that integrates step by step asks
    /// for the start of each step, which was the end of the one before.
    previous: Cell<(f64, f64)>,
}

impl Modulator {
    /// A modulator at its baseline since `t = -∞`.
    pub fn new(params: ModulatorParams) -> Self {
        let mut history = VecDeque::with_capacity(64);
        history.push_back((f64::NEG_INFINITY, params.baseline));
        Modulator {
            params,
            history,
            latest: Cell::new((f64::NAN, 0.0)),
            previous: Cell::new((f64::NAN, 0.0)),
        }
    }

    /// The parameters.
    pub fn params(&self) -> &ModulatorParams {
        &self.params
    }

    fn segment_value(&self, (t_k, d_k): (f64, f64), t_ms: f64) -> f64 {
        let b = self.params.baseline;
        if t_k == f64::NEG_INFINITY {
            d_k
        } else {
            b + (d_k - b) * (-(t_ms - t_k) / self.params.tau_ms).exp()
        }
    }

    /// Concentration at `t_ms` (not before the last release).
    pub fn at(&self, t_ms: f64) -> f64 {
        let last = *self.history.back().expect("history is never empty");
        self.segment_value(last, t_ms)
    }

    /// Release `amount` at `t_ms` (not before the last release): `d <- d + amount`.
    pub fn release(&mut self, t_ms: f64, amount: f64) {
        let d = self.at(t_ms) + amount;
        self.history.push_back((t_ms, d));
        self.latest.set((f64::NAN, 0.0));
        self.previous.set((f64::NAN, 0.0));
        let horizon = t_ms - self.params.history_ms;
        while self.history.len() > 2 && self.history[1].0 < horizon {
            self.history.pop_front();
        }
    }

    /// `exp(-(t - t_k)/τ_d)` for the latest release `t_k` (not after `t_ms`), remembered for
    /// the next caller at the same time.
    fn latest_decay(&self, t_k: f64, t_ms: f64) -> f64 {
        let latest = self.latest.get();
        if latest.0 == t_ms {
            return latest.1;
        }
        let decay = self.remembered_decay(t_k, t_ms);
        self.previous.set(latest);
        self.latest.set((t_ms, decay));
        decay
    }

    /// `exp(-(t - t_k)/τ_d)` as [`Modulator::latest_decay`], from either remembered time if it
    /// is one of them, without remembering a new one.
    #[inline]
    fn remembered_decay(&self, t_k: f64, t_ms: f64) -> f64 {
        for (t, decay) in [self.latest.get(), self.previous.get()] {
            if t == t_ms {
                return decay;
            }
        }
        (-(t_ms - t_k) / self.params.tau_ms).exp()
    }

    /// `∫_{t0}^{t1} c0 exp(-(t - t0)/τc) d(t) dt`, exact over the release history (t0 <= t1).
    pub fn integral_with(&self, c0: f64, tau_c_ms: f64, t0_ms: f64, t1_ms: f64) -> f64 {
        let decay_c = (-(t1_ms - t0_ms) / tau_c_ms).exp();
        self.integral_decaying(c0, tau_c_ms, t0_ms, t1_ms, decay_c)
    }

    /// [`Modulator::integral_with`] for a caller that has the eligibility's decay over the
    /// interval, `decay_c = exp(-(t1 - t0)/τc)`, at hand (a rule needs it to advance `c` too).
    /// The modulator's own decay at `t1` since its latest release is shared by every synapse
    /// updated at `t1`, so the common case (no release since `t0`) costs one exponential.
    pub fn integral_decaying(&self, c0: f64, tau_c_ms: f64, t0_ms: f64, t1_ms: f64, decay_c: f64) -> f64 {
        if c0 == 0.0 || t1_ms <= t0_ms {
            return 0.0;
        }
        let b = self.params.baseline;
        let tau_d = self.params.tau_ms;
        let mut total = 0.0;
        // Baseline part, over the whole interval.
        if b != 0.0 {
            total += c0 * b * tau_c_ms * (1.0 - decay_c);
        }
        // Excess part, segment by segment: (d_k - b) exp(-(t - t_k)/τd) on [max(t_k, t0), t_next),
        // from the segment that holds t0 (the first entry starts at -∞, so the walk back from
        // the latest release, where t0 usually falls, stops there at the latest).
        let tau = 1.0 / (1.0 / tau_c_ms + 1.0 / tau_d);
        let n = self.history.len();
        let (t_k, d_k) = self.history[n - 1];
        if t0_ms >= t_k {
            // The common case, no release since t0: the latest segment alone, over [t0, t1]
            // (the terms of the walk below for it, in the same order; at t0 the eligibility's
            // term of the exponent is -0, which leaves the modulator's unchanged).
            let excess = if t_k == f64::NEG_INFINITY { 0.0 } else { d_k - b };
            if excess != 0.0 {
                let f_a = self.remembered_decay(t_k, t0_ms);
                let f_e = decay_c * self.latest_decay(t_k, t1_ms);
                total += c0 * excess * tau * (f_a - f_e);
            }
            return total;
        }
        let mut first = n - 1;
        while first > 0 && self.history[first].0 > t0_ms {
            first -= 1;
        }
        for k in first..n {
            let (t_k, d_k) = self.history[k];
            let excess = if t_k == f64::NEG_INFINITY { 0.0 } else { d_k - b };
            if excess == 0.0 {
                continue;
            }
            // c0 excess ∫_a^e exp(-(t-t0)/τc - (t-t_k)/τd) dt
            let f = |t: f64| (-(t - t0_ms) / tau_c_ms - (t - t_k) / tau_d).exp();
            let a = t0_ms.max(t_k);
            let f_e = if k + 1 < n {
                let e = t1_ms.min(self.history[k + 1].0);
                if e <= a {
                    continue;
                }
                f(e)
            } else if t1_ms > a {
                // The latest segment runs to t1: exp(-(t1-t0)/τc) exp(-(t1-t_k)/τd).
                decay_c * self.latest_decay(t_k, t1_ms)
            } else {
                continue;
            };
            total += c0 * excess * tau * (f(a) - f_e);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_matches_quadrature() {
        let mut m = Modulator::new(ModulatorParams {
            tau_ms: 200.0,
            baseline: 0.01,
            history_ms: 1e4,
        });
        m.release(100.0, 0.5);
        m.release(400.0, 0.3);
        let d = |t: f64| {
            if t < 100.0 {
                0.01
            } else if t < 400.0 {
                0.01 + 0.5 * (-(t - 100.0) / 200.0f64).exp()
            } else {
                let d400 = 0.01 + 0.5 * (-(300.0) / 200.0f64).exp() + 0.3;
                0.01 + (d400 - 0.01) * (-(t - 400.0) / 200.0f64).exp()
            }
        };
        // Intervals over both releases, and after the latest one (the path without a walk),
        // for two eligibility time constants.
        for (t0, t1, tau_c) in [
            (50.0, 900.0, 1000.0),
            (450.0, 900.0, 1000.0),
            (450.0, 900.0, 300.0),
            (50.0, 900.0, 300.0),
            (400.0, 401.0, 1000.0),
        ] {
            let c0 = 2.0;
            let exact = m.integral_with(c0, tau_c, t0, t1);
            // Midpoint rule at 1 µs over the piecewise history.
            let h = 0.001;
            let mut q = 0.0;
            let mut t = t0 + h / 2.0;
            while t < t1 {
                q += c0 * (-(t - t0) / tau_c).exp() * d(t) * h;
                t += h;
            }
            assert!(
                (exact - q).abs() < 1e-6 * q.abs(),
                "[{t0}, {t1}], tau_c {tau_c}: {exact} vs {q}"
            );
        }
        assert!((m.at(400.0) - (0.01 + 0.5 * (-1.5f64).exp() + 0.3)).abs() < 1e-12);
    }

    #[test]
    fn a_release_clears_the_shared_decay_of_the_latest_segment() {
        let params = ModulatorParams {
            tau_ms: 200.0,
            baseline: 0.0,
            history_ms: 1e4,
        };
        let (c0, tau_c) = (1.5, 800.0);
        let mut asked = Modulator::new(params);
        asked.release(100.0, 0.5);
        // Asked at 500 with the release at 100 the latest: that decay is remembered...
        let before = asked.integral_with(c0, tau_c, 50.0, 500.0);
        asked.release(400.0, 0.3);
        // ... and must not serve the same time once a later release starts a new segment.
        let mut fresh = Modulator::new(params);
        fresh.release(100.0, 0.5);
        fresh.release(400.0, 0.3);
        let after = asked.integral_with(c0, tau_c, 50.0, 500.0);
        assert_eq!(after, fresh.integral_with(c0, tau_c, 50.0, 500.0));
        assert!(after > before, "the second release adds to the integral");
        // The shared decay gives what the exponential of the sum gives, to rounding.
        let decay_c = (-(500.0 - 50.0) / tau_c).exp();
        let shared = fresh.integral_decaying(c0, tau_c, 50.0, 500.0, decay_c);
        assert!((shared - after).abs() <= 1e-14 * after, "{shared} vs {after}");
    }
}
