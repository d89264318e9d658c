//! `cargo xtask test`: the host unit tests, then the system tests that boot
//! QEMU on `-cpu 486` (boot log, kernel-fault report, the in-QEMU kernel test
//! suite on both IPC flavours), the i486 instruction check, and the Linux
//! personality tests.

use crate::image::{self, Images};
use crate::qemu::{Boot, Exit};
use crate::suite::Suite;
use anyhow::{ensure, Context, Result};
use std::process::Command;
use std::time::Duration;

/// The standard boot: kernel plus sigma0, roottask, server, initrd.
pub fn system_boot(images: &Images, mach: bool) -> Boot {
    let kernel = if mach { images.kernel_mach() } else { images.kernel() };
    let mut b = Boot::new(kernel);
    for m in image::L4_TASKS {
        let p = images.file(m);
        if p.exists() {
            b.modules.push((p, m.to_string()));
        }
    }
    b.modules.push((images.initrd(), "initrd".into()));
    b
}

/// Boot with `cmdline`, capture the console.
pub fn boot(images: &Images, mach: bool, cmdline: &str, timeout: Duration) -> Result<crate::qemu::Run> {
    let mut b = system_boot(images, mach);
    b.cmdline = cmdline.to_string();
    b.ctl = Some(images.dir.join(format!("ctl-{}.txt", std::process::id())));
    b.run_captured(timeout, None)
}

/// Host unit tests of every host crate, one result line per test.
fn host_unit_tests(suite: &mut Suite) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("[test] host unit tests (cargo test)");
    // one stream, so that each test line follows the "Running" line of its
    // crate; the workspace's default members are the host-testable crates
    let out = Command::new("sh")
        .current_dir(image::root())
        .arg("-c")
        .arg(format!("'{cargo}' test -- --test-threads=2 2>&1"))
        .output()
        .context("running cargo test")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut krate = String::from("?");
    let mut seen = 0;
    for line in stdout.lines().chain(stderr.lines()) {
        if let Some(rest) = line.trim().strip_prefix("Running ") {
            // "unittests src/lib.rs (target/debug/deps/l4_abi-123)"
            if let Some(p) = rest.rsplit('/').next() {
                krate = p.trim_end_matches(')').rsplit_once('-').map_or(p, |(n, _)| n).to_string();
            }
        }
        if let Some(rest) = line.strip_prefix("test ") {
            if let Some((name, res)) = rest.rsplit_once(" ... ") {
                let name = format!("host::{krate}::{name}");
                match res.trim() {
                    "ok" => suite.record(&name, Ok(())),
                    "ignored" => {}
                    _ => suite.record(&name, Err(res.to_string())),
                }
                seen += 1;
            }
        }
    }
    if !out.status.success() || seen == 0 {
        let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        suite.record("host::cargo-test", Err(format!("cargo test failed:\n{}", tail.join("\n"))));
    }
    Ok(())
}

/// Results the roottask's kernel test suite printed: `TEST name ok` or
/// `TEST name FAILED: why`, then `KTEST DONE passed=N failed=M`.
fn kernel_suite(suite: &mut Suite, images: &Images, mach: bool) {
    let prefix = if mach { "kernel-mach" } else { "kernel" };
    if !suite.wanted_group(&format!("{prefix}::")) {
        return;
    }
    eprintln!("[test] in-QEMU kernel test suite ({prefix}, -cpu 486)");
    let run = match boot(images, mach, "ktest", Duration::from_secs(300)) {
        Ok(r) => r,
        Err(e) => return suite.record(&format!("{prefix}::boot"), Err(format!("{e:#}"))),
    };
    let mut count = 0;
    for line in run.output.lines() {
        if let Some(rest) = line.strip_prefix("TEST ") {
            let (name, res) = rest.split_once(' ').unwrap_or((rest, ""));
            let name = format!("{prefix}::{name}");
            if res == "ok" {
                suite.record(&name, Ok(()));
            } else {
                suite.record(&name, Err(res.to_string()));
            }
            count += 1;
        }
    }
    let done = run.output.lines().find(|l| l.starts_with("KTEST DONE"));
    let verdict = match (done, run.exit) {
        (Some(_), Exit::Status(0)) if count > 0 => Ok(()),
        (d, e) => Err(format!(
            "suite did not finish cleanly (exit {e:?}, summary {d:?}, {count} results)\n--- console tail ---\n{}",
            tail(&run.output, 40)
        )),
    };
    suite.record(&format!("{prefix}::suite-complete"), verdict);
}

pub fn tail(s: &str, n: usize) -> String {
    let v: Vec<&str> = s.lines().collect();
    v[v.len().saturating_sub(n)..].join("\n")
}

