//! Ownership facts lowering uses to leave out retains (M11, M12): which code can take an
//! element out of a list, and which bindings a block names.
//!
//! A `for x in list:` loop reads each element as a view of the list. The element stays
//! alive while it stays in the list, and only a *list release* takes it out: `l[i] = v`,
//! `pop`, `remove`, `clear` (on any list: through a `clone()` every list may be an alias of
//! the iterated one). Such a release can happen in the loop body itself, in any function it
//! calls, or in a destructor, which can run at any release and at any collector safepoint
//! (a backward jump or a call): if any destructor can release list elements, no loop is
//! free of list releases.

use stark_check::{CallRes, Checked, FuncId, IndexRes, LocalId, NameRes};
use stark_syntax::ast::{Block, Expr, ExprId, ExprKind, FStrPart, Program, Stmt, StmtKind};

/// Per-program facts, computed once before lowering.
pub(crate) struct Effects {
    /// `list_release[f]`: calling function `f` may release a list element.
    list_release: Vec<bool>,
    /// Some destructor may release a list element.
    destructor_release: bool,
}

impl Effects {
    pub fn new(program: &Program, ck: &Checked) -> Effects {
        let n = ck.functions.len();
        let mut direct = vec![false; n];
        let mut callers: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (f, info) in ck.functions.iter().enumerate() {
            let Some(decl) = info.decl(program) else {
                // Unknown shape: assume the worst.
                direct[f] = true;
                continue;
            };
            let mut scan = Scan {
                ck,
                direct: false,
                callees: Vec::new(),
            };
            scan.stmts(&decl.body.stmts);
            direct[f] = scan.direct;
            for callee in scan.callees {
                if let Some(c) = callers.get_mut(callee as usize) {
                    c.push(f);
                }
            }
        }
        // Propagate from callees to callers over the call graph.
        let mut list_release = direct.clone();
        let mut work: Vec<usize> = (0..n).filter(|&f| direct[f]).collect();
        while let Some(f) = work.pop() {
            for &caller in &callers[f] {
                if !list_release[caller] {
                    list_release[caller] = true;
                    work.push(caller);
                }
            }
        }
        let destructor_release = ck
            .structs
            .iter()
            .filter_map(|s| s.destructor)
            .any(|d| list_release.get(d as usize).copied().unwrap_or(true));
        Effects {
            list_release,
            destructor_release,
        }
    }

    /// Whether running `stmts` may take an element out of some list.
    pub fn may_release_list(&self, ck: &Checked, stmts: &[Stmt]) -> bool {
        if self.destructor_release {
            return true;
        }
        let mut scan = Scan {
            ck,
            direct: false,
            callees: Vec::new(),
        };
        scan.stmts(stmts);
        scan.direct
            || scan
                .callees
                .iter()
                .any(|&f| self.list_release.get(f as usize).copied().unwrap_or(true))
    }
}

/// One walk over a block: its own list releases and the user functions it calls.
struct Scan<'a> {
    ck: &'a Checked,
    direct: bool,
    callees: Vec<FuncId>,
}

impl Scan<'_> {
    fn stmts(&mut self, stmts: &[Stmt]) {
        walk_stmts(stmts, &mut |node| match node {
            Node::Expr(e) => self.expr(e),
            Node::Assign(target) => {
                if let ExprKind::Index(..) = target.kind {
                    if self.ck.indexes.get(&target.id) != Some(&IndexRes::Map)
                        && self.ck.indexes.get(&target.id) != Some(&IndexRes::Tensor)
                    {
                        self.direct = true;
                    }
                }
            }
        });
    }

    fn expr(&mut self, e: &Expr) {
        match self.ck.calls.get(&e.id) {
            Some(CallRes::Fn { func, .. }) => self.callees.push(*func),
            // A function value may run anything.
            Some(CallRes::Value { .. } | CallRes::ListFn { .. }) => self.direct = true,
            Some(CallRes::Builtin { op, .. }) if op.facts().takes_elements => self.direct = true,
            _ => {}
        }
    }
}

