//! Exit with the status given as the first argument (decimal), to test how
//! exit statuses propagate. `exitcode 7` exits with 7; a status above 255
//! is passed to `exit_group` as is (the parent sees the low 8 bits).
#![no_std]
#![no_main]

use linux_rt::{eprintln, Args, Bytes};

linux_rt::main!(main);

fn parse(s: &[u8]) -> Option<i32> {
    if s.is_empty() || s.len() > 9 {
        return None;
    }
    s.iter().try_fold(0i32, |n, &c| c.is_ascii_digit().then(|| n * 10 + (c - b'0') as i32))
}

fn main(args: &Args) -> i32 {
    match args.arg(1).and_then(parse) {
        Some(n) => linux_rt::sys::exit_group(n),
        None => {
            eprintln!("usage: exitcode STATUS (a decimal number), got \"{}\"", Bytes(args.arg(1).unwrap_or(b"")));
            2
        }
    }
}
