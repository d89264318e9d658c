//! Shared code of the benchmark programs.
#![no_std]
