//! The virtual file system: one in-memory, writable tmpfs holding the whole
//! file tree, with the semantics of Linux 6.1 tmpfs (the reference the
//! conformance suite and the busybox scripts are compared against).
//!
//! Layers:
//! - inode-level operations (`create`, `link`, `unlink`, `rmdir`, `rename`,
//!   `read`, `write`, `truncate`, attributes) in [`ops`] and here;
//! - path resolution (`resolve`, `resolve_parent`, `lookup`) and
//!   path-level calls that reproduce Linux's errors, in Linux's order, for
//!   each system call (`open_at`, `mkdir_at`, `mknod_at`, `symlink_at`,
//!   `link_at`, `unlink_at`, `rmdir_at`, `rename_at`) in [`path`];
//! - the initrd unpacker (`unpack_cpio`) in [`cpio`].
//!
//! The last component [`Vfs::resolve_parent`] returns keeps what matters
//! about how the path ended ("." / ".." / "/" / "name/"), and the
//! inode-level calls turn that into the right errno, so `resolve_parent`
//! followed by `create`/`unlink`/`rmdir`/`rename`/`link` behaves like the
//! system call.
//!
//! Values chosen to look like tmpfs:
//! - the root is inode [`ROOT_INO`] (1), mode 0755, owned by 0:0; inode
//!   numbers count up from there and are never reused (until 2^32 wraps);
//! - a directory's size is 40 plus 20 per entry ("." and ".." count as the
//!   40; tmpfs's `BOGO_DIRENT_SIZE`), its nlink 2 plus its subdirectories,
//!   its blocks 0;
//! - file data lives in 4 KiB pages; `st_blocks` = 8 per allocated page
//!   (holes are not allocated; a 1-byte file has 8); `st_blksize` 4096;
//! - a symlink's size is its target's length; targets of 128 bytes or more
//!   take a page (blocks 8), shorter ones none;
//! - listing order is newest entry first (see [`node::Dir`]).
//!
//! No permission checks: everything runs as root.
//!
//! Inode numbers a caller keeps across calls (open files, working
//! directories) must be [`Vfs::retain`]ed, or they vanish when their last
//! name goes. Every entry point takes arbitrary input (bad inode numbers,
//! paths, offsets, archive bytes) and answers with an errno, never a panic.

mod cpio;
mod node;
mod ops;
mod path;
#[cfg(test)]
mod tests;

use alloc::vec::Vec;
use crate::hash::IntMap;

use crate::errno::*;
use node::{Body, Dir, Inode, PAGE_SIZE};

pub use path::OpenFlags;

/// An inode number (also `st_ino` and `d_ino`).
pub type Ino = u32;

/// A point in time (seconds and nanoseconds since the epoch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

impl Timespec {
    pub const fn new(sec: i64, nsec: u32) -> Timespec {
        Timespec { sec, nsec }
    }
}

/// What an inode is. (Block devices and sockets are not kept: mknod of
/// them is the syscall layer's to refuse, the initrd unpacker skips them.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
    Symlink,
    CharDev { major: u32, minor: u32 },
    Fifo,
}

pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISVTX: u32 = 0o1000;
pub const S_IXGRP: u32 = 0o010;

pub const DT_UNKNOWN: u8 = 0;
pub const DT_FIFO: u8 = 1;
pub const DT_CHR: u8 = 2;
pub const DT_DIR: u8 = 4;
pub const DT_REG: u8 = 8;
pub const DT_LNK: u8 = 10;

