//! The operations of the executable kernel specification, shared by the host
//! side (the `spec` crate: the model and the cross-check against the
//! portable kernel core) and the in-QEMU replay task (the roottask's
//! `spec-replay` mode). `no_std`, no allocation.
//!
//! - [`world`]: the fixed world every sequence runs in (test pages, frames,
//!   the first thread, priorities, abstract ip/sp tokens).
//! - [`op`]: one operation, its thread references, and its exact register
//!   and message-register encoding (so the spec, the host harness and the
//!   replay task put the same values into the same registers).
//! - [`gen`]: the seeded generator (a pure function of seed and index).
//! - [`record`]: what can be observed after each operation, with a text
//!   form the replay task prints and xtask parses.
#![no_std]

#[cfg(test)]
extern crate std;

pub mod gen;
pub mod op;
pub mod record;
pub mod world;

pub use gen::{op_at, Profile};
pub use op::{Ctx, IpcOp, Op, Prio, Tref, UtcbSel};
pub use record::Record;
