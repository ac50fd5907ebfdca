//! CSV files: reading them into typed columns as pandas' `read_csv` does, and writing them.
//!
//! Records are split by `csv_core` (quoted fields, `""` escapes, `\r\n`, a UTF-8
//! byte-order mark, any one-byte separator). Every buffer the read needs — the input, the
//! record, every column's fields — is an `io` zone buffer (M8): each growth is charged
//! first, so `--max-memory` stops it before the memory is taken, and reserved fallibly, so
//! the system refusing memory stops it too. A huge or endless file (`/dev/zero`) is then an
//! out-of-memory error (exit 3), never an abort.
//!
//! Large files without quotes are read in parallel chunks and typed as they are split
//! (`chunks`); the others record by record (`records`), each column then typed from its
//! fields' text by `type_column`.
//!
//! Each column is typed on its own (on the rayon pool), by the
//! rules of pandas' C parser: a column whose present fields are all whole numbers is int64,
//! unless one is missing (then float64); all numbers, float64; all `True`/`False` (in any of
//! pandas' spellings), bool; anything else, string. Missing means an empty field or one of
//! pandas' default NA spellings (`NA`, `NaN`, `null`, …). The typed values are Arrow arrays;
//! the fields' text is dropped but for the few fields whose value would not print back as
//! written (`12.50`, `007`, `NA`), which the column keeps for `row(i)`.

use super::super::stream::reason;
use crate::error::{fail, Fallible};
use crate::format::write_float;
use arrow_array::StringArray;
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use rayon::prelude::*;
use stark_runtime::column::FileTexts;
use stark_runtime::{BufferCharge, ColType, ColumnBody, Heap};
use std::io::Write;

mod chunks;
mod records;

/// Bytes read from the file at a time.
const INPUT_BYTES: usize = 64 << 10;

/// Whether `field` is a missing value: empty, or one of the spellings pandas reads as one
/// (`read_csv`'s default `na_values`), compared with the field as it is.
pub(super) fn is_na(field: &str) -> bool {
    is_na_bytes(field.as_bytes())
}

/// `is_na` of a field's bytes (the parallel reader's fields are not checked as UTF-8 one
/// by one: an NA spelling is ASCII).
#[inline]
fn is_na_bytes(field: &[u8]) -> bool {
    // Most fields are not missing, and start with a byte no NA spelling starts with.
    if !matches!(
        field.first(),
        None | Some(b'#' | b'-' | b'1' | b'<' | b'N' | b'n')
    ) {
        return false;
    }
    // A `match` on the strings: by length first, then the bytes (`NA_TEXTS` says the same).
    matches!(
        field,
        b"" | b"#N/A"
            | b"#N/A N/A"
            | b"#NA"
            | b"-1.#IND"
            | b"-1.#QNAN"
            | b"-NaN"
            | b"-nan"
            | b"1.#IND"
            | b"1.#QNAN"
            | b"<NA>"
            | b"N/A"
            | b"NA"
            | b"NULL"
            | b"NaN"
            | b"None"
            | b"n/a"
            | b"nan"
            | b"null"
    )
}

/// pandas' `true_values` and `false_values` (compared without case, as pandas does).
fn parse_bool(field: &str) -> Option<bool> {
    // In any case: pandas 3.1 reads `tRUE` and `FaLsE` as bools too.
    if field.eq_ignore_ascii_case("true") {
        Some(true)
    } else if field.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Whether a line (without its line break and a `\r` before it) is blank to pandas: empty,
/// or spaces and tabs only.
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| b == b' ' || b == b'\t')
}

/// Whether `b` is white space around a number to pandas' parser (C's `isspace`).
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `field` without the white space around it (most fields have none).
fn unspaced(field: &str) -> &str {
    let b = field.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if is_c_space(f) || is_c_space(l) => {
            field.trim_matches(|c: char| c.is_ascii() && is_c_space(c as u8))
        }
        _ => field,
    }
}

