//! execve: arguments and environment, `#!` scripts (with an interpreter
//! argument), errors, close-on-exec, what happens to signal state, and the
//! helper modes the checks exec this program in.

use crate::{exit_code, spawn, wait, CArray};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use initrd::conformance::{cs, put, Show, Suite};
use linux_rt::consts::*;
use linux_rt::errno::*;
use linux_rt::sys;
use linux_rt::types::*;
use linux_rt::Args;

/// The program's own path (for exec'ing itself).
fn self_path() -> String {
    let mut b = [0u8; 512];
    let n = sys::readlink(c"/proc/self/exe", &mut b);
    String::from_utf8_lossy(&b[..n.max(0) as usize]).into_owned()
}

fn arg(args: &Args, i: usize) -> &[u8] {
    args.arg(i).unwrap_or(b"")
}

/// The program run with arguments, as the checks exec it.
pub fn helper(args: &Args) -> i32 {
    let num = |s: &[u8]| core::str::from_utf8(s).ok().and_then(|s| s.parse::<i32>().ok()).unwrap_or(-1);
    match arg(args, 1) {
        b"exit" => num(arg(args, 2)),
        b"sleep" => {
            let ms = num(arg(args, 2)).max(0);
            sys::nanosleep(&Timespec { tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000 }, None);
            0
        }
        b"args" => {
            // argv: self "args" "two words" "" "last"; environment: A=1 B=x y
            let ok_args = args.argc == 5 && arg(args, 2) == b"two words" && arg(args, 3) == b"" && arg(args, 4) == b"last";
            let env: Vec<&[u8]> = args.env().collect();
            let ok_env = env == [b"A=1".as_slice(), b"B=x y".as_slice()];
            match (ok_args, ok_env) {
                (true, true) => 0,
                (false, _) => 1,
                (_, false) => 2,
            }
        }
        b"fd" => {
            let fd = num(arg(args, 2));
            let r = initrd::conformance::fcntl(fd, F_GETFD, 0);
            if r == -EBADF {
                0
            } else {
                1
            }
        }
        b"sig" => {
            // bit 0: SIGUSR1 handled before exec is now SIG_DFL; bit 1:
            // SIGUSR2 stays ignored; bit 2: the mask (SIGINT) kept; bit 3:
            // SIGTERM is still pending
            let get = |sig| {
                let mut a = SigAction::default();
                // SAFETY: only reads.
                unsafe { sys::rt_sigaction(sig, None, Some(&mut a), 8) };
                a.handler
            };
            let mut mask = 0u64;
            sys::rt_sigprocmask(SIG_BLOCK, None, Some(&mut mask), 8);
            let mut pending = 0u64;
            sys::rt_sigpending(&mut pending, 8);
            (get(SIGUSR1) == SIG_DFL) as i32
                | ((get(SIGUSR2) == SIG_IGN) as i32) << 1
                | ((mask == sigbit(SIGINT) | sigbit(SIGTERM)) as i32) << 2
                | ((pending == sigbit(SIGTERM)) as i32) << 3
        }
        b"--interp" => {
            // run as the interpreter of a script: self --interp SCRIPT ARG
            let script = arg(args, 2);
            let ok = args.argc == 4 && script.ends_with(b"/script") && arg(args, 3) == b"given";
            if ok {
                33
            } else {
                34
            }
        }
        _ => 100,
    }
}

/// exec `path` with `argv` and `envp` in a child; its wait status.
fn exec_child(path: &str, argv: &[&str], envp: &[&str]) -> (Option<i32>, isize) {
    let p = cs(path);
    let (a, e) = (CArray::new(argv), CArray::new(envp));
    let mut fds = [0i32; 2];
    sys::pipe2(&mut fds, O_CLOEXEC);
    let c = spawn(|| {
        // SAFETY: the arrays are NULL-terminated and alive.
        let r = unsafe { sys::execve(&p, a.as_ptr(), e.as_ptr()) };
        // exec failed: report its error through the pipe
        sys::write(fds[1], &(r as i32).to_le_bytes());
        127
    });
    sys::close(fds[1]);
    let mut b = [0u8; 4];
    let n = sys::read(fds[0], &mut b);
    sys::close(fds[0]);
    let err = if n == 4 { i32::from_le_bytes(b) as isize } else { 0 };
    (wait(c), err)
}

