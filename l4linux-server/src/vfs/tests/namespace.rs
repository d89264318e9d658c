//! Creating, linking, removing and renaming names: errors, link counts,
//! directory sizes, timestamps, removed directories, open references.

use super::*;

#[test]
fn create_checks_names_and_directories() {
    let mut v = fs();
    let f = put(&mut v, "f", b"");
    let r = ROOT_INO;
    assert_eq!(v.create(r, b"f", Kind::File, 0o644, 0, 0, T0), Err(EEXIST));
    assert_eq!(v.create(r, b"f", Kind::Dir, 0o755, 0, 0, T0), Err(EEXIST));
    assert_eq!(v.create(f, b"x", Kind::File, 0o644, 0, 0, T0), Err(ENOTDIR));
    assert_eq!(v.create(777, b"x", Kind::File, 0o644, 0, 0, T0), Err(ENOENT));
    assert_eq!(v.create(r, b"", Kind::File, 0o644, 0, 0, T0), Err(ENOENT));
    assert_eq!(v.create(r, b".", Kind::File, 0o644, 0, 0, T0), Err(EEXIST));
    assert_eq!(v.create(r, b"a/b", Kind::File, 0o644, 0, 0, T0), Err(EINVAL));
    assert_eq!(v.create(r, b"a\0b", Kind::File, 0o644, 0, 0, T0), Err(EINVAL));
    assert_eq!(v.create(r, "x".repeat(256).as_bytes(), Kind::File, 0o644, 0, 0, T0), Err(ENAMETOOLONG));
    assert_eq!(v.create(r, b"s", Kind::Symlink, 0o777, 0, 0, T0), Err(EINVAL));
    let x = v.create(r, "x".repeat(255).as_bytes(), Kind::File, 0o644, 0, 0, T0).unwrap();
    assert_eq!(v.lookup(r, "x".repeat(255).as_bytes()), Ok(x));
    // the permission bits are masked, the type comes from `kind`
    let c = v.create(r, b"null", Kind::CharDev { major: 1, minor: 3 }, 0o120666, 0, 0, T0).unwrap();
    let a = v.attr(c);
    assert_eq!((a.st_mode(), a.rdev(), a.size, a.blocks), (S_IFCHR | 0o666, 0x103, 0, 0));
    let p = v.create(r, b"fifo", Kind::Fifo, 0o644, 5, 6, T0).unwrap();
    assert_eq!((v.attr(p).st_mode(), v.attr(p).uid, v.attr(p).gid), (S_IFIFO | 0o644, 5, 6));
}

#[test]
fn inode_numbers_are_unique_and_not_reused() {
    let mut v = fs();
    let a = put(&mut v, "a", b"");
    let b = put(&mut v, "b", b"");
    assert!(a != b && a != ROOT_INO && b != ROOT_INO);
    v.unlink_at(ROOT_INO, b"a", T0).unwrap();
    let c = put(&mut v, "c", b"");
    assert!(c != a && c != b);
    // a stale number stays stale
    assert_eq!(v.try_attr(a), Err(ENOENT));
    assert_eq!(v.attr(a).nlink, 0);
}

#[test]
fn directory_nlink_and_size_follow_entries() {
    let mut v = fs();
    let r = ROOT_INO;
    let a = mkdir(&mut v, "a");
    assert_eq!((v.attr(r).nlink, v.attr(r).size), (3, 60));
    assert_eq!((v.attr(a).nlink, v.attr(a).size, v.attr(a).blocks), (2, 40, 0));
    put(&mut v, "f", b"");
    symlink(&mut v, "f", "l");
    assert_eq!((v.attr(r).nlink, v.attr(r).size), (3, 100));
    mkdir(&mut v, "a/b");
    mkdir(&mut v, "a/c");
    assert_eq!((v.attr(a).nlink, v.attr(a).size), (4, 80));
    v.rmdir_at(r, b"a/b", T0).unwrap();
    assert_eq!((v.attr(a).nlink, v.attr(a).size), (3, 60));
    v.unlink_at(r, b"l", T0).unwrap();
    assert_eq!((v.attr(r).nlink, v.attr(r).size), (3, 80));
}

