//! A hint to the CPU to start loading memory that will be read soon, so that independent
//! loads (the synapse rows of the spikes a step delivers) overlap instead of waiting one after
//! the other. A no-op where the architecture offers no such hint; it never changes results.

/// Start loading the cache line holding `p` into all cache levels.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and changes nothing the program can observe, whatever the
    // address; SSE is part of the x86_64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast())
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Start loading the whole of `items` (one hint per 64-byte line).
#[inline(always)]
pub(crate) fn prefetch_slice<T>(items: &[T]) {
    let bytes = std::mem::size_of_val(items);
    let start = items.as_ptr().cast::<u8>();
    let mut off = 0;
    while off < bytes {
        prefetch(start.wrapping_add(off));
        off += 64;
    }
}
