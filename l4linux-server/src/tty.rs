//! The console's line discipline (Linux N_TTY, simplified but faithful in
//! what shells and programs see): termios, canonical line editing with echo,
//! erase and kill, raw mode with VMIN/VTIME, output post-processing, and the
//! signal characters (^C, ^Z, ^\) for the foreground process group.

use crate::linux::sig::{SIGINT, SIGQUIT, SIGTSTP};
use crate::linux::Out;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

// c_iflag
pub const IGNBRK: u32 = 0o1;
pub const BRKINT: u32 = 0o2;
pub const INLCR: u32 = 0o100;
pub const IGNCR: u32 = 0o200;
pub const ICRNL: u32 = 0o400;
pub const IXON: u32 = 0o2000;
// c_oflag
pub const OPOST: u32 = 0o1;
pub const ONLCR: u32 = 0o4;
pub const OCRNL: u32 = 0o10;
// c_cflag
pub const B38400: u32 = 0o17;
pub const CS8: u32 = 0o60;
pub const CREAD: u32 = 0o200;
pub const HUPCL: u32 = 0o2000;
// c_lflag
pub const ISIG: u32 = 0o1;
pub const ICANON: u32 = 0o2;
pub const ECHO: u32 = 0o10;
pub const ECHOE: u32 = 0o20;
pub const ECHOK: u32 = 0o40;
pub const ECHONL: u32 = 0o100;
pub const NOFLSH: u32 = 0o200;
pub const TOSTOP: u32 = 0o400;
pub const ECHOCTL: u32 = 0o1000;
pub const ECHOKE: u32 = 0o4000;
pub const IEXTEN: u32 = 0o100000;
// c_cc indices
pub const VINTR: usize = 0;
pub const VQUIT: usize = 1;
pub const VERASE: usize = 2;
pub const VKILL: usize = 3;
pub const VEOF: usize = 4;
pub const VTIME: usize = 5;
pub const VMIN: usize = 6;
pub const VSTART: usize = 8;
pub const VSTOP: usize = 9;
pub const VSUSP: usize = 10;
pub const VEOL: usize = 11;
pub const VWERASE: usize = 14;
pub const VLNEXT: usize = 15;
pub const NCCS: usize = 19;

/// `struct termios` (the kernel's layout used by TCGETS: 36 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termios {
    pub iflag: u32,
    pub oflag: u32,
    pub cflag: u32,
    pub lflag: u32,
    pub line: u8,
    pub cc: [u8; NCCS],
}

impl Default for Termios {
    fn default() -> Self {
        let mut cc = [0u8; NCCS];
        cc[VINTR] = 3;
        cc[VQUIT] = 28;
        cc[VERASE] = 127;
        cc[VKILL] = 21;
        cc[VEOF] = 4;
        cc[VTIME] = 0;
        cc[VMIN] = 1;
        cc[VSTART] = 17;
        cc[VSTOP] = 19;
        cc[VSUSP] = 26;
        cc[VWERASE] = 23;
        cc[VLNEXT] = 22;
        cc[12] = 18; // VREPRINT
        cc[13] = 15; // VDISCARD
        Termios {
            iflag: ICRNL | IXON,
            oflag: OPOST | ONLCR,
            cflag: B38400 | CS8 | CREAD | HUPCL,
            lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            line: 0,
            cc,
        }
    }
}

impl Termios {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut o = Out::with_size(36);
        o.put_u32(0, self.iflag).put_u32(4, self.oflag).put_u32(8, self.cflag).put_u32(12, self.lflag);
        o.buf[16] = self.line;
        o.buf[17..17 + NCCS].copy_from_slice(&self.cc);
        o.buf
    }
    pub fn from_bytes(b: &[u8]) -> Termios {
        let w = |i| crate::linux::u32_at(b, i);
        let mut cc = [0u8; NCCS];
        cc.copy_from_slice(&b[17..17 + NCCS]);
        Termios { iflag: w(0), oflag: w(4), cflag: w(8), lflag: w(12), line: b[16], cc }
    }
}

