//! Address-space layout and segment selectors every space shares.
//!
//! User space is 0x0000_0000..0xC000_0000 (the Linux i386 3G/1G split); the
//! kernel lives above. The top MiB of user space is reserved in every space:
//! the UTCB area and, in its last page, the kernel info page (KIP).

/// First kernel virtual address; all physical RAM is mapped from here.
pub const KERNEL_BASE: u32 = 0xC000_0000;
/// End (exclusive) of the part of user space a space may map into.
pub const USER_MAP_END: u32 = RESERVED_BASE;
/// Start of the reserved area (UTCBs, KIP) at the top of user space.
pub const RESERVED_BASE: u32 = 0xBFF0_0000;
/// Base of the UTCB area: thread slot `n` has its UTCB at `UTCB_BASE + n * PAGE_SIZE`.
pub const UTCB_BASE: u32 = RESERVED_BASE;
/// Number of UTCB slots per address space.
pub const UTCB_SLOTS: u32 = 255;
/// The kernel info page, mapped read-only in every space.
pub const KIP_ADDR: u32 = 0xBFFF_F000;
/// Page size and shift.
pub const PAGE_SIZE: u32 = 4096;
pub const PAGE_SHIFT: u32 = 12;

/// Address of the UTCB of slot `slot`.
pub const fn utcb_addr(slot: u32) -> u32 {
    UTCB_BASE + slot * PAGE_SIZE
}

/// GDT selectors. TLS entries sit at GDT indices 6..=8, as on Linux i386, so
/// `set_thread_area` entry numbers mean the same thing.
pub mod sel {
    pub const KERNEL_CS: u16 = 0x08;
    pub const KERNEL_DS: u16 = 0x10;
    pub const USER_CS: u16 = 0x1B;
    pub const USER_DS: u16 = 0x23;
    pub const TSS: u16 = 0x28;
    /// First TLS GDT index (Linux `GDT_ENTRY_TLS_MIN`).
    pub const TLS_FIRST_ENTRY: u32 = 6;
    /// Number of TLS entries per thread (Linux `GDT_ENTRY_TLS_ENTRIES`).
    pub const TLS_ENTRIES: u32 = 3;
}

/// Interrupt vectors.
pub mod vector {
    /// Hardware IRQ `n` arrives at vector `IRQ_BASE + n` (8259 PICs remapped).
    pub const IRQ_BASE: u8 = 0x20;
    /// The Linux system call vector: from user mode it becomes exception IPC.
    pub const LINUX_SYSCALL: u8 = 0x80;
}
