//! System-call fuzzing: the personality server must survive whatever a
//! program does. The parent runs `ROUNDS` rounds; each forks a child that
//! makes `CALLS` random system calls (random numbers and arguments, mixed
//! with hostile sequences: odd mmap/munmap/mprotect ranges, weird breaks,
//! garbage signal handlers and sigreturn frames, full pipes, bad poll and
//! select arrays, bad iovecs, ...) and then exits 0. The parent waits with
//! a deadline and SIGKILLs a child that is still there (one blocked
//! forever is fine: that exercises killing a blocked process). A child may
//! also die of a signal. Every round whose child is gone afterwards, with
//! the parent still working, is a `PASS fuzz::round-NN`; then come a few
//! final checks and `fuzz: N passed, M failed`. Usage: `fuzz [SEED
//! [ROUNDS [v]]]` (`v`: how each child ended, and after how many calls).
//!
//! The same binary runs on the host's Linux kernel, so the children are
//! made harmless there: each drops root (to uid/gid 65534) before fuzzing,
//! gets small resource limits (no core files, 256 MiB of address space,
//! 1 MiB files), moves its standard descriptors to /dev/null, leaves the
//! terminal's session, and installs a seccomp filter that refuses every
//! call that could reach beyond the child (signals to other processes,
//! fork/exec, mount, reboot, clock setting, sockets, SysV IPC, ...);
//! paths passed are only those under `/tmp/fuzz.<pid>` and a few
//! well-known ones a non-root user cannot change. In the system, seccomp
//! and some of the limits may be unimplemented; that is harmless there.
#![no_std]
#![no_main]

use core::arch::global_asm;
use core::ptr::{addr_of, addr_of_mut};
use linux_rt::consts::*;
use linux_rt::errno::{ECHILD, EINTR};
use linux_rt::nr;
use linux_rt::syscall::{is_err, syscall6};
use linux_rt::types::*;
use linux_rt::{println, sys, Args};

linux_rt::main!(main);

const DEFAULT_SEED: u32 = 0x5eed_1234;
const ROUNDS: u32 = 48;
const CALLS: u32 = 250;
/// How long a child may run before it is killed.
const DEADLINE_NS: u64 = 1_500_000_000;

// ---- a deterministic random number generator ---------------------------

struct Rng(u32);

impl Rng {
    fn new(seed: u32) -> Rng {
        Rng(if seed == 0 { 0x9e37_79b9 } else { seed })
    }
    /// xorshift32
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u32) -> u32 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u32) as usize]
    }
}

// ---- what the children must never call ---------------------------------

/// System calls never made at random (and refused by the child's seccomp
/// filter): they could harm the parent, other processes or the machine,
/// or make the run not terminate. exit and exit_group (1, 252) are made
/// only as a child's last step.
const EXCLUDED: &[u32] = &[
    1, 252, // exit, exit_group
    2, 190, 120, 435, // fork, vfork, clone, clone3
    11, 358, // execve, execveat
    26, // ptrace
    37, 238, 270, 178, 335, 424, // kill, tkill, tgkill, rt_(tg)sigqueueinfo, pidfd_send_signal
    434, 438, 440, 448, // pidfd_open, pidfd_getfd, process_madvise, process_mrelease
    347, 348, 349, // process_vm_readv/writev, kcmp
    21, 22, 52, 217, 428, 429, 430, 431, 432, 433, 442, // mounting
    61, 86, 51, 111, // chroot, uselib, acct, vhangup
    87, 115, // swapon, swapoff
    88, 283, 128, 129, 350, // reboot, kexec_load, modules
    74, 121, // sethostname, setdomainname
    25, 79, 124, 264, 343, 404, 405, // setting clocks
    101, 110, 113, 166, 103, 149, 169, // ioperm, iopl, vm86, syslog, sysctl, nfsservctl
    131, 443, // quotactl
    357, 336, 338, 339, // bpf, perf_event_open, fanotify
    286, 287, 288, // keys
    310, 346, // unshare, setns
    97, 154, 156, 241, 289, 314, 294, 317, // scheduling/memory of other processes
    36, 344, // sync, syncfs (slow on the host)
    102, 359, 360, 361, 362, 363, 364, 365, 366, 367, 368, 369, 370, 371, 372, 373, 337, 345, 417, // sockets
    117, 393, 394, 395, 396, 397, 398, 399, 400, 401, 402, 420, // SysV IPC
    277, 278, 279, 280, 281, 282, 418, 419, // POSIX message queues
    425, 426, 427, // io_uring
];

fn excluded(n: u32) -> bool {
    EXCLUDED.contains(&n)
}

/// The calls the personality server implements: chosen more often.
const IMPLEMENTED: &[u32] = &[
    3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 19, 20, 23, 24, 27, 29, 30, 33, 38, 39, 40, 41, 42, 43,
    45, 46, 47, 49, 50, 54, 55, 57, 60, 63, 64, 65, 66, 67, 72, 73, 75, 76, 77, 78, 80, 81, 83, 85, 90,
    91, 92, 93, 94, 95, 104, 105, 114, 116, 118, 119, 122, 125, 126, 132, 133, 140, 142, 145, 146, 147,
    148, 158, 162, 165, 168, 171, 172, 173, 174, 175, 176, 179, 180, 181, 182, 183, 186, 187, 191, 192,
    193, 194, 195, 196, 197, 198, 199, 200, 201, 202, 205, 206, 207, 209, 211, 212, 213, 214, 219, 220,
    221, 224, 239, 240, 243, 244, 258, 265, 266, 267, 271, 284, 295, 296, 297, 298, 300, 301, 302, 303,
    304, 305, 306, 307, 308, 309, 311, 320, 330, 331, 340, 353, 355, 383, 403, 406, 407, 412, 413, 414,
    439,
];

// ---- the child's world ---------------------------------------------------

