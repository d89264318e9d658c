//! Time: clock_gettime (32-bit timespec), clock_gettime64, gettimeofday,
//! time, nanosleep, clock_nanosleep, futex waits with a timeout. Sleeps are 10 ms, measured with
//! CLOCK_MONOTONIC. No time value is ever printed.

use super::*;
use linux_rt::nr;

pub fn run(s: &mut Suite) {
    clock_gettime(s);
    clock_gettime64(s);
    gettimeofday(s);
    time(s);
    nanosleep(s);
    clock_nanosleep(s);
    futex(s);
}

/// 2001-09-09: any real clock is past it.
const LONG_AGO: i64 = 1_000_000_000;
const MS10: i64 = 10_000_000;

fn ns(t: &Timespec) -> i64 {
    t.tv_sec as i64 * 1_000_000_000 + t.tv_nsec as i64
}

fn mono() -> i64 {
    let mut t = Timespec::default();
    sys::clock_gettime(CLOCK_MONOTONIC, &mut t);
    ns(&t)
}

fn clock_gettime(s: &mut Suite) {
    s.group("clock_gettime");
    let mut t = Timespec::default();
    s.eq("realtime_ok", sys::clock_gettime(CLOCK_REALTIME, &mut t), 0);
    s.check("realtime_plausible", t.tv_sec as i64 > LONG_AGO, format_args!("CLOCK_REALTIME is before 2001"));
    s.check("realtime_nsec_range", (0..1_000_000_000).contains(&t.tv_nsec), format_args!("tv_nsec out of range"));
    let now = sys::time(None) as i64;
    s.check(
        "realtime_matches_time",
        (t.tv_sec as i64 - now).abs() <= 1,
        format_args!("CLOCK_REALTIME and time() differ by more than 1 s"),
    );
    let mut m = Timespec::default();
    s.eq("monotonic_ok", sys::clock_gettime(CLOCK_MONOTONIC, &mut m), 0);
    s.check(
        "monotonic_nsec_range",
        (0..1_000_000_000).contains(&m.tv_nsec) && m.tv_sec >= 0,
        format_args!("monotonic time out of range"),
    );
    let mut prev = ns(&m);
    let mut back = false;
    for _ in 0..1000 {
        let n = mono();
        back |= n < prev;
        prev = n;
    }
    s.check("monotonic_never_back", !back, format_args!("CLOCK_MONOTONIC went backwards"));
    s.eq("process_cputime_ok", sys::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut t), 0);
    s.err("bad_clock_einval", sys::clock_gettime(100, &mut t), EINVAL);
    s.err("efault", raw(nr::CLOCK_GETTIME, &[CLOCK_MONOTONIC as usize, BAD]), EFAULT);
}

fn clock_gettime64(s: &mut Suite) {
    s.group("clock_gettime64");
    let mut t32 = Timespec::default();
    sys::clock_gettime(CLOCK_REALTIME, &mut t32);
    let mut t = KernelTimespec::default();
    s.eq("realtime_ok", sys::clock_gettime64(CLOCK_REALTIME, &mut t), 0);
    s.check(
        "realtime_matches_32bit",
        (t.tv_sec - t32.tv_sec as i64).abs() <= 1,
        format_args!("64-bit and 32-bit CLOCK_REALTIME disagree"),
    );
    s.check("nsec_range", (0..1_000_000_000).contains(&t.tv_nsec), format_args!("tv_nsec out of range"));
    let before = mono();
    s.eq("monotonic_ok", sys::clock_gettime64(CLOCK_MONOTONIC, &mut t), 0);
    let t64 = t.tv_sec * 1_000_000_000 + t.tv_nsec;
    let after = mono();
    s.check(
        "monotonic_between_32bit_reads",
        before <= t64 && t64 <= after,
        format_args!("64-bit CLOCK_MONOTONIC is not between two 32-bit reads"),
    );
    s.err("bad_clock_einval", sys::clock_gettime64(100, &mut t), EINVAL);
    s.err("efault", raw(nr::CLOCK_GETTIME64, &[CLOCK_REALTIME as usize, BAD]), EFAULT);
}

fn gettimeofday(s: &mut Suite) {
    s.group("gettimeofday");
    let mut tv = Timeval::default();
    s.eq("ok", sys::gettimeofday(&mut tv), 0);
    s.check("usec_range", (0..1_000_000).contains(&tv.tv_usec), format_args!("tv_usec out of range"));
    let now = sys::time(None) as i64;
    s.check(
        "matches_time",
        (tv.tv_sec as i64 - now).abs() <= 1,
        format_args!("gettimeofday and time() differ by more than 1 s"),
    );
    s.eq("null_pointers_ok", raw(nr::GETTIMEOFDAY, &[0, 0]), 0);
    s.err("efault", raw(nr::GETTIMEOFDAY, &[BAD, 0]), EFAULT);
}

fn time(s: &mut Suite) {
    s.group("time");
    let t = sys::time(None);
    s.check("plausible", t as i64 > LONG_AGO, format_args!("time() is before 2001"));
    let mut stored = 0i32;
    let r = sys::time(Some(&mut stored));
    s.check(
        "stores_result",
        r == stored as isize && r >= t,
        format_args!("the stored time differs from the returned one"),
    );
    s.err("efault", raw(nr::TIME, &[BAD]), EFAULT);
}

