//! Memory for the roottask and the tasks it pages: frames from sigma0,
//! fetched 4 MiB at a time where possible, visible in a window of the
//! roottask's own address space.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use l4::kip::kip;
use l4::sigma0::{self, ANY};
use l4::{Fpage, ThreadId};
use l4_abi::kip::OFF_SIGMA0;
use l4_abi::msg::rights;

/// Where frames from sigma0 appear in the roottask.
pub const WINDOW_BASE: u32 = 0x2000_0000;
pub const WINDOW_END: u32 = 0x8000_0000;

/// Next free address of the window, shared by every `Pages`.
static NEXT: AtomicU32 = AtomicU32::new(WINDOW_BASE);

/// Reserve `size` bytes (a power of two) of window, naturally aligned.
fn reserve_window(size: u32) -> Option<u32> {
    let mut cur = NEXT.load(Ordering::Relaxed);
    loop {
        let at = (cur as u64 + size as u64 - 1) & !(size as u64 - 1);
        if at + size as u64 > WINDOW_END as u64 {
            return None;
        }
        match NEXT.compare_exchange(cur, (at + size as u64) as u32, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) => return Some(at as u32),
            Err(now) => cur = now,
        }
    }
}

/// A page allocator over frames from sigma0. Several may exist (one per
/// thread that allocates); they share the window.
pub struct Pages {
    s0: ThreadId,
    cur: u32,
    end: u32,
    free: Vec<u32>,
    /// Pages handed out and not returned.
    pub in_use: usize,
}

impl Pages {
    pub fn new() -> Pages {
        Pages { s0: ThreadId(kip().word(OFF_SIGMA0)), cur: 0, end: 0, free: Vec::new(), in_use: 0 }
    }

    /// Get more memory from sigma0: a 4 MiB run if one is free, else a page.
    fn refill(&mut self) -> bool {
        for size in [22u32, 12] {
            let Some(at) = reserve_window(1 << size) else { return false };
            let window = Fpage::new(at, size, rights::RWX);
            if sigma0::request(self.s0, Fpage::new(0, size, rights::RWX), ANY, window).is_ok() {
                self.cur = at;
                self.end = at + (1 << size);
                return true;
            }
        }
        false
    }

    /// A whole 4 MiB run from sigma0 (its address in the roottask); the
    /// memory is not cleared here (sigma0's frames may hold anything, the
    /// receiver clears what it uses).
    pub fn alloc_chunk(&mut self) -> Option<u32> {
        let at = reserve_window(1 << 22)?;
        let window = Fpage::new(at, 22, rights::RWX);
        sigma0::request(self.s0, Fpage::new(0, 22, rights::RWX), ANY, window).ok()?;
        Some(at)
    }

    /// A zeroed page (its address in the roottask), or None when sigma0 has
    /// nothing left.
    pub fn alloc(&mut self) -> Option<u32> {
        let p = match self.free.pop() {
            Some(p) => p,
            None => {
                if self.cur == self.end && !self.refill() {
                    return None;
                }
                let p = self.cur;
                self.cur += 4096;
                p
            }
        };
        // SAFETY: the page is mapped read-write in the window and unused.
        unsafe { core::ptr::write_bytes(p as *mut u8, 0, 4096) };
        self.in_use += 1;
        Some(p)
    }

    /// Make sure `n` pages can be handed out without asking sigma0.
    pub fn reserve(&mut self, n: usize) -> bool {
        while self.free.len() + (((self.end - self.cur) / 4096) as usize) < n {
            // keep what is left of the current run on the free list
            while self.cur < self.end {
                self.free.push(self.cur);
                self.cur += 4096;
            }
            if !self.refill() {
                return false;
            }
        }
        true
    }
}
