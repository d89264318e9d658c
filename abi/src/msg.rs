//! Message formats: the message tag (MR0), flexpages, map/grant items, and the
//! layouts of the messages the kernel itself sends (page faults, exceptions,
//! interrupts).
//!
//! A message is MR0 (the tag) followed by `u` untyped words and `t` typed
//! words (map/grant items, two words each): MR1..=MRu untyped, then the items.
//! MR0..MR3 travel in registers, MR4..MR63 in the UTCB.

/// Highest message register index.
pub const MAX_MR: usize = 63;
/// Message registers passed in CPU registers (MR0..MR3).
pub const REG_MRS: usize = 4;

/// MR0: `label:16 | flags:4 | t:6 | u:6`.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
#[repr(transparent)]
pub struct MsgTag(pub u32);

impl MsgTag {
    pub const fn new(label: u16, untyped: u32, typed: u32) -> MsgTag {
        MsgTag((label as u32) << 16 | (typed & 0x3F) << 6 | (untyped & 0x3F))
    }
    pub const fn label(self) -> u16 {
        (self.0 >> 16) as u16
    }
    pub const fn untyped(self) -> u32 {
        self.0 & 0x3F
    }
    pub const fn typed(self) -> u32 {
        (self.0 >> 6) & 0x3F
    }
    pub const fn flags(self) -> u32 {
        (self.0 >> 12) & 0xF
    }
    /// Number of message registers after MR0.
    pub const fn words(self) -> u32 {
        self.untyped() + self.typed()
    }
}

impl core::fmt::Debug for MsgTag {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "tag(label={:#x} u={} t={})", self.label(), self.untyped(), self.typed())
    }
}

/// Labels of kernel-generated messages (high values, as in L4 X.2).
pub mod label {
    /// Page fault: `PAGE_FAULT | access`, access bits as in [`super::rights`].
    pub const PAGE_FAULT: u16 = 0xFFE0;
    pub const PAGE_FAULT_MASK: u16 = 0xFFF0;
    /// Exception (CPU exception, `int 0x80`, or a raised exception).
    pub const EXCEPTION: u16 = 0xFFB0;
    /// Interrupt from an IRQ thread id.
    pub const IRQ: u16 = 0xFFF0;
}

/// Access rights in flexpages and page-fault labels.
pub mod rights {
    pub const X: u32 = 1;
    pub const W: u32 = 2;
    pub const R: u32 = 4;
    pub const RX: u32 = R | X;
    pub const RW: u32 = R | W;
    pub const RWX: u32 = R | W | X;
}

/// A flexpage: `base | size_log2 << 4 | rights`. The base is aligned to the
/// size; `size_log2` is 12..=32 (32 with base 0 is the whole address space).
/// The all-zero word is the nil flexpage.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
#[repr(transparent)]
pub struct Fpage(pub u32);

impl Fpage {
    pub const NIL: Fpage = Fpage(0);

    pub const fn new(base: u32, size_log2: u32, rights: u32) -> Fpage {
        Fpage((base & !0xFFF) | (size_log2 & 0x3F) << 4 | (rights & 7))
    }
    /// The whole address space.
    pub const fn complete(rights: u32) -> Fpage {
        Fpage::new(0, 32, rights)
    }
    pub const fn base(self) -> u32 {
        self.0 & !0xFFF
    }
    pub const fn size_log2(self) -> u32 {
        (self.0 >> 4) & 0x3F
    }
    pub const fn rights(self) -> u32 {
        self.0 & 7
    }
    pub const fn is_nil(self) -> bool {
        self.size_log2() == 0
    }
    /// Size in bytes (u64 so that the whole space fits).
    pub const fn size(self) -> u64 {
        1u64 << self.size_log2()
    }
    pub const fn end(self) -> u64 {
        self.base() as u64 + self.size()
    }
    /// A well-formed, non-nil flexpage: size 12..=32 and the base aligned.
    pub const fn is_valid(self) -> bool {
        let s = self.size_log2();
        if s < 12 || s > 32 || self.0 & 0xC00 != 0 {
            return false;
        }
        s == 32 && self.base() == 0 || s < 32 && self.base() & ((1u32 << s) - 1) == 0
    }
}

impl core::fmt::Debug for Fpage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "fpage({:#x}, 2^{}, {:03b})", self.base(), self.size_log2(), self.rights())
    }
}

