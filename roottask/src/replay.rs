//! The `spec-replay=<seed>,<count>` mode: the executable specification's
//! generated operation sequences, replayed on the real kernel. xtask compares
//! what is printed here with the spec's prediction (`spec::replay`).
//!
//! Every round starts from the world of `spec_ops::world`: the test frames
//! (from sigma0) mapped at the first test pages of this space with their
//! initial contents, and the initial threads created and started. The
//! threads of the round all run the same interpreter ([`replay_entry`]): the
//! running one takes the next operation, loads the registers exactly as
//! `spec_ops::op::Action` says, traps (or touches the test page, or raises
//! `int 0x80`), and records what it sees when it gets back to user mode.
//! Where the spec leaves a value to the machine (instruction and stack
//! pointers), the real ones are used: the entry point and stack of the
//! thread concerned, set right after a create too (so a bare `RESUME`
//! starts the interpreter).
//! The main thread (priority 255, not part of the model) only watches: it
//! wakes every few milliseconds, and when no modelled thread can run any
//! more (the rest of the round is idle), the operations are used up, or the
//! operation counter stands still while threads run (a livelock of page
//! faults), it ends the round, deletes the threads and prints:
//!
//! ```text
//! SPEC round <r> ids <id of thread 0> <id of thread 1> ...
//! SPEC <r> <record>          (spec_ops::Record's text form, in order)
//! SPEC round <r> end
//! ...
//! SPEC DONE rounds=<n> executed=<operations taken by a thread>
//! ```
//!
//! Threads of a round only switch at kernel entries, and only one is
//! running at a time, so the shared state below is used by one thread at a
//! time; the watcher reads it only when the round is over (or the atomics).

use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use l4::ipc::Utcb;
use l4::{println, sys, Fpage, ThreadId, Timeout};
use l4_abi::msg::rights;
use l4_abi::syscall::{exreg, unmap, ThreadState};
use spec_ops::gen::{self, Profile, ROUND_OPS};
use spec_ops::op::{Action, Ctx, Gprs, EAX, EBX, ECX, EDX, ESI};
use spec_ops::record::{digest, Record, SHOWN_MRS};
use spec_ops::world::{self, FRAMES, INITIAL_THREADS, MAX_CREATED, T0_SLOT, TEST_BASE};
use spec_ops::Op;

const STACK: usize = 16 * 1024;
const MAX_RECORDS: usize = 2048;
/// Watchdog period and the number of periods without progress that mean a
/// livelock.
const WATCH_MS: u64 = 5;
const LIVELOCK_PERIODS: u32 = 40;

#[repr(C, align(16))]
struct Stacks([[u8; STACK]; MAX_CREATED]);
static mut STACKS: Stacks = Stacks([[0; STACK]; MAX_CREATED]);

/// The state the round's threads share.
struct Round {
    ops: [Op; ROUND_OPS],
    ids: [ThreadId; MAX_CREATED],
    alive: [bool; MAX_CREATED],
    slots: [u32; MAX_CREATED],
    /// Each thread's `Tref::Reply`.
    replies: [ThreadId; MAX_CREATED],
    count: usize,
    log: [Record; MAX_RECORDS],
    log_len: usize,
}

static mut ROUND: Round = Round {
    ops: [Op::Tick; ROUND_OPS],
    ids: [ThreadId::NIL; MAX_CREATED],
    alive: [false; MAX_CREATED],
    slots: [0; MAX_CREATED],
    replies: [ThreadId::NIL; MAX_CREATED],
    count: 0,
    log: [Record::Idle; MAX_RECORDS],
    log_len: 0,
};
/// Index of the next operation.
static NEXT: AtomicUsize = AtomicUsize::new(0);
/// The operations are used up: nothing is recorded any more.
static DONE: AtomicBool = AtomicBool::new(false);

fn round() -> &'static mut Round {
    // SAFETY: used by one thread at a time (see the module comment).
    unsafe { &mut *addr_of_mut!(ROUND) }
}

fn log(r: Record) {
    let s = round();
    if !DONE.load(SeqCst) && s.log_len < MAX_RECORDS {
        s.log[s.log_len] = r;
        s.log_len += 1;
    }
}

// ----- the traps, with every general register in and out ----------------

