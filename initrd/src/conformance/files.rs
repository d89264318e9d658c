//! Files: open/openat/close, read/write/readv/writev, lseek/_llseek,
//! ftruncate64, and the stat family (stat64, lstat64, fstat64, fstatat64,
//! statx).

use super::*;
use linux_rt::nr;

pub fn run(s: &mut Suite, w: &Work) {
    open(s, w);
    openat(s);
    close(s);
    read_write(s);
    vectored(s);
    lseek(s);
    llseek(s);
    ftruncate(s);
    stats(s, w);
    statx(s);
}

fn long_name(n: usize) -> CString {
    cs(&"a".repeat(n))
}

fn open(s: &mut Suite, w: &Work) {
    s.group("open");
    let fd = sys::open(c"open.f", O_CREAT | O_RDWR, 0o644);
    s.ok("creat", fd);
    s.eq("creat_write", sys::write(fd as i32, b"0123456789"), 10);
    sys::close(fd as i32);
    let a = sys::open(c"/dev/null", O_RDONLY, 0);
    let b = sys::open(c"/dev/null", O_RDONLY, 0);
    sys::close(a as i32);
    let c = sys::open(c"/dev/null", O_RDONLY, 0);
    s.check(
        "lowest_free_fd",
        a >= 0 && b > a && c == a,
        format_args!("after closing fd {} a new open returned {}", Show(a), Show(c)),
    );
    sys::close(b as i32);
    sys::close(c as i32);
    s.err("enoent", sys::open(c"open.missing", O_RDONLY, 0), ENOENT);
    s.err("creat_missing_parent_enoent", sys::open(c"open.nodir/x", O_CREAT | O_WRONLY, 0o644), ENOENT);
    s.err("excl_eexist", sys::open(c"open.f", O_CREAT | O_EXCL | O_WRONLY, 0o644), EEXIST);
    let r = sys::open(c"open.new", O_CREAT | O_EXCL | O_WRONLY, 0o644);
    s.ok("excl_new", r);
    sys::close(r as i32);
    s.err("file_as_dir_enotdir", sys::open(c"open.f/x", O_RDONLY, 0), ENOTDIR);
    s.err("o_directory_on_file_enotdir", sys::open(c"open.f", O_RDONLY | O_DIRECTORY, 0), ENOTDIR);
    sys::mkdir(c"open.d", 0o755);
    s.err("dir_for_writing_eisdir", sys::open(c"open.d", O_WRONLY, 0), EISDIR);
    s.err("dir_rdwr_eisdir", sys::open(c"open.d", O_RDWR, 0), EISDIR);
    let r = sys::open(c"open.d", O_RDONLY | O_DIRECTORY, 0);
    s.ok("dir_rdonly", r);
    sys::close(r as i32);
    s.err("efault", raw(nr::OPEN, &[BAD, O_RDONLY as usize]), EFAULT);
    s.err("efault_high", raw(nr::OPEN, &[BAD_HIGH, O_RDONLY as usize]), EFAULT);
    s.err("empty_path_enoent", sys::open(c"", O_RDONLY, 0), ENOENT);
    s.err("long_component_enametoolong", sys::open(&long_name(300), O_RDONLY, 0), ENAMETOOLONG);
    s.err("long_path_enametoolong", sys::open(&cs(&"a/".repeat(2500)), O_RDONLY, 0), ENAMETOOLONG);
    let r = sys::open(c"open.f", O_WRONLY | O_TRUNC, 0);
    let mut st = Stat64::default();
    sys::fstat64(r as i32, &mut st);
    s.check("o_trunc", r >= 0 && st.st_size == 0, format_args!("size {} after O_TRUNC", st.st_size));
    sys::write(r as i32, b"abc");
    sys::close(r as i32);
    let r = sys::open(c"open.f", O_WRONLY | O_APPEND, 0);
    sys::write(r as i32, b"def");
    sys::close(r as i32);
    s.check(
        "o_append",
        get(c"open.f").as_deref() == Some(b"abcdef"),
        format_args!("O_APPEND did not write at the end"),
    );
    let r = sys::open(c"open.f", O_RDONLY | O_CLOEXEC, 0);
    s.eq("o_cloexec_sets_fd_cloexec", fcntl(r as i32, F_GETFD, 0), FD_CLOEXEC as isize);
    sys::close(r as i32);
    let r = sys::open(c"open.f", O_RDONLY, 0);
    s.eq("no_cloexec_by_default", fcntl(r as i32, F_GETFD, 0), 0);
    sys::close(r as i32);
    sys::symlink(c"open.f", c"open.lnk");
    s.err("o_nofollow_symlink_eloop", sys::open(c"open.lnk", O_RDONLY | O_NOFOLLOW, 0), ELOOP);
    let r = sys::open(c"open.lnk", O_RDONLY, 0);
    s.ok("follows_symlink", r);
    sys::close(r as i32);
    let r = sys::open(&w.path("open.f"), O_RDONLY, 0);
    s.ok("absolute_path", r);
    sys::close(r as i32);
}

