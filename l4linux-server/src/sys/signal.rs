//! Signal system calls: kill and friends, sigaction, masks, pending sets,
//! sigsuspend, sigaltstack. Delivery itself is in `signal.rs`.

use super::ok;
use crate::errno::*;
use crate::linux::sig::*;
use crate::platform::Platform;
use crate::proc::*;
use crate::system::*;

const SIG_BLOCK: u32 = 0;
const SIG_UNBLOCK: u32 = 1;
const SIG_SETMASK: u32 = 2;
const UNBLOCKABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);

impl<P: Platform> Linux<P> {
    pub(super) fn sys_kill(&mut self, pid: Pid, target: i32, sig: u32) -> Sys {
        if sig > NSIG {
            return err(EINVAL);
        }
        let info = SigInfo::from(SI_USER, pid, self.proc(pid).uid);
        let found = match target {
            t if t > 0 => {
                let t = t as u32;
                if !self.procs.contains_key(&t) {
                    false
                } else {
                    self.post_signal(t, sig, info);
                    true
                }
            }
            0 => {
                let pg = self.proc(pid).pgid;
                self.signal_group_info(pg, sig, info)
            }
            -1 => {
                // everything but init and the caller
                let all: alloc::vec::Vec<Pid> =
                    self.procs.values().filter(|p| p.pid != self.init && p.pid != pid && !p.is_zombie()).map(|p| p.pid).collect();
                for &p in &all {
                    self.post_signal(p, sig, info);
                }
                !all.is_empty()
            }
            t if t == i32::MIN => false,
            t => self.signal_group_info(t.unsigned_abs(), sig, info),
        };
        if found {
            ok(0)
        } else {
            err(ESRCH)
        }
    }

    /// tkill and tgkill (`tgid` given): processes are single-threaded, so
    /// the thread id is the pid.
    pub(super) fn sys_tgkill(&mut self, pid: Pid, tgid: Option<u32>, tid: u32, sig: u32) -> Sys {
        if (tid as i32) <= 0 || tgid.is_some_and(|g| (g as i32) <= 0) || sig > NSIG {
            return err(EINVAL);
        }
        if tgid.is_some_and(|g| g != tid) || !self.procs.contains_key(&tid) {
            return err(ESRCH);
        }
        let info = SigInfo::from(SI_TKILL, pid, self.proc(pid).uid);
        self.post_signal(tid, sig, info);
        ok(0)
    }

    fn read_sigset(&mut self, pid: Pid, addr: u32, size: u32) -> Result<u64, Errno> {
        let mut b = [0u8; 8];
        self.copy_in(pid, addr, &mut b[..size as usize])?;
        Ok(u64::from_le_bytes(b))
    }

    fn write_sigset(&mut self, pid: Pid, addr: u32, set: u64, size: u32) -> Result<(), Errno> {
        self.copy_out(pid, addr, &set.to_le_bytes()[..size as usize])
    }

    pub(super) fn sys_rt_sigaction(&mut self, pid: Pid, sig: u32, act: u32, old: u32, size: u32) -> Sys {
        if size != 8 {
            return err(EINVAL);
        }
        self.sigaction_common(pid, sig, act, old, true)
    }

    pub(super) fn sys_sigaction(&mut self, pid: Pid, sig: u32, act: u32, old: u32) -> Sys {
        self.sigaction_common(pid, sig, act, old, false)
    }

    /// `rt`: kernel `struct sigaction` (handler, flags, restorer, mask[2]);
    /// otherwise the old layout (handler, mask, flags, restorer).
    fn sigaction_common(&mut self, pid: Pid, sig: u32, act: u32, old: u32, rt: bool) -> Sys {
        if sig == 0 || sig > NSIG {
            return err(EINVAL);
        }
        let new = if act != 0 {
            let mut b = [0u8; 20];
            let n = if rt { 20 } else { 16 };
            if self.copy_in(pid, act, &mut b[..n]).is_err() {
                return err(EFAULT);
            }
            let w = |i| crate::linux::u32_at(&b, i);
            let a = if rt {
                SigAction { handler: w(0), flags: w(4), restorer: w(8), mask: w(12) as u64 | (w(16) as u64) << 32 }
            } else {
                SigAction { handler: w(0), mask: w(4) as u64, flags: w(8), restorer: w(12) }
            };
            if sig == SIGKILL || sig == SIGSTOP {
                return err(EINVAL);
            }
            Some(a)
        } else {
            None
        };
        let prev = self.proc(pid).sig.actions[sig as usize - 1];
        if old != 0 {
            let mut o = crate::linux::Out::with_size(20);
            if rt {
                o.put_u32(0, prev.handler).put_u32(4, prev.flags).put_u32(8, prev.restorer).put_u64(12, prev.mask);
            } else {
                o.put_u32(0, prev.handler).put_u32(4, prev.mask as u32).put_u32(8, prev.flags).put_u32(12, prev.restorer);
            }
            let n = if rt { 20 } else { 16 };
            if self.copy_out(pid, old, &o.buf[..n]).is_err() {
                return err(EFAULT);
            }
        }
        if let Some(mut a) = new {
            a.mask &= !UNBLOCKABLE;
            // flags the kernel does not know are dropped (UAPI_SA_FLAGS)
            a.flags &= SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | 0x800 | SA_ONSTACK | SA_RESTART | SA_NODEFER | SA_RESETHAND | SA_RESTORER;
            let p = self.proc_mut(pid);
            p.sig.actions[sig as usize - 1] = a;
            // setting a signal to be ignored discards it when pending
            let ignored = a.handler == SIG_IGN || (a.handler == SIG_DFL && matches!(sig, SIGCHLD | SIGCONT | SIGURG | SIGWINCH));
            if ignored {
                p.sig.pending &= !bit(sig);
            }
            if sig == SIGCHLD && a.handler == SIG_IGN {
                // zombies of a parent that ignores SIGCHLD are reaped
                let zombies: alloc::vec::Vec<Pid> =
                    self.procs.values().filter(|c| c.ppid == pid && c.is_zombie()).map(|c| c.pid).collect();
                for z in zombies {
                    self.procs.remove(&z);
                }
            }
        }
        ok(0)
    }

