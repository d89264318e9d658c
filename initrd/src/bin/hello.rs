//! Hello world through linux-rt: a greeting, then each argument as `argv[i] = ...`.
#![no_std]
#![no_main]

use linux_rt::{println, Args, Bytes};

linux_rt::main!(main);

fn main(args: &Args) -> i32 {
    println!("hello from a static i386 Linux program");
    for (i, a) in args.args().enumerate() {
        println!("argv[{}] = {}", i, Bytes(a));
    }
    0
}
