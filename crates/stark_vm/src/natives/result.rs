//! The methods of the built-in `Result` (SPEC §6). An `Ok` or `Err` is a one-field object
//! of the layout `builtin_types::RESULT_OK` or `RESULT_ERR`; every value these return is
//! a new reference the caller owns.

use super::operands::{arg, NativeCx};
use crate::error::{fail, Fallible, Fault};
use stark_bytecode::instr::builtin_types::{RESULT_ERR, RESULT_OK};
use stark_runtime::{ObjRef, Value};

fn result_arg(a: &[Value]) -> Fallible<ObjRef> {
    match arg(a, 0) {
        Value::Obj(o) if matches!(o.type_id(), RESULT_OK | RESULT_ERR) => Ok(o),
        _ => fail("internal error: a Result method on a value that is not a Result"),
    }
}

/// The one field of an `Ok` or `Err`.
fn payload(r: ObjRef) -> Value {
    r.fields().first().copied().unwrap_or(Value::None)
}

pub(crate) fn is_ok(a: &[Value], want_ok: bool) -> Fallible<Value> {
    let r = result_arg(a)?;
    Ok(Value::Bool((r.type_id() == RESULT_OK) == want_ok))
}

/// `r.unwrap()`: the `Ok` value; an `Err` ends the program with the error's text.
pub(crate) fn unwrap(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let r = result_arg(a)?;
    let v = payload(r);
    if r.type_id() == RESULT_ERR {
        let text = crate::format::value_to_string(cx.module, v);
        return fail(format!("called `unwrap()` on an `Err`: {text}"));
    }
    cx.heap.incref(v);
    Ok(v)
}

pub(crate) fn unwrap_or(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let r = result_arg(a)?;
    let v = if r.type_id() == RESULT_OK {
        payload(r)
    } else {
        arg(a, 1)
    };
    cx.heap.incref(v);
    Ok(v)
}

/// `r.error() -> E?`: the error of an `Err`, `None` for an `Ok`.
pub(crate) fn error(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let r = result_arg(a)?;
    if r.type_id() == RESULT_OK {
        return Ok(Value::None);
    }
    let v = payload(r);
    cx.heap.incref(v);
    Ok(v)
}

/// `Ok(v)`, taking over the caller's reference to `v`: what a fallible built-in's twin
/// returns on success.
pub(crate) fn ok(cx: &mut NativeCx<'_>, v: Value) -> Fallible<Value> {
    Ok(Value::Obj(cx.heap.alloc_struct(RESULT_OK, &[v])?))
}

/// `Err(message)`: what a fallible built-in's twin returns instead of a runtime error.
pub(crate) fn err(cx: &mut NativeCx<'_>, message: &str) -> Fallible<Value> {
    let s = cx.heap.alloc_str(message)?;
    Ok(Value::Obj(
        cx.heap.alloc_struct(RESULT_ERR, &[Value::Obj(s)])?,
    ))
}

/// The twin of a fallible built-in: what the built-in returns, as `Ok`, or its runtime
/// error's message as `Err`. Running out of memory and `exit` still end the program.
pub(crate) fn attempt(cx: &mut NativeCx<'_>, done: Fallible<Value>) -> Fallible<Value> {
    match done {
        Ok(v) => ok(cx, v),
        Err(Fault::Error(message)) => err(cx, &message),
        Err(other) => Err(other),
    }
}
