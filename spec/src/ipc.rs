//! IPC in the spec: send and receive phases, message transfer, map and
//! grant items, and the messages the kernel sends for page faults and
//! exceptions.
//!
//! Rules:
//! - an IPC is a send phase to `to` (unless nil) and then a receive phase
//!   from `from` (unless nil); a failed send phase ends the IPC;
//! - the send phase fails with `InvalidThread` for an unknown destination or
//!   the sender itself, with `MsgOverflow` / `InvalidFpage` for a malformed
//!   message (checked before anything is delivered); it delivers at once if
//!   the destination waits for the sender (or for anyone), else fails with
//!   `SendTimeout` (timeout zero) or queues the sender at the tail of the
//!   destination's sender queue;
//! - the receive phase takes a pending interrupt first (open wait or the
//!   line's id), then the first queued sender (open wait) or the named one;
//!   a named sender that does not exist is `InvalidThread`; nothing there
//!   is `RecvTimeout` (timeout zero) or a wait;
//! - completing a queued sender's send phase starts that sender's receive
//!   phase at once (so a call's reply can find its caller waiting);
//! - a transfer copies MR0..MRn (registers, and the UTCB when the receiver
//!   has one) and applies map and grant items through the receiver's
//!   acceptor (for page-fault and exception replies: the whole space).

use crate::state::{Kind, State, TState, Word};
use l4_abi::layout::USER_MAP_END;
use l4_abi::msg::{exc, label, pf, rights, MapItem, MAX_MR, REG_MRS};
use l4_abi::syscall::Error;
use l4_abi::{Fpage, MsgTag, ThreadId};
use spec_ops::op::{EBP, EBX, EDI, ESI};

/// Register holding message register `i` (0..=3): esi, ebx, ebp, edi.
pub const MR_REG: [usize; 4] = [ESI, EBX, EBP, EDI];

impl State {
    /// IPC of thread `c` (its own call, or a kernel IPC when its kind says so).
    pub(crate) fn do_ipc(&mut self, c: usize, to: ThreadId, from: ThreadId, st: u16, rt: u16) {
        self.threads[c].recv_from = from;
        self.threads[c].recv_timeout = rt;
        if !to.is_nil() {
            match self.send_phase(c, to, st) {
                Err(e) => return self.complete(c, ThreadId::NIL, Some(e)),
                Ok(false) => return,
                Ok(true) => {}
            }
        }
        self.after_send(c);
    }

    /// The send phase of `s` completed: its receive phase, and the receive
    /// phases of queued senders that completes in turn.
    fn after_send(&mut self, s: usize) {
        let mut next = Some(s);
        while let Some(x) = next {
            next = if self.threads[x].recv_from.is_nil() {
                self.complete(x, ThreadId::NIL, None);
                self.wake(x);
                None
            } else {
                self.recv_phase(x)
            };
        }
    }

    /// Message register `i` of a sender.
    pub(crate) fn smr(&self, s: usize, i: usize) -> Word {
        let t = &self.threads[s];
        match t.kind {
            Kind::Normal if i < REG_MRS => t.frame.gpr[MR_REG[i]],
            Kind::Normal if t.utcb.is_some() => t.mrs[i],
            Kind::Normal => Word::ZERO,
            Kind::PageFault => match i {
                0 => Word::exact(
                    MsgTag::new(label::PAGE_FAULT | t.fault_access as u16, pf::WORDS, 0).0,
                ),
                pf::ADDR => Word::exact(t.fault_addr),
                pf::EIP => t.frame.eip,
                _ => Word::ZERO,
            },
            Kind::Exception => match i {
                0 => Word::exact(MsgTag::new(label::EXCEPTION, exc::WORDS, 0).0),
                1..=7 => t.frame.gpr[i - 1],
                exc::EIP => t.frame.eip,
                exc::ESP => t.frame.esp,
                exc::EFLAGS => t.frame.eflags,
                exc::VECTOR => Word::exact(t.frame.vector),
                exc::ERROR => Word::exact(t.frame.error),
                _ => Word::ZERO,
            },
        }
    }

    /// A flexpage a space may send: nil, or well-formed with rights inside
    /// the mappable part of user space (or the whole space).
    pub(crate) fn check_fpage(f: Fpage) -> Result<(), Error> {
        if f.is_nil() {
            return Ok(());
        }
        let in_user = f.size_log2() == 32 || f.end() <= USER_MAP_END as u64;
        if !f.is_valid() || f.rights() == 0 || !in_user {
            return Err(Error::InvalidFpage);
        }
        Ok(())
    }

