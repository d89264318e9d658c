//! Building every target crate and packing the boot files into one folder:
//!
//! ```text
//! build/<debug|release>/
//!   microkernel        the kernel (Multiboot ELF32)
//!   microkernel-mach   the kernel with Mach-style IPC (when built)
//!   sigma0             root pager          (module 0)
//!   roottask           starts the system   (module 1)
//!   l4linux-server     Linux personality   (module 2)
//!   initrd.cpio        initial files       (module 3, cpio newc)
//!   bin/               the Linux programs that go into the initrd
//! ```

use crate::cpio::Cpio;
use crate::toolchain::{self, Target};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// L4 tasks built for the bare-metal target, in module order.
pub const L4_TASKS: &[&str] = &["sigma0", "roottask", "l4linux-server"];

#[derive(Clone, Debug, Default)]
pub struct BuildOpts {
    pub release: bool,
    pub mach: bool,
    /// Extra files for the initrd: (host path, guest path).
    pub add: Vec<(PathBuf, String)>,
}

/// Where the boot files are.
#[derive(Clone, Debug)]
pub struct Images {
    pub dir: PathBuf,
    /// The initrd holds Debian's busybox (an i686 program: run on pentium2).
    pub busybox: bool,
    /// The initrd holds the glibc-static hello world (/bin/hello-glibc).
    pub glibc_hello: bool,
}

impl Images {
    pub fn kernel(&self) -> PathBuf {
        self.dir.join("microkernel")
    }
    pub fn kernel_mach(&self) -> PathBuf {
        self.dir.join("microkernel-mach")
    }
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
    pub fn initrd(&self) -> PathBuf {
        self.dir.join("initrd.cpio")
    }
    pub fn bin(&self, name: &str) -> PathBuf {
        self.dir.join("bin").join(name)
    }
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

pub fn out_dir(release: bool) -> PathBuf {
    root().join("build").join(if release { "release" } else { "debug" })
}

/// Linux programs: (package, binaries) built for the Linux target.
pub fn linux_packages(root: &Path) -> Vec<(&'static str, Vec<String>)> {
    let mut v = vec![];
    for pkg in ["initrd", "benches"] {
        let dir = root.join(pkg).join("src").join("bin");
        if let Ok(rd) = std::fs::read_dir(&dir) {
            let mut bins: Vec<String> = rd
                .filter_map(|e| e.ok())
                .filter_map(|e| e.path().file_stem().map(|s| s.to_string_lossy().to_string()))
                .collect();
            bins.sort();
            v.push((pkg, bins));
        }
    }
    v
}

pub fn build(opts: &BuildOpts) -> Result<Images> {
    crate::deps::ensure(crate::deps::CORE)?;
    let tc = toolchain::detect()?;
    let root = root();
    let profile = if opts.release { "release" } else { "debug" };
    eprintln!("[build] {profile} build with {}", tc.description);
    let out = out_dir(opts.release);
    std::fs::create_dir_all(out.join("bin"))?;

    let mut pkgs = vec!["microkernel"];
    pkgs.extend(L4_TASKS.iter().filter(|p| root.join(p).exists()));
    eprintln!("[build] i486 bare-metal: {}", pkgs.join(", "));
    let dir = tc.build(&root, Target::L4, &pkgs, opts.release, &[], "cross")?;
    for p in &pkgs {
        // the kernel keeps its symbols (fault reports, profiles); the boot
        // modules lose their debug info (the unstripped files stay in target/)
        copy(&dir.join(p), &out.join(p))?;
        if *p != "microkernel" {
            strip(&out.join(p))?;
        }
    }
    if opts.mach {
        eprintln!("[build] i486 bare-metal: microkernel (mach feature)");
        let dir = tc.build(&root, Target::L4, &["microkernel"], opts.release, &["microkernel/mach"], "cross-mach")?;
        copy(&dir.join("microkernel"), &out.join("microkernel-mach"))?;
    }

    let linux = linux_packages(&root);
    if !linux.is_empty() {
        let names: Vec<&str> = linux.iter().map(|(p, _)| *p).collect();
        eprintln!("[build] i486 Linux programs: {}", names.join(", "));
        let dir = tc.build(&root, Target::Linux, &names, opts.release, &[], "cross-linux")?;
        for (_, bins) in &linux {
            for b in bins {
                copy(&dir.join(b), &out.join("bin").join(b))?;
                strip(&out.join("bin").join(b))?;
            }
        }
    }
    // Debian's busybox-static (fetched once, never committed); without it
    // the system still builds, but there is no shell
    let busybox = match crate::fetch::busybox() {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("[build] warning: no busybox in the initrd: {e:#}");
            None
        }
    };
    let glibc_hello = opts.add.iter().any(|(_, g)| g == "/bin/hello-glibc");
    let images = Images { dir: out, busybox: busybox.is_some(), glibc_hello };
    write_initrd(&images, &linux, &opts.add, busybox.as_deref())?;
    let text = text_size(&images.kernel())?;
    eprintln!("[build] kernel .text: {} bytes ({:.1} KiB) -> {}", text, text as f64 / 1024.0, images.dir.display());
    Ok(images)
}

