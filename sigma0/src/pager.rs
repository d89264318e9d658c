//! sigma0's server loop: page faults and requests over IPC.

use core::fmt::Write as _;
use l4::ipc::{self, Msg};
use l4::kip::kip;
use l4::sigma0::{self as proto, reason};
use l4::{Fpage, MapItem, MsgTag, ThreadId};
use l4_abi::kip::{OFF_RAM_KB, OFF_ROOTTASK};
use l4_abi::msg::{label, rights};
use sigma0::{Frames, Refusal, MAX_FRAMES};

static mut OWNERS: [u16; MAX_FRAMES] = [0; MAX_FRAMES];

l4::main!(main);

fn main() {
    let k = kip();
    let ram_end = k.word(OFF_RAM_KB) as u64 * 1024;
    let roottask = ThreadId(k.word(OFF_ROOTTASK));
    // SAFETY: sigma0 is single-threaded; the table is only used through `frames`.
    let store = unsafe { &mut *core::ptr::addr_of_mut!(OWNERS) };
    let mut frames = Frames::new(store, ram_end, k.mems());
    l4::println!(
        "sigma0: {} KiB RAM, {} frames free, roottask {:?}",
        ram_end / 1024,
        frames.free_frames(),
        roottask
    );
    let mut m = Msg::default();
    let mut from = loop {
        if let Ok(f) = ipc::wait(&mut m) {
            break f;
        }
    };
    loop {
        let reply = handle(&mut frames, from, &m, from == roottask);
        from = match reply {
            Some(mut r) => {
                let res = ipc::reply_wait(from, &mut r);
                m = r;
                res
            }
            None => ipc::wait(&mut m),
        }
        .unwrap_or_else(|_| loop {
            if let Ok(f) = ipc::wait(&mut m) {
                break f;
            }
        });
    }
}

fn refuse(why: u32) -> Msg {
    Msg { mr: [MsgTag::new(proto::ERROR, 1, 0).0, why, 0, 0] }
}

fn refusal(r: Refusal) -> u32 {
    match r {
        Refusal::Taken => reason::TAKEN,
        Refusal::Exhausted => reason::EXHAUSTED,
        Refusal::OutOfRange => reason::OUT_OF_RANGE,
        Refusal::TooManyClients => reason::EXHAUSTED,
    }
}

fn handle(frames: &mut Frames, from: ThreadId, m: &Msg, roottask: bool) -> Option<Msg> {
    let tag = m.tag();
    if tag.label() & label::PAGE_FAULT_MASK == label::PAGE_FAULT {
        let addr = m.mr[1];
        let f = (addr >> 12) as usize;
        return match frames.claim(f, 1, from, roottask) {
            Ok(()) => Some(Msg::map(0, MapItem::map(addr, Fpage::new(addr & !0xFFF, 12, rights::RWX)))),
            Err(e) => {
                let mut c = l4::rt::Console::new();
                let _ = writeln!(c, "sigma0: refused page fault at {:#x} from {:?} ({:?})", addr, from, e);
                None
            }
        };
    }
    match tag.label() {
        proto::REQUEST if tag.untyped() == 2 => {
            let fp = Fpage(m.mr[1]);
            if !fp.is_valid() || fp.size_log2() > 22 || fp.rights() == 0 {
                return Some(refuse(reason::BAD_REQUEST));
            }
            let count = 1usize << (fp.size_log2() - 12);
            let first = if m.mr[2] & proto::ANY != 0 {
                frames.claim_any(count, from)
            } else {
                let first = (fp.base() >> 12) as usize;
                frames.claim(first, count, from, roottask).map(|_| first)
            };
            Some(match first {
                Ok(first) => {
                    let base = (first as u32) << 12;
                    Msg::map(0, MapItem::map(base, Fpage::new(base, fp.size_log2(), fp.rights())))
                }
                Err(e) => refuse(refusal(e)),
            })
        }
        proto::INFO => Some(Msg {
            mr: [
                MsgTag::new(0, 3, 0).0,
                frames.free_frames() as u32,
                frames.ram_frames as u32,
                frames.owned_by(from) as u32,
            ],
        }),
        _ => Some(refuse(reason::BAD_REQUEST)),
    }
}
