//! The seeded operation generator. Operation `i` of the sequence with seed
//! `s` is `op_at(s, i, profile)`: a pure function, so the host and the
//! replay task in QEMU generate identical sequences without sharing
//! anything but two numbers. Invalid arguments (stale and garbage ids,
//! malformed flexpages and messages, out-of-range values) are part of the
//! mix.

use crate::op::{IpcOp, Op, Prio, Tref, UtcbSel, KDEBUG_OPS};
use crate::world::{page_addr, IRQ_LINES, TEST_PAGES};
use l4_abi::msg::{exc, rights, Fpage, MapItem};
use l4_abi::syscall::{exreg, kdebug, tc, tls, unmap};
use l4_abi::{MsgTag, Timeout};

/// Which operations may appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Everything, including timer ticks, interrupts, finite timeouts,
    /// new spaces, threads without UTCB and donation.
    Host,
    /// What the replay task can reproduce exactly on the real machine:
    /// one address space, no time (timeouts zero or never, no ticks, no
    /// interrupts), no donation to a named thread, messages of at most seven
    /// untyped words (an exception reply must not rewrite eip or esp), no
    /// console output, no exit.
    Qemu,
}

/// SplitMix64: small, fast, and good enough for test inputs.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * n as u64) >> 32) as u32
    }
    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: u32) -> bool {
        self.below(100) < pct
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u32) as usize]
    }
}

/// The seed of operation `i` of the sequence `seed`.
pub fn op_seed(seed: u64, i: u64) -> u64 {
    Rng::new(seed ^ i.wrapping_mul(0xD605_BBB5_8C8A_BBFD)).next_u64()
}

/// Operations per round of the QEMU replay.
pub const ROUND_OPS: usize = 100;

/// Seed of round `r` of the QEMU replay with seed `seed`.
pub fn round_seed(seed: u64, r: u64) -> u64 {
    op_seed(seed ^ 0x0005_EED0_F5EC, r)
}

/// Operation `i` of the sequence `seed`: the [`prologue`], then generated
/// operations.
pub fn op_at(seed: u64, i: u64, profile: Profile) -> Op {
    match prologue().get(i as usize) {
        Some(op) => *op,
        None => generate(op_seed(seed, i), profile),
    }
}

/// The first operations of every sequence: they give the world a mapping
/// tree three levels deep in the root space, so that unmap, map and grant
/// meet derived mappings from the start. Thread 0 waits with a window over
/// test pages 16..32 and thread 1 maps it pages 0..16 (RWX); then thread 0
/// waits with a window over pages 32..40 and thread 1 maps it pages 16..24
/// read-only.
pub fn prologue() -> [Op; 4] {
    let wait = |window: Fpage| {
        Op::Ipc(IpcOp {
            to: Tref::Nil,
            from: Tref::Any,
            st: Timeout::NEVER.0,
            rt: Timeout::NEVER.0,
            tag: MsgTag::new(0, 0, 0).0,
            base: 0,
            typed: [0; 4],
            acceptor: window.0,
        })
    };
    let map = |from: Fpage, to: u32| {
        let [a, b] = MapItem::map(to, from).words();
        Op::Ipc(IpcOp {
            to: Tref::Created(0),
            from: Tref::Nil,
            st: Timeout::ZERO.0,
            rt: Timeout::NEVER.0,
            tag: MsgTag::new(1, 0, 2).0,
            base: 0,
            typed: [a, b, 0, 0],
            acceptor: 0,
        })
    };
    [
        wait(Fpage::new(page_addr(16), 16, rights::RWX)),
        map(Fpage::new(page_addr(0), 16, rights::RWX), page_addr(16)),
        wait(Fpage::new(page_addr(32), 15, rights::RWX)),
        map(Fpage::new(page_addr(16), 15, rights::RX), page_addr(32)),
    ]
}

/// One operation from a 64-bit seed.
pub fn generate(seed: u64, p: Profile) -> Op {
    let mut g = Gen {
        r: Rng::new(seed),
        host: p == Profile::Host,
    };
    g.op()
}