#[test]
fn create_and_remove_set_directory_times() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    let f = v.create(d, b"f", Kind::File, 0o644, 0, 0, t(2000)).unwrap();
    let a = v.attr(d);
    assert_eq!((a.mtime, a.ctime, a.atime), (t(2000), t(2000), T0));
    let fa = v.attr(f);
    assert_eq!((fa.atime, fa.mtime, fa.ctime), (t(2000), t(2000), t(2000)));
    // the root changed when d was made, not since
    assert_eq!(v.attr(ROOT_INO).mtime, T0);
    v.link(d, b"g", f, t(3000)).unwrap();
    assert_eq!((v.attr(d).mtime, v.attr(f).ctime, v.attr(f).mtime), (t(3000), t(3000), t(2000)));
    v.unlink(d, b"g", t(4000)).unwrap();
    assert_eq!((v.attr(d).mtime, v.attr(d).ctime, v.attr(f).ctime), (t(4000), t(4000), t(4000)));
    v.symlink(d, b"s", b"f", 0, 0, t(5000)).unwrap();
    assert_eq!(v.attr(d).mtime, t(5000));
    v.create(d, b"sub", Kind::Dir, 0o755, 0, 0, t(6000)).unwrap();
    v.rmdir(d, b"sub", t(7000)).unwrap();
    assert_eq!((v.attr(d).mtime, v.attr(d).ctime), (t(7000), t(7000)));
}

#[test]
fn set_group_id_directories_pass_their_group_down() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    v.set_owner(d, None, Some(50), T0);
    v.set_mode(d, 0o2775, T0);
    let f = v.create(d, b"f", Kind::File, 0o644, 7, 8, T0).unwrap();
    let s = v.create(d, b"s", Kind::Dir, 0o755, 7, 8, T0).unwrap();
    assert_eq!((v.attr(f).gid, v.attr(f).mode), (50, 0o644));
    assert_eq!((v.attr(s).gid, v.attr(s).mode), (50, 0o2755));
    assert_eq!(v.attr(s).uid, 7);
}

#[test]
fn hard_links_count_and_share_data() {
    let mut v = fs();
    let f = put(&mut v, "f", b"data");
    mkdir(&mut v, "d");
    v.link_at(ROOT_INO, b"f", false, ROOT_INO, b"d/g", t(2000)).unwrap();
    assert_eq!(ino(&v, "d/g"), f);
    assert_eq!((v.attr(f).nlink, v.attr(f).ctime), (2, t(2000)));
    v.unlink_at(ROOT_INO, b"f", t(3000)).unwrap();
    assert_eq!((v.attr(f).nlink, v.attr(f).ctime), (1, t(3000)));
    assert_eq!(content(&mut v, f), b"data");
    assert_eq!(v.link_at(ROOT_INO, b"d", false, ROOT_INO, b"d2", T0), Err(EPERM));
    assert_eq!(v.link_at(ROOT_INO, b"d/g", false, ROOT_INO, b"d", T0), Err(EEXIST));
    assert_eq!(v.link_at(ROOT_INO, b"missing", false, ROOT_INO, b"x", T0), Err(ENOENT));
    assert_eq!(v.link(ROOT_INO, b"x", 999, T0), Err(ENOENT));
    // EEXIST comes before EPERM, as the new name is checked first
    assert_eq!(v.link_at(ROOT_INO, b"d", false, ROOT_INO, b"d/g", T0), Err(EEXIST));
    // link to a symlink itself, or (AT_SYMLINK_FOLLOW) to its target
    let l = symlink(&mut v, "d/g", "l");
    v.link_at(ROOT_INO, b"l", false, ROOT_INO, b"l2", T0).unwrap();
    v.link_at(ROOT_INO, b"l", true, ROOT_INO, b"g2", T0).unwrap();
    assert_eq!((ino(&v, "l2"), ino(&v, "g2")), (l, f));
    assert_eq!((v.attr(l).nlink, v.attr(f).nlink), (2, 2));
}

