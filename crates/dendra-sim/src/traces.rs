//! The presynaptic or postsynaptic traces one rule declared, for every source or target neuron
//! of a projection, stored densely: only the declared traces (one or two per neuron), one `f64`
//! each, decayed in closed form against a shared clock.
//!
//! A trace with time constant `τ` is stored as its value scaled to the start `T` of the current
//! epoch, `s = x(t) · exp((t - T)/τ)`, which does not change between events: its value at any
//! time `t` of the epoch is `s · g(t)` with `g(t) = exp(-(t - T)/τ)`, the same factor for every
//! neuron. Events of one step share their time, so the factor and its inverse are computed once
//! per step and trace, not once per sample (a lazily decayed trace that stores its own last
//! time needs an exponential at every sample). Epochs last about 16 `τ` (whole steps); at each
//! epoch boundary every stored value is multiplied by the epoch's decay `exp(-E/τ)`, so the
//! factors stay within `e^±16` and nothing overflows. Boundaries fall on fixed steps whatever
//! the events, so the values, and the results, are the same for every thread count.

use std::cell::Cell;

use dendra_rules::TraceSpec;

/// Epoch length in time constants.
const EPOCH_TAUS: f64 = 16.0;

/// Longest epoch (steps), for very slow or infinite time constants.
const MAX_EPOCH_STEPS: u64 = 1 << 20;

/// Steps between exact evaluations of the per-step factors (which are otherwise advanced by
/// one multiplication per step): the recurrence's rounding error stays below this many ulps.
const REANCHOR_STEPS: u64 = 256;

/// Scaled values below this are set to 0 at an epoch boundary: the trace has decayed by more
/// than `e^-500` from anything representable, and subnormal numbers would slow the arithmetic.
const FLUSH_BELOW: f64 = 1e-250;

/// One rule's traces of one kind (pre or post) for `n` neurons.
#[derive(Debug, Clone)]
pub(crate) struct TraceSet {
    /// How many traces are declared (0, 1 or 2); they are stored in slot order.
    declared: usize,
    /// The slot (0 or 1 of [`TraceSet::sample`]'s result) of the first declared trace.
    first_slot: usize,
    /// Time constants of the declared traces (ms), and whether each is nearest-neighbour.
    tau_ms: [f64; 2],
    nearest: [bool; 2],
    /// Scaled values, `scaled[i * declared + k]` for declared trace `k` of neuron `i`.
    scaled: Vec<f64>,
    dt_ms: f64,
    /// Epoch length (steps) and the step at which the current epoch started.
    epoch_steps: u64,
    epoch_start: u64,
    /// Per declared trace: the decay over one epoch.
    epoch_decay: [f64; 2],
    /// Per declared trace: `[t, g(t), 1 / g(t)]` at the latest time asked for.
    factors: [Cell<[f64; 3]>; 2],
    /// Per declared trace: `exp(-dt/τ)` and `exp(dt/τ)`, which advance `g` and `1/g` by a step.
    step_factors: [[f64; 2]; 2],
    /// The step whose factors [`TraceSet::start_step`] last set.
    last_step: u64,
}

impl TraceSet {
    /// The traces `specs` declares, for `n` neurons, on steps of `dt_ms` (nothing is stored if
    /// it declares none).
    pub(crate) fn new(specs: [Option<TraceSpec>; 2], n: usize, dt_ms: f64) -> Self {
        let declared_specs: Vec<TraceSpec> = specs.into_iter().flatten().collect();
        let declared = declared_specs.len();
        let spec = |k: usize| {
            declared_specs
                .get(k)
                .copied()
                .unwrap_or(TraceSpec::all_to_all(f64::INFINITY))
        };
        let tau_ms = [spec(0).tau_ms, spec(1).tau_ms];
        let tau_min = tau_ms[..declared].iter().copied().fold(f64::INFINITY, f64::min);
        let epoch_steps = (EPOCH_TAUS * tau_min / dt_ms)
            .floor()
            .clamp(1.0, MAX_EPOCH_STEPS as f64) as u64;
        let epoch_ms = epoch_steps as f64 * dt_ms;
        TraceSet {
            declared,
            first_slot: usize::from(specs[0].is_none()),
            tau_ms,
            nearest: [spec(0).nearest, spec(1).nearest],
            scaled: vec![0.0; declared * n],
            dt_ms,
            epoch_steps,
            epoch_start: 0,
            epoch_decay: tau_ms.map(|tau| (-epoch_ms / tau).exp()),
            factors: std::array::from_fn(|_| Cell::new(STALE)),
            step_factors: tau_ms.map(|tau| [(-dt_ms / tau).exp(), (dt_ms / tau).exp()]),
            last_step: u64::MAX,
        }
    }

