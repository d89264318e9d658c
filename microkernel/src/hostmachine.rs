//! A `Machine` over plain memory, so the portable kernel runs on the host:
//! used by the unit tests and by the specification cross-check.

use crate::machine::{Machine, FRAME_WORDS};
use std::vec::Vec;

/// Frames `base..base+len` backed by host memory; records IRQ mask changes,
/// console output and exit requests.
pub struct HostMachine {
    pub base: u32,
    pub frames: Vec<[u32; FRAME_WORDS]>,
    pub masked: u16,
    pub console: Vec<u8>,
    pub exited: Option<u32>,
    pub invalidations: u64,
}

impl HostMachine {
    pub fn new(base: u32, count: usize) -> HostMachine {
        HostMachine {
            base,
            frames: vec![[0u32; FRAME_WORDS]; count],
            masked: 0xFFFF,
            console: Vec::new(),
            exited: None,
            invalidations: 0,
        }
    }
}

impl Machine for HostMachine {
    fn frame(&mut self, pfn: u32) -> &mut [u32; FRAME_WORDS] {
        let i = pfn.checked_sub(self.base).expect("frame below host memory") as usize;
        &mut self.frames[i]
    }
    fn copy_words(&mut self, s: u32, sw: usize, d: u32, dw: usize, n: usize) {
        let tmp: Vec<u32> = self.frame(s)[sw..sw + n].to_vec();
        self.frame(d)[dw..dw + n].copy_from_slice(&tmp);
    }
    fn invalidate(&mut self, _pd: u32, _va: u32) {
        self.invalidations += 1;
    }
    fn mask_irq(&mut self, irq: u32) {
        self.masked |= 1 << irq;
    }
    fn unmask_irq(&mut self, irq: u32) {
        self.masked &= !(1 << irq);
    }
    fn console(&mut self, bytes: &[u8]) {
        self.console.extend_from_slice(bytes);
    }
    fn exit(&mut self, status: u32) {
        self.exited = Some(status);
    }
}
