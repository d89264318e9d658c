//! sigma0's bookkeeping, independent of the kernel interface so that it is
//! unit-tested on the host: who owns each physical frame, and finding free
//! naturally aligned runs of frames.
#![cfg_attr(not(test), no_std)]

use l4_abi::kip::{mem, MemDesc};
use l4_abi::ThreadId;

/// Frames above this are never tracked (the kernel maps no more RAM).
pub const MAX_FRAMES: usize = 0x3F00_0000 / 4096;

/// What a frame is, or who owns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    Free,
    /// The kernel's: never handed out.
    Kernel,
    /// Given to a boot task by the kernel.
    BootTask,
    /// Holds a boot module (for the roottask only).
    Module,
    /// Not RAM: device memory, shared by whoever asks.
    Device,
    Thread(ThreadId),
}

/// Per-frame owners; clients are numbered to keep entries small.
pub struct Frames<'a> {
    owner: &'a mut [u16],
    clients: [ThreadId; 64],
    nclients: usize,
    /// Frames below this exist (end of RAM).
    pub frames: usize,
    pub ram_frames: usize,
    free: usize,
    cursor: usize,
}

const FREE: u16 = 0;
const KERNEL: u16 = 1;
const BOOT: u16 = 2;
const MODULE: u16 = 3;
const DEVICE: u16 = 4;
const FIRST_CLIENT: u16 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Taken,
    Exhausted,
    OutOfRange,
    TooManyClients,
}

