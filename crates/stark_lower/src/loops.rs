//! `for` loops over a range and over a list: the loop state in pinned registers, the
//! element a borrow (M11), and the drops each exit (`break`, `continue`, falling out) needs.

use super::{FnLower, LoopCtx};
use stark_bytecode::instr::{CmpOp, Instr, Reg};
use stark_bytecode::native::Native;
use stark_check::{NameRes, Ty};
use stark_syntax::ast::{Block, Comprehension, Expr, ExprKind, Pattern, Stmt, StmtKind};
use stark_syntax::Span;
use std::borrow::Cow;

impl FnLower<'_> {
    pub(super) fn for_range(
        &mut self,
        iter: &Expr,
        var: stark_check::LocalId,
        body: &LoopBody<'_>,
        span: Span,
    ) {
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
        self.loop_body(body);
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
    pub(super) fn for_list(
        &mut self,
        iter: &Expr,
        var: stark_check::LocalId,
        pattern: &Pattern,
        body: &LoopBody<'_>,
        span: Span,
    ) {
        if matches!(pattern, Pattern::Name(_)) {
            if let Some((text, sep)) = self.split_call(iter) {
                return self.for_split(iter, text, sep, var, body, span);
            }
        }
        let analysed = body.analysed();
        let saved_base = self.temp_base;
        let list = self.pinned();
        let index = self.pinned();
        let len = self.pinned();
        let x = self.local_reg[&var];
        let elem_heap = self.local_ty(var).is_heap();
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
            let stable_root = (args && !self.naive) || self.iterable_left_alone(iter, &analysed);
            fresh = owned && self.is_fresh_list(iter);
            list_owned = owned || !stable_root;
            if !owned && !stable_root {
                self.emit(Instr::Incref { reg: list }, iter.span);
            }
        }
        let borrow_elems =
            !self.naive && (fresh || !self.effects.may_release_list(self.ck, &analysed.stmts));
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
        if let (Pattern::Tuple(parts, _), Some(locals)) = (pattern, self.ck.patterns.get(&iter.id))
        {
            // `for a, b in pairs`: the names are views of the element's parts.
            let locals = locals.clone();
            let ty = self.local_ty(var);
            self.unpack_parts(parts, x, &ty, &mut locals.iter(), false, iter.span);
        }
        let step = Instr::IAddImm {
            dst: index,
            a: index,
            imm: 1,
        };
        self.element_loop_end(body, Some(step), start, exit, saved_base, iter.span, span);
    }

    /// `for c in s:` over a String: a byte cursor walks the text, and each iteration's `c`
    /// is a new one-character String the iteration owns (dropped when it ends, by `break`
    /// and `continue` too). The string is held for the whole loop unless it is a local
    /// binding the body never names (strings are immutable, so that one cannot change).
    pub(super) fn for_str(
        &mut self,
        iter: &Expr,
        var: stark_check::LocalId,
        body: &LoopBody<'_>,
        span: Span,
    ) {
        let analysed = body.analysed();
        let saved_base = self.temp_base;
        // `text` and `pos` are consecutive: they are the operands of both natives.
        let text = self.pinned();
        let pos = self.pinned();
        let next = self.pinned();
        let x = self.local_reg[&var];
        let text_owned = self.hold_string(iter, text, &analysed);
        self.next_temp = self.temp_base;
        self.emit(Instr::LoadInt { dst: pos, value: 0 }, iter.span);
        self.open_scope();
        if text_owned {
            self.scopes.last_mut().expect("scope").owned.push(text);
        }
        let start = self.here();
        self.emit(
            Instr::CallNative {
                dst: next,
                native: Native::StrNextByte,
                args: text,
                argc: 2,
            },
            iter.span,
        );
        let exit = self.emit(
            Instr::JumpICmpImm {
                op: CmpOp::Lt,
                a: next,
                imm: 0,
                target: 0,
            },
            iter.span,
        );
        self.emit(
            Instr::CallNative {
                dst: x,
                native: Native::StrCharAtByte,
                args: text,
                argc: 2,
            },
            iter.span,
        );
        self.emit(
            Instr::Copy {
                dst: pos,
                src: next,
            },
            iter.span,
        );
        self.open_scope();
        self.scopes.last_mut().expect("scope").owned.push(x);
        self.element_loop_end(body, None, start, exit, saved_base, iter.span, span);
    }

    /// The receiver and the separator (`None`: whitespace) of `iter` when it is a call of
    /// `split` on a String, which `for_split` iterates without building the list; not in
    /// `naive` mode, which lowers every loop over a list as one.
    fn split_call<'e>(&self, iter: &'e Expr) -> Option<(&'e Expr, Option<&'e Expr>)> {
        let Some(stark_check::CallRes::Builtin {
            op: stark_check::Builtin::StrSplit,
            args,
        }) = self.ck.calls.get(&iter.id)
        else {
            return None;
        };
        if self.naive {
            return None;
        }
        let text = stark_check::call_operand(iter, &stark_check::CallArg::Receiver)?;
        let sep = match args.get(1) {
            None | Some(stark_check::CallArg::None) => None,
            Some(a) => Some(stark_check::call_operand(iter, a)?),
        };
        let is_str = |e: &Expr| self.ty(e) == Ty::Str;
        (is_str(text) && sep.is_none_or(is_str)).then_some((text, sep))
    }

    /// `for x in text.split(sep):` without the list: `for_split` makes each piece as the
    /// loop reaches it, and each iteration's `x` is a new String the iteration owns
    /// (dropped when it ends, by `break` and `continue` too, as `for_str`'s character). A
    /// text of a million lines is then never a million strings at once, and each piece is
    /// made where the last one was freed, still in cache. The text and the separator are
    /// held for the whole loop unless each is a local binding the body never names.
    fn for_split(
        &mut self,
        iter: &Expr,
        text_expr: &Expr,
        sep_expr: Option<&Expr>,
        var: stark_check::LocalId,
        body: &LoopBody<'_>,
        span: Span,
    ) {
        let analysed = body.analysed();
        let saved_base = self.temp_base;
        // `for_split`'s state: three consecutive registers.
        let text = self.pinned();
        let sep = self.pinned();
        let pos = self.pinned();
        let x = self.local_reg[&var];
        let mut held = Vec::new();
        for (e, reg) in [(Some(text_expr), text), (sep_expr, sep)] {
            let Some(e) = e else {
                self.emit(Instr::LoadNone { dst: reg }, span);
                continue;
            };
            if self.hold_string(e, reg, &analysed) {
                held.push(reg);
            }
        }
        self.next_temp = self.temp_base;
        self.emit(Instr::LoadInt { dst: pos, value: 0 }, iter.span);
        self.open_scope();
        self.scopes.last_mut().expect("scope").owned.extend(held);
        let start = self.here();
        let exit = self.emit(
            Instr::ForSplit {
                dst: x,
                state: text,
                target: 0,
            },
            iter.span,
        );
        self.open_scope();
        self.scopes.last_mut().expect("scope").owned.push(x);
        self.element_loop_end(body, None, start, exit, saved_base, iter.span, span);
    }

    /// The shared end of the loops over a collection's elements (`for_list`, `for_str`):
    /// the body, in the per-iteration scope the caller opened (which `continue` drops
    /// into); the cursor's `step`; the jump back to `start`; then the exit (`exit` and every
    /// `break`) closes the loop's outer scope and frees its pinned registers.
    #[allow(clippy::too_many_arguments)]
    fn element_loop_end(
        &mut self,
        body: &LoopBody<'_>,
        step: Option<Instr>,
        start: stark_bytecode::instr::Label,
        exit: usize,
        saved_base: Reg,
        iter_span: Span,
        span: Span,
    ) {
        self.loops.push(LoopCtx {
            depth: self.scopes.len() - 1,
            breaks: vec![],
            continues: vec![],
        });
        self.loop_body(body);
        let ctx = self.loops.pop().expect("loop");
        let cont = self.here();
        for j in ctx.continues {
            self.patch_to(j, cont);
        }
        self.close_scope(iter_span);
        if let Some(step) = step {
            self.emit(step, iter_span);
        }
        self.emit(Instr::Jump { target: start }, span);
        self.patch(exit);
        for j in ctx.breaks {
            self.patch(j);
        }
        self.close_scope(span);
        self.temp_base = saved_base;
        self.next_temp = saved_base;
    }

    /// Evaluates String `e` into `reg` for a loop that reads it to its end (`for_str`'s
    /// text, `for_split`'s text and separator); whether the loop holds a reference it must
    /// drop when it ends: the value is owned, or a view the loop retains because the body
    /// could free what it refers to. A local the body never names keeps its object (strings
    /// are immutable), and a literal is an immortal constant (`load_str`): both are read in
    /// place.
    fn hold_string(&mut self, e: &Expr, reg: Reg, analysed: &Block) -> bool {
        let owned = self.expr_in(e, reg);
        let from = self.ty(e);
        self.convert_in(reg, &from, &Ty::Str, e.span);
        let stable_root =
            matches!(e.kind, ExprKind::Str(_)) || self.iterable_left_alone(e, analysed);
        if !owned && !stable_root {
            self.emit(Instr::Incref { reg }, e.span);
        }
        owned || !stable_root
    }

    /// Whether the iterable is a local binding the loop body never names: it keeps its
    /// object to the end of the loop, so the loop needs no reference of its own to it.
    fn iterable_left_alone(&self, iter: &Expr, analysed: &Block) -> bool {
        !self.naive
            && match self.ck.names.get(&iter.id) {
                Some(NameRes::Local(l)) => !super::effects::block_names(self.ck, analysed, *l),
                _ => false,
            }
    }

    /// Whether `e` (lowered to an owned value) is a new list that no other reference can
    /// reach: a literal, or the result of a built-in that builds a new list.
    pub(super) fn is_fresh_list(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::List(_) => true,
            ExprKind::Call { .. } => matches!(
                self.ck.calls.get(&e.id),
                Some(stark_check::CallRes::Builtin { op, .. }) if op.facts().fresh_result
            ),
            _ => false,
        }
    }
}

