//! Signals seen from a parent: default actions (terminate, ignore, stop,
//! continue) as wait statuses, SIGCHLD and its siginfo, waitid, SIGPIPE,
//! faults a program blocks or ignores, and delivery to a child that spins
//! in user mode without making system calls.

use crate::rt::*;
use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use initrd::conformance::{Show, Suite};
use linux_rt::consts::*;
use linux_rt::errno::*;
use linux_rt::sys;
use linux_rt::types::*;

pub fn run(s: &mut Suite) {
    defaults(s);
    sigchld(s);
    pipes(s);
    spinning(s);
}

fn defaults(s: &mut Suite) {
    s.group("default_action");
    clean();
    let st = reap(spawn(|| {
        raise(SIGTERM);
        0
    }), 0, 5);
    s.check("sigterm_terminates", st.and_then(signaled) == Some(SIGTERM as i32), format_args!("{}", St(st)));
    // (the core-dump bit depends on the host's core settings: masked)
    let st = reap(spawn(|| {
        // SAFETY: deliberately faults.
        unsafe { (0x10 as *mut u32).write_volatile(1) };
        0
    }), 0, 5).map(|s| s & !0x80);
    s.check("segv_terminates", st.and_then(signaled) == Some(SIGSEGV as i32), format_args!("{}", St(st)));
    let st = reap(spawn(|| {
        for sig in [SIGCHLD, SIGURG, SIGWINCH, SIGCONT] {
            raise(sig);
        }
        9
    }), 0, 5);
    s.check("default_ignore_continues", st.and_then(exited) == Some(9), format_args!("{}", St(st)));
    let st = reap(spawn(|| {
        disposition(SIGTERM, SIG_IGN);
        raise(SIGTERM);
        8
    }), 0, 5);
    s.check("sig_ign_survives", st.and_then(exited) == Some(8), format_args!("{}", St(st)));
    let st = reap(spawn(|| {
        set_mask(sigbit(SIGTERM));
        raise(SIGTERM);
        set_mask(0);
        7
    }), 0, 5);
    s.check("blocked_then_unblocked_terminates", st.and_then(signaled) == Some(SIGTERM as i32), format_args!("{}", St(st)));
    // a fault the program blocks, or ignores, still kills it
    let st = reap(spawn(|| {
        install(SIGSEGV, 0, 0);
        set_mask(sigbit(SIGSEGV));
        // SAFETY: deliberately faults.
        unsafe { (0x10 as *mut u32).write_volatile(1) };
        0
    }), 0, 5).map(|s| s & !0x80);
    s.check("blocked_segv_kills", st.and_then(signaled) == Some(SIGSEGV as i32), format_args!("{}", St(st)));
    let st = reap(spawn(|| {
        disposition(SIGSEGV, SIG_IGN);
        // SAFETY: deliberately faults.
        unsafe { (0x10 as *mut u32).write_volatile(1) };
        0
    }), 0, 5).map(|s| s & !0x80);
    s.check("ignored_segv_kills", st.and_then(signaled) == Some(SIGSEGV as i32), format_args!("{}", St(st)));
    let st = reap(spawn(|| 300), 0, 5);
    s.check("exit_status_low_byte", st.and_then(exited) == Some(44), format_args!("{}", St(st)));
    // stop, continue, then a signal that was pending while stopped
    let c = spawn(|| {
        // (a group of its own, with its parent outside: not orphaned, so
        // SIGTSTP is not discarded)
        sys::setpgid(0, 0);
        raise(SIGSTOP);
        // (time for the parent to see it continued before it stops again)
        sleep_ms(300);
        raise(SIGTSTP);
        5
    });
    let st = reap(c, WUNTRACED, 5);
    s.check("sigstop_stops", st.and_then(stopped) == Some(SIGSTOP as i32), format_args!("{}", St(st)));
    let mut status = 0;
    s.eq("nohang_while_stopped", sys::wait4(c as i32, Some(&mut status), WNOHANG), 0);
    sys::kill(c as i32, SIGCONT);
    let st = reap(c, WCONTINUED, 5);
    s.check("sigcont_continues", st == Some(0xFFFF), format_args!("{}", St(st)));
    let st = reap(c, WUNTRACED, 5);
    s.check("sigtstp_stops", st.and_then(stopped) == Some(SIGTSTP as i32), format_args!("{}", St(st)));
    sys::kill(c as i32, SIGTERM);
    s.eq("term_while_stopped_waits", sys::wait4(c as i32, Some(&mut status), WNOHANG), 0);
    sys::kill(c as i32, SIGCONT);
    let st = reap(c, 0, 5);
    s.check("pending_term_after_cont", st.and_then(signaled) == Some(SIGTERM as i32), format_args!("{}", St(st)));
    let c = spawn(|| {
        raise(SIGSTOP);
        0
    });
    reap(c, WUNTRACED, 5);
    sys::kill(c as i32, SIGKILL);
    let st = reap(c, 0, 5);
    s.check("sigkill_while_stopped", st.and_then(signaled) == Some(SIGKILL as i32), format_args!("{}", St(st)));
    s.err("wait_no_children", sys::wait4(-1, None, 0), ECHILD);
    // in an orphaned process group (the child leads a new session: no
    // parent in the session) SIGTSTP is discarded; SIGSTOP is not
    let st = reap(spawn(|| {
        sys::setsid();
        raise(SIGTSTP);
        raise(SIGTTIN);
        6
    }), WUNTRACED, 5);
    s.check("orphaned_group_tstp_discarded", st.and_then(exited) == Some(6), format_args!("{}", St(st)));
    let c = spawn(|| {
        sys::setsid();
        raise(SIGSTOP);
        0
    });
    let st = reap(c, WUNTRACED, 5);
    s.check("orphaned_group_sigstop_stops", st.and_then(stopped) == Some(SIGSTOP as i32), format_args!("{}", St(st)));
    sys::kill(c as i32, SIGKILL);
    reap(c, 0, 5);
    clean();
}

