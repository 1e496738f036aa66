//! Periodic events by step (rule ticks, structural checks, progress reports) without a 64-bit
//! division at every step: the next due step is kept, and a division is made only when it is
//! reached.

/// Fires at the steps that are whole multiples of an interval.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Every {
    interval_steps: u64,
    /// No step before this one is a multiple of the interval (among the steps still to ask).
    next: u64,
}

impl Every {
    /// Every `interval_steps` steps (at least 1).
    pub(crate) fn new(interval_steps: u64) -> Self {
        Every {
            interval_steps: interval_steps.max(1),
            next: 0,
        }
    }

    /// Whether `n` is a multiple of the interval. Steps must be asked in ascending order (gaps
    /// allowed), each once.
    #[inline]
    pub(crate) fn at(&mut self, n: u64) -> bool {
        if n < self.next {
            return false;
        }
        let due = n.is_multiple_of(self.interval_steps);
        self.next = (n / self.interval_steps + 1).saturating_mul(self.interval_steps);
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_exactly_at_the_multiples_whatever_steps_are_asked() {
        for interval in [1u64, 2, 7, 64, 5000] {
            let mut every = Every::new(interval);
            for n in 0..20_000u64 {
                assert_eq!(
                    every.at(n),
                    n.is_multiple_of(interval),
                    "interval {interval}, step {n}"
                );
            }
            // With gaps (a run continued later, or steps not asked).
            let mut every = Every::new(interval);
            let mut n = 3u64;
            while n < 50_000 {
                assert_eq!(
                    every.at(n),
                    n.is_multiple_of(interval),
                    "interval {interval}, step {n}"
                );
                n += 1 + (n * 7919) % 13;
            }
        }
        assert!(Every::new(0).at(5), "an interval of 0 is read as 1");
        let mut far = Every::new(3);
        assert!(!far.at(u64::MAX - 1) && far.at(u64::MAX));
    }
}
