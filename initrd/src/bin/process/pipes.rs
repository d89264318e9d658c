//! Pipes: data and end of file, non-blocking ends, the 64 KiB capacity,
//! PIPE_BUF atomicity (alone and with concurrent writers), poll, select
//! and FIONREAD.

use crate::{exit_code, spawn, wait};
use initrd::conformance::{raw, Show, Suite};
use linux_rt::consts::*;
use linux_rt::errno::*;
use linux_rt::sys;
use linux_rt::types::*;

fn pipe(flags: u32) -> (i32, i32) {
    let mut fds = [0i32; 2];
    sys::pipe2(&mut fds, flags);
    (fds[0], fds[1])
}

/// Read exactly `buf.len()` bytes (or up to end of file); the count.
fn read_full(fd: i32, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while got < buf.len() {
        let r = sys::read(fd, &mut buf[got..]);
        if r <= 0 {
            break;
        }
        got += r as usize;
    }
    got
}

fn fionread(fd: i32) -> isize {
    let mut n = 0i32;
    // SAFETY: FIONREAD writes one int.
    let r = unsafe { sys::ioctl(fd, 0x541B, &mut n as *mut i32 as usize) };
    if r < 0 {
        r
    } else {
        n as isize
    }
}

pub fn run(s: &mut Suite) {
    basics(s);
    capacity(s);
    concurrent(s);
    polling(s);
}

fn basics(s: &mut Suite) {
    s.group("pipe");
    let (r, w) = pipe(0);
    s.eq("write", sys::write(w, b"hello"), 5);
    s.eq("fionread", fionread(r), 5);
    let mut b = [0u8; 16];
    s.eq("read_what_is_there", sys::read(r, &mut b), 5);
    s.check("data", &b[..5] == b"hello", format_args!("read {:?}", &b[..5]));
    // a child writes, then exits: the reader gets the data, then EOF
    let c = spawn(|| {
        sys::close(r);
        sys::write(w, b"from child");
        0
    });
    sys::close(w);
    let n = read_full(r, &mut b);
    s.eq("child_data", n as isize, 10);
    s.eq("eof_after_writers_close", sys::read(r, &mut b), 0);
    wait(c);
    sys::close(r);
    // non-blocking ends
    let (r, w) = pipe(O_NONBLOCK);
    s.err("nonblock_empty_eagain", sys::read(r, &mut b), EAGAIN);
    s.eq("write_end_not_readable", sys::read(w, &mut b), -EBADF);
    s.eq("read_end_not_writable", sys::write(r, b"x"), -EBADF);
    sys::close(w);
    s.eq("nonblock_eof", sys::read(r, &mut b), 0);
    sys::close(r);
    // pipe2 flags
    let (r, w) = pipe(O_CLOEXEC);
    s.eq("cloexec_flag", initrd::conformance::fcntl(r, F_GETFD, 0), FD_CLOEXEC as isize);
    s.check("lseek_espipe", sys::lseek(r, 0, 0) == -ESPIPE, format_args!("lseek on a pipe"));
    sys::close(r);
    sys::close(w);
    let mut fds = [0i32; 2];
    s.err("bad_flags_einval", sys::pipe2(&mut fds, 0x1234_0000), EINVAL);
    s.err("efault", raw(linux_rt::nr::PIPE2, &[initrd::conformance::BAD, 0]), EFAULT);
}

fn capacity(s: &mut Suite) {
    s.group("pipe_capacity");
    let (r, w) = pipe(O_NONBLOCK);
    let block = [b'a'; 4096];
    let mut total = 0;
    loop {
        let n = sys::write(w, &block);
        if n <= 0 {
            s.err("full_eagain", n, EAGAIN);
            break;
        }
        total += n;
        if total > 1 << 20 {
            break;
        }
    }
    s.eq("holds_64k", total, 65536);
    s.eq("fionread_full", fionread(r), 65536);
    // a pipe is 16 pages: bytes read from a page that is still partly
    // full free no room; a write goes into the last page if it fits there,
    // else into a free page, else it waits (all of it, up to PIPE_BUF)
    let mut b = [0u8; 4096];
    sys::read(r, &mut b[..100]);
    s.err("atomic_write_refused", sys::write(w, &block), EAGAIN);
    s.err("no_free_page_eagain", sys::write(w, &block[..60]), EAGAIN);
    sys::read(r, &mut b[..3996]);
    s.eq("small_write_new_page", sys::write(w, &block[..60]), 60);
    s.err("full_page_write_eagain", sys::write(w, &block), EAGAIN);
    s.eq("small_write_merges", sys::write(w, &block[..60]), 60);
    s.eq("fionread_after", fionread(r), 65536 - 4096 + 120);
    sys::close(w);
    let mut big = alloc::vec![0u8; 70000];
    s.eq("drain", read_full(r, &mut big) as isize, 65536 - 4096 + 120);
    sys::close(r);
    // a blocking write larger than the pipe completes as the reader reads
    let (r, w) = pipe(0);
    let c = spawn(move || {
        sys::close(r);
        let data = alloc::vec![b'z'; 200_000];
        let n = sys::write(w, &data);
        if n == 200_000 {
            0
        } else {
            1
        }
    });
    sys::close(w);
    let mut all = alloc::vec![0u8; 250_000];
    let n = read_full(r, &mut all);
    s.eq("large_write_whole", n as isize, 200_000);
    s.eq("large_write_status", exit_code(wait(c)).unwrap_or(-1) as isize, 0);
    sys::close(r);
    // sendfile into a pipe with room for part of the file: the file
    // offset moves by exactly what went into the pipe
    let path = initrd::conformance::cs(&alloc::format!("/tmp/process.{}/sendfile", sys::getpid()));
    let data: alloc::vec::Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    initrd::conformance::put(&path, &data);
    let fd = sys::open(&path, O_RDONLY, 0) as i32;
    let (r, w) = pipe(0);
    for _ in 0..4 {
        sys::write(w, &block);
    }
    let n = raw(187, &[w as usize, fd as usize, 0, 50_000]);
    s.check("sendfile_partial", n > 0 && n <= 50_000, format_args!("sendfile gave {}", Show(n)));
    s.eq("sendfile_offset", sys::lseek(fd, 0, 1), n);
    sys::close(w);
    let mut got = alloc::vec![0u8; 70_000];
    let m = read_full(r, &mut got);
    let ok = m == 4 * 4096 + n.max(0) as usize && got[..16384].iter().all(|&b| b == b'a') && got[16384..m] == data[..m - 16384];
    s.check("sendfile_data", ok, format_args!("read {m} bytes"));
    sys::close(r);
    sys::close(fd);
}

