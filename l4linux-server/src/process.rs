//! Process life cycle: the first process, fork/vfork/clone, execve, exit,
//! waiting for children, and re-parenting orphans to pid 1.

use crate::elf;
use crate::errno::*;
use crate::file::FdTable;
use crate::linux::clone::*;
use crate::linux::sig::*;
use crate::linux::wait::*;
use crate::mm::{Ctx, Mm};
use crate::platform::{Platform, Regs};
use crate::proc::*;
use crate::system::*;
use alloc::vec::Vec;

/// Longest `#!` line, and how deep scripts may nest.
const BINPRM_BUF: usize = 256;
const MAX_INTERP_DEPTH: usize = 4;

impl<P: Platform> Linux<P> {
    /// Start the first process (pid 1) running `argv[0]`.
    pub fn spawn_init(&mut self, argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) -> Result<Pid, Errno> {
        let pid = self.alloc_pid().ok_or(EAGAIN)?;
        self.init = pid;
        let root = self.vfs.root();
        let p = Process {
            pid,
            ppid: 0,
            pgid: pid,
            sid: pid,
            task: 0,
            state: State::Running,
            regs: Regs::default(),
            mm: Mm::default(),
            fds: FdTable::default(),
            cwd: root,
            umask: 0o022,
            uid: 0,
            euid: 0,
            gid: 0,
            egid: 0,
            sig: Signals::default(),
            exit_signal: SIGCHLD,
            exe: Vec::new(),
            argv: Vec::new(),
            tls: [Tls::default(); 3],
            clear_tid: 0,
            vfork_parent: None,
            execd: false,
            start_ns: self.now_ns(),
            utime_ns: 0,
            stime_ns: 0,
            cutime_ns: 0,
            cstime_ns: 0,
            wait_event: None,
            alarm: None,
            fault: (0, 0, 0),
            progress: 0,
            deadline: 0,
            saved_mask: None,
            restart: None,
            name: None,
            rlimits: crate::sys::default_rlimits(),
        };
        self.vfs.retain(root);
        self.procs.insert(pid, p);
        // stdin, stdout, stderr on the console
        let console = self.open_console()?;
        let fds = &mut self.proc_mut(pid).fds;
        fds.place(0, console.clone(), false);
        fds.place(1, console.clone(), false);
        fds.place(2, console, false);
        self.tty.foreground = pid;
        self.tty.session = pid;
        let path = argv.first().cloned().unwrap_or_default();
        match self.exec(pid, &path, argv, envp, 0) {
            Ok(()) => Ok(pid),
            Err(e) => {
                self.procs.remove(&pid);
                Err(e)
            }
        }
    }

    /// Replace the program of `pid` (which has no running task, or whose
    /// task is replaced) with the program at `path`.
    pub(crate) fn exec(&mut self, pid: Pid, path: &[u8], argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>, depth: usize) -> Result<(), Errno> {
        self.exec_as(pid, path, argv, envp, depth, path)
    }

