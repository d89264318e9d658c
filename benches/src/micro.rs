//! The lmbench-style micro benchmarks. Each takes the context and a plan
//! and returns its samples; setup (opening files, forking partners) is not
//! timed, and whatever a benchmark starts it stops again, also on failure.

use crate::measure::{expect, measure, timed, Plan, Samples};
use crate::os::{self, check, child_exit, close, fork, pipe, read_exact, wait_ok, write_all, Fail, PathBuf, Res};
use core::ffi::{c_char, CStr};
use core::hint::black_box;
use core::sync::atomic::{AtomicU32, Ordering};
use linux_rt::consts::*;
use linux_rt::sys;
use linux_rt::types::{SigAction, Stat64};

/// What the benchmarks need from the command line and environment.
pub struct Ctx {
    /// The program `fork-exec` and `aim` execute (`bench-child`).
    pub child: PathBuf,
    /// Our environment, passed on to executed programs.
    pub envp: *const *const c_char,
}

impl Ctx {
    /// argv for executing `bench-child` with up to one argument.
    pub fn child_argv(&self, arg: Option<&CStr>) -> [*const c_char; 3] {
        let a = arg.map_or(core::ptr::null(), |a| a.as_ptr());
        [self.child.as_cstr().as_ptr(), a, core::ptr::null()]
    }
}

/// The file `stat`, `fstat` and `open-close` use (created by [`prepare`]).
pub const STAT_FILE: &CStr = c"/tmp/bench.stat";

/// Create [`STAT_FILE`] with a few bytes in it.
pub fn prepare() -> Res<()> {
    let fd = os::open(STAT_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0o644)?;
    let r = write_all(fd, b"benchmark file\n");
    close(fd);
    r
}

/// Remove what [`prepare`] created.
pub fn cleanup() {
    let _ = sys::unlink(STAT_FILE);
}

pub fn getppid(_: &Ctx, plan: Plan) -> Res<Samples> {
    measure(plan, 1, |n| {
        timed(|| {
            for _ in 0..n {
                black_box(sys::getppid());
            }
            Ok(())
        })
    })
}

/// 1-byte reads or writes of a device.
fn dev_io(path: &CStr, write: bool, plan: Plan) -> Res<Samples> {
    let fd = os::open(path, if write { O_WRONLY } else { O_RDONLY }, 0)?;
    let mut b = [0u8; 1];
    let r = measure(plan, 1, |n| {
        timed(|| {
            for _ in 0..n {
                let r = if write { sys::write(fd, &b) } else { sys::read(fd, &mut b) };
                expect(r, 1, if write { "write" } else { "read" })?;
            }
            Ok(())
        })
    });
    close(fd);
    r
}

pub fn read_zero(_: &Ctx, plan: Plan) -> Res<Samples> {
    dev_io(c"/dev/zero", false, plan)
}

pub fn write_null(_: &Ctx, plan: Plan) -> Res<Samples> {
    dev_io(c"/dev/null", true, plan)
}

pub fn stat(_: &Ctx, plan: Plan) -> Res<Samples> {
    let mut st = Stat64::default();
    measure(plan, 1, |n| {
        timed(|| {
            for _ in 0..n {
                expect(sys::stat64(STAT_FILE, &mut st), 0, "stat64")?;
            }
            Ok(())
        })
    })
}

pub fn fstat(_: &Ctx, plan: Plan) -> Res<Samples> {
    let fd = os::open(STAT_FILE, O_RDONLY, 0)?;
    let mut st = Stat64::default();
    let r = measure(plan, 1, |n| {
        timed(|| {
            for _ in 0..n {
                expect(sys::fstat64(fd, &mut st), 0, "fstat64")?;
            }
            Ok(())
        })
    });
    close(fd);
    r
}

pub fn open_close(_: &Ctx, plan: Plan) -> Res<Samples> {
    measure(plan, 1, |n| {
        timed(|| {
            for _ in 0..n {
                let fd = check(sys::open(STAT_FILE, O_RDONLY, 0), "open")?;
                expect(sys::close(fd as i32), 0, "close")?;
            }
            Ok(())
        })
    })
}

/// Fork a child running `body` (which returns its exit status).
fn spawn(body: impl FnOnce() -> i32) -> Res<i32> {
    let pid = fork()?;
    if pid == 0 {
        child_exit(body());
    }
    Ok(pid)
}

