//! Typed thin wrappers over the raw system calls. Each returns the kernel's
//! raw result (`isize`, a negated errno on failure) exactly as Linux gives
//! it, without the libc conventions: no `errno`, no retries, no flag
//! defaults (for instance `open` does not add `O_LARGEFILE`, and `getcwd`
//! returns a length). Wrappers that take only references and slices are
//! safe; those that change the address space, install code addresses or
//! let the kernel write through raw pointers later are `unsafe`.

use crate::nr;
use crate::syscall::{syscall0, syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};
use crate::types::*;
use core::ffi::CStr;

fn p<T: ?Sized>(r: &T) -> usize {
    r as *const T as *const u8 as usize
}
fn pm<T: ?Sized>(r: &mut T) -> usize {
    r as *mut T as *mut u8 as usize
}
fn opt<T>(r: Option<&T>) -> usize {
    r.map_or(0, |r| p(r))
}
fn opt_mut<T>(r: Option<&mut T>) -> usize {
    r.map_or(0, |r| pm(r))
}
fn s(path: &CStr) -> usize {
    path.as_ptr() as usize
}

// SAFETY (for every safe wrapper below): the pointer arguments come from
// references or slices that are valid for the access the kernel makes
// (reads of `&`, writes of `&mut` within their length), and the call does
// not otherwise affect memory Rust owns.

/// End the calling thread (the whole process when single-threaded).
pub fn exit(status: i32) -> ! {
    // SAFETY: does not return.
    unsafe { syscall1(nr::EXIT, status as usize) };
    unreachable_loop()
}

/// End the process.
pub fn exit_group(status: i32) -> ! {
    // SAFETY: does not return.
    unsafe { syscall1(nr::EXIT_GROUP, status as usize) };
    unreachable_loop()
}

fn unreachable_loop() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

pub fn read(fd: i32, buf: &mut [u8]) -> isize {
    // SAFETY: see above.
    unsafe { syscall3(nr::READ, fd as usize, pm(buf), buf.len()) }
}

pub fn write(fd: i32, buf: &[u8]) -> isize {
    // SAFETY: see above.
    unsafe { syscall3(nr::WRITE, fd as usize, p(buf), buf.len()) }
}

/// # Safety
/// Every iovec must describe memory the kernel may write.
pub unsafe fn readv(fd: i32, iov: &[IoVec]) -> isize {
    // SAFETY: the caller vouches for the buffers.
    unsafe { syscall3(nr::READV, fd as usize, p(iov), iov.len()) }
}

/// Gather write. The kernel only reads the described memory (and fails
/// with EFAULT for unmapped addresses).
pub fn writev(fd: i32, iov: &[IoVec]) -> isize {
    // SAFETY: see above; the buffers are only read.
    unsafe { syscall3(nr::WRITEV, fd as usize, p(iov), iov.len()) }
}

pub fn open(path: &CStr, flags: u32, mode: u32) -> isize {
    // SAFETY: see above.
    unsafe { syscall3(nr::OPEN, s(path), flags as usize, mode as usize) }
}

pub fn openat(dirfd: i32, path: &CStr, flags: u32, mode: u32) -> isize {
    // SAFETY: see above.
    unsafe { syscall4(nr::OPENAT, dirfd as usize, s(path), flags as usize, mode as usize) }
}

pub fn close(fd: i32) -> isize {
    // SAFETY: closing a descriptor affects no memory.
    unsafe { syscall1(nr::CLOSE, fd as usize) }
}

/// `lseek` with a 32-bit offset; returns the new offset.
pub fn lseek(fd: i32, offset: i32, whence: u32) -> isize {
    // SAFETY: no pointers.
    unsafe { syscall3(nr::LSEEK, fd as usize, offset as usize, whence as usize) }
}

/// `_llseek`: 64-bit offset split high/low, the result stored in `result`.
pub fn llseek(fd: i32, offset: i64, result: &mut i64, whence: u32) -> isize {
    let (hi, lo) = ((offset >> 32) as u32 as usize, offset as u32 as usize);
    // SAFETY: see above.
    unsafe { syscall5(nr::LLSEEK, fd as usize, hi, lo, pm(result), whence as usize) }
}

