//! Message helpers: the UTCB of the running thread and the IPC forms
//! (call, send, receive, reply-and-wait) over the raw `ipc` call.

use crate::sys;
use l4_abi::layout::{sel, utcb_addr};
use l4_abi::syscall::tls;
use l4_abi::{utcb, Error, Fpage, MapItem, MsgTag, ThreadId, Timeout};

/// TLS entry (of the three) that holds the UTCB pointer of an L4 thread;
/// `fs` is loaded with its selector.
pub const UTCB_TLS_ENTRY: u32 = 2;
/// Word of the UTCB that holds its own address (user area).
const SELF_WORD: usize = utcb::USER_FIRST;

/// A thread's UTCB.
#[derive(Clone, Copy, Debug)]
pub struct Utcb(*mut u32);

impl Utcb {
    /// The UTCB of slot `slot` in the current space.
    pub fn at_slot(slot: u32) -> Utcb {
        Utcb(utcb_addr(slot) as *mut u32)
    }

    /// The running thread's UTCB (requires [`thread_init`]).
    #[inline(always)]
    pub fn current() -> Utcb {
        let p: u32;
        // SAFETY: fs points at the running thread's UTCB (thread_init).
        unsafe { core::arch::asm!("mov {}, fs:[{}]", out(reg) p, const SELF_WORD * 4, options(readonly, nostack)) };
        Utcb(p as *mut u32)
    }

    pub fn word(&self, i: usize) -> u32 {
        assert!(i < utcb::WORDS);
        // SAFETY: the UTCB page is mapped read-write for its thread.
        unsafe { self.0.add(i).read_volatile() }
    }
    pub fn set_word(&self, i: usize, v: u32) {
        assert!(i < utcb::WORDS);
        // SAFETY: as above.
        unsafe { self.0.add(i).write_volatile(v) }
    }
    pub fn mr(&self, i: usize) -> u32 {
        self.word(utcb::MR + i)
    }
    pub fn set_mr(&self, i: usize, v: u32) {
        self.set_word(utcb::MR + i, v)
    }
    pub fn my_id(&self) -> ThreadId {
        ThreadId(self.word(utcb::MY_ID))
    }
    /// Set the receive window for map and grant items.
    pub fn set_acceptor(&self, f: Fpage) {
        self.set_word(utcb::ACCEPTOR, f.0)
    }
    pub fn addr(&self) -> u32 {
        self.0 as u32
    }
}

/// Make `fs` point at this thread's UTCB so [`Utcb::current`] works.
pub fn thread_init(me: ThreadId, slot: u32) {
    let u = Utcb::at_slot(slot);
    u.set_word(SELF_WORD, u.addr());
    if sys::set_tls(me, UTCB_TLS_ENTRY, u.addr(), 4095, tls::SEG_32BIT).is_ok() {
        let s = ((sel::TLS_FIRST_ENTRY + UTCB_TLS_ENTRY) << 3 | 3) as u32;
        // SAFETY: the selector names the descriptor just installed.
        unsafe { core::arch::asm!("mov fs, {0:e}", in(reg) s, options(nostack)) };
    }
}

/// A message: MR0..MR3 (the tag and three words, passed in registers);
/// further words live in the UTCB.
#[derive(Clone, Copy, Debug, Default)]
pub struct Msg {
    pub mr: [u32; 4],
}

impl Msg {
    pub fn new(label: u16, words: &[u32]) -> Msg {
        let mut m = Msg::default();
        m.mr[0] = MsgTag::new(label, words.len() as u32, 0).0;
        for (i, w) in words.iter().take(3).enumerate() {
            m.mr[i + 1] = *w;
        }
        if words.len() > 3 {
            let u = Utcb::current();
            for (i, w) in words.iter().enumerate().skip(3) {
                u.set_mr(i + 1, *w);
            }
        }
        m
    }
    /// A message carrying one map (or grant) item.
    pub fn map(label: u16, item: MapItem) -> Msg {
        let [a, b] = item.words();
        Msg { mr: [MsgTag::new(label, 0, 2).0, a, b, 0] }
    }
    pub fn tag(&self) -> MsgTag {
        MsgTag(self.mr[0])
    }
    pub fn label(&self) -> u16 {
        self.tag().label()
    }
    /// Word `i` (1-based as MR numbers) of a received message.
    pub fn word(&self, i: usize) -> u32 {
        if i < 4 {
            self.mr[i]
        } else {
            Utcb::current().mr(i)
        }
    }
}

fn err(code: u32) -> Result<(), Error> {
    if code == 0 {
        Ok(())
    } else {
        Err(Error::from_code(code).unwrap_or(Error::InvalidArgument))
    }
}

/// Full IPC: send to `to` (unless nil), then receive from `from` (unless nil).
#[inline(always)]
pub fn ipc(to: ThreadId, from: ThreadId, send: Timeout, recv: Timeout, m: &mut Msg) -> Result<ThreadId, Error> {
    let (sender, code) = sys::ipc(to, from, Timeout::pack(send, recv), &mut m.mr);
    err(code).map(|_| sender)
}

/// Send and wait for the reply from the same thread.
#[inline(always)]
pub fn call(to: ThreadId, m: &mut Msg) -> Result<(), Error> {
    ipc(to, to, Timeout::NEVER, Timeout::NEVER, m).map(|_| ())
}

pub fn send(to: ThreadId, m: &mut Msg, timeout: Timeout) -> Result<(), Error> {
    ipc(to, ThreadId::NIL, timeout, Timeout::NEVER, m).map(|_| ())
}

pub fn receive(from: ThreadId, timeout: Timeout, m: &mut Msg) -> Result<ThreadId, Error> {
    ipc(ThreadId::NIL, from, Timeout::NEVER, timeout, m)
}

/// Sleep: a closed wait for a message from oneself, which never comes.
pub fn sleep(t: Timeout) {
    let mut m = Msg::default();
    let _ = receive(Utcb::current().my_id(), t, &mut m);
}

/// Open wait for the next message.
pub fn wait(m: &mut Msg) -> Result<ThreadId, Error> {
    receive(ThreadId::ANY, Timeout::NEVER, m)
}

/// Reply to `to` (without blocking) and wait for the next message.
#[inline(always)]
pub fn reply_wait(to: ThreadId, m: &mut Msg) -> Result<ThreadId, Error> {
    ipc(to, ThreadId::ANY, Timeout::ZERO, Timeout::NEVER, m)
}
