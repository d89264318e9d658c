//! The native Linux baseline: Debian's Linux 6.1 built for the i486
//! (`tinyconfig` plus `benches/linux/i486.config`), a freestanding `/init`
//! (`benches/linux/init.c`) and boots of both in the same QEMU as the
//! microkernel, so benchmarks can compare against native Linux.
//!
//! ```text
//! target/native-linux/
//!   src/linux-source-6.1/   the unpacked kernel tree (kept; builds are incremental)
//!   bzImage, bzImage.key    the cached kernel and its key (fragment + source version)
//!   config                  the .config it was built with
//!   bin/                    freestanding programs (init, hello, getpid)
//! ```
//!
//! A run boots `console=ttyS0 loglevel=1 panic=-1 -- PROGRAM ARGS`: `/init`
//! mounts /proc, /sys and /tmp, prints `native-start`, runs PROGRAM, prints
//! `native-exit STATUS` and reboots (QEMU has `-no-reboot`, so it exits).
//! `loglevel=1` keeps everything but emergency messages (panics, and the
//! kernel's final "reboot: Restarting system") off the console; [`parse_console`]
//! returns exactly what the program wrote between the two markers.

// Until the benchmark commands call into this module.
#![allow(dead_code)]

use crate::cpio::Cpio;
use crate::deps::Package;
use crate::qemu::Boot;
use anyhow::{bail, ensure, Context, Result};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The Debian package with the kernel source, and the tarball it installs.
const SOURCE_PACKAGE: &str = "linux-source-6.1";
const TARBALL: &str = "/usr/src/linux-source-6.1.tar.xz";
/// The tree's folder inside the tarball.
const TREE: &str = "linux-source-6.1";
/// Bump when the build recipe below changes in a way that needs a rebuild.
const RECIPE: &str = "native-linux recipe 1: tinyconfig + merge_config -m + olddefconfig, bzImage";

/// What building the kernel needs.
const BUILD_DEPS: &[Package] = &[
    Package { name: "linux-source-6.1", probe: TARBALL },
    Package { name: "bc", probe: "/usr/bin/bc" },
    Package { name: "flex", probe: "/usr/bin/flex" },
    Package { name: "bison", probe: "/usr/bin/bison" },
    Package { name: "libelf-dev", probe: "/usr/include/libelf.h" },
    Package { name: "libssl-dev", probe: "/usr/include/openssl/ssl.h" },
    Package { name: "cpio", probe: "/usr/bin/cpio" },
    Package { name: "make", probe: "/usr/bin/make" },
    Package { name: "gcc", probe: "/usr/bin/gcc" },
    // only recommended by gcc; the kernel's host tools need it
    Package { name: "libc6-dev", probe: "/usr/include/stdio.h" },
    Package { name: "xz-utils", probe: "/usr/bin/xz" },
    Package { name: "binutils", probe: "/usr/bin/objdump" },
];

/// The marker lines `/init` prints around the program's run.
const START_MARKER: &str = "native-start\n";
const EXIT_MARKER: &str = "\nnative-exit ";

/// The kernel command line before `-- PROGRAM ARGS`.
pub const CMDLINE: &str = "console=ttyS0 loglevel=1 panic=-1";

pub fn dir() -> PathBuf {
    crate::image::root().join("target").join("native-linux")
}

fn linux_dir() -> PathBuf {
    crate::image::root().join("benches").join("linux")
}

fn fragment_path() -> PathBuf {
    linux_dir().join("i486.config")
}

/// The stable path of the cached kernel (valid after [`bzimage`]).
pub fn bzimage_path() -> PathBuf {
    dir().join("bzImage")
}

/// FNV-1a, 64 bits: a stable hash with no dependencies.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The cache key of a kernel: recipe, source package version and fragment.
pub fn cache_key(fragment: &str, source_version: &str) -> String {
    let mut v = Vec::new();
    for part in [RECIPE, source_version, fragment] {
        v.extend_from_slice(part.as_bytes());
        v.push(0);
    }
    format!("{:016x}", fnv1a(&v))
}

/// The options a fragment sets: `CONFIG_X=v` gives `(X, Some(v))`,
/// `# CONFIG_X is not set` gives `(X, None)`; other lines are comments.
pub fn parse_fragment(text: &str) -> Vec<(String, Option<String>)> {
    let mut v = vec![];
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("# CONFIG_") {
            if let Some(name) = rest.strip_suffix(" is not set") {
                v.push((format!("CONFIG_{name}"), None));
            }
        } else if line.starts_with("CONFIG_") {
            if let Some((name, val)) = line.split_once('=') {
                v.push((name.to_string(), Some(val.to_string())));
            }
        }
    }
    v
}