pub fn stat64(path: &CStr, st: &mut Stat64) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::STAT64, s(path), pm(st)) }
}

pub fn lstat64(path: &CStr, st: &mut Stat64) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::LSTAT64, s(path), pm(st)) }
}

pub fn fstat64(fd: i32, st: &mut Stat64) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::FSTAT64, fd as usize, pm(st)) }
}

pub fn fstatat64(dirfd: i32, path: &CStr, st: &mut Stat64, flags: u32) -> isize {
    // SAFETY: see above.
    unsafe { syscall4(nr::FSTATAT64, dirfd as usize, s(path), pm(st), flags as usize) }
}

pub fn statx(dirfd: i32, path: &CStr, flags: u32, mask: u32, stx: &mut Statx) -> isize {
    // SAFETY: see above.
    unsafe { syscall5(nr::STATX, dirfd as usize, s(path), flags as usize, mask as usize, pm(stx)) }
}

/// Fill `buf` with `linux_dirent64` records (see [`crate::types::dirents`]).
pub fn getdents64(fd: i32, buf: &mut [u8]) -> isize {
    // SAFETY: see above.
    unsafe { syscall3(nr::GETDENTS64, fd as usize, pm(buf), buf.len()) }
}

/// Returns the length of the path *including* its NUL (not a pointer).
pub fn getcwd(buf: &mut [u8]) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::GETCWD, pm(buf), buf.len()) }
}

pub fn chdir(path: &CStr) -> isize {
    // SAFETY: see above.
    unsafe { syscall1(nr::CHDIR, s(path)) }
}

pub fn access(path: &CStr, mode: u32) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::ACCESS, s(path), mode as usize) }
}

/// `faccessat` (the original call: it has no flags argument).
pub fn faccessat(dirfd: i32, path: &CStr, mode: u32) -> isize {
    // SAFETY: see above.
    unsafe { syscall3(nr::FACCESSAT, dirfd as usize, s(path), mode as usize) }
}

/// Returns the number of bytes placed in `buf` (no NUL is added).
pub fn readlink(path: &CStr, buf: &mut [u8]) -> isize {
    // SAFETY: see above.
    unsafe { syscall3(nr::READLINK, s(path), pm(buf), buf.len()) }
}

pub fn readlinkat(dirfd: i32, path: &CStr, buf: &mut [u8]) -> isize {
    // SAFETY: see above.
    unsafe { syscall4(nr::READLINKAT, dirfd as usize, s(path), pm(buf), buf.len()) }
}

pub fn symlink(target: &CStr, linkpath: &CStr) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::SYMLINK, s(target), s(linkpath)) }
}

pub fn mkdir(path: &CStr, mode: u32) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::MKDIR, s(path), mode as usize) }
}

pub fn mkdirat(dirfd: i32, path: &CStr, mode: u32) -> isize {
    // SAFETY: see above.
    unsafe { syscall3(nr::MKDIRAT, dirfd as usize, s(path), mode as usize) }
}

pub fn rmdir(path: &CStr) -> isize {
    // SAFETY: see above.
    unsafe { syscall1(nr::RMDIR, s(path)) }
}

pub fn unlink(path: &CStr) -> isize {
    // SAFETY: see above.
    unsafe { syscall1(nr::UNLINK, s(path)) }
}

pub fn unlinkat(dirfd: i32, path: &CStr, flags: u32) -> isize {
    // SAFETY: see above.
    unsafe { syscall3(nr::UNLINKAT, dirfd as usize, s(path), flags as usize) }
}

pub fn rename(old: &CStr, new: &CStr) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::RENAME, s(old), s(new)) }
}

pub fn renameat(olddir: i32, old: &CStr, newdir: i32, new: &CStr) -> isize {
    // SAFETY: see above.
    unsafe { syscall4(nr::RENAMEAT, olddir as usize, s(old), newdir as usize, s(new)) }
}

/// The 64-bit length goes in two registers, low word first.
pub fn ftruncate64(fd: i32, len: i64) -> isize {
    // SAFETY: no pointers.
    unsafe { syscall3(nr::FTRUNCATE64, fd as usize, len as u32 as usize, (len >> 32) as u32 as usize) }
}