fn openat(s: &mut Suite) {
    s.group("openat");
    sys::mkdir(c"openat.d", 0o755);
    let dfd = openfd(c"openat.d", O_RDONLY | O_DIRECTORY);
    let r = sys::openat(dfd, c"inner", O_CREAT | O_RDWR, 0o644);
    s.ok("relative_to_dirfd", r);
    sys::close(r as i32);
    s.check("created_in_dir", stat(c"openat.d/inner").is_ok(), format_args!("openat.d/inner does not exist"));
    let r = sys::openat(AT_FDCWD, c"openat.d/inner", O_RDONLY, 0);
    s.ok("at_fdcwd", r);
    sys::close(r as i32);
    let r = sys::openat(9999, c"/dev/null", O_RDONLY, 0);
    s.ok("absolute_ignores_dirfd", r);
    sys::close(r as i32);
    s.err("bad_dirfd_ebadf", sys::openat(9999, c"inner", O_RDONLY, 0), EBADF);
    let ffd = openfd(c"openat.d/inner", O_RDONLY);
    s.err("file_dirfd_enotdir", sys::openat(ffd, c"x", O_RDONLY, 0), ENOTDIR);
    sys::close(ffd);
    s.err("enoent", sys::openat(dfd, c"missing", O_RDONLY, 0), ENOENT);
    s.err("efault", raw(nr::OPENAT, &[dfd as usize, BAD, 0]), EFAULT);
    sys::close(dfd);
}

fn close(s: &mut Suite) {
    s.group("close");
    let fd = openfd(c"/dev/null", O_RDONLY);
    s.eq("ok", sys::close(fd), 0);
    s.err("twice_ebadf", sys::close(fd), EBADF);
    s.err("read_after_close_ebadf", sys::read(fd, &mut [0u8; 4]), EBADF);
    s.err("minus_one_ebadf", sys::close(-1), EBADF);
    s.err("unopened_ebadf", sys::close(9999), EBADF);
}

