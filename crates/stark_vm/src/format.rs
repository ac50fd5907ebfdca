//! The text `print` and `str` show for a value (SPEC §4).

use stark_bytecode::instr::builtin_types;
use stark_bytecode::Module;
use stark_runtime::{MapKey, ObjKind, ObjRef, ProfileSnapshot, Value, ZoneSnapshot};
use std::fmt::Write;

/// Nesting beyond this prints `...`: it bounds Rust recursion on deep or cyclic structures.
const MAX_DEPTH: usize = 200;

/// Appends `v` as `print` shows it: strings raw at top level, quoted inside containers.
pub fn write_value(module: &Module, out: &mut String, v: Value) {
    write_nested(module, out, v, false, 0);
}

pub fn value_to_string(module: &Module, v: Value) -> String {
    let mut s = String::new();
    write_value(module, &mut s, v);
    s
}

fn write_nested(module: &Module, out: &mut String, v: Value, quoted: bool, depth: usize) {
    match v {
        Value::None => out.push_str("None"),
        Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => write_float(out, f),
        Value::Obj(o) => {
            if depth > MAX_DEPTH {
                out.push_str("...");
                return;
            }
            write_object(module, out, o, quoted, depth)
        }
    }
}

fn write_object(module: &Module, out: &mut String, o: ObjRef, quoted: bool, depth: usize) {
    match o.kind() {
        ObjKind::Str => {
            if quoted {
                write_quoted(out, o.as_str())
            } else {
                out.push_str(o.as_str())
            }
        }
        ObjKind::List => {
            out.push('[');
            for (i, item) in o.list().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_nested(module, out, *item, true, depth + 1);
            }
            out.push(']');
        }
        ObjKind::Map => {
            out.push('{');
            for (i, (k, v)) in o.map().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_key(out, k);
                out.push_str(": ");
                write_nested(module, out, *v, true, depth + 1);
            }
            out.push('}');
        }
        ObjKind::Tensor => crate::natives::tensor::write_tensor(out, o.tensor()),
        ObjKind::Dataset => {
            let d = o.dataset();
            out.push_str("Dataset(path=");
            write_quoted(out, &d.path);
            let _ = write!(out, ", rows={}, columns=[", d.rows);
            for (i, (name, _)) in d.columns.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_quoted(out, name);
            }
            out.push_str("])");
        }
        ObjKind::Stream => {
            let s = o.stream();
            out.push_str("Stream(path=");
            write_quoted(out, &s.path);
            let _ = write!(
                out,
                ", mode=\"{}\"{})",
                s.mode.name(),
                if s.closed { ", closed" } else { "" }
            );
        }
        ObjKind::Task => {
            let _ = write!(out, "Task({})", o.task().name);
        }
        ObjKind::Weak => {
            out.push_str(if o.weak_target().is_alive() {
                "WeakRef(alive)"
            } else {
                "WeakRef(dead)"
            });
        }
        ObjKind::Struct => {
            if o.type_id() == builtin_types::MEMORY_STATS && depth == 0 {
                if let Some(snapshot) = snapshot_of(o) {
                    out.push_str(&snapshot.render());
                    return;
                }
            }
            let info = module.structs.get(o.type_id() as usize);
            let name = info.map(|s| s.name.as_str()).unwrap_or("Struct");
            out.push_str(name);
            out.push('(');
            for (i, field) in o.fields().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if let Some(fname) = info.and_then(|s| s.fields.get(i)) {
                    out.push_str(fname);
                    out.push('=');
                }
                write_nested(module, out, *field, true, depth + 1);
            }
            out.push(')');
        }
    }
}

pub fn write_key(out: &mut String, k: &MapKey) {
    match k {
        MapKey::Int(i) => {
            let _ = write!(out, "{i}");
        }
        MapKey::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        MapKey::Str(s) => write_quoted(out, s),
    }
}

/// A map key as an error message names it: strings quoted, others plain.
pub fn key_to_string(k: &MapKey) -> String {
    let mut s = String::new();
    write_key(&mut s, k);
    s
}

/// A string inside a container: double quotes, with escapes.
pub fn write_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A float as Python's `repr` writes it: the shortest digits that round-trip, in fixed
/// notation when the decimal exponent is in `-4..16`, else scientific with a signed
/// two-digit (or longer) exponent.
pub fn write_float(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("nan");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x > 0.0 { "inf" } else { "-inf" });
        return;
    }
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-7", "1e16".
    write_sci(out, &format!("{x:e}"));
}

/// A tensor element (f32) the way `write_float` writes a Float, with the shortest digits
/// that round-trip *as an f32* (so `0.1` prints `0.1`, not `0.10000000149011612`).
pub fn write_f32(out: &mut String, x: f32) {
    if !x.is_finite() || x == 0.0 {
        write_float(out, x as f64);
        return;
    }
    write_sci(out, &format!("{x:e}"));
}

/// Python-repr layout of a nonzero finite number given as Rust's `{:e}` text.
fn write_sci(out: &mut String, sci: &str) {
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

pub fn float_to_string(x: f64) -> String {
    let mut s = String::new();
    write_float(&mut s, x);
    s
}

/// Reads a `MemoryStats` object back into a snapshot (for its table form).
fn snapshot_of(o: ObjRef) -> Option<ProfileSnapshot> {
    let f = o.fields();
    if f.len() != builtin_types::MEMORY_STATS_FIELDS.len() {
        return None;
    }
    let int = |v: Value| match v {
        Value::Int(i) => Some(i),
        _ => None,
    };
    let float = |v: Value| match v {
        Value::Float(x) => Some(x),
        _ => None,
    };
    let mut zones = Vec::new();
    if let Value::Obj(m) = f[3] {
        if m.kind() != ObjKind::Map {
            return None;
        }
        for (k, v) in m.map().iter() {
            let (MapKey::Str(name), Value::Obj(z)) = (k, v) else {
                return None;
            };
            if z.kind() != ObjKind::Struct
                || z.field_count() != builtin_types::ZONE_STATS_FIELDS.len()
            {
                return None;
            }
            let zf = z.fields();
            zones.push(ZoneSnapshot {
                name: name.to_string(),
                live_bytes: int(zf[0])?,
                live_objects: int(zf[1])?,
                allocations: int(zf[2])?,
                deallocations: int(zf[3])?,
                peak_bytes: int(zf[4])?,
                alloc_rate: float(zf[5])?,
                dealloc_rate: float(zf[6])?,
            });
        }
    }
    Some(ProfileSnapshot {
        total_bytes: int(f[0])?,
        live_objects: int(f[1])?,
        peak_bytes: int(f[2])?,
        zones,
        arena_bytes: int(f[4])?,
        collections: int(f[5])?,
        cycles_collected: int(f[6])?,
        gc_pause_max_us: int(f[7])?,
        tensor_pool_bytes: int(f[8])?,
    })
}
