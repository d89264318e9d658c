//! The executable specification's QEMU replay: boot the system with
//! `spec-replay=<seed>,<ops>`, let the roottask perform the generated
//! operations on the real kernel (`roottask/src/replay.rs`), and compare
//! everything it printed with the spec's prediction (`spec::replay`). The
//! host-side cross-check (`cargo test -p spec`) runs with the other host
//! tests; see docs/spec.md.
//!
//! The seed and the number of generated operations come from `SPEC_SEED`
//! (the same variable the host-side tests read) and `SPEC_QEMU_OPS`, with
//! fixed defaults.

use crate::image::Images;
use anyhow::{bail, Result};
use std::time::{Duration, Instant};

/// Seed of the replay when `SPEC_SEED` is not set.
pub const DEFAULT_SEED: u64 = 0x5EC_0001;
/// Generated operations when `SPEC_QEMU_OPS` is not set (about half of them
/// are executed; the rest meet a round whose threads are all blocked).
pub const DEFAULT_OPS: usize = 20_000;

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    }
}

/// The seed: `SPEC_SEED` or the default.
pub fn seed() -> u64 {
    env_number("SPEC_SEED").unwrap_or(DEFAULT_SEED)
}

/// The number of generated operations: `SPEC_QEMU_OPS` or the default.
pub fn ops() -> usize {
    env_number("SPEC_QEMU_OPS").map_or(DEFAULT_OPS, |n| n as usize)
}

/// Replay `ops` generated operations of `seed` on the L4 kernel and compare
/// with the spec.
pub fn qemu_replay(images: &Images, seed: u64, ops: usize) -> Result<()> {
    qemu_replay_on(images, false, seed, ops)
}

/// The same on the kernel built with `mach` (the Mach-style IPC build) or not.
pub fn qemu_replay_on(images: &Images, mach: bool, seed: u64, ops: usize) -> Result<()> {
    let cmdline = format!("spec-replay={seed:#x},{ops}");
    let t = Instant::now();
    let timeout = Duration::from_secs(60 + ops as u64 / 50);
    let run = crate::systest::boot(images, mach, &cmdline, timeout)?;
    let kernel = if mach {
        "microkernel-mach"
    } else {
        "microkernel"
    };
    match spec::replay::check_output(seed, &run.output, ops) {
        Ok(c) => {
            eprintln!(
                "[spec] QEMU replay on {kernel}: {} rounds, {} operations executed ({ops} generated), {} records, \
                 0 divergences, SPEC_SEED={seed:#x}, {:.1} s",
                c.rounds,
                c.executed,
                c.records,
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Err(e) => bail!(
            "the real kernel ({kernel}) diverges from the spec: {e}\n\
             reproduce with SPEC_SEED={seed:#x} SPEC_QEMU_OPS={ops}; the console can be checked again with\n\
             cargo run -p spec --example check_replay -- <console file> {seed:#x} {ops}\n\
             --- console tail ---\n{}",
            crate::systest::tail(&run.output, 30)
        ),
    }
}
