//! IPC: the send and receive phases, message transfer and map/grant items.
//!
//! A thread's IPC is a send phase (to a named thread) followed by an
//! optional receive phase (from a named thread or any). If the partner is
//! not ready the thread blocks: a blocked sender waits in the receiver's
//! FIFO sender queue with its message still in its own registers and UTCB;
//! the receiver copies it out when it arrives. Page faults and exceptions
//! are IPCs the kernel makes on the faulting thread's behalf (`Kind`): their
//! messages are built from the saved registers, and the reply is consumed by
//! the kernel (mappings installed, registers rewritten).

use crate::kernel::{KResult, Kernel};
use crate::machine::Machine;
use crate::thread::{Idx, Kind, State, NONE};
use l4_abi::layout::USER_MAP_END;
use l4_abi::msg::{exc, label, pf, MapItem, MsgTag, MAX_MR, REG_MRS};
use l4_abi::{utcb, Error, Fpage, ThreadId, Timeout};

/// What [`Kernel::ipc_fastpath`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fast {
    /// Nothing: take the general path.
    No,
    /// The IPC is done and `current` is the partner: switch to it.
    Switch,
    /// The IPC is done; the scheduler picks the next thread.
    Dispatch,
}

impl<'a, M: Machine> Kernel<'a, M> {
    /// The `ipc` system call of thread `c`, general path (the entry tries
    /// [`Self::ipc_fastpath`] first).
    pub(crate) fn sys_ipc(&mut self, c: Idx) {
        let f = &self.t[c as usize].frame;
        let (to, from) = (ThreadId(f.eax), ThreadId(f.ecx));
        let (st, rt) = Timeout::unpack(f.edx);
        self.t[c as usize].kind = Kind::Normal;
        self.ipc(c, to, from, st, rt);
    }

    /// The common cases in a few steps, tried by the IPC entry before the
    /// general path: a call or reply-and-wait with a short untyped message
    /// (registers only) to a thread that already waits for it, or the reply
    /// with one map item to a thread waiting for its page fault, where the
    /// caller then blocks and the partner may run at once. The result is
    /// exactly what the general path would produce; anything unusual
    /// returns `Fast::No` (nothing done) and takes the general path.
    pub fn ipc_fastpath(&mut self, c: Idx) -> Fast {
        if cfg!(feature = "mach") || !self.t[c as usize].has_utcb() {
            return Fast::No;
        }
        if self.ipc_fast(c) {
            return Fast::Switch;
        }
        self.ipc_fast_map(c)
    }

    /// The blocking conditions of both fast paths for caller `c` sending to
    /// `d` (which waits for it) and then receiving from `from`.
    #[inline(always)]
    fn fast_may_block(&self, c: Idx, d: Idx, from: ThreadId, edx: u32) -> bool {
        let ct = &self.t[c as usize];
        let cid = ct.id;
        // our receive phase must block: nothing queued for us, no interrupt
        // pending or to acknowledge, and not a receive from ourselves
        if ct.sq_head != NONE || self.irq.pending | self.irq.in_service != 0 {
            return false;
        }
        if from != self.t[d as usize].id && !from.is_any() && (from == cid || self.lookup(from).is_none()) {
            return false;
        }
        // the partner must be allowed to run now, and we must wait
        !self.rq.highest().is_some_and(|b| b > self.t[d as usize].prio) && !Timeout(edx as u16).is_zero()
    }

    /// The caller of a fast path blocks in its receive phase and `d` runs.
    #[inline(always)]
    fn fast_commit(&mut self, c: Idx, d: Idx, from: ThreadId, edx: u32) {
        let rt = Timeout(edx as u16);
        let dt = &mut self.t[d as usize];
        dt.state = State::Ready;
        dt.kind = Kind::Normal;
        let ct = &mut self.t[c as usize];
        ct.kind = Kind::Normal;
        ct.recv_from = from;
        ct.recv_timeout = rt;
        ct.state = State::RecvBlocked;
        ct.partner = from;
        self.timeout_add(c, rt);
        self.current = d;
        // what the skipped dispatch does on a switch: a donation ends when
        // another thread runs
        if self.donee != d {
            self.donee = NONE;
        }
    }

