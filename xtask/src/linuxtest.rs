//! System tests of the Linux personality: the same static i386 programs run
//! natively on the host kernel (the reference) and inside the system on
//! QEMU, with their output and exit status compared.

use crate::image::Images;
use crate::linuxprog::{self, parse_report};
use crate::qemu::{Boot, Exit};
use crate::suite::Suite;
use crate::systest::{system_boot, tail};
use anyhow::{bail, ensure, Context, Result};
use std::time::Duration;

/// Run a Linux program as the first process inside the system; returns the
/// console output the program produced and its exit status.
pub fn run_in_system(images: &Images, argv: &[&str], cpu: &str, mach: bool, timeout: Duration) -> Result<(String, i32)> {
    run_in_system_log(images, argv, cpu, mach, timeout).map(|(o, s, _)| (o, s))
}

/// Like [`run_in_system`], also returning the server's log (the control port).
pub fn run_in_system_log(images: &Images, argv: &[&str], cpu: &str, mach: bool, timeout: Duration) -> Result<(String, i32, String)> {
    let mut b: Boot = system_boot(images, mach);
    b.cpu = cpu.to_string();
    let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    b.cmdline = format!("quiet {}", crate::qemu::encode_argv(&argv));
    b.ctl = Some(images.dir.join(format!("ctl-{}-{}.txt", std::process::id(), argv[0].replace('/', "_"))));
    let run = b.run_captured(timeout, None)?;
    let ctl = b.ctl.as_ref().and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
    let status = match run.exit {
        Exit::Status(s) => s as i32,
        Exit::Timeout => bail!("timed out after {:?}\n--- console ---\n{}\n--- server log ---\n{}", timeout, tail(&run.output, 30), tail(&ctl, 30)),
        other => bail!("the system did not finish normally ({other:?})\n--- console ---\n{}\n--- server log ---\n{}", tail(&run.output, 30), tail(&ctl, 30)),
    };
    Ok((program_output(&run.output), status, ctl))
}

/// The program's part of the console: everything after the server's start
/// line (the kernel's boot log comes before it).
pub fn program_output(console: &str) -> String {
    const MARK: &str = "uL4-linux-start\n";
    match console.find(MARK) {
        Some(i) => console[i + MARK.len()..].to_string(),
        None => console.to_string(),
    }
}

/// Conformance report checks: every PASS line, and nothing failed.
fn check_report(out: &str, status: i32) -> Result<usize> {
    let r = parse_report(out);
    ensure!(r.summary_seen, "no summary line in the output:\n{}", tail(out, 30));
    ensure!(r.failed.is_empty(), "{} checks failed:\n{}", r.failed.len(), r.failed.iter().map(|(n, w)| format!("{n}: {w}")).take(40).collect::<Vec<_>>().join("\n"));
    ensure!(status == 0, "exit status {status}");
    Ok(r.passed.len())
}

/// The host half: the same binaries on the host kernel.
pub fn host_tests(suite: &mut Suite, images: &Images) {
    suite.run("linux-host::conformance", || {
        let (out, status) = linuxprog::run_on_host(&images.bin("conformance"), &[])?;
        let n = check_report(&out, status)?;
        ensure!(n >= 150, "only {n} checks passed");
        Ok(())
    });
    suite.run("linux-host::segv-status-139", || {
        let (_, status) = linuxprog::run_on_host(&images.bin("segv"), &[])?;
        ensure!(status == 139, "status {status}");
        Ok(())
    });
    suite.run("linux-host::exit-status", || {
        let (_, status) = linuxprog::run_on_host(&images.bin("exitcode"), &["7"])?;
        ensure!(status == 7, "status {status}");
        Ok(())
    });
    suite.run("linux-host::auxv", || {
        let (out, status) = linuxprog::run_on_host(&images.bin("envtest"), &[])?;
        ensure!(status == 0 && out.contains("auxv ok"), "status {status}:\n{}", tail(&out, 20));
        Ok(())
    });
    suite.run("linux-host::glibc-hello", || {
        let bin = linuxprog::build_c_hello(&images.dir).context("building the glibc hello")?;
        let (out, status) = linuxprog::run_on_host(&bin, &["x"])?;
        ensure!(status == 0 && out.contains("hello from glibc"), "status {status}: {out}");
        Ok(())
    });
}

