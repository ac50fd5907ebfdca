//! String methods.

use super::byte_scan::{self, find_at, short_eq, ASCII_SPACE};
use super::operands::{obj_arg, NativeCx};
use crate::error::{fail, Fallible, Fault};
use stark_bytecode::Native;
use stark_runtime::{push_str_short, Heap, ObjKind, ObjRef, OutOfMemory, Value};
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

/// A new string whose text `build` appends to an empty buffer. The text is built in a
/// buffer reused from one string to the next and then copied, so a short string costs one
/// allocation of exactly its size (no growth, no shrinking); a long one (past
/// `KEEP_SCRATCH`) outside an arena becomes the string's text without a copy. In an arena
/// the text is always copied into the region.
pub(crate) fn alloc_built(
    heap: &mut Heap,
    build: impl FnOnce(&mut String) -> Result<(), Fault>,
) -> Result<ObjRef, Fault> {
    // Taken out of the cell (not borrowed), so a nested use would just start a new buffer.
    let mut s = SCRATCH.take();
    s.clear();
    let r = match build(&mut s) {
        Err(e) => Err(e),
        Ok(()) if s.capacity() > KEEP_SCRATCH && !heap.arena_active() => {
            return Ok(heap.alloc_str(s)?);
        }
        // Its ASCII-ness is checked now, while the text is in cache, rather than by the
        // first query that needs it (`len`, indexing, `find`).
        Ok(()) => heap.alloc_str_copy(s.as_str(), false).map_err(Fault::from),
    };
    if s.capacity() <= KEEP_SCRATCH {
        SCRATCH.set(s);
    }
    r
}

pub(crate) fn too_big(len: usize) -> Fault {
    Fault::from(OutOfMemory {
        requested: len as u64,
        live: 0,
        limit: None,
        quota: false,
    })
}

/// The string queries a line-by-line loop asks of every word (`len`, `startswith`,
/// `endswith`, `isdigit`), which the dispatch loop answers through [`query`] without the
/// general native path: they read their operands, allocate nothing and release nothing.
#[inline(always)]
pub(crate) fn is_query(native: Native) -> bool {
    matches!(
        native,
        Native::StrLen | Native::StrStartsWith | Native::StrEndsWith | Native::StrIsDigit
    )
}

/// [`is_query`]'s natives, on operands `a0` and `a1` (`None` past `argc`). `None` (an
/// operand that is not a string) sends the call down the general path, which reports it.
#[inline(always)]
pub(crate) fn query(native: Native, argc: u16, a0: Value, a1: Value) -> Option<Value> {
    let str_of = |v: Value| match v {
        Value::Obj(o) if o.kind() == ObjKind::Str => Some(o),
        _ => None,
    };
    match native {
        Native::StrLen if argc == 1 => Some(Value::Int(char_len(str_of(a0)?) as i64)),
        Native::StrStartsWith if argc == 2 => {
            let (s, p) = (str_of(a0)?, str_of(a1)?);
            let (s, p) = (s.as_str().as_bytes(), p.as_str().as_bytes());
            Some(Value::Bool(
                p.len() <= s.len() && short_eq(&s[..p.len()], p),
            ))
        }
        Native::StrEndsWith if argc == 2 => {
            let (s, p) = (str_of(a0)?, str_of(a1)?);
            let (s, p) = (s.as_str().as_bytes(), p.as_str().as_bytes());
            Some(Value::Bool(
                p.len() <= s.len() && short_eq(&s[s.len() - p.len()..], p),
            ))
        }
        Native::StrIsDigit if argc == 1 => {
            let s = str_of(a0)?;
            let text = s.as_str();
            // An ASCII character is numeric exactly when it is a decimal digit.
            Some(Value::Bool(if s.str_is_ascii() {
                !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
            } else {
                !text.is_empty() && text.chars().all(char::is_numeric)
            }))
        }
        _ => None,
    }
}

/// Length in characters (code points), as Python's `len`.
pub(crate) fn len(a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    Ok(Value::Int(char_len(s) as i64))
}

