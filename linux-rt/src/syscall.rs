//! Raw `int $0x80` system calls. Each returns the kernel's raw result: a
//! value in `-4095..=-1` is a negated errno, anything else is success.
//!
//! Arguments go in ebx, ecx, edx, esi, edi, ebp. Rust's inline assembly on
//! i386 cannot name esi (LLVM's base pointer) or ebp (the frame pointer) as
//! operands, so `syscall4..6` pass the number and the arguments from the
//! fourth on through a small array in memory addressed by eax, load them
//! inside the asm and restore esi/ebp afterwards.

use core::arch::asm;

/// True if a raw result is an error (a negated errno).
#[inline]
pub fn is_err(r: isize) -> bool {
    (-4095..0).contains(&r)
}

/// # Safety
/// System calls can do anything to the process; the caller must uphold
/// whatever the particular call requires.
#[inline]
pub unsafe fn syscall0(nr: usize) -> isize {
    let r: isize;
    // SAFETY: int 0x80 clobbers only eax; the caller vouches for the call.
    unsafe { asm!("int 0x80", inlateout("eax") nr as isize => r, options(nostack)) };
    r
}

/// # Safety
/// As for [`syscall0`].
#[inline]
pub unsafe fn syscall1(nr: usize, a1: usize) -> isize {
    let r: isize;
    // SAFETY: as in syscall0.
    unsafe { asm!("int 0x80", inlateout("eax") nr as isize => r, in("ebx") a1, options(nostack)) };
    r
}

/// # Safety
/// As for [`syscall0`].
#[inline]
pub unsafe fn syscall2(nr: usize, a1: usize, a2: usize) -> isize {
    let r: isize;
    // SAFETY: as in syscall0.
    unsafe { asm!("int 0x80", inlateout("eax") nr as isize => r, in("ebx") a1, in("ecx") a2, options(nostack)) };
    r
}

/// # Safety
/// As for [`syscall0`].
#[inline]
pub unsafe fn syscall3(nr: usize, a1: usize, a2: usize, a3: usize) -> isize {
    let r: isize;
    // SAFETY: as in syscall0.
    unsafe {
        asm!("int 0x80", inlateout("eax") nr as isize => r, in("ebx") a1, in("ecx") a2, in("edx") a3,
             options(nostack))
    };
    r
}

/// # Safety
/// As for [`syscall0`].
#[inline]
pub unsafe fn syscall4(nr: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> isize {
    // SAFETY: forwarded; a zero in edi/ebp is ignored by a 4-argument call.
    unsafe { syscall6(nr, a1, a2, a3, a4, 0, 0) }
}

/// # Safety
/// As for [`syscall0`].
#[inline]
pub unsafe fn syscall5(nr: usize, a1: usize, a2: usize, a3: usize, a4: usize, a5: usize) -> isize {
    // SAFETY: forwarded; a zero in ebp is ignored by a 5-argument call.
    unsafe { syscall6(nr, a1, a2, a3, a4, a5, 0) }
}

/// # Safety
/// As for [`syscall0`].
#[inline]
pub unsafe fn syscall6(nr: usize, a1: usize, a2: usize, a3: usize, a4: usize, a5: usize, a6: usize) -> isize {
    // [number, arg4, arg6]; arg5 goes in edi directly.
    let block = [nr, a4, a6];
    let r: isize;
    // SAFETY: esi and ebp are saved on the stack and restored before the
    // asm ends; the block is read through eax before eax is overwritten with
    // the number. The pushes only move esp, which nothing here addresses.
    unsafe {
        asm!(
            "push ebp",
            "push esi",
            "mov esi, [eax + 4]",
            "mov ebp, [eax + 8]",
            "mov eax, [eax]",
            "int 0x80",
            "pop esi",
            "pop ebp",
            inlateout("eax") block.as_ptr() => r,
            in("ebx") a1,
            in("ecx") a2,
            in("edx") a3,
            in("edi") a5,
        )
    };
    r
}
