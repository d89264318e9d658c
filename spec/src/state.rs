//! The abstract kernel state: threads (with their ids, states, priorities,
//! registers and message registers), address spaces, the mapping tree with
//! rights, sender (wait) queues, ready queues, timeouts as logical ticks,
//! and interrupt lines. Plain collections, no cleverness: this is the
//! reference the kernel is checked against.
//!
//! Threads and spaces are kept in creation order and never removed (a dead
//! one has `alive == false`), so "created thread n" is just an index. A
//! thread's id is the one the kernel returned when it was created (see
//! `docs/spec.md`, "Thread ids").

use l4_abi::ThreadId;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// How far a value is determined by the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Det {
    /// Exactly this value, on the host and on the real machine.
    Exact,
    /// Depends on the machine (instruction pointer, stack pointer, flags,
    /// real time): exact in the host cross-check, unchecked in QEMU.
    Machine,
    /// Not modelled (kernel pool frames): never checked.
    Unmodelled,
}

/// A register or message-register value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word {
    pub v: u32,
    pub det: Det,
}

impl Word {
    pub const ZERO: Word = Word {
        v: 0,
        det: Det::Exact,
    };
    pub const fn exact(v: u32) -> Word {
        Word { v, det: Det::Exact }
    }
    pub const fn machine(v: u32) -> Word {
        Word {
            v,
            det: Det::Machine,
        }
    }
    /// Does an observed value match? `exact`: the host cross-check, where
    /// machine-dependent values are known too.
    pub fn matches(self, actual: u32, exact: bool) -> bool {
        match self.det {
            Det::Exact => self.v == actual,
            Det::Machine => !exact || self.v == actual,
            Det::Unmodelled => true,
        }
    }
    pub fn checked(self, exact: bool) -> bool {
        self.det == Det::Exact || (exact && self.det == Det::Machine)
    }
}

/// Thread states (`Halted` is the separate `halted` flag, as in the ABI's
/// exchange-registers report it wins over the state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TState {
    Inactive,
    Ready,
    SendBlocked,
    RecvBlocked,
}

/// What a thread's current IPC is for: its own call, or a page-fault or
/// exception message the kernel sends for it (whose reply the kernel
/// consumes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Normal,
    PageFault,
    Exception,
}

/// What a thread does when it next returns to user mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cont {
    /// Nothing pending: it takes the next operation (after it started or
    /// restarted at its entry point, or after an access).
    Next,
    /// Returns from a kernel call (`ipc`: the ipc call) or exception: its
    /// registers are observed.
    Resume { ipc: bool },
    /// Re-executes an access that faulted.
    RetryAccess { page: u32, write: bool },
}

/// The user registers the kernel reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    /// eax, ebx, ecx, edx, esi, edi, ebp.
    pub gpr: [Word; 7],
    pub eip: Word,
    pub esp: Word,
    pub eflags: Word,
    /// Of the last exception (read-only fields of the exception message).
    pub vector: u32,
    pub error: u32,
}

#[derive(Clone, Debug)]
pub struct Thread {
    pub id: ThreadId,
    pub alive: bool,
    pub space: usize,
    pub state: TState,
    pub kind: Kind,
    pub halted: bool,
    /// Send a raised exception before running user code again.
    pub raise: bool,
    pub prio: u8,
    /// In ticks.
    pub timeslice: u32,
    pub remaining: u32,
    /// UTCB slot (None: no UTCB).
    pub utcb: Option<u32>,
    pub pager: ThreadId,
    pub exc_handler: ThreadId,
    /// Send phase: the destination; receive phase: the from specifier.
    pub partner: ThreadId,
    pub recv_from: ThreadId,
    pub recv_timeout: u16,
    /// Absolute tick at which the current wait ends (0: never).
    pub deadline: u64,
    /// Threads waiting to send to this one, in arrival order.
    pub senders: VecDeque<usize>,
    pub frame: Frame,
    /// UTCB message registers MR0..MR63 (the kernel uses MR4..).
    pub mrs: [Word; 64],
    pub acceptor: u32,
    pub fault_addr: u32,
    pub fault_access: u32,
    /// TLS descriptors as (base, limit, flags & 0x7F); None = clear.
    pub tls: [Option<(u32, u32, u32)>; 3],
    /// The fs and gs selectors (`fs | gs << 16`); the machine layer keeps
    /// them up to date with what the thread loads itself.
    pub segs: Word,
    pub cont: Cont,
    /// User-level memory of the thread: eax of its last return from an ipc
    /// call since it (re)started (the `Reply` thread reference).
    pub reply: ThreadId,
}

#[derive(Clone, Debug)]
pub struct Space {
    pub alive: bool,
    /// The space whose threads created it (they may control its threads).
    pub owner: Option<usize>,
    pub privileged: bool,
    pub threads: usize,
    pub utcb_used: BTreeSet<u32>,
    /// I/O ports allowed (bit per port), once any were set.
    pub io: Option<Vec<bool>>,
}

