//! Directories and names: getdents64, getcwd/chdir, access/faccessat,
//! symlink/readlink/readlinkat, mkdir/mkdirat/rmdir, unlink/unlinkat,
//! rename/renameat.

use super::*;
use alloc::collections::BTreeMap;
use linux_rt::nr;

pub fn run(s: &mut Suite, w: &Work) {
    getdents(s);
    cwd(s, w);
    access(s, w);
    links(s);
    mkdir_rmdir(s);
    unlink(s);
    rename(s);
}

/// name -> (ino, type) of every entry, reading with a `size`-byte buffer.
fn list(fd: i32, size: usize) -> Result<BTreeMap<Vec<u8>, (u64, u8, u16)>, isize> {
    let mut buf = alloc::vec![0u8; size];
    let mut all = BTreeMap::new();
    loop {
        let n = sys::getdents64(fd, &mut buf);
        if n < 0 {
            return Err(n);
        }
        if n == 0 {
            return Ok(all);
        }
        for d in dirents(&buf[..n as usize]) {
            all.insert(d.name.to_vec(), (d.ino, d.kind, d.reclen));
        }
    }
}

fn getdents(s: &mut Suite) {
    s.group("getdents64");
    sys::mkdir(c"gd", 0o755);
    put(c"gd/a", b"");
    put(c"gd/bb", b"");
    put(c"gd/ccc", b"");
    sys::mkdir(c"gd/sub", 0o755);
    sys::symlink(c"a", c"gd/lnk");
    let fd = openfd(c"gd", O_RDONLY | O_DIRECTORY);
    let all = list(fd, 4096);
    s.check("ok", all.is_ok(), format_args!("got {}", Show(*all.as_ref().err().unwrap_or(&0))));
    let all = all.unwrap_or_default();
    let names: Vec<&[u8]> = all.keys().map(|k| k.as_slice()).collect();
    let want: [&[u8]; 7] = [b".", b"..", b"a", b"bb", b"ccc", b"lnk", b"sub"];
    s.check("names", names == want, format_args!("expected . .. a bb ccc lnk sub, got {} entries", names.len()));
    let kind = |n: &[u8]| all.get(n).map(|e| e.1);
    s.check("type_reg", kind(b"a") == Some(DT_REG), format_args!("d_type of a file: {:?}", kind(b"a")));
    s.check(
        "type_dir",
        kind(b"sub") == Some(DT_DIR) && kind(b".") == Some(DT_DIR),
        format_args!("d_type of a directory: {:?}", kind(b"sub")),
    );
    s.check("type_lnk", kind(b"lnk") == Some(DT_LNK), format_args!("d_type of a symlink: {:?}", kind(b"lnk")));
    let ino_a = stat(c"gd/a").map(|st| st.st_ino).unwrap_or(0);
    s.check(
        "ino_matches_stat",
        all.get(&b"a"[..]).map(|e| e.0) == Some(ino_a),
        format_args!("d_ino of a differs from its st_ino"),
    );
    s.check("reclen_aligned", all.values().all(|e| e.2 % 8 == 0), format_args!("a d_reclen is not a multiple of 8"));
    s.eq("end_returns_0", sys::getdents64(fd, &mut [0u8; 512]), 0);
    s.eq("rewind", sys::lseek(fd, 0, SEEK_SET), 0);
    let small = list(fd, 40).map(|m| m.len());
    s.check(
        "small_buffer_one_at_a_time",
        small == Ok(7),
        format_args!("reading with a 40-byte buffer gave {:?} entries", small),
    );
    sys::lseek(fd, 0, SEEK_SET);
    s.err("buffer_too_small_einval", sys::getdents64(fd, &mut [0u8; 8]), EINVAL);
    s.err("efault", raw(nr::GETDENTS64, &[fd as usize, BAD, 4096]), EFAULT);
    sys::close(fd);
    let f = openfd(c"gd/a", O_RDONLY);
    s.err("file_enotdir", sys::getdents64(f, &mut [0u8; 512]), ENOTDIR);
    sys::close(f);
    s.err("ebadf", sys::getdents64(9999, &mut [0u8; 512]), EBADF);
    let e = openfd(c"gd/sub", O_RDONLY | O_DIRECTORY);
    s.check(
        "empty_dir_dot_entries",
        list(e, 4096).map(|m| m.len()) == Ok(2),
        format_args!("an empty directory should list . and .."),
    );
    sys::close(e);
}

