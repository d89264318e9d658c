//! Unpacking cpio newc archives: every entry type, attributes, hard links,
//! replacing entries, several archives in a row, and malformed input.

use super::*;
use alloc::format;
use alloc::vec;

/// Builds newc archives by hand.
struct Cpio {
    data: Vec<u8>,
    crc: bool,
    next_ino: u32,
}

/// One entry's header fields (the rest are derived).
#[derive(Clone, Copy)]
struct E {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: u32,
    nlink: u32,
    ino: u32,
    rdev: (u32, u32),
}

impl E {
    fn new(mode: u32) -> E {
        E { mode, uid: 0, gid: 0, mtime: 0, nlink: 1, ino: 0, rdev: (0, 0) }
    }
}

impl Cpio {
    fn new() -> Cpio {
        Cpio { data: Vec::new(), crc: false, next_ino: 100 }
    }

    fn pad(&mut self) {
        while !self.data.len().is_multiple_of(4) {
            self.data.push(0);
        }
    }

    fn raw(&mut self, name: &[u8], e: E, body: &[u8]) -> &mut Cpio {
        let ino = if e.ino != 0 {
            e.ino
        } else {
            self.next_ino += 1;
            self.next_ino
        };
        let check = if self.crc { body.iter().fold(0u32, |a, &b| a.wrapping_add(u32::from(b))) } else { 0 };
        let fields = [
            ino,
            e.mode,
            e.uid,
            e.gid,
            e.nlink,
            e.mtime,
            body.len() as u32,
            0,
            0,
            e.rdev.0,
            e.rdev.1,
            name.len() as u32 + 1,
            check,
        ];
        self.data.extend_from_slice(if self.crc { b"070702" } else { b"070701" });
        for f in fields {
            self.data.extend_from_slice(format!("{f:08X}").as_bytes());
        }
        self.data.extend_from_slice(name);
        self.data.push(0);
        self.pad();
        self.data.extend_from_slice(body);
        self.pad();
        self
    }

    fn entry(&mut self, name: &str, e: E, body: &[u8]) -> &mut Cpio {
        self.raw(name.as_bytes(), e, body)
    }
    fn dir(&mut self, name: &str, perm: u32) -> &mut Cpio {
        self.entry(name, E::new(S_IFDIR | perm), b"")
    }
    fn file(&mut self, name: &str, perm: u32, body: &[u8]) -> &mut Cpio {
        self.entry(name, E::new(S_IFREG | perm), body)
    }
    fn link(&mut self, name: &str, target: &str) -> &mut Cpio {
        self.entry(name, E::new(S_IFLNK | 0o777), target.as_bytes())
    }

    /// The trailer and padding to 512 bytes, as the Linux tools write it.
    fn finish(&mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", E::new(0), b"");
        while !self.data.len().is_multiple_of(512) {
            self.data.push(0);
        }
        core::mem::take(&mut self.data)
    }
}

fn unpack(v: &mut Vfs, data: &[u8]) -> Result<usize, Errno> {
    v.unpack_cpio(data, t(5000))
}

