//! Path resolution (Linux `namei` rules) and the path-level calls built on
//! it, which reproduce the errors Linux gives for each system call,
//! including their order.
//!
//! Resolution: absolute paths start at the root, relative ones at `cwd`
//! (which must be a directory: ENOTDIR otherwise); empty components and "."
//! are skipped, ".." goes to the parent (the root is its own parent);
//! symlinks in the middle are always followed (relative targets from the
//! link's directory, absolute ones from the root), at most
//! [`MAXSYMLINKS`] per resolution (ELOOP after). A trailing slash makes the
//! last component follow symlinks and requires a directory (ENOTDIR).
//! Empty path: ENOENT; 4096 bytes or more: ENAMETOOLONG; a component over
//! 255 bytes: ENAMETOOLONG when it is looked up.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::ops::Range;

use super::ops::{split_name, Name};
use super::*;

/// What the last component of a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LastKind {
    /// A name.
    Normal,
    /// "."
    Dot,
    /// ".."
    DotDot,
    /// The path is only slashes ("/").
    Root,
}

/// The open(2) flags the file system looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenFlags {
    /// O_CREAT
    pub create: bool,
    /// O_EXCL (with O_CREAT: fail if the name exists, do not follow a
    /// symlink)
    pub excl: bool,
    /// O_DIRECTORY
    pub directory: bool,
    /// O_NOFOLLOW
    pub nofollow: bool,
    /// O_TRUNC
    pub truncate: bool,
    /// Opened for writing (O_WRONLY or O_RDWR).
    pub write: bool,
    /// O_PATH (only O_DIRECTORY and O_NOFOLLOW count then; a symlink can
    /// be opened itself).
    pub path_only: bool,
}

impl OpenFlags {
    /// From i386 Linux open flags.
    pub fn from_linux(flags: u32) -> OpenFlags {
        const O_ACCMODE: u32 = 0o3;
        const O_CREAT: u32 = 0o100;
        const O_EXCL: u32 = 0o200;
        const O_TRUNC: u32 = 0o1000;
        const O_DIRECTORY: u32 = 0o200000;
        const O_NOFOLLOW: u32 = 0o400000;
        const O_PATH: u32 = 0o10000000;
        let has = |f: u32| flags & f != 0;
        if has(O_PATH) {
            return OpenFlags { directory: has(O_DIRECTORY), nofollow: has(O_NOFOLLOW), path_only: true, ..OpenFlags::default() };
        }
        OpenFlags {
            create: has(O_CREAT),
            excl: has(O_CREAT) && has(O_EXCL),
            directory: has(O_DIRECTORY),
            nofollow: has(O_NOFOLLOW),
            truncate: has(O_TRUNC),
            write: flags & O_ACCMODE != 0,
            path_only: false,
        }
    }
}

/// One stretch of path being walked: the caller's path, or the target of
/// a symlink met on the way.
struct Frame<'p> {
    bytes: Cow<'p, [u8]>,
    pos: usize,
}

/// Where a walk stopped: the last component (not looked up yet), in the
/// directory `dir`; `name` indexes the walker's top frame.
struct Final {
    dir: Ino,
    kind: LastKind,
    trailing: bool,
    name: Range<usize>,
}

/// A path walk without recursion (Linux's `link_path_walk` with its stack
/// of symlink bodies): components in the middle are looked up, symlinks
/// among them are followed by pushing their targets, until the last
/// component of the path (or of a followed final symlink) remains.
struct Walker<'v, 'p> {
    vfs: &'v Vfs,
    /// The directory reached so far.
    cur: Ino,
    /// The bottom of the stack of stretches (the caller's path, or the
    /// target of a followed final symlink), kept inline so that a walk
    /// without symlinks allocates nothing; `rest` holds the ones above it.
    first: Option<Frame<'p>>,
    rest: Vec<Frame<'p>>,
    /// Symlinks followed so far.
    links: u32,
}

