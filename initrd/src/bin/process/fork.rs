//! fork and copy-on-write, vfork, the wait family, zombies and orphans.

use crate::{exit_code, spawn, wait};
use core::arch::asm;
use initrd::conformance::{Show, Suite};
use linux_rt::consts::*;
use linux_rt::errno::*;
use linux_rt::sys;
use linux_rt::types::*;

pub fn run(s: &mut Suite) {
    fork(s);
    vfork(s);
    waits(s);
    orphans(s);
}

static mut GLOBAL: u32 = 1;

fn global() -> u32 {
    // SAFETY: single-threaded.
    unsafe { core::ptr::addr_of!(GLOBAL).read_volatile() }
}
fn set_global(v: u32) {
    // SAFETY: single-threaded.
    unsafe { core::ptr::addr_of_mut!(GLOBAL).write_volatile(v) }
}

fn fork(s: &mut Suite) {
    s.group("fork");
    let parent = sys::getpid();
    let c = spawn(|| if sys::getppid() == parent { 0 } else { 1 });
    s.check("returns_child_pid", c > 0 && c != parent, format_args!("fork gave {}", Show(c)));
    s.eq("child_sees_parent", exit_code(wait(c)).unwrap_or(-1) as isize, 0);
    // copy-on-write: the child's writes stay in the child
    set_global(1);
    let mut stack = [7u8; 3000];
    let mut heap = alloc::vec![5u8; 1 << 20];
    let c = spawn(|| {
        set_global(2);
        stack[0] = 8;
        for i in (0..heap.len()).step_by(4096) {
            heap[i] = 9;
        }
        let seen = global() == 2 && stack[0] == 8 && heap[4096 * 100] == 9;
        if seen {
            0
        } else {
            1
        }
    });
    s.eq("child_sees_own_writes", exit_code(wait(c)).unwrap_or(-1) as isize, 0);
    s.eq("parent_global_kept", global() as isize, 1);
    s.eq("parent_stack_kept", stack[0] as isize, 7);
    s.check("parent_heap_kept", heap.iter().step_by(4096).all(|&b| b == 5), format_args!("a heap page changed"));
    // and the parent's later writes do not reach the child
    let mut fds = [0i32; 2];
    sys::pipe2(&mut fds, 0);
    let c = spawn(|| {
        let mut b = [0u8; 1];
        sys::read(fds[0], &mut b);
        if global() == 1 && heap[0] == 5 {
            0
        } else {
            1
        }
    });
    set_global(3);
    heap[0] = 6;
    sys::write(fds[1], b"g");
    s.eq("child_keeps_its_copy", exit_code(wait(c)).unwrap_or(-1) as isize, 0);
    sys::close(fds[0]);
    sys::close(fds[1]);
    drop(heap);
    // open file descriptions are shared: the offset moves for both
    let file = initrd::conformance::cs(&alloc::format!("/tmp/process.{}/offset", sys::getpid()));
    initrd::conformance::put(&file, b"0123456789");
    let fd2 = sys::open(&file, O_RDONLY, 0) as i32;
    let c = spawn(|| {
        let mut b = [0u8; 3];
        sys::read(fd2, &mut b);
        0
    });
    wait(c);
    let mut b = [0u8; 1];
    sys::read(fd2, &mut b);
    s.eq("shared_offset", b[0] as isize, b'3' as isize);
    sys::close(fd2);
    // the child does not inherit pending signals or the alarm
    let act = SigAction { handler: SIG_IGN, ..Default::default() };
    // SAFETY: no handler code.
    unsafe { sys::rt_sigaction(SIGUSR1, Some(&act), None, 8) };
    let m = sigbit(SIGUSR1);
    sys::rt_sigprocmask(SIG_BLOCK, Some(&m), None, 8);
    sys::kill(sys::getpid() as i32, SIGUSR1);
    sys::alarm(100);
    let c = spawn(|| {
        let mut p = 0u64;
        sys::rt_sigpending(&mut p, 8);
        let left = sys::alarm(0);
        let mut mask = 0u64;
        sys::rt_sigprocmask(SIG_BLOCK, None, Some(&mut mask), 8);
        if p == 0 && left == 0 && mask == sigbit(SIGUSR1) {
            0
        } else {
            1
        }
    });
    s.eq("pending_and_alarm_not_inherited_mask_is", exit_code(wait(c)).unwrap_or(-1) as isize, 0);
    sys::alarm(0);
    let mut p = 0u64;
    sys::rt_sigpending(&mut p, 8);
    s.check("parent_still_pending", p == sigbit(SIGUSR1), format_args!("pending {p:#x}"));
    // unblocked while ignored, the pending SIGUSR1 is dropped
    sys::rt_sigprocmask(SIG_SETMASK, Some(&0), None, 8);
    let act = SigAction::default();
    // SAFETY: back to SIG_DFL.
    unsafe { sys::rt_sigaction(SIGUSR1, Some(&act), None, 8) };
}

