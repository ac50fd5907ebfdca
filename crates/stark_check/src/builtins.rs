//! Built-in calls: free functions, methods of String/List/Map/WeakRef, and the
//! `Memory`/`GC` namespaces.

use crate::args::{opt, p, P};
use crate::checker::Checker;
use crate::results::{Builtin, CallArg, CallRes};
use crate::types::*;
use stark_syntax::ast::{Arg, Expr, Ident};
use stark_syntax::{codes, Diagnostic, Recv, SigDefault, SigTy};

impl Checker<'_> {
    pub(crate) fn builtin(&mut self, e: &Expr, op: Builtin, args: Vec<CallArg>) {
        self.out.calls.insert(e.id, CallRes::Builtin { op, args });
    }

    pub(crate) fn call_named(&mut self, e: &Expr, callee: &Expr, name: &str, args: &[Arg]) -> Ty {
        if let Some(&func) = self.fn_names.get(name) {
            return self.call_fn(e, func, args, None);
        }
        if let Some(&ty) = self.struct_names.get(name) {
            return self.construct(e, ty, args);
        }
        let all = |n: usize| (0..n).map(CallArg::Arg).collect::<Vec<_>>();
        match name {
            "print" => {
                let types = self.type_args(args);
                for (a, t) in args.iter().zip(&types) {
                    self.require_value(t, &a.value);
                    if let Some(n) = &a.name {
                        self.error(Diagnostic::error(
                            codes::BAD_ARG_NAME,
                            "`print` takes no keyword arguments",
                            n.span,
                        ));
                    }
                }
                self.builtin(e, Builtin::Print, all(args.len()));
                Ty::Unit
            }
            "str" | "int" | "float" => {
                let any = self.infer.fresh();
                let bound = self.bind(e, &format!("`{name}`"), &[p("x", any)], args, vec![]);
                let arg_ty = args
                    .first()
                    .map(|a| self.unwrapped(&self.out.expr_ty[a.value.id.0 as usize].clone()))
                    .unwrap_or(Ty::Error);
                let (op, result) = match (name, &arg_ty) {
                    (_, Ty::Error) => (Builtin::Identity, Ty::Error),
                    ("str", Ty::Str) => (Builtin::Identity, Ty::Str),
                    ("str", _) => (Builtin::Str, Ty::Str),
                    ("int", Ty::Int) => (Builtin::Identity, Ty::Int),
                    ("int", Ty::Str) => (Builtin::ParseInt, Ty::Int),
                    ("int", Ty::Float) => (Builtin::FloatToInt, Ty::Int),
                    ("float", Ty::Float) => (Builtin::Identity, Ty::Float),
                    ("float", Ty::Int) => (Builtin::IntToFloat, Ty::Float),
                    ("float", Ty::Str) => (Builtin::ParseFloat, Ty::Float),
                    _ => {
                        let shown = self.show(&arg_ty);
                        self.error(
                            Diagnostic::error(
                                codes::MISMATCH,
                                format!("cannot convert `{shown}` with `{name}`"),
                                args[0].value.span,
                            )
                            .label(format!("this is `{shown}`")),
                        );
                        return Ty::Error;
                    }
                };
                if let Some(a) = args.first() {
                    if arg_ty == Ty::Unit {
                        self.require_value(&arg_ty, &a.value);
                    }
                }
                self.builtin(e, op, bound);
                result
            }
            "len" => {
                let any = self.infer.fresh();
                let bound = self.bind(e, "`len`", &[p("x", any)], args, vec![]);
                let Some(a) = args.first() else {
                    return Ty::Int;
                };
                let t = self.unwrapped(&self.out.expr_ty[a.value.id.0 as usize].clone());
                let op = match t {
                    Ty::Str => Builtin::StrLen,
                    Ty::List(_) => Builtin::ListLen,
                    Ty::Map(..) => Builtin::MapLen,
                    Ty::Tensor => Builtin::Data(crate::tensor::DataOp::Len),
                    Ty::Dataset => Builtin::Data(crate::tensor::DataOp::DatasetLen),
                    Ty::Error => return Ty::Int,
                    other => {
                        let shown = self.show(&other);
                        self.error(
                            Diagnostic::error(
                                codes::MISMATCH,
                                format!("`{shown}` has no length"),
                                a.value.span,
                            )
                            .label("expected a String, List, Map, Tensor or Dataset"),
                        );
                        return Ty::Int;
                    }
                };
                self.builtin(e, op, bound);
                Ty::Int
            }
            "range" => {
                let params = [
                    p("start", Ty::Int),
                    opt("end", Ty::Int, CallArg::None),
                    opt("step", Ty::Int, CallArg::Int(1)),
                ];
                let mut bound = self.bind(e, "`range`", &params, args, vec![]);
                // `range(n)` counts from 0 to n.
                if bound.len() == 3 && bound[1] == CallArg::None {
                    bound = vec![CallArg::Int(0), bound[0].clone(), bound[2].clone()];
                }
                self.builtin(e, Builtin::Range, bound);
                Ty::List(Box::new(Ty::Int))
            }
            "assert" => {
                let params = [p("cond", Ty::Bool), opt("message", Ty::Str, CallArg::None)];
                let bound = self.bind(e, "`assert`", &params, args, vec![]);
                self.builtin(e, Builtin::Assert, bound);
                Ty::Unit
            }
            "args" => {
                let bound = self.bind(e, "`args`", &[], args, vec![]);
                self.builtin(e, Builtin::Args, bound);
                Ty::List(Box::new(Ty::Str))
            }
            "exit" => {
                let bound = self.bind(e, "`exit`", &[p("code", Ty::Int)], args, vec![]);
                self.builtin(e, Builtin::Exit, bound);
                Ty::Unit
            }
            "WeakRef" => {
                let any = self.infer.fresh();
                let bound = self.bind(e, "`WeakRef`", &[p("value", any)], args, vec![]);
                let Some(a) = args.first() else {
                    return Ty::Error;
                };
                let t = self.unwrapped(&self.out.expr_ty[a.value.id.0 as usize].clone());
                if !t.is_heap() && t != Ty::Error {
                    let shown = self.show(&t);
                    self.error(
                        Diagnostic::error(
                            codes::MISMATCH,
                            format!("cannot make a weak reference to `{shown}`"),
                            a.value.span,
                        )
                        .label(
                            "only heap values (strings, lists, maps, structs) have weak references",
                        ),
                    );
                    return Ty::Error;
                }
                self.builtin(e, Builtin::WeakNew, bound);
                Ty::Weak(Box::new(t))
            }
            "List" => {
                let bound = self.bind(e, "`List`", &[], args, vec![]);
                self.builtin(e, Builtin::ListNew, bound);
                Ty::List(Box::new(self.infer.fresh()))
            }
            "Map" => {
                let bound = self.bind(e, "`Map`", &[], args, vec![]);
                self.builtin(e, Builtin::MapNew, bound);
                Ty::Map(Box::new(self.infer.fresh()), Box::new(self.infer.fresh()))
            }
            _ => {
                self.type_args(args);
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_NAME,
                    format!("cannot find function `{name}` in this scope"),
                    callee.span,
                )
                .label("not found in this scope");
                if matches!(name, "Tensor" | "Dataset" | "File") {
                    d = d.help(format!(
                        "`{name}` is a namespace: call one of its functions, like `{name}.{}(…)`",
                        match name {
                            "Tensor" => "zeros",
                            "Dataset" => "load",
                            _ => "open",
                        }
                    ));
                }
                self.error(d);
                Ty::Error
            }
        }
    }

    pub(crate) fn call_static(&mut self, e: &Expr, ns: &str, method: &Ident, args: &[Arg]) -> Ty {
        if let Some(ty) = self.data_static(e, ns, method, args) {
            return ty;
        }
        let name = method.name.as_str();
        let what = format!("`{ns}.{name}`");
        let optional = |t: Ty| t.optional();
        // The row names the function; its optional parameters and defaults are typed here.
        let sig: Option<(Builtin, Vec<P>, Ty)> = match Builtin::static_fn(ns, name) {
            Some(op @ Builtin::Refcount) => {
                let any = self.infer.fresh();
                Some((op, vec![p("value", any)], Ty::Int))
            }
            Some(op @ Builtin::MemProfile) => Some((op, vec![], Ty::Struct(0))),
            Some(op @ Builtin::MemCollect) => Some((
                op,
                vec![opt("zone", optional(Ty::Str), CallArg::None)],
                Ty::Int,
            )),
            Some(op @ Builtin::MemUsageByType) => Some((
                op,
                vec![],
                Ty::Map(Box::new(Ty::Str), Box::new(Ty::Struct(2))),
            )),
            Some(op @ Builtin::MemTrace) => Some((
                op,
                vec![
                    opt("zone", optional(Ty::Str), CallArg::None),
                    opt("enabled", Ty::Bool, CallArg::Bool(true)),
                ],
                Ty::Unit,
            )),
            Some(op @ Builtin::GcConfig) => Some((
                op,
                vec![
                    opt("threshold_bytes", optional(Ty::Int), CallArg::None),
                    opt("cycle_interval_ms", optional(Ty::Int), CallArg::None),
                    opt("background", optional(Ty::Bool), CallArg::None),
                ],
                Ty::Unit,
            )),
            Some(other) => unreachable!("{other:?} is a namespace row without a signature"),
            None => None,
        };
        if let Some((op, params, ret)) = sig {
            let bound = self.bind(e, &what, &params, args, vec![]);
            if op == Builtin::Refcount {
                if let Some(a) = args.first() {
                    let t = self.unwrapped(&self.out.expr_ty[a.value.id.0 as usize].clone());
                    if !t.is_heap() && t != Ty::Error {
                        let shown = self.show(&t);
                        self.error(
                            Diagnostic::error(
                                codes::MISMATCH,
                                format!("`{shown}` is not reference counted"),
                                a.value.span,
                            )
                            .label("Int, Float, Bool and None are copied, not counted"),
                        );
                    }
                }
            }
            self.builtin(e, op, bound);
            return ret;
        }
        if let Some(&sid) = self.struct_names.get(ns) {
            if let Some(func) = self.struct_def(sid).method(name) {
                let is_static = self.out.functions[func as usize]
                    .params
                    .first()
                    .is_none_or(|q| q.name != "self");
                if is_static {
                    return self.call_fn(e, func, args, None);
                }
                self.type_args(args);
                self.error(
                    Diagnostic::error(
                        codes::UNKNOWN_METHOD,
                        format!("{what} takes `self`: call it on a value"),
                        method.span,
                    )
                    .help(format!("write `value.{name}(…)`")),
                );
                return Ty::Error;
            }
        }
        self.type_args(args);
        let d = Diagnostic::error(
            codes::UNKNOWN_METHOD,
            format!("no function named `{name}` in `{ns}`"),
            method.span,
        )
        .label("unknown function");
        self.error(d);
        Ty::Error
    }

    pub(crate) fn call_method(
        &mut self,
        e: &Expr,
        recv: &Expr,
        method: &Ident,
        args: &[Arg],
    ) -> Ty {
        let rt = self.expr(recv);
        let t = self.unwrapped(&rt);
        let name = method.name.as_str();
        if t == Ty::Error {
            self.type_args(args);
            return Ty::Error;
        }
        if name == "copy" && t == Ty::Stream {
            self.type_args(args);
            self.error(
                Diagnostic::error(
                    codes::UNKNOWN_METHOD,
                    "a `Stream` cannot be copied",
                    method.span,
                )
                .label("an open file has one position and one buffer")
                .help("share it with `.clone()` instead"),
            );
            return Ty::Error;
        }
        if (name == "clone" || name == "copy") && t.is_heap() {
            let op = if name == "clone" {
                Builtin::Clone
            } else {
                Builtin::Copy
            };
            let bound = self.bind(e, &format!("`{name}`"), &[], args, vec![CallArg::Receiver]);
            self.builtin(e, op, bound);
            return t;
        }
        if let Ty::Struct(sid) = t {
            if let Some(func) = self.struct_def(sid).method(name) {
                let takes_self = self.out.functions[func as usize]
                    .params
                    .first()
                    .is_some_and(|q| q.name == "self");
                if takes_self {
                    return self.call_fn(e, func, args, Some(recv));
                }
                let sname = self.struct_def(sid).name.clone();
                self.type_args(args);
                self.error(
                    Diagnostic::error(
                        codes::UNKNOWN_METHOD,
                        format!("`{sname}.{name}` does not take `self`"),
                        method.span,
                    )
                    .help(format!("call it as `{sname}.{name}(…)`")),
                );
                return Ty::Error;
            }
        }
        let kind = match &t {
            Ty::Str => Some(Recv::Str),
            Ty::List(_) => Some(Recv::List),
            Ty::Map(..) => Some(Recv::Map),
            Ty::Weak(_) => Some(Recv::Weak),
            Ty::Task(_) => Some(Recv::Task),
            _ => None,
        };
        let sig: Option<(Builtin, Vec<P>, Ty)> = match kind.and_then(|k| Builtin::method(k, name)) {
            Some(op) => {
                let s = op
                    .sig()
                    .expect("every method row of these receivers has a signature");
                if op == Builtin::ListSort {
                    let et = self.infer.shallow(&sig_ty(SigTy::E, &t));
                    if !matches!(et, Ty::Int | Ty::Float | Ty::Str | Ty::Error | Ty::Var(_)) {
                        let shown = self.show(&et);
                        self.error(
                            Diagnostic::error(
                                codes::UNKNOWN_METHOD,
                                format!("cannot sort a list of `{shown}`"),
                                method.span,
                            )
                            .label("only lists of Int, Float or String can be sorted"),
                        );
                    }
                }
                let params = s
                    .params
                    .iter()
                    .map(|q| {
                        let ty = sig_ty(q.ty, &t);
                        match q.default {
                            None => p(q.name, ty),
                            Some(d) => opt(q.name, ty, default_arg(d)),
                        }
                    })
                    .collect();
                Some((op, params, sig_ty(s.ret, &t)))
            }
            None if matches!(t, Ty::Tensor | Ty::Dataset | Ty::Stream) => {
                self.data_method_sig(&t, name)
            }
            None => None,
        };
        let Some((op, params, ret)) = sig else {
            self.type_args(args);
            let shown = self.show(&t);
            let mut d = Diagnostic::error(
                codes::UNKNOWN_METHOD,
                format!("no method named `{name}` on type `{shown}`"),
                method.span,
            )
            .label("method not found");
            if let Ty::Struct(sid) = t {
                if self.struct_def(sid).field(name).is_some() {
                    d = d.help(format!("`{name}` is a field, not a method: drop the `()`"));
                }
            }
            self.error(d);
            return Ty::Error;
        };
        if op.mutates_receiver() {
            self.require_mutable(recv, &format!("`{name}` mutates it"));
        }
        let bound = self.bind(
            e,
            &format!("`{name}`"),
            &params,
            args,
            vec![CallArg::Receiver],
        );
        self.check_data_call(op, args);
        self.builtin(e, op, bound);
        ret
    }
}

