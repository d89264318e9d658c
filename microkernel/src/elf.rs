//! Minimal ELF32 reader for the two boot tasks (sigma0 and the roottask):
//! the header checks and the loadable segments, nothing else. Everything
//! later is loaded by user-level code with goblin.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

pub struct Elf<'a> {
    data: &'a [u8],
    pub entry: u32,
    phoff: u32,
    phnum: u16,
    phentsize: u16,
}

fn u16_at(d: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(o..o + 2)?.try_into().ok()?))
}
fn u32_at(d: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(o..o + 4)?.try_into().ok()?))
}

const PT_LOAD: u32 = 1;
const PF_W: u32 = 2;

impl<'a> Elf<'a> {
    pub fn parse(data: &'a [u8]) -> Result<Elf<'a>, ElfError> {
        if data.len() < 52 || &data[..4] != b"\x7fELF" {
            return Err(ElfError::NotElf);
        }
        // 32-bit, little-endian, executable, i386
        if data[4] != 1 || data[5] != 1 || u16_at(data, 16) != Some(2) || u16_at(data, 18) != Some(3) {
            return Err(ElfError::Unsupported);
        }
        let e = Elf {
            data,
            entry: u32_at(data, 24).ok_or(ElfError::Truncated)?,
            phoff: u32_at(data, 28).ok_or(ElfError::Truncated)?,
            phentsize: u16_at(data, 42).ok_or(ElfError::Truncated)?,
            phnum: u16_at(data, 44).ok_or(ElfError::Truncated)?,
        };
        if e.phentsize < 32 {
            return Err(ElfError::Unsupported);
        }
        for s in e.segments() {
            let s = s?;
            if s.filesz > s.memsz || (s.offset as u64 + s.filesz as u64) > data.len() as u64 {
                return Err(ElfError::Truncated);
            }
        }
        Ok(e)
    }

    pub fn segments(&self) -> impl Iterator<Item = Result<Segment, ElfError>> + '_ {
        (0..self.phnum as usize).filter_map(move |i| {
            let o = self.phoff as usize + i * self.phentsize as usize;
            let d = self.data;
            let ty = match u32_at(d, o) {
                Some(t) => t,
                None => return Some(Err(ElfError::Truncated)),
            };
            if ty != PT_LOAD {
                return None;
            }
            let get = |k: usize| u32_at(d, o + k).ok_or(ElfError::Truncated);
            Some((|| {
                Ok(Segment {
                    offset: get(4)?,
                    vaddr: get(8)?,
                    filesz: get(16)?,
                    memsz: get(20)?,
                    writable: get(24)? & PF_W != 0,
                })
            })())
        })
    }

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
        let segs: Vec<_> = e.segments().map(|s| s.unwrap()).collect();
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[1], Segment { vaddr: 0x40_2000, offset: 0x180, filesz: 0x10, memsz: 0x1000, writable: true });
        assert_eq!(e.bytes(&segs[0]).len(), 0x80);
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