/// The root directory's inode number.
pub const ROOT_INO: Ino = 1;
/// Mode of the root directory of a fresh tree (a "." entry in the initrd
/// can change it).
pub const ROOT_MODE: u32 = 0o755;
/// `st_blksize` of every inode.
pub const BLKSIZE: u32 = 4096;
/// Size of an empty directory; each entry adds [`DIRENT_SIZE`].
pub const DIR_SIZE: u64 = 40;
pub const DIRENT_SIZE: u64 = 20;
/// Longest name of a directory entry.
pub const NAME_MAX: usize = 255;
/// Paths (and symlink targets) must be shorter than this.
pub const PATH_MAX: usize = 4096;
/// Symlinks followed in one resolution before ELOOP.
pub const MAXSYMLINKS: u32 = 40;
/// Largest file size (i386 Linux `MAX_LFS_FILESIZE`, tmpfs `s_maxbytes`).
pub const MAX_FILE_SIZE: u64 = (u32::MAX as u64) << 12;
/// File size limit of a file opened without `O_LARGEFILE`.
pub const MAX_NON_LFS: u64 = 0x7fff_ffff;

impl Kind {
    /// The S_IFMT bits of this kind.
    pub fn ifmt(self) -> u32 {
        match self {
            Kind::Dir => S_IFDIR,
            Kind::File => S_IFREG,
            Kind::Symlink => S_IFLNK,
            Kind::CharDev { .. } => S_IFCHR,
            Kind::Fifo => S_IFIFO,
        }
    }

    /// The `d_type` of a directory entry of this kind.
    pub fn d_type(self) -> u8 {
        match self {
            Kind::Dir => DT_DIR,
            Kind::File => DT_REG,
            Kind::Symlink => DT_LNK,
            Kind::CharDev { .. } => DT_CHR,
            Kind::Fifo => DT_FIFO,
        }
    }

    /// The kind for the S_IFMT bits of `mode` (`major`/`minor` for a
    /// character device); None for other types.
    pub fn from_mode(mode: u32, major: u32, minor: u32) -> Option<Kind> {
        Some(match mode & S_IFMT {
            S_IFDIR => Kind::Dir,
            S_IFREG => Kind::File,
            S_IFLNK => Kind::Symlink,
            S_IFCHR => Kind::CharDev { major: major & 0xfff, minor: minor & 0xf_ffff },
            S_IFIFO => Kind::Fifo,
            _ => return None,
        })
    }
}

/// Linux's `new_encode_dev`: the `st_rdev` of a device (1:3 is 0x103).
pub fn encode_dev(major: u32, minor: u32) -> u64 {
    let (major, minor) = (u64::from(major & 0xfff), u64::from(minor & 0xf_ffff));
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

/// What `stat` reports about an inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr {
    pub ino: Ino,
    pub kind: Kind,
    /// Permission bits including suid/sgid/sticky; see [`Attr::st_mode`].
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// Allocated 512-byte blocks.
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

impl Attr {
    /// `st_mode`: type and permission bits.
    pub fn st_mode(&self) -> u32 {
        self.kind.ifmt() | self.mode
    }

    /// `st_rdev` ([`encode_dev`]) of a device, else 0.
    pub fn rdev(&self) -> u64 {
        match self.kind {
            Kind::CharDev { major, minor } => encode_dev(major, minor),
            _ => 0,
        }
    }

    /// `st_blksize`: always [`BLKSIZE`].
    pub fn blksize(&self) -> u32 {
        BLKSIZE
    }
}

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: Ino,
    /// The cookie to pass for the entry after this one (`d_off`).
    pub next_cookie: u64,
    pub name: Vec<u8>,
    pub d_type: u8,
}

/// The file tree.
pub struct Vfs {
    nodes: IntMap<Ino, Inode>,
    next_ino: Ino,
    /// Data pages allocated (files and long symlinks).
    pages_used: u64,
    /// Bytes of data allowed (`set_budget`).
    budget: u64,
    /// Inodes allowed (`set_inode_limit`).
    max_inodes: u32,
}

