//! Bookkeeping for `cargo xtask test`: named tests, one line per result,
//! and the final `N passed, N failed` line.

use anyhow::Result;
use std::time::Instant;

pub struct Suite {
    passed: usize,
    failed: Vec<String>,
    filter: Option<String>,
}

impl Suite {
    pub fn new(filter: Option<String>) -> Suite {
        Suite { passed: 0, failed: vec![], filter }
    }

    pub fn wanted(&self, name: &str) -> bool {
        self.filter.as_ref().is_none_or(|f| name.contains(f.as_str()))
    }

    /// Can the filter match a test whose name starts with `prefix`? (To
    /// skip a group's set-up.) A filter that starts with a group's name
    /// (`linux::conformance`) only matches in that group; any other may
    /// match inside any name (`fuzz`, `shell::redirs`).
    pub fn wanted_group(&self, prefix: &str) -> bool {
        const GROUPS: [&str; 9] = ["host::", "boot::", "i486::", "kernel::", "kernel-mach::", "spec::", "linux::", "linux-mach::", "bench::"];
        self.filter.as_ref().is_none_or(|f| {
            f.starts_with(prefix) || prefix.contains(f.as_str()) || !GROUPS.iter().any(|g| f.starts_with(g))
        })
    }

    /// Can the filter name something in a group whose test names are
    /// known only after it ran (the host unit tests, the benchmarks)? Only
    /// a filter that names the group or a test inside it.
    pub fn wanted_bulk(&self, prefix: &str) -> bool {
        self.filter.as_ref().is_none_or(|f| f.starts_with(prefix) || prefix.contains(f.as_str()))
    }

    /// Record an outcome (unless filtered out).
    pub fn record(&mut self, name: &str, result: Result<(), String>) {
        if !self.wanted(name) {
            return;
        }
        match result {
            Ok(()) => {
                self.passed += 1;
                println!("test {name} ... ok");
            }
            Err(why) => {
                println!("test {name} ... FAILED");
                for l in why.lines().take(60) {
                    println!("    {l}");
                }
                self.failed.push(name.to_string());
            }
        }
    }

    /// Run one test (unless filtered out).
    pub fn run(&mut self, name: &str, f: impl FnOnce() -> Result<()>) {
        if !self.wanted(name) {
            return;
        }
        let t = Instant::now();
        let r = f().map_err(|e| format!("{e:#}"));
        if t.elapsed().as_secs() >= 20 {
            eprintln!("    ({name}: {:.0} s)", t.elapsed().as_secs_f64());
        }
        self.record(name, r);
    }

    /// Print the summary; true if nothing failed.
    pub fn finish(&self) -> bool {
        if !self.failed.is_empty() {
            println!("\nfailed tests:");
            for f in &self.failed {
                println!("    {f}");
            }
        }
        println!("\n{} passed, {} failed", self.passed, self.failed.len());
        self.failed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::Suite;

    fn with(filter: Option<&str>) -> Suite {
        Suite::new(filter.map(str::to_string))
    }

    #[test]
    fn group_filters() {
        assert!(with(None).wanted_group("linux::"));
        assert!(with(Some("fuzz")).wanted_group("linux::"), "a plain word may match inside the group");
        assert!(with(Some("shell")).wanted_group("linux-mach::"));
        assert!(with(Some("linux::conformance")).wanted_group("linux::"));
        assert!(with(Some("linux")).wanted_group("linux-mach::"));
        assert!(!with(Some("linux::conformance")).wanted_group("linux-mach::"));
        assert!(!with(Some("kernel::ipc")).wanted_group("linux::"));
        assert!(with(Some("shell::redirs")).wanted_group("linux::"));
        assert!(!with(Some("fuzz")).wanted_bulk("host::"));
        assert!(with(Some("host")).wanted_bulk("host::"));
        assert!(with(Some("host::xtask")).wanted_bulk("host::"));
        assert!(with(None).wanted_bulk("bench::"));
    }

    #[test]
    fn only_wanted_outcomes_count() {
        let mut s = with(Some("fuzz"));
        s.record("host::a", Ok(()));
        s.record("host::b", Err("no".into()));
        s.record("linux::fuzz", Ok(()));
        assert_eq!((s.passed, s.failed.len()), (1, 0));
    }
}
