//! What the benchmarks execute. Without arguments it exits at once with
//! status 0 (`fork-exec`: the cost of running a tiny static program).
//! `bench-child sum` reads its standard input to the end and writes the
//! FNV-1a checksum as 8 hex digits and a newline (the `aim` job's pipeline).
#![no_std]
#![no_main]

use benches::work::{fnv1a, hex_line, FNV_START};
use linux_rt::{io, sys, Args};

linux_rt::main!(main);

fn main(args: &Args) -> i32 {
    match args.arg(1) {
        None => 0,
        Some(b"sum") => {
            let mut buf = [0u8; 1024];
            let mut h = FNV_START;
            loop {
                match sys::read(0, &mut buf) {
                    0 => break,
                    n if n > 0 => h = fnv1a(h, &buf[..n as usize]),
                    _ => return 1,
                }
            }
            io::write_all(1, &hex_line(h));
            0
        }
        Some(_) => 2,
    }
}
