//! The i486 architecture layer: boot, descriptor tables, the trap entry and
//! exit path, context switching (address space, TLS, I/O bitmap, esp0), the
//! hardware `Machine` for the portable core, and fatal-error reporting.

pub mod boot;
pub mod fastpath;
pub mod gdt;
pub mod pic;
pub mod pit;
pub mod serial;
pub mod setup;
pub mod trap;

use crate::kernel::Kernel;
use crate::kprint::Out;
use crate::machine::{Machine, FRAME_WORDS};
use crate::thread::{Idx, UserFrame, NONE};
use core::mem::MaybeUninit;
use l4_abi::layout::{sel, KERNEL_BASE};
use x86::io::outl;

pub use setup::kernel_entry;

/// Exit status (isa-debug-exit value) for a kernel panic or fatal fault.
pub const FATAL_EXIT: u32 = 127;

/// The real machine.
pub struct X86;

/// Kernel virtual address of a physical address.
#[inline(always)]
pub fn phys_to_virt(p: u32) -> usize {
    (p + KERNEL_BASE) as usize
}

impl Machine for X86 {
    #[inline(always)]
    fn frame(&mut self, pfn: u32) -> &mut [u32; FRAME_WORDS] {
        // SAFETY: the portable core only names frames it owns (pool frames,
        // the KIP, the master directory), all inside the direct map.
        unsafe { &mut *(phys_to_virt(pfn << 12) as *mut [u32; FRAME_WORDS]) }
    }
    fn copy_words(&mut self, s: u32, sw: usize, d: u32, dw: usize, n: usize) {
        assert!(sw + n <= FRAME_WORDS && dw + n <= FRAME_WORDS);
        let src = phys_to_virt(s << 12) + sw * 4;
        let dst = phys_to_virt(d << 12) + dw * 4;
        // SAFETY: two distinct owned frames in the direct map, the ranges
        // inside them (checked above); the direction flag is clear in the
        // kernel (the entry path does `cld`).
        unsafe {
            // (esi is LLVM's, so it is swapped in and restored by hand)
            core::arch::asm!(
                "xchg {s}, esi",
                "rep movsd",
                "mov esi, {s}",
                s = inout(reg) src => _,
                inout("edi") dst => _,
                inout("ecx") n => _,
                options(nostack, preserves_flags)
            );
        }
    }
    fn find_nonzero(&mut self, pfn: u32, start: usize, end: usize) -> Option<usize> {
        assert!(start <= end && end <= FRAME_WORDS);
        if start == end {
            return None;
        }
        let base = phys_to_virt(pfn << 12);
        let (left, last): (usize, u32);
        // SAFETY: reads inside an owned frame in the direct map (checked
        // above); the direction flag is clear in the kernel.
        unsafe {
            core::arch::asm!(
                "repe scasd",
                "mov {last}, [edi - 4]",
                last = out(reg) last,
                inout("edi") base + start * 4 => _,
                inout("ecx") end - start => left,
                in("eax") 0,
                options(nostack, readonly)
            );
        }
        // the scan stops after the first non-zero word or at the end
        if last == 0 {
            None
        } else {
            Some(end - left - 1)
        }
    }
    fn zero_words(&mut self, pfn: u32, start: usize, n: usize) {
        assert!(start + n <= FRAME_WORDS);
        let dst = phys_to_virt(pfn << 12) + start * 4;
        // SAFETY: an owned frame in the direct map, the range inside it
        // (checked above); the direction flag is clear in the kernel.
        unsafe {
            core::arch::asm!("rep stosd", inout("edi") dst => _, inout("ecx") n => _, in("eax") 0, options(nostack, preserves_flags));
        }
    }
    #[inline]
    fn invalidate(&mut self, pd: u32, va: u32) {
        // SAFETY: single core, interrupts off.
        if pd == unsafe { (*core::ptr::addr_of!(LAST)).loaded_pd } {
            // SAFETY: invlpg has no effect besides dropping a TLB entry.
            unsafe { x86::tlb::flush(va as usize) }
        }
    }
    fn mask_irq(&mut self, irq: u32) {
        pic::mask_irq(irq);
    }
    fn unmask_irq(&mut self, irq: u32) {
        pic::unmask_irq(irq);
    }
    fn console(&mut self, bytes: &[u8]) {
        serial::write(bytes);
    }
    fn exit(&mut self, status: u32) {
        exit_qemu(status)
    }
}