/// `s.split(sep)`; with no separator, splits on runs of whitespace (as Python), dropping
/// empty pieces at either end.
pub(crate) fn split(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let text = s.as_str();
    let ascii = s.str_is_ascii();
    match a.get(1) {
        Some(Value::Obj(sep)) if sep.kind() == ObjKind::Str => {
            let sep = sep.as_str();
            match sep.as_bytes() {
                [] => fail("empty separator"),
                // One byte (an ASCII character, so every piece ends at a character
                // boundary): `memchr` counts the pieces, so that the list is allocated once
                // at its size, and then finds them.
                &[b] => {
                    let bytes = text.as_bytes();
                    let n = memchr::memchr_iter(b, bytes).count() + 1;
                    let mut from = 0;
                    let ends = memchr::memchr_iter(b, bytes).chain(std::iter::once(bytes.len()));
                    let pieces = ends.map(|at| {
                        let piece = &text[from..at];
                        from = at + 1;
                        piece
                    });
                    str_list(cx, text, n, pieces, ascii)
                }
                _ => str_list(cx, text, 0, text.split(sep), ascii),
            }
        }
        _ => split_whitespace(cx, text, ascii),
    }
}

/// One step of `for x in text.split(sep)` (the `for_split` instruction): the piece that
/// starts at byte `pos` (-1: none is left) as a new String, and where the next one starts.
/// The same pieces as `split`'s list, one at a time: with a separator every piece, empty
/// ones too, the last running to the end of the text; with `None` each run of
/// non-whitespace.
pub(crate) fn split_next(
    heap: &mut Heap,
    text: Value,
    sep: Value,
    pos: Value,
) -> Fallible<Option<(ObjRef, i64)>> {
    let (Value::Obj(s), Value::Int(pos)) = (text, pos) else {
        return fail("internal error: for_split's state is not a string and a position");
    };
    if s.kind() != ObjKind::Str {
        return fail("internal error: for_split's text is not a string");
    }
    let text = s.as_str();
    // Every position the loop stores is a character boundary inside the text.
    let Some(rest) = usize::try_from(pos).ok().and_then(|p| text.get(p..)) else {
        return Ok(None);
    };
    let from = pos as usize;
    let ascii = s.str_is_ascii();
    let (piece, next, piece_ascii) = match sep {
        Value::Obj(sep) if sep.kind() == ObjKind::Str => {
            let sep = sep.as_str();
            let found = match sep.as_bytes() {
                [] => return fail("empty separator"),
                &[b] => memchr::memchr(b, rest.as_bytes()).map(|i| from + i),
                _ => find_at(text, sep, from),
            };
            match found {
                Some(end) => (&text[from..end], (end + sep.len()) as i64, ascii),
                None => (rest, -1, ascii),
            }
        }
        _ => match byte_scan::next_word(text, from) {
            Some((start, end, word_ascii)) => (&text[start..end], end as i64, word_ascii),
            None => return Ok(None),
        },
    };
    Ok(Some((
        heap.alloc_str_copy(piece, ascii || piece_ascii)?,
        next,
    )))
}

thread_local! {
    /// `split()`'s words while it scans, before the heap makes them all at once.
    static WORDS: Cell<Vec<byte_scan::WordAt>> = const { Cell::new(Vec::new()) };
}

/// `split()`: the words between runs of whitespace. One pass finds them (and whether each
/// is ASCII) in a reused buffer (`byte_scan::words`); the heap then makes the strings and
/// their list together (`Heap::alloc_str_slices`).
fn split_whitespace(cx: &mut NativeCx<'_>, text: &str, ascii: bool) -> Fallible<Value> {
    let mut words = WORDS.take();
    words.clear();
    let r = match byte_scan::words(text, ascii, &mut words) {
        Ok(()) => cx.heap.alloc_str_slices(text, &words).map_err(Fault::from),
        Err(()) => Err(too_big(words.len().saturating_mul(16))),
    };
    words.clear();
    if words.capacity() <= 4096 {
        WORDS.set(words);
    }
    Ok(Value::Obj(r?))
}

