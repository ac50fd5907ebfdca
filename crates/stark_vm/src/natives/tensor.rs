//! Tensor built-ins (the registry's `Tensor` rows, SPEC §8). Every failure — a bad shape,
//! shapes that do not broadcast, an index out of range, an unknown dtype or device — is a
//! runtime error, never a panic.
//!
//! A tensor is a dtype, a shape, strides and an offset over a buffer (`TensorBody`). The
//! operations read any layout through its strides; indexing, slicing, `transpose` and
//! `reshape` of a contiguous tensor make views that share the base's buffer; the others
//! make new contiguous tensors. Mixed dtypes promote as NumPy 2 does (NEP 50,
//! `DType::promote`), an Int or Float operand acting as a Python scalar.

use super::operands::{arg, bad_operand, int_arg, NativeCx};
use crate::error::{fail, Fallible, Fault};
use rayon::prelude::*;
use stark_runtime::tensor::{
    self as k, broadcast_shapes, broadcast_strides, contiguous_strides, for_each_offset, numel,
    shape_str, zip_strided, DType, Num, Scalar,
};
use stark_runtime::tensor_pool::{capacity_for, TensorBuf};
use stark_runtime::tensor_simd as simd;
use stark_runtime::with_dtype;
use stark_runtime::{Heap, ObjKind, ObjRef, OutOfMemory, TensorBody, TensorStore, Value};
use stark_syntax::Builtin;
use std::borrow::Cow;

// ---------------------------------------------------------------- operands

pub(crate) fn tensor_arg(a: &[Value], i: usize) -> Fallible<ObjRef> {
    match arg(a, i) {
        Value::Obj(o) if o.kind() == ObjKind::Tensor => Ok(o),
        Value::None => fail("expected a Tensor, found None"),
        _ => Err(bad_operand(i, "Tensor")),
    }
}

fn as_tensor(v: Value) -> Option<ObjRef> {
    match v {
        Value::Obj(o) if o.kind() == ObjKind::Tensor => Some(o),
        _ => None,
    }
}

fn float_arg(a: &[Value], i: usize) -> Fallible<f64> {
    match arg(a, i) {
        Value::Float(x) => Ok(x),
        Value::Int(n) => Ok(n as f64),
        _ => Err(bad_operand(i, "Float")),
    }
}

fn opt_int(a: &[Value], i: usize) -> Fallible<Option<i64>> {
    match arg(a, i) {
        Value::None => Ok(None),
        Value::Int(n) => Ok(Some(n)),
        _ => Err(bad_operand(i, "Int?")),
    }
}

fn bool_arg(a: &[Value], i: usize) -> bool {
    matches!(arg(a, i), Value::Bool(true))
}

/// `dtype=` (a `String?`): `None` is `default`; an unknown name is a runtime error listing
/// the four.
fn dtype_arg(a: &[Value], i: usize, default: DType) -> Fallible<DType> {
    match arg(a, i) {
        Value::None => Ok(default),
        Value::Obj(o) if o.kind() == ObjKind::Str => parse_dtype(o.as_str()),
        _ => Err(bad_operand(i, "String?")),
    }
}

fn parse_dtype(name: &str) -> Fallible<DType> {
    DType::parse(name).ok_or_else(|| {
        Fault::msg(format!(
            "unknown dtype \"{name}\"; the dtypes are float32, float64, int64 and bool"
        ))
    })
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

fn oom(bytes: usize) -> Fault {
    OutOfMemory {
        requested: bytes as u64,
        live: 0,
        limit: None,
        quota: false,
    }
    .into()
}

/// Checks `--max-memory` (and an actor's quota) for a buffer of `bytes` *before* it is
/// allocated: the charge comes only with `alloc_tensor`, and by then a huge buffer would
/// already have been allocated and written, so the OS might kill the program first.
fn room(heap: &Heap, bytes: usize) -> Fallible<()> {
    let cap = capacity_for(bytes).ok_or_else(|| oom(bytes))?;
    heap.check_room(cap as u64)?;
    Ok(())
}

fn buffer_of<T: Num>(heap: &Heap, n: usize) -> Fallible<TensorBuf> {
    let bytes = n
        .checked_mul(std::mem::size_of::<T>())
        .ok_or_else(|| oom(usize::MAX))?;
    room(heap, bytes)?;
    TensorBuf::new(bytes).ok_or_else(|| oom(bytes))
}

pub(crate) fn new_tensor(
    cx: &mut NativeCx<'_>,
    dtype: DType,
    shape: Vec<usize>,
    buf: TensorBuf,
) -> Fallible<Value> {
    Ok(Value::Obj(
        cx.heap.alloc_tensor(TensorBody::owned(dtype, shape, buf))?,
    ))
}

/// A new tensor of `shape` from row-major `values`.
fn from_vec<T: Num>(cx: &mut NativeCx<'_>, shape: Vec<usize>, values: &[T]) -> Fallible<Value> {
    room(cx.heap, std::mem::size_of_val(values))?;
    let buf = TensorBuf::from_slice(values).ok_or_else(|| oom(std::mem::size_of_val(values)))?;
    new_tensor(cx, T::DTYPE, shape, buf)
}

/// A new tensor of `shape` whose elements `fill` writes.
fn build<T: Num>(
    cx: &mut NativeCx<'_>,
    shape: Vec<usize>,
    fill: impl FnOnce(&mut [T]),
) -> Fallible<Value> {
    let n = numel(&shape).ok_or_else(|| oom(usize::MAX))?;
    let mut buf = buffer_of::<T>(cx.heap, n)?;
    fill(buf.as_mut_slice::<T>());
    new_tensor(cx, T::DTYPE, shape, buf)
}

/// A view of `t` (or of its base, when `t` is itself a view) with another layout; it
/// holds a strong reference to the base, which keeps the buffer alive.
fn view(
    cx: &mut NativeCx<'_>,
    t: ObjRef,
    shape: Vec<usize>,
    strides: Vec<isize>,
    offset: usize,
) -> Fallible<Value> {
    let body = t.tensor();
    let root = body.base().unwrap_or(t);
    let dtype = body.dtype;
    cx.heap.incref(Value::Obj(root));
    match cx.heap.alloc_tensor(TensorBody {
        dtype,
        shape,
        strides,
        offset,
        store: TensorStore::View(root),
    }) {
        Ok(o) => Ok(Value::Obj(o)),
        Err(e) => {
            // SAFETY: the reference taken just above for the view that was not made; `t`
            // (an operand) still holds the base, so this frees nothing.
            unsafe { cx.heap.decref_obj(root) };
            Err(e.into())
        }
    }
}

/// A tensor's elements as `T`, with the layout to read them through: its own buffer when
/// the dtype is `T` (no copy), else a converted contiguous copy.
struct Src<'a, T: Clone> {
    data: Cow<'a, [T]>,
    shape: Vec<usize>,
    strides: Vec<isize>,
    offset: usize,
}

fn src_of<T: Num>(body: &TensorBody) -> Src<'_, T> {
    if body.dtype == T::DTYPE {
        return Src {
            data: Cow::Borrowed(body.raw::<T>()),
            shape: body.shape.clone(),
            strides: body.strides.clone(),
            offset: body.offset,
        };
    }
    let mut out = Vec::with_capacity(body.numel());
    with_dtype!(body.dtype, S => {
        k::gather::<S, T>(body.raw::<S>(), &body.shape, &body.strides, body.offset, &mut out)
    });
    Src {
        data: Cow::Owned(out),
        strides: contiguous_strides(&body.shape),
        shape: body.shape.clone(),
        offset: 0,
    }
}

fn src_scalar<T: Num>(s: Scalar) -> Src<'static, T> {
    Src {
        data: Cow::Owned(vec![T::from_scalar(s)]),
        shape: vec![],
        strides: vec![],
        offset: 0,
    }
}

/// A binary operand: a tensor, or an Int/Float/Bool acting as a Python scalar (NEP 50).
enum Opnd {
    T(ObjRef),
    S(Scalar),
}

fn opnd(v: Value, i: usize) -> Fallible<Opnd> {
    match v {
        Value::Obj(o) if o.kind() == ObjKind::Tensor => Ok(Opnd::T(o)),
        Value::Int(n) => Ok(Opnd::S(Scalar::I(n))),
        Value::Float(x) => Ok(Opnd::S(Scalar::F(x))),
        Value::Bool(b) => Ok(Opnd::S(Scalar::B(b))),
        Value::None => fail("expected a Tensor or a number, found None"),
        _ => Err(bad_operand(i, "Tensor or number")),
    }
}

impl Opnd {
    fn shape(&self) -> Vec<usize> {
        match self {
            Opnd::T(o) => o.tensor().shape.clone(),
            Opnd::S(_) => vec![],
        }
    }

    fn src<T: Num>(&self) -> Src<'_, T> {
        match self {
            Opnd::T(o) => src_of::<T>(o.tensor()),
            Opnd::S(s) => src_scalar::<T>(*s),
        }
    }
}

/// The dtype two operands compute in (NEP 50).
fn promote(a: &Opnd, b: &Opnd) -> DType {
    match (a, b) {
        (Opnd::T(x), Opnd::T(y)) => DType::promote(x.tensor().dtype, y.tensor().dtype),
        (Opnd::T(x), Opnd::S(s)) | (Opnd::S(s), Opnd::T(x)) => {
            let d = x.tensor().dtype;
            match s {
                Scalar::B(_) => d,
                Scalar::I(_) => DType::promote_scalar(d, false),
                Scalar::F(_) => DType::promote_scalar(d, true),
            }
        }
        (Opnd::S(x), Opnd::S(y)) => match (x, y) {
            (Scalar::F(_), _) | (_, Scalar::F(_)) => DType::F64,
            (Scalar::I(_), _) | (_, Scalar::I(_)) => DType::I64,
            _ => DType::Bool,
        },
    }
}

// ---------------------------------------------------------------- buffer reuse

/// A temporary operand a call consumed whose buffer may take the result
/// (`Native::TensorReuse`): nothing else holds it (one strong reference, no weak one, not
/// in an arena, whose objects are not counted), and it owns a contiguous buffer at offset 0.
#[derive(Clone, Copy)]
pub(crate) struct Spare {
    obj: ObjRef,
    /// Which operand it is (0: the left one or the receiver).
    operand: usize,
}

impl Spare {
    fn of(v: Value, operand: usize) -> Option<Spare> {
        let obj = as_tensor(v)?;
        let b = obj.tensor();
        let alone = obj.strong_count() == 1 && obj.weak_count() == 0 && !obj.in_arena();
        let own = matches!(b.store, TensorStore::Own(_)) && b.offset == 0 && b.is_contiguous();
        (alone && own).then_some(Spare { obj, operand })
    }

    /// Whether a result of `dtype` and `shape` fits its buffer exactly.
    fn fits(&self, dtype: DType, shape: &[usize]) -> bool {
        let b = self.obj.tensor();
        b.dtype == dtype && b.shape == shape
    }

    /// Its elements, to be overwritten with the result.
    ///
    /// # Safety
    /// No other borrow of its body is used while the slice lives (I5): the caller reads the
    /// other operand, which is never this tensor (a second holder would make its count 2).
    unsafe fn elems<'a, T: stark_runtime::tensor_pool::Elem>(self) -> &'a mut [T] {
        let n = self.obj.tensor().numel();
        // SAFETY: the caller's promise above; the body lives as long as the object, which
        // the consumed operand's reference keeps alive past the slice's use.
        let body: *mut TensorBody = unsafe { self.obj.tensor_mut() };
        // SAFETY: as above: a live body, borrowed by nothing else.
        match unsafe { &mut (*body).store } {
            TensorStore::Own(buf) => &mut buf.as_mut_slice::<T>()[..n],
            TensorStore::View(_) | TensorStore::Column(_) => &mut [],
        }
    }

