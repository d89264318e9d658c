//! `open_at`: the file-system side of open(2), flag by flag.

use super::*;

fn open(v: &mut Vfs, path: &str, flags: u32) -> Result<(Ino, bool), Errno> {
    v.open_at(ROOT_INO, path.as_bytes(), OpenFlags::from_linux(flags), 0o640, 3, 4, t(2000))
}

const O_WRONLY: u32 = 0o1;
const O_RDWR: u32 = 0o2;
const O_CREAT: u32 = 0o100;
const O_EXCL: u32 = 0o200;
const O_TRUNC: u32 = 0o1000;
const O_DIRECTORY: u32 = 0o200000;
const O_NOFOLLOW: u32 = 0o400000;
const O_PATH: u32 = 0o10000000;

#[test]
fn flag_conversion() {
    let f = OpenFlags::from_linux(O_RDWR | O_CREAT | O_EXCL | O_TRUNC | O_DIRECTORY | O_NOFOLLOW);
    assert_eq!(
        f,
        OpenFlags { create: true, excl: true, directory: true, nofollow: true, truncate: true, write: true, path_only: false }
    );
    assert_eq!(OpenFlags::from_linux(0), OpenFlags::default());
    assert!(OpenFlags::from_linux(O_WRONLY).write);
    assert!(!OpenFlags::from_linux(O_EXCL).excl, "O_EXCL without O_CREAT means nothing here");
    let p = OpenFlags::from_linux(O_PATH | O_CREAT | O_TRUNC | O_RDWR | O_NOFOLLOW);
    assert_eq!(p, OpenFlags { path_only: true, nofollow: true, ..OpenFlags::default() });
}

#[test]
fn create_exclusive_and_existing() {
    let mut v = fs();
    let (f, created) = open(&mut v, "f", O_CREAT | O_WRONLY).unwrap();
    assert!(created);
    let a = v.attr(f);
    assert_eq!((a.st_mode(), a.uid, a.gid, a.ctime), (S_IFREG | 0o640, 3, 4, t(2000)));
    assert_eq!(v.attr(ROOT_INO).mtime, t(2000));
    assert_eq!(open(&mut v, "f", O_CREAT | O_WRONLY), Ok((f, false)));
    assert_eq!(open(&mut v, "f", O_CREAT | O_EXCL | O_WRONLY), Err(EEXIST));
    assert_eq!(open(&mut v, "f", 0), Ok((f, false)));
    assert_eq!(open(&mut v, "missing", 0), Err(ENOENT));
    assert_eq!(open(&mut v, "nodir/x", O_CREAT | O_WRONLY), Err(ENOENT));
    assert_eq!(open(&mut v, "f/x", O_CREAT | O_WRONLY), Err(ENOTDIR));
    assert_eq!(open(&mut v, "f/x", 0), Err(ENOTDIR));
    assert_eq!(open(&mut v, "", 0), Err(ENOENT));
    assert_eq!(open(&mut v, &"n".repeat(300), O_CREAT), Err(ENAMETOOLONG));
}

#[test]
fn create_through_symlinks() {
    let mut v = fs();
    mkdir(&mut v, "d");
    symlink(&mut v, "d/target", "dangling");
    let (t1, created) = open(&mut v, "dangling", O_CREAT | O_WRONLY).unwrap();
    assert!(created, "O_CREAT on a dangling symlink makes its target");
    assert_eq!(res(&v, "d/target"), Ok(t1));
    assert_eq!(open(&mut v, "dangling", O_CREAT | O_WRONLY), Ok((t1, false)));
    symlink(&mut v, "/d/abs", "dangling2");
    assert_eq!(open(&mut v, "dangling2", O_CREAT).map(|r| r.1), Ok(true));
    assert!(res(&v, "d/abs").is_ok());
    // O_EXCL never follows: EEXIST; O_NOFOLLOW: ELOOP
    symlink(&mut v, "d/other", "dangling3");
    assert_eq!(open(&mut v, "dangling3", O_CREAT | O_EXCL | O_WRONLY), Err(EEXIST));
    assert_eq!(open(&mut v, "dangling3", O_CREAT | O_NOFOLLOW | O_WRONLY), Err(ELOOP));
    assert_eq!(res(&v, "d/other"), Err(ENOENT));
    // a link to a directory, and one whose target ends in a slash
    symlink(&mut v, "d", "ld");
    assert_eq!(open(&mut v, "ld", O_CREAT), Err(EISDIR));
    symlink(&mut v, "d/new/", "lslash");
    assert_eq!(open(&mut v, "lslash", O_CREAT), Err(EISDIR));
    // loops
    symlink(&mut v, "loop", "loop");
    assert_eq!(open(&mut v, "loop", O_CREAT), Err(ELOOP));
    assert_eq!(open(&mut v, "loop", 0), Err(ELOOP));
}

