//! Tensors, datasets and streams in the checker: the `Tensor.*`, `Dataset.load` and
//! `File.open` constructors, their methods, and the operators on tensors. `builtins.rs` and
//! `expr.rs` delegate here so they do not grow with every data operation.

use crate::args::{opt, p, P};
use crate::checker::Checker;
use crate::results::{Builtin, CallArg};
use crate::types::Ty;
use stark_syntax::ast::{Arg, BinOp, Expr, Ident};
pub use stark_syntax::DataOp;
use stark_syntax::{codes, Diagnostic};

fn shape_ty() -> Ty {
    Ty::List(Box::new(Ty::Int))
}

fn device() -> P {
    opt("device", Ty::Str.optional(), CallArg::None)
}

type Sig = (Builtin, Vec<P>, Ty);

fn data(op: DataOp, params: Vec<P>, ret: Ty) -> Option<Sig> {
    Some((Builtin::Data(op), params, ret))
}

impl Checker<'_> {
    /// `Tensor.zeros(…)`, `Dataset.load(…)`, `File.open(…)`; `None` if `ns.name` is not one.
    pub(crate) fn data_static(
        &mut self,
        e: &Expr,
        ns: &str,
        method: &Ident,
        args: &[Arg],
    ) -> Option<Ty> {
        let sig = match (ns, method.name.as_str()) {
            ("Tensor", "zeros") => data(
                DataOp::TensorZeros,
                vec![p("shape", shape_ty()), device()],
                Ty::Tensor,
            ),
            ("Tensor", "ones") => data(
                DataOp::TensorOnes,
                vec![p("shape", shape_ty()), device()],
                Ty::Tensor,
            ),
            ("Tensor", "range") => data(
                DataOp::TensorRange,
                vec![p("start", Ty::Float), p("end", Ty::Float), device()],
                Ty::Tensor,
            ),
            ("Tensor", "rand") => data(
                DataOp::TensorRand,
                vec![
                    p("shape", shape_ty()),
                    opt("seed", Ty::Int.optional(), CallArg::None),
                    device(),
                ],
                Ty::Tensor,
            ),
            ("Tensor", "from_list") => {
                let any = self.infer.fresh();
                data(
                    DataOp::TensorFromList,
                    vec![
                        p("values", any),
                        opt("shape", shape_ty().optional(), CallArg::None),
                        device(),
                    ],
                    Ty::Tensor,
                )
            }
            ("Dataset", "load") => data(DataOp::DatasetLoad, vec![p("path", Ty::Str)], Ty::Dataset),
            ("File", "open") => data(
                DataOp::FileOpen,
                vec![
                    p("path", Ty::Str),
                    opt("mode", Ty::Str.optional(), CallArg::None),
                ],
                Ty::Stream,
            ),
            _ => None,
        }?;
        let (op, params, ret) = sig;
        let what = format!("`{ns}.{}`", method.name);
        let bound = self.bind(e, &what, &params, args, vec![]);
        if op == Builtin::Data(DataOp::TensorFromList) {
            if let Some(a) = args.first() {
                self.require_number_list(&a.value);
            }
        }
        self.builtin(e, op, bound);
        Some(ret)
    }

    /// `from_list` takes a `List<Int>` or a `List<Float>`.
    fn require_number_list(&mut self, e: &Expr) {
        let t = self.unwrapped(&self.out.expr_ty[e.id.0 as usize].clone());
        let ok = match &t {
            Ty::List(el) => matches!(
                self.infer.shallow(el),
                Ty::Int | Ty::Float | Ty::Var(_) | Ty::Error
            ),
            Ty::Error => true,
            _ => false,
        };
        if !ok {
            let shown = self.show(&t);
            self.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    format!("expected a list of numbers, found `{shown}`"),
                    e.span,
                )
                .label("`Tensor.from_list` takes a `List<Float>` or `List<Int>`"),
            );
        }
    }

    /// The signature of a method on a Tensor, Dataset or Stream receiver.
    pub(crate) fn data_method_sig(&mut self, recv: &Ty, name: &str) -> Option<Sig> {
        match (recv, name) {
            (Ty::Tensor, "shape") => data(DataOp::Shape, vec![], shape_ty()),
            (Ty::Tensor, "len") => data(DataOp::Len, vec![], Ty::Int),
            (Ty::Tensor, "sum") => data(DataOp::Sum, vec![], Ty::Float),
            (Ty::Tensor, "mean") => data(DataOp::Mean, vec![], Ty::Float),
            (Ty::Tensor, "max") => data(DataOp::Max, vec![], Ty::Float),
            (Ty::Tensor, "reshape") => {
                data(DataOp::Reshape, vec![p("shape", shape_ty())], Ty::Tensor)
            }
            (Ty::Tensor, "transpose") => data(DataOp::Transpose, vec![], Ty::Tensor),
            (Ty::Tensor, "add_" | "sub_" | "mul_") => {
                let op = match name {
                    "add_" => DataOp::AddInPlace,
                    "sub_" => DataOp::SubInPlace,
                    _ => DataOp::MulInPlace,
                };
                // A tensor of the same shape or a number: checked in `check_operand`.
                let any = self.infer.fresh();
                data(op, vec![p("other", any)], Ty::Unit)
            }
            (Ty::Tensor, "fill_") => {
                data(DataOp::FillInPlace, vec![p("value", Ty::Float)], Ty::Unit)
            }
            (Ty::Tensor, "pin") => data(DataOp::Pin, vec![p("device", Ty::Str)], Ty::Unit),
            (Ty::Dataset, "len") => data(DataOp::DatasetLen, vec![], Ty::Int),
            (Ty::Dataset, "columns") => {
                data(DataOp::DatasetColumns, vec![], Ty::List(Box::new(Ty::Str)))
            }
            (Ty::Dataset, "column") => {
                data(DataOp::DatasetColumn, vec![p("name", Ty::Str)], Ty::Tensor)
            }
            (Ty::Dataset, "row") => data(
                DataOp::DatasetRow,
                vec![p("index", Ty::Int)],
                Ty::Map(Box::new(Ty::Str), Box::new(Ty::Str)),
            ),
            (Ty::Stream, "read_line") => data(DataOp::ReadLine, vec![], Ty::Str.optional()),
            (Ty::Stream, "read_all") => data(DataOp::ReadAll, vec![], Ty::Str),
            (Ty::Stream, "write") => data(DataOp::Write, vec![p("text", Ty::Str)], Ty::Unit),
            (Ty::Stream, "close") => data(DataOp::Close, vec![], Ty::Unit),
            _ => None,
        }
    }

    /// After binding: the operand of `add_`/`sub_`/`mul_` must be a Tensor or a number.
    pub(crate) fn check_data_call(&mut self, op: Builtin, args: &[Arg]) {
        if !matches!(
            op,
            Builtin::Data(DataOp::AddInPlace | DataOp::SubInPlace | DataOp::MulInPlace)
        ) {
            return;
        }
        let Some(a) = args.first() else { return };
        let t = self.unwrapped(&self.out.expr_ty[a.value.id.0 as usize].clone());
        if !matches!(t, Ty::Tensor | Ty::Int | Ty::Float | Ty::Error) {
            let shown = self.show(&t);
            self.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    format!("expected a `Tensor` or a number, found `{shown}`"),
                    a.value.span,
                )
                .label(format!("this is `{shown}`")),
            );
        }
    }

    /// The result type of `a op b` where either side is a Tensor; `None` if not allowed.
    pub(crate) fn tensor_binary(&self, op: BinOp, ta: &Ty, tb: &Ty) -> Option<Ty> {
        let is_t = |t: &Ty| *t == Ty::Tensor;
        if !is_t(ta) && !is_t(tb) {
            return None;
        }
        let operand = |t: &Ty| is_t(t) || t.is_numeric();
        match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div if operand(ta) && operand(tb) => {
                Some(Ty::Tensor)
            }
            BinOp::MatMul if is_t(ta) && is_t(tb) => Some(Ty::Tensor),
            _ => None,
        }
    }
}