/// A whole number as pandas' parser reads one: spaces around it, an optional sign, digits.
fn parse_int(field: &str) -> Option<i64> {
    let s = unspaced(field);
    let b = s.as_bytes();
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    // Leading zeros say nothing of the size (`0009223372036854775807` is i64's largest).
    let digits = match digits.iter().position(|&c| c != b'0') {
        Some(i) => &digits[i..],
        None => &digits[digits.len() - 1..],
    };
    if digits.len() > 19 {
        return None;
    }
    let mut n: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_sub((c - b'0') as i64)?;
    }
    if neg {
        Some(n)
    } else {
        n.checked_neg()
    }
}

/// A number as pandas' parser reads one (spaces around it allowed; `inf`, `1e3`, `.5`).
fn parse_float(field: &str) -> Option<f64> {
    let s = unspaced(field);
    if let Some(x) = short_decimal(s.as_bytes()) {
        return Some(x);
    }
    // Rust also reads "nan" and "infinity" in any case and after a sign; pandas' NA
    // spellings were taken out before, and any other word (`+nan`, `-NAN`) is text to
    // pandas, as is a word starting with a letter other than i/I.
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let first = *unsigned.as_bytes().first()?;
    if first.is_ascii_alphabetic() && !matches!(first, b'i' | b'I') {
        return None;
    }
    s.parse::<f64>().ok()
}

/// Powers of ten an f64 holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A plain decimal (`-12.375`, `.5`, `5.`) of at most 15 digits, read without the general
/// parser: its digits make an integer an f64 holds exactly, divided by an exact power of
/// ten, and IEEE division rounds once, so the result is the correctly rounded value (Clinger's
/// fast path), the same as `str::parse` gives. `None` for anything else.
fn short_decimal(b: &[u8]) -> Option<f64> {
    let (neg, rest) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    let (mut m, mut digits, mut frac, mut dot) = (0u64, 0usize, 0usize, false);
    for &c in rest {
        if c.is_ascii_digit() {
            m = m * 10 + (c - b'0') as u64;
            digits += 1;
            frac += dot as usize;
            if digits > 15 {
                return None;
            }
        } else if c == b'.' && !dot {
            dot = true;
        } else {
            return None;
        }
    }
    if digits == 0 {
        return None;
    }
    let x = m as f64 / POW10[frac];
    Some(if neg { -x } else { x })
}

/// `parse_int` of a field's bytes, and whether the field is `int_canonical`, in one pass
/// for the common field (`-`, then up to 18 digits: no overflow is possible); any other
/// goes through the two functions. The parallel reader's hot path; a test holds it to them.
#[inline(always)]
fn int_field(b: &[u8]) -> Option<(i64, bool)> {
    let (neg, d) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    if !d.is_empty() && d.len() <= 18 {
        let (mut n, mut digits) = (0i64, true);
        for &c in d {
            let x = c.wrapping_sub(b'0');
            digits &= x < 10;
            n = n.wrapping_mul(10).wrapping_add(x as i64);
        }
        if digits {
            let canonical = d[0] != b'0' || b.len() == 1;
            return Some((if neg { -n } else { n }, canonical));
        }
    }
    let s = std::str::from_utf8(b).ok()?;
    parse_int(s).map(|v| (v, int_canonical(s)))
}

/// `int_field` of a field whose bytes start `word` (the eight bytes from the field's start,
/// when the text has that many): a number of up to eight digits is read from the word at
/// once (`eight_digits`), not a digit at a time.
#[inline(always)]
fn int_field_word(b: &[u8], word: Option<u64>) -> Option<(i64, bool)> {
    let neg = b.first() == Some(&b'-');
    let n = b.len() - neg as usize;
    if let Some(w) = word {
        if n >= 1 && n + neg as usize <= 8 {
            let w = w >> (8 * neg as u32);
            if let Some(v) = eight_digits(w, n) {
                let canonical = b[neg as usize] != b'0' || b.len() == 1;
                let v = v as i64;
                return Some((if neg { -v } else { v }, canonical));
            }
        }
    }
    int_field(b)
}

