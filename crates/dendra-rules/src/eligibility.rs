//! A shared clock for eligibility traces integrated against a broadcast neuromodulator.
//!
//! A three-factor rule keeps, per synapse, an eligibility `c(t)` that decays with `τ_c` between
//! events and turns into a weight change at the rate `η c(t) d(t)` of its modulator `d(t)`.
//! Advancing one synapse from `t_0` to `t_1` in closed form needs `exp(-(t_1 - t_0)/τ_c)` and the
//! integral `∫ c d dt` over the modulator's history ([`Modulator::integral_decaying`]): two or
//! three exponentials per synapse and event.
//!
//! With this clock a rule stores its eligibility scaled to the start `T` of the current epoch,
//! `ĉ = c(t) · exp((t - T)/τ_c)`, which does not change between events. Then, with
//! `g(t) = exp(-(t - T)/τ_c)` and `G(t) = ∫_T^t g(s) d(s) ds`,
//!
//! ```text
//! c(t) = ĉ · g(t),        ∫_{t_0}^{t_1} c(s) d(s) ds = ĉ · (G(t_1) - G(t_0)),
//! ```
//!
//! the same for every synapse. The engine advances the clock once per step (`g` and `G` at the
//! step, `G` exact over the modulator's history, releases within the step included) and keeps
//! `G` at every step of the epoch, so that an update costs two look-ups and no exponential.
//! Epochs start at the rule's periodic ticks, where every synapse is brought up to date and its
//! `ĉ` rescaled to the new epoch (`ĉ ← ĉ · g(t)`, [`EligibilityClock::factor`]); no update
//! therefore reaches back beyond one epoch. Epochs are at most [`MAX_EPOCH_TAUS`] time
//! constants long, so that scaled values stay far from overflow even in single precision.

use crate::modulator::Modulator;
use crate::signals::Stamp;

/// The longest epoch (in eligibility time constants) for which the engine keeps a clock:
/// scaled eligibilities grow by at most `e^60` within an epoch (`f32` reaches `e^88`). A rule
/// whose ticks are further apart falls back to the closed form.
pub const MAX_EPOCH_TAUS: f64 = 60.0;

/// The eligibility clock of one rule with time constant `τ_c` (see the module docs).
#[derive(Debug, Clone)]
pub struct EligibilityClock {
    tau_ms: f64,
    dt_ms: f64,
    /// The step at which the current epoch started (`T = epoch_start · dt`).
    epoch_start: u64,
    /// `G` at each step of the epoch so far: `integral[k] = G(T + k dt)`.
    integral: Vec<f64>,
    /// `g` and `1 / g` at the latest step.
    factor: f64,
    inverse: f64,
}

impl EligibilityClock {
    /// A clock for time constant `tau_ms` on steps of `dt_ms`, whose epochs last at most
    /// `epoch_steps` steps; its first epoch starts at step 0.
    pub fn new(tau_ms: f64, dt_ms: f64, epoch_steps: u64) -> Self {
        let mut integral = Vec::with_capacity(epoch_steps as usize + 1);
        integral.push(0.0);
        EligibilityClock {
            tau_ms,
            dt_ms,
            epoch_start: 0,
            integral,
            factor: 1.0,
            inverse: 1.0,
        }
    }

    /// Whether a clock can serve epochs of `epoch_steps` steps of `dt_ms` for time constant
    /// `tau_ms` (at most [`MAX_EPOCH_TAUS`] time constants).
    pub fn fits(tau_ms: f64, dt_ms: f64, epoch_steps: u64) -> bool {
        epoch_steps > 0 && epoch_steps as f64 * dt_ms <= MAX_EPOCH_TAUS * tau_ms
    }

    /// The latest step the clock was advanced to.
    pub fn step(&self) -> u64 {
        self.epoch_start + self.integral.len() as u64 - 1
    }

    /// Advance to step `step` (the next one after [`EligibilityClock::step`]), integrating over
    /// the modulator's history since the last step (nothing without a modulator).
    pub fn advance(&mut self, step: u64, modulator: Option<&Modulator>) {
        debug_assert_eq!(step, self.step() + 1, "steps in order");
        let t0 = self.step() as f64 * self.dt_ms;
        let t1 = step as f64 * self.dt_ms;
        let since = t1 - self.epoch_start as f64 * self.dt_ms;
        let g = (-since / self.tau_ms).exp();
        // ∫_{t0}^{t1} g(t0) exp(-(s - t0)/τ_c) d(s) ds.
        let increment = modulator.map_or(0.0, |m| {
            m.integral_decaying(self.factor, self.tau_ms, t0, t1, g * self.inverse)
        });
        let last = *self.integral.last().expect("never empty");
        self.integral.push(last + increment);
        self.factor = g;
        self.inverse = 1.0 / g;
    }

