//! Argument binding: positional and keyword arguments matched to a callee's parameters
//! (defaults filled in), for user functions, constructors and built-ins alike.

use crate::checker::Checker;
use crate::results::CallArg;
use crate::types::*;
use stark_syntax::ast::{Arg, Expr};
use stark_syntax::{codes, Diagnostic};

/// One parameter a call binds arguments to.
pub(crate) struct P {
    pub(crate) name: String,
    pub(crate) ty: Ty,
    pub(crate) default: Option<CallArg>,
}

pub(crate) fn p(name: &str, ty: Ty) -> P {
    P {
        name: name.to_string(),
        ty,
        default: None,
    }
}

pub(crate) fn opt(name: &str, ty: Ty, default: CallArg) -> P {
    P {
        name: name.to_string(),
        ty,
        default: Some(default),
    }
}

/// Whether parser recovery left an error argument in `args` (the call's line broke).
pub(crate) fn broken_args(args: &[Arg]) -> bool {
    args.iter().any(|a| a.value.is_error())
}

impl Checker<'_> {
    pub(crate) fn type_args(&mut self, args: &[Arg]) -> Vec<Ty> {
        args.iter().map(|a| self.expr(&a.value)).collect()
    }

    /// Types the arguments of a call, its lambdas last: each other argument first fixes
    /// what it can of its parameter's type, so that in `apply(xs, fn(x) => x > 1)` of a
    /// generic `apply<T>(xs: List<T>, f: Fn(T) -> Bool)` the lambda's `x` is known to be
    /// an Int before its body is typed. (`match_args` then checks every argument.)
    fn type_args_lambdas_last(&mut self, params: &[P], args: &[Arg]) -> Vec<Ty> {
        let is_lambda =
            |a: &Arg| matches!(a.value.kind, stark_syntax::ast::ExprKind::Lambda { .. });
        let mut types = vec![Ty::Error; args.len()];
        let slots = arg_slots(params, args);
        for (i, a) in args.iter().enumerate() {
            if !is_lambda(a) {
                types[i] = self.expr(&a.value);
            }
        }
        self.widen_to_optional(&slots, &types);
        if !args.iter().any(is_lambda) {
            return types;
        }
        for (i, a) in args.iter().enumerate() {
            if let Some(p) = slots[i].filter(|p| !is_lambda(a) && self.infer.has_vars(&p.ty)) {
                self.infer.coerce(&types[i], &p.ty);
            }
        }
        for (i, a) in args.iter().enumerate() {
            if is_lambda(a) {
                types[i] = self.expr(&a.value);
            }
        }
        types
    }

    /// Types the arguments of a construction, widening its type parameters as a call
    /// does (`widen_to_optional`).
    pub(crate) fn type_ctor_args(&mut self, params: &[P], args: &[Arg]) -> Vec<Ty> {
        let types = self.type_args(args);
        self.widen_to_optional(&arg_slots(params, args), &types);
        types
    }

    /// A type variable that several arguments fix, one of them a `T?` (or `None`), is that
    /// `T?`: `eq(5, n)` with `n: Int?` takes `T = Int?`, as `[5, n]` is a `List<Int?>`,
    /// rather than unwrapping `n` (the argument bound to each parameter is in `slots`).
    fn widen_to_optional(&mut self, slots: &[Option<&P>], types: &[Ty]) {
        for (i, slot) in slots.iter().enumerate() {
            let Some(p) = slot else { continue };
            let Ty::Var(v) = self.infer.shallow(&p.ty) else {
                continue;
            };
            let optional = matches!(self.infer.shallow(&types[i]), Ty::Optional(_) | Ty::NoneLit);
            let shared = slots
                .iter()
                .enumerate()
                .any(|(j, q)| j != i && q.is_some_and(|q| self.infer.shallow(&q.ty) == Ty::Var(v)));
            if optional && shared {
                let inner = self.infer.fresh();
                self.infer.unify(&Ty::Var(v), &inner.optional());
            }
        }
    }

    /// Matches `args` to `params` positionally, then by keyword, and type-checks each. Returns
    /// for each parameter the index of the argument given for it, how many positional
    /// arguments there were, and whether every name was known and given once. `noun` names
    /// what a keyword refers to in messages ("parameter", "field").
    pub(crate) fn match_args(
        &mut self,
        what: &str,
        noun: &str,
        params: &[P],
        args: &[Arg],
        types: &[Ty],
    ) -> (Vec<Option<usize>>, usize, bool) {
        let mut slots: Vec<Option<usize>> = vec![None; params.len()];
        let mut ok = true;
        let mut positional = 0;
        for (i, arg) in args.iter().enumerate() {
            let index = match &arg.name {
                None => {
                    positional += 1;
                    (positional <= params.len()).then(|| positional - 1)
                }
                Some(name) => {
                    let found = params.iter().position(|p| p.name == name.name);
                    if found.is_none() {
                        self.error(
                            Diagnostic::error(
                                codes::BAD_ARG_NAME,
                                format!("{what} has no {noun} named `{}`", name.name),
                                name.span,
                            )
                            .label(format!("unknown {noun}")),
                        );
                        ok = false;
                    }
                    found
                }
            };
            let Some(index) = index else { continue };
            if slots[index].is_some() {
                self.error(
                    Diagnostic::error(
                        codes::BAD_ARG_NAME,
                        format!("{noun} `{}` is given twice", params[index].name),
                        arg.value.span,
                    )
                    .label("already given"),
                );
                ok = false;
                continue;
            }
            self.expect_expr(&arg.value, &types[i], &params[index].ty);
            slots[index] = Some(i);
        }
        (slots, positional, ok)
    }

    /// Binds `args` to `params` and returns the operands in parameter order after `lead`
    /// (the receiver, if any); omitted parameters take their defaults.
    pub(crate) fn bind(
        &mut self,
        e: &Expr,
        what: &str,
        params: &[P],
        args: &[Arg],
        lead: Vec<CallArg>,
    ) -> Vec<CallArg> {
        self.hint_lambdas(params, args);
        let types = self.type_args_lambdas_last(params, args);
        let (slots, positional, mut ok) = self.match_args(what, "parameter", params, args, &types);
        let required = params.iter().filter(|p| p.default.is_none()).count();
        let missing = slots
            .iter()
            .zip(params)
            .position(|(s, p)| s.is_none() && p.default.is_none());
        let missing_named = missing.filter(|_| {
            positional <= params.len() && args.len() >= required && args.len() <= params.len()
        });
        if broken_args(args) {
            // A call whose line broke (an error argument stands for what was lost): its
            // count is not the one the programmer wrote.
            ok = false;
        } else if let Some(i) = missing_named {
            // The count is right but a keyword named another parameter: "takes 1 argument
            // but 1 was supplied" would contradict itself, so name the one left out.
            let name = &params[i].name;
            self.error(
                Diagnostic::error(
                    codes::ARG_COUNT,
                    format!("{what} is missing an argument for `{name}`"),
                    e.span,
                )
                .label(format!("`{name}` not given")),
            );
            ok = false;
        } else if positional > params.len() || missing.is_some() {
            let count = if required == params.len() {
                format!("{}", params.len())
            } else {
                format!("{required} to {}", params.len())
            };
            let plural = if params.len() == 1 && required == 1 {
                ""
            } else {
                "s"
            };
            self.error(
                Diagnostic::error(
                    codes::ARG_COUNT,
                    format!(
                        "{what} takes {count} argument{plural} but {} {} supplied",
                        args.len(),
                        if args.len() == 1 { "was" } else { "were" }
                    ),
                    e.span,
                )
                .label(format!("expected {count} argument{plural}")),
            );
            ok = false;
        }
        let mut out = lead;
        if ok {
            for (slot, param) in slots.into_iter().zip(params) {
                let given = slot.map(CallArg::Arg);
                out.push(
                    given
                        .or_else(|| param.default.clone())
                        .unwrap_or(CallArg::None),
                );
            }
        }
        out
    }
}

/// The parameter each argument is bound to: by position, or by its name.
fn arg_slots<'p>(params: &'p [P], args: &[Arg]) -> Vec<Option<&'p P>> {
    let mut positional = 0;
    args.iter()
        .map(|a| match &a.name {
            None => {
                positional += 1;
                params.get(positional - 1)
            }
            Some(n) => params.iter().find(|p| p.name == n.name),
        })
        .collect()
}