    fn value(self) -> Value {
        Value::Obj(self.obj)
    }
}

/// `Native::TensorReuse`: runs `row` with operand `taken`, which this call consumed, offered
/// as a [`Spare`]. The row returns the spare itself when it wrote the result into it; any
/// other outcome (another result, an error) releases it here.
pub(crate) fn reuse(
    cx: &mut NativeCx<'_>,
    taken: usize,
    a: &[Value],
    row: impl FnOnce(&mut NativeCx<'_>, Option<Spare>) -> Fallible<Value>,
) -> Fallible<Value> {
    let v = arg(a, taken);
    let r = row(cx, Spare::of(v, taken));
    let kept = matches!((&r, v), (Ok(Value::Obj(o)), Value::Obj(t)) if o.addr() == t.addr());
    if !kept {
        // SAFETY: the consumed operand's reference (`Native::consumes`: its register gave it
        // up to this call) was not handed on to the result, so it is released here, once.
        unsafe { cx.heap.decref(v) };
    }
    r
}

// ---------------------------------------------------------------- arithmetic

/// The binary elementwise operations: the operators and `Tensor.maximum/minimum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    Max,
    Min,
}

impl Bin {
    fn symbol(self) -> &'static str {
        match self {
            Bin::Add => "+",
            Bin::Sub => "-",
            Bin::Mul => "*",
            Bin::Div => "/",
            Bin::Pow => "**",
            Bin::Lt => "<",
            Bin::Le => "<=",
            Bin::Gt => ">",
            Bin::Ge => ">=",
            Bin::Eq => "==",
            Bin::Ne => "!=",
            Bin::Max => "Tensor.maximum",
            Bin::Min => "Tensor.minimum",
        }
    }
}

/// Arithmetic on an element type: integers wrap, as NumPy's do.
/// `a` if it is NaN, else `b` if it is, else `a` when `first` (NumPy's maximum/minimum).
#[inline(always)]
fn pick<T: Arith>(a: T, b: T, first: bool) -> T {
    if a.nan() || (first && !b.nan()) {
        a
    } else {
        b
    }
}

trait Arith: Num {
    fn nan(self) -> bool {
        false
    }
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    fn pow(self, o: Self) -> Self;
}

macro_rules! float_arith {
    ($t:ty) => {
        impl Arith for $t {
            #[inline(always)]
            fn nan(self) -> bool {
                self.is_nan()
            }
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self + o
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self - o
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self * o
            }
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                self / o
            }
            #[inline(always)]
            fn pow(self, o: Self) -> Self {
                self.powf(o)
            }
        }
    };
}
float_arith!(f32);
float_arith!(f64);

impl Arith for i64 {
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        self.wrapping_sub(o)
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self.wrapping_mul(o)
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        // Never reached: `/` on integers computes in float64.
        if o == 0 {
            0
        } else {
            self.wrapping_div(o)
        }
    }
    #[inline(always)]
    fn pow(self, o: Self) -> Self {
        // Negative exponents are refused before the loop.
        self.wrapping_pow(o.clamp(0, u32::MAX as i64) as u32)
    }
}

impl Arith for u8 {
    fn add(self, o: Self) -> Self {
        self | o
    }
    fn sub(self, o: Self) -> Self {
        self ^ o
    }
    fn mul(self, o: Self) -> Self {
        self & o
    }
    fn div(self, o: Self) -> Self {
        self & o
    }
    fn pow(self, o: Self) -> Self {
        self | (o == 0) as u8
    }
}

fn broadcast_error(what: &str, l: &[usize], r: &[usize]) -> Fault {
    Fault::msg(format!(
        "shapes {} and {} cannot be broadcast together in `{what}`",
        shape_str(l),
        shape_str(r)
    ))
}

/// `a op b` elementwise with broadcasting; a tensor result (a 0-d one for two scalars).
pub(crate) fn binary(
    cx: &mut NativeCx<'_>,
    op: Bin,
    a: &[Value],
    spare: Option<Spare>,
) -> Fallible<Value> {
    let (x, y) = (opnd(arg(a, 0), 0)?, opnd(arg(a, 1), 1)?);
    binary_with(cx, op, &x, &y, spare)
}

fn binary_on(cx: &mut NativeCx<'_>, op: Bin, x: &Opnd, y: &Opnd) -> Fallible<Value> {
    binary_with(cx, op, x, y, None)
}

fn binary_with(
    cx: &mut NativeCx<'_>,
    op: Bin,
    x: &Opnd,
    y: &Opnd,
    spare: Option<Spare>,
) -> Fallible<Value> {
    let (xs, ys) = (x.shape(), y.shape());
    let shape = broadcast_shapes(&xs, &ys).ok_or_else(|| broadcast_error(op.symbol(), &xs, &ys))?;
    let mut dt = promote(x, y);
    // Arithmetic on two bools computes in int64 (NumPy's `+` would be `or`): the Int a
    // STARK user means by adding truth values.
    if dt == DType::Bool && matches!(op, Bin::Add | Bin::Sub | Bin::Mul | Bin::Pow) {
        dt = DType::I64;
    }
    // True division, as NumPy: integers divide as float64.
    if op == Bin::Div && !dt.is_float() {
        dt = DType::F64;
    }
    if op == Bin::Pow && dt == DType::I64 {
        let negative = match y {
            Opnd::S(s) => s.as_i64() < 0,
            Opnd::T(t) => src_of::<i64>(t.tensor()).data.iter().any(|&e| e < 0),
        };
        if negative {
            return fail("integers to negative integer powers are not allowed");
        }
    }
    if let Some(sp) = spare.filter(|sp| sp.fits(dt, &shape)) {
        if let Some(v) =
            with_dtype!(dt, T => zip_into::<T>(op, sp, if sp.operand == 0 { y } else { x }, &shape))
        {
            return Ok(v);
        }
    }
    with_dtype!(dt, T => zip_op::<T>(cx, op, x, y, shape))
}

/// `x op y` written into the buffer of `sp`, one of the operands (of `shape` and the
/// result's dtype `T`); `other` is the other operand. `None` for the comparisons, whose
/// results are bool tensors.
fn zip_into<T: Arith>(op: Bin, sp: Spare, other: &Opnd, shape: &[usize]) -> Option<Value> {
    let o = other.src::<T>();
    let so = broadcast_strides(&o.shape, &o.strides, shape);
    let left = sp.operand == 0;
    macro_rules! into {
        ($f:expr) => {{
            let f = $f;
            // SAFETY: `other` is not `sp` (it would hold a second reference), so the only
            // borrow of `sp`'s body while `out` lives is this one (I5).
            let out = unsafe { sp.elems::<T>() };
            if left {
                k::zip_into(shape, out, &o.data, &so, o.offset, move |a: T, b: T| {
                    f(a, b)
                });
            } else {
                k::zip_into(shape, out, &o.data, &so, o.offset, move |b: T, a: T| {
                    f(a, b)
                });
            }
        }};
    }
    match op {
        Bin::Add => into!(|a: T, b: T| a.add(b)),
        Bin::Sub => into!(|a: T, b: T| a.sub(b)),
        Bin::Mul => into!(|a: T, b: T| a.mul(b)),
        Bin::Div => into!(|a: T, b: T| a.div(b)),
        Bin::Pow => into!(|a: T, b: T| a.pow(b)),
        Bin::Max => into!(|a: T, b: T| pick(a, b, a >= b)),
        Bin::Min => into!(|a: T, b: T| pick(a, b, a <= b)),
        Bin::Lt | Bin::Le | Bin::Gt | Bin::Ge | Bin::Eq | Bin::Ne => return None,
    }
    Some(sp.value())
}

fn zip_op<T: Arith>(
    cx: &mut NativeCx<'_>,
    op: Bin,
    x: &Opnd,
    y: &Opnd,
    shape: Vec<usize>,
) -> Fallible<Value> {
    let (p, q) = (x.src::<T>(), y.src::<T>());
    let sp = broadcast_strides(&p.shape, &p.strides, &shape);
    let sq = broadcast_strides(&q.shape, &q.strides, &shape);
    let n = numel(&shape).ok_or_else(|| oom(usize::MAX))?;
    macro_rules! run {
        ($o:ty, $f:expr) => {{
            let mut buf = buffer_of::<$o>(cx.heap, n)?;
            let out = buf.as_mut_slice::<$o>();
            if n >= PAR_MIN && shape.len() >= 1 {
                k::zip_par(
                    &shape, &p.data, &sp, p.offset, &q.data, &sq, q.offset, out, $f,
                );
            } else {
                zip_strided(
                    &shape, &p.data, &sp, p.offset, &q.data, &sq, q.offset, out, $f,
                );
            }
            new_tensor(cx, <$o as Num>::DTYPE, shape, buf)
        }};
    }
    match op {
        Bin::Add => run!(T, |a: T, b: T| a.add(b)),
        Bin::Sub => run!(T, |a: T, b: T| a.sub(b)),
        Bin::Mul => run!(T, |a: T, b: T| a.mul(b)),
        Bin::Div => run!(T, |a: T, b: T| a.div(b)),
        Bin::Pow => run!(T, |a: T, b: T| a.pow(b)),
        Bin::Lt => run!(u8, |a: T, b: T| (a < b) as u8),
        Bin::Le => run!(u8, |a: T, b: T| (a <= b) as u8),
        Bin::Gt => run!(u8, |a: T, b: T| (a > b) as u8),
        Bin::Ge => run!(u8, |a: T, b: T| (a >= b) as u8),
        Bin::Eq => run!(u8, |a: T, b: T| (a == b) as u8),
        Bin::Ne => run!(u8, |a: T, b: T| (a != b) as u8),
        // NaN propagates, as NumPy's maximum/minimum.
        Bin::Max => run!(T, |a: T, b: T| pick(a, b, a >= b)),
        Bin::Min => run!(T, |a: T, b: T| pick(a, b, a <= b)),
    }
}

/// Below this many elements a loop runs on the calling thread.
const PAR_MIN: usize = 1 << 18;

/// `t.add_(x)` and the other in-place operators: `t op x` written back into `t`'s elements
/// (through a view, into its base's buffer), converted to `t`'s dtype.
pub(crate) fn in_place(cx: &mut NativeCx<'_>, op: Bin, a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    own_buffer(cx, t)?;
    let x = Opnd::T(t);
    let y = opnd(arg(a, 1), 1)?;
    let ts = t.tensor().shape.clone();
    if let Some(s) = broadcast_shapes(&ts, &y.shape()) {
        if s != ts {
            return Err(broadcast_error(op.symbol(), &ts, &y.shape()));
        }
    }
    let r = binary_on(cx, op, &x, &y)?;
    let result = as_tensor(r).ok_or_else(|| bad_operand(0, "Tensor"))?;
    // NumPy's in-place rule ("same_kind" casting): the result may not lose its kind on the
    // way back (a float result into an int64 tensor, an int64 one into a bool tensor).
    let (from, to) = (result.tensor().dtype, t.tensor().dtype);
    let kind = |d: DType| match d {
        DType::Bool => 0,
        DType::I64 => 1,
        DType::F32 | DType::F64 => 2,
    };
    if kind(from) > kind(to) {
        release_temp(cx, r);
        return fail(format!(
            "cannot cast the {} result of `{}` back to dtype {} in place; use astype first",
            from.name(),
            op.symbol(),
            to.name()
        ));
    }
    let done = assign_region(t, &Opnd::T(result));
    release_temp(cx, r);
    done.map(|()| Value::None)
}

/// Releases a tensor a native made for its own use.
fn release_temp(cx: &mut NativeCx<'_>, v: Value) {
    // SAFETY: `v` is a new tensor this native allocated and handed to no one: its one
    // reference is given up here; tensors run no destructors.
    unsafe { cx.heap.decref(v) };
}

