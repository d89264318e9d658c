//! The kernel side of the cross-check: the kernel's portable core on the
//! in-memory `HostMachine`, set up as the world of `spec_ops::world`, and
//! an operation runner that does exactly what the replay task does on the
//! real machine (load the registers, trap, let the chosen thread return to
//! user mode) and reports the same records.

use crate::state::Limits;
use l4_abi::msg::REG_MRS;
use l4_abi::{utcb, ThreadId};
use microkernel::hostmachine::HostMachine;
use microkernel::ipc::Fast;
use microkernel::kernel::{Kernel, Tables};
use microkernel::machine::Machine;
use microkernel::mapdb::Node;
use microkernel::space::{self, Space};
use microkernel::thread::{Idx, Tcb, UserFrame, NONE};
use microkernel::{pte, snapshot::Snapshot};
use spec_ops::op::{Action, Gprs};
use spec_ops::record::{digest, Record, LIVELOCK_RETRIES, SHOWN_MRS};
use spec_ops::world::{self, FRAMES, INITIAL_THREADS, T0_SLOT};
use spec_ops::{Ctx, Op};

/// Page number of the first host frame: the master page directory, then
/// the KIP, the test frames and the pool.
const BASE: u32 = 0x100;
const MASTER_PD: u32 = BASE;
const KIP: u32 = BASE + 1;
const FIRST_FRAME: u32 = BASE + 2;
const POOL: u32 = FIRST_FRAME + FRAMES;
/// Pool frames: more than any sequence can use (the pool is not modelled).
const POOL_FRAMES: u32 = 512;

/// Frame of test frame `i`.
pub fn pfn_of(i: u32) -> u32 {
    FIRST_FRAME + i
}
/// Test frame index of a frame number.
pub fn frame_of(pfn: u32) -> Option<u32> {
    (FIRST_FRAME..FIRST_FRAME + FRAMES)
        .contains(&pfn)
        .then(|| pfn - FIRST_FRAME)
}

/// What user code does when its thread next returns to user mode (the
/// replay task's behaviour, mirrored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cont {
    Next,
    Resume { ipc: bool },
    Retry { page: u32, write: bool },
}

/// Memory the kernel's tables live in.
pub struct Memory {
    threads: Vec<Tcb>,
    spaces: Vec<Space>,
    nodes: Vec<Node>,
    roots: Vec<u32>,
    pool: Vec<u32>,
}

impl Memory {
    /// Tables of the sizes `limits` says (the boot thread takes a slot).
    pub fn new(limits: Limits) -> Memory {
        Memory {
            threads: vec![Tcb::default(); limits.thread_slots],
            spaces: vec![Space::default(); limits.spaces],
            nodes: vec![Node::default(); limits.nodes],
            roots: vec![0; (POOL + POOL_FRAMES) as usize],
            pool: vec![0; POOL_FRAMES as usize],
        }
    }
}

/// Mutations of the kernel for the honesty check: a deliberately wrong
/// behaviour the cross-check must notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// Unmap leaves one of the mappings it should have removed (or whose
    /// rights it should have reduced) as it was.
    UnmapSkipsDerived,
}

pub struct Harness<'a> {
    pub k: Kernel<'a, HostMachine>,
    /// Ids of the created threads in creation order.
    pub ids: Vec<ThreadId>,
    /// The root space's boot thread (not modelled).
    pub boot: ThreadId,
    conts: Vec<Cont>,
    /// Each thread's `Reply` reference (see `spec_ops::Tref::Reply`).
    replies: Vec<ThreadId>,
    pub mutation: Option<Mutation>,
    /// A livelock happened: nothing more runs.
    pub stuck: bool,
}

