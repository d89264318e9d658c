//! The macro workload, in the spirit of the AIM multiuser suite: several
//! concurrent "users" (worker processes), each running the same job again
//! and again. One **job** is:
//!
//! 1. files: create `/tmp/aim.<worker>`, write 8 KiB in 1 KiB writes, close;
//!    open it again, `fstat` it, read it back in 1 KiB reads (checksum
//!    compared), close, `stat`, `unlink`;
//! 2. a pipeline: two pipes, `fork`, the child `dup2`s them to its standard
//!    input and output and `execve`s `bench-child sum`, which reads 4 KiB
//!    from its input and writes back their checksum; the parent feeds it,
//!    reads the answer, checks it and `wait4`s for the child;
//! 3. computation: [`crate::work::compute`] with [`SORT_ROUNDS`] rounds
//!    (heap sort of 512 words per round), checked.
//!
//! A repetition forks [`WORKERS`] workers, each doing `iters` jobs, and
//! waits for all of them; the figure is cycles per job (the repetition's
//! cycles divided by `WORKERS * iters`). Everything is checked, so a system
//! that gets a step wrong fails the benchmark instead of looking fast.

use crate::measure::{measure, timed, Plan, Samples};
use crate::micro::Ctx;
use crate::os::{self, check, child_exit, close, fork, pipe, read_exact, wait_ok, write_all, Fail, PathBuf, Res};
use crate::work::{compute, fill, fnv1a, hex_line, FNV_START};
use linux_rt::consts::*;
use linux_rt::types::Stat64;
use linux_rt::{eprintln, sys};

/// Concurrent workers ("users").
pub const WORKERS: u32 = 4;
/// Bytes of the file each job writes and reads back.
pub const FILE_BYTES: usize = 8 * 1024;
/// Bytes per write and read of the file.
pub const BLOCK: usize = 1024;
/// Bytes the job sends through the pipeline.
pub const PIPE_BYTES: usize = 4 * 1024;
/// Rounds of the computational part.
pub const SORT_ROUNDS: u32 = 4;

/// The workers' data (each process has its own copy).
static mut DATA: [u8; FILE_BYTES] = [0; FILE_BYTES];
static mut BACK: [u8; FILE_BYTES] = [0; FILE_BYTES];

pub fn aim(ctx: &Ctx, plan: Plan) -> Res<Samples> {
    measure(plan, WORKERS, |jobs| {
        timed(|| {
            let mut pids = [0i32; WORKERS as usize];
            let mut res = Ok(());
            for (w, pid) in pids.iter_mut().enumerate() {
                match fork() {
                    Ok(0) => child_exit(worker(ctx, w as u32, jobs)),
                    Ok(p) => *pid = p,
                    Err(e) => {
                        res = Err(e);
                        break;
                    }
                }
            }
            for &pid in pids.iter().filter(|&&p| p > 0) {
                res = res.and(wait_ok(pid, "aim worker status"));
            }
            res
        })
    })
}

/// One worker: `jobs` jobs; the exit status is 0 or 1 (the reason is printed).
fn worker(ctx: &Ctx, w: u32, jobs: u32) -> i32 {
    for j in 0..jobs {
        if let Err(e) = job(ctx, w, j) {
            eprintln!("aim: worker {w}, job {j}: {e}");
            return 1;
        }
    }
    0
}

/// One job (see the module comment).
pub fn job(ctx: &Ctx, w: u32, j: u32) -> Res<()> {
    // SAFETY: single-threaded; only jobs use these buffers.
    let (data, back) = unsafe { (&mut *core::ptr::addr_of_mut!(DATA), &mut *core::ptr::addr_of_mut!(BACK)) };
    let seed = (w << 16) ^ j.wrapping_mul(0x9e37) ^ 0x1234_5678;
    fill(data, seed);
    files(w, data, back)?;
    pipeline(ctx, &data[..PIPE_BYTES])?;
    if compute(seed, SORT_ROUNDS) == 0 {
        return Err(Fail::Bad("sort result", 0));
    }
    Ok(())
}

fn files(w: u32, data: &[u8], back: &mut [u8]) -> Res<()> {
    let name = [b'a', b'i', b'm', b'.', b'0' + (w % 10) as u8];
    let path = PathBuf::join(b"/tmp", &name);
    let path = path.as_cstr();
    let fd = os::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)?;
    let r = data.chunks(BLOCK).try_for_each(|b| write_all(fd, b));
    close(fd);
    r?;
    let fd = os::open(path, O_RDONLY, 0)?;
    let r = (|| {
        let mut st = Stat64::default();
        check(sys::fstat64(fd, &mut st), "fstat64")?;
        if st.st_size != FILE_BYTES as i64 {
            return Err(Fail::Bad("file size", st.st_size));
        }
        for b in back.chunks_mut(BLOCK) {
            if !read_exact(fd, b)? {
                return Err(Fail::Bad("file shorter than written", 0));
            }
        }
        match sys::read(fd, &mut back[..1]) {
            0 => Ok(()),
            r => Err(Fail::Bad("read past the end", r as i64)),
        }
    })();
    close(fd);
    r?;
    if fnv1a(FNV_START, back) != fnv1a(FNV_START, data) {
        return Err(Fail::Bad("file read back differs", 0));
    }
    let mut st = Stat64::default();
    check(sys::stat64(path, &mut st), "stat64")?;
    check(sys::unlink(path), "unlink")?;
    Ok(())
}

/// Feed `input` to `bench-child sum` and check its answer.
fn pipeline(ctx: &Ctx, input: &[u8]) -> Res<()> {
    let (in_r, in_w) = pipe()?;
    let (out_r, out_w) = match pipe() {
        Ok(p) => p,
        Err(e) => {
            close(in_r);
            close(in_w);
            return Err(e);
        }
    };
    let pid = fork();
    if let Ok(0) = pid {
        if sys::dup2(in_r, 0) < 0 || sys::dup2(out_w, 1) < 0 {
            child_exit(126);
        }
        for fd in [in_r, in_w, out_r, out_w] {
            close(fd);
        }
        os::execve(ctx.child.as_cstr(), &ctx.child_argv(Some(c"sum")), ctx.envp);
        child_exit(127);
    }
    close(in_r);
    close(out_w);
    let mut answer = [0u8; 16];
    let mut got = 0;
    let talk = pid.and_then(|_| {
        let sent = write_all(in_w, input);
        close(in_w); // the child sees end of file
        sent?;
        loop {
            let r = check(sys::read(out_r, &mut answer[got..]), "read answer")?;
            if r == 0 || got + r as usize == answer.len() {
                got += r as usize;
                return Ok(());
            }
            got += r as usize;
        }
    });
    if pid.is_err() {
        close(in_w);
    }
    close(out_r);
    let waited = match pid {
        Ok(p) => wait_ok(p, "bench-child sum status (127: execve failed)"),
        Err(_) => Ok(()),
    };
    talk?;
    waited?;
    if answer[..got] != hex_line(fnv1a(FNV_START, input)) {
        return Err(Fail::Bad("checksum from bench-child, bytes", got as i64));
    }
    Ok(())
}
