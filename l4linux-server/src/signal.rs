//! Signals: sending, default actions, delivery into a handler with an i386
//! signal frame laid out exactly as Linux builds it, and sigreturn.

use crate::errno::*;
use crate::linux::sig::*;
use crate::linux::Out;
use crate::platform::{Platform, Regs};
use crate::proc::*;
use crate::system::*;

/// `struct sigcontext` (i386): 88 bytes.
const SC_SIZE: usize = 88;
/// `struct _fpstate_32`: reserved in the classic frame, left zero (the
/// server does not see the process's FPU registers).
const FPSTATE_SIZE: usize = 624;
/// Classic frame: pretcode, sig, sigcontext, fpstate, extramask, retcode.
const SIGFRAME_SIZE: usize = 4 + 4 + SC_SIZE + FPSTATE_SIZE + 4 + 8;
/// `siginfo_t`.
const SIGINFO_SIZE: usize = 128;
/// `struct ucontext_ia32`: flags, link, stack (12), sigcontext, sigmask (8).
const UC_SIZE: usize = 4 + 4 + 12 + SC_SIZE + 8;
/// RT frame: pretcode, sig, pinfo, puc, siginfo, ucontext, retcode.
const RT_SIGFRAME_SIZE: usize = 16 + SIGINFO_SIZE + UC_SIZE + 8;

const EFLAGS_USER: u32 = l4_abi::msg::exc::EFLAGS_USER;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Default {
    Terminate,
    Core,
    Stop,
    Ignore,
}

fn default_action(sig: u32) -> Default {
    match sig {
        SIGCHLD | SIGCONT | SIGURG | SIGWINCH => Default::Ignore,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => Default::Stop,
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ | SIGSYS => Default::Core,
        _ => Default::Terminate,
    }
}

const STOP_SIGNALS: u64 = bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU);

/// Signals a fault raises: Linux delivers them before any other.
const SYNCHRONOUS: u64 = bit(SIGSEGV) | bit(SIGBUS) | bit(SIGILL) | bit(SIGTRAP) | bit(SIGFPE) | bit(SIGSYS);

/// The signal Linux delivers first out of `ready` (not empty): a
/// synchronous one if there is any, else the lowest number.
pub fn next_signal(ready: u64) -> u32 {
    let sync = ready & SYNCHRONOUS;
    lowest(if sync != 0 { sync } else { ready })
}

/// SS_ONSTACK, SS_DISABLE and SS_AUTODISARM (sigaltstack flags).
pub const SS_ONSTACK: u32 = 1;
pub const SS_DISABLE: u32 = 2;
pub const SS_AUTODISARM: u32 = 0x8000_0000;

/// Is `sp` on the alternate stack `(base, size, flags)` (size 0: none)?
/// As in Linux, never with SS_AUTODISARM.
pub fn on_altstack(alt: (u32, u32, u32), sp: u32) -> bool {
    alt.2 & SS_AUTODISARM == 0 && sp.wrapping_sub(alt.0) < alt.1
}

/// The sigcontext image of `regs` with the blocked mask's low word and
/// the last fault (trap number, error code, address).
fn sigcontext(out: &mut Out, at: usize, r: &Regs, oldmask: u32, fault: (u32, u32, u32)) {
    let (trapno, errcode, cr2) = fault;
    use l4_abi::layout::sel;
    out.put_u32(at, sel::USER_DS as u32) // gs (selector values, informational)
        .put_u32(at + 4, 0) // fs
        .put_u32(at + 8, sel::USER_DS as u32) // es
        .put_u32(at + 12, sel::USER_DS as u32) // ds
        .put_u32(at + 16, r.edi)
        .put_u32(at + 20, r.esi)
        .put_u32(at + 24, r.ebp)
        .put_u32(at + 28, r.esp)
        .put_u32(at + 32, r.ebx)
        .put_u32(at + 36, r.edx)
        .put_u32(at + 40, r.ecx)
        .put_u32(at + 44, r.eax)
        .put_u32(at + 48, trapno)
        .put_u32(at + 52, errcode)
        .put_u32(at + 56, r.eip)
        .put_u32(at + 60, sel::USER_CS as u32)
        .put_u32(at + 64, r.eflags)
        .put_u32(at + 68, r.esp) // sp_at_signal
        .put_u32(at + 72, sel::USER_DS as u32)
        .put_u32(at + 76, 0) // fpstate: none
        .put_u32(at + 80, oldmask)
        .put_u32(at + 84, cr2);
}

