//! The kernel info page, mapped read-only at a fixed address in every space.

use l4_abi::kip::Kip;
use l4_abi::layout::KIP_ADDR;

/// The KIP of the running system.
pub fn kip() -> Kip<'static> {
    // SAFETY: the kernel maps the KIP read-only at KIP_ADDR in every space
    // for the lifetime of the space.
    Kip(unsafe { core::slice::from_raw_parts(KIP_ADDR as *const u8, 4096) })
}

/// Ticks since boot and the tick length in microseconds.
pub fn now_us() -> u64 {
    let k = kip();
    k.ticks() * k.word(l4_abi::kip::OFF_TICK_US) as u64
}
