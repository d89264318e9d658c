//! The frames handlers run on: registers at entry, the classic and the
//! SA_SIGINFO (rt) frame as i386 Linux lays them out, siginfo contents,
//! sigreturn and rt_sigreturn restoring what the frame holds (changes a
//! handler made included), the alternate stack, and faults.

use crate::rt::*;
use core::arch::asm;
use core::sync::atomic::{AtomicU32, Ordering::SeqCst};
use initrd::conformance::{Show, Suite};
use linux_rt::consts::*;
use linux_rt::errno::*;
use linux_rt::sys;
use linux_rt::types::*;

pub fn run(s: &mut Suite) {
    classic(s);
    rt_frame(s);
    sigreturn(s);
    altstack(s);
    faults(s);
}

/// What a hook saw, for checking after the handler returned.
static mut SEEN_SC: SigContext = SigContext {
    gs: 0,
    fs: 0,
    es: 0,
    ds: 0,
    edi: 0,
    esi: 0,
    ebp: 0,
    esp: 0,
    ebx: 0,
    edx: 0,
    ecx: 0,
    eax: 0,
    trapno: 0,
    err: 0,
    eip: 0,
    cs: 0,
    eflags: 0,
    esp_at_signal: 0,
    ss: 0,
    fpstate: 0,
    oldmask: 0,
    cr2: 0,
};
static mut SEEN_INFO: SigInfo = SigInfo { si_signo: 0, si_errno: 0, si_code: 0, fields: [0; 29] };
static mut SEEN_UC_MASK: u64 = 0;
static mut SEEN_UC_STACK: StackT = StackT { ss_sp: 0, ss_flags: 0, ss_size: 0 };
static SEEN_MASK: AtomicU32 = AtomicU32::new(0);
static SEEN_EXTRA: AtomicU32 = AtomicU32::new(0);
static SEEN_ARGS: [AtomicU32; 4] = [AtomicU32::new(0), AtomicU32::new(0), AtomicU32::new(0), AtomicU32::new(0)];
/// Bytes to skip past a faulting instruction (0: do not touch eip).
static SKIP: AtomicU32 = AtomicU32::new(0);
static MODIFY: AtomicU32 = AtomicU32::new(0);

fn seen_sc() -> SigContext {
    // SAFETY: single-threaded; written by hooks only.
    unsafe { core::ptr::addr_of!(SEEN_SC).read_volatile() }
}
fn seen_info() -> SigInfo {
    // SAFETY: as above.
    unsafe { core::ptr::addr_of!(SEEN_INFO).read_volatile() }
}

/// Classic frame: [esp] return address, [esp+4] signal, sigcontext at
/// esp+8, the mask's high word 720 bytes into the frame.
fn classic_hook(_sig: u32, _: *mut SigInfo, _: *mut UContext) {
    let esp = probe()[0];
    let sc = (esp + 8) as *mut SigContext;
    // SAFETY: the classic frame holds a sigcontext at esp + 8.
    unsafe {
        core::ptr::addr_of_mut!(SEEN_SC).write_volatile(sc.read_volatile());
        if MODIFY.load(SeqCst) != 0 {
            (*sc).edi = 0x4444_0004;
        }
    }
    SEEN_ARGS[0].store(word(esp), SeqCst);
    SEEN_ARGS[1].store(word(esp + 4), SeqCst);
    // pretcode, signal, sigcontext (88), unused fpstate (624), extramask
    SEEN_EXTRA.store(word(esp + 8 + 88 + 624), SeqCst);
    SEEN_MASK.store(mask() as u32, SeqCst);
}