/// `float_field` of a field whose bytes start `word` (as `int_field_word`): a number
/// with a point and up to seven digits (`12.3456`) is read from the word at once.
#[inline(always)]
fn float_field_word(b: &[u8], word: Option<u64>) -> Option<(f64, bool)> {
    let neg = b.first() == Some(&b'-');
    let d = &b[neg as usize..];
    let n = d.len();
    if let Some(w) = word {
        if n >= 2 && n + neg as usize <= 8 {
            let w = w >> (8 * neg as u32);
            // The first '.' among the field's bytes: a zero byte of `w ^ "........"`
            // (found exactly, with no borrow from one byte into the next).
            const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
            let x = w ^ 0x2E2E_2E2E_2E2E_2E2E;
            let dots = !(((x & LOW7) + LOW7) | x | LOW7) & (u64::MAX >> (8 * (8 - n)));
            if dots != 0 {
                let p = (dots.trailing_zeros() / 8) as usize;
                // The digits without the point: the bytes after it moved down one.
                let below = (1u64 << (8 * p)) - 1;
                let digits = (w & below) | ((w >> 8) & !below);
                if let Some(m) = eight_digits(digits, n - 1) {
                    let frac = n - 1 - p;
                    let x = m as f64 / POW10[frac];
                    let canonical = p > 0
                        && frac > 0
                        && !(frac > 1 && d[n - 1] == b'0')
                        && (d[0] != b'0' || (p == 1 && float_canonical_str(b)));
                    return Some((if neg { -x } else { x }, canonical));
                }
            }
        }
    }
    float_field(b)
}

/// The number the first `n` bytes of `w` (1 to 8, the first in the lowest byte) write in
/// decimal, if they are all digits. The bytes are moved to the top of the word behind
/// leading `0`s, checked eight at once, and combined in three multiplications (pairs,
/// then fours, then the eight), as simdjson reads eight digits.
#[inline(always)]
fn eight_digits(w: u64, n: usize) -> Option<u32> {
    if n == 0 || n > 8 {
        return None;
    }
    let w = if n == 8 {
        w
    } else {
        (w << (8 * (8 - n))) | (0x3030_3030_3030_3030u64 >> (8 * n))
    };
    // Every byte 0x30..=0x39: its high nibble is 3, and still 3 after adding 6.
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    if (w & HIGH) | ((w.wrapping_add(0x0606_0606_0606_0606) & HIGH) >> 4) != 0x3333_3333_3333_3333 {
        return None;
    }
    let v = ((w & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561)) >> 8;
    let v = ((v & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601)) >> 16;
    Some((((v & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001)) >> 32) as u32)
}

/// `parse_float` of a field's bytes, and whether the field is `float_canonical`, in one
/// pass for the common field (`-`, then at most 15 digits with one point: Clinger's fast
/// path, as `short_decimal`); any other goes through the two functions. A test holds it to
/// them. Never NaN (as `parse_float`, which reads no NaN spelling).
#[inline(always)]
fn float_field(b: &[u8]) -> Option<(f64, bool)> {
    let (neg, d) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    let (mut m, mut digits, mut dot, mut plain) = (0u64, 0usize, usize::MAX, true);
    for (i, &c) in d.iter().enumerate() {
        let x = c.wrapping_sub(b'0');
        if x < 10 {
            m = m.wrapping_mul(10).wrapping_add(x as u64);
            digits += 1;
        } else if c == b'.' && dot == usize::MAX {
            dot = i;
        } else {
            plain = false;
            break;
        }
    }
    if plain && (1..=15).contains(&digits) {
        let frac = if dot == usize::MAX {
            0
        } else {
            d.len() - dot - 1
        };
        let x = m as f64 / POW10[frac];
        let x = if neg { -x } else { x };
        // Fixed notation with digits on both sides of the point, no padding zero: surely
        // `repr`'s text. A leading zero (`0.05`) asks the general test.
        let canonical = dot != usize::MAX
            && dot > 0
            && frac > 0
            && !(frac > 1 && d[d.len() - 1] == b'0')
            && (d[0] != b'0' || (dot == 1 && float_canonical_str(b)));
        return Some((x, canonical));
    }
    let s = std::str::from_utf8(b).ok()?;
    parse_float(s).map(|x| (x, float_canonical(s)))
}

/// `float_canonical` of bytes that are ASCII (`float_field` read them as digits).
fn float_canonical_str(b: &[u8]) -> bool {
    std::str::from_utf8(b).is_ok_and(float_canonical)
}

