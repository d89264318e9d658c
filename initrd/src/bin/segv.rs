//! Die by SIGSEGV: write to address 0x10, which is never mapped. Under a
//! shell the exit status is 139 (128 + 11).
#![no_std]
#![no_main]

use linux_rt::{println, Args};

linux_rt::main!(main);

fn main(_: &Args) -> i32 {
    println!("segv: writing to 0x10");
    // SAFETY: not safe at all: this is the fault the program exists for.
    unsafe { core::ptr::write_volatile(0x10 as *mut u32, 0xdead) };
    println!("segv: still alive");
    1
}
