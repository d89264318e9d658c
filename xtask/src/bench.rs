//! `cargo xtask bench`: the same Linux benchmark programs (`benches/`) on
//! native Linux, on the L4 system and on the Mach-style IPC build of the
//! kernel, all in the same QEMU on `-cpu 486`; then a markdown table, an
//! SVG chart of the ratios to native, and `docs/benchmarks.md` updated.
//!
//! ```text
//! cargo xtask bench [--systems native,l4,mach] [--mode icount|tcg|kvm] [--quick]
//!                   [--only NAME,...] [--timeout SECS] [--no-doc]
//!                   [--guest-args "--plan W,R,I"] [ipc]
//! ```
//!
//! - Modes: `icount` (default; `-icount shift=0,align=off,sleep=off`, the
//!   time-stamp counter advances once per guest instruction, so figures are
//!   deterministic instruction counts), `tcg` (wall clock of the emulator:
//!   host TSC cycles), `kvm` (real cycles of the host CPU, not a 486).
//! - Native Linux boots the cached i486 kernel (`crate::native`; another
//!   one with `BENCH_NATIVE_KERNEL=bzImage`) with `norandmaps` and the two
//!   programs in its initramfs; L4 and Mach run `/bin/bench` as the first
//!   process through [`run_on_microkernel`], the one place those systems
//!   plug in.
//! - A system that cannot be built, booted or run is reported as `failed:
//!   <reason>` in its column; the other systems still run. Under `icount`
//!   the systems run in parallel (virtual time does not care); otherwise
//!   one after the other, so they do not disturb each other's clocks.
//! - Each system's raw output of the last full run per mode is kept in
//!   `target/bench/<mode>/<system>.txt`; the table and the doc section are
//!   built from the latest file of every system, so `--systems l4` alone
//!   refreshes the L4 column and keeps the others.
//! - `ipc`: boots each kernel with `bench-ipc` (the roottask's IPC
//!   ping-pong) under icount, and under KVM when it can run a 32-bit guest
//!   ([`kvm_usable`] boots a tiny probe), and
//!   records the figures and the kernel `.text` sizes.
//!
//! The `BENCH` line format and the catalogue live in
//! `benches/src/report.rs`, shared with the guest programs.

use crate::image::{self, BuildOpts, Images};
use crate::qemu::{Accel, Boot, Exit};
use crate::systest::tail;
use anyhow::{bail, ensure, Context, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[path = "../../benches/src/report.rs"]
#[allow(dead_code)] // the statistics half is the guest's
pub mod report;

use report::{Summary, CATALOG};

/// The CPU model of every run.
pub const CPU: &str = "486";

/// A system under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum System {
    Native,
    L4,
    Mach,
}

impl System {
    pub const ALL: [System; 3] = [System::Native, System::L4, System::Mach];

    pub fn name(self) -> &'static str {
        match self {
            System::Native => "native",
            System::L4 => "l4",
            System::Mach => "mach",
        }
    }
}

/// How time is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// QEMU `-icount shift=0,align=off,sleep=off`: one TSC tick per guest instruction.
    Icount,
    /// Plain TCG: the emulator's wall clock.
    Tcg,
    /// KVM: real cycles on the host CPU (not a 486).
    Kvm,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Icount => "icount",
            Mode::Tcg => "tcg",
            Mode::Kvm => "kvm",
        }
    }

    /// Set accelerator and instruction counting on a boot.
    pub fn apply(self, b: &mut Boot) {
        b.accel = if self == Mode::Kvm { Accel::Kvm } else { Accel::Tcg };
        b.icount = self == Mode::Icount;
    }

    /// What a "cycle" is in this mode.
    pub fn meaning(self) -> &'static str {
        match self {
            Mode::Icount => "guest instructions (QEMU -icount shift=0: the TSC advances once per instruction; deterministic)",
            Mode::Tcg => "host TSC cycles of the emulated run (wall clock of QEMU's TCG; noisy)",
            Mode::Kvm => "real cycles of the host CPU under KVM (not a 486: a modern out-of-order core)",
        }
    }
}

/// What to benchmark besides the Linux programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// The kernel-level IPC ping-pong of the roottask (`bench-ipc`).
    Ipc,
}

/// The options of `cargo xtask bench`.
#[derive(Clone, Debug, clap::Args)]
pub struct BenchOpts {
    /// Systems to run, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = System::ALL.to_vec())]
    pub systems: Vec<System>,
    /// How time is measured.
    #[arg(long, value_enum, default_value_t = Mode::Icount)]
    pub mode: Mode,
    /// Few iterations (seconds per system); does not update docs/benchmarks.md.
    #[arg(long)]
    pub quick: bool,
    /// Only these benchmarks (comma-separated names; default all). Does not update the doc.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Time limit per system run in seconds (default: by system and --quick).
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Do not update docs/benchmarks.md.
    #[arg(long)]
    pub no_doc: bool,
    /// Extra arguments for the guest `bench` program, e.g. "--plan 0,5,1000"
    /// (experiments: results are not saved and the doc is not updated).
    #[arg(long, allow_hyphen_values = true, value_name = "ARGS")]
    pub guest_args: Option<String>,
    /// `ipc`: the kernel IPC ping-pong instead of the Linux programs.
    #[arg(value_enum)]
    pub what: Option<What>,
}

impl Default for BenchOpts {
    fn default() -> Self {
        BenchOpts {
            systems: System::ALL.to_vec(),
            mode: Mode::Icount,
            quick: false,
            only: vec![],
            timeout: None,
            no_doc: false,
            guest_args: None,
            what: None,
        }
    }
}

impl BenchOpts {
    /// The command line that reproduces this run.
    pub fn command(&self) -> String {
        let mut c = String::from("cargo xtask bench");
        if self.systems != System::ALL {
            let s: Vec<&str> = self.systems.iter().map(|s| s.name()).collect();
            let _ = write!(c, " --systems {}", s.join(","));
        }
        let _ = write!(c, " --mode {}", self.mode.name());
        if self.quick {
            c.push_str(" --quick");
        }
        if !self.only.is_empty() {
            let _ = write!(c, " --only {}", self.only.join(","));
        }
        if let Some(a) = &self.guest_args {
            let _ = write!(c, " --guest-args \"{a}\"");
        }
        if self.what == Some(What::Ipc) {
            c.push_str(" ipc");
        }
        c
    }

    fn timeout_for(&self, s: System) -> Duration {
        if let Some(t) = self.timeout {
            return Duration::from_secs(t);
        }
        let secs = match (self.quick, s) {
            (true, System::Native) => 60,
            (true, _) => 100,
            (false, System::Native) => 900,
            (false, System::L4) => 1800,
            (false, System::Mach) => 3600,
        };
        Duration::from_secs(secs)
    }
}

/// One benchmark's figures from a `BENCH` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measured {
    pub summary: Summary,
    pub unit: String,
    pub iters: u64,
    pub reps: u64,
}

