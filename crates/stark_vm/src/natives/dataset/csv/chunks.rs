//! Large CSV files without quotes: read in chunks on the rayon pool, and typed while they
//! are split.
//!
//! A regular file of at least [`PARALLEL_BYTES`] with no quote character (so every line
//! break ends a record, and a chunk boundary at one cannot fall inside a field) is cut
//! into byte ranges. Each task reads its range (from the first line that starts in it to
//! the end of the last) and counts its rows; then each splits its lines, reading every
//! field straight into its column's part for the chunk ([`Part`]) as the kind of the
//! part's first value. A number is written in place: every column has a slab of one
//! 8-byte word a row, cut at the chunks' row counts, and an int64 or float64 column
//! becomes its Arrow buffer without a copy. A field's text is copied only into a text
//! column's bytes, or when `row(i)` must give it as written. This is a shortcut for the common case: a column whose parts do not all hold
//! one kind (a part with a field of another kind, whole numbers with a missing one, bools)
//! is typed afterwards from its fields' text by [`type_column`], the one statement of
//! pandas' rules, and the shortcut must give what that gives (the tests below compare the
//! two on the same text).
//!
//! Memory: the raw chunks are charged to the `io` zone before they are read; the slabs and
//! parts before they are filled, at their bound (a field's text once, and 16 bytes a field);
//! the finished columns before they are put together. The caller keeps the finished
//! columns' charge, as for the reader of small files.

use super::super::super::stream::reason;
use super::{
    float_canonical, int_canonical, is_na, parse_bool, parse_float, parse_int, string_column,
    type_column, unique_names, FieldTexts, Table,
};
use crate::error::{fail, Fallible, Fault};
use arrow_array::{Float64Array, Int64Array};
use arrow_buffer::{Buffer, ScalarBuffer};
use rayon::prelude::*;
use stark_runtime::column::nan_nulls;
use stark_runtime::sysalloc::fallible;
use stark_runtime::{BufferCharge, ColumnBody, Heap, OutOfMemory};

/// Files at least this large are read in chunks parsed in parallel.
const PARALLEL_BYTES: u64 = 4 << 20;

/// Reads `path` in parallel chunks (module comment); `None` when it cannot be: the file is
/// small, not a regular file, has a quote, or `sep` is not ASCII. The caller then reads
/// it record by record.
pub(super) fn read_parallel(
    heap: &mut Heap,
    charge: &mut BufferCharge,
    path: &str,
    sep: u8,
) -> Fallible<Option<Table>> {
    use std::os::unix::fs::FileExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(None);
    };
    if !meta.is_file() || meta.len() < PARALLEL_BYTES || !sep.is_ascii() {
        return Ok(None);
    }
    let len = meta.len() as usize;
    let file = std::fs::File::open(path)
        .or_else(|e| fail(format!("cannot load \"{path}\": {}", reason(&e))))?;
    // The header: the first line, within the first 64 KiB.
    let mut head = vec![0u8; 64 << 10];
    let got = file.read_at(&mut head, 0).unwrap_or(0);
    let head = &head[..got];
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let Some(nl) = head.iter().position(|&b| b == b'\n') else {
        return Ok(None);
    };
    let Ok(header) = std::str::from_utf8(&head[bom..nl]) else {
        return Ok(None);
    };
    let header = header.strip_suffix('\r').unwrap_or(header);
    // A lone `\r` ends a line too (as `csv_core` and pandas read it): such files take the
    // record reader.
    if header.is_empty() || header.contains(['"', '\r']) {
        return Ok(None);
    }
    let names = unique_names(
        header
            .split(sep as char)
            .enumerate()
            .map(|(i, h)| match h.trim() {
                "" => format!("Unnamed: {i}"),
                h => h.to_string(),
            })
            .collect(),
    );
    let start = nl + 1;
    let pieces = (rayon::current_num_threads() * 4).max(1);
    let ranges: Vec<(usize, usize)> = (0..pieces)
        .map(|k| {
            let s = start + (len - start) * k / pieces;
            (s, start + (len - start) * (k + 1) / pieces)
        })
        .filter(|(s, e)| e > s)
        .collect();
    // The raw chunks: each range and the end of the line it cuts (charged with a margin for
    // those line ends).
    let raw_need = (len + pieces * 4096) as u64;
    charge.charge(heap, raw_need)?;
    let raws: Vec<Option<Chunk>> = ranges
        .par_iter()
        .map(|&(s, e)| read_chunk(path, s, e, start, len))
        .collect();
    let result = match raws.into_iter().collect::<Option<Vec<Chunk>>>() {
        Some(chunks) => type_chunks(heap, charge, path, sep, names, &chunks).map(Some),
        None => Ok(None),
    };
    charge.refund(heap, raw_need);
    result
}

