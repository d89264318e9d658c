//! File data: reads, writes, holes, truncation, size limits, the byte
//! budget, and the timestamps data operations touch.

use super::*;
use alloc::vec;

#[test]
fn write_and_read_across_pages() {
    let mut v = fs();
    let f = put(&mut v, "f", b"");
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(v.write(f, 0, &data, T0), Ok(10_000));
    assert_eq!(content(&mut v, f), data);
    let mut buf = vec![0u8; 300];
    assert_eq!(v.read(f, 4000, &mut buf, T0), Ok(300));
    assert_eq!(buf, &data[4000..4300]);
    // short read at the end, then 0
    assert_eq!(v.read(f, 9_990, &mut buf, T0), Ok(10));
    assert_eq!(&buf[..10], &data[9_990..]);
    assert_eq!(v.read(f, 10_000, &mut buf, T0), Ok(0));
    assert_eq!(v.read(f, u64::MAX, &mut buf, T0), Ok(0));
    assert_eq!(v.read(f, 0, &mut [], T0), Ok(0));
    // overwrite in the middle keeps the size
    assert_eq!(v.write(f, 4095, b"XY", T0), Ok(2));
    assert_eq!(v.attr(f).size, 10_000);
    assert_eq!(v.read(f, 4094, &mut buf[..4], T0), Ok(4));
    assert_eq!(&buf[..4], &[data[4094], b'X', b'Y', data[4097]]);
}

#[test]
fn blocks_count_allocated_pages() {
    let mut v = fs();
    let f = put(&mut v, "f", b"x");
    assert_eq!((v.attr(f).size, v.attr(f).blocks), (1, 8));
    v.write(f, 1, &[1; 4095], T0).unwrap();
    assert_eq!((v.attr(f).size, v.attr(f).blocks), (4096, 8));
    v.write(f, 4096, b"y", T0).unwrap();
    assert_eq!((v.attr(f).size, v.attr(f).blocks), (4097, 16));
    assert_eq!(v.usage().0, 8192);
    let e = put(&mut v, "empty", b"");
    assert_eq!((v.attr(e).size, v.attr(e).blocks), (0, 0));
}

#[test]
fn sparse_files_allocate_only_what_was_written() {
    let mut v = fs();
    let f = put(&mut v, "f", b"");
    let far = 1u64 << 40;
    assert_eq!(v.write(f, far, b"end", T0), Ok(3));
    assert_eq!((v.attr(f).size, v.attr(f).blocks), (far + 3, 8));
    assert_eq!(v.usage().0, 4096);
    let mut buf = vec![0xffu8; 8192];
    assert_eq!(v.read(f, 12345, &mut buf, T0), Ok(8192));
    assert!(buf.iter().all(|&b| b == 0), "a hole reads as zeros");
    assert_eq!(v.read(f, far - 2, &mut buf[..5], T0), Ok(5));
    assert_eq!(&buf[..5], b"\0\0end");
    // a hole before data inside one page
    let g = put(&mut v, "g", b"");
    v.write(g, 1000, b"z", T0).unwrap();
    assert_eq!(content(&mut v, g)[..1000], [0u8; 1000]);
}

#[test]
fn truncate_shrinks_zeroes_and_grows() {
    let mut v = fs();
    let f = put(&mut v, "f", b"hello world");
    v.truncate(f, 5, T0).unwrap();
    assert_eq!(content(&mut v, f), b"hello");
    v.truncate(f, 11, T0).unwrap();
    assert_eq!(content(&mut v, f), b"hello\0\0\0\0\0\0");
    assert_eq!(v.attr(f).blocks, 8);
    // growing adds a hole, shrinking frees whole pages only
    v.write(f, 3 * 4096, b"x", T0).unwrap();
    assert_eq!(v.attr(f).blocks, 16);
    v.truncate(f, 4097, T0).unwrap();
    assert_eq!((v.attr(f).size, v.attr(f).blocks), (4097, 8));
    v.truncate(f, 0, T0).unwrap();
    assert_eq!((v.attr(f).size, v.attr(f).blocks, v.usage().0), (0, 0, 0));
    // above 4 GiB
    v.truncate(f, 0x1_0000_0005, T0).unwrap();
    assert_eq!((v.attr(f).size, v.attr(f).blocks), (0x1_0000_0005, 0));
    let mut buf = [0xffu8; 4];
    assert_eq!(v.read(f, 0x1_0000_0003, &mut buf, T0), Ok(2));
    assert_eq!(&buf[..2], &[0, 0]);
    assert_eq!(v.truncate(f, MAX_FILE_SIZE, T0), Ok(()));
    assert_eq!(v.truncate(f, MAX_FILE_SIZE + 1, T0), Err(EFBIG));
    assert_eq!(v.truncate(f, u64::MAX, T0), Err(EFBIG));
}

