//! Address spaces: the space table and two-level i386 page tables kept in
//! pool frames. The kernel half of every page directory is a copy of the
//! master directory's (identical and static after boot); the top page table
//! of user space holds the KIP and the UTCBs.

use crate::machine::{Machine, FRAME_WORDS};
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
        m.zero_words(pt, 0, FRAME_WORDS);
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
    m.zero_words(pd, 0, KERNEL_PDE);
    m.copy_words(master, KERNEL_PDE, pd, KERNEL_PDE, 1024 - KERNEL_PDE);
    Some(pd)
}

/// Call `f(va, entry)` for every present user entry below the reserved area.
/// (Absent entries are skipped with tight scans: an exiting process has a
/// few page tables, mostly empty, and this runs for every one.)
pub fn for_each_user_page<M: Machine>(m: &mut M, pd: u32, mut f: impl FnMut(&mut M, u32, u32)) {
    const LAST_PDE: usize = pte::pd_index(RESERVED_BASE - 1);
    const LAST_END: usize = pte::pt_index(RESERVED_BASE - 1) + 1;
    let mut pdi = 0;
    while let Some(d) = m.find_nonzero(pd, pdi, LAST_PDE + 1) {
        let pde = m.frame(pd)[d];
        pdi = d + 1;
        if !pte::is_present(pde) {
            continue;
        }
        let pt = pte::pfn(pde);
        let end = if d == LAST_PDE { LAST_END } else { FRAME_WORDS };
        let mut pti = 0;
        while let Some(k) = m.find_nonzero(pt, pti, end) {
            let e = m.frame(pt)[k];
            pti = k + 1;
            if pte::is_present(e) {
                f(m, (d as u32) << 22 | (k as u32) << 12, e);
            }
        }
    }
}

/// Free all page tables of the user half and the directory itself. The
/// caller has removed every mapping first.
pub fn free_tables<M: Machine>(m: &mut M, pool: &mut Pool, pd: u32) {
    let mut pdi = 0;
    while let Some(d) = m.find_nonzero(pd, pdi, KERNEL_PDE) {
        let pde = m.frame(pd)[d];
        if pte::is_present(pde) {
            pool.free(pte::pfn(pde));
        }
        pdi = d + 1;
    }
    pool.free(pd);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostmachine::HostMachine;

    #[test]
    fn walks_present_user_pages_and_frees_tables() {
        let mut m = HostMachine::new(100, 16);
        let mut store = [0u32; 16];
        let mut pool = Pool::new(&mut store);
        for pfn in 101..116 {
            assert!(pool.add(pfn));
        }
        let master = 100;
        let pd = new_pd(&mut m, &mut pool, master).unwrap();
        // the first page, pages at both ends of a table, the last user page
        // below the reserved area, and a UTCB page (not a user page)
        let vas = [0x0000_0000, 0x0800_0000, 0x083F_F000, 0x4000_0000, RESERVED_BASE - 0x1000];
        for (i, &va) in vas.iter().enumerate() {
            set(&mut m, &mut pool, pd, va, pte::user_page(50 + i as u32, 6)).unwrap();
        }
        set(&mut m, &mut pool, pd, RESERVED_BASE, pte::user_page(60, 6)).unwrap();
        let mut seen = vec![];
        for_each_user_page(&mut m, pd, |_, va, e| seen.push((va, pte::pfn(e))));
        let want: Vec<_> = vas.iter().enumerate().map(|(i, &va)| (va, 50 + i as u32)).collect();
        assert_eq!(seen, want);
        let before = pool.available();
        free_tables(&mut m, &mut pool, pd);
        // four page tables (0x000, 0x020, 0x100, 0x2FF) and the directory
        assert_eq!(pool.available(), before + 5);
    }
}
