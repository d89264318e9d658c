//! The cross-check: run operations through the spec and through the
//! kernel's portable core ([`crate::harness`]) side by side, and after every
//! operation compare the records (who runs, what each thread sees, what
//! accesses read) and the abstract state: threads, spaces, the mapping tree
//! and the page tables it implies, wait and ready queues, timeouts, time,
//! interrupt lines, frame contents and free kernel memory.
//!
//! Thread ids are compared as they are (the spec takes each new id from the
//! kernel and checks it is fresh); spaces and mapping nodes, which have no
//! ids in the ABI, are matched through the threads in them and through
//! (space, page).

use crate::harness::{frame_of, Harness, Memory, Mutation};
use crate::state::{Kind, Limits, State, TState};
use l4_abi::ThreadId;
use microkernel::snapshot::Snapshot;
use microkernel::thread::{Kind as KKind, State as KState};
use spec_ops::{Op, Record};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Kernel memory of the host cross-check: small, so that running out of
/// thread slots, spaces and mapping nodes happens in generated sequences.
pub const HOST_LIMITS: Limits = Limits {
    thread_slots: 24,
    spaces: 6,
    nodes: 64,
};

/// Where and how the spec and the kernel disagreed.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// Index of the operation in the sequence.
    pub step: usize,
    pub op: Op,
    pub what: String,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "divergence at operation {} ({:?}):\n{}",
            self.step, self.op, self.what
        )
    }
}

/// Run `ops` through both; Ok(operations executed: taken by a thread, or a
/// tick or interrupt) or the first divergence.
pub fn check_sequence(ops: &[Op], mutation: Option<Mutation>) -> Result<usize, Divergence> {
    let mut mem = Memory::new(HOST_LIMITS);
    let mut h = Harness::new(&mut mem);
    h.mutation = mutation;
    let mut spec = State::world(HOST_LIMITS, &h.ids);
    let mut executed = 0;
    for (step, op) in ops.iter().enumerate() {
        let fail = |what: String| Divergence {
            step,
            op: *op,
            what,
        };
        let (got, created) = h.step(op);
        spec.next_ids.extend(created);
        let want = spec.step(op);
        executed += got
            .iter()
            .filter(|r| matches!(r, Record::Run(_) | Record::Event))
            .count();
        compare_records(&want, &got, true).map_err(fail)?;
        if let Some(v) = spec.violations.first() {
            return Err(fail(v.clone()));
        }
        let memory = h.memory();
        let host_masked = h.k.m.masked;
        compare_state(&spec, &h.snapshot(), h.boot, &memory, host_masked).map_err(fail)?;
    }
    Ok(executed)
}

/// Compare predicted and observed records of one operation (or a whole
/// QEMU round); the error shows both lists.
pub fn compare_records(want: &[crate::Expect], got: &[Record], exact: bool) -> Result<(), String> {
    let ok = want.len() == got.len() && want.iter().zip(got).all(|(w, g)| w.matches(g, exact));
    if ok {
        return Ok(());
    }
    let mut s = String::from("records differ (spec | kernel):\n");
    for i in 0..want.len().max(got.len()) {
        let w = want.get(i).map_or("-".to_string(), |w| w.to_string());
        let g = got.get(i).map_or("-".to_string(), |g| g.to_string());
        let mark = match (want.get(i), got.get(i)) {
            (Some(a), Some(b)) if a.matches(b, exact) => " ",
            _ => "*",
        };
        let _ = writeln!(s, "{mark} {w:<60} | {g}");
    }
    Err(s)
}

