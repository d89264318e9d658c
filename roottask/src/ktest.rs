//! The in-QEMU kernel test suite (kernel command line `ktest`). Every test
//! drives the real kernel through its system calls and prints
//! `TEST <name> ok` or `TEST <name> FAILED: <why>`; the last line is
//! `KTEST DONE passed=N failed=M`. xtask turns these into test results.
//!
//! Inter-space tests run roottask code in fresh spaces: a pager thread
//! ([`TestPager`]) maps the roottask's text read-only into the child, gives
//! it private copies of data pages and fresh stack pages, and records any
//! other fault so tests can check that a fault happened.

use crate::mem::Pages;
use crate::threads::{self, Local};
use alloc::format;
use alloc::string::String;
use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use l4::ipc::{self, thread_init, Msg, Utcb};
use l4::{println, sys, Error, Fpage, MapItem, MsgTag, ThreadId, Timeout};
use l4_abi::layout::sel;
use l4_abi::msg::{exc, label, rights, MAX_MR};
use l4_abi::syscall::{exreg, tc, tls, ThreadState};

type TestResult = Result<(), String>;

macro_rules! check {
    ($c:expr, $($a:tt)*) => {
        if !$c {
            return Err(format!($($a)*));
        }
    };
}

fn me() -> ThreadId {
    Utcb::current().my_id()
}

fn ms(n: u64) -> Timeout {
    Timeout::from_micros(n * 1000)
}

fn sleep_ms(n: u64) {
    ipc::sleep(ms(n));
}

fn now_ms() -> u64 {
    l4::kip::now_us() / 1000
}

const TESTS: &[(&str, fn() -> TestResult)] = &[
    ("kip", kip),
    ("ipc-short-intra", ipc_short_intra),
    ("ipc-short-inter", ipc_short_inter),
    ("ipc-long-intra", ipc_long_intra),
    ("ipc-long-inter", ipc_long_inter),
    ("ipc-send-then-receive", ipc_send_then_receive),
    ("ipc-reply-wait", ipc_reply_wait),
    ("ipc-open-vs-closed-wait", ipc_open_vs_closed),
    ("ipc-blocked-sender-fifo", ipc_sender_fifo),
    ("timeout-send-zero", timeout_send_zero),
    ("timeout-recv-zero", timeout_recv_zero),
    ("timeout-relative", timeout_relative),
    ("timeout-never", timeout_never),
    ("exregs-abort-receive", exregs_abort_recv),
    ("exregs-abort-send", exregs_abort_send),
    ("exregs-read-and-set", exregs_read_set),
    ("map", map_page),
    ("grant", grant_page),
    ("map-chain-revoked-at-root", map_chain),
    ("unmap-write-right-only", write_revoke),
    ("page-fault-pager-retry", pagefault_retry),
    ("exceptions-int80-gp-ud-de", exceptions),
    ("exception-raised-by-exregs", raised_exception),
    ("irq-as-ipc", irq_ipc),
    ("io-ports-per-space", io_ports),
    ("priority-preemption", priority_preemption),
    ("round-robin", round_robin),
    ("thread-switch-donate", thread_switch),
    ("tls-descriptor", tls_descriptor),
    ("fpu-state-per-thread", fpu_isolation),
    ("sigma0-one-owner-per-frame", sigma0_ownership),
    ("invalid-arguments", invalid_arguments),
    ("unprivileged-calls-refused", unprivileged),
    ("create-delete-10000", create_delete_cycles),
    ("kernel-memory-exhaustion", exhaustion),
    ("no-pager-halts-thread", no_pager),
];

/// Run the suite; returns the number of failures.
pub fn run() -> usize {
    println!("ktest: {} kernel tests", TESTS.len());
    let mut failed = 0;
    for (name, f) in TESTS {
        match f() {
            Ok(()) => println!("TEST {} ok", name),
            Err(why) => {
                failed += 1;
                println!("TEST {} FAILED: {}", name, why);
            }
        }
    }
    println!("KTEST DONE passed={} failed={}", TESTS.len() - failed, failed);
    failed
}

// ----- helpers: local servers, child spaces, the test pager -------------

/// Echo server: replies to every message with each untyped word + 1 and
/// the label + 1, forever.
fn echo_server(_: usize) {
    let mut m = Msg::default();
    let mut from = ipc::wait(&mut m).unwrap_or(ThreadId::NIL);
    loop {
        let u = m.tag().untyped() as usize;
        let label = m.label().wrapping_add(1);
        let uc = Utcb::current();
        for i in 1..=u {
            let v = m.word(i).wrapping_add(1);
            if i < 4 {
                m.mr[i] = v;
            } else {
                uc.set_mr(i, v);
            }
        }
        m.mr[0] = MsgTag::new(label, u as u32, 0).0;
        from = match ipc::reply_wait(from, &mut m) {
            Ok(f) => f,
            Err(_) => ipc::wait(&mut m).unwrap_or(ThreadId::NIL),
        };
    }
}

/// A message of `n` untyped words 1000, 1001, ...
fn words_msg(label: u16, n: usize) -> Msg {
    let mut m = Msg::default();
    m.mr[0] = MsgTag::new(label, n as u32, 0).0;
    let u = Utcb::current();
    for i in 1..=n {
        if i < 4 {
            m.mr[i] = 1000 + i as u32;
        } else {
            u.set_mr(i, 1000 + i as u32);
        }
    }
    m
}

fn check_echo(m: &Msg, label: u16, n: usize) -> TestResult {
    check!(m.label() == label + 1, "label {:#x}, expected {:#x}", m.label(), label + 1);
    check!(m.tag().untyped() as usize == n, "{} words back, expected {}", m.tag().untyped(), n);
    for i in 1..=n {
        let v = m.word(i);
        check!(v == 1001 + i as u32, "word {} is {}, expected {}", i, v, 1001 + i);
    }
    Ok(())
}

pub const CHILD_STACK_TOP: u32 = 0x7000_0000;
const CHILD_STACK_PAGES: u32 = 16;

extern "C" {
    static __image_start: u8;
    static __data_start: u8;
    static _end: u8;
}

fn image_bounds() -> (u32, u32, u32) {
    (
        core::ptr::addr_of!(__image_start) as u32,
        core::ptr::addr_of!(__data_start) as u32,
        core::ptr::addr_of!(_end) as u32,
    )
}

/// Faults the test pager did not resolve: address | access bits, and count.
static UNRESOLVED_FAULT: AtomicU32 = AtomicU32::new(0);
static UNRESOLVED_FROM: AtomicU32 = AtomicU32::new(0);
static UNRESOLVED_COUNT: AtomicU32 = AtomicU32::new(0);
/// Magic value the pager writes into pages it creates for `PF_MAGIC_AREA`.
const PF_MAGIC_AREA: u32 = 0x5000_0000;
const PF_MAGIC: u32 = 0x600D_F00D;
/// Message to the test pager: have MR1 pages ready without asking sigma0.
const PAGER_RESERVE: u16 = 0x77;

fn reset_faults() {
    UNRESOLVED_FAULT.store(0, SeqCst);
    UNRESOLVED_FROM.store(0, SeqCst);
    UNRESOLVED_COUNT.store(0, SeqCst);
}

/// The pager of child spaces.
fn test_pager(_: usize) {
    let mut pages = Pages::new();
    let (img, data, end) = image_bounds();
    let mut m = Msg::default();
    let mut from = ipc::wait(&mut m).unwrap_or(ThreadId::NIL);
    loop {
        let mut reply = None;
        if m.label() == PAGER_RESERVE {
            reply = Some(Msg::new(0, &[pages.reserve(m.mr[1] as usize) as u32]));
        } else if m.label() & label::PAGE_FAULT_MASK == label::PAGE_FAULT {
            let addr = m.mr[1];
            let page = addr & !0xFFF;
            let write = m.label() & rights::W as u16 != 0;
            let src = if page >= img && page < data {
                Some((page, rights::RX))
            } else if page >= data && page < end {
                // a private copy of a data page
                pages.alloc().map(|p| {
                    // SAFETY: both pages are mapped in the roottask.
                    unsafe { core::ptr::copy_nonoverlapping(page as *const u8, p as *mut u8, 4096) };
                    (p, rights::RWX)
                })
            } else if page >= CHILD_STACK_TOP - CHILD_STACK_PAGES * 4096 && page < CHILD_STACK_TOP {
                pages.alloc().map(|p| (p, rights::RWX))
            } else if page >= PF_MAGIC_AREA && page < PF_MAGIC_AREA + 0x10_0000 {
                pages.alloc().map(|p| {
                    // SAFETY: fresh page mapped in the roottask.
                    unsafe { (p as *mut u32).write(PF_MAGIC ^ page) };
                    (p, rights::RWX)
                })
            } else {
                None
            };
            match src {
                Some((p, r)) => reply = Some(Msg::map(0, MapItem::map(page, Fpage::new(p, 12, r)))),
                None => {
                    UNRESOLVED_FAULT.store(addr | if write { 2 } else { 0 }, SeqCst);
                    UNRESOLVED_FROM.store(from.0, SeqCst);
                    UNRESOLVED_COUNT.fetch_add(1, SeqCst);
                }
            }
        }
        from = match reply {
            Some(mut r) => {
                let res = ipc::reply_wait(from, &mut r);
                m = r;
                res
            }
            None => ipc::wait(&mut m),
        }
        .unwrap_or_else(|_| ipc::wait(&mut m).unwrap_or(ThreadId::NIL));
    }
}

