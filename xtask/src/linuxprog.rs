//! The Linux programs on the host side: building the glibc hello world
//! (`initrd/c/hello.c`), running a static i386 program natively on the host
//! (the reference behaviour), and parsing the conformance suite's output.
//!
//! The suite prints one `PASS group::name` or `FAIL group::name: why` line
//! per check and ends with `conformance: N passed, M failed`.

use anyhow::{bail, Context, Result};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The packages `gcc -m32 -static` needs, and the command that installs them.
const C_PACKAGES: &[&str] = &["gcc-multilib", "libc6-dev-i386"];
const C_INSTALL: &str = "apt-get install -y gcc-multilib libc6-dev-i386";

/// How long a program may run on the host.
pub const HOST_TIMEOUT: Duration = Duration::from_secs(60);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the repository").to_path_buf()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// Whether static 32-bit C programs can be linked: glibc's `libc.a` and
/// the 32-bit libgcc (from gcc-multilib) are both there.
fn c32_present() -> bool {
    if !Path::new("/usr/lib32/libc.a").exists() {
        return false;
    }
    match Command::new("gcc").args(["-m32", "-print-libgcc-file-name"]).output() {
        Ok(o) if o.status.success() => Path::new(String::from_utf8_lossy(&o.stdout).trim()).exists(),
        _ => false,
    }
}

/// Install the 32-bit C packages if missing (as root), or fail naming the command.
fn ensure_c32() -> Result<()> {
    if c32_present() {
        return Ok(());
    }
    if !is_root() {
        bail!("static 32-bit C programs need the packages {}; run as root: {C_INSTALL}", C_PACKAGES.join(" "));
    }
    eprintln!("[linuxprog] installing {} (apt-get)...", C_PACKAGES.join(" "));
    // a failing update (one index out of sync) is not fatal: the install says
    let _ = Command::new("apt-get").args(["update", "-q"]).stdout(Stdio::null()).status();
    let status = Command::new("apt-get")
        .args(["install", "-y", "-q"])
        .args(C_PACKAGES)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("running apt-get")?;
    if !status.success() || !c32_present() {
        bail!("installing {} failed; try: {C_INSTALL}", C_PACKAGES.join(" "));
    }
    Ok(())
}

/// Compile `initrd/c/hello.c` against static glibc into `out/hello-glibc`
/// (installing gcc-multilib and libc6-dev-i386 first if needed and root).
pub fn build_c_hello(out: &Path) -> Result<PathBuf> {
    ensure_c32()?;
    let src = repo_root().join("initrd/c/hello.c");
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let bin = out.join("hello-glibc");
    let o = Command::new("gcc")
        .args(["-m32", "-static", "-O2", "-o"])
        .arg(&bin)
        .arg(&src)
        .output()
        .context("running gcc")?;
    if !o.status.success() {
        bail!("gcc -m32 -static {} failed:\n{}", src.display(), String::from_utf8_lossy(&o.stderr));
    }
    Ok(bin)
}

/// What a conformance run reported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// `group::name` of each passed check, in output order.
    pub passed: Vec<String>,
    /// `group::name` and the reason of each failed check.
    pub failed: Vec<(String, String)>,
    /// The closing `NAME: N passed, M failed` line was seen. When its
    /// numbers disagree with the lines seen (output was lost), a failure
    /// named `conformance::summary` is added.
    pub summary_seen: bool,
}

/// `NAME: N passed, M failed` (N, M).
fn summary(line: &str) -> Option<(usize, usize)> {
    let (word, rest) = line.split_once(": ")?;
    if word.is_empty() || word.contains(char::is_whitespace) {
        return None;
    }
    let (p, f) = rest.trim().split_once(", ")?;
    let p = p.strip_suffix(" passed")?.parse().ok()?;
    let f = f.strip_suffix(" failed")?.parse().ok()?;
    Some((p, f))
}

/// Parse the suite's output (other lines, such as console noise, are ignored).
pub fn parse_report(output: &str) -> Report {
    let mut r = Report::default();
    let mut counts = None;
    for line in output.lines() {
        let line = line.trim_matches(|c: char| c.is_whitespace() || c == '\r');
        if let Some(name) = line.strip_prefix("PASS ") {
            r.passed.push(name.trim().to_string());
        } else if let Some(rest) = line.strip_prefix("FAIL ") {
            let (name, why) = rest.split_once(": ").unwrap_or((rest, ""));
            r.failed.push((name.trim().to_string(), why.trim().to_string()));
        } else if let Some(c) = summary(line) {
            counts = Some(c);
        }
    }
    if let Some((p, f)) = counts {
        r.summary_seen = true;
        if (p, f) != (r.passed.len(), r.failed.len()) {
            let why = format!(
                "the summary says {p} passed, {f} failed, but {} PASS and {} FAIL lines were seen",
                r.passed.len(),
                r.failed.len()
            );
            r.failed.push(("conformance::summary".into(), why));
        }
    }
    r
}