    /// exec of `path`; `filename` is what the program asked to run (a
    /// script's name while its interpreter is loaded): the process's
    /// command name is its last component, as in Linux.
    fn exec_as(&mut self, pid: Pid, path: &[u8], argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>, depth: usize, filename: &[u8]) -> Result<(), Errno> {
        let cwd = self.proc(pid).cwd;
        let ino = match self.proc_exec_target(pid, cwd, path) {
            Some(target) => self.vfs.resolve(cwd, &target?, true)?,
            None => self.vfs.resolve(cwd, path, true)?,
        };
        let attr = self.vfs.attr(ino);
        if attr.kind != crate::vfs::Kind::File {
            return Err(EACCES);
        }
        if attr.mode & 0o111 == 0 {
            return Err(EACCES);
        }
        let now = self.now();
        let mut head = alloc::vec![0u8; 4096];
        let n = self.vfs.read(ino, 0, &mut head, now)?;
        head.truncate(n);
        if head.starts_with(b"#!") {
            if depth >= MAX_INTERP_DEPTH {
                return Err(ELOOP);
            }
            let line_end = head.iter().position(|&c| c == b'\n').unwrap_or(head.len()).min(BINPRM_BUF);
            let line = &head[2..line_end];
            let line: Vec<u8> = line.iter().copied().skip_while(|c| *c == b' ' || *c == b'\t').collect();
            let (interp, arg) = match line.iter().position(|c| *c == b' ' || *c == b'\t') {
                Some(i) => {
                    let rest: Vec<u8> = line[i..].iter().copied().skip_while(|c| *c == b' ' || *c == b'\t').collect();
                    let rest: Vec<u8> = rest.iter().copied().rev().skip_while(|c| *c == b' ' || *c == b'\t' || *c == b'\r').collect::<Vec<u8>>().into_iter().rev().collect();
                    (line[..i].to_vec(), if rest.is_empty() { None } else { Some(rest) })
                }
                None => (line.iter().copied().rev().skip_while(|c| *c == b'\r').collect::<Vec<u8>>().into_iter().rev().collect(), None),
            };
            if interp.is_empty() {
                return Err(ENOEXEC);
            }
            let mut nargv = alloc::vec![interp.clone()];
            nargv.extend(arg);
            nargv.push(path.to_vec());
            nargv.extend(argv.into_iter().skip(1));
            return self.exec_as(pid, &interp, nargv, envp, depth + 1, filename);
        }
        let vfs = &mut self.vfs;
        let img = elf::parse(&head, &mut |off, buf| vfs.read(ino, off, buf, now).unwrap_or(0))?;
        if let Some(interp) = &img.interp {
            // dynamically linked: no loader here
            return Err(if self.vfs.resolve(cwd, interp, true).is_ok() { ENOEXEC } else { ENOENT });
        }
        // build the new image in a fresh address space
        let mut mm = Mm::default();
        let (brk, phdr) = elf::map_segments(&img, ino, &mut mm)?;
        let brk_start = ((brk as u64 + 0xFFF) & !0xFFF) as u32;
        mm.brk_start = brk_start;
        mm.brk = brk_start;
        let mut random = [0u8; 16];
        self.plat.random(&mut random);
        let p = self.proc(pid);
        let aux = elf::AuxInfo { uid: p.uid, euid: p.euid, gid: p.gid, egid: p.egid, hwcap: self.hwcap, platform: self.platform(), random };
        let sp = {
            let mut src = crate::system::VfsSource(&mut self.vfs);
            let mut ctx = Ctx { pool: &mut self.pool, files: &mut src, revoke: &mut self.revoke };
            match elf::build_stack(&mut mm, &mut ctx, &img, phdr, &argv, &envp, path, &aux) {
                Ok(sp) => sp,
                Err(e) => {
                    mm.clear(ctx.pool);
                    return Err(e);
                }
            }
        };
        let Some(task) = self.plat.create_task() else {
            mm.clear(&mut self.pool);
            return Err(ENOMEM);
        };
        // point of no return: drop the old image
        let p = self.procs.get_mut(&pid).unwrap();
        let old_task = p.task;
        let mut old_mm = core::mem::replace(&mut p.mm, mm);
        old_mm.clear(&mut self.pool);
        if old_task != 0 {
            self.tasks.remove(&old_task);
            self.plat.destroy_task(old_task);
        }
        // /proc/<pid>/exe names the file itself (symbolic links resolved)
        let exe = self.vfs.path_of_any(ino).unwrap_or_else(|_| path.to_vec());
        let p = self.procs.get_mut(&pid).unwrap();
        p.task = task;
        p.exe = exe;
        p.execd = true;
        let base = filename.rsplit(|&c| c == b'/').next().unwrap_or_default();
        p.name = Some(base[..base.len().min(15)].to_vec());
        p.argv = argv;
        p.tls = [Tls::default(); 3];
        p.clear_tid = 0;
        p.sig.altstack = (0, 0, p.sig.altstack.2);
        // handled signals revert to default; ignored ones stay ignored
        for a in p.sig.actions.iter_mut() {
            if a.handler != SIG_IGN {
                *a = SigAction::default();
            }
        }
        let cloexec = p.fds.drain(true);
        let vfork_parent = p.vfork_parent.take();
        self.tasks.insert(task, pid);
        for f in cloexec {
            self.release_file(f);
        }
        if let Some(parent) = vfork_parent {
            self.vfork_done(parent, pid);
        }
        self.plat.start_task(task, img.entry + img.bias, sp, 0, false);
        Ok(())
    }