impl<'a> Harness<'a> {
    /// The world of `spec_ops::world` in a fresh kernel.
    pub fn new(mem: &'a mut Memory) -> Harness<'a> {
        let m = HostMachine::new(BASE, (POOL + POOL_FRAMES - BASE) as usize);
        let tables = Tables {
            threads: &mut mem.threads,
            spaces: &mut mem.spaces,
            nodes: &mut mem.nodes,
            roots: &mut mem.roots,
            pool: &mut mem.pool,
            kmsgs: &mut [],
        };
        let mut k = Kernel::new(m, tables, MASTER_PD, KIP);
        for p in POOL..POOL + POOL_FRAMES {
            k.pool.add(p);
        }
        for p in (0..FIRST_FRAME).chain(POOL..POOL + POOL_FRAMES) {
            k.mdb.reserve_frame(p);
        }
        let boot = k.boot_task(false, ThreadId::NIL).expect("boot thread");
        for i in 0..FRAMES {
            k.boot_map(
                boot,
                world::page_addr(i),
                pfn_of(i),
                l4_abi::msg::rights::RWX,
            )
            .expect("test frame");
            k.m.frame(pfn_of(i))[0] = world::frame_init(i);
        }
        let r = k.tcb(boot).space;
        let mut made = Vec::new();
        for n in 0..INITIAL_THREADS {
            let prio = world::distinct_prio(n, 0);
            made.push(
                k.create_thread(r, ThreadId::NIL, ThreadId::NIL, T0_SLOT + n as u32, prio)
                    .expect("initial thread"),
            );
        }
        let ids: Vec<ThreadId> = made.iter().map(|&i| k.tcb(i).id).collect();
        for (n, &i) in made.iter().enumerate() {
            k.tcb_mut(i).pager = ids[world::initial_pager(n)];
            k.tcb_mut(i).exc_handler = ids[world::initial_exc_handler(n)];
            k.start(i, world::ENTRY_IP, world::stack_top(n));
        }
        let boot = k.tcb(boot).id;
        let mut h = Harness {
            k,
            ids,
            boot,
            conts: vec![Cont::Next; INITIAL_THREADS],
            replies: vec![ThreadId::NIL; INITIAL_THREADS],
            mutation: None,
            stuck: false,
        };
        let first = h.k.dispatch();
        let t0 = made[0];
        assert_eq!(first, Some(t0), "thread 0 runs first");
        h
    }

    fn index_of(&self, i: Idx) -> usize {
        let id = self.k.tcb(i).id;
        self.ids
            .iter()
            .position(|&x| x == id)
            .expect("only created threads run")
    }

    pub fn snapshot(&mut self) -> Snapshot {
        self.k.snapshot()
    }

    /// Word 0 of each test frame.
    pub fn memory(&mut self) -> Vec<u32> {
        (0..FRAMES).map(|i| self.k.m.frame(pfn_of(i))[0]).collect()
    }

    /// Run one operation; returns the records and the id of a thread it
    /// created, if any.
    pub fn step(&mut self, op: &Op) -> (Vec<Record>, Option<ThreadId>) {
        let mut out = Vec::new();
        if self.stuck {
            return (out, None);
        }
        match *op {
            Op::Tick => {
                self.k.tick();
                out.push(Record::Event);
                self.dispatch_and_settle(&mut out);
                return (out, None);
            }
            Op::Irq(n) => {
                let n = n as u32;
                if self.k.m.masked & 1 << n == 0 {
                    self.k.m.mask_irq(n);
                    self.k.irq(n);
                }
                out.push(Record::Event);
                self.dispatch_and_settle(&mut out);
                return (out, None);
            }
            _ => {}
        }
        let c = self.k.current;
        if c == NONE {
            out.push(Record::Idle);
            return (out, None);
        }
        let me_index = self.index_of(c);
        out.push(Record::Run(me_index as u8));
        let me = self.k.tcb(c).id;
        let mut created = None;
        let ids = self.ids.clone();
        let alive: Vec<bool> = ids.iter().map(|&id| self.k.lookup(id).is_some()).collect();
        let ctx = Ctx {
            created: &ids,
            alive: &alive,
            me: me_index,
            reply: self.replies[me_index],
        };
        match op.action(&ctx) {
            Action::Skip => {
                out.push(Record::Skip);
                return (out, None);
            }
            Action::Syscall(vector, regs) => {
                set_gprs(&mut self.k.tcb_mut(c).frame, regs);
                if let Op::Ipc(m) = op {
                    let t = *self.k.tcb(c);
                    if t.has_utcb() {
                        let f = self.k.m.frame(t.utcb_pfn);
                        for i in REG_MRS..=m.last_mr() {
                            f[utcb::MR + i] = m.mr(i);
                        }
                        f[utcb::ACCEPTOR] = m.acceptor;
                    }
                }
                self.conts[me_index] = Cont::Resume {
                    ipc: matches!(op, Op::Ipc(_)),
                };
                let before = self.mutation.map(|_| self.snapshot());
                // the IPC vector's entry tries the fast path first and, if it
                // took it, switches to the partner without a dispatch (as the
                // architecture layer's `ipc_entry` does)
                let fast = if vector == l4_abi::syscall::IPC { self.k.ipc_fastpath(c) } else { Fast::No };
                if fast == Fast::Switch {
                    let next = self.k.current;
                    self.settle(Some(next), &mut out);
                    return (out, None);
                }
                if fast == Fast::No {
                    self.k.syscall(vector);
                }
                if let Some(status) = self.k.m.exited.take() {
                    out.push(Record::Exit(status));
                }
                let f = self.k.tcb(c).frame;
                match *op {
                    Op::Create { .. } if f.ecx == 0 && self.k.tcb(c).id == me => {
                        let id = ThreadId(f.eax);
                        self.ids.push(id);
                        self.conts.push(Cont::Next);
                        self.replies.push(ThreadId::NIL);
                        created = Some(id);
                    }
                    Op::ExReg { t, ctl, .. }
                        if ctl & l4_abi::syscall::exreg::SET_IP != 0 && f.ecx == 0 =>
                    {
                        // the target's user code starts over at its entry
                        if let Some(n) = t.index(&ctx) {
                            self.conts[n] = Cont::Next;
                            self.replies[n] = ThreadId::NIL;
                        }
                    }
                    Op::Unmap { .. } if self.mutation == Some(Mutation::UnmapSkipsDerived) => {
                        self.undo_one_revocation(&before.expect("taken above"));
                    }
                    _ => {}
                }
            }
            Action::Access { page, write, regs } => {
                set_gprs(&mut self.k.tcb_mut(c).frame, regs);
                if self.access(c, me_index, page, write, &mut out) {
                    return (out, None);
                }
            }
            Action::Exception(regs) => {
                let f = &mut self.k.tcb_mut(c).frame;
                set_gprs(f, regs);
                f.vector = l4_abi::layout::vector::LINUX_SYSCALL as u32;
                f.error = 0;
                self.conts[me_index] = Cont::Resume { ipc: false };
                self.k.exception();
            }
        }
        self.dispatch_and_settle(&mut out);
        (out, created)
    }

    /// An access by the running thread `c` as the hardware does it: through
    /// its page table.
    fn access(&mut self, c: Idx, n: usize, page: u32, write: bool, out: &mut Vec<Record>) -> bool {
        let va = world::page_addr(page);
        let pd = self.k.space(self.k.tcb(c).space).pd;
        let e = space::lookup(&mut self.k.m, pd, va);
        if pte::is_present(e) && (!write || e & pte::WRITABLE != 0) {
            let pfn = pte::pfn(e);
            let value = if write {
                let v = self.k.tcb(c).frame.ebx;
                self.k.m.frame(pfn)[0] = v;
                v
            } else {
                let v = self.k.m.frame(pfn)[0];
                self.k.tcb_mut(c).frame.ebx = v;
                v
            };
            self.conts[n] = Cont::Next;
            out.push(Record::Access {
                t: n as u8,
                page: page as u8,
                write,
                value,
            });
            true
        } else {
            self.conts[n] = Cont::Retry { page, write };
            self.k.page_fault(va, write);
            false
        }
    }

    fn dispatch_and_settle(&mut self, out: &mut Vec<Record>) {
        let first = self.k.dispatch();
        self.settle(first, out);
    }

    /// `first` (chosen by a dispatch or the IPC fast path) returns to user
    /// mode; later choices (after faults) are the dispatcher's.
    fn settle(&mut self, first: Option<Idx>, out: &mut Vec<Record>) {
        let mut retries = 0;
        let mut next = first;
        while let Some(c) = next.take() {
            let n = self.index_of(c);
            match self.conts[n] {
                Cont::Next => return,
                Cont::Resume { ipc } => {
                    self.conts[n] = Cont::Next;
                    if ipc {
                        self.replies[n] = ThreadId(self.k.tcb(c).frame.eax);
                    }
                    out.push(self.resume_record(c, n));
                    return;
                }
                Cont::Retry { page, write } => {
                    if self.access(c, n, page, write, out) {
                        return;
                    }
                    retries += 1;
                    if retries == LIVELOCK_RETRIES {
                        out.push(Record::Livelock);
                        self.stuck = true;
                        return;
                    }
                    next = self.k.dispatch();
                }
            }
        }
    }

    fn resume_record(&mut self, c: Idx, n: usize) -> Record {
        let t = *self.k.tcb(c);
        let f = t.frame;
        let mut mrs = [0u32; 60];
        if t.has_utcb() {
            mrs.copy_from_slice(&self.k.m.frame(t.utcb_pfn)[utcb::MR + 4..utcb::MR + 64]);
        }
        Record::Resume {
            t: n as u8,
            regs: [f.eax, f.ebx, f.ecx, f.edx, f.esi, f.edi, f.ebp],
            mrs: SHOWN_MRS.map(|i| mrs[i - 4]),
            digest: digest(mrs.iter().copied()),
        }
    }

    /// The mutation: put back one mapping the unmap just removed (one whose
    /// parent is still there), or else the rights of one it reduced.
    fn undo_one_revocation(&mut self, before: &Snapshot) {
        let now = self.k.snapshot();
        let exists = |idx: Option<u32>| idx.is_none_or(|p| now.nodes.iter().any(|n| n.index == p));
        let removed = before.nodes.iter().find(|n| {
            n.parent.is_some() && !now.nodes.iter().any(|m| m.index == n.index) && exists(n.parent)
        });
        if let Some(n) = removed {
            let parent = n.parent.map_or(microkernel::mapdb::NIL, |p| p);
            if self
                .k
                .mdb
                .insert(parent, n.pfn, n.space, n.vpn, n.rights)
                .is_some()
            {
                let pd = self.k.space(n.space).pd;
                let Kernel { m, pool, .. } = &mut self.k;
                space::set(
                    m,
                    pool,
                    pd,
                    n.vpn << 12,
                    pte::user_page(n.pfn, n.rights as u32),
                );
            }
            return;
        }
        let shrunk = before.nodes.iter().find_map(|b| {
            now.nodes
                .iter()
                .find(|a| a.index == b.index && a.rights != b.rights && b.parent.is_some())
                .map(|a| (a.index, *b))
        });
        if let Some((idx, b)) = shrunk {
            self.k.mdb.set_rights(idx, b.rights);
            let pd = self.k.space(b.space).pd;
            let Kernel { m, pool, .. } = &mut self.k;
            space::set(
                m,
                pool,
                pd,
                b.vpn << 12,
                pte::user_page(b.pfn, b.rights as u32),
            );
        }
    }
}

fn set_gprs(f: &mut UserFrame, r: Gprs) {
    [f.eax, f.ebx, f.ecx, f.edx, f.esi, f.edi, f.ebp] = r;
}