#[test]
fn data_calls_on_other_kinds() {
    let mut v = fs();
    let d = mkdir(&mut v, "d");
    let c = v.create(ROOT_INO, b"c", Kind::CharDev { major: 1, minor: 3 }, 0o666, 0, 0, T0).unwrap();
    let s = symlink(&mut v, "d", "s");
    let mut buf = [0u8; 4];
    assert_eq!(v.read(d, 0, &mut buf, T0), Err(EISDIR));
    assert_eq!(v.write(d, 0, b"x", T0), Err(EISDIR));
    assert_eq!(v.truncate(d, 0, T0), Err(EISDIR));
    assert_eq!(v.truncate_path(d, 0, T0), Err(EISDIR));
    for x in [c, s] {
        assert_eq!(v.read(x, 0, &mut buf, T0), Err(EINVAL));
        assert_eq!(v.write(x, 0, b"x", T0), Err(EINVAL));
        assert_eq!(v.truncate(x, 0, T0), Err(EINVAL));
    }
    assert_eq!(v.read(1234, 0, &mut buf, T0), Err(ENOENT));
    assert_eq!(v.write(1234, 0, b"x", T0), Err(ENOENT));
    assert_eq!(v.truncate(0, 0, T0), Err(ENOENT));
}

#[test]
fn size_limits_cut_writes_short_then_efbig() {
    let mut v = fs();
    let f = put(&mut v, "f", b"");
    assert_eq!(v.write(f, u64::MAX, b"x", T0), Err(EFBIG));
    assert_eq!(v.write(f, MAX_FILE_SIZE, b"x", T0), Err(EFBIG));
    assert_eq!(v.write(f, MAX_FILE_SIZE - 1, b"xy", T0), Ok(1));
    assert_eq!(v.attr(f).size, MAX_FILE_SIZE);
    // an empty write never fails
    assert_eq!(v.write(f, u64::MAX, b"", T0), Ok(0));
    let g = put(&mut v, "g", b"");
    assert_eq!(v.write_limited(g, MAX_NON_LFS - 1, b"abc", MAX_NON_LFS, T0), Ok(1));
    assert_eq!(v.write_limited(g, MAX_NON_LFS, b"abc", MAX_NON_LFS, T0), Err(EFBIG));
    assert_eq!(v.attr(g).size, MAX_NON_LFS);
}

#[test]
fn data_timestamps() {
    let mut v = fs();
    let f = put(&mut v, "f", b"abc");
    v.write(f, 0, b"x", t(2000)).unwrap();
    let a = v.attr(f);
    assert_eq!((a.atime, a.mtime, a.ctime), (T0, t(2000), t(2000)));
    v.write(f, 0, b"", t(3000)).unwrap();
    assert_eq!(v.attr(f).mtime, t(2000), "an empty write changes nothing");
    // ftruncate / O_TRUNC always change the times, truncate(2) only with
    // a new size
    v.truncate(f, 3, t(4000)).unwrap();
    assert_eq!((v.attr(f).mtime, v.attr(f).ctime), (t(4000), t(4000)));
    v.truncate_path(f, 3, t(5000)).unwrap();
    assert_eq!(v.attr(f).mtime, t(4000));
    v.truncate_path(f, 2, t(6000)).unwrap();
    assert_eq!((v.attr(f).mtime, v.attr(f).ctime), (t(6000), t(6000)));
}

