//! Boot: from the multiboot hand-off to the first user thread. Parses the
//! boot information, maps all RAM at `KERNEL_BASE`, carves the kernel's
//! tables and frame pool out of free memory, writes the KIP, loads sigma0 and
//! the roottask from the first two modules and starts them.
//!
//! All of this runs once: the boot functions are placed in the `.init`
//! section (`#[link_section = ".init.text"]`, see `linker.ld`), whose pages
//! go to the kernel frame pool when the first user thread starts; the
//! function that does that, `free_init_and_start`, stays resident.

use super::{boot, exit_qemu, gdt, phys_to_virt, pic, pit, serial, trap, X86, FATAL_EXIT, KERNEL};
use crate::bootinfo::{self, BootAlloc, BootInfo, PhysRead};
use crate::elf::Elf;
use crate::kernel::{Kernel, Tables, TICK_US};
use crate::kprint::Out;
use crate::machine::Machine;
use crate::mapdb::Node;
use crate::pool::Pool;
use crate::space::Space;
use crate::thread::{Idx, Tcb, UserFrame};
use core::mem::size_of;
use l4_abi::kip::{self, KipWriter, MemDesc};
use l4_abi::layout::{KERNEL_BASE, RESERVED_BASE};
use l4_abi::msg::rights;
use l4_abi::ThreadId;

/// Thread slots and address spaces the kernel provides.
pub const MAX_THREADS: usize = 1024;
pub const MAX_SPACES: usize = 512;
/// Stack of each boot task, just below the reserved area.
const BOOT_STACK_PAGES: u32 = 16;

/// The boot log on the serial console (see `kprint`).
fn log() -> serial::Serial {
    serial::Serial
}

#[link_section = ".init.text"]
fn fatal(msg: &str) -> ! {
    log().s("\nKERNEL BOOT FAILURE: ").s(msg).s("\n");
    exit_qemu(FATAL_EXIT)
}

/// Physical memory the boot page tables map.
struct LowMem;

impl PhysRead for LowMem {
    #[link_section = ".init.text"]
    fn read(&self, phys: u32, buf: &mut [u8]) -> bool {
        let end = phys as u64 + buf.len() as u64;
        if end > boot::BOOT_MAPPED as u64 {
            return false;
        }
        // SAFETY: the range lies in the boot-mapped low memory.
        unsafe { core::ptr::copy_nonoverlapping(phys_to_virt(phys) as *const u8, buf.as_mut_ptr(), buf.len()) };
        true
    }
}

extern "C" {
    static _kernel_end: u8;
    static _kernel_text_start: u8;
    static _kernel_text_end: u8;
    static _init_start: u8;
    static _init_end: u8;
}

/// Boot allocations, remembered for the KIP and the mapping database.
struct Allocs {
    ranges: [(u32, u32, u32); 24],
    n: usize,
}

impl Allocs {
    #[link_section = ".init.text"]
    fn take(&mut self, b: &mut BootAlloc, pages: u32, kind: u32, what: &str) -> u32 {
        let Some(pfn) = b.alloc(pages) else {
            log().s("while allocating ").s(what).s(": ");
            fatal("out of memory at boot")
        };
        if self.n > 0 {
            let last = &mut self.ranges[self.n - 1];
            if last.2 == kind && last.1 == pfn {
                last.1 += pages;
                return pfn;
            }
        }
        if self.n == self.ranges.len() {
            fatal("too many boot allocations");
        }
        self.ranges[self.n] = (pfn, pfn + pages, kind);
        self.n += 1;
        pfn
    }
}

/// Zeroed memory for `count` values of `T` (all-zero is a valid `T`).
#[link_section = ".init.text"]
fn table<T>(allocs: &mut Allocs, b: &mut BootAlloc, count: usize, what: &str) -> &'static mut [T] {
    let bytes = (count * size_of::<T>()).max(1);
    let pages = bytes.div_ceil(4096) as u32;
    let pfn = allocs.take(b, pages, kip::mem::KERNEL, what);
    let p = phys_to_virt(pfn << 12) as *mut u8;
    // SAFETY: fresh frames inside the direct map, exclusively ours; every
    // table type is plain data for which all-zero bytes are a valid value.
    unsafe {
        core::ptr::write_bytes(p, 0, pages as usize * 4096);
        core::slice::from_raw_parts_mut(p as *mut T, count)
    }
}

