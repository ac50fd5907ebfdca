//! STARK bytecode: the instruction set with explicit RC operations, lowering from the
//! checked AST, the RC optimisation pass, scalar optimisations (`opt`), and the printer
//! behind `stark ir`.

#![forbid(unsafe_code)]

pub mod instr;
mod lower;
pub mod native;
pub mod opt;
pub mod printer;
pub mod rc_opt;

pub use instr::{CmpOp, FuncId, Function, InlineSite, Instr, Module, Reg, StructInfo, TypeId};
pub use lower::lower;
pub use native::Native;
pub use stark_check::DataOp;

/// Lowers a checked program with ownership-aware RC insertion, then removes redundant pairs.
pub fn compile(
    program: &stark_syntax::ast::Program,
    checked: &stark_check::Checked,
    source: &str,
) -> Result<Module, Box<stark_syntax::Diagnostic>> {
    let mut module = lower(program, checked, source, false)?;
    rc_opt::optimise(&mut module);
    opt::optimise(&mut module);
    rc_opt::fold_consumed_operands(&mut module);
    Ok(module)
}
