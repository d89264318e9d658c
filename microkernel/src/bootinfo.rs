//! Multiboot v1 information: parsing the memory map, modules and command
//! line, and turning them into free physical ranges and a boot-time frame
//! allocator. Works on any byte source, so it is unit-tested on the host.
//! All of it runs only at boot: on the kernel target the code goes to the
//! `.init` section, which is freed once the boot tasks run.

/// Multiboot v1 magic passed in eax by the loader.
pub const MAGIC: u32 = 0x2BAD_B002;
pub const MAX_REGIONS: usize = 32;
pub const MAX_MODULES: usize = 16;
/// Physical memory above this is not used (the direct map ends here).
pub const MAX_PHYS: u64 = 0x3F00_0000;

/// Reads physical memory.
pub trait PhysRead {
    fn read(&self, phys: u32, buf: &mut [u8]) -> bool;
    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    fn word(&self, phys: u32) -> Option<u32> {
        let mut b = [0u8; 4];
        self.read(phys, &mut b).then(|| u32::from_le_bytes(b))
    }
    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    fn dword(&self, phys: u32) -> Option<u64> {
        let mut b = [0u8; 8];
        self.read(phys, &mut b).then(|| u64::from_le_bytes(b))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Region {
    pub base: u64,
    pub len: u64,
    /// Multiboot type: 1 = available RAM.
    pub kind: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Module {
    pub start: u32,
    pub end: u32,
    pub cmdline: u32,
}

#[derive(Clone, Debug, Default)]
pub struct BootInfo {
    pub regions: [Region; MAX_REGIONS],
    pub nregions: usize,
    pub modules: [Module; MAX_MODULES],
    pub nmodules: usize,
    pub cmdline: u32,
    /// Physical ranges the info itself occupies (must not be reused early).
    pub info_ranges: [(u32, u32); 4 + MAX_MODULES],
    pub ninfo: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    BadMagic(u32),
    Unreadable,
    NoMemoryMap,
}

impl ParseError {
    /// Print like its `Debug`.
    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    pub fn print(self, out: &mut impl crate::kprint::Out) {
        match self {
            ParseError::BadMagic(m) => out.s("BadMagic(").dec(m).s(")"),
            ParseError::Unreadable => out.s("Unreadable"),
            ParseError::NoMemoryMap => out.s("NoMemoryMap"),
        };
    }
}

impl BootInfo {
    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    pub fn parse(magic: u32, mbi: u32, mem: &impl PhysRead) -> Result<BootInfo, ParseError> {
        if magic != MAGIC {
            return Err(ParseError::BadMagic(magic));
        }
        let w = |off: u32| mem.word(mbi + off).ok_or(ParseError::Unreadable);
        let flags = w(0)?;
        let mut bi = BootInfo::default();
        bi.add_info(mbi, 88);
        if flags & (1 << 2) != 0 {
            bi.cmdline = w(16)?;
            bi.add_info(bi.cmdline, 1);
        }
        if flags & (1 << 3) != 0 {
            let count = w(20)? as usize;
            let addr = w(24)?;
            bi.add_info(addr, count as u32 * 16);
            for i in 0..count.min(MAX_MODULES) {
                let e = addr + i as u32 * 16;
                let m = Module {
                    start: mem.word(e).ok_or(ParseError::Unreadable)?,
                    end: mem.word(e + 4).ok_or(ParseError::Unreadable)?,
                    cmdline: mem.word(e + 8).ok_or(ParseError::Unreadable)?,
                };
                if m.cmdline != 0 {
                    bi.add_info(m.cmdline, 1);
                }
                bi.modules[i] = m;
                bi.nmodules += 1;
            }
        }
        if flags & (1 << 6) == 0 {
            return Err(ParseError::NoMemoryMap);
        }
        let len = w(44)?;
        let addr = w(48)?;
        bi.add_info(addr, len);
        let mut off = 0;
        while off + 4 <= len && bi.nregions < MAX_REGIONS {
            let e = addr + off;
            let size = mem.word(e).ok_or(ParseError::Unreadable)?;
            let r = Region {
                base: mem.dword(e + 4).ok_or(ParseError::Unreadable)?,
                len: mem.dword(e + 12).ok_or(ParseError::Unreadable)?,
                kind: mem.word(e + 20).ok_or(ParseError::Unreadable)?,
            };
            bi.regions[bi.nregions] = r;
            bi.nregions += 1;
            off += size + 4;
        }
        Ok(bi)
    }

    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    fn add_info(&mut self, addr: u32, len: u32) {
        if self.ninfo < self.info_ranges.len() {
            // strings are short; reserve their page
            self.info_ranges[self.ninfo] = (addr, addr.saturating_add(len.max(1)));
            self.ninfo += 1;
        }
    }

    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    pub fn regions(&self) -> &[Region] {
        &self.regions[..self.nregions]
    }
    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    pub fn modules(&self) -> &[Module] {
        &self.modules[..self.nmodules]
    }

    /// End of usable RAM (exclusive), capped at [`MAX_PHYS`].
    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    pub fn ram_end(&self) -> u64 {
        self.regions()
            .iter()
            .filter(|r| r.kind == 1)
            .map(|r| (r.base + r.len).min(MAX_PHYS))
            .max()
            .unwrap_or(0)
    }
}

/// Read a NUL-terminated string of at most `buf.len()` bytes.
#[cfg_attr(target_os = "none", link_section = ".init.text")]
pub fn read_cstr<'b>(mem: &impl PhysRead, phys: u32, buf: &'b mut [u8]) -> &'b str {
    if phys == 0 {
        return "";
    }
    let mut n = 0;
    while n < buf.len() {
        let mut b = [0u8];
        if !mem.read(phys + n as u32, &mut b) || b[0] == 0 {
            break;
        }
        buf[n] = b[0];
        n += 1;
    }
    core::str::from_utf8(&buf[..n]).unwrap_or("?")
}

/// Free page ranges: the available RAM regions minus `reserved` byte ranges,
/// page-aligned inwards, sorted by address, as `(first_pfn, end_pfn)`.
/// Returns how many of `out` were filled.
#[cfg_attr(target_os = "none", link_section = ".init.text")]
pub fn free_ranges(regions: &[Region], reserved: &[(u32, u32)], out: &mut [(u32, u32)]) -> usize {
    let mut n = 0;
    for r in regions.iter().filter(|r| r.kind == 1) {
        let start = r.base.min(MAX_PHYS);
        let end = (r.base + r.len).min(MAX_PHYS);
        let first = start.div_ceil(4096) as u32;
        let last = (end / 4096) as u32;
        if first < last {
            n = subtract(first, last, reserved, out, n);
        }
    }
    insertion_sort(&mut out[..n]);
    n
}

/// A handful of ranges: insertion sort (the library's sort costs 3 KiB).
#[cfg_attr(target_os = "none", link_section = ".init.text")]
fn insertion_sort(v: &mut [(u32, u32)]) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && v[j - 1] > v[j] {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg_attr(target_os = "none", link_section = ".init.text")]
fn subtract(first: u32, last: u32, reserved: &[(u32, u32)], out: &mut [(u32, u32)], mut n: usize) -> usize {
    // the lowest reserved range overlapping [first, last) splits it
    let hit = reserved
        .iter()
        .map(|&(a, b)| (a / 4096, b.div_ceil(4096)))
        .filter(|&(a, b)| a < last && b > first && a < b)
        .min();
    match hit {
        None => {
            if n < out.len() {
                out[n] = (first, last);
                n += 1;
            }
            n
        }
        Some((a, b)) => {
            if a > first && n < out.len() {
                out[n] = (first, a);
                n += 1;
            }
            if b < last {
                n = subtract(b, last, reserved, out, n);
            }
            n
        }
    }
}

/// Hands out frames from the free ranges at boot, lowest first. What is left
/// at the end is the memory sigma0 owns.
pub struct BootAlloc {
    pub ranges: [(u32, u32); MAX_REGIONS * 2],
    pub n: usize,
}

impl BootAlloc {
    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    pub fn new(free: &[(u32, u32)]) -> BootAlloc {
        let mut b = BootAlloc { ranges: [(0, 0); MAX_REGIONS * 2], n: 0 };
        for &r in free.iter().take(b.ranges.len()) {
            b.ranges[b.n] = r;
            b.n += 1;
        }
        b
    }

