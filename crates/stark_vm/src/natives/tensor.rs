//! Tensor built-ins (the registry's `Tensor` rows). Every failure — a bad shape, mismatched shapes, an
//! index out of range, an unknown device — is a runtime error, never a panic.

use super::operands::{arg, bad_operand, int_arg, NativeCx};
use crate::error::{fail, Fallible, Fault};
use stark_runtime::tensor::{self as k, numel, shape_str, ElemOp, TensorBody};
use stark_runtime::tensor_pool::{capacity_for, TensorBuf};
use stark_runtime::{Heap, ObjKind, ObjRef, OutOfMemory, Value};
use stark_syntax::Builtin;

pub(crate) fn shape(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let items = t
        .tensor()
        .shape
        .iter()
        .map(|&d| Value::Int(d as i64))
        .collect();
    Ok(Value::Obj(cx.heap.alloc_list(items)?))
}

pub(crate) fn len(a: &[Value]) -> Fallible<Value> {
    Ok(Value::Int(tensor_arg(a, 0)?.tensor().numel() as i64))
}

pub(crate) fn sum(a: &[Value]) -> Fallible<Value> {
    Ok(Value::Float(k::sum(tensor_arg(a, 0)?.tensor().data())))
}

pub(crate) fn mean(a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let n = t.tensor().numel();
    if n == 0 {
        return fail(format!(
            "mean of an empty tensor (shape {})",
            shape_str(&t.tensor().shape)
        ));
    }
    Ok(Value::Float(k::sum(t.tensor().data()) / n as f64))
}

pub(crate) fn max(a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    match k::max(t.tensor().data()) {
        Some(m) => Ok(Value::Float(m as f64)),
        None => fail(format!(
            "max of an empty tensor (shape {})",
            shape_str(&t.tensor().shape)
        )),
    }
}

/// `t.fill_(v)`.
pub(crate) fn fill(a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let v = number_arg(a, 1)?;
    // SAFETY: the only borrow of the tensor's body, ended with the statement (I5).
    unsafe { t.tensor_mut() }.data_mut().fill(v);
    Ok(Value::None)
}

/// `t.pin(device)`.
pub(crate) fn pin(a: &[Value]) -> Fallible<Value> {
    tensor_arg(a, 0)?;
    check_device(arg(a, 1))?;
    Ok(Value::None)
}

/// The devices this build can place tensors on.
pub(crate) const DEVICES: &[&str] = &["cpu"];

/// `device=` (a `String?`; `None` is the default, `"cpu"`).
fn check_device(v: Value) -> Fallible<()> {
    let obj = match v {
        Value::None => return Ok(()),
        Value::Obj(o) if o.kind() == ObjKind::Str => o,
        _ => return Err(bad_operand(0, "String")),
    };
    let name = obj.as_str();
    if DEVICES.contains(&name) {
        return Ok(());
    }
    fail(format!(
        "device \"{name}\" is not available; available devices: {}",
        DEVICES.join(", ")
    ))
}

pub(crate) fn tensor_arg(a: &[Value], i: usize) -> Fallible<ObjRef> {
    match arg(a, i) {
        Value::Obj(o) if o.kind() == ObjKind::Tensor => Ok(o),
        Value::None => fail("expected a Tensor, found None"),
        _ => Err(bad_operand(i, "Tensor")),
    }
}

/// A Float or Int operand as an f32.
fn number_arg(a: &[Value], i: usize) -> Fallible<f32> {
    match arg(a, i) {
        Value::Float(x) => Ok(x as f32),
        Value::Int(n) => Ok(n as f32),
        _ => Err(bad_operand(i, "number")),
    }
}

fn oom(elements: usize) -> Fault {
    OutOfMemory {
        requested: (elements as u64).saturating_mul(4),
        live: 0,
        limit: None,
        quota: false,
    }
    .into()
}

/// `Native::DataDims`: the shape's dimensions are the first `rank` operands.
pub(crate) fn call_dims(
    cx: &mut NativeCx<'_>,
    op: Builtin,
    rank: usize,
    a: &[Value],
) -> Fallible<Value> {
    let Some((dims, rest)) = a.split_at_checked(rank) else {
        return Err(bad_operand(0, "Int"));
    };
    let dims = dims
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Int(d) => Ok(*d),
            _ => Err(bad_operand(i, "Int")),
        })
        .collect::<Fallible<Vec<i64>>>()?;
    let shape = checked_shape(dims)?;
    match op {
        Builtin::TensorZeros => filled_shape(cx, shape, rest, 0.0),
        Builtin::TensorOnes => filled_shape(cx, shape, rest, 1.0),
        Builtin::TensorRand => rand_shape(cx, shape, rest),
        _ => Err(Fault::msg(format!(
            "internal error: {} takes no inline shape",
            op.ir_name()
        ))),
    }
}

