//! i386 kernel ABI structures, laid out as the kernel reads and writes them
//! (checked against the Linux uapi headers with `gcc -m32`; the sizes and
//! key offsets are asserted at compile time below). On i386 a `u64` is only
//! 4-byte aligned, which is what these layouts rely on.

use core::mem::{offset_of, size_of};

/// `struct stat64` (96 bytes). `__st_ino` is the inode number truncated to
/// 32 bits; `st_ino` at the end is the full one.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Stat64 {
    pub st_dev: u64,
    pub __pad0: [u8; 4],
    pub __st_ino: u32,
    pub st_mode: u32,
    pub st_nlink: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub st_rdev: u64,
    pub __pad3: [u8; 4],
    pub st_size: i64,
    pub st_blksize: u32,
    pub st_blocks: u64,
    pub st_atime: u32,
    pub st_atime_nsec: u32,
    pub st_mtime: u32,
    pub st_mtime_nsec: u32,
    pub st_ctime: u32,
    pub st_ctime_nsec: u32,
    pub st_ino: u64,
}

/// `struct statx_timestamp`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct StatxTimestamp {
    pub tv_sec: i64,
    pub tv_nsec: u32,
    pub __reserved: i32,
}

/// `struct statx` (256 bytes; the tail is reserved or newer fields).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Statx {
    pub stx_mask: u32,
    pub stx_blksize: u32,
    pub stx_attributes: u64,
    pub stx_nlink: u32,
    pub stx_uid: u32,
    pub stx_gid: u32,
    pub stx_mode: u16,
    pub __spare0: u16,
    pub stx_ino: u64,
    pub stx_size: u64,
    pub stx_blocks: u64,
    pub stx_attributes_mask: u64,
    pub stx_atime: StatxTimestamp,
    pub stx_btime: StatxTimestamp,
    pub stx_ctime: StatxTimestamp,
    pub stx_mtime: StatxTimestamp,
    pub stx_rdev_major: u32,
    pub stx_rdev_minor: u32,
    pub stx_dev_major: u32,
    pub stx_dev_minor: u32,
    pub __spare: [u32; 28],
}

impl Default for Statx {
    fn default() -> Self {
        // SAFETY: every field is an integer, for which all-zero is valid.
        unsafe { core::mem::zeroed() }
    }
}

/// `struct timespec` with the 32-bit `time_t` of i386 (`clock_gettime`, `nanosleep`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    pub tv_sec: i32,
    pub tv_nsec: i32,
}

/// `struct __kernel_timespec`: 64-bit seconds and nanoseconds (`*_time64` calls).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelTimespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

/// `struct timeval` (32-bit).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Timeval {
    pub tv_sec: i32,
    pub tv_usec: i32,
}

/// `struct new_utsname`: six NUL-terminated 65-byte fields.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Utsname {
    pub sysname: [u8; 65],
    pub nodename: [u8; 65],
    pub release: [u8; 65],
    pub version: [u8; 65],
    pub machine: [u8; 65],
    pub domainname: [u8; 65],
}

impl Default for Utsname {
    fn default() -> Self {
        Utsname {
            sysname: [0; 65],
            nodename: [0; 65],
            release: [0; 65],
            version: [0; 65],
            machine: [0; 65],
            domainname: [0; 65],
        }
    }
}

/// `struct rlimit` as `ugetrlimit` fills it (32-bit, infinity = `!0`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rlimit {
    pub rlim_cur: u32,
    pub rlim_max: u32,
}

/// `struct rlimit64` (`prlimit64`; infinity = `!0u64`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rlimit64 {
    pub rlim_cur: u64,
    pub rlim_max: u64,
}

/// `struct user_desc` for `set_thread_area`/`get_thread_area`; the C bit
/// fields are packed into `flags` (see the `UD_*` constants).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserDesc {
    pub entry_number: u32,
    pub base_addr: u32,
    pub limit: u32,
    pub flags: u32,
}

pub const UD_SEG_32BIT: u32 = 1 << 0;
/// Two bits: 0 data, 1 expand-down data, 2 code.
pub const UD_CONTENTS_SHIFT: u32 = 1;
pub const UD_READ_EXEC_ONLY: u32 = 1 << 3;
pub const UD_LIMIT_IN_PAGES: u32 = 1 << 4;
pub const UD_SEG_NOT_PRESENT: u32 = 1 << 5;
pub const UD_USEABLE: u32 = 1 << 6;

/// `struct iovec`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct IoVec {
    pub base: *const u8,
    pub len: usize,
}

impl IoVec {
    /// An iovec over `buf`, for `writev` (the kernel only reads it).
    pub fn new(buf: &[u8]) -> IoVec {
        IoVec { base: buf.as_ptr(), len: buf.len() }
    }

    /// An iovec over `buf` the kernel may write, for `readv`. The pointer
    /// stays valid while `buf` is not moved or otherwise borrowed.
    pub fn new_mut(buf: &mut [u8]) -> IoVec {
        IoVec { base: buf.as_mut_ptr(), len: buf.len() }
    }
}

/// The kernel's `struct sigaction` for `rt_sigaction` (not glibc's): handler,
/// flags, restorer, then the 64-bit mask (bit `n - 1` is signal `n`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: usize,
    pub flags: u32,
    pub restorer: usize,
    pub mask: u64,
}

/// `struct robust_list_head` (12 bytes, the length `set_robust_list` wants).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct RobustListHead {
    pub next: usize,
    pub futex_offset: isize,
    pub list_op_pending: usize,
}

