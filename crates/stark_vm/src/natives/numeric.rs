//! The free functions of SPEC §5 on numbers and characters: `abs`, `min`, `max`, `sum`,
//! `round`, `ord`, `chr`, `hex`. Each follows Python's result and error where the static
//! types allow (docs/decisions.md, "Everyday built-ins").

use super::operands::{arg, bad_operand, int_arg, obj_arg, NativeCx};
use crate::error::{fail, Fallible};
use stark_runtime::{ObjKind, Value};

pub(crate) fn abs_int(a: &[Value]) -> Fallible<Value> {
    match int_arg(a, 0)?.checked_abs() {
        Some(v) => Ok(Value::Int(v)),
        None => fail("integer overflow"),
    }
}

pub(crate) fn abs_float(a: &[Value]) -> Fallible<Value> {
    Ok(Value::Float(float_arg(a, 0)?.abs()))
}

/// A Float operand (an Int one is converted, as lowering does).
pub(crate) fn float_arg(a: &[Value], i: usize) -> Fallible<f64> {
    match arg(a, i) {
        Value::Float(x) => Ok(x),
        Value::Int(v) => Ok(v as f64),
        _ => Err(bad_operand(i, "Float")),
    }
}

/// `min(…)` (`greater` false) or `max(…)`: of one list operand, or of every operand
/// (numbers, Strings, Bools or tuples of them). As
/// Python, a later value replaces the one kept only when strictly smaller (greater), so
/// the first of equal values wins and a NaN kept first stays.
pub(crate) fn extreme(cx: &mut NativeCx<'_>, a: &[Value], greater: bool) -> Fallible<Value> {
    let items: &[Value] = match a {
        [Value::Obj(l)] if l.kind() == ObjKind::List => l.list(),
        _ => a,
    };
    let Some((&first, rest)) = items.split_first() else {
        let name = if greater { "max" } else { "min" };
        return fail(format!("{name}() arg is an empty sequence"));
    };
    let mut best = first;
    for &v in rest {
        let better = match (v, best) {
            (Value::Int(x), Value::Int(y)) => {
                if greater {
                    x > y
                } else {
                    x < y
                }
            }
            (Value::Float(x), Value::Float(y)) => {
                if greater {
                    x > y
                } else {
                    x < y
                }
            }
            (Value::Obj(p), Value::Obj(q)) if p.kind() == ObjKind::Str => {
                let (x, y) = (p.as_str(), q.as_str());
                if greater {
                    x > y
                } else {
                    x < y
                }
            }
            // Bools and tuples (lexicographic; a NaN part is unordered: never better).
            (Value::Bool(_), Value::Bool(_)) | (Value::Obj(_), Value::Obj(_)) => {
                let want = if greater {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Less
                };
                crate::equality::values_order(v, best) == Some(want)
            }
            _ => return Err(bad_operand(0, "Int, Float, String, Bool or tuple")),
        };
        if better {
            best = v;
        }
    }
    cx.heap.incref(best);
    Ok(best)
}

/// `min(xs, default=d)` (`greater` false) or `max(…)`: `d` for an empty list. The checker
/// types an Int list with a Float default as a Float, so an Int winner becomes one.
pub(crate) fn extreme_or(cx: &mut NativeCx<'_>, a: &[Value], greater: bool) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let default = arg(a, 1);
    if l.list().is_empty() {
        cx.heap.incref(default);
        return Ok(default);
    }
    match (extreme(cx, &a[..1], greater)?, default) {
        (Value::Int(i), Value::Float(_)) => Ok(Value::Float(i as f64)),
        (best, _) => Ok(best),
    }
}

/// `sum(xs)` or `sum(xs, start)` of a `List<Int>`; overflow is a runtime error.
pub(crate) fn sum_int(a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let mut total: i64 = if a.len() > 1 { int_arg(a, 1)? } else { 0 };
    for v in l.list() {
        let Value::Int(x) = *v else {
            return Err(bad_operand(0, "List<Int>"));
        };
        match total.checked_add(x) {
            Some(t) => total = t,
            None => return fail("integer overflow"),
        }
    }
    Ok(Value::Int(total))
}

/// `sum(xs)` or `sum(xs, start)` of a `List<Float>` (or of a `List<Int>` from a Float
/// `start`), added left to right from `start` (as CPython 3.11; 3.12 compensates).
pub(crate) fn sum_float(a: &[Value]) -> Fallible<Value> {
    let l = obj_arg(a, 0, ObjKind::List)?;
    let mut total = if a.len() > 1 { float_arg(a, 1)? } else { 0.0 };
    for v in l.list() {
        match *v {
            Value::Float(x) => total += x,
            Value::Int(x) => total += x as f64,
            _ => return Err(bad_operand(0, "List<Float>")),
        }
    }
    Ok(Value::Float(total))
}

/// A Float as an Int, with Python's errors for NaN and infinity (and STARK's for a value
/// past the Int range).
pub(crate) fn float_to_int(x: f64) -> Fallible<Value> {
    super::core::float_to_int(&[Value::Float(x)])
}

/// `round(x) -> Int`: to the nearest Int, half to even.
pub(crate) fn round(a: &[Value]) -> Fallible<Value> {
    float_to_int(float_arg(a, 0)?.round_ties_even())
}

/// `round(x, n) -> Float`: `x` rounded to `n` decimal digits as Python does, half to even
/// on the exact binary value (`round(2.675, 2)` is 2.67, as 2.675 is a little below).
pub(crate) fn round_digits(a: &[Value]) -> Fallible<Value> {
    let x = float_arg(a, 0)?;
    let r = round_float(x, int_arg(a, 1)?);
    if r.is_infinite() && x.is_finite() {
        return fail("rounded value too large to represent");
    }
    Ok(Value::Float(r))
}

