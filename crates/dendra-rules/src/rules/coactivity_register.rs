//! The co-activity signal of a branch for [`LocalCoactivity`](crate::rules::LocalCoactivity):
//! how many *other* synapses of the same branch within a radius were active within a window.
//!
//! A register holds the synapses of many branches, placed when the network is built: one entry
//! per synapse, its position (a 16-bit code, see [`PositionScale`]) and the [`Stamp`] (step
//! modulo 2^32) of its last input spike (one that reads as long ago before its first), in two
//! parallel columns, the entries of a branch contiguous and sorted by position. Branches and
//! synapses are opaque numbers to it (the caller's branch index and key); a key finds its entry
//! directly. A query from a synapse counts, over fixed windows of 16 entries on either side of
//! its own, branch-free, those of its branch within the radius whose last spike falls in the
//! window; where the neighbourhood reaches beyond those windows, it passes outwards from its own
//! entry over the positions, a block at a time, to find the entries within the radius
//! (contiguous, as positions are sorted), and counts the active ones among them. A synapse
//! counts once however often it spiked, because it has one entry. The cost of a query is the
//! neighbours within the radius, with no search, independent of the input rate and the window.
//! Where every query that counts uses one radius and entries never move (the usual case: one
//! co-activity rule on the compartment, no formation of synapses), the register is placed for
//! that radius: each synapse keeps how many entries of its branch lie within reach below and
//! above its own (a byte each), so a query reads only stamps (the masks of its fixed windows
//! follow from the two counts) and the positions are not kept.
//! The memory is 8 or 10 bytes per synapse (position or the two counts 2, stamp 2 or 4, see below,
//! the index of its entry 4) and 4 per branch (and 16 entries of padding at either end of a
//! register, so that every entry has its windows), plus 4 per synapse where entries can move
//! ([`CoactivityRegister::relocate`], for synapses formed at new positions), which must know whose
//! entry each one is, and 2 where a register placed for one radius keeps positions too (a synapse
//! with more than 254 neighbours on one side).
//!
//! Stamps take 16 bits where every window the register serves is at most 2^15 steps (3.3 s at
//! 0.1 ms; a query reads half the bytes), else 32. Ages are differences of stamps (wrapping),
//! so a stamp must never grow 2^16 (or 2^32) steps old: [`CoactivityRegister::refresh`], called
//! at least once every [`REFRESH_STEPS`] steps, caps every age at 2^15 (2^31) steps, which
//! reads as "not active" for any window the register serves (windows are capped at 2^31 steps,
//! about 2.5 days at 0.1 ms, and count only younger ages).

use crate::position::{PositionScale, snap_whole};
use crate::rule::CoactivitySpec;
use crate::signals::Stamp;

/// The age (steps) of a synapse that has not spiked for at least this long, and of a new entry.
const LONG_AGO: u32 = 1 << 31;

/// How often (steps) [`CoactivityRegister::refresh`] must run at the least: ages then stay below
/// 2^16 steps between refreshes (2^15 + 2^14).
pub const REFRESH_STEPS: u64 = 1 << 14;

/// The stamp of a synapse's last input spike, as a register keeps it: a step modulo 2^16 or
/// 2^32 (see the module docs).
trait StampWord: Copy + PartialOrd + std::fmt::Debug {
    /// The age a refresh caps every older one at: no window the register serves counts it.
    const LONG_AGO: Self;
    /// [`StampWord::LONG_AGO`] in steps: the longest window the word serves.
    const LONG_AGO_STEPS: u32;
    /// The stamp of a step (its 32-bit [`Stamp`] truncated to the word).
    fn of(stamp: u32) -> Self;
    fn wrapping_sub(self, other: Self) -> Self;
    /// A window of `steps` steps (at most [`StampWord::LONG_AGO_STEPS`]).
    fn window(steps: u32) -> Self;
}

impl StampWord for u16 {
    const LONG_AGO: u16 = 1 << 15;
    const LONG_AGO_STEPS: u32 = 1 << 15;
    fn of(stamp: u32) -> u16 {
        stamp as u16
    }
    fn wrapping_sub(self, other: u16) -> u16 {
        u16::wrapping_sub(self, other)
    }
    fn window(steps: u32) -> u16 {
        steps as u16
    }
}

impl StampWord for u32 {
    const LONG_AGO: u32 = LONG_AGO;
    const LONG_AGO_STEPS: u32 = LONG_AGO;
    fn of(stamp: u32) -> u32 {
        stamp
    }
    fn wrapping_sub(self, other: u32) -> u32 {
        u32::wrapping_sub(self, other)
    }
    fn window(steps: u32) -> u32 {
        steps
    }
}