    /// Is the message `s` is about to send well-formed?
    fn check_msg(&self, s: usize) -> Result<(), Error> {
        let tag = MsgTag(self.smr(s, 0).v);
        let (u, ty) = (tag.untyped() as usize, tag.typed() as usize);
        if u + ty > MAX_MR || ty % 2 != 0 || (self.threads[s].utcb.is_none() && u + ty >= REG_MRS) {
            return Err(Error::MsgOverflow);
        }
        for k in (u + 1..=u + ty).step_by(2) {
            let item = MapItem::decode(self.smr(s, k).v, self.smr(s, k + 1).v)
                .ok_or(Error::MsgOverflow)?;
            Self::check_fpage(item.fpage)?;
        }
        Ok(())
    }

    /// Send phase; Ok(true): delivered, Ok(false): blocked.
    fn send_phase(&mut self, s: usize, to: ThreadId, st: u16) -> Result<bool, Error> {
        let d = self.lookup(to).ok_or(Error::InvalidThread)?;
        if d == s {
            return Err(Error::InvalidThread);
        }
        if self.threads[s].kind == Kind::Normal {
            self.check_msg(s)?;
        }
        let sid = self.threads[s].id;
        let dt = &self.threads[d];
        if dt.state == TState::RecvBlocked && (dt.partner.is_any() || dt.partner == sid) {
            self.timeout_remove(d);
            let r = self.transfer(s, d);
            self.complete(d, sid, r.err());
            self.wake(d);
            return r.map(|_| true);
        }
        if l4_abi::Timeout(st).is_zero() {
            return Err(Error::SendTimeout);
        }
        let t = &mut self.threads[s];
        t.state = TState::SendBlocked;
        t.partner = to;
        self.threads[d].senders.push_back(s);
        self.timeout_add(s, st);
        Ok(false)
    }

    /// Receive phase of `r`; returns a sender whose send phase it completed.
    fn recv_phase(&mut self, r: usize) -> Option<usize> {
        let from = self.threads[r].recv_from;
        let rt = self.threads[r].recv_timeout;
        self.ack_irqs(r);
        if from.is_any() || from.as_irq().is_some() {
            if let Some(irq) = self.pending_irq_for(r, from) {
                self.deliver_irq(r, irq);
                self.wake(r);
                return None;
            }
        }
        let sender = if from.is_any() {
            self.threads[r].senders.front().copied()
        } else if from.as_irq().is_some() {
            None
        } else {
            let Some(want) = self.lookup(from) else {
                self.complete(r, ThreadId::NIL, Some(Error::InvalidThread));
                self.wake(r);
                return None;
            };
            self.threads[r].senders.iter().copied().find(|&q| q == want)
        };
        match sender {
            Some(s) => {
                self.threads[r].senders.retain(|&x| x != s);
                self.timeout_remove(s);
                let res = self.transfer(s, r);
                let sid = self.threads[s].id;
                self.complete(r, sid, res.err());
                self.wake(r);
                match res {
                    Ok(()) => Some(s),
                    Err(e) => {
                        self.complete(s, ThreadId::NIL, Some(e));
                        self.wake(s);
                        None
                    }
                }
            }
            None if l4_abi::Timeout(rt).is_zero() => {
                self.complete(r, ThreadId::NIL, Some(Error::RecvTimeout));
                self.wake(r);
                None
            }
            None => {
                let t = &mut self.threads[r];
                t.state = TState::RecvBlocked;
                t.partner = from;
                self.timeout_add(r, rt);
                None
            }
        }
    }

