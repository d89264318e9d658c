//! Shared code of the initrd programs: the system call conformance suite
//! (run by the `conformance` binary) lives here, split by subject.
#![no_std]

extern crate alloc;

pub mod conformance;