/// The stamps of a register's entries, in the narrowest word that serves its windows.
#[derive(Debug, Clone)]
enum Stamps {
    Short(Vec<u16>),
    Long(Vec<u32>),
}

impl Default for Stamps {
    fn default() -> Self {
        Stamps::Long(Vec::new())
    }
}

impl Stamps {
    /// `n` stamps of synapses that have not spiked, in the word for windows up to `longest`
    /// steps.
    fn new(n: usize, longest: u32) -> Stamps {
        if longest <= <u16 as StampWord>::LONG_AGO_STEPS {
            Stamps::Short(vec![0u16.wrapping_sub(<u16 as StampWord>::LONG_AGO); n])
        } else {
            Stamps::Long(vec![0u32.wrapping_sub(LONG_AGO); n])
        }
    }

    fn len(&self) -> usize {
        match self {
            Stamps::Short(v) => v.len(),
            Stamps::Long(v) => v.len(),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Stamps::Short(v) => 2 * v.capacity(),
            Stamps::Long(v) => 4 * v.capacity(),
        }
    }

    /// Stamp entry `j` with `stamp`, or as long ago as a refresh would at `stamp` (`silent`).
    fn set(&mut self, j: usize, stamp: u32, silent: bool) {
        fn put<T: StampWord>(v: &mut [T], j: usize, stamp: u32, silent: bool) {
            let now = T::of(stamp);
            v[j] = if silent {
                now.wrapping_sub(T::LONG_AGO)
            } else {
                now
            };
        }
        match self {
            Stamps::Short(v) => put(v, j, stamp, silent),
            Stamps::Long(v) => put(v, j, stamp, silent),
        }
    }
}

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

/// Entries kept before the first branch and after the last, so that every entry has this many
/// on either side: a query whose neighbourhood lies within them counts over fixed windows.
const PAD: usize = 16;

/// `PAD` zeros then `PAD` ones: the `PAD` values from `PAD - k` on are 1 from lane `k` on.
static ONES_AFTER: [u8; 2 * PAD] = {
    let mut v = [0u8; 2 * PAD];
    let mut j = PAD;
    while j < 2 * PAD {
        v[j] = 1;
        j += 1;
    }
    v
};

/// `PAD` ones then `PAD` zeros: the `PAD` values from `PAD - k` on are 1 in the first `k` lanes.
static ONES_BEFORE: [u8; 2 * PAD] = {
    let mut v = [0u8; 2 * PAD];
    let mut j = 0;
    while j < PAD {
        v[j] = 1;
        j += 1;
    }
    v
};

/// The most synapses one register holds (its entries, padding included, are counted in `u32`).
pub const MAX_SYNAPSES: u64 = u32::MAX as u64 - 2 * PAD as u64;

/// What a register will be asked (see [`CoactivityRegister::place`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queries {
    /// The reach (position codes) of every query that counts, if they all ask for one.
    pub reach: Option<u32>,
    /// The longest window of any query (steps).
    pub longest_window_steps: u32,
}

impl Queries {
    /// Queries of any reach and window.
    pub const ANY: Queries = Queries {
        reach: None,
        longest_window_steps: LONG_AGO,
    };
}

/// One synapse to place in a register: its branch, its position code on the branch and its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Placement {
    /// The caller's index of the synapse's branch (`0..branches`).
    pub branch: u32,
    /// Position code on the branch.
    pub position: u16,
    /// The caller's key of the synapse (the keys of a register are `0..synapses`).
    pub key: u32,
}

/// Recent presynaptic activity on the synapses of a set of branches. Keys and branch indices
/// are the caller's; they never reach anything but the register's own entries.
#[derive(Debug, Clone, Default)]
pub struct CoactivityRegister {
    /// First entry of each branch, then the number of entries (`branches + 1`).
    start: Vec<u32>,
    /// Position codes, sorted by (position, key) within each branch.
    position: Vec<u16>,
    /// Stamp of each synapse's last input spike (one [`StampWord::LONG_AGO`] before the
    /// start, for a synapse that has not spiked), parallel to `position`.
    last: Stamps,
    /// The entry of each key.
    entry: Vec<u32>,
    /// The key of each entry, parallel to `position`; kept only where entries can move.
    key: Vec<u32>,
    /// The reach the register was placed for, if any (see [`CoactivityRegister::place`]).
    fixed_reach: Option<u16>,
    /// With a fixed reach, per key: how many entries of the synapse's branch lie within reach
    /// below its own entry and above it (`u8::MAX`: too many to count this way).
    within: Vec<[u8; 2]>,
}

