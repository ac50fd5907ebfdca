//! Hand-built functions and modules for the unit tests of the passes.

use crate::instr::{Function, Instr, Module};
use stark_syntax::ast::ParamMode;
use stark_syntax::Span;

/// A function whose `params` parameters all have `mode`, with no names or spans of note.
pub(crate) fn function(
    name: &str,
    mode: ParamMode,
    params: usize,
    num_regs: u16,
    code: Vec<Instr>,
) -> Function {
    Function {
        name: name.into(),
        param_modes: vec![mode; params],
        num_regs,
        spans: vec![Span::default(); code.len()],
        code,
        reg_names: vec![None; num_regs as usize],
        span: Span::default(),
        inlined: Vec::new(),
        generic: false,
    }
}

/// A module of `functions` (the first is `main`), with no structs or strings.
pub(crate) fn module(functions: Vec<Function>) -> Module {
    Module {
        functions,
        structs: Vec::new(),
        strings: Vec::new(),
        formats: Vec::new(),
        main: 0,
    }
}
