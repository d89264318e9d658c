//! Blocking calls and signals: EINTR, SA_RESTART (and the calls that
//! report EINTR regardless), partial writes, nanosleep's remaining time,
//! pause and sigsuspend, alarm and ITIMER_REAL.

use crate::rt::*;
use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use initrd::conformance::{Show, Suite};
use linux_rt::consts::*;
use linux_rt::errno::*;
use linux_rt::sys;
use linux_rt::types::*;

pub fn run(s: &mut Suite) {
    eintr(s);
    suspend(s);
    timers(s);
}

/// A pipe whose write end we keep open (so reads block).
fn pipe() -> (i32, i32) {
    let mut fds = [0i32; 2];
    sys::pipe2(&mut fds, 0);
    (fds[0], fds[1])
}

fn close(fds: (i32, i32)) {
    sys::close(fds.0);
    sys::close(fds.1);
}

fn eintr(s: &mut Suite) {
    s.group("eintr");
    clean();
    // a read of an empty pipe, interrupted by a handler without SA_RESTART
    let p = pipe();
    install(SIGALRM, 0, 0);
    timer_ms(100);
    let mut b = [0u8; 8];
    let r = sys::read(p.0, &mut b);
    s.err("read_eintr", r, EINTR);
    s.eq("read_handler_ran", count() as isize, 1);
    // with SA_RESTART the read goes on and gets the data written later
    reset();
    install(SIGALRM, SA_RESTART, 0);
    let writer = spawn(|| {
        sleep_ms(400);
        sys::write(p.1, b"x");
        0
    });
    timer_ms(100);
    let r = sys::read(p.0, &mut b);
    s.eq("read_restarted", r, 1);
    s.eq("read_restart_handler_ran", count() as isize, 1);
    reap(writer, 0, 5);
    // wait4 restarts after an SA_RESTART handler...
    reset();
    let c = spawn(|| {
        sleep_ms(400);
        3
    });
    timer_ms(100);
    let mut st = 0;
    let r = sys::wait4(c as i32, Some(&mut st), 0);
    s.check("wait4_restarted", r == c && exited(st) == Some(3), format_args!("wait4 gave {}, {}", Show(r), St(Some(st))));
    s.eq("wait4_handler_ran", count() as isize, 1);
    // ...and fails with EINTR after one without it
    reset();
    install(SIGALRM, 0, 0);
    let c = spawn(|| {
        sleep_ms(400);
        4
    });
    timer_ms(100);
    let r = sys::wait4(c as i32, Some(&mut st), 0);
    s.err("wait4_eintr", r, EINTR);
    let st = reap(c, 0, 5);
    s.check("wait4_then_reaped", st.and_then(exited) == Some(4), format_args!("{}", St(st)));
    // sleeping and polling report EINTR even with SA_RESTART
    reset();
    install(SIGALRM, SA_RESTART, 0);
    timer_ms(100);
    let req = Timespec { tv_sec: 3, tv_nsec: 0 };
    let mut rem = Timespec::default();
    let r = sys::nanosleep(&req, Some(&mut rem));
    s.err("nanosleep_eintr", r, EINTR);
    s.check(
        "nanosleep_remaining",
        rem.tv_sec >= 1 && rem.tv_sec <= 2 && (0..1_000_000_000).contains(&rem.tv_nsec),
        format_args!("remaining {}.{:09} of 3 s after about 0.1 s", rem.tv_sec, rem.tv_nsec),
    );
    timer_ms(100);
    let mut fds = [PollFd { fd: p.0, events: POLLIN, revents: 0 }];
    s.err("poll_eintr", sys::poll(&mut fds, -1), EINTR);
    timer_ms(100);
    s.err("pause_eintr", sys::pause(), EINTR);
    s.eq("handlers_ran", count() as isize, 3);
    // a blocking write that moved some bytes returns their count
    reset();
    install(SIGALRM, 0, 0);
    timer_ms(200);
    let big = alloc::vec![7u8; 100_000];
    let r = sys::write(p.1, &big);
    s.check("write_partial_count", r > 0 && r < 100_000, format_args!("write gave {}", Show(r)));
    s.eq("write_handler_ran", count() as isize, 1);
    close(p);
    clean();
}

static INSIDE_MASK: AtomicU32 = AtomicU32::new(0);

fn mask_hook(_: u32, _: *mut SigInfo, uc: *mut UContext) {
    INSIDE_MASK.store(mask() as u32, SeqCst);
    // SAFETY: SA_SIGINFO: `uc` points into the frame
    let m = unsafe { (*uc).uc_sigmask };
    INSIDE_MASK.store(INSIDE_MASK.load(SeqCst) | (m as u32) << 16, SeqCst);
}

