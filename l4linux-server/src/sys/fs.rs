//! File-system system calls over the tmpfs: open, the stat family,
//! directory listing, the working directory, and every call that creates,
//! removes, renames, links or changes attributes of a path.

use super::ok;
use crate::errno::*;
use crate::file::{new_file, Dev, FileRef, Kind};
use crate::linux::fcntl::*;
use crate::linux::Out;
use crate::platform::Platform;
use crate::proc::Pid;
use crate::system::*;
use crate::vfs::{self, Attr, Timespec};
use alloc::vec::Vec;

const PATH_MAX: usize = 4096;
const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;
const S_IFLNK: u32 = 0o120000;
const S_IFCHR: u32 = 0o020000;
const S_IFIFO: u32 = 0o010000;
/// Device number tmpfs files report (major 0, an anonymous minor).
pub const TMPFS_DEV: u32 = 0x16;
const UTIME_NOW: u32 = (1 << 30) - 1;
const UTIME_OMIT: u32 = (1 << 30) - 2;

pub fn type_bits(k: &vfs::Kind) -> u32 {
    match k {
        vfs::Kind::Dir => S_IFDIR,
        vfs::Kind::File => S_IFREG,
        vfs::Kind::Symlink => S_IFLNK,
        vfs::Kind::CharDev { .. } => S_IFCHR,
        vfs::Kind::Fifo => S_IFIFO,
    }
}

/// Linux `new_encode_dev`.
pub fn encode_dev(major: u32, minor: u32) -> u32 {
    (minor & 0xFF) | (major & 0xFFF) << 8 | (minor & !0xFF) << 12
}

fn rdev_of(a: &Attr) -> u32 {
    match a.kind {
        vfs::Kind::CharDev { major, minor } => encode_dev(major, minor),
        _ => 0,
    }
}

/// `struct stat64` (i386, 96 bytes).
pub fn stat64(a: &Attr) -> Vec<u8> {
    let mut o = Out::with_size(96);
    o.put_u64(0, TMPFS_DEV as u64)
        .put_u32(12, a.ino)
        .put_u32(16, type_bits(&a.kind) | (a.mode & 0o7777))
        .put_u32(20, a.nlink)
        .put_u32(24, a.uid)
        .put_u32(28, a.gid)
        .put_u64(32, rdev_of(a) as u64)
        .put_u64(44, a.size)
        .put_u32(52, 4096)
        .put_u64(56, a.blocks)
        .put_u32(64, a.atime.sec as u32)
        .put_u32(68, a.atime.nsec)
        .put_u32(72, a.mtime.sec as u32)
        .put_u32(76, a.mtime.nsec)
        .put_u32(80, a.ctime.sec as u32)
        .put_u32(84, a.ctime.nsec)
        .put_u64(88, a.ino as u64);
    o.buf
}

/// `struct statx` (256 bytes) with the basic fields.
fn statx(a: &Attr) -> Vec<u8> {
    let mut o = Out::with_size(256);
    let (rmaj, rmin) = match a.kind {
        vfs::Kind::CharDev { major, minor } => (major, minor),
        _ => (0, 0),
    };
    o.put_u32(0, 0x7FF) // STATX_BASIC_STATS
        .put_u32(4, 4096)
        .put_u32(16, a.nlink)
        .put_u32(20, a.uid)
        .put_u32(24, a.gid)
        .put_u16(28, (type_bits(&a.kind) | (a.mode & 0o7777)) as u16)
        .put_u64(32, a.ino as u64)
        .put_u64(40, a.size)
        .put_u64(48, a.blocks);
    for (off, t) in [(64, a.atime), (96, a.ctime), (112, a.mtime)] {
        o.put_u64(off, t.sec as u64).put_u32(off + 8, t.nsec);
    }
    o.put_u32(128, rmaj).put_u32(132, rmin).put_u32(136, 0).put_u32(140, TMPFS_DEV);
    o.buf
}

impl<P: Platform> Linux<P> {
    /// A path argument.
    fn path_arg(&mut self, pid: Pid, addr: u32) -> Result<Vec<u8>, Errno> {
        self.read_cstr(pid, addr, PATH_MAX - 1)
    }

