//! Third-party programs fetched from Debian: `busybox-static:i386`, a static
//! ELF32 busybox built for the i686 (it needs `-cpu pentium2` or later in
//! QEMU). Cached under `target/busybox/` (gitignored, never committed).

// Until the benchmark commands call into this module.
#![allow(dead_code)]

use anyhow::{bail, ensure, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PACKAGE: &str = "busybox-static:i386";

pub fn busybox_dir() -> PathBuf {
    crate::image::root().join("target").join("busybox")
}

/// What an ELF file is, as far as we care.
#[derive(Debug, PartialEq, Eq)]
pub struct ElfInfo {
    pub class32: bool,
    pub i386: bool,
    /// No PT_INTERP program header: needs no dynamic loader.
    pub is_static: bool,
}

/// Read the ELF header and program headers of `b`.
pub fn elf_info(b: &[u8]) -> Option<ElfInfo> {
    if b.len() < 52 || &b[..4] != b"\x7fELF" || b[5] != 1 {
        return None;
    }
    let u16_at = |o: usize| b.get(o..o + 2).map(|s| u16::from_le_bytes([s[0], s[1]]));
    let u32_at = |o: usize| b.get(o..o + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]));
    let class32 = b[4] == 1;
    let i386 = u16_at(18)? == 3;
    if !class32 {
        return Some(ElfInfo { class32, i386, is_static: false });
    }
    let phoff = u32_at(28)? as usize;
    let phentsize = u16_at(42)? as usize;
    let phnum = u16_at(44)? as usize;
    let mut is_static = true;
    for i in 0..phnum {
        const PT_INTERP: u32 = 3;
        if u32_at(phoff + i * phentsize)? == PT_INTERP {
            is_static = false;
        }
    }
    Some(ElfInfo { class32, i386, is_static })
}