pub fn pipe_lat(_: &Ctx, plan: Plan) -> Res<Samples> {
    let (down_r, down_w) = pipe()?;
    let (up_r, up_w) = pipe()?;
    let echo = || {
        close(down_w);
        close(up_r);
        let mut b = [0u8; 1];
        loop {
            match sys::read(down_r, &mut b) {
                0 => return 0,
                1 => {}
                _ => return 1,
            }
            if sys::write(up_w, &b) != 1 {
                return 2;
            }
        }
    };
    let pid = spawn(echo);
    close(down_r);
    close(up_w);
    let pid = match pid {
        Ok(p) => p,
        Err(e) => {
            close(down_w);
            close(up_r);
            return Err(e);
        }
    };
    let mut b = [7u8; 1];
    let r = measure(plan, 1, |n| {
        timed(|| {
            for _ in 0..n {
                expect(sys::write(down_w, &b), 1, "pipe write")?;
                expect(sys::read(up_r, &mut b), 1, "pipe read")?;
            }
            Ok(())
        })
    });
    close(down_w); // the child reads end of file and exits
    close(up_r);
    let w = wait_ok(pid, "echo child status");
    let s = r?;
    w?;
    Ok(s)
}

/// Bytes per write in `pipe-bw`.
pub const CHUNK: usize = 64 * 1024;

/// The data buffer of `pipe-bw` (parent and child each have their copy).
static mut CHUNK_BUF: [u8; CHUNK] = [0; CHUNK];

fn chunk_buf() -> &'static mut [u8; CHUNK] {
    // SAFETY: single-threaded; only pipe_bw uses the buffer, once at a time
    // per process.
    unsafe { &mut *core::ptr::addr_of_mut!(CHUNK_BUF) }
}

pub fn pipe_bw(_: &Ctx, plan: Plan) -> Res<Samples> {
    // data: parent -> child, first a 4-byte chunk count then the chunks;
    // ack: child -> parent, one byte when all chunks of a round arrived
    let (data_r, data_w) = pipe()?;
    let (ack_r, ack_w) = pipe()?;
    let sink = || {
        close(data_w);
        close(ack_r);
        let buf = chunk_buf();
        loop {
            let mut count = [0u8; 4];
            match read_exact(data_r, &mut count) {
                Ok(true) => {}
                Ok(false) => return 0,
                Err(_) => return 1,
            }
            let mut left = u32::from_le_bytes(count) as usize * CHUNK;
            while left > 0 {
                let want = left.min(CHUNK);
                match sys::read(data_r, &mut buf[..want]) {
                    r if r > 0 => left -= r as usize,
                    _ => return 2,
                }
            }
            if sys::write(ack_w, b"k") != 1 {
                return 3;
            }
        }
    };
    let pid = spawn(sink);
    close(data_r);
    close(ack_w);
    let pid = match pid {
        Ok(p) => p,
        Err(e) => {
            close(data_w);
            close(ack_r);
            return Err(e);
        }
    };
    let buf = chunk_buf();
    crate::work::fill(buf, 0x5eed);
    let r = measure(plan, 1, |n| {
        write_all(data_w, &n.to_le_bytes())?;
        timed(|| {
            for _ in 0..n {
                write_all(data_w, &buf[..])?;
            }
            let mut ack = [0u8; 1];
            expect(sys::read(ack_r, &mut ack), 1, "ack read")
        })
    });
    close(data_w);
    close(ack_r);
    let w = wait_ok(pid, "sink child status");
    let s = r?;
    w?;
    Ok(s)
}

pub fn fork_exit(_: &Ctx, plan: Plan) -> Res<Samples> {
    measure(plan, 1, |n| {
        timed(|| {
            for _ in 0..n {
                let pid = fork()?;
                if pid == 0 {
                    child_exit(0);
                }
                wait_ok(pid, "child status")?;
            }
            Ok(())
        })
    })
}

pub fn fork_exec(ctx: &Ctx, plan: Plan) -> Res<Samples> {
    let argv = ctx.child_argv(None);
    measure(plan, 1, |n| {
        timed(|| {
            for _ in 0..n {
                let pid = fork()?;
                if pid == 0 {
                    os::execve(ctx.child.as_cstr(), &argv, ctx.envp);
                    child_exit(127);
                }
                wait_ok(pid, "bench-child status (127: execve failed)")?;
            }
            Ok(())
        })
    })
}

/// Most processes in a token ring.
pub const MAX_RING: usize = 8;

