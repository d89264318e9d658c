//! The benchmark catalogue, the `BENCH` line format and the statistics,
//! shared by the guest programs and the host harness: `xtask/src/bench.rs`
//! includes this file with `#[path]`, so it uses `core` only and its unit
//! tests run on the host with `cargo test -p xtask`.
//!
//! One result line per benchmark:
//!
//! ```text
//! BENCH <name> median=<n> min=<n> max=<n> unit=<unit> iters=<n> reps=<n>
//! ```
//!
//! `median`, `min` and `max` are whole cycles per operation over the `reps`
//! repetitions of `iters` iterations each (time-stamp counter; under QEMU's
//! `-icount shift=0` one cycle is one guest instruction). A benchmark that
//! cannot run prints `BENCH-FAIL <name>: <reason>` instead. The program
//! starts with `BENCH-BEGIN ...` and ends with `BENCH-END ok=<n> failed=<n>`.

use core::fmt;

/// One benchmark of the suite: its name (as on the command line and in the
/// `BENCH` line), the unit of its figures and what one operation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    pub name: &'static str,
    pub unit: &'static str,
    pub what: &'static str,
}

const fn spec(name: &'static str, unit: &'static str, what: &'static str) -> Spec {
    Spec { name, unit, what }
}

/// Every benchmark, in the order the suite runs and the tables list them.
pub const CATALOG: &[Spec] = &[
    spec("getppid", "cycles/op", "null system call: getppid()"),
    spec("read-zero", "cycles/op", "read 1 byte from /dev/zero"),
    spec("write-null", "cycles/op", "write 1 byte to /dev/null"),
    spec("stat", "cycles/op", "stat64() of a file in /tmp"),
    spec("fstat", "cycles/op", "fstat64() of an open file"),
    spec("open-close", "cycles/op", "open() + close() of a file in /tmp"),
    spec("pipe-lat", "cycles/round-trip", "1 byte to a child and back over two pipes"),
    spec("pipe-bw", "cycles/64KiB", "64 KiB write() into a pipe, read by a child"),
    spec("fork-exit", "cycles/op", "fork(), child exit_group(0), parent wait4()"),
    spec("fork-exec", "cycles/op", "fork(), child execve(bench-child), exit, wait4()"),
    spec("ctx-2", "cycles/switch", "token passing in a ring of 2 processes over pipes"),
    spec("ctx-8", "cycles/switch", "token passing in a ring of 8 processes over pipes"),
    spec("pagefault", "cycles/page", "first write to a fresh anonymous mmap page"),
    spec("sigaction", "cycles/op", "rt_sigaction() installing a handler"),
    spec("signal", "cycles/op", "kill(self), handler runs, rt_sigreturn"),
    spec("aim", "cycles/job", "AIM-style job: file I/O, pipe + fork/exec, sort (4 concurrent workers)"),
];

/// The catalogue entry of `name`.
pub fn find(name: &str) -> Option<&'static Spec> {
    CATALOG.iter().find(|s| s.name == name)
}

/// Median, minimum and maximum of a set of samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub median: u64,
    pub min: u64,
    pub max: u64,
}

/// Sort `samples` in place and summarize them; `None` when empty. The
/// median of an even count is the mean of the two middle values, rounded
/// down. (Insertion sort: the guest has no allocator-free sort and the
/// sample counts are small.)
pub fn summarize(samples: &mut [u64]) -> Option<Summary> {
    for i in 1..samples.len() {
        let mut j = i;
        while j > 0 && samples[j - 1] > samples[j] {
            samples.swap(j - 1, j);
            j -= 1;
        }
    }
    let n = samples.len();
    if n == 0 {
        return None;
    }
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        let (a, b) = (samples[n / 2 - 1], samples[n / 2]);
        a + (b - a) / 2 // sorted, so no overflow
    };
    Some(Summary { median, min: samples[0], max: samples[n - 1] })
}

/// `total / ops`, rounded to the nearest whole number (`ops` > 0).
pub fn per_op(total: u64, ops: u64) -> u64 {
    (total + ops / 2) / ops
}

/// One result: what a `BENCH` line says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    pub name: &'a str,
    pub summary: Summary,
    pub unit: &'a str,
    pub iters: u64,
    pub reps: u64,
}

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let s = self.summary;
        write!(
            f,
            "BENCH {} median={} min={} max={} unit={} iters={} reps={}",
            self.name, s.median, s.min, s.max, self.unit, self.iters, self.reps
        )
    }
}

