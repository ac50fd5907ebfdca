//! Actors in the checker: `spawn f(a, b) [with quota=N]` and the methods of `Task<T>`
//! (`join`, `error`). `expr.rs` and `builtins.rs` delegate here.
//!
//! A spawned call must name a user function (not a method on a value, a constructor or a
//! built-in): its arguments are moved into a new actor with its own heap, and its result is
//! moved back, so every argument and the result must be *sendable* — plain data the runtime
//! can re-home into another heap. Streams (an open file), datasets and weak references are
//! not. The move checker (`moves.rs`) treats every spawn argument as moved, whatever the
//! parameter's mode.

use crate::checker::Checker;
use crate::results::{CallArg, CallRes};
use crate::types::*;
use stark_syntax::ast::{Expr, ExprKind};
use stark_syntax::{codes, Diagnostic};
use std::collections::HashSet;

impl Checker<'_> {
    /// Types `spawn call [with quota=q]`: `Task<R>` where `R` is the function's result.
    pub(crate) fn spawn(&mut self, call: &Expr, quota: Option<&Expr>) -> Ty {
        if let Some(q) = quota {
            self.expr_expect(q, &Ty::Int);
        }
        let ty = self.expr(call);
        if ty == Ty::Error {
            return Ty::Error;
        }
        let func = match self.out.calls.get(&call.id) {
            Some(CallRes::Fn { func, args }) if !args.contains(&CallArg::Receiver) => *func,
            _ => {
                let callee = match &call.kind {
                    ExprKind::Call { callee, .. } => callee.span,
                    _ => call.span,
                };
                self.error(
                    Diagnostic::error(
                        codes::MISMATCH,
                        "`spawn` runs a user function as an actor",
                        callee,
                    )
                    .label("not a function declared with `fn`")
                    .help("wrap it in a function: `fn work(…) -> T:` and `spawn work(…)`"),
                );
                return Ty::Error;
            }
        };
        let info = self.out.functions[func as usize].clone();
        let args = match &call.kind {
            ExprKind::Call { args, .. } => args.as_slice(),
            _ => &[],
        };
        for (i, param) in info.params.iter().enumerate() {
            if let Some(bad) = self.unsendable(&param.ty) {
                let span = args.get(i).map(|a| a.value.span).unwrap_or(call.span);
                self.error(
                    Diagnostic::error(codes::MISMATCH, format!("`{bad}` cannot be sent to an actor"), span)
                        .label(format!("parameter `{}` of `{}` takes it", param.name, info.name))
                        .help("actors receive plain data: strings, numbers, lists, maps, structs and tensors"),
                );
            }
        }
        if let Some(bad) = self.unsendable(&info.ret) {
            self.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    format!("`{bad}` cannot be sent back from an actor"),
                    call.span,
                )
                .label(format!("`{}` returns it", info.name))
                .help(
                    "actors return plain data: strings, numbers, lists, maps, structs and tensors",
                ),
            );
        }
        Ty::Task(Box::new(info.ret))
    }

    /// The first type inside `ty` that cannot cross to another actor's heap, shown.
    fn unsendable(&self, ty: &Ty) -> Option<String> {
        let mut seen = HashSet::new();
        self.unsendable_in(ty, &mut seen)
    }

    fn unsendable_in(&self, ty: &Ty, seen: &mut HashSet<StructId>) -> Option<String> {
        match self.infer.shallow(ty) {
            Ty::Stream | Ty::Dataset | Ty::Column | Ty::GroupBy | Ty::Weak(_) => {
                Some(self.show(ty))
            }
            Ty::List(t) | Ty::Optional(t) => self.unsendable_in(&t, seen),
            Ty::Map(k, v) => self
                .unsendable_in(&k, seen)
                .or_else(|| self.unsendable_in(&v, seen)),
            Ty::Struct(id, args) => {
                if !seen.insert(id) {
                    return None;
                }
                let fields: Vec<Ty> = self
                    .struct_def(id)
                    .fields
                    .iter()
                    .map(|f| f.ty.subst(&args))
                    .collect();
                fields.iter().find_map(|f| self.unsendable_in(f, seen))
            }
            _ => None,
        }
    }
}
