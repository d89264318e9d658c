//! Linux process address spaces as the server keeps them: the areas
//! (VMAs: range, protection, anonymous or file-backed, private or shared)
//! and the page table of frames behind them. The kernel's page tables of the
//! process are a cache of this: pages are mapped on demand when the process
//! faults, and a mapping can always be taken back and re-established.
//!
//! Copy-on-write: after fork both processes refer to the same frames; the
//! write right is revoked (in the kernel, through the server's own mapping
//! of the frame, which reaches every process that shares it) and the first
//! write fault copies the frame if it is still shared.

use crate::errno::*;
use crate::linux::mman::*;
use crate::pool::{Frame, Pool, PAGE};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use crate::hash::IntMap;

/// End (exclusive) of the address range Linux processes may use; the
/// kernel reserves the MiB above it (UTCBs, KIP).
pub const USER_END: u32 = l4_abi::layout::RESERVED_BASE;
/// Top of the initial stack.
pub const STACK_TOP: u32 = USER_END;
/// Largest stack (the default RLIMIT_STACK).
pub const STACK_LIMIT: u32 = 8 << 20;
/// Where mmap searches for free space (the legacy i386 layout).
pub const MMAP_BASE: u32 = 0x4000_0000;
/// Lowest address a mapping may have (vm.mmap_min_addr).
pub const MIN_ADDR: u32 = 0x1_0000;

pub const R: u8 = 1;
pub const W: u8 = 2;
pub const X: u8 = 4;

pub fn prot_bits(prot: u32) -> u8 {
    let mut p = 0;
    if prot & PROT_READ != 0 {
        p |= R;
    }
    if prot & PROT_WRITE != 0 {
        p |= W;
    }
    if prot & PROT_EXEC != 0 {
        p |= X;
    }
    p
}

/// What fills the pages of an area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backing {
    Anon,
    /// File `ino` from byte `offset` (at the area's start); file bytes at
    /// or beyond `data_end` (an absolute file offset) read as zero, which
    /// is how the partial last page of an ELF data segment gets its bss.
    File { ino: u32, offset: u64, data_end: u64 },
}

/// What an area is for (for /proc/<pid>/maps and the heap).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Image,
    Heap,
    Stack,
    Mmap,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vma {
    pub end: u32,
    pub prot: u8,
    pub shared: bool,
    pub backing: Backing,
    pub role: Role,
}

impl Vma {
    /// The same area cut to start at `new_start` (was `start`).
    fn tail(&self, start: u32, new_start: u32) -> Vma {
        let mut v = *self;
        if let Backing::File { ino, offset, data_end } = self.backing {
            v.backing = Backing::File { ino, offset: offset + (new_start - start) as u64, data_end };
        }
        v
    }
}

/// A page of a process: its frame and how the process has it mapped now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pte {
    pub frame: Frame,
    /// 0: not mapped in the process's kernel page table; R; or R|W.
    pub mapped: u8,
}

/// Where file-backed pages get their bytes from.
pub trait FileSource {
    /// Read file `ino` at `offset` into `buf`; returns the bytes read
    /// (short at end of file).
    fn read_file(&mut self, ino: u32, offset: u64, buf: &mut [u8]) -> usize;
}

/// The frame pool, the file source, and the list of kernel mappings to
/// revoke (frame, L4 rights) that an operation produced.
pub struct Ctx<'a> {
    pub pool: &'a mut Pool,
    pub files: &'a mut dyn FileSource,
    pub revoke: &'a mut Vec<(Frame, u32)>,
}

/// Why a fault could not be resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// No area at the address: SIGSEGV (SEGV_MAPERR).
    Segv,
    /// An area, but the access is not allowed: SIGSEGV (SEGV_ACCERR).
    Access,
    /// Out of memory.
    NoMem,
}

#[derive(Clone, Debug, Default)]
pub struct Mm {
    /// Areas by start address.
    pub vmas: BTreeMap<u32, Vma>,
    /// Pages by virtual page number.
    pub pages: IntMap<u32, Pte>,
    pub brk_start: u32,
    pub brk: u32,
    /// The space of a vfork child: its private pages are the parent's
    /// frames, written in place (not copied) until it execs or exits.
    pub vfork: bool,
}

fn page_down(a: u32) -> u32 {
    a & !(PAGE as u32 - 1)
}
fn page_up(a: u64) -> u64 {
    (a + PAGE as u64 - 1) & !(PAGE as u64 - 1)
}

