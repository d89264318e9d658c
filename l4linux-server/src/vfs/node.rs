//! Inodes and what they hold: directory entry maps with a stable listing
//! order, regular-file data in sparse 4 KiB pages, symlink targets.
//!
//! Nothing here knows about paths or time rules; `Vfs` (in `mod.rs` and
//! `ops.rs`) keeps the link counts, sizes and timestamps consistent.

use alloc::boxed::Box;
use alloc::collections::btree_map::Entry as BEntry;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use hashbrown::HashMap;

use super::{Ino, Kind, Timespec};

/// Size of a data page (tmpfs allocates file data in pages).
pub(super) const PAGE_SIZE: usize = 4096;
const PAGE: u64 = PAGE_SIZE as u64;

/// One file-system object.
pub(super) struct Inode {
    pub kind: Kind,
    /// Permission bits including suid/sgid/sticky (never the S_IFMT bits).
    pub perm: u32,
    /// Link count as `stat` reports it (directories: 2 + subdirectories;
    /// 0 once removed).
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    /// Open references (`Vfs::retain`); an inode is freed when both this
    /// and `nlink` are 0.
    pub opens: u32,
    /// The directory of the name it got last (for `Vfs::path_of_any`;
    /// directories use `Dir::parent`).
    pub parent: Ino,
    pub body: Body,
}

/// The contents of an inode, by kind.
pub(super) enum Body {
    Dir(Dir),
    File(Pages),
    Symlink(Vec<u8>),
    /// Devices, fifos and sockets hold nothing.
    Empty,
}

impl Inode {
    pub fn dir(&self) -> Option<&Dir> {
        match &self.body {
            Body::Dir(d) => Some(d),
            _ => None,
        }
    }
    pub fn dir_mut(&mut self) -> Option<&mut Dir> {
        match &mut self.body {
            Body::Dir(d) => Some(d),
            _ => None,
        }
    }
    pub fn is_dir(&self) -> bool {
        matches!(self.body, Body::Dir(_))
    }
    pub fn is_symlink(&self) -> bool {
        matches!(self.body, Body::Symlink(_))
    }
    /// Data pages this inode holds (counted against the byte budget).
    pub fn pages(&self) -> u64 {
        match &self.body {
            Body::File(p) => p.count(),
            Body::Symlink(t) => symlink_pages(t.len()),
            _ => 0,
        }
    }
}

/// tmpfs keeps symlink targets shorter than 128 bytes inside the inode and
/// puts longer ones in a page of their own (which shows in `st_blocks`).
pub(super) fn symlink_pages(target_len: usize) -> u64 {
    if target_len >= 128 {
        1
    } else {
        0
    }
}

/// Highest per-directory sequence number; cookies stay below 2^31 so that
/// they survive a 32-bit `lseek`/`d_off`.
pub(super) const MAX_SEQ: u32 = 0x7fff_0000;
/// The cookie of the first child ("." is 0, ".." is 1).
pub(super) const FIRST_CHILD_COOKIE: u64 = 2;

/// A directory: its children by name, and their listing order.
///
/// Every insertion (create, link, rename into) gets a fresh, larger sequence
/// number; the listing goes from the largest to the smallest, which is the
/// order Linux 6.1 tmpfs lists in (newest first, a renamed entry moves to the
/// front). A readdir cookie encodes the sequence number to continue below,
/// so removals and insertions during a listing never make it skip or repeat
/// an entry that stayed put.
pub(super) struct Dir {
    /// The directory ".." leads to (the root is its own parent). Kept after
    /// removal, as Linux keeps `d_parent`.
    pub parent: Ino,
    /// This directory's name in `parent` (empty for the root); `getcwd`
    /// builds paths from it.
    pub name: Vec<u8>,
    /// Removed by rmdir/rename (Linux `IS_DEADDIR`): no lookups, no new
    /// entries, an empty listing.
    pub removed: bool,
    names: HashMap<Vec<u8>, (Ino, u32)>,
    order: BTreeMap<u32, Vec<u8>>,
    next_seq: u32,
}

impl Dir {
    pub fn new(parent: Ino, name: &[u8]) -> Dir {
        Dir {
            parent,
            name: name.to_vec(),
            removed: false,
            names: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 1,
        }
    }

