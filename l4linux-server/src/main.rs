//! The Linux server as an L4 task: asks the roottask for its memory layout,
//! unpacks the initrd into the tmpfs, drives the serial console, starts the
//! first program from the kernel command line (`-- PROGRAM ARGS...`), and
//! then serves every Linux process: their page faults and exceptions
//! (`int 0x80` system calls among them) arrive as IPC and are answered with
//! mappings or new register values.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
extern crate alloc;

#[cfg(target_os = "none")]
mod glue;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("the Linux server runs on the microkernel: build it with `cargo xtask build`");
}
