//! What the checks share: installing handlers (with our own restorers),
//! the entry stub that records the registers a handler starts with, a
//! `kill` with known values in every other register, masks, clocks, and
//! waiting for a child with a time limit.

use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering::SeqCst};
use linux_rt::consts::*;
use linux_rt::errno::EINTR;
use linux_rt::nr;
use linux_rt::sys;
use linux_rt::types::*;

/// Registers at handler entry, written by `sig_probe_entry`: esp, eax,
/// edx, ecx.
#[no_mangle]
pub static mut PROBE: [u32; 4] = [0; 4];

/// What `kill_probe` saw: esp at `int 0x80`, the address after the
/// instruction that follows it, then esi, edi, edx and ebp afterwards.
#[no_mangle]
pub static mut KREC: [u32; 6] = [0; 6];

// The handler entry stub records the registers the kernel set, then
// clobbers the registers the interrupted code must get back (sigreturn
// restores them from the frame) and continues in `probe_handler` on the
// same stack. The restorers are those of glibc: `sig_restore` pops the
// signal number and calls sigreturn, `sig_restore_rt` calls rt_sigreturn.
global_asm!(
    ".globl sig_probe_entry",
    "sig_probe_entry:",
    "mov dword ptr [{probe}], esp",
    "mov dword ptr [{probe} + 4], eax",
    "mov dword ptr [{probe} + 8], edx",
    "mov dword ptr [{probe} + 12], ecx",
    "mov esi, 0x0badf00d",
    "mov edi, 0x0badf00d",
    "mov ebx, 0x0badf00d",
    "mov edx, 0x0badf00d",
    "jmp {handler}",
    ".globl sig_restore",
    "sig_restore:",
    "pop eax",
    "mov eax, 119",
    "int 0x80",
    ".globl sig_restore_rt",
    "sig_restore_rt:",
    "mov eax, 173",
    "int 0x80",
    probe = sym PROBE,
    handler = sym probe_handler,
);

extern "C" {
    fn sig_probe_entry();
    fn sig_restore();
    fn sig_restore_rt();
}

pub fn probe_entry() -> usize {
    sig_probe_entry as *const () as usize
}
pub fn restore() -> usize {
    sig_restore as *const () as usize
}
pub fn restore_rt() -> usize {
    sig_restore_rt as *const () as usize
}

/// Handler invocations, the last signal, and the deepest nesting seen.
pub static COUNT: AtomicU32 = AtomicU32::new(0);
pub static LAST: AtomicU32 = AtomicU32::new(0);
pub static DEPTH: AtomicU32 = AtomicU32::new(0);
pub static MAX_DEPTH: AtomicU32 = AtomicU32::new(0);
/// The signals handled, in order, one per byte (up to four).
pub static ORDER: AtomicU32 = AtomicU32::new(0);
/// A `fn(sig, info, uc)` the handler calls, or 0.
pub static HOOK: AtomicUsize = AtomicUsize::new(0);

pub type Hook = fn(u32, *mut SigInfo, *mut UContext);

extern "C" fn probe_handler(sig: u32, info: *mut SigInfo, uc: *mut UContext) {
    let d = DEPTH.fetch_add(1, SeqCst) + 1;
    MAX_DEPTH.fetch_max(d, SeqCst);
    COUNT.fetch_add(1, SeqCst);
    LAST.store(sig, SeqCst);
    let o = ORDER.load(SeqCst);
    if o < 1 << 24 {
        ORDER.store(o << 8 | sig, SeqCst);
    }
    let h = HOOK.load(SeqCst);
    if h != 0 {
        // SAFETY: HOOK only ever holds a `Hook` (see `set_hook`).
        let f: Hook = unsafe { core::mem::transmute::<usize, Hook>(h) };
        f(sig, info, uc);
    }
    DEPTH.fetch_sub(1, SeqCst);
}

pub fn set_hook(h: Option<Hook>) {
    HOOK.store(h.map_or(0, |f| f as usize), SeqCst);
}

/// Forget what earlier handlers recorded.
pub fn reset() {
    COUNT.store(0, SeqCst);
    LAST.store(0, SeqCst);
    DEPTH.store(0, SeqCst);
    MAX_DEPTH.store(0, SeqCst);
    ORDER.store(0, SeqCst);
    set_hook(None);
}

