//! The co-activity signal of one branch for [`LocalCoactivity`](crate::rules::LocalCoactivity):
//! how many *other* synapses within a radius were active within a window.
//!
//! The register holds one entry per synapse that has spiked: its position (a 16-bit code, see
//! [`PositionScale`]), an opaque key that tells it from its neighbours, and the [`Stamp`] (step
//! modulo 2^32) of its last input spike, kept sorted by position (three parallel columns). A
//! query at position `x` finds the first entry within the radius (a search that starts where
//! `x - radius` falls in the span of positions held), then passes over the positions from
//! there, a block at a time with branch-free tests, to find how many entries lie within the
//! radius and where the synapse's own entry lies among them, and over their stamps to count
//! those whose last spike falls in the window. A synapse counts once however
//! often it spiked, because it has one entry. The cost of a query is a short search plus the
//! neighbours within the radius, independent of the input rate and the window; the
//! memory is 10 bytes per synapse. No allocation once every synapse of the branch has spiked
//! once (or once [`CoactivityRegister::reserve`] made room for all).
//!
//! Ages are differences of stamps (wrapping), so a stamp must never grow 2^32 steps old:
//! [`CoactivityRegister::refresh`], called at least once every [`REFRESH_STEPS`] steps, caps
//! every age at 2^31 steps, which reads as "not active" for any window (windows are capped at
//! 2^31 steps, about 2.5 days at 0.1 ms, and count only younger ages).

use crate::position::{PositionScale, snap_whole};
use crate::rule::CoactivitySpec;
use crate::signals::Stamp;

/// The age (steps) of a synapse that has not spiked for at least this long, and of a new entry.
const LONG_AGO: u32 = 1 << 31;

/// How often (steps) [`CoactivityRegister::refresh`] must run at the least: ages then stay below
/// 2^32 steps between refreshes.
pub const REFRESH_STEPS: u64 = 1 << 30;

/// A co-activity query in the register's units: the radius as a difference of position codes
/// and the window as the number of steps a neighbour's last spike may be old (strictly less).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Neighbourhood {
    /// Only synapses whose position codes differ by at most this much count.
    pub reach: u32,
    /// Only synapses whose last spike is fewer than this many steps old count.
    pub window_steps: u32,
}

impl CoactivitySpec {
    /// This spec on steps of `dt_ms` and positions coded by `scale`: the radius becomes
    /// [`PositionScale::reach`]; a spike `window_ms` old or older does not count, so the window
    /// holds the ages below `window_ms / dt_ms` (a ratio within 10^-9 of an integer is taken as
    /// that integer). Windows are capped at 2^31 steps.
    pub fn neighbourhood(&self, dt_ms: f64, scale: &PositionScale) -> Neighbourhood {
        let steps = snap_whole(self.window_ms / dt_ms).ceil();
        Neighbourhood {
            reach: scale.reach(self.radius_um),
            // NaN and negative windows saturate to 0 (nothing counts).
            window_steps: steps.clamp(0.0, f64::from(LONG_AGO)) as u32,
        }
    }
}

/// Entries a query examines per block, branch-free.
const BLOCK: usize = 16;

/// Entries the search for the start of a query's range walks before it turns to a binary search.
const WALK: usize = 16;

/// Recent presynaptic activity on one branch. The key only distinguishes a synapse from its
/// neighbours (it is never used to reach the synapse).
#[derive(Debug, Clone)]
pub struct CoactivityRegister {
    /// Position codes, sorted by (position, key).
    position: Vec<u16>,
    /// Keys, parallel to `position`.
    key: Vec<u32>,
    /// Stamp of each synapse's last input spike (one [`LONG_AGO`] before its first), parallel.
    last: Vec<u32>,
    /// Smallest and largest position ever held: the span a search interpolates in.
    lo: u16,
    hi: u16,
    /// Entries per position code over that span, `(len - 1) / (hi - lo)`, with 16 fractional
    /// bits (0 for an empty span): where a search starts, without a division per query.
    per_code: u64,
}

