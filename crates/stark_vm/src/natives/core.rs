//! Free functions: print, str, f-strings, conversions, assert, args, exit, range.

use super::operands::{arg, int_arg, obj_arg, NativeCx};
use crate::error::{fail, Fallible, Fault};
use crate::format::{float_to_string, write_value};
use stark_bytecode::Module;
use stark_runtime::{Heap, ObjKind, ObjRef, OutOfMemory, Value};

/// The text of all operands, `sep` between them.
fn joined(cx: &NativeCx<'_>, a: &[Value], sep: &str) -> String {
    let mut s = String::new();
    write_joined(cx.module, &mut s, a, sep);
    s
}

fn write_joined(module: &Module, s: &mut String, a: &[Value], sep: &str) {
    for (i, v) in a.iter().enumerate() {
        if i > 0 {
            s.push_str(sep);
        }
        write_value(module, s, *v);
    }
}

pub(crate) fn print(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let mut line = joined(cx, a, " ");
    line.push('\n');
    cx.out.write_str(&line);
    Ok(Value::None)
}

pub(crate) fn to_str(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let module = cx.module;
    let s = super::string::alloc_built(cx.heap, |s| {
        write_joined(module, s, a, "");
        Ok(())
    })?;
    Ok(Value::Obj(s))
}

/// `print(f"…")` fused: the f-string's parts are printed without building the string.
pub(crate) fn print_format(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let mut line = joined(cx, a, "");
    line.push('\n');
    cx.out.write_str(&line);
    Ok(Value::None)
}

/// f-strings: every operand's `str()`, concatenated.
pub(crate) fn format(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    to_str(cx, a)
}

/// Writes an f-string with conversions or format specs: each operand by its
/// `FieldFormat` in `Module::formats[fmt]`.
fn write_formatted(module: &Module, out: &mut String, fmt: u32, a: &[Value]) -> Fallible<()> {
    let Some(specs) = module.formats.get(fmt as usize) else {
        return fail(format!("internal error: format #{fmt} does not exist"));
    };
    crate::fmtspec::write_fields(out, module, specs, a)
}

/// An f-string with format specs: one native call formats every part into the new String.
pub(crate) fn format_specs(cx: &mut NativeCx<'_>, fmt: u32, a: &[Value]) -> Fallible<Value> {
    let module = cx.module;
    let s = super::string::alloc_built(cx.heap, |s| write_formatted(module, s, fmt, a))?;
    Ok(Value::Obj(s))
}

/// `print(f"…")` with format specs, without building the string.
pub(crate) fn print_format_specs(cx: &mut NativeCx<'_>, fmt: u32, a: &[Value]) -> Fallible<Value> {
    let mut line = String::new();
    write_formatted(cx.module, &mut line, fmt, a)?;
    line.push('\n');
    cx.out.write_str(&line);
    Ok(Value::None)
}

pub(crate) fn parse_int(a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let text = s.as_str();
    // As Python's int(): surrounding whitespace and `_` between digits are accepted.
    let t = text.trim();
    let digits_ok = !t.is_empty()
        && !t.starts_with('_')
        && !t.ends_with('_')
        && !t.contains("__")
        && !t.trim_start_matches(['+', '-']).starts_with('_');
    let cleaned: String = t.chars().filter(|c| *c != '_').collect();
    match cleaned.parse::<i64>() {
        Ok(v) if digits_ok => Ok(Value::Int(v)),
        Err(e)
            if digits_ok
                && matches!(
                    e.kind(),
                    std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow
                ) =>
        {
            fail(format!(
                "integer literal out of range for Int: {}",
                quote(text)
            ))
        }
        _ => fail(format!("invalid literal for int(): {}", quote(text))),
    }
}

fn quote(s: &str) -> String {
    let mut out = String::new();
    crate::format::write_quoted(&mut out, s);
    out
}

pub(crate) fn float_to_int(a: &[Value]) -> Fallible<Value> {
    let x = match arg(a, 0) {
        Value::Float(x) => x,
        Value::Int(i) => return Ok(Value::Int(i)),
        _ => return Err(super::operands::bad_operand(0, "Float")),
    };
    if x.is_nan() {
        return fail("cannot convert float NaN to integer");
    }
    if x.is_infinite() {
        return fail("cannot convert float infinity to integer");
    }
    let t = x.trunc();
    // i64::MAX as f64 rounds up to 2^63, which is out of range; -2^63 is exact and in range.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&t) {
        return fail(format!("float {} out of range for Int", float_to_string(x)));
    }
    Ok(Value::Int(t as i64))
}

pub(crate) fn parse_float(a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let text = s.as_str();
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    // Rust accepts "infinity"/"inf"/"nan" like Python; reject Rust-only forms such as "1_0".
    let parsed = if t.contains('_') {
        Err(())
    } else {
        t.parse::<f64>().map_err(|_| ())
    };
    match parsed {
        Ok(v) if !t.is_empty() => Ok(Value::Float(v)),
        _ if lower == "+nan" || lower == "-nan" => Ok(Value::Float(f64::NAN)),
        _ => fail(format!(
            "could not convert string to float: {}",
            quote(text)
        )),
    }
}