fn addr_of_sym(s: &u8) -> u32 {
    s as *const u8 as u32
}

#[no_mangle]
#[link_section = ".init.text"]
pub extern "C" fn kernel_entry(magic: u32, mbi: u32) -> ! {
    serial::init();
    log().s(concat!("\nuL4 microkernel ", env!("CARGO_PKG_VERSION"), " (i486)\n"));
    gdt::init();
    trap::init();
    pic::init();
    log().s("gdt, idt, tss loaded; 8259 PICs remapped to ").hex(l4_abi::layout::vector::IRQ_BASE as u32).s("\n");

    let bi = match BootInfo::parse(magic, mbi, &LowMem) {
        Ok(bi) => bi,
        Err(e) => {
            e.print(&mut log());
            log().s(": ");
            fatal("bad multiboot information")
        }
    };
    let mut buf = [0u8; 256];
    log().s("command line: '").s(bootinfo::read_cstr(&LowMem, bi.cmdline, &mut buf)).s("'\n");
    log().s("memory map:\n");
    for r in bi.regions() {
        let kind = if r.kind == 1 { "available" } else { "reserved" };
        log().s("  ").hex8(r.base).s("-").hex8(r.base + r.len).s(" ").s(kind).s("\n");
    }
    log().s("modules:\n");
    for m in bi.modules() {
        log().s("  ").hex8(m.start).s("-").hex8(m.end).s(" '").s(bootinfo::read_cstr(&LowMem, m.cmdline, &mut buf)).s("'\n");
    }

    // SAFETY: linker symbols; only their addresses are used.
    let (kend, ktext, ktext_end) =
        unsafe { (addr_of_sym(&_kernel_end), addr_of_sym(&_kernel_text_start), addr_of_sym(&_kernel_text_end)) };
    let kernel_phys_end = kend - KERNEL_BASE;
    let (init_start, init_end) = init_range();
    log().s("kernel: ").hex(0x10_0000).s("-").hex(kernel_phys_end).s(", .text ").dec(ktext_end - ktext).s(" bytes, .init ");
    log().dec(init_end - init_start).s(" bytes (freed when user level starts)\n");

    // free memory = RAM minus page 0, the kernel, the modules, the boot info
    let mut reserved = [(0u32, 0u32); 2 + bootinfo::MAX_MODULES + 4 + bootinfo::MAX_MODULES];
    reserved[0] = (0, 0x1000);
    reserved[1] = (0x10_0000, kernel_phys_end);
    let mut nres = 2;
    for m in bi.modules() {
        reserved[nres] = (m.start, m.end);
        nres += 1;
    }
    for &r in &bi.info_ranges[..bi.ninfo] {
        reserved[nres] = r;
        nres += 1;
    }
    let mut free = [(0u32, 0u32); bootinfo::MAX_REGIONS * 2];
    let nfree = bootinfo::free_ranges(bi.regions(), &reserved[..nres], &mut free);
    let mut balloc = BootAlloc::new(&free[..nfree]);
    let mut allocs = Allocs { ranges: [(0, 0, 0); 24], n: 0 };

    // map all RAM at KERNEL_BASE: the boot tables cover the first 64 MiB
    let ram_end = bi.ram_end() as u32;
    let pdes = ram_end.div_ceil(4 << 20) as usize;
    // SAFETY: the boot page directory is ours and mapped; new page tables
    // come from free low memory (inside the boot mapping) and are filled
    // before they are installed.
    unsafe {
        let pd = boot::boot_pd_addr() as *mut u32;
        for i in boot::BOOT_TABLES..pdes {
            let pt = allocs.take(&mut balloc, 1, kip::mem::KERNEL, "page tables");
            if pt << 12 >= boot::BOOT_MAPPED {
                fatal("no low memory for the kernel page tables");
            }
            let ptv = phys_to_virt(pt << 12) as *mut u32;
            for j in 0..1024u32 {
                *ptv.add(j as usize) = ((i as u32) << 22 | j << 12) | 3;
            }
            *pd.add(768 + i) = pt << 12 | 3;
        }
        for i in 0..boot::BOOT_TABLES {
            *pd.add(i) = 0; // drop the identity map: user space starts empty
        }
        x86::controlregs::cr3_write((boot::boot_pd_addr() as u32 - KERNEL_BASE) as u64);
    }
    let frames = (ram_end / 4096) as usize;
    log().s("RAM: ").dec(ram_end / 1024).s(" KiB, ").dec(frames as u32).s(" frames direct-mapped at ").hex(KERNEL_BASE).s("\n");

    // kernel tables and the frame pool
    let free_frames = balloc.free_frames() as usize;
    let nodes = frames * 2 + 4096;
    let threads = table::<Tcb>(&mut allocs, &mut balloc, MAX_THREADS, "threads");
    let spaces = table::<Space>(&mut allocs, &mut balloc, MAX_SPACES, "spaces");
    let nodes = table::<Node>(&mut allocs, &mut balloc, nodes, "mapping nodes");
    let roots = table::<u32>(&mut allocs, &mut balloc, frames, "frame roots");
    let pool_frames = (free_frames / 8).clamp(256, 16384);
    // room for the `.init` pages too, which join the pool at the end of boot
    let pool_store = table::<u32>(&mut allocs, &mut balloc, pool_frames + init_frames().len(), "pool index");
    let pool_base = allocs.take(&mut balloc, pool_frames as u32, kip::mem::KERNEL, "frame pool");
    let kip_pfn = allocs.take(&mut balloc, 1, kip::mem::KERNEL, "kip");
    let master_pd = (boot::boot_pd_addr() as u32 - KERNEL_BASE) >> 12;
    // the Mach build's message buffers: one to send and one to receive per thread
    let kmsgs = if cfg!(feature = "mach") {
        table::<crate::mach::Kmsg>(&mut allocs, &mut balloc, 2 * MAX_THREADS, "message buffers")
    } else {
        &mut []
    };
    let tables = Tables { threads, spaces, nodes, roots, pool: pool_store, kmsgs };
    let m = X86;
    // SAFETY: boot, before any switch reads it.
    unsafe { (*core::ptr::addr_of_mut!(super::LAST)).loaded_pd = master_pd };

    // SAFETY: single initialisation before any trap can reach the kernel.
    let k = unsafe { (*core::ptr::addr_of_mut!(KERNEL)).write(Kernel::new(m, tables, master_pd, kip_pfn)) };
    for p in pool_base..pool_base + pool_frames as u32 {
        k.pool.add(p);
    }
    super::fastpath::init(k);
    for p in 0..1u32 {
        k.mdb.reserve_frame(p);
    }
    for p in 0x100..kernel_phys_end.div_ceil(4096) {
        k.mdb.reserve_frame(p);
    }
    for &(a, b, _) in &allocs.ranges[..allocs.n] {
        for p in a..b {
            k.mdb.reserve_frame(p);
        }
    }
    log().s("kernel memory: ").dec(MAX_THREADS as u32).s(" thread slots, ").dec(MAX_SPACES as u32).s(" spaces, ");
    log().dec(k.mdb.free_nodes() as u32).s(" mapping nodes, ").dec(pool_frames as u32).s(" pool frames\n");

    // boot tasks from modules 0 (sigma0) and 1 (roottask)
    if bi.modules().len() < 2 {
        fatal("need at least two modules: sigma0 and the roottask");
    }
    let s0 = load_task(k, &mut balloc, &mut allocs, &bi.modules()[0], true, ThreadId::NIL, "sigma0");
    let s0_id = k.tcb(s0).id;
    let rt = load_task(k, &mut balloc, &mut allocs, &bi.modules()[1], false, s0_id, "roottask");
    k.sigma0 = s0_id;
    k.roottask = k.tcb(rt).id;

    write_kip(k, &bi, &allocs, kernel_phys_end);
    log().s("sigma0 is ").tid(k.sigma0).s(", roottask is ").tid(k.roottask).s("\n");

    let mut line = [0u8; 2048];
    let cmdline = bootinfo::read_cstr(&LowMem, bi.cmdline, &mut line);
    if cmdline.as_bytes().split(|&b| b == b' ').any(|w| w == b"kfault") {
        log().s("kfault: touching an unmapped kernel address on purpose\n");
        // SAFETY: deliberately faults (the boot option exists to test the
        // kernel-fault report); volatile so the access is not optimised out.
        unsafe { core::ptr::read_volatile(0xFFFF_F000 as *const u32) };
    }

    // the x87: native error reporting (#MF), WAIT honours TS, no emulation
    // SAFETY: setting CR0.NE and MP and clearing EM affects FPU trapping only.
    unsafe {
        core::arch::asm!("mov {t}, cr0", "or {t}, 0x22", "and {t}, 0xFFFFFFFB", "mov cr0, {t}", "fninit", t = out(reg) _, options(nostack));
    }
    pit::init(TICK_US);
    log().s("timer at ").dec(1_000_000 / TICK_US).s(" Hz; starting user level\n");
    let frame = super::next_frame();
    free_init_and_start(&mut k.pool, frame)
}

