//! Inode-level operations: creating, linking, removing and renaming
//! directory entries, and reading/writing/truncating file data, with the
//! link counts, sizes and timestamps Linux tmpfs keeps.
//!
//! These take a directory inode and one name: a plain name, or a last
//! component as [`Vfs::resolve_parent`] hands it out ("." / ".." / "/" or a
//! name with a trailing "/"), which each call turns into the error Linux
//! gives for such a path (mkdir "/" EEXIST, rmdir "x/." EINVAL, unlink
//! "file/" ENOTDIR, ...).

use alloc::vec::Vec;

use super::node::{symlink_pages, Body, Dir, Inode, Pages};
use super::*;

/// Check the name of a new entry: ENOENT if empty, EEXIST for "." and ".."
/// (they always exist), ENAMETOOLONG beyond 255 bytes, EINVAL if it holds
/// a '/' or NUL (only reachable by calling these functions directly).
fn check_new_name(name: &[u8]) -> Result<(), Errno> {
    if name.is_empty() {
        return Err(ENOENT);
    }
    if name == b"." || name == b".." {
        return Err(EEXIST);
    }
    if name.len() > NAME_MAX {
        return Err(ENAMETOOLONG);
    }
    if name.iter().any(|&b| b == b'/' || b == 0) {
        return Err(EINVAL);
    }
    Ok(())
}

/// A last path component as the calls here receive it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Name<'a> {
    /// "/" (the path was only slashes).
    Root,
    Dot,
    DotDot,
    /// A name; `slash`: the path went on with a slash ("name/").
    Normal { name: &'a [u8], slash: bool },
}

pub(super) fn split_name(name: &[u8]) -> Name<'_> {
    let end = name.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    if end == 0 && !name.is_empty() {
        return Name::Root;
    }
    let base = name.get(..end).unwrap_or_default();
    match base {
        b"." => Name::Dot,
        b".." => Name::DotDot,
        _ => Name::Normal { name: base, slash: end < name.len() },
    }
}

impl Vfs {
    /// The entry `name` of live directory `dir` (used by every remove-type
    /// call): ENOENT/ENOTDIR for a bad or removed `dir`, ENAMETOOLONG,
    /// ENOENT if absent.
    fn child(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        let d = self.live_dir(dir)?;
        if name.len() > NAME_MAX {
            return Err(ENAMETOOLONG);
        }
        d.get(name).ok_or(ENOENT)
    }

    /// Add a new inode under `dir/name` (`target`: a symlink's). Its data
    /// pages come from the budget at once (a long symlink).
    #[allow(clippy::too_many_arguments)]
    fn create_node(
        &mut self,
        dir: Ino,
        name: &[u8],
        kind: Kind,
        perm: u32,
        uid: u32,
        mut gid: u32,
        target: &[u8],
        now: Timespec,
    ) -> Result<Ino, Errno> {
        let Name::Normal { name, slash } = split_name(name) else {
            return Err(EEXIST);
        };
        let parent = self.node(dir)?;
        let d = parent.dir().ok_or(ENOTDIR)?;
        if d.removed {
            return Err(ENOENT);
        }
        check_new_name(name)?;
        if d.get(name).is_some() {
            return Err(EEXIST);
        }
        if slash && kind != Kind::Dir {
            // "name/" asks for a directory
            return Err(ENOENT);
        }
        let extra_pages = if kind == Kind::Symlink { symlink_pages(target.len()) } else { 0 };
        if extra_pages > self.pages_available() {
            return Err(ENOSPC);
        }
        // a set-group-ID directory hands its group (and, to directories,
        // the bit) down
        let mut perm = perm & 0o7777;
        if parent.perm & S_ISGID != 0 {
            gid = parent.gid;
            if kind == Kind::Dir {
                perm |= S_ISGID;
            }
        }
        let body = match kind {
            Kind::Dir => Body::Dir(Dir::new(dir, name)),
            Kind::File => Body::File(Pages::new()),
            Kind::Symlink => Body::Symlink(target.to_vec()),
            _ => Body::Empty,
        };
        let ino = self.alloc_ino()?;
        let is_dir = kind == Kind::Dir;
        self.nodes.insert(
            ino,
            Inode {
                kind,
                perm,
                nlink: if is_dir { 2 } else { 1 },
                uid,
                gid,
                atime: now,
                mtime: now,
                ctime: now,
                opens: 0,
                parent: dir,
                body,
            },
        );
        self.pages_used += extra_pages;
        let parent = self.node_mut(dir)?;
        if is_dir {
            parent.nlink = parent.nlink.saturating_add(1);
        }
        parent.mtime = now;
        parent.ctime = now;
        if let Some(d) = parent.dir_mut() {
            d.insert(name, ino);
        }
        Ok(ino)
    }