impl Mm {
    /// The area containing `addr`.
    pub fn find(&self, addr: u32) -> Option<(u32, &Vma)> {
        let (&s, v) = self.vmas.range(..=addr).next_back()?;
        (addr < v.end).then_some((s, v))
    }

    /// Pages resident (with a frame).
    pub fn resident(&self) -> usize {
        self.pages.len()
    }

    /// Total size of the areas in bytes.
    pub fn size(&self) -> u64 {
        self.vmas.iter().map(|(s, v)| (v.end - s) as u64).sum()
    }

    /// Add an area; the range must be free (callers unmap first).
    pub fn insert(&mut self, start: u32, vma: Vma) {
        debug_assert!(start < vma.end);
        self.vmas.insert(start, vma);
    }

    /// Is [start, end) free of areas?
    pub fn is_free(&self, start: u32, end: u32) -> bool {
        if let Some((_, v)) = self.vmas.range(..start).next_back() {
            if v.end > start {
                return false;
            }
        }
        self.vmas.range(start..end).next().is_none()
    }

    /// A free, page-aligned range of `len` bytes at or above `hint`.
    pub fn find_free(&self, hint: u32, len: u32) -> Option<u32> {
        let mut at = page_down(hint.max(MIN_ADDR));
        loop {
            let end = at.checked_add(len)?;
            if end > USER_END - STACK_LIMIT {
                return None;
            }
            // the first area that overlaps [at, end)
            let clash = self
                .vmas
                .range(..end)
                .next_back()
                .filter(|(_, v)| v.end > at)
                .map(|(_, v)| v.end);
            match clash {
                None => return Some(at),
                Some(e) => at = page_down(e + PAGE as u32 - 1),
            }
        }
    }

    /// Split areas so that `addr` is an area boundary (if inside one).
    fn split_at(&mut self, addr: u32) {
        let Some((s, v)) = self.find(addr).map(|(s, v)| (s, *v)) else { return };
        if s == addr {
            return;
        }
        self.vmas.get_mut(&s).unwrap().end = addr;
        self.vmas.insert(addr, v.tail(s, addr));
    }

    /// Drop the page at `vpn` (if any) from the table, releasing its frame
    /// and revoking the process's mapping of it.
    fn drop_page(&mut self, vpn: u32, ctx: &mut Ctx) {
        if let Some(p) = self.pages.remove(&vpn) {
            if p.mapped != 0 {
                ctx.revoke.push((p.frame, l4_abi::msg::rights::RWX));
            }
            ctx.pool.decref(p.frame);
        }
    }

    /// Remove everything in [start, start+len).
    pub fn unmap(&mut self, start: u32, len: u32, ctx: &mut Ctx) {
        let end = start.saturating_add(len);
        self.split_at(start);
        self.split_at(end);
        let doomed: Vec<u32> = self.vmas.range(start..end).map(|(&s, _)| s).collect();
        for s in doomed {
            let v = self.vmas.remove(&s).unwrap();
            for vpn in s >> 12..v.end >> 12 {
                self.drop_page(vpn, ctx);
            }
        }
    }

    /// Drop the pages of [start, start+len) but keep the areas: the next
    /// access finds zeroes (or the file's bytes again).
    pub fn discard(&mut self, start: u32, len: u32, ctx: &mut Ctx) {
        let end = start.saturating_add(len);
        for vpn in start >> 12..end >> 12 {
            self.drop_page(vpn, ctx);
        }
    }

    /// Change the protection of [start, start+len); all of it must be mapped.
    pub fn protect(&mut self, start: u32, len: u32, prot: u8, ctx: &mut Ctx) -> Result<(), Errno> {
        let end = start.checked_add(len).ok_or(ENOMEM)?;
        // the whole range must be covered by areas
        let mut at = start;
        while at < end {
            let (_, v) = self.find(at).ok_or(ENOMEM)?;
            at = v.end;
        }
        self.split_at(start);
        self.split_at(end);
        let starts: Vec<u32> = self.vmas.range(start..end).map(|(&s, _)| s).collect();
        for s in starts {
            let v = self.vmas.get_mut(&s).unwrap();
            let lost_write = v.prot & W != 0 && prot & W == 0;
            let lost_read = prot & (R | W | X) == 0;
            v.prot = prot;
            let vend = v.end;
            if lost_write || lost_read {
                for vpn in s >> 12..vend >> 12 {
                    if let Some(p) = self.pages.get_mut(&vpn) {
                        if lost_read && p.mapped != 0 {
                            ctx.revoke.push((p.frame, l4_abi::msg::rights::RWX));
                            p.mapped = 0;
                        } else if p.mapped & W != 0 {
                            ctx.revoke.push((p.frame, l4_abi::msg::rights::W));
                            p.mapped = R;
                        }
                    }
                }
            }
        }
        self.merge();
        Ok(())
    }