/// The `.init` section's virtual address range (see `linker.ld`).
fn init_range() -> (u32, u32) {
    // SAFETY: linker symbols; only their addresses are used.
    unsafe { (addr_of_sym(&_init_start), addr_of_sym(&_init_end)) }
}

/// The frames of the `.init` pages (the section starts on a page and
/// shares its last page with nothing).
fn init_frames() -> core::ops::Range<u32> {
    let (start, end) = init_range();
    (start - KERNEL_BASE) / 4096..(end - KERNEL_BASE).div_ceil(4096)
}

/// The end of boot, resident: fill the `.init` pages with `int3` (so that a
/// stray call into them traps instead of running whatever the pool later
/// keeps there), give them to the frame pool, and enter the first user
/// thread. Never inlined, so it does not live in `.init` itself.
#[inline(never)]
fn free_init_and_start(pool: &mut Pool, frame: *mut UserFrame) -> ! {
    let frames = init_frames();
    // SAFETY: the pages hold only boot code, which is done: the last boot
    // function called this one, which does not return.
    unsafe { core::ptr::write_bytes(phys_to_virt(frames.start << 12) as *mut u8, 0xCC, frames.len() * 4096) };
    for pfn in frames {
        pool.add(pfn);
    }
    trap::enter_user(frame)
}

