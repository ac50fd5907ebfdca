//! f-string format specs at run time: one value formatted by a spec the compiler parsed
//! and checked (`stark_syntax::format_spec`), with the results Python's `format(value,
//! spec)` gives. Numbers are assembled as CPython does: a sign, a prefix (`0x`), the
//! integer digits (grouped by `,`/`_`, zero-padded to the width under the `0` flag) and a
//! remainder (the fraction, the exponent, `%`), then padded to the width.

use crate::error::{fail, Fallible};
use crate::format::{float_to_string, write_value};
use stark_bytecode::Module;
use stark_runtime::{ObjKind, Value};
use stark_syntax::{Align, FormatSpec, Sign};

/// Appends `v` formatted by `spec`.
pub fn write_spec(out: &mut String, module: &Module, v: Value, spec: &FormatSpec) -> Fallible<()> {
    match v {
        Value::Int(i) => match spec.ty {
            Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%') => write_float(out, i as f64, spec),
            _ => write_int(out, i, spec),
        },
        Value::Float(x) => write_float(out, x, spec),
        Value::Obj(o) if o.kind() == ObjKind::Str => {
            write_text(out, o.as_str(), spec);
            Ok(())
        }
        // The checker lets only Int, Float and String have a spec; anything else pads its
        // printed form.
        other => {
            let mut text = String::new();
            write_value(module, &mut text, other);
            write_text(out, &text, spec);
            Ok(())
        }
    }
}

/// A String: truncated to the precision, then padded (left-aligned by default).
fn write_text(out: &mut String, text: &str, spec: &FormatSpec) {
    let text = match spec.precision {
        Some(p) => match text.char_indices().nth(p) {
            Some((b, _)) => &text[..b],
            None => text,
        },
        None => text,
    };
    let len = text.chars().count();
    let pad = spec.width.saturating_sub(len);
    let (left, right) = match spec.alignment(false) {
        Align::Left => (0, pad),
        Align::Right | Align::AfterSign => (pad, 0),
        Align::Center => (pad / 2, pad - pad / 2),
    };
    let fill = spec.fill_char();
    out.extend(std::iter::repeat_n(fill, left));
    out.push_str(text);
    out.extend(std::iter::repeat_n(fill, right));
}

/// The sign a number shows: `-` when negative, else what the spec asks for.
fn sign_of(negative: bool, spec: &FormatSpec) -> &'static str {
    if negative {
        return "-";
    }
    match spec.sign {
        Some(Sign::Plus) => "+",
        Some(Sign::Space) => " ",
        _ => "",
    }
}

fn write_int(out: &mut String, i: i64, spec: &FormatSpec) -> Fallible<()> {
    let mag = i.unsigned_abs();
    if spec.ty == Some('c') {
        let Some(c) = u32::try_from(i).ok().and_then(char::from_u32) else {
            return fail(format!(
                "format type `c` needs a Unicode code point (0 to 0x10FFFF, not a surrogate), not {i}"
            ));
        };
        let mut s = [0u8; 4];
        assemble(out, spec, "", "", "", c.encode_utf8(&mut s), 3);
        return Ok(());
    }
    let (digits, prefix, group) = match spec.ty {
        Some('b') => (format!("{mag:b}"), "0b", 4),
        Some('o') => (format!("{mag:o}"), "0o", 4),
        Some('x') => (format!("{mag:x}"), "0x", 4),
        Some('X') => (format!("{mag:X}"), "0X", 4),
        _ => (mag.to_string(), "", 3),
    };
    let prefix = if spec.alternate { prefix } else { "" };
    assemble(out, spec, sign_of(i < 0, spec), prefix, &digits, "", group);
    Ok(())
}

