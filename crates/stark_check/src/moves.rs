//! M1 and M11 at compile time: a flow-sensitive walk over each function body that tracks
//! which owning bindings have been moved out of, on all or some paths.
//!
//! A heap value moves when a binding that owns it appears where an owned value is needed:
//! a `let` or assignment right-hand side, a `return`, an owned argument, a struct field,
//! a list or map element, or a consuming method operand (`push`, `insert`). Any later read
//! of the binding is E0382 until it is assigned again. Borrowed parameters and loop
//! variables own nothing: putting one in such a place is E0505. A String never moves
//! (`Ty::moves`): it is immutable, so handing it over shares it, from any binding.

use crate::results::{
    call_operand, is_place, CallArg, CallRes, Checked, ForRes, MoveFacts, NameRes, NameUse, TPat,
};
use crate::types::*;
use stark_syntax::ast::{
    Block, Expr, ExprId, ExprKind, FStrPart, MatchArm, ParamMode, Program, Stmt, StmtKind,
};
use stark_syntax::{codes, Diagnostic, Span};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Clone, Debug, PartialEq)]
struct Moved {
    sites: Vec<Span>,
    /// Moved on some paths only.
    maybe: bool,
}

/// What is known at one program point; `None` means the point is unreachable.
type State = Option<BTreeMap<LocalId, Moved>>;

fn merge(a: &State, b: &State) -> State {
    match (a, b) {
        (None, s) | (s, None) => s.clone(),
        (Some(a), Some(b)) => {
            let mut out = BTreeMap::new();
            for (k, va) in a {
                let mut m = va.clone();
                match b.get(k) {
                    Some(vb) => {
                        for s in &vb.sites {
                            if !m.sites.contains(s) {
                                m.sites.push(*s);
                            }
                        }
                        m.maybe |= vb.maybe;
                    }
                    None => m.maybe = true,
                }
                out.insert(*k, m);
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    out.insert(
                        *k,
                        Moved {
                            sites: vb.sites.clone(),
                            maybe: true,
                        },
                    );
                }
            }
            Some(out)
        }
    }
}

struct LoopFrame {
    breaks: State,
    continues: State,
    /// Source range of the loop, to tell a move "in previous iteration".
    span: Span,
}

struct MoveChecker<'a> {
    ck: &'a Checked,
    state: State,
    loops: Vec<LoopFrame>,
    diags: Vec<Diagnostic>,
    /// Errors are reported only on the final pass over a loop body.
    quiet: u32,
    /// Bindings whose value may outlive them (moved, cloned, weakly referenced, or
    /// reassigned): escape analysis (M9) keeps these on the heap.
    escaping: HashSet<LocalId>,
    /// `(local, callee, parameter index)`: a binding lent to a user function's parameter;
    /// it escapes if that parameter does.
    lent: Vec<(LocalId, FuncId, usize)>,
    /// Where a binding moved into a user function's owned parameter: the argument's span
    /// and `(callee, parameter index)`, for E0382's borrowing hint.
    arg_moves: HashMap<Span, (FuncId, usize)>,
    /// E0382 reports (index in `diags`) whose moves went into these owned parameters:
    /// once every body is walked, those that their function only reads get a hint.
    borrow_hints: Vec<(usize, Vec<(FuncId, usize)>)>,
    /// Names bound by the patterns of a `match` on a place: the subject keeps its parts,
    /// so using one as an owner shares it (+1) instead of moving it (SPEC §6).
    shared: HashSet<LocalId>,
    /// `(name, subject)`: a pattern name bound to the whole of a borrowed `match` subject
    /// (`case q:`); the subject escapes if the name does.
    aliases: Vec<(LocalId, LocalId)>,
    /// Lambdas passed where they are only borrowed: to a built-in (`None`) or to a user
    /// function's borrowed parameter (it escapes if that parameter does).
    lent_lambdas: Vec<(ExprId, Option<(FuncId, usize)>)>,
    /// Lambdas that escape where they are written (returned, stored, passed owned): they
    /// take their heap captures over, and those moves are labelled as such.
    moving_lambdas: HashSet<ExprId>,
    closure_moves: HashSet<Span>,
    /// `let`-bound lambdas whose binding escapes later (a first walk found them): they
    /// take their heap captures over at the `let`, as one handed over where it is written.
    escaping_lets: &'a HashSet<ExprId>,
    /// Bindings moved out of or reassigned somewhere in their function: a closure that does
    /// not escape may borrow only the others (their object outlives it).
    unstable: HashSet<LocalId>,
    /// `(binding, lambda)`: a function value captured by a lambda; the binding escapes if
    /// the lambda does (escape analysis decides).
    captured_fns: Vec<(LocalId, ExprId)>,
    /// Every use of a binding by name, as the last walk over it saw it (a loop's body is
    /// walked until its state settles), by where it is.
    uses: HashMap<(u32, u32, u32), NameUse>,
    /// Moves made so far (to tell whether a use moved its binding).
    moves_made: u64,
}

