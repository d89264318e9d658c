//! Threads and spaces in the spec: thread_control (create, delete, delete
//! space, set handlers), exchange_registers, schedule and thread_switch.
//!
//! Rules:
//! - a thread may control threads of its own space, of spaces its space
//!   created, or any thread if its space is privileged;
//! - create: priority above 255, or above the caller's own when the caller
//!   is not privileged, is `NoPermission`; a nil space argument makes a new
//!   space owned by the caller's; a UTCB slot must be `NO_UTCB` or a free
//!   slot below 255 (`InvalidArgument`); no thread slot or space left is
//!   `NoMemory` (a new space made for a failed create goes again); the new
//!   thread is inactive, gets a fresh id (never that of a live or earlier
//!   thread), timeslice 10 ticks;
//! - delete: the thread leaves its IPC; senders queued on it fail with
//!   `SendCanceled` (in queue order), threads waiting to receive from it by
//!   name with `RecvCanceled` (in thread-number order); interrupts it
//!   handled are detached; the last thread of a space takes the space (and
//!   every mapping in it, with everything derived) with it;
//! - exchange_registers reports the state before (halted wins) and the old
//!   sp, ip, flags; aborts cancel the matching blocked phase; `RESUME` starts
//!   an inactive thread and clears halt; `HALT` stops it;
//! - schedule: as create for the priority rule; the timeslice becomes
//!   ceil(µs / 1000) ticks and the rest of the current one at most that;
//! - thread_switch puts the caller at the tail of its queue and runs a ready
//!   target (the donee) at once, without preemption until its timeslice
//!   ends.

use crate::sched::DEFAULT_TIMESLICE;
use crate::state::{Cont, Det, Frame, Kind, Space, State, TState, Thread, Word};
use l4_abi::layout::UTCB_SLOTS;
use l4_abi::msg::exc;
use l4_abi::syscall::{exreg, tc, Error, ThreadState};
use l4_abi::ThreadId;
use std::collections::{BTreeSet, VecDeque};

/// eflags of a new thread (IF and the reserved bit).
pub const EFLAGS_INIT: u32 = 0x202;

impl State {
    fn create_space(&mut self, owner: usize) -> Result<usize, Error> {
        if self.live_spaces() >= self.limits.spaces {
            return Err(Error::NoMemory);
        }
        self.spaces.push(Space {
            alive: true,
            owner: Some(owner),
            privileged: false,
            threads: 0,
            utcb_used: BTreeSet::new(),
            io: None,
        });
        Ok(self.spaces.len() - 1)
    }

