//! File descriptors: dup/dup2/dup3, fcntl64 (duplication, descriptor and
//! status flags), ioctl on descriptors that are not terminals, pipe2.

use super::*;
use linux_rt::nr;

pub fn run(s: &mut Suite, _w: &Work) {
    put(c"fd.f", b"0123456789");
    dup(s);
    fcntl64(s);
    ioctl(s);
    pipe2(s);
}

fn ino(fd: i32) -> u64 {
    let mut st = Stat64::default();
    if sys::fstat64(fd, &mut st) != 0 {
        return 0;
    }
    st.st_ino
}

fn dup(s: &mut Suite) {
    s.group("dup");
    let fd = openfd(c"fd.f", O_RDONLY);
    let hole = openfd(c"/dev/null", O_RDONLY);
    let above = openfd(c"/dev/null", O_RDONLY);
    sys::close(hole);
    let d = sys::dup(fd);
    s.check("lowest_free", d == hole as isize, format_args!("dup did not return the lowest free descriptor"));
    s.check("same_file", ino(d as i32) == ino(fd) && ino(fd) != 0, format_args!("the duplicate names another file"));
    sys::lseek(fd, 4, SEEK_SET);
    s.eq("shares_offset", sys::lseek(d as i32, 0, SEEK_CUR), 4);
    s.eq("no_cloexec", fcntl(d as i32, F_GETFD, 0), 0);
    s.err("ebadf", sys::dup(9999), EBADF);
    sys::close(d as i32);
    sys::close(above);

    s.group("dup2");
    let target = openfd(c"/dev/null", O_RDONLY);
    s.eq("onto_open_fd", sys::dup2(fd, target), target as isize);
    s.check("onto_open_fd_replaced", ino(target) == ino(fd), format_args!("the target still names the old file"));
    s.eq("same_fd_returns_it", sys::dup2(fd, fd), fd as isize);
    s.err("same_bad_fd_ebadf", sys::dup2(9999, 9999), EBADF);
    s.err("bad_old_ebadf", sys::dup2(9999, 50), EBADF);
    s.err("new_too_large_ebadf", sys::dup2(fd, 0x7fff_ffff), EBADF);
    let ce = openfd(c"fd.f", O_RDONLY | O_CLOEXEC);
    sys::dup2(ce, target);
    s.eq("clears_cloexec", fcntl(target, F_GETFD, 0), 0);
    s.eq("keeps_source_cloexec", fcntl(ce, F_GETFD, 0), FD_CLOEXEC as isize);
    sys::close(ce);

    s.group("dup3");
    s.eq("onto_fd", sys::dup3(fd, target, 0), target as isize);
    s.eq("no_flags_no_cloexec", fcntl(target, F_GETFD, 0), 0);
    s.eq("o_cloexec", sys::dup3(fd, target, O_CLOEXEC), target as isize);
    s.eq("o_cloexec_set", fcntl(target, F_GETFD, 0), FD_CLOEXEC as isize);
    s.err("same_fd_einval", sys::dup3(fd, fd, 0), EINVAL);
    s.err("bad_flags_einval", sys::dup3(fd, target, O_APPEND), EINVAL);
    s.err("ebadf", sys::dup3(9999, target, 0), EBADF);
    sys::close(target);
    sys::close(fd);
}