fn classic(s: &mut Suite) {
    s.group("classic_frame");
    clean();
    set_hook(Some(classic_hook));
    s.eq("install", install(SIGUSR1, 0, sigbit(SIGINT)), 0);
    // a mask with a bit in each word: SIGUSR2 and a real-time signal
    let before = sigbit(SIGUSR2) | sigbit(SIGRTMIN + 8);
    set_mask(before);
    let r = kill_probe(pid(), SIGUSR1);
    let after_mask = mask();
    s.eq("kill_returns_0", r, 0);
    s.eq("handler_ran_before_kill_returned", count() as isize, 1);
    s.eq("signal_number", LAST.load(SeqCst) as isize, SIGUSR1 as isize);
    let [esp, eax, edx, ecx] = probe();
    s.eq("eax_is_signal", eax as isize, SIGUSR1 as isize);
    s.check("edx_ecx_zero", edx == 0 && ecx == 0, format_args!("edx {edx:#x}, ecx {ecx:#x}"));
    s.check("stack_aligned", (esp + 4) % 16 == 0, format_args!("(esp + 4) % 16 = {}", (esp + 4) % 16));
    s.check(
        "returns_to_restorer",
        SEEN_ARGS[0].load(SeqCst) as usize == restore(),
        format_args!("the return address is not the restorer"),
    );
    s.eq("arg_is_signal", SEEN_ARGS[1].load(SeqCst) as isize, SIGUSR1 as isize);
    let k = krec();
    let sc = seen_sc();
    s.check("sc_esp", sc.esp == k[0], format_args!("sigcontext esp differs from esp at the call"));
    s.check("sc_eip", sc.eip == k[1], format_args!("sigcontext eip is not right after int 0x80"));
    s.eq("sc_eax_is_result", sc.eax as isize, 0);
    s.eq("sc_ebx", sc.ebx as isize, pid() as isize);
    s.eq("sc_ecx", sc.ecx as isize, SIGUSR1 as isize);
    s.check("sc_edx_esi_edi", sc.edx == MAGIC_EDX && sc.esi == MAGIC_ESI && sc.edi == MAGIC_EDI, format_args!("edx {:#x} esi {:#x} edi {:#x}", sc.edx, sc.esi, sc.edi));
    s.check("sc_ebp", sc.ebp == k[5], format_args!("sigcontext ebp differs"));
    s.check("sc_oldmask", sc.oldmask == before as u32, format_args!("oldmask {:#x}, expected {:#x}", sc.oldmask, before as u32));
    s.check(
        "extramask",
        SEEN_EXTRA.load(SeqCst) == (before >> 32) as u32,
        format_args!("extramask {:#x}, expected {:#x}", SEEN_EXTRA.load(SeqCst), (before >> 32) as u32),
    );
    let inside = SEEN_MASK.load(SeqCst) as u64;
    let want = (before | sigbit(SIGUSR1) | sigbit(SIGINT)) as u32 as u64;
    s.check("mask_in_handler", inside == want, format_args!("mask {inside:#x}, expected {want:#x}"));
    s.check("mask_restored", after_mask == before, format_args!("mask {after_mask:#x} after the handler, expected {before:#x}"));
    s.check(
        "registers_restored",
        k[2] == MAGIC_ESI && k[3] == MAGIC_EDI && k[4] == MAGIC_EDX,
        format_args!("after sigreturn esi {:#x} edi {:#x} edx {:#x}", k[2], k[3], k[4]),
    );
    // without SA_RESTORER the kernel provides the way back
    clean();
    s.eq("install_no_restorer", install_no_restorer(SIGUSR2, 0), 0);
    s.eq("no_restorer_returns", kill_probe(pid(), SIGUSR2), 0);
    s.eq("no_restorer_ran", count() as isize, 1);
    let k = krec();
    s.check("no_restorer_registers", k[2] == MAGIC_ESI && k[3] == MAGIC_EDI, format_args!("esi {:#x} edi {:#x}", k[2], k[3]));
    clean();
}

fn rt_hook(_sig: u32, info: *mut SigInfo, uc: *mut UContext) {
    let esp = probe()[0];
    for i in 0..4 {
        SEEN_ARGS[i].store(word(esp + 4 * i as u32), SeqCst);
    }
    // SAFETY: for SA_SIGINFO handlers `info` and `uc` point into the frame.
    unsafe {
        core::ptr::addr_of_mut!(SEEN_INFO).write_volatile(info.read_volatile());
        core::ptr::addr_of_mut!(SEEN_SC).write_volatile((*uc).uc_mcontext);
        core::ptr::addr_of_mut!(SEEN_UC_MASK).write_volatile((*uc).uc_sigmask);
        core::ptr::addr_of_mut!(SEEN_UC_STACK).write_volatile((*uc).uc_stack);
        if MODIFY.load(SeqCst) != 0 {
            (*uc).uc_mcontext.esi = 0x5555_0005;
            (*uc).uc_sigmask |= sigbit(SIGUSR2);
        }
    }
}