static mut CHLD_INFO: [SigInfo; 4] = [SigInfo { si_signo: 0, si_errno: 0, si_code: 0, fields: [0; 29] }; 4];
static CHLD_N: AtomicU32 = AtomicU32::new(0);

fn chld_hook(_: u32, info: *mut SigInfo, _: *mut UContext) {
    let n = CHLD_N.load(SeqCst) as usize;
    if n < 4 {
        // SAFETY: `info` points into the frame; the array has room.
        unsafe { (*core::ptr::addr_of_mut!(CHLD_INFO))[n] = info.read_volatile() };
        CHLD_N.store(n as u32 + 1, SeqCst);
    }
}

fn chld(i: usize) -> SigInfo {
    // SAFETY: single-threaded.
    unsafe { (*core::ptr::addr_of!(CHLD_INFO))[i] }
}

fn sigchld(s: &mut Suite) {
    s.group("sigchld");
    clean();
    CHLD_N.store(0, SeqCst);
    set_hook(Some(chld_hook));
    install(SIGCHLD, SA_SIGINFO | SA_RESTART, 0);
    let c = spawn(|| 7);
    let st = reap(c, 0, 5);
    s.check("exit_reaped", st.and_then(exited) == Some(7), format_args!("{}", St(st)));
    s.eq("one_sigchld", CHLD_N.load(SeqCst) as isize, 1);
    let i = chld(0);
    s.eq("exited_signo", i.si_signo as isize, SIGCHLD as isize);
    s.eq("exited_code", i.si_code as isize, CLD_EXITED as isize);
    s.eq("exited_pid", i.si_pid() as isize, c);
    s.eq("exited_status", i.si_status() as isize, 7);
    s.eq("exited_uid", i.si_uid() as isize, sys::getuid());
    let c = spawn(|| {
        raise(SIGTERM);
        0
    });
    reap(c, 0, 5);
    let i = chld(1);
    s.eq("killed_code", i.si_code as isize, CLD_KILLED as isize);
    s.eq("killed_status", i.si_status() as isize, SIGTERM as isize);
    let c = spawn(|| {
        raise(SIGSTOP);
        0
    });
    reap(c, WUNTRACED, 5);
    let i = chld(2);
    s.eq("stopped_code", i.si_code as isize, CLD_STOPPED as isize);
    s.eq("stopped_status", i.si_status() as isize, SIGSTOP as isize);
    sys::kill(c as i32, SIGCONT);
    reap(c, WCONTINUED, 5);
    // (Linux sends this SIGCHLD when the child runs again, which may be
    // after the wait above returned: look once the child has exited)
    reap(c, 0, 5);
    let i = chld(3);
    s.eq("continued_code", i.si_code as isize, CLD_CONTINUED as isize);
    s.eq("continued_status", i.si_status() as isize, SIGCONT as isize);
    // waitid reports the same
    disposition(SIGCHLD, SIG_DFL);
    let c = spawn(|| 6);
    let mut info = SigInfo::default();
    let r = sys::waitid(P_PID, c as i32, Some(&mut info), WEXITED);
    s.eq("waitid_ok", r, 0);
    s.check(
        "waitid_info",
        info.si_signo == SIGCHLD as i32 && info.si_code == CLD_EXITED && info.si_pid() as isize == c && info.si_status() == 6,
        format_args!("signo {} code {} status {}", info.si_signo, info.si_code, info.si_status()),
    );
    let c = spawn(|| {
        sleep_ms(300);
        0
    });
    let r = sys::waitid(P_PID, c as i32, Some(&mut info), WEXITED | WNOHANG);
    s.check("waitid_nohang_zero", r == 0 && info.si_pid() == 0, format_args!("waitid gave {}, si_pid {}", Show(r), info.si_pid()));
    let r = sys::waitid(P_PID, c as i32, Some(&mut info), WEXITED | WNOWAIT);
    s.check("waitid_nowait", r == 0 && info.si_pid() as isize == c, format_args!("waitid gave {}", Show(r)));
    let st = reap(c, 0, 5);
    s.check("reaped_after_nowait", st.and_then(exited) == Some(0), format_args!("{}", St(st)));
    s.err("waitid_bad_options", sys::waitid(P_ALL, 0, Some(&mut info), 0), EINVAL);
    // a parent that ignores SIGCHLD leaves no zombies: wait finds nothing
    disposition(SIGCHLD, SIG_IGN);
    let c = spawn(|| 0);
    let r = sys::wait4(c as i32, None, 0);
    s.err("ignored_sigchld_no_zombie", r, ECHILD);
    clean();
}

