//! Circular buffers indexed by step: delay rings, pending arrivals, recent spikes. Their
//! number of slots is rounded up to a power of two, so that a step's slot is a mask of the
//! step instead of a 64-bit division (several per step and one per delivered spike).

/// The number of slots for a buffer that must hold at least `needed` consecutive steps: the
/// next power of two (at most twice the memory).
pub(crate) fn slots_for(needed: usize) -> usize {
    needed.max(1).next_power_of_two()
}

/// The slot of step `step` in a buffer of `slots` slots (a power of two, from [`slots_for`]).
#[inline(always)]
pub(crate) fn slot_of(step: u64, slots: usize) -> usize {
    debug_assert!(slots.is_power_of_two());
    (step & (slots as u64 - 1)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_the_step_modulo_the_rounded_slot_count() {
        for needed in 1..70 {
            let slots = slots_for(needed);
            assert!(slots >= needed && slots < 2 * needed.max(1) && slots.is_power_of_two());
            for step in [0u64, 1, 5, 63, 64, 1000, u64::MAX - 3, u64::MAX] {
                assert_eq!(slot_of(step, slots) as u64, step % slots as u64);
            }
        }
    }
}
