//! `local_coactivity`: apical-dendrite plasticity driven by the co-activity of nearby synapses,
//! as found by Wright, Hedrick & Komiyama (Science 2025): apical spines potentiate with the
//! co-activity of neighbouring spines on the same branch (within ~10 µm in their analysis code),
//! independently of somatic spikes.
//!
//! At a presynaptic spike, with `n` the number of *other* synapses on the same branch within
//! `radius_um` whose input was active within `window_ms` before (see [`CoactivityRegister`]):
//!
//! ```text
//! w <- w + A+ · min(n, n_max) - A-
//! ```
//!
//! so clustered, co-active inputs grow and isolated inputs shrink. No postsynaptic spike or bAP
//! enters the rule. Soft or hard bounds.

use crate::bounds::WeightBounds;
use crate::rule::{CoactivitySpec, Needs, Rule};
use crate::signals::LocalSignals;

/// Co-activity-driven plasticity.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalCoactivity {
    /// Potentiation per co-active neighbour `A+` (weight units). Default 0.01.
    pub a_plus: f64,
    /// Depression per presynaptic spike `A-` (weight units). Default 0.004.
    pub a_minus: f64,
    /// Neighbourhood radius (µm). Default 10.
    pub radius_um: f64,
    /// Co-activity window (ms). Default 50.
    pub window_ms: f64,
    /// Neighbours counted at most. Default 5.
    pub n_max: u32,
    /// Weight bounds. Default soft `[0, 1]`.
    pub bounds: WeightBounds,
}

impl Default for LocalCoactivity {
    fn default() -> Self {
        LocalCoactivity {
            a_plus: 0.01,
            a_minus: 0.004,
            radius_um: 10.0,
            window_ms: 50.0,
            n_max: 5,
            bounds: WeightBounds::soft(0.0, 1.0),
        }
    }
}

impl Rule for LocalCoactivity {
    type State = ();

    fn name(&self) -> &'static str {
        "local_coactivity"
    }

    fn needs(&self) -> Needs {
        Needs {
            coactivity: Some(CoactivitySpec {
                radius_um: self.radius_um,
                window_ms: self.window_ms,
            }),
            ..Needs::default()
        }
    }

    fn on_pre(&self, w: &mut f64, _state: &mut (), sig: &LocalSignals) {
        let scale = self.bounds.scale();
        let dw = self.a_plus * f64::from(sig.coactive.min(self.n_max)) - self.a_minus;
        *w = self.bounds.apply(*w, scale * dw);
    }
}

/// Recent presynaptic activity on one branch: `(time, position, synapse key)` of each input
/// spike, kept for one window. The key only distinguishes a synapse from its neighbours (it
/// is never used to reach the synapse).
///
/// Stored as three columns with a moving start, so that counting is one branch-free pass over
/// contiguous arrays; the columns are compacted when half of them has expired. No allocation
/// once the window's largest occupancy has been reached.
#[derive(Debug, Clone, Default)]
pub struct CoactivityRegister {
    t_ms: Vec<f64>,
    position_um: Vec<f32>,
    key: Vec<u64>,
    /// First live event.
    head: usize,
    /// Keys of the neighbours found by the current call (reused).
    seen: Vec<u64>,
}

impl CoactivityRegister {
    /// An empty register with room for `capacity` events before it grows.
    pub fn with_capacity(capacity: usize) -> Self {
        CoactivityRegister {
            t_ms: Vec::with_capacity(capacity),
            position_um: Vec::with_capacity(capacity),
            key: Vec::with_capacity(capacity),
            head: 0,
            seen: Vec::with_capacity(capacity),
        }
    }

    /// Count other synapses within `radius_um` of `position_um` active in `(t - window, t]`,
    /// then record this spike. Each neighbour counts once however often it spiked.
    pub fn count_and_record(&mut self, t_ms: f64, position_um: f32, key: u64, spec: &CoactivitySpec) -> u32 {
        // Expire events at or before t - window (times arrive in order).
        let oldest = t_ms - spec.window_ms;
        while self.head < self.t_ms.len() && self.t_ms[self.head] <= oldest {
            self.head += 1;
        }
        if self.head > 16 && 2 * self.head >= self.t_ms.len() {
            self.t_ms.drain(..self.head);
            self.position_um.drain(..self.head);
            self.key.drain(..self.head);
            self.head = 0;
        }
        // Neighbours' keys, written unconditionally and kept where the test holds.
        let (xs, ks) = (&self.position_um[self.head..], &self.key[self.head..]);
        self.seen.resize(xs.len(), 0);
        let mut m = 0;
        for (&x, &k) in xs.iter().zip(ks) {
            self.seen[m] = k;
            m += usize::from(k != key && f64::from((x - position_um).abs()) <= spec.radius_um);
        }
        // Distinct keys among the (few) neighbours.
        let near = &self.seen[..m];
        let n = (0..m).filter(|&i| !near[..i].contains(&near[i])).count() as u32;
        self.t_ms.push(t_ms);
        self.position_um.push(position_um);
        self.key.push(key);
        n
    }

    /// Events currently held.
    pub fn len(&self) -> usize {
        self.t_ms.len() - self.head
    }

    /// Whether no event is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_neighbours_inside_radius_and_window() {
        let spec = CoactivitySpec {
            radius_um: 10.0,
            window_ms: 50.0,
        };
        let mut reg = CoactivityRegister::default();
        assert_eq!(reg.count_and_record(0.0, 20.0, 1, &spec), 0);
        assert_eq!(reg.count_and_record(5.0, 45.0, 2, &spec), 0, "25 µm away");
        assert_eq!(
            reg.count_and_record(10.0, 29.0, 3, &spec),
            1,
            "9 µm from synapse 1"
        );
        assert_eq!(
            reg.count_and_record(12.0, 20.0, 1, &spec),
            1,
            "itself excluded, 3 counts"
        );
        assert_eq!(
            reg.count_and_record(15.0, 29.5, 4, &spec),
            2,
            "synapse 1 once, and 3"
        );
        // 70 ms later the earlier spikes are outside the window.
        assert_eq!(reg.count_and_record(85.0, 21.0, 5, &spec), 0);
    }

    #[test]
    fn update_is_linear_in_neighbours_and_independent_of_spikes() {
        let r = LocalCoactivity {
            bounds: WeightBounds::hard(0.0, 1.0),
            ..LocalCoactivity::default()
        };
        for n in 0..8u32 {
            let mut w = 0.5;
            let sig = LocalSignals {
                coactive: n,
                // A bAP trace must not matter.
                post: [5.0, 5.0],
                ..LocalSignals::default()
            };
            r.on_pre(&mut w, &mut (), &sig);
            let expected = 0.5 + r.a_plus * f64::from(n.min(r.n_max)) - r.a_minus;
            assert!((w - expected).abs() < 1e-12, "n {n}: {w}");
        }
        assert!(r.needs().post[0].is_none() && !r.needs().post_events);
    }
}