/// Load an ELF module into a new boot task and start it.
#[link_section = ".init.text"]
fn load_task(
    k: &mut Kernel<'static, X86>,
    b: &mut BootAlloc,
    allocs: &mut Allocs,
    module: &bootinfo::Module,
    physical: bool,
    pager: ThreadId,
    name: &str,
) -> Idx {
    let len = (module.end - module.start) as usize;
    // SAFETY: module memory is RAM inside the direct map, reserved from
    // every allocator, and only read here.
    let image = unsafe { core::slice::from_raw_parts(phys_to_virt(module.start) as *const u8, len) };
    let Ok(elf) = Elf::parse(image) else { fatal("boot module is not an i386 ELF executable") };
    let Ok(t) = k.boot_task(physical, pager) else { fatal("cannot create boot task") };
    // one block for the whole image; segments may share pages
    let (mut lo, mut hi) = (u32::MAX, 0u32);
    for seg in elf.segments() {
        if seg.memsz > 0 {
            lo = lo.min(seg.vaddr & !0xFFF);
            hi = hi.max((seg.vaddr as u64 + seg.memsz as u64 + 0xFFF).min(u32::MAX as u64) as u32 & !0xFFF);
        }
    }
    if lo >= hi || hi > RESERVED_BASE - BOOT_STACK_PAGES * 4096 || hi - lo > 64 << 20 {
        fatal("boot task image outside user space or too large");
    }
    let pages = (hi - lo) / 4096;
    let pfn = allocs.take(b, pages, kip::mem::BOOT_TASK, name);
    let base = phys_to_virt(pfn << 12) as *mut u8;
    // SAFETY: fresh frames in the direct map, exclusively ours.
    unsafe { core::ptr::write_bytes(base, 0, (pages * 4096) as usize) };
    for seg in elf.segments() {
        if seg.memsz == 0 {
            continue;
        }
        let data = elf.bytes(seg);
        // SAFETY: the segment lies inside [lo, hi), so inside the block.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), base.add((seg.vaddr - lo) as usize), data.len()) };
    }
    for p in 0..pages {
        let va = lo + p * 4096;
        // a page is mapped if a segment covers it, writable if any such is
        let mut r = 0;
        for seg in elf.segments() {
            if seg.memsz > 0 && va < seg.vaddr + seg.memsz && va + 4096 > seg.vaddr {
                r |= if seg.writable { rights::RWX } else { rights::RX };
            }
        }
        if r != 0 && k.boot_map(t, va, pfn + p, r).is_err() {
            fatal("cannot map boot task image");
        }
    }
    let stack = allocs.take(b, BOOT_STACK_PAGES, kip::mem::BOOT_TASK, name);
    // SAFETY: fresh frames in the direct map.
    unsafe { core::ptr::write_bytes(phys_to_virt(stack << 12) as *mut u8, 0, (BOOT_STACK_PAGES * 4096) as usize) };
    let stack_base = RESERVED_BASE - BOOT_STACK_PAGES * 4096;
    for p in 0..BOOT_STACK_PAGES {
        if k.boot_map(t, stack_base + p * 4096, stack + p, rights::RWX).is_err() {
            fatal("cannot map boot task stack");
        }
    }
    k.start(t, elf.entry, RESERVED_BASE);
    log().s(name).s(": entry ").hex(elf.entry).s(", ").dec(len as u32 / 1024).s(" KiB image\n");
    t
}