fn restore_sigcontext(b: &[u8], at: usize, r: &mut Regs) {
    let w = |o: usize| crate::linux::u32_at(b, at + o);
    r.edi = w(16);
    r.esi = w(20);
    r.ebp = w(24);
    r.esp = w(28);
    r.ebx = w(32);
    r.edx = w(36);
    r.ecx = w(40);
    r.eax = w(44);
    r.eip = w(56);
    r.eflags = (r.eflags & !EFLAGS_USER) | (w(64) & EFLAGS_USER);
}

impl<P: Platform> Linux<P> {
    /// Post signal `sig` from the kernel itself (SI_KERNEL): timers, the
    /// terminal, job control.
    pub fn send_signal(&mut self, pid: Pid, sig: u32) {
        self.post_signal(pid, sig, SigInfo::KERNEL);
    }

    /// Post signal `sig` to process `pid` with what a SA_SIGINFO handler
    /// learns about it (every signal source ends here).
    pub fn post_signal(&mut self, pid: Pid, sig: u32, info: SigInfo) {
        let Some(p) = self.procs.get_mut(&pid) else { return };
        if p.is_zombie() || sig == 0 || sig > NSIG {
            return;
        }
        if self.strace {
            self.log_fmt(format_args!("[{pid}] signal {sig} (code {})", info.code));
        }
        if sig == SIGKILL {
            self.exit_process(pid, killed(SIGKILL));
            return;
        }
        let p = self.procs.get_mut(&pid).unwrap();
        if STOP_SIGNALS & bit(sig) != 0 {
            p.sig.pending &= !bit(SIGCONT);
        }
        if sig == SIGCONT {
            p.sig.pending &= !STOP_SIGNALS;
            if let State::Stopped(_) = p.state {
                // it gets the reply it was about to get when it stopped
                // once the signal that continued it has been handled
                p.state = State::Running;
                p.wait_event = Some(0xFFFF); // WIFCONTINUED
                let (ppid, regs) = (p.ppid, p.regs);
                self.continued.push((pid, regs));
                self.child_changed(ppid, pid, CLD_CONTINUED, SIGCONT);
            }
        }
        let p = self.procs.get_mut(&pid).unwrap();
        let act = p.sig.actions[sig as usize - 1];
        let ignored = act.handler == SIG_IGN || (act.handler == SIG_DFL && default_action(sig) == Default::Ignore);
        if ignored && p.sig.blocked & bit(sig) == 0 {
            return;
        }
        if p.sig.pending & bit(sig) == 0 {
            p.sig.info[sig as usize - 1] = info;
        }
        p.sig.pending |= bit(sig);
        if p.deliverable() == 0 {
            return;
        }
        match p.state {
            State::Running => {
                let task = p.task;
                if self.serving != Some(pid) && !self.fresh.contains_key(&pid) {
                    self.plat.interrupt(task);
                }
            }
            State::Blocked(Wait::Vfork(_)) => {}
            State::Blocked(_) => {
                let regs = p.regs;
                p.state = State::Running;
                self.interrupted(pid, regs);
            }
            State::Stopped(_) | State::Zombie(_) => {}
        }
    }

    /// A fault or trap the program cannot ignore: signal `sig` with its
    /// siginfo; `fault` is what the sigcontext reports (trap number, error
    /// code, address). Blocked or ignored, it kills the program, as on Linux.
    pub fn force_signal(&mut self, pid: Pid, sig: u32, info: SigInfo, fault: (u32, u32, u32)) {
        let Some(p) = self.procs.get_mut(&pid) else { return };
        if p.is_zombie() {
            return;
        }
        let a = &mut p.sig.actions[sig as usize - 1];
        if p.sig.blocked & bit(sig) != 0 || a.handler == SIG_IGN {
            p.sig.blocked &= !bit(sig);
            a.handler = SIG_DFL;
        }
        p.fault = fault;
        if a.handler == SIG_DFL {
            self.exit_process(pid, killed(sig));
            return;
        }
        p.sig.pending |= bit(sig);
        p.sig.info[sig as usize - 1] = info;
    }

    /// Is process group `pgid` orphaned: does no member have a parent in
    /// another group of the same session (POSIX; Linux's
    /// `will_become_orphaned_pgrp`)?
    pub fn orphaned_group(&self, pgid: Pid) -> bool {
        !self.procs.values().filter(|m| m.pgid == pgid && !m.is_zombie()).any(|m| {
            self.procs.get(&m.ppid).is_some_and(|parent| parent.pgid != pgid && parent.sid == m.sid)
        })
    }

    /// Send `sig` from the kernel to every process of group `pgid`.
    pub fn signal_group(&mut self, pgid: Pid, sig: u32) -> bool {
        self.signal_group_info(pgid, sig, SigInfo::KERNEL)
    }