#[test]
fn every_entry_type_with_its_attributes() {
    let mut c = Cpio::new();
    c.entry("bin", E { mtime: 111, ..E::new(S_IFDIR | 0o755) }, b"");
    c.entry("bin/sh", E { uid: 1, gid: 2, mtime: 12345, ..E::new(S_IFREG | 0o4755) }, b"#!binary");
    c.entry("bin/ls", E { uid: 3, mtime: 77, ..E::new(S_IFLNK | 0o777) }, b"sh");
    // no "dev" entry: the parent is made
    c.entry("dev/null", E { rdev: (1, 3), mtime: 5, ..E::new(S_IFCHR | 0o666) }, b"");
    c.entry("dev/ttyS0", E { rdev: (4, 64), ..E::new(S_IFCHR | 0o660) }, b"");
    c.entry("run/fifo", E::new(S_IFIFO | 0o600), b"");
    c.entry("etc", E { mtime: 777, uid: 9, ..E::new(S_IFDIR | 0o700) }, b"");
    c.file("etc/passwd", 0o644, b"root:x:0:0::/root:/bin/sh\n");
    c.dir("tmp", 0o1777);
    let data = c.finish();
    let mut v = fs();
    assert_eq!(unpack(&mut v, &data), Ok(9));

    let sh = v.attr(ino(&v, "bin/sh"));
    assert_eq!((sh.st_mode(), sh.uid, sh.gid, sh.size, sh.blocks), (S_IFREG | 0o4755, 1, 2, 8, 8));
    assert_eq!((sh.mtime, sh.atime, sh.ctime), (t(12345), t(12345), t(5000)));
    let sh_ino = ino(&v, "bin/sh");
    assert_eq!(content(&mut v, sh_ino), b"#!binary");
    let ls = v.attr(ino(&v, "bin/ls"));
    assert_eq!((ls.st_mode(), ls.uid, ls.mtime), (S_IFLNK | 0o777, 3, t(77)));
    assert_eq!(v.readlink(ls.ino), Ok(b"sh".to_vec()));
    assert_eq!(res(&v, "bin/ls"), Ok(sh_ino));
    let null = v.attr(ino(&v, "dev/null"));
    assert_eq!((null.st_mode(), null.rdev(), null.mtime), (S_IFCHR | 0o666, 0x103, t(5)));
    assert_eq!(null.kind, Kind::CharDev { major: 1, minor: 3 });
    assert_eq!(v.attr(ino(&v, "dev/ttyS0")).rdev(), 0x440);
    let dev = v.attr(ino(&v, "dev"));
    assert_eq!((dev.st_mode(), dev.uid, dev.nlink), (S_IFDIR | 0o755, 0, 2));
    assert_eq!(v.attr(ino(&v, "run/fifo")).st_mode(), S_IFIFO | 0o600);
    // directory times are set after their contents are in
    let etc = v.attr(ino(&v, "etc"));
    assert_eq!((etc.st_mode(), etc.uid, etc.mtime, etc.atime), (S_IFDIR | 0o700, 9, t(777), t(777)));
    assert_eq!(v.attr(ino(&v, "bin")).mtime, t(111));
    assert_eq!(v.attr(ino(&v, "tmp")).mode, 0o1777);
    assert_eq!(v.attr(ROOT_INO).nlink, 2 + 5);
}

#[test]
fn name_spellings_and_the_root_entry() {
    let mut c = Cpio::new();
    c.dir(".", 0o1777);
    c.file("./a", 0o600, b"A");
    c.file("/b", 0o600, b"B");
    c.file("c//d", 0o600, b"D");
    c.file("c/../e", 0o600, b"E");
    let data = c.finish();
    let mut v = fs();
    assert_eq!(unpack(&mut v, &data), Ok(5));
    assert_eq!(v.attr(ROOT_INO).mode, 0o1777);
    assert_eq!(v.attr(ROOT_INO).mtime, t(0));
    for (p, want) in [("a", b"A"), ("b", b"B"), ("c/d", b"D"), ("e", b"E")] {
        let i = ino(&v, p);
        assert_eq!(content(&mut v, i), want, "{p}");
    }
}

#[test]
fn existing_entries_are_replaced_by_other_types() {
    let mut v = fs();
    mkdir(&mut v, "wasdir");
    put(&mut v, "wasfile", b"old");
    put(&mut v, "wasfile2", b"old");
    symlink(&mut v, "wasfile", "waslink");
    mkdir(&mut v, "full");
    put(&mut v, "full/x", b"");
    let keep = mkdir(&mut v, "keepdir");
    let mut c = Cpio::new();
    c.file("wasdir", 0o644, b"now a file");
    c.dir("wasfile", 0o700);
    c.link("wasfile2", "target");
    c.file("waslink", 0o600, b"not through the link");
    c.file("full", 0o644, b"cannot replace a non-empty directory");
    c.entry("keepdir", E { uid: 4, ..E::new(S_IFDIR | 0o711) }, b"");
    let data = c.finish();
    assert_eq!(unpack(&mut v, &data), Ok(6));
    assert_eq!(v.attr(ino(&v, "wasdir")).kind, Kind::File);
    assert_eq!(v.attr(ino(&v, "wasfile")).kind, Kind::Dir);
    assert_eq!(v.readlink(ino(&v, "wasfile2")), Ok(b"target".to_vec()));
    assert_eq!(v.attr(ino(&v, "waslink")).kind, Kind::File);
    assert!(res(&v, "full/x").is_ok());
    // an existing directory stays, with the entry's mode and owner
    assert_eq!(ino(&v, "keepdir"), keep);
    assert_eq!((v.attr(keep).mode, v.attr(keep).uid), (0o711, 4));
    // a file entry over an existing file replaces its data
    let mut c = Cpio::new();
    c.file("wasdir", 0o600, b"short");
    let data = c.finish();
    unpack(&mut v, &data).unwrap();
    let i = ino(&v, "wasdir");
    assert_eq!(content(&mut v, i), b"short");
}

