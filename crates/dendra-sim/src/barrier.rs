//! A spinning barrier for the per-step synchronisation of worker threads.
//!
//! `std::sync::Barrier` parks threads in the kernel; at 10⁴ steps per simulated second its
//! wake-up latency would dominate small networks. This barrier spins briefly, then yields, so
//! it stays cheap when every worker has a core and degrades gracefully when cores are shared
//! (e.g. under `cargo test`). If a worker panics it sets `abort`, and waiters panic instead of
//! spinning forever.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A reusable barrier for a fixed number of threads.
#[derive(Debug)]
pub struct SpinBarrier {
    parties: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    abort: AtomicBool,
}

impl SpinBarrier {
    /// A barrier for `parties` threads.
    pub fn new(parties: usize) -> Self {
        SpinBarrier {
            parties,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            abort: AtomicBool::new(false),
        }
    }

    /// Block until all parties have called `wait` for this generation.
    ///
    /// # Panics
    /// If another party called [`SpinBarrier::abort`].
    pub fn wait(&self) {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.parties {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            if self.abort.load(Ordering::Relaxed) {
                panic!("another simulation worker failed");
            }
            if spins < 2000 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
    }

    /// Release all waiters with a panic (called by a worker that is unwinding).
    pub fn abort(&self) {
        self.abort.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn phases_never_overlap() {
        let b = SpinBarrier::new(3);
        let counter = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    for round in 0..200u64 {
                        counter.fetch_add(1, Ordering::SeqCst);
                        b.wait();
                        assert_eq!(counter.load(Ordering::SeqCst), 3 * (round + 1));
                        b.wait();
                    }
                });
            }
        });
    }
}