static PAGER: AtomicU32 = AtomicU32::new(0);

pub fn pager() -> ThreadId {
    let p = PAGER.load(SeqCst);
    if p != 0 {
        return ThreadId(p);
    }
    let t = threads::spawn(test_pager, 0, 250).expect("test pager");
    PAGER.store(t.tid.0, SeqCst);
    let tid = t.tid;
    core::mem::forget(t);
    tid
}

/// Entry of a child space's first thread: set up the UTCB access, then get
/// the function to run (MR1) and its argument (MR2) from the creator.
extern "C" fn child_entry() -> ! {
    let u = Utcb::at_slot(0);
    thread_init(u.my_id(), 0);
    let mut m = Msg::default();
    let _ = ipc::wait(&mut m);
    // SAFETY: the creator sends the address of a `fn(usize)` of this image.
    let f: fn(usize) = unsafe { core::mem::transmute(m.mr[1] as usize) };
    f(m.mr[2] as usize);
    loop {
        ipc::sleep(Timeout::NEVER);
    }
}

/// A new space running `f(arg)`; its first message comes from the caller.
struct Child {
    tid: ThreadId,
}

impl Child {
    fn start(f: fn(usize), arg: usize) -> Result<Child, String> {
        let tid = sys::thread_create(ThreadId::NIL, pager(), me(), 0, 200).map_err(|e| format!("create: {e:?}"))?;
        sys::start(tid, child_entry as *const () as u32, CHILD_STACK_TOP - 16).map_err(|e| format!("start: {e:?}"))?;
        let mut m = Msg { mr: [MsgTag::new(0, 2, 0).0, f as usize as u32, arg as u32, 0] };
        ipc::send(tid, &mut m, ms(2000)).map_err(|e| format!("send to child: {e:?}"))?;
        Ok(Child { tid })
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = sys::space_delete(self.tid);
    }
}

/// A page of the roottask (from sigma0) holding `value` at offset 0.
fn magic_page(pages: &mut Pages, value: u32) -> u32 {
    let p = pages.alloc().expect("page");
    // SAFETY: a fresh page mapped read-write in the roottask.
    unsafe { (p as *mut u32).write(value) };
    p
}

// ----- the tests ---------------------------------------------------------

fn kip() -> TestResult {
    let k = l4::kip::kip();
    check!(k.valid(), "bad KIP magic");
    check!(k.word(l4_abi::kip::OFF_VERSION) == l4_abi::kip::VERSION, "KIP version");
    check!(ThreadId(k.word(l4_abi::kip::OFF_ROOTTASK)) == me(), "KIP roottask id is not mine");
    check!(k.mems().count() > 3, "too few memory descriptors");
    check!(k.modules().count() >= 2, "modules missing");
    let t0 = k.ticks();
    sleep_ms(5);
    check!(k.ticks() > t0, "KIP clock does not advance");
    Ok(())
}

fn ipc_short_intra() -> TestResult {
    let s = threads::spawn(echo_server, 0, 200).map_err(|e| format!("{e:?}"))?;
    let r = (|| {
        for round in 0..100u16 {
            let mut m = words_msg(round, 3);
            ipc::call(s.tid, &mut m).map_err(|e| format!("call: {e:?}"))?;
            check_echo(&m, round, 3)?;
        }
        Ok(())
    })();
    s.kill();
    r
}

fn ipc_short_inter() -> TestResult {
    let c = Child::start(echo_server, 0)?;
    for round in 0..100u16 {
        let mut m = words_msg(round, 3);
        ipc::call(c.tid, &mut m).map_err(|e| format!("call: {e:?}"))?;
        check_echo(&m, round, 3)?;
    }
    Ok(())
}

fn ipc_long_intra() -> TestResult {
    let s = threads::spawn(echo_server, 0, 200).map_err(|e| format!("{e:?}"))?;
    let r = (|| {
        for n in [4usize, 17, MAX_MR] {
            let mut m = words_msg(7, n);
            ipc::call(s.tid, &mut m).map_err(|e| format!("call: {e:?}"))?;
            check_echo(&m, 7, n)?;
        }
        Ok(())
    })();
    s.kill();
    r
}

fn ipc_long_inter() -> TestResult {
    let c = Child::start(echo_server, 0)?;
    for n in [4usize, 33, MAX_MR] {
        let mut m = words_msg(9, n);
        ipc::call(c.tid, &mut m).map_err(|e| format!("call: {e:?}"))?;
        check_echo(&m, 9, n)?;
    }
    // more words than message registers are refused before anything is sent
    let mut m = Msg { mr: [MsgTag::new(1, MAX_MR as u32, 2).0, 0, 0, 0] };
    check!(ipc::call(c.tid, &mut m) == Err(Error::MsgOverflow), "65 words accepted");
    Ok(())
}

static RECEIVED: AtomicU32 = AtomicU32::new(0);

fn receiver_once(_: usize) {
    let mut m = Msg::default();
    if ipc::wait(&mut m).is_ok() {
        RECEIVED.store(m.mr[1], SeqCst);
    }
}

fn ipc_send_then_receive() -> TestResult {
    RECEIVED.store(0, SeqCst);
    let r = threads::spawn(receiver_once, 0, 200).map_err(|e| format!("{e:?}"))?;
    let mut m = Msg::new(0, &[4242]);
    let res = ipc::send(r.tid, &mut m, Timeout::NEVER);
    sleep_ms(2);
    let got = RECEIVED.load(SeqCst);
    r.kill();
    check!(res.is_ok(), "send: {:?}", res);
    check!(got == 4242, "receiver got {}", got);
    // a receive-only phase gets a message from a sender that blocked first
    let s = threads::spawn(
        |to| {
            let mut m = Msg::new(5, &[77, 78]);
            let _ = ipc::send(ThreadId(to as u32), &mut m, Timeout::NEVER);
        },
        me().0 as usize,
        200,
    )
    .map_err(|e| format!("{e:?}"))?;
    let mut m = Msg::default();
    let sid = s.tid;
    let from = ipc::receive(sid, ms(1000), &mut m);
    s.kill();
    check!(from == Ok(sid), "receive: {:?}", from);
    check!(m.label() == 5 && m.mr[1] == 77 && m.mr[2] == 78, "got {:?}", m);
    Ok(())
}

fn ipc_reply_wait() -> TestResult {
    // three clients of one server that answers with reply-and-wait
    let srv = threads::spawn(echo_server, 0, 200).map_err(|e| format!("{e:?}"))?;
    static DONE: AtomicU32 = AtomicU32::new(0);
    DONE.store(0, SeqCst);
    let client = |srv: usize| {
        for i in 0..50u16 {
            let mut m = words_msg(i, 2);
            if ipc::call(ThreadId(srv as u32), &mut m).is_err() || check_echo(&m, i, 2).is_err() {
                return;
            }
        }
        DONE.fetch_add(1, SeqCst);
    };
    let cs: alloc::vec::Vec<Local> =
        (0..3).map(|_| threads::spawn(client, srv.tid.0 as usize, 200).expect("client")).collect();
    let t0 = now_ms();
    while DONE.load(SeqCst) < 3 && now_ms() - t0 < 2000 {
        sleep_ms(1);
    }
    let done = DONE.load(SeqCst);
    for c in cs {
        c.kill();
    }
    srv.kill();
    check!(done == 3, "{} of 3 clients completed", done);
    Ok(())
}

