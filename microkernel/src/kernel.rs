//! The kernel proper, independent of the CPU: all kernel state in one
//! struct and one method per event (system call, page fault, exception,
//! interrupt, timer tick). The architecture layer saves the user registers
//! into the current TCB, calls one of these, then asks [`Kernel::dispatch`]
//! which thread to run next and restores it. There is no per-thread kernel
//! stack: a blocked thread is fully described by its TCB.

use crate::desc;
use crate::kprint::Out;
use crate::machine::{Console, Machine};
use crate::mapdb::{MapDb, Node, NIL};
use crate::pool::Pool;
use crate::pte;
use crate::sched::ReadyQueues;
use crate::space::{self, Space, NO_SPACE};
use crate::thread::{id_of, Idx, Kind, State, Tcb, UserFrame, NONE};
use l4_abi::kip;
use l4_abi::layout::{utcb_addr, KIP_ADDR, UTCB_SLOTS, USER_MAP_END};
use l4_abi::msg::{exc, rights, Fpage};
use l4_abi::syscall::{self as sc, exreg, kdebug, tc, Error, ThreadState};
use l4_abi::{utcb, ThreadId, Timeout};

/// Timer period.
pub const TICK_US: u32 = 1000;
/// Default timeslice in ticks.
pub const DEFAULT_TIMESLICE: u32 = 10;
/// Priority of sigma0 and the roottask (the highest).
pub const BOOT_PRIO: u8 = 255;
/// Interrupt lines the kernel keeps: 0 (timer) and 2 (cascade).
const KERNEL_IRQS: u16 = 1 << 0 | 1 << 2;

/// Distinct TLS descriptor sets in use, interned so that a context switch
/// compares one number instead of three descriptors. Id 0 is the empty set;
/// `TLS_UNIQUE` marks a set that found no room (always reloaded).
pub struct TlsSets {
    sets: [[u64; 3]; TLS_SETS],
    refs: [u16; TLS_SETS],
}

pub const TLS_SETS: usize = 64;
pub const TLS_UNIQUE: u16 = u16::MAX;

impl Default for TlsSets {
    fn default() -> Self {
        TlsSets { sets: [[0; 3]; TLS_SETS], refs: [0; TLS_SETS] }
    }
}

impl TlsSets {
    pub fn intern(&mut self, d: &[u64; 3]) -> u16 {
        if *d == [0; 3] {
            return 0;
        }
        if let Some(i) = (1..TLS_SETS).find(|&i| self.refs[i] > 0 && self.sets[i] == *d) {
            self.refs[i] += 1;
            return i as u16;
        }
        match (1..TLS_SETS).find(|&i| self.refs[i] == 0) {
            Some(i) => {
                self.sets[i] = *d;
                self.refs[i] = 1;
                i as u16
            }
            None => TLS_UNIQUE,
        }
    }
    /// Was `id` just given its descriptors (not shared with anyone)?
    pub fn is_new(&self, id: u16) -> bool {
        id != 0 && id != TLS_UNIQUE && self.refs[id as usize] == 1
    }
    pub fn release(&mut self, id: u16) {
        if id != 0 && id != TLS_UNIQUE {
            self.refs[id as usize] -= 1;
        }
    }
}

/// The memory the kernel's tables live in, sized and zeroed by the caller.
pub struct Tables<'a> {
    pub threads: &'a mut [Tcb],
    pub spaces: &'a mut [Space],
    pub nodes: &'a mut [Node],
    /// One entry per physical frame the mapping database tracks.
    pub roots: &'a mut [u32],
    /// Capacity of the frame pool.
    pub pool: &'a mut [u32],
    /// Kernel message buffers (Mach build; empty otherwise).
    pub kmsgs: &'a mut [crate::mach::Kmsg],
}

/// Interrupt bit masks (bit n: IRQ n).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Irqs {
    pub pending: u16,
    pub in_service: u16,
}

pub struct Kernel<'a, M: Machine> {
    pub m: M,
    pub t: &'a mut [Tcb],
    pub spaces: &'a mut [Space],
    pub mdb: MapDb<'a>,
    pub pool: Pool<'a>,
    pub rq: ReadyQueues,
    /// The running thread (NONE: idle).
    pub current: Idx,
    /// A thread this kernel entry made ready: preferred when the current
    /// thread blocks (the direct switch of a call or reply-and-wait).
    pub(crate) woken: Idx,
    /// The thread the current one donated its time to with thread_switch:
    /// it runs without being preempted until its timeslice ends.
    pub(crate) donee: Idx,
    /// Ticks since boot.
    pub now: u64,
    pub kip: u32,
    master_pd: u32,
    free_thread: Idx,
    /// One past the highest thread slot and space ever used: scans over
    /// all threads or spaces stop there.
    threads_end: Idx,
    spaces_end: u16,
    free_threads: u32,
    free_space: u16,
    free_spaces: u32,
    /// Head of the list of threads waiting with a timeout.
    pub(crate) timeouts: Idx,
    pub(crate) irq_handler: [ThreadId; 16],
    /// Interrupts raised but not yet delivered, and delivered but not yet
    /// acknowledged (one word, so the fast path tests both at once).
    pub(crate) irq: Irqs,
    /// Bumped whenever something the context switch caches may have gone
    /// stale: an I/O bitmap changed, or a TLS set id was given other
    /// descriptors (the arch layer then reloads the TSS bitmap and the
    /// GDT's TLS entries).
    pub switch_gen: u32,
    pub sigma0: ThreadId,
    pub roottask: ThreadId,
    /// Kernel message buffers (Mach build).
    pub kmsgs: crate::mach::Kmsgs<'a>,
    pub tls_sets: TlsSets,
}

/// Result of an operation that reports an error code.
pub type KResult<T = ()> = Result<T, Error>;