/// Checks moves and borrows; also returns the bindings whose value may escape them.
/// `escaping_lets`: the `let`-bound lambdas whose binding escapes (empty on a first walk,
/// which escape analysis then reads to find them).
pub fn check_moves(
    program: &Program,
    ck: &Checked,
    escaping_lets: &HashSet<ExprId>,
) -> (Vec<Diagnostic>, Escapes) {
    let mut mc = MoveChecker {
        ck,
        state: Some(BTreeMap::new()),
        loops: Vec::new(),
        diags: Vec::new(),
        quiet: 0,
        escaping: HashSet::new(),
        lent: Vec::new(),
        arg_moves: HashMap::new(),
        borrow_hints: Vec::new(),
        shared: HashSet::new(),
        aliases: Vec::new(),
        lent_lambdas: Vec::new(),
        moving_lambdas: HashSet::new(),
        closure_moves: HashSet::new(),
        escaping_lets,
        unstable: HashSet::new(),
        captured_fns: Vec::new(),
        uses: HashMap::new(),
        moves_made: 0,
    };
    for (func, info) in ck.functions.iter().enumerate() {
        if ck.failed.contains(&(func as FuncId)) {
            continue;
        }
        let Some(decl) = info.decl(program) else {
            continue;
        };
        mc.state = Some(BTreeMap::new());
        mc.block(&decl.body);
    }
    mc.add_borrow_hints();
    (
        mc.diags,
        Escapes {
            escaping: mc.escaping,
            lent: mc.lent,
            aliases: mc.aliases,
            lent_lambdas: mc.lent_lambdas,
            moving_lambdas: mc.moving_lambdas,
            unstable: mc.unstable,
            captured_fns: mc.captured_fns,
            facts: {
                let mut uses: Vec<NameUse> = mc.uses.into_values().collect();
                uses.sort_by_key(|u| (u.span.file, u.span.start, u.span.end));
                MoveFacts { uses }
            },
        },
    )
}

/// What escape analysis needs from the move checker.
pub struct Escapes {
    pub escaping: HashSet<LocalId>,
    pub lent: Vec<(LocalId, FuncId, usize)>,
    /// `(name, subject)`: a `match` pattern's name that is the subject binding's own
    /// object (`match p: case q:`): if `q` escapes, so does `p`.
    pub aliases: Vec<(LocalId, LocalId)>,
    pub lent_lambdas: Vec<(ExprId, Option<(FuncId, usize)>)>,
    pub moving_lambdas: HashSet<ExprId>,
    /// Bindings moved out of or reassigned somewhere in their function.
    pub unstable: HashSet<LocalId>,
    /// `(binding, lambda)`: a function value captured by a lambda.
    pub captured_fns: Vec<(LocalId, ExprId)>,
    /// What was seen at each use of a binding (`Checked::move_facts`).
    pub facts: MoveFacts,
}

#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    /// The value is read where it stands.
    Read,
    /// The value is stored or handed over: an owning binding moves.
    Own,
}

