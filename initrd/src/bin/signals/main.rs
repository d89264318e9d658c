//! Signal tests: handlers and the i386 frames they run on, sigreturn,
//! masks and pending signals, the order of delivery, SA_* flags, EINTR
//! and restarting, the alternate stack, alarms and interval timers,
//! default actions seen from a parent, faults, and delivery to a process
//! that spins in user mode. One `PASS group::name` or `FAIL group::name:
//! why` line per check, then `signals: N passed, M failed`; exit status 0
//! iff nothing failed.
//!
//! The same binary runs on the host's Linux kernel (the reference) and in
//! the system, so checks compare only what Linux fixes for i386: no
//! selector values, no frame sizes that depend on the FPU state, no pids
//! or times in the output.
#![no_std]
#![no_main]

extern crate alloc;

mod children;
mod delivery;
mod frames;
mod rt;
mod waits;

use initrd::conformance::Suite;
use linux_rt::{println, Args};

linux_rt::main!(main);

fn main(_args: &Args) -> i32 {
    let mut s = Suite::new();
    frames::run(&mut s);
    delivery::run(&mut s);
    waits::run(&mut s);
    children::run(&mut s);
    println!("signals: {} passed, {} failed", s.passed, s.failed);
    if s.failed == 0 {
        0
    } else {
        1
    }
}