/// A new list of new strings, one per piece of `text` (known ASCII when the text is,
/// checked otherwise); `expected` pieces are made room for at once. Where the pieces lie is
/// gathered a few thousand at a time, and the heap makes each batch of strings together
/// (`Heap::push_str_slices`): a text of a million lines needs no million-entry list of
/// positions beside the list of strings.
fn str_list<'t>(
    cx: &mut NativeCx<'_>,
    text: &'t str,
    expected: usize,
    pieces: impl Iterator<Item = &'t str>,
    ascii: bool,
) -> Fallible<Value> {
    const BATCH: usize = 4096;
    let mut items: Vec<Value> = Vec::new();
    let room = expected.max(pieces.size_hint().0);
    if stark_runtime::sysalloc::fallible(|| items.try_reserve_exact(room)).is_err() {
        return Err(too_big(room.saturating_mul(16)));
    }
    let mut ranges: Vec<(usize, usize, bool)> = Vec::with_capacity(BATCH.min(room.max(1)));
    for p in pieces {
        // Every piece is a slice of `text` (the callers split it), so its offset is where
        // it starts; `push_str_slices` slices `text` again, checked.
        let start = p.as_ptr() as usize - text.as_ptr() as usize;
        ranges.push((start, start + p.len(), ascii));
        if ranges.len() == BATCH {
            cx.heap.push_str_slices(&mut items, text, &ranges)?;
            ranges.clear();
        }
    }
    cx.heap.push_str_slices(&mut items, text, &ranges)?;
    Ok(Value::Obj(cx.heap.finish_str_slices(items)?))
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

// ---- String (§5): indexing, slicing, iteration and the Python methods ----
//
// Positions are code points, as in Python. An ASCII string (`ObjRef::str_is_ascii`, checked
// once and cached) indexes its bytes directly, so `s[i]` and `len(s)` are O(1) there; other
// strings walk their UTF-8.

/// Python's `str.isspace` for one character: Unicode's White_Space, plus the four ASCII
/// separators (`\x1c`–`\x1f`) Python also counts.
#[inline]
pub(crate) fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// The length in code points (cached by the runtime for a short non-ASCII string).
#[inline(always)]
pub(crate) fn char_len(s: ObjRef) -> usize {
    s.str_char_len()
}

/// A new string holding `text`, marked ASCII when the caller knows it is.
fn new_str(cx: &mut NativeCx<'_>, text: &str, ascii: bool) -> Fallible<Value> {
    Ok(Value::Obj(cx.heap.alloc_str_copy(text, ascii)?))
}

/// The receiver itself, shared (a String is immutable: Python too returns the same object
/// when a method would change nothing).
fn same(cx: &mut NativeCx<'_>, s: ObjRef) -> Fallible<Value> {
    cx.heap.incref(Value::Obj(s));
    Ok(Value::Obj(s))
}

/// `s[i]`: the code point at `i`, negative from the end.
pub(crate) fn index(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let i = super::operands::int_arg(a, 1)?;
    let text = s.as_str();
    if s.str_is_ascii() {
        let n = text.len();
        let at = if i < 0 {
            i as i128 + n as i128
        } else {
            i as i128
        };
        if at < 0 || at >= n as i128 {
            return Err(str_index_error(i, n));
        }
        let at = at as usize;
        return new_str(cx, &text[at..at + 1], true);
    }
    let at = if i < 0 {
        let n = text.chars().count();
        let at = i as i128 + n as i128;
        if at < 0 {
            return Err(str_index_error(i, n));
        }
        at as usize
    } else {
        i as usize
    };
    match text.char_indices().nth(at) {
        Some((b, c)) => new_str(cx, &text[b..b + c.len_utf8()], c.is_ascii()),
        None => Err(str_index_error(i, text.chars().count())),
    }
}

fn str_index_error(i: i64, len: usize) -> Fault {
    Fault::msg(format!("index {i} out of range for string of length {len}"))
}

/// Python's `slice.indices(len)`: the start, the step and the number of elements.
pub(crate) fn slice_indices(a: &[Value], len: usize) -> Fallible<(i128, i128, usize)> {
    let bound = |i: usize| -> Fallible<Option<i128>> {
        match super::operands::arg(a, i) {
            Value::None => Ok(None),
            Value::Int(v) => Ok(Some(v as i128)),
            _ => Err(super::operands::bad_operand(i, "Int?")),
        }
    };
    let len = len as i128;
    let step = bound(3)?.unwrap_or(1);
    if step == 0 {
        return fail("slice step cannot be zero");
    }
    let adjust = |v: Option<i128>, default: i128| match v {
        None => default,
        Some(v) if v < 0 => {
            let v = v + len;
            if v < 0 {
                if step < 0 {
                    -1
                } else {
                    0
                }
            } else {
                v
            }
        }
        Some(v) if v >= len => {
            if step < 0 {
                len - 1
            } else {
                len
            }
        }
        Some(v) => v,
    };
    let (start, stop) = if step < 0 {
        (adjust(bound(1)?, len - 1), adjust(bound(2)?, -1))
    } else {
        (adjust(bound(1)?, 0), adjust(bound(2)?, len))
    };
    let count = if step < 0 {
        if stop < start {
            (start - stop - 1) / (-step) + 1
        } else {
            0
        }
    } else if start < stop {
        (stop - start - 1) / step + 1
    } else {
        0
    };
    Ok((start, step, count as usize))
}

/// `s[lo:hi:step]`, with Python's clamping.
pub(crate) fn slice(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let text = s.as_str();
    let ascii = s.str_is_ascii();
    let len = if ascii {
        text.len()
    } else {
        text.chars().count()
    };
    let (start, step, count) = slice_indices(a, len)?;
    if count == len && step == 1 {
        return same(cx, s);
    }
    let start = start as usize;
    if ascii {
        if step == 1 {
            return new_str(cx, &text[start..start + count], true);
        }
        let bytes = text.as_bytes();
        let picked: Vec<u8> = (0..count)
            .map(|k| bytes[(start as i128 + k as i128 * step) as usize])
            .collect();
        // ASCII bytes are valid UTF-8 on their own.
        let out = String::from_utf8(picked).map_err(|_| Fault::msg("internal error: slice"))?;
        return new_str(cx, &out, true);
    }
    if step == 1 {
        let mut it = text.char_indices().skip(start);
        let from = it.next().map_or(text.len(), |(b, _)| b);
        let to = text
            .char_indices()
            .nth(start + count)
            .map_or(text.len(), |(b, _)| b);
        return new_str(cx, &text[from..to], false);
    }
    let chars: Vec<char> = text.chars().collect();
    let out: String = (0..count)
        .map(|k| chars[(start as i128 + k as i128 * step) as usize])
        .collect();
    let ascii = out.is_ascii();
    new_str(cx, &out, ascii)
}

/// `s * n`: `n` copies (none when `n <= 0`).
pub(crate) fn repeat(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let n = super::operands::int_arg(a, 1)?;
    if n == 1 {
        return same(cx, s);
    }
    let text = s.as_str();
    let n = n.max(0) as usize;
    let ascii = s.str_is_ascii();
    let o = alloc_built(cx.heap, |out| {
        let len = text
            .len()
            .checked_mul(n)
            .ok_or_else(|| too_big(usize::MAX))?;
        stark_runtime::sysalloc::fallible(|| out.try_reserve_exact(len))
            .map_err(|_| too_big(len))?;
        for _ in 0..n {
            out.push_str(text);
        }
        Ok(())
    })?;
    if ascii {
        o.set_str_ascii(true);
    }
    Ok(Value::Obj(o))
}

/// `for c in s`: the byte offset after the character at byte `pos`, or -1 at the end.
pub(crate) fn next_byte(a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let pos = super::operands::int_arg(a, 1)?;
    let text = s.as_str();
    let pos = usize::try_from(pos).unwrap_or(usize::MAX);
    let next = match text.get(pos..).and_then(|t| t.chars().next()) {
        Some(c) => (pos + c.len_utf8()) as i64,
        None => -1,
    };
    Ok(Value::Int(next))
}

/// `for c in s`: the character at byte `pos`, as a new String.
pub(crate) fn char_at_byte(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let pos = super::operands::int_arg(a, 1)?;
    let text = s.as_str();
    let pos = usize::try_from(pos).unwrap_or(usize::MAX);
    match text.get(pos..).and_then(|t| t.chars().next()) {
        Some(c) => new_str(cx, &text[pos..pos + c.len_utf8()], c.is_ascii()),
        None => fail("internal error: string iteration past the end"),
    }
}

/// `s.replace(old, new, count=-1)`: every occurrence, or the first `count`.
pub(crate) fn replace(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let old = obj_arg(a, 1, ObjKind::Str)?;
    let new = obj_arg(a, 2, ObjKind::Str)?;
    let count = match super::operands::arg(a, 3) {
        Value::Int(c) => c,
        _ => -1,
    };
    let (text, from, to) = (s.as_str(), old.as_str(), new.as_str());
    let first = if from.is_empty() {
        Some(0)
    } else {
        find_at(text, from, 0)
    };
    let Some(first) = first.filter(|_| count != 0) else {
        return same(cx, s);
    };
    let ascii = s.str_is_ascii() && new.str_is_ascii();
    let o = alloc_built(cx.heap, |out| {
        let mut left = if count < 0 {
            usize::MAX
        } else {
            count as usize
        };
        if from.is_empty() {
            // Python puts `new` before every character and at the end.
            for c in text.chars() {
                if left > 0 {
                    out.push_str(to);
                    left -= 1;
                }
                out.push(c);
            }
            if left > 0 {
                out.push_str(to);
            }
            return Ok(());
        }
        let mut last = 0;
        let mut next = Some(first);
        while let Some(at) = next {
            if left == 0 {
                break;
            }
            // The pieces between matches and the replacement are a few bytes each.
            push_str_short(out, &text[last..at]);
            push_str_short(out, to);
            last = at + from.len();
            left -= 1;
            next = find_at(text, from, last);
        }
        push_str_short(out, &text[last..]);
        Ok(())
    })?;
    if ascii {
        o.set_str_ascii(true);
    }
    Ok(Value::Obj(o))
}

/// `s.startswith(prefix)`
pub(crate) fn startswith(a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let p = obj_arg(a, 1, ObjKind::Str)?;
    Ok(Value::Bool(s.as_str().starts_with(p.as_str())))
}

/// `s.endswith(suffix)`
pub(crate) fn endswith(a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let p = obj_arg(a, 1, ObjKind::Str)?;
    Ok(Value::Bool(s.as_str().ends_with(p.as_str())))
}

/// `s.find(sub)`: the code point index of the first occurrence, or -1.
pub(crate) fn find(a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let sub = obj_arg(a, 1, ObjKind::Str)?;
    let text = s.as_str();
    Ok(Value::Int(match find_at(text, sub.as_str(), 0) {
        None => -1,
        Some(b) if s.str_is_ascii() => b as i64,
        Some(b) => text[..b].chars().count() as i64,
    }))
}

/// `s.count(sub)`: non-overlapping occurrences (an empty `sub` counts every position).
pub(crate) fn count(a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let sub = obj_arg(a, 1, ObjKind::Str)?;
    let (text, sub) = (s.as_str(), sub.as_str());
    let n = if sub.is_empty() {
        char_len(s) + 1
    } else {
        let mut n = 0;
        let mut at = 0;
        while let Some(i) = find_at(text, sub, at) {
            n += 1;
            at = i + sub.len();
        }
        n
    };
    Ok(Value::Int(n as i64))
}

/// Which ends `strip` works on.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Ends {
    Both,
    Left,
    Right,
}