/// Leave QEMU through the isa-debug-exit device (QEMU exits with
/// `status << 1 | 1`); halts forever if the device is absent.
pub fn exit_qemu(status: u32) -> ! {
    // SAFETY: port 0xf4 is the isa-debug-exit device or nothing at all.
    unsafe { outl(0xF4, status) };
    loop {
        // SAFETY: halting with interrupts off stops the CPU for good.
        unsafe { core::arch::asm!("cli; hlt") };
    }
}

pub(crate) static mut KERNEL: MaybeUninit<Kernel<'static, X86>> = MaybeUninit::uninit();

/// The kernel state.
#[inline(always)]
fn kernel() -> &'static mut Kernel<'static, X86> {
    // SAFETY: initialised by `setup` before the first trap can happen; the
    // kernel is single-core and runs with interrupts off except in `idle`,
    // where no reference obtained here is held across the interrupt.
    unsafe { (*core::ptr::addr_of_mut!(KERNEL)).assume_init_mut() }
}

/// State of the last context switch (the assembly fast path reads and
/// updates it too, hence `repr(C)`).
#[repr(C)]
pub(crate) struct SwitchState {
    pub thread: Idx,
    pub space: u16,
    pub id: u32,
    /// `Kernel::switch_gen` when the TSS's bitmap and the GDT's TLS
    /// entries were last checked.
    pub switch_gen: u32,
    /// The thread whose x87 state is in the FPU (and its id).
    pub fpu_owner: Idx,
    /// CR0.TS is set: the next FPU instruction traps (#NM).
    pub ts: bool,
    pub _pad: u8,
    pub fpu_owner_id: u32,
    /// The interned id of the TLS descriptors in the GDT now.
    pub tls_id: u16,
    /// The space whose I/O bitmap the TSS holds (it is enabled only while
    /// that space runs).
    pub io_space: u16,
    /// The page directory in CR3.
    pub loaded_pd: u32,
}

pub(crate) static mut LAST: SwitchState = SwitchState {
    thread: NONE,
    space: u16::MAX,
    id: 0,
    switch_gen: 0,
    fpu_owner: NONE,
    ts: false,
    _pad: 0,
    fpu_owner_id: 0,
    tls_id: 0,
    io_space: u16::MAX,
    loaded_pd: 0,
};

const CR0_TS: u32 = 1 << 3;

fn set_ts(on: bool) {
    // SAFETY: toggling CR0.TS only changes when FPU instructions trap.
    unsafe {
        if on {
            core::arch::asm!("mov {t}, cr0", "or {t}, {ts}", "mov cr0, {t}", t = out(reg) _, ts = const CR0_TS, options(nostack));
        } else {
            core::arch::asm!("clts", options(nostack));
        }
    }
}

/// Lazy FPU switching: the first FPU instruction of a thread that does not
/// own the FPU traps here; the owner's state is saved into its TCB and the
/// thread's own state loaded (or a fresh one for its first use).
fn fpu_switch() {
    let k = kernel();
    // SAFETY: single core, interrupts off.
    let last = unsafe { &mut *core::ptr::addr_of_mut!(LAST) };
    let cur = k.current;
    set_ts(false);
    last.ts = false;
    if last.fpu_owner == cur {
        return;
    }
    if last.fpu_owner != NONE && k.lookup(l4_abi::ThreadId(last.fpu_owner_id)) == Some(last.fpu_owner) {
        let o = k.tcb_mut(last.fpu_owner);
        // SAFETY: fnsave writes 108 bytes into the owner's save area.
        unsafe { core::arch::asm!("fnsave [{}]", in(reg) o.fpu.as_mut_ptr(), options(nostack)) };
        o.fpu_saved = true;
    }
    let t = k.tcb_mut(cur);
    if t.fpu_saved {
        // SAFETY: the area holds a state fnsave wrote for this thread.
        unsafe { core::arch::asm!("frstor [{}]", in(reg) t.fpu.as_ptr(), options(nostack)) };
    } else {
        // SAFETY: a fresh FPU state for the thread's first use.
        unsafe { core::arch::asm!("fninit", options(nostack)) };
    }
    last.fpu_owner = cur;
    last.fpu_owner_id = t.id.0;
}