#[test]
fn reads_update_atime_by_the_relatime_rule() {
    let mut v = fs();
    let f = put(&mut v, "f", b"abc");
    let mut buf = [0u8; 8];
    // atime == mtime: the first read updates it
    v.read(f, 0, &mut buf, t(2_000_000)).unwrap();
    assert_eq!(v.attr(f).atime, t(2_000_000));
    // now atime > mtime/ctime: no update within a day
    v.read(f, 0, &mut buf, t(2_000_100)).unwrap();
    assert_eq!(v.attr(f).atime, t(2_000_000));
    // even a read at the end counts, as on tmpfs
    v.read(f, 100, &mut buf, t(2_000_000 + 86_400)).unwrap();
    assert_eq!(v.attr(f).atime, t(2_086_400));
    // after a write the next read updates again
    v.write(f, 0, b"z", t(2_100_000)).unwrap();
    v.read(f, 0, &mut [], t(2_100_001)).unwrap();
    assert_eq!(v.attr(f).atime, t(2_100_001));
    // `accessed` (getdents, readlink) follows the same rule
    let d = mkdir(&mut v, "d");
    v.accessed(d, t(2_200_000));
    assert_eq!(v.attr(d).atime, t(2_200_000));
    v.accessed(d, t(2_200_001));
    assert_eq!(v.attr(d).atime, t(2_200_000));
    v.accessed(99999, T0);
}

#[test]
fn budget_exhaustion_is_enospc() {
    let mut v = fs();
    v.set_budget(3 * 4096);
    let f = put(&mut v, "f", &[1; 8192]);
    assert_eq!(v.usage().0, 8192);
    let g = put(&mut v, "g", b"");
    // a write that needs more pages than left is cut short
    assert_eq!(v.write(g, 100, &[2; 10_000], T0), Ok(4096 - 100));
    assert_eq!(v.attr(g).size, 4096);
    assert_eq!(v.write(g, 4096, b"x", T0), Err(ENOSPC));
    assert_eq!(v.write(f, 8192, b"x", T0), Err(ENOSPC));
    // rewriting allocated pages and making holes needs nothing
    assert_eq!(v.write(f, 0, &[3; 8192], T0), Ok(8192));
    v.truncate(g, 1 << 30, T0).unwrap();
    assert_eq!(v.usage().0, 3 * 4096);
    assert_eq!(v.symlink_at(&[b'l'; 200], ROOT_INO, b"long", 0, 0, T0), Err(ENOSPC));
    assert!(v.symlink_at(b"short", ROOT_INO, b"s", 0, 0, T0).is_ok());
    // freeing data gives it back; an open unlinked file keeps its pages
    v.retain(f);
    v.unlink_at(ROOT_INO, b"f", T0).unwrap();
    assert_eq!(v.write(g, 1 << 20, b"x", T0), Err(ENOSPC));
    v.release(f);
    assert_eq!(v.usage().0, 4096);
    assert_eq!(v.write(g, 1 << 20, b"x", T0), Ok(1));
    // a budget below the current use only stops growth
    v.set_budget(0);
    assert_eq!(v.write(g, 1 << 21, b"x", T0), Err(ENOSPC));
    assert_eq!(v.write(g, 0, b"still", T0), Ok(5));
}

#[test]
fn quiet_reads_leave_the_times_alone() {
    let mut v = fs();
    let f = put(&mut v, "f", b"mapped");
    let before = v.attr(f);
    let mut buf = [0u8; 8];
    assert_eq!(v.read_quiet(f, 0, &mut buf), Ok(6));
    assert_eq!(&buf[..6], b"mapped");
    let after = v.attr(f);
    assert_eq!((after.atime, after.mtime, after.ctime), (before.atime, before.mtime, before.ctime));
    assert_eq!(v.read_quiet(v.root(), 0, &mut buf), Err(crate::errno::EISDIR));
}
