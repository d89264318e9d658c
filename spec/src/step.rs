//! Running an operation of a generated sequence through the spec: the
//! world it starts in, and what each operation does and shows.
//!
//! The running thread takes each operation (none running: `idle`); a
//! kernel entry (call, exception, fault, tick, interrupt) ends with the
//! choice of the next thread, which then returns to user mode: from a
//! kernel call or exception it shows its registers (a `res` record), a
//! faulted access is re-executed. An access that hits a mapping with the
//! needed rights reads or writes word 0 of the frame and enters no kernel.

use crate::calls::Effect;
use crate::expect::Expect;
use crate::state::{Cont, Det, Limits, Node, Space, State, TState, Word};
use l4_abi::msg::rights;
use l4_abi::syscall::exreg;
use l4_abi::ThreadId;
use spec_ops::op::{Action, EBX, EDX, ESI};
use spec_ops::record::LIVELOCK_RETRIES;
use spec_ops::world::{self, FRAMES, INITIAL_THREADS, T0_SLOT};
use spec_ops::{Ctx, Op};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

impl State {
    /// The world of `spec_ops::world`; `ids` are the initial threads' ids.
    pub fn world(limits: Limits, ids: &[ThreadId]) -> State {
        let root = Space {
            alive: true,
            owner: None,
            privileged: true,
            threads: 1,
            utcb_used: BTreeSet::from([0]),
            io: None,
        };
        let mut nodes = BTreeMap::new();
        for i in 0..FRAMES {
            nodes.insert(
                i,
                Node {
                    space: 0,
                    vpn: world::page_addr(i) >> 12,
                    frame: i,
                    rights: rights::RWX,
                    parent: None,
                },
            );
        }
        let mut s = State {
            limits,
            threads: Vec::new(),
            unmodelled_threads: 1,
            spaces: vec![root],
            nodes,
            next_node: FRAMES,
            memory: (0..FRAMES).map(world::frame_init).collect(),
            current: None,
            woken: None,
            donee: None,
            ready: vec![VecDeque::new(); crate::state::PRIOS],
            timeouts: Vec::new(),
            now: 0,
            irq_handler: [ThreadId::NIL; 16],
            irq_pending: 0,
            irq_in_service: 0,
            irq_masked: 0xFFFF,
            next_ids: VecDeque::new(),
            violations: Vec::new(),
            stuck: false,
        };
        assert_eq!(ids.len(), INITIAL_THREADS, "the initial threads' ids");
        for n in 0..INITIAL_THREADS {
            let (pager, exc) = (
                ids[world::initial_pager(n)],
                ids[world::initial_exc_handler(n)],
            );
            let t = s.new_thread(
                0,
                ids[n],
                pager,
                exc,
                Some(T0_SLOT + n as u32),
                world::distinct_prio(n, 0),
            );
            let th = &mut s.threads[t];
            th.state = TState::Ready;
            th.frame.eip = Word::machine(world::ENTRY_IP);
            th.frame.esp = Word::machine(world::stack_top(n));
            if n == 0 {
                s.current = Some(t);
            } else {
                s.enqueue_tail(t);
            }
        }
        s
    }