    /// Join neighbouring anonymous areas that are the same kind of thing.
    fn merge(&mut self) {
        let keys: Vec<u32> = self.vmas.keys().copied().collect();
        let mut cur: Option<u32> = None;
        for k in keys {
            if let Some(c) = cur {
                let (va, vb) = (self.vmas[&c], self.vmas[&k]);
                let same = va.end == k
                    && va.prot == vb.prot
                    && va.shared == vb.shared
                    && va.role == vb.role
                    && va.backing == Backing::Anon
                    && vb.backing == Backing::Anon;
                if same {
                    self.vmas.get_mut(&c).unwrap().end = vb.end;
                    self.vmas.remove(&k);
                    continue;
                }
            }
            cur = Some(k);
        }
    }

    /// The frame for `vpn`, created (zeroed or read from the file) if the
    /// page was never touched. `None` outside every area.
    fn populate(&mut self, vpn: u32, ctx: &mut Ctx) -> Result<Frame, Fault> {
        if let Some(p) = self.pages.get(&vpn) {
            return Ok(p.frame);
        }
        let addr = vpn << 12;
        let (start, v) = self.find(addr).map(|(s, v)| (s, *v)).ok_or(Fault::Segv)?;
        let frame = ctx.pool.alloc_zeroed().ok_or(Fault::NoMem)?;
        if let Backing::File { ino, offset, data_end } = v.backing {
            let off = offset + (addr - start) as u64;
            if off < data_end {
                let n = ((data_end - off) as usize).min(PAGE);
                let buf = &mut ctx.pool.bytes_mut(frame)[..n];
                ctx.files.read_file(ino, off, buf);
            }
        }
        self.pages.insert(vpn, Pte { frame, mapped: 0 });
        Ok(frame)
    }

    /// Make `vpn` privately writable: copy a shared private page.
    /// Returns the frame the process must now use.
    fn make_writable(&mut self, vpn: u32, shared_area: bool, ctx: &mut Ctx) -> Result<Frame, Fault> {
        let frame = self.populate(vpn, ctx)?;
        if shared_area || self.writes_in_place(ctx.pool.refs(frame)) {
            return Ok(frame);
        }
        let copy = ctx.pool.dup(frame).ok_or(Fault::NoMem)?;
        let p = self.pages.get_mut(&vpn).unwrap();
        if p.mapped != 0 {
            // the process still has the old frame mapped
            ctx.revoke.push((frame, l4_abi::msg::rights::RWX));
        }
        p.frame = copy;
        p.mapped = 0;
        ctx.pool.decref(frame);
        Ok(copy)
    }

    /// May a private page with `refs` references be written in place? When
    /// nobody else has it; and in a vfork child when only the parent has it
    /// too (the child writes into its parent's memory). A page the parent
    /// still shares copy-on-write with another process is copied for the
    /// child instead: writing it in place would change that process's
    /// memory as well.
    fn writes_in_place(&self, refs: u16) -> bool {
        refs == 1 || (self.vfork && refs == 2)
    }

    /// A page fault at `addr`: the frame to map and whether writable.
    pub fn fault(&mut self, addr: u32, write: bool, ctx: &mut Ctx) -> Result<(Frame, bool), Fault> {
        let vpn = addr >> 12;
        if self.find(addr).is_none() {
            self.grow_stack(addr)?;
        }
        let (_, v) = self.find(addr).map(|(s, v)| (s, *v)).ok_or(Fault::Segv)?;
        if (write && v.prot & W == 0) || v.prot & (R | X | W) == 0 {
            return Err(Fault::Access);
        }
        let frame = if write { self.make_writable(vpn, v.shared, ctx)? } else { self.populate(vpn, ctx)? };
        // map writable right away when nobody else shares the frame
        let writable = v.prot & W != 0 && (v.shared || self.writes_in_place(ctx.pool.refs(frame)));
        self.pages.get_mut(&vpn).unwrap().mapped = if writable { R | W } else { R };
        Ok((frame, writable))
    }