fn write_float(out: &mut String, x: f64, spec: &FormatSpec) -> Fallible<()> {
    let mut ty = spec.ty;
    let mut x = x;
    let percent = ty == Some('%');
    if percent {
        x *= 100.0;
        ty = Some('f');
    }
    if ty == Some('n') {
        ty = Some('g');
    }
    let upper = matches!(ty, Some('E' | 'F' | 'G'));
    let abs = x.abs();
    let mut body = if !x.is_finite() {
        if x.is_nan() {
            "nan".to_string()
        } else {
            "inf".to_string()
        }
    } else {
        match (ty, spec.precision) {
            (None, None) => float_to_string(abs),
            (None, Some(p)) => general(abs, p, spec.alternate, true),
            (Some('g' | 'G'), p) => general(abs, p.unwrap_or(6), spec.alternate, false),
            (Some('e' | 'E'), p) => exponent(abs, p.unwrap_or(6), spec.alternate),
            (_, p) => {
                let p = p.unwrap_or(6);
                let mut s = format!("{abs:.p$}");
                if spec.alternate && p == 0 {
                    s.push('.');
                }
                s
            }
        }
    };
    if upper {
        body.make_ascii_uppercase();
    }
    if percent {
        body.push('%');
    }
    // Python never shows a NaN's sign; `z` drops the sign of a zero after rounding.
    let mut negative = x.is_sign_negative() && !x.is_nan();
    if negative
        && spec.no_neg_zero
        && x.is_finite()
        && !body.bytes().any(|b| (b'1'..=b'9').contains(&b))
    {
        negative = false;
    }
    let split = body.bytes().take_while(u8::is_ascii_digit).count();
    let (digits, rest) = body.split_at(split);
    assemble(out, spec, sign_of(negative, spec), "", digits, rest, 3);
    Ok(())
}

