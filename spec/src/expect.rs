//! Records as the spec predicts them: like [`spec_ops::Record`], but every
//! value carries how far the spec determines it ([`Word`]), so one
//! prediction serves both the exact host cross-check and the QEMU replay
//! (where instruction pointers, stack pointers, flags and real time are the
//! machine's business).

use crate::state::Word;
use spec_ops::record::{digest, Record, SHOWN_MRS};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    Run(u8),
    Idle,
    Event,
    Skip,
    /// Registers eax..ebp and UTCB MR4..=MR63.
    Resume {
        t: u8,
        regs: [Word; 7],
        mrs: Vec<Word>,
    },
    Access {
        t: u8,
        page: u8,
        write: bool,
        value: Word,
    },
    Exit(u32),
    Livelock,
}

impl Expect {
    /// Does the observed record match? `exact`: host cross-check (machine
    /// values are known).
    pub fn matches(&self, r: &Record, exact: bool) -> bool {
        match (self, r) {
            (Expect::Run(a), Record::Run(b)) => a == b,
            (Expect::Idle, Record::Idle)
            | (Expect::Event, Record::Event)
            | (Expect::Skip, Record::Skip)
            | (Expect::Livelock, Record::Livelock) => true,
            (Expect::Exit(a), Record::Exit(b)) => a == b,
            (
                Expect::Access {
                    t,
                    page,
                    write,
                    value,
                },
                Record::Access {
                    t: t2,
                    page: p2,
                    write: w2,
                    value: v2,
                },
            ) => t == t2 && page == p2 && write == w2 && value.matches(*v2, exact),
            (
                Expect::Resume { t, regs, mrs },
                Record::Resume {
                    t: t2,
                    regs: r2,
                    mrs: m2,
                    digest: d2,
                },
            ) => {
                let shown = SHOWN_MRS
                    .iter()
                    .zip(m2.iter())
                    .all(|(&i, &v)| mrs[i - 4].matches(v, exact));
                let all_known = mrs.iter().all(|w| w.checked(exact));
                let dig = !all_known || digest(mrs.iter().map(|w| w.v)) == *d2;
                t == t2
                    && regs
                        .iter()
                        .zip(r2.iter())
                        .all(|(w, &v)| w.matches(v, exact))
                    && shown
                    && dig
            }
            _ => false,
        }
    }
}

fn word(f: &mut fmt::Formatter<'_>, w: &Word) -> fmt::Result {
    if w.checked(false) {
        write!(f, " {:x}", w.v)
    } else {
        write!(f, " {:x}?", w.v)
    }
}

/// The same text form as [`Record`]; values the QEMU replay does not check
/// are marked with `?`.
impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Run(t) => write!(f, "run {t}"),
            Expect::Idle => write!(f, "idle"),
            Expect::Event => write!(f, "event"),
            Expect::Skip => write!(f, "skip"),
            Expect::Exit(s) => write!(f, "exit {s}"),
            Expect::Livelock => write!(f, "livelock"),
            Expect::Access {
                t,
                page,
                write,
                value,
            } => {
                write!(f, "acc {t} {page} {}", if *write { "w" } else { "r" })?;
                word(f, value)
            }
            Expect::Resume { t, regs, mrs } => {
                write!(f, "res {t}")?;
                for w in regs {
                    word(f, w)?;
                }
                for i in SHOWN_MRS {
                    word(f, &mrs[i - 4])?;
                }
                if mrs.iter().all(|w| w.checked(false)) {
                    write!(f, " {:x}", digest(mrs.iter().map(|w| w.v)))
                } else {
                    write!(f, " {:x}?", digest(mrs.iter().map(|w| w.v)))
                }
            }
        }
    }
}