impl Vfs {
    /// A tree holding only "/" (mode [`ROOT_MODE`], owned by root).
    pub fn new(now: Timespec) -> Vfs {
        let mut nodes = IntMap::default();
        nodes.insert(
            ROOT_INO,
            Inode {
                kind: Kind::Dir,
                perm: ROOT_MODE,
                nlink: 2,
                uid: 0,
                gid: 0,
                atime: now,
                mtime: now,
                ctime: now,
                opens: 0,
                parent: ROOT_INO,
                body: Body::Dir(Dir::new(ROOT_INO, b"")),
            },
        );
        Vfs { nodes, next_ino: ROOT_INO + 1, pages_used: 0, budget: u64::MAX, max_inodes: u32::MAX - 1 }
    }

    pub fn root(&self) -> Ino {
        ROOT_INO
    }

    /// Whether `ino` exists.
    pub fn exists(&self, ino: Ino) -> bool {
        self.nodes.contains_key(&ino)
    }

    /// The attributes of `ino`. For an inode that does not exist (a bug in
    /// the caller) this is an empty regular file with no links and mode 0;
    /// [`Vfs::try_attr`] tells the difference.
    pub fn attr(&self, ino: Ino) -> Attr {
        self.try_attr(ino).unwrap_or(Attr {
            ino,
            kind: Kind::File,
            mode: 0,
            nlink: 0,
            uid: 0,
            gid: 0,
            size: 0,
            blocks: 0,
            atime: Timespec::default(),
            mtime: Timespec::default(),
            ctime: Timespec::default(),
        })
    }

    /// The attributes of `ino`; ENOENT if there is no such inode.
    pub fn try_attr(&self, ino: Ino) -> Result<Attr, Errno> {
        let n = self.node(ino)?;
        let (size, blocks) = match &n.body {
            Body::Dir(d) => (DIR_SIZE + DIRENT_SIZE * d.len() as u64, 0),
            Body::File(p) => (p.size, p.count() * (PAGE_SIZE as u64 / 512)),
            Body::Symlink(t) => (t.len() as u64, n.pages() * (PAGE_SIZE as u64 / 512)),
            Body::Empty => (0, 0),
        };
        Ok(Attr {
            ino,
            kind: n.kind,
            mode: n.perm,
            nlink: n.nlink,
            uid: n.uid,
            gid: n.gid,
            size,
            blocks,
            atime: n.atime,
            mtime: n.mtime,
            ctime: n.ctime,
        })
    }