    /// Extend the stack area downwards to cover `addr` if it is close enough.
    fn grow_stack(&mut self, addr: u32) -> Result<(), Fault> {
        let Some((&s, v)) = self.vmas.range(addr..).next() else { return Err(Fault::Segv) };
        if v.role != Role::Stack || v.end - page_down(addr) > STACK_LIMIT {
            return Err(Fault::Segv);
        }
        let v = *v;
        let new_start = page_down(addr);
        if !self.is_free(new_start, s) {
            return Err(Fault::Segv);
        }
        self.vmas.remove(&s);
        self.vmas.insert(new_start, v);
        Ok(())
    }

    /// The frame behind user address `addr` for reading by the server.
    pub fn frame_for_read(&mut self, addr: u32, ctx: &mut Ctx) -> Result<Frame, Errno> {
        let (_, v) = self.find(addr).ok_or(EFAULT)?;
        if v.prot & (R | W | X) == 0 {
            return Err(EFAULT);
        }
        self.populate(addr >> 12, ctx).map_err(|f| if f == Fault::NoMem { ENOMEM } else { EFAULT })
    }

    /// The frame behind `addr` for writing by the server (breaks sharing).
    pub fn frame_for_write(&mut self, addr: u32, ctx: &mut Ctx) -> Result<Frame, Errno> {
        let (_, v) = self.find(addr).map(|(s, v)| (s, *v)).ok_or(EFAULT)?;
        if v.prot & W == 0 {
            return Err(EFAULT);
        }
        self.make_writable(addr >> 12, v.shared, ctx).map_err(|f| if f == Fault::NoMem { ENOMEM } else { EFAULT })
    }

