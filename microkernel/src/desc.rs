//! x86 segment descriptor encoding: the flat GDT segments, the TSS
//! descriptor, and TLS descriptors built from Linux `user_desc`-style fields.
//! Plain bit arithmetic, unit-tested on the host.

use l4_abi::syscall::tls;

/// Segment type: execute/read code.
pub const CODE: u64 = 0xA;
/// Segment type: read/write data.
pub const DATA: u64 = 0x2;

/// Encode a segment descriptor.
/// `access` holds the type (4 bits), S, DPL and P as in the descriptor's byte 5;
/// `flags` holds AVL, L, D/B and G (byte 6 high nibble).
pub const fn encode(base: u32, limit: u32, access: u8, flags: u8) -> u64 {
    let base = base as u64;
    let limit = limit as u64;
    (limit & 0xFFFF)
        | (base & 0xFF_FFFF) << 16
        | (access as u64) << 40
        | ((limit >> 16) & 0xF) << 48
        | ((flags as u64) & 0xF) << 52
        | ((base >> 24) & 0xFF) << 56
}

/// A flat 4 GiB, 32-bit, present segment of type `kind` at privilege `dpl`.
pub const fn flat(kind: u64, dpl: u8) -> u64 {
    encode(0, 0xF_FFFF, 0x90 | (dpl << 5) | kind as u8, 0xC)
}

/// An available 32-bit TSS descriptor.
pub const fn tss(base: u32, limit: u32) -> u64 {
    encode(base, limit, 0x89, 0)
}

/// A user (DPL 3) TLS descriptor from `set_thread_area`-style fields, or
/// `None` if the fields ask for something a user segment may not be.
/// `flags` uses [`l4_abi::syscall::tls`]; `CLEAR` yields the empty descriptor.
pub fn tls_desc(base: u32, limit: u32, flags: u32) -> Option<u64> {
    if flags & tls::CLEAR != 0 {
        return Some(0);
    }
    if limit > 0xF_FFFF {
        return None;
    }
    let contents = (flags >> tls::CONTENTS_SHIFT) & 3;
    if contents == 3 {
        return None; // conforming code: refused, as Linux does
    }
    let read_exec_only = flags & tls::READ_EXEC_ONLY != 0;
    // type: bit3 code, bit2 expand-down/conforming, bit1 writable/readable, bit0 accessed
    let mut ty: u8 = match contents {
        0 => 0x0,
        1 => 0x4,
        _ => 0x8,
    };
    if contents == 2 {
        if !read_exec_only {
            ty |= 0x2; // readable code
        }
    } else if !read_exec_only {
        ty |= 0x2; // writable data
    }
    ty |= 0x1; // accessed, so the CPU never writes the GDT
    let present = flags & tls::SEG_NOT_PRESENT == 0;
    let access = (present as u8) << 7 | 3 << 5 | 0x10 | ty;
    let mut f = 0u8;
    if flags & tls::SEG_32BIT != 0 {
        f |= 0x4;
    }
    if flags & tls::LIMIT_IN_PAGES != 0 {
        f |= 0x8;
    }
    if flags & tls::USEABLE != 0 {
        f |= 0x1;
    }
    Some(encode(base, limit, access, f))
}

/// True if a descriptor is present and user-accessible (DPL 3).
pub const fn is_user_present(d: u64) -> bool {
    let access = (d >> 40) as u8;
    access & 0x80 != 0 && access & 0x60 == 0x60 && access & 0x10 != 0
}

/// Decode base, limit and flags back (for `get_thread_area`-style reads).
pub fn tls_fields(d: u64) -> (u32, u32, u32) {
    if d == 0 {
        return (0, 0, tls::CLEAR);
    }
    let base = ((d >> 16) & 0xFF_FFFF) as u32 | (((d >> 56) & 0xFF) as u32) << 24;
    let limit = (d & 0xFFFF) as u32 | (((d >> 48) & 0xF) as u32) << 16;
    let access = (d >> 40) as u8;
    let f = (d >> 52) as u8 & 0xF;
    let ty = access & 0xF;
    let contents = if ty & 0x8 != 0 { 2 } else if ty & 0x4 != 0 { 1 } else { 0 };
    let mut flags = contents << tls::CONTENTS_SHIFT;
    if ty & 0x2 == 0 {
        flags |= tls::READ_EXEC_ONLY;
    }
    if access & 0x80 == 0 {
        flags |= tls::SEG_NOT_PRESENT;
    }
    if f & 0x4 != 0 {
        flags |= tls::SEG_32BIT;
    }
    if f & 0x8 != 0 {
        flags |= tls::LIMIT_IN_PAGES;
    }
    if f & 0x1 != 0 {
        flags |= tls::USEABLE;
    }
    (base, limit, flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_segments_match_known_values() {
        assert_eq!(flat(CODE, 0), 0x00CF_9A00_0000_FFFF);
        assert_eq!(flat(DATA, 0), 0x00CF_9200_0000_FFFF);
        assert_eq!(flat(CODE, 3), 0x00CF_FA00_0000_FFFF);
        assert_eq!(flat(DATA, 3), 0x00CF_F200_0000_FFFF);
    }

    #[test]
    fn tls_roundtrip() {
        let flags = tls::SEG_32BIT | tls::LIMIT_IN_PAGES | tls::USEABLE;
        let d = tls_desc(0x1234_5678, 0xF_FFFF, flags).unwrap();
        assert!(is_user_present(d));
        assert_eq!(tls_fields(d), (0x1234_5678, 0xF_FFFF, flags));
    }

    #[test]
    fn tls_rejects_bad() {
        assert_eq!(tls_desc(0, 0x10_0000, 0), None);
        assert_eq!(tls_desc(0, 0, 3 << tls::CONTENTS_SHIFT), None);
        assert_eq!(tls_desc(0, 0, tls::CLEAR), Some(0));
        let np = tls_desc(0, 1, tls::SEG_NOT_PRESENT).unwrap();
        assert!(!is_user_present(np));
    }
}
