//! System tests of the Linux personality with Debian's busybox shell:
//!
//! - the shell scripts of `initrd/scripts/*.sh`, run by `driver.sh` on the
//!   host Linux with the same busybox binary and inside the system, one
//!   boot for all of them; each script's output and status must be
//!   byte-identical (the scripts mask pids and times themselves);
//! - the signal and process test programs (`initrd/src/bin/signals/`,
//!   `initrd/src/bin/process/`) on the host kernel and in the system, which
//!   must run the same checks and pass them all;
//! - the system-call fuzzer (`initrd/src/bin/fuzz.rs`), likewise, and the
//!   server must not panic (`PANIC` on the console) while it runs;
//! - what the system survives (`initrd/scripts/system/`): a fork bomb,
//!   crashing children, programs that cannot be run, running out of memory;
//! - an interactive session through a pseudo-terminal: typing and editing
//!   a line, ^C, ^Z, `jobs`, `fg`, ^\, and `exit`.
//!
//! The scripts reach the system in a second cpio archive appended to the
//! standard initrd (`initrd-shelltest.cpio`), under `/scripts`.

use crate::cpio::Cpio;
use crate::image::Images;
use crate::linuxprog::{parse_report, run_on_host};
use crate::qemu::{encode_argv, Boot, Exit};
use crate::suite::Suite;
use crate::systest::{system_boot, tail};
use anyhow::{bail, ensure, Context, Result};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the scripts live in the repository.
fn script_dir() -> PathBuf {
    crate::image::root().join("initrd").join("scripts")
}

/// The compared scripts: `initrd/scripts/*.sh` except the driver.
fn script_names() -> Result<Vec<String>> {
    let mut v: Vec<String> = std::fs::read_dir(script_dir())
        .context("reading initrd/scripts")?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".sh")).map(String::from))
        .filter(|n| n != "driver")
        .collect();
    v.sort();
    Ok(v)
}

/// The standard initrd with `initrd/scripts` appended under `/scripts`.
fn scripts_initrd(images: &Images) -> Result<PathBuf> {
    let mut data = std::fs::read(images.initrd()).context("reading the initrd")?;
    let mut c = Cpio::new();
    c.dir("scripts");
    add_dir(&mut c, &script_dir(), "scripts")?;
    data.extend_from_slice(&c.finish());
    let out = images.dir.join("initrd-shelltest.cpio");
    std::fs::write(&out, data).with_context(|| format!("writing {}", out.display()))?;
    Ok(out)
}

fn add_dir(c: &mut Cpio, dir: &Path, guest: &str) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = format!("{guest}/{}", e.file_name().to_string_lossy());
        if e.file_type()?.is_dir() {
            c.dir(&name);
            add_dir(c, &e.path(), &name)?;
        } else {
            c.file(&name, 0o644, &std::fs::read(e.path())?);
        }
    }
    Ok(())
}

/// A boot of the system with the test initrd running `argv` (busybox is
/// i686 code: pentium2). Returns the program's output, its status and
/// the server's log.
fn run_with_scripts(
    images: &Images,
    initrd: &Path,
    mach: bool,
    argv: &[&str],
    cpu: &str,
    timeout: Duration,
) -> Result<(String, Exit, String)> {
    let mut b = boot_with(images, initrd, mach);
    b.cpu = cpu.to_string();
    let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    b.cmdline = format!("quiet {}", encode_argv(&argv));
    let run = b.run_captured(timeout, None)?;
    let ctl = b.ctl.as_ref().and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
    Ok((crate::linuxtest::program_output(&run.output), run.exit, ctl))
}

fn boot_with(images: &Images, initrd: &Path, mach: bool) -> Boot {
    let mut b = system_boot(images, mach);
    for m in b.modules.iter_mut().filter(|m| m.1 == "initrd") {
        m.0 = initrd.to_path_buf();
    }
    b.ctl = Some(images.dir.join(format!("ctl-shelltest-{}.txt", std::process::id())));
    b
}

