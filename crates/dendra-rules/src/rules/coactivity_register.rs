//! The co-activity signal of one branch for [`LocalCoactivity`](crate::rules::LocalCoactivity):
//! how many *other* synapses within a radius were active within a window.
//!
//! The register holds one entry per synapse that has spiked: its position, an opaque key that
//! tells it from its neighbours, and the time of its last input spike, kept sorted by position
//! (three parallel columns). A query at position `x` finds the synapse's own entry (a search
//! that starts where `x` falls in the span of positions held), then walks outwards on both
//! sides, a block of entries at a time with branch-free tests, while the neighbours are within
//! the radius, counting those whose last spike falls in the window. A synapse counts once
//! however often it spiked, because it has one entry. The cost of a query is a short search
//! plus the neighbours within the radius, independent of the input rate and the window; the
//! memory is 16 bytes per synapse. No allocation once every synapse of the branch has spiked
//! once (or once [`CoactivityRegister::reserve`] made room for all).

use crate::rule::CoactivitySpec;

/// Entries a side of a query examines per block, branch-free.
const BLOCK: usize = 8;

/// Recent presynaptic activity on one branch. The key only distinguishes a synapse from its
/// neighbours (it is never used to reach the synapse).
#[derive(Debug, Clone)]
pub struct CoactivityRegister {
    /// Positions (µm), sorted by (position, key).
    position_um: Vec<f32>,
    /// Keys, parallel to `position_um`.
    key: Vec<u32>,
    /// Time of each synapse's last input spike (ms; `-inf` before the first), parallel.
    last_ms: Vec<f64>,
    /// Smallest and largest position ever held (µm): the span a search interpolates in.
    lo_um: f32,
    hi_um: f32,
}

impl Default for CoactivityRegister {
    fn default() -> Self {
        CoactivityRegister {
            position_um: Vec::new(),
            key: Vec::new(),
            last_ms: Vec::new(),
            lo_um: f32::INFINITY,
            hi_um: f32::NEG_INFINITY,
        }
    }
}

impl CoactivityRegister {
    /// An empty register with room for `capacity` synapses.
    pub fn with_capacity(capacity: usize) -> Self {
        let mut r = CoactivityRegister::default();
        r.reserve(capacity);
        r
    }

    /// Make room for `additional` more synapses (exactly).
    pub fn reserve(&mut self, additional: usize) {
        self.position_um.reserve_exact(additional);
        self.key.reserve_exact(additional);
        self.last_ms.reserve_exact(additional);
    }

    /// Whether entry `j` sorts before `(position_um, key)`.
    #[inline]
    fn before(&self, j: usize, position_um: f32, key: u32) -> bool {
        self.position_um[j]
            .total_cmp(&position_um)
            .then(self.key[j].cmp(&key))
            .is_lt()
    }

    /// Whether entry `j` is that of `(position_um, key)`.
    #[inline]
    fn is(&self, j: usize, position_um: f32, key: u32) -> bool {
        self.key[j] == key && self.position_um[j].to_bits() == position_um.to_bits()
    }