static mut SHARED: u32 = 0;

fn vfork(s: &mut Suite) {
    s.group("vfork");
    // SAFETY: touched before the vfork so that the page exists.
    unsafe { core::ptr::addr_of_mut!(SHARED).write_volatile(1) };
    let pid: isize;
    // SAFETY: the child only stores to SHARED and calls exit(7) in the
    // same instructions, touching neither the stack nor Rust state; the
    // parent resumes after the child's exit.
    unsafe {
        asm!(
            "int 0x80",
            "test eax, eax",
            "jnz 2f",
            "mov dword ptr [{shared}], 0x1234",
            "mov eax, 1",
            "mov ebx, 7",
            "int 0x80",
            "2:",
            shared = sym SHARED,
            inlateout("eax") linux_rt::nr::VFORK as isize => pid,
            out("ebx") _,
        )
    };
    s.check("returns_child_pid", pid > 0, format_args!("vfork gave {}", Show(pid)));
    // SAFETY: single-threaded.
    let v = unsafe { core::ptr::addr_of!(SHARED).read_volatile() };
    s.check("memory_shared", v == 0x1234, format_args!("the child's store is not seen: {v:#x}"));
    let st = wait(pid);
    s.eq("child_exit_status", exit_code(st).unwrap_or(-1) as isize, 7);

    // clone with CLONE_VFORK but not CLONE_VM: the parent waits, but the
    // child has a copy of the memory
    // SAFETY: as above.
    unsafe { core::ptr::addr_of_mut!(SHARED).write_volatile(1) };
    let pid: isize;
    // SAFETY: as above; the child's memory is its own copy.
    unsafe {
        asm!(
            "int 0x80",
            "test eax, eax",
            "jnz 2f",
            "mov dword ptr [{shared}], 0x5678",
            "mov eax, 1",
            "mov ebx, 9",
            "int 0x80",
            "2:",
            shared = sym SHARED,
            // clone(CLONE_VFORK | SIGCHLD, same stack); no flag reads the
            // other arguments
            inlateout("eax") 120isize => pid,
            inlateout("ebx") 0x4000 | SIGCHLD as usize => _,
            in("ecx") 0,
        )
    };
    s.check("clone_vfork_returns_child_pid", pid > 0, format_args!("clone gave {}", Show(pid)));
    // SAFETY: single-threaded.
    let v = unsafe { core::ptr::addr_of!(SHARED).read_volatile() };
    s.check("clone_vfork_without_vm_copies", v == 1, format_args!("the child's store is seen: {v:#x}"));
    // (the parent resumes when the child has let go of its memory, which
    // on Linux is before it is a zombie: a blocking wait)
    let st = wait(pid);
    s.eq("clone_vfork_child_exit_status", exit_code(st).unwrap_or(-1) as isize, 9);
}