impl<'v, 'p> Walker<'v, 'p> {
    /// Start at `start`, or at the root if `path` is absolute; ENOTDIR if a
    /// relative path starts at a non-directory.
    fn new(vfs: &'v Vfs, start: Ino, path: &'p [u8]) -> Result<Self, Errno> {
        let cur = if path.first() == Some(&b'/') { ROOT_INO } else { start };
        vfs.dir(cur)?;
        Ok(Walker { vfs, cur, first: Some(Frame { bytes: Cow::Borrowed(path), pos: 0 }), rest: Vec::new(), links: 0 })
    }

    /// Walk on to the last component. A path of only slashes (or an empty
    /// or "/" symlink target) ends as `Root` at the directory reached.
    fn next_final(&mut self) -> Result<Final, Errno> {
        loop {
            let bottom = self.rest.is_empty();
            let top = match self.rest.last_mut() {
                Some(f) => f,
                None => match self.first.as_mut() {
                    Some(f) => f,
                    None => return Ok(Final { dir: self.cur, kind: LastKind::Root, trailing: false, name: 0..0 }),
                },
            };
            let bytes: &[u8] = &top.bytes;
            let Some(start) = bytes.iter().skip(top.pos).position(|&b| b != b'/').map(|i| top.pos + i) else {
                // this stretch is done; a symlink target walked in the
                // middle of a path left `cur` at a directory
                if self.rest.pop().is_none() {
                    self.first = None;
                }
                continue;
            };
            let end = bytes.iter().skip(start).position(|&b| b == b'/').map_or(bytes.len(), |i| start + i);
            let more = bytes.iter().skip(end).any(|&b| b != b'/');
            top.pos = end;
            let comp = bytes.get(start..end).unwrap_or_default();
            if bottom && !more {
                let kind = match comp {
                    b"." => LastKind::Dot,
                    b".." => LastKind::DotDot,
                    _ => LastKind::Normal,
                };
                return Ok(Final { dir: self.cur, kind, trailing: end < bytes.len(), name: start..end });
            }
            // a component in the middle: it must lead to a directory
            let (ino, is_link) = match comp {
                b"." => (self.cur, false),
                b".." => (self.vfs.parent_dir(self.cur)?, false),
                name => {
                    let ino = self.vfs.lookup_name(self.cur, name)?;
                    (ino, self.vfs.node(ino)?.is_symlink())
                }
            };
            if is_link {
                let body = self.vfs.follow_count(ino, &mut self.links)?;
                self.push(body);
            } else if self.vfs.node(ino)?.is_dir() {
                self.cur = ino;
            } else {
                return Err(ENOTDIR);
            }
        }
    }

    /// Continue with a symlink target (absolute: from the root).
    fn push(&mut self, body: Vec<u8>) {
        if body.first() == Some(&b'/') {
            self.cur = ROOT_INO;
        }
        let frame = Frame { bytes: Cow::Owned(body), pos: 0 };
        if self.first.is_none() {
            self.first = Some(frame);
        } else {
            self.rest.push(frame);
        }
    }

    /// Follow the final symlink: its target, from its directory `dir`,
    /// replaces the rest of the walk.
    fn restart(&mut self, dir: Ino, body: Vec<u8>) {
        self.first = None;
        self.rest.clear();
        self.cur = dir;
        self.push(body);
    }

    /// The name of a `Final` from this walker.
    fn name(&self, f: &Final) -> &[u8] {
        self.rest.last().or(self.first.as_ref()).and_then(|t| t.bytes.get(f.name.clone())).unwrap_or_default()
    }
}

