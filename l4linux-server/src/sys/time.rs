//! Time system calls: clocks, sleeping, alarms and interval timers, times.

use super::ok;
use crate::errno::*;
use crate::platform::Platform;
use crate::proc::*;
use crate::system::*;

const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
const CLOCK_PROCESS_CPUTIME_ID: u32 = 2;
const CLOCK_THREAD_CPUTIME_ID: u32 = 3;
const CLOCK_MONOTONIC_RAW: u32 = 4;
const CLOCK_REALTIME_COARSE: u32 = 5;
const CLOCK_MONOTONIC_COARSE: u32 = 6;
const CLOCK_BOOTTIME: u32 = 7;
const TIMER_ABSTIME: u32 = 1;
/// Clock resolution the server offers (the kernel ticks every millisecond).
const RES_NS: u64 = 1_000_000;
/// USER_HZ for times() and /proc.
pub const CLK_TCK: u64 = 100;

impl<P: Platform> Linux<P> {
    /// Nanoseconds on `clock`, or None for an unknown clock.
    pub(super) fn clock_ns(&self, pid: Pid, clock: u32) -> Option<u64> {
        let mono = self.now_ns();
        Some(match clock {
            CLOCK_REALTIME | CLOCK_REALTIME_COARSE => self.plat.boot_epoch() * 1_000_000_000 + mono,
            CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => mono,
            CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => {
                let p = self.proc(pid);
                p.utime_ns + p.stime_ns
            }
            _ => return None,
        })
    }