/// What one system produced.
#[derive(Clone, Debug)]
pub struct SystemResult {
    pub system: System,
    /// Why the run as a whole failed (build, boot, time-out, crash), if it did.
    pub failure: Option<String>,
    /// Per requested benchmark, in catalogue order: figures, or why none.
    pub benchmarks: Vec<(&'static str, Result<Measured, String>)>,
    /// The program's output (or what there was of it).
    pub output: String,
    pub elapsed: Duration,
    /// When it ran (UTC date).
    pub date: String,
    /// The source revision it ran (`git rev-parse --short HEAD`, "+ uncommitted changes").
    pub source: String,
}

impl SystemResult {
    /// A system that did not run at all.
    fn failed(system: System, wanted: &[&'static str], why: String, elapsed: Duration) -> SystemResult {
        let short = first_line(&why);
        SystemResult {
            system,
            benchmarks: wanted.iter().map(|&n| (n, Err(short.clone()))).collect(),
            failure: Some(why),
            output: String::new(),
            elapsed,
            date: today(),
            source: git_revision(),
        }
    }

    /// The figures of `name`, if measured.
    pub fn get(&self, name: &str) -> Option<&Measured> {
        self.benchmarks.iter().find(|(n, _)| *n == name).and_then(|(_, r)| r.as_ref().ok())
    }

    /// Ok when the run finished and every requested benchmark produced a
    /// valid `BENCH` line.
    pub fn check_complete(&self) -> Result<()> {
        if let Some(f) = &self.failure {
            bail!("{}: {f}", self.system.name());
        }
        let bad: Vec<String> = self.benchmarks.iter().filter_map(|(n, r)| r.as_ref().err().map(|e| format!("{n}: {e}"))).collect();
        ensure!(bad.is_empty(), "{}: {} benchmark(s) without a result:\n{}", self.system.name(), bad.len(), bad.join("\n"));
        ensure!(!self.benchmarks.is_empty(), "{}: no benchmarks", self.system.name());
        Ok(())
    }
}

fn first_line(s: &str) -> String {
    s.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").to_string()
}

/// The reason of a benchmark the output says nothing about.
const NO_LINE: &str = "no result line";

/// Parse a program's output into per-benchmark results for `wanted`; the
/// second value says whether the closing `BENCH-END` line was seen.
pub fn parse_output(output: &str, wanted: &[&'static str]) -> (Vec<(&'static str, Result<Measured, String>)>, bool) {
    let mut got: Vec<(&'static str, Result<Measured, String>)> = wanted.iter().map(|&n| (n, Err(NO_LINE.to_string()))).collect();
    let mut end = false;
    for line in output.lines() {
        let line = line.trim();
        if line.starts_with("BENCH-END") {
            end = true;
        } else if let Some((name, why)) = report::parse_fail(line) {
            if let Some(slot) = got.iter_mut().find(|(n, _)| *n == name) {
                slot.1 = Err(if why.is_empty() { "failed".into() } else { why.to_string() });
            }
        } else if let Some(l) = report::parse_line(line) {
            if let Some(slot) = got.iter_mut().find(|(n, _)| *n == l.name) {
                slot.1 = Ok(Measured { summary: l.summary, unit: l.unit.to_string(), iters: l.iters, reps: l.reps });
            }
        }
    }
    (got, end)
}

/// Benchmark names from `--only` (all when empty); unknown names are an error.
fn wanted(only: &[String]) -> Result<Vec<&'static str>> {
    if only.is_empty() {
        return Ok(CATALOG.iter().map(|s| s.name).collect());
    }
    // catalogue order, whatever order they were given in
    for o in only {
        ensure!(
            report::find(o).is_some(),
            "unknown benchmark '{o}'; known: {}",
            CATALOG.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(CATALOG.iter().map(|s| s.name).filter(|n| only.iter().any(|o| o == n)).collect())
}

/// The guest programs on the host.
#[derive(Clone, Debug)]
struct Bins {
    bench: PathBuf,
    child: PathBuf,
}

/// Build the boot images (with the Mach kernel if possible) and find the
/// benchmark programs; the images are `Err` when they cannot be built, and
/// the programs are then built on their own.
fn prepare(need_images: bool) -> Result<(Result<Images, String>, Bins)> {
    let images = if need_images {
        eprintln!("[bench] building the release images (kernel, Mach kernel, server, programs)");
        match image::build(&BuildOpts { release: true, mach: true, add: vec![] }) {
            Ok(i) => Ok(i),
            Err(e) => {
                eprintln!("[bench] release build with the Mach kernel failed ({e:#}); trying without it");
                image::build(&BuildOpts { release: true, mach: false, add: vec![] })
                    .map_err(|e2| format!("build failed: {}", first_line(&format!("{e2:#}"))))
            }
        }
    } else {
        Err("not built".to_string())
    };
    let bins = match &images {
        Ok(i) => Bins { bench: i.bin("bench"), child: i.bin("bench-child") },
        Err(_) => {
            eprintln!("[bench] building the benchmark programs");
            let tc = crate::toolchain::detect()?;
            let dir = tc.build(&image::root(), crate::toolchain::Target::Linux, &["benches"], true, &[], "cross-linux")?;
            Bins { bench: dir.join("bench"), child: dir.join("bench-child") }
        }
    };
    for b in [&bins.bench, &bins.child] {
        ensure!(b.exists(), "{} was not built", b.display());
        crate::isa::check(b, true)?;
    }
    Ok((images, bins))
}

/// What a guest run gave: the program's output (or the whole console when
/// it cannot be told apart) and its exit status, or why the run did not
/// finish normally (time-out, crash); the output then holds what there was.
#[derive(Clone, Debug)]
pub struct GuestRun {
    pub output: String,
    pub status: std::result::Result<i32, String>,
}

/// Run a Linux program as the first process on the L4 system (`mach =
/// false`) or on the Mach-style kernel, on `-cpu 486` in `mode`. This is
/// the one place the microkernel systems plug in: it boots like
/// `crate::linuxtest::run_in_system`, plus the accelerator and icount, and
/// keeps the output of runs that do not finish. `Err` means it could not
/// even start.
pub fn run_on_microkernel(images: &Images, argv: &[&str], mach: bool, mode: Mode, timeout: Duration) -> Result<GuestRun> {
    let kernel = if mach { images.kernel_mach() } else { images.kernel() };
    ensure!(kernel.exists(), "no {} kernel ({} missing)", if mach { "Mach-style" } else { "L4" }, kernel.display());
    let mut b = crate::systest::system_boot(images, mach);
    b.cpu = CPU.into();
    mode.apply(&mut b);
    b.cmdline = format!("quiet -- {}", argv.join(" "));
    let ctl = images.dir.join(format!("ctl-bench-{}-{}.txt", std::process::id(), if mach { "mach" } else { "l4" }));
    b.ctl = Some(ctl.clone());
    let run = b.run_captured(timeout, None)?;
    let log = std::fs::read_to_string(&ctl).unwrap_or_default();
    let _ = std::fs::remove_file(&ctl);
    let output = crate::linuxtest::program_output(&run.output);
    let why = match run.exit {
        Exit::Status(s) => return Ok(GuestRun { output, status: Ok(s as i32) }),
        Exit::Timeout => format!("timed out after {} s", timeout.as_secs()),
        other => format!("the system did not finish normally ({other:?})"),
    };
    let status = Err(format!("{why}\n--- console ---\n{}\n--- server log ---\n{}", tail(&run.output, 30), tail(&log, 30)));
    Ok(GuestRun { output, status })
}

/// Environment variable naming another native kernel (a bzImage) to boot
/// instead of the cached one, for experiments with kernel configurations.
pub const NATIVE_KERNEL_VAR: &str = "BENCH_NATIVE_KERNEL";

/// Kernel parameters the native runs add (before `--`): no randomized
/// stack and mmap placement, so runs differ less (the time of day QEMU's RTC
/// starts from still differs, and with it the kernel's random seeds).
pub const NATIVE_EXTRA_CMDLINE: &str = "norandmaps";

/// Boot native Linux with the programs in its initramfs and run `bench args`.
fn run_native(bins: &Bins, args: &[String], mode: Mode, timeout: Duration) -> Result<GuestRun> {
    crate::native::bzimage(true)?;
    let cpio = out_dir(mode).join(format!("native-{}.cpio", std::process::id()));
    crate::native::initramfs(&[(bins.bench.clone(), "/bin/bench".into()), (bins.child.clone(), "/bin/bench-child".into())], &cpio)?;
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut b = crate::native::boot("/bin/bench", &argv, &cpio);
    if let Some(k) = std::env::var_os(NATIVE_KERNEL_VAR) {
        eprintln!("[bench] native: kernel {} (from {NATIVE_KERNEL_VAR})", Path::new(&k).display());
        b.kernel = k.into();
    }
    b.cpu = CPU.into();
    mode.apply(&mut b);
    // no address-space randomization: fewer differences from run to run
    b.cmdline = b.cmdline.replacen(" -- ", &format!(" {NATIVE_EXTRA_CMDLINE} -- "), 1);
    let run = b.run_captured(timeout, None);
    let _ = std::fs::remove_file(&cpio);
    let run = run?;
    Ok(match crate::native::parse_console(&run.output) {
        Ok((output, status)) => GuestRun { output, status: Ok(status) },
        // the BENCH lines that made it out are still worth having
        Err(e) => {
            let why =
                if run.exit == Exit::Timeout { format!("timed out after {} s", timeout.as_secs()) } else { format!("{:?}", run.exit) };
            GuestRun { status: Err(format!("{why}: {e:#}")), output: run.output }
        }
    })
}

/// Run `f`, printing a line every 15 s while it runs.
fn with_heartbeat<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let start = Instant::now();
            let mut next = 15;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                if start.elapsed().as_secs() >= next {
                    eprintln!("[bench] {label}: running, {next} s");
                    next += 15;
                }
            }
        });
        let r = f();
        done.store(true, Ordering::Relaxed);
        r
    })
}