/// A mapping: frame `frame` at page `vpn` of space `space`, derived from
/// `parent` (None: from sigma0's root mapping of the frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    pub space: usize,
    pub vpn: u32,
    pub frame: u32,
    pub rights: u32,
    pub parent: Option<u32>,
}

/// Kernel memory the spec counts (the frame pool is not modelled: the host
/// harness gives the kernel more than a sequence can use).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub thread_slots: usize,
    pub spaces: usize,
    pub nodes: usize,
}

#[derive(Clone, Debug)]
pub struct State {
    pub limits: Limits,
    /// Threads in creation order (index = creation index).
    pub threads: Vec<Thread>,
    /// Threads the kernel has that are not modelled (the boot thread).
    pub unmodelled_threads: usize,
    pub spaces: Vec<Space>,
    /// Mapping nodes by a node number that never changes (a grant moves a
    /// node, keeping its number and its children).
    pub nodes: BTreeMap<u32, Node>,
    pub next_node: u32,
    /// Word 0 of each frame.
    pub memory: Vec<u32>,
    pub current: Option<usize>,
    /// The thread this kernel entry made ready (preferred by the next
    /// dispatch when the running thread blocks).
    pub woken: Option<usize>,
    /// The thread the current one donated its time to (not preempted until
    /// the next tick).
    pub donee: Option<usize>,
    /// Ready (not running, not halted) threads per priority, in order.
    pub ready: Vec<VecDeque<usize>>,
    /// Threads waiting with a timeout, most recent first (the order their
    /// timeouts fire in when they expire at the same tick).
    pub timeouts: Vec<usize>,
    /// Logical time: ticks since the start.
    pub now: u64,
    pub irq_handler: [ThreadId; 16],
    pub irq_pending: u16,
    pub irq_in_service: u16,
    /// Interrupt lines masked at the interrupt controller.
    pub irq_masked: u16,
    /// Ids the kernel handed out for the next creates (the environment's
    /// choice: see `docs/spec.md`, "Thread ids").
    pub next_ids: VecDeque<ThreadId>,
    /// Rules the environment broke (an id that was not fresh).
    pub violations: Vec<String>,
    /// A livelock happened: the rest of the sequence does not run.
    pub stuck: bool,
}

/// Kernel-generated message labels and tags.
pub const PRIOS: usize = 256;

impl State {
    pub fn live_threads(&self) -> usize {
        self.threads.iter().filter(|t| t.alive).count()
    }
    pub fn live_spaces(&self) -> usize {
        self.spaces.iter().filter(|s| s.alive).count()
    }
    /// The live thread with exactly this id.
    pub fn lookup(&self, id: ThreadId) -> Option<usize> {
        if id.is_nil() || id.is_any() {
            return None;
        }
        self.threads.iter().position(|t| t.alive && t.id == id)
    }
    /// Created threads' ids in creation order.
    pub fn ids(&self) -> Vec<ThreadId> {
        self.threads.iter().map(|t| t.id).collect()
    }
    /// The node mapping (space, vpn).
    pub fn node_at(&self, space: usize, vpn: u32) -> Option<u32> {
        self.nodes
            .iter()
            .find(|(_, n)| n.space == space && n.vpn == vpn)
            .map(|(&k, _)| k)
    }
    /// The node itself and everything derived from it.
    pub fn subtree(&self, n: u32) -> Vec<u32> {
        let mut out = vec![n];
        let mut i = 0;
        while i < out.len() {
            let p = out[i];
            out.extend(
                self.nodes
                    .iter()
                    .filter(|(_, c)| c.parent == Some(p))
                    .map(|(&k, _)| k),
            );
            i += 1;
        }
        out
    }
    /// Is `a` the node `n` or one of its ancestors?
    pub fn is_ancestor(&self, a: u32, n: u32) -> bool {
        let mut cur = Some(n);
        while let Some(c) = cur {
            if c == a {
                return true;
            }
            cur = self.nodes[&c].parent;
        }
        false
    }
    /// Is thread `i` waiting in a ready queue (ready, not halted, not running)?
    pub fn queued(&self, i: usize) -> bool {
        let t = &self.threads[i];
        t.alive && t.state == TState::Ready && !t.halted && self.current != Some(i)
    }
    /// The highest priority with a ready thread.
    pub fn highest(&self) -> Option<u8> {
        (0..PRIOS)
            .rev()
            .find(|&p| !self.ready[p].is_empty())
            .map(|p| p as u8)
    }
    pub fn privileged(&self, i: usize) -> bool {
        self.spaces[self.threads[i].space].privileged
    }
    /// May threads of space `caller` control threads of space `target`?
    pub fn may_control(&self, caller: usize, target: usize) -> bool {
        caller == target
            || self.spaces[target].owner == Some(caller)
            || self.spaces[caller].privileged
    }
}