    /// A timespec from user memory (`time64`: 64-bit seconds), in ns.
    pub(crate) fn read_timespec(&mut self, pid: Pid, addr: u32, time64: bool) -> Result<u64, Errno> {
        let (sec, nsec) = if time64 {
            let mut b = [0u8; 16];
            self.copy_in(pid, addr, &mut b)?;
            (i64::from_le_bytes(b[..8].try_into().unwrap()), i64::from_le_bytes(b[8..].try_into().unwrap()) as i32 as i64)
        } else {
            let mut b = [0u8; 8];
            self.copy_in(pid, addr, &mut b)?;
            (crate::linux::u32_at(&b, 0) as i32 as i64, crate::linux::u32_at(&b, 4) as i32 as i64)
        };
        if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
            return Err(EINVAL);
        }
        Ok((sec as u64).saturating_mul(1_000_000_000).saturating_add(nsec as u64))
    }

    fn write_timespec(&mut self, pid: Pid, addr: u32, ns: u64, time64: bool) -> Result<(), Errno> {
        let (s, n) = (ns / 1_000_000_000, (ns % 1_000_000_000) as u32);
        if time64 {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&s.to_le_bytes());
            b[8..12].copy_from_slice(&n.to_le_bytes());
            self.copy_out(pid, addr, &b)
        } else {
            let mut b = [0u8; 8];
            b[..4].copy_from_slice(&(s as u32).to_le_bytes());
            b[4..].copy_from_slice(&n.to_le_bytes());
            self.copy_out(pid, addr, &b)
        }
    }

    pub(super) fn sys_clock_gettime(&mut self, pid: Pid, clock: u32, ts: u32, time64: bool) -> Sys {
        let Some(ns) = self.clock_ns(pid, clock) else { return err(EINVAL) };
        match self.write_timespec(pid, ts, ns, time64) {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_clock_getres(&mut self, pid: Pid, clock: u32, ts: u32, time64: bool) -> Sys {
        if self.clock_ns(pid, clock).is_none() {
            return err(EINVAL);
        }
        if ts == 0 {
            return ok(0);
        }
        match self.write_timespec(pid, ts, RES_NS, time64) {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_time(&mut self, pid: Pid, t: u32) -> Sys {
        let now = (self.clock_ns(pid, CLOCK_REALTIME).unwrap_or(0) / 1_000_000_000) as u32;
        if t != 0 && self.write_u32(pid, t, now).is_err() {
            return err(EFAULT);
        }
        ok(now)
    }

    pub(super) fn sys_gettimeofday(&mut self, pid: Pid, tv: u32, tz: u32) -> Sys {
        let ns = self.clock_ns(pid, CLOCK_REALTIME).unwrap_or(0);
        if tv != 0 {
            let mut b = [0u8; 8];
            b[..4].copy_from_slice(&((ns / 1_000_000_000) as u32).to_le_bytes());
            b[4..].copy_from_slice(&(((ns % 1_000_000_000) / 1000) as u32).to_le_bytes());
            if self.copy_out(pid, tv, &b).is_err() {
                return err(EFAULT);
            }
        }
        if tz != 0 && self.copy_out(pid, tz, &[0u8; 8]).is_err() {
            return err(EFAULT);
        }
        ok(0)
    }

    /// nanosleep (clock 1, relative) and clock_nanosleep.
    pub(super) fn sys_nanosleep(&mut self, pid: Pid, clock: u32, flags: u32, req: u32, _rem: u32, time64: bool) -> Sys {
        if !matches!(clock, CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_BOOTTIME) {
            return if self.clock_ns(pid, clock).is_none() { err(EINVAL) } else { err(EOPNOTSUPP) };
        }
        let want = match self.read_timespec(pid, req, time64) {
            Ok(ns) => ns,
            Err(e) => return err(e),
        };
        let now_clock = self.clock_ns(pid, clock).unwrap_or(0);
        let rel = if flags & TIMER_ABSTIME != 0 { want.saturating_sub(now_clock) } else { want };
        let deadline = self.deadline(pid, rel);
        let now = self.now_ns();
        if now >= deadline {
            return ok(0);
        }
        Sys::Block(Wait::Until(deadline))
    }

    /// A sleep (`call`: its registers) was interrupted by a signal: like
    /// Linux, a relative sleep reports the time left in its `rem` argument.
    pub(crate) fn sleep_interrupted(&mut self, pid: Pid, call: &crate::platform::Regs) {
        let (flags, rem, time64) = match call.eax {
            162 => (0, call.ecx, false),
            267 => (call.ecx, call.esi, false),
            407 => (call.ecx, call.esi, true),
            _ => return,
        };
        let deadline = self.proc(pid).deadline;
        if rem != 0 && flags & TIMER_ABSTIME == 0 && deadline != 0 {
            let left = deadline.saturating_sub(self.now_ns());
            let _ = self.write_timespec(pid, rem, left, time64);
        }
    }

    pub(super) fn sys_alarm(&mut self, pid: Pid, secs: u32) -> Sys {
        let now = self.now_ns();
        let p = self.proc_mut(pid);
        // seconds left, rounded as Linux does: to the nearest second, but
        // never 0 while an alarm is pending
        let left = p.alarm.map_or(0, |(at, _)| {
            let ns = at.saturating_sub(now);
            let (s, frac) = (ns / 1_000_000_000, ns % 1_000_000_000);
            (s + u64::from((s == 0 && frac > 0) || frac >= 500_000_000)) as u32
        });
        p.alarm = if secs == 0 { None } else { Some((now + secs as u64 * 1_000_000_000, 0)) };
        ok(left)
    }

    fn itimerval(&mut self, pid: Pid, addr: u32, interval: u64, value: u64) -> Result<(), Errno> {
        let mut b = [0u8; 16];
        for (i, v) in [interval, value].iter().enumerate() {
            b[i * 8..i * 8 + 4].copy_from_slice(&((v / 1_000_000_000) as u32).to_le_bytes());
            b[i * 8 + 4..i * 8 + 8].copy_from_slice(&(((v % 1_000_000_000) / 1000) as u32).to_le_bytes());
        }
        self.copy_out(pid, addr, &b)
    }

    pub(super) fn sys_getitimer(&mut self, pid: Pid, which: u32, val: u32) -> Sys {
        if which > 2 {
            return err(EINVAL);
        }
        let now = self.now_ns();
        let (interval, value) = if which == 0 {
            self.proc(pid).alarm.map_or((0, 0), |(at, iv)| (iv, at.saturating_sub(now)))
        } else {
            (0, 0)
        };
        match self.itimerval(pid, val, interval, value) {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_setitimer(&mut self, pid: Pid, which: u32, new: u32, old: u32) -> Sys {
        if which > 2 {
            return err(EINVAL);
        }
        if which != 0 {
            self.log_fmt(format_args!("l4linux: setitimer({which}) (virtual/profiling timers) not supported"));
            return err(EINVAL);
        }
        let mut b = [0u8; 16];
        if new != 0 && self.copy_in(pid, new, &mut b).is_err() {
            return err(EFAULT);
        }
        let tv = |i: usize| -> Result<u64, Errno> {
            let (s, us) = (crate::linux::u32_at(&b, i * 8) as i32, crate::linux::u32_at(&b, i * 8 + 4) as i32);
            if s < 0 || !(0..1_000_000).contains(&us) {
                return Err(EINVAL);
            }
            Ok(s as u64 * 1_000_000_000 + us as u64 * 1000)
        };
        let (interval, value) = match (tv(0), tv(1)) {
            (Ok(i), Ok(v)) => (i, v),
            _ => return err(EINVAL),
        };
        if old != 0 {
            let now = self.now_ns();
            let (oi, ov) = self.proc(pid).alarm.map_or((0, 0), |(at, iv)| (iv, at.saturating_sub(now)));
            if self.itimerval(pid, old, oi, ov).is_err() {
                return err(EFAULT);
            }
        }
        let now = self.now_ns();
        self.proc_mut(pid).alarm = if value == 0 { None } else { Some((now + value, interval)) };
        ok(0)
    }

    pub(super) fn sys_times(&mut self, pid: Pid, buf: u32) -> Sys {
        let p = self.proc(pid);
        let t = |ns: u64| (ns * CLK_TCK / 1_000_000_000) as u32;
        let vals = [t(p.utime_ns), t(p.stime_ns), t(p.cutime_ns), t(p.cstime_ns)];
        if buf != 0 {
            let b: alloc::vec::Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
            if self.copy_out(pid, buf, &b).is_err() {
                return err(EFAULT);
            }
        }
        ok((self.now_ns() * CLK_TCK / 1_000_000_000) as u32)
    }
}