    /// chmod: the permission bits become `mode & 0o7777`; ctime changes.
    /// (Inodes that do not exist are ignored, here and in the other
    /// setters.)
    pub fn set_mode(&mut self, ino: Ino, mode: u32, now: Timespec) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.perm = mode & 0o7777;
            n.ctime = now;
        }
    }

    /// chown (None = leave as is); ctime changes even if nothing else does.
    /// As in Linux (also for root), a non-directory loses its set-user-ID
    /// bit, and its set-group-ID bit if group-executable.
    pub fn set_owner(&mut self, ino: Ino, uid: Option<u32>, gid: Option<u32>, now: Timespec) {
        let Some(n) = self.nodes.get_mut(&ino) else { return };
        if let Some(uid) = uid {
            n.uid = uid;
        }
        if let Some(gid) = gid {
            n.gid = gid;
        }
        if n.kind != Kind::Dir {
            n.perm &= !S_ISUID;
            if n.perm & S_IXGRP != 0 {
                n.perm &= !S_ISGID;
            }
        }
        n.ctime = now;
    }

    /// utimensat: set the given times (the caller resolves UTIME_NOW to
    /// `Some(now)`, UTIME_OMIT to None); ctime becomes `now` unless both
    /// are omitted, which changes nothing.
    pub fn set_times(&mut self, ino: Ino, atime: Option<Timespec>, mtime: Option<Timespec>, now: Timespec) {
        let Some(n) = self.nodes.get_mut(&ino) else { return };
        if atime.is_none() && mtime.is_none() {
            return;
        }
        if let Some(t) = atime {
            n.atime = t;
        }
        if let Some(t) = mtime {
            n.mtime = t;
        }
        n.ctime = now;
    }

    /// Record an access (the `relatime` rule of a default tmpfs mount: atime
    /// moves only if it is not after mtime/ctime or is a day old). `read`
    /// does this itself; call it after getdents and readlink.
    pub fn accessed(&mut self, ino: Ino, now: Timespec) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            touch_atime(n, now);
        }
    }

    /// The next entry of directory `dir` at `cookie` (0 starts the listing):
    /// ".", "..", then the children, newest first. None at the end, and
    /// for a removed directory (Linux lists nothing there).
    pub fn readdir(&self, dir: Ino, cookie: u64) -> Result<Option<DirEntry>, Errno> {
        let d = self.dir(dir)?;
        if d.removed {
            return Ok(None);
        }
        let entry = match cookie {
            0 => DirEntry { ino: dir, next_cookie: 1, name: b".".to_vec(), d_type: DT_DIR },
            1 => DirEntry { ino: d.parent, next_cookie: node::FIRST_CHILD_COOKIE, name: b"..".to_vec(), d_type: DT_DIR },
            c => match d.child_at(c) {
                None => return Ok(None),
                Some((name, ino, next)) => {
                    let d_type = self.nodes.get(&ino).map_or(DT_UNKNOWN, |n| n.kind.d_type());
                    DirEntry { ino, next_cookie: next, name: name.to_vec(), d_type }
                }
            },
        };
        Ok(Some(entry))
    }

    /// The absolute path of directory `dir` (getcwd); ENOENT if it was
    /// removed, ENOTDIR for other inodes.
    pub fn path_of(&self, dir: Ino) -> Result<Vec<u8>, Errno> {
        let mut names: Vec<&[u8]> = Vec::new();
        let mut cur = dir;
        // every step goes one level up; more steps than inodes is a cycle
        for _ in 0..=self.nodes.len() {
            let d = self.dir(cur)?;
            if d.removed {
                return Err(ENOENT);
            }
            if cur == ROOT_INO {
                let mut path = Vec::new();
                for name in names.iter().rev() {
                    path.push(b'/');
                    path.extend_from_slice(name);
                }
                if path.is_empty() {
                    path.push(b'/');
                }
                return Ok(path);
            }
            names.push(&d.name);
            cur = d.parent;
        }
        Err(ENOENT)
    }

    /// The absolute path of any inode (for /proc/PID/fd links): a
    /// directory's as [`Vfs::path_of`], another inode's through the
    /// directory it was last linked into, if it still has a name there;
    /// ENOENT otherwise (unlinked, or only other hard links left).
    pub fn path_of_any(&self, ino: Ino) -> Result<Vec<u8>, Errno> {
        let n = self.node(ino)?;
        if n.is_dir() {
            return self.path_of(ino);
        }
        let name = self.live_dir(n.parent)?.name_of(ino).ok_or(ENOENT)?;
        let mut path = self.path_of(n.parent)?;
        if path != b"/" {
            path.push(b'/');
        }
        path.extend_from_slice(name);
        Ok(path)
    }

    /// Take an open reference on `ino` (an open file, a working directory):
    /// it stays (readable, writable) after its last name is removed, until
    /// the last [`Vfs::release`]. Unknown inodes are ignored.
    pub fn retain(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.opens = n.opens.saturating_add(1);
        }
    }

    /// Drop an open reference (unknown inodes are ignored).
    pub fn release(&mut self, ino: Ino) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.opens = n.opens.saturating_sub(1);
            self.maybe_free(ino);
        }
    }

    /// Limit the file data (in bytes, counted in whole 4 KiB pages) the tree
    /// may hold; writes past it fail with ENOSPC. Data already there stays.
    pub fn set_budget(&mut self, bytes: u64) {
        self.budget = bytes;
    }

    /// The file data limit in bytes (`u64::MAX`: none).
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// Limit the number of inodes; creating more fails with ENOSPC.
    pub fn set_inode_limit(&mut self, inodes: u32) {
        self.max_inodes = inodes.min(u32::MAX - 1);
    }

    /// Bytes of data held (allocated pages * 4096) and inodes in use
    /// (including removed ones still open).
    pub fn usage(&self) -> (u64, u32) {
        (self.pages_used * PAGE_SIZE as u64, self.nodes.len() as u32)
    }

    // ---- internal helpers ----

    fn node(&self, ino: Ino) -> Result<&Inode, Errno> {
        self.nodes.get(&ino).ok_or(ENOENT)
    }

    fn node_mut(&mut self, ino: Ino) -> Result<&mut Inode, Errno> {
        self.nodes.get_mut(&ino).ok_or(ENOENT)
    }

    /// The directory `ino` (ENOENT if missing, ENOTDIR if not a directory).
    fn dir(&self, ino: Ino) -> Result<&Dir, Errno> {
        self.node(ino)?.dir().ok_or(ENOTDIR)
    }

    fn dir_mut(&mut self, ino: Ino) -> Result<&mut Dir, Errno> {
        self.node_mut(ino)?.dir_mut().ok_or(ENOTDIR)
    }

    /// Like `dir`, and ENOENT if it was removed (nothing can be looked up
    /// or created in it).
    fn live_dir(&self, ino: Ino) -> Result<&Dir, Errno> {
        let d = self.dir(ino)?;
        if d.removed {
            return Err(ENOENT);
        }
        Ok(d)
    }

    /// Pages the budget still allows.
    fn pages_available(&self) -> u64 {
        (self.budget / PAGE_SIZE as u64).saturating_sub(self.pages_used)
    }

    /// A fresh inode number (ENOSPC at the inode limit).
    fn alloc_ino(&mut self) -> Result<Ino, Errno> {
        if self.nodes.len() >= self.max_inodes as usize {
            return Err(ENOSPC);
        }
        // fewer than 2^32 - 1 inodes exist, so a free number turns up
        loop {
            let ino = self.next_ino;
            self.next_ino = match ino.wrapping_add(1) {
                0 => ROOT_INO + 1,
                n => n,
            };
            if ino != 0 && !self.nodes.contains_key(&ino) {
                return Ok(ino);
            }
        }
    }

    /// Free `ino` if it has neither names nor open references.
    fn maybe_free(&mut self, ino: Ino) {
        if ino == ROOT_INO {
            return;
        }
        let Some(n) = self.nodes.get(&ino) else { return };
        if n.nlink == 0 && n.opens == 0 {
            let pages = n.pages();
            self.pages_used = self.pages_used.saturating_sub(pages);
            self.nodes.remove(&ino);
        }
    }

    /// mtime and ctime of `ino` become `now` (a directory whose entries
    /// changed, a file whose data changed).
    fn touch_modified(&mut self, ino: Ino, now: Timespec) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.mtime = now;
            n.ctime = now;
        }
    }

    fn touch_changed(&mut self, ino: Ino, now: Timespec) {
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.ctime = now;
        }
    }

    /// Whether `ancestor` is `dir` or one of the directories above it.
    fn is_ancestor_or_self(&self, ancestor: Ino, dir: Ino) -> bool {
        let mut cur = dir;
        for _ in 0..=self.nodes.len() {
            if cur == ancestor {
                return true;
            }
            if cur == ROOT_INO {
                return false;
            }
            match self.dir(cur) {
                Ok(d) => cur = d.parent,
                Err(_) => return false,
            }
        }
        false
    }
}

/// The `relatime` rule.
fn touch_atime(n: &mut Inode, now: Timespec) {
    const DAY: i64 = 24 * 60 * 60;
    if n.atime <= n.mtime || n.atime <= n.ctime || now.sec.saturating_sub(n.atime.sec) >= DAY {
        n.atime = now;
    }
}