#[test]
fn unlinked_open_files_live_until_released() {
    let mut v = fs();
    let f = put(&mut v, "f", b"still here");
    let used = v.usage();
    v.retain(f);
    v.unlink_at(ROOT_INO, b"f", T0).unwrap();
    assert_eq!(res(&v, "f"), Err(ENOENT));
    assert_eq!(v.attr(f).nlink, 0);
    assert_eq!(content(&mut v, f), b"still here");
    assert_eq!(v.write(f, 10, b"!", T0), Ok(1));
    assert_eq!(v.usage(), used);
    // no new names for it
    assert_eq!(v.link(ROOT_INO, b"again", f, T0), Err(ENOENT));
    v.retain(f);
    v.release(f);
    assert!(v.exists(f));
    v.release(f);
    assert!(!v.exists(f));
    assert_eq!(v.usage(), (0, 1));
    // stray releases and retains are harmless
    v.release(f);
    v.retain(f);
    v.release(12345);
    assert_eq!(v.read(f, 0, &mut [0; 4], T0), Err(ENOENT));
}

#[test]
fn unlink_and_rmdir_errors() {
    let mut v = fs();
    let r = ROOT_INO;
    mkdir(&mut v, "d");
    put(&mut v, "d/f", b"");
    let g = put(&mut v, "g", b"");
    symlink(&mut v, "g", "lg");
    assert_eq!(v.unlink_at(r, b"d", T0), Err(EISDIR));
    assert_eq!(v.unlink_at(r, b"missing", T0), Err(ENOENT));
    assert_eq!(v.unlink_at(r, b"g/x", T0), Err(ENOTDIR));
    assert_eq!(v.rmdir_at(r, b"d", T0), Err(ENOTEMPTY));
    assert_eq!(v.rmdir_at(r, b"g", T0), Err(ENOTDIR));
    assert_eq!(v.rmdir_at(r, b"missing", T0), Err(ENOENT));
    assert_eq!(v.rmdir_at(r, b"lg", T0), Err(ENOTDIR));
    assert_eq!(v.unlink(g, b"x", T0), Err(ENOTDIR));
    assert_eq!(v.rmdir(555, b"x", T0), Err(ENOENT));
    // unlinking a symlink leaves its target
    v.unlink_at(r, b"lg", T0).unwrap();
    assert_eq!(res(&v, "g"), Ok(g));
    v.unlink_at(r, b"d/f", T0).unwrap();
    v.rmdir_at(r, b"d/", T0).unwrap();
    assert_eq!(res(&v, "d"), Err(ENOENT));
    assert_eq!(v.usage().1, 2);
}

#[test]
fn a_removed_directory_still_open() {
    let mut v = fs();
    let p = mkdir(&mut v, "p");
    let d = mkdir(&mut v, "p/d");
    v.retain(d); // a process's cwd
    v.rmdir_at(ROOT_INO, b"p/d", t(2000)).unwrap();
    let a = v.attr(d);
    assert_eq!((a.nlink, a.size, a.ctime), (0, 40, t(2000)));
    assert_eq!((v.attr(p).nlink, v.attr(p).mtime), (2, t(2000)));
    assert_eq!(v.path_of(d), Err(ENOENT));
    assert_eq!(v.readdir(d, 0), Ok(None));
    assert_eq!(v.resolve(d, b".", true), Ok(d));
    assert_eq!(v.resolve(d, b"..", true), Ok(p));
    assert_eq!(v.resolve(d, b"x", true), Err(ENOENT));
    assert_eq!(v.mkdir_at(d, b"x", 0o755, 0, 0, T0), Err(ENOENT));
    assert_eq!(v.create(d, b"x", Kind::File, 0o644, 0, 0, T0), Err(ENOENT));
    assert_eq!(v.symlink(d, b"x", b"y", 0, 0, T0), Err(ENOENT));
    let f = put(&mut v, "f", b"");
    assert_eq!(v.link(d, b"x", f, T0), Err(ENOENT));
    assert_eq!(v.rename(ROOT_INO, b"f", d, b"x", T0), Err(ENOENT));
    let flags = OpenFlags { create: true, write: true, ..OpenFlags::default() };
    assert_eq!(v.open_at(d, b"x", flags, 0o644, 0, 0, T0), Err(ENOENT));
    assert_eq!(v.rmdir(d, b".", T0), Err(EINVAL));
    v.release(d);
    assert!(!v.exists(d));
    assert_eq!(v.resolve(d, b".", true), Err(ENOENT));
}