impl MoveChecker<'_> {
    fn report(&mut self, d: Diagnostic) {
        if self.quiet == 0 && !self.diags.contains(&d) {
            self.diags.push(d);
        }
    }

    fn local(&self, e: &Expr) -> Option<LocalId> {
        match (&e.kind, self.ck.names.get(&e.id)) {
            (ExprKind::Name(_), Some(NameRes::Local(l))) => Some(*l),
            _ => None,
        }
    }

    fn use_local(&mut self, local: LocalId, span: Span) {
        let Some(state) = &mut self.state else { return };
        let Some(m) = state.get(&local).cloned() else {
            return;
        };
        let name = self.ck.local(local).name.clone();
        let in_loop = |site: &Span| {
            self.loops
                .iter()
                .any(|l| l.span.start <= site.start && site.end <= l.span.end)
        };
        // A move at or after the use, inside the loop, happened in an earlier iteration.
        let previous_iteration = |site: &Span| site.start >= span.start && in_loop(site);
        let all_previous = m.sites.iter().all(previous_iteration);
        let (message, label) = if m.maybe && !all_previous {
            (
                format!("use of possibly moved value: `{name}`"),
                "value used here after a move on some paths",
            )
        } else {
            (
                format!("use of moved value: `{name}`"),
                "value used here after move",
            )
        };
        let mut d = Diagnostic::error(codes::MOVED, message, span).label(label);
        for site in &m.sites {
            let text = if previous_iteration(site) {
                "value moved here, in previous iteration of loop"
            } else if m.maybe {
                "value possibly moved here"
            } else if self.closure_moves.contains(site) {
                "value moved into closure here"
            } else {
                "value moved here"
            };
            if *site == span {
                d.primary.message = text.to_string();
            } else {
                d = d.secondary(*site, text);
            }
        }
        d = d.help(format!("to keep using `{name}`, pass or store `{name}.clone()` (shares it) or `{name}.copy()` (copies it)"));
        let callees: Vec<(FuncId, usize)> = m
            .sites
            .iter()
            .filter_map(|site| self.arg_moves.get(site).copied())
            .collect();
        let reported = self.diags.len();
        self.report(d);
        if !callees.is_empty() && self.diags.len() > reported {
            self.borrow_hints.push((reported, callees));
        }
        // One report per binding is enough; pretend it was restored.
        if let Some(state) = &mut self.state {
            state.remove(&local);
        }
    }

    /// Adds to each E0382 whose value was moved into an owned parameter that its function
    /// only reads (never moves, stores, returns, clones or reassigns it: it is not in
    /// `escaping`, which every body's walk has filled by now) the hint to borrow it instead.
    fn add_borrow_hints(&mut self) {
        for (index, callees) in std::mem::take(&mut self.borrow_hints) {
            let mut hints: Vec<String> = Vec::new();
            for (func, i) in callees {
                // A callee whose body was not checked cannot be said to only read.
                if self.ck.failed.contains(&func) {
                    continue;
                }
                let info = &self.ck.functions[func as usize];
                let Some(p) = info.params.get(i) else {
                    continue;
                };
                if self.escaping.contains(&p.local) {
                    continue;
                }
                let declared = if p.name == "self" {
                    "&self".to_string()
                } else {
                    let ty = TyDisplay {
                        ty: &p.ty,
                        structs: &self.ck.structs,
                        enums: &self.ck.enums,
                        params: &info.type_params,
                    };
                    format!("&{}: {ty}", p.name)
                };
                let hint = format!(
                    "if `{}` only reads `{}`, declare it `{declared}`",
                    info.name, p.name
                );
                if !hints.contains(&hint) {
                    hints.push(hint);
                }
            }
            if let Some(d) = self.diags.get_mut(index) {
                for hint in hints {
                    let help = d.help.get_or_insert_with(String::new);
                    help.push('\n');
                    help.push_str(&hint);
                }
            }
        }
    }

    fn move_local(&mut self, local: LocalId, span: Span) {
        self.moves_made += 1;
        self.unstable.insert(local);
        if let Some(state) = &mut self.state {
            state.insert(
                local,
                Moved {
                    sites: vec![span],
                    maybe: false,
                },
            );
        }
    }

    fn expr(&mut self, e: &Expr, ctx: Ctx) {
        // A tensor converted to a number where one is expected (SPEC §8) is only read.
        let ctx = if self.ck.tensor_scalars.contains_key(&e.id) {
            Ctx::Read
        } else {
            ctx
        };
        match &e.kind {
            ExprKind::Name(_) => {
                let Some(local) = self.local(e) else { return };
                let before = self.state.as_ref().and_then(|s| s.get(&local)).cloned();
                let moves_before = self.moves_made;
                self.use_local(local, e.span);
                let info = self.ck.local(local);
                if ctx == Ctx::Own {
                    self.escaping.insert(local);
                }
                if ctx == Ctx::Own && info.ty.moves() && !self.shared.contains(&local) {
                    if info.is_borrowed() {
                        let name = info.name.clone();
                        let what = if info.kind == LocalKind::ForVar {
                            "loop variable"
                        } else {
                            "borrowed value"
                        };
                        self.report(
                            Diagnostic::error(
                                codes::BORROW_ESCAPE,
                                format!("borrowed value `{name}` cannot escape"),
                                e.span,
                            )
                            .label(format!("{what} moved or stored here"))
                            .secondary(info.span, format!("`{name}` is borrowed, not owned"))
                            .help(format!("store a new reference instead: `{name}.clone()`")),
                        );
                    } else {
                        self.move_local(local, e.span);
                    }
                }
                if self.quiet == 0 {
                    let s = e.span;
                    let moved = before.unwrap_or(Moved {
                        sites: Vec::new(),
                        maybe: false,
                    });
                    self.uses.insert(
                        (s.file.0, s.start, s.end),
                        NameUse {
                            span: s,
                            local,
                            moves: self.moves_made > moves_before,
                            moved_at: moved.sites,
                            maybe: moved.maybe,
                        },
                    );
                }
            }
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::None
            | ExprKind::Error(_) => {}
            ExprKind::FStr(parts) => {
                for inner in parts.iter().flat_map(FStrPart::exprs) {
                    self.expr(inner, Ctx::Read);
                }
            }
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                items.iter().for_each(|i| self.expr(i, Ctx::Own))
            }
            ExprKind::Comp(comp) => {
                // The iterable is read; the loop variable borrows each element, as in `for`.
                // The element is evaluated once per element: two passes find a binding
                // moved by one iteration and used by the next.
                self.expr(&comp.iter, Ctx::Read);
                for _ in 0..2 {
                    if let Some(c) = &comp.cond {
                        self.expr(c, Ctx::Read);
                    }
                    if let Some(k) = &comp.key {
                        self.expr(k, Ctx::Own);
                    }
                    self.expr(&comp.elem, Ctx::Own);
                }
            }
            ExprKind::Map(pairs) => {
                for (k, v) in pairs {
                    self.expr(k, Ctx::Own);
                    self.expr(v, Ctx::Own);
                }
            }
            ExprKind::Unary(_, inner) => self.expr(inner, Ctx::Read),
            // `r?` takes the `Result` (or `T?`) over: its `Ok` value or its `Err`.
            ExprKind::Try(inner) => self.expr(inner, Ctx::Own),
            ExprKind::Binary(_, a, b) => {
                self.expr(a, Ctx::Read);
                self.expr(b, Ctx::Read);
            }
            ExprKind::Compare { first, rest } => {
                self.expr(first, Ctx::Read);
                rest.iter().for_each(|(_, x)| self.expr(x, Ctx::Read));
            }
            // One arm runs: what the arms move joins like an `if`'s branches. Where the
            // value is stored (`Own`), the arm that runs is moved; a read reads it.
            ExprKind::IfElse {
                cond,
                then,
                otherwise,
            } => {
                self.expr(cond, Ctx::Read);
                let before = self.state.clone();
                self.expr(then, ctx);
                let after_then = std::mem::replace(&mut self.state, before);
                self.expr(otherwise, ctx);
                self.state = merge(&after_then, &self.state);
            }
            ExprKind::Field(base, _) => self.expr(base, Ctx::Read),
            ExprKind::Index(base, idx) => {
                self.expr(base, Ctx::Read);
                idx.iter().for_each(|i| self.expr(i, Ctx::Read));
            }
            ExprKind::Slice { lo, hi, step } => {
                for part in [lo, hi, step].into_iter().flatten() {
                    self.expr(part, Ctx::Read);
                }
            }
            ExprKind::Call { .. } => self.call(e),
            // The closure holds a new reference to each capture (SPEC §7 and
            // docs/decisions.md): the captured bindings are read, and escape (a captured
            // struct is not stack-allocated, M9).
            ExprKind::Lambda { .. } => {
                let Some(res) = self.ck.lambdas.get(&e.id) else {
                    return;
                };
                // Written where it is handed over (not bound by a `let`, whose uses decide
                // later): the closure outlives this point and takes its heap captures.
                // A `let`-bound one whose binding escapes later takes them at the `let`.
                let escapes = ctx == Ctx::Own
                    && (!self.ck.lets.contains_key(&e.id) || self.escaping_lets.contains(&e.id));
                if escapes {
                    self.moving_lambdas.insert(e.id);
                }
                for &(outer, _) in &res.captures {
                    self.use_local(outer, e.span);
                    let info = self.ck.local(outer);
                    // A function value captured by a lambda that does not escape stays
                    // where it is (`xs.map(fn(x) => f(x))`); escape analysis propagates.
                    if matches!(info.ty, Ty::Fn(..)) && !escapes {
                        self.captured_fns.push((outer, e.id));
                    } else {
                        self.escaping.insert(outer);
                    }
                    if !escapes || !info.ty.moves() || self.shared.contains(&outer) {
                        continue;
                    }
                    if info.is_borrowed() {
                        let name = info.name.clone();
                        self.report(
                            Diagnostic::error(
                                codes::BORROW_ESCAPE,
                                format!("borrowed value `{name}` cannot escape"),
                                e.span,
                            )
                            .label("captured by a closure that escapes")
                            .secondary(info.span, format!("`{name}` is borrowed, not owned"))
                            .help(format!(
                                "capture a new reference: `let mine = {name}.clone()`"
                            )),
                        );
                    } else {
                        self.closure_moves.insert(e.span);
                        self.move_local(outer, e.span);
                    }
                }
            }
            ExprKind::Spawn { call, quota } => {
                // Every argument is sent to the actor: moved, whatever the parameter's mode
                // (a borrowed parameter of a spawned function borrows the actor's own copy).
                self.call_with(call, true);
                if let Some(q) = quota {
                    self.expr(q, Ctx::Read);
                }
            }
        }
    }

    fn call(&mut self, e: &Expr) {
        self.call_with(e, false);
    }

    /// `sent`: the call is spawned, so every operand is handed over (Own).
    fn call_with(&mut self, e: &Expr, sent: bool) {
        let ExprKind::Call { callee, args } = &e.kind else {
            return;
        };
        let recv = match &callee.kind {
            ExprKind::Field(r, _) => Some(&**r),
            _ => None,
        };
        let operand = |a: &CallArg| call_operand(e, a);
        let plan: Vec<(Option<&Expr>, Ctx, Option<ParamMode>)> = match self.ck.calls.get(&e.id) {
            Some(CallRes::Fn { func, args: bound }) => {
                let info = &self.ck.functions[*func as usize];
                bound
                    .iter()
                    .zip(&info.params)
                    .map(|(a, p)| {
                        let mode = if sent { ParamMode::Owned } else { p.mode };
                        let ctx = if mode == ParamMode::Owned {
                            Ctx::Own
                        } else {
                            Ctx::Read
                        };
                        (operand(a), ctx, Some(mode))
                    })
                    .collect()
            }
            Some(CallRes::Ctor { args: bound, .. }) => {
                bound.iter().map(|a| (operand(a), Ctx::Own, None)).collect()
            }
            // The list and the function are read; `reduce`'s initial value is taken.
            Some(CallRes::ListFn { args: bound, .. }) => bound
                .iter()
                .enumerate()
                .map(|(i, a)| (operand(a), if i == 2 { Ctx::Own } else { Ctx::Read }, None))
                .collect(),
            Some(CallRes::Value { args: bound }) => {
                if let ExprKind::Call { callee, .. } = &e.kind {
                    self.expr(callee, Ctx::Read);
                }
                bound
                    .iter()
                    .map(|a| (operand(a), Ctx::Own, Some(ParamMode::Owned)))
                    .collect()
            }
            Some(CallRes::Builtin { op, args: bound }) => bound
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let owned = op.consumes(i);
                    (operand(a), if owned { Ctx::Own } else { Ctx::Read }, None)
                })
                .collect(),
            None => {
                if let Some(r) = recv {
                    self.expr(r, Ctx::Read);
                }
                args.iter().for_each(|a| self.expr(&a.value, Ctx::Read));
                return;
            }
        };
        if let (Some(CallRes::Fn { func, args: bound }), false) = (self.ck.calls.get(&e.id), sent) {
            let params = &self.ck.functions[*func as usize].params;
            for (i, a) in bound.iter().enumerate() {
                if let Some((x, local)) = operand(a).and_then(|x| Some((x, self.local(x)?))) {
                    self.lent.push((local, *func, i));
                    if params.get(i).is_some_and(|p| p.mode == ParamMode::Owned) {
                        self.arg_moves.insert(x.span, (*func, i));
                    }
                }
            }
        }
        // A new reference to operand 0's object (`x.clone()`, `WeakRef(x)`): its binding
        // escapes.
        if let Some(CallRes::Builtin { op, args: bound }) = self.ck.calls.get(&e.id) {
            let first = bound.first().filter(|_| op.facts().refers_to_operand);
            if let Some(local) = first.and_then(operand).and_then(|x| self.local(x)) {
                self.escaping.insert(local);
            }
        }
        // Aliasing: a binding lent for the whole call must not also be moved or lent
        // mutably by another operand of the same call.
        let direct: Vec<(LocalId, Span, Ctx, Option<ParamMode>)> = plan
            .iter()
            .filter_map(|(e, ctx, mode)| {
                e.and_then(|e| self.local(e).map(|l| (l, e.span, *ctx, *mode)))
            })
            .collect();
        for (i, a) in direct.iter().enumerate() {
            for b in &direct[i + 1..] {
                // A String is never moved nor mutated, so lending it twice is harmless.
                if a.0 != b.0 || !self.ck.local(a.0).ty.moves() {
                    continue;
                }
                let name = self.ck.local(a.0).name.clone();
                let mutable = |m: Option<ParamMode>| m == Some(ParamMode::BorrowedMut);
                if mutable(a.3) || mutable(b.3) {
                    self.report(
                        Diagnostic::error(codes::ALIAS_MUT, format!("cannot pass `{name}` as `&mutable` and as another argument of the same call"), b.1)
                            .label("second use here")
                            .secondary(a.1, "first use here")
                            .help(format!("pass a copy: `{name}.copy()`")),
                    );
                } else if a.2 != b.2 {
                    self.report(
                        Diagnostic::error(
                            codes::BORROW_ESCAPE,
                            format!("cannot move `{name}` while this call borrows it"),
                            b.1,
                        )
                        .label("moved here")
                        .secondary(a.1, "borrowed here for the whole call")
                        .help(format!("pass `{name}.clone()` as the owned argument")),
                    );
                }
            }
        }
        let user_fn = match self.ck.calls.get(&e.id) {
            Some(CallRes::Fn { func, .. }) => Some(*func),
            _ => None,
        };
        for (i, (operand, ctx, _)) in plan.iter().enumerate() {
            if let (Some(op), Ctx::Read) = (operand, ctx) {
                if matches!(op.kind, ExprKind::Lambda { .. }) && !sent {
                    self.lent_lambdas.push((op.id, user_fn.map(|f| (f, i))));
                }
            }
        }
        for (operand, ctx, _) in plan {
            if let Some(op) = operand {
                self.expr(op, ctx);
            }
        }
    }

    fn block(&mut self, b: &Block) {
        for s in &b.stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Let { value, .. } => {
                self.expr(value, Ctx::Own);
                if let (Some(local), Some(state)) = (self.ck.lets.get(&value.id), &mut self.state) {
                    state.remove(local);
                }
            }
            StmtKind::LetTuple { value, .. } => {
                self.expr(value, Ctx::Own);
                if let (Some(locals), Some(state)) =
                    (self.ck.patterns.get(&value.id), &mut self.state)
                {
                    for local in locals {
                        state.remove(local);
                    }
                }
            }
            StmtKind::Assign {
                target,
                op: None,
                value,
            } if matches!(target.kind, ExprKind::Tuple(_)) => {
                // `a, b = b, a`: the value (moving `b` and `a` out) is built first, then
                // each target is assigned, which makes a moved binding usable again.
                self.expr(value, Ctx::Own);
                let ExprKind::Tuple(targets) = &target.kind else {
                    unreachable!()
                };
                for t in targets {
                    match self.local(t) {
                        Some(local) => {
                            self.escaping.insert(local);
                            self.unstable.insert(local);
                            if let Some(state) = &mut self.state {
                                state.remove(&local);
                            }
                        }
                        None => self.expr(t, Ctx::Read),
                    }
                }
            }
            StmtKind::Assign { target, op, value } => {
                if op.is_some() {
                    self.expr(target, Ctx::Read);
                }
                // `t[1:3] = v` copies v's elements into the tensor's region: v is read, not
                // stored (`y[::-1] = y` is fine).
                let copied = matches!(target.kind, ExprKind::Index(..))
                    && self.ck.indexes.get(&target.id) == Some(&crate::results::IndexRes::Tensor);
                self.expr(value, if copied { Ctx::Read } else { Ctx::Own });
                match self.local(target) {
                    // Assigning a moved binding makes it usable again.
                    Some(local) => {
                        self.escaping.insert(local);
                        self.unstable.insert(local);
                        if let Some(state) = &mut self.state {
                            state.remove(&local);
                        }
                    }
                    None => self.expr(target, Ctx::Read),
                }
            }
            StmtKind::Expr(e) => self.expr(e, Ctx::Read),
            StmtKind::If {
                branches,
                else_block,
            } => {
                let mut out: State = None;
                for (cond, body) in branches {
                    self.expr(cond, Ctx::Read);
                    let before = self.state.clone();
                    self.block(body);
                    out = merge(&out, &self.state);
                    self.state = before;
                }
                match else_block {
                    Some(b) => {
                        self.block(b);
                        out = merge(&out, &self.state);
                    }
                    None => out = merge(&out, &self.state),
                }
                self.state = out;
            }
            StmtKind::While { cond, body } => self.looping(s.span, Some(cond), None, body),
            StmtKind::For { iter, body, .. } => {
                // Iterating reads the iterable; the loop variable borrows each element.
                self.expr(iter, Ctx::Read);
                let var = match self.ck.fors.get(&iter.id) {
                    Some(ForRes::Range { var } | ForRes::List { var } | ForRes::Str { var }) => {
                        Some(*var)
                    }
                    None => None,
                };
                self.looping(s.span, None, var, body);
            }
            StmtKind::Break => {
                if let Some(l) = self.loops.last_mut() {
                    l.breaks = merge(&l.breaks, &self.state);
                }
                self.state = None;
            }
            StmtKind::Continue => {
                if let Some(l) = self.loops.last_mut() {
                    l.continues = merge(&l.continues, &self.state);
                }
                self.state = None;
            }
            StmtKind::Return(v) => {
                if let Some(v) = v {
                    self.expr(v, Ctx::Own);
                }
                self.state = None;
            }
            StmtKind::Arena { body, .. } => self.block(body),
            StmtKind::Match { subject, arms } => self.match_stmt(subject, arms),
            StmtKind::Pass => {}
        }
    }

    /// A `match`: a place subject is borrowed (its bindings share its parts), a temporary
    /// is owned by the statement (its bindings own theirs, so using one as an owner moves
    /// it). A tuple of places (`match (a, b):`) is never built: each part is borrowed.
    /// Arms join like `if` branches, with the path where no arm matched.
    fn match_stmt(&mut self, subject: &Expr, arms: &[MatchArm]) {
        let place = is_place(subject);
        match &subject.kind {
            ExprKind::Tuple(items) if items.iter().all(is_place) => {
                items.iter().for_each(|i| self.expr(i, Ctx::Read))
            }
            _ => self.expr(subject, if place { Ctx::Read } else { Ctx::Own }),
        }
        let Some(res) = self.ck.matches.get(&subject.id) else {
            return;
        };
        let borrowed =
            place || matches!(&subject.kind, ExprKind::Tuple(items) if items.iter().all(is_place));
        let before = self.state.clone();
        let mut out = before.clone();
        // Names that are the subject's own object (not one of its parts).
        match &subject.kind {
            ExprKind::Tuple(items) if borrowed => {
                for pat in &res.arms {
                    for alt in alternatives(pat) {
                        if let TPat::Tuple(parts) = alt {
                            for (item, part) in items.iter().zip(parts) {
                                self.alias_whole(item, part);
                            }
                        }
                    }
                }
            }
            _ if place => {
                for pat in &res.arms {
                    self.alias_whole(subject, pat);
                }
            }
            _ => {}
        }
        for (arm, pat) in arms.iter().zip(&res.arms) {
            self.state = before.clone();
            for local in pat.binds() {
                if borrowed {
                    self.shared.insert(local);
                }
                if let Some(state) = &mut self.state {
                    state.remove(&local);
                }
            }
            if let Some(g) = &arm.guard {
                self.expr(g, Ctx::Read);
            }
            self.block(&arm.body);
            out = merge(&out, &self.state);
        }
        self.state = out;
    }

    /// Records the names of `pat` that bind the whole value of the place `subject` (a
    /// name, through `T?`'s `Some` and alternatives), if `subject` is a binding.
    fn alias_whole(&mut self, subject: &Expr, pat: &TPat) {
        let Some(local) = self.local(subject) else {
            return;
        };
        for alt in alternatives(pat) {
            match alt {
                TPat::Bind(name) => self.aliases.push((*name, local)),
                TPat::Some(inner) => self.alias_whole(subject, inner),
                _ => {}
            }
        }
    }

    /// A loop: iterate the body to a fixed point (moves in one iteration reach the next),
    /// then check it once more with errors on.
    fn looping(&mut self, span: Span, cond: Option<&Expr>, var: Option<LocalId>, body: &Block) {
        let entry = self.state.clone();
        let mut head = entry.clone();
        self.quiet += 1;
        for _ in 0..8 {
            let end = self.loop_pass(span, cond, var, body, &head);
            let next = merge(&entry, &end);
            if next == head {
                break;
            }
            head = next;
        }
        self.quiet -= 1;
        let (exit, breaks) = self.loop_pass_full(span, cond, var, body, &head);
        self.state = merge(&exit, &breaks);
    }

    fn loop_pass(
        &mut self,
        span: Span,
        cond: Option<&Expr>,
        var: Option<LocalId>,
        body: &Block,
        head: &State,
    ) -> State {
        self.state = head.clone();
        if let Some(c) = cond {
            self.expr(c, Ctx::Read);
        }
        if let (Some(v), Some(state)) = (var, &mut self.state) {
            state.remove(&v);
        }
        self.loops.push(LoopFrame {
            breaks: None,
            continues: None,
            span,
        });
        self.block(body);
        let frame = self.loops.pop().expect("loop frame");
        merge(&self.state, &frame.continues)
    }

    fn loop_pass_full(
        &mut self,
        span: Span,
        cond: Option<&Expr>,
        var: Option<LocalId>,
        body: &Block,
        head: &State,
    ) -> (State, State) {
        self.state = head.clone();
        if let Some(c) = cond {
            self.expr(c, Ctx::Read);
        }
        let after_cond = self.state.clone();
        self.loops.push(LoopFrame {
            breaks: None,
            continues: None,
            span,
        });
        self.block(body);
        let frame = self.loops.pop().expect("loop frame");
        let _ = var;
        // The loop exits when its condition fails (for a `for`, when the items run out).
        (after_cond, frame.breaks)
    }
}

/// The alternatives of an or-pattern (nested ones flattened), or the pattern itself.
fn alternatives(pat: &TPat) -> Vec<&TPat> {
    match pat {
        TPat::Or(alts) => alts.iter().flat_map(alternatives).collect(),
        _ => vec![pat],
    }
}