/// A token ring of `procs` processes: process i reads the token from pipe
/// i and writes it to pipe i+1 (mod procs); we are process 0. One
/// iteration sends the token once around, `procs` switches.
fn ring(procs: usize, plan: Plan) -> Res<Samples> {
    let procs = procs.clamp(2, MAX_RING);
    let mut p = [(-1i32, -1i32); MAX_RING];
    let close_all = |p: &[(i32, i32)], keep_r: i32, keep_w: i32| {
        for &(r, w) in p {
            if r >= 0 && r != keep_r {
                close(r);
            }
            if w >= 0 && w != keep_w {
                close(w);
            }
        }
    };
    for i in 0..procs {
        match pipe() {
            Ok(fds) => p[i] = fds,
            Err(e) => {
                close_all(&p, -1, -1);
                return Err(e);
            }
        }
    }
    let mut pids = [0i32; MAX_RING];
    let mut started = Ok(());
    for i in 1..procs {
        let (r, w) = (p[i].0, p[(i + 1) % procs].1);
        let relay = || {
            close_all(&p[..procs], r, w);
            let mut tok = [0u8; 1];
            loop {
                match sys::read(r, &mut tok) {
                    0 => return 0,
                    1 => {}
                    _ => return 1,
                }
                if sys::write(w, &tok) != 1 {
                    return 2;
                }
            }
        };
        match spawn(relay) {
            Ok(pid) => pids[i] = pid,
            Err(e) => {
                started = Err(e);
                break;
            }
        }
    }
    let (r, w) = (p[0].0, p[1].1);
    close_all(&p[..procs], r, w);
    let mut tok = [1u8; 1];
    let res = started.and_then(|_| {
        measure(plan, procs as u32, |n| {
            timed(|| {
                for _ in 0..n {
                    expect(sys::write(w, &tok), 1, "ring write")?;
                    expect(sys::read(r, &mut tok), 1, "ring read")?;
                }
                Ok(())
            })
        })
    });
    close(w); // end of file travels around the ring, each relay exits
    close(r);
    let mut waited = Ok(());
    for &pid in pids[1..procs].iter().filter(|&&p| p > 0) {
        waited = waited.and(wait_ok(pid, "relay status"));
    }
    let s = res?;
    waited?;
    Ok(s)
}

pub fn ctx2(_: &Ctx, plan: Plan) -> Res<Samples> {
    ring(2, plan)
}

pub fn ctx8(_: &Ctx, plan: Plan) -> Res<Samples> {
    ring(8, plan)
}

/// Touch `n` fresh pages of a new anonymous mapping (one write each); the
/// mmap and munmap are not timed.
pub fn pagefault(_: &Ctx, plan: Plan) -> Res<Samples> {
    measure(plan, 1, |n| {
        let len = n as usize * PAGE_SIZE;
        // SAFETY: a new anonymous mapping replaces nothing.
        let addr = check(unsafe { sys::mmap2(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) }, "mmap2")? as usize;
        let t = timed(|| {
            for i in 0..n as usize {
                // SAFETY: inside the mapping just created.
                unsafe { core::ptr::write_volatile((addr + i * PAGE_SIZE) as *mut u8, 1) };
            }
            Ok(())
        });
        // SAFETY: the mapping is ours and no longer used.
        unsafe { sys::munmap(addr, len) };
        t
    })
}

/// Signals the handler has seen.
static CAUGHT: AtomicU32 = AtomicU32::new(0);

extern "C" fn on_signal(_sig: i32, _info: usize, _uc: usize) {
    CAUGHT.store(CAUGHT.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

// The signal restorer for SA_SIGINFO handlers: the handler's `ret` lands
// here with esp just above the return address, rt_sigreturn takes it from there.
core::arch::global_asm!(
    ".globl bench_restore_rt",
    ".type bench_restore_rt, @function",
    "bench_restore_rt:",
    "    mov eax, {nr}",
    "    int 0x80",
    "    ud2",
    ".size bench_restore_rt, . - bench_restore_rt",
    nr = const os::NR_RT_SIGRETURN,
);

extern "C" {
    fn bench_restore_rt();
}

fn handler_action() -> SigAction {
    SigAction {
        handler: on_signal as *const () as usize,
        flags: SA_SIGINFO | SA_RESTORER,
        restorer: bench_restore_rt as *const () as usize,
        mask: 0,
    }
}

fn set_action(sig: u32, act: &SigAction) -> isize {
    // SAFETY: the handler is an extern "C" function that only touches an
    // atomic, and the restorer calls rt_sigreturn.
    unsafe { sys::rt_sigaction(sig, Some(act), None, 8) }
}

fn default_action(sig: u32) {
    set_action(sig, &SigAction { handler: SIG_DFL, ..SigAction::default() });
}

pub fn sigaction(_: &Ctx, plan: Plan) -> Res<Samples> {
    let act = handler_action();
    let r = measure(plan, 1, |n| {
        timed(|| {
            for _ in 0..n {
                expect(set_action(SIGUSR1, &act), 0, "rt_sigaction")?;
            }
            Ok(())
        })
    });
    default_action(SIGUSR1);
    r
}

pub fn signal(_: &Ctx, plan: Plan) -> Res<Samples> {
    check(set_action(SIGUSR1, &handler_action()), "rt_sigaction")?;
    let pid = sys::getpid() as i32;
    let r = measure(plan, 1, |n| {
        CAUGHT.store(0, Ordering::Relaxed);
        let t = timed(|| {
            for _ in 0..n {
                expect(sys::kill(pid, SIGUSR1), 0, "kill")?;
            }
            Ok(())
        })?;
        match CAUGHT.load(Ordering::Relaxed) {
            c if c == n => Ok(t),
            c => Err(Fail::Bad("handler runs", c as i64)),
        }
    });
    default_action(SIGUSR1);
    r
}
