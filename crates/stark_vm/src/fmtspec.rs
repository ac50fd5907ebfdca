//! f-string format specs at run time: one value formatted by a spec the compiler parsed
//! and checked (`stark_syntax::format_spec`), with the results Python's `format(value,
//! spec)` gives. Numbers are assembled as CPython does: a sign, a prefix (`0x`), the
//! integer digits (grouped by `,`/`_`, zero-padded to the width under the `0` flag) and a
//! remainder (the fraction, the exponent, `%`), then padded to the width.

use crate::error::{fail, Fallible};
use crate::format::write_value;
use stark_bytecode::Module;
use stark_runtime::{push_str_short, ObjKind, Value};
use stark_syntax::{Align, Conversion, FieldFormat, FieldSpec, FormatSpec, Sign, SpecTarget};
use std::fmt::Write as _;

/// Writes an f-string's operands, `a[i]` by `specs[i]`; an operand with a nested spec takes
/// the operands after it as the spec's fields (the verifier checked they are there).
pub fn write_fields(
    out: &mut String,
    module: &Module,
    specs: &[FieldFormat],
    a: &[Value],
) -> Fallible<()> {
    let mut i = 0;
    while i < a.len() {
        let Some(f) = specs.get(i) else {
            return fail(format!(
                "internal error: no format for f-string operand {i}"
            ));
        };
        if !f.lit.is_empty() {
            push_str_short(out, &f.lit);
        }
        let FieldSpec::Nested(pieces) = &f.spec else {
            write_field(out, module, a[i], f)?;
            i += 1;
            continue;
        };
        let mut text = String::new();
        let mut k = i + 1;
        for piece in pieces {
            match piece {
                Some(lit) => text.push_str(lit),
                None => {
                    let (Some(&v), Some(field)) = (a.get(k), specs.get(k)) else {
                        return fail("internal error: a nested format field is missing");
                    };
                    write_field(&mut text, module, v, field)?;
                    k += 1;
                }
            }
        }
        write_nested(out, module, a[i], f.conv, &text)?;
        i = k;
    }
    Ok(())
}

/// One operand by its conversion and its spec as the compiler parsed it.
#[inline]
fn write_field(out: &mut String, module: &Module, v: Value, f: &FieldFormat) -> Fallible<()> {
    let spec = match &f.spec {
        FieldSpec::Static(spec) => Some(spec),
        FieldSpec::None | FieldSpec::Nested(_) => None,
    };
    match (f.conv, spec) {
        (None, Some(spec)) => write_spec(out, module, v, spec)?,
        // The literal text between the holes, and strings without a spec: as they are.
        (None, None) => match v {
            Value::Obj(o) if o.kind() == ObjKind::Str => push_str_short(out, o.as_str()),
            _ => write_value(module, out, v),
        },
        (Some(conv), Some(spec)) => {
            let mut text = String::new();
            convert(&mut text, module, v, conv);
            write_text(out, &text, text.is_ascii(), spec);
        }
        (Some(conv), None) => convert(out, module, v, conv),
    }
    Ok(())
}

/// A value by the spec `text` its nested fields built: parsed and checked against the
/// value's type here, a bad one failing with CPython's message.
fn write_nested(
    out: &mut String,
    module: &Module,
    v: Value,
    conv: Option<Conversion>,
    text: &str,
) -> Fallible<()> {
    let converted = conv.map(|conv| {
        let mut s = String::new();
        convert(&mut s, module, v, conv);
        s
    });
    let target = match (&converted, v) {
        (None, Value::Int(_)) => SpecTarget::Int,
        (None, Value::Float(_)) => SpecTarget::Float,
        _ => SpecTarget::Str,
    };
    let spec = match FormatSpec::parse(text).and_then(|spec| spec.check(target).map(|()| spec)) {
        Ok(spec) => spec,
        Err(why) => return fail(why.python(text, target)),
    };
    match converted {
        Some(s) => write_text(out, &s, s.is_ascii(), &spec),
        None => write_spec(out, module, v, &spec)?,
    }
    Ok(())
}