/// `e` format: `d.ddde+XX` with `p` decimals and at least two exponent digits.
fn exponent(abs: f64, p: usize, alternate: bool) -> String {
    let s = format!("{abs:.p$e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let dot = if alternate && p == 0 { "." } else { "" };
    format!(
        "{mantissa}{dot}e{}{:02}",
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    )
}

/// `g` format with `p` significant digits (and the spec-less form with a precision,
/// `add_dot_0`: a fixed result keeps one decimal, and exponents start one digit sooner),
/// as CPython's `format_float_short`.
fn general(abs: f64, p: usize, alternate: bool, add_dot_0: bool) -> String {
    let p = p.max(1);
    // The exponent after rounding to `p` significant digits.
    let sci = format!("{abs:.prec$e}", prec = p - 1);
    let exp: i64 = sci
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let limit = if add_dot_0 { p as i64 - 1 } else { p as i64 };
    let decpt = exp + 1;
    // Zero has one digit before the point, as in CPython (`format(0.0, '.1')` is `0e+00`).
    if decpt <= -4 || decpt > limit {
        let (mantissa, _) = sci.split_once('e').unwrap_or((&sci, ""));
        let mut m = mantissa.to_string();
        if !alternate {
            trim_zeros(&mut m);
        } else if !m.contains('.') {
            m.push('.');
        }
        return format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    let decimals = (p as i64 - 1 - exp).max(0) as usize;
    let mut s = format!("{abs:.decimals$}");
    if alternate {
        if !s.contains('.') {
            s.push('.');
        }
    } else {
        trim_zeros(&mut s);
        if add_dot_0 && !s.contains('.') {
            s.push_str(".0");
        }
    }
    s
}

/// Drops trailing zeros after a decimal point, and the point if nothing follows it.
fn trim_zeros(s: &mut String) {
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
}

/// Writes `sign prefix digits rest` padded to the spec's width: digits grouped by the
/// separator every `group` digits, and under zero padding (`0` fill with `=` alignment)
/// padded with grouped zeros, as CPython's `_PyUnicode_InsertThousandsGrouping` does.
fn assemble(
    out: &mut String,
    spec: &FormatSpec,
    sign: &str,
    prefix: &str,
    digits: &str,
    rest: &str,
    group: usize,
) {
    let fill = spec.fill_char();
    let align = spec.alignment(true);
    let fixed = sign.len() + prefix.len() + rest.chars().count();
    let zero_pad = fill == '0' && align == Align::AfterSign && !digits.is_empty();
    let min_width = if zero_pad {
        spec.width as isize - fixed as isize
    } else {
        0
    };
    let grouped = group_digits(digits, spec.grouping, group, min_width);
    let len = fixed + grouped.len();
    let pad = spec.width.saturating_sub(len);
    let (left, middle, right) = match align {
        Align::Left => (0, 0, pad),
        Align::Right => (pad, 0, 0),
        Align::Center => (pad / 2, 0, pad - pad / 2),
        Align::AfterSign => (0, pad, 0),
    };
    out.extend(std::iter::repeat_n(fill, left));
    out.push_str(sign);
    out.push_str(prefix);
    out.extend(std::iter::repeat_n(fill, middle));
    out.push_str(&grouped);
    out.push_str(rest);
    out.extend(std::iter::repeat_n(fill, right));
}

/// `digits` (ASCII) with `sep` every `size` digits from the right, widened with leading
/// zeros to at least `min_width` characters.
fn group_digits(digits: &str, sep: Option<char>, size: usize, min_width: isize) -> String {
    if digits.is_empty() {
        return String::new();
    }
    let Some(sep) = sep else {
        let zeros = (min_width - digits.len() as isize).max(0) as usize;
        let mut s = "0".repeat(zeros);
        s.push_str(digits);
        return s;
    };
    let size = size as isize;
    let mut groups: Vec<String> = Vec::new();
    let mut remaining = digits.len() as isize;
    let mut min_width = min_width;
    loop {
        let len = size.min(remaining.max(min_width).max(1));
        let zeros = (len - remaining).max(0) as usize;
        let chars = remaining.min(len).max(0);
        let end = remaining as usize;
        let start = (remaining - chars) as usize;
        let mut g = "0".repeat(zeros);
        g.push_str(&digits[start..end]);
        groups.push(g);
        remaining -= chars;
        min_width -= len;
        if remaining <= 0 && min_width <= 0 {
            break;
        }
        min_width -= 1;
    }
    groups.reverse();
    groups.join(&sep.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(v: Value, spec: &str) -> String {
        let module = Module {
            functions: Vec::new(),
            structs: Vec::new(),
            strings: Vec::new(),
            formats: Vec::new(),
            main: 0,
        };
        let spec = FormatSpec::parse(spec).expect("a valid spec");
        let mut out = String::new();
        write_spec(&mut out, &module, v, &spec).expect("formats");
        out
    }

    #[test]
    fn matches_python() {
        // Each expected text is what CPython 3.11's `format(value, spec)` returns.
        assert_eq!(fmt(Value::Float(3.14159), ".2f"), "3.14");
        assert_eq!(fmt(Value::Int(42), ">8"), "      42");
        assert_eq!(fmt(Value::Int(42), "08d"), "00000042");
        assert_eq!(fmt(Value::Int(-42), "08d"), "-0000042");
        assert_eq!(fmt(Value::Int(1234567), ","), "1,234,567");
        assert_eq!(fmt(Value::Int(1234), "010,"), "00,001,234");
        assert_eq!(fmt(Value::Int(1234), "08,"), "0,001,234");
        assert_eq!(fmt(Value::Int(-255), "#010_x"), "-0x00_00ff");
        assert_eq!(fmt(Value::Float(12345.678), ".3e"), "1.235e+04");
        assert_eq!(fmt(Value::Float(0.125), ".1%"), "12.5%");
        assert_eq!(fmt(Value::Int(255), "x"), "ff");
        assert_eq!(fmt(Value::Float(123.0), ".3"), "1.23e+02");
        assert_eq!(fmt(Value::Float(1.5), ".3"), "1.5");
        assert_eq!(fmt(Value::Float(1.0), "#g"), "1.00000");
        assert_eq!(fmt(Value::Float(1.0), "#.0e"), "1.e+00");
        assert_eq!(fmt(Value::Float(-0.0001), "z.2f"), "0.00");
        assert_eq!(fmt(Value::Float(f64::NEG_INFINITY), "010,"), "-000000inf");
        assert_eq!(fmt(Value::Float(1e16), ""), "1e+16");
        assert_eq!(fmt(Value::Int(65), "05c"), "0000A");
        assert_eq!(fmt(Value::Float(1234.5), "010,.1f"), "0,001,234.5");
    }
}