    /// The first entry not before `(position_um, key)`. The search starts where the position
    /// falls in the span of positions held and gallops outwards from there: on a branch whose
    /// synapses are spread along it, that is within a few entries of the answer, on the cache
    /// lines the neighbour scan reads anyway (a plain binary search touched a new line at
    /// almost every step).
    fn locate(&self, position_um: f32, key: u32) -> usize {
        let n = self.position_um.len();
        if n == 0 {
            return 0;
        }
        let span = f64::from(self.hi_um) - f64::from(self.lo_um);
        let frac = if span > 0.0 {
            (f64::from(position_um) - f64::from(self.lo_um)) / span
        } else {
            0.0
        };
        // NaN (a NaN position) saturates to 0.
        let guess = ((frac * (n - 1) as f64).round() as usize).min(n - 1);
        // Entries below `lo` are before the key, entries from `hi` on are not.
        let (mut lo, mut hi);
        let mut step = 1;
        if self.before(guess, position_um, key) {
            let mut below = guess + 1;
            hi = loop {
                let probe = guess + step;
                if probe >= n {
                    break n;
                }
                if !self.before(probe, position_um, key) {
                    break probe;
                }
                below = probe + 1;
                step *= 2;
            };
            lo = below;
        } else {
            let mut above = guess;
            lo = loop {
                if step > guess {
                    break 0;
                }
                let probe = guess - step;
                if self.before(probe, position_um, key) {
                    break probe + 1;
                }
                above = probe;
                step *= 2;
            };
            hi = above;
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.before(mid, position_um, key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The index of the entry of `(position_um, key)`, added if it has none.
    #[inline]
    fn entry(&mut self, position_um: f32, key: u32) -> usize {
        let at = self.locate(position_um, key);
        if at == self.position_um.len() || !self.is(at, position_um, key) {
            self.lo_um = self.lo_um.min(position_um);
            self.hi_um = self.hi_um.max(position_um);
            self.position_um.insert(at, position_um);
            self.key.insert(at, key);
            self.last_ms.insert(at, f64::NEG_INFINITY);
        }
        at
    }

    /// Count other synapses within `radius_um` of `position_um` active in `(t - window, t]`,
    /// then record this spike of synapse `key` (at `position_um`). Each neighbour counts once
    /// however often it spiked.
    pub fn count_and_record(&mut self, t_ms: f64, position_um: f32, key: u32, spec: &CoactivitySpec) -> u32 {
        let at = self.entry(position_um, key);
        let oldest = t_ms - spec.window_ms;
        let (r, pos, last) = (spec.radius_um, &self.position_um, &self.last_ms);
        let mut n = 0;
        // Distances grow away from `at` (sorted positions, monotone rounding), so a side ends
        // after the first block holding an entry outside the radius.
        let mut j = at + 1;
        while j < pos.len() {
            let end = (j + BLOCK).min(pos.len());
            let (inside, active) = count_block(&pos[j..end], &last[j..end], position_um, r, oldest);
            n += active;
            if inside < end - j {
                break;
            }
            j = end;
        }
        let mut j = at;
        while j > 0 {
            let start = j.saturating_sub(BLOCK);
            let (inside, active) = count_block(&pos[start..j], &last[start..j], position_um, r, oldest);
            n += active;
            if inside < j - start {
                break;
            }
            j = start;
        }
        self.last_ms[at] = t_ms;
        n as u32
    }

    /// Remove the entry of synapse `key` at `position_um` (a pruned synapse, or one that moves):
    /// it no longer counts as anyone's neighbour.
    pub fn forget(&mut self, position_um: f32, key: u32) {
        let at = self.locate(position_um, key);
        if at < self.position_um.len() && self.is(at, position_um, key) {
            self.position_um.remove(at);
            self.key.remove(at);
            self.last_ms.remove(at);
        }
    }

    /// Synapses held (those that have spiked and were not forgotten).
    pub fn len(&self) -> usize {
        self.position_um.len()
    }

    /// Whether no synapse is held.
    pub fn is_empty(&self) -> bool {
        self.position_um.is_empty()
    }

    /// Bytes of heap held.
    pub fn heap_bytes(&self) -> usize {
        4 * self.position_um.capacity() + 4 * self.key.capacity() + 8 * self.last_ms.capacity()
    }
}

/// Of the entries `(pos[q], last[q])` of one block, how many lie within `radius_um` of
/// `position_um`, and how many of those spiked after `oldest_ms` (branch-free).
#[inline]
fn count_block(
    pos: &[f32],
    last: &[f64],
    position_um: f32,
    radius_um: f64,
    oldest_ms: f64,
) -> (usize, usize) {
    let (mut inside, mut active) = (0, 0);
    for (&p, &l) in pos.iter().zip(last) {
        let near = f64::from((p - position_um).abs()) <= radius_um;
        inside += usize::from(near);
        active += usize::from(near & (l > oldest_ms));
    }
    (inside, active)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: CoactivitySpec = CoactivitySpec {
        radius_um: 10.0,
        window_ms: 50.0,
    };

    #[test]
    fn counts_only_neighbours_inside_radius_and_window() {
        let mut reg = CoactivityRegister::default();
        assert_eq!(reg.count_and_record(0.0, 20.0, 1, &SPEC), 0);
        assert_eq!(reg.count_and_record(5.0, 45.0, 2, &SPEC), 0, "25 µm away");
        assert_eq!(
            reg.count_and_record(10.0, 29.0, 3, &SPEC),
            1,
            "9 µm from synapse 1"
        );
        assert_eq!(
            reg.count_and_record(12.0, 20.0, 1, &SPEC),
            1,
            "itself excluded, 3 counts"
        );
        assert_eq!(
            reg.count_and_record(15.0, 29.5, 4, &SPEC),
            2,
            "synapse 1 once, and 3"
        );
        // 70 ms later the earlier spikes are outside the window.
        assert_eq!(reg.count_and_record(85.0, 21.0, 5, &SPEC), 0);
        assert_eq!(reg.len(), 5);
    }

    #[test]
    fn synapses_at_the_same_position_are_distinct_neighbours() {
        let mut reg = CoactivityRegister::default();
        assert_eq!(reg.count_and_record(0.0, 30.0, 7, &SPEC), 0);
        assert_eq!(reg.count_and_record(1.0, 30.0, 3, &SPEC), 1);
        assert_eq!(reg.count_and_record(2.0, 30.0, 9, &SPEC), 2);
        assert_eq!(
            reg.count_and_record(3.0, 30.0, 3, &SPEC),
            2,
            "7 and 9, not itself"
        );
        assert_eq!(reg.len(), 3);
    }

    #[test]
    fn a_forgotten_synapse_is_no_neighbour() {
        let mut reg = CoactivityRegister::default();
        reg.count_and_record(0.0, 30.0, 1, &SPEC);
        reg.count_and_record(1.0, 35.0, 2, &SPEC);
        reg.forget(30.0, 1);
        reg.forget(30.0, 5); // not held: nothing happens
        assert_eq!(reg.len(), 1);
        assert_eq!(reg.count_and_record(2.0, 31.0, 3, &SPEC), 1, "only synapse 2");
    }

    /// The count from first principles: distinct other keys within the radius in the window.
    fn brute_force(events: &[(f64, f32, u32)], t_ms: f64, x: f32, key: u32, spec: &CoactivitySpec) -> u32 {
        let mut keys: Vec<u32> = events
            .iter()
            .filter(|&&(t, y, k)| {
                k != key && t > t_ms - spec.window_ms && f64::from((y - x).abs()) <= spec.radius_um
            })
            .map(|e| e.2)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.len() as u32
    }

    #[test]
    fn counts_equal_brute_force_at_any_radius_and_position() {
        // Positions on a 100 µm branch and beyond both ends, shared positions, radii of every
        // size (zero and infinite included) on separate registers and mixed in one.
        let radii = [10.0, 3.0, 25.0, 0.0, 250.0, f64::INFINITY];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        for round in 0..=radii.len() {
            let mut reg = CoactivityRegister::with_capacity(4);
            let mut events = Vec::new();
            let mut t = 0.0;
            for step in 0..3000 {
                // Round `radii.len()` mixes all radii in one register.
                let radius_um = radii[if round < radii.len() {
                    round
                } else {
                    step % radii.len()
                }];
                let spec = CoactivitySpec {
                    radius_um,
                    window_ms: if step % 3 == 0 { 20.0 } else { 50.0 },
                };
                t += (10.0 * next()).floor() * 0.1;
                let key = (next() * 60.0) as u32;
                // Each key has its own position, some outside [0, 100]; keys 0-4 share one.
                let x = if key < 5 {
                    42.0
                } else {
                    ((f64::from(key) * 7.3) % 120.0 - 10.0) as f32
                };
                let expected = brute_force(&events, t, x, key, &spec);
                assert_eq!(
                    reg.count_and_record(t, x, key, &spec),
                    expected,
                    "r {radius_um}, t {t}"
                );
                events.push((t, x, key));
            }
            assert_eq!(reg.len(), 60);
        }
    }
}