fn cwd(s: &mut Suite, w: &Work) {
    s.group("getcwd");
    let mut buf = [0u8; 4096];
    let want = w.dir.as_bytes();
    let r = sys::getcwd(&mut buf);
    s.eq("returns_length_with_nul", r, want.len() as isize + 1);
    s.check(
        "path",
        buf.get(..want.len()) == Some(want) && buf[want.len()] == 0,
        format_args!("getcwd is not the working directory"),
    );
    s.eq("exact_size", sys::getcwd(&mut buf[..want.len() + 1]), want.len() as isize + 1);
    s.err("too_small_erange", sys::getcwd(&mut buf[..want.len()]), ERANGE);
    s.err("size_0_erange", sys::getcwd(&mut buf[..0]), ERANGE);
    s.err("efault", raw(nr::GETCWD, &[BAD, 4096]), EFAULT);

    s.group("chdir");
    sys::mkdir(c"cd.d", 0o755);
    s.eq("relative", sys::chdir(c"cd.d"), 0);
    let r = sys::getcwd(&mut buf);
    let sub = format!("{}/cd.d", w.dir);
    s.check(
        "getcwd_follows",
        r == sub.len() as isize + 1 && &buf[..sub.len()] == sub.as_bytes(),
        format_args!("getcwd after chdir is not .../cd.d"),
    );
    put(c"inner", b"x");
    s.eq("dotdot", sys::chdir(c".."), 0);
    s.check(
        "relative_paths_follow",
        stat(c"cd.d/inner").is_ok(),
        format_args!("a file created after chdir is not in that directory"),
    );
    s.eq("absolute", sys::chdir(&w.cdir), 0);
    s.err("enoent", sys::chdir(c"cd.missing"), ENOENT);
    s.err("file_enotdir", sys::chdir(c"cd.d/inner"), ENOTDIR);
    s.err("empty_enoent", sys::chdir(c""), ENOENT);
    s.err("efault", raw(nr::CHDIR, &[BAD]), EFAULT);
    // a removed working directory
    sys::mkdir(c"cd.gone", 0o755);
    sys::chdir(c"cd.gone");
    s.eq("rmdir_own_cwd", sys::rmdir(&w.path("cd.gone")), 0);
    s.err("getcwd_removed_enoent", sys::getcwd(&mut buf), ENOENT);
    s.err("create_in_removed_enoent", sys::open(c"f", O_CREAT | O_WRONLY, 0o644), ENOENT);
    s.eq("back", sys::chdir(&w.cdir), 0);
}

fn access(s: &mut Suite, w: &Work) {
    s.group("access");
    put(c"acc.f", b"");
    s.eq("f_ok", sys::access(c"acc.f", F_OK), 0);
    s.eq("r_ok_w_ok_own_file", sys::access(c"acc.f", R_OK | W_OK), 0);
    s.eq("root_dir_x_ok", sys::access(c"/", X_OK), 0);
    s.err("enoent", sys::access(c"acc.missing", F_OK), ENOENT);
    s.err("file_as_dir_enotdir", sys::access(c"acc.f/x", F_OK), ENOTDIR);
    s.err("bad_mode_einval", sys::access(c"acc.f", 8), EINVAL);
    s.err("efault", raw(nr::ACCESS, &[BAD, 0]), EFAULT);

    s.group("faccessat");
    let dfd = openfd(c".", O_RDONLY | O_DIRECTORY);
    s.eq("at_fdcwd", sys::faccessat(AT_FDCWD, c"acc.f", F_OK), 0);
    s.eq("dirfd", sys::faccessat(dfd, c"acc.f", R_OK), 0);
    s.eq("absolute_ignores_dirfd", sys::faccessat(9999, &w.path("acc.f"), F_OK), 0);
    s.err("bad_dirfd_ebadf", sys::faccessat(9999, c"acc.f", F_OK), EBADF);
    let f = openfd(c"acc.f", O_RDONLY);
    s.err("file_dirfd_enotdir", sys::faccessat(f, c"x", F_OK), ENOTDIR);
    sys::close(f);
    s.err("enoent", sys::faccessat(dfd, c"acc.missing", F_OK), ENOENT);
    s.err("bad_mode_einval", sys::faccessat(dfd, c"acc.f", 8), EINVAL);
    s.err("efault", raw(nr::FACCESSAT, &[dfd as usize, BAD, 0]), EFAULT);
    sys::close(dfd);
}

