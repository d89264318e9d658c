//! The sigma0 protocol (messages to the root pager) and its client side.
//!
//! - page fault: sigma0 maps the frame at the fault address (idempotent
//!   mapping) if it is free or already the faulter's.
//! - `REQUEST` (u = 2): MR1 = flexpage wanted (physical base, size, rights),
//!   MR2 = flags. With `ANY` the base is ignored and sigma0 picks free,
//!   naturally aligned memory of that size. Reply: one map item (t = 2) on
//!   success; label `ERROR` with MR1 = reason otherwise.
//! - `INFO` (u = 0): reply u = 3: free frames, RAM frames, frames the caller owns.

use crate::ipc::{call, Msg, Utcb};
use l4_abi::{Fpage, MapItem, MsgTag, ThreadId};

pub const REQUEST: u16 = 0xFFA0;
pub const INFO: u16 = 0xFFA1;
/// Reply label of a refused request.
pub const ERROR: u16 = 1;
/// Request flag: any free memory of the requested size.
pub const ANY: u32 = 1;

/// Reasons in MR1 of an `ERROR` reply.
pub mod reason {
    pub const BAD_REQUEST: u32 = 1;
    /// Some frame is owned by someone else (or by the kernel).
    pub const TAKEN: u32 = 2;
    /// No free memory of that size.
    pub const EXHAUSTED: u32 = 3;
    /// Outside the memory the kernel can map.
    pub const OUT_OF_RANGE: u32 = 4;
}

/// Ask sigma0 (`s0`) for memory; it arrives in `window` (the caller's
/// acceptor is set to it). Returns the physical base of what was mapped.
pub fn request(s0: ThreadId, fp: Fpage, flags: u32, window: Fpage) -> Result<u32, u32> {
    Utcb::current().set_acceptor(window);
    let mut m = Msg { mr: [MsgTag::new(REQUEST, 2, 0).0, fp.0, flags, 0] };
    let r = call(s0, &mut m);
    Utcb::current().set_acceptor(Fpage::NIL);
    r.map_err(|e| 100 + e as u32)?;
    if m.label() == ERROR || m.tag().typed() != 2 {
        return Err(m.mr[1]);
    }
    MapItem::decode(m.mr[1], m.mr[2]).map(|i| i.fpage.base()).ok_or(reason::BAD_REQUEST)
}

/// (free frames, RAM frames, frames the caller owns).
pub fn info(s0: ThreadId) -> Option<(u32, u32, u32)> {
    let mut m = Msg { mr: [MsgTag::new(INFO, 0, 0).0, 0, 0, 0] };
    call(s0, &mut m).ok()?;
    (m.tag().untyped() == 3).then_some((m.mr[1], m.mr[2], m.mr[3]))
}
