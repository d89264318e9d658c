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
use crate::hash::TaskTable;

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

pub use crate::pipe::{Pipe, PIPE_BUF, PIPE_SIZE};

/// File data for page faults and exec, from the tmpfs.
pub struct VfsSource<'a>(pub &'a mut Vfs);

impl FileSource for VfsSource<'_> {
    fn read_file(&mut self, ino: u32, offset: u64, buf: &mut [u8]) -> usize {
        self.0.read_quiet(ino, offset, buf).unwrap_or(0)
    }
}

pub struct Linux<P: Platform> {
    pub plat: P,
    pub pool: Pool,
    pub vfs: Vfs,
    pub procs: BTreeMap<Pid, Process>,
    pub tasks: TaskTable,
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
    /// Stopped processes continued by SIGCONT, to be replied to.
    pub continued: Vec<(Pid, Regs)>,
    /// The host name (sethostname, uname).
    pub hostname: Vec<u8>,
    /// Log every system call and its result (kernel command line `strace`).
    pub strace: bool,
    /// What changed during the current event (see `wake`).
    changes: Vec<Event>,
}

/// A change that blocked calls may wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Console input or terminal settings.
    Tty,
    /// Data, room or an end closing in a pipe.
    Pipe(u32),
    /// A child exited, stopped or continued.
    Child,
}

impl Event {
    /// Does a call waiting for `w` have to look again?
    fn wakes(self, w: Wait) -> bool {
        match self {
            Event::Tty => w == Wait::Tty || matches!(w, Wait::Poll(_)),
            Event::Pipe(id) => w == Wait::Pipe(id) || matches!(w, Wait::Poll(_)),
            Event::Child => w == Wait::Child,
        }
    }
}