    /// Run one operation; returns what it shows.
    pub fn step(&mut self, op: &Op) -> Vec<Expect> {
        let mut out = Vec::new();
        if self.stuck {
            return out;
        }
        match *op {
            Op::Tick => {
                self.tick();
                out.push(Expect::Event);
                self.dispatch_and_settle(&mut out);
                return out;
            }
            Op::Irq(n) => {
                self.interrupt(n as u32);
                out.push(Expect::Event);
                self.dispatch_and_settle(&mut out);
                return out;
            }
            _ => {}
        }
        let Some(c) = self.current else {
            out.push(Expect::Idle);
            return out;
        };
        out.push(Expect::Run(c as u8));
        let ids = self.ids();
        let alive: Vec<bool> = self.threads.iter().map(|t| t.alive).collect();
        let ctx = Ctx {
            created: &ids,
            alive: &alive,
            me: c,
            reply: self.threads[c].reply,
        };
        match op.action(&ctx) {
            Action::Skip => {
                out.push(Expect::Skip);
                return out;
            }
            Action::Syscall(vector, regs) => {
                let t = &mut self.threads[c];
                t.frame.gpr = regs.map(Word::exact);
                if let Op::ExReg { ctl, .. } = op {
                    if ctl & (exreg::SET_IP | exreg::SET_SP) != 0 {
                        // the entry point and stack of the real machine
                        t.frame.gpr[ESI].det = Det::Machine;
                        t.frame.gpr[EDX].det = Det::Machine;
                    }
                }
                if let (Op::Ipc(m), Some(_)) = (op, t.utcb) {
                    for i in 4..=m.last_mr() {
                        t.mrs[i] = Word::exact(m.mr(i));
                    }
                    t.acceptor = m.acceptor;
                }
                t.cont = Cont::Resume {
                    ipc: matches!(op, Op::Ipc(_)),
                };
                if let Effect::Exit(status) = self.syscall(c, vector) {
                    out.push(Expect::Exit(status));
                }
            }
            Action::Access { page, write, regs } => {
                self.threads[c].frame.gpr = regs.map(Word::exact);
                if self.access(c, page, write, &mut out) {
                    return out;
                }
            }
            Action::Exception(regs) => {
                let t = &mut self.threads[c];
                t.frame.gpr = regs.map(Word::exact);
                t.frame.vector = l4_abi::layout::vector::LINUX_SYSCALL as u32;
                t.frame.error = 0;
                t.cont = Cont::Resume { ipc: false };
                self.exception(c);
            }
        }
        self.dispatch_and_settle(&mut out);
        out
    }

    /// A hardware interrupt: a masked line does nothing; otherwise it is
    /// masked until its handler acknowledges it, and the kernel is told.
    pub fn interrupt(&mut self, irq: u32) {
        if self.irq_masked & 1 << irq != 0 {
            return;
        }
        self.irq_masked |= 1 << irq;
        self.irq(irq);
    }

    /// Access word 0 of test page `page` as thread `c`: true if it
    /// succeeded; otherwise the thread page-faults (and will retry).
    fn access(&mut self, c: usize, page: u32, write: bool, out: &mut Vec<Expect>) -> bool {
        let addr = world::page_addr(page);
        let need = if write { rights::W } else { rights::R };
        let space = self.threads[c].space;
        let hit = self
            .node_at(space, addr >> 12)
            .map(|n| self.nodes[&n])
            .filter(|n| n.rights & need != 0);
        let t = &mut self.threads[c];
        match hit {
            Some(n) => {
                if write {
                    self.memory[n.frame as usize] = t.frame.gpr[EBX].v;
                } else {
                    t.frame.gpr[EBX] = Word::exact(self.memory[n.frame as usize]);
                }
                t.cont = Cont::Next;
                out.push(Expect::Access {
                    t: c as u8,
                    page: page as u8,
                    write,
                    value: t.frame.gpr[EBX],
                });
                true
            }
            None => {
                t.cont = Cont::RetryAccess { page, write };
                self.page_fault(c, addr, write);
                false
            }
        }
    }

    /// After a kernel entry: choose the next thread and let it return to
    /// user mode.
    fn dispatch_and_settle(&mut self, out: &mut Vec<Expect>) {
        let mut retries = 0;
        while let Some(c) = self.dispatch() {
            match self.threads[c].cont {
                Cont::Next => return,
                Cont::Resume { ipc } => {
                    let t = &mut self.threads[c];
                    t.cont = Cont::Next;
                    if ipc {
                        t.reply = ThreadId(t.frame.gpr[spec_ops::op::EAX].v);
                    }
                    out.push(Expect::Resume {
                        t: c as u8,
                        regs: t.frame.gpr,
                        mrs: t.mrs[4..].to_vec(),
                    });
                    return;
                }
                Cont::RetryAccess { page, write } => {
                    if self.access(c, page, write, out) {
                        return;
                    }
                    retries += 1;
                    if retries == LIVELOCK_RETRIES {
                        out.push(Expect::Livelock);
                        self.stuck = true;
                        return;
                    }
                }
            }
        }
    }
}
