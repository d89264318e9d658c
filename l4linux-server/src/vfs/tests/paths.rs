//! Path resolution: dots, slashes, symlinks, limits, and the last-component
//! forms `resolve_parent` hands out.

use super::*;
use alloc::string::String;
use alloc::vec;

#[test]
fn fresh_root_looks_like_tmpfs() {
    let v = fs();
    let a = v.attr(v.root());
    assert_eq!(v.root(), ROOT_INO);
    assert_eq!(a.ino, 1);
    assert_eq!(a.kind, Kind::Dir);
    assert_eq!(a.st_mode(), S_IFDIR | 0o755);
    assert_eq!((a.nlink, a.uid, a.gid, a.size, a.blocks, a.blksize()), (2, 0, 0, 40, 0, 4096));
    assert_eq!((a.atime, a.mtime, a.ctime), (T0, T0, T0));
    assert_eq!(v.usage(), (0, 1));
}

#[test]
fn root_spellings_and_dotdot_at_root() {
    let mut v = fs();
    let a = mkdir(&mut v, "a");
    for p in ["/", "//", "///", "/.", "/..", "/../..", "///./..//.", "/./"] {
        assert_eq!(res(&v, p), Ok(ROOT_INO), "{p}");
    }
    for p in ["/../a", "/../../a/", "a", "../a", "../../a/.", "/a/../../a"] {
        assert_eq!(res(&v, p), Ok(a), "{p}");
    }
    assert_eq!(v.resolve(a, b"..", true), Ok(ROOT_INO));
    assert_eq!(v.resolve(a, b"../..", true), Ok(ROOT_INO));
}

#[test]
fn relative_paths_dots_and_repeated_slashes() {
    let mut v = fs();
    let a = mkdir(&mut v, "a");
    let b = mkdir(&mut v, "a/b");
    let f = put(&mut v, "a/b/f", b"x");
    for (p, want) in [
        ("b", b),
        ("./b", b),
        ("b/.", b),
        ("b/..", a),
        ("../a/b", b),
        ("b//", b),
        (".//b///f", f),
        ("b/./../b/f", f),
        (".", a),
    ] {
        assert_eq!(v.resolve(a, p.as_bytes(), true), Ok(want), "{p}");
    }
    // an absolute path ignores cwd
    assert_eq!(v.resolve(b, b"/a", true), Ok(a));
}

#[test]
fn trailing_slash_and_dots_after_a_file() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    put(&mut v, "f", b"");
    for p in ["f/", "f//", "f/.", "f/..", "f/x", "f/./"] {
        assert_eq!(res(&v, p), Err(ENOTDIR), "{p}");
        assert_eq!(lres(&v, p), Err(ENOTDIR), "lstat {p}");
    }
    assert_eq!(res(&v, "missing/"), Err(ENOENT));
    assert_eq!(res(&v, "d/"), Ok(d));
    assert_eq!(v.resolve_dir(ROOT_INO, b"f", true), Err(ENOTDIR));
    assert_eq!(v.resolve_dir(ROOT_INO, b"d", true), Ok(d));
}

#[test]
fn trailing_slash_follows_a_final_symlink() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    let f = put(&mut v, "f", b"");
    let ld = symlink(&mut v, "d", "ld");
    symlink(&mut v, "f", "lf");
    symlink(&mut v, "nowhere", "dangling");
    // lstat("ld") is the link, lstat("ld/") the directory
    assert_eq!(lres(&v, "ld"), Ok(ld));
    assert_eq!(lres(&v, "ld/"), Ok(d));
    assert_eq!(lres(&v, "ld//."), Ok(d));
    assert_eq!(res(&v, "ld"), Ok(d));
    assert_eq!(res(&v, "lf"), Ok(f));
    assert_eq!(res(&v, "lf/"), Err(ENOTDIR));
    assert_eq!(lres(&v, "lf/"), Err(ENOTDIR));
    assert_eq!(res(&v, "dangling"), Err(ENOENT));
    assert!(lres(&v, "dangling").is_ok());
    assert_eq!(lres(&v, "dangling/"), Err(ENOENT));
}

#[test]
fn relative_symlinks_resolve_from_the_links_directory() {
    let mut v = fs();
    mkdir(&mut v, "a");
    let b = mkdir(&mut v, "a/b");
    let t = put(&mut v, "a/b/t", b"");
    symlink(&mut v, "b/t", "a/l");
    assert_eq!(res(&v, "a/l"), Ok(t));
    // from another cwd the link still means a/b/t
    assert_eq!(v.resolve(b, b"../l", true), Ok(t));
    // a link to a directory in the middle of a path
    symlink(&mut v, "b", "a/lb");
    assert_eq!(res(&v, "a/lb/t"), Ok(t));
    assert_eq!(res(&v, "a/lb/./t"), Ok(t));
}

