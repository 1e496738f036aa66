//! Continuous learning signals of a compartment, archived for lazy integration.
//!
//! Some rules change weights continuously, `dw/dt = η · PSP(t) · D(t)`, where `D(t)` is a signal
//! of the synapse's compartment (e.g. the dendritic prediction error of Urbanczik & Senn 2014)
//! and `PSP(t)` a filtered presynaptic trace. The engine evaluates the rule's
//! [`crate::Rule::compartment_drive`] once per step per compartment from local signals
//! ([`CompartmentSignals`]) and appends `D · dt` here; a synapse integrates its own trace
//! against the archive only when it is touched (its presynaptic spikes and periodic ticks), as
//! NEST does with its archived postsynaptic histories.

use std::collections::VecDeque;

/// What a compartment senses in one step, for continuous drives.
#[derive(Debug, Clone, Copy, Default)]
pub struct CompartmentSignals {
    /// End of the step (ms).
    pub t_ms: f64,
    /// Step width (ms).
    pub dt_ms: f64,
    /// The compartment's potential (mV).
    pub v_mv: f64,
    /// Strength of the bAP (or somatic spike) arriving in this step, 0 if none.
    pub bap: f64,
    /// The compartment potential low-pass filtered with the declared time constants (mV).
    pub v_filtered: [f64; 2],
}

/// The recent drive `D(t_k) · dt` of one compartment.
#[derive(Debug, Clone, Default)]
pub struct DriveArchive {
    entries: VecDeque<(f64, f64)>,
}

impl DriveArchive {
    /// An empty archive with room for `capacity` steps.
    pub fn with_capacity(capacity: usize) -> Self {
        DriveArchive {
            entries: VecDeque::with_capacity(capacity),
        }
    }

    /// Bytes held (the ring's capacity).
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<(f64, f64)>() * self.entries.capacity()
    }

    /// Append the drive integrated over the step ending at `t_ms`.
    pub fn push(&mut self, t_ms: f64, d_dt: f64) {
        self.entries.push_back((t_ms, d_dt));
    }

    /// Forget entries at or before `t_ms`.
    pub fn forget_until(&mut self, t_ms: f64) {
        while self.entries.front().is_some_and(|e| e.0 <= t_ms) {
            self.entries.pop_front();
        }
    }

    /// `Σ_{t0 < t_k <= t1} D_k dt · Σ_j a_j exp(-(t_k - t0)/τ_j)`: the drive weighted by traces
    /// that had amplitudes `a_j` at `t0` and decay with `τ_j` (ms).
    pub fn integrate(&self, t0_ms: f64, t1_ms: f64, traces: &[(f64, f64)]) -> f64 {
        if traces.iter().all(|&(a, _)| a == 0.0) {
            return 0.0;
        }
        let start = self.entries.partition_point(|e| e.0 <= t0_ms);
        let mut total = 0.0;
        for &(t, d) in self.entries.range(start..) {
            if t > t1_ms {
                break;
            }
            let kernel: f64 = traces
                .iter()
                .map(|&(a, tau)| a * (-(t - t0_ms) / tau).exp())
                .sum();
            total += d * kernel;
        }
        total
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_only_the_window_with_decaying_weights() {
        let mut a = DriveArchive::default();
        for k in 1..=10 {
            a.push(k as f64, 1.0);
        }
        let got = a.integrate(2.0, 5.0, &[(2.0, 10.0)]);
        let expected: f64 = (3..=5).map(|k| 2.0 * (-(k as f64 - 2.0) / 10.0).exp()).sum();
        assert!((got - expected).abs() < 1e-12);
        a.forget_until(4.0);
        assert_eq!(a.len(), 6);
        assert_eq!(a.integrate(0.0, 3.0, &[(1.0, 1.0)]), 0.0);
    }
}