#[test]
fn hard_links_share_one_inode() {
    let mut c = Cpio::new();
    let e = E { ino: 42, nlink: 3, ..E::new(S_IFREG | 0o755) };
    c.entry("bin/a", e, b"");
    c.entry("bin/b", e, b"");
    c.entry("sbin/c", e, b"shared data");
    // same inode number, other type: not a link
    c.entry("bin/d", E { ino: 42, nlink: 2, ..E::new(S_IFIFO | 0o644) }, b"");
    let data = c.finish();
    let mut v = fs();
    assert_eq!(unpack(&mut v, &data), Ok(4));
    let a = ino(&v, "bin/a");
    assert_eq!((ino(&v, "bin/b"), ino(&v, "sbin/c")), (a, a));
    assert_eq!(v.attr(a).nlink, 3);
    assert_eq!(content(&mut v, a), b"shared data");
    assert_eq!(v.attr(ino(&v, "bin/d")).kind, Kind::Fifo);
    // the table of first names ends with each archive
    let mut c = Cpio::new();
    c.entry("bin/e", e, b"other");
    let data = c.finish();
    unpack(&mut v, &data).unwrap();
    assert_ne!(ino(&v, "bin/e"), a);
}

#[test]
fn concatenated_archives_with_padding() {
    let mut c1 = Cpio::new();
    c1.dir("dev", 0o755).file("init", 0o755, b"x");
    let mut data = c1.finish();
    data.extend_from_slice(&[0; 1024]);
    let mut c2 = Cpio::new();
    c2.entry("dev/console", E { rdev: (5, 1), ..E::new(S_IFCHR | 0o600) }, b"");
    data.extend_from_slice(&c2.finish());
    let mut v = fs();
    assert_eq!(unpack(&mut v, &data), Ok(3));
    assert_eq!(v.attr(ino(&v, "dev/console")).rdev(), 0x501);
    // zero padding between entries of one archive is accepted too
    let mut c = Cpio::new();
    c.file("a", 0o644, b"");
    c.data.extend_from_slice(&[0; 8]);
    c.file("b", 0o644, b"");
    let data = c.finish();
    assert_eq!(unpack(&mut fs(), &data), Ok(2));
}

#[test]
fn checksummed_archives() {
    let mut c = Cpio::new();
    c.crc = true;
    c.file("f", 0o644, b"checked");
    c.dir("d", 0o755);
    let good = c.finish();
    let mut v = fs();
    assert_eq!(unpack(&mut v, &good), Ok(2));
    let f = ino(&v, "f");
    assert_eq!(content(&mut v, f), b"checked");
    // flip one data byte: the sum no longer matches
    let mut bad = good.clone();
    let at = bad.windows(7).position(|w| w == b"checked").unwrap();
    bad[at] ^= 1;
    assert_eq!(unpack(&mut fs(), &bad), Err(EINVAL));
}

#[test]
fn entries_linux_skips() {
    let mut c = Cpio::new();
    // a device with data, a block device, a socket, an unknown type
    c.entry("dev/sda", E { rdev: (8, 0), ..E::new(S_IFBLK | 0o660) }, b"");
    c.entry("dev/odd", E { rdev: (1, 3), ..E::new(S_IFCHR | 0o666) }, b"data");
    c.entry("sock", E::new(S_IFSOCK | 0o777), b"");
    c.entry("weird", E::new(0o170000 | 0o644), b"");
    // a file below a file
    c.file("f", 0o644, b"");
    c.file("f/x", 0o644, b"");
    // an over-long symlink target
    c.entry("longlink", E::new(S_IFLNK | 0o777), &vec![b'a'; 4097]);
    let data = c.finish();
    let mut v = fs();
    assert_eq!(unpack(&mut v, &data), Ok(7));
    for p in ["dev/sda", "dev/odd", "sock", "weird", "f/x", "longlink"] {
        assert!(lres(&v, p).is_err(), "{p} should be skipped");
    }
    assert!(res(&v, "f").is_ok());
}

