//! What can be observed while a sequence runs, in the order it happens:
//! which thread takes each operation, what a thread sees when it returns to
//! user mode after a kernel call or exception (its registers and message
//! registers), and what an access reads or writes. The host harness and
//! the replay task produce these from the real kernel; the spec predicts
//! them. The text form (one record per line) is what the replay task
//! prints and xtask parses.

use core::fmt;

/// UTCB message registers a resume record shows one by one (the others
/// only through the digest): MR4..MR7, MR11 and MR12.
pub const SHOWN_MRS: [usize; 6] = [4, 5, 6, 7, 11, 12];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// Created thread `n` takes the next operation.
    Run(u8),
    /// No modelled thread runs: the operation is skipped.
    Idle,
    /// A timer tick or interrupt was applied.
    Event,
    /// The running thread skips the operation (a create beyond the limit).
    Skip,
    /// Thread `t` returned to user mode after a kernel call or exception.
    /// `regs`: eax, ebx, ecx, edx, esi, edi, ebp; `mrs`: [`SHOWN_MRS`];
    /// `digest`: [`digest`] of MR4..=MR63.
    Resume {
        t: u8,
        regs: [u32; 7],
        mrs: [u32; 6],
        digest: u32,
    },
    /// Thread `t` accessed word 0 of test page `page`; `value` is the value
    /// read or written.
    Access {
        t: u8,
        page: u8,
        write: bool,
        value: u32,
    },
    /// kdebug EXIT asked the machine to stop with this status.
    Exit(u32),
    /// Threads fault on each other without end (each the other's pager,
    /// say): the kernel is busy forever without returning to any operation.
    /// Nothing runs after this in the sequence.
    Livelock,
}

/// Page-fault retries in one operation after which the spec, the host
/// harness (and the replay task's watchdog, by time) call it a livelock.
pub const LIVELOCK_RETRIES: usize = 200;

/// FNV-1a over message registers MR4..=MR63.
pub fn digest(mrs: impl Iterator<Item = u32>) -> u32 {
    let mut h: u32 = 0x811C_9DC5;
    for w in mrs {
        for b in w.to_le_bytes() {
            h ^= b as u32;
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Record::Run(t) => write!(f, "run {t}"),
            Record::Idle => write!(f, "idle"),
            Record::Event => write!(f, "event"),
            Record::Skip => write!(f, "skip"),
            Record::Resume {
                t,
                regs,
                mrs,
                digest,
            } => {
                write!(f, "res {t}")?;
                for r in regs.iter().chain(mrs.iter()) {
                    write!(f, " {r:x}")?;
                }
                write!(f, " {digest:x}")
            }
            Record::Access {
                t,
                page,
                write,
                value,
            } => {
                write!(
                    f,
                    "acc {t} {page} {} {value:x}",
                    if write { "w" } else { "r" }
                )
            }
            Record::Exit(s) => write!(f, "exit {s}"),
            Record::Livelock => write!(f, "livelock"),
        }
    }
}

impl Record {
    /// Parse the text form written by `Display`.
    pub fn parse(s: &str) -> Option<Record> {
        let mut w = s.split_ascii_whitespace();
        let kind = w.next()?;
        let mut num = |radix: u32| w.next().and_then(|x| u32::from_str_radix(x, radix).ok());
        let r = match kind {
            "run" => Record::Run(num(10)? as u8),
            "idle" => Record::Idle,
            "event" => Record::Event,
            "skip" => Record::Skip,
            "livelock" => Record::Livelock,
            "exit" => Record::Exit(num(10)?),
            "res" => {
                let t = num(10)? as u8;
                let mut v = [0u32; 14];
                for x in v.iter_mut() {
                    *x = num(16)?;
                }
                let mut regs = [0; 7];
                let mut mrs = [0; 6];
                regs.copy_from_slice(&v[..7]);
                mrs.copy_from_slice(&v[7..13]);
                Record::Resume {
                    t,
                    regs,
                    mrs,
                    digest: v[13],
                }
            }
            "acc" => {
                let t = num(10)? as u8;
                let page = num(10)? as u8;
                let write = match w.next()? {
                    "w" => true,
                    "r" => false,
                    _ => return None,
                };
                let value = u32::from_str_radix(w.next()?, 16).ok()?;
                Record::Access {
                    t,
                    page,
                    write,
                    value,
                }
            }
            _ => return None,
        };
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    #[test]
    fn text_form_round_trips() {
        let records = [
            Record::Run(7),
            Record::Idle,
            Record::Event,
            Record::Skip,
            Record::Livelock,
            Record::Exit(3),
            Record::Access {
                t: 2,
                page: 63,
                write: true,
                value: 0xDEAD_BEEF,
            },
            Record::Resume {
                t: 1,
                regs: [1, 2, 3, 4, 5, 6, 0xFFFF_FFFF],
                mrs: [9, 8, 7, 6, 5, 4],
                digest: 0x1234,
            },
        ];
        for r in records {
            let mut s = String::new();
            core::fmt::write(&mut s, format_args!("{r}")).unwrap();
            assert_eq!(Record::parse(&s), Some(r), "{s}");
        }
        assert_eq!(Record::parse("res 1 2"), None);
        assert_eq!(Record::parse("nonsense"), None);
    }
}
