//! Print the environment and check the auxiliary vector Linux passes:
//! AT_PAGESZ, AT_UID/EUID/GID/EGID (against the uid/gid calls), AT_SECURE,
//! AT_HWCAP, AT_RANDOM (16 readable bytes), AT_EXECFN and AT_PLATFORM
//! (readable strings), AT_PHDR/AT_PHENT/AT_PHNUM (against the program
//! headers in memory) and AT_ENTRY (the address of `_start`). Prints
//! `auxv ok` and exits 0 if all hold, else a `FAIL` line per problem.
//!
//! Memory named by the auxv is first checked to be readable by having the
//! kernel copy it into a pipe (EFAULT instead of a crash).
#![no_std]
#![no_main]

use linux_rt::auxv::*;
use linux_rt::consts::O_CLOEXEC;
use linux_rt::{println, sys, Args, Bytes};

linux_rt::main!(main);

extern "C" {
    fn _start();
}

const PT_LOAD: u32 = 1;
const PT_PHDR: u32 = 6;

struct Check {
    failed: u32,
    pipe: [i32; 2],
}

impl Check {
    fn fail(&mut self, what: core::fmt::Arguments) {
        println!("FAIL envtest: {}", what);
        self.failed += 1;
    }

    /// Whether `len` bytes at `addr` are readable: the kernel copies them
    /// into the pipe (and the pipe is drained again).
    fn readable(&mut self, addr: usize, len: usize) -> bool {
        // writev only reads the memory, and reports EFAULT if it is not mapped
        let iov = [linux_rt::types::IoVec { base: addr as *const u8, len }];
        let r = sys::writev(self.pipe[1], &iov);
        let mut sink = [0u8; 256];
        let mut left = if r > 0 { r as usize } else { 0 };
        while left > 0 {
            let n = sys::read(self.pipe[0], &mut sink[..left.min(256)]);
            if n <= 0 {
                break;
            }
            left -= n as usize;
        }
        r == len as isize
    }

    /// A NUL-terminated string at `addr` if its bytes are readable.
    fn string(&mut self, addr: usize) -> Option<&'static [u8]> {
        let mut n = 0;
        loop {
            if n > 4096 || !self.readable(addr + n, 1) {
                return None;
            }
            // SAFETY: the byte was just shown to be readable.
            if unsafe { *((addr + n) as *const u8) } == 0 {
                // SAFETY: all bytes up to the NUL are readable.
                return Some(unsafe { core::slice::from_raw_parts(addr as *const u8, n) });
            }
            n += 1;
        }
    }
}

fn main(args: &Args) -> i32 {
    for e in args.env() {
        println!("env: {}", Bytes(e));
    }
    let mut c = Check { failed: 0, pipe: [-1; 2] };
    if sys::pipe2(&mut c.pipe, O_CLOEXEC) != 0 {
        println!("FAIL envtest: pipe2 failed");
        return 1;
    }

    match args.aux(AT_PAGESZ) {
        Some(4096) => println!("auxv: AT_PAGESZ = 4096"),
        v => c.fail(format_args!("AT_PAGESZ: expected 4096, got {:?}", v)),
    }
    let ids = [
        ("AT_UID", AT_UID, sys::getuid()),
        ("AT_EUID", AT_EUID, sys::geteuid()),
        ("AT_GID", AT_GID, sys::getgid()),
        ("AT_EGID", AT_EGID, sys::getegid()),
    ];
    for (name, kind, real) in ids {
        match args.aux(kind) {
            Some(v) if v as isize == real => println!("auxv: {} = {}", name, v),
            v => c.fail(format_args!("{}: expected {} (from the system call), got {:?}", name, real, v)),
        }
    }
    match args.aux(AT_SECURE) {
        Some(0) => println!("auxv: AT_SECURE = 0"),
        v => c.fail(format_args!("AT_SECURE: expected 0, got {:?}", v)),
    }
    match args.aux(AT_HWCAP) {
        Some(_) => println!("auxv: AT_HWCAP present"),
        None => c.fail(format_args!("AT_HWCAP missing")),
    }
    match args.aux(AT_RANDOM) {
        Some(p) if c.readable(p, 16) => {
            // SAFETY: the 16 bytes were shown to be readable.
            let bytes = unsafe { core::slice::from_raw_parts(p as *const u8, 16) };
            if bytes.iter().all(|&b| b == 0) {
                c.fail(format_args!("AT_RANDOM: 16 zero bytes"));
            } else {
                println!("auxv: AT_RANDOM has 16 readable bytes");
            }
        }
        v => c.fail(format_args!("AT_RANDOM: expected a pointer to 16 readable bytes, got {:?}", v.is_some())),
    }
    for (name, kind) in [("AT_EXECFN", AT_EXECFN), ("AT_PLATFORM", AT_PLATFORM)] {
        match args.aux(kind).map(|p| c.string(p)) {
            Some(Some(s)) if !s.is_empty() => println!("auxv: {} = {}", name, Bytes(s)),
            Some(Some(_)) => c.fail(format_args!("{}: empty string", name)),
            Some(None) => c.fail(format_args!("{}: not a readable string", name)),
            None => c.fail(format_args!("{}: missing", name)),
        }
    }
    check_phdrs(args, &mut c);

    let entry = _start as *const () as usize;
    match args.aux(AT_ENTRY) {
        Some(e) if e == entry => println!("auxv: AT_ENTRY = _start"),
        Some(_) => c.fail(format_args!("AT_ENTRY is not the address of _start")),
        None => c.fail(format_args!("AT_ENTRY missing")),
    }

    sys::close(c.pipe[0]);
    sys::close(c.pipe[1]);
    if c.failed == 0 {
        println!("auxv ok");
        0
    } else {
        1
    }
}

/// AT_PHENT is 32 (Elf32_Phdr), the AT_PHNUM headers at AT_PHDR are
/// readable, one PT_LOAD covers AT_PHDR's page, and a PT_PHDR (if any)
/// names AT_PHDR itself.
fn check_phdrs(args: &Args, c: &mut Check) {
    let (Some(phdr), Some(phent), Some(phnum)) = (args.aux(AT_PHDR), args.aux(AT_PHENT), args.aux(AT_PHNUM)) else {
        return c.fail(format_args!("AT_PHDR, AT_PHENT or AT_PHNUM missing"));
    };
    if phent != 32 {
        return c.fail(format_args!("AT_PHENT: expected 32, got {}", phent));
    }
    if phnum == 0 || phnum > 64 || !c.readable(phdr, phnum * 32) {
        return c.fail(format_args!("AT_PHNUM = {}: program headers not readable at AT_PHDR", phnum));
    }
    let word = |i: usize, f: usize| {
        // SAFETY: the phnum * 32 bytes at phdr were shown to be readable.
        unsafe { core::ptr::read_unaligned((phdr + i * 32 + f * 4) as *const u32) as usize }
    };
    let page = phdr & !4095;
    let mut load = false;
    for i in 0..phnum {
        // p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align
        let (kind, vaddr, memsz) = (word(i, 0) as u32, word(i, 2), word(i, 5));
        if kind == PT_LOAD && (vaddr & !4095) <= page && page < vaddr + memsz {
            load = true;
        }
        if kind == PT_PHDR && vaddr != phdr {
            c.fail(format_args!("PT_PHDR's p_vaddr differs from AT_PHDR"));
        }
    }
    if load {
        println!("auxv: AT_PHDR/AT_PHENT/AT_PHNUM consistent ({} program headers)", phnum);
    } else {
        c.fail(format_args!("no PT_LOAD covers AT_PHDR's page"));
    }
}