/// Run one system and collect its result.
fn run_one(system: System, opts: &BenchOpts, wanted: &[&'static str], images: &Result<Images, String>, bins: &Bins) -> SystemResult {
    let mut args: Vec<String> = vec![];
    if opts.quick {
        args.push("--quick".into());
    }
    if let Some(extra) = &opts.guest_args {
        args.extend(extra.split_whitespace().map(String::from));
    }
    if !opts.only.is_empty() {
        args.extend(wanted.iter().map(|s| s.to_string()));
    }
    let timeout = opts.timeout_for(system);
    let source = git_revision();
    let start = Instant::now();
    eprintln!("[bench] {}: starting ({}, -cpu {CPU}, time limit {} s)", system.name(), opts.mode.name(), timeout.as_secs());
    let label = format!("{} ({})", system.name(), opts.mode.name());
    let r = with_heartbeat(&label, || match system {
        System::Native => run_native(bins, &args, opts.mode, timeout),
        System::L4 | System::Mach => match images {
            Ok(images) => {
                let mut argv = vec!["/bin/bench"];
                argv.extend(args.iter().map(String::as_str));
                run_on_microkernel(images, &argv, system == System::Mach, opts.mode, timeout)
            }
            Err(e) => Err(anyhow::anyhow!("{e}")),
        },
    });
    let elapsed = start.elapsed();
    let res = match r {
        Err(e) => SystemResult::failed(system, wanted, format!("{e:#}"), elapsed),
        Ok(GuestRun { output, status }) => {
            let (mut benchmarks, end) = parse_output(&output, wanted);
            let failure = match (status, end) {
                (Err(why), _) => Some(why),
                (Ok(st), false) => Some(format!("the program stopped early (exit status {st}, no BENCH-END line)\n{}", tail(&output, 20))),
                (Ok(_), true) => None,
            };
            if let Some(f) = &failure {
                // benchmarks that never reported: the run's failure is theirs
                for (_, r) in benchmarks.iter_mut() {
                    if r.as_ref().is_err_and(|e| e == NO_LINE) {
                        *r = Err(first_line(f));
                    }
                }
            }
            SystemResult { system, failure, benchmarks, output, elapsed, date: today(), source }
        }
    };
    let ok = res.benchmarks.iter().filter(|(_, r)| r.is_ok()).count();
    match &res.failure {
        None => eprintln!(
            "[bench] {}: done in {:.1} s, {ok} of {} benchmarks measured",
            system.name(),
            elapsed.as_secs_f64(),
            res.benchmarks.len()
        ),
        Some(f) => eprintln!("[bench] {}: FAILED after {:.1} s ({ok} measured): {}", system.name(), elapsed.as_secs_f64(), first_line(f)),
    }
    res
}

/// Run the Linux programs on the chosen systems.
pub fn run_systems(opts: &BenchOpts) -> Result<Vec<SystemResult>> {
    let wanted = wanted(&opts.only)?;
    let mut systems = opts.systems.clone();
    systems.sort();
    systems.dedup();
    ensure!(!systems.is_empty(), "no systems to run");
    if opts.mode == Mode::Kvm {
        if let Err(why) = kvm_usable() {
            return Ok(systems.iter().map(|&s| SystemResult::failed(s, &wanted, why.clone(), Duration::ZERO)).collect());
        }
    }
    let (images, bins) = prepare(systems.iter().any(|&s| s != System::Native))?;
    if systems.contains(&System::Native) {
        // build (or find) the kernel before the runs start, with its progress
        crate::native::bzimage(true)?;
    }
    let results: Vec<SystemResult> = if opts.mode == Mode::Icount && systems.len() > 1 {
        // virtual time: parallel runs do not change the figures
        std::thread::scope(|s| {
            let handles: Vec<_> = systems
                .iter()
                .map(|&sys| {
                    s.spawn({
                        let (images, bins, wanted) = (&images, &bins, &wanted);
                        move || run_one(sys, opts, wanted, images, bins)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("benchmark thread panicked")).collect()
        })
    } else {
        systems.iter().map(|&sys| run_one(sys, opts, &wanted, &images, &bins)).collect()
    };
    Ok(results)
}

/// `target/bench/<mode>/`.
fn out_dir(mode: Mode) -> PathBuf {
    let d = image::root().join("target").join("bench").join(mode.name());
    let _ = std::fs::create_dir_all(&d);
    d
}

/// Keep a full run's output for later tables (see the module comment).
fn save(mode: Mode, r: &SystemResult, command: &str) -> Result<()> {
    let mut text = format!("date: {}\nsource: {}\ncommand: {command}\nelapsed: {:.1}\n", r.date, r.source, r.elapsed.as_secs_f64());
    if let Some(f) = &r.failure {
        let _ = writeln!(text, "failure: {}", first_line(f));
    }
    text.push_str("--- output ---\n");
    text.push_str(&r.output);
    if let Some(f) = &r.failure {
        let _ = write!(text, "\n--- failure ---\n{f}\n");
    }
    let p = out_dir(mode).join(format!("{}.txt", r.system.name()));
    std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))
}

/// Load a system's last saved full run.
fn load(mode: Mode, system: System) -> Option<SystemResult> {
    let text = std::fs::read_to_string(out_dir(mode).join(format!("{}.txt", system.name()))).ok()?;
    parse_saved(&text, system)
}

fn parse_saved(text: &str, system: System) -> Option<SystemResult> {
    let (head, rest) = text.split_once("--- output ---\n")?;
    let output = rest.split("\n--- failure ---\n").next().unwrap_or("").to_string();
    let field = |k: &str| head.lines().find_map(|l| l.strip_prefix(k).map(|v| v.trim().to_string()));
    let all: Vec<&'static str> = CATALOG.iter().map(|s| s.name).collect();
    let failure = field("failure:");
    let (mut benchmarks, _) = parse_output(&output, &all);
    if let Some(f) = &failure {
        for (_, r) in benchmarks.iter_mut() {
            if r.as_ref().is_err_and(|e| e == NO_LINE) {
                *r = Err(f.clone());
            }
        }
    }
    let elapsed = Duration::from_secs_f64(field("elapsed:").and_then(|v| v.parse().ok()).unwrap_or(0.0));
    Some(SystemResult {
        system,
        failure,
        benchmarks,
        output,
        elapsed,
        date: field("date:").unwrap_or_default(),
        source: field("source:").unwrap_or_else(|| "unknown".into()),
    })
}

// ---------------------------------------------------------------- figures

/// `sys / native` of the medians.
pub fn ratio(sys: Option<&Measured>, native: Option<&Measured>) -> Option<f64> {
    let (s, n) = (sys?, native?);
    (n.summary.median > 0).then(|| s.summary.median as f64 / n.summary.median as f64)
}

/// A ratio with precision that fits its size (no false precision).
pub fn fmt_ratio(r: f64) -> String {
    if r < 10.0 {
        format!("{r:.2}")
    } else if r < 100.0 {
        format!("{r:.1}")
    } else {
        format!("{r:.0}")
    }
}

/// Mach's overhead over native relative to L4's: (mach − 1) / (l4 − 1).
/// `None` when L4 has (practically) no overhead.
pub fn overhead_factor(l4: f64, mach: f64) -> Option<f64> {
    (l4 - 1.0 > 0.005).then(|| (mach - 1.0) / (l4 - 1.0))
}

/// A table cell for a result: `median (min–max)` or `failed: why`.
fn cell(r: Option<&Result<Measured, String>>) -> String {
    match r {
        None => "not run".into(),
        Some(Ok(m)) => {
            let s = m.summary;
            if s.min == s.max {
                format!("{}", s.median)
            } else {
                format!("{} ({}–{})", s.median, s.min, s.max)
            }
        }
        Some(Err(why)) => format!("failed: {}", md_escape(&shorten(why, 60))),
    }
}

fn shorten(s: &str, n: usize) -> String {
    let s = first_line(s);
    if s.chars().count() <= n {
        s
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;")
}

/// The result of `name` on `system`, if that system is in `results`.
fn lookup<'a>(results: &'a [SystemResult], system: System, name: &str) -> Option<&'a Result<Measured, String>> {
    results.iter().find(|r| r.system == system)?.benchmarks.iter().find(|(n, _)| *n == name).map(|(_, r)| r)
}

fn measured<'a>(results: &'a [SystemResult], system: System, name: &str) -> Option<&'a Measured> {
    results.iter().find(|r| r.system == system)?.get(name)
}