/// One record of a `getdents64` buffer (`struct linux_dirent64`: u64 d_ino,
/// s64 d_off, u16 d_reclen, u8 d_type, then the NUL-terminated name at 19).
#[derive(Clone, Copy, Debug)]
pub struct Dirent<'a> {
    pub ino: u64,
    pub off: i64,
    pub reclen: u16,
    pub kind: u8,
    pub name: &'a [u8],
}

/// Iterate over the records `getdents64` put into `buf[..len]`. Stops at
/// the first malformed record.
pub fn dirents(buf: &[u8]) -> impl Iterator<Item = Dirent<'_>> {
    let mut pos = 0;
    core::iter::from_fn(move || {
        let rest = buf.get(pos..)?;
        if rest.len() < 20 {
            return None;
        }
        let u64_at = |o: usize| u64::from_le_bytes(rest[o..o + 8].try_into().unwrap());
        let reclen = u16::from_le_bytes([rest[16], rest[17]]);
        if (reclen as usize) < 20 || reclen as usize > rest.len() {
            return None;
        }
        let name_area = &rest[19..reclen as usize];
        let n = name_area.iter().position(|&b| b == 0).unwrap_or(name_area.len());
        pos += reclen as usize;
        Some(Dirent { ino: u64_at(0), off: u64_at(8) as i64, reclen, kind: rest[18], name: &name_area[..n] })
    })
}

const _: () = {
    assert!(size_of::<Stat64>() == 96);
    assert!(offset_of!(Stat64, __st_ino) == 12);
    assert!(offset_of!(Stat64, st_rdev) == 32);
    assert!(offset_of!(Stat64, st_size) == 44);
    assert!(offset_of!(Stat64, st_blksize) == 52);
    assert!(offset_of!(Stat64, st_blocks) == 56);
    assert!(offset_of!(Stat64, st_atime) == 64);
    assert!(offset_of!(Stat64, st_mtime) == 72);
    assert!(offset_of!(Stat64, st_ctime) == 80);
    assert!(offset_of!(Stat64, st_ino) == 88);
    assert!(size_of::<Statx>() == 256);
    assert!(offset_of!(Statx, stx_mode) == 28);
    assert!(offset_of!(Statx, stx_ino) == 32);
    assert!(offset_of!(Statx, stx_atime) == 64);
    assert!(offset_of!(Statx, stx_mtime) == 112);
    assert!(offset_of!(Statx, stx_rdev_major) == 128);
    assert!(offset_of!(Statx, stx_dev_minor) == 140);
    assert!(size_of::<Timespec>() == 8);
    assert!(size_of::<KernelTimespec>() == 16);
    assert!(size_of::<Timeval>() == 8);
    assert!(size_of::<Utsname>() == 390);
    assert!(size_of::<Rlimit>() == 8);
    assert!(size_of::<Rlimit64>() == 16);
    assert!(size_of::<UserDesc>() == 16);
    assert!(size_of::<IoVec>() == 8);
    assert!(size_of::<SigAction>() == 20);
    assert!(offset_of!(SigAction, mask) == 12);
    assert!(size_of::<RobustListHead>() == 12);
};

/// `stack_t` for `sigaltstack`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackT {
    pub ss_sp: usize,
    pub ss_flags: u32,
    pub ss_size: usize,
}

/// `struct itimerval` (32-bit).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Itimerval {
    pub it_interval: Timeval,
    pub it_value: Timeval,
}

/// `struct pollfd`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct PollFd {
    pub fd: i32,
    pub events: i16,
    pub revents: i16,
}

/// `siginfo_t` as i386 Linux lays it out (128 bytes): signo, errno, code,
/// then a union read through the accessors.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SigInfo {
    pub si_signo: i32,
    pub si_errno: i32,
    pub si_code: i32,
    pub fields: [u32; 29],
}

impl Default for SigInfo {
    fn default() -> Self {
        SigInfo { si_signo: 0, si_errno: 0, si_code: 0, fields: [0; 29] }
    }
}

impl SigInfo {
    /// kill, tkill and SIGCHLD: the sender or child.
    pub fn si_pid(&self) -> i32 {
        self.fields[0] as i32
    }
    pub fn si_uid(&self) -> u32 {
        self.fields[1]
    }
    /// SIGCHLD: exit status or signal.
    pub fn si_status(&self) -> i32 {
        self.fields[2] as i32
    }
    /// Faults: the address.
    pub fn si_addr(&self) -> usize {
        self.fields[0] as usize
    }
}

/// `struct sigcontext` (i386, 88 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SigContext {
    pub gs: u32,
    pub fs: u32,
    pub es: u32,
    pub ds: u32,
    pub edi: u32,
    pub esi: u32,
    pub ebp: u32,
    pub esp: u32,
    pub ebx: u32,
    pub edx: u32,
    pub ecx: u32,
    pub eax: u32,
    pub trapno: u32,
    pub err: u32,
    pub eip: u32,
    pub cs: u32,
    pub eflags: u32,
    pub esp_at_signal: u32,
    pub ss: u32,
    pub fpstate: u32,
    pub oldmask: u32,
    pub cr2: u32,
}

/// `struct ucontext` (i386): flags, link, the alternate stack, the
/// registers, the signal mask.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct UContext {
    pub uc_flags: u32,
    pub uc_link: u32,
    pub uc_stack: StackT,
    pub uc_mcontext: SigContext,
    pub uc_sigmask: u64,
}

const _: () = {
    assert!(size_of::<StackT>() == 12);
    assert!(size_of::<Itimerval>() == 16);
    assert!(size_of::<PollFd>() == 8);
    assert!(size_of::<SigInfo>() == 128);
    assert!(size_of::<SigContext>() == 88);
    assert!(size_of::<UContext>() == 116);
    assert!(offset_of!(UContext, uc_mcontext) == 20);
    assert!(offset_of!(UContext, uc_sigmask) == 108);
};