pub fn tests(suite: &mut Suite, images: &Images, mach: bool) {
    let sys = if mach { "linux-mach" } else { "linux" };
    program(suite, images, sys, mach, "signals", 200);
    program(suite, images, sys, mach, "process", 120);
    program(suite, images, sys, mach, "fuzz", 40);
    if !images.busybox {
        suite.record(&format!("{sys}::shell"), Err("busybox is not in the initrd (fetching it failed)".into()));
        return;
    }
    let initrd = match scripts_initrd(images) {
        Ok(p) => p,
        Err(e) => return suite.record(&format!("{sys}::shell::initrd"), Err(format!("{e:#}"))),
    };
    scripts(suite, images, &initrd, sys, mach);
    survival(suite, images, &initrd, sys, mach);
    suite.run(&format!("{sys}::shell::interactive-pty"), || interactive(images, &initrd, mach));
}

// ---- the signal and process test programs --------------------------------

/// The PASS lines of a test program's report (at least `min` of them),
/// or why it failed.
fn check_report(out: &str, status: i32, min: usize) -> Result<Vec<String>> {
    let r = parse_report(out);
    ensure!(r.summary_seen, "no summary line in the output:\n{}", tail(out, 30));
    ensure!(
        r.failed.is_empty(),
        "{} checks failed:\n{}",
        r.failed.len(),
        r.failed.iter().map(|(n, w)| format!("{n}: {w}")).take(40).collect::<Vec<_>>().join("\n")
    );
    ensure!(status == 0, "exit status {status}");
    ensure!(r.passed.len() >= min, "only {} checks passed", r.passed.len());
    Ok(r.passed)
}

/// Test program `name` on the host kernel, then as the first process in
/// the system (i486 code: `-cpu 486`); both must pass the same checks.
fn program(suite: &mut Suite, images: &Images, sys: &str, mach: bool, name: &str, min: usize) {
    let mut host_checks = None;
    suite.run(&format!("{sys}::{name}-host"), || {
        let (out, status) = run_on_host(&images.bin(name), &[])?;
        host_checks = Some(check_report(&out, status, min)?);
        Ok(())
    });
    suite.run(&format!("{sys}::{name}"), || {
        let path = format!("/bin/{name}");
        let (out, status, log) = crate::linuxtest::run_in_system_log(images, &[&path], "486", mach, Duration::from_secs(240))?;
        // a server panic prints `PANIC in ...` on the console (if the machine
        // then hangs instead, the timeout above fails with the console tail)
        if let Some(i) = out.find("PANIC") {
            bail!("the server panicked:\n{}\n--- server log ---\n{}", tail(&out[i..], 10), tail(&log, 20));
        }
        let checks = check_report(&out, status, min).map_err(|e| anyhow::anyhow!("{e:#}\n--- server log ---\n{}", tail(&log, 20)))?;
        if let Some(h) = &host_checks {
            ensure!(*h == checks, "the system ran other checks than the host (host {}, system {})", h.len(), checks.len());
        }
        Ok(())
    });
}

// ---- the compared scripts ----------------------------------------------

/// One script's run: its output and exit status.
#[derive(Debug, Default, PartialEq, Eq)]
struct ScriptRun {
    output: String,
    status: Option<i32>,
}

/// Split the driver's output into the scripts' runs.
fn parse_driver(out: &str) -> (BTreeMap<String, ScriptRun>, bool) {
    let mut runs = BTreeMap::new();
    let mut cur: Option<(String, String)> = None;
    let mut done = false;
    for line in out.split_inclusive('\n') {
        let l = line.trim_end_matches('\n');
        // (output without a final newline has the END marker after it)
        if let (Some(i), Some(_)) = (l.find("=== END "), cur.as_ref()) {
            if let Some((name, mut output)) = cur.take() {
                output.push_str(&l[..i]);
                let status = l[i..].rsplit(' ').next().and_then(|s| s.parse().ok());
                runs.insert(name, ScriptRun { output, status });
            }
        } else if let Some(name) = l.strip_prefix("=== BEGIN ") {
            cur = Some((name.to_string(), String::new()));
        } else if l == "=== DRIVER DONE" {
            done = true;
        } else if let Some((_, o)) = cur.as_mut() {
            o.push_str(line);
        }
    }
    if let Some((name, output)) = cur {
        runs.insert(name, ScriptRun { output, status: None });
    }
    (runs, done)
}