/// Makes one kind of operation.
type Make = fn(&mut Gen) -> Op;

struct Gen {
    r: Rng,
    host: bool,
}

impl Gen {
    fn op(&mut self) -> Op {
        // weights per mille
        let table: &[(u32, Make)] = &[
            (330, Gen::ipc),
            (60, Gen::create),
            (30, Gen::delete),
            (15, Gen::delete_space),
            (20, Gen::set_handlers),
            (5, |_| Op::BadThreadControl(77)),
            (110, Gen::exreg),
            (40, Gen::schedule),
            (35, Gen::thread_switch),
            (60, Gen::unmap),
            (20, Gen::irq_control),
            (15, Gen::io_control),
            (15, Gen::set_tls),
            (20, Gen::kdebug),
            (120, Gen::access),
            (15, |g| Op::Exception { eax: g.r.u32() }),
            (50, |g| if g.host { Op::Tick } else { g.ipc() }),
            (25, |g| {
                if g.host {
                    Op::Irq(g.irq_line())
                } else {
                    g.ipc()
                }
            }),
        ];
        let total: u32 = table.iter().map(|e| e.0).sum();
        let mut x = self.r.below(total);
        for (w, f) in &table[..table.len() - 1] {
            if x < *w {
                return f(self);
            }
            x -= w;
        }
        (table[table.len() - 1].1)(self)
    }

    /// A created thread: mostly a live one, sometimes a dead one.
    fn created(&mut self) -> Tref {
        let k = self.r.below(256) as u8;
        if self.r.chance(92) {
            Tref::Created(k)
        } else {
            Tref::Stale(k)
        }
    }

    /// A thread argument: mostly a created thread.
    fn tref(&mut self) -> Tref {
        match self.r.below(100) {
            0..=79 => self.created(),
            80..=86 => Tref::Me,
            87..=91 => Tref::Nil,
            92..=94 => Tref::Garbage,
            95..=96 => Tref::Any,
            _ => Tref::Irq(self.irq_line()),
        }
    }

    fn irq_line(&mut self) -> u8 {
        if self.r.chance(90) {
            self.r.pick(&IRQ_LINES) as u8
        } else {
            self.r.pick(&[1u8, 4, 6, 12, 14])
        }
    }

    fn timeout(&mut self, never_pct: u32) -> u16 {
        if self.r.chance(never_pct) {
            Timeout::NEVER.0
        } else if !self.host || self.r.chance(60) {
            Timeout::ZERO.0
        } else {
            Timeout::from_micros(1000 * (1 + self.r.below(5) as u64)).0
        }
    }

    fn rights(&mut self) -> u32 {
        if self.r.chance(40) {
            rights::RWX
        } else {
            self.r.below(8)
        }
    }

    /// A flexpage inside the test area, of 2^12..=2^max bytes; mostly over
    /// the pages that start out mapped.
    fn test_fpage(&mut self, max: u32, r: u32) -> u32 {
        let size = if self.r.chance(55) {
            12
        } else {
            12 + self.r.below(max - 11)
        };
        let pages = 1 << (size - 12);
        let span = if self.r.chance(60) {
            crate::world::FRAMES
        } else {
            TEST_PAGES
        };
        let page = self.r.below(span) & !(pages - 1);
        Fpage::new(page_addr(page), size, r).0
    }

    /// A flexpage argument: mostly valid, sometimes the whole space, nil,
    /// or malformed / outside user space.
    fn fpage(&mut self, max: u32) -> u32 {
        let r = self.rights();
        match self.r.below(100) {
            0..=84 => self.test_fpage(max, r),
            85..=89 => Fpage::complete(r).0,
            90..=91 => Fpage::new(0xC010_0000, 12, r).0,
            92..=93 => Fpage::new(0xBFF0_0000, 12, r).0,
            94..=95 => Fpage(page_addr(1) | 13 << 4 | r).0,
            96..=97 => Fpage::NIL.0,
            _ => Fpage(page_addr(2) | 12 << 4 | 0x400 | r).0,
        }
    }

