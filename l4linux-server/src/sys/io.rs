//! Reading and writing open files of every kind (tmpfs inodes, devices, the
//! console, pipes, /proc snapshots), descriptor management (dup, fcntl,
//! close, pipe), ioctl on the console, and waiting for several files
//! (poll, select).

use super::ok;
use crate::errno::*;
use crate::file::{new_file, Dev, FileRef, Kind, OpenFile};
use crate::linux::fcntl::*;
use crate::platform::Platform;
use crate::proc::*;
use crate::system::*;
use alloc::vec::Vec;

/// Largest single read or write the server moves at once.
const IO_CHUNK: usize = 1 << 20;

const POLLIN: u16 = 0x001;
const POLLPRI: u16 = 0x002;
const POLLOUT: u16 = 0x004;
const POLLERR: u16 = 0x008;
const POLLHUP: u16 = 0x010;
const POLLNVAL: u16 = 0x020;
const POLLRDNORM: u16 = 0x040;
const POLLWRNORM: u16 = 0x100;

pub const ENOLCK: Errno = 37;

/// Outcome of a read or write on one file.
enum Io {
    Done(Vec<u8>),
    Wrote(usize),
    Wait(Wait),
    Fail(Errno),
}

fn is_console(f: &FileRef) -> bool {
    matches!(f.borrow().kind, Kind::Device(_, Dev::Console))
}

impl<P: Platform> Linux<P> {
    pub(crate) fn file(&self, pid: Pid, fd: i32) -> Result<FileRef, Errno> {
        self.proc(pid).fds.get(fd).cloned().ok_or(EBADF)
    }

    /// Is `pid` a background process of the console's session?
    fn background(&self, pid: Pid) -> bool {
        let p = self.proc(pid);
        p.sid == self.tty.session && p.pgid != self.tty.foreground && self.tty.foreground != 0
    }

    /// Job control for a background process touching the console: send
    /// `sig` to its group and wait (the signal stops it); reading fails
    /// with EIO when SIGTTIN is ignored or blocked (writing goes ahead),
    /// and both fail with EIO for an orphaned group, as in Linux.
    fn tty_job_control(&mut self, pid: Pid, sig: u32) -> Option<Io> {
        if !self.background(pid) {
            return None;
        }
        let p = self.proc(pid);
        let a = p.sig.actions[sig as usize - 1];
        if p.sig.blocked & bit(sig) != 0 || a.handler == SIG_IGN {
            return if sig == crate::linux::sig::SIGTTIN { Some(Io::Fail(EIO)) } else { None };
        }
        let pg = p.pgid;
        if self.orphaned_group(pg) {
            return Some(Io::Fail(EIO));
        }
        self.signal_group(pg, sig);
        Some(Io::Wait(Wait::Tty))
    }

    fn read_file(&mut self, pid: Pid, f: &FileRef, count: usize, at: Option<u64>) -> Io {
        let count = count.min(IO_CHUNK);
        let mut of = f.borrow_mut();
        if !of.readable() {
            return Io::Fail(EBADF);
        }
        let nonblock = of.flags & O_NONBLOCK != 0;
        match of.kind.clone() {
            Kind::Inode(ino) => {
                let off = at.unwrap_or(of.offset);
                let mut buf = alloc::vec![0u8; count];
                let now = self.now();
                match self.vfs.read(ino, off, &mut buf, now) {
                    Ok(n) => {
                        buf.truncate(n);
                        if at.is_none() {
                            of.offset += n as u64;
                        }
                        Io::Done(buf)
                    }
                    Err(e) => Io::Fail(e),
                }
            }
            Kind::ProcDir(..) => Io::Fail(EISDIR),
            Kind::Proc(data, _) => {
                let off = at.unwrap_or(of.offset) as usize;
                let end = (off + count).min(data.len());
                let out = if off < end { data[off..end].to_vec() } else { Vec::new() };
                if at.is_none() {
                    of.offset += out.len() as u64;
                }
                Io::Done(out)
            }
            Kind::Device(_, dev) => match dev {
                Dev::Null => Io::Done(Vec::new()),
                Dev::Zero | Dev::Full => Io::Done(alloc::vec![0; count]),
                Dev::Random => {
                    let mut b = alloc::vec![0; count];
                    self.plat.random(&mut b);
                    Io::Done(b)
                }
                Dev::Console => {
                    drop(of);
                    if let Some(io) = self.tty_job_control(pid, crate::linux::sig::SIGTTIN) {
                        return io;
                    }
                    if count == 0 {
                        return Io::Done(Vec::new());
                    }
                    if self.tty.readable(count) {
                        return Io::Done(self.tty.read(count));
                    }
                    if nonblock {
                        return Io::Fail(EAGAIN);
                    }
                    if let Some(t) = self.tty.read_timeout_ns() {
                        let deadline = self.deadline(pid, t);
                        if self.now_ns() >= deadline {
                            return Io::Done(Vec::new());
                        }
                        return Io::Wait(Wait::Poll(Some(deadline)));
                    }
                    Io::Wait(Wait::Tty)
                }
            },
            Kind::PipeRead(id) => {
                let Some(p) = self.pipes.get_mut(&id) else { return Io::Done(Vec::new()) };
                if p.is_empty() {
                    if p.writers == 0 || count == 0 {
                        return Io::Done(Vec::new());
                    }
                    return if nonblock { Io::Fail(EAGAIN) } else { Io::Wait(Wait::Pipe(id)) };
                }
                let out = p.pop(count);
                drop(of);
                self.pipe_changed(id);
                Io::Done(out)
            }
            Kind::PipeWrite(_) => Io::Fail(EBADF),
        }
    }

