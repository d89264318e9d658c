//! The kernel's `.init` check: boot-only code and data live in `.init`,
//! whose pages go to the frame pool when user level starts. Nothing
//! resident may refer into it: no instruction operand in the other
//! executable sections (only `_start`, the boot stub that jumps to
//! `kernel_entry`, and the section's own bounds, which the kernel reads to
//! free it), no word in the data sections.

use anyhow::{bail, ensure, Context, Result};
use goblin::elf::section_header::{SHF_ALLOC, SHF_EXECINSTR, SHT_NOBITS};
use goblin::elf::Elf;
use std::path::Path;
use std::process::Command;

/// Operands of one `objdump -d` instruction line that fall in `[start, end)`.
fn refs_in_line(insn: &str, start: u64, end: u64, allowed: &[u64]) -> Vec<u64> {
    let mut out = vec![];
    for tok in insn.split(|c: char| !c.is_ascii_hexdigit() && c != 'x') {
        let hex = tok.strip_prefix("0x").unwrap_or(tok);
        if hex.len() < 6 || hex.len() > 8 {
            continue;
        }
        if let Ok(v) = u64::from_str_radix(hex, 16) {
            if (start..end).contains(&v) && !allowed.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

pub fn check(path: &Path) -> Result<()> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let elf = Elf::parse(&data).with_context(|| format!("parsing {}", path.display()))?;
    let sym = |name: &str| elf.syms.iter().find(|s| elf.strtab.get_at(s.st_name) == Some(name)).map(|s| s.st_value);
    let (Some(start), Some(end)) = (sym("_init_start"), sym("_init_end")) else {
        bail!("{}: no _init_start/_init_end symbols", path.display())
    };
    let end = end.div_ceil(4096) * 4096;
    ensure!(start < end, "{}: empty .init section", path.display());
    let allowed = [start, sym("_init_end").unwrap_or(0)];
    let mut bad = vec![];
    let mut disassembled = 0;
    for sh in &elf.section_headers {
        let name = elf.shdr_strtab.get_at(sh.sh_name).unwrap_or("");
        if name == ".init" || name == ".init.rodata" || sh.sh_flags & SHF_ALLOC as u64 == 0 || sh.sh_type == SHT_NOBITS {
            continue;
        }
        if sh.sh_flags & SHF_EXECINSTR as u64 != 0 {
            let out = Command::new("objdump")
                .args(["-d", "--no-show-raw-insn", "-M", "att", "-j", name])
                .arg(path)
                .output()
                .context("running objdump (package binutils)")?;
            let text = String::from_utf8_lossy(&out.stdout);
            let mut func = String::new();
            for line in text.lines() {
                if let Some(f) = line.strip_suffix(">:").and_then(|l| l.split_once(" <")).map(|(_, f)| f) {
                    func = f.to_string();
                    continue;
                }
                let Some((_, insn)) = line.split_once('\t') else { continue };
                disassembled += 1;
                if func == "_start" {
                    continue;
                }
                for v in refs_in_line(insn, start, end, &allowed) {
                    bad.push(format!("{name}: {func}: {} (refers to {v:#x})", line.trim()));
                }
            }
        } else {
            let bytes = &data[sh.sh_offset as usize..(sh.sh_offset + sh.sh_size) as usize];
            for (i, w) in bytes.chunks_exact(4).enumerate() {
                let v = u32::from_le_bytes([w[0], w[1], w[2], w[3]]) as u64;
                if (start..end).contains(&v) {
                    bad.push(format!("{name}+{:#x}: word {v:#x}", i * 4));
                }
            }
        }
    }
    ensure!(disassembled > 0, "{}: nothing disassembled", path.display());
    if !bad.is_empty() {
        bail!(
            "{} reference(s) into .init ({start:#x}-{end:#x}) in {}:\n{}",
            bad.len(),
            path.display(),
            bad.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::refs_in_line;

    #[test]
    fn finds_operands_in_range() {
        let (s, e) = (0xc0120000, 0xc0123000);
        assert_eq!(refs_in_line("call   c0120a10 <kernel_entry>", s, e, &[]), vec![0xc0120a10]);
        assert_eq!(refs_in_line("mov    $0xc0121000,%eax", s, e, &[]), vec![0xc0121000]);
        assert_eq!(refs_in_line("mov    $0xc0120000,%eax", s, e, &[0xc0120000]), Vec::<u64>::new());
        assert!(refs_in_line("call   c0100a10 <ipc_entry>", s, e, &[]).is_empty());
        assert!(refs_in_line("mov    0x4(%esp),%eax", s, e, &[]).is_empty());
    }
}