/// Whether evaluating `e` may run code that releases objects the caller can see: a user
/// function (which can reassign a field or clear a list through a `&mutable` parameter,
/// or reach a collector safepoint where destructors run), an actor operation, a built-in
/// that mutates its receiver, or a temporary whose destructor runs when it is released. A view read before such an operand (`print(h.name,
/// reset(h))`) must be retained across it.
pub(crate) fn may_release(ck: &Checked, e: &Expr) -> bool {
    let mut found = false;
    walk_expr(e, &mut |node| {
        let Node::Expr(x) = node else { return };
        match (&x.kind, ck.calls.get(&x.id)) {
            (ExprKind::Spawn { .. }, _)
            | (_, Some(CallRes::Fn { .. } | CallRes::Value { .. } | CallRes::ListFn { .. })) => {
                found = true
            }
            // A temporary with a destructor (`Obj(h.clone()).k`) is released within the
            // expression, and its destructor can reach `h`.
            (_, Some(CallRes::Ctor { ty, .. })) => {
                found |= ck
                    .structs
                    .get(*ty as usize)
                    .is_none_or(|s| s.destructor.is_some());
            }
            (_, Some(CallRes::Builtin { op, .. })) => {
                let f = op.facts();
                found |= f.mutates_receiver || f.releases || f.result_may_destruct;
            }
            _ => {}
        }
    });
    found
}

/// Whether `e` holds a `?` outside any lambda inside it (an early return from the function
/// that evaluates `e`).
pub(crate) fn has_try(e: &Expr) -> bool {
    let mut found = false;
    walk_expr(e, &mut |node| {
        found |= matches!(node, Node::Expr(x) if matches!(x.kind, ExprKind::Try(_)));
    });
    found
}

/// Whether `block` names local `local` anywhere (reads, assignments, moves).
/// The tuple bindings of a function body that need no object at all (M9): bound by `let`
/// to a tuple literal the escape analysis keeps on the stack, and named only as the base
/// of a field read (`p.0`), so each part can live in a register of its own.
pub(crate) fn scalar_tuples(ck: &Checked, stmts: &[Stmt]) -> std::collections::HashSet<LocalId> {
    use std::collections::HashMap;
    let mut uses: HashMap<LocalId, (usize, usize)> = HashMap::new();
    // This body's `let`s, found on the walk: the checker's table holds the whole
    // program's, and scanning it for every function is quadratic in a large program.
    let mut lets: Vec<(ExprId, LocalId)> = Vec::new();
    walk_stmts(stmts, &mut |node| {
        let Node::Expr(e) = node else { return };
        if let Some(&local) = ck.lets.get(&e.id) {
            lets.push((e.id, local));
        }
        match &e.kind {
            ExprKind::Name(_) => {
                if let Some(NameRes::Local(l)) = ck.names.get(&e.id) {
                    uses.entry(*l).or_default().0 += 1;
                }
            }
            ExprKind::Field(base, _) => {
                if let Some(NameRes::Local(l)) = ck.names.get(&base.id) {
                    uses.entry(*l).or_default().1 += 1;
                }
            }
            _ => {}
        }
    });
    lets.iter()
        .filter(|(value, local)| {
            // A tuple literal never built, or the parts of a call returning values.
            let parts = (ck.stack_allocs.contains(value) && ck.tuples.contains(value))
                || matches!(ck.calls.get(value), Some(CallRes::Fn { func, .. })
                    if crate::call::multi_parts(&ck.functions[*func as usize].ret).is_some());
            parts && uses.get(local).is_none_or(|(all, fields)| all == fields)
        })
        .map(|(_, local)| *local)
        .collect()
}

/// Whether expression `e` names `local`.
pub(crate) fn expr_names(ck: &Checked, e: &Expr, local: LocalId) -> bool {
    let mut found = false;
    walk_expr(e, &mut |node| {
        if let Node::Expr(x) = node {
            if matches!(x.kind, ExprKind::Name(_))
                && ck.names.get(&x.id) == Some(&NameRes::Local(local))
            {
                found = true;
            }
        }
    });
    found
}

pub(crate) fn block_names(ck: &Checked, block: &Block, local: LocalId) -> bool {
    let mut found = false;
    walk_stmts(&block.stmts, &mut |node| {
        if let Node::Expr(e) = node {
            if let ExprKind::Name(_) = e.kind {
                if ck.names.get(&e.id) == Some(&NameRes::Local(local)) {
                    found = true;
                }
            }
        }
    });
    found
}