    fn set_mask(&mut self, pid: Pid, how: u32, set: Option<u64>) -> Result<u64, Errno> {
        let p = self.proc_mut(pid);
        let old = p.sig.blocked;
        if let Some(s) = set {
            p.sig.blocked = match how {
                SIG_BLOCK => old | s,
                SIG_UNBLOCK => old & !s,
                SIG_SETMASK => s,
                _ => return Err(EINVAL),
            } & !UNBLOCKABLE;
        }
        Ok(old)
    }

    pub(super) fn sys_rt_sigprocmask(&mut self, pid: Pid, how: u32, set: u32, old: u32, size: u32) -> Sys {
        if size != 8 {
            return err(EINVAL);
        }
        self.sigprocmask_common(pid, how, set, old, 8)
    }

    pub(super) fn sys_sigprocmask(&mut self, pid: Pid, how: u32, set: u32, old: u32) -> Sys {
        self.sigprocmask_common(pid, how, set, old, 4)
    }

    fn sigprocmask_common(&mut self, pid: Pid, how: u32, set: u32, old: u32, size: u32) -> Sys {
        let new = if set != 0 {
            if how > SIG_SETMASK {
                return err(EINVAL);
            }
            match self.read_sigset(pid, set, size) {
                Ok(s) => {
                    // the old call only changes the first word
                    if size == 4 {
                        let hi = self.proc(pid).sig.blocked & !0xFFFF_FFFF;
                        Some(if how == SIG_SETMASK { s | hi } else { s })
                    } else {
                        Some(s)
                    }
                }
                Err(e) => return err(e),
            }
        } else {
            None
        };
        let prev = self.proc(pid).sig.blocked;
        if old != 0 && self.write_sigset(pid, old, prev, size).is_err() {
            return err(EFAULT);
        }
        match self.set_mask(pid, how, new) {
            Ok(_) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_rt_sigpending(&mut self, pid: Pid, set: u32, size: u32) -> Sys {
        if size > 8 {
            return err(EINVAL);
        }
        let p = self.proc(pid);
        let pending = p.sig.pending & p.sig.blocked;
        match self.write_sigset(pid, set, pending, size) {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_rt_sigsuspend(&mut self, pid: Pid, set: u32, size: u32) -> Sys {
        if size != 8 {
            return err(EINVAL);
        }
        match self.read_sigset(pid, set, 8) {
            Ok(s) => self.suspend(pid, s),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_sigsuspend(&mut self, pid: Pid, mask: u32) -> Sys {
        let hi = self.proc(pid).sig.blocked & !0xFFFF_FFFF;
        self.suspend(pid, mask as u64 | hi)
    }

    /// Wait for a signal with `mask` blocked; the old mask comes back when
    /// the handler returns (it is saved in the signal frame).
    fn suspend(&mut self, pid: Pid, mask: u64) -> Sys {
        let p = self.proc_mut(pid);
        if p.saved_mask.is_none() {
            p.saved_mask = Some(p.sig.blocked);
        }
        p.sig.blocked = mask & !UNBLOCKABLE;
        Sys::Block(Wait::Signal)
    }

    /// sigaltstack; `esp` is the caller's stack pointer (SS_ONSTACK is
    /// reported, and the stack cannot be changed, while it runs on it).
    pub(super) fn sys_sigaltstack(&mut self, pid: Pid, ss: u32, old: u32, esp: u32) -> Sys {
        use crate::signal::{on_altstack, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK};
        const MINSIGSTKSZ: u32 = 2048;
        let cur = self.proc(pid).sig.altstack;
        let on = on_altstack(cur, esp);
        let mut new = None;
        if ss != 0 {
            let mut b = [0u8; 12];
            if self.copy_in(pid, ss, &mut b).is_err() {
                return err(EFAULT);
            }
            let (sp, flags, size) = (crate::linux::u32_at(&b, 0), crate::linux::u32_at(&b, 4), crate::linux::u32_at(&b, 8));
            if on {
                return err(EPERM);
            }
            let mode = flags & !SS_AUTODISARM;
            if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
                return err(EINVAL);
            }
            new = Some(if mode == SS_DISABLE {
                (0, 0, flags)
            } else if size < MINSIGSTKSZ {
                return err(ENOMEM);
            } else {
                (sp, size, flags)
            });
        }
        if old != 0 {
            // as Linux computes it: disabled, on it, or neither
            let state = if cur.1 == 0 {
                SS_DISABLE
            } else if on {
                SS_ONSTACK
            } else {
                0
            };
            let flags = state | (cur.2 & SS_AUTODISARM);
            let mut o = crate::linux::Out::with_size(12);
            o.put_u32(0, cur.0).put_u32(4, flags).put_u32(8, cur.1);
            if self.copy_out(pid, old, &o.buf).is_err() {
                return err(EFAULT);
            }
        }
        if let Some(n) = new {
            self.proc_mut(pid).sig.altstack = n;
        }
        ok(0)
    }
}
