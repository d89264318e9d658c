//! Process system calls: exit, execve, the wait family, credentials,
//! process groups and sessions.

use super::ok;
use crate::errno::*;
use crate::linux::wait::*;
use crate::platform::Platform;
use crate::proc::*;
use crate::system::*;
use alloc::vec::Vec;

/// Longest argument or environment string and most of them.
const MAX_ARG_STRLEN: usize = 128 * 1024;
const MAX_ARGS: usize = 0x7FFF;

impl<P: Platform> Linux<P> {
    pub(super) fn sys_exit(&mut self, pid: Pid, code: u32, _group: bool) -> Sys {
        self.exit_process(pid, exited(code));
        Sys::NoReply
    }

    /// A NULL-terminated array of string pointers.
    fn read_strings(&mut self, pid: Pid, mut at: u32) -> Result<Vec<Vec<u8>>, Errno> {
        let mut v = Vec::new();
        if at == 0 {
            return Ok(v);
        }
        let mut total = 0usize;
        loop {
            let p = self.read_u32(pid, at)?;
            if p == 0 {
                return Ok(v);
            }
            let s = self.read_cstr(pid, p, MAX_ARG_STRLEN).map_err(|e| if e == ENAMETOOLONG { E2BIG } else { e })?;
            total += s.len() + 1 + 4;
            if v.len() >= MAX_ARGS || total > crate::elf::ARG_MAX {
                return Err(E2BIG);
            }
            v.push(s);
            at = at.checked_add(4).ok_or(EFAULT)?;
        }
    }

