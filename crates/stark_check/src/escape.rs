//! M9: a struct value that provably never escapes its function — bound by `let` to a
//! binding that is never moved, cloned, weakly referenced or reassigned — is not heap
//! allocated. Borrowing it (`f(p)` with `&p`, `print(p)`, `p.x`) does not let it escape:
//! a borrowed value cannot be stored or returned (E0505). The move checker collects the
//! bindings that escape; this picks the constructions bound to the others.

use crate::moves::Escapes;
use crate::results::{CallRes, Checked};
use crate::types::{LocalKind, Ty};
use stark_syntax::ast::ExprId;
use std::collections::HashSet;

pub fn stack_allocations(ck: &Checked, escapes: &Escapes) -> HashSet<ExprId> {
    // A binding lent to a parameter that escapes (the callee clones it, or lends it on to
    // one that does) escapes too: propagate to a fixed point.
    let mut escaping = escapes.escaping.clone();
    loop {
        let before = escaping.len();
        for &(local, func, index) in &escapes.lent {
            let param = ck.functions[func as usize]
                .params
                .get(index)
                .map(|p| p.local);
            if param.is_some_and(|p| escaping.contains(&p)) {
                escaping.insert(local);
            }
        }
        if escaping.len() == before {
            break;
        }
    }
    ck.lets
        .iter()
        .filter(|(value, local)| {
            let info = ck.local(**local);
            info.kind == LocalKind::Let
                && matches!(info.ty, Ty::Struct(_))
                && !escaping.contains(local)
                && matches!(ck.calls.get(value), Some(CallRes::Ctor { .. }))
        })
        .map(|(value, _)| *value)
        .collect()
}