/// Addresses the kernel must refuse (or that fault).
const BAD_PTRS: &[usize] = &[0, 1, 0x10, 0xfff, 0xbfff_f000, 0xc000_0000, 0xffff_f000, 0xffff_ffff, 0x7fff_fffc];
const BUF_PAGES: usize = 4;
const BUF_LEN: usize = BUF_PAGES * 4096;

/// The child's state: its buffers and its paths.
struct World {
    rng: Rng,
    /// A read-write buffer.
    buf: usize,
    /// A readable page just before an unmapped one: strings and
    /// structures that run off the end of a mapping.
    edge: usize,
    /// A read-only page.
    ro: usize,
    /// The shared counter of calls made.
    counter: *mut u32,
    /// Pointers to NUL-terminated paths.
    paths: [usize; NPATHS],
}

const NPATHS: usize = 12;
/// Paths, `%` standing for the scratch directory `/tmp/fuzz.<parent pid>`.
const PATHS: [&str; NPATHS] =
    ["%/a", "%/b", "%/d", "%/d/x", "%/d/", "%", "%/a/b", "/", "/dev/null", "/proc/self/stat", "/tmp", ""];

/// Storage of the paths (a static, so that the child's heap does not
/// matter).
static mut PATHBUF: [u8; 1024] = [0; 1024];
static mut BASE: [u8; 64] = [0; 64];
static mut BASE_LEN: usize = 0;

fn base() -> &'static [u8] {
    // SAFETY: written once by `main` before anything reads it.
    unsafe { &(&*addr_of!(BASE))[..BASE_LEN] }
}

/// A word that is never the address of code the program has: small, in
/// the kernel half, or in the never-mapped first pages; used to fill the
/// buffers, so that any pointer a call takes from them is harmless.
fn safe_word(r: &mut Rng) -> u32 {
    match r.below(8) {
        0 => 0,
        1 => r.below(64),
        2 => 0xc000_0000 | r.next(),
        3 => r.below(0x1000),
        4 => 0xffff_ffff,
        5 => 0x7fff_ffff,
        6 => r.below(0x10000) & !3,
        _ => 0x8000_0000 | r.next(),
    }
}

impl World {
    fn fill(&mut self, addr: usize, len: usize) {
        for i in (0..len).step_by(4) {
            let w = safe_word(&mut self.rng);
            // SAFETY: `addr..addr+len` is one of the child's writable
            // buffers (still mapped unless the fuzzing unmapped it, in
            // which case the child dies of SIGSEGV, as it may).
            unsafe { core::ptr::write_volatile((addr + i) as *mut u32, w) };
        }
    }

    fn ptr(&mut self) -> usize {
        match self.rng.below(10) {
            0..=4 => self.buf + (self.rng.below(BUF_LEN as u32 / 4) as usize) * 4,
            5 => self.buf + self.rng.below(BUF_LEN as u32) as usize,
            6 => self.edge + 4096 - self.rng.below(64) as usize,
            7 => self.ro + self.rng.below(4096) as usize,
            _ => self.rng.pick(BAD_PTRS),
        }
    }
    fn path(&mut self) -> usize {
        if self.rng.chance(85) {
            self.rng.pick(&self.paths)
        } else if self.rng.chance(50) {
            // a string that runs into the unmapped page
            self.edge + 4096 - 1 - self.rng.below(8) as usize
        } else {
            self.rng.pick(BAD_PTRS)
        }
    }
    fn fd(&mut self) -> usize {
        match self.rng.below(10) {
            0..=6 => self.rng.below(12) as usize,
            7 => self.rng.pick(&[-1isize as usize, -100isize as usize, 1023, 1024, 0x7fff_ffff, 0x8000_0000]),
            _ => self.rng.below(64) as usize,
        }
    }
    fn len(&mut self) -> usize {
        match self.rng.below(8) {
            0 => 0,
            1 => 1 + self.rng.below(16) as usize,
            2 => self.rng.below(BUF_LEN as u32) as usize,
            3 => 4096,
            4 => self.rng.pick(&[0x7fff_ffff, 0xffff_ffff, 0x8000_0000, 0x1_0000]),
            _ => self.rng.below(512) as usize,
        }
    }
    fn int(&mut self) -> usize {
        match self.rng.below(10) {
            0 => 0,
            1 => 1,
            2 => -1isize as usize,
            3..=5 => self.rng.below(8) as usize,
            6 => 1 << self.rng.below(32),
            7 => self.rng.below(4096) as usize,
            8 => self.rng.pick(&[0x7fff_ffff, 0x8000_0000, 0xffff_fff0, 0x1000_0000]),
            _ => self.rng.next() as usize,
        }
    }
    fn sig(&mut self) -> usize {
        if self.rng.chance(90) {
            self.rng.below(66) as usize
        } else {
            self.int()
        }
    }
    /// A pid argument: only the child itself (or "self").
    fn pid(&mut self) -> usize {
        match self.rng.below(3) {
            0 => 0,
            1 => sys::getpid() as usize,
            _ => -1isize as usize,
        }
    }
    fn any(&mut self) -> usize {
        match self.rng.below(5) {
            0 => self.ptr(),
            1 => self.fd(),
            2 => self.len(),
            _ => self.int(),
        }
    }
    fn arg(&mut self, kind: u8) -> usize {
        match kind {
            b'P' => self.path(),
            b'D' => self.pid(),
            _ if self.rng.chance(8) => self.any(),
            b'F' => self.fd(),
            b'B' => self.ptr(),
            b'L' => self.len(),
            b'S' => self.sig(),
            _ => self.int(),
        }
    }
}

