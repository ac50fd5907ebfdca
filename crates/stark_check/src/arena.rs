//! M10 at compile time: a heap value allocated inside `arena NAME:` must not outlive the
//! block. Storing such a value into a binding, list, map or field that lives outside the
//! block, returning it, or handing it to a call that could store it outside is E0713.
//!
//! A value counts as allocated in the innermost open arena unless it is reached from a
//! binding declared outside that arena (a view or `clone()` of an outer object). Ints,
//! Floats and Bools leave freely.

use crate::results::{call_operand, CallArg, CallRes, Checked, NameRes};
use crate::types::*;
use stark_syntax::ast::{Block, Expr, ExprKind, Ident, ParamMode, Program, Stmt, StmtKind};
use stark_syntax::{codes, Diagnostic, Span};
use std::collections::HashSet;

struct Arena {
    name: Ident,
    /// Locals declared inside this arena block (at any depth).
    locals: HashSet<LocalId>,
}

struct ArenaChecker<'a> {
    program: &'a Program,
    ck: &'a Checked,
    arenas: Vec<Arena>,
    /// Locals declared inside an arena that may hold an object from outside it (`clone()`
    /// shares, so `mutable let alias = outer.clone()` is the outer list itself): stores into
    /// them escape as stores into the outer binding would. Computed for a whole function
    /// before its stores are judged (a loop may store first and rebind later), and not per
    /// arena: an alias for an inner arena may be the enclosing one's own, but treating it as
    /// an alias there too only rejects more.
    aliases: HashSet<LocalId>,
    diags: Vec<Diagnostic>,
}

pub fn check_arenas(program: &Program, ck: &Checked) -> Vec<Diagnostic> {
    let mut ac = ArenaChecker {
        program,
        ck,
        arenas: Vec::new(),
        aliases: HashSet::new(),
        diags: Vec::new(),
    };
    for (func, info) in ck.functions.iter().enumerate() {
        if ck.failed.contains(&(func as FuncId)) {
            continue;
        }
        let Some(decl) = info.decl(program) else {
            continue;
        };
        // Aliases only grow: walk until they settle, then once more to report.
        ac.aliases.clear();
        let reported = ac.diags.len();
        loop {
            let known = ac.aliases.len();
            ac.block(&decl.body);
            ac.diags.truncate(reported);
            if ac.aliases.len() == known {
                break;
            }
        }
        ac.block(&decl.body);
    }
    ac.diags
}

