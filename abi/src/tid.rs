//! Global thread ids: a thread number and a version.
//!
//! `id = number << 14 | version`. The kernel bumps a slot's version every time
//! the slot is reused, so an id kept after its thread died is detected as stale
//! (`Error::InvalidThread`). Version 0 is never used by a live thread, so a
//! real id is never `NIL`. Thread numbers `1..=16` name interrupt sources
//! (IRQ `n` is number `n + 1`, version 1): IRQ IPC comes "from" those ids.

/// A global thread id. `NIL` (0) means "no thread", `ANY` (all ones) is the
/// open-wait receive specifier.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
#[repr(transparent)]
pub struct ThreadId(pub u32);

impl ThreadId {
    pub const VERSION_BITS: u32 = 14;
    pub const VERSION_MASK: u32 = (1 << Self::VERSION_BITS) - 1;
    pub const NIL: ThreadId = ThreadId(0);
    pub const ANY: ThreadId = ThreadId(u32::MAX);
    /// Number of IRQ lines that have thread ids.
    pub const IRQS: u32 = 16;
    /// First thread number available for real threads.
    pub const FIRST_THREAD: u32 = 32;

    pub const fn new(number: u32, version: u32) -> ThreadId {
        ThreadId(number << Self::VERSION_BITS | (version & Self::VERSION_MASK))
    }
    pub const fn number(self) -> u32 {
        self.0 >> Self::VERSION_BITS
    }
    pub const fn version(self) -> u32 {
        self.0 & Self::VERSION_MASK
    }
    pub const fn is_nil(self) -> bool {
        self.0 == 0
    }
    pub const fn is_any(self) -> bool {
        self.0 == u32::MAX
    }
    /// The id interrupt line `irq` sends from.
    pub const fn irq(irq: u32) -> ThreadId {
        ThreadId::new(irq + 1, 1)
    }
    /// The IRQ line this id names, if it names one.
    pub const fn as_irq(self) -> Option<u32> {
        let n = self.number();
        if n >= 1 && n <= Self::IRQS && self.version() == 1 {
            Some(n - 1)
        } else {
            None
        }
    }
}

impl core::fmt::Debug for ThreadId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.is_nil() {
            write!(f, "nil")
        } else if self.is_any() {
            write!(f, "any")
        } else if let Some(irq) = self.as_irq() {
            write!(f, "irq{}", irq)
        } else {
            write!(f, "{}.{}", self.number(), self.version())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let t = ThreadId::new(1234, 77);
        assert_eq!(t.number(), 1234);
        assert_eq!(t.version(), 77);
        assert!(!t.is_nil() && !t.is_any());
    }

    #[test]
    fn irq_ids() {
        for irq in 0..16 {
            assert_eq!(ThreadId::irq(irq).as_irq(), Some(irq));
        }
        assert_eq!(ThreadId::new(32, 1).as_irq(), None);
        assert_eq!(ThreadId::NIL.as_irq(), None);
        assert_eq!(ThreadId::ANY.as_irq(), None);
    }
}