fn read_write(s: &mut Suite) {
    s.group("read_write");
    let fd = openfd(c"rw.f", O_CREAT | O_RDWR | O_TRUNC);
    s.eq("write_file", sys::write(fd, b"hello world"), 11);
    s.eq("write_0", sys::write(fd, b""), 0);
    sys::lseek(fd, 0, SEEK_SET);
    let mut buf = [0u8; 5];
    s.eq("read_part", sys::read(fd, &mut buf), 5);
    s.check("read_data", &buf == b"hello", format_args!("read the wrong bytes"));
    s.eq("read_advances_offset", sys::read(fd, &mut buf), 5);
    s.check("read_data_next", &buf == b" worl", format_args!("the second read did not continue where the first ended"));
    let mut big = [0u8; 100];
    s.eq("short_read_at_end", sys::read(fd, &mut big), 1);
    s.eq("eof_0", sys::read(fd, &mut big), 0);
    s.eq("read_0", sys::read(fd, &mut big[..0]), 0);
    // at end of file there is nothing to copy: Linux does not look at the buffer
    s.eq("read_at_eof_ignores_buffer", raw(nr::READ, &[fd as usize, BAD, 10]), 0);
    sys::lseek(fd, 0, SEEK_SET);
    s.err("read_efault", raw(nr::READ, &[fd as usize, BAD, 10]), EFAULT);
    s.err("read_efault_high", raw(nr::READ, &[fd as usize, BAD_HIGH, 10]), EFAULT);
    s.err("write_efault", raw(nr::WRITE, &[fd as usize, BAD, 10]), EFAULT);
    s.err("write_efault_high", raw(nr::WRITE, &[fd as usize, BAD_HIGH, 10]), EFAULT);
    sys::close(fd);

    let ro = openfd(c"rw.f", O_RDONLY);
    s.err("write_rdonly_ebadf", sys::write(ro, b"x"), EBADF);
    sys::close(ro);
    let wo = openfd(c"rw.f", O_WRONLY);
    s.err("read_wronly_ebadf", sys::read(wo, &mut buf), EBADF);
    sys::close(wo);
    s.err("read_bad_fd_ebadf", sys::read(9999, &mut buf), EBADF);
    s.err("write_bad_fd_ebadf", sys::write(9999, b"x"), EBADF);
    let d = openfd(c".", O_RDONLY | O_DIRECTORY);
    s.err("read_dir_eisdir", sys::read(d, &mut buf), EISDIR);
    sys::close(d);

    let z = openfd(c"/dev/zero", O_RDONLY);
    let mut zb = [0xaau8; 300];
    s.eq("dev_zero_read", sys::read(z, &mut zb), 300);
    s.check("dev_zero_zeros", zb.iter().all(|&b| b == 0), format_args!("/dev/zero gave non-zero bytes"));
    sys::close(z);
    let n = openfd(c"/dev/null", O_RDWR);
    s.eq("dev_null_write", sys::write(n, &zb), 300);
    s.eq("dev_null_read_eof", sys::read(n, &mut zb), 0);
    sys::close(n);

    let mut p = [-1; 2];
    sys::pipe2(&mut p, 0);
    s.eq("pipe_write", sys::write(p[1], b"through"), 7);
    let mut pb = [0u8; 16];
    s.eq("pipe_read", sys::read(p[0], &mut pb), 7);
    s.check("pipe_data", &pb[..7] == b"through", format_args!("pipe returned the wrong bytes"));
    s.err("pipe_read_end_write_ebadf", sys::write(p[0], b"x"), EBADF);
    sys::close(p[0]);
    sys::close(p[1]);
}

fn vectored(s: &mut Suite) {
    s.group("readv_writev");
    let fd = openfd(c"v.f", O_CREAT | O_RDWR | O_TRUNC);
    let iov = [IoVec::new(b"ab"), IoVec::new(b""), IoVec::new(b"cde"), IoVec::new(b"fghij")];
    s.eq("writev_total", sys::writev(fd, &iov), 10);
    s.check(
        "writev_data",
        get(c"v.f").as_deref() == Some(b"abcdefghij"),
        format_args!("the file does not hold the gathered bytes"),
    );
    sys::lseek(fd, 0, SEEK_SET);
    let (mut a, mut b, mut c) = ([0u8; 2], [0u8; 3], [0u8; 16]);
    let riov = [IoVec::new_mut(&mut a), IoVec::new_mut(&mut b), IoVec::new_mut(&mut c)];
    // SAFETY: the three buffers are locals the kernel may write.
    let r = unsafe { sys::readv(fd, &riov) };
    s.eq("readv_total", r, 10);
    s.check(
        "readv_scatter",
        &a == b"ab" && &b == b"cde" && &c[..5] == b"fghij",
        format_args!("the bytes were not scattered in order"),
    );
    let mut d = [0u8; 8];
    // SAFETY: as above.
    s.eq("readv_eof_0", unsafe { sys::readv(fd, &[IoVec::new_mut(&mut d)]) }, 0);
    s.eq("writev_iovcnt_0", sys::writev(fd, &[]), 0);
    s.err("writev_iovcnt_1025_einval", raw(nr::WRITEV, &[fd as usize, iov.as_ptr() as usize, 1025]), EINVAL);
    s.err("writev_negative_iovcnt_einval", raw(nr::WRITEV, &[fd as usize, iov.as_ptr() as usize, usize::MAX]), EINVAL);
    s.err("writev_iov_efault", raw(nr::WRITEV, &[fd as usize, BAD, 1]), EFAULT);
    let bad = [IoVec { base: BAD as *const u8, len: 4 }];
    s.err("writev_base_efault", sys::writev(fd, &bad), EFAULT);
    let huge = [IoVec { base: b"x".as_ptr(), len: 0x8000_0000 }];
    s.err("writev_len_negative_einval", sys::writev(fd, &huge), EINVAL);
    s.err("readv_iov_efault", raw(nr::READV, &[fd as usize, BAD, 1]), EFAULT);
    s.err("writev_ebadf", sys::writev(9999, &iov), EBADF);
    sys::close(fd);
}

