//! Statements and function bodies: scopes, `let`, assignment, control flow, returns.

use crate::checker::Checker;
use crate::results::{Checked, ForRes, IndexRes};
use crate::types::*;
use stark_syntax::ast::{
    BinOp, Block, Expr, ExprKind, Item, ParamMode, Pattern, Stmt, StmtKind, UnOp,
};
use stark_syntax::{codes, Diagnostic};
use std::collections::HashMap;

impl Checker<'_> {
    pub fn check_bodies(&mut self) {
        let program = self.program;
        self.check_defaults();
        for func in 0..self.out.functions.len() {
            let info = self.out.functions[func].clone();
            let Some(decl) = info.decl(program) else {
                continue;
            };
            // A body with a syntax error is typed too (its error nodes silently), for its
            // type errors and for tools, but the memory rules do not run on it (`failed`).
            self.in_broken = decl.broken;
            let diags_before = self.diags.len();
            self.cur_fn = func as FuncId;
            self.scopes = vec![HashMap::new()];
            self.loop_depth = 0;
            self.narrow.clear();
            for (i, (param, p)) in info.params.iter().zip(&decl.params).enumerate() {
                let mutable = param.mode == ParamMode::BorrowedMut;
                let local = self.new_local(
                    &param.name,
                    param.ty.clone(),
                    mutable,
                    LocalKind::Param(param.mode),
                    p.name.span,
                );
                self.out.functions[func].params[i].local = local;
            }
            // A body a tool asked not to check: its parameters have their locals (callers'
            // analyses look them up), and no memory rule runs on it, as on a failed one.
            if self.skip.is_some_and(|skip| skip(decl)) {
                self.out.failed.insert(func as FuncId);
                self.scopes.clear();
                continue;
            }
            // `let x: T = …` in a generic body names its own parameters.
            self.type_params = info.type_params.clone();
            self.block(&decl.body);
            self.type_params.clear();
            // A broken line may have been the `return`.
            if info.ret != Ty::Unit && !decl.broken && !block_diverges(&decl.body, &self.out) {
                let shown = self.show(&info.ret);
                self.error(
                    Diagnostic::error(
                        codes::MISSING_RETURN,
                        format!("function `{}` may end without returning a value", info.name),
                        decl.span,
                    )
                    .label(format!("expected to return `{shown}` on every path"))
                    .help("add a `return` at the end of the function"),
                );
            }
            self.scopes.clear();
            if self.diags.len() > diags_before || decl.broken {
                self.out.failed.insert(func as FuncId);
            }
            self.in_broken = false;
        }
        for (index, item) in program.items.iter().enumerate() {
            if let Item::Const(c) = item {
                let name = self.global(&c.name.name, c.name.span.file);
                let Some(&ci) = self.const_names.get(&*name) else {
                    continue;
                };
                if self.out.consts[ci].item != index {
                    continue;
                }
                let ty = self.out.consts[ci].ty.clone();
                if !is_const_expr(&c.value) {
                    self.error(
                        Diagnostic::error(
                            codes::NOT_CONST,
                            "a `const` must be a literal or arithmetic on literals",
                            c.value.span,
                        )
                        .label("not a constant expression"),
                    );
                }
                self.expr_expect(&c.value, &ty);
            }
        }
    }

    /// Types every parameter's default value, before any body: a default is a constant
    /// expression (literals, `const`s, arithmetic on them, list and map literals of them)
    /// of the parameter's type, typed where no local is in scope.
    fn check_defaults(&mut self) {
        let program = self.program;
        for func in 0..self.out.functions.len() {
            let info = self.out.functions[func].clone();
            let Some(decl) = info.decl(program) else {
                continue;
            };
            let before = self.diags.len();
            self.cur_fn = func as FuncId;
            self.scopes = vec![HashMap::new()];
            for (param, p) in info.params.iter().zip(&decl.params) {
                let Some(default) = &p.default else { continue };
                if !is_default_expr(default) {
                    self.error(
                        Diagnostic::error(
                            codes::NOT_CONST,
                            format!(
                                "the default value of `{}` is not a constant expression",
                                param.name
                            ),
                            default.span,
                        )
                        .label("not a constant expression")
                        .help("a default is a literal, a `const`, arithmetic on them, or a list, map or tuple literal of them; it is evaluated at each call that leaves the argument out"),
                    );
                    continue;
                }
                let found = self.expr(default);
                self.require_value(&found, default);
                self.expect(&found, &param.ty, default.span);
            }
            self.scopes.clear();
            if self.diags.len() > before {
                self.out.failed.insert(func as FuncId);
            }
        }
    }

    pub fn block(&mut self, block: &Block) {
        self.scopes.push(HashMap::new());
        // What a statement of the block narrows (`if x == None: return`) ends with it.
        let narrowed = self.narrow.clone();
        for stmt in &block.stmts {
            self.stmt(stmt);
        }
        self.narrow = narrowed;
        self.scopes.pop();
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Let {
                name,
                mutable,
                ty,
                value,
            } => {
                // Resolved once: its errors are reported once.
                let declared = ty.as_ref().map(|t| self.resolve_type(t));
                if let Some(hint) = &declared {
                    if matches!(value.kind, ExprKind::Lambda { .. }) {
                        self.lambda_hints.insert(value.id, hint.clone());
                    }
                    self.expect_hint(value, hint);
                }
                let found = self.expr(value);
                self.require_value(&found, value);
                let local_ty = match declared {
                    Some(declared) => {
                        self.expect_expr(value, &found, &declared);
                        declared
                    }
                    None if found == Ty::NoneLit => self.infer.fresh().optional(),
                    // Already reported as having no value; don't report every use again.
                    None if found == Ty::Unit => Ty::Error,
                    None => found,
                };
                let local =
                    self.new_local(&name.name, local_ty, *mutable, LocalKind::Let, name.span);
                // In a body with a syntax error, what would have told the type may be
                // what the broken line lost: no "type annotations needed" there.
                if ty.is_none() && !self.in_broken {
                    self.inferred_lets.push(local);
                }
                self.out.lets.insert(value.id, local);
            }
            StmtKind::LetTuple {
                pattern,
                mutable,
                value,
            } => {
                let found = self.expr(value);
                self.require_value(&found, value);
                let mut locals = Vec::new();
                self.bind_pattern(pattern, &found, *mutable, LocalKind::Let, &mut locals);
                self.out.patterns.insert(value.id, locals);
            }
            StmtKind::Assign { target, op, value } => self.assign(target, *op, value),
            StmtKind::Expr(e) => {
                self.expr(e);
            }
            StmtKind::If {
                branches,
                else_block,
            } => {
                // Each branch knows its condition true and the earlier ones false; after
                // the statement, what every path that reaches its end knows.
                let mut ends = Vec::new();
                for (cond, body) in branches {
                    self.expr_expect(cond, &Ty::Bool);
                    let before = self.narrow.clone();
                    self.apply_facts(cond, true);
                    let start = self.narrow.clone();
                    self.block(body);
                    if self.falls_through(body) {
                        ends.push(start);
                    }
                    self.narrow = before;
                    self.apply_facts(cond, false);
                }
                match else_block {
                    Some(b) => {
                        let start = self.narrow.clone();
                        self.block(b);
                        if self.falls_through(b) {
                            ends.push(start);
                        }
                    }
                    None => ends.push(self.narrow.clone()),
                }
                if let Some(after) = crate::narrow::intersect(&ends) {
                    self.narrow = after;
                }
            }
            StmtKind::While { cond, body } => {
                self.expr_expect(cond, &Ty::Bool);
                let before = self.narrow.clone();
                self.apply_facts(cond, true);
                self.loop_body(body);
                self.narrow = before;
            }
            StmtKind::For {
                var,
                mutable,
                iter,
                body,
            } => {
                self.scopes.push(HashMap::new());
                self.for_header(var, *mutable, iter);
                self.loop_body(body);
                self.scopes.pop();
            }
            StmtKind::Break | StmtKind::Continue => {
                if self.loop_depth == 0 {
                    let word = if matches!(stmt.kind, StmtKind::Break) {
                        "break"
                    } else {
                        "continue"
                    };
                    self.error(
                        Diagnostic::error(
                            codes::BREAK_OUTSIDE_LOOP,
                            format!("`{word}` outside of a loop"),
                            stmt.span,
                        )
                        .label(format!("cannot `{word}` outside of a loop")),
                    );
                }
            }
            StmtKind::Return(value) => {
                let ret = self.out.functions[self.cur_fn as usize].ret.clone();
                if let Some(v) = value
                    .as_ref()
                    .filter(|v| matches!(v.kind, ExprKind::Lambda { .. }))
                {
                    self.lambda_hints.insert(v.id, ret.clone());
                }
                match value {
                    Some(v) => {
                        if ret == Ty::Unit {
                            self.expr(v);
                            self.error(
                                Diagnostic::error(codes::MISMATCH, "mismatched types", v.span)
                                    .label("this function returns nothing")
                                    .help("add a return type: `fn name(…) -> Type:`"),
                            );
                        } else {
                            self.expr_expect(v, &ret);
                        }
                    }
                    None if ret != Ty::Unit => {
                        let shown = self.show(&ret);
                        self.error(
                            Diagnostic::error(codes::MISMATCH, "mismatched types", stmt.span)
                                .label(format!("expected a value of type `{shown}`")),
                        );
                    }
                    None => {}
                }
            }
            StmtKind::Arena { body, .. } => self.block(body),
            StmtKind::Match { subject, arms } => self.match_stmt(subject, arms),
            StmtKind::Pass => {}
        }
    }

    fn loop_body(&mut self, body: &Block) {
        self.loop_depth += 1;
        self.block(body);
        self.loop_depth -= 1;
    }

    /// `for var in iter` (a statement's or a comprehension's): types the iterable,
    /// declares the loop variable(s) in the current scope, and records the `ForRes`.
    /// `mutable`: `for mutable …`, whose variables may be mutated through (not rebound).
    pub(crate) fn for_header(&mut self, var: &Pattern, mutable: bool, iter: &Expr) {
        let it = self.expr(iter);
        // `for i in range(…)` counts (range's own lowering, `loops.rs`). A user `fn range`
        // (or `struct range`) shadows the built-in: then this is a loop over whatever it
        // returns.
        let is_range = matches!(
            self.out.calls.get(&iter.id),
            Some(crate::CallRes::Builtin {
                op: crate::Builtin::Range,
                ..
            })
        );
        let (var_ty, range) = if is_range {
            (Ty::Int, true)
        } else {
            match self.unwrapped(&it) {
                Ty::List(el) => (*el, false),
                Ty::Str => (Ty::Str, false),
                Ty::Map(k, _) => (*k, false),
                Ty::Error => (Ty::Error, false),
                other => {
                    let shown = self.show(&other);
                    self.error(
                        Diagnostic::error(
                            codes::MISMATCH,
                            format!("cannot iterate over a value of type `{shown}`"),
                            iter.span,
                        )
                        .label("expected a List, a Map, a String or `range(…)`"),
                    );
                    (Ty::Error, false)
                }
            }
        };
        let local = match var {
            Pattern::Name(var) => {
                self.new_local(&var.name, var_ty, mutable, LocalKind::ForVar, var.span)
            }
            Pattern::Tuple(..) => {
                // The element is a hidden loop variable; the names borrow its parts.
                let hidden = self.new_local(
                    "(element)",
                    var_ty.clone(),
                    false,
                    LocalKind::ForVar,
                    var.span(),
                );
                let mut locals = Vec::new();
                self.bind_pattern(var, &var_ty, mutable, LocalKind::ForVar, &mut locals);
                self.out.patterns.insert(iter.id, locals);
                hidden
            }
        };
        let res = if range {
            ForRes::Range { var: local }
        } else if self.unwrapped(&it) == Ty::Str {
            ForRes::Str { var: local }
        } else {
            ForRes::List { var: local }
        };
        self.out.fors.insert(iter.id, res);
    }

    /// Declares the names of `pattern` for a value of type `ty`, unpacking tuples; an
    /// arity or type mismatch is reported once, and its names get the error type.
    fn bind_pattern(
        &mut self,
        pattern: &Pattern,
        ty: &Ty,
        mutable: bool,
        kind: LocalKind,
        locals: &mut Vec<LocalId>,
    ) {
        let parts = match pattern {
            Pattern::Name(name) => {
                let ty = match self.infer.shallow(ty) {
                    Ty::Unit => Ty::Error,
                    Ty::NoneLit => self.infer.fresh().optional(),
                    other => other,
                };
                let local = self.new_local(&name.name, ty, mutable, kind, name.span);
                if kind == LocalKind::Let {
                    self.inferred_lets.push(local);
                }
                locals.push(local);
                return;
            }
            Pattern::Tuple(parts, _) => parts,
        };
        let part_tys = match self.infer.shallow(ty) {
            Ty::Tuple(ts) if ts.len() == parts.len() => ts,
            Ty::Error => vec![Ty::Error; parts.len()],
            Ty::Var(_) => {
                let ts: Vec<Ty> = parts.iter().map(|_| self.infer.fresh()).collect();
                self.infer.unify(ty, &Ty::Tuple(ts.clone()));
                ts
            }
            other => {
                let shown = self.show(&other);
                let found = match &other {
                    Ty::Tuple(ts) => format!("a tuple of {} elements", ts.len()),
                    _ => format!("`{shown}`"),
                };
                self.error(
                    Diagnostic::error(
                        codes::MISMATCH,
                        format!("cannot unpack {found} into {} names", parts.len()),
                        pattern.span(),
                    )
                    .label(format!("expected a tuple of {} elements", parts.len()))
                    .help(format!("the value here is `{shown}`")),
                );
                vec![Ty::Error; parts.len()]
            }
        };
        for (part, t) in parts.iter().zip(&part_tys) {
            self.bind_pattern(part, t, mutable, kind, locals);
        }
    }

    /// Whether the (typed) assignment target is a constant of `math` (`math.pi = 3.0`),
    /// which is E0070.
    fn math_constant_target(&mut self, target: &Expr) -> bool {
        if !self.out.float_consts.contains_key(&target.id) {
            return false;
        }
        self.error(
            Diagnostic::error(
                codes::BAD_ASSIGN_TARGET,
                "cannot assign to a constant of `math`",
                target.span,
            )
            .label("constants cannot change"),
        );
        true
    }

    fn assign(&mut self, target: &Expr, op: Option<BinOp>, value: &Expr) {
        if let ExprKind::Tuple(targets) = &target.kind {
            // `a, b = b, a`: every target is a place; the value is a tuple of as many.
            let mut parts = Vec::new();
            for t in targets {
                match &t.kind {
                    ExprKind::Name(name) => {
                        parts.push(self.expr(t));
                        if self.lookup_local(name).is_some() {
                            self.require_assignable(t, name);
                        }
                    }
                    ExprKind::Field(base, _) | ExprKind::Index(base, _) => {
                        parts.push(self.expr(t));
                        if !self.math_constant_target(t) {
                            self.require_mutable(base, "assigned through here");
                        }
                    }
                    _ => {
                        self.expr(t);
                        parts.push(Ty::Error);
                        self.error(
                            Diagnostic::error(
                                codes::BAD_ASSIGN_TARGET,
                                "invalid left-hand side of assignment",
                                t.span,
                            )
                            .label("cannot assign to this expression"),
                        );
                    }
                }
            }
            if op.is_some() {
                self.expr(value);
                self.error(
                    Diagnostic::error(
                        codes::BAD_ASSIGN_TARGET,
                        "a compound assignment cannot unpack a tuple",
                        target.span,
                    )
                    .label("assign each name on its own line"),
                );
                return;
            }
            let vt = self.expr(value);
            self.require_value(&vt, value);
            let expected = Ty::Tuple(parts);
            let vt_shallow = self.infer.shallow(&vt);
            if let (Ty::Tuple(found), Ty::Tuple(want)) = (&vt_shallow, &expected) {
                if found.len() != want.len() {
                    self.error(
                        Diagnostic::error(
                            codes::MISMATCH,
                            format!(
                                "cannot unpack a tuple of {} elements into {} targets",
                                found.len(),
                                want.len()
                            ),
                            target.span,
                        )
                        .label(format!("expected a tuple of {} elements", want.len())),
                    );
                    return;
                }
            }
            self.expect(&vt, &expected, value.span);
            self.out.tuple_assigns.insert(value.id);
            return;
        }
        let target_ty = match &target.kind {
            ExprKind::Name(name) => {
                let t = self.expr(target);
                if self.lookup_local(name).is_some() {
                    self.require_assignable(target, name);
                } else if self
                    .const_names
                    .contains_key(&*self.global(name, target.span.file))
                {
                    self.error(
                        Diagnostic::error(
                            codes::BAD_ASSIGN_TARGET,
                            format!("cannot assign to constant `{name}`"),
                            target.span,
                        )
                        .label("constants cannot change"),
                    );
                }
                t
            }
            ExprKind::Field(base, field) => {
                let t = self.expr(target);
                if self.math_constant_target(target) {
                    self.expr(value);
                    return;
                }
                let bt = self.out.expr_ty.get(base.id.0 as usize).cloned();
                let bt = bt.map(|b| self.infer.shallow(&b));
                if let Some(Ty::Tuple(_)) = bt {
                    self.error(
                        Diagnostic::error(
                            codes::BAD_ASSIGN_TARGET,
                            format!("cannot assign to tuple field `{}`", field.name),
                            target.span,
                        )
                        .label("tuples are immutable")
                        .help("build a new tuple instead"),
                    );
                    return;
                }
                self.require_mutable(base, "assigned through here");
                t
            }
            ExprKind::Index(base, _) => {
                let t = self.expr(target);
                let refused = match self.out.indexes.get(&target.id) {
                    Some(IndexRes::Str | IndexRes::StrSlice) => Some((
                        "a String cannot be changed in place",
                        "strings are immutable: build a new one, e.g. `s = s[:i] + c + s[i + 1:]`",
                    )),
                    Some(IndexRes::ListSlice) => Some((
                        "cannot assign to a slice",
                        "assign the elements one by one, or build a new list",
                    )),
                    Some(IndexRes::Dataset) => Some((
                        "a Dataset cannot be changed in place",
                        "datasets are immutable: make one with the column, `d = d.with_column(\"name\", values)`",
                    )),
                    _ => None,
                };
                if let Some((message, help)) = refused {
                    self.expr(value);
                    self.error(
                        Diagnostic::error(codes::BAD_ASSIGN_TARGET, message, target.span)
                            .label("cannot assign to this")
                            .help(help),
                    );
                    return;
                }
                self.require_mutable(base, "assigned through here");
                t
            }
            _ => {
                self.expr(target);
                self.expr(value);
                self.error(
                    Diagnostic::error(
                        codes::BAD_ASSIGN_TARGET,
                        "invalid left-hand side of assignment",
                        target.span,
                    )
                    .label("cannot assign to this expression"),
                );
                return;
            }
        };
        let vt = self.expr(value);
        self.require_value(&vt, value);
        match op {
            None if self.out.indexes.get(&target.id) == Some(&IndexRes::Tensor) => {
                // `t[…] = v`: a number or a tensor, broadcast to the region (SPEC §8).
                let v = self.infer.shallow(&vt);
                if !matches!(v, Ty::Tensor | Ty::Int | Ty::Float | Ty::Bool | Ty::Error) {
                    let shown = self.show(&v);
                    self.error(
                        Diagnostic::error(
                            codes::MISMATCH,
                            format!("expected a `Tensor` or a number, found `{shown}`"),
                            value.span,
                        )
                        .label("assigned into a tensor"),
                    );
                }
            }
            None => self.expect_expr(value, &vt, &target_ty),
            Some(op) => {
                let (t, v) = (self.infer.shallow(&target_ty), self.infer.shallow(&vt));
                let ok = match (&t, &v) {
                    (Ty::Error, _) | (_, Ty::Error) => true,
                    (Ty::Int, Ty::Int) => true,
                    (Ty::Float, Ty::Int | Ty::Float) => true,
                    // `total += t[i]`: the tensor converts to the number (SPEC §8), a scalar
                    // load when it is an index.
                    (Ty::Float | Ty::Int, Ty::Tensor) => {
                        self.tensor_scalar(value, &t);
                        true
                    }
                    (Ty::Str, Ty::Str) => op == BinOp::Add,
                    (Ty::Str, Ty::Int) => op == BinOp::Mul,
                    // `t += x` builds a new tensor and rebinds `t` (use `add_` to update in place).
                    (Ty::Tensor, _) => self.tensor_binary(op, &t, &v).is_some(),
                    _ => false,
                };
                if !ok {
                    let (st, sv) = (self.show(&t), self.show(&v));
                    let mut d = Diagnostic::error(
                        codes::BAD_BINARY,
                        format!("cannot apply `{}=` to `{st}` and `{sv}`", op.symbol()),
                        target.span.to(value.span),
                    )
                    .label(format!("`{st}` {}= `{sv}`", op.symbol()));
                    if matches!(t, Ty::List(_)) && op == BinOp::Add {
                        d = d.help("append in place with `xs.extend(ys)`, or write `xs = xs + ys`");
                    }
                    self.error(d);
                }
            }
        }
    }
}

