//! The simulation clock.
//!
//! Time advances in fixed steps of `dt_ms`. Step `n` integrates the state from `t_n = n dt` to
//! `t_{n+1}`; an event detected in step `n` (a spike) is stamped with `t_{n+1}`, as NEST does.

use crate::error::{ParamError, ParamResult, positive};

/// Fixed-step clock: the step width and conversions between milliseconds and steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    dt_ms: f64,
}

impl Clock {
    /// A clock with step `dt_ms` (ms, > 0; dendra's default is 0.1 ms).
    pub fn new(dt_ms: f64) -> ParamResult<Self> {
        positive("dt_ms", dt_ms)?;
        Ok(Clock { dt_ms })
    }

    /// Step width in milliseconds.
    pub fn dt_ms(&self) -> f64 {
        self.dt_ms
    }

    /// Time in milliseconds at the start of step `step`.
    pub fn time_ms(&self, step: u64) -> f64 {
        step as f64 * self.dt_ms
    }

    /// Number of whole steps in `ms` milliseconds, rounded to the nearest step.
    ///
    /// Fails for negative or non-finite durations; `key` names the parameter in the error.
    pub fn steps(&self, key: &str, ms: f64) -> ParamResult<u64> {
        if !ms.is_finite() || ms < 0.0 {
            return Err(ParamError::new(key, "a finite duration >= 0 ms", ms));
        }
        let steps = (ms / self.dt_ms).round();
        if steps > u32::MAX as f64 {
            return Err(ParamError::new(key, "a duration below 2^32 steps", ms));
        }
        Ok(steps as u64)
    }

    /// Like [`Clock::steps`] but the result must be at least one step (synaptic delays).
    pub fn steps_at_least_one(&self, key: &str, ms: f64) -> ParamResult<u64> {
        let s = self.steps(key, ms)?;
        if s == 0 {
            return Err(ParamError::new(
                key,
                format!("a delay of at least one step ({} ms)", self.dt_ms),
                format!("{ms} ms"),
            ));
        }
        Ok(s)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock { dt_ms: 0.1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_to_nearest_step() {
        let c = Clock::new(0.1).unwrap();
        assert_eq!(c.steps("d", 1.0).unwrap(), 10);
        assert_eq!(c.steps("d", 0.3).unwrap(), 3);
        assert_eq!(c.steps("d", 0.04).unwrap(), 0);
        assert!(c.steps_at_least_one("d", 0.04).is_err());
        assert!(c.steps("d", -1.0).is_err());
        assert!(c.steps("d", f64::NAN).is_err());
        assert!((c.time_ms(25) - 2.5).abs() < 1e-12);
        assert!(Clock::new(0.0).is_err());
    }
}
