//! Built-in operations (`Instr::CallNative`). Operands arrive as a slice of the caller's
//! registers; those `Native::consumes` names are taken over (the VM clears their registers
//! afterwards), the rest are views. Results are owned.
//!
//! `Memory.collect` is not here: it runs destructors, so the VM handles it (`release.rs`).

pub(crate) mod core;
pub(crate) mod dataset;
pub(crate) mod list;
pub(crate) mod map;
pub(crate) mod math;
pub(crate) mod memory;
pub(crate) mod numeric;
pub(crate) mod stream;
pub(crate) mod string;
pub(crate) mod tensor;
pub(crate) mod tuple;

use crate::error::{fail, Fallible, Fault};
use crate::output::Output;
use stark_bytecode::{Module, Native};
use stark_runtime::tensor::ElemOp;
use stark_runtime::{Heap, MapKey, MapKeyRef, ObjKind, ObjRef, Value};

/// What a native may touch.
pub(crate) struct NativeCx<'a> {
    pub heap: &'a mut Heap,
    pub module: &'a Module,
    pub out: &'a mut Output,
    pub args: &'a [String],
    /// The immortal argument list behind `ArgsView` (allocated on first use).
    pub argv: &'a mut Option<ObjRef>,
}

pub(crate) fn call(cx: &mut NativeCx<'_>, native: Native, a: &[Value]) -> Fallible<Value> {
    match native {
        Native::Print => core::print(cx, a),
        Native::ToStr => core::to_str(cx, a),
        Native::Format => core::format(cx, a),
        Native::PrintFormat => core::print_format(cx, a),
        Native::ParseInt => core::parse_int(a),
        Native::FloatToInt => core::float_to_int(a),
        Native::ParseFloat => core::parse_float(a),
        Native::Assert => core::assert(a),
        Native::Args => core::args(cx),
        Native::ArgsView => core::args_view(cx),
        Native::Exit => core::exit(cx, a),
        Native::Input => core::input(cx, a),
        Native::RangeList => core::range_list(cx, a),

        Native::StrLen => string::len(a),
        Native::StrSplit => string::split(cx, a),
        Native::StrContains => string::contains(a),
        Native::StrUpper => string::map_text(cx, a, str::to_uppercase),
        Native::StrLower => string::map_text(cx, a, str::to_lowercase),
        Native::StrTrim => string::map_text(cx, a, |s| s.trim().to_string()),

        Native::ListPush => list::push(cx, a),
        Native::ListPop => list::pop(a),
        Native::ListLen => list::len(a),
        Native::ListGetOpt => list::get_opt(cx, a),
        Native::ListTake => list::take(cx, a),
        Native::ListInsert => list::insert(cx, a),
        Native::ListRemove => list::remove(cx, a),
        Native::ListClear => list::clear(cx, a),
        Native::ListContains => list::contains(a),
        Native::ListSort => list::sort(a),
        Native::ListExtend => list::extend(cx, a),
        Native::ListIndex => list::index(cx, a),
        Native::ListCount => list::count(a),
        Native::ListReverse => list::reverse(a),
        Native::ListConcat => list::concat(cx, a),
        Native::ListRepeat => list::repeat(cx, a),
        Native::Sorted => list::sorted(cx, a),

        Native::MapInsert | Native::MapSet => map::insert(cx, a),
        Native::MapGet => map::get(cx, a),
        Native::MapIndex => map::index(cx, a),
        Native::MapContains => map::contains(a),
        Native::MapRemove => map::remove(cx, a),
        Native::MapLen => map::len(a),
        Native::MapKeys => map::keys(cx, a),
        Native::MapValues => map::values(cx, a),
        Native::MapClear => map::clear(cx, a),
        Native::MapPop => map::pop(cx, a),

        Native::AbsInt => numeric::abs_int(a),
        Native::AbsFloat => numeric::abs_float(a),
        Native::Min => numeric::extreme(cx, a, false),
        Native::Max => numeric::extreme(cx, a, true),
        Native::SumInt => numeric::sum_int(a),
        Native::SumFloat => numeric::sum_float(a),
        Native::Round => numeric::round(a),
        Native::RoundDigits => numeric::round_digits(a),
        Native::RoundIntDigits => numeric::round_int_digits(a),
        Native::Ord => numeric::ord(a),
        Native::Chr => numeric::chr(cx, a),
        Native::Hex => numeric::hex(cx, a),

        Native::MathSqrt => math::sqrt(a),
        Native::MathExp => math::exp(a),
        Native::MathLog => math::log(a),
        Native::MathLog2 => math::log2(a),
        Native::MathLog10 => math::log10(a),
        Native::MathSin => math::trig(a, f64::sin),
        Native::MathCos => math::trig(a, f64::cos),
        Native::MathTan => math::trig(a, f64::tan),
        Native::MathAtan2 => math::atan2(a),
        Native::MathFloor => math::to_int(a, f64::floor),
        Native::MathCeil => math::to_int(a, f64::ceil),
        Native::MathIsnan => math::isnan(a),
        Native::MathIsinf => math::isinf(a),
        Native::MathPow => math::pow(a),
        Native::MathHypot => math::hypot(a),

        Native::MapItems => tuple::items(cx, a),
        Native::Enumerate => tuple::enumerate(cx, a),
        Native::Zip => tuple::zip(cx, a),
        Native::DivMod => tuple::divmod(cx, a),

        Native::DeepCopy => memory::deep_copy(cx, a),
        Native::Refcount => memory::refcount(a),
        Native::WeakNew => memory::weak_new(cx, a),
        Native::WeakGet => memory::weak_get(cx, a),
        Native::WeakExists => memory::weak_exists(a),
        Native::MemProfile => memory::profile(cx),
        Native::GcConfig => memory::gc_config(cx, a),
        Native::MemUsageByType => memory::usage_by_type(cx),
        Native::MemTrace => memory::trace(cx, a),
        Native::TensorZeros => tensor::filled(cx, a, 0.0),
        Native::TensorOnes => tensor::filled(cx, a, 1.0),
        Native::TensorRange => tensor::range(cx, a),
        Native::TensorRand => tensor::rand(cx, a),
        Native::TensorFromList => tensor::from_list(cx, a),
        Native::TensorShape => tensor::shape(cx, a),
        Native::TensorLen => tensor::len(a),
        Native::TensorSum => tensor::sum(a),
        Native::TensorMean => tensor::mean(a),
        Native::TensorMax => tensor::max(a),
        Native::TensorReshape => tensor::reshape(cx, a),
        Native::TensorTranspose => tensor::transpose(cx, a),
        Native::TensorGet => tensor::get(a),
        Native::TensorSet => tensor::set(a),
        Native::TensorAdd => tensor::binary(cx, ElemOp::Add, a),
        Native::TensorSub => tensor::binary(cx, ElemOp::Sub, a),
        Native::TensorMul => tensor::binary(cx, ElemOp::Mul, a),
        Native::TensorDiv => tensor::binary(cx, ElemOp::Div, a),
        Native::TensorMatMul => tensor::matmul(cx, a),
        Native::TensorAddInPlace => tensor::in_place(ElemOp::Add, a, "add_"),
        Native::TensorSubInPlace => tensor::in_place(ElemOp::Sub, a, "sub_"),
        Native::TensorMulInPlace => tensor::in_place(ElemOp::Mul, a, "mul_"),
        Native::TensorFillInPlace => tensor::fill(a),
        Native::TensorPin => tensor::pin(a),
        Native::DataDims { op, rank } => tensor::call_dims(cx, op, rank as usize, a),
        Native::DatasetLoad => dataset::load(cx, a),
        Native::DatasetLen => dataset::len(a),
        Native::DatasetColumns => dataset::columns(cx, a),
        Native::DatasetColumn => dataset::column(cx, a),
        Native::DatasetRow => dataset::row(cx, a),
        Native::FileOpen => stream::open(cx, a),
        Native::StreamReadLine => stream::read_line(cx, a),
        Native::StreamReadAll => stream::read_all(cx, a),
        Native::StreamWrite => stream::write(a),
        Native::StreamClose => stream::close(cx, a),
        Native::MemCollect => fail("internal error: Memory.collect is handled by the VM"),
        Native::Spawn { .. } | Native::TaskJoin | Native::TaskError => {
            fail("internal error: actors are handled by the VM")
        }
    }
}

