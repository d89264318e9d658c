//! The Linux i386 user ABI as the server needs it: system-call numbers and
//! names, flags, signal numbers, auxiliary-vector tags, and the byte layouts
//! of the structures that cross the user boundary.

/// i386 system-call names by number (Linux 6.1 `syscall_32.tbl`); empty
/// strings are unassigned numbers.
pub const SYSCALL_NAMES: [&str; 451] = [
    "restart_syscall", "exit", "fork", "read", "write", "open", "close", "waitpid", "creat", "link",
    "unlink", "execve", "chdir", "time", "mknod", "chmod", "lchown", "break", "oldstat", "lseek",
    "getpid", "mount", "umount", "setuid", "getuid", "stime", "ptrace", "alarm", "oldfstat",
    "pause", "utime", "stty", "gtty", "access", "nice", "ftime", "sync", "kill", "rename", "mkdir",
    "rmdir", "dup", "pipe", "times", "prof", "brk", "setgid", "getgid", "signal", "geteuid",
    "getegid", "acct", "umount2", "lock", "ioctl", "fcntl", "mpx", "setpgid", "ulimit",
    "oldolduname", "umask", "chroot", "ustat", "dup2", "getppid", "getpgrp", "setsid", "sigaction",
    "sgetmask", "ssetmask", "setreuid", "setregid", "sigsuspend", "sigpending", "sethostname",
    "setrlimit", "getrlimit", "getrusage", "gettimeofday", "settimeofday", "getgroups", "setgroups",
    "select", "symlink", "oldlstat", "readlink", "uselib", "swapon", "reboot", "readdir", "mmap",
    "munmap", "truncate", "ftruncate", "fchmod", "fchown", "getpriority", "setpriority", "profil",
    "statfs", "fstatfs", "ioperm", "socketcall", "syslog", "setitimer", "getitimer", "stat",
    "lstat", "fstat", "olduname", "iopl", "vhangup", "idle", "vm86old", "wait4", "swapoff",
    "sysinfo", "ipc", "fsync", "sigreturn", "clone", "setdomainname", "uname", "modify_ldt",
    "adjtimex", "mprotect", "sigprocmask", "create_module", "init_module", "delete_module",
    "get_kernel_syms", "quotactl", "getpgid", "fchdir", "bdflush", "sysfs", "personality",
    "afs_syscall", "setfsuid", "setfsgid", "_llseek", "getdents", "_newselect", "flock", "msync",
    "readv", "writev", "getsid", "fdatasync", "_sysctl", "mlock", "munlock", "mlockall",
    "munlockall", "sched_setparam", "sched_getparam", "sched_setscheduler", "sched_getscheduler",
    "sched_yield", "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
    "nanosleep", "mremap", "setresuid", "getresuid", "vm86", "query_module", "poll", "nfsservctl",
    "setresgid", "getresgid", "prctl", "rt_sigreturn", "rt_sigaction", "rt_sigprocmask",
    "rt_sigpending", "rt_sigtimedwait", "rt_sigqueueinfo", "rt_sigsuspend", "pread64", "pwrite64",
    "chown", "getcwd", "capget", "capset", "sigaltstack", "sendfile", "getpmsg", "putpmsg", "vfork",
    "ugetrlimit", "mmap2", "truncate64", "ftruncate64", "stat64", "lstat64", "fstat64", "lchown32",
    "getuid32", "getgid32", "geteuid32", "getegid32", "setreuid32", "setregid32", "getgroups32",
    "setgroups32", "fchown32", "setresuid32", "getresuid32", "setresgid32", "getresgid32",
    "chown32", "setuid32", "setgid32", "setfsuid32", "setfsgid32", "pivot_root", "mincore",
    "madvise", "getdents64", "fcntl64", "", "", "gettid", "readahead", "setxattr", "lsetxattr",
    "fsetxattr", "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr",
    "removexattr", "lremovexattr", "fremovexattr", "tkill", "sendfile64", "futex",
    "sched_setaffinity", "sched_getaffinity", "set_thread_area", "get_thread_area", "io_setup",
    "io_destroy", "io_getevents", "io_submit", "io_cancel", "fadvise64", "", "exit_group",
    "lookup_dcookie", "epoll_create", "epoll_ctl", "epoll_wait", "remap_file_pages",
    "set_tid_address", "timer_create", "timer_settime", "timer_gettime", "timer_getoverrun",
    "timer_delete", "clock_settime", "clock_gettime", "clock_getres", "clock_nanosleep", "statfs64",
    "fstatfs64", "tgkill", "utimes", "fadvise64_64", "vserver", "mbind", "get_mempolicy",
    "set_mempolicy", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
    "mq_getsetattr", "kexec_load", "waitid", "", "add_key", "request_key", "keyctl", "ioprio_set",
    "ioprio_get", "inotify_init", "inotify_add_watch", "inotify_rm_watch", "migrate_pages",
    "openat", "mkdirat", "mknodat", "fchownat", "futimesat", "fstatat64", "unlinkat", "renameat",
    "linkat", "symlinkat", "readlinkat", "fchmodat", "faccessat", "pselect6", "ppoll", "unshare",
    "set_robust_list", "get_robust_list", "splice", "sync_file_range", "tee", "vmsplice",
    "move_pages", "getcpu", "epoll_pwait", "utimensat", "signalfd", "timerfd_create", "eventfd",
    "fallocate", "timerfd_settime", "timerfd_gettime", "signalfd4", "eventfd2", "epoll_create1",
    "dup3", "pipe2", "inotify_init1", "preadv", "pwritev", "rt_tgsigqueueinfo", "perf_event_open",
    "recvmmsg", "fanotify_init", "fanotify_mark", "prlimit64", "name_to_handle_at",
    "open_by_handle_at", "clock_adjtime", "syncfs", "sendmmsg", "setns", "process_vm_readv",
    "process_vm_writev", "kcmp", "finit_module", "sched_setattr", "sched_getattr", "renameat2",
    "seccomp", "getrandom", "memfd_create", "bpf", "execveat", "socket", "socketpair", "bind",
    "connect", "listen", "accept4", "getsockopt", "setsockopt", "getsockname", "getpeername",
    "sendto", "sendmsg", "recvfrom", "recvmsg", "shutdown", "userfaultfd", "membarrier", "mlock2",
    "copy_file_range", "preadv2", "pwritev2", "pkey_mprotect", "pkey_alloc", "pkey_free", "statx",
    "arch_prctl", "io_pgetevents", "rseq", "", "", "", "", "", "", "semget", "semctl", "shmget",
    "shmctl", "shmat", "shmdt", "msgget", "msgsnd", "msgrcv", "msgctl", "clock_gettime64",
    "clock_settime64", "clock_adjtime64", "clock_getres_time64", "clock_nanosleep_time64",
    "timer_gettime64", "timer_settime64", "timerfd_gettime64", "timerfd_settime64",
    "utimensat_time64", "pselect6_time64", "ppoll_time64", "", "io_pgetevents_time64",
    "recvmmsg_time64", "mq_timedsend_time64", "mq_timedreceive_time64", "semtimedop_time64",
    "rt_sigtimedwait_time64", "futex_time64", "sched_rr_get_interval_time64", "pidfd_send_signal",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "open_tree", "move_mount", "fsopen",
    "fsconfig", "fsmount", "fspick", "pidfd_open", "clone3", "close_range", "openat2",
    "pidfd_getfd", "faccessat2", "process_madvise", "epoll_pwait2", "mount_setattr", "quotactl_fd",
    "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "memfd_secret",
    "process_mrelease", "futex_waitv", "set_mempolicy_home_node",
];