pub(crate) fn assert(a: &[Value]) -> Fallible<Value> {
    match arg(a, 0) {
        Value::Bool(true) => Ok(Value::None),
        Value::Bool(false) => match arg(a, 1) {
            Value::Obj(m) if m.kind() == ObjKind::Str => {
                fail(format!("assertion failed: {}", m.as_str()))
            }
            _ => fail("assertion failed"),
        },
        _ => Err(super::operands::bad_operand(0, "Bool")),
    }
}

pub(crate) fn args(cx: &mut NativeCx<'_>) -> Fallible<Value> {
    let list = cx.heap.alloc_str_list(cx.args.iter().map(|s| s.as_str()))?;
    Ok(Value::Obj(list))
}

/// The VM's one argument list, made immortal (`flags::IMMORTAL`) on first use: compiled
/// code only reads it (see `Native::ArgsView`), so its views are never counted. Allocated
/// outside any open arena, since it outlives every arena block; `Vm::release_constants`
/// frees it with the string constants.
pub(crate) fn args_view(cx: &mut NativeCx<'_>) -> Fallible<Value> {
    Ok(Value::Obj(immortal_argv(cx.heap, cx.args, cx.argv)?))
}

/// The list in `slot`, allocated there first if it is not yet (see `args_view`).
pub(crate) fn immortal_argv(
    heap: &mut Heap,
    args: &[String],
    slot: &mut Option<ObjRef>,
) -> Result<ObjRef, OutOfMemory> {
    if let Some(list) = *slot {
        return Ok(list);
    }
    let in_arena = heap.arena_active();
    heap.set_arena_active(false);
    let list = heap.alloc_str_list(args.iter().map(|s| s.as_str()));
    heap.set_arena_active(in_arena);
    let list = list?;
    heap.make_immortal(list);
    *slot = Some(list);
    Ok(list)
}

pub(crate) fn exit(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let code = int_arg(a, 0)?;
    // A process status is one byte: clamping or wrapping would turn `exit(-1)` or
    // `exit(256)` into a success (0) or into another code, so an out-of-range code fails.
    if !(0..=255).contains(&code) {
        return fail(format!("exit code {code} is out of range (0 to 255)"));
    }
    cx.out.flush();
    Err(Fault::Exit(code as i32))
}

/// `input(prompt)`: writes the prompt (if any) and flushes everything printed so far, as
/// Python's `input` does, then reads one line of standard input without its `\n` (or
/// `\r\n`); `None` at the end of the input. The line is read into an `io` zone buffer
/// charged as it grows, so an endless line (`< /dev/zero`) is out of memory (exit 3), not
/// an abort.
pub(crate) fn input(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    if let Some(prompt) = super::operands::opt_str_arg(a, 0)? {
        cx.out.write_str(prompt.as_str());
    }
    cx.out.flush();
    let mut bytes = Vec::new();
    let mut charge = stark_runtime::BufferCharge::new(stark_runtime::Zone::Io);
    let read = {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        super::stream::read_capped(cx.heap, &mut charge, &mut lock, &mut bytes, true)
    };
    // The buffer becomes the string's text, which the string is charged for.
    charge.refund_all(cx.heap);
    match read {
        Ok(()) => {}
        Err(Fault::Error(why)) => return fail(format!("cannot read standard input: {why}")),
        Err(e) => return Err(e),
    }
    if bytes.is_empty() {
        return Ok(Value::None);
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    match String::from_utf8(bytes) {
        Ok(line) => Ok(Value::Obj(cx.heap.alloc_str(line)?)),
        Err(_) => fail("cannot read standard input: it is not valid UTF-8"),
    }
}

/// `range(start, end[, step])` as a list.
pub(crate) fn range_list(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let (start, end, step) = match a.len() {
        1 => (0, int_arg(a, 0)?, 1),
        2 => (int_arg(a, 0)?, int_arg(a, 1)?, 1),
        _ => (int_arg(a, 0)?, int_arg(a, 1)?, int_arg(a, 2)?),
    };
    if step == 0 {
        return fail("range() step must not be zero");
    }
    let count: u64 = if step > 0 && end > start {
        ((end as i128 - start as i128 + step as i128 - 1) / step as i128) as u64
    } else if step < 0 && end < start {
        ((start as i128 - end as i128 + (-(step as i128)) - 1) / (-(step as i128))) as u64
    } else {
        0
    };
    let list = cx.heap.alloc_list(Vec::new())?;
    let count_usize = usize::try_from(count).unwrap_or(usize::MAX);
    if let Err(e) = cx.heap.list_reserve(list, count_usize) {
        // SAFETY: the list made above, owned only here.
        unsafe { cx.heap.decref_obj(list) };
        return Err(e.into());
    }
    // SAFETY: a list made above that nothing else has seen: this is the only borrow of its
    // body. (Its buffer was reserved and charged, so the pushes below never grow it.)
    let items = unsafe { list.list_mut() };
    let mut v = start as i128;
    for _ in 0..count {
        items.push(Value::Int(v as i64));
        v += step as i128;
    }
    Ok(Value::Obj(list))
}
