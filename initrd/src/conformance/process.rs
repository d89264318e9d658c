//! Process-wide calls: unknown numbers, ids, uname, sched_yield, the
//! thread set-up calls a libc makes at start (set_tid_address,
//! set_robust_list, set_thread_area/get_thread_area), resource limits and
//! getrandom.

use super::*;
use core::arch::asm;
use linux_rt::auxv::*;
use linux_rt::nr;

pub fn run(s: &mut Suite, args: &Args) {
    unknown(s);
    ids(s, args);
    uname(s);
    yield_(s);
    tid_address(s);
    robust_list(s);
    thread_area(s);
    rlimits(s);
    getrandom(s);
}

fn unknown(s: &mut Suite) {
    s.group("unknown_syscall");
    s.err("nr_500", raw(500, &[]), ENOSYS);
    s.err("nr_1000", raw(1000, &[]), ENOSYS);
    s.err("nr_9999", raw(9999, &[1, 2, 3]), ENOSYS);
}

fn ids(s: &mut Suite, args: &Args) {
    s.group("ids");
    let pid = sys::getpid();
    s.check("getpid_positive", pid > 0, format_args!("expected a pid > 0, got {}", Show(pid)));
    s.check("getpid_stable", sys::getpid() == pid, format_args!("two getpid calls differ"));
    s.check(
        "gettid_is_pid",
        sys::gettid() == pid,
        format_args!("gettid differs from getpid in a single-threaded process"),
    );
    let ppid = sys::getppid();
    s.check(
        "getppid",
        ppid >= 0 && ppid != pid,
        format_args!("expected a parent pid >= 0 other than our own, got {}", Show(ppid)),
    );
    let (uid, euid, gid, egid) = (sys::getuid(), sys::geteuid(), sys::getgid(), sys::getegid());
    s.check("getuid32_ok", uid >= 0, format_args!("got {}", Show(uid)));
    s.check("getgid32_ok", gid >= 0, format_args!("got {}", Show(gid)));
    s.check("geteuid32_is_uid", euid == uid, format_args!("euid differs from uid for a program that is not set-uid"));
    s.check("getegid32_is_gid", egid == gid, format_args!("egid differs from gid for a program that is not set-gid"));
    for (name, kind, v) in [
        ("auxv_uid", AT_UID, uid),
        ("auxv_euid", AT_EUID, euid),
        ("auxv_gid", AT_GID, gid),
        ("auxv_egid", AT_EGID, egid),
    ] {
        let a = args.aux(kind).map(|a| a as isize);
        s.check(name, a == Some(v), format_args!("the auxv entry does not match the system call"));
    }
}

fn uname(s: &mut Suite) {
    s.group("uname");
    let mut u = Utsname::default();
    s.eq("ok", sys::uname(&mut u), 0);
    let field = |f: &[u8; 65]| -> Option<usize> { f.iter().position(|&b| b == 0) };
    let sys_name = &u.sysname[..field(&u.sysname).unwrap_or(65)];
    s.check(
        "sysname_linux",
        sys_name == b"Linux",
        format_args!("expected \"Linux\", got \"{}\"", linux_rt::Bytes(sys_name)),
    );
    let all_terminated =
        [&u.sysname, &u.nodename, &u.release, &u.version, &u.machine, &u.domainname].iter().all(|f| field(f).is_some());
    s.check("fields_nul_terminated", all_terminated, format_args!("a field has no NUL within its 65 bytes"));
    s.check(
        "release_starts_with_digit",
        u.release[0].is_ascii_digit(),
        format_args!("release does not look like a version"),
    );
    s.check("machine_nonempty", u.machine[0] != 0, format_args!("machine is empty"));
    s.err("efault", raw(nr::UNAME, &[BAD]), EFAULT);
}

fn yield_(s: &mut Suite) {
    s.group("sched_yield");
    s.eq("ok", sys::sched_yield(), 0);
    let all = (0..100).all(|_| sys::sched_yield() == 0);
    s.check("repeated", all, format_args!("one of 100 calls failed"));
}

