//! Memory: brk, mmap2 (anonymous and file-backed private mappings),
//! munmap, mprotect. Whether memory is readable or writable is observed
//! without faulting, by having the kernel copy from it into a pipe (write)
//! or into it from /dev/zero (read): an inaccessible page gives EFAULT.

use super::*;
use linux_rt::nr;

pub fn run(s: &mut Suite, _w: &Work) {
    let mut p = [-1; 2];
    sys::pipe2(&mut p, 0);
    let zero = openfd(c"/dev/zero", O_RDONLY);
    let probe = Probe { pipe: p, zero };
    brk(s);
    mmap(s, &probe);
    munmap(s, &probe);
    mprotect(s, &probe);
    sys::close(p[0]);
    sys::close(p[1]);
    sys::close(zero);
}

struct Probe {
    pipe: [i32; 2],
    zero: i32,
}

impl Probe {
    /// Can the kernel read the byte at `addr`?
    fn readable(&self, addr: usize) -> bool {
        let r = sys::writev(self.pipe[1], &[IoVec { base: addr as *const u8, len: 1 }]);
        if r == 1 {
            sys::read(self.pipe[0], &mut [0u8; 1]);
        }
        r == 1
    }

    /// Can the kernel write the byte at `addr`? (It writes a zero there:
    /// only used on pages whose contents no longer matter.)
    fn writable(&self, addr: usize) -> bool {
        raw(nr::READ, &[self.zero as usize, addr, 1]) == 1
    }
}

extern "C" {
    /// End of the program's data and bss (defined by the linker).
    static _end: u8;
}

const PAGE: usize = PAGE_SIZE;

fn brk(s: &mut Suite) {
    s.group("brk");
    // SAFETY: brk(0) only queries.
    let start = unsafe { sys::brk(0) } as usize;
    // only the address of the linker symbol is taken
    let end = &raw const _end as usize;
    s.check("initial_after_bss", start >= end, format_args!("the initial break is below the end of the bss"));
    // SAFETY: as above.
    s.check("query_stable", unsafe { sys::brk(0) } as usize == start, format_args!("two brk(0) calls differ"));
    let base = (start + PAGE - 1) & !(PAGE - 1);
    let want = base + 3 * PAGE + 100;
    // SAFETY: the area above the break is unused.
    let r = unsafe { sys::brk(want) } as usize;
    let grown = s.check(
        "grow_unaligned_exact",
        r == want,
        format_args!("growing the break did not return the requested (unaligned) value"),
    );
    if !grown {
        // the memory checks below would fault
        // SAFETY: gives back whatever the failed call may have added.
        unsafe { sys::brk(start) };
        return;
    }
    // SAFETY: [start, want) was just given to the process.
    let area = unsafe { core::slice::from_raw_parts_mut(start as *mut u8, want - start) };
    s.check("grown_zeroed", area.iter().all(|&b| b == 0), format_args!("new break memory is not zero-filled"));
    area.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
    s.check(
        "grown_writable",
        area.iter().enumerate().all(|(i, &b)| b == i as u8),
        format_args!("break memory does not keep what was written"),
    );
    // SAFETY: the memory given up is no longer used (area is dead now).
    let r = unsafe { sys::brk(base) } as usize;
    s.check("shrink", r == base, format_args!("shrinking the break did not return the requested value"));
    // SAFETY: as for growing.
    unsafe { sys::brk(want) };
    // SAFETY: the area was given back to the process.
    let again = unsafe { core::slice::from_raw_parts(base as *const u8, 3 * PAGE) };
    s.check(
        "regrown_zeroed",
        again.iter().all(|&b| b == 0),
        format_args!("memory freed by shrinking came back with old contents"),
    );
    // SAFETY: a failing brk changes nothing.
    let r = unsafe { sys::brk(1) } as usize;
    s.check("below_start_returns_current", r == want, format_args!("an invalid brk did not return the current break"));
    // SAFETY: as above.
    let r = unsafe { sys::brk(0xffff_f000) } as usize;
    s.check("huge_returns_current", r == want, format_args!("an impossible brk did not return the current break"));
    // SAFETY: nothing uses the memory above the original break any more.
    let r = unsafe { sys::brk(start) } as usize;
    s.check("restore", r == start, format_args!("restoring the original break failed"));
}

