//! Unpacking cpio "newc" archives (the initrd) into the tree, the way Linux's
//! `init/initramfs.c` does it.
//!
//! Format: entries of a 110-byte ASCII header ("070701", or "070702" with a
//! checksum of the file data, then 13 fields of 8 hex digits: ino, mode,
//! uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
//! rdevminor, namesize, check), the NUL-terminated name, padding to 4 bytes,
//! the data, padding to 4 bytes. "TRAILER!!!" ends an archive; several
//! archives may follow each other, with NUL padding between entries.
//!
//! Like Linux: an existing entry of another type is removed first (a
//! non-empty directory stays); an existing directory gets the mode and
//! owner of the entry; hard links (nlink >= 2, same ino/dev/type) are linked
//! to the first name seen and the data of any of them lands in the shared
//! file; file and symlink times are set to the entry's mtime at once,
//! directory times at the end (after their contents are in); entries that
//! cannot be made (say, a name below a file) are skipped. Unlike Linux,
//! missing parent directories are created (mode 0755, owner 0:0).
//!
//! Errors: EINVAL for a malformed archive (bad magic, a non-hex field, a
//! name without its NUL, data past the end, a header not 4-byte aligned,
//! no trailer after the last entry, a wrong 070702 checksum, compressed
//! data), ENOSPC when the byte budget or inode limit runs out. The entries
//! before the error stay unpacked.

use alloc::vec::Vec;
use hashbrown::HashMap;

use super::*;

const HEADER_LEN: usize = 110;
const TRAILER: &[u8] = b"TRAILER!!!";

/// The fields of a newc header.
struct Header {
    ino: u32,
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    mtime: u32,
    filesize: u32,
    devmajor: u32,
    devminor: u32,
    rdevmajor: u32,
    rdevminor: u32,
    namesize: u32,
    check: u32,
    /// "070702": `check` is the sum of the data bytes.
    crc: bool,
}

fn hex8(field: &[u8]) -> Option<u32> {
    if field.len() != 8 {
        return None;
    }
    field.iter().try_fold(0u32, |acc, &c| Some((acc << 4) | char::from(c).to_digit(16)?))
}

fn parse_header(h: &[u8]) -> Result<Header, Errno> {
    let crc = match h.get(..6) {
        Some(b"070701") => false,
        Some(b"070702") => true,
        _ => return Err(EINVAL),
    };
    let mut f = [0u32; 13];
    for (i, v) in f.iter_mut().enumerate() {
        let at = 6 + 8 * i;
        *v = h.get(at..at + 8).and_then(hex8).ok_or(EINVAL)?;
    }
    let [ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check] = f;
    Ok(Header { ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check, crc })
}

fn align4(n: usize) -> Result<usize, Errno> {
    n.checked_add(3).map(|n| n & !3).ok_or(EINVAL)
}

/// ENOSPC stops the unpacking; any other failure only skips an entry.
fn soft<T>(r: Result<T, Errno>) -> Result<Option<T>, Errno> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ENOSPC) => Err(ENOSPC),
        Err(_) => Ok(None),
    }
}

/// State across the entries of one unpacking.
struct Unpacker {
    /// First name of each hard-linked inode: (ino, devmajor, devminor, type).
    links: HashMap<(u32, u32, u32, u32), Vec<u8>>,
    /// Directories and the mtime they get at the end.
    dir_times: Vec<(Ino, Timespec)>,
    now: Timespec,
}

/// What `maybe_link` did for an entry.
enum Link {
    /// Not a (known) hard link: make the entry.
    New,
    /// Linked to an earlier name.
    Linked,
    /// Linking failed: skip the entry.
    Failed,
}

