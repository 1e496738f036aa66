//! Lists of neuron indices per synapse, 2 bytes each when every index is below 2^16 and 4
//! otherwise: the local target of each synapse in a CSR (narrow when the worker holds at most
//! 2^16 neurons of the target population) and the sources of plasticity's reverse index. The
//! width is chosen once per list at build; delivery picks the matching loop once per row, so
//! the narrow form costs no time and saves 2 bytes on every synapse (a quarter of a static
//! synapse with its own weight, half of one with a shared weight).

use std::ops::Range;

use crate::prefetch::prefetch_slice;

/// A neuron index, narrow or wide.
pub trait LocalIndex: Copy {
    /// The index as a `usize`.
    fn local(self) -> usize;
}

impl LocalIndex for u16 {
    #[inline(always)]
    fn local(self) -> usize {
        usize::from(self)
    }
}

impl LocalIndex for u32 {
    #[inline(always)]
    fn local(self) -> usize {
        self as usize
    }
}

/// Neuron indices, one per synapse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Indices {
    /// Indices below 2^16.
    Narrow(Vec<u16>),
    /// Any indices.
    Wide(Vec<u32>),
}

/// A range of indices, as stored.
#[derive(Debug, Clone, Copy)]
pub enum IndexRow<'a> {
    /// Indices below 2^16.
    Narrow(&'a [u16]),
    /// Any indices.
    Wide(&'a [u32]),
}

impl Indices {
    /// `len` zero indices, narrow if every index below `n` fits.
    pub fn zeros(len: usize, n: usize) -> Indices {
        if n <= 1 << 16 {
            Indices::Narrow(vec![0; len])
        } else {
            Indices::Wide(vec![0; len])
        }
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        match self {
            Indices::Narrow(v) => v.len(),
            Indices::Wide(v) => v.len(),
        }
    }

    /// Whether there are no synapses.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether indices take 2 bytes.
    pub fn is_narrow(&self) -> bool {
        matches!(self, Indices::Narrow(_))
    }

    /// Index `k`.
    #[inline]
    pub fn get(&self, k: usize) -> u32 {
        match self {
            Indices::Narrow(v) => u32::from(v[k]),
            Indices::Wide(v) => v[k],
        }
    }

    /// Set index `k` to `value` (which must fit the width chosen at [`Indices::zeros`]).
    #[inline]
    pub fn set(&mut self, k: usize, value: u32) {
        match self {
            Indices::Narrow(v) => v[k] = u16::try_from(value).expect("a narrow index is below 2^16"),
            Indices::Wide(v) => v[k] = value,
        }
    }

    /// The first place in `range`, which must be sorted ascending, whose index is not below
    /// `value` (`range.end` if none).
    #[inline]
    pub fn lower_bound(&self, range: Range<usize>, value: u32) -> usize {
        let start = range.start;
        start
            + match self.row(range) {
                IndexRow::Narrow(r) => r.partition_point(|&x| u32::from(x) < value),
                IndexRow::Wide(r) => r.partition_point(|&x| x < value),
            }
    }

    /// Indices `range`.
    #[inline]
    pub fn row(&self, range: Range<usize>) -> IndexRow<'_> {
        match self {
            Indices::Narrow(v) => IndexRow::Narrow(&v[range]),
            Indices::Wide(v) => IndexRow::Wide(&v[range]),
        }
    }

    /// All indices, in order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len()).map(|k| self.get(k))
    }

    /// Start loading indices `range` (see [`crate::connect::Csr::prefetch_rows`]).
    #[inline(always)]
    pub(crate) fn prefetch(&self, range: Range<usize>) {
        match self.row(range) {
            IndexRow::Narrow(r) => prefetch_slice(r),
            IndexRow::Wide(r) => prefetch_slice(r),
        }
    }

    /// Bytes of the indices.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Indices::Narrow(v) => 2 * v.len(),
            Indices::Wide(v) => 4 * v.len(),
        }
    }
}

/// Add `weights[e]` (or `shared` when `weights` is `None`) to `lane[targets[e]]` for each `e`.
#[inline(always)]
pub(crate) fn add_row<T: LocalIndex>(lane: &mut [f32], targets: &[T], weights: Option<&[f32]>, shared: f32) {
    match weights {
        None => {
            for &t in targets {
                lane[t.local()] += shared;
            }
        }
        Some(weights) => {
            for (&t, &w) in targets.iter().zip(weights) {
                lane[t.local()] += w;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_follows_the_block_size() {
        let mut narrow = Indices::zeros(3, 1 << 16);
        let mut wide = Indices::zeros(3, (1 << 16) + 1);
        assert!(narrow.is_narrow() && !wide.is_narrow());
        for (k, t) in [0u32, 65_535, 7].into_iter().enumerate() {
            narrow.set(k, t);
            wide.set(k, t);
        }
        assert_eq!(narrow.iter().collect::<Vec<_>>(), wide.iter().collect::<Vec<_>>());
        assert_eq!((narrow.heap_bytes(), wide.heap_bytes()), (6, 12));
        let mut lane = vec![0f32; 1 << 16];
        for targets in [&narrow, &wide] {
            match targets.row(1..3) {
                IndexRow::Narrow(r) => add_row(&mut lane, r, Some(&[1.0, 2.0]), 0.0),
                IndexRow::Wide(r) => add_row(&mut lane, r, None, 0.5),
            }
        }
        assert_eq!((lane[65_535], lane[7], lane[0]), (1.5, 2.5, 0.0));
        let mut sorted = Indices::zeros(5, 10);
        for (k, v) in [1, 3, 3, 3, 8].into_iter().enumerate() {
            sorted.set(k, v);
        }
        let found: Vec<usize> = [0, 3, 4, 8, 9]
            .iter()
            .map(|&v| sorted.lower_bound(1..5, v))
            .collect();
        assert_eq!(found, vec![1, 1, 4, 4, 5]);
    }

    #[test]
    #[should_panic(expected = "below 2^16")]
    fn a_narrow_list_refuses_a_wide_index() {
        Indices::zeros(1, 10).set(0, 1 << 16);
    }
}