    /// Delete a space without threads: every mapping in it goes, with
    /// everything derived from it.
    fn delete_space(&mut self, s: usize) {
        let mine: Vec<u32> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.space == s)
            .map(|(&k, _)| k)
            .collect();
        for k in mine {
            if self.nodes.contains_key(&k) {
                self.remove_subtree(k);
            }
        }
        for other in self.spaces.iter_mut() {
            if other.owner == Some(s) {
                other.owner = None;
            }
        }
        self.spaces[s].alive = false;
    }

    /// A new inactive thread in space `s` with the id `id`.
    pub(crate) fn new_thread(
        &mut self,
        s: usize,
        id: ThreadId,
        pager: ThreadId,
        exc: ThreadId,
        slot: Option<u32>,
        prio: u8,
    ) -> usize {
        let machine = |v| Word {
            v,
            det: Det::Machine,
        };
        self.threads.push(Thread {
            id,
            alive: true,
            space: s,
            state: TState::Inactive,
            kind: Kind::Normal,
            halted: false,
            raise: false,
            prio,
            timeslice: DEFAULT_TIMESLICE,
            remaining: DEFAULT_TIMESLICE,
            utcb: slot,
            pager,
            exc_handler: exc,
            partner: ThreadId::NIL,
            recv_from: ThreadId::NIL,
            recv_timeout: 0,
            deadline: 0,
            senders: VecDeque::new(),
            frame: Frame {
                gpr: [Word::ZERO; 7],
                eip: machine(0),
                esp: machine(0),
                eflags: machine(EFLAGS_INIT),
                vector: 0,
                error: 0,
            },
            mrs: [Word::ZERO; 64],
            acceptor: 0,
            fault_addr: 0,
            fault_access: 0,
            tls: [None; 3],
            segs: machine(0),
            cont: Cont::Next,
            reply: ThreadId::NIL,
        });
        if let Some(slot) = slot {
            self.spaces[s].utcb_used.insert(slot);
        }
        self.spaces[s].threads += 1;
        self.threads.len() - 1
    }

    /// The id the kernel gives the next thread (see `docs/spec.md`): taken
    /// from the ids the environment reported; it must be fresh.
    fn fresh_id(&mut self) -> ThreadId {
        let id = self
            .next_ids
            .pop_front()
            .unwrap_or(ThreadId::new(0x3FFF, 0x3FFF));
        let fresh = id.number() >= ThreadId::FIRST_THREAD
            && id.version() != 0
            && self.threads.iter().all(|t| t.id != id);
        if !fresh {
            self.violations.push(format!(
                "create returned {id:?}, which is not a fresh thread id"
            ));
        }
        id
    }

    /// thread_control CREATE by thread `c`.
    pub fn thread_control_create(
        &mut self,
        c: usize,
        space: ThreadId,
        pager: ThreadId,
        exc: ThreadId,
        slot: u32,
        prio: u32,
    ) -> Result<ThreadId, Error> {
        let caller = self.threads[c].space;
        if prio > 255 || (prio as u8 > self.threads[c].prio && !self.privileged(c)) {
            return Err(Error::NoPermission);
        }
        let (s, fresh) = if space.is_nil() {
            (self.create_space(caller)?, true)
        } else {
            let t = self.lookup(space).ok_or(Error::InvalidThread)?;
            let s = self.threads[t].space;
            if !self.may_control(caller, s) {
                return Err(Error::NoPermission);
            }
            (s, false)
        };
        let has_utcb = slot != tc::NO_UTCB;
        let bad_slot = has_utcb && (slot >= UTCB_SLOTS || self.spaces[s].utcb_used.contains(&slot));
        let err = if bad_slot {
            Some(Error::InvalidArgument)
        } else if self.live_threads() + self.unmodelled_threads >= self.limits.thread_slots {
            Some(Error::NoMemory)
        } else {
            None
        };
        if let Some(e) = err {
            if fresh {
                self.spaces[s].alive = false;
            }
            return Err(e);
        }
        let id = self.fresh_id();
        self.new_thread(s, id, pager, exc, has_utcb.then_some(slot), prio as u8);
        Ok(id)
    }

    /// thread_control DELETE by thread `c`.
    pub fn thread_control_delete(&mut self, c: usize, id: ThreadId) -> Result<(), Error> {
        let i = self.lookup(id).ok_or(Error::InvalidThread)?;
        if !self.may_control(self.threads[c].space, self.threads[i].space) {
            return Err(Error::NoPermission);
        }
        self.delete_thread(i);
        Ok(())
    }

    /// thread_control DELETE_SPACE by thread `c`: every thread of the space
    /// (in thread-number order), then the space.
    pub fn thread_control_delete_space(&mut self, c: usize, id: ThreadId) -> Result<(), Error> {
        let i = self.lookup(id).ok_or(Error::InvalidThread)?;
        let s = self.threads[i].space;
        if !self.may_control(self.threads[c].space, s) {
            return Err(Error::NoPermission);
        }
        if s == 0 && self.unmodelled_threads > 0 {
            // the root space's unmodelled boot thread has the lowest number:
            // it goes first (it waits for nothing and nobody waits for it)
            self.unmodelled_threads -= 1;
            self.spaces[0].threads -= 1;
            self.spaces[0].utcb_used.remove(&0);
        }
        for j in self.by_number() {
            if self.threads[j].alive && self.threads[j].space == s {
                self.delete_thread(j);
            }
        }
        Ok(())
    }

    /// thread_control SET_HANDLERS by thread `c` (nil keeps a handler).
    pub fn thread_control_set_handlers(
        &mut self,
        c: usize,
        id: ThreadId,
        pager: ThreadId,
        exc: ThreadId,
    ) -> Result<(), Error> {
        let i = self.lookup(id).ok_or(Error::InvalidThread)?;
        if !self.may_control(self.threads[c].space, self.threads[i].space) {
            return Err(Error::NoPermission);
        }
        if !pager.is_nil() {
            self.threads[i].pager = pager;
        }
        if !exc.is_nil() {
            self.threads[i].exc_handler = exc;
        }
        Ok(())
    }

    /// Live threads in thread-number order (the kernel's table order).
    pub(crate) fn by_number(&self) -> Vec<usize> {
        let mut v: Vec<usize> = (0..self.threads.len())
            .filter(|&j| self.threads[j].alive)
            .collect();
        v.sort_by_key(|&j| self.threads[j].id.number());
        v
    }

    /// Take thread `i` out of its IPC; `notify`: it becomes ready with the
    /// matching cancel error.
    fn cancel_ipc(&mut self, i: usize, notify: bool) {
        match self.threads[i].state {
            TState::SendBlocked => {
                if let Some(d) = self.lookup(self.threads[i].partner) {
                    self.threads[d].senders.retain(|&x| x != i);
                }
                self.timeout_remove(i);
                if notify {
                    self.complete(i, ThreadId::NIL, Some(Error::SendCanceled));
                    self.wake(i);
                }
            }
            TState::RecvBlocked => {
                self.timeout_remove(i);
                if notify {
                    self.complete(i, ThreadId::NIL, Some(Error::RecvCanceled));
                    self.wake(i);
                }
            }
            _ => {}
        }
    }

    fn delete_thread(&mut self, i: usize) {
        let id = self.threads[i].id;
        if self.queued(i) {
            self.dequeue(i);
        }
        self.cancel_ipc(i, false);
        self.threads[i].state = TState::Inactive;
        self.threads[i].halted = true;
        while let Some(snd) = self.threads[i].senders.pop_front() {
            self.timeout_remove(snd);
            self.complete(snd, ThreadId::NIL, Some(Error::SendCanceled));
            self.wake(snd);
        }
        for j in self.by_number() {
            let t = &self.threads[j];
            if t.state == TState::RecvBlocked && t.partner == id {
                self.timeout_remove(j);
                self.complete(j, ThreadId::NIL, Some(Error::RecvCanceled));
                self.wake(j);
            }
        }
        for irq in 0..16 {
            if self.irq_handler[irq] == id {
                self.irq_handler[irq] = ThreadId::NIL;
                self.irq_pending &= !(1 << irq);
                self.irq_in_service &= !(1 << irq);
                self.irq_masked |= 1 << irq;
            }
        }
        let s = self.threads[i].space;
        if let Some(slot) = self.threads[i].utcb {
            self.spaces[s].utcb_used.remove(&slot);
        }
        self.threads[i].alive = false;
        if self.current == Some(i) {
            self.current = None;
        }
        if self.woken == Some(i) {
            self.woken = None;
        }
        self.spaces[s].threads -= 1;
        if self.spaces[s].threads == 0 {
            self.delete_space(s);
        }
    }

    /// exchange_registers by thread `c`; returns state, sp, ip, flags and
    /// the fs/gs selectors before.
    #[allow(clippy::too_many_arguments)]
    pub fn exchange_registers(
        &mut self,
        c: usize,
        id: ThreadId,
        ctl: u32,
        sp: u32,
        ip: u32,
        flags: u32,
        segs: u32,
    ) -> Result<(ThreadState, Word, Word, Word, Word), Error> {
        if ctl & !exreg::ALL != 0 {
            return Err(Error::InvalidArgument);
        }
        let i = self.lookup(id).ok_or(Error::InvalidThread)?;
        if !self.may_control(self.threads[c].space, self.threads[i].space) {
            return Err(Error::NoPermission);
        }
        let t = &self.threads[i];
        let state = if t.halted {
            ThreadState::Halted
        } else {
            match t.state {
                TState::Inactive => ThreadState::Inactive,
                TState::Ready => ThreadState::Ready,
                TState::SendBlocked => ThreadState::SendBlocked,
                TState::RecvBlocked => ThreadState::RecvBlocked,
            }
        };
        let old = (state, t.frame.esp, t.frame.eip, t.frame.eflags, t.segs);
        let st = t.state;
        if (ctl & exreg::ABORT_SEND != 0 && st == TState::SendBlocked)
            || (ctl & exreg::ABORT_RECV != 0 && st == TState::RecvBlocked)
        {
            self.cancel_ipc(i, true);
        }
        let t = &mut self.threads[i];
        if ctl & exreg::SET_SP != 0 {
            t.frame.esp = Word::machine(sp);
        }
        if ctl & exreg::SET_IP != 0 {
            t.frame.eip = Word::machine(ip);
            // user code starts over at the new instruction pointer
            t.cont = Cont::Next;
            t.reply = ThreadId::NIL;
        }
        if ctl & exreg::SET_FLAGS != 0 {
            crate::ipc::set_exc_field(&mut t.frame, exc::EFLAGS, Word::exact(flags));
        }
        if ctl & exreg::RAISE != 0 {
            t.raise = true;
        }
        if ctl & exreg::SET_SEGS != 0 {
            t.segs = Word::machine(segs);
        }
        let was_queued = self.queued(i);
        let t = &mut self.threads[i];
        if ctl & exreg::HALT != 0 {
            t.halted = true;
        }
        if ctl & exreg::RESUME != 0 {
            t.halted = false;
            if t.state == TState::Inactive {
                t.state = TState::Ready;
            }
        }
        match (was_queued, self.queued(i)) {
            (false, true) => self.enqueue_tail(i),
            (true, false) => self.dequeue(i),
            _ => {}
        }
        Ok(old)
    }

    /// schedule by thread `c`.
    pub fn schedule(
        &mut self,
        c: usize,
        id: ThreadId,
        prio: u32,
        timeslice_us: u32,
    ) -> Result<(), Error> {
        let i = self.lookup(id).ok_or(Error::InvalidThread)?;
        if !self.may_control(self.threads[c].space, self.threads[i].space) {
            return Err(Error::NoPermission);
        }
        if prio != u32::MAX {
            if prio > 255 || (prio as u8 > self.threads[c].prio && !self.privileged(c)) {
                return Err(Error::NoPermission);
            }
            let q = self.queued(i);
            if q {
                self.dequeue(i);
            }
            self.threads[i].prio = prio as u8;
            if q {
                self.enqueue_tail(i);
            }
        }
        if timeslice_us != 0 {
            let ticks = timeslice_us.div_ceil(crate::sched::TICK_US as u32).max(1);
            let t = &mut self.threads[i];
            t.timeslice = ticks;
            t.remaining = t.remaining.min(ticks);
        }
        Ok(())
    }

    /// thread_switch by thread `c` (nil: yield). Returns the error code.
    pub fn thread_switch(&mut self, c: usize, to: ThreadId) -> Result<(), Error> {
        let target = if to.is_nil() { None } else { self.lookup(to) };
        let r = if !to.is_nil() && target.is_none() {
            Err(Error::InvalidThread)
        } else {
            Ok(())
        };
        self.enqueue_tail(c);
        self.current = None;
        if let Some(d) = target {
            if self.queued(d) {
                self.dequeue(d);
                self.current = Some(d);
                self.donee = Some(d);
            }
        }
        r
    }
}