pub fn count() -> u32 {
    COUNT.load(SeqCst)
}

/// Install the probing handler for `sig` with `flags` (SA_RESTORER and
/// the matching restorer are added) and `mask`.
pub fn install(sig: u32, flags: u32, mask: u64) -> isize {
    let restorer = if flags & SA_SIGINFO != 0 { restore_rt() } else { restore() };
    let act = SigAction { handler: probe_entry(), flags: flags | SA_RESTORER, restorer, mask };
    // SAFETY: the handler is the probe stub, a proper signal handler, and
    // the restorers call (rt_)sigreturn.
    unsafe { sys::rt_sigaction(sig, Some(&act), None, 8) }
}

/// Install the probing handler without a restorer: the kernel provides
/// the way back (its vDSO on the host, the frame's retcode here).
pub fn install_no_restorer(sig: u32, flags: u32) -> isize {
    let act = SigAction { handler: probe_entry(), flags, restorer: 0, mask: 0 };
    // SAFETY: as in `install`.
    unsafe { sys::rt_sigaction(sig, Some(&act), None, 8) }
}

/// Set `sig` to SIG_DFL or SIG_IGN.
pub fn disposition(sig: u32, handler: usize) -> isize {
    let act = SigAction { handler, flags: 0, restorer: 0, mask: 0 };
    // SAFETY: no handler code is installed.
    unsafe { sys::rt_sigaction(sig, Some(&act), None, 8) }
}

/// The current action of `sig`.
pub fn action(sig: u32) -> SigAction {
    let mut old = SigAction::default();
    // SAFETY: only reads.
    unsafe { sys::rt_sigaction(sig, None, Some(&mut old), 8) };
    old
}

pub fn set_mask(m: u64) -> u64 {
    let mut old = 0;
    sys::rt_sigprocmask(SIG_SETMASK, Some(&m), Some(&mut old), 8);
    old
}

pub fn mask() -> u64 {
    let mut old = 0;
    sys::rt_sigprocmask(SIG_BLOCK, None, Some(&mut old), 8);
    old
}

pub fn pending() -> u64 {
    let mut p = 0;
    sys::rt_sigpending(&mut p, 8);
    p
}

pub fn pid() -> i32 {
    sys::getpid() as i32
}

/// Send `sig` to ourselves.
pub fn raise(sig: u32) -> isize {
    sys::kill(pid(), sig)
}

pub const MAGIC_ESI: u32 = 0x1111_0001;
pub const MAGIC_EDI: u32 = 0x2222_0002;
pub const MAGIC_EDX: u32 = 0x3333_0003;

/// kill(`target`, `sig`) with MAGIC_* in esi, edi and edx; records in
/// KREC what the registers were afterwards. Returns kill's result.
pub fn kill_probe(target: i32, sig: u32) -> isize {
    let r: isize;
    // SAFETY: a kill system call; esi is saved and restored, edi and edx
    // are declared clobbered, the records go to KREC.
    unsafe {
        asm!(
            "push esi",
            "mov esi, 0x11110001",
            "mov edi, 0x22220002",
            "mov edx, 0x33330003",
            "mov dword ptr [{rec}], esp",
            "int 0x80",
            "call 2f",
            "2:",
            "pop dword ptr [{rec} + 4]",
            "mov dword ptr [{rec} + 8], esi",
            "mov dword ptr [{rec} + 12], edi",
            "mov dword ptr [{rec} + 16], edx",
            "mov dword ptr [{rec} + 20], ebp",
            "pop esi",
            rec = sym KREC,
            inlateout("eax") nr::KILL as isize => r,
            in("ebx") target,
            in("ecx") sig,
            out("edi") _,
            out("edx") _,
        );
    }
    r
}

/// KREC as (esp at the call, eip right after `int 0x80`, esi, edi, edx, ebp).
pub fn krec() -> [u32; 6] {
    // SAFETY: single-threaded; KREC is only written by kill_probe.
    let mut k = unsafe { core::ptr::addr_of!(KREC).read_volatile() };
    // the recorded address is that of the instruction after the 5-byte call
    k[1] = k[1].wrapping_sub(5);
    k
}