impl CoactivityRegister {
    /// A register of `branches` branches holding the synapses `placements`, whose keys must be
    /// `0..placements.len()`, each once; no synapse has spiked. `movable`: whether synapses
    /// will be [relocated](CoactivityRegister::relocate) (which keeps each entry's key, 4 bytes
    /// per synapse more).
    ///
    /// `queries` says what the register will be asked: where every query that counts (with a
    /// non-empty window) asks for one reach, the register counts each synapse's neighbours
    /// within it now and keeps no positions unless it is `movable` (or a synapse has more than
    /// 254 neighbours on one side); its stamps take 16 bits where no window is longer than
    /// 2^15 steps. A query for another reach (where positions are not kept) or a longer window
    /// then panics.
    ///
    /// # Panics
    /// If a key is missing or repeated, a branch index is `branches` or more, or there are more
    /// than [`MAX_SYNAPSES`].
    pub fn place(branches: usize, mut placements: Vec<Placement>, movable: bool, queries: Queries) -> Self {
        placements.sort_unstable();
        let n = placements.len();
        assert!(
            n as u64 <= MAX_SYNAPSES,
            "at most {MAX_SYNAPSES} synapses per register"
        );
        let mut start = vec![PAD as u32; branches + 1];
        let mut entry = vec![u32::MAX; n];
        for (j, p) in placements.iter().enumerate() {
            assert!(
                (p.branch as usize) < branches,
                "branch {} of {branches}",
                p.branch
            );
            start[p.branch as usize + 1] += 1;
            let slot = &mut entry[p.key as usize];
            assert_eq!(*slot, u32::MAX, "key {} placed twice", p.key);
            *slot = (PAD + j) as u32;
        }
        for b in 0..branches {
            start[b + 1] += start[b] - PAD as u32;
        }
        let mut register = CoactivityRegister {
            start,
            position: padded(0, placements.iter().map(|p| p.position)),
            last: Stamps::new(n + 2 * PAD, queries.longest_window_steps),
            entry,
            key: if movable {
                padded(u32::MAX, placements.iter().map(|p| p.key))
            } else {
                Vec::new()
            },
            fixed_reach: None,
            within: Vec::new(),
        };
        if let Some(reach) = queries.reach
            && !movable
        {
            register.count_within(&placements, reach_code(reach));
        }
        register
    }

    /// Count, for every synapse of `placements` (sorted as the entries), the entries of its
    /// branch within `reach` below and above its own (one pass over each branch, the edges of
    /// the reach moving along with it).
    fn count_within(&mut self, placements: &[Placement], reach: u16) {
        let mut within = vec![[0u8; 2]; placements.len()];
        let mut saturated = false;
        for b in 0..self.start.len() - 1 {
            let (first, end) = (self.start[b] as usize - PAD, self.start[b + 1] as usize - PAD);
            let branch = &placements[first..end];
            let (mut lo, mut hi) = (0, 0);
            for (j, p) in branch.iter().enumerate() {
                let (below, above) = (p.position.saturating_sub(reach), p.position.saturating_add(reach));
                while branch[lo].position < below {
                    lo += 1;
                }
                hi = hi.max(j + 1);
                while hi < branch.len() && branch[hi].position <= above {
                    hi += 1;
                }
                let count = |n: usize| u8::try_from(n).unwrap_or(u8::MAX);
                let pair = [count(j - lo), count(hi - j - 1)];
                saturated |= pair.contains(&u8::MAX);
                within[p.key as usize] = pair;
            }
        }
        self.fixed_reach = Some(reach);
        self.within = within;
        if !saturated {
            self.position = Vec::new();
        }
    }

    /// Count the other synapses of `branch` within reach of synapse `key` whose last spike is
    /// younger than the window, then record this spike of it, stamped `now`. Each neighbour
    /// counts once however often it spiked.
    ///
    /// Where the register was placed for the query's reach, the synapse's counts of neighbours
    /// below and above give the masks of the fixed windows described next (or the stretch of
    /// stamps to sum, where they reach further), and no position is read.
    ///
    /// Otherwise: where the entry 16 places below the synapse's own and the one 16 places above
    /// lie out of reach (or off the branch), every neighbour lies between them: the 16 entries on either
    /// side are counted without a branch, those of other branches masked by index. Otherwise
    /// the entries within reach, contiguous as positions are sorted, are found by one pass
    /// downwards and one upwards from the synapse's own entry over their positions, a block at
    /// a time, and one pass over their stamps counts the active ones (the synapse's own, if
    /// active, then taken off).
    ///
    /// # Panics
    /// If the register was placed for another reach and keeps no positions.
    #[inline]
    pub fn count_and_record(&mut self, now: Stamp, branch: usize, key: u32, near: &Neighbourhood) -> u32 {
        let own = self.entry[key as usize] as usize;
        let active = if near.window_steps == 0 {
            // Nothing is younger than 0 steps.
            0
        } else {
            match &self.last {
                Stamps::Short(last) => self.count(last, own, branch, key, near, now.0),
                Stamps::Long(last) => self.count(last, own, branch, key, near, now.0),
            }
        };
        self.last.set(own, now.0, false);
        active
    }