impl Vfs {
    /// Unpack a cpio newc archive (or several in a row) into the tree;
    /// returns the number of entries read (trailers not counted). See the
    /// module documentation for the rules and errors.
    pub fn unpack_cpio(&mut self, data: &[u8], now: Timespec) -> Result<usize, Errno> {
        let mut u = Unpacker { links: HashMap::new(), dir_times: Vec::new(), now };
        let result = self.unpack_entries(data, &mut u);
        for (ino, t) in u.dir_times {
            if let Some(n) = self.nodes.get_mut(&ino) {
                if n.is_dir() {
                    n.atime = t;
                    n.mtime = t;
                }
            }
        }
        result
    }

    fn unpack_entries(&mut self, data: &[u8], u: &mut Unpacker) -> Result<usize, Errno> {
        let mut pos = 0usize;
        let mut count = 0usize;
        // an entry was read since the last trailer
        let mut open = false;
        while let Some(&b) = data.get(pos) {
            if b == 0 {
                pos += 1;
                continue;
            }
            if b != b'0' || !pos.is_multiple_of(4) {
                return Err(EINVAL);
            }
            let header = data.get(pos..).and_then(|d| d.get(..HEADER_LEN)).ok_or(EINVAL)?;
            let h = parse_header(header)?;
            open = true;
            let name_start = pos + HEADER_LEN;
            let name_end = name_start.checked_add(h.namesize as usize).ok_or(EINVAL)?;
            let body_start = align4(name_end)?;
            let body_end = body_start.checked_add(h.filesize as usize).ok_or(EINVAL)?;
            // (an empty body may lack its padding at the very end)
            let body = if h.filesize == 0 { &[][..] } else { data.get(body_start..body_end).ok_or(EINVAL)? };
            let raw_name = data.get(name_start..name_end).ok_or(EINVAL)?;
            pos = align4(body_end)?;
            if h.namesize == 0 || h.namesize as usize > PATH_MAX {
                continue; // Linux skips these
            }
            if raw_name.last() != Some(&0) {
                return Err(EINVAL);
            }
            let name = raw_name.split(|&b| b == 0).next().unwrap_or_default();
            if name == TRAILER {
                u.links.clear();
                open = false;
                continue;
            }
            count += 1;
            self.unpack_entry(&h, name, body, u)?;
        }
        if open {
            return Err(EINVAL);
        }
        Ok(count)
    }

    fn unpack_entry(&mut self, h: &Header, name: &[u8], body: &[u8], u: &mut Unpacker) -> Result<(), Errno> {
        let now = u.now;
        let mtime = Timespec::new(i64::from(h.mtime), 0);
        let perm = h.mode & 0o7777;
        let ftype = h.mode & S_IFMT;
        let Some(kind) = Kind::from_mode(h.mode, h.rdevmajor, h.rdevminor) else {
            return Ok(());
        };
        if !matches!(kind, Kind::File | Kind::Symlink) && !body.is_empty() {
            return Ok(()); // Linux does not even read the name of these
        }
        if kind == Kind::File && h.crc && body.iter().fold(0u32, |a, &b| a.wrapping_add(u32::from(b))) != h.check {
            return Err(EINVAL);
        }
        self.clean_path(name, ftype, now);
        if !self.make_parents(name, now)? {
            return Ok(());
        }
        match kind {
            Kind::Dir => {
                soft(self.mkdir_at(ROOT_INO, name, perm, h.uid, h.gid, now))?;
                if let Ok(ino) = self.resolve_dir(ROOT_INO, name, true) {
                    self.set_owner(ino, Some(h.uid), Some(h.gid), now);
                    self.set_mode(ino, perm, now);
                    u.dir_times.push((ino, mtime));
                }
            }
            Kind::File => {
                let linked = match self.maybe_link(h, name, u, now)? {
                    Link::Failed => return Ok(()),
                    Link::Linked => true,
                    Link::New => false,
                };
                let flags = OpenFlags { create: true, write: true, truncate: !linked, ..OpenFlags::default() };
                let Some((ino, _)) = soft(self.open_at(ROOT_INO, name, flags, perm, h.uid, h.gid, now))? else {
                    return Ok(());
                };
                self.set_owner(ino, Some(h.uid), Some(h.gid), now);
                self.set_mode(ino, perm, now);
                if !body.is_empty() {
                    self.truncate(ino, body.len() as u64, now)?;
                    if self.write(ino, 0, body, now)? != body.len() {
                        return Err(ENOSPC);
                    }
                }
                self.set_times(ino, Some(mtime), Some(mtime), now);
            }
            Kind::Symlink => {
                let target = body.split(|&b| b == 0).next().unwrap_or_default();
                if target.len() >= PATH_MAX {
                    return Ok(());
                }
                if let Ok((dir, last)) = self.resolve_parent(ROOT_INO, name) {
                    soft(self.symlink_raw(dir, &last, target, h.uid, h.gid, now))?;
                }
                if let Ok(ino) = self.resolve(ROOT_INO, name, false) {
                    self.set_owner(ino, Some(h.uid), Some(h.gid), now);
                    self.set_times(ino, Some(mtime), Some(mtime), now);
                }
            }
            _ => {
                if !matches!(self.maybe_link(h, name, u, now)?, Link::New) {
                    return Ok(());
                }
                soft(self.mknod_at(ROOT_INO, name, kind, perm, h.uid, h.gid, now))?;
                if let Ok(ino) = self.resolve(ROOT_INO, name, true) {
                    self.set_owner(ino, Some(h.uid), Some(h.gid), now);
                    self.set_mode(ino, perm, now);
                }
                if let Ok(ino) = self.resolve(ROOT_INO, name, false) {
                    self.set_times(ino, Some(mtime), Some(mtime), now);
                }
            }
        }
        Ok(())
    }