fn rt_frame(s: &mut Suite) {
    s.group("rt_frame");
    clean();
    set_hook(Some(rt_hook));
    s.eq("install", install(SIGUSR1, SA_SIGINFO, 0), 0);
    let before = sigbit(SIGRTMIN + 8);
    set_mask(before);
    s.eq("kill", kill_probe(pid(), SIGUSR1), 0);
    s.eq("ran", count() as isize, 1);
    let [esp, eax, edx, ecx] = probe();
    let (ret, sig, pinfo, puc) =
        (SEEN_ARGS[0].load(SeqCst), SEEN_ARGS[1].load(SeqCst), SEEN_ARGS[2].load(SeqCst), SEEN_ARGS[3].load(SeqCst));
    s.check("returns_to_restorer", ret as usize == restore_rt(), format_args!("the return address is not the restorer"));
    s.eq("arg_is_signal", sig as isize, SIGUSR1 as isize);
    s.check("pinfo_after_args", pinfo == esp + 16, format_args!("pinfo is esp + {}", pinfo.wrapping_sub(esp)));
    s.check("puc_after_siginfo", puc == pinfo + 128, format_args!("puc is pinfo + {}", puc.wrapping_sub(pinfo)));
    s.check("registers", eax == SIGUSR1 && edx == pinfo && ecx == puc, format_args!("eax {eax:#x} edx {edx:#x} ecx {ecx:#x}"));
    s.check("stack_aligned", (esp + 4) % 16 == 0, format_args!("(esp + 4) % 16 = {}", (esp + 4) % 16));
    let i = seen_info();
    s.eq("si_signo", i.si_signo as isize, SIGUSR1 as isize);
    s.eq("si_errno", i.si_errno as isize, 0);
    s.eq("si_code_user", i.si_code as isize, SI_USER as isize);
    s.eq("si_pid", i.si_pid() as isize, pid() as isize);
    s.eq("si_uid", i.si_uid() as isize, sys::getuid());
    let k = krec();
    let sc = seen_sc();
    s.check("mcontext_eip_esp", sc.eip == k[1] && sc.esp == k[0], format_args!("uc_mcontext eip/esp differ from the call"));
    s.check("mcontext_regs", sc.esi == MAGIC_ESI && sc.edi == MAGIC_EDI && sc.edx == MAGIC_EDX, format_args!("esi {:#x} edi {:#x} edx {:#x}", sc.esi, sc.edi, sc.edx));
    // SAFETY: written by the hook, single-threaded.
    let (ucmask, ucstack) = unsafe { (core::ptr::addr_of!(SEEN_UC_MASK).read_volatile(), core::ptr::addr_of!(SEEN_UC_STACK).read_volatile()) };
    s.check("uc_sigmask", ucmask == before, format_args!("uc_sigmask {ucmask:#x}, expected {before:#x}"));
    s.check("sc_oldmask", sc.oldmask == before as u32, format_args!("oldmask {:#x}", sc.oldmask));
    // (the frame holds the alternate stack as stored: none was ever set)
    s.check(
        "uc_stack_none",
        ucstack.ss_flags == 0 && ucstack.ss_size == 0 && ucstack.ss_sp == 0,
        format_args!("uc_stack flags {:#x} size {}", ucstack.ss_flags, ucstack.ss_size),
    );
    // tkill and tgkill say so in si_code
    s.eq("tkill", sys::tkill(pid(), SIGUSR1), 0);
    s.eq("tkill_si_code", seen_info().si_code as isize, SI_TKILL as isize);
    s.eq("tgkill", sys::tgkill(pid(), pid(), SIGUSR1), 0);
    s.eq("tgkill_si_code", seen_info().si_code as isize, SI_TKILL as isize);
    s.eq("tgkill_si_pid", seen_info().si_pid() as isize, pid() as isize);
    s.err("tgkill_wrong_group", sys::tgkill(pid() + 1_000_000, pid(), SIGUSR1), ESRCH);
    s.err("tgkill_bad_tid", sys::tgkill(pid(), 0, SIGUSR1), EINVAL);
    s.err("tkill_bad_signal", sys::tkill(pid(), 65), EINVAL);
    s.eq("all_delivered", count() as isize, 3);
    set_mask(0);
    clean();
}