    /// The active entries of `branch` within reach of entry `own` (synapse `key`), over the
    /// stamps `last`.
    #[inline(always)]
    fn count<T: StampWord>(
        &self,
        last: &[T],
        own: usize,
        branch: usize,
        key: u32,
        near: &Neighbourhood,
        now: u32,
    ) -> u32 {
        assert!(
            near.window_steps <= T::LONG_AGO_STEPS,
            "a register placed for windows up to {} steps was asked for {}",
            T::LONG_AGO_STEPS,
            near.window_steps
        );
        let (now, window) = (T::of(now), T::window(near.window_steps));
        if self.fixed_reach == Some(reach_code(near.reach))
            && let [n_lo, n_hi] = self.within[key as usize]
            && n_lo < u8::MAX
            && n_hi < u8::MAX
        {
            count_within_reach(last, own, (usize::from(n_lo), usize::from(n_hi)), now, window)
        } else {
            assert!(
                !self.position.is_empty(),
                "a register placed for reach {:?} was asked for reach {}",
                self.fixed_reach,
                near.reach
            );
            self.count_by_position(last, own, branch, near, now, window)
        }
    }

    /// The active entries of `branch` within reach of `own`, found over the positions.
    #[inline(always)]
    fn count_by_position<T: StampWord>(
        &self,
        last: &[T],
        own: usize,
        branch: usize,
        near: &Neighbourhood,
        now: T,
        window: T,
    ) -> u32 {
        let (first, end) = (self.start[branch] as usize, self.start[branch + 1] as usize);
        debug_assert!(
            (first..end).contains(&own),
            "entry {own} is not on branch {branch}"
        );
        let x = self.position[own];
        let reach = reach_code(near.reach);
        let (below, above) = (x.saturating_sub(reach), x.saturating_add(reach));
        // The padding keeps `PAD` entries on either side of every entry.
        let (lo_edge, hi_edge) = (own - PAD, own + PAD);
        let fits = (lo_edge < first || self.position[lo_edge] < below)
            && (hi_edge >= end || self.position[hi_edge] > above);
        if fits {
            // Every entry within reach lies among the `PAD` on either side: count over those
            // fixed windows, branch-free, masking entries of other branches by index.
            let skip_lo = first.saturating_sub(lo_edge);
            let keep_hi = (end - own - 1).min(PAD);
            let (pos_lo, pos_hi) = (run_of(&self.position, lo_edge), run_of(&self.position, own + 1));
            // Byte lanes (0 or 1) of the entries on the branch: the last `PAD - skip_lo` below,
            // the first `keep_hi` above; of those, the ones within reach.
            let (on_lo, on_hi) = (
                run_of(&ONES_AFTER, PAD - skip_lo),
                run_of(&ONES_BEFORE, PAD - keep_hi),
            );
            let near_lo = std::array::from_fn(|t| u8::from(pos_lo[t] >= below) & on_lo[t]);
            let near_hi = std::array::from_fn(|t| u8::from(pos_hi[t] <= above) & on_hi[t]);
            count_windows(last, own, (near_lo, near_hi), now, window)
        } else {
            let lo = own - trailing_at_least(&self.position[first..own], below);
            let hi = own + 1 + leading_at_most(&self.position[own + 1..end], above);
            count_stretch(last, lo..hi, own, now, window)
        }
    }

    /// Cap every age at 2^15 (with 32-bit stamps 2^31) steps as of `now`, so that no stamp
    /// wraps: call at least once every [`REFRESH_STEPS`] steps. Counts are unchanged (no window
    /// the register serves reaches the cap).
    pub fn refresh(&mut self, now: Stamp) {
        fn cap<T: StampWord>(last: &mut [T], now: u32) {
            let now = T::of(now);
            for l in last {
                if now.wrapping_sub(*l) >= T::LONG_AGO {
                    *l = now.wrapping_sub(T::LONG_AGO);
                }
            }
        }
        match &mut self.last {
            Stamps::Short(last) => cap(last, now.0),
            Stamps::Long(last) => cap(last, now.0),
        }
    }

    /// Synapse `key` no longer counts as anyone's neighbour (a pruned synapse), as of `now`,
    /// until it spikes again.
    pub fn silence(&mut self, key: u32, now: Stamp) {
        let own = self.entry[key as usize] as usize;
        self.last.set(own, now.0, true);
    }