/// PROBE as (esp, eax, edx, ecx) at the last handler entry.
pub fn probe() -> [u32; 4] {
    // SAFETY: single-threaded; written only by the entry stub.
    unsafe { core::ptr::addr_of!(PROBE).read_volatile() }
}

/// A 32-bit word of our own memory.
pub fn word(addr: u32) -> u32 {
    // SAFETY: callers pass addresses inside a live signal frame.
    unsafe { (addr as *const u32).read_volatile() }
}

/// Monotonic time in milliseconds.
pub fn now_ms() -> u64 {
    let mut t = Timespec::default();
    sys::clock_gettime(CLOCK_MONOTONIC, &mut t);
    t.tv_sec as u64 * 1000 + t.tv_nsec as u64 / 1_000_000
}

pub fn sleep_ms(ms: u32) {
    let t = Timespec { tv_sec: (ms / 1000) as i32, tv_nsec: ((ms % 1000) * 1_000_000) as i32 };
    let mut rem = Timespec::default();
    let mut req = t;
    while sys::nanosleep(&req, Some(&mut rem)) == -EINTR {
        req = rem;
    }
}

/// Arm ITIMER_REAL once after `ms` milliseconds.
pub fn timer_ms(ms: u32) {
    let v = Itimerval {
        it_interval: Timeval::default(),
        it_value: Timeval { tv_sec: (ms / 1000) as i32, tv_usec: ((ms % 1000) * 1000) as i32 },
    };
    sys::setitimer(ITIMER_REAL, &v, None);
}

pub fn timer_off() {
    sys::setitimer(ITIMER_REAL, &Itimerval::default(), None);
}

/// fork, running `child` in the child (its return value is the exit
/// status). Returns the child's pid (or the error).
pub fn spawn(child: impl FnOnce() -> i32) -> isize {
    let pid = sys::fork();
    if pid == 0 {
        let code = child();
        sys::exit_group(code);
    }
    pid
}

/// Wait for `child` for at most `secs` seconds (SIGALRM interrupts the
/// wait; the child is then killed): its wait status, or None.
pub fn reap(child: isize, options: u32, secs: u32) -> Option<i32> {
    if child <= 0 {
        return None;
    }
    let saved = action(SIGALRM);
    install(SIGALRM, 0, 0);
    let before = count();
    let mut status = 0;
    sys::alarm(secs);
    let r = sys::wait4(child as i32, Some(&mut status), options);
    sys::alarm(0);
    let timed_out = r == -EINTR && count() > before;
    // SAFETY: puts back the action that was there.
    unsafe { sys::rt_sigaction(SIGALRM, Some(&saved), None, 8) };
    if r == child {
        return Some(status);
    }
    if timed_out {
        sys::kill(child as i32, SIGKILL);
        sys::wait4(child as i32, None, 0);
    }
    None
}

/// Wait status helpers.
pub fn exited(st: i32) -> Option<i32> {
    (st & 0x7F == 0).then_some((st >> 8) & 0xFF)
}
pub fn signaled(st: i32) -> Option<i32> {
    let s = st & 0x7F;
    (s != 0 && s != 0x7F).then_some(s)
}
pub fn stopped(st: i32) -> Option<i32> {
    (st & 0xFF == 0x7F).then_some((st >> 8) & 0xFF)
}

/// A status for messages.
pub struct St(pub Option<i32>);

impl core::fmt::Display for St {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self.0 {
            None => write!(f, "no status (the wait failed or timed out)"),
            Some(s) => {
                if let Some(c) = exited(s) {
                    write!(f, "exit {c}")
                } else if let Some(g) = stopped(s) {
                    write!(f, "stopped by {g}")
                } else if s == 0xFFFF {
                    write!(f, "continued")
                } else {
                    write!(f, "killed by {}", s & 0x7F)
                }
            }
        }
    }
}

/// Restore the default state between groups: every handler the tests
/// use back to SIG_DFL, nothing blocked, no timer.
pub fn clean() {
    timer_off();
    for sig in [SIGINT, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGPIPE, SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGTERM, SIGWINCH, SIGURG, SIGCONT, SIGRTMIN + 8] {
        disposition(sig, SIG_DFL);
    }
    set_mask(0);
    reset();
}