impl<'a, M: Machine> Kernel<'a, M> {
    /// A kernel with empty tables. `master_pd` holds the kernel half of
    /// every page directory; `kip` is the (already written) KIP frame.
    pub fn new(m: M, tables: Tables<'a>, master_pd: u32, kip: u32) -> Self {
        let Tables { threads, spaces, nodes, roots, pool, kmsgs } = tables;
        let nt = threads.len();
        for (i, t) in threads.iter_mut().enumerate() {
            *t = Tcb { rq_next: if i + 1 < nt { i as Idx + 1 } else { NONE }, ..Tcb::default() };
        }
        let ns = spaces.len();
        for (i, s) in spaces.iter_mut().enumerate() {
            *s = Space { next_free: if i + 1 < ns { i as u16 + 1 } else { NO_SPACE }, ..Space::default() };
        }
        Kernel {
            m,
            t: threads,
            spaces,
            mdb: MapDb::new(nodes, roots),
            pool: Pool::new(pool),
            rq: ReadyQueues::default(),
            current: NONE,
            woken: NONE,
            donee: NONE,
            now: 0,
            kip,
            master_pd,
            free_thread: if nt > 0 { 0 } else { NONE },
            threads_end: 0,
            spaces_end: 0,
            free_threads: nt as u32,
            free_space: if ns > 0 { 0 } else { NO_SPACE },
            free_spaces: ns as u32,
            timeouts: NONE,
            irq_handler: [ThreadId::NIL; 16],
            irq: Irqs { pending: 0, in_service: 0 },
            switch_gen: 0,
            sigma0: ThreadId::NIL,
            roottask: ThreadId::NIL,
            kmsgs: crate::mach::Kmsgs::new(kmsgs),
            tls_sets: TlsSets::default(),
        }
    }

    // ----- lookups -----------------------------------------------------

    /// The live thread with exactly this id.
    #[inline(always)]
    pub fn lookup(&self, id: ThreadId) -> Option<Idx> {
        // nil, IRQ ids and numbers past the table fall out of the range
        // check; a free slot keeps its last id but is not live
        let i = (id.number() as usize).wrapping_sub(ThreadId::FIRST_THREAD as usize);
        let t = self.t.get(i)?;
        (t.id == id && t.state != State::Free).then_some(i as Idx)
    }

    #[inline(always)]
    pub fn tcb(&self, i: Idx) -> &Tcb {
        &self.t[i as usize]
    }
    #[inline(always)]
    pub fn tcb_mut(&mut self, i: Idx) -> &mut Tcb {
        &mut self.t[i as usize]
    }
    #[inline(always)]
    pub fn space(&self, s: u16) -> &Space {
        &self.spaces[s as usize]
    }
    #[inline(always)]
    fn tspace(&self, i: Idx) -> u16 {
        self.t[i as usize].space
    }

    /// May threads of space `caller` control threads of space `target`?
    fn may_control(&self, caller: u16, target: u16) -> bool {
        caller == target || self.spaces[target as usize].owner == caller || self.spaces[caller as usize].privileged
    }

    fn privileged(&self, i: Idx) -> bool {
        self.spaces[self.tspace(i) as usize].privileged
    }

    /// Thread slots, spaces, mapping nodes and pool frames still free.
    pub fn stats(&self) -> (u32, u32, u32, u32) {
        (self.pool.available() as u32, self.free_threads, self.mdb.free_nodes() as u32, self.free_spaces)
    }