fn fcntl64(s: &mut Suite) {
    s.group("fcntl64");
    let fd = openfd(c"fd.f", O_RDWR);
    let d = fcntl(fd, F_DUPFD, 50);
    s.check("f_dupfd_min", d >= 50, format_args!("expected a descriptor >= 50, got {}", Show(d)));
    s.check("f_dupfd_same_file", ino(d as i32) == ino(fd), format_args!("the duplicate names another file"));
    s.eq("f_dupfd_next_free", fcntl(fd, F_DUPFD, d as i32), d + 1);
    sys::close(d as i32 + 1);
    s.eq("f_dupfd_no_cloexec", fcntl(d as i32, F_GETFD, 0), 0);
    sys::close(d as i32);
    let c = fcntl(fd, F_DUPFD_CLOEXEC, 60);
    s.check("f_dupfd_cloexec_min", c >= 60, format_args!("expected a descriptor >= 60, got {}", Show(c)));
    s.eq("f_dupfd_cloexec_sets_flag", fcntl(c as i32, F_GETFD, 0), FD_CLOEXEC as isize);
    sys::close(c as i32);
    s.err("f_dupfd_negative_einval", fcntl(fd, F_DUPFD, -1), EINVAL);
    let mut lim = Rlimit::default();
    sys::ugetrlimit(RLIMIT_NOFILE, &mut lim);
    let at_limit = lim.rlim_cur.min(i32::MAX as u32) as i32;
    s.err("f_dupfd_at_limit_einval", fcntl(fd, F_DUPFD, at_limit), EINVAL);

    s.eq("f_getfd_initial", fcntl(fd, F_GETFD, 0), 0);
    s.eq("f_setfd", fcntl(fd, F_SETFD, FD_CLOEXEC as i32), 0);
    s.eq("f_getfd_after_set", fcntl(fd, F_GETFD, 0), FD_CLOEXEC as isize);
    fcntl(fd, F_SETFD, 0);
    s.eq("f_getfd_after_clear", fcntl(fd, F_GETFD, 0), 0);

    let fl = fcntl(fd, F_GETFL, 0);
    s.check(
        "f_getfl_rdwr",
        fl >= 0 && fl as u32 & O_ACCMODE == O_RDWR && fl as u32 & O_APPEND == 0,
        format_args!("F_GETFL gave {:#o} for an O_RDWR descriptor", fl),
    );
    let ro = openfd(c"fd.f", O_RDONLY);
    s.eq("f_getfl_rdonly", fcntl(ro, F_GETFL, 0) & O_ACCMODE as isize, O_RDONLY as isize);
    let wo = openfd(c"fd.f", O_WRONLY);
    s.eq("f_getfl_wronly", fcntl(wo, F_GETFL, 0) & O_ACCMODE as isize, O_WRONLY as isize);
    s.eq("f_setfl_append", fcntl(wo, F_SETFL, O_APPEND as i32), 0);
    let fl = fcntl(wo, F_GETFL, 0);
    s.check(
        "f_getfl_has_append",
        fl >= 0 && fl as u32 & O_APPEND != 0,
        format_args!("F_GETFL gave {:#o} after F_SETFL O_APPEND", fl),
    );
    sys::lseek(wo, 0, SEEK_SET);
    sys::write(wo, b"A");
    s.check(
        "f_setfl_append_acts",
        get(c"fd.f").as_deref() == Some(b"0123456789A"),
        format_args!("a write after F_SETFL O_APPEND did not go to the end"),
    );
    s.eq("f_setfl_ignores_access_mode", fcntl(ro, F_SETFL, O_RDWR as i32), 0);
    s.eq("f_setfl_access_mode_unchanged", fcntl(ro, F_GETFL, 0) & O_ACCMODE as isize, O_RDONLY as isize);
    sys::close(ro);
    sys::close(wo);
    let mut p = [-1; 2];
    sys::pipe2(&mut p, 0);
    s.eq("f_setfl_nonblock", fcntl(p[0], F_SETFL, O_NONBLOCK as i32), 0);
    s.err("nonblock_empty_pipe_eagain", sys::read(p[0], &mut [0u8; 4]), EAGAIN);
    sys::close(p[0]);
    sys::close(p[1]);
    s.err("bad_cmd_einval", raw(nr::FCNTL64, &[fd as usize, 9999, 0]), EINVAL);
    s.err("ebadf", fcntl(9999, F_GETFD, 0), EBADF);
    sys::close(fd);
}

/// An ioctl whose result (if any) fits in 64 bytes.
fn ioctl_buf(fd: i32, req: u32) -> isize {
    let mut buf = [0u8; 64];
    // SAFETY: TCGETS writes a 36-byte termios, TIOCGWINSZ an 8-byte
    // winsize; the buffer holds either.
    unsafe { sys::ioctl(fd, req, buf.as_mut_ptr() as usize) }
}

fn ioctl(s: &mut Suite) {
    s.group("ioctl");
    let f = openfd(c"fd.f", O_RDONLY);
    let n = openfd(c"/dev/null", O_RDWR);
    let mut p = [-1; 2];
    sys::pipe2(&mut p, 0);
    s.err("tcgets_file_enotty", ioctl_buf(f, TCGETS), ENOTTY);
    s.err("tcgets_dev_null_enotty", ioctl_buf(n, TCGETS), ENOTTY);
    s.err("tcgets_pipe_enotty", ioctl_buf(p[0], TCGETS), ENOTTY);
    s.err("tiocgwinsz_file_enotty", ioctl_buf(f, TIOCGWINSZ), ENOTTY);
    s.err("tiocgwinsz_dev_null_enotty", ioctl_buf(n, TIOCGWINSZ), ENOTTY);
    s.err("unknown_request_file_enotty", ioctl_buf(f, 0x7a7a), ENOTTY);
    s.err("ebadf", ioctl_buf(9999, TCGETS), EBADF);
    let r = ioctl_buf(1, TCGETS);
    s.check("tcgets_stdout", r == 0 || r == -ENOTTY, format_args!("expected 0 or -ENOTTY, got {}", Show(r)));
    sys::close(f);
    sys::close(n);
    sys::close(p[0]);
    sys::close(p[1]);
}

fn pipe2(s: &mut Suite) {
    s.group("pipe2");
    let mut p = [-1; 2];
    s.eq("ok", sys::pipe2(&mut p, 0), 0);
    s.check("two_fds", p[0] >= 0 && p[1] >= 0 && p[0] != p[1], format_args!("got {} and {}", p[0], p[1]));
    s.eq("read_end_rdonly", fcntl(p[0], F_GETFL, 0) & O_ACCMODE as isize, O_RDONLY as isize);
    s.eq("write_end_wronly", fcntl(p[1], F_GETFL, 0) & O_ACCMODE as isize, O_WRONLY as isize);
    sys::close(p[0]);
    sys::close(p[1]);
    s.eq("o_cloexec", sys::pipe2(&mut p, O_CLOEXEC), 0);
    s.check(
        "o_cloexec_both_ends",
        fcntl(p[0], F_GETFD, 0) == 1 && fcntl(p[1], F_GETFD, 0) == 1,
        format_args!("FD_CLOEXEC not set on both ends"),
    );
    sys::close(p[1]);
    s.eq("eof_after_writer_closed", sys::read(p[0], &mut [0u8; 4]), 0);
    sys::close(p[0]);
    s.err("bad_flags_einval", sys::pipe2(&mut p, O_APPEND), EINVAL);
    s.err("efault", raw(nr::PIPE2, &[BAD, 0]), EFAULT);
}
