//! sigma0, the root pager. At boot it owns every frame the kernel did not
//! keep (the KIP's memory descriptors say which). It maps frames 1:1 (its
//! address space *is* physical memory) in answer to page faults and explicit
//! requests, and hands each RAM frame to one owner only: a second request for
//! a frame someone else owns is refused. Boot modules go only to the roottask;
//! device memory (non-RAM holes below the end of RAM) goes to whoever asks.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod pager;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("sigma0 runs on the microkernel: build it with `cargo xtask build`");
}
