//! Expressions: each lowers to a view or an owned temporary (see the module doc).

use super::{FnLower, Val};
use stark_bytecode::instr::{CmpOp, Instr, Reg};
use stark_bytecode::native::Native;
use stark_check::{IndexRes, LocalKind, NameRes, Ty};
use stark_syntax::ast::{BinOp, Expr, ExprKind, FStrPart, Item, SpecPart, UnOp};
use stark_syntax::{Builtin, Recv, Span};
use stark_syntax::{FieldFormat, FieldSpec};

impl FnLower<'_> {
    pub fn ty(&self, e: &Expr) -> Ty {
        if self.tensor_raw == Some(e.id) {
            return Ty::Tensor;
        }
        self.concrete(self.ck.ty(e.id))
    }

    fn local_of(&self, e: &Expr) -> Option<(Reg, stark_check::LocalId)> {
        // A tensor binding converted to a number (SPEC §8) is no longer the binding's value:
        // `expr_in` lowers it and converts.
        if self.ck.tensor_scalars.contains_key(&e.id) && self.tensor_raw != Some(e.id) {
            return None;
        }
        match self.ck.names.get(&e.id) {
            Some(NameRes::Local(l)) => Some((self.local_reg[l], *l)),
            _ => None,
        }
    }

    /// Lowers `e` to a view or owned temporary, without copying a local's register.
    /// The register of `p.N` when `p` is a tuple binding kept as registers.
    fn scalar_tuple_part(&self, e: &Expr) -> Option<Reg> {
        let ExprKind::Field(base, _) = &e.kind else {
            return None;
        };
        let (_, local) = self.local_of(base)?;
        let parts = self.tuple_parts.get(&local)?;
        Some(parts[self.ck.fields[&e.id]])
    }

    pub fn expr(&mut self, e: &Expr) -> Val {
        if let Some(reg) = self.scalar_tuple_part(e) {
            return Val { reg, owned: false };
        }
        if let Some((reg, _)) = self.local_of(e) {
            if !(self.naive && self.ty(e).is_heap()) {
                return Val { reg, owned: false };
            }
        }
        let dst = self.temp();
        let owned = self.expr_in(e, dst);
        Val { reg: dst, owned }
    }

    /// `v`, the value of `e`, stays in its register while `later` operands are evaluated.
    /// If it is a view of something other than a local (a field, an element) and one of
    /// them may run code that releases objects (`print(h.name, reset(h))` reassigns the
    /// field being read), it is retained first, and so becomes owned.
    pub fn hold_across(&mut self, e: &Expr, v: Val, later: &[&Expr]) -> Val {
        if v.owned
            || self.ck.names.contains_key(&e.id)
            || !self.ty(e).is_heap()
            || !later
                .iter()
                .any(|x| super::effects::may_release(self.ck, x))
        {
            return v;
        }
        self.emit(Instr::Incref { reg: v.reg }, e.span);
        Val {
            reg: v.reg,
            owned: true,
        }
    }

    /// Lowers `e` into `dst`; returns whether `dst` then owns a reference.
    pub fn expr_in(&mut self, e: &Expr, dst: Reg) -> bool {
        // Every temporary the evaluation allocates is dead once the result is in `dst`
        // (which the caller allocated before), so their registers are reused: fewer
        // registers per frame means cheaper calls.
        let mark = self.next_temp;
        let owned = match self.ck.tensor_scalars.get(&e.id) {
            Some(want) => {
                let want = want.clone();
                self.tensor_scalar_in(e, &want, dst)
            }
            None => self.expr_in_inner(e, dst),
        };
        self.next_temp = mark;
        owned
    }

    /// `expr_in` of a tensor expression the checker converts to a number: the tensor
    /// itself.
    pub(super) fn expr_in_tensor(&mut self, e: &Expr, dst: Reg) -> bool {
        let mark = self.next_temp;
        let saved = self.tensor_raw.replace(e.id);
        let owned = self.expr_in_inner(e, dst);
        self.tensor_raw = saved;
        self.next_temp = mark;
        owned
    }

    fn expr_in_inner(&mut self, e: &Expr, dst: Reg) -> bool {
        let span = e.span;
        match &e.kind {
            ExprKind::Int(v) => {
                self.emit(Instr::LoadInt { dst, value: *v }, span);
                false
            }
            ExprKind::Float(v) => {
                self.emit(Instr::LoadFloat { dst, value: *v }, span);
                false
            }
            ExprKind::Bool(v) => {
                self.emit(Instr::LoadBool { dst, value: *v }, span);
                false
            }
            ExprKind::Spawn { call, quota } => self.spawn(call, quota.as_deref(), dst),
            ExprKind::Lambda { .. } => self.make_lambda(e, dst),
            // An error node never reaches lowering (a program with a syntax error is not run).
            ExprKind::None | ExprKind::Error(_) => {
                self.emit(Instr::LoadNone { dst }, span);
                false
            }
            ExprKind::Str(s) => {
                let konst = self.strings.intern(s);
                self.emit(Instr::LoadStr { dst, konst }, span);
                false
            }
            ExprKind::FStr(parts) => self.fstring(parts, dst, span),
            ExprKind::Name(_) => match self.ck.names.get(&e.id) {
                Some(NameRes::Local(l)) => {
                    let src = self.local_reg[l];
                    self.emit(Instr::Copy { dst, src }, span);
                    if self.naive && self.ty(e).is_heap() {
                        self.emit(Instr::Incref { reg: dst }, span);
                        return true;
                    }
                    false
                }
                Some(NameRes::Func(f)) => self.fn_value(*f, dst, span),
                Some(NameRes::Const(c)) => self.const_in(*c, dst),
                None => {
                    self.emit(Instr::LoadNone { dst }, span);
                    false
                }
            },
            ExprKind::List(items) => {
                let Ty::List(elem) = self.ty(e) else {
                    unreachable!("list literal type")
                };
                let base = self.temps(items.len());
                let pending = self.pending.len();
                for (i, item) in items.iter().enumerate() {
                    self.owned_in(item, base + i as Reg, &elem);
                    if elem.is_heap() {
                        self.pending.push(base + i as Reg);
                    }
                }
                self.pending.truncate(pending);
                let argc = items.len() as u16;
                self.emit(
                    Instr::NewList {
                        dst,
                        args: base,
                        argc,
                    },
                    span,
                );
                true
            }
            ExprKind::Map(pairs) => {
                let Ty::Map(k, v) = self.ty(e) else {
                    unreachable!("map literal type")
                };
                let base = self.temps(pairs.len() * 2);
                let pending = self.pending.len();
                for (i, (key, value)) in pairs.iter().enumerate() {
                    self.owned_in(key, base + 2 * i as Reg, &k);
                    if k.is_heap() {
                        self.pending.push(base + 2 * i as Reg);
                    }
                    self.owned_in(value, base + 2 * i as Reg + 1, &v);
                    if v.is_heap() {
                        self.pending.push(base + 2 * i as Reg + 1);
                    }
                }
                self.pending.truncate(pending);
                let argc = pairs.len() as u16;
                self.emit(
                    Instr::NewMap {
                        dst,
                        args: base,
                        argc,
                    },
                    span,
                );
                true
            }
            ExprKind::Comp(comp) => self.comprehension(comp, dst, span),
            ExprKind::Tuple(items) => {
                let Ty::Tuple(parts) = self.ty(e) else {
                    unreachable!("tuple literal type")
                };
                let base = self.temps(items.len());
                let pending = self.pending.len();
                for (i, (item, t)) in items.iter().zip(&parts).enumerate() {
                    self.owned_in(item, base + i as Reg, t);
                    if t.is_heap() {
                        self.pending.push(base + i as Reg);
                    }
                }
                self.pending.truncate(pending);
                let stack = self.ck.stack_allocs.contains(&e.id);
                self.emit(
                    Instr::NewStruct {
                        dst,
                        ty: stark_bytecode::instr::builtin_types::TUPLE,
                        args: base,
                        argc: items.len() as u16,
                        stack,
                    },
                    span,
                );
                true
            }
            ExprKind::Unary(UnOp::Neg, inner) if self.ty(inner) == Ty::Tensor => {
                // `-t`: the `neg` row, a new tensor.
                let v = self.expr(inner);
                self.tensor_call(Native::TensorNeg, &[v], dst, span);
                true
            }
            ExprKind::Unary(op, inner) => {
                let v = self.expr(inner);
                let instr = match (op, self.ty(inner)) {
                    (UnOp::Not, _) => Instr::Not { dst, src: v.reg },
                    (UnOp::Neg, Ty::Float) => Instr::FNeg { dst, src: v.reg },
                    (UnOp::Neg, _) => Instr::INeg { dst, src: v.reg },
                };
                self.emit(instr, span);
                false
            }
            ExprKind::Binary(op, a, b) => self.binary(e, *op, a, b, dst),
            ExprKind::Compare { first, rest } => self.chain(first, rest, dst, span),
            ExprKind::IfElse {
                cond,
                then,
                otherwise,
            } => self.if_else(e, cond, then, otherwise, dst),
            ExprKind::Call { .. } => self.call(e, dst),
            // `Shape.Empty`: a variant without payload is built like a struct.
            ExprKind::Field(..) if self.ck.calls.contains_key(&e.id) => self.call(e, dst),
            // `geometry.LIMIT`: a constant of another module.
            ExprKind::Field(..) if matches!(self.ck.names.get(&e.id), Some(NameRes::Const(_))) => {
                let Some(&NameRes::Const(c)) = self.ck.names.get(&e.id) else {
                    unreachable!("matched above")
                };
                self.const_in(c, dst)
            }
            // `geometry.area` without a call: a function of another module as a value.
            ExprKind::Field(..) if matches!(self.ck.names.get(&e.id), Some(NameRes::Func(_))) => {
                let Some(&NameRes::Func(f)) = self.ck.names.get(&e.id) else {
                    unreachable!("matched above")
                };
                self.fn_value(f, dst, span)
            }
            ExprKind::Try(inner) => self.try_expr(e, inner, dst),
            ExprKind::Field(..) if self.ck.float_consts.contains_key(&e.id) => {
                let value = self.ck.float_consts[&e.id];
                self.emit(Instr::LoadFloat { dst, value }, span);
                false
            }
            ExprKind::Field(..) if self.scalar_tuple_part(e).is_some() => {
                let src = self.scalar_tuple_part(e).expect("checked");
                self.emit(Instr::Copy { dst, src }, span);
                false
            }
            ExprKind::Field(base, _) if self.ck.tensor_t.contains(&e.id) => {
                // `t.T`: the `T` row (a view of `t` with the axes reversed).
                let b = self.expr(base);
                let obj = self.unwrap_val(b, &self.ty(base), base.span);
                self.call_native_on(Native::TensorT, &[obj], dst, span);
                self.release(b, span);
                true
            }
            ExprKind::Field(base, _) => {
                let field = self.ck.fields[&e.id] as u16;
                let b = self.expr(base);
                let obj = self.unwrap_val(b, &self.ty(base), base.span);
                self.emit(Instr::GetField { dst, obj, field }, span);
                self.view_outliving(dst, b, &self.ty(e), span)
                    || self.naive_retain(dst, &self.ty(e), span)
            }
            // Only ever an index, lowered by its `Index` (the checker rejects it elsewhere).
            ExprKind::Slice { .. } => {
                self.emit(Instr::LoadNone { dst }, span);
                false
            }
            ExprKind::Index(base, indices) => {
                let native = match self.ck.indexes.get(&e.id) {
                    Some(IndexRes::Str) => Some(Native::StrIndex),
                    Some(IndexRes::StrSlice) => Some(Native::StrSlice),
                    Some(IndexRes::ListSlice) => Some(Native::ListSlice),
                    _ => None,
                };
                if let Some(native) = native {
                    return self.index_native(e, base, &indices[0], native, dst);
                }
                if self.ck.indexes.get(&e.id) == Some(&IndexRes::Dataset) {
                    return self.dataset_column(e, base, &indices[0], dst);
                }
                if !self.naive
                    && self.ck.indexes.get(&e.id) == Some(&IndexRes::List)
                    && self.local_of(base).is_none()
                {
                    return self.list_index_of_value(e, base, &indices[0], dst);
                }
                let b = self.expr(base);
                let later: Vec<&Expr> = indices.iter().collect();
                let b = self.hold_across(base, b, &later);
                // A `?` in the index that returns early releases an owned container.
                let pending = self.pending.len();
                if b.owned {
                    self.pending.push(b.reg);
                }
                let container = self.unwrap_val(b, &self.ty(base), base.span);
                let owned = match self.ck.indexes[&e.id] {
                    IndexRes::List => {
                        let i = self.expr(&indices[0]);
                        self.emit(
                            Instr::ListGet {
                                dst,
                                list: container,
                                index: i.reg,
                            },
                            span,
                        );
                        self.view_outliving(dst, b, &self.ty(e), span)
                            || self.naive_retain(dst, &self.ty(e), span)
                    }
                    IndexRes::Str
                    | IndexRes::StrSlice
                    | IndexRes::ListSlice
                    | IndexRes::Dataset => {
                        unreachable!("lowered by index_native")
                    }
                    res @ (IndexRes::Tensor | IndexRes::TensorFloat | IndexRes::TensorInt) => {
                        let owned = self.tensor_get(container, indices, res, dst, span);
                        self.release(b, span);
                        owned
                    }
                    IndexRes::Map => {
                        let args = self.temps(2);
                        self.emit(
                            Instr::Copy {
                                dst: args,
                                src: container,
                            },
                            span,
                        );
                        let k = self.expr_in(&indices[0], args + 1);
                        self.emit(
                            Instr::CallNative {
                                dst,
                                native: Native::MapIndex,
                                args,
                                argc: 2,
                            },
                            span,
                        );
                        self.release(
                            Val {
                                reg: args + 1,
                                owned: k,
                            },
                            span,
                        );
                        self.release(b, span);
                        self.ty(e).is_heap()
                    }
                };
                self.pending.truncate(pending);
                owned
            }
        }
    }

    /// `s[i]`, `s[a:b:c]`, `xs[a:b:c]`: one native call whose operands are the container (a
    /// view) and the index, or each bound of the slice (`None` where it is left out). The
    /// result is a new object.
    fn index_native(
        &mut self,
        e: &Expr,
        base: &Expr,
        index: &Expr,
        native: Native,
        dst: Reg,
    ) -> bool {
        let span = e.span;
        let bounds: Vec<Option<&Expr>> = match &index.kind {
            ExprKind::Slice { lo, hi, step } => vec![lo.as_deref(), hi.as_deref(), step.as_deref()],
            _ => vec![Some(index)],
        };
        let args = self.temps(1 + bounds.len());
        let later: Vec<&Expr> = bounds.iter().flatten().copied().collect();
        let (base_val, pending) = self.index_base(base, args, &later);
        for (i, bound) in bounds.iter().enumerate() {
            let r = args + 1 + i as Reg;
            match bound {
                Some(b) => {
                    self.expr_in(b, r);
                }
                None => {
                    self.emit(Instr::LoadNone { dst: r }, span);
                }
            }
        }
        self.pending.truncate(pending);
        let argc = 1 + bounds.len() as u16;
        self.emit(
            Instr::CallNative {
                dst,
                native,
                args,
                argc,
            },
            span,
        );
        self.release(base_val, span);
        true
    }

    /// The container of an index operation evaluated into `args`, held across `later` (the
    /// index expressions) and unwrapped from `T?`; with the mark of `pending` to truncate
    /// to once the indices are evaluated (a `?` in one that returns early releases an owned
    /// container).
    fn index_base(&mut self, base: &Expr, args: Reg, later: &[&Expr]) -> (Val, usize) {
        let owned = self.expr_in(base, args);
        let base_val = self.hold_across(base, Val { reg: args, owned }, later);
        let pending = self.pending.len();
        if base_val.owned {
            self.pending.push(args);
        }
        let from = self.ty(base);
        if let Ty::Optional(inner) = &from {
            let inner = (**inner).clone();
            self.convert_in(args, &from, &inner, base.span);
        }
        (base_val, pending)
    }

    /// `d[name]`: a view of the dataset's column (`Native::DatasetColumnView`, no count),
    /// retained only where it must outlive a temporary dataset; owned or not, as a list
    /// element read by `ListGet` is.
    fn dataset_column(&mut self, e: &Expr, base: &Expr, index: &Expr, dst: Reg) -> bool {
        let span = e.span;
        let args = self.temps(2);
        let (base_val, pending) = self.index_base(base, args, &[index]);
        let name_owned = self.expr_in(index, args + 1);
        self.pending.truncate(pending);
        self.emit(
            Instr::CallNative {
                dst,
                native: Native::DatasetColumnView,
                args,
                argc: 2,
            },
            span,
        );
        let name = Val {
            reg: args + 1,
            owned: name_owned,
        };
        self.release(name, span);
        let ty = self.ty(e);
        self.view_outliving(dst, base_val, &ty, span) || self.naive_retain(dst, &ty, span)
    }

    /// `base[index]` on a list that is not a local's: when `base` is a temporary (as in
    /// `args()[0]`), its last use is this read, so the element is taken out of it
    /// (`list.take`: moved out when nothing else holds the list, which is then freed)
    /// instead of being retained while the list is released.
    fn list_index_of_value(&mut self, e: &Expr, base: &Expr, index: &Expr, dst: Reg) -> bool {
        let span = e.span;
        let args = self.temps(2);
        let owned = if self.is_args_call(base) {
            self.args_view_in(args, base.span);
            false
        } else {
            self.expr_in(base, args)
        };
        let owned = self
            .hold_across(base, Val { reg: args, owned }, &[index])
            .owned;
        let container = self.unwrap_val(Val { reg: args, owned }, &self.ty(base), base.span);
        if owned {
            // A `?` in the index that returns early releases the list.
            self.pending.push(args);
            self.expr_in(index, args + 1);
            self.pending.pop();
            self.emit(
                Instr::CallNative {
                    dst,
                    native: Native::ListTake,
                    args,
                    argc: 2,
                },
                span,
            );
            return self.ty(e).is_heap();
        }
        let i = self.expr(index);
        self.emit(
            Instr::ListGet {
                dst,
                list: container,
                index: i.reg,
            },
            span,
        );
        false
    }

    /// A naive compiler retains every reference it copies into a register.
    fn naive_retain(&mut self, dst: Reg, ty: &Ty, span: Span) -> bool {
        if self.naive && ty.is_heap() {
            self.emit(Instr::Incref { reg: dst }, span);
            return true;
        }
        false
    }

    /// `dst` is a view into `base`; if `base` is a temporary about to be released, the view
    /// would dangle, so it is retained first and becomes owned.
    fn view_outliving(&mut self, dst: Reg, base: Val, ty: &Ty, span: Span) -> bool {
        if !base.owned {
            return false;
        }
        let heap = ty.is_heap();
        if heap {
            self.emit(Instr::Incref { reg: dst }, span);
        }
        self.release(base, span);
        heap
    }

    /// A register holding `v` with one level of `?` removed (a runtime check).
    pub fn unwrap_val(&mut self, v: Val, ty: &Ty, span: Span) -> Reg {
        if !matches!(ty, Ty::Optional(_)) {
            return v.reg;
        }
        let dst = if self.is_temp(v.reg) {
            v.reg
        } else {
            self.temp()
        };
        let expr = self.expr_text(span);
        self.emit(
            Instr::Unwrap {
                dst,
                src: v.reg,
                expr,
            },
            span,
        );
        dst
    }

    /// Converts the value in `reg` in place from `from` to `to` where they differ in
    /// representation: Int -> Float, or unwrapping a `T?` where a `T` is expected.
    pub fn convert_in(&mut self, reg: Reg, from: &Ty, to: &Ty, span: Span) {
        match (from, to) {
            (Ty::Int, Ty::Float) => {
                self.emit(Instr::IToF { dst: reg, src: reg }, span);
            }
            // An Int where a `Float?` is expected (`m.get(k, 0)` of a `Map<K, Float>`).
            (Ty::Int, Ty::Optional(inner)) if **inner == Ty::Float => {
                self.emit(Instr::IToF { dst: reg, src: reg }, span);
            }
            (Ty::Optional(inner), to) if !matches!(to, Ty::Optional(_)) => {
                let expr = self.expr_text(span);
                self.emit(
                    Instr::Unwrap {
                        dst: reg,
                        src: reg,
                        expr,
                    },
                    span,
                );
                self.convert_in(reg, inner, to, span);
            }
            _ => {}
        }
    }

    /// Whether converting `from` to `to` changes the value's register.
    fn needs_convert(from: &Ty, to: &Ty) -> bool {
        matches!((from, to), (Ty::Int, Ty::Float))
            || matches!((from, to), (Ty::Int, Ty::Optional(inner)) if **inner == Ty::Float)
            || (matches!(from, Ty::Optional(_)) && !matches!(to, Ty::Optional(_)))
    }

    /// A view of `e` converted to `to` (for operands that are read, not stored).
    pub fn view_as(&mut self, e: &Expr, to: &Ty) -> Val {
        let v = self.expr(e);
        let from = self.ty(e);
        if !Self::needs_convert(&from, to) {
            return v;
        }
        let reg = if self.is_temp(v.reg) {
            v.reg
        } else {
            let t = self.temp();
            self.emit(Instr::Copy { dst: t, src: v.reg }, e.span);
            t
        };
        self.convert_in(reg, &from, to, e.span);
        Val {
            reg,
            owned: v.owned,
        }
    }

    /// Lowers `e` into `dst` as an owned value of type `to`: a local binding that owns its
    /// value is moved; a view is retained with one `incref`. A String binding is never
    /// moved (M1) but shared like a view; `rc_opt` turns that `copy` + `incref` back into
    /// a `move` where the binding is not read again.
    pub fn owned_in(&mut self, e: &Expr, dst: Reg, to: &Ty) {
        let from = self.ty(e);
        if let ExprKind::IfElse {
            cond,
            then,
            otherwise,
        } = &e.kind
        {
            // Each arm is handed over as it would be alone: a local arm moves (the move
            // checker saw a move on that path), a view arm is retained.
            let skip = self.jump_unless(cond);
            let mark = self.next_temp;
            self.owned_in(then, dst, &from);
            let end = self.emit(Instr::Jump { target: 0 }, e.span);
            self.patch_all(skip);
            self.next_temp = mark;
            self.owned_in(otherwise, dst, &from);
            self.patch(end);
            self.next_temp = mark;
            self.convert_in(dst, &from, to, e.span);
            return;
        }
        if let Some((src, local)) = self.local_of(e) {
            let kind = self.ck.local(local).kind;
            let owns = matches!(
                kind,
                LocalKind::Let | LocalKind::Param(stark_syntax::ast::ParamMode::Owned)
            ) && !self.views.contains(&local);
            if from.moves() && owns && !self.naive {
                self.emit(Instr::Move { dst, src }, e.span);
                self.convert_in(dst, &from, to, e.span);
                return;
            }
        }
        let at = self.code.len();
        let owned = self.expr_in(e, dst);
        self.convert_in(dst, &from, to, e.span);
        // A constant is stored uncounted (immortal); a naive compiler counts it anyway.
        let counted = self.naive || !self.is_const_str(e);
        if !owned && from.is_heap() && counted {
            if self.local_of(e).is_some() && !from.moves() {
                self.shares.push(at);
            }
            self.emit(Instr::Incref { reg: dst }, e.span);
        }
    }

    /// A constant's value: computed once, by the compiler (`consts.rs`), or else evaluated
    /// where it is used.
    fn const_in(&mut self, c: usize, dst: Reg) -> bool {
        let item = self.ck.consts[c].item;
        let program = self.program;
        let Item::Const(decl) = &program.items[item] else {
            unreachable!("const resolves to a const item")
        };
        if let Some(v) = self.const_value(c) {
            self.load_const(v, dst, decl.value.span);
            return false;
        }
        let owned = self.expr_in(&decl.value, dst);
        let (from, to) = (self.ty(&decl.value), self.ck.consts[c].ty.clone());
        self.convert_in(dst, &from, &to, decl.value.span);
        owned
    }

    /// Whether `e` is a string constant: a view of the VM's constant table, which is immortal
    /// (`LoadStr`), so it is stored without an `incref` and releasing it frees nothing.
    pub fn is_const_str(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Str(_) => true,
            ExprKind::Name(_) => match self.ck.names.get(&e.id) {
                Some(NameRes::Const(c)) => {
                    matches!(self.const_value(*c), Some(super::consts::ConstVal::Str(_)))
                }
                _ => false,
            },
            _ => false,
        }
    }

    fn fstring(&mut self, parts: &[FStrPart], dst: Reg, span: Span) -> bool {
        self.fstring_with(parts, dst, span, Native::Format);
        true
    }

    /// Evaluates an f-string's parts as operands of `native` (`Format`, or `PrintFormat`
    /// for `print(f"…")`, which never builds the string). The operands are the literal
    /// pieces and the holes' values, each followed by its spec's nested fields; a
    /// conversion or a spec makes it `FormatSpecs`, with each operand's `FieldFormat`.
    pub fn fstring_with(&mut self, parts: &[FStrPart], dst: Reg, span: Span, native: Native) {
        enum Operand<'a> {
            Lit(&'a str),
            Expr(&'a Expr),
        }
        let mut operands: Vec<Operand<'_>> = Vec::new();
        let mut formats: Vec<FieldFormat> = Vec::new();
        // The hole the conversion and spec that follow belong to (the parser puts one first).
        let mut hole = 0;
        for part in parts {
            match part {
                FStrPart::Lit(s) => {
                    operands.push(Operand::Lit(s));
                    formats.push(FieldFormat::default());
                }
                FStrPart::Expr(e) => {
                    hole = operands.len();
                    operands.push(Operand::Expr(e));
                    formats.push(FieldFormat::default());
                }
                FStrPart::Conv(c) => {
                    if let Some(f) = formats.get_mut(hole) {
                        f.conv = Some(*c);
                    }
                }
                FStrPart::Spec(spec, _) => {
                    if let Some(f) = formats.get_mut(hole) {
                        f.spec = FieldSpec::Static((**spec).clone());
                    }
                }
                FStrPart::NestedSpec { pieces, .. } => {
                    let mut text = Vec::new();
                    for piece in pieces {
                        match piece {
                            SpecPart::Lit(s) => text.push(Some(s.clone())),
                            SpecPart::Field { expr, conv, spec } => {
                                text.push(None);
                                operands.push(Operand::Expr(expr));
                                formats.push(FieldFormat {
                                    lit: String::new(),
                                    conv: *conv,
                                    spec: spec.as_ref().map_or(FieldSpec::None, |(s, _)| {
                                        FieldSpec::Static((**s).clone())
                                    }),
                                });
                            }
                        }
                    }
                    if let Some(f) = formats.get_mut(hole) {
                        f.spec = FieldSpec::Nested(text);
                    }
                }
            }
        }
        let native = if formats.iter().all(FieldFormat::is_plain) {
            native
        } else {
            // With a format in the table, a literal piece right before a hole's value is
            // written from there (`FieldFormat::lit`), not loaded into an operand register
            // and passed: one load and one operand fewer per piece. (A hole's nested fields
            // come right after it, never after a literal piece.)
            let mut i = 0;
            while i + 1 < operands.len() {
                if let (Operand::Lit(s), Operand::Expr(_)) = (&operands[i], &operands[i + 1]) {
                    formats[i + 1].lit = s.to_string();
                    operands.remove(i);
                    formats.remove(i);
                } else {
                    i += 1;
                }
            }
            let fmt = self.strings.formats.len() as u32;
            self.strings.formats.push(formats);
            if native == Native::PrintFormat {
                Native::PrintFormatSpecs { fmt }
            } else {
                Native::FormatSpecs { fmt }
            }
        };
        let base = self.temps(operands.len());
        let mut owned = Vec::new();
        for (i, operand) in operands.iter().enumerate() {
            let r = base + i as Reg;
            match operand {
                Operand::Lit(s) => {
                    let konst = self.strings.intern(s);
                    self.emit(Instr::LoadStr { dst: r, konst }, span);
                }
                Operand::Expr(inner) => {
                    let v = Val {
                        reg: r,
                        owned: self.expr_in(inner, r),
                    };
                    let later: Vec<&Expr> = operands[i + 1..]
                        .iter()
                        .filter_map(|p| match p {
                            Operand::Expr(x) => Some(*x),
                            Operand::Lit(_) => None,
                        })
                        .collect();
                    if self.hold_across(inner, v, &later).owned {
                        owned.push(r);
                        // Released by a `?` in a later part that returns early.
                        self.pending.push(r);
                    }
                }
            }
        }
        self.pending.truncate(self.pending.len() - owned.len());
        let argc = operands.len() as u16;
        self.emit(
            Instr::CallNative {
                dst,
                native,
                args: base,
                argc,
            },
            span,
        );
        for reg in owned {
            self.emit(Instr::Decref { reg }, span);
        }
    }

    fn binary(&mut self, e: &Expr, op: BinOp, a: &Expr, b: &Expr, dst: Reg) -> bool {
        let span = e.span;
        match op {
            BinOp::And | BinOp::Or => {
                // The left value is written before the right operand runs: into a
                // temporary, so that `b = c and b` reads the binding `b` intact.
                let res = if self.is_temp(dst) { dst } else { self.temp() };
                self.expr_in(a, res);
                let jump = match op {
                    BinOp::And => self.emit(
                        Instr::JumpIfNot {
                            cond: res,
                            target: 0,
                        },
                        span,
                    ),
                    _ => self.emit(
                        Instr::JumpIf {
                            cond: res,
                            target: 0,
                        },
                        span,
                    ),
                };
                self.expr_in(b, res);
                self.patch(jump);
                if res != dst {
                    self.emit(Instr::Copy { dst, src: res }, span);
                }
                return false;
            }
            BinOp::In | BinOp::NotIn => {
                // Python's order: the element, then the container, each straight into
                // the native's operand registers.
                let args = self.temps(2);
                let owned = self.expr_in(a, args + 1);
                let va = self.hold_across(
                    a,
                    Val {
                        reg: args + 1,
                        owned,
                    },
                    &[b],
                );
                // A `?` in `b` that returns early releases `a`'s value.
                let pending = self.pending.len();
                if va.owned {
                    self.pending.push(va.reg);
                }
                let vb = Val {
                    reg: args,
                    owned: self.expr_in(b, args),
                };
                self.pending.truncate(pending);
                self.contains_in(op, a, b, args, dst, span);
                self.release(va, span);
                self.release(vb, span);
                return false;
            }
            BinOp::Eq | BinOp::Ne if is_none_lit(a) || is_none_lit(b) => {
                let other = if is_none_lit(a) { b } else { a };
                let v = self.expr(other);
                self.emit(Instr::IsNone { dst, src: v.reg }, span);
                if op == BinOp::Ne {
                    self.emit(Instr::Not { dst, src: dst }, span);
                }
                self.release(v, span);
                return false;
            }
            _ => {}
        }
        let (ta, tb) = (self.ty(a), self.ty(b));
        if ta == Ty::Int && tb == Ty::Int {
            // `x + 1`, `1 + x`, `x - 1`: one `IAddImm`, no `LoadInt` (a literal has no
            // effects, so evaluating only the other operand keeps the order of effects).
            let imm = match (op, small_int(a), small_int(b)) {
                (BinOp::Add, _, Some(k)) => Some((a, k)),
                (BinOp::Add, Some(k), None) => Some((b, k)),
                (BinOp::Sub, _, Some(k)) => k.checked_neg().map(|k| (a, k)),
                _ => None,
            };
            if let Some((x, imm)) = imm {
                let v = self.expr(x);
                self.emit(Instr::IAddImm { dst, a: v.reg, imm }, span);
                self.release(v, span);
                return false;
            }
        }
        let va = self.expr(a);
        let va = self.hold_across(a, va, &[b]);
        // A `?` in `b` that returns early releases `a`'s value (`matching.rs`).
        let pending = self.pending.len();
        if va.owned {
            self.pending.push(va.reg);
        }
        let vb = self.expr(b);
        self.pending.truncate(pending);
        if ta == Ty::Tensor || tb == Ty::Tensor {
            let row = Builtin::operator(Recv::Tensor, op).and_then(Native::of_builtin);
            if let Some(native) = row {
                self.tensor_call(native, &[va, vb], dst, span);
                return true;
            }
        }
        if ta == Ty::Column || tb == Ty::Column {
            // A column comparison (`d["qty"] > 3`, `3 < d["qty"]`): the row's native takes
            // the operands in source order and finds the column itself.
            let row = Builtin::operator(Recv::Column, op).and_then(Native::of_builtin);
            if let Some(native) = row {
                self.tensor_call(native, &[va, vb], dst, span);
                return true;
            }
        }
        let owned = self.arith(op, va, &ta, vb, &tb, dst, span);
        self.release(va, span);
        self.release(vb, span);
        owned
    }

    /// `x in xs` / `x not in xs` for already-lowered operands, on copies of them.
    fn contains(&mut self, op: BinOp, a: (&Expr, Val), b: (&Expr, Val), dst: Reg, span: Span) {
        let ((a, va), (b, vb)) = (a, b);
        let args = self.temps(2);
        self.emit(
            Instr::Copy {
                dst: args,
                src: vb.reg,
            },
            b.span,
        );
        self.emit(
            Instr::Copy {
                dst: args + 1,
                src: va.reg,
            },
            a.span,
        );
        self.contains_in(op, a, b, args, dst, span);
    }

    /// `x in xs` with the container `b` in `args` and the element `a` in `args + 1`:
    /// `list.contains` (element equality), `map.contains` (key) or `str.contains`
    /// (substring), the element converted to the container's element type in place.
    fn contains_in(&mut self, op: BinOp, a: &Expr, b: &Expr, args: Reg, dst: Reg, span: Span) {
        let container = match self.ty(b) {
            Ty::Optional(inner) => *inner,
            other => other,
        };
        let (native, elem) = match &container {
            Ty::List(el) => (Native::ListContains, (**el).clone()),
            Ty::Map(k, _) => (Native::MapContains, (**k).clone()),
            _ => (Native::StrContains, Ty::Str),
        };
        self.convert_in(args + 1, &self.ty(a), &elem, a.span);
        self.convert_in(args, &self.ty(b), &container, b.span);
        self.emit(
            Instr::CallNative {
                dst,
                native,
                args,
                argc: 2,
            },
            span,
        );
        if op == BinOp::NotIn {
            self.emit(Instr::Not { dst, src: dst }, span);
        }
    }

    /// One link of a comparison chain, `dst = a op b`, for already-lowered operands.
    fn compare_link(&mut self, op: BinOp, a: (&Expr, Val), b: (&Expr, Val), dst: Reg, span: Span) {
        match op {
            BinOp::In | BinOp::NotIn => self.contains(op, a, b, dst, span),
            BinOp::Eq | BinOp::Ne if is_none_lit(a.0) || is_none_lit(b.0) => {
                let other = if is_none_lit(a.0) { b.1 } else { a.1 };
                self.emit(
                    Instr::IsNone {
                        dst,
                        src: other.reg,
                    },
                    span,
                );
                if op == BinOp::Ne {
                    self.emit(Instr::Not { dst, src: dst }, span);
                }
            }
            _ => {
                let (ta, tb) = (self.ty(a.0), self.ty(b.0));
                self.arith(op, a.1, &ta, b.1, &tb, dst, span);
            }
        }
    }

    /// `a < b <= c …`: each operand evaluated once, left to right; the first false link
    /// ends the chain (the operands after it are never evaluated). An operand is held
    /// while the next one is evaluated and released after its last comparison, on the
    /// path that continues and on the one that stops there.
    fn chain(&mut self, first: &Expr, rest: &[(BinOp, Expr)], dst: Reg, span: Span) -> bool {
        // The links write the result as they go: into a temporary, so that an operand
        // that is the binding being assigned (`ok = a < ok < b`) is read intact.
        let res = if self.is_temp(dst) { dst } else { self.temp() };
        let mut exits = Vec::new();
        let mut left = first;
        let lv = self.expr(left);
        let mut lv = self.hold_across(left, lv, &[&rest[0].1]);
        for (k, (op, right)) in rest.iter().enumerate() {
            // A `?` in `right` that returns early releases the held left operand.
            let pending = self.pending.len();
            if lv.owned {
                self.pending.push(lv.reg);
            }
            let rv = self.expr(right);
            self.pending.truncate(pending);
            let last = k + 1 == rest.len();
            let rv = match rest.get(k + 1) {
                Some((_, next)) => self.hold_across(right, rv, &[next]),
                None => rv,
            };
            let link = left.span.to(right.span);
            self.compare_link(*op, (left, lv), (right, rv), res, link);
            self.release(lv, link);
            if last {
                self.release(rv, link);
                break;
            }
            if rv.owned {
                let go_on = self.emit(
                    Instr::JumpIf {
                        cond: res,
                        target: 0,
                    },
                    link,
                );
                self.emit(Instr::Decref { reg: rv.reg }, link);
                exits.push(self.emit(Instr::Jump { target: 0 }, link));
                self.patch(go_on);
            } else {
                exits.push(self.emit(
                    Instr::JumpIfNot {
                        cond: res,
                        target: 0,
                    },
                    link,
                ));
            }
            left = right;
            lv = rv;
        }
        for j in exits {
            self.patch(j);
        }
        if res != dst {
            self.emit(Instr::Copy { dst, src: res }, span);
        }
        false
    }

    /// `then if cond else otherwise` where the value is read: each arm is lowered into
    /// `dst` as a view or an owned temporary, as it would be alone. If one arm owns its
    /// value and the other is a view, the view is retained (on its own path) so that the
    /// result is owned either way.
    fn if_else(&mut self, e: &Expr, cond: &Expr, then: &Expr, otherwise: &Expr, dst: Reg) -> bool {
        let ty = self.ty(e);
        let skip = self.jump_unless(cond);
        let mark = self.next_temp;
        let then_owned = self.expr_in(then, dst);
        self.convert_in(dst, &self.ty(then), &ty, then.span);
        let then_end = self.emit(Instr::Jump { target: 0 }, e.span);
        self.patch_all(skip);
        self.next_temp = mark;
        let else_owned = self.expr_in(otherwise, dst);
        self.convert_in(dst, &self.ty(otherwise), &ty, otherwise.span);
        self.next_temp = mark;
        if then_owned == else_owned {
            self.patch(then_end);
            return then_owned;
        }
        if then_owned {
            self.emit(Instr::Incref { reg: dst }, otherwise.span);
            self.patch(then_end);
        } else {
            let over = self.emit(Instr::Jump { target: 0 }, e.span);
            self.patch(then_end);
            self.emit(Instr::Incref { reg: dst }, then.span);
            self.patch(over);
        }
        true
    }

    /// `dst = a op b` for already-lowered operands (shared with compound assignment).
    #[allow(clippy::too_many_arguments)]
    pub fn arith(
        &mut self,
        op: BinOp,
        va: Val,
        ta: &Ty,
        vb: Val,
        tb: &Ty,
        dst: Reg,
        span: Span,
    ) -> bool {
        let (a, b) = (va.reg, vb.reg);
        let float = *ta == Ty::Float || *tb == Ty::Float;
        let numeric = ta.is_numeric() && tb.is_numeric();
        let cmp = match op {
            BinOp::Eq => Some(CmpOp::Eq),
            BinOp::Ne => Some(CmpOp::Ne),
            BinOp::Lt => Some(CmpOp::Lt),
            BinOp::Le => Some(CmpOp::Le),
            BinOp::Gt => Some(CmpOp::Gt),
            BinOp::Ge => Some(CmpOp::Ge),
            _ => None,
        };
        if numeric && float {
            // Mixed arithmetic promotes the Int side to Float.
            let a = self.promote(a, ta, span);
            let b = self.promote(b, tb, span);
            let instr = match (op, cmp) {
                (_, Some(op)) => Instr::FCmp { op, dst, a, b },
                (BinOp::Add, _) => Instr::FAdd { dst, a, b },
                (BinOp::Sub, _) => Instr::FSub { dst, a, b },
                (BinOp::Mul, _) => Instr::FMul { dst, a, b },
                (BinOp::Div, _) => Instr::FDiv { dst, a, b },
                (BinOp::Mod, _) => Instr::FMod { dst, a, b },
                (BinOp::Pow, _) => Instr::FPow { dst, a, b },
                _ => unreachable!("checked float operator"),
            };
            self.emit(instr, span);
            return false;
        }
        if numeric {
            let instr = match (op, cmp) {
                (_, Some(op)) => Instr::ICmp { op, dst, a, b },
                (BinOp::Add, _) => Instr::IAdd { dst, a, b },
                (BinOp::Sub, _) => Instr::ISub { dst, a, b },
                (BinOp::Mul, _) => Instr::IMul { dst, a, b },
                (BinOp::Div, _) => Instr::IDiv { dst, a, b },
                (BinOp::Mod, _) => Instr::IMod { dst, a, b },
                (BinOp::Pow, _) => Instr::IPow { dst, a, b },
                _ => unreachable!("checked int operator"),
            };
            self.emit(instr, span);
            return false;
        }
        if cmp.is_none() || *ta == Ty::Tensor || *tb == Ty::Tensor {
            // `==`/`!=` have no tensor row: they stay structural equality.
            if let Some(owned) = self.tensor_arith(op, a, ta, b, tb, dst, span) {
                return owned;
            }
        }
        // `xs + ys`, `xs * n`, `n * xs`: the list operator rows (`Builtin::operator`), the
        // list first.
        let list_op = match (ta, tb, op) {
            (Ty::List(_), Ty::List(_) | Ty::Int, _) => Some((a, b)),
            (Ty::Int, Ty::List(_), BinOp::Mul) => Some((b, a)),
            _ => None,
        }
        .and_then(|(list, other)| {
            let row = stark_syntax::Builtin::operator(stark_syntax::Recv::List, op)?;
            Some((Native::of_builtin(row)?, list, other))
        });
        if let Some((native, list, other)) = list_op {
            // A new list sharing the operands' elements; the operands are read.
            self.call_native_on(native, &[list, other], dst, span);
            return true;
        }
        match (ta, tb, cmp) {
            (Ty::Str, Ty::Str, None) => {
                self.emit(Instr::Concat { dst, a, b, take: 0 }, span);
                true
            }
            (Ty::Str, Ty::Str, Some(op)) => {
                self.emit(Instr::SCmp { op, dst, a, b }, span);
                false
            }
            // Tuples order lexicographically, part by part (SPEC §5), as strings do by
            // code point: one ordering instruction for both.
            (Ty::Tuple(_), Ty::Tuple(_), Some(op)) if !matches!(op, CmpOp::Eq | CmpOp::Ne) => {
                self.emit(Instr::SCmp { op, dst, a, b }, span);
                false
            }
            // `s * n` and `n * s`: one native, the string first.
            (Ty::Str, Ty::Int, None) | (Ty::Int, Ty::Str, None) => {
                let (s, n) = if *ta == Ty::Str { (a, b) } else { (b, a) };
                self.call_native_on(Native::StrRepeat, &[s, n], dst, span);
                true
            }
            (Ty::Bool, Ty::Bool, Some(op)) => {
                self.emit(Instr::BCmp { op, dst, a, b }, span);
                false
            }
            (_, _, Some(op)) => {
                let negate = op == CmpOp::Ne;
                self.emit(Instr::Equal { dst, a, b, negate }, span);
                false
            }
            _ => unreachable!("checked operator {op:?} on {ta:?} and {tb:?}"),
        }
    }

    /// `dst = native(operands…)` for operands already in registers, which it reads: natives
    /// take their operands in consecutive registers, so each is copied into a fresh one.
    pub(super) fn call_native_on(
        &mut self,
        native: Native,
        operands: &[Reg],
        dst: Reg,
        span: Span,
    ) {
        let args = self.copies(operands, span);
        self.emit(
            Instr::CallNative {
                dst,
                native,
                args,
                argc: operands.len() as u16,
            },
            span,
        );
    }

    /// Copies of `regs` in consecutive new temporaries (a native's operands); the first.
    pub(super) fn copies(&mut self, regs: &[Reg], span: Span) -> Reg {
        let base = self.temps(regs.len());
        for (i, &src) in regs.iter().enumerate() {
            self.emit(
                Instr::Copy {
                    dst: base + i as Reg,
                    src,
                },
                span,
            );
        }
        base
    }

    fn promote(&mut self, reg: Reg, ty: &Ty, span: Span) -> Reg {
        if *ty != Ty::Int {
            return reg;
        }
        let t = self.temp();
        self.emit(Instr::IToF { dst: t, src: reg }, span);
        t
    }
}

/// The value of an Int literal that fits an immediate operand (`IAddImm`, `JumpICmpImm`).
pub(super) fn small_int(e: &Expr) -> Option<i32> {
    match e.kind {
        ExprKind::Int(v) => i32::try_from(v).ok(),
        _ => None,
    }
}

/// The comparison operator of `op`, if it is one.
pub(super) fn cmp_op(op: BinOp) -> Option<CmpOp> {
    match op {
        BinOp::Eq => Some(CmpOp::Eq),
        BinOp::Ne => Some(CmpOp::Ne),
        BinOp::Lt => Some(CmpOp::Lt),
        BinOp::Le => Some(CmpOp::Le),
        BinOp::Gt => Some(CmpOp::Gt),
        BinOp::Ge => Some(CmpOp::Ge),
        _ => None,
    }
}

fn is_none_lit(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::None)
}