    pub fn get(&self, name: &[u8]) -> Option<Ino> {
        self.names.get(name).map(|&(ino, _)| ino)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Add `name` (replacing an entry of that name, if any) at the front of
    /// the listing.
    pub fn insert(&mut self, name: &[u8], ino: Ino) {
        self.remove(name);
        if self.next_seq > MAX_SEQ {
            self.renumber();
        }
        let seq = self.next_seq;
        self.next_seq = seq.saturating_add(1);
        self.names.insert(name.to_vec(), (ino, seq));
        self.order.insert(seq, name.to_vec());
    }

    /// A name of `ino` here (a scan of this directory).
    pub fn name_of(&self, ino: Ino) -> Option<&[u8]> {
        self.names.iter().find(|(_, &(i, _))| i == ino).map(|(n, _)| n.as_slice())
    }

    pub fn remove(&mut self, name: &[u8]) -> Option<Ino> {
        let (ino, seq) = self.names.remove(name)?;
        self.order.remove(&seq);
        Some(ino)
    }

    /// After 2^31 insertions into one directory: number the entries 1..=n
    /// again, keeping their order (listings running at that moment may
    /// then skip or repeat entries).
    fn renumber(&mut self) {
        let old = core::mem::take(&mut self.order);
        let mut seq = 0u32;
        for (_, name) in old {
            seq = seq.saturating_add(1);
            if let Some(e) = self.names.get_mut(&name) {
                e.1 = seq;
            }
            self.order.insert(seq, name);
        }
        self.next_seq = seq.saturating_add(1);
    }

    /// The child to list at `cookie` (>= `FIRST_CHILD_COOKIE`): its name,
    /// inode and the cookie of the entry after it.
    pub fn child_at(&self, cookie: u64) -> Option<(&[u8], Ino, u64)> {
        // cookie 2 lists every sequence number <= MAX_SEQ; after the child
        // with sequence s comes cookie MAX_SEQ + 3 - s (< 2^31).
        let bound = (u64::from(MAX_SEQ) + 3).checked_sub(cookie)?;
        let bound = u32::try_from(bound).ok()?;
        let (&seq, name) = self.order.range(..bound).next_back()?;
        let ino = self.get(name)?;
        let next = u64::from(MAX_SEQ) + 3 - u64::from(seq);
        Some((name.as_slice(), ino, next))
    }

    #[cfg(test)]
    pub fn force_next_seq(&mut self, seq: u32) {
        self.next_seq = seq;
    }
}

/// Regular-file data: a size and the pages that were written. Missing pages
/// are holes and read as zeros; bytes past `size` inside a page are zero.
#[derive(Default)]
pub(super) struct Pages {
    pub size: u64,
    pages: BTreeMap<u64, Box<[u8; PAGE_SIZE]>>,
}

impl Pages {
    pub fn new() -> Pages {
        Pages::default()
    }

    /// Allocated pages.
    pub fn count(&self) -> u64 {
        self.pages.len() as u64
    }

    /// Copy from `offset` into `buf`; returns the bytes read (0 at or past
    /// the end).
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> usize {
        if offset >= self.size {
            return 0;
        }
        let n = (self.size - offset).min(buf.len() as u64) as usize;
        let mut done = 0usize;
        while done < n {
            let pos = offset + done as u64;
            let within = (pos % PAGE) as usize;
            let chunk = (PAGE_SIZE - within).min(n - done);
            let Some(dst) = buf.get_mut(done..done + chunk) else { break };
            match self.pages.get(&(pos / PAGE)).and_then(|p| p.get(within..within + chunk)) {
                Some(src) => dst.copy_from_slice(src),
                None => dst.fill(0),
            }
            done += chunk;
        }
        done
    }

    /// Copy `data` to `offset`, allocating pages while `avail` (pages the
    /// budget still allows) lasts; returns the bytes written, a prefix of
    /// `data`. The caller keeps `offset + data.len()` in range.
    pub fn write(&mut self, offset: u64, data: &[u8], avail: &mut u64) -> usize {
        let mut done = 0usize;
        while done < data.len() {
            let pos = offset + done as u64;
            let within = (pos % PAGE) as usize;
            let chunk = (PAGE_SIZE - within).min(data.len() - done);
            let page = match self.pages.entry(pos / PAGE) {
                BEntry::Occupied(e) => e.into_mut(),
                BEntry::Vacant(v) => {
                    if *avail == 0 {
                        break;
                    }
                    *avail -= 1;
                    v.insert(Box::new([0u8; PAGE_SIZE]))
                }
            };
            let (Some(dst), Some(src)) = (page.get_mut(within..within + chunk), data.get(done..done + chunk)) else {
                break;
            };
            dst.copy_from_slice(src);
            done += chunk;
        }
        if done > 0 {
            self.size = self.size.max(offset + done as u64);
        }
        done
    }

