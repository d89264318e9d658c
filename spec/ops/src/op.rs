//! One operation of a generated sequence and its exact encoding.
//!
//! Operations are independent of the state they run in: thread arguments are
//! [`Tref`]s resolved when the operation runs (the `n`-th created thread,
//! the running thread, or a fixed invalid id), so the same sequence means the
//! same thing to the spec, the host harness and the replay task. Everything
//! but [`Op::Tick`] and [`Op::Irq`] is done by the running thread; when no
//! modelled thread runs such an operation is skipped (`idle`).

use crate::world::{self, MAX_CREATED, T0_SLOT};
use l4_abi::msg::MAX_MR;
use l4_abi::syscall::{self as sc, kdebug, tc};
use l4_abi::{MsgTag, ThreadId};

/// Registers in message/exception order: eax, ebx, ecx, edx, esi, edi, ebp.
pub type Gprs = [u32; 7];
pub const EAX: usize = 0;
pub const EBX: usize = 1;
pub const ECX: usize = 2;
pub const EDX: usize = 3;
pub const ESI: usize = 4;
pub const EDI: usize = 5;
pub const EBP: usize = 6;

/// A thread argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tref {
    /// Live created thread `k % count` (live threads in creation order).
    Created(u8),
    /// Live created thread `k % count` among those other than the running
    /// one (the running one if it is alone).
    Other(u8),
    /// Dead created thread `k % count` (a stale id), [`world::GARBAGE`]
    /// when none died yet.
    Stale(u8),
    /// The running thread.
    Me,
    /// The most recently created thread.
    Last,
    /// Created thread `n` exactly (alive or not; garbage if there is none).
    Index(u8),
    /// The thread the running thread last heard from: eax of its last
    /// return from a kernel call or exception (its last IPC's sender), NIL
    /// when it has not returned from one since it (re)started.
    Reply,
    Nil,
    Any,
    /// The id interrupt line `n` sends from.
    Irq(u8),
    /// An id that names no thread.
    Garbage,
}

/// What thread references are resolved against.
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    /// Ids of the created threads in creation order.
    pub created: &'a [ThreadId],
    /// Which of them are alive.
    pub alive: &'a [bool],
    /// Creation index of the running thread.
    pub me: usize,
    /// Its [`Tref::Reply`].
    pub reply: ThreadId,
}

impl Tref {
    /// The id this reference names.
    pub fn resolve(self, c: &Ctx) -> ThreadId {
        match self {
            Tref::Reply => c.reply,
            Tref::Nil => ThreadId::NIL,
            Tref::Any => ThreadId::ANY,
            Tref::Irq(n) => ThreadId::irq(n as u32),
            Tref::Garbage => world::GARBAGE,
            _ => self.index(c).map_or(world::GARBAGE, |i| c.created[i]),
        }
    }

    /// The creation index this reference names, if it names a created
    /// thread.
    pub fn index(self, c: &Ctx) -> Option<usize> {
        let nth = |k: u8, alive: bool| {
            let n = c.alive.iter().filter(|&&a| a == alive).count();
            (n > 0)
                .then(|| {
                    c.alive
                        .iter()
                        .enumerate()
                        .filter(|(_, &a)| a == alive)
                        .nth(k as usize % n)
                        .map(|(i, _)| i)
                })
                .flatten()
        };
        match self {
            Tref::Created(k) => nth(k, true),
            Tref::Other(k) => {
                let others: usize = (0..c.alive.len())
                    .filter(|&i| c.alive[i] && i != c.me)
                    .count();
                if others == 0 {
                    Some(c.me)
                } else {
                    (0..c.alive.len())
                        .filter(|&i| c.alive[i] && i != c.me)
                        .nth(k as usize % others)
                }
            }
            Tref::Stale(k) => nth(k, false),
            Tref::Me => Some(c.me),
            Tref::Last => Some(c.created.len() - 1),
            Tref::Index(n) => ((n as usize) < c.created.len()).then_some(n as usize),
            Tref::Reply => c.created.iter().position(|&t| t == c.reply),
            _ => None,
        }
    }
}