fn concurrent(s: &mut Suite) {
    s.group("pipe_atomic");
    // four writers, 64 blocks of PIPE_BUF bytes each: blocks never mix
    let (r, w) = pipe(0);
    let mut kids = [0isize; 4];
    for (i, k) in kids.iter_mut().enumerate() {
        *k = spawn(move || {
            sys::close(r);
            let block = [b'A' + i as u8; 4096];
            for _ in 0..64 {
                if sys::write(w, &block) != 4096 {
                    return 1;
                }
            }
            0
        });
    }
    sys::close(w);
    let mut block = [0u8; 4096];
    let (mut blocks, mut mixed, mut counts) = (0, 0, [0u32; 4]);
    loop {
        let n = read_full(r, &mut block);
        if n == 0 {
            break;
        }
        blocks += 1;
        let c = block[0];
        if n != 4096 || block.iter().any(|&b| b != c) || !(b'A'..=b'D').contains(&c) {
            mixed += 1;
        } else {
            counts[(c - b'A') as usize] += 1;
        }
    }
    s.eq("all_blocks", blocks, 256);
    s.eq("no_mixed_blocks", mixed, 0);
    s.check("each_writer_whole", counts == [64; 4], format_args!("blocks per writer {:?}", counts));
    let ok = kids.iter().all(|&k| exit_code(wait(k)) == Some(0));
    s.check("writers_done", ok, format_args!("a writer failed"));
    sys::close(r);
}

/// `_newselect` for reading on `fd`, with a timeout in microseconds.
fn select_read(fd: i32, usec: i32) -> (isize, bool) {
    let mut set = [0u32; 32];
    set[fd as usize / 32] |= 1 << (fd % 32);
    let mut tv = Timeval { tv_sec: 0, tv_usec: usec };
    let r = raw(142, &[fd as usize + 1, set.as_mut_ptr() as usize, 0, 0, &mut tv as *mut Timeval as usize]);
    (r, set[fd as usize / 32] & (1 << (fd % 32)) != 0)
}

fn polling(s: &mut Suite) {
    s.group("pipe_poll");
    let (r, w) = pipe(0);
    let mut fds = [PollFd { fd: r, events: POLLIN, revents: 0 }, PollFd { fd: w, events: POLLOUT, revents: 0 }];
    s.eq("writable_only", sys::poll(&mut fds, 0), 1);
    s.check("revents_empty_pipe", fds[0].revents == 0 && fds[1].revents == POLLOUT, format_args!("{:#x} {:#x}", fds[0].revents, fds[1].revents));
    sys::write(w, b"x");
    s.eq("both_ready", sys::poll(&mut fds, 0), 2);
    s.eq("pollin", fds[0].revents as isize, POLLIN as isize);
    let (n, set) = select_read(r, 0);
    s.check("select_readable", n == 1 && set, format_args!("select gave {}", Show(n)));
    let mut b = [0u8; 4];
    sys::read(r, &mut b);
    let (n, set) = select_read(r, 50_000);
    s.check("select_times_out", n == 0 && !set, format_args!("select gave {}", Show(n)));
    let t0 = crate::fork::now_ms();
    let mut one = [PollFd { fd: r, events: POLLIN, revents: 0 }];
    s.eq("poll_times_out", sys::poll(&mut one, 100), 0);
    let dt = crate::fork::now_ms() - t0;
    s.check("poll_waited", (90..3000).contains(&dt), format_args!("{dt} ms"));
    // a writer in another process wakes the poller
    let c = spawn(move || {
        sys::nanosleep(&Timespec { tv_sec: 0, tv_nsec: 200_000_000 }, None);
        sys::write(w, b"y");
        0
    });
    s.eq("poll_woken", sys::poll(&mut one, 5000), 1);
    wait(c);
    sys::read(r, &mut b);
    sys::close(w);
    s.eq("pollhup", sys::poll(&mut one, 0), 1);
    s.eq("pollhup_revents", one[0].revents as isize, POLLHUP as isize);
    let mut bad = [PollFd { fd: 999, events: POLLIN, revents: 0 }];
    s.eq("pollnval", sys::poll(&mut bad, 0), 1);
    s.eq("pollnval_revents", bad[0].revents as isize, POLLNVAL as isize);
    sys::close(r);
    let (r, w) = pipe(0);
    sys::close(r);
    let mut wr = [PollFd { fd: w, events: POLLOUT, revents: 0 }];
    sys::poll(&mut wr, 0);
    s.check("pollerr_no_reader", wr[0].revents & POLLERR != 0, format_args!("revents {:#x}", wr[0].revents));
    sys::close(w);
}