/// `s.strip(chars=None)` and its one-sided forms: whitespace, or any of `chars`.
pub(crate) fn strip(cx: &mut NativeCx<'_>, a: &[Value], ends: Ends) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let set = super::operands::opt_str_arg(a, 1)?;
    let text = s.as_str();
    let ascii = s.str_is_ascii();
    let out = match set {
        None if ascii => {
            let b = text.as_bytes();
            let mut lo = 0;
            let mut hi = b.len();
            if ends != Ends::Right {
                while lo < hi && ASCII_SPACE[b[lo] as usize] {
                    lo += 1;
                }
            }
            if ends != Ends::Left {
                while hi > lo && ASCII_SPACE[b[hi - 1] as usize] {
                    hi -= 1;
                }
            }
            &text[lo..hi]
        }
        // Lines are mostly trimmed of ASCII blanks: those go byte by byte, and only a
        // non-ASCII character at an end needs decoding.
        None => {
            let b = text.as_bytes();
            let mut lo = 0;
            let mut hi = b.len();
            if ends != Ends::Right {
                while lo < hi && b[lo] < 0x80 && ASCII_SPACE[b[lo] as usize] {
                    lo += 1;
                }
            }
            if ends != Ends::Left {
                while hi > lo && b[hi - 1] < 0x80 && ASCII_SPACE[b[hi - 1] as usize] {
                    hi -= 1;
                }
            }
            trim_by(&text[lo..hi], ends, py_space)
        }
        Some(chars) => {
            let chars = chars.as_str();
            trim_by(text, ends, |c| chars.contains(c))
        }
    };
    if out.len() == text.len() {
        return same(cx, s);
    }
    new_str(cx, out, ascii)
}