pub(crate) fn round_float(x: f64, n: i64) -> f64 {
    // CPython's limits: past 323 digits every double is exact; below -308 all round to 0.
    if !x.is_finite() || x == 0.0 || n > 323 {
        return x;
    }
    if n < -308 {
        return 0.0f64.copysign(x);
    }
    if n >= 0 {
        // Rust writes the exact binary value correctly rounded, ties to even.
        return format!("{:.*}", n as usize, x).parse().unwrap_or(x);
    }
    // To a multiple of 10^k: the integer part's exact digits, rounded at the k-th digit from
    // the right, ties (the digits below exactly 5000… and no fraction) to even.
    let k = (-n) as usize;
    let ax = x.abs();
    let digits = format!("{:.0}", ax.trunc());
    let has_fraction = ax.fract() != 0.0;
    let (head, tail) = if digits.len() > k {
        digits.split_at(digits.len() - k)
    } else {
        ("", digits.as_str())
    };
    let tail = format!("{tail:0>k$}");
    let half = format!("5{}", "0".repeat(k - 1));
    let up = match tail.as_str().cmp(half.as_str()) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => {
            has_fraction || head.bytes().last().is_some_and(|d| (d - b'0') % 2 == 1)
        }
    };
    let mut head: Vec<u8> = if head.is_empty() {
        vec![b'0']
    } else {
        head.bytes().collect()
    };
    if up {
        let mut i = head.len();
        loop {
            if i == 0 {
                head.insert(0, b'1');
                break;
            }
            i -= 1;
            if head[i] == b'9' {
                head[i] = b'0';
            } else {
                head[i] += 1;
                break;
            }
        }
    }
    let text = format!("{}e{k}", String::from_utf8(head).expect("ASCII digits"));
    let r: f64 = text.parse().unwrap_or(f64::INFINITY);
    r.copysign(x)
}

/// `round(x, n) -> Int` of an Int: `x` for `n >= 0`; otherwise the nearest multiple of
/// `10**-n`, half to even, as Python.
pub(crate) fn round_int_digits(a: &[Value]) -> Fallible<Value> {
    let x = int_arg(a, 0)?;
    let n = int_arg(a, 1)?;
    if n >= 0 {
        return Ok(Value::Int(x));
    }
    // |x| < 10^19: past 10^38 (i128's range) every Int rounds to 0.
    let Some(p) = u32::try_from(-(n as i128))
        .ok()
        .and_then(|k| 10i128.checked_pow(k))
    else {
        return Ok(Value::Int(0));
    };
    let ax = (x as i128).abs();
    let (mut q, r) = (ax / p, ax % p);
    if 2 * r > p || (2 * r == p && q % 2 == 1) {
        q += 1;
    }
    let v = q * p * if x < 0 { -1 } else { 1 };
    match i64::try_from(v) {
        Ok(v) => Ok(Value::Int(v)),
        Err(_) => fail("integer overflow"),
    }
}

/// `ord(c)`: the code point of a one-character string.
pub(crate) fn ord(a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let mut chars = s.as_str().chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(Value::Int(c as i64)),
        _ => fail(format!(
            "ord() expected a character, but string of length {} found",
            s.as_str().chars().count()
        )),
    }
}

/// `chr(i)`: the one-character string of code point `i`.
pub(crate) fn chr(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let i = int_arg(a, 0)?;
    if !(0..0x110000).contains(&i) {
        return fail("chr() arg not in range(0x110000)");
    }
    let Some(c) = char::from_u32(i as u32) else {
        return fail(format!(
            "chr() arg {i:#x} is a surrogate, which a String cannot hold"
        ));
    };
    Ok(Value::Obj(cx.heap.alloc_str(c.to_string())?))
}

/// `hex(n)`: `"0xff"`, `"-0xff"`.
pub(crate) fn hex(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let n = int_arg(a, 0)?;
    let sign = if n < 0 { "-" } else { "" };
    let text = format!("{sign}0x{:x}", n.unsigned_abs());
    Ok(Value::Obj(cx.heap.alloc_str(text)?))
}

#[cfg(test)]
mod tests {
    use super::round_float;

    /// Results of CPython 3.11's `round(x, n)`, bit for bit (the sign of zero included).
    #[test]
    fn round_to_digits_agrees_with_python() {
        let cases: &[(f64, i64, f64)] = &[
            (5e-324, 323, 0.0),
            (5e-324, 400, 5e-324),
            (0.5, 0, 0.0),
            (2.5, 0, 2.0),
            (-2.5, 0, -2.0),
            (2.675, 2, 2.67),
            (-4.0, -1, -0.0),
            (1e16 + 2.0, -1, 1e16),
            (123456789.123, -3, 123457000.0),
            (0.05, 1, 0.1),
            (0.15, 1, 0.1),
            (0.25, 1, 0.2),
            (1e-320, 322, 1e-320),
            (9.5, 0, 10.0),
            (-0.0, 2, -0.0),
            (1e22, -21, 1e22),
            (5e22, -23, 0.0),
            (4.9e22, -23, 0.0),
            (1.25, -400, 0.0),
            (1250.0, -2, 1200.0),
            (1350.0, -2, 1400.0),
            (-1250.0, -2, -1200.0),
            (999.0, -3, 1000.0),
        ];
        for &(x, n, want) in cases {
            let got = round_float(x, n);
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "round({x:?}, {n}) = {got:?}, not {want:?}"
            );
        }
        assert!(round_float(f64::NAN, 2).is_nan());
        assert_eq!(round_float(f64::INFINITY, -2), f64::INFINITY);
        // Python: "OverflowError: rounded value too large to represent" (`round_digits`).
        assert!(round_float(1.5e308, -308).is_infinite());
    }
}