/// Whether `text` is what `str()` of the Int `n` gives.
fn int_canonical(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && (digits[0] != b'0' || (digits.len() == 1 && b.len() == 1))
}

/// Whether `text` is surely what Python's `repr` of the float it reads as gives: fixed
/// notation with at most 15 significant digits (so the shortest round-trip digits are
/// its own), no padding zeros but one after the point, in `repr`'s fixed-notation range.
/// A false answer only costs keeping the text.
fn float_canonical(text: &str) -> bool {
    let b = text.as_bytes();
    let body = b.strip_prefix(b"-").unwrap_or(b);
    let Some(dot) = body.iter().position(|&c| c == b'.') else {
        return false;
    };
    let (int, frac) = (&body[..dot], &body[dot + 1..]);
    if int.is_empty()
        || frac.is_empty()
        || !int.iter().all(u8::is_ascii_digit)
        || !frac.iter().all(u8::is_ascii_digit)
        || (int.len() > 1 && int[0] == b'0')
        || int.len() > 16
    {
        return false;
    }
    if frac.len() > 1 && frac[frac.len() - 1] == b'0' {
        return false;
    }
    let sig = if int == b"0" {
        let lead = frac.iter().take_while(|&&c| c == b'0').count();
        if lead == frac.len() {
            // "0.0" (and "-0.0", which repr keeps).
            return frac.len() == 1;
        }
        // repr switches to scientific notation below 1e-4.
        if lead > 3 {
            return false;
        }
        frac.len() - lead
    } else if frac == b"0" {
        int.len()
    } else {
        int.len() + frac.len()
    };
    sig <= 15
}

/// The text of every field of one column, end to end in one buffer: a field costs its
/// bytes and one offset, not an allocation of its own.
/// Checked as UTF-8 once per column (`type_column`), not once per field.
#[derive(Default)]
struct FieldTexts {
    text: Vec<u8>,
    /// `ends[i]`: where field `i` ends in `text` (it starts where field `i - 1` ends).
    ends: Vec<u32>,
}

impl FieldTexts {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn bytes(&self) -> u64 {
        (self.text.capacity() + self.ends.capacity() * 4) as u64
    }
}

/// A column's fields, in one or more segments (the chunks read in parallel), each known to
/// be UTF-8 (field ends fall on separators, so on character boundaries).
struct Fields<'a> {
    segs: Vec<(&'a str, &'a [u32])>,
    len: usize,
    text_len: usize,
}

impl<'a> Fields<'a> {
    /// The segments as strings; `Err(row)` names the first row that is not UTF-8.
    fn of(segs: &'a [FieldTexts]) -> Result<Fields<'a>, usize> {
        let mut out = Fields {
            segs: Vec::with_capacity(segs.len()),
            len: 0,
            text_len: 0,
        };
        for f in segs {
            match std::str::from_utf8(&f.text) {
                // Two fields that are not UTF-8 alone can be when put end to end (a
                // character cut by a separator): every field must end on a boundary.
                Ok(text) => match f
                    .ends
                    .iter()
                    .position(|&e| !text.is_char_boundary(e as usize))
                {
                    Some(at) => return Err(out.len + at),
                    None => out.segs.push((text, &f.ends)),
                },
                Err(e) => {
                    let at = f
                        .ends
                        .partition_point(|&end| (end as usize) <= e.valid_up_to());
                    return Err(out.len + at);
                }
            }
            out.len += f.ends.len();
            out.text_len += f.text.len();
        }
        Ok(out)
    }

    fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.segs.iter().flat_map(|&(text, ends)| {
            (0..ends.len()).map(move |i| {
                let start = if i == 0 { 0 } else { ends[i - 1] as usize };
                &text[start..ends[i] as usize]
            })
        })
    }
}

/// Header names made unique as pandas does: a repeated `x` becomes `x.1`, `x.2`, … (skipping
/// names the file already has), so every column has a name of its own.
fn unique_names(headers: Vec<String>) -> Vec<String> {
    let mut taken: std::collections::HashSet<String> = headers.iter().cloned().collect();
    let mut seen = std::collections::HashSet::new();
    headers
        .into_iter()
        .map(|h| {
            if seen.insert(h.clone()) {
                return h;
            }
            let name = (1..)
                .map(|k| format!("{h}.{k}"))
                .find(|n| !taken.contains(n))
                .expect("an unused suffix");
            taken.insert(name.clone());
            seen.insert(name.clone());
            name
        })
        .collect()
}

