//! Built-in calls: free functions, methods of String/List/Map/WeakRef, and the
//! `Memory`/`GC` namespaces.

use crate::args::{opt, p, P};
use crate::checker::Checker;
use crate::results::{Builtin, CallArg, CallRes};
use crate::types::*;
use stark_syntax::ast::{Arg, Expr, Ident};
use stark_syntax::{codes, Diagnostic};

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
        let sig: Option<(Builtin, Vec<P>, Ty)> = match (ns, name) {
            ("Memory", "refcount") => {
                let any = self.infer.fresh();
                Some((Builtin::Refcount, vec![p("value", any)], Ty::Int))
            }
            ("Memory", "profile") => Some((Builtin::MemProfile, vec![], Ty::Struct(0))),
            ("Memory", "collect") => Some((
                Builtin::MemCollect,
                vec![opt("zone", optional(Ty::Str), CallArg::None)],
                Ty::Int,
            )),
            ("Memory", "usage_by_type") => Some((
                Builtin::MemUsageByType,
                vec![],
                Ty::Map(Box::new(Ty::Str), Box::new(Ty::Struct(2))),
            )),
            ("Memory", "trace") => Some((
                Builtin::MemTrace,
                vec![
                    opt("zone", optional(Ty::Str), CallArg::None),
                    opt("enabled", Ty::Bool, CallArg::Bool(true)),
                ],
                Ty::Unit,
            )),
            ("GC", "config") => Some((
                Builtin::GcConfig,
                vec![
                    opt("threshold_bytes", optional(Ty::Int), CallArg::None),
                    opt("cycle_interval_ms", optional(Ty::Int), CallArg::None),
                    opt("background", optional(Ty::Bool), CallArg::None),
                ],
                Ty::Unit,
            )),
            _ => None,
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
        let sig: Option<(Builtin, Vec<P>, Ty)> = match (&t, name) {
            (Ty::Str, "len") => Some((Builtin::StrLen, vec![], Ty::Int)),
            (Ty::Str, "split") => Some((
                Builtin::StrSplit,
                vec![p("sep", Ty::Str)],
                Ty::List(Box::new(Ty::Str)),
            )),
            (Ty::Str, "contains") => {
                Some((Builtin::StrContains, vec![p("text", Ty::Str)], Ty::Bool))
            }
            (Ty::Str, "upper") => Some((Builtin::StrUpper, vec![], Ty::Str)),
            (Ty::Str, "lower") => Some((Builtin::StrLower, vec![], Ty::Str)),
            (Ty::Str, "trim") => Some((Builtin::StrTrim, vec![], Ty::Str)),
            (Ty::List(el), _) => {
                let el = (**el).clone();
                match name {
                    "push" => Some((Builtin::ListPush, vec![p("value", el)], Ty::Unit)),
                    "pop" => Some((Builtin::ListPop, vec![], el)),
                    "len" => Some((Builtin::ListLen, vec![], Ty::Int)),
                    "get" => Some((Builtin::ListGet, vec![p("index", Ty::Int)], el.optional())),
                    "insert" => Some((
                        Builtin::ListInsert,
                        vec![p("index", Ty::Int), p("value", el)],
                        Ty::Unit,
                    )),
                    "remove" => Some((Builtin::ListRemove, vec![p("index", Ty::Int)], el)),
                    "clear" => Some((Builtin::ListClear, vec![], Ty::Unit)),
                    "contains" => Some((Builtin::ListContains, vec![p("value", el)], Ty::Bool)),
                    "sort" => {
                        let et = self.infer.shallow(&el);
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
                        Some((Builtin::ListSort, vec![], Ty::Unit))
                    }
                    _ => None,
                }
            }
            (Ty::Map(k, v), _) => {
                let (k, v) = ((**k).clone(), (**v).clone());
                match name {
                    "insert" => Some((
                        Builtin::MapInsert,
                        vec![p("key", k), p("value", v)],
                        Ty::Unit,
                    )),
                    "get" => Some((Builtin::MapGet, vec![p("key", k)], v.optional())),
                    "contains" => Some((Builtin::MapContains, vec![p("key", k)], Ty::Bool)),
                    "remove" => Some((Builtin::MapRemove, vec![p("key", k)], v.optional())),
                    "len" => Some((Builtin::MapLen, vec![], Ty::Int)),
                    "keys" => Some((Builtin::MapKeys, vec![], Ty::List(Box::new(k)))),
                    "values" => Some((Builtin::MapValues, vec![], Ty::List(Box::new(v)))),
                    "clear" => Some((Builtin::MapClear, vec![], Ty::Unit)),
                    _ => None,
                }
            }
            (Ty::Weak(inner), "get") => {
                Some((Builtin::WeakGet, vec![], (**inner).clone().optional()))
            }
            (Ty::Weak(_), "exists") => Some((Builtin::WeakExists, vec![], Ty::Bool)),
            (Ty::Tensor | Ty::Dataset | Ty::Stream, _) => self.data_method_sig(&t, name),
            (Ty::Task(_), _) => self.task_method_sig(&t, name),
            _ => None,
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
