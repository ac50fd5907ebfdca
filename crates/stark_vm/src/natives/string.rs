//! String methods.

use super::{obj_arg, NativeCx};
use crate::error::{fail, Fallible, Fault};
use stark_runtime::{ObjKind, OutOfMemory, Value};

/// `a + b`, refusing (instead of aborting on) a length the allocator cannot provide.
pub(crate) fn concat(a: &str, b: &str) -> Result<String, Fault> {
    let mut s = String::new();
    let len = a
        .len()
        .checked_add(b.len())
        .ok_or_else(|| too_big(usize::MAX))?;
    s.try_reserve_exact(len).map_err(|_| too_big(len))?;
    s.push_str(a);
    s.push_str(b);
    Ok(s)
}

fn too_big(len: usize) -> Fault {
    Fault::from(OutOfMemory {
        requested: len as u64,
        live: 0,
        limit: None,
        quota: false,
    })
}

/// Length in characters (code points), as Python's `len`.
pub(crate) fn len(a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    Ok(Value::Int(s.as_str().chars().count() as i64))
}

/// `s.split(sep)`; with no separator, splits on runs of whitespace (as Python).
pub(crate) fn split(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let text = s.as_str();
    let list = match a.get(1) {
        Some(Value::Obj(sep)) if sep.kind() == ObjKind::Str => {
            let sep = sep.as_str();
            if sep.is_empty() {
                return fail("empty separator");
            }
            cx.heap.alloc_str_list(text.split(sep))?
        }
        _ => cx.heap.alloc_str_list(text.split_whitespace())?,
    };
    Ok(Value::Obj(list))
}

pub(crate) fn contains(a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let sub = obj_arg(a, 1, ObjKind::Str)?;
    Ok(Value::Bool(s.as_str().contains(sub.as_str())))
}

/// upper / lower / trim: a new string from the receiver's text.
pub(crate) fn map_text(
    cx: &mut NativeCx<'_>,
    a: &[Value],
    f: impl Fn(&str) -> String,
) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let text = f(s.as_str());
    Ok(Value::Obj(cx.heap.alloc_str(text)?))
}
