//! The 8254 programmable interval timer, channel 0 in rate-generator mode:
//! the kernel's tick (scheduling, IPC timeouts, the KIP clock).

use x86::io::outb;

const PIT_HZ: u32 = 1_193_182;

/// Program channel 0 to interrupt every `period_us` microseconds.
pub fn init(period_us: u32) {
    let divisor = ((PIT_HZ as u64 * period_us as u64 + 500_000) / 1_000_000).clamp(1, 65535) as u16;
    // SAFETY: standard PIT programming on ports 0x40/0x43.
    unsafe {
        outb(0x43, 0x34); // channel 0, lo/hi, mode 2
        outb(0x40, divisor as u8);
        outb(0x40, (divisor >> 8) as u8);
    }
}