    fn ipc(&mut self) -> Op {
        let to = match self.r.below(100) {
            0..=11 => Tref::Nil,
            12..=36 => Tref::Reply,
            37..=89 => Tref::Other(self.r.below(256) as u8),
            90..=94 => self.created(),
            95 => Tref::Me,
            96..=97 => Tref::Garbage,
            98 => Tref::Any,
            _ => Tref::Irq(self.irq_line()),
        };
        let from = match self.r.below(100) {
            0..=24 => Tref::Nil,
            25..=59 => Tref::Any,
            60..=77 => Tref::Other(self.r.below(256) as u8),
            78..=83 => self.created(),
            84..=93 => Tref::Reply,
            94..=96 => Tref::Irq(self.irq_line()),
            97..=98 => Tref::Me,
            _ => Tref::Garbage,
        };
        let st = self.timeout(25);
        let rt = self.timeout(25);
        let max_u = if self.host { 63 } else { exc::EBP as u32 };
        let mut u = match self.r.below(100) {
            0..=49 => self.r.below(4),
            50..=84 => self.r.below(max_u.min(12) + 1),
            _ => self.r.below(max_u + 1),
        };
        let mut typed = [0u32; 4];
        let t = match self.r.below(100) {
            0..=54 => 0,
            55..=87 => 2,
            88..=94 => 4,
            95..=96 => 1,
            _ => {
                // an item of an unknown kind
                typed[0] = page_addr(0) | 0x5;
                typed[1] = Fpage::new(page_addr(0), 12, rights::RW).0;
                2
            }
        };
        if (t == 2 || t == 4) && typed[0] == 0 {
            for k in 0..(t / 2) as usize {
                let f = if self.r.chance(85) {
                    let r = self.rights();
                    Fpage(self.test_fpage(14, r))
                } else {
                    Fpage(self.fpage(16))
                };
                let base = page_addr(self.r.below(TEST_PAGES));
                let item = if self.r.chance(30) {
                    MapItem::grant(base, f)
                } else {
                    MapItem::map(base, f)
                };
                let [a, b] = item.words();
                typed[2 * k] = a;
                typed[2 * k + 1] = b;
            }
        }
        if self.host && self.r.chance(2) {
            u = 63; // more words than message registers
        }
        let label = self.r.below(0x10000) as u16;
        let acceptor = match self.r.below(100) {
            0..=14 => Fpage::NIL.0,
            15..=84 => self.test_fpage(18, rights::RWX),
            _ => Fpage::complete(rights::RWX).0,
        };
        Op::Ipc(IpcOp {
            to,
            from,
            st,
            rt,
            tag: MsgTag::new(label, u, t).0,
            base: self.r.u32(),
            typed,
            acceptor,
        })
    }

    fn prio(&mut self) -> Prio {
        match self.r.below(100) {
            0..=79 => Prio::Distinct(self.r.below(3) as u8),
            80..=84 => Prio::Raw(300),
            _ if self.host => Prio::Raw(self.r.below(256)),
            _ => Prio::Distinct(0),
        }
    }

    fn create(&mut self) -> Op {
        let space = match self.r.below(100) {
            0..=29 if self.host => None,
            0..=84 => Some(self.created()),
            85..=91 => Some(Tref::Me),
            _ => Some(Tref::Garbage),
        };
        let utcb = match self.r.below(100) {
            0..=84 => UtcbSel::Free,
            85..=89 if self.host => UtcbSel::Slot(tc::NO_UTCB),
            _ => UtcbSel::Slot(self.r.pick(&[0, 1, 2, 254, 255, 1000])),
        };
        let handler = |g: &mut Gen| match g.r.below(100) {
            0..=74 => g.created(),
            75..=89 => Tref::Nil,
            _ => Tref::Garbage,
        };
        let pager = handler(self);
        let exc = self.exc_handler(handler);
        Op::Create {
            space,
            pager,
            exc,
            utcb,
            prio: self.prio(),
        }
    }