    /// The machine console, for kernel messages (see [`crate::kprint`]).
    pub(crate) fn log(&mut self) -> Console<'_, M> {
        Console(&mut self.m)
    }

    // ----- spaces ------------------------------------------------------

    /// Create an empty space (KIP mapped) owned by `owner`.
    pub fn create_space(&mut self, owner: u16) -> KResult<u16> {
        let s = self.free_space;
        if s == NO_SPACE {
            return Err(Error::NoMemory);
        }
        let pd = space::new_pd(&mut self.m, &mut self.pool, self.master_pd).ok_or(Error::NoMemory)?;
        if space::set(&mut self.m, &mut self.pool, pd, KIP_ADDR, pte::user_page(self.kip, rights::R)).is_none() {
            self.pool.free(pd);
            return Err(Error::NoMemory);
        }
        self.free_space = self.spaces[s as usize].next_free;
        self.free_spaces -= 1;
        self.spaces_end = self.spaces_end.max(s + 1);
        self.spaces[s as usize] = Space { pd, owner, ..Space::default() };
        Ok(s)
    }

    /// Delete a space that has no threads left: revoke every mapping in it
    /// (and everything derived from those) and free its tables.
    fn delete_space(&mut self, s: u16) {
        let pd = self.spaces[s as usize].pd;
        let Kernel { m, mdb, spaces, .. } = self;
        space::for_each_user_page(m, pd, |m, va, e| {
            if let Some(n) = mdb.find(pte::pfn(e), s, va >> 12) {
                mdb.remove_subtree(n, |nd| unmap_pte(m, spaces, nd));
            } else {
                space::clear(m, pd, va);
            }
        });
        space::free_tables(&mut self.m, &mut self.pool, pd);
        if self.spaces[s as usize].io_pfn != 0 {
            self.pool.free(self.spaces[s as usize].io_pfn);
            self.switch_gen = self.switch_gen.wrapping_add(1);
        }
        for other in self.spaces[..self.spaces_end as usize].iter_mut() {
            if other.owner == s {
                other.owner = NO_SPACE;
            }
        }
        self.spaces[s as usize] = Space { next_free: self.free_space, owner: NO_SPACE, ..Space::default() };
        self.free_space = s;
        self.free_spaces += 1;
    }

    // ----- threads -----------------------------------------------------

    /// Create an inactive thread in space `s`.
    pub fn create_thread(&mut self, s: u16, pager: ThreadId, exc_handler: ThreadId, slot: u32, prio: u8) -> KResult<Idx> {
        let has_utcb = slot != tc::NO_UTCB;
        if has_utcb && (slot >= UTCB_SLOTS || self.spaces[s as usize].utcb_taken(slot)) {
            return Err(Error::InvalidArgument);
        }
        let i = self.free_thread;
        if i == NONE {
            return Err(Error::NoMemory);
        }
        let mut utcb_pfn = 0;
        if has_utcb {
            utcb_pfn = self.pool.alloc().ok_or(Error::NoMemory)?;
            let pd = self.spaces[s as usize].pd;
            let entry = pte::user_page(utcb_pfn, rights::RW);
            if space::set(&mut self.m, &mut self.pool, pd, utcb_addr(slot), entry).is_none() {
                self.pool.free(utcb_pfn);
                return Err(Error::NoMemory);
            }
            self.spaces[s as usize].set_utcb(slot, true);
        }
        self.free_thread = self.t[i as usize].rq_next;
        self.free_threads -= 1;
        self.threads_end = self.threads_end.max(i + 1);
        let old = self.t[i as usize].id.version();
        let version = if old >= ThreadId::VERSION_MASK { 1 } else { old + 1 };
        let id = id_of(i, version);
        self.t[i as usize] = Tcb {
            frame: UserFrame::new_user(),
            id,
            state: State::Inactive,
            prio,
            space: s,
            utcb_slot: if has_utcb { slot as u16 } else { u16::MAX },
            utcb_pfn,
            pager,
            exc_handler,
            timeslice: DEFAULT_TIMESLICE,
            remaining: DEFAULT_TIMESLICE,
            rq_next: NONE,
            rq_prev: NONE,
            sq_head: NONE,
            sq_tail: NONE,
            sq_next: NONE,
            sq_prev: NONE,
            to_next: NONE,
            to_prev: NONE,
            kmsg_in: NONE,
            kmsg_out: NONE,
            ..Tcb::default()
        };
        if has_utcb {
            self.m.zero_words(utcb_pfn, 0, crate::machine::FRAME_WORDS);
            self.m.frame(utcb_pfn)[utcb::MY_ID] = id.0;
        }
        self.spaces[s as usize].threads += 1;
        Ok(i)
    }

    /// Is `i` in a ready queue? (Ready, not halted, not the running thread.)
    #[inline(always)]
    fn queued(&self, i: Idx) -> bool {
        let t = &self.t[i as usize];
        t.state == State::Ready && !t.halted && i != self.current
    }

    /// Delete a thread: cancel its IPC and everyone waiting on it, free it.
    /// Deletes its space too when it was the last thread there.
    fn delete_thread(&mut self, i: Idx) {
        let id = self.t[i as usize].id;
        if self.queued(i) {
            self.rq.remove(self.t, i);
        }
        self.cancel_ipc(i, false);
        self.mach_drop(i);
        self.tls_sets.release(self.t[i as usize].tls_id);
        // from here on nothing may wake or queue it
        self.t[i as usize].state = State::Inactive;
        self.t[i as usize].halted = true;
        // senders queued on it
        while self.t[i as usize].sq_head != NONE {
            let snd = self.t[i as usize].sq_head;
            self.sq_remove(i, snd);
            self.timeout_remove(snd);
            self.complete(snd, ThreadId::NIL, Some(Error::SendCanceled));
            self.wake(snd);
        }
        // receivers waiting for it by name
        for j in 0..self.threads_end {
            let t = &self.t[j as usize];
            if t.partner == id && t.state == State::RecvBlocked {
                self.timeout_remove(j);
                self.complete(j, ThreadId::NIL, Some(Error::RecvCanceled));
                self.wake(j);
            }
        }
        for irq in 0..16 {
            if self.irq_handler[irq] == id {
                self.irq_handler[irq] = ThreadId::NIL;
                self.irq.pending &= !(1 << irq);
                self.irq.in_service &= !(1 << irq);
                self.m.mask_irq(irq as u32);
            }
        }
        let s = self.tspace(i);
        if self.t[i as usize].has_utcb() {
            let slot = self.t[i as usize].utcb_slot as u32;
            let pd = self.spaces[s as usize].pd;
            space::clear(&mut self.m, pd, utcb_addr(slot));
            self.m.invalidate(pd, utcb_addr(slot));
            self.pool.free(self.t[i as usize].utcb_pfn);
            self.spaces[s as usize].set_utcb(slot, false);
        }
        self.t[i as usize] = Tcb { id, rq_next: self.free_thread, ..Tcb::default() };
        self.free_thread = i;
        self.free_threads += 1;
        if self.current == i {
            self.current = NONE;
        }
        if self.woken == i {
            self.woken = NONE;
        }
        self.spaces[s as usize].threads -= 1;
        if self.spaces[s as usize].threads == 0 {
            self.delete_space(s);
        }
    }

    /// Take a thread out of any IPC it is in. `notify`: make it ready with
    /// the matching cancel error (exchange-registers abort); otherwise it is
    /// left as it is (it is being deleted).
    fn cancel_ipc(&mut self, i: Idx, notify: bool) -> bool {
        match self.t[i as usize].state {
            State::SendBlocked => {
                if let Some(d) = self.lookup(self.t[i as usize].partner) {
                    self.sq_remove(d, i);
                }
                self.timeout_remove(i);
                if notify {
                    self.complete(i, ThreadId::NIL, Some(Error::SendCanceled));
                    self.wake(i);
                }
                true
            }
            State::RecvBlocked => {
                self.timeout_remove(i);
                if notify {
                    self.complete(i, ThreadId::NIL, Some(Error::RecvCanceled));
                    self.wake(i);
                }
                true
            }
            _ => false,
        }
    }

    /// Set up a boot task (sigma0 or the roottask): a privileged space with
    /// one thread in UTCB slot 0.
    pub fn boot_task(&mut self, physical: bool, pager: ThreadId) -> KResult<Idx> {
        let s = self.create_space(NO_SPACE)?;
        self.spaces[s as usize].privileged = true;
        self.spaces[s as usize].physical = physical;
        self.create_thread(s, pager, ThreadId::NIL, 0, BOOT_PRIO)
    }

    /// Map frame `pfn` into a boot task at `va` (as if sigma0 had mapped it).
    pub fn boot_map(&mut self, i: Idx, va: u32, pfn: u32, r: u32) -> KResult {
        let s = self.tspace(i);
        let pd = self.spaces[s as usize].pd;
        if va >= USER_MAP_END || pte::is_present(space::lookup(&mut self.m, pd, va)) {
            return Err(Error::InvalidArgument);
        }
        let n = self.mdb.insert(NIL, pfn, s, va >> 12, r as u8).ok_or(Error::NoMemory)?;
        if space::set(&mut self.m, &mut self.pool, pd, va, pte::user_page(pfn, r)).is_none() {
            self.mdb.remove_subtree(n, |_| {});
            return Err(Error::NoMemory);
        }
        Ok(())
    }

    /// Start an inactive thread at `ip` with stack `sp`.
    pub fn start(&mut self, i: Idx, ip: u32, sp: u32) {
        let t = &mut self.t[i as usize];
        t.frame.eip = ip;
        t.frame.esp = sp;
        t.halted = false;
        if t.state == State::Inactive {
            t.state = State::Ready;
            if self.queued(i) {
                self.rq.enqueue_tail(self.t, i);
            }
        }
    }

    // ----- scheduling --------------------------------------------------

    /// Make a blocked (or the current) thread ready.
    pub(crate) fn wake(&mut self, i: Idx) {
        let t = &mut self.t[i as usize];
        t.state = State::Ready;
        t.kind = Kind::Normal;
        if i != self.current && !t.halted {
            self.rq.enqueue_tail(self.t, i);
            // Mach wakes the receiver through the scheduler only
            if !cfg!(feature = "mach") {
                self.woken = i;
            }
        }
    }

    /// Choose the thread to run next and make it current; `None`: idle.
    pub fn dispatch(&mut self) -> Option<Idx> {
        loop {
            let c = self.current;
            let runnable = c != NONE && self.t[c as usize].state == State::Ready && !self.t[c as usize].halted;
            let best = self.rq.highest();
            if runnable {
                if c != self.donee && best.is_some_and(|b| b > self.t[c as usize].prio) {
                    self.rq.enqueue_head(self.t, c);
                    self.current = NONE;
                }
            } else {
                self.current = NONE;
            }
            if self.current == NONE {
                let w = self.woken;
                if w != NONE && self.queued(w) && best.is_some_and(|b| self.t[w as usize].prio >= b) {
                    self.rq.remove(self.t, w);
                    self.current = w;
                } else {
                    self.current = self.rq.pop_highest(self.t)?;
                }
            }
            self.woken = NONE;
            let c = self.current;
            if c != self.donee {
                self.donee = NONE;
            }
            if self.t[c as usize].kmsg_in != NONE {
                self.mach_copyout(c);
            }
            if self.t[c as usize].raise {
                self.t[c as usize].raise = false;
                let f = &mut self.t[c as usize].frame;
                f.vector = exc::RAISED;
                f.error = 0;
                self.kernel_ipc(c, Kind::Exception);
                continue;
            }
            return Some(c);
        }
    }

    /// Timer interrupt.
    pub fn tick(&mut self) {
        self.now += 1;
        let kip = self.m.frame(self.kip);
        kip[kip::OFF_TICKS_HI / 4] = (self.now >> 32) as u32;
        kip[kip::OFF_TICKS_LO / 4] = self.now as u32;
        let mut i = self.timeouts;
        while i != NONE {
            let next = self.t[i as usize].to_next;
            if self.t[i as usize].deadline <= self.now {
                self.timeout_remove(i);
                let err = if self.t[i as usize].state == State::SendBlocked {
                    if let Some(d) = self.lookup(self.t[i as usize].partner) {
                        self.sq_remove(d, i);
                    }
                    Error::SendTimeout
                } else {
                    Error::RecvTimeout
                };
                self.complete(i, ThreadId::NIL, Some(err));
                self.wake(i);
            }
            i = next;
        }
        self.woken = NONE;
        let c = self.current;
        if c != NONE {
            let t = &mut self.t[c as usize];
            t.remaining = t.remaining.saturating_sub(1);
            if t.remaining == 0 {
                t.remaining = t.timeslice;
                self.donee = NONE;
                if t.state == State::Ready && !t.halted {
                    self.rq.enqueue_tail(self.t, c);
                }
                self.current = NONE;
            }
        }
    }

    /// Put `i` on the timeout list, due after `to` (never: not at all).
    #[inline(always)]
    pub(crate) fn timeout_add(&mut self, i: Idx, to: Timeout) {
        if to.is_never() {
            return;
        }
        self.timeout_insert(i, to);
    }

    fn timeout_insert(&mut self, i: Idx, to: Timeout) {
        let Some(us) = to.micros() else { return };
        let ticks = us.div_ceil(TICK_US as u64).max(1);
        self.t[i as usize].deadline = self.now + ticks + 1;
        let head = self.timeouts;
        self.t[i as usize].to_next = head;
        self.t[i as usize].to_prev = NONE;
        if head != NONE {
            self.t[head as usize].to_prev = i;
        }
        self.timeouts = i;
    }

    #[inline(always)]
    pub(crate) fn timeout_remove(&mut self, i: Idx) {
        if self.t[i as usize].deadline != 0 {
            self.timeout_unlink(i);
        }
    }

    fn timeout_unlink(&mut self, i: Idx) {
        let t = &mut self.t[i as usize];
        t.deadline = 0;
        let (next, prev) = (t.to_next, t.to_prev);
        if prev != NONE {
            self.t[prev as usize].to_next = next;
        } else {
            self.timeouts = next;
        }
        if next != NONE {
            self.t[next as usize].to_prev = prev;
        }
    }

    // ----- faults, exceptions, interrupts ------------------------------

    /// Page fault of the current thread at `addr` (`write`: a write access).
    pub fn page_fault(&mut self, addr: u32, write: bool) {
        let c = self.current;
        let t = &mut self.t[c as usize];
        t.fault_addr = addr;
        t.fault_access = if write { rights::W } else { rights::R };
        self.kernel_ipc(c, Kind::PageFault);
    }

    /// CPU exception (or `int 0x80`) of the current thread; the entry path
    /// stored vector and error code in the frame.
    pub fn exception(&mut self) {
        self.kernel_ipc(self.current, Kind::Exception);
    }

    /// Send a fault or exception message on behalf of thread `i` to its
    /// pager or exception handler and wait for the reply.
    fn kernel_ipc(&mut self, i: Idx, kind: Kind) {
        let t = &self.t[i as usize];
        let to = if kind == Kind::PageFault { t.pager } else { t.exc_handler };
        if self.lookup(to).is_none_or(|h| h == i) {
            let (id, f, addr) = (t.id, t.frame, t.fault_addr);
            if kind == Kind::PageFault {
                self.log().s("[kernel] thread ").tid(id).s(": page fault at ").hex(addr).s(" ip ").hex(f.eip).s(", no pager: halted\n");
            } else {
                let mut o = self.log();
                o.s("[kernel] thread ").tid(id).s(": exception ").hex(f.vector).s(" error ").hex(f.error);
                o.s(" ip ").hex(f.eip).s(", no handler: halted\n");
            }
            self.t[i as usize].halted = true;
            return;
        }
        self.t[i as usize].kind = kind;
        self.ipc(i, to, to, Timeout::NEVER, Timeout::NEVER);
    }

    /// Hardware interrupt `irq` (the arch layer has masked the line).
    pub fn irq(&mut self, irq: u32) {
        let h = self.irq_handler[irq as usize];
        let Some(hi) = self.lookup(h) else { return };
        self.irq.pending |= 1 << irq;
        let t = &self.t[hi as usize];
        let src = ThreadId::irq(irq);
        if t.state == State::RecvBlocked && (t.partner.is_any() || t.partner == src) {
            self.timeout_remove(hi);
            self.deliver_irq(hi, irq);
            self.wake(hi);
        }
    }

    pub(crate) fn deliver_irq(&mut self, r: Idx, irq: u32) {
        self.irq.pending &= !(1 << irq);
        self.irq.in_service |= 1 << irq;
        let f = &mut self.t[r as usize].frame;
        f.eax = ThreadId::irq(irq).0;
        f.ecx = 0;
        f.esi = l4_abi::MsgTag::new(l4_abi::msg::label::IRQ, 0, 0).0;
    }

    /// A pending interrupt `r` may receive now (from spec `from`).
    pub(crate) fn pending_irq_for(&self, r: Idx, from: ThreadId) -> Option<u32> {
        if self.irq.pending == 0 {
            return None;
        }
        let id = self.t[r as usize].id;
        (0..16u32).find(|&irq| {
            self.irq.pending & 1 << irq != 0
                && self.irq_handler[irq as usize] == id
                && (from.is_any() || from == ThreadId::irq(irq))
        })
    }

    /// `r` starts a receive phase: acknowledge the interrupts it serves.
    pub(crate) fn ack_irqs(&mut self, r: Idx) {
        if self.irq.in_service == 0 {
            return;
        }
        let id = self.t[r as usize].id;
        for irq in 0..16 {
            if self.irq.in_service & 1 << irq != 0 && self.irq_handler[irq] == id {
                self.irq.in_service &= !(1 << irq);
                self.m.unmask_irq(irq as u32);
            }
        }
    }

    // ----- system calls ------------------------------------------------

    /// System call `vector` by the current thread.
    pub fn syscall(&mut self, vector: u8) {
        let c = self.current;
        if !self.t[c as usize].has_utcb() {
            // a thread without a UTCB runs foreign code (a Linux process):
            // kernel calls are a #GP for it, exactly as on Linux
            let f = &mut self.t[c as usize].frame;
            f.vector = 13;
            f.error = (vector as u32) << 3 | 2;
            f.eip = f.eip.wrapping_sub(2);
            return self.exception();
        }
        match vector {
            sc::IPC => self.sys_ipc(c),
            sc::THREAD_CONTROL => self.sys_thread_control(c),
            sc::EXCHANGE_REGISTERS => self.sys_exchange_registers(c),
            sc::SCHEDULE => self.sys_schedule(c),
            sc::THREAD_SWITCH => self.sys_thread_switch(c),
            sc::UNMAP => self.sys_unmap(c),
            sc::IRQ_CONTROL => self.sys_irq_control(c),
            sc::IO_CONTROL => self.sys_io_control(c),
            sc::SET_TLS => self.sys_set_tls(c),
            sc::KDEBUG => self.sys_kdebug(c),
            _ => {
                let f = &mut self.t[c as usize].frame;
                f.vector = vector as u32;
                f.error = 0;
                self.exception()
            }
        }
    }

    fn set_err(&mut self, c: Idx, r: KResult) {
        self.t[c as usize].frame.ecx = Error::code(r);
    }

    fn sys_thread_control(&mut self, c: Idx) {
        let f = self.t[c as usize].frame;
        let r = match f.eax {
            tc::CREATE => self.tc_create(c, &f).map(|id| self.t[c as usize].frame.eax = id.0),
            tc::DELETE => self.tc_delete(c, ThreadId(f.ebx), false),
            tc::DELETE_SPACE => self.tc_delete(c, ThreadId(f.ebx), true),
            tc::SET_HANDLERS => self.tc_set_handlers(c, &f),
            _ => Err(Error::InvalidArgument),
        };
        if self.current == c {
            self.set_err(c, r);
        }
    }

    fn tc_create(&mut self, c: Idx, f: &UserFrame) -> KResult<ThreadId> {
        let caller = self.tspace(c);
        if f.edi > 255 || (f.edi as u8 > self.t[c as usize].prio && !self.privileged(c)) {
            return Err(Error::NoPermission);
        }
        let spec = ThreadId(f.ebx);
        let (s, fresh) = if spec.is_nil() {
            (self.create_space(caller)?, true)
        } else {
            let t = self.lookup(spec).ok_or(Error::InvalidThread)?;
            let s = self.tspace(t);
            if !self.may_control(caller, s) {
                return Err(Error::NoPermission);
            }
            (s, false)
        };
        match self.create_thread(s, ThreadId(f.ecx), ThreadId(f.edx), f.esi, f.edi as u8) {
            Ok(i) => Ok(self.t[i as usize].id),
            Err(e) => {
                if fresh {
                    self.delete_space(s);
                }
                Err(e)
            }
        }
    }

    fn tc_delete(&mut self, c: Idx, id: ThreadId, whole_space: bool) -> KResult {
        let i = self.lookup(id).ok_or(Error::InvalidThread)?;
        let s = self.tspace(i);
        if !self.may_control(self.tspace(c), s) {
            return Err(Error::NoPermission);
        }
        if whole_space {
            for j in 0..self.threads_end {
                if self.t[j as usize].space == s && self.t[j as usize].is_live() {
                    self.delete_thread(j);
                }
            }
        } else {
            self.delete_thread(i);
        }
        Ok(())
    }

    fn tc_set_handlers(&mut self, c: Idx, f: &UserFrame) -> KResult {
        let i = self.lookup(ThreadId(f.ebx)).ok_or(Error::InvalidThread)?;
        if !self.may_control(self.tspace(c), self.tspace(i)) {
            return Err(Error::NoPermission);
        }
        let t = &mut self.t[i as usize];
        if f.ecx != 0 {
            t.pager = ThreadId(f.ecx);
        }
        if f.edx != 0 {
            t.exc_handler = ThreadId(f.edx);
        }
        Ok(())
    }

    fn sys_exchange_registers(&mut self, c: Idx) {
        let f = self.t[c as usize].frame;
        let r = self.exchange_registers(c, ThreadId(f.eax), f.ecx, f.edx, f.esi, f.edi, f.ebx);
        let cf = &mut self.t[c as usize].frame;
        match r {
            Ok((state, sp, ip, flags, segs)) => {
                cf.eax = state as u32;
                cf.edx = sp;
                cf.esi = ip;
                cf.edi = flags;
                cf.ebx = segs;
                cf.ecx = 0;
            }
            Err(e) => cf.ecx = e as u32,
        }
    }

    /// Exchange registers; returns the state, sp, ip, eflags and the fs/gs
    /// selectors (`fs | gs << 16`) before.
    #[allow(clippy::too_many_arguments)]
    pub fn exchange_registers(
        &mut self,
        c: Idx,
        id: ThreadId,
        ctl: u32,
        sp: u32,
        ip: u32,
        flags: u32,
        segs: u32,
    ) -> KResult<(ThreadState, u32, u32, u32, u32)> {
        if ctl & !exreg::ALL != 0 {
            return Err(Error::InvalidArgument);
        }
        let i = self.lookup(id).ok_or(Error::InvalidThread)?;
        if !self.may_control(self.tspace(c), self.tspace(i)) {
            return Err(Error::NoPermission);
        }
        let t = &self.t[i as usize];
        let state = if t.halted {
            ThreadState::Halted
        } else {
            match t.state {
                State::Inactive => ThreadState::Inactive,
                State::Ready => ThreadState::Ready,
                State::SendBlocked => ThreadState::SendBlocked,
                _ => ThreadState::RecvBlocked,
            }
        };
        let old = (state, t.frame.esp, t.frame.eip, t.frame.eflags, t.fs as u32 | (t.gs as u32) << 16);
        let st = t.state;
        if (ctl & exreg::ABORT_SEND != 0 && st == State::SendBlocked)
            || (ctl & exreg::ABORT_RECV != 0 && st == State::RecvBlocked)
        {
            self.cancel_ipc(i, true);
        }
        let t = &mut self.t[i as usize];
        if ctl & exreg::SET_SP != 0 {
            t.frame.esp = sp;
        }
        if ctl & exreg::SET_IP != 0 {
            t.frame.eip = ip;
        }
        if ctl & exreg::SET_FLAGS != 0 {
            t.frame.set_exc_field(exc::EFLAGS, flags);
        }
        if ctl & exreg::RAISE != 0 {
            t.raise = true;
        }
        if ctl & exreg::SET_SEGS != 0 {
            t.fs = segs as u16;
            t.gs = (segs >> 16) as u16;
            t.tls_dirty = true;
        }
        let was_queued = self.queued(i);
        let t = &mut self.t[i as usize];
        if ctl & exreg::HALT != 0 {
            t.halted = true;
        }
        if ctl & exreg::RESUME != 0 {
            t.halted = false;
            if t.state == State::Inactive {
                t.state = State::Ready;
            }
        }
        match (was_queued, self.queued(i)) {
            (false, true) => self.rq.enqueue_tail(self.t, i),
            (true, false) => self.rq.remove(self.t, i),
            _ => {}
        }
        Ok(old)
    }

    fn sys_schedule(&mut self, c: Idx) {
        let f = self.t[c as usize].frame;
        let r = self.schedule(c, ThreadId(f.eax), f.ecx, f.edx);
        self.set_err(c, r);
    }

    pub fn schedule(&mut self, c: Idx, id: ThreadId, prio: u32, timeslice_us: u32) -> KResult {
        let i = self.lookup(id).ok_or(Error::InvalidThread)?;
        if !self.may_control(self.tspace(c), self.tspace(i)) {
            return Err(Error::NoPermission);
        }
        if prio != u32::MAX {
            if prio > 255 || (prio as u8 > self.t[c as usize].prio && !self.privileged(c)) {
                return Err(Error::NoPermission);
            }
            let q = self.queued(i);
            if q {
                self.rq.remove(self.t, i);
            }
            self.t[i as usize].prio = prio as u8;
            if q {
                self.rq.enqueue_tail(self.t, i);
            }
        }
        if timeslice_us != 0 {
            let ticks = timeslice_us.div_ceil(TICK_US).max(1);
            let t = &mut self.t[i as usize];
            t.timeslice = ticks;
            t.remaining = t.remaining.min(ticks);
        }
        Ok(())
    }

    fn sys_thread_switch(&mut self, c: Idx) {
        let to = ThreadId(self.t[c as usize].frame.eax);
        self.t[c as usize].frame.ecx = 0;
        let target = if to.is_nil() { None } else { self.lookup(to) };
        if !to.is_nil() && target.is_none() {
            self.t[c as usize].frame.ecx = Error::InvalidThread as u32;
        }
        // the caller goes to the end of its queue; a ready target runs now
        self.rq.enqueue_tail(self.t, c);
        self.current = NONE;
        if let Some(d) = target {
            if self.queued(d) {
                self.rq.remove(self.t, d);
                self.current = d;
                self.donee = d;
            }
        }
    }

    fn sys_unmap(&mut self, c: Idx) {
        let f = self.t[c as usize].frame;
        let r = self.unmap(self.tspace(c), Fpage(f.eax), f.ecx);
        self.set_err(c, r);
    }

    fn sys_irq_control(&mut self, c: Idx) {
        let f = self.t[c as usize].frame;
        let r = self.irq_control(c, f.eax, ThreadId(f.ecx));
        self.set_err(c, r);
    }

    pub fn irq_control(&mut self, c: Idx, irq: u32, handler: ThreadId) -> KResult {
        if !self.privileged(c) {
            return Err(Error::NoPermission);
        }
        if irq >= 16 || KERNEL_IRQS & 1 << irq != 0 {
            return Err(Error::InvalidArgument);
        }
        let cur = self.irq_handler[irq as usize];
        if handler.is_nil() {
            self.irq_handler[irq as usize] = ThreadId::NIL;
            self.irq.pending &= !(1 << irq);
            self.irq.in_service &= !(1 << irq);
            self.m.mask_irq(irq);
            return Ok(());
        }
        self.lookup(handler).ok_or(Error::InvalidThread)?;
        if cur != handler && self.lookup(cur).is_some() {
            return Err(Error::Busy);
        }
        self.irq_handler[irq as usize] = handler;
        self.m.unmask_irq(irq);
        Ok(())
    }

    fn sys_io_control(&mut self, c: Idx) {
        let f = self.t[c as usize].frame;
        let r = self.io_control(c, ThreadId(f.eax), f.ecx, f.edx, f.esi != 0);
        self.set_err(c, r);
    }

    pub fn io_control(&mut self, c: Idx, id: ThreadId, first: u32, count: u32, allow: bool) -> KResult {
        if !self.privileged(c) {
            return Err(Error::NoPermission);
        }
        let i = self.lookup(id).ok_or(Error::InvalidThread)?;
        let end = first.checked_add(count).ok_or(Error::InvalidArgument)?;
        if end as usize > IO_PORTS {
            return Err(Error::InvalidArgument);
        }
        let s = self.tspace(i) as usize;
        if self.spaces[s].io_pfn == 0 {
            let pfn = self.pool.alloc().ok_or(Error::NoMemory)?;
            self.m.zero_words(pfn, 0, crate::machine::FRAME_WORDS);
            self.spaces[s].io_pfn = pfn;
        }
        let bm = self.m.frame(self.spaces[s].io_pfn);
        for p in first..end {
            let (w, b) = ((p / 32) as usize, p % 32);
            if allow {
                bm[w] |= 1 << b;
            } else {
                bm[w] &= !(1 << b);
            }
        }
        self.switch_gen = self.switch_gen.wrapping_add(1);
        Ok(())
    }

    fn sys_set_tls(&mut self, c: Idx) {
        let f = self.t[c as usize].frame;
        let r = self.set_tls(c, ThreadId(f.eax), f.ecx, f.edx, f.esi, f.edi);
        self.set_err(c, r);
    }

    pub fn set_tls(&mut self, c: Idx, id: ThreadId, entry: u32, base: u32, limit: u32, flags: u32) -> KResult {
        let i = self.lookup(id).ok_or(Error::InvalidThread)?;
        if !self.may_control(self.tspace(c), self.tspace(i)) {
            return Err(Error::NoPermission);
        }
        if entry >= 3 {
            return Err(Error::InvalidArgument);
        }
        let d = desc::tls_desc(base, limit, flags).ok_or(Error::InvalidArgument)?;
        let t = &mut self.t[i as usize];
        t.tls[entry as usize] = d;
        t.tls_dirty = true;
        let (old, set) = (t.tls_id, t.tls);
        self.tls_sets.release(old);
        let id = self.tls_sets.intern(&set);
        self.t[i as usize].tls_id = id;
        if self.tls_sets.is_new(id) {
            // the id may have named other descriptors, which the GDT may
            // still hold under this id
            self.switch_gen = self.switch_gen.wrapping_add(1);
        }
        Ok(())
    }

    fn sys_kdebug(&mut self, c: Idx) {
        let f = self.t[c as usize].frame;
        match f.eax {
            kdebug::PUTC => {
                self.m.console(&[f.ebx as u8]);
                self.t[c as usize].frame.ecx = 0;
            }
            kdebug::WRITE => {
                let n = (f.ebx as usize).min(252);
                let pfn = self.t[c as usize].utcb_pfn;
                let mut buf = [0u8; 252];
                let words = self.m.frame(pfn);
                for (k, b) in buf[..n].iter_mut().enumerate() {
                    *b = (words[k / 4] >> (8 * (k % 4))) as u8;
                }
                self.m.console(&buf[..n]);
                self.t[c as usize].frame.ecx = 0;
            }
            kdebug::EXIT => {
                if self.privileged(c) {
                    self.m.exit(f.ebx);
                }
                self.t[c as usize].frame.ecx = Error::NoPermission as u32;
            }
            kdebug::STATS => {
                let (frames, threads, nodes, spaces) = self.stats();
                let f = &mut self.t[c as usize].frame;
                f.eax = frames;
                f.ebx = threads;
                f.edx = nodes;
                f.esi = spaces;
                f.ecx = 0;
            }
            kdebug::TICKS => {
                let f = &mut self.t[c as usize].frame;
                f.eax = self.now as u32;
                f.edx = (self.now >> 32) as u32;
                f.ecx = 0;
            }
            _ => self.t[c as usize].frame.ecx = Error::InvalidArgument as u32,
        }
    }

    // ----- mapping -----------------------------------------------------

    /// Revoke `fp.rights()` from everything derived from the caller's pages
    /// in `fp` (and from the pages themselves with `FLUSH_SELF`).
    pub fn unmap(&mut self, s: u16, fp: Fpage, flags: u32) -> KResult {
        if !fp.is_valid() || (fp.size_log2() < 32 && fp.end() > USER_MAP_END as u64 && !self.spaces[s as usize].physical) {
            return Err(Error::InvalidFpage);
        }
        if flags & !sc::unmap::FLUSH_SELF != 0 {
            return Err(Error::InvalidArgument);
        }
        let revoke = fp.rights() as u8;
        if revoke == 0 {
            return Ok(());
        }
        let flush_self = flags & sc::unmap::FLUSH_SELF != 0;
        let Kernel { m, mdb, spaces, .. } = self;
        if spaces[s as usize].physical {
            let first = fp.base() >> 12;
            let end = (fp.end() >> 12).min(mdb.frames() as u64) as u32;
            for pfn in first..end {
                mdb.revoke_root(pfn, revoke, &mut |n, gone| sync_pte(m, spaces, n, gone));
            }
            return Ok(());
        }
        let pd = spaces[s as usize].pd;
        let end = fp.end().min(USER_MAP_END as u64);
        let mut va = fp.base() as u64;
        while va < end {
            let pde = m.frame(pd)[pte::pd_index(va as u32)];
            if !pte::is_present(pde) {
                va = (va | 0x3F_FFFF) + 1;
                continue;
            }
            let e = space::lookup(m, pd, va as u32);
            if pte::is_present(e) {
                if let Some(n) = mdb.find(pte::pfn(e), s, (va >> 12) as u32) {
                    mdb.revoke(n, revoke, flush_self, &mut |n, gone| sync_pte(m, spaces, n, gone));
                }
            }
            va += 4096;
        }
        Ok(())
    }

    /// Map (or grant) one page from space `ss` at `sva` to space `rs` at
    /// `rva` with at most `r` rights. Pages the sender does not have, and
    /// mappings onto an ancestor of the source, are silently skipped.
    pub(crate) fn map_page(&mut self, ss: u16, sva: u32, rs: u16, rva: u32, r: u32, grant: bool) -> KResult {
        if rva >= USER_MAP_END || (ss == rs && sva == rva) {
            return Ok(());
        }
        let physical = self.spaces[ss as usize].physical;
        let (pfn, parent, eff) = if physical {
            let pfn = sva >> 12;
            if !self.mdb.mappable(pfn) {
                return Ok(());
            }
            (pfn, NIL, r & rights::RWX)
        } else {
            if sva >= USER_MAP_END {
                return Ok(());
            }
            let spd = self.spaces[ss as usize].pd;
            let e = space::lookup(&mut self.m, spd, sva);
            if !pte::is_present(e) {
                return Ok(());
            }
            let pfn = pte::pfn(e);
            let Some(n) = self.mdb.find(pfn, ss, sva >> 12) else { return Ok(()) };
            (pfn, n, r & self.mdb.node(n).rights as u32)
        };
        if eff & rights::R == 0 {
            return Ok(());
        }
        let rpd = self.spaces[rs as usize].pd;
        let old = space::lookup(&mut self.m, rpd, rva);
        if pte::is_present(old) {
            if let Some(on) = self.mdb.find(pte::pfn(old), rs, rva >> 12) {
                if pte::pfn(old) == pfn && self.mdb.node(on).parent == parent && !grant {
                    // the same mapping again: extend its rights
                    let nr = (self.mdb.node(on).rights as u32 | eff) as u8;
                    self.mdb.set_rights(on, nr);
                    space::set(&mut self.m, &mut self.pool, rpd, rva, pte::user_page(pfn, nr as u32));
                    self.m.invalidate(rpd, rva);
                    return Ok(());
                }
                if parent != NIL && self.is_ancestor(on, parent) {
                    return Ok(());
                }
                let Kernel { m, mdb, spaces, .. } = self;
                mdb.remove_subtree(on, |nd| unmap_pte(m, spaces, nd));
            } else {
                space::clear(&mut self.m, rpd, rva);
                self.m.invalidate(rpd, rva);
            }
        }
        if grant && !physical {
            let spd = self.spaces[ss as usize].pd;
            space::set(&mut self.m, &mut self.pool, rpd, rva, pte::user_page(pfn, eff)).ok_or(Error::NoMemory)?;
            space::clear(&mut self.m, spd, sva);
            self.m.invalidate(spd, sva);
            self.mdb.relocate(parent, rs, rva >> 12, eff as u8);
            return Ok(());
        }
        let n = self.mdb.insert(parent, pfn, rs, rva >> 12, eff as u8).ok_or(Error::NoMemory)?;
        if space::set(&mut self.m, &mut self.pool, rpd, rva, pte::user_page(pfn, eff)).is_none() {
            self.mdb.remove_subtree(n, |_| {});
            return Err(Error::NoMemory);
        }
        Ok(())
    }

    fn is_ancestor(&self, a: u32, mut n: u32) -> bool {
        while n != NIL {
            if n == a {
                return true;
            }
            n = self.mdb.node(n).parent;
        }
        false
    }
}