fn lseek(s: &mut Suite) {
    s.group("lseek");
    put(c"seek.f", b"0123456789");
    let fd = openfd(c"seek.f", O_RDWR);
    s.eq("set", sys::lseek(fd, 5, SEEK_SET), 5);
    let mut b = [0u8; 1];
    sys::read(fd, &mut b);
    s.check("set_then_read", b[0] == b'5', format_args!("read '{}' after seeking to 5", b[0] as char));
    s.eq("cur", sys::lseek(fd, 2, SEEK_CUR), 8);
    s.eq("cur_negative", sys::lseek(fd, -3, SEEK_CUR), 5);
    s.eq("end", sys::lseek(fd, 0, SEEK_END), 10);
    s.eq("end_minus_1", sys::lseek(fd, -1, SEEK_END), 9);
    s.eq("beyond_eof", sys::lseek(fd, 1000, SEEK_SET), 1000);
    s.eq("read_beyond_eof_0", sys::read(fd, &mut b), 0);
    s.eq("write_beyond_eof", sys::write(fd, b"Z"), 1);
    let mut st = Stat64::default();
    sys::fstat64(fd, &mut st);
    s.eq("hole_size", st.st_size as isize, 1001);
    sys::lseek(fd, 500, SEEK_SET);
    let mut hole = [0xffu8; 10];
    sys::read(fd, &mut hole);
    s.check("hole_reads_zero", hole == [0; 10], format_args!("a hole read back non-zero"));
    s.err("negative_einval", sys::lseek(fd, -1, SEEK_SET), EINVAL);
    s.err("cur_before_start_einval", sys::lseek(fd, -5000, SEEK_CUR), EINVAL);
    s.err("bad_whence_einval", sys::lseek(fd, 0, 99), EINVAL);
    s.err("ebadf", sys::lseek(9999, 0, SEEK_SET), EBADF);
    let mut p = [-1; 2];
    sys::pipe2(&mut p, 0);
    s.err("pipe_espipe", sys::lseek(p[0], 0, SEEK_CUR), ESPIPE);
    sys::close(p[0]);
    sys::close(p[1]);
    sys::close(fd);
}

