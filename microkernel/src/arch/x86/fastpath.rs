//! The IPC fast paths in assembly, the way L4 kernels have them:
//!
//! - `trap_ipc` (`int 0x30`): a call or reply-and-wait with a short untyped
//!   message (MR0..MR3, registers only) to a thread that already waits for
//!   it, either an ordinary receive or a thread waiting for the reply to its
//!   exception (then the one-word reply sets its eax: the system-call
//!   return of a Linux process);
//! - `trap_linux` (`int 0x80`): the exception IPC of a Linux system call to
//!   the thread's exception handler, which already waits for it;
//! - `trap_pf` (#PF from user mode): the page-fault IPC to the thread's
//!   pager, which already waits for it (the pager's reply, with its map
//!   item, takes the general path).
//!
//! Each checks every condition under which the result could differ from the
//! general path and otherwise falls back to it (the Rust `ipc_entry`, which
//! has a fast path of its own, or `trap_entry`). When it can, it also does
//! the context switch itself (TLS set and selectors, address space, the
//! I/O bitmap already in the TSS, FPU trap flag already set); otherwise it
//! commits the IPC and lets the Rust switch finish. Only `ss` is trusted:
//! the user's ds/es stay loaded, so every memory operand not based on esp
//! carries an `ss:` prefix.
//!
//! The executable specification checks that both paths agree (its QEMU
//! replay goes through these entry points).
// the Mach-style build has no fast path: only `init` remains
#![cfg_attr(feature = "mach", allow(unused_imports, dead_code))]

use super::gdt::{GDT, TSS};
use super::{KERNEL, LAST, X86};
use crate::kernel::Kernel;
use crate::space::Space;
use crate::thread::{Tcb, UserFrame};
use core::mem::{offset_of, size_of};
use l4_abi::layout::KERNEL_BASE;
use l4_abi::msg::{label, MsgTag};
use l4_abi::utcb;

/// The thread table and the space table (set at boot).
#[no_mangle]
pub(crate) static mut TCB_BASE: u32 = 0;
#[no_mangle]
pub(crate) static mut TCB_COUNT: u32 = 0;
#[no_mangle]
pub(crate) static mut SPACE_BASE: u32 = 0;

type K = Kernel<'static, X86>;

/// Tag of an exception message.
const EXC_TAG: u32 = MsgTag::new(label::EXCEPTION, l4_abi::msg::exc::WORDS, 0).0;

