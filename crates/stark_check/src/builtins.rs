//! Built-in calls, typed from their rows in the registry (`stark_syntax::builtin`): methods
//! by (receiver, name), namespace functions (`Memory`, `GC`, `Tensor`, `Dataset`, `File`)
//! by (namespace, name), and the free functions that are one row. The free functions that
//! choose among rows by their argument's type, or take what a row cannot say, are typed
//! here by hand (`call_named`).

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

    /// Records a call of `op` whose second operand (`sum`'s `start`, `round`'s `ndigits`)
    /// was optional: without it the call has one operand (a wrong count binds none).
    fn builtin_optional_second(&mut self, e: &Expr, op: Builtin, bound: Vec<CallArg>, given: bool) {
        let keep = if given { 2 } else { 1 };
        self.builtin(e, op, bound.into_iter().take(keep).collect());
    }

    pub(crate) fn call_named(&mut self, e: &Expr, callee: &Expr, name: &str, args: &[Arg]) -> Ty {
        let global = self.global(name, callee.span.file);
        if let Some(&func) = self.fn_names.get(&*global) {
            return self.call_fn(e, func, args, None);
        }
        if let Some(&ty) = self.struct_names.get(&*global) {
            return self.construct(e, ty, args);
        }
        // `Result`'s variants are named bare (SPEC §6).
        if let Some(v) = ["Ok", "Err"].iter().position(|n| *n == name) {
            return self.construct_variant(e, crate::results::RESULT, v, args);
        }
        let keyed = args
            .iter()
            .any(|a| a.name.as_ref().is_some_and(|n| n.name == "key"));
        if let (true, Some(op)) = (keyed, crate::results::ListFn::keyed(name, false)) {
            return self.keyed_call(e, op, None, args);
        }
        if let Some(op) = Builtin::function(name) {
            // A free row's `E` is one type inferred from the arguments (`sorted(xs)`).
            let scope = Ty::List(Box::new(self.infer.fresh()));
            let ret = self.call_row(e, op, &format!("`{name}`"), None, &scope, args);
            if op == Builtin::Sorted {
                if let Some(a) = args.first() {
                    let elem = self.row_ty(SigTy::E, &scope);
                    self.require_sortable(&elem, a.value.span);
                }
            }
            return ret;
        }
        // The rest choose a row by their argument's type (`int`, `len`), take any values
        // (`print`), rewrite their operands (`range(n)`), or type their result by their
        // arguments' (`WeakRef(x)`, `enumerate`, `zip`, `divmod`) or by inference (`List()`).
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
                    // NumPy's `float(a)` / `int(a)` of a one-element array (SPEC §8).
                    ("float", Ty::Tensor) => (Builtin::TensorItem, Ty::Float),
                    ("int", Ty::Tensor) => (Builtin::TensorDunderInt, Ty::Int),
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
                    Ty::Tensor => Builtin::TensorLen,
                    Ty::Dataset => Builtin::DatasetLen,
                    Ty::Column => Builtin::ColumnLen,
                    Ty::Error => return Ty::Int,
                    other => {
                        let shown = self.show(&other);
                        self.error(
                            Diagnostic::error(
                                codes::MISMATCH,
                                format!("`{shown}` has no length"),
                                a.value.span,
                            )
                            .label("expected a String, List, Map, Tensor, Dataset or Column"),
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
            "enumerate" | "zip" => {
                let (params, elems): (Vec<P>, Vec<Ty>) = if name == "enumerate" {
                    let t = self.infer.fresh();
                    (
                        vec![p("xs", Ty::List(Box::new(t.clone())))],
                        vec![Ty::Int, t],
                    )
                } else {
                    let (a, b) = (self.infer.fresh(), self.infer.fresh());
                    let params = vec![
                        p("a", Ty::List(Box::new(a.clone()))),
                        p("b", Ty::List(Box::new(b.clone()))),
                    ];
                    (params, vec![a, b])
                };
                let op = if name == "enumerate" {
                    Builtin::Enumerate
                } else {
                    Builtin::Zip
                };
                let bound = self.bind(e, &format!("`{name}`"), &params, args, vec![]);
                self.builtin(e, op, bound);
                Ty::List(Box::new(Ty::Tuple(elems)))
            }
            "divmod" => {
                let t = self.infer.fresh();
                let params = [p("a", t.clone()), p("b", t.clone())];
                let bound = self.bind(e, "`divmod`", &params, args, vec![]);
                let t = self.infer.shallow(&t);
                if !matches!(t, Ty::Int | Ty::Float | Ty::Error) {
                    let shown = self.show(&t);
                    self.error(
                        Diagnostic::error(
                            codes::MISMATCH,
                            format!("`divmod` takes two Ints or two Floats, not `{shown}`"),
                            e.span,
                        )
                        .label(format!("this is `{shown}`")),
                    );
                    return Ty::Error;
                }
                self.builtin(e, Builtin::DivMod, bound);
                Ty::Tuple(vec![t.clone(), t])
            }
            "abs" => {
                let any = self.infer.fresh();
                let bound = self.bind(e, "`abs`", &[p("x", any)], args, vec![]);
                let (op, ty) = match self.arg_ty(args, 0) {
                    Ty::Int => (Builtin::AbsInt, Ty::Int),
                    Ty::Float => (Builtin::AbsFloat, Ty::Float),
                    Ty::Error => return Ty::Error,
                    other => {
                        self.not_numeric(&args[0].value, &other, "`abs`");
                        return Ty::Error;
                    }
                };
                self.builtin(e, op, bound);
                ty
            }
            "min" | "max" => self.min_max(e, name, args),
            "sum" => {
                let any = self.infer.fresh();
                let start = self.infer.fresh();
                let params = [p("xs", any), opt("start", start, CallArg::None)];
                let bound = self.bind(e, "`sum`", &params, args, vec![]);
                let start = match bound.get(1) {
                    Some(CallArg::Arg(i)) => Some(self.arg_ty(args, *i)),
                    _ => None,
                };
                let cannot = |c: &mut Self, at: &Expr, t: &Ty| {
                    let shown = c.show(t);
                    c.error(
                        Diagnostic::error(
                            codes::MISMATCH,
                            format!("cannot sum a `{shown}`"),
                            at.span,
                        )
                        .label("expected a list of Int or Float"),
                    );
                };
                let elem = match self.arg_ty(args, 0) {
                    Ty::List(elem) => self.infer.shallow(&elem),
                    Ty::Error => return Ty::Error,
                    other => {
                        cannot(self, &args[0].value, &other);
                        return Ty::Error;
                    }
                };
                let has_start = start.is_some();
                let (op, ty) = match (elem, start) {
                    (Ty::Error, _) | (_, Some(Ty::Error)) => return Ty::Error,
                    (Ty::Int, None | Some(Ty::Int)) => (Builtin::SumInt, Ty::Int),
                    (Ty::Int, Some(Ty::Float)) | (Ty::Float, None | Some(Ty::Int | Ty::Float)) => {
                        (Builtin::SumFloat, Ty::Float)
                    }
                    // `sum([])`: nothing says otherwise, so Ints (Python's `sum([])` is 0), or
                    // the start's type.
                    (var @ Ty::Var(_), Some(t @ (Ty::Int | Ty::Float))) => {
                        self.infer.unify(&var, &t);
                        let op = if t == Ty::Int {
                            Builtin::SumInt
                        } else {
                            Builtin::SumFloat
                        };
                        (op, t)
                    }
                    (var @ Ty::Var(_), None) => {
                        self.infer.unify(&var, &Ty::Int);
                        (Builtin::SumInt, Ty::Int)
                    }
                    (Ty::Int | Ty::Float | Ty::Var(_), Some(other)) => {
                        let at = match bound.get(1) {
                            Some(CallArg::Arg(i)) => &args[*i].value,
                            _ => &args[0].value,
                        };
                        let shown = self.show(&other);
                        self.error(
                            Diagnostic::error(
                                codes::MISMATCH,
                                format!("`sum` cannot start from a `{shown}`"),
                                at.span,
                            )
                            .label("expected an Int or a Float"),
                        );
                        return Ty::Error;
                    }
                    (other, _) => {
                        cannot(self, &args[0].value, &Ty::List(Box::new(other)));
                        return Ty::Error;
                    }
                };
                self.builtin_optional_second(e, op, bound, has_start);
                ty
            }
            "round" => {
                let any = self.infer.fresh();
                let params = [p("number", any), opt("ndigits", Ty::Int, CallArg::None)];
                let bound = self.bind(e, "`round`", &params, args, vec![]);
                let digits = bound.get(1).is_some_and(|d| *d != CallArg::None);
                let (op, ty) = match (self.arg_ty(args, 0), digits) {
                    (Ty::Int, false) => (Builtin::Identity, Ty::Int),
                    (Ty::Int, true) => (Builtin::RoundIntDigits, Ty::Int),
                    (Ty::Float, false) => (Builtin::Round, Ty::Int),
                    (Ty::Float, true) => (Builtin::RoundDigits, Ty::Float),
                    (Ty::Error, _) => return Ty::Error,
                    (other, _) => {
                        self.not_numeric(&args[0].value, &other, "`round`");
                        return Ty::Error;
                    }
                };
                self.builtin_optional_second(e, op, bound, digits);
                ty
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

    /// The type of argument `i` with one `?` removed (`Ty::Error` when absent).
    fn arg_ty(&self, args: &[Arg], i: usize) -> Ty {
        match args.get(i) {
            Some(a) => self.unwrapped(&self.out.expr_ty[a.value.id.0 as usize].clone()),
            None => Ty::Error,
        }
    }

    fn not_numeric(&mut self, arg: &Expr, ty: &Ty, what: &str) {
        let shown = self.show(ty);
        self.error(
            Diagnostic::error(
                codes::MISMATCH,
                format!("{what} takes an Int or a Float, found `{shown}`"),
                arg.span,
            )
            .label(format!("this is `{shown}`")),
        );
    }

    /// `min(a, b, …)` / `max(…)` of Ints, Floats (Ints among them are converted) or
    /// Strings, or `min(xs)` of one list of those; the result has that type.
    /// `min(xs, default=d)` is `d` for an empty list: the result joins the element type
    /// with `d`'s (a Float with an Int, `T?` with `None`).
    fn min_max(&mut self, e: &Expr, name: &str, args: &[Arg]) -> Ty {
        let types = self.type_args(args);
        let is_default = |a: &Arg| a.name.as_ref().is_some_and(|n| n.name == "default");
        let again = args.iter().filter(|a| is_default(a)).nth(1);
        if let Some(a) = args
            .iter()
            .find(|a| a.name.is_some() && !is_default(a))
            .or(again)
        {
            let n = a.name.as_ref().expect("found by its name");
            if n.name == "default" {
                self.error(
                    Diagnostic::error(
                        codes::BAD_ARG_NAME,
                        format!("`{name}` takes `default=` once"),
                        n.span,
                    )
                    .label("given again here"),
                );
                return Ty::Error;
            }
            let n = a.name.as_ref().expect("found by its name");
            let d = Diagnostic::error(
                codes::BAD_ARG_NAME,
                format!("`{name}` takes no keyword argument `{}`", n.name),
                n.span,
            );
            // `key=` never comes here: a call with one is `keyed_call` (SPEC §7).
            self.error(d.label("unknown parameter"));
            return Ty::Error;
        }
        if args.is_empty() {
            self.error(
                Diagnostic::error(
                    codes::ARG_COUNT,
                    format!("`{name}` takes at least 1 argument but 0 were supplied"),
                    e.span,
                )
                .label("expected a list, or two or more values"),
            );
            return Ty::Error;
        }
        let unwrapped: Vec<Ty> = types.iter().map(|t| self.unwrapped(t)).collect();
        if let Some(d) = args.iter().position(is_default) {
            return self.min_max_default(e, name, args, &types, &unwrapped, d);
        }
        let orderable = |t: &Ty| *t == Ty::Error || crate::expr::orderable(t);
        let bad = |c: &mut Self, at: &Expr, t: &Ty| {
            let shown = c.show(t);
            c.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    format!("`{name}` cannot compare `{shown}`"),
                    at.span,
                )
                .label("expected numbers, Strings, Bools or tuples of them, or one list of them"),
            );
        };
        let result = if args.len() == 1 {
            match &unwrapped[0] {
                Ty::List(elem) => {
                    let elem = self.infer.shallow(elem);
                    if !orderable(&elem) {
                        bad(self, &args[0].value, &unwrapped[0]);
                        return Ty::Error;
                    }
                    elem
                }
                Ty::Error => return Ty::Error,
                other => {
                    let other = other.clone();
                    bad(self, &args[0].value, &other);
                    return Ty::Error;
                }
            }
        } else {
            let mut acc: Option<Ty> = None;
            for (a, t) in args.iter().zip(&unwrapped) {
                if !orderable(t) {
                    bad(self, &a.value, t);
                    return Ty::Error;
                }
                acc = match (acc, t) {
                    (None, t) | (Some(Ty::Error), t) => Some(t.clone()),
                    (Some(prev), Ty::Error) => Some(prev),
                    (Some(prev), t) if prev == *t => Some(prev),
                    (Some(Ty::Int), Ty::Float) | (Some(Ty::Float), Ty::Int) => Some(Ty::Float),
                    (Some(prev), t) => {
                        let (sp, st) = (self.show(&prev), self.show(t));
                        self.error(
                            Diagnostic::error(
                                codes::MISMATCH,
                                format!("`{name}` cannot compare `{sp}` with `{st}`"),
                                a.value.span,
                            )
                            .label(format!("this is `{st}`")),
                        );
                        return Ty::Error;
                    }
                };
            }
            acc.unwrap_or(Ty::Error)
        };
        let op = if name == "min" {
            Builtin::Min
        } else {
            Builtin::Max
        };
        self.builtin(e, op, (0..args.len()).map(CallArg::Arg).collect());
        result
    }

    /// `min(xs, default=d)` (`args[d]` is the default): one list and the default.
    fn min_max_default(
        &mut self,
        e: &Expr,
        name: &str,
        args: &[Arg],
        types: &[Ty],
        unwrapped: &[Ty],
        d: usize,
    ) -> Ty {
        if args.len() != 2 {
            self.error(
                Diagnostic::error(
                    codes::ARG_COUNT,
                    format!("`{name}` takes `default=` only with one list"),
                    e.span,
                )
                .label("a default needs a single list, as in Python"),
            );
            return Ty::Error;
        }
        let list = 1 - d;
        let elem = match &unwrapped[list] {
            Ty::List(elem) => (**elem).clone(),
            Ty::Error => return Ty::Error,
            other => {
                let shown = self.show(other);
                self.error(
                    Diagnostic::error(
                        codes::MISMATCH,
                        format!("`{name}` with `default=` takes a list, not `{shown}`"),
                        args[list].value.span,
                    )
                    .label(format!("this is `{shown}`")),
                );
                return Ty::Error;
            }
        };
        if types[d] == Ty::Error {
            return Ty::Error;
        }
        let result = self.join(&elem, &types[d], &args[d].value);
        let elem = self.infer.shallow(&elem);
        if !matches!(elem, Ty::Error) && !crate::expr::orderable(&elem) {
            let shown = self.show(&unwrapped[list]);
            self.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    format!("`{name}` cannot compare `{shown}`"),
                    args[list].value.span,
                )
                .label("expected a list of numbers, Strings, Bools or tuples of them"),
            );
            return Ty::Error;
        }
        let op = if name == "min" {
            Builtin::MinDefault
        } else {
            Builtin::MaxDefault
        };
        self.builtin(e, op, vec![CallArg::Arg(list), CallArg::Arg(d)]);
        result
    }

    /// Lists are sorted (`sort`, `sorted`) when `<` orders their elements: Int, Float,
    /// String, Bool, and tuples of them.
    pub(crate) fn require_sortable(&mut self, elem: &Ty, span: stark_syntax::Span) {
        let et = self.infer.resolve(elem);
        if !matches!(et, Ty::Error | Ty::Var(_)) && !crate::expr::orderable(&et) {
            let shown = self.show(&et);
            self.error(
                Diagnostic::error(
                    codes::UNKNOWN_METHOD,
                    format!("cannot sort a list of `{shown}`"),
                    span,
                )
                .label("only lists of numbers, Strings, Bools or tuples of them can be sorted"),
            );
        }
    }

    pub(crate) fn call_static(&mut self, e: &Expr, ns: &str, method: &Ident, args: &[Arg]) -> Ty {
        let name = method.name.as_str();
        let what = format!("`{ns}.{name}`");
        if let Some(op) = Builtin::static_fn(ns, name) {
            let ret = self.call_row(e, op, &what, None, &Ty::Error, args);
            // `math.floor(n)` / `math.ceil(n)` of an Int is the Int itself.
            if matches!(op, Builtin::MathFloor | Builtin::MathCeil)
                && self.arg_ty(args, 0) == Ty::Int
            {
                if let Some(CallRes::Builtin { op, .. }) = self.out.calls.get_mut(&e.id) {
                    *op = Builtin::Identity;
                }
            }
            return ret;
        }
        let global = self.global(ns, method.span.file).into_owned();
        let ns = global.as_str();
        if let Some(&en) = self.enum_names.get(ns) {
            if let Some((v, _)) = self.out.enums[en as usize].variant(name) {
                return self.construct_variant(e, en, v, args);
            }
        }
        let static_method = match (self.struct_names.get(ns), self.enum_names.get(ns)) {
            (Some(&sid), _) => self.struct_def(sid).method(name),
            (_, Some(&en)) => self.out.enums[en as usize].method(name),
            _ => None,
        };
        {
            if let Some(func) = static_method {
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
        if let (Ty::List(elem), Some(op)) = (&t, crate::results::ListFn::by_name(name)) {
            return self.list_fn(e, op, elem, method, args);
        }
        let keyed = args
            .iter()
            .any(|a| a.name.as_ref().is_some_and(|n| n.name == "key"));
        if let (Ty::List(_), true, Some(op)) =
            (&t, keyed, crate::results::ListFn::keyed(name, true))
        {
            self.require_mutable(recv, "sorted in place");
            return self.keyed_call(e, op, Some((recv, &t)), args);
        }
        // `clone` and `copy` work on every heap value, before any method of its own.
        if let Some(op) = Builtin::method(Recv::Heap, name).filter(|_| t.is_heap()) {
            return self.call_row(e, op, &format!("`{name}`"), Some(recv), &t, args);
        }
        let own_method = match &t {
            Ty::Struct(sid, _) => self
                .struct_def(*sid)
                .method(name)
                .map(|f| (f, self.struct_def(*sid).name.clone())),
            Ty::Enum(en, _) => {
                let def = &self.out.enums[*en as usize];
                def.method(name).map(|f| (f, def.name.clone()))
            }
            _ => None,
        };
        {
            if let Some((func, sname)) = own_method {
                let takes_self = self.out.functions[func as usize]
                    .params
                    .first()
                    .is_some_and(|q| q.name == "self");
                if takes_self {
                    return self.call_fn(e, func, args, Some(recv));
                }
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
            Ty::Enum(crate::results::RESULT, _) => Some(Recv::Result),
            Ty::Tensor => Some(Recv::Tensor),
            Ty::Dataset => Some(Recv::Dataset),
            Ty::Column => Some(Recv::Column),
            Ty::GroupBy => Some(Recv::GroupBy),
            Ty::Stream => Some(Recv::Stream),
            _ => None,
        };
        let Some(op) = kind.and_then(|k| Builtin::method(k, name)) else {
            self.type_args(args);
            let shown = self.show(&t);
            let mut d = Diagnostic::error(
                codes::UNKNOWN_METHOD,
                format!("no method named `{name}` on type `{shown}`"),
                method.span,
            )
            .label("method not found");
            if let Ty::Struct(sid, _) = t {
                if self.struct_def(sid).field(name).is_some() {
                    d = d.help(format!("`{name}` is a field, not a method: drop the `()`"));
                }
            }
            if let Some(note) = self.param_note(&t) {
                d = d.note(note);
            }
            self.error(d);
            return Ty::Error;
        };
        // What a row cannot say: only lists of orderable elements can be sorted.
        if op == Builtin::ListSort {
            let et = self.row_ty(SigTy::E, &t);
            self.require_sortable(&et, method.span);
        }
        let ret = self.call_row(e, op, &format!("`{name}`"), Some(recv), &t, args);
        // `m.get(k, default)` and `m.pop(k, default)` with a default that is not optional
        // give a `V`, as Python's do.
        let default = match self.out.calls.get(&e.id) {
            Some(CallRes::Builtin {
                op: Builtin::MapGet | Builtin::MapPop,
                args: bound,
            }) => match bound.get(2) {
                Some(CallArg::Arg(i)) => Some(*i),
                _ => None,
            },
            _ => None,
        };
        match default {
            Some(i) => {
                let given = self
                    .infer
                    .shallow(&self.out.expr_ty[args[i].value.id.0 as usize]);
                if matches!(given, Ty::Optional(_) | Ty::NoneLit) {
                    ret
                } else {
                    self.row_ty(SigTy::V, &t)
                }
            }
            None => ret,
        }
    }

    /// A call of the row `op`, typed from its signature (with `recv` of type `recv_ty` as
    /// operand 0 for a method): the arguments bound to its parameters (an omitted one takes
    /// the row's default), the receiver required mutable when the row mutates it, and the
    /// arguments of the parameters that take more than one type checked after binding.
    pub(crate) fn call_row(
        &mut self,
        e: &Expr,
        op: Builtin,
        what: &str,
        recv: Option<&Expr>,
        recv_ty: &Ty,
        args: &[Arg],
    ) -> Ty {
        let sig = op
            .sig()
            .unwrap_or_else(|| unreachable!("{op:?} is typed from its row but has no signature"));
        let params: Vec<P> = sig
            .params
            .iter()
            .map(|q| P {
                name: q.name.to_string(),
                ty: self.row_ty(q.ty, recv_ty),
                default: q.default.map(|d| match d {
                    SigDefault::None => CallArg::None,
                    SigDefault::Int(n) => CallArg::Int(n),
                    SigDefault::Bool(b) => CallArg::Bool(b),
                }),
            })
            .collect();
        let ret = match sig.ret {
            // A reduction gives a number without `axis` and `keepdims`, a Tensor with either
            // (SPEC §8): the call's own keywords decide.
            SigTy::Reduced(inner) => {
                if !args.is_empty() {
                    Ty::Tensor
                } else {
                    self.row_ty(*inner, recv_ty)
                }
            }
            r => self.row_ty(r, recv_ty),
        };
        if let (true, Some(recv)) = (op.mutates_receiver(), recv) {
            self.require_mutable(recv, &format!("`{}` mutates it", op.name()));
        }
        let lead = if recv.is_some() {
            vec![CallArg::Receiver]
        } else {
            Vec::new()
        };
        let skip = lead.len();
        let bound = self.bind(e, what, &params, args, lead);
        for (q, a) in sig.params.iter().zip(bound.iter().skip(skip)) {
            if let CallArg::Arg(i) = a {
                self.check_operand(q.ty, &args[*i].value, what);
            }
        }
        if matches!(sig.ret, SigTy::Reduced(_)) {
            // A given `axis` or `keepdims` must not be `None` at run time, or the native
            // (which returns a number only when both are `None`) would disagree.
            for a in args {
                let t = self.out.expr_ty[a.value.id.0 as usize].clone();
                if matches!(self.infer.shallow(&t), Ty::Optional(_) | Ty::NoneLit) {
                    let shown = self.show(&t);
                    self.error(
                            Diagnostic::error(
                                codes::MISMATCH,
                                format!("`{}`'s `axis` and `keepdims` take an Int and a Bool, found `{shown}`", op.name()),
                                a.value.span,
                            )
                            .label("leave it out to reduce every axis"),
                    );
                }
            }
        }
        self.builtin(e, op, bound);
        ret
    }

    /// A row's signature type for a receiver of type `recv`; a fresh type for the
    /// parameters that take more than one (checked by `check_operand` once bound).
    pub(crate) fn row_ty(&mut self, s: SigTy, recv: &Ty) -> Ty {
        match sig_ty(s, recv, &self.out.structs) {
            Some(t) => t,
            None => self.infer.fresh(),
        }
    }

    /// An argument for a parameter that takes more than one type: the kind it must be.
    fn check_operand(&mut self, ty: SigTy, arg: &Expr, what: &str) {
        let t = self.unwrapped(&self.out.expr_ty[arg.id.0 as usize].clone());
        let (message, label) = match ty {
            SigTy::Heap if !t.is_heap() && t != Ty::Error => {
                let shown = self.show(&t);
                (
                    format!("`{shown}` is not reference counted"),
                    "Int, Float, Bool and None are copied, not counted".to_string(),
                )
            }
            SigTy::Numbers => {
                let ok = match &t {
                    Ty::List(el) => matches!(
                        self.infer.shallow(el),
                        Ty::Int | Ty::Float | Ty::Var(_) | Ty::Error
                    ),
                    Ty::Error => true,
                    _ => false,
                };
                if ok {
                    return;
                }
                let shown = self.show(&t);
                (
                    format!("expected a list of numbers, found `{shown}`"),
                    format!("{what} takes a `List<Float>` or `List<Int>`"),
                )
            }
            SigTy::Number if !matches!(t, Ty::Int | Ty::Float | Ty::Error) => {
                let shown = self.show(&t);
                (
                    format!("expected a number, found `{shown}`"),
                    format!("{what} takes an Int or a Float"),
                )
            }
            SigTy::Opt(SigTy::Number)
                if !matches!(t, Ty::Int | Ty::Float | Ty::Error | Ty::NoneLit) =>
            {
                let shown = self.show(&t);
                (
                    format!("expected a number, found `{shown}`"),
                    format!("{what} takes an Int or a Float"),
                )
            }
            SigTy::ColumnOrScalar
                if !matches!(
                    t,
                    Ty::Column | Ty::Int | Ty::Float | Ty::Bool | Ty::Str | Ty::Error
                ) =>
            {
                let shown = self.show(&t);
                (
                    format!(
                        "expected a `Column` or an Int, Float, Bool or String, found `{shown}`"
                    ),
                    format!("this is `{shown}`"),
                )
            }
            SigTy::Mask if !matches!(t, Ty::Column | Ty::Tensor | Ty::Error) => {
                let shown = self.show(&t);
                (
                    format!("expected a mask, found `{shown}`"),
                    format!("{what} takes a bool `Column` (`d[\"qty\"] > 3`) or a bool `Tensor`"),
                )
            }
            SigTy::ColumnData if !self.column_data(&t) => {
                let shown = self.show(&t);
                (
                    format!("expected a column's values, found `{shown}`"),
                    format!("{what} takes a `Column`, a `Tensor`, or a list of Int, Float, Bool or String"),
                )
            }
            SigTy::ColumnsMap => {
                let ok = match &t {
                    Ty::Map(k, v) => {
                        self.infer.unify(k, &Ty::Str);
                        let v = self.infer.shallow(v);
                        self.column_data(&v)
                    }
                    Ty::Error => true,
                    _ => false,
                };
                if ok {
                    return;
                }
                let shown = self.show(&t);
                (
                    format!("expected a map of columns, found `{shown}`"),
                    format!("{what} takes a `Map<String, List<…>>`, `Map<String, Tensor>` or `Map<String, Column>`"),
                )
            }
            SigTy::TensorOrNumber
                if !matches!(t, Ty::Tensor | Ty::Int | Ty::Float | Ty::Bool | Ty::Error) =>
            {
                let shown = self.show(&t);
                (
                    format!("expected a `Tensor` or a number, found `{shown}`"),
                    format!("this is `{shown}`"),
                )
            }
            _ => return,
        };
        self.error(Diagnostic::error(codes::MISMATCH, message, arg.span).label(label));
    }
}

impl Checker<'_> {
    /// Whether a value of type `t` can become a dataset column (`with_column`,
    /// `Dataset.from_columns`): a Column, a Tensor, or a list of scalars or strings.
    fn column_data(&mut self, t: &Ty) -> bool {
        match self.infer.shallow(t) {
            Ty::Column | Ty::Tensor | Ty::Error => true,
            Ty::List(el) => matches!(
                self.infer.shallow(&el),
                Ty::Int | Ty::Float | Ty::Bool | Ty::Str | Ty::Var(_) | Ty::Error
            ),
            _ => false,
        }
    }
}

/// A registry signature type with the receiver's type parameters filled in (`E` of a
/// `List<E>` receiver, …; `structs` names the runtime's structs); `None` for the parameter
/// kinds that take more than one type (`Heap`, `Numbers`, `TensorOrNumber`).
pub fn sig_ty(s: SigTy, recv: &Ty, structs: &[StructDef]) -> Option<Ty> {
    let each = |t: &SigTy| sig_ty(*t, recv, structs).map(Box::new);
    Some(match s {
        SigTy::Int => Ty::Int,
        SigTy::Float => Ty::Float,
        SigTy::Bool => Ty::Bool,
        SigTy::Str => Ty::Str,
        SigTy::Unit => Ty::Unit,
        SigTy::Tensor => Ty::Tensor,
        SigTy::Dataset => Ty::Dataset,
        SigTy::Column => Ty::Column,
        SigTy::GroupBy => Ty::GroupBy,
        SigTy::Stream => Ty::Stream,
        SigTy::E => match recv {
            Ty::List(e) | Ty::Weak(e) | Ty::Task(e) => (**e).clone(),
            Ty::Enum(crate::results::RESULT, args) => args.first().cloned().unwrap_or(Ty::Error),
            _ => Ty::Error,
        },
        SigTy::K => match recv {
            Ty::Map(k, _) => (**k).clone(),
            _ => Ty::Error,
        },
        SigTy::V => match recv {
            Ty::Map(_, v) => (**v).clone(),
            Ty::Enum(crate::results::RESULT, args) => args.get(1).cloned().unwrap_or(Ty::Error),
            _ => Ty::Error,
        },
        SigTy::Recv => recv.clone(),
        SigTy::Struct(name) => {
            let id = structs.iter().position(|d| d.builtin && d.name == name);
            Ty::Struct(
                id.expect("a row names a runtime struct") as StructId,
                Vec::new(),
            )
        }
        SigTy::Opt(inner) => (*each(inner)?).optional(),
        SigTy::List(inner) => Ty::List(each(inner)?),
        SigTy::Map(k, v) => Ty::Map(each(k)?, each(v)?),
        SigTy::Pair(a, b) => Ty::Tuple(vec![*each(a)?, *each(b)?]),
        SigTy::Result(a, b) => Ty::Enum(crate::results::RESULT, vec![*each(a)?, *each(b)?]),
        SigTy::Reduced(inner) => return sig_ty(*inner, recv, structs),
        SigTy::Heap
        | SigTy::Numbers
        | SigTy::TensorOrNumber
        | SigTy::Number
        | SigTy::ColumnOrScalar
        | SigTy::ColumnData
        | SigTy::ColumnsMap
        | SigTy::Mask => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::results::{Builtin, CallRes, IndexRes};
    use stark_syntax::{Recv, SigTy};

    /// An argument of type `ty` in the test program below.
    fn sample(ty: SigTy) -> &'static str {
        match ty {
            SigTy::Int | SigTy::E | SigTy::V => "1",
            SigTy::Float | SigTy::TensorOrNumber | SigTy::Number => "1.5",
            SigTy::List(&SigTy::Tensor) => "[tn.clone()]",
            SigTy::Str | SigTy::K => "\"a\"",
            SigTy::Bool => "true",
            SigTy::List(&SigTy::Int) => "[2]",
            SigTy::List(&SigTy::E) => "l",
            SigTy::List(&SigTy::Str) => "[\"a\"]",
            SigTy::Tensor => "tn",
            SigTy::Heap => "l",
            SigTy::Numbers => "[1.5]",
            SigTy::Dataset => "ds",
            SigTy::Column | SigTy::Mask => "col",
            SigTy::ColumnOrScalar => "1.5",
            SigTy::ColumnData => "[1.5]",
            SigTy::ColumnsMap => "{\"a\": [1.5]}",
            SigTy::Map(&SigTy::Str, &SigTy::Str) => "{\"a\": \"sum\"}",
            other => panic!("no sample argument of type {other:?}"),
        }
    }

    /// Every row is what the checker resolves a call of its name on its receiver to (a
    /// method, a namespace function, a free function), its operator to (the tensor
    /// operators) or its indexing to (the tensor indexing).
    #[test]
    fn every_row_is_resolved_by_the_checker() {
        let mut body = String::new();
        let mut calls = Vec::new();
        for (i, &b) in Builtin::ROWS.iter().enumerate() {
            let recv = match b.receiver() {
                Recv::Str => "s".to_string(),
                Recv::List | Recv::Heap => "l".to_string(),
                Recv::Map => "m".to_string(),
                Recv::Weak => "w".to_string(),
                Recv::Result => "r".to_string(),
                Recv::Tensor => "tn".to_string(),
                Recv::Dataset => "ds".to_string(),
                Recv::Column => "col".to_string(),
                Recv::GroupBy => "gb".to_string(),
                Recv::Stream => "st".to_string(),
                Recv::Task => {
                    body.push_str(&format!("    let t{i} = spawn work(1)\n"));
                    format!("t{i}")
                }
                Recv::Memory
                | Recv::Gc
                | Recv::Math
                | Recv::TensorNs
                | Recv::DatasetNs
                | Recv::File => b.receiver().namespace().unwrap_or_default().to_string(),
                Recv::Free => {
                    let call = match (b, b.sig()) {
                        (_, Some(sig)) => {
                            let args: Vec<&str> = sig
                                .params
                                .iter()
                                .filter(|p| p.default.is_none())
                                .map(|p| sample(p.ty))
                                .collect();
                            format!("{}({})", b.name(), args.join(", "))
                        }
                        // The free functions the checker types by hand, one call each.
                        (Builtin::Print, _) => "print(1)".into(),
                        (Builtin::Str, _) => "str(1)".into(),
                        (Builtin::ParseInt, _) => "int(\"1\")".into(),
                        (Builtin::FloatToInt, _) => "int(1.5)".into(),
                        (Builtin::ParseFloat, _) => "float(\"1\")".into(),
                        (Builtin::IntToFloat, _) => "float(1)".into(),
                        (Builtin::Identity, _) => "int(1)".into(),
                        (Builtin::Range, _) => "range(3)".into(),
                        (Builtin::Enumerate, _) => "enumerate(l)".into(),
                        (Builtin::Zip, _) => "zip(l, l)".into(),
                        (Builtin::DivMod, _) => "divmod(7, 2)".into(),
                        (Builtin::ListNew, _) => "print(len(List()))".into(),
                        (Builtin::MapNew, _) => "print(len(Map()))".into(),
                        (Builtin::WeakNew, _) => "WeakRef(l.clone())".into(),
                        (Builtin::AbsInt, _) => "abs(-1)".into(),
                        (Builtin::AbsFloat, _) => "abs(-1.5)".into(),
                        (Builtin::Min, _) => "min(1, 2)".into(),
                        (Builtin::Max, _) => "max(l)".into(),
                        (Builtin::MinDefault, _) => "min(l, default=0)".into(),
                        (Builtin::MaxDefault, _) => "max(l, default=0)".into(),
                        (Builtin::SumInt, _) => "sum(l)".into(),
                        (Builtin::SumFloat, _) => "sum([1.5])".into(),
                        (Builtin::Round, _) => "round(1.5)".into(),
                        (Builtin::RoundDigits, _) => "round(1.5, 1)".into(),
                        (Builtin::RoundIntDigits, _) => "round(15, -1)".into(),
                        (other, None) => panic!("no sample call of {other:?}"),
                    };
                    body.push_str(&format!("    {call}\n"));
                    calls.push(b);
                    continue;
                }
            };
            match b.name() {
                "[]" if b.receiver() == Recv::Dataset => body.push_str("    print(ds[\"a\"])\n"),
                "[]" => body.push_str("    print(tn[0])\n"),
                "[]=" => body.push_str("    tn[0] = 2.5\n"),
                "[]f" => body.push_str("    let f0: Float = tn[0]\n"),
                "[]i" => body.push_str("    let i0: Int = tn[0]\n"),
                name if !name.starts_with(|c: char| c.is_alphabetic() || c == '_') => {
                    let other =
                        sample(b.sig().expect("operator rows have signatures").params[0].ty);
                    body.push_str(&format!("    print({recv} {name} {other})\n"));
                }
                name => {
                    let sig = b.sig().expect("method and namespace rows have signatures");
                    let args: Vec<&str> = sig
                        .params
                        .iter()
                        .filter(|p| p.default.is_none())
                        .map(|p| sample(p.ty))
                        .collect();
                    body.push_str(&format!("    {recv}.{name}({})\n", args.join(", ")));
                    calls.push(b);
                }
            }
        }
        let src = format!(
            "fn work(n: Int) -> Int:\n    return n\n\nfn main():\n    \
             mutable let s = \"a b\"\n    mutable let l = [1, 2]\n    \
             mutable let m = {{\"a\": 1}}\n    let w = WeakRef(l.clone())\n    \
             mutable let tn = Tensor.zeros([2])\n    let ds = Dataset.load(\"d.csv\")\n    \
             let col = ds[\"a\"]\n    let gb = ds.group_by(\"a\")\n    \
             let st = File.open(\"f.txt\")\n    let r = parse_int(\"1\")\n{body}"
        );
        let (program, diags) = stark_syntax::parse(&src);
        assert!(diags.is_empty(), "{diags:?}\n{src}");
        let (checked, diags) = crate::check(&program);
        assert!(diags.is_empty(), "{diags:?}\n{src}");
        for b in calls {
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
        // The operators are typed through their rows (`tensor.rs`), and lowering finds the
        // same row by the same lookup; indexing a Tensor is the `[]` and `[]=` rows.
        for op in stark_syntax::builtin::TENSOR_OPERATORS {
            let row = Builtin::operator(Recv::Tensor, op).expect("a row");
            assert!(src.contains(&format!("tn {} ", row.name())), "{row:?}");
        }
        let tensor_indexes = checked
            .indexes
            .values()
            .filter(|r| **r == IndexRes::Tensor)
            .count();
        assert_eq!(tensor_indexes, 2, "{src}");
        // `[]f` and `[]i`: an index where a Float or an Int is expected.
        for res in [IndexRes::TensorFloat, IndexRes::TensorInt] {
            assert_eq!(
                checked.indexes.values().filter(|r| **r == res).count(),
                1,
                "{res:?}\n{src}"
            );
        }
    }
}
