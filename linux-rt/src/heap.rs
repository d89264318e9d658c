//! The global allocator: power-of-two size classes from 16 to 2048 bytes
//! carved out of 64 KiB `mmap2` arenas, with a free list per class; bigger
//! blocks are whole-page `mmap2` mappings returned with `munmap`. It uses
//! `mmap2`, not `brk`, so programs may test and use the break themselves.
//!
//! The programs are single-threaded, so there is no locking; a signal
//! handler must not allocate.

use crate::consts::{MAP_ANONYMOUS, MAP_PRIVATE, PAGE_SIZE, PROT_READ, PROT_WRITE};
use crate::syscall::is_err;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::null_mut;

const MIN_SHIFT: usize = 4;
const MAX_SHIFT: usize = 11;
const CLASSES: usize = MAX_SHIFT - MIN_SHIFT + 1;
const ARENA: usize = 64 * 1024;

struct State {
    /// Heads of the free lists (a free block stores the next pointer).
    free: [*mut u8; CLASSES],
    /// The unused part of the current arena.
    bump: usize,
    end: usize,
}

pub struct Heap(UnsafeCell<State>);

// SAFETY: the programs using this runtime are single-threaded.
unsafe impl Sync for Heap {}

#[global_allocator]
static HEAP: Heap = Heap(UnsafeCell::new(State { free: [null_mut(); CLASSES], bump: 0, end: 0 }));

fn map(len: usize) -> *mut u8 {
    // SAFETY: a new anonymous mapping replaces nothing.
    let r = unsafe { crate::sys::mmap2(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) };
    if is_err(r) {
        null_mut()
    } else {
        r as *mut u8
    }
}

/// The size class for a layout, or None for a large block.
fn class(layout: Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(1 << MIN_SHIFT);
    let shift = size.next_power_of_two().trailing_zeros() as usize;
    (shift <= MAX_SHIFT).then_some(shift - MIN_SHIFT)
}

fn pages(size: usize) -> usize {
    (size + PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}

unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(c) = class(layout) else {
            if layout.align() > PAGE_SIZE {
                return null_mut();
            }
            return map(pages(layout.size()));
        };
        // SAFETY: single-threaded (see Sync above), so this is the only access.
        let st = unsafe { &mut *self.0.get() };
        let head = st.free[c];
        if !head.is_null() {
            // SAFETY: a free block's first word holds the next free block.
            st.free[c] = unsafe { *(head as *mut *mut u8) };
            return head;
        }
        let size = 1usize << (c + MIN_SHIFT);
        // blocks of a class are aligned to their size (arenas are page-aligned)
        let start = (st.bump + size - 1) & !(size - 1);
        if st.bump == 0 || start + size > st.end {
            let a = map(ARENA);
            if a.is_null() {
                return null_mut();
            }
            st.bump = a as usize;
            st.end = a as usize + ARENA;
            st.bump += size;
            return a;
        }
        st.bump = start + size;
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class(layout) {
            None => {
                // SAFETY: large blocks are whole mappings of this size.
                unsafe { crate::sys::munmap(ptr as usize, pages(layout.size())) };
            }
            Some(c) => {
                // SAFETY: single-threaded; the block is at least 16 bytes and
                // aligned, so it can hold the next pointer.
                unsafe {
                    let st = &mut *self.0.get();
                    *(ptr as *mut *mut u8) = st.free[c];
                    st.free[c] = ptr;
                }
            }
        }
    }
}
