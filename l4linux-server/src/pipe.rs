//! Pipe buffers as Linux keeps them: a ring of at most 16 page-sized
//! slots. A write first tops up the last slot with the part of its data
//! that is not a whole number of pages (if that fits in the page), then
//! takes a fresh slot per page; a reader empties slots from the front.
//! This is what makes writes of up to PIPE_BUF bytes atomic (they go into
//! one page or wait), and what fixes when a full pipe takes more bytes.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Bytes per slot (a page), and the atomic write size.
pub const PIPE_BUF: usize = 4096;
/// Slots per pipe (Linux's default pipe size is 16 pages).
pub const SLOTS: usize = 16;
/// The capacity in bytes, as F_GETPIPE_SZ reports it.
pub const PIPE_SIZE: usize = PIPE_BUF * SLOTS;

/// One slot: the bytes written into the page; those before `start` have
/// been read.
struct Slot {
    start: usize,
    data: Vec<u8>,
}

/// The data of a pipe and how many ends are open.
pub struct Pipe {
    slots: VecDeque<Slot>,
    pub readers: u32,
    pub writers: u32,
}

impl Pipe {
    pub fn new() -> Pipe {
        Pipe { slots: VecDeque::new(), readers: 1, writers: 1 }
    }

    /// Bytes waiting to be read (FIONREAD).
    pub fn len(&self) -> usize {
        self.slots.iter().map(|s| s.data.len() - s.start).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// No free slot: a write that needs a new page waits.
    pub fn is_full(&self) -> bool {
        self.slots.len() >= SLOTS
    }

    /// Take as much of `data` as fits now; returns how many bytes. `first`
    /// says this is the start of the write (only then does its partial
    /// page go into the last slot, and only if the pipe was not empty).
    pub fn push(&mut self, data: &[u8], first: bool) -> usize {
        let mut done = 0;
        let chars = data.len() % PIPE_BUF;
        if first && chars != 0 {
            if let Some(last) = self.slots.back_mut() {
                if last.data.len() + chars <= PIPE_BUF {
                    last.data.extend_from_slice(&data[..chars]);
                    done = chars;
                }
            }
        }
        while done < data.len() && !self.is_full() {
            let n = (data.len() - done).min(PIPE_BUF);
            self.slots.push_back(Slot { start: 0, data: data[done..done + n].to_vec() });
            done += n;
        }
        done
    }

    /// Read up to `max` bytes from the front.
    pub fn pop(&mut self, max: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(max.min(self.len()));
        while out.len() < max {
            let Some(front) = self.slots.front_mut() else { break };
            let n = (front.data.len() - front.start).min(max - out.len());
            out.extend_from_slice(&front.data[front.start..front.start + n]);
            front.start += n;
            if front.start == front.data.len() {
                self.slots.pop_front();
            }
        }
        out
    }
}

impl Default for Pipe {
    fn default() -> Self {
        Pipe::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_sixteen_pages() {
        let mut p = Pipe::new();
        let page = [1u8; PIPE_BUF];
        for _ in 0..SLOTS {
            assert_eq!(p.push(&page, true), PIPE_BUF);
        }
        assert!(p.is_full());
        assert_eq!(p.push(&page, true), 0);
        assert_eq!(p.push(b"x", true), 0, "the last page is full: no room to merge");
        assert_eq!(p.len(), PIPE_SIZE);
    }

    #[test]
    fn small_writes_merge_into_the_last_page() {
        let mut p = Pipe::new();
        assert_eq!(p.push(b"abc", true), 3);
        assert_eq!(p.push(b"def", true), 3);
        assert_eq!(p.slots.len(), 1);
        assert_eq!(p.pop(100), b"abcdef");
        assert!(p.is_empty());
    }

    #[test]
    fn room_freed_at_the_front_is_not_reused_by_the_last_page() {
        let mut p = Pipe::new();
        let page = [2u8; PIPE_BUF];
        for _ in 0..SLOTS {
            p.push(&page, true);
        }
        // reading part of the first page frees no slot
        assert_eq!(p.pop(100).len(), 100);
        assert_eq!(p.push(&[3u8; 60], true), 0);
        // reading all of it does
        assert_eq!(p.pop(PIPE_BUF - 100).len(), PIPE_BUF - 100);
        assert_eq!(p.push(&[3u8; 60], true), 60);
        assert_eq!(p.push(&[4u8; 60], true), 60, "merged into the new last page");
    }

    #[test]
    fn large_writes_take_what_fits() {
        let mut p = Pipe::new();
        p.push(b"x", true);
        let big = [5u8; 3 * PIPE_BUF + 10];
        // the 10-byte remainder merges, then whole pages in new slots
        assert_eq!(p.push(&big, true), big.len());
        assert_eq!(p.slots.len(), 4);
        let mut q = Pipe::new();
        let huge = alloc::vec![6u8; PIPE_SIZE + 5000];
        assert_eq!(q.push(&huge, true), PIPE_SIZE);
        // a continued write merges nothing
        q.pop(PIPE_BUF);
        assert_eq!(q.push(&huge[PIPE_SIZE..], false), PIPE_BUF);
    }
}
