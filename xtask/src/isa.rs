//! The i486 check: disassemble a binary and refuse instructions or
//! registers an i486 does not have (cmov, MMX/SSE, cmpxchg8b, sysenter,
//! the multi-byte nop). `rdtsc` is refused too unless allowed (benchmark
//! programs time themselves with it; QEMU executes it on any CPU model).

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

fn forbidden(line: &str, allow_rdtsc: bool) -> bool {
    // "  addr:\tmnemonic operands"
    let Some(insn) = line.split('\t').nth(1) else { return false };
    let insn = insn.trim();
    let mnemonic = insn.split_whitespace().next().unwrap_or("");
    let bad_mnemonic = mnemonic.starts_with("cmov")
        || mnemonic.starts_with("fcmov")
        || mnemonic.starts_with("fcomi")
        || mnemonic.starts_with("fucomi")
        || mnemonic == "cmpxchg8b"
        || mnemonic == "sysenter"
        || mnemonic == "sysexit"
        || mnemonic == "syscall"
        || mnemonic == "rdtscp"
        || mnemonic == "nopw"
        || mnemonic == "nopl"
        || (mnemonic == "rdtsc" && !allow_rdtsc);
    let bad_register = insn.contains("%mm") || insn.contains("%xmm") || insn.contains("%ymm");
    bad_mnemonic || bad_register
}

/// Fail with the offending instructions if `path` is not i486-clean.
pub fn check(path: &Path, allow_rdtsc: bool) -> Result<()> {
    let out = Command::new("objdump")
        .args(["-d", "--no-show-raw-insn", "-M", "att"])
        .arg(path)
        .output()
        .context("running objdump (package binutils)")?;
    if !out.status.success() {
        bail!("objdump failed on {}", path.display());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let bad: Vec<&str> = text.lines().filter(|l| forbidden(l, allow_rdtsc)).collect();
    let total = text.lines().filter(|l| l.contains(":\t")).count();
    if total == 0 {
        bail!("no instructions disassembled in {}", path.display());
    }
    if !bad.is_empty() {
        bail!(
            "{} instruction(s) an i486 lacks in {}:\n{}",
            bad.len(),
            path.display(),
            bad.iter().take(10).copied().collect::<Vec<_>>().join("\n")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::forbidden;

    #[test]
    fn spots_non_486_instructions() {
        assert!(forbidden("  401000:\tcmovne %eax,%ebx", false));
        assert!(forbidden("  401000:\tmovq   %xmm0,(%eax)", false));
        assert!(forbidden("  401000:\tcmpxchg8b (%esi)", false));
        assert!(forbidden("  401000:\tsysenter", false));
        assert!(forbidden("  401000:\tnopl   0x0(%eax)", false));
        assert!(forbidden("  401000:\trdtsc", false));
        assert!(!forbidden("  401000:\trdtsc", true));
        assert!(!forbidden("  401000:\tmov    %eax,%ebx", false));
        assert!(!forbidden("  401000:\tcmpxchg %ecx,(%edx)", false));
        assert!(!forbidden("  401000:\tbswap  %eax", false));
        assert!(!forbidden("Disassembly of section .text:", false));
    }
}