fn nanosleep(s: &mut Suite) {
    s.group("nanosleep");
    let t0 = mono();
    s.eq("10ms_ok", sys::nanosleep(&Timespec { tv_sec: 0, tv_nsec: MS10 as i32 }, None), 0);
    let slept = mono() - t0;
    s.check("10ms_elapsed", slept >= MS10, format_args!("returned before 10 ms passed"));
    s.eq("zero_ok", sys::nanosleep(&Timespec::default(), None), 0);
    let mut rem = Timespec { tv_sec: 7, tv_nsec: 7 };
    s.eq("with_rem_ok", sys::nanosleep(&Timespec { tv_sec: 0, tv_nsec: 1000 }, Some(&mut rem)), 0);
    s.err("negative_nsec_einval", sys::nanosleep(&Timespec { tv_sec: 0, tv_nsec: -1 }, None), EINVAL);
    s.err("nsec_1e9_einval", sys::nanosleep(&Timespec { tv_sec: 0, tv_nsec: 1_000_000_000 }, None), EINVAL);
    s.err("negative_sec_einval", sys::nanosleep(&Timespec { tv_sec: -1, tv_nsec: 0 }, None), EINVAL);
    s.err("efault", raw(nr::NANOSLEEP, &[BAD, 0]), EFAULT);
}

fn clock_nanosleep(s: &mut Suite) {
    s.group("clock_nanosleep");
    let ten = Timespec { tv_sec: 0, tv_nsec: MS10 as i32 };
    let t0 = mono();
    s.eq("monotonic_relative_ok", sys::clock_nanosleep(CLOCK_MONOTONIC, 0, &ten, None), 0);
    s.check("monotonic_relative_elapsed", mono() - t0 >= MS10, format_args!("returned before 10 ms passed"));
    let t0 = mono();
    s.eq("realtime_relative_ok", sys::clock_nanosleep(CLOCK_REALTIME, 0, &ten, None), 0);
    s.check("realtime_relative_elapsed", mono() - t0 >= MS10, format_args!("returned before 10 ms passed"));
    let deadline = mono() + MS10;
    let abs = Timespec { tv_sec: (deadline / 1_000_000_000) as i32, tv_nsec: (deadline % 1_000_000_000) as i32 };
    s.eq("abstime_ok", sys::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, None), 0);
    s.check("abstime_reached", mono() >= deadline, format_args!("returned before the deadline"));
    let t0 = mono();
    s.eq(
        "abstime_past_ok",
        sys::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &Timespec { tv_sec: 0, tv_nsec: 1 }, None),
        0,
    );
    s.check("abstime_past_immediate", mono() - t0 < 1_000_000_000, format_args!("a deadline in the past still slept"));
    s.err("bad_clock_einval", sys::clock_nanosleep(100, 0, &ten, None), EINVAL);
    // the thread CPU clock cannot be slept on (EOPNOTSUPP, not the EINVAL of old man pages)
    s.err("thread_cputime_eopnotsupp", sys::clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ten, None), EOPNOTSUPP);
    s.err(
        "negative_nsec_einval",
        sys::clock_nanosleep(CLOCK_MONOTONIC, 0, &Timespec { tv_sec: 0, tv_nsec: -1 }, None),
        EINVAL,
    );
    s.err("efault", raw(nr::CLOCK_NANOSLEEP, &[CLOCK_MONOTONIC as usize, 0, BAD, 0]), EFAULT);
}

/// futex (240) on one thread: WAIT compares, then sleeps until its timeout.
fn futex(s: &mut Suite) {
    const FUTEX: usize = 240;
    const WAIT: usize = 0;
    const WAKE: usize = 1;
    const WAIT_BITSET: usize = 9;
    s.group("futex");
    let word: u32 = 5;
    let p = &word as *const u32 as usize;
    let ts = Timespec { tv_sec: 0, tv_nsec: MS10 as i32 };
    let tp = &ts as *const Timespec as usize;
    s.err("wait_other_value_eagain", raw(FUTEX, &[p, WAIT, 6, tp]), EAGAIN);
    let t0 = mono();
    s.err("wait_times_out", raw(FUTEX, &[p, WAIT, 5, tp]), ETIMEDOUT);
    s.check("wait_timeout_elapsed", mono() - t0 >= MS10, format_args!("returned before 10 ms passed"));
    // an absolute CLOCK_MONOTONIC deadline long past
    let past = Timespec { tv_sec: 0, tv_nsec: 1 };
    let pp = &past as *const Timespec as usize;
    s.err("bitset_past_deadline", raw(FUTEX, &[p, WAIT_BITSET, 5, pp, 0, 0xFFFF_FFFF]), ETIMEDOUT);
    s.eq("wake_nobody", raw(FUTEX, &[p, WAKE, 1]), 0);
    s.err("wait_misaligned_einval", raw(FUTEX, &[p + 1, WAIT, 5, tp]), EINVAL);
    s.err("wait_efault", raw(FUTEX, &[BAD_HIGH, WAIT, 5, tp]), EFAULT);
}
