//! The boundary between the portable kernel core and the hardware: access to
//! physical frames (page tables, UTCBs, the KIP), TLB maintenance, interrupt
//! masking and the debug console. The x86 layer implements it on the real
//! machine; host tests implement it over plain memory.

/// Words in a 4 KiB frame.
pub const FRAME_WORDS: usize = 1024;

pub trait Machine {
    /// The frame with page number `pfn` as words. Only frames the kernel owns
    /// (its pool, the KIP) are ever asked for.
    fn frame(&mut self, pfn: u32) -> &mut [u32; FRAME_WORDS];
    /// Copy `n` words between two different frames.
    fn copy_words(&mut self, src_pfn: u32, src_word: usize, dst_pfn: u32, dst_word: usize, n: usize);
    /// Zero words `start..start + n` of a frame (the x86 layer uses a
    /// string instruction; fresh page tables and UTCBs are zeroed often).
    fn zero_words(&mut self, pfn: u32, start: usize, n: usize) {
        self.frame(pfn)[start..start + n].fill(0);
    }
    /// The first non-zero word of a frame in `start..end` (page tables are
    /// mostly zero; the x86 layer scans with `repe scasd`).
    fn find_nonzero(&mut self, pfn: u32, start: usize, end: usize) -> Option<usize> {
        self.frame(pfn)[start..end].iter().position(|&w| w != 0).map(|k| start + k)
    }
    /// A page-table entry of the space whose page directory is `pd_pfn`
    /// changed at `vaddr` (removed or with fewer rights): flush it if that
    /// space is loaded.
    fn invalidate(&mut self, pd_pfn: u32, vaddr: u32);
    /// Mask / unmask a hardware interrupt line.
    fn mask_irq(&mut self, irq: u32);
    fn unmask_irq(&mut self, irq: u32);
    /// Write to the kernel console.
    fn console(&mut self, bytes: &[u8]);
    /// Stop the machine with an exit status (tests, kdebug EXIT).
    fn exit(&mut self, status: u32);
}

/// The machine console as a `kprint::Out`.
pub struct Console<'m, M: Machine>(pub &'m mut M);