/// A CSV file read into typed columns.
pub(super) struct Table {
    pub names: Vec<String>,
    pub rows: usize,
    pub columns: Vec<ColumnBody>,
}

/// Reads `path` (fields split on `sep`): every buffer is charged to `charge` (the `io`
/// zone) while it is read; the columns' Arrow buffers stay charged there until the caller
/// hands them to column objects.
pub(super) fn read(
    heap: &mut Heap,
    charge: &mut BufferCharge,
    path: &str,
    sep: u8,
) -> Fallible<Table> {
    if let Some(table) = chunks::read_parallel(heap, charge, path, sep)? {
        return Ok(table);
    }
    let mut rec = records::Records::open(path, sep, heap, charge)?;
    let read = records::read_fields(heap, charge, &mut rec);
    // The input and record buffers go with `rec`.
    charge.refund(heap, rec.bytes());
    let (names, rows, fields) = read?;
    let fields: Vec<Vec<FieldTexts>> = fields.into_iter().map(|f| vec![f]).collect();
    let bytes_of = |f: &Vec<FieldTexts>| -> u64 { f.iter().map(FieldTexts::bytes).sum() };
    // The typed values take at most 8 bytes a field plus, for text, the text again and a
    // 4-byte offset: charged before they are made, given back for the fields' text after.
    let need: u64 = fields
        .iter()
        .flatten()
        .map(|f| f.len() as u64 * 13 + f.text.len() as u64 + 64)
        .sum();
    charge.charge(heap, need)?;
    let typed: Vec<Result<ColumnBody, usize>> = fields.par_iter().map(|f| type_column(f)).collect();
    let mut columns = Vec::with_capacity(typed.len());
    for (k, c) in typed.into_iter().enumerate() {
        match c {
            Ok(c) => columns.push(c),
            Err(row) => {
                let texts: u64 = fields.iter().map(bytes_of).sum();
                charge.refund(heap, texts + need);
                return fail(format!(
                    "cannot load \"{path}\": column \"{}\" is not valid UTF-8 (data row {})",
                    names[k],
                    row + 1
                ));
            }
        }
    }
    let used: u64 = columns.iter().map(|c| c.charge()).sum();
    let texts: u64 = fields.iter().map(bytes_of).sum();
    drop(fields);
    charge.refund(heap, texts + need.saturating_sub(used));
    Ok(Table {
        names,
        rows,
        columns,
    })
}

/// What a column's present fields can all be read as, so far.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Int,
    Float,
    Bool,
    Str,
}

