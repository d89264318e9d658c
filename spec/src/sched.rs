//! Scheduling in the spec: ready queues, waking, the choice of the next
//! thread (`dispatch`), timeouts in logical ticks, and the timer tick.
//!
//! Rules (they are what the kernel must do):
//! - a thread is in the ready queue of its priority iff it is ready, not
//!   halted and not running; queues are FIFO, a woken thread goes to the tail;
//! - the running thread keeps the processor unless a strictly higher
//!   priority is ready (it then goes back to the *head* of its queue) or it
//!   is the donee of a `thread_switch`, which is not preempted before its
//!   timeslice ends;
//! - when the running thread stops, a thread woken in the same kernel entry
//!   runs if its priority is at least the highest ready one (the direct
//!   switch of call and reply-and-wait), otherwise the head of the highest
//!   queue;
//! - before a thread runs user code with a pending `RAISE`, it sends the
//!   raised exception;
//! - a tick advances time, fires due timeouts (most recently started waits
//!   first) and charges the running thread; at the end of its timeslice it
//!   goes to the tail of its queue (and a donation ends).

use crate::state::{Kind, State, TState, Word};
use l4_abi::msg::exc;
use l4_abi::syscall::Error;
use l4_abi::{ThreadId, Timeout};

/// Ticks are 1000 µs.
pub const TICK_US: u64 = 1000;
/// Timeslice of a new thread, in ticks.
pub const DEFAULT_TIMESLICE: u32 = 10;

impl State {
    pub(crate) fn enqueue_tail(&mut self, i: usize) {
        let p = self.threads[i].prio as usize;
        self.ready[p].push_back(i);
    }
    pub(crate) fn enqueue_head(&mut self, i: usize) {
        let p = self.threads[i].prio as usize;
        self.ready[p].push_front(i);
    }
    pub(crate) fn dequeue(&mut self, i: usize) {
        let p = self.threads[i].prio as usize;
        self.ready[p].retain(|&x| x != i);
    }
    fn pop_highest(&mut self) -> Option<usize> {
        let p = self.highest()?;
        self.ready[p as usize].pop_front()
    }

    /// Make a blocked (or the running) thread ready.
    pub(crate) fn wake(&mut self, i: usize) {
        let t = &mut self.threads[i];
        t.state = TState::Ready;
        t.kind = Kind::Normal;
        if self.current != Some(i) && !t.halted {
            self.enqueue_tail(i);
            self.woken = Some(i);
        }
    }

    /// Choose the thread that runs next; None: nothing runs.
    pub fn dispatch(&mut self) -> Option<usize> {
        loop {
            let best = self.highest();
            if let Some(c) = self.current {
                let t = &self.threads[c];
                let runnable = t.alive && t.state == TState::Ready && !t.halted;
                if !runnable {
                    self.current = None;
                } else if self.donee != Some(c) && best.is_some_and(|b| b > t.prio) {
                    self.enqueue_head(c);
                    self.current = None;
                }
            }
            if self.current.is_none() {
                let w = self
                    .woken
                    .filter(|&w| self.queued(w) && best.is_some_and(|b| self.threads[w].prio >= b));
                match w {
                    Some(w) => {
                        self.dequeue(w);
                        self.current = Some(w);
                    }
                    None => self.current = Some(self.pop_highest()?),
                }
            }
            self.woken = None;
            let c = self.current.expect("chosen above");
            if self.donee != Some(c) {
                self.donee = None;
            }
            if self.threads[c].raise {
                self.threads[c].raise = false;
                let f = &mut self.threads[c].frame;
                f.vector = exc::RAISED;
                f.error = 0;
                self.kernel_ipc(c, Kind::Exception);
                continue;
            }
            return Some(c);
        }
    }

    /// Start the timeout of a wait (never: none).
    pub(crate) fn timeout_add(&mut self, i: usize, to: u16) {
        let Some(us) = Timeout(to).micros() else {
            return;
        };
        let ticks = us.div_ceil(TICK_US).max(1);
        self.threads[i].deadline = self.now + ticks + 1;
        self.timeouts.insert(0, i);
    }

    pub(crate) fn timeout_remove(&mut self, i: usize) {
        if self.threads[i].deadline == 0 {
            return;
        }
        self.threads[i].deadline = 0;
        self.timeouts.retain(|&x| x != i);
    }

    /// Timer tick (spec function for the timer interrupt).
    pub fn tick(&mut self) {
        self.now += 1;
        for i in self.timeouts.clone() {
            if self.threads[i].deadline > self.now {
                continue;
            }
            self.timeout_remove(i);
            let err = if self.threads[i].state == TState::SendBlocked {
                if let Some(d) = self.lookup(self.threads[i].partner) {
                    self.threads[d].senders.retain(|&x| x != i);
                }
                Error::SendTimeout
            } else {
                Error::RecvTimeout
            };
            self.complete(i, ThreadId::NIL, Some(err));
            self.wake(i);
        }
        self.woken = None;
        if let Some(c) = self.current {
            let t = &mut self.threads[c];
            t.remaining = t.remaining.saturating_sub(1);
            if t.remaining == 0 {
                t.remaining = t.timeslice;
                self.donee = None;
                if t.state == TState::Ready && !t.halted {
                    self.enqueue_tail(c);
                }
                self.current = None;
            }
        }
    }

    /// Write the result registers of a thread's own IPC (a kernel IPC's
    /// result goes nowhere).
    pub(crate) fn complete(&mut self, x: usize, from: ThreadId, err: Option<Error>) {
        let t = &mut self.threads[x];
        if t.kind == Kind::Normal {
            t.frame.gpr[spec_ops::op::EAX] = Word::exact(from.0);
            t.frame.gpr[spec_ops::op::ECX] = Word::exact(err.map_or(0, |e| e as u32));
        }
    }
}
