//! The kernel's entry points in the spec: one function per system call
//! (decoded from registers exactly as the ABI in `l4_abi::syscall` says),
//! per sub-operation of thread_control and kdebug, and per event (page
//! fault, exception, interrupt, timer tick in `sched`). The rest of the
//! rules live next to the state they change (`ipc`, `mapping`, `threads`).

use crate::state::{Det, Kind, State, TState, Word};
use l4_abi::msg::{label, rights};
use l4_abi::syscall::{self as sc, kdebug, tc, Error};
use l4_abi::{Fpage, MsgTag, ThreadId};
use spec_ops::op::{EAX, EBX, ECX, EDI, EDX, ESI};

/// Interrupt lines the kernel keeps for itself (timer, cascade).
pub const KERNEL_IRQS: u16 = 1 << 0 | 1 << 2;
/// I/O ports covered by the permission bitmaps.
pub const IO_PORTS: u32 = 1024;

/// What a kdebug call did besides setting registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    None,
    Exit(u32),
}

impl State {
    fn set_err(&mut self, c: usize, r: Result<(), Error>) {
        self.threads[c].frame.gpr[ECX] = Word::exact(Error::code(r));
    }

    /// Kernel call `vector` by the running thread `c`, whose registers hold
    /// the arguments. A thread without a UTCB cannot make kernel calls: for
    /// it `int 0x30..0x39` is a general protection fault (exception 13,
    /// error code `vector << 3 | 2`, eip back on the instruction).
    pub fn syscall(&mut self, c: usize, vector: u8) -> Effect {
        let g: [u32; 7] = self.threads[c].frame.gpr.map(|w| w.v);
        let id = |i: usize| ThreadId(g[i]);
        if self.threads[c].utcb.is_none() {
            let f = &mut self.threads[c].frame;
            f.vector = 13;
            f.error = (vector as u32) << 3 | 2;
            f.eip = Word {
                v: f.eip.v.wrapping_sub(2),
                det: Det::Machine,
            };
            self.exception(c);
            return Effect::None;
        }
        match vector {
            sc::IPC => {
                let (st, rt) = ((g[EDX] >> 16) as u16, g[EDX] as u16);
                self.ipc(c, id(EAX), id(ECX), st, rt);
            }
            sc::THREAD_CONTROL => {
                let r = match g[EAX] {
                    tc::CREATE => self
                        .thread_control_create(c, id(EBX), id(ECX), id(EDX), g[ESI], g[EDI])
                        .map(|new| {
                            self.threads[c].frame.gpr[EAX] = Word::exact(new.0);
                        }),
                    tc::DELETE => self.thread_control_delete(c, id(EBX)),
                    tc::DELETE_SPACE => self.thread_control_delete_space(c, id(EBX)),
                    tc::SET_HANDLERS => {
                        self.thread_control_set_handlers(c, id(EBX), id(ECX), id(EDX))
                    }
                    _ => Err(Error::InvalidArgument),
                };
                if self.current == Some(c) {
                    self.set_err(c, r);
                }
            }
            sc::EXCHANGE_REGISTERS => {
                let r = self.exchange_registers(c, id(EAX), g[ECX], g[EDX], g[ESI], g[EDI], g[EBX]);
                let f = &mut self.threads[c].frame;
                match r {
                    Ok((state, sp, ip, flags, segs)) => {
                        f.gpr[EBX] = segs;
                        f.gpr[EAX] = Word::exact(state as u32);
                        f.gpr[EDX] = sp;
                        f.gpr[ESI] = ip;
                        f.gpr[EDI] = flags;
                        f.gpr[ECX] = Word::ZERO;
                    }
                    Err(e) => f.gpr[ECX] = Word::exact(e as u32),
                }
            }
            sc::SCHEDULE => {
                let r = self.schedule(c, id(EAX), g[ECX], g[EDX]);
                self.set_err(c, r);
            }
            sc::THREAD_SWITCH => {
                let r = self.thread_switch(c, id(EAX));
                self.set_err(c, r);
            }
            sc::UNMAP => {
                let r = self.unmap(c, Fpage(g[EAX]), g[ECX]);
                self.set_err(c, r);
            }
            sc::IRQ_CONTROL => {
                let r = self.irq_control(c, g[EAX], id(ECX));
                self.set_err(c, r);
            }
            sc::IO_CONTROL => {
                let r = self.io_control(c, id(EAX), g[ECX], g[EDX], g[ESI] != 0);
                self.set_err(c, r);
            }
            sc::SET_TLS => {
                let r = self.set_tls(c, id(EAX), g[ECX], g[EDX], g[ESI], g[EDI]);
                self.set_err(c, r);
            }
            sc::KDEBUG => return self.kdebug(c, g[EAX], g[EBX]),
            _ => {
                let f = &mut self.threads[c].frame;
                f.vector = vector as u32;
                f.error = 0;
                self.exception(c);
            }
        }
        Effect::None
    }