#[test]
fn absolute_symlinks_and_dotdot_inside_targets() {
    let mut v = fs();
    let a = mkdir(&mut v, "a");
    mkdir(&mut v, "a/sub");
    let b = mkdir(&mut v, "a/b");
    let t = put(&mut v, "a/b/t", b"");
    mkdir(&mut v, "x");
    mkdir(&mut v, "x/y");
    symlink(&mut v, "/a/b", "x/y/abs");
    assert_eq!(res(&v, "x/y/abs/t"), Ok(t));
    assert_eq!(res(&v, "x/y/abs"), Ok(b));
    symlink(&mut v, "../b", "a/sub/up");
    assert_eq!(res(&v, "a/sub/up"), Ok(b));
    // ".." after a symlink is taken from where the link led (physical)
    assert_eq!(res(&v, "a/sub/up/.."), Ok(a));
    assert_eq!(res(&v, "x/y/abs/.."), Ok(a));
    // "//" and "/" targets
    let r = symlink(&mut v, "//", "x/root");
    assert_eq!(res(&v, "x/root"), Ok(ROOT_INO));
    assert_eq!(res(&v, "x/root/a"), Ok(a));
    assert_eq!(lres(&v, "x/root"), Ok(r));
}

/// A chain `prefix0 -> first`, `prefixN -> prefix(N-1)`.
fn chain(v: &mut Vfs, prefix: &str, first: &str, n: usize) {
    for i in 0..n {
        let target = if i == 0 { String::from(first) } else { format!("{prefix}{}", i - 1) };
        symlink(v, &target, &format!("{prefix}{i}"));
    }
}

#[test]
fn forty_symlinks_resolve_the_forty_first_is_eloop() {
    let mut v = fs();
    let f = put(&mut v, "f", b"");
    let d = mkdir(&mut v, "d");
    let x = put(&mut v, "d/x", b"");
    chain(&mut v, "l", "f", 41);
    chain(&mut v, "c", "d", 41);
    assert_eq!(res(&v, "l39"), Ok(f)); // 40 links
    assert_eq!(res(&v, "l40"), Err(ELOOP)); // 41
    assert_eq!(lres(&v, "l40"), Ok(ino(&v, "l40")));
    assert_eq!(res(&v, "c39/x"), Ok(x));
    assert_eq!(res(&v, "c39/"), Ok(d));
    assert_eq!(res(&v, "c40/x"), Err(ELOOP));
    assert_eq!(lres(&v, "c40/"), Err(ELOOP));
    // the count is per resolution: 20 in the middle, then "end" and 19
    // more at the end make 40
    symlink(&mut v, "/l18", "d/end");
    assert_eq!(res(&v, "c19/end"), Ok(f));
    symlink(&mut v, "/l19", "d/end2");
    assert_eq!(res(&v, "c19/end2"), Err(ELOOP));
}

#[test]
fn symlink_loops_are_eloop() {
    let mut v = fs();
    let s = symlink(&mut v, "s", "s");
    symlink(&mut v, "b", "a");
    symlink(&mut v, "a", "b");
    symlink(&mut v, "./self/x", "self");
    assert_eq!(res(&v, "s"), Err(ELOOP));
    assert_eq!(lres(&v, "s"), Ok(s));
    assert_eq!(res(&v, "a"), Err(ELOOP));
    assert_eq!(res(&v, "a/x"), Err(ELOOP));
    assert_eq!(lres(&v, "a/"), Err(ELOOP));
    assert_eq!(res(&v, "self"), Err(ELOOP));
    assert_eq!(v.resolve_parent(ROOT_INO, b"a/x"), Err(ELOOP));
}

#[test]
fn symlinks_in_the_middle_must_lead_to_directories() {
    let mut v = fs();
    put(&mut v, "f", b"");
    symlink(&mut v, "f", "lf");
    symlink(&mut v, "missing", "dangling");
    symlink(&mut v, "lf", "llf");
    assert_eq!(res(&v, "lf/x"), Err(ENOTDIR));
    assert_eq!(res(&v, "llf/."), Err(ENOTDIR));
    assert_eq!(res(&v, "dangling/x"), Err(ENOENT));
    assert_eq!(v.resolve_parent(ROOT_INO, b"lf/x"), Err(ENOTDIR));
}

