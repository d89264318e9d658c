//! The remaining system calls: uname, resource limits, getrandom, TLS
//! (set/get_thread_area), sysinfo, getrusage, futex (single-threaded
//! processes), prctl.

use super::ok;
use crate::errno::*;
use crate::linux::Out;
use crate::platform::Platform;
use crate::proc::*;
use crate::system::*;

const RLIM_INFINITY: u64 = u64::MAX;
const RLIM_NLIMITS: u32 = 16;
const RLIMIT_NOFILE: u32 = 7;

/// Limits a new process starts with: (soft, hard).
pub fn default_rlimits() -> [(u64, u64); 16] {
    let mut l = [(RLIM_INFINITY, RLIM_INFINITY); 16];
    l[3] = (8 << 20, RLIM_INFINITY); // STACK
    l[4] = (0, RLIM_INFINITY); // CORE
    l[6] = (MAX_PROCS as u64, MAX_PROCS as u64); // NPROC
    l[7] = (crate::file::MAX_FDS as u64, crate::file::MAX_FDS as u64); // NOFILE
    l[8] = (64 << 10, 64 << 10); // MEMLOCK
    l[11] = (0x1F00, 0x1F00); // SIGPENDING
    l[12] = (819_200, 819_200); // MSGQUEUE
    l[13] = (0, 0); // NICE
    l[14] = (0, 0); // RTPRIO
    l
}