fn ipc_open_vs_closed() -> TestResult {
    // W waits for A only; B's send (timeout zero) must fail, A's succeed,
    // then W's open wait gets B's blocked message
    static STEP: AtomicU32 = AtomicU32::new(0);
    static A: AtomicU32 = AtomicU32::new(0);
    STEP.store(0, SeqCst);
    let w = threads::spawn(
        |_| {
            let mut m = Msg::default();
            let a = ThreadId(A.load(SeqCst));
            let r = ipc::receive(a, Timeout::NEVER, &mut m);
            STEP.store(if r == Ok(a) && m.mr[1] == 1 { 1 } else { 100 }, SeqCst);
            let r = ipc::receive(ThreadId::ANY, ms(1000), &mut m);
            STEP.store(if r.is_ok() && m.mr[1] == 2 { 2 } else { 200 }, SeqCst);
        },
        0,
        200,
    )
    .map_err(|e| format!("{e:?}"))?;
    // A is this thread; B a helper that sends with timeout zero first
    A.store(me().0, SeqCst);
    // give W time to block in its closed wait (it started after A was set? set before spawning)
    sleep_ms(2);
    static B_RESULT: AtomicU32 = AtomicU32::new(0);
    let b = threads::spawn(
        |w| {
            let mut m = Msg::new(0, &[2]);
            let r = ipc::send(ThreadId(w as u32), &mut m, Timeout::ZERO);
            B_RESULT.store(Error::code(r), SeqCst);
            let mut m = Msg::new(0, &[2]);
            let _ = ipc::send(ThreadId(w as u32), &mut m, Timeout::NEVER);
        },
        w.tid.0 as usize,
        200,
    )
    .map_err(|e| format!("{e:?}"))?;
    sleep_ms(2);
    let b_first = B_RESULT.load(SeqCst);
    let mut m = Msg::new(0, &[1]);
    let a_res = ipc::send(w.tid, &mut m, ms(500));
    sleep_ms(5);
    let step = STEP.load(SeqCst);
    b.kill();
    w.kill();
    check!(b_first == Error::SendTimeout as u32, "B's zero-timeout send to a closed wait: code {}", b_first);
    check!(a_res.is_ok(), "A's send: {:?}", a_res);
    check!(step == 2, "receiver step {} (1 = closed wait ok, 2 = open wait ok)", step);
    Ok(())
}

fn ipc_sender_fifo() -> TestResult {
    // three senders block on this thread; an open wait takes them in order
    let mut ts = alloc::vec::Vec::new();
    static ORDER: [AtomicU32; 3] = [AtomicU32::new(0), AtomicU32::new(0), AtomicU32::new(0)];
    fn sender(i: usize) {
        let to = ThreadId(ORDER[0].load(SeqCst));
        let mut m = Msg::new(0, &[i as u32 + 10]);
        let _ = ipc::send(to, &mut m, Timeout::NEVER);
    }
    ORDER[0].store(me().0, SeqCst);
    for i in 0..3 {
        ts.push(threads::spawn(sender, i, 200).map_err(|e| format!("{e:?}"))?);
        sleep_ms(2); // let it block before the next one queues
    }
    let mut got = [0u32; 3];
    for g in got.iter_mut() {
        let mut m = Msg::default();
        ipc::receive(ThreadId::ANY, ms(500), &mut m).map_err(|e| format!("receive: {e:?}"))?;
        *g = m.mr[1];
    }
    for t in ts {
        t.kill();
    }
    check!(got == [10, 11, 12], "senders served in order {:?}", got);
    Ok(())
}

fn timeout_send_zero() -> TestResult {
    let s = threads::spawn(|_| sleep_ms(1000), 0, 200).map_err(|e| format!("{e:?}"))?;
    let mut m = Msg::new(0, &[1]);
    let r = ipc::send(s.tid, &mut m, Timeout::ZERO);
    s.kill();
    check!(r == Err(Error::SendTimeout), "send to a thread not receiving: {:?}", r);
    Ok(())
}

fn timeout_recv_zero() -> TestResult {
    let mut m = Msg::default();
    let r = ipc::receive(ThreadId::ANY, Timeout::ZERO, &mut m);
    check!(r == Err(Error::RecvTimeout), "receive with nothing pending: {:?}", r);
    Ok(())
}

fn timeout_relative() -> TestResult {
    for want in [3u64, 20, 50] {
        let t0 = now_ms();
        let mut m = Msg::default();
        let r = ipc::receive(ThreadId::ANY, ms(want), &mut m);
        let took = now_ms() - t0;
        check!(r == Err(Error::RecvTimeout), "{} ms receive: {:?}", want, r);
        check!(took >= want && took <= want + 20, "{} ms timeout took {} ms", want, took);
    }
    // a send timeout on a partner that never receives
    let s = threads::spawn(|_| sleep_ms(1000), 0, 200).map_err(|e| format!("{e:?}"))?;
    let t0 = now_ms();
    let mut m = Msg::new(0, &[1]);
    let r = ipc::send(s.tid, &mut m, ms(10));
    let took = now_ms() - t0;
    s.kill();
    check!(r == Err(Error::SendTimeout), "10 ms send: {:?}", r);
    check!((10..=30).contains(&took), "10 ms send timeout took {} ms", took);
    Ok(())
}

fn timeout_never() -> TestResult {
    // a never-timeout receive waits as long as it takes (here 50 ms)
    let t = threads::spawn(
        |to| {
            sleep_ms(50);
            let mut m = Msg::new(0, &[99]);
            let _ = ipc::send(ThreadId(to as u32), &mut m, Timeout::NEVER);
        },
        me().0 as usize,
        200,
    )
    .map_err(|e| format!("{e:?}"))?;
    let t0 = now_ms();
    let mut m = Msg::default();
    let tid = t.tid;
    let r = ipc::receive(tid, Timeout::NEVER, &mut m);
    let took = now_ms() - t0;
    t.kill();
    check!(r == Ok(tid) && m.mr[1] == 99, "receive: {:?} {:?}", r, m);
    check!(took >= 50, "returned after {} ms", took);
    Ok(())
}

static ABORT_RESULT: AtomicU32 = AtomicU32::new(0);

fn exregs_abort_recv() -> TestResult {
    ABORT_RESULT.store(0, SeqCst);
    let t = threads::spawn(
        |_| {
            let mut m = Msg::default();
            let r = ipc::receive(ThreadId::ANY, Timeout::NEVER, &mut m);
            ABORT_RESULT.store(Error::code(r.map(|_| ())) | 0x100, SeqCst);
        },
        0,
        200,
    )
    .map_err(|e| format!("{e:?}"))?;
    sleep_ms(2);
    let st = sys::exchange_registers(t.tid, exreg::ABORT_RECV, 0, 0, 0);
    sleep_ms(2);
    let got = ABORT_RESULT.load(SeqCst);
    t.kill();
    let st = st.map_err(|e| format!("exregs: {e:?}"))?;
    check!(st.state == ThreadState::RecvBlocked, "state before abort {:?}", st.state);
    check!(got == 0x100 | Error::RecvCanceled as u32, "receiver saw code {:#x}", got);
    Ok(())
}

fn exregs_abort_send() -> TestResult {
    ABORT_RESULT.store(0, SeqCst);
    let blocker = threads::spawn(|_| sleep_ms(1000), 0, 200).map_err(|e| format!("{e:?}"))?;
    let t = threads::spawn(
        |to| {
            let mut m = Msg::new(0, &[1]);
            let r = ipc::send(ThreadId(to as u32), &mut m, Timeout::NEVER);
            ABORT_RESULT.store(Error::code(r) | 0x100, SeqCst);
        },
        blocker.tid.0 as usize,
        200,
    )
    .map_err(|e| format!("{e:?}"))?;
    sleep_ms(2);
    let st = sys::exchange_registers(t.tid, exreg::ABORT, 0, 0, 0);
    sleep_ms(2);
    let got = ABORT_RESULT.load(SeqCst);
    t.kill();
    blocker.kill();
    let st = st.map_err(|e| format!("exregs: {e:?}"))?;
    check!(st.state == ThreadState::SendBlocked, "state before abort {:?}", st.state);
    check!(got == 0x100 | Error::SendCanceled as u32, "sender saw code {:#x}", got);
    Ok(())
}

static SPIN: AtomicU32 = AtomicU32::new(0);

fn spinner(_: usize) {
    loop {
        SPIN.fetch_add(1, SeqCst);
    }
}

fn redirected(_: usize) {
    SPIN.store(0xABCD, SeqCst);
    loop {
        sleep_ms(1000);
    }
}