/// Parse a `BENCH` result line (leading and trailing blanks and a `\r` are
/// ignored). Every field must be there, numbers must be decimal, and
/// `min <= median <= max` must hold; anything else is `None`.
pub fn parse_line(line: &str) -> Option<Line<'_>> {
    let mut words = line.trim().split(' ').filter(|w| !w.is_empty());
    if words.next()? != "BENCH" {
        return None;
    }
    let name = words.next()?;
    if name.contains('=') {
        return None;
    }
    let (mut median, mut min, mut max, mut unit, mut iters, mut reps) = (None, None, None, None, None, None);
    for w in words {
        let (k, v) = w.split_once('=')?;
        let num = || v.parse::<u64>().ok();
        match k {
            "median" => median = Some(num()?),
            "min" => min = Some(num()?),
            "max" => max = Some(num()?),
            "unit" => unit = Some(v),
            "iters" => iters = Some(num()?),
            "reps" => reps = Some(num()?),
            _ => {} // later additions are ignored
        }
    }
    let summary = Summary { median: median?, min: min?, max: max? };
    if !(summary.min <= summary.median && summary.median <= summary.max) {
        return None;
    }
    Some(Line { name, summary, unit: unit?, iters: iters?, reps: reps? })
}

/// Parse a `BENCH-FAIL <name>: <reason>` line into (name, reason).
pub fn parse_fail(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim().strip_prefix("BENCH-FAIL ")?;
    let (name, why) = rest.split_once(':').unwrap_or((rest, ""));
    Some((name.trim(), why.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_spread() {
        let mut v = [5, 1, 4, 2, 3];
        assert_eq!(summarize(&mut v), Some(Summary { median: 3, min: 1, max: 5 }));
        assert_eq!(v, [1, 2, 3, 4, 5]);
        let mut v = [10, 4, 7, 1];
        assert_eq!(summarize(&mut v), Some(Summary { median: 5, min: 1, max: 10 }));
        let mut v = [3, 4];
        assert_eq!(summarize(&mut v).unwrap().median, 3);
        let mut v = [u64::MAX, u64::MAX];
        assert_eq!(summarize(&mut v).unwrap().median, u64::MAX);
        let mut v = [7];
        assert_eq!(summarize(&mut v), Some(Summary { median: 7, min: 7, max: 7 }));
        assert_eq!(summarize(&mut []), None);
    }

    #[test]
    fn rounding_per_op() {
        assert_eq!(per_op(10, 4), 3); // 2.5 rounds up
        assert_eq!(per_op(9, 4), 2);
        assert_eq!(per_op(0, 7), 0);
    }

    #[test]
    fn line_round_trip() {
        let l = Line { name: "getppid", summary: Summary { median: 120, min: 118, max: 131 }, unit: "cycles/op", iters: 5000, reps: 11 };
        let text = format!("{l}");
        assert_eq!(text, "BENCH getppid median=120 min=118 max=131 unit=cycles/op iters=5000 reps=11");
        assert_eq!(parse_line(&text), Some(l));
        assert_eq!(parse_line(&format!("  {text}\r")), Some(l));
        // an unknown extra field is fine
        assert_eq!(parse_line(&format!("{text} note=x")), Some(l));
    }

    #[test]
    fn bad_lines_are_rejected() {
        for bad in [
            "",
            "BENCH",
            "BENCH getppid",
            "BENCHX getppid median=1 min=1 max=1 unit=u iters=1 reps=1",
            "BENCH getppid median=1 min=1 max=1 unit=u iters=1",
            "BENCH getppid median=x min=1 max=1 unit=u iters=1 reps=1",
            "BENCH getppid median=1 min=2 max=3 unit=u iters=1 reps=1",
            "BENCH getppid median=4 min=2 max=3 unit=u iters=1 reps=1",
            "BENCH median=1 min=1 max=1 unit=u iters=1 reps=1",
            "BENCH getppid median=1 min=1 max=1 unit=u iters=1 reps=1 junk",
            "BENCH getppid median=1 min=1 max=1 unit=u iters=1 reps=-1",
        ] {
            assert_eq!(parse_line(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn fail_lines() {
        assert_eq!(parse_fail("BENCH-FAIL fork-exit: fork: ENOSYS (-38)"), Some(("fork-exit", "fork: ENOSYS (-38)")));
        assert_eq!(parse_fail("BENCH-FAIL x"), Some(("x", "")));
        assert_eq!(parse_fail("BENCH x median=1"), None);
    }

    #[test]
    fn catalog_is_consistent() {
        for (i, s) in CATALOG.iter().enumerate() {
            assert!(!s.name.is_empty() && !s.name.contains(|c: char| c.is_whitespace() || c == '=' || c == ':'));
            assert!(!s.unit.contains(' '));
            assert!(CATALOG[..i].iter().all(|o| o.name != s.name), "duplicate {}", s.name);
        }
        assert_eq!(find("aim").unwrap().unit, "cycles/job");
        assert!(find("nope").is_none());
    }
}