fn trim_by(text: &str, ends: Ends, f: impl Fn(char) -> bool) -> &str {
    match ends {
        Ends::Both => text.trim_matches(f),
        Ends::Left => text.trim_start_matches(f),
        Ends::Right => text.trim_end_matches(f),
    }
}

/// `s.splitlines()`: Python's line boundaries, the final one ending the last line.
pub(crate) fn splitlines(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let text = s.as_str();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let boundary = matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !boundary {
            continue;
        }
        lines.push(&text[start..i]);
        let mut end = i + c.len_utf8();
        if c == '\r' {
            if let Some(&(j, '\n')) = it.peek() {
                it.next();
                end = j + 1;
            }
        }
        start = end;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    let ascii = s.str_is_ascii();
    str_list(cx, text, lines.len(), lines.into_iter(), ascii)
}

/// `sep.join(items)`
pub(crate) fn join(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let sep = obj_arg(a, 0, ObjKind::Str)?;
    let list = obj_arg(a, 1, ObjKind::List)?;
    let sep_text = sep.as_str();
    let items = list.list();
    let mut total = sep_text.len().saturating_mul(items.len().saturating_sub(1));
    let mut ascii = sep.str_is_ascii();
    for v in items {
        let Value::Obj(o) = v else {
            return Err(super::operands::bad_operand(1, "List<String>"));
        };
        if o.kind() != ObjKind::Str {
            return Err(super::operands::bad_operand(1, "List<String>"));
        }
        total = total.saturating_add(o.as_str().len());
        ascii = ascii && o.str_is_ascii();
    }
    // The texts were checked to be strings above; `total` is their length with the
    // separators, so the new string is written in place, in one piece.
    let texts = items.iter().map(|v| match v {
        Value::Obj(o) => o.as_str(),
        _ => "",
    });
    if total == usize::MAX {
        return Err(too_big(total));
    }
    Ok(Value::Obj(
        cx.heap.alloc_str_joined(total, ascii, sep_text, texts)?,
    ))
}

