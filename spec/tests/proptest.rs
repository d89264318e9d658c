//! Property-based cross-check: proptest generates operation sequences
//! (each operation from a 64-bit seed through the shared generator, so the
//! sequences mean the same as the seeded and QEMU ones) and shrinks a
//! failing one to a short list of operations, printed one a line. The run is
//! deterministic (`SPEC_SEED` picks another).

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use spec::compare::check_sequence;
use spec::harness::Mutation;
use spec_ops::{gen, Op, Profile};

fn seed() -> u64 {
    std::env::var("SPEC_SEED")
        .ok()
        .and_then(|v| {
            let v = v.trim();
            v.strip_prefix("0x")
                .map_or_else(|| v.parse().ok(), |h| u64::from_str_radix(h, 16).ok())
        })
        .unwrap_or(0x5EC_0001)
}

fn sequences(profile: Profile) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        any::<u64>().prop_map(move |s| gen::generate(s, profile)),
        1..150,
    )
    .prop_map(|ops| {
        let mut all = gen::prologue().to_vec();
        all.extend(ops);
        all
    })
}

/// Run proptest over sequences; Err(shrunk sequence, reason) on a failure.
pub fn search(
    cases: u32,
    profile: Profile,
    mutation: Option<Mutation>,
) -> Result<(), (Vec<Op>, String)> {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    };
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed().to_le_bytes());
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    let r = runner.run(&sequences(profile), |ops| {
        check_sequence(&ops, mutation)
            .map(|_| ())
            .map_err(|d| TestCaseError::fail(d.to_string()))
    });
    match r {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, ops)) => Err((ops, reason.to_string())),
        Err(TestError::Abort(reason)) => Err((Vec::new(), reason.to_string())),
    }
}

/// A shrunk counterexample, readably.
pub fn report(ops: &[Op], reason: &str) -> String {
    let list: String = ops
        .iter()
        .enumerate()
        .map(|(i, op)| format!("  {i:3}: {op:?}\n"))
        .collect();
    format!(
        "minimal failing sequence ({} operations):\n{list}{reason}",
        ops.len()
    )
}

#[test]
fn proptest_host_profile() {
    if let Err((ops, reason)) = search(250, Profile::Host, None) {
        panic!("{}", report(&ops, &reason));
    }
}

#[test]
fn proptest_qemu_profile() {
    if let Err((ops, reason)) = search(100, Profile::Qemu, None) {
        panic!("{}", report(&ops, &reason));
    }
}

/// The honesty check through proptest: with the kernel's unmap mutated to
/// skip one derived mapping, proptest must find a failing sequence and
/// shrink it to a few operations (the report is printed with
/// `--nocapture`).
#[test]
fn proptest_finds_a_wrong_unmap() {
    let (ops, reason) = search(400, Profile::Host, Some(Mutation::UnmapSkipsDerived))
        .expect_err("the wrong unmap went unnoticed");
    eprintln!("the mutated kernel was caught; {}", report(&ops, &reason));
    assert!(
        ops.iter().any(|op| matches!(op, Op::Unmap { .. })),
        "the counterexample has no unmap"
    );
    assert!(ops.len() <= 12, "shrinking left {} operations", ops.len());
}