#[test]
fn directories_and_dots() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    assert_eq!(open(&mut v, "d", 0), Ok((d, false)));
    assert_eq!(open(&mut v, "d", O_DIRECTORY), Ok((d, false)));
    assert_eq!(open(&mut v, "d/", 0), Ok((d, false)));
    assert_eq!(open(&mut v, "d", O_WRONLY), Err(EISDIR));
    assert_eq!(open(&mut v, "d", O_RDWR), Err(EISDIR));
    assert_eq!(open(&mut v, "d", O_TRUNC), Err(EISDIR));
    assert_eq!(open(&mut v, "d", O_CREAT), Err(EISDIR));
    assert_eq!(open(&mut v, ".", O_CREAT), Err(EISDIR));
    assert_eq!(open(&mut v, "/", O_CREAT), Err(EISDIR));
    assert_eq!(open(&mut v, "d/..", O_CREAT), Err(EISDIR));
    assert_eq!(open(&mut v, ".", O_CREAT | O_EXCL), Err(EEXIST));
    assert_eq!(open(&mut v, "new/", O_CREAT), Err(EISDIR));
    assert_eq!(res(&v, "new"), Err(ENOENT));
    put(&mut v, "f", b"");
    assert_eq!(open(&mut v, "f", O_DIRECTORY), Err(ENOTDIR));
    assert_eq!(open(&mut v, "f/", 0), Err(ENOTDIR));
    assert_eq!(open(&mut v, "f/", O_CREAT), Err(EISDIR));
    assert_eq!(open(&mut v, "f", O_CREAT | O_DIRECTORY), Err(ENOTDIR));
}

#[test]
fn nofollow_and_o_path() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    let f = put(&mut v, "f", b"");
    let lf = symlink(&mut v, "f", "lf");
    let ld = symlink(&mut v, "d", "ld");
    assert_eq!(open(&mut v, "lf", 0), Ok((f, false)));
    assert_eq!(open(&mut v, "lf", O_NOFOLLOW), Err(ELOOP));
    assert_eq!(open(&mut v, "ld/", O_NOFOLLOW), Ok((d, false)));
    assert_eq!(open(&mut v, "ld", O_NOFOLLOW | O_DIRECTORY), Err(ENOTDIR));
    assert_eq!(open(&mut v, "ld", O_DIRECTORY), Ok((d, false)));
    assert_eq!(open(&mut v, "lf", O_PATH | O_NOFOLLOW), Ok((lf, false)));
    assert_eq!(open(&mut v, "ld", O_PATH | O_NOFOLLOW), Ok((ld, false)));
    assert_eq!(open(&mut v, "lf", O_PATH | O_DIRECTORY), Err(ENOTDIR));
    assert_eq!(open(&mut v, "d", O_PATH | O_RDWR), Ok((d, false)));
}

#[test]
fn truncation_on_open() {
    let mut v = fs();
    let f = put(&mut v, "f", b"0123456789");
    assert_eq!(open(&mut v, "f", O_RDWR | O_TRUNC), Ok((f, false)));
    let a = v.attr(f);
    assert_eq!((a.size, a.blocks, a.mtime, a.ctime), (0, 0, t(2000), t(2000)));
    // O_TRUNC on an empty file still changes the times
    v.open_at(ROOT_INO, b"f", OpenFlags::from_linux(O_WRONLY | O_TRUNC), 0, 0, 0, t(3000)).unwrap();
    assert_eq!(v.attr(f).mtime, t(3000));
    // O_TRUNC leaves devices alone
    v.create(ROOT_INO, b"null", Kind::CharDev { major: 1, minor: 3 }, 0o666, 0, 0, T0).unwrap();
    assert!(open(&mut v, "null", O_WRONLY | O_TRUNC).is_ok());
    assert_eq!(open(&mut v, "null", O_WRONLY | O_CREAT | O_EXCL), Err(EEXIST));
}

#[test]
fn relative_to_a_directory_fd() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    let f = put(&mut v, "f", b"");
    let flags = OpenFlags::from_linux(O_CREAT | O_RDWR);
    let (inner, created) = v.open_at(d, b"inner", flags, 0o644, 0, 0, T0).unwrap();
    assert!(created);
    assert_eq!(res(&v, "d/inner"), Ok(inner));
    assert_eq!(v.open_at(f, b"x", flags, 0o644, 0, 0, T0), Err(ENOTDIR));
    assert_eq!(v.open_at(f, b"/f", OpenFlags::default(), 0, 0, 0, T0), Ok((f, false)));
    assert_eq!(v.open_at(123456, b"x", flags, 0o644, 0, 0, T0), Err(ENOENT));
}
