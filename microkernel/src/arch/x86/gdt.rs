//! The GDT (flat kernel and user segments, the TSS, three per-thread TLS
//! entries at the Linux indices 6..8) and the TSS with its I/O permission
//! bitmap for ports 0..0x3FF.

use crate::desc;
use core::mem::size_of;
use l4_abi::layout::sel;

/// Ports covered by the TSS I/O bitmap.
pub const IO_PORTS: usize = 1024;

#[repr(C, packed)]
pub(crate) struct Tss {
    link: u32,
    esp0: u32,
    ss0: u32,
    _esp1_to_ldt: [u32; 22],
    _trap: u16,
    pub(crate) iomap_base: u16,
    iomap: [u8; IO_PORTS / 8],
    iomap_end: u8,
}

pub(crate) static mut TSS: Tss = Tss {
    link: 0,
    esp0: 0,
    ss0: sel::KERNEL_DS as u32,
    _esp1_to_ldt: [0; 22],
    _trap: 0,
    iomap_base: NO_IOMAP,
    iomap: [0xFF; IO_PORTS / 8],
    iomap_end: 0xFF,
};

pub(crate) const IOMAP_OFFSET: u16 = 104;
pub(crate) const NO_IOMAP: u16 = 0xFFFF;

pub(crate) static mut GDT: [u64; 9] = [
    0,
    desc::flat(desc::CODE, 0),
    desc::flat(desc::DATA, 0),
    desc::flat(desc::CODE, 3),
    desc::flat(desc::DATA, 3),
    0, // TSS, filled in at init
    0,
    0,
    0,
];

#[repr(C, packed)]
struct Pointer {
    limit: u16,
    base: u32,
}

pub fn init() {
    // SAFETY: boot, single core, interrupts off: GDT and TSS are set up once
    // and the segment registers reloaded with valid selectors.
    unsafe {
        let tss_base = core::ptr::addr_of!(TSS) as u32;
        let tss_limit = size_of::<Tss>() as u32 - 1;
        GDT[5] = desc::tss(tss_base, tss_limit);
        let ptr = Pointer { limit: (size_of::<[u64; 9]>() - 1) as u16, base: core::ptr::addr_of!(GDT) as u32 };
        core::arch::asm!(
            "lgdt ({p})",
            "pushl ${kcs}",
            "pushl $2f",
            "lret",
            "2:",
            "movl {uds:e}, %ds",
            "movl {uds:e}, %es",
            "movl {kds:e}, %ss",
            "xorl {t:e}, {t:e}",
            "movl {t:e}, %fs",
            "movl {t:e}, %gs",
            "ltr {tss:x}",
            p = in(reg) &ptr,
            kcs = const sel::KERNEL_CS as u32,
            uds = in(reg) sel::USER_DS as u32,
            kds = in(reg) sel::KERNEL_DS as u32,
            tss = in(reg) sel::TSS as u32,
            t = out(reg) _,
            options(att_syntax),
        );
    }
}

/// Set the stack the CPU switches to on entry from user mode.
#[inline(always)]
pub fn set_esp0(esp0: u32) {
    // SAFETY: single core, interrupts off in the kernel; the TSS is ours.
    unsafe { core::ptr::addr_of_mut!(TSS.esp0).write_unaligned(esp0) }
}

/// Copy an I/O bitmap (ours: 1 = allowed) into the TSS (1 = denied).
pub fn load_io_bitmap(b: &[u32; IO_PORTS / 32]) {
    // SAFETY: single core, interrupts off in the kernel; the TSS is ours.
    unsafe {
        let dst = core::ptr::addr_of_mut!(TSS.iomap) as *mut u8;
        for (i, w) in b.iter().enumerate() {
            let bytes = (!w).to_le_bytes();
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), dst.add(i * 4), 4);
        }
    }
}

/// Let the CPU consult the TSS's I/O bitmap, or deny all ports.
#[inline]
pub fn enable_io_bitmap(on: bool) {
    let base = if on { IOMAP_OFFSET } else { NO_IOMAP };
    // SAFETY: single core, interrupts off in the kernel; the TSS is ours.
    unsafe { core::ptr::addr_of_mut!(TSS.iomap_base).write_unaligned(base) }
}

/// Write the three TLS descriptors of the thread about to run.
#[inline]
pub fn set_tls(tls: &[u64; 3]) {
    // SAFETY: single core, interrupts off; entries 6..8 are the TLS slots,
    // never the ones the kernel itself runs on.
    unsafe {
        let gdt = core::ptr::addr_of_mut!(GDT) as *mut u64;
        for (i, d) in tls.iter().enumerate() {
            gdt.add(sel::TLS_FIRST_ENTRY as usize + i).write_volatile(*d);
        }
    }
}
