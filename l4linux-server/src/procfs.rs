//! /proc: files generated from the server's state when they are opened
//! (self, <pid>/stat, status, cmdline, comm, exe, cwd, fd/, maps, and the
//! global meminfo, mounts, uptime, loadavg, version, cpuinfo, filesystems).
//! Paths are recognised by their text before the tmpfs sees them; /proc
//! itself is an empty tmpfs directory (the mount point).

use crate::errno::*;
use crate::file::{new_file, FileRef, Kind};
use crate::platform::Platform;
use crate::proc::*;
use crate::system::*;
use crate::vfs::{self, Attr};
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

/// What a /proc path names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Root,
    /// /proc/self (a symlink to the caller's pid).
    SelfLink,
    PidDir(Pid),
    /// /proc/<pid>/<file>
    PidFile(Pid, &'static str),
    /// /proc/<pid>/exe and cwd
    PidLink(Pid, &'static str),
    FdDir(Pid),
    /// /proc/<pid>/fd/<n>
    FdLink(Pid, i32),
    Global(&'static str),
}

const PID_FILES: [&str; 5] = ["stat", "status", "cmdline", "comm", "maps"];
const PID_LINKS: [&str; 2] = ["exe", "cwd"];
const GLOBALS: [&str; 8] = ["meminfo", "mounts", "uptime", "loadavg", "version", "cpuinfo", "filesystems", "stat"];

/// Lexically normalised absolute path components.
fn components(base_path: &[u8], path: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let full: Vec<u8> = if path.first() == Some(&b'/') {
        path.to_vec()
    } else {
        let mut v = base_path.to_vec();
        v.push(b'/');
        v.extend_from_slice(path);
        v
    };
    for c in full.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                out.pop();
            }
            c => out.push(c.to_vec()),
        }
    }
    out
}

fn parse_num(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.iter().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.iter().try_fold(0u32, |a, c| a.checked_mul(10)?.checked_add((c - b'0') as u32))
}

fn ino_of(n: &Node) -> u32 {
    let base = 0x4000_0000;
    match n {
        Node::Root => base + 1,
        Node::SelfLink => base + 2,
        Node::Global(g) => base + 16 + GLOBALS.iter().position(|x| x == g).unwrap_or(0) as u32,
        Node::PidDir(p) => base + (p << 8),
        Node::PidFile(p, f) => base + (p << 8) + 1 + PID_FILES.iter().position(|x| x == f).unwrap_or(0) as u32,
        Node::PidLink(p, f) => base + (p << 8) + 16 + PID_LINKS.iter().position(|x| x == f).unwrap_or(0) as u32,
        Node::FdDir(p) => base + (p << 8) + 32,
        Node::FdLink(p, fd) => base + 0x1000_0000 + (p << 12) + *fd as u32,
    }
}

