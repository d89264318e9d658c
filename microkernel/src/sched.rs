//! Ready queues: one circular doubly-linked list of thread indices per
//! priority (links in the TCBs) and a bitmap of non-empty priorities, so
//! finding the highest ready priority is a few word tests.

use crate::thread::{Idx, Tcb, NONE};

pub const PRIOS: usize = 256;

pub struct ReadyQueues {
    /// Bit `p % 32` of word `p / 32`: priority `p` has ready threads.
    pub(crate) bitmap: [u32; PRIOS / 32],
    /// Bit `w`: word `w` of the bitmap is not zero (the assembly fast
    /// paths find the highest ready priority from both).
    pub(crate) summary: u32,
    head: [Idx; PRIOS],
}

impl Default for ReadyQueues {
    fn default() -> Self {
        ReadyQueues { bitmap: [0; PRIOS / 32], summary: 0, head: [NONE; PRIOS] }
    }
}

impl ReadyQueues {
    /// Highest priority with a ready thread: two bit scans.
    #[inline(always)]
    pub fn highest(&self) -> Option<u8> {
        if self.summary == 0 {
            return None;
        }
        let w = 31 - self.summary.leading_zeros() as usize;
        Some((w * 32 + 31 - self.bitmap[w].leading_zeros() as usize) as u8)
    }

    fn link(&mut self, t: &mut [Tcb], i: Idx, at_head: bool) {
        let p = t[i as usize].prio as usize;
        let h = self.head[p];
        if h == NONE {
            t[i as usize].rq_next = i;
            t[i as usize].rq_prev = i;
            self.head[p] = i;
            self.bitmap[p / 32] |= 1 << (p % 32);
            self.summary |= 1 << (p / 32);
        } else {
            let last = t[h as usize].rq_prev;
            t[i as usize].rq_next = h;
            t[i as usize].rq_prev = last;
            t[last as usize].rq_next = i;
            t[h as usize].rq_prev = i;
            if at_head {
                self.head[p] = i;
            }
        }
    }

    pub fn enqueue_tail(&mut self, t: &mut [Tcb], i: Idx) {
        self.link(t, i, false);
    }
    pub fn enqueue_head(&mut self, t: &mut [Tcb], i: Idx) {
        self.link(t, i, true);
    }

    pub fn remove(&mut self, t: &mut [Tcb], i: Idx) {
        let p = t[i as usize].prio as usize;
        let (next, prev) = (t[i as usize].rq_next, t[i as usize].rq_prev);
        if next == i {
            self.head[p] = NONE;
            self.bitmap[p / 32] &= !(1 << (p % 32));
            if self.bitmap[p / 32] == 0 {
                self.summary &= !(1 << (p / 32));
            }
        } else {
            t[prev as usize].rq_next = next;
            t[next as usize].rq_prev = prev;
            if self.head[p] == i {
                self.head[p] = next;
            }
        }
        t[i as usize].rq_next = NONE;
        t[i as usize].rq_prev = NONE;
    }

    /// Take the first thread of the highest non-empty priority.
    pub fn pop_highest(&mut self, t: &mut [Tcb]) -> Option<Idx> {
        let p = self.highest()?;
        let i = self.head[p as usize];
        self.remove(t, i);
        Some(i)
    }

    /// Threads queued at priority `p`, in order (for tests and the spec).
    pub fn queue<'s>(&'s self, t: &'s [Tcb], p: u8) -> impl Iterator<Item = Idx> + 's {
        let h = self.head[p as usize];
        let mut cur = h;
        let mut done = h == NONE;
        core::iter::from_fn(move || {
            if done {
                return None;
            }
            let r = cur;
            cur = t[cur as usize].rq_next;
            done = cur == h;
            Some(r)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcbs(prios: &[u8]) -> Vec<Tcb> {
        prios.iter().map(|&p| Tcb { prio: p, rq_next: NONE, rq_prev: NONE, ..Tcb::default() }).collect()
    }

    #[test]
    fn priority_order_and_round_robin() {
        let mut t = tcbs(&[10, 10, 200, 10]);
        let mut q = ReadyQueues::default();
        assert_eq!(q.highest(), None);
        q.enqueue_tail(&mut t, 0);
        q.enqueue_tail(&mut t, 1);
        q.enqueue_tail(&mut t, 3);
        q.enqueue_tail(&mut t, 2);
        assert_eq!(q.highest(), Some(200));
        assert_eq!(q.pop_highest(&mut t), Some(2));
        assert_eq!(q.queue(&t, 10).collect::<Vec<_>>(), vec![0, 1, 3]);
        assert_eq!(q.pop_highest(&mut t), Some(0));
        q.enqueue_tail(&mut t, 0);
        assert_eq!(q.queue(&t, 10).collect::<Vec<_>>(), vec![1, 3, 0]);
        q.enqueue_head(&mut t, 2);
        q.remove(&mut t, 2);
        q.remove(&mut t, 3);
        assert_eq!(q.queue(&t, 10).collect::<Vec<_>>(), vec![1, 0]);
        q.remove(&mut t, 1);
        q.remove(&mut t, 0);
        assert_eq!(q.highest(), None);
    }

    #[test]
    fn bitmap_extremes() {
        let mut t = tcbs(&[0, 255, 31, 32]);
        let mut q = ReadyQueues::default();
        for i in 0..4 {
            q.enqueue_tail(&mut t, i);
        }
        let order: Vec<_> = core::iter::from_fn(|| q.pop_highest(&mut t)).collect();
        assert_eq!(order, vec![1, 3, 2, 0]);
    }
}
