//! i386 page-table and page-directory entry encoding (4 KiB pages only: the
//! i486 has no large pages).

use l4_abi::msg::rights;

pub const PRESENT: u32 = 1 << 0;
pub const WRITABLE: u32 = 1 << 1;
pub const USER: u32 = 1 << 2;
pub const ACCESSED: u32 = 1 << 5;
pub const DIRTY: u32 = 1 << 6;
pub const FRAME_MASK: u32 = 0xFFFF_F000;

/// Index into the page directory.
pub const fn pd_index(vaddr: u32) -> usize {
    (vaddr >> 22) as usize
}
/// Index into a page table.
pub const fn pt_index(vaddr: u32) -> usize {
    ((vaddr >> 12) & 0x3FF) as usize
}

/// A user page mapping `pfn` with L4 `rights`: the read right makes it
/// present, W writable (the i486 cannot refuse execution). Returns 0 (not
/// present) without the read right.
pub const fn user_page(pfn: u32, r: u32) -> u32 {
    if r & rights::R == 0 {
        return 0;
    }
    let mut e = pfn << 12 | PRESENT | USER;
    if r & rights::W != 0 {
        e |= WRITABLE;
    }
    e
}

/// A page-directory entry pointing at a user page table.
pub const fn user_table(pfn: u32) -> u32 {
    pfn << 12 | PRESENT | WRITABLE | USER
}

/// A supervisor-only, writable kernel mapping.
pub const fn kernel_page(pfn: u32) -> u32 {
    pfn << 12 | PRESENT | WRITABLE
}

pub const fn is_present(e: u32) -> bool {
    e & PRESENT != 0
}
pub const fn pfn(e: u32) -> u32 {
    e >> 12
}
/// L4 rights a present user PTE grants.
pub const fn rights_of(e: u32) -> u32 {
    if e & PRESENT == 0 {
        0
    } else if e & WRITABLE != 0 {
        rights::RWX
    } else {
        rights::RX
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding() {
        assert_eq!(user_page(0x123, rights::RW), 0x123007);
        assert_eq!(user_page(0x123, rights::R), 0x123005);
        assert_eq!(user_page(0x123, rights::W), 0); // write-only is not mappable
        assert_eq!(kernel_page(1), 0x1003);
        assert_eq!(pd_index(0xC010_0000), 768);
        assert_eq!(pt_index(0xC010_3000), 0x103);
        assert_eq!(pfn(user_page(0xABCDE, rights::R)), 0xABCDE);
        assert_eq!(rights_of(user_page(5, rights::RW)), rights::RWX);
        assert_eq!(rights_of(0), 0);
    }
}
