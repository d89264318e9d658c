//! `memcpy`, `memmove` and `memset` with the i486's string instructions.
//! The compiler-builtins versions (weak symbols, which these replace) are
//! generic byte/word loops: zeroing a 4 KiB page took the Linux server
//! about 5 000 instructions, `rep stosd` does it in one instruction of
//! 1 024 iterations, as Linux's own `clear_page` on the 486.

use core::arch::asm;

/// Copy `n` bytes forwards: words first, then the remaining bytes.
///
/// # Safety
/// `dest` and `src` valid for `n` bytes; if they overlap, `dest` <= `src`.
unsafe fn copy_forward(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the caller's contract; esi belongs to LLVM, so it is swapped
    // in and restored by hand (the only register operand is {s}, so no
    // other operand can live in esi); the direction flag is clear (ABI).
    unsafe {
        asm!(
            "xchg {s}, esi",
            "mov ecx, eax",
            "shr ecx, 2",
            "rep movsd",
            "mov ecx, eax",
            "and ecx, 3",
            "rep movsb",
            "mov esi, {s}",
            s = inout(reg) src => _,
            inout("eax") n => _,
            inout("edi") dest => _,
            out("ecx") _,
            options(nostack)
        );
    }
}

/// # Safety
/// As the C function.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's contract (no overlap).
    unsafe { copy_forward(dest, src, n) };
    dest
}

/// # Safety
/// As the C function.
#[no_mangle]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize).wrapping_sub(src as usize) >= n {
        // dest is below src, or far enough above it
        // SAFETY: the caller's contract; forwards is safe for this overlap.
        unsafe { copy_forward(dest, src, n) };
    } else {
        // dest overlaps the end of src: copy backwards, byte by byte from
        // the last one, with the direction flag set for the copy only
        // SAFETY: the caller's contract; esi restored as above.
        unsafe {
            asm!(
                "xchg {s}, esi",
                "std",
                "rep movsb",
                "cld",
                "mov esi, {s}",
                s = inout(reg) src.add(n).wrapping_sub(1) => _,
                inout("edi") dest.add(n).wrapping_sub(1) => _,
                inout("ecx") n => _,
                options(nostack)
            );
        }
    }
    dest
}

/// # Safety
/// As the C function.
#[no_mangle]
pub unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
    let word = (c as u8 as u32).wrapping_mul(0x0101_0101);
    // SAFETY: the caller's contract; the direction flag is clear (ABI).
    unsafe {
        asm!(
            "rep stosd",
            "mov ecx, {tail}",
            "rep stosb",
            tail = in(reg) n & 3,
            inout("edi") dest => _,
            inout("ecx") n >> 2 => _,
            in("eax") word,
            options(nostack, preserves_flags)
        );
    }
    dest
}
