//! Run one generated sequence through the spec and the kernel side by side
//! and print both records for every operation (debugging aid):
//! `cargo run -p spec --example diverge -- SEED [qemu]`.
use spec::harness::{Harness, Memory};
use spec::State;
use spec_ops::{gen, Profile};

fn main() {
    let seed = std::env::args()
        .nth(1)
        .map(|a| u64::from_str_radix(a.trim_start_matches("0x"), 16).expect("hex seed"))
        .unwrap_or(1);
    let profile = if std::env::args().any(|a| a == "qemu") {
        Profile::Qemu
    } else {
        Profile::Host
    };
    let limits = spec::compare::HOST_LIMITS;
    let mut mem = Memory::new(limits);
    let mut h = Harness::new(&mut mem);
    let mut s = State::world(limits, &h.ids);
    for i in 0..120u64 {
        let op = gen::op_at(seed, i, profile);
        let (got, created) = h.step(&op);
        s.next_ids.extend(created);
        let want = s.step(&op);
        println!("{i:3}: {op:?}");
        for k in 0..want.len().max(got.len()) {
            let w = want.get(k).map_or("-".into(), |w| w.to_string());
            let g = got.get(k).map_or("-".into(), |g| g.to_string());
            println!(
                "     {} {w:<70} | {g}",
                if w.replace('?', "") == g { " " } else { "*" }
            );
        }
        let memory = h.memory();
        let masked = h.k.m.masked;
        if let Err(e) = spec::compare::compare_state(&s, &h.snapshot(), h.boot, &memory, masked) {
            println!("state differs:\n{e}");
            break;
        }
    }
}
