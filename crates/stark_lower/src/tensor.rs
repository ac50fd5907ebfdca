//! Tensor operators and indexing: each lowers to one `CallNative` of its registry row's
//! native, whose operands are views (nothing is consumed).

use super::call::{Operand, Pass};
use super::{FnLower, Val};
use stark_bytecode::instr::{Instr, Reg};
use stark_bytecode::native::Native;
use stark_check::{CallArg, Ty};
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

    /// Lays out `(tensor, [value,] i, j, …)` in fresh registers; returns the first.
    fn tensor_index_args(&mut self, tensor: Reg, value: bool, indices: &[Expr], span: Span) -> Reg {
        let lead = 1 + usize::from(value);
        let args = self.temps(lead + indices.len());
        self.emit(
            Instr::Copy {
                dst: args,
                src: tensor,
            },
            span,
        );
        for (i, idx) in indices.iter().enumerate() {
            // Indices are Ints: nothing to own or release.
            self.expr_in(idx, args + (lead + i) as Reg);
        }
        args
    }

    /// `dst = t[i, j, …]` (a Float).
    pub(super) fn tensor_get(&mut self, tensor: Reg, indices: &[Expr], dst: Reg, span: Span) {
        let args = self.tensor_index_args(tensor, false, indices, span);
        let argc = (1 + indices.len()) as u16;
        self.emit(
            Instr::CallNative {
                dst,
                native: Native::TensorGet,
                args,
                argc,
            },
            span,
        );
    }

    /// `t[i, j, …] = value` or `t[i, j, …] op= value`.
    pub(super) fn tensor_set(
        &mut self,
        tensor: Reg,
        indices: &[Expr],
        op: Option<BinOp>,
        value: &Expr,
        span: Span,
    ) {
        let args = self.tensor_index_args(tensor, true, indices, span);
        match op {
            None => self.owned_in(value, args + 1, &Ty::Float),
            Some(op) => {
                let current = self.temp();
                let get = self.temps(1 + indices.len());
                self.emit(
                    Instr::Copy {
                        dst: get,
                        src: args,
                    },
                    span,
                );
                for i in 0..indices.len() {
                    self.emit(
                        Instr::Copy {
                            dst: get + 1 + i as Reg,
                            src: args + 2 + i as Reg,
                        },
                        span,
                    );
                }
                let argc = (1 + indices.len()) as u16;
                self.emit(
                    Instr::CallNative {
                        dst: current,
                        native: Native::TensorGet,
                        args: get,
                        argc,
                    },
                    span,
                );
                let vt = self.ty(value);
                let v = self.expr(value);
                self.arith(
                    op,
                    Val {
                        reg: current,
                        owned: false,
                    },
                    &Ty::Float,
                    v,
                    &vt,
                    args + 1,
                    span,
                );
                self.release(v, span);
            }
        }
        let argc = (2 + indices.len()) as u16;
        let dst = self.temp();
        self.emit(
            Instr::CallNative {
                dst,
                native: Native::TensorSet,
                args,
                argc,
            },
            span,
        );
    }
}
