//! Architecture-specific code. Only the i486 (x86, 32-bit) exists.

pub mod x86;
pub use x86::*;
