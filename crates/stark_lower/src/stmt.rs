//! Statements: bindings, control flow with the drops each exit needs, and returns.
//! Loops over ranges and lists are in `loops.rs`, assignment in `assign.rs`.

use super::{FnLower, LoopCtx};
use stark_bytecode::instr::{CmpOp, Instr, Reg};
use stark_check::{ForRes, IndexRes, NameRes, Ty};
use stark_syntax::ast::{BinOp, Block, Expr, ExprKind, Pattern, Stmt, StmtKind};
use stark_syntax::Span;

impl FnLower<'_> {
    pub fn block(&mut self, block: &Block) {
        self.open_scope();
        self.block_stmts(&block.stmts);
        let end = Span::new(block.span.end as usize, block.span.end as usize);
        self.close_scope(end);
    }

    pub fn block_stmts(&mut self, stmts: &[Stmt]) {
        for (i, stmt) in stmts.iter().enumerate() {
            if !self.let_view(stmt, &stmts[i + 1..]) {
                self.stmt(stmt);
            }
            self.next_temp = self.temp_base;
        }
    }

    /// `let x = xs[i]` where `x` can be a view of the element instead of an owner (M11):
    /// `x` is never moved, cloned or reassigned; `xs` is a `let` or a parameter that is
    /// never moved or reassigned either (so the list lives to the end of its scope, which
    /// encloses `x`'s); and nothing in the rest of `x`'s block (`rest`) can take
    /// an element out of a list (`effects`). Then the element stays in the list, alive, as
    /// long as `x` does: no `incref`, and no `drop` at the end of the scope. Returns whether
    /// it lowered `stmt` so.
    fn let_view(&mut self, stmt: &Stmt, rest: &[Stmt]) -> bool {
        let StmtKind::Let { value, .. } = &stmt.kind else {
            return false;
        };
        if self.naive {
            return false;
        }
        let Some(&local) = self.ck.lets.get(&value.id) else {
            return false;
        };
        // Never moved, cloned or rebound (`escaping_locals`). It may still be `mutable`:
        // mutating *through* a binding (`b.vx -= d`, `xs.push(v)`) changes the object, not
        // which object the binding refers to.
        let stable = |l: stark_check::LocalId| !self.ck.escaping_locals.contains(&l);
        let info = self.ck.local(local);
        let heap = self.local_ty(local).is_heap();
        if !(info.kind == stark_check::LocalKind::Let && heap && stable(local)) {
            return false;
        }
        // `let argv = args()`: nothing can change or free the immortal argument list (an
        // immutable binding cannot mutate it; a `mutable` one gets a list of its own).
        if self.is_args_call(value) && !info.mutable {
            let reg = self.local_reg[&local];
            self.args_view_in(reg, value.span);
            self.views.insert(local);
            return true;
        }
        let ExprKind::Index(base, indices) = &value.kind else {
            return false;
        };
        if self.ck.indexes.get(&value.id) != Some(&IndexRes::List)
            || indices.len() != 1
            || self.ty(value) != self.local_ty(local)
        {
            return false;
        }
        // An element of the immortal argument list (`let mode = args()[0]`) lives as long.
        if !self.is_args_call(base) {
            let Some(NameRes::Local(root)) = self.ck.names.get(&base.id).copied() else {
                return false;
            };
            // A `let` owns its list to the end of its scope, which encloses `x`'s; a
            // borrowed parameter's caller keeps the list alive for the whole call.
            let holds = matches!(
                self.ck.local(root).kind,
                stark_check::LocalKind::Let | stark_check::LocalKind::Param(_)
            );
            if !holds || !stable(root) || self.effects.may_release_list(self.ck, rest) {
                return false;
            }
        }
        let reg = self.local_reg[&local];
        let owned = self.expr_in(value, reg);
        debug_assert!(!owned, "an element of a binding's list is a view");
        self.views.insert(local);
        true
    }

    fn stmt(&mut self, stmt: &Stmt) {
        let span = stmt.span;
        match &stmt.kind {
            StmtKind::Let { value, .. }
                if self.scalar_tuples.contains(&self.ck.lets[&value.id]) =>
            {
                // Each part in a register of its own, owned by the scope; no tuple is built.
                let local = self.ck.lets[&value.id];
                let Ty::Tuple(parts) = self.local_ty(local) else {
                    unreachable!("a scalar tuple has a tuple type")
                };
                let mut regs = Vec::new();
                match &value.kind {
                    ExprKind::Tuple(items) => {
                        let pending = self.pending.len();
                        for (item, ty) in items.iter().zip(&parts) {
                            let reg = self.pinned();
                            self.owned_in(item, reg, ty);
                            if ty.is_heap() {
                                // Released by a `?` in a later part that returns early.
                                self.pending.push(reg);
                            }
                            regs.push(reg);
                        }
                        self.pending.truncate(pending);
                    }
                    // A call returning the tuple as values: each part moves to a register
                    // that lives as long as the binding.
                    _ => {
                        let pinned: Vec<Reg> = parts.iter().map(|_| self.pinned()).collect();
                        let (base, _) = self.call_parts(value).expect("a call returning values");
                        for (i, &reg) in pinned.iter().enumerate() {
                            let src = base + i as Reg;
                            self.emit(Instr::Move { dst: reg, src }, value.span);
                        }
                        regs = pinned;
                    }
                }
                // Dropped as a built tuple would release them: in part order, at the
                // binding's place among the scope's owners (which drop in reverse).
                for (reg, ty) in regs.iter().zip(&parts).rev() {
                    if ty.is_heap() {
                        self.scopes.last_mut().expect("scope").owned.push(*reg);
                    }
                }
                self.tuple_parts.insert(local, regs);
            }
            StmtKind::Let { value, .. } => {
                let local = self.ck.lets[&value.id];
                let reg = self.local_reg[&local];
                let ty = self.local_ty(local);
                self.owned_in(value, reg, &ty);
                if ty.is_heap() {
                    self.scopes.last_mut().expect("scope").owned.push(reg);
                }
            }
            StmtKind::LetTuple { pattern, value, .. } => {
                let locals = self.ck.patterns[&value.id].clone();
                let mut next = locals.iter();
                self.unpack_let(pattern, value, &mut next);
            }
            StmtKind::Assign { target, op, value } => self.assign(target, *op, value, span),
            StmtKind::Expr(e) => {
                let v = self.expr(e);
                self.release(v, span);
            }
            StmtKind::If {
                branches,
                else_block,
            } => {
                let mut ends = Vec::new();
                for (k, (cond, body)) in branches.iter().enumerate() {
                    let skip = self.jump_unless(cond);
                    self.next_temp = self.temp_base;
                    self.block(body);
                    // The last branch without an `else` falls through to the end anyway.
                    if k + 1 < branches.len() || else_block.is_some() {
                        ends.push(self.emit(Instr::Jump { target: 0 }, span));
                    }
                    self.patch_all(skip);
                }
                if let Some(b) = else_block {
                    self.block(b);
                }
                for j in ends {
                    self.patch(j);
                }
            }
            StmtKind::While { cond, body } => {
                let start = self.here();
                let exit = self.jump_unless(cond);
                self.next_temp = self.temp_base;
                self.loops.push(LoopCtx {
                    depth: self.scopes.len(),
                    breaks: vec![],
                    continues: vec![],
                });
                self.block(body);
                let ctx = self.loops.pop().expect("loop");
                self.emit(Instr::Jump { target: start }, span);
                for j in ctx.continues {
                    self.patch_to(j, start);
                }
                self.patch_all(exit);
                for j in ctx.breaks {
                    self.patch(j);
                }
            }
            StmtKind::For {
                var: pattern,
                iter,
                body,
                ..
            } => match self.ck.fors[&iter.id] {
                ForRes::Range { var } => {
                    self.for_range(iter, var, &super::loops::LoopBody::Block(body), span)
                }
                ForRes::List { var } => self.for_list(
                    iter,
                    var,
                    pattern,
                    &super::loops::LoopBody::Block(body),
                    span,
                ),
                ForRes::Str { var } => {
                    self.for_str(iter, var, &super::loops::LoopBody::Block(body), span)
                }
            },
            StmtKind::Break | StmtKind::Continue => {
                let depth = self.loops.last().expect("checked: inside a loop").depth;
                self.drop_scopes_from(depth, span);
                let j = self.emit(Instr::Jump { target: 0 }, span);
                let ctx = self.loops.last_mut().expect("loop");
                if matches!(stmt.kind, StmtKind::Break) {
                    ctx.breaks.push(j);
                } else {
                    ctx.continues.push(j);
                }
            }
            StmtKind::Return(Some(v)) if self.multi.is_some() => self.return_parts(v, span),
            StmtKind::Return(value) => match value {
                Some(v) => {
                    let t = self.temp();
                    let ret = self.ret.clone();
                    self.owned_in(v, t, &ret);
                    self.drop_scopes_from(0, span);
                    self.emit(Instr::Ret { src: t }, span);
                }
                None => {
                    self.drop_scopes_from(0, span);
                    self.emit(Instr::RetNone, span);
                }
            },
            StmtKind::Match { subject, arms } => self.match_stmt(subject, arms, span),
            StmtKind::Arena { name, body } => {
                let header = Span::new(span.start as usize, name.span.end as usize);
                let name = self.strings.intern(&name.name);
                self.emit(Instr::ArenaEnter { name }, span);
                self.open_scope();
                self.scopes.last_mut().expect("scope").arena = Some(header);
                self.block_stmts(&body.stmts);
                let end = Span::new(body.span.end as usize, body.span.end as usize);
                self.close_scope(end);
            }
            StmtKind::Pass => {}
        }
    }

    /// `let pattern = value`: a tuple literal matched by a tuple pattern is never built,
    /// each part going straight to its binding; any other tuple is evaluated once, its parts
    /// shared into the bindings, and then released.
    /// `return e` in a function returning a tuple as values: each part into a register of
    /// its own, then `ret_multi`; no tuple is built for a literal or another such call.
    fn return_parts(&mut self, v: &Expr, span: Span) {
        let n = self.multi.expect("a function returning values");
        let Ty::Tuple(tys) = self.ret.clone() else {
            unreachable!("a tuple return type")
        };
        let base = match &v.kind {
            ExprKind::Tuple(items) if items.len() == n as usize => {
                let base = self.temps(n as usize);
                let pending = self.pending.len();
                for (i, (item, t)) in items.iter().zip(&tys).enumerate() {
                    self.owned_in(item, base + i as Reg, t);
                    if t.is_heap() {
                        self.pending.push(base + i as Reg);
                    }
                }
                self.pending.truncate(pending);
                base
            }
            _ => match self.call_parts(v) {
                Some((base, _)) => base,
                None => {
                    // A tuple value (a binding, an element): its parts, each shared.
                    let t = self.temp();
                    let ret = self.ret.clone();
                    self.owned_in(v, t, &ret);
                    let base = self.temps(n as usize);
                    for (i, ty) in tys.iter().enumerate() {
                        let dst = base + i as Reg;
                        self.emit(
                            Instr::GetField {
                                dst,
                                obj: t,
                                field: i as u16,
                            },
                            span,
                        );
                        if ty.is_heap() {
                            self.emit(Instr::Incref { reg: dst }, span);
                        }
                    }
                    self.emit(Instr::Decref { reg: t }, span);
                    base
                }
            },
        };
        self.drop_scopes_from(0, span);
        self.emit(Instr::RetMulti { src: base, n }, span);
    }

    fn unpack_let(
        &mut self,
        pattern: &Pattern,
        value: &Expr,
        locals: &mut std::slice::Iter<'_, stark_check::LocalId>,
    ) {
        if let Pattern::Tuple(parts, _) = pattern {
            if let Some((base, n)) = self.call_parts(value) {
                // `let (q, r) = f()` of a function returning values: each binding takes
                // its part's reference over; a nested pattern unpacks its part.
                let Ty::Tuple(tys) = self.ty(value) else {
                    unreachable!("a tuple-returning call")
                };
                debug_assert_eq!(parts.len(), n as usize);
                for (i, (p, ty)) in parts.iter().zip(&tys).enumerate() {
                    let src = base + i as Reg;
                    match p {
                        Pattern::Name(_) => {
                            let local = *locals.next().expect("one local per name");
                            let dst = self.local_reg[&local];
                            self.emit(Instr::Move { dst, src }, value.span);
                            if ty.is_heap() {
                                self.scopes.last_mut().expect("scope").owned.push(dst);
                            }
                        }
                        Pattern::Tuple(sub, _) => {
                            self.unpack_parts(sub, src, ty, locals, true, value.span);
                            self.emit(Instr::Decref { reg: src }, value.span);
                        }
                    }
                }
                return;
            }
        }
        match pattern {
            Pattern::Name(_) => {
                let local = *locals.next().expect("one local per name");
                let reg = self.local_reg[&local];
                let ty = self.local_ty(local);
                self.owned_in(value, reg, &ty);
                if ty.is_heap() {
                    self.scopes.last_mut().expect("scope").owned.push(reg);
                }
            }
            Pattern::Tuple(parts, _) => {
                if let ExprKind::Tuple(items) = &value.kind {
                    if items.len() == parts.len() {
                        for (p, item) in parts.iter().zip(items) {
                            self.unpack_let(p, item, locals);
                        }
                        return;
                    }
                }
                let t = self.temp();
                let ty = self.ty(value);
                self.owned_in(value, t, &ty);
                self.unpack_parts(parts, t, &ty, locals, true, value.span);
                self.emit(Instr::Decref { reg: t }, value.span);
            }
        }
    }

    /// Reads the parts of the tuple in `t` (of type `ty`) into the bindings of `parts`:
    /// `owning` bindings get a reference of their own (a `let`), the others are views (the
    /// names of a `for` pattern, which borrow the element as the loop variable does).
    pub(super) fn unpack_parts(
        &mut self,
        parts: &[Pattern],
        t: Reg,
        ty: &Ty,
        locals: &mut std::slice::Iter<'_, stark_check::LocalId>,
        owning: bool,
        span: Span,
    ) {
        let Ty::Tuple(part_tys) = ty else {
            unreachable!("checked: unpacking a tuple")
        };
        for (i, (p, pty)) in parts.iter().zip(part_tys).enumerate() {
            let field = i as u16;
            match p {
                Pattern::Name(_) => {
                    let local = *locals.next().expect("one local per name");
                    let reg = self.local_reg[&local];
                    self.emit(
                        Instr::GetField {
                            dst: reg,
                            obj: t,
                            field,
                        },
                        span,
                    );
                    if owning && pty.is_heap() {
                        self.emit(Instr::Incref { reg }, span);
                        self.scopes.last_mut().expect("scope").owned.push(reg);
                    }
                }
                Pattern::Tuple(sub, _) => {
                    let inner = self.temp();
                    self.emit(
                        Instr::GetField {
                            dst: inner,
                            obj: t,
                            field,
                        },
                        span,
                    );
                    self.unpack_parts(sub, inner, pty, locals, owning, span);
                }
            }
        }
    }

    /// Reserves a register that survives statement boundaries (loop state).
    pub(super) fn pinned(&mut self) -> Reg {
        let r = self.temp();
        self.temp_base = self.next_temp;
        r
    }

    /// Points every jump of `skip` (from `jump_unless`) to the current position.
    pub(super) fn patch_all(&mut self, skip: Vec<usize>) {
        for at in skip {
            self.patch(at);
        }
    }

    /// Evaluates the condition `cond` and emits the jumps taken when it is false; returns
    /// their indices, for patching. An Int comparison becomes one fused `JumpICmp` (or
    /// `JumpICmpImm` against a literal) with the comparison negated, instead of
    /// `ICmp` + `JumpIfNot`; an Int chain `0 <= i < n` one such jump per link.
    pub(super) fn jump_unless(&mut self, cond: &Expr) -> Vec<usize> {
        if let ExprKind::Compare { first, rest } = &cond.kind {
            if let Some(skip) = self.jump_unless_int_chain(first, rest) {
                return skip;
            }
        }
        vec![self.jump_unless_one(cond)]
    }

    /// `if 0 <= i < n:` on Ints: each link jumps out when false, its operands evaluated
    /// only when the links before it held (Ints own nothing, so nothing is released).
    fn jump_unless_int_chain(
        &mut self,
        first: &Expr,
        rest: &[(BinOp, Expr)],
    ) -> Option<Vec<usize>> {
        let ints = std::iter::once(first)
            .chain(rest.iter().map(|(_, e)| e))
            .all(|e| self.ty(e) == Ty::Int);
        let cmps: Option<Vec<CmpOp>> = rest
            .iter()
            .map(|(op, _)| super::expr::cmp_op(*op))
            .collect();
        let (true, Some(cmps)) = (ints, cmps) else {
            return None;
        };
        let operand = |this: &mut Self, e: &Expr| match super::expr::small_int(e) {
            Some(k) => Err(k),
            None => Ok(this.expr(e).reg),
        };
        let mut skips = Vec::new();
        let mut left = operand(self, first);
        let mut left_e = first;
        for (cmp, (_, right)) in cmps.into_iter().zip(rest) {
            let span = left_e.span.to(right.span);
            left_e = right;
            let r = operand(self, right);
            let (op, a, b) = match (left, r) {
                (Ok(a), r) => (cmp, a, r),
                (Err(k), Ok(b)) => (swapped(cmp), b, Err(k)),
                (Err(k), Err(j)) => {
                    let a = self.temp();
                    self.emit(
                        Instr::LoadInt {
                            dst: a,
                            value: i64::from(k),
                        },
                        span,
                    );
                    (cmp, a, Err(j))
                }
            };
            let at = match b {
                Err(imm) => self.emit(
                    Instr::JumpICmpImm {
                        op: op.negate(),
                        a,
                        imm,
                        target: 0,
                    },
                    span,
                ),
                Ok(b) => self.emit(
                    Instr::JumpICmp {
                        op: op.negate(),
                        a,
                        b,
                        target: 0,
                    },
                    span,
                ),
            };
            skips.push(at);
            left = r;
        }
        Some(skips)
    }

    fn jump_unless_one(&mut self, cond: &Expr) -> usize {
        if let ExprKind::Binary(op, a, b) = &cond.kind {
            if let Some(cmp) = super::expr::cmp_op(*op) {
                if self.ty(a) == Ty::Int && self.ty(b) == Ty::Int {
                    let op = cmp.negate();
                    let va = self.expr(a);
                    let at = match super::expr::small_int(b) {
                        Some(imm) => self.emit(
                            Instr::JumpICmpImm {
                                op,
                                a: va.reg,
                                imm,
                                target: 0,
                            },
                            cond.span,
                        ),
                        None => {
                            let vb = self.expr(b);
                            let at = self.emit(
                                Instr::JumpICmp {
                                    op,
                                    a: va.reg,
                                    b: vb.reg,
                                    target: 0,
                                },
                                cond.span,
                            );
                            self.release(vb, cond.span);
                            at
                        }
                    };
                    self.release(va, cond.span);
                    return at;
                }
                if self.ty(a) == Ty::Float && self.ty(b) == Ty::Float {
                    let va = self.expr(a);
                    let vb = self.expr(b);
                    return self.emit(
                        Instr::JumpFCmpNot {
                            op: cmp,
                            a: va.reg,
                            b: vb.reg,
                            target: 0,
                        },
                        cond.span,
                    );
                }
            }
        }
        let c = self.expr(cond);
        self.emit(
            Instr::JumpIfNot {
                cond: c.reg,
                target: 0,
            },
            cond.span,
        )
    }
}

/// `a op b` as `b op' a`.
fn swapped(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}