fn llseek(s: &mut Suite) {
    s.group("_llseek");
    put(c"llseek.f", b"0123456789");
    let fd = openfd(c"llseek.f", O_RDONLY | O_LARGEFILE);
    let mut pos = -1i64;
    let far = 0x1_0000_0010i64;
    s.eq("above_4g_ok", sys::llseek(fd, far, &mut pos, SEEK_SET), 0);
    s.check("above_4g_result", pos == far, format_args!("expected offset {:#x}, got {:#x}", far, pos));
    s.eq("cur_ok", sys::llseek(fd, -0x10, &mut pos, SEEK_CUR), 0);
    s.check("cur_result", pos == 0x1_0000_0000, format_args!("expected offset 0x100000000, got {:#x}", pos));
    let mut b = [0u8; 4];
    s.eq("read_above_4g_eof", sys::read(fd, &mut b), 0);
    s.eq("end_ok", sys::llseek(fd, -2, &mut pos, SEEK_END), 0);
    s.check("end_result", pos == 8, format_args!("expected offset 8, got {}", pos));
    sys::read(fd, &mut b);
    s.check("end_then_read", &b[..2] == b"89", format_args!("read the wrong bytes after seeking"));
    s.err("negative_einval", sys::llseek(fd, -1, &mut pos, SEEK_SET), EINVAL);
    s.err("bad_whence_einval", sys::llseek(fd, 0, &mut pos, 99), EINVAL);
    s.err("result_efault", raw(nr::LLSEEK, &[fd as usize, 0, 0, BAD, SEEK_SET as usize]), EFAULT);
    s.err("ebadf", sys::llseek(9999, 0, &mut pos, SEEK_SET), EBADF);
    let mut p = [-1; 2];
    sys::pipe2(&mut p, 0);
    s.err("pipe_espipe", sys::llseek(p[0], 0, &mut pos, SEEK_CUR), ESPIPE);
    sys::close(p[0]);
    sys::close(p[1]);
    sys::close(fd);
}

fn ftruncate(s: &mut Suite) {
    s.group("ftruncate64");
    put(c"trunc.f", b"abcdef");
    let fd = openfd(c"trunc.f", O_RDWR | O_LARGEFILE);
    let size = |fd: i32| {
        let mut st = Stat64::default();
        sys::fstat64(fd, &mut st);
        st.st_size
    };
    s.eq("extend_ok", sys::ftruncate64(fd, 10000), 0);
    s.check("extend_size", size(fd) == 10000, format_args!("expected size 10000, got {}", size(fd)));
    let mut b = [0xffu8; 16];
    sys::lseek(fd, 4, SEEK_SET);
    sys::read(fd, &mut b);
    s.check(
        "extend_zero_filled",
        &b[..2] == b"ef" && b[2..].iter().all(|&x| x == 0),
        format_args!("the extension is not zero-filled"),
    );
    s.eq("shrink_ok", sys::ftruncate64(fd, 3), 0);
    s.check("shrink_size", size(fd) == 3, format_args!("expected size 3, got {}", size(fd)));
    s.check(
        "shrink_data",
        get(c"trunc.f").as_deref() == Some(b"abc"),
        format_args!("the data after shrinking is wrong"),
    );
    s.eq("offset_unchanged", sys::lseek(fd, 0, SEEK_CUR), 20);
    let big = 0x1_0000_0005i64;
    s.eq("above_4g_ok", sys::ftruncate64(fd, big), 0);
    s.check(
        "above_4g_size",
        size(fd) == big,
        format_args!("expected size {:#x}, got {:#x} (64-bit length split wrong?)", big, size(fd)),
    );
    sys::ftruncate64(fd, 0);
    s.err("negative_einval", sys::ftruncate64(fd, -1), EINVAL);
    sys::close(fd);
    let ro = openfd(c"trunc.f", O_RDONLY);
    s.err("rdonly_einval", sys::ftruncate64(ro, 0), EINVAL);
    sys::close(ro);
    s.err("ebadf", sys::ftruncate64(9999, 0), EBADF);
    let mut p = [-1; 2];
    sys::pipe2(&mut p, 0);
    s.err("pipe_einval", sys::ftruncate64(p[1], 0), EINVAL);
    sys::close(p[0]);
    sys::close(p[1]);
}