/// End of file typed in canonical mode, queued among the input bytes.
const EOF_MARK: u16 = 0x100;

pub struct Tty {
    pub termios: Termios,
    /// Bytes readers may take (complete lines in canonical mode).
    /// Bytes a read may take, and [`EOF_MARK`]s (wider than a byte, so a
    /// typed 0xFF is data).
    ready: VecDeque<u16>,
    /// The line being edited (canonical mode).
    line: Vec<u8>,
    /// Lines ended by VEOF that carry no newline (read returns them as is;
    /// an empty one is end of file).
    eofs: usize,
    /// Signals the input generated, for the foreground group.
    signals: Vec<u32>,
    pub foreground: u32,
    pub session: u32,
    /// Window size: rows, columns.
    pub winsize: (u16, u16),
    /// Output column, for erase echo.
    column: usize,
    lnext: bool,
}

impl Tty {
    pub fn new() -> Tty {
        Tty {
            termios: Termios::default(),
            ready: VecDeque::new(),
            line: Vec::new(),
            eofs: 0,
            signals: Vec::new(),
            foreground: 0,
            session: 0,
            winsize: (24, 80),
            column: 0,
            lnext: false,
        }
    }

    fn canonical(&self) -> bool {
        self.termios.lflag & ICANON != 0
    }

