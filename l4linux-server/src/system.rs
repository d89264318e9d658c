//! The Linux system the server emulates: all processes, the file system,
//! pipes, the console, and the handling of every event the L4 glue passes
//! in (system call, page fault, exception, timer, console input).
//!
//! A system call either completes at once (the reply goes back with the new
//! registers), or blocks: the process keeps waiting for the reply while the
//! server goes on, and the call is run again from the start when what it
//! waits for may have changed. Signals are delivered when a reply is sent,
//! by rewriting the registers to enter the handler.

use crate::errno::*;
use crate::file::{Dev, FileRef, Kind};
use crate::linux::sig::*;
use crate::mm::{Ctx, Fault, FileSource, Mm};
use crate::platform::{Platform, Regs, TaskId};
use crate::pool::{Frame, Pool};
use crate::proc::*;
use crate::tty::Tty;
use crate::vfs::Vfs;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use hashbrown::HashMap;

/// A reply to send to a process's thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub task: TaskId,
    pub regs: Regs,
    /// All ten registers changed (otherwise only eax).
    pub full: bool,
}

/// How a page fault ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultReply {
    /// Map the server page at this address, writable or not.
    Map { vaddr: u32, writable: bool },
    /// No reply: the process was killed or will be interrupted.
    None,
}

/// Result of a system call implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sys {
    /// Return this value in eax (a negative errno for errors).
    Ret(u32),
    /// Wait and run the call again later.
    Block(Wait),
    /// Nothing to reply (the process exited or was replaced), or the
    /// reply was already queued.
    NoReply,
}

pub fn err(e: Errno) -> Sys {
    Sys::Ret((-e) as u32)
}

/// Processes the system may hold.
pub const MAX_PROCS: usize = 256;
/// Frames kept free: fork fails with ENOMEM below this.
pub const FORK_RESERVE: usize = 64;

/// A pipe: bytes in flight and how many ends are open.
pub struct Pipe {
    pub buf: alloc::collections::VecDeque<u8>,
    pub readers: u32,
    pub writers: u32,
}

pub const PIPE_BUF: usize = 4096;
pub const PIPE_SIZE: usize = 65536;

/// File data for page faults and exec, from the tmpfs.
pub struct VfsSource<'a>(pub &'a mut Vfs);

impl FileSource for VfsSource<'_> {
    fn read_file(&mut self, ino: u32, offset: u64, buf: &mut [u8]) -> usize {
        self.0.read(ino, offset, buf, crate::vfs::Timespec { sec: 0, nsec: 0 }).unwrap_or(0)
    }
}

pub struct Linux<P: Platform> {
    pub plat: P,
    pub pool: Pool,
    pub vfs: Vfs,
    pub procs: BTreeMap<Pid, Process>,
    pub tasks: HashMap<TaskId, Pid>,
    next_pid: Pid,
    pub replies: Vec<Reply>,
    pub(crate) revoke: Vec<(Frame, u32)>,
    pub pipes: BTreeMap<u32, Pipe>,
    next_pipe: u32,
    pub tty: Tty,
    /// System calls already reported as unimplemented.
    enosys_seen: [u64; 8],
    /// CPUID feature bits and the machine name uname reports.
    pub hwcap: u32,
    pub machine: &'static [u8],
    /// The first process; the machine stops when it exits.
    pub init: Pid,
    /// Processes whose fresh task waits for its first registers.
    pub fresh: BTreeMap<Pid, Regs>,
    /// The process whose system call is being served right now.
    pub serving: Option<Pid>,
    /// Sender of the signal being posted (for siginfo).
    pub sender_pid: Pid,
    /// Stopped processes continued by SIGCONT, to be replied to.
    pub continued: Vec<(Pid, Regs)>,
    /// The host name (sethostname, uname).
    pub hostname: Vec<u8>,
    /// Log every system call and its result (kernel command line `strace`).
    pub strace: bool,
}

