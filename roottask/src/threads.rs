//! Threads inside the roottask's own space: UTCB slots, stacks, start-up.

use alloc::boxed::Box;
use core::sync::atomic::{AtomicU32, Ordering};
use l4::ipc::{thread_init, Utcb};
use l4::{sys, Error, ThreadId};

/// UTCB slots 1..=31 are handed to local threads (slot 0 is the main thread).
static SLOTS: AtomicU32 = AtomicU32::new(1);

fn take_slot() -> Option<u32> {
    loop {
        let cur = SLOTS.load(Ordering::Relaxed);
        let free = !cur;
        if free == 0 {
            return None;
        }
        let slot = free.trailing_zeros();
        if SLOTS.compare_exchange(cur, cur | 1 << slot, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            return Some(slot);
        }
    }
}

fn release_slot(slot: u32) {
    SLOTS.fetch_and(!(1 << slot), Ordering::AcqRel);
}

pub const STACK: usize = 16 * 1024;

/// A local thread; its stack lives as long as this handle.
pub struct Local {
    pub tid: ThreadId,
    pub slot: u32,
    _stack: Box<[u8]>,
}

impl Local {
    /// Delete the thread (if it still runs) and free its slot.
    pub fn kill(self) {
        let _ = sys::thread_delete(self.tid);
        release_slot(self.slot);
    }
}

extern "C" fn entry(f: usize, arg: usize, slot: u32) -> ! {
    thread_init(Utcb::at_slot(slot).my_id(), slot);
    // SAFETY: `spawn` put the address of a `fn(usize)` of this image there.
    let f: fn(usize) = unsafe { core::mem::transmute(f) };
    f(arg);
    // park instead of deleting ourselves: the creator kills the thread and
    // reuses the slot and stack
    loop {
        l4::ipc::sleep(l4::Timeout::NEVER);
    }
}

/// Start `f(arg)` in a new thread of this space at priority `prio`.
pub fn spawn(f: fn(usize), arg: usize, prio: u8) -> Result<Local, Error> {
    let me = Utcb::current().my_id();
    let slot = take_slot().ok_or(Error::NoMemory)?;
    let tid = match sys::thread_create(me, ThreadId::NIL, me, slot, prio) {
        Ok(t) => t,
        Err(e) => {
            release_slot(slot);
            return Err(e);
        }
    };
    let mut stack = alloc::vec![0u8; STACK].into_boxed_slice();
    let top = stack.as_mut_ptr() as usize + STACK;
    // a cdecl call frame: return address, then the three arguments
    let frame = [0u32, f as *const () as u32, arg as u32, slot];
    let sp = top - 16 - 16;
    // SAFETY: the frame is written inside the new stack, which nothing else uses.
    unsafe { core::ptr::copy_nonoverlapping(frame.as_ptr(), sp as *mut u32, 4) };
    sys::start(tid, entry as *const () as u32, sp as u32)?;
    Ok(Local { tid, slot, _stack: stack })
}
