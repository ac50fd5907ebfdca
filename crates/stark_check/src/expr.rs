//! Types of expressions: literals, names, operators, fields, indexing, f-strings.

use crate::checker::Checker;
use crate::results::{CallRes, IndexRes, NameRes};
use crate::types::*;
use stark_syntax::ast::{BinOp, Expr, ExprKind, Ident, UnOp};
use stark_syntax::{codes, Diagnostic};

/// Names that denote built-in namespaces or constructors rather than values.
pub const NAMESPACES: &[&str] = &["Memory", "GC", "Tensor", "Dataset", "File", "math"];

impl Checker<'_> {
    /// Types `e`, records the type, and returns it.
    pub fn expr(&mut self, e: &Expr) -> Ty {
        let ty = self.expr_inner(e);
        self.record(e.id, &ty);
        ty
    }

    /// `key` as a map's key type, reported at `span` when it cannot be one (SPEC §4, §5).
    fn map_key(&mut self, key: &Ty, span: stark_syntax::Span) -> Ty {
        let key = self.infer.shallow(key);
        if !self.infer.resolve(&key).is_map_key() {
            let shown = self.show(&key);
            self.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    format!("`{shown}` cannot be a map key"),
                    span,
                )
                .help("map keys are `Int`, `String`, `Bool` or tuples of them"),
            );
        }
        key
    }

    /// Types `e` where a value of type `expected` is required (a coercion site).
    pub fn expr_expect(&mut self, e: &Expr, expected: &Ty) -> Ty {
        self.expect_hint(e, expected);
        let found = self.expr(e);
        self.expect_expr(e, &found, expected);
        self.out.expr_ty[e.id.0 as usize].clone()
    }

    fn expr_inner(&mut self, e: &Expr) -> Ty {
        match &e.kind {
            ExprKind::Int(_) => Ty::Int,
            ExprKind::Float(_) => Ty::Float,
            ExprKind::Str(_) => Ty::Str,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::None => Ty::NoneLit,
            ExprKind::Error(parts) => {
                // What recovery kept of a broken expression: typed for tools, quietly (its
                // syntax error is the one diagnostic for it).
                self.quiet += 1;
                for part in parts {
                    self.expr(part);
                }
                self.quiet -= 1;
                Ty::Error
            }
            ExprKind::FStr(parts) => self.fstring(parts),
            ExprKind::Slice { lo, hi, step } => {
                for part in [lo, hi, step].into_iter().flatten() {
                    self.expr_expect(part, &Ty::Int);
                }
                self.error(
                    Diagnostic::error(codes::SYNTAX, "a slice is only valid inside `[]`", e.span)
                        .label("not an index"),
                );
                Ty::Error
            }
            ExprKind::Name(name) => self.name(e, name),
            ExprKind::List(items) => {
                // `let xs: List<Float> = [t[0], t[1]]`: tensor elements convert to the
                // expected number (or Bool), as they would one by one (SPEC §8).
                let want = match self.expected_literal(e) {
                    Some(Ty::List(el)) => Some(*el),
                    _ => None,
                };
                let mut elem = self.infer.fresh();
                for item in items {
                    let t = self.expr(item);
                    let t = self.literal_part(item, t, want.as_ref());
                    self.require_value(&t, item);
                    elem = self.join(&elem, &t, item);
                }
                Ty::List(Box::new(elem))
            }
            ExprKind::Map(pairs) => {
                let want = match self.expected_literal(e) {
                    Some(Ty::Map(_, v)) => Some(*v),
                    _ => None,
                };
                let mut key = self.infer.fresh();
                let mut val = self.infer.fresh();
                for (k, v) in pairs {
                    let kt = self.expr(k);
                    key = self.join(&key, &kt, k);
                    let vt = self.expr(v);
                    let vt = self.literal_part(v, vt, want.as_ref());
                    self.require_value(&vt, v);
                    val = self.join(&val, &vt, v);
                }
                let key = self.map_key(&key, e.span);
                Ty::Map(Box::new(key), Box::new(val))
            }
            ExprKind::Comp(comp) => {
                self.scopes.push(std::collections::HashMap::new());
                self.for_header(&comp.var, false, &comp.iter);
                let narrowed = self.narrow.clone();
                if let Some(c) = &comp.cond {
                    self.expr_expect(c, &Ty::Bool);
                    // `[x + 1 for x in xs if x != None]`: the filter narrows the element.
                    self.apply_facts(c, true);
                }
                let key = comp.key.as_ref().map(|k| (self.expr(k), k));
                let elem = self.expr(&comp.elem);
                self.narrow = narrowed;
                self.require_value(&elem, &comp.elem);
                self.scopes.pop();
                let elem = if elem == Ty::NoneLit {
                    self.infer.fresh().optional()
                } else {
                    elem
                };
                match key {
                    None => Ty::List(Box::new(elem)),
                    Some((k, key_expr)) => {
                        let k = self.map_key(&k, key_expr.span);
                        Ty::Map(Box::new(k), Box::new(elem))
                    }
                }
            }
            ExprKind::Tuple(items) => {
                self.out.tuples.insert(e.id);
                let wants = match self.expected_literal(e) {
                    Some(Ty::Tuple(parts)) if parts.len() == items.len() => parts,
                    _ => Vec::new(),
                };
                let parts = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let t = self.expr(item);
                        let t = self.literal_part(item, t, wants.get(i));
                        self.require_value(&t, item);
                        if t == Ty::NoneLit {
                            // A bare `None` part has no type to give it here.
                            self.infer.fresh().optional()
                        } else {
                            t
                        }
                    })
                    .collect();
                Ty::Tuple(parts)
            }
            ExprKind::Unary(op, inner) => {
                let t = self.expr(inner);
                let t = self.infer.shallow(&t);
                match (op, &t) {
                    (_, Ty::Error) => Ty::Error,
                    (UnOp::Neg, Ty::Int | Ty::Float | Ty::Tensor) => t,
                    (UnOp::Not, Ty::Bool) => Ty::Bool,
                    // `not t[0]`: the element's truth (NumPy's `not a`).
                    (UnOp::Not, Ty::Tensor) => {
                        self.tensor_scalar(inner, &Ty::Bool);
                        Ty::Bool
                    }
                    _ => {
                        let shown = self.show(&t);
                        let sym = if *op == UnOp::Neg { "-" } else { "not" };
                        let mut d = Diagnostic::error(
                            codes::BAD_UNARY,
                            format!("cannot apply unary `{sym}` to `{shown}`"),
                            e.span,
                        )
                        .label(format!("this is `{shown}`"));
                        if let Some(note) = self.param_note(&t) {
                            d = d.note(note);
                        }
                        self.error(d);
                        Ty::Error
                    }
                }
            }
            ExprKind::Binary(op, a, b) => self.binary(e, *op, a, b),
            ExprKind::Compare { first, rest } => {
                // Each link is typed as the comparison it stands for; the chain is a Bool.
                let mut left = &**first;
                let mut lt = self.expr(left);
                for (op, right) in rest {
                    let rt = self.expr(right);
                    let span = left.span.to(right.span);
                    self.binary_result(span, *op, left, &lt, right, &rt);
                    left = right;
                    lt = rt;
                }
                Ty::Bool
            }
            ExprKind::IfElse {
                cond,
                then,
                otherwise,
            } => {
                self.expr_expect(cond, &Ty::Bool);
                let before = self.narrow.clone();
                self.apply_facts(cond, true);
                let tt = self.expr(then);
                self.narrow = before.clone();
                self.apply_facts(cond, false);
                let to = self.expr(otherwise);
                self.narrow = before;
                self.require_value(&tt, then);
                self.require_value(&to, otherwise);
                if tt == Ty::Unit || to == Ty::Unit {
                    return Ty::Error;
                }
                // Both arms have one type (an Int arm widens to Float, `None` makes it `T?`).
                self.join(&tt, &to, otherwise)
            }
            ExprKind::Call { callee, args } => self.call(e, callee, args),
            ExprKind::Lambda { params, body } => self.lambda(e, params, body),
            ExprKind::Field(base, field) => {
                if let Some(path) = self.module_path(base) {
                    return self.module_field(e, path, field);
                }
                if let ExprKind::Name(n) = &base.kind {
                    if self.lookup_local(n).is_none() && self.is_namespace(n, base.span.file) {
                        if let Some(&en) = self.enum_names.get(&*self.global(n, base.span.file)) {
                            return self.unit_variant(e, en, field);
                        }
                        if let Some(v) = (n == "math")
                            .then(|| stark_syntax::math_constant(&field.name))
                            .flatten()
                        {
                            self.out.float_consts.insert(e.id, v);
                            return Ty::Float;
                        }
                        if n == "math" && stark_syntax::Builtin::static_fn(n, &field.name).is_none()
                        {
                            let names: Vec<String> = stark_syntax::MATH_CONSTANTS
                                .iter()
                                .map(|(c, _)| format!("`{c}`"))
                                .collect();
                            self.error(
                                Diagnostic::error(
                                    codes::UNKNOWN_NAME,
                                    format!("no constant named `{}` in `math`", field.name),
                                    field.span,
                                )
                                .label("unknown constant")
                                .help(format!("the constants of `math` are {}", names.join(", "))),
                            );
                            return Ty::Error;
                        }
                        self.error(
                            Diagnostic::error(
                                codes::UNKNOWN_NAME,
                                format!("`{n}.{}` is not a value", field.name),
                                e.span,
                            )
                            .help(format!("call it: `{n}.{}(…)`", field.name)),
                        );
                        return Ty::Error;
                    }
                }
                let bt = self.expr(base);
                match self.unwrapped(&bt) {
                    Ty::Tuple(parts) => {
                        let index = field
                            .name
                            .parse::<usize>()
                            .ok()
                            .filter(|i| *i < parts.len());
                        match index {
                            Some(i) => {
                                self.out.fields.insert(e.id, i);
                                parts[i].clone()
                            }
                            None => {
                                let shown = self.show(&Ty::Tuple(parts.clone()));
                                self.error(
                                    Diagnostic::error(
                                        codes::UNKNOWN_FIELD,
                                        format!("no field `{}` on type `{shown}`", field.name),
                                        field.span,
                                    )
                                    .label(format!(
                                        "a tuple of {} has fields `0` to `{}`",
                                        parts.len(),
                                        parts.len() - 1
                                    )),
                                );
                                Ty::Error
                            }
                        }
                    }
                    Ty::Struct(id, targs) => match self.struct_def(id).field(&field.name) {
                        Some((index, def)) => {
                            let ty = def.ty.subst(&targs);
                            self.out.fields.insert(e.id, index);
                            ty
                        }
                        None => {
                            let sname = self.struct_def(id).name.clone();
                            let has_method = self.struct_def(id).method(&field.name).is_some();
                            let mut d = Diagnostic::error(
                                codes::UNKNOWN_FIELD,
                                format!("no field `{}` on type `{sname}`", field.name),
                                field.span,
                            )
                            .label("unknown field");
                            if has_method {
                                d = d.help(format!(
                                    "`{}` is a method: call it with `()`",
                                    field.name
                                ));
                            }
                            self.error(d);
                            Ty::Error
                        }
                    },
                    Ty::Error => Ty::Error,
                    Ty::Tensor if field.name == "T" => {
                        self.out.tensor_t.insert(e.id);
                        Ty::Tensor
                    }
                    other => {
                        let shown = self.show(&other);
                        let mut d = Diagnostic::error(
                            codes::UNKNOWN_FIELD,
                            format!("no field `{}` on type `{shown}`", field.name),
                            field.span,
                        )
                        .label("unknown field");
                        if let Some(note) = self.param_note(&other) {
                            d = d.note(note);
                        }
                        self.error(d);
                        Ty::Error
                    }
                }
            }
            ExprKind::Try(inner) => self.try_expr(e, inner),
            ExprKind::Index(base, indices) => self.index(e, base, indices),
            ExprKind::Spawn { call, quota } => self.spawn(call, quota.as_deref()),
        }
    }

    fn index(&mut self, e: &Expr, base: &Expr, indices: &[Expr]) -> Ty {
        let bt = self.expr(base);
        let is_slice = |i: &Expr| matches!(i.kind, ExprKind::Slice { .. });
        let base_ty = self.unwrapped(&bt);
        // A slice's bounds are Ints where slicing means something; the slice itself has no
        // type of its own.
        let sliceable = matches!(
            base_ty,
            Ty::Str | Ty::List(_) | Ty::Error | Ty::Var(_) | Ty::Tensor
        );
        let its: Vec<Ty> = indices
            .iter()
            .map(|i| match &i.kind {
                ExprKind::Slice { lo, hi, step } => {
                    for part in [lo, hi, step].into_iter().flatten() {
                        if sliceable {
                            self.expr_expect(part, &Ty::Int);
                        } else {
                            self.expr(part);
                        }
                    }
                    self.record(i.id, &Ty::Unit);
                    Ty::Unit
                }
                _ => self.expr(i),
            })
            .collect();
        if base_ty == Ty::Tensor && !indices.is_empty() {
            // Ints, slices, or one bool mask tensor (SPEC §8); always a Tensor, since the
            // rank is not in the type (a 0-d one when every axis has an Int).
            for (t, i) in its.iter().zip(indices) {
                let t = self.infer.shallow(t);
                let mask = t == Ty::Tensor && indices.len() == 1;
                if !is_slice(i) && !mask && t != Ty::Error {
                    self.expect_expr(i, &t, &Ty::Int);
                }
            }
            self.out.indexes.insert(e.id, IndexRes::Tensor);
            return Ty::Tensor;
        }
        if indices.len() != 1 {
            self.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    format!("expected one index, found {}", indices.len()),
                    e.span,
                )
                .label("multi-dimensional indexing is for tensors"),
            );
            return Ty::Error;
        }
        let slice = is_slice(&indices[0]);
        match base_ty {
            Ty::List(_) if slice => {
                self.out.indexes.insert(e.id, IndexRes::ListSlice);
                base_ty
            }
            Ty::List(elem) => {
                self.expect(&its[0], &Ty::Int, indices[0].span);
                self.out.indexes.insert(e.id, IndexRes::List);
                *elem
            }
            Ty::Str => {
                if slice {
                    self.out.indexes.insert(e.id, IndexRes::StrSlice);
                } else {
                    self.expect(&its[0], &Ty::Int, indices[0].span);
                    self.out.indexes.insert(e.id, IndexRes::Str);
                }
                Ty::Str
            }
            Ty::Map(..) if slice => {
                self.error(
                    Diagnostic::error(codes::MISMATCH, "a map cannot be sliced", indices[0].span)
                        .label("a slice of a map")
                        .help("slices are for strings and lists"),
                );
                Ty::Error
            }
            Ty::Map(k, v) => {
                self.expect(&its[0], &k, indices[0].span);
                self.out.indexes.insert(e.id, IndexRes::Map);
                *v
            }
            Ty::Dataset if !slice => {
                self.expect(&its[0], &Ty::Str, indices[0].span);
                self.out.indexes.insert(e.id, IndexRes::Dataset);
                Ty::Column
            }
            Ty::Error => Ty::Error,
            other => {
                let shown = self.show(&other);
                self.error(
                    Diagnostic::error(
                        codes::MISMATCH,
                        format!("cannot index into a value of type `{shown}`"),
                        base.span,
                    )
                    .label("not a string, list, map, tensor or dataset"),
                );
                Ty::Error
            }
        }
    }

    /// The type with one level of `?` removed (a `T?` is accepted where `T` is expected).
    pub fn unwrapped(&self, ty: &Ty) -> Ty {
        match self.infer.shallow(ty) {
            Ty::Optional(inner) => self.infer.shallow(&inner),
            other => other,
        }
    }

    /// `Shape.Empty`: a variant without payload, used as a value.
    pub(crate) fn unit_variant(&mut self, e: &Expr, en: EnumId, field: &Ident) -> Ty {
        let def = &self.out.enums[en as usize];
        let ename = def.name.clone();
        let Some((_, v)) = def.variant(&field.name) else {
            let d = Diagnostic::error(
                codes::UNKNOWN_NAME,
                format!("no variant named `{}` in enum `{ename}`", field.name),
                field.span,
            )
            .label("unknown variant");
            self.error(d);
            return Ty::Error;
        };
        let strukt = v.strukt;
        let arity = self.out.structs[strukt as usize].fields.len();
        if arity > 0 {
            self.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    format!("`{ename}.{}` carries a payload", field.name),
                    e.span,
                )
                .help(format!(
                    "build it with its fields: `{ename}.{}(…)`",
                    field.name
                )),
            );
            return Ty::Error;
        }
        let args = Vec::new();
        self.out
            .calls
            .insert(e.id, CallRes::Ctor { ty: strukt, args });
        let targs = (0..self.out.enums[en as usize].params.len())
            .map(|_| self.infer.fresh())
            .collect();
        Ty::Enum(en, targs)
    }

    /// `e?` (SPEC §6): the `Ok` value of a `Result` in a function returning a `Result`
    /// with the same error type, or the value of a `T?` in a function returning an
    /// optional; E0033 elsewhere.
    fn try_expr(&mut self, e: &Expr, inner: &Expr) -> Ty {
        let t = self.expr(inner);
        let t = self.infer.shallow(&t);
        let ret = self.out.functions[self.cur_fn as usize].ret.clone();
        match (&t, &ret) {
            (Ty::Error, _) | (_, Ty::Error) => Ty::Error,
            (Ty::Enum(crate::results::RESULT, a), Ty::Enum(crate::results::RESULT, r)) => {
                let (err, want) = (
                    a.get(1).cloned().unwrap_or(Ty::Error),
                    r.get(1).cloned().unwrap_or(Ty::Error),
                );
                if !self.infer.unify(&err, &want) {
                    let fname = self.out.functions[self.cur_fn as usize].name.clone();
                    let (shown_err, shown_ret) = (self.show(&err), self.show(&ret));
                    self.error(
                        Diagnostic::error(
                            codes::BAD_TRY,
                            format!(
                                "the `?` operator cannot return this `{shown_err}` error from `{fname}`, which returns `{shown_ret}`"
                            ),
                            e.span,
                        )
                        .label(format!("an `Err` here holds a `{shown_err}`"))
                        .help("convert the error first, or match on the result"),
                    );
                }
                a.first().cloned().unwrap_or(Ty::Error)
            }
            (Ty::Optional(inner_ty), Ty::Optional(_)) => (**inner_ty).clone(),
            _ => {
                let fname = self.out.functions[self.cur_fn as usize].name.clone();
                let shown_ret = self.show(&ret);
                let shown = self.show(&t);
                let is_result = matches!(t, Ty::Enum(crate::results::RESULT, _));
                let fits = is_result || matches!(t, Ty::Optional(_));
                let mut d = Diagnostic::error(
                    codes::BAD_TRY,
                    format!(
                        "the `?` operator cannot be used in `{fname}`, which returns `{shown_ret}`"
                    ),
                    e.span,
                );
                d = if fits {
                    d.label(format!("this `{shown}` may end the function early"))
                        .help(if is_result {
                            "`?` on a `Result` needs a function returning a `Result` with the same error type"
                        } else {
                            "`?` on a `T?` needs a function returning an optional"
                        })
                } else {
                    d.label(format!("`?` takes a `Result` or a `T?`, not `{shown}`"))
                };
                self.error(d);
                Ty::Error
            }
        }
    }

    pub fn is_namespace(&self, name: &str, file: stark_syntax::FileId) -> bool {
        let name = &*self.global(name, file);
        NAMESPACES.contains(&name)
            || self.struct_names.contains_key(name)
            || self.enum_names.contains_key(name)
    }

    fn name(&mut self, e: &Expr, name: &str) -> Ty {
        if let Some((depth, local)) = self.lookup_local_at(name) {
            let local = self.capture(name, depth, local);
            self.out.names.insert(e.id, NameRes::Local(local));
            if let Some(narrowed) = self.narrowed(local) {
                return narrowed.clone();
            }
            // A name bound to a value of type `None` (`case Ok(v):` on a
            // `Result<None, E>`) reads as the value `None`.
            if self.out.locals[local as usize].ty == Ty::Unit {
                return Ty::NoneLit;
            }
            return self.out.locals[local as usize].ty.clone();
        }
        let global = self.global(name, e.span.file);
        if let Some(&c) = self.const_names.get(&*global) {
            self.out.names.insert(e.id, NameRes::Const(c));
            return self.out.consts[c].ty.clone();
        }
        if let Some(&func) = self.fn_names.get(&*global) {
            return self.fn_value(e, func);
        }
        let what = if self.fn_names.contains_key(&*global) {
            Some("function")
        } else if self.is_namespace(name, e.span.file) {
            Some("type")
        } else {
            None
        };
        let d = match what {
            Some(kind) => Diagnostic::error(
                codes::UNKNOWN_NAME,
                format!("{kind} `{name}` is not a value"),
                e.span,
            )
            .help(format!("call it: `{name}(…)`")),
            None => Diagnostic::error(
                codes::UNKNOWN_NAME,
                format!("cannot find value `{name}` in this scope"),
                e.span,
            )
            .label("not found in this scope"),
        };
        self.error(d);
        Ty::Error
    }

    /// `()` (the result of a function without a return type) is not a value.
    pub fn require_value(&mut self, ty: &Ty, e: &Expr) {
        if *ty == Ty::Unit {
            self.error(
                Diagnostic::error(codes::MISMATCH, "this expression has no value", e.span)
                    .label("returns nothing"),
            );
        }
    }

    /// The common type of two values that must share one (list elements, map values).
    pub fn join(&mut self, acc: &Ty, next: &Ty, at: &Expr) -> Ty {
        let (a, b) = (self.infer.shallow(acc), self.infer.shallow(next));
        match (&a, &b) {
            (Ty::Var(_), _) => {
                self.infer.unify(&a, &b);
                b
            }
            (Ty::Int, Ty::Float) => Ty::Float,
            (Ty::Float, Ty::Int) => Ty::Float,
            (Ty::NoneLit, other) | (other, Ty::NoneLit) if *other != Ty::NoneLit => {
                other.clone().optional()
            }
            (Ty::Optional(_), _) => {
                self.expect(&b, &a, at.span);
                a
            }
            (_, Ty::Optional(_)) => {
                self.expect(&a, &b, at.span);
                b
            }
            _ => {
                if !self.infer.unify(&a, &b) {
                    self.mismatch(&a, &b, at.span);
                }
                a
            }
        }
    }

    /// The type expected of literal `e` (`let xs: List<Float> = [...]`, an argument, a
    /// `return`), resolved, if one was recorded.
    fn expected_literal(&mut self, e: &Expr) -> Option<Ty> {
        self.expected.remove(&e.id).map(|t| self.infer.resolve(&t))
    }

    /// A literal's part of type `t` where `want` is expected: a tensor converts to an
    /// expected Float, Int or Bool, as it would alone (SPEC §8: `[t[0], t[1]]`,
    /// `{"a": t[0]}`, `(t[0], n)`).
    fn literal_part(&mut self, part: &Expr, t: Ty, want: Option<&Ty>) -> Ty {
        match want {
            Some(w) if t == Ty::Tensor && matches!(w, Ty::Float | Ty::Int | Ty::Bool) => {
                self.tensor_scalar(part, w);
                w.clone()
            }
            _ => t,
        }
    }

    fn binary(&mut self, e: &Expr, op: BinOp, a: &Expr, b: &Expr) -> Ty {
        let ta = self.expr(a);
        let tb = if matches!(op, BinOp::And | BinOp::Or) {
            // `x != None and x > 0`: the right operand runs only when the left is true
            // (false for `or`), so it knows what that proves.
            let before = self.narrow.clone();
            self.apply_facts(a, op == BinOp::And);
            let tb = self.expr(b);
            self.narrow = before;
            tb
        } else {
            self.expr(b)
        };
        self.binary_result(e.span, op, a, &ta, b, &tb)
    }

    /// The type of `a op b` from its operands' types (a binary expression, or one link of
    /// a comparison chain spanning `span`).
    pub(crate) fn binary_result(
        &mut self,
        span: stark_syntax::Span,
        op: BinOp,
        a: &Expr,
        ta: &Ty,
        b: &Expr,
        tb: &Ty,
    ) -> Ty {
        let (ta, tb) = (self.infer.shallow(ta), self.infer.shallow(tb));
        if ta == Ty::Error || tb == Ty::Error {
            return if is_comparison(op) {
                Ty::Bool
            } else {
                Ty::Error
            };
        }
        if let Some(t) = self.tensor_binary(op, &ta, &tb) {
            return t;
        }
        if let Some(t) = self.column_binary(op, &ta, &tb) {
            return t;
        }
        let numeric = ta.is_numeric() && tb.is_numeric();
        let result = match op {
            BinOp::And | BinOp::Or => {
                // A tensor operand is tested for truth, as in a condition.
                self.expect_expr(a, &ta, &Ty::Bool);
                self.expect_expr(b, &tb, &Ty::Bool);
                return Ty::Bool;
            }
            BinOp::Eq | BinOp::Ne => {
                if ta == Ty::NoneLit || tb == Ty::NoneLit {
                    let (other, other_e) = if ta == Ty::NoneLit {
                        (&tb, b)
                    } else {
                        (&ta, a)
                    };
                    match other {
                        Ty::Optional(_) | Ty::NoneLit => {}
                        Ty::Var(_) => {
                            let fresh = self.infer.fresh().optional();
                            self.infer.unify(other, &fresh);
                        }
                        // Narrowed here, but still a `T?` binding: testing it again is fine.
                        _ if self.is_narrowed_name(other_e) => {}
                        _ => {
                            let shown = self.show(other);
                            self.error(
                                Diagnostic::error(
                                    codes::NOT_OPTIONAL,
                                    format!("`{shown}` is not optional and is never `None`"),
                                    other_e.span,
                                )
                                .label(format!("this is `{shown}`, not `{shown}?`"))
                                .help(format!("declare it as `{shown}?` if it may be absent")),
                            );
                        }
                    }
                    return Ty::Bool;
                }
                if numeric || self.infer.coerce(&tb, &ta) || self.infer.coerce(&ta, &tb) {
                    Some(Ty::Bool)
                } else {
                    None
                }
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let tuples = matches!((&ta, &tb), (Ty::Tuple(_), Ty::Tuple(_)))
                    && self.infer.unify(&ta, &tb)
                    && orderable(&self.infer.resolve(&ta));
                if numeric || (ta == Ty::Str && tb == Ty::Str) || tuples {
                    Some(Ty::Bool)
                } else {
                    None
                }
            }
            BinOp::In | BinOp::NotIn => {
                // Sugar for `contains`: the container is a receiver, so a `T?` one is
                // unwrapped (a runtime check) as for a method call.
                match self.unwrapped(&tb) {
                    Ty::List(elem) => {
                        self.expect(&ta, &elem, a.span);
                        Some(Ty::Bool)
                    }
                    Ty::Map(key, _) => {
                        self.expect(&ta, &key, a.span);
                        Some(Ty::Bool)
                    }
                    Ty::Str if self.infer.coerce(&ta, &Ty::Str) => Some(Ty::Bool),
                    _ => None,
                }
            }
            BinOp::Add if ta == Ty::Str && tb == Ty::Str => Some(Ty::Str),
            // `xs + ys`: a new list of both lists' elements (one element type).
            BinOp::Add if matches!(ta, Ty::List(_)) && matches!(tb, Ty::List(_)) => {
                self.infer.unify(&ta, &tb).then(|| ta.clone())
            }
            // `xs * n`, `n * xs`: the elements `n` times over.
            BinOp::Mul if matches!((&ta, &tb), (Ty::List(_), Ty::Int)) => Some(ta.clone()),
            BinOp::Mul if matches!((&ta, &tb), (Ty::Int, Ty::List(_))) => Some(tb.clone()),
            // `"ab" * 3`, `3 * "ab"`: repetition, as in Python.
            BinOp::Mul if (ta == Ty::Str && tb == Ty::Int) || (ta == Ty::Int && tb == Ty::Str) => {
                Some(Ty::Str)
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod | BinOp::Pow => {
                if !numeric {
                    None
                } else if ta == Ty::Float || tb == Ty::Float {
                    Some(Ty::Float)
                } else {
                    Some(Ty::Int)
                }
            }
            BinOp::MatMul => None,
        };
        match result {
            Some(t) => t,
            None => {
                let (sa, sb) = (self.show(&ta), self.show(&tb));
                let mut d = Diagnostic::error(
                    codes::BAD_BINARY,
                    format!("cannot apply `{}` to `{sa}` and `{sb}`", op.symbol()),
                    span,
                )
                .secondary(a.span, format!("`{sa}`"))
                .secondary(b.span, format!("`{sb}`"));
                let refused = self
                    .refused_narrowing(a)
                    .or_else(|| self.refused_narrowing(b));
                if let Some(note) = self.param_note(&ta).or_else(|| self.param_note(&tb)) {
                    d = d.note(note);
                } else if matches!(op, BinOp::In | BinOp::NotIn) {
                    d = d.help("`in` looks for an element of a List, a key of a Map or a substring of a String");
                } else if let Some(name) = refused {
                    d = d.help(format!(
                        "`{name}` is a `mutable let`, so comparing it with `None` does not narrow it (it could be reassigned): bind it with `let` first, `let {name}2 = {name}`, and test that"
                    ));
                } else if matches!(ta, Ty::Optional(_)) || matches!(tb, Ty::Optional(_)) {
                    d = d.help("compare with `None` first (`if x != None:`), or pass the value where a plain type is expected");
                } else if op == BinOp::Add
                    && (ta == Ty::Str || tb == Ty::Str)
                    && ta != Ty::Tensor
                    && tb != Ty::Tensor
                {
                    d = d.help("convert with `str(…)` first, or use an f-string");
                } else if op == BinOp::MatMul {
                    d = d.help("`@` is the matrix product of two tensors");
                } else if ta == Ty::Column || tb == Ty::Column {
                    d = d.help("a column compares (`<`, `==`, …) with a number, a String, a Bool or another column; for arithmetic, use `to_tensor()`");
                } else if ta == Ty::Tensor || tb == Ty::Tensor {
                    d = d.help(
                        "tensors take `+ - * /` with a tensor or a number, and `@` with a tensor",
                    );
                }
                self.error(d);
                if is_comparison(op) {
                    Ty::Bool
                } else {
                    Ty::Error
                }
            }
        }
    }
}

pub fn is_comparison(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Eq
            | BinOp::Ne
            | BinOp::Lt
            | BinOp::Le
            | BinOp::Gt
            | BinOp::Ge
            | BinOp::In
            | BinOp::NotIn
    )
}

/// Whether `<` orders values of this type: numbers, strings, and tuples of them
/// (lexicographically, as Python does).
pub(crate) fn orderable(t: &Ty) -> bool {
    match t {
        Ty::Int | Ty::Float | Ty::Str | Ty::Bool => true,
        Ty::Tuple(parts) => parts.iter().all(orderable),
        _ => false,
    }
}
