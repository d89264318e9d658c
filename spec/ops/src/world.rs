//! The world a generated sequence starts in, identical on the host and in
//! QEMU:
//!
//! - the root space R (privileged, not physical) holds `FRAMES` frames at the
//!   first `FRAMES` test pages (`TEST_BASE + i * 4096`, rights RWX, mapped
//!   from sigma0's root), word 0 of frame `i` holding [`frame_init`]`(i)`;
//!   every other test page is unmapped;
//! - [`INITIAL_THREADS`] threads (creation indices 0..4) exist in R, started,
//!   thread `n` in UTCB slot `T0_SLOT + n` with priority
//!   [`distinct_prio`]`(n, 0)`, pager [`initial_pager`]`(n)` and exception
//!   handler [`initial_exc_handler`]`(n)`; thread 0 runs, the others are
//!   ready in creation order;
//! - R also holds one thread that is not part of the model (slot 0: the
//!   roottask's main thread in QEMU, which only runs when every modelled
//!   thread is blocked; on the host an inactive boot thread).
//!
//! Every address an operation names lies in the test area or is invalid;
//! nothing outside it is ever mapped, unmapped or touched.

use l4_abi::ThreadId;

/// First test page.
pub const TEST_BASE: u32 = 0x4000_0000;
/// Number of test pages (256 KiB).
pub const TEST_PAGES: u32 = 64;
/// Frames mapped at the first test pages of R at the start.
pub const FRAMES: u32 = 16;
/// At most this many threads are created per sequence (thread 0 included);
/// further create operations are skipped.
pub const MAX_CREATED: usize = 48;
/// Threads that exist at the start.
pub const INITIAL_THREADS: usize = 4;
/// Pager and exception handler (creation indices) of initial thread `n`.
pub const fn initial_pager(n: usize) -> usize {
    (n + 1) % INITIAL_THREADS
}
/// Every initial thread's exception handler is thread 0 (thread 0's own
/// exceptions halt it). In the QEMU profile every exception handler is
/// thread 0: two threads that handle each other's exceptions would take
/// each other's exception message as the reply, and with it each other's
/// instruction and stack pointer, which the replay cannot survive.
pub const fn initial_exc_handler(_n: usize) -> usize {
    0
}
/// UTCB slot of thread 0; [`crate::op::UtcbSel::Free`] gives thread `n`
/// slot `T0_SLOT + n` (never in use: slots are not reused in a sequence).
pub const T0_SLOT: u32 = 1;
/// A thread id that never names a thread (its number is beyond every table).
pub const GARBAGE: ThreadId = ThreadId::new(5000, 7);
/// Interrupt lines operations attach handlers to (nothing raises them in
/// QEMU: no device is configured on them).
pub const IRQ_LINES: [u32; 5] = [3, 5, 9, 10, 11];
/// Abstract instruction pointer of a started thread (in QEMU: the replay
/// entry point) and the abstract stack of thread `n`.
pub const ENTRY_IP: u32 = 0x0100_0000;
pub const fn stack_top(n: usize) -> u32 {
    0x0200_0000 + (n as u32) * 0x1_0000
}

/// Address of test page `p`.
pub const fn page_addr(p: u32) -> u32 {
    TEST_BASE + p * 4096
}

/// Initial word 0 of frame `i`.
pub const fn frame_init(i: u32) -> u32 {
    0xF4A3_0000 | i
}

/// Priority `j` (0..3) of thread `n`. Priorities of different threads never
/// coincide, so no two modelled threads are ever ready at the same
/// priority in the QEMU profile, and round-robin on timer ticks (which the
/// QEMU replay cannot control) never changes who runs.
pub const fn distinct_prio(n: usize, j: u8) -> u8 {
    (250 - 3 * n as u32 - (j as u32 % 3)) as u8
}

/// The registers (eax, ebx, ecx, edx, esi, edi, ebp) a thread holds when it
/// raises the exception of [`crate::Op::Exception`] (`int 0x80`).
pub const fn exception_regs(eax: u32) -> [u32; 7] {
    [
        eax,
        0xB0B0_0002,
        0xC0C0_0003,
        0xD0D0_0004,
        0x5151_0005,
        0xD1D1_0006,
        0xB9B9_0007,
    ]
}

/// The registers a thread holds at an access: everything zero but ebx (the
/// value to write, or 0 for a read).
pub const fn access_regs(value: u32) -> [u32; 7] {
    [0, value, 0, 0, 0, 0, 0]
}
