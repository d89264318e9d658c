//! System calls `linux-rt` does not wrap (fork, execve, wait4), small I/O
//! helpers, and [`Fail`], the error every benchmark step reports.

use core::ffi::{c_char, CStr};
use core::fmt;
use linux_rt::syscall::{is_err, syscall0, syscall3, syscall4};
use linux_rt::{errno, sys};

pub const NR_FORK: usize = 2;
pub const NR_EXECVE: usize = 11;
pub const NR_WAIT4: usize = 114;
pub const NR_RT_SIGRETURN: usize = 173;

/// Why a benchmark step failed.
#[derive(Clone, Copy, Debug)]
pub enum Fail {
    /// A system call returned this negated errno.
    Sys(&'static str, isize),
    /// A result was not what it must be (a count, a status, a checksum).
    Bad(&'static str, i64),
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match *self {
            Fail::Sys(what, r) => write!(f, "{what}: {} ({r})", errno::name(-r)),
            Fail::Bad(what, v) => write!(f, "{what} (got {v})"),
        }
    }
}

pub type Res<T> = Result<T, Fail>;

/// A raw system call result as a `Result`.
#[inline(always)]
pub fn check(r: isize, what: &'static str) -> Res<isize> {
    if is_err(r) {
        Err(Fail::Sys(what, r))
    } else {
        Ok(r)
    }
}

/// Fork: the child's pid in the parent, 0 in the child.
pub fn fork() -> Res<i32> {
    // SAFETY: fork copies the process; the child continues here with its
    // own copy of everything (the programs are single-threaded).
    check(unsafe { syscall0(NR_FORK) }, "fork").map(|p| p as i32)
}

/// Replace the process image; returns only on failure (the raw result).
pub fn execve(path: &CStr, argv: &[*const c_char], envp: *const *const c_char) -> isize {
    debug_assert!(argv.last().is_some_and(|p| p.is_null()));
    // SAFETY: path is NUL-terminated, argv is a NULL-terminated array of
    // NUL-terminated strings, envp is the environment we were started with.
    unsafe { syscall3(NR_EXECVE, path.as_ptr() as usize, argv.as_ptr() as usize, envp as usize) }
}

/// wait4(pid, &status, options, NULL); returns the pid reaped.
pub fn wait4(pid: i32, status: &mut i32, options: u32) -> isize {
    // SAFETY: the kernel writes one int to `status`.
    unsafe { syscall4(NR_WAIT4, pid as usize, status as *mut i32 as usize, options as usize, 0) }
}

/// Reap `pid` (retrying on EINTR) and return its exit code; death by a
/// signal is an error.
pub fn wait_exit(pid: i32) -> Res<i32> {
    let mut st = 0;
    loop {
        let r = wait4(pid, &mut st, 0);
        if r == -errno::EINTR {
            continue;
        }
        check(r, "wait4")?;
        break;
    }
    if st & 0x7f != 0 {
        return Err(Fail::Bad("child killed by signal", (st & 0x7f) as i64));
    }
    Ok((st >> 8) & 0xff)
}

/// Reap `pid`; it must have exited with status 0.
pub fn wait_ok(pid: i32, what: &'static str) -> Res<()> {
    match wait_exit(pid)? {
        0 => Ok(()),
        s => Err(Fail::Bad(what, s as i64)),
    }
}

/// A pipe: (read end, write end).
pub fn pipe() -> Res<(i32, i32)> {
    let mut fds = [0i32; 2];
    check(sys::pipe2(&mut fds, 0), "pipe")?;
    Ok((fds[0], fds[1]))
}

/// Write all of `data` (pipes may take it in parts).
pub fn write_all(fd: i32, mut data: &[u8]) -> Res<()> {
    while !data.is_empty() {
        let r = check(sys::write(fd, data), "write")?;
        if r == 0 {
            return Err(Fail::Bad("write returned 0", 0));
        }
        data = &data[r as usize..];
    }
    Ok(())
}

/// Fill `buf` completely; `Ok(false)` on end of file before the first byte.
pub fn read_exact(fd: i32, buf: &mut [u8]) -> Res<bool> {
    let mut got = 0;
    while got < buf.len() {
        let r = check(sys::read(fd, &mut buf[got..]), "read")?;
        if r == 0 {
            if got == 0 {
                return Ok(false);
            }
            return Err(Fail::Bad("short read at end of file", got as i64));
        }
        got += r as usize;
    }
    Ok(true)
}

/// Open a file, as a `Result`.
pub fn open(path: &CStr, flags: u32, mode: u32) -> Res<i32> {
    check(sys::open(path, flags, mode), "open").map(|fd| fd as i32)
}

/// Close, ignoring errors (cleanup paths).
pub fn close(fd: i32) {
    let _ = sys::close(fd);
}

/// End a forked child (never returns to the benchmark code).
pub fn child_exit(status: i32) -> ! {
    sys::exit_group(status)
}

/// A NUL-terminated path built at run time.
pub struct PathBuf {
    buf: [u8; 256],
}

impl PathBuf {
    /// `dir` + `/` + `name` (truncated to fit; no NULs expected).
    pub fn join(dir: &[u8], name: &[u8]) -> PathBuf {
        let mut buf = [0u8; 256];
        let mut n = 0;
        for &b in dir.iter().chain(b"/").chain(name) {
            if n < buf.len() - 1 && b != 0 {
                buf[n] = b;
                n += 1;
            }
        }
        PathBuf { buf }
    }

    pub fn as_cstr(&self) -> &CStr {
        // there is a NUL at the end at the latest
        CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"")
    }
}
