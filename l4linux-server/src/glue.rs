//! The server's L4 side: the platform (tasks, mappings, console, clock),
//! start-up, and the IPC event loop.

use alloc::vec::Vec;
use core::arch::asm;
use l4::ipc::{self, Msg, Utcb};
use l4::kip::kip;
use l4::{sys, Error, Fpage, MapItem, MsgTag, ThreadId, Timeout};
use l4_abi::kip::OFF_ROOTTASK;
use l4_abi::msg::{exc, label, rights};
use l4_abi::syscall::{exreg, tc};
use l4linux_server::platform::{Platform, Regs, TaskId};
use l4linux_server::pool::{Frame, Pool};
use l4linux_server::system::{FaultReply, Linux, Reply};
use l4linux_server::vfs::{Kind, Timespec, Vfs};

const COM1: u16 = 0x3F8;
const COM2: u16 = 0x2F8;
const BOOT_INFO: u16 = 0xBF01;
const LINUX_PRIO: u8 = 100;

fn outb(port: u16, v: u8) {
    // SAFETY: the roottask granted the server these ports.
    unsafe { asm!("out dx, al", in("dx") port, in("al") v, options(nomem, nostack)) };
}
fn inb(port: u16) -> u8 {
    let v: u8;
    // SAFETY: as above.
    unsafe { asm!("in al, dx", in("dx") port, out("al") v, options(nomem, nostack)) };
    v
}
fn outl(port: u16, v: u32) {
    // SAFETY: as above (the QEMU exit device).
    unsafe { asm!("out dx, eax", in("dx") port, in("eax") v, options(nomem, nostack)) };
}

fn uart_put(port: u16, b: u8) {
    while inb(port + 5) & 0x20 == 0 {}
    outb(port, b);
}

/// Receive interrupts on, FIFO with a one-byte trigger, IRQ line enabled.
fn uart_init() {
    outb(COM1 + 2, 0x07);
    outb(COM1 + 4, 0x0B);
    outb(COM1 + 1, 0x01);
    while inb(COM1 + 5) & 1 != 0 {
        inb(COM1);
    }
}

fn uart_read() -> Vec<u8> {
    let mut v = Vec::new();
    while inb(COM1 + 5) & 1 != 0 && v.len() < 4096 {
        v.push(inb(COM1));
    }
    v
}

/// Seconds since the epoch from the CMOS clock.
fn rtc_epoch() -> u64 {
    let read = |r: u8| {
        outb(0x70, r);
        inb(0x71)
    };
    while read(0x0A) & 0x80 != 0 {}
    let bcd = read(0x0B) & 4 == 0;
    let conv = |v: u8| if bcd { (v & 0xF) + (v >> 4) * 10 } else { v } as u64;
    let (s, mi, h, d, mo, y) = (conv(read(0)), conv(read(2)), conv(read(4) & 0x7F), conv(read(7)), conv(read(8)), conv(read(9)));
    let year = 2000 + y;
    // days from 1970-01-01 to the date (civil calendar)
    let (yy, mm) = if mo <= 2 { (year - 1, mo + 9) } else { (year, mo - 3) };
    let era = yy / 400;
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86400 + h * 3600 + mi * 60 + s
}

/// CPUID feature bits (edx of leaf 1) and the machine name, if CPUID exists.
fn cpu() -> (u32, &'static [u8]) {
    let has_cpuid: u32;
    // SAFETY: toggling EFLAGS.ID only tests for CPUID; flags are restored.
    unsafe {
        asm!(
            "pushfd", "pop {a:e}", "mov {b:e}, {a:e}", "xor {a:e}, 0x200000", "push {a:e}", "popfd",
            "pushfd", "pop {a:e}", "push {b:e}", "popfd", "xor {a:e}, {b:e}", "and {a:e}, 0x200000",
            a = out(reg) has_cpuid, b = out(reg) _,
        )
    };
    if has_cpuid == 0 {
        return (0, b"i486");
    }
    let (eax, edx): (u32, u32);
    // SAFETY: cpuid leaf 1 reads identification registers only; ebx is
    // saved because LLVM may use it.
    unsafe { asm!("push ebx", "cpuid", "pop ebx", inout("eax") 1 => eax, out("ecx") _, out("edx") edx) };
    let family = (eax >> 8) & 0xF;
    (edx, if family >= 6 { b"i686" } else if family == 5 { b"i586" } else { b"i486" })
}

struct L4Platform {
    pool_base: u32,
    epoch: u64,
    rng: u64,
    /// Log lines go to the control port instead of the console.
    quiet: bool,
}