    /// Create `dir/name` (mkdir, mknod, creat): permission bits
    /// `mode & 0o7777` (the caller applies the umask), owner `uid:gid`
    /// (or the directory's group if it is set-group-ID). EEXIST if the name
    /// exists, ENOENT if `dir` was removed, ENOTDIR if it is not a
    /// directory, ENOSPC at the inode limit. Symlinks are made by
    /// [`Vfs::symlink`] (EINVAL here).
    #[allow(clippy::too_many_arguments)]
    pub fn create(&mut self, dir: Ino, name: &[u8], kind: Kind, mode: u32, uid: u32, gid: u32, now: Timespec) -> Result<Ino, Errno> {
        if kind == Kind::Symlink {
            return Err(EINVAL);
        }
        self.create_node(dir, name, kind, mode, uid, gid, b"", now)
    }

    /// Create symlink `dir/name` -> `target`: ENOENT for an empty target,
    /// ENAMETOOLONG for one of 4096 bytes or more, then as [`Vfs::create`].
    pub fn symlink(&mut self, dir: Ino, name: &[u8], target: &[u8], uid: u32, gid: u32, now: Timespec) -> Result<Ino, Errno> {
        if target.is_empty() {
            return Err(ENOENT);
        }
        if target.len() >= PATH_MAX {
            return Err(ENAMETOOLONG);
        }
        self.create_node(dir, name, Kind::Symlink, 0o777, uid, gid, target, now)
    }

    /// A symlink with any target, also empty (the initrd may hold one).
    pub(super) fn symlink_raw(&mut self, dir: Ino, name: &[u8], target: &[u8], uid: u32, gid: u32, now: Timespec) -> Result<Ino, Errno> {
        self.create_node(dir, name, Kind::Symlink, 0o777, uid, gid, target, now)
    }

    /// The target of symlink `ino`; EINVAL for other inodes.
    pub fn readlink(&self, ino: Ino) -> Result<Vec<u8>, Errno> {
        match &self.node(ino)?.body {
            Body::Symlink(t) => Ok(t.clone()),
            _ => Err(EINVAL),
        }
    }

    /// Hard link: `dir/name` becomes another name of `ino`. EEXIST if the
    /// name exists, EPERM for a directory, ENOENT if `ino` has no names
    /// left (an open, unlinked file).
    pub fn link(&mut self, dir: Ino, name: &[u8], ino: Ino, now: Timespec) -> Result<(), Errno> {
        self.node(ino)?;
        let Name::Normal { name, slash } = split_name(name) else {
            return Err(EEXIST);
        };
        let d = self.live_dir(dir)?;
        check_new_name(name)?;
        if d.get(name).is_some() {
            return Err(EEXIST);
        }
        if slash {
            return Err(ENOENT);
        }
        let n = self.node(ino)?;
        if n.is_dir() {
            return Err(EPERM);
        }
        if n.nlink == 0 {
            return Err(ENOENT);
        }
        if n.nlink == u32::MAX {
            return Err(EMLINK);
        }
        self.dir_mut(dir)?.insert(name, ino);
        let n = self.node_mut(ino)?;
        n.nlink += 1;
        n.ctime = now;
        n.parent = dir;
        self.touch_modified(dir, now);
        Ok(())
    }

    /// Remove the non-directory `dir/name`: EISDIR for a directory (and for
    /// "." / ".." / "/"), ENOENT if absent, ENOTDIR for "file/". The inode
    /// goes once it is not open.
    pub fn unlink(&mut self, dir: Ino, name: &[u8], now: Timespec) -> Result<(), Errno> {
        let Name::Normal { name, slash } = split_name(name) else {
            return Err(EISDIR);
        };
        let ino = self.child(dir, name)?;
        if self.node(ino)?.is_dir() {
            return Err(EISDIR);
        }
        if slash {
            return Err(ENOTDIR);
        }
        self.dir_mut(dir)?.remove(name);
        let n = self.node_mut(ino)?;
        n.nlink = n.nlink.saturating_sub(1);
        n.ctime = now;
        self.touch_modified(dir, now);
        self.maybe_free(ino);
        Ok(())
    }

