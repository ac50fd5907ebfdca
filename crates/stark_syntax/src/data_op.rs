//! The built-in operations on tensors, datasets and streams, named once for every stage.

use crate::ast::BinOp;

/// A data operation; lowering turns the checker's `Builtin::Data(op)` into the bytecode's
/// `Native::Data(op)`. It lives here, in the crate both depend on, so that the checker, the
/// bytecode and the VM share one list without the bytecode depending on the checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataOp {
    // ---- Tensor constructors: shape/values, then `device: String?` last ----
    TensorZeros,
    TensorOnes,
    TensorRange,
    /// `(shape, seed: Int?, device)`
    TensorRand,
    /// `(values: List<Int|Float>, shape: List<Int>?, device)`
    TensorFromList,
    // ---- Tensor methods (receiver first) ----
    Shape,
    Len,
    Sum,
    Mean,
    Max,
    Reshape,
    Transpose,
    /// `t[i, j, …]`: `(t, i, j, …)`.
    Get,
    /// `t[i, j, …] = v`: `(t, v, i, j, …)`.
    Set,
    Add,
    Sub,
    Mul,
    Div,
    MatMul,
    AddInPlace,
    SubInPlace,
    MulInPlace,
    FillInPlace,
    Pin,
    // ---- Dataset ----
    DatasetLoad,
    DatasetLen,
    DatasetColumns,
    DatasetColumn,
    DatasetRow,
    // ---- Stream ----
    /// `(path, mode: String?)`
    FileOpen,
    ReadLine,
    ReadAll,
    Write,
    Close,
}

impl DataOp {
    /// In-place tensor operations need a mutable binding (M4).
    pub fn mutates_receiver(self) -> bool {
        matches!(
            self,
            DataOp::AddInPlace | DataOp::SubInPlace | DataOp::MulInPlace | DataOp::FillInPlace
        )
    }

    /// The name `stark ir` prints.
    pub fn name(self) -> &'static str {
        match self {
            DataOp::TensorZeros => "Tensor.zeros",
            DataOp::TensorOnes => "Tensor.ones",
            DataOp::TensorRange => "Tensor.range",
            DataOp::TensorRand => "Tensor.rand",
            DataOp::TensorFromList => "Tensor.from_list",
            DataOp::Shape => "tensor.shape",
            DataOp::Len => "tensor.len",
            DataOp::Sum => "tensor.sum",
            DataOp::Mean => "tensor.mean",
            DataOp::Max => "tensor.max",
            DataOp::Reshape => "tensor.reshape",
            DataOp::Transpose => "tensor.transpose",
            DataOp::Get => "tensor.get",
            DataOp::Set => "tensor.set",
            DataOp::Add => "tensor.add",
            DataOp::Sub => "tensor.sub",
            DataOp::Mul => "tensor.mul",
            DataOp::Div => "tensor.div",
            DataOp::MatMul => "tensor.matmul",
            DataOp::AddInPlace => "tensor.add_",
            DataOp::SubInPlace => "tensor.sub_",
            DataOp::MulInPlace => "tensor.mul_",
            DataOp::FillInPlace => "tensor.fill_",
            DataOp::Pin => "tensor.pin",
            DataOp::DatasetLoad => "Dataset.load",
            DataOp::DatasetLen => "dataset.len",
            DataOp::DatasetColumns => "dataset.columns",
            DataOp::DatasetColumn => "dataset.column",
            DataOp::DatasetRow => "dataset.row",
            DataOp::FileOpen => "File.open",
            DataOp::ReadLine => "stream.read_line",
            DataOp::ReadAll => "stream.read_all",
            DataOp::Write => "stream.write",
            DataOp::Close => "stream.close",
        }
    }

    /// The tensor operator for a binary operator, if tensors support it.
    pub fn of_binop(op: BinOp) -> Option<DataOp> {
        Some(match op {
            BinOp::Add => DataOp::Add,
            BinOp::Sub => DataOp::Sub,
            BinOp::Mul => DataOp::Mul,
            BinOp::Div => DataOp::Div,
            BinOp::MatMul => DataOp::MatMul,
            _ => return None,
        })
    }
}