/// The lines that start in one range of the file, read whole.
struct Chunk {
    raw: Vec<u8>,
    /// How many bytes of `raw` come before the first line (the end of the line before).
    skip: usize,
    /// Its rows: the lines that are not blank.
    rows: usize,
}

impl Chunk {
    fn lines(&self) -> &[u8] {
        &self.raw[self.skip..]
    }
}

/// The lines that start in `[s, e)` (a line starts at `first` or after a line break);
/// `None` if the chunk has a quote or cannot be read.
fn read_chunk(path: &str, s: usize, e: usize, first: usize, len: usize) -> Option<Chunk> {
    use std::io::{Read, Seek, SeekFrom};
    use std::os::unix::fs::FileExt;
    // One byte before `s`, to see whether a line starts at `s`, and room past `e` for the
    // end of the last line, read in steps until a line break. `read_to_end` into reserved
    // room writes each byte once (no zeroing first).
    let from = if s > first { s - 1 } else { s };
    let mut file = std::fs::File::open(path).ok()?;
    file.seek(SeekFrom::Start(from as u64)).ok()?;
    let mut raw = room(e - from + 256)?;
    (&mut file)
        .take((e - from) as u64)
        .read_to_end(&mut raw)
        .ok()?;
    if raw.len() != e - from {
        return None;
    }
    let mut end = e;
    let mut step = [0u8; 4096];
    while end < len && raw.last() != Some(&b'\n') {
        let more = (len - end).min(step.len());
        file.read_exact_at(&mut step[..more], end as u64).ok()?;
        match step[..more].iter().position(|&b| b == b'\n') {
            Some(i) => {
                raw.extend_from_slice(&step[..=i]);
                end = len;
            }
            None => {
                raw.extend_from_slice(&step[..more]);
                end += more;
            }
        }
    }
    if memchr::memchr(b'"', &raw).is_some() || has_lone_cr(&raw) {
        return None;
    }
    // The first line that starts in the range: right away when the byte before is a break.
    let skip = if from < s {
        match raw.iter().position(|&b| b == b'\n') {
            Some(i) => i + 1,
            None => raw.len(),
        }
    } else {
        0
    };
    let rows = count_rows(&raw[skip..]);
    Some(Chunk { raw, skip, rows })
}

/// Whether `raw` has a `\r` not followed by `\n`: a line break of its own to `csv_core`
/// and pandas, which this reader's line splitting does not know (the caller then reads
/// the file record by record). A chunk ends at a `\n` or at the end of the file, so a
/// `\r\n` is never cut.
fn has_lone_cr(raw: &[u8]) -> bool {
    memchr::memchr_iter(b'\r', raw).any(|i| raw.get(i + 1) != Some(&b'\n'))
}

/// The lines of `lines` that are not blank (empty, or a lone `\r`), as [`Spans`] reads
/// them: each chunk's rows are known before it is parsed, so its values can be written
/// straight into their place in the column.
fn count_rows(lines: &[u8]) -> usize {
    let mut rows = 0;
    let mut start = 0;
    let blank = |line: &[u8]| line.is_empty() || line == b"\r";
    for nl in memchr::memchr_iter(b'\n', lines) {
        rows += !blank(&lines[start..nl]) as usize;
        start = nl + 1;
    }
    rows + !blank(&lines[start..]) as usize
}

/// One column's fields in one chunk, read as the kind of the part's first value.
enum Part {
    /// Only missing fields so far: how many.
    Missing(usize),
    /// Whole numbers, none missing, written into the part's slots (as `i64` bits).
    Ints,
    /// Numbers, NaN where missing, written into the part's slots (as `f64` bits).
    Floats,
    /// Text: the bytes of the present fields end to end, each field's end, whether present.
    Strs {
        bytes: Vec<u8>,
        ends: Vec<i32>,
        valid: Vec<bool>,
    },
    /// A field of another kind: the column is typed from its text by `type_column`.
    Mixed,
}

/// A column's part of one chunk, and the fields of the part that `row(i)` must give as
/// written: their rows in the chunk and their text.
struct ColPart {
    part: Part,
    kept_rows: Vec<u32>,
    kept: FieldTexts,
}

/// A part while its chunk is parsed: with `slots`, the chunk's rows of the column's
/// values (one 8-byte word a row, shared by every kind of number), where an int or float
/// part writes its values in place, so that the column is made without a copy.
struct Filling<'s> {
    part: ColPart,
    slots: &'s mut [u64],
}

