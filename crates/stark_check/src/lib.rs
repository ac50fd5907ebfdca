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
mod fstring;
mod infer;
mod lambda;
mod modules;
mod moves;
mod mutability;
mod narrow;
mod patterns;
pub mod results;
mod stmt;
mod task;
mod tensor;
pub mod types;
mod usefulness;

pub use builtins::sig_ty;
pub use results::*;
pub use types::*;

use stark_syntax::ast::{FnDecl, Program};
use stark_syntax::Diagnostic;

/// Checks a parsed program. The diagnostics are empty exactly when the program may run.
pub fn check(program: &Program) -> (Checked, Vec<Diagnostic>) {
    check_some(program, &|_| false)
}

/// Checks a parsed program but for the bodies `skip` names: their diagnostics are not
/// made, and no analysis of another function learns from them (a skipped callee is
/// treated as one whose body failed). The language server re-checks only what an edit
/// changed with it; `check` is `check_some` skipping nothing.
pub fn check_some(program: &Program, skip: &dyn Fn(&FnDecl) -> bool) -> (Checked, Vec<Diagnostic>) {
    let mut checker = checker::Checker::new(program);
    checker.skip = Some(skip);
    checker.collect_items();
    checker.check_bodies();
    let (mut checked, mut diags) = checker.finish();
    // The memory rules run on every function that type-checked (`Checked::failed`), so one
    // `stark check` reports a type error in one function and a use-after-move in another.
    let none = Default::default();
    let (mut move_diags, mut escaping) = moves::check_moves(program, &checked, &none);
    let mut stack = escape::stack_allocations(&checked, &escaping);
    // A `let`-bound lambda whose binding escapes later moves its heap captures at the
    // `let` (SPEC §7): a second walk, knowing which, reports their later uses (E0382).
    let escaping_lets: std::collections::HashSet<_> = checked
        .lets
        .keys()
        .filter(|v| checked.lambdas.contains_key(v) && !stack.contains(v))
        .copied()
        .collect();
    if !escaping_lets.is_empty() {
        (move_diags, escaping) = moves::check_moves(program, &checked, &escaping_lets);
        stack = escape::stack_allocations(&checked, &escaping);
    }
    let typed = diags.is_empty();
    diags.extend(move_diags);
    checked.move_facts = std::mem::take(&mut escaping.facts);
    if typed {
        checked.stack_allocs = stack;
        checked.escaping_locals = escaping.escaping;
        checked.moving_lambdas = escaping.moving_lambdas;
        checked.unstable_locals = escaping.unstable;
    }
    diags.extend(arena::check_arenas(program, &checked));
    diags.sort_by_key(|d| (d.primary.span.start, d.primary.span.end));
    (checked, diags)
}

#[cfg(test)]
mod tests {
    use crate::{NameRes, Ty};
    use stark_syntax::ast::{Expr, ExprKind, Item, StmtKind};

    /// What a tool (hover, completion) needs from a body with a syntax error: the broken
    /// `let` binds its name, later uses resolve to it, the parsed parts of the broken line
    /// have their types, and nothing but the syntax error is reported.
    #[test]
    fn a_broken_body_is_typed_for_tools() {
        let src = "fn f(n: Int) -> Int:\n    let total = n * 2 +\n    let s = \"a\"\n    \
                   print(total, s.len())\n    return total\n\nfn main():\n    print(f(1))\n";
        let (program, syntax) = stark_syntax::parse(src);
        assert_eq!(syntax.len(), 1, "{syntax:?}");
        let (checked, diags) = crate::check(&program);
        assert!(diags.is_empty(), "{diags:?}");
        let Item::Fn(f) = &program.items[0] else {
            panic!()
        };
        let StmtKind::Let { value, .. } = &f.body.stmts[0].kind else {
            panic!()
        };
        // `n * 2 +`: the product is typed, the missing operand is the error.
        let ExprKind::Binary(_, product, missing) = &value.kind else {
            panic!("{value:?}")
        };
        assert_eq!(*checked.ty(product.id), Ty::Int);
        assert!(missing.is_error());
        let total = checked.lets[&value.id];
        // `print(total, s.len())`: `total` resolves to the broken `let`'s binding.
        let StmtKind::Expr(Expr {
            kind: ExprKind::Call { args, .. },
            ..
        }) = &f.body.stmts[2].kind
        else {
            panic!()
        };
        assert_eq!(
            checked.names.get(&args[0].value.id),
            Some(&NameRes::Local(total))
        );
        assert!(checked.failed.contains(&0), "no memory rule runs on it");
    }
}
