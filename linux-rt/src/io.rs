//! Output to file descriptors: the `print!`/`println!`/`eprint!`/`eprintln!`
//! macros format into a small stack buffer and write it out with as few
//! `write` calls as possible (one per line for short lines).

use core::fmt;

/// A `fmt::Write` sink that buffers up to 512 bytes before writing to `fd`.
pub struct FdWriter {
    fd: i32,
    len: usize,
    buf: [u8; 512],
}

impl FdWriter {
    pub const fn new(fd: i32) -> FdWriter {
        FdWriter { fd, len: 0, buf: [0; 512] }
    }

    /// Write out what is buffered. Partial writes are continued; EINTR is
    /// retried; other errors drop the rest (there is nowhere to report them).
    pub fn flush(&mut self) {
        write_all(self.fd, &self.buf[..self.len]);
        self.len = 0;
    }
}

impl fmt::Write for FdWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut bytes = s.as_bytes();
        while !bytes.is_empty() {
            if self.len == self.buf.len() {
                self.flush();
            }
            let n = bytes.len().min(self.buf.len() - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
            self.len += n;
            bytes = &bytes[n..];
        }
        Ok(())
    }
}

/// Write all of `data` to `fd` (see [`FdWriter::flush`] for errors).
pub fn write_all(fd: i32, mut data: &[u8]) {
    while !data.is_empty() {
        let r = crate::sys::write(fd, data);
        if r == -crate::errno::EINTR {
            continue;
        }
        if r <= 0 {
            return;
        }
        data = &data[r as usize..];
    }
}

#[doc(hidden)]
pub fn _print(fd: i32, args: fmt::Arguments) {
    let mut w = FdWriter::new(fd);
    let _ = fmt::Write::write_fmt(&mut w, args);
    w.flush();
}

/// Displays bytes as text: valid UTF-8 as is, each invalid byte as U+FFFD.
pub struct Bytes<'a>(pub &'a [u8]);

impl fmt::Display for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{fffd}")?;
            }
        }
        Ok(())
    }
}

/// Print to standard output.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::io::_print(1, format_args!($($arg)*)) };
}

/// Print a line to standard output.
#[macro_export]
macro_rules! println {
    () => { $crate::io::_print(1, format_args!("\n")) };
    ($($arg:tt)*) => { $crate::io::_print(1, format_args!("{}\n", format_args!($($arg)*))) };
}

/// Print to standard error.
#[macro_export]
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::io::_print(2, format_args!($($arg)*)) };
}

/// Print a line to standard error.
#[macro_export]
macro_rules! eprintln {
    () => { $crate::io::_print(2, format_args!("\n")) };
    ($($arg:tt)*) => { $crate::io::_print(2, format_args!("{}\n", format_args!($($arg)*))) };
}