/// The argument kinds of a call: P path, D pid, F descriptor, B pointer,
/// L length, S signal, I integer; `None` for a call without a known
/// shape (random arguments, but never paths or pids).
fn shape(n: u32) -> Option<&'static [u8]> {
    Some(match n {
        3 | 4 => b"FBL",
        5 => b"PII",
        6 | 41 | 118 | 133 | 148 => b"F",
        7 => b"DBI",
        8 | 15 | 33 | 39 => b"PI",
        9 | 38 | 83 => b"PP",
        10 | 12 | 40 => b"P",
        13 | 42 | 43 | 73 | 116 | 122 | 243 | 244 | 258 => b"B",
        14 | 16 | 182 | 198 | 212 => b"PII",
        18 | 30 | 99 | 106 | 107 | 195 | 196 | 271 => b"PB",
        19 => b"FII",
        27 | 23 | 46 | 60 | 213 | 214 => b"I",
        45 => b"I",
        54 | 55 | 221 => b"FIB",
        57 => b"DD",
        63 => b"FF",
        67 | 174 => b"SBBI",
        72 => b"IIB",
        75 | 76 | 77 | 104 | 105 | 191 | 265 | 266 | 403 | 406 => b"IBB",
        78 | 162 | 186 => b"BB",
        80 | 81 | 205 | 206 => b"LB",
        85 => b"PBL",
        90 => b"B",
        91 | 150 | 151 | 311 => b"BL",
        92 | 193 => b"PII",
        93 | 194 => b"FII",
        94 => b"FI",
        95 | 207 => b"FII",
        100 | 108 | 197 => b"FB",
        114 => b"DBIB",
        119 | 173 => b"",
        125 | 219 | 144 => b"BLI",
        126 | 175 => b"IBBI",
        132 | 147 => b"D",
        140 => b"FIIBI",
        141 | 220 => b"FBL",
        142 => b"IBBBB",
        145 | 146 => b"FBI",
        163 => b"BLLII",
        165 | 171 | 209 | 211 => b"BBB",
        168 => b"BII",
        176 | 179 => b"BI",
        180 | 181 => b"FBLII",
        183 => b"BL",
        187 | 239 => b"FFBL",
        192 => b"BLIIFI",
        203 | 204 | 208 | 210 => b"III",
        240 => b"BIIBBI",
        267 | 407 => b"IIBB",
        268 => b"PLB",
        269 => b"FLB",
        284 => b"IDBII",
        295 | 297 => b"FPII",
        296 | 301 | 306 | 307 => b"FPI",
        298 => b"FPIII",
        299 => b"FPB",
        300 | 320 | 412 => b"FPBI",
        302 => b"FPFP",
        303 | 353 => b"FPFPI",
        304 => b"PFP",
        305 => b"FPBL",
        308 | 413 => b"IBBBBB",
        309 | 414 => b"BIBBI",
        330 => b"FFI",
        331 => b"BI",
        340 => b"DIBB",
        355 => b"BLI",
        383 => b"FPIIB",
        437 => b"FPBL",
        439 => b"FPII",
        // calls taking paths that are not in the table above would get
        // random pointers: keep them to the known paths too
        226 | 227 | 229 | 230 => b"PBBLI",
        232 | 233 => b"PBL",
        235 | 236 => b"PB",
        291 => b"FPI",
        341 => b"FPBBI",
        _ => return None,
    })
}

// ---- the child's signal handler and raw calls -------------------------------

global_asm!(
    ".globl fuzz_restore_rt",
    "fuzz_restore_rt:",
    "mov eax, 173",
    "int 0x80",
    // sigreturn on a garbage stack: esp = ecx, then the call in eax
    ".globl fuzz_sigreturn_on",
    "fuzz_sigreturn_on:",
    "mov eax, [esp + 4]",
    "mov ecx, [esp + 8]",
    "mov esp, ecx",
    "int 0x80",
    "ud2",
);

extern "C" {
    fn fuzz_restore_rt();
    fn fuzz_sigreturn_on(nr: u32, stack: usize) -> !;
}

extern "C" fn on_alarm(_sig: u32) {}

fn raw(nr: usize, a: [usize; 6]) -> isize {
    // SAFETY: not safe in general: this is the fuzzer. Every pointer passed
    // is either into the child's own buffers or one the kernel must check;
    // the child may damage or kill only itself (see EXCLUDED and the
    // seccomp filter).
    unsafe { syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]) }
}

fn count(w: &World) {
    // SAFETY: the shared counter page (the child dies of SIGSEGV if it
    // unmapped it, which is fine).
    unsafe { core::ptr::write_volatile(w.counter, core::ptr::read_volatile(w.counter).wrapping_add(1)) };
}

// ---- seccomp: the host's safety net -------------------------------------