core::arch::global_asm!(
    r#"
    .macro REPLAY_STUB name, body:vararg
    .section .text.replay, "ax"
    .global \name
\name:
    push ebp
    push esi
    push edi
    push ebx
    mov eax, [esp + 20]
    push eax
    mov ebx, [eax + 4]
    mov ecx, [eax + 8]
    mov edx, [eax + 12]
    mov esi, [eax + 16]
    mov edi, [eax + 20]
    mov ebp, [eax + 24]
    mov eax, [eax]
    \body
    xchg eax, [esp]
    mov [eax + 4], ebx
    mov [eax + 8], ecx
    mov [eax + 12], edx
    mov [eax + 16], esi
    mov [eax + 20], edi
    mov [eax + 24], ebp
    pop ecx
    mov [eax], ecx
    pop ebx
    pop edi
    pop esi
    pop ebp
    ret
    .endm

    .irp v, 30,31,32,33,34,35,36,37,38,39,80
    REPLAY_STUB replay_trap_\v, int 0x\v
    .endr

    .irp p, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
    REPLAY_STUB replay_rd_\p, mov ebx, dword ptr [{base} + \p * 4096]
    REPLAY_STUB replay_wr_\p, mov dword ptr [{base} + \p * 4096], ebx
    .endr

    .section .rodata.replay, "a"
    .balign 4
    .global replay_access_table
replay_access_table:
    .irp p, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
    .long replay_rd_\p, replay_wr_\p
    .endr
    .text
"#,
    base = const TEST_BASE,
);

type Stub = unsafe extern "C" fn(*mut Gprs);

extern "C" {
    fn replay_trap_30(r: *mut Gprs);
    fn replay_trap_31(r: *mut Gprs);
    fn replay_trap_32(r: *mut Gprs);
    fn replay_trap_33(r: *mut Gprs);
    fn replay_trap_34(r: *mut Gprs);
    fn replay_trap_35(r: *mut Gprs);
    fn replay_trap_36(r: *mut Gprs);
    fn replay_trap_37(r: *mut Gprs);
    fn replay_trap_38(r: *mut Gprs);
    fn replay_trap_39(r: *mut Gprs);
    fn replay_trap_80(r: *mut Gprs);
    /// Read and write stubs of each test page: `[read0, write0, read1, ...]`.
    static replay_access_table: [Stub; 128];
}

/// `int vector` with all seven registers loaded from and stored back to `r`.
fn trap(vector: u8, r: &mut Gprs) {
    let stub: Stub = match vector {
        0x30 => replay_trap_30,
        0x31 => replay_trap_31,
        0x32 => replay_trap_32,
        0x33 => replay_trap_33,
        0x34 => replay_trap_34,
        0x35 => replay_trap_35,
        0x36 => replay_trap_36,
        0x37 => replay_trap_37,
        0x38 => replay_trap_38,
        0x39 => replay_trap_39,
        _ => replay_trap_80,
    };
    // SAFETY: the stub saves the callee-saved registers and touches only `r`.
    unsafe { stub(r) }
}

/// Read (or write ebx to) word 0 of test page `page` with the registers `r`;
/// the address is part of the instruction, so a fault's retry touches the
/// same page whatever an exception reply did to the registers.
fn access(page: u32, write: bool, r: &mut Gprs) {
    // SAFETY: the table has a read and a write stub per test page; a fault
    // goes to the thread's pager and the instruction is retried.
    unsafe {
        let table = &*core::ptr::addr_of!(replay_access_table);
        table[(page as usize % 64) * 2 + write as usize](r)
    }
}

// ----- the interpreter --------------------------------------------------

fn stack_top(n: usize) -> u32 {
    // SAFETY: only the address is taken.
    let base = unsafe { addr_of_mut!(STACKS.0[n % MAX_CREATED]) as u32 };
    base + STACK as u32
}

/// Make the stack of thread `n` start `replay_entry(n)`; returns its sp.
fn entry_stack(n: usize) -> u32 {
    let sp = stack_top(n) - 20;
    // SAFETY: the top words of thread n's stack are its entry frame (a
    // restart writes the same values there).
    unsafe {
        (sp as *mut u32).write_volatile(0);
        ((sp + 4) as *mut u32).write_volatile(n as u32);
    }
    sp
}

fn entry_ip() -> u32 {
    replay_entry as *const () as u32
}

/// Where every modelled thread starts (and restarts after `SET_IP`).
extern "C" fn replay_entry(n: usize) -> ! {
    round().replies[n % MAX_CREATED] = ThreadId::NIL;
    loop {
        let s = round();
        let i = NEXT.load(SeqCst);
        if i >= ROUND_OPS || DONE.load(SeqCst) {
            DONE.store(true, SeqCst);
            park(s.ids[n % MAX_CREATED]);
        }
        NEXT.store(i + 1, SeqCst);
        log(Record::Run(n as u8));
        let op = s.ops[i];
        run_op(n, &op);
    }
}