impl<P: Platform> Linux<P> {
    /// The /proc node a path names (None: not under /proc). `follow`
    /// resolves /proc/self in the last component too.
    fn proc_node(&self, pid: Pid, base: u32, path: &[u8], follow: bool) -> Option<Result<Node, Errno>> {
        let base_path = if path.first() == Some(&b'/') { Vec::new() } else { self.vfs.path_of(base).ok()? };
        let mut comps = components(&base_path, path);
        // /dev/stdin, stdout, stderr and fd are tmpfs links into /proc,
        // which the tmpfs cannot follow: follow them here (unless the link
        // itself is asked for)
        if comps.len() >= 2 && comps[0].as_slice() == b"dev" && (follow || comps.len() > 2) {
            let mut link = b"/dev/".to_vec();
            link.extend_from_slice(&comps[1]);
            let target = self.vfs.resolve(self.vfs.root(), &link, false).and_then(|i| self.vfs.readlink(i));
            if let Some(t) = target.ok().filter(|t| t.starts_with(b"/proc/")) {
                let mut c = components(b"", &t);
                c.extend_from_slice(&comps[2..]);
                comps = c;
            }
        }
        if comps.first().map(|c| c.as_slice()) != Some(b"proc") {
            return None;
        }
        let rest = &comps[1..];
        let lookup_pid = |s: &[u8], last: bool| -> Result<Option<Pid>, Errno> {
            if s == b"self" {
                return Ok(if last && !follow { None } else { Some(pid) });
            }
            match parse_num(s) {
                Some(p) if self.procs.contains_key(&p) => Ok(Some(p)),
                _ => Err(ENOENT),
            }
        };
        Some((|| {
            Ok(match rest {
                [] => Node::Root,
                [g] if GLOBALS.contains(&core::str::from_utf8(g).unwrap_or("")) => {
                    Node::Global(GLOBALS.iter().find(|x| x.as_bytes() == g.as_slice()).copied().unwrap_or("stat"))
                }
                [p] => match lookup_pid(p, true)? {
                    Some(p) => Node::PidDir(p),
                    None => Node::SelfLink,
                },
                [p, f] => {
                    let p = lookup_pid(p, false)?.unwrap_or(pid);
                    let f = core::str::from_utf8(f).unwrap_or("");
                    if let Some(n) = PID_FILES.iter().find(|x| **x == f) {
                        Node::PidFile(p, n)
                    } else if let Some(n) = PID_LINKS.iter().find(|x| **x == f) {
                        Node::PidLink(p, n)
                    } else if f == "fd" {
                        Node::FdDir(p)
                    } else {
                        return Err(ENOENT);
                    }
                }
                [p, fd, n] if fd.as_slice() == b"fd" => {
                    let p = lookup_pid(p, false)?.unwrap_or(pid);
                    let n = parse_num(n).ok_or(ENOENT)? as i32;
                    if self.proc(p).fds.get(n).is_none() {
                        return Err(ENOENT);
                    }
                    Node::FdLink(p, n)
                }
                _ => return Err(ENOENT),
            })
        })())
    }

    /// The target of a /proc symlink.
    fn proc_link_target(&self, pid: Pid, n: &Node) -> Result<Vec<u8>, Errno> {
        match n {
            Node::SelfLink => Ok(format!("{pid}").into_bytes()),
            Node::PidLink(p, "exe") => Ok(self.proc(*p).exe.clone()),
            Node::PidLink(p, _) => self.vfs.path_of(self.proc(*p).cwd),
            Node::FdLink(p, fd) => {
                let f = self.proc(*p).fds.get(*fd).ok_or(ENOENT)?;
                let of = f.borrow();
                Ok(match &of.kind {
                    Kind::PipeRead(id) | Kind::PipeWrite(id) => format!("pipe:[{}]", 0x1000_0000 + id).into_bytes(),
                    Kind::Inode(i) | Kind::Device(i, _) => self.vfs.path_of_any(*i).unwrap_or_else(|_| of.path.clone()),
                    Kind::Proc(..) | Kind::ProcDir(..) => of.path.clone(),
                })
            }
            _ => Err(EINVAL),
        }
    }

    fn proc_attr_of(&self, pid: Pid, n: &Node) -> Attr {
        let t = self.now();
        let (kind, mode, size) = match n {
            Node::Root | Node::PidDir(_) | Node::FdDir(_) => (vfs::Kind::Dir, 0o555, 0),
            Node::SelfLink | Node::PidLink(..) | Node::FdLink(..) => {
                let len = self.proc_link_target(pid, n).map(|v| v.len()).unwrap_or(0);
                (vfs::Kind::Symlink, 0o777, len as u64)
            }
            Node::PidFile(..) | Node::Global(_) => (vfs::Kind::File, 0o444, 0),
        };
        Attr { ino: ino_of(n), kind, mode, nlink: 1, uid: 0, gid: 0, size, blocks: 0, atime: t, mtime: t, ctime: t }
    }

    /// What a /proc path leads to for execve: the tmpfs path behind a link
    /// (`/proc/self/exe`, which busybox runs itself through, or
    /// `/proc/<pid>/fd/N`); EACCES for the other /proc files. None: not
    /// under /proc.
    pub(crate) fn proc_exec_target(&self, pid: Pid, base: u32, path: &[u8]) -> Option<Result<Vec<u8>, Errno>> {
        Some(match self.proc_node(pid, base, path, true)? {
            Ok(n @ (Node::PidLink(..) | Node::FdLink(..))) => self.proc_link_target(pid, &n),
            Ok(_) => Err(EACCES),
            Err(e) => Err(e),
        })
    }