#[repr(C)]
#[derive(Clone, Copy)]
struct SockFilter {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

/// Refuse the excluded calls with EPERM (exit and exit_group stay
/// allowed), kill on a foreign architecture.
fn install_seccomp() {
    const LD_W_ABS: u16 = 0x20;
    const JEQ_K: u16 = 0x15;
    const RET_K: u16 = 0x06;
    let mut f = [SockFilter { code: 0, jt: 0, jf: 0, k: 0 }; 140];
    let mut n = 0;
    let mut put = |code, jt, jf, k| {
        f[n] = SockFilter { code, jt, jf, k };
        n += 1;
    };
    put(LD_W_ABS, 0, 0, 4); // arch
    put(JEQ_K, 1, 0, 0x4000_0003); // AUDIT_ARCH_I386
    put(RET_K, 0, 0, 0); // SECCOMP_RET_KILL
    put(LD_W_ABS, 0, 0, 0); // nr
    let deny: &[u32] = &EXCLUDED[2..];
    let total = deny.len();
    for (i, &x) in deny.iter().enumerate() {
        // jump to the deny return: past the remaining tests and the allow
        put(JEQ_K, (total - i) as u8, 0, x);
    }
    put(RET_K, 0, 0, 0x7fff_0000); // SECCOMP_RET_ALLOW
    put(RET_K, 0, 0, 0x0005_0000 | 1); // SECCOMP_RET_ERRNO | EPERM
    let prog = SockFprog { len: n as u16, filter: f.as_ptr() };
    // PR_SET_NO_NEW_PRIVS, then SECCOMP_SET_MODE_FILTER
    raw(172, [38, 1, 0, 0, 0, 0]);
    raw(354, [1, 0, &prog as *const SockFprog as usize, 0, 0, 0]);
}

// ---- the child ------------------------------------------------------------

fn map(len: usize, prot: u32, flags: u32) -> usize {
    // SAFETY: a new mapping replaces nothing.
    let r = unsafe { sys::mmap2(0, len, prot, flags, -1, 0) };
    if is_err(r) {
        sys::exit_group(0);
    }
    r as usize
}

fn setrlimit(res: usize, v: u32) {
    let l = Rlimit { rlim_cur: v, rlim_max: v };
    raw(75, [res, &l as *const Rlimit as usize, 0, 0, 0, 0]);
}

fn child(seed: u32, round: u32, counter: *mut u32) -> ! {
    let mut rng = Rng::new(seed ^ round.wrapping_mul(0x9e37_79b9));
    sys::setsid();
    // the terminal's ioctls, on the descriptors we were given (the
    // console in the system, a pipe or /dev/null on the host)
    if rng.chance(50) {
        tty_ioctls(&mut rng);
    }
    // never block on or flood the console
    let null = sys::open(c"/dev/null", O_RDWR, 0);
    for fd in 0..3 {
        if null >= 0 {
            sys::dup2(null as i32, fd);
        } else {
            sys::close(fd);
        }
    }
    if null > 2 {
        sys::close(null as i32);
    }
    // limits: no core files, a bounded address space and file size
    setrlimit(4, 0); // RLIMIT_CORE
    setrlimit(9, 256 << 20); // RLIMIT_AS
    setrlimit(1, 1 << 20); // RLIMIT_FSIZE
    // no more root
    raw(206, [0, 0, 0, 0, 0, 0]); // setgroups32(0, NULL)
    raw(214, [65534, 0, 0, 0, 0, 0]); // setgid32
    raw(213, [65534, 0, 0, 0, 0, 0]); // setuid32
    if sys::geteuid() == 0 {
        sys::exit_group(0);
    }
    let mut cwd = [0u8; 80];
    cwd[..base().len()].copy_from_slice(base());
    // SAFETY: a NUL-terminated string in `cwd`.
    unsafe { linux_rt::syscall::syscall1(nr::CHDIR, cwd.as_ptr() as usize) };
    // signals the fuzzing may cause are caught (it may still change that)
    for sig in [SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE, SIGCHLD, SIGTTIN, SIGTTOU, SIGURG, 24, 25, 26, 27, 29, 30] {
        catch(sig);
    }
    refresh();
    install_seccomp();

    let buf = map(BUF_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    let edge = map(8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    // SAFETY: the second page of our own new mapping.
    unsafe { sys::munmap(edge + 4096, 4096) };
    let ro = map(4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
    let mut w = World { rng, buf, edge, ro, counter, paths: [0; NPATHS] };
    w.fill(buf, BUF_LEN);
    // the edge page: no NUL at its end
    for i in 0..4096 {
        // SAFETY: the first page of `edge`.
        unsafe { core::ptr::write_volatile((edge + i) as *mut u8, b'a' + (i % 26) as u8) };
    }
    // the paths
    // SAFETY: only this (single-threaded) child uses PATHBUF.
    let pb = unsafe { &mut *addr_of_mut!(PATHBUF) };
    let mut at = 0;
    for (i, p) in PATHS.iter().enumerate() {
        w.paths[i] = pb.as_ptr() as usize + at;
        for &c in p.as_bytes() {
            if c == b'%' {
                pb[at..at + base().len()].copy_from_slice(base());
                at += base().len();
            } else {
                pb[at] = c;
                at += 1;
            }
        }
        pb[at] = 0;
        at += 1;
    }

    // a third of the children end with a fatal garbage handler or
    // sigreturn frame somewhere in their run
    let fatal_at = if w.rng.chance(33) { w.rng.below(CALLS) } else { CALLS };
    for i in 0..CALLS {
        count(&w);
        if i == fatal_at {
            if w.rng.chance(50) {
                garbage_handler(&mut w);
            } else {
                garbage_sigreturn(&mut w);
            }
        } else if i % 16 == 15 {
            refresh();
        } else if w.rng.chance(12) {
            structured(&mut w);
        } else {
            random_call(&mut w);
        }
    }
    sys::exit_group(0)
}

/// Catch `sig` with the handler that does nothing.
fn catch(sig: u32) {
    let act = SigAction {
        handler: on_alarm as *const () as usize,
        flags: SA_RESTORER | SA_SIGINFO,
        restorer: fuzz_restore_rt as *const () as usize,
        mask: 0,
    };
    // SAFETY: a handler that does nothing, with a working restorer.
    unsafe { sys::rt_sigaction(sig, Some(&act), None, 8) };
}

/// Keep a periodic SIGALRM coming (it interrupts blocking calls), even
/// if the fuzzing changed its handler, mask or timer: so a child is
/// rarely blocked for good, and gets through more calls.
fn refresh() {
    catch(SIGALRM);
    let set: u64 = 1 << (SIGALRM - 1);
    sys::rt_sigprocmask(SIG_UNBLOCK, Some(&set), None, 8);
    let t = Timeval { tv_sec: 0, tv_usec: 20_000 };
    sys::setitimer(ITIMER_REAL, &Itimerval { it_interval: t, it_value: t }, None);
}

/// One call with a random number and arguments of its shape.
fn random_call(w: &mut World) {
    let n = loop {
        let n = if w.rng.chance(70) { w.rng.pick(IMPLEMENTED) } else { w.rng.below(451) };
        // sigsuspend with a random mask usually blocks SIGALRM and waits
        // for good: keep some, not too many (each costs the deadline)
        if matches!(n, 72 | 179) && w.rng.chance(75) {
            continue;
        }
        if !excluded(n) && n != 119 && n != 173 {
            break n;
        }
    };
    let mut a = [0usize; 6];
    match shape(n) {
        Some(s) => {
            for (i, &k) in s.iter().enumerate() {
                a[i] = w.arg(k);
            }
            for x in a.iter_mut().skip(s.len()) {
                *x = if w.rng.chance(80) { 0 } else { w.int() };
            }
        }
        None => {
            for x in a.iter_mut() {
                *x = w.any();
            }
        }
    }
    // ioctl: no requests of the file-system ioctl families (chattr and
    // the like) on the host's files
    if n == 54 {
        a[1] = match w.rng.below(4) {
            0 => 0x5400 + w.rng.below(0x60) as usize,
            1 => 0x4000_5400 | w.rng.below(0x60) as usize,
            2 => 0x8000_5400 | w.rng.below(0x60) as usize,
            _ => w.rng.pick(&[0x541b, 0x5421, 0x5451, 0x5450, 0x5413, 0x540f, 0x5401, 0, 0xffff_ffff]),
        };
    }
    // fcntl: not F_SETOWN (signals to other processes), F_NOTIFY (ditto)
    if (n == 55 || n == 221) && matches!(a[1], 8 | 1026 | 15 | 1031) {
        a[1] = 1;
    }
    raw(n as usize, a);
}

/// The hostile sequences.
fn structured(w: &mut World) {
    match w.rng.below(12) {
        0 | 2 => mem_ops(w),
        1 | 3 => brk_ops(w),
        4 => pipe_ops(w),
        5 => poll_select(w),
        6 => iovec_ops(w),
        7 => dents_ops(w),
        8 => file_ops(w),
        9 => sig_ops(w),
        10 if w.rng.chance(50) => w.fill(w.buf, BUF_LEN),
        10 => big_io(w),
        _ => {
            let fd = w.fd();
            let req = w.int();
            let p = w.ptr();
            raw(54, [fd, 0x5400 + (req & 0x5f), p, 0, 0, 0]);
        }
    }
}

fn mem_ops(w: &mut World) {
    for _ in 0..1 + w.rng.below(6) {
        let addr = match w.rng.below(8) {
            0 => 0,
            1 => w.buf + (w.rng.below(BUF_PAGES as u32) as usize) * 4096,
            2 => w.buf + w.rng.below(BUF_LEN as u32) as usize,
            3 => w.edge,
            4 => 0x4000_0000 + (w.rng.below(0x1000) as usize) * 4096,
            5 => w.ro,
            _ => w.rng.pick(BAD_PTRS),
        };
        let len = match w.rng.below(6) {
            0 => 4096 * (1 + w.rng.below(8) as usize),
            1 => w.rng.below(10000) as usize,
            2 => 0,
            3 => w.rng.pick(&[0x7fff_ffff, 0xffff_ffff, 0xffff_f000, 0x4000_0000, 0x1000_0001]),
            _ => 1 + w.rng.below(4096) as usize,
        };
        let prot = if w.rng.chance(80) { w.rng.below(8) as usize } else { w.int() };
        match w.rng.below(5) {
            0 | 1 => {
                let flags = match w.rng.below(6) {
                    0 => MAP_PRIVATE | MAP_ANONYMOUS,
                    1 => MAP_SHARED | MAP_ANONYMOUS,
                    2 => MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                    3 => MAP_PRIVATE,
                    4 => MAP_SHARED,
                    _ => w.rng.next(),
                };
                // no MAP_FIXED over the parts we still need, mostly
                let flags = if addr == w.buf && w.rng.chance(70) { flags & !MAP_FIXED } else { flags };
                let fd = if flags & MAP_ANONYMOUS != 0 && w.rng.chance(70) { -1isize as usize } else { w.fd() };
                let off = if w.rng.chance(70) { 0 } else { w.int() };
                raw(192, [addr, len, prot, flags as usize, fd, off]);
            }
            2 => {
                raw(91, [addr, len, 0, 0, 0, 0]);
            }
            3 => {
                raw(125, [addr, len, prot, 0, 0, 0]);
            }
            _ => {
                let new = w.len();
                raw(163, [addr, len, new, w.rng.below(8) as usize, w.ptr(), 0]);
            }
        }
    }
}

/// Calls with lengths far beyond a mapping of a few MiB: the kernel must
/// neither try to allocate what the length says nor fail to stop at the
/// end of the mapping.
fn big_io(w: &mut World) {
    let len = (1 + w.rng.below(4) as usize) << 20;
    // SAFETY: a new mapping replaces nothing.
    let m = unsafe { sys::mmap2(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) };
    if is_err(m) {
        return;
    }
    let m = m as usize;
    let huge = w.rng.pick(&[0x7fff_ffffusize, 0xffff_ffff, 0x0200_0000, len + 1]);
    let fd = w.fd();
    match w.rng.below(4) {
        0 => raw(355, [m, huge, 0, 0, 0, 0]),
        1 => {
            let iov = [m, huge, m, 4096];
            raw(146, [fd, iov.as_ptr() as usize, w.rng.below(3) as usize, 0, 0, 0])
        }
        2 => {
            let iov = [m, huge, m, 4096];
            raw(145, [fd, iov.as_ptr() as usize, w.rng.below(3) as usize, 0, 0, 0])
        }
        _ => raw(w.rng.pick(&[3usize, 4]), [fd, m, huge, 0, 0, 0]),
    };
    // SAFETY: our own mapping (or whatever the fuzzing put there).
    unsafe { sys::munmap(m, len) };
}

fn brk_ops(w: &mut World) {
    let cur = raw(45, [0, 0, 0, 0, 0, 0]) as usize;
    for _ in 0..1 + w.rng.below(4) {
        let v = match w.rng.below(9) {
            0 => 0,
            1 => cur.wrapping_add(4096 * w.rng.below(64) as usize),
            2 => cur.wrapping_sub(4096 * w.rng.below(64) as usize),
            3 => cur.wrapping_sub(0x10_0000),
            4 => cur.wrapping_add(0x7fff_ffff),
            5 => 0xffff_ffff,
            6 => 0xc000_0000,
            7 => w.buf,
            _ => cur.wrapping_add(w.rng.below(10000) as usize),
        };
        raw(45, [v, 0, 0, 0, 0, 0]);
    }
}

/// A handler address that is never code of ours.
fn garbage_addr(w: &mut World) -> usize {
    match w.rng.below(5) {
        0 => 0x10 + w.rng.below(0x1000) as usize,
        1 => 0xc000_0000 | w.rng.next() as usize,
        2 => w.rng.pick(BAD_PTRS),
        3 => 2 + w.rng.below(8) as usize,
        _ => w.ro + w.rng.below(4096) as usize,
    }
}

fn garbage_handler(w: &mut World) {
    let sig = w.rng.pick(&[SIGSEGV, SIGBUS, SIGILL, SIGALRM, SIGTRAP, SIGFPE, SIGSYS]);
    let act = SigAction {
        handler: garbage_addr(w),
        flags: w.rng.next() | if w.rng.chance(70) { SA_RESTORER } else { 0 },
        restorer: garbage_addr(w),
        mask: (w.rng.next() as u64) << 32 | w.rng.next() as u64,
    };
    if w.rng.chance(30) {
        // an alternate stack that is not there
        let ss = StackT { ss_sp: garbage_addr(w), ss_flags: 0, ss_size: w.len() };
        raw(186, [&ss as *const StackT as usize, 0, 0, 0, 0, 0]);
    }
    raw(174, [sig as usize, &act as *const SigAction as usize, 0, 8, 0, 0]);
    if w.rng.chance(50) {
        // and fault
        let p = w.rng.pick(BAD_PTRS);
        // SAFETY: not safe: this fault is the point.
        unsafe { core::ptr::write_volatile(p as *mut u32, 1) };
    }
}

fn garbage_sigreturn(w: &mut World) {
    let stack = w.buf + BUF_LEN / 2;
    w.fill(stack - 512, 1024);
    let n = if w.rng.chance(50) { 119 } else { 173 };
    let sp = match w.rng.below(4) {
        0 => w.rng.pick(BAD_PTRS),
        1 => w.edge + 4096 - w.rng.below(256) as usize,
        _ => stack,
    };
    // SAFETY: not safe: the garbage frame's eip (and every other word)
    // is a safe_word, so the child ends with a fault or a signal.
    unsafe { fuzz_sigreturn_on(n, sp) }
}

fn pipe_ops(w: &mut World) {
    let mut fds = [0i32; 2];
    let flags = w.rng.pick(&[0, O_NONBLOCK, O_CLOEXEC, O_NONBLOCK | O_CLOEXEC, 0xffff_ffff]);
    if sys::pipe2(&mut fds, flags) < 0 {
        return;
    }
    if w.rng.chance(50) {
        // SAFETY: ignoring SIGPIPE touches no memory.
        let act = SigAction { handler: SIG_IGN, ..Default::default() };
        unsafe { sys::rt_sigaction(SIGPIPE, Some(&act), None, 8) };
    }
    for _ in 0..w.rng.below(40) {
        let (fd, len) = (fds[w.rng.below(2) as usize], w.len());
        let p = w.ptr();
        match w.rng.below(4) {
            0 => raw(3, [fd as usize, p, len, 0, 0, 0]),
            1 if w.rng.chance(20) => raw(6, [fd as usize, 0, 0, 0, 0, 0]),
            _ => raw(4, [fd as usize, w.buf, len.min(BUF_LEN), 0, 0, 0]),
        };
    }
    if w.rng.chance(70) {
        sys::close(fds[0]);
        sys::close(fds[1]);
    }
}

fn poll_select(w: &mut World) {
    // poll fds in the buffer: random descriptors and events
    let n = w.rng.pick(&[0usize, 1, 3, 100, 1024, 1025, 0x7fff_ffff, 0xffff_ffff]);
    for i in 0..w.rng.below(16) as usize {
        let p = (w.buf + i * 8) as *mut PollFd;
        let pfd = PollFd { fd: w.fd() as i32, events: w.rng.next() as i16, revents: 0 };
        // SAFETY: inside the buffer.
        unsafe { core::ptr::write_volatile(p, pfd) };
    }
    let arr = if w.rng.chance(70) { w.buf } else { w.ptr() };
    let timeout = w.rng.pick(&[0usize, 1, 10, -1isize as usize]);
    match w.rng.below(4) {
        0 => raw(168, [arr, n, timeout, 0, 0, 0]),
        1 => {
            let ts = w.ptr();
            raw(309, [arr, n, ts, w.ptr(), 8, 0])
        }
        2 => {
            let nfds = w.rng.pick(&[0usize, 1, 10, 64, 1024, 1025, 4096, -1isize as usize]);
            let tv = Timeval { tv_sec: 0, tv_usec: w.rng.below(2000) as i32 };
            let tvp = if w.rng.chance(70) { &tv as *const Timeval as usize } else { w.ptr() };
            raw(142, [nfds, w.ptr(), w.ptr(), w.ptr(), tvp, 0])
        }
        _ => {
            let nfds = w.int();
            raw(308, [nfds, w.ptr(), w.ptr(), w.ptr(), w.ptr(), w.ptr()])
        }
    };
}

fn iovec_ops(w: &mut World) {
    let cnt = w.rng.below(12) as usize;
    for i in 0..cnt {
        let base = w.ptr();
        let len = w.len();
        let p = (w.buf + BUF_LEN - 256 + i * 8) as *mut [usize; 2];
        // SAFETY: inside the buffer.
        unsafe { core::ptr::write_volatile(p, [base, len]) };
    }
    let iov = if w.rng.chance(80) { w.buf + BUF_LEN - 256 } else { w.ptr() };
    let count = w.rng.pick(&[cnt, 0, 1, 1024, 1025, -1isize as usize, 0x7fff_ffff]);
    let fd = w.fd();
    let nr = w.rng.pick(&[145usize, 146, 333, 334, 378, 379]);
    raw(nr, [fd, iov, count, 0, 0, 0]);
}

fn dents_ops(w: &mut World) {
    let path = w.path();
    let flags = w.rng.pick(&[O_RDONLY, O_RDONLY | O_DIRECTORY, O_RDWR | O_CREAT, O_WRONLY]);
    let fd = raw(5, [path, flags as usize, 0o666, 0, 0, 0]);
    let fd = if fd >= 0 { fd as usize } else { w.fd() };
    for _ in 0..1 + w.rng.below(4) {
        let len = w.rng.pick(&[0usize, 1, 19, 20, 24, 32, 280, 4096, 0x7fff_ffff]);
        let p = w.ptr();
        let nr = w.rng.pick(&[220usize, 141, 89]);
        raw(nr, [fd, p, len, 0, 0, 0]);
        if w.rng.chance(30) {
            raw(19, [fd, w.int(), w.rng.below(5) as usize, 0, 0, 0]);
        }
    }
    if w.rng.chance(80) {
        raw(6, [fd, 0, 0, 0, 0, 0]);
    }
}

fn file_ops(w: &mut World) {
    let path = w.path();
    let fd = raw(5, [path, (O_RDWR | O_CREAT) as usize | w.rng.below(4) as usize * O_APPEND as usize, 0o666, 0, 0, 0]);
    if fd < 0 {
        return;
    }
    let fd = fd as usize;
    for _ in 0..1 + w.rng.below(8) {
        match w.rng.below(7) {
            0 => raw(4, [fd, w.ptr(), w.len(), 0, 0, 0]),
            1 => raw(3, [fd, w.ptr(), w.len(), 0, 0, 0]),
            2 => raw(194, [fd, w.int(), w.rng.below(2) as usize, 0, 0, 0]),
            3 => raw(140, [fd, w.int(), w.int(), w.ptr(), w.rng.below(5) as usize, 0]),
            4 => raw(180, [fd, w.ptr(), w.len(), w.int(), w.int(), 0]),
            5 => raw(181, [fd, w.ptr(), w.len(), w.int(), if w.rng.chance(80) { 0 } else { w.int() }, 0]),
            _ => raw(192, [0, w.len(), w.rng.below(8) as usize, w.rng.pick(&[1usize, 2]), fd, w.rng.below(4) as usize]),
        };
    }
    raw(6, [fd, 0, 0, 0, 0, 0]);
}

fn sig_ops(w: &mut World) {
    match w.rng.below(5) {
        0 => {
            // block or unblock random signals
            let how = w.rng.below(4) as usize;
            let set = (w.rng.next() as u64) << 32 | w.rng.next() as u64;
            raw(175, [how, &set as *const u64 as usize, w.ptr(), w.rng.pick(&[8usize, 4, 16, 0]), 0, 0]);
        }
        1 => {
            let s = StackT { ss_sp: w.ptr(), ss_flags: w.rng.pick(&[0, 1, 2, 0x8000_0000]), ss_size: w.len() };
            raw(186, [&s as *const StackT as usize, w.ptr(), 0, 0, 0, 0]);
        }
        2 => {
            let set: u64 = !(1u64 << (SIGALRM - 1));
            raw(179, [&set as *const u64 as usize, 8, 0, 0, 0, 0]);
        }
        3 => {
            let t = Itimerval {
                it_interval: Timeval { tv_sec: 0, tv_usec: w.rng.below(1_100_000) as i32 },
                it_value: Timeval { tv_sec: w.rng.below(2) as i32, tv_usec: w.rng.below(1_000_000) as i32 },
            };
            raw(104, [w.rng.below(4) as usize, &t as *const Itimerval as usize, w.ptr(), 0, 0, 0]);
        }
        _ => {
            raw(27, [w.rng.below(3) as usize, 0, 0, 0, 0, 0]);
        }
    }
}

/// Terminal ioctls on the standard descriptors: getters into the buffer
/// or bad pointers, setters only with bad pointers (the console is
/// shared with the parent).
fn tty_ioctls(rng: &mut Rng) {
    let mut buf = [0u8; 256];
    let getters = [0x5401usize, 0x540f, 0x5413, 0x541b, 0x5429, 0x5430, 0x80045430, 0x5432, 0x5440];
    let setters = [0x5402usize, 0x5403, 0x5404, 0x5410, 0x5414, 0x5412, 0x541c, 0x5420, 0x5421, 0x5406, 0x5407];
    for _ in 0..20 {
        let fd = rng.below(4) as usize;
        if rng.chance(60) {
            let arg = if rng.chance(60) { buf.as_mut_ptr() as usize } else { rng.pick(BAD_PTRS) };
            raw(54, [fd, rng.pick(&getters), arg, 0, 0, 0]);
        } else {
            let arg = rng.pick(&[0usize, 1, 0xc000_0000, 0xffff_f000, 0x10]);
            raw(54, [fd, rng.pick(&setters), arg, 0, 0, 0]);
        }
    }
}

// ---- the parent -------------------------------------------------------------

fn now_ns() -> u64 {
    let mut ts = Timespec::default();
    sys::clock_gettime(CLOCK_MONOTONIC, &mut ts);
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn parse_u32(s: &[u8]) -> Option<u32> {
    let (s, radix) = match s.strip_prefix(b"0x") {
        Some(h) => (h, 16),
        None => (s, 10),
    };
    let mut v: u32 = 0;
    if s.is_empty() {
        return None;
    }
    for &c in s {
        let d = (c as char).to_digit(radix)?;
        v = v.checked_mul(radix)?.checked_add(d)?;
    }
    Some(v)
}

/// Remove the scratch directory (and everything below it).
fn clean(base: &core::ffi::CStr) {
    fix_modes(base);
    initrd::conformance::rm_rf(base);
}

/// Give directories below `dir` back their search and write rights (a
/// child may have removed them), so that they can be removed.
fn fix_modes(dir: &core::ffi::CStr) {
    sys_chmod(dir, 0o777);
    let fd = sys::open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
    if fd < 0 {
        return;
    }
    let mut names: alloc::vec::Vec<alloc::vec::Vec<u8>> = alloc::vec::Vec::new();
    let mut buf = [0u8; 2048];
    loop {
        let n = sys::getdents64(fd as i32, &mut buf);
        if n <= 0 {
            break;
        }
        for d in dirents(&buf[..n as usize]) {
            if d.name != b"." && d.name != b".." && d.kind == 4 {
                names.push(d.name.into());
            }
        }
    }
    sys::close(fd as i32);
    for n in names {
        let mut p = alloc::vec::Vec::from(dir.to_bytes());
        p.push(b'/');
        p.extend_from_slice(&n);
        if let Ok(c) = alloc::ffi::CString::new(p) {
            fix_modes(&c);
        }
    }
}

fn sys_chmod(path: &core::ffi::CStr, mode: u32) {
    raw(15, [path.as_ptr() as usize, mode as usize, 0, 0, 0, 0]);
}

extern crate alloc;

/// Wait for `pid` until the deadline, then kill it; returns how it ended
/// (0 exited, 1 killed by a signal of its own, 2 killed by us) or None if
/// it could not be reaped.
fn reap(pid: i32, verbose: bool) -> Option<u32> {
    let start = now_ns();
    let mut st = 0;
    loop {
        let r = sys::wait4(pid, Some(&mut st), WNOHANG);
        if verbose && r == pid as isize {
            println!("  status {st:#x}");
        }
        if r == pid as isize {
            return Some(if st & 0x7f == 0 { 0 } else { 1 });
        }
        if r != 0 && r != -EINTR {
            return None;
        }
        if now_ns() - start > DEADLINE_NS {
            break;
        }
        sys::nanosleep(&Timespec { tv_sec: 0, tv_nsec: 5_000_000 }, None);
    }
    sys::kill(pid, SIGKILL);
    loop {
        let r = sys::wait4(pid, Some(&mut st), 0);
        if r == pid as isize {
            return Some(if st & 0x7f == SIGKILL as i32 { 2 } else if st & 0x7f == 0 { 0 } else { 1 });
        }
        if r != -EINTR {
            return None;
        }
    }
}

/// The parent still works: a pipe carries bytes, its identity is intact.
fn parent_ok(me: isize) -> bool {
    let mut fds = [0i32; 2];
    if sys::pipe2(&mut fds, 0) != 0 {
        return false;
    }
    let ok = sys::write(fds[1], b"ping") == 4 && {
        let mut b = [0u8; 8];
        sys::read(fds[0], &mut b) == 4 && &b[..4] == b"ping"
    };
    sys::close(fds[0]);
    sys::close(fds[1]);
    ok && sys::getpid() == me
}

fn main(args: &Args) -> i32 {
    let seed = args.arg(1).and_then(parse_u32).unwrap_or(DEFAULT_SEED);
    let rounds = args.arg(2).and_then(parse_u32).unwrap_or(ROUNDS);
    let verbose = args.arg(3).is_some();
    let me = sys::getpid();
    // the scratch directory
    let name = alloc::format!("/tmp/fuzz.{me}");
    // SAFETY: set once, before any child exists.
    unsafe {
        let b = &mut *addr_of_mut!(BASE);
        b[..name.len()].copy_from_slice(name.as_bytes());
        BASE_LEN = name.len();
    }
    let cbase = initrd::conformance::cs(&name);
    clean(&cbase);
    // the console's settings, restored after each round
    let mut termios = [0u8; 60];
    // SAFETY: TCGETS writes a struct termios (36 bytes) into `termios`.
    let have_termios = unsafe { sys::ioctl(1, 0x5401, termios.as_mut_ptr() as usize) } == 0;
    // the shared counter of calls made
    let counter = map(4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS) as *mut u32;
    let (mut passed, mut failed) = (0u32, 0u32);
    let mut ends = [0u32; 3];
    let mut calls: u64 = 0;
    for round in 0..rounds {
        sys::mkdir(&cbase, 0o777);
        sys_chmod(&cbase, 0o777);
        // SAFETY: our shared page.
        unsafe { core::ptr::write_volatile(counter, 0) };
        let pid = sys::fork();
        if pid == 0 {
            child(seed, round, counter);
        }
        let how = if pid > 0 { reap(pid as i32, verbose) } else { None };
        // SAFETY: our shared page.
        calls += unsafe { core::ptr::read_volatile(counter) }.min(CALLS) as u64;
        if verbose {
            // SAFETY: our shared page.
            println!("  round {round}: {} calls", unsafe { core::ptr::read_volatile(counter) });
        }
        if have_termios {
            // SAFETY: TCSETS reads the struct termios saved above.
            unsafe { sys::ioctl(1, 0x5402, termios.as_ptr() as usize) };
        }
        clean(&cbase);
        let alive = parent_ok(me);
        match how {
            Some(h) if alive => {
                ends[h as usize] += 1;
                passed += 1;
                println!("PASS fuzz::round-{round:02}");
            }
            _ => {
                failed += 1;
                println!("FAIL fuzz::round-{round:02}: fork {pid}, child {how:?}, parent working {alive}");
            }
        }
    }
    let mut check = |name: &str, ok: bool| {
        if ok {
            passed += 1;
            println!("PASS fuzz::{name}");
        } else {
            failed += 1;
            println!("FAIL fuzz::{name}: no");
        }
    };
    check("no-children-left", sys::wait4(-1, None, WNOHANG) == -ECHILD);
    clean(&cbase);
    let mut st = Stat64::default();
    check("scratch-removed", sys::stat64(&cbase, &mut st) < 0);
    check("parent-working", parent_ok(me));
    println!(
        "fuzz: seed {seed:#x}, {rounds} rounds, {calls} calls, {} exited, {} died of a signal, {} killed at the deadline",
        ends[0], ends[1], ends[2]
    );
    println!("fuzz: {passed} passed, {failed} failed");
    if failed == 0 {
        0
    } else {
        1
    }
}
