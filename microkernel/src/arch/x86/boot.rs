//! Multiboot v1 header and the boot stub: entered by the loader in 32-bit
//! protected mode with paging off at a physical address, it builds boot page
//! tables (the first 64 MiB identity-mapped and at 0xC000_0000), turns paging
//! on, switches to the boot stack and calls `kernel_entry(magic, mbi_phys)`.

use core::arch::global_asm;

/// Bytes of low memory the boot page tables map (16 tables of 4 MiB).
pub const BOOT_MAPPED: u32 = 64 << 20;
/// Page tables the boot stub fills.
pub const BOOT_TABLES: usize = 16;

global_asm!(
    r#"
    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x00000003          /* page-align modules, memory map */
    .set KVMA, 0xC0000000

    .section .multiboot, "a"
    .balign 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .boot.text, "ax"
    .global _start
    .code32
_start:
    cli
    cld
    mov %eax, %ebp                     /* multiboot magic */
    mov %ebx, %esi                     /* multiboot info (physical) */

    /* zero the boot page directory */
    mov $(boot_pd - KVMA), %edi
    xor %eax, %eax
    mov $1024, %ecx
    rep stosl

    /* fill 16 page tables: 64 MiB, present + writable */
    mov $(boot_pts - KVMA), %edi
    mov $0x003, %eax
    mov $16384, %ecx
1:  stosl
    add $0x1000, %eax
    loop 1b

    /* PDEs 0..15 (identity) and 768..783 (higher half) */
    mov $(boot_pd - KVMA), %edi
    mov $(boot_pts - KVMA + 0x003), %eax
    xor %ecx, %ecx
2:  mov %eax, (%edi,%ecx,4)
    mov %eax, 3072(%edi,%ecx,4)
    add $0x1000, %eax
    inc %ecx
    cmp $16, %ecx
    jne 2b

    mov $(boot_pd - KVMA), %eax
    mov %eax, %cr3
    mov %cr0, %eax
    or $0x80010000, %eax               /* PG | WP */
    mov %eax, %cr0
    mov $3f, %eax
    jmp *%eax

    .section .init.text.boot_high, "ax"   /* boot-only: freed later */
3:  mov $boot_stack_top, %esp
    xor %eax, %eax
    push %eax                          /* end of frame-pointer chain */
    push %esi
    push %ebp
    call kernel_entry
4:  cli
    hlt
    jmp 4b

    .section .bss.boot, "aw", @nobits
    .balign 4096
    .global boot_pd
boot_pd:
    .skip 4096
    .global boot_pts
boot_pts:
    .skip 16 * 4096
    .global boot_stack_top
boot_stack:
    .skip 32768
boot_stack_top:
"#,
    options(att_syntax)
);

extern "C" {
    static boot_pd: [u32; 1024];
    static boot_pts: [u32; 1024 * BOOT_TABLES];
    static boot_stack_top: u8;
}

/// Virtual address of the boot page tables.
pub fn boot_pts_addr() -> usize {
    core::ptr::addr_of!(boot_pts) as usize
}

/// Virtual address of the boot page directory (reused as the kernel's
/// master page directory).
pub fn boot_pd_addr() -> usize {
    core::ptr::addr_of!(boot_pd) as usize
}

/// Top of the boot stack, which stays the kernel stack.
pub fn kernel_stack_top() -> usize {
    core::ptr::addr_of!(boot_stack_top) as usize
}