pub fn syscall_name(nr: u32) -> &'static str {
    SYSCALL_NAMES.get(nr as usize).copied().filter(|s| !s.is_empty()).unwrap_or("unknown")
}

/// Signals.
pub mod sig {
    pub const SIGHUP: u32 = 1;
    pub const SIGINT: u32 = 2;
    pub const SIGQUIT: u32 = 3;
    pub const SIGILL: u32 = 4;
    pub const SIGTRAP: u32 = 5;
    pub const SIGABRT: u32 = 6;
    pub const SIGBUS: u32 = 7;
    pub const SIGFPE: u32 = 8;
    pub const SIGKILL: u32 = 9;
    pub const SIGUSR1: u32 = 10;
    pub const SIGSEGV: u32 = 11;
    pub const SIGUSR2: u32 = 12;
    pub const SIGPIPE: u32 = 13;
    pub const SIGALRM: u32 = 14;
    pub const SIGTERM: u32 = 15;
    pub const SIGSTKFLT: u32 = 16;
    pub const SIGCHLD: u32 = 17;
    pub const SIGCONT: u32 = 18;
    pub const SIGSTOP: u32 = 19;
    pub const SIGTSTP: u32 = 20;
    pub const SIGTTIN: u32 = 21;
    pub const SIGTTOU: u32 = 22;
    pub const SIGURG: u32 = 23;
    pub const SIGXCPU: u32 = 24;
    pub const SIGXFSZ: u32 = 25;
    pub const SIGVTALRM: u32 = 26;
    pub const SIGPROF: u32 = 27;
    pub const SIGWINCH: u32 = 28;
    pub const SIGIO: u32 = 29;
    pub const SIGPWR: u32 = 30;
    pub const SIGSYS: u32 = 31;
    /// Highest signal number (real-time signals included).
    pub const NSIG: u32 = 64;
}