fn sigreturn(s: &mut Suite) {
    s.group("sigreturn");
    clean();
    // sigreturn takes the registers from the frame, changes included
    set_hook(Some(classic_hook));
    MODIFY.store(1, SeqCst);
    install(SIGUSR1, 0, 0);
    kill_probe(pid(), SIGUSR1);
    let k = krec();
    s.check("classic_frame_edi_changed", k[3] == 0x4444_0004, format_args!("edi {:#x} after sigreturn", k[3]));
    s.check("classic_others_kept", k[2] == MAGIC_ESI && k[4] == MAGIC_EDX, format_args!("esi {:#x} edx {:#x}", k[2], k[4]));
    clean();
    set_hook(Some(rt_hook));
    MODIFY.store(1, SeqCst);
    install(SIGUSR1, SA_SIGINFO, 0);
    kill_probe(pid(), SIGUSR1);
    let k = krec();
    let m = mask();
    MODIFY.store(0, SeqCst);
    s.check("rt_frame_esi_changed", k[2] == 0x5555_0005, format_args!("esi {:#x} after rt_sigreturn", k[2]));
    s.check("rt_others_kept", k[3] == MAGIC_EDI && k[4] == MAGIC_EDX, format_args!("edi {:#x} edx {:#x}", k[3], k[4]));
    s.check("rt_mask_from_frame", m == sigbit(SIGUSR2), format_args!("mask {m:#x} after rt_sigreturn, expected USR2 blocked"));
    clean();
}

static ALT_SP: AtomicU32 = AtomicU32::new(0);
static ALT_FLAGS: AtomicU32 = AtomicU32::new(0);
static ALT_EPERM: AtomicU32 = AtomicU32::new(0);

fn alt_hook(_sig: u32, _: *mut SigInfo, uc: *mut UContext) {
    ALT_SP.store(probe()[0], SeqCst);
    let mut cur = StackT::default();
    // SAFETY: only reads the current alternate stack.
    unsafe { sys::sigaltstack(None, Some(&mut cur)) };
    ALT_FLAGS.store(cur.ss_flags, SeqCst);
    let other = StackT { ss_sp: 0x1000, ss_flags: 0, ss_size: 65536 };
    // SAFETY: refused while on the alternate stack (EPERM); if it were
    // accepted nothing would run on it before the test restores it.
    let r = unsafe { sys::sigaltstack(Some(&other), None) };
    ALT_EPERM.store(r as u32, SeqCst);
    // SAFETY: `uc` points into the frame of this SA_SIGINFO handler.
    unsafe { core::ptr::addr_of_mut!(SEEN_UC_STACK).write_volatile((*uc).uc_stack) };
}

static mut ALT_STACK: [u8; 16384] = [0; 16384];

fn altstack(s: &mut Suite) {
    s.group("sigaltstack");
    clean();
    let base = core::ptr::addr_of!(ALT_STACK) as usize;
    let size = 16384;
    let mut old = StackT::default();
    // SAFETY: only reads.
    s.eq("query", unsafe { sys::sigaltstack(None, Some(&mut old)) }, 0);
    s.check("initially_disabled", old.ss_flags == SS_DISABLE, format_args!("flags {:#x}", old.ss_flags));
    let small = StackT { ss_sp: base, ss_flags: 0, ss_size: 1024 };
    // SAFETY: refused (too small).
    s.err("too_small_enomem", unsafe { sys::sigaltstack(Some(&small), None) }, ENOMEM);
    let bad = StackT { ss_sp: base, ss_flags: 4, ss_size: size };
    // SAFETY: refused (bad flags).
    s.err("bad_flags_einval", unsafe { sys::sigaltstack(Some(&bad), None) }, EINVAL);
    let ss = StackT { ss_sp: base, ss_flags: 0, ss_size: size };
    // SAFETY: ALT_STACK is a static that outlives every handler.
    s.eq("set", unsafe { sys::sigaltstack(Some(&ss), None) }, 0);
    // SAFETY: only reads.
    unsafe { sys::sigaltstack(None, Some(&mut old)) };
    s.check("read_back", old.ss_sp == base && old.ss_size == size && old.ss_flags == 0, format_args!("{:?}", old));
    set_hook(Some(alt_hook));
    install(SIGUSR1, SA_ONSTACK | SA_SIGINFO, 0);
    raise(SIGUSR1);
    let sp = ALT_SP.load(SeqCst) as usize;
    s.check("handler_on_altstack", sp >= base && sp < base + size, format_args!("the handler's stack is not the alternate stack"));
    s.eq("ss_onstack_inside", ALT_FLAGS.load(SeqCst) as isize, SS_ONSTACK as isize);
    s.err("change_inside_eperm", ALT_EPERM.load(SeqCst) as i32 as isize, EPERM);
    // SAFETY: written by the hook.
    let ucs = unsafe { core::ptr::addr_of!(SEEN_UC_STACK).read_volatile() };
    s.check("uc_stack", ucs.ss_sp == base && ucs.ss_size == size && ucs.ss_flags == 0, format_args!("{:?}", ucs));
    // SAFETY: only reads.
    unsafe { sys::sigaltstack(None, Some(&mut old)) };
    s.eq("not_onstack_after", old.ss_flags as isize, 0);
    // without SA_ONSTACK the normal stack is used
    install(SIGUSR1, SA_SIGINFO, 0);
    raise(SIGUSR1);
    let sp = ALT_SP.load(SeqCst) as usize;
    s.check("without_onstack_normal_stack", !(sp >= base && sp < base + size), format_args!("ran on the alternate stack"));
    let off = StackT { ss_sp: 0, ss_flags: SS_DISABLE, ss_size: 0 };
    // SAFETY: disables the alternate stack.
    s.eq("disable", unsafe { sys::sigaltstack(Some(&off), None) }, 0);
    // SAFETY: only reads.
    unsafe { sys::sigaltstack(None, Some(&mut old)) };
    s.eq("disabled", old.ss_flags as isize, SS_DISABLE as isize);
    install(SIGUSR1, SA_ONSTACK | SA_SIGINFO, 0);
    raise(SIGUSR1);
    let sp = ALT_SP.load(SeqCst) as usize;
    s.check("onstack_without_altstack", !(sp >= base && sp < base + size), format_args!("ran on a disabled alternate stack"));
    clean();
}

