//! Host tests of the VFS, by area, with small helpers (paths as `&str`,
//! everything at a fixed time unless a test moves the clock).

mod cpio;
mod data;
mod listing;
mod namespace;
mod open;
mod paths;

use super::*;
use alloc::string::String;
use alloc::vec::Vec;

pub const T0: Timespec = Timespec::new(1_000_000, 0);

pub fn t(sec: i64) -> Timespec {
    Timespec::new(sec, 0)
}

pub fn fs() -> Vfs {
    Vfs::new(T0)
}

pub fn mkdir(v: &mut Vfs, path: &str) -> Ino {
    v.mkdir_at(ROOT_INO, path.as_bytes(), 0o755, 0, 0, T0).unwrap_or_else(|e| panic!("mkdir {path}: {e}"))
}

/// Create (or truncate) `path` with `data`.
pub fn put(v: &mut Vfs, path: &str, data: &[u8]) -> Ino {
    let flags = OpenFlags { create: true, write: true, truncate: true, ..OpenFlags::default() };
    let (ino, _) = v.open_at(ROOT_INO, path.as_bytes(), flags, 0o644, 0, 0, T0).unwrap_or_else(|e| panic!("create {path}: {e}"));
    if !data.is_empty() {
        assert_eq!(v.write(ino, 0, data, T0), Ok(data.len()));
    }
    ino
}

pub fn symlink(v: &mut Vfs, target: &str, path: &str) -> Ino {
    v.symlink_at(target.as_bytes(), ROOT_INO, path.as_bytes(), 0, 0, T0).unwrap_or_else(|e| panic!("symlink {path}: {e}"))
}

/// stat-like resolution from the root.
pub fn res(v: &Vfs, path: &str) -> Result<Ino, Errno> {
    v.resolve(ROOT_INO, path.as_bytes(), true)
}

/// lstat-like resolution from the root.
pub fn lres(v: &Vfs, path: &str) -> Result<Ino, Errno> {
    v.resolve(ROOT_INO, path.as_bytes(), false)
}

pub fn ino(v: &Vfs, path: &str) -> Ino {
    lres(v, path).unwrap_or_else(|e| panic!("lookup {path}: {e}"))
}

/// The whole content of file `ino`.
pub fn content(v: &mut Vfs, ino: Ino) -> Vec<u8> {
    let size = v.attr(ino).size as usize;
    let mut buf = alloc::vec![0u8; size];
    assert_eq!(v.read(ino, 0, &mut buf, T0), Ok(size));
    buf
}

/// The names a full listing of `dir` gives, in order.
pub fn listing(v: &Vfs, dir: Ino) -> Vec<String> {
    let mut out = Vec::new();
    let mut cookie = 0;
    while let Some(e) = v.readdir(dir, cookie).expect("readdir") {
        assert!(e.next_cookie > cookie, "cookies must grow");
        out.push(String::from_utf8_lossy(&e.name).into_owned());
        cookie = e.next_cookie;
    }
    out
}
