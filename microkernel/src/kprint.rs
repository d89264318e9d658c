//! Kernel log output without `core::fmt`: a message is written piece by
//! piece, `out.s("thread ").tid(id).s(" at ").hex(addr).s("\n")` printing
//! what `format_args!("thread {:?} at {:#x}\n", id, addr)` would. Each piece
//! is a plain call; `core::fmt` with its `Formatter`, padding and the
//! `Display`/`Debug` impls would cost the kernel kilobytes of `.text`.

use crate::machine::{Console, Machine};
use l4_abi::ThreadId;

/// Where the text goes (the serial port, the machine console), and the
/// pieces a message is made of.
pub trait Out {
    fn put(&mut self, bytes: &[u8]);

    /// A string, like `{}`.
    fn s(&mut self, s: &str) -> &mut Self
    where
        Self: Sized,
    {
        self.put(s.as_bytes());
        self
    }
    /// Decimal, like `{}`.
    fn dec(&mut self, v: u32) -> &mut Self
    where
        Self: Sized,
    {
        dec(self, v);
        self
    }
    /// Like `{:#x}`.
    fn hex(&mut self, v: u32) -> &mut Self
    where
        Self: Sized,
    {
        hex(self, v as u64, 1);
        self
    }
    /// Like `{:#06x}`.
    fn hex4(&mut self, v: u32) -> &mut Self
    where
        Self: Sized,
    {
        hex(self, v as u64, 4);
        self
    }
    /// Like `{:#010x}` (wider values print all their digits).
    fn hex8(&mut self, v: impl Into<u64>) -> &mut Self
    where
        Self: Sized,
    {
        hex(self, v.into(), 8);
        self
    }
    /// A thread id, like its `Debug`: `nil`, `any`, `irq3` or `number.version`.
    fn tid(&mut self, id: ThreadId) -> &mut Self
    where
        Self: Sized,
    {
        tid(self, id);
        self
    }
}

impl<M: Machine> Out for Console<'_, M> {
    fn put(&mut self, bytes: &[u8]) {
        self.0.console(bytes);
    }
}

fn dec(out: &mut dyn Out, mut v: u32) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.put(&buf[i..]);
}

/// `0x` and at least `digits` (at most 16) hexadecimal digits.
fn hex(out: &mut dyn Out, mut v: u64, digits: usize) {
    let mut buf = [0u8; 18];
    let mut i = buf.len();
    while v != 0 || buf.len() - i < digits {
        i -= 1;
        buf[i] = b"0123456789abcdef"[(v & 15) as usize];
        v >>= 4;
    }
    i -= 2;
    buf[i] = b'0';
    buf[i + 1] = b'x';
    out.put(&buf[i..]);
}

fn tid(out: &mut dyn Out, id: ThreadId) {
    if id.is_nil() {
        out.put(b"nil");
    } else if id.is_any() {
        out.put(b"any");
    } else if let Some(irq) = id.as_irq() {
        out.put(b"irq");
        dec(out, irq);
    } else {
        dec(out, id.number());
        out.put(b".");
        dec(out, id.version());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    struct Text(Vec<u8>);

    impl Out for Text {
        fn put(&mut self, bytes: &[u8]) {
            self.0.extend_from_slice(bytes);
        }
    }

    fn text(f: impl for<'a> FnOnce(&'a mut Text) -> &'a mut Text) -> String {
        let mut t = Text(Vec::new());
        f(&mut t);
        String::from_utf8(t.0).unwrap()
    }

    #[test]
    fn numbers_print_like_core_fmt() {
        for v in [0u32, 1, 9, 10, 0xF, 0x10, 12345, 0xDEAD_BEEF, u32::MAX] {
            assert_eq!(text(|o| o.dec(v)), format!("{}", v));
            assert_eq!(text(|o| o.hex(v)), format!("{:#x}", v));
            assert_eq!(text(|o| o.hex4(v)), format!("{:#06x}", v));
            assert_eq!(text(|o| o.hex8(v)), format!("{:#010x}", v));
        }
        for v in [0x1_0000_0000u64, u64::MAX, 0x3F00_0000] {
            assert_eq!(text(|o| o.hex8(v)), format!("{:#010x}", v));
        }
    }

    #[test]
    fn thread_ids_print_like_their_debug() {
        let ids = [ThreadId::NIL, ThreadId::ANY, ThreadId::irq(0), ThreadId::irq(15), ThreadId::new(551, 5), ThreadId::new(17, 2)];
        for id in ids {
            assert_eq!(text(|o| o.tid(id)), format!("{:?}", id));
        }
    }

    #[test]
    fn pieces_in_order() {
        let id = ThreadId::new(551, 5);
        let want = format!("[kernel] thread {:?}: page fault at {:#x}\n", id, 0x1234_5000);
        assert_eq!(text(|o| o.s("[kernel] thread ").tid(id).s(": page fault at ").hex(0x1234_5000).s("\n")), want);
    }
}
