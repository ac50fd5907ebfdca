//! M9: a struct, enum or tuple value that provably never escapes its function — bound by `let` to a
//! binding that is never moved, cloned, weakly referenced or reassigned — is not heap
//! allocated. Borrowing it (`f(p)` with `&p`, `print(p)`, `p.x`) does not let it escape:
//! a borrowed value cannot be stored or returned (E0505). The move checker collects the
//! bindings that escape; this picks the constructions bound to the others.

use crate::moves::Escapes;
use crate::results::{CallRes, Checked};
use crate::types::{LocalKind, StructId, Ty};
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
        // A `match` name that is the subject's own object (`match p: case q:`): if it
        // escapes (`keep.push(q)` shares it), so does the subject.
        for &(name, subject) in &escapes.aliases {
            if escaping.contains(&name) {
                escaping.insert(subject);
            }
        }
        // A function value captured by a lambda escapes with the lambda: one handed over
        // where it is written, one whose `let` binding escapes, one lent to a parameter
        // that escapes.
        for &(captured, lambda) in &escapes.captured_fns {
            let bound = ck.lets.get(&lambda).is_some_and(|l| escaping.contains(l));
            let lent = escapes.lent_lambdas.iter().any(|(e, to)| {
                *e == lambda
                    && to.is_some_and(|(func, index)| {
                        ck.functions[func as usize]
                            .params
                            .get(index)
                            .is_none_or(|p| escaping.contains(&p.local))
                    })
            });
            if escapes.moving_lambdas.contains(&lambda) || bound || lent {
                escaping.insert(captured);
            }
        }
        if escaping.len() == before {
            break;
        }
    }
    // A destructor runs on every value of its type, stack ones included, with no call in
    // the source to record a loan at: if it lets `self` escape (stores `self.clone()`,
    // takes a `WeakRef(self)`), the value outlives its function, so its type stays on the
    // heap everywhere.
    let self_escapes = |id: StructId| {
        ck.structs
            .get(id as usize)
            .and_then(|s| s.destructor)
            .and_then(|d| ck.functions.get(d as usize))
            .and_then(|f| f.params.first())
            .is_some_and(|p| escaping.contains(&p.local))
    };
    // SPEC §7: a lambda that does not escape allocates nothing the program sees.
    let lent_lambdas = escapes
        .lent_lambdas
        .iter()
        .filter(|(_, to)| {
            to.is_none_or(|(func, index)| {
                ck.functions[func as usize]
                    .params
                    .get(index)
                    .is_some_and(|p| !escaping.contains(&p.local))
            })
        })
        .map(|(e, _)| *e);
    ck.lets
        .iter()
        .filter(|(value, local)| {
            let info = ck.local(**local);
            // An enum value is laid out as its variant's struct (SPEC §6: enums follow the
            // struct rules, M9 included).
            let ctor = match (&info.ty, ck.calls.get(value)) {
                (Ty::Struct(id, _), Some(CallRes::Ctor { .. })) => !self_escapes(*id),
                (Ty::Enum(..), Some(CallRes::Ctor { ty, .. })) => !self_escapes(*ty),
                _ => false,
            };
            // Tuples have no destructor of their own; their parts' run when released.
            let tuple = matches!(info.ty, Ty::Tuple(_)) && ck.tuples.contains(value);
            let lambda = ck.lambdas.contains_key(value);
            info.kind == LocalKind::Let && (ctor || tuple || lambda) && !escaping.contains(local)
        })
        .map(|(value, _)| *value)
        .chain(lent_lambdas)
        .collect()
}