/// Writes `src` (broadcast to `t`'s shape, converted to `t`'s dtype) into `t`'s elements,
/// in its base's buffer when `t` is a view. The values are read out first, so `src` may
/// share the buffer (`t[1:3] = t[0:2]`).
/// Gives a tensor lent a dataset column's buffer (`col.to_tensor()`), or a view of one, a
/// buffer of its own before it is written: the column's Arrow buffer is immutable and may
/// be shared (copy on write, as pandas' `to_numpy()` under copy-on-write).
fn own_buffer(cx: &mut NativeCx<'_>, t: ObjRef) -> Fallible<()> {
    let root = t.tensor().base().unwrap_or(t);
    let TensorStore::Column(col) = root.tensor().store else {
        return Ok(());
    };
    let rb = root.tensor();
    room(cx.heap, rb.nbytes())?;
    let Some(buf) = rb.contiguous_copy() else {
        return Err(oom(rb.nbytes()));
    };
    cx.heap.resize(root, buf.capacity_bytes() as i64)?;
    // SAFETY: the only borrow of the root's body: `rb` is not used again, no STARK code
    // runs, and the root (a lent tensor is 1-D and contiguous at offset 0, like its copy)
    // keeps its shape (I5).
    unsafe { root.tensor_mut().store = TensorStore::Own(buf) };
    // SAFETY: the root held one reference to the column, which its new store replaced:
    // given up once.
    unsafe { cx.heap.decref_obj(col) };
    Ok(())
}

fn assign_region(t: ObjRef, src: &Opnd) -> Fallible<()> {
    let body = t.tensor();
    let (dtype, shape, strides, offset) = (
        body.dtype,
        body.shape.clone(),
        body.strides.clone(),
        body.offset,
    );
    let ss = src.shape();
    let fits = broadcast_shapes(&shape, &ss).is_some_and(|s| s == shape);
    if !fits {
        return fail(format!(
            "cannot assign a value of shape {} to a region of shape {}",
            shape_str(&ss),
            shape_str(&shape)
        ));
    }
    let root = body.base().unwrap_or(t);
    with_dtype!(dtype, T => {
        let s = src.src::<T>();
        let sst = broadcast_strides(&s.shape, &s.strides, &shape);
        let mut values: Vec<T> = Vec::with_capacity(numel(&shape).unwrap_or(0));
        for_each_offset(&shape, &sst, s.offset, |o| values.push(s.data[o]));
        drop(s);
        // SAFETY: the only borrow of the base's body: every read above (of `t`, of `src`,
        // which may be the base or share it) has ended, and no STARK code runs (I5).
        let base = unsafe { root.tensor_mut() };
        if let TensorStore::Own(buf) = &mut base.store {
            let dst = buf.as_mut_slice::<T>();
            let mut i = 0;
            for_each_offset(&shape, &strides, offset, |o| {
                dst[o] = values[i];
                i += 1;
            });
        }
    });
    Ok(())
}

/// `t.fill_(v)`.
pub(crate) fn fill(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    own_buffer(cx, t)?;
    let v = opnd(arg(a, 1), 1)?;
    assign_region(t, &v)?;
    Ok(Value::None)
}

/// `t.pin(device)`.
pub(crate) fn pin(a: &[Value]) -> Fallible<Value> {
    tensor_arg(a, 0)?;
    check_device(arg(a, 1))?;
    Ok(Value::None)
}

// ---------------------------------------------------------------- unary

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unary {
    Exp,
    Log,
    Sqrt,
    Abs,
    Sin,
    Cos,
    Tanh,
    Sigmoid,
    Relu,
    Floor,
    Round,
    Neg,
}

/// `t.exp()` and the other elementwise functions. The transcendental ones give float64 for
/// an int64 or bool tensor, as NumPy; `abs`, `relu`, `floor` and `round` keep the dtype
/// (an integer one unchanged by `floor`/`round`).
pub(crate) fn unary(
    cx: &mut NativeCx<'_>,
    op: Unary,
    a: &[Value],
    spare: Option<Spare>,
) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let body = t.tensor();
    let keeps = matches!(
        op,
        Unary::Abs | Unary::Relu | Unary::Floor | Unary::Round | Unary::Neg
    );
    let dt = match body.dtype {
        DType::F32 => DType::F32,
        DType::I64 | DType::Bool if keeps => DType::I64,
        _ => DType::F64,
    };
    let shape = body.shape.clone();
    let spare = spare.filter(|sp| sp.fits(dt, &shape));
    // float32 `exp`: the vectorised kernel (`tensor_simd`), same results as the f64 path.
    if op == Unary::Exp && body.dtype == DType::F32 {
        if let Some(sp) = spare {
            // SAFETY: the operand is `sp` itself and `body` is not read again (I5).
            simd::exp_f32_into(None, unsafe { sp.elems::<f32>() });
            return Ok(sp.value());
        }
        if let Some(c) = body.contiguous::<f32>() {
            let mut buf = buffer_of::<f32>(cx.heap, c.len())?;
            simd::exp_f32_into(Some(c), &mut buf.as_mut_slice::<f32>()[..c.len()]);
            return new_tensor(cx, DType::F32, shape, buf);
        }
    }
    macro_rules! map {
        ($t:ty, $f:expr) => {{
            if let Some(sp) = spare {
                // SAFETY: the operand is `sp` itself, and `body` is not read again on this
                // path: this is the only borrow of its body (I5).
                k::map_in_place(unsafe { sp.elems::<$t>() }, $f);
                return Ok(sp.value());
            }
            let s = src_of::<$t>(body);
            let n = numel(&shape).unwrap_or(0);
            let mut buf = buffer_of::<$t>(cx.heap, n)?;
            let out = buf.as_mut_slice::<$t>();
            let f = $f;
            if let (Some(c), true) = (s.data.get(s.offset..s.offset + n), is_contig(&s)) {
                k::map_par(c, out, f);
            } else {
                let mut i = 0;
                for_each_offset(&s.shape, &s.strides, s.offset, |o| {
                    out[i] = f(s.data[o]);
                    i += 1;
                });
            }
            drop(s);
            new_tensor(cx, <$t as Num>::DTYPE, shape, buf)
        }};
    }
    // The transcendental functions are evaluated in f64 and rounded once to the dtype, so a
    // float32 result is the correctly rounded value (NumPy's SIMD float32 kernels may be
    // one unit in the last place off it; docs/decisions.md).
    macro_rules! float_ops {
        ($t:ty) => {
            match op {
                // (float32 when contiguous: `simd::exp_f32_into` above, the same values.)
                Unary::Exp => map!($t, |x: $t| (x as f64).exp() as $t),
                Unary::Log => map!($t, |x: $t| (x as f64).ln() as $t),
                Unary::Sqrt => map!($t, |x: $t| x.sqrt()),
                Unary::Abs => map!($t, |x: $t| x.abs()),
                Unary::Sin => map!($t, |x: $t| (x as f64).sin() as $t),
                Unary::Cos => map!($t, |x: $t| (x as f64).cos() as $t),
                Unary::Tanh => map!($t, |x: $t| (x as f64).tanh() as $t),
                Unary::Sigmoid => map!($t, |x: $t| (1.0 / (1.0 + (-(x as f64)).exp())) as $t),
                // +0.0 for negative values and -0.0 (SPEC §8); NaN stays NaN.
                Unary::Relu => map!($t, |x: $t| if x > 0.0 {
                    x
                } else if x.is_nan() {
                    x
                } else {
                    0.0
                }),
                Unary::Floor => map!($t, |x: $t| x.floor()),
                // Half to even, as NumPy's round.
                Unary::Round => map!($t, |x: $t| x.round_ties_even()),
                Unary::Neg => map!($t, |x: $t| -x),
            }
        };
    }
    match dt {
        DType::F32 => float_ops!(f32),
        DType::F64 => float_ops!(f64),
        _ => match op {
            Unary::Abs => map!(i64, |x: i64| x.wrapping_abs()),
            Unary::Relu => map!(i64, |x: i64| x.max(0)),
            Unary::Neg => map!(i64, |x: i64| x.wrapping_neg()),
            _ => map!(i64, |x: i64| x),
        },
    }
}

fn is_contig<T: Clone>(s: &Src<'_, T>) -> bool {
    let want = contiguous_strides(&s.shape);
    s.shape
        .iter()
        .zip(s.strides.iter().zip(&want))
        .all(|(&d, (a, b))| d == 1 || a == b)
}

/// `t.clip(lo, hi)`: `Tensor.minimum(Tensor.maximum(t, lo), hi)`, in the promoted dtype.
pub(crate) fn clip(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let t = Opnd::T(tensor_arg(a, 0)?);
    let lo = opnd(arg(a, 1), 1)?;
    let hi = opnd(arg(a, 2), 2)?;
    let m = binary_on(cx, Bin::Max, &t, &lo)?;
    let r = binary_on(
        cx,
        Bin::Min,
        &Opnd::T(as_tensor(m).ok_or_else(|| bad_operand(0, "Tensor"))?),
        &hi,
    );
    release_temp(cx, m);
    r
}

/// `Tensor.where(cond, a, b)`: `a` where `cond` is true, else `b`, all three broadcast.
pub(crate) fn where_(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let c = tensor_arg(a, 0)?;
    let (x, y) = (opnd(arg(a, 1), 1)?, opnd(arg(a, 2), 2)?);
    let cs = c.tensor().shape.clone();
    let xy = broadcast_shapes(&x.shape(), &y.shape())
        .ok_or_else(|| broadcast_error("Tensor.where", &x.shape(), &y.shape()))?;
    let shape =
        broadcast_shapes(&cs, &xy).ok_or_else(|| broadcast_error("Tensor.where", &cs, &xy))?;
    let dt = promote(&x, &y);
    let cond = src_of::<u8>(c.tensor());
    let sc = broadcast_strides(&cond.shape, &cond.strides, &shape);
    let mut mask = Vec::with_capacity(numel(&shape).unwrap_or(0));
    for_each_offset(&shape, &sc, cond.offset, |o| mask.push(cond.data[o] != 0));
    drop(cond);
    with_dtype!(dt, T => {
        let (p, q) = (x.src::<T>(), y.src::<T>());
        let sp = broadcast_strides(&p.shape, &p.strides, &shape);
        let sq = broadcast_strides(&q.shape, &q.strides, &shape);
        let mut first = Vec::with_capacity(mask.len());
        for_each_offset(&shape, &sp, p.offset, |o| first.push(p.data[o]));
        let mut i = 0;
        for_each_offset(&shape, &sq, q.offset, |o| {
            if !mask[i] {
                first[i] = q.data[o];
            }
            i += 1;
        });
        drop((p, q));
        from_vec::<T>(cx, shape, &first)
    })
}

// ---------------------------------------------------------------- construction

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
        Builtin::TensorZeros => filled_shape(cx, shape, rest, Scalar::I(0)),
        Builtin::TensorOnes => filled_shape(cx, shape, rest, Scalar::I(1)),
        Builtin::TensorRand => rand_shape(cx, shape, rest, false),
        _ => Err(Fault::msg(format!(
            "internal error: {} takes no inline shape",
            op.ir_name()
        ))),
    }
}

/// A `List<Int>` shape, checked: no negative dimension, no overflowing element count.
fn shape_arg(a: &[Value], i: usize) -> Fallible<Vec<usize>> {
    checked_shape(dims_arg(a, i)?)
}

fn dims_arg(a: &[Value], i: usize) -> Fallible<Vec<i64>> {
    let list = match arg(a, i) {
        Value::Obj(o) if o.kind() == ObjKind::List => o,
        Value::None => return fail("expected a shape, found None"),
        _ => return Err(bad_operand(i, "List<Int>")),
    };
    list.list()
        .iter()
        .map(|v| match v {
            Value::Int(d) => Ok(*d),
            _ => Err(bad_operand(i, "List<Int>")),
        })
        .collect()
}