#[test]
fn rename_a_file() {
    let mut v = fs();
    let a = put(&mut v, "a", b"A");
    mkdir(&mut v, "d");
    v.rename_at(ROOT_INO, b"a", ROOT_INO, b"b", false, T0).unwrap();
    assert_eq!((res(&v, "a"), res(&v, "b")), (Err(ENOENT), Ok(a)));
    v.rename_at(ROOT_INO, b"b", ROOT_INO, b"d/c", false, T0).unwrap();
    assert_eq!(res(&v, "d/c"), Ok(a));
    assert_eq!(v.attr(a).nlink, 1);
    assert_eq!(v.rename_at(ROOT_INO, b"missing", ROOT_INO, b"x", false, T0), Err(ENOENT));
    assert_eq!(v.rename_at(ROOT_INO, b"d/c", ROOT_INO, b"nodir/x", false, T0), Err(ENOENT));
    assert_eq!(v.rename(ROOT_INO, b"", ROOT_INO, b"x", T0), Err(ENOENT));
    assert_eq!(v.rename(ROOT_INO, b"d", ROOT_INO, b"", T0), Err(ENOENT));
}

#[test]
fn rename_replaces_a_file_and_frees_it() {
    let mut v = fs();
    let a = put(&mut v, "a", b"new");
    let b = put(&mut v, "b", b"old");
    let held = put(&mut v, "c", b"held");
    v.retain(held);
    v.rename_at(ROOT_INO, b"a", ROOT_INO, b"b", false, t(2000)).unwrap();
    assert_eq!(res(&v, "b"), Ok(a));
    assert!(!v.exists(b));
    assert_eq!(content(&mut v, a), b"new");
    assert_eq!(v.attr(ROOT_INO).size, 40 + 2 * 20);
    // a replaced file that is open stays readable, with no links
    v.rename_at(ROOT_INO, b"b", ROOT_INO, b"c", false, t(3000)).unwrap();
    assert_eq!((v.attr(held).nlink, v.attr(held).ctime), (0, t(3000)));
    assert_eq!(content(&mut v, held), b"held");
    v.release(held);
    assert!(!v.exists(held));
    assert_eq!(v.usage(), (4096, 2));
}

#[test]
fn rename_kind_mismatches() {
    let mut v = fs();
    put(&mut v, "f", b"");
    mkdir(&mut v, "d");
    mkdir(&mut v, "full");
    put(&mut v, "full/x", b"");
    assert_eq!(v.rename_at(ROOT_INO, b"f", ROOT_INO, b"d", false, T0), Err(EISDIR));
    assert_eq!(v.rename_at(ROOT_INO, b"d", ROOT_INO, b"f", false, T0), Err(ENOTDIR));
    assert_eq!(v.rename_at(ROOT_INO, b"d", ROOT_INO, b"full", false, T0), Err(ENOTEMPTY));
    assert_eq!(v.rename_at(ROOT_INO, b"f", ROOT_INO, b"full", false, T0), Err(EISDIR));
    assert!(res(&v, "f").is_ok() && res(&v, "d").is_ok() && res(&v, "full/x").is_ok());
}

#[test]
fn rename_a_directory_over_an_empty_one() {
    let mut v = fs();
    let r = ROOT_INO;
    let p = mkdir(&mut v, "p");
    let q = mkdir(&mut v, "q");
    let a = mkdir(&mut v, "p/a");
    let b = mkdir(&mut v, "q/b");
    put(&mut v, "p/a/inside", b"");
    assert_eq!((v.attr(p).nlink, v.attr(q).nlink), (3, 3));
    v.retain(b);
    v.rename_at(r, b"p/a", r, b"q/b", false, t(2000)).unwrap();
    assert_eq!(res(&v, "q/b/inside").map(|_| ()), Ok(()));
    assert_eq!(res(&v, "q/b"), Ok(a));
    assert_eq!((v.attr(p).nlink, v.attr(q).nlink), (2, 3));
    assert_eq!((v.attr(p).size, v.attr(q).size), (40, 60));
    // the replaced directory is dead
    assert_eq!(v.attr(b).nlink, 0);
    assert_eq!(v.readdir(b, 0), Ok(None));
    assert_eq!(v.path_of(b), Err(ENOENT));
    v.release(b);
    assert!(!v.exists(b));
    // the moved one knows its new place
    assert_eq!(v.resolve(a, b"..", true), Ok(q));
    assert_eq!(v.readdir(a, 1).unwrap().map(|e| e.ino), Some(q));
    assert_eq!(v.path_of(a), Ok(b"/q/b".to_vec()));
    // within one directory the count stays
    mkdir(&mut v, "q/c");
    v.rename_at(r, b"q/c", r, b"q/e", false, T0).unwrap();
    assert_eq!(v.attr(q).nlink, 4);
    // replacing a sibling directory drops one
    mkdir(&mut v, "q/g");
    assert_eq!(v.attr(q).nlink, 5);
    v.rename_at(r, b"q/e", r, b"q/g", false, T0).unwrap();
    assert_eq!(v.attr(q).nlink, 4);
}

