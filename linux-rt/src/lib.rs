//! A tiny `no_std` runtime for static i386 Linux programs: the `_start`
//! entry point and initial stack parsing ([`start`]), raw `int $0x80`
//! system calls ([`syscall`], numbers in [`nr`]) and typed wrappers
//! ([`sys`]), the kernel ABI structures ([`types`], [`consts`], [`errno`]),
//! printing macros ([`io`]), a global allocator ([`heap`]) and `rdtsc`
//! ([`cpu`]). No floating point anywhere.
//!
//! A program:
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! linux_rt::main!(main);
//! fn main(args: &linux_rt::Args) -> i32 {
//!     linux_rt::println!("{} arguments", args.argc);
//!     0
//! }
//! ```
#![no_std]

pub mod consts;
pub mod cpu;
pub mod errno;
pub mod heap;
pub mod io;
pub mod nr;
pub mod start;
pub mod sys;
pub mod syscall;
pub mod types;

pub use cpu::rdtsc;
pub use io::Bytes;
pub use start::{auxv, Args};

/// Define the program's entry: `fn main(args: &Args) -> i32`; the process
/// exits (`exit_group`) with the returned status.
#[macro_export]
macro_rules! main {
    ($main:path) => {
        #[no_mangle]
        pub fn __linux_rt_main(args: &$crate::Args) -> i32 {
            $main(args)
        }
    };
}

/// Print the panic message to stderr and exit with status 101.
#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    eprintln!("panic: {}", info);
    sys::exit_group(101)
}