    fn write_file(&mut self, pid: Pid, f: &FileRef, data: &[u8], at: Option<u64>) -> Io {
        self.write_file_as(pid, f, data, at, false)
    }

    /// Write to a file; with `no_wait` as if it were non-blocking (a pipe
    /// takes what fits now, or fails with EAGAIN).
    fn write_file_as(&mut self, pid: Pid, f: &FileRef, data: &[u8], at: Option<u64>, no_wait: bool) -> Io {
        let mut of = f.borrow_mut();
        if !of.writable() {
            return Io::Fail(EBADF);
        }
        let nonblock = of.flags & O_NONBLOCK != 0 || no_wait;
        match of.kind.clone() {
            Kind::Inode(ino) => {
                let now = self.now();
                let off = match at {
                    Some(o) => o,
                    None if of.flags & O_APPEND != 0 => self.vfs.attr(ino).size,
                    None => of.offset,
                };
                match self.vfs.write(ino, off, data, now) {
                    Ok(n) => {
                        if at.is_none() {
                            of.offset = off + n as u64;
                        }
                        Io::Wrote(n)
                    }
                    Err(e) => {
                        if e == EFBIG {
                            drop(of);
                            let info = SigInfo::from(SI_USER, pid, self.proc(pid).uid);
                            self.post_signal(pid, crate::linux::sig::SIGXFSZ, info);
                        }
                        Io::Fail(e)
                    }
                }
            }
            Kind::Proc(..) | Kind::ProcDir(..) => Io::Fail(EBADF),
            Kind::Device(_, dev) => match dev {
                Dev::Null | Dev::Zero | Dev::Random => Io::Wrote(data.len()),
                Dev::Full => Io::Fail(ENOSPC),
                Dev::Console => {
                    drop(of);
                    if self.tty.termios.lflag & crate::tty::TOSTOP != 0 {
                        if let Some(io) = self.tty_job_control(pid, crate::linux::sig::SIGTTOU) {
                            return io;
                        }
                    }
                    let out = self.tty.output(data);
                    self.plat.console_write(&out);
                    Io::Wrote(data.len())
                }
            },
            Kind::PipeWrite(id) => {
                drop(of);
                let done = self.proc(pid).progress as usize;
                let Some(p) = self.pipes.get_mut(&id) else { return Io::Fail(EPIPE) };
                if p.readers == 0 {
                    let info = SigInfo::from(SI_USER, pid, self.proc(pid).uid);
                    self.post_signal(pid, crate::linux::sig::SIGPIPE, info);
                    return if done > 0 { Io::Wrote(done) } else { Io::Fail(EPIPE) };
                }
                let rest = &data[done.min(data.len())..];
                if rest.is_empty() {
                    return Io::Wrote(done);
                }
                // page by page, as Linux (writes up to PIPE_BUF are atomic)
                let n = p.push(rest, done == 0);
                let total = done + n;
                if n > 0 {
                    self.pipe_changed(id);
                }
                if total == data.len() {
                    return Io::Wrote(total);
                }
                if nonblock {
                    return if total > 0 { Io::Wrote(total) } else { Io::Fail(EAGAIN) };
                }
                self.proc_mut(pid).progress = total as u32;
                Io::Wait(Wait::Pipe(id))
            }
            Kind::PipeRead(_) => Io::Fail(EBADF),
        }
    }

    /// The absolute deadline of a blocking call, fixed on its first run.
    pub(crate) fn deadline(&mut self, pid: Pid, rel_ns: u64) -> u64 {
        let now = self.now_ns();
        let p = self.proc_mut(pid);
        if p.deadline == 0 {
            p.deadline = now.saturating_add(rel_ns).max(1);
        }
        p.deadline
    }

    pub(super) fn sys_read(&mut self, pid: Pid, fd: i32, buf: u32, count: u32) -> Sys {
        self.sys_pread_at(pid, fd, buf, count, None)
    }