/// The markdown table: one row per benchmark with the figures of every
/// system (median and min–max) and the ratios to native.
pub fn markdown_table(results: &[SystemResult]) -> String {
    let names: Vec<&'static str> =
        CATALOG.iter().map(|s| s.name).filter(|n| results.iter().any(|r| r.benchmarks.iter().any(|(b, _)| b == n))).collect();
    let mut t = String::from("| benchmark | unit | native | l4 | mach | l4/native | mach/native | mach overhead ÷ l4 overhead |\n");
    t.push_str("|---|---|---:|---:|---:|---:|---:|---:|\n");
    for name in names {
        let unit = report::find(name).map_or("", |s| s.unit);
        let nat = measured(results, System::Native, name);
        let l4 = ratio(measured(results, System::L4, name), nat);
        let mach = ratio(measured(results, System::Mach, name), nat);
        let f = |r: Option<f64>| r.map_or("—".to_string(), fmt_ratio);
        let factor = match (l4, mach) {
            (Some(l), Some(m)) => overhead_factor(l, m).map_or("—".into(), fmt_ratio),
            _ => "—".into(),
        };
        let _ = writeln!(
            t,
            "| {name} | {unit} | {} | {} | {} | {} | {} | {factor} |",
            cell(lookup(results, System::Native, name)),
            cell(lookup(results, System::L4, name)),
            cell(lookup(results, System::Mach, name)),
            f(l4),
            f(mach),
        );
    }
    t
}

/// One goal of issue 6 and where we stand.
fn goal_line(what: &str, value: Option<f64>, ok: impl Fn(f64) -> bool, goal: &str) -> String {
    match value {
        None => format!("- {what}: goal {goal}; no figure yet"),
        Some(v) => format!("- {what}: goal {goal}; measured {} — {}", fmt_ratio(v), if ok(v) { "met" } else { "**not met**" }),
    }
}

/// The goals of issue 6 against the results.
pub fn goals(results: &[SystemResult]) -> String {
    let r = |s: System, n: &str| ratio(measured(results, s, n), measured(results, System::Native, n));
    let factor = |n: &str| match (r(System::L4, n), r(System::Mach, n)) {
        (Some(l), Some(m)) => overhead_factor(l, m),
        _ => None,
    };
    [
        goal_line("getppid, l4/native", r(System::L4, "getppid"), |v| v <= 2.0, "≤ 2.0"),
        goal_line("aim, l4/native", r(System::L4, "aim"), |v| v <= 1.03, "≤ 1.03"),
        goal_line("aim, mach overhead ÷ l4 overhead", factor("aim"), |v| v >= 5.0, "≥ 5"),
        goal_line("getppid, mach overhead ÷ l4 overhead", factor("getppid"), |v| v >= 5.0, "≥ 5"),
    ]
    .join("\n")
}

/// Published figures beside ours (see /work/shared/refs/ANCHORS.md).
pub fn published(results: &[SystemResult]) -> String {
    let r = |s: System, n: &str| ratio(measured(results, s, n), measured(results, System::Native, n)).map_or("—".to_string(), fmt_ratio);
    // AIM is throughput: the penalty is 1 − native time / system time
    let penalty = |s: System| {
        ratio(measured(results, s, "aim"), measured(results, System::Native, "aim"))
            .map_or("—".to_string(), |x| format!("{:.1} %", (1.0 - 1.0 / x) * 100.0))
    };
    let factor = match (
        ratio(measured(results, System::L4, "aim"), measured(results, System::Native, "aim")),
        ratio(measured(results, System::Mach, "aim"), measured(results, System::Native, "aim")),
    ) {
        (Some(l), Some(m)) => overhead_factor(l, m).map_or("—".into(), fmt_ratio),
        _ => "—".into(),
    };
    let mut t = String::from("| figure | published (Härtig et al., SOSP 1997) | ours |\n|---|---|---|\n");
    let _ = writeln!(t, "| null system call, µ-kernel ÷ native | getpid: L4Linux 526 / 223 = 2.36, with trampoline 753 / 223 = 3.38 | getppid, l4/native: {} |", r(System::L4, "getppid"));
    let _ = writeln!(t, "| null system call, Mach-style ÷ native | MkLinux in-kernel 2050 / 223 = 9.2, user-level 14710 / 223 = 66 | getppid, mach/native: {} |", r(System::Mach, "getppid"));
    let _ = writeln!(t, "| AIM throughput penalty, L4 | L4Linux 5 % below native | l4: {} |", penalty(System::L4));
    let _ = writeln!(t, "| AIM throughput penalty, Mach-style | MkLinux 5× (in-kernel) to 7× (user-level) the L4Linux penalty | mach: {}; mach overhead ÷ l4 overhead: {factor} |", penalty(System::Mach));
    t
}