fn waits(s: &mut Suite) {
    s.group("wait");
    s.err("no_children_echild", sys::wait4(-1, None, 0), ECHILD);
    s.err("nohang_no_children_echild", sys::wait4(-1, None, WNOHANG), ECHILD);
    let mut fds = [0i32; 2];
    sys::pipe2(&mut fds, 0);
    let c = spawn(|| {
        let mut b = [0u8; 1];
        sys::read(fds[0], &mut b);
        3
    });
    let mut st = 0;
    s.eq("nohang_running_zero", sys::wait4(c as i32, Some(&mut st), WNOHANG), 0);
    s.err("other_pid_echild", sys::wait4(c as i32 + 100_000, None, WNOHANG), ECHILD);
    s.err("bad_options_einval", sys::wait4(-1, None, 0x100), EINVAL);
    sys::write(fds[1], b"x");
    // a zombie until it is waited for
    let t0 = now_ms();
    let mut state = 0u8;
    while now_ms() - t0 < 5000 {
        state = proc_state(c as i32);
        if state == b'Z' {
            break;
        }
        sys::sched_yield();
    }
    s.eq("zombie_in_proc", state as isize, b'Z' as isize);
    s.eq("reaped_status", exit_code(wait(c)).unwrap_or(-1) as isize, 3);
    s.eq("gone_after_reaping", proc_state(c as i32) as isize, 0);
    sys::close(fds[0]);
    sys::close(fds[1]);
    // any child, and the children of our process group
    let a = spawn(|| 1);
    let b = spawn(|| 2);
    let mut got = [0isize; 2];
    for g in got.iter_mut() {
        *g = sys::wait4(-1, None, 0);
    }
    got.sort();
    let mut want = [a, b];
    want.sort();
    s.check("any_child", got == want, format_args!("wait4(-1) gave {:?}", got));
    let c = spawn(|| 4);
    s.eq("own_group", sys::wait4(0, None, 0), c);
    let c = spawn(|| {
        sys::setpgid(0, 0);
        5
    });
    let r = sys::wait4(-(c as i32), None, 0);
    // (the child may not have moved yet: then it is in our group)
    s.check("by_group", r == c || r == -ECHILD, format_args!("wait4(-pgid) gave {}", Show(r)));
    if r != c {
        wait(c);
    }
    let c = spawn(|| 6);
    let mut info = SigInfo::default();
    s.eq("waitid_by_pid", sys::waitid(P_PID, c as i32, Some(&mut info), WEXITED), 0);
    s.check("waitid_status", info.si_status() == 6 && info.si_pid() as isize == c, format_args!("status {} pid {}", info.si_status(), info.si_pid()));
    // (P_PGID 0 is the caller's own group since Linux 5.4)
    s.err("waitid_pgid_0_own_group", sys::waitid(P_PGID, 0, Some(&mut info), WEXITED), ECHILD);
    s.err("waitid_pid_0_einval", sys::waitid(P_PID, 0, Some(&mut info), WEXITED), EINVAL);
}

/// The state letter of process `pid` in /proc (0 if there is none).
pub fn proc_state(pid: i32) -> u8 {
    let path = initrd::conformance::cs(&alloc::format!("/proc/{pid}/stat"));
    let Some(stat) = initrd::conformance::get(&path) else { return 0 };
    // "pid (comm) S ..." (comm may hold spaces: the last ')')
    let Some(close) = stat.iter().rposition(|&b| b == b')') else { return 0 };
    stat.get(close + 2).copied().unwrap_or(0)
}

pub fn now_ms() -> u64 {
    let mut t = Timespec::default();
    sys::clock_gettime(CLOCK_MONOTONIC, &mut t);
    t.tv_sec as u64 * 1000 + t.tv_nsec as u64 / 1_000_000
}

fn orphans(s: &mut Suite) {
    s.group("orphans");
    let mut fds = [0i32; 2];
    sys::pipe2(&mut fds, 0);
    let c = spawn(|| {
        let me = sys::getpid();
        let g = spawn(|| {
            // wait for our parent to be gone
            let t0 = now_ms();
            while sys::getppid() == me && now_ms() - t0 < 5000 {
                sys::sched_yield();
            }
            let ppid = sys::getppid() as u32;
            let reparented: u32 = (ppid != me as u32) as u32;
            sys::write(fds[1], &reparented.to_le_bytes());
            0
        });
        if g > 0 {
            0
        } else {
            1
        }
    });
    s.eq("parent_exits", exit_code(wait(c)).unwrap_or(-1) as isize, 0);
    let mut b = [0u8; 4];
    let r = sys::read(fds[0], &mut b);
    s.check("grandchild_reparented", r == 4 && u32::from_le_bytes(b) == 1, format_args!("read {}, flag {:?}", Show(r), b));
    // (when this program is the first process, the orphan is now ours)
    sys::wait4(-1, None, 0);
    sys::close(fds[0]);
    sys::close(fds[1]);
}
