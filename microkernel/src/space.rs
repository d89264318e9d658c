//! Address spaces: the space table and two-level i386 page tables kept in
//! pool frames. The kernel half of every page directory is a copy of the
//! master directory's (identical and static after boot); the top page table
//! of user space holds the KIP and the UTCBs.

use crate::machine::Machine;
use crate::pool::Pool;
use crate::pte;
use l4_abi::layout::{KERNEL_BASE, RESERVED_BASE};

pub const NO_SPACE: u16 = u16::MAX;
/// Page-directory index of the first kernel entry.
pub const KERNEL_PDE: usize = pte::pd_index(KERNEL_BASE);

#[derive(Clone, Copy, Debug, Default)]
pub struct Space {
    /// Page-directory frame; 0 for a free slot.
    pub pd: u32,
    /// The space that created this one (may control its threads).
    pub owner: u16,
    /// Live threads in the space.
    pub threads: u16,
    /// Free-list link of free slots.
    pub next_free: u16,
    /// May use privileged calls (sigma0 and the roottask).
    pub privileged: bool,
    /// Map items from this space name physical frames (sigma0).
    pub physical: bool,
    /// UTCB slots in use.
    pub utcb_used: [u32; 8],
    /// Frame holding the I/O permission bitmap (1 = allowed), 0 for none.
    pub io_pfn: u32,
    /// Mach build: the space's port names.
    #[cfg(feature = "mach")]
    pub names: crate::mach::NameTable,
}

impl Space {
    pub fn is_live(&self) -> bool {
        self.pd != 0
    }
    pub fn utcb_taken(&self, slot: u32) -> bool {
        self.utcb_used[(slot / 32) as usize] & 1 << (slot % 32) != 0
    }
    pub fn set_utcb(&mut self, slot: u32, used: bool) {
        let w = &mut self.utcb_used[(slot / 32) as usize];
        if used {
            *w |= 1 << (slot % 32);
        } else {
            *w &= !(1 << (slot % 32));
        }
    }
}

/// The page-table entry for `va` (0 if there is no page table).
pub fn lookup<M: Machine>(m: &mut M, pd: u32, va: u32) -> u32 {
    let pde = m.frame(pd)[pte::pd_index(va)];
    if !pte::is_present(pde) {
        return 0;
    }
    m.frame(pte::pfn(pde))[pte::pt_index(va)]
}

/// Set the entry for `va`, allocating the page table from the pool.
pub fn set<M: Machine>(m: &mut M, pool: &mut Pool, pd: u32, va: u32, entry: u32) -> Option<()> {
    let pdi = pte::pd_index(va);
    let mut pde = m.frame(pd)[pdi];
    if !pte::is_present(pde) {
        let pt = pool.alloc()?;
        m.frame(pt).fill(0);
        pde = pte::user_table(pt);
        m.frame(pd)[pdi] = pde;
    }
    m.frame(pte::pfn(pde))[pte::pt_index(va)] = entry;
    Some(())
}

/// Clear the entry for `va`; returns the old entry.
pub fn clear<M: Machine>(m: &mut M, pd: u32, va: u32) -> u32 {
    let pde = m.frame(pd)[pte::pd_index(va)];
    if !pte::is_present(pde) {
        return 0;
    }
    let t = m.frame(pte::pfn(pde));
    let old = t[pte::pt_index(va)];
    t[pte::pt_index(va)] = 0;
    old
}

/// A fresh page directory: user half empty, kernel half from `master`.
pub fn new_pd<M: Machine>(m: &mut M, pool: &mut Pool, master: u32) -> Option<u32> {
    let pd = pool.alloc()?;
    m.frame(pd)[..KERNEL_PDE].fill(0);
    m.copy_words(master, KERNEL_PDE, pd, KERNEL_PDE, 1024 - KERNEL_PDE);
    Some(pd)
}

/// Call `f(va, entry)` for every present user entry below the reserved area.
pub fn for_each_user_page<M: Machine>(m: &mut M, pd: u32, mut f: impl FnMut(&mut M, u32, u32)) {
    for pdi in 0..=pte::pd_index(RESERVED_BASE - 1) {
        let pde = m.frame(pd)[pdi];
        if !pte::is_present(pde) {
            continue;
        }
        for pti in 0..1024 {
            let va = (pdi as u32) << 22 | (pti as u32) << 12;
            if va >= RESERVED_BASE {
                break;
            }
            let e = m.frame(pte::pfn(pde))[pti];
            if pte::is_present(e) {
                f(m, va, e);
            }
        }
    }
}

/// Free all page tables of the user half and the directory itself. The
/// caller has removed every mapping first.
pub fn free_tables<M: Machine>(m: &mut M, pool: &mut Pool, pd: u32) {
    for pdi in 0..KERNEL_PDE {
        let pde = m.frame(pd)[pdi];
        if pte::is_present(pde) {
            pool.free(pte::pfn(pde));
        }
    }
    pool.free(pd);
}