fn boot_log(images: &Images) -> Result<()> {
    let run = boot(images, false, "ktest", Duration::from_secs(300))?;
    let o = &run.output;
    for needle in [
        "uL4 microkernel",
        "gdt, idt, tss loaded",
        "memory map:",
        "available",
        "modules:",
        " sigma0'",
        " roottask'",
        "kernel memory:",
        "sigma0: entry",
        "roottask: entry",
        "starting user level",
    ] {
        ensure!(o.contains(needle), "boot log lacks '{needle}'\n--- console ---\n{}", tail(o, 40));
    }
    ensure!(!o.contains("KERNEL"), "kernel reported a failure:\n{}", tail(o, 40));
    Ok(())
}

fn kernel_fault(images: &Images) -> Result<()> {
    let run = boot(images, false, "kfault", Duration::from_secs(60))?;
    let o = &run.output;
    ensure!(run.exit == Exit::KernelFatal, "expected the kernel's failure exit status, got {:?}\n{}", run.exit, tail(o, 20));
    for needle in ["KERNEL FAULT: exception 14 (page fault)", "cr2 0xfffff000", "eip 0x", "eax 0x", "esp 0x", "error code"] {
        ensure!(o.contains(needle), "fault report lacks '{needle}':\n{}", tail(o, 20));
    }
    Ok(())
}

pub fn run_all(filter: Option<String>) -> Result<bool> {
    let mut suite = Suite::new(filter);
    crate::deps::ensure(crate::deps::CORE)?;
    if suite.wanted_bulk("host::") {
        host_unit_tests(&mut suite)?;
    }
    // the glibc-static hello world goes into the initrd for the tests
    let mut add = vec![];
    match crate::linuxprog::build_c_hello(&image::out_dir(false)) {
        Ok(p) => add.push((p, "/bin/hello-glibc".to_string())),
        Err(e) => suite.record("linux::glibc-hello-build", Err(format!("{e:#}"))),
    }
    let images = image::build(&image::BuildOpts { release: false, mach: true, add: add.clone() })?;
    let release = image::build(&image::BuildOpts { release: true, mach: true, add })?;

    for (label, imgs) in [("debug", &images), ("release", &release)] {
        for name in ["microkernel", "microkernel-mach", "sigma0", "roottask", "l4linux-server"] {
            let p = imgs.file(name);
            if p.exists() {
                // the roottask's IPC benchmark times itself with rdtsc (QEMU
                // provides it on every CPU model); nothing else may use it
                let allow_rdtsc = name == "roottask";
                suite.run(&format!("i486::{label}::{name}"), || crate::isa::check(&p, allow_rdtsc));
                if name.starts_with("microkernel") {
                    suite.run(&format!("kernel::init-unreferenced::{label}::{name}"), || crate::initcheck::check(&p));
                }
            }
        }
    }
    for (_, bins) in image::linux_packages(&image::root()) {
        for b in bins {
            let p = release.bin(&b);
            suite.run(&format!("i486::linux::{b}"), || crate::isa::check(&p, true));
        }
    }
    crate::linuxtest::host_tests(&mut suite, &release);
    suite.run("boot::log-486", || boot_log(&images));
    suite.run("boot::kernel-fault-report", || kernel_fault(&images));
    kernel_suite(&mut suite, &images, false);
    kernel_suite(&mut suite, &images, true);
    // the executable specification, replayed against the real kernel
    suite.run("spec::qemu-replay", || crate::spec::qemu_replay(&images, crate::spec::seed(), crate::spec::ops()));
    suite.run("spec::qemu-replay-mach", || crate::spec::qemu_replay_on(&images, true, crate::spec::seed(), crate::spec::ops()));
    if suite.wanted_group("linux::") {
        crate::linuxtest::system_tests(&mut suite, &images, false);
        crate::shelltest::tests(&mut suite, &images, false);
    }
    // sigma0, the roottask and the server run unmodified on the Mach-style kernel
    if suite.wanted_group("linux-mach::") {
        crate::linuxtest::system_tests(&mut suite, &images, true);
    }
    // the benchmark harness on all three systems (quick plans: it proves that
    // every benchmark runs and reports on each system; figures are not checked)
    if suite.wanted_bulk("bench::") {
        match crate::bench::quick_results() {
            Ok(results) => {
                for r in &results {
                    suite.run(&format!("bench::quick-{}", r.system.name()), || r.check_complete());
                }
            }
            Err(e) => suite.record("bench::quick", Err(format!("{e:#}"))),
        }
    }
    Ok(suite.finish())
}