impl<'a> Frames<'a> {
    /// Build the table from the KIP's descriptors (later ones override
    /// earlier ones) for RAM ending at `ram_end` bytes.
    pub fn new(store: &'a mut [u16], ram_end: u64, descs: impl Iterator<Item = MemDesc>) -> Frames<'a> {
        let frames = ((ram_end / 4096) as usize).min(store.len());
        let owner = &mut store[..frames];
        owner.fill(DEVICE);
        for d in descs {
            let v = match d.kind {
                mem::CONVENTIONAL => FREE,
                mem::KERNEL => KERNEL,
                mem::MODULE => MODULE,
                mem::BOOT_TASK => BOOT,
                _ => DEVICE,
            };
            let first = (d.base / 4096) as usize;
            let end = ((d.base as u64 + d.size as u64).div_ceil(4096) as usize).min(frames);
            // free RAM is only what is whole pages
            let (first, end) = if v == FREE { (d.base.div_ceil(4096) as usize, ((d.base as u64 + d.size as u64) / 4096) as usize) } else { (first, end) };
            for f in first.min(frames)..end.min(frames) {
                owner[f] = v;
            }
        }
        let free = owner.iter().filter(|&&o| o == FREE).count();
        let ram_frames = owner.iter().filter(|&&o| o != DEVICE).count();
        Frames { owner, clients: [ThreadId::NIL; 64], nclients: 0, frames, ram_frames, free, cursor: 0 }
    }

    pub fn free_frames(&self) -> usize {
        self.free
    }

    pub fn owner(&self, f: usize) -> Owner {
        match self.owner.get(f).copied() {
            None => Owner::Device,
            Some(FREE) => Owner::Free,
            Some(KERNEL) => Owner::Kernel,
            Some(BOOT) => Owner::BootTask,
            Some(MODULE) => Owner::Module,
            Some(DEVICE) => Owner::Device,
            Some(c) => Owner::Thread(self.clients[(c - FIRST_CLIENT) as usize]),
        }
    }

    fn client(&mut self, t: ThreadId) -> Option<u16> {
        if let Some(i) = self.clients[..self.nclients].iter().position(|&c| c == t) {
            return Some(i as u16 + FIRST_CLIENT);
        }
        if self.nclients == self.clients.len() {
            return None;
        }
        self.clients[self.nclients] = t;
        self.nclients += 1;
        Some(self.nclients as u16 - 1 + FIRST_CLIENT)
    }

    pub fn owned_by(&self, t: ThreadId) -> usize {
        match self.clients[..self.nclients].iter().position(|&c| c == t) {
            Some(i) => self.owner.iter().filter(|&&o| o == i as u16 + FIRST_CLIENT).count(),
            None => 0,
        }
    }

    /// Give frames `first..first+count` to `t`; `roottask` may also take
    /// module frames.
    pub fn claim(&mut self, first: usize, count: usize, t: ThreadId, roottask: bool) -> Result<(), Refusal> {
        let end = first.checked_add(count).ok_or(Refusal::OutOfRange)?;
        if end > self.frames {
            return Err(Refusal::OutOfRange);
        }
        let me = self.client(t).ok_or(Refusal::TooManyClients)?;
        for &o in &self.owner[first..end] {
            let ok = o == FREE || o == me || o == DEVICE || (o == MODULE && roottask);
            if !ok {
                return Err(Refusal::Taken);
            }
        }
        for o in &mut self.owner[first..end] {
            if *o == FREE {
                self.free -= 1;
            }
            if *o != DEVICE {
                *o = me;
            }
        }
        Ok(())
    }

    /// Find and give `t` a free, naturally aligned run of `count` frames
    /// (`count` a power of two). Returns the first frame.
    pub fn claim_any(&mut self, count: usize, t: ThreadId) -> Result<usize, Refusal> {
        if count == 0 || !count.is_power_of_two() {
            return Err(Refusal::OutOfRange);
        }
        let me = self.client(t).ok_or(Refusal::TooManyClients)?;
        let runs = self.frames / count;
        for k in 0..runs {
            let first = ((self.cursor / count + k) % runs) * count;
            if self.owner[first..first + count].iter().all(|&o| o == FREE) {
                self.owner[first..first + count].fill(me);
                self.free -= count;
                self.cursor = first + count;
                return Ok(first);
            }
        }
        Err(Refusal::Exhausted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descs() -> Vec<MemDesc> {
        vec![
            MemDesc { base: 0, size: 0x9F000, kind: mem::CONVENTIONAL },
            MemDesc { base: 0x10_0000, size: 0x70_0000, kind: mem::CONVENTIONAL },
            MemDesc { base: 0x10_0000, size: 0x4_0000, kind: mem::KERNEL },
            MemDesc { base: 0x20_0000, size: 0x1_0000, kind: mem::MODULE },
            MemDesc { base: 0x30_0000, size: 0x1000, kind: mem::BOOT_TASK },
        ]
    }

    #[test]
    fn kinds_from_descriptors() {
        let mut store = vec![0u16; MAX_FRAMES];
        let f = Frames::new(&mut store, 0x80_0000, descs().into_iter());
        assert_eq!(f.frames, 0x800);
        assert_eq!(f.owner(0x10), Owner::Free);
        assert_eq!(f.owner(0xA0), Owner::Device); // hole below 1 MiB
        assert_eq!(f.owner(0x100), Owner::Kernel);
        assert_eq!(f.owner(0x200), Owner::Module);
        assert_eq!(f.owner(0x300), Owner::BootTask);
        assert_eq!(f.free_frames(), 0x9F + 0x700 - 0x40 - 0x10 - 1);
    }

    #[test]
    fn one_owner_per_frame() {
        let mut store = vec![0u16; MAX_FRAMES];
        let mut f = Frames::new(&mut store, 0x80_0000, descs().into_iter());
        let (a, b) = (ThreadId::new(40, 1), ThreadId::new(41, 1));
        assert_eq!(f.claim(0x400, 1, a, false), Ok(()));
        assert_eq!(f.claim(0x400, 1, a, false), Ok(())); // idempotent for the owner
        assert_eq!(f.claim(0x400, 1, b, false), Err(Refusal::Taken));
        assert_eq!(f.claim(0x100, 1, a, false), Err(Refusal::Taken)); // kernel
        assert_eq!(f.claim(0x200, 1, a, false), Err(Refusal::Taken)); // module, not roottask
        assert_eq!(f.claim(0x200, 1, a, true), Ok(()));
        assert_eq!(f.claim(0xA0, 1, b, false), Ok(())); // device memory is shared
        assert_eq!(f.claim(0xA0, 1, a, false), Ok(()));
        assert_eq!(f.claim(0x800, 1, a, false), Err(Refusal::OutOfRange));
        assert_eq!(f.owned_by(a), 2);
    }

    #[test]
    fn any_is_aligned_and_exclusive() {
        let mut store = vec![0u16; MAX_FRAMES];
        let mut f = Frames::new(&mut store, 0x80_0000, descs().into_iter());
        let t = ThreadId::new(40, 1);
        let before = f.free_frames();
        let a = f.claim_any(1024, t).unwrap();
        assert_eq!(a % 1024, 0);
        assert!((a..a + 1024).all(|x| f.owner(x) == Owner::Thread(t)));
        let b = f.claim_any(1, t).unwrap();
        assert!(!(a..a + 1024).contains(&b));
        assert_eq!(f.free_frames(), before - 1025);
        // 8 MiB of RAM cannot hold a second aligned 4 MiB run
        assert_eq!(f.claim_any(1024, t), Err(Refusal::Exhausted));
        assert_eq!(f.claim_any(3, t), Err(Refusal::OutOfRange));
    }
}
