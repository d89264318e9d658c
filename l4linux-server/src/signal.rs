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

/// Remember a continued process; it gets its reply once the signal that
/// continued it has been handled.
fn p_finish_later(list: &mut alloc::vec::Vec<(Pid, Regs)>, pid: Pid, regs: Regs) {
    list.push((pid, regs));
}

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

/// The sigcontext image of `regs` with the blocked mask's low word.
fn sigcontext(out: &mut Out, at: usize, r: &Regs, oldmask: u32, cr2: u32, trapno: u32) {
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
        .put_u32(at + 52, 0) // err
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
    /// Post signal `sig` to process `pid` (kill, and every signal source).
    pub fn send_signal(&mut self, pid: Pid, sig: u32) {
        let Some(p) = self.procs.get_mut(&pid) else { return };
        if p.is_zombie() || sig == 0 || sig > NSIG {
            return;
        }
        if sig == SIGKILL {
            self.exit_process(pid, killed(SIGKILL));
            return;
        }
        if STOP_SIGNALS & bit(sig) != 0 {
            p.sig.pending &= !bit(SIGCONT);
        }
        if sig == SIGCONT {
            p.sig.pending &= !STOP_SIGNALS;
            if let State::Stopped(_) = p.state {
                // it waits for the reply it was about to get when it stopped
                p.state = State::Running;
                p.wait_event = Some(0xFFFF); // WIFCONTINUED
                let (ppid, regs) = (p.ppid, p.regs);
                self.child_changed(ppid, false);
                p_finish_later(&mut self.continued, pid, regs);
            }
        }
        let p = self.procs.get_mut(&pid).unwrap();
        let act = p.sig.actions[sig as usize - 1];
        let ignored = act.handler == SIG_IGN || (act.handler == SIG_DFL && default_action(sig) == Default::Ignore);
        if ignored && p.sig.blocked & bit(sig) == 0 {
            return;
        }
        p.sig.pending |= bit(sig);
        if p.deliverable() == 0 {
            return;
        }
        match p.state {
            State::Running => {
                let task = p.task;
                if self.serving != Some(pid) {
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

    /// A fault or trap the program cannot ignore: signal `sig`, with the
    /// faulting address for its siginfo.
    pub fn force_signal(&mut self, pid: Pid, sig: u32, addr: u32) {
        let Some(p) = self.procs.get_mut(&pid) else { return };
        let a = &mut p.sig.actions[sig as usize - 1];
        if p.sig.blocked & bit(sig) != 0 || a.handler == SIG_IGN {
            p.sig.blocked &= !bit(sig);
            a.handler = SIG_DFL;
        }
        p.fault_addr = addr;
        if a.handler == SIG_DFL {
            self.exit_process(pid, killed(sig));
            return;
        }
        p.sig.pending |= bit(sig);
        // the thread waits for its fault to be resolved: stop that wait and
        // make it report with its registers
        let task = p.task;
        self.plat.interrupt_fault(task);
    }

    /// Send `sig` to every process of group `pgid`.
    pub fn signal_group(&mut self, pgid: Pid, sig: u32) -> bool {
        let members: alloc::vec::Vec<Pid> =
            self.procs.values().filter(|p| p.pgid == pgid && !p.is_zombie()).map(|p| p.pid).collect();
        for &m in &members {
            self.send_signal(m, sig);
        }
        !members.is_empty()
    }

    /// Deliver what is deliverable before `pid` returns to user mode with
    /// `regs`. `Some(true)`: a handler frame was set up (all registers
    /// changed); `Some(false)`: nothing to do; `None`: the process stopped
    /// or died.
    pub(crate) fn deliver_signals(&mut self, pid: Pid, regs: &mut Regs) -> Option<bool> {
        loop {
            let p = self.procs.get_mut(&pid)?;
            let ready = p.deliverable();
            if ready == 0 {
                return Some(false);
            }
            let sig = lowest(ready);
            p.sig.pending &= !bit(sig);
            let act = p.sig.actions[sig as usize - 1];
            if act.handler == SIG_IGN {
                continue;
            }
            if act.handler == SIG_DFL {
                match default_action(sig) {
                    Default::Ignore => continue,
                    Default::Stop => {
                        p.regs = *regs;
                        p.state = State::Stopped(sig);
                        p.wait_event = Some(stopped(sig));
                        let ppid = p.ppid;
                        self.child_changed(ppid, true);
                        return None;
                    }
                    Default::Terminate | Default::Core => {
                        self.exit_process(pid, killed(sig));
                        return None;
                    }
                }
            }
            return match self.setup_frame(pid, sig, act, regs) {
                Ok(()) => Some(true),
                Err(_) => {
                    // no room for the frame: the program dies by SIGSEGV
                    self.exit_process(pid, killed(SIGSEGV));
                    None
                }
            };
        }
    }

    fn setup_frame(&mut self, pid: Pid, sig: u32, act: SigAction, regs: &mut Regs) -> Result<(), Errno> {
        let p = self.proc_mut(pid);
        // after sigsuspend the frame keeps the mask from before it
        let oldmask = p.saved_mask.take().unwrap_or(p.sig.blocked);
        let (ss_sp, ss_size, ss_flags) = p.sig.altstack;
        let on_alt = ss_flags & 2 == 0 && regs.esp.wrapping_sub(ss_sp) < ss_size;
        let mut sp = if act.flags & SA_ONSTACK != 0 && ss_flags & 2 == 0 && !on_alt { ss_sp + ss_size } else { regs.esp };
        let fault_addr = p.fault_addr;
        let rt = act.flags & SA_SIGINFO != 0;
        let size = if rt { RT_SIGFRAME_SIZE } else { SIGFRAME_SIZE } as u32;
        // as Linux: room for the FPU state, then align so that the handler
        // sees (esp + 4) % 16 == 0
        sp = sp.wrapping_sub(FPSTATE_SIZE as u32);
        sp = (sp.wrapping_sub(size).wrapping_add(4) & !15).wrapping_sub(4);
        let frame = sp;
        let restorer = if act.flags & SA_RESTORER != 0 { act.restorer } else { frame + size - 8 };
        let trapno = if sig == SIGSEGV || sig == SIGBUS { 14 } else { 0 };
        let mut out = Out::with_size(size as usize);
        if rt {
            let info = frame + 16;
            let uc = info + SIGINFO_SIZE as u32;
            out.put_u32(0, restorer).put_u32(4, sig).put_u32(8, info).put_u32(12, uc);
            // siginfo: signo, errno, code, then the fields
            out.put_u32(16, sig).put_u32(20, 0);
            if sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE {
                out.put_u32(24, 1).put_u32(28, fault_addr); // SEGV_MAPERR-ish code, si_addr
            } else {
                out.put_u32(24, 0).put_u32(28, self.sender_pid).put_u32(32, 0); // SI_USER, pid, uid
            }
            let ucb = 16 + SIGINFO_SIZE;
            out.put_u32(ucb, 0).put_u32(ucb + 4, 0);
            out.put_u32(ucb + 8, ss_sp).put_u32(ucb + 12, if on_alt { 1 } else { ss_flags }).put_u32(ucb + 16, ss_size);
            sigcontext(&mut out, ucb + 20, regs, oldmask as u32, fault_addr, trapno);
            out.put_u64(ucb + 20 + SC_SIZE, oldmask);
            // retcode: movl $173, %eax; int $0x80 (rt_sigreturn)
            let rc = size as usize - 8;
            out.put_bytes(rc, &[0xB8, 173, 0, 0, 0, 0xCD, 0x80, 0x00]);
        } else {
            out.put_u32(0, restorer).put_u32(4, sig);
            sigcontext(&mut out, 8, regs, oldmask as u32, fault_addr, trapno);
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
            p.sig.actions[sig as usize - 1] = SigAction::default();
        }
        Ok(())
    }

    /// sigreturn (`rt`: rt_sigreturn): restore the registers and mask saved
    /// in the frame at the user's stack.
    pub(crate) fn sigreturn(&mut self, pid: Pid, regs: &mut Regs, rt: bool) -> Sys {
        let (frame, size) =
            if rt { (regs.esp.wrapping_sub(4), RT_SIGFRAME_SIZE) } else { (regs.esp.wrapping_sub(8), SIGFRAME_SIZE) };
        let mut b = alloc::vec![0u8; size];
        if self.copy_in(pid, frame, &mut b).is_err() {
            self.force_signal(pid, SIGSEGV, frame);
            return Sys::NoReply;
        }
        let mut r = *regs;
        let mask = if rt {
            let ucb = 16 + SIGINFO_SIZE;
            restore_sigcontext(&b, ucb + 20, &mut r);
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
