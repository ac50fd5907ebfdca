//! STARK bytecode: the instruction set with explicit RC operations (declared once, in
//! `instr`'s table), the RC optimisation pass, scalar optimisations (`opt`), and the printer
//! behind `stark ir`. Lowering from the checked AST lives in `stark_lower`, so that this
//! crate, and the VM that runs what it defines, do not depend on the checker.

#![forbid(unsafe_code)]
// `native.rs` expands the built-in registry with a macro that takes one row per step, and
// the rows outnumber the default limit of 128.
#![recursion_limit = "512"]

pub mod instr;
pub mod link;
pub mod native;
pub mod opt;
pub mod printer;
pub mod rc_opt;
#[cfg(test)]
mod test_util;

pub use instr::{CmpOp, FuncId, Function, InlineSite, Instr, Module, Reg, StructInfo, TypeId};
pub use native::{CallFacts, Native};