    /// Events of step `step` follow: start the epochs that began since the last call, and set
    /// the factors of the step's time (call it before any sample or bump at the step's time,
    /// for every step in order). Within an epoch the factors of consecutive steps follow from
    /// each other by one multiplication, evaluated exactly at the epoch's start and every
    /// [`REANCHOR_STEPS`] steps; the `exp` and the division this saves were most of the cost of
    /// a step's first sample.
    pub(crate) fn start_step(&mut self, step: u64) {
        if self.declared == 0 {
            return;
        }
        let epoch = self.epoch_start;
        self.start_epochs(step);
        let since = step - self.epoch_start;
        // Through i64 (steps stay below 2^63): one conversion instruction, not several.
        let t_ms = step as i64 as f64 * self.dt_ms;
        let follows = step == self.last_step.wrapping_add(1) && self.epoch_start == epoch;
        for k in 0..self.declared {
            let f = self.factors[k].get();
            // The recurrence needs the factors of the step before (a sample at another time
            // may have replaced them).
            if follows
                && !since.is_multiple_of(REANCHOR_STEPS)
                && f[0] == (step - 1) as i64 as f64 * self.dt_ms
            {
                let [down, up] = self.step_factors[k];
                self.factors[k].set([t_ms, f[1] * down, f[2] * up]);
            } else {
                self.new_factor(k, t_ms);
            }
        }
        self.last_step = step;
    }

    /// Start the epochs that began by step `step`.
    fn start_epochs(&mut self, step: u64) {
        while step >= self.epoch_start + self.epoch_steps {
            for values in self.scaled.chunks_exact_mut(self.declared) {
                for (v, d) in values.iter_mut().zip(&self.epoch_decay) {
                    *v *= d;
                    if v.abs() < FLUSH_BELOW {
                        *v = 0.0;
                    }
                }
            }
            self.epoch_start += self.epoch_steps;
            for f in &self.factors {
                f.set(STALE);
            }
        }
    }

    /// `[t, g(t), 1 / g(t)]` of declared trace `k` at `t_ms` (within the current epoch).
    #[inline(always)]
    fn factor(&self, k: usize, t_ms: f64) -> [f64; 3] {
        let f = self.factors[k].get();
        if f[0] == t_ms { f } else { self.new_factor(k, t_ms) }
    }

    #[inline(never)]
    fn new_factor(&self, k: usize, t_ms: f64) -> [f64; 3] {
        let since = t_ms - self.epoch_start as f64 * self.dt_ms;
        let g = (-since / self.tau_ms[k]).exp();
        let f = [t_ms, g, 1.0 / g];
        self.factors[k].set(f);
        f
    }

    /// The declared traces of neuron `i` at `t_ms` (0 for undeclared ones).
    #[inline(always)]
    pub(crate) fn sample(&self, i: usize, t_ms: f64) -> [f64; 2] {
        self.at(t_ms).sample(i)
    }

    /// The traces at `t_ms` (within the current epoch), for sampling many neurons at one time:
    /// the factors are looked up once.
    #[inline(always)]
    pub(crate) fn at(&self, t_ms: f64) -> TraceView<'_> {
        let g = |k: usize| {
            if k < self.declared {
                self.factor(k, t_ms)[1]
            } else {
                0.0
            }
        };
        TraceView {
            scaled: &self.scaled,
            declared: self.declared,
            first_slot: self.first_slot,
            g: [g(0), g(1)],
        }
    }

    /// Bump the declared traces of neuron `i` at `t_ms` by `amount` (nearest-neighbour ones are
    /// reset to it).
    #[inline]
    pub(crate) fn bump(&mut self, i: usize, t_ms: f64, amount: f64) {
        for k in 0..self.declared {
            let scaled_amount = amount * self.factor(k, t_ms)[2];
            let v = &mut self.scaled[i * self.declared + k];
            if self.nearest[k] {
                *v = scaled_amount;
            } else {
                *v += scaled_amount;
            }
        }
    }

    /// Bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        std::mem::size_of::<f64>() * self.scaled.len()
    }
}