fn show_dims(dims: &[i64]) -> String {
    format!(
        "[{}]",
        dims.iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn checked_shape(dims: Vec<i64>) -> Fallible<Vec<usize>> {
    if dims.iter().any(|&d| d < 0) {
        return fail(format!(
            "invalid shape {}: dimensions must not be negative",
            show_dims(&dims)
        ));
    }
    let shape: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    match numel(&shape) {
        Some(n) if n <= (isize::MAX as usize) / 8 => Ok(shape),
        _ => fail(format!(
            "invalid shape {}: too many elements",
            show_dims(&dims)
        )),
    }
}

/// `Tensor.zeros/ones(shape, device=None, dtype=None)`.
pub(crate) fn filled(cx: &mut NativeCx<'_>, a: &[Value], value: Scalar) -> Fallible<Value> {
    let shape = shape_arg(a, 0)?;
    filled_shape(cx, shape, a.get(1..).unwrap_or(&[]), value)
}

/// `rest`: the operands after the shape (device, dtype).
fn filled_shape(
    cx: &mut NativeCx<'_>,
    shape: Vec<usize>,
    rest: &[Value],
    value: Scalar,
) -> Fallible<Value> {
    check_device(arg(rest, 0))?;
    let dt = dtype_arg(rest, 1, DType::F32)?;
    with_dtype!(dt, T => build::<T>(cx, shape, |o| o.fill(T::from_scalar(value))))
}

/// `Tensor.full(shape, value, dtype=None, device=None)`: float32 by default, as SPEC §8
/// says of every constructor but `Tensor(list)` and `arange`.
pub(crate) fn full(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let shape = shape_arg(a, 0)?;
    let v = match opnd(arg(a, 1), 1)? {
        Opnd::S(s) => s,
        Opnd::T(_) => return Err(bad_operand(1, "number")),
    };
    let dt = dtype_arg(a, 2, DType::F32)?;
    check_device(arg(a, 3))?;
    with_dtype!(dt, T => build::<T>(cx, shape, |o| o.fill(T::from_scalar(v))))
}

/// `Tensor.range(start, end, device=None, dtype=None)`: start, start + 1, … below end.
pub(crate) fn range(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let (start, end) = (float_arg(a, 0)?, float_arg(a, 1)?);
    check_device(arg(a, 2))?;
    let dt = dtype_arg(a, 3, DType::F32)?;
    arange_of(cx, "Tensor.range", start, end, 1.0, dt)
}

fn arange_of(
    cx: &mut NativeCx<'_>,
    what: &str,
    start: f64,
    end: f64,
    step: f64,
    dt: DType,
) -> Fallible<Value> {
    if !start.is_finite() || !end.is_finite() || !step.is_finite() {
        return fail(format!(
            "{what} needs finite bounds, found {start}, {end} and step {step}"
        ));
    }
    if step == 0.0 {
        return fail(format!("{what}: the step must not be 0"));
    }
    let count = ((end - start) / step).ceil().max(0.0);
    if count > (1u64 << 34) as f64 {
        return fail(format!("{what}({start}, {end}) has too many elements"));
    }
    let n = count as usize;
    with_dtype!(dt, T => build::<T>(cx, vec![n], |o| {
        for (i, x) in o.iter_mut().enumerate() {
            *x = T::from_scalar(Scalar::F(start + i as f64 * step));
        }
    }))
}

/// `Tensor.arange(start, stop=None, step=None, dtype=None)`: int64 when every bound is an
/// Int, else float32 (SPEC §8); one bound is `arange(0, stop)`.
pub(crate) fn arange(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let ints = [0, 1, 2]
        .iter()
        .all(|&i| matches!(arg(a, i), Value::Int(_) | Value::None));
    let dt = dtype_arg(a, 3, if ints { DType::I64 } else { DType::F32 })?;
    let (start, stop) = match arg(a, 1) {
        Value::None => (0.0, float_arg(a, 0)?),
        _ => (float_arg(a, 0)?, float_arg(a, 1)?),
    };
    let step = match arg(a, 2) {
        Value::None => 1.0,
        _ => float_arg(a, 2)?,
    };
    if ints && dt == DType::I64 {
        // Exact for every Int, not through f64.
        let (s, e, st) = match arg(a, 1) {
            Value::None => (0, int_arg(a, 0)?, 1),
            _ => (int_arg(a, 0)?, int_arg(a, 1)?, opt_int(a, 2)?.unwrap_or(1)),
        };
        if st == 0 {
            return fail("Tensor.arange: the step must not be 0");
        }
        let span = (e as i128 - s as i128 + st as i128 - st.signum() as i128) / st as i128;
        let n = span.max(0);
        if n > 1 << 34 {
            return fail(format!("Tensor.arange({s}, {e}) has too many elements"));
        }
        return build::<i64>(cx, vec![n as usize], |o| {
            for (i, x) in o.iter_mut().enumerate() {
                *x = s.wrapping_add((i as i64).wrapping_mul(st));
            }
        });
    }
    arange_of(cx, "Tensor.arange", start, stop, step, dt)
}

/// `Tensor.linspace(start, stop, num, dtype=None)`: `num` evenly spaced values, both ends
/// included, computed as NumPy does (`start + i * step`, the last one `stop` exactly).
pub(crate) fn linspace(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let (start, stop) = (float_arg(a, 0)?, float_arg(a, 1)?);
    let num = int_arg(a, 2)?;
    if num < 0 {
        return fail(format!(
            "Tensor.linspace: the number of samples must not be negative, found {num}"
        ));
    }
    let dt = dtype_arg(a, 3, DType::F32)?;
    let n = num as usize;
    let div = if n > 1 { (n - 1) as f64 } else { 1.0 };
    let step = (stop - start) / div;
    with_dtype!(dt, T => build::<T>(cx, vec![n], |o| {
        for (i, x) in o.iter_mut().enumerate() {
            let v = if n > 1 && i == n - 1 { stop } else { start + i as f64 * step };
            *x = T::from_scalar(Scalar::F(v));
        }
    }))
}

/// `Tensor.eye(n, dtype=None)`.
pub(crate) fn eye(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let n = int_arg(a, 0)?;
    let shape = checked_shape(vec![n, n])?;
    let dt = dtype_arg(a, 1, DType::F32)?;
    let n = shape[0];
    with_dtype!(dt, T => build::<T>(cx, shape, |o| {
        o.fill(T::from_scalar(Scalar::I(0)));
        for i in 0..n {
            o[i * n + i] = T::from_scalar(Scalar::I(1));
        }
    }))
}

pub(crate) fn rand(cx: &mut NativeCx<'_>, a: &[Value], normal: bool) -> Fallible<Value> {
    let shape = shape_arg(a, 0)?;
    rand_shape(cx, shape, a.get(1..).unwrap_or(&[]), normal)
}

/// `rest`: the operands after the shape: seed, device, dtype (`rand`) or seed, dtype,
/// device (`randn`).
fn rand_shape(
    cx: &mut NativeCx<'_>,
    shape: Vec<usize>,
    rest: &[Value],
    normal: bool,
) -> Fallible<Value> {
    let a = rest;
    let seed = match arg(a, 0) {
        Value::Int(s) => s as u64,
        // No seed: a different stream each run.
        _ => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    };
    let (device, dtype) = if normal { (2, 1) } else { (1, 2) };
    check_device(arg(a, device))?;
    let dt = dtype_arg(a, dtype, DType::F32)?;
    let n = numel(&shape).unwrap_or(0);
    if normal {
        let mut g = k::SplitMix64(seed);
        let mut values = Vec::with_capacity(n);
        // Box–Muller on two uniforms in (0, 1].
        while values.len() < n {
            let u1 = 1.0 - (g.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            let u2 = (g.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            let r = (-2.0 * u1.ln()).sqrt();
            let th = std::f64::consts::TAU * u2;
            values.push(r * th.cos());
            values.push(r * th.sin());
        }
        values.truncate(n);
        return with_dtype!(dt, T => build::<T>(cx, shape, |o| {
            for (x, &v) in o.iter_mut().zip(&values) {
                *x = T::from_scalar(Scalar::F(v));
            }
        }));
    }
    let mut buf = buffer_of::<f32>(cx.heap, n)?;
    k::fill_rand(buf.as_mut_slice::<f32>(), seed);
    if dt == DType::F32 {
        return new_tensor(cx, DType::F32, shape, buf);
    }
    let values = buf.as_slice::<f32>().to_vec();
    drop(buf);
    with_dtype!(dt, T => build::<T>(cx, shape, |o| {
        for (x, &v) in o.iter_mut().zip(&values) {
            *x = T::from_scalar(Scalar::F(v as f64));
        }
    }))
}

/// `Tensor.from_list(values, shape=None, device=None, dtype=None)`: a flat list.
pub(crate) fn from_list(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let list = match arg(a, 0) {
        Value::Obj(o) if o.kind() == ObjKind::List => o,
        _ => return Err(bad_operand(0, "List")),
    };
    let values: Vec<Scalar> = list
        .list()
        .iter()
        .map(|v| match v {
            Value::Float(f) => Ok(Scalar::F(*f)),
            Value::Int(i) => Ok(Scalar::I(*i)),
            Value::Bool(b) => Ok(Scalar::B(*b)),
            _ => Err(bad_operand(0, "List<Float>")),
        })
        .collect::<Fallible<_>>()?;
    let shape = match arg(a, 1) {
        Value::None => vec![values.len()],
        _ => shape_arg(a, 1)?,
    };
    check_device(arg(a, 2))?;
    let dt = dtype_arg(a, 3, DType::F32)?;
    let n = numel(&shape).unwrap_or(0);
    if n != values.len() {
        return fail(format!(
            "Tensor.from_list: {} values do not fill shape {} ({n} elements)",
            values.len(),
            shape_str(&shape)
        ));
    }
    with_dtype!(dt, T => build::<T>(cx, shape, |o| {
        for (x, &v) in o.iter_mut().zip(&values) {
            *x = T::from_scalar(v);
        }
    }))
}

/// `Tensor(values, dtype=None)` from nested lists: the shape is the nesting's; Ints give
/// int64, Floats (or a mix) float32, Bools bool. A ragged list is a runtime error naming
/// the first row whose length (or depth) differs.
pub(crate) fn new(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let top = arg(a, 0);
    if let Some(t) = as_tensor(top) {
        // `Tensor(t)`: a new tensor of t's elements, as NumPy's `np.array(a)` copies, in
        // `dtype` when given.
        let dt = dtype_arg(a, 1, t.tensor().dtype)?;
        return convert(cx, t, dt);
    }
    let mut shape = Vec::new();
    // The shape is the first element's at each depth.
    let mut probe = top;
    while let Value::Obj(o) = probe {
        if o.kind() != ObjKind::List {
            // The checker takes any heap value here (the nesting is not in the type).
            let at = match (shape.len(), o.kind()) {
                (0, _) => String::new(),
                (d, ObjKind::Tensor) => format!(" at depth {d} (to stack tensors: Tensor.stack)"),
                (d, _) => format!(" at depth {d}"),
            };
            return fail(format!(
                "`Tensor(…)` takes nested lists of numbers or a tensor, found a {}{at}",
                o.kind().name()
            ));
        }
        let items = o.list();
        shape.push(items.len());
        match items.first() {
            Some(&v) => probe = v,
            None => break,
        }
    }
    let mut values = Vec::new();
    let mut path = Vec::new();
    flatten(top, &shape, &mut path, &mut values)?;
    let (mut ints, mut floats, mut bools) = (false, false, false);
    for v in &values {
        match v {
            Scalar::I(_) => ints = true,
            Scalar::F(_) => floats = true,
            Scalar::B(_) => bools = true,
        }
    }
    let inferred = if floats {
        DType::F32
    } else if ints {
        DType::I64
    } else if bools {
        DType::Bool
    } else {
        DType::F32
    };
    let dt = dtype_arg(a, 1, inferred)?;
    with_dtype!(dt, T => build::<T>(cx, shape, |o| {
        for (x, &v) in o.iter_mut().zip(&values) {
            *x = T::from_scalar(v);
        }
    }))
}

fn flatten(
    v: Value,
    shape: &[usize],
    path: &mut Vec<usize>,
    out: &mut Vec<Scalar>,
) -> Fallible<()> {
    let depth = path.len();
    let where_ = |path: &[usize]| {
        if path.is_empty() {
            "the list".to_string()
        } else {
            format!(
                "row {}",
                path.iter().map(|i| format!("[{i}]")).collect::<String>()
            )
        }
    };
    match v {
        Value::Obj(o) if o.kind() == ObjKind::List => {
            let items = o.list();
            if depth >= shape.len() || items.len() != shape[depth] {
                let want = if depth >= shape.len() {
                    "a number".to_string()
                } else {
                    format!("{} elements", shape[depth])
                };
                return fail(format!(
                    "ragged nested list: {} has {} elements where {want} were expected (shape so far {})",
                    where_(path),
                    items.len(),
                    shape_str(&shape[..depth.min(shape.len())])
                ));
            }
            for (i, &item) in items.iter().enumerate() {
                path.push(i);
                flatten(item, shape, path, out)?;
                path.pop();
            }
            Ok(())
        }
        _ if depth < shape.len() => fail(format!(
            "ragged nested list: {} is a number where a list of {} elements was expected",
            where_(path),
            shape[depth]
        )),
        Value::Int(i) => {
            out.push(Scalar::I(i));
            Ok(())
        }
        Value::Float(f) => {
            out.push(Scalar::F(f));
            Ok(())
        }
        Value::Bool(b) => {
            out.push(Scalar::B(b));
            Ok(())
        }
        _ => Err(bad_operand(0, "nested List of numbers")),
    }
}

// ---------------------------------------------------------------- queries

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

/// `len(t)`: the first axis' length, as NumPy's; a 0-d tensor has none.
pub(crate) fn len(a: &[Value]) -> Fallible<Value> {
    match tensor_arg(a, 0)?.tensor().shape.first() {
        Some(&d) => Ok(Value::Int(d as i64)),
        None => fail("len() of a 0-d tensor"),
    }
}

pub(crate) fn size(a: &[Value]) -> Fallible<Value> {
    Ok(Value::Int(tensor_arg(a, 0)?.tensor().numel() as i64))
}

pub(crate) fn dtype(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let name = tensor_arg(a, 0)?.tensor().dtype.name();
    Ok(Value::Obj(cx.heap.alloc_str(name)?))
}

/// `t.astype(dtype)`: a new contiguous tensor, converted as NumPy's `astype` (floats to
/// int64 truncate toward zero; anything nonzero is `true`).
pub(crate) fn astype(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let name = match arg(a, 1) {
        Value::Obj(o) if o.kind() == ObjKind::Str => o.as_str().to_string(),
        _ => return Err(bad_operand(1, "String")),
    };
    let dt = parse_dtype(&name)?;
    convert(cx, t, dt)
}

fn convert(cx: &mut NativeCx<'_>, t: ObjRef, dt: DType) -> Fallible<Value> {
    let body = t.tensor();
    let shape = body.shape.clone();
    with_dtype!(dt, T => {
        let s = src_of::<T>(body);
        let mut values = Vec::with_capacity(body.numel());
        for_each_offset(&s.shape, &s.strides, s.offset, |o| values.push(s.data[o]));
        drop(s);
        from_vec::<T>(cx, shape, &values)
    })
}

/// `t.to_list() -> List<Float>` (every dtype), `t.to_int_list() -> List<Int>` (int64 and
/// bool tensors; a float one is a runtime error, its elements are not Ints).
pub(crate) fn to_list(cx: &mut NativeCx<'_>, a: &[Value], ints: bool) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let body = t.tensor();
    if ints && body.dtype.is_float() {
        return fail(format!(
            "to_int_list() of a {} tensor; convert it with astype(\"int64\") first",
            body.dtype.name()
        ));
    }
    let items = body
        .scalars()
        .into_iter()
        .map(|s| {
            if ints {
                Value::Int(s.as_i64())
            } else {
                Value::Float(s.as_f64())
            }
        })
        .collect();
    Ok(Value::Obj(cx.heap.alloc_list(items)?))
}

/// A one-element tensor as a Float (`item`), or as an Int (`int_item`, int64 and bool
/// tensors only): what a tensor converts to where a number is expected (SPEC §8).
/// `bool(t)`: the truth of a one-element tensor (NaN is true, as in NumPy).
pub(crate) fn truth(a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let body = t.tensor();
    if body.numel() != 1 {
        return fail(format!(
            "the truth value of a tensor of shape {} is ambiguous; use .any() or .all()",
            shape_str(&body.shape)
        ));
    }
    Ok(Value::Bool(body.scalars()[0].as_bool()))
}

/// `int(t)`: a one-element tensor's value as an Int, a float element truncated toward zero
/// (NaN or an infinity is `int`'s runtime error), as NumPy's `int(a)`.
pub(crate) fn dunder_int(a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    if !t.tensor().dtype.is_float() {
        return item(a, true);
    }
    match item_checked(t, "an Int")? {
        Scalar::I(i) => Ok(Value::Int(i)),
        s => super::core::float_to_int(&[Value::Float(s.as_f64())]),
    }
}

/// The one element of `t`, or the runtime error naming what it was to convert to.
fn item_checked(t: ObjRef, to: &str) -> Fallible<Scalar> {
    let body = t.tensor();
    if body.numel() != 1 {
        return fail(format!(
            "only a one-element tensor converts to {to}; this one has shape {}",
            shape_str(&body.shape)
        ));
    }
    Ok(body.scalars()[0])
}

pub(crate) fn item(a: &[Value], int: bool) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let s = item_checked(t, if int { "an Int" } else { "a Float" })?;
    scalar_value(s, t.tensor().dtype, int)
}

fn scalar_value(s: Scalar, dt: DType, int: bool) -> Fallible<Value> {
    if int {
        if dt.is_float() {
            return fail(format!(
                "a {} tensor element is not an Int; convert it with int(…) or astype(\"int64\")",
                dt.name()
            ));
        }
        return Ok(Value::Int(s.as_i64()));
    }
    Ok(Value::Float(s.as_f64()))
}

// ---------------------------------------------------------------- indexing

/// One index of `t[…]`, as lowering lays it out: four operands `(tag, a, b, c)`: tag 0 an
/// Int `a`; tag 1 a slice `a:b:c` (each an Int or None); tag 2 a bool mask tensor `a`.
enum Ix {
    At(i64),
    Slice(Option<i64>, Option<i64>, Option<i64>),
    Mask(ObjRef),
}

fn indices(a: &[Value], first: usize) -> Fallible<Vec<Ix>> {
    let mut out = Vec::new();
    let mut i = first;
    while i < a.len() {
        let tag = int_arg(a, i)?;
        out.push(match tag {
            0 => Ix::At(int_arg(a, i + 1)?),
            1 => Ix::Slice(opt_int(a, i + 1)?, opt_int(a, i + 2)?, opt_int(a, i + 3)?),
            _ => Ix::Mask(tensor_arg(a, i + 1)?),
        });
        i += 4;
    }
    Ok(out)
}

fn show_index(ix: &[Ix]) -> String {
    let parts: Vec<String> = ix
        .iter()
        .map(|i| match i {
            Ix::At(n) => n.to_string(),
            Ix::Slice(a, b, c) => {
                let f = |x: &Option<i64>| x.map(|v| v.to_string()).unwrap_or_default();
                match c {
                    Some(_) => format!("{}:{}:{}", f(a), f(b), f(c)),
                    None => format!("{}:{}", f(a), f(b)),
                }
            }
            Ix::Mask(_) => "mask".to_string(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// The layout `t[ix]` selects (Ints and slices only): shape, strides and offset.
fn select(body: &TensorBody, ix: &[Ix]) -> Fallible<(Vec<usize>, Vec<isize>, usize)> {
    if ix.len() > body.shape.len() {
        return fail(format!(
            "too many indices for a tensor of shape {}: {} given",
            shape_str(&body.shape),
            ix.len()
        ));
    }
    let mut shape = Vec::new();
    let mut strides = Vec::new();
    let mut off = body.offset as isize;
    for (axis, i) in ix.iter().enumerate() {
        let (d, s) = (body.shape[axis] as i64, body.strides[axis]);
        match *i {
            Ix::At(n) => {
                let j = if n < 0 { n.saturating_add(d) } else { n };
                if j < 0 || j >= d {
                    return fail(format!(
                        "index {n} is out of bounds for axis {axis} with size {d} (index {} of a tensor of shape {})",
                        show_index(ix),
                        shape_str(&body.shape)
                    ));
                }
                off += j as isize * s;
            }
            Ix::Slice(lo, hi, step) => {
                let step = step.unwrap_or(1);
                if step == 0 {
                    return fail("slice step cannot be zero");
                }
                let (start, len) = slice_range(d, lo, hi, step);
                off += start as isize * s;
                shape.push(len as usize);
                strides.push(s * step as isize);
            }
            Ix::Mask(_) => return fail("a boolean mask must be the only index"),
        }
    }
    shape.extend_from_slice(&body.shape[ix.len()..]);
    strides.extend_from_slice(&body.strides[ix.len()..]);
    Ok((shape, strides, off.max(0) as usize))
}

/// Python's slice of a length-`d` axis: the first index and the count (in i128, so no
/// bound or step, however extreme, overflows).
fn slice_range(d: i64, lo: Option<i64>, hi: Option<i64>, step: i64) -> (i64, i64) {
    let d = d as i128;
    let step = step as i128;
    let norm = |x: i64| {
        let x = x as i128;
        if x < 0 {
            x + d
        } else {
            x
        }
    };
    let (start, n) = if step > 0 {
        let a = lo.map(norm).unwrap_or(0).clamp(0, d);
        let b = hi.map(norm).unwrap_or(d).clamp(0, d);
        let n = if b > a { (b - a + step - 1) / step } else { 0 };
        (a, n)
    } else {
        let a = lo.map(norm).unwrap_or(d - 1).clamp(-1, d - 1);
        let b = hi.map(norm).unwrap_or(-1).clamp(-1, d - 1);
        let n = if a > b {
            (a - b - step - 1) / (-step)
        } else {
            0
        };
        (a, n)
    };
    (start as i64, n as i64)
}

/// The mask's selected positions in row-major order, checked against `t`'s shape.
/// The mask covers the leading `mask.ndim` axes (NumPy's boolean index: `x[labels == k]`
/// selects rows); also returns the shape of the result.
fn mask_positions(body: &TensorBody, m: ObjRef) -> Fallible<(Vec<usize>, Vec<usize>)> {
    let mb = m.tensor();
    if mb.dtype != DType::Bool {
        return fail(format!(
            "a tensor index must be a bool mask, found dtype {}",
            mb.dtype.name()
        ));
    }
    let k = mb.shape.len();
    if k == 0 || k > body.shape.len() || mb.shape[..] != body.shape[..k] {
        return fail(format!(
            "boolean mask of shape {} does not match the tensor's shape {}",
            shape_str(&mb.shape),
            shape_str(&body.shape)
        ));
    }
    let rest = &body.shape[k..];
    let inner: usize = rest.iter().product();
    let keep: Vec<bool> = mb.scalars().iter().map(|s| s.as_bool()).collect();
    let chosen = keep.iter().filter(|&&k| k).count();
    let mut offs = Vec::with_capacity(chosen * inner);
    if body.is_contiguous() {
        // Row-major without gaps: each selected row is one run of offsets (k-means'
        // `x[labels == g]`), not a per-element walk.
        for (r, _) in keep.iter().enumerate().filter(|(_, &k)| k) {
            let start = body.offset + r * inner;
            offs.extend(start..start + inner);
        }
    } else {
        let mut e = 0usize;
        for_each_offset(&body.shape, &body.strides, body.offset, |o| {
            if keep[e / inner.max(1)] {
                offs.push(o);
            }
            e += 1;
        });
    }
    let mut shape = vec![chosen];
    shape.extend_from_slice(rest);
    Ok((offs, shape))
}

/// `x[m]` of a contiguous tensor by a contiguous bool mask over its leading axes (k-means'
/// `x[labels == g]`): each selected row copied as one run into the new buffer. `None` for
/// the other cases (and for a mask that does not fit, which `mask_positions` reports).
fn mask_rows(cx: &mut NativeCx<'_>, body: &TensorBody, m: ObjRef) -> Fallible<Option<Value>> {
    let mb = m.tensor();
    let k = mb.shape.len();
    let fits = mb.dtype == DType::Bool
        && k > 0
        && k <= body.shape.len()
        && mb.shape[..] == body.shape[..k]
        && body.is_contiguous();
    let Some(keep) = mb.contiguous::<u8>().filter(|_| fits) else {
        return Ok(None);
    };
    let rest = &body.shape[k..];
    let inner: usize = rest.iter().product();
    let chosen = k::count_true(keep) as usize;
    let mut shape = vec![chosen];
    shape.extend_from_slice(rest);
    with_dtype!(body.dtype, T => {
        let Some(src) = body.contiguous::<T>() else {
            return Ok(None);
        };
        let mut buf = buffer_of::<T>(cx.heap, chosen * inner)?;
        let out = &mut buf.as_mut_slice::<T>()[..chosen * inner];
        let rows = keep.iter().enumerate().filter(|(_, &b)| b != 0);
        for (dst, (r, _)) in out.chunks_exact_mut(inner.max(1)).zip(rows) {
            dst.copy_from_slice(&src[r * inner..(r + 1) * inner]);
        }
        new_tensor(cx, T::DTYPE, shape, buf).map(Some)
    })
}

/// `t[…]`: a view (Ints and slices; a 0-d view when every axis has an Int), or a 1-D copy
/// of the selected elements for a bool mask.
pub(crate) fn get(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let ix = indices(a, 1)?;
    let body = t.tensor();
    if let [Ix::Mask(m)] = ix[..] {
        if let Some(v) = mask_rows(cx, body, m)? {
            return Ok(v);
        }
        let (offs, shape) = mask_positions(body, m)?;
        return with_dtype!(body.dtype, T => {
            let src = body.raw::<T>();
            let values: Vec<T> = offs.iter().map(|&o| src[o]).collect();
            from_vec::<T>(cx, shape, &values)
        });
    }
    let (shape, strides, offset) = select(body, &ix)?;
    view(cx, t, shape, strides, offset)
}

/// `t[i, j, …]` used as a number (Int indices only): one element, read in place, as a Float
/// or (`int`) an Int.
pub(crate) fn get_scalar(a: &[Value], int: bool) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let body = t.tensor();
    let ix: Vec<Ix> = (1..a.len())
        .map(|i| int_arg(a, i).map(Ix::At))
        .collect::<Fallible<_>>()?;
    let (shape, _, offset) = select(body, &ix)?;
    if !shape.is_empty() && numel(&shape) != Some(1) {
        return fail(format!(
            "index {} of a tensor of shape {} gives shape {}, not one number",
            show_index(&ix),
            shape_str(&body.shape),
            shape_str(&shape)
        ));
    }
    let s = with_dtype!(body.dtype, T => body.raw::<T>()[offset].to_scalar());
    scalar_value(s, body.dtype, int)
}

/// `t[…] = v`: writes `v` (a number or a tensor broadcast to the region) into the
/// elements selected, through the view into the base's buffer. Operands `(t, v, indices)`.
pub(crate) fn set(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    own_buffer(cx, t)?;
    let v = opnd(arg(a, 1), 1)?;
    let ix = indices(a, 2)?;
    if let [Ix::Mask(m)] = ix[..] {
        let body = t.tensor();
        let (offs, shape) = mask_positions(body, m)?;
        let inner: usize = shape[1..].iter().product();
        let root = body.base().unwrap_or(t);
        let dtype = body.dtype;
        return with_dtype!(dtype, T => {
            let values: Vec<T> = match &v {
                Opnd::S(s) => vec![T::from_scalar(*s); offs.len()],
                Opnd::T(o) => {
                    let vb = o.tensor();
                    let n = vb.numel();
                    if n != offs.len() && n != 1 && n != inner {
                        return fail(format!(
                            "cannot assign {} values to the {} elements a mask selects",
                            vb.numel(),
                            offs.len()
                        ));
                    }
                    let s = src_of::<T>(vb);
                    let mut vals = Vec::new();
                    for_each_offset(&s.shape, &s.strides, s.offset, |o| vals.push(s.data[o]));
                    if vals.len() == offs.len() {
                        vals
                    } else {
                        // One value, or one row repeated for every row the mask selects.
                        (0..offs.len()).map(|i| vals[i % vals.len()]).collect()
                    }
                }
            };
            // SAFETY: the only borrow of the base's body: the mask, the value and `t` were
            // read above and those borrows have ended (I5).
            let base = unsafe { root.tensor_mut() };
            if let TensorStore::Own(buf) = &mut base.store {
                let dst = buf.as_mut_slice::<T>();
                for (&o, &x) in offs.iter().zip(&values) {
                    dst[o] = x;
                }
            }
            Ok(Value::None)
        });
    }
    let (shape, strides, offset) = select(t.tensor(), &ix)?;
    let r = view(cx, t, shape, strides, offset)?;
    let done = match as_tensor(r) {
        Some(rt) => assign_region(rt, &v),
        None => Err(bad_operand(0, "Tensor")),
    };
    release_temp(cx, r);
    done.map(|()| Value::None)
}

// ---------------------------------------------------------------- shape

/// `t.reshape(shape)` with at most one -1: a view of a contiguous tensor, else a copy.
pub(crate) fn reshape(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let dims = dims_arg(a, 1)?;
    let body = t.tensor();
    let n = body.numel();
    let unknown = dims.iter().filter(|&&d| d == -1).count();
    let bad = || {
        Fault::msg(format!(
            "cannot reshape a tensor of shape {} ({n} elements) to {}",
            shape_str(&body.shape),
            show_dims(&dims)
        ))
    };
    if unknown > 1 || dims.iter().any(|&d| d < -1) {
        return Err(bad());
    }
    let known: i64 = dims
        .iter()
        .filter(|&&d| d != -1)
        .try_fold(1i64, |acc, &d| acc.checked_mul(d))
        .ok_or_else(bad)?;
    let shape: Vec<usize> = if unknown == 1 {
        if known == 0 || n as i64 % known != 0 {
            return Err(bad());
        }
        dims.iter()
            .map(|&d| {
                if d == -1 {
                    (n as i64 / known) as usize
                } else {
                    d as usize
                }
            })
            .collect()
    } else {
        checked_shape(dims.clone())?
    };
    if numel(&shape) != Some(n) {
        return Err(bad());
    }
    if body.is_contiguous() {
        let strides = contiguous_strides(&shape);
        return view(cx, t, shape, strides, body.offset);
    }
    let buf = body.contiguous_copy().ok_or_else(|| oom(body.nbytes()))?;
    new_tensor(cx, body.dtype, shape, buf)
}

/// `t.flatten()`: a 1-D copy, as NumPy's.
pub(crate) fn flatten_(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let body = t.tensor();
    room(cx.heap, body.nbytes())?;
    let buf = body.contiguous_copy().ok_or_else(|| oom(body.nbytes()))?;
    new_tensor(cx, body.dtype, vec![body.numel()], buf)
}

/// An axis argument, negative from the end, checked against `rank`.
fn axis_of(axis: i64, rank: usize) -> Fallible<usize> {
    let r = rank as i64;
    let a = if axis < 0 {
        axis.saturating_add(r)
    } else {
        axis
    };
    if a < 0 || a >= r {
        return fail(format!(
            "axis {axis} is out of bounds for a tensor of dimension {rank}"
        ));
    }
    Ok(a as usize)
}

/// `t.transpose()` (the axes reversed) and `t.transpose([axes])`, and `t.T`: views.
pub(crate) fn transpose(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let body = t.tensor();
    let rank = body.shape.len();
    let perm: Vec<usize> = match arg(a, 1) {
        Value::None => (0..rank).rev().collect(),
        _ => {
            let dims = dims_arg(a, 1)?;
            if dims.len() != rank {
                return fail(format!(
                    "transpose: axes {} do not match a tensor of dimension {rank}",
                    show_dims(&dims)
                ));
            }
            let mut seen = vec![false; rank];
            let mut p = Vec::with_capacity(rank);
            for &d in &dims {
                let ax = axis_of(d, rank)?;
                if std::mem::replace(&mut seen[ax], true) {
                    return fail(format!("transpose: repeated axis in {}", show_dims(&dims)));
                }
                p.push(ax);
            }
            p
        }
    };
    let shape = perm.iter().map(|&i| body.shape[i]).collect();
    let strides = perm.iter().map(|&i| body.strides[i]).collect();
    let offset = body.offset;
    view(cx, t, shape, strides, offset)
}

/// `t.squeeze(axis=None)`: drops the length-1 axes (or the one named, which must be 1).
pub(crate) fn squeeze(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let body = t.tensor();
    let drop_axis: Option<usize> = match opt_int(a, 1)? {
        None => None,
        Some(ax) => {
            let ax = axis_of(ax, body.shape.len())?;
            if body.shape[ax] != 1 {
                return fail(format!(
                    "cannot squeeze axis {ax} of a tensor of shape {}: its length is not 1",
                    shape_str(&body.shape)
                ));
            }
            Some(ax)
        }
    };
    let (mut shape, mut strides) = (Vec::new(), Vec::new());
    for (i, (&d, &s)) in body.shape.iter().zip(&body.strides).enumerate() {
        let gone = match drop_axis {
            Some(ax) => ax == i,
            None => d == 1,
        };
        if !gone {
            shape.push(d);
            strides.push(s);
        }
    }
    let offset = body.offset;
    view(cx, t, shape, strides, offset)
}

/// `t.unsqueeze(axis)`: a new length-1 axis at `axis` (of the result's rank).
pub(crate) fn unsqueeze(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let body = t.tensor();
    let ax = axis_of(int_arg(a, 1)?, body.shape.len() + 1)?;
    let (mut shape, mut strides) = (body.shape.clone(), body.strides.clone());
    shape.insert(ax, 1);
    strides.insert(ax, 0);
    let offset = body.offset;
    view(cx, t, shape, strides, offset)
}

fn tensor_list(a: &[Value], i: usize) -> Fallible<Vec<ObjRef>> {
    match arg(a, i) {
        Value::Obj(o) if o.kind() == ObjKind::List => o
            .list()
            .iter()
            .map(|&v| as_tensor(v).ok_or_else(|| bad_operand(i, "List<Tensor>")))
            .collect(),
        _ => Err(bad_operand(i, "List<Tensor>")),
    }
}

/// `Tensor.concat(tensors, axis=0)` and `Tensor.stack(tensors, axis=0)`.
pub(crate) fn join(cx: &mut NativeCx<'_>, a: &[Value], stack: bool) -> Fallible<Value> {
    let ts = tensor_list(a, 0)?;
    let what = if stack {
        "Tensor.stack"
    } else {
        "Tensor.concat"
    };
    let Some(first) = ts.first() else {
        return fail(format!("{what} needs at least one tensor"));
    };
    let s0 = first.tensor().shape.clone();
    let rank = if stack { s0.len() + 1 } else { s0.len() };
    if rank == 0 {
        return fail(format!(
            "{what}: zero-dimensional tensors cannot be concatenated"
        ));
    }
    let ax = axis_of(int_arg(a, 1)?, rank)?;
    let dt = ts
        .iter()
        .map(|t| t.tensor().dtype)
        .reduce(DType::promote)
        .unwrap_or(DType::F32);
    // Each part as a tensor of rank `rank` (stack: a length-1 axis inserted).
    let mut parts = Vec::with_capacity(ts.len());
    for t in &ts {
        let mut s = t.tensor().shape.clone();
        let ok = if stack {
            s == s0
        } else {
            s.len() == s0.len()
                && s.iter()
                    .zip(&s0)
                    .enumerate()
                    .all(|(i, (x, y))| i == ax || x == y)
        };
        if !ok {
            return fail(format!(
                "{what}: all tensors must have the same shape{}, found {} and {}",
                if stack { "" } else { " except along the axis" },
                shape_str(&s0),
                shape_str(&s)
            ));
        }
        if stack {
            s.insert(ax, 1);
        }
        parts.push(s);
    }
    let mut shape = parts[0].clone();
    shape[ax] = parts.iter().map(|s| s[ax]).sum();
    let outer: usize = shape[..ax].iter().product();
    with_dtype!(dt, T => {
        let srcs: Vec<Vec<T>> = ts.iter().map(|t| {
            let s = src_of::<T>(t.tensor());
            let mut v = Vec::new();
            for_each_offset(&s.shape, &s.strides, s.offset, |o| v.push(s.data[o]));
            v
        }).collect();
        let chunk: Vec<usize> = parts.iter().map(|s| s[ax..].iter().product()).collect();
        build::<T>(cx, shape, |o| {
            let mut w = 0;
            for r in 0..outer {
                for (v, &c) in srcs.iter().zip(&chunk) {
                    o[w..w + c].copy_from_slice(&v[r * c..(r + 1) * c]);
                    w += c;
                }
            }
        })
    })
}

// ---------------------------------------------------------------- reductions

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Red {
    Sum,
    Mean,
    Max,
    Min,
    Prod,
    Std,
    Var,
    Argmax,
    Argmin,
    Any,
    All,
}

impl Red {
    fn name(self) -> &'static str {
        match self {
            Red::Sum => "sum",
            Red::Mean => "mean",
            Red::Max => "max",
            Red::Min => "min",
            Red::Prod => "prod",
            Red::Std => "std",
            Red::Var => "var",
            Red::Argmax => "argmax",
            Red::Argmin => "argmin",
            Red::Any => "any",
            Red::All => "all",
        }
    }

    /// The result's dtype for an operand of dtype `d`.
    fn out(self, d: DType) -> DType {
        match self {
            Red::Sum | Red::Prod => match d {
                DType::Bool | DType::I64 => DType::I64,
                f => f,
            },
            Red::Mean | Red::Std | Red::Var => match d {
                DType::F32 => DType::F32,
                _ => DType::F64,
            },
            Red::Max | Red::Min => d,
            Red::Argmax | Red::Argmin => DType::I64,
            Red::Any | Red::All => DType::Bool,
        }
    }
}

/// Reduces one line of values (read as f64, or i64 for integer sums and products).
/// Whether `x` beats the best so far `y` for `max`/`argmax` (else `min`/`argmin`): the
/// first NaN wins and stays, as NumPy's; otherwise strictly greater (less), so ties keep
/// the first.
#[inline(always)]
fn better(op: Red, x: Scalar, y: Scalar) -> bool {
    let max = matches!(op, Red::Max | Red::Argmax);
    match (x, y) {
        (Scalar::I(a), Scalar::I(b)) => {
            if max {
                a > b
            } else {
                a < b
            }
        }
        _ => {
            let (a, b) = (x.as_f64(), y.as_f64());
            if b.is_nan() {
                false
            } else if a.is_nan() {
                true
            } else if max {
                a > b
            } else {
                a < b
            }
        }
    }
}

/// `max`/`min`/`argmax`/`argmin` along axis `ax` of a contiguous tensor seen as `[outer,
/// len, inner]`: each result's line is walked in place, element by element (no scalar
/// list per line). `None` for the other reductions, layouts, and an empty axis (the
/// general path reports it).
fn extreme_axis_fast(
    cx: &mut NativeCx<'_>,
    op: Red,
    body: &TensorBody,
    ax: usize,
    keep: bool,
) -> Fallible<Option<Value>> {
    if !matches!(op, Red::Max | Red::Min | Red::Argmax | Red::Argmin) || !body.is_contiguous() {
        return Ok(None);
    }
    let outer: usize = body.shape[..ax].iter().product();
    let len = body.shape[ax];
    let inner: usize = body.shape[ax + 1..].iter().product();
    if len == 0 {
        return Ok(None);
    }
    let mut shape = body.shape.clone();
    if keep {
        shape[ax] = 1;
    } else {
        shape.remove(ax);
    }
    with_dtype!(body.dtype, T => {
        let Some(src) = body.contiguous::<T>() else {
            return Ok(None);
        };
        let mut best: Vec<usize> = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            for i in 0..inner {
                let line = &src[o * len * inner + i..];
                let (mut b, mut bv) = (0, line[0].to_scalar());
                for j in 1..len {
                    let x = line[j * inner].to_scalar();
                    if better(op, x, bv) {
                        (b, bv) = (j, x);
                    }
                }
                best.push(b);
            }
        }
        if matches!(op, Red::Argmax | Red::Argmin) {
            let idx: Vec<i64> = best.iter().map(|&b| b as i64).collect();
            return from_vec::<i64>(cx, shape, &idx).map(Some);
        }
        let vals: Vec<T> = best
            .iter()
            .enumerate()
            .map(|(p, &b)| src[(p / inner) * len * inner + p % inner + b * inner])
            .collect();
        from_vec::<T>(cx, shape, &vals).map(Some)
    })
}

fn reduce_line(op: Red, d: DType, line: &[Scalar]) -> Fallible<Scalar> {
    let n = line.len();
    let empty = || {
        fail(format!(
            "zero-size tensor to reduction operation {} which has no identity",
            op.name()
        ))
    };
    let f = |s: &Scalar| s.as_f64();
    Ok(match op {
        Red::Sum if !d.is_float() => {
            Scalar::I(line.iter().fold(0i64, |a, s| a.wrapping_add(s.as_i64())))
        }
        Red::Prod if !d.is_float() => {
            Scalar::I(line.iter().fold(1i64, |a, s| a.wrapping_mul(s.as_i64())))
        }
        Red::Sum => Scalar::F(line.iter().map(f).sum()),
        Red::Prod => Scalar::F(line.iter().map(f).product()),
        Red::Mean => Scalar::F(line.iter().map(f).sum::<f64>() / n as f64),
        Red::Var | Red::Std => {
            let m = line.iter().map(f).sum::<f64>() / n as f64;
            let v = line.iter().map(|s| (f(s) - m) * (f(s) - m)).sum::<f64>() / n as f64;
            Scalar::F(if op == Red::Std { v.sqrt() } else { v })
        }
        Red::Max | Red::Min | Red::Argmax | Red::Argmin => {
            if n == 0 {
                return empty();
            }
            let mut best = 0;
            for i in 1..n {
                if better(op, line[i], line[best]) {
                    best = i;
                }
            }
            match op {
                Red::Argmax | Red::Argmin => Scalar::I(best as i64),
                _ => line[best],
            }
        }
        Red::Any => Scalar::B(line.iter().any(|s| s.as_bool())),
        Red::All => Scalar::B(line.iter().all(|s| s.as_bool())),
    })
}

/// `t.sum(axis=None, keepdims=false)` and the other reductions. Without `axis` (and
/// without `keepdims`) the result is a number: a Float (`any`/`all` a Bool,
/// `argmax`/`argmin` an Int), of the value NumPy's result has (a float32 sum is rounded to
/// float32). With `axis` it is a tensor of the reduced shape.
pub(crate) fn reduce(cx: &mut NativeCx<'_>, op: Red, a: &[Value]) -> Fallible<Value> {
    let t = tensor_arg(a, 0)?;
    let axis = opt_int(a, 1)?;
    let keep = bool_arg(a, 2);
    // With `keepdims` given (even false) the checker typed the result a Tensor.
    let tensor_result = axis.is_some() || !matches!(arg(a, 2), Value::None);
    let body = t.tensor();
    let d = body.dtype;
    let od = op.out(d);
    // Fast path: the whole of a contiguous float32 tensor.
    if !tensor_result && d == DType::F32 && matches!(op, Red::Sum | Red::Mean) {
        if let Some(c) = body.contiguous::<f32>() {
            let s = k::sum(c);
            let v = if op == Red::Sum {
                s
            } else if c.is_empty() {
                f64::NAN
            } else {
                s / c.len() as f64
            };
            return Ok(Value::Float(v as f32 as f64));
        }
    }
    let Some(ax) = axis else {
        if !tensor_result {
            if let Some(v) = reduce_all_fast(op, body) {
                return Ok(v);
            }
        }
        let line = body.scalars();
        let r = reduce_line(op, d, &line)?;
        let r = round_to(r, od);
        if tensor_result {
            let shape = if keep {
                vec![1; body.shape.len()]
            } else {
                vec![]
            };
            return with_dtype!(od, T => from_vec::<T>(cx, shape, &[T::from_scalar(r)]));
        }
        return Ok(match op {
            Red::Any | Red::All => Value::Bool(r.as_bool()),
            Red::Argmax | Red::Argmin => Value::Int(r.as_i64()),
            _ => Value::Float(r.as_f64()),
        });
    };
    let ax = axis_of(ax, body.shape.len())?;
    if let Some(v) = reduce_axis_fast(cx, op, body, ax, keep)? {
        return Ok(v);
    }
    if let Some(v) = extreme_axis_fast(cx, op, body, ax, keep)? {
        return Ok(v);
    }
    let len = body.shape[ax];
    let stride = body.strides[ax];
    let mut rest_shape = body.shape.clone();
    rest_shape.remove(ax);
    let mut rest_strides = body.strides.clone();
    rest_strides.remove(ax);
    let mut results = Vec::with_capacity(numel(&rest_shape).unwrap_or(0));
    let mut err = None;
    with_dtype!(d, T => {
        let src = body.raw::<T>();
        let mut line = Vec::with_capacity(len);
        for_each_offset(&rest_shape, &rest_strides, body.offset, |o| {
            if err.is_some() {
                return;
            }
            line.clear();
            for i in 0..len {
                line.push(src[(o as isize + i as isize * stride) as usize].to_scalar());
            }
            match reduce_line(op, d, &line) {
                Ok(r) => results.push(round_to(r, od)),
                Err(e) => err = Some(e),
            }
        });
    });
    if let Some(e) = err {
        return Err(e);
    }
    let mut shape = rest_shape;
    if keep {
        shape.insert(ax, 1);
    }
    with_dtype!(od, T => {
        let values: Vec<T> = results.iter().map(|&s| T::from_scalar(s)).collect();
        from_vec::<T>(cx, shape, &values)
    })
}

/// `sum`, `mean` and `any`/`all` of every element of a contiguous tensor, without making a
/// value per element: f64 block sums for floats (rounded to float32 for float32, as
/// `reduce_line`), exact i64 sums for int64 and bool. `None` for the other cases.
fn reduce_all_fast(op: Red, body: &TensorBody) -> Option<Value> {
    if !matches!(op, Red::Sum | Red::Mean | Red::Any | Red::All) {
        return None;
    }
    let n = body.numel();
    let total: Scalar = match body.dtype {
        DType::F32 => Scalar::F(k::sum(body.contiguous::<f32>()?)),
        DType::F64 => Scalar::F(body.contiguous::<f64>()?.iter().sum()),
        DType::I64 => Scalar::I(
            body.contiguous::<i64>()?
                .iter()
                .fold(0i64, |a, &x| a.wrapping_add(x)),
        ),
        DType::Bool => Scalar::I(k::count_true(body.contiguous::<u8>()?)),
    };
    let v = match op {
        Red::Any => Value::Bool(total.as_f64() != 0.0 || nonzero_any(body)),
        Red::All => return None,
        Red::Sum => Value::Float(round_to(total, op.out(body.dtype)).as_f64()),
        _ => {
            let m = Scalar::F(total.as_f64() / n as f64);
            Value::Float(round_to(m, op.out(body.dtype)).as_f64())
        }
    };
    Some(v)
}

/// Whether any element is non-zero (a float sum may cancel to zero: `[1.0, -1.0]`).
fn nonzero_any(body: &TensorBody) -> bool {
    with_dtype!(body.dtype, T => body
        .contiguous::<T>()
        .is_some_and(|c| c.iter().any(|&x| x.to_scalar().as_bool())))
}

/// `sum`/`mean` along one axis of a contiguous float tensor, as `[outer, len, inner]`: each
/// row of the axis is added into an f64 accumulator row, a loop the compiler vectorises
/// and that walks the buffer in order whichever the axis. `None` for the other cases.
fn reduce_axis_fast(
    cx: &mut NativeCx<'_>,
    op: Red,
    body: &TensorBody,
    ax: usize,
    keep: bool,
) -> Fallible<Option<Value>> {
    if !matches!(op, Red::Sum | Red::Mean) || !body.dtype.is_float() || !body.is_contiguous() {
        return Ok(None);
    }
    let outer: usize = body.shape[..ax].iter().product();
    let len = body.shape[ax];
    let inner: usize = body.shape[ax + 1..].iter().product();
    let mut shape = body.shape.clone();
    if keep {
        shape[ax] = 1;
    } else {
        shape.remove(ax);
    }
    let mut acc = vec![0f64; outer * inner];
    with_dtype!(body.dtype, T => {
        let Some(x) = body.contiguous::<T>() else {
            return Ok(None);
        };
        if inner == 1 {
            // Along the last axis: each output is one contiguous row's sum.
            for (o, a) in acc.iter_mut().enumerate() {
                let row = &x[o * len..(o + 1) * len];
                *a = match T::DTYPE {
                    // SAFETY: T is f32 (its DTYPE says so; `Num` is sealed to the four
                    // element types), so this is the same slice at its own type.
                    DType::F32 => k::sum(unsafe {
                        std::slice::from_raw_parts(row.as_ptr().cast::<f32>(), row.len())
                    }),
                    _ => row.iter().map(|&v| v.to_scalar().as_f64()).sum(),
                };
            }
        }
        for o in 0..outer * (inner != 1) as usize {
            let dst = &mut acc[o * inner..(o + 1) * inner];
            for k in 0..len {
                let row = &x[(o * len + k) * inner..(o * len + k + 1) * inner];
                dst.iter_mut().zip(row).for_each(|(d, &v)| *d += v.to_scalar().as_f64());
            }
        }
    });
    if op == Red::Mean {
        let n = len as f64;
        acc.iter_mut().for_each(|v| *v /= n);
    }
    let v = with_dtype!(body.dtype, T => {
        let values: Vec<T> = acc.iter().map(|&v| T::from_scalar(Scalar::F(v))).collect();
        from_vec::<T>(cx, shape, &values)
    })?;
    Ok(Some(v))
}

/// A float result rounded to float32 where that is the result's dtype.
fn round_to(s: Scalar, d: DType) -> Scalar {
    match (s, d) {
        (Scalar::F(x), DType::F32) => Scalar::F(x as f32 as f64),
        (s, _) => s,
    }
}

// ---------------------------------------------------------------- matmul

/// `a @ b` with NumPy's matmul rules: 1-D operands are promoted to a matrix and the added
/// axis removed after; more than two axes are stacks of matrices, broadcast.
pub(crate) fn matmul(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let (l, r) = (tensor_arg(a, 0)?, tensor_arg(a, 1)?);
    let (lb, rb) = (l.tensor(), r.tensor());
    let (ls, rs) = (lb.shape.clone(), rb.shape.clone());
    if ls.is_empty() || rs.is_empty() {
        return fail(format!(
            "`@` needs tensors with at least one axis, found shapes {} and {}",
            shape_str(&ls),
            shape_str(&rs)
        ));
    }
    let lm: Vec<usize> = if ls.len() == 1 {
        vec![1, ls[0]]
    } else {
        ls.clone()
    };
    let rm: Vec<usize> = if rs.len() == 1 {
        vec![rs[0], 1]
    } else {
        rs.clone()
    };
    let (m, kk) = (lm[lm.len() - 2], lm[lm.len() - 1]);
    let (k2, n) = (rm[rm.len() - 2], rm[rm.len() - 1]);
    if kk != k2 {
        return fail(format!(
            "shape mismatch in `@`: {} and {} (inner dimensions {kk} and {k2} differ)",
            shape_str(&ls),
            shape_str(&rs)
        ));
    }
    let lbatch = &lm[..lm.len() - 2];
    let rbatch = &rm[..rm.len() - 2];
    let batch = broadcast_shapes(lbatch, rbatch).ok_or_else(|| broadcast_error("@", &ls, &rs))?;
    let nb = numel(&batch).unwrap_or(0);
    let mut shape = batch.clone();
    if ls.len() > 1 {
        shape.push(m);
    }
    if rs.len() > 1 {
        shape.push(n);
    }
    let dt = DType::promote(lb.dtype, rb.dtype);
    let dt = if dt == DType::Bool { DType::I64 } else { dt };
    nb.checked_mul(m)
        .and_then(|x| x.checked_mul(n))
        .ok_or_else(|| oom(usize::MAX))?;
    if ls.len() <= 2 && rs.len() <= 2 && lb.dtype == dt && rb.dtype == dt {
        let done = match dt {
            DType::F32 => mm_in_place::<f32>(cx, lb, rb, &shape, [m, kk, n])?,
            DType::F64 => mm_in_place::<f64>(cx, lb, rb, &shape, [m, kk, n])?,
            _ => None,
        };
        if let Some(v) = done {
            return Ok(v);
        }
    }
    with_dtype!(dt, T => {
        let (x, y) = (row_major::<T>(lb), row_major::<T>(rb));
        // Batch offsets of each operand (broadcast over `batch`).
        let lbs = broadcast_strides(lbatch, &contiguous_strides(lbatch), &batch);
        let rbs = broadcast_strides(rbatch, &contiguous_strides(rbatch), &batch);
        let mut loffs = Vec::with_capacity(nb);
        for_each_offset(&batch, &lbs, 0, |o| loffs.push(o * m * kk));
        let mut roffs = Vec::with_capacity(nb);
        for_each_offset(&batch, &rbs, 0, |o| roffs.push(o * kk * n));
        build::<T>(cx, shape, |out| {
            let one = |(dst, (&lo, &ro)): (&mut [T], (&usize, &usize))| {
                mm::<T>(dst, &x[lo..lo + m * kk], &y[ro..ro + kk * n], m, kk, n)
            };
            // A batch of products: one per task, each on its thread (as many small
            // products parallelise better side by side than each split across threads).
            if nb > 1 && m * n > 0 && nb * m * n * kk >= 64 * 64 * 64 {
                out.par_chunks_mut(m * n)
                    .zip(loffs.par_iter().zip(roffs.par_iter()))
                    .for_each(one);
            } else if m * n > 0 {
                out.chunks_mut(m * n).zip(loffs.iter().zip(&roffs)).for_each(one);
            }
        })
    })
}

/// `l @ r` of 1-D or 2-D float operands of the result's dtype, read in place through
/// their strides (`x.T @ err` multiplies the transposed view without gathering it). A 1-D
/// left operand is a row, a 1-D right one a column. `None` when gemm cannot read them so
/// (a negative stride).
fn mm_in_place<F: Num + k::GemmFloat>(
    cx: &mut NativeCx<'_>,
    lb: &TensorBody,
    rb: &TensorBody,
    shape: &[usize],
    [m, kk, n]: [usize; 3],
) -> Fallible<Option<Value>> {
    fn mat<F: Num>(b: &TensorBody, left: bool) -> k::Mat<'_, F> {
        let (rs, cs) = match (b.shape.len(), left) {
            (2, _) => (b.strides[0], b.strides[1]),
            (_, true) => (0, b.strides[0]),
            (_, false) => (b.strides[0], 0),
        };
        k::Mat {
            data: b.raw::<F>(),
            offset: b.offset,
            rs,
            cs,
        }
    }
    let mut buf = buffer_of::<F>(cx.heap, m * n)?;
    let out = &mut buf.as_mut_slice::<F>()[..m * n];
    if !k::matmul_strided(out, mat(lb, true), mat(rb, false), m, kk, n) {
        return Ok(None);
    }
    new_tensor(cx, F::DTYPE, shape.to_vec(), buf).map(Some)
}

/// A tensor's elements in row-major order as `T`: read in place when they already are
/// (k-means' and logistic regression's `x`, every iteration), gathered otherwise.
fn row_major<T: Num>(b: &TensorBody) -> Cow<'_, [T]> {
    if b.dtype == T::DTYPE {
        if let Some(s) = b.contiguous::<T>() {
            return Cow::Borrowed(s);
        }
    }
    let s = src_of::<T>(b);
    let mut v = Vec::with_capacity(b.numel());
    for_each_offset(&s.shape, &s.strides, s.offset, |o| v.push(s.data[o]));
    Cow::Owned(v)
}

/// `mm` through the `gemm` crate, for an element type `T` that is the float type `F`.
fn gemm_as<T: Num, F: k::GemmFloat>(
    out: &mut [T],
    a: &[T],
    b: &[T],
    m: usize,
    kk: usize,
    n: usize,
) {
    assert_eq!(std::mem::size_of::<T>(), std::mem::size_of::<F>());
    // SAFETY: the caller passes `F` = T's own type (f32 for F32, f64 for F64; `Num` is
    // sealed to the four element types and the size is checked above), so these are the
    // same slices reinterpreted at their own type.
    let (o, x, y) = unsafe {
        (
            std::slice::from_raw_parts_mut(out.as_mut_ptr() as *mut F, out.len()),
            std::slice::from_raw_parts(a.as_ptr() as *const F, a.len()),
            std::slice::from_raw_parts(b.as_ptr() as *const F, b.len()),
        )
    };
    k::matmul(o, x, y, m, kk, n);
}

/// One `m×k @ k×n` product, row-major: float32 and float64 through the `gemm` crate, the
/// others by a plain loop in wrapping i64.
fn mm<T: Num>(out: &mut [T], a: &[T], b: &[T], m: usize, kk: usize, n: usize) {
    match T::DTYPE {
        DType::F32 => return gemm_as::<T, f32>(out, a, b, m, kk, n),
        DType::F64 => return gemm_as::<T, f64>(out, a, b, m, kk, n),
        _ => {}
    }
    for i in 0..m {
        for j in 0..n {
            let v = match T::DTYPE {
                DType::I64 => {
                    let mut acc = 0i64;
                    for p in 0..kk {
                        acc = acc.wrapping_add(
                            a[i * kk + p]
                                .to_scalar()
                                .as_i64()
                                .wrapping_mul(b[p * n + j].to_scalar().as_i64()),
                        );
                    }
                    Scalar::I(acc)
                }
                _ => {
                    let mut acc = 0f64;
                    for p in 0..kk {
                        acc +=
                            a[i * kk + p].to_scalar().as_f64() * b[p * n + j].to_scalar().as_f64();
                    }
                    Scalar::F(acc)
                }
            };
            out[i * n + j] = T::from_scalar(v);
        }
    }
}
