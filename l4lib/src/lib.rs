//! User-side library for programs that run directly on the microkernel
//! (sigma0, the roottask, the Linux server, test tasks): typed wrappers for
//! every kernel call, message helpers over the UTCB, the KIP, and a minimal
//! runtime (`_start`, panic handler, heap, console output).
#![no_std]

pub mod ipc;
pub mod kip;
#[cfg(all(target_arch = "x86", target_os = "none"))]
pub mod mem;
pub mod rt;
pub mod sigma0;
pub mod sys;

pub use ipc::{Msg, Utcb};
pub use l4_abi::{self as abi, Error, Fpage, MapItem, MsgTag, ThreadId, Timeout};
