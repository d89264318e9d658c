//! Process start-up: the `_start` entry point and the initial stack.
//!
//! Linux starts an i386 program at `_start` with esp pointing at
//! `argc`, followed by `argv[0..argc]`, a NULL, the environment pointers,
//! a NULL, then the auxiliary vector of (type, value) pairs ending with
//! `AT_NULL`. `_start` passes that pointer to Rust, which calls the
//! program's `main` (defined with [`crate::main!`]) and exits with its status.

use core::ffi::{c_char, CStr};

/// Auxiliary vector entry types (`linux/auxvec.h`, `asm/auxvec.h`).
pub mod auxv {
    pub const AT_NULL: usize = 0;
    pub const AT_PHDR: usize = 3;
    pub const AT_PHENT: usize = 4;
    pub const AT_PHNUM: usize = 5;
    pub const AT_PAGESZ: usize = 6;
    pub const AT_BASE: usize = 7;
    pub const AT_FLAGS: usize = 8;
    pub const AT_ENTRY: usize = 9;
    pub const AT_UID: usize = 11;
    pub const AT_EUID: usize = 12;
    pub const AT_GID: usize = 13;
    pub const AT_EGID: usize = 14;
    pub const AT_PLATFORM: usize = 15;
    pub const AT_HWCAP: usize = 16;
    pub const AT_CLKTCK: usize = 17;
    pub const AT_SECURE: usize = 23;
    pub const AT_RANDOM: usize = 25;
    pub const AT_HWCAP2: usize = 26;
    pub const AT_EXECFN: usize = 31;
    pub const AT_SYSINFO: usize = 32;
    pub const AT_SYSINFO_EHDR: usize = 33;
}

/// The program's arguments, environment and auxiliary vector, as found on
/// the initial stack (which lives as long as the process).
#[derive(Clone, Copy, Debug)]
pub struct Args {
    pub argc: usize,
    pub argv: *const *const c_char,
    pub envp: *const *const c_char,
    pub auxv: *const [usize; 2],
}

impl Args {
    /// Parse the initial stack at `sp`.
    ///
    /// # Safety
    /// `sp` must point at a Linux initial process stack.
    pub unsafe fn from_stack(sp: *const usize) -> Args {
        // SAFETY: the layout is the one described in the module comment.
        unsafe {
            let argc = *sp;
            let argv = sp.add(1) as *const *const c_char;
            let envp = argv.add(argc + 1);
            let mut e = envp;
            while !(*e).is_null() {
                e = e.add(1);
            }
            Args { argc, argv, envp, auxv: e.add(1) as *const [usize; 2] }
        }
    }

    /// Argument `i` without its NUL.
    pub fn arg(&self, i: usize) -> Option<&'static [u8]> {
        if i >= self.argc {
            return None;
        }
        // SAFETY: argv has argc valid string pointers.
        Some(unsafe { cstr(*self.argv.add(i)) })
    }

    /// All arguments.
    pub fn args(&self) -> impl Iterator<Item = &'static [u8]> + '_ {
        (0..self.argc).filter_map(|i| self.arg(i))
    }

    /// The environment strings (`NAME=value`).
    pub fn env(&self) -> impl Iterator<Item = &'static [u8]> {
        let mut e = self.envp;
        core::iter::from_fn(move || {
            // SAFETY: envp is a NULL-terminated array of string pointers.
            unsafe {
                if (*e).is_null() {
                    return None;
                }
                let s = cstr(*e);
                e = e.add(1);
                Some(s)
            }
        })
    }

    /// The value of environment variable `name`.
    pub fn getenv(&self, name: &[u8]) -> Option<&'static [u8]> {
        self.env().find_map(|kv| kv.strip_prefix(name).and_then(|r| r.strip_prefix(b"=")))
    }

    /// All auxiliary vector entries (type, value), without the AT_NULL.
    pub fn auxv(&self) -> impl Iterator<Item = (usize, usize)> {
        let mut a = self.auxv;
        core::iter::from_fn(move || {
            // SAFETY: the vector ends with an AT_NULL entry.
            unsafe {
                let [t, v] = *a;
                if t == auxv::AT_NULL {
                    return None;
                }
                a = a.add(1);
                Some((t, v))
            }
        })
    }

    /// The value of auxiliary vector entry `kind`.
    pub fn aux(&self, kind: usize) -> Option<usize> {
        self.auxv().find(|&(t, _)| t == kind).map(|(_, v)| v)
    }
}

/// The bytes of a NUL-terminated string, without the NUL.
///
/// # Safety
/// `p` must point at a NUL-terminated string that lives for the program.
pub unsafe fn cstr(p: *const c_char) -> &'static [u8] {
    // SAFETY: the caller vouches for the string.
    unsafe { CStr::from_ptr(p).to_bytes() }
}

extern "Rust" {
    // Defined by the program with `linux_rt::main!`.
    fn __linux_rt_main(args: &Args) -> i32;
}

/// Called by `_start` with the initial stack pointer.
unsafe extern "C" fn rust_start(sp: *const usize) -> ! {
    // SAFETY: _start passes the stack pointer Linux started us with, and
    // `main!` defines __linux_rt_main with this signature.
    let status = unsafe {
        let args = Args::from_stack(sp);
        __linux_rt_main(&args)
    };
    crate::sys::exit_group(status)
}

// Clear the frame pointer (the end of stack back-traces), align the stack
// to 16 bytes as the i386 ABI expects at a call, and pass the original esp.
core::arch::global_asm!(
    ".globl _start",
    ".type _start, @function",
    "_start:",
    "    xor ebp, ebp",
    "    mov eax, esp",
    "    and esp, -16",
    "    sub esp, 12",
    "    push eax",
    "    call {start}",
    "    ud2",
    ".size _start, . - _start",
    start = sym rust_start,
);