/// Types one column's fields and makes its Arrow array (pandas' rules, module comment),
/// parsing each field once: the values are gathered as Ints until a field is not one
/// (then as Floats), as bools, or not at all once a field is text. `Err(row)`: the column
/// is not UTF-8 there.
fn type_column(segs: &[FieldTexts]) -> Result<ColumnBody, usize> {
    let fields = Fields::of(segs)?;
    let n = fields.len;
    let mut kind: Option<Kind> = None;
    let mut ints: Vec<i64> = Vec::new();
    let mut floats: Vec<f64> = Vec::new();
    let mut bools: Vec<Option<bool>> = Vec::new();
    let mut missing = 0usize;
    // `(row, text)` of the fields that would not print back as written.
    let mut texts = FileTexts::default();
    // The parse comes first and the NA test only when it fails: most fields are values.
    for (i, f) in fields.iter().enumerate() {
        match kind {
            Some(Kind::Int) => {
                if let Some(v) = parse_int(f) {
                    ints.push(v);
                } else if is_na(f) {
                    missing += 1;
                    ints.push(0);
                } else if let Some(x) = parse_float(f) {
                    // Floats from here on: the Ints so far become Floats, the missing ones NaN.
                    floats.reserve(n);
                    floats.extend(ints.iter().zip(fields.iter()).map(|(&v, f)| {
                        if is_na(f) {
                            f64::NAN
                        } else {
                            v as f64
                        }
                    }));
                    floats.push(x);
                    ints = Vec::new();
                    kind = Some(Kind::Float);
                } else {
                    kind = Some(Kind::Str);
                    break;
                }
            }
            Some(Kind::Float) => {
                if let Some(x) = parse_float(f) {
                    floats.push(x);
                } else if is_na(f) {
                    missing += 1;
                    floats.push(f64::NAN);
                } else {
                    kind = Some(Kind::Str);
                    break;
                }
            }
            Some(Kind::Bool) => {
                if let Some(b) = parse_bool(f) {
                    bools.push(Some(b));
                } else if is_na(f) {
                    missing += 1;
                    bools.push(None);
                } else {
                    kind = Some(Kind::Str);
                    break;
                }
            }
            Some(Kind::Str) => break,
            None if is_na(f) => missing += 1,
            None => {
                // The first value decides what to try first; the missing fields before it
                // are filled in.
                if let Some(v) = parse_int(f) {
                    ints.reserve(n);
                    ints.resize(i, 0);
                    ints.push(v);
                    kind = Some(Kind::Int);
                } else if let Some(x) = parse_float(f) {
                    floats.reserve(n);
                    floats.resize(i, f64::NAN);
                    floats.push(x);
                    kind = Some(Kind::Float);
                } else if let Some(b) = parse_bool(f) {
                    bools.reserve(n);
                    bools.resize(i, None);
                    bools.push(Some(b));
                    kind = Some(Kind::Bool);
                } else {
                    kind = Some(Kind::Str);
                    break;
                }
            }
        }
    }
    // No value at all: pandas makes such a column float64, all NaN; whole numbers with a
    // missing one, float64 too.
    let kind = match kind {
        // A header and no rows: pandas makes its columns `object` (text).
        None if n == 0 => Kind::Str,
        None => {
            floats = vec![f64::NAN; n];
            Kind::Float
        }
        Some(Kind::Int) if missing > 0 => {
            floats = ints
                .iter()
                .zip(fields.iter())
                .map(|(&v, f)| if is_na(f) { f64::NAN } else { v as f64 })
                .collect();
            Kind::Float
        }
        Some(k) => k,
    };
    let mut keep = |i: usize, t: &str| texts.push(i as u32, t);
    let mut body = match kind {
        Kind::Int => {
            for (i, f) in fields.iter().enumerate() {
                if !int_canonical(f) {
                    keep(i, f);
                }
            }
            ColumnBody::ints(ints)
        }
        Kind::Float => {
            for (i, f) in fields.iter().enumerate() {
                if !(f.is_empty() || float_canonical(f)) {
                    keep(i, f);
                }
            }
            ColumnBody::floats(floats)
        }
        Kind::Bool => {
            for (i, f) in fields.iter().enumerate() {
                if !matches!(f, "True" | "False" | "") {
                    keep(i, f);
                }
            }
            ColumnBody::bools(&bools)
        }
        Kind::Str => {
            drop((ints, floats, bools));
            // The text is already end to end: the Arrow array takes it as it is, with
            // the missing fields' bytes left out.
            let mut offsets: Vec<i32> = Vec::with_capacity(n + 1);
            let mut bytes: Vec<u8> = Vec::with_capacity(fields.text_len);
            let mut valid: Vec<bool> = Vec::with_capacity(n);
            offsets.push(0);
            for (i, f) in fields.iter().enumerate() {
                let na = is_na(f);
                if na {
                    if !f.is_empty() {
                        keep(i, f);
                    }
                } else {
                    bytes.extend_from_slice(f.as_bytes());
                }
                valid.push(!na);
                offsets.push(i32::try_from(bytes.len()).unwrap_or(i32::MAX));
            }
            // More than 2 GiB of text in one column: kept as it can be, empty.
            string_column(offsets, bytes, valid).unwrap_or_else(|| {
                ColumnBody::new(std::sync::Arc::new(StringArray::from(Vec::<String>::new())))
            })
        }
    };
    texts.shrink_to_fit();
    body.texts = texts;
    Ok(body)
}

