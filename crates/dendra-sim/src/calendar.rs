//! A calendar queue of pending events by step (Brown 1988): a ring of lists for the next
//! [`RING_STEPS`] steps, where an event is filed and taken out in constant time, and one
//! unsorted list for events further ahead, moved into the ring as it comes within reach. It replaces a
//! binary heap for the spike sources, whose events (one pending spike per source) mostly fall
//! within the ring: filing and taking cost O(1) instead of O(log sources).

/// Steps the ring covers (409.6 ms at 0.1 ms, a few intervals of a Poisson source at 10 Hz).
const RING_STEPS: u64 = 4096;

/// No item: the end of a list.
const NONE: u32 = u32::MAX;

/// Pending events of items `0..n`, at most one per item (a source's next spike), each due at a
/// step. The lists are threaded through one link per item, so filing and taking never
/// allocate. Items due in one step come out in no particular order.
#[derive(Debug)]
pub(crate) struct Calendar {
    /// `head[s % RING_STEPS]` starts the list of items due at step `s`, for `s` in
    /// `[next - 1, next - 1 + RING_STEPS)`.
    head: Vec<u32>,
    /// The list of items due later than the ring reached when they were filed.
    later: u32,
    /// The next item in the same list, per item.
    link: Vec<u32>,
    /// The step each item is due, per item.
    due: Vec<u64>,
    /// The first step not yet taken.
    next: u64,
    /// The step from which `later` must be looked through again.
    recheck: u64,
}

impl Calendar {
    /// An empty calendar for items `0..n`, whose first step to take is 0.
    pub(crate) fn new(n: usize) -> Self {
        Calendar {
            head: vec![NONE; RING_STEPS as usize],
            later: NONE,
            link: vec![NONE; n],
            due: vec![0; n],
            next: 0,
            recheck: RING_STEPS,
        }
    }

    /// The step being taken (or 0 before the first).
    fn now(&self) -> u64 {
        self.next.saturating_sub(1)
    }

    /// File `item`, which has no pending event, for step `step` (not before the step being
    /// taken; an event for the step being taken is taken in the same [`Calendar::take`]).
    #[inline]
    pub(crate) fn push(&mut self, step: u64, item: u32) {
        debug_assert!(step >= self.now(), "an event in the past");
        let step = step.max(self.now());
        self.due[item as usize] = step;
        if step < self.now() + RING_STEPS {
            let head = &mut self.head[(step % RING_STEPS) as usize];
            self.link[item as usize] = *head;
            *head = item;
        } else {
            self.link[item as usize] = self.later;
            self.later = item;
        }
    }

    /// Move the items of `later` that fall within the ring (from step `now`) into it.
    fn recheck_later(&mut self, now: u64) {
        let mut item = std::mem::replace(&mut self.later, NONE);
        while item != NONE {
            let following = self.link[item as usize];
            let step = self.due[item as usize];
            let list = if step < now + RING_STEPS {
                &mut self.head[(step % RING_STEPS) as usize]
            } else {
                &mut self.later
            };
            self.link[item as usize] = *list;
            *list = item;
            item = following;
        }
    }

    /// Take the events due at steps up to `n`, one at a time, through `each`, which may file
    /// new events (also for step `n`: they are taken in this call too).
    pub(crate) fn take(&mut self, n: u64, mut each: impl FnMut(&mut Calendar, u32)) {
        while self.next <= n {
            let step = self.next;
            self.next += 1;
            if step + 1 >= self.recheck {
                self.recheck = step + RING_STEPS;
                self.recheck_later(step);
            }
            let slot = (step % RING_STEPS) as usize;
            while self.head[slot] != NONE {
                let item = self.head[slot];
                self.head[slot] = self.link[item as usize];
                each(self, item);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    use super::*;

    /// The delay before item `item` comes back after its `k`-th taking at step `n`: often
    /// within the ring, sometimes far beyond, sometimes 0 (again in the same step).
    fn delay(item: u32, n: u64, k: u32) -> u64 {
        let h = (u64::from(item) << 32 ^ n ^ u64::from(k) << 20).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
        match k % 5 {
            0 => 0,
            1 => RING_STEPS + h % (2 * RING_STEPS),
            _ => 1 + h % (RING_STEPS / 2),
        }
    }

    /// Events (near, far beyond the ring, and again in the step being taken) come out at the
    /// same steps as from a binary heap, taking steps one at a time or several at once.
    #[test]
    fn events_come_out_at_their_steps_like_a_heap() {
        let mut cal = Calendar::new(300);
        let mut heap = BinaryHeap::new();
        for item in 0..300u32 {
            let step = delay(item, 7, 2) * 5 % (3 * RING_STEPS);
            cal.push(step, item);
            heap.push(Reverse((step, item)));
        }
        let mut taken_cal = vec![0u32; 300];
        let mut taken_heap = vec![0u32; 300];
        let (mut from_cal, mut from_heap) = (Vec::new(), Vec::new());
        let mut n = 0;
        let mut jump = 0u64;
        while n < 20 * RING_STEPS {
            let mut got = Vec::new();
            cal.take(n, |c, item| {
                got.push(item);
                let k = taken_cal[item as usize];
                taken_cal[item as usize] += 1;
                c.push(n + delay(item, n, k), item);
            });
            got.sort_unstable();
            from_cal.push((n, got));
            let mut want = Vec::new();
            while let Some(&Reverse((s, item))) = heap.peek() {
                if s > n {
                    break;
                }
                heap.pop();
                want.push(item);
                let k = taken_heap[item as usize];
                taken_heap[item as usize] += 1;
                heap.push(Reverse((n + delay(item, n, k), item)));
            }
            want.sort_unstable();
            from_heap.push((n, want));
            // Mostly one step at a time, now and then several.
            jump = (jump * 31 + 7) % 101;
            n += if jump < 10 { 1 + jump * 5 } else { 1 };
        }
        assert_eq!(from_cal, from_heap);
        assert!(from_cal.iter().map(|(_, v)| v.len()).sum::<usize>() > 10_000);
    }
}