#[cfg(not(feature = "mach"))]
core::arch::global_asm!(
    r#"
    .section .text.fastpath, "ax"
    /* fall to `fail` if a ready thread has a higher priority than the
       partner (TCB at ebx), which the general dispatch would run instead;
       clobbers esi and edi */
    .macro NOT_OUTRANKED fail
    movl %ss:{kernel}+{k_summary}, %esi
    testl %esi, %esi
    jz 49f
    bsrl %esi, %esi
    movl %ss:{kernel}+{k_bitmap}(,%esi,4), %edi
    bsrl %edi, %edi
    shll $5, %esi
    addl %edi, %esi
    movzbl %ss:{t_prio}(%ebx), %edi
    cmpl %edi, %esi
    ja \fail
49:
    .endm

    .balign 16
    .global trap_ipc
trap_ipc:
    pushl $0
    pushl $0x30
    pushal
    /* esp: the caller's TCB (its frame is the first field) */
    testl $0xFFFC, {f_esi}(%esp)           /* u < 4, no typed words, no flags */
    jnz 90f
    movl {f_ecx}(%esp), %ecx               /* from */
    testl %ecx, %ecx
    jz 90f
    testw $0xFFFF, {f_edx}(%esp)           /* receive timeout: never */
    jnz 90f
    cmpw $0xFFFF, {t_slot}(%esp)           /* the caller has a UTCB */
    je 90f
    cmpl $0, %ss:{kernel}+{k_irq}          /* no interrupt pending or unacknowledged */
    jne 90f
    cmpw $0xFFFF, %ss:{kernel}+{k_donee}   /* no donation running */
    jne 90f
    movl {f_eax}(%esp), %eax               /* to */
    movl %eax, %edx
    shrl $14, %edx
    subl $32, %edx
    cmpl %ss:TCB_COUNT, %edx
    jae 90f
    imull ${tcb_size}, %edx, %ebx
    addl %ss:TCB_BASE, %ebx
    cmpl %eax, %ss:{t_id}(%ebx)
    jne 90f
    NOT_OUTRANKED 90f
    movl %ss:{t_partner}(%ebx), %esi       /* it waits for us or anyone */
    cmpl $-1, %esi
    je 1f
    cmpl {t_id}(%esp), %esi
    jne 90f
1:  cmpl %eax, %ecx                        /* we receive from it or anyone */
    je 2f
    cmpl $-1, %ecx
    jne 90f
2:  cmpw $0xFFFF, {t_sqhead}(%esp)         /* nobody waits to send to us */
    jne 90f
    movl %ss:{t_deadline}(%ebx), %esi      /* it waits without a timeout */
    orl %ss:{t_deadline}+4(%ebx), %esi
    jnz 90f
    /* state, kind, halted, raise as one word */
    movl %ss:{t_state}(%ebx), %esi
    cmpl $0x0204, %esi                     /* waits for an exception reply */
    je 20f
    cmpl $0x0004, %esi                     /* an ordinary receive */
    jne 90f

    /* the message: MR0 and the words it has */
    movl {f_esi}(%esp), %esi
    movl %esi, %ss:{f_esi}(%ebx)
    andl $3, %esi
    jz 3f
    movl {f_ebx}(%esp), %edi
    movl %edi, %ss:{f_ebx}(%ebx)
    cmpl $2, %esi
    jb 3f
    movl {f_ebp}(%esp), %edi
    movl %edi, %ss:{f_ebp}(%ebx)
    cmpl $3, %esi
    jb 3f
    movl {f_edi}(%esp), %edi
    movl %edi, %ss:{f_edi}(%ebx)
3:  movl {t_id}(%esp), %esi
    movl %esi, %ss:{f_eax}(%ebx)
    movl $0, %ss:{f_ecx}(%ebx)
    movb $2, %ss:{t_state}(%ebx)           /* Ready */
    jmp 30f

20: /* a one-word reply to an exception: it sets eax and resumes the thread */
    cmpw $1, {f_esi}(%esp)
    jne 90f
    movl {f_ebx}(%esp), %esi
    movl %esi, %ss:{f_eax}(%ebx)
    movw $2, %ss:{t_state}(%ebx)           /* Ready, kind Normal */

30: /* the caller waits */
    movl %ecx, {t_partner}(%esp)
    movl %ecx, {t_recv_from}(%esp)
    movw $0, {t_recv_to}(%esp)
    movw $4, {t_state}(%esp)               /* RecvBlocked, kind Normal */
    movw %dx, %ss:{kernel}+{k_current}
    jmp 80f

90: /* anything else: the general path */
    movl ${uds}, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %esp, %eax
    movl $boot_stack_top, %esp
    pushl %eax
    cld
    call ipc_entry
    testl %eax, %eax
    jz 95f
    movl %eax, %esp
    popal
    addl $8, %esp
    iretl
95: /* the Rust fast path made the partner current: switch here */
    popl %esp                              /* the caller's TCB */
    movzwl %ss:{kernel}+{k_current}, %edx
    imull ${tcb_size}, %edx, %ebx
    addl %ss:TCB_BASE, %ebx
    jmp 80f

    .balign 16
    .global trap_linux
trap_linux:
    pushl $0
    pushl $0x80
    pushal
    cmpl $0, %ss:{kernel}+{k_irq}
    jne 91f
    cmpw $0xFFFF, %ss:{kernel}+{k_donee}
    jne 91f
    movl {t_exc}(%esp), %eax               /* the exception handler */
    movl %eax, %edx
    shrl $14, %edx
    subl $32, %edx
    cmpl %ss:TCB_COUNT, %edx
    jae 91f
    imull ${tcb_size}, %edx, %ebx
    addl %ss:TCB_BASE, %ebx
    cmpl %eax, %ss:{t_id}(%ebx)
    jne 91f
    NOT_OUTRANKED 91f
    cmpl $0x0004, %ss:{t_state}(%ebx)      /* waits in an ordinary receive */
    jne 91f
    movl %ss:{t_partner}(%ebx), %esi
    cmpl $-1, %esi
    je 1f
    cmpl {t_id}(%esp), %esi
    jne 91f
1:  movl %ss:{t_deadline}(%ebx), %esi
    orl %ss:{t_deadline}+4(%ebx), %esi
    jnz 91f
    cmpw $0xFFFF, %ss:{t_slot}(%ebx)       /* words 4..12 go to its UTCB */
    je 91f
    /* the exception message: MR0..MR3 in registers ... */
    movl ${exc_tag}, %ss:{f_esi}(%ebx)
    movl {f_eax}(%esp), %esi
    movl %esi, %ss:{f_ebx}(%ebx)
    movl {f_ebx}(%esp), %esi
    movl %esi, %ss:{f_ebp}(%ebx)
    movl {f_ecx}(%esp), %esi
    movl %esi, %ss:{f_edi}(%ebx)
    /* ... MR4..MR12 in the UTCB: edx esi edi ebp eip esp eflags vector error */
    movl %ss:{t_utcb}(%ebx), %edi
    shll $12, %edi
    addl ${mr4}, %edi
    movl {f_edx}(%esp), %esi
    movl %esi, %ss:0(%edi)
    movl {f_esi}(%esp), %esi
    movl %esi, %ss:4(%edi)
    movl {f_edi}(%esp), %esi
    movl %esi, %ss:8(%edi)
    movl {f_ebp}(%esp), %esi
    movl %esi, %ss:12(%edi)
    movl {f_eip}(%esp), %esi
    movl %esi, %ss:16(%edi)
    movl {f_uesp}(%esp), %esi
    movl %esi, %ss:20(%edi)
    movl {f_eflags}(%esp), %esi
    movl %esi, %ss:24(%edi)
    movl $0x80, %ss:28(%edi)
    movl $0, %ss:32(%edi)
    movl {t_id}(%esp), %esi
    movl %esi, %ss:{f_eax}(%ebx)
    movl $0, %ss:{f_ecx}(%ebx)
    movb $2, %ss:{t_state}(%ebx)           /* Ready */
    /* the caller waits for the handler's reply */
    movl %eax, {t_partner}(%esp)
    movl %eax, {t_recv_from}(%esp)
    movw $0, {t_recv_to}(%esp)
    movw $0x0204, {t_state}(%esp)          /* RecvBlocked, kind Exception */
    movw %dx, %ss:{kernel}+{k_current}

80: /* switch to ebx (index edx); the caller's TCB is at esp */
    movw %fs, {t_fs}(%esp)
    movw %gs, {t_gs}(%esp)
    /* first everything that needs the general switch, before anything
       changes (it saves fs and gs from the registers as the caller's) */
    cmpb $0, %ss:{t_tlsdirty}(%ebx)        /* descriptors changed since it ran */
    jne 85f
    movw %ss:{t_tlsid}(%ebx), %ax
    cmpw $0xFFFF, %ax
    je 85f
    movl %ss:{kernel}+{k_gen}, %ecx        /* no I/O bitmap or TLS set changed */
    cmpl %ecx, %ss:{last}+{l_gen}
    jne 85f
    /* FPU: the trap flag is set and the thread does not own the FPU */
    cmpb $1, %ss:{last}+{l_ts}
    jne 85f
    cmpw %dx, %ss:{last}+{l_fpu}
    je 85f
    /* another address space: its I/O bitmap, if any, is the TSS's */
    movzwl %ss:{t_space}(%ebx), %ecx
    cmpw %cx, %ss:{last}+{l_space}
    je 4f
    imull ${space_size}, %ecx, %edi
    addl %ss:SPACE_BASE, %edi
    cmpl $0, %ss:{s_io}(%edi)
    je 4f
    cmpw %cx, %ss:{last}+{l_iospace}
    jne 85f
4:  /* TLS: ax holds the target's set id */
    cmpw %ss:{last}+{l_tlsid}, %ax
    je 5f
    /* another TLS set: into the GDT (entries 6..8) */
    movw %ax, %ss:{last}+{l_tlsid}
    movl %ss:{t_tls}(%ebx), %eax
    movl %eax, %ss:{gdt}+48
    movl %ss:{t_tls}+4(%ebx), %eax
    movl %eax, %ss:{gdt}+52
    movl %ss:{t_tls}+8(%ebx), %eax
    movl %eax, %ss:{gdt}+56
    movl %ss:{t_tls}+12(%ebx), %eax
    movl %eax, %ss:{gdt}+60
    movl %ss:{t_tls}+16(%ebx), %eax
    movl %eax, %ss:{gdt}+64
    movl %ss:{t_tls}+20(%ebx), %eax
    movl %eax, %ss:{gdt}+68
    jmp 7f
5:  movl %ss:{t_fs}(%ebx), %eax            /* same set: reload only if fs or gs differ */
    cmpl {t_fs}(%esp), %eax
    je 8f
    /* the thread's selectors were loadable when it last ran, and its
       descriptors have not changed since (else tls_dirty), nor has the
       set its id names (else switch_gen): load them */
7:  movw %ss:{t_fs}(%ebx), %ax
    movw %ax, %fs
    movw %ss:{t_gs}(%ebx), %ax
    movw %ax, %gs
8:  /* address space (ecx its index, edi its entry when it differs) */
    cmpw %cx, %ss:{last}+{l_space}
    je 6f
    movw ${no_iomap}, %ax
    cmpl $0, %ss:{s_io}(%edi)
    je 9f
    movw ${iomap}, %ax
9:  movw %ax, %ss:{tss}+{tss_iomap}
    movw %cx, %ss:{last}+{l_space}
    movl %ss:{s_pd}(%edi), %edi
    cmpl %edi, %ss:{last}+{l_pd}
    je 6f
    movl %edi, %ss:{last}+{l_pd}
    shll $12, %edi
    movl %edi, %cr3
6:  movw %dx, %ss:{last}+{l_thread}
    movl %ss:{t_id}(%ebx), %eax
    movl %eax, %ss:{last}+{l_id}
    leal {frame_size}(%ebx), %eax
    movl %eax, %ss:{tss}+4                 /* esp0 */
    movl %ebx, %esp
    popal
    addl $8, %esp
    iretl

85: /* the general switch */
    movl ${uds}, %eax
    movl %eax, %ds
    movl %eax, %es
    movl $boot_stack_top, %esp
    pushl %edx
    cld
    call fast_switch_slow
    movl %eax, %esp
    popal
    addl $8, %esp
    iretl

91: /* a Linux system call the general path handles */
    jmp trap_saved

    .balign 16
    .global trap_pf
trap_pf:
    /* the CPU pushed the error code */
    pushl $14
    pushal
    testb $3, {f_cs}(%esp)                 /* from user mode (else esp is not a TCB) */
    jz 92f
    cmpl $0, %ss:{kernel}+{k_irq}
    jne 92f
    cmpw $0xFFFF, %ss:{kernel}+{k_donee}
    jne 92f
    movl {t_pager}(%esp), %eax             /* the pager */
    movl %eax, %edx
    shrl $14, %edx
    subl $32, %edx
    cmpl %ss:TCB_COUNT, %edx
    jae 92f
    imull ${tcb_size}, %edx, %ebx
    addl %ss:TCB_BASE, %ebx
    cmpl %eax, %ss:{t_id}(%ebx)
    jne 92f
    NOT_OUTRANKED 92f
    cmpl $0x0004, %ss:{t_state}(%ebx)      /* waits in an ordinary receive */
    jne 92f
    movl %ss:{t_partner}(%ebx), %esi
    cmpl $-1, %esi
    je 1f
    cmpl {t_id}(%esp), %esi
    jne 92f
1:  movl %ss:{t_deadline}(%ebx), %esi
    orl %ss:{t_deadline}+4(%ebx), %esi
    jnz 92f
    /* the fault, as the general path records it */
    movl %cr2, %ecx
    movl %ecx, {t_faddr}(%esp)
    movl ${acc_r}, %edi
    testb $2, {f_error}(%esp)
    jz 2f
    movl ${acc_w}, %edi
2:  movl %edi, {t_facc}(%esp)
    /* the message: tag, fault address, eip */
    orl ${pf_label}, %edi
    shll $16, %edi
    orl ${pf_words}, %edi
    movl %edi, %ss:{f_esi}(%ebx)
    movl %ecx, %ss:{f_ebx}(%ebx)
    movl {f_eip}(%esp), %esi
    movl %esi, %ss:{f_ebp}(%ebx)
    movl {t_id}(%esp), %esi
    movl %esi, %ss:{f_eax}(%ebx)
    movl $0, %ss:{f_ecx}(%ebx)
    movb $2, %ss:{t_state}(%ebx)           /* Ready */
    /* the faulting thread waits for the pager's reply */
    movl %eax, {t_partner}(%esp)
    movl %eax, {t_recv_from}(%esp)
    movw $0, {t_recv_to}(%esp)
    movw $0x0104, {t_state}(%esp)          /* RecvBlocked, kind PageFault */
    movw %dx, %ss:{kernel}+{k_current}
    jmp 80b

92: /* kernel mode, or a fault the general path handles */
    jmp trap_saved
"#,
    f_eax = const offset_of!(UserFrame, eax),
    f_ebx = const offset_of!(UserFrame, ebx),
    f_ecx = const offset_of!(UserFrame, ecx),
    f_edx = const offset_of!(UserFrame, edx),
    f_esi = const offset_of!(UserFrame, esi),
    f_edi = const offset_of!(UserFrame, edi),
    f_ebp = const offset_of!(UserFrame, ebp),
    f_eip = const offset_of!(UserFrame, eip),
    f_uesp = const offset_of!(UserFrame, esp),
    f_eflags = const offset_of!(UserFrame, eflags),
    f_cs = const offset_of!(UserFrame, cs),
    f_error = const offset_of!(UserFrame, error),
    frame_size = const size_of::<UserFrame>(),
    tcb_size = const size_of::<Tcb>(),
    t_id = const offset_of!(Tcb, id),
    t_state = const offset_of!(Tcb, state),
    t_slot = const offset_of!(Tcb, utcb_slot),
    t_utcb = const offset_of!(Tcb, utcb_pfn),
    t_exc = const offset_of!(Tcb, exc_handler),
    t_pager = const offset_of!(Tcb, pager),
    t_faddr = const offset_of!(Tcb, fault_addr),
    t_facc = const offset_of!(Tcb, fault_access),
    t_partner = const offset_of!(Tcb, partner),
    t_recv_from = const offset_of!(Tcb, recv_from),
    t_recv_to = const offset_of!(Tcb, recv_timeout),
    t_deadline = const offset_of!(Tcb, deadline),
    t_sqhead = const offset_of!(Tcb, sq_head),
    t_space = const offset_of!(Tcb, space),
    t_tlsid = const offset_of!(Tcb, tls_id),
    t_tlsdirty = const offset_of!(Tcb, tls_dirty),
    t_fs = const offset_of!(Tcb, fs),
    t_tls = const offset_of!(Tcb, tls),
    t_gs = const offset_of!(Tcb, gs),
    space_size = const size_of::<Space>(),
    s_pd = const offset_of!(Space, pd),
    s_io = const offset_of!(Space, io_pfn),
    kernel = sym KERNEL,
    k_current = const offset_of!(K, current),
    k_summary = const offset_of!(K, rq.summary),
    k_bitmap = const offset_of!(K, rq.bitmap),
    t_prio = const offset_of!(Tcb, prio),
    k_irq = const offset_of!(K, irq),
    k_donee = const offset_of!(K, donee),
    k_gen = const offset_of!(K, switch_gen),
    last = sym LAST,
    l_thread = const offset_of!(super::SwitchState, thread),
    l_space = const offset_of!(super::SwitchState, space),
    l_id = const offset_of!(super::SwitchState, id),
    l_gen = const offset_of!(super::SwitchState, switch_gen),
    l_fpu = const offset_of!(super::SwitchState, fpu_owner),
    l_ts = const offset_of!(super::SwitchState, ts),
    l_iospace = const offset_of!(super::SwitchState, io_space),
    l_tlsid = const offset_of!(super::SwitchState, tls_id),
    l_pd = const offset_of!(super::SwitchState, loaded_pd),
    tss = sym TSS,
    tss_iomap = const offset_of!(super::gdt::Tss, iomap_base),
    iomap = const super::gdt::IOMAP_OFFSET,
    no_iomap = const super::gdt::NO_IOMAP,
    gdt = sym GDT,
    exc_tag = const EXC_TAG,
    acc_r = const l4_abi::msg::rights::R,
    acc_w = const l4_abi::msg::rights::W,
    pf_label = const label::PAGE_FAULT,
    pf_words = const l4_abi::msg::pf::WORDS,
    mr4 = const KERNEL_BASE as usize + (utcb::MR + l4_abi::msg::REG_MRS) * 4,
    uds = const l4_abi::layout::sel::USER_DS,
    options(att_syntax)
);

const _: () = assert!(offset_of!(Tcb, gs) == offset_of!(Tcb, fs) + 2 && offset_of!(Tcb, fs) % 4 == 0);

/// Remember where the tables are, for the assembly.
pub fn init(k: &mut Kernel<'static, X86>) {
    // SAFETY: boot, single core; written once before the first trap.
    unsafe {
        TCB_BASE = k.t.as_mut_ptr() as u32;
        TCB_COUNT = k.t.len() as u32;
        SPACE_BASE = k.spaces.as_mut_ptr() as u32;
    }
}
