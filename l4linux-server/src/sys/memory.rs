//! Memory system calls: brk, mmap2 (and the old mmap), munmap, mprotect,
//! madvise.

use super::ok;
use crate::errno::*;
use crate::file::Kind;
use crate::linux::mman::*;
use crate::mm::{prot_bits, Backing, Role, Vma, MMAP_BASE, MIN_ADDR, USER_END};
use crate::platform::Platform;
use crate::proc::Pid;
use crate::system::*;

impl<P: Platform> Linux<P> {
    pub(super) fn sys_brk(&mut self, pid: Pid, addr: u32) -> Sys {
        let r = self.with_mm(pid, |mm, ctx| if addr == 0 { mm.brk } else { mm.set_brk(addr, ctx) });
        ok(r)
    }

    pub(super) fn sys_old_mmap(&mut self, pid: Pid, args: u32) -> Sys {
        let mut b = [0u8; 24];
        if self.copy_in(pid, args, &mut b).is_err() {
            return err(EFAULT);
        }
        let w = |i: usize| crate::linux::u32_at(&b, i * 4);
        if w(5) % 4096 != 0 {
            return err(EINVAL);
        }
        self.sys_mmap(pid, w(0), w(1), w(2), w(3), w(4), w(5) as u64)
    }

    pub(super) fn sys_mmap(&mut self, pid: Pid, addr: u32, len: u32, prot: u32, flags: u32, fd: u32, offset: u64) -> Sys {
        if len == 0 || addr % 4096 != 0 && flags & MAP_FIXED != 0 {
            return err(EINVAL);
        }
        let len = match len.checked_add(4095) {
            Some(l) => l & !4095,
            None => return err(ENOMEM),
        };
        let shared = match flags & MAP_TYPE {
            MAP_SHARED => true,
            MAP_PRIVATE => false,
            _ => return err(EINVAL),
        };
        let backing = if flags & MAP_ANONYMOUS != 0 {
            Backing::Anon
        } else {
            let Some(f) = self.proc(pid).fds.get(fd as i32).cloned() else { return err(EBADF) };
            let f = f.borrow();
            let ino = match f.kind {
                Kind::Inode(ino) => ino,
                Kind::Device(_, crate::file::Dev::Zero) => return self.sys_mmap(pid, addr, len, prot, flags | MAP_ANONYMOUS, 0, 0),
                _ => return err(ENODEV),
            };
            if self.vfs.attr(ino).kind != crate::vfs::Kind::File {
                return err(ENODEV);
            }
            if !f.readable() || (shared && prot & PROT_WRITE != 0 && !f.writable()) {
                return err(EACCES);
            }
            if shared && prot & PROT_WRITE != 0 {
                // writes through a shared mapping would have to reach the file
                self.log_fmt(format_args!("l4linux: writable MAP_SHARED file mapping refused (ENODEV)"));
                return err(ENODEV);
            }
            if offset % 4096 != 0 {
                return err(EINVAL);
            }
            Backing::File { ino, offset, data_end: u64::MAX }
        };
        let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
        let r = self.with_mm(pid, |mm, ctx| {
            let start = if fixed {
                if addr < MIN_ADDR || addr as u64 + len as u64 > USER_END as u64 {
                    return Err(if addr < MIN_ADDR { EPERM } else { ENOMEM });
                }
                if flags & MAP_FIXED_NOREPLACE != 0 && !mm.is_free(addr, addr + len) {
                    return Err(EEXIST);
                }
                mm.unmap(addr, len, ctx);
                addr
            } else {
                let hint = if addr >= MIN_ADDR && mm.is_free(addr, addr.saturating_add(len)) { addr } else { MMAP_BASE };
                match mm.find_free(hint, len).or_else(|| mm.find_free(MIN_ADDR, len)) {
                    Some(a) => a,
                    None => return Err(ENOMEM),
                }
            };
            let role = if flags & MAP_GROWSDOWN != 0 { Role::Stack } else { Role::Mmap };
            mm.insert(start, Vma { end: start + len, prot: prot_bits(prot), shared, backing, role });
            Ok(start)
        });
        match r {
            Ok(a) => ok(a),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_munmap(&mut self, pid: Pid, addr: u32, len: u32) -> Sys {
        if addr % 4096 != 0 || len == 0 || addr as u64 + len as u64 > USER_END as u64 {
            return err(EINVAL);
        }
        let len = (len + 4095) & !4095;
        self.with_mm(pid, |mm, ctx| mm.unmap(addr, len, ctx));
        ok(0)
    }

    pub(super) fn sys_mprotect(&mut self, pid: Pid, addr: u32, len: u32, prot: u32) -> Sys {
        if addr % 4096 != 0 || prot & !(PROT_READ | PROT_WRITE | PROT_EXEC | 0x0300_0000) != 0 {
            return err(EINVAL);
        }
        if len == 0 {
            return ok(0);
        }
        let len = match len.checked_add(4095) {
            Some(l) => l & !4095,
            None => return err(ENOMEM),
        };
        match self.with_mm(pid, |mm, ctx| mm.protect(addr, len, prot_bits(prot), ctx)) {
            Ok(()) => ok(0),
            Err(e) => err(e),
        }
    }

    pub(super) fn sys_madvise(&mut self, pid: Pid, addr: u32, len: u32, advice: u32) -> Sys {
        if addr % 4096 != 0 {
            return err(EINVAL);
        }
        match advice {
            // MADV_DONTNEED: private anonymous pages read as zero afterwards
            4 => {
                let len = (len.saturating_add(4095)) & !4095;
                self.with_mm(pid, |mm, ctx| mm.discard(addr, len, ctx));
                ok(0)
            }
            // hints with no effect here
            0..=3 | 8..=18 => ok(0),
            _ => err(EINVAL),
        }
    }
}
