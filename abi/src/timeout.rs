//! IPC timeouts (L4 X.2 relative encoding).
//!
//! A timeout is 16 bits: `0` = never, `0x0400` = zero (do not block), otherwise
//! `m * 2^e` microseconds with `e` in bits 10..15 and `m` (non-zero) in bits
//! 0..10. The IPC call passes the send timeout in the upper and the receive
//! timeout in the lower half of `edx`.

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[repr(transparent)]
pub struct Timeout(pub u16);

impl Timeout {
    pub const NEVER: Timeout = Timeout(0);
    pub const ZERO: Timeout = Timeout(0x0400);

    /// The encoding closest to (and not below) `us` microseconds.
    pub fn from_micros(us: u64) -> Timeout {
        if us == 0 {
            return Timeout::ZERO;
        }
        let mut e = 0u32;
        let mut m = us;
        while m > 0x3FF {
            // round up so that the timeout never fires early
            m = (m + 1) >> 1;
            e += 1;
        }
        if e > 31 {
            return Timeout::NEVER;
        }
        Timeout((e << 10) as u16 | m as u16)
    }

    pub fn is_never(self) -> bool {
        self.0 == 0
    }
    pub fn is_zero(self) -> bool {
        self.0 != 0 && self.0 & 0x3FF == 0
    }

    /// Relative duration in microseconds; `None` for never.
    pub fn micros(self) -> Option<u64> {
        if self.is_never() {
            return None;
        }
        let e = (self.0 >> 10) as u32 & 0x1F;
        let m = (self.0 & 0x3FF) as u64;
        Some(m << e)
    }

    /// Pack a send and a receive timeout into the IPC `edx` word.
    pub fn pack(send: Timeout, recv: Timeout) -> u32 {
        (send.0 as u32) << 16 | recv.0 as u32
    }
    pub fn unpack(word: u32) -> (Timeout, Timeout) {
        (Timeout((word >> 16) as u16), Timeout(word as u16))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_values() {
        assert!(Timeout::NEVER.is_never());
        assert_eq!(Timeout::NEVER.micros(), None);
        assert!(Timeout::ZERO.is_zero());
        assert_eq!(Timeout::ZERO.micros(), Some(0));
        assert_eq!(Timeout::from_micros(0), Timeout::ZERO);
    }

    #[test]
    fn never_early() {
        for us in [1u64, 5, 1023, 1024, 1025, 10_000, 999_999, 123_456_789] {
            let t = Timeout::from_micros(us);
            let back = t.micros().unwrap();
            assert!(back >= us, "{us} -> {back}");
            assert!(back <= us + us / 512 + 1, "{us} -> {back}");
        }
    }

    #[test]
    fn pack_unpack() {
        let (s, r) = Timeout::unpack(Timeout::pack(Timeout::ZERO, Timeout(0x1234)));
        assert_eq!(s, Timeout::ZERO);
        assert_eq!(r, Timeout(0x1234));
    }
}