/// Ports covered by I/O bitmaps.
pub const IO_PORTS: usize = 1024;

/// Clear the page-table entry of a removed mapping.
fn unmap_pte<M: Machine>(m: &mut M, spaces: &[Space], n: &Node) {
    let pd = spaces[n.space as usize].pd;
    space::clear(m, pd, n.vpn << 12);
    m.invalidate(pd, n.vpn << 12);
}

/// Bring the page-table entry of a revoked mapping up to date.
fn sync_pte<M: Machine>(m: &mut M, spaces: &[Space], n: &Node, gone: bool) {
    if gone {
        return unmap_pte(m, spaces, n);
    }
    let pd = spaces[n.space as usize].pd;
    let va = n.vpn << 12;
    let pde = m.frame(pd)[pte::pd_index(va)];
    if pte::is_present(pde) {
        m.frame(pte::pfn(pde))[pte::pt_index(va)] = pte::user_page(n.pfn, n.rights as u32);
    }
    m.invalidate(pd, va);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_ids_are_shared_and_a_reused_id_is_new() {
        let mut s = TlsSets::default();
        assert_eq!(s.intern(&[0; 3]), 0);
        assert!(!s.is_new(0), "the empty set is never new");
        let a = s.intern(&[1, 0, 0]);
        assert!(s.is_new(a));
        let b = s.intern(&[1, 0, 0]);
        assert_eq!(a, b);
        assert!(!s.is_new(a), "shared by two threads");
        s.release(a);
        s.release(b);
        // the freed id names other descriptors now: the switch must not
        // trust a GDT that holds the old ones under it
        let c = s.intern(&[2, 0, 0]);
        assert_eq!(c, a);
        assert!(s.is_new(c));
    }
}