/// A default parameter value: a constant expression, a `const`, or a list, map or tuple
/// literal of them (built anew at each call).
fn is_default_expr(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Name(_) => true,
        ExprKind::List(items) | ExprKind::Tuple(items) => items.iter().all(is_default_expr),
        ExprKind::Map(pairs) => pairs
            .iter()
            .all(|(k, v)| is_default_expr(k) && is_default_expr(v)),
        ExprKind::Unary(UnOp::Neg | UnOp::Not, inner) => is_default_expr(inner),
        ExprKind::Binary(_, a, b) => is_default_expr(a) && is_default_expr(b),
        _ => is_const_expr(e),
    }
}

fn is_const_expr(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::None => true,
        ExprKind::Unary(UnOp::Neg | UnOp::Not, inner) => is_const_expr(inner),
        ExprKind::Binary(_, a, b) => is_const_expr(a) && is_const_expr(b),
        _ => false,
    }
}

/// Whether control can never fall off the end of `block` (every path returns or exits).
/// `ck` tells the built-in `exit` from a user function of that name, and which `match`
/// statements are exhaustive.
pub fn block_diverges(block: &Block, ck: &Checked) -> bool {
    block_leaves(block, ck, false)
}

/// Whether control never reaches the end of `block`: every path returns or calls a
/// diverging built-in (`exit`), or, with `jumps`, also `break`s or `continue`s (the
/// narrowing after `if x == None: continue`).
pub(crate) fn block_leaves(block: &Block, ck: &Checked, jumps: bool) -> bool {
    block.stmts.iter().any(|s| stmt_leaves(s, ck, jumps))
}

