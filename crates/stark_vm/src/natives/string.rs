//! String methods.

use super::operands::{obj_arg, NativeCx};
use crate::error::{fail, Fallible, Fault};
use stark_runtime::{Heap, ObjKind, ObjRef, OutOfMemory, Value};
use std::cell::Cell;

/// `a + b`, refusing (instead of aborting on) a length the allocator cannot provide.
pub(crate) fn concat(heap: &mut Heap, a: &str, b: &str) -> Result<ObjRef, Fault> {
    alloc_built(heap, |s| {
        let len = a
            .len()
            .checked_add(b.len())
            .ok_or_else(|| too_big(usize::MAX))?;
        stark_runtime::sysalloc::fallible(|| s.try_reserve_exact(len)).map_err(|_| too_big(len))?;
        s.push_str(a);
        s.push_str(b);
        Ok(())
    })
}

thread_local! {
    /// `alloc_built`'s buffer while an arena is active.
    static SCRATCH: Cell<String> = const { Cell::new(String::new()) };
}

/// A scratch buffer grown past this is not kept (one huge string should not stay resident).
const KEEP_SCRATCH: usize = 64 << 10;

/// A new string whose text `build` appends to an empty buffer. In an arena the text is
/// copied into the region, so it is built in a buffer reused from one string to the next
/// and costs no allocation of its own; elsewhere the buffer becomes the string's text.
pub(crate) fn alloc_built(
    heap: &mut Heap,
    build: impl FnOnce(&mut String) -> Result<(), Fault>,
) -> Result<ObjRef, Fault> {
    if !heap.arena_active() {
        let mut s = String::new();
        build(&mut s)?;
        return Ok(heap.alloc_str(s)?);
    }
    // Taken out of the cell (not borrowed), so a nested use would just start a new buffer.
    let mut s = SCRATCH.take();
    s.clear();
    let r = build(&mut s).and_then(|()| Ok(heap.alloc_str(s.as_str())?));
    if s.capacity() <= KEEP_SCRATCH {
        SCRATCH.set(s);
    }
    r
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