/// What a `for` loop runs for each element: a statement's block, or a comprehension's
/// element, pushed into (or inserted in) the new collection in `dst`.
pub(crate) enum LoopBody<'a> {
    Block(&'a Block),
    Comp { comp: &'a Comprehension, dst: Reg },
}

impl LoopBody<'_> {
    /// The code the body runs, as statements, for the ownership facts (`effects`).
    fn analysed(&self) -> Cow<'_, Block> {
        match self {
            LoopBody::Block(b) => Cow::Borrowed(*b),
            LoopBody::Comp { comp, .. } => {
                let stmt = |e: &Expr| Stmt {
                    kind: StmtKind::Expr(e.clone()),
                    span: e.span,
                };
                let stmts = comp
                    .cond
                    .iter()
                    .chain(&comp.key)
                    .chain([&comp.elem])
                    .map(stmt)
                    .collect();
                Cow::Owned(Block {
                    stmts,
                    span: comp.elem.span,
                })
            }
        }
    }
}

impl FnLower<'_> {
    fn loop_body(&mut self, body: &LoopBody<'_>) {
        let (comp, dst) = match body {
            LoopBody::Block(b) => return self.block(b),
            LoopBody::Comp { comp, dst } => (*comp, *dst),
        };
        self.open_scope();
        let skip = comp.cond.as_ref().map(|c| self.jump_unless(c));
        let (native, ops) = match &comp.key {
            None => (Native::ListPush, 2),
            Some(_) => (Native::MapInsert, 3),
        };
        let args = self.temps(ops);
        self.emit(
            Instr::Copy {
                dst: args,
                src: dst,
            },
            comp.elem.span,
        );
        match (&comp.key, self.concrete(self.ck.ty(comp.elem.id))) {
            (None, elem_ty) => self.owned_in(&comp.elem, args + 1, &elem_ty),
            (Some(key), elem_ty) => {
                let key_ty = self.concrete(self.ck.ty(key.id));
                self.owned_in(key, args + 1, &key_ty);
                self.owned_in(&comp.elem, args + 2, &elem_ty);
            }
        }
        let out = self.temp();
        self.emit(
            Instr::CallNative {
                dst: out,
                native,
                args,
                argc: ops as u16,
            },
            comp.elem.span,
        );
        if let Some(skip) = skip {
            self.patch_all(skip);
        }
        let end = Span::new(comp.elem.span.end as usize, comp.elem.span.end as usize);
        self.close_scope(end);
    }

    /// `[elem for var in iter if cond]` / `{key: elem for …}` into `dst` (owned).
    pub(super) fn comprehension(&mut self, comp: &Comprehension, dst: Reg, span: Span) -> bool {
        let instr = if comp.key.is_some() {
            Instr::NewMap {
                dst,
                args: 0,
                argc: 0,
            }
        } else {
            Instr::NewList {
                dst,
                args: 0,
                argc: 0,
            }
        };
        self.emit(instr, span);
        // A `?` in the element that returns early releases the result built so far.
        self.pending.push(dst);
        // The loop's registers go above everything the enclosing expression holds now.
        let saved = self.temp_base;
        self.temp_base = self.next_temp;
        let body = LoopBody::Comp { comp, dst };
        match self.ck.fors[&comp.iter.id] {
            stark_check::ForRes::Range { var } => self.for_range(&comp.iter, var, &body, span),
            stark_check::ForRes::List { var } => {
                self.for_list(&comp.iter, var, &comp.var, &body, span)
            }
            stark_check::ForRes::Str { var } => self.for_str(&comp.iter, var, &body, span),
        }
        self.temp_base = saved;
        self.pending.pop();
        true
    }
}