    /// Start a new epoch at the current step (after every synapse has been rescaled by
    /// [`EligibilityClock::factor`]).
    pub fn start_epoch(&mut self) {
        self.epoch_start = self.step();
        self.integral.clear();
        self.integral.push(0.0);
        self.factor = 1.0;
        self.inverse = 1.0;
    }

    /// `g(t) = exp(-(t - T)/τ_c)` now: a scaled eligibility times this is its value now.
    #[inline]
    pub fn factor(&self) -> f64 {
        self.factor
    }

    /// `1 / g(t)`: an increment of the eligibility now times this is the increment of its
    /// scaled value.
    #[inline]
    pub fn inverse(&self) -> f64 {
        self.inverse
    }

    /// `G(now) - G(t_0)` for the step stamped `since` (within the current epoch; a stamp from
    /// before it reads as the epoch's start), so that `ĉ` times it is `∫_{t_0}^{now} c d dt`.
    #[inline]
    pub fn integral_since(&self, since: Stamp) -> f64 {
        let last = self.integral.len() - 1;
        // A stamp before the epoch's start wraps past the end: read it as the start.
        let k = since.0.wrapping_sub(self.epoch_start as u32) as usize;
        let k = if k > last { 0 } else { k };
        self.integral[last] - self.integral[k]
    }

    /// Bytes of heap held.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<f64>() * self.integral.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modulator::ModulatorParams;

    #[test]
    fn scaled_integrals_equal_the_closed_form_across_releases_and_epochs() {
        let dt = 0.1;
        let tau_c = 300.0;
        let mut m = Modulator::new(ModulatorParams {
            tau_ms: 200.0,
            baseline: 0.05,
            history_ms: 1e5,
        });
        let epoch = 2000;
        let mut clock = EligibilityClock::new(tau_c, dt, epoch);
        // Releases at steps 700 (mid-step too), 2500 and 2501.
        let releases = [(700.05, 1.0), (2500.0 * dt, 0.5), (2501.0 * dt, 0.25)];
        let mut next = 0;
        // Synapse: c = 1 at step 300 (scaled), checked against the closed form at later steps.
        let (c0, from) = (1.0, 300u64);
        let mut scaled = 0.0;
        for step in 1..=3999u64 {
            while next < releases.len() && releases[next].0 < step as f64 * dt {
                m.release(releases[next].0, releases[next].1);
                next += 1;
            }
            clock.advance(step, Some(&m));
            if step == from {
                scaled = c0 * clock.inverse();
            }
            if step > from && step % 97 == 0 && (step - 1) / epoch == from / epoch {
                let got = scaled * clock.integral_since(Stamp::of_step(from));
                let want = m.integral_with(c0, tau_c, from as f64 * dt, step as f64 * dt);
                assert!(
                    (got - want).abs() <= 1e-11 * want.abs(),
                    "step {step}: {got} vs {want}"
                );
            }
            if step % epoch == 0 {
                scaled *= clock.factor();
                clock.start_epoch();
                assert_eq!(clock.step(), step);
            }
        }
    }

    #[test]
    fn stamps_before_the_epoch_read_as_its_start_and_no_modulator_adds_nothing() {
        let mut clock = EligibilityClock::new(100.0, 0.1, 10);
        for step in 1..=10 {
            clock.advance(step, None);
        }
        assert_eq!(clock.integral_since(Stamp::of_step(3)), 0.0);
        assert!((clock.factor() - (-0.01f64).exp()).abs() < 1e-15);
        clock.start_epoch();
        let m = Modulator::new(ModulatorParams {
            baseline: 1.0,
            ..ModulatorParams::default()
        });
        clock.advance(11, Some(&m));
        let whole = clock.integral_since(Stamp::of_step(10));
        assert!((whole - 100.0 * (1.0 - (-0.001f64).exp())).abs() < 1e-12);
        assert_eq!(clock.integral_since(Stamp::of_step(2)), whole);
        assert!(EligibilityClock::fits(100.0, 0.1, 60_000) && !EligibilityClock::fits(100.0, 0.1, 60_001));
    }
}
