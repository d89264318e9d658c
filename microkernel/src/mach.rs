//! Mach-3-style IPC, the baseline of the benchmarks (cargo feature `mach`).
//!
//! The user interface is the L4 one (so sigma0, the roottask and the Linux
//! server run unmodified), but messages travel the way Mach 3 moves them:
//!
//! - the destination is looked up in the sender's port-name table (a hash
//!   table per address space; names are the thread ids user code uses);
//! - the message is copied into a kernel message buffer (`Kmsg`) when it is
//!   sent ("copyin") and queued on the receiver's port;
//! - the receiver is made ready through the scheduler, never switched to
//!   directly, and copies the message out of the buffer when it runs
//!   ("copyout"); there is no fast path.
//!
//! Rendezvous semantics stay those of L4 (a send completes when the message
//! is taken, timeouts and aborts as before), so every kernel test passes on
//! both builds; only the cost differs.

use crate::thread::{Idx, Kind, NONE};
use l4_abi::ThreadId;

/// A kernel message buffer: MR0..MR63 and the receive results.
#[derive(Clone, Copy, Debug)]
pub struct Kmsg {
    pub words: [u32; 64],
    pub sender: ThreadId,
    pub err: u32,
    /// What the receiver waited for (the reply to a fault or exception is
    /// consumed by the kernel at copyout).
    pub rkind: Kind,
    /// Next in the port queue or the free list.
    pub next: Idx,
}

impl Default for Kmsg {
    fn default() -> Self {
        Kmsg { words: [0; 64], sender: ThreadId::NIL, err: 0, rkind: Kind::Normal, next: NONE }
    }
}

/// Entries in a space's port-name table.
pub const NAMES: usize = 32;

/// A space's port names: thread id → port (the receiving thread's index).
#[derive(Clone, Copy, Debug)]
pub struct NameTable {
    names: [u32; NAMES],
    ports: [Idx; NAMES],
}

impl Default for NameTable {
    fn default() -> Self {
        NameTable { names: [0; NAMES], ports: [NONE; NAMES] }
    }
}

impl NameTable {
    /// Translate `name` (open addressing, linear probing); on a miss insert
    /// `port` (the table is cleared when full).
    pub fn translate(&mut self, name: ThreadId, port: Idx) -> Idx {
        let h = (name.0.wrapping_mul(0x9E37_79B9) >> 27) as usize;
        for k in 0..NAMES {
            let i = (h + k) % NAMES;
            if self.names[i] == name.0 {
                return self.ports[i];
            }
            if self.names[i] == 0 {
                self.names[i] = name.0;
                self.ports[i] = port;
                return port;
            }
        }
        *self = NameTable::default();
        self.names[h] = name.0;
        self.ports[h] = port;
        port
    }
}

/// The message buffers.
pub struct Kmsgs<'a> {
    pub msgs: &'a mut [Kmsg],
    free: Idx,
}

impl<'a> Kmsgs<'a> {
    pub fn new(msgs: &'a mut [Kmsg]) -> Kmsgs<'a> {
        let n = msgs.len();
        for (i, m) in msgs.iter_mut().enumerate() {
            *m = Kmsg { next: if i + 1 < n { i as Idx + 1 } else { NONE }, ..Kmsg::default() };
        }
        Kmsgs { msgs, free: if n > 0 { 0 } else { NONE } }
    }

    pub fn alloc(&mut self) -> Option<Idx> {
        let k = self.free;
        if k == NONE {
            return None;
        }
        self.free = self.msgs[k as usize].next;
        self.msgs[k as usize].next = NONE;
        Some(k)
    }

    pub fn free(&mut self, k: Idx) {
        self.msgs[k as usize].next = self.free;
        self.free = k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_translate_and_survive_overflow() {
        let mut t = NameTable::default();
        for i in 0..NAMES as u32 {
            assert_eq!(t.translate(ThreadId::new(100 + i, 1), i as Idx), i as Idx);
        }
        assert_eq!(t.translate(ThreadId::new(105, 1), 999), 5);
        // one more clears the table and starts over
        assert_eq!(t.translate(ThreadId::new(500, 1), 77), 77);
        assert_eq!(t.translate(ThreadId::new(500, 1), 1), 77);
    }

    #[test]
    fn buffers_recycle() {
        let mut store = vec![Kmsg::default(); 2];
        let mut k = Kmsgs::new(&mut store);
        let a = k.alloc().unwrap();
        let b = k.alloc().unwrap();
        assert_eq!(k.alloc(), None);
        k.free(a);
        assert_eq!(k.alloc(), Some(a));
        let _ = b;
    }
}
