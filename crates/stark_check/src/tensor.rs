//! The operators on tensors, typed from their rows in the registry: `t + x` is the
//! `Tensor` row named `+`, whose one parameter says what the other operand may be; and the
//! comparisons of dataset columns, which make masks (`d["qty"] > 3`).

use crate::checker::Checker;
use crate::types::Ty;
use stark_syntax::ast::BinOp;
use stark_syntax::{Builtin, Recv, SigTy};

impl Checker<'_> {
    /// The result type of `a op b` (or `a op= b`) where either side is a Tensor; `None` if
    /// not allowed. An operator's operands may come in either order (`2.0 * t`), so rather
    /// than bind a receiver, each side must be what the row's parameter takes (a Tensor, or
    /// a Tensor or a number) and one of them a Tensor.
    pub(crate) fn tensor_binary(&mut self, op: BinOp, ta: &Ty, tb: &Ty) -> Option<Ty> {
        if *ta != Ty::Tensor && *tb != Ty::Tensor {
            return None;
        }
        let sig = Builtin::operator(Recv::Tensor, op)?.sig()?;
        let takes = |t: &Ty| match sig.params.first().map(|p| p.ty) {
            Some(SigTy::Tensor) => *t == Ty::Tensor,
            Some(SigTy::TensorOrNumber) => *t == Ty::Tensor || *t == Ty::Bool || t.is_numeric(),
            _ => false,
        };
        (takes(ta) && takes(tb)).then(|| self.row_ty(sig.ret, &Ty::Tensor))
    }

    /// The result type of a comparison where either side is a dataset Column (SPEC §9):
    /// the other side a Column or a scalar, in either order (`3 < d["qty"]`); a bool
    /// Column. `None` if not allowed.
    pub(crate) fn column_binary(&mut self, op: BinOp, ta: &Ty, tb: &Ty) -> Option<Ty> {
        if *ta != Ty::Column && *tb != Ty::Column {
            return None;
        }
        Builtin::operator(Recv::Column, op)?;
        let takes = |t: &Ty| matches!(t, Ty::Column | Ty::Int | Ty::Float | Ty::Bool | Ty::Str);
        (takes(ta) && takes(tb)).then_some(Ty::Column)
    }
}