impl<P: Platform> Linux<P> {
    pub(super) fn sys_uname(&mut self, pid: Pid, buf: u32) -> Sys {
        let mut o = Out::with_size(6 * 65);
        let fields: [&[u8]; 6] = [b"Linux", b"ul4", b"6.1.0-l4linux", b"#1 SMP uL4 personality server", self.machine, b"(none)"];
        for (i, f) in fields.iter().enumerate() {
            o.put_bytes(i * 65, f);
        }
        // the hostname may have been changed
        let host = self.hostname.clone();
        o.put_bytes(65, &[0; 65]).put_bytes(65, &host[..host.len().min(64)]);
        match self.copy_out(pid, buf, &o.buf) {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_sethostname(&mut self, pid: Pid, name: u32, len: u32) -> Sys {
        if self.proc(pid).euid != 0 {
            return err(EPERM);
        }
        if len > 64 {
            return err(EINVAL);
        }
        let mut b = alloc::vec![0u8; len as usize];
        if self.copy_in(pid, name, &mut b).is_err() {
            return err(EFAULT);
        }
        self.hostname = b;
        ok(0)
    }

    pub(super) fn sys_getrlimit(&mut self, pid: Pid, which: u32, buf: u32) -> Sys {
        if which >= RLIM_NLIMITS {
            return err(EINVAL);
        }
        let (s, h) = self.proc(pid).rlimits[which as usize];
        // the 32-bit call reports infinity (and anything above) as ~0
        let c = |v: u64| v.min(u32::MAX as u64) as u32;
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&c(s).to_le_bytes());
        b[4..].copy_from_slice(&c(h).to_le_bytes());
        match self.copy_out(pid, buf, &b) {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_setrlimit(&mut self, pid: Pid, which: u32, buf: u32) -> Sys {
        if which >= RLIM_NLIMITS {
            return err(EINVAL);
        }
        let mut b = [0u8; 8];
        if self.copy_in(pid, buf, &mut b).is_err() {
            return err(EFAULT);
        }
        let w = |v: u32| if v == u32::MAX { RLIM_INFINITY } else { v as u64 };
        match self.set_limit(pid, which, w(crate::linux::u32_at(&b, 0)), w(crate::linux::u32_at(&b, 4))) {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    fn set_limit(&mut self, pid: Pid, which: u32, soft: u64, hard: u64) -> Result<(), Errno> {
        if soft > hard {
            return Err(EINVAL);
        }
        let p = self.proc_mut(pid);
        let (_, old_hard) = p.rlimits[which as usize];
        if hard > old_hard && p.euid != 0 {
            return Err(EPERM);
        }
        if which == RLIMIT_NOFILE && hard > crate::file::MAX_FDS as u64 {
            return Err(EPERM); // above fs.nr_open
        }
        p.rlimits[which as usize] = (soft, hard);
        if which == RLIMIT_NOFILE {
            p.fds.limit = soft.min(crate::file::MAX_FDS as u64) as usize;
        }
        Ok(())
    }

    pub(super) fn sys_prlimit64(&mut self, pid: Pid, target: u32, which: u32, new: u32, old: u32) -> Sys {
        let target = if target == 0 { pid } else { target };
        if !self.procs.get(&target).is_some_and(|p| !p.is_zombie()) {
            return err(ESRCH);
        }
        if which >= RLIM_NLIMITS {
            return err(EINVAL);
        }
        let mut newval = None;
        if new != 0 {
            let mut b = [0u8; 16];
            if self.copy_in(pid, new, &mut b).is_err() {
                return err(EFAULT);
            }
            newval = Some((u64::from_le_bytes(b[..8].try_into().unwrap()), u64::from_le_bytes(b[8..].try_into().unwrap())));
        }
        let (s, h) = self.proc(target).rlimits[which as usize];
        if let Some((ns, nh)) = newval {
            if let Err(e) = self.set_limit(target, which, ns, nh) {
                return err(e);
            }
        }
        if old != 0 {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&s.to_le_bytes());
            b[8..].copy_from_slice(&h.to_le_bytes());
            if self.copy_out(pid, old, &b).is_err() {
                return err(EFAULT);
            }
        }
        ok(0)
    }

    pub(super) fn sys_getrandom(&mut self, pid: Pid, buf: u32, len: u32, flags: u32) -> Sys {
        // GRND_NONBLOCK 1, GRND_RANDOM 2, GRND_INSECURE 4 (not with RANDOM)
        if flags & !7 != 0 || flags & 6 == 6 {
            return err(EINVAL);
        }
        // made and copied a page at a time (the length is the user's); a
        // fault after some bytes ends the call with their count, as in Linux
        let n = (len as usize).min(1 << 25);
        let mut b = [0u8; 4096];
        let mut done = 0;
        while done < n {
            let k = (n - done).min(b.len());
            self.plat.random(&mut b[..k]);
            if let Err(e) = self.copy_out(pid, buf.wrapping_add(done as u32), &b[..k]) {
                return if done > 0 { ok(done as u32) } else { err(e) };
            }
            done += k;
        }
        ok(n as u32)
    }

    /// set_thread_area for process `pid` from the `user_desc` at `addr`.
    pub(crate) fn set_thread_area_for(&mut self, pid: Pid, addr: u32) -> Result<(), Errno> {
        let mut b = [0u8; 16];
        self.copy_in(pid, addr, &mut b)?;
        let entry = crate::linux::u32_at(&b, 0);
        let base = crate::linux::u32_at(&b, 4);
        let limit = crate::linux::u32_at(&b, 8);
        let flags = crate::linux::u32_at(&b, 12) & 0x7F;
        let first = l4_abi::layout::sel::TLS_FIRST_ENTRY;
        let index = if entry == u32::MAX {
            let p = self.proc(pid);
            let free = p.tls.iter().position(|t| !t.used).ok_or(ESRCH)? as u32;
            self.write_u32(pid, addr, free + first)?;
            free
        } else if (first..first + 3).contains(&entry) {
            entry - first
        } else {
            return Err(EINVAL);
        };
        // an empty descriptor (base, limit 0; read_exec_only and not present) clears
        let empty = base == 0 && limit == 0 && flags & 0x28 == 0x28;
        let l4flags = if empty { l4_abi::syscall::tls::CLEAR } else { flags };
        let task = self.proc(pid).task;
        if task != 0 && !self.plat.set_tls(task, index, base, limit, l4flags) {
            return Err(EINVAL);
        }
        self.proc_mut(pid).tls[index as usize] = Tls { base, limit, flags: l4flags, used: !empty };
        Ok(())
    }

    pub(super) fn sys_set_thread_area(&mut self, pid: Pid, addr: u32) -> Sys {
        match self.set_thread_area_for(pid, addr) {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_get_thread_area(&mut self, pid: Pid, addr: u32) -> Sys {
        let entry = match self.read_u32(pid, addr) {
            Ok(v) => v,
            Err(e) => return err(e),
        };
        let first = l4_abi::layout::sel::TLS_FIRST_ENTRY;
        if !(first..first + 3).contains(&entry) {
            return err(EINVAL);
        }
        let t = self.proc(pid).tls[(entry - first) as usize];
        let mut o = Out::with_size(16);
        let flags = if t.used { t.flags } else { 0x28 };
        o.put_u32(0, entry).put_u32(4, t.base).put_u32(8, t.limit).put_u32(12, flags);
        match self.copy_out(pid, addr, &o.buf) {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_sysinfo(&mut self, pid: Pid, buf: u32) -> Sys {
        let uptime = self.now_ns() / 1_000_000_000;
        let (total, free, files) = self.memory();
        let page = crate::pool::PAGE as u64;
        let (total, free, files) = ((total / page) as u32, (free / page) as u32, (files / page) as u32);
        let mut o = Out::with_size(64);
        let (l1, l5, l15) = self.loadavg_fixed();
        o.put_u32(0, uptime as u32)
            .put_u32(4, l1)
            .put_u32(8, l5)
            .put_u32(12, l15)
            .put_u32(16, total)
            .put_u32(20, free)
            .put_u32(24, files) // sharedram: tmpfs
            .put_u32(28, 0)
            .put_u32(32, 0)
            .put_u32(36, 0)
            .put_u16(40, self.procs.len() as u16)
            .put_u32(44, 0)
            .put_u32(48, 0)
            .put_u32(52, 4096); // mem_unit: the counts above are pages
        match self.copy_out(pid, buf, &o.buf) {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    /// Load averages in the kernel's fixed point (1 << 16), from the number
    /// of runnable processes now.
    pub(crate) fn loadavg_fixed(&self) -> (u32, u32, u32) {
        let running = self.procs.values().filter(|p| p.state == State::Running).count() as u32;
        (running << 16, running << 16, running << 16)
    }

    pub(super) fn sys_getrusage(&mut self, pid: Pid, who: u32, buf: u32) -> Sys {
        let p = self.proc(pid);
        let (u, s) = match who as i32 {
            0 => (p.utime_ns, p.stime_ns),   // RUSAGE_SELF
            -1 => (p.cutime_ns, p.cstime_ns), // RUSAGE_CHILDREN
            _ => return err(EINVAL),
        };
        let mut o = Out::with_size(72);
        o.put_u32(0, (u / 1_000_000_000) as u32)
            .put_u32(4, ((u % 1_000_000_000) / 1000) as u32)
            .put_u32(8, (s / 1_000_000_000) as u32)
            .put_u32(12, ((s % 1_000_000_000) / 1000) as u32)
            .put_u32(16, (p.mm.resident() * 4) as u32); // maxrss in KiB
        match self.copy_out(pid, buf, &o.buf) {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    /// futex for single-threaded processes: a wait on a value that does not
    /// match fails with EAGAIN; a wait on a matching value could only be
    /// woken by another thread, which does not exist (it sleeps until a
    /// signal or its timeout); wake wakes nobody.
    /// futex (240) and futex_time64 (422): one thread per process, so a
    /// WAIT on a matching value sleeps until a signal or its timeout
    /// (relative for FUTEX_WAIT; absolute on CLOCK_MONOTONIC, or
    /// CLOCK_REALTIME with FUTEX_CLOCK_REALTIME, for FUTEX_WAIT_BITSET),
    /// and WAKE finds nobody.
    pub(super) fn sys_futex(&mut self, pid: Pid, addr: u32, op: u32, val: u32, timeout: u32, time64: bool) -> Sys {
        const FUTEX_CLOCK_REALTIME: u32 = 256;
        const ETIMEDOUT: Errno = 110;
        let cmd = op & 0x7F;
        if matches!(cmd, 0 | 1 | 9 | 10) && addr % 4 != 0 {
            return err(EINVAL);
        }
        match cmd {
            0 | 9 => {
                // FUTEX_WAIT, FUTEX_WAIT_BITSET
                match self.read_u32(pid, addr) {
                    Ok(v) if v != val => return err(EAGAIN),
                    Ok(_) => {}
                    Err(e) => return err(e),
                }
                if timeout == 0 {
                    return Sys::Block(Wait::Signal);
                }
                let t = match self.read_timespec(pid, timeout, time64) {
                    Ok(ns) => ns,
                    Err(e) => return err(e),
                };
                let rel = if cmd == 9 {
                    let clock = if op & FUTEX_CLOCK_REALTIME != 0 { 0 } else { 1 };
                    t.saturating_sub(self.clock_ns(pid, clock).unwrap_or(0))
                } else {
                    t
                };
                let deadline = self.deadline(pid, rel);
                if self.now_ns() >= deadline {
                    return err(ETIMEDOUT);
                }
                Sys::Block(Wait::Until(deadline))
            }
            1 | 10 => ok(0), // FUTEX_WAKE, FUTEX_WAKE_BITSET: no other waiters exist
            _ => self.enosys(240),
        }
    }

    pub(super) fn sys_prctl(&mut self, pid: Pid, option: u32, arg: u32) -> Sys {
        match option {
            15 => {
                // PR_SET_NAME: at most 15 bytes are kept
                let mut b = [0u8; 16];
                if self.copy_in(pid, arg, &mut b).is_err() {
                    return err(EFAULT);
                }
                let n = b.iter().position(|&c| c == 0).unwrap_or(15).min(15);
                self.proc_mut(pid).name = Some(b[..n].to_vec());
                ok(0)
            }
            16 => {
                // PR_GET_NAME
                let name = self.proc(pid).comm().to_vec();
                let mut b = [0u8; 16];
                b[..name.len()].copy_from_slice(&name);
                match self.copy_out(pid, arg, &b) {
                    Ok(()) => ok(0),
                    Err(e) => err(e),
                }
            }
            _ => err(EINVAL),
        }
    }
}
