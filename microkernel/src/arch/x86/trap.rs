//! The IDT and the kernel entry path. Every vector the kernel handles has a
//! stub that pushes an error code (0 where the CPU pushes none) and the
//! vector, then `trap_common` saves the general registers with `pusha`
//! (the IPC and Linux system-call vectors have assembly fast paths first,
//! see `fastpath.rs`). On
//! entry from user mode the CPU has switched to `esp0`, which points just
//! past the current thread's `UserFrame` inside its TCB, so the registers land
//! there; the common path then moves to the kernel stack and calls
//! `trap_entry`, which returns the frame of the thread to resume.

use crate::thread::UserFrame;
use core::arch::global_asm;
use l4_abi::layout::sel;

global_asm!(
    r#"
    /* The stubs are packed (9 bytes each, not 16-byte aligned: 400 bytes
       less; the IPC vectors do not use them). Their (vector, stub) table is
       read only by `init`, so it lives in `.init`, freed after boot. */
    .macro STUB vec, err
    .section .text.traps, "ax"
trap_stub_\vec:
    .if \err == 0
    pushl $0
    .endif
    pushl $\vec
    jmp trap_common
    .section .init.rodata.trap_table, "a"
    .long \vec, trap_stub_\vec
    .endm

    .section .init.rodata.trap_table, "a"
    .balign 4
    .global trap_table
trap_table:
    .irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    STUB \v, 0
    .endr
    .irp v, 8,10,11,12,13,14,17
    STUB \v, 1
    .endr
    .irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    STUB \v, 0
    .endr
    .irp v, 49,50,51,52,53,54,55,56,57
    STUB \v, 0
    .endr
    .section .init.rodata.trap_table, "a"
    .global trap_table_end
trap_table_end:

    .section .text.traps, "ax"
    .global trap_common
trap_common:
    pushal
    .global trap_saved
trap_saved:
    movl ${uds}, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %esp, %eax
    testl $3, 44(%esp)            /* saved cs: from user mode? */
    jz 1f
    movl $boot_stack_top, %esp
1:  pushl %eax
    cld
    call trap_entry
    .global trap_return
trap_return:
    movl %eax, %esp
    popal
    addl $8, %esp
    iretl
"#,
    uds = const sel::USER_DS,
    options(att_syntax)
);

// The IPC and Linux system-call vectors: the assembly fast paths, or (in the
// Mach-style build, which has none) ordinary stubs.
#[cfg(not(feature = "mach"))]
global_asm!(
    r#"
    .section .init.rodata.trap_table_fast, "a"
    .balign 4
    .global trap_table_fast
trap_table_fast:
    .long 14, trap_pf
    .long 48, trap_ipc
    .long 128, trap_linux
    .global trap_table_fast_end
trap_table_fast_end:
"#,
    options(att_syntax)
);

#[cfg(feature = "mach")]
global_asm!(
    r#"
    .macro STUB2 vec
    .section .text.traps, "ax"
    .balign 16
trap_stub_\vec:
    pushl $0
    pushl $\vec
    jmp trap_common
    .endm
    STUB2 48
    STUB2 128
    .section .init.rodata.trap_table_fast, "a"
    .balign 4
    .global trap_table_fast
trap_table_fast:
    .long 48, trap_stub_48
    .long 128, trap_stub_128
    .global trap_table_fast_end
trap_table_fast_end:
"#,
    options(att_syntax)
);

extern "C" {
    static trap_table_fast: [u32; 2];
    static trap_table_fast_end: u32;
    static trap_table: [u32; 2];
    static trap_table_end: u32;
    fn trap_return() -> !;
}

#[repr(C, packed)]
struct Pointer {
    limit: u16,
    base: u32,
}

static mut IDT: [u64; 256] = [0; 256];

fn gate(handler: u32, dpl: u8) -> u64 {
    let access = 0x8E | (dpl as u64) << 5; // present, 32-bit interrupt gate
    (handler as u64 & 0xFFFF)
        | (sel::KERNEL_CS as u64) << 16
        | access << 40
        | ((handler as u64 >> 16) & 0xFFFF) << 48
}

/// Vectors user code may raise with `int n`: breakpoint, overflow, the
/// kernel calls and the Linux system call.
fn user_callable(v: u32) -> bool {
    matches!(v, 3 | 4 | 0x30..=0x39 | 0x80)
}

#[link_section = ".init.text"]
pub fn init() {
    // SAFETY: boot, single core, interrupts off. The trap table is emitted
    // by the assembly above as (vector, stub address) pairs between the two
    // symbols; the IDT is written once and loaded.
    unsafe {
        let idt = &mut *core::ptr::addr_of_mut!(IDT);
        let tables = [
            (core::ptr::addr_of!(trap_table) as *const u32, core::ptr::addr_of!(trap_table_end) as *const u32),
            (core::ptr::addr_of!(trap_table_fast) as *const u32, core::ptr::addr_of!(trap_table_fast_end) as *const u32),
        ];
        for (start, end) in tables {
            let n = (end as usize - start as usize) / 8;
            for i in 0..n {
                let v = *start.add(2 * i);
                let h = *start.add(2 * i + 1);
                idt[v as usize] = gate(h, if user_callable(v) { 3 } else { 0 });
            }
        }
        let ptr = Pointer { limit: (256 * 8 - 1) as u16, base: idt.as_ptr() as u32 };
        core::arch::asm!("lidt [{}]", in(reg) &ptr, options(readonly, nostack));
    }
}

/// Leave the kernel into the thread whose frame is `frame`.
pub fn enter_user(frame: *mut UserFrame) -> ! {
    // SAFETY: `frame` is a complete user frame inside a live TCB; trap_return
    // loads it as the stack and irets to user mode.
    unsafe {
        core::arch::asm!("mov eax, {f}", "jmp {r}", f = in(reg) frame, r = sym trap_return, options(noreturn));
    }
}