    /// An exception handler argument: anything on the host, thread 0 (or
    /// an invalid one) in the QEMU profile (see `world::initial_exc_handler`).
    fn exc_handler(&mut self, host: impl Fn(&mut Gen) -> Tref) -> Tref {
        if self.host {
            host(self)
        } else {
            match self.r.below(100) {
                0..=69 => Tref::Index(0),
                70..=84 => Tref::Nil,
                _ => Tref::Garbage,
            }
        }
    }

    fn delete(&mut self) -> Op {
        Op::Delete(if self.r.chance(90) {
            self.created()
        } else {
            self.r.pick(&[Tref::Me, Tref::Garbage, Tref::Nil])
        })
    }

    fn delete_space(&mut self) -> Op {
        if self.host {
            Op::DeleteSpace(self.tref())
        } else {
            // every modelled thread of the QEMU replay lives in the replay
            // task's own space: only invalid ids
            Op::DeleteSpace(self.r.pick(&[Tref::Garbage, Tref::Nil, Tref::Any]))
        }
    }

    fn set_handlers(&mut self) -> Op {
        let h = |g: &mut Gen| if g.r.chance(30) { Tref::Nil } else { g.tref() };
        let pager = h(self);
        let exc = self.exc_handler(h);
        Op::SetHandlers {
            t: self.tref(),
            pager,
            exc,
        }
    }

    fn exreg(&mut self) -> Op {
        let start = exreg::SET_IP | exreg::SET_SP | exreg::RESUME;
        let ctl = match self.r.below(100) {
            0..=34 => start,
            35..=39 => 0,
            40..=44 => exreg::HALT,
            45..=62 => exreg::RESUME,
            63..=69 => exreg::ABORT_SEND,
            70..=76 => exreg::ABORT_RECV,
            77..=81 => exreg::ABORT | exreg::RESUME,
            82..=88 => exreg::RAISE,
            89..=91 => exreg::SET_FLAGS,
            92..=93 => exreg::SET_SEGS,
            94..=96 => exreg::HALT | exreg::RAISE,
            _ => 1 << 20,
        };
        // only harmless user flags (CF, PF, ZF, SF, OF): never TF, DF or AC
        let flags = self.r.u32() & 0x8C5;
        let t = if ctl == start && self.r.chance(70) {
            Tref::Last
        } else {
            self.tref()
        };
        Op::ExReg { t, ctl, flags }
    }

    fn schedule(&mut self) -> Op {
        let prio = if self.r.chance(15) {
            Prio::Raw(u32::MAX)
        } else {
            self.prio()
        };
        let timeslice_us = if self.r.chance(70) {
            0
        } else {
            1 + self.r.below(50_000)
        };
        Op::Schedule {
            t: self.tref(),
            prio,
            timeslice_us,
        }
    }

    fn thread_switch(&mut self) -> Op {
        let t = match self.r.below(100) {
            0..=39 => Tref::Nil,
            40..=89 if self.host => self.created(),
            40..=89 => Tref::Nil,
            _ => Tref::Garbage,
        };
        Op::ThreadSwitch(t)
    }

    fn unmap(&mut self) -> Op {
        let fpage = self.fpage(18);
        let mut flags = match self.r.below(100) {
            0..=59 => 0,
            60..=94 => unmap::FLUSH_SELF,
            _ => 8,
        };
        if !self.host && Fpage(fpage).size_log2() == 32 {
            // never flush the replay task's own code and data
            flags &= !unmap::FLUSH_SELF;
        }
        Op::Unmap { fpage, flags }
    }

    fn irq_control(&mut self) -> Op {
        let irq = if self.r.chance(85) {
            self.r.pick(&IRQ_LINES)
        } else {
            self.r.pick(&[0, 2, 16, 99])
        };
        let handler = match self.r.below(100) {
            0..=59 => self.created(),
            60..=89 => Tref::Nil,
            _ => Tref::Garbage,
        };
        Op::IrqControl { irq, handler }
    }