/// A map or grant item: two typed words. Word 0 is `send_base | kind`, where
/// kind is `0x8` (map) or `0xA` (grant); word 1 is the sender's flexpage.
/// The send base selects which part of a larger side is used when sender
/// flexpage and receive window differ in size (L4 X.2 rules).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct MapItem {
    pub send_base: u32,
    pub fpage: Fpage,
    pub grant: bool,
}

impl MapItem {
    pub const KIND_MAP: u32 = 0x8;
    pub const KIND_GRANT: u32 = 0xA;

    pub const fn map(send_base: u32, fpage: Fpage) -> MapItem {
        MapItem { send_base, fpage, grant: false }
    }
    pub const fn grant(send_base: u32, fpage: Fpage) -> MapItem {
        MapItem { send_base, fpage, grant: true }
    }
    pub const fn words(self) -> [u32; 2] {
        let kind = if self.grant { Self::KIND_GRANT } else { Self::KIND_MAP };
        [(self.send_base & !0xFFF) | kind, self.fpage.0]
    }
    /// Decode; `None` if word 0 is not a map or grant item.
    pub const fn decode(w0: u32, w1: u32) -> Option<MapItem> {
        let grant = match w0 & 0xF {
            Self::KIND_MAP => false,
            Self::KIND_GRANT => true,
            _ => return None,
        };
        Some(MapItem { send_base: w0 & !0xFFF, fpage: Fpage(w1), grant })
    }
}

/// Layout of an exception message (label [`label::EXCEPTION`], `u = EXC_WORDS`).
/// The reply's first `u` untyped words overwrite the same fields of the
/// thread's registers in this order (so a syscall reply with `u = 1` sets
/// only eax). eflags are masked to the user-changeable bits.
pub mod exc {
    pub const EAX: usize = 1;
    pub const EBX: usize = 2;
    pub const ECX: usize = 3;
    pub const EDX: usize = 4;
    pub const ESI: usize = 5;
    pub const EDI: usize = 6;
    pub const EBP: usize = 7;
    pub const EIP: usize = 8;
    pub const ESP: usize = 9;
    pub const EFLAGS: usize = 10;
    /// Vector: CPU exception number, 0x80 for `int 0x80`, [`RAISED`] for an
    /// exception raised by exchange-registers. Read-only.
    pub const VECTOR: usize = 11;
    /// The CPU error code (0 where the CPU pushes none). Read-only.
    pub const ERROR: usize = 12;
    /// Number of untyped words in an exception message.
    pub const WORDS: u32 = 12;
    /// Number of words a reply may overwrite (eax..eflags).
    pub const WRITABLE: u32 = 10;
    /// Pseudo vector of an exception raised with exchange-registers.
    pub const RAISED: u32 = 0x100;
    /// eflags bits a handler may change: CF PF AF ZF SF TF DF OF AC.
    pub const EFLAGS_USER: u32 = 0x0004_0DD5;
}

/// Layout of a page-fault message (label `PAGE_FAULT | access`, `u = 2`).
pub mod pf {
    pub const ADDR: usize = 1;
    pub const EIP: usize = 2;
    pub const WORDS: u32 = 2;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_fields() {
        let t = MsgTag::new(0xFFE2, 2, 4);
        assert_eq!(t.label(), 0xFFE2);
        assert_eq!(t.untyped(), 2);
        assert_eq!(t.typed(), 4);
        assert_eq!(t.words(), 6);
        assert_eq!(t.flags(), 0);
    }

    #[test]
    fn fpage_validity() {
        assert!(Fpage::new(0x1000, 12, rights::RW).is_valid());
        assert!(Fpage::new(0x40_0000, 22, rights::R).is_valid());
        assert!(!Fpage::new(0x1000, 13, rights::R).is_valid()); // misaligned
        assert!(!Fpage::new(0x1000, 11, rights::R).is_valid()); // too small
        assert!(!Fpage::new(0x1000, 33, rights::R).is_valid());
        assert!(Fpage::complete(rights::RWX).is_valid());
        assert!(Fpage::NIL.is_nil());
        assert_eq!(Fpage::complete(0).size(), 1 << 32);
        assert!(!Fpage(0x1000 | 12 << 4 | 0x400).is_valid()); // reserved bits
    }

    #[test]
    fn map_item_roundtrip() {
        let m = MapItem::grant(0x5000, Fpage::new(0x2000, 12, rights::RW));
        let [a, b] = m.words();
        assert_eq!(MapItem::decode(a, b), Some(m));
        assert_eq!(MapItem::decode(0x5001, b), None);
    }
}
