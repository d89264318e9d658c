//! The L4-style microkernel. Everything outside `arch/` is portable Rust:
//! the IPC state machine, mapping database, scheduler and address-space
//! bookkeeping compile for the host and are unit-tested there (and checked
//! against the executable specification); `arch/x86` is the i486 layer:
//! boot, descriptor tables, trap entry, paging hardware, PIC, PIT, serial.
#![cfg_attr(not(test), no_std)]

// the host-side users of the portable core (the spec) need `std` for the
// in-memory machine and the state snapshot
#[cfg(all(feature = "host-machine", not(test)))]
#[macro_use]
extern crate std;

pub mod bootinfo;
pub mod desc;
pub mod elf;
pub mod ipc;
pub mod kernel;
pub mod kprint;
pub mod mach;
pub mod machine;
pub mod mapdb;
pub mod pool;
pub mod pte;
pub mod sched;
pub mod space;
pub mod thread;

#[cfg(any(test, feature = "host-machine"))]
pub mod hostmachine;
#[cfg(any(test, feature = "host-machine"))]
pub mod snapshot;

#[cfg(target_os = "none")]
pub mod arch;

pub use kernel::Kernel;