fn check_busybox(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let info = elf_info(&bytes).with_context(|| format!("{} is not an ELF file", path.display()))?;
    ensure!(
        info == ElfInfo { class32: true, i386: true, is_static: true },
        "{} is not a static ELF32 i386 program: {info:?}",
        path.display()
    );
    Ok(())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// Whether apt knows the package (its i386 index is loaded).
fn apt_knows(pkg: &str) -> bool {
    Command::new("apt-cache")
        .args(["show", "--no-all-versions", pkg])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Make i386 packages available to apt (adding the architecture as root).
fn ensure_i386_index() -> Result<()> {
    let cmds = "dpkg --add-architecture i386 && apt-get update";
    let out = Command::new("dpkg").arg("--print-foreign-architectures").output().context("running dpkg")?;
    let has_i386 = String::from_utf8_lossy(&out.stdout).split_whitespace().any(|a| a == "i386");
    if !has_i386 {
        if !is_root() {
            bail!("apt has no i386 packages; run as root: {cmds}");
        }
        eprintln!("[fetch] dpkg --add-architecture i386");
        let s = Command::new("dpkg").args(["--add-architecture", "i386"]).status().context("running dpkg")?;
        ensure!(s.success(), "dpkg --add-architecture i386 failed");
    }
    if apt_knows(PACKAGE) {
        return Ok(());
    }
    if !is_root() {
        bail!("apt does not know {PACKAGE}; run as root: {cmds}");
    }
    eprintln!("[fetch] apt-get update (for the i386 index)...");
    // the exit status is not the verdict: one index (bookworm-security i386)
    // can fail with "Mirror sync in progress?" while the main one loads
    let _ = Command::new("apt-get").args(["update", "-q"]).stdout(Stdio::null()).status();
    ensure!(apt_knows(PACKAGE), "apt still does not know {PACKAGE} after apt-get update; try: {cmds}");
    Ok(())
}

/// The path of Debian's static i386 busybox, fetched once (apt-get
/// download + dpkg-deb -x) into `target/busybox/busybox` and checked to be
/// a static ELF32 i386 program that runs on this host.
pub fn busybox() -> Result<PathBuf> {
    let dir = busybox_dir();
    let _lock = crate::native::lock(&dir.join("lock"))?;
    let out = dir.join("busybox");
    if out.exists() && check_busybox(&out).is_ok() {
        return Ok(out);
    }
    ensure_i386_index()?;
    let work = dir.join(format!("download-{}", std::process::id()));
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let result = (|| -> Result<()> {
        eprintln!("[fetch] apt-get download {PACKAGE}");
        let o = Command::new("apt-get").args(["download", "-q", PACKAGE]).current_dir(&work).output().context("running apt-get download")?;
        ensure!(o.status.success(), "apt-get download {PACKAGE} failed:\n{}", String::from_utf8_lossy(&o.stderr));
        let deb = std::fs::read_dir(&work)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "deb"))
            .context("apt-get download left no .deb")?;
        let x = work.join("x");
        let o = Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&x).output().context("running dpkg-deb")?;
        ensure!(o.status.success(), "dpkg-deb -x {} failed:\n{}", deb.display(), String::from_utf8_lossy(&o.stderr));
        let bin = x.join("bin/busybox");
        check_busybox(&bin)?;
        let o = Command::new(&bin).args(["echo", "ok"]).output().with_context(|| format!("running {} on the host", bin.display()))?;
        ensure!(
            o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "ok",
            "{} echo ok did not print ok (status {}): {}",
            bin.display(),
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        let name = deb.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let tmp = dir.join("busybox.tmp");
        std::fs::copy(&bin, &tmp)?;
        std::fs::rename(&tmp, &out)?;
        std::fs::write(dir.join("SOURCE"), format!("{name}\n"))?;
        eprintln!("[fetch] {} from {name}", out.display());
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&work);
    result?;
    Ok(out)
}

/// The applet names in `busybox --list` output, sorted, without `busybox`
/// itself (so every name can become a link to the binary).
pub fn parse_applets(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "busybox" && !l.contains(char::is_whitespace) && !l.contains('/'))
        .map(String::from)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The applets `busybox` offers (for links in /bin; `busybox` itself is
/// left out).
pub fn busybox_applets(busybox: &Path) -> Result<Vec<String>> {
    let o = Command::new(busybox).arg("--list").output().with_context(|| format!("running {} --list", busybox.display()))?;
    ensure!(o.status.success(), "{} --list failed: {}", busybox.display(), String::from_utf8_lossy(&o.stderr));
    let v = parse_applets(&String::from_utf8_lossy(&o.stdout));
    ensure!(!v.is_empty(), "{} --list printed no applets", busybox.display());
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applet_list() {
        assert_eq!(parse_applets("sh\nls\n\n  cat \nls\nbusybox\n"), vec!["cat", "ls", "sh"]);
        assert!(parse_applets("").is_empty());
    }

    fn elf32(interp: bool) -> Vec<u8> {
        let mut b = vec![0u8; 52 + 2 * 32];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 1; // ELFCLASS32
        b[5] = 1; // little-endian
        b[18..20].copy_from_slice(&3u16.to_le_bytes()); // EM_386
        b[28..32].copy_from_slice(&52u32.to_le_bytes()); // e_phoff
        b[42..44].copy_from_slice(&32u16.to_le_bytes()); // e_phentsize
        b[44..46].copy_from_slice(&2u16.to_le_bytes()); // e_phnum
        b[52..56].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        b[84..88].copy_from_slice(&(if interp { 3u32 } else { 1 }).to_le_bytes());
        b
    }

    #[test]
    fn elf_headers() {
        assert_eq!(elf_info(&elf32(false)), Some(ElfInfo { class32: true, i386: true, is_static: true }));
        assert_eq!(elf_info(&elf32(true)), Some(ElfInfo { class32: true, i386: true, is_static: false }));
        let mut b = elf32(false);
        b[18] = 62; // EM_X86_64
        assert!(!elf_info(&b).unwrap().i386);
        assert_eq!(elf_info(b"#!/bin/sh\n"), None);
        // program headers past the end of the file
        let mut b = elf32(false);
        b[44] = 9;
        assert_eq!(elf_info(&b), None);
    }

    /// Fetches from the Debian mirror:
    /// `cargo test -p xtask -- --ignored fetch::tests::fetch_busybox --nocapture`
    #[test]
    #[ignore]
    fn fetch_busybox() {
        let b = busybox().unwrap();
        let applets = busybox_applets(&b).unwrap();
        assert!(applets.iter().any(|a| a == "sh"), "{applets:?}");
    }
}