    /// stat/lstat/access of a /proc path given by user address `addr`.
    pub(crate) fn proc_attr(&mut self, pid: Pid, dirfd: i32, addr: u32, follow: bool) -> Option<Result<Attr, Errno>> {
        let path = self.read_cstr(pid, addr, 4095).ok()?;
        let base = self.proc_base(pid, dirfd, &path)?;
        let node = match self.proc_node(pid, base, &path, follow)? {
            Ok(n) => n,
            Err(e) => return Some(Err(e)),
        };
        // following a link out of /proc (exe, cwd, fd/N) lands in the tmpfs
        if follow && matches!(node, Node::PidLink(..) | Node::FdLink(..)) {
            let target = match self.proc_link_target(pid, &node) {
                Ok(t) => t,
                Err(e) => return Some(Err(e)),
            };
            let root = self.vfs.root();
            return Some(match self.vfs.resolve(root, &target, true) {
                Ok(i) => Ok(self.vfs.attr(i)),
                Err(_) => Ok(self.proc_attr_of(pid, &node)),
            });
        }
        Some(Ok(self.proc_attr_of(pid, &node)))
    }

    fn proc_base(&self, pid: Pid, dirfd: i32, path: &[u8]) -> Option<u32> {
        if path.first() == Some(&b'/') || dirfd == crate::linux::fcntl::AT_FDCWD {
            return Some(self.proc(pid).cwd);
        }
        match self.proc(pid).fds.get(dirfd)?.borrow().kind {
            Kind::Inode(i) => Some(i),
            _ => None,
        }
    }

    pub(crate) fn proc_readlink(&mut self, pid: Pid, dirfd: i32, addr: u32) -> Option<Result<Vec<u8>, Errno>> {
        let path = self.read_cstr(pid, addr, 4095).ok()?;
        let base = self.proc_base(pid, dirfd, &path)?;
        Some(match self.proc_node(pid, base, &path, false)? {
            Ok(n) if matches!(n, Node::SelfLink | Node::PidLink(..) | Node::FdLink(..)) => self.proc_link_target(pid, &n),
            Ok(_) => Err(EINVAL),
            Err(e) => Err(e),
        })
    }

    /// open() of a /proc path: a snapshot of the generated contents.
    pub(crate) fn open_proc(&mut self, pid: Pid, base: u32, path: &[u8], flags: u32) -> Option<Result<i32, Errno>> {
        use crate::linux::fcntl::*;
        let node = match self.proc_node(pid, base, path, flags & O_NOFOLLOW == 0)? {
            Ok(n) => n,
            Err(e) => return Some(Err(if flags & O_CREAT != 0 { EACCES } else { e })),
        };
        if matches!(node, Node::PidLink(..) | Node::FdLink(..)) && flags & O_NOFOLLOW == 0 {
            // opening a link opens what it points to, with the caller's
            // flags: a pipe's other end, or the file by its path
            if let Node::FdLink(p, fd) = node {
                let kind = self.proc(p).fds.get(fd).map(|f| f.borrow().kind.clone());
                if let Some(Kind::PipeRead(id) | Kind::PipeWrite(id)) = kind {
                    return Some(self.reopen_pipe(pid, id, flags));
                }
            }
            let target = match self.proc_link_target(pid, &node) {
                Ok(t) => t,
                Err(e) => return Some(Err(e)),
            };
            let root = self.vfs.root();
            return Some(self.open_path(pid, root, &target, flags, 0));
        }
        if flags & O_ACCMODE != O_RDONLY || flags & O_CREAT != 0 {
            return Some(Err(EACCES));
        }
        let ino = ino_of(&node);
        let kind = match &node {
            Node::Root | Node::PidDir(_) | Node::FdDir(_) => Kind::ProcDir(Rc::new(self.proc_listing(pid, &node)), ino),
            // (links are followed above unless O_NOFOLLOW)
            Node::SelfLink | Node::PidLink(..) | Node::FdLink(..) => return Some(Err(ELOOP)),
            _ => {
                if flags & O_DIRECTORY != 0 {
                    return Some(Err(ENOTDIR));
                }
                Kind::Proc(Rc::new(self.proc_contents(&node)), ino)
            }
        };
        let f = new_file(kind, O_RDONLY, path);
        Some(self.proc_mut(pid).fds.alloc(f, 0, flags & O_CLOEXEC != 0).ok_or(EMFILE))
    }

