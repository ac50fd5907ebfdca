//! Name resolution, static types and the compile-time memory rules of STARK.
//!
//! `check` runs item collection (`collect`), then types every function body (`expr`,
//! `call`, `stmt`), recording what lowering needs in `Checked`.

#![forbid(unsafe_code)]

mod arena;
mod args;
mod builtins;
mod call;
mod checker;
mod collect;
mod escape;
mod expr;
mod infer;
mod moves;
mod mutability;
mod narrow;
pub mod results;
mod stmt;
mod task;
pub mod tensor;
pub mod types;

pub use results::*;
pub use tensor::DataOp;
pub use types::*;

use stark_syntax::ast::Program;
use stark_syntax::Diagnostic;

/// Checks a parsed program. The diagnostics are empty exactly when the program may run.
pub fn check(program: &Program) -> (Checked, Vec<Diagnostic>) {
    let mut checker = checker::Checker::new(program);
    checker.collect_items();
    checker.check_bodies();
    let (mut checked, mut diags) = checker.finish();
    // The memory rules run on every function that type-checked (`Checked::failed`), so one
    // `stark check` reports a type error in one function and a use-after-move in another.
    let (move_diags, escaping) = moves::check_moves(program, &checked);
    let typed = diags.is_empty();
    diags.extend(move_diags);
    if typed {
        checked.stack_allocs = escape::stack_allocations(&checked, &escaping);
        checked.escaping_locals = escaping.escaping;
    }
    diags.extend(arena::check_arenas(program, &checked));
    diags.sort_by_key(|d| (d.primary.span.start, d.primary.span.end));
    (checked, diags)
}
