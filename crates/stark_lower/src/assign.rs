//! Assignment to a binding, a field or an element, plain and compound (`+=`): the old
//! value is released first (M2), and a compound operator's current value is held while the
//! right side runs when that could release it.

use super::{FnLower, Val};
use stark_bytecode::instr::{Instr, Reg};
use stark_bytecode::native::Native;
use stark_check::{IndexRes, NameRes, Ty};
use stark_syntax::ast::{BinOp, Expr, ExprKind};
use stark_syntax::Span;

impl FnLower<'_> {
    pub(super) fn assign(&mut self, target: &Expr, op: Option<BinOp>, value: &Expr, span: Span) {
        if let ExprKind::Tuple(targets) = &target.kind {
            self.assign_tuple(targets, value, span);
            return;
        }
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
                    IndexRes::Tensor | IndexRes::TensorFloat | IndexRes::TensorInt => {
                        self.tensor_set(container, indices, op, value, span)
                    }
                    IndexRes::Str
                    | IndexRes::StrSlice
                    | IndexRes::ListSlice
                    | IndexRes::Dataset => {
                        unreachable!(
                            "the checker refuses assigning to a character, a slice or a column"
                        )
                    }
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

    /// `a, b = value`: as in Python, the whole right side is evaluated first, then each
    /// target is assigned from left to right (releasing its old value, M2). A tuple
    /// literal on the right is never built; another tuple is read part by part and released.
    fn assign_tuple(&mut self, targets: &[Expr], value: &Expr, span: Span) {
        let regs = self.temps(targets.len());
        match &value.kind {
            ExprKind::Tuple(items) if items.len() == targets.len() => {
                let pending = self.pending.len();
                for (i, (item, t)) in items.iter().zip(targets).enumerate() {
                    let ty = self.ty(t);
                    self.owned_in(item, regs + i as Reg, &ty);
                    if ty.is_heap() {
                        // Released by a `?` in a later part that returns early.
                        self.pending.push(regs + i as Reg);
                    }
                }
                self.pending.truncate(pending);
            }
            _ => {
                let ty = self.ty(value);
                let Ty::Tuple(parts) = &ty else {
                    unreachable!("checked: a tuple is unpacked")
                };
                let t = self.temp();
                self.owned_in(value, t, &ty);
                for (i, part) in parts.iter().enumerate() {
                    let dst = regs + i as Reg;
                    let field = i as u16;
                    self.emit(Instr::GetField { dst, obj: t, field }, value.span);
                    if part.is_heap() {
                        self.emit(Instr::Incref { reg: dst }, value.span);
                    }
                }
                self.emit(Instr::Decref { reg: t }, value.span);
            }
        }
        for (i, t) in targets.iter().enumerate() {
            self.preset_value = Some(regs + i as Reg);
            self.assign(t, None, value, span);
            self.preset_value = None;
        }
    }

    /// Computes the value to store into `dst` (owned): `value` itself, or `current op value`
    /// for a compound assignment.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new_value(
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
            // A part of a tuple assignment, already evaluated and owned.
            None if self.preset_value.is_some() => {
                let src = self.preset_value.take().expect("checked");
                if src != dst {
                    self.emit(Instr::Move { dst, src }, span);
                }
            }
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