/// `!s`, `!r` or `!a` of a value: a String's `repr` is Python's (quoted, escaped); any
/// other value shows as `str` shows it, which already quotes the Strings inside it.
fn convert(out: &mut String, module: &Module, v: Value, conv: Conversion) {
    match (conv, v) {
        (Conversion::Str, _) => write_value(module, out, v),
        (_, Value::Obj(o)) if o.kind() == ObjKind::Str => {
            write_str_repr(out, o.as_str(), conv == Conversion::Ascii)
        }
        (Conversion::Repr, _) => write_value(module, out, v),
        (Conversion::Ascii, _) => {
            let mut text = String::new();
            write_value(module, &mut text, v);
            for c in text.chars() {
                if c.is_ascii() {
                    out.push(c);
                } else {
                    push_escape(out, c);
                }
            }
        }
    }
}

/// Python's `repr` of a String (`ascii` escapes every non-ASCII character too): in single
/// quotes unless it holds one and no double quote; `\`, the quote, `\t`, `\n`, `\r`
/// and every character Unicode does not call printable escaped.
pub fn write_str_repr(out: &mut String, s: &str, ascii: bool) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c if !c.is_ascii() && !ascii && printable(c) => out.push(c),
            c => push_escape(out, c),
        }
    }
    out.push(quote);
}

/// `\xNN`, `\uNNNN` or `\UNNNNNNNN`, as Python escapes a character.
fn push_escape(out: &mut String, c: char) {
    let n = c as u32;
    let _ = if n <= 0xff {
        write!(out, "\\x{n:02x}")
    } else if n <= 0xffff {
        write!(out, "\\u{n:04x}")
    } else {
        write!(out, "\\U{n:08x}")
    };
}

/// Whether Python's `repr` shows a non-ASCII character as it is: Unicode does not class it
/// Other or Separator (`str.isprintable`). Rust's `escape_debug` leaves a character that
/// is not first in its string alone by exactly that definition.
fn printable(c: char) -> bool {
    let mut pair = String::with_capacity(5);
    pair.push('a');
    pair.push(c);
    let mut escaped = pair.escape_debug().skip(1);
    escaped.next() == Some(c) && escaped.next().is_none()
}

/// Appends `v` formatted by `spec`.
#[inline]
pub fn write_spec(out: &mut String, module: &Module, v: Value, spec: &FormatSpec) -> Fallible<()> {
    match v {
        Value::Int(i) => match spec.ty {
            Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%') => write_float(out, i as f64, spec),
            None | Some('d') if i >= 0 && plain_number(spec) => {
                write_plain_int(out, i.unsigned_abs(), spec);
                Ok(())
            }
            _ => write_int(out, i, spec),
        },
        Value::Float(x) => write_float(out, x, spec),
        Value::Obj(o) if o.kind() == ObjKind::Str => {
            write_text(out, o.as_str(), o.str_is_ascii(), spec);
            Ok(())
        }
        // The checker lets only Int, Float and String have a spec; anything else pads its
        // printed form.
        other => {
            let mut text = String::new();
            write_value(module, &mut text, other);
            write_text(out, &text, text.is_ascii(), spec);
            Ok(())
        }
    }
}

/// A String: truncated to the precision, then padded (left-aligned by default).
fn write_text(out: &mut String, text: &str, ascii: bool, spec: &FormatSpec) {
    let text = match spec.precision {
        Some(p) if ascii => &text[..p.min(text.len())],
        Some(p) => match text.char_indices().nth(p) {
            Some((b, _)) => &text[..b],
            None => text,
        },
        None => text,
    };
    let len = if ascii {
        text.len()
    } else {
        text.chars().count()
    };
    let pad = spec.width.saturating_sub(len);
    let (left, right) = match spec.alignment(false) {
        Align::Left => (0, pad),
        Align::Right | Align::AfterSign => (pad, 0),
        Align::Center => (pad / 2, pad - pad / 2),
    };
    let fill = spec.fill_char();
    push_fill(out, fill, left);
    push_str_short(out, text);
    push_fill(out, fill, right);
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
    let (base, prefix, group) = match spec.ty {
        Some('b') => (2, "0b", 4),
        Some('o') => (8, "0o", 4),
        Some('x') => (16, "0x", 4),
        Some('X') => (16, "0X", 4),
        _ => (10, "", 3),
    };
    let mut buf = [0u8; 64];
    let digits = digits_in(&mut buf, mag, base, spec.ty == Some('X'));
    let prefix = if spec.alternate { prefix } else { "" };
    assemble(out, spec, sign_of(i < 0, spec), prefix, digits, "", group);
    Ok(())
}

