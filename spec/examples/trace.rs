//! Print the records of one generated sequence of the spec (debugging aid):
//! `cargo run -p spec --example trace -- SEED [qemu]`.
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
    let given: Vec<l4_abi::ThreadId> = std::env::var("IDS")
        .map(|v| {
            v.split(',')
                .map(|x| l4_abi::ThreadId(u32::from_str_radix(x, 16).expect("hex id")))
                .collect()
        })
        .unwrap_or_default();
    let ids: Vec<_> = if given.len() >= 4 {
        given[..4].to_vec()
    } else {
        (0..4).map(|n| l4_abi::ThreadId::new(33 + n, 1)).collect()
    };
    let mut st = State::world(spec::compare::HOST_LIMITS, &ids);
    if given.len() > 4 {
        st.next_ids.extend(given[4..].iter().copied());
    }
    for i in 0..120u64 {
        let op = gen::op_at(seed, i, profile);
        if given.is_empty() && matches!(op, spec_ops::Op::Create { .. }) {
            st.next_ids
                .push_back(l4_abi::ThreadId::new(40 + i as u32, 1));
        }
        println!("{i:3}: {op:?}");
        for r in st.step(&op) {
            println!("       {r}");
        }
        if std::env::var("STATES").is_ok() {
            println!(
                "         current {:?} ready {:?}",
                st.current,
                (0..256)
                    .rev()
                    .filter(|&p| !st.ready[p].is_empty())
                    .map(|p| (p, st.ready[p].clone()))
                    .collect::<Vec<_>>()
            );
            for (n, t) in st.threads.iter().enumerate().filter(|(_, t)| t.alive) {
                println!(
                    "         #{n} {:?} {:?} {:?}{} prio {} partner {:?} from {:?} senders {:?} cont {:?} pager {:?}",
                    t.id, t.state, t.kind, if t.halted { " halted" } else { "" }, t.prio, t.partner, t.recv_from, t.senders, t.cont, t.pager
                );
            }
        }
    }
}