    /// The directory paths are relative to: the cwd or the directory `dirfd`.
    fn base_dir(&self, pid: Pid, dirfd: i32, path: &[u8]) -> Result<u32, Errno> {
        if path.first() == Some(&b'/') || dirfd == AT_FDCWD {
            return Ok(self.proc(pid).cwd);
        }
        let f = self.proc(pid).fds.get(dirfd).ok_or(EBADF)?;
        match f.borrow().kind {
            Kind::Inode(ino) if self.vfs.attr(ino).kind == vfs::Kind::Dir => Ok(ino),
            _ => Err(ENOTDIR),
        }
    }

    /// Resolve `path` (from user memory) relative to `dirfd`.
    fn lookup_at(&mut self, pid: Pid, dirfd: i32, addr: u32, follow: bool, empty_ok: bool) -> Result<u32, Errno> {
        let path = self.path_arg(pid, addr)?;
        if path.is_empty() {
            if empty_ok {
                return match self.proc(pid).fds.get(dirfd) {
                    Some(f) => match &f.borrow().kind {
                        Kind::Inode(i) | Kind::Device(i, _) => Ok(*i),
                        _ => Err(EBADF),
                    },
                    None if dirfd == AT_FDCWD => Ok(self.proc(pid).cwd),
                    None => Err(EBADF),
                };
            }
            return Err(ENOENT);
        }
        let base = self.base_dir(pid, dirfd, &path)?;
        self.vfs.resolve(base, &path, follow)
    }

    fn parent_at(&mut self, pid: Pid, dirfd: i32, addr: u32) -> Result<(u32, Vec<u8>), Errno> {
        let path = self.path_arg(pid, addr)?;
        if path.is_empty() {
            return Err(ENOENT);
        }
        let base = self.base_dir(pid, dirfd, &path)?;
        self.vfs.resolve_parent(base, &path)
    }

    /// The console as an open file (stdin/stdout/stderr of pid 1).
    pub(crate) fn open_console(&mut self) -> Result<FileRef, Errno> {
        let root = self.vfs.root();
        let ino = self.vfs.resolve(root, b"/dev/console", true)?;
        self.vfs.retain(ino);
        Ok(new_file(Kind::Device(ino, Dev::Console), O_RDWR, b"/dev/console"))
    }

    pub(super) fn sys_openat(&mut self, pid: Pid, dirfd: i32, path: u32, flags: u32, mode: u32) -> Sys {
        match self.open(pid, dirfd, path, flags, mode) {
            Ok(fd) => ok(fd as u32),
            Err(e) => err(e),
        }
    }

    fn open(&mut self, pid: Pid, dirfd: i32, paddr: u32, flags: u32, mode: u32) -> Result<i32, Errno> {
        let path = self.path_arg(pid, paddr)?;
        if path.is_empty() {
            return Err(ENOENT);
        }
        let base = self.base_dir(pid, dirfd, &path)?;
        self.open_path(pid, base, &path, flags, mode)
    }

