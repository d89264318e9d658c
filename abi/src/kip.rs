//! Layout of the kernel info page (KIP), mapped read-only at
//! [`crate::layout::KIP_ADDR`] in every space. All fields are little-endian
//! u32 words at fixed byte offsets; strings are NUL-terminated inside the page.

pub const MAGIC: u32 = 0x4B34_4C75; // "uL4K" read as bytes
pub const VERSION: u32 = 1;

// word offsets (in bytes)
pub const OFF_MAGIC: usize = 0;
pub const OFF_VERSION: usize = 4;
/// Feature flags, see [`feature`].
pub const OFF_FEATURES: usize = 8;
/// Timer tick period in microseconds.
pub const OFF_TICK_US: usize = 12;
/// Ticks since boot, low and high word (the kernel updates them each tick;
/// read high, low, high again to get a consistent value).
pub const OFF_TICKS_LO: usize = 16;
pub const OFF_TICKS_HI: usize = 20;
pub const OFF_SIGMA0: usize = 24;
pub const OFF_ROOTTASK: usize = 28;
pub const OFF_NMEM: usize = 32;
pub const OFF_NMODS: usize = 36;
/// Byte offset of the kernel command line string.
pub const OFF_CMDLINE: usize = 40;
/// Total RAM in KiB.
pub const OFF_RAM_KB: usize = 44;
/// Memory descriptors: `MAX_MEM` × (base, size, kind).
pub const OFF_MEM: usize = 64;
pub const MAX_MEM: usize = 32;
/// Boot modules: `MAX_MODS` × (phys start, phys end, cmdline byte offset).
pub const OFF_MODS: usize = OFF_MEM + MAX_MEM * 12;
pub const MAX_MODS: usize = 16;
/// String area.
pub const OFF_STRINGS: usize = 1024;

/// Feature flags.
pub mod feature {
    /// The kernel was built with Mach-style IPC.
    pub const MACH_IPC: u32 = 1;
    /// The kernel was built for the in-QEMU test suite.
    pub const TEST_BUILD: u32 = 2;
}

/// Kinds of memory descriptors.
pub mod mem {
    /// Free RAM owned by sigma0.
    pub const CONVENTIONAL: u32 = 1;
    /// Used by the kernel (image, pool): never mappable.
    pub const KERNEL: u32 = 2;
    /// Holds a boot module (sigma0 hands these to the roottask on request).
    pub const MODULE: u32 = 3;
    /// Frames the kernel gave to sigma0's or the roottask's image.
    pub const BOOT_TASK: u32 = 4;
    /// Not RAM (firmware, holes); device memory is mappable through sigma0.
    pub const RESERVED: u32 = 5;
}

/// A memory descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemDesc {
    pub base: u32,
    pub size: u32,
    pub kind: u32,
}

/// A boot module as the KIP lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Module {
    pub start: u32,
    pub end: u32,
    pub cmdline_off: u32,
}

/// Read-only view of a KIP image (the page as bytes).
pub struct Kip<'a>(pub &'a [u8]);

impl<'a> Kip<'a> {
    pub fn word(&self, off: usize) -> u32 {
        let b = &self.0[off..off + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }
    pub fn valid(&self) -> bool {
        self.0.len() >= 4096 && self.word(OFF_MAGIC) == MAGIC
    }
    pub fn str_at(&self, off: usize) -> &'a str {
        if off == 0 || off >= self.0.len() {
            return "";
        }
        let rest = &self.0[off..];
        let n = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        core::str::from_utf8(&rest[..n]).unwrap_or("")
    }
    pub fn cmdline(&self) -> &'a str {
        self.str_at(self.word(OFF_CMDLINE) as usize)
    }
    pub fn mem(&self, i: usize) -> MemDesc {
        let o = OFF_MEM + i * 12;
        MemDesc { base: self.word(o), size: self.word(o + 4), kind: self.word(o + 8) }
    }
    pub fn mems(&self) -> impl Iterator<Item = MemDesc> + '_ {
        (0..(self.word(OFF_NMEM) as usize).min(MAX_MEM)).map(move |i| self.mem(i))
    }
    pub fn module(&self, i: usize) -> Module {
        let o = OFF_MODS + i * 12;
        Module { start: self.word(o), end: self.word(o + 4), cmdline_off: self.word(o + 8) }
    }
    pub fn modules(&self) -> impl Iterator<Item = Module> + '_ {
        (0..(self.word(OFF_NMODS) as usize).min(MAX_MODS)).map(move |i| self.module(i))
    }
    pub fn ticks(&self) -> u64 {
        loop {
            let hi = self.word(OFF_TICKS_HI);
            let lo = self.word(OFF_TICKS_LO);
            if hi == self.word(OFF_TICKS_HI) {
                return (hi as u64) << 32 | lo as u64;
            }
        }
    }
}