fn read_cr2() -> u32 {
    // SAFETY: reading CR2 has no side effects.
    unsafe { x86::controlregs::cr2() as u32 }
}

/// Entry from every interrupt stub.
#[no_mangle]
extern "C" fn trap_entry(frame: *mut UserFrame) -> *mut UserFrame {
    // SAFETY: `frame` is the frame the entry stub just pushed.
    let f = unsafe { &mut *frame };
    let vector = f.vector;
    if f.cs & 3 == 0 {
        if (0x20..0x30).contains(&vector) {
            irq(vector - 0x20);
            return frame;
        }
        kernel_fault(f);
    }
    match vector {
        0x20..=0x2F => irq(vector - 0x20),
        7 => fpu_switch(),
        14 => kernel().page_fault(read_cr2(), f.error & 2 != 0),
        0x30..=0x39 => kernel().syscall(vector as u8),
        _ => kernel().exception(),
    }
    next_frame()
}

/// Entry of the IPC system call.
#[no_mangle]
/// Returns the frame to resume, or null when a fast path made the partner
/// current: the assembly then switches to it (`fastpath.rs`).
extern "C" fn ipc_entry(_frame: *mut UserFrame) -> *mut UserFrame {
    let k = kernel();
    let c = k.current;
    match k.ipc_fastpath(c) {
        crate::ipc::Fast::Switch => return core::ptr::null_mut(),
        crate::ipc::Fast::Dispatch => {}
        crate::ipc::Fast::No => k.syscall(l4_abi::syscall::IPC),
    }
    next_frame()
}

fn irq(irq: u32) {
    if pic::spurious(irq) {
        return;
    }
    if irq == 0 {
        pic::eoi(0);
        kernel().tick();
    } else {
        pic::mask_irq(irq);
        pic::eoi(irq);
        kernel().irq(irq);
    }
}

/// Wait for an interrupt with nothing to run.
fn idle() {
    // SAFETY: enable interrupts just for the halt; the interrupt handler
    // runs on the current kernel stack and returns here.
    unsafe { core::arch::asm!("sti", "hlt", "cli", options(nomem, nostack)) };
}

/// Pick the next thread, switch to it and return its frame.
pub fn next_frame() -> *mut UserFrame {
    let i = loop {
        if let Some(i) = kernel().dispatch() {
            break i;
        }
        idle();
    };
    switch_to(i)
}

fn valid_user_selector(s: u16, tls: &[u64; 3]) -> bool {
    if s == 0 || s == sel::USER_DS || s == sel::USER_CS {
        return true;
    }
    let index = (s >> 3) as u32;
    s & 7 == 3
        && (sel::TLS_FIRST_ENTRY..sel::TLS_FIRST_ENTRY + sel::TLS_ENTRIES).contains(&index)
        && crate::desc::is_user_present(tls[(index - sel::TLS_FIRST_ENTRY) as usize])
}

/// The assembly fast path committed an IPC but the switch needs more than
/// it does (TLS, FPU, I/O bitmap): the general switch to thread `i`.
#[no_mangle]
extern "C" fn fast_switch_slow(i: u32) -> *mut UserFrame {
    switch_to(i as Idx)
}

