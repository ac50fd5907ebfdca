//! List methods.

use super::operands::{arg, int_arg, obj_arg, NativeCx};
use crate::equality::values_equal;
use crate::error::{fail, Fallible, Fault};
use stark_runtime::{ObjKind, Value};
use std::cmp::Ordering;

/// The error for `list[i]` with `i` outside `0..len` (negative indices are out of range).
pub(crate) fn index_error(index: i64, len: usize) -> Fault {
    Fault::msg(format!(
        "index {index} out of range for list of length {len}"
    ))
}

pub(crate) fn push(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    cx.heap.list_push(l, arg(a, 1))?;
    Ok(Value::None)
}

/// `l.pop()`: the last element, moved out (owned).
pub(crate) fn pop(a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    // SAFETY: the only borrow of the list's body, ended with the `match` scrutinee; a
    // native runs no STARK code (I5).
    match unsafe { l.list_mut() }.pop() {
        Some(v) => Ok(v),
        None => fail("pop from empty list"),
    }
}

pub(crate) fn len(a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    Ok(Value::Int(l.list().len() as i64))
}

/// `l.get(i) -> T?`: a new reference to the element, or `None` when out of range.
pub(crate) fn get_opt(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let i = int_arg(a, 1)?;
    match usize::try_from(i).ok().and_then(|i| l.list().get(i)) {
        Some(&v) => {
            cx.heap.incref(v);
            Ok(v)
        }
        None => Ok(Value::None),
    }
}

/// `list[i]` of a temporary list, which this takes over (`Heap::list_take`).
pub(crate) fn take(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let i = int_arg(a, 1)?;
    let len = l.list().len();
    match usize::try_from(i) {
        // SAFETY: `list.take` consumes its list (`Native::consumes`): the register gives its
        // reference up to this call.
        Ok(idx) if idx < len => Ok(unsafe { cx.heap.list_take(l, idx) }),
        _ => Err(index_error(i, len)),
    }
}

pub(crate) fn insert(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let i = int_arg(a, 1)?;
    let len = l.list().len();
    match usize::try_from(i) {
        Ok(idx) if idx <= len => {
            cx.heap.list_insert(l, idx, arg(a, 2))?;
            Ok(Value::None)
        }
        _ => Err(Fault::msg(format!(
            "insert index {i} out of range for list of length {len}"
        ))),
    }
}

/// `l.remove(i)`: the element, moved out (owned).
pub(crate) fn remove(a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let i = int_arg(a, 1)?;
    // SAFETY: the only borrow of the list's body, for this function; a native runs no
    // STARK code (I5).
    let items = unsafe { l.list_mut() };
    match usize::try_from(i) {
        Ok(idx) if idx < items.len() => Ok(items.remove(idx)),
        _ => Err(index_error(i, items.len())),
    }
}

pub(crate) fn clear(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    cx.heap.list_clear(l);
    Ok(Value::None)
}

pub(crate) fn contains(a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let needle = arg(a, 1);
    Ok(Value::Bool(
        l.list().iter().any(|v| values_equal(*v, needle)),
    ))
}

/// In-place stable sort of Int, Float (total order: NaN last) or String elements.
pub(crate) fn sort(a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    // SAFETY: the only borrow of the list's body while it sorts: `order` reads the elements
    // it is handed and the strings they point to, never this list (I5).
    unsafe { l.list_mut() }.sort_by(order);
    Ok(Value::None)
}

fn order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        // NaN last whatever its sign bit (`total_cmp` puts a negative NaN first), and
        // -0.0 equal to 0.0 so the stable sort keeps their order, as Python's does.
        (Value::Float(x), Value::Float(y)) => match (x.is_nan(), y.is_nan()) {
            (false, false) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
            (nx, ny) => nx.cmp(&ny),
        },
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Obj(p), Value::Obj(q)) if p.kind() == ObjKind::Str && q.kind() == ObjKind::Str => {
            p.as_str().cmp(q.as_str())
        }
        // `None` sorts first in a list of optionals.
        (Value::None, Value::None) => Ordering::Equal,
        (Value::None, _) => Ordering::Less,
        (_, Value::None) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// `xs[lo:hi:step]`: a new list sharing the elements (each one more reference).
pub(crate) fn slice(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let (start, step, count) = super::string::slice_indices(a, l.list().len())?;
    let mut items = Vec::new();
    stark_runtime::sysalloc::fallible(|| items.try_reserve_exact(count))
        .map_err(|_| super::string::too_big(count.saturating_mul(std::mem::size_of::<Value>())))?;
    let src = l.list();
    for k in 0..count {
        let v = src[(start + k as i128 * step) as usize];
        cx.heap.incref(v);
        items.push(v);
    }
    match cx.heap.alloc_list(items) {
        Ok(list) => Ok(Value::Obj(list)),
        Err(e) => Err(e.into()),
    }
}
