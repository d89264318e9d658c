//! Process groups and sessions (setpgid, getpgid, getpgrp, setsid,
//! getsid), signals to groups, and /proc of processes.

use crate::{exit_code, spawn, wait};
use initrd::conformance::{get, Show, Suite};
use linux_rt::types::{SigAction, Timespec};
use linux_rt::consts::*;
use linux_rt::errno::*;
use linux_rt::sys;

pub fn run(s: &mut Suite) {
    groups(s);
    procfs(s);
}

fn groups(s: &mut Suite) {
    s.group("pgrp");
    let me = sys::getpid();
    s.eq("getpgrp_is_getpgid_0", sys::getpgrp(), sys::getpgid(0));
    s.eq("getpgid_self", sys::getpgid(me as i32), sys::getpgid(0));
    s.err("getpgid_esrch", sys::getpgid(0x3fff_fff0), ESRCH);
    s.eq("getsid_self", sys::getsid(0), sys::getsid(me as i32));
    s.err("getsid_esrch", sys::getsid(0x3fff_fff0), ESRCH);
    // a child in a group of its own, and back
    let c = spawn(|| {
        let me = sys::getpid();
        let ok = sys::setpgid(0, 0) == 0 && sys::getpgrp() == me;
        if ok {
            0
        } else {
            1
        }
    });
    s.eq("child_own_group", exit_code(wait(c)).unwrap_or(-1) as isize, 0);
    // the parent moves a child; the child sees it
    let mut fds = [0i32; 2];
    sys::pipe2(&mut fds, 0);
    let c = spawn(|| {
        let mut b = [0u8; 1];
        sys::read(fds[0], &mut b);
        if sys::getpgrp() == sys::getpid() {
            0
        } else {
            1
        }
    });
    s.eq("parent_sets_child_group", sys::setpgid(c as i32, c as i32), 0);
    s.eq("getpgid_child", sys::getpgid(c as i32), c);
    s.eq("kill_group", sys::kill(-(c as i32), 0), 0);
    sys::write(fds[1], b"x");
    s.eq("child_saw_it", exit_code(wait(c)).unwrap_or(-1) as isize, 0);
    s.err("kill_gone_group_esrch", sys::kill(-(c as i32), 0), ESRCH);
    s.err("setpgid_no_such_process_esrch", sys::setpgid(c as i32, c as i32), ESRCH);
    s.err("setpgid_negative_einval", sys::setpgid(0, -1), EINVAL);
    // a child that has exec'd can no longer be moved
    let c = spawn(|| {
        let args = crate::CArray::new(&["sleep-helper", "sleep", "500"]);
        let env = crate::CArray::new(&[]);
        // SAFETY: NULL-terminated arrays that are alive.
        unsafe { sys::execve(c"/proc/self/exe", args.as_ptr(), env.as_ptr()) };
        1
    });
    // wait until the exec happened (the child's command line changes)
    let t0 = crate::fork::now_ms();
    let path = initrd::conformance::cs(&alloc::format!("/proc/{c}/cmdline"));
    while crate::fork::now_ms() - t0 < 5000 {
        if get(&path).is_some_and(|v| v.starts_with(b"sleep-helper")) {
            break;
        }
        sys::sched_yield();
    }
    s.err("after_exec_eacces", sys::setpgid(c as i32, c as i32), EACCES);
    wait(c);
    // sessions
    let c = spawn(|| {
        let me = sys::getpid();
        let sid = sys::setsid();
        let ok = sid == me && sys::getsid(0) == me && sys::getpgrp() == me;
        // a session leader cannot move into another group
        let again = sys::setsid();
        let moved = sys::setpgid(0, 0);
        if !ok {
            1
        } else if again != -EPERM {
            2
        } else if moved != -EPERM {
            3
        } else {
            0
        }
    });
    s.eq("setsid_new_session", exit_code(wait(c)).unwrap_or(-1) as isize, 0);
    let c = spawn(|| {
        // a group leader cannot start a session
        sys::setpgid(0, 0);
        if sys::setsid() == -EPERM {
            0
        } else {
            1
        }
    });
    s.eq("setsid_group_leader_eperm", exit_code(wait(c)).unwrap_or(-1) as isize, 0);
    // a child in another session cannot be put in our group (one pipe
    // each way: "in its session", "done")
    let mut up = [0i32; 2];
    let mut down = [0i32; 2];
    sys::pipe2(&mut up, 0);
    sys::pipe2(&mut down, 0);
    let c = spawn(|| {
        sys::setsid();
        sys::write(up[1], b"s");
        let mut b = [0u8; 1];
        sys::read(down[0], &mut b);
        0
    });
    let mut b = [0u8; 1];
    sys::read(up[0], &mut b);
    let r = sys::setpgid(c as i32, sys::getpgrp() as i32);
    s.err("other_session_eperm", r, EPERM);
    sys::write(down[1], b"x");
    wait(c);
    for fd in up.iter().chain(down.iter()) {
        sys::close(*fd);
    }
    // kill(0, sig) reaches the caller's group: the child's group here
    let c = spawn(|| {
        sys::setpgid(0, 0);
        let act = SigAction { handler: SIG_IGN, ..Default::default() };
        // SAFETY: no handler code.
        unsafe { sys::rt_sigaction(SIGUSR1, Some(&act), None, 8) };
        let g = spawn(|| {
            sys::nanosleep(&Timespec { tv_sec: 5, tv_nsec: 0 }, None);
            0
        });
        sys::nanosleep(&Timespec { tv_sec: 0, tv_nsec: 100_000_000 }, None);
        // SIGTERM to the group: g and this process end
        sys::kill(0, SIGTERM);
        let _ = g;
        0
    });
    let st = wait(c);
    s.check(
        "kill_0_own_group",
        st.is_some_and(|st| st & 0x7F == SIGTERM as i32),
        format_args!("the child ended with status {:?}", st),
    );
}

