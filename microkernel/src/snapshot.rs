//! A read-only abstract view of the kernel state, for the executable
//! specification's cross-check (and for debugging): live threads with their
//! scheduling and IPC state, registers and UTCB words, spaces with their
//! page-table contents, the mapping nodes, the ready queues, the timeout
//! list and the interrupt lines. Links are resolved to ids and indices; no
//! kernel state is changed (the machine is borrowed mutably only to read
//! frames).

use crate::kernel::Kernel;
use crate::machine::Machine;
use crate::mapdb::NIL;
use crate::space;
use crate::thread::{Kind, State, UserFrame, NONE};
use crate::{desc, pte};
use l4_abi::utcb;
use l4_abi::ThreadId;
use std::vec::Vec;

#[derive(Clone, Debug)]
pub struct ThreadView {
    pub index: u16,
    pub id: ThreadId,
    pub state: State,
    pub kind: Kind,
    pub halted: bool,
    pub raise: bool,
    pub prio: u8,
    pub timeslice: u32,
    pub remaining: u32,
    pub space: u16,
    pub utcb_slot: Option<u16>,
    pub pager: ThreadId,
    pub exc_handler: ThreadId,
    pub partner: ThreadId,
    pub deadline: u64,
    /// Threads queued to send to this one, in order.
    pub senders: Vec<ThreadId>,
    pub frame: UserFrame,
    /// UTCB words MR0..MR63 and the acceptor (empty without a UTCB).
    pub mrs: Vec<u32>,
    pub acceptor: u32,
    /// TLS entries as (base, limit, flags), None when clear.
    pub tls: [Option<(u32, u32, u32)>; 3],
    pub segs: u32,
}

#[derive(Clone, Debug)]
pub struct SpaceView {
    pub index: u16,
    /// None: no owner.
    pub owner: Option<u16>,
    pub privileged: bool,
    pub threads: u16,
    pub utcb_slots: Vec<u32>,
    /// Allowed I/O ports, if the space has a bitmap.
    pub io_ports: Option<Vec<u32>>,
    /// Present user page-table entries below the reserved area:
    /// (virtual page, frame, writable).
    pub ptes: Vec<(u32, u32, bool)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeView {
    pub index: u32,
    pub pfn: u32,
    pub space: u16,
    pub vpn: u32,
    pub rights: u8,
    /// None: derived from sigma0's root mapping.
    pub parent: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub threads: Vec<ThreadView>,
    pub spaces: Vec<SpaceView>,
    pub nodes: Vec<NodeView>,
    /// Non-empty ready queues, highest priority first.
    pub ready: Vec<(u8, Vec<ThreadId>)>,
    pub current: Option<ThreadId>,
    pub woken: Option<ThreadId>,
    pub donee: Option<ThreadId>,
    /// The timeout list in order.
    pub timeouts: Vec<ThreadId>,
    pub now: u64,
    pub irq_handler: [ThreadId; 16],
    pub irq_pending: u16,
    pub irq_in_service: u16,
    /// (free pool frames, free thread slots, free mapping nodes, free spaces)
    pub free: (u32, u32, u32, u32),
}

impl<M: Machine> Kernel<'_, M> {
    fn id_at(&self, i: u16) -> Option<ThreadId> {
        (i != NONE).then(|| self.t[i as usize].id)
    }

    pub fn snapshot(&mut self) -> Snapshot {
        let mut threads = Vec::new();
        for i in 0..self.t.len() {
            let t = self.t[i];
            if !t.is_live() {
                continue;
            }
            let mut senders = Vec::new();
            let mut q = t.sq_head;
            while q != NONE {
                senders.push(self.t[q as usize].id);
                q = self.t[q as usize].sq_next;
            }
            let (mrs, acceptor) = if t.has_utcb() {
                let f = self.m.frame(t.utcb_pfn);
                (f[utcb::MR..utcb::MR + 64].to_vec(), f[utcb::ACCEPTOR])
            } else {
                (Vec::new(), 0)
            };
            let tls = t.tls.map(|d| (d != 0).then(|| desc::tls_fields(d)));
            threads.push(ThreadView {
                index: i as u16,
                id: t.id,
                state: t.state,
                kind: t.kind,
                halted: t.halted,
                raise: t.raise,
                prio: t.prio,
                timeslice: t.timeslice,
                remaining: t.remaining,
                space: t.space,
                utcb_slot: t.has_utcb().then_some(t.utcb_slot),
                pager: t.pager,
                exc_handler: t.exc_handler,
                partner: t.partner,
                deadline: t.deadline,
                senders,
                frame: t.frame,
                mrs,
                acceptor,
                tls,
                segs: t.fs as u32 | (t.gs as u32) << 16,
            });
        }
        let mut spaces = Vec::new();
        for s in 0..self.spaces.len() {
            let sp = self.spaces[s];
            if !sp.is_live() {
                continue;
            }
            let mut ptes = Vec::new();
            space::for_each_user_page(&mut self.m, sp.pd, |_, va, e| {
                ptes.push((va >> 12, pte::pfn(e), e & pte::WRITABLE != 0));
            });
            let io_ports = (sp.io_pfn != 0).then(|| {
                let bm = self.m.frame(sp.io_pfn);
                (0..crate::kernel::IO_PORTS as u32)
                    .filter(|&p| bm[(p / 32) as usize] & 1 << (p % 32) != 0)
                    .collect()
            });
            spaces.push(SpaceView {
                index: s as u16,
                owner: (sp.owner != space::NO_SPACE).then_some(sp.owner),
                privileged: sp.privileged,
                threads: sp.threads,
                utcb_slots: (0..l4_abi::layout::UTCB_SLOTS)
                    .filter(|&k| sp.utcb_taken(k))
                    .collect(),
                io_ports,
                ptes,
            });
        }
        let nodes = self
            .mdb
            .used()
            .map(|(k, n)| NodeView {
                index: k,
                pfn: n.pfn,
                space: n.space,
                vpn: n.vpn,
                rights: n.rights,
                parent: (n.parent != NIL).then_some(n.parent),
            })
            .collect();
        let mut ready = Vec::new();
        for p in (0..=255u8).rev() {
            let q: Vec<ThreadId> = self
                .rq
                .queue(self.t, p)
                .map(|i| self.t[i as usize].id)
                .collect();
            if !q.is_empty() {
                ready.push((p, q));
            }
        }
        let mut timeouts = Vec::new();
        let mut i = self.timeouts;
        while i != NONE {
            timeouts.push(self.t[i as usize].id);
            i = self.t[i as usize].to_next;
        }
        Snapshot {
            threads,
            spaces,
            nodes,
            ready,
            current: self.id_at(self.current),
            woken: self.id_at(self.woken),
            donee: self.id_at(self.donee),
            timeouts,
            now: self.now,
            irq_handler: self.irq_handler,
            irq_pending: self.irq.pending,
            irq_in_service: self.irq.in_service,
            free: self.stats(),
        }
    }
}
