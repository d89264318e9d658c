//! Process tests: fork and copy-on-write, vfork, execve (arguments and
//! environment, `#!` scripts, errors, close-on-exec, signal state across
//! exec), the wait family, zombies and orphans, pipes (EOF, non-blocking
//! ends, capacity, PIPE_BUF atomicity with concurrent writers, poll and
//! select), process groups and sessions, and /proc of processes. One
//! `PASS group::name` or `FAIL group::name: why` line per check, then
//! `process: N passed, M failed`; the same binary runs on the host kernel
//! and in the system.
//!
//! Run with arguments, the program is the helper its own checks exec:
//! `exit N`, `args A B...` (exits 0 if argv and the environment are as the
//! caller made them), `fd N` (exits 0 if descriptor N is closed), `sig`
//! (reports the signal state it inherited in its exit status).
#![no_std]
#![no_main]

extern crate alloc;

mod exec;
mod fork;
mod groups;
mod pipes;

use alloc::ffi::CString;
use alloc::vec::Vec;
use initrd::conformance::Suite;
use linux_rt::{println, sys, Args};

linux_rt::main!(main);

fn main(args: &Args) -> i32 {
    if args.argc > 1 {
        return exec::helper(args);
    }
    // a scratch directory for the files the checks make
    let dir = alloc::format!("/tmp/process.{}", sys::getpid());
    let cdir = initrd::conformance::cs(&dir);
    initrd::conformance::rm_rf(&cdir);
    sys::mkdir(&cdir, 0o755);
    let mut s = Suite::new();
    fork::run(&mut s);
    exec::run(&mut s, &dir);
    pipes::run(&mut s);
    groups::run(&mut s);
    initrd::conformance::rm_rf(&cdir);
    println!("process: {} passed, {} failed", s.passed, s.failed);
    if s.failed == 0 {
        0
    } else {
        1
    }
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

/// The wait status of `pid` (blocking), or None if the wait failed.
pub fn wait(pid: isize) -> Option<i32> {
    let mut st = 0;
    (sys::wait4(pid as i32, Some(&mut st), 0) == pid).then_some(st)
}

/// The exit code in a wait status, if the child exited.
pub fn exit_code(st: Option<i32>) -> Option<i32> {
    st.filter(|s| s & 0x7F == 0).map(|s| (s >> 8) & 0xFF)
}

/// A C string array (NULL-terminated) for execve, kept alive by the owner.
pub struct CArray {
    _strings: Vec<CString>,
    ptrs: Vec<*const u8>,
}

impl CArray {
    pub fn new(items: &[&str]) -> CArray {
        let strings: Vec<CString> = items.iter().map(|s| initrd::conformance::cs(s)).collect();
        let mut ptrs: Vec<*const u8> = strings.iter().map(|s| s.as_ptr() as *const u8).collect();
        ptrs.push(core::ptr::null());
        CArray { _strings: strings, ptrs }
    }
    pub fn as_ptr(&self) -> *const *const u8 {
        self.ptrs.as_ptr()
    }
}