    /// A new open file of pipe `id` through /proc/<pid>/fd/<n>: its read
    /// end for O_RDONLY, its write end for O_WRONLY. (Linux also opens a
    /// pipe read-write this way; here that is EACCES.)
    fn reopen_pipe(&mut self, pid: Pid, id: u32, flags: u32) -> Result<i32, Errno> {
        use crate::linux::fcntl::*;
        let Some(p) = self.pipes.get_mut(&id) else { return Err(ENOENT) };
        let kind = match flags & O_ACCMODE {
            O_RDONLY => {
                p.readers += 1;
                Kind::PipeRead(id)
            }
            O_WRONLY => {
                p.writers += 1;
                Kind::PipeWrite(id)
            }
            _ => return Err(EACCES),
        };
        let name = format!("pipe:[{}]", 0x1000_0000 + id).into_bytes();
        let f = new_file(kind, flags & (O_ACCMODE | O_NONBLOCK), &name);
        match self.proc_mut(pid).fds.alloc(f.clone(), 0, flags & O_CLOEXEC != 0) {
            Some(fd) => Ok(fd),
            None => {
                self.release_file(f);
                Err(EMFILE)
            }
        }
    }

    /// Entries of a /proc directory: (ino, name, d_type).
    fn proc_listing(&self, pid: Pid, n: &Node) -> Vec<(u32, Vec<u8>, u8)> {
        const DT_DIR: u8 = 4;
        const DT_REG: u8 = 8;
        const DT_LNK: u8 = 10;
        let mut v = alloc::vec![(ino_of(n), b".".to_vec(), DT_DIR), (ino_of(&Node::Root), b"..".to_vec(), DT_DIR)];
        match n {
            Node::Root => {
                v.push((ino_of(&Node::SelfLink), b"self".to_vec(), DT_LNK));
                for g in GLOBALS {
                    v.push((ino_of(&Node::Global(g)), g.as_bytes().to_vec(), DT_REG));
                }
                for p in self.procs.keys() {
                    v.push((ino_of(&Node::PidDir(*p)), format!("{p}").into_bytes(), DT_DIR));
                }
            }
            Node::PidDir(p) => {
                for f in PID_FILES {
                    v.push((ino_of(&Node::PidFile(*p, f)), f.as_bytes().to_vec(), DT_REG));
                }
                for f in PID_LINKS {
                    v.push((ino_of(&Node::PidLink(*p, f)), f.as_bytes().to_vec(), DT_LNK));
                }
                v.push((ino_of(&Node::FdDir(*p)), b"fd".to_vec(), DT_DIR));
            }
            Node::FdDir(p) => {
                for (fd, _) in self.proc(*p).fds.iter() {
                    v.push((ino_of(&Node::FdLink(*p, fd)), format!("{fd}").into_bytes(), DT_LNK));
                }
            }
            _ => {}
        }
        let _ = pid;
        v
    }

