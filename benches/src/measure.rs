//! Warm-up, repetitions and the per-operation figures.
//!
//! A benchmark body `f(n)` performs `n` iterations and returns the cycles it
//! measured (usually `rdtsc` around the loop, leaving out per-repetition
//! setup such as creating a mapping). [`measure`] runs it once with
//! `plan.warmup` iterations (discarded), then `plan.reps` times with
//! `plan.iters`; each repetition gives one sample, cycles per operation.

use crate::os::{Fail, Res};
use crate::report::{per_op, summarize, Line, Spec};
use linux_rt::rdtsc;

/// How much to run.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Iterations run first and thrown away (0: none).
    pub warmup: u32,
    /// Repetitions measured, at most [`MAX_REPS`].
    pub reps: u32,
    /// Iterations per repetition.
    pub iters: u32,
}

pub const MAX_REPS: usize = 31;

/// The samples of one benchmark.
pub struct Samples {
    per_op: [u64; MAX_REPS],
    reps: usize,
    iters: u32,
}

impl Samples {
    /// The `BENCH` line for these samples.
    pub fn line(&mut self, spec: &'static Spec) -> Option<Line<'static>> {
        let summary = summarize(&mut self.per_op[..self.reps])?;
        Some(Line { name: spec.name, summary, unit: spec.unit, iters: self.iters as u64, reps: self.reps as u64 })
    }
}

/// Run the plan; each iteration of `f` counts `ops_per_iter` operations.
pub fn measure(plan: Plan, ops_per_iter: u32, mut f: impl FnMut(u32) -> Res<u64>) -> Res<Samples> {
    let reps = (plan.reps as usize).clamp(1, MAX_REPS);
    let iters = plan.iters.max(1);
    if plan.warmup > 0 {
        f(plan.warmup)?;
    }
    let mut s = Samples { per_op: [0; MAX_REPS], reps, iters };
    let ops = iters as u64 * ops_per_iter.max(1) as u64;
    for i in 0..reps {
        s.per_op[i] = per_op(f(iters)?, ops);
    }
    Ok(s)
}

/// Cycles `body` takes.
#[inline(always)]
pub fn timed(body: impl FnOnce() -> Res<()>) -> Res<u64> {
    let t0 = rdtsc();
    body()?;
    Ok(rdtsc().wrapping_sub(t0))
}

/// `Err` unless `got == want`.
#[inline(always)]
pub fn expect(got: isize, want: isize, what: &'static str) -> Res<()> {
    if got == want {
        Ok(())
    } else if got < 0 {
        Err(Fail::Sys(what, got))
    } else {
        Err(Fail::Bad(what, got as i64))
    }
}
