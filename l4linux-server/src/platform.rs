//! What the Linux emulation needs from the machine below it: tasks (L4
//! spaces with one thread each), revoking mappings, interrupting a running
//! process, TLS descriptors, the console, clocks, randomness, and stopping
//! the machine. The L4 glue implements it with kernel calls; host tests use
//! a recording fake.

use crate::pool::Frame;

/// A process's thread as the platform names it (the L4 thread id).
pub type TaskId = u32;

/// The registers a process's system call or exception carries, in the
/// order of the kernel's exception message (`l4_abi::msg::exc`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Regs {
    pub eax: u32,
    pub ebx: u32,
    pub ecx: u32,
    pub edx: u32,
    pub esi: u32,
    pub edi: u32,
    pub ebp: u32,
    pub eip: u32,
    pub esp: u32,
    pub eflags: u32,
}

impl Regs {
    pub fn to_words(&self) -> [u32; 10] {
        [self.eax, self.ebx, self.ecx, self.edx, self.esi, self.edi, self.ebp, self.eip, self.esp, self.eflags]
    }
    pub fn from_words(w: &[u32]) -> Regs {
        let g = |i: usize| w.get(i).copied().unwrap_or(0);
        Regs { eax: g(0), ebx: g(1), ecx: g(2), edx: g(3), esi: g(4), edi: g(5), ebp: g(6), eip: g(7), esp: g(8), eflags: g(9) }
    }
}

pub trait Platform {
    /// A new, empty task: its own address space and one thread whose pager
    /// and exception handler is the server. It does not run yet.
    fn create_task(&mut self) -> Option<TaskId>;
    /// Start a created task at `eip` with stack `esp` and fs/gs selectors
    /// `segs` (`fs | gs << 16`). With `trap`, the task first reports to the
    /// server (an exception) so the server can set all of its registers.
    fn start_task(&mut self, t: TaskId, eip: u32, esp: u32, segs: u32, trap: bool);
    /// Destroy a task and everything mapped in it.
    fn destroy_task(&mut self, t: TaskId);
    /// The fs/gs selectors of a stopped task (`fs | gs << 16`).
    fn segments(&mut self, t: TaskId) -> u32;
    /// Take `rights` (L4 rights bits) away from every task that has frame
    /// `f` mapped.
    fn revoke(&mut self, f: Frame, rights: u32);
    /// Make a task that runs in user mode report to the server (to deliver
    /// a signal).
    fn interrupt(&mut self, t: TaskId);
    /// Make a task that waits for a page fault to be resolved give up the
    /// fault and report to the server with its registers instead.
    fn interrupt_fault(&mut self, t: TaskId);
    /// Set TLS descriptor `entry` (0..3) of a task from Linux `user_desc`
    /// fields; false if the descriptor is invalid.
    fn set_tls(&mut self, t: TaskId, entry: u32, base: u32, limit: u32, flags: u32) -> bool;
    /// Write to the console (the serial line).
    fn console_write(&mut self, data: &[u8]);
    /// Monotonic time in nanoseconds since boot.
    fn monotonic_ns(&self) -> u64;
    /// Real time at boot, seconds since the epoch.
    fn boot_epoch(&self) -> u64;
    /// Fill `buf` with random bytes.
    fn random(&mut self, buf: &mut [u8]);
    /// The first process ended: stop the machine with its exit status.
    fn shutdown(&mut self, status: u32);
    /// A line for the server's log.
    fn log(&mut self, msg: &str);
}