    fn platform(&self) -> &'static [u8] {
        self.machine
    }

    /// fork, vfork and the process forms of clone. Returns the child pid.
    pub(crate) fn fork(&mut self, pid: Pid, regs: &Regs, flags: u32, child_stack: u32, tls_desc: u32, ptid: u32, ctid: u32) -> Sys {
        if flags & (CLONE_THREAD | CLONE_SIGHAND) != 0 || (flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0) {
            self.log_fmt(format_args!("l4linux: clone flags {flags:#x} (threads) not supported"));
            return err(EINVAL);
        }
        if self.pool.free_frames() < FORK_RESERVE {
            return err(ENOMEM);
        }
        let Some(child) = self.alloc_pid() else { return err(EAGAIN) };
        let Some(task) = self.plat.create_task() else { return err(EAGAIN) };
        let vfork = flags & CLONE_VFORK != 0;
        let segs = self.plat.segments(self.proc(pid).task);
        let parent = self.procs.get_mut(&pid).unwrap();
        // CLONE_VM shares the memory (vfork); CLONE_VFORK alone only makes
        // the parent wait, the child gets a copy-on-write copy
        let mm = if flags & CLONE_VM != 0 {
            parent.mm.share(&mut self.pool)
        } else {
            let mut src = crate::system::VfsSource(&mut self.vfs);
            match parent.mm.fork(&mut Ctx { pool: &mut self.pool, files: &mut src, revoke: &mut self.revoke }) {
                Ok(mm) => mm,
                Err(e) => {
                    self.flush_revokes();
                    self.plat.destroy_task(task);
                    return err(e);
                }
            }
        };
        let parent = self.procs.get(&pid).unwrap();
        let mut c = Process {
            pid: child,
            ppid: if flags & CLONE_PARENT != 0 { parent.ppid } else { pid },
            pgid: parent.pgid,
            sid: parent.sid,
            task,
            state: State::Running,
            regs: Regs::default(),
            mm,
            fds: parent.fds.clone(),
            cwd: parent.cwd,
            umask: parent.umask,
            uid: parent.uid,
            euid: parent.euid,
            gid: parent.gid,
            egid: parent.egid,
            sig: parent.sig.clone(),
            exit_signal: flags & CSIGNAL,
            exe: parent.exe.clone(),
            argv: parent.argv.clone(),
            tls: parent.tls,
            clear_tid: if flags & CLONE_CHILD_CLEARTID != 0 { ctid } else { 0 },
            vfork_parent: vfork.then_some(pid),
            execd: false,
            start_ns: self.now_ns(),
            utime_ns: 0,
            stime_ns: 0,
            cutime_ns: 0,
            cstime_ns: 0,
            wait_event: None,
            alarm: None,
            fault: (0, 0, 0),
            progress: 0,
            deadline: 0,
            saved_mask: None,
            restart: None,
            name: None,
            rlimits: parent.rlimits,
        };
        // the child shares the parent's open file descriptions (a pipe end
        // counts descriptions, so nothing changes there)
        c.sig.pending = 0;
        self.flush_revokes();
        self.vfs.retain(c.cwd);
        self.procs.insert(child, c);
        self.tasks.insert(task, child);
        let tls = self.proc(pid).tls;
        for (i, t) in tls.iter().enumerate() {
            if t.used {
                self.plat.set_tls(task, i as u32, t.base, t.limit, t.flags);
            }
        }
        if flags & CLONE_SETTLS != 0 {
            // a user_desc for the child
            let _ = self.set_thread_area_for(child, tls_desc);
        }
        let mut cregs = *regs;
        cregs.eax = 0;
        if child_stack != 0 {
            cregs.esp = child_stack;
        }
        if flags & CLONE_CHILD_SETTID != 0 {
            let _ = self.write_u32(child, ctid, child);
        }
        if flags & CLONE_PARENT_SETTID != 0 {
            let _ = self.write_u32(pid, ptid, child);
        }
        self.fresh.insert(child, cregs);
        self.plat.start_task(task, regs.eip, cregs.esp, segs, true);
        if vfork {
            // the parent waits until the child execs or exits
            return Sys::Block(Wait::Vfork(child));
        }
        Sys::Ret(child)
    }

    /// The vfork child `child` of `parent` exec'd or exited.
    fn vfork_done(&mut self, parent: Pid, child: Pid) {
        if let Some(p) = self.procs.get_mut(&parent) {
            if p.state == State::Blocked(Wait::Vfork(child)) {
                p.state = State::Running;
                let mut r = p.regs;
                r.eax = child;
                self.finish(parent, r, false);
            }
        }
    }

    /// End process `pid` with wait status `status`.
    pub fn exit_process(&mut self, pid: Pid, status: u32) {
        let Some(p) = self.procs.get_mut(&pid) else { return };
        if p.is_zombie() {
            return;
        }
        if self.strace {
            self.log_fmt(format_args!("[{pid}] exits, wait status {status:#x}"));
        }
        let root = self.vfs.root();
        let Some(p) = self.procs.get_mut(&pid) else { return };
        let task = p.task;
        p.task = 0;
        p.state = State::Zombie(status);
        // the working directory's reference (taken by fork and chdir)
        let cwd = core::mem::replace(&mut p.cwd, root);
        p.alarm = None;
        let files = p.fds.drain(false);
        let vfork_parent = p.vfork_parent.take();
        let ppid = p.ppid;
        let uid = p.uid;
        let exit_signal = p.exit_signal;
        let mut mm = core::mem::take(&mut p.mm);
        mm.clear(&mut self.pool);
        self.fresh.remove(&pid);
        if task != 0 {
            self.tasks.remove(&task);
            self.plat.destroy_task(task);
        }
        for f in files {
            self.release_file(f);
        }
        self.vfs.release(cwd);
        if let Some(parent) = vfork_parent {
            self.vfork_done(parent, pid);
        }
        // orphans go to init; zombies among them are reaped by init's waits
        let init = self.init;
        let orphans: Vec<Pid> = self.procs.values().filter(|c| c.ppid == pid).map(|c| c.pid).collect();
        let mut orphan_zombie = false;
        for o in orphans {
            let c = self.procs.get_mut(&o).unwrap();
            c.ppid = init;
            orphan_zombie |= c.is_zombie();
        }
        if orphan_zombie && init != pid {
            self.wake(Event::Child);
        }
        if pid == init {
            self.plat.shutdown(shell_status(status));
            return;
        }
        // the parent learns of it (or, ignoring SIGCHLD, reaps it at once)
        // (a parent that ignores SIGCHLD gets no signal and no zombie; with
        // SA_NOCLDWAIT it gets the signal but no zombie)
        let (ignored, no_zombie) = self.procs.get(&ppid).map_or((false, false), |pp| {
            let a = pp.sig.actions[SIGCHLD as usize - 1];
            (a.handler == SIG_IGN, a.handler == SIG_IGN || a.flags & SA_NOCLDWAIT != 0)
        });
        if no_zombie {
            self.procs.remove(&pid);
        }
        // as in Linux, a parent waiting for the child finds it before the
        // signal arrives (a wait4 it is blocked in returns the child
        // rather than EINTR)
        self.wake(Event::Child);
        if exit_signal != 0 && !(ignored && exit_signal == SIGCHLD) {
            let (code, value) = if status & 0x7F == 0 {
                (CLD_EXITED, (status >> 8) & 0xFF)
            } else if status & 0x80 != 0 {
                (CLD_DUMPED, status & 0x7F)
            } else {
                (CLD_KILLED, status & 0x7F)
            };
            self.post_signal(ppid, exit_signal, SigInfo { code, pid, uid, status: value, addr: 0 });
        }
    }

    /// Child `child` of `ppid` stopped or continued (`code` CLD_STOPPED or
    /// CLD_CONTINUED, `sig` the signal that did it): tell the parent.
    pub(crate) fn child_changed(&mut self, ppid: Pid, child: Pid, code: i32, sig: u32) {
        let no_stop_signal = self
            .procs
            .get(&ppid)
            .is_some_and(|pp| pp.sig.actions[SIGCHLD as usize - 1].flags & SA_NOCLDSTOP != 0);
        self.wake(Event::Child);
        if !no_stop_signal {
            let uid = self.procs.get(&child).map_or(0, |c| c.uid);
            self.post_signal(ppid, SIGCHLD, SigInfo { code, pid: child, uid, status: sig, addr: 0 });
        }
    }

    /// wait4 / waitpid / waitid core: find a child matching `which`
    /// (`pid > 0`: that child, `0`: our group, `-1`: any, `< -1`: group).
    /// Returns (child, status) and reaps it unless WNOWAIT.
    pub(crate) fn wait_child(&mut self, pid: Pid, which: i32, options: u32) -> Result<Option<(Pid, u32)>, Errno> {
        let me = self.proc(pid);
        let my_pgid = me.pgid;
        let matches = |c: &Process| {
            c.ppid == pid
                && match which {
                    w if w > 0 => c.pid == w as u32,
                    0 => c.pgid == my_pgid,
                    -1 => true,
                    w => c.pgid == w.unsigned_abs(),
                }
        };
        let candidates: Vec<Pid> = self.procs.values().filter(|c| matches(c)).map(|c| c.pid).collect();
        if candidates.is_empty() {
            return Err(ECHILD);
        }
        for c in &candidates {
            let child = self.procs.get_mut(c).unwrap();
            match child.state {
                State::Zombie(status) if options & WEXITED != 0 => {
                    if options & WNOWAIT == 0 {
                        let (ut, st) = (child.utime_ns + child.cutime_ns, child.stime_ns + child.cstime_ns);
                        self.procs.remove(c);
                        let me = self.proc_mut(pid);
                        me.cutime_ns += ut;
                        me.cstime_ns += st;
                    }
                    return Ok(Some((*c, status)));
                }
                _ => {}
            }
            match child.wait_event {
                Some(0xFFFF) if options & WCONTINUED != 0 => {
                    if options & WNOWAIT == 0 {
                        child.wait_event = None;
                    }
                    return Ok(Some((*c, 0xFFFF)));
                }
                Some(s) if s != 0xFFFF && options & WUNTRACED != 0 && matches!(child.state, State::Stopped(_)) => {
                    if options & WNOWAIT == 0 {
                        child.wait_event = None;
                    }
                    return Ok(Some((*c, s)));
                }
                _ => {}
            }
        }
        Ok(None)
    }
}