fn exregs_read_set() -> TestResult {
    // halt a spinning thread, read its registers, redirect it, resume it
    SPIN.store(0, SeqCst);
    let t = threads::spawn(spinner, 0, 100).map_err(|e| format!("{e:?}"))?;
    sleep_ms(3);
    let r = (|| {
        let h = sys::exchange_registers(t.tid, exreg::HALT, 0, 0, 0).map_err(|e| format!("halt: {e:?}"))?;
        check!(h.state == ThreadState::Ready, "spinner state {:?}", h.state);
        let a = SPIN.load(SeqCst);
        sleep_ms(3);
        let st = sys::exchange_registers(t.tid, 0, 0, 0, 0).map_err(|e| format!("read: {e:?}"))?;
        check!(st.state == ThreadState::Halted, "state after halt {:?}", st.state);
        check!(SPIN.load(SeqCst) == a, "halted thread still runs");
        let (img, data, _) = image_bounds();
        check!(st.ip >= img && st.ip < data, "ip {:#x} outside the image", st.ip);
        check!(st.flags & 0x200 != 0, "IF clear in user flags {:#x}", st.flags);
        // restart it in `redirected`, keeping its stack (a fresh call frame)
        let sp = (st.sp - 64) & !15;
        sys::exchange_registers(t.tid, exreg::SET_IP | exreg::SET_SP | exreg::RESUME, sp, redirected as *const () as u32, 0)
            .map_err(|e| format!("redirect: {e:?}"))?;
        sleep_ms(3);
        check!(SPIN.load(SeqCst) == 0xABCD, "redirected thread did not run (counter {:#x})", SPIN.load(SeqCst));
        Ok(())
    })();
    t.kill();
    r
}

/// Child body for mapping tests: accept a page at `WIN`, take one message
/// (from anyone: the map), report the word found there to `creator`, then
/// serve probes.
fn map_receiver(creator: usize) {
    let u = Utcb::current();
    u.set_acceptor(Fpage::new(WIN, 12, rights::RWX));
    let mut m = Msg::default();
    if ipc::wait(&mut m).is_err() {
        return;
    }
    // SAFETY: the page arrived through the map item (or faults to the pager).
    let v = unsafe { (WIN as *const u32).read_volatile() };
    let mut r = Msg::new(0, &[v]);
    let _ = ipc::send(ThreadId(creator as u32), &mut r, Timeout::NEVER);
    map_receiver_loop();
}

const WIN: u32 = 0x6000_0000;

/// Ask a `map_receiver` child to read (and optionally write) `addr`;
/// `None` if it did not answer in time (it faulted).
fn probe(c: ThreadId, addr: u32, write: Option<u32>) -> Option<u32> {
    let mut m = Msg::new(0, &[addr, write.is_some() as u32, write.unwrap_or(0)]);
    ipc::send(c, &mut m, ms(200)).ok()?;
    let mut r = Msg::default();
    ipc::receive(c, ms(200), &mut r).ok()?;
    Some(r.mr[1])
}

fn map_page() -> TestResult {
    let mut pages = Pages::new();
    let p = magic_page(&mut pages, 0x1234_5678);
    let c = Child::start(map_receiver, me().0 as usize)?;
    let mut m = Msg::map(0, MapItem::map(0, Fpage::new(p, 12, rights::RW)));
    ipc::send(c.tid, &mut m, ms(1000)).map_err(|e| format!("map send: {e:?}"))?;
    let mut r = Msg::default();
    ipc::receive(c.tid, ms(1000), &mut r).map_err(|e| format!("reply: {e:?}"))?;
    check!(r.mr[1] == 0x1234_5678, "child read {:#x} through the mapping", r.mr[1]);
    // shared memory: the child's write is seen here
    check!(probe(c.tid, WIN, Some(0xCAFE)) == Some(0xCAFE), "child write");
    // SAFETY: our own page.
    check!(unsafe { (p as *const u32).read_volatile() } == 0xCAFE, "write not visible to the mapper");
    Ok(())
}

/// Child body: receive a page at WIN (from anyone), then a command from
/// `creator`: pass the page to the thread in MR1 as a map (MR2 = 0) or grant
/// (MR2 = 1); report the result to `creator`, then serve probes.
fn forwarder(creator: usize) {
    let creator = ThreadId(creator as u32);
    let u = Utcb::current();
    u.set_acceptor(Fpage::new(WIN, 12, rights::RWX));
    let mut m = Msg::default();
    if ipc::wait(&mut m).is_err() {
        return;
    }
    let mut cmd = Msg::default();
    if ipc::receive(creator, Timeout::NEVER, &mut cmd).is_err() {
        return;
    }
    let to = ThreadId(cmd.mr[1]);
    let item = if cmd.mr[2] == 1 {
        MapItem::grant(0, Fpage::new(WIN, 12, rights::RWX))
    } else {
        MapItem::map(0, Fpage::new(WIN, 12, rights::RWX))
    };
    let mut fwd = Msg::map(0, item);
    let r = ipc::send(to, &mut fwd, ms(1000));
    let mut done = Msg::new(0, &[Error::code(r)]);
    let _ = ipc::send(creator, &mut done, Timeout::NEVER);
    map_receiver_loop();
}

fn map_receiver_loop() {
    let mut m = Msg::default();
    loop {
        let Ok(from) = ipc::wait(&mut m) else { continue };
        let addr = m.mr[1];
        // SAFETY: test-directed access; faults go to the test pager.
        let v = unsafe {
            if m.mr[2] != 0 {
                (addr as *mut u32).write_volatile(m.mr[3]);
            }
            (addr as *const u32).read_volatile()
        };
        let mut r = Msg::new(0, &[v]);
        let _ = ipc::send(from, &mut r, Timeout::NEVER);
    }
}

/// Map page `p` to forwarder `a`, which passes it to `b` (map or grant).
fn forward(p: u32, a: &Child, b: ThreadId, grant: bool) -> TestResult {
    let mut m = Msg::map(0, MapItem::map(0, Fpage::new(p, 12, rights::RW)));
    ipc::send(a.tid, &mut m, ms(1000)).map_err(|e| format!("map to first: {e:?}"))?;
    let mut cmd = Msg::new(0, &[b.0, grant as u32]);
    ipc::send(a.tid, &mut cmd, ms(1000)).map_err(|e| format!("command: {e:?}"))?;
    let mut r = Msg::default();
    ipc::receive(a.tid, ms(1000), &mut r).map_err(|e| format!("forward result: {e:?}"))?;
    check!(r.mr[1] == 0, "forwarding failed with code {}", r.mr[1]);
    Ok(())
}

fn grant_page() -> TestResult {
    let mut pages = Pages::new();
    let p = magic_page(&mut pages, 0xAAAA_0001);
    let a = Child::start(forwarder, me().0 as usize)?;
    let b = Child::start(map_receiver, me().0 as usize)?;
    reset_faults();
    forward(p, &a, b.tid, true)?;
    let mut r = Msg::default();
    ipc::receive(b.tid, ms(1000), &mut r).map_err(|e| format!("receiver: {e:?}"))?;
    check!(r.mr[1] == 0xAAAA_0001, "grantee read {:#x}", r.mr[1]);
    // the granter lost the page: its access faults to the pager
    check!(probe(a.tid, WIN, None).is_none(), "granter can still read the page");
    check!(UNRESOLVED_FAULT.load(SeqCst) & !0xFFF == WIN, "no fault at the granted address");
    Ok(())
}

