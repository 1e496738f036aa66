//! Keep decaying state out of the subnormal range. A receptor current (or conductance, or a
//! potential relaxing to 0 mV) left without input decays geometrically, and after some
//! 700 time constants (2 s for a 3 ms synapse) reaches numbers below `f64::MIN_POSITIVE`.
//! x86 CPUs handle those through microcode, at some hundred cycles per operation: a block
//! whose inputs had stopped ran 7x slower. Every few steps, state values smaller than
//! [`FLUSH_BELOW`] (no model quantity, in mV, pA or nS, is meaningful there) are set to zero,
//! often enough that nothing decays from above it into the subnormal range in between.

use crate::propagator::Propagator;

/// State values of smaller magnitude are set to zero.
pub(crate) const FLUSH_BELOW: f64 = 1e-200;

/// The most e-folds any state may shrink by between two flushes: from [`FLUSH_BELOW`], that
/// leaves `e^-100 ≈ 4e-44` of it, far above the subnormal range (below `2.2e-308`).
const EFOLDS_BETWEEN_FLUSHES: f64 = 100.0;

/// The longest interval between flushes (steps).
const MAX_INTERVAL_STEPS: u64 = 1024;

/// When to flush: every `interval_steps` steps (a power of two).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flush {
    interval_steps: u64,
}

impl Flush {
    /// The interval for `prop`'s states: each decays by at most its diagonal factor `Φ_kk` per
    /// step (the coupling terms only add), so the fastest decay sets how often to flush.
    pub(crate) fn for_propagator(prop: &Propagator) -> Self {
        let n = prop.n_state;
        let efolds_per_step = (0..n)
            .map(|k| prop.phi_dense[k * n + k].abs())
            .filter(|&d| d > 0.0 && d < 1.0)
            .map(|d| -d.ln())
            .fold(0.0, f64::max);
        let steps = if efolds_per_step > 0.0 {
            (EFOLDS_BETWEEN_FLUSHES / efolds_per_step).floor() as u64
        } else {
            MAX_INTERVAL_STEPS
        };
        let interval_steps = steps.clamp(1, MAX_INTERVAL_STEPS);
        Flush {
            // Round down to a power of two: the test is then a mask.
            interval_steps: 1 << (63 - interval_steps.leading_zeros()),
        }
    }

    /// Whether step `n` flushes.
    #[inline]
    pub(crate) fn due(&self, n: u64) -> bool {
        n & (self.interval_steps - 1) == 0
    }

    /// The interval (steps).
    #[cfg(test)]
    fn interval_steps(&self) -> u64 {
        self.interval_steps
    }
}

/// Set the values of magnitude below [`FLUSH_BELOW`] to zero; whether any value is not
/// finite (the same pass checks for divergence at no extra cost).
pub(crate) fn flush_tiny(values: &mut [f64]) -> bool {
    let mut non_finite = false;
    for v in values {
        if v.abs() < FLUSH_BELOW {
            *v = 0.0;
        }
        non_finite |= !v.is_finite();
    }
    non_finite
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop_with_diagonal(diag: &[f64]) -> Propagator {
        let n = diag.len();
        let mut phi_dense = vec![0.0; n * n];
        for (k, &d) in diag.iter().enumerate() {
            phi_dense[k * n + k] = d;
        }
        Propagator {
            n_state: n,
            n_comp: 1,
            rows: Vec::new(),
            offset: vec![0.0; n],
            input_rows: Vec::new(),
            psi_col: Vec::new(),
            phi_dense,
            psi_dense: Vec::new(),
            decaying_receptors: None,
        }
    }

    #[test]
    fn the_interval_keeps_the_fastest_decay_above_the_subnormal_range() {
        // tau = 3 ms at dt = 0.1 ms: 1/30 e-fold per step, capped at 1024 steps.
        let slow = Flush::for_propagator(&prop_with_diagonal(&[0.99, (-0.1f64 / 3.0).exp()]));
        assert_eq!(slow.interval_steps(), 1024);
        // tau = 0.05 ms at dt = 0.1 ms: 2 e-folds per step, 50 steps -> 32.
        let fast = Flush::for_propagator(&prop_with_diagonal(&[0.99, (-2.0f64).exp()]));
        assert_eq!(fast.interval_steps(), 32);
        for flush in [slow, fast] {
            let mut v = FLUSH_BELOW * 1.01;
            let d = if flush.interval_steps() == 32 {
                (-2.0f64).exp()
            } else {
                (-0.1f64 / 3.0).exp()
            };
            for _ in 0..flush.interval_steps() {
                v *= d;
            }
            assert!(v.is_normal(), "{v}");
        }
        assert!(fast.due(0) && fast.due(64) && !fast.due(65));
        // A state that does not decay (or vanishes in one step) does not shorten the interval.
        let flat = Flush::for_propagator(&prop_with_diagonal(&[1.0, 0.0]));
        assert_eq!(flat.interval_steps(), 1024);
    }

    #[test]
    fn only_values_below_the_threshold_are_zeroed() {
        let mut v = [1e-300, -1e-250, 5e-324, 1e-199, -70.0, 0.0, -1e-150];
        flush_tiny(&mut v);
        assert_eq!(v, [0.0, 0.0, 0.0, 1e-199, -70.0, 0.0, -1e-150]);
    }
}
