//! Benchmark programs for the native-Linux / L4 / Mach comparison (issue 6):
//! lmbench-style micro benchmarks and an AIM-style multiuser workload, all
//! static i386 Linux programs on `linux-rt`, timed with `rdtsc`.
//!
//! - [`report`]: the catalogue, the `BENCH` line format and the statistics
//!   (shared with `xtask/src/bench.rs`).
//! - [`os`]: the few system calls `linux-rt` does not wrap (fork, execve,
//!   wait4, rt_sigreturn) and error reporting.
//! - [`measure`]: warm-up and repetitions, median and spread.
//! - [`micro`]: the micro benchmarks; [`aim`]: the macro workload;
//!   [`work`]: the deterministic computation both it and `bench-child` do.
//!
//! The programs: `bench` runs the suite (or the benchmarks named on its
//! command line), `bench-child` is what `fork-exec` and `aim` execute. The
//! amount of work never depends on time, so runs under QEMU's `-icount` are
//! deterministic. See `docs/benchmarks.md`.
#![no_std]

pub mod aim;
pub mod measure;
pub mod micro;
pub mod os;
pub mod report;
pub mod suite;
pub mod work;
