//! Coverage statistics of generated sequences: how often each kind of
//! record appears and how many operations find nothing running.
use spec::State;
use spec_ops::{gen, Profile};
use std::collections::BTreeMap;

fn main() {
    let profile = if std::env::args().any(|a| a == "qemu") {
        Profile::Qemu
    } else {
        Profile::Host
    };
    let seq: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(120);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut errs: BTreeMap<u32, usize> = BTreeMap::new();
    let mut live_at_end = 0;
    let mut first_idle = 0;
    let mut items: BTreeMap<String, usize> = BTreeMap::new();
    let (mut derived, mut moved) = (0usize, 0usize);
    let mut why: BTreeMap<String, usize> = BTreeMap::new();
    let n = 500;
    for k in 0..n {
        let s = gen::op_seed(0x5EC_0001, k);
        if std::env::var("TRACE").is_ok() {
            eprintln!("sequence seed {s:x}");
        }
        let ids: Vec<_> = (0..4).map(|n| l4_abi::ThreadId::new(33 + n, 1)).collect();
        let mut st = State::world(spec::compare::HOST_LIMITS, &ids);
        let mut idle_seen = false;
        for i in 0..seq as u64 {
            let op = gen::op_at(s, i, profile);
            if matches!(op, spec_ops::Op::Create { .. }) {
                st.next_ids
                    .push_back(l4_abi::ThreadId::new(40 + i as u32, 1 + k as u32));
            }
            let me = st.current;
            let recs = st.step(&op);
            if let (spec_ops::Op::Ipc(m), Some(me)) = (&op, me) {
                if l4_abi::MsgTag(m.tag).typed() >= 2 && m.to != spec_ops::Tref::Nil {
                    let code = recs.iter().find_map(|r| match r {
                        spec::Expect::Resume { t, regs, .. } if *t as usize == me => {
                            Some(regs[2].v)
                        }
                        _ => None,
                    });
                    *items.entry(format!("{code:?}")).or_default() += 1;
                }
            }
            if recs == [spec::Expect::Idle] && !idle_seen {
                idle_seen = true;
                first_idle += i as usize;
                for t in st.threads.iter().filter(|t| t.alive) {
                    let key = format!(
                        "{:?}{} {:?} to={:?}",
                        t.state,
                        if t.halted { "+halted" } else { "" },
                        t.kind,
                        t.partner.0 == u32::MAX
                    );
                    *why.entry(key).or_default() += 1;
                }
            }
            derived += st.nodes.values().filter(|n| n.parent.is_some()).count();
            moved += st
                .nodes
                .iter()
                .filter(|(k, n)| **k < 16 && n.vpn != 0x40000 + **k)
                .count();
            for r in recs {
                let key = r.to_string().split(' ').next().unwrap().to_string();
                *counts.entry(key).or_default() += 1;
                if let spec::Expect::Resume { regs, .. } = r {
                    *errs.entry(regs[2].v).or_default() += 1;
                }
            }
        }
        live_at_end += st.live_threads();
    }
    println!("{profile:?}, {n} sequences of {seq}: records {counts:?}");
    println!("ecx values at resume: {errs:?}");
    println!(
        "average live threads at the end: {}",
        live_at_end as f64 / n as f64
    );
    println!(
        "derived mappings per op (avg): {}, granted roots per op: {}",
        derived as f64 / (n as f64 * seq as f64),
        moved as f64 / (n as f64 * seq as f64)
    );
    println!("sends with items, sender's code in the same op: {items:?}");
    println!("average first idle op: {}", first_idle as f64 / n as f64);
    println!("thread states at the first idle: {why:#?}");
}
