//! System packages the build, QEMU and the tests need: checked quickly when
//! everything is present, installed with apt-get when running as root, or
//! named with the exact command to run otherwise.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::{Command, Stdio};

/// A Debian package and a file whose presence shows it is installed.
pub struct Package {
    pub name: &'static str,
    pub probe: &'static str,
}

/// Needed for building and booting the system.
pub const CORE: &[Package] = &[
    Package { name: "rustc-web", probe: "/usr/bin/rustc" },
    Package { name: "cargo-web", probe: "/usr/bin/cargo" },
    Package { name: "rust-web-src", probe: "/usr/lib/rustlib/src/rust/library/core/Cargo.toml" },
    Package { name: "lld-22", probe: "/usr/bin/ld.lld-22" },
    Package { name: "qemu-system-x86", probe: "/usr/bin/qemu-system-i386" },
    Package { name: "binutils", probe: "/usr/bin/objdump" },
];

/// Needed by the tests: 32-bit C programs (glibc-static hello world).
pub const TEST: &[Package] = &[
    Package { name: "gcc-multilib", probe: "/usr/lib/gcc/x86_64-linux-gnu/12/32/libgcc.a" },
    Package { name: "libc6-dev-i386", probe: "/usr/lib32/libc.a" },
];

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

pub fn missing(pkgs: &[Package]) -> Vec<&'static str> {
    pkgs.iter().filter(|p| !Path::new(p.probe).exists()).map(|p| p.name).collect()
}

/// Make sure `pkgs` are installed.
pub fn ensure(pkgs: &[Package]) -> Result<()> {
    let missing = missing(pkgs);
    if missing.is_empty() {
        return Ok(());
    }
    apt_install(&missing)
}

/// Install Debian packages (as root), or fail with the command to run.
pub fn apt_install(names: &[&str]) -> Result<()> {
    let cmd = format!("apt-get update && apt-get install -y {}", names.join(" "));
    if !is_root() || !Path::new("/usr/bin/apt-get").exists() {
        bail!("missing packages: {}\nrun as root: {cmd}", names.join(" "));
    }
    eprintln!("[deps] installing {} (apt-get)...", names.join(" "));
    // a failing `apt-get update` (one mirror index out of sync) is not fatal:
    // the install below says whether the packages could be found
    let _ = Command::new("apt-get").args(["update", "-q"]).stdout(Stdio::null()).status();
    let status = Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(names)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("running apt-get")?;
    if !status.success() {
        bail!("apt-get install failed; try: {cmd}");
    }
    Ok(())
}

/// `cargo xtask deps`.
pub fn run() -> Result<()> {
    ensure(CORE)?;
    ensure(TEST)?;
    let tc = crate::toolchain::detect()?;
    eprintln!("[deps] all present; toolchain: {}", tc.description);
    Ok(())
}
