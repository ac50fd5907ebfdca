//! The text `print` and `str` show for a value (SPEC §4).

use stark_bytecode::instr::builtin_types;
use stark_bytecode::Module;
use stark_runtime::tensor::{for_each_offset, shape_str, DType, Scalar};
use stark_runtime::TensorBody;
use stark_runtime::{MapKey, ObjKind, ObjRef, ProfileSnapshot, Value, ZoneSnapshot};
use std::collections::HashSet;
use std::fmt::Write;

/// Appends `v` as `print` shows it: strings raw at top level, quoted inside containers.
///
/// A list, map or struct that is already being printed (one of its own elements leads back
/// to it) prints as `...`, as Python's `reprlib.recursive_repr` does, so cycles print
/// finitely. The walk keeps its own stack instead of recursing, so a million-deep acyclic
/// structure prints in full without overflowing the Rust stack.
pub fn write_value(module: &Module, out: &mut String, v: Value) {
    if let Value::Obj(o) = v {
        if o.kind() == ObjKind::Struct && o.type_id() == builtin_types::MEMORY_STATS {
            if let Some(snapshot) = snapshot_of(o) {
                out.push_str(&snapshot.render());
                return;
            }
        }
    }
    if write_closure(module, out, v) {
        return;
    }
    let Some(root) = write_item(out, v, false) else {
        return;
    };
    let mut walk = Walk::default();
    walk.open(module, out, root);
    while let Some(frame) = walk.stack.last_mut() {
        let Some(item) = frame.next(module, out) else {
            walk.close(module, out);
            continue;
        };
        if write_closure(module, out, item) {
            continue;
        }
        if let Some(c) = write_item(out, item, true) {
            if walk.in_progress(c) {
                out.push_str("...");
            } else {
                walk.open(module, out, c);
            }
        }
    }
}

pub fn value_to_string(module: &Module, v: Value) -> String {
    let mut s = String::new();
    write_value(module, &mut s, v);
    s
}

/// Up to this depth the open containers are found by scanning the stack; deeper, a set
/// answers instead, so printing stays linear on deep data while shallow prints (nearly
/// all of them) allocate nothing for it.
const SCAN_DEPTH: usize = 32;

/// The containers being printed, outermost first.
#[derive(Default)]
struct Walk {
    stack: Vec<Frame>,
    /// Every object on `stack`, filled only while it is deeper than `SCAN_DEPTH`.
    deep: HashSet<ObjRef>,
}

impl Walk {
    fn in_progress(&self, o: ObjRef) -> bool {
        if self.stack.len() > SCAN_DEPTH {
            self.deep.contains(&o)
        } else {
            self.stack.iter().any(|f| f.obj == o)
        }
    }

    /// Writes `o`'s opening text and makes it the innermost container.
    fn open(&mut self, module: &Module, out: &mut String, o: ObjRef) {
        match o.kind() {
            ObjKind::List => out.push('['),
            ObjKind::Map => out.push('{'),
            ObjKind::Struct if o.type_id() == builtin_types::TUPLE => out.push('('),
            _ => {
                let info = module.structs.get(o.type_id() as usize);
                out.push_str(info.map_or("Struct", |s| s.name.as_str()));
                // A variant without payload is its bare name (`Shape.Empty`).
                if !(info.is_some_and(|s| s.variant) && o.field_count() == 0) {
                    out.push('(');
                }
            }
        }
        self.stack.push(Frame { obj: o, next: 0 });
        match self.stack.len() {
            n if n == SCAN_DEPTH + 1 => self.deep.extend(self.stack.iter().map(|f| f.obj)),
            n if n > SCAN_DEPTH + 1 => {
                self.deep.insert(o);
            }
            _ => {}
        }
    }

    /// Writes the innermost container's closing bracket and leaves it.
    fn close(&mut self, module: &Module, out: &mut String) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let o = frame.obj;
        if o.kind() == ObjKind::Struct
            && o.type_id() == builtin_types::TUPLE
            && o.field_count() == 1
        {
            // `(1,)`, as Python writes a one-element tuple.
            out.push(',');
        }
        let bare = o.kind() == ObjKind::Struct
            && o.field_count() == 0
            && module
                .structs
                .get(o.type_id() as usize)
                .is_some_and(|s| s.variant);
        if !bare {
            out.push(match frame.obj.kind() {
                ObjKind::List => ']',
                ObjKind::Map => '}',
                _ => ')',
            });
        }
        if self.stack.len() == SCAN_DEPTH {
            self.deep.clear();
        } else if self.stack.len() > SCAN_DEPTH {
            self.deep.remove(&frame.obj);
        }
    }
}