static mut TID_WORD: i32 = 0;
static mut ROBUST_HEAD: RobustListHead = RobustListHead { next: 0, futex_offset: 0, list_op_pending: 0 };

fn tid_address(s: &mut Suite) {
    s.group("set_tid_address");
    let tid = sys::gettid();
    // SAFETY: the word is a static that lives as long as the process.
    let r = unsafe { sys::set_tid_address(&raw mut TID_WORD) };
    s.eq("returns_tid", r, tid);
    // SAFETY: as above.
    let r = unsafe { sys::set_tid_address(&raw mut TID_WORD) };
    s.eq("again_returns_tid", r, tid);
}

fn robust_list(s: &mut Suite) {
    s.group("set_robust_list");
    let head = &raw mut ROBUST_HEAD;
    // SAFETY: an empty list points at itself; the head is a static.
    unsafe { (*head).next = head as usize };
    // SAFETY: the head is a valid, empty list for the rest of the process.
    s.eq("ok", unsafe { sys::set_robust_list(head, 12) }, 0);
    // SAFETY: rejected calls install nothing.
    s.err("len_0_einval", unsafe { sys::set_robust_list(head, 0) }, EINVAL);
    // SAFETY: as above.
    s.err("len_24_einval", unsafe { sys::set_robust_list(head, 24) }, EINVAL);
    // Linux stores the pointer without looking at it (it is read at exit).
    // SAFETY: replaced by the valid head right after.
    s.eq("pointer_not_checked", unsafe { sys::set_robust_list(BAD as *const RobustListHead, 12) }, 0);
    // SAFETY: as for "ok".
    unsafe { sys::set_robust_list(head, 12) };
}

/// Values read through %gs after set_thread_area.
static TLS_BLOCK: [u32; 2] = [0x1234_5678, 0x9abc_def0];

fn tls_desc(entry: u32, base: usize) -> UserDesc {
    UserDesc {
        entry_number: entry,
        base_addr: base as u32,
        limit: 0xfffff,
        flags: UD_SEG_32BIT | UD_LIMIT_IN_PAGES | UD_USEABLE,
    }
}

/// Load %gs with `sel`, read two words at gs:0 and gs:4, restore %gs.
fn read_through_gs(sel: u16) -> (u32, u32) {
    let (a, b): (u32, u32);
    // SAFETY: sel names a present 4 GiB data descriptor just installed;
    // gs is restored before the asm ends and the runtime does not use it.
    unsafe {
        asm!(
            "mov {old:x}, gs",
            "mov gs, {sel:x}",
            "mov {a}, dword ptr gs:[0]",
            "mov {b}, dword ptr gs:[4]",
            "mov gs, {old:x}",
            old = out(reg) _,
            sel = in(reg) sel as u32,
            a = out(reg) a,
            b = out(reg) b,
            options(nostack, readonly),
        )
    };
    (a, b)
}