#[test]
fn empty_and_overlong_paths_and_names() {
    let mut v = fs();
    let f = put(&mut v, "f", b"");
    assert_eq!(res(&v, ""), Err(ENOENT));
    assert_eq!(v.resolve_parent(ROOT_INO, b""), Err(ENOENT));
    // 4095 bytes resolve, 4096 do not
    let mut p = "./".repeat(2047);
    p.push('f');
    assert_eq!(p.len(), 4095);
    assert_eq!(res(&v, &p), Ok(f));
    p.insert(0, '/');
    assert_eq!(res(&v, &p), Err(ENAMETOOLONG));
    assert_eq!(res(&v, &"a/".repeat(2500)), Err(ENAMETOOLONG));
    // components: 255 is fine, 256 is too long when looked up
    let n255 = "n".repeat(255);
    let n256 = "n".repeat(256);
    assert_eq!(res(&v, &n255), Err(ENOENT));
    assert_eq!(res(&v, &n256), Err(ENAMETOOLONG));
    assert_eq!(res(&v, &format!("{n256}/x")), Err(ENAMETOOLONG));
    put(&mut v, &n255, b"");
    assert!(res(&v, &n255).is_ok());
    assert_eq!(v.mkdir_at(ROOT_INO, n256.as_bytes(), 0o755, 0, 0, T0), Err(ENAMETOOLONG));
    // components are only looked up in order: an earlier error wins
    assert_eq!(res(&v, &format!("missing/{n256}")), Err(ENOENT));
    assert_eq!(res(&v, &format!("f/{n256}")), Err(ENOTDIR));
}

#[test]
fn bad_starting_points() {
    let mut v = fs();
    let f = put(&mut v, "f", b"");
    let a = mkdir(&mut v, "a");
    assert_eq!(v.resolve(f, b"x", true), Err(ENOTDIR));
    assert_eq!(v.resolve(f, b".", true), Err(ENOTDIR));
    assert_eq!(v.resolve(f, b"/a", true), Ok(a));
    assert_eq!(v.resolve(9999, b"a", true), Err(ENOENT));
    assert_eq!(v.resolve(9999, b"/a", true), Ok(a));
    assert_eq!(v.resolve(0, b"a", true), Err(ENOENT));
    assert_eq!(v.resolve_parent(f, b"x"), Err(ENOTDIR));
    assert_eq!(v.resolve_parent(u32::MAX, b"x"), Err(ENOENT));
}

#[test]
fn lookup_of_single_names() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    let f = put(&mut v, "d/f", b"");
    let l = symlink(&mut v, "d", "l");
    assert_eq!(v.lookup(ROOT_INO, b"d"), Ok(d));
    assert_eq!(v.lookup(d, b"."), Ok(d));
    assert_eq!(v.lookup(d, b".."), Ok(ROOT_INO));
    assert_eq!(v.lookup(ROOT_INO, b".."), Ok(ROOT_INO));
    assert_eq!(v.lookup(d, b"/"), Ok(ROOT_INO));
    assert_eq!(v.lookup(ROOT_INO, b"l"), Ok(l));
    assert_eq!(v.lookup(ROOT_INO, b"l/"), Ok(d));
    assert_eq!(v.lookup(d, b"f/"), Err(ENOTDIR));
    assert_eq!(v.lookup(d, b"f"), Ok(f));
    assert_eq!(v.lookup(d, b""), Err(ENOENT));
    assert_eq!(v.lookup(d, b"g"), Err(ENOENT));
    assert_eq!(v.lookup(f, b"x"), Err(ENOTDIR));
    assert_eq!(v.lookup(f, b"."), Err(ENOTDIR));
    assert_eq!(v.lookup(4242, b"x"), Err(ENOENT));
    assert_eq!(v.lookup(d, "x".repeat(256).as_bytes()), Err(ENAMETOOLONG));
}

#[test]
fn resolve_parent_forms() {
    let mut v = fs();
    let a = mkdir(&mut v, "a");
    put(&mut v, "f", b"");
    symlink(&mut v, "a", "la");
    let rp = |v: &Vfs, p: &str| v.resolve_parent(ROOT_INO, p.as_bytes());
    assert_eq!(rp(&v, "a/b"), Ok((a, b"b".to_vec())));
    assert_eq!(rp(&v, "/a//b"), Ok((a, b"b".to_vec())));
    assert_eq!(rp(&v, "a/b//"), Ok((a, b"b/".to_vec())));
    assert_eq!(rp(&v, "b"), Ok((ROOT_INO, b"b".to_vec())));
    assert_eq!(rp(&v, "/"), Ok((ROOT_INO, b"/".to_vec())));
    assert_eq!(rp(&v, "///"), Ok((ROOT_INO, b"/".to_vec())));
    assert_eq!(rp(&v, "a/."), Ok((a, b".".to_vec())));
    assert_eq!(rp(&v, "a/../"), Ok((a, b"..".to_vec())));
    assert_eq!(rp(&v, "a/../b"), Ok((ROOT_INO, b"b".to_vec())));
    assert_eq!(rp(&v, "la/x"), Ok((a, b"x".to_vec())));
    // the last component is not looked up or followed
    assert_eq!(rp(&v, "la"), Ok((ROOT_INO, b"la".to_vec())));
    assert_eq!(rp(&v, "missing/x"), Err(ENOENT));
    assert_eq!(rp(&v, "f/x"), Err(ENOTDIR));
    assert_eq!(rp(&v, "f/x/"), Err(ENOTDIR));
}