pub fn dup(fd: i32) -> isize {
    // SAFETY: no pointers.
    unsafe { syscall1(nr::DUP, fd as usize) }
}

pub fn dup2(old: i32, new: i32) -> isize {
    // SAFETY: no pointers.
    unsafe { syscall2(nr::DUP2, old as usize, new as usize) }
}

pub fn dup3(old: i32, new: i32, flags: u32) -> isize {
    // SAFETY: no pointers.
    unsafe { syscall3(nr::DUP3, old as usize, new as usize, flags as usize) }
}

/// # Safety
/// For commands whose argument is a pointer, it must be valid for them.
pub unsafe fn fcntl64(fd: i32, cmd: u32, arg: usize) -> isize {
    // SAFETY: the caller vouches for the argument.
    unsafe { syscall3(nr::FCNTL64, fd as usize, cmd as usize, arg) }
}

/// # Safety
/// `arg` must be valid for what the request does with it.
pub unsafe fn ioctl(fd: i32, request: u32, arg: usize) -> isize {
    // SAFETY: the caller vouches for the argument.
    unsafe { syscall3(nr::IOCTL, fd as usize, request as usize, arg) }
}

pub fn pipe2(fds: &mut [i32; 2], flags: u32) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::PIPE2, pm(fds), flags as usize) }
}

/// Returns the (new) program break; on failure Linux returns the old one.
///
/// # Safety
/// Shrinking the break frees memory that must no longer be in use.
pub unsafe fn brk(addr: usize) -> isize {
    // SAFETY: the caller vouches for the memory given up.
    unsafe { syscall1(nr::BRK, addr) }
}

/// `mmap2`: the offset is in 4096-byte units.
///
/// # Safety
/// A fixed mapping can replace memory in use.
pub unsafe fn mmap2(addr: usize, len: usize, prot: u32, flags: u32, fd: i32, pgoff: usize) -> isize {
    // SAFETY: the caller vouches for the target range.
    unsafe { syscall6(nr::MMAP2, addr, len, prot as usize, flags as usize, fd as usize, pgoff) }
}

/// # Safety
/// The range must not hold memory in use.
pub unsafe fn munmap(addr: usize, len: usize) -> isize {
    // SAFETY: the caller vouches for the range.
    unsafe { syscall2(nr::MUNMAP, addr, len) }
}

/// # Safety
/// Removing access to memory in use makes later accesses fault.
pub unsafe fn mprotect(addr: usize, len: usize, prot: u32) -> isize {
    // SAFETY: the caller vouches for the range.
    unsafe { syscall3(nr::MPROTECT, addr, len, prot as usize) }
}

pub fn uname(u: &mut Utsname) -> isize {
    // SAFETY: see above.
    unsafe { syscall1(nr::UNAME, pm(u)) }
}

pub fn getpid() -> isize {
    // SAFETY: no arguments.
    unsafe { syscall0(nr::GETPID) }
}

pub fn getppid() -> isize {
    // SAFETY: no arguments.
    unsafe { syscall0(nr::GETPPID) }
}

pub fn gettid() -> isize {
    // SAFETY: no arguments.
    unsafe { syscall0(nr::GETTID) }
}

pub fn getuid() -> isize {
    // SAFETY: no arguments.
    unsafe { syscall0(nr::GETUID32) }
}

pub fn geteuid() -> isize {
    // SAFETY: no arguments.
    unsafe { syscall0(nr::GETEUID32) }
}

pub fn getgid() -> isize {
    // SAFETY: no arguments.
    unsafe { syscall0(nr::GETGID32) }
}

pub fn getegid() -> isize {
    // SAFETY: no arguments.
    unsafe { syscall0(nr::GETEGID32) }
}

pub fn kill(pid: i32, sig: u32) -> isize {
    // SAFETY: no pointers (a delivered signal runs only handlers the
    // program installed, which was the unsafe step).
    unsafe { syscall2(nr::KILL, pid as usize, sig as usize) }
}

