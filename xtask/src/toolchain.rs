//! Finding a Rust toolchain that can build the i486 targets (it needs the
//! standard library's source for `-Z build-std`) and running cargo with it.
//!
//! Detected, in order: Debian's `rustc-web` (`/usr/bin/rustc` with the
//! library source under `/usr/lib/rustlib/src`, used with
//! `RUSTC_BOOTSTRAP=1`), or a rustup nightly that has `rust-src`.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The two custom targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Bare metal: the kernel and the L4 tasks.
    L4,
    /// Static i386 Linux programs.
    Linux,
}

impl Target {
    pub fn spec(self) -> &'static str {
        match self {
            Target::L4 => "i486-l4",
            Target::Linux => "i486-linux",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Toolchain {
    /// The cargo binary to run.
    cargo: PathBuf,
    /// Extra leading arguments (`+nightly`).
    plus: Option<String>,
    /// Environment to set.
    env: Vec<(String, String)>,
    pub description: String,
}

fn rust_src_ok(sysroot: &Path) -> bool {
    sysroot.join("lib/rustlib/src/rust/library/core/Cargo.toml").exists()
}

fn output(cmd: &mut Command) -> Option<String> {
    let o = cmd.output().ok()?;
    o.status.success().then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// Detect a usable toolchain, or explain what to install.
pub fn detect() -> Result<Toolchain> {
    let debian = Path::new("/usr/bin/rustc");
    if debian.exists() && Path::new("/usr/bin/cargo").exists() {
        if let Some(sysroot) = output(Command::new(debian).args(["--print", "sysroot"])) {
            if rust_src_ok(Path::new(&sysroot)) {
                let version = output(Command::new(debian).arg("--version")).unwrap_or_default();
                return Ok(Toolchain {
                    cargo: "/usr/bin/cargo".into(),
                    plus: None,
                    env: vec![
                        ("RUSTC".into(), "/usr/bin/rustc".into()),
                        ("RUSTDOC".into(), "/usr/bin/rustdoc".into()),
                        ("RUSTC_BOOTSTRAP".into(), "1".into()),
                    ],
                    description: format!("{version} (Debian, RUSTC_BOOTSTRAP=1)"),
                });
            }
        }
    }
    if let Some(sysroot) = output(Command::new("rustc").args(["+nightly", "--print", "sysroot"])) {
        if rust_src_ok(Path::new(&sysroot)) {
            let version = output(Command::new("rustc").args(["+nightly", "--version"])).unwrap_or_default();
            return Ok(Toolchain {
                cargo: "cargo".into(),
                plus: Some("+nightly".into()),
                env: vec![],
                description: format!("{version} (rustup nightly with rust-src)"),
            });
        }
    }
    bail!(
        "no toolchain with the Rust library source for -Z build-std was found.\n\
         On Debian 12 run (as root): apt-get install -y rustc-web cargo-web rust-web-src lld-22\n\
         (or `cargo xtask deps`), or install a nightly with: rustup component add rust-src --toolchain nightly"
    )
}

impl Toolchain {
    /// `cargo build` of `packages` for `target`; returns the output directory.
    pub fn build(
        &self,
        root: &Path,
        target: Target,
        packages: &[&str],
        release: bool,
        features: &[&str],
        target_dir: &str,
    ) -> Result<PathBuf> {
        let mut cmd = Command::new(&self.cargo);
        if let Some(p) = &self.plus {
            cmd.arg(p);
        }
        cmd.current_dir(root).arg("build");
        for p in packages {
            cmd.args(["-p", p]);
        }
        let spec = root.join("targets").join(format!("{}.json", target.spec()));
        cmd.arg("--target").arg(&spec);
        cmd.args([
            "-Z",
            "build-std=core,alloc,compiler_builtins",
            "-Z",
            "build-std-features=compiler-builtins-mem",
            "-Z",
            "json-target-spec",
        ]);
        if release {
            cmd.arg("--release");
        }
        if !features.is_empty() {
            cmd.arg("--features").arg(features.join(","));
        }
        let dir = root.join("target").join(target_dir);
        cmd.arg("--target-dir").arg(&dir);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        // the rustup proxies must not pick another rustc for build scripts
        cmd.env_remove("RUSTUP_TOOLCHAIN");
        let status = cmd.status().with_context(|| format!("running {}", self.cargo.display()))?;
        if !status.success() {
            bail!("cargo build for {} failed", target.spec());
        }
        Ok(dir.join(target.spec()).join(if release { "release" } else { "debug" }))
    }
}
