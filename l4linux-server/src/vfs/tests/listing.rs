//! Directory listings: order, entry fields, cookies that survive changes
//! to the directory during a listing.

use super::*;
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};

#[test]
fn listing_order_and_fields() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    let a = put(&mut v, "d/a", b"");
    let sub = mkdir(&mut v, "d/sub");
    let l = symlink(&mut v, "a", "d/lnk");
    let c = v.create(d, b"chr", Kind::CharDev { major: 4, minor: 64 }, 0o660, 0, 0, T0).unwrap();
    let p = v.create(d, b"pipe", Kind::Fifo, 0o644, 0, 0, T0).unwrap();
    // ".", "..", then newest first (Linux 6.1 tmpfs order)
    assert_eq!(listing(&v, d), [".", "..", "pipe", "chr", "lnk", "sub", "a"]);
    let mut cookie = 0;
    let mut got = Vec::new();
    while let Some(e) = v.readdir(d, cookie).unwrap() {
        got.push((e.name.clone(), e.ino, e.d_type));
        cookie = e.next_cookie;
    }
    let want: Vec<(Vec<u8>, Ino, u8)> = vec![
        (b".".to_vec(), d, DT_DIR),
        (b"..".to_vec(), ROOT_INO, DT_DIR),
        (b"pipe".to_vec(), p, DT_FIFO),
        (b"chr".to_vec(), c, DT_CHR),
        (b"lnk".to_vec(), l, DT_LNK),
        (b"sub".to_vec(), sub, DT_DIR),
        (b"a".to_vec(), a, DT_REG),
    ];
    assert_eq!(got, want);
    // the root's ".." is the root; an empty directory lists only dots
    assert_eq!(v.readdir(ROOT_INO, 1).unwrap().map(|e| e.ino), Some(ROOT_INO));
    assert_eq!(listing(&v, sub), [".", ".."]);
    // the end stays the end
    assert_eq!(v.readdir(d, cookie), Ok(None));
    assert_eq!(v.readdir(d, cookie + 1), Ok(None));
}

#[test]
fn renamed_and_relinked_entries_move_to_the_front() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    for n in ["a", "b", "c"] {
        put(&mut v, &format!("d/{n}"), b"");
    }
    v.rename_at(ROOT_INO, b"d/a", ROOT_INO, b"d/z", false, T0).unwrap();
    assert_eq!(listing(&v, d), [".", "..", "z", "c", "b"]);
    v.link_at(ROOT_INO, b"d/b", false, ROOT_INO, b"d/b2", T0).unwrap();
    assert_eq!(listing(&v, d), [".", "..", "b2", "z", "c", "b"]);
}

#[test]
fn bad_listing_requests() {
    let mut v = fs();
    let f = put(&mut v, "f", b"");
    let d = mkdir(&mut v, "d");
    put(&mut v, "d/x", b"");
    assert_eq!(v.readdir(f, 0), Err(ENOTDIR));
    assert_eq!(v.readdir(4711, 0), Err(ENOENT));
    // any cookie (a program may lseek a directory anywhere)
    for c in [2, 3, 1000, 0x7fff_ffff, 0x8000_0000, u64::MAX / 2, u64::MAX] {
        let _ = v.readdir(d, c);
    }
    assert_eq!(v.readdir(d, u64::MAX), Ok(None));
}

/// Read `dir` with cookies, calling `during` after each child entry.
fn list_while(v: &mut Vfs, dir: Ino, mut during: impl FnMut(&mut Vfs, &str)) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cookie = 2; // past "." and ".."
    while let Some(e) = v.readdir(dir, cookie).unwrap() {
        let name = String::from_utf8(e.name).unwrap();
        during(v, &name);
        seen.push(name);
        cookie = e.next_cookie;
    }
    seen
}

#[test]
fn deleting_during_a_listing_skips_nothing_else() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    let names: Vec<String> = (0..100).map(|i| format!("f{i:03}")).collect();
    for n in &names {
        put(&mut v, &format!("d/{n}"), b"");
    }
    // remove each entry after reading it (rm -r), and every 7th name ahead
    let mut removed_ahead = BTreeSet::new();
    let seen = list_while(&mut v, d, |v, name| {
        v.unlink_at(ROOT_INO, format!("d/{name}").as_bytes(), T0).unwrap();
        let i: usize = name[1..].parse().unwrap();
        if i % 7 == 3 && i >= 7 {
            let ahead = format!("f{:03}", i - 7);
            if v.unlink_at(ROOT_INO, format!("d/{ahead}").as_bytes(), T0).is_ok() {
                removed_ahead.insert(ahead);
            }
        }
    });
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "an entry was listed twice");
    for n in &names {
        assert!(seen.contains(n) != removed_ahead.contains(n), "{n}: listed and removed ahead, or neither");
    }
    assert_eq!(listing(&v, d), [".", ".."]);
}

#[test]
fn adding_during_a_listing_repeats_nothing() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    for i in 0..50 {
        put(&mut v, &format!("d/old{i}"), b"");
    }
    let mut n = 0;
    let seen = list_while(&mut v, d, |v, name| {
        if name.starts_with("old") {
            put(v, &format!("d/new{n}"), b"");
            n += 1;
            // renaming an entry already listed does not bring it back
            if n == 10 {
                v.rename_at(ROOT_INO, format!("d/{name}").as_bytes(), ROOT_INO, b"d/renamed", false, T0).unwrap();
            }
        }
    });
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len());
    for i in 0..50 {
        let old = format!("old{i}");
        assert!(seen.contains(&old) || v.lookup(d, old.as_bytes()).is_err(), "{old} missing");
    }
    assert_eq!(seen.iter().filter(|s| s.starts_with("old")).count(), 50);
    assert!(!seen.contains(&"renamed".to_string()));
}

#[test]
fn a_cookie_resumes_after_its_entry_is_gone() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    for n in ["a", "b", "c", "d"] {
        put(&mut v, &format!("d/{n}"), b"");
    }
    // listing order: d c b a; read two children, then remove both and the
    // next one
    let e1 = v.readdir(d, 2).unwrap().unwrap();
    let e2 = v.readdir(d, e1.next_cookie).unwrap().unwrap();
    assert_eq!((e1.name.as_slice(), e2.name.as_slice()), (&b"d"[..], &b"c"[..]));
    for n in ["d", "c", "b"] {
        v.unlink_at(d, n.as_bytes(), T0).unwrap();
    }
    let e3 = v.readdir(d, e2.next_cookie).unwrap().unwrap();
    assert_eq!(e3.name, b"a");
    assert_eq!(v.readdir(d, e3.next_cookie), Ok(None));
    // an old cookie into an emptied directory just ends
    v.unlink_at(d, b"a", T0).unwrap();
    assert_eq!(v.readdir(d, e1.next_cookie), Ok(None));
}

#[test]
fn cookies_fit_a_32_bit_offset() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    for i in 0..20 {
        put(&mut v, &format!("d/{i}"), b"");
    }
    let mut cookie = 0;
    while let Some(e) = v.readdir(d, cookie).unwrap() {
        assert!(e.next_cookie < 1 << 31);
        cookie = e.next_cookie;
    }
}