/// A string column of `bytes` cut at `offsets` (one more than the rows), missing where
/// `valid` says; `None` past the 2 GiB an i32 offset reaches.
fn string_column(offsets: Vec<i32>, bytes: Vec<u8>, valid: Vec<bool>) -> Option<ColumnBody> {
    let nulls = valid.iter().any(|v| !v).then(|| NullBuffer::from(valid));
    let array = StringArray::try_new(
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        Buffer::from_vec(bytes),
        nulls,
    )
    .ok()?;
    Some(ColumnBody::new(std::sync::Arc::new(array)))
}

/// The text `row(i)` and `save` give for value `i` of a column: `str()` of the value
/// (Python's `True`/`False` for a bool, as pandas writes them), empty when missing.
pub(super) fn write_value(out: &mut String, c: &ColumnBody, i: usize) {
    if c.is_missing(i) {
        return;
    }
    match c.dtype() {
        ColType::Int => {
            let _ = std::fmt::Write::write_fmt(
                out,
                format_args!("{}", c.int_values().unwrap_or(&[])[i]),
            );
        }
        ColType::Float => write_float(out, c.f64_at(i)),
        ColType::Bool => out.push_str(if c.f64_at(i) != 0.0 { "True" } else { "False" }),
        ColType::Str => {
            if let Some(s) = c.str_values() {
                out.push_str(s.value(i));
            }
        }
    }
}

