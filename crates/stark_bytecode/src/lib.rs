//! STARK bytecode: the instruction set with explicit RC operations, lowering from the
//! checked AST, the RC optimisation pass, and the printer behind `stark ir`.

pub mod instr;
pub mod native;

pub use instr::{CmpOp, FuncId, Function, Instr, Module, Reg, StructInfo, TypeId};
pub use native::Native;
