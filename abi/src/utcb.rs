//! Layout of a user thread control block (UTCB): one page per thread at
//! [`crate::layout::utcb_addr`]. The kernel reads and writes the message
//! registers MR4..MR63 and the acceptor; the rest belongs to the thread.

/// Word index of MR `i` (MR0..MR3 also live here for user code's convenience;
/// the kernel passes them in registers and does not read these four words).
pub const MR: usize = 0;
/// Word index of the acceptor: the receive window (a flexpage) for map and
/// grant items. Nil accepts no mappings.
pub const ACCEPTOR: usize = 64;
/// Word index where the kernel stores the thread's own id at creation.
pub const MY_ID: usize = 65;
/// First word free for user-level use.
pub const USER_FIRST: usize = 80;
/// Words in a UTCB page.
pub const WORDS: usize = 1024;