impl Platform for L4Platform {
    fn create_task(&mut self) -> Option<TaskId> {
        let me = Utcb::current().my_id();
        sys::thread_create(ThreadId::NIL, me, me, tc::NO_UTCB, LINUX_PRIO).ok().map(|t| t.0)
    }
    fn start_task(&mut self, t: TaskId, eip: u32, esp: u32, segs: u32, trap: bool) {
        let mut ctl = exreg::SET_IP | exreg::SET_SP | exreg::RESUME | exreg::SET_SEGS;
        if trap {
            ctl |= exreg::RAISE;
        }
        let _ = sys::exchange_registers_segs(ThreadId(t), ctl, esp, eip, 0, segs);
    }
    fn destroy_task(&mut self, t: TaskId) {
        let _ = sys::space_delete(ThreadId(t));
    }
    fn segments(&mut self, t: TaskId) -> u32 {
        sys::exchange_registers(ThreadId(t), 0, 0, 0, 0).map_or(0, |r| r.segs)
    }
    fn revoke(&mut self, f: Frame, r: u32) {
        let _ = sys::unmap(Fpage::new(self.pool_base + f * 4096, 12, r), 0);
    }
    fn interrupt(&mut self, t: TaskId) {
        let _ = sys::exchange_registers(ThreadId(t), exreg::RAISE, 0, 0, 0);
    }
    fn interrupt_fault(&mut self, t: TaskId) {
        let _ = sys::exchange_registers(ThreadId(t), exreg::RAISE | exreg::ABORT_RECV, 0, 0, 0);
    }
    fn set_tls(&mut self, t: TaskId, entry: u32, base: u32, limit: u32, flags: u32) -> bool {
        sys::set_tls(ThreadId(t), entry, base, limit, flags).is_ok()
    }
    fn console_write(&mut self, data: &[u8]) {
        for &b in data {
            uart_put(COM1, b);
        }
    }
    fn monotonic_ns(&self) -> u64 {
        l4::kip::now_us() * 1000
    }
    fn boot_epoch(&self) -> u64 {
        self.epoch
    }
    fn random(&mut self, buf: &mut [u8]) {
        for b in buf.iter_mut() {
            // xorshift64*, reseeded from the cycle counter now and then
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            *b = (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8;
        }
        // stir in the clock (no rdtsc: the i486 has none)
        self.rng ^= l4::kip::now_us() | 1;
    }
    fn shutdown(&mut self, status: u32) {
        for b in alloc::format!("exit {status}\n").bytes() {
            uart_put(COM2, b);
        }
        outl(0xF4, status.min(126));
        loop {
            ipc::sleep(Timeout::NEVER);
        }
    }
    fn log(&mut self, msg: &str) {
        let port = if self.quiet { COM2 } else { COM1 };
        for b in msg.bytes().chain(core::iter::once(b'\n')) {
            if b == b'\n' && port == COM1 {
                uart_put(port, b'\r');
            }
            uart_put(port, b);
        }
    }
}

l4::main!(main);

fn fatal(msg: &str) -> ! {
    l4::println!("l4linux: {}", msg);
    outl(0xF4, 125);
    l4::rt::exit_thread()
}

fn main() {
    let root = ThreadId(kip().word(OFF_ROOTTASK));
    let mut m = Msg::new(BOOT_INFO, &[]);
    if ipc::call(root, &mut m).is_err() || m.tag().untyped() != 4 {
        fatal("no boot information from the roottask");
    }
    let (region, region_size, initrd, initrd_len) = (m.mr[1], m.mr[2], m.mr[3], m.word(4));
    if region_size < 16 << 20 {
        fatal("less than 16 MiB of memory");
    }
    // the first part of the region is the server's heap, the rest frames
    let heap = (region_size / 4).min(48 << 20) & !0xFFF;
    // SAFETY: the roottask backs the region with memory on first touch and
    // nothing else in this space uses it.
    let (heap_mem, pool_mem) = unsafe {
        (
            core::slice::from_raw_parts_mut(region as *mut u8, heap as usize),
            core::slice::from_raw_parts_mut((region + heap) as *mut u8, (region_size - heap) as usize),
        )
    };
    l4::rt::init_heap(heap_mem);
    // a panic stops the machine (status 127) through the exit device
    l4::rt::set_exit_port(0xF4);
    let pool = Pool::new(pool_mem, region + heap);
    let cmdline = kip().cmdline();
    let quiet = cmdline.split(' ').any(|w| w == "quiet");
    uart_init();
    let epoch = rtc_epoch();
    let now = Timespec { sec: epoch as i64, nsec: 0 };
    let mut vfs = Vfs::new(now);
    // file data lives on the heap: most of it may be files
    vfs.set_budget(heap as u64 * 3 / 4);
    // SAFETY: the roottask maps the initrd read-only at this window.
    let image = unsafe { core::slice::from_raw_parts(initrd as *const u8, initrd_len as usize) };
    if let Err(e) = vfs.unpack_cpio(image, now) {
        l4::println!("l4linux: bad initrd (errno {})", e);
    }
    populate(&mut vfs, now);
    let (hwcap, machine) = cpu();
    let plat = L4Platform { pool_base: region + heap, epoch, rng: (epoch << 20) ^ l4::kip::now_us() | 1, quiet };
    let mut linux = Linux::new(plat, pool, vfs, hwcap, machine);
    linux.strace = cmdline.split(' ').any(|w| w == "strace");
    // the first program: after `--` on the command line, else a shell
    let words: Vec<&str> = cmdline.split(' ').filter(|w| !w.is_empty()).collect();
    // each word is percent-encoded (%20 for a space...), so any argument fits
    let argv: Vec<Vec<u8>> = match words.iter().position(|w| *w == "--") {
        Some(i) => words[i + 1..].iter().map(|w| percent_decode(w.as_bytes())).collect(),
        None => alloc::vec![b"/bin/sh".to_vec()],
    };
    let argv = if argv.is_empty() { alloc::vec![b"/bin/sh".to_vec()] } else { argv };
    let envp = ["HOME=/root", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=linux", "SHELL=/bin/sh", "USER=root", "LOGNAME=root", "PWD=/"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    linux.log_fmt(format_args!(
        "l4linux: {} MiB for processes, {} MiB heap; starting {}",
        linux.pool.frames() / 256,
        heap >> 20,
        core::str::from_utf8(&argv[0]).unwrap_or("?")
    ));
    // where the program's output begins (test harnesses look for this line)
    linux.plat.console_write(b"uL4-linux-start\r\n");
    if let Err(e) = linux.spawn_init(argv, envp) {
        linux.log_fmt(format_args!("l4linux: cannot start the first program: errno {e}"));
        linux.plat.shutdown(if e == 2 { 127 } else { 126 });
    }
    event_loop(&mut linux)
}