fn switch_to(i: Idx) -> *mut UserFrame {
    let k = kernel();
    // SAFETY: single core, interrupts off.
    let last = unsafe { &mut *core::ptr::addr_of_mut!(LAST) };
    let stale = k.switch_gen != last.switch_gen;
    if stale {
        // an I/O bitmap or a TLS set changed: the TSS's bitmap and the
        // GDT's TLS entries may be stale
        last.switch_gen = k.switch_gen;
        last.io_space = u16::MAX;
        last.tls_id = crate::kernel::TLS_UNIQUE;
    }
    if last.thread != i || stale || k.tcb(i).tls_dirty {
        let (fs, gs): (u16, u16);
        // SAFETY: reading segment registers has no side effects.
        unsafe { core::arch::asm!("mov {0:x}, fs", "mov {1:x}, gs", out(reg) fs, out(reg) gs, options(nomem, nostack)) };
        if last.thread != i && last.thread != NONE && k.lookup(l4_abi::ThreadId(last.id)) == Some(last.thread) {
            let lt = k.tcb_mut(last.thread);
            lt.fs = fs;
            lt.gs = gs;
        }
        let t = k.tcb_mut(i);
        // the GDT's TLS entries and fs/gs only change when they differ
        let same_tls = t.tls_id == last.tls_id && t.tls_id != crate::kernel::TLS_UNIQUE;
        if t.tls_dirty || !same_tls || t.fs != fs || t.gs != gs {
            t.tls_dirty = false;
            if !same_tls {
                gdt::set_tls(&t.tls);
                last.tls_id = t.tls_id;
            }
            let nfs = if valid_user_selector(t.fs, &t.tls) { t.fs } else { 0 };
            let ngs = if valid_user_selector(t.gs, &t.tls) { t.gs } else { 0 };
            // what is loaded is what the fast path may load again
            (t.fs, t.gs) = (nfs, ngs);
            // SAFETY: both selectors were checked to be loadable.
            unsafe { core::arch::asm!("mov fs, {0:e}", "mov gs, {1:e}", in(reg) nfs as u32, in(reg) ngs as u32, options(nomem, nostack)) };
        }
        last.thread = i;
        last.id = t.id.0;
        // the FPU holds someone else's state: trap on first use
        let owner = last.fpu_owner == i && last.fpu_owner_id == t.id.0;
        if owner == last.ts {
            set_ts(!owner);
            last.ts = !owner;
        }
    }
    let s = k.tcb(i).space;
    let pd = k.space(s).pd;
    if pd != last.loaded_pd {
        last.loaded_pd = pd;
        // SAFETY: `pd` is a live page directory with the kernel half copied.
        unsafe { x86::controlregs::cr3_write((pd << 12) as u64) };
    }
    if s != last.space || stale {
        last.space = s;
        let io = k.space(s).io_pfn;
        if io == 0 {
            gdt::enable_io_bitmap(false);
        } else {
            if last.io_space != s {
                let words = k.m.frame(io);
                // SAFETY: the first 32 words of the frame are the bitmap.
                let bm = unsafe { &*(words.as_ptr() as *const [u32; gdt::IO_PORTS / 32]) };
                gdt::load_io_bitmap(bm);
                last.io_space = s;
            }
            gdt::enable_io_bitmap(true);
        }
    }
    let t = k.tcb_mut(i);
    let frame = &mut t.frame as *mut UserFrame;
    gdt::set_esp0(frame as u32 + core::mem::size_of::<UserFrame>() as u32);
    frame
}

const EXCEPTIONS: [&str; 20] = [
    "divide error",
    "debug",
    "NMI",
    "breakpoint",
    "overflow",
    "bound range",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor overrun",
    "invalid TSS",
    "segment not present",
    "stack fault",
    "general protection",
    "page fault",
    "reserved",
    "x87 FPU error",
    "alignment check",
    "machine check",
    "SIMD",
];

/// A fault in kernel mode: report everything and stop with a failure.
fn kernel_fault(f: &UserFrame) -> ! {
    let name = EXCEPTIONS.get(f.vector as usize).copied().unwrap_or("?");
    let o = &mut serial::Serial;
    o.s("\nKERNEL FAULT: exception ").dec(f.vector).s(" (").s(name).s(") error code ").hex(f.error).s(" cr2 ").hex8(read_cr2());
    o.s("\neip ").hex8(f.eip).s(" cs ").hex4(f.cs).s(" eflags ").hex8(f.eflags);
    o.s("\neax ").hex8(f.eax).s(" ebx ").hex8(f.ebx).s(" ecx ").hex8(f.ecx).s(" edx ").hex8(f.edx);
    o.s("\nesi ").hex8(f.esi).s(" edi ").hex8(f.edi).s(" ebp ").hex8(f.ebp).s(" esp ").hex8(f.esp_k + 20).s("\n");
    exit_qemu(FATAL_EXIT)
}

/// A panic: where it happened and the message if it is a plain string.
/// Messages with arguments are not formatted: that would take `core::fmt`
/// into the kernel (see `kprint`).
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let o = &mut serial::Serial;
    o.s("\nKERNEL PANIC: panicked");
    if let Some(l) = info.location() {
        o.s(" at ").s(l.file()).s(":").dec(l.line()).s(":").dec(l.column());
    }
    o.s(":\n").s(info.message().as_str().unwrap_or("(a message with arguments, not shown)")).s("\n");
    exit_qemu(FATAL_EXIT)
}