    /// Process typed bytes; returns what to echo.
    pub fn input(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut echo = Vec::new();
        for &b0 in bytes {
            let t = self.termios;
            let mut b = b0;
            if self.lnext {
                self.lnext = false;
                self.put_char(b, &mut echo);
                continue;
            }
            if b == b'\r' {
                if t.iflag & IGNCR != 0 {
                    continue;
                }
                if t.iflag & ICRNL != 0 {
                    b = b'\n';
                }
            } else if b == b'\n' && t.iflag & INLCR != 0 {
                b = b'\r';
            }
            if t.lflag & ISIG != 0 {
                let sig = if b == t.cc[VINTR] && b != 0 {
                    Some(SIGINT)
                } else if b == t.cc[VQUIT] && b != 0 {
                    Some(SIGQUIT)
                } else if b == t.cc[VSUSP] && b != 0 {
                    Some(SIGTSTP)
                } else {
                    None
                };
                if let Some(s) = sig {
                    if t.lflag & NOFLSH == 0 {
                        self.line.clear();
                        self.ready.clear();
                        self.eofs = 0;
                    }
                    if t.lflag & ECHO != 0 {
                        self.echo_ctl(b, &mut echo);
                        echo.extend_from_slice(b"\r\n");
                        self.column = 0;
                    }
                    self.signals.push(s);
                    continue;
                }
            }
            if !self.canonical() {
                self.ready.push_back(b as u16);
                if t.lflag & ECHO != 0 {
                    self.echo_char(b, &mut echo);
                }
                continue;
            }
            if t.lflag & IEXTEN != 0 && b == t.cc[VLNEXT] && b != 0 {
                self.lnext = true;
                continue;
            }
            if b == t.cc[VERASE] && b != 0 || b == 8 && t.cc[VERASE] == 127 {
                if let Some(c) = self.line.pop() {
                    if t.lflag & ECHO != 0 && t.lflag & ECHOE != 0 {
                        let w = if c < 32 && t.lflag & ECHOCTL != 0 { 2 } else { 1 };
                        for _ in 0..w {
                            echo.extend_from_slice(b"\x08 \x08");
                        }
                        self.column = self.column.saturating_sub(w);
                    }
                }
                continue;
            }
            if b == t.cc[VWERASE] && b != 0 && t.lflag & IEXTEN != 0 {
                while self.line.last() == Some(&b' ') {
                    self.line.pop();
                    echo.extend_from_slice(b"\x08 \x08");
                }
                while self.line.last().is_some_and(|&c| c != b' ') {
                    self.line.pop();
                    echo.extend_from_slice(b"\x08 \x08");
                }
                continue;
            }
            if b == t.cc[VKILL] && b != 0 {
                if t.lflag & ECHO != 0 && t.lflag & ECHOKE != 0 {
                    for _ in 0..self.line.len() {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                } else if t.lflag & ECHOK != 0 {
                    echo.extend_from_slice(b"\r\n");
                }
                self.line.clear();
                continue;
            }
            if b == t.cc[VEOF] && b != 0 {
                self.ready.extend(self.line.drain(..).map(u16::from));
                self.eofs += 1;
                self.ready.push_back(EOF_MARK); // removed by read
                continue;
            }
            self.put_char(b, &mut echo);
        }
        echo
    }

    fn put_char(&mut self, b: u8, echo: &mut Vec<u8>) {
        let t = self.termios;
        if self.canonical() {
            self.line.push(b);
            if t.lflag & ECHO != 0 || (b == b'\n' && t.lflag & ECHONL != 0) {
                self.echo_char(b, echo);
            }
            if b == b'\n' || (b == t.cc[VEOL] && b != 0) {
                self.ready.extend(self.line.drain(..).map(u16::from));
            }
        } else {
            self.ready.push_back(b as u16);
        }
    }

    fn echo_ctl(&mut self, b: u8, echo: &mut Vec<u8>) {
        if self.termios.lflag & ECHOCTL != 0 && b < 32 {
            echo.push(b'^');
            echo.push(b + 64);
            self.column += 2;
        } else {
            echo.push(b);
        }
    }

    fn echo_char(&mut self, b: u8, echo: &mut Vec<u8>) {
        if b == b'\n' {
            echo.extend(self.output(b"\n"));
            self.column = 0;
        } else if b < 32 && b != b'\t' {
            self.echo_ctl(b, echo);
        } else {
            echo.push(b);
            self.column += 1;
        }
    }

    /// Signals produced by input since the last call.
    pub fn take_signals(&mut self) -> Vec<u32> {
        core::mem::take(&mut self.signals)
    }

    /// Can a read return now, and how many bytes at most?
    pub fn readable(&self, want: usize) -> bool {
        if self.canonical() {
            return !self.ready.is_empty();
        }
        let vmin = self.termios.cc[VMIN] as usize;
        // VMIN 0: with VTIME 0 a read returns at once, with VTIME > 0 it
        // waits that long for a byte (read_timeout_ns)
        self.ready.len() >= vmin.min(want).max(1) || (vmin == 0 && self.termios.cc[VTIME] == 0)
    }

    /// Does poll report input? As Linux's n_tty: a line (or end of file)
    /// in canonical mode; in raw mode VMIN bytes when VTIME is 0 and VMIN
    /// is not, else one byte.
    pub fn poll_readable(&self) -> bool {
        if self.canonical() {
            return !self.ready.is_empty();
        }
        let (vmin, vtime) = (self.termios.cc[VMIN] as usize, self.termios.cc[VTIME]);
        self.ready.len() >= if vtime == 0 && vmin > 0 { vmin } else { 1 }
    }

    /// Raw mode with VMIN == 0 and VTIME > 0: the read timeout in ns.
    pub fn read_timeout_ns(&self) -> Option<u64> {
        let t = self.termios;
        (!self.canonical() && t.cc[VMIN] == 0 && t.cc[VTIME] > 0).then(|| t.cc[VTIME] as u64 * 100_000_000)
    }

    /// Take up to `max` bytes (one line at most in canonical mode).
    pub fn read(&mut self, max: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while out.len() < max {
            let Some(b) = self.ready.pop_front() else { break };
            if b == EOF_MARK {
                self.eofs = self.eofs.saturating_sub(1);
                if self.canonical() {
                    break;
                }
                // (an end of file typed before raw mode was set: nothing)
                continue;
            }
            out.push(b as u8);
            if self.canonical() && b == b'\n' as u16 {
                break;
            }
        }
        out
    }

    /// Output post-processing (OPOST, ONLCR, OCRNL).
    pub fn output(&mut self, data: &[u8]) -> Vec<u8> {
        let t = self.termios;
        if t.oflag & OPOST == 0 {
            return data.to_vec();
        }
        let mut out = Vec::with_capacity(data.len() + 8);
        for &b in data {
            match b {
                b'\n' if t.oflag & ONLCR != 0 => {
                    out.extend_from_slice(b"\r\n");
                    self.column = 0;
                }
                b'\r' if t.oflag & OCRNL != 0 => out.push(b'\n'),
                _ => {
                    out.push(b);
                    self.column = if b == b'\r' { 0 } else { self.column + 1 };
                }
            }
        }
        out
    }

    /// Bytes a read could take now (FIONREAD).
    pub fn available(&self) -> usize {
        self.ready.iter().filter(|&&b| b != EOF_MARK).count()
    }

    /// Drop pending input (TCFLSH).
    pub fn flush_input(&mut self) {
        self.ready.clear();
        self.line.clear();
        self.eofs = 0;
    }
}

impl Default for Tty {
    fn default() -> Self {
        Tty::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_editing_and_echo() {
        let mut t = Tty::new();
        let echo = t.input(b"lsx\x7f -l\r");
        assert_eq!(echo, b"lsx\x08 \x08 -l\r\n");
        assert!(t.readable(100));
        assert_eq!(t.read(100), b"ls -l\n");
        assert!(!t.readable(100));
        t.input(b"abc\x15def\n");
        assert_eq!(t.read(100), b"def\n");
    }

    #[test]
    fn eof_and_signals() {
        let mut t = Tty::new();
        t.input(b"partial\x04");
        assert_eq!(t.read(100), b"partial");
        t.input(b"\x04");
        assert!(t.readable(1));
        assert_eq!(t.read(100), b"", "an empty line ended by VEOF is end of file");
        let echo = t.input(b"typing\x03");
        assert_eq!(t.take_signals(), alloc::vec![SIGINT]);
        assert!(echo.ends_with(b"^C\r\n"));
        assert!(!t.readable(1), "^C discards the line");
        t.input(b"\x1a\x1c");
        assert_eq!(t.take_signals(), alloc::vec![SIGTSTP, SIGQUIT]);
    }

    #[test]
    fn a_typed_0xff_is_data() {
        let mut t = Tty::new();
        t.input(b"a\xffb\x04");
        assert_eq!(t.read(100), b"a\xffb");
        t.input(b"\xff\n");
        assert_eq!(t.available(), 2);
        assert_eq!(t.read(100), b"\xff\n");
    }

    #[test]
    fn raw_mode_vmin() {
        let mut t = Tty::new();
        t.termios.lflag &= !(ICANON | ECHO);
        t.termios.cc[VMIN] = 3;
        assert!(t.input(b"ab").is_empty());
        assert!(!t.readable(10));
        t.input(b"c");
        assert!(t.readable(10));
        assert_eq!(t.read(2), b"ab");
        t.termios.cc[VMIN] = 0;
        t.termios.cc[VTIME] = 5;
        assert_eq!(t.read_timeout_ns(), Some(500_000_000));
        t.read(10);
        assert!(!t.readable(10), "VTIME > 0: wait for a byte (or the timeout)");
        t.input(b"x");
        assert!(t.readable(10));
        t.read(10);
        t.termios.cc[VTIME] = 0;
        assert!(t.readable(10), "VMIN 0, VTIME 0: a read returns at once");
        assert!(!t.poll_readable(), "but poll waits for a byte");
        t.termios.cc[VMIN] = 2;
        t.input(b"y");
        assert!(!t.poll_readable());
        t.input(b"z");
        assert!(t.poll_readable());
        assert_eq!(t.read_timeout_ns(), None);
    }

    #[test]
    fn output_processing_and_termios_bytes() {
        let mut t = Tty::new();
        assert_eq!(t.output(b"a\nb"), b"a\r\nb");
        t.termios.oflag = 0;
        assert_eq!(t.output(b"a\nb"), b"a\nb");
        let b = Termios::default().to_bytes();
        assert_eq!(b.len(), 36);
        assert_eq!(Termios::from_bytes(&b), Termios::default());
    }
}