fn stmt_leaves(stmt: &Stmt, ck: &Checked, jumps: bool) -> bool {
    match &stmt.kind {
        StmtKind::Return(_) => true,
        StmtKind::Break | StmtKind::Continue => jumps,
        StmtKind::If {
            branches,
            else_block: Some(e),
        } => branches.iter().all(|(_, b)| block_leaves(b, ck, jumps)) && block_leaves(e, ck, jumps),
        // SPEC §6: an exhaustive `match` whose every arm leaves ends the function.
        StmtKind::Match { subject, arms } => {
            ck.matches.get(&subject.id).is_some_and(|m| m.exhaustive)
                && arms.iter().all(|a| block_leaves(&a.body, ck, jumps))
        }
        StmtKind::While { cond, body } => {
            matches!(cond.kind, ExprKind::Bool(true)) && !breaks_out(body)
        }
        StmtKind::Expr(e) => matches!(
            ck.calls.get(&e.id),
            Some(crate::CallRes::Builtin { op, .. }) if op.facts().diverges
        ),
        StmtKind::Arena { body, .. } => block_leaves(body, ck, jumps),
        _ => false,
    }
}

/// Whether a `break` in `body` leaves the loop that owns `body` (not an inner loop).
fn breaks_out(body: &Block) -> bool {
    body.stmts.iter().any(|s| match &s.kind {
        StmtKind::Break => true,
        StmtKind::If {
            branches,
            else_block,
        } => {
            branches.iter().any(|(_, b)| breaks_out(b))
                || else_block.as_ref().is_some_and(breaks_out)
        }
        StmtKind::Arena { body, .. } => breaks_out(body),
        StmtKind::Match { arms, .. } => arms.iter().any(|a| breaks_out(&a.body)),
        _ => false,
    })
}
