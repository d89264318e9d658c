//! The system call conformance suite: success and error cases of the i386
//! Linux system calls the personality server emulates, with Linux (the real
//! kernel) as the reference.
//!
//! Rules the checks follow, so that the same binary passes on any Linux
//! host and inside our system: they hold whether or not the suite runs as
//! root (no EACCES from permissions, ids compared with each other), they
//! need only `/`, a writable `/tmp`, `/dev/null` and `/dev/zero`, all
//! files live in a fresh `/tmp/conformance.<pid>` that is the working
//! directory while the checks run and is removed at the end, and no output
//! line contains an address, a pid or a time (outputs are compared).

use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::ffi::CStr;
use core::fmt;
use linux_rt::consts::*;
use linux_rt::errno::{self, *};
use linux_rt::syscall::{is_err, syscall6};
use linux_rt::types::*;
use linux_rt::{println, sys, Args};

mod dirs;
mod fds;
mod files;
mod memory;
mod process;
mod signals;
mod time;

/// A pointer the kernel must refuse with EFAULT: the second page of the
/// address space is never mapped.
pub const BAD: usize = 0x1;
/// Another one: the kernel half on i386 Linux, unmapped on 64-bit hosts.
pub const BAD_HIGH: usize = 0xC000_0000;

/// Counts results and prints one line per check.
pub struct Suite {
    group: &'static str,
    pub passed: u32,
    pub failed: u32,
}

/// A raw result shown as a number or as `-ENAME`.
pub struct Show(pub isize);

impl fmt::Display for Show {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if is_err(self.0) {
            write!(f, "-{}", errno::name(-self.0))
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl Suite {
    pub fn new() -> Suite {
        Suite { group: "?", passed: 0, failed: 0 }
    }

    /// Start a group: the checks after it are named `group::name`.
    pub fn group(&mut self, g: &'static str) {
        self.group = g;
    }

    /// Record a check; `why` explains a failure (expected vs got).
    pub fn check(&mut self, name: &str, ok: bool, why: fmt::Arguments) -> bool {
        if ok {
            self.passed += 1;
            println!("PASS {}::{}", self.group, name);
        } else {
            self.failed += 1;
            println!("FAIL {}::{}: {}", self.group, name, why);
        }
        ok
    }

    /// `got` must be exactly `want` (errors shown by name).
    pub fn eq(&mut self, name: &str, got: isize, want: isize) -> bool {
        self.check(name, got == want, format_args!("expected {}, got {}", Show(want), Show(got)))
    }

    /// `got` must be the error `-e`.
    pub fn err(&mut self, name: &str, got: isize, e: isize) -> bool {
        self.eq(name, got, -e)
    }

    /// `got` must be a success (not a negated errno); returns it.
    pub fn ok(&mut self, name: &str, got: isize) -> isize {
        self.check(name, !is_err(got), format_args!("expected success, got {}", Show(got)));
        got
    }
}

impl Default for Suite {
    fn default() -> Self {
        Suite::new()
    }
}

/// A raw system call for the error cases: its pointer arguments are either
/// deliberately invalid or point into buffers the caller owns.
pub fn raw(nr: usize, a: &[usize]) -> isize {
    let g = |i: usize| a.get(i).copied().unwrap_or(0);
    // SAFETY: every pointer passed is either one the kernel must reject
    // before touching memory (BAD, BAD_HIGH) or a buffer the calling check
    // owns and that is large enough; unused argument registers are zero.
    unsafe { syscall6(nr, g(0), g(1), g(2), g(3), g(4), g(5)) }
}

/// `fcntl64` for the commands whose argument is an integer.
pub fn fcntl(fd: i32, cmd: u32, arg: i32) -> isize {
    // SAFETY: these commands take no pointer.
    unsafe { sys::fcntl64(fd, cmd, arg as usize) }
}

/// A C string from a Rust one (no interior NULs in the suite's names).
pub fn cs(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// Create (or truncate) `path` holding `data`; true on success.
pub fn put(path: &CStr, data: &[u8]) -> bool {
    let fd = sys::open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644);
    if fd < 0 {
        return false;
    }
    let n = sys::write(fd as i32, data);
    sys::close(fd as i32);
    n == data.len() as isize
}

/// The contents of `path` (up to 64 KiB), or None.
pub fn get(path: &CStr) -> Option<Vec<u8>> {
    let fd = sys::open(path, O_RDONLY, 0);
    if fd < 0 {
        return None;
    }
    let mut v = alloc::vec![0u8; 65536];
    let n = sys::read(fd as i32, &mut v);
    sys::close(fd as i32);
    if n < 0 {
        return None;
    }
    v.truncate(n as usize);
    Some(v)
}

/// `stat64` of `path`, or the error.
pub fn stat(path: &CStr) -> Result<Stat64, isize> {
    let mut st = Stat64::default();
    match sys::stat64(path, &mut st) {
        0 => Ok(st),
        e => Err(e),
    }
}

/// Open `path` or return -1 (the checks then fail on the -1 with EBADF).
pub fn openfd(path: &CStr, flags: u32) -> i32 {
    let r = sys::open(path, flags, 0o644);
    if r < 0 {
        -1
    } else {
        r as i32
    }
}

/// Remove `path` and everything below it (errors ignored).
pub fn rm_rf(path: &CStr) {
    if sys::unlink(path) == 0 || sys::rmdir(path) == 0 {
        return;
    }
    let fd = sys::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
    if fd < 0 {
        return;
    }
    let mut names: Vec<Vec<u8>> = Vec::new();
    let mut buf = [0u8; 2048];
    loop {
        let n = sys::getdents64(fd as i32, &mut buf);
        if n <= 0 {
            break;
        }
        for d in dirents(&buf[..n as usize]) {
            if d.name != b"." && d.name != b".." {
                names.push(d.name.into());
            }
        }
    }
    sys::close(fd as i32);
    let base = path.to_bytes();
    for n in names {
        let mut p = Vec::from(base);
        p.push(b'/');
        p.extend_from_slice(&n);
        rm_rf(&CString::new(p).unwrap());
    }
    sys::rmdir(path);
}

/// The suite's entry point (the `conformance` program's `main`).
pub fn run(args: &Args) -> i32 {
    let mut s = Suite::new();
    let pid = sys::getpid();
    let work = format!("/tmp/conformance.{}", pid);
    let cwork = cs(&work);
    rm_rf(&cwork);
    s.group("setup");
    let made = s.eq("mkdir_workdir", sys::mkdir(&cwork, 0o755), 0);
    let entered = s.eq("chdir_workdir", sys::chdir(&cwork), 0);
    if !(made && entered) {
        println!("conformance: {} passed, {} failed", s.passed, s.failed);
        return 1;
    }
    let w = Work { dir: work.clone(), cdir: cwork.clone() };

    process::run(&mut s, args);
    files::run(&mut s, &w);
    fds::run(&mut s, &w);
    dirs::run(&mut s, &w);
    memory::run(&mut s, &w);
    time::run(&mut s);
    signals::run(&mut s);

    s.group("cleanup");
    sys::chdir(c"/");
    rm_rf(&cwork);
    s.err("workdir_removed", stat(&cwork).err().unwrap_or(0), ENOENT);
    println!("conformance: {} passed, {} failed", s.passed, s.failed);
    if s.failed == 0 {
        0
    } else {
        1
    }
}

/// The working directory of the run (also the cwd while checks run).
pub struct Work {
    pub dir: String,
    pub cdir: CString,
}

impl Work {
    /// An absolute path below the working directory.
    pub fn path(&self, rel: &str) -> CString {
        cs(&format!("{}/{}", self.dir, rel))
    }
}