fn map_chain() -> TestResult {
    // roottask -> A -> B -> C, then unmap at the root: everyone loses it
    let mut pages = Pages::new();
    let p = magic_page(&mut pages, 0xC4A1_0000);
    let a = Child::start(forwarder, me().0 as usize)?;
    let b = Child::start(forwarder, me().0 as usize)?;
    let c = Child::start(map_receiver, me().0 as usize)?;
    forward(p, &a, b.tid, false)?;
    // b received it in its first wait; now tell b to pass it to c
    let mut cmd = Msg::new(0, &[c.tid.0, 0]);
    ipc::send(b.tid, &mut cmd, ms(1000)).map_err(|e| format!("cmd b: {e:?}"))?;
    let mut r = Msg::default();
    ipc::receive(b.tid, ms(1000), &mut r).map_err(|e| format!("b result: {e:?}"))?;
    check!(r.mr[1] == 0, "b forwarding failed: {}", r.mr[1]);
    ipc::receive(c.tid, ms(1000), &mut r).map_err(|e| format!("c: {e:?}"))?;
    check!(r.mr[1] == 0xC4A1_0000, "third level read {:#x}", r.mr[1]);
    for (who, t) in [("a", a.tid), ("b", b.tid), ("c", c.tid)] {
        check!(probe(t, WIN, None) == Some(0xC4A1_0000), "{} cannot read before the unmap", who);
    }
    sys::unmap(Fpage::new(p, 12, rights::RWX), 0).map_err(|e| format!("unmap: {e:?}"))?;
    for (who, t) in [("c", c.tid), ("b", b.tid), ("a", a.tid)] {
        reset_faults();
        check!(probe(t, WIN, None).is_none(), "{} still reads after the root unmapped", who);
        check!(UNRESOLVED_FAULT.load(SeqCst) & !0xFFF == WIN, "{} did not fault at the window", who);
        check!(UNRESOLVED_FROM.load(SeqCst) == t.0, "fault came from the wrong thread");
    }
    // SAFETY: our own page, untouched by the unmap (not flushed).
    check!(unsafe { (p as *const u32).read_volatile() } == 0xC4A1_0000, "the root lost its own page");
    Ok(())
}

fn write_revoke() -> TestResult {
    let mut pages = Pages::new();
    let p = magic_page(&mut pages, 7);
    let c = Child::start(map_receiver, me().0 as usize)?;
    let mut m = Msg::map(0, MapItem::map(0, Fpage::new(p, 12, rights::RW)));
    ipc::send(c.tid, &mut m, ms(1000)).map_err(|e| format!("map: {e:?}"))?;
    let mut r = Msg::default();
    ipc::receive(c.tid, ms(1000), &mut r).map_err(|e| format!("reply: {e:?}"))?;
    check!(probe(c.tid, WIN, Some(8)) == Some(8), "write before revocation");
    sys::unmap(Fpage::new(p, 12, rights::W), 0).map_err(|e| format!("unmap W: {e:?}"))?;
    check!(probe(c.tid, WIN, None) == Some(8), "read after write revocation");
    reset_faults();
    check!(probe(c.tid, WIN, Some(9)).is_none(), "write succeeded after write revocation");
    let f = UNRESOLVED_FAULT.load(SeqCst);
    check!(f & !0xFFF == WIN && f & 2 != 0, "expected a write fault at the window, got {:#x}", f);
    // SAFETY: our own page.
    check!(unsafe { (p as *const u32).read_volatile() } == 8, "the page changed");
    Ok(())
}

fn pf_reader(_: usize) {
    let mut m = Msg::default();
    let Ok(from) = ipc::wait(&mut m) else { return };
    let mut sum = 0u32;
    for i in 0..4u32 {
        let a = PF_MAGIC_AREA + i * 0x1000;
        // SAFETY: faults here are resolved by the test pager.
        sum ^= unsafe { (a as *const u32).read_volatile() } ^ PF_MAGIC ^ a;
    }
    let mut r = Msg::new(0, &[sum]);
    let _ = ipc::send(from, &mut r, Timeout::NEVER);
}

fn pagefault_retry() -> TestResult {
    let c = Child::start(pf_reader, 0)?;
    let mut m = Msg::new(0, &[]);
    ipc::send(c.tid, &mut m, ms(1000)).map_err(|e| format!("go: {e:?}"))?;
    let mut r = Msg::default();
    ipc::receive(c.tid, ms(1000), &mut r).map_err(|e| format!("result: {e:?}"))?;
    check!(r.mr[1] == 0, "pages the pager created read wrong ({:#x})", r.mr[1]);
    Ok(())
}

core::arch::global_asm!(
    r#"
    .section .text.foreign, "ax"
    .global ktest_foreign
ktest_foreign:
    movl $123, %eax
    int $0x80
    movl %eax, %ebx
    ud2
    movl %eax, %ecx
    hlt
    movl %eax, %edx
    xorl %eax, %eax
    xorl %esi, %esi
    divl %esi
    movl %eax, %esi
    int $0x30
    movl %eax, %edi
    movl $999, %eax
    int $0x80
1:  jmp 1b
"#,
    options(att_syntax)
);

extern "C" {
    fn ktest_foreign();
}

/// Receive one exception message from `t`; returns (vector, error, eax, eip).
fn get_exception(t: ThreadId) -> Result<(u32, u32, Msg), String> {
    let mut m = Msg::default();
    let from = ipc::receive(t, ms(1000), &mut m).map_err(|e| format!("no exception message: {e:?}"))?;
    check!(from == t, "message from {:?}", from);
    check!(m.label() == label::EXCEPTION, "label {:#x}", m.label());
    check!(m.tag().untyped() == exc::WORDS, "{} words", m.tag().untyped());
    Ok((m.word(exc::VECTOR), m.word(exc::ERROR), m))
}

/// Reply to an exception: set eax and advance eip by `skip`.
fn exc_reply(t: ThreadId, m: &Msg, eax: u32, skip: u32) -> TestResult {
    let u = Utcb::current();
    let eip = m.word(exc::EIP) + skip;
    let mut r = Msg::default();
    r.mr[0] = MsgTag::new(0, exc::EIP as u32, 0).0;
    r.mr[exc::EAX] = eax;
    r.mr[exc::EBX] = m.word(exc::EBX);
    r.mr[exc::ECX] = m.word(exc::ECX);
    for i in exc::EDX..exc::EIP {
        u.set_mr(i, m.word(i));
    }
    u.set_mr(exc::EIP, eip);
    ipc::send(t, &mut r, ms(1000)).map_err(|e| format!("reply: {e:?}"))
}

fn exceptions() -> TestResult {
    // a thread without a UTCB runs foreign code that raises exceptions
    let t = sys::thread_create(ThreadId::NIL, pager(), me(), tc::NO_UTCB, 200).map_err(|e| format!("create: {e:?}"))?;
    let r = (|| {
        sys::start(t, ktest_foreign as *const () as u32, 0).map_err(|e| format!("start: {e:?}"))?;
        let (v, _, m) = get_exception(t)?;
        check!(v == 0x80 && m.word(exc::EAX) == 123, "int 0x80: vector {:#x} eax {}", v, m.word(exc::EAX));
        let at = m.word(exc::EIP);
        check!(at == ktest_foreign as *const () as u32 + 7, "int 0x80 eip {:#x} is not after the instruction", at);
        exc_reply(t, &m, 456, 0)?;
        let (v, _, m) = get_exception(t)?;
        check!(v == 6, "ud2: vector {}", v);
        check!(m.word(exc::EBX) == 456, "the syscall reply's eax did not arrive ({})", m.word(exc::EBX));
        exc_reply(t, &m, 7, 2)?;
        let (v, e, m) = get_exception(t)?;
        check!(v == 13 && e == 0, "hlt: vector {} error {:#x}", v, e);
        exc_reply(t, &m, 9, 1)?;
        let (v, _, m) = get_exception(t)?;
        check!(v == 0, "div by zero: vector {}", v);
        exc_reply(t, &m, 11, 2)?;
        let (v, e, m) = get_exception(t)?;
        check!(v == 13 && e == (0x30 << 3 | 2), "kernel call without a UTCB: vector {} error {:#x}", v, e);
        exc_reply(t, &m, 13, 2)?;
        let (v, _, m) = get_exception(t)?;
        check!(v == 0x80 && m.word(exc::EAX) == 999, "final report: vector {:#x} eax {}", v, m.word(exc::EAX));
        let got = [m.word(exc::EBX), m.word(exc::ECX), m.word(exc::EDX), m.word(exc::ESI), m.word(exc::EDI)];
        check!(got == [456, 7, 9, 11, 13], "register values after the replies: {:?}", got);
        check!(m.word(exc::EFLAGS) & 0x200 != 0, "IF not set in the reported eflags");
        Ok(())
    })();
    let _ = sys::space_delete(t);
    r
}

fn raised_exception() -> TestResult {
    // exchange-registers RAISE interrupts a spinning thread with an
    // exception IPC carrying its registers
    SPIN.store(0, SeqCst);
    let t = threads::spawn(spinner, 0, 100).map_err(|e| format!("{e:?}"))?;
    sleep_ms(2);
    let r = (|| {
        sys::exchange_registers(t.tid, exreg::RAISE, 0, 0, 0).map_err(|e| format!("raise: {e:?}"))?;
        let (v, _, m) = get_exception(t.tid)?;
        check!(v == exc::RAISED, "vector {:#x}", v);
        let (img, data, _) = image_bounds();
        let eip = m.word(exc::EIP);
        check!(eip >= img && eip < data, "eip {:#x}", eip);
        // resume it where it was (reply without changes)
        let mut r = Msg::default();
        ipc::send(t.tid, &mut r, ms(100)).map_err(|e| format!("resume: {e:?}"))?;
        let a = SPIN.load(SeqCst);
        sleep_ms(3);
        check!(SPIN.load(SeqCst) != a, "thread did not continue after the raised exception");
        Ok(())
    })();
    t.kill();
    r
}

