//! Starting the system: the Linux server from boot module 2 (loaded with
//! goblin), the initrd (module 3), its console ports and interrupt; then the
//! roottask serves as the server's pager:
//!
//! - its image: copies of the ELF segments, zero-filled bss;
//! - its stack: zero pages;
//! - its memory region (heap and the frames of every Linux process):
//!   4 MiB runs from sigma0, mapped whole on the first fault;
//! - the initrd window: the module's pages, read-only.
//!
//! The server asks for the layout with a `BOOT_INFO` message.

use crate::mem::Pages;
use alloc::vec::Vec;
use goblin::elf::program_header::{PF_W, PT_LOAD};
use goblin::elf::Elf;
use l4::ipc::{self, Msg, Utcb};
use l4::kip::kip;
use l4::{println, sys, Fpage, MapItem, ThreadId};
use l4_abi::kip::OFF_SIGMA0;
use l4_abi::msg::{label, rights};

/// The server's protocol with the roottask.
pub mod proto {
    /// Ask for the layout: reply u = 4: region base, region size, initrd
    /// base, initrd size.
    pub const BOOT_INFO: u16 = 0xBF01;
}

/// Where things are in the server's address space.
const SERVER_STACK_TOP: u32 = 0xBFE0_0000;
const SERVER_STACK_SIZE: u32 = 1 << 20;
const REGION_BASE: u32 = 0x4000_0000;
const INITRD_BASE: u32 = 0x3000_0000;
/// Frames the roottask keeps for itself.
const ROOTTASK_RESERVE: u32 = 1024;
const SERVER_PRIO: u8 = 100;

/// Module `i` mapped read-only into the roottask: (address, length).
fn map_module(i: usize, at: u32) -> Option<(u32, u32)> {
    let m = kip().modules().nth(i)?;
    let s0 = ThreadId(kip().word(OFF_SIGMA0));
    let first = m.start & !0xFFF;
    let end = (m.end + 0xFFF) & !0xFFF;
    let mut p = first;
    while p < end {
        // the largest aligned flexpage that fits
        // the largest flexpage aligned both in physical memory and in the
        // window (which starts 4 MiB-aligned at `at`)
        let mut size = 12;
        while size < 22 && (p | (p - first)) & ((1 << (size + 1)) - 1) == 0 && p + (1 << (size + 1)) <= end {
            size += 1;
        }
        let window = Fpage::new(at + (p - first), size, rights::RWX);
        l4::sigma0::request(s0, Fpage::new(p, size, rights::RW), 0, window).ok()?;
        p += 1 << size;
    }
    Some((at + (m.start - first), m.end - m.start))
}

struct Segment {
    vaddr: u32,
    memsz: u32,
    /// The file bytes (in the roottask's mapping of the module).
    data: &'static [u8],
    writable: bool,
}

pub fn start_system() {
    let k = kip();
    if k.modules().count() < 4 {
        println!("roottask: need modules sigma0, roottask, l4linux-server, initrd");
        sys::kdebug_exit(1);
    }
    let Some((srv, srv_len)) = map_module(2, 0x1000_0000) else { fatal("cannot map the server module") };
    let Some((initrd, initrd_len)) = map_module(3, 0x1800_0000) else { fatal("cannot map the initrd") };
    // SAFETY: the module pages were just mapped read-write into our space
    // and stay mapped; nothing writes to them.
    let image: &'static [u8] = unsafe { core::slice::from_raw_parts(srv as *const u8, srv_len as usize) };
    let Ok(elf) = Elf::parse(image) else { fatal("the server module is not an ELF file") };
    let mut segs = Vec::new();
    for ph in elf.program_headers.iter().filter(|p| p.p_type == PT_LOAD) {
        let (off, fsz) = (ph.p_offset as usize, ph.p_filesz as usize);
        if off + fsz > image.len() {
            fatal("server segment beyond the file");
        }
        segs.push(Segment { vaddr: ph.p_vaddr as u32, memsz: ph.p_memsz as u32, data: &image[off..off + fsz], writable: ph.p_flags & PF_W != 0 });
    }
    let me = Utcb::current().my_id();
    let server = match sys::thread_create(ThreadId::NIL, me, me, 0, SERVER_PRIO) {
        Ok(t) => t,
        Err(e) => fatal_e("cannot create the server", e),
    };
    // console (COM1), control port (COM2), RTC, QEMU exit device; the UART's IRQ
    for (first, count) in [(0x3F8, 8), (0x2F8, 8), (0x70, 2), (0xF4, 4)] {
        if let Err(e) = sys::io_control(server, first, count, true) {
            fatal_e("io_control for the server", e);
        }
    }
    if let Err(e) = sys::irq_control(4, server) {
        fatal_e("attaching IRQ 4 to the server", e);
    }
    let s0 = ThreadId(k.word(OFF_SIGMA0));
    let free = l4::sigma0::info(s0).map_or(0, |i| i.0);
    // what is left for the server, in whole 4 MiB runs
    let region = (free.saturating_sub(ROOTTASK_RESERVE) / 1024) << 22;
    println!(
        "roottask: starting the Linux server ({} KiB image, {} MiB of memory, initrd {} KiB)",
        srv_len / 1024,
        region >> 20,
        initrd_len / 1024
    );
    if let Err(e) = sys::start(server, elf.entry as u32, SERVER_STACK_TOP) {
        fatal_e("starting the server", e);
    }
    serve(server, &segs, region, initrd, initrd_len);
}