    /// Move synapse `key` of `branch` to position code `position`, as a synapse that has not
    /// spiked (one formed at a new place). The entries between its old and new place shift by
    /// one.
    ///
    /// # Panics
    /// If the register was not placed `movable`.
    pub fn relocate(&mut self, branch: usize, key: u32, position: u16, now: Stamp) {
        assert!(
            self.key.len() == self.position.len(),
            "relocate needs a register placed movable"
        );
        let own = self.entry[key as usize] as usize;
        let (first, end) = (self.start[branch] as usize, self.start[branch + 1] as usize);
        debug_assert!((first..end).contains(&own), "key {key} is not on branch {branch}");
        // Its place among the branch's other entries, by (position, key).
        let before = (first..end)
            .filter(|&j| j != own && (self.position[j], self.key[j]) < (position, key))
            .count();
        let to = first + before;
        // The entries between the old place and the new shift by one towards the old.
        let (moved, up) = if to >= own {
            (own..to + 1, true)
        } else {
            (to..own + 1, false)
        };
        shift(&mut self.position[moved.clone()], up);
        match &mut self.last {
            Stamps::Short(last) => shift(&mut last[moved.clone()], up),
            Stamps::Long(last) => shift(&mut last[moved.clone()], up),
        }
        shift(&mut self.key[moved.clone()], up);
        self.position[to] = position;
        self.last.set(to, now.0, true);
        self.key[to] = key;
        for j in moved {
            self.entry[self.key[j] as usize] = j as u32;
        }
    }

    /// Synapses held.
    pub fn len(&self) -> usize {
        self.last.len().saturating_sub(2 * PAD)
    }

    /// Whether no synapse is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of heap held.
    pub fn heap_bytes(&self) -> usize {
        2 * (self.position.capacity() + self.within.capacity())
            + self.last.heap_bytes()
            + 4 * (self.start.capacity() + self.entry.capacity() + self.key.capacity())
    }
}

/// A reach as a difference of position codes: codes are at most `u16::MAX`, so a reach beyond
/// it holds them all.
fn reach_code(reach: u32) -> u16 {
    reach.min(u32::from(u16::MAX)) as u16
}

/// `body` with `PAD` copies of `fill` before and after it.
fn padded<T: Copy>(fill: T, body: impl Iterator<Item = T>) -> Vec<T> {
    let pad = std::iter::repeat_n(fill, PAD);
    pad.clone().chain(body).chain(pad).collect()
}

/// The active entries among the `n_lo` below `own` and the `n_hi` above it in `last`.
#[inline(always)]
fn count_within_reach<T: StampWord>(
    last: &[T],
    own: usize,
    (n_lo, n_hi): (usize, usize),
    now: T,
    window: T,
) -> u32 {
    if n_lo <= PAD && n_hi <= PAD {
        // Fixed windows: the last `n_lo` lanes below, the first `n_hi` above.
        let lanes = (run_of(&ONES_AFTER, n_lo), run_of(&ONES_BEFORE, PAD - n_hi));
        count_windows(last, own, lanes, now, window)
    } else {
        count_stretch(last, own - n_lo..own + n_hi + 1, own, now, window)
    }
}

/// The active entries among the `PAD` below `own` and the `PAD` above it where their byte
/// lanes `on` (below, above) are 1: branch-free, so that the compiler vectorises it.
#[inline(always)]
fn count_windows<T: StampWord>(
    last: &[T],
    own: usize,
    (on_lo, on_hi): ([u8; PAD], [u8; PAD]),
    now: T,
    window: T,
) -> u32 {
    let (last_lo, last_hi) = (run_of(last, own - PAD), run_of(last, own + 1));
    let mut n = 0u8;
    for t in 0..PAD {
        n += on_lo[t] & u8::from(now.wrapping_sub(last_lo[t]) < window);
    }
    for t in 0..PAD {
        n += on_hi[t] & u8::from(now.wrapping_sub(last_hi[t]) < window);
    }
    u32::from(n)
}

/// The active entries of the stretch `range` of `last`, which holds `own`, other than `own`.
#[inline(always)]
fn count_stretch<T: StampWord>(
    last: &[T],
    range: std::ops::Range<usize>,
    own: usize,
    now: T,
    window: T,
) -> u32 {
    count_active(&last[range], now, window) - count_active(&last[own..own + 1], now, window)
}

/// How many of the stamps `last` are younger than `window` at `now`.
#[inline(always)]
fn count_active<T: StampWord>(last: &[T], now: T, window: T) -> u32 {
    last.iter()
        .map(|&l| u32::from(now.wrapping_sub(l) < window))
        .sum()
}

