//! Built-in operations (`Instr::CallNative`). Operands arrive as a slice of the caller's
//! registers; those `Native::consumes` names are taken over (the VM clears their registers
//! afterwards), the rest are views. Results are owned.
//!
//! `Memory.collect` is not here: it runs destructors, so the VM handles it (`release.rs`).

pub(crate) mod core;
pub(crate) mod dataset;
pub(crate) mod list;
pub(crate) mod map;
pub(crate) mod memory;
pub(crate) mod stream;
pub(crate) mod string;
pub(crate) mod tensor;

use crate::error::{fail, Fallible, Fault};
use crate::output::Output;
use stark_bytecode::{Module, Native};
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
        Native::RangeList => core::range_list(cx, a),

        Native::StrLen => string::len(a),
        Native::StrSplit => string::split(cx, a),
        Native::StrContains => string::contains(a),
        Native::StrUpper => string::map_text(cx, a, str::to_uppercase),
        Native::StrLower => string::map_text(cx, a, str::to_lowercase),
        Native::StrTrim => string::map_text(cx, a, |s| s.trim().to_string()),
        Native::StrReplace => string::replace(cx, a),
        Native::StrStartsWith => string::startswith(a),
        Native::StrEndsWith => string::endswith(a),
        Native::StrFind => string::find(a),
        Native::StrCount => string::count(a),
        Native::StrStrip => string::strip(cx, a, string::Ends::Both),
        Native::StrLstrip => string::strip(cx, a, string::Ends::Left),
        Native::StrRstrip => string::strip(cx, a, string::Ends::Right),
        Native::StrSplitlines => string::splitlines(cx, a),
        Native::StrJoin => string::join(cx, a),
        Native::StrLjust => string::justify(cx, a, stark_syntax::Align::Left),
        Native::StrRjust => string::justify(cx, a, stark_syntax::Align::Right),
        Native::StrCenter => string::justify(cx, a, stark_syntax::Align::Center),
        Native::StrIsDigit => string::all_chars(a, char::is_numeric),
        Native::StrIsAlpha => string::all_chars(a, char::is_alphabetic),
        Native::StrIsSpace => string::all_chars(a, string::py_space),
        Native::StrIndex => string::index(cx, a),
        Native::StrSlice => string::slice(cx, a),
        Native::ListSlice => list::slice(cx, a),
        Native::StrRepeat => string::repeat(cx, a),
        Native::StrNextByte => string::next_byte(a),
        Native::StrCharAtByte => string::char_at_byte(cx, a),
        Native::FormatSpecs { fmt } => core::format_specs(cx, fmt, a),
        Native::PrintFormatSpecs { fmt } => core::print_format_specs(cx, fmt, a),

        Native::ListPush => list::push(cx, a),
        Native::ListPop => list::pop(a),
        Native::ListLen => list::len(a),
        Native::ListGetOpt => list::get_opt(cx, a),
        Native::ListTake => list::take(cx, a),
        Native::ListInsert => list::insert(cx, a),
        Native::ListRemove => list::remove(a),
        Native::ListClear => list::clear(cx, a),
        Native::ListContains => list::contains(a),
        Native::ListSort => list::sort(a),

        Native::MapInsert | Native::MapSet => map::insert(cx, a),
        Native::MapGet => map::get(cx, a),
        Native::MapIndex => map::index(cx, a),
        Native::MapContains => map::contains(a),
        Native::MapRemove => map::remove(cx, a),
        Native::MapLen => map::len(a),
        Native::MapKeys => map::keys(cx, a),
        Native::MapValues => map::values(cx, a),
        Native::MapClear => map::clear(cx, a),

        Native::DeepCopy => memory::deep_copy(cx, a),
        Native::Refcount => memory::refcount(a),
        Native::WeakNew => memory::weak_new(cx, a),
        Native::WeakGet => memory::weak_get(cx, a),
        Native::WeakExists => memory::weak_exists(a),
        Native::MemProfile => memory::profile(cx),
        Native::GcConfig => memory::gc_config(cx, a),
        Native::MemUsageByType => memory::usage_by_type(cx),
        Native::MemTrace => memory::trace(cx, a),
        Native::Data(op) => tensor::call(cx, op, a),
        Native::DataDims { op, rank } => tensor::call_dims(cx, op, rank as usize, a),
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
        _ => fail("map keys must be Int, String or Bool"),
    }
}

/// The value a map key stands for (a new String for a string key).
pub(crate) fn key_value(heap: &mut Heap, k: &MapKey) -> Fallible<Value> {
    Ok(match k {
        MapKey::Int(i) => Value::Int(*i),
        MapKey::Bool(b) => Value::Bool(*b),
        MapKey::Str(s) => Value::Obj(heap.alloc_str(&**s)?),
    })
}