fn thread_area(s: &mut Suite) {
    s.group("set_thread_area");
    let base = TLS_BLOCK.as_ptr() as usize;
    let mut d = tls_desc(!0, base);
    // SAFETY: no segment register refers to the new descriptor yet.
    let r = unsafe { sys::set_thread_area(&mut d) };
    s.eq("allocate", r, 0);
    let entry = d.entry_number;
    s.check("entry_written_back", entry != !0 && entry < 8192, format_args!("entry_number was not set to a GDT slot"));
    if r == 0 {
        let (a, b) = read_through_gs(((entry << 3) | 3) as u16);
        s.check(
            "read_through_gs",
            (a, b) == (TLS_BLOCK[0], TLS_BLOCK[1]),
            format_args!("expected {:#x} {:#x} through %gs, got {:#x} {:#x}", TLS_BLOCK[0], TLS_BLOCK[1], a, b),
        );
    }
    // The kernel has three TLS slots: two more allocations, then ESRCH.
    let mut more = [tls_desc(!0, base), tls_desc(!0, base)];
    // SAFETY: as above.
    let r2 = unsafe { sys::set_thread_area(&mut more[0]) };
    s.check(
        "second_allocation_differs",
        r2 == 0 && more[0].entry_number != entry,
        format_args!("got {}, a distinct slot expected", Show(r2)),
    );
    // SAFETY: as above.
    let r3 = unsafe { sys::set_thread_area(&mut more[1]) };
    s.eq("third_allocation", r3, 0);
    let mut fourth = tls_desc(!0, base);
    // SAFETY: as above.
    s.err("fourth_allocation_esrch", unsafe { sys::set_thread_area(&mut fourth) }, ESRCH);
    // an "empty" descriptor (read_exec_only + seg_not_present) frees a slot
    let mut empty = UserDesc {
        entry_number: more[1].entry_number,
        base_addr: 0,
        limit: 0,
        flags: UD_READ_EXEC_ONLY | UD_SEG_NOT_PRESENT,
    };
    // SAFETY: %gs was restored, nothing refers to the slot.
    s.eq("clear_slot", unsafe { sys::set_thread_area(&mut empty) }, 0);
    let mut again = tls_desc(!0, base);
    // SAFETY: as above.
    let r = unsafe { sys::set_thread_area(&mut again) };
    s.check(
        "reuse_cleared_slot",
        r == 0 && again.entry_number == more[1].entry_number,
        format_args!("got {}, the cleared slot expected", Show(r)),
    );
    let mut bad = tls_desc(1, base);
    // SAFETY: rejected.
    s.err("entry_out_of_range_einval", unsafe { sys::set_thread_area(&mut bad) }, EINVAL);
    s.err("efault", raw(nr::SET_THREAD_AREA, &[BAD]), EFAULT);

    s.group("get_thread_area");
    let mut g = UserDesc { entry_number: entry, ..Default::default() };
    s.eq("ok", sys::get_thread_area(&mut g), 0);
    s.check("base", g.base_addr as usize == base, format_args!("base_addr differs from what was set"));
    s.check("limit", g.limit == 0xfffff, format_args!("expected limit 0xfffff, got {:#x}", g.limit));
    let want = UD_SEG_32BIT | UD_LIMIT_IN_PAGES | UD_USEABLE;
    s.check("flags", g.flags & 0x7f == want, format_args!("expected flags {:#x}, got {:#x}", want, g.flags));
    let mut c = UserDesc { entry_number: more[0].entry_number, ..Default::default() };
    // clear it and read back the empty descriptor
    let mut e = UserDesc {
        entry_number: more[0].entry_number,
        base_addr: 0,
        limit: 0,
        flags: UD_READ_EXEC_ONLY | UD_SEG_NOT_PRESENT,
    };
    // SAFETY: nothing refers to the slot.
    unsafe { sys::set_thread_area(&mut e) };
    s.eq("cleared_ok", sys::get_thread_area(&mut c), 0);
    s.check(
        "cleared_not_present",
        c.flags & UD_SEG_NOT_PRESENT != 0 && c.base_addr == 0,
        format_args!("a cleared slot reads back as present (flags {:#x})", c.flags),
    );
    let mut o = UserDesc { entry_number: 1, ..Default::default() };
    s.err("entry_out_of_range_einval", sys::get_thread_area(&mut o), EINVAL);
    s.err("efault", raw(nr::GET_THREAD_AREA, &[BAD]), EFAULT);
    // free the remaining slots
    for n in [entry, again.entry_number] {
        let mut e = UserDesc { entry_number: n, base_addr: 0, limit: 0, flags: UD_READ_EXEC_ONLY | UD_SEG_NOT_PRESENT };
        // SAFETY: %gs no longer refers to these slots.
        unsafe { sys::set_thread_area(&mut e) };
    }
}