#[test]
fn empty_and_odd_inputs() {
    let mut v = fs();
    assert_eq!(unpack(&mut v, b""), Ok(0));
    assert_eq!(unpack(&mut v, &[0; 512]), Ok(0));
    assert_eq!(unpack(&mut v, &Cpio::new().finish()), Ok(0));
    // gzip or anything else: no decompressors here
    assert_eq!(unpack(&mut v, &[0x1f, 0x8b, 8, 0]), Err(EINVAL));
    // the old binary and odc formats
    assert_eq!(unpack(&mut v, b"070707000000000000000000000000000000000000000000000000000000000000000000000"), Err(EINVAL));
    // a header not on a 4-byte boundary
    let mut data = vec![0u8; 2];
    data.extend_from_slice(&Cpio::new().finish());
    assert_eq!(unpack(&mut v, &data), Err(EINVAL));
    // entries without a trailer
    let mut c = Cpio::new();
    c.file("a", 0o644, b"x");
    assert_eq!(unpack(&mut fs(), &c.data.clone()), Err(EINVAL));
    // non-hex digits, a name without its NUL
    let mut good = Cpio::new();
    good.file("abc", 0o644, b"x");
    let good = good.finish();
    let mut bad = good.clone();
    bad[20] = b'G';
    assert_eq!(unpack(&mut fs(), &bad), Err(EINVAL));
    let mut bad = good.clone();
    bad[110 + 3] = b'!';
    assert_eq!(unpack(&mut fs(), &bad), Err(EINVAL));
    // a zero name size is skipped, as Linux does
    let mut c = Cpio::new();
    c.raw(b"", E::new(S_IFREG | 0o644), b"");
    let mut data = c.data.clone();
    // patch namesize (field 11) to 0
    data[6 + 11 * 8..6 + 12 * 8].copy_from_slice(b"00000000");
    data.truncate(112);
    data.extend_from_slice(&Cpio::new().finish());
    assert_eq!(unpack(&mut fs(), &data), Ok(0));
}

#[test]
fn every_truncation_is_an_error() {
    let mut c = Cpio::new();
    c.dir("d", 0o755).file("d/f", 0o644, b"0123456789").link("d/l", "f");
    let data = c.finish();
    let end = data.windows(10).position(|w| w == b"TRAILER!!!").unwrap() + 11;
    for len in 0..end {
        let r = unpack(&mut fs(), &data[..len]);
        if len == 0 {
            assert_eq!(r, Ok(0));
        } else {
            assert_eq!(r, Err(EINVAL), "prefix of {len} bytes");
        }
    }
    for len in end..=data.len() {
        assert_eq!(unpack(&mut fs(), &data[..len]), Ok(3), "prefix of {len} bytes");
    }
}

#[test]
fn huge_sizes_in_headers_do_not_panic() {
    for (field, value) in [(6, "FFFFFFFF"), (11, "FFFFFFFF"), (11, "00001001"), (6, "7FFFFFFF"), (4, "FFFFFFFF")] {
        let mut c = Cpio::new();
        c.file("f", 0o644, b"x");
        let mut data = c.finish();
        data[6 + field * 8..6 + (field + 1) * 8].copy_from_slice(value.as_bytes());
        let _ = unpack(&mut fs(), &data);
    }
}

#[test]
fn random_damage_never_panics() {
    let mut c = Cpio::new();
    c.dir("d", 0o755)
        .file("d/f", 0o644, b"some data here")
        .link("d/l", "f")
        .entry("d/c", E { rdev: (1, 3), ..E::new(S_IFCHR | 0o666) }, b"")
        .entry("d/h", E { nlink: 2, ino: 7, ..E::new(S_IFREG | 0o644) }, b"")
        .entry("d/h2", E { nlink: 2, ino: 7, ..E::new(S_IFREG | 0o644) }, b"x");
    let good = c.finish();
    let mut seed = 0x1234_5678_u32;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let alphabet = b"0123456789ABCDEFabcdef/.\0TRAILER!";
    for _ in 0..3000 {
        let mut data = good.clone();
        for _ in 0..1 + rand() % 4 {
            let at = rand() as usize % data.len();
            data[at] = if rand() % 2 == 0 { alphabet[rand() as usize % alphabet.len()] } else { rand() as u8 };
        }
        let cut = if rand() % 4 == 0 { rand() as usize % data.len() } else { data.len() };
        let mut v = fs();
        let _ = unpack(&mut v, &data[..cut]);
        // whatever happened, the tree is still consistent enough to walk
        let _ = v.resolve(ROOT_INO, b"d/l", true);
        let _ = listing(&v, ROOT_INO);
    }
}

#[test]
fn budget_runs_out_while_unpacking() {
    let mut c = Cpio::new();
    c.file("a", 0o644, &[1; 5000]).file("b", 0o644, &[2; 5000]);
    let data = c.finish();
    let mut v = fs();
    v.set_budget(3 * 4096);
    assert_eq!(unpack(&mut v, &data), Err(ENOSPC));
    assert_eq!(v.attr(ino(&v, "a")).size, 5000);
    let mut v = fs();
    v.set_inode_limit(2);
    assert_eq!(unpack(&mut v, &data), Err(ENOSPC));
}
