//! Completeness: every operation of the ABI has its spec function. The
//! operations are taken from the ABI crate itself (`l4_abi::syscall::CALLS`,
//! and the constants of its `tc` and `kdebug` modules, read from the
//! source so that a new constant cannot slip by) and from the API reference
//! `docs/kernel-api.md` (its call headings and the sub-operations listed
//! under thread_control and kdebug); each must be in `spec::catalog`.

use spec::catalog::operations;
use std::collections::BTreeSet;

const ABI_SOURCE: &str = include_str!("../../abi/src/syscall.rs");
const API_DOC: &str = include_str!("../../docs/kernel-api.md");

/// Values of `tc` that are arguments, not operations.
const NOT_OPERATIONS: &[&str] = &["NO_UTCB"];

/// `pub const NAME: u32` names in `pub mod <module> { ... }` of the source.
fn constants(module: &str) -> Vec<String> {
    let start = ABI_SOURCE
        .find(&format!("pub mod {module} {{"))
        .unwrap_or_else(|| panic!("no module {module} in the ABI"));
    let body = &ABI_SOURCE[start..];
    let end = body.find("\n}").expect("end of module");
    body[..end]
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .map(|l| l.split(':').next().unwrap().trim().to_string())
        .filter(|n| !NOT_OPERATIONS.contains(&n.as_str()))
        .collect()
}

fn catalog() -> BTreeSet<&'static str> {
    operations().iter().map(|e| e.abi).collect()
}

#[test]
fn every_abi_operation_has_a_spec_function() {
    let have = catalog();
    let mut wanted: Vec<String> = l4_abi::syscall::CALLS
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    wanted.extend(
        constants("tc")
            .into_iter()
            .map(|n| format!("thread_control.{n}")),
    );
    wanted.extend(
        constants("kdebug")
            .into_iter()
            .map(|n| format!("kdebug.{n}")),
    );
    assert!(
        wanted.len() >= 10 + 4 + 5,
        "too few operations found in the ABI: {wanted:?}"
    );
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| !have.contains(w.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a spec function (add them to spec::catalog): {missing:?}"
    );
}

#[test]
fn every_documented_operation_has_a_spec_function() {
    let have = catalog();
    let mut documented = Vec::new();
    let mut section = String::new();
    for line in API_DOC.lines() {
        if let Some(h) = line.strip_prefix("### `int 0x") {
            // "### `int 0x31` — thread_control (eax = operation)"
            let name = h
                .split('—')
                .nth(1)
                .expect("call heading")
                .split_whitespace()
                .next()
                .expect("call name");
            section = name.to_string();
            documented.push(name.to_string());
        } else if line.starts_with("## ") {
            section.clear();
        } else if section == "thread_control" {
            if let Some(rest) = line.strip_prefix("- **") {
                documented.push(format!(
                    "thread_control.{}",
                    rest.split("**").next().unwrap()
                ));
            }
        } else if section == "kdebug" {
            for part in line.split('`').skip(1).step_by(2) {
                if part.chars().all(|c| c.is_ascii_uppercase() || c == '_') && !part.is_empty() {
                    documented.push(format!("kdebug.{part}"));
                }
            }
        }
    }
    assert!(
        documented.len() >= 10 + 4 + 5,
        "too few operations found in docs/kernel-api.md: {documented:?}"
    );
    let missing: Vec<&String> = documented
        .iter()
        .filter(|d| !have.contains(d.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "documented operations without a spec function: {missing:?}"
    );
}

#[test]
fn catalog_functions_are_distinct_and_named() {
    let ops = operations();
    for e in &ops {
        assert!(e.function != 0 && !e.spec.is_empty(), "{}", e.abi);
    }
    let names: BTreeSet<&str> = ops.iter().map(|e| e.abi).collect();
    assert_eq!(names.len(), ops.len(), "an operation is listed twice");
}