    /// getdents64 on a /proc directory.
    pub(crate) fn proc_getdents(&mut self, pid: Pid, f: &FileRef, buf: u32, count: u32) -> Option<Sys> {
        let (list, start) = match &f.borrow().kind {
            Kind::ProcDir(l, _) => (l.clone(), f.borrow().offset as usize),
            _ => return None,
        };
        let mut out = Vec::new();
        let mut i = start;
        while i < list.len() {
            let (ino, name, ty) = &list[i];
            let reclen = (19 + name.len() + 1 + 7) & !7;
            if out.len() + reclen > count as usize {
                if out.is_empty() {
                    return Some(err(EINVAL));
                }
                break;
            }
            let at = out.len();
            out.resize(at + reclen, 0);
            out[at..at + 8].copy_from_slice(&(*ino as u64).to_le_bytes());
            out[at + 8..at + 16].copy_from_slice(&((i + 1) as u64).to_le_bytes());
            out[at + 16..at + 18].copy_from_slice(&(reclen as u16).to_le_bytes());
            out[at + 18] = *ty;
            out[at + 19..at + 19 + name.len()].copy_from_slice(name);
            i += 1;
        }
        if let Err(e) = self.copy_out(pid, buf, &out) {
            return Some(err(e));
        }
        f.borrow_mut().offset = i as u64;
        Some(Sys::Ret(out.len() as u32))
    }

