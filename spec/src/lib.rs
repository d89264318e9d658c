//! Executable specification of the kernel.
//!
//! The abstract kernel state ([`state`]) and one plain function per kernel
//! operation ([`calls`] for the system calls and events, with the rules in
//! [`ipc`], [`mapping`], [`threads`] and [`sched`]), written for clarity:
//! this is the reference `docs/spec.md` and the API documentation point to.
//!
//! The spec is checked against the kernel's portable core compiled for the
//! host ([`harness`] runs it on `HostMachine`; [`compare`] compares every
//! record and the abstract state after each operation) and against the
//! real kernel in QEMU ([`replay`]: the roottask performs the same generated
//! operations and prints what it observed; xtask compares). [`catalog`]
//! lists the spec function of every operation of the ABI.

pub mod calls;
pub mod catalog;
pub mod compare;
pub mod expect;
pub mod harness;
pub mod ipc;
pub mod mapping;
pub mod replay;
pub mod sched;
pub mod state;
pub mod step;
pub mod threads;

pub use expect::Expect;
pub use state::{Limits, State};
