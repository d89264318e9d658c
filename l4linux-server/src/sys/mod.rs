//! System-call dispatch by i386 number. Arguments arrive in ebx, ecx, edx,
//! esi, edi, ebp; the result goes back in eax (a negative errno on
//! failure). Anything not listed here is `-ENOSYS`, logged once per number.

mod fs;
mod io;
mod memory;
mod misc;
mod process;
mod signal;
mod time;

pub use misc::default_rlimits;

use crate::platform::{Platform, Regs};
use crate::proc::Pid;
use crate::system::{Linux, Sys};

/// Return value for a successful call.
pub fn ok(v: u32) -> Sys {
    Sys::Ret(v)
}

impl<P: Platform> Linux<P> {
    pub(crate) fn dispatch(&mut self, pid: Pid, r: &mut Regs) -> Sys {
        let (a, b, c, d, e, f) = (r.ebx, r.ecx, r.edx, r.esi, r.edi, r.ebp);
        match r.eax {
            // processes
            1 | 252 => self.sys_exit(pid, a, r.eax == 252),
            2 => self.fork(pid, r, crate::linux::sig::SIGCHLD, 0, 0, 0, 0),
            190 => self.fork(pid, r, crate::linux::clone::CLONE_VM | crate::linux::clone::CLONE_VFORK | crate::linux::sig::SIGCHLD, 0, 0, 0, 0),
            120 => self.fork(pid, r, a, b, d, c, e),
            11 => self.sys_execve(pid, a, b, c),
            7 => self.sys_wait4(pid, a as i32, b, c | crate::linux::wait::WEXITED, 0),
            114 => self.sys_wait4(pid, a as i32, b, c | crate::linux::wait::WEXITED, d),
            284 => self.sys_waitid(pid, a, b, c, d),
            20 => ok(pid),
            224 => ok(pid),
            64 => ok(self.proc(pid).ppid),
            199 | 24 => ok(self.proc(pid).uid),
            201 | 49 => ok(self.proc(pid).euid),
            200 | 47 => ok(self.proc(pid).gid),
            202 | 50 => ok(self.proc(pid).egid),
            213 | 23 => self.sys_setuid(pid, a),
            214 | 46 => self.sys_setgid(pid, a),
            209 | 165 => self.sys_getresid(pid, a, b, c, true),
            211 | 171 => self.sys_getresid(pid, a, b, c, false),
            205 | 80 => self.sys_getgroups(pid, a, b),
            206 | 81 => self.sys_setgroups(pid, a),
            57 => self.sys_setpgid(pid, a, b),
            132 => self.sys_getpgid(pid, a),
            65 => self.sys_getpgid(pid, 0),
            66 => self.sys_setsid(pid),
            147 => self.sys_getsid(pid, a),
            258 => {
                self.proc_mut(pid).clear_tid = a;
                ok(pid)
            }
            311 => {
                if b != 12 {
                    return crate::system::err(crate::errno::EINVAL);
                }
                ok(0)
            }
            // memory
            45 => self.sys_brk(pid, a),
            192 => self.sys_mmap(pid, a, b, c, d, e, f as u64 * 4096),
            90 => self.sys_old_mmap(pid, a),
            91 => self.sys_munmap(pid, a, b),
            125 => self.sys_mprotect(pid, a, b, c),
            219 => self.sys_madvise(pid, a, b, c),
            // files
            3 => self.sys_read(pid, a as i32, b, c),
            4 => self.sys_write(pid, a as i32, b, c),
            145 => self.sys_readv(pid, a as i32, b, c),
            146 => self.sys_writev(pid, a as i32, b, c),
            180 => self.sys_pread(pid, a as i32, b, c, d as u64 | (e as u64) << 32),
            181 => self.sys_pwrite(pid, a as i32, b, c, d as u64 | (e as u64) << 32),
            5 => self.sys_openat(pid, crate::linux::fcntl::AT_FDCWD, a, b, c),
            8 => self.sys_openat(pid, crate::linux::fcntl::AT_FDCWD, a, 0o1101, b),
            295 => self.sys_openat(pid, a as i32, b, c, d),
            6 => self.sys_close(pid, a as i32),
            19 => self.sys_lseek(pid, a as i32, b as i32 as i64, c),
            140 => self.sys_llseek(pid, a as i32, b, c, d, e),
            195 => self.sys_stat(pid, crate::linux::fcntl::AT_FDCWD, a, b, 0),
            196 => self.sys_stat(pid, crate::linux::fcntl::AT_FDCWD, a, b, crate::linux::fcntl::AT_SYMLINK_NOFOLLOW),
            197 => self.sys_fstat(pid, a as i32, b),
            300 => self.sys_stat(pid, a as i32, b, c, d),
            383 => self.sys_statx(pid, a as i32, b, c, d, e),
            220 => self.sys_getdents64(pid, a as i32, b, c),
            183 => self.sys_getcwd(pid, a, b),
            12 => self.sys_chdir(pid, a),
            133 => self.sys_fchdir(pid, a as i32),
            33 => self.sys_faccessat(pid, crate::linux::fcntl::AT_FDCWD, a, b, 0),
            307 => self.sys_faccessat(pid, a as i32, b, c, 0),
            439 => self.sys_faccessat(pid, a as i32, b, c, d),
            85 => self.sys_readlinkat(pid, crate::linux::fcntl::AT_FDCWD, a, b, c),
            305 => self.sys_readlinkat(pid, a as i32, b, c, d),
            39 => self.sys_mkdirat(pid, crate::linux::fcntl::AT_FDCWD, a, b),
            296 => self.sys_mkdirat(pid, a as i32, b, c),
            14 => self.sys_mknodat(pid, crate::linux::fcntl::AT_FDCWD, a, b, c),
            297 => self.sys_mknodat(pid, a as i32, b, c, d),
            40 => self.sys_unlinkat(pid, crate::linux::fcntl::AT_FDCWD, a, crate::linux::fcntl::AT_REMOVEDIR),
            10 => self.sys_unlinkat(pid, crate::linux::fcntl::AT_FDCWD, a, 0),
            301 => self.sys_unlinkat(pid, a as i32, b, c),
            38 => self.sys_renameat(pid, crate::linux::fcntl::AT_FDCWD, a, crate::linux::fcntl::AT_FDCWD, b, 0),
            302 => self.sys_renameat(pid, a as i32, b, c as i32, d, 0),
            353 => self.sys_renameat(pid, a as i32, b, c as i32, d, e),
            9 => self.sys_linkat(pid, crate::linux::fcntl::AT_FDCWD, a, crate::linux::fcntl::AT_FDCWD, b, 0),
            303 => self.sys_linkat(pid, a as i32, b, c as i32, d, e),
            83 => self.sys_symlinkat(pid, a, crate::linux::fcntl::AT_FDCWD, b),
            304 => self.sys_symlinkat(pid, a, b as i32, c),
            92 => self.sys_truncate(pid, a, b as u64),
            193 => self.sys_truncate(pid, a, b as u64 | (c as u64) << 32),
            93 => self.sys_ftruncate(pid, a as i32, b as u64),
            194 => self.sys_ftruncate(pid, a as i32, b as u64 | (c as u64) << 32),
            15 => self.sys_fchmodat(pid, crate::linux::fcntl::AT_FDCWD, a, b),
            94 => self.sys_fchmod(pid, a as i32, b),
            306 => self.sys_fchmodat(pid, a as i32, b, c),
            182 | 212 => self.sys_fchownat(pid, crate::linux::fcntl::AT_FDCWD, a, b, c, 0),
            16 | 198 => self.sys_fchownat(pid, crate::linux::fcntl::AT_FDCWD, a, b, c, crate::linux::fcntl::AT_SYMLINK_NOFOLLOW),
            95 | 207 => self.sys_fchown(pid, a as i32, b, c),
            298 => self.sys_fchownat(pid, a as i32, b, c, d, e),
            320 => self.sys_utimensat(pid, a as i32, b, c, d, false),
            412 => self.sys_utimensat(pid, a as i32, b, c, d, true),
            30 => self.sys_utime(pid, a, b),
            271 => self.sys_utimes(pid, crate::linux::fcntl::AT_FDCWD, a, b),
            41 => self.sys_dup(pid, a as i32),
            63 => self.sys_dup3(pid, a as i32, b as i32, 0, true),
            330 => self.sys_dup3(pid, a as i32, b as i32, c, false),
            55 | 221 => self.sys_fcntl(pid, a as i32, b, c),
            54 => self.sys_ioctl(pid, a as i32, b, c),
            60 => self.sys_umask(pid, a),
            42 => self.sys_pipe2(pid, a, 0),
            331 => self.sys_pipe2(pid, a, b),
            118 | 148 => self.sys_fsync(pid, a as i32),
            36 => ok(0), // sync: tmpfs has nothing to write back
            187 => self.sys_sendfile(pid, a as i32, b as i32, c, d, false),
            239 => self.sys_sendfile(pid, a as i32, b as i32, c, d, true),
            168 => self.sys_poll(pid, a, b, c as i32 as i64, false),
            309 | 414 => self.sys_ppoll(pid, a, b, c, d, e, r.eax == 414),
            142 => self.sys_select(pid, a as i32, b, c, d, e),
            308 | 413 => self.sys_pselect6(pid, a as i32, b, c, d, e, f, r.eax == 413),
            // time
            13 => self.sys_time(pid, a),
            78 => self.sys_gettimeofday(pid, a, b),
            265 => self.sys_clock_gettime(pid, a, b, false),
            403 => self.sys_clock_gettime(pid, a, b, true),
            266 => self.sys_clock_getres(pid, a, b, false),
            406 => self.sys_clock_getres(pid, a, b, true),
            162 => self.sys_nanosleep(pid, 1, 0, a, b, false),
            267 => self.sys_nanosleep(pid, a, b, c, d, false),
            407 => self.sys_nanosleep(pid, a, b, c, d, true),
            27 => self.sys_alarm(pid, a),
            104 => self.sys_setitimer(pid, a, b, c),
            105 => self.sys_getitimer(pid, a, b),
            43 => self.sys_times(pid, a),
            // signals
            37 => self.sys_kill(pid, a as i32, b),
            238 => self.sys_tgkill(pid, None, a, b),
            270 => self.sys_tgkill(pid, Some(a), b, c),
            174 => self.sys_rt_sigaction(pid, a, b, c, d),
            67 => self.sys_sigaction(pid, a, b, c),
            175 => self.sys_rt_sigprocmask(pid, a, b, c, d),
            126 => self.sys_sigprocmask(pid, a, b, c),
            176 => self.sys_rt_sigpending(pid, a, b),
            73 => self.sys_rt_sigpending(pid, a, 4),
            179 => self.sys_rt_sigsuspend(pid, a, b),
            72 => self.sys_sigsuspend(pid, c),
            29 => crate::system::Sys::Block(crate::proc::Wait::Signal),
            186 => self.sys_sigaltstack(pid, a, b, r.esp),
            119 => self.sigreturn(pid, r, false),
            173 => self.sigreturn(pid, r, true),
            // identity and limits
            122 => self.sys_uname(pid, a),
            191 | 76 => self.sys_getrlimit(pid, a, b),
            75 => self.sys_setrlimit(pid, a, b),
            340 => self.sys_prlimit64(pid, a, b, c, d),
            355 => self.sys_getrandom(pid, a, b, c),
            158 => ok(0),
            243 => self.sys_set_thread_area(pid, a),
            244 => self.sys_get_thread_area(pid, a),
            116 => self.sys_sysinfo(pid, a),
            77 => self.sys_getrusage(pid, a, b),
            74 => self.sys_sethostname(pid, a, b),
            240 => self.sys_futex(pid, a, b, c, d, false),
            422 => self.sys_futex(pid, a, b, c, d, true),
            172 => self.sys_prctl(pid, a, b),
            nr => self.enosys(nr),
        }
    }
}
