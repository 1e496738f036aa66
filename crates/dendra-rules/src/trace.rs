//! Exponentially decaying traces evaluated lazily in closed form.
//!
//! A trace `x` decays as `dx/dt = -x / τ` and jumps by an increment at events. Storing the value
//! at the last event and the event's time is enough to know it at any later time:
//! `x(t) = x(t_last) · exp(-(t - t_last) / τ)`.

/// A lazily evaluated exponential trace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trace {
    /// Value just after the last update.
    pub value: f64,
    /// Time of the last update (ms).
    pub t_ms: f64,
}

impl Default for Trace {
    fn default() -> Self {
        Trace {
            value: 0.0,
            t_ms: f64::NEG_INFINITY,
        }
    }
}

impl Trace {
    /// Value at `t_ms` (>= the last update) for time constant `tau_ms`.
    #[inline]
    pub fn at(&self, t_ms: f64, tau_ms: f64) -> f64 {
        if self.value == 0.0 {
            0.0
        } else {
            self.value * (-(t_ms - self.t_ms) / tau_ms).exp()
        }
    }

    /// Decay to `t_ms`, then add `increment`.
    #[inline]
    pub fn bump(&mut self, t_ms: f64, tau_ms: f64, increment: f64) {
        self.value = self.at(t_ms, tau_ms) + increment;
        self.t_ms = t_ms;
    }

    /// Decay to `t_ms`, then set to `value` (nearest-neighbour traces reset rather than add).
    #[inline]
    pub fn set(&mut self, t_ms: f64, value: f64) {
        self.value = value;
        self.t_ms = t_ms;
    }
}

/// Below this argument [`decay`] sums a series instead of calling `exp`.
const SERIES_BELOW: f64 = 1.0 / 1024.0;

/// `exp(-x)` for `x >= 0` (the factor by which a quantity decays over `x` time constants).
/// Where `x < 2^-10`, as for slow processes updated often (consolidation over minutes, steps of
/// milliseconds), a six-term Taylor series, whose truncation error `x^6/720 < 2e-21` is far
/// below the rounding of `f64`, replaces the call to `exp`; results agree with `exp` to within
/// one unit in the last place.
#[inline]
pub fn decay(x: f64) -> f64 {
    if x < SERIES_BELOW {
        1.0 - x * (1.0 - x * (0.5 - x * (1.0 / 6.0 - x * (1.0 / 24.0 - x * (1.0 / 120.0)))))
    } else {
        (-x).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_agrees_with_exp_within_one_ulp() {
        let ulp = |v: f64| f64::from_bits(v.to_bits() + 1) - v;
        let mut x = 0.0;
        while x < 4.0 * SERIES_BELOW {
            let (got, want) = (decay(x), (-x).exp());
            assert!((got - want).abs() <= ulp(want), "{x}: {got} vs {want}");
            x += SERIES_BELOW / 997.0;
        }
        assert_eq!(decay(0.0), 1.0);
        assert_eq!(decay(3.0), (-3.0f64).exp());
        assert_eq!(decay(f64::INFINITY), 0.0);
    }

    #[test]
    fn closed_form_equals_stepwise_decay() {
        let tau = 20.0;
        let mut lazy = Trace::default();
        lazy.bump(0.0, tau, 1.0);
        lazy.bump(7.0, tau, 0.5);
        let mut x = 0.0f64;
        let h = 0.001;
        let mut t = 0.0;
        x += 1.0;
        while t < 7.0 - 1e-9 {
            x -= x * h / tau;
            t += h;
        }
        x += 0.5;
        // Euler at 1 µs agrees with the closed form to ~h/τ.
        assert!(
            (lazy.at(7.0, tau) - x).abs() < 1e-4,
            "{} vs {x}",
            lazy.at(7.0, tau)
        );
        assert!((lazy.at(27.0, tau) - lazy.value * (-1.0f64).exp()).abs() < 1e-12);
        assert_eq!(Trace::default().at(5.0, tau), 0.0);
    }
}
