//! List methods.

use super::operands::{arg, int_arg, obj_arg, NativeCx};
use crate::equality::values_equal;
use crate::error::{fail, Fallible, Fault};
use stark_runtime::{ObjKind, ObjRef, Value};
use std::cmp::Ordering;

/// The error for `list[i]` with `i` outside `-len..len`.
pub(crate) fn index_error(index: i64, len: usize) -> Fault {
    Fault::msg(format!(
        "index {index} out of range for list of length {len}"
    ))
}

/// The position Python's `list[i]` reads in a list of `len` elements: a negative `i`
/// counts from the end; `None` outside `-len..len`.
#[inline(always)]
pub(crate) fn list_index(i: i64, len: usize) -> Option<usize> {
    // `len` fits an i64 (a list's buffer is at most isize::MAX bytes), so `i + len` does not
    // overflow for a negative `i`; a still negative sum is out of range as a huge u64.
    let j = if i < 0 { i + len as i64 } else { i };
    if (j as u64) < len as u64 {
        Some(j as usize)
    } else {
        None
    }
}

pub(crate) fn push(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    cx.heap.list_push(l, arg(a, 1))?;
    Ok(Value::None)
}

/// `l.pop()`, `l.pop(i)`: the element at `i` (the last by default; negative from the end),
/// moved out (owned).
pub(crate) fn pop(a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let i = match arg(a, 1) {
        Value::None => -1,
        _ => int_arg(a, 1)?,
    };
    // SAFETY: the only borrow of the list's body, for this function; a native runs no
    // STARK code (I5).
    let items = unsafe { l.list_mut() };
    if items.is_empty() {
        return fail("pop from empty list");
    }
    match list_index(i, items.len()) {
        Some(idx) if idx + 1 == items.len() => Ok(items.pop().expect("not empty")),
        Some(idx) => Ok(items.remove(idx)),
        None => fail(format!(
            "pop index {i} out of range for list of length {}",
            items.len()
        )),
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
    let items = l.list();
    match list_index(i, items.len()).map(|i| items[i]) {
        Some(v) => {
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
    match list_index(i, len) {
        // SAFETY: `list.take` consumes its list (`Native::consumes`): the register gives its
        // reference up to this call.
        Some(idx) => Ok(unsafe { cx.heap.list_take(l, idx) }),
        None => Err(index_error(i, len)),
    }
}

/// `l.insert(i, v)`: takes over `v`; `i` is clamped to `0..=len` after counting a negative
/// one from the end, as Python does.
pub(crate) fn insert(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let i = int_arg(a, 1)?;
    let len = l.list().len() as i64;
    let at = if i < 0 { (i + len).max(0) } else { i.min(len) };
    cx.heap.list_insert(l, at as usize, arg(a, 2))?;
    Ok(Value::None)
}

/// `l.remove(v)`: takes the first element equal to `v` out and releases it.
pub(crate) fn remove(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let needle = arg(a, 1);
    let Some(idx) = l.list().iter().position(|v| values_equal(*v, needle)) else {
        return fail("value not in list");
    };
    // SAFETY: the only borrow of the list's body, ended with this statement; a native runs
    // no STARK code (I5).
    let v = unsafe { l.list_mut() }.remove(idx);
    // SAFETY: the list's reference to the element, which it no longer holds.
    unsafe { cx.heap.decref(v) };
    Ok(Value::None)
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

/// `l.sort(reverse)`: in-place stable sort of Int, Float (NaN last), String, Bool or tuple
/// elements; `reverse` sorts descending and keeps equal elements in their order, as
/// Python's does.
pub(crate) fn sort(a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let reverse = matches!(arg(a, 1), Value::Bool(true));
    // SAFETY: the only borrow of the list's body while it sorts: `order` reads the elements
    // it is handed, never the list, and a native runs no STARK code (I5).
    sort_items(unsafe { l.list_mut() }, reverse);
    Ok(Value::None)
}

pub(crate) fn sort_items(items: &mut [Value], reverse: bool) {
    if reverse {
        items.sort_by(|x, y| order(y, x));
    } else {
        items.sort_by(order);
    }
}

/// `xs.sort(key=f)` with the keys computed: the elements are permuted in place (no count
/// changes), ordered by their keys as `sort` orders values, stably.
pub(crate) fn sort_by_keys(a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let k = obj_arg(a, 1, ObjKind::List)?;
    let reverse = matches!(arg(a, 2), Value::Bool(true));
    let keys = k.list();
    let items = l.list();
    if keys.len() != items.len() {
        // `f` pushed to or popped from the list while its keys were computed.
        return fail("list changed size while its sort keys were computed".to_string());
    }
    let ints: Option<Vec<(i64, usize)>> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| match k {
            Value::Int(x) => Some((*x, i)),
            _ => None,
        })
        .collect();
    let sorted: Vec<Value> = match ints {
        // Int keys (`key=fn(p) => p.age`), the common case: sorted as plain pairs, with
        // the same stable order `order` gives them.
        Some(mut pairs) => {
            if reverse {
                pairs.sort_by_key(|p| std::cmp::Reverse(p.0));
            } else {
                pairs.sort_by_key(|p| p.0);
            }
            pairs.iter().map(|&(_, i)| items[i]).collect()
        }
        None => {
            let mut index: Vec<usize> = (0..keys.len()).collect();
            if reverse {
                index.sort_by(|&i, &j| order(&keys[j], &keys[i]));
            } else {
                index.sort_by(|&i, &j| order(&keys[i], &keys[j]));
            }
            index.iter().map(|&i| items[i]).collect()
        }
    };
    // SAFETY: the only borrow of the list's body (`items` is not used again), and a
    // permutation of the same references (I3 unchanged).
    unsafe { l.list_mut() }.copy_from_slice(&sorted);
    Ok(Value::None)
}

/// `min(xs, key=f)` / `max(…)` with the keys computed: the index of the first least
/// (greatest) key, as Python's `min`/`max` return the first of equal elements.
pub(crate) fn key_best(a: &[Value], max: bool) -> Fallible<Value> {
    let list = obj_arg(a, 0, ObjKind::List)?;
    let keys = list.list();
    if keys.is_empty() {
        let name = if max { "max" } else { "min" };
        return fail(format!("{name}() arg is an empty sequence"));
    }
    let wanted = if max {
        Ordering::Greater
    } else {
        Ordering::Less
    };
    let mut best = 0;
    for i in 1..keys.len() {
        if order(&keys[i], &keys[best]) == wanted {
            best = i;
        }
    }
    Ok(Value::Int(best as i64))
}

/// `sorted(xs, reverse)`: a new sorted list sharing `xs`'s elements.
pub(crate) fn sorted(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let n = l.list().len();
    let out = shared_list(cx, n, |i| l.list()[i])?;
    // SAFETY: `out` is new and reached from nowhere else; `order` reads only the elements.
    sort_items(
        unsafe { out.list_mut() },
        matches!(arg(a, 1), Value::Bool(true)),
    );
    Ok(Value::Obj(out))
}

/// A new list of `n` elements, element `i` being `at(i)` shared (increfed). Storing
/// notes each element for the arena rules (`list_push`).
fn shared_list(cx: &mut NativeCx<'_>, n: usize, at: impl Fn(usize) -> Value) -> Fallible<ObjRef> {
    let list = cx.heap.alloc_list(Vec::new())?;
    if let Err(e) = cx.heap.list_reserve(list, n) {
        // SAFETY: the allocation's own reference, given up: the list is never returned.
        unsafe { cx.heap.decref_obj(list) };
        return Err(e.into());
    }
    for i in 0..n {
        let v = at(i);
        cx.heap.incref(v);
        // Room was reserved: the push only stores.
        if let Err(e) = cx.heap.list_push(list, v) {
            // SAFETY: the reference just taken for `v`, which the list did not take, and the
            // allocation's own, given up: the list is never returned.
            unsafe {
                cx.heap.decref(v);
                cx.heap.decref_obj(list);
            }
            return Err(e.into());
        }
    }
    Ok(list)
}

/// `a + b` on lists: a new list sharing both lists' elements.
pub(crate) fn concat(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let r = obj_arg(a, 1, ObjKind::List)?;
    let (nl, nr) = (l.list().len(), r.list().len());
    let out = shared_list(cx, nl + nr, |i| {
        if i < nl {
            l.list()[i]
        } else {
            r.list()[i - nl]
        }
    })?;
    Ok(Value::Obj(out))
}

/// `l * n`: a new list of `l`'s elements `n` times over, shared; `n <= 0` gives `[]`.
pub(crate) fn repeat(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let times = usize::try_from(int_arg(a, 1)?.max(0)).unwrap_or(usize::MAX);
    let len = l.list().len();
    // A count past memory is out of memory (exit 3), as a huge `range` is.
    let n = len.saturating_mul(times);
    let out = shared_list(cx, n, |i| l.list()[i % len])?;
    Ok(Value::Obj(out))
}

/// `l.extend(other)`: appends `other`'s elements, shared (`l.extend(l)` doubles `l`).
pub(crate) fn extend(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let other = obj_arg(a, 1, ObjKind::List)?;
    let n = other.list().len();
    cx.heap.list_reserve(l, n)?;
    for i in 0..n {
        let v = other.list()[i];
        cx.heap.incref(v);
        if let Err(e) = cx.heap.list_push(l, v) {
            // SAFETY: the reference just taken for `v`, which the list did not take.
            unsafe { cx.heap.decref(v) };
            return Err(e.into());
        }
    }
    Ok(Value::None)
}

/// `l.index(v, start, stop)`: the position of the first element equal to `v` in
/// `l[start:stop]`, whose bounds count from the end when negative and are clamped, as
/// Python's `list.index`.
pub(crate) fn index(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let needle = arg(a, 1);
    let items = l.list();
    let len = items.len() as i64;
    let bound = |i: usize, omitted: i64| -> Fallible<usize> {
        let b = if a.len() > i { int_arg(a, i)? } else { omitted };
        let b = if b < 0 {
            b.saturating_add(len).max(0)
        } else {
            b.min(len)
        };
        Ok(b as usize)
    };
    let (start, stop) = (bound(2, 0)?, bound(3, len)?);
    let found = items
        .get(start..stop.max(start))
        .and_then(|part| part.iter().position(|v| values_equal(*v, needle)));
    match found {
        Some(i) => Ok(Value::Int((start + i) as i64)),
        None => fail(format!("{} is not in list", repr(cx, needle))),
    }
}

/// A value as it prints inside a list (a String quoted), for messages.
fn repr(cx: &NativeCx<'_>, v: Value) -> String {
    match v {
        Value::Obj(o) if o.kind() == ObjKind::Str => {
            let mut out = String::new();
            crate::format::write_quoted(&mut out, o.as_str());
            out
        }
        _ => crate::format::value_to_string(cx.module, v),
    }
}

/// `l.count(v)`: how many elements equal `v`.
pub(crate) fn count(a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let needle = arg(a, 1);
    let n = l
        .list()
        .iter()
        .filter(|v| values_equal(**v, needle))
        .count();
    Ok(Value::Int(n as i64))
}

/// `l.reverse()` in place.
pub(crate) fn reverse(a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    // SAFETY: the only borrow of the list's body, for this statement; a native runs no
    // STARK code (I5).
    unsafe { l.list_mut() }.reverse();
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
        // Tuples: lexicographically, part by part (an unordered NaN part counts as equal).
        (Value::Obj(p), Value::Obj(q))
            if p.kind() == ObjKind::Struct && q.kind() == ObjKind::Struct =>
        {
            crate::equality::values_order(*a, *b).unwrap_or(Ordering::Equal)
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
