//! Linux processes as the server keeps them: identity (pid, parent, process
//! group, session), credentials, address space, open files, signal state,
//! and what a process is waiting for when its system call cannot finish yet.

use crate::file::FdTable;
use crate::mm::Mm;
use crate::platform::{Regs, TaskId};
use alloc::vec::Vec;

pub type Pid = u32;

/// A signal disposition (`struct sigaction` as the kernel keeps it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u32,
    pub flags: u32,
    pub restorer: u32,
    pub mask: u64,
}

pub const SIG_DFL: u32 = 0;
pub const SIG_IGN: u32 = 1;

/// `si_code` values.
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_TKILL: i32 = -6;
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const ILL_ILLOPN: i32 = 2;
pub const FPE_INTDIV: i32 = 1;
pub const BUS_ADRALN: i32 = 1;

/// What a signal tells a SA_SIGINFO handler (the `siginfo_t` fields that
/// the kinds of signals the server sends use).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigInfo {
    pub code: i32,
    /// Sender (kill) or child (SIGCHLD), and its user id.
    pub pid: u32,
    pub uid: u32,
    /// SIGCHLD: the exit status or signal number.
    pub status: u32,
    /// Faults: the address (si_addr).
    pub addr: u32,
}

impl SigInfo {
    /// Sent by the kernel itself (timers, the terminal): SI_KERNEL.
    pub const KERNEL: SigInfo = SigInfo { code: SI_KERNEL, pid: 0, uid: 0, status: 0, addr: 0 };

    /// Sent by process `pid` of user `uid` with kill (`code` SI_USER) or
    /// tkill/tgkill (SI_TKILL).
    pub fn from(code: i32, pid: Pid, uid: u32) -> SigInfo {
        SigInfo { code, pid, uid, ..SigInfo::default() }
    }

    /// A fault at `addr`.
    pub fn fault(code: i32, addr: u32) -> SigInfo {
        SigInfo { code, addr, ..SigInfo::default() }
    }
}

/// Signal state of a process.
#[derive(Clone, Debug)]
pub struct Signals {
    pub actions: [SigAction; 64],
    pub blocked: u64,
    pub pending: u64,
    /// The siginfo of each pending signal (the first one sent: standard
    /// signals do not queue).
    pub info: [SigInfo; 64],
    /// sigaltstack: (sp, size, flags as given); size 0 when there is none.
    pub altstack: (u32, u32, u32),
}

impl Default for Signals {
    fn default() -> Self {
        Signals {
            actions: [SigAction::default(); 64],
            blocked: 0,
            pending: 0,
            info: [SigInfo::default(); 64],
            altstack: (0, 0, 0),
        }
    }
}

/// Bit of signal `sig` (1..=64) in a mask.
pub const fn bit(sig: u32) -> u64 {
    1u64 << (sig - 1)
}

/// What a blocked system call waits for; the call is run again when it
/// may make progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// A child to change state (wait4, waitid).
    Child,
    /// Until this monotonic time (nanosleep and friends).
    Until(u64),
    /// Data or space in a pipe, or its other end closing.
    Pipe(u32),
    /// Console input.
    Tty,
    /// Any of several files, or a deadline (poll, select).
    Poll(Option<u64>),
    /// A vforked child to exec or exit.
    Vfork(Pid),
    /// Any signal (pause, sigsuspend).
    Signal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// In user mode, or in a system call being served right now.
    Running,
    /// In a system call that waits.
    Blocked(Wait),
    /// Stopped by a signal (SIGSTOP, SIGTSTP, ...).
    Stopped(u32),
    /// Exited; the wait status until the parent reaps it.
    Zombie(u32),
}

/// Wait-status encodings.
pub fn exited(code: u32) -> u32 {
    (code & 0xFF) << 8
}
pub fn killed(sig: u32) -> u32 {
    sig & 0x7F
}
pub fn stopped(sig: u32) -> u32 {
    (sig & 0xFF) << 8 | 0x7F
}
/// The status a shell prints (`$?`).
pub fn shell_status(status: u32) -> u32 {
    if status & 0x7F == 0 {
        (status >> 8) & 0xFF
    } else {
        128 + (status & 0x7F)
    }
}

/// One TLS descriptor as `set_thread_area` gave it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tls {
    pub base: u32,
    pub limit: u32,
    /// Linux `user_desc` flag bits (`l4_abi::syscall::tls` layout); 0 with
    /// `used == false` is an empty entry.
    pub flags: u32,
    pub used: bool,
}

pub struct Process {
    pub pid: Pid,
    pub ppid: Pid,
    pub pgid: Pid,
    pub sid: Pid,
    /// The L4 thread running it (0 once it exited).
    pub task: TaskId,
    pub state: State,
    /// The registers of the system call it is blocked in.
    pub regs: Regs,
    pub mm: Mm,
    pub fds: FdTable,
    pub cwd: u32,
    pub umask: u32,
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sig: Signals,
    /// The signal that tells the parent about our death.
    pub exit_signal: u32,
    /// Program path and arguments (for /proc).
    pub exe: Vec<u8>,
    pub argv: Vec<Vec<u8>>,
    pub tls: [Tls; 3],
    /// set_tid_address: cleared (and futex-woken) at exit.
    pub clear_tid: u32,
    /// A vfork parent waiting for us to exec or exit.
    pub vfork_parent: Option<Pid>,
    /// It has exec'd since fork (its parent can no longer set its group).
    pub execd: bool,
    /// Monotonic ns at start, and CPU time estimates for times()/proc.
    pub start_ns: u64,
    pub utime_ns: u64,
    pub stime_ns: u64,
    /// Children's accumulated times (after reaping).
    pub cutime_ns: u64,
    pub cstime_ns: u64,
    /// A stop or continue the parent has not yet seen with wait (status).
    pub wait_event: Option<u32>,
    /// ITIMER_REAL: next expiry (monotonic ns) and interval.
    pub alarm: Option<(u64, u64)>,
    /// The last fault that raised a signal: trap number, error code and
    /// address (sigcontext's trapno, err and cr2).
    pub fault: (u32, u32, u32),
    /// Bytes a blocking write already transferred before it had to wait
    /// (the call is re-run and continues from there).
    pub progress: u32,
    /// Absolute deadline (monotonic ns) of the blocking call, fixed on its
    /// first run; 0 for none.
    pub deadline: u64,
    /// The mask to restore after sigsuspend (saved in the signal frame).
    pub saved_mask: Option<u64>,
    /// A blocking system call (this number) was interrupted by a signal:
    /// the registers being returned carry `-ERESTARTSYS` or
    /// `-ERESTARTNOHAND` in eax, and signal delivery decides whether the
    /// call returns EINTR or runs again (as Linux's `handle_signal`).
    pub restart: Option<u32>,
    /// The name prctl(PR_SET_NAME) gave (else the program's file name).
    pub name: Option<Vec<u8>>,
    /// Resource limits (soft, hard), RLIM_INFINITY = u64::MAX.
    pub rlimits: [(u64, u64); 16],
}

impl Process {
    pub fn is_zombie(&self) -> bool {
        matches!(self.state, State::Zombie(_))
    }
    /// Signals pending and not blocked.
    pub fn deliverable(&self) -> u64 {
        self.sig.pending & !self.sig.blocked
    }
    pub fn comm(&self) -> &[u8] {
        if let Some(n) = &self.name {
            return n;
        }
        let name = self.exe.rsplit(|&c| c == b'/').next().unwrap_or(&[]);
        &name[..name.len().min(15)]
    }
}