/// The i386 programs inside the system (QEMU, `-cpu 486` unless they need
/// i686), on the L4 kernel or the Mach-style one.
pub fn system_tests(suite: &mut Suite, images: &Images, mach: bool) {
    let sys = if mach { "linux-mach" } else { "linux" };
    let t = Duration::from_secs(240);
    suite.run(&format!("{sys}::conformance-486"), || {
        let (out, status, log) = run_in_system_log(images, &["/bin/conformance"], "486", mach, t)?;
        let n = check_report(&out, status)?;
        ensure!(n >= 150, "only {n} checks passed");
        // unknown system calls are logged once by number and name
        ensure!(log.contains("system call 500 (unknown) not implemented: ENOSYS"), "ENOSYS not logged:\n{log}");
        ensure!(log.matches("system call 500 ").count() == 1, "ENOSYS logged more than once:\n{log}");
        Ok(())
    });
    suite.run(&format!("{sys}::hello-486"), || {
        let (out, status) = run_in_system(images, &["/bin/hello", "one", "two words"], "486", mach, t)?;
        let want = "hello from a static i386 Linux program\nargv[0] = /bin/hello\nargv[1] = one\nargv[2] = two words\n";
        ensure!(status == 0 && out == want, "status {status}, output:\n{out}");
        Ok(())
    });
    suite.run(&format!("{sys}::auxv-486"), || {
        let (out, status) = run_in_system(images, &["/bin/envtest"], "486", mach, t)?;
        ensure!(status == 0 && out.contains("auxv ok"), "status {status}:\n{}", tail(&out, 20));
        Ok(())
    });
    suite.run(&format!("{sys}::exit-status-propagates"), || {
        for code in [0, 7, 200] {
            let c = code.to_string();
            let (_, status) = run_in_system(images, &["/bin/exitcode", &c], "486", mach, t)?;
            ensure!(status == code, "exit {code} came back as {status}");
        }
        Ok(())
    });
    suite.run(&format!("{sys}::segv-is-sigsegv-486"), || {
        let (_, status) = run_in_system(images, &["/bin/segv"], "486", mach, t)?;
        ensure!(status == 139, "status {status}");
        Ok(())
    });
    if images.glibc_hello {
        suite.run(&format!("{sys}::glibc-hello-pentium2"), || {
            let (out, status) = run_in_system(images, &["/bin/hello-glibc", "x", "y"], "pentium2", mach, t)?;
            ensure!(status == 0 && out.contains("hello from glibc"), "status {status}: {out}");
            Ok(())
        });
    }
    if !images.busybox {
        suite.record(&format!("{sys}::busybox"), Err("busybox is not in the initrd (fetching it failed)".into()));
        return;
    }
    // single-process busybox applets, unmodified (i686 code: pentium2)
    let applets: &[(&[&str], &str)] = &[
        (&["/bin/echo", "hello", "busybox"], "hello busybox\n"),
        (&["/bin/cat", "/etc/group"], "root:x:0:\n"),
        (&["/bin/wc", "/etc/passwd"], "        1         1        30 /etc/passwd\n"),
        (&["/bin/head", "-c", "4", "/etc/passwd"], "root"),
        (&["/bin/mkdir", "-p", "/tmp/a/b/c"], ""),
    ];
    for (argv, want) in applets {
        let name = format!("{sys}::busybox-{}", argv[0].trim_start_matches("/bin/"));
        suite.run(&name, || {
            let (out, status) = run_in_system(images, argv, "pentium2", mach, t)?;
            ensure!(status == 0 && out == *want, "status {status}, output {out:?}, expected {want:?}");
            Ok(())
        });
    }
    suite.run(&format!("{sys}::busybox-ls-l-root"), || {
        let (out, status) = run_in_system(images, &["/bin/ls", "-l", "/"], "pentium2", mach, t)?;
        ensure!(status == 0, "status {status}");
        for d in ["bin", "dev", "etc", "proc", "tmp"] {
            ensure!(out.lines().any(|l| l.starts_with('d') && l.ends_with(&format!(" {d}"))), "no directory {d} in:\n{out}");
        }
        Ok(())
    });
    suite.run(&format!("{sys}::busybox-uname-a"), || {
        let (out, status) = run_in_system(images, &["/bin/uname", "-a"], "pentium2", mach, t)?;
        ensure!(status == 0 && out.starts_with("Linux ul4 6.1.0-l4linux ") && out.trim_end().ends_with("i686 GNU/Linux"), "status {status}: {out}");
        Ok(())
    });
    suite.run(&format!("{sys}::busybox-env"), || {
        let (out, status) = run_in_system(images, &["/bin/env"], "pentium2", mach, t)?;
        ensure!(status == 0 && out.contains("PATH=/bin:/sbin:/usr/bin:/usr/sbin\n") && out.contains("HOME=/root\n"), "status {status}: {out}");
        Ok(())
    });
    suite.run(&format!("{sys}::segfault-then-next-program"), || {
        let (out, status) = run_in_system(images, &["/bin/sh", "-c", "/bin/segv; echo status $?; /bin/hello next"], "pentium2", mach, t)?;
        ensure!(status == 0, "status {status}");
        ensure!(out.contains("status 139\n"), "the shell did not see SIGSEGV (139):\n{out}");
        ensure!(out.contains("argv[1] = next"), "the next program did not run:\n{out}");
        Ok(())
    });
}