/// Wait for nothing, for ever.
fn park(me: ThreadId) -> ! {
    loop {
        let mut mr = [0u32; 4];
        sys::ipc(
            ThreadId::NIL,
            me,
            Timeout::pack(Timeout::NEVER, Timeout::NEVER),
            &mut mr,
        );
    }
}

fn run_op(n: usize, op: &Op) {
    let s = round();
    let count = s.count;
    let ctx = Ctx {
        created: &s.ids[..count],
        alive: &s.alive[..count],
        me: n,
        reply: s.replies[n],
    };
    let utcb = Utcb::at_slot(s.slots[n]);
    match op.action(&ctx) {
        Action::Skip => log(Record::Skip),
        Action::Syscall(vector, mut regs) => {
            if let Op::Ipc(m) = op {
                for i in 4..=m.last_mr() {
                    utcb.set_mr(i, m.mr(i));
                }
                utcb.set_acceptor(Fpage(m.acceptor));
            }
            match *op {
                Op::ExReg { t, ctl, .. } if ctl & (exreg::SET_IP | exreg::SET_SP) != 0 => {
                    regs[ESI] = entry_ip();
                    regs[EDX] = t.index(&ctx).map_or(0, entry_stack);
                }
                Op::Delete(t) => {
                    // a thread that deletes itself does not come back
                    if let Some(k) = t.index(&ctx) {
                        s.alive[k] = false;
                    }
                }
                _ => {}
            }
            let slot = regs[ESI];
            trap(vector, &mut regs);
            match *op {
                Op::Create { .. } if regs[ECX] == 0 && s.count < MAX_CREATED => {
                    let k = s.count;
                    s.ids[k] = ThreadId(regs[EAX]);
                    s.alive[k] = true;
                    s.slots[k] = slot;
                    s.replies[k] = ThreadId::NIL;
                    s.count += 1;
                    // give it its entry point now, so that a later bare
                    // RESUME starts the interpreter (the spec leaves ip and sp
                    // to the machine: this changes nothing it checks)
                    let _ = sys::exchange_registers(
                        s.ids[k],
                        exreg::SET_IP | exreg::SET_SP,
                        entry_stack(k),
                        entry_ip(),
                        0,
                    );
                }
                Op::Ipc(_) => s.replies[n] = ThreadId(regs[EAX]),
                _ => {}
            }
            log_resume(n, &regs, utcb);
        }
        Action::Access {
            page,
            write,
            mut regs,
        } => {
            access(page, write, &mut regs);
            log(Record::Access {
                t: n as u8,
                page: page as u8,
                write,
                value: regs[EBX],
            });
        }
        Action::Exception(mut regs) => {
            trap(0x80, &mut regs);
            log_resume(n, &regs, utcb);
        }
    }
}

fn log_resume(n: usize, regs: &Gprs, utcb: Utcb) {
    let mrs = SHOWN_MRS.map(|i| utcb.mr(i));
    let digest = digest((4..64).map(|i| utcb.mr(i)));
    log(Record::Resume {
        t: n as u8,
        regs: *regs,
        mrs,
        digest,
    });
}

// ----- the watcher (the main thread) -------------------------------------

fn ms(n: u64) -> Timeout {
    Timeout::from_micros(n * 1000)
}

/// Physical frames of the test pages, from sigma0.
fn get_frames() -> Option<[u32; FRAMES as usize]> {
    let s0 = ThreadId(l4::kip::kip().word(l4_abi::kip::OFF_SIGMA0));
    let mut phys = [0u32; FRAMES as usize];
    for (i, p) in phys.iter_mut().enumerate() {
        let window = Fpage::new(world::page_addr(i as u32), 12, rights::RWX);
        *p = l4::sigma0::request(s0, Fpage::new(0, 12, rights::RWX), l4::sigma0::ANY, window)
            .ok()?;
    }
    Some(phys)
}

/// The test area as the world starts: only the test frames, at their pages.
fn reset_memory(phys: &[u32; FRAMES as usize]) -> bool {
    let s0 = ThreadId(l4::kip::kip().word(l4_abi::kip::OFF_SIGMA0));
    let _ = sys::unmap(Fpage::new(TEST_BASE, 18, rights::RWX), unmap::FLUSH_SELF);
    for (i, &p) in phys.iter().enumerate() {
        let addr = world::page_addr(i as u32);
        if l4::sigma0::request(
            s0,
            Fpage::new(p, 12, rights::RWX),
            0,
            Fpage::new(addr, 12, rights::RWX),
        ) != Ok(p)
        {
            return false;
        }
        // SAFETY: the page was just mapped read-write here.
        unsafe { (addr as *mut u32).write_volatile(world::frame_init(i as u32)) };
    }
    true
}

