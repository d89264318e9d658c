//! Minimal ELF32 reader for the two boot tasks (sigma0 and the roottask):
//! the header checks and the loadable segments, nothing else. Everything
//! later is loaded by user-level code with goblin.

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u32,
    pub offset: u32,
    pub filesz: u32,
    pub memsz: u32,
    pub writable: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    NotElf,
    Unsupported,
    Truncated,
}

/// Loadable segments a boot task may have.
pub const MAX_SEGMENTS: usize = 16;

pub struct Elf<'a> {
    data: &'a [u8],
    pub entry: u32,
    segments: [Segment; MAX_SEGMENTS],
    nsegments: usize,
}

fn u16_at(d: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(o..o + 2)?.try_into().ok()?))
}
fn u32_at(d: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(o..o + 4)?.try_into().ok()?))
}

const PT_LOAD: u32 = 1;
const PF_W: u32 = 2;

// The kernel reads ELF only at boot: its code goes to the `.init` section,
// which is freed once the boot tasks run.
impl<'a> Elf<'a> {
    /// Check the header and read the loadable segments.
    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    pub fn parse(data: &'a [u8]) -> Result<Elf<'a>, ElfError> {
        if data.len() < 52 || &data[..4] != b"\x7fELF" {
            return Err(ElfError::NotElf);
        }
        // 32-bit, little-endian, executable, i386
        if data[4] != 1 || data[5] != 1 || u16_at(data, 16) != Some(2) || u16_at(data, 18) != Some(3) {
            return Err(ElfError::Unsupported);
        }
        let word = |o: usize| u32_at(data, o).ok_or(ElfError::Truncated);
        let half = |o: usize| u16_at(data, o).ok_or(ElfError::Truncated);
        let (phoff, phentsize, phnum) = (word(28)? as usize, half(42)? as usize, half(44)? as usize);
        if phentsize < 32 {
            return Err(ElfError::Unsupported);
        }
        let mut e = Elf { data, entry: word(24)?, segments: [Segment::default(); MAX_SEGMENTS], nsegments: 0 };
        for i in 0..phnum {
            let o = phoff + i * phentsize;
            if word(o)? != PT_LOAD {
                continue;
            }
            let s = Segment {
                offset: word(o + 4)?,
                vaddr: word(o + 8)?,
                filesz: word(o + 16)?,
                memsz: word(o + 20)?,
                writable: word(o + 24)? & PF_W != 0,
            };
            if s.filesz > s.memsz || (s.offset as u64 + s.filesz as u64) > data.len() as u64 {
                return Err(ElfError::Truncated);
            }
            if e.nsegments == MAX_SEGMENTS {
                return Err(ElfError::Unsupported);
            }
            e.segments[e.nsegments] = s;
            e.nsegments += 1;
        }
        Ok(e)
    }

    /// The loadable segments, in file order.
    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    pub fn segments(&self) -> &[Segment] {
        &self.segments[..self.nsegments]
    }

    /// The bytes of a segment in the file (checked by `parse`).
    #[cfg_attr(target_os = "none", link_section = ".init.text")]
    pub fn bytes(&self, s: &Segment) -> &'a [u8] {
        &self.data[s.offset as usize..(s.offset + s.filesz) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> Vec<u8> {
        let mut d = vec![0u8; 0x200];
        d[..4].copy_from_slice(b"\x7fELF");
        d[4] = 1;
        d[5] = 1;
        d[16..18].copy_from_slice(&2u16.to_le_bytes());
        d[18..20].copy_from_slice(&3u16.to_le_bytes());
        d[24..28].copy_from_slice(&0x40_1000u32.to_le_bytes());
        d[28..32].copy_from_slice(&52u32.to_le_bytes());
        d[42..44].copy_from_slice(&32u16.to_le_bytes());
        d[44..46].copy_from_slice(&2u16.to_le_bytes());
        let ph = |d: &mut Vec<u8>, at: usize, vals: [u32; 7]| {
            for (k, v) in vals.iter().enumerate() {
                d[at + k * 4..at + k * 4 + 4].copy_from_slice(&v.to_le_bytes());
            }
        };
        ph(&mut d, 52, [PT_LOAD, 0x100, 0x40_1000, 0x40_1000, 0x80, 0x80, 5]);
        ph(&mut d, 84, [PT_LOAD, 0x180, 0x40_2000, 0x40_2000, 0x10, 0x1000, 6]);
        d
    }

    #[test]
    fn reads_segments() {
        let d = image();
        let e = Elf::parse(&d).unwrap();
        assert_eq!(e.entry, 0x40_1000);
        let segs = e.segments();
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[1], Segment { vaddr: 0x40_2000, offset: 0x180, filesz: 0x10, memsz: 0x1000, writable: true });
        assert_eq!(e.bytes(&segs[0]).len(), 0x80);
    }

    #[test]
    fn skips_other_headers_and_bounds_the_count() {
        let mut d = image();
        d[52..56].copy_from_slice(&6u32.to_le_bytes()); // PT_PHDR
        assert_eq!(Elf::parse(&d).unwrap().segments().len(), 1);
        let mut d = image();
        d.resize(0x400, 0);
        let n = MAX_SEGMENTS as u16 + 1;
        d[44..46].copy_from_slice(&n.to_le_bytes());
        for i in 0..n as usize {
            d[52 + i * 32..56 + i * 32].copy_from_slice(&PT_LOAD.to_le_bytes());
        }
        assert_eq!(Elf::parse(&d).err(), Some(ElfError::Unsupported));
    }

    #[test]
    fn rejects_bad_images() {
        assert_eq!(Elf::parse(b"nope").err(), Some(ElfError::NotElf));
        let mut d = image();
        d[4] = 2;
        assert_eq!(Elf::parse(&d).err(), Some(ElfError::Unsupported));
        let mut d = image();
        d[52 + 16..52 + 20].copy_from_slice(&0x1000u32.to_le_bytes()); // filesz past the end
        d[52 + 20..52 + 24].copy_from_slice(&0x1000u32.to_le_bytes());
        assert_eq!(Elf::parse(&d).err(), Some(ElfError::Truncated));
    }
}
