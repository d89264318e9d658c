//! System call vectors, register conventions, operation codes and error codes.
//!
//! Every kernel call is a software interrupt with its own vector (no dispatch
//! on a register, so IPC can use all seven general registers). Registers not
//! named as outputs are preserved. `docs/kernel-api.md` describes each call.

/// One kernel call: its name (as in the docs and the spec) and its vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    pub name: &'static str,
    pub vector: u8,
}

/// `int 0x30` IPC.
/// in: eax = to, ecx = from specifier, edx = timeouts (send << 16 | recv),
///     esi = MR0 (tag), ebx = MR1, ebp = MR2, edi = MR3.
/// out: eax = sender (NIL if no receive phase), ecx = error,
///     esi = MR0, ebx = MR1, ebp = MR2, edi = MR3; edx clobbered.
pub const IPC: u8 = 0x30;
/// `int 0x31` thread control; eax = operation ([`tc`]).
pub const THREAD_CONTROL: u8 = 0x31;
/// `int 0x32` exchange registers.
/// in: eax = thread, ecx = control ([`exreg`]), edx = sp, esi = ip, edi = eflags,
///     ebx = fs | gs << 16 (with `SET_SEGS`).
/// out: ecx = error, eax = state before ([`ThreadState`] as u32),
///      edx = old sp, esi = old ip, edi = old eflags, ebx = old fs | gs << 16.
pub const EXCHANGE_REGISTERS: u8 = 0x32;
/// `int 0x33` schedule. in: eax = thread, ecx = priority (or `u32::MAX` to
/// keep), edx = timeslice in µs (0 to keep). out: ecx = error.
pub const SCHEDULE: u8 = 0x33;
/// `int 0x34` thread switch. in: eax = thread to donate to, NIL = yield.
/// out: ecx = error.
pub const THREAD_SWITCH: u8 = 0x34;
/// `int 0x35` unmap. in: eax = flexpage in the caller's space (its rights
/// field = rights to revoke), ecx = flags ([`unmap`]). out: ecx = error.
pub const UNMAP: u8 = 0x35;
/// `int 0x36` IRQ control (privileged). in: eax = irq, ecx = handler thread
/// (NIL detaches). out: ecx = error.
pub const IRQ_CONTROL: u8 = 0x36;
/// `int 0x37` I/O port permission (privileged). in: eax = thread naming the
/// space, ecx = first port, edx = count, esi = 1 allow / 0 deny. out: ecx = error.
pub const IO_CONTROL: u8 = 0x37;
/// `int 0x38` set a TLS segment descriptor of a thread.
/// in: eax = thread, ecx = entry (0..3 for GDT 6..8), edx = base, esi = limit,
///     edi = flags ([`tls`]). out: ecx = error.
pub const SET_TLS: u8 = 0x38;
/// `int 0x39` kernel debug interface; eax = operation ([`kdebug`]).
pub const KDEBUG: u8 = 0x39;

/// All kernel calls, for docs and the spec's completeness check.
pub const CALLS: &[Call] = &[
    Call { name: "ipc", vector: IPC },
    Call { name: "thread_control", vector: THREAD_CONTROL },
    Call { name: "exchange_registers", vector: EXCHANGE_REGISTERS },
    Call { name: "schedule", vector: SCHEDULE },
    Call { name: "thread_switch", vector: THREAD_SWITCH },
    Call { name: "unmap", vector: UNMAP },
    Call { name: "irq_control", vector: IRQ_CONTROL },
    Call { name: "io_control", vector: IO_CONTROL },
    Call { name: "set_tls", vector: SET_TLS },
    Call { name: "kdebug", vector: KDEBUG },
];

/// Thread-control operations (eax of `THREAD_CONTROL`).
pub mod tc {
    /// Create a thread. in: ebx = a thread of the space to create it in, or
    /// NIL for a new space; ecx = pager; edx = exception handler;
    /// esi = UTCB slot (or `NO_UTCB`); edi = priority.
    /// out: eax = new thread id, ecx = error. The thread starts inactive;
    /// start it with exchange-registers (`RESUME` plus ip/sp).
    pub const CREATE: u32 = 1;
    /// Delete a thread. in: ebx = thread. Deleting the last thread of a space
    /// deletes the space. out: ecx = error.
    pub const DELETE: u32 = 2;
    /// Delete a whole space with all its threads. in: ebx = any of its
    /// threads. out: ecx = error.
    pub const DELETE_SPACE: u32 = 3;
    /// Set pager and exception handler. in: ebx = thread, ecx = pager,
    /// edx = exception handler (NIL keeps the current one). out: ecx = error.
    pub const SET_HANDLERS: u32 = 4;
    /// `esi` of `CREATE`: the thread has no UTCB (a thread that only runs
    /// foreign code, such as a Linux process, needs none).
    pub const NO_UTCB: u32 = u32::MAX;
}