    /// Remove the empty directory `dir/name`: EINVAL for ".", ENOTEMPTY for
    /// "..", EBUSY for "/", ENOTDIR for a non-directory, ENOTEMPTY if it has
    /// entries.
    pub fn rmdir(&mut self, dir: Ino, name: &[u8], now: Timespec) -> Result<(), Errno> {
        let name = match split_name(name) {
            Name::Dot => return Err(EINVAL),
            Name::DotDot => return Err(ENOTEMPTY),
            Name::Root => return Err(EBUSY),
            Name::Normal { name, .. } => name,
        };
        let ino = self.child(dir, name)?;
        let d = self.node(ino)?.dir().ok_or(ENOTDIR)?;
        if ino == ROOT_INO {
            return Err(EBUSY);
        }
        if !d.is_empty() {
            return Err(ENOTEMPTY);
        }
        self.dir_mut(dir)?.remove(name);
        self.kill_dir(ino, now);
        let parent = self.node_mut(dir)?;
        parent.nlink = parent.nlink.saturating_sub(1);
        parent.mtime = now;
        parent.ctime = now;
        self.maybe_free(ino);
        Ok(())
    }

    /// Mark an (empty, already unnamed) directory removed.
    fn kill_dir(&mut self, ino: Ino, now: Timespec) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.nlink = 0;
            n.ctime = now;
            if let Some(d) = n.dir_mut() {
                d.removed = true;
            }
        }
    }

    /// rename(2) of `olddir/oldname` to `newdir/newname`, with Linux's rules
    /// and error order: ENOENT if the source is missing; EINVAL to move a
    /// directory into itself or below; ENOTEMPTY if the target is an
    /// ancestor of the source; renaming to another name of the same inode
    /// does nothing; a file replaces a file (EISDIR onto a directory), a
    /// directory replaces an empty directory (ENOTDIR onto a file,
    /// ENOTEMPTY onto a non-empty one). "." / ".." / "/" give EBUSY; a
    /// trailing slash on either name requires the source to be a directory
    /// (ENOTDIR).
    pub fn rename(&mut self, olddir: Ino, oldname: &[u8], newdir: Ino, newname: &[u8], now: Timespec) -> Result<(), Errno> {
        self.rename2(olddir, oldname, newdir, newname, false, now)
    }

    /// [`Vfs::rename`] with RENAME_NOREPLACE (`noreplace`: EEXIST if the
    /// new name exists).
    pub fn rename2(&mut self, olddir: Ino, oldname: &[u8], newdir: Ino, newname: &[u8], noreplace: bool, now: Timespec) -> Result<(), Errno> {
        let Name::Normal { name: oldname, slash: old_slash } = split_name(oldname) else {
            return Err(EBUSY);
        };
        let Name::Normal { name: newname, slash: new_slash } = split_name(newname) else {
            return Err(if noreplace { EEXIST } else { EBUSY });
        };
        if oldname.is_empty() {
            return Err(ENOENT);
        }
        let src = self.child(olddir, oldname)?;
        self.live_dir(newdir)?;
        check_new_name(newname)?;
        let tgt = self.dir(newdir)?.get(newname);
        if noreplace && tgt.is_some() {
            return Err(EEXIST);
        }
        let src_is_dir = self.node(src)?.is_dir();
        if !src_is_dir && (old_slash || new_slash) {
            return Err(ENOTDIR);
        }
        if src_is_dir && self.is_ancestor_or_self(src, newdir) {
            return Err(EINVAL);
        }
        if let Some(t) = tgt {
            if self.is_ancestor_or_self(t, olddir) {
                return Err(ENOTEMPTY);
            }
        }
        if tgt == Some(src) {
            return Ok(());
        }
        let mut tgt_is_dir = false;
        if let Some(t) = tgt {
            let tn = self.node(t)?;
            tgt_is_dir = tn.is_dir();
            if src_is_dir && !tgt_is_dir {
                return Err(ENOTDIR);
            }
            if !src_is_dir && tgt_is_dir {
                return Err(EISDIR);
            }
            if tn.dir().is_some_and(|d| !d.is_empty()) {
                return Err(ENOTEMPTY);
            }
        }

        // all checks passed: nothing below fails
        if let Some(t) = tgt {
            self.dir_mut(newdir)?.remove(newname);
            if tgt_is_dir {
                self.kill_dir(t, now);
                let nd = self.node_mut(newdir)?;
                nd.nlink = nd.nlink.saturating_sub(1);
            } else if let Some(tn) = self.nodes.get_mut(&t) {
                tn.nlink = tn.nlink.saturating_sub(1);
                tn.ctime = now;
            }
        }
        self.dir_mut(olddir)?.remove(oldname);
        self.dir_mut(newdir)?.insert(newname, src);
        if let Some(n) = self.nodes.get_mut(&src) {
            n.parent = newdir;
        }
        if src_is_dir {
            if let Ok(d) = self.dir_mut(src) {
                d.parent = newdir;
                d.name = newname.to_vec();
            }
            let od = self.node_mut(olddir)?;
            od.nlink = od.nlink.saturating_sub(1);
            let nd = self.node_mut(newdir)?;
            nd.nlink = nd.nlink.saturating_add(1);
        }
        self.touch_changed(src, now);
        self.touch_modified(olddir, now);
        self.touch_modified(newdir, now);
        if let Some(t) = tgt {
            self.maybe_free(t);
        }
        Ok(())
    }

    /// Read file `ino` at `offset` into `buf`; returns the bytes read (0 at
    /// or past the end). EISDIR for a directory, EINVAL for other
    /// non-files. Records an access (relatime), also for empty reads, as
    /// tmpfs does.
    /// Read file `ino` without touching its times: page faults of a file
    /// mapping and exec (Linux marks the access once, at mmap).
    pub fn read_quiet(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        match &self.nodes.get(&ino).ok_or(ENOENT)?.body {
            Body::File(p) => Ok(p.read(offset, buf)),
            Body::Dir(_) => Err(EISDIR),
            _ => Err(EINVAL),
        }
    }

    pub fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8], now: Timespec) -> Result<usize, Errno> {
        let n = self.node_mut(ino)?;
        let got = match &n.body {
            Body::File(p) => p.read(offset, buf),
            Body::Dir(_) => return Err(EISDIR),
            _ => return Err(EINVAL),
        };
        touch_atime(n, now);
        Ok(got)
    }

    /// Write `data` to file `ino` at `offset`, growing it as needed (a gap
    /// reads as zeros and takes no memory). The size limit is
    /// [`MAX_FILE_SIZE`]; see [`Vfs::write_limited`].
    pub fn write(&mut self, ino: Ino, offset: u64, data: &[u8], now: Timespec) -> Result<usize, Errno> {
        self.write_limited(ino, offset, data, MAX_FILE_SIZE, now)
    }

    /// `write` with a file size limit (pass [`MAX_NON_LFS`] for a file
    /// opened without O_LARGEFILE): EFBIG if `offset` is at or past it, else
    /// the write is cut short there. An empty write does nothing. When the
    /// byte budget runs out the write is short, or ENOSPC if nothing could
    /// be written. mtime and ctime change.
    pub fn write_limited(&mut self, ino: Ino, offset: u64, data: &[u8], limit: u64, now: Timespec) -> Result<usize, Errno> {
        let mut avail = self.pages_available();
        let n = self.node_mut(ino)?;
        let Body::File(pages) = &mut n.body else {
            return Err(if n.is_dir() { EISDIR } else { EINVAL });
        };
        if data.is_empty() {
            return Ok(0);
        }
        let limit = limit.min(MAX_FILE_SIZE);
        if offset >= limit {
            return Err(EFBIG);
        }
        let count = (limit - offset).min(data.len() as u64) as usize;
        let before = avail;
        let written = pages.write(offset, data.get(..count).unwrap_or(data), &mut avail);
        // like Linux, the times change before the data (even if no space)
        n.mtime = now;
        n.ctime = now;
        self.pages_used += before - avail;
        if written == 0 {
            return Err(ENOSPC);
        }
        Ok(written)
    }

    /// ftruncate(2) and open(O_TRUNC): set the size of file `ino` to `len`
    /// (growing adds a hole); mtime and ctime change, even if the size
    /// stays. EISDIR for a directory, EINVAL for other non-files, EFBIG past
    /// [`MAX_FILE_SIZE`].
    pub fn truncate(&mut self, ino: Ino, len: u64, now: Timespec) -> Result<(), Errno> {
        self.set_size(ino, len, true, now)
    }

    /// truncate(2) of a path: as [`Vfs::truncate`], but the times change
    /// only if the size does.
    pub fn truncate_path(&mut self, ino: Ino, len: u64, now: Timespec) -> Result<(), Errno> {
        self.set_size(ino, len, false, now)
    }

    fn set_size(&mut self, ino: Ino, len: u64, always_touch: bool, now: Timespec) -> Result<(), Errno> {
        let n = self.node_mut(ino)?;
        let Body::File(pages) = &mut n.body else {
            return Err(if n.is_dir() { EISDIR } else { EINVAL });
        };
        if len > MAX_FILE_SIZE {
            return Err(EFBIG);
        }
        let changed = pages.size != len;
        let freed = pages.truncate(len);
        if changed || always_touch {
            n.mtime = now;
            n.ctime = now;
        }
        self.pages_used = self.pages_used.saturating_sub(freed);
        Ok(())
    }
}