// ---- operand access (static types make mismatches internal errors) ----

#[inline]
pub(crate) fn arg(a: &[Value], i: usize) -> Value {
    a.get(i).copied().unwrap_or(Value::None)
}

#[inline]
pub(crate) fn int_arg(a: &[Value], i: usize) -> Fallible<i64> {
    match arg(a, i) {
        Value::Int(v) => Ok(v),
        _ => Err(bad_operand(i, "Int")),
    }
}

#[inline]
pub(crate) fn obj_arg(a: &[Value], i: usize, kind: ObjKind) -> Fallible<ObjRef> {
    match arg(a, i) {
        Value::Obj(o) if o.kind() == kind => Ok(o),
        _ => Err(bad_operand(i, kind.name())),
    }
}

/// A `String?` operand: `None` or the text.
pub(crate) fn opt_str_arg(a: &[Value], i: usize) -> Fallible<Option<ObjRef>> {
    match arg(a, i) {
        Value::None => Ok(None),
        Value::Obj(o) if o.kind() == ObjKind::Str => Ok(Some(o)),
        _ => Err(bad_operand(i, "String?")),
    }
}

pub(crate) fn bad_operand(i: usize, expected: &str) -> Fault {
    Fault::msg(format!(
        "internal error: native operand {i} is not a {expected}"
    ))
}

/// The map key a value stands for (a copy of a string's text).
pub(crate) fn map_key_of(v: Value) -> Fallible<MapKey> {
    Ok(map_key_ref(&v)?.to_owned())
}

/// A borrowed map key for lookups.
pub(crate) fn map_key_ref(v: &Value) -> Fallible<MapKeyRef<'_>> {
    match v {
        Value::Int(i) => Ok(MapKeyRef::Int(*i)),
        Value::Bool(b) => Ok(MapKeyRef::Bool(*b)),
        Value::Obj(o) if o.kind() == ObjKind::Str => Ok(MapKeyRef::Str(o.as_str())),
        // A tuple of keys (the checker's rule), looked up through its parts in place.
        Value::Obj(o) if o.kind() == ObjKind::Struct => Ok(MapKeyRef::Tuple(*o)),
        _ => fail("map keys must be Int, String, Bool or tuples of them"),
    }
}

/// The value a map key stands for (a new String for a string key).
pub(crate) fn key_value(heap: &mut Heap, k: &MapKey) -> Fallible<Value> {
    Ok(match k {
        MapKey::Int(i) => Value::Int(*i),
        MapKey::Bool(b) => Value::Bool(*b),
        MapKey::Str(s) => Value::Obj(heap.alloc_str(&**s)?),
        MapKey::Tuple(parts) => {
            let mut values = Vec::with_capacity(parts.len());
            for p in parts.iter() {
                values.push(key_value(heap, p)?);
            }
            Value::Obj(heap.alloc_struct(stark_bytecode::instr::builtin_types::TUPLE, &values)?)
        }
    })
}
