//! Statements: bindings, assignment (M2: the old value is released first), control flow
//! with the drops each exit needs, and returns.

use super::{FnLower, LoopCtx, Val};
use stark_bytecode::instr::{CmpOp, Instr, Reg};
use stark_bytecode::native::Native;
use stark_check::{ForRes, IndexRes, NameRes, Ty};
use stark_syntax::ast::{BinOp, Block, Expr, ExprKind, Stmt, StmtKind};
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
        if !(info.kind == stark_check::LocalKind::Let && info.ty.is_heap() && stable(local)) {
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
            || self.ty(value) != info.ty
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
            StmtKind::Let { value, .. } => {
                let local = self.ck.lets[&value.id];
                let reg = self.local_reg[&local];
                let ty = self.ck.local(local).ty.clone();
                self.owned_in(value, reg, &ty);
                if ty.is_heap() {
                    self.scopes.last_mut().expect("scope").owned.push(reg);
                }
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
                    self.patch(skip);
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
                self.patch(exit);
                for j in ctx.breaks {
                    self.patch(j);
                }
            }
            StmtKind::For { iter, body, .. } => match self.ck.fors[&iter.id] {
                ForRes::Range { var } => self.for_range(iter, var, body, span),
                ForRes::List { var } => self.for_list(iter, var, body, span),
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

    /// Reserves a register that survives statement boundaries (loop state).
    fn pinned(&mut self) -> Reg {
        let r = self.temp();
        self.temp_base = self.next_temp;
        r
    }

    /// Evaluates the condition `cond` and emits a jump taken when it is false; returns the
    /// jump's index, for patching. An Int comparison becomes one fused `JumpICmp` (or
    /// `JumpICmpImm` against a literal) with the comparison negated, instead of
    /// `ICmp` + `JumpIfNot`.
    fn jump_unless(&mut self, cond: &Expr) -> usize {
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

    fn for_range(&mut self, iter: &Expr, var: stark_check::LocalId, body: &Block, span: Span) {
        let Some(stark_check::CallRes::Builtin { args, .. }) = self.ck.calls.get(&iter.id).cloned()
        else {
            unreachable!("range call")
        };
        let ExprKind::Call {
            args: call_args, ..
        } = &iter.kind
        else {
            unreachable!("range call")
        };
        let saved_base = self.temp_base;
        let i = self.local_reg[&var];
        let end = self.pinned();
        let load = |this: &mut Self, arg: &stark_check::CallArg, dst: Reg| match arg {
            stark_check::CallArg::Arg(k) => {
                this.expr_in(&call_args[*k].value, dst);
            }
            stark_check::CallArg::Int(v) => {
                this.emit(Instr::LoadInt { dst, value: *v }, iter.span);
            }
            _ => unreachable!("range operands are Ints"),
        };
        load(self, &args[0], i);
        load(self, &args[1], end);
        // The direction is known at compile time when the step is a literal.
        let const_step = match &args[2] {
            stark_check::CallArg::Int(v) => Some(*v),
            stark_check::CallArg::Arg(k) => match &call_args[*k].value.kind {
                ExprKind::Int(v) => Some(*v),
                ExprKind::Unary(stark_syntax::ast::UnOp::Neg, inner) => match inner.kind {
                    ExprKind::Int(v) => Some(-v),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        let step = self.pinned();
        load(self, &args[2], step);
        if const_step.is_none_or(|s| s == 0) {
            // A zero step is `range`'s runtime error (the loop would never end): the
            // native that builds a range list reports it, called only when the step is 0.
            let ok = self.emit(
                Instr::JumpICmpImm {
                    op: CmpOp::Ne,
                    a: step,
                    imm: 0,
                    target: 0,
                },
                iter.span,
            );
            let ops = self.temps(3);
            self.emit(Instr::Copy { dst: ops, src: i }, iter.span);
            self.emit(
                Instr::Copy {
                    dst: ops + 1,
                    src: end,
                },
                iter.span,
            );
            self.emit(
                Instr::Copy {
                    dst: ops + 2,
                    src: step,
                },
                iter.span,
            );
            self.emit(
                Instr::CallNative {
                    dst: ops,
                    native: Native::RangeList,
                    args: ops,
                    argc: 3,
                },
                iter.span,
            );
            self.patch(ok);
            self.next_temp = self.temp_base;
        }
        let exit = match const_step {
            // Known direction: a rotated loop, tested once on entry and then at the bottom by
            // `ForStep` (taken backward, it is the collector safepoint a loop's back `Jump`
            // is): one dispatch of loop overhead per iteration.
            Some(s) => {
                let op = if s > 0 { CmpOp::Lt } else { CmpOp::Gt };
                self.emit(
                    Instr::JumpICmp {
                        op: op.negate(),
                        a: i,
                        b: end,
                        target: 0,
                    },
                    iter.span,
                )
            }
            None => {
                let cond = self.pinned();
                let zero = self.temp();
                self.emit(
                    Instr::LoadInt {
                        dst: zero,
                        value: 0,
                    },
                    iter.span,
                );
                self.emit(
                    Instr::ICmp {
                        op: CmpOp::Gt,
                        dst: cond,
                        a: step,
                        b: zero,
                    },
                    iter.span,
                );
                let neg = self.emit(Instr::JumpIfNot { cond, target: 0 }, iter.span);
                self.emit(
                    Instr::ICmp {
                        op: CmpOp::Lt,
                        dst: cond,
                        a: i,
                        b: end,
                    },
                    iter.span,
                );
                let done = self.emit(Instr::Jump { target: 0 }, iter.span);
                self.patch(neg);
                self.emit(
                    Instr::ICmp {
                        op: CmpOp::Gt,
                        dst: cond,
                        a: i,
                        b: end,
                    },
                    iter.span,
                );
                self.patch(done);
                self.next_temp = self.temp_base;
                self.emit(Instr::JumpIfNot { cond, target: 0 }, iter.span)
            }
        };
        let top = self.here();
        self.loops.push(LoopCtx {
            depth: self.scopes.len(),
            breaks: vec![],
            continues: vec![],
        });
        self.block(body);
        let ctx = self.loops.pop().expect("loop");
        let cont = self.here();
        self.emit(
            Instr::ForStep {
                a: i,
                step,
                end,
                target: top,
            },
            span,
        );
        for j in ctx.continues {
            self.patch_to(j, cont);
        }
        self.patch(exit);
        for j in ctx.breaks {
            self.patch(j);
        }
        self.temp_base = saved_base;
        self.next_temp = saved_base;
    }

    /// `for x in list:`. The loop variable borrows each element (M11) and the list is read
    /// in place, with no RC operation, wherever ownership facts show that nothing in the
    /// body can free what the loop reads (`effects`):
    /// - the list needs no retain when it is a local binding the body never names (so it is
    ///   neither reassigned nor moved: it keeps its object to the end of the loop), or a
    ///   temporary the loop owns anyway;
    /// - the elements need no retain when the list is a fresh one no other reference can
    ///   reach (`split`, `keys()`, a literal, …), or when no code the body can run (itself,
    ///   its callees, any destructor) takes an element out of a list.
    ///
    /// Otherwise the list is retained for the whole loop and each element for its iteration,
    /// so that clearing the list or reassigning its binding in the body frees nothing the
    /// loop still reads.
    fn for_list(&mut self, iter: &Expr, var: stark_check::LocalId, body: &Block, span: Span) {
        let saved_base = self.temp_base;
        let list = self.pinned();
        let index = self.pinned();
        let len = self.pinned();
        let x = self.local_reg[&var];
        let elem_heap = self.ck.local(var).ty.is_heap();
        let it = self.ty(iter);
        let it = match it {
            Ty::Optional(inner) => *inner,
            other => other,
        };
        let fresh;
        let list_owned;
        if let Ty::Map(..) = it {
            // Iterating a map walks a snapshot of its keys.
            let m = self.expr(iter);
            let m_reg = self.unwrap_val(m, &self.ty(iter), iter.span);
            self.emit(
                Instr::CallNative {
                    dst: list,
                    native: Native::MapKeys,
                    args: m_reg,
                    argc: 1,
                },
                iter.span,
            );
            self.release(m, iter.span);
            fresh = true;
            list_owned = true;
        } else {
            let args = self.is_args_call(iter);
            let owned = if args {
                self.args_view_in(list, iter.span);
                false
            } else {
                self.expr_in(iter, list)
            };
            let from = self.ty(iter);
            self.convert_in(list, &from, &it, iter.span);
            // The immortal argument list stays as it is for the whole run.
            let stable_root = !self.naive
                && (args
                    || match self.ck.names.get(&iter.id) {
                        Some(NameRes::Local(l)) => !super::effects::block_names(self.ck, body, *l),
                        _ => false,
                    });
            fresh = owned && self.is_fresh_list(iter);
            list_owned = owned || !stable_root;
            if !owned && !stable_root {
                self.emit(Instr::Incref { reg: list }, iter.span);
            }
        }
        let borrow_elems =
            !self.naive && (fresh || !self.effects.may_release_list(self.ck, &body.stmts));
        self.next_temp = self.temp_base;
        self.emit(
            Instr::LoadInt {
                dst: index,
                value: 0,
            },
            iter.span,
        );
        self.open_scope();
        if list_owned {
            self.scopes.last_mut().expect("scope").owned.push(list);
        }
        let start = self.here();
        self.emit(
            Instr::CallNative {
                dst: len,
                native: Native::ListLen,
                args: list,
                argc: 1,
            },
            iter.span,
        );
        let cond = len;
        self.emit(
            Instr::ICmp {
                op: CmpOp::Lt,
                dst: cond,
                a: index,
                b: len,
            },
            iter.span,
        );
        let exit = self.emit(Instr::JumpIfNot { cond, target: 0 }, iter.span);
        self.emit(
            Instr::ListGet {
                dst: x,
                list,
                index,
            },
            iter.span,
        );
        self.open_scope();
        if elem_heap && !borrow_elems {
            self.emit(Instr::Incref { reg: x }, iter.span);
            self.scopes.last_mut().expect("scope").owned.push(x);
        }
        self.loops.push(LoopCtx {
            depth: self.scopes.len() - 1,
            breaks: vec![],
            continues: vec![],
        });
        self.block(body);
        let ctx = self.loops.pop().expect("loop");
        let cont = self.here();
        for j in ctx.continues {
            self.patch_to(j, cont);
        }
        self.close_scope(iter.span);
        self.emit(
            Instr::IAddImm {
                dst: index,
                a: index,
                imm: 1,
            },
            iter.span,
        );
        self.emit(Instr::Jump { target: start }, span);
        self.patch(exit);
        for j in ctx.breaks {
            self.patch(j);
        }
        self.close_scope(span);
        self.temp_base = saved_base;
        self.next_temp = saved_base;
    }

    /// Whether `e` (lowered to an owned value) is a new list that no other reference can
    /// reach: a literal, or the result of a built-in that builds a new list.
    fn is_fresh_list(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::List(_) => true,
            ExprKind::Call { .. } => matches!(
                self.ck.calls.get(&e.id),
                Some(stark_check::CallRes::Builtin { op, .. }) if op.facts().fresh_result
            ),
            _ => false,
        }
    }

    fn assign(&mut self, target: &Expr, op: Option<BinOp>, value: &Expr, span: Span) {
        let target_ty = self.ty(target);
        match &target.kind {
            ExprKind::Name(_) => {
                let Some(NameRes::Local(local)) = self.ck.names.get(&target.id).copied() else {
                    return;
                };
                let reg = self.local_reg[&local];
                if !target_ty.is_heap() {
                    // A scalar is computed straight into its binding.
                    self.new_value(
                        target,
                        op,
                        value,
                        reg,
                        &target_ty,
                        span,
                        Val { reg, owned: false },
                    );
                    return;
                }
                let t = self.temp();
                self.new_value(
                    target,
                    op,
                    value,
                    t,
                    &target_ty,
                    span,
                    Val { reg, owned: false },
                );
                if target_ty.is_heap() {
                    // M2: the old value is released before the new one is stored.
                    self.emit(Instr::Drop { reg }, span);
                    self.emit(Instr::Move { dst: reg, src: t }, span);
                } else {
                    self.emit(Instr::Copy { dst: reg, src: t }, span);
                }
            }
            ExprKind::Field(base, _) => {
                let field = self.ck.fields[&target.id] as u16;
                let b = self.expr(base);
                let b = self.hold_across(base, b, &[value]);
                let obj = self.unwrap_val(b, &self.ty(base), base.span);
                let current = if op.is_some() {
                    let c = self.temp();
                    self.emit(Instr::GetField { dst: c, obj, field }, target.span);
                    Val {
                        reg: c,
                        owned: false,
                    }
                } else {
                    Val {
                        reg: obj,
                        owned: false,
                    }
                };
                let t = self.temp();
                self.new_value(target, op, value, t, &target_ty, span, current);
                self.emit(Instr::SetField { obj, field, src: t }, span);
                self.release(b, span);
            }
            ExprKind::Index(base, indices) => {
                let b = self.expr(base);
                let later: Vec<&Expr> = indices.iter().chain([value]).collect();
                let b = self.hold_across(base, b, &later);
                let container = self.unwrap_val(b, &self.ty(base), base.span);
                let idx_e = &indices[0];
                match self.ck.indexes[&target.id] {
                    IndexRes::Tensor => self.tensor_set(container, indices, op, value, span),
                    IndexRes::List => {
                        let i = self.expr(idx_e);
                        let current = if op.is_some() {
                            let c = self.temp();
                            self.emit(
                                Instr::ListGet {
                                    dst: c,
                                    list: container,
                                    index: i.reg,
                                },
                                target.span,
                            );
                            Val {
                                reg: c,
                                owned: false,
                            }
                        } else {
                            i
                        };
                        let t = self.temp();
                        self.new_value(target, op, value, t, &target_ty, span, current);
                        self.emit(
                            Instr::ListSet {
                                list: container,
                                index: i.reg,
                                src: t,
                            },
                            span,
                        );
                    }
                    IndexRes::Map => {
                        let Ty::Map(kt, _) = (match self.ty(base) {
                            Ty::Optional(inner) => *inner,
                            other => other,
                        }) else {
                            unreachable!("map index")
                        };
                        let args = self.temps(3);
                        self.emit(
                            Instr::Copy {
                                dst: args,
                                src: container,
                            },
                            span,
                        );
                        self.owned_in(idx_e, args + 1, &kt);
                        let current = if op.is_some() {
                            let c = self.temp();
                            let get = self.temps(2);
                            self.emit(
                                Instr::Copy {
                                    dst: get,
                                    src: container,
                                },
                                span,
                            );
                            self.emit(
                                Instr::Copy {
                                    dst: get + 1,
                                    src: args + 1,
                                },
                                span,
                            );
                            self.emit(
                                Instr::CallNative {
                                    dst: c,
                                    native: Native::MapIndex,
                                    args: get,
                                    argc: 2,
                                },
                                target.span,
                            );
                            Val {
                                reg: c,
                                owned: target_ty.is_heap(),
                            }
                        } else {
                            Val {
                                reg: args,
                                owned: false,
                            }
                        };
                        self.new_value(target, op, value, args + 2, &target_ty, span, current);
                        self.release(current, span);
                        let dst = self.temp();
                        self.emit(
                            Instr::CallNative {
                                dst,
                                native: Native::MapSet,
                                args,
                                argc: 3,
                            },
                            span,
                        );
                    }
                }
                self.release(b, span);
            }
            _ => {}
        }
    }

    /// Computes the value to store into `dst` (owned): `value` itself, or `current op value`
    /// for a compound assignment.
    #[allow(clippy::too_many_arguments)]
    fn new_value(
        &mut self,
        target: &Expr,
        op: Option<BinOp>,
        value: &Expr,
        dst: Reg,
        ty: &Ty,
        span: Span,
        current: Val,
    ) {
        match op {
            None => self.owned_in(value, dst, ty),
            Some(op) => {
                let current = match target.kind {
                    ExprKind::Name(_) => current,
                    _ => current,
                };
                let vt = self.ty(value);
                if *ty == Ty::Int && vt == Ty::Int {
                    // `x += 1` / `x -= 1`: one `IAddImm`.
                    let imm = match (op, super::expr::small_int(value)) {
                        (BinOp::Add, Some(k)) => Some(k),
                        (BinOp::Sub, Some(k)) => k.checked_neg(),
                        _ => None,
                    };
                    if let Some(imm) = imm {
                        self.emit(
                            Instr::IAddImm {
                                dst,
                                a: current.reg,
                                imm,
                            },
                            span,
                        );
                        return;
                    }
                }
                // `h.name += f(h)`: `f` may replace the field whose old value is read.
                let held = !current.owned
                    && ty.is_heap()
                    && !matches!(target.kind, ExprKind::Name(_))
                    && super::effects::may_release(self.ck, value);
                if held {
                    self.emit(Instr::Incref { reg: current.reg }, span);
                }
                let v = self.expr(value);
                let owned = self.arith(op, current, ty, v, &vt, dst, span);
                self.release(v, span);
                if held {
                    self.emit(Instr::Decref { reg: current.reg }, span);
                }
                if !owned && ty.is_heap() {
                    self.emit(Instr::Incref { reg: dst }, span);
                }
                // `x += 1` on a Float binding with an Int operand yields a Float already.
            }
        }
    }
}
