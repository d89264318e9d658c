//! Raw kernel calls. Every call except IPC goes through one generic trap
//! that loads all seven general registers from a [`Regs`] block and stores
//! them back; IPC has its own short stub (it is the fast path).
//!
//! Rust's inline assembly cannot name `esi` and `ebp` on i386, so the stubs
//! save them and load them from memory themselves.

use core::arch::asm;
use l4_abi::syscall::{self as sc, exreg, kdebug, tc, Error, ThreadState};
use l4_abi::{Fpage, ThreadId};

/// The general registers of a kernel call, in and out.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Regs {
    pub eax: u32,
    pub ecx: u32,
    pub edx: u32,
    pub ebx: u32,
    pub esi: u32,
    pub edi: u32,
    pub ebp: u32,
}

macro_rules! trap {
    ($vec:literal, $r:expr) => {{
        let p: *mut Regs = $r;
        // SAFETY: the stub saves and restores esi and ebp itself and only
        // touches the register block `p` points to.
        unsafe {
            asm!(
                "push ebp",
                "push esi",
                "push eax",
                "mov ecx, [eax + 4]",
                "mov edx, [eax + 8]",
                "mov ebx, [eax + 12]",
                "mov esi, [eax + 16]",
                "mov edi, [eax + 20]",
                "mov ebp, [eax + 24]",
                "mov eax, [eax]",
                concat!("int ", $vec),
                "xchg eax, [esp]",
                "mov [eax + 4], ecx",
                "mov [eax + 8], edx",
                "mov [eax + 12], ebx",
                "mov [eax + 16], esi",
                "mov [eax + 20], edi",
                "mov [eax + 24], ebp",
                "pop ecx",
                "mov [eax], ecx",
                "pop esi",
                "pop ebp",
                inout("eax") p => _,
                out("ecx") _,
                out("edx") _,
                out("ebx") _,
                out("edi") _,
            )
        }
    }};
}

fn result(code: u32) -> Result<(), Error> {
    match code {
        0 => Ok(()),
        c => Err(Error::from_code(c).unwrap_or(Error::InvalidArgument)),
    }
}

/// The IPC call: MR0..MR3 travel in `mr`; returns (sender, error code).
#[inline(always)]
pub fn ipc(to: ThreadId, from: ThreadId, timeouts: u32, mr: &mut [u32; 4]) -> (ThreadId, u32) {
    let sender: u32;
    let err: u32;
    // SAFETY: the stub saves esi, ebp and the MR pointer on the stack and
    // writes the four returned message registers back through it.
    unsafe {
        asm!(
            "push ebp",
            "push esi",
            "push edi",
            "mov esi, [edi]",
            "mov ebx, [edi + 4]",
            "mov ebp, [edi + 8]",
            "mov edi, [edi + 12]",
            "int 0x30",
            "xchg edi, [esp]",
            "mov [edi], esi",
            "mov [edi + 4], ebx",
            "mov [edi + 8], ebp",
            "pop esi",
            "mov [edi + 12], esi",
            "pop esi",
            "pop ebp",
            inout("eax") to.0 => sender,
            inout("ecx") from.0 => err,
            inout("edx") timeouts => _,
            inout("edi") mr.as_mut_ptr() => _,
            out("ebx") _,
        );
    }
    let _ = sc::IPC;
    (ThreadId(sender), err)
}

/// Create a thread in the space of `space` (NIL: in a new space).
pub fn thread_create(space: ThreadId, pager: ThreadId, exc: ThreadId, utcb_slot: u32, prio: u8) -> Result<ThreadId, Error> {
    let mut r = Regs { eax: tc::CREATE, ebx: space.0, ecx: pager.0, edx: exc.0, esi: utcb_slot, edi: prio as u32, ebp: 0 };
    trap!("0x31", &mut r);
    result(r.ecx).map(|_| ThreadId(r.eax))
}

pub fn thread_delete(t: ThreadId) -> Result<(), Error> {
    let mut r = Regs { eax: tc::DELETE, ebx: t.0, ..Regs::default() };
    trap!("0x31", &mut r);
    result(r.ecx)
}

/// Delete the space of `t` with all its threads.
pub fn space_delete(t: ThreadId) -> Result<(), Error> {
    let mut r = Regs { eax: tc::DELETE_SPACE, ebx: t.0, ..Regs::default() };
    trap!("0x31", &mut r);
    result(r.ecx)
}

/// Set pager and exception handler (NIL keeps the current one).
pub fn set_handlers(t: ThreadId, pager: ThreadId, exc: ThreadId) -> Result<(), Error> {
    let mut r = Regs { eax: tc::SET_HANDLERS, ebx: t.0, ecx: pager.0, edx: exc.0, ..Regs::default() };
    trap!("0x31", &mut r);
    result(r.ecx)
}

/// What exchange-registers reports about a thread.
#[derive(Clone, Copy, Debug)]
pub struct ExRegs {
    pub state: ThreadState,
    pub sp: u32,
    pub ip: u32,
    pub flags: u32,
    /// fs | gs << 16
    pub segs: u32,
}