    /// The ipc call (every form: send, receive, call, reply-and-wait are the
    /// choice of nil or non-nil `to` and `from`; see `ipc` for the rules).
    pub fn ipc(&mut self, c: usize, to: ThreadId, from: ThreadId, st: u16, rt: u16) {
        self.threads[c].kind = Kind::Normal;
        self.do_ipc(c, to, from, st, rt);
    }

    /// The unmap call of thread `c` (rules in `mapping`).
    pub fn unmap(&mut self, c: usize, fp: Fpage, flags: u32) -> Result<(), Error> {
        let s = self.threads[c].space;
        self.do_unmap(s, fp, flags)
    }

    /// irq_control (privileged): attach `handler` to `irq`, or detach (nil).
    pub fn irq_control(&mut self, c: usize, irq: u32, handler: ThreadId) -> Result<(), Error> {
        if !self.privileged(c) {
            return Err(Error::NoPermission);
        }
        if irq >= 16 || KERNEL_IRQS & 1 << irq != 0 {
            return Err(Error::InvalidArgument);
        }
        let bit = 1u16 << irq;
        if handler.is_nil() {
            self.irq_handler[irq as usize] = ThreadId::NIL;
            self.irq_pending &= !bit;
            self.irq_in_service &= !bit;
            self.irq_masked |= bit;
            return Ok(());
        }
        self.lookup(handler).ok_or(Error::InvalidThread)?;
        let cur = self.irq_handler[irq as usize];
        if cur != handler && self.lookup(cur).is_some() {
            return Err(Error::Busy);
        }
        self.irq_handler[irq as usize] = handler;
        self.irq_masked &= !bit;
        Ok(())
    }

    /// io_control (privileged): allow or deny ports for the space of `id`.
    pub fn io_control(
        &mut self,
        c: usize,
        id: ThreadId,
        first: u32,
        count: u32,
        allow: bool,
    ) -> Result<(), Error> {
        if !self.privileged(c) {
            return Err(Error::NoPermission);
        }
        let i = self.lookup(id).ok_or(Error::InvalidThread)?;
        let end = first.checked_add(count).ok_or(Error::InvalidArgument)?;
        if end > IO_PORTS {
            return Err(Error::InvalidArgument);
        }
        let s = self.threads[i].space;
        let bm = self.spaces[s]
            .io
            .get_or_insert_with(|| vec![false; IO_PORTS as usize]);
        for p in first..end {
            bm[p as usize] = allow;
        }
        Ok(())
    }

    /// set_tls: TLS entry `entry` (0..3) of thread `id`, validated as Linux's
    /// `set_thread_area` does (limit at most 0xFFFFF, no conforming code).
    pub fn set_tls(
        &mut self,
        c: usize,
        id: ThreadId,
        entry: u32,
        base: u32,
        limit: u32,
        flags: u32,
    ) -> Result<(), Error> {
        use l4_abi::syscall::tls;
        let i = self.lookup(id).ok_or(Error::InvalidThread)?;
        if !self.may_control(self.threads[c].space, self.threads[i].space) {
            return Err(Error::NoPermission);
        }
        if entry >= 3 {
            return Err(Error::InvalidArgument);
        }
        let d = if flags & tls::CLEAR != 0 {
            None
        } else if limit > 0xF_FFFF || (flags >> tls::CONTENTS_SHIFT) & 3 == 3 {
            return Err(Error::InvalidArgument);
        } else {
            Some((base, limit, flags & 0x7F))
        };
        self.threads[i].tls[entry as usize] = d;
        Ok(())
    }

    /// The kdebug call; its sub-operations are the functions below.
    pub fn kdebug(&mut self, c: usize, op: u32, arg: u32) -> Effect {
        match op {
            kdebug::PUTC => self.kdebug_putc(c, arg),
            kdebug::WRITE => self.kdebug_write(c, arg),
            kdebug::EXIT => return self.kdebug_exit(c, arg),
            kdebug::STATS => self.kdebug_stats(c),
            kdebug::TICKS => self.kdebug_ticks(c),
            _ => self.threads[c].frame.gpr[ECX] = Word::exact(Error::InvalidArgument as u32),
        }
        Effect::None
    }