/// A container being printed and how many of its parts are written.
struct Frame {
    obj: ObjRef,
    next: usize,
}

impl Frame {
    /// Writes the separator (and a map key or field name) before the next part and returns
    /// that part's value, or `None` when all are written. Printing runs no program code, so
    /// nothing can change the container between two calls.
    fn next(&mut self, module: &Module, out: &mut String) -> Option<Value> {
        let (i, o) = (self.next, self.obj);
        let sep = if i > 0 { ", " } else { "" };
        let v = match o.kind() {
            ObjKind::List => {
                let v = *o.list().get(i)?;
                out.push_str(sep);
                v
            }
            ObjKind::Map => {
                let (k, v) = o.map().get_index(i)?;
                out.push_str(sep);
                write_key(out, k);
                out.push_str(": ");
                *v
            }
            _ => {
                let v = *o.fields().get(i)?;
                out.push_str(sep);
                let info = module.structs.get(o.type_id() as usize);
                // `Ok(3)`, `Err("bad")`: `Result`'s one field goes unnamed, as Rust
                // prints it.
                let named = !matches!(
                    o.type_id(),
                    builtin_types::RESULT_OK | builtin_types::RESULT_ERR
                );
                if let Some(fname) = info.and_then(|s| s.fields.get(i)).filter(|_| named) {
                    out.push_str(fname);
                    out.push('=');
                }
                v
            }
        };
        self.next += 1;
        Some(v)
    }
}

/// Writes a function value (SPEC §7) as its layout's name, `<fn main.<lambda>>`: its
/// fields are a function index and captures, which are not the program's to see. Lowering
/// names every closure layout so (`stark_lower/src/closure.rs`), and no user struct name
/// can start with `<`.
fn write_closure(module: &Module, out: &mut String, v: Value) -> bool {
    let Value::Obj(o) = v else { return false };
    if o.kind() != ObjKind::Struct {
        return false;
    }
    match module.structs.get(o.type_id() as usize) {
        Some(s) if s.name.starts_with("<fn ") => {
            out.push_str(&s.name);
            true
        }
        _ => false,
    }
}

/// Writes `v` unless it is a list, map or struct (whose text holds other values' text and
/// can lead back to itself); that one is returned for the caller's walk to write.
fn write_item(out: &mut String, v: Value, quoted: bool) -> Option<ObjRef> {
    let o = match v {
        Value::None => {
            out.push_str("None");
            return None;
        }
        Value::Bool(b) => {
            out.push_str(if b { "true" } else { "false" });
            return None;
        }
        Value::Int(i) => {
            let _ = write!(out, "{i}");
            return None;
        }
        Value::Float(f) => {
            write_float(out, f);
            return None;
        }
        Value::Obj(o) => o,
    };
    match o.kind() {
        ObjKind::Str => {
            if quoted {
                write_quoted(out, o.as_str())
            } else {
                out.push_str(o.as_str())
            }
        }
        ObjKind::Tensor => write_tensor(out, o.tensor()),
        ObjKind::Dataset => crate::natives::dataset::table::write_dataset(out, o.dataset()),
        ObjKind::Column => crate::natives::dataset::table::write_column(out, o.column()),
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
        ObjKind::List | ObjKind::Map | ObjKind::Struct => return Some(o),
    }
    None
}

pub fn write_key(out: &mut String, k: &MapKey) {
    match k {
        MapKey::Int(i) => {
            let _ = write!(out, "{i}");
        }
        MapKey::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        MapKey::Str(s) => write_quoted(out, s),
        MapKey::Tuple(parts) => {
            out.push('(');
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_key(out, p);
            }
            if parts.len() == 1 {
                out.push(',');
            }
            out.push(')');
        }
    }
}

/// A map key as an error message names it: strings quoted, others plain.
pub fn key_to_string(k: &MapKey) -> String {
    let mut s = String::new();
    write_key(&mut s, k);
    s
}

/// A string inside a container: double quotes, with escapes.
/// `s` in double quotes with escapes, as a String prints inside a container.
pub fn quoted(s: &str) -> String {
    let mut out = String::new();
    write_quoted(&mut out, s);
    out
}

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
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-7", "1e16". When
    // that takes all 17 digits, the last one can be a tie between two strings that both
    // round-trip: Python's `repr` then gives the correctly rounded one (half to even, as
    // `%.17g`), which is what Rust's exact `{:.16e}` gives.
    let shortest = format!("{x:e}");
    let digits = shortest
        .split('e')
        .next()
        .map_or(0, |m| m.bytes().filter(u8::is_ascii_digit).count());
    if digits >= 17 {
        write_sci(out, &format!("{x:.16e}"));
    } else {
        write_sci(out, &shortest);
    }
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
        gc_pause_p99_us: int(f[8])?,
        tensor_pool_bytes: int(f[9])?,
    })
}