/// The quick test: does the kernel's thread agree with the spec's? (The
/// detailed comparison, which names the differences, runs only when not.)
fn thread_matches(
    s: &State,
    st: &crate::state::Thread,
    kt: &microkernel::snapshot::ThreadView,
    kregs: &[u32; 7],
) -> bool {
    let f = &kt.frame;
    let senders: Vec<ThreadId> = st.senders.iter().map(|&i| s.threads[i].id).collect();
    let mrs_ok = match (st.utcb, kt.mrs.is_empty()) {
        (Some(_), false) => {
            st.mrs[4..]
                .iter()
                .zip(&kt.mrs[4..])
                .all(|(w, &v)| w.matches(v, true))
                && st.acceptor == kt.acceptor
        }
        (None, true) => kt.acceptor == 0,
        _ => false,
    };
    Some(st.state) == kstate(kt.state)
        && st.kind == kkind(kt.kind)
        && (st.halted, st.raise, st.prio, st.remaining, st.timeslice)
            == (kt.halted, kt.raise, kt.prio, kt.remaining, kt.timeslice)
        && st.utcb == kt.utcb_slot.map(|x| x as u32)
        && (st.pager, st.exc_handler, st.partner, st.deadline)
            == (kt.pager, kt.exc_handler, kt.partner, kt.deadline)
        && senders == kt.senders
        && st
            .frame
            .gpr
            .iter()
            .zip(kregs)
            .all(|(w, &v)| w.matches(v, true))
        && (
            st.frame.eip.v,
            st.frame.esp.v,
            st.frame.eflags.v,
            st.frame.vector,
            st.frame.error,
        ) == (f.eip, f.esp, f.eflags, f.vector, f.error)
        && mrs_ok
        && st.tls == kt.tls
        && st.segs.v == kt.segs
}

fn kstate(s: KState) -> Option<TState> {
    match s {
        KState::Free => None,
        KState::Inactive => Some(TState::Inactive),
        KState::Ready => Some(TState::Ready),
        KState::SendBlocked => Some(TState::SendBlocked),
        KState::RecvBlocked => Some(TState::RecvBlocked),
    }
}

fn kkind(k: KKind) -> Kind {
    match k {
        KKind::Normal => Kind::Normal,
        KKind::PageFault => Kind::PageFault,
        KKind::Exception => Kind::Exception,
    }
}

/// A mapping as both sides can name it: (space, page) -> (frame, rights,
/// parent's (space, page)).
type MapView = BTreeMap<(usize, u32), (u32, u32, Option<(usize, u32)>)>;