impl ArenaChecker<'_> {
    /// The binding a place or value expression is reached from, if any.
    fn root(&self, e: &Expr) -> Option<LocalId> {
        match &e.kind {
            ExprKind::Name(_) => match self.ck.names.get(&e.id) {
                Some(NameRes::Local(l)) => Some(*l),
                _ => None,
            },
            ExprKind::Field(base, _) | ExprKind::Index(base, _) => self.root(base),
            // `x.clone()` is `x`'s object.
            ExprKind::Call { callee, .. } => match (self.ck.calls.get(&e.id), &callee.kind) {
                (Some(CallRes::Builtin { op, .. }), ExprKind::Field(recv, _))
                    if op.facts().returns_operand =>
                {
                    self.root(recv)
                }
                _ => None,
            },
            _ => None,
        }
    }

    fn inside_innermost(&self, local: LocalId) -> bool {
        self.arenas
            .last()
            .is_some_and(|a| a.locals.contains(&local))
    }

    /// Whether the heap value `e` may be, share or contain an object allocated outside the
    /// innermost arena: reached from an outer binding or an alias, or built by a call,
    /// constructor or literal that was handed such a value (a call may return a `clone()`
    /// of its argument, `pop()` an outer element, a constructor holds its arguments).
    fn may_alias_outer(&self, e: &Expr) -> bool {
        if !self.ck.ty(e.id).is_heap() {
            return false;
        }
        if let Some(local) = self.root(e) {
            return !self.inside_innermost(local) || self.aliases.contains(&local);
        }
        match &e.kind {
            ExprKind::Call { .. } => {
                let args = match self.ck.calls.get(&e.id) {
                    Some(CallRes::Fn { args, .. })
                    | Some(CallRes::Ctor { args, .. })
                    | Some(CallRes::Builtin { args, .. }) => args,
                    // A function value may return anything it captured.
                    Some(CallRes::Value { .. } | CallRes::ListFn { .. }) | None => return true,
                };
                args.iter()
                    .filter_map(|a| call_operand(e, a))
                    .any(|a| self.may_alias_outer(a))
            }
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                items.iter().any(|i| self.may_alias_outer(i))
            }
            ExprKind::Comp(comp) => {
                self.may_alias_outer(&comp.elem)
                    || comp.key.as_ref().is_some_and(|k| self.may_alias_outer(k))
            }
            ExprKind::Map(pairs) => pairs.iter().any(|(_, v)| self.may_alias_outer(v)),
            ExprKind::Try(x) => self.may_alias_outer(x),
            ExprKind::Lambda { .. } => self
                .ck
                .lambdas
                .get(&e.id)
                .is_some_and(|l| !l.captures.is_empty()),
            // `xs + ys`, `xs * n`: a new list sharing the operands' elements.
            ExprKind::Binary(_, a, b) => self.may_alias_outer(a) || self.may_alias_outer(b),
            ExprKind::IfElse {
                then, otherwise, ..
            } => self.may_alias_outer(then) || self.may_alias_outer(otherwise),
            _ => false,
        }
    }

    /// Records that local `local`, declared inside the open arenas, now holds `value`.
    fn bind(&mut self, local: LocalId, value: &Expr) {
        let declared_inside = self.arenas.iter().any(|a| a.locals.contains(&local));
        if declared_inside && self.may_alias_outer(value) {
            self.aliases.insert(local);
        }
    }

    /// Whether `e` is a heap value allocated in the innermost open arena.
    fn arena_value(&self, e: &Expr) -> bool {
        if self.arenas.is_empty() || !self.ck.ty(e.id).is_heap() {
            return false;
        }
        if let ExprKind::IfElse {
            then, otherwise, ..
        } = &e.kind
        {
            return self.arena_value(then) || self.arena_value(otherwise);
        }
        match self.root(e) {
            Some(local) => self.inside_innermost(local),
            None => !matches!(e.kind, ExprKind::None),
        }
    }

    /// Whether the place `e` (a binding or something reached from one) may outlive the
    /// arena: an outer binding, or an arena binding holding an outer object.
    fn outer_place(&self, e: &Expr) -> bool {
        match self.root(e) {
            Some(local) => !self.inside_innermost(local) || self.aliases.contains(&local),
            None => false,
        }
    }

    /// Whether assigning to `target` stores outside the arena. Rebinding a name declared in
    /// the arena (`t = t * 2.0`) stores into the arena's own binding, whatever object it
    /// held before; a field or element of an object it shares with the outside is an outer
    /// place (`outer_place`).
    fn outer_target(&self, target: &Expr) -> bool {
        match (&target.kind, self.root(target)) {
            (ExprKind::Name(_), Some(local)) => !self.inside_innermost(local),
            _ => self.outer_place(target),
        }
    }

    fn escape(&mut self, value: &Expr, how: &str, at: Span) {
        let Some(arena) = self.arenas.last() else {
            return;
        };
        let name = arena.name.name.clone();
        let d = Diagnostic::error(
            codes::ARENA_ESCAPE,
            format!("value allocated in arena `{name}` escapes it"),
            value.span,
        )
        .label(format!("allocated in arena `{name}`"))
        .secondary(at, how.to_string())
        .secondary(
            arena.name.span,
            format!("arena `{name}` is freed when this block ends"),
        )
        .help("store a copy made outside the arena, or move the work out of the `arena` block");
        self.diags.push(d);
    }

    fn block(&mut self, b: &Block) {
        for s in &b.stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Let { value, .. } => {
                self.expr(value);
                if let Some(&local) = self.ck.lets.get(&value.id) {
                    for a in &mut self.arenas {
                        a.locals.insert(local);
                    }
                    self.bind(local, value);
                }
            }
            StmtKind::LetTuple { value, .. } => {
                self.expr(value);
                for &local in self.ck.patterns.get(&value.id).into_iter().flatten() {
                    for a in &mut self.arenas {
                        a.locals.insert(local);
                    }
                    self.bind(local, value);
                }
            }
            StmtKind::Assign { target, value, .. } if matches!(target.kind, ExprKind::Tuple(_)) => {
                self.expr(value);
                let ExprKind::Tuple(targets) = &target.kind else {
                    unreachable!()
                };
                // A literal on the right is never built: each part goes to its target.
                let parts: Vec<&Expr> = match &value.kind {
                    ExprKind::Tuple(items) if items.len() == targets.len() => {
                        items.iter().collect()
                    }
                    _ => vec![value; targets.len()],
                };
                for (t, v) in targets.iter().zip(parts) {
                    if self.arena_value(v) && self.outer_target(t) {
                        self.escape(v, "stored outside the arena here", t.span);
                    }
                    if let Some(NameRes::Local(local)) = self.ck.names.get(&t.id) {
                        self.bind(*local, v);
                    }
                }
            }
            StmtKind::Assign { target, value, .. } => {
                self.expr(value);
                if self.arena_value(value) && self.outer_target(target) {
                    self.escape(value, "stored outside the arena here", target.span);
                }
                if let ExprKind::Name(_) = target.kind {
                    if let Some(NameRes::Local(local)) = self.ck.names.get(&target.id) {
                        self.bind(*local, value);
                    }
                }
            }
            StmtKind::Expr(e) => self.expr(e),
            StmtKind::If {
                branches,
                else_block,
            } => {
                for (c, b) in branches {
                    self.expr(c);
                    self.block(b);
                }
                if let Some(b) = else_block {
                    self.block(b);
                }
            }
            StmtKind::While { cond, body } => {
                self.expr(cond);
                self.block(body);
            }
            StmtKind::For { iter, body, .. } => {
                self.expr(iter);
                self.block(body);
            }
            StmtKind::Match { subject, arms } => {
                self.expr(subject);
                let Some(res) = self.ck.matches.get(&subject.id) else {
                    return;
                };
                for (arm, pat) in arms.iter().zip(&res.arms) {
                    // A name bound in a pattern holds a part of the subject: it is in the
                    // subject's arena when the subject is.
                    for local in pat.binds() {
                        for a in &mut self.arenas {
                            a.locals.insert(local);
                        }
                        self.bind(local, subject);
                    }
                    if let Some(g) = &arm.guard {
                        self.expr(g);
                    }
                    self.block(&arm.body);
                }
            }
            StmtKind::Return(Some(v)) => {
                self.expr(v);
                if self.arena_value(v) {
                    self.escape(v, "returned here", s.span);
                }
            }
            StmtKind::Arena { name, body } => {
                self.arenas.push(Arena {
                    name: name.clone(),
                    locals: HashSet::new(),
                });
                self.block(body);
                let done = self.arenas.pop().expect("arena");
                // Locals of an inner arena are also inside every enclosing one.
                for a in &mut self.arenas {
                    a.locals.extend(&done.locals);
                }
            }
            StmtKind::Return(None) | StmtKind::Break | StmtKind::Continue | StmtKind::Pass => {}
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Call { callee, args } => {
                if let ExprKind::Field(recv, _) = &callee.kind {
                    self.expr(recv);
                }
                args.iter().for_each(|a| self.expr(&a.value));
                if !self.arenas.is_empty() {
                    self.call(e, callee);
                }
            }
            ExprKind::Unary(_, x) | ExprKind::Field(x, _) | ExprKind::Try(x) => self.expr(x),
            ExprKind::Binary(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Compare { first, rest } => {
                self.expr(first);
                rest.iter().for_each(|(_, x)| self.expr(x));
            }
            ExprKind::IfElse {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond);
                self.expr(then);
                self.expr(otherwise);
            }
            ExprKind::Index(b, idx) => {
                self.expr(b);
                idx.iter().for_each(|i| self.expr(i));
            }
            ExprKind::Slice { lo, hi, step } => {
                for part in [lo, hi, step].into_iter().flatten() {
                    self.expr(part);
                }
            }
            // Sending moves the value into the actor, which may outlive the arena (the
            // actor gets its own copy, but M1's move is what the program wrote).
            ExprKind::Spawn { call, quota } => {
                if let Some(q) = quota {
                    self.expr(q);
                }
                if let ExprKind::Call { args, .. } = &call.kind {
                    for a in args {
                        self.expr(&a.value);
                        if self.arena_value(&a.value) {
                            self.escape(&a.value, "sent to an actor here", e.span);
                        }
                    }
                }
            }
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                items.iter().for_each(|i| self.expr(i))
            }
            ExprKind::Comp(comp) => {
                self.expr(&comp.iter);
                if let Some(c) = &comp.cond {
                    self.expr(c);
                }
                if let Some(k) = &comp.key {
                    self.expr(k);
                }
                self.expr(&comp.elem);
            }
            ExprKind::Map(pairs) => pairs.iter().for_each(|(k, v)| {
                self.expr(k);
                self.expr(v);
            }),
            _ => {}
        }
    }

    fn call(&mut self, e: &Expr, callee: &Expr) {
        let recv = match &callee.kind {
            ExprKind::Field(r, _) => Some(&**r),
            _ => None,
        };
        let operand = |a: &CallArg| call_operand(e, a);
        match self.ck.calls.get(&e.id) {
            Some(CallRes::Builtin { op, args: bound }) => {
                let facts = op.facts();
                let Some(target) = recv else { return };
                if !self.outer_place(target) {
                    return;
                }
                for &i in facts.consumes {
                    if let Some(v) = bound.get(i).and_then(&operand) {
                        if self.arena_value(v) {
                            self.escape(v, "stored outside the arena here", target.span);
                        }
                    }
                }
                // `outer.extend(xs)`: the elements of an arena list may be arena values.
                for &i in facts.shares {
                    if let Some(v) = bound.get(i).and_then(&operand) {
                        let heap_elements = match self.ck.ty(v.id) {
                            Ty::List(elem) => elem.is_heap(),
                            Ty::Optional(l) => matches!(&**l, Ty::List(elem) if elem.is_heap()),
                            _ => false,
                        };
                        if heap_elements && self.arena_value(v) {
                            self.escape(
                                v,
                                "its elements are stored outside the arena here",
                                target.span,
                            );
                        }
                    }
                }
            }
            Some(CallRes::Fn { func, args: bound }) => {
                // A callee that can mutate something outside may store an argument there:
                // an owned one, or a borrowed one through `clone()` (which shares the arena
                // object) or `WeakRef(…)` (whose target header lives in the arena's chunk).
                // It reaches something outside through a `&mutable` outer place, or through
                // an owned argument that may be or hold an outer object (`outer.clone()`, a
                // list holding one): owning a shared object is mutating it.
                let info = &self.ck.functions[*func as usize];
                let outer_mut = bound.iter().zip(&info.params).any(|(a, p)| {
                    let Some(x) = operand(a) else { return false };
                    match p.mode {
                        ParamMode::BorrowedMut => self.outer_place(x),
                        ParamMode::Owned => {
                            self.ck.ty(x.id).holds_references() && self.may_alias_outer(x)
                        }
                        ParamMode::Borrowed => false,
                    }
                });
                if !outer_mut {
                    return;
                }
                // A left-out argument's default is built here, by the frame that opened
                // the arena, so a list or map default is an arena value too.
                for a in bound {
                    let CallArg::Default(i) = a else { continue };
                    let Some(default) = self.ck.param_default(self.program, *func, *i) else {
                        continue;
                    };
                    if matches!(default.kind, ExprKind::List(_) | ExprKind::Map(_)) {
                        let name = &info.params[*i].name;
                        let arena = self.arenas.last().expect("inside an arena").name.clone();
                        let d = Diagnostic::error(
                            codes::ARENA_ESCAPE,
                            format!("value allocated in arena `{}` escapes it", arena.name),
                            e.span,
                        )
                        .label(format!(
                            "the default value of `{name}` is built in arena `{}` here and handed to a call that can store it outside",
                            arena.name
                        ))
                        .secondary(default.span, "this default value")
                        .secondary(
                            arena.span,
                            format!("arena `{}` is freed when this block ends", arena.name),
                        )
                        .help(format!("pass `{name}` explicitly, built outside the arena, or move the call out of the `arena` block"));
                        self.diags.push(d);
                    }
                }
                for a in bound {
                    if let Some(v) = operand(a) {
                        if self.arena_value(v) {
                            self.escape(
                                v,
                                "handed to a call that can store it outside the arena",
                                e.span,
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
}
