//! Thread control blocks: the saved user register frame, scheduling and IPC
//! state, and the intrusive queue links. TCBs live in one table indexed by
//! thread number; the all-zero TCB is a free slot.

use l4_abi::layout::sel;
use l4_abi::{ThreadId, Timeout};

/// Index into the thread table (`number - ThreadId::FIRST_THREAD`).
pub type Idx = u16;
pub const NONE: Idx = u16::MAX;

/// The user registers as the entry stubs save them (pusha order, then
/// vector, error code, and the CPU's interrupt frame). The kernel entry
/// point switches to the kernel stack with `esp0` pointing at the end of the
/// current thread's frame, so the CPU saves user state straight into the TCB.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct UserFrame {
    pub edi: u32,
    pub esi: u32,
    pub ebp: u32,
    pub esp_k: u32,
    pub ebx: u32,
    pub edx: u32,
    pub ecx: u32,
    pub eax: u32,
    pub vector: u32,
    pub error: u32,
    pub eip: u32,
    pub cs: u32,
    pub eflags: u32,
    pub esp: u32,
    pub ss: u32,
}

/// eflags of a fresh thread: IF and the reserved bit 1.
pub const EFLAGS_INIT: u32 = 0x202;

impl UserFrame {
    pub fn new_user() -> UserFrame {
        UserFrame { cs: sel::USER_CS as u32, ss: sel::USER_DS as u32, eflags: EFLAGS_INIT, ..Default::default() }
    }

    /// Exception-message field `i` (see `l4_abi::msg::exc`).
    pub fn exc_field(&self, i: usize) -> u32 {
        match i {
            1 => self.eax,
            2 => self.ebx,
            3 => self.ecx,
            4 => self.edx,
            5 => self.esi,
            6 => self.edi,
            7 => self.ebp,
            8 => self.eip,
            9 => self.esp,
            10 => self.eflags,
            11 => self.vector,
            12 => self.error,
            _ => 0,
        }
    }

    /// Overwrite writable exception field `i` from a handler's reply.
    pub fn set_exc_field(&mut self, i: usize, v: u32) {
        use l4_abi::msg::exc::EFLAGS_USER;
        match i {
            1 => self.eax = v,
            2 => self.ebx = v,
            3 => self.ecx = v,
            4 => self.edx = v,
            5 => self.esi = v,
            6 => self.edi = v,
            7 => self.ebp = v,
            8 => self.eip = v,
            9 => self.esp = v,
            10 => self.eflags = (self.eflags & !EFLAGS_USER) | (v & EFLAGS_USER),
            _ => {}
        }
    }

    /// Message register `i` (0..=3) of an IPC the thread is making.
    pub fn reg_mr(&self, i: usize) -> u32 {
        match i {
            0 => self.esi,
            1 => self.ebx,
            2 => self.ebp,
            _ => self.edi,
        }
    }
    pub fn set_reg_mr(&mut self, i: usize, v: u32) {
        match i {
            0 => self.esi = v,
            1 => self.ebx = v,
            2 => self.ebp = v,
            _ => self.edi = v,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[repr(u8)]
pub enum State {
    /// Slot unused.
    #[default]
    Free = 0,
    /// Created, never started (or halted before it ran).
    Inactive,
    /// Runnable: running or in a ready queue.
    Ready,
    /// Waiting in a receiver's sender queue.
    SendBlocked,
    /// Waiting for a message.
    RecvBlocked,
}

/// What the thread's current IPC is for: its own `ipc` call, or a message
/// the kernel sends on its behalf (page fault, exception) whose reply the
/// kernel consumes instead of the thread.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[repr(u8)]
pub enum Kind {
    #[default]
    Normal = 0,
    PageFault,
    Exception,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Tcb {
    /// Saved user registers; must stay the first field (the entry path
    /// computes `esp0` from the TCB address).
    pub frame: UserFrame,
    /// Current id while live; the last id while free (for version bumps).
    pub id: ThreadId,
    pub state: State,
    pub kind: Kind,
    /// Stopped by exchange-registers; not scheduled even when Ready.
    pub halted: bool,
    /// Send a raised exception before running user code again.
    pub raise: bool,
    pub prio: u8,
    pub tls_dirty: bool,
    pub space: u16,
    /// UTCB slot in its space, or `u16::MAX` for none.
    pub utcb_slot: u16,
    pub utcb_pfn: u32,
    pub pager: ThreadId,
    pub exc_handler: ThreadId,
    /// Send phase: the destination. Receive phase: the from specifier.
    pub partner: ThreadId,
    /// Receive phase to enter after the send phase completes (NIL: none).
    pub recv_from: ThreadId,
    pub recv_timeout: Timeout,
    /// Absolute tick at which the current wait times out (0: never).
    pub deadline: u64,
    pub timeslice: u32,
    pub remaining: u32,
    /// Ready-queue links (also the free-list link of free slots).
    pub rq_next: Idx,
    pub rq_prev: Idx,
    /// Queue of threads waiting to send to this one.
    pub sq_head: Idx,
    pub sq_tail: Idx,
    /// Links in the sender queue this thread waits in.
    pub sq_next: Idx,
    pub sq_prev: Idx,
    /// Links in the timeout list.
    pub to_next: Idx,
    pub to_prev: Idx,
    pub fault_addr: u32,
    pub fault_access: u32,
    /// TLS descriptors (GDT entries 6..8 while the thread runs) and the
    /// saved fs/gs selectors.
    pub tls: [u64; 3],
    /// (fs and gs adjacent: the fast path compares both as one word.)
    pub fs: u16,
    pub gs: u16,
    /// The interned id of `tls` (see `TlsSets`): equal ids, equal sets.
    pub tls_id: u16,
    /// x87 state saved with `fnsave` while another thread owns the FPU
    /// (108 bytes); meaningful when `fpu_saved`.
    pub fpu: [u32; 27],
    pub fpu_saved: bool,
    /// Mach build: a message copied in and queued for this thread, to be
    /// copied out when it runs; and the message this thread, blocked in a
    /// send, already copied into a kernel buffer.
    pub kmsg_in: Idx,
    pub kmsg_out: Idx,
}

impl Tcb {
    pub fn has_utcb(&self) -> bool {
        self.utcb_slot != u16::MAX
    }
    pub fn is_live(&self) -> bool {
        self.state != State::Free
    }
}

/// Thread id to table index (None for nil, any, IRQ ids and out-of-range).
pub fn index_of(id: ThreadId, table_len: usize) -> Option<Idx> {
    let n = id.number();
    if id.is_any() || n < ThreadId::FIRST_THREAD {
        return None;
    }
    let i = (n - ThreadId::FIRST_THREAD) as usize;
    (i < table_len).then_some(i as Idx)
}

/// Table index and version to thread id.
pub fn id_of(idx: Idx, version: u32) -> ThreadId {
    ThreadId::new(idx as u32 + ThreadId::FIRST_THREAD, version)
}