/// The `PAD` values of `v` from `at` on.
#[inline(always)]
fn run_of<T: Copy>(v: &[T], at: usize) -> [T; PAD] {
    *v[at..at + PAD].as_array::<PAD>().expect("a slice of PAD values")
}

/// Move the first value of `v` to its end (`up`) or the last to its start.
fn shift<T>(v: &mut [T], up: bool) {
    if up {
        v.rotate_left(1);
    } else {
        v.rotate_right(1);
    }
}

/// Of the sorted positions `pos`, how many from the start are at most `above`.
fn leading_at_most(pos: &[u16], above: u16) -> usize {
    run_length(pos.chunks(BLOCK), |p| p <= above)
}

/// Of the sorted positions `pos`, how many at the end are at least `below`.
fn trailing_at_least(pos: &[u16], below: u16) -> usize {
    run_length(pos.rchunks(BLOCK), |p| p >= below)
}

/// How many positions pass `inside`, block after block, up to and including the first block
/// in which some fail (positions are sorted, so those that pass come first in the walk's
/// direction); branch-free within a block, so that a block of fixed size is vectorised.
#[inline(always)]
fn run_length<'a>(blocks: impl Iterator<Item = &'a [u16]>, inside: impl Fn(u16) -> bool) -> usize {
    let count = |block: &[u16]| usize::from(block.iter().map(|&p| u16::from(inside(p))).sum::<u16>());
    let mut total = 0;
    for block in blocks {
        let near = match block.as_array::<BLOCK>() {
            Some(b) => count(b),
            None => count(block),
        };
        total += near;
        if near < block.len() {
            break;
        }
    }
    total
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

    /// A register of one branch whose synapse `key` sits at `x[key]` µm.
    fn branch(x: &[u16], movable: bool) -> CoactivityRegister {
        branch_for(x, movable, Queries::ANY)
    }

    /// [`branch`], placed for `queries`.
    fn branch_for(x: &[u16], movable: bool, queries: Queries) -> CoactivityRegister {
        let placements = x
            .iter()
            .enumerate()
            .map(|(key, &position)| Placement {
                branch: 0,
                position,
                key: key as u32,
            })
            .collect();
        CoactivityRegister::place(1, placements, movable, queries)
    }

    /// A query of synapse `key` on branch `b` at `t_ms` (a whole number of 0.1 ms steps).
    fn at(reg: &mut CoactivityRegister, t_ms: f64, b: usize, key: u32, spec: &CoactivitySpec) -> u32 {
        let step = (t_ms / DT_MS).round() as u64;
        reg.count_and_record(Stamp::of_step(step), b, key, &spec.neighbourhood(DT_MS, &MICRONS))
    }

    #[test]
    fn counts_only_neighbours_inside_radius_and_window() {
        // Synapse 0 never spikes; 1 to 6 at these positions (µm).
        let mut reg = branch(&[25, 20, 45, 29, 30, 21, 41], false);
        assert_eq!(at(&mut reg, 0.0, 0, 1, &SPEC), 0);
        assert_eq!(at(&mut reg, 5.0, 0, 2, &SPEC), 0, "25 µm away");
        assert_eq!(at(&mut reg, 10.0, 0, 3, &SPEC), 1, "9 µm from synapse 1");
        assert_eq!(at(&mut reg, 12.0, 0, 1, &SPEC), 1, "itself excluded, 3 counts");
        assert_eq!(
            at(&mut reg, 15.0, 0, 4, &SPEC),
            2,
            "synapse 1 (10 µm) once, and 3"
        );
        assert_eq!(
            at(&mut reg, 16.0, 0, 6, &SPEC),
            1,
            "11 µm from 3, 10 from 4, 4 from 2 (old)"
        );
        // 70 ms later the earlier spikes are outside the window.
        assert_eq!(at(&mut reg, 85.0, 0, 5, &SPEC), 0);
        assert_eq!(reg.len(), 7);
    }

    #[test]
    fn synapses_at_the_same_position_are_distinct_neighbours() {
        let mut reg = branch(&[30; 10], false);
        assert_eq!(at(&mut reg, 0.0, 0, 7, &SPEC), 0);
        assert_eq!(at(&mut reg, 1.0, 0, 3, &SPEC), 1);
        assert_eq!(at(&mut reg, 2.0, 0, 9, &SPEC), 2);
        assert_eq!(at(&mut reg, 3.0, 0, 3, &SPEC), 2, "7 and 9, not itself");
    }

    #[test]
    fn other_branches_are_not_neighbours() {
        // Keys 0-2 on branch 1, 3-5 on branch 0, 6 on branch 2, all within 2 µm.
        // Placed for any query, and for the queries' own reach and window.
        let own = SPEC.neighbourhood(DT_MS, &MICRONS);
        let fixed = Queries {
            reach: Some(own.reach),
            longest_window_steps: own.window_steps,
        };
        for queries in [Queries::ANY, fixed] {
            let placements = (0..7)
                .map(|key| Placement {
                    branch: [1, 1, 1, 0, 0, 0, 2][key as usize],
                    position: 40 + (key % 3) as u16,
                    key,
                })
                .collect();
            let mut reg = CoactivityRegister::place(3, placements, false, queries);
            assert_eq!(at(&mut reg, 0.0, 1, 0, &SPEC), 0);
            assert_eq!(at(&mut reg, 0.1, 0, 3, &SPEC), 0, "synapse 0 is on branch 1");
            assert_eq!(at(&mut reg, 0.2, 1, 2, &SPEC), 1);
            assert_eq!(at(&mut reg, 0.3, 0, 5, &SPEC), 1);
            assert_eq!(at(&mut reg, 0.4, 2, 6, &SPEC), 0);
            assert_eq!(at(&mut reg, 0.5, 1, 1, &SPEC), 2);
        }
    }

    #[test]
    #[should_panic(expected = "was asked for reach")]
    fn a_register_placed_for_one_reach_refuses_another() {
        let queries = Queries {
            reach: Some(10),
            longest_window_steps: 500,
        };
        let mut reg = branch_for(&[10, 20, 30], false, queries);
        at(&mut reg, 0.0, 0, 1, &SPEC);
        let wider = CoactivitySpec {
            radius_um: 11.0,
            ..SPEC
        };
        at(&mut reg, 1.0, 0, 1, &wider);
    }

    #[test]
    #[should_panic(expected = "was asked for 40000")]
    fn a_register_with_short_stamps_refuses_a_longer_window() {
        let queries = Queries {
            reach: None,
            longest_window_steps: 500,
        };
        let mut reg = branch_for(&[10, 20, 30], false, queries);
        let longer = CoactivitySpec {
            window_ms: 4000.0,
            ..SPEC
        };
        at(&mut reg, 0.0, 0, 1, &longer);
    }

    #[test]
    fn a_silenced_synapse_is_no_neighbour_until_it_spikes_again() {
        let mut reg = branch(&[30, 35, 31], false);
        at(&mut reg, 0.0, 0, 0, &SPEC);
        at(&mut reg, 1.0, 0, 1, &SPEC);
        reg.silence(0, Stamp::of_step(15));
        assert_eq!(at(&mut reg, 2.0, 0, 2, &SPEC), 1, "only synapse 1");
        at(&mut reg, 3.0, 0, 0, &SPEC);
        assert_eq!(at(&mut reg, 4.0, 0, 2, &SPEC), 2);
    }

    #[test]
    #[should_panic(expected = "placed twice")]
    fn a_key_placed_twice_is_refused() {
        let placements = (0..3)
            .map(|j| Placement {
                branch: 0,
                position: 1,
                key: j.min(1),
            })
            .collect();
        CoactivityRegister::place(1, placements, false, Queries::ANY);
    }

    /// The count from first principles: distinct other keys on the branch within the radius
    /// in the window (times as steps, positions in µm) that spiked since they last moved.
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
        brute_force_check(60, false, |key| {
            if key < 5 {
                42
            } else {
                ((f64::from(key) * 7.3) % 120.0) as u16
            }
        });
    }

    #[test]
    fn counts_equal_brute_force_where_synapses_cluster() {
        // Nine in ten synapses crowd the first 38 µm, the rest sit near 65 000 µm.
        brute_force_check(300, false, |key| {
            if key % 10 == 0 {
                65_000 - key as u16
            } else {
                (key / 8) as u16
            }
        });
    }

    #[test]
    fn counts_equal_brute_force_while_synapses_move() {
        brute_force_check(80, true, |key| ((f64::from(key) * 3.1) % 200.0) as u16);
    }

    /// Random queries from `keys` synapses (synapse `key` at `x(key)` µm at first), checked
    /// against the brute-force count: radii of every size (zero and infinite included) on
    /// separate registers and mixed in one, across the wrap of the stamps; with `moving`, one
    /// query in eight moves a synapse to a random position first (as a new synapse there).
    fn brute_force_check(keys: u32, moving: bool, x: impl Fn(u32) -> u16) {
        let radii = [10.0, 3.0, 25.0, 0.0, 250.0, f64::INFINITY];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        // Each single radius also on a register placed for it (where synapses do not move).
        let rounds = (0..=radii.len()).flat_map(|r| [(r, false), (r, !moving && r < radii.len())]);
        for (round, fixed) in rounds
            .filter(|&(r, fixed)| !fixed || r < radii.len())
            .collect::<Vec<_>>()
        {
            let mut place: Vec<u16> = (0..keys).map(&x).collect();
            // Fixed: placed for the round's radius and windows up to 50 ms (16-bit stamps).
            let queries = if fixed {
                let spec = CoactivitySpec {
                    radius_um: radii[round],
                    window_ms: 50.0,
                };
                let near = spec.neighbourhood(DT_MS, &MICRONS);
                Queries {
                    reach: Some(near.reach),
                    longest_window_steps: near.window_steps,
                }
            } else {
                Queries::ANY
            };
            let mut reg = branch_for(&place, moving, queries);
            assert_eq!(matches!(reg.last, Stamps::Short(_)), fixed);
            let saturated = reg.within.iter().flatten().any(|&c| c == u8::MAX);
            assert_eq!(
                reg.position.is_empty(),
                fixed && !saturated,
                "positions dropped where placed for a reach, unless a count saturates"
            );
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
                if moving && next() < 0.125 {
                    let to = (next() * 300.0) as u16;
                    reg.relocate(0, key, to, Stamp::of_step(now));
                    place[key as usize] = to;
                    events.retain(|e: &(u64, u16, u32)| e.2 != key);
                }
                let x = place[key as usize];
                let expected = brute_force(&events, now, x, key, &spec);
                let near = spec.neighbourhood(DT_MS, &MICRONS);
                assert_eq!(
                    reg.count_and_record(Stamp::of_step(now), 0, key, &near),
                    expected,
                    "r {radius_um}, step {now}, fixed {fixed}"
                );
                events.push((now, x, key));
            }
            assert_eq!(reg.len(), keys as usize);
            if fixed {
                continue;
            }
            // Entries stay sorted by position, each key finding its own.
            assert!(
                reg.position[PAD..PAD + reg.len()]
                    .windows(2)
                    .all(|w| w[0] <= w[1])
            );
            for key in 0..keys {
                assert_eq!(
                    reg.position[reg.entry[key as usize] as usize],
                    place[key as usize]
                );
            }
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
        silent_for(Queries::ANY, &near, 5 << 32);
    }

    /// Synapse 0 of a register placed for `queries` spikes at step 0 and stays silent for
    /// `span` steps (a multiple of [`REFRESH_STEPS`]), the register refreshed as required:
    /// synapse 1's query then finds no active neighbour. Without the refreshes, synapse 0's
    /// stamp (and the never-spiked synapse 2's) would read as young. Returns the refreshed
    /// register.
    fn silent_for(queries: Queries, near: &Neighbourhood, span: u64) -> CoactivityRegister {
        let mut reg = branch_for(&[30, 31, 32], false, queries);
        reg.count_and_record(Stamp::of_step(0), 0, 0, near);
        let mut now = 0;
        while now < span {
            now += REFRESH_STEPS;
            reg.refresh(Stamp::of_step(now));
        }
        assert_eq!(reg.count_and_record(Stamp::of_step(now + 7), 0, 1, near), 0);
        let mut stale = branch_for(&[30, 31, 32], false, queries);
        stale.count_and_record(Stamp::of_step(0), 0, 0, near);
        assert!(stale.count_and_record(Stamp::of_step(span + 7), 0, 1, near) >= 1);
        reg
    }

    /// The same with 16-bit stamps (windows up to 2^15 steps): silent for 5 x 2^16 steps, with
    /// the refreshes, synapse 0 is not active; without them its stamp reads as young.
    #[test]
    fn refreshed_short_stamps_stay_inactive_however_long_they_were_silent() {
        let near = CoactivitySpec {
            radius_um: 10.0,
            window_ms: 3276.8,
        }
        .neighbourhood(DT_MS, &MICRONS);
        assert_eq!(near.window_steps, 1 << 15, "the longest window of 16-bit stamps");
        let queries = Queries {
            reach: None,
            longest_window_steps: near.window_steps,
        };
        let now = 5 << 16;
        let mut reg = silent_for(queries, &near, now);
        assert!(matches!(reg.last, Stamps::Short(_)));
        // Counted just inside the window, not at its end (refreshed as required meanwhile).
        reg.count_and_record(Stamp::of_step(now + 10), 0, 2, &near);
        reg.refresh(Stamp::of_step(now + REFRESH_STEPS));
        reg.refresh(Stamp::of_step(now + 2 * REFRESH_STEPS));
        assert_eq!(
            reg.count_and_record(Stamp::of_step(now + 10 + (1 << 15) - 1), 0, 1, &near),
            1
        );
        assert_eq!(
            reg.count_and_record(Stamp::of_step(now + 10 + (1 << 15) + 5), 0, 0, &near),
            1,
            "only 1"
        );
    }
}