    fn io_control(&mut self) -> Op {
        let (first, count) = match self.r.below(100) {
            0..=84 => (0x100 + self.r.below(64), self.r.below(40)),
            85..=92 => (0x3FF, 2),
            _ => (u32::MAX, 2),
        };
        Op::IoControl {
            t: self.tref(),
            first,
            count,
            allow: self.r.chance(60),
        }
    }

    fn set_tls(&mut self) -> Op {
        // entry 2 holds the replay threads' UTCB selector in QEMU: host only
        let entry = if self.r.chance(10) {
            3
        } else {
            self.r.below(if self.host { 3 } else { 2 })
        };
        let limit = if self.r.chance(10) {
            0x10_0000
        } else {
            self.r.below(0x10_0000)
        };
        let mut flags = self.r.u32() & 0x7F;
        if self.r.chance(10) {
            flags = tls::CLEAR;
        }
        Op::SetTls {
            t: self.tref(),
            entry,
            base: self.r.u32(),
            limit,
            flags,
        }
    }

    fn kdebug(&mut self) -> Op {
        let op = if self.host {
            if self.r.chance(10) {
                9
            } else {
                self.r.pick(&KDEBUG_OPS)
            }
        } else {
            self.r.pick(&[kdebug::STATS, kdebug::TICKS, 9])
        };
        Op::Kdebug {
            op,
            arg: self.r.below(16),
        }
    }

    fn access(&mut self) -> Op {
        let page = if self.r.chance(80) {
            self.r.below(crate::world::FRAMES)
        } else {
            self.r.below(TEST_PAGES)
        };
        Op::Access {
            page: page as u8,
            write: self.r.chance(45),
            value: self.r.u32(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn sequences_are_a_function_of_the_seed() {
        for p in [Profile::Host, Profile::Qemu] {
            let a: Vec<Op> = (0..500).map(|i| op_at(42, i, p)).collect();
            let b: Vec<Op> = (0..500).map(|i| op_at(42, i, p)).collect();
            let c: Vec<Op> = (0..500).map(|i| op_at(43, i, p)).collect();
            assert_eq!(a, b);
            assert_ne!(a[4..], c[4..]);
            assert_eq!(a[..4], prologue());
        }
    }

    #[test]
    fn qemu_profile_stays_within_what_the_replay_can_do() {
        for i in 0..20_000 {
            match generate(op_seed(7, i), Profile::Qemu) {
                Op::Tick | Op::Irq(_) => panic!("an event in the QEMU profile"),
                Op::Ipc(m) => {
                    assert!(
                        MsgTag(m.tag).untyped() <= exc::EBP as u32,
                        "a reply could rewrite eip"
                    );
                    assert!(Timeout(m.st).is_never() || Timeout(m.st).is_zero());
                    assert!(Timeout(m.rt).is_never() || Timeout(m.rt).is_zero());
                }
                Op::Create {
                    space, exc, utcb, ..
                } => {
                    assert!(space.is_some(), "a new space");
                    assert!(matches!(exc, Tref::Index(0) | Tref::Nil | Tref::Garbage));
                    assert_ne!(utcb, UtcbSel::Slot(tc::NO_UTCB));
                }
                Op::SetHandlers { exc, .. } => {
                    assert!(matches!(exc, Tref::Index(0) | Tref::Nil | Tref::Garbage))
                }
                Op::DeleteSpace(t) => assert!(matches!(t, Tref::Garbage | Tref::Nil | Tref::Any)),
                Op::ThreadSwitch(t) => assert!(matches!(t, Tref::Nil | Tref::Garbage)),
                Op::SetTls { entry, .. } => assert_ne!(entry, 2),
                Op::Kdebug { op, .. } => {
                    assert!(op != kdebug::EXIT && op != kdebug::PUTC && op != kdebug::WRITE)
                }
                Op::ExReg { ctl, flags, .. } => {
                    assert_eq!(ctl & exreg::SET_IP != 0, ctl & exreg::SET_SP != 0);
                    assert_eq!(flags & !0x8C5, 0);
                }
                _ => {}
            }
        }
    }
}