fn stats(s: &mut Suite, w: &Work) {
    s.group("stat64");
    put(c"st.f", b"twelve bytes");
    sys::mkdir(c"st.d", 0o755);
    sys::symlink(c"st.f", c"st.lnk");
    sys::symlink(c"st.missing", c"st.dangling");
    let mut st = Stat64::default();
    s.eq("file_ok", sys::stat64(c"st.f", &mut st), 0);
    s.eq("file_type", (st.st_mode & S_IFMT) as isize, S_IFREG as isize);
    s.check(
        "file_perms_subset",
        st.st_mode & 0o7777 & !0o644 == 0 && st.st_mode & 0o600 != 0,
        format_args!("mode {:o} for a file created 0644", st.st_mode & 0o7777),
    );
    s.eq("file_size", st.st_size as isize, 12);
    s.eq("file_nlink", st.st_nlink as isize, 1);
    s.check(
        "ino_low_word",
        st.__st_ino == st.st_ino as u32 && st.st_ino != 0,
        format_args!("__st_ino is not the low word of st_ino"),
    );
    s.eq("uid_is_euid", st.st_uid as isize, sys::geteuid());
    s.check(
        "blksize",
        st.st_blksize > 0 && st.st_blksize.is_power_of_two(),
        format_args!("st_blksize {}", st.st_blksize),
    );
    let now = sys::time(None);
    s.check(
        "mtime_recent",
        (st.st_mtime as isize - now).abs() <= 5,
        format_args!("st_mtime is not within 5 s of time()"),
    );
    s.check(
        "nsec_range",
        st.st_mtime_nsec < 1_000_000_000 && st.st_atime_nsec < 1_000_000_000 && st.st_ctime_nsec < 1_000_000_000,
        format_args!("a nanosecond field is >= 1e9"),
    );
    let mut abs = Stat64::default();
    sys::stat64(&w.path("st.f"), &mut abs);
    s.check(
        "absolute_same_file",
        abs.st_ino == st.st_ino && abs.st_dev == st.st_dev,
        format_args!("absolute and relative paths give different files"),
    );
    let mut d = Stat64::default();
    s.eq("dir_ok", sys::stat64(c"st.d", &mut d), 0);
    s.eq("dir_type", (d.st_mode & S_IFMT) as isize, S_IFDIR as isize);
    s.check(
        "same_device",
        d.st_dev == st.st_dev,
        format_args!("a file and its sibling directory have different st_dev"),
    );
    let mut n = Stat64::default();
    s.eq("dev_null_ok", sys::stat64(c"/dev/null", &mut n), 0);
    s.eq("dev_null_chr", (n.st_mode & S_IFMT) as isize, S_IFCHR as isize);
    s.check("dev_null_rdev", n.st_rdev == 0x103, format_args!("expected st_rdev 0x103 (1:3), got {:#x}", n.st_rdev));
    let mut l = Stat64::default();
    sys::stat64(c"st.lnk", &mut l);
    s.check(
        "follows_symlink",
        l.st_ino == st.st_ino && l.st_mode & S_IFMT == S_IFREG,
        format_args!("stat64 of a symlink is not its target"),
    );
    s.err("dangling_enoent", sys::stat64(c"st.dangling", &mut l), ENOENT);
    s.err("enoent", sys::stat64(c"st.missing", &mut l), ENOENT);
    s.err("file_as_dir_enotdir", sys::stat64(c"st.f/x", &mut l), ENOTDIR);
    s.err("trailing_slash_on_file_enotdir", sys::stat64(c"st.f/", &mut l), ENOTDIR);
    s.err("empty_enoent", sys::stat64(c"", &mut l), ENOENT);
    s.err("path_efault", raw(nr::STAT64, &[BAD, &mut l as *mut _ as usize]), EFAULT);
    s.err("buf_efault", raw(nr::STAT64, &[c"st.f".as_ptr() as usize, BAD]), EFAULT);

    s.group("lstat64");
    let mut l = Stat64::default();
    s.eq("symlink_ok", sys::lstat64(c"st.lnk", &mut l), 0);
    s.eq("symlink_type", (l.st_mode & S_IFMT) as isize, S_IFLNK as isize);
    s.eq("symlink_size_is_target_len", l.st_size as isize, 4);
    s.check("symlink_own_inode", l.st_ino != st.st_ino, format_args!("the link has its target's inode"));
    s.eq("dangling_ok", sys::lstat64(c"st.dangling", &mut l), 0);
    sys::lstat64(c"st.f", &mut l);
    s.check(
        "regular_same_as_stat",
        l.st_ino == st.st_ino && l.st_mode == st.st_mode && l.st_size == st.st_size,
        format_args!("lstat64 and stat64 differ on a regular file"),
    );
    s.err("enoent", sys::lstat64(c"st.missing", &mut l), ENOENT);
    s.err("efault", raw(nr::LSTAT64, &[BAD, &mut l as *mut _ as usize]), EFAULT);

    s.group("fstat64");
    let fd = openfd(c"st.f", O_RDWR);
    let mut f = Stat64::default();
    s.eq("ok", sys::fstat64(fd, &mut f), 0);
    s.check(
        "same_as_stat",
        f.st_ino == st.st_ino && f.st_dev == st.st_dev && f.st_size == 12,
        format_args!("fstat64 and stat64 disagree"),
    );
    sys::lseek(fd, 0, SEEK_END);
    sys::write(fd, b"+3b");
    sys::fstat64(fd, &mut f);
    s.eq("size_follows_writes", f.st_size as isize, 15);
    s.err("ebadf", sys::fstat64(9999, &mut f), EBADF);
    s.err("efault", raw(nr::FSTAT64, &[fd as usize, BAD]), EFAULT);
    sys::close(fd);
    let mut p = [-1; 2];
    sys::pipe2(&mut p, 0);
    sys::fstat64(p[0], &mut f);
    s.eq("pipe_fifo", (f.st_mode & S_IFMT) as isize, S_IFIFO as isize);
    sys::close(p[0]);
    sys::close(p[1]);
    let z = openfd(c"/dev/zero", O_RDONLY);
    sys::fstat64(z, &mut f);
    s.check(
        "dev_zero_rdev",
        f.st_mode & S_IFMT == S_IFCHR && f.st_rdev == 0x105,
        format_args!("expected a character device 1:5, got mode {:o} rdev {:#x}", f.st_mode, f.st_rdev),
    );
    sys::close(z);

    s.group("fstatat64");
    let mut a = Stat64::default();
    s.eq("at_fdcwd", sys::fstatat64(AT_FDCWD, c"st.f", &mut a, 0), 0);
    s.check("at_fdcwd_same", a.st_ino == st.st_ino, format_args!("a different file"));
    let dfd = openfd(c".", O_RDONLY | O_DIRECTORY);
    s.eq("dirfd", sys::fstatat64(dfd, c"st.lnk", &mut a, 0), 0);
    s.check("dirfd_follows", a.st_ino == st.st_ino, format_args!("did not follow the symlink"));
    s.eq("nofollow", sys::fstatat64(dfd, c"st.lnk", &mut a, AT_SYMLINK_NOFOLLOW), 0);
    s.eq("nofollow_type", (a.st_mode & S_IFMT) as isize, S_IFLNK as isize);
    let ffd = openfd(c"st.f", O_RDONLY);
    s.eq("empty_path", sys::fstatat64(ffd, c"", &mut a, AT_EMPTY_PATH), 0);
    s.check("empty_path_is_fd", a.st_ino == st.st_ino, format_args!("AT_EMPTY_PATH did not stat the fd"));
    s.err("empty_without_flag_enoent", sys::fstatat64(ffd, c"", &mut a, 0), ENOENT);
    s.err("file_dirfd_enotdir", sys::fstatat64(ffd, c"x", &mut a, 0), ENOTDIR);
    s.err("bad_flags_einval", sys::fstatat64(dfd, c"st.f", &mut a, 0x1), EINVAL);
    s.err("bad_dirfd_ebadf", sys::fstatat64(9999, c"st.f", &mut a, 0), EBADF);
    s.eq("absolute_ignores_dirfd", sys::fstatat64(9999, &w.path("st.f"), &mut a, 0), 0);
    s.err("efault", raw(nr::FSTATAT64, &[dfd as usize, c"st.f".as_ptr() as usize, BAD, 0]), EFAULT);
    sys::close(ffd);
    sys::close(dfd);
}