/// Writes the columns as CSV to `path`: a header row, then one line per row; fields with
/// the separator, a quote or a line break are quoted (pandas' `QUOTE_MINIMAL`).
pub(super) fn write(
    path: &str,
    names: &[&str],
    columns: &[&ColumnBody],
    rows: usize,
) -> Fallible<()> {
    let file = std::fs::File::create(path)
        .or_else(|e| fail(format!("cannot save \"{path}\": {}", reason(&e))))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
    let mut line = String::new();
    let quoted = |line: &mut String, s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&s.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(s);
        }
    };
    for (k, n) in names.iter().enumerate() {
        if k > 0 {
            line.push(',');
        }
        quoted(&mut line, n);
    }
    line.push('\n');
    let mut field = String::new();
    let mut result = w.write_all(line.as_bytes());
    for i in 0..rows {
        if result.is_err() {
            break;
        }
        line.clear();
        for (k, c) in columns.iter().enumerate() {
            if k > 0 {
                line.push(',');
            }
            field.clear();
            write_value(&mut field, c, i);
            if field.is_empty() && columns.len() == 1 {
                // A lone empty field would be a blank line, which reading skips (pandas
                // writes `""` there too).
                line.push_str("\"\"");
            }
            quoted(&mut line, &field);
        }
        line.push('\n');
        result = w.write_all(line.as_bytes());
    }
    result
        .and_then(|_| w.flush())
        .or_else(|e| fail(format!("cannot save \"{path}\": {}", reason(&e))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_texts_are_what_repr_prints() {
        for t in [
            "12.5",
            "0.1",
            "3.0",
            "-2.25",
            "0.0",
            "0.0001",
            "123456789012345.0",
        ] {
            assert!(float_canonical(t), "{t}");
            let mut s = String::new();
            write_float(&mut s, t.parse().unwrap());
            assert_eq!(s, t);
        }
        for t in [
            "12.50",
            "3",
            "1e3",
            ".5",
            "5.",
            "0.00001",
            "+1.0",
            "00.5",
            "1.0000000000000002",
        ] {
            assert!(!float_canonical(t), "{t}");
        }
        assert!(int_canonical("0") && int_canonical("-12") && int_canonical("16777217"));
        assert!(
            !int_canonical("007")
                && !int_canonical("+1")
                && !int_canonical(" 1")
                && !int_canonical("-0")
        );
    }

    /// Fields made of the pieces a number's text has, and a few others, every way up to
    /// four pieces long: `int_field` and `float_field` must say what the two functions
    /// each stands for say.
    #[test]
    fn one_pass_readers_agree_with_the_rules() {
        let pieces = [
            "0", "7", "00", "12", "5.", ".", "-", "+", " ", "e3", "1234567", "99999999", "0.0",
            "10", ".50", "x", "é", "inf", "nan",
        ];
        let mut fields = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for f in &last {
                for p in pieces {
                    next.push(format!("{f}{p}"));
                }
            }
            fields.extend(next.iter().cloned());
            last = next;
        }
        // Near the one-pass paths' limits: 15 and 18 digits, and one more.
        for digits in 14..=20 {
            let n = "9".repeat(digits);
            fields.extend([n.clone(), format!("-{n}"), format!("{}.5", &n[1..])]);
            fields.push(format!("0.{}", "0".repeat(digits - 10)) + "1");
        }
        for f in &fields {
            let int = parse_int(f).map(|v| (v, int_canonical(f)));
            assert_eq!(int_field(f.as_bytes()), int, "{f:?}");
            let float = parse_float(f).map(|x| (x.to_bits(), float_canonical(f)));
            let got = float_field(f.as_bytes()).map(|(x, c)| (x.to_bits(), c));
            assert_eq!(got, float, "{f:?}");
            assert_eq!(is_na_bytes(f.as_bytes()), is_na(f), "{f:?}");
        }
        assert!(fields.len() > 100_000);
        // The same fields read from eight-byte words, at every place in a buffer where the
        // word runs past the field's end (into a separator and whatever follows).
        for f in &fields {
            for tail in [&b","[..], b"9.,\n12345678", b"\n", b"-.0e"] {
                let mut buf = f.as_bytes().to_vec();
                buf.extend_from_slice(tail);
                let word = buf
                    .get(..8)
                    .map(|w| u64::from_le_bytes(w.try_into().unwrap()));
                let b = f.as_bytes();
                assert_eq!(int_field_word(b, word), int_field(b), "{f:?}");
                let got = float_field_word(b, word).map(|(x, c)| (x.to_bits(), c));
                let want = float_field(b).map(|(x, c)| (x.to_bits(), c));
                assert_eq!(got, want, "{f:?}");
            }
        }
    }

    #[test]
    fn eight_digits_at_once() {
        for (text, want) in [
            ("0", Some(0)),
            ("7", Some(7)),
            ("12345678", Some(12345678)),
            ("99999999", Some(99999999)),
            ("00000042", Some(42)),
            ("1234", Some(1234)),
            ("12a4", None),
            ("/", None),
            (":", None),
        ] {
            let mut b = text.as_bytes().to_vec();
            b.resize(8, b'x');
            let w = u64::from_le_bytes(b.try_into().unwrap());
            assert_eq!(eight_digits(w, text.len()), want, "{text}");
        }
        assert_eq!(eight_digits(0, 0), None);
    }

    #[test]
    fn numbers_read_as_pandas_reads_them() {
        assert_eq!(parse_int(" 12 "), Some(12));
        // White space of every kind C's `isspace` knows, and leading zeros past 19 digits
        // (pandas 3.1: `read_csv` of these reads int64 2, float64 2.5, and int64).
        assert_eq!(parse_int("\t2\x0b"), Some(2));
        assert_eq!(parse_float("2.5\t"), Some(2.5));
        assert_eq!(parse_float("\x0c-1.5 "), Some(-1.5));
        assert_eq!(parse_int("0009223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_int("00000000000000000000001"), Some(1));
        assert_eq!(parse_int("-000"), Some(0));
        assert_eq!(parse_int("00009223372036854775808"), None);
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int("9223372036854775808"), None);
        assert_eq!(parse_int("1.0"), None);
        assert_eq!(parse_float("1e3"), Some(1000.0));
        assert_eq!(parse_float("inf"), Some(f64::INFINITY));
        assert_eq!(parse_float("nan"), None.or(parse_float("nan")));
        assert_eq!(parse_float("abc"), None);
        // pandas reads these as text (checked with pandas 3.1: a column of them is `str`).
        assert_eq!(parse_float("+nan"), None);
        assert_eq!(parse_float("-NAN"), None);
        assert_eq!(parse_float("+NaN"), None);
        assert_eq!(parse_float("-inf"), Some(f64::NEG_INFINITY));
        assert!(is_na("NA") && is_na("") && !is_na(" NA"));
    }
}
