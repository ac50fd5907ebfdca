//! STARK's bytecode interpreter: a register machine over `stark_bytecode::Module` that runs
//! on the `stark_runtime` heap. Calls are iterative (frames on a Vec), releases are
//! deterministic with destructors run before an object's fields go (M3), and every failure
//! is a `VmExit`, never a panic.

// Every `unsafe` block names the invariant it relies on (`// SAFETY:`).
#![deny(clippy::undocumented_unsafe_blocks)]

mod actor;
mod arith;
mod call;
mod copy;
mod equality;
mod error;
mod fmtspec;
pub mod format;
mod gc;
mod interp;
mod natives;
mod output;
mod panics;
mod rare;
mod release;
mod session;
mod verify;
mod vm;

pub use error::{Frame, RuntimeError, VmExit};
pub use session::Carried;
pub use stark_runtime::{ProfileSnapshot, ZoneSnapshot};
pub use vm::{ActorTrace, Vm, VmOptions, MAX_CALL_DEPTH};

/// The load-time bytecode check a `Vm` runs before executing anything (tests use it to
/// hold the compiler to what the VM accepts).
pub fn verify(module: &stark_bytecode::Module) -> Result<(), String> {
    verify::verify_module(module)
}

#[cfg(test)]
mod tests;