/// Exchange-registers control bits.
pub mod exreg {
    pub const SET_SP: u32 = 1 << 0;
    pub const SET_IP: u32 = 1 << 1;
    pub const SET_FLAGS: u32 = 1 << 2;
    /// Abort an ongoing send phase (the thread sees `SendCanceled`).
    pub const ABORT_SEND: u32 = 1 << 3;
    /// Abort an ongoing receive phase (`RecvCanceled`).
    pub const ABORT_RECV: u32 = 1 << 4;
    /// Start an inactive or halted thread.
    pub const RESUME: u32 = 1 << 5;
    /// Stop the thread (it stays stopped until `RESUME`).
    pub const HALT: u32 = 1 << 6;
    /// Make the thread send an exception IPC (vector [`crate::msg::exc::RAISED`])
    /// to its exception handler before it runs user code again.
    pub const RAISE: u32 = 1 << 7;
    /// Set the fs and gs selectors (ebx); a selector the thread could not
    /// load itself is replaced by 0 when it next runs.
    pub const SET_SEGS: u32 = 1 << 8;
    pub const ABORT: u32 = ABORT_SEND | ABORT_RECV;
    pub const ALL: u32 = 0x1FF;
}

/// Unmap flags.
pub mod unmap {
    /// Also revoke the rights in the caller's own space (L4 "flush").
    pub const FLUSH_SELF: u32 = 1;
}

/// TLS descriptor flags (as Linux's `struct user_desc` bit fields).
pub mod tls {
    pub const SEG_32BIT: u32 = 1 << 0;
    /// 2-bit contents field: 0 data, 1 data expand-down, 2 code.
    pub const CONTENTS_SHIFT: u32 = 1;
    pub const READ_EXEC_ONLY: u32 = 1 << 3;
    pub const LIMIT_IN_PAGES: u32 = 1 << 4;
    pub const SEG_NOT_PRESENT: u32 = 1 << 5;
    pub const USEABLE: u32 = 1 << 6;
    /// Clear the entry (Linux: an empty `user_desc`).
    pub const CLEAR: u32 = 1 << 31;
}

/// Kernel-debug operations (eax of `KDEBUG`).
pub mod kdebug {
    /// Print the byte in ebx.
    pub const PUTC: u32 = 0;
    /// Print ebx bytes (at most 252) from the caller's UTCB message registers.
    pub const WRITE: u32 = 1;
    /// Exit the emulator with status ebx (privileged; QEMU isa-debug-exit).
    pub const EXIT: u32 = 2;
    /// Kernel memory statistics. out: eax = free pool frames, ebx = free
    /// thread slots, edx = free mapping nodes, esi = free spaces.
    pub const STATS: u32 = 3;
    /// Read the time-stamp in ticks. out: eax = low, edx = high.
    pub const TICKS: u32 = 4;
}

/// Thread states as exchange-registers reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ThreadState {
    Inactive = 0,
    Ready = 1,
    SendBlocked = 2,
    RecvBlocked = 3,
    Halted = 4,
}

/// Error codes returned in ecx. 0 is success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Error {
    /// Unknown, stale or nil thread id where a thread is required.
    InvalidThread = 1,
    /// The space named does not exist or may not be used.
    InvalidSpace = 2,
    /// An argument is out of range or malformed.
    InvalidArgument = 3,
    /// Kernel memory (frames, thread slots, mapping nodes) is exhausted.
    NoMemory = 4,
    /// The caller may not do this.
    NoPermission = 5,
    SendTimeout = 6,
    RecvTimeout = 7,
    /// The send phase was aborted by exchange-registers or the partner died.
    SendCanceled = 8,
    /// The receive phase was aborted by exchange-registers or the partner died.
    RecvCanceled = 9,
    /// More message registers than exist, or malformed typed items.
    MsgOverflow = 10,
    /// A flexpage is malformed or reaches into the reserved or kernel area.
    InvalidFpage = 11,
    /// The resource (an IRQ) is already taken.
    Busy = 12,
}

impl Error {
    pub const ALL: [Error; 12] = [
        Error::InvalidThread,
        Error::InvalidSpace,
        Error::InvalidArgument,
        Error::NoMemory,
        Error::NoPermission,
        Error::SendTimeout,
        Error::RecvTimeout,
        Error::SendCanceled,
        Error::RecvCanceled,
        Error::MsgOverflow,
        Error::InvalidFpage,
        Error::Busy,
    ];

    pub fn from_code(code: u32) -> Option<Error> {
        Error::ALL.iter().copied().find(|e| *e as u32 == code)
    }

    /// The result word for ecx.
    pub fn code(r: Result<(), Error>) -> u32 {
        match r {
            Ok(()) => 0,
            Err(e) => e as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_roundtrip() {
        for e in Error::ALL {
            assert_eq!(Error::from_code(e as u32), Some(e));
        }
        assert_eq!(Error::from_code(0), None);
        assert_eq!(Error::from_code(999), None);
    }

    #[test]
    fn vectors_distinct() {
        for (i, a) in CALLS.iter().enumerate() {
            for b in &CALLS[i + 1..] {
                assert_ne!(a.vector, b.vector);
                assert_ne!(a.name, b.name);
            }
            assert!(a.vector >= 0x30 && a.vector < 0x40);
        }
    }
}