/// Decode `%XX` escapes (invalid ones stay as they are).
fn percent_decode(w: &[u8]) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(w.len());
    let mut i = 0;
    while i < w.len() {
        if w[i] == b'%' && i + 2 < w.len() {
            if let (Some(a), Some(b)) = (hex(w[i + 1]), hex(w[i + 2])) {
                out.push(a << 4 | b);
                i += 3;
                continue;
            }
        }
        out.push(w[i]);
        i += 1;
    }
    out
}

/// Device nodes, /proc and /tmp, unless the initrd brought them.
fn populate(vfs: &mut Vfs, now: Timespec) {
    let root = vfs.root();
    for d in [b"dev".as_slice(), b"proc", b"tmp", b"root", b"bin"] {
        let _ = vfs.create(root, d, Kind::Dir, if d == b"tmp" { 0o1777 } else { 0o755 }, 0, 0, now);
    }
    let Ok(dev) = vfs.resolve(root, b"/dev", true) else { return };
    let nodes: [(&[u8], u32, u32, u32); 8] = [
        (b"null", 1, 3, 0o666),
        (b"zero", 1, 5, 0o666),
        (b"full", 1, 7, 0o666),
        (b"random", 1, 8, 0o666),
        (b"urandom", 1, 9, 0o666),
        (b"tty", 5, 0, 0o666),
        (b"console", 5, 1, 0o600),
        (b"ttyS0", 4, 64, 0o660),
    ];
    for (name, major, minor, mode) in nodes {
        let _ = vfs.create(dev, name, Kind::CharDev { major, minor }, mode, 0, 0, now);
    }
    for (name, target) in [(b"fd".as_slice(), b"/proc/self/fd".as_slice()), (b"stdin", b"/proc/self/fd/0"), (b"stdout", b"/proc/self/fd/1"), (b"stderr", b"/proc/self/fd/2")] {
        let _ = vfs.symlink(dev, name, target, 0, 0, now);
    }
}