/// The operand an omitted optional parameter of a registry row stands for.
fn default_arg(d: SigDefault) -> CallArg {
    match d {
        SigDefault::None => CallArg::None,
        SigDefault::Int(i) => CallArg::Int(i),
        SigDefault::Bool(b) => CallArg::Bool(b),
    }
}

/// A registry signature type with the receiver's type parameters filled in.
fn sig_ty(s: SigTy, recv: &Ty) -> Ty {
    match s {
        SigTy::Int => Ty::Int,
        SigTy::Float => Ty::Float,
        SigTy::Bool => Ty::Bool,
        SigTy::Str => Ty::Str,
        SigTy::Unit => Ty::Unit,
        SigTy::E => match recv {
            Ty::List(e) | Ty::Weak(e) | Ty::Task(e) => (**e).clone(),
            _ => Ty::Error,
        },
        SigTy::K => match recv {
            Ty::Map(k, _) => (**k).clone(),
            _ => Ty::Error,
        },
        SigTy::V => match recv {
            Ty::Map(_, v) => (**v).clone(),
            _ => Ty::Error,
        },
        SigTy::Opt(inner) => sig_ty(*inner, recv).optional(),
        SigTy::List(inner) => Ty::List(Box::new(sig_ty(*inner, recv))),
    }
}