/// Writer for building a KIP image (used by the kernel at boot and by tests).
pub struct KipWriter<'a> {
    pub page: &'a mut [u8],
    strings: usize,
}

impl<'a> KipWriter<'a> {
    pub fn new(page: &'a mut [u8]) -> KipWriter<'a> {
        page.fill(0);
        let mut w = KipWriter { page, strings: OFF_STRINGS };
        w.set(OFF_MAGIC, MAGIC);
        w.set(OFF_VERSION, VERSION);
        w
    }
    pub fn set(&mut self, off: usize, v: u32) {
        self.page[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
    pub fn get(&self, off: usize) -> u32 {
        Kip(self.page).word(off)
    }
    /// Store a string; returns its byte offset (0 if there is no room).
    pub fn add_str(&mut self, s: &str) -> u32 {
        let n = s.len();
        if self.strings + n + 1 > self.page.len() {
            return 0;
        }
        let off = self.strings;
        self.page[off..off + n].copy_from_slice(s.as_bytes());
        self.page[off + n] = 0;
        self.strings += n + 1;
        off as u32
    }
    /// Append a memory descriptor; false if the table is full.
    pub fn add_mem(&mut self, d: MemDesc) -> bool {
        let n = self.get(OFF_NMEM) as usize;
        if n >= MAX_MEM {
            return false;
        }
        let o = OFF_MEM + n * 12;
        self.set(o, d.base);
        self.set(o + 4, d.size);
        self.set(o + 8, d.kind);
        self.set(OFF_NMEM, n as u32 + 1);
        true
    }
    pub fn add_module(&mut self, start: u32, end: u32, cmdline: &str) -> bool {
        let n = self.get(OFF_NMODS) as usize;
        if n >= MAX_MODS {
            return false;
        }
        let off = self.add_str(cmdline);
        let o = OFF_MODS + n * 12;
        self.set(o, start);
        self.set(o + 4, end);
        self.set(o + 8, off);
        self.set(OFF_NMODS, n as u32 + 1);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_and_read_back() {
        let mut page = [0u8; 4096];
        let mut w = KipWriter::new(&mut page);
        let off = w.add_str("console=ttyS0 -- /bin/sh");
        w.set(OFF_CMDLINE, off);
        assert!(w.add_mem(MemDesc { base: 0x10_0000, size: 0x100_0000, kind: mem::CONVENTIONAL }));
        assert!(w.add_module(0x20_0000, 0x20_1000, "sigma0"));
        w.set(OFF_TICKS_LO, 5);
        w.set(OFF_TICKS_HI, 1);
        let k = Kip(&page);
        assert!(k.valid());
        assert_eq!(k.cmdline(), "console=ttyS0 -- /bin/sh");
        assert_eq!(k.mems().count(), 1);
        assert_eq!(k.mem(0).size, 0x100_0000);
        let m = k.modules().next().unwrap();
        assert_eq!(k.str_at(m.cmdline_off as usize), "sigma0");
        assert_eq!(k.ticks(), (1 << 32) | 5);
    }

    #[test]
    fn tables_fit_before_strings() {
        assert!(OFF_MODS + MAX_MODS * 12 <= OFF_STRINGS);
    }
}