/// A [`TraceSet`] at one time ([`TraceSet::at`]).
#[derive(Clone, Copy)]
pub(crate) struct TraceView<'a> {
    scaled: &'a [f64],
    declared: usize,
    first_slot: usize,
    /// The factor `g(t)` of each declared trace.
    g: [f64; 2],
}

impl TraceView<'_> {
    /// The declared traces of neuron `i` (0 for undeclared ones).
    #[inline(always)]
    pub(crate) fn sample(&self, i: usize) -> [f64; 2] {
        // Built whole, not stored through a run-time index: that would keep the pair in memory
        // and stall the wide load that reads it back.
        match self.declared {
            0 => [0.0; 2],
            1 => {
                let x = self.scaled[i] * self.g[0];
                if self.first_slot == 0 { [x, 0.0] } else { [0.0, x] }
            }
            _ => [self.scaled[2 * i] * self.g[0], self.scaled[2 * i + 1] * self.g[1]],
        }
    }
}

/// A factor cache that matches no time.
const STALE: [f64; 3] = [f64::NAN, 1.0, 1.0];

#[cfg(test)]
mod tests {
    use super::*;

    const DT: f64 = 0.1;

    /// Steps `from..=to` started in order, as the engine does.
    fn walk(set: &mut TraceSet, from: u64, to: u64) {
        for step in from..=to {
            set.start_step(step);
        }
    }

    #[test]
    fn stores_only_declared_traces_and_keeps_their_slots() {
        let tau = 20.0;
        let set = TraceSet::new([None, Some(TraceSpec::all_to_all(tau))], 3, DT);
        assert_eq!(set.heap_bytes(), 3 * std::mem::size_of::<f64>());
        let mut set = set;
        set.bump(1, 0.0, 1.0);
        walk(&mut set, 1, 100);
        set.bump(1, 10.0, 1.0);
        let v = set.sample(1, 10.0);
        assert_eq!(v[0], 0.0, "undeclared slot");
        assert!((v[1] - (1.0 + (-10.0f64 / tau).exp())).abs() < 1e-12);
        assert_eq!(set.sample(0, 10.0), [0.0; 2], "other neurons untouched");
        assert_eq!(set.sample(2, 10.0), [0.0; 2]);
        let none = TraceSet::new([None, None], 1000, DT);
        assert_eq!(none.heap_bytes(), 0);
        assert_eq!(none.sample(999, 5.0), [0.0; 2]);
    }

    #[test]
    fn nearest_traces_reset_and_two_traces_stay_apart() {
        let mut set = TraceSet::new(
            [Some(TraceSpec::nearest(10.0)), Some(TraceSpec::all_to_all(100.0))],
            2,
            DT,
        );
        set.bump(0, 0.0, 1.0);
        walk(&mut set, 1, 10);
        set.bump(0, 1.0, 1.0);
        let v = set.sample(0, 1.0);
        assert!(
            (v[0] - 1.0).abs() < 1e-15,
            "nearest-neighbour trace reset to the amount"
        );
        assert!((v[1] - (1.0 + (-0.01f64).exp())).abs() < 1e-12);
        assert_eq!(set.sample(1, 1.0), [0.0; 2]);
    }

    /// Across many epoch boundaries (16 τ each), with spikes at irregular times, the trace
    /// equals the sum of decaying kernels within rounding; long silences decay it to 0 without
    /// overflow or NaN.
    #[test]
    fn matches_the_kernel_sum_across_epochs() {
        for tau in [0.05, 2.0, 20.0, 1e9] {
            let mut set = TraceSet::new([Some(TraceSpec::all_to_all(tau)), None], 1, DT);
            let mut spikes: Vec<f64> = Vec::new();
            let mut step = 0u64;
            let mut gap = 7u64;
            while step < 200_000 {
                let t = step as f64 * DT;
                set.bump(0, t, 1.0);
                spikes.push(t);
                // Irregular gaps, some of them many epochs long.
                gap = (gap * 7919 + 13) % 9973;
                let next = step + 1 + gap * if gap.is_multiple_of(5) { 40 } else { 1 };
                walk(&mut set, step + 1, next);
                step = next;
                let t = step as f64 * DT;
                let want: f64 = spikes.iter().map(|&s| (-(t - s) / tau).exp()).sum();
                let got = set.sample(0, t)[0];
                assert!(got.is_finite());
                assert!(
                    (got - want).abs() <= 1e-12 * want + 1e-200,
                    "tau {tau}, t {t}: {got} vs {want}"
                );
            }
        }
    }
}