impl<P: Platform> Linux<P> {
    pub fn new(plat: P, pool: Pool, vfs: Vfs, hwcap: u32, machine: &'static [u8]) -> Self {
        Linux {
            plat,
            pool,
            vfs,
            procs: BTreeMap::new(),
            tasks: TaskTable::default(),
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
            continued: Vec::new(),
            hostname: b"ul4".to_vec(),
            strace: false,
            changes: Vec::new(),
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
        if self.revoke.is_empty() {
            return;
        }
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

    /// Copy `len` bytes from the user memory of `pid` into a new buffer.
    pub fn copy_in_vec(&mut self, pid: Pid, addr: u32, len: usize) -> Result<Vec<u8>, Errno> {
        let p = self.procs.get_mut(&pid).ok_or(ESRCH)?;
        let mut src = VfsSource(&mut self.vfs);
        let r = p.mm.read_vec(addr, len, &mut Ctx { pool: &mut self.pool, files: &mut src, revoke: &mut self.revoke });
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
        self.pipes.insert(id, Pipe::new());
        id
    }

    // ----- events ------------------------------------------------------

    /// `int 0x80` from the thread `task` with its registers.
    pub fn on_syscall(&mut self, task: TaskId, regs: Regs) {
        let Some(&pid) = self.tasks.get(&task) else { return };
        if !self.procs.get(&pid).is_some_and(|p| matches!(p.state, State::Running)) {
            return;
        }
        self.serving = Some(pid);
        self.run_syscall(pid, regs);
        self.serving = None;
        self.settle();
    }

    /// The system calls that only read the caller's identity, answered by
    /// the event loop without the general path when the caller has no
    /// signal to take and nothing is traced: they change no state and never
    /// block, so the reply is the whole effect (and the null system call
    /// costs little more than the IPC round trip). `None`: take the general
    /// path.
    pub fn quick_syscall(&self, task: TaskId, nr: u32) -> Option<u32> {
        if self.strace {
            return None;
        }
        let pid = *self.tasks.get(&task)?;
        let p = self.procs.get(&pid)?;
        if !matches!(p.state, State::Running) || p.deliverable() != 0 || p.restart.is_some() {
            return None;
        }
        Some(match nr {
            20 | 224 => pid,
            64 => p.ppid,
            199 | 24 => p.uid,
            201 | 49 => p.euid,
            200 | 47 => p.gid,
            202 | 50 => p.egid,
            _ => return None,
        })
    }

    /// Work left over by an event: continued processes get their replies,
    /// and calls still blocked on something that changed run again (until
    /// nothing changes any more).
    pub(crate) fn settle(&mut self) {
        if self.continued.is_empty() && self.changes.is_empty() {
            return;
        }
        for _ in 0..64 {
            while let Some((pid, regs)) = self.continued.pop() {
                if self.procs.get(&pid).is_some_and(|p| matches!(p.state, State::Running)) {
                    self.finish(pid, regs, true);
                }
            }
            let changes = core::mem::take(&mut self.changes);
            if changes.is_empty() {
                break;
            }
            for ev in changes {
                self.retry_waiting(ev);
            }
        }
        self.changes.clear();
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
        if p.is_zombie() {
            // the call ended the process (a signal it sent itself)
            return;
        }
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

    /// A blocked call of `pid` was interrupted by a signal. As in Linux,
    /// the call ends with a restart code and the signal's delivery decides
    /// what the program sees: a handler gets EINTR (or, for most calls
    /// with SA_RESTART, the call again after the handler); when no handler
    /// runs (a stop and continue, an ignored signal) the call runs again,
    /// sleeps and timeouts with the time that was left.
    pub(crate) fn interrupted(&mut self, pid: Pid, call: Regs) {
        let p = self.proc_mut(pid);
        let progress = core::mem::take(&mut p.progress);
        let mut r = call;
        if progress > 0 {
            // a write that moved some bytes returns their count
            p.deadline = 0;
            r.eax = progress;
            self.finish(pid, r, false);
            return;
        }
        p.restart = Some(call.eax);
        r.eax = (-restart_code(call.eax)) as u32;
        self.sleep_interrupted(pid, &call);
        self.finish(pid, r, true);
    }

    /// Queue the reply for `pid`, delivering pending signals first.
    pub(crate) fn finish(&mut self, pid: Pid, mut regs: Regs, mut full: bool) {
        let Some(mut p) = self.procs.get_mut(&pid) else { return };
        if p.deliverable() != 0 {
            match self.deliver_signals(pid, &mut regs) {
                Some(changed) => full |= changed,
                None => return, // killed or stopped
            }
            let Some(q) = self.procs.get_mut(&pid) else { return };
            p = q;
        }
        if let Some(nr) = p.restart.take() {
            // interrupted, and no handler ran: the call runs again (back
            // over `int 0x80`); sigsuspend sets its mask again
            regs.eax = nr;
            regs.eip = regs.eip.wrapping_sub(2);
            full = true;
            if let Some(m) = p.saved_mask.take() {
                p.sig.blocked = m;
            }
        }
        if p.is_zombie() || !matches!(p.state, State::Running) {
            return;
        }
        self.replies.push(Reply { task: p.task, regs, full });
    }

    /// A page fault of `task` at `addr`.
    pub fn on_fault(&mut self, task: TaskId, addr: u32, write: bool, eip: u32) -> FaultReply {
        let r = self.fault(task, addr, write, eip);
        self.settle();
        r
    }

    fn fault(&mut self, task: TaskId, addr: u32, write: bool, eip: u32) -> FaultReply {
        let Some(&pid) = self.tasks.get(&task) else { return FaultReply::None };
        let r = self.with_mm(pid, |mm, ctx| mm.fault(addr, write, ctx));
        match r {
            Ok((frame, writable)) => FaultReply::Map { vaddr: self.pool.vaddr(frame), writable },
            Err(Fault::NoMem) => {
                self.log_fmt(format_args!("l4linux: out of memory: killing pid {pid} (fault at {addr:#x})"));
                self.exit_process(pid, killed(SIGKILL));
                FaultReply::None
            }
            Err(f) => {
                if self.strace {
                    self.log_fmt(format_args!("[{pid}] page fault at {addr:#x} (eip {eip:#x}, write {write}): SIGSEGV"));
                }
                // the page-fault error code as the CPU reports it: user
                // mode, write, protection violation (not a missing page)
                let (code, present) = if f == Fault::Access { (SEGV_ACCERR, 1) } else { (SEGV_MAPERR, 0) };
                let errcode = 4 | if write { 2 } else { 0 } | present;
                self.force_signal(pid, SIGSEGV, SigInfo::fault(code, addr), (14, errcode, addr));
                if let Some(p) = self.procs.get(&pid).filter(|p| !p.is_zombie()) {
                    // the thread waits for its fault to be resolved: make it
                    // report with its registers instead, for the handler
                    let task = p.task;
                    self.plat.interrupt_fault(task);
                }
                FaultReply::None
            }
        }
    }

    /// A CPU exception (or an interrupt the server asked for, vector 0x100).
    pub fn on_exception(&mut self, task: TaskId, regs: Regs, vector: u32, error: u32) {
        self.exception(task, regs, vector, error);
        self.settle();
    }

    fn exception(&mut self, task: TaskId, regs: Regs, vector: u32, error: u32) {
        let Some(&pid) = self.tasks.get(&task) else { return };
        if let Some(initial) = self.fresh.remove(&pid) {
            // a new process reports for its registers
            self.finish(pid, initial, true);
            return;
        }
        // the signal each exception raises and its siginfo, as Linux's
        // traps.c has them
        let (sig, info) = match vector {
            l4_abi::msg::exc::RAISED => {
                // interrupted for signal delivery
                self.finish(pid, regs, true);
                return;
            }
            0 => (SIGFPE, SigInfo::fault(FPE_INTDIV, regs.eip)),
            6 => (SIGILL, SigInfo::fault(ILL_ILLOPN, regs.eip)),
            1 | 3 => (SIGTRAP, SigInfo::KERNEL),
            7 | 16 | 19 => (SIGFPE, SigInfo::KERNEL),
            11 | 12 => (SIGBUS, SigInfo::KERNEL),
            17 => (SIGBUS, SigInfo::fault(BUS_ADRALN, 0)),
            _ => (SIGSEGV, SigInfo::KERNEL),
        };
        if self.strace {
            self.log_fmt(format_args!("[{pid}] exception {vector} at eip {:#x}: signal {sig}", regs.eip));
        }
        self.force_signal(pid, sig, info, (vector, error, 0));
        self.finish(pid, regs, true);
    }

    /// Time passed: wake sleepers whose deadline came, fire alarms.
    pub fn on_timer(&mut self) {
        self.timers();
        self.settle();
    }

    fn timers(&mut self) {
        let now = self.now_ns();
        let pids: Vec<Pid> = self.procs.keys().copied().collect();
        for pid in pids {
            let Some(p) = self.procs.get_mut(&pid) else { continue };
            if let Some((at, interval)) = p.alarm {
                if at <= now {
                    // periodic: the next expiry follows the last one (missed
                    // periods are skipped), as Linux's hrtimer_forward
                    p.alarm = (interval > 0).then(|| {
                        let missed = (now - at) / interval;
                        (at + (missed + 1) * interval, interval)
                    });
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
        self.console_input(bytes);
        self.settle();
    }

    fn console_input(&mut self, bytes: &[u8]) {
        let echo = self.tty.input(bytes);
        if !echo.is_empty() {
            self.plat.console_write(&echo);
        }
        for sig in self.tty.take_signals() {
            let pg = self.tty.foreground;
            self.signal_group(pg, sig);
        }
        self.wake(Event::Tty);
    }

    /// Something blocked calls may wait for changed: run them again now,
    /// and once more when the current event has settled (a call that
    /// blocks later in the same event may have waited for this change).
    pub(crate) fn wake(&mut self, ev: Event) {
        if !self.changes.contains(&ev) {
            self.changes.push(ev);
        }
        self.retry_waiting(ev);
    }

    fn retry_waiting(&mut self, ev: Event) {
        let ready: Vec<Pid> = self
            .procs
            .iter()
            .filter(|(_, p)| matches!(p.state, State::Blocked(w) if ev.wakes(w)))
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
        self.wake(Event::Pipe(id));
    }

    /// Memory as /proc/meminfo and sysinfo report it, in bytes: (total,
    /// free, cached). Process memory comes from the frame pool, file data
    /// from the server's heap up to the tmpfs budget; both count, and the
    /// files are the cache (as tmpfs pages are in Linux).
    pub fn memory(&self) -> (u64, u64, u64) {
        let page = crate::pool::PAGE as u64;
        let (files, _) = self.vfs.usage();
        let budget = self.vfs.budget();
        let for_files = if budget == u64::MAX { files } else { budget.max(files) };
        let total = self.pool.frames() as u64 * page + for_files;
        let free = self.pool.free_frames() as u64 * page + (for_files - files);
        (total, free, files)
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

/// Linux's internal restart code of calls that never restart after a
/// handler (ERESTARTSYS, which may, is in `errno`).
pub const ERESTARTNOHAND: Errno = 514;

/// How system call `nr` ends when a signal interrupts it: sleeps, waits
/// for signals, poll and select report EINTR to a handler even with
/// SA_RESTART (ERESTARTNOHAND, ERESTART_RESTARTBLOCK in Linux); the others
/// are restarted after an SA_RESTART handler (ERESTARTSYS).
pub fn restart_code(nr: u32) -> Errno {
    match nr {
        // nanosleep, clock_nanosleep(_time64), pause, sigsuspend,
        // rt_sigsuspend, poll, ppoll(_time64), _newselect, pselect6(_time64)
        162 | 267 | 407 | 29 | 72 | 179 | 168 | 309 | 414 | 142 | 308 | 413 => ERESTARTNOHAND,
        _ => ERESTARTSYS,
    }
}

/// Lowest signal number in a mask (the mask is not empty).
pub fn lowest(mask: u64) -> u32 {
    mask.trailing_zeros() + 1
}
