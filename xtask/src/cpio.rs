//! Writing cpio "newc" archives (the initrd format the Linux server and the
//! native Linux kernel both unpack).

use std::io::Write;

/// A cpio newc archive being built in memory.
#[derive(Default)]
pub struct Cpio {
    data: Vec<u8>,
    ino: u32,
    mtime: u32,
}

pub const S_IFREG: u32 = 0o100000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFLNK: u32 = 0o120000;

impl Cpio {
    pub fn new() -> Cpio {
        let mtime = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as u32);
        Cpio { data: Vec::new(), ino: 1, mtime }
    }

    fn pad4(&mut self) {
        while self.data.len() % 4 != 0 {
            self.data.push(0);
        }
    }

    /// Append one entry (`name` without a leading slash).
    pub fn entry(&mut self, name: &str, mode: u32, body: &[u8]) {
        let name = name.trim_start_matches('/');
        let fields = [
            self.ino,
            mode,
            0, // uid
            0, // gid
            if mode & S_IFDIR != 0 { 2 } else { 1 },
            self.mtime,
            body.len() as u32,
            0,
            0,
            0,
            0,
            name.len() as u32 + 1,
            0,
        ];
        self.ino += 1;
        write!(self.data, "070701").unwrap();
        for f in fields {
            write!(self.data, "{f:08X}").unwrap();
        }
        self.data.extend_from_slice(name.as_bytes());
        self.data.push(0);
        self.pad4();
        self.data.extend_from_slice(body);
        self.pad4();
    }

    pub fn dir(&mut self, name: &str) {
        self.entry(name, S_IFDIR | 0o755, &[]);
    }
    pub fn file(&mut self, name: &str, mode: u32, body: &[u8]) {
        self.entry(name, S_IFREG | mode, body);
    }
    pub fn symlink(&mut self, name: &str, target: &str) {
        self.entry(name, S_IFLNK | 0o777, target.as_bytes());
    }

    /// Terminate the archive and return its bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[]);
        while self.data.len() % 512 != 0 {
            self.data.push(0);
        }
        self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_newc() {
        let mut c = Cpio::new();
        c.file("bin/x", 0o755, b"hello");
        let d = c.finish();
        assert_eq!(&d[..6], b"070701");
        // name starts after the 110-byte header
        assert_eq!(&d[110..116], b"bin/x\0");
        // header + name padded to 4, then the body
        let body = (110 + 6 + 3) / 4 * 4;
        assert_eq!(&d[body..body + 5], b"hello");
        assert_eq!(d.len() % 512, 0);
        assert!(d.windows(10).any(|w| w == b"TRAILER!!!"));
    }
}