/// Above this many elements, printing shows the first and last `EDGE` items per dimension
/// with `...` between (NumPy's default threshold and edge items).
const THRESHOLD: usize = 1000;
const EDGE: usize = 3;

/// `Tensor([[1.0, 2.0], [3.0, 4.0]], shape=[2, 2])`, with `, dtype=int64` before the `)`
/// when the dtype is not float32; a 0-d tensor prints as its value (SPEC §8).
pub fn write_tensor(out: &mut String, t: &TensorBody) {
    let mut elems: Vec<Scalar> = Vec::with_capacity(t.numel().min(1 << 20));
    stark_runtime::with_dtype!(t.dtype, T => {
        let src = t.raw::<T>();
        for_each_offset(&t.shape, &t.strides, t.offset, |o| {
            elems.push(<T as stark_runtime::tensor::Num>::to_scalar(src[o]))
        });
    });
    if t.shape.is_empty() {
        if let Some(&x) = elems.first() {
            write_elem(out, t.dtype, x);
        }
        return;
    }
    out.push_str("Tensor(");
    let summarize = t.numel() > THRESHOLD;
    write_dim(out, t.dtype, &t.shape, &elems, summarize);
    let _ = write!(out, ", shape={}", shape_str(&t.shape));
    if t.dtype != DType::F32 {
        let _ = write!(out, ", dtype={}", t.dtype.name());
    }
    out.push(')');
}

/// One element as `print` shows an Int, Bool or Float (a float32 in its shortest f32 form).
pub fn write_elem(out: &mut String, dtype: DType, x: Scalar) {
    match (dtype, x) {
        (DType::F32, s) => write_f32(out, s.as_f64() as f32),
        (_, Scalar::F(f)) => write_float(out, f),
        (_, Scalar::I(i)) => {
            let _ = write!(out, "{i}");
        }
        (_, Scalar::B(b)) => out.push_str(if b { "true" } else { "false" }),
    }
}

fn write_dim(out: &mut String, dtype: DType, shape: &[usize], data: &[Scalar], summarize: bool) {
    let n = shape[0];
    let inner: usize = shape[1..].iter().product();
    out.push('[');
    let mut first = true;
    let mut item = |out: &mut String, i: usize| {
        if !std::mem::take(&mut first) {
            out.push_str(", ");
        }
        if shape.len() == 1 {
            write_elem(out, dtype, data[i]);
        } else {
            write_dim(
                out,
                dtype,
                &shape[1..],
                &data[i * inner..(i + 1) * inner],
                summarize,
            );
        }
    };
    if summarize && n > 2 * EDGE {
        for i in 0..EDGE {
            item(out, i);
        }
        out.push_str(", ...");
        for i in n - EDGE..n {
            item(out, i);
        }
    } else {
        for i in 0..n {
            item(out, i);
        }
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use stark_runtime::tensor_pool::TensorBuf;

    fn show(shape: Vec<usize>, values: Vec<f32>) -> String {
        let t = TensorBody::owned(DType::F32, shape, TensorBuf::from_slice(&values).unwrap());
        let mut s = String::new();
        write_tensor(&mut s, &t);
        s
    }

    #[test]
    fn prints_small_tensors_whole() {
        assert_eq!(
            show(vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]),
            "Tensor([[1.0, 2.0], [3.0, 4.0]], shape=[2, 2])"
        );
        assert_eq!(
            show(vec![3], vec![0.1, -2.5, 1e-7]),
            "Tensor([0.1, -2.5, 1e-07], shape=[3])"
        );
        assert_eq!(show(vec![], vec![7.0]), "7.0");
        assert_eq!(show(vec![0], vec![]), "Tensor([], shape=[0])");
        assert_eq!(show(vec![2, 0], vec![]), "Tensor([[], []], shape=[2, 0])");
    }

    #[test]
    fn abbreviates_large_tensors() {
        let v: Vec<f32> = (0..1001).map(|i| i as f32).collect();
        assert_eq!(
            show(vec![1001], v),
            "Tensor([0.0, 1.0, 2.0, ..., 998.0, 999.0, 1000.0], shape=[1001])"
        );
        let v: Vec<f32> = (0..2000).map(|i| i as f32).collect();
        let s = show(vec![2, 1000], v);
        assert!(s.starts_with("Tensor([[0.0, 1.0, 2.0, ..., 997.0, 998.0, 999.0], [1000.0, 1001.0, 1002.0, ..., 1997.0"), "{s}");
        assert!(s.ends_with("1999.0]], shape=[2, 1000])"), "{s}");
    }
}
