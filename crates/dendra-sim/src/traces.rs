//! The presynaptic or postsynaptic traces one rule declared, for every source or target neuron
//! of a projection, stored densely: only the declared traces (one or two per neuron), decayed
//! lazily in closed form.

use dendra_rules::{Trace, TraceSpec};

/// One rule's traces of one kind (pre or post) for `n` neurons.
#[derive(Debug, Clone)]
pub(crate) struct TraceSet {
    specs: [Option<TraceSpec>; 2],
    /// Declared traces per neuron.
    stride: usize,
    traces: Vec<Trace>,
}

impl TraceSet {
    /// The traces `specs` declares, for `n` neurons (nothing is stored if it declares none).
    pub(crate) fn new(specs: [Option<TraceSpec>; 2], n: usize) -> Self {
        let stride = specs.iter().filter(|s| s.is_some()).count();
        TraceSet {
            specs,
            stride,
            traces: vec![Trace::default(); stride * n],
        }
    }

    /// The declared traces of neuron `i` at `t_ms` (0 for undeclared ones).
    #[inline]
    pub(crate) fn sample(&self, i: usize, t_ms: f64) -> [f64; 2] {
        let mut v = [0.0; 2];
        let mut at = i * self.stride;
        for (vj, spec) in v.iter_mut().zip(&self.specs) {
            if let Some(s) = spec {
                *vj = self.traces[at].at(t_ms, s.tau_ms);
                at += 1;
            }
        }
        v
    }

    /// Bump the declared traces of neuron `i` at `t_ms` by `amount` (nearest-neighbour ones are
    /// reset to it).
    #[inline]
    pub(crate) fn bump(&mut self, i: usize, t_ms: f64, amount: f64) {
        for (at, spec) in (i * self.stride..).zip(self.specs.iter().flatten()) {
            let trace = &mut self.traces[at];
            if spec.nearest {
                trace.set(t_ms, amount);
            } else {
                trace.bump(t_ms, spec.tau_ms, amount);
            }
        }
    }

    /// Bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Trace>() * self.traces.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_only_declared_traces_and_keeps_their_slots() {
        let tau = 20.0;
        let set = TraceSet::new([None, Some(TraceSpec::all_to_all(tau))], 3);
        assert_eq!(set.heap_bytes(), 3 * std::mem::size_of::<Trace>());
        let mut set = set;
        set.bump(1, 0.0, 1.0);
        set.bump(1, 10.0, 1.0);
        let v = set.sample(1, 10.0);
        assert_eq!(v[0], 0.0, "undeclared slot");
        assert!((v[1] - (1.0 + (-10.0f64 / tau).exp())).abs() < 1e-12);
        assert_eq!(set.sample(0, 10.0), [0.0; 2], "other neurons untouched");
        assert_eq!(set.sample(2, 10.0), [0.0; 2]);
        let none = TraceSet::new([None, None], 1000);
        assert_eq!(none.heap_bytes(), 0);
        assert_eq!(none.sample(999, 5.0), [0.0; 2]);
    }

    #[test]
    fn nearest_traces_reset_and_two_traces_stay_apart() {
        let mut set = TraceSet::new(
            [Some(TraceSpec::nearest(10.0)), Some(TraceSpec::all_to_all(100.0))],
            2,
        );
        set.bump(0, 0.0, 1.0);
        set.bump(0, 1.0, 1.0);
        let v = set.sample(0, 1.0);
        assert_eq!(v[0], 1.0, "nearest-neighbour trace reset to the amount");
        assert!((v[1] - (1.0 + (-0.01f64).exp())).abs() < 1e-12);
        assert_eq!(set.sample(1, 1.0), [0.0; 2]);
    }
}