fn pipes(s: &mut Suite) {
    s.group("sigpipe");
    clean();
    let st = reap(spawn(|| {
        let mut fds = [0i32; 2];
        sys::pipe2(&mut fds, 0);
        sys::close(fds[0]);
        sys::write(fds[1], b"x");
        0
    }), 0, 5);
    s.check("kills_writer", st.and_then(signaled) == Some(SIGPIPE as i32), format_args!("{}", St(st)));
    let mut fds = [0i32; 2];
    sys::pipe2(&mut fds, 0);
    sys::close(fds[0]);
    disposition(SIGPIPE, SIG_IGN);
    s.err("ignored_epipe", sys::write(fds[1], b"x"), EPIPE);
    install(SIGPIPE, SA_SIGINFO, 0);
    s.err("handled_epipe", sys::write(fds[1], b"x"), EPIPE);
    s.eq("handler_ran", count() as isize, 1);
    sys::close(fds[1]);
    clean();
}

static FLAG: AtomicU32 = AtomicU32::new(0);

fn set_flag(_: u32, _: *mut SigInfo, _: *mut UContext) {
    FLAG.store(1, SeqCst);
}

/// Spin without system calls until FLAG is set.
fn spin_until_flag() {
    while FLAG.load(SeqCst) == 0 {
        core::hint::spin_loop();
    }
}

fn spinning(s: &mut Suite) {
    s.group("spinning");
    clean();
    let (rd, wr) = {
        let mut fds = [0i32; 2];
        sys::pipe2(&mut fds, 0);
        (fds[0], fds[1])
    };
    let c = spawn(|| {
        FLAG.store(0, SeqCst);
        set_hook(Some(set_flag));
        install(SIGUSR1, 0, 0);
        sys::write(wr, b"r");
        spin_until_flag();
        42
    });
    let mut b = [0u8; 1];
    sys::read(rd, &mut b);
    sleep_ms(100);
    sys::kill(c as i32, SIGUSR1);
    let st = reap(c, 0, 10);
    s.check("handler_interrupts_spin", st.and_then(exited) == Some(42), format_args!("{}", St(st)));
    let c = spawn(|| {
        sys::write(wr, b"r");
        spin_until_flag();
        0
    });
    sys::read(rd, &mut b);
    sleep_ms(100);
    sys::kill(c as i32, SIGSTOP);
    let st = reap(c, WUNTRACED, 10);
    s.check("stop_spinning", st.and_then(stopped) == Some(SIGSTOP as i32), format_args!("{}", St(st)));
    sys::kill(c as i32, SIGCONT);
    reap(c, WCONTINUED, 10);
    sys::kill(c as i32, SIGTERM);
    let st = reap(c, 0, 10);
    s.check("terminate_spinning", st.and_then(signaled) == Some(SIGTERM as i32), format_args!("{}", St(st)));
    let c = spawn(|| {
        sys::write(wr, b"r");
        spin_until_flag();
        0
    });
    sys::read(rd, &mut b);
    sys::kill(c as i32, SIGKILL);
    let st = reap(c, 0, 10);
    s.check("kill_spinning", st.and_then(signaled) == Some(SIGKILL as i32), format_args!("{}", St(st)));
    sys::close(rd);
    sys::close(wr);
    clean();
}