fn outb(port: u16, v: u8) {
    // SAFETY: the port was granted to this task with io_control.
    unsafe { core::arch::asm!("out dx, al", in("dx") port, in("al") v, options(nomem, nostack)) };
}
fn inb(port: u16) -> u8 {
    let v: u8;
    // SAFETY: as above.
    unsafe { core::arch::asm!("in al, dx", in("dx") port, out("al") v, options(nomem, nostack)) };
    v
}

fn rtc_write(reg: u8, v: u8) {
    outb(0x70, reg);
    outb(0x71, v);
}
fn rtc_read(reg: u8) -> u8 {
    outb(0x70, reg);
    inb(0x71)
}

static IRQS: AtomicU32 = AtomicU32::new(0);

fn irq_handler(_: usize) {
    let irq = ThreadId::irq(8);
    let mut m = Msg::default();
    loop {
        match ipc::receive(irq, ms(2000), &mut m) {
            Ok(from) if from == irq && m.label() == label::IRQ => {
                rtc_read(0x0C); // acknowledge at the device; the next receive acks the kernel
                IRQS.fetch_add(1, SeqCst);
            }
            _ => return,
        }
    }
}

fn irq_ipc() -> TestResult {
    // the RTC's periodic interrupt (IRQ 8) delivered as IPC
    sys::io_control(me(), 0x70, 2, true).map_err(|e| format!("io_control: {e:?}"))?;
    IRQS.store(0, SeqCst);
    let h = threads::spawn(irq_handler, 0, 220).map_err(|e| format!("{e:?}"))?;
    let r = (|| {
        sys::irq_control(8, h.tid).map_err(|e| format!("attach: {e:?}"))?;
        check!(sys::irq_control(8, me()) == Err(Error::Busy), "second handler accepted");
        rtc_write(0x8A, (rtc_read(0x8A) & 0xF0) | 0x06); // 1024 Hz
        rtc_write(0x8B, rtc_read(0x8B) | 0x40); // periodic interrupt on
        rtc_read(0x0C);
        let t0 = now_ms();
        while IRQS.load(SeqCst) < 20 && now_ms() - t0 < 1000 {
            sleep_ms(2);
        }
        rtc_write(0x8B, rtc_read(0x8B) & !0x40);
        let n = IRQS.load(SeqCst);
        check!(n >= 20, "{} interrupts in one second", n);
        sys::irq_control(8, ThreadId::NIL).map_err(|e| format!("detach: {e:?}"))?;
        Ok(())
    })();
    h.kill();
    let _ = sys::io_control(me(), 0x70, 2, false);
    r
}

/// Reads port 0x71 for its parent on every request (it has no ports).
fn port_prober(parent: usize) {
    let parent = ThreadId(parent as u32);
    let mut m = Msg::default();
    if ipc::receive(parent, Timeout::NEVER, &mut m).is_err() {
        return;
    }
    loop {
        let v = inb(0x71);
        m = Msg::new(0, &[v as u32]);
        if ipc::reply_wait(parent, &mut m).is_err() {
            return;
        }
    }
}

fn io_ports() -> TestResult {
    // the roottask may use the RTC's ports, a child space may not; IPC
    // between them switches the TSS's I/O bitmap on and off each time
    // (without timeouts, so that the assembly fast path does the switches)
    sys::io_control(me(), 0x70, 2, true).map_err(|e| format!("io_control: {e:?}"))?;
    let r = (|| {
        let c = Child::start(port_prober, me().0 as usize)?;
        for i in 0..40u32 {
            let mut m = Msg::new(0, &[i]);
            ipc::ipc(c.tid, c.tid, ms(1000), Timeout::NEVER, &mut m).map_err(|e| format!("request {i}: {e:?}"))?;
            check!(m.label() == label::EXCEPTION, "round {}: the child read a port it was not given", i);
            let (v, e) = (m.word(exc::VECTOR), m.word(exc::ERROR));
            check!(v == 13 && e == 0, "round {}: vector {} error {:#x}", i, v, e);
            exc_reply(c.tid, &m, 0x40 + i, 1)?; // emulate `in al, dx`
            ipc::receive(c.tid, Timeout::NEVER, &mut m).map_err(|e| format!("answer {i}: {e:?}"))?;
            check!(m.word(1) == 0x40 + i, "round {}: the child read {:#x}", i, m.word(1));
            // our own access still works (else this thread would fault and hang)
            rtc_read(0x0A);
        }
        Ok(())
    })();
    let _ = sys::io_control(me(), 0x70, 2, false);
    r
}

static HIGH_RAN: AtomicU32 = AtomicU32::new(0);

fn priority_preemption() -> TestResult {
    // a low-priority thread spins forever; a higher-priority one wakes from
    // a timeout and must get the processor at once
    SPIN.store(0, SeqCst);
    HIGH_RAN.store(0, SeqCst);
    let low = threads::spawn(spinner, 0, 10).map_err(|e| format!("{e:?}"))?;
    let high = threads::spawn(
        |_| {
            sleep_ms(5);
            HIGH_RAN.store(SPIN.load(SeqCst) | 0x8000_0000, SeqCst);
        },
        0,
        20,
    )
    .map_err(|e| format!("{e:?}"))?;
    // this thread (priority 255) sleeps, leaving the two to the scheduler
    sleep_ms(30);
    let h = HIGH_RAN.load(SeqCst);
    let spins = SPIN.load(SeqCst);
    high.kill();
    low.kill();
    check!(h != 0, "the higher-priority thread never ran while the lower one spun");
    check!(h & 0x7FFF_FFFF > 0, "the low thread never ran before the preemption");
    check!(spins > h & 0x7FFF_FFFF, "the low thread did not continue afterwards");
    Ok(())
}

static RR: [AtomicU32; 2] = [AtomicU32::new(0), AtomicU32::new(0)];

fn round_robin() -> TestResult {
    RR[0].store(0, SeqCst);
    RR[1].store(0, SeqCst);
    let f = |i: usize| loop {
        RR[i].fetch_add(1, SeqCst);
    };
    let a = threads::spawn(f, 0, 10).map_err(|e| format!("{e:?}"))?;
    let b = threads::spawn(f, 1, 10).map_err(|e| format!("{e:?}"))?;
    sleep_ms(60);
    let (x, y) = (RR[0].load(SeqCst), RR[1].load(SeqCst));
    a.kill();
    b.kill();
    check!(x > 0 && y > 0, "equal-priority spinners: {} and {}", x, y);
    let ratio = x.max(y) as f32 / x.min(y) as f32;
    check!(ratio < 4.0, "timeslices are unfair: {} vs {}", x, y);
    Ok(())
}

fn thread_switch() -> TestResult {
    // donation: a ready thread of lower priority runs when we switch to it
    SPIN.store(0, SeqCst);
    let t = threads::spawn(
        |_| {
            SPIN.store(1, SeqCst);
            loop {
                sleep_ms(1000);
            }
        },
        0,
        5,
    )
    .map_err(|e| format!("{e:?}"))?;
    let r = sys::thread_switch(t.tid);
    let ran = SPIN.load(SeqCst);
    t.kill();
    check!(r.is_ok(), "thread_switch: {:?}", r);
    check!(ran == 1, "the donee did not run");
    check!(sys::thread_switch(ThreadId::NIL).is_ok(), "yield failed");
    Ok(())
}

static FPU_OK: AtomicU32 = AtomicU32::new(0);

/// Push `value` on the x87 stack, let other threads use the FPU, then pop
/// it: it must come back unchanged.
fn fpu_keeper(value: usize) {
    let v = value as u32;
    let mut out = 0u32;
    // SAFETY: x87 instructions on our own stack slot; the stack is balanced.
    unsafe { core::arch::asm!("fninit", "fild dword ptr [{}]", in(reg) &v, options(nostack)) };
    for _ in 0..5 {
        sleep_ms(1);
    }
    // SAFETY: as above.
    unsafe { core::arch::asm!("fistp dword ptr [{}]", in(reg) &mut out, options(nostack)) };
    if out == v {
        FPU_OK.fetch_add(1, SeqCst);
    }
}

