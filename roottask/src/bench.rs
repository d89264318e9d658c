//! IPC micro-benchmark (kernel command line `bench-ipc`): short-message
//! ping-pong between two threads of one space and between two spaces,
//! timed with the time-stamp counter. Under QEMU's `-icount shift=0` the
//! counter advances once per guest instruction, so the figures are exact
//! instruction counts from user stub to user stub.

use crate::threads;
use l4::ipc::{self, thread_init, Msg, Utcb};
use l4::{println, sys, MsgTag, ThreadId, Timeout};

const WARMUP: u32 = 200;
/// Round trips measured (`rounds=N` on the command line changes it).
fn rounds() -> u32 {
    l4::kip::kip().cmdline().split(' ').find_map(|w| w.strip_prefix("rounds=")?.parse().ok()).unwrap_or(20_000)
}

/// Answer every message with the same two words, forever.
fn pong(_: usize) {
    let mut m = Msg::default();
    let mut from = ipc::wait(&mut m).unwrap_or(ThreadId::NIL);
    loop {
        from = match ipc::reply_wait(from, &mut m) {
            Ok(f) => f,
            Err(_) => ipc::wait(&mut m).unwrap_or(ThreadId::NIL),
        };
    }
}

/// Round trips to `to`: cycles per round trip.
fn measure(to: ThreadId) -> u64 {
    let mut m = Msg { mr: [MsgTag::new(1, 2, 0).0, 1, 2, 0] };
    for _ in 0..WARMUP {
        let _ = ipc::call(to, &mut m);
    }
    let n = rounds();
    let t0 = sys::rdtsc();
    for _ in 0..n {
        m.mr[0] = MsgTag::new(1, 2, 0).0;
        let _ = ipc::call(to, &mut m);
    }
    (sys::rdtsc() - t0) / n as u64
}

/// Empty loop of the same shape, to subtract.
fn measure_loop() -> u64 {
    let mut m = Msg { mr: [MsgTag::new(1, 2, 0).0, 1, 2, 0] };
    let n = rounds();
    let t0 = sys::rdtsc();
    for _ in 0..n {
        m.mr[0] = MsgTag::new(1, 2, 0).0;
        core::hint::black_box(&mut m);
    }
    (sys::rdtsc() - t0) / n as u64
}

extern "C" fn child_entry() -> ! {
    thread_init(Utcb::at_slot(0).my_id(), 0);
    pong(0);
    loop {
        ipc::sleep(Timeout::NEVER);
    }
}

pub fn run() {
    let me = Utcb::current().my_id();
    let _ = sys::schedule(me, 200, 0);
    let local = threads::spawn(pong, 0, 200).expect("pong thread");
    let overhead = measure_loop();
    let intra = measure(local.tid) - overhead;
    println!("BENCH ipc intra-space round_trip={} one_way={}", intra, intra / 2);
    // a second space running the same loop; its pager maps our pages
    let pager = crate::ktest::pager();
    let child = sys::thread_create(ThreadId::NIL, pager, me, 0, 200).expect("child");
    sys::start(child, child_entry as *const () as u32, crate::ktest::CHILD_STACK_TOP - 16).expect("start");
    let inter = measure(child) - overhead;
    println!("BENCH ipc inter-space round_trip={} one_way={}", inter, inter / 2);
    let _ = sys::space_delete(child);
    local.kill();
}