pub fn run(s: &mut Suite, dir: &str) {
    s.group("execve");
    let me = self_path();
    s.check("self_path", me.starts_with('/'), format_args!("readlink /proc/self/exe gave {me:?}"));
    let (st, e) = exec_child(&me, &[&me, "exit", "5"], &[]);
    s.check("runs_program", exit_code(st) == Some(5) && e == 0, format_args!("status {:?}, exec error {}", st, Show(e)));
    let (st, _) = exec_child(&me, &[&me, "args", "two words", "", "last"], &["A=1", "B=x y"]);
    s.eq("argv_and_envp", exit_code(st).unwrap_or(-1) as isize, 0);
    let (st, _) = exec_child("/proc/self/exe", &["x", "exit", "6"], &[]);
    s.eq("via_proc_self_exe", exit_code(st).unwrap_or(-1) as isize, 6);
    // errors (the child reports them)
    let (_, e) = exec_child("/nonexistent/program", &["x"], &[]);
    s.err("enoent", e, ENOENT);
    let plain = format!("{dir}/plain");
    put(&cs(&plain), b"just text\n");
    let (_, e) = exec_child(&plain, &["x"], &[]);
    s.err("not_executable_eacces", e, EACCES);
    sys_chmod(&plain, 0o755);
    let (_, e) = exec_child(&plain, &["x"], &[]);
    s.err("not_a_program_enoexec", e, ENOEXEC);
    let (_, e) = exec_child(dir, &["x"], &[]);
    s.err("directory_eacces", e, EACCES);
    let badelf = format!("{dir}/badelf");
    put(&cs(&badelf), b"\x7fELF\x01\x01\x01\x00garbage that is no program at all............................");
    sys_chmod(&badelf, 0o755);
    let (_, e) = exec_child(&badelf, &["x"], &[]);
    s.err("bad_elf_enoexec", e, ENOEXEC);
    // a #! script: interpreter, its argument, the script, the arguments
    let script = format!("{dir}/script");
    put(&cs(&script), format!("#!{me} --interp\nnot read by anyone\n").as_bytes());
    sys_chmod(&script, 0o755);
    let (st, e) = exec_child(&script, &["script", "given"], &[]);
    s.check("hashbang_script", exit_code(st) == Some(33), format_args!("status {:?}, exec error {}", st, Show(e)));
    let loopy = format!("{dir}/loop");
    put(&cs(&loopy), format!("#!{dir}/loop\n").as_bytes());
    sys_chmod(&loopy, 0o755);
    let (_, e) = exec_child(&loopy, &["x"], &[]);
    s.err("script_loop_eloop", e, ELOOP);
    let missing = format!("{dir}/missing-interp");
    put(&cs(&missing), b"#!/nonexistent/interpreter\n");
    sys_chmod(&missing, 0o755);
    let (_, e) = exec_child(&missing, &["x"], &[]);
    s.err("missing_interpreter_enoent", e, ENOENT);
    // close-on-exec
    let keep = sys::open(c"/dev/null", O_RDONLY, 0) as i32;
    let gone = sys::open(c"/dev/null", O_RDONLY | O_CLOEXEC, 0) as i32;
    let (st, _) = exec_child(&me, &[&me, "fd", &format!("{gone}")], &[]);
    s.eq("cloexec_closed", exit_code(st).unwrap_or(-1) as isize, 0);
    let (st, _) = exec_child(&me, &[&me, "fd", &format!("{keep}")], &[]);
    s.eq("others_stay_open", exit_code(st).unwrap_or(-1) as isize, 1);
    sys::close(keep);
    sys::close(gone);
    // signal state: handlers reset, ignored stays ignored, mask and
    // pending signals kept
    extern "C" fn handler(_: i32) {}
    let h = SigAction { handler: handler as *const () as usize, ..Default::default() };
    let ign = SigAction { handler: SIG_IGN, ..Default::default() };
    // SAFETY: the handler is never run (SIGUSR1 is not sent before exec).
    unsafe {
        sys::rt_sigaction(SIGUSR1, Some(&h), None, 8);
        sys::rt_sigaction(SIGUSR2, Some(&ign), None, 8);
    }
    let c = spawn(|| {
        let m = sigbit(SIGINT) | sigbit(SIGTERM);
        sys::rt_sigprocmask(SIG_SETMASK, Some(&m), None, 8);
        sys::kill(sys::getpid() as i32, SIGTERM);
        let (p, a, e) = (cs(&me), CArray::new(&[&me, "sig"]), CArray::new(&[]));
        // SAFETY: NULL-terminated arrays that are alive.
        unsafe { sys::execve(&p, a.as_ptr(), e.as_ptr()) };
        99
    });
    let st = exit_code(wait(c)).unwrap_or(-1);
    s.check("handler_reset_to_default", st >= 0 && st & 1 != 0, format_args!("helper status {st:#x}"));
    s.check("ignored_stays_ignored", st >= 0 && st & 2 != 0, format_args!("helper status {st:#x}"));
    s.check("mask_kept", st >= 0 && st & 4 != 0, format_args!("helper status {st:#x}"));
    s.check("pending_kept", st >= 0 && st & 8 != 0, format_args!("helper status {st:#x}"));
    let dfl = SigAction::default();
    // SAFETY: back to SIG_DFL.
    unsafe {
        sys::rt_sigaction(SIGUSR1, Some(&dfl), None, 8);
        sys::rt_sigaction(SIGUSR2, Some(&dfl), None, 8);
    }
    // bad pointers
    let r = initrd::conformance::raw(linux_rt::nr::EXECVE, &[initrd::conformance::BAD, 0, 0]);
    s.err("bad_path_efault", r, EFAULT);
}

fn sys_chmod(path: &str, mode: u32) {
    // chmod(2) is number 15
    initrd::conformance::raw(15, &[cs(path).as_ptr() as usize, mode as usize]);
}
