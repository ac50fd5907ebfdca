//! The built-ins that make tuples (SPEC §5): `enumerate`, `zip`, `divmod`, `m.items()`.
//! Each part of a new tuple is a new reference (an element or value shared, M1).

use super::operands::{arg, key_value, obj_arg, NativeCx};
use crate::arith;
use crate::error::{fail, Fallible};
use stark_bytecode::instr::builtin_types::TUPLE;
use stark_runtime::{ObjKind, Value};

/// A new tuple taking over the references in `parts`.
fn tuple(cx: &mut NativeCx<'_>, parts: &[Value]) -> Fallible<Value> {
    Ok(Value::Obj(cx.heap.alloc_struct(TUPLE, parts)?))
}

/// `enumerate(xs)`: `[(0, xs[0]), (1, xs[1]), …]`.
pub(crate) fn enumerate(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let xs = obj_arg(a, 0, ObjKind::List)?;
    let list = cx.heap.alloc_list(Vec::with_capacity(xs.list().len()))?;
    // Building runs no program code, so the list cannot change meanwhile.
    for i in 0..xs.list().len() {
        let v = xs.list()[i];
        cx.heap.incref(v);
        let t = tuple(cx, &[Value::Int(i as i64), v])?;
        cx.heap.list_push(list, t)?;
    }
    Ok(Value::Obj(list))
}

/// `zip(a, b)`: pairs up to the shorter list's length, as Python's `zip`.
pub(crate) fn zip(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let xs = obj_arg(a, 0, ObjKind::List)?;
    let ys = obj_arg(a, 1, ObjKind::List)?;
    let n = xs.list().len().min(ys.list().len());
    let list = cx.heap.alloc_list(Vec::with_capacity(n))?;
    for i in 0..n {
        let (x, y) = (xs.list()[i], ys.list()[i]);
        cx.heap.incref(x);
        cx.heap.incref(y);
        let t = tuple(cx, &[x, y])?;
        cx.heap.list_push(list, t)?;
    }
    Ok(Value::Obj(list))
}

/// `m.items()`: `[(k, v), …]` in insertion order.
pub(crate) fn items(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let m = obj_arg(a, 0, ObjKind::Map)?;
    let list = cx.heap.alloc_list(Vec::with_capacity(m.map().len()))?;
    for i in 0..m.map().len() {
        let (k, v) = m.map().get_index(i).expect("index in range");
        let (k, v) = (k.clone(), *v);
        let key = key_value(cx.heap, &k)?;
        cx.heap.incref(v);
        let t = tuple(cx, &[key, v])?;
        cx.heap.list_push(list, t)?;
    }
    Ok(Value::Obj(list))
}

/// `divmod(a, b)`: `(a / b, a % b)` with the operators' own meaning (SPEC §2, §5): for Ints,
/// division truncating toward zero and a remainder with the dividend's sign.
pub(crate) fn divmod(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let (q, r) = match (arg(a, 0), arg(a, 1)) {
        (Value::Int(_), Value::Int(0)) => return fail("integer division by zero"),
        (Value::Int(x), Value::Int(y)) => match (x.checked_div(y), x.checked_rem(y)) {
            (Some(q), Some(r)) => (Value::Int(q), Value::Int(r)),
            _ => return fail("integer overflow"),
        },
        // Floats: `%` is Python's (the divisor's sign), so the quotient is Python's floor
        // quotient, a whole number, making `q * b + r == a` (docs/decisions.md).
        (Value::Float(x), Value::Float(y)) => {
            let r = arith::fmod(x, y);
            let q = if y == 0.0 {
                x / y
            } else {
                ((x - r) / y).round()
            };
            (Value::Float(q), Value::Float(r))
        }
        _ => return fail("internal error: divmod of non-numbers"),
    };
    tuple(cx, &[q, r])
}