impl<P: Platform> Linux<P> {
    pub fn new(plat: P, pool: Pool, vfs: Vfs, hwcap: u32, machine: &'static [u8]) -> Self {
        Linux {
            plat,
            pool,
            vfs,
            procs: BTreeMap::new(),
            tasks: HashMap::new(),
            next_pid: 1,
            replies: Vec::new(),
            revoke: Vec::new(),
            pipes: BTreeMap::new(),
            next_pipe: 1,
            tty: Tty::new(),
            enosys_seen: [0; 8],
            hwcap,
            machine,
            init: 1,
            fresh: BTreeMap::new(),
            serving: None,
            sender_pid: 0,
            continued: Vec::new(),
            hostname: b"ul4".to_vec(),
            strace: false,
        }
    }

    // ----- small helpers ----------------------------------------------

    pub fn now_ns(&self) -> u64 {
        self.plat.monotonic_ns()
    }
    /// Real time as a tmpfs timestamp.
    pub fn now(&self) -> crate::vfs::Timespec {
        let ns = self.now_ns();
        crate::vfs::Timespec { sec: (self.plat.boot_epoch() + ns / 1_000_000_000) as i64, nsec: (ns % 1_000_000_000) as u32 }
    }

    pub fn proc(&self, pid: Pid) -> &Process {
        &self.procs[&pid]
    }
    pub fn proc_mut(&mut self, pid: Pid) -> &mut Process {
        self.procs.get_mut(&pid).expect("live pid")
    }

    /// Apply the revocations an operation produced.
    pub(crate) fn flush_revokes(&mut self) {
        for (f, r) in self.revoke.drain(..) {
            self.plat.revoke(f, r);
        }
    }

    /// Copy from the user memory of `pid`.
    pub fn copy_in(&mut self, pid: Pid, addr: u32, buf: &mut [u8]) -> Result<(), Errno> {
        let p = self.procs.get_mut(&pid).ok_or(ESRCH)?;
        let mut src = VfsSource(&mut self.vfs);
        let r = p.mm.read(addr, buf, &mut Ctx { pool: &mut self.pool, files: &mut src, revoke: &mut self.revoke });
        self.flush_revokes();
        r
    }

    /// Copy to the user memory of `pid`.
    pub fn copy_out(&mut self, pid: Pid, addr: u32, data: &[u8]) -> Result<(), Errno> {
        let p = self.procs.get_mut(&pid).ok_or(ESRCH)?;
        let mut src = VfsSource(&mut self.vfs);
        let r = p.mm.write(addr, data, &mut Ctx { pool: &mut self.pool, files: &mut src, revoke: &mut self.revoke });
        self.flush_revokes();
        r
    }