    /// Print a byte (the console is not modelled).
    pub fn kdebug_putc(&mut self, c: usize, _byte: u32) {
        self.threads[c].frame.gpr[ECX] = Word::ZERO;
    }
    /// Print bytes from the UTCB (the console is not modelled).
    pub fn kdebug_write(&mut self, c: usize, _len: u32) {
        self.threads[c].frame.gpr[ECX] = Word::ZERO;
    }
    /// Stop the machine (privileged). On the real machine the call does not
    /// return; where the machine goes on (the host), it returns
    /// `NoPermission`, as for an unprivileged caller.
    pub fn kdebug_exit(&mut self, c: usize, status: u32) -> Effect {
        let privileged = self.privileged(c);
        self.threads[c].frame.gpr[ECX] = Word::exact(Error::NoPermission as u32);
        if privileged {
            Effect::Exit(status)
        } else {
            Effect::None
        }
    }
    /// Free kernel memory: pool frames (not modelled), thread slots, mapping
    /// nodes, spaces.
    pub fn kdebug_stats(&mut self, c: usize) {
        let threads =
            (self.limits.thread_slots - self.live_threads() - self.unmodelled_threads) as u32;
        let nodes = (self.limits.nodes - self.nodes.len()) as u32;
        let spaces = (self.limits.spaces - self.live_spaces()) as u32;
        let f = &mut self.threads[c].frame;
        f.gpr[EAX] = Word {
            v: 0,
            det: Det::Unmodelled,
        };
        f.gpr[EBX] = Word::machine(threads);
        f.gpr[EDX] = Word::machine(nodes);
        f.gpr[ESI] = Word::machine(spaces);
        f.gpr[ECX] = Word::ZERO;
    }
    /// Logical time in ticks.
    pub fn kdebug_ticks(&mut self, c: usize) {
        let now = self.now;
        let f = &mut self.threads[c].frame;
        f.gpr[EAX] = Word::machine(now as u32);
        f.gpr[EDX] = Word::machine((now >> 32) as u32);
        f.gpr[ECX] = Word::ZERO;
    }

    /// Page fault of the running thread `c` at `addr`: a page-fault message
    /// (label `PAGE_FAULT | access`, MR1 address, MR2 eip) to its pager.
    pub fn page_fault(&mut self, c: usize, addr: u32, write: bool) {
        let t = &mut self.threads[c];
        t.fault_addr = addr;
        t.fault_access = if write { rights::W } else { rights::R };
        self.kernel_ipc(c, Kind::PageFault);
    }

    /// CPU exception (vector and error code already in the frame) of thread
    /// `c`: an exception message with its registers to its handler.
    pub fn exception(&mut self, c: usize) {
        self.kernel_ipc(c, Kind::Exception);
    }

    /// Interrupt line `irq` fires (and is masked until its handler receives
    /// again). Without a live handler nothing more happens.
    pub fn irq(&mut self, irq: u32) {
        let h = self.irq_handler[irq as usize];
        let Some(hi) = self.lookup(h) else { return };
        self.irq_pending |= 1 << irq;
        let t = &self.threads[hi];
        let src = ThreadId::irq(irq);
        if t.state == TState::RecvBlocked && (t.partner.is_any() || t.partner == src) {
            self.timeout_remove(hi);
            self.deliver_irq(hi, irq);
            self.wake(hi);
        }
    }

    pub(crate) fn deliver_irq(&mut self, r: usize, irq: u32) {
        self.irq_pending &= !(1 << irq);
        self.irq_in_service |= 1 << irq;
        let g = &mut self.threads[r].frame.gpr;
        g[EAX] = Word::exact(ThreadId::irq(irq).0);
        g[ECX] = Word::ZERO;
        g[ESI] = Word::exact(MsgTag::new(label::IRQ, 0, 0).0);
    }

    /// The lowest pending interrupt thread `r` handles that `from` accepts.
    pub(crate) fn pending_irq_for(&self, r: usize, from: ThreadId) -> Option<u32> {
        let id = self.threads[r].id;
        (0..16u32).find(|&irq| {
            self.irq_pending & 1 << irq != 0
                && self.irq_handler[irq as usize] == id
                && (from.is_any() || from == ThreadId::irq(irq))
        })
    }

    /// A receive phase acknowledges (unmasks) the interrupts its thread is
    /// serving.
    pub(crate) fn ack_irqs(&mut self, r: usize) {
        let id = self.threads[r].id;
        for irq in 0..16 {
            if self.irq_in_service & 1 << irq != 0 && self.irq_handler[irq] == id {
                self.irq_in_service &= !(1 << irq);
                self.irq_masked &= !(1 << irq);
            }
        }
    }
}