/// Room for a chunk's fields; `None` when the system refuses it.
fn room<T>(n: usize) -> Option<Vec<T>> {
    let mut v = Vec::new();
    fallible(|| v.try_reserve_exact(n)).ok()?;
    Some(v)
}

impl ColPart {
    fn keep(&mut self, row: usize, f: &str) {
        self.kept_rows.push(row as u32);
        self.kept.text.extend_from_slice(f.as_bytes());
        self.kept.ends.push(self.kept.text.len() as u32);
    }

    /// Bytes the part holds (its slots are the column's, counted apart).
    fn bytes(&self) -> u64 {
        let values = match &self.part {
            Part::Strs { bytes, ends, valid } => {
                bytes.capacity() + ends.capacity() * 4 + valid.capacity()
            }
            Part::Ints | Part::Floats | Part::Missing(_) | Part::Mixed => 0,
        };
        (values + self.kept_rows.capacity() * 4) as u64 + self.kept.bytes()
    }
}

impl Filling<'_> {
    fn keep(&mut self, row: usize, f: &str) {
        self.part.keep(row, f);
    }

    /// Writes `bits` as row `row`'s value; false (never, when the rows were counted
    /// right) if the row has no slot.
    #[inline]
    fn put(&mut self, row: usize, bits: u64) -> bool {
        match self.slots.get_mut(row) {
            Some(slot) => {
                *slot = bits;
                true
            }
            None => false,
        }
    }

    /// The part's first value, after `missing` missing fields; `rows` is room enough.
    fn first(&mut self, row: usize, missing: usize, f: &str, rows: usize) -> Option<()> {
        if let Some(v) = parse_int(f) {
            if missing > 0 || !self.put(row, v as u64) {
                // Whole numbers with a missing one are float64, and their texts kept as
                // `type_column` decides.
                self.part.part = Part::Mixed;
                return Some(());
            }
            self.part.part = Part::Ints;
            if !int_canonical(f) {
                self.keep(row, f);
            }
        } else if let Some(x) = parse_float(f) {
            if row >= self.slots.len() {
                self.part.part = Part::Mixed;
                return Some(());
            }
            self.slots[..row].fill(f64::NAN.to_bits());
            self.slots[row] = x.to_bits();
            self.part.part = Part::Floats;
            if !float_canonical(f) {
                self.keep(row, f);
            }
        } else if parse_bool(f).is_some() {
            self.part.part = Part::Mixed;
        } else {
            let mut ends = room(rows)?;
            let mut valid = room(rows)?;
            ends.resize(missing, 0);
            valid.resize(missing, false);
            let mut bytes = Vec::new();
            bytes.extend_from_slice(f.as_bytes());
            ends.push(bytes.len() as i32);
            valid.push(true);
            self.part.part = Part::Strs { bytes, ends, valid };
        }
        Some(())
    }

    /// Field `row` of the chunk; `None` when the system refuses memory.
    fn push(&mut self, row: usize, f: &str, rows: usize) -> Option<()> {
        match &mut self.part.part {
            Part::Ints => match parse_int(f) {
                Some(x) if self.put(row, x as u64) => {
                    if !int_canonical(f) {
                        self.keep(row, f);
                    }
                }
                _ => self.part.part = Part::Mixed,
            },
            Part::Floats => {
                if let Some(x) = parse_float(f) {
                    if !self.put(row, x.to_bits()) {
                        self.part.part = Part::Mixed;
                    } else if !float_canonical(f) {
                        self.keep(row, f);
                    }
                } else if is_na(f) {
                    if !self.put(row, f64::NAN.to_bits()) {
                        self.part.part = Part::Mixed;
                    } else if !f.is_empty() {
                        self.keep(row, f);
                    }
                } else {
                    self.part.part = Part::Mixed;
                }
            }
            Part::Strs { bytes, ends, valid } => {
                let na = is_na(f);
                if !na {
                    bytes.extend_from_slice(f.as_bytes());
                }
                // Past 2 GiB of text the column is typed by `type_column`, which says so.
                let Ok(end) = i32::try_from(bytes.len()) else {
                    self.part.part = Part::Mixed;
                    return Some(());
                };
                ends.push(end);
                valid.push(!na);
                if na && !f.is_empty() {
                    self.keep(row, f);
                }
            }
            Part::Missing(n) => {
                if is_na(f) {
                    *n += 1;
                    if !f.is_empty() {
                        self.keep(row, f);
                    }
                } else {
                    let missing = *n;
                    return self.first(row, missing, f, rows);
                }
            }
            Part::Mixed => {}
        }
        Some(())
    }
}