/// A priority argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prio {
    /// [`world::distinct_prio`] of the thread concerned (the new thread for
    /// create, the target for schedule).
    Distinct(u8),
    Raw(u32),
}

/// UTCB slot argument of create.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UtcbSel {
    /// `T0_SLOT + n` for the `n`-th created thread.
    Free,
    Slot(u32),
}

/// An IPC: send to `to` (unless nil), then receive from `from` (unless nil).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpcOp {
    pub to: Tref,
    pub from: Tref,
    /// Send and receive timeouts (raw 16-bit encodings).
    pub st: u16,
    pub rt: u16,
    /// MR0; untyped word `i` is `base + i`, typed words come from `typed`.
    pub tag: u32,
    pub base: u32,
    pub typed: [u32; 4],
    /// Receive window written to the UTCB before the call.
    pub acceptor: u32,
}

impl IpcOp {
    /// Message register `i` (1..=63) as the sender writes it.
    pub fn mr(&self, i: usize) -> u32 {
        let t = MsgTag(self.tag);
        let u = t.untyped() as usize;
        if i <= u {
            self.base.wrapping_add(i as u32 * 0x0101_0101)
        } else if i - u <= 4 {
            self.typed[i - u - 1]
        } else {
            0
        }
    }
    /// The highest message register the sender writes (MR4.. go to the UTCB).
    pub fn last_mr(&self) -> usize {
        (MsgTag(self.tag).words() as usize).min(MAX_MR)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Ipc(IpcOp),
    /// thread_control CREATE; `space: None` creates a new space.
    Create {
        space: Option<Tref>,
        pager: Tref,
        exc: Tref,
        utcb: UtcbSel,
        prio: Prio,
    },
    Delete(Tref),
    DeleteSpace(Tref),
    SetHandlers {
        t: Tref,
        pager: Tref,
        exc: Tref,
    },
    /// thread_control with an operation code that does not exist.
    BadThreadControl(u32),
    /// exchange_registers; with `SET_IP` / `SET_SP` the values are
    /// [`world::ENTRY_IP`] and the target's [`world::stack_top`].
    ExReg {
        t: Tref,
        ctl: u32,
        flags: u32,
    },
    Schedule {
        t: Tref,
        prio: Prio,
        timeslice_us: u32,
    },
    ThreadSwitch(Tref),
    Unmap {
        fpage: u32,
        flags: u32,
    },
    IrqControl {
        irq: u32,
        handler: Tref,
    },
    IoControl {
        t: Tref,
        first: u32,
        count: u32,
        allow: bool,
    },
    SetTls {
        t: Tref,
        entry: u32,
        base: u32,
        limit: u32,
        flags: u32,
    },
    Kdebug {
        op: u32,
        arg: u32,
    },
    /// Read (or write `value` to) word 0 of test page `page`.
    Access {
        page: u8,
        write: bool,
        value: u32,
    },
    /// `int 0x80` with [`world::exception_regs`]`(eax)`.
    Exception {
        eax: u32,
    },
    /// A timer interrupt (host only).
    Tick,
    /// Interrupt line `n` fires (host only).
    Irq(u8),
}

/// What the running thread does for an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// A kernel call: vector and the seven registers.
    Syscall(u8, Gprs),
    Access {
        page: u32,
        write: bool,
        regs: Gprs,
    },
    Exception(Gprs),
    /// Nothing (a create beyond [`MAX_CREATED`]).
    Skip,
}

impl Op {
    /// Timer ticks and interrupts happen to the machine; every other
    /// operation is done by the running thread.
    pub fn is_event(&self) -> bool {
        matches!(self, Op::Tick | Op::Irq(_))
    }

