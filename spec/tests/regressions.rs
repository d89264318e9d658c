//! Divergences the cross-check found, kept as regression cases: each is the
//! shortest sequence that showed it (from the proptest report, or written
//! down from the seeded run's listing), with what was wrong. A new
//! divergence gets a case here once it is fixed. Cases are explicit lists
//! of operations, not seeds: a seed's sequence changes whenever the
//! generator does.

use l4_abi::{MsgTag, Timeout};
use spec::compare::check_sequence;
use spec_ops::{IpcOp, Op, Tref};

fn ipc(to: Tref, from: Tref, tag: MsgTag, base: u32) -> Op {
    Op::Ipc(IpcOp {
        to,
        from,
        st: Timeout::NEVER.0,
        rt: Timeout::NEVER.0,
        tag: tag.0,
        base,
        typed: [0; 4],
        acceptor: 0,
    })
}

/// The IPC fast path (call / reply-and-wait with a short message) copied all
/// of MR1..MR3 into the receiver's registers even for a message with fewer
/// words; the general path (and the spec) leave registers past the message
/// alone. Found by the seeded run (SPEC_SEED=0x5ec0001, host profile,
/// sequence 161). Fixed in `microkernel/src/ipc.rs` (`ipc_fast`).
#[test]
fn fast_path_writes_only_the_message_words() {
    let ops = [
        // thread 0 waits for anyone, its registers holding its own words
        ipc(Tref::Nil, Tref::Any, MsgTag::new(0, 3, 0), 0x1000),
        // thread 1 calls it with an empty message: the fast path's case
        ipc(
            Tref::Created(0),
            Tref::Created(0),
            MsgTag::new(7, 0, 0),
            0x2000,
        ),
        // and with one word
        ipc(Tref::Nil, Tref::Any, MsgTag::new(0, 3, 0), 0x3000),
        ipc(
            Tref::Created(0),
            Tref::Created(0),
            MsgTag::new(7, 1, 0),
            0x4000,
        ),
    ];
    if let Err(d) = check_sequence(&ops, None) {
        panic!("{d}");
    }
}

/// The fast path's own entry switches to the partner without a dispatch, so
/// a partner with a pending `RAISE` ran user code without sending its
/// exception first, and a donation did not end when another thread ran.
/// Found by the QEMU replay (SPEC_SEED=0x5ec0001, 20000 operations, round
/// 146; the host harness did not use the fast path's entry then). Fixed in
/// `microkernel/src/ipc.rs` (`ipc_fast` declines when the partner has an
/// exception to raise, and ends a donation).
#[test]
fn fast_path_leaves_a_raised_exception_to_the_dispatcher() {
    use l4_abi::syscall::exreg;
    let ops = [
        // thread 0 waits for anyone; thread 1 runs
        ipc(Tref::Nil, Tref::Any, MsgTag::new(0, 0, 0), 0),
        // thread 1 marks thread 0 for a raised exception ...
        Op::ExReg {
            t: Tref::Index(0),
            ctl: exreg::RAISE,
            flags: 0,
        },
        // ... and calls it with a short message: the fast path's case
        ipc(Tref::Index(0), Tref::Index(0), MsgTag::new(3, 1, 0), 0x5000),
        Op::ThreadSwitch(Tref::Nil),
    ];
    if let Err(d) = check_sequence(&ops, None) {
        panic!("{d}");
    }
}