    fn sys_pread_at(&mut self, pid: Pid, fd: i32, buf: u32, count: u32, at: Option<u64>) -> Sys {
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        if (count as i32) < 0 {
            return err(EINVAL);
        }
        // (the terminal cannot seek: no positioned I/O on it, as in Linux)
        let seekable = matches!(f.borrow().kind, Kind::Inode(_) | Kind::Proc(..) | Kind::Device(..)) && !is_console(&f);
        if at.is_some() && !seekable {
            return err(ESPIPE);
        }
        if let Kind::Inode(ino) = f.borrow().kind {
            if self.vfs.attr(ino).kind == crate::vfs::Kind::Dir {
                return err(EISDIR);
            }
        }
        // for streams the buffer must be writable before anything is
        // consumed; for files a read at the end returns 0 without looking
        let stream = matches!(f.borrow().kind, Kind::PipeRead(_) | Kind::Device(_, Dev::Console));
        if stream && count > 0 && self.check_user_writable(pid, buf, count).is_err() {
            return err(EFAULT);
        }
        match self.read_file(pid, &f, count as usize, at) {
            Io::Done(data) => match self.copy_out(pid, buf, &data) {
                Ok(()) => ok(data.len() as u32),
                Err(e) => err(e),
            },
            Io::Wait(w) => Sys::Block(w),
            Io::Fail(e) => err(e),
            Io::Wrote(_) => err(EIO),
        }
    }

    /// EFAULT unless [addr, addr+len) is writable user memory.
    fn check_user_writable(&mut self, pid: Pid, addr: u32, len: u32) -> Result<(), Errno> {
        let end = addr.checked_add(len).ok_or(EFAULT)?;
        let mm = &self.proc(pid).mm;
        let mut a = addr;
        while a < end {
            let (_, v) = mm.find(a).ok_or(EFAULT)?;
            if v.prot & crate::mm::W == 0 {
                return Err(EFAULT);
            }
            a = v.end;
        }
        Ok(())
    }

    pub(super) fn sys_write(&mut self, pid: Pid, fd: i32, buf: u32, count: u32) -> Sys {
        self.sys_pwrite_at(pid, fd, buf, count, None)
    }

    fn sys_pwrite_at(&mut self, pid: Pid, fd: i32, buf: u32, count: u32, at: Option<u64>) -> Sys {
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        if (count as i32) < 0 {
            return err(EINVAL);
        }
        if at.is_some() && (matches!(f.borrow().kind, Kind::PipeRead(_) | Kind::PipeWrite(_)) || is_console(&f)) {
            return err(ESPIPE);
        }
        let data = match self.copy_in_vec(pid, buf, (count as usize).min(IO_CHUNK)) {
            Ok(d) => d,
            Err(e) => return err(e),
        };
        match self.write_file(pid, &f, &data, at) {
            Io::Wrote(n) => ok(n as u32),
            Io::Wait(w) => Sys::Block(w),
            Io::Fail(e) => err(e),
            Io::Done(_) => err(EIO),
        }
    }

    pub(super) fn sys_pread(&mut self, pid: Pid, fd: i32, buf: u32, count: u32, off: u64) -> Sys {
        if (off as i64) < 0 {
            return err(EINVAL);
        }
        self.sys_pread_at(pid, fd, buf, count, Some(off))
    }

    pub(super) fn sys_pwrite(&mut self, pid: Pid, fd: i32, buf: u32, count: u32, off: u64) -> Sys {
        if (off as i64) < 0 {
            return err(EINVAL);
        }
        self.sys_pwrite_at(pid, fd, buf, count, Some(off))
    }

    /// An iovec array.
    fn iovecs(&mut self, pid: Pid, iov: u32, cnt: u32) -> Result<Vec<(u32, u32)>, Errno> {
        if cnt > 1024 {
            return Err(EINVAL);
        }
        let mut b = alloc::vec![0u8; cnt as usize * 8];
        self.copy_in(pid, iov, &mut b)?;
        let v: Vec<(u32, u32)> =
            (0..cnt as usize).map(|i| (crate::linux::u32_at(&b, i * 8), crate::linux::u32_at(&b, i * 8 + 4))).collect();
        let mut total: u32 = 0;
        for &(_, l) in &v {
            total = total.checked_add(l).filter(|t| (*t as i32) >= 0).ok_or(EINVAL)?;
        }
        Ok(v)
    }

    pub(super) fn sys_readv(&mut self, pid: Pid, fd: i32, iov: u32, cnt: u32) -> Sys {
        let v = match self.iovecs(pid, iov, cnt) {
            Ok(v) => v,
            Err(e) => return err(e),
        };
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        let total: u32 = v.iter().map(|x| x.1).sum();
        for &(base, len) in &v {
            if len > 0 && self.check_user_writable(pid, base, len).is_err() {
                return err(EFAULT);
            }
        }
        match self.read_file(pid, &f, total as usize, None) {
            Io::Done(data) => {
                let mut off = 0;
                for (base, len) in v {
                    let n = (len as usize).min(data.len() - off);
                    if let Err(e) = self.copy_out(pid, base, &data[off..off + n]) {
                        return err(e);
                    }
                    off += n;
                    if off == data.len() {
                        break;
                    }
                }
                ok(data.len() as u32)
            }
            Io::Wait(w) => Sys::Block(w),
            Io::Fail(e) => err(e),
            Io::Wrote(_) => err(EIO),
        }
    }