    /// Remove what is at `name` if its type differs from `ftype` (0: remove
    /// whatever is there). Failures are ignored.
    fn clean_path(&mut self, name: &[u8], ftype: u32, now: Timespec) {
        let Ok(ino) = self.resolve(ROOT_INO, name, false) else { return };
        let Ok(n) = self.node(ino) else { return };
        if (n.kind.ifmt() ^ ftype) & S_IFMT != 0 {
            let _ = if n.is_dir() { self.rmdir_at(ROOT_INO, name, now) } else { self.unlink_at(ROOT_INO, name, now) };
        }
    }

    /// Create the missing directories above `name`. False if something
    /// other than a directory is in the way.
    fn make_parents(&mut self, name: &[u8], now: Timespec) -> Result<bool, Errno> {
        let comps: Vec<&[u8]> = name.split(|&b| b == b'/').filter(|c| !c.is_empty()).collect();
        let Some((_, head)) = comps.split_last() else { return Ok(true) };
        let mut cur = ROOT_INO;
        for &c in head {
            let next = match c {
                b"." => Ok(cur),
                b".." => self.parent_dir(cur),
                _ => match self.lookup(cur, c) {
                    Err(ENOENT) => self.create(cur, c, Kind::Dir, 0o755, 0, 0, now),
                    Err(e) => Err(e),
                    Ok(_) => self.resolve_dir(cur, c, true),
                },
            };
            match next {
                Ok(d) => cur = d,
                Err(ENOSPC) => return Err(ENOSPC),
                Err(_) => return Ok(false),
            }
        }
        Ok(true)
    }

    /// Linux `maybe_link`: link a hard-linked entry to the first name of
    /// its inode, or remember this name as that first name.
    fn maybe_link(&mut self, h: &Header, name: &[u8], u: &mut Unpacker, now: Timespec) -> Result<Link, Errno> {
        if h.nlink < 2 {
            return Ok(Link::New);
        }
        let key = (h.ino, h.devmajor, h.devminor, h.mode & S_IFMT);
        let Some(first) = u.links.get(&key).cloned() else {
            u.links.insert(key, name.to_vec());
            return Ok(Link::New);
        };
        self.clean_path(name, 0, now);
        Ok(match soft(self.link_at(ROOT_INO, &first, false, ROOT_INO, name, now))? {
            Some(()) => Link::Linked,
            None => Link::Failed,
        })
    }
}