fn rlimits(s: &mut Suite) {
    s.group("ugetrlimit");
    let mut nofile = Rlimit::default();
    s.eq("nofile_ok", sys::ugetrlimit(RLIMIT_NOFILE, &mut nofile), 0);
    s.check("nofile_cur_le_max", nofile.rlim_cur <= nofile.rlim_max, format_args!("soft limit above hard limit"));
    s.check("nofile_cur_ge_3", nofile.rlim_cur >= 3, format_args!("soft limit below 3"));
    let mut stack = Rlimit::default();
    s.eq("stack_ok", sys::ugetrlimit(RLIMIT_STACK, &mut stack), 0);
    s.check("stack_cur_le_max", stack.rlim_cur <= stack.rlim_max, format_args!("soft limit above hard limit"));
    s.err("bad_resource_einval", sys::ugetrlimit(100, &mut stack), EINVAL);
    s.err("efault", raw(nr::UGETRLIMIT, &[RLIMIT_NOFILE as usize, BAD]), EFAULT);

    s.group("prlimit64");
    let mut old = Rlimit64::default();
    s.eq("get_ok", sys::prlimit64(0, RLIMIT_NOFILE, None, Some(&mut old)), 0);
    let narrow = |v: u64| if v > u32::MAX as u64 { RLIM_INFINITY } else { v as u32 };
    s.check(
        "matches_ugetrlimit",
        narrow(old.rlim_cur) == nofile.rlim_cur && narrow(old.rlim_max) == nofile.rlim_max,
        format_args!("prlimit64 and ugetrlimit disagree"),
    );
    let mut by_pid = Rlimit64::default();
    s.eq("own_pid_ok", sys::prlimit64(sys::getpid() as i32, RLIMIT_NOFILE, None, Some(&mut by_pid)), 0);
    s.check("own_pid_same", by_pid == old, format_args!("pid 0 and our own pid disagree"));
    // lower the soft limit, watch it act, restore it
    let low = Rlimit64 { rlim_cur: 64, rlim_max: old.rlim_max };
    let r = sys::prlimit64(0, RLIMIT_NOFILE, Some(&low), None);
    s.eq("set_soft_ok", r, 0);
    let mut now = Rlimit::default();
    sys::ugetrlimit(RLIMIT_NOFILE, &mut now);
    s.check(
        "set_soft_visible",
        now.rlim_cur == 64,
        format_args!("expected soft limit 64 after setting it, got {}", now.rlim_cur),
    );
    s.err("dup2_above_limit_ebadf", sys::dup2(1, 100), EBADF);
    s.err("f_dupfd_above_limit_einval", fcntl(1, F_DUPFD, 100), EINVAL);
    let mut prev = Rlimit64::default();
    s.eq("restore_ok", sys::prlimit64(0, RLIMIT_NOFILE, Some(&old), Some(&mut prev)), 0);
    s.check(
        "old_value_returned",
        prev == low,
        format_args!("the old limit returned by a set differs from what was set"),
    );
    let inverted = Rlimit64 { rlim_cur: 100, rlim_max: 50 };
    s.err("cur_above_max_einval", sys::prlimit64(0, RLIMIT_NOFILE, Some(&inverted), None), EINVAL);
    s.err("bad_resource_einval", sys::prlimit64(0, 100, None, Some(&mut prev)), EINVAL);
    s.err("no_such_pid_esrch", sys::prlimit64(0x3fff_fff0, RLIMIT_NOFILE, None, Some(&mut prev)), ESRCH);
    s.err("efault", raw(nr::PRLIMIT64, &[0, RLIMIT_NOFILE as usize, 0, BAD]), EFAULT);
}

fn getrandom(s: &mut Suite) {
    s.group("getrandom");
    let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
    s.eq("fills_64", sys::getrandom(&mut a, 0), 64);
    sys::getrandom(&mut b, 0);
    s.check("not_zero", a.iter().any(|&x| x != 0), format_args!("64 zero bytes"));
    s.check("calls_differ", a != b, format_args!("two calls returned the same 64 bytes"));
    s.eq("nonblock", sys::getrandom(&mut a, GRND_NONBLOCK), 64);
    s.eq("insecure", sys::getrandom(&mut a, GRND_INSECURE), 64);
    s.eq("count_0", sys::getrandom(&mut a[..0], 0), 0);
    s.err("bad_flags_einval", sys::getrandom(&mut a, 0x100), EINVAL);
    s.err("insecure_and_random_einval", sys::getrandom(&mut a, GRND_INSECURE | GRND_RANDOM), EINVAL);
    s.err("efault", raw(nr::GETRANDOM, &[BAD, 16, 0]), EFAULT);
}