    pub fn read_u32(&mut self, pid: Pid, addr: u32) -> Result<u32, Errno> {
        let mut b = [0u8; 4];
        self.copy_in(pid, addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    pub fn write_u32(&mut self, pid: Pid, addr: u32, v: u32) -> Result<(), Errno> {
        self.copy_out(pid, addr, &v.to_le_bytes())
    }

    /// A NUL-terminated string from user memory (a path: at most 4095 bytes).
    pub fn read_cstr(&mut self, pid: Pid, addr: u32, max: usize) -> Result<Vec<u8>, Errno> {
        let p = self.procs.get_mut(&pid).ok_or(ESRCH)?;
        let mut src = VfsSource(&mut self.vfs);
        let r = p.mm.read_cstr(addr, max, &mut Ctx { pool: &mut self.pool, files: &mut src, revoke: &mut self.revoke });
        self.flush_revokes();
        r
    }

    /// Run `f` on the address space of `pid` with a memory context.
    pub fn with_mm<T>(&mut self, pid: Pid, f: impl FnOnce(&mut Mm, &mut Ctx) -> T) -> T {
        let p = self.procs.get_mut(&pid).expect("live pid");
        let mut src = VfsSource(&mut self.vfs);
        let r = f(&mut p.mm, &mut Ctx { pool: &mut self.pool, files: &mut src, revoke: &mut self.revoke });
        self.flush_revokes();
        r
    }

    /// Log an unimplemented system call once per number.
    pub(crate) fn enosys(&mut self, nr: u32) -> Sys {
        let (w, b) = ((nr as usize / 64).min(7), nr % 64);
        if nr < 512 && self.enosys_seen[w] & 1 << b == 0 {
            self.enosys_seen[w] |= 1 << b;
            let name = crate::linux::syscall_name(nr);
            let mut msg = alloc::string::String::new();
            let _ = core::fmt::write(&mut msg, format_args!("l4linux: system call {nr} ({name}) not implemented: ENOSYS"));
            self.plat.log(&msg);
        }
        err(ENOSYS)
    }

    pub(crate) fn alloc_pid(&mut self) -> Option<Pid> {
        if self.procs.len() >= MAX_PROCS {
            return None;
        }
        loop {
            let pid = self.next_pid;
            self.next_pid = if self.next_pid >= 32767 { 2 } else { self.next_pid + 1 };
            let used = self.procs.contains_key(&pid)
                || self.procs.values().any(|p| p.pgid == pid || p.sid == pid);
            if !used {
                return Some(pid);
            }
        }
    }

    pub(crate) fn new_pipe(&mut self) -> u32 {
        let id = self.next_pipe;
        self.next_pipe += 1;
        self.pipes.insert(id, Pipe { buf: Default::default(), readers: 1, writers: 1 });
        id
    }

    // ----- events ------------------------------------------------------

    /// `int 0x80` from the thread `task` with its registers.
    pub fn on_syscall(&mut self, task: TaskId, regs: Regs) {
        let Some(&pid) = self.tasks.get(&task) else { return };
        if self.proc(pid).state != State::Running {
            return;
        }
        self.serving = Some(pid);
        self.run_syscall(pid, regs);
        self.serving = None;
        self.settle();
    }

    /// Work left over by an event: continued processes get their replies.
    pub(crate) fn settle(&mut self) {
        while let Some((pid, regs)) = self.continued.pop() {
            if self.procs.get(&pid).is_some_and(|p| p.state == State::Running) {
                self.finish(pid, regs, true);
            }
        }
    }

    /// Run (or re-run) a system call and reply if it completes.
    pub(crate) fn run_syscall(&mut self, pid: Pid, regs: Regs) {
        let mut r = regs;
        let res = self.dispatch(pid, &mut r);
        if self.strace {
            let name = crate::linux::syscall_name(regs.eax);
            let (a, b, c) = (regs.ebx, regs.ecx, regs.edx);
            match res {
                Sys::Ret(v) => self.log_fmt(format_args!("[{pid}] {name}({a:#x}, {b:#x}, {c:#x}) = {}", v as i32)),
                Sys::Block(w) => self.log_fmt(format_args!("[{pid}] {name}({a:#x}, {b:#x}, {c:#x}) blocks on {w:?}")),
                Sys::NoReply => self.log_fmt(format_args!("[{pid}] {name}({a:#x}, {b:#x}, {c:#x}) (no reply)")),
            }
        }
        let Some(p) = self.procs.get_mut(&pid) else { return };
        if !matches!(res, Sys::Block(_)) {
            p.progress = 0;
            p.deadline = 0;
        }
        match res {
            Sys::Ret(v) => {
                p.state = State::Running;
                r.eax = v;
                self.finish(pid, r, false);
            }
            Sys::Block(w) => {
                // a signal that is already deliverable interrupts at once
                if p.deliverable() != 0 && !matches!(w, Wait::Vfork(_)) {
                    p.state = State::Running;
                    let restart = regs;
                    self.interrupted(pid, restart);
                    return;
                }
                p.state = State::Blocked(w);
                p.regs = regs;
            }
            Sys::NoReply => {}
        }
    }

    /// A blocked call of `pid` was interrupted by a signal: return EINTR,
    /// or arrange to restart it after the handler (SA_RESTART).
    pub(crate) fn interrupted(&mut self, pid: Pid, call: Regs) {
        let p = self.proc_mut(pid);
        let (progress, _) = (core::mem::take(&mut p.progress), core::mem::take(&mut p.deadline));
        let sig = lowest(p.deliverable());
        let act = p.sig.actions[sig as usize - 1];
        let mut r = call;
        if progress > 0 {
            // a write that moved some bytes returns their count
            r.eax = progress;
            self.finish(pid, r, false);
            return;
        }
        // calls that must report EINTR even with SA_RESTART (sleeps, waits
        // for signals, poll/select)
        let restartable = !matches!(call.eax, 162 | 267 | 407 | 72 | 179 | 29 | 168 | 142 | 308 | 309 | 413 | 414);
        // no handler runs (a stop or an ignored signal): restart silently
        let no_handler = act.handler <= SIG_IGN;
        if restartable && (no_handler || act.flags & SA_RESTART != 0) {
            // back up over `int 0x80` so the call runs again
            r.eip = r.eip.wrapping_sub(2);
            self.finish(pid, r, true);
        } else {
            r.eax = (-EINTR) as u32;
            self.finish(pid, r, false);
        }
    }

    /// Queue the reply for `pid`, delivering pending signals first.
    pub(crate) fn finish(&mut self, pid: Pid, mut regs: Regs, mut full: bool) {
        if self.proc(pid).deliverable() != 0 {
            match self.deliver_signals(pid, &mut regs) {
                Some(changed) => full |= changed,
                None => return, // killed or stopped
            }
        }
        let p = self.proc(pid);
        if p.is_zombie() || !matches!(p.state, State::Running) {
            return;
        }
        self.replies.push(Reply { task: p.task, regs, full });
    }

    /// A page fault of `task` at `addr`.
    pub fn on_fault(&mut self, task: TaskId, addr: u32, write: bool, eip: u32) -> FaultReply {
        let Some(&pid) = self.tasks.get(&task) else { return FaultReply::None };
        let r = self.with_mm(pid, |mm, ctx| mm.fault(addr, write, ctx));
        match r {
            Ok((frame, writable)) => FaultReply::Map { vaddr: self.pool.vaddr(frame), writable },
            Err(Fault::NoMem) => {
                self.log_fmt(format_args!("l4linux: out of memory: killing pid {pid} (fault at {addr:#x})"));
                self.force_signal(pid, SIGKILL, addr);
                FaultReply::None
            }
            Err(Fault::Segv) => {
                let _ = eip;
                self.force_signal(pid, SIGSEGV, addr);
                FaultReply::None
            }
        }
    }

    /// A CPU exception (or an interrupt the server asked for, vector 0x100).
    pub fn on_exception(&mut self, task: TaskId, regs: Regs, vector: u32, _error: u32) {
        let Some(&pid) = self.tasks.get(&task) else { return };
        if let Some(initial) = self.fresh.remove(&pid) {
            // a new process reports for its registers
            self.finish(pid, initial, true);
            return;
        }
        let sig = match vector {
            l4_abi::msg::exc::RAISED => {
                // interrupted for signal delivery
                self.finish(pid, regs, true);
                return;
            }
            0 | 16 => SIGFPE,
            1 | 3 => SIGTRAP,
            6 => SIGILL,
            7 => SIGFPE,
            11 | 12 | 17 => SIGBUS,
            _ => SIGSEGV,
        };
        self.proc_mut(pid).sig.pending |= bit(sig);
        // a signal the program blocks or ignores while the CPU raises it
        // kills it, as on Linux
        let p = self.proc_mut(pid);
        if p.sig.blocked & bit(sig) != 0 || p.sig.actions[sig as usize - 1].handler == SIG_IGN {
            p.sig.blocked &= !bit(sig);
            p.sig.actions[sig as usize - 1].handler = SIG_DFL;
        }
        self.finish(pid, regs, true);
    }

    /// Time passed: wake sleepers whose deadline came, fire alarms.
    pub fn on_timer(&mut self) {
        let now = self.now_ns();
        let pids: Vec<Pid> = self.procs.keys().copied().collect();
        for pid in pids {
            let Some(p) = self.procs.get_mut(&pid) else { continue };
            if let Some((at, interval)) = p.alarm {
                if at <= now {
                    p.alarm = if interval > 0 { Some((now + interval, interval)) } else { None };
                    self.send_signal(pid, SIGALRM);
                }
            }
            let Some(p) = self.procs.get(&pid) else { continue };
            if let State::Blocked(Wait::Until(t) | Wait::Poll(Some(t))) = p.state {
                if t <= now {
                    self.retry(pid);
                }
            }
        }
    }

    /// The earliest deadline any process waits for.
    pub fn next_deadline(&self) -> Option<u64> {
        self.procs
            .values()
            .filter_map(|p| {
                let w = match p.state {
                    State::Blocked(Wait::Until(t) | Wait::Poll(Some(t))) => Some(t),
                    _ => None,
                };
                let a = p.alarm.map(|(t, _)| t);
                match (w, a) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, y) => x.or(y),
                }
            })
            .min()
    }