    /// open() of `path` relative to directory `base`.
    pub(crate) fn open_path(&mut self, pid: Pid, base: u32, path: &[u8], flags: u32, mode: u32) -> Result<i32, Errno> {
        let now = self.now();
        let acc = flags & O_ACCMODE;
        if acc == 3 && flags & O_PATH == 0 {
            return Err(EINVAL);
        }
        if let Some(r) = self.open_proc(pid, base, path, flags) {
            return r;
        }
        let follow = flags & O_NOFOLLOW == 0;
        let ino = if flags & O_CREAT != 0 {
            if path.last() == Some(&b'/') {
                return Err(EISDIR);
            }
            let (dir, name) = self.vfs.resolve_parent(base, path)?;
            match self.vfs.lookup(dir, &name) {
                Ok(existing) => {
                    if flags & O_EXCL != 0 {
                        return Err(EEXIST);
                    }
                    // an existing symlink is followed (unless O_NOFOLLOW)
                    self.vfs.resolve(base, path, follow).or_else(|e| {
                        if e == ENOENT && self.vfs.attr(existing).kind == vfs::Kind::Symlink {
                            // dangling link: create its target
                            let target = self.vfs.readlink(existing)?;
                            let tb = if target.first() == Some(&b'/') { self.vfs.root() } else { dir };
                            let (tdir, tname) = self.vfs.resolve_parent(tb, &target)?;
                            let p = self.proc(pid);
                            let (uid, gid, m) = (p.euid, p.egid, mode & !p.umask & 0o7777);
                            self.vfs.create(tdir, &tname, vfs::Kind::File, m, uid, gid, now)
                        } else {
                            Err(e)
                        }
                    })?
                }
                Err(ENOENT) => {
                    let p = self.proc(pid);
                    let (uid, gid, m) = (p.euid, p.egid, mode & !p.umask & 0o7777);
                    self.vfs.create(dir, &name, vfs::Kind::File, m, uid, gid, now)?
                }
                Err(e) => return Err(e),
            }
        } else {
            self.vfs.resolve(base, path, follow)?
        };
        let a = self.vfs.attr(ino);
        if a.kind == vfs::Kind::Symlink && flags & O_PATH == 0 {
            return Err(ELOOP);
        }
        if flags & O_DIRECTORY != 0 && a.kind != vfs::Kind::Dir {
            return Err(ENOTDIR);
        }
        if a.kind == vfs::Kind::Dir && acc != O_RDONLY && flags & O_PATH == 0 {
            return Err(EISDIR);
        }
        let kind = match a.kind {
            vfs::Kind::CharDev { .. } if flags & O_PATH == 0 => match self.device_of(ino) {
                Some(d) => Kind::Device(ino, d),
                None => return Err(ENXIO),
            },
            vfs::Kind::Fifo if flags & O_PATH == 0 => {
                self.log_fmt(format_args!("l4linux: opening a named pipe is not supported (ENXIO)"));
                return Err(ENXIO);
            }
            _ => Kind::Inode(ino),
        };
        if flags & O_TRUNC != 0 && a.kind == vfs::Kind::File && acc != O_RDONLY {
            self.vfs.truncate(ino, 0, now)?;
        }
        let f = new_file(kind, flags & !(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC), path);
        self.vfs.retain(ino);
        match self.proc_mut(pid).fds.alloc(f.clone(), 0, flags & O_CLOEXEC != 0) {
            Some(fd) => Ok(fd),
            None => {
                self.release_file(f);
                Err(EMFILE)
            }
        }
    }

    fn attr_of_file(&self, f: &FileRef) -> Attr {
        match &f.borrow().kind {
            Kind::Inode(i) | Kind::Device(i, _) => self.vfs.attr(*i),
            Kind::PipeRead(id) | Kind::PipeWrite(id) => {
                let t = Timespec { sec: self.plat.boot_epoch() as i64, nsec: 0 };
                Attr {
                    ino: 0x1000_0000 + id,
                    kind: vfs::Kind::Fifo,
                    mode: 0o600,
                    nlink: 1,
                    uid: 0,
                    gid: 0,
                    size: 0,
                    blocks: 0,
                    atime: t,
                    mtime: t,
                    ctime: t,
                }
            }
            Kind::ProcDir(_, ino) => {
                let t = self.now();
                Attr { ino: *ino, kind: vfs::Kind::Dir, mode: 0o555, nlink: 2, uid: 0, gid: 0, size: 0, blocks: 0, atime: t, mtime: t, ctime: t }
            }
            Kind::Proc(d, ino) => {
                let t = self.now();
                Attr { ino: *ino, kind: vfs::Kind::File, mode: 0o444, nlink: 1, uid: 0, gid: 0, size: d.len() as u64, blocks: 0, atime: t, mtime: t, ctime: t }
            }
        }
    }

