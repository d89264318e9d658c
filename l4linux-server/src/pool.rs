//! The server's frame pool: the memory the roottask gave the server, cut
//! into 4 KiB frames. Every page of every Linux process is one of these
//! frames; the server maps it to the process (L4 map items) and reads and
//! writes it through its own mapping. Frames are reference-counted so that
//! copy-on-write after fork knows when a page is still shared.

use alloc::vec::Vec;

pub const PAGE: usize = 4096;

/// Index of a frame in the pool.
pub type Frame = u32;

pub struct Pool {
    mem: &'static mut [u8],
    /// Address of frame 0 in the server's address space (for map items).
    base: u32,
    refs: Vec<u16>,
    free: Vec<Frame>,
}

impl Pool {
    /// A pool over `mem` (whole pages), which the server sees at `base`.
    pub fn new(mem: &'static mut [u8], base: u32) -> Pool {
        let n = mem.len() / PAGE;
        Pool { mem, base, refs: alloc::vec![0; n], free: (0..n as Frame).rev().collect() }
    }

    pub fn frames(&self) -> usize {
        self.refs.len()
    }
    pub fn free_frames(&self) -> usize {
        self.free.len()
    }

    /// A zero-filled frame with one reference.
    pub fn alloc_zeroed(&mut self) -> Option<Frame> {
        let f = self.alloc()?;
        self.bytes_mut(f).fill(0);
        Some(f)
    }

    /// A frame with one reference and unspecified contents.
    pub fn alloc(&mut self) -> Option<Frame> {
        let f = self.free.pop()?;
        self.refs[f as usize] = 1;
        Some(f)
    }

    /// A copy of frame `src`.
    pub fn dup(&mut self, src: Frame) -> Option<Frame> {
        let f = self.alloc()?;
        let (s, d) = (src as usize * PAGE, f as usize * PAGE);
        self.mem.copy_within(s..s + PAGE, d);
        Some(f)
    }

    pub fn incref(&mut self, f: Frame) {
        self.refs[f as usize] += 1;
    }

    /// Drop a reference; returns true if the frame became free.
    pub fn decref(&mut self, f: Frame) -> bool {
        let r = &mut self.refs[f as usize];
        debug_assert!(*r > 0, "frame {f} freed twice");
        *r = r.saturating_sub(1);
        if *r == 0 {
            self.free.push(f);
            true
        } else {
            false
        }
    }

    pub fn refs(&self, f: Frame) -> u16 {
        self.refs[f as usize]
    }

    pub fn bytes(&self, f: Frame) -> &[u8] {
        &self.mem[f as usize * PAGE..(f as usize + 1) * PAGE]
    }
    pub fn bytes_mut(&mut self, f: Frame) -> &mut [u8] {
        &mut self.mem[f as usize * PAGE..(f as usize + 1) * PAGE]
    }

    /// Address of the frame in the server (the source of map items).
    pub fn vaddr(&self, f: Frame) -> u32 {
        self.base + f * PAGE as u32
    }
}

#[cfg(test)]
pub fn test_pool(frames: usize) -> Pool {
    let mem: &'static mut [u8] = alloc::vec![0u8; frames * PAGE].leak();
    Pool::new(mem, 0x1000_0000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refcounts_and_copies() {
        let mut p = test_pool(4);
        let a = p.alloc_zeroed().unwrap();
        p.bytes_mut(a)[10] = 7;
        let b = p.dup(a).unwrap();
        assert_eq!(p.bytes(b)[10], 7);
        p.incref(a);
        assert!(!p.decref(a));
        assert!(p.decref(a));
        assert_eq!(p.free_frames(), 3);
        assert_eq!(p.vaddr(2), 0x1000_2000);
        let _ = (p.alloc(), p.alloc(), p.alloc());
        assert_eq!(p.alloc(), None);
    }
}