/// Options of the fragment that the final .config does not have as asked.
pub fn config_mismatches(fragment: &str, config: &str) -> Vec<String> {
    let have: HashMap<String, Option<String>> = parse_fragment(config).into_iter().collect();
    let mut bad = vec![];
    for (name, want) in parse_fragment(fragment) {
        let got = have.get(&name).cloned().flatten();
        let ok = match (&want, &got) {
            (None, None) => true,
            (None, Some(g)) => g == "n",
            (Some(w), Some(g)) => w == g,
            (Some(w), None) => w == "n",
        };
        if !ok {
            bad.push(format!("{name}: wanted {}, got {}", want.as_deref().unwrap_or("not set"), got.as_deref().unwrap_or("not set")));
        }
    }
    bad
}

fn source_version() -> Result<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", SOURCE_PACKAGE])
        .output()
        .context("running dpkg-query")?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    ensure!(out.status.success() && !v.is_empty(), "{SOURCE_PACKAGE} is not installed");
    Ok(v)
}

/// An exclusive lock on `path` for as long as the returned file lives.
pub(crate) fn lock(path: &Path) -> Result<std::fs::File> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p)?;
    }
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.lock().with_context(|| format!("locking {}", path.display()))?;
    Ok(f)
}

/// Run a quiet command; on failure show its output.
fn run_quiet(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd.stdin(Stdio::null()).output().with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        bail!("{what} failed ({}):\n{}", out.status, crate::systest::tail(&text, 40));
    }
    Ok(())
}