/// A `List<Int>` shape, checked: no negative dimension, no overflowing element count.
fn shape_arg(a: &[Value], i: usize) -> Fallible<Vec<usize>> {
    let list = match arg(a, i) {
        Value::Obj(o) if o.kind() == ObjKind::List => o,
        Value::None => return fail("expected a shape, found None"),
        _ => return Err(bad_operand(i, "List<Int>")),
    };
    let dims: Vec<i64> = list
        .list()
        .iter()
        .map(|v| match v {
            Value::Int(d) => Ok(*d),
            _ => Err(bad_operand(i, "List<Int>")),
        })
        .collect::<Fallible<_>>()?;
    checked_shape(dims)
}

fn checked_shape(dims: Vec<i64>) -> Fallible<Vec<usize>> {
    let show = || {
        format!(
            "[{}]",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if dims.iter().any(|&d| d < 0) {
        return fail(format!(
            "invalid shape {}: dimensions must not be negative",
            show()
        ));
    }
    let shape: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    match numel(&shape) {
        Some(n) if n <= (isize::MAX as usize) / 4 => Ok(shape),
        _ => fail(format!("invalid shape {}: too many elements", show())),
    }
}

pub(crate) fn new_tensor(
    cx: &mut NativeCx<'_>,
    shape: Vec<usize>,
    buf: TensorBuf,
) -> Fallible<Value> {
    Ok(Value::Obj(cx.heap.alloc_tensor(TensorBody { shape, buf })?))
}

/// Checks `--max-memory` (and an actor's quota) for a buffer of `n` elements *before* it is
/// allocated: the charge comes only with `alloc_tensor`, and by then a huge buffer would already
/// have been allocated and written, so the OS might kill the program first.
fn room(heap: &Heap, n: usize) -> Fallible<()> {
    let bytes = capacity_for(n).ok_or_else(|| oom(n))?;
    heap.check_room(bytes as u64)?;
    Ok(())
}

fn buffer(heap: &Heap, n: usize) -> Fallible<TensorBuf> {
    room(heap, n)?;
    TensorBuf::new(n).ok_or_else(|| oom(n))
}

fn copy_buffer(heap: &Heap, data: &[f32]) -> Fallible<TensorBuf> {
    room(heap, data.len())?;
    TensorBuf::from_slice(data).ok_or_else(|| oom(data.len()))
}

pub(crate) fn filled(cx: &mut NativeCx<'_>, a: &[Value], value: f32) -> Fallible<Value> {
    let shape = shape_arg(a, 0)?;
    filled_shape(cx, shape, a.get(1..).unwrap_or(&[]), value)
}

/// `rest`: the operands after the shape (the device).
fn filled_shape(
    cx: &mut NativeCx<'_>,
    shape: Vec<usize>,
    rest: &[Value],
    value: f32,
) -> Fallible<Value> {
    check_device(arg(rest, 0))?;
    let n = numel(&shape).unwrap_or(0);
    room(cx.heap, n)?;
    let buf = TensorBuf::filled(n, value).ok_or_else(|| oom(n))?;
    new_tensor(cx, shape, buf)
}

fn float_arg(a: &[Value], i: usize) -> Fallible<f64> {
    match arg(a, i) {
        Value::Float(x) => Ok(x),
        Value::Int(n) => Ok(n as f64),
        _ => Err(bad_operand(i, "Float")),
    }
}

/// `Tensor.range(start, end)`: start, start + 1, … below end (like `numpy.arange`).
pub(crate) fn range(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let (start, end) = (float_arg(a, 0)?, float_arg(a, 1)?);
    check_device(arg(a, 2))?;
    if !start.is_finite() || !end.is_finite() {
        return fail(format!(
            "Tensor.range needs finite bounds, found {start} and {end}"
        ));
    }
    let count = (end - start).ceil().max(0.0);
    if count > (1u64 << 34) as f64 {
        return fail(format!(
            "Tensor.range({start}, {end}) has too many elements"
        ));
    }
    let n = count as usize;
    let mut buf = buffer(cx.heap, n)?;
    for (i, x) in buf.as_mut_slice().iter_mut().enumerate() {
        *x = (start + i as f64) as f32;
    }
    new_tensor(cx, vec![n], buf)
}

pub(crate) fn rand(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let shape = shape_arg(a, 0)?;
    rand_shape(cx, shape, a.get(1..).unwrap_or(&[]))
}

/// `rest`: the operands after the shape (seed, device).
fn rand_shape(cx: &mut NativeCx<'_>, shape: Vec<usize>, rest: &[Value]) -> Fallible<Value> {
    let a = rest;
    let seed = match arg(a, 0) {
        Value::Int(s) => s as u64,
        // No seed: a different stream each run.
        _ => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    };
    check_device(arg(a, 1))?;
    let n = numel(&shape).unwrap_or(0);
    let mut buf = buffer(cx.heap, n)?;
    k::fill_rand(buf.as_mut_slice(), seed);
    new_tensor(cx, shape, buf)
}

pub(crate) fn from_list(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let list = match arg(a, 0) {
        Value::Obj(o) if o.kind() == ObjKind::List => o,
        _ => return Err(bad_operand(0, "List")),
    };
    let values = list.list();
    let shape = match arg(a, 1) {
        Value::None => vec![values.len()],
        _ => shape_arg(a, 1)?,
    };
    check_device(arg(a, 2))?;
    let n = numel(&shape).unwrap_or(0);
    if n != values.len() {
        return fail(format!(
            "Tensor.from_list: {} values do not fill shape {} ({n} elements)",
            values.len(),
            shape_str(&shape)
        ));
    }
    let mut buf = buffer(cx.heap, n)?;
    for (x, v) in buf.as_mut_slice().iter_mut().zip(values) {
        *x = match v {
            Value::Float(f) => *f as f32,
            Value::Int(i) => *i as f32,
            _ => return Err(bad_operand(0, "List<Float>")),
        };
    }
    new_tensor(cx, shape, buf)
}

pub(crate) fn reshape(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let shape = shape_arg(a, 1)?;
    let body = t.tensor();
    if numel(&shape) != Some(body.numel()) {
        return fail(format!(
            "cannot reshape a tensor of shape {} ({} elements) to {}",
            shape_str(&body.shape),
            body.numel(),
            shape_str(&shape)
        ));
    }
    let buf = copy_buffer(cx.heap, body.data())?;
    new_tensor(cx, shape, buf)
}

pub(crate) fn transpose(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let body = t.tensor();
    let n = body.numel();
    match body.shape[..] {
        [] | [_] => {
            let buf = copy_buffer(cx.heap, body.data())?;
            new_tensor(cx, body.shape.clone(), buf)
        }
        [rows, cols] => {
            let mut buf = buffer(cx.heap, n)?;
            k::transpose(buf.as_mut_slice(), body.data(), rows, cols);
            new_tensor(cx, vec![cols, rows], buf)
        }
        _ => fail(format!(
            "transpose needs a 1-D or 2-D tensor, found shape {}",
            shape_str(&body.shape)
        )),
    }
}

/// The flat offset of `t[indices]`, or an error naming the index and the shape.
fn offset(shape: &[usize], a: &[Value], first: usize) -> Fallible<usize> {
    let idx: Vec<i64> = (first..a.len())
        .map(|i| int_arg(a, i))
        .collect::<Fallible<_>>()?;
    if idx.len() != shape.len() {
        return fail(format!(
            "a tensor of shape {} takes {} ind{}, found {}",
            shape_str(shape),
            shape.len(),
            if shape.len() == 1 { "ex" } else { "ices" },
            idx.len()
        ));
    }
    let mut off = 0usize;
    for (&i, &d) in idx.iter().zip(shape) {
        if i < 0 || i as u64 >= d as u64 {
            let shown: Vec<String> = idx.iter().map(|i| i.to_string()).collect();
            return fail(format!(
                "index [{}] is out of bounds for a tensor of shape {}",
                shown.join(", "),
                shape_str(shape)
            ));
        }
        off = off * d + i as usize;
    }
    Ok(off)
}

pub(crate) fn get(a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let body = t.tensor();
    let off = offset(&body.shape, a, 1)?;
    Ok(Value::Float(body.data()[off] as f64))
}

pub(crate) fn set(a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let v = number_arg(a, 1)?;
    // SAFETY: the only borrow of the tensor's body; `offset` reads Int operands, not bodies,
    // and a native runs no STARK code (I5).
    let body = unsafe { t.tensor_mut() };
    let off = offset(&body.shape, a, 2)?;
    body.data_mut()[off] = v;
    Ok(Value::None)
}

fn mismatch(op: &str, l: &[usize], r: &[usize]) -> Fault {
    Fault::msg(format!(
        "shape mismatch in `{op}`: {} and {}",
        shape_str(l),
        shape_str(r)
    ))
}

pub(crate) fn binary(cx: &mut NativeCx<'_>, op: ElemOp, a: &[Value]) -> Fallible<Value> {
    let (x, y) = (arg(a, 0), arg(a, 1));
    let as_tensor = |v: Value| match v {
        Value::Obj(o) if o.kind() == ObjKind::Tensor => Some(o),
        _ => None,
    };
    match (as_tensor(x), as_tensor(y)) {
        (Some(l), Some(r)) => {
            let (l, r) = (l.tensor(), r.tensor());
            if l.shape != r.shape {
                return Err(mismatch(op.symbol(), &l.shape, &r.shape));
            }
            let mut buf = buffer(cx.heap, l.numel())?;
            k::elementwise(op, buf.as_mut_slice(), l.data(), r.data());
            new_tensor(cx, l.shape.clone(), buf)
        }
        (Some(t), None) => {
            let s = number_arg(a, 1)?;
            let t = t.tensor();
            let mut buf = buffer(cx.heap, t.numel())?;
            k::scalar_op(op, buf.as_mut_slice(), t.data(), s, false);
            new_tensor(cx, t.shape.clone(), buf)
        }
        (None, Some(t)) => {
            let s = number_arg(a, 0)?;
            let t = t.tensor();
            let mut buf = buffer(cx.heap, t.numel())?;
            k::scalar_op(op, buf.as_mut_slice(), t.data(), s, true);
            new_tensor(cx, t.shape.clone(), buf)
        }
        (None, None) => Err(bad_operand(0, "Tensor")),
    }
}

pub(crate) fn matmul(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let (l, r) = (tensor_arg(a, 0)?, tensor_arg(a, 1)?);
    let (l, r) = (l.tensor(), r.tensor());
    let (m, kk, n) = match (&l.shape[..], &r.shape[..]) {
        ([m, k1], [k2, n]) if k1 == k2 => (*m, *k1, *n),
        ([_, _], [_, _]) => {
            return fail(format!(
                "shape mismatch in `@`: {} and {} (inner dimensions {} and {} differ)",
                shape_str(&l.shape),
                shape_str(&r.shape),
                l.shape[1],
                r.shape[0]
            ))
        }
        _ => {
            return fail(format!(
                "`@` needs two 2-D tensors, found shapes {} and {}",
                shape_str(&l.shape),
                shape_str(&r.shape)
            ))
        }
    };
    let count = m.checked_mul(n).ok_or_else(|| oom(usize::MAX))?;
    let mut buf = buffer(cx.heap, count)?;
    k::matmul(buf.as_mut_slice(), l.data(), r.data(), m, kk, n);
    new_tensor(cx, vec![m, n], buf)
}

pub(crate) fn in_place(op: ElemOp, a: &[Value], name: &str) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    match arg(a, 1) {
        Value::Obj(o) if o.kind() == ObjKind::Tensor => {
            if o.tensor().shape != t.tensor().shape {
                return Err(mismatch(name, &t.tensor().shape, &o.tensor().shape));
            }
            if o == t {
                // `t.add_(t)`: the operand is the target; read it from a copy.
                let other: Vec<f32> = o.tensor().data().to_vec();
                // SAFETY: the only borrow of `t`'s body: the operand was copied out above.
                k::elementwise_inplace(op, unsafe { t.tensor_mut() }.data_mut(), &other);
            } else {
                // SAFETY: `o` is another tensor (`o != t`), so the shared borrow of its body
                // does not overlap this only borrow of `t`'s (I5).
                k::elementwise_inplace(op, unsafe { t.tensor_mut() }.data_mut(), o.tensor().data());
            }
        }
        _ => {
            let s = number_arg(a, 1)?;
            // SAFETY: the only borrow of the tensor's body, ended with the statement (I5).
            k::scalar_inplace(op, unsafe { t.tensor_mut() }.data_mut(), s);
        }
    }
    Ok(Value::None)
}

// ---------------------------------------------------------------- printing