    pub(super) fn sys_writev(&mut self, pid: Pid, fd: i32, iov: u32, cnt: u32) -> Sys {
        let v = match self.iovecs(pid, iov, cnt) {
            Ok(v) => v,
            Err(e) => return err(e),
        };
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        // at most IO_CHUNK bytes per call (a short write, as for write):
        // the iovec lengths are the user's, up to 2 GiB in all
        let mut data = Vec::new();
        for (base, len) in v {
            let n = (len as usize).min(IO_CHUNK - data.len());
            match self.copy_in_vec(pid, base, n) {
                Ok(b) => data.extend_from_slice(&b),
                Err(e) => return err(e),
            }
            if data.len() == IO_CHUNK {
                break;
            }
        }
        match self.write_file(pid, &f, &data, None) {
            Io::Wrote(n) => ok(n as u32),
            Io::Wait(w) => Sys::Block(w),
            Io::Fail(e) => err(e),
            Io::Done(_) => err(EIO),
        }
    }

    fn seek(&mut self, f: &FileRef, off: i64, whence: u32) -> Result<u64, Errno> {
        let mut of = f.borrow_mut();
        let size = match &of.kind {
            Kind::Inode(ino) => {
                let a = self.vfs.attr(*ino);
                if a.kind == crate::vfs::Kind::Dir {
                    // directories seek by cookie: only SEEK_SET
                    if whence != 0 || off < 0 {
                        return Err(EINVAL);
                    }
                    of.offset = off as u64;
                    return Ok(of.offset);
                }
                a.size
            }
            Kind::Proc(d, _) => d.len() as u64,
            Kind::ProcDir(..) => {
                if whence != 0 || off < 0 {
                    return Err(EINVAL);
                }
                of.offset = off as u64;
                return Ok(of.offset);
            }
            Kind::Device(_, Dev::Console) | Kind::PipeRead(_) | Kind::PipeWrite(_) => return Err(ESPIPE),
            Kind::Device(..) => 0,
        };
        let base = match whence {
            0 => 0i64,
            1 => of.offset as i64,
            2 => size as i64,
            _ => return Err(EINVAL),
        };
        let new = base.checked_add(off).ok_or(EINVAL)?;
        if new < 0 {
            return Err(EINVAL);
        }
        of.offset = new as u64;
        Ok(new as u64)
    }