/// Compare the spec's state with a kernel snapshot.
/// `boot` is the kernel's unmodelled boot thread of the root space.
pub fn compare_state(
    s: &State,
    k: &Snapshot,
    boot: ThreadId,
    memory: &[u32],
    masked: u16,
) -> Result<(), String> {
    let mut diffs = Vec::new();
    let mut diff = |what: String| diffs.push(what);
    let ids = |v: &[usize]| v.iter().map(|&i| s.threads[i].id).collect::<Vec<_>>();

    // threads (the kernel's unmodelled boot thread is left out)
    let kthreads: BTreeMap<u32, _> = k
        .threads
        .iter()
        .filter(|t| t.id != boot)
        .map(|t| (t.id.0, t))
        .collect();
    let sthreads: BTreeMap<u32, _> = s
        .threads
        .iter()
        .enumerate()
        .filter(|(_, t)| t.alive)
        .map(|(i, t)| (t.id.0, (i, t)))
        .collect();
    if kthreads.keys().ne(sthreads.keys()) {
        diff(format!(
            "live threads: spec {:x?}, kernel {:x?}",
            sthreads.keys().collect::<Vec<_>>(),
            kthreads.keys().collect::<Vec<_>>()
        ));
    }
    // spaces are matched through the threads in them
    let mut space_map: BTreeMap<u16, usize> = BTreeMap::new();
    if let Some(b) = k.threads.iter().find(|t| t.id == boot) {
        space_map.insert(b.space, 0);
    }
    for (id, kt) in &kthreads {
        let Some((n, st)) = sthreads.get(id) else {
            continue;
        };
        let name = format!("thread {n} ({:?})", st.id);
        if let Some(&prev) = space_map.get(&kt.space) {
            if prev != st.space {
                diff(format!(
                    "{name}: in spec space {} but shares a kernel space with spec space {prev}",
                    st.space
                ));
            }
        } else {
            space_map.insert(kt.space, st.space);
        }
        let f = &kt.frame;
        let kregs = [f.eax, f.ebx, f.ecx, f.edx, f.esi, f.edi, f.ebp];
        if thread_matches(s, st, kt, &kregs) {
            continue;
        }
        let checks: [(&str, String, String); 19] = [
            (
                "state",
                format!("{:?}", Some(st.state)),
                format!("{:?}", kstate(kt.state)),
            ),
            (
                "kind",
                format!("{:?}", st.kind),
                format!("{:?}", kkind(kt.kind)),
            ),
            ("halted", st.halted.to_string(), kt.halted.to_string()),
            ("raise", st.raise.to_string(), kt.raise.to_string()),
            ("prio", st.prio.to_string(), kt.prio.to_string()),
            (
                "timeslice",
                format!("{}/{}", st.remaining, st.timeslice),
                format!("{}/{}", kt.remaining, kt.timeslice),
            ),
            (
                "utcb slot",
                format!("{:?}", st.utcb),
                format!("{:?}", kt.utcb_slot.map(|x| x as u32)),
            ),
            (
                "pager",
                format!("{:?}", st.pager),
                format!("{:?}", kt.pager),
            ),
            (
                "exception handler",
                format!("{:?}", st.exc_handler),
                format!("{:?}", kt.exc_handler),
            ),
            (
                "partner",
                format!("{:?}", st.partner),
                format!("{:?}", kt.partner),
            ),
            ("deadline", st.deadline.to_string(), kt.deadline.to_string()),
            (
                "sender queue",
                format!("{:?}", ids(&st.senders.iter().copied().collect::<Vec<_>>())),
                format!("{:?}", kt.senders),
            ),
            (
                "registers",
                format!(
                    "{:x?}",
                    st.frame
                        .gpr
                        .iter()
                        .zip(kregs)
                        .map(|(w, v)| if w.matches(v, true) { v } else { w.v })
                        .collect::<Vec<_>>()
                ),
                format!("{kregs:x?}"),
            ),
            (
                "eip/esp/eflags",
                format!(
                    "{:x} {:x} {:x}",
                    st.frame.eip.v, st.frame.esp.v, st.frame.eflags.v
                ),
                format!("{:x} {:x} {:x}", f.eip, f.esp, f.eflags),
            ),
            (
                "vector/error",
                format!("{:x} {:x}", st.frame.vector, st.frame.error),
                format!("{:x} {:x}", f.vector, f.error),
            ),
            (
                "UTCB MR4..63",
                if st.utcb.is_some() {
                    let k = if kt.mrs.is_empty() {
                        vec![0; 64]
                    } else {
                        kt.mrs.clone()
                    };
                    format!(
                        "{:x?}",
                        st.mrs[4..]
                            .iter()
                            .zip(&k[4..])
                            .map(|(w, &v)| if w.matches(v, true) { v } else { w.v })
                            .collect::<Vec<_>>()
                    )
                } else {
                    "-".into()
                },
                if kt.mrs.is_empty() {
                    "-".into()
                } else {
                    format!("{:x?}", &kt.mrs[4..])
                },
            ),
            (
                "acceptor",
                format!("{:x}", if st.utcb.is_some() { st.acceptor } else { 0 }),
                format!("{:x}", kt.acceptor),
            ),
            ("tls", format!("{:x?}", st.tls), format!("{:x?}", kt.tls)),
            (
                "fs/gs",
                format!("{:x}", st.segs.v),
                format!("{:x}", kt.segs),
            ),
        ];
        for (what, a, b) in checks {
            if a != b {
                diff(format!("{name}: {what}: spec {a}, kernel {b}"));
            }
        }
    }
    // spaces
    for ks in &k.spaces {
        let Some(&sp) = space_map.get(&ks.index) else {
            diff(format!("kernel space {} has no modelled thread", ks.index));
            continue;
        };
        let ss = &s.spaces[sp];
        let owner = ks.owner.map(|o| space_map.get(&o).copied());
        let checks = [
            ("alive", true.to_string(), ss.alive.to_string()),
            (
                "owner",
                format!("{:?}", ss.owner.filter(|&o| s.spaces[o].alive).map(Some)),
                format!("{owner:?}"),
            ),
            (
                "privileged",
                ss.privileged.to_string(),
                ks.privileged.to_string(),
            ),
            ("threads", ss.threads.to_string(), ks.threads.to_string()),
            (
                "UTCB slots",
                format!("{:?}", ss.utcb_used.iter().collect::<Vec<_>>()),
                format!("{:?}", ks.utcb_slots.iter().collect::<Vec<_>>()),
            ),
            (
                "I/O ports",
                format!(
                    "{:?}",
                    ss.io.as_ref().map(|b| (0..b.len() as u32)
                        .filter(|&p| b[p as usize])
                        .collect::<Vec<_>>())
                ),
                format!("{:?}", ks.io_ports),
            ),
        ];
        for (what, a, b) in checks {
            if a != b {
                diff(format!("space {sp}: {what}: spec {a}, kernel {b}"));
            }
        }
    }
    if k.spaces.len() != s.live_spaces() {
        diff(format!(
            "live spaces: spec {}, kernel {}",
            s.live_spaces(),
            k.spaces.len()
        ));
    }
    // the mapping tree, and the page tables it implies
    let mut smaps = MapView::new();
    for n in s.nodes.values() {
        let parent = n.parent.map(|p| (s.nodes[&p].space, s.nodes[&p].vpn));
        smaps.insert((n.space, n.vpn), (n.frame, n.rights, parent));
    }
    let mut kmaps = MapView::new();
    let knode = |i: u32| k.nodes.iter().find(|n| n.index == i);
    for n in &k.nodes {
        let sp = space_map.get(&n.space).copied().unwrap_or(usize::MAX);
        let parent = n.parent.and_then(knode).map(|p| {
            (
                space_map.get(&p.space).copied().unwrap_or(usize::MAX),
                p.vpn,
            )
        });
        kmaps.insert(
            (sp, n.vpn),
            (frame_of(n.pfn).unwrap_or(u32::MAX), n.rights as u32, parent),
        );
    }
    if smaps != kmaps {
        let mut d =
            String::from("mapping tree differs ((space, page): (frame, rights, parent)):\n");
        for key in smaps
            .keys()
            .chain(kmaps.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let (a, b) = (smaps.get(key), kmaps.get(key));
            if a != b {
                let _ = writeln!(d, "  {key:x?}: spec {a:x?}, kernel {b:x?}");
            }
        }
        diff(d);
    }
    for ks in &k.spaces {
        let Some(&sp) = space_map.get(&ks.index) else {
            continue;
        };
        let want: Vec<(u32, u32, bool)> = smaps
            .iter()
            .filter(|((s2, _), _)| *s2 == sp)
            .map(|((_, vpn), (frame, r, _))| {
                (
                    *vpn,
                    crate::harness::pfn_of(*frame),
                    r & l4_abi::msg::rights::W != 0,
                )
            })
            .collect();
        if want != ks.ptes {
            diff(format!(
                "space {sp}: page table {:x?}, mapping tree says {want:x?}",
                ks.ptes
            ));
        }
    }
    // scheduling
    let sready: Vec<(u8, Vec<_>)> = (0..crate::state::PRIOS)
        .rev()
        .filter(|&p| !s.ready[p].is_empty())
        .map(|p| {
            (
                p as u8,
                ids(&s.ready[p].iter().copied().collect::<Vec<_>>()),
            )
        })
        .collect();
    if sready != k.ready {
        diff(format!(
            "ready queues: spec {sready:?}, kernel {:?}",
            k.ready
        ));
    }
    let id_of = |x: Option<usize>| x.map(|i| s.threads[i].id);
    for (what, a, b) in [
        ("current", id_of(s.current), k.current),
        ("woken", id_of(s.woken), k.woken),
        ("donee", id_of(s.donee), k.donee),
    ] {
        if a != b {
            diff(format!("{what}: spec {a:?}, kernel {b:?}"));
        }
    }
    if ids(&s.timeouts) != k.timeouts {
        diff(format!(
            "timeout list: spec {:?}, kernel {:?}",
            ids(&s.timeouts),
            k.timeouts
        ));
    }
    if s.now != k.now {
        diff(format!("time: spec {}, kernel {}", s.now, k.now));
    }
    // interrupts
    if s.irq_handler != k.irq_handler
        || s.irq_pending != k.irq_pending
        || s.irq_in_service != k.irq_in_service
        || s.irq_masked != masked
    {
        diff(format!(
            "interrupts: spec handlers {:?} pending {:#x} in service {:#x} masked {:#x}; kernel {:?} {:#x} {:#x} {:#x}",
            s.irq_handler, s.irq_pending, s.irq_in_service, s.irq_masked, k.irq_handler, k.irq_pending, k.irq_in_service, masked
        ));
    }
    if s.memory != memory {
        diff(format!(
            "frame contents: spec {:x?}, kernel {memory:x?}",
            s.memory
        ));
    }
    let (_, threads, nodes, spaces) = k.free;
    let want = (
        (s.limits.thread_slots - s.live_threads() - s.unmodelled_threads) as u32,
        (s.limits.nodes - s.nodes.len()) as u32,
        (s.limits.spaces - s.live_spaces()) as u32,
    );
    if want != (threads, nodes, spaces) {
        diff(format!(
            "free thread slots, nodes, spaces: spec {want:?}, kernel {:?}",
            (threads, nodes, spaces)
        ));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join("\n"))
    }
}