#[test]
fn rename_into_itself_or_onto_an_ancestor() {
    let mut v = fs();
    let r = ROOT_INO;
    let d = mkdir(&mut v, "d");
    mkdir(&mut v, "d/x");
    mkdir(&mut v, "d/x/y");
    assert_eq!(v.rename_at(r, b"d", r, b"d/sub", false, T0), Err(EINVAL));
    assert_eq!(v.rename_at(r, b"d", r, b"d/x/y/z", false, T0), Err(EINVAL));
    assert_eq!(v.rename_at(r, b"d", r, b"d/x", false, T0), Err(EINVAL));
    assert_eq!(v.rename_at(r, b"d/x", r, b"d/x/y/z", false, T0), Err(EINVAL));
    // the target is an ancestor of the source (even for a file source)
    assert_eq!(v.rename_at(r, b"d/x/y", r, b"d", false, T0), Err(ENOTEMPTY));
    put(&mut v, "d/x/f", b"");
    assert_eq!(v.rename_at(r, b"d/x/f", r, b"d", false, T0), Err(ENOTEMPTY));
    // a name onto itself, and onto another name of the same inode
    v.rename_at(r, b"d", r, b"d", false, T0).unwrap();
    v.rename_at(r, b"d", r, b"./d/../d/", false, T0).unwrap();
    assert_eq!(res(&v, "d"), Ok(d));
    let f = put(&mut v, "f", b"");
    v.link_at(r, b"f", false, r, b"g", T0).unwrap();
    v.rename_at(r, b"f", r, b"g", false, t(9000)).unwrap();
    assert_eq!((res(&v, "f"), res(&v, "g"), v.attr(f).nlink), (Ok(f), Ok(f), 2));
    assert_eq!(v.attr(f).ctime, T0, "a no-op rename changes nothing");
}

#[test]
fn rename_noreplace() {
    let mut v = fs();
    put(&mut v, "a", b"");
    put(&mut v, "b", b"");
    assert_eq!(v.rename_at(ROOT_INO, b"a", ROOT_INO, b"b", true, T0), Err(EEXIST));
    v.rename_at(ROOT_INO, b"a", ROOT_INO, b"c", true, T0).unwrap();
    assert!(res(&v, "c").is_ok());
}

#[test]
fn rename_times() {
    let mut v = fs();
    let p = mkdir(&mut v, "p");
    let q = mkdir(&mut v, "q");
    let f = put(&mut v, "p/f", b"x");
    v.rename_at(ROOT_INO, b"p/f", ROOT_INO, b"q/f", false, t(2000)).unwrap();
    for d in [p, q] {
        assert_eq!((v.attr(d).mtime, v.attr(d).ctime), (t(2000), t(2000)));
    }
    assert_eq!((v.attr(f).mtime, v.attr(f).ctime), (T0, t(2000)));
    assert_eq!(v.attr(ROOT_INO).mtime, T0);
}