    /// Bytes typed on the console.
    pub fn on_console_input(&mut self, bytes: &[u8]) {
        let echo = self.tty.input(bytes);
        if !echo.is_empty() {
            self.plat.console_write(&echo);
        }
        for sig in self.tty.take_signals() {
            let pg = self.tty.foreground;
            self.signal_group(pg, sig);
        }
        self.wake(|w| w == Wait::Tty || matches!(w, Wait::Poll(_)));
    }

    /// Run again the calls of blocked processes whose wait matches.
    pub(crate) fn wake(&mut self, matches: impl Fn(Wait) -> bool) {
        let ready: Vec<Pid> = self
            .procs
            .iter()
            .filter(|(_, p)| matches!(p.state, State::Blocked(w) if matches(w)))
            .map(|(&pid, _)| pid)
            .collect();
        for pid in ready {
            self.retry(pid);
        }
    }

    pub(crate) fn retry(&mut self, pid: Pid) {
        let Some(p) = self.procs.get_mut(&pid) else { return };
        if let State::Blocked(_) = p.state {
            p.state = State::Running;
            let regs = p.regs;
            self.run_syscall(pid, regs);
        }
    }

    pub fn log_fmt(&mut self, args: core::fmt::Arguments) {
        let mut s = alloc::string::String::new();
        let _ = core::fmt::write(&mut s, args);
        self.plat.log(&s);
    }