    pub fn signal_group_info(&mut self, pgid: Pid, sig: u32, info: SigInfo) -> bool {
        let members: alloc::vec::Vec<Pid> =
            self.procs.values().filter(|p| p.pgid == pgid && !p.is_zombie()).map(|p| p.pid).collect();
        for &m in &members {
            self.post_signal(m, sig, info);
        }
        !members.is_empty()
    }

    /// Deliver what is deliverable before `pid` returns to user mode with
    /// `regs`, as Linux does: one signal after the other (synchronous
    /// ones first, then by number), each handler's frame on top of the
    /// previous one, so the last one set up runs first. `Some(true)`: a
    /// handler frame was set up (all registers changed); `Some(false)`:
    /// nothing to do; `None`: the process stopped or died.
    pub(crate) fn deliver_signals(&mut self, pid: Pid, regs: &mut Regs) -> Option<bool> {
        let mut framed = false;
        loop {
            let p = self.procs.get_mut(&pid)?;
            let ready = p.deliverable();
            if ready == 0 {
                return Some(framed);
            }
            let sig = next_signal(ready);
            p.sig.pending &= !bit(sig);
            let info = p.sig.info[sig as usize - 1];
            let act = p.sig.actions[sig as usize - 1];
            if act.handler == SIG_IGN {
                continue;
            }
            if act.handler == SIG_DFL {
                let pgid = p.pgid;
                match default_action(sig) {
                    Default::Ignore => continue,
                    // the terminal's stop signals are discarded for an
                    // orphaned process group (nobody could continue it)
                    Default::Stop if sig != SIGSTOP && self.orphaned_group(pgid) => continue,
                    Default::Stop => {
                        let p = self.procs.get_mut(&pid)?;
                        p.regs = *regs;
                        p.state = State::Stopped(sig);
                        p.wait_event = Some(stopped(sig));
                        let ppid = p.ppid;
                        if self.strace {
                            self.log_fmt(format_args!("[{pid}] stopped by signal {sig}"));
                        }
                        self.child_changed(ppid, pid, CLD_STOPPED, sig);
                        return None;
                    }
                    Default::Terminate | Default::Core => {
                        self.exit_process(pid, killed(sig));
                        return None;
                    }
                }
            }
            match self.setup_frame(pid, sig, act, info, regs) {
                Ok(()) => framed = true,
                Err(_) => {
                    // no room for the frame: the program dies by SIGSEGV
                    self.exit_process(pid, killed(SIGSEGV));
                    return None;
                }
            }
        }
    }