impl Default for CoactivityRegister {
    fn default() -> Self {
        CoactivityRegister {
            position: Vec::new(),
            key: Vec::new(),
            last: Vec::new(),
            lo: u16::MAX,
            hi: 0,
            per_code: 0,
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
        self.position.reserve_exact(additional);
        self.key.reserve_exact(additional);
        self.last.reserve_exact(additional);
    }

    /// The first entry not before `(position, key)` (a binary search).
    fn locate(&self, position: u16, key: u32) -> usize {
        let (mut lo, mut hi) = (0, self.position.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if (self.position[mid], self.key[mid]) < (position, key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The first entry whose position is at least `position`. The search starts where the
    /// position falls in the span of positions held and walks from there: on a branch whose
    /// synapses are spread along it, that is within a few entries of the answer, on the cache
    /// lines the scan reads next. After [`WALK`] entries it falls back to a binary search (a
    /// branch whose synapses cluster).
    fn first_at_or_above(&self, position: u16) -> usize {
        let pos = &self.position;
        let n = pos.len();
        if n == 0 {
            return 0;
        }
        // Entries are held, so lo <= hi; a position outside the span saturates to an end.
        let into = u64::from(position.clamp(self.lo, self.hi) - self.lo);
        let guess = ((into * self.per_code) >> 16).min(n as u64 - 1) as usize;
        let mut j = guess;
        if pos[j] >= position {
            // The answer is at or below the guess.
            let stop = j.saturating_sub(WALK);
            while j > stop && pos[j - 1] >= position {
                j -= 1;
            }
            if j == stop && j > 0 && pos[j - 1] >= position {
                j = pos[..j].partition_point(|&p| p < position);
            }
        } else {
            // The answer is above the guess.
            let stop = (j + WALK).min(n);
            while j < stop && pos[j] < position {
                j += 1;
            }
            if j == stop && j < n && pos[j] < position {
                j += pos[j..].partition_point(|&p| p < position);
            }
        }
        j
    }

    /// Count other synapses within reach of `position` whose last spike is younger than the
    /// window, then record this spike of synapse `key` (at `position`), stamped `now`. Each
    /// neighbour counts once however often it spiked.
    ///
    /// The entries within reach are contiguous (sorted positions): one pass over their
    /// positions, a block at a time with branch-free tests, finds how many lie within reach and
    /// how many of those lie before `position`; one pass over their stamps counts the active
    /// ones; the synapse's own entry (then taken off the count if it was active) is where
    /// `(position, key)` falls among them. A synapse seen for the first time gets an entry
    /// there.
    pub fn count_and_record(&mut self, now: Stamp, position: u16, key: u32, near: &Neighbourhood) -> u32 {
        let now = now.0;
        let (r, window) = (near.reach, near.window_steps);
        let below = position.saturating_sub(r.min(u32::from(u16::MAX)) as u16);
        let above = u32::from(position) + r;
        let start = self.first_at_or_above(below);
        // Entries from `start` on are at least `below`: inside while at most `above`.
        let (inside, before) = span(&self.position[start..], above, position);
        let end = start + inside;
        let active = self.last[start..end]
            .iter()
            .map(|&l| u32::from(now.wrapping_sub(l) < window))
            .sum::<u32>();
        // The first entry not before (position, key): the synapse's own, if it has one.
        let mut at = start + before;
        while at < end && self.position[at] == position && self.key[at] < key {
            at += 1;
        }
        if at < end && self.position[at] == position && self.key[at] == key {
            // The synapse's own entry was inside (distance 0): not its own neighbour.
            let own_active = u32::from(now.wrapping_sub(self.last[at]) < window);
            self.last[at] = now;
            return active - own_active;
        }
        // First spike of this synapse: it was no one's neighbour yet and is not counted.
        self.lo = self.lo.min(position);
        self.hi = self.hi.max(position);
        self.position.insert(at, position);
        self.key.insert(at, key);
        self.last.insert(at, now);
        self.rescale();
        active
    }

    /// Recompute [`CoactivityRegister::per_code`] after the entries or their span changed.
    fn rescale(&mut self) {
        let span = u64::from(self.hi.saturating_sub(self.lo));
        let gaps = self.position.len().saturating_sub(1) as u64;
        self.per_code = (gaps << 16).checked_div(span).unwrap_or(0);
    }

    /// Cap every age at 2^31 steps as of `now`, so that no stamp wraps: call at least once every
    /// [`REFRESH_STEPS`] steps. Counts are unchanged (no window reaches 2^31 steps).
    pub fn refresh(&mut self, now: Stamp) {
        let now = now.0;
        for l in &mut self.last {
            if now.wrapping_sub(*l) >= LONG_AGO {
                *l = now.wrapping_sub(LONG_AGO);
            }
        }
    }

    /// Remove the entry of synapse `key` at `position` (a pruned synapse, or one that moves):
    /// it no longer counts as anyone's neighbour.
    pub fn forget(&mut self, position: u16, key: u32) {
        let at = self.locate(position, key);
        if at < self.position.len() && self.key[at] == key && self.position[at] == position {
            self.position.remove(at);
            self.key.remove(at);
            self.last.remove(at);
            self.rescale();
        }
    }

    /// Synapses held (those that have spiked and were not forgotten).
    pub fn len(&self) -> usize {
        self.position.len()
    }

    /// Whether no synapse is held.
    pub fn is_empty(&self) -> bool {
        self.position.is_empty()
    }

    /// Bytes of heap held.
    pub fn heap_bytes(&self) -> usize {
        2 * self.position.capacity() + 4 * (self.key.capacity() + self.last.capacity())
    }
}

/// Of the sorted positions `pos`, how many from the start are at most `above` (the run within
/// reach) and how many of those are below `position`; a block at a time, branch-free within a
/// block, so that a block of fixed size is vectorised.
fn span(pos: &[u16], above: u32, position: u16) -> (usize, usize) {
    // Codes are at most u16::MAX, so a reach beyond it holds them all.
    let above = above.min(u32::from(u16::MAX)) as u16;
    let (mut inside, mut before) = (0usize, 0usize);
    let count = |block: &[u16]| {
        let near: u16 = block.iter().map(|&p| u16::from(p <= above)).sum();
        let low: u16 = block.iter().map(|&p| u16::from(p < position)).sum();
        (usize::from(near), usize::from(low))
    };
    for block in pos.chunks(BLOCK) {
        let (near, low) = match block.as_array::<BLOCK>() {
            Some(b) => count(b),
            None => count(block),
        };
        inside += near;
        before += low;
        if near < block.len() {
            break;
        }
    }
    (inside, before)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: CoactivitySpec = CoactivitySpec {
        radius_um: 10.0,
        window_ms: 50.0,
    };
    const DT_MS: f64 = 0.1;
    /// A branch 65535 µm long: a code is a whole µm.
    const MICRONS: PositionScale = PositionScale::unit();

    /// A query at `t_ms` (a whole number of 0.1 ms steps) at `x` µm.
    fn at(reg: &mut CoactivityRegister, t_ms: f64, x: u16, key: u32, spec: &CoactivitySpec) -> u32 {
        let step = (t_ms / DT_MS).round() as u64;
        reg.count_and_record(Stamp::of_step(step), x, key, &spec.neighbourhood(DT_MS, &MICRONS))
    }

    #[test]
    fn counts_only_neighbours_inside_radius_and_window() {
        let mut reg = CoactivityRegister::default();
        assert_eq!(at(&mut reg, 0.0, 20, 1, &SPEC), 0);
        assert_eq!(at(&mut reg, 5.0, 45, 2, &SPEC), 0, "25 µm away");
        assert_eq!(at(&mut reg, 10.0, 29, 3, &SPEC), 1, "9 µm from synapse 1");
        assert_eq!(at(&mut reg, 12.0, 20, 1, &SPEC), 1, "itself excluded, 3 counts");
        assert_eq!(
            at(&mut reg, 15.0, 30, 4, &SPEC),
            2,
            "synapse 1 (10 µm) once, and 3"
        );
        assert_eq!(
            at(&mut reg, 16.0, 41, 6, &SPEC),
            1,
            "11 µm from 3, 10 from 4, 4 from 2 (old)"
        );
        // 70 ms later the earlier spikes are outside the window.
        assert_eq!(at(&mut reg, 85.0, 21, 5, &SPEC), 0);
        assert_eq!(reg.len(), 6);
    }

    #[test]
    fn synapses_at_the_same_position_are_distinct_neighbours() {
        let mut reg = CoactivityRegister::default();
        assert_eq!(at(&mut reg, 0.0, 30, 7, &SPEC), 0);
        assert_eq!(at(&mut reg, 1.0, 30, 3, &SPEC), 1);
        assert_eq!(at(&mut reg, 2.0, 30, 9, &SPEC), 2);
        assert_eq!(at(&mut reg, 3.0, 30, 3, &SPEC), 2, "7 and 9, not itself");
        assert_eq!(reg.len(), 3);
    }

    #[test]
    fn a_forgotten_synapse_is_no_neighbour() {
        let mut reg = CoactivityRegister::default();
        at(&mut reg, 0.0, 30, 1, &SPEC);
        at(&mut reg, 1.0, 35, 2, &SPEC);
        reg.forget(30, 1);
        reg.forget(30, 5); // not held: nothing happens
        assert_eq!(reg.len(), 1);
        assert_eq!(at(&mut reg, 2.0, 31, 3, &SPEC), 1, "only synapse 2");
    }

    /// The count from first principles: distinct other keys within the radius in the window
    /// (times as steps, positions in µm).
    fn brute_force(events: &[(u64, u16, u32)], step: u64, x: u16, key: u32, spec: &CoactivitySpec) -> u32 {
        let window_steps = (spec.window_ms / DT_MS).round() as u64;
        let mut keys: Vec<u32> = events
            .iter()
            .filter(|&&(s, y, k)| {
                k != key && step - s < window_steps && f64::from(y.abs_diff(x)) <= spec.radius_um
            })
            .map(|e| e.2)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.len() as u32
    }

    #[test]
    fn counts_equal_brute_force_at_any_radius_and_position() {
        // Positions on the first 120 µm of a branch; keys 0-4 share one.
        brute_force_check(60, |key| {
            if key < 5 {
                42
            } else {
                ((f64::from(key) * 7.3) % 120.0) as u16
            }
        });
    }

    #[test]
    fn counts_equal_brute_force_where_synapses_cluster() {
        // Nine in ten synapses crowd the first 38 µm, the rest sit near 65 000 µm: where a
        // position falls in the span is a poor guess of its entry, so the search for the start
        // of a range walks far, both ways, and turns to its binary search.
        brute_force_check(300, |key| {
            if key % 10 == 0 {
                65_000 - key as u16
            } else {
                (key / 8) as u16
            }
        });
    }

    /// Random queries from `keys` synapses (synapse `key` at `x(key)` µm), checked against the
    /// brute-force count: radii of every size (zero and infinite included) on separate registers
    /// and mixed in one, across the wrap of the stamps.
    fn brute_force_check(keys: u32, x: impl Fn(u32) -> u16) {
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
            // Steps start just before the stamps wrap, so the walk crosses it.
            let mut now = (1u64 << 32) - 6000;
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
                now += (10.0 * next()).floor() as u64;
                let key = (next() * f64::from(keys)) as u32;
                let x = x(key);
                let expected = brute_force(&events, now, x, key, &spec);
                let near = spec.neighbourhood(DT_MS, &MICRONS);
                assert_eq!(
                    reg.count_and_record(Stamp::of_step(now), x, key, &near),
                    expected,
                    "r {radius_um}, step {now}"
                );
                events.push((now, x, key));
            }
            assert_eq!(reg.len(), keys as usize);
        }
    }

    #[test]
    fn windows_in_steps_hold_the_ages_below_window_over_dt() {
        let spec = |window_ms| CoactivitySpec {
            radius_um: 1.0,
            window_ms,
        };
        let steps = |window_ms| spec(window_ms).neighbourhood(0.1, &MICRONS).window_steps;
        assert_eq!(steps(50.0), 500);
        assert_eq!(steps(0.3), 3, "0.3 / 0.1 = 2.9999999999999996");
        assert_eq!(steps(0.25), 3, "2.5 steps: ages 0, 1, 2");
        assert_eq!(steps(0.0), 0);
        assert_eq!(steps(f64::NAN), 0);
        assert_eq!(steps(f64::INFINITY), LONG_AGO);
    }

    #[test]
    fn refreshed_entries_stay_inactive_however_long_they_were_silent() {
        let near = CoactivitySpec {
            radius_um: 10.0,
            window_ms: 1e300,
        }
        .neighbourhood(DT_MS, &MICRONS);
        assert_eq!(near.window_steps, LONG_AGO, "the longest window there is");
        let mut reg = CoactivityRegister::default();
        reg.count_and_record(Stamp::of_step(0), 30, 1, &near);
        // Synapse 1 stays silent for 5 x 2^32 steps; the register is refreshed as required.
        let mut now = 0;
        while now < 5 << 32 {
            now += REFRESH_STEPS;
            reg.refresh(Stamp::of_step(now));
        }
        assert_eq!(reg.count_and_record(Stamp::of_step(now + 7), 31, 2, &near), 0);
        // Without the refreshes, synapse 1's stamp would read as 7 steps old here.
        let mut stale = CoactivityRegister::default();
        stale.count_and_record(Stamp::of_step(0), 30, 1, &near);
        assert_eq!(
            stale.count_and_record(Stamp::of_step((5 << 32) + 7), 31, 2, &near),
            1
        );
    }
}