    pub(super) fn sys_execve(&mut self, pid: Pid, path: u32, argv: u32, envp: u32) -> Sys {
        let r = (|| {
            let path = self.read_cstr(pid, path, 4095)?;
            let argv = self.read_strings(pid, argv)?;
            let envp = self.read_strings(pid, envp)?;
            if path.is_empty() {
                return Err(ENOENT);
            }
            self.exec(pid, &path, argv, envp, 0)
        })();
        match r {
            // the old task is gone; the new one already runs
            Ok(()) => Sys::NoReply,
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_wait4(&mut self, pid: Pid, which: i32, status: u32, options: u32, rusage: u32) -> Sys {
        if options & !(WNOHANG | WUNTRACED | WCONTINUED | WEXITED | WNOTHREAD | WALL | WCLONE) != 0 {
            return err(EINVAL);
        }
        match self.wait_child(pid, which, options) {
            Err(e) => err(e),
            Ok(Some((child, st))) => {
                let st = if st == 0xFFFF { 0xFFFF } else { st };
                if status != 0 && self.write_u32(pid, status, st).is_err() {
                    return err(EFAULT);
                }
                if rusage != 0 && self.copy_out(pid, rusage, &[0u8; 72]).is_err() {
                    return err(EFAULT);
                }
                ok(child)
            }
            Ok(None) if options & WNOHANG != 0 => ok(0),
            Ok(None) => Sys::Block(Wait::Child),
        }
    }

    pub(super) fn sys_waitid(&mut self, pid: Pid, idtype: u32, id: u32, infop: u32, options: u32) -> Sys {
        let which = match idtype {
            0 => -1,                 // P_ALL
            1 if (id as i32) > 0 => id as i32, // P_PID
            1 => return err(EINVAL),
            2 if id == 0 => 0,       // P_PGID 0: the caller's group (Linux 5.4)
            2 if (id as i32) > 0 => -(id as i32),
            _ => return err(EINVAL),
        };
        if options & (WEXITED | WUNTRACED | WCONTINUED) == 0 {
            return err(EINVAL);
        }
        match self.wait_child(pid, which, options) {
            Err(e) => err(e),
            Ok(Some((child, st))) => {
                if infop != 0 {
                    let (code, value) = if st == 0xFFFF {
                        (6, crate::linux::sig::SIGCONT) // CLD_CONTINUED
                    } else if st & 0xFF == 0x7F {
                        (5, (st >> 8) & 0xFF) // CLD_STOPPED
                    } else if st & 0x7F == 0 {
                        (1, (st >> 8) & 0xFF) // CLD_EXITED
                    } else {
                        (2, st & 0x7F) // CLD_KILLED
                    };
                    let mut info = crate::linux::Out::with_size(128);
                    info.put_u32(0, crate::linux::sig::SIGCHLD).put_u32(8, code).put_u32(12, child).put_u32(16, 0).put_u32(20, value);
                    if self.copy_out(pid, infop, &info.buf).is_err() {
                        return err(EFAULT);
                    }
                }
                ok(0)
            }
            Ok(None) if options & WNOHANG != 0 => {
                if infop != 0 && self.copy_out(pid, infop, &[0u8; 128]).is_err() {
                    return err(EFAULT);
                }
                ok(0)
            }
            Ok(None) => Sys::Block(Wait::Child),
        }
    }

    pub(super) fn sys_setuid(&mut self, pid: Pid, uid: u32) -> Sys {
        let p = self.proc_mut(pid);
        if p.euid != 0 && uid != p.uid {
            return err(EPERM);
        }
        p.uid = uid;
        p.euid = uid;
        ok(0)
    }

    pub(super) fn sys_setgid(&mut self, pid: Pid, gid: u32) -> Sys {
        let p = self.proc_mut(pid);
        if p.euid != 0 && gid != p.gid {
            return err(EPERM);
        }
        p.gid = gid;
        p.egid = gid;
        ok(0)
    }

    pub(super) fn sys_getresid(&mut self, pid: Pid, r: u32, e: u32, s: u32, user: bool) -> Sys {
        let p = self.proc(pid);
        let (real, eff) = if user { (p.uid, p.euid) } else { (p.gid, p.egid) };
        for (addr, v) in [(r, real), (e, eff), (s, eff)] {
            if self.write_u32(pid, addr, v).is_err() {
                return err(EFAULT);
            }
        }
        ok(0)
    }

    pub(super) fn sys_getgroups(&mut self, pid: Pid, size: u32, list: u32) -> Sys {
        // one supplementary group: the primary one
        if size == 0 {
            return ok(1);
        }
        if (size as i32) < 1 {
            return err(EINVAL);
        }
        let gid = self.proc(pid).gid;
        if self.write_u32(pid, list, gid).is_err() {
            return err(EFAULT);
        }
        ok(1)
    }

    pub(super) fn sys_setgroups(&mut self, pid: Pid, size: u32) -> Sys {
        if self.proc(pid).euid != 0 {
            return err(EPERM);
        }
        if size > 65536 {
            return err(EINVAL);
        }
        ok(0)
    }

    pub(super) fn sys_setpgid(&mut self, pid: Pid, target: u32, pgid: u32) -> Sys {
        let target = if target == 0 { pid } else { target };
        if (pgid as i32) < 0 {
            return err(EINVAL);
        }
        let Some(t) = self.procs.get(&target) else { return err(ESRCH) };
        if target != pid && t.ppid != pid {
            return err(ESRCH);
        }
        let my_sid = self.proc(pid).sid;
        if t.sid != my_sid {
            return err(EPERM);
        }
        if target != pid && t.execd {
            return err(EACCES);
        }
        if t.sid == target {
            return err(EPERM); // a session leader cannot move
        }
        let pgid = if pgid == 0 { target } else { pgid };
        if pgid != target && !self.procs.values().any(|p| p.pgid == pgid && p.sid == my_sid) {
            return err(EPERM);
        }
        self.proc_mut(target).pgid = pgid;
        ok(0)
    }

    pub(super) fn sys_getpgid(&mut self, pid: Pid, target: u32) -> Sys {
        let target = if target == 0 { pid } else { target };
        match self.procs.get(&target) {
            Some(p) => ok(p.pgid),
            None => err(ESRCH),
        }
    }

    pub(super) fn sys_setsid(&mut self, pid: Pid) -> Sys {
        // a process group leader cannot start a session
        if self.proc(pid).pgid == pid {
            return err(EPERM);
        }
        let p = self.proc_mut(pid);
        p.sid = pid;
        p.pgid = pid;
        ok(pid)
    }

    pub(super) fn sys_getsid(&mut self, pid: Pid, target: u32) -> Sys {
        let target = if target == 0 { pid } else { target };
        match self.procs.get(&target) {
            Some(p) => ok(p.sid),
            None => err(ESRCH),
        }
    }
}