    pub(super) fn sys_stat(&mut self, pid: Pid, dirfd: i32, path: u32, buf: u32, flags: u32) -> Sys {
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800) != 0 {
            return err(EINVAL);
        }
        let r = self
            .proc_attr(pid, dirfd, path, flags & AT_SYMLINK_NOFOLLOW == 0)
            .unwrap_or_else(|| {
                self.lookup_at(pid, dirfd, path, flags & AT_SYMLINK_NOFOLLOW == 0, flags & AT_EMPTY_PATH != 0)
                    .map(|ino| self.vfs.attr(ino))
            });
        match r {
            Ok(a) => match self.copy_out(pid, buf, &stat64(&a)) {
                Ok(()) => ok(0),
                Err(e) => err(e),
            },
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_fstat(&mut self, pid: Pid, fd: i32, buf: u32) -> Sys {
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        let a = self.attr_of_file(&f);
        match self.copy_out(pid, buf, &stat64(&a)) {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_statx(&mut self, pid: Pid, dirfd: i32, path: u32, flags: u32, mask: u32, buf: u32) -> Sys {
        // AT_STATX_FORCE_SYNC and AT_STATX_DONT_SYNC exclude each other
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 | 0x6000) != 0 || mask & 0x8000_0000 != 0 || flags & 0x6000 == 0x6000 {
            return err(EINVAL);
        }
        let a = if flags & AT_EMPTY_PATH != 0 && self.read_cstr(pid, path, 1).map(|p| p.is_empty()).unwrap_or(false) && dirfd != AT_FDCWD {
            match self.file(pid, dirfd) {
                Ok(f) => Ok(self.attr_of_file(&f)),
                Err(e) => Err(e),
            }
        } else {
            self.proc_attr(pid, dirfd, path, flags & AT_SYMLINK_NOFOLLOW == 0).unwrap_or_else(|| {
                self.lookup_at(pid, dirfd, path, flags & AT_SYMLINK_NOFOLLOW == 0, flags & AT_EMPTY_PATH != 0)
                    .map(|i| self.vfs.attr(i))
            })
        };
        match a {
            Ok(a) => match self.copy_out(pid, buf, &statx(&a)) {
                Ok(()) => ok(0),
                Err(e) => err(e),
            },
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_getdents64(&mut self, pid: Pid, fd: i32, buf: u32, count: u32) -> Sys {
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        if let Some(r) = self.proc_getdents(pid, &f, buf, count) {
            return r;
        }
        let (ino, cookie) = {
            let of = f.borrow();
            match of.kind {
                Kind::Inode(i) => (i, of.offset),
                _ => return err(ENOTDIR),
            }
        };
        let mut out: Vec<u8> = Vec::new();
        let mut next = cookie;
        loop {
            match self.vfs.readdir(ino, next) {
                Err(e) => return err(e),
                Ok(None) => break,
                Ok(Some(ent)) => {
                    let reclen = (19 + ent.name.len() + 1 + 7) & !7;
                    if out.len() + reclen > count as usize {
                        if out.is_empty() {
                            return err(EINVAL);
                        }
                        break;
                    }
                    let at = out.len();
                    out.resize(at + reclen, 0);
                    out[at..at + 8].copy_from_slice(&(ent.ino as u64).to_le_bytes());
                    out[at + 8..at + 16].copy_from_slice(&ent.next_cookie.to_le_bytes());
                    out[at + 16..at + 18].copy_from_slice(&(reclen as u16).to_le_bytes());
                    out[at + 18] = ent.d_type;
                    out[at + 19..at + 19 + ent.name.len()].copy_from_slice(&ent.name);
                    next = ent.next_cookie;
                }
            }
        }
        if let Err(e) = self.copy_out(pid, buf, &out) {
            return err(e);
        }
        f.borrow_mut().offset = next;
        ok(out.len() as u32)
    }

    pub(super) fn sys_getcwd(&mut self, pid: Pid, buf: u32, size: u32) -> Sys {
        let cwd = self.proc(pid).cwd;
        let mut path = match self.vfs.path_of(cwd) {
            Ok(p) => p,
            Err(e) => return err(e),
        };
        path.push(0);
        if path.len() > size as usize {
            return err(ERANGE);
        }
        match self.copy_out(pid, buf, &path) {
            Ok(()) => ok(path.len() as u32),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_chdir(&mut self, pid: Pid, path: u32) -> Sys {
        match self.lookup_at(pid, AT_FDCWD, path, true, false) {
            Ok(ino) if self.vfs.attr(ino).kind == vfs::Kind::Dir => {
                self.set_cwd(pid, ino);
                ok(0)
            }
            Ok(_) => err(ENOTDIR),
            Err(e) => err(e),
        }
    }

    fn set_cwd(&mut self, pid: Pid, ino: u32) {
        self.vfs.retain(ino);
        let old = core::mem::replace(&mut self.proc_mut(pid).cwd, ino);
        self.vfs.release(old);
    }

    pub(super) fn sys_fchdir(&mut self, pid: Pid, fd: i32) -> Sys {
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        let k = f.borrow().kind.clone();
        match k {
            Kind::Inode(i) if self.vfs.attr(i).kind == vfs::Kind::Dir => {
                self.set_cwd(pid, i);
                ok(0)
            }
            _ => err(ENOTDIR),
        }
    }

    pub(super) fn sys_faccessat(&mut self, pid: Pid, dirfd: i32, path: u32, mode: u32, flags: u32) -> Sys {
        if mode & !7 != 0 || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
            return err(EINVAL);
        }
        let a = match self.proc_attr(pid, dirfd, path, true) {
            Some(r) => r,
            None => self
                .lookup_at(pid, dirfd, path, flags & AT_SYMLINK_NOFOLLOW == 0, flags & AT_EMPTY_PATH != 0)
                .map(|i| self.vfs.attr(i)),
        };
        match a {
            Ok(a) => {
                // root may read and write anything; execute needs some x bit
                let p = self.proc(pid);
                let uid = if flags & AT_EACCESS != 0 { p.euid } else { p.uid };
                if uid == 0 {
                    if mode & 1 != 0 && a.kind != vfs::Kind::Dir && a.mode & 0o111 == 0 {
                        return err(EACCES);
                    }
                    return ok(0);
                }
                let bits = if a.uid == uid { (a.mode >> 6) & 7 } else { a.mode & 7 };
                if mode & !bits != 0 {
                    err(EACCES)
                } else {
                    ok(0)
                }
            }
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_readlinkat(&mut self, pid: Pid, dirfd: i32, path: u32, buf: u32, size: u32) -> Sys {
        if (size as i32) <= 0 {
            return err(EINVAL);
        }
        let target = match self.proc_readlink(pid, dirfd, path) {
            Some(r) => r,
            None => self.lookup_at(pid, dirfd, path, false, true).and_then(|i| self.vfs.readlink(i)),
        };
        match target {
            Ok(t) => {
                let n = t.len().min(size as usize);
                match self.copy_out(pid, buf, &t[..n]) {
                    Ok(()) => ok(n as u32),
                    Err(e) => err(e),
                }
            }
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_mkdirat(&mut self, pid: Pid, dirfd: i32, path: u32, mode: u32) -> Sys {
        let (dir, name) = match self.parent_at(pid, dirfd, path) {
            Ok(x) => x,
            Err(e) => return err(e),
        };
        let p = self.proc(pid);
        let (uid, gid, m) = (p.euid, p.egid, mode & !p.umask & 0o7777);
        let now = self.now();
        match self.vfs.create(dir, &name, vfs::Kind::Dir, m, uid, gid, now) {
            Ok(_) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_mknodat(&mut self, pid: Pid, dirfd: i32, path: u32, mode: u32, dev: u32) -> Sys {
        let kind = match mode & S_IFMT {
            0 | S_IFREG => vfs::Kind::File,
            S_IFIFO => vfs::Kind::Fifo,
            S_IFCHR => vfs::Kind::CharDev { major: (dev >> 8) & 0xFFF, minor: (dev & 0xFF) | ((dev >> 12) & !0xFF) },
            S_IFDIR => return err(EPERM),
            _ => return err(EINVAL),
        };
        let (dir, name) = match self.parent_at(pid, dirfd, path) {
            Ok(x) => x,
            Err(e) => return err(e),
        };
        let p = self.proc(pid);
        let (uid, gid, m) = (p.euid, p.egid, mode & !p.umask & 0o7777);
        let now = self.now();
        match self.vfs.create(dir, &name, kind, m, uid, gid, now) {
            Ok(_) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_unlinkat(&mut self, pid: Pid, dirfd: i32, path: u32, flags: u32) -> Sys {
        if flags & !AT_REMOVEDIR != 0 {
            return err(EINVAL);
        }
        let (dir, name) = match self.parent_at(pid, dirfd, path) {
            Ok(x) => x,
            Err(e) => return err(e),
        };
        let now = self.now();
        let r = if flags & AT_REMOVEDIR != 0 { self.vfs.rmdir(dir, &name, now) } else { self.vfs.unlink(dir, &name, now) };
        match r {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_renameat(&mut self, pid: Pid, od: i32, op: u32, nd: i32, np: u32, flags: u32) -> Sys {
        const RENAME_NOREPLACE: u32 = 1;
        if flags & !RENAME_NOREPLACE != 0 {
            return err(EINVAL);
        }
        let r = (|| {
            let (odir, oname) = self.parent_at(pid, od, op)?;
            let (ndir, nname) = self.parent_at(pid, nd, np)?;
            if flags & RENAME_NOREPLACE != 0 && self.vfs.lookup(ndir, &nname).is_ok() {
                return Err(EEXIST);
            }
            let now = self.now();
            self.vfs.rename(odir, &oname, ndir, &nname, now)
        })();
        match r {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_linkat(&mut self, pid: Pid, od: i32, op: u32, nd: i32, np: u32, flags: u32) -> Sys {
        if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
            return err(EINVAL);
        }
        let r = (|| {
            let ino = self.lookup_at(pid, od, op, flags & AT_SYMLINK_FOLLOW != 0, flags & AT_EMPTY_PATH != 0)?;
            let (ndir, nname) = self.parent_at(pid, nd, np)?;
            let now = self.now();
            self.vfs.link(ndir, &nname, ino, now)
        })();
        match r {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_symlinkat(&mut self, pid: Pid, target: u32, nd: i32, np: u32) -> Sys {
        let r = (|| {
            let t = self.path_arg(pid, target)?;
            if t.is_empty() {
                return Err(ENOENT);
            }
            let (dir, name) = self.parent_at(pid, nd, np)?;
            let p = self.proc(pid);
            let (uid, gid) = (p.euid, p.egid);
            let now = self.now();
            self.vfs.symlink(dir, &name, &t, uid, gid, now).map(|_| ())
        })();
        match r {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    fn truncate_ino(&mut self, ino: u32, len: u64) -> Result<(), Errno> {
        if (len as i64) < 0 {
            return Err(EINVAL);
        }
        match self.vfs.attr(ino).kind {
            vfs::Kind::Dir => Err(EISDIR),
            vfs::Kind::File => {
                let now = self.now();
                self.vfs.truncate(ino, len, now)
            }
            _ => Err(EINVAL),
        }
    }

    pub(super) fn sys_truncate(&mut self, pid: Pid, path: u32, len: u64) -> Sys {
        match self.lookup_at(pid, AT_FDCWD, path, true, false).and_then(|i| self.truncate_ino(i, len)) {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_ftruncate(&mut self, pid: Pid, fd: i32, len: u64) -> Sys {
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        let (kind, writable) = {
            let of = f.borrow();
            (of.kind.clone(), of.writable())
        };
        match kind {
            Kind::Inode(i) if writable => match self.truncate_ino(i, len) {
                Ok(()) => ok(0),
                Err(EISDIR) => err(EINVAL),
                Err(e) => err(e),
            },
            Kind::Inode(_) => err(EINVAL),
            _ => err(EINVAL),
        }
    }

    pub(super) fn sys_fchmodat(&mut self, pid: Pid, dirfd: i32, path: u32, mode: u32) -> Sys {
        match self.lookup_at(pid, dirfd, path, true, false) {
            Ok(i) => {
                let now = self.now();
                self.vfs.set_mode(i, mode & 0o7777, now);
                ok(0)
            }
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_fchmod(&mut self, pid: Pid, fd: i32, mode: u32) -> Sys {
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        let k = f.borrow().kind.clone();
        match k {
            Kind::Inode(i) | Kind::Device(i, _) => {
                let now = self.now();
                self.vfs.set_mode(i, mode & 0o7777, now);
                ok(0)
            }
            _ => ok(0),
        }
    }

    fn chown_ino(&mut self, ino: u32, uid: u32, gid: u32) {
        let now = self.now();
        let u = (uid != u32::MAX).then_some(uid);
        let g = (gid != u32::MAX).then_some(gid);
        self.vfs.set_owner(ino, u, g, now);
    }

    pub(super) fn sys_fchownat(&mut self, pid: Pid, dirfd: i32, path: u32, uid: u32, gid: u32, flags: u32) -> Sys {
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
            return err(EINVAL);
        }
        if self.proc(pid).euid != 0 {
            return err(EPERM);
        }
        match self.lookup_at(pid, dirfd, path, flags & AT_SYMLINK_NOFOLLOW == 0, flags & AT_EMPTY_PATH != 0) {
            Ok(i) => {
                self.chown_ino(i, uid, gid);
                ok(0)
            }
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_fchown(&mut self, pid: Pid, fd: i32, uid: u32, gid: u32) -> Sys {
        let f = match self.file(pid, fd) {
            Ok(f) => f,
            Err(e) => return err(e),
        };
        if self.proc(pid).euid != 0 {
            return err(EPERM);
        }
        let k = f.borrow().kind.clone();
        if let Kind::Inode(i) | Kind::Device(i, _) = k {
            self.chown_ino(i, uid, gid);
        }
        ok(0)
    }

    /// A timespec pair for utimensat: None = UTIME_OMIT, Some(now) for UTIME_NOW.
    fn time_arg(&self, sec: i64, nsec: u32) -> Result<Option<Timespec>, Errno> {
        match nsec {
            UTIME_OMIT => Ok(None),
            UTIME_NOW => Ok(Some(self.now())),
            n if n < 1_000_000_000 => Ok(Some(Timespec { sec, nsec: n })),
            _ => Err(EINVAL),
        }
    }

    pub(super) fn sys_utimensat(&mut self, pid: Pid, dirfd: i32, path: u32, times: u32, flags: u32, time64: bool) -> Sys {
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
            return err(EINVAL);
        }
        let r = (|| {
            let (a, m) = if times == 0 {
                let n = self.now();
                (Some(n), Some(n))
            } else {
                let size = if time64 { 32 } else { 16 };
                let mut b = alloc::vec![0u8; size];
                self.copy_in(pid, times, &mut b)?;
                let get = |i: usize| -> (i64, u32) {
                    if time64 {
                        (u64::from_le_bytes(b[i * 16..i * 16 + 8].try_into().unwrap()) as i64, crate::linux::u32_at(&b, i * 16 + 8))
                    } else {
                        (crate::linux::u32_at(&b, i * 8) as i32 as i64, crate::linux::u32_at(&b, i * 8 + 4))
                    }
                };
                let (a, m) = (get(0), get(1));
                (self.time_arg(a.0, a.1)?, self.time_arg(m.0, m.1)?)
            };
            let ino = if path == 0 {
                // futimens: the file itself
                match self.proc(pid).fds.get(dirfd).map(|f| f.borrow().kind.clone()) {
                    Some(Kind::Inode(i)) | Some(Kind::Device(i, _)) => i,
                    Some(_) => return Err(EINVAL),
                    None => return Err(EBADF),
                }
            } else {
                self.lookup_at(pid, dirfd, path, flags & AT_SYMLINK_NOFOLLOW == 0, flags & AT_EMPTY_PATH != 0)?
            };
            let now = self.now();
            self.vfs.set_times(ino, a, m, now);
            Ok(())
        })();
        match r {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_utime(&mut self, pid: Pid, path: u32, times: u32) -> Sys {
        let r = (|| {
            let ino = self.lookup_at(pid, AT_FDCWD, path, true, false)?;
            let (a, m) = if times == 0 {
                let n = self.now();
                (n, n)
            } else {
                let mut b = [0u8; 8];
                self.copy_in(pid, times, &mut b)?;
                let t = |s: u32| Timespec { sec: s as i32 as i64, nsec: 0 };
                (t(crate::linux::u32_at(&b, 0)), t(crate::linux::u32_at(&b, 4)))
            };
            let now = self.now();
            self.vfs.set_times(ino, Some(a), Some(m), now);
            Ok(())
        })();
        match r {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_utimes(&mut self, pid: Pid, dirfd: i32, path: u32, times: u32) -> Sys {
        let r = (|| {
            let ino = self.lookup_at(pid, dirfd, path, true, false)?;
            let (a, m) = if times == 0 {
                let n = self.now();
                (n, n)
            } else {
                let mut b = [0u8; 16];
                self.copy_in(pid, times, &mut b)?;
                let t = |i: usize| -> Result<Timespec, Errno> {
                    let us = crate::linux::u32_at(&b, i * 8 + 4);
                    if us >= 1_000_000 {
                        return Err(EINVAL);
                    }
                    Ok(Timespec { sec: crate::linux::u32_at(&b, i * 8) as i32 as i64, nsec: us * 1000 })
                };
                (t(0)?, t(1)?)
            };
            let now = self.now();
            self.vfs.set_times(ino, Some(a), Some(m), now);
            Ok(())
        })();
        match r {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }
}
