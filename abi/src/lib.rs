//! The kernel's binary interface, shared by the kernel and every user program
//! that talks to it (sigma0, roottask, the Linux server, test tasks) and by the
//! executable specification.
//!
//! Everything here is plain data: numbers, bit layouts and small encode/decode
//! helpers. The prose reference with registers in and out for every call is
//! `docs/kernel-api.md`; this crate is its executable counterpart.
#![no_std]

pub mod kip;
pub mod layout;
pub mod msg;
pub mod syscall;
pub mod tid;
pub mod timeout;
pub mod utcb;

pub use msg::{Fpage, MapItem, MsgTag};
pub use syscall::Error;
pub use tid::ThreadId;
pub use timeout::Timeout;
