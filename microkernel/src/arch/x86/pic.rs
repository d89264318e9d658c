//! The two 8259A interrupt controllers, remapped to vectors 0x20..0x2F.
//! Every line starts masked except the timer and the cascade; lines are
//! unmasked when an IRQ is attached to a thread and masked while a delivered
//! interrupt waits for its handler's acknowledgement.

use l4_abi::layout::vector::IRQ_BASE;
use x86::io::{inb, outb};

const PIC1: u16 = 0x20;
const PIC2: u16 = 0xA0;

static mut MASK: u16 = 0xFFFF;

pub fn init() {
    // SAFETY: standard 8259 initialisation sequence on the PC's PIC ports.
    unsafe {
        outb(PIC1, 0x11); // ICW1: edge, cascade, ICW4
        outb(PIC2, 0x11);
        outb(PIC1 + 1, IRQ_BASE); // ICW2: vector offsets
        outb(PIC2 + 1, IRQ_BASE + 8);
        outb(PIC1 + 1, 0x04); // ICW3: slave on IRQ2
        outb(PIC2 + 1, 0x02);
        outb(PIC1 + 1, 0x01); // ICW4: 8086 mode
        outb(PIC2 + 1, 0x01);
    }
    set_mask(0xFFFF & !(1 << 0) & !(1 << 2));
}

fn set_mask(mask: u16) {
    // SAFETY: single-core kernel with interrupts off; MASK mirrors the PIC
    // registers written right here.
    unsafe {
        MASK = mask;
        outb(PIC1 + 1, mask as u8);
        outb(PIC2 + 1, (mask >> 8) as u8);
    }
}

fn mask() -> u16 {
    // SAFETY: see set_mask.
    unsafe { MASK }
}

pub fn mask_irq(irq: u32) {
    set_mask(mask() | 1 << irq);
}

pub fn unmask_irq(irq: u32) {
    set_mask(mask() & !(1 << irq));
}

/// End of interrupt for `irq`.
pub fn eoi(irq: u32) {
    // SAFETY: non-specific EOI to the PIC(s) that raised the interrupt.
    unsafe {
        if irq >= 8 {
            outb(PIC2, 0x20);
        }
        outb(PIC1, 0x20);
    }
}

/// True if `irq` (7 or 15) is a spurious interrupt (not in service).
pub fn spurious(irq: u32) -> bool {
    if irq != 7 && irq != 15 {
        return false;
    }
    let port = if irq == 7 { PIC1 } else { PIC2 };
    // SAFETY: OCW3 read of the in-service register, then reading it back.
    let isr = unsafe {
        outb(port, 0x0B);
        inb(port)
    };
    if isr & 0x80 == 0 {
        if irq == 15 {
            eoi(2); // the master saw a real cascade interrupt
        }
        return true;
    }
    false
}