fn links(s: &mut Suite) {
    s.group("symlink");
    put(c"ln.target", b"data");
    s.eq("ok", sys::symlink(c"ln.target", c"ln.link"), 0);
    s.err("exists_eexist", sys::symlink(c"x", c"ln.link"), EEXIST);
    s.err("missing_parent_enoent", sys::symlink(c"x", c"ln.nodir/l"), ENOENT);
    s.eq("dangling_ok", sys::symlink(c"ln.nowhere", c"ln.dangling"), 0);
    s.check(
        "read_through",
        get(c"ln.link").as_deref() == Some(b"data"),
        format_args!("reading through the link did not give the target's data"),
    );

    s.group("readlink");
    let mut buf = [0xffu8; 64];
    s.eq("length", sys::readlink(c"ln.link", &mut buf), 9);
    s.check("contents", &buf[..9] == b"ln.target", format_args!("wrong link contents"));
    s.check("no_nul_added", buf[9] == 0xff, format_args!("readlink wrote a NUL after the contents"));
    let mut small = [0u8; 3];
    s.eq("truncated", sys::readlink(c"ln.link", &mut small), 3);
    s.check("truncated_contents", &small == b"ln.", format_args!("wrong truncated contents"));
    s.eq("dangling", sys::readlink(c"ln.dangling", &mut buf), 10);
    s.err("regular_file_einval", sys::readlink(c"ln.target", &mut buf), EINVAL);
    s.err("enoent", sys::readlink(c"ln.missing", &mut buf), ENOENT);
    s.err("bufsiz_0_einval", sys::readlink(c"ln.link", &mut buf[..0]), EINVAL);
    s.err("buf_efault", raw(nr::READLINK, &[c"ln.link".as_ptr() as usize, BAD, 64]), EFAULT);
    s.err("path_efault", raw(nr::READLINK, &[BAD, buf.as_mut_ptr() as usize, 64]), EFAULT);

    s.group("readlinkat");
    let dfd = openfd(c".", O_RDONLY | O_DIRECTORY);
    s.eq("dirfd", sys::readlinkat(dfd, c"ln.link", &mut buf), 9);
    s.eq("at_fdcwd", sys::readlinkat(AT_FDCWD, c"ln.link", &mut buf), 9);
    s.err("bad_dirfd_ebadf", sys::readlinkat(9999, c"ln.link", &mut buf), EBADF);
    let f = openfd(c"ln.target", O_RDONLY);
    s.err("file_dirfd_enotdir", sys::readlinkat(f, c"x", &mut buf), ENOTDIR);
    sys::close(f);
    s.err("regular_file_einval", sys::readlinkat(dfd, c"ln.target", &mut buf), EINVAL);
    sys::close(dfd);
}

