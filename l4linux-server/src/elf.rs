//! Loading static i386 ELF programs (goblin) into a fresh address space and
//! building the initial stack exactly as Linux does: argc, argv, envp, the
//! auxiliary vector, and the strings and random bytes they point to.

use crate::errno::*;
use crate::linux::at;
use crate::mm::{Backing, Ctx, Mm, Role, Vma, R, STACK_TOP, W, X};
use alloc::vec::Vec;
use goblin::elf::header::{self, Header};
use goblin::elf::program_header::{ProgramHeader, PF_R, PF_W, PF_X, PT_INTERP, PT_LOAD, PT_PHDR};

/// Initial stack area (it grows on demand below this).
const STACK_INITIAL: u32 = 128 * 1024;
/// Limit on argument and environment bytes (Linux: a quarter of the stack
/// limit; ARG_MAX as sysconf reports it).
pub const ARG_MAX: usize = 128 * 1024;
/// Load address of position-independent (static-pie) programs.
const PIE_BASE: u32 = 0x0040_0000;

/// The parsed headers of a program.
pub struct Image {
    pub entry: u32,
    pub phdrs: Vec<ProgramHeader>,
    pub phoff: u32,
    pub phnum: u32,
    /// Offset added to every address (static-pie).
    pub bias: u32,
    /// The PT_INTERP path, for programs that want a dynamic loader.
    pub interp: Option<Vec<u8>>,
}

/// Parse the headers. `head` holds the start of the file (at least the
/// header and program headers); `read` fetches more when needed.
pub fn parse(head: &[u8], read: &mut dyn FnMut(u64, &mut [u8]) -> usize) -> Result<Image, Errno> {
    if head.len() < 52 || &head[..4] != b"\x7fELF" {
        return Err(ENOEXEC);
    }
    if head[header::EI_CLASS] != header::ELFCLASS32 || head[header::EI_DATA] != header::ELFDATA2LSB {
        return Err(ENOEXEC);
    }
    let h: Header = goblin::elf::Elf::parse_header(head).map_err(|_| ENOEXEC)?;
    if h.e_machine != header::EM_386 || (h.e_type != header::ET_EXEC && h.e_type != header::ET_DYN) {
        return Err(ENOEXEC);
    }
    if h.e_phentsize != 32 || h.e_phnum == 0 || h.e_phnum > 64 {
        return Err(ENOEXEC);
    }
    let phoff = h.e_phoff as usize;
    let len = h.e_phnum as usize * 32;
    let mut buf = alloc::vec![0u8; len];
    if phoff + len <= head.len() {
        buf.copy_from_slice(&head[phoff..phoff + len]);
    } else if read(phoff as u64, &mut buf) != len {
        return Err(ENOEXEC);
    }
    let ctx = goblin::container::Ctx::new(goblin::container::Container::Little, goblin::container::Endian::Little);
    let phdrs = ProgramHeader::parse(&buf, 0, h.e_phnum as usize, ctx).map_err(|_| ENOEXEC)?;
    let mut interp = None;
    for p in &phdrs {
        if p.p_type == PT_INTERP {
            let n = (p.p_filesz as usize).min(4096);
            let mut path = alloc::vec![0u8; n];
            let got = read(p.p_offset, &mut path);
            path.truncate(got);
            while path.last() == Some(&0) {
                path.pop();
            }
            interp = Some(path);
        }
    }
    let bias = if h.e_type == header::ET_DYN { PIE_BASE } else { 0 };
    Ok(Image { entry: h.e_entry as u32, phdrs, phoff: h.e_phoff as u32, phnum: h.e_phnum as u32, bias, interp })
}