    /// `count` contiguous frames from the lowest range that has them.
    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    pub fn alloc(&mut self, count: u32) -> Option<u32> {
        for r in self.ranges[..self.n].iter_mut() {
            if r.1 - r.0 >= count {
                let pfn = r.0;
                r.0 += count;
                return Some(pfn);
            }
        }
        None
    }

    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    pub fn free_frames(&self) -> u32 {
        self.ranges[..self.n].iter().map(|r| r.1 - r.0).sum()
    }

    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    pub fn remaining(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.ranges[..self.n].iter().copied().filter(|r| r.0 < r.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Mem(Vec<u8>);
    impl PhysRead for Mem {
        fn read(&self, phys: u32, buf: &mut [u8]) -> bool {
            let p = phys as usize;
            if p + buf.len() > self.0.len() {
                return false;
            }
            buf.copy_from_slice(&self.0[p..p + buf.len()]);
            true
        }
    }
    fn put(m: &mut Mem, at: usize, v: &[u8]) {
        m.0[at..at + v.len()].copy_from_slice(v);
    }

    /// A multiboot info block as QEMU builds it: two RAM regions, one
    /// reserved, two modules, a command line.
    fn sample() -> Mem {
        let mut m = Mem(vec![0u8; 0x3000]);
        let mbi = 0x1000;
        put(&mut m, mbi, &(1u32 << 2 | 1 << 3 | 1 << 6).to_le_bytes());
        put(&mut m, mbi + 16, &0x1800u32.to_le_bytes()); // cmdline
        put(&mut m, mbi + 20, &2u32.to_le_bytes());
        put(&mut m, mbi + 24, &0x1900u32.to_le_bytes());
        put(&mut m, mbi + 44, &(3 * 24u32).to_le_bytes());
        put(&mut m, mbi + 48, &0x1A00u32.to_le_bytes());
        put(&mut m, 0x1800, b"kernel -- /bin/sh\0");
        put(&mut m, 0x1880, b"sigma0\0");
        for (i, (s, e)) in [(0x20_0000u32, 0x20_1234u32), (0x20_2000, 0x30_0000)].iter().enumerate() {
            let o = 0x1900 + i * 16;
            put(&mut m, o, &s.to_le_bytes());
            put(&mut m, o + 4, &e.to_le_bytes());
            put(&mut m, o + 8, &(if i == 0 { 0x1880u32 } else { 0 }).to_le_bytes());
        }
        let regions = [(0u64, 0x9FC00u64, 1u32), (0x9FC00, 0x400, 2), (0x10_0000, 0x7F0_0000, 1)];
        for (i, (b, l, t)) in regions.iter().enumerate() {
            let o = 0x1A00 + i * 24;
            put(&mut m, o, &20u32.to_le_bytes());
            put(&mut m, o + 4, &b.to_le_bytes());
            put(&mut m, o + 12, &l.to_le_bytes());
            put(&mut m, o + 20, &t.to_le_bytes());
        }
        m
    }

    #[test]
    fn parses_qemu_style_info() {
        let m = sample();
        let bi = BootInfo::parse(MAGIC, 0x1000, &m).unwrap();
        assert_eq!(bi.regions().len(), 3);
        assert_eq!(bi.regions()[2], Region { base: 0x10_0000, len: 0x7F0_0000, kind: 1 });
        assert_eq!(bi.modules().len(), 2);
        assert_eq!(bi.modules()[1].start, 0x20_2000);
        let mut buf = [0u8; 64];
        assert_eq!(read_cstr(&m, bi.cmdline, &mut buf), "kernel -- /bin/sh");
        assert_eq!(read_cstr(&m, bi.modules()[0].cmdline, &mut buf), "sigma0");
        assert_eq!(bi.ram_end(), 0x800_0000);
    }

    #[test]
    fn rejects_bad_magic_and_missing_map() {
        let m = sample();
        assert_eq!(BootInfo::parse(0x1234, 0x1000, &m).err(), Some(ParseError::BadMagic(0x1234)));
        let mut m2 = sample();
        put(&mut m2, 0x1000, &(1u32 << 3).to_le_bytes());
        assert_eq!(BootInfo::parse(MAGIC, 0x1000, &m2).err(), Some(ParseError::NoMemoryMap));
        assert_eq!(BootInfo::parse(MAGIC, 0xFFFF_0000, &m).err(), Some(ParseError::Unreadable));
    }

    #[test]
    fn free_ranges_subtract_reserved() {
        let regions = [
            Region { base: 0, len: 0x9FC00, kind: 1 },
            Region { base: 0x10_0000, len: 0x100_0000, kind: 1 },
            Region { base: 0xFFFC_0000, len: 0x4_0000, kind: 2 },
        ];
        let reserved = [(0, 0x1000), (0x10_0000, 0x18_0800), (0x20_0000, 0x20_0001)];
        let mut out = [(0, 0); 8];
        let n = free_ranges(&regions, &reserved, &mut out);
        assert_eq!(&out[..n], &[(1, 0x9F), (0x181, 0x200), (0x201, 0x1100)]);
    }

    #[test]
    fn free_ranges_sorted_whatever_the_map_order() {
        let regions = [
            Region { base: 0x30_0000, len: 0x10_0000, kind: 1 },
            Region { base: 0x10_0000, len: 0x10_0000, kind: 1 },
            Region { base: 0x1000, len: 0x1000, kind: 1 },
        ];
        let mut out = [(0, 0); 4];
        let n = free_ranges(&regions, &[], &mut out);
        assert_eq!(&out[..n], &[(1, 2), (0x100, 0x200), (0x300, 0x400)]);
        let mut v = [(5, 1), (1, 9), (3, 3), (1, 2), (0, 0)];
        insertion_sort(&mut v);
        assert_eq!(v, [(0, 0), (1, 2), (1, 9), (3, 3), (5, 1)]);
    }

    #[test]
    fn free_ranges_cap_high_memory() {
        let regions = [Region { base: 0x10_0000, len: 0x1_0000_0000, kind: 1 }];
        let mut out = [(0, 0); 2];
        let n = free_ranges(&regions, &[], &mut out);
        assert_eq!(&out[..n], &[(0x100, (MAX_PHYS / 4096) as u32)]);
    }

    #[test]
    fn boot_alloc_lowest_fit() {
        let mut b = BootAlloc::new(&[(1, 3), (10, 100)]);
        assert_eq!(b.alloc(1), Some(1));
        assert_eq!(b.alloc(5), Some(10));
        assert_eq!(b.alloc(1), Some(2));
        assert_eq!(b.alloc(1), Some(15));
        assert_eq!(b.alloc(1000), None);
        assert_eq!(b.free_frames(), 84);
        assert_eq!(b.remaining().collect::<Vec<_>>(), vec![(16, 100)]);
    }
}