/// `mag` in `base` (2, 8, 10 or 16), written at the end of `buf`.
#[inline]
fn digits_in(buf: &mut [u8; 64], mut mag: u64, base: u64, upper: bool) -> &str {
    let table: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut at = buf.len();
    if base == 10 {
        // Decimal, the usual case: two digits per step from a table of the pairs, with a
        // constant divisor (a multiply, not a division).
        const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
            2021222324252627282930313233343536373839\
            4041424344454647484950515253545556575859\
            6061626364656667686970717273747576777879\
            8081828384858687888990919293949596979899";
        while mag >= 100 {
            let pair = 2 * (mag % 100) as usize;
            mag /= 100;
            at -= 2;
            buf[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        }
        if mag >= 10 {
            let pair = 2 * mag as usize;
            at -= 2;
            buf[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        } else {
            at -= 1;
            buf[at] = b'0' + mag as u8;
        }
    } else {
        loop {
            at -= 1;
            buf[at] = table[(mag % base) as usize];
            mag /= base;
            if mag == 0 {
                break;
            }
        }
    }
    // SAFETY: only bytes of `table` and `PAIRS`, ASCII digits and letters, were written from
    // `at` on, and ASCII is valid UTF-8.
    unsafe { std::str::from_utf8_unchecked(&buf[at..]) }
}

/// Whether a number without a sign (not negative) formatted by `spec` is just its digits,
/// padded: no sign, prefix or alternate form asked for, and no zero padding to group (the
/// grouped zeros of `{n:010,}`). Then [`write_plain_int`] and [`write_plain_fixed`] build it
/// in a stack buffer and pad it, instead of the general layout in [`assemble`] (an
/// f-string's usual fields, `{n:>9}`, `{n:03d}`, `{n:,}`, `{x:8.3f}`, cost about half).
#[inline(always)]
fn plain_number(spec: &FormatSpec) -> bool {
    matches!(spec.sign, None | Some(Sign::Minus))
        && !spec.alternate
        && (spec.grouping.is_none()
            || spec.fill_char() != '0'
            || spec.alignment(true) != Align::AfterSign)
}

/// A non-negative Int in decimal under a [`plain_number`] spec (type `d` or none).
#[inline]
fn write_plain_int(out: &mut String, mag: u64, spec: &FormatSpec) {
    let mut buf = [0u8; 64];
    let digits = digits_in(&mut buf, mag, 10, false);
    let Some(sep) = spec.grouping else {
        pad_number(out, spec, digits);
        return;
    };
    // At most 20 digits and 6 separators (`sep` is `,` or `_`, one byte).
    let mut grouped = [0u8; 32];
    let mut at = grouped.len();
    for (k, d) in digits.bytes().rev().enumerate() {
        if k > 0 && k % 3 == 0 {
            at -= 1;
            grouped[at] = sep as u8;
        }
        at -= 1;
        grouped[at] = d;
    }
    // SAFETY: only ASCII digits and the ASCII separator were written from `at` on.
    pad_number(out, spec, unsafe {
        std::str::from_utf8_unchecked(&grouped[at..])
    });
}

/// A non-negative, finite Float in `f` format with `p` decimals under a [`plain_number`]
/// spec without grouping, when `fixed`'s exact case applies (`x * 10^p` a whole number
/// below 2^53); `false` otherwise, with nothing written.
fn write_plain_fixed(out: &mut String, x: f64, p: usize, spec: &FormatSpec) -> bool {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    if p >= POW10.len() {
        return false;
    }
    let scaled = x * POW10[p];
    if !(scaled < 9_007_199_254_740_992.0 && (scaled as u64) as f64 == scaled) {
        return false;
    }
    let mut buf = [0u8; 64];
    let digits = digits_in(&mut buf, scaled as u64, 10, false).as_bytes();
    // At most 16 digits, a point and 15 leading zeros.
    let mut text = [b'0'; 40];
    let len = if p == 0 {
        text[..digits.len()].copy_from_slice(digits);
        digits.len()
    } else if digits.len() > p {
        let int = digits.len() - p;
        text[..int].copy_from_slice(&digits[..int]);
        text[int] = b'.';
        text[int + 1..=digits.len()].copy_from_slice(&digits[int..]);
        digits.len() + 1
    } else {
        // `0.` and zeros up to the digits (`text` is zeros already).
        text[1] = b'.';
        let len = 2 + p;
        text[len - digits.len()..len].copy_from_slice(digits);
        len
    };
    // SAFETY: only ASCII digits and `.` are in `text[..len]`.
    pad_number(out, spec, unsafe {
        std::str::from_utf8_unchecked(&text[..len])
    });
    true
}

/// `text` (ASCII) padded to the spec's width by its fill, aligned as a number is (right by
/// default; `=` pads before the digits, as there is no sign).
#[inline]
fn pad_number(out: &mut String, spec: &FormatSpec, text: &str) {
    let pad = spec.width.saturating_sub(text.len());
    if pad == 0 {
        push_str_short(out, text);
        return;
    }
    let (left, right) = match spec.alignment(true) {
        Align::Left => (0, pad),
        Align::Right | Align::AfterSign => (pad, 0),
        Align::Center => (pad / 2, pad - pad / 2),
    };
    let fill = spec.fill_char();
    out.reserve(text.len() + pad * fill.len_utf8());
    push_fill(out, fill, left);
    push_str_short(out, text);
    push_fill(out, fill, right);
}

fn write_float(out: &mut String, x: f64, spec: &FormatSpec) -> Fallible<()> {
    if matches!(spec.ty, Some('f' | 'F'))
        && x >= 0.0
        && !x.is_sign_negative()
        && spec.grouping.is_none()
        && plain_number(spec)
        && write_plain_fixed(out, x, spec.precision.unwrap_or(6), spec)
    {
        return Ok(());
    }
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
    let mut body = BODY.take();
    body.clear();
    if !x.is_finite() {
        body.push_str(if x.is_nan() { "nan" } else { "inf" });
    } else {
        match (ty, spec.precision) {
            (None, None) => write_repr(&mut body, abs),
            (None, Some(p)) => general(&mut body, abs, p, spec.alternate, true),
            (Some('g' | 'G'), p) => general(&mut body, abs, p.unwrap_or(6), spec.alternate, false),
            (Some('e' | 'E'), p) => exponent(&mut body, abs, p.unwrap_or(6), spec.alternate),
            (_, p) => {
                let p = p.unwrap_or(6);
                fixed(&mut body, abs, p);
                if spec.alternate && p == 0 {
                    body.push('.');
                }
            }
        }
    }
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
    if body.capacity() <= 4096 {
        BODY.set(body);
    }
    Ok(())
}

thread_local! {
    /// The text of the number being formatted, reused from one number to the next.
    static BODY: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
}

/// `f` format of a non-negative finite float with `p` decimals, correctly rounded. When
/// `abs * 10^p` is a whole number below 2^53 the digits are that integer's (the product of
/// the float and the exact power of ten can only round onto an integer the true product is
/// within an ulp of, and then that integer is the correctly rounded answer); Rust's exact
/// formatting would otherwise fall back to its slow bignum path for such values (`7.25`
/// with `.3f`).
fn fixed(out: &mut String, abs: f64, p: usize) {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    if p < POW10.len() {
        let scaled = abs * POW10[p];
        // Whole (a round trip through u64 keeps it; `fract` would call `trunc`) and exact.
        if scaled < 9_007_199_254_740_992.0 && (scaled as u64) as f64 == scaled {
            let mut buf = [0u8; 64];
            let digits = digits_in(&mut buf, scaled as u64, 10, false);
            if p == 0 {
                push_str_short(out, digits);
                return;
            }
            if digits.len() > p {
                let (int, frac) = digits.split_at(digits.len() - p);
                push_str_short(out, int);
                out.push('.');
                push_str_short(out, frac);
            } else {
                push_str_short(out, "0.");
                push_fill(out, '0', p - digits.len());
                push_str_short(out, digits);
            }
            return;
        }
    }
    let _ = write!(out, "{abs:.p$}");
}

/// Python's `repr` of a non-negative float.
fn write_repr(out: &mut String, abs: f64) {
    crate::format::write_float(out, abs);
}

/// `e` format: `d.ddde+XX` with `p` decimals and at least two exponent digits.
fn exponent(out: &mut String, abs: f64, p: usize, alternate: bool) {
    let start = out.len();
    let _ = write!(out, "{abs:.p$e}");
    let e = out[start..].find('e').map_or(out.len(), |i| start + i);
    let exp: i32 = out[e + 1..].parse().unwrap_or(0);
    out.truncate(e);
    if alternate && p == 0 {
        out.push('.');
    }
    let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
}

/// `g` format with `p` significant digits (and the spec-less form with a precision,
/// `add_dot_0`: a fixed result keeps one decimal, and exponents start one digit sooner),
/// as CPython's `format_float_short`.
fn general(out: &mut String, abs: f64, p: usize, alternate: bool, add_dot_0: bool) {
    let p = p.max(1);
    // The exponent after rounding to `p` significant digits.
    let start = out.len();
    let _ = write!(out, "{abs:.prec$e}", prec = p - 1);
    let e = out[start..].find('e').map_or(out.len(), |i| start + i);
    let exp: i64 = out[e + 1..].parse().unwrap_or(0);
    let limit = if add_dot_0 { p as i64 - 1 } else { p as i64 };
    let decpt = exp + 1;
    // Zero has one digit before the point, as in CPython (`format(0.0, '.1')` is `0e+00`).
    if decpt <= -4 || decpt > limit {
        out.truncate(e);
        if !alternate {
            trim_zeros(out, start);
        } else if !out[start..].contains('.') {
            out.push('.');
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
        return;
    }
    out.truncate(start);
    let decimals = (p as i64 - 1 - exp).max(0) as usize;
    fixed(out, abs, decimals);
    if alternate {
        if !out[start..].contains('.') {
            out.push('.');
        }
    } else {
        trim_zeros(out, start);
        if add_dot_0 && !out[start..].contains('.') {
            out.push_str(".0");
        }
    }
}

/// Drops trailing zeros after a decimal point in `s[start..]`, and the point if nothing
/// follows it.
fn trim_zeros(s: &mut String, start: usize) {
    if s[start..].contains('.') {
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
    let rest_chars = if rest.is_ascii() {
        rest.len()
    } else {
        rest.chars().count()
    };
    let fixed = sign.len() + prefix.len() + rest_chars;
    let zero_pad = fill == '0' && align == Align::AfterSign && !digits.is_empty();
    let min_width = if zero_pad {
        spec.width as isize - fixed as isize
    } else {
        0
    };
    let grouped_len = grouped_len(digits.len(), spec.grouping.is_some(), group, min_width);
    let len = fixed + grouped_len;
    let pad = spec.width.saturating_sub(len);
    let (left, middle, right) = match align {
        Align::Left => (0, 0, pad),
        Align::Right => (pad, 0, 0),
        Align::Center => (pad / 2, 0, pad - pad / 2),
        Align::AfterSign => (0, pad, 0),
    };
    // Most parts are empty (no sign, no prefix, no padding on one side): each is skipped
    // without a call, and the rest are made room for at once.
    out.reserve(len + pad * fill.len_utf8());
    push_fill(out, fill, left);
    push_some(out, sign);
    push_some(out, prefix);
    push_fill(out, fill, middle);
    write_grouped(out, digits, spec.grouping, group, grouped_len);
    push_some(out, rest);
    push_fill(out, fill, right);
}

#[inline(always)]
fn push_some(out: &mut String, s: &str) {
    if !s.is_empty() {
        push_str_short(out, s);
    }
}

#[inline(always)]
fn push_fill(out: &mut String, fill: char, n: usize) {
    if n > 0 {
        push_fill_run(out, fill, n);
    }
}

fn push_fill_run(out: &mut String, fill: char, mut n: usize) {
    const SPACES: &str = "                                ";
    const ZEROS: &str = "00000000000000000000000000000000";
    let run = match fill {
        ' ' => SPACES,
        '0' => ZEROS,
        _ => {
            out.reserve(n * fill.len_utf8());
            for _ in 0..n {
                out.push(fill);
            }
            return;
        }
    };
    while n > 0 {
        let k = n.min(run.len());
        push_str_short(out, &run[..k]);
        n -= k;
    }
}

/// How many characters `n` digits take grouped every `size` (when `grouped`) and widened
/// with leading zeros to at least `min_width`, as CPython's
/// `_PyUnicode_InsertThousandsGrouping` computes it: a group is only ever started to
/// hold a digit or to reach the width, and a separator never leads.
fn grouped_len(n: usize, grouped: bool, size: usize, min_width: isize) -> usize {
    if n == 0 {
        return 0;
    }
    if !grouped {
        return n.max(min_width.max(0) as usize);
    }
    let size = size as isize;
    let mut remaining = n as isize;
    let mut min_width = min_width;
    let mut count = 0isize;
    let mut first = true;
    loop {
        let len = size.min(remaining.max(min_width).max(1));
        count += len + isize::from(!first);
        first = false;
        remaining -= remaining.min(len).max(0);
        min_width -= len;
        if remaining <= 0 && min_width <= 0 {
            break;
        }
        min_width -= 1;
    }
    count as usize
}

/// Writes `digits` grouped into exactly `total` characters: leading zeros, then the digits,
/// with `sep` every `size` digits from the right.
fn write_grouped(out: &mut String, digits: &str, sep: Option<char>, size: usize, total: usize) {
    let Some(sep) = sep else {
        push_fill(out, '0', total.saturating_sub(digits.len()));
        push_str_short(out, digits);
        return;
    };
    let bytes = digits.as_bytes();
    if sep.is_ascii() && total <= 96 {
        // The usual case (`{n:,}`): the grouped digits are assembled in a buffer and
        // appended at once, rather than a character at a time.
        let mut buf = [0u8; 96];
        // From the right: `size` digits (or padding zeros), then a separator, and so on.
        let mut digits_left = bytes.iter().rev();
        let mut in_group = 0;
        for slot in buf[..total].iter_mut().rev() {
            *slot = if in_group == size {
                in_group = 0;
                sep as u8
            } else {
                in_group += 1;
                digits_left.next().copied().unwrap_or(b'0')
            };
        }
        // SAFETY: only ASCII bytes (digits, `0` and an ASCII separator) were written to
        // `buf[..total]`.
        push_str_short(out, unsafe { std::str::from_utf8_unchecked(&buf[..total]) });
        return;
    }
    // Positions counted from the right: every (size + 1)th character is a separator.
    for k in (0..total).rev() {
        if k % (size + 1) == size {
            out.push(sep);
            continue;
        }
        let digit_index = k - k / (size + 1);
        let c = if digit_index < bytes.len() {
            bytes[bytes.len() - 1 - digit_index] as char
        } else {
            '0'
        };
        out.push(c);
    }
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
        assert_eq!(fmt(Value::Float(1.23456), ".2f"), "1.23");
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

    #[test]
    fn nested_specs_and_conversions_match_python() {
        let module = Module {
            functions: Vec::new(),
            structs: Vec::new(),
            strings: Vec::new(),
            formats: Vec::new(),
            main: 0,
        };
        let nested = |pieces: &[Option<&str>]| FieldFormat {
            lit: String::new(),
            conv: None,
            spec: FieldSpec::Nested(pieces.iter().map(|p| p.map(String::from)).collect()),
        };
        let run = |specs: &[FieldFormat], a: &[Value]| {
            let mut out = String::new();
            write_fields(&mut out, &module, specs, a).map(|()| out)
        };
        // CPython 3.11: f"{1.23456:>{10}.{2}f}" is '      1.23'; f"{2.5:.{-1}f}" raises
        // "Format specifier missing precision".
        let spec = nested(&[Some(">"), None, Some("."), None, Some("f")]);
        let plain = FieldFormat::default();
        let specs = [spec, plain.clone(), plain];
        let ints = |w, p| [Value::Float(1.23456), Value::Int(w), Value::Int(p)];
        assert_eq!(
            run(&specs, &ints(10, 2)).ok().as_deref(),
            Some("      1.23")
        );
        let Err(crate::error::Fault::Error(why)) = run(&specs, &ints(10, -1)) else {
            panic!("a negative precision is an error")
        };
        assert_eq!(why, "Format specifier missing precision");
        // repr('it\'s'), repr('a"b\'c'), ascii('é\u200b'), as python3 prints them.
        for (text, ascii, want) in [
            ("it's", false, "\"it's\""),
            ("a\"b'c", false, "'a\"b\\'c'"),
            ("é\u{200b}\u{301}", false, "'é\\u200b\u{301}'"),
            ("é\u{200b}", true, "'\\xe9\\u200b'"),
            ("\u{1F600}\u{10FFFF}", true, "'\\U0001f600\\U0010ffff'"),
        ] {
            let mut out = String::new();
            write_str_repr(&mut out, text, ascii);
            assert_eq!(out, want, "{text:?}");
        }
    }
}