fn mkdir_rmdir(s: &mut Suite) {
    s.group("mkdir");
    s.eq("ok", sys::mkdir(c"mk.d", 0o755), 0);
    s.check(
        "is_dir",
        stat(c"mk.d").map(|st| st.st_mode & S_IFMT) == Ok(S_IFDIR),
        format_args!("mkdir did not make a directory"),
    );
    s.err("exists_eexist", sys::mkdir(c"mk.d", 0o755), EEXIST);
    put(c"mk.f", b"");
    s.err("file_exists_eexist", sys::mkdir(c"mk.f", 0o755), EEXIST);
    s.err("missing_parent_enoent", sys::mkdir(c"mk.none/x", 0o755), ENOENT);
    s.err("file_parent_enotdir", sys::mkdir(c"mk.f/x", 0o755), ENOTDIR);
    s.eq("trailing_slash", sys::mkdir(c"mk.slash/", 0o755), 0);
    s.err("efault", raw(nr::MKDIR, &[BAD, 0o755]), EFAULT);

    s.group("mkdirat");
    let dfd = openfd(c"mk.d", O_RDONLY | O_DIRECTORY);
    s.eq("dirfd", sys::mkdirat(dfd, c"inner", 0o755), 0);
    s.check("made_in_dir", stat(c"mk.d/inner").is_ok(), format_args!("mk.d/inner missing"));
    s.err("exists_eexist", sys::mkdirat(dfd, c"inner", 0o755), EEXIST);
    s.err("bad_dirfd_ebadf", sys::mkdirat(9999, c"x", 0o755), EBADF);
    let f = openfd(c"mk.f", O_RDONLY);
    s.err("file_dirfd_enotdir", sys::mkdirat(f, c"x", 0o755), ENOTDIR);
    sys::close(f);

    s.group("rmdir");
    s.err("not_empty_enotempty", sys::rmdir(c"mk.d"), ENOTEMPTY);
    s.eq("ok", sys::rmdir(c"mk.d/inner"), 0);
    s.err("gone_after", stat(c"mk.d/inner").err().unwrap_or(0), ENOENT);
    s.err("file_enotdir", sys::rmdir(c"mk.f"), ENOTDIR);
    s.err("enoent", sys::rmdir(c"mk.none"), ENOENT);
    s.err("dot_einval", sys::rmdir(c"mk.d/."), EINVAL);
    s.err("dotdot_enotempty", sys::rmdir(c"mk.d/.."), ENOTEMPTY);
    s.err("efault", raw(nr::RMDIR, &[BAD]), EFAULT);
    s.eq("now_empty", sys::rmdir(c"mk.d"), 0);
    sys::close(dfd);
}

fn unlink(s: &mut Suite) {
    s.group("unlink");
    put(c"ul.f", b"still here");
    let fd = openfd(c"ul.f", O_RDONLY);
    s.eq("ok", sys::unlink(c"ul.f"), 0);
    s.err("gone_after", stat(c"ul.f").err().unwrap_or(0), ENOENT);
    let mut buf = [0u8; 16];
    s.eq("open_fd_still_reads", sys::read(fd, &mut buf), 10);
    let mut st = Stat64::default();
    sys::fstat64(fd, &mut st);
    s.eq("open_fd_nlink_0", st.st_nlink as isize, 0);
    sys::close(fd);
    sys::mkdir(c"ul.d", 0o755);
    s.err("dir_eisdir", sys::unlink(c"ul.d"), EISDIR);
    s.err("enoent", sys::unlink(c"ul.f"), ENOENT);
    put(c"ul.g", b"");
    s.err("file_as_dir_enotdir", sys::unlink(c"ul.g/x"), ENOTDIR);
    sys::symlink(c"ul.g", c"ul.lnk");
    s.eq("symlink_ok", sys::unlink(c"ul.lnk"), 0);
    s.check("symlink_target_kept", stat(c"ul.g").is_ok(), format_args!("unlinking a symlink removed its target"));
    s.err("efault", raw(nr::UNLINK, &[BAD]), EFAULT);

    s.group("unlinkat");
    let dfd = openfd(c".", O_RDONLY | O_DIRECTORY);
    s.eq("file", sys::unlinkat(dfd, c"ul.g", 0), 0);
    s.err("file_gone", stat(c"ul.g").err().unwrap_or(0), ENOENT);
    s.err("dir_without_flag_eisdir", sys::unlinkat(dfd, c"ul.d", 0), EISDIR);
    put(c"ul.h", b"");
    s.err("removedir_on_file_enotdir", sys::unlinkat(dfd, c"ul.h", AT_REMOVEDIR), ENOTDIR);
    s.err("bad_flags_einval", sys::unlinkat(dfd, c"ul.h", 0x1), EINVAL);
    s.eq("removedir", sys::unlinkat(dfd, c"ul.d", AT_REMOVEDIR), 0);
    s.err("dir_gone", stat(c"ul.d").err().unwrap_or(0), ENOENT);
    s.eq("at_fdcwd", sys::unlinkat(AT_FDCWD, c"ul.h", 0), 0);
    s.err("bad_dirfd_ebadf", sys::unlinkat(9999, c"ul.x", 0), EBADF);
    s.err("enoent", sys::unlinkat(dfd, c"ul.h", 0), ENOENT);
    sys::close(dfd);
}

