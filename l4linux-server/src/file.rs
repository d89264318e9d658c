//! Open files: open file descriptions (shared by dup and fork, with their
//! offset and status flags) and per-process descriptor tables. A file is a
//! tmpfs inode, a character device, one end of a pipe, or a /proc file
//! whose contents were generated when it was opened.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

/// Character devices the server implements (by Linux major/minor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dev {
    Null,
    Zero,
    Full,
    Random,
    /// The serial console (/dev/console, /dev/ttyS0, /dev/tty).
    Console,
}

impl Dev {
    pub fn from_rdev(major: u32, minor: u32) -> Option<Dev> {
        match (major, minor) {
            (1, 3) => Some(Dev::Null),
            (1, 5) => Some(Dev::Zero),
            (1, 7) => Some(Dev::Full),
            (1, 8) | (1, 9) => Some(Dev::Random),
            (5, 1) | (5, 0) | (4, 64) | (4, 0) | (4, 1) => Some(Dev::Console),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A tmpfs inode (regular file, directory, symlink opened with O_PATH).
    Inode(u32),
    /// A device node: the inode (for fstat) and the device.
    Device(u32, Dev),
    PipeRead(u32),
    PipeWrite(u32),
    /// Generated contents (/proc files), and a made-up inode number.
    Proc(Rc<Vec<u8>>, u32),
    /// A /proc directory listing: (ino, name, d_type) entries.
    ProcDir(Rc<Vec<(u32, Vec<u8>, u8)>>, u32),
}

#[derive(Debug)]
pub struct OpenFile {
    pub kind: Kind,
    /// O_ACCMODE and status flags (O_APPEND, O_NONBLOCK, ...).
    pub flags: u32,
    /// File offset, or the directory cookie.
    pub offset: u64,
    /// The path it was opened by (for /proc/<pid>/fd).
    pub path: Vec<u8>,
}

pub type FileRef = Rc<RefCell<OpenFile>>;

pub fn new_file(kind: Kind, flags: u32, path: &[u8]) -> FileRef {
    Rc::new(RefCell::new(OpenFile { kind, flags, offset: 0, path: path.to_vec() }))
}

impl OpenFile {
    pub fn readable(&self) -> bool {
        self.flags & 3 != 1 && self.flags & crate::linux::fcntl::O_PATH == 0
    }
    pub fn writable(&self) -> bool {
        self.flags & 3 != 0 && self.flags & crate::linux::fcntl::O_PATH == 0
    }
}

/// Descriptor limit (RLIMIT_NOFILE).
pub const MAX_FDS: usize = 1024;

#[derive(Clone)]
pub struct FdTable {
    slots: Vec<Option<(FileRef, bool)>>,
    /// Descriptors at or above this are refused (RLIMIT_NOFILE).
    pub limit: usize,
}

impl Default for FdTable {
    fn default() -> Self {
        FdTable { slots: Vec::new(), limit: MAX_FDS }
    }
}

impl FdTable {
    pub fn get(&self, fd: i32) -> Option<&FileRef> {
        self.slots.get(usize::try_from(fd).ok()?)?.as_ref().map(|(f, _)| f)
    }
    pub fn cloexec(&self, fd: i32) -> bool {
        usize::try_from(fd).ok().and_then(|i| self.slots.get(i)?.as_ref()).is_some_and(|s| s.1)
    }
    pub fn set_cloexec(&mut self, fd: i32, on: bool) {
        if let Some(Some(s)) = usize::try_from(fd).ok().and_then(|i| self.slots.get_mut(i)) {
            s.1 = on;
        }
    }
    /// Lowest free descriptor at or above `min`.
    pub fn alloc(&mut self, f: FileRef, min: usize, cloexec: bool) -> Option<i32> {
        let i = (min..self.limit.min(MAX_FDS)).find(|&i| self.slots.get(i).is_none_or(|s| s.is_none()))?;
        self.place(i, f, cloexec);
        Some(i as i32)
    }
    /// Put `f` at `fd`, returning what was there.
    pub fn place(&mut self, fd: usize, f: FileRef, cloexec: bool) -> Option<FileRef> {
        if self.slots.len() <= fd {
            self.slots.resize(fd + 1, None);
        }
        self.slots[fd].replace((f, cloexec)).map(|(f, _)| f)
    }
    pub fn take(&mut self, fd: i32) -> Option<FileRef> {
        let s = self.slots.get_mut(usize::try_from(fd).ok()?)?;
        s.take().map(|(f, _)| f)
    }
    /// Descriptors in use.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &FileRef)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|(f, _)| (i as i32, f)))
    }
    /// Remove and return everything (exit), or only the close-on-exec ones.
    pub fn drain(&mut self, only_cloexec: bool) -> Vec<FileRef> {
        let mut out = Vec::new();
        for s in self.slots.iter_mut() {
            if s.as_ref().is_some_and(|(_, c)| *c || !only_cloexec) {
                out.push(s.take().unwrap().0);
            }
        }
        out
    }
    pub fn count(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_free_and_dup_sharing() {
        let mut t = FdTable::default();
        let a = new_file(Kind::Inode(5), 0, b"/a");
        assert_eq!(t.alloc(a.clone(), 0, false), Some(0));
        assert_eq!(t.alloc(a.clone(), 0, true), Some(1));
        assert_eq!(t.alloc(a.clone(), 10, false), Some(10));
        assert!(t.cloexec(1) && !t.cloexec(0));
        t.take(0);
        assert_eq!(t.alloc(a.clone(), 0, false), Some(0));
        a.borrow_mut().offset = 7;
        assert_eq!(t.get(10).unwrap().borrow().offset, 7);
        assert_eq!(t.drain(true).len(), 1);
        assert_eq!(t.count(), 2);
        assert!(t.get(-1).is_none() && t.get(5000).is_none());
    }
}
