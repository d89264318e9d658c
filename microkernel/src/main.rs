//! The kernel image's entry crate. On the i486 target everything happens in
//! `microkernel::arch` (the boot stub calls `kernel_entry`); on the host this
//! binary only explains itself.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
pub use microkernel::arch::kernel_entry;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("the kernel image is built for the i486 target: run `cargo xtask build`");
}
