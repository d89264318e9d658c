//! Every operation of the kernel's ABI with the spec function that defines
//! it. The completeness test (`tests/completeness.rs`) checks this list
//! against `l4_abi::syscall` (the calls, and the thread_control and kdebug
//! sub-operations), so a new operation cannot be added without its spec.

use crate::state::State;

pub struct Entry {
    /// The operation as the ABI names it: a call of `l4_abi::syscall::CALLS`,
    /// `thread_control.<CONSTANT>`, `kdebug.<CONSTANT>`, or an event.
    pub abi: &'static str,
    /// The spec function (`State::<name>`).
    pub spec: &'static str,
    /// Its address: proof that it exists.
    pub function: usize,
}

macro_rules! entries {
    ($($abi:literal => $f:ident),* $(,)?) => {
        vec![$(Entry { abi: $abi, spec: stringify!($f), function: State::$f as *const () as usize }),*]
    };
}

/// The catalog.
pub fn operations() -> Vec<Entry> {
    entries![
        "ipc" => ipc,
        "thread_control" => syscall,
        "thread_control.CREATE" => thread_control_create,
        "thread_control.DELETE" => thread_control_delete,
        "thread_control.DELETE_SPACE" => thread_control_delete_space,
        "thread_control.SET_HANDLERS" => thread_control_set_handlers,
        "exchange_registers" => exchange_registers,
        "schedule" => schedule,
        "thread_switch" => thread_switch,
        "unmap" => unmap,
        "irq_control" => irq_control,
        "io_control" => io_control,
        "set_tls" => set_tls,
        "kdebug" => kdebug,
        "kdebug.PUTC" => kdebug_putc,
        "kdebug.WRITE" => kdebug_write,
        "kdebug.EXIT" => kdebug_exit,
        "kdebug.STATS" => kdebug_stats,
        "kdebug.TICKS" => kdebug_ticks,
        "event.page_fault" => page_fault,
        "event.exception" => exception,
        "event.interrupt" => interrupt,
        "event.timer_tick" => tick,
        "event.dispatch" => dispatch,
    ]
}
