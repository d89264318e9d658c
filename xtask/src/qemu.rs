//! Booting the system (or native Linux) in `qemu-system-i386`: command
//! lines, interactive runs on the terminal, and captured runs with a timeout
//! for tests and benchmarks.
//!
//! Exit statuses travel through the isa-debug-exit device at port 0xf4:
//! writing `v` makes QEMU exit with `v << 1 | 1`. The Linux server writes a
//! program's exit status there (values of 126 and above are clamped to 126
//! and the exact status goes to the control port, COM2); the kernel writes
//! 127 on a fatal error.

use anyhow::{Context, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const KERNEL_FATAL: u32 = 127;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Accel {
    Tcg,
    Kvm,
}

/// One boot of QEMU.
#[derive(Clone, Debug)]
pub struct Boot {
    pub kernel: PathBuf,
    /// Multiboot modules with their command lines (or an initrd for Linux).
    pub modules: Vec<(PathBuf, String)>,
    pub cmdline: String,
    pub cpu: String,
    pub memory_mb: u32,
    pub accel: Accel,
    pub icount: bool,
    /// Native Linux (bzImage + initramfs) rather than a Multiboot kernel.
    pub linux: bool,
    /// File that receives the control serial port (COM2).
    pub ctl: Option<PathBuf>,
}

impl Boot {
    pub fn new(kernel: PathBuf) -> Boot {
        Boot {
            kernel,
            modules: vec![],
            cmdline: String::new(),
            cpu: "486".into(),
            memory_mb: 128,
            accel: Accel::Tcg,
            icount: false,
            linux: false,
            ctl: None,
        }
    }

    fn args(&self) -> Vec<String> {
        let mut a: Vec<String> = vec![];
        let mut push = |s: &str| a.push(s.to_string());
        push("-cpu");
        push(&self.cpu);
        push("-m");
        push(&self.memory_mb.to_string());
        push("-accel");
        push(match self.accel {
            Accel::Tcg => "tcg",
            Accel::Kvm => "kvm",
        });
        if self.icount {
            push("-icount");
            push("shift=0,align=off,sleep=off");
        }
        push("-kernel");
        push(&self.kernel.display().to_string());
        if !self.modules.is_empty() {
            push("-initrd");
            let mods: Vec<String> = if self.linux {
                self.modules.iter().map(|(p, _)| p.display().to_string()).collect()
            } else {
                self.modules
                    .iter()
                    .map(|(p, args)| {
                        let s = if args.is_empty() { p.display().to_string() } else { format!("{} {}", p.display(), args) };
                        s.replace(',', ",,")
                    })
                    .collect()
            };
            push(&mods.join(","));
        }
        if !self.cmdline.is_empty() {
            push("-append");
            push(&self.cmdline);
        }
        for s in ["-display", "none", "-no-reboot", "-nodefaults", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] {
            push(s);
        }
        a
    }

    /// The full command line, for messages.
    pub fn describe(&self) -> String {
        format!("qemu-system-i386 {}", self.args().join(" "))
    }

    fn ctl_args(&self) -> Vec<String> {
        match &self.ctl {
            Some(p) => vec!["-serial".into(), format!("file:{}", p.display())],
            None => vec![],
        }
    }

    /// Run on the terminal: console on stdio, Ctrl-C goes to the guest,
    /// Ctrl-A X quits. Returns the decoded exit status.
    pub fn run_interactive(&self) -> Result<Exit> {
        let mut cmd = Command::new("qemu-system-i386");
        cmd.args(self.args());
        cmd.args(["-chardev", "stdio,id=con,mux=on,signal=off", "-serial", "chardev:con", "-mon", "chardev=con,mode=readline"]);
        cmd.args(self.ctl_args());
        let status = cmd.status().context("starting qemu-system-i386")?;
        restore_terminal();
        Ok(Exit::from_status(status.code(), self.ctl.as_deref()))
    }

    /// Run with the console captured; `input` is fed to the guest's serial
    /// console. Kills QEMU after `timeout`.
    pub fn run_captured(&self, timeout: Duration, input: Option<&[u8]>) -> Result<Run> {
        if let Some(c) = &self.ctl {
            let _ = std::fs::remove_file(c);
        }
        let mut cmd = Command::new("qemu-system-i386");
        cmd.args(self.args());
        cmd.args(["-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con"]);
        cmd.args(self.ctl_args());
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = cmd.spawn().context("starting qemu-system-i386")?;
        let mut stdin = child.stdin.take();
        if let (Some(data), Some(s)) = (input, stdin.as_mut()) {
            let _ = s.write_all(data);
        }
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = out.read_to_end(&mut v);
            v
        });
        let ereader = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = err.read_to_end(&mut v);
            v
        });
        let mut timed_out = false;
        let status = loop {
            if let Some(s) = child.try_wait()? {
                break s;
            }
            if start.elapsed() > timeout {
                timed_out = true;
                let _ = child.kill();
                break child.wait()?;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        drop(stdin);
        let output = String::from_utf8_lossy(&reader.join().unwrap_or_default()).replace('\r', "");
        let stderr = String::from_utf8_lossy(&ereader.join().unwrap_or_default()).to_string();
        let exit = if timed_out { Exit::Timeout } else { Exit::from_status(status.code(), self.ctl.as_deref()) };
        Ok(Run { output, stderr, exit, elapsed: start.elapsed() })
    }
}

/// Encode a Linux program's argument vector for the kernel command line:
/// `-- word word...` with every byte outside a safe set as `%XX` (the
/// server decodes it), so arguments may hold spaces, quotes, anything.
pub fn encode_argv(argv: &[String]) -> String {
    let mut s = String::from("--");
    for a in argv {
        s.push(' ');
        if a.is_empty() {
            s.push_str("%00");
            continue;
        }
        for b in a.bytes() {
            if b.is_ascii_alphanumeric() || b"/._=:,+-@".contains(&b) {
                s.push(b as char);
            } else {
                s.push_str(&format!("%{b:02X}"));
            }
        }
    }
    s
}

/// How a QEMU run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// isa-debug-exit with this value (or the exact status from COM2).
    Status(u32),
    /// The kernel reported a fatal error.
    KernelFatal,
    /// QEMU ended without the exit device (crash, shutdown, killed).
    Other(Option<i32>),
    Timeout,
}

impl Exit {
    pub fn from_status(code: Option<i32>, ctl: Option<&Path>) -> Exit {
        match code {
            Some(c) if c & 1 == 1 => {
                let v = (c as u32) >> 1;
                if v == KERNEL_FATAL {
                    return Exit::KernelFatal;
                }
                if let Some(exact) = ctl.and_then(ctl_status) {
                    return Exit::Status(exact);
                }
                Exit::Status(v)
            }
            other => Exit::Other(other),
        }
    }

    /// The status a shell would see for this run.
    pub fn shell_status(self) -> i32 {
        match self {
            Exit::Status(s) => s as i32,
            Exit::KernelFatal => 255,
            Exit::Other(Some(c)) => c,
            Exit::Other(None) | Exit::Timeout => 124,
        }
    }
}

/// The last `exit N` line the server wrote to the control port.
fn ctl_status(path: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().rev().find_map(|l| l.trim().strip_prefix("exit ")?.parse().ok())
}

pub struct Run {
    pub output: String,
    pub stderr: String,
    pub exit: Exit,
    pub elapsed: Duration,
}

/// Put the terminal back into a sane state if QEMU left it raw.
pub fn restore_terminal() {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let _ = Command::new("stty").arg("sane").stdin(Stdio::inherit()).status();
    }
}