    fn proc_contents(&self, n: &Node) -> Vec<u8> {
        let mut s = String::new();
        use core::fmt::Write;
        let now = self.now_ns();
        let hz = 100u64; // USER_HZ
        let ticks = |ns: u64| ns * hz / 1_000_000_000;
        match n {
            Node::Global("meminfo") => {
                let (total, free, files) = self.memory();
                let (total, free, files) = (total / 1024, free / 1024, files / 1024);
                let _ = write!(
                    s,
                    "MemTotal:       {total:8} kB\nMemFree:        {free:8} kB\nMemAvailable:   {free:8} kB\nBuffers:               0 kB\nCached:         {files:8} kB\nSwapCached:            0 kB\nShmem:          {files:8} kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n",
                );
            }
            Node::Global("mounts") => {
                s.push_str("rootfs / tmpfs rw 0 0\nproc /proc proc rw,nosuid,nodev,noexec 0 0\n");
            }
            Node::Global("filesystems") => s.push_str("nodev\ttmpfs\nnodev\tproc\n"),
            Node::Global("uptime") => {
                let up = now / 10_000_000;
                let _ = writeln!(s, "{}.{:02} {}.{:02}", up / 100, up % 100, up / 100, up % 100);
            }
            Node::Global("loadavg") => {
                let running = self.procs.values().filter(|p| p.state == State::Running).count();
                let last = self.procs.keys().next_back().copied().unwrap_or(0);
                let _ = writeln!(s, "{running}.00 {running}.00 {running}.00 {running}/{} {last}", self.procs.len());
            }
            Node::Global("version") => {
                let _ = writeln!(s, "Linux version 6.1.0-l4linux (uL4 personality server) #1 SMP");
            }
            Node::Global("cpuinfo") => {
                let family = if self.machine == b"i486" { 4 } else { 6 };
                let _ = write!(s, "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: {family}\nmodel name\t: QEMU Virtual CPU\nfpu\t\t: yes\nflags\t\t: fpu\n\n");
            }
            Node::Global(_) => {
                let t = ticks(now);
                let _ = write!(s, "cpu  0 0 0 {t} 0 0 0 0 0 0\ncpu0 0 0 0 {t} 0 0 0 0 0 0\nbtime {}\nprocesses {}\nprocs_running 1\n", self.plat.boot_epoch(), self.procs.len());
            }
            Node::PidFile(p, f) => {
                let Some(pr) = self.procs.get(p) else { return Vec::new() };
                let st = match pr.state {
                    State::Running => 'R',
                    State::Blocked(_) => 'S',
                    State::Stopped(_) => 'T',
                    State::Zombie(_) => 'Z',
                };
                let comm = String::from_utf8_lossy(pr.comm()).into_owned();
                let vsize = pr.mm.size();
                let rss = pr.mm.resident();
                match *f {
                    "stat" => {
                        let tty = if pr.sid == self.tty.session { 0x440 } else { 0 }; // ttyS0 = 4:64
                        let _ = writeln!(
                            s,
                            "{} ({}) {} {} {} {} {} {} 4194304 0 0 0 0 {} {} {} {} 20 0 1 0 {} {} {} 4294967295 {} {} {} {} 0 {} {} {} {} 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 {}",
                            pr.pid,
                            comm,
                            st,
                            pr.ppid,
                            pr.pgid,
                            pr.sid,
                            tty,
                            self.tty.foreground,
                            ticks(pr.utime_ns),
                            ticks(pr.stime_ns),
                            ticks(pr.cutime_ns),
                            ticks(pr.cstime_ns),
                            ticks(pr.start_ns),
                            vsize,
                            rss,
                            pr.mm.vmas.keys().next().copied().unwrap_or(0),
                            pr.mm.brk_start,
                            crate::mm::STACK_TOP,
                            0,
                            pr.sig.pending as u32,
                            pr.sig.blocked as u32,
                            pr.sig.actions.iter().enumerate().filter(|(_, a)| a.handler == SIG_IGN).fold(0u32, |m, (i, _)| if i < 32 { m | 1 << i } else { m }),
                            pr.sig.actions.iter().enumerate().filter(|(_, a)| a.handler > SIG_IGN).fold(0u32, |m, (i, _)| if i < 32 { m | 1 << i } else { m }),
                            match pr.state {
                                State::Zombie(st) => st,
                                _ => 0,
                            }
                        );
                    }
                    "status" => {
                        let state = match st {
                            'R' => "R (running)",
                            'S' => "S (sleeping)",
                            'T' => "T (stopped)",
                            _ => "Z (zombie)",
                        };
                        let ign = pr.sig.actions.iter().enumerate().filter(|(_, a)| a.handler == SIG_IGN).fold(0u64, |m, (i, _)| m | 1 << i);
                        let cgt = pr.sig.actions.iter().enumerate().filter(|(_, a)| a.handler > SIG_IGN).fold(0u64, |m, (i, _)| m | 1 << i);
                        let _ = write!(
                            s,
                            "Name:\t{comm}\nUmask:\t{:04o}\nState:\t{state}\nTgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0\nUid:\t{u}\t{eu}\t{eu}\t{eu}\nGid:\t{g}\t{eg}\t{eg}\t{eg}\nFDSize:\t{}\nGroups:\t{g}\nVmSize:\t{:8} kB\nVmRSS:\t{:8} kB\nThreads:\t1\nSigPnd:\t{:016x}\nShdPnd:\t0000000000000000\nSigBlk:\t{:016x}\nSigIgn:\t{ign:016x}\nSigCgt:\t{cgt:016x}\n",
                            pr.umask,
                            pr.pid,
                            pr.pid,
                            pr.ppid,
                            pr.fds.iter().map(|(fd, _)| fd + 1).max().unwrap_or(0).max(64),
                            vsize / 1024,
                            rss * 4,
                            pr.sig.pending,
                            pr.sig.blocked,
                            u = pr.uid,
                            eu = pr.euid,
                            g = pr.gid,
                            eg = pr.egid,
                        );
                    }
                    "cmdline" => {
                        let mut v = Vec::new();
                        for a in &pr.argv {
                            v.extend_from_slice(a);
                            v.push(0);
                        }
                        return v;
                    }
                    "comm" => {
                        let _ = writeln!(s, "{comm}");
                    }
                    _ => {
                        // maps
                        for (start, v) in &pr.mm.vmas {
                            let r = |b, c| if v.prot & b != 0 { c } else { '-' };
                            let name = match v.role {
                                crate::mm::Role::Heap => "[heap]".into(),
                                crate::mm::Role::Stack => "[stack]".into(),
                                crate::mm::Role::Image => String::from_utf8_lossy(&pr.exe).into_owned(),
                                crate::mm::Role::Mmap => String::new(),
                            };
                            let (off, ino) = match v.backing {
                                crate::mm::Backing::File { ino, offset, .. } => (offset, ino),
                                crate::mm::Backing::Anon => (0, 0),
                            };
                            let _ = writeln!(
                                s,
                                "{:08x}-{:08x} {}{}{}{} {:08x} 00:16 {:<10} {}",
                                start,
                                v.end,
                                r(crate::mm::R, 'r'),
                                r(crate::mm::W, 'w'),
                                r(crate::mm::X, 'x'),
                                if v.shared { 's' } else { 'p' },
                                off,
                                ino,
                                name
                            );
                        }
                    }
                }
            }
            _ => {}
        }
        s.into_bytes()
    }
}