/// Remove debug information (binutils `strip --strip-debug`).
fn strip(path: &Path) -> Result<()> {
    let st = std::process::Command::new("strip").arg("--strip-debug").arg(path).status().context("running strip (binutils)")?;
    if !st.success() {
        bail!("strip failed on {}", path.display());
    }
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to).with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// The initrd: busybox and its applet links, the Linux programs in /bin,
/// a few files in /etc, and extra files.
fn write_initrd(images: &Images, linux: &[(&str, Vec<String>)], add: &[(PathBuf, String)], busybox: Option<&Path>) -> Result<()> {
    let mut c = Cpio::new();
    for d in ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "etc", "proc", "root"] {
        c.dir(d);
    }
    c.entry("tmp", crate::cpio::S_IFDIR | 0o1777, &[]);
    if let Some(bb) = busybox {
        c.file("bin/busybox", 0o755, &std::fs::read(bb)?);
        let ours: Vec<&String> = linux.iter().flat_map(|(_, b)| b).collect();
        for applet in crate::fetch::busybox_applets(bb)? {
            if !ours.iter().any(|o| **o == applet) {
                c.symlink(&format!("bin/{applet}"), "busybox");
            }
        }
    }
    c.file("etc/passwd", 0o644, b"root:x:0:0:root:/root:/bin/sh\n");
    c.file("etc/group", 0o644, b"root:x:0:\n");
    c.file("etc/hostname", 0o644, b"ul4\n");
    for (_, bins) in linux {
        for b in bins {
            let data = std::fs::read(images.bin(b))?;
            c.file(&format!("bin/{b}"), 0o755, &data);
        }
    }
    for (host, guest) in add {
        let data = std::fs::read(host).with_context(|| format!("reading {}", host.display()))?;
        let mut parent = String::new();
        let parts: Vec<&str> = guest.trim_start_matches('/').split('/').collect();
        for p in &parts[..parts.len().saturating_sub(1)] {
            parent = if parent.is_empty() { p.to_string() } else { format!("{parent}/{p}") };
            c.dir(&parent);
        }
        c.file(guest, 0o755, &data);
    }
    std::fs::write(images.initrd(), c.finish())?;
    Ok(())
}

/// Size of the `.text` section of an ELF32 file.
pub fn text_size(path: &Path) -> Result<u64> {
    let d = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let u16_at = |o: usize| u16::from_le_bytes([d[o], d[o + 1]]) as usize;
    let u32_at = |o: usize| u32::from_le_bytes([d[o], d[o + 1], d[o + 2], d[o + 3]]) as usize;
    if d.len() < 52 || &d[..4] != b"\x7fELF" || d[4] != 1 {
        bail!("{} is not an ELF32 file", path.display());
    }
    let (shoff, shentsize, shnum, shstrndx) = (u32_at(32), u16_at(46), u16_at(48), u16_at(50));
    let sh = |i: usize| shoff + i * shentsize;
    let strtab = u32_at(sh(shstrndx) + 16);
    for i in 0..shnum {
        let name_off = strtab + u32_at(sh(i));
        let name: Vec<u8> = d[name_off..].iter().take_while(|&&b| b != 0).copied().collect();
        if name == b".text" {
            return Ok(u32_at(sh(i) + 20) as u64);
        }
    }
    bail!("no .text section in {}", path.display())
}