    /// A pager's reply to a page fault: one map item of one page
    /// (registers only). On success the faulting thread runs at once; if
    /// the mapping fails for want of memory, the rest is what the general
    /// path does (the caller gets the error, the faulter is woken to fault
    /// again) and the scheduler decides (`Fast::Dispatch`).
    fn ipc_fast_map(&mut self, c: Idx) -> Fast {
        let f = &self.t[c as usize].frame;
        let (tag, to, from, edx) = (MsgTag(f.esi), ThreadId(f.eax), ThreadId(f.ecx), f.edx);
        if tag.0 & 0xFFFF != MsgTag::new(0, 0, 2).0 || from.is_nil() {
            return Fast::No;
        }
        let Some(item) = MapItem::decode(f.ebx, f.ebp) else { return Fast::No };
        if item.fpage.size_log2() != 12 || self.check_fpage(self.t[c as usize].space, item.fpage).is_err() {
            return Fast::No;
        }
        let Some(d) = self.lookup(to) else { return Fast::No };
        let dt = &self.t[d as usize];
        let cid = self.t[c as usize].id;
        if d == c
            || dt.state != State::RecvBlocked
            || dt.kind != Kind::PageFault
            || dt.halted
            || dt.raise
            || dt.partner != cid
            || !self.fast_may_block(c, d, from, edx)
        {
            return Fast::No;
        }
        self.timeout_remove(d);
        if let Err(e) = self.map_item(c, d, item, Fpage::complete(l4_abi::msg::rights::RWX)) {
            let ct = &mut self.t[c as usize];
            ct.kind = Kind::Normal;
            ct.recv_from = from;
            ct.recv_timeout = Timeout(edx as u16);
            self.wake(d);
            self.complete(c, ThreadId::NIL, Some(e));
            return Fast::Dispatch;
        }
        self.fast_commit(c, d, from, edx);
        Fast::Switch
    }

    #[inline(always)]
    fn ipc_fast(&mut self, c: Idx) -> bool {
        let f = &self.t[c as usize].frame;
        let (tag, to, from, edx) = (MsgTag(f.esi), ThreadId(f.eax), ThreadId(f.ecx), f.edx);
        // untyped only, at most three words, no flags
        if tag.0 & 0xFFC0 != 0 || tag.untyped() >= REG_MRS as u32 || from.is_nil() {
            return false;
        }
        let Some(d) = self.lookup(to) else { return false };
        let dt = &self.t[d as usize];
        let cid = self.t[c as usize].id;
        if d == c
            || dt.state != State::RecvBlocked
            || dt.kind != Kind::Normal
            || dt.halted
            // a pending raised exception is sent when the dispatcher picks
            // the thread, which this path skips
            || dt.raise
            || !(dt.partner.is_any() || dt.partner == cid)
            || !self.fast_may_block(c, d, from, edx)
        {
            return false;
        }
        let f = &self.t[c as usize].frame;
        let (mr0, mr1, mr2, mr3) = (f.esi, f.ebx, f.ebp, f.edi);
        self.timeout_remove(d);
        let dt = &mut self.t[d as usize];
        // MR0 and the message's words only: registers past the message keep
        // the receiver's values, as on the general path
        let u = tag.untyped();
        dt.frame.esi = mr0;
        if u > 0 {
            dt.frame.ebx = mr1;
        }
        if u > 1 {
            dt.frame.ebp = mr2;
        }
        if u > 2 {
            dt.frame.edi = mr3;
        }
        dt.frame.eax = cid.0;
        dt.frame.ecx = 0;
        self.fast_commit(c, d, from, edx);
        true
    }

    /// Run an IPC for thread `c`: send to `to` (unless nil), then receive
    /// from `from` (unless nil).
    pub(crate) fn ipc(&mut self, c: Idx, to: ThreadId, from: ThreadId, st: Timeout, rt: Timeout) {
        let t = &mut self.t[c as usize];
        t.recv_from = from;
        t.recv_timeout = rt;
        if !to.is_nil() {
            match self.send_phase(c, to, st) {
                Err(e) => return self.complete(c, ThreadId::NIL, Some(e)),
                Ok(false) => return,
                Ok(true) => {}
            }
        }
        self.after_send(c);
    }

