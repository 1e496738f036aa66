//! Binary event traces stored as their active intervals.
//!
//! A trace of `len` frames is active on the half-open intervals `[start, end)`, sorted and
//! disjoint; an *onset* is a 0 → 1 transition (a trace active at frame 0 counts one onset
//! there). All co-activity measures work on intervals, so their cost grows with events, not
//! frames.

/// A binary trace of `len` frames, active on sorted, disjoint, non-touching intervals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventTrain {
    len: u32,
    intervals: Vec<(u32, u32)>,
}

impl EventTrain {
    /// A trace of `len` frames active on `intervals` (sorted by start; overlapping or touching
    /// intervals are merged, empty ones dropped, ends clipped to `len`).
    pub fn new(len: u32, mut intervals: Vec<(u32, u32)>) -> Self {
        intervals.sort_unstable();
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(intervals.len());
        for (a, b) in intervals {
            let b = b.min(len);
            if a >= b {
                continue;
            }
            match out.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        EventTrain { len, intervals: out }
    }

    /// From a boolean per frame.
    pub fn from_bools(active: &[bool]) -> Self {
        let mut intervals = Vec::new();
        let mut start = None;
        for (i, &a) in active.iter().enumerate() {
            match (a, start) {
                (true, None) => start = Some(i as u32),
                (false, Some(s)) => {
                    intervals.push((s, i as u32));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            intervals.push((s, active.len() as u32));
        }
        EventTrain::new(active.len() as u32, intervals)
    }

    /// One boolean per frame.
    pub fn to_bools(&self) -> Vec<bool> {
        let mut v = vec![false; self.len as usize];
        for &(a, b) in &self.intervals {
            v[a as usize..b as usize].fill(true);
        }
        v
    }

    /// Number of frames.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the trace has no frames.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The active intervals.
    pub fn intervals(&self) -> &[(u32, u32)] {
        &self.intervals
    }

    /// Number of onsets (events).
    pub fn onsets(&self) -> u32 {
        self.intervals.len() as u32
    }

    /// Active frames.
    pub fn active_frames(&self) -> u32 {
        self.intervals.iter().map(|(a, b)| b - a).sum()
    }

    /// The trace where both are active (`self AND other`); both must have the same length.
    pub fn and(&self, other: &EventTrain) -> EventTrain {
        let (a, b) = (&self.intervals, &other.intervals);
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < a.len() && j < b.len() {
            let lo = a[i].0.max(b[j].0);
            let hi = a[i].1.min(b[j].1);
            if lo < hi {
                out.push((lo, hi));
            }
            if a[i].1 < b[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        EventTrain::new(self.len.min(other.len), out)
    }

    /// The trace rotated right by `shift` frames (circular shift, as for chance levels).
    pub fn rotate(&self, shift: u32) -> EventTrain {
        if self.len == 0 {
            return self.clone();
        }
        let shift = shift % self.len;
        let mut out = Vec::with_capacity(self.intervals.len() + 1);
        for &(a, b) in &self.intervals {
            let (a2, b2) = (a + shift, b + shift);
            if b2 <= self.len {
                out.push((a2, b2));
            } else if a2 >= self.len {
                out.push((a2 - self.len, b2 - self.len));
            } else {
                out.push((a2, self.len));
                out.push((0, b2 - self.len));
            }
        }
        EventTrain::new(self.len, out)
    }

    /// Concatenate traces (e.g. several imaging sessions) into one.
    pub fn concat(parts: &[&EventTrain]) -> EventTrain {
        let mut len = 0u32;
        let mut out = Vec::new();
        for p in parts {
            out.extend(p.intervals.iter().map(|&(a, b)| (a + len, b + len)));
            len += p.len;
        }
        EventTrain::new(len, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn intervals_agree_with_frames(bits in proptest::collection::vec(any::<bool>(), 0..200),
                                       other in proptest::collection::vec(any::<bool>(), 0..200),
                                       shift in 0u32..500) {
            let n = bits.len().min(other.len());
            let (x, y) = (&bits[..n], &other[..n]);
            let tx = EventTrain::from_bools(x);
            prop_assert_eq!(tx.to_bools(), x.to_vec());
            let onsets = (0..n).filter(|&i| x[i] && (i == 0 || !x[i - 1])).count() as u32;
            prop_assert_eq!(tx.onsets(), onsets);
            let both: Vec<bool> = x.iter().zip(y).map(|(a, b)| *a && *b).collect();
            prop_assert_eq!(tx.and(&EventTrain::from_bools(y)).to_bools(), both);
            if n > 0 {
                let s = shift as usize % n;
                let rot: Vec<bool> = (0..n).map(|i| x[(i + n - s) % n]).collect();
                prop_assert_eq!(tx.rotate(shift).to_bools(), rot);
            }
        }
    }
}
