//! CPU helpers for benchmarks: the time-stamp counter. (Not i486: the
//! instruction exists from the Pentium on; QEMU provides it on any model.
//! Programs that do not call it contain no `rdtsc`.)

/// Read the time-stamp counter.
#[inline(always)]
pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: rdtsc only reads the counter into edx:eax.
    unsafe { core::arch::asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    ((hi as u64) << 32) | lo as u64
}
