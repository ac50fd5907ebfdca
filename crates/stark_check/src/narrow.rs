//! Narrowing of optionals (SPEC §5): where a condition proves that a `T?` binding is not
//! `None`, the binding has type `T`, so `x + 1` type-checks inside `if x != None:`.
//!
//! A condition yields *facts*: the bindings known not to be `None` when it is true (`x !=
//! None`, `a and b`, `not (x == None)`) and when it is false (`x == None`, `a or b`). The
//! checker applies them to the region the condition guards: an `if` branch (with the false
//! facts of the branches before it), an `else`, the rest of the block after an `if` whose
//! other paths leave it (`if x == None: return`), a `while` body, the right operand of
//! `and`/`or`, and the arms of `a if c else b`.
//!
//! Only bindings that cannot be rebound are narrowed: `let` (immutable), parameters
//! (owned ones are immutable, borrowed ones cannot be rebound) and loop variables. A
//! `mutable let` may be assigned `None` anywhere in the region, in a later iteration of
//! a loop, or between the test and the use, so it keeps its `T?` (docs/decisions.md).

use crate::checker::Checker;
use crate::results::NameRes;
use crate::types::*;
use stark_syntax::ast::{BinOp, Block, Expr, ExprKind, UnOp};

impl Checker<'_> {
    /// Adds the facts that hold when `cond` (already typed) evaluates to `when`.
    pub(crate) fn apply_facts(&mut self, cond: &Expr, when: bool) {
        let mut locals = Vec::new();
        self.facts(cond, when, &mut locals);
        for local in locals {
            let info = &self.out.locals[local as usize];
            let ty = self.infer.shallow(&info.ty);
            let rebindable = info.kind == LocalKind::Let && info.mutable;
            if let Ty::Optional(inner) = ty {
                // A `mutable let` is recorded as not narrowed, for E0369's help.
                self.narrow.insert(local, (!rebindable).then_some(*inner));
            }
        }
    }

    /// The narrowed type of `local` here, if it is narrowed.
    pub(crate) fn narrowed(&self, local: LocalId) -> Option<&Ty> {
        self.narrow.get(&local).and_then(|t| t.as_ref())
    }

    /// If `e` names a `mutable let` that a condition here would have narrowed, its name.
    pub(crate) fn refused_narrowing(&self, e: &Expr) -> Option<String> {
        let ExprKind::Name(name) = &e.kind else {
            return None;
        };
        match self.out.names.get(&e.id) {
            Some(NameRes::Local(l)) if matches!(self.narrow.get(l), Some(None)) => {
                Some(name.clone())
            }
            _ => None,
        }
    }

    fn facts(&self, cond: &Expr, when: bool, out: &mut Vec<LocalId>) {
        match &cond.kind {
            ExprKind::Unary(UnOp::Not, inner) => self.facts(inner, !when, out),
            ExprKind::Binary(BinOp::And, a, b) if when => {
                self.facts(a, true, out);
                self.facts(b, true, out);
            }
            ExprKind::Binary(BinOp::Or, a, b) if !when => {
                self.facts(a, false, out);
                self.facts(b, false, out);
            }
            ExprKind::Binary(op @ (BinOp::Eq | BinOp::Ne), a, b) => {
                let other = match (&a.kind, &b.kind) {
                    (_, ExprKind::None) => a,
                    (ExprKind::None, _) => b,
                    _ => return,
                };
                // `x != None` is true, or `x == None` is false.
                if (*op == BinOp::Ne) != when {
                    return;
                }
                if let Some(local) = self.narrowable(other) {
                    out.push(local);
                }
            }
            _ => {}
        }
    }

    /// The binding `e` names, if any (whether it may be narrowed is `apply_facts`' call).
    fn narrowable(&self, e: &Expr) -> Option<LocalId> {
        let ExprKind::Name(_) = e.kind else {
            return None;
        };
        match self.out.names.get(&e.id) {
            Some(NameRes::Local(local)) => Some(*local),
            _ => None,
        }
    }

    /// Whether `e` names a binding narrowed here (its declared type is still `T?`).
    pub(crate) fn is_narrowed_name(&self, e: &Expr) -> bool {
        matches!(e.kind, ExprKind::Name(_))
            && matches!(self.out.names.get(&e.id), Some(NameRes::Local(l)) if self.narrowed(*l).is_some())
    }

    /// Whether control can reach the end of `block` (already checked): false when every
    /// path returns, exits, breaks or continues.
    pub(crate) fn falls_through(&self, block: &Block) -> bool {
        !crate::stmt::block_leaves(block, &self.out, true)
    }
}

/// The narrowings that hold on every one of `paths` (each a narrowing map at a point
/// that reaches the same place).
pub(crate) fn intersect(
    paths: &[std::collections::HashMap<LocalId, Option<Ty>>],
) -> Option<std::collections::HashMap<LocalId, Option<Ty>>> {
    let (first, rest) = paths.split_first()?;
    let mut out = first.clone();
    out.retain(|l, t| rest.iter().all(|p| p.get(l) == Some(t)));
    Some(out)
}