/// Run `bin args...` natively on the host with stdin from /dev/null;
/// returns its stdout and stderr (interleaved as written) and its
/// shell-style status (128 + N for death by signal N). Fails after 60 s.
pub fn run_on_host(bin: &Path, args: &[&str]) -> Result<(String, i32)> {
    run_with_timeout(bin, args, HOST_TIMEOUT)
}

fn run_with_timeout(bin: &Path, args: &[&str], timeout: Duration) -> Result<(String, i32)> {
    use std::os::unix::process::ExitStatusExt;
    let (mut reader, writer) = std::io::pipe().context("creating a pipe")?;
    let writer2 = writer.try_clone()?;
    // the Command (holding our copies of the write end) is dropped at the
    // end of this statement, so the reader sees EOF when the child exits
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2)
        .spawn()
        .with_context(|| format!("running {}", bin.display()))?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = reader.read_to_end(&mut out);
        let _ = tx.send(out);
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            let out = rx.recv_timeout(Duration::from_secs(2)).unwrap_or_default();
            bail!(
                "{} did not finish within {} s; its output:\n{}",
                bin.display(),
                timeout.as_secs(),
                String::from_utf8_lossy(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // a grandchild still holding the pipe must not hang us
    let out = rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    let code = match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(sig)) => 128 + sig,
        (None, None) => bail!("{} ended with an unknown status", bin.display()),
    };
    Ok((String::from_utf8_lossy(&out).into_owned(), code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pass_fail_and_summary() {
        let out = "PASS open::creat\n\
                   FAIL open::enoent: expected -ENOENT, got 3\n\
                   PASS read_write::eof_0\n\
                   conformance: 2 passed, 1 failed\n";
        let r = parse_report(out);
        assert_eq!(r.passed, vec!["open::creat", "read_write::eof_0"]);
        assert_eq!(r.failed, vec![("open::enoent".to_string(), "expected -ENOENT, got 3".to_string())]);
        assert!(r.summary_seen);
    }

    #[test]
    fn reason_may_contain_colons_and_crlf_is_ignored() {
        let r = parse_report("FAIL x::y: expected a: b, got c\r\nconformance: 0 passed, 1 failed\r\n");
        assert_eq!(r.failed, vec![("x::y".to_string(), "expected a: b, got c".to_string())]);
        assert!(r.summary_seen);
    }

    #[test]
    fn fail_without_reason() {
        let r = parse_report("FAIL a::b\n");
        assert_eq!(r.failed, vec![("a::b".to_string(), String::new())]);
    }

    #[test]
    fn missing_summary_and_noise() {
        let r = parse_report("[kernel] booting\nPASS a::b\nsome PASS text\npanic: oops\n");
        assert_eq!(r.passed, vec!["a::b"]);
        assert!(r.failed.is_empty());
        assert!(!r.summary_seen);
    }

    #[test]
    fn summary_mismatch_is_a_failure() {
        let r = parse_report("PASS a::b\nconformance: 2 passed, 0 failed\n");
        assert!(r.summary_seen);
        assert_eq!(r.failed.len(), 1);
        assert_eq!(r.failed[0].0, "conformance::summary");
    }

    #[test]
    fn summary_line_shapes() {
        assert_eq!(summary("conformance: 596 passed, 0 failed"), Some((596, 0)));
        assert_eq!(summary("conformance: 596 passed"), None);
        assert_eq!(summary("two words: 1 passed, 0 failed"), None);
        assert_eq!(summary("FAIL x::y: 1 passed, 0 failed"), None);
    }

    #[test]
    fn host_run_captures_both_streams_and_status() {
        let (out, st) = run_on_host(Path::new("/bin/sh"), &["-c", "echo out; echo err >&2; exit 3"]).unwrap();
        assert_eq!(out, "out\nerr\n");
        assert_eq!(st, 3);
    }

    #[test]
    fn host_run_signal_status_and_stdin() {
        let (_, st) = run_on_host(Path::new("/bin/sh"), &["-c", "kill -SEGV $$"]).unwrap();
        assert_eq!(st, 139);
        let (out, st) = run_on_host(Path::new("/bin/sh"), &["-c", "cat; echo done"]).unwrap();
        assert_eq!((out.as_str(), st), ("done\n", 0));
    }

    #[test]
    fn host_run_times_out() {
        let t = Instant::now();
        let e = run_with_timeout(Path::new("/bin/sleep"), &["10"], Duration::from_millis(300));
        assert!(e.is_err());
        assert!(t.elapsed() < Duration::from_secs(5));
    }
}