fn fault_hook(_sig: u32, info: *mut SigInfo, uc: *mut UContext) {
    // SAFETY: SA_SIGINFO handler arguments point into the frame.
    unsafe {
        core::ptr::addr_of_mut!(SEEN_INFO).write_volatile(info.read_volatile());
        core::ptr::addr_of_mut!(SEEN_SC).write_volatile((*uc).uc_mcontext);
        let skip = SKIP.load(SeqCst);
        (*uc).uc_mcontext.eip += skip;
    }
}

/// Address of the faulting instruction, recorded by the fault snippets:
/// `call 2f; 2: pop [FAULT_IP]` (6 bytes) `add [FAULT_IP], 13` (7 bytes)
/// leaves the address of the instruction that follows.
#[no_mangle]
static mut FAULT_IP: u32 = 0;

fn fault_ip() -> u32 {
    // SAFETY: single-threaded.
    unsafe { core::ptr::addr_of!(FAULT_IP).read_volatile() }
}

fn faults(s: &mut Suite) {
    s.group("faults");
    clean();
    set_hook(Some(fault_hook));
    install(SIGSEGV, SA_SIGINFO, 0);
    // a read of an unmapped address: `mov eax, [0x10]` (5 bytes)
    SKIP.store(5, SeqCst);
    // SAFETY: the load faults; the handler moves eip past it.
    unsafe {
        asm!(
            "call 2f", "2:", "pop dword ptr [{ip}]", "add dword ptr [{ip}], 13",
            ".byte 0xa1, 0x10, 0x00, 0x00, 0x00",
            ip = sym FAULT_IP, out("eax") _,
        )
    };
    s.eq("segv_handled", count() as isize, 1);
    let (i, sc) = (seen_info(), seen_sc());
    s.eq("segv_signo", i.si_signo as isize, SIGSEGV as isize);
    s.eq("segv_maperr", i.si_code as isize, SEGV_MAPERR as isize);
    s.eq("segv_addr", i.si_addr() as isize, 0x10);
    s.eq("segv_trapno", sc.trapno as isize, 14);
    s.eq("segv_err_user_read", sc.err as isize, 4);
    s.eq("segv_cr2", sc.cr2 as isize, 0x10);
    s.check("segv_eip", sc.eip == fault_ip(), format_args!("eip {:#x}, the load is at {:#x}", sc.eip, fault_ip()));
    // a write to a read-only page that is mapped: SEGV_ACCERR
    // SAFETY: a fresh anonymous read-only page; only read, then the
    // write faults and is skipped.
    let page = unsafe { sys::mmap2(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) };
    if !linux_rt::syscall::is_err(page) {
        let _ = word(page as u32);
        SKIP.store(6, SeqCst);
        // SAFETY: `mov dword ptr [eax], 0` (6 bytes: c7 00 00 00 00 00) faults
        unsafe { asm!(".byte 0xc7, 0x00, 0x00, 0x00, 0x00, 0x00", in("eax") page) };
        let (i, sc) = (seen_info(), seen_sc());
        s.eq("accerr_handled", count() as isize, 2);
        s.eq("accerr_code", i.si_code as isize, SEGV_ACCERR as isize);
        s.check("accerr_addr", i.si_addr() == page as usize, format_args!("si_addr {:#x}", i.si_addr()));
        s.eq("accerr_err_user_write_present", sc.err as isize, 7);
        // SAFETY: unmaps the page made above.
        unsafe { sys::munmap(page as usize, 4096) };
    } else {
        s.check("accerr_page", false, format_args!("mmap failed: {}", Show(page)));
    }
    // an invalid instruction: ud2 (2 bytes)
    install(SIGILL, SA_SIGINFO, 0);
    SKIP.store(2, SeqCst);
    // SAFETY: ud2 raises SIGILL; the handler skips it.
    unsafe {
        asm!("call 2f", "2:", "pop dword ptr [{ip}]", "add dword ptr [{ip}], 13", "ud2", ip = sym FAULT_IP)
    };
    let i = seen_info();
    s.eq("ill_signo", i.si_signo as isize, SIGILL as isize);
    s.eq("ill_code", i.si_code as isize, ILL_ILLOPN as isize);
    s.check("ill_addr", i.si_addr() as u32 == fault_ip(), format_args!("si_addr {:#x}, ud2 at {:#x}", i.si_addr(), fault_ip()));
    // integer division by zero: `div ecx` (2 bytes: f7 f1)
    install(SIGFPE, SA_SIGINFO, 0);
    SKIP.store(2, SeqCst);
    // SAFETY: the division faults; the handler skips it.
    unsafe {
        asm!(
            "call 2f", "2:", "pop dword ptr [{ip}]", "add dword ptr [{ip}], 13",
            ".byte 0xf7, 0xf1",
            ip = sym FAULT_IP, inout("eax") 1 => _, inout("edx") 0 => _, in("ecx") 0,
        )
    };
    let i = seen_info();
    s.eq("fpe_signo", i.si_signo as isize, SIGFPE as isize);
    s.eq("fpe_intdiv", i.si_code as isize, FPE_INTDIV as isize);
    s.check("fpe_addr", i.si_addr() as u32 == fault_ip(), format_args!("si_addr {:#x}, div at {:#x}", i.si_addr(), fault_ip()));
    // a breakpoint: SIGTRAP from the kernel, eip after int3
    install(SIGTRAP, SA_SIGINFO, 0);
    SKIP.store(0, SeqCst);
    // SAFETY: int3 traps; execution continues after it.
    unsafe { asm!("call 2f", "2:", "pop dword ptr [{ip}]", "add dword ptr [{ip}], 13", "int3", ip = sym FAULT_IP) };
    let (i, sc) = (seen_info(), seen_sc());
    s.eq("trap_signo", i.si_signo as isize, SIGTRAP as isize);
    s.eq("trap_code_kernel", i.si_code as isize, SI_KERNEL as isize);
    s.check("trap_eip_after", sc.eip == fault_ip() + 1, format_args!("eip {:#x}, int3 at {:#x}", sc.eip, fault_ip()));
    // a privileged instruction: hlt (1 byte) is a general protection fault
    SKIP.store(1, SeqCst);
    // SAFETY: hlt faults in user mode; the handler skips it.
    unsafe { asm!("call 2f", "2:", "pop dword ptr [{ip}]", "add dword ptr [{ip}], 13", "hlt", ip = sym FAULT_IP) };
    let (i, sc) = (seen_info(), seen_sc());
    s.eq("gp_signo", i.si_signo as isize, SIGSEGV as isize);
    s.eq("gp_code_kernel", i.si_code as isize, SI_KERNEL as isize);
    s.eq("gp_addr_0", i.si_addr() as isize, 0);
    s.eq("gp_trapno", sc.trapno as isize, 13);
    s.check("gp_eip", sc.eip == fault_ip(), format_args!("eip {:#x}, hlt at {:#x}", sc.eip, fault_ip()));
    s.eq("all_handled", count() as isize, 6);
    clean();
}