/// Install a TLS descriptor; with `entry_number == !0` the kernel picks a
/// free slot and writes its number back.
///
/// # Safety
/// Replacing a descriptor that a segment register in use refers to
/// changes what that register addresses.
pub unsafe fn set_thread_area(u: &mut UserDesc) -> isize {
    // SAFETY: the caller vouches for the descriptor's use.
    unsafe { syscall1(nr::SET_THREAD_AREA, pm(u)) }
}

pub fn get_thread_area(u: &mut UserDesc) -> isize {
    // SAFETY: see above.
    unsafe { syscall1(nr::GET_THREAD_AREA, pm(u)) }
}

/// Returns the caller's thread id.
///
/// # Safety
/// At thread exit the kernel writes 0 to `tidptr` (and wakes a futex there).
pub unsafe fn set_tid_address(tidptr: *mut i32) -> isize {
    // SAFETY: the caller vouches for the address.
    unsafe { syscall1(nr::SET_TID_ADDRESS, tidptr as usize) }
}

/// # Safety
/// At thread exit the kernel walks the list and writes to the futexes on it.
pub unsafe fn set_robust_list(head: *const RobustListHead, len: usize) -> isize {
    // SAFETY: the caller vouches for the list.
    unsafe { syscall2(nr::SET_ROBUST_LIST, head as usize, len) }
}

pub fn clock_gettime(clock: u32, ts: &mut Timespec) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::CLOCK_GETTIME, clock as usize, pm(ts)) }
}

pub fn clock_gettime64(clock: u32, ts: &mut KernelTimespec) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::CLOCK_GETTIME64, clock as usize, pm(ts)) }
}

pub fn gettimeofday(tv: &mut Timeval) -> isize {
    // SAFETY: see above; no timezone.
    unsafe { syscall2(nr::GETTIMEOFDAY, pm(tv), 0) }
}

/// Seconds since the epoch, also stored in `t` if given.
pub fn time(t: Option<&mut i32>) -> isize {
    // SAFETY: see above.
    unsafe { syscall1(nr::TIME, opt_mut(t)) }
}

pub fn nanosleep(req: &Timespec, rem: Option<&mut Timespec>) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::NANOSLEEP, p(req), opt_mut(rem)) }
}

/// Returns a negated errno on failure, like every raw call (unlike libc's
/// `clock_nanosleep`, which returns a positive one).
pub fn clock_nanosleep(clock: u32, flags: u32, req: &Timespec, rem: Option<&mut Timespec>) -> isize {
    // SAFETY: see above.
    unsafe { syscall4(nr::CLOCK_NANOSLEEP, clock as usize, flags as usize, p(req), opt_mut(rem)) }
}

pub fn getrandom(buf: &mut [u8], flags: u32) -> isize {
    // SAFETY: see above.
    unsafe { syscall3(nr::GETRANDOM, pm(buf), buf.len(), flags as usize) }
}

pub fn ugetrlimit(resource: u32, r: &mut Rlimit) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::UGETRLIMIT, resource as usize, pm(r)) }
}

pub fn prlimit64(pid: i32, resource: u32, new: Option<&Rlimit64>, old: Option<&mut Rlimit64>) -> isize {
    // SAFETY: see above.
    unsafe { syscall4(nr::PRLIMIT64, pid as usize, resource as usize, opt(new), opt_mut(old)) }
}

pub fn sched_yield() -> isize {
    // SAFETY: no arguments.
    unsafe { syscall0(nr::SCHED_YIELD) }
}

/// # Safety
/// A handler installed in `act` will be run on signal delivery: it must be
/// a suitable `extern "C"` function, and the restorer must call `rt_sigreturn`.
pub unsafe fn rt_sigaction(sig: u32, act: Option<&SigAction>, old: Option<&mut SigAction>, sigsetsize: usize) -> isize {
    // SAFETY: the caller vouches for the handler.
    unsafe { syscall4(nr::RT_SIGACTION, sig as usize, opt(act), opt_mut(old), sigsetsize) }
}

pub fn rt_sigprocmask(how: u32, set: Option<&u64>, old: Option<&mut u64>, sigsetsize: usize) -> isize {
    // SAFETY: see above.
    unsafe { syscall4(nr::RT_SIGPROCMASK, how as usize, opt(set), opt_mut(old), sigsetsize) }
}

// ---- processes and signals (used by the process and signal test programs)