#[link_section = ".init.text"]
fn write_kip(k: &mut Kernel<'static, X86>, bi: &BootInfo, allocs: &Allocs, kernel_end: u32) {
    let sigma0 = k.sigma0;
    let roottask = k.roottask;
    let mut buf = [0u8; 256];
    let page = k.m.frame(k.kip);
    // SAFETY: the KIP frame viewed as bytes; no other reference to it exists
    // while the writer lives.
    let bytes = unsafe { core::slice::from_raw_parts_mut(page.as_mut_ptr() as *mut u8, 4096) };
    let mut w = KipWriter::new(bytes);
    let mut features = 0;
    if cfg!(feature = "mach") {
        features |= kip::feature::MACH_IPC;
    }
    if cfg!(feature = "testing") {
        features |= kip::feature::TEST_BUILD;
    }
    w.set(kip::OFF_FEATURES, features);
    w.set(kip::OFF_TICK_US, TICK_US);
    w.set(kip::OFF_SIGMA0, sigma0.0);
    w.set(kip::OFF_ROOTTASK, roottask.0);
    w.set(kip::OFF_RAM_KB, (bi.ram_end() / 1024) as u32);
    // the command line may carry a whole script for the first program
    let mut line = [0u8; 2048];
    let off = w.add_str(bootinfo::read_cstr(&LowMem, bi.cmdline, &mut line));
    w.set(kip::OFF_CMDLINE, off);
    let mut ok = true;
    for r in bi.regions() {
        if r.base >= bootinfo::MAX_PHYS {
            continue;
        }
        let size = r.len.min(bootinfo::MAX_PHYS - r.base) as u32;
        let kind = if r.kind == 1 { kip::mem::CONVENTIONAL } else { kip::mem::RESERVED };
        ok &= w.add_mem(MemDesc { base: r.base as u32, size, kind });
    }
    ok &= w.add_mem(MemDesc { base: 0, size: 0x1000, kind: kip::mem::KERNEL });
    ok &= w.add_mem(MemDesc { base: 0x10_0000, size: kernel_end.div_ceil(4096) * 4096 - 0x10_0000, kind: kip::mem::KERNEL });
    for m in bi.modules() {
        let base = m.start & !0xFFF;
        ok &= w.add_mem(MemDesc { base, size: (m.end + 0xFFF & !0xFFF) - base, kind: kip::mem::MODULE });
        let name = bootinfo::read_cstr(&LowMem, m.cmdline, &mut buf);
        ok &= w.add_module(m.start, m.end, name);
    }
    for &(a, b, kind) in &allocs.ranges[..allocs.n] {
        ok &= w.add_mem(MemDesc { base: a << 12, size: (b - a) << 12, kind });
    }
    if !ok {
        fatal("KIP tables overflow");
    }
}
