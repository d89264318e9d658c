//! Which signals are delivered when: blocked signals stay pending and are
//! delivered when unblocked (before sigprocmask returns), ignored ones
//! are dropped, several pending ones are delivered in Linux's order with
//! nested frames, SA_NODEFER, SA_RESETHAND, and sigaction's effect on
//! pending signals.

use crate::rt::*;
use core::sync::atomic::Ordering::SeqCst;
use initrd::conformance::Suite;
use linux_rt::consts::*;
use linux_rt::sys;
use linux_rt::types::*;

pub fn run(s: &mut Suite) {
    masks(s);
    order(s);
    flags(s);
}

fn masks(s: &mut Suite) {
    s.group("pending");
    clean();
    install(SIGUSR1, 0, 0);
    set_mask(sigbit(SIGUSR1));
    raise(SIGUSR1);
    s.eq("blocked_not_delivered", count() as isize, 0);
    s.check("blocked_is_pending", pending() == sigbit(SIGUSR1), format_args!("pending {:#x}", pending()));
    raise(SIGUSR1);
    s.check("second_one_merges", pending() == sigbit(SIGUSR1), format_args!("pending {:#x}", pending()));
    set_mask(0);
    s.eq("unblock_delivers_once", count() as isize, 1);
    s.eq("nothing_pending_after", pending() as isize, 0);
    // an ignored signal is dropped, unless it is blocked
    disposition(SIGUSR2, SIG_IGN);
    raise(SIGUSR2);
    s.eq("ignored_dropped", pending() as isize, 0);
    set_mask(sigbit(SIGUSR2));
    raise(SIGUSR2);
    s.check("blocked_ignored_pends", pending() == sigbit(SIGUSR2), format_args!("pending {:#x}", pending()));
    disposition(SIGUSR2, SIG_DFL);
    raise(SIGUSR1); // delivered at once
    s.eq("other_signal_still_delivered", count() as isize, 2);
    disposition(SIGUSR2, SIG_IGN);
    s.eq("sigaction_ign_discards_pending", pending() as isize, 0);
    set_mask(0);
    // signals whose default is to be ignored
    for (name, sig) in [("sigchld", SIGCHLD), ("sigwinch", SIGWINCH), ("sigurg", SIGURG), ("sigcont", SIGCONT)] {
        disposition(sig, SIG_DFL);
        let r = raise(sig);
        s.check(name, r == 0 && pending() == 0, format_args!("kill gave {r}, pending {:#x}", pending()));
    }
    // rt_sigpending only reports blocked ones, and checks its size
    s.err("sigpending_size", sys::rt_sigpending(&mut 0, 16), linux_rt::errno::EINVAL);
    clean();
}

fn order(s: &mut Suite) {
    s.group("order");
    clean();
    // no masks between the handlers: each pending signal gets a frame on
    // top of the previous one, so the last one set up runs first
    for sig in [SIGINT, SIGUSR1, SIGUSR2] {
        install(sig, 0, 0);
    }
    set_mask(sigbit(SIGINT) | sigbit(SIGUSR1) | sigbit(SIGUSR2));
    raise(SIGUSR2);
    raise(SIGINT);
    raise(SIGUSR1);
    set_mask(0);
    let o = ORDER.load(SeqCst);
    let want = SIGUSR2 << 16 | SIGUSR1 << 8 | SIGINT;
    s.check("nested_frames_run_last_first", o == want, format_args!("order {}, expected 12 10 2", show_order(o)));
    s.eq("all_three_ran", count() as isize, 3);
    s.eq("one_after_the_other", MAX_DEPTH.load(SeqCst) as isize, 1);
    // a handler's mask keeps the others pending until it returns
    reset();
    install(SIGINT, 0, sigbit(SIGUSR1) | sigbit(SIGUSR2));
    set_mask(sigbit(SIGINT) | sigbit(SIGUSR1) | sigbit(SIGUSR2));
    raise(SIGUSR2);
    raise(SIGUSR1);
    raise(SIGINT);
    set_mask(0);
    let o = ORDER.load(SeqCst);
    let want = SIGINT << 16 | SIGUSR2 << 8 | SIGUSR1;
    s.check("sa_mask_defers", o == want, format_args!("order {}, expected 2 12 10", show_order(o)));
    // signals a fault raises come first
    reset();
    install(SIGSEGV, 0, 0);
    set_mask(sigbit(SIGSEGV) | sigbit(SIGUSR1));
    raise(SIGUSR1);
    raise(SIGSEGV);
    set_mask(0);
    let o = ORDER.load(SeqCst);
    let want = SIGUSR1 << 8 | SIGSEGV;
    s.check("synchronous_first", o == want, format_args!("order {}, expected 10 11", show_order(o)));
    clean();
}

fn show_order(o: u32) -> alloc::string::String {
    let mut v = alloc::vec::Vec::new();
    let mut x = o;
    while x != 0 {
        v.push(x & 0xFF);
        x >>= 8;
    }
    v.reverse();
    v.iter().map(|n| alloc::format!("{n}")).collect::<alloc::vec::Vec<_>>().join(" ")
}

fn reraise(sig: u32, _: *mut SigInfo, _: *mut UContext) {
    if count() == 1 {
        raise(sig);
    }
}

fn flags(s: &mut Suite) {
    s.group("sa_flags");
    clean();
    // the signal is blocked while its handler runs: a second one waits
    set_hook(Some(reraise));
    install(SIGUSR1, 0, 0);
    raise(SIGUSR1);
    s.eq("deferred_runs_after", count() as isize, 2);
    s.eq("deferred_not_nested", MAX_DEPTH.load(SeqCst) as isize, 1);
    // SA_NODEFER: it nests
    reset();
    set_hook(Some(reraise));
    install(SIGUSR1, SA_NODEFER, 0);
    raise(SIGUSR1);
    s.eq("nodefer_runs_twice", count() as isize, 2);
    s.eq("nodefer_nests", MAX_DEPTH.load(SeqCst) as isize, 2);
    // SA_RESETHAND: the action goes back to SIG_DFL on delivery
    reset();
    install(SIGUSR2, SA_RESETHAND, 0);
    raise(SIGUSR2);
    s.eq("resethand_ran", count() as isize, 1);
    let a = action(SIGUSR2);
    // (only the handler is reset; the flags stay)
    s.check(
        "resethand_reset",
        a.handler == SIG_DFL && a.flags == SA_RESETHAND | SA_RESTORER,
        format_args!("handler {:#x} flags {:#x}", a.handler, a.flags),
    );
    // SIGCHLD with SA_NOCLDSTOP: no signal for a stopped child
    reset();
    install(SIGCHLD, SA_NOCLDSTOP, 0);
    let c = spawn(|| {
        raise(SIGSTOP);
        0
    });
    let st = reap(c, WUNTRACED, 5);
    s.check("nocldstop_child_stopped", st.and_then(stopped) == Some(SIGSTOP as i32), format_args!("{}", St(st)));
    s.eq("nocldstop_no_sigchld", count() as isize, 0);
    sys::kill(c as i32, SIGCONT);
    let st = reap(c, 0, 5);
    s.check("nocldstop_child_exits", st.and_then(exited) == Some(0), format_args!("{}", St(st)));
    s.eq("nocldstop_sigchld_on_exit", count() as isize, 1);
    clean();
}