    /// Set the size to `len`: pages wholly past it are freed, the tail of a
    /// partial last page is zeroed (the page stays, as in tmpfs). Returns
    /// the pages freed.
    pub fn truncate(&mut self, len: u64) -> u64 {
        let mut freed = 0;
        if len < self.size {
            let keep = len.div_ceil(PAGE);
            let gone = self.pages.split_off(&keep);
            freed = gone.len() as u64;
            let within = (len % PAGE) as usize;
            if within != 0 {
                if let Some(tail) = self.pages.get_mut(&(len / PAGE)).and_then(|p| p.get_mut(within..)) {
                    tail.fill(0);
                }
            }
        }
        self.size = len;
        freed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn names(d: &Dir) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut c = FIRST_CHILD_COOKIE;
        while let Some((n, _, next)) = d.child_at(c) {
            assert!(next > c, "cookies must increase");
            out.push(n.to_vec());
            c = next;
        }
        out
    }

    #[test]
    fn dir_lists_newest_first_and_reinsert_moves_to_front() {
        let mut d = Dir::new(1, b"");
        d.insert(b"a", 10);
        d.insert(b"b", 11);
        d.insert(b"c", 12);
        assert_eq!(names(&d), vec![b"c".to_vec(), b"b".to_vec(), b"a".to_vec()]);
        d.insert(b"a", 10);
        assert_eq!(names(&d), vec![b"a".to_vec(), b"c".to_vec(), b"b".to_vec()]);
        assert_eq!(d.len(), 3);
        assert_eq!(d.remove(b"c"), Some(12));
        assert_eq!(d.remove(b"c"), None);
        assert_eq!(names(&d), vec![b"a".to_vec(), b"b".to_vec()]);
    }

    #[test]
    fn dir_renumbers_near_the_sequence_limit_keeping_order() {
        let mut d = Dir::new(1, b"");
        d.insert(b"x", 1);
        d.insert(b"y", 2);
        d.force_next_seq(MAX_SEQ);
        d.insert(b"z", 3); // gets MAX_SEQ
        d.insert(b"w", 4); // forces a renumbering
        assert_eq!(names(&d), vec![b"w".to_vec(), b"z".to_vec(), b"y".to_vec(), b"x".to_vec()]);
        assert_eq!(d.get(b"z"), Some(3));
        d.remove(b"y");
        assert_eq!(names(&d), vec![b"w".to_vec(), b"z".to_vec(), b"x".to_vec()]);
    }

    #[test]
    fn dir_cookies_beyond_range_end_the_listing() {
        let mut d = Dir::new(1, b"");
        d.insert(b"a", 5);
        assert!(d.child_at(u64::MAX).is_none());
        assert!(d.child_at(u64::from(MAX_SEQ) + 3).is_none());
        assert!(d.child_at(FIRST_CHILD_COOKIE).is_some());
        // every cookie stays below 2^31
        let (_, _, next) = d.child_at(FIRST_CHILD_COOKIE).unwrap();
        assert!(next < 1 << 31);
    }

    #[test]
    fn pages_sparse_write_read_truncate() {
        let mut p = Pages::new();
        let mut avail = 100;
        assert_eq!(p.write(5000, b"hello", &mut avail), 5);
        assert_eq!(avail, 99);
        assert_eq!(p.size, 5005);
        assert_eq!(p.count(), 1);
        let mut buf = [0xffu8; 10];
        assert_eq!(p.read(4998, &mut buf), 7);
        assert_eq!(&buf[..7], b"\0\0hello");
        // a write across a page boundary allocates both pages
        assert_eq!(p.write(8190, b"abcd", &mut avail), 4);
        assert_eq!(p.count(), 2);
        assert_eq!(p.truncate(5002), 1);
        assert_eq!(p.size, 5002);
        p.truncate(6000);
        let mut buf = [0xffu8; 8];
        assert_eq!(p.read(4999, &mut buf), 8);
        assert_eq!(&buf, b"\0he\0\0\0\0\0");
        assert_eq!(p.truncate(0), 1);
        assert_eq!(p.count(), 0);
    }

    #[test]
    fn pages_write_stops_when_budget_runs_out() {
        let mut p = Pages::new();
        let mut avail = 1;
        let data = vec![7u8; 3 * PAGE_SIZE];
        assert_eq!(p.write(100, &data, &mut avail), PAGE_SIZE - 100);
        assert_eq!(p.size, PAGE);
        assert_eq!(p.write(PAGE, &data, &mut avail), 0);
        // rewriting an allocated page needs no budget
        assert_eq!(p.write(0, &data[..50], &mut avail), 50);
    }
}
