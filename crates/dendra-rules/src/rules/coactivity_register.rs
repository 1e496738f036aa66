//! The co-activity signal of one branch for [`LocalCoactivity`](crate::rules::LocalCoactivity):
//! how many *other* synapses within a radius were active within a window.
//!
//! The register keeps each recent input spike as `(time, position, synapse key)`, in spatial
//! bins of fixed width (the radius of the first query). A query at position `x` with radius
//! `r` scans only the bins that overlap `[x - r, x + r]`, so on a branch of length `L` it reads
//! about `3r / L` of the window's events instead of all of them. Within a bin the events are
//! one array in time order with a moving start, scanned in one branch-free pass; a bin is
//! compacted when half of it has expired. No allocation once each bin's largest occupancy in a
//! window has been reached.

use crate::rule::CoactivitySpec;

/// Bins at most (positions beyond the last bin share it, so any position is valid).
const MAX_BINS: usize = 1024;

/// Recent presynaptic activity on one branch. The key only distinguishes a synapse from its
/// neighbours (it is never used to reach the synapse).
#[derive(Debug, Clone, Default)]
pub struct CoactivityRegister {
    /// Width of a bin (µm); fixed by the first query (0: not yet).
    bin_um: f64,
    bins: Vec<Bin>,
    /// Capacity of a new bin.
    capacity: usize,
    /// Keys of the neighbours found by the current call (reused).
    seen: Vec<u64>,
}

/// One input spike held by a register.
#[derive(Debug, Clone, Copy)]
struct Event {
    t_ms: f64,
    key: u64,
    position_um: f32,
}

/// The events of one spatial bin, in time order from `head`, in one contiguous array (a query
/// touches a few cache lines per bin).
#[derive(Debug, Clone, Default)]
struct Bin {
    events: Vec<Event>,
    /// First live event.
    head: usize,
}

impl Bin {
    fn with_capacity(capacity: usize) -> Self {
        Bin {
            events: Vec::with_capacity(capacity),
            head: 0,
        }
    }

    /// Drop the events at or before `oldest_ms` (times arrive in order).
    fn expire(&mut self, oldest_ms: f64) {
        while self.head < self.events.len() && self.events[self.head].t_ms <= oldest_ms {
            self.head += 1;
        }
        if self.head > 16 && 2 * self.head >= self.events.len() {
            self.events.drain(..self.head);
            self.head = 0;
        }
    }

    /// Append to `seen` (from `m` on) the keys of live events within `radius_um` of
    /// `position_um` other than `key`; the new length of the found prefix.
    fn neighbours(
        &self,
        position_um: f32,
        radius_um: f64,
        key: u64,
        seen: &mut Vec<u64>,
        mut m: usize,
    ) -> usize {
        let live = &self.events[self.head..];
        seen.resize(m + live.len(), 0);
        // Written unconditionally and kept where the test holds.
        for e in live {
            seen[m] = e.key;
            m += usize::from(e.key != key && f64::from((e.position_um - position_um).abs()) <= radius_um);
        }
        m
    }
}

impl CoactivityRegister {
    /// An empty register whose bins start with room for `capacity` events each.
    pub fn with_capacity(capacity: usize) -> Self {
        CoactivityRegister {
            capacity,
            ..CoactivityRegister::default()
        }
    }

    /// The bin of `position_um` (clamped to the valid bins, which keeps every neighbour of a
    /// position inside the bin range of its query).
    fn bin_of(&self, position_um: f64) -> usize {
        if self.bin_um.is_finite() && self.bin_um > 0.0 {
            (position_um / self.bin_um)
                .floor()
                .clamp(0.0, (MAX_BINS - 1) as f64) as usize
        } else {
            0
        }
    }

    /// Count other synapses within `radius_um` of `position_um` active in `(t - window, t]`,
    /// then record this spike. Each neighbour counts once however often it spiked.
    pub fn count_and_record(&mut self, t_ms: f64, position_um: f32, key: u64, spec: &CoactivitySpec) -> u32 {
        if self.bin_um == 0.0 {
            // Bins as wide as the radius: a query reads three of them. A zero radius (only
            // synapses at the same spot) gets 1 µm bins.
            self.bin_um = if spec.radius_um > 0.0 { spec.radius_um } else { 1.0 };
        }
        let x = f64::from(position_um);
        let oldest = t_ms - spec.window_ms;
        let own = self.bin_of(x);
        if self.bins.len() <= own {
            let capacity = self.capacity;
            self.bins.resize_with(own + 1, || Bin::with_capacity(capacity));
        }
        let lo = self.bin_of(x - spec.radius_um);
        let hi = self.bin_of(x + spec.radius_um).min(self.bins.len() - 1);
        let mut m = 0;
        for bin in &mut self.bins[lo..=hi] {
            bin.expire(oldest);
            m = bin.neighbours(position_um, spec.radius_um, key, &mut self.seen, m);
        }
        // Distinct keys among the (few) neighbours.
        let near = &self.seen[..m];
        let n = (0..m).filter(|&i| !near[..i].contains(&near[i])).count() as u32;
        self.bins[own].events.push(Event {
            t_ms,
            key,
            position_um,
        });
        n
    }

    /// Events held (including expired ones in bins not visited since they expired).
    pub fn len(&self) -> usize {
        self.bins.iter().map(|b| b.events.len() - b.head).sum()
    }

    /// Whether no event is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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
    }

    /// The count from first principles: distinct other keys within the radius in the window.
    fn brute_force(events: &[(f64, f32, u64)], t_ms: f64, x: f32, key: u64, spec: &CoactivitySpec) -> u32 {
        let mut keys: Vec<u64> = events
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
    fn binned_counts_equal_brute_force_at_any_radius_and_position() {
        // Positions on a 100 µm branch and beyond both ends (clamped bins), radii smaller and
        // larger than the first query's (which fixes the bin width), and the infinite radius.
        let radii = [10.0, 3.0, 25.0, 0.0, 250.0, f64::INFINITY];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        for &radius_um in &radii {
            let spec = CoactivitySpec {
                radius_um,
                window_ms: 50.0,
            };
            let mut reg = CoactivityRegister::with_capacity(4);
            let mut events = Vec::new();
            let mut t = 0.0;
            for _ in 0..3000 {
                t += (10.0 * next()).floor() * 0.1;
                let key = (next() * 60.0) as u64;
                // Each key has its own position, some outside [0, 100].
                let x = ((key as f64 * 7.3) % 120.0 - 10.0) as f32;
                let expected = brute_force(&events, t, x, key, &spec);
                assert_eq!(
                    reg.count_and_record(t, x, key, &spec),
                    expected,
                    "r {radius_um}, t {t}"
                );
                events.push((t, x, key));
            }
        }
    }

    #[test]
    fn bin_width_from_the_first_query_serves_other_radii() {
        let wide = CoactivitySpec {
            radius_um: 30.0,
            window_ms: 50.0,
        };
        let mut reg = CoactivityRegister::default();
        reg.count_and_record(0.0, 50.0, 1, &SPEC);
        // 10 µm bins; a 30 µm query reaches three bins each way.
        assert_eq!(reg.count_and_record(1.0, 78.0, 2, &wide), 1);
        assert_eq!(
            reg.count_and_record(2.0, 79.0, 3, &SPEC),
            1,
            "only synapse 2 within 10 µm"
        );
    }
}
