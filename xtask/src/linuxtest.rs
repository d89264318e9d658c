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
    let mut b: Boot = system_boot(images, mach);
    b.cpu = cpu.to_string();
    b.cmdline = format!("quiet -- {}", argv.join(" "));
    b.ctl = Some(images.dir.join(format!("ctl-{}-{}.txt", std::process::id(), argv[0].replace('/', "_"))));
    let run = b.run_captured(timeout, None)?;
    let ctl = b.ctl.as_ref().and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
    let status = match run.exit {
        Exit::Status(s) => s as i32,
        Exit::Timeout => bail!("timed out after {:?}\n--- console ---\n{}\n--- server log ---\n{}", timeout, tail(&run.output, 30), tail(&ctl, 30)),
        other => bail!("the system did not finish normally ({other:?})\n--- console ---\n{}\n--- server log ---\n{}", tail(&run.output, 30), tail(&ctl, 30)),
    };
    Ok((program_output(&run.output), status))
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
