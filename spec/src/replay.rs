//! The QEMU replay, host side: what the spec predicts for a round of the
//! `spec-replay` mode of the roottask, and the comparison with what the
//! round printed.
//!
//! A replay run is `rounds` rounds of [`ROUND_OPS`] operations of the QEMU
//! profile; round `r` uses the sequence [`round_seed`]`(seed, r)` and starts
//! from the world of `spec_ops::world` again. The replay task prints, per
//! round, the ids of the threads it created (in creation order) and the
//! records; the prediction takes the ids from there (the kernel's choice,
//! checked to be fresh) and everything else from the spec.

use crate::compare::compare_records;
use crate::state::{Limits, State};
use crate::Expect;
use l4_abi::ThreadId;
use spec_ops::{gen, Profile, Record};

pub use spec_ops::gen::{round_seed, ROUND_OPS};

/// Kernel limits as far as a replay round can reach them: none (the real
/// kernel has 1024 thread slots, 512 spaces and thousands of nodes; a round
/// creates at most `MAX_CREATED` threads in one space).
pub const QEMU_LIMITS: Limits = Limits {
    thread_slots: 1 << 20,
    spaces: 1 << 20,
    nodes: 1 << 20,
};

/// Operations of round `r`.
pub fn round_ops(seed: u64, r: u64) -> Vec<spec_ops::Op> {
    let s = round_seed(seed, r);
    (0..ROUND_OPS as u64)
        .map(|i| gen::op_at(s, i, Profile::Qemu))
        .collect()
}

/// One round as the replay task reported it.
#[derive(Clone, Debug, Default)]
pub struct Round {
    pub ids: Vec<ThreadId>,
    pub records: Vec<Record>,
}

/// The spec's records for round `r`, given the thread ids the kernel
/// handed out (the initial threads first).
pub fn predict(seed: u64, r: u64, ids: &[ThreadId]) -> Result<Vec<Expect>, String> {
    let n = spec_ops::world::INITIAL_THREADS;
    if ids.len() < n {
        return Err(format!(
            "the round reported {} thread ids, fewer than the {n} initial threads",
            ids.len()
        ));
    }
    let mut s = State::world(QEMU_LIMITS, &ids[..n]);
    s.unmodelled_threads = 0;
    s.next_ids.extend(ids[n..].iter().copied());
    let mut out = Vec::new();
    for op in round_ops(seed, r) {
        out.extend(s.step(&op));
    }
    if let Some(v) = s.violations.first() {
        return Err(v.clone());
    }
    if !s.next_ids.is_empty() {
        return Err(format!(
            "the kernel created {} threads more than the spec",
            s.next_ids.len()
        ));
    }
    Ok(out)
}

/// Compare a reported round with the prediction.
pub fn check_round(seed: u64, r: u64, round: &Round) -> Result<usize, String> {
    let want = predict(seed, r, &round.ids)?;
    compare_records(&want, &round.records, false).map(|_| round.records.len())
}

/// What a replay run printed: its rounds in order, and the summary line's
/// executed-operation count.
#[derive(Clone, Debug, Default)]
pub struct Output {
    pub rounds: Vec<Round>,
    pub done: Option<usize>,
}

/// Parse the console of a replay run (lines other than `SPEC ...` are
/// ignored: the kernel's own messages, the boot log).
pub fn parse(console: &str) -> Result<Output, String> {
    let mut out = Output::default();
    let mut open: Option<Round> = None;
    for (no, line) in console.lines().enumerate() {
        let Some(rest) = line.trim_end().strip_prefix("SPEC ") else {
            continue;
        };
        let bad = |what: &str| format!("line {}: {what}: {line}", no + 1);
        if let Some(r) = rest.strip_prefix("round ") {
            let mut w = r.split_ascii_whitespace();
            let n: usize = w
                .next()
                .and_then(|x| x.parse().ok())
                .ok_or_else(|| bad("round number"))?;
            match w.next() {
                Some("ids") => {
                    if n != out.rounds.len() || open.is_some() {
                        return Err(bad("round out of order"));
                    }
                    let ids = w
                        .map(|x| u32::from_str_radix(x, 16).map(ThreadId))
                        .collect::<Result<Vec<_>, _>>();
                    open = Some(Round {
                        ids: ids.map_err(|_| bad("thread id"))?,
                        records: Vec::new(),
                    });
                }
                Some("end") => out.rounds.push(
                    open.take()
                        .ok_or_else(|| bad("end of a round that did not start"))?,
                ),
                Some("overflow") => return Err(bad("the round's record buffer overflowed")),
                _ => return Err(bad("unknown round line")),
            }
        } else if let Some(d) = rest.strip_prefix("DONE ") {
            let executed = d
                .split_ascii_whitespace()
                .find_map(|w| w.strip_prefix("executed="))
                .and_then(|x| x.parse().ok());
            out.done = Some(executed.ok_or_else(|| bad("summary"))?);
        } else if rest.starts_with("FAILED") {
            return Err(bad("the replay task failed"));
        } else {
            let (n, rec) = rest.split_once(' ').ok_or_else(|| bad("record"))?;
            let round = open
                .as_mut()
                .filter(|_| n.parse() == Ok(out.rounds.len()))
                .ok_or_else(|| bad("record outside its round"))?;
            round
                .records
                .push(Record::parse(rec).ok_or_else(|| bad("unreadable record"))?);
        }
    }
    Ok(out)
}

/// Summary of a replay checked against the spec.
#[derive(Clone, Copy, Debug, Default)]
pub struct Checked {
    pub rounds: usize,
    /// Operations a thread took (the rest met an idle round).
    pub executed: usize,
    pub records: usize,
}

/// Check every round of a replay run's console against the spec.
pub fn check_output(seed: u64, console: &str, ops: usize) -> Result<Checked, String> {
    let out = parse(console)?;
    let want = ops.div_ceil(ROUND_OPS);
    if out.done.is_none() || out.rounds.len() != want {
        return Err(format!(
            "the replay printed {} of {want} rounds and {} summary",
            out.rounds.len(),
            if out.done.is_some() { "a" } else { "no" }
        ));
    }
    let mut c = Checked::default();
    for (r, round) in out.rounds.iter().enumerate() {
        check_round(seed, r as u64, round)
            .map_err(|e| format!("round {r} (seed {:#x}): {e}", round_seed(seed, r as u64)))?;
        c.rounds += 1;
        c.records += round.records.len();
        c.executed += round
            .records
            .iter()
            .filter(|x| matches!(x, Record::Run(_)))
            .count();
    }
    Ok(c)
}