#[test]
fn per_call_errors_for_dot_root_and_trailing_slash() {
    let mut v = fs();
    mkdir(&mut v, "a");
    put(&mut v, "f", b"");
    symlink(&mut v, "a", "la");
    let r = ROOT_INO;
    for p in ["/", ".", "..", "a/.", "a/..", "a/./", "f"] {
        assert_eq!(v.mkdir_at(r, p.as_bytes(), 0o755, 0, 0, T0), Err(EEXIST), "mkdir {p}");
    }
    assert_eq!(v.mkdir_at(r, b"f/", 0o755, 0, 0, T0), Err(EEXIST));
    assert!(v.mkdir_at(r, b"new/", 0o755, 0, 0, T0).is_ok());
    assert_eq!(v.rmdir_at(r, b"a/.", T0), Err(EINVAL));
    assert_eq!(v.rmdir_at(r, b".", T0), Err(EINVAL));
    assert_eq!(v.rmdir_at(r, b"a/..", T0), Err(ENOTEMPTY));
    assert_eq!(v.rmdir_at(r, b"/", T0), Err(EBUSY));
    assert_eq!(v.rmdir_at(r, b"la/", T0), Err(ENOTDIR));
    for p in [".", "..", "/", "a/.."] {
        assert_eq!(v.unlink_at(r, p.as_bytes(), T0), Err(EISDIR), "unlink {p}");
    }
    assert_eq!(v.unlink_at(r, b"f/", T0), Err(ENOTDIR));
    assert_eq!(v.unlink_at(r, b"a/", T0), Err(EISDIR));
    assert_eq!(v.unlink_at(r, b"missing/", T0), Err(ENOENT));
    assert_eq!(v.unlink_at(r, b"la/", T0), Err(ENOTDIR));
    assert_eq!(v.mknod_at(r, b"g/", Kind::File, 0o644, 0, 0, T0), Err(ENOENT));
    assert_eq!(v.mknod_at(r, b"f/", Kind::File, 0o644, 0, 0, T0), Err(EEXIST));
    assert_eq!(v.mknod_at(r, b"/", Kind::Fifo, 0o644, 0, 0, T0), Err(EEXIST));
    assert_eq!(v.mknod_at(r, b"d", Kind::Dir, 0o755, 0, 0, T0), Err(EPERM));
    assert_eq!(v.symlink_at(b"x", r, b"s/", 0, 0, T0), Err(ENOENT));
    assert_eq!(v.symlink_at(b"x", r, b".", 0, 0, T0), Err(EEXIST));
    assert_eq!(v.symlink_at(b"", r, b"s", 0, 0, T0), Err(ENOENT));
    assert_eq!(v.symlink_at(&vec![b'x'; 4096], r, b"s", 0, 0, T0), Err(ENAMETOOLONG));
    assert_eq!(v.link_at(r, b"f", false, r, b"g/", T0), Err(ENOENT));
    assert_eq!(v.link_at(r, b"f", false, r, b"a/..", T0), Err(EEXIST));
    assert_eq!(v.rename_at(r, b"a/.", r, b"b", false, T0), Err(EBUSY));
    assert_eq!(v.rename_at(r, b"f", r, b"/", false, T0), Err(EBUSY));
    assert_eq!(v.rename_at(r, b"f", r, b"..", true, T0), Err(EEXIST));
    assert_eq!(v.rename_at(r, b"f/", r, b"g", false, T0), Err(ENOTDIR));
    assert_eq!(v.rename_at(r, b"f", r, b"g/", false, T0), Err(ENOTDIR));
    assert_eq!(v.rename_at(r, b"a/", r, b"b/", false, T0), Ok(()));
    assert!(res(&v, "b").is_ok());
    // nothing above changed the tree by mistake
    assert!(res(&v, "f").is_ok() && res(&v, "g").is_err() && res(&v, "s").is_err());
}
