//! COM1 (16550 UART) output for the kernel log: polled, 115200 8N1.
//! The Linux server later drives the same UART (input by IRQ); the kernel
//! only ever writes.

use x86::io::{inb, outb};

const COM1: u16 = 0x3F8;

#[link_section = ".init.text"]
pub fn init() {
    // SAFETY: COM1 is a standard PC port range owned by the kernel at boot.
    unsafe {
        outb(COM1 + 1, 0x00); // no interrupts
        outb(COM1 + 3, 0x80); // DLAB
        outb(COM1, 0x01); // divisor 1: 115200 baud
        outb(COM1 + 1, 0x00);
        outb(COM1 + 3, 0x03); // 8N1
        outb(COM1 + 2, 0xC7); // FIFO on, cleared, 14-byte threshold
        outb(COM1 + 4, 0x03); // DTR | RTS
    }
}

pub fn putb(b: u8) {
    // SAFETY: reading the line status and writing the transmit register of COM1.
    unsafe {
        while inb(COM1 + 5) & 0x20 == 0 {}
        outb(COM1, b);
    }
}

pub fn write(bytes: &[u8]) {
    for &b in bytes {
        if b == b'\n' {
            putb(b'\r');
        }
        putb(b);
    }
}

/// The kernel log's output (see `kprint`).
pub struct Serial;

impl crate::kprint::Out for Serial {
    fn put(&mut self, bytes: &[u8]) {
        write(bytes);
    }
}