/// `s.ljust(width, fill)`, `rjust`, `center`: padded to `width` code points with `fill` (one
/// character, a space by default); a string already as wide is returned as it is.
pub(crate) fn justify(
    cx: &mut NativeCx<'_>,
    a: &[Value],
    how: stark_syntax::Align,
) -> Fallible<Value> {
    use stark_syntax::Align;
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let width = super::operands::int_arg(a, 1)?;
    let fill = match super::operands::opt_str_arg(a, 2)? {
        None => ' ',
        Some(f) => {
            let mut chars = f.as_str().chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => c,
                _ => {
                    return fail(format!(
                        "the fill character must be exactly one character long, not {}",
                        crate::format::quoted(f.as_str())
                    ))
                }
            }
        }
    };
    let len = char_len(s);
    let width = usize::try_from(width).unwrap_or(0);
    if width <= len {
        return same(cx, s);
    }
    if width > stark_syntax::format_spec::MAX_WIDTH * 64 {
        return Err(too_big(width));
    }
    let pad = width - len;
    let left = match how {
        Align::Left => 0,
        Align::Right | Align::AfterSign => pad,
        // Python's `center`: the odd character goes left when the width is odd.
        Align::Center => pad / 2 + (pad & width & 1),
    };
    let text = s.as_str();
    let ascii = s.str_is_ascii() && fill.is_ascii();
    let o = alloc_built(cx.heap, |out| {
        let need = text.len() + pad * fill.len_utf8();
        stark_runtime::sysalloc::fallible(|| out.try_reserve_exact(need))
            .map_err(|_| too_big(need))?;
        out.extend(std::iter::repeat_n(fill, left));
        out.push_str(text);
        out.extend(std::iter::repeat_n(fill, pad - left));
        Ok(())
    })?;
    if ascii {
        o.set_str_ascii(true);
    }
    Ok(Value::Obj(o))
}

/// `isdigit` / `isalpha` / `isspace`: true when the string is not empty and every
/// character passes.
pub(crate) fn all_chars(a: &[Value], f: impl Fn(char) -> bool) -> Fallible<Value> {
    let s = obj_arg(a, 0, ObjKind::Str)?;
    let text = s.as_str();
    Ok(Value::Bool(!text.is_empty() && text.chars().all(f)))
}
