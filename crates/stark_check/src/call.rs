//! Calls: the dispatch of a call expression, user functions and methods, and struct
//! construction. Arguments are bound in `args.rs`; built-ins are typed in `builtins.rs`.

use crate::args::{p, P};
use crate::checker::Checker;
use crate::results::{CallArg, CallRes};
use crate::types::*;
use stark_syntax::ast::{Arg, Expr, ExprKind, ParamMode};
use stark_syntax::{codes, Diagnostic};

impl Checker<'_> {
    pub fn call(&mut self, e: &Expr, callee: &Expr, args: &[Arg]) -> Ty {
        // A call whose line broke (parser recovery left an error argument): the arguments
        // are not the ones meant (an open `(` may even have taken in the next lines), so it
        // is typed quietly; its result keeps the callee's type.
        if crate::args::broken_args(args) {
            self.quiet += 1;
            let ty = self.call_inner(e, callee, args);
            self.quiet -= 1;
            return ty;
        }
        self.call_inner(e, callee, args)
    }

    fn call_inner(&mut self, e: &Expr, callee: &Expr, args: &[Arg]) -> Ty {
        let ty = self.call_dispatch(e, callee, args);
        // Type arguments written on a callee that takes none (`plain<Int>(3)`).
        if let Some(written) = self.program.type_args.get(&callee.id) {
            if !self.used_type_args.contains(&callee.id) {
                let span = written
                    .first()
                    .zip(written.last())
                    .map_or(callee.span, |(a, b)| a.span().to(b.span()));
                let name = match &callee.kind {
                    ExprKind::Name(n) => n.clone(),
                    ExprKind::Field(base, field) => match &base.kind {
                        ExprKind::Name(b) => format!("{b}.{}", field.name),
                        _ => field.name.clone(),
                    },
                    _ => "this".to_string(),
                };
                self.error(
                    Diagnostic::error(
                        codes::UNKNOWN_TYPE,
                        format!("`{name}` is not generic: it takes no type arguments"),
                        span,
                    )
                    .label("unexpected type arguments"),
                );
            }
        }
        ty
    }

    fn call_dispatch(&mut self, e: &Expr, callee: &Expr, args: &[Arg]) -> Ty {
        match &callee.kind {
            ExprKind::Name(name) if self.lookup_local(name).is_none() => {
                self.call_named(e, callee, name, args)
            }
            ExprKind::Field(recv, method) => {
                match self.module_path(recv) {
                    Some(crate::modules::Path::Module(m)) => {
                        return self.call_module(e, &m, method, args)
                    }
                    Some(crate::modules::Path::Item(q)) => {
                        return self.call_static(e, &q, method, args)
                    }
                    None => {}
                }
                if let ExprKind::Name(ns) = &recv.kind {
                    if self.lookup_local(ns).is_none() && self.is_namespace(ns, recv.span.file) {
                        return self.call_static(e, ns, method, args);
                    }
                }
                self.call_method(e, recv, method, args)
            }
            _ => self.call_value(e, callee, args),
        }
    }

    pub(crate) fn call_fn(
        &mut self,
        e: &Expr,
        func: FuncId,
        args: &[Arg],
        recv: Option<&Expr>,
    ) -> Ty {
        let mut info = self.out.functions[func as usize].clone();
        if !info.type_params.is_empty() {
            // A generic callee: its type parameters become fresh variables (or the types
            // written, `first<Int>(xs)`), the receiver's type fixes those of its owner,
            // and the arguments the rest.
            let targs = self.type_arguments(e, &info.type_params, &info.name);
            for q in &mut info.params {
                q.ty = q.ty.subst(&targs);
            }
            info.ret = info.ret.subst(&targs);
            self.take_expected(e, &info.ret);
            if let (Some(recv), Some(this)) = (recv, info.params.first()) {
                let found = self.infer.resolve(self.out.ty(recv.id));
                let found = match found {
                    Ty::Optional(inner) => *inner,
                    other => other,
                };
                self.infer.unify(&this.ty, &found);
            }
            self.out.type_args.insert(e.id, targs);
        }
        let skip = usize::from(recv.is_some());
        let params: Vec<P> = info.params[skip..]
            .iter()
            .enumerate()
            .map(|(i, q)| P {
                name: q.name.clone(),
                ty: q.ty.clone(),
                default: q.has_default.then_some(CallArg::Default(skip + i)),
            })
            .collect();
        let lead = if recv.is_some() {
            vec![CallArg::Receiver]
        } else {
            vec![]
        };
        let what = format!("`{}`", info.name);
        let bound = self.bind(e, &what, &params, args, lead);
        // Passing a value as `&mutable` mutates it through the caller's binding (M4).
        for (q, a) in info.params.iter().zip(&bound) {
            if q.mode != ParamMode::BorrowedMut {
                continue;
            }
            let place = match a {
                CallArg::Receiver => recv,
                CallArg::Arg(i) => Some(&args[*i].value),
                _ => None,
            };
            if let Some(place) = place {
                self.require_mutable(place, &format!("passed as `&mutable` to {what}"));
            }
        }
        self.out
            .calls
            .insert(e.id, CallRes::Fn { func, args: bound });
        info.ret
    }

    pub(crate) fn construct(&mut self, e: &Expr, ty: StructId, args: &[Arg]) -> Ty {
        let def = self.struct_def(ty).clone();
        if def.builtin {
            self.type_args(args);
            self.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    format!(
                        "`{}` is built by the runtime and cannot be constructed",
                        def.name
                    ),
                    e.span,
                )
                .help("get one from `Memory.profile()` or `Memory.usage_by_type()`"),
            );
            return Ty::Error;
        }
        let targs = if def.params.is_empty() {
            Vec::new()
        } else {
            let targs = self.type_arguments(e, &def.params, &def.name);
            self.take_expected(e, &Ty::Struct(ty, targs.clone()));
            targs
        };
        let params: Vec<P> = def
            .fields
            .iter()
            .map(|f| p(&f.name, f.ty.subst(&targs)))
            .collect();
        self.construct_layout(e, ty, &format!("struct `{}`", def.name), params, args);
        Ty::Struct(ty, targs)
    }

    /// The type arguments of a call of a generic function or construction of a generic
    /// struct: the ones written after the called name (`Pair<Int, String>(…)`), else a
    /// fresh variable for each parameter, which the arguments and the context then fix.
    fn type_arguments(&mut self, e: &Expr, params: &[String], what: &str) -> Vec<Ty> {
        let (written, callee) = match &e.kind {
            ExprKind::Call { callee, .. } => (self.program.type_args.get(&callee.id), callee.id),
            _ => (None, e.id),
        };
        if let Some(written) = written {
            self.used_type_args.insert(callee);
            if written.len() == params.len() {
                return written.iter().map(|t| self.resolve_type(t)).collect();
            }
            let span = written
                .first()
                .zip(written.last())
                .map_or(e.span, |(a, b)| a.span().to(b.span()));
            self.error(
                Diagnostic::error(
                    codes::UNKNOWN_TYPE,
                    format!(
                        "`{what}` takes {} type argument{}, found {}",
                        params.len(),
                        if params.len() == 1 { "" } else { "s" },
                        written.len()
                    ),
                    span,
                )
                .label("wrong number of type arguments"),
            );
        }
        params.iter().map(|_| self.infer.fresh()).collect()
    }

    /// `Shape.Circle(1.0)`, `Ok(v)`: a variant with its payload. The enum's type
    /// arguments (`Result`'s) are fresh, inferred from the payload and the context.
    pub(crate) fn construct_variant(
        &mut self,
        e: &Expr,
        en: EnumId,
        variant: usize,
        args: &[Arg],
    ) -> Ty {
        let def = &self.out.enums[en as usize];
        let (params, name) = (def.params.clone(), def.name.clone());
        // `Opt.Yes<Int>(1)`, or inferred.
        let targs = self.type_arguments(e, &params, &name);
        if !targs.is_empty() {
            self.take_expected(e, &Ty::Enum(en, targs.clone()));
        }
        let strukt = self.out.enums[en as usize].variants[variant].strukt;
        let def = self.struct_def(strukt).clone();
        let params: Vec<P> = def
            .fields
            .iter()
            .map(|f| p(&f.name, f.ty.subst(&targs)))
            .collect();
        self.construct_layout(e, strukt, &format!("variant `{}`", def.name), params, args);
        Ty::Enum(en, targs)
    }

    /// Binds a construction's arguments to the fields of layout `ty` (a struct's or a
    /// variant's), reporting extra and missing ones.
    fn construct_layout(
        &mut self,
        e: &Expr,
        ty: StructId,
        what: &str,
        params: Vec<P>,
        args: &[Arg],
    ) {
        let def = self.struct_def(ty).clone();
        let types = self.type_ctor_args(&params, args);
        let (slots, positional, mut ok) = self.match_args(what, "field", &params, args, &types);
        // Its line broke: the values given are not all that was meant.
        let broken = crate::args::broken_args(args);
        ok &= !broken;
        if !broken && positional > params.len() {
            self.error(
                Diagnostic::error(
                    codes::ARG_COUNT,
                    format!(
                        "{what} has {} field{} but {} values were supplied",
                        params.len(),
                        if params.len() == 1 { "" } else { "s" },
                        args.len()
                    ),
                    e.span,
                )
                .label("too many values"),
            );
            ok = false;
        }
        let missing: Vec<&str> = slots
            .iter()
            .zip(&params)
            .filter(|(s, _)| s.is_none())
            .map(|(_, p)| p.name.as_str())
            .collect();
        if !broken && !missing.is_empty() && positional <= params.len() {
            let list = missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ");
            self.error(
                Diagnostic::error(
                    codes::MISSING_FIELD,
                    format!(
                        "missing field{} {list} in initializer of `{}`",
                        if missing.len() == 1 { "" } else { "s" },
                        def.name
                    ),
                    e.span,
                )
                .label("missing fields"),
            );
            ok = false;
        }
        if ok {
            let args = slots
                .into_iter()
                .map(|s| CallArg::Arg(s.unwrap_or(0)))
                .collect();
            self.out.calls.insert(e.id, CallRes::Ctor { ty, args });
        }
    }
}