fn fpu_isolation() -> TestResult {
    FPU_OK.store(0, SeqCst);
    let ts: alloc::vec::Vec<Local> = (1..=3).map(|i| threads::spawn(fpu_keeper, 1000 * i, 200).expect("thread")).collect();
    sleep_ms(30);
    for t in ts {
        t.kill();
    }
    let ok = FPU_OK.load(SeqCst);
    check!(ok == 3, "{} of 3 threads found their x87 state intact", ok);
    Ok(())
}

static TLS_VALUE: AtomicU32 = AtomicU32::new(0);

fn tls_descriptor() -> TestResult {
    // a TLS descriptor based at a variable; reading %gs:0 yields its value
    TLS_VALUE.store(0x7157_0000, SeqCst);
    let base = core::ptr::addr_of!(TLS_VALUE) as u32;
    sys::set_tls(me(), 0, base, 0xFFFFF, tls::SEG_32BIT | tls::LIMIT_IN_PAGES).map_err(|e| format!("set_tls: {e:?}"))?;
    let sel = (sel::TLS_FIRST_ENTRY << 3 | 3) as u32;
    let v: u32;
    // SAFETY: gs is loaded with the descriptor just installed and restored.
    unsafe {
        core::arch::asm!("mov gs, {s:e}", "mov {v}, gs:[0]", "xor {s:e}, {s:e}", "mov gs, {s:e}", s = inout(reg) sel => _, v = out(reg) v);
    }
    check!(v == 0x7157_0000, "read {:#x} through %gs", v);
    // the descriptor survives context switches
    sys::set_tls(me(), 0, base, 0xFFFFF, tls::SEG_32BIT | tls::LIMIT_IN_PAGES).map_err(|e| format!("{e:?}"))?;
    let v2: u32;
    // SAFETY: as above; the sleep switches threads in between.
    unsafe { core::arch::asm!("mov gs, {s:e}", s = in(reg) sel) };
    sleep_ms(2);
    unsafe { core::arch::asm!("mov {v}, gs:[0]", "xor {s:e}, {s:e}", "mov gs, {s:e}", v = out(reg) v2, s = out(reg) _) };
    check!(v2 == 0x7157_0000, "after a switch: {:#x}", v2);
    check!(sys::set_tls(me(), 0, 0, 0, tls::CLEAR).is_ok(), "clear");
    Ok(())
}

fn sigma0_ownership() -> TestResult {
    let s0 = ThreadId(l4::kip::kip().word(l4_abi::kip::OFF_SIGMA0));
    let (free, ram, mine) = l4::sigma0::info(s0).ok_or("sigma0 info")?;
    check!(free > 0 && ram > free, "sigma0 info {} {} {}", free, ram, mine);
    // the roottask takes a frame ...
    let owned = l4::sigma0::request(s0, Fpage::new(0, 12, rights::RW), l4::sigma0::ANY, Fpage::new(0x1F00_0000, 12, rights::RWX))
        .map_err(|r| format!("request: reason {r}"))?;
    let again = l4::sigma0::request(s0, Fpage::new(owned, 12, rights::RW), 0, Fpage::new(0x1F00_0000, 12, rights::RWX));
    check!(again == Ok(owned), "the owner's repeated request: {:?}", again);
    // ... which a child may not get, nor a boot module (roottask only)
    let c = Child::start(
        |_| {
            let mut m = Msg::default();
            let Ok(from) = ipc::wait(&mut m) else { return };
            let s0 = ThreadId(l4::kip::kip().word(l4_abi::kip::OFF_SIGMA0));
            let ask = |base: u32, flags: u32, at: u32| {
                l4::sigma0::request(s0, Fpage::new(base, 12, rights::RW), flags, Fpage::new(at, 12, rights::RWX))
            };
            let a = ask(m.mr[1], 0, WIN).err().unwrap_or(0);
            let b = ask(m.mr[2], 0, WIN).err().unwrap_or(0);
            let c = ask(0, l4::sigma0::ANY, WIN).is_ok() as u32;
            let mut rep = Msg::new(0, &[a, b, c]);
            let _ = ipc::send(from, &mut rep, Timeout::NEVER);
        },
        0,
    )?;
    let module = l4::kip::kip().module(0).start & !0xFFF;
    let mut m = Msg::new(0, &[owned, module]);
    ipc::send(c.tid, &mut m, ms(1000)).map_err(|e| format!("go: {e:?}"))?;
    let mut r = Msg::default();
    ipc::receive(c.tid, ms(2000), &mut r).map_err(|e| format!("result: {e:?}"))?;
    let taken = l4::sigma0::reason::TAKEN;
    check!(r.mr[1] == taken, "second owner's request for a frame: reason {}", r.mr[1]);
    check!(r.mr[2] == taken, "module frame request by a non-roottask: reason {}", r.mr[2]);
    check!(r.mr[3] == 1, "an ordinary request failed");
    Ok(())
}

/// Expect `r` to be the error `e`.
fn expect<T: core::fmt::Debug>(what: &str, r: Result<T, Error>, e: Error) -> TestResult {
    match r {
        Err(got) if got == e => Ok(()),
        other => Err(format!("{what}: expected {e:?}, got {other:?}")),
    }
}

fn invalid_arguments() -> TestResult {
    let stale = sys::thread_create(me(), ThreadId::NIL, ThreadId::NIL, 30, 100).map_err(|e| format!("{e:?}"))?;
    sys::thread_delete(stale).map_err(|e| format!("{e:?}"))?;
    let unknown = ThreadId::new(1000, 5);
    let mut m = Msg::new(0, &[1]);
    expect("ipc to a stale id", ipc::send(stale, &mut m, Timeout::ZERO), Error::InvalidThread)?;
    expect("ipc to an unknown id", ipc::send(unknown, &mut m, Timeout::ZERO), Error::InvalidThread)?;
    expect("ipc to oneself", ipc::send(me(), &mut m, Timeout::ZERO), Error::InvalidThread)?;
    expect("receive from a stale id", ipc::receive(stale, Timeout::ZERO, &mut m), Error::InvalidThread)?;
    expect("delete a stale id", sys::thread_delete(stale), Error::InvalidThread)?;
    expect("exregs on a stale id", sys::exchange_registers(stale, 0, 0, 0, 0), Error::InvalidThread)?;
    expect("exregs bad control", sys::exchange_registers(me(), 1 << 20, 0, 0, 0), Error::InvalidArgument)?;
    expect("schedule a stale id", sys::schedule(stale, 10, 0), Error::InvalidThread)?;
    expect("priority 300", sys::schedule(me(), 300, 0), Error::NoPermission)?;
    expect("UTCB slot 255", sys::thread_create(me(), ThreadId::NIL, ThreadId::NIL, 255, 1), Error::InvalidArgument)?;
    expect("UTCB slot in use", sys::thread_create(me(), ThreadId::NIL, ThreadId::NIL, 0, 1), Error::InvalidArgument)?;
    expect("space of a stale id", sys::thread_create(stale, ThreadId::NIL, ThreadId::NIL, 1, 1), Error::InvalidThread)?;
    // flexpages
    expect("unmap misaligned", sys::unmap(Fpage(0x1000 | 13 << 4 | 7), 0), Error::InvalidFpage)?;
    expect("unmap kernel area", sys::unmap(Fpage::new(0xC000_0000, 12, 7), 0), Error::InvalidFpage)?;
    expect("unmap reserved area", sys::unmap(Fpage::new(0xBFF0_0000, 12, 7), 0), Error::InvalidFpage)?;
    expect("unmap bad flags", sys::unmap(Fpage::new(0x1000, 12, 7), 8), Error::InvalidArgument)?;
    let c = Child::start(map_receiver, me().0 as usize)?;
    let mut km = Msg::map(0, MapItem::map(0, Fpage::new(0xC010_0000, 12, rights::RW)));
    expect("map from the kernel area", ipc::send(c.tid, &mut km, ms(100)), Error::InvalidFpage)?;
    let mut nr = Msg::map(0, MapItem::map(0, Fpage::new(0x40_0000, 12, 0)));
    expect("map without rights", ipc::send(c.tid, &mut nr, ms(100)), Error::InvalidFpage)?;
    let mut bad = Msg { mr: [MsgTag::new(0, 0, 2).0, 0x5, 0x1000 | 12 << 4 | 7, 0] };
    expect("typed item of unknown kind", ipc::send(c.tid, &mut bad, ms(100)), Error::MsgOverflow)?;
    let mut odd = Msg { mr: [MsgTag::new(0, 0, 1).0, 0, 0, 0] };
    expect("odd typed count", ipc::send(c.tid, &mut odd, ms(100)), Error::MsgOverflow)?;
    // the child still works afterwards (nothing was delivered to it)
    let p = magic_page(&mut Pages::new(), 31337);
    let mut ok = Msg::map(0, MapItem::map(0, Fpage::new(p, 12, rights::RW)));
    ipc::send(c.tid, &mut ok, ms(1000)).map_err(|e| format!("valid map after the bad ones: {e:?}"))?;
    let mut r = Msg::default();
    ipc::receive(c.tid, ms(1000), &mut r).map_err(|e| format!("{e:?}"))?;
    check!(r.mr[1] == 31337, "child read {} after the refused messages", r.mr[1]);
    // tls, irq, io
    expect("tls entry 3", sys::set_tls(me(), 3, 0, 0, 0), Error::InvalidArgument)?;
    expect("tls conforming code", sys::set_tls(me(), 0, 0, 0, 3 << tls::CONTENTS_SHIFT), Error::InvalidArgument)?;
    expect("tls limit", sys::set_tls(me(), 0, 0, 0x10_0000, 0), Error::InvalidArgument)?;
    expect("irq 0 (timer)", sys::irq_control(0, me()), Error::InvalidArgument)?;
    expect("irq 16", sys::irq_control(16, me()), Error::InvalidArgument)?;
    expect("irq to a stale id", sys::irq_control(5, stale), Error::InvalidThread)?;
    expect("io beyond the bitmap", sys::io_control(me(), 0x3FF, 2, true), Error::InvalidArgument)?;
    let mut r = sys::Regs { eax: 77, ..Default::default() };
    sys::thread_control(&mut r);
    check!(r.ecx == Error::InvalidArgument as u32, "thread_control op 77: code {}", r.ecx);
    Ok(())
}