fn statx(s: &mut Suite) {
    s.group("statx");
    let mut st = Stat64::default();
    sys::stat64(c"st.f", &mut st);
    let mut x = Statx::default();
    s.eq("ok", sys::statx(AT_FDCWD, c"st.f", 0, STATX_BASIC_STATS, &mut x), 0);
    let need = STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_INO | STATX_SIZE;
    s.check("mask", x.stx_mask & need == need, format_args!("stx_mask {:#x} lacks some of {:#x}", x.stx_mask, need));
    s.check(
        "mode_matches_stat64",
        x.stx_mode as u32 == st.st_mode,
        format_args!("stx_mode {:o} vs st_mode {:o}", x.stx_mode, st.st_mode),
    );
    s.check("ino_matches_stat64", x.stx_ino == st.st_ino, format_args!("stx_ino differs from st_ino"));
    s.check(
        "size_matches_stat64",
        x.stx_size as i64 == st.st_size,
        format_args!("stx_size {} vs st_size {}", x.stx_size, st.st_size),
    );
    s.check(
        "nlink_uid",
        x.stx_nlink == 1 && x.stx_uid == st.st_uid,
        format_args!("nlink {} uid mismatch", x.stx_nlink),
    );
    s.check(
        "mtime_matches_stat64",
        x.stx_mtime.tv_sec == st.st_mtime as i64 && x.stx_mtime.tv_nsec == st.st_mtime_nsec,
        format_args!("stx_mtime differs from st_mtime"),
    );
    s.eq("nofollow", sys::statx(AT_FDCWD, c"st.lnk", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &mut x), 0);
    s.eq("nofollow_type", (x.stx_mode as u32 & S_IFMT) as isize, S_IFLNK as isize);
    let fd = openfd(c"st.f", O_RDONLY);
    s.eq("empty_path", sys::statx(fd, c"", AT_EMPTY_PATH, STATX_BASIC_STATS, &mut x), 0);
    s.check("empty_path_is_fd", x.stx_ino == st.st_ino, format_args!("AT_EMPTY_PATH did not stat the fd"));
    sys::close(fd);
    s.eq("dev_null", sys::statx(AT_FDCWD, c"/dev/null", 0, STATX_BASIC_STATS, &mut x), 0);
    s.check(
        "dev_null_rdev",
        (x.stx_rdev_major, x.stx_rdev_minor) == (1, 3),
        format_args!("expected rdev 1:3, got {}:{}", x.stx_rdev_major, x.stx_rdev_minor),
    );
    s.err("enoent", sys::statx(AT_FDCWD, c"st.missing", 0, STATX_BASIC_STATS, &mut x), ENOENT);
    s.err("bad_flags_einval", sys::statx(AT_FDCWD, c"st.f", 0x8000_0000, STATX_BASIC_STATS, &mut x), EINVAL);
    s.err("reserved_mask_einval", sys::statx(AT_FDCWD, c"st.f", 0, STATX__RESERVED, &mut x), EINVAL);
    s.err(
        "both_sync_flags_einval",
        sys::statx(AT_FDCWD, c"st.f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &mut x),
        EINVAL,
    );
    s.err("bad_dirfd_ebadf", sys::statx(9999, c"st.f", 0, STATX_BASIC_STATS, &mut x), EBADF);
    s.err(
        "path_efault",
        raw(nr::STATX, &[AT_FDCWD as usize, BAD, 0, STATX_BASIC_STATS as usize, &mut x as *mut _ as usize]),
        EFAULT,
    );
    s.err(
        "buf_efault",
        raw(nr::STATX, &[AT_FDCWD as usize, c"st.f".as_ptr() as usize, 0, STATX_BASIC_STATS as usize, BAD]),
        EFAULT,
    );
}