/// What went wrong in a chunk: a row of another number of fields (its line in the chunk,
/// from 1, and that number), or memory the system refused.
enum ChunkError {
    Fields(u64, usize),
    Memory,
}

/// A chunk's part of every column, and its rows.
type Parts = Result<(Vec<ColPart>, usize), ChunkError>;

/// Where the first `a` or `b` in `hay` is. Eight bytes at a time (SWAR): fields are short,
/// and a SIMD search (`memchr2`) pays more to set up per field than it saves.
#[inline(always)]
fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let (ma, mb) = (LO * a as u64, LO * b as u64);
    let mut words = hay.chunks_exact(8);
    let mut at = 0;
    for w in &mut words {
        let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        let (x, y) = (w ^ ma, w ^ mb);
        // A zero byte of `x` or `y` is a match. The lowest byte flagged is always one (a
        // borrow flags only bytes above a true zero), so its index is the first match.
        let z = (x.wrapping_sub(LO) & !x | y.wrapping_sub(LO) & !y) & HI;
        if z != 0 {
            return Some(at + (z.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&c| c == a || c == b)
        .map(|p| at + p)
}

/// What [`Spans`] finds next in a chunk.
enum Span {
    /// Field `k` of the line is `chunk[start..end]` (without a line's `\r`).
    Field { k: usize, start: usize, end: usize },
    /// A line that is not blank ended with `fields` fields; `line` counts every line of
    /// the chunk so far, blank ones too (from 1).
    LineEnd { fields: usize, line: u64 },
}

/// The fields and line ends of a chunk's lines (no quotes), found by one scan for the
/// separator and the line break ([`find2`]). Blank lines are no rows (pandas), nor is the end after
/// the last line break.
struct Spans<'a> {
    chunk: &'a [u8],
    sep: u8,
    start: usize,
    k: usize,
    line: u64,
    done: bool,
    /// A line's end, given after its last field.
    pending: Option<Span>,
}

impl<'a> Spans<'a> {
    fn new(chunk: &'a [u8], sep: u8) -> Spans<'a> {
        Spans {
            chunk,
            sep,
            start: 0,
            k: 0,
            line: 0,
            done: false,
            pending: None,
        }
    }
}

impl Iterator for Spans<'_> {
    type Item = Span;

    // Inlined into the loop that reads the fields: called once a field, it would otherwise
    // pass each `Span` through memory.
    #[inline(always)]
    fn next(&mut self) -> Option<Span> {
        if let Some(span) = self.pending.take() {
            return Some(span);
        }
        loop {
            if self.done {
                return None;
            }
            let sep = self.sep;
            let rest = &self.chunk[self.start.min(self.chunk.len())..];
            let hit = find2(rest, sep, b'\n');
            let (at, line_end) = match hit {
                Some(i) => (self.start + i, rest[i] == b'\n'),
                None => {
                    self.done = true;
                    (self.chunk.len(), true)
                }
            };
            let start = std::mem::replace(&mut self.start, at + 1);
            if !line_end {
                self.k += 1;
                return Some(Span::Field {
                    k: self.k - 1,
                    start,
                    end: at,
                });
            }
            self.line += 1;
            let end = if at > start && self.chunk[at - 1] == b'\r' {
                at - 1
            } else {
                at
            };
            if self.k == 0 && end == start {
                continue;
            }
            // The line's last field; its end comes next.
            let k = std::mem::replace(&mut self.k, 0);
            self.start = at + 1;
            self.pending = Some(Span::LineEnd {
                fields: k + 1,
                line: self.line,
            });
            return Some(Span::Field { k, start, end });
        }
    }
}

/// Splits one chunk's lines (no quotes) and reads every field into its column's part.
/// A chunk that is not UTF-8 gives every column a `Mixed` part: `type_column` names the row.
fn parse_chunk(chunk: &[u8], sep: u8, slots: Vec<&mut [u64]>) -> Parts {
    let ncols = slots.len();
    // Room for a text column's ends: one a row (the slots are as many).
    let room_rows = slots.first().map_or(0, |s| s.len());
    let mut cols: Vec<Filling> = slots
        .into_iter()
        .map(|slots| Filling {
            part: ColPart {
                part: Part::Missing(0),
                kept_rows: Vec::new(),
                kept: FieldTexts::default(),
            },
            slots,
        })
        .collect();
    let text = std::str::from_utf8(chunk).ok();
    if text.is_none() {
        for c in &mut cols {
            c.part.part = Part::Mixed;
        }
    }
    let mut rows = 0;
    for span in Spans::new(chunk, sep) {
        match span {
            Span::Field { k, start, end } => {
                if let (Some(text), Some(c)) = (text, cols.get_mut(k)) {
                    c.push(rows, &text[start..end], room_rows)
                        .ok_or(ChunkError::Memory)?;
                }
            }
            Span::LineEnd { fields, line } => {
                if fields != ncols {
                    return Err(ChunkError::Fields(line, fields));
                }
                rows += 1;
            }
        }
    }
    Ok((cols.into_iter().map(|c| c.part).collect(), rows))
}

/// The fields of columns `ks` (in increasing order) in one chunk, as text (for
/// `type_column`): one pass over the chunk for all of them.
fn columns_fields(chunk: &[u8], sep: u8, ks: &[usize]) -> Vec<FieldTexts> {
    let mut out: Vec<FieldTexts> = ks.iter().map(|_| FieldTexts::default()).collect();
    // Where column `k`'s fields go, if it is one of `ks`.
    let ncols = ks.last().map_or(0, |&k| k + 1);
    let mut slot: Vec<Option<usize>> = vec![None; ncols];
    for (i, &k) in ks.iter().enumerate() {
        slot[k] = Some(i);
    }
    for span in Spans::new(chunk, sep) {
        if let Span::Field { k, start, end } = span {
            if let Some(&Some(i)) = slot.get(k) {
                let f = &mut out[i];
                f.text.extend_from_slice(&chunk[start..end]);
                let at = f.text.len() as u32;
                f.ends.push(at);
            }
        }
    }
    out
}

/// The columns `ks` typed from their text by `type_column`, each from its fields in every
/// chunk (gathered one pass a chunk, in parallel).
fn typed_from_text(chunks: &[Chunk], sep: u8, ks: &[usize]) -> Vec<Result<ColumnBody, usize>> {
    if ks.is_empty() {
        return Vec::new();
    }
    let gathered: Vec<Vec<FieldTexts>> = chunks
        .par_iter()
        .map(|c| columns_fields(c.lines(), sep, ks))
        .collect();
    // By column: its segment of each chunk.
    let mut by_column: Vec<Vec<FieldTexts>> = ks.iter().map(|_| Vec::new()).collect();
    for per_chunk in gathered {
        for (i, f) in per_chunk.into_iter().enumerate() {
            by_column[i].push(f);
        }
    }
    by_column.par_iter().map(|segs| type_column(segs)).collect()
}

/// Every chunk parsed and each column put together from its parts.
fn type_chunks(
    heap: &mut Heap,
    charge: &mut BufferCharge,
    path: &str,
    sep: u8,
    names: Vec<String>,
    chunks: &[Chunk],
) -> Fallible<Table> {
    let ncols = names.len();
    // The parts and slabs hold each field's text at most once and at most 16 bytes more a
    // field; a chunk's parts hold `ncols` fields a row (a row with more is an error).
    let rows: usize = chunks.iter().map(|c| c.rows).sum();
    let text: u64 = chunks.iter().map(|c| c.lines().len() as u64).sum();
    let need = text + 16 * rows as u64 * ncols as u64 + 256 * ncols as u64 * chunks.len() as u64;
    charge.charge(heap, need)?;
    // Each column's values, one word a row, written in place by the chunks' parts (zeroed
    // memory the system maps on first touch: a text column never touches its own).
    let mut slabs: Vec<Vec<u64>> = (0..ncols).map(|_| vec![0u64; rows]).collect();
    let parsed: Vec<Parts> = chunks
        .par_iter()
        .zip(slots_of(&mut slabs, chunks))
        .map(|(c, slots)| parse_chunk(c.lines(), sep, slots))
        .collect();
    let mut parts: Vec<(Vec<ColPart>, usize)> = Vec::with_capacity(parsed.len());
    for (k, p) in parsed.into_iter().enumerate() {
        match p {
            Ok(p) => parts.push(p),
            Err(ChunkError::Memory) => {
                charge.refund(heap, need);
                return Err(Fault::from(OutOfMemory {
                    requested: need,
                    live: heap.live_bytes(),
                    limit: None,
                    quota: false,
                }));
            }
            Err(ChunkError::Fields(line, found)) => {
                charge.refund(heap, need);
                // Line 1 is the header; then the lines of the chunks before this one.
                let before: u64 = chunks[..k]
                    .iter()
                    .map(|c| memchr::memchr_iter(b'\n', c.lines()).count() as u64)
                    .sum();
                return fail(format!(
                    "{path}:{}: expected {ncols} fields, found {found}",
                    1 + before + line
                ));
            }
        }
    }
    // From here the parts and the slabs are charged as what they hold.
    let held: u64 = parts
        .iter()
        .flat_map(|(c, _)| c)
        .map(ColPart::bytes)
        .sum::<u64>()
        + 8 * (rows * ncols) as u64;
    charge.refund(heap, need);
    charge.charge(heap, held)?;
    if parts.iter().map(|(_, n)| n).sum::<usize>() != rows {
        // Never: the rows counted are the rows parsed. Typed from the text if they differ.
        return fail(format!(
            "cannot load \"{path}\": the rows changed while read"
        ))
        .inspect_err(|_| charge.refund(heap, held));
    }
    let starts = row_starts(&parts);
    // Each column as one kind, or typed from its text: charged at the bound of either
    // (the parts' bytes again, or the column's text twice and 17 bytes a field), before
    // they are made.
    let plans: Vec<Plan> = (0..ncols).map(|k| plan(&parts, k)).collect();
    let build_need: u64 = plans
        .iter()
        .enumerate()
        .map(|(k, p)| match p {
            // Its fields' text (all such columns' together at most the file's), and the
            // typed column: the text again and 17 bytes a field.
            Plan::Generic => 21 * rows as u64 + 64,
            // The values are the slab itself; the null bitmap a bit a row.
            Plan::Ints | Plan::Floats => rows as u64 / 8 + 64 + 24 * kept(&parts, k),
            Plan::Strs => {
                parts.iter().map(|(c, _)| c[k].bytes()).sum::<u64>() + 24 * kept(&parts, k)
            }
        })
        .sum();
    let generic: Vec<usize> = (0..ncols).filter(|&k| plans[k] == Plan::Generic).collect();
    let build_need = build_need + if generic.is_empty() { 0 } else { 2 * text };
    if let Err(e) = charge.charge(heap, build_need) {
        charge.refund(heap, held);
        return Err(e.into());
    }
    let mut from_text = typed_from_text(chunks, sep, &generic).into_iter();
    let built: Vec<Option<Result<ColumnBody, usize>>> = plans
        .par_iter()
        .zip(slabs)
        .enumerate()
        .map(|(k, (plan, slab))| build(&parts, &starts, chunks, sep, k, *plan, slab))
        .collect();
    // The columns typed from their text come in the order of `generic`, which is theirs.
    let built: Vec<Result<ColumnBody, usize>> = built
        .into_iter()
        .map(|c| c.or_else(|| from_text.next()).unwrap_or(Err(0)))
        .collect();
    drop(parts);
    charge.refund(heap, held + build_need);
    let mut columns = Vec::with_capacity(ncols);
    for (k, c) in built.into_iter().enumerate() {
        match c {
            Ok(c) => columns.push(c),
            Err(row) => {
                return fail(format!(
                    "cannot load \"{path}\": column \"{}\" is not valid UTF-8 (data row {})",
                    names[k],
                    row + 1
                ))
            }
        }
    }
    let used: u64 = columns.iter().map(|c| c.charge()).sum();
    charge.charge(heap, used)?;
    Ok(Table {
        names,
        rows,
        columns,
    })
}

/// The row each chunk's parts start at.
fn row_starts(parts: &[(Vec<ColPart>, usize)]) -> Vec<usize> {
    parts
        .iter()
        .scan(0, |at, (_, n)| {
            let s = *at;
            *at += n;
            Some(s)
        })
        .collect()
}

/// Each chunk's slots of every column: the slabs cut at the chunks' row counts.
fn slots_of<'s>(slabs: &'s mut [Vec<u64>], chunks: &[Chunk]) -> Vec<Vec<&'s mut [u64]>> {
    let mut slots: Vec<Vec<&mut [u64]>> = chunks.iter().map(|_| Vec::new()).collect();
    for slab in slabs {
        let mut rest: &mut [u64] = slab;
        for (c, chunk) in chunks.iter().enumerate() {
            let n = chunk.rows.min(rest.len());
            let (mine, after) = std::mem::take(&mut rest).split_at_mut(n);
            slots[c].push(mine);
            rest = after;
        }
    }
    slots
}

