//! The local target index of each synapse in a CSR: 2 bytes when the worker's block of the
//! target population has at most 2^16 neurons, 4 otherwise. The width is chosen once per
//! projection and worker at build; delivery picks the matching loop once per row, so the
//! narrow form costs no time and saves 2 bytes on every synapse (a quarter of a static synapse
//! with its own weight, half of one with a shared weight).

use std::ops::Range;

use crate::prefetch::prefetch_slice;

/// A local target index, narrow or wide.
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

/// Local target indices of a CSR's synapses, in CSR order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets {
    /// Indices below 2^16.
    Narrow(Vec<u16>),
    /// Any indices.
    Wide(Vec<u32>),
}

/// A row's targets, as stored.
#[derive(Debug, Clone, Copy)]
pub enum TargetRow<'a> {
    /// Indices below 2^16.
    Narrow(&'a [u16]),
    /// Any indices.
    Wide(&'a [u32]),
}

impl Targets {
    /// `len` zero indices, narrow if every local index of a block of `n_local` targets fits.
    pub fn zeros(len: usize, n_local: usize) -> Targets {
        if n_local <= 1 << 16 {
            Targets::Narrow(vec![0; len])
        } else {
            Targets::Wide(vec![0; len])
        }
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        match self {
            Targets::Narrow(v) => v.len(),
            Targets::Wide(v) => v.len(),
        }
    }

    /// Whether there are no synapses.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether indices take 2 bytes.
    pub fn is_narrow(&self) -> bool {
        matches!(self, Targets::Narrow(_))
    }

    /// The target of synapse `k`.
    #[inline]
    pub fn get(&self, k: usize) -> u32 {
        match self {
            Targets::Narrow(v) => u32::from(v[k]),
            Targets::Wide(v) => v[k],
        }
    }

    /// Set the target of synapse `k` (which must fit the width chosen at [`Targets::zeros`]).
    #[inline]
    pub fn set(&mut self, k: usize, target: u32) {
        match self {
            Targets::Narrow(v) => v[k] = u16::try_from(target).expect("a narrow target index is below 2^16"),
            Targets::Wide(v) => v[k] = target,
        }
    }

    /// The targets of synapses `range`.
    #[inline]
    pub fn row(&self, range: Range<usize>) -> TargetRow<'_> {
        match self {
            Targets::Narrow(v) => TargetRow::Narrow(&v[range]),
            Targets::Wide(v) => TargetRow::Wide(&v[range]),
        }
    }

    /// All targets, in CSR order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len()).map(|k| self.get(k))
    }

    /// Start loading the targets of synapses `range` (see [`crate::connect::Csr::prefetch_rows`]).
    #[inline(always)]
    pub(crate) fn prefetch(&self, range: Range<usize>) {
        match self.row(range) {
            TargetRow::Narrow(r) => prefetch_slice(r),
            TargetRow::Wide(r) => prefetch_slice(r),
        }
    }

    /// Bytes of the indices.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Targets::Narrow(v) => 2 * v.len(),
            Targets::Wide(v) => 4 * v.len(),
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
        let mut narrow = Targets::zeros(3, 1 << 16);
        let mut wide = Targets::zeros(3, (1 << 16) + 1);
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
                TargetRow::Narrow(r) => add_row(&mut lane, r, Some(&[1.0, 2.0]), 0.0),
                TargetRow::Wide(r) => add_row(&mut lane, r, None, 0.5),
            }
        }
        assert_eq!((lane[65_535], lane[7], lane[0]), (1.5, 2.5, 0.0));
    }

    #[test]
    #[should_panic(expected = "below 2^16")]
    fn a_narrow_index_refuses_a_wide_target() {
        Targets::zeros(1, 10).set(0, 1 << 16);
    }
}