fn start_round(seed: u64, r: u64) -> Result<(), &'static str> {
    let s = round();
    let rs = gen::round_seed(seed, r);
    for (i, op) in s.ops.iter_mut().enumerate() {
        *op = gen::op_at(rs, i as u64, Profile::Qemu);
    }
    s.count = 0;
    s.log_len = 0;
    NEXT.store(0, SeqCst);
    DONE.store(false, SeqCst);
    let me = Utcb::current().my_id();
    for n in 0..INITIAL_THREADS {
        let slot = T0_SLOT + n as u32;
        let t = sys::thread_create(
            me,
            ThreadId::NIL,
            ThreadId::NIL,
            slot,
            world::distinct_prio(n, 0),
        )
        .map_err(|_| "cannot create the initial threads")?;
        s.ids[n] = t;
        s.alive[n] = true;
        s.slots[n] = slot;
        s.replies[n] = ThreadId::NIL;
        s.count = n + 1;
    }
    for n in 0..INITIAL_THREADS {
        let (p, e) = (
            s.ids[world::initial_pager(n)],
            s.ids[world::initial_exc_handler(n)],
        );
        sys::set_handlers(s.ids[n], p, e).map_err(|_| "cannot set the handlers")?;
    }
    for n in 0..INITIAL_THREADS {
        sys::start(s.ids[n], entry_ip(), entry_stack(n))
            .map_err(|_| "cannot start the initial threads")?;
    }
    Ok(())
}

/// Watch the round until it is over; returns true for a livelock.
fn watch() -> bool {
    let s = round();
    let (mut last, mut still) = (usize::MAX, 0);
    loop {
        l4::ipc::sleep(ms(WATCH_MS));
        let next = NEXT.load(SeqCst);
        let runnable = (0..s.count).any(|k| {
            s.alive[k]
                && sys::exchange_registers(s.ids[k], 0, 0, 0, 0)
                    .is_ok_and(|x| x.state == ThreadState::Ready)
        });
        if DONE.load(SeqCst) || !runnable {
            return false;
        }
        if next == last {
            still += 1;
            if still >= LIVELOCK_PERIODS {
                return true;
            }
        } else {
            (last, still) = (next, 0);
        }
    }
}

fn end_round(livelock: bool) {
    let s = round();
    if livelock {
        log(Record::Livelock);
    } else if !DONE.load(SeqCst) {
        for _ in NEXT.load(SeqCst)..ROUND_OPS {
            log(Record::Idle);
        }
    }
    DONE.store(true, SeqCst);
    for k in 0..s.count {
        let _ = sys::thread_delete(s.ids[k]);
    }
    for irq in world::IRQ_LINES {
        let _ = sys::irq_control(irq, ThreadId::NIL);
    }
}

fn print_round(r: u64) -> usize {
    let s = round();
    let mut line = l4::rt::Console::new();
    {
        use core::fmt::Write;
        let _ = write!(line, "SPEC round {r} ids");
        for id in &s.ids[..s.count] {
            let _ = write!(line, " {:x}", id.0);
        }
        let _ = writeln!(line);
    }
    let mut executed = 0;
    for rec in &s.log[..s.log_len] {
        if matches!(rec, Record::Run(_)) {
            executed += 1;
        }
        println!("SPEC {r} {rec}");
    }
    if s.log_len == MAX_RECORDS {
        println!("SPEC round {r} overflow");
    }
    println!("SPEC round {r} end");
    executed
}

/// Run the replay: `ops` operations in rounds of `ROUND_OPS`.
pub fn run(seed: u64, ops: usize) {
    let Some(phys) = get_frames() else {
        println!("SPEC FAILED: no test frames from sigma0");
        return;
    };
    let rounds = ops.div_ceil(ROUND_OPS) as u64;
    let mut executed = 0;
    for r in 0..rounds {
        if !reset_memory(&phys) {
            println!("SPEC FAILED: cannot map the test frames again");
            return;
        }
        if let Err(why) = start_round(seed, r) {
            println!("SPEC FAILED: {why}");
            return;
        }
        let livelock = watch();
        end_round(livelock);
        executed += print_round(r);
    }
    println!("SPEC DONE rounds={rounds} executed={executed}");
}

/// The `spec-replay=<seed>,<count>` word of the command line, if present.
pub fn requested(cmdline: &str) -> Option<(u64, usize)> {
    let arg = cmdline
        .split(' ')
        .find_map(|w| w.strip_prefix("spec-replay="))?;
    let (seed, count) = arg.split_once(',')?;
    let seed = match seed.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok()?,
        None => seed.parse().ok()?,
    };
    Some((seed, count.parse().ok()?))
}