    /// The send phase of `s` completed: run its receive phase, and the
    /// receive phases of the senders that completes in turn.
    fn after_send(&mut self, s: Idx) {
        let mut next = Some(s);
        while let Some(x) = next {
            next = if self.t[x as usize].recv_from.is_nil() {
                self.complete(x, ThreadId::NIL, None);
                self.wake(x);
                None
            } else {
                self.recv_phase(x)
            };
        }
    }

    /// Write the IPC result registers of a thread doing its own IPC.
    pub(crate) fn complete(&mut self, x: Idx, from: ThreadId, err: Option<Error>) {
        if err.is_some() {
            // a failed send drops the message it had copied in (Mach build)
            self.mach_drop_out(x);
        }
        let k = self.t[x as usize].kmsg_in;
        if k != NONE {
            // Mach build: the results travel with the queued message
            let m = &mut self.kmsgs.msgs[k as usize];
            m.sender = from;
            m.err = err.map_or(0, |e| e as u32);
            return;
        }
        let t = &mut self.t[x as usize];
        if t.kind == Kind::Normal {
            t.frame.eax = from.0;
            t.frame.ecx = err.map_or(0, |e| e as u32);
        }
    }

    /// Check a message the thread is about to send.
    fn check_msg(&mut self, s: Idx) -> KResult {
        let t = &self.t[s as usize];
        let tag = MsgTag(t.frame.esi);
        let (u, ty) = (tag.untyped() as usize, tag.typed() as usize);
        if u + ty > MAX_MR || ty % 2 != 0 || (!t.has_utcb() && u + ty >= REG_MRS) {
            return Err(Error::MsgOverflow);
        }
        for k in (0..ty / 2).map(|i| u + 1 + 2 * i) {
            let item = MapItem::decode(self.smr(s, k), self.smr(s, k + 1)).ok_or(Error::MsgOverflow)?;
            self.check_fpage(self.t[s as usize].space, item.fpage)?;
        }
        Ok(())
    }

    /// A flexpage a space may send: well-formed, with rights, and inside
    /// the mappable part of user space (or the whole space). Sigma0's
    /// flexpages name physical memory and may lie anywhere.
    pub(crate) fn check_fpage(&self, s: u16, f: Fpage) -> KResult {
        if f.is_nil() {
            return Ok(());
        }
        let in_user = f.size_log2() == 32 || f.end() <= USER_MAP_END as u64 || self.space(s).physical;
        if !f.is_valid() || f.rights() == 0 || !in_user {
            return Err(Error::InvalidFpage);
        }
        Ok(())
    }

    /// Send phase; `Ok(true)` delivered, `Ok(false)` blocked.
    fn send_phase(&mut self, s: Idx, to: ThreadId, st: Timeout) -> KResult<bool> {
        let d = self.lookup(to).ok_or(Error::InvalidThread)?;
        if d == s {
            return Err(Error::InvalidThread);
        }
        if self.t[s as usize].kind == Kind::Normal {
            self.check_msg(s)?;
        }
        let sid = self.t[s as usize].id;
        let dt = &self.t[d as usize];
        if dt.state == State::RecvBlocked && (dt.partner.is_any() || dt.partner == sid) {
            self.timeout_remove(d);
            let r = self.transfer(s, d);
            self.complete(d, sid, r.err());
            self.wake(d);
            return r.map(|_| true);
        }
        if st.is_zero() {
            return Err(Error::SendTimeout);
        }
        let t = &mut self.t[s as usize];
        t.state = State::SendBlocked;
        t.partner = to;
        self.sq_append(d, s);
        self.timeout_add(s, st);
        if cfg!(feature = "mach") {
            // Mach copies the message into the kernel when it is sent
            let k = self.copyin(s);
            self.t[s as usize].kmsg_out = k;
        }
        Ok(false)
    }