    pub(super) fn sys_lseek(&mut self, pid: Pid, fd: i32, off: i64, whence: u32) -> Sys {
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        match self.seek(&f, off, whence) {
            Ok(p) if p > i32::MAX as u64 => {
                // keep the offset as Linux does, but the result does not fit
                err(EOVERFLOW)
            }
            Ok(p) => ok(p as u32),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_llseek(&mut self, pid: Pid, fd: i32, hi: u32, lo: u32, result: u32, whence: u32) -> Sys {
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        let off = ((hi as u64) << 32 | lo as u64) as i64;
        match self.seek(&f, off, whence) {
            Ok(p) => match self.copy_out(pid, result, &p.to_le_bytes()) {
                Ok(()) => ok(0),
                Err(e) => err(e),
            },
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_close(&mut self, pid: Pid, fd: i32) -> Sys {
        match self.proc_mut(pid).fds.take(fd) {
            Some(f) => {
                self.release_file(f);
                ok(0)
            }
            None => err(EBADF),
        }
    }

    pub(super) fn sys_dup(&mut self, pid: Pid, fd: i32) -> Sys {
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        match self.proc_mut(pid).fds.alloc(f, 0, false) {
            Some(n) => ok(n as u32),
            None => err(EMFILE),
        }
    }

    pub(super) fn sys_dup3(&mut self, pid: Pid, old: i32, new: i32, flags: u32, dup2: bool) -> Sys {
        let f = match self.file(pid, old) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        if flags & !O_CLOEXEC != 0 {
            return err(EINVAL);
        }
        if new < 0 || new as usize >= self.proc(pid).fds.limit {
            return err(EBADF);
        }
        if old == new {
            return if dup2 { ok(new as u32) } else { err(EINVAL) };
        }
        if let Some(prev) = self.proc_mut(pid).fds.place(new as usize, f, flags & O_CLOEXEC != 0) {
            self.release_file(prev);
        }
        ok(new as u32)
    }

    pub(super) fn sys_fcntl(&mut self, pid: Pid, fd: i32, cmd: u32, arg: u32) -> Sys {
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        match cmd {
            F_DUPFD | F_DUPFD_CLOEXEC => {
                if arg as usize >= self.proc(pid).fds.limit {
                    return err(EINVAL);
                }
                match self.proc_mut(pid).fds.alloc(f, arg as usize, cmd == F_DUPFD_CLOEXEC) {
                    Some(n) => ok(n as u32),
                    None => err(EMFILE),
                }
            }
            F_GETFD => ok(self.proc(pid).fds.cloexec(fd) as u32),
            F_SETFD => {
                self.proc_mut(pid).fds.set_cloexec(fd, arg & FD_CLOEXEC != 0);
                ok(0)
            }
            F_GETFL => {
                let fl = f.borrow().flags;
                ok(fl | O_LARGEFILE)
            }
            F_SETFL => {
                let settable = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | 0o20000 /* O_ASYNC */;
                let mut of = f.borrow_mut();
                of.flags = (of.flags & !settable) | (arg & settable);
                ok(0)
            }
            F_GETLK | F_SETLK | F_SETLKW | F_GETLK64 | F_SETLK64 | F_SETLKW64 => {
                self.log_fmt(format_args!("l4linux: fcntl record locks are not implemented (ENOLCK)"));
                err(ENOLCK)
            }
            9 /* F_SETOWN */ | 8 /* F_GETOWN */ => ok(0),
            1031 /* F_SETPIPE_SZ */ | 1032 /* F_GETPIPE_SZ */ => match f.borrow().kind {
                Kind::PipeRead(_) | Kind::PipeWrite(_) => ok(PIPE_SIZE as u32),
                _ => err(EBADF),
            },
            _ => err(EINVAL),
        }
    }

    pub(super) fn sys_ioctl(&mut self, pid: Pid, fd: i32, req: u32, arg: u32) -> Sys {
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        let kind = f.borrow().kind.clone();
        // FIONREAD and FIONBIO work on more than terminals
        match req {
            0x5421 => {
                // FIONBIO
                let on = match self.read_u32(pid, arg) {
                    Ok(v) => v != 0,
                    Err(e) => return err(e),
                };
                let mut of = f.borrow_mut();
                if on {
                    of.flags |= O_NONBLOCK;
                } else {
                    of.flags &= !O_NONBLOCK;
                }
                return ok(0);
            }
            0x541B => {
                // FIONREAD
                let n = match &kind {
                    Kind::PipeRead(id) => self.pipes.get(id).map_or(0, |p| p.len()),
                    Kind::Device(_, Dev::Console) => self.tty.available(),
                    Kind::Inode(ino) => {
                        let size = self.vfs.attr(*ino).size;
                        size.saturating_sub(f.borrow().offset) as usize
                    }
                    _ => return err(ENOTTY),
                };
                return match self.write_u32(pid, arg, n as u32) {
                    Ok(()) => ok(0),
                    Err(e) => err(e),
                };
            }
            _ => {}
        }
        if !matches!(kind, Kind::Device(_, Dev::Console)) {
            return err(ENOTTY);
        }
        match req {
            0x5401 => {
                // TCGETS
                let b = self.tty.termios.to_bytes();
                match self.copy_out(pid, arg, &b) {
                    Ok(()) => ok(0),
                    Err(e) => err(e),
                }
            }
            0x5402..=0x5404 => {
                // TCSETS, TCSETSW, TCSETSF
                if self.background(pid) {
                    match self.tty_job_control(pid, crate::linux::sig::SIGTTOU) {
                        Some(Io::Wait(w)) => return Sys::Block(w),
                        // an orphaned group may not change the terminal
                        Some(Io::Fail(e)) => return err(e),
                        _ => {}
                    }
                }
                let mut b = [0u8; 36];
                if let Err(e) = self.copy_in(pid, arg, &mut b) {
                    return err(e);
                }
                self.tty.termios = crate::tty::Termios::from_bytes(&b);
                if req == 0x5404 {
                    self.tty.flush_input();
                }
                self.wake(Event::Tty);
                ok(0)
            }
            0x5413 => {
                // TIOCGWINSZ
                let (rows, cols) = self.tty.winsize;
                let mut o = crate::linux::Out::with_size(8);
                o.put_u16(0, rows).put_u16(2, cols);
                match self.copy_out(pid, arg, &o.buf) {
                    Ok(()) => ok(0),
                    Err(e) => err(e),
                }
            }
            0x5414 => {
                // TIOCSWINSZ
                let mut b = [0u8; 8];
                if let Err(e) = self.copy_in(pid, arg, &mut b) {
                    return err(e);
                }
                let ws = (u16::from_le_bytes([b[0], b[1]]), u16::from_le_bytes([b[2], b[3]]));
                if ws != self.tty.winsize {
                    self.tty.winsize = ws;
                    let fg = self.tty.foreground;
                    self.signal_group(fg, crate::linux::sig::SIGWINCH);
                }
                ok(0)
            }
            0x540F => {
                // TIOCGPGRP
                let fg = self.tty.foreground;
                match self.write_u32(pid, arg, fg) {
                    Ok(()) => ok(0),
                    Err(e) => err(e),
                }
            }
            0x5410 => {
                // TIOCSPGRP
                let pg = match self.read_u32(pid, arg) {
                    Ok(v) => v,
                    Err(e) => return err(e),
                };
                if (pg as i32) < 0 {
                    return err(EINVAL);
                }
                let sid = self.proc(pid).sid;
                if sid != self.tty.session {
                    return err(ENOTTY);
                }
                if !self.procs.values().any(|p| p.pgid == pg && p.sid == sid) {
                    return err(EPERM);
                }
                if self.background(pid) {
                    match self.tty_job_control(pid, crate::linux::sig::SIGTTOU) {
                        Some(Io::Wait(w)) => return Sys::Block(w),
                        // an orphaned group may not change the terminal
                        Some(Io::Fail(e)) => return err(e),
                        _ => {}
                    }
                }
                self.tty.foreground = pg;
                ok(0)
            }
            0x5429 => {
                // TIOCGSID
                let s = self.tty.session;
                match self.write_u32(pid, arg, s) {
                    Ok(()) => ok(0),
                    Err(e) => err(e),
                }
            }
            0x540E => {
                // TIOCSCTTY
                let (sid, pgid) = (self.proc(pid).sid, self.proc(pid).pgid);
                if sid == pid {
                    self.tty.session = pid;
                    self.tty.foreground = pgid;
                }
                ok(0)
            }
            0x5422 => ok(0), // TIOCNOTTY
            0x540B => {
                // TCFLSH
                if arg == 0 || arg == 2 {
                    self.tty.flush_input();
                }
                ok(0)
            }
            0x5409 | 0x540A | 0x5425 | 0x5427 | 0x5428 => ok(0), // TCSBRK, TCXONC, TCSBRKP, break on/off
            _ => err(ENOTTY),
        }
    }

    pub(super) fn sys_umask(&mut self, pid: Pid, mask: u32) -> Sys {
        let p = self.proc_mut(pid);
        let old = p.umask;
        p.umask = mask & 0o777;
        ok(old)
    }

    pub(super) fn sys_pipe2(&mut self, pid: Pid, fds: u32, flags: u32) -> Sys {
        if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
            return err(EINVAL);
        }
        if self.proc(pid).fds.count() + 2 > crate::file::MAX_FDS {
            return err(EMFILE);
        }
        let id = self.new_pipe();
        let r = new_file(Kind::PipeRead(id), O_RDONLY | (flags & O_NONBLOCK), b"pipe:");
        let w = new_file(Kind::PipeWrite(id), O_WRONLY | (flags & O_NONBLOCK), b"pipe:");
        let cloexec = flags & O_CLOEXEC != 0;
        let p = self.proc_mut(pid);
        let a = p.fds.alloc(r.clone(), 0, cloexec).unwrap_or(-1);
        let b = p.fds.alloc(w.clone(), 0, cloexec).unwrap_or(-1);
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&a.to_le_bytes());
        out[4..].copy_from_slice(&b.to_le_bytes());
        if self.copy_out(pid, fds, &out).is_err() {
            let p = self.proc_mut(pid);
            p.fds.take(a);
            p.fds.take(b);
            self.release_file(r);
            self.release_file(w);
            return err(EFAULT);
        }
        ok(0)
    }

    pub(super) fn sys_fsync(&mut self, pid: Pid, fd: i32) -> Sys {
        match self.file(pid, fd) {
            Ok(f) => match f.borrow().kind {
                Kind::PipeRead(_) | Kind::PipeWrite(_) => err(EINVAL),
                _ => ok(0), // tmpfs: nothing to write back
            },
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_sendfile(&mut self, pid: Pid, out_fd: i32, in_fd: i32, offp: u32, count: u32, off64: bool) -> Sys {
        let (inf, outf) = match (self.file(pid, in_fd), self.file(pid, out_fd)) {
            (Ok(a), Ok(b)) => (a, b),
            _ => return err(EBADF),
        };
        if !matches!(inf.borrow().kind, Kind::Inode(_) | Kind::Device(..) | Kind::Proc(..)) {
            return err(EINVAL);
        }
        if outf.borrow().flags & O_APPEND != 0 {
            return err(EINVAL);
        }
        let at = if offp != 0 {
            let mut b = [0u8; 8];
            let n = if off64 { 8 } else { 4 };
            if self.copy_in(pid, offp, &mut b[..n]).is_err() {
                return err(EFAULT);
            }
            Some(u64::from_le_bytes(b))
        } else {
            None
        };
        let start = inf.borrow().offset;
        let data = match self.read_file(pid, &inf, (count as usize).min(IO_CHUNK), at) {
            Io::Done(d) => d,
            Io::Fail(e) => return err(e),
            _ => return err(EINVAL),
        };
        // the output takes what it can now; only that much input is used
        // (a call that has to wait consumes nothing and runs again)
        let out_nonblock = outf.borrow().flags & O_NONBLOCK != 0;
        let n = match self.write_file_as(pid, &outf, &data, None, true) {
            Io::Wrote(n) => n,
            Io::Fail(EAGAIN) if !out_nonblock && !data.is_empty() => {
                if at.is_none() {
                    inf.borrow_mut().offset = start;
                }
                let wait = match outf.borrow().kind {
                    Kind::PipeWrite(id) => Wait::Pipe(id),
                    _ => Wait::Tty,
                };
                return Sys::Block(wait);
            }
            Io::Wait(w) => {
                if at.is_none() {
                    inf.borrow_mut().offset = start;
                }
                return Sys::Block(w);
            }
            Io::Fail(e) => {
                if at.is_none() {
                    inf.borrow_mut().offset = start;
                }
                return err(e);
            }
            Io::Done(_) => return err(EIO),
        };
        if let Some(o) = at {
            let new = (o + n as u64).to_le_bytes();
            let len = if off64 { 8 } else { 4 };
            if self.copy_out(pid, offp, &new[..len]).is_err() {
                return err(EFAULT);
            }
        } else if n < data.len() {
            // give back what was not written
            let mut of = inf.borrow_mut();
            of.offset -= (data.len() - n) as u64;
        }
        ok(n as u32)
    }

    /// Ready events of one open file for poll.
    fn poll_file(&self, f: &OpenFile, events: u16) -> u16 {
        let r = match &f.kind {
            Kind::PipeRead(id) => match self.pipes.get(id) {
                Some(p) if !p.is_empty() => POLLIN | POLLRDNORM | if p.writers == 0 { POLLHUP } else { 0 },
                Some(p) if p.writers == 0 => POLLHUP,
                _ => 0,
            },
            Kind::PipeWrite(id) => match self.pipes.get(id) {
                Some(p) if p.readers == 0 => POLLERR | POLLOUT | POLLWRNORM,
                Some(p) if !p.is_full() => POLLOUT | POLLWRNORM,
                _ => 0,
            },
            Kind::Device(_, Dev::Console) => {
                (if self.tty.poll_readable() { POLLIN | POLLRDNORM } else { 0 }) | POLLOUT | POLLWRNORM
            }
            _ => POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM,
        };
        r & (events | POLLERR | POLLHUP | POLLNVAL)
    }

    pub(super) fn sys_poll(&mut self, pid: Pid, fds: u32, nfds: u32, timeout_ms: i64, _: bool) -> Sys {
        let t = if timeout_ms < 0 { None } else { Some(timeout_ms as u64 * 1_000_000) };
        self.poll_common(pid, fds, nfds, t)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn sys_ppoll(&mut self, pid: Pid, fds: u32, nfds: u32, ts: u32, sigmask: u32, size: u32, time64: bool) -> Sys {
        let t = if ts == 0 {
            None
        } else {
            match self.read_timespec(pid, ts, time64) {
                Ok(ns) => Some(ns),
                Err(e) => return err(e),
            }
        };
        if sigmask != 0 && size != 8 {
            return err(EINVAL);
        }
        self.with_sigmask(pid, sigmask, |l| l.poll_common(pid, fds, nfds, t))
    }

    /// Run a waiting call with the signal mask at `set` (if not 0) in
    /// effect, as ppoll and pselect6 do: the old mask comes back when the
    /// call returns, or through the frame of a handler that interrupts it.
    fn with_sigmask(&mut self, pid: Pid, set: u32, call: impl FnOnce(&mut Self) -> Sys) -> Sys {
        if set != 0 {
            let mut b = [0u8; 8];
            if self.copy_in(pid, set, &mut b).is_err() {
                return err(EFAULT);
            }
            let p = self.proc_mut(pid);
            if p.saved_mask.is_none() {
                p.saved_mask = Some(p.sig.blocked);
            }
            p.sig.blocked = u64::from_le_bytes(b) & !(bit(crate::linux::sig::SIGKILL) | bit(crate::linux::sig::SIGSTOP));
        }
        let r = call(self);
        if set != 0 && !matches!(r, Sys::Block(_)) {
            let p = self.proc_mut(pid);
            if let Some(m) = p.saved_mask.take() {
                p.sig.blocked = m;
            }
        }
        r
    }

    fn poll_common(&mut self, pid: Pid, fds: u32, nfds: u32, timeout: Option<u64>) -> Sys {
        if nfds as usize > crate::file::MAX_FDS {
            return err(EINVAL);
        }
        let mut b = alloc::vec![0u8; nfds as usize * 8];
        if self.copy_in(pid, fds, &mut b).is_err() {
            return err(EFAULT);
        }
        let mut ready = 0;
        for i in 0..nfds as usize {
            let fd = crate::linux::u32_at(&b, i * 8) as i32;
            let events = u16::from_le_bytes([b[i * 8 + 4], b[i * 8 + 5]]);
            let rev = if fd < 0 {
                0
            } else {
                match self.proc(pid).fds.get(fd) {
                    Some(f) => self.poll_file(&f.borrow(), events),
                    None => POLLNVAL,
                }
            };
            b[i * 8 + 6..i * 8 + 8].copy_from_slice(&rev.to_le_bytes());
            if rev != 0 {
                ready += 1;
            }
        }
        if ready > 0 || timeout == Some(0) {
            return match self.copy_out(pid, fds, &b) {
                Ok(()) => ok(ready),
                Err(e) => err(e),
            };
        }
        match timeout {
            Some(t) => {
                let d = self.deadline(pid, t);
                if self.now_ns() >= d {
                    let _ = self.copy_out(pid, fds, &b);
                    ok(0)
                } else {
                    Sys::Block(Wait::Poll(Some(d)))
                }
            }
            None => Sys::Block(Wait::Poll(None)),
        }
    }

    pub(super) fn sys_select(&mut self, pid: Pid, n: i32, r: u32, w: u32, e: u32, tv: u32) -> Sys {
        let timeout = if tv == 0 {
            None
        } else {
            let mut b = [0u8; 8];
            if self.copy_in(pid, tv, &mut b).is_err() {
                return err(EFAULT);
            }
            let (s, us) = (crate::linux::u32_at(&b, 0) as i32, crate::linux::u32_at(&b, 4) as i32);
            if s < 0 || !(0..1_000_000).contains(&us) {
                return err(EINVAL);
            }
            Some(s as u64 * 1_000_000_000 + us as u64 * 1000)
        };
        self.select_common(pid, n, r, w, e, timeout, if tv != 0 { Some((tv, false)) } else { None })
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn sys_pselect6(&mut self, pid: Pid, n: i32, r: u32, w: u32, e: u32, ts: u32, sig: u32, time64: bool) -> Sys {
        let timeout = if ts == 0 {
            None
        } else {
            match self.read_timespec(pid, ts, time64) {
                Ok(ns) => Some(ns),
                Err(e) => return err(e),
            }
        };
        // the sixth argument points to { const sigset_t *ss; size_t ss_len }
        let mut set = 0;
        if sig != 0 {
            let mut b = [0u8; 8];
            if self.copy_in(pid, sig, &mut b).is_err() {
                return err(EFAULT);
            }
            set = crate::linux::u32_at(&b, 0);
            if set != 0 && crate::linux::u32_at(&b, 4) != 8 {
                return err(EINVAL);
            }
        }
        self.with_sigmask(pid, set, |l| l.select_common(pid, n, r, w, e, timeout, None))
    }

    #[allow(clippy::too_many_arguments)]
    fn select_common(&mut self, pid: Pid, n: i32, r: u32, w: u32, e: u32, timeout: Option<u64>, tv: Option<(u32, bool)>) -> Sys {
        if !(0..=crate::file::MAX_FDS as i32).contains(&n) {
            return err(EINVAL);
        }
        let bytes = (n as usize).div_ceil(32) * 4;
        let mut sets = [Vec::new(), Vec::new(), Vec::new()];
        for (k, &addr) in [r, w, e].iter().enumerate() {
            sets[k] = alloc::vec![0u8; bytes];
            if addr != 0 && self.copy_in(pid, addr, &mut sets[k]).is_err() {
                return err(EFAULT);
            }
        }
        let mut out = [alloc::vec![0u8; bytes], alloc::vec![0u8; bytes], alloc::vec![0u8; bytes]];
        let mut ready = 0u32;
        for fd in 0..n as usize {
            let want = |s: &Vec<u8>| s[fd / 8] & (1 << (fd % 8)) != 0;
            let (wr, ww, we) = (want(&sets[0]), want(&sets[1]), want(&sets[2]));
            if !(wr || ww || we) {
                continue;
            }
            let Some(f) = self.proc(pid).fds.get(fd as i32) else { return err(EBADF) };
            let rev = self.poll_file(&f.borrow(), POLLIN | POLLOUT | POLLPRI);
            for (k, (wanted, bits)) in [(wr, POLLIN | POLLHUP | POLLERR), (ww, POLLOUT | POLLERR), (we, POLLPRI)].iter().enumerate() {
                if *wanted && rev & bits != 0 {
                    out[k][fd / 8] |= 1 << (fd % 8);
                    ready += 1;
                }
            }
        }
        if ready == 0 && timeout != Some(0) {
            match timeout {
                Some(t) => {
                    let d = self.deadline(pid, t);
                    if self.now_ns() < d {
                        return Sys::Block(Wait::Poll(Some(d)));
                    }
                }
                None => return Sys::Block(Wait::Poll(None)),
            }
        }
        for (k, &addr) in [r, w, e].iter().enumerate() {
            if addr != 0 && self.copy_out(pid, addr, &out[k]).is_err() {
                return err(EFAULT);
            }
        }
        if let Some((tv, _)) = tv {
            // Linux reports the time left
            // (no deadline yet: ready on the first look, nothing waited)
            let left = match self.proc(pid).deadline {
                0 => timeout.unwrap_or(0),
                d => d.saturating_sub(self.now_ns()),
            };
            let left = if ready == 0 { 0 } else { left.min(timeout.unwrap_or(0)) };
            let mut b = [0u8; 8];
            b[..4].copy_from_slice(&((left / 1_000_000_000) as u32).to_le_bytes());
            b[4..].copy_from_slice(&(((left % 1_000_000_000) / 1000) as u32).to_le_bytes());
            let _ = self.copy_out(pid, tv, &b);
        }
        ok(ready)
    }
}