/// Auxiliary-vector tags.
pub mod at {
    pub const NULL: u32 = 0;
    pub const PHDR: u32 = 3;
    pub const PHENT: u32 = 4;
    pub const PHNUM: u32 = 5;
    pub const PAGESZ: u32 = 6;
    pub const BASE: u32 = 7;
    pub const FLAGS: u32 = 8;
    pub const ENTRY: u32 = 9;
    pub const UID: u32 = 11;
    pub const EUID: u32 = 12;
    pub const GID: u32 = 13;
    pub const EGID: u32 = 14;
    pub const PLATFORM: u32 = 15;
    pub const HWCAP: u32 = 16;
    pub const CLKTCK: u32 = 17;
    pub const SECURE: u32 = 23;
    pub const RANDOM: u32 = 25;
    pub const EXECFN: u32 = 31;
}

/// mmap/mprotect.
pub mod mman {
    pub const PROT_READ: u32 = 1;
    pub const PROT_WRITE: u32 = 2;
    pub const PROT_EXEC: u32 = 4;
    pub const MAP_SHARED: u32 = 0x01;
    pub const MAP_PRIVATE: u32 = 0x02;
    pub const MAP_TYPE: u32 = 0x0F;
    pub const MAP_FIXED: u32 = 0x10;
    pub const MAP_ANONYMOUS: u32 = 0x20;
    pub const MAP_GROWSDOWN: u32 = 0x100;
    pub const MAP_DENYWRITE: u32 = 0x800;
    pub const MAP_EXECUTABLE: u32 = 0x1000;
    pub const MAP_NORESERVE: u32 = 0x4000;
    pub const MAP_POPULATE: u32 = 0x8000;
    pub const MAP_STACK: u32 = 0x20000;
    pub const MAP_FIXED_NOREPLACE: u32 = 0x100000;
}