fn fatal(msg: &str) -> ! {
    println!("roottask: {}", msg);
    sys::kdebug_exit(1);
    l4::rt::exit_thread()
}

fn fatal_e(msg: &str, e: l4::Error) -> ! {
    println!("roottask: {}: {:?}", msg, e);
    sys::kdebug_exit(1);
    l4::rt::exit_thread()
}

/// The pager loop for the server.
fn serve(server: ThreadId, segs: &[Segment], region: u32, initrd: u32, initrd_len: u32) -> ! {
    let mut pages = Pages::new();
    let mut m = Msg::default();
    let mut from = ipc::wait(&mut m).unwrap_or(ThreadId::NIL);
    loop {
        let reply = if from != server {
            None
        } else if m.label() & label::PAGE_FAULT_MASK == label::PAGE_FAULT {
            fault(&mut pages, segs, region, initrd, initrd_len, m.mr[1])
        } else if m.label() == proto::BOOT_INFO {
            Some(Msg::new(0, &[REGION_BASE, region, INITRD_BASE, initrd_len]))
        } else if m.label() == label::EXCEPTION {
            let (v, eip) = (m.word(l4_abi::msg::exc::VECTOR), m.word(l4_abi::msg::exc::EIP));
            println!("roottask: the Linux server raised exception {:#x} at {:#x}", v, eip);
            sys::kdebug_exit(125);
            None
        } else {
            None
        };
        from = match reply {
            Some(mut r) => {
                let res = ipc::reply_wait(from, &mut r);
                m = r;
                res
            }
            None => ipc::wait(&mut m),
        }
        .unwrap_or_else(|_| ipc::wait(&mut m).unwrap_or(ThreadId::NIL));
    }
}

fn map_reply(src: u32, dst: u32, size_log2: u32, r: u32) -> Option<Msg> {
    Some(Msg::map(0, MapItem::map(dst, Fpage::new(src, size_log2, r))))
}

fn fault(pages: &mut Pages, segs: &[Segment], region: u32, initrd: u32, initrd_len: u32, addr: u32) -> Option<Msg> {
    let page = addr & !0xFFF;
    if let Some(s) = segs.iter().find(|s| addr >= s.vaddr & !0xFFF && addr < s.vaddr + s.memsz) {
        let p = pages.alloc()?;
        // copy the part of the segment's file bytes that falls in this page
        let seg_start = s.vaddr;
        let data_end = seg_start + s.data.len() as u32;
        let from = page.max(seg_start);
        let to = (page + 4096).min(data_end);
        if from < to {
            let src = &s.data[(from - seg_start) as usize..(to - seg_start) as usize];
            // SAFETY: `p` is a fresh page mapped read-write in the roottask.
            unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), (p + (from - page)) as *mut u8, src.len()) };
        }
        let r = if s.writable { rights::RWX } else { rights::RX };
        return map_reply(p, page, 12, r);
    }
    if addr >= SERVER_STACK_TOP - SERVER_STACK_SIZE && addr < SERVER_STACK_TOP {
        let p = pages.alloc()?;
        return map_reply(p, page, 12, rights::RWX);
    }
    if addr >= REGION_BASE && addr < REGION_BASE + region {
        // the whole 4 MiB run at once, or this page when sigma0 has no
        // aligned run left
        if let Some(src) = pages.alloc_chunk() {
            return map_reply(src, addr & !0x3F_FFFF, 22, rights::RWX);
        }
        let p = pages.alloc()?;
        return map_reply(p, page, 12, rights::RWX);
    }
    if addr >= INITRD_BASE && addr < INITRD_BASE + initrd_len {
        let src = (initrd & !0xFFF) + (page - INITRD_BASE);
        // the initrd starts page-aligned (modules are page-aligned)
        return map_reply(src, page, 12, rights::R);
    }
    println!("roottask: server page fault at {:#x} outside its memory", addr);
    None
}