fn rename(s: &mut Suite) {
    s.group("rename");
    put(c"rn.a", b"A");
    let ino_a = stat(c"rn.a").map(|st| st.st_ino).unwrap_or(0);
    s.eq("ok", sys::rename(c"rn.a", c"rn.b"), 0);
    s.err("old_gone", stat(c"rn.a").err().unwrap_or(0), ENOENT);
    s.check(
        "new_is_same_inode",
        stat(c"rn.b").map(|st| st.st_ino) == Ok(ino_a),
        format_args!("the renamed file has another inode"),
    );
    put(c"rn.c", b"C");
    s.eq("replace_file", sys::rename(c"rn.c", c"rn.b"), 0);
    s.check("replaced_data", get(c"rn.b").as_deref() == Some(b"C"), format_args!("the target was not replaced"));
    s.eq("same_name", sys::rename(c"rn.b", c"rn.b"), 0);
    s.check("same_name_kept", stat(c"rn.b").is_ok(), format_args!("renaming a file onto itself removed it"));
    s.err("enoent", sys::rename(c"rn.missing", c"rn.x"), ENOENT);
    s.err("missing_target_dir_enoent", sys::rename(c"rn.b", c"rn.nodir/x"), ENOENT);
    sys::mkdir(c"rn.d1", 0o755);
    sys::mkdir(c"rn.d2", 0o755);
    put(c"rn.d2/f", b"");
    let r = sys::rename(c"rn.d1", c"rn.d2");
    s.check(
        "dir_onto_nonempty_dir",
        r == -ENOTEMPTY || r == -EEXIST,
        format_args!("expected -ENOTEMPTY or -EEXIST, got {}", Show(r)),
    );
    sys::mkdir(c"rn.d3", 0o755);
    s.eq("dir_onto_empty_dir", sys::rename(c"rn.d1", c"rn.d3"), 0);
    s.err("file_onto_dir_eisdir", sys::rename(c"rn.b", c"rn.d3"), EISDIR);
    s.err("dir_onto_file_enotdir", sys::rename(c"rn.d3", c"rn.b"), ENOTDIR);
    s.err("dir_into_itself_einval", sys::rename(c"rn.d2", c"rn.d2/sub"), EINVAL);
    s.err("efault", raw(nr::RENAME, &[BAD, c"rn.x".as_ptr() as usize]), EFAULT);

    s.group("renameat");
    let d2 = openfd(c"rn.d2", O_RDONLY | O_DIRECTORY);
    let d3 = openfd(c"rn.d3", O_RDONLY | O_DIRECTORY);
    s.eq("between_dirfds", sys::renameat(d2, c"f", d3, c"g"), 0);
    s.check("moved", stat(c"rn.d3/g").is_ok() && stat(c"rn.d2/f").is_err(), format_args!("the file did not move"));
    s.eq("at_fdcwd", sys::renameat(AT_FDCWD, c"rn.b", d3, c"b"), 0);
    s.err("bad_dirfd_ebadf", sys::renameat(9999, c"x", d3, c"y"), EBADF);
    s.err("enoent", sys::renameat(d2, c"missing", d3, c"y"), ENOENT);
    sys::close(d2);
    sys::close(d3);
}