/// fork: the child's pid in the parent, 0 in the child.
pub fn fork() -> isize {
    // SAFETY: the child continues with a copy of the address space.
    unsafe { syscall0(nr::FORK) }
}

/// wait4 for `pid` (-1: any child); `status` receives the wait status.
pub fn wait4(pid: i32, status: Option<&mut i32>, options: u32) -> isize {
    // SAFETY: see above; no rusage.
    unsafe { syscall4(nr::WAIT4, pid as usize, opt_mut(status), options as usize, 0) }
}

/// waitid; `info` receives the child's siginfo.
pub fn waitid(idtype: u32, id: i32, info: Option<&mut SigInfo>, options: u32) -> isize {
    // SAFETY: see above; no rusage.
    unsafe { syscall5(nr::WAITID, idtype as usize, id as usize, opt_mut(info), options as usize, 0) }
}

/// # Safety
/// `path`, `argv` and `envp` must be valid NUL-terminated strings and
/// NULL-terminated arrays of them.
pub unsafe fn execve(path: &CStr, argv: *const *const u8, envp: *const *const u8) -> isize {
    // SAFETY: the caller vouches for the arrays.
    unsafe { syscall3(nr::EXECVE, s(path), argv as usize, envp as usize) }
}

pub fn alarm(seconds: u32) -> isize {
    // SAFETY: no pointers.
    unsafe { syscall1(nr::ALARM, seconds as usize) }
}

pub fn setitimer(which: u32, new: &Itimerval, old: Option<&mut Itimerval>) -> isize {
    // SAFETY: see above.
    unsafe { syscall3(nr::SETITIMER, which as usize, p(new), opt_mut(old)) }
}

pub fn getitimer(which: u32, cur: &mut Itimerval) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::GETITIMER, which as usize, pm(cur)) }
}

/// Waits for a signal; returns -EINTR after a handler ran.
pub fn pause() -> isize {
    // SAFETY: no arguments.
    unsafe { syscall0(nr::PAUSE) }
}

pub fn rt_sigsuspend(mask: &u64, sigsetsize: usize) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::RT_SIGSUSPEND, p(mask), sigsetsize) }
}

pub fn rt_sigpending(set: &mut u64, sigsetsize: usize) -> isize {
    // SAFETY: see above.
    unsafe { syscall2(nr::RT_SIGPENDING, pm(set), sigsetsize) }
}

/// # Safety
/// The memory of a new alternate stack must stay usable for as long as
/// handlers may run on it.
pub unsafe fn sigaltstack(ss: Option<&StackT>, old: Option<&mut StackT>) -> isize {
    // SAFETY: the caller vouches for the stack memory.
    unsafe { syscall2(nr::SIGALTSTACK, opt(ss), opt_mut(old)) }
}

pub fn tkill(tid: i32, sig: u32) -> isize {
    // SAFETY: no pointers.
    unsafe { syscall2(nr::TKILL, tid as usize, sig as usize) }
}

pub fn tgkill(tgid: i32, tid: i32, sig: u32) -> isize {
    // SAFETY: no pointers.
    unsafe { syscall3(nr::TGKILL, tgid as usize, tid as usize, sig as usize) }
}

pub fn poll(fds: &mut [PollFd], timeout_ms: i32) -> isize {
    // SAFETY: see above.
    unsafe { syscall3(nr::POLL, pm(fds), fds.len(), timeout_ms as usize) }
}

pub fn setpgid(pid: i32, pgid: i32) -> isize {
    // SAFETY: no pointers.
    unsafe { syscall2(nr::SETPGID, pid as usize, pgid as usize) }
}

pub fn getpgid(pid: i32) -> isize {
    // SAFETY: no pointers.
    unsafe { syscall1(nr::GETPGID, pid as usize) }
}

pub fn getpgrp() -> isize {
    // SAFETY: no arguments.
    unsafe { syscall0(nr::GETPGRP) }
}

pub fn setsid() -> isize {
    // SAFETY: no arguments.
    unsafe { syscall0(nr::SETSID) }
}

pub fn getsid(pid: i32) -> isize {
    // SAFETY: no pointers.
    unsafe { syscall1(nr::GETSID, pid as usize) }
}
