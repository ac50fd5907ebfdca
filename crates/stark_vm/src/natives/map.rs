//! Map methods. Keys are copied into the map (`MapKey`), so a consumed String key object is
//! released once its text is copied.

use super::operands::{arg, key_value, map_key_of, map_key_ref, obj_arg, NativeCx};
use crate::error::{fail, Fallible};
use crate::format::key_to_string;
use stark_runtime::{ObjKind, Value};

/// `m.insert(k, v)` / `m[k] = v`: takes over `k` and `v`, releases a replaced value.
pub(crate) fn insert(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let m = obj_arg(a, 0, ObjKind::Map)?;
    let k = arg(a, 1);
    let key = map_key_of(k)?;
    // SAFETY: the key operand is consumed (`Native::consumes`): its register gives the
    // reference up to this call, and the map keeps a copy of its text, not the object.
    unsafe { cx.heap.decref(k) };
    if let Some(old) = cx.heap.map_insert(m, key, arg(a, 2))? {
        // SAFETY: the map's reference to the value it replaced, handed back to us.
        unsafe { cx.heap.decref(old) };
    }
    Ok(Value::None)
}

/// `m.get(k) -> V?`, `m.get(k, default)`: the value or the default (`None` when omitted),
/// owned.
pub(crate) fn get(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let m = obj_arg(a, 0, ObjKind::Map)?;
    let k = arg(a, 1);
    let v = match m.map().get(&map_key_ref(&k)?) {
        Some(&v) => v,
        None => arg(a, 2),
    };
    cx.heap.incref(v);
    Ok(v)
}

/// `m.pop(k) -> V?`, `m.pop(k, default)`: the value moved out, or the default (owned).
pub(crate) fn pop(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let m = obj_arg(a, 0, ObjKind::Map)?;
    let k = arg(a, 1);
    match cx.heap.map_remove(m, map_key_ref(&k)?) {
        Some(v) => Ok(v),
        None => {
            let d = arg(a, 2);
            cx.heap.incref(d);
            Ok(d)
        }
    }
}

/// `m[k]` (owned); a missing key is an error naming it.
pub(crate) fn index(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let m = obj_arg(a, 0, ObjKind::Map)?;
    let k = arg(a, 1);
    let key = map_key_ref(&k)?;
    match m.map().get(&key) {
        Some(&v) => {
            cx.heap.incref(v);
            Ok(v)
        }
        None => fail(format!(
            "key {} not found in map",
            key_to_string(&key.to_owned())
        )),
    }
}

pub(crate) fn contains(a: &[Value]) -> Fallible<Value> {
    let m = obj_arg(a, 0, ObjKind::Map)?;
    let k = arg(a, 1);
    Ok(Value::Bool(m.map().contains_key(&map_key_ref(&k)?)))
}

/// `m.remove(k) -> V?`: the value moved out (owned), or `None`.
pub(crate) fn remove(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let m = obj_arg(a, 0, ObjKind::Map)?;
    let k = arg(a, 1);
    Ok(cx
        .heap
        .map_remove(m, map_key_ref(&k)?)
        .unwrap_or(Value::None))
}

pub(crate) fn len(a: &[Value]) -> Fallible<Value> {
    let m = obj_arg(a, 0, ObjKind::Map)?;
    Ok(Value::Int(m.map().len() as i64))
}

/// `m.keys()`: a new list, in insertion order.
pub(crate) fn keys(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let m = obj_arg(a, 0, ObjKind::Map)?;
    let list = cx.heap.alloc_list(Vec::with_capacity(m.map().len()))?;
    for i in 0..m.map().len() {
        let (k, _) = m.map().get_index(i).expect("index in range");
        let v = key_value(cx.heap, &k.clone())?;
        cx.heap.list_push(list, v)?;
    }
    Ok(Value::Obj(list))
}

/// `m.values()`: a new list of new references, in insertion order.
pub(crate) fn values(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let m = obj_arg(a, 0, ObjKind::Map)?;
    let items: Vec<Value> = m.map().values().copied().collect();
    for v in &items {
        cx.heap.incref(*v);
    }
    Ok(Value::Obj(cx.heap.alloc_list(items)?))
}

pub(crate) fn clear(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let m = obj_arg(a, 0, ObjKind::Map)?;
    cx.heap.map_clear(m);
    Ok(Value::None)
}