#[test]
fn attribute_changes() {
    let mut v = fs();
    let f = put(&mut v, "f", b"x");
    let d = mkdir(&mut v, "d");
    v.set_mode(f, 0o106755, t(2000));
    let a = v.attr(f);
    assert_eq!((a.st_mode(), a.ctime, a.mtime), (S_IFREG | 0o6755, t(2000), T0));
    // chown (also by root) clears set-user-ID, and set-group-ID with g+x
    v.set_owner(f, Some(5), None, t(3000));
    let a = v.attr(f);
    assert_eq!((a.uid, a.gid, a.mode, a.ctime), (5, 0, 0o0755, t(3000)));
    v.set_mode(f, 0o2745, T0);
    v.set_owner(f, None, None, t(4000));
    assert_eq!((v.attr(f).mode, v.attr(f).ctime), (0o2745, t(4000)));
    v.set_mode(d, 0o6755, T0);
    v.set_owner(d, Some(1), Some(2), T0);
    assert_eq!(v.attr(d).mode, 0o6755);
    // utimensat
    v.set_times(f, Some(t(10)), None, t(5000));
    let a = v.attr(f);
    assert_eq!((a.atime, a.mtime, a.ctime), (t(10), T0, t(5000)));
    v.set_times(f, None, Some(Timespec::new(20, 999_999_999)), t(6000));
    assert_eq!((v.attr(f).mtime, v.attr(f).ctime), (Timespec::new(20, 999_999_999), t(6000)));
    v.set_times(f, None, None, t(7000));
    assert_eq!(v.attr(f).ctime, t(6000), "both omitted changes nothing");
    // unknown inodes are ignored
    v.set_mode(9999, 0o777, T0);
    v.set_owner(9999, Some(1), None, T0);
    v.set_times(9999, Some(T0), None, T0);
    assert!(!v.exists(9999));
}

#[test]
fn symlink_attributes() {
    let mut v = fs();
    let s = symlink(&mut v, "target", "s");
    let a = v.attr(s);
    assert_eq!((a.st_mode(), a.size, a.blocks, a.nlink), (S_IFLNK | 0o777, 6, 0, 1));
    assert_eq!(v.readlink(s), Ok(b"target".to_vec()));
    assert_eq!(v.readlink(ROOT_INO), Err(EINVAL));
    assert_eq!(v.readlink(424242), Err(ENOENT));
    // targets of 128 bytes or more take a page
    let long = symlink(&mut v, &"t".repeat(128), "long");
    assert_eq!((v.attr(long).size, v.attr(long).blocks), (128, 8));
    let short = symlink(&mut v, &"t".repeat(127), "short");
    assert_eq!(v.attr(short).blocks, 0);
    assert_eq!(v.usage().0, 4096);
    v.unlink_at(ROOT_INO, b"long", T0).unwrap();
    assert_eq!(v.usage().0, 0);
}

#[test]
fn path_of_directories_and_other_inodes() {
    let mut v = fs();
    let a = mkdir(&mut v, "a");
    let b = mkdir(&mut v, "a/b");
    let f = put(&mut v, "a/b/f", b"");
    assert_eq!(v.path_of(ROOT_INO), Ok(b"/".to_vec()));
    assert_eq!(v.path_of(a), Ok(b"/a".to_vec()));
    assert_eq!(v.path_of(b), Ok(b"/a/b".to_vec()));
    assert_eq!(v.path_of(f), Err(ENOTDIR));
    assert_eq!(v.path_of(31337), Err(ENOENT));
    assert_eq!(v.path_of_any(f), Ok(b"/a/b/f".to_vec()));
    assert_eq!(v.path_of_any(b), Ok(b"/a/b".to_vec()));
    v.rename_at(ROOT_INO, b"a", ROOT_INO, b"z", false, T0).unwrap();
    assert_eq!(v.path_of(b), Ok(b"/z/b".to_vec()));
    v.rename_at(ROOT_INO, b"z/b/f", ROOT_INO, b"g", false, T0).unwrap();
    assert_eq!(v.path_of_any(f), Ok(b"/g".to_vec()));
    v.retain(f);
    v.unlink_at(ROOT_INO, b"g", T0).unwrap();
    assert_eq!(v.path_of_any(f), Err(ENOENT));
    v.retain(b);
    v.rmdir_at(ROOT_INO, b"z/b", T0).unwrap();
    assert_eq!(v.path_of(b), Err(ENOENT));
}

#[test]
fn inode_limit_gives_enospc() {
    let mut v = fs();
    v.set_inode_limit(3);
    put(&mut v, "a", b"");
    mkdir(&mut v, "d");
    assert_eq!(v.mkdir_at(ROOT_INO, b"e", 0o755, 0, 0, T0), Err(ENOSPC));
    assert_eq!(v.symlink_at(b"a", ROOT_INO, b"s", 0, 0, T0), Err(ENOSPC));
    assert_eq!(v.attr(ROOT_INO).nlink, 3, "a failed mkdir leaves no trace");
    v.unlink_at(ROOT_INO, b"a", T0).unwrap();
    assert!(v.mkdir_at(ROOT_INO, b"e", 0o755, 0, 0, T0).is_ok());
}