fn regs_of(m: &Msg) -> Regs {
    let u = Utcb::current();
    let r = |i: usize| u.mr(i);
    Regs {
        eax: m.mr[exc::EAX],
        ebx: m.mr[exc::EBX],
        ecx: m.mr[exc::ECX],
        edx: r(exc::EDX),
        esi: r(exc::ESI),
        edi: r(exc::EDI),
        ebp: r(exc::EBP),
        eip: r(exc::EIP),
        esp: r(exc::ESP),
        eflags: r(exc::EFLAGS),
    }
}

/// The reply message for a process: eax only, or all ten registers.
fn reply_msg(regs: &Regs, full: bool) -> Msg {
    if !full {
        return Msg { mr: [MsgTag::new(0, 1, 0).0, regs.eax, 0, 0] };
    }
    let w = regs.to_words();
    let u = Utcb::current();
    for (i, v) in w.iter().enumerate().skip(3) {
        u.set_mr(i + 1, *v);
    }
    Msg { mr: [MsgTag::new(0, exc::WRITABLE, 0).0, w[0], w[1], w[2]] }
}

fn event_loop<P: Platform>(linux: &mut Linux<P>) -> ! {
    let irq = ThreadId::irq(4);
    let mut m = Msg::default();
    // a reply to send together with the next receive; a register reply's
    // message is built only right before it is sent, because a full reply
    // keeps most of its words in the UTCB, which the next one overwrites
    let mut combined: Option<(ThreadId, Msg)> = None;
    // the replies being sent, swapped with the server's queue (no
    // allocation per event)
    let mut replies: Vec<Reply> = Vec::new();
    let mut next_deadline: Option<Option<u64>> = None;
    loop {
        if !linux.replies.is_empty() {
            core::mem::swap(&mut replies, &mut linux.replies);
            let count = replies.len();
            for (i, r) in replies.drain(..).enumerate() {
                if let Some((to, mut earlier)) = combined.take() {
                    let _ = ipc::send(to, &mut earlier, Timeout::ZERO);
                }
                let mut msg = reply_msg(&r.regs, r.full);
                if i + 1 < count {
                    let _ = ipc::send(ThreadId(r.task), &mut msg, Timeout::ZERO);
                } else {
                    combined = Some((ThreadId(r.task), msg));
                }
            }
        }
        // the next timer deadline changes only with events of the general
        // path (the quick system calls below change nothing)
        let deadline = *next_deadline.get_or_insert_with(|| linux.next_deadline());
        let timeout = match deadline {
            Some(d) => {
                let now = linux.now_ns();
                if d <= now {
                    linux.on_timer();
                    next_deadline = None;
                    continue;
                }
                Timeout::from_micros((d - now).div_ceil(1000))
            }
            None => Timeout::NEVER,
        };
        let r = match combined.take() {
            Some((to, mut msg)) => {
                let r = ipc::ipc(to, ThreadId::ANY, Timeout::ZERO, timeout, &mut msg);
                m = msg;
                r
            }
            None => ipc::receive(ThreadId::ANY, timeout, &mut m),
        };
        let from = match r {
            Ok(f) => f,
            Err(Error::RecvTimeout) => {
                linux.on_timer();
                next_deadline = None;
                continue;
            }
            // the send phase failed (the process is gone): nothing received
            Err(_) => continue,
        };
        let tag = m.tag();
        let exception = tag.label() == label::EXCEPTION && tag.untyped() == exc::WORDS;
        let vector = if exception { m.word(exc::VECTOR) } else { 0 };
        if exception && vector == 0x80 {
            if let Some(v) = linux.quick_syscall(from.0, m.mr[exc::EAX]) {
                combined = Some((from, Msg { mr: [MsgTag::new(0, 1, 0).0, v, 0, 0] }));
                continue;
            }
        }
        next_deadline = None;
        if from == irq {
            let bytes = uart_read();
            linux.on_console_input(&bytes);
            continue;
        }
        if tag.label() & label::PAGE_FAULT_MASK == label::PAGE_FAULT {
            let write = tag.label() & rights::W as u16 != 0;
            match linux.on_fault(from.0, m.mr[1], write, m.mr[2]) {
                FaultReply::Map { vaddr, writable } => {
                    let r = if writable { rights::RWX } else { rights::RX };
                    let item = MapItem::map(m.mr[1] & !0xFFF, Fpage::new(vaddr, 12, r));
                    combined = Some((from, Msg::map(0, item)));
                }
                FaultReply::None => {}
            }
        } else if exception {
            let regs = regs_of(&m);
            if vector == 0x80 {
                linux.on_syscall(from.0, regs);
            } else {
                linux.on_exception(from.0, regs, vector, m.word(exc::ERROR));
            }
        }
    }
}