    /// Receive phase of `r`. Returns a sender whose send phase this
    /// completed (its own receive phase is next).
    fn recv_phase(&mut self, r: Idx) -> Option<Idx> {
        let from = self.t[r as usize].recv_from;
        let rt = self.t[r as usize].recv_timeout;
        self.ack_irqs(r);
        if from.is_any() || from.as_irq().is_some() {
            if let Some(irq) = self.pending_irq_for(r, from) {
                self.deliver_irq(r, irq);
                self.wake(r);
                return None;
            }
        }
        let sender = if from.is_any() {
            Some(self.t[r as usize].sq_head).filter(|&h| h != NONE)
        } else if from.as_irq().is_some() {
            None
        } else {
            let Some(want) = self.lookup(from) else {
                self.complete(r, ThreadId::NIL, Some(Error::InvalidThread));
                self.wake(r);
                return None;
            };
            let mut q = self.t[r as usize].sq_head;
            while q != NONE && q != want {
                q = self.t[q as usize].sq_next;
            }
            Some(q).filter(|&q| q != NONE)
        };
        match sender {
            Some(s) => {
                self.sq_remove(r, s);
                self.timeout_remove(s);
                let res = self.transfer(s, r);
                let sid = self.t[s as usize].id;
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
            None if rt.is_zero() => {
                self.complete(r, ThreadId::NIL, Some(Error::RecvTimeout));
                self.wake(r);
                None
            }
            None => {
                let t = &mut self.t[r as usize];
                t.state = State::RecvBlocked;
                t.partner = from;
                self.timeout_add(r, rt);
                None
            }
        }
    }

    /// Message register `i` of sender `s`.
    fn smr(&mut self, s: Idx, i: usize) -> u32 {
        let t = &self.t[s as usize];
        match t.kind {
            Kind::Normal if i < REG_MRS => t.frame.reg_mr(i),
            Kind::Normal if t.has_utcb() => {
                let pfn = t.utcb_pfn;
                self.m.frame(pfn)[utcb::MR + i]
            }
            Kind::Normal => 0,
            Kind::PageFault => match i {
                0 => MsgTag::new(label::PAGE_FAULT | t.fault_access as u16, pf::WORDS, 0).0,
                pf::ADDR => t.fault_addr,
                pf::EIP => t.frame.eip,
                _ => 0,
            },
            Kind::Exception => match i {
                0 => MsgTag::new(label::EXCEPTION, exc::WORDS, 0).0,
                _ => t.frame.exc_field(i),
            },
        }
    }

    /// Copy the message of `s` to `r` (or let the kernel consume it when `r`
    /// waits for a fault or exception reply).
    fn transfer(&mut self, s: Idx, r: Idx) -> KResult {
        if cfg!(feature = "mach") {
            return self.mach_transfer(s, r);
        }
        let tag = MsgTag(self.smr(s, 0));
        let (u, ty) = (tag.untyped() as usize, tag.typed() as usize);
        let rkind = self.t[r as usize].kind;
        match rkind {
            Kind::Normal => {
                let n = u + ty;
                let (sk, su) = (self.t[s as usize].kind, self.t[s as usize].utcb_pfn);
                let rt = &mut self.t[r as usize];
                rt.frame.esi = tag.0;
                let ru = rt.utcb_pfn;
                let has_utcb = rt.has_utcb();
                for i in 1..REG_MRS.min(n + 1) {
                    let v = self.smr(s, i);
                    self.t[r as usize].frame.set_reg_mr(i, v);
                }
                if n >= REG_MRS && has_utcb {
                    if sk == Kind::Normal {
                        self.m.copy_words(su, utcb::MR + REG_MRS, ru, utcb::MR + REG_MRS, n + 1 - REG_MRS);
                    } else {
                        for i in REG_MRS..=n {
                            let v = self.smr(s, i);
                            self.m.frame(ru)[utcb::MR + i] = v;
                        }
                    }
                }
            }
            Kind::Exception => {
                for i in 1..=u.min(exc::WRITABLE as usize) {
                    let v = self.smr(s, i);
                    self.t[r as usize].frame.set_exc_field(i, v);
                }
            }
            Kind::PageFault => {}
        }
        if ty == 0 {
            return Ok(());
        }
        let window = match rkind {
            Kind::Normal if self.t[r as usize].has_utcb() => {
                let pfn = self.t[r as usize].utcb_pfn;
                Fpage(self.m.frame(pfn)[utcb::ACCEPTOR])
            }
            Kind::Normal => Fpage::NIL,
            _ => Fpage::complete(l4_abi::msg::rights::RWX),
        };
        for k in (0..ty / 2).map(|i| u + 1 + 2 * i) {
            if let Some(item) = MapItem::decode(self.smr(s, k), self.smr(s, k + 1)) {
                self.map_item(s, r, item, window)?;
            }
        }
        Ok(())
    }

    /// The receive window of `r` for map items.
    fn window(&mut self, r: Idx, rkind: Kind) -> Fpage {
        match rkind {
            Kind::Normal if self.t[r as usize].has_utcb() => {
                let pfn = self.t[r as usize].utcb_pfn;
                Fpage(self.m.frame(pfn)[utcb::ACCEPTOR])
            }
            Kind::Normal => Fpage::NIL,
            _ => Fpage::complete(l4_abi::msg::rights::RWX),
        }
    }

    /// Mach: copy the message of `s` into a kernel buffer.
    fn copyin(&mut self, s: Idx) -> Idx {
        let Some(k) = self.kmsgs.alloc() else { return NONE };
        let tag = MsgTag(self.smr(s, 0));
        let n = (tag.untyped() + tag.typed()) as usize;
        for i in 0..=n.min(MAX_MR) {
            let v = self.smr(s, i);
            self.kmsgs.msgs[k as usize].words[i] = v;
        }
        k
    }

    /// Mach: look the receiver up in the sender's port names, take the
    /// sender's buffered message (copying it in now if it has none), apply
    /// its map items, and queue it for the receiver, who copies it out when
    /// it runs.
    fn mach_transfer(&mut self, s: Idx, r: Idx) -> KResult {
        #[cfg(feature = "mach")]
        {
            let sp = self.t[s as usize].space as usize;
            let rid = self.t[r as usize].id;
            let port = self.spaces[sp].names.translate(rid, r);
            debug_assert_eq!(port, r);
        }
        let mut k = core::mem::replace(&mut self.t[s as usize].kmsg_out, NONE);
        if k == NONE {
            k = self.copyin(s);
        }
        if k == NONE {
            return Err(Error::NoMemory);
        }
        let rkind = self.t[r as usize].kind;
        let m = self.kmsgs.msgs[k as usize];
        let tag = MsgTag(m.words[0]);
        let (u, ty) = (tag.untyped() as usize, tag.typed() as usize);
        if ty > 0 {
            let window = self.window(r, rkind);
            for j in (0..ty / 2).map(|i| u + 1 + 2 * i) {
                if let Some(item) = MapItem::decode(m.words[j], m.words[j + 1]) {
                    if let Err(e) = self.map_item(s, r, item, window) {
                        self.kmsgs.free(k);
                        return Err(e);
                    }
                }
            }
        }
        let km = &mut self.kmsgs.msgs[k as usize];
        km.rkind = rkind;
        km.sender = self.t[s as usize].id;
        km.err = 0;
        self.t[r as usize].kmsg_in = k;
        Ok(())
    }

    /// Mach: the thread about to run copies its queued message out.
    pub(crate) fn mach_copyout(&mut self, c: Idx) {
        let k = core::mem::replace(&mut self.t[c as usize].kmsg_in, NONE);
        let m = self.kmsgs.msgs[k as usize];
        self.kmsgs.free(k);
        let tag = MsgTag(m.words[0]);
        let (u, n) = (tag.untyped() as usize, (tag.untyped() + tag.typed()) as usize);
        let t = &mut self.t[c as usize];
        match m.rkind {
            Kind::Normal => {
                t.frame.esi = m.words[0];
                for i in 1..REG_MRS.min(n + 1) {
                    t.frame.set_reg_mr(i, m.words[i]);
                }
                t.frame.eax = m.sender.0;
                t.frame.ecx = m.err;
                if n >= REG_MRS && t.has_utcb() {
                    let pfn = t.utcb_pfn;
                    let words = self.m.frame(pfn);
                    words[utcb::MR + REG_MRS..=utcb::MR + n].copy_from_slice(&m.words[REG_MRS..=n]);
                }
            }
            Kind::Exception => {
                for i in 1..=u.min(exc::WRITABLE as usize) {
                    t.frame.set_exc_field(i, m.words[i]);
                }
            }
            Kind::PageFault => {}
        }
    }

    /// Free the message a failed or aborted sender had buffered.
    pub(crate) fn mach_drop_out(&mut self, x: Idx) {
        let k = core::mem::replace(&mut self.t[x as usize].kmsg_out, NONE);
        if k != NONE {
            self.kmsgs.free(k);
        }
    }

    /// Free every buffer a thread holds (it is being deleted).
    pub(crate) fn mach_drop(&mut self, x: Idx) {
        self.mach_drop_out(x);
        let k = core::mem::replace(&mut self.t[x as usize].kmsg_in, NONE);
        if k != NONE {
            self.kmsgs.free(k);
        }
    }

    /// Apply one map or grant item from `s` to `r` through the receive
    /// window (L4 X.2 rules: the smaller of sender flexpage and window is
    /// placed inside the larger one as the send base selects).
    fn map_item(&mut self, s: Idx, r: Idx, item: MapItem, window: Fpage) -> KResult {
        let f = item.fpage;
        if f.is_nil() || window.is_nil() || !f.is_valid() || !window.is_valid() {
            return Ok(());
        }
        let (src, dst, size) = if f.size_log2() <= window.size_log2() {
            let off = (item.send_base as u64 & (window.size() - 1)) & !(f.size() - 1);
            (f.base() as u64, window.base() as u64 + off, f.size())
        } else {
            let off = (item.send_base as u64 & (f.size() - 1)) & !(window.size() - 1);
            (f.base() as u64 + off, window.base() as u64, window.size())
        };
        let (ss, rs) = (self.t[s as usize].space, self.t[r as usize].space);
        let physical = self.space(ss).physical;
        // never walk past what can exist on either side
        let limit = if physical { self.mdb.frames() as u64 * 4096 } else { USER_MAP_END as u64 };
        let size = size.min(limit.saturating_sub(src)).min((USER_MAP_END as u64).saturating_sub(dst));
        let mut off = 0u64;
        while off < size {
            let sva = (src + off) as u32;
            if !physical && !self.has_table(ss, sva) {
                off = ((off + src) | 0x3F_FFFF) + 1 - src; // skip an empty 4 MiB region
                continue;
            }
            self.map_page(ss, sva, rs, (dst + off) as u32, f.rights(), item.grant)?;
            off += 4096;
        }
        Ok(())
    }

    fn has_table(&mut self, s: u16, va: u32) -> bool {
        let pd = self.space(s).pd;
        crate::pte::is_present(self.m.frame(pd)[crate::pte::pd_index(va)])
    }

    /// Append `s` to the sender queue of `d`.
    pub(crate) fn sq_append(&mut self, d: Idx, s: Idx) {
        let tail = self.t[d as usize].sq_tail;
        self.t[s as usize].sq_next = NONE;
        self.t[s as usize].sq_prev = tail;
        if tail == NONE {
            self.t[d as usize].sq_head = s;
        } else {
            self.t[tail as usize].sq_next = s;
        }
        self.t[d as usize].sq_tail = s;
    }

    /// Remove `s` from the sender queue of `d`.
    pub(crate) fn sq_remove(&mut self, d: Idx, s: Idx) {
        let (next, prev) = (self.t[s as usize].sq_next, self.t[s as usize].sq_prev);
        if prev == NONE {
            self.t[d as usize].sq_head = next;
        } else {
            self.t[prev as usize].sq_next = next;
        }
        if next == NONE {
            self.t[d as usize].sq_tail = prev;
        } else {
            self.t[next as usize].sq_prev = prev;
        }
        self.t[s as usize].sq_next = NONE;
        self.t[s as usize].sq_prev = NONE;
    }
}