    /// Close an open file description's last reference side effects.
    pub(crate) fn release_file(&mut self, f: FileRef) {
        if alloc::rc::Rc::strong_count(&f) > 1 {
            return;
        }
        let kind = f.borrow().kind.clone();
        match kind {
            Kind::Inode(ino) | Kind::Device(ino, _) => self.vfs.release(ino),
            Kind::PipeRead(id) => {
                if let Some(p) = self.pipes.get_mut(&id) {
                    p.readers -= 1;
                }
                self.pipe_changed(id);
            }
            Kind::PipeWrite(id) => {
                if let Some(p) = self.pipes.get_mut(&id) {
                    p.writers -= 1;
                }
                self.pipe_changed(id);
            }
            Kind::Proc(..) | Kind::ProcDir(..) => {}
        }
    }

    pub(crate) fn pipe_changed(&mut self, id: u32) {
        if let Some(p) = self.pipes.get(&id) {
            if p.readers == 0 && p.writers == 0 {
                self.pipes.remove(&id);
            }
        }
        self.wake(|w| w == Wait::Pipe(id) || matches!(w, Wait::Poll(_)));
    }

    /// The device a tmpfs inode stands for, if it is a device node.
    pub fn device_of(&self, ino: u32) -> Option<Dev> {
        match self.vfs.attr(ino).kind {
            crate::vfs::Kind::CharDev { major, minor } => Dev::from_rdev(major, minor),
            _ => None,
        }
    }
}

pub const SA_NOCLDSTOP: u32 = 1;
pub const SA_NOCLDWAIT: u32 = 2;
pub const SA_SIGINFO: u32 = 4;
pub const SA_ONSTACK: u32 = 0x0800_0000;
pub const SA_RESTART: u32 = 0x1000_0000;
pub const SA_NODEFER: u32 = 0x4000_0000;
pub const SA_RESETHAND: u32 = 0x8000_0000;
pub const SA_RESTORER: u32 = 0x0400_0000;

/// Lowest signal number in a mask (the mask is not empty).
pub fn lowest(mask: u64) -> u32 {
    mask.trailing_zeros() + 1
}