/// How a column is put together from its parts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Plan {
    Ints,
    Floats,
    Strs,
    /// From its text, by `type_column`.
    Generic,
}

/// The one kind every part of column `k` holds (a part of missing fields only goes with
/// floats and text, as `type_column` reads them), or `Generic`.
fn plan(parts: &[(Vec<ColPart>, usize)], k: usize) -> Plan {
    let mut kind = None;
    let mut missing = false;
    for (cols, _) in parts {
        let this = match &cols[k].part {
            Part::Missing(0) => continue,
            Part::Missing(_) => {
                missing = true;
                continue;
            }
            Part::Ints => Plan::Ints,
            Part::Floats => Plan::Floats,
            Part::Strs { .. } => Plan::Strs,
            Part::Mixed => return Plan::Generic,
        };
        if kind.is_some_and(|k| k != this) {
            return Plan::Generic;
        }
        kind = Some(this);
    }
    match kind {
        Some(Plan::Ints) if missing => Plan::Generic,
        Some(k) => k,
        None => Plan::Generic,
    }
}

/// The fields of column `k` kept as written, in all parts.
fn kept(parts: &[(Vec<ColPart>, usize)], k: usize) -> u64 {
    parts.iter().map(|(c, _)| c[k].kept_rows.len() as u64).sum()
}