/// Areas for the image's loadable segments; returns the end of the last
/// segment (where the heap starts) and the address of the program headers.
pub fn map_segments(img: &Image, ino: u32, mm: &mut Mm) -> Result<(u32, u32), Errno> {
    let mut brk = 0u32;
    let mut phdr_addr = 0u32;
    for p in img.phdrs.iter().filter(|p| p.p_type == PT_LOAD) {
        if p.p_memsz == 0 {
            continue;
        }
        let vaddr = (p.p_vaddr as u32).checked_add(img.bias).ok_or(ENOEXEC)?;
        if p.p_vaddr % 4096 != p.p_offset % 4096 || p.p_filesz > p.p_memsz {
            return Err(ENOEXEC);
        }
        let start = vaddr & !0xFFF;
        let end = (vaddr as u64 + p.p_memsz + 0xFFF) & !0xFFF;
        if start < crate::mm::MIN_ADDR || end > (STACK_TOP - crate::mm::STACK_LIMIT) as u64 {
            return Err(ENOMEM);
        }
        let end = end as u32;
        let mut prot = 0;
        if p.p_flags & PF_R != 0 {
            prot |= R;
        }
        if p.p_flags & PF_W != 0 {
            prot |= W;
        }
        if p.p_flags & PF_X != 0 {
            prot |= X;
        }
        let file_start = p.p_offset & !0xFFF;
        let backing = Backing::File { ino, offset: file_start, data_end: p.p_offset + p.p_filesz };
        // segments that share a page: the later one wins the overlap
        if !mm.is_free(start, end) {
            return Err(ENOEXEC);
        }
        mm.insert(start, Vma { end, prot, shared: false, backing, role: Role::Image });
        brk = brk.max((vaddr as u64 + p.p_memsz) as u32);
        if p.p_offset <= img.phoff as u64 && (img.phoff as u64) < p.p_offset + p.p_filesz {
            phdr_addr = vaddr + (img.phoff - p.p_offset as u32);
        }
    }
    for p in img.phdrs.iter().filter(|p| p.p_type == PT_PHDR) {
        phdr_addr = p.p_vaddr as u32 + img.bias;
    }
    if brk == 0 {
        return Err(ENOEXEC);
    }
    Ok((brk, phdr_addr))
}

/// Values for the auxiliary vector besides the image's.
pub struct AuxInfo {
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    pub hwcap: u32,
    pub platform: &'static [u8],
    pub random: [u8; 16],
}

/// Build the initial stack in a new stack area; returns the stack pointer.
pub fn build_stack(
    mm: &mut Mm,
    ctx: &mut Ctx,
    img: &Image,
    phdr_addr: u32,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    execfn: &[u8],
    aux: &AuxInfo,
) -> Result<u32, Errno> {
    let total: usize = argv.iter().chain(envp).map(|s| s.len() + 1).sum::<usize>() + execfn.len() + 1;
    if total > ARG_MAX {
        return Err(E2BIG);
    }
    mm.insert(
        STACK_TOP - STACK_INITIAL,
        Vma { end: STACK_TOP, prot: R | W, shared: false, backing: Backing::Anon, role: Role::Stack },
    );
    let mut sp = STACK_TOP - 16;
    let mut push_bytes = |mm: &mut Mm, ctx: &mut Ctx, data: &[u8], nul: bool| -> Result<u32, Errno> {
        sp -= data.len() as u32 + nul as u32;
        mm.write(sp, data, ctx)?;
        if nul {
            mm.write(sp + data.len() as u32, &[0], ctx)?;
        }
        Ok(sp)
    };
    let execfn_at = push_bytes(mm, ctx, execfn, true)?;
    let mut envp_at = Vec::with_capacity(envp.len());
    for e in envp.iter().rev() {
        envp_at.push(push_bytes(mm, ctx, e, true)?);
    }
    envp_at.reverse();
    let mut argv_at = Vec::with_capacity(argv.len());
    for a in argv.iter().rev() {
        argv_at.push(push_bytes(mm, ctx, a, true)?);
    }
    argv_at.reverse();
    let platform_at = push_bytes(mm, ctx, aux.platform, true)?;
    let random_at = push_bytes(mm, ctx, &aux.random, false)?;
    let auxv: [(u32, u32); 19] = [
        (at::HWCAP, aux.hwcap),
        (at::PAGESZ, 4096),
        (at::CLKTCK, 100),
        (at::PHDR, phdr_addr),
        (at::PHENT, 32),
        (at::PHNUM, img.phnum),
        (at::BASE, 0),
        (at::FLAGS, 0),
        (at::ENTRY, img.entry + img.bias),
        (at::UID, aux.uid),
        (at::EUID, aux.euid),
        (at::GID, aux.gid),
        (at::EGID, aux.egid),
        (at::SECURE, 0),
        (at::RANDOM, random_at),
        (at::EXECFN, execfn_at),
        (at::PLATFORM, platform_at),
        (at::NULL, 0),
        (at::NULL, 0),
    ];
    let words = 1 + argv.len() + 1 + envp.len() + 1 + (auxv.len() - 1) * 2;
    let table = ((sp - words as u32 * 4) & !15) as u32;
    let mut w: Vec<u32> = Vec::with_capacity(words);
    w.push(argv.len() as u32);
    w.extend(&argv_at);
    w.push(0);
    w.extend(&envp_at);
    w.push(0);
    for &(k, v) in &auxv[..auxv.len() - 1] {
        w.push(k);
        w.push(v);
    }
    let bytes: Vec<u8> = w.iter().flat_map(|x| x.to_le_bytes()).collect();
    mm.write(table, &bytes, ctx)?;
    Ok(table)
}