/// Run `make` in `tree`, condensing its output into a progress line every
/// `every` (when `progress`); errors and the last lines are shown on failure.
fn make_streamed(tree: &Path, args: &[&str], progress: bool, every: Duration) -> Result<()> {
    let (reader, writer) = std::io::pipe().context("creating a pipe")?;
    let mut cmd = Command::new("make");
    cmd.current_dir(tree)
        .args(args)
        .env("KBUILD_BUILD_USER", "xtask")
        .env("KBUILD_BUILD_HOST", "native-linux")
        .stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer);
    let mut child = cmd.spawn().context("starting make")?;
    drop(cmd); // closes our copies of the pipe's write end
    let start = Instant::now();
    let mut last_report = Instant::now();
    let mut steps = 0usize;
    let mut tail: VecDeque<String> = VecDeque::new();
    let mut r = BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&buf).trim_end().to_string();
        // kbuild's short output: "  CC      kernel/fork.o"
        if line.starts_with("  ") && line.trim_start().chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
            steps += 1;
        } else if progress && (line.contains("error") || line.contains("Error")) {
            eprintln!("[native] make: {line}");
        }
        if progress && last_report.elapsed() >= every {
            last_report = Instant::now();
            eprintln!("[native] make {}: {steps} steps, {:.0} s, at: {}", args.join(" "), start.elapsed().as_secs_f64(), line.trim());
        }
        tail.push_back(line);
        if tail.len() > 60 {
            tail.pop_front();
        }
    }
    let status = child.wait()?;
    if !status.success() {
        let t: Vec<String> = tail.into_iter().collect();
        bail!("make {} failed ({status}) in {}:\n{}", args.join(" "), tree.display(), t.join("\n"));
    }
    if progress {
        eprintln!("[native] make {}: done, {steps} steps in {:.0} s", args.join(" "), start.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Unpack the kernel source once per source version.
fn extract(base: &Path, version: &str, progress: bool) -> Result<PathBuf> {
    let src = base.join("src");
    let tree = src.join(TREE);
    let stamp = src.join(".xtask-version");
    if tree.join("Makefile").exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(version) {
        return Ok(tree);
    }
    if src.exists() {
        std::fs::remove_dir_all(&src).with_context(|| format!("removing {}", src.display()))?;
    }
    let tmp = base.join("src.tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    if progress {
        eprintln!("[native] unpacking {TARBALL} ({SOURCE_PACKAGE} {version}), about a minute...");
    }
    let t = Instant::now();
    run_quiet(Command::new("tar").arg("-xf").arg(TARBALL).arg("-C").arg(&tmp), "tar")?;
    ensure!(tmp.join(TREE).join("Makefile").exists(), "{TARBALL} has no {TREE}/Makefile");
    std::fs::rename(&tmp, &src)?;
    std::fs::write(&stamp, version)?;
    if progress {
        eprintln!("[native] unpacked in {:.0} s", t.elapsed().as_secs_f64());
    }
    Ok(tree)
}

/// The native Linux kernel for the i486, built once and cached under
/// `target/native-linux/`; rebuilt only when `benches/linux/i486.config` or
/// the installed linux-source-6.1 version changes. Installs the build
/// packages (as root) when missing. `progress` prints what happens.
pub fn bzimage(progress: bool) -> Result<PathBuf> {
    let base = dir();
    let _lock = lock(&base.join("lock"))?;
    let frag_path = fragment_path();
    let fragment = std::fs::read_to_string(&frag_path).with_context(|| format!("reading {}", frag_path.display()))?;
    let out = bzimage_path();
    let key_path = base.join("bzImage.key");
    // fast path: only dpkg-query, no package checks
    if out.exists() {
        if let Ok(v) = source_version() {
            if std::fs::read_to_string(&key_path).ok().as_deref() == Some(cache_key(&fragment, &v).as_str()) {
                return Ok(out);
            }
        }
    }
    let missing = crate::deps::missing(BUILD_DEPS);
    if !missing.is_empty() {
        if progress {
            eprintln!("[native] installing the kernel build packages: {}", missing.join(" "));
        }
        crate::deps::apt_install(&missing)?;
    }
    let version = source_version()?;
    let key = cache_key(&fragment, &version);
    if out.exists() && std::fs::read_to_string(&key_path).ok().as_deref() == Some(key.as_str()) {
        return Ok(out);
    }
    let t = Instant::now();
    if progress {
        eprintln!("[native] building Linux {version} for the i486 (key {key}); several minutes the first time");
    }
    let tree = extract(&base, &version, progress)?;
    let arch = "ARCH=i386";
    run_quiet(Command::new("make").current_dir(&tree).args([arch, "tinyconfig"]), "make tinyconfig")?;
    run_quiet(
        Command::new("sh").current_dir(&tree).args(["scripts/kconfig/merge_config.sh", "-m", ".config"]).arg(&frag_path),
        "merge_config.sh",
    )?;
    run_quiet(Command::new("make").current_dir(&tree).args([arch, "olddefconfig"]), "make olddefconfig")?;
    let config = std::fs::read_to_string(tree.join(".config"))?;
    let bad = config_mismatches(&fragment, &config);
    ensure!(
        bad.is_empty(),
        "{} options of {} did not survive olddefconfig (unmet dependencies?):\n{}",
        bad.len(),
        frag_path.display(),
        bad.join("\n")
    );
    let jobs = format!("-j{}", std::thread::available_parallelism().map_or(2, |n| n.get()));
    make_streamed(&tree, &[arch, &jobs, "bzImage"], progress, Duration::from_secs(15))?;
    let built = tree.join("arch/x86/boot/bzImage");
    let tmp = base.join("bzImage.tmp");
    std::fs::copy(&built, &tmp).with_context(|| format!("copying {}", built.display()))?;
    std::fs::rename(&tmp, &out)?;
    std::fs::write(base.join("config"), &config)?;
    std::fs::write(&key_path, &key)?;
    if progress {
        let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
        eprintln!("[native] {} ({} KiB) built in {:.0} s", out.display(), size / 1024, t.elapsed().as_secs_f64());
    }
    Ok(out)
}

/// Compile `benches/linux/<name>.c` into a freestanding static i386
/// program (`target/native-linux/bin/<name>`) and check it is i486-clean.
pub fn freestanding(name: &str, allow_rdtsc: bool) -> Result<PathBuf> {
    let src = linux_dir().join(format!("{name}.c"));
    ensure!(src.exists(), "no {}", src.display());
    let bin = dir().join("bin");
    std::fs::create_dir_all(&bin)?;
    let out = bin.join(name);
    let tmp = bin.join(format!(".{name}.{}", std::process::id()));
    let gcc = |tmp: &Path| {
        Command::new("gcc")
            .args(["-m32", "-march=i486", "-mtune=i486", "-static", "-nostdlib", "-ffreestanding", "-fno-pie", "-no-pie", "-O2"])
            .args(["-fno-stack-protector", "-fcf-protection=none", "-fno-asynchronous-unwind-tables"])
            .args(["-Wall", "-Wextra", "-Wl,--build-id=none", "-o"])
            .arg(tmp)
            .arg(&src)
            .output()
    };
    let mut res = gcc(&tmp).context("running gcc")?;
    if !res.status.success() && !crate::deps::missing(crate::deps::TEST).is_empty() {
        // perhaps no 32-bit support: install gcc-multilib and try again
        crate::deps::ensure(crate::deps::TEST)?;
        res = gcc(&tmp).context("running gcc")?;
    }
    if !res.status.success() {
        bail!("gcc failed on {}:\n{}", src.display(), String::from_utf8_lossy(&res.stderr));
    }
    let warnings = String::from_utf8_lossy(&res.stderr);
    if !warnings.trim().is_empty() {
        eprintln!("[native] gcc {}:\n{warnings}", src.display());
    }
    crate::isa::check(&tmp, allow_rdtsc)?;
    std::fs::rename(&tmp, &out)?;
    Ok(out)
}

const S_IFCHR: u32 = 0o020000;

/// One newc entry for a character device (the `Cpio` writer only writes
/// files, directories and links, with rdev 0).
fn char_dev_entry(ino: u32, name: &str, perm: u32, major: u32, minor: u32) -> Vec<u8> {
    let name = name.trim_start_matches('/');
    let fields = [ino, S_IFCHR | perm, 0, 0, 1, 0, 0, 0, 0, major, minor, name.len() as u32 + 1, 0];
    let mut v = b"070701".to_vec();
    for f in fields {
        v.extend_from_slice(format!("{f:08X}").as_bytes());
    }
    v.extend_from_slice(name.as_bytes());
    v.push(0);
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
    v
}

/// Device nodes of the initramfs: (name, mode, major, minor).
const DEVICES: &[(&str, u32, u32, u32)] = &[
    ("dev/console", 0o600, 5, 1),
    ("dev/tty", 0o666, 5, 0),
    ("dev/null", 0o666, 1, 3),
    ("dev/zero", 0o666, 1, 5),
    ("dev/full", 0o666, 1, 7),
    ("dev/random", 0o666, 1, 8),
    ("dev/urandom", 0o666, 1, 9),
    ("dev/ttyS0", 0o660, 4, 64),
];

/// A second cpio archive with the device nodes (the kernel unpacks
/// concatenated archives; this one follows the main one, which has /dev).
fn devices_archive() -> Vec<u8> {
    let mut v = vec![];
    for (i, (name, perm, major, minor)) in DEVICES.iter().enumerate() {
        v.extend(char_dev_entry(0x10000 + i as u32, name, *perm, *major, *minor));
    }
    // the trailer, as the Cpio writer writes it
    let trailer = Cpio::new().finish();
    v.extend_from_slice(&trailer);
    while !v.len().is_multiple_of(512) {
        v.push(0);
    }
    v
}

/// The folders `guest` needs above it ("a/b/c" needs "a", "a/b").
fn parents(guest: &str) -> Vec<String> {
    let parts: Vec<&str> = guest.trim_start_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    (1..parts.len()).map(|n| parts[..n].join("/")).collect()
}

/// The initramfs for a native run: /init, /bin, /dev (console, tty, null,
/// zero, full, random, urandom, ttyS0; fd/stdin/stdout/stderr links), /proc,
/// /sys, /tmp, /etc, /root and the host `files` at their guest paths
/// (folders created as needed, host permission bits kept).
pub fn initramfs(files: &[(PathBuf, String)], out: &Path) -> Result<PathBuf> {
    initramfs_with_links(files, &[], out)
}

/// [`initramfs`] plus symbolic links `(guest path, target)`, e.g.
/// `("/bin/sh", "busybox")`.
pub fn initramfs_with_links(files: &[(PathBuf, String)], links: &[(String, String)], out: &Path) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let init = freestanding("init", false)?;
    let mut c = Cpio::new();
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    for d in ["bin", "sbin", "usr", "usr/bin", "dev", "proc", "sys", "etc", "root"] {
        c.dir(d);
        dirs.insert(d.into());
    }
    c.entry("tmp", crate::cpio::S_IFDIR | 0o1777, &[]);
    dirs.insert("tmp".into());
    for (name, target) in [("dev/fd", "/proc/self/fd"), ("dev/stdin", "/proc/self/fd/0"), ("dev/stdout", "/proc/self/fd/1"), ("dev/stderr", "/proc/self/fd/2")] {
        c.symlink(name, target);
    }
    c.file("init", 0o755, &std::fs::read(&init)?);
    let mut taken: BTreeSet<String> = ["init".to_string()].into();
    let mut add_parents = |c: &mut Cpio, guest: &str| {
        for p in parents(guest) {
            if dirs.insert(p.clone()) {
                c.dir(&p);
            }
        }
    };
    for (host, guest) in files {
        let g = guest.trim_start_matches('/').to_string();
        ensure!(!g.is_empty() && taken.insert(g.clone()), "initramfs: guest path {guest} given twice (or /init)");
        let body = std::fs::read(host).with_context(|| format!("reading {}", host.display()))?;
        let perm = std::fs::metadata(host)?.permissions().mode() & 0o7777;
        add_parents(&mut c, &g);
        c.file(&g, perm, &body);
    }
    for (guest, target) in links {
        let g = guest.trim_start_matches('/').to_string();
        ensure!(!g.is_empty() && taken.insert(g.clone()), "initramfs: guest path {guest} given twice (or /init)");
        add_parents(&mut c, &g);
        c.symlink(&g, target);
    }
    let mut data = c.finish();
    data.extend(devices_archive());
    if let Some(p) = out.parent() {
        std::fs::create_dir_all(p)?;
    }
    std::fs::write(out, data).with_context(|| format!("writing {}", out.display()))?;
    Ok(out.to_path_buf())
}

/// A QEMU boot of native Linux (486, 128 MB, console on COM1) running
/// `program_guest_path args` from `initramfs`. Uses the cached kernel:
/// call [`bzimage`] first ([`run`] does).
///
/// The arguments travel on the kernel command line after `--`: arguments
/// with blanks are put in double quotes (the kernel strips them); an
/// argument cannot contain `"` or a newline, the program gets at most 30
/// arguments (the kernel's MAX_INIT_ARGS is 32 including /init and the
/// program) and the whole line is limited to 2048 bytes.
pub fn boot(program_guest_path: &str, args: &[&str], initramfs: &Path) -> Boot {
    let mut b = Boot::new(bzimage_path());
    b.linux = true;
    b.cpu = "486".into();
    b.memory_mb = 128;
    b.modules = vec![(initramfs.to_path_buf(), String::new())];
    let mut words = vec![CMDLINE.to_string(), "--".into(), program_guest_path.into()];
    words.extend(args.iter().map(|s| quote_arg(s)));
    b.cmdline = words.join(" ");
    b
}

/// One init argument for the kernel command line.
fn quote_arg(s: &str) -> String {
    if s.is_empty() || s.contains(char::is_whitespace) {
        format!("\"{s}\"")
    } else {
        s.to_string()
    }
}

/// The program's output and status from a native run's console: the text
/// between `native-start` and the last `native-exit STATUS` line.
pub fn parse_console(console: &str) -> Result<(String, i32)> {
    let start = console
        .find(START_MARKER)
        .map(|i| i + START_MARKER.len())
        .with_context(|| format!("no '{}' on the console:\n{}", START_MARKER.trim(), crate::systest::tail(console, 30)))?;
    let rest = &console[start..];
    let end = rest
        .rfind(EXIT_MARKER)
        .with_context(|| format!("no 'native-exit' line on the console:\n{}", crate::systest::tail(console, 30)))?;
    let status_text = rest[end + EXIT_MARKER.len()..].lines().next().unwrap_or("").trim();
    let status = status_text.parse().with_context(|| format!("bad native-exit status '{status_text}'"))?;
    Ok((rest[..end].to_string(), status))
}

/// Run `boot` captured and extract the program's output and status.
pub fn run_boot(boot: &Boot, timeout: Duration) -> Result<(String, i32)> {
    let run = boot.run_captured(timeout, None)?;
    parse_console(&run.output).with_context(|| format!("native Linux run ({:?} after {:.1} s): {}", run.exit, run.elapsed.as_secs_f64(), boot.describe()))
}

/// Boot native Linux running `program_guest_path args` from `initramfs`
/// (building the kernel first if needed); the program's console output and
/// its exit status (shell encoding).
pub fn run(program_guest_path: &str, args: &[&str], initramfs: &Path, timeout: Duration) -> Result<(String, i32)> {
    bzimage(true)?;
    run_boot(&boot(program_guest_path, args, initramfs), timeout)
}

/// Build everything and boot a freestanding hello on `-cpu 486`: it must
/// print its text and arguments and exit with status 3; killed by SIGKILL
/// it must give 137.
pub fn smoke_test() -> Result<()> {
    bzimage(true)?;
    let hello = freestanding("hello", false)?;
    let cpio = dir().join(format!("smoke-{}.cpio", std::process::id()));
    initramfs(&[(hello, "/bin/hello".into())], &cpio)?;
    let t = Instant::now();
    let r = run("/bin/hello", &["one", "two"], &cpio, Duration::from_secs(120));
    let elapsed = t.elapsed();
    let killed = run("/bin/hello", &["kill"], &cpio, Duration::from_secs(120));
    let _ = std::fs::remove_file(&cpio);
    let (out, status) = r?;
    ensure!(
        out == "hello from a freestanding i486 program\nargs: one two\n",
        "unexpected output from /bin/hello: {out:?}"
    );
    ensure!(status == 3, "/bin/hello exited with {status}, expected 3");
    let (out, status) = killed?;
    ensure!(status == 137, "/bin/hello kill ended with {status}, expected 137 (SIGKILL); output {out:?}");
    eprintln!("[native] smoke test passed (boot and run in {:.1} s)", elapsed.as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_key_follows_fragment_and_version() {
        let a = cache_key("CONFIG_M486=y\n", "6.1.1-1");
        assert_eq!(a, cache_key("CONFIG_M486=y\n", "6.1.1-1"));
        assert_eq!(a.len(), 16);
        assert_ne!(a, cache_key("CONFIG_M486=y\nCONFIG_TMPFS=y\n", "6.1.1-1"));
        assert_ne!(a, cache_key("CONFIG_M486=y\n", "6.1.2-1"));
        // the separator keeps fields apart
        assert_ne!(cache_key("ab", "c"), cache_key("b", "ca"));
    }

    #[test]
    fn fragment_parsing_and_checking() {
        let frag = "# a comment\n# CONFIG_64BIT is not set\nCONFIG_M486=y\nCONFIG_TMPFS=y\n\nCONFIG_NR=\"x\"\n";
        assert_eq!(
            parse_fragment(frag),
            vec![
                ("CONFIG_64BIT".into(), None),
                ("CONFIG_M486".into(), Some("y".into())),
                ("CONFIG_TMPFS".into(), Some("y".into())),
                ("CONFIG_NR".into(), Some("\"x\"".into())),
            ]
        );
        let good = "CONFIG_M486=y\n# CONFIG_X is not set\nCONFIG_TMPFS=y\nCONFIG_NR=\"x\"\n";
        assert!(config_mismatches(frag, good).is_empty());
        let bad = "CONFIG_64BIT=y\nCONFIG_M486=y\n# CONFIG_TMPFS is not set\nCONFIG_NR=\"y\"\n";
        let m = config_mismatches(frag, bad);
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(m[0].starts_with("CONFIG_64BIT"));
    }

    #[test]
    fn real_fragment_has_the_essentials() {
        let frag = std::fs::read_to_string(fragment_path()).unwrap();
        let opts: HashMap<String, Option<String>> = parse_fragment(&frag).into_iter().collect();
        for o in ["M486", "BLK_DEV_INITRD", "BINFMT_ELF", "SERIAL_8250_CONSOLE", "COMPAT_32BIT_TIME", "FUTEX", "TMPFS"] {
            assert_eq!(opts.get(&format!("CONFIG_{o}")), Some(&Some("y".to_string())), "CONFIG_{o}");
        }
        assert_eq!(opts.get("CONFIG_64BIT"), Some(&None));
    }

    #[test]
    fn console_parsing() {
        let console = "Linux noise\nnative-start\nhello\nworld\n\nnative-exit 3\nreboot: Restarting system\n";
        assert_eq!(parse_console(console).unwrap(), ("hello\nworld\n".to_string(), 3));
        // output without a final newline
        let console = "native-start\nabc\nnative-exit 139\n";
        assert_eq!(parse_console(console).unwrap(), ("abc".to_string(), 139));
        // the program printing the marker itself: the last one counts
        let console = "native-start\nnative-exit 1\n\nnative-exit 0\n";
        assert_eq!(parse_console(console).unwrap(), ("native-exit 1\n".to_string(), 0));
        assert_eq!(parse_console("native-start\n\nnative-exit 0\n").unwrap(), (String::new(), 0));
        assert!(parse_console("Kernel panic - not syncing\n").is_err());
        assert!(parse_console("native-start\nhello\n").is_err());
    }

    #[test]
    fn char_device_entries() {
        let e = char_dev_entry(7, "/dev/null", 0o666, 1, 3);
        assert_eq!(&e[..6], b"070701");
        let field = |i: usize| u32::from_str_radix(std::str::from_utf8(&e[6 + 8 * i..14 + 8 * i]).unwrap(), 16).unwrap();
        assert_eq!(field(0), 7);
        assert_eq!(field(1), 0o020666);
        assert_eq!(field(6), 0); // size
        assert_eq!((field(9), field(10)), (1, 3)); // rdev
        assert_eq!(field(11), 9); // "dev/null\0"
        assert_eq!(&e[110..119], b"dev/null\0");
        assert_eq!(e.len() % 4, 0);
        let d = devices_archive();
        assert_eq!(d.len() % 512, 0);
        assert!(d.windows(10).any(|w| w == b"TRAILER!!!"));
    }

    #[test]
    fn command_line() {
        let b = boot("/bin/sh", &["-c", "echo a=b; exit 2", "x"], Path::new("/tmp/i.cpio"));
        assert_eq!(b.cmdline, format!("{CMDLINE} -- /bin/sh -c \"echo a=b; exit 2\" x"));
        assert!(b.linux);
        assert_eq!(b.modules[0].0, Path::new("/tmp/i.cpio"));
    }

    #[test]
    fn parent_folders() {
        assert_eq!(parents("/usr/local/bin/x"), vec!["usr", "usr/local", "usr/local/bin"]);
        assert!(parents("/x").is_empty());
    }

    /// getpid's cost in guest instructions on native Linux (rdtsc around
    /// 1000 calls under -icount shift=0):
    /// `cargo test -p xtask -- --ignored native::tests::getpid_cost --nocapture`
    #[test]
    #[ignore]
    fn getpid_cost() {
        bzimage(true).unwrap();
        let prog = freestanding("getpid", true).unwrap();
        let cpio = dir().join(format!("getpid-{}.cpio", std::process::id()));
        initramfs(&[(prog, "/bin/getpid".into())], &cpio).unwrap();
        let mut b = boot("/bin/getpid", &[], &cpio);
        b.icount = true;
        let raw = b.run_captured(Duration::from_secs(120), None).unwrap();
        let _ = std::fs::remove_file(&cpio);
        eprintln!("--- console ---\n{}--- end ---", raw.output);
        let (out, status) = parse_console(&raw.output).unwrap();
        assert_eq!(status, 0);
        assert!(out.contains("getpid-per-call "), "{out}");
    }

    /// Debian's busybox (i686: -cpu pentium2) with applet links on native Linux:
    /// `cargo test -p xtask -- --ignored native::tests::busybox_shell --nocapture`
    #[test]
    #[ignore]
    fn busybox_shell() {
        bzimage(true).unwrap();
        let bb = crate::fetch::busybox().unwrap();
        let links: Vec<(String, String)> =
            crate::fetch::busybox_applets(&bb).unwrap().into_iter().map(|a| (format!("/bin/{a}"), "busybox".to_string())).collect();
        let cpio = dir().join(format!("busybox-{}.cpio", std::process::id()));
        initramfs_with_links(&[(bb, "/bin/busybox".into())], &links, &cpio).unwrap();
        let mut b = boot("/bin/sh", &["-c", "echo hi >/tmp/x; cat /tmp/x; echo a=b; ls /dev; exit 5"], &cpio);
        b.cpu = "pentium2".into();
        let r = run_boot(&b, Duration::from_secs(120));
        let _ = std::fs::remove_file(&cpio);
        let (out, status) = r.unwrap();
        eprintln!("{out}");
        assert_eq!(status, 5);
        assert!(out.starts_with("hi\na=b\n") && out.contains("urandom"), "{out}");
    }

    /// The full check (builds the kernel the first time, several minutes):
    /// `cargo test -p xtask -- --ignored native::tests::smoke --nocapture`
    #[test]
    #[ignore]
    fn smoke() {
        smoke_test().unwrap();
    }
}
