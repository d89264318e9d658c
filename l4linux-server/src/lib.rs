//! The Linux personality server's emulation of Linux, independent of the
//! microkernel so that it is unit-tested on the host: processes, memory,
//! files (tmpfs, devices, pipes, /proc), the console's line discipline,
//! signals, and the i386 system calls. The L4 side (`main.rs`, `glue.rs`)
//! feeds it events and carries out its replies.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

pub mod elf;
pub mod errno;
pub mod file;
pub mod hash;
pub mod linux;
pub mod mm;
pub mod pipe;
pub mod platform;
pub mod pool;
pub mod proc;
mod process;
mod procfs;
mod signal;
mod sys;
pub mod system;
pub mod tty;
pub mod vfs;
