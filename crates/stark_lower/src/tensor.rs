//! Tensor operators and indexing: each lowers to one `CallNative` of its registry row's
//! native, whose operands are views (nothing is consumed) — except a temporary operand of
//! an elementwise row, which the call takes over so that it may lend its buffer to the
//! result (`Native::TensorReuse`).

use super::call::{Operand, Pass};
use super::{FnLower, Val};
use stark_bytecode::instr::{Instr, Reg};
use stark_bytecode::native::Native;
use stark_check::{CallArg, IndexRes, Ty};
use stark_syntax::ast::{BinOp, Expr, ExprKind};
use stark_syntax::{Builtin, Recv, Span};

impl FnLower<'_> {
    /// `Tensor.zeros/ones/rand([d0, …], …)`: a shape written as a list literal is passed as
    /// its dimensions (`Native::DataDims`), so no list is built for the call to read and
    /// release. `None` when the call is not of that form.
    pub(super) fn data_dims(
        &mut self,
        e: &Expr,
        op: Builtin,
        args: &[CallArg],
        dst: Reg,
    ) -> Option<bool> {
        // These three rows' own lowering: their native reads a shape given inline.
        if self.naive
            || !matches!(
                op,
                Builtin::TensorZeros | Builtin::TensorOnes | Builtin::TensorRand
            )
        {
            return None;
        }
        let (first, rest) = args.split_first()?;
        let ExprKind::List(items) = &stark_check::call_operand(e, first)?.kind else {
            return None;
        };
        let rank = u8::try_from(items.len())
            .ok()
            .filter(|&r| (1..=8).contains(&r))?;
        let dims = self.temps(items.len());
        for (i, item) in items.iter().enumerate() {
            self.expr_in(item, dims + i as Reg);
        }
        let ops: Vec<Operand> = rest.iter().map(|a| (a.clone(), Pass::View, None)).collect();
        let (base, release) = self.operands(e, &ops);
        debug_assert!(
            self.out_of_regs || ops.is_empty() || base == dims + rank as Reg,
            "operands follow the dimensions"
        );
        self.emit(
            Instr::CallNative {
                dst,
                native: Native::DataDims { op, rank },
                args: dims,
                argc: (items.len() + ops.len()) as u16,
            },
            e.span,
        );
        self.finish_call(release, e.span);
        Some(true)
    }

    /// `dst = a op b` when a tensor is involved (the checker allowed it); returns `None` for
    /// other operand types. The result is an owned Tensor.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn tensor_arith(
        &mut self,
        op: BinOp,
        a: Reg,
        ta: &Ty,
        b: Reg,
        tb: &Ty,
        dst: Reg,
        span: Span,
    ) -> Option<bool> {
        if *ta != Ty::Tensor && *tb != Ty::Tensor {
            return None;
        }
        let native = Native::of_builtin(Builtin::operator(Recv::Tensor, op)?)?;
        self.call_native_on(native, &[a, b], dst, span);
        Some(true)
    }

    /// `native` called on the operands from `base`: when it is an elementwise tensor row and
    /// one of its operands is a temporary this code would release after the call (in
    /// `release`), the call takes that operand over instead (`Native::TensorReuse`), so the
    /// result can be written into its buffer; `release` loses it. Otherwise `native`.
    pub(super) fn reuse_operand(
        &self,
        native: Native,
        base: Reg,
        argc: u16,
        release: &mut Vec<Reg>,
    ) -> Native {
        let Some(op) = native.builtin().filter(|op| op.tensor_elementwise()) else {
            return native;
        };
        if self.naive || matches!(native, Native::TensorReuse { .. }) {
            return native;
        }
        let taken = (0..argc.min(2)).find(|&i| release.contains(&(base + i)));
        let Some(taken) = taken else {
            return native;
        };
        release.retain(|&r| r != base + taken);
        Native::TensorReuse {
            op,
            taken: taken as u8,
        }
    }

    /// `dst = -v` or `dst = a op b` on tensors, lowered by the caller to `vals`: one call of
    /// `native`, a temporary operand taken over by it (`reuse_operand`), the others
    /// released after it.
    pub(super) fn tensor_call(&mut self, native: Native, vals: &[Val], dst: Reg, span: Span) {
        let regs: Vec<Reg> = vals.iter().map(|v| v.reg).collect();
        let base = self.copies(&regs, span);
        let mut release: Vec<Reg> = vals
            .iter()
            .enumerate()
            .filter(|(_, v)| v.owned)
            .map(|(i, _)| base + i as Reg)
            .collect();
        let argc = regs.len() as u16;
        let native = self.reuse_operand(native, base, argc, &mut release);
        self.emit(
            Instr::CallNative {
                dst,
                native,
                args: base,
                argc,
            },
            span,
        );
        for (i, v) in vals.iter().enumerate() {
            if release.contains(&(base + i as Reg)) {
                self.release(*v, span);
            }
        }
    }

    /// Lays out the indices of `t[…]` from register `at` on, four a index (the
    /// `TensorGet` row's layout): tag 0 and an Int; tag 1 and a slice's three bounds (None
    /// where left out); tag 2 and a bool mask tensor. Returns the mask operands to release
    /// after the call.
    fn tensor_indices(&mut self, at: Reg, indices: &[Expr], span: Span) -> Vec<Val> {
        let mut owned = Vec::new();
        for (i, idx) in indices.iter().enumerate() {
            let r = at + (4 * i) as Reg;
            let (tag, parts): (i64, Vec<Option<&Expr>>) = match &idx.kind {
                ExprKind::Slice { lo, hi, step } => {
                    (1, vec![lo.as_deref(), hi.as_deref(), step.as_deref()])
                }
                _ if self.ty(idx) == Ty::Tensor => (2, vec![Some(idx), None, None]),
                _ => (0, vec![Some(idx), None, None]),
            };
            self.emit(Instr::LoadInt { dst: r, value: tag }, span);
            for (j, part) in parts.into_iter().enumerate() {
                let reg = r + 1 + j as Reg;
                match part {
                    Some(p) => {
                        if self.expr_in(p, reg) {
                            owned.push(Val { reg, owned: true });
                        }
                    }
                    None => {
                        self.emit(Instr::LoadNone { dst: reg }, span);
                    }
                }
            }
        }
        owned
    }

    /// `dst = t[…]`: a Tensor (owned: a view or a mask's copy), or, where the checker
    /// made it a number (`IndexRes::TensorFloat`/`TensorInt`), one element read in place.
    pub(super) fn tensor_get(
        &mut self,
        tensor: Reg,
        indices: &[Expr],
        res: IndexRes,
        dst: Reg,
        span: Span,
    ) -> bool {
        if let IndexRes::TensorFloat | IndexRes::TensorInt = res {
            let args = self.temps(1 + indices.len());
            self.emit(
                Instr::Copy {
                    dst: args,
                    src: tensor,
                },
                span,
            );
            for (i, idx) in indices.iter().enumerate() {
                // Indices are Ints: nothing to own or release.
                self.expr_in(idx, args + 1 + i as Reg);
            }
            let native = if res == IndexRes::TensorInt {
                Native::TensorGetInt
            } else {
                Native::TensorGetFloat
            };
            self.emit(
                Instr::CallNative {
                    dst,
                    native,
                    args,
                    argc: (1 + indices.len()) as u16,
                },
                span,
            );
            return false;
        }
        let args = self.temps(1 + 4 * indices.len());
        self.emit(
            Instr::Copy {
                dst: args,
                src: tensor,
            },
            span,
        );
        let owned = self.tensor_indices(args + 1, indices, span);
        self.emit(
            Instr::CallNative {
                dst,
                native: Native::TensorGet,
                args,
                argc: (1 + 4 * indices.len()) as u16,
            },
            span,
        );
        for v in owned {
            self.release(v, span);
        }
        true
    }

    /// `t[…] = value` or `t[…] op= value` (the region read, combined, written back).
    pub(super) fn tensor_set(
        &mut self,
        tensor: Reg,
        indices: &[Expr],
        op: Option<BinOp>,
        value: &Expr,
        span: Span,
    ) {
        let args = self.temps(2 + 4 * indices.len());
        self.emit(
            Instr::Copy {
                dst: args,
                src: tensor,
            },
            span,
        );
        let mut owned = self.tensor_indices(args + 2, indices, span);
        let vt = self.ty(value);
        let v = self.expr(value);
        match op {
            None => {
                self.emit(
                    Instr::Copy {
                        dst: args + 1,
                        src: v.reg,
                    },
                    span,
                );
                owned.push(v);
            }
            Some(op) => {
                // The region as a view, combined with the value into a new tensor.
                let get = self.temps(1 + 4 * indices.len());
                for i in 0..(1 + 4 * indices.len()) as Reg {
                    let src = if i == 0 { args } else { args + 1 + i };
                    self.emit(Instr::Copy { dst: get + i, src }, span);
                }
                let current = self.temp();
                self.emit(
                    Instr::CallNative {
                        dst: current,
                        native: Native::TensorGet,
                        args: get,
                        argc: (1 + 4 * indices.len()) as u16,
                    },
                    span,
                );
                let cur = Val {
                    reg: current,
                    owned: true,
                };
                let made = self.arith(op, cur, &Ty::Tensor, v, &vt, args + 1, span);
                self.release(cur, span);
                self.release(v, span);
                owned.push(Val {
                    reg: args + 1,
                    owned: made,
                });
            }
        }
        let dst = self.temp();
        self.emit(
            Instr::CallNative {
                dst,
                native: Native::TensorSet,
                args,
                argc: (2 + 4 * indices.len()) as u16,
            },
            span,
        );
        for v in owned {
            self.release(v, span);
        }
    }

    /// Lowers tensor expression `e` and converts it to the number the checker wants in its
    /// place (`Checked::tensor_scalars`): `t.item()`, `t.int_item()` or `t.__bool__()` of it, the tensor
    /// released if it was a temporary.
    pub(super) fn tensor_scalar_in(&mut self, e: &Expr, want: &Ty, dst: Reg) -> bool {
        let t = self.temp();
        let owned = self.expr_in_tensor(e, t);
        let native = match want {
            Ty::Int => Native::TensorIntItem,
            Ty::Bool => Native::TensorDunderBool,
            _ => Native::TensorItem,
        };
        self.emit(
            Instr::CallNative {
                dst,
                native,
                args: t,
                argc: 1,
            },
            e.span,
        );
        self.release(Val { reg: t, owned }, e.span);
        false
    }
}