/// The first lines where two outputs differ, for a failure message.
fn first_difference(host: &str, ours: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (host.lines().collect(), ours.lines().collect());
    let n = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let show = |v: &[&str]| v.iter().skip(n).take(6).map(|l| format!("    {l:?}")).collect::<Vec<_>>().join("\n");
    format!("first difference at line {}:\n  host:\n{}\n  system:\n{}", n + 1, show(&a), show(&b))
}

/// A directory of links to every busybox applet: the host run's PATH.
fn applet_dir(images: &Images, busybox: &Path) -> Result<PathBuf> {
    let dir = images.dir.join("busybox-applets");
    if !dir.join("sh").exists() {
        std::fs::create_dir_all(&dir)?;
        for a in crate::fetch::busybox_applets(busybox)? {
            let link = dir.join(&a);
            if !link.exists() {
                std::os::unix::fs::symlink(busybox, &link).with_context(|| format!("linking {}", link.display()))?;
            }
        }
    }
    Ok(dir)
}

/// The environment the server gives the first program.
const GUEST_ENV: [(&str, &str); 6] =
    [("HOME", "/root"), ("TERM", "linux"), ("SHELL", "/bin/sh"), ("USER", "root"), ("LOGNAME", "root"), ("PWD", "/")];

/// Run the driver on the host with busybox sh and only busybox applets on
/// PATH; returns its output.
fn host_driver(images: &Images, names: &[String]) -> Result<String> {
    let busybox = crate::fetch::busybox()?;
    let path = applet_dir(images, &busybox)?;
    let work = images.dir.join(format!("shelltest-work-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let mut cmd = Command::new(&busybox);
    cmd.arg("sh").arg(script_dir().join("driver.sh")).arg(script_dir()).arg(&work).args(names);
    cmd.env_clear().env("PATH", &path).envs(GUEST_ENV).current_dir("/");
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().context("running busybox sh on the host")?;
    let mut stdout = child.stdout.take().context("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if start.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            let _ = std::fs::remove_dir_all(&work);
            bail!("the host run did not finish in 300 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = reader.join().unwrap_or_default();
    let _ = std::fs::remove_dir_all(&work);
    ensure!(status.success(), "the host driver failed ({status})");
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn scripts(suite: &mut Suite, images: &Images, initrd: &Path, sys: &str, mach: bool) {
    let prefix = format!("{sys}::shell::");
    let names = match script_names() {
        Ok(n) => n.into_iter().filter(|n| suite.wanted(&format!("{prefix}{n}"))).collect::<Vec<_>>(),
        Err(e) => return suite.record(&format!("{prefix}scripts"), Err(format!("{e:#}"))),
    };
    if names.is_empty() {
        return;
    }
    eprintln!("[test] {} busybox scripts on the host and in the system", names.len());
    let host = match host_driver(images, &names) {
        Ok(out) => parse_driver(&out).0,
        Err(e) => return suite.record(&format!("{prefix}host-run"), Err(format!("{e:#}"))),
    };
    let mut argv = vec!["/bin/sh", "/scripts/driver.sh", "/scripts", "/tmp/shelltest"];
    argv.extend(names.iter().map(|s| s.as_str()));
    let t = Instant::now();
    let (ours, problem) = match run_with_scripts(images, initrd, mach, &argv, "pentium2", Duration::from_secs(300)) {
        Ok((out, exit, log)) => {
            let (runs, done) = parse_driver(&out);
            let problem = match (done, exit) {
                (true, Exit::Status(0)) => None,
                (_, exit) => Some(format!("the run ended with {exit:?}\n--- console tail ---\n{}\n--- server log ---\n{}", tail(&out, 15), tail(&log, 15))),
            };
            (runs, problem)
        }
        Err(e) => (BTreeMap::new(), Some(format!("{e:#}"))),
    };
    if t.elapsed().as_secs() >= 20 {
        eprintln!("    (busybox scripts in the system: {:.0} s)", t.elapsed().as_secs_f64());
    }
    for n in &names {
        let name = format!("{prefix}{n}");
        let r = match (host.get(n), ours.get(n)) {
            (None, _) => Err("the host run printed nothing for it".to_string()),
            (Some(h), None) => Err(format!(
                "no output from the system (host status {:?}){}",
                h.status,
                problem.as_ref().map(|p| format!("\n{p}")).unwrap_or_default()
            )),
            (Some(h), Some(o)) if o.status.is_none() => Err(format!(
                "it did not finish in the system{}\n{}",
                problem.as_ref().map(|p| format!("\n{p}")).unwrap_or_default(),
                first_difference(&h.output, &o.output)
            )),
            (Some(h), Some(o)) if h.output != o.output => Err(first_difference(&h.output, &o.output)),
            (Some(h), Some(o)) if h.status != o.status => Err(format!("status {:?} on the host, {:?} in the system", h.status, o.status)),
            _ => Ok(()),
        };
        suite.record(&name, r);
    }
}

// ---- what the system survives ------------------------------------------

fn survival(suite: &mut Suite, images: &Images, initrd: &Path, sys: &str, mach: bool) {
    let t = Duration::from_secs(240);
    suite.run(&format!("{sys}::shell::survives-fork-bomb"), || {
        let (out, exit, log) = run_with_scripts(images, initrd, mach, &["/bin/sh", "/scripts/system/forkbomb.sh"], "pentium2", t)?;
        let want = ["survived\n", "forks failed with EAGAIN\n", "before: 1 processes\n", "after: 1 processes\n", "PIPES STILL WORK\n"];
        for w in want {
            ensure!(out.contains(w), "no {w:?} in the output:\n{}\n--- server log ---\n{}", tail(&out, 20), tail(&log, 10));
        }
        ensure!(exit == Exit::Status(0), "ended with {exit:?}");
        Ok(())
    });
    suite.run(&format!("{sys}::shell::survives-crashing-children"), || {
        let (out, exit, log) = run_with_scripts(images, initrd, mach, &["/bin/sh", "/scripts/system/crashes.sh"], "pentium2", t)?;
        let want = [
            "segv status 139\n",
            "self-SEGV status 139\n",
            "abort status 134\n",
            "truncated ELF killed by a signal\n",
            "garbage ran (status",
            "bad ELF header status 127\n",
            "script exec'ing a crash: killed\n",
            "five crashes later: 139\n",
            "out of memory: status 137\n",
            "memory is back\n",
            "the shell survived\n",
        ];
        for w in want {
            ensure!(out.contains(w), "no {w:?} in the output:\n{}\n--- server log ---\n{}", tail(&out, 30), tail(&log, 10));
        }
        ensure!(log.contains("out of memory: killing pid"), "the out-of-memory kill was not logged:\n{}", tail(&log, 10));
        ensure!(exit == Exit::Status(0), "ended with {exit:?}");
        Ok(())
    });
}

// ---- an interactive session through a pseudo-terminal -------------------

/// The qemu-system-i386 arguments of `b` with the console on a new
/// pseudo-terminal (`-chardev pty`) instead of stdio.
fn pty_args(b: &Boot) -> Vec<String> {
    let mut a: Vec<String> = ["-cpu", &b.cpu, "-m", &b.memory_mb.to_string(), "-accel", "tcg"].iter().map(|s| s.to_string()).collect();
    a.push("-kernel".into());
    a.push(b.kernel.display().to_string());
    let mods: Vec<String> = b.modules.iter().map(|(p, n)| format!("{} {}", p.display(), n).replace(',', ",,")).collect();
    a.push("-initrd".into());
    a.push(mods.join(","));
    a.push("-append".into());
    a.push(b.cmdline.clone());
    for s in ["-display", "none", "-no-reboot", "-nodefaults", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] {
        a.push(s.into());
    }
    a.extend(["-chardev", "pty,id=con", "-serial", "chardev:con"].iter().map(|s| s.to_string()));
    if let Some(c) = &b.ctl {
        a.push("-serial".into());
        a.push(format!("file:{}", c.display()));
    }
    a
}

/// The console of a QEMU whose serial line is a host pseudo-terminal.
struct Terminal {
    qemu: std::process::Child,
    pty: std::fs::File,
    seen: Arc<Mutex<Vec<u8>>>,
    /// Where the next `expect` starts looking.
    pos: usize,
}

impl Terminal {
    fn start(b: &Boot) -> Result<Terminal> {
        if let Some(c) = &b.ctl {
            let _ = std::fs::remove_file(c);
        }
        let mut qemu = Command::new("qemu-system-i386")
            .args(pty_args(b))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting qemu-system-i386")?;
        // QEMU names the terminal on stdout: "char device redirected to
        // /dev/pts/N (label con)"; a reader thread passes the text on, so
        // that a QEMU that says nothing cannot block us
        let mut stdout = qemu.stdout.take().context("no stdout")?;
        let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            let mut b = [0u8; 256];
            while let Ok(n) = stdout.read(&mut b) {
                if n == 0 || tx.send(b[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let mut text = Vec::new();
        let start = Instant::now();
        let path = loop {
            let s = String::from_utf8_lossy(&text).into_owned();
            if let Some(i) = s.find("/dev/pts/") {
                if let Some(len) = s[i..].find(char::is_whitespace) {
                    break s[i..i + len].to_string();
                }
            }
            let left = Duration::from_secs(20).saturating_sub(start.elapsed());
            match rx.recv_timeout(left) {
                Ok(b) => text.extend_from_slice(&b),
                Err(_) => {
                    let _ = qemu.kill();
                    bail!("qemu did not name its pseudo-terminal: {s}");
                }
            }
        };
        use std::os::unix::fs::OpenOptionsExt;
        const O_NOCTTY: i32 = 0o400;
        let pty = std::fs::OpenOptions::new().read(true).write(true).custom_flags(O_NOCTTY).open(&path).with_context(|| format!("opening {path}"))?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (mut r, s2) = (pty.try_clone()?, seen.clone());
        std::thread::spawn(move || {
            let mut b = [0u8; 4096];
            while let Ok(n) = r.read(&mut b) {
                if n == 0 {
                    break;
                }
                s2.lock().map(|mut v| v.extend_from_slice(&b[..n])).ok();
            }
        });
        Ok(Terminal { qemu, pty, seen, pos: 0 })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().map(|v| v.clone()).unwrap_or_default()).replace('\r', "")
    }

    /// Wait until `want` appears after what earlier expectations matched.
    fn expect(&mut self, want: &str, secs: u64) -> Result<()> {
        let start = Instant::now();
        loop {
            let t = self.text();
            if let Some(i) = t.get(self.pos..).and_then(|s| s.find(want)) {
                self.pos += i + want.len();
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(secs) {
                bail!("waited {secs} s for {want:?}; the terminal shows:\n{}", tail(&t, 25));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Type `keys` one byte at a time, as a person would.
    fn send(&mut self, keys: &[u8]) -> Result<()> {
        for k in keys {
            self.pty.write_all(&[*k])?;
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Wait for QEMU to end: its exit.
    fn wait(&mut self, secs: u64, ctl: Option<&Path>) -> Result<Exit> {
        let start = Instant::now();
        loop {
            if let Some(s) = self.qemu.try_wait()? {
                return Ok(Exit::from_status(s.code(), ctl));
            }
            if start.elapsed() > Duration::from_secs(secs) {
                bail!("qemu did not end within {secs} s after exit");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.qemu.kill();
        let _ = self.qemu.wait();
    }
}

const PROMPT: &str = "/ # ";

fn interactive(images: &Images, initrd: &Path, mach: bool) -> Result<()> {
    let mut b = boot_with(images, initrd, mach);
    b.cpu = "pentium2".into();
    b.cmdline = "quiet".into(); // the default first program: /bin/sh
    let mut t = Terminal::start(&b)?;
    t.expect("uL4-linux-start", 60)?;
    t.expect(PROMPT, 60)?;
    // a command, with a typo erased
    t.send(b"echo hellp\x7fo there\r")?;
    t.expect("hello there\n", 20)?;
    t.expect(PROMPT, 20)?;
    // editing in the middle of the line: left arrow twice, insert
    t.send(b"echo abde\x1b[D\x1b[Dc\r")?;
    t.expect("abcde\n", 20)?;
    t.expect(PROMPT, 20)?;
    // ^U kills the line typed so far
    t.send(b"echo wrong\x15echo right\r")?;
    t.expect("right\n", 20)?;
    ensure!(!t.text().contains("wrong\n"), "^U did not kill the line:\n{}", tail(&t.text(), 10));
    t.expect(PROMPT, 20)?;
    // ^C interrupts a foreground command
    t.send(b"sleep 100\r")?;
    std::thread::sleep(Duration::from_secs(2));
    t.send(b"\x03")?;
    t.expect(PROMPT, 20)?;
    t.send(b"echo status $?\r")?;
    t.expect("status 130\n", 20)?;
    t.expect(PROMPT, 20)?;
    // ^Z suspends it; jobs lists it; fg resumes it; ^C ends it
    t.send(b"sleep 100\r")?;
    std::thread::sleep(Duration::from_secs(2));
    t.send(b"\x1a")?;
    t.expect("Stopped", 20)?;
    t.expect(PROMPT, 20)?;
    t.send(b"jobs\r")?;
    t.expect("[1]+  Stopped", 20)?;
    t.expect(PROMPT, 20)?;
    t.send(b"fg\r")?;
    t.expect("sleep 100", 20)?;
    std::thread::sleep(Duration::from_secs(2));
    t.send(b"\x03")?;
    t.expect(PROMPT, 20)?;
    t.send(b"echo after fg $?\r")?;
    t.expect("after fg 130\n", 20)?;
    t.expect(PROMPT, 20)?;
    // a background job, then bg for a stopped one
    t.send(b"sleep 1 &\r")?;
    t.expect(PROMPT, 20)?;
    t.send(b"sleep 100\r")?;
    std::thread::sleep(Duration::from_secs(2));
    t.send(b"\x1a")?;
    t.expect("Stopped", 20)?;
    t.expect(PROMPT, 20)?;
    t.send(b"bg\r")?;
    t.expect(PROMPT, 20)?;
    t.send(b"kill $(jobs -p) 2>/dev/null; wait; echo jobs done\r")?;
    t.expect("jobs done\n", 30)?;
    t.expect(PROMPT, 20)?;
    // ^\ quits a foreground command
    t.send(b"sleep 100\r")?;
    std::thread::sleep(Duration::from_secs(2));
    t.send(b"\x1c")?;
    t.expect(PROMPT, 20)?;
    t.send(b"echo quit $?\r")?;
    t.expect("quit 131\n", 20)?;
    t.expect(PROMPT, 20)?;
    // the terminal's size as a program sees it
    t.send(b"stty size\r")?;
    t.expect("24 80\n", 20)?;
    t.expect(PROMPT, 20)?;
    t.send(b"exit 3\r")?;
    let exit = t.wait(30, b.ctl.as_deref())?;
    ensure!(exit == Exit::Status(3), "the shell's exit 3 came back as {exit:?}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_output_is_split_per_script() {
        let out = "=== BEGIN a\nline 1\nline 2\n=== END a status 0\n=== BEGIN b\nno newline=== END b status 3\n=== BEGIN c\ncut";
        let (runs, done) = parse_driver(out);
        assert!(!done);
        assert_eq!(runs["a"], ScriptRun { output: "line 1\nline 2\n".into(), status: Some(0) });
        assert_eq!(runs["b"].status, Some(3));
        assert_eq!(runs["c"], ScriptRun { output: "cut".into(), status: None });
        let (_, done) = parse_driver("=== DRIVER DONE\n");
        assert!(done);
    }

    #[test]
    fn differences_are_located() {
        let d = first_difference("a\nb\nc\n", "a\nx\nc\n");
        assert!(d.starts_with("first difference at line 2"), "{d}");
        assert!(d.contains("\"b\"") && d.contains("\"x\""), "{d}");
    }
}
