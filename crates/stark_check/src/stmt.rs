//! Statements and function bodies: scopes, `let`, assignment, control flow, returns.

use crate::checker::Checker;
use crate::results::{ForRes, IndexRes};
use crate::types::*;
use stark_syntax::ast::{
    BinOp, Block, Expr, ExprKind, FnDecl, Item, ParamMode, Stmt, StmtKind, UnOp,
};
use stark_syntax::{codes, Diagnostic};
use std::collections::HashMap;

impl Checker<'_> {
    pub fn check_bodies(&mut self) {
        let program = self.program;
        for func in 0..self.out.functions.len() {
            let info = self.out.functions[func].clone();
            let decl: &FnDecl = match (&program.items[info.item], info.method) {
                (Item::Fn(f), None) => f,
                (Item::Struct(s), Some(m)) => &s.methods[m],
                _ => continue,
            };
            if decl.broken {
                // Its syntax error was reported; what is left of the body may refer to
                // the lines that were skipped.
                self.out.failed.insert(func as FuncId);
                continue;
            }
            let diags_before = self.diags.len();
            self.cur_fn = func as FuncId;
            self.scopes = vec![HashMap::new()];
            self.loop_depth = 0;
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
            self.block(&decl.body);
            if info.ret != Ty::Unit && !block_diverges(&decl.body, &self.out.calls) {
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
            if self.diags.len() > diags_before {
                self.out.failed.insert(func as FuncId);
            }
        }
        for (index, item) in program.items.iter().enumerate() {
            if let Item::Const(c) = item {
                let Some(&ci) = self.const_names.get(&c.name.name) else {
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

    pub fn block(&mut self, block: &Block) {
        self.scopes.push(HashMap::new());
        for stmt in &block.stmts {
            self.stmt(stmt);
        }
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
                let found = self.expr(value);
                self.require_value(&found, value);
                let local_ty = match ty {
                    Some(t) => {
                        let declared = self.resolve_type(t);
                        self.expect(&found, &declared, value.span);
                        declared
                    }
                    None if found == Ty::NoneLit => self.infer.fresh().optional(),
                    // Already reported as having no value; don't report every use again.
                    None if found == Ty::Unit => Ty::Error,
                    None => found,
                };
                let local =
                    self.new_local(&name.name, local_ty, *mutable, LocalKind::Let, name.span);
                if ty.is_none() {
                    self.inferred_lets.push(local);
                }
                self.out.lets.insert(value.id, local);
            }
            StmtKind::Assign { target, op, value } => self.assign(target, *op, value),
            StmtKind::Expr(e) => {
                self.expr(e);
            }
            StmtKind::If {
                branches,
                else_block,
            } => {
                for (cond, body) in branches {
                    self.expr_expect(cond, &Ty::Bool);
                    self.block(body);
                }
                if let Some(b) = else_block {
                    self.block(b);
                }
            }
            StmtKind::While { cond, body } => {
                self.expr_expect(cond, &Ty::Bool);
                self.loop_body(body);
            }
            StmtKind::For { var, iter, body } => {
                let is_range = matches!(&iter.kind, ExprKind::Call { callee, .. }
                    if matches!(&callee.kind, ExprKind::Name(n) if n == "range" && self.lookup_local(n).is_none()));
                let it = self.expr(iter);
                // A user `fn range` (or `struct range`) shadows the built-in: then this is
                // a loop over whatever it returns.
                let is_range = is_range
                    && matches!(
                        self.out.calls.get(&iter.id),
                        Some(crate::CallRes::Builtin { .. })
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
                self.scopes.push(HashMap::new());
                let local = self.new_local(&var.name, var_ty, false, LocalKind::ForVar, var.span);
                let res = if range {
                    ForRes::Range { var: local }
                } else if self.unwrapped(&it) == Ty::Str {
                    ForRes::Str { var: local }
                } else {
                    ForRes::List { var: local }
                };
                self.out.fors.insert(iter.id, res);
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
            StmtKind::Pass => {}
        }
    }

    fn loop_body(&mut self, body: &Block) {
        self.loop_depth += 1;
        self.block(body);
        self.loop_depth -= 1;
    }

    fn assign(&mut self, target: &Expr, op: Option<BinOp>, value: &Expr) {
        let target_ty = match &target.kind {
            ExprKind::Name(name) => {
                let t = self.expr(target);
                if self.lookup_local(name).is_some() {
                    self.require_assignable(target, name);
                } else if self.const_names.contains_key(name) {
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
            ExprKind::Field(base, _) | ExprKind::Index(base, _) => {
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
            None => self.expect(&vt, &target_ty, value.span),
            Some(op) => {
                let (t, v) = (self.infer.shallow(&target_ty), self.infer.shallow(&vt));
                let ok = match (&t, &v) {
                    (Ty::Error, _) | (_, Ty::Error) => true,
                    (Ty::Int, Ty::Int) => true,
                    (Ty::Float, Ty::Int | Ty::Float) => true,
                    (Ty::Str, Ty::Str) => op == BinOp::Add,
                    (Ty::Str, Ty::Int) => op == BinOp::Mul,
                    // `t += x` builds a new tensor and rebinds `t` (use `add_` to update in place).
                    (Ty::Tensor, Ty::Tensor | Ty::Int | Ty::Float) => true,
                    _ => false,
                };
                if !ok {
                    let (st, sv) = (self.show(&t), self.show(&v));
                    self.error(
                        Diagnostic::error(
                            codes::BAD_BINARY,
                            format!("cannot apply `{}=` to `{st}` and `{sv}`", op.symbol()),
                            target.span.to(value.span),
                        )
                        .label(format!("`{st}` {}= `{sv}`", op.symbol())),
                    );
                }
            }
        }
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
/// `calls` tells the built-in `exit` from a user function of that name.
pub fn block_diverges(block: &Block, calls: &Calls) -> bool {
    block.stmts.iter().any(|s| stmt_diverges(s, calls))
}

type Calls = std::collections::HashMap<stark_syntax::ast::ExprId, crate::CallRes>;

fn stmt_diverges(stmt: &Stmt, calls: &Calls) -> bool {
    match &stmt.kind {
        StmtKind::Return(_) => true,
        StmtKind::If {
            branches,
            else_block: Some(e),
        } => branches.iter().all(|(_, b)| block_diverges(b, calls)) && block_diverges(e, calls),
        StmtKind::While { cond, body } => {
            matches!(cond.kind, ExprKind::Bool(true)) && !breaks_out(body)
        }
        StmtKind::Expr(
            e @ Expr {
                kind: ExprKind::Call { .. },
                ..
            },
        ) => matches!(
            calls.get(&e.id),
            Some(crate::CallRes::Builtin {
                op: crate::Builtin::Exit,
                ..
            })
        ),
        StmtKind::Arena { body, .. } => block_diverges(body, calls),
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
        _ => false,
    })
}