// ---------------------------------------------------------------- SVG

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Tick values of the 1-2-5 series between `lo` and `hi`.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut v = vec![];
    let mut decade = 10f64.powi(lo.log10().floor() as i32);
    while decade <= hi {
        for m in [1.0, 2.0, 5.0] {
            let t = m * decade;
            if t >= lo * 0.999 && t <= hi * 1.001 {
                v.push(t);
            }
        }
        decade *= 10.0;
    }
    v
}

fn tick_label(t: f64) -> String {
    if t >= 1.0 {
        format!("{t:.0}×")
    } else {
        format!("{t}×")
    }
}

/// A horizontal bar chart of the ratios to native (log scale, bars start
/// at 1×): one row per benchmark, one bar per series (`None`: failed or not
/// run, drawn as a note).
pub fn ratio_svg(title: &str, series: &[&str], rows: &[(String, Vec<Option<f64>>)]) -> String {
    const COLORS: [&str; 3] = ["#2b6cb0", "#c05621", "#2f855a"];
    let (left, right, top, bar, gap) = (120.0, 70.0, 58.0, 11.0, 10.0);
    let width = 760.0;
    let plot = width - left - right;
    let row_h = bar * series.len().max(1) as f64 + gap;
    let height = top + row_h * rows.len() as f64 + 36.0;
    let values: Vec<f64> = rows.iter().flat_map(|(_, v)| v.iter().flatten().copied()).filter(|v| v.is_finite() && *v > 0.0).collect();
    let vmax = values.iter().copied().fold(2.0, f64::max);
    let vmin = values.iter().copied().fold(1.0, f64::min);
    let hi = *ticks(1.0, 1e9).iter().find(|&&t| t >= vmax).unwrap_or(&vmax);
    let lo = ticks(1e-6, 1.0).into_iter().rev().find(|&t| t <= vmin).unwrap_or(vmin).min(0.5);
    let x = |v: f64| left + (v.ln() - lo.ln()) / (hi.ln() - lo.ln()) * plot;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0}" viewBox="0 0 {width} {height:.0}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(s, r#"<text x="{}" y="20" font-size="14" font-weight="bold">{}</text>"#, left, xml_escape(title));
    // legend
    for (i, name) in series.iter().enumerate() {
        let lx = left + i as f64 * 140.0;
        let _ = writeln!(
            s,
            r#"<rect x="{lx}" y="30" width="12" height="10" fill="{}"/><text x="{}" y="39">{}</text>"#,
            COLORS[i % 3],
            lx + 16.0,
            xml_escape(name)
        );
    }
    // grid and tick labels
    let bottom = top + row_h * rows.len() as f64;
    for t in ticks(lo, hi) {
        let tx = x(t);
        let stroke = if (t - 1.0).abs() < 1e-9 { r##"stroke="#000" stroke-width="1.2""## } else { r##"stroke="#ddd""## };
        let _ = writeln!(s, r#"<line x1="{tx:.1}" y1="{}" x2="{tx:.1}" y2="{bottom:.1}" {stroke}/>"#, top - 6.0);
        let _ = writeln!(s, r##"<text x="{tx:.1}" y="{:.1}" text-anchor="middle" fill="#444">{}</text>"##, bottom + 16.0, tick_label(t));
    }
    for (i, (name, vals)) in rows.iter().enumerate() {
        let y0 = top + i as f64 * row_h;
        let _ = writeln!(s, r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#, left - 8.0, y0 + row_h / 2.0, xml_escape(name));
        for (j, v) in vals.iter().enumerate() {
            let y = y0 + j as f64 * bar;
            match v {
                Some(v) if v.is_finite() && *v > 0.0 => {
                    let (a, b) = (x(1.0), x(v.clamp(lo, hi)));
                    let (x0, w) = if b >= a { (a, b - a) } else { (b, a - b) };
                    let _ = writeln!(
                        s,
                        r#"<rect x="{x0:.1}" y="{y:.1}" width="{:.1}" height="{}" fill="{}"/>"#,
                        w.max(1.0),
                        bar - 2.0,
                        COLORS[j % 3]
                    );
                    // the value beyond the bar's far end: right of it, or left for ratios below 1
                    let (tx, anchor) = if b >= a { (x0 + w.max(1.0) + 3.0, "start") } else { (x0 - 3.0, "end") };
                    let _ = writeln!(
                        s,
                        r#"<text x="{tx:.1}" y="{:.1}" font-size="10" text-anchor="{anchor}">{}</text>"#,
                        y + bar - 3.0,
                        fmt_ratio(*v)
                    );
                }
                _ => {
                    let _ = writeln!(
                        s,
                        r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#888">{}: no figure</text>"##,
                        x(1.0) + 3.0,
                        y + bar - 3.0,
                        xml_escape(series.get(j).unwrap_or(&""))
                    );
                }
            }
        }
    }
    s.push_str("</svg>\n");
    s
}

/// The chart rows for the results: l4/native and mach/native per benchmark.
fn chart_rows(results: &[SystemResult]) -> Vec<(String, Vec<Option<f64>>)> {
    CATALOG
        .iter()
        .filter(|s| results.iter().any(|r| r.benchmarks.iter().any(|(b, _)| *b == s.name)))
        .map(|s| {
            let nat = measured(results, System::Native, s.name);
            (
                s.name.to_string(),
                vec![ratio(measured(results, System::L4, s.name), nat), ratio(measured(results, System::Mach, s.name), nat)],
            )
        })
        .collect()
}

// ---------------------------------------------------------------- the doc

pub fn doc_path() -> PathBuf {
    image::root().join("docs").join("benchmarks.md")
}

/// Replace the generated section `key` of `doc` with `body` (between the
/// `<!-- BEGIN key -->` and `<!-- END key -->` lines), or append it.
pub fn replace_section(doc: &str, key: &str, body: &str) -> String {
    let begin = format!("<!-- BEGIN {key} ");
    let end = format!("<!-- END {key} -->");
    let marker = format!("<!-- BEGIN {key} (generated by cargo xtask bench; edits are overwritten) -->");
    let block = format!("{marker}\n{}\n{end}", body.trim_end());
    if let (Some(b), Some(e)) = (doc.find(&begin), doc.find(&end)) {
        if b < e {
            return format!("{}{block}{}", &doc[..b], &doc[e + end.len()..]);
        }
    }
    let mut d = doc.trim_end().to_string();
    d.push_str("\n\n");
    d.push_str(&block);
    d.push('\n');
    d
}

fn command_output(cmd: &str, args: &[&str]) -> Option<String> {
    let o = std::process::Command::new(cmd).args(args).output().ok()?;
    o.status.success().then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn today() -> String {
    command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_else(|| "unknown date".into())
}

pub fn qemu_version() -> String {
    command_output("qemu-system-i386", &["--version"]).map(|v| first_line(&v)).unwrap_or_else(|| "unknown".into())
}

fn git_revision() -> String {
    let rev = command_output("git", &["-C", &image::root().display().to_string(), "rev-parse", "--short", "HEAD"])
        .unwrap_or_else(|| "unknown".into());
    let dirty =
        command_output("git", &["-C", &image::root().display().to_string(), "status", "--porcelain"]).is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{rev} + uncommitted changes")
    } else {
        rev
    }
}

/// The generated results section for a mode.
fn results_section(mode: Mode, results: &[SystemResult], command: &str, svg_name: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "### Mode `{}`\n", mode.name());
    let _ = writeln!(s, "- command: `{command}`");
    let _ = writeln!(s, "- cycles are {}", mode.meaning());
    let _ = writeln!(s, "- QEMU: {}; CPU model `{CPU}`; guest memory 128 MiB", qemu_version());
    for r in results {
        let state = match &r.failure {
            None => "complete".to_string(),
            Some(f) => format!("failed: {}", md_escape(&shorten(f, 100))),
        };
        let _ = writeln!(s, "- {}: run {} on source {}, {:.0} s, {state}", r.system.name(), r.date, r.source, r.elapsed.as_secs_f64());
    }
    let _ = writeln!(s, "\nMedian (min–max) over the repetitions; ratios are of the medians.\n");
    s.push_str(&markdown_table(results));
    let _ = writeln!(s, "\n![ratios to native, {} mode]({svg_name})\n", mode.name());
    let _ = writeln!(s, "Goals of issue 6 (targets, not tests):\n");
    s.push_str(&goals(results));
    let _ = writeln!(s, "\n\nBeside the published figures:\n");
    s.push_str(&published(results));
    s
}

/// Combine this run with the saved results of systems not run now.
fn with_saved(mode: Mode, fresh: &[SystemResult]) -> Vec<SystemResult> {
    System::ALL.iter().filter_map(|&s| fresh.iter().find(|r| r.system == s).cloned().or_else(|| load(mode, s))).collect()
}

/// `cargo xtask bench`.
pub fn run(opts: BenchOpts) -> Result<()> {
    if opts.what == Some(What::Ipc) {
        return ipc(&opts);
    }
    let t = Instant::now();
    let fresh = run_systems(&opts)?;
    let command = opts.command();
    let full = !opts.quick && opts.only.is_empty() && opts.guest_args.is_none();
    if full {
        for r in &fresh {
            save(opts.mode, r, &command)?;
        }
    }
    let all = if full { with_saved(opts.mode, &fresh) } else { fresh.clone() };
    let dir = out_dir(opts.mode);
    let table = markdown_table(&all);
    let title = format!("time relative to native Linux ({} mode{}), log scale", opts.mode.name(), if opts.quick { ", quick" } else { "" });
    let svg = ratio_svg(&title, &["l4/native", "mach/native"], &chart_rows(&all));
    let suffix = if opts.quick { "-quick" } else { "" };
    std::fs::write(dir.join(format!("results{suffix}.md")), &table)?;
    std::fs::write(dir.join(format!("ratios{suffix}.svg")), &svg)?;
    for r in &fresh {
        std::fs::write(
            dir.join(format!("{}{suffix}.log", r.system.name())),
            format!("{}\n{}", r.output, r.failure.as_deref().unwrap_or("")),
        )?;
    }
    println!("\n{table}");
    println!("{}\n", goals(&all));
    for r in fresh.iter().filter(|r| r.failure.is_some()) {
        println!("{}: {}\n", r.system.name(), r.failure.as_deref().unwrap_or(""));
    }
    println!("results in {} ({:.0} s)", dir.display(), t.elapsed().as_secs_f64());
    if full && !opts.no_doc {
        let svg_name = format!("benchmarks-{}.svg", opts.mode.name());
        let docs = image::root().join("docs");
        std::fs::write(docs.join(&svg_name), &svg)?;
        let doc = std::fs::read_to_string(doc_path()).unwrap_or_else(|_| "# Benchmarks\n".into());
        let section = results_section(opts.mode, &all, &command, &svg_name);
        std::fs::write(doc_path(), replace_section(&doc, &format!("results-{}", opts.mode.name()), &section))?;
        println!("updated {}", doc_path().display());
    }
    Ok(())
}

/// The quick suite on all three systems under icount (in parallel), no
/// files written; for `cargo xtask test`.
pub fn quick_results() -> Result<Vec<SystemResult>> {
    run_systems(&BenchOpts { quick: true, ..BenchOpts::default() })
}

// ---------------------------------------------------------------- ipc

/// One `BENCH ipc <where> round_trip=N one_way=M` line: (where, round trip, one way).
pub fn parse_ipc_line(line: &str) -> Option<(String, u64, u64)> {
    let mut w = line.trim().strip_prefix("BENCH ipc ")?.split_whitespace();
    let place = w.next()?.to_string();
    let (mut rt, mut ow) = (None, None);
    for kv in w {
        match kv.split_once('=')? {
            ("round_trip", v) => rt = v.parse().ok(),
            ("one_way", v) => ow = v.parse().ok(),
            _ => {}
        }
    }
    Some((place, rt?, ow?))
}

/// The KVM probe: a flat Multiboot image (a.out kludge, loaded at 1 MiB)
/// that turns on paging the way our kernel does (identity map of the first
/// 4 MiB, CR0.PG|WP) and then writes 42 to the isa-debug-exit port, so
/// QEMU exits with status 85 when such a guest really runs.
pub fn kvm_probe_image() -> Vec<u8> {
    const MAGIC: u32 = 0x1BAD_B002;
    const FLAGS: u32 = 1 << 16; // the load addresses below are valid
    const BASE: u32 = 0x0010_0000;
    #[rustfmt::skip]
    let code: [u8; 78] = [
        0xBF, 0x00, 0x20, 0x10, 0x00, // mov edi, 0x102000 (page table)
        0xB8, 0x03, 0x00, 0x00, 0x00, // mov eax, 3 (present, writable)
        0xB9, 0x00, 0x04, 0x00, 0x00, // mov ecx, 1024
        0xAB, //                         1: stosd
        0x05, 0x00, 0x10, 0x00, 0x00, // add eax, 0x1000
        0xE2, 0xF8, //                   loop 1b
        0xBF, 0x00, 0x10, 0x10, 0x00, // mov edi, 0x101000 (page directory)
        0x31, 0xC0, //                   xor eax, eax
        0xB9, 0x00, 0x04, 0x00, 0x00, // mov ecx, 1024
        0xF3, 0xAB, //                   rep stosd
        0xC7, 0x05, 0x00, 0x10, 0x10, 0x00, 0x03, 0x20, 0x10, 0x00, // mov dword [0x101000], 0x102003
        0xB8, 0x00, 0x10, 0x10, 0x00, // mov eax, 0x101000
        0x0F, 0x22, 0xD8, //             mov cr3, eax
        0x0F, 0x20, 0xC0, //             mov eax, cr0
        0x0D, 0x00, 0x00, 0x01, 0x80, // or eax, 0x80010000 (PG | WP)
        0x0F, 0x22, 0xC0, //             mov cr0, eax
        0xEB, 0x00, //                   jmp 2f
        0x66, 0xBA, 0xF4, 0x00, //       2: mov dx, 0xf4
        0xB0, 0x2A, //                   mov al, 42
        0xEE, //                         out dx, al
        0xF4, //                         3: hlt
        0xEB, 0xFD, //                   jmp 3b
    ];
    let mut img = vec![];
    let len = 32 + code.len() as u32;
    for w in [MAGIC, FLAGS, MAGIC.wrapping_add(FLAGS).wrapping_neg(), BASE, BASE, BASE + len, 0, BASE + 32] {
        img.extend_from_slice(&w.to_le_bytes());
    }
    img.extend_from_slice(&code);
    img
}

/// Whether KVM can run our guests here: `/dev/kvm` opens and a tiny
/// 32-bit guest ([`kvm_probe_image`]) runs under `-accel kvm -cpu 486`
/// (some hosts offer a KVM that only runs 64-bit guests).
pub fn kvm_usable() -> std::result::Result<(), String> {
    std::fs::OpenOptions::new().read(true).write(true).open("/dev/kvm").map_err(|e| format!("/dev/kvm is not usable: {e}"))?;
    let path = out_dir(Mode::Kvm).join("kvm-probe.bin");
    std::fs::write(&path, kvm_probe_image()).map_err(|e| format!("writing {}: {e}", path.display()))?;
    let mut b = Boot::new(path);
    b.cpu = CPU.into();
    b.memory_mb = 16;
    Mode::Kvm.apply(&mut b);
    match b.run_captured(Duration::from_secs(10), None) {
        Ok(r) if r.exit == Exit::Status(42) => Ok(()),
        Ok(r) => Err(format!(
            "KVM does not run a 32-bit guest here (probe: {:?}{})",
            r.exit,
            if r.stderr.trim().is_empty() { String::new() } else { format!(", {}", first_line(&r.stderr)) }
        )),
        Err(e) => Err(format!("KVM probe: {e:#}")),
    }
}

/// `cargo xtask bench ipc`.
fn ipc(opts: &BenchOpts) -> Result<()> {
    let (images, _) = prepare(true)?;
    let images = images.map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut modes = vec![Mode::Icount];
    match kvm_usable() {
        Ok(()) => modes.push(Mode::Kvm),
        Err(why) => eprintln!("[bench] ipc: no KVM run ({why})"),
    }
    let timeout = Duration::from_secs(opts.timeout.unwrap_or(180));
    let mut rows = String::from(
        "| kernel | mode | intra-space round trip | one way | inter-space round trip | one way |\n|---|---|---:|---:|---:|---:|\n",
    );
    for (kernel, mach) in [("l4", false), ("mach", true)] {
        for &mode in &modes {
            let label = format!("ipc {kernel} ({})", mode.name());
            let path = if mach { images.kernel_mach() } else { images.kernel() };
            let res: Result<Vec<(String, u64, u64)>> = if !path.exists() {
                Err(anyhow::anyhow!("no kernel ({} missing)", path.display()))
            } else {
                eprintln!("[bench] {label}: booting");
                with_heartbeat(&label, || {
                    let mut b = crate::systest::system_boot(&images, mach);
                    b.cpu = CPU.into();
                    b.cmdline = "bench-ipc".into();
                    mode.apply(&mut b);
                    let run = b.run_captured(timeout, None)?;
                    let found: Vec<_> = run.output.lines().filter_map(parse_ipc_line).collect();
                    ensure!(found.len() >= 2, "no BENCH ipc lines (exit {:?})\n{}", run.exit, tail(&run.output, 20));
                    Ok(found)
                })
            };
            let get = |v: &[(String, u64, u64)], p: &str| {
                v.iter().find(|(w, _, _)| w == p).map_or(("—".into(), "—".into()), |(_, r, o)| (r.to_string(), o.to_string()))
            };
            match res {
                Ok(v) => {
                    let ((ir, io), (xr, xo)) = (get(&v, "intra-space"), get(&v, "inter-space"));
                    eprintln!("[bench] {label}: intra {ir}/{io}, inter {xr}/{xo}");
                    let _ = writeln!(rows, "| {kernel} | {} | {ir} | {io} | {xr} | {xo} |", mode.name());
                }
                Err(e) => {
                    eprintln!("[bench] {label}: failed: {e:#}");
                    let _ = writeln!(rows, "| {kernel} | {} | failed: {} | | | |", mode.name(), md_escape(&shorten(&format!("{e:#}"), 70)));
                }
            }
        }
    }
    let mut sizes = String::new();
    for (kernel, path) in [("l4", images.kernel()), ("mach", images.kernel_mach())] {
        match image::text_size(&path) {
            Ok(n) => {
                let _ = writeln!(sizes, "- {kernel} release kernel `.text`: {n} bytes ({:.1} KiB)", n as f64 / 1024.0);
            }
            Err(_) => {
                let _ = writeln!(sizes, "- {kernel} release kernel: not built");
            }
        }
    }
    println!("\n{rows}\n{sizes}");
    if !opts.no_doc {
        let mut section = String::new();
        let _ = writeln!(section, "- command: `{}`; run {}", opts.command(), today());
        let _ = writeln!(section, "- QEMU: {}; CPU model `{CPU}`; source: {}", qemu_version(), git_revision());
        let _ = writeln!(section, "- icount figures are guest instructions; KVM figures are cycles of the host CPU (not a 486)\n");
        section.push_str(&rows);
        section.push('\n');
        section.push_str(&sizes);
        let doc = std::fs::read_to_string(doc_path()).unwrap_or_else(|_| "# Benchmarks\n".into());
        std::fs::write(doc_path(), replace_section(&doc, "ipc", &section))?;
        println!("updated {}", doc_path().display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(median: u64, min: u64, max: u64) -> Result<Measured, String> {
        Ok(Measured { summary: Summary { median, min, max }, unit: "cycles/op".into(), iters: 10, reps: 3 })
    }

    fn sys(system: System, b: Vec<(&'static str, Result<Measured, String>)>) -> SystemResult {
        SystemResult {
            system,
            failure: None,
            benchmarks: b,
            output: String::new(),
            elapsed: Duration::ZERO,
            date: "d".into(),
            source: "abc1234".into(),
        }
    }

    fn sample() -> Vec<SystemResult> {
        vec![
            sys(System::Native, vec![("getppid", m(100, 98, 110)), ("aim", m(1000, 1000, 1000))]),
            sys(System::L4, vec![("getppid", m(180, 170, 190)), ("aim", m(1100, 1090, 1120))]),
            sys(System::Mach, vec![("getppid", m(1000, 900, 1100)), ("aim", Err("fork: ENOSYS (-38)".into()))]),
        ]
    }

    #[test]
    fn output_parsing() {
        let out = "BENCH-BEGIN quick=1\nnoise\nBENCH getppid median=120 min=118 max=131 unit=cycles/op iters=200 reps=3\r\n\
                   BENCH-FAIL stat: stat64: ENOENT (-2)\nBENCH-END ok=1 failed=1\n";
        let (r, end) = parse_output(out, &["getppid", "stat", "aim"]);
        assert!(end);
        assert_eq!(r[0].1.as_ref().unwrap().summary, Summary { median: 120, min: 118, max: 131 });
        assert_eq!(r[1].1, Err("stat64: ENOENT (-2)".to_string()));
        assert_eq!(r[2].1, Err("no result line".to_string()));
        let (_, end) = parse_output("BENCH getppid median=1 min=1 max=1 unit=u iters=1 reps=1\n", &["getppid"]);
        assert!(!end);
    }

    #[test]
    fn complete_check() {
        let s = sample();
        assert!(s[0].check_complete().is_ok());
        assert!(s[2].check_complete().is_err());
        let f = SystemResult::failed(System::L4, &["getppid"], "timed out after 5 s\n--- console ---\n".into(), Duration::ZERO);
        assert_eq!(f.benchmarks[0].1, Err("timed out after 5 s".to_string()));
        assert!(f.check_complete().is_err());
    }

    #[test]
    fn ratios_and_formatting() {
        assert_eq!(fmt_ratio(1.2345), "1.23");
        assert_eq!(fmt_ratio(12.345), "12.3");
        assert_eq!(fmt_ratio(123.45), "123");
        assert_eq!(overhead_factor(1.05, 1.30).map(|f| (f * 100.0).round()), Some(600.0));
        assert_eq!(overhead_factor(1.0, 2.0), None);
        let s = sample();
        assert_eq!(ratio(s[1].get("getppid"), s[0].get("getppid")), Some(1.8));
        assert_eq!(ratio(s[2].get("aim"), s[0].get("aim")), None);
    }

    #[test]
    fn table() {
        let t = markdown_table(&sample());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4, "{t}");
        assert!(lines[0].starts_with("| benchmark | unit | native | l4 | mach |"));
        assert_eq!(lines[2], "| getppid | cycles/op | 100 (98–110) | 180 (170–190) | 1000 (900–1100) | 1.80 | 10.0 | 11.2 |");
        assert_eq!(lines[3], "| aim | cycles/job | 1000 | 1100 (1090–1120) | failed: fork: ENOSYS (-38) | 1.10 | — | — |");
        // a system that is missing entirely
        let t = markdown_table(&sample()[..1]);
        assert!(t.contains("| getppid | cycles/op | 100 (98–110) | not run | not run | — | — | — |"), "{t}");
        // pipes in reasons do not break the table
        assert_eq!(cell(Some(&Err("a | b".into()))), "failed: a \\| b");
        let long = "x".repeat(200);
        assert_eq!(cell(Some(&Err(long))).chars().count(), "failed: ".len() + 60);
    }

    #[test]
    fn goal_lines() {
        let g = goals(&sample());
        assert!(g.contains("getppid, l4/native: goal ≤ 2.0; measured 1.80 — met"), "{g}");
        assert!(g.contains("aim, l4/native: goal ≤ 1.03; measured 1.10 — **not met**"), "{g}");
        assert!(g.contains("aim, mach overhead ÷ l4 overhead: goal ≥ 5; no figure yet"), "{g}");
        assert!(g.contains("getppid, mach overhead ÷ l4 overhead: goal ≥ 5; measured 11.2 — met"), "{g}");
        let p = published(&sample());
        assert!(p.contains("| AIM throughput penalty, L4 | L4Linux 5 % below native | l4: 9.1 % |"), "{p}");
    }

    #[test]
    fn svg_chart() {
        let rows = vec![("getppid".to_string(), vec![Some(1.8), Some(10.0)]), ("a<b".to_string(), vec![Some(0.9), None])];
        let s = ratio_svg("t & t", &["l4/native", "mach/native"], &rows);
        assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(s.trim_end().ends_with("</svg>"));
        assert!(s.contains("t &amp; t") && s.contains("a&lt;b"));
        assert_eq!(s.matches("<rect").count(), 1 + 2 + 3, "background, legend, three bars");
        assert!(s.contains(">1.80<") && s.contains(">10.0<") && s.contains(">0.90<"));
        assert!(s.contains("mach/native: no figure"));
        // the axis covers the values: 0.5 .. 10 with the 1× line
        for t in ["0.5×", "1×", "2×", "5×", "10×"] {
            assert!(s.contains(&format!(">{t}<")), "tick {t}");
        }
        // balanced tags
        assert_eq!(s.matches("<text").count(), s.matches("</text>").count());
        // no rows is still a valid picture
        assert!(ratio_svg("x", &["a"], &[]).contains("</svg>"));
    }

    #[test]
    fn tick_series() {
        assert_eq!(ticks(0.5, 20.0), vec![0.5, 1.0, 2.0, 5.0, 10.0, 20.0]);
        assert_eq!(ticks(1.0, 1.0), vec![1.0]);
    }

    #[test]
    fn doc_sections() {
        let doc = "# B\n\ntext\n";
        let d1 = replace_section(doc, "results-icount", "table 1");
        assert!(d1.starts_with("# B\n\ntext\n\n<!-- BEGIN results-icount "));
        assert!(d1.contains("table 1\n<!-- END results-icount -->"));
        let d2 = replace_section(&format!("{d1}\nafter\n"), "results-icount", "table 2\n");
        assert!(d2.contains("table 2\n<!-- END results-icount -->\n\nafter\n"), "{d2}");
        assert!(!d2.contains("table 1"));
        assert_eq!(d2.matches("<!-- BEGIN").count(), 1);
        // other sections are left alone
        let d3 = replace_section(&d2, "ipc", "ipc table");
        assert!(d3.contains("table 2") && d3.contains("ipc table"));
        assert_eq!(replace_section(&d3, "ipc", "new"), d3.replace("ipc table", "new"));
    }

    #[test]
    fn saved_results_round_trip() {
        let text = "date: 2025-01-01 10:00 UTC\nsource: abc1234\ncommand: cargo xtask bench\nelapsed: 12.5\n--- output ---\n\
                    BENCH getppid median=120 min=118 max=131 unit=cycles/op iters=200 reps=3\nBENCH-END ok=1 failed=0\n";
        let r = parse_saved(text, System::L4).unwrap();
        assert_eq!(r.date, "2025-01-01 10:00 UTC");
        assert_eq!(r.source, "abc1234");
        assert_eq!(r.elapsed, Duration::from_secs_f64(12.5));
        assert_eq!(r.get("getppid").unwrap().summary.median, 120);
        assert!(r.failure.is_none());
        let text = "date: d\nfailure: timed out\n--- output ---\n\n--- failure ---\ntimed out\nlong story\n";
        let r = parse_saved(text, System::Mach).unwrap();
        assert_eq!(r.failure.as_deref(), Some("timed out"));
        assert_eq!(lookup(&[r], System::Mach, "aim"), Some(&Err("timed out".to_string())));
    }

    #[test]
    fn ipc_lines() {
        assert_eq!(parse_ipc_line("BENCH ipc intra-space round_trip=500 one_way=250"), Some(("intra-space".into(), 500, 250)));
        assert_eq!(parse_ipc_line("BENCH ipc inter-space round_trip=x one_way=250"), None);
        assert_eq!(parse_ipc_line("BENCH getppid median=1"), None);
    }

    #[test]
    fn kvm_probe_header() {
        let img = kvm_probe_image();
        let w = |i: usize| u32::from_le_bytes(img[4 * i..4 * i + 4].try_into().unwrap());
        assert_eq!(w(0), 0x1BAD_B002);
        assert_eq!(w(0).wrapping_add(w(1)).wrapping_add(w(2)), 0);
        assert_eq!(w(5) - w(4), img.len() as u32);
        assert_eq!(w(7), w(3) + 32);
        assert_eq!(&img[img.len() - 10..], &[0x66, 0xBA, 0xF4, 0x00, 0xB0, 0x2A, 0xEE, 0xF4, 0xEB, 0xFD]);
    }

    /// The probe image under TCG must exit with 42 (it is what tells a
    /// working KVM apart): `cargo test -p xtask -- --ignored bench::tests::kvm_probe_runs_under_tcg`
    #[test]
    #[ignore]
    fn kvm_probe_runs_under_tcg() {
        let path = std::env::temp_dir().join(format!("kvm-probe-{}.bin", std::process::id()));
        std::fs::write(&path, kvm_probe_image()).unwrap();
        let mut b = Boot::new(path.clone());
        b.memory_mb = 16;
        let r = b.run_captured(Duration::from_secs(20), None).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(r.exit, Exit::Status(42), "{}", r.stderr);
    }

    #[test]
    fn options() {
        let o = BenchOpts::default();
        assert_eq!(o.command(), "cargo xtask bench --mode icount");
        let o = BenchOpts { systems: vec![System::L4], quick: true, only: vec!["aim".into()], ..BenchOpts::default() };
        assert_eq!(o.command(), "cargo xtask bench --systems l4 --mode icount --quick --only aim");
        assert_eq!(wanted(&[]).unwrap().len(), CATALOG.len());
        assert_eq!(wanted(&["aim".into(), "getppid".into()]).unwrap(), vec!["getppid", "aim"]);
        assert!(wanted(&["nope".into()]).is_err());
    }
}
