//! The runtime of an L4 task: `_start` for the first thread (UTCB slot 0,
//! stack set up by whoever started it), the global heap, console printing
//! through the kernel debug call, and the panic handler.
//!
//! A program provides `#[no_mangle] fn l4_main()` through [`crate::main!`].

use crate::ipc::{thread_init, Utcb};
use crate::sys;
use core::fmt::Write;
use linked_list_allocator::LockedHeap;

#[cfg(target_os = "none")]
core::arch::global_asm!(
    r#"
    .section .text._start, "ax"
    .global _start
_start:
    xor %ebp, %ebp
    and $-16, %esp
    call l4_rt_start
1:  jmp 1b
"#,
    options(att_syntax)
);

/// Declare the program's main function: `l4::main!(main);`
#[macro_export]
macro_rules! main {
    ($f:path) => {
        #[no_mangle]
        pub extern "Rust" fn l4_main() {
            $f()
        }
    };
}

#[cfg(target_os = "none")]
extern "Rust" {
    fn l4_main();
}

/// First Rust code of the first thread.
#[cfg(target_os = "none")]
#[no_mangle]
extern "C" fn l4_rt_start() -> ! {
    let u = Utcb::at_slot(0);
    thread_init(u.my_id(), 0);
    // SAFETY: provided by the program through `main!`.
    unsafe { l4_main() };
    exit_thread()
}

/// End the calling thread (deleting it; the space goes with its last thread).
pub fn exit_thread() -> ! {
    let me = Utcb::current().my_id();
    let _ = sys::thread_delete(me);
    // only reached if the thread may not delete itself
    loop {
        crate::ipc::sleep(crate::Timeout::NEVER);
    }
}

#[cfg_attr(target_os = "none", global_allocator)]
static HEAP: LockedHeap = LockedHeap::empty();

/// Give the heap its memory (once, before the first allocation).
pub fn init_heap(mem: &'static mut [u8]) {
    // SAFETY: `mem` is exclusively the heap's from now on.
    unsafe { HEAP.lock().init(mem.as_mut_ptr(), mem.len()) };
}

/// Extend the heap with more memory.
pub fn extend_heap(by: usize) {
    // SAFETY: the caller has mapped `by` more bytes right after the heap.
    unsafe { HEAP.lock().extend(by) };
}

/// Bytes of heap in use and free.
pub fn heap_usage() -> (usize, usize) {
    let h = HEAP.lock();
    (h.used(), h.free())
}

/// Console output through the kernel debugger, a line at a time.
pub struct Console {
    buf: [u8; 248],
    n: usize,
}

impl Console {
    pub const fn new() -> Console {
        Console { buf: [0; 248], n: 0 }
    }
    pub fn flush(&mut self) {
        if self.n == 0 {
            return;
        }
        let u = Utcb::current();
        // the write call reads the bytes from the message registers
        let saved: [u32; 62] = core::array::from_fn(|i| u.mr(i));
        for (i, chunk) in self.buf[..self.n].chunks(4).enumerate() {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            u.set_mr(i, u32::from_le_bytes(w));
        }
        sys::kdebug_write_utcb(self.n as u32);
        for (i, w) in saved.iter().enumerate() {
            u.set_mr(i, *w);
        }
        self.n = 0;
    }
}

impl Default for Console {
    fn default() -> Self {
        Console::new()
    }
}

impl Write for Console {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if self.n == self.buf.len() {
                self.flush();
            }
            self.buf[self.n] = b;
            self.n += 1;
            if b == b'\n' {
                self.flush();
            }
        }
        Ok(())
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.flush();
    }
}

#[macro_export]
macro_rules! print {
    ($($a:tt)*) => {{
        use core::fmt::Write as _;
        let mut c = $crate::rt::Console::new();
        let _ = write!(c, $($a)*);
    }};
}

#[macro_export]
macro_rules! println {
    ($($a:tt)*) => {{
        use core::fmt::Write as _;
        let mut c = $crate::rt::Console::new();
        let _ = writeln!(c, $($a)*);
    }};
}

/// An I/O port this program may write to stop the machine (QEMU's
/// isa-debug-exit device), for a panic when the kernel does not let it stop
/// the machine; 0: none.
static EXIT_PORT: core::sync::atomic::AtomicU16 = core::sync::atomic::AtomicU16::new(0);

/// Let a panic stop the machine through `port` (the program must have
/// access to it).
pub fn set_exit_port(port: u16) {
    EXIT_PORT.store(port, core::sync::atomic::Ordering::Relaxed);
}

#[cfg(target_os = "none")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let mut c = Console::new();
    let _ = writeln!(c, "PANIC in {:?}: {}", Utcb::current().my_id(), info);
    drop(c);
    // stop the machine if allowed, otherwise this thread
    sys::kdebug_exit(127);
    let port = EXIT_PORT.load(core::sync::atomic::Ordering::Relaxed);
    if port != 0 {
        // SAFETY: the program declared that it owns this port (set_exit_port).
        unsafe { core::arch::asm!("out dx, eax", in("dx") port, in("eax") 127u32, options(nomem, nostack)) };
    }
    exit_thread()
}