enum Node<'a> {
    /// Every expression, subexpressions included.
    Expr(&'a Expr),
    /// The target of an assignment (also visited as an expression).
    Assign(&'a Expr),
}

fn walk_stmts<'a>(stmts: &'a [Stmt], f: &mut dyn FnMut(Node<'a>)) {
    for stmt in stmts {
        match &stmt.kind {
            StmtKind::Let { value, .. } | StmtKind::LetTuple { value, .. } => walk_expr(value, f),
            StmtKind::Assign { target, value, .. } => {
                match &target.kind {
                    ExprKind::Tuple(targets) => targets.iter().for_each(|t| f(Node::Assign(t))),
                    _ => f(Node::Assign(target)),
                }
                walk_expr(target, f);
                walk_expr(value, f);
            }
            StmtKind::Expr(e) => walk_expr(e, f),
            StmtKind::If {
                branches,
                else_block,
            } => {
                for (cond, body) in branches {
                    walk_expr(cond, f);
                    walk_stmts(&body.stmts, f);
                }
                if let Some(b) = else_block {
                    walk_stmts(&b.stmts, f);
                }
            }
            StmtKind::While { cond, body } => {
                walk_expr(cond, f);
                walk_stmts(&body.stmts, f);
            }
            StmtKind::For { iter, body, .. } => {
                walk_expr(iter, f);
                walk_stmts(&body.stmts, f);
            }
            StmtKind::Return(Some(e)) => walk_expr(e, f),
            StmtKind::Arena { body, .. } => walk_stmts(&body.stmts, f),
            StmtKind::Match { subject, arms } => {
                walk_expr(subject, f);
                for arm in arms {
                    if let Some(g) = &arm.guard {
                        walk_expr(g, f);
                    }
                    walk_stmts(&arm.body.stmts, f);
                }
            }
            StmtKind::Return(None) | StmtKind::Break | StmtKind::Continue | StmtKind::Pass => {}
        }
    }
}

fn walk_expr<'a>(e: &'a Expr, f: &mut dyn FnMut(Node<'a>)) {
    // An explicit stack: deeply nested expressions must not overflow the compiler's.
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        f(Node::Expr(e));
        match &e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::None
            | ExprKind::Name(_)
            | ExprKind::Error(_) => {}
            // Making a closure runs none of its body.
            ExprKind::Lambda { .. } => {}
            ExprKind::FStr(parts) => stack.extend(parts.iter().flat_map(FStrPart::exprs)),
            ExprKind::List(items) | ExprKind::Tuple(items) => stack.extend(items),
            ExprKind::Comp(comp) => {
                stack.push(&comp.iter);
                stack.extend(&comp.cond);
                stack.extend(&comp.key);
                stack.push(&comp.elem);
            }
            ExprKind::Map(pairs) => {
                for (k, v) in pairs {
                    stack.push(k);
                    stack.push(v);
                }
            }
            ExprKind::Unary(_, x) | ExprKind::Try(x) => stack.push(x),
            ExprKind::Binary(_, a, b) => {
                stack.push(a);
                stack.push(b);
            }
            ExprKind::Compare { first, rest } => {
                stack.push(first);
                stack.extend(rest.iter().map(|(_, x)| x));
            }
            ExprKind::IfElse {
                cond,
                then,
                otherwise,
            } => {
                stack.push(cond);
                stack.push(then);
                stack.push(otherwise);
            }
            ExprKind::Call { callee, args } => {
                stack.push(callee);
                stack.extend(args.iter().map(|a| &a.value));
            }
            ExprKind::Field(base, _) => stack.push(base),
            ExprKind::Index(base, indices) => {
                stack.push(base);
                stack.extend(indices);
            }
            ExprKind::Slice { lo, hi, step } => {
                stack.extend([lo, hi, step].into_iter().flatten().map(|b| &**b));
            }
            ExprKind::Spawn { call, quota } => {
                stack.push(call);
                if let Some(q) = quota {
                    stack.push(q);
                }
            }
        }
    }
}