    /// The action of the running thread.
    pub fn action(&self, c: &Ctx) -> Action {
        let r = |t: Tref| t.resolve(c).0;
        let index = |t: Tref| t.index(c);
        let prio = |p: Prio, n: Option<usize>| match (p, n) {
            (Prio::Distinct(j), Some(n)) => world::distinct_prio(n, j) as u32,
            (Prio::Distinct(j), None) => world::distinct_prio(c.me, j) as u32,
            (Prio::Raw(v), _) => v,
        };
        let created = c.created;
        match *self {
            Op::Ipc(ref m) => {
                let edx = (m.st as u32) << 16 | m.rt as u32;
                Action::Syscall(
                    sc::IPC,
                    [r(m.to), m.mr(1), r(m.from), edx, m.tag, m.mr(3), m.mr(2)],
                )
            }
            Op::Create {
                space,
                pager,
                exc,
                utcb,
                prio: p,
            } => {
                let n = created.len();
                if n >= MAX_CREATED {
                    return Action::Skip;
                }
                let slot = match utcb {
                    UtcbSel::Free => T0_SLOT + n as u32,
                    UtcbSel::Slot(s) => s,
                };
                let sp = space.map_or(0, r);
                Action::Syscall(
                    sc::THREAD_CONTROL,
                    [tc::CREATE, sp, r(pager), r(exc), slot, prio(p, Some(n)), 0],
                )
            }
            Op::Delete(t) => Action::Syscall(sc::THREAD_CONTROL, [tc::DELETE, r(t), 0, 0, 0, 0, 0]),
            Op::DeleteSpace(t) => {
                Action::Syscall(sc::THREAD_CONTROL, [tc::DELETE_SPACE, r(t), 0, 0, 0, 0, 0])
            }
            Op::SetHandlers { t, pager, exc } => Action::Syscall(
                sc::THREAD_CONTROL,
                [tc::SET_HANDLERS, r(t), r(pager), r(exc), 0, 0, 0],
            ),
            Op::BadThreadControl(code) => {
                Action::Syscall(sc::THREAD_CONTROL, [code, 0, 0, 0, 0, 0, 0])
            }
            Op::ExReg { t, ctl, flags } => {
                let n = index(t).unwrap_or(0);
                Action::Syscall(
                    sc::EXCHANGE_REGISTERS,
                    [r(t), 0, ctl, world::stack_top(n), world::ENTRY_IP, flags, 0],
                )
            }
            Op::Schedule {
                t,
                prio: p,
                timeslice_us,
            } => Action::Syscall(
                sc::SCHEDULE,
                [r(t), 0, prio(p, index(t)), timeslice_us, 0, 0, 0],
            ),
            Op::ThreadSwitch(t) => Action::Syscall(sc::THREAD_SWITCH, [r(t), 0, 0, 0, 0, 0, 0]),
            Op::Unmap { fpage, flags } => Action::Syscall(sc::UNMAP, [fpage, 0, flags, 0, 0, 0, 0]),
            Op::IrqControl { irq, handler } => {
                Action::Syscall(sc::IRQ_CONTROL, [irq, 0, r(handler), 0, 0, 0, 0])
            }
            Op::IoControl {
                t,
                first,
                count,
                allow,
            } => Action::Syscall(sc::IO_CONTROL, [r(t), 0, first, count, allow as u32, 0, 0]),
            Op::SetTls {
                t,
                entry,
                base,
                limit,
                flags,
            } => Action::Syscall(sc::SET_TLS, [r(t), 0, entry, base, limit, flags, 0]),
            Op::Kdebug { op, arg } => Action::Syscall(sc::KDEBUG, [op, arg, 0, 0, 0, 0, 0]),
            Op::Access { page, write, value } => Action::Access {
                page: page as u32,
                write,
                regs: world::access_regs(if write { value } else { 0 }),
            },
            Op::Exception { eax } => Action::Exception(world::exception_regs(eax)),
            Op::Tick | Op::Irq(_) => Action::Skip,
        }
    }
}

/// Kernel-debug operations an operation may use (for the generator).
pub const KDEBUG_OPS: [u32; 5] = [
    kdebug::PUTC,
    kdebug::WRITE,
    kdebug::EXIT,
    kdebug::STATS,
    kdebug::TICKS,
];
