//! Honesty check: the cross-check notices a deliberately wrong kernel. The
//! harness's `Mutation::UnmapSkipsDerived` makes the kernel's unmap leave one
//! derived mapping in place; the same comparison code that runs in every
//! cross-check must report the difference, for a hand-written sequence and
//! for generated ones.

use l4_abi::msg::{rights, MapItem};
use l4_abi::syscall::Error;
use l4_abi::{Fpage, MsgTag, Timeout};
use spec::compare::check_sequence;
use spec::harness::Mutation;
use spec_ops::world::page_addr;
use spec_ops::{gen, IpcOp, Op, Profile, Tref};

/// Thread 0 waits with a receive window at page 20; thread 1 maps it page 3
/// (a mapping derived from thread 0's own); thread 0 unmaps page 3, which
/// must remove the derived mapping at page 20.
fn map_then_unmap() -> Vec<Op> {
    let wait = IpcOp {
        to: Tref::Nil,
        from: Tref::Any,
        st: Timeout::NEVER.0,
        rt: Timeout::NEVER.0,
        tag: MsgTag::new(1, 0, 0).0,
        base: 0,
        typed: [0; 4],
        acceptor: Fpage::new(page_addr(20), 12, rights::RWX).0,
    };
    let [a, b] = MapItem::map(page_addr(20), Fpage::new(page_addr(3), 12, rights::RWX)).words();
    let map = IpcOp {
        to: Tref::Created(0),
        from: Tref::Nil,
        st: Timeout::ZERO.0,
        rt: Timeout::NEVER.0,
        tag: MsgTag::new(2, 0, 2).0,
        base: 0,
        typed: [a, b, 0, 0],
        acceptor: 0,
    };
    vec![
        Op::Ipc(wait),
        Op::Ipc(map),
        Op::Access {
            page: 20,
            write: false,
            value: 0,
        },
        Op::Unmap {
            fpage: Fpage::new(page_addr(3), 12, rights::RWX).0,
            flags: 0,
        },
        Op::Access {
            page: 20,
            write: false,
            value: 0,
        },
    ]
}

#[test]
fn correct_kernel_passes_the_hand_written_sequence() {
    check_sequence(&map_then_unmap(), None).expect("no divergence without the mutation");
}

#[test]
fn wrong_unmap_is_caught() {
    let d = check_sequence(&map_then_unmap(), Some(Mutation::UnmapSkipsDerived))
        .expect_err("the wrong unmap went unnoticed");
    eprintln!("{d}");
    assert_eq!(d.step, 3, "caught right at the unmap");
    assert!(d.what.contains("mapping tree differs"), "{}", d.what);
    assert!(matches!(d.op, Op::Unmap { .. }));
    let _ = Error::InvalidFpage;
}

#[test]
fn wrong_unmap_is_caught_by_generated_sequences() {
    let mut caught = 0;
    for k in 0..200u64 {
        let seq: Vec<Op> = (0..120)
            .map(|i| gen::op_at(gen::op_seed(0xBAD, k), i, Profile::Host))
            .collect();
        if check_sequence(&seq, Some(Mutation::UnmapSkipsDerived)).is_err() {
            caught += 1;
        }
    }
    eprintln!("the wrong unmap diverged in {caught} of 200 generated sequences");
    assert!(
        caught >= 10,
        "only {caught} of 200 sequences noticed the wrong unmap"
    );
}
