//! How workers hand each other the spikes of a step: each worker publishes its spikes (one list
//! per population) in the buffer of the step's parity, and every worker reads every worker's
//! buffer to deliver them. Across threads the buffers sit behind read-write locks, which the
//! barrier between publishing and delivering keeps uncontended; a worker alone keeps them in
//! plain cells, with no atomic operation per step.

use std::cell::{Ref, RefCell, RefMut};
use std::ops::{Deref, DerefMut};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// One worker's spikes of a step: population-relative indices, one list per population.
pub(crate) type Spikes = Vec<Vec<u32>>;

/// Access to every worker's published spikes, by worker and step parity.
pub(crate) trait Exchange {
    /// A published buffer being read.
    type Read<'a>: Deref<Target = Spikes>
    where
        Self: 'a;
    /// A worker's own buffer being written.
    type Write<'a>: DerefMut<Target = Spikes>
    where
        Self: 'a;
    /// The number of workers.
    fn workers(&self) -> usize;
    /// Worker `w`'s buffer of parity `parity`, to read.
    fn read(&self, w: usize, parity: usize) -> Self::Read<'_>;
    /// Worker `w`'s buffer of parity `parity`, to fill.
    fn write(&self, w: usize, parity: usize) -> Self::Write<'_>;
}

/// The buffers of workers on several threads.
#[derive(Debug)]
pub(crate) struct Shared(pub(crate) Vec<[RwLock<Spikes>; 2]>);

impl Exchange for Shared {
    type Read<'a> = RwLockReadGuard<'a, Spikes>;
    type Write<'a> = RwLockWriteGuard<'a, Spikes>;

    fn workers(&self) -> usize {
        self.0.len()
    }

    fn read(&self, w: usize, parity: usize) -> Self::Read<'_> {
        // A worker that panicked poisons nothing the others need: the run is aborted anyway.
        self.0[w][parity].read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self, w: usize, parity: usize) -> Self::Write<'_> {
        self.0[w][parity].write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The buffers of a single worker, moved out of [`Shared`] for a run on one thread.
#[derive(Debug)]
pub(crate) struct Alone([RefCell<Spikes>; 2]);

impl Alone {
    /// Take worker 0's buffers out of `shared` (give them back with [`Alone::restore`]).
    pub(crate) fn take(shared: &mut Shared) -> Alone {
        let mut take = |p: usize| {
            let lock = shared.0[0][p].get_mut().unwrap_or_else(|e| e.into_inner());
            RefCell::new(std::mem::take(lock))
        };
        Alone([take(0), take(1)])
    }

    /// Put the buffers back where [`Alone::take`] found them (their capacity is kept).
    pub(crate) fn restore(self, shared: &mut Shared) {
        for (p, cell) in self.0.into_iter().enumerate() {
            *shared.0[0][p].get_mut().unwrap_or_else(|e| e.into_inner()) = cell.into_inner();
        }
    }
}

impl Exchange for Alone {
    type Read<'a> = Ref<'a, Spikes>;
    type Write<'a> = RefMut<'a, Spikes>;

    fn workers(&self) -> usize {
        1
    }

    fn read(&self, w: usize, parity: usize) -> Self::Read<'_> {
        debug_assert_eq!(w, 0);
        self.0[parity].borrow()
    }

    fn write(&self, w: usize, parity: usize) -> Self::Write<'_> {
        debug_assert_eq!(w, 0);
        self.0[parity].borrow_mut()
    }
}