#[cfg(test)]
mod tests {
    use crate::results::{Builtin, CallRes};
    use stark_syntax::{Recv, SigTy};

    /// Every method row of String, List, Map, WeakRef and Task (and every `Memory`/`GC`
    /// function) is what the checker resolves a call of that name on that receiver to.
    #[test]
    fn every_method_row_is_resolved_by_the_checker() {
        let mut body = String::new();
        let mut rows = Vec::new();
        for (i, &b) in Builtin::ROWS.iter().enumerate() {
            let recv = match b.receiver() {
                Recv::Str => "s".to_string(),
                Recv::List => "l".to_string(),
                Recv::Map => "m".to_string(),
                Recv::Weak => "w".to_string(),
                Recv::Task => {
                    body.push_str(&format!("    let t{i} = spawn work(1)\n"));
                    format!("t{i}")
                }
                Recv::Memory | Recv::Gc => {
                    // Their parameters are all optional but `refcount`'s one.
                    let ns = b.receiver().namespace().unwrap_or_default();
                    let arg = if b == Builtin::Refcount { "l" } else { "" };
                    body.push_str(&format!("    {ns}.{}({arg})\n", b.name()));
                    rows.push(b);
                    continue;
                }
                _ => continue,
            };
            let sig = b.sig().expect("method rows have signatures");
            let args: Vec<&str> = sig
                .params
                .iter()
                .filter(|q| q.default.is_none())
                .map(|q| match q.ty {
                    SigTy::Int | SigTy::E | SigTy::V => "1",
                    SigTy::Str | SigTy::K => "\"a\"",
                    SigTy::List(_) => "[\"a\"]",
                    other => panic!("no sample argument of type {other:?}"),
                })
                .collect();
            body.push_str(&format!("    {recv}.{}({})\n", b.name(), args.join(", ")));
            rows.push(b);
        }
        let src = format!(
            "fn work(n: Int) -> Int:\n    return n\n\nfn main():\n    \
             mutable let s = \"a b\"\n    mutable let l = [1, 2]\n    \
             mutable let m = {{\"a\": 1}}\n    let w = WeakRef(l.clone())\n{body}"
        );
        let (program, diags) = stark_syntax::parse(&src);
        assert!(diags.is_empty(), "{diags:?}\n{src}");
        let (checked, diags) = crate::check(&program);
        assert!(diags.is_empty(), "{diags:?}\n{src}");
        for b in rows {
            assert!(
                checked
                    .calls
                    .values()
                    .any(|c| matches!(c, CallRes::Builtin { op, .. } if *op == b)),
                "`{}` on {:?} does not resolve to {b:?}\n{src}",
                b.name(),
                b.receiver()
            );
        }
    }
}