/// ENOENT for an empty path, ENAMETOOLONG for one of PATH_MAX bytes or more.
fn check_path(path: &[u8]) -> Result<(), Errno> {
    if path.is_empty() {
        return Err(ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(ENAMETOOLONG);
    }
    Ok(())
}

impl Vfs {
    /// The inode `path` names, relative to `cwd`. `follow`: follow a
    /// symlink in the last component (stat vs lstat).
    pub fn resolve(&self, cwd: Ino, path: &[u8], follow: bool) -> Result<Ino, Errno> {
        check_path(path)?;
        self.resolve_from(cwd, path, follow, false)
    }

    /// [`Vfs::resolve`] that also requires a directory (ENOTDIR), like
    /// O_DIRECTORY or chdir.
    pub fn resolve_dir(&self, cwd: Ino, path: &[u8], follow: bool) -> Result<Ino, Errno> {
        check_path(path)?;
        self.resolve_from(cwd, path, follow, true)
    }

    /// `name` in directory `dir`, not following a symlink: "." is `dir`,
    /// ".." its parent, "/" the root, and "name/" (as
    /// [`Vfs::resolve_parent`] may return) follows a symlink and must be a
    /// directory. ENOTDIR if `dir` is not a directory, ENOENT if it was
    /// removed or lacks `name`, ENAMETOOLONG for a name over 255 bytes.
    pub fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        match split_name(name) {
            Name::Root => Ok(ROOT_INO),
            Name::Dot => self.dir(dir).map(|_| dir),
            Name::DotDot => self.parent_dir(dir),
            Name::Normal { name: b"", .. } => Err(ENOENT),
            Name::Normal { name, slash: false } => self.lookup_name(dir, name),
            Name::Normal { name, slash: true } => {
                self.lookup_name(dir, name)?;
                self.resolve_from(dir, name, true, true)
            }
        }
    }

    /// For calls that create, remove or rename a name (Linux
    /// `filename_parentat`): the directory holding the last component of
    /// `path` (symlinks before it followed) and that component, not looked
    /// up. The component comes back as written when it matters to Linux's
    /// errors: "." or "..", "/" when the path is only slashes, and a name
    /// followed by slashes as "name/". Pass it on unchanged to
    /// [`Vfs::create`], [`Vfs::symlink`], [`Vfs::link`], [`Vfs::unlink`],
    /// [`Vfs::rmdir`], [`Vfs::rename`] or [`Vfs::lookup`], which give the
    /// right errors (mkdir("/") EEXIST, rmdir("x/.") EINVAL, rmdir("x/..")
    /// ENOTEMPTY, unlink("..") EISDIR, unlink("file/") ENOTDIR,
    /// symlink(t, "new/") ENOENT, rename of "." EBUSY...).
    pub fn resolve_parent(&self, cwd: Ino, path: &[u8]) -> Result<(Ino, Vec<u8>), Errno> {
        check_path(path)?;
        let (dir, kind, mut name, trailing) = self.walk(cwd, path)?;
        match kind {
            LastKind::Root => name = b"/".to_vec(),
            LastKind::Dot | LastKind::DotDot => {}
            LastKind::Normal => {
                if trailing {
                    name.push(b'/');
                }
            }
        }
        Ok((dir, name))
    }

    /// mkdir(2).
    pub fn mkdir_at(&mut self, cwd: Ino, path: &[u8], mode: u32, uid: u32, gid: u32, now: Timespec) -> Result<Ino, Errno> {
        let (dir, name) = self.resolve_parent(cwd, path)?;
        self.create(dir, &name, Kind::Dir, mode, uid, gid, now)
    }

    /// mknod(2) of a file, character device or fifo (EPERM for a directory,
    /// EINVAL for a symlink, as Linux's mknod says for those modes).
    #[allow(clippy::too_many_arguments)]
    pub fn mknod_at(&mut self, cwd: Ino, path: &[u8], kind: Kind, mode: u32, uid: u32, gid: u32, now: Timespec) -> Result<Ino, Errno> {
        match kind {
            Kind::Dir => return Err(EPERM),
            Kind::Symlink => return Err(EINVAL),
            _ => {}
        }
        let (dir, name) = self.resolve_parent(cwd, path)?;
        self.create(dir, &name, kind, mode, uid, gid, now)
    }

    /// symlink(2): `path` becomes a symlink to `target`.
    pub fn symlink_at(&mut self, target: &[u8], cwd: Ino, path: &[u8], uid: u32, gid: u32, now: Timespec) -> Result<Ino, Errno> {
        check_path(target)?;
        let (dir, name) = self.resolve_parent(cwd, path)?;
        self.symlink(dir, &name, target, uid, gid, now)
    }

    /// link(2)/linkat(2): `newpath` becomes another name of what `oldpath`
    /// names (`follow`: AT_SYMLINK_FOLLOW).
    pub fn link_at(&mut self, oldcwd: Ino, oldpath: &[u8], follow: bool, newcwd: Ino, newpath: &[u8], now: Timespec) -> Result<(), Errno> {
        let ino = self.resolve(oldcwd, oldpath, follow)?;
        let (dir, name) = self.resolve_parent(newcwd, newpath)?;
        self.link(dir, &name, ino, now)
    }

    /// unlink(2).
    pub fn unlink_at(&mut self, cwd: Ino, path: &[u8], now: Timespec) -> Result<(), Errno> {
        let (dir, name) = self.resolve_parent(cwd, path)?;
        self.unlink(dir, &name, now)
    }

    /// rmdir(2).
    pub fn rmdir_at(&mut self, cwd: Ino, path: &[u8], now: Timespec) -> Result<(), Errno> {
        let (dir, name) = self.resolve_parent(cwd, path)?;
        self.rmdir(dir, &name, now)
    }

    /// rename(2)/renameat2(2) (`noreplace`: RENAME_NOREPLACE).
    pub fn rename_at(&mut self, oldcwd: Ino, oldpath: &[u8], newcwd: Ino, newpath: &[u8], noreplace: bool, now: Timespec) -> Result<(), Errno> {
        let (olddir, oldname) = self.resolve_parent(oldcwd, oldpath)?;
        let (newdir, newname) = self.resolve_parent(newcwd, newpath)?;
        self.rename2(olddir, &oldname, newdir, &newname, noreplace, now)
    }

    /// The file-system part of open(2): find (or with `create`, make) the
    /// inode, with Linux's checks in Linux's order, and truncate it for
    /// O_TRUNC. Returns the inode and whether it was created (then with
    /// permission bits `mode & 0o7777`, umask already applied by the
    /// caller). The caller retains it.
    ///
    /// Errors: ENOENT/ENOTDIR/ELOOP/ENAMETOOLONG from the walk; with
    /// O_CREAT, EISDIR for a trailing slash or a directory, EEXIST with
    /// O_EXCL if the name exists (a symlink counts); ENOTDIR with
    /// O_DIRECTORY on a non-directory; ELOOP for a symlink not followed
    /// (O_NOFOLLOW); EISDIR to write or truncate a directory.
    #[allow(clippy::too_many_arguments)]
    pub fn open_at(&mut self, cwd: Ino, path: &[u8], flags: OpenFlags, mode: u32, uid: u32, gid: u32, now: Timespec) -> Result<(Ino, bool), Errno> {
        check_path(path)?;
        if flags.path_only {
            let ino = self.resolve_from(cwd, path, !flags.nofollow, flags.directory)?;
            return Ok((ino, false));
        }
        let (ino, created) = if flags.create {
            self.open_create(cwd, path, flags, mode, uid, gid, now)?
        } else {
            (self.resolve_from(cwd, path, !flags.nofollow, flags.directory)?, false)
        };
        let kind = self.node(ino)?.kind;
        if flags.create {
            if flags.excl && !created {
                return Err(EEXIST);
            }
            if kind == Kind::Dir {
                return Err(EISDIR);
            }
            if flags.directory {
                // Linux 6.1 makes the file, then fails
                return Err(ENOTDIR);
            }
        }
        match kind {
            Kind::Symlink => return Err(ELOOP),
            Kind::Dir if flags.write || flags.truncate => return Err(EISDIR),
            Kind::File if flags.truncate && !created => self.truncate(ino, 0, now)?,
            _ => {}
        }
        Ok((ino, created))
    }

    /// The O_CREAT lookup: walk to the last component and create it if
    /// missing; an existing symlink is followed (creating a dangling
    /// link's target) unless O_EXCL or O_NOFOLLOW.
    #[allow(clippy::too_many_arguments)]
    fn open_create(&mut self, cwd: Ino, path: &[u8], flags: OpenFlags, mode: u32, uid: u32, gid: u32, now: Timespec) -> Result<(Ino, bool), Errno> {
        let mut w = Walker::new(self, cwd, path)?;
        loop {
            let f = w.next_final()?;
            match f.kind {
                LastKind::Root | LastKind::Dot => return Ok((f.dir, false)),
                LastKind::DotDot => return Ok((self.parent_dir(f.dir)?, false)),
                LastKind::Normal => {}
            }
            if f.trailing {
                return Err(EISDIR);
            }
            match self.lookup_name(f.dir, w.name(&f)) {
                Ok(ino) => {
                    if !(self.node(ino)?.is_symlink() && !flags.excl && !flags.nofollow) {
                        return Ok((ino, false));
                    }
                    let body = self.follow_count(ino, &mut w.links)?;
                    w.restart(f.dir, body);
                }
                Err(ENOENT) => {
                    // (ENOENT again if the directory was removed)
                    let name = w.name(&f).to_vec();
                    drop(w);
                    let ino = self.create(f.dir, &name, Kind::File, mode, uid, gid, now)?;
                    return Ok((ino, true));
                }
                Err(e) => return Err(e),
            }
        }
    }

    // ---- the walk ----

    /// Resolve `path` from `start`. `must_dir`: the result must be a
    /// directory.
    pub(super) fn resolve_from(&self, start: Ino, path: &[u8], mut follow: bool, mut must_dir: bool) -> Result<Ino, Errno> {
        let mut w = Walker::new(self, start, path)?;
        loop {
            let f = w.next_final()?;
            let ino = match f.kind {
                LastKind::Root | LastKind::Dot => f.dir,
                LastKind::DotDot => self.parent_dir(f.dir)?,
                LastKind::Normal => {
                    let ino = self.lookup_name(f.dir, w.name(&f))?;
                    if f.trailing {
                        // "name/" follows a symlink and wants a directory
                        follow = true;
                        must_dir = true;
                    }
                    if follow && self.node(ino)?.is_symlink() {
                        let body = self.follow_count(ino, &mut w.links)?;
                        w.restart(f.dir, body);
                        continue;
                    }
                    ino
                }
            };
            if must_dir && !self.node(ino)?.is_dir() {
                return Err(ENOTDIR);
            }
            return Ok(ino);
        }
    }

    /// Walk every component of `path` but the last, from `start` (or the
    /// root for an absolute path): the directory, what the last component
    /// is, the component, whether slashes followed it.
    fn walk(&self, start: Ino, path: &[u8]) -> Result<(Ino, LastKind, Vec<u8>, bool), Errno> {
        let mut w = Walker::new(self, start, path)?;
        let f = w.next_final()?;
        Ok((f.dir, f.kind, w.name(&f).to_vec(), f.trailing))
    }

    /// Count one more symlink (ELOOP past MAXSYMLINKS) and return its target.
    fn follow_count(&self, link: Ino, links: &mut u32) -> Result<Vec<u8>, Errno> {
        if *links >= MAXSYMLINKS {
            return Err(ELOOP);
        }
        *links += 1;
        self.readlink(link)
    }

    /// The ".." of directory `dir`.
    pub(super) fn parent_dir(&self, dir: Ino) -> Result<Ino, Errno> {
        let parent = self.dir(dir)?.parent;
        self.dir(parent)?;
        Ok(parent)
    }

    /// A plain name in directory `dir`.
    pub(super) fn lookup_name(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        let d = self.live_dir(dir)?;
        if name.len() > NAME_MAX {
            return Err(ENAMETOOLONG);
        }
        d.get(name).ok_or(ENOENT)
    }
}
