//! The benchmark suite: `bench [--quick] [NAME...]`, `bench --list`.
//! One `BENCH <name> median=... min=... max=... unit=... iters=... reps=...`
//! line per benchmark (see `benches/src/report.rs` and docs/benchmarks.md).
#![no_std]
#![no_main]

linux_rt::main!(benches::suite::main);