    fn setup_frame(&mut self, pid: Pid, sig: u32, act: SigAction, info: SigInfo, regs: &mut Regs) -> Result<(), Errno> {
        let p = self.proc_mut(pid);
        if let Some(nr) = p.restart.take() {
            // the interrupted call: again after the handler, or EINTR
            p.deadline = 0;
            if -(regs.eax as i32) == ERESTARTSYS && act.flags & SA_RESTART != 0 {
                regs.eax = nr;
                regs.eip = regs.eip.wrapping_sub(2);
            } else {
                regs.eax = (-EINTR) as u32;
            }
        }
        // after sigsuspend the frame keeps the mask from before it
        let oldmask = p.saved_mask.take().unwrap_or(p.sig.blocked);
        let alt = p.sig.altstack;
        let on_alt = on_altstack(alt, regs.esp);
        let use_alt = act.flags & SA_ONSTACK != 0 && alt.1 != 0 && !on_alt;
        let mut sp = if use_alt { alt.0.wrapping_add(alt.1) } else { regs.esp };
        if use_alt && alt.2 & SS_AUTODISARM != 0 {
            p.sig.altstack = (0, 0, SS_DISABLE);
        }
        let fault = p.fault;
        let uid = p.uid;
        let rt = act.flags & SA_SIGINFO != 0;
        let size = if rt { RT_SIGFRAME_SIZE } else { SIGFRAME_SIZE } as u32;
        // as Linux: room for the FPU state, then align so that the handler
        // sees (esp + 4) % 16 == 0
        sp = sp.wrapping_sub(FPSTATE_SIZE as u32);
        sp = (sp.wrapping_sub(size).wrapping_add(4) & !15).wrapping_sub(4);
        let frame = sp;
        let restorer = if act.flags & SA_RESTORER != 0 { act.restorer } else { frame + size - 8 };
        let mut out = Out::with_size(size as usize);
        if rt {
            let pinfo = frame + 16;
            let uc = pinfo + SIGINFO_SIZE as u32;
            out.put_u32(0, restorer).put_u32(4, sig).put_u32(8, pinfo).put_u32(12, uc);
            // siginfo: signo, errno, code, then the union
            out.put_u32(16, sig).put_u32(20, 0).put_u32(24, info.code as u32);
            if matches!(sig, SIGSEGV | SIGBUS | SIGILL | SIGFPE) && info.code > 0 {
                out.put_u32(28, info.addr);
            } else if sig == SIGCHLD && info.code > 0 {
                out.put_u32(28, info.pid).put_u32(32, info.uid).put_u32(36, info.status);
            } else {
                out.put_u32(28, info.pid).put_u32(32, info.uid);
            }
            let _ = uid;
            let ucb = 16 + SIGINFO_SIZE;
            out.put_u32(ucb, 0).put_u32(ucb + 4, 0);
            // the alternate stack as stored (what sigaltstack was given)
            out.put_u32(ucb + 8, alt.0).put_u32(ucb + 12, alt.2).put_u32(ucb + 16, alt.1);
            sigcontext(&mut out, ucb + 20, regs, oldmask as u32, fault);
            out.put_u64(ucb + 20 + SC_SIZE, oldmask);
            // retcode: movl $173, %eax; int $0x80 (rt_sigreturn)
            let rc = size as usize - 8;
            out.put_bytes(rc, &[0xB8, 173, 0, 0, 0, 0xCD, 0x80, 0x00]);
        } else {
            out.put_u32(0, restorer).put_u32(4, sig);
            sigcontext(&mut out, 8, regs, oldmask as u32, fault);
            out.put_u32(8 + SC_SIZE + FPSTATE_SIZE, (oldmask >> 32) as u32);
            // retcode: popl %eax; movl $119, %eax; int $0x80 (sigreturn)
            let rc = size as usize - 8;
            out.put_bytes(rc, &[0x58, 0xB8, 119, 0, 0, 0, 0xCD, 0x80]);
        }
        self.copy_out(pid, frame, &out.buf)?;
        let p = self.proc_mut(pid);
        regs.esp = frame;
        regs.eip = act.handler;
        regs.eax = sig;
        regs.edx = if rt { frame + 16 } else { 0 };
        regs.ecx = if rt { frame + 16 + SIGINFO_SIZE as u32 } else { 0 };
        regs.eflags &= !(0x100 | 0x400); // TF, DF
        let mut block = act.mask;
        if act.flags & SA_NODEFER == 0 {
            block |= bit(sig);
        }
        p.sig.blocked |= block & !(bit(SIGKILL) | bit(SIGSTOP));
        if act.flags & SA_RESETHAND != 0 {
            // (Linux resets the handler only; the flags stay)
            p.sig.actions[sig as usize - 1].handler = SIG_DFL;
        }
        if self.strace {
            self.log_fmt(format_args!("[{pid}] handler for signal {sig} at {:#x}, frame {frame:#x}", act.handler));
        }
        Ok(())
    }

    /// sigreturn (`rt`: rt_sigreturn): restore the registers and mask saved
    /// in the frame at the user's stack (and, for rt, the alternate stack
    /// a handler with SS_AUTODISARM ran without).
    pub(crate) fn sigreturn(&mut self, pid: Pid, regs: &mut Regs, rt: bool) -> Sys {
        let (frame, size) =
            if rt { (regs.esp.wrapping_sub(4), RT_SIGFRAME_SIZE) } else { (regs.esp.wrapping_sub(8), SIGFRAME_SIZE) };
        let mut b = alloc::vec![0u8; size];
        if self.copy_in(pid, frame, &mut b).is_err() {
            self.force_signal(pid, SIGSEGV, SigInfo::KERNEL, (0, 0, 0));
            self.finish(pid, *regs, false);
            return Sys::NoReply;
        }
        let mut r = *regs;
        let mask = if rt {
            let ucb = 16 + SIGINFO_SIZE;
            restore_sigcontext(&b, ucb + 20, &mut r);
            let ss = (crate::linux::u32_at(&b, ucb + 8), crate::linux::u32_at(&b, ucb + 16), crate::linux::u32_at(&b, ucb + 12));
            let p = self.proc_mut(pid);
            if ss.2 & SS_AUTODISARM != 0 && !on_altstack(p.sig.altstack, r.esp) {
                p.sig.altstack = (ss.0, ss.1, ss.2);
            }
            let lo = crate::linux::u32_at(&b, ucb + 20 + SC_SIZE) as u64;
            let hi = crate::linux::u32_at(&b, ucb + 24 + SC_SIZE) as u64;
            lo | hi << 32
        } else {
            restore_sigcontext(&b, 8, &mut r);
            let lo = crate::linux::u32_at(&b, 8 + 80) as u64;
            let hi = crate::linux::u32_at(&b, 8 + SC_SIZE + FPSTATE_SIZE) as u64;
            lo | hi << 32
        };
        let p = self.proc_mut(pid);
        p.sig.blocked = mask & !(bit(SIGKILL) | bit(SIGSTOP));
        p.state = State::Running;
        self.finish(pid, r, true);
        Sys::NoReply
    }
}
