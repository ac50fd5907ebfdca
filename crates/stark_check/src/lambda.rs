//! Functions as values (SPEC §7): a function named without a call, lambdas and their
//! captures, and calls of a function value.
//!
//! A lambda's body becomes a function of its own (`FnInfo::lambda`) whose first parameter
//! is the closure; each name the body takes from an enclosing function becomes a local of
//! the lambda (a capture) that reads the closure's copy, so lowering and the later passes
//! see an ordinary function.

use crate::args::P;
use crate::checker::{Checker, LambdaFrame};
use crate::results::{CallArg, CallRes, LambdaRes, ListFn, NameRes};
use crate::types::*;
use stark_syntax::ast::{Arg, Expr, Param, ParamMode};
use stark_syntax::{codes, Diagnostic};

impl Checker<'_> {
    /// `f` without a call: a value of `f`'s `Fn` type.
    pub(crate) fn fn_value(&mut self, e: &Expr, func: FuncId) -> Ty {
        let info = &self.out.functions[func as usize];
        let ty = Ty::Fn(
            info.params.iter().map(|p| p.ty.clone()).collect(),
            Box::new(info.ret.clone()),
        );
        if !info.type_params.is_empty() {
            let name = info.name.clone();
            self.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    format!("generic function `{name}` cannot be used as a value yet"),
                    e.span,
                )
                .label("a generic function, not called")
                .help(format!("wrap it in a lambda: `fn(x) => {name}(x)`")),
            );
            return Ty::Error;
        }
        if matches!(info.ret, Ty::Tuple(_)) {
            let name = info.name.clone();
            self.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    format!("`{name}` returns a tuple and cannot be used as a value yet"),
                    e.span,
                )
                .help(format!(
                    "wrap it: `fn(…) => {name}(…)` with the result unpacked"
                )),
            );
            return Ty::Error;
        }
        self.out.names.insert(e.id, NameRes::Func(func));
        ty
    }

    /// The local a use of `local` (declared in scope `depth`) reads here: inside a lambda
    /// that began after that scope, the lambda's capture of it (made on first use, in
    /// every lambda between the declaration and the use).
    pub(crate) fn capture(&mut self, name: &str, depth: usize, local: LocalId) -> LocalId {
        let mut current = local;
        for k in 0..self.lambdas.len() {
            if self.lambdas[k].base <= depth {
                continue;
            }
            let frame = &self.lambdas[k];
            if let Some(&(_, inner)) = frame.captures.iter().find(|(o, _)| *o == current) {
                current = inner;
                continue;
            }
            let outer = self.out.locals[current as usize].clone();
            let mode = if outer.mutable {
                ParamMode::BorrowedMut
            } else {
                ParamMode::Borrowed
            };
            let id = self.out.locals.len() as LocalId;
            self.out.locals.push(LocalInfo {
                name: name.to_string(),
                ty: outer.ty.clone(),
                mutable: outer.mutable,
                kind: LocalKind::Param(mode),
                span: outer.span,
            });
            let (func, base) = (frame.func, frame.base);
            self.out.functions[func as usize].locals.push(id);
            // Later uses inside this lambda find the capture directly.
            self.scopes[base].insert(name.to_string(), id);
            self.lambdas[k].captures.push((current, id));
            current = id;
        }
        current
    }

    /// `fn(x, y: Int) => body`.
    pub(crate) fn lambda(&mut self, e: &Expr, params: &[Param], body: &Expr) -> Ty {
        let hint = self
            .lambda_hints
            .remove(&e.id)
            .map(|h| self.infer.shallow(&h));
        let (hint_params, hint_ret) = match &hint {
            Some(Ty::Fn(ps, r)) if ps.len() == params.len() => (Some(ps.clone()), Some(r)),
            _ => (None, None),
        };
        let func = self.out.functions.len() as FuncId;
        // A lambda in a `const` is typed before any function body.
        let (name, item, method) = match self.out.functions.get(self.cur_fn as usize) {
            Some(outer) => (outer.name.clone(), outer.item, outer.method),
            None => ("const".to_string(), 0, None),
        };
        self.out.functions.push(FnInfo {
            name: format!("{name}.<lambda>"),
            // A lambda in a generic function is lowered once per instance of it.
            type_params: self.out.functions[self.cur_fn as usize].type_params.clone(),
            params: Vec::new(),
            ret: Ty::Unit,
            owner: None,
            item,
            method,
            locals: Vec::new(),
            span: e.span,
            lambda: Some(e.id),
        });
        let saved_fn = std::mem::replace(&mut self.cur_fn, func);
        let saved_loops = std::mem::replace(&mut self.loop_depth, 0);
        self.scopes.push(Default::default());
        self.lambdas.push(LambdaFrame {
            func,
            base: self.scopes.len() - 1,
            captures: Vec::new(),
        });
        let env = self.new_local(
            "<closure>",
            Ty::Error,
            false,
            LocalKind::Param(ParamMode::Borrowed),
            e.span,
        );
        self.scopes.last_mut().unwrap().remove("<closure>");
        let mut infos = vec![ParamInfo {
            name: "<closure>".into(),
            ty: Ty::Error,
            mode: ParamMode::Borrowed,
            local: env,
            has_default: false,
        }];
        for (i, p) in params.iter().enumerate() {
            let ty = match (&p.ty, &hint_params) {
                (Some(t), hinted) => {
                    let ty = self.resolve_type(t);
                    if let Some(h) = hinted {
                        self.expect(&h[i], &ty, t.span());
                    }
                    ty
                }
                (None, Some(h)) => h[i].clone(),
                (None, None) => self.infer.fresh(),
            };
            let local = self.new_local(
                &p.name.name,
                ty.clone(),
                false,
                LocalKind::Param(ParamMode::Owned),
                p.name.span,
            );
            infos.push(ParamInfo {
                name: p.name.name.clone(),
                ty,
                mode: ParamMode::Owned,
                local,
                has_default: false,
            });
        }
        if let (Some(r), stark_syntax::ast::ExprKind::Lambda { .. }) = (hint_ret, &body.kind) {
            self.lambda_hints.insert(body.id, (**r).clone());
        }
        let mut ret = self.expr(body);
        if let Some(r) = hint_ret.filter(|r| ***r != Ty::Unit) {
            // The expected result type is the lambda's (an Int body where a Float is
            // expected is converted), so a mismatch is reported once, at the body.
            self.expect(&ret, r, body.span);
            ret = (**r).clone();
        }
        let frame = self.lambdas.pop().expect("lambda frame");
        self.scopes.pop();
        self.cur_fn = saved_fn;
        self.loop_depth = saved_loops;
        let ty = Ty::Fn(
            infos[1..].iter().map(|p| p.ty.clone()).collect(),
            Box::new(ret.clone()),
        );
        if matches!(self.infer.shallow(&ret), Ty::Tuple(_)) {
            self.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    "a lambda cannot return a tuple yet",
                    body.span,
                )
                .label("this is a tuple"),
            );
        }
        infos[0].ty = ty.clone();
        self.out.locals[env as usize].ty = ty.clone();
        let info = &mut self.out.functions[func as usize];
        info.params = infos;
        info.ret = ret;
        self.out.lambdas.insert(
            e.id,
            LambdaRes {
                func,
                captures: frame.captures,
                body: body.clone(),
            },
        );
        ty
    }

    /// `f(args)` where `f` is an expression of type `Fn`.
    pub(crate) fn call_value(&mut self, e: &Expr, callee: &Expr, args: &[Arg]) -> Ty {
        let callee_ty = self.expr(callee);
        let (params, ret) = match self.infer.shallow(&callee_ty) {
            Ty::Fn(params, ret) => (params, *ret),
            Ty::Error => {
                self.type_args(args);
                return Ty::Error;
            }
            other => {
                self.type_args(args);
                let shown = self.show(&other);
                self.error(
                    Diagnostic::error(
                        codes::MISMATCH,
                        "this expression cannot be called",
                        callee.span,
                    )
                    .label(format!("this is `{shown}`, not a function")),
                );
                return Ty::Error;
            }
        };
        let ps: Vec<P> = params
            .iter()
            .enumerate()
            .map(|(i, t)| P {
                name: format!("#{i}"),
                ty: t.clone(),
                default: None,
            })
            .collect();
        let bound = self.bind(e, "this function value", &ps, args, vec![]);
        self.out.calls.insert(e.id, CallRes::Value { args: bound });
        ret
    }

    /// `xs.map(f)` and the other higher-order methods of a list.
    pub(crate) fn list_fn(
        &mut self,
        e: &Expr,
        op: ListFn,
        elem: &Ty,
        method: &stark_syntax::ast::Ident,
        args: &[Arg],
    ) -> Ty {
        let want = if op == ListFn::Reduce { 2 } else { 1 };
        if args.len() != want || args.iter().any(|a| a.name.is_some()) {
            self.type_args(args);
            let params = if op == ListFn::Reduce { "f, init" } else { "f" };
            self.error(
                Diagnostic::error(
                    codes::ARG_COUNT,
                    format!("`{}` takes `({params})`", method.name),
                    e.span,
                )
                .label(format!(
                    "{} argument{} given",
                    args.len(),
                    if args.len() == 1 { "" } else { "s" }
                )),
            );
            return Ty::Error;
        }
        let (params, ret, result) = match op {
            ListFn::Map => {
                let r = self.infer.fresh();
                (vec![elem.clone()], r.clone(), Ty::List(Box::new(r)))
            }
            ListFn::Filter => (
                vec![elem.clone()],
                Ty::Bool,
                Ty::List(Box::new(elem.clone())),
            ),
            ListFn::Any | ListFn::All => (vec![elem.clone()], Ty::Bool, Ty::Bool),
            _ => {
                let init = self.expr(&args[1].value);
                self.require_value(&init, &args[1].value);
                (vec![init.clone(), elem.clone()], init.clone(), init)
            }
        };
        let want_fn = Ty::Fn(params, Box::new(ret));
        let f = &args[0].value;
        if matches!(f.kind, stark_syntax::ast::ExprKind::Lambda { .. }) {
            self.lambda_hints.insert(f.id, want_fn.clone());
        }
        let found = self.expr(f);
        self.expect(&found, &want_fn, f.span);
        let mut bound = vec![CallArg::Receiver, CallArg::Arg(0)];
        if op == ListFn::Reduce {
            bound.push(CallArg::Arg(1));
        }
        self.out
            .calls
            .insert(e.id, CallRes::ListFn { op, args: bound });
        match op {
            ListFn::Map => match self.infer.shallow(&found) {
                Ty::Fn(_, r) => Ty::List(r),
                _ => result,
            },
            _ => result,
        }
    }

    /// `xs.sort(key=f)`, `sorted(xs, key=f)`, `min(xs, key=f)`, `max(xs, key=f)`
    /// (`reverse=` for the sorts). Operands: the list, `f`, `reverse`.
    pub(crate) fn keyed_call(
        &mut self,
        e: &Expr,
        op: ListFn,
        recv: Option<(&Expr, &Ty)>,
        args: &[Arg],
    ) -> Ty {
        let sorting = matches!(op, ListFn::SortKey | ListFn::SortedKey);
        let mut names = vec!["key"];
        if recv.is_none() {
            names.insert(0, "xs");
        }
        if sorting {
            names.push("reverse");
        }
        let list_ty = match recv {
            Some((_, t)) => t.clone(),
            None => Ty::List(Box::new(self.infer.fresh())),
        };
        // The list is typed first, so that the key's parameter has its element type.
        if let (None, Some(first)) = (recv, args.first().filter(|a| a.name.is_none())) {
            let t = self.expr(&first.value);
            self.infer.coerce(&t, &list_ty);
        }
        let list_ty = self.infer.shallow(&list_ty);
        let elem = match &list_ty {
            Ty::List(t) => (**t).clone(),
            _ => Ty::Error,
        };
        let key = self.infer.fresh();
        let fn_ty = Ty::Fn(vec![elem], Box::new(key.clone()));
        let params: Vec<P> = names
            .iter()
            .map(|n| P {
                name: n.to_string(),
                ty: match *n {
                    "xs" => list_ty.clone(),
                    "key" => fn_ty.clone(),
                    _ => Ty::Bool,
                },
                default: (*n == "reverse").then_some(CallArg::Bool(false)),
            })
            .collect();
        let what = match op {
            ListFn::SortKey => "`sort`",
            ListFn::SortedKey => "`sorted`",
            ListFn::MinKey => "`min`",
            _ => "`max`",
        };
        let lead = if recv.is_some() {
            vec![CallArg::Receiver]
        } else {
            vec![]
        };
        let mut bound = self.bind(e, what, &params, args, lead);
        if !sorting {
            bound.push(CallArg::Bool(false));
        }
        let key = self.infer.resolve(&key);
        self.require_sortable(&key, e.span);
        self.out
            .calls
            .insert(e.id, CallRes::ListFn { op, args: bound });
        match op {
            ListFn::SortKey => Ty::Unit,
            ListFn::SortedKey => list_ty,
            _ => match list_ty {
                Ty::List(t) => *t,
                other => other,
            },
        }
    }

    /// Lambda arguments take their parameters' types from the parameters they are bound
    /// to (by position or by name).
    pub(crate) fn hint_lambdas(&mut self, params: &[P], args: &[Arg]) {
        let mut positional = 0;
        for a in args {
            let slot = match &a.name {
                None => {
                    positional += 1;
                    params.get(positional - 1)
                }
                Some(n) => params.iter().find(|p| p.name == n.name),
            };
            if let (Some(p), stark_syntax::ast::ExprKind::Lambda { .. }) = (slot, &a.value.kind) {
                self.lambda_hints.insert(a.value.id, p.ty.clone());
            }
            if let Some(p) = slot {
                self.expect_hint(&a.value, &p.ty);
            }
        }
    }
}