/// open/fcntl.
pub mod fcntl {
    pub const O_ACCMODE: u32 = 3;
    pub const O_RDONLY: u32 = 0;
    pub const O_WRONLY: u32 = 1;
    pub const O_RDWR: u32 = 2;
    pub const O_CREAT: u32 = 0o100;
    pub const O_EXCL: u32 = 0o200;
    pub const O_NOCTTY: u32 = 0o400;
    pub const O_TRUNC: u32 = 0o1000;
    pub const O_APPEND: u32 = 0o2000;
    pub const O_NONBLOCK: u32 = 0o4000;
    pub const O_DSYNC: u32 = 0o10000;
    pub const O_DIRECT: u32 = 0o40000;
    pub const O_LARGEFILE: u32 = 0o100000;
    pub const O_DIRECTORY: u32 = 0o200000;
    pub const O_NOFOLLOW: u32 = 0o400000;
    pub const O_NOATIME: u32 = 0o1000000;
    pub const O_CLOEXEC: u32 = 0o2000000;
    pub const O_PATH: u32 = 0o10000000;
    pub const F_DUPFD: u32 = 0;
    pub const F_GETFD: u32 = 1;
    pub const F_SETFD: u32 = 2;
    pub const F_GETFL: u32 = 3;
    pub const F_SETFL: u32 = 4;
    pub const F_GETLK: u32 = 5;
    pub const F_SETLK: u32 = 6;
    pub const F_SETLKW: u32 = 7;
    pub const F_GETLK64: u32 = 12;
    pub const F_SETLK64: u32 = 13;
    pub const F_SETLKW64: u32 = 14;
    pub const F_DUPFD_CLOEXEC: u32 = 1030;
    pub const FD_CLOEXEC: u32 = 1;
    pub const AT_FDCWD: i32 = -100;
    pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
    pub const AT_REMOVEDIR: u32 = 0x200;
    pub const AT_SYMLINK_FOLLOW: u32 = 0x400;
    pub const AT_EACCESS: u32 = 0x200;
    pub const AT_EMPTY_PATH: u32 = 0x1000;
}

/// Clone flags.
pub mod clone {
    pub const CSIGNAL: u32 = 0xFF;
    pub const CLONE_VM: u32 = 0x100;
    pub const CLONE_FS: u32 = 0x200;
    pub const CLONE_FILES: u32 = 0x400;
    pub const CLONE_SIGHAND: u32 = 0x800;
    pub const CLONE_VFORK: u32 = 0x4000;
    pub const CLONE_PARENT: u32 = 0x8000;
    pub const CLONE_THREAD: u32 = 0x10000;
    pub const CLONE_SETTLS: u32 = 0x80000;
    pub const CLONE_PARENT_SETTID: u32 = 0x100000;
    pub const CLONE_CHILD_CLEARTID: u32 = 0x200000;
    pub const CLONE_CHILD_SETTID: u32 = 0x1000000;
}

/// wait flags.
pub mod wait {
    pub const WNOHANG: u32 = 1;
    pub const WUNTRACED: u32 = 2;
    pub const WEXITED: u32 = 4;
    pub const WCONTINUED: u32 = 8;
    pub const WNOWAIT: u32 = 0x0100_0000;
    pub const WNOTHREAD: u32 = 0x2000_0000;
    pub const WALL: u32 = 0x4000_0000;
    pub const WCLONE: u32 = 0x8000_0000;
}

/// Little-endian writer for structure images copied out to user memory.
pub struct Out {
    pub buf: alloc::vec::Vec<u8>,
}

impl Out {
    pub fn with_size(n: usize) -> Out {
        Out { buf: alloc::vec![0; n] }
    }
    pub fn put_u16(&mut self, off: usize, v: u16) -> &mut Self {
        self.buf[off..off + 2].copy_from_slice(&v.to_le_bytes());
        self
    }
    pub fn put_u32(&mut self, off: usize, v: u32) -> &mut Self {
        self.buf[off..off + 4].copy_from_slice(&v.to_le_bytes());
        self
    }
    pub fn put_u64(&mut self, off: usize, v: u64) -> &mut Self {
        self.buf[off..off + 8].copy_from_slice(&v.to_le_bytes());
        self
    }
    pub fn put_bytes(&mut self, off: usize, v: &[u8]) -> &mut Self {
        self.buf[off..off + v.len()].copy_from_slice(v);
        self
    }
}

/// Read a little-endian u32 at `off` of `b` (0 if out of range).
pub fn u32_at(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4).map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}