fn suspend(s: &mut Suite) {
    s.group("sigsuspend");
    clean();
    set_hook(Some(mask_hook));
    install(SIGUSR1, SA_SIGINFO, 0);
    set_mask(sigbit(SIGUSR1) | sigbit(SIGUSR2));
    raise(SIGUSR1);
    s.eq("pending_before", count() as isize, 0);
    // wait with only SIGUSR2 blocked: the pending SIGUSR1 is delivered
    let r = sys::rt_sigsuspend(&sigbit(SIGUSR2), 8);
    s.err("returns_eintr", r, EINTR);
    s.eq("handler_ran", count() as isize, 1);
    let seen = INSIDE_MASK.load(SeqCst);
    // in the handler: the suspend mask plus the signal itself; the frame
    // holds the mask from before the call
    let inside = seen & 0xFFFF;
    s.check("mask_in_handler", inside == (sigbit(SIGUSR2) | sigbit(SIGUSR1)) as u32, format_args!("mask {inside:#x}"));
    let framed = seen >> 16;
    s.check("frame_has_old_mask", framed == (sigbit(SIGUSR1) | sigbit(SIGUSR2)) as u32, format_args!("uc_sigmask {framed:#x}"));
    let after = mask();
    s.check("mask_restored", after == sigbit(SIGUSR1) | sigbit(SIGUSR2), format_args!("mask {after:#x} after sigsuspend"));
    s.err("bad_size", sys::rt_sigsuspend(&0, 4), EINVAL);
    // a signal from another process wakes it
    reset();
    let me = pid();
    let c = spawn(move || {
        sleep_ms(200);
        sys::kill(me, SIGUSR1);
        0
    });
    let r = sys::rt_sigsuspend(&sigbit(SIGUSR2), 8);
    s.err("woken_by_other_eintr", r, EINTR);
    s.eq("woken_handler_ran", count() as isize, 1);
    reap(c, 0, 5);
    clean();
}

fn timers(s: &mut Suite) {
    s.group("timers");
    clean();
    install(SIGALRM, 0, 0);
    let t0 = now_ms();
    s.eq("alarm_first", sys::alarm(1), 0);
    let r = sys::pause();
    let dt = now_ms() - t0;
    s.err("alarm_pause_eintr", r, EINTR);
    s.eq("alarm_fired", LAST.load(SeqCst) as isize, SIGALRM as isize);
    s.check("alarm_took_a_second", (900..3000).contains(&dt), format_args!("{dt} ms"));
    s.eq("alarm_set", sys::alarm(5), 0);
    s.eq("alarm_remaining", sys::alarm(0), 5);
    s.eq("alarm_cancelled", sys::alarm(0), 0);
    // a periodic ITIMER_REAL
    reset();
    let v = Itimerval { it_interval: Timeval { tv_sec: 0, tv_usec: 50_000 }, it_value: Timeval { tv_sec: 0, tv_usec: 50_000 } };
    s.eq("setitimer", sys::setitimer(ITIMER_REAL, &v, None), 0);
    let t0 = now_ms();
    while count() < 3 && now_ms() - t0 < 5000 {
        sys::pause();
    }
    s.eq("periodic_three", count() as isize, 3);
    let mut cur = Itimerval::default();
    s.eq("getitimer", sys::getitimer(ITIMER_REAL, &mut cur), 0);
    s.check(
        "getitimer_values",
        cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 50_000 && cur.it_value.tv_sec == 0 && cur.it_value.tv_usec <= 50_000,
        format_args!("interval {}.{:06} value {}.{:06}", cur.it_interval.tv_sec, cur.it_interval.tv_usec, cur.it_value.tv_sec, cur.it_value.tv_usec),
    );
    let mut old = Itimerval::default();
    s.eq("disarm", sys::setitimer(ITIMER_REAL, &Itimerval::default(), Some(&mut old)), 0);
    s.check("disarm_old_interval", old.it_interval.tv_usec == 50_000, format_args!("old interval {}", old.it_interval.tv_usec));
    sys::getitimer(ITIMER_REAL, &mut cur);
    s.check("disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0, format_args!("still armed"));
    let bad = Itimerval { it_interval: Timeval::default(), it_value: Timeval { tv_sec: 0, tv_usec: 1_000_000 } };
    s.err("bad_usec_einval", sys::setitimer(ITIMER_REAL, &bad, None), EINVAL);
    s.err("bad_which_einval", sys::setitimer(7, &v, None), EINVAL);
    // the default action of SIGALRM ends the process
    let c = spawn(|| {
        disposition(SIGALRM, SIG_DFL);
        sys::alarm(1);
        loop {
            sys::pause();
        }
    });
    let st = reap(c, 0, 5);
    s.check("alarm_default_kills", st.and_then(signaled) == Some(SIGALRM as i32), format_args!("{}", St(st)));
    clean();
}
