//! The roottask: the first task the kernel starts after sigma0 (whose
//! client it is). It starts the system — loads the Linux server from the boot
//! modules, gives it memory, its console ports and interrupt, and serves as
//! its pager — or, when the kernel command line says `ktest`, runs the
//! in-QEMU kernel test suite and exits QEMU with the result.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
extern crate alloc;

#[cfg(target_os = "none")]
mod bench;
#[cfg(target_os = "none")]
mod boot;
#[cfg(target_os = "none")]
mod ktest;
#[cfg(target_os = "none")]
mod mem;
#[cfg(target_os = "none")]
mod replay;
#[cfg(target_os = "none")]
mod threads;

#[cfg(target_os = "none")]
l4::main!(main);

#[cfg(target_os = "none")]
static mut HEAP: [u8; 1 << 20] = [0; 1 << 20];

#[cfg(target_os = "none")]
fn main() {
    // SAFETY: handed to the allocator once, before any allocation.
    l4::rt::init_heap(unsafe { &mut *core::ptr::addr_of_mut!(HEAP) });
    let kip = l4::kip::kip();
    let has = |word: &str| kip.cmdline().split(' ').any(|w| w == word);
    if has("bench-ipc") {
        bench::run();
        l4::sys::kdebug_exit(0);
    } else if let Some((seed, ops)) = replay::requested(kip.cmdline()) {
        replay::run(seed, ops);
        l4::sys::kdebug_exit(0);
    } else if has("ktest") {
        let failed = ktest::run();
        l4::sys::kdebug_exit(if failed == 0 { 0 } else { 1 });
    } else {
        boot::start_system();
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("the roottask runs on the microkernel: build it with `cargo xtask build`");
}