    /// Copy the message of `s` to `r`, or let the kernel consume it when
    /// `r` waits for a fault or exception reply.
    fn transfer(&mut self, s: usize, r: usize) -> Result<(), Error> {
        let tag = self.smr(s, 0);
        let t = MsgTag(tag.v);
        let (u, ty) = (t.untyped() as usize, t.typed() as usize);
        let rkind = self.threads[r].kind;
        match rkind {
            Kind::Normal => {
                let n = u + ty;
                self.threads[r].frame.gpr[MR_REG[0]] = tag;
                for (i, &reg) in MR_REG.iter().enumerate().take(n + 1).skip(1) {
                    let v = self.smr(s, i);
                    self.threads[r].frame.gpr[reg] = v;
                }
                if self.threads[r].utcb.is_some() {
                    for i in REG_MRS..=n {
                        let v = self.smr(s, i);
                        self.threads[r].mrs[i] = v;
                    }
                }
            }
            Kind::Exception => {
                for i in 1..=u.min(exc::WRITABLE as usize) {
                    let v = self.smr(s, i);
                    set_exc_field(&mut self.threads[r].frame, i, v);
                }
            }
            Kind::PageFault => {}
        }
        if ty == 0 {
            return Ok(());
        }
        let window = match rkind {
            Kind::Normal if self.threads[r].utcb.is_some() => Fpage(self.threads[r].acceptor),
            Kind::Normal => Fpage::NIL,
            _ => Fpage::complete(rights::RWX),
        };
        for k in (u + 1..=u + ty).step_by(2) {
            if let Some(item) = MapItem::decode(self.smr(s, k).v, self.smr(s, k + 1).v) {
                self.map_item(s, r, item, window)?;
            }
        }
        Ok(())
    }

    /// Apply one map or grant item through the receive window (L4 X.2: the
    /// smaller of flexpage and window is placed in the larger one where the
    /// send base says). Pages are taken in ascending order; an error stops
    /// the item with the pages before it mapped.
    fn map_item(&mut self, s: usize, r: usize, item: MapItem, window: Fpage) -> Result<(), Error> {
        let f = item.fpage;
        if f.is_nil() || window.is_nil() || !f.is_valid() || !window.is_valid() {
            return Ok(());
        }
        let (src, dst, size) = if f.size_log2() <= window.size_log2() {
            let off = (item.send_base as u64 % window.size()) & !(f.size() - 1);
            (f.base() as u64, window.base() as u64 + off, f.size())
        } else {
            let off = (item.send_base as u64 % f.size()) & !(window.size() - 1);
            (f.base() as u64 + off, window.base() as u64, window.size())
        };
        let (ss, rs) = (self.threads[s].space, self.threads[r].space);
        let end = USER_MAP_END as u64;
        let size = size
            .min(end.saturating_sub(src))
            .min(end.saturating_sub(dst));
        // page by page; only pages the sender has do anything, so go from
        // one of them to the next (looking again each time: mapping into
        // the sender's own space can change what it has further on)
        let mut off = 0u64;
        loop {
            let next = self
                .nodes
                .values()
                .filter(|n| {
                    n.space == ss
                        && (n.vpn as u64) << 12 >= src + off
                        && ((n.vpn as u64) << 12) < src + size
                })
                .map(|n| ((n.vpn as u64) << 12) - src)
                .min();
            let Some(o) = next else { return Ok(()) };
            self.map_page(
                ss,
                (src + o) as u32,
                rs,
                (dst + o) as u32,
                f.rights(),
                item.grant,
            )?;
            off = o + 4096;
        }
    }

    /// Send a page-fault or exception message for thread `i` to its pager
    /// or exception handler and wait for the reply; without a valid handler
    /// (or with itself as handler) the thread is halted instead.
    pub(crate) fn kernel_ipc(&mut self, i: usize, kind: Kind) {
        let t = &self.threads[i];
        let to = if kind == Kind::PageFault {
            t.pager
        } else {
            t.exc_handler
        };
        if self.lookup(to).is_none_or(|h| h == i) {
            self.threads[i].halted = true;
            return;
        }
        self.threads[i].kind = kind;
        self.do_ipc(
            i,
            to,
            to,
            l4_abi::Timeout::NEVER.0,
            l4_abi::Timeout::NEVER.0,
        );
    }
}

/// Overwrite writable exception field `i` (eflags: only the user bits).
pub(crate) fn set_exc_field(f: &mut crate::state::Frame, i: usize, v: Word) {
    match i {
        1..=7 => f.gpr[i - 1] = v,
        exc::EIP => f.eip = v,
        exc::ESP => f.esp = v,
        exc::EFLAGS => {
            let merged = (f.eflags.v & !exc::EFLAGS_USER) | (v.v & exc::EFLAGS_USER);
            f.eflags = Word {
                v: merged,
                det: crate::state::Det::Machine,
            };
        }
        _ => {}
    }
}