fn unprivileged() -> TestResult {
    // a child space may not use privileged calls or touch the roottask
    let c = Child::start(
        |root| {
            let mut m = Msg::default();
            let Ok(from) = ipc::wait(&mut m) else { return };
            let root = ThreadId(root as u32);
            let me = Utcb::current().my_id();
            let codes = [
                Error::code(sys::irq_control(5, me)),
                Error::code(sys::io_control(me, 0x3F8, 8, true)),
                Error::code(sys::schedule(me, 255, 0)),
                Error::code(sys::exchange_registers(root, exreg::HALT, 0, 0, 0).map(|_| ())),
                Error::code(sys::thread_delete(root)),
                Error::code(sys::thread_create(me, ThreadId::NIL, ThreadId::NIL, 5, 250).map(|_| ())),
                sys::kdebug_exit(0) as u32,
            ];
            let mut r = Msg::new(0, &codes);
            let _ = ipc::send(from, &mut r, Timeout::NEVER);
        },
        me().0 as usize,
    )?;
    let mut m = Msg::new(0, &[]);
    ipc::send(c.tid, &mut m, ms(1000)).map_err(|e| format!("go: {e:?}"))?;
    let mut r = Msg::default();
    ipc::receive(c.tid, ms(1000), &mut r).map_err(|e| format!("result: {e:?}"))?;
    let np = Error::NoPermission as u32;
    let got: [u32; 7] = core::array::from_fn(|i| r.word(i + 1));
    check!(got == [np; 7], "expected NoPermission ({}) for every call, got {:?}", np, got);
    Ok(())
}

fn create_delete_cycles() -> TestResult {
    let before = sys::kdebug_stats();
    for i in 0..10_000u32 {
        // alternate: a thread in a new space, and a thread in our space
        let t = if i % 2 == 0 {
            sys::thread_create(ThreadId::NIL, ThreadId::NIL, ThreadId::NIL, 0, 100)
        } else {
            sys::thread_create(me(), ThreadId::NIL, ThreadId::NIL, 40, 100)
        }
        .map_err(|e| format!("create #{i}: {e:?}"))?;
        sys::thread_delete(t).map_err(|e| format!("delete #{i}: {e:?}"))?;
        check!(sys::thread_delete(t) == Err(Error::InvalidThread), "id still valid after delete #{i}");
    }
    let after = sys::kdebug_stats();
    check!(before == after, "kernel memory before {:?}, after {:?} (frames, threads, nodes, spaces)", before, after);
    Ok(())
}

fn exhaustion() -> TestResult {
    // the roottask's own memory must not grow during the measurement: get
    // the test page and the pager's pages for the children first
    let mut pages = Pages::new();
    let p = magic_page(&mut pages, 1);
    let mut m = Msg::new(PAGER_RESERVE, &[400]);
    ipc::call(pager(), &mut m).map_err(|e| format!("pager: {e:?}"))?;
    check!(m.mr[1] == 1, "the pager could not reserve pages");
    let before = sys::kdebug_stats();
    // thread slots
    let mut ts = alloc::vec::Vec::new();
    let err = loop {
        match sys::thread_create(me(), ThreadId::NIL, ThreadId::NIL, tc::NO_UTCB, 100) {
            Ok(t) => ts.push(t),
            Err(e) => break e,
        }
    };
    let n_threads = ts.len();
    for t in ts.drain(..) {
        let _ = sys::thread_delete(t);
    }
    check!(err == Error::NoMemory, "thread creation ended with {:?} after {}", err, n_threads);
    // spaces
    let err = loop {
        match sys::thread_create(ThreadId::NIL, ThreadId::NIL, ThreadId::NIL, tc::NO_UTCB, 100) {
            Ok(t) => ts.push(t),
            Err(e) => break e,
        }
    };
    let n_spaces = ts.len();
    for t in ts.drain(..) {
        let _ = sys::space_delete(t);
    }
    check!(err == Error::NoMemory, "space creation ended with {:?} after {}", err, n_spaces);
    // the frame pool: every 4 MiB region a child receives a page in needs a
    // page table; keep mapping until the kernel runs out
    let mut children = alloc::vec::Vec::new();
    let mut pool_err = None;
    'outer: for _ in 0..64 {
        let c = match Child::start(map_receiver_many, 0) {
            Ok(c) => c,
            // running out while creating the next child is exhaustion too
            Err(e) if e.contains("NoMemory") => {
                pool_err = Some(Error::NoMemory);
                break;
            }
            Err(e) => return Err(e),
        };
        for region in 1..700u32 {
            let mut m = Msg::map(0, MapItem::map(region << 22, Fpage::new(p, 12, rights::R)));
            if let Err(e) = ipc::call(c.tid, &mut m) {
                pool_err = Some(e);
                children.push(c);
                break 'outer;
            }
        }
        children.push(c);
    }
    let n_children = children.len();
    drop(children);
    check!(pool_err == Some(Error::NoMemory), "pool exhaustion gave {:?} ({} children)", pool_err, n_children);
    let after = sys::kdebug_stats();
    check!(before == after, "kernel memory not all returned: {:?} before, {:?} after", before, after);
    // and the kernel still works
    ipc_short_inter()
}

/// Child body: accept mappings anywhere, acknowledge each message.
fn map_receiver_many(_: usize) {
    Utcb::current().set_acceptor(Fpage::complete(rights::RWX));
    let mut m = Msg::default();
    let Ok(mut from) = ipc::wait(&mut m) else { return };
    loop {
        let mut r = Msg::new(0, &[0]);
        from = match ipc::reply_wait(from, &mut r) {
            Ok(f) => f,
            Err(_) => match ipc::wait(&mut r) {
                Ok(f) => f,
                Err(_) => continue,
            },
        };
    }
}

fn no_pager() -> TestResult {
    // a thread without pager that faults is halted, not a kernel crash
    let t = sys::thread_create(ThreadId::NIL, ThreadId::NIL, ThreadId::NIL, tc::NO_UTCB, 100).map_err(|e| format!("{e:?}"))?;
    sys::start(t, 0x1234_5000, 0).map_err(|e| format!("{e:?}"))?;
    sleep_ms(2);
    let st = sys::exchange_registers(t, 0, 0, 0, 0).map_err(|e| format!("{e:?}"))?;
    let _ = sys::space_delete(t);
    check!(st.state == ThreadState::Halted, "state {:?}", st.state);
    check!(st.ip == 0x1234_5000, "ip {:#x}", st.ip);
    Ok(())
}
