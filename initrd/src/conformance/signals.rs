//! Signal state: rt_sigaction and rt_sigprocmask keep what is set and give
//! it back, refuse SIGKILL/SIGSTOP changes and wrong sigset sizes. No
//! signal is delivered; the original actions and mask are restored.

use super::*;
use linux_rt::nr;

pub fn run(s: &mut Suite) {
    sigaction(s);
    sigprocmask(s);
}

extern "C" fn handler(_sig: i32) {}
extern "C" fn restorer() {}

fn get(sig: u32) -> (isize, SigAction) {
    let mut old = SigAction::default();
    // SAFETY: only reads the current action.
    let r = unsafe { sys::rt_sigaction(sig, None, Some(&mut old), 8) };
    (r, old)
}

fn set(sig: u32, act: &SigAction, old: Option<&mut SigAction>, size: usize) -> isize {
    // SAFETY: the handler is never run: the suite does not raise these
    // signals, and the original action is put back at the end.
    unsafe { sys::rt_sigaction(sig, Some(act), old, size) }
}

fn sigaction(s: &mut Suite) {
    s.group("rt_sigaction");
    let (r, orig) = get(SIGUSR1);
    s.eq("read_ok", r, 0);
    let act = SigAction {
        handler: handler as *const () as usize,
        flags: SA_RESTORER | SA_RESTART | SA_SIGINFO,
        restorer: restorer as *const () as usize,
        mask: sigbit(SIGUSR2) | sigbit(SIGINT),
    };
    s.eq("set_ok", set(SIGUSR1, &act, None, 8), 0);
    let (_, back) = get(SIGUSR1);
    s.check("handler_kept", back.handler == act.handler, format_args!("the handler read back differs"));
    s.check(
        "flags_kept",
        back.flags == act.flags,
        format_args!("expected flags {:#x}, got {:#x}", act.flags, back.flags),
    );
    s.check("restorer_kept", back.restorer == act.restorer, format_args!("the restorer read back differs"));
    s.check("mask_kept", back.mask == act.mask, format_args!("expected mask {:#x}, got {:#x}", act.mask, back.mask));
    let ign = SigAction { handler: SIG_IGN, ..Default::default() };
    let mut prev = SigAction::default();
    s.eq("set_returns_old_ok", set(SIGUSR1, &ign, Some(&mut prev), 8), 0);
    s.check(
        "set_returns_old",
        prev == act,
        format_args!("the old action returned by a set differs from the one set before"),
    );
    s.check("sig_ign_kept", get(SIGUSR1).1.handler == SIG_IGN, format_args!("SIG_IGN not read back"));
    let kill_stop = SigAction { mask: sigbit(SIGKILL) | sigbit(SIGSTOP) | sigbit(SIGUSR2), ..act };
    set(SIGUSR2, &kill_stop, None, 8);
    let m = get(SIGUSR2).1.mask;
    s.check(
        "mask_drops_kill_stop",
        m == sigbit(SIGUSR2),
        format_args!("expected mask {:#x}, got {:#x}", sigbit(SIGUSR2), m),
    );
    let odd = SigAction { flags: act.flags | SA_UNSUPPORTED, ..act };
    set(SIGUSR2, &odd, None, 8);
    let f = get(SIGUSR2).1.flags;
    s.check(
        "unknown_flag_cleared",
        f == act.flags,
        format_args!("expected flags {:#x} (SA_UNSUPPORTED cleared), got {:#x}", act.flags, f),
    );
    let dfl = SigAction::default();
    s.err("sigkill_einval", set(SIGKILL, &dfl, None, 8), EINVAL);
    s.err("sigstop_einval", set(SIGSTOP, &ign, None, 8), EINVAL);
    let (r, k) = get(SIGKILL);
    s.check(
        "sigkill_readable",
        r == 0 && k.handler == SIG_DFL,
        format_args!("reading SIGKILL's action gave {}", Show(r)),
    );
    s.err("signal_0_einval", set(0, &dfl, None, 8), EINVAL);
    s.err("signal_65_einval", set(65, &dfl, None, 8), EINVAL);
    s.err("sigsetsize_4_einval", set(SIGUSR1, &dfl, None, 4), EINVAL);
    s.err("sigsetsize_16_einval", set(SIGUSR1, &dfl, None, 16), EINVAL);
    s.err("act_efault", raw(nr::RT_SIGACTION, &[SIGUSR1 as usize, BAD, 0, 8]), EFAULT);
    s.err("oldact_efault", raw(nr::RT_SIGACTION, &[SIGUSR1 as usize, 0, BAD, 8]), EFAULT);
    set(SIGUSR1, &orig, None, 8);
    set(SIGUSR2, &dfl, None, 8);
    s.check("restored", get(SIGUSR1).1 == orig, format_args!("the original action did not come back"));
}

fn mask(how: u32, set: Option<u64>) -> (isize, u64) {
    let mut old = 0u64;
    let r = sys::rt_sigprocmask(how, set.as_ref(), Some(&mut old), 8);
    (r, old)
}

fn sigprocmask(s: &mut Suite) {
    s.group("rt_sigprocmask");
    let (r, orig) = mask(SIG_BLOCK, None);
    s.eq("read_ok", r, 0);
    let u1 = sigbit(SIGUSR1);
    let (r, old) = mask(SIG_BLOCK, Some(u1));
    s.eq("block_ok", r, 0);
    s.check("block_returns_old", old == orig, format_args!("the old mask returned differs"));
    let now = mask(SIG_BLOCK, None).1;
    s.check("block_adds", now == orig | u1, format_args!("expected mask {:#x}, got {:#x}", orig | u1, now));
    mask(SIG_UNBLOCK, Some(u1));
    let now = mask(SIG_BLOCK, None).1;
    s.check("unblock_removes", now & u1 == 0, format_args!("SIGUSR1 still blocked after SIG_UNBLOCK"));
    let two = sigbit(SIGUSR1) | sigbit(SIGUSR2);
    s.eq("setmask_ok", mask(SIG_SETMASK, Some(two)).0, 0);
    let now = mask(SIG_BLOCK, None).1;
    s.check("setmask_exact", now == two, format_args!("expected mask {:#x}, got {:#x}", two, now));
    s.eq("kill_stop_ok", mask(SIG_BLOCK, Some(sigbit(SIGKILL) | sigbit(SIGSTOP))).0, 0);
    let now = mask(SIG_BLOCK, None).1;
    s.check(
        "kill_stop_not_blocked",
        now == two,
        format_args!("expected mask {:#x} (SIGKILL/SIGSTOP ignored), got {:#x}", two, now),
    );
    s.err("bad_how_einval", mask(99, Some(u1)).0, EINVAL);
    s.eq("bad_how_without_set_ok", mask(99, None).0, 0);
    s.err("sigsetsize_4_einval", sys::rt_sigprocmask(SIG_BLOCK, Some(&u1), None, 4), EINVAL);
    s.err("set_efault", raw(nr::RT_SIGPROCMASK, &[SIG_BLOCK as usize, BAD, 0, 8]), EFAULT);
    s.err("oldset_efault", raw(nr::RT_SIGPROCMASK, &[SIG_BLOCK as usize, 0, BAD, 8]), EFAULT);
    mask(SIG_SETMASK, Some(orig));
    s.check("restored", mask(SIG_BLOCK, None).1 == orig, format_args!("the original mask did not come back"));
}
