//! The system call conformance suite: one `PASS group::name` or
//! `FAIL group::name: why` line per check, then
//! `conformance: N passed, M failed`; exit status 0 iff nothing failed.
//! See `initrd/src/conformance/` for the checks.
#![no_std]
#![no_main]

linux_rt::main!(initrd::conformance::run);
