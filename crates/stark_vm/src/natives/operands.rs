//! What a native may touch (`NativeCx`) and how it reads its operands: the helpers every
//! native module uses. It names no native module, so they all build on it and the
//! dispatch in `mod.rs` builds on them.

use crate::error::{fail, Fallible, Fault};
use crate::output::Output;
use stark_bytecode::Module;
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