/// Column `k` made from its parts as `plan` says (`None` for a column typed from its text,
/// which `typed_from_text` makes). `Err(row)`: not UTF-8 there.
fn build(
    parts: &[(Vec<ColPart>, usize)],
    starts: &[usize],
    chunks: &[Chunk],
    sep: u8,
    k: usize,
    plan: Plan,
    slab: Vec<u64>,
) -> Option<Result<ColumnBody, usize>> {
    let rows: usize = parts.iter().map(|(_, n)| n).sum();
    let mut body = match plan {
        Plan::Generic => return None,
        // The slab becomes the Arrow buffer as it is: its words are the values' bits.
        Plan::Ints => {
            let values = ScalarBuffer::<i64>::new(Buffer::from_vec(slab), 0, rows);
            ColumnBody::new(std::sync::Arc::new(Int64Array::new(values, None)))
        }
        Plan::Floats => {
            let mut slab = slab;
            // A part of missing fields only wrote nothing: NaN there.
            for ((cols, n), &start) in parts.iter().zip(starts) {
                if matches!(cols[k].part, Part::Missing(_)) {
                    slab[start..start + n].fill(f64::NAN.to_bits());
                }
            }
            let values = ScalarBuffer::<f64>::new(Buffer::from_vec(slab), 0, rows);
            let nulls = nan_nulls(&values);
            ColumnBody::new(std::sync::Arc::new(Float64Array::new(values, nulls)))
        }
        Plan::Strs => {
            let total: usize = parts
                .iter()
                .map(|(cols, _)| match &cols[k].part {
                    Part::Strs { bytes, .. } => bytes.len(),
                    _ => 0,
                })
                .sum();
            let mut bytes_all: Vec<u8> = Vec::with_capacity(total);
            let mut offsets: Vec<i32> = Vec::with_capacity(rows + 1);
            let mut valid_all: Vec<bool> = Vec::with_capacity(rows);
            offsets.push(0);
            for (cols, n) in parts {
                let base = bytes_all.len() as i32;
                match &cols[k].part {
                    Part::Strs { bytes, ends, valid } => {
                        bytes_all.extend_from_slice(bytes);
                        offsets.extend(ends.iter().map(|&e| base + e));
                        valid_all.extend_from_slice(valid);
                    }
                    _ => {
                        offsets.resize(offsets.len() + n, base);
                        valid_all.resize(valid_all.len() + n, false);
                    }
                }
            }
            match string_column(offsets, bytes_all, valid_all) {
                Some(c) => c,
                // More than 2 GiB of text in all: typed from the text, as the small-file
                // reader does.
                None => return typed_from_text(chunks, sep, &[k]).pop(),
            }
        }
    };
    for ((cols, _), &start) in parts.iter().zip(starts) {
        let c = &cols[k];
        let mut at = 0;
        for (&row, &end) in c.kept_rows.iter().zip(&c.kept.ends) {
            let text = String::from_utf8_lossy(&c.kept.text[at..end as usize]);
            body.texts
                .push(((start + row as usize) as u32, text.into()));
            at = end as usize;
        }
    }
    Some(Ok(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column `type_column` makes of `fields`, and the one the parts make of the same
    /// fields cut in chunks of every size: the same values, nulls and kept texts.
    /// `fast`: the plan the parts must find (the shortcut taken, not `type_column`).
    fn same_as_type_column(fields: &[&str], fast: Option<Plan>) {
        let whole = {
            let mut f = FieldTexts::default();
            for t in fields {
                f.text.extend_from_slice(t.as_bytes());
                f.ends.push(f.text.len() as u32);
            }
            type_column(&[f]).expect("UTF-8")
        };
        for size in 1..=fields.len().max(1) {
            let chunks: Vec<Chunk> = fields
                .chunks(size)
                .map(|c| {
                    // Each field its own line of two columns, the other column constant.
                    let raw: String = c.iter().map(|f| format!("x,{f}\n")).collect();
                    let rows = count_rows(raw.as_bytes());
                    Chunk {
                        raw: raw.into_bytes(),
                        skip: 0,
                        rows,
                    }
                })
                .collect();
            let rows = chunks.iter().map(|c| c.rows).sum();
            let mut slabs = vec![vec![0u64; rows], vec![0u64; rows]];
            let parts: Vec<(Vec<ColPart>, usize)> = chunks
                .iter()
                .zip(slots_of(&mut slabs, &chunks))
                .map(|(c, slots)| match parse_chunk(c.lines(), b',', slots) {
                    Ok(p) => p,
                    Err(_) => panic!("parse"),
                })
                .collect();
            let starts = row_starts(&parts);
            let p = plan(&parts, 1);
            if let Some(want) = fast {
                assert_eq!(p, want, "{fields:?} by {size}");
            }
            let slab = slabs.pop().expect("column 1");
            let made = match build(&parts, &starts, &chunks, b',', 1, p, slab) {
                Some(made) => made,
                None => typed_from_text(&chunks, b',', &[1])
                    .pop()
                    .expect("column 1"),
            }
            .expect("UTF-8");
            assert_eq!(
                made.array.to_data(),
                whole.array.to_data(),
                "{fields:?} by {size}"
            );
            assert_eq!(made.texts, whole.texts, "{fields:?} by {size}");
        }
    }

    #[test]
    fn find2_finds_the_first_of_two_bytes() {
        let hay = b"abc,def\nghijklmnopq,rstuvwxyz0123456789\n,";
        for from in 0..hay.len() {
            let want = hay[from..].iter().position(|&c| c == b',' || c == b'\n');
            assert_eq!(find2(&hay[from..], b',', b'\n'), want, "from {from}");
        }
        // Bytes one above the ones sought, and 0x80, which a borrow could confuse.
        let tricky = [0x2du8, 0x0b, 0x80, 0x81, 0x2d, 0x2c, 0x0a];
        assert_eq!(find2(&tricky, b',', b'\n'), Some(5));
        assert_eq!(find2(b"", b',', b'\n'), None);
    }

    #[test]
    fn spans_skip_blank_lines_and_count_every_line() {
        let chunk = b"a,b\r\n\n\r\nc,d\n1,2,3\nlast,x";
        let mut got = Vec::new();
        for span in Spans::new(chunk, b',') {
            got.push(match span {
                Span::Field { k, start, end } => {
                    format!("{k}:{}", String::from_utf8_lossy(&chunk[start..end]))
                }
                Span::LineEnd { fields, line } => format!("end {fields}@{line}"),
            });
        }
        assert_eq!(
            got,
            [
                "0:a", "1:b", "end 2@1", "0:c", "1:d", "end 2@4", "0:1", "1:2", "2:3", "end 3@5",
                "0:last", "1:x", "end 2@6"
            ]
        );
    }

    #[test]
    fn a_lone_carriage_return_is_seen() {
        assert!(!has_lone_cr(b"a,b\r\nc,d\r\n"));
        assert!(has_lone_cr(b"a,b\rc,d\n"));
        assert!(has_lone_cr(b"a,b\r\r\n"));
        assert!(has_lone_cr(b"a,b\r"));
    }

    #[test]
    fn rows_are_the_lines_that_are_not_blank() {
        assert_eq!(count_rows(b""), 0);
        assert_eq!(count_rows(b"a"), 1);
        assert_eq!(count_rows(b"a\n"), 1);
        assert_eq!(count_rows(b"a\r\n\r\n\n,\nb"), 3);
        assert_eq!(count_rows(b"\n\n\r"), 0);
    }

    #[test]
    fn parts_type_columns_as_type_column_does() {
        use Plan::*;
        // The plan every cutting into chunks gives (None: it depends on the cutting).
        for (fields, fast) in [
            (&["1", "2", "-3"][..], Some(Ints)),
            (&["1", "007", "+4"], Some(Ints)),
            (&["1", "", "3"], Some(Generic)),
            (&["1.5", "NA", "2.50", ""], Some(Floats)),
            (&["", "", "1.25"], Some(Floats)),
            (&["NA", "", "n/a"], Some(Generic)),
            (&["1", "2.5", "3"], Some(Generic)),
            (&["a", "NA", "", "b"], Some(Strs)),
            (&["", "a", "1"], None),
            (&["1", "a"], Some(Generic)),
            (&["True", "False", ""], Some(Generic)),
            (&["1e3", "inf", "-0.0"], Some(Floats)),
            (&["99999999999999999999", "1"], None),
            (&[" 1 ", "2"], Some(Ints)),
        ] {
            same_as_type_column(fields, fast);
        }
    }
}