    /// Copy from user memory.
    pub fn read(&mut self, addr: u32, buf: &mut [u8], ctx: &mut Ctx) -> Result<(), Errno> {
        let mut done = 0;
        while done < buf.len() {
            let a = addr.checked_add(done as u32).ok_or(EFAULT)?;
            let f = self.frame_for_read(a, ctx)?;
            let off = (a as usize) % PAGE;
            let n = (PAGE - off).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&ctx.pool.bytes(f)[off..off + n]);
            done += n;
        }
        Ok(())
    }

    /// Copy `len` bytes from user memory into a new buffer.
    pub fn read_vec(&mut self, addr: u32, len: usize, ctx: &mut Ctx) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let a = addr.checked_add(out.len() as u32).ok_or(EFAULT)?;
            let f = self.frame_for_read(a, ctx)?;
            let off = (a as usize) % PAGE;
            let n = (PAGE - off).min(len - out.len());
            out.extend_from_slice(&ctx.pool.bytes(f)[off..off + n]);
        }
        Ok(out)
    }

    /// Copy to user memory.
    pub fn write(&mut self, addr: u32, data: &[u8], ctx: &mut Ctx) -> Result<(), Errno> {
        let mut done = 0;
        while done < data.len() {
            let a = addr.checked_add(done as u32).ok_or(EFAULT)?;
            let f = self.frame_for_write(a, ctx)?;
            let off = (a as usize) % PAGE;
            let n = (PAGE - off).min(data.len() - done);
            ctx.pool.bytes_mut(f)[off..off + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
        Ok(())
    }

    /// A NUL-terminated string of at most `max` bytes (without the NUL).
    pub fn read_cstr(&mut self, addr: u32, max: usize, ctx: &mut Ctx) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        let mut a = addr;
        loop {
            let f = self.frame_for_read(a, ctx)?;
            let off = (a as usize) % PAGE;
            let bytes = &ctx.pool.bytes(f)[off..];
            match bytes.iter().position(|&b| b == 0) {
                Some(n) => {
                    out.extend_from_slice(&bytes[..n]);
                    break;
                }
                None => out.extend_from_slice(bytes),
            }
            if out.len() > max {
                return Err(ENAMETOOLONG);
            }
            a = a.checked_add((PAGE - off) as u32).ok_or(EFAULT)?;
        }
        if out.len() > max {
            return Err(ENAMETOOLONG);
        }
        Ok(out)
    }

    /// The copy-on-write duplicate for a forked child. Private pages become
    /// shared read-only (their write right revoked from the parent); shared
    /// areas stay shared. A vfork child writes its pages in place, so its
    /// forked child gets copies of them instead (ENOMEM if there is no room).
    pub fn fork(&mut self, ctx: &mut Ctx) -> Result<Mm, Errno> {
        if self.vfork {
            return self.fork_copy(ctx);
        }
        let mut child = Mm { vmas: self.vmas.clone(), pages: IntMap::with_capacity_and_hasher(self.pages.len(), Default::default()), ..*self };
        for (&vpn, p) in self.pages.iter_mut() {
            ctx.pool.incref(p.frame);
            child.pages.insert(vpn, Pte { frame: p.frame, mapped: 0 });
            let shared = self.vmas.range(..=vpn << 12).next_back().is_some_and(|(_, v)| v.shared);
            if !shared && p.mapped & W != 0 {
                ctx.revoke.push((p.frame, l4_abi::msg::rights::W));
                p.mapped = R;
            }
        }
        Ok(child)
    }

    /// A duplicate with private pages copied at once (shared areas stay
    /// shared).
    fn fork_copy(&mut self, ctx: &mut Ctx) -> Result<Mm, Errno> {
        let mut child = Mm { vmas: self.vmas.clone(), pages: IntMap::with_capacity_and_hasher(self.pages.len(), Default::default()), vfork: false, ..*self };
        for (&vpn, p) in self.pages.iter() {
            let shared = self.vmas.range(..=vpn << 12).next_back().is_some_and(|(_, v)| v.shared);
            let frame = if shared {
                ctx.pool.incref(p.frame);
                p.frame
            } else {
                match ctx.pool.dup(p.frame) {
                    Some(f) => f,
                    None => {
                        child.clear(ctx.pool);
                        return Err(ENOMEM);
                    }
                }
            };
            child.pages.insert(vpn, Pte { frame, mapped: 0 });
        }
        Ok(child)
    }

    /// A duplicate sharing every page (vfork: parent and child use the
    /// same memory until the child execs or exits).
    pub fn share(&self, pool: &mut Pool) -> Mm {
        for p in self.pages.values() {
            pool.incref(p.frame);
        }
        let pages = self.pages.iter().map(|(&v, p)| (v, Pte { frame: p.frame, mapped: 0 })).collect();
        Mm { vmas: self.vmas.clone(), pages, vfork: true, ..*self }
    }

    /// Release every page (process exit or exec; the kernel space goes too).
    pub fn clear(&mut self, pool: &mut Pool) {
        for p in self.pages.values() {
            pool.decref(p.frame);
        }
        self.pages.clear();
        self.vmas.clear();
    }

    /// Set the program break (Linux `brk`): returns the new break, which is
    /// the old one when the request cannot be met.
    pub fn set_brk(&mut self, new: u32, ctx: &mut Ctx) -> u32 {
        if new < self.brk_start {
            return self.brk;
        }
        let old_end = page_up(self.brk as u64) as u32;
        let new_end = page_up(new as u64);
        if new_end > (USER_END - STACK_LIMIT) as u64 {
            return self.brk;
        }
        let new_end = new_end as u32;
        if new_end > old_end {
            if !self.is_free(old_end, new_end) {
                return self.brk;
            }
            // extend the heap area (or create it)
            let heap = self.vmas.range(..old_end).next_back().filter(|(_, v)| v.role == Role::Heap && v.end == old_end).map(|(&s, _)| s);
            match heap {
                Some(s) => self.vmas.get_mut(&s).unwrap().end = new_end,
                None => self.insert(old_end, Vma { end: new_end, prot: R | W, shared: false, backing: Backing::Anon, role: Role::Heap }),
            }
        } else if new_end < old_end {
            self.unmap(new_end, old_end - new_end, ctx);
        }
        // bytes between the new break and the page end must read as zero
        // when the break grows again: clear the tail of the last page
        if new < self.brk {
            let tail_end = page_up(new as u64) as u32;
            if tail_end > new {
                let zeros = alloc::vec![0u8; (tail_end - new) as usize];
                let _ = self.write(new, &zeros, ctx);
            }
        }
        self.brk = new;
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::test_pool;

    struct NoFiles;
    impl FileSource for NoFiles {
        fn read_file(&mut self, _: u32, off: u64, buf: &mut [u8]) -> usize {
            for (i, b) in buf.iter_mut().enumerate() {
                *b = (off as usize + i) as u8;
            }
            buf.len()
        }
    }

    fn anon(end: u32, prot: u8) -> Vma {
        Vma { end, prot, shared: false, backing: Backing::Anon, role: Role::Mmap }
    }

    #[test]
    fn demand_zero_and_user_copies() {
        let mut pool = test_pool(16);
        let (mut files, mut revoke) = (NoFiles, Vec::new());
        let mut ctx = Ctx { pool: &mut pool, files: &mut files, revoke: &mut revoke };
        let mut mm = Mm::default();
        mm.insert(0x10_0000, anon(0x10_3000, R | W));
        mm.write(0x10_0FFE, b"abcd", &mut ctx).unwrap();
        let mut b = [0u8; 4];
        mm.read(0x10_0FFE, &mut b, &mut ctx).unwrap();
        assert_eq!(&b, b"abcd");
        assert_eq!(mm.resident(), 2);
        assert_eq!(mm.read(0x10_3000, &mut b, &mut ctx), Err(EFAULT));
        assert_eq!(mm.write(0x5000, b"x", &mut ctx), Err(EFAULT));
        mm.write(0x10_2000, b"hi\0", &mut ctx).unwrap();
        assert_eq!(mm.read_cstr(0x10_2000, 100, &mut ctx).unwrap(), b"hi");
        assert_eq!(mm.fault(0x20_0000, false, &mut ctx), Err(Fault::Segv));
    }

    #[test]
    fn a_vfork_child_writes_its_parents_pages_but_not_a_forked_sibling() {
        let mut pool = test_pool(16);
        let (mut files, mut revoke) = (NoFiles, Vec::new());
        let mut ctx = Ctx { pool: &mut pool, files: &mut files, revoke: &mut revoke };
        let mut parent = Mm::default();
        parent.insert(0x10_0000, anon(0x10_2000, R | W));
        parent.write(0x10_0000, b"P", &mut ctx).unwrap();
        let mut sibling = parent.fork(&mut ctx).unwrap();
        // a page the parent has alone, touched after the fork
        parent.write(0x10_1000, b"Q", &mut ctx).unwrap();
        let mut child = parent.share(ctx.pool);
        // the page the parent shares copy-on-write with the sibling: the
        // vfork child gets its own copy
        let (f0, w) = child.fault(0x10_0000, false, &mut ctx).unwrap();
        assert!(!w, "three references: mapped read-only");
        let (f1, w) = child.fault(0x10_0000, true, &mut ctx).unwrap();
        assert!(w && f1 != f0);
        child.write(0x10_0000, b"C", &mut ctx).unwrap();
        let mut b = [0u8; 1];
        sibling.read(0x10_0000, &mut b, &mut ctx).unwrap();
        assert_eq!(&b, b"P", "the sibling's memory is untouched");
        // the page only the parent has: written in place
        let (f2, w) = child.fault(0x10_1000, true, &mut ctx).unwrap();
        assert!(w);
        child.write(0x10_1000, b"D", &mut ctx).unwrap();
        parent.read(0x10_1000, &mut b, &mut ctx).unwrap();
        assert_eq!(&b, b"D", "the parent sees its vfork child's write");
        assert_eq!(parent.fault(0x10_1000, false, &mut ctx).unwrap().0, f2);
    }

    #[test]
    fn fork_is_copy_on_write() {
        let mut pool = test_pool(16);
        let (mut files, mut revoke) = (NoFiles, Vec::new());
        let mut ctx = Ctx { pool: &mut pool, files: &mut files, revoke: &mut revoke };
        let mut parent = Mm::default();
        parent.insert(0x10_0000, anon(0x10_1000, R | W));
        let (f, w) = parent.fault(0x10_0000, true, &mut ctx).unwrap();
        assert!(w);
        parent.write(0x10_0000, b"P", &mut ctx).unwrap();
        let mut child = parent.fork(&mut ctx).unwrap();
        // the parent's write right was revoked on the shared frame
        assert_eq!(ctx.revoke.as_slice(), &[(f, l4_abi::msg::rights::W)]);
        assert_eq!(ctx.pool.refs(f), 2);
        // a read fault in the child maps the shared frame read-only
        assert_eq!(child.fault(0x10_0000, false, &mut ctx).unwrap(), (f, false));
        // the child's write copies
        let (cf, w) = child.fault(0x10_0000, true, &mut ctx).unwrap();
        assert!(w && cf != f);
        child.write(0x10_0000, b"C", &mut ctx).unwrap();
        let mut b = [0u8; 1];
        parent.read(0x10_0000, &mut b, &mut ctx).unwrap();
        assert_eq!(&b, b"P");
        // now the parent is the only user: its write fault keeps the frame
        assert_eq!(parent.fault(0x10_0000, true, &mut ctx).unwrap(), (f, true));
        parent.clear(ctx.pool);
        child.clear(ctx.pool);
        assert_eq!(ctx.pool.free_frames(), 16);
    }

    #[test]
    fn file_pages_and_bss_tail() {
        let mut pool = test_pool(8);
        let (mut files, mut revoke) = (NoFiles, Vec::new());
        let mut ctx = Ctx { pool: &mut pool, files: &mut files, revoke: &mut revoke };
        let mut mm = Mm::default();
        let v = Vma { end: 0x10_2000, prot: R | W, shared: false, backing: Backing::File { ino: 1, offset: 0x1000, data_end: 0x1800 }, role: Role::Image };
        mm.insert(0x10_0000, v);
        let mut b = [0u8; 4];
        mm.read(0x10_0000, &mut b, &mut ctx).unwrap();
        assert_eq!(b, [0, 1, 2, 3]); // file offset 0x1000
        mm.read(0x10_07FE, &mut b, &mut ctx).unwrap();
        assert_eq!(b, [0xFE, 0xFF, 0, 0]); // data ends at 0x1800
        mm.read(0x10_1000, &mut b, &mut ctx).unwrap();
        assert_eq!(b, [0; 4]);
    }

    #[test]
    fn unmap_protect_split_and_merge() {
        let mut pool = test_pool(8);
        let (mut files, mut revoke) = (NoFiles, Vec::new());
        let mut ctx = Ctx { pool: &mut pool, files: &mut files, revoke: &mut revoke };
        let mut mm = Mm::default();
        mm.insert(0x10_0000, anon(0x10_4000, R | W));
        mm.fault(0x10_1000, true, &mut ctx).unwrap();
        mm.protect(0x10_1000, 0x1000, R, &mut ctx).unwrap();
        assert_eq!(mm.vmas.len(), 3);
        assert_eq!(mm.fault(0x10_1000, true, &mut ctx), Err(Fault::Access));
        assert_eq!(ctx.revoke.last().map(|r| r.1), Some(l4_abi::msg::rights::W));
        mm.protect(0x10_1000, 0x1000, R | W, &mut ctx).unwrap();
        assert_eq!(mm.vmas.len(), 1);
        mm.unmap(0x10_1000, 0x2000, &mut ctx);
        assert_eq!(mm.vmas.len(), 2);
        assert_eq!(mm.resident(), 0);
        assert_eq!(mm.protect(0x10_0000, 0x4000, R, &mut ctx), Err(ENOMEM));
        assert_eq!(mm.find_free(0x10_0000, 0x2000), Some(0x10_1000));
        assert_eq!(mm.find_free(0x10_0000, 0x3000), Some(0x10_4000));
    }

    #[test]
    fn brk_and_stack_growth() {
        let mut pool = test_pool(8);
        let (mut files, mut revoke) = (NoFiles, Vec::new());
        let mut ctx = Ctx { pool: &mut pool, files: &mut files, revoke: &mut revoke };
        let mut mm = Mm { brk_start: 0x10_0800, brk: 0x10_0800, ..Mm::default() };
        mm.insert(0x10_0000, anon(0x10_1000, R | W));
        assert_eq!(mm.set_brk(0x10_2800, &mut ctx), 0x10_2800);
        mm.write(0x10_2000, &[9; 0x800], &mut ctx).unwrap();
        assert_eq!(mm.set_brk(0x10_2400, &mut ctx), 0x10_2400);
        assert_eq!(mm.set_brk(0x10_2800, &mut ctx), 0x10_2800);
        let mut b = [1u8; 4];
        mm.read(0x10_2400, &mut b, &mut ctx).unwrap();
        assert_eq!(b, [0; 4], "memory above a lowered break reads as zero");
        assert_eq!(mm.set_brk(0x100, &mut ctx), 0x10_2800);
        mm.insert(STACK_TOP - 0x2000, Vma { end: STACK_TOP, prot: R | W, shared: false, backing: Backing::Anon, role: Role::Stack });
        assert!(mm.fault(STACK_TOP - 0x5000, true, &mut ctx).is_ok());
        assert_eq!(mm.fault(STACK_TOP - STACK_LIMIT - 0x1000, true, &mut ctx), Err(Fault::Segv));
    }
}