/// A fresh anonymous private read-write mapping of `pages` pages.
fn anon(pages: usize) -> isize {
    // SAFETY: a new mapping at an address the kernel picks replaces nothing.
    unsafe { sys::mmap2(0, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) }
}

/// The bytes of a mapping the kernel made for us.
fn bytes<'a>(addr: usize, len: usize) -> &'a mut [u8] {
    // SAFETY: callers pass a readable and writable mapping they own.
    unsafe { core::slice::from_raw_parts_mut(addr as *mut u8, len) }
}

fn mmap(s: &mut Suite, probe: &Probe) {
    s.group("mmap2");
    let a = anon(3);
    s.ok("anon_ok", a);
    s.check("anon_page_aligned", a as usize % PAGE == 0, format_args!("the mapping is not page-aligned"));
    if !is_err(a) {
        let m = bytes(a as usize, 3 * PAGE);
        s.check("anon_zeroed", m.iter().all(|&b| b == 0), format_args!("anonymous memory is not zero-filled"));
        m.iter_mut().enumerate().for_each(|(i, b)| *b = (i * 7) as u8);
        s.check(
            "anon_writable",
            m.iter().enumerate().all(|(i, &b)| b == (i * 7) as u8),
            format_args!("the mapping does not keep what was written"),
        );
        // MAP_FIXED replaces the middle page with a fresh zero page
        // SAFETY: the range is our own mapping, no longer referenced by m.
        let f = unsafe {
            sys::mmap2(a as usize + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
        };
        s.eq("fixed_at_address", f, a + PAGE as isize);
        let m = bytes(a as usize, 3 * PAGE);
        s.check(
            "fixed_replaces",
            m[PAGE..2 * PAGE].iter().all(|&b| b == 0) && m[PAGE - 1] == ((PAGE - 1) * 7) as u8,
            format_args!("MAP_FIXED did not replace exactly the middle page"),
        );
        // SAFETY: our own mapping, unused from here on.
        unsafe { sys::munmap(a as usize, 3 * PAGE) };
    }
    // SAFETY: failing calls map nothing.
    unsafe {
        s.err("len_0_einval", sys::mmap2(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
        s.err(
            "fixed_unaligned_einval",
            sys::mmap2(0x1000_0001, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
            EINVAL,
        );
        s.err("no_share_type_einval", sys::mmap2(0, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
        s.err("file_bad_fd_ebadf", sys::mmap2(0, PAGE, PROT_READ, MAP_PRIVATE, 9999, 0), EBADF);
    }

    // file-backed, private, read
    let mut data = alloc::vec![0u8; 2 * PAGE + 100];
    data.iter_mut().enumerate().for_each(|(i, b)| *b = (i % 251) as u8);
    put(c"map.f", &data);
    let fd = openfd(c"map.f", O_RDONLY);
    // SAFETY: a new mapping at an address the kernel picks.
    let m = unsafe { sys::mmap2(0, 3 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0) };
    s.ok("file_ok", m);
    if !is_err(m) {
        let v = bytes(m as usize, 3 * PAGE);
        s.check("file_contents", v[..data.len()] == data[..], format_args!("the mapping does not show the file"));
        s.check(
            "file_tail_zeroed",
            v[data.len()..].iter().all(|&b| b == 0),
            format_args!("the part of the last page past EOF is not zero"),
        );
        s.check("file_read_only", !probe.writable(m as usize), format_args!("a PROT_READ mapping is writable"));
        // SAFETY: our own mapping, unused from here on.
        unsafe { sys::munmap(m as usize, 3 * PAGE) };
    }
    // SAFETY: as above.
    let m = unsafe { sys::mmap2(0, PAGE, PROT_READ, MAP_PRIVATE, fd, 1) };
    s.ok("file_offset_ok", m);
    if !is_err(m) {
        s.check(
            "file_offset_contents",
            bytes(m as usize, PAGE)[..] == data[PAGE..2 * PAGE],
            format_args!("mmap2's offset is not in pages"),
        );
        // SAFETY: as above.
        unsafe { sys::munmap(m as usize, PAGE) };
    }
    // SAFETY: as above.
    let m = unsafe { sys::mmap2(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) };
    s.ok("file_private_writable", m);
    if !is_err(m) {
        bytes(m as usize, PAGE)[..4].copy_from_slice(b"XXXX");
        s.check(
            "private_write_not_in_file",
            get(c"map.f").map(|f| f[..4] == data[..4]) == Some(true),
            format_args!("a private mapping wrote through to the file"),
        );
        // SAFETY: as above.
        unsafe { sys::munmap(m as usize, PAGE) };
    }
    sys::close(fd);
    let wo = openfd(c"map.f", O_WRONLY);
    // SAFETY: refused, maps nothing.
    s.err("file_wronly_eacces", unsafe { sys::mmap2(0, PAGE, PROT_READ, MAP_PRIVATE, wo, 0) }, EACCES);
    sys::close(wo);
}

fn munmap(s: &mut Suite, probe: &Probe) {
    s.group("munmap");
    let a = anon(3);
    if is_err(a) {
        s.check("setup", false, format_args!("mmap2 failed: {}", Show(a)));
        return;
    }
    let a = a as usize;
    s.check("mapped_readable", probe.readable(a), format_args!("a fresh mapping is not readable"));
    // SAFETY: our own mapping, nothing refers to its middle page.
    s.eq("middle_page", unsafe { sys::munmap(a + PAGE, PAGE) }, 0);
    s.check("hole_unreadable", !probe.readable(a + PAGE), format_args!("an unmapped page is still readable"));
    s.check(
        "neighbours_kept",
        probe.readable(a) && probe.readable(a + 2 * PAGE),
        format_args!("unmapping the middle page removed its neighbours"),
    );
    // SAFETY: failing or no-op calls on ranges we own.
    unsafe {
        s.eq("unmapped_range_ok", sys::munmap(a + PAGE, PAGE), 0);
        s.err("unaligned_einval", sys::munmap(a + 1, PAGE), EINVAL);
        s.err("len_0_einval", sys::munmap(a, 0), EINVAL);
        s.eq("whole", sys::munmap(a, 3 * PAGE), 0);
    }
    s.check(
        "gone",
        !probe.readable(a) && !probe.readable(a + 2 * PAGE),
        format_args!("unmapped memory is still readable"),
    );
}

fn mprotect(s: &mut Suite, probe: &Probe) {
    s.group("mprotect");
    let a = anon(2);
    if is_err(a) {
        s.check("setup", false, format_args!("mmap2 failed: {}", Show(a)));
        return;
    }
    let a = a as usize;
    bytes(a, 2 * PAGE)[..4].copy_from_slice(b"keep");
    // SAFETY: the pages are our own and not accessed while protected.
    unsafe {
        s.eq("read_only", sys::mprotect(a, PAGE, PROT_READ), 0);
        s.check("read_only_not_writable", !probe.writable(a), format_args!("a PROT_READ page is writable"));
        s.check("read_only_readable", probe.readable(a), format_args!("a PROT_READ page is not readable"));
        s.check(
            "other_page_unchanged",
            probe.writable(a + PAGE),
            format_args!("mprotect changed the page after the range"),
        );
        s.eq("none", sys::mprotect(a, PAGE, PROT_NONE), 0);
        s.check("none_not_readable", !probe.readable(a), format_args!("a PROT_NONE page is readable"));
        s.eq("read_write_again", sys::mprotect(a, PAGE, PROT_READ | PROT_WRITE), 0);
    }
    s.check("contents_kept", &bytes(a, PAGE)[..4] == b"keep", format_args!("protection changes lost the contents"));
    // SAFETY: failing calls change nothing; then our own mapping is removed.
    unsafe {
        s.err("unaligned_einval", sys::mprotect(a + 1, PAGE, PROT_READ), EINVAL);
        s.err("bad_prot_einval", sys::mprotect(a, PAGE, 0x100), EINVAL);
        sys::munmap(a, 2 * PAGE);
        s.err("unmapped_enomem", sys::mprotect(a, PAGE, PROT_READ), ENOMEM);
    }
}
