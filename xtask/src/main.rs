//! `cargo xtask`: build, run, test and benchmark the microkernel system.
//!
//! - `deps`: check for (and as root install) the system packages.
//! - `build [--release]`: build every crate, pack the boot files.
//! - `run`: boot the system in QEMU with the console on the terminal.
//! - `test`: host unit tests, then system tests in QEMU.
//! - `bench`: the benchmark suite (see docs/benchmarks.md).

mod bench;
mod cpio;
mod deps;
mod fetch;
mod image;
mod initcheck;
mod isa;
mod linuxprog;
mod linuxtest;
mod native;
mod qemu;
mod shelltest;
mod spec;
mod suite;
mod systest;
mod toolchain;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Build, run, test and benchmark the uL4 system")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check for the system packages the build and QEMU need; install them as root.
    Deps,
    /// Build all crates and pack the boot files into build/<profile>/.
    Build {
        #[arg(long)]
        release: bool,
        /// Also build the Mach-style IPC kernel.
        #[arg(long)]
        mach: bool,
    },
    /// Boot the system in qemu-system-i386 with the serial console on this terminal.
    /// Ctrl-A X quits QEMU. With PROGRAM, run that Linux program as the first process
    /// and exit with its status.
    Run(RunArgs),
    /// Run every test: host unit tests, then the system tests in QEMU.
    Test {
        /// Only run tests whose name contains this string.
        filter: Option<String>,
    },
    /// The benchmark suite: native Linux vs L4 vs Mach (see docs/benchmarks.md).
    Bench(bench::BenchOpts),
}

#[derive(clap::Args)]
struct RunArgs {
    /// CPU model (QEMU -cpu); busybox images need pentium2 or later.
    #[arg(long)]
    cpu: Option<String>,
    #[arg(long, value_enum, default_value = "tcg")]
    accel: qemu::Accel,
    /// Deterministic instruction counting: -icount shift=0,align=off,sleep=off.
    #[arg(long)]
    icount: bool,
    /// Guest memory in MiB.
    #[arg(long, default_value_t = 128)]
    memory: u32,
    #[arg(long)]
    release: bool,
    /// Boot the Mach-style IPC kernel instead.
    #[arg(long)]
    mach: bool,
    /// Run the in-QEMU kernel test suite instead of the Linux server.
    #[arg(long)]
    ktest: bool,
    /// Add a host file to the initrd: HOST_PATH:GUEST_PATH.
    #[arg(long, value_name = "HOST:GUEST")]
    add: Vec<String>,
    /// Extra kernel command-line words.
    #[arg(long, default_value = "")]
    append: String,
    /// The first Linux program and its arguments.
    #[arg(last = true)]
    program: Vec<String>,
}

fn parse_add(specs: &[String]) -> Result<Vec<(PathBuf, String)>> {
    specs
        .iter()
        .map(|s| match s.split_once(':') {
            Some((h, g)) if !h.is_empty() && g.starts_with('/') => Ok((PathBuf::from(h), g.to_string())),
            _ => bail!("--add expects HOST_PATH:/GUEST_PATH, got '{s}'"),
        })
        .collect()
}

fn run(args: RunArgs) -> Result<i32> {
    let add = parse_add(&args.add)?;
    let images = image::build(&image::BuildOpts { release: args.release, mach: args.mach, add })?;
    let mut boot = systest::system_boot(&images, args.mach);
    boot.memory_mb = args.memory;
    boot.accel = args.accel;
    boot.icount = args.icount;
    match args.cpu {
        Some(cpu) => boot.cpu = cpu,
        None if images.busybox => {
            eprintln!("[run] the initrd holds Debian's busybox (i686 code): using -cpu pentium2");
            boot.cpu = "pentium2".into();
        }
        None => {}
    }
    let mut words = vec![];
    if args.ktest {
        words.push("ktest".to_string());
    }
    if !args.append.is_empty() {
        words.push(args.append.clone());
    }
    if !args.program.is_empty() {
        words.push(qemu::encode_argv(&args.program));
    }
    boot.cmdline = words.join(" ");
    boot.ctl = Some(images.dir.join("ctl.txt"));
    eprintln!("[run] {}", boot.describe());
    eprintln!("[run] Ctrl-A X quits QEMU");
    let exit = boot.run_interactive()?;
    Ok(exit.shell_status())
}

fn main() {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Deps => deps::run().map(|_| 0),
        Cmd::Build { release, mach } => image::build(&image::BuildOpts { release, mach, add: vec![] }).map(|_| 0),
        Cmd::Run(a) => run(a),
        Cmd::Test { filter } => systest::run_all(filter).map(|ok| if ok { 0 } else { 1 }),
        Cmd::Bench(o) => bench::run(o).map(|_| 0),
    };
    match r {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            qemu::restore_terminal();
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