pub fn exchange_registers(t: ThreadId, ctl: u32, sp: u32, ip: u32, flags: u32) -> Result<ExRegs, Error> {
    exchange_registers_segs(t, ctl, sp, ip, flags, 0)
}

/// Exchange registers including the fs/gs selectors (`SET_SEGS`).
pub fn exchange_registers_segs(t: ThreadId, ctl: u32, sp: u32, ip: u32, flags: u32, segs: u32) -> Result<ExRegs, Error> {
    let mut r = Regs { eax: t.0, ecx: ctl, edx: sp, esi: ip, edi: flags, ebx: segs, ..Regs::default() };
    trap!("0x32", &mut r);
    result(r.ecx)?;
    let state = match r.eax {
        0 => ThreadState::Inactive,
        1 => ThreadState::Ready,
        2 => ThreadState::SendBlocked,
        3 => ThreadState::RecvBlocked,
        _ => ThreadState::Halted,
    };
    Ok(ExRegs { state, sp: r.edx, ip: r.esi, flags: r.edi, segs: r.ebx })
}

/// Start an inactive thread at `ip` with stack `sp`.
pub fn start(t: ThreadId, ip: u32, sp: u32) -> Result<(), Error> {
    exchange_registers(t, exreg::SET_IP | exreg::SET_SP | exreg::RESUME, sp, ip, 0).map(|_| ())
}

pub fn schedule(t: ThreadId, prio: u32, timeslice_us: u32) -> Result<(), Error> {
    let mut r = Regs { eax: t.0, ecx: prio, edx: timeslice_us, ..Regs::default() };
    trap!("0x33", &mut r);
    result(r.ecx)
}

/// Yield (NIL) or donate the processor to `t`.
pub fn thread_switch(t: ThreadId) -> Result<(), Error> {
    let mut r = Regs { eax: t.0, ..Regs::default() };
    trap!("0x34", &mut r);
    result(r.ecx)
}

/// Revoke `fp.rights()` from everything mapped from the caller's `fp`.
pub fn unmap(fp: Fpage, flags: u32) -> Result<(), Error> {
    let mut r = Regs { eax: fp.0, ecx: flags, ..Regs::default() };
    trap!("0x35", &mut r);
    result(r.ecx)
}

pub fn irq_control(irq: u32, handler: ThreadId) -> Result<(), Error> {
    let mut r = Regs { eax: irq, ecx: handler.0, ..Regs::default() };
    trap!("0x36", &mut r);
    result(r.ecx)
}

pub fn io_control(t: ThreadId, first: u32, count: u32, allow: bool) -> Result<(), Error> {
    let mut r = Regs { eax: t.0, ecx: first, edx: count, esi: allow as u32, ..Regs::default() };
    trap!("0x37", &mut r);
    result(r.ecx)
}

pub fn set_tls(t: ThreadId, entry: u32, base: u32, limit: u32, flags: u32) -> Result<(), Error> {
    let mut r = Regs { eax: t.0, ecx: entry, edx: base, esi: limit, edi: flags, ..Regs::default() };
    trap!("0x38", &mut r);
    result(r.ecx)
}

pub fn kdebug_putc(b: u8) {
    let mut r = Regs { eax: kdebug::PUTC, ebx: b as u32, ..Regs::default() };
    trap!("0x39", &mut r);
}

/// Print up to 252 bytes that the caller has placed in its UTCB.
pub fn kdebug_write_utcb(len: u32) {
    let mut r = Regs { eax: kdebug::WRITE, ebx: len, ..Regs::default() };
    trap!("0x39", &mut r);
}

/// Exit QEMU (privileged tasks only).
pub fn kdebug_exit(status: u32) -> Error {
    let mut r = Regs { eax: kdebug::EXIT, ebx: status, ..Regs::default() };
    trap!("0x39", &mut r);
    Error::from_code(r.ecx).unwrap_or(Error::NoPermission)
}

/// Kernel memory: (free pool frames, free thread slots, free mapping
/// nodes, free spaces).
pub fn kdebug_stats() -> (u32, u32, u32, u32) {
    let mut r = Regs { eax: kdebug::STATS, ..Regs::default() };
    trap!("0x39", &mut r);
    (r.eax, r.ebx, r.edx, r.esi)
}

pub fn kdebug_ticks() -> u64 {
    let mut r = Regs { eax: kdebug::TICKS, ..Regs::default() };
    trap!("0x39", &mut r);
    (r.edx as u64) << 32 | r.eax as u64
}

/// Read the time-stamp counter.
#[inline(always)]
pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: rdtsc only reads the counter (QEMU provides it on every model).
    unsafe { asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    (hi as u64) << 32 | lo as u64
}

/// The thread-control call with raw registers (eax = operation).
pub fn thread_control(r: &mut Regs) {
    trap!("0x31", r);
}