fn procfs(s: &mut Suite) {
    s.group("proc");
    let me = sys::getpid();
    let stat = get(c"/proc/self/stat").unwrap_or_default();
    let text = alloc::string::String::from_utf8_lossy(&stat).into_owned();
    let fields: alloc::vec::Vec<&str> = text.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    s.check("stat_pid", text.starts_with(&alloc::format!("{me} (")), format_args!("{text:?}"));
    s.check("stat_comm", text.contains("(process)"), format_args!("{text:?}"));
    s.check("stat_state_running", fields.first() == Some(&"R"), format_args!("state {:?}", fields.first()));
    s.check("stat_ppid", fields.get(1) == Some(&alloc::format!("{}", sys::getppid()).as_str()), format_args!("ppid {:?}", fields.get(1)));
    s.check("stat_pgrp", fields.get(2) == Some(&alloc::format!("{}", sys::getpgrp()).as_str()), format_args!("pgrp {:?}", fields.get(2)));
    s.check("stat_field_count", fields.len() + 2 >= 44, format_args!("{} fields", fields.len() + 2));
    let status = alloc::string::String::from_utf8_lossy(&get(c"/proc/self/status").unwrap_or_default()).into_owned();
    s.check("status_name", status.lines().any(|l| l == "Name:\tprocess"), format_args!("{status:?}"));
    s.check("status_pid", status.lines().any(|l| l == alloc::format!("Pid:\t{me}")), format_args!("no Pid line"));
    let cmd = get(c"/proc/self/cmdline").unwrap_or_default();
    s.check("cmdline_nul_terminated", cmd.last() == Some(&0) && cmd.iter().filter(|&&b| b == 0).count() == 1, format_args!("{cmd:?}"));
    let mut st1 = linux_rt::types::Stat64::default();
    let mut st2 = linux_rt::types::Stat64::default();
    sys::stat64(c"/proc/self/exe", &mut st1);
    let mut buf = [0u8; 512];
    let n = sys::readlink(c"/proc/self/exe", &mut buf);
    let exe = initrd::conformance::cs(core::str::from_utf8(&buf[..n.max(0) as usize]).unwrap_or(""));
    sys::stat64(&exe, &mut st2);
    s.check("exe_is_the_program", st1.st_ino == st2.st_ino && st1.st_ino != 0, format_args!("readlink gave {:?}", exe));
    let fd = sys::open(c"/dev/null", O_RDONLY, 0) as i32;
    let link = initrd::conformance::cs(&alloc::format!("/proc/self/fd/{fd}"));
    let n = sys::readlink(&link, &mut buf);
    s.check("fd_link", n > 0 && &buf[..n as usize] == b"/dev/null", format_args!("readlink gave {}", Show(n)));
    sys::close(fd);
    s.err("fd_link_closed", sys::readlink(&link, &mut buf), ENOENT);
    // a stopped child shows T
    let c = spawn(|| {
        sys::kill(sys::getpid() as i32, SIGSTOP);
        0
    });
    let mut st = 0;
    sys::wait4(c as i32, Some(&mut st), WUNTRACED);
    s.eq("stopped_state", crate::fork::proc_state(c as i32) as isize, b'T' as isize);
    sys::kill(c as i32, SIGCONT);
    wait(c);
}
