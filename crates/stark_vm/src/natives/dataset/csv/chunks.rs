//! Large CSV files without quotes: read in chunks on the rayon pool, and typed while they
//! are split.
//!
//! A regular file of at least [`PARALLEL_BYTES`] with no quote character (so every line
//! break ends a record, and a chunk boundary at one cannot fall inside a field) is cut
//! into byte ranges, and each range read twice, [`BLOCK`] bytes of whole lines at a time
//! through one buffer a task (so the file is never held whole: a load of a 40 MB file
//! touched 40 MB of fresh memory for it, a fifth of its time). The first pass finds the
//! lines that start in the range and counts their rows; the second splits them, reading
//! every field straight into its column's part for the chunk ([`Part`]) as the kind of
//! the part's first value. A number is written in place: every column has a slab of one
//! 8-byte word a row, cut at the chunks' row counts, and an int64 or float64 column
//! becomes its Arrow buffer without a copy. A field's text is copied only into a text
//! column's bytes, or when `row(i)` must give it as written. This is a shortcut for the
//! common case: a column whose parts do not all hold one kind (a part with a field of
//! another kind, whole numbers with a missing one, bools) is typed afterwards from its
//! fields' text (read a third time) by [`type_column`], the one statement of pandas'
//! rules, and the shortcut must give what that gives (the tests below compare the two on
//! the same text). A file that changes between the passes is an error, never a wrong
//! table: the rows of every chunk must be what the first pass counted.
//!
//! Memory: the tasks' buffers are charged to the `io` zone before they are read into; the
//! slabs and parts before they are filled, at their bound (a field's text once, and 16
//! bytes a field); the finished columns before they are put together. The caller keeps
//! the finished columns' charge, as for the reader of small files.

use super::super::super::byte_scan;
use super::super::super::stream::reason;
use super::{
    float_field, float_field_word, int_field, int_field_word, is_blank, is_na_bytes, parse_bool,
    string_column, type_column, unique_names, FieldTexts, Table,
};
use crate::error::{fail, Fallible, Fault};
use arrow_array::{Float64Array, Int64Array};
use arrow_buffer::{Buffer, ScalarBuffer};
use rayon::prelude::*;
use stark_runtime::column::nan_nulls;
use stark_runtime::sysalloc::fallible;
use stark_runtime::{BufferCharge, ColumnBody, Heap, OutOfMemory};
use std::mem::MaybeUninit;

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
    // Every pass reads this one open file (a file put in its place meanwhile is not read),
    // and a file changed in place while it is read is an error (`unchanged`).
    let file = std::fs::File::open(path)
        .or_else(|e| fail(format!("cannot load \"{path}\": {}", reason(&e))))?;
    let Ok(meta) = file.metadata() else {
        return Ok(None);
    };
    if !meta.is_file() || meta.len() < PARALLEL_BYTES {
        return Ok(None);
    }
    let len = meta.len() as usize;
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
            .map(|(i, h)| match h {
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
    // Each task's one buffer, charged for every task (however many run at once).
    let raw_need = (pieces * BLOCK) as u64;
    charge.charge(heap, raw_need)?;
    let counted: Vec<Option<Chunk>> = ranges
        .par_iter()
        .map(|&(s, e)| count_chunk(&file, s as u64, e as u64, start as u64, len as u64))
        .collect();
    let result = match counted.into_iter().collect::<Option<Vec<Chunk>>>() {
        Some(chunks) => type_chunks(heap, charge, path, sep, names, &chunks).map(Some),
        None => Ok(None),
    };
    charge.refund(heap, raw_need);
    // Written to in place while it was read: the passes may have read different texts (a
    // table is not given, and an error says so rather than what the mix looked like).
    let same =
        |m: std::fs::Metadata| m.len() == meta.len() && m.modified().ok() == meta.modified().ok();
    if !file.metadata().is_ok_and(same) {
        // (A table's charge goes back with the caller's `refund_all`.)
        return fail(changed(path));
    }
    result
}

/// Bytes a task reads at a time, into one buffer it keeps (small enough to stay in the
/// core's cache while its lines are scanned). Whole lines are handed on from it, so a line
/// longer than this sends the file to the record reader.
const BLOCK: usize = 512 << 10;

/// The lines that start in one range of the file: where they are, and what the first pass
/// over them counted. The second pass reads them again to type them.
struct Chunk<'p> {
    text: Text<'p>,
    /// Its rows: the lines that are not blank.
    rows: usize,
    /// Its line breaks (every line but a last one without a break), for the line numbers
    /// of error messages.
    breaks: u64,
    /// Its length in bytes.
    len: u64,
}

/// Where a chunk's lines are.
enum Text<'p> {
    /// Bytes `start..end` of the file (`end` is just after a line break, or the file's end).
    File {
        file: &'p std::fs::File,
        start: u64,
        end: u64,
    },
    /// The lines themselves.
    #[cfg(test)]
    Memory(Vec<u8>),
}

impl Chunk<'_> {
    /// Gives `each` the chunk's lines, in order, a block of whole lines at a time (a block
    /// starts a line and ends with a line break, or at the chunk's end).
    fn blocks(
        &self,
        mut each: impl FnMut(&[u8]) -> Result<(), ChunkError>,
    ) -> Result<(), ChunkError> {
        match &self.text {
            Text::File { file, start, end } => {
                let mut blocks =
                    LineBlocks::open(file, *start, *end, BLOCK).ok_or(ChunkError::Read)?;
                while let Some(block) = blocks.next().map_err(|_| ChunkError::Read)? {
                    each(block)?;
                }
                Ok(())
            }
            #[cfg(test)]
            Text::Memory(raw) => each(raw),
        }
    }
}

/// A file read from one place to another in blocks of whole lines, through one buffer.
struct LineBlocks<'f> {
    file: &'f std::fs::File,
    buf: Vec<u8>,
    /// `buf[..filled]` holds bytes of the file; `buf[..used]` were handed out.
    filled: usize,
    used: usize,
    /// Where the next read starts, and where reading stops.
    pos: u64,
    end: u64,
}

impl LineBlocks<'_> {
    /// Reads through a buffer of `block` bytes; `None` when the system refuses it.
    fn open(file: &std::fs::File, start: u64, end: u64, block: usize) -> Option<LineBlocks<'_>> {
        let mut buf = vec_with(block)?;
        buf.resize(block, 0);
        Some(LineBlocks {
            file,
            buf,
            filled: 0,
            used: 0,
            pos: start,
            end,
        })
    }

    /// The next block: whole lines, the last ending with a line break unless it ends where
    /// reading stops; `None` at the end. An error for a line longer than the buffer.
    fn next(&mut self) -> std::io::Result<Option<&[u8]>> {
        use std::os::unix::fs::FileExt;
        // The part of a line the last block did not hand out moves to the front.
        self.buf.copy_within(self.used..self.filled, 0);
        self.filled -= self.used;
        self.used = 0;
        loop {
            let want = ((self.buf.len() - self.filled) as u64).min(self.end - self.pos) as usize;
            if want > 0 {
                let n = self
                    .file
                    .read_at(&mut self.buf[self.filled..self.filled + want], self.pos)?;
                if n == 0 {
                    // The file is shorter than it was.
                    self.end = self.pos;
                }
                self.filled += n;
                self.pos += n as u64;
            }
            let cut = if self.pos >= self.end {
                self.filled
            } else {
                match memchr::memrchr(b'\n', &self.buf[..self.filled]) {
                    Some(i) => i + 1,
                    None if self.filled == self.buf.len() => {
                        return Err(std::io::Error::other("a line longer than a block"))
                    }
                    None => continue,
                }
            };
            if cut == 0 {
                return Ok(None);
            }
            self.used = cut;
            return Ok(Some(&self.buf[..cut]));
        }
    }
}

/// The first pass over the lines that start in `[s, e)` (a line starts at `first` or
/// after a line break): where they lie, their rows and line breaks; `None` if they have a
/// quote or a lone `\r`, a line longer than a block, or cannot be read.
fn count_chunk(file: &std::fs::File, s: u64, e: u64, first: u64, len: u64) -> Option<Chunk<'_>> {
    // One byte before `s`, to see whether a line starts at `s`: the chunk's first line
    // starts after the first line break from there.
    let from = if s > first { s - 1 } else { s };
    let mut blocks = LineBlocks::open(file, from, len, BLOCK)?;
    let mut at = from;
    let mut start = (from == s).then_some(s);
    let (mut rows, mut breaks) = (0usize, 0u64);
    let mut end = None;
    while let Some(block) = blocks.next().ok()? {
        let mut b = block;
        let mut b_at = at;
        at += block.len() as u64;
        let st = match start {
            Some(st) => st,
            None => {
                let i = memchr::memchr(b'\n', b).map_or(b.len(), |i| i + 1);
                b = &b[i..];
                b_at += i as u64;
                *start.insert(b_at)
            }
        };
        if st >= e {
            // No line starts in the range.
            end = Some(st);
            break;
        }
        // The last line is the one that holds byte `e - 1`: it ends at the first break
        // from there (where the next chunk's first line starts).
        let from_i = (e - 1).saturating_sub(b_at) as usize;
        let cut = b
            .get(from_i..)
            .and_then(|rest| memchr::memchr(b'\n', rest))
            .map(|i| from_i + i + 1);
        let part = &b[..cut.unwrap_or(b.len())];
        let (r, n) = scan_rows(part)?;
        rows += r;
        breaks += n;
        if let Some(c) = cut {
            end = Some(b_at + c as u64);
            break;
        }
    }
    let start = start.unwrap_or(at);
    let end = end.unwrap_or(at).max(start);
    Some(Chunk {
        text: Text::File { file, start, end },
        rows,
        breaks,
        len: end - start,
    })
}

/// Whether `raw` has a `\r` not followed by `\n`: a line break of its own to `csv_core`
/// and pandas, which this reader's line splitting does not know (the caller then reads
/// the file record by record). A chunk ends at a `\n` or at the end of the file, so a
/// `\r\n` is never cut.
fn has_lone_cr(raw: &[u8]) -> bool {
    memchr::memchr_iter(b'\r', raw).any(|i| raw.get(i + 1) != Some(&b'\n'))
}

/// The rows of `lines` (as `count_rows` counts them) in one pass over 64-byte masks of its
/// line breaks, quotes and carriage returns; `None` if it has a quote or a lone `\r` (the
/// file is then read record by record). Lines hold no `\r` in the common case, and a blank
/// line is then a break right after a break (or at the start).
fn scan_rows(lines: &[u8]) -> Option<(usize, u64)> {
    #[cfg(target_arch = "x86_64")]
    if byte_scan::has_bit_ops() {
        #[target_feature(enable = "popcnt,bmi1")]
        fn with_bit_ops(lines: &[u8]) -> Option<(usize, u64)> {
            scan_rows_in(lines)
        }
        // SAFETY: the machine has the features `with_bit_ops` is compiled for.
        return unsafe { with_bit_ops(lines) };
    }
    scan_rows_in(lines)
}

/// `scan_rows`, inlined into a copy for each instruction set.
#[inline(always)]
fn scan_rows_in(lines: &[u8]) -> Option<(usize, u64)> {
    // `by_lines`: a carriage return, or a line that may be spaces and tabs only: the rows
    // are then counted line by line.
    let (mut rows, mut by_lines, mut all) = (0usize, false, 0u64);
    // The byte before the block was a line break (the chunk starts a line).
    let mut after_break = 1u64;
    let mut base = 0;
    while base < lines.len() {
        let [breaks, quotes, crs, spaces, tabs] =
            byte_scan::eq_masks(lines, base, [b'\n', b'"', b'\r', b' ', b'\t']);
        if quotes != 0 {
            return None;
        }
        // A line that starts with a space or a tab may be blank (spaces and tabs only):
        // counted line by line, as a carriage return is.
        by_lines |= crs != 0 || (spaces | tabs) & (breaks << 1 | after_break) != 0;
        let blank = breaks & (breaks << 1 | after_break);
        all += u64::from(breaks.count_ones());
        rows += (breaks.count_ones() - blank.count_ones()) as usize;
        after_break = breaks >> 63;
        base += 64;
    }
    rows += lines.last().is_some_and(|&b| b != b'\n') as usize;
    if by_lines {
        if has_lone_cr(lines) {
            return None;
        }
        // A line of a lone `\r\n` is blank too.
        rows = count_rows(lines);
    }
    Some((rows, all))
}

/// The lines of `lines` that are not blank (spaces and tabs only, before a `\r`), as [`each_span`] reads
/// them: each chunk's rows are known before it is parsed, so its values can be written
/// straight into their place in the column.
fn count_rows(lines: &[u8]) -> usize {
    let mut rows = 0;
    let mut start = 0;
    let blank = |line: &[u8]| is_blank(line.strip_suffix(b"\r").unwrap_or(line));
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
    /// Missing values written as NaN (a float column with none has no null bitmap to make).
    nas: usize,
}

/// A part while its chunk is parsed: with `slots`, the chunk's rows of the column's
/// values (one 8-byte word a row, shared by every kind of number), where an int or float
/// part writes its values in place, so that the column is made without a copy.
struct Filling<'s> {
    part: ColPart,
    slots: &'s mut [MaybeUninit<u64>],
}

/// Room for a chunk's fields; `None` when the system refuses it.
fn vec_with<T>(n: usize) -> Option<Vec<T>> {
    let mut v = Vec::new();
    fallible(|| v.try_reserve_exact(n)).ok()?;
    Some(v)
}

impl ColPart {
    fn keep(&mut self, row: usize, f: &[u8]) {
        self.kept_rows.push(row as u32);
        self.kept.text.extend_from_slice(f);
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
    fn keep(&mut self, row: usize, f: &[u8]) {
        self.part.keep(row, f);
    }

    /// Writes `bits` as row `row`'s value; false (never, when the rows were counted
    /// right) if the row has no slot.
    #[inline]
    fn put(&mut self, row: usize, bits: u64) -> bool {
        match self.slots.get_mut(row) {
            Some(slot) => {
                slot.write(bits);
                true
            }
            None => false,
        }
    }

    /// The part's first value, after `missing` missing fields; `rows` is room enough.
    fn first(&mut self, row: usize, missing: usize, f: &[u8], room: &mut Room) -> Option<()> {
        if let Some((v, canonical)) = int_field(f) {
            if missing > 0 || !self.put(row, v as u64) {
                // Whole numbers with a missing one are float64, and their texts kept as
                // `type_column` decides.
                self.part.part = Part::Mixed;
                return Some(());
            }
            self.part.part = Part::Ints;
            if !canonical {
                self.keep(row, f);
            }
        } else if let Some((x, canonical)) = float_field(f) {
            if row >= self.slots.len() {
                self.part.part = Part::Mixed;
                return Some(());
            }
            self.slots[..row].fill(MaybeUninit::new(f64::NAN.to_bits()));
            self.slots[row].write(x.to_bits());
            self.part.part = Part::Floats;
            self.part.nas = missing;
            if !canonical {
                self.keep(row, f);
            }
        } else if std::str::from_utf8(f).is_ok_and(|f| parse_bool(f).is_some()) {
            self.part.part = Part::Mixed;
        } else {
            let mut ends = vec_with(room.rows)?;
            let mut valid = vec_with(room.rows)?;
            ends.resize(missing, 0);
            valid.resize(missing, false);
            // Room for the rest of the chunk's fields if they are about this long (growing
            // by doubling copied the text and touched twice its memory), from what is left
            // of the chunk's length: all text columns together reserve no more than it.
            let guess = (f.len() + 8).saturating_mul(room.rows.saturating_sub(row));
            let want = guess.min(room.text).max(f.len());
            room.text -= want.min(room.text);
            let mut bytes = vec_with(want)?;
            bytes.extend_from_slice(f);
            ends.push(bytes.len() as i32);
            valid.push(true);
            self.part.part = Part::Strs { bytes, ends, valid };
        }
        Some(())
    }

    /// Field `row` of the chunk; `None` when the system refuses memory.
    #[inline(always)]
    fn push(&mut self, row: usize, field: Field, room: &mut Room) -> Option<()> {
        let f = field.text();
        match &mut self.part.part {
            Part::Ints => match int_field_word(f, field.word()) {
                Some((x, canonical)) if self.put(row, x as u64) => {
                    if !canonical {
                        self.keep(row, f);
                    }
                }
                _ => self.part.part = Part::Mixed,
            },
            Part::Floats => {
                if let Some((x, canonical)) = float_field_word(f, field.word()) {
                    if !self.put(row, x.to_bits()) {
                        self.part.part = Part::Mixed;
                    } else if !canonical {
                        self.keep(row, f);
                    }
                } else if is_na_bytes(f) {
                    if !self.put(row, f64::NAN.to_bits()) {
                        self.part.part = Part::Mixed;
                    } else {
                        self.part.nas += 1;
                        if !f.is_empty() {
                            self.keep(row, f);
                        }
                    }
                } else {
                    self.part.part = Part::Mixed;
                }
            }
            Part::Strs { bytes, ends, valid } => {
                let na = is_na_bytes(f);
                if !na {
                    if bytes.capacity() - bytes.len() < f.len().max(16) {
                        fallible(|| bytes.try_reserve(f.len().max(16))).ok()?;
                    }
                    match field.chunk.get(field.start..field.start + 16) {
                        // A short field is copied as sixteen bytes (one load and one
                        // store, not a call to `memcpy`) and the bytes past it dropped.
                        Some(wide) if f.len() <= 16 => {
                            let len = bytes.len() + f.len();
                            bytes.extend_from_slice(wide);
                            bytes.truncate(len);
                        }
                        _ => bytes.extend_from_slice(f),
                    }
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
                if is_na_bytes(f) {
                    *n += 1;
                    if !f.is_empty() {
                        self.keep(row, f);
                    }
                } else {
                    let missing = *n;
                    return self.first(row, missing, f, room);
                }
            }
            Part::Mixed => {}
        }
        Some(())
    }
}

/// What a chunk's parts may reserve as they start: a row each (the chunk's rows), and, for
/// text, bytes (at most the chunk's length, for all its text columns together).
struct Room {
    rows: usize,
    text: usize,
}

/// What went wrong in a chunk: a row of another number of fields (its line in the chunk,
/// from 1, and that number), memory the system refused, or the file.
enum ChunkError {
    Fields(u64, usize),
    Memory,
    /// The file could not be read again (or changed: a line no longer fits a block).
    Read,
}

/// A chunk's part of every column, and its rows.
type Parts = Result<(Vec<ColPart>, usize), ChunkError>;

/// What [`each_span`] gives the fields and line ends of a chunk to. Its methods are
/// inlined into the scan (`#[inline(always)]`): called through a closure, a field cost a
/// call, a fifth of the parse.
trait Sink {
    type Error;
    /// Field `k` of the line (without a line's `\r`).
    fn field(&mut self, k: usize, field: Field) -> Result<(), Self::Error>;
    /// A line that is not blank ended with `fields` fields; `line` counts every line of
    /// the chunk so far, blank ones too (from 1).
    fn line_end(&mut self, fields: usize, line: u64) -> Result<(), Self::Error>;
}

/// A field of a chunk: its bytes, and the chunk around them (a short number is read with
/// one eight-byte load, which may run past the field's end).
#[derive(Clone, Copy)]
struct Field<'a> {
    chunk: &'a [u8],
    start: usize,
    end: usize,
}

impl<'a> Field<'a> {
    #[inline(always)]
    fn text(&self) -> &'a [u8] {
        &self.chunk[self.start..self.end]
    }

    /// The eight bytes from the field's start (the first in the lowest byte), if the chunk
    /// has that many.
    #[inline(always)]
    fn word(&self) -> Option<u64> {
        let w = self.chunk.get(self.start..self.start + 8)?;
        Some(u64::from_le_bytes(w.try_into().ok()?))
    }
}

/// Gives the fields and line ends of a block of lines (no quotes) to `sink`, in order, and
/// stops at its first error; the block's line breaks. Blank lines are no rows (pandas),
/// nor is the end after the last line break.
///
/// The separators and line breaks of 64 bytes at a time are read off one bit mask
/// (`byte_scan::eq_masks`): a search that stops at each field's end mispredicts there, and
/// fields are a few bytes long.
#[inline(always)]
fn each_span<S: Sink>(chunk: &[u8], sep: u8, sink: &mut S) -> Result<u64, S::Error> {
    let (mut start, mut k, mut line) = (0usize, 0usize, 0u64);
    let mut base = 0;
    while base < chunk.len() {
        let [seps, breaks] = byte_scan::eq_masks(chunk, base, [sep, b'\n']);
        let mut hits = seps | breaks;
        while hits != 0 {
            let bit = hits.trailing_zeros();
            hits &= hits - 1;
            let at = base + bit as usize;
            if breaks >> bit & 1 == 0 {
                sink.field(
                    k,
                    Field {
                        chunk,
                        start,
                        end: at,
                    },
                )?;
                k += 1;
            } else {
                line += 1;
                line_end(chunk, start, at, k, line, sink)?;
                k = 0;
            }
            start = at + 1;
        }
        base += 64;
    }
    line_end(chunk, start, chunk.len(), k, line + 1, sink)?;
    Ok(line)
}

/// The end of a line of `k + 1` fields, the last from `start` to `at` (a line break, or
/// the chunk's end), the chunk's `line`th: nothing for a blank line.
#[inline(always)]
fn line_end<S: Sink>(
    chunk: &[u8],
    start: usize,
    at: usize,
    k: usize,
    line: u64,
    sink: &mut S,
) -> Result<(), S::Error> {
    let end = if at > start && chunk[at - 1] == b'\r' {
        at - 1
    } else {
        at
    };
    if k == 0 && is_blank(&chunk[start..end]) {
        return Ok(());
    }
    sink.field(k, Field { chunk, start, end })?;
    sink.line_end(k + 1, line)
}

/// A chunk's parts while it is parsed.
struct ChunkParser<'s> {
    cols: Vec<Filling<'s>>,
    rows: usize,
    /// The line breaks of the chunk's blocks before this one.
    breaks: u64,
    /// Room for a text column's ends: one a row (the slots are as many).
    room: Room,
}

impl Sink for ChunkParser<'_> {
    type Error = ChunkError;

    #[inline(always)]
    fn field(&mut self, k: usize, field: Field) -> Result<(), ChunkError> {
        if let Some(c) = self.cols.get_mut(k) {
            c.push(self.rows, field, &mut self.room)
                .ok_or(ChunkError::Memory)?;
        }
        Ok(())
    }

    #[inline(always)]
    fn line_end(&mut self, fields: usize, line: u64) -> Result<(), ChunkError> {
        if fields != self.cols.len() {
            return Err(ChunkError::Fields(self.breaks + line, fields));
        }
        self.rows += 1;
        Ok(())
    }
}

/// Splits one chunk's lines (no quotes) and reads every field into its column's part.
/// Fields are bytes: a number is ASCII, and a text column's bytes are checked as UTF-8
/// when its Arrow array is made (a column that is not is typed by `type_column`, which
/// names the row).
fn parse_chunk(chunk: &Chunk, sep: u8, slots: Vec<&mut [MaybeUninit<u64>]>) -> Parts {
    let room = Room {
        rows: slots.first().map_or(0, |s| s.len()),
        text: chunk.len as usize,
    };
    let cols: Vec<Filling> = slots
        .into_iter()
        .map(|slots| Filling {
            part: ColPart {
                part: Part::Missing(0),
                kept_rows: Vec::new(),
                kept: FieldTexts::default(),
                nas: 0,
            },
            slots,
        })
        .collect();
    let mut parser = ChunkParser {
        cols,
        rows: 0,
        breaks: 0,
        room,
    };
    chunk.blocks(|block| parse_block(&mut parser, block, sep))?;
    for c in &mut parser.cols {
        // What a text part reserved and did not use goes back (it is charged as held).
        if let Part::Strs { bytes, .. } = &mut c.part.part {
            bytes.shrink_to_fit();
        }
    }
    Ok((
        parser.cols.into_iter().map(|c| c.part).collect(),
        parser.rows,
    ))
}

/// One block of a chunk's lines into its parts.
fn parse_block(parser: &mut ChunkParser, block: &[u8], sep: u8) -> Result<(), ChunkError> {
    #[cfg(target_arch = "x86_64")]
    if byte_scan::has_bit_ops() {
        #[target_feature(enable = "popcnt,bmi1")]
        fn with_bit_ops(parser: &mut ChunkParser, block: &[u8], sep: u8) -> Result<(), ChunkError> {
            parse_block_in(parser, block, sep)
        }
        // SAFETY: the machine has the features `with_bit_ops` is compiled for.
        return unsafe { with_bit_ops(parser, block, sep) };
    }
    parse_block_in(parser, block, sep)
}

/// `parse_block`, inlined into a copy for each instruction set.
#[inline(always)]
fn parse_block_in(parser: &mut ChunkParser, block: &[u8], sep: u8) -> Result<(), ChunkError> {
    parser.breaks += each_span(block, sep, parser)?;
    Ok(())
}

/// The fields of some columns gathered as text (`columns_fields`).
struct Gather {
    out: Vec<FieldTexts>,
    /// The rows gathered (a line's end each).
    rows: usize,
    /// Where column `k`'s fields go, if it is one of those gathered.
    slot: Vec<Option<usize>>,
}

impl Sink for Gather {
    type Error = std::convert::Infallible;

    #[inline(always)]
    fn field(&mut self, k: usize, field: Field) -> Result<(), Self::Error> {
        let text = field.text();
        if let Some(&Some(i)) = self.slot.get(k) {
            let f = &mut self.out[i];
            f.text.extend_from_slice(text);
            let at = f.text.len() as u32;
            f.ends.push(at);
        }
        Ok(())
    }

    #[inline(always)]
    fn line_end(&mut self, _: usize, _: u64) -> Result<(), Self::Error> {
        self.rows += 1;
        Ok(())
    }
}

/// The fields of columns `ks` (in increasing order) in one chunk, as text (for
/// `type_column`): one pass over the chunk for all of them.
fn columns_fields(chunk: &Chunk, sep: u8, ks: &[usize]) -> Result<Vec<FieldTexts>, ChunkError> {
    let ncols = ks.last().map_or(0, |&k| k + 1);
    let mut gather = Gather {
        out: ks.iter().map(|_| FieldTexts::default()).collect(),
        rows: 0,
        slot: vec![None; ncols],
    };
    for (i, &k) in ks.iter().enumerate() {
        gather.slot[k] = Some(i);
    }
    chunk.blocks(|block| {
        let Ok(_) = each_span(block, sep, &mut gather);
        Ok(())
    })?;
    // Read a third time: its rows must be those the first pass counted, each with every
    // field (a row of another length is not typed here: the second pass reported it).
    if gather.rows != chunk.rows || gather.out.iter().any(|f| f.len() != chunk.rows) {
        return Err(ChunkError::Read);
    }
    Ok(gather.out)
}

/// The columns `ks` typed from their text by `type_column`, each from its fields in every
/// chunk (gathered one pass a chunk, in parallel).
fn typed_from_text(
    chunks: &[Chunk],
    sep: u8,
    ks: &[usize],
) -> Result<Vec<Result<ColumnBody, usize>>, ChunkError> {
    if ks.is_empty() {
        return Ok(Vec::new());
    }
    let gathered: Vec<Vec<FieldTexts>> = chunks
        .par_iter()
        .map(|c| columns_fields(c, sep, ks))
        .collect::<Result<_, _>>()?;
    // By column: its segment of each chunk.
    let mut by_column: Vec<Vec<FieldTexts>> = ks.iter().map(|_| Vec::new()).collect();
    for per_chunk in gathered {
        for (i, f) in per_chunk.into_iter().enumerate() {
            by_column[i].push(f);
        }
    }
    Ok(by_column.par_iter().map(|segs| type_column(segs)).collect())
}

/// The system refused the memory of a load's slabs or parts: what was charged for them is
/// given back, and the load fails as out of memory (exit 3).
fn refused(heap: &mut Heap, charge: &mut BufferCharge, need: u64) -> Fault {
    charge.refund(heap, need);
    Fault::from(OutOfMemory {
        requested: need,
        live: heap.live_bytes(),
        limit: None,
        quota: false,
    })
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
    let text: u64 = chunks.iter().map(|c| c.len).sum();
    let need = text + 16 * rows as u64 * ncols as u64 + 256 * ncols as u64 * chunks.len() as u64;
    charge.charge(heap, need)?;
    // Each column's values, one word a row, written in place by the chunks' parts. Not
    // cleared first: a load reuses the memory of the last one, and clearing six slabs of a
    // million rows took a fifth of the load. `build` says why every slot it reads was
    // written.
    let mut slabs: Vec<Vec<u64>> = Vec::with_capacity(ncols);
    for _ in 0..ncols {
        match vec_with(rows) {
            Some(slab) => slabs.push(slab),
            None => return Err(refused(heap, charge, need)),
        }
    }
    let parsed: Vec<Parts> = chunks
        .par_iter()
        .zip(slots_of(&mut slabs, chunks))
        .map(|(c, slots)| parse_chunk(c, sep, slots))
        .collect();
    let mut parts: Vec<(Vec<ColPart>, usize)> = Vec::with_capacity(parsed.len());
    for (k, p) in parsed.into_iter().enumerate() {
        match p {
            Ok(p) => parts.push(p),
            Err(ChunkError::Memory) => return Err(refused(heap, charge, need)),
            Err(ChunkError::Fields(line, found)) => {
                charge.refund(heap, need);
                // Line 1 is the header; then the lines of the chunks before this one.
                let before: u64 = chunks[..k].iter().map(|c| c.breaks).sum();
                return fail(format!(
                    "{path}:{}: expected {ncols} fields, found {found}",
                    1 + before + line
                ));
            }
            Err(ChunkError::Read) => {
                charge.refund(heap, need);
                return fail(changed(path));
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
    if parts.iter().zip(chunks).any(|((_, n), c)| *n != c.rows) {
        // Never: the rows counted are the rows parsed (and `build` relies on it).
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
    let built: Vec<Option<Result<ColumnBody, usize>>> = plans
        .par_iter()
        .zip(slabs)
        .enumerate()
        .map(|(k, (plan, slab))| build(&parts, &starts, k, *plan, slab))
        .collect();
    // The columns typed from their text (by plan, or a text column past 2 GiB), from the
    // file read again; they come in the order of `again`, which is theirs.
    let again: Vec<usize> = (0..ncols).filter(|&k| built[k].is_none()).collect();
    let Ok(from_text) = typed_from_text(chunks, sep, &again) else {
        charge.refund(heap, held + build_need);
        return fail(changed(path));
    };
    let mut from_text = from_text.into_iter();
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
    if columns.iter().any(|c| c.array.len() != rows) {
        // Never unless the file changed between the passes: every column has a value a row.
        return fail(changed(path));
    }
    let used: u64 = columns.iter().map(|c| c.charge()).sum();
    charge.charge(heap, used)?;
    Ok(Table {
        names,
        rows,
        columns,
    })
}

/// The error of a file that could not be read a second time as it was the first.
fn changed(path: &str) -> String {
    format!("cannot load \"{path}\": the file changed or could not be read while it was loaded")
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
fn slots_of<'s>(
    slabs: &'s mut [Vec<u64>],
    chunks: &[Chunk],
) -> Vec<Vec<&'s mut [MaybeUninit<u64>]>> {
    let mut slots: Vec<Vec<&mut [MaybeUninit<u64>]>> = chunks.iter().map(|_| Vec::new()).collect();
    for slab in slabs {
        let mut rest: &mut [MaybeUninit<u64>] = slab.spare_capacity_mut();
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

/// A slab whose `rows` slots were all written, as a vector of them.
///
/// The caller's plan is `Ints` or `Floats`, so every part of the column is `Ints`,
/// `Floats` or (for floats) `Missing` with its slots filled by `build`; a part with no
/// rows may be `Missing(0)`. `Filling` writes an `Ints` part's slot at every row from the
/// first (a missing field before it makes the part `Mixed`) and a `Floats` part's slots
/// before its first value as it turns `Floats`, then each row's; a row it cannot write
/// makes the part `Mixed`. Each chunk's parts hold as many rows as its slots (checked in
/// `type_chunks`), and the chunks' slots tile the slab.
fn written(mut slab: Vec<u64>, rows: usize) -> Vec<u64> {
    assert!(rows <= slab.capacity());
    // SAFETY: `rows` fits the slab's room (asserted), and every slot below it was
    // written, as the comment above says.
    unsafe { slab.set_len(rows) };
    slab
}

/// Column `k` made from its parts as `plan` says (`None` for a column typed from its text,
/// which `typed_from_text` makes: by plan, or a text column past 2 GiB). `Err(row)`: not
/// UTF-8 there.
fn build(
    parts: &[(Vec<ColPart>, usize)],
    starts: &[usize],
    k: usize,
    plan: Plan,
    slab: Vec<u64>,
) -> Option<Result<ColumnBody, usize>> {
    let rows: usize = parts.iter().map(|(_, n)| n).sum();
    let mut body = match plan {
        Plan::Generic => return None,
        // The slab becomes the Arrow buffer as it is: its words are the values' bits.
        Plan::Ints => {
            let values = ScalarBuffer::<i64>::new(Buffer::from_vec(written(slab, rows)), 0, rows);
            ColumnBody::new(std::sync::Arc::new(Int64Array::new(values, None)))
        }
        Plan::Floats => {
            let mut slab = slab;
            // A part of missing fields only wrote nothing: NaN there.
            let mut nas = 0;
            for ((cols, n), &start) in parts.iter().zip(starts) {
                nas += cols[k].nas;
                if matches!(cols[k].part, Part::Missing(_)) {
                    nas += n;
                    slab.spare_capacity_mut()[start..start + n]
                        .fill(MaybeUninit::new(f64::NAN.to_bits()));
                }
            }
            let values = ScalarBuffer::<f64>::new(Buffer::from_vec(written(slab, rows)), 0, rows);
            // A value read is never NaN (`float_field`): with no missing one, no bitmap.
            let nulls = if nas == 0 { None } else { nan_nulls(&values) };
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
            // Not UTF-8, or more than 2 GiB of text in all: `None`, typed from the text as
            // the small-file reader does (which names the row that is not UTF-8).
            string_column(offsets, bytes_all, valid_all)?
        }
    };
    for ((cols, _), &start) in parts.iter().zip(starts) {
        let c = &cols[k];
        // ASCII: numbers' texts, or NA spellings (were one not UTF-8, its row would print
        // as its value does).
        if let Ok(text) = std::str::from_utf8(&c.kept.text) {
            body.texts
                .extend(start as u32, &c.kept_rows, &c.kept.ends, text);
        }
    }
    body.texts.shrink_to_fit();
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
                        rows,
                        breaks: c.len() as u64,
                        len: raw.len() as u64,
                        text: Text::Memory(raw.into_bytes()),
                    }
                })
                .collect();
            let rows = chunks.iter().map(|c| c.rows).sum();
            let mut slabs = vec![Vec::with_capacity(rows), Vec::with_capacity(rows)];
            let parts: Vec<(Vec<ColPart>, usize)> = chunks
                .iter()
                .zip(slots_of(&mut slabs, &chunks))
                .map(|(c, slots)| match parse_chunk(c, b',', slots) {
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
            let made = match build(&parts, &starts, 1, p, slab) {
                Some(made) => made,
                None => typed_from_text(&chunks, b',', &[1])
                    .ok()
                    .and_then(|mut c| c.pop())
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
    fn spans_skip_blank_lines_and_count_every_line() {
        let chunk = b"a,b\r\n\n\r\nc,d\n1,2,3\nlast,x";
        struct Lines(Vec<String>);
        impl Sink for Lines {
            type Error = ();
            fn field(&mut self, k: usize, f: Field) -> Result<(), ()> {
                self.0
                    .push(format!("{k}:{}", String::from_utf8_lossy(f.text())));
                Ok(())
            }
            fn line_end(&mut self, fields: usize, line: u64) -> Result<(), ()> {
                self.0.push(format!("end {fields}@{line}"));
                Ok(())
            }
        }
        let mut lines = Lines(Vec::new());
        each_span(chunk, b',', &mut lines).expect("no error");
        let got = lines.0;
        assert_eq!(
            got,
            [
                "0:a", "1:b", "end 2@1", "0:c", "1:d", "end 2@4", "0:1", "1:2", "2:3", "end 3@5",
                "0:last", "1:x", "end 2@6"
            ]
        );
    }

    /// Random lines of fields, blank lines, `\r\n` and a lone `\r`, quotes, cut
    /// anywhere around the 64-byte blocks: the masks' scans must find what a byte-at-a-time
    /// reading finds.
    #[test]
    fn block_scans_agree_with_a_byte_scan() {
        // Quotes and carriage returns last: most texts are drawn from the others.
        let alphabet: [&[u8]; 12] = [
            b"a",
            b"12",
            b",",
            b",",
            b"\n",
            b"\n\n",
            b" ",
            b"\t",
            b"\r\n",
            b"\r",
            b"\"",
            b"\xc3\xa9",
        ];
        let mut seed = 99u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for len in 0..200 {
            for round in 0..30 {
                // Most texts without quotes and carriage returns (the common file).
                let kinds = if round % 3 == 0 { alphabet.len() } else { 9 };
                let text: Vec<u8> = (0..len)
                    .flat_map(|_| alphabet[next() % kinds].iter().copied())
                    .collect();
                let breaks = text.iter().filter(|&&b| b == b'\n').count() as u64;
                let want = (!text.contains(&b'"') && !has_lone_cr(&text))
                    .then(|| (count_rows(&text), breaks));
                assert_eq!(
                    scan_rows(&text),
                    want,
                    "{:?}",
                    String::from_utf8_lossy(&text)
                );
                // Fields and line ends, against splitting the lines by hand.
                struct Got(Vec<(usize, Vec<u8>)>, Vec<(usize, u64)>);
                impl Sink for Got {
                    type Error = ();
                    fn field(&mut self, k: usize, f: Field) -> Result<(), ()> {
                        self.0.push((k, f.text().to_vec()));
                        Ok(())
                    }
                    fn line_end(&mut self, n: usize, line: u64) -> Result<(), ()> {
                        self.1.push((n, line));
                        Ok(())
                    }
                }
                let mut got = Got(Vec::new(), Vec::new());
                each_span(&text, b',', &mut got).expect("no error");
                let (mut fields, mut ends) = (Vec::new(), Vec::new());
                for (i, line) in text.split(|&b| b == b'\n').enumerate() {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if is_blank(line) {
                        continue;
                    }
                    let parts: Vec<&[u8]> = line.split(|&b| b == b',').collect();
                    for (k, p) in parts.iter().enumerate() {
                        fields.push((k, p.to_vec()));
                    }
                    ends.push((parts.len(), i as u64 + 1));
                }
                assert_eq!(got.0, fields, "{:?}", String::from_utf8_lossy(&text));
                assert_eq!(got.1, ends, "{:?}", String::from_utf8_lossy(&text));
            }
        }
    }

    /// A file of `text` in a directory of its own (removed by the test at its end).
    fn temp_file(name: &str, text: &str) -> (std::path::PathBuf, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("stark_{name}_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("file.csv");
        std::fs::write(&path, text).expect("write");
        (dir, path)
    }

    #[test]
    fn line_blocks_hand_on_whole_lines() {
        let text = "a\nbb\n\nccc,dd\neeeeeee\nf\nlast";
        let (dir, path) = temp_file("line_blocks", text);
        let path = path.to_str().expect("UTF-8 path");
        // Every start and end, through buffers of 8 and 64 bytes: the blocks put together
        // are the bytes asked for, each a run of whole lines.
        for block in [8, 64] {
            for start in 0..text.len() {
                for end in start..=text.len() + 2 {
                    let file = std::fs::File::open(path).expect("open");
                    let mut blocks =
                        LineBlocks::open(&file, start as u64, end as u64, block).expect("open");
                    let mut got = Vec::new();
                    while let Some(b) = blocks.next().expect("lines fit") {
                        let ends_line = b.last() == Some(&b'\n');
                        got.extend_from_slice(b);
                        assert!(ends_line || got.len() == end.min(text.len()) - start);
                    }
                    assert_eq!(got, &text.as_bytes()[start..end.min(text.len())]);
                }
            }
        }
        // A line longer than the buffer is an error (the caller reads the file otherwise).
        let file = std::fs::File::open(path).expect("open");
        let mut blocks = LineBlocks::open(&file, 0, text.len() as u64, 4).expect("open");
        let mut result = Ok(None);
        for _ in 0..4 {
            result = blocks.next().map(|b| b.map(<[u8]>::to_vec));
            if result.is_err() {
                break;
            }
        }
        assert!(result.is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn chunks_tile_the_file_by_lines() {
        let body = "h\n1,2\n\n333,4\r\n5,6\n\n\n7777777,8\n9,10";
        let (dir, path) = temp_file("count_chunk", body);
        let path = path.to_str().expect("UTF-8 path");
        let (first, len) = (2u64, body.len() as u64);
        let file = std::fs::File::open(path).expect("open");
        // Cut into 1 to 12 ranges as `read_parallel` cuts: the chunks start where the one
        // before ends, the first at `first` and the last ending at the file's end, and their
        // rows and breaks add up to the whole body's.
        for pieces in 1..=12u64 {
            let mut at = first;
            let (mut rows, mut breaks) = (0, 0);
            for k in 0..pieces {
                let s = first + (len - first) * k / pieces;
                let e = first + (len - first) * (k + 1) / pieces;
                if e <= s {
                    continue;
                }
                let c = count_chunk(&file, s, e, first, len).expect("no quotes");
                let Text::File { start, end, .. } = c.text else {
                    panic!("a file chunk")
                };
                assert_eq!(start, at, "{pieces} pieces, range {s}..{e}");
                assert_eq!(c.len, end - start);
                at = end;
                rows += c.rows;
                breaks += c.breaks;
            }
            assert_eq!(at, len, "{pieces} pieces");
            let lines = &body.as_bytes()[first as usize..];
            assert_eq!((rows, breaks), (count_rows(lines), 7), "{pieces} pieces");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A file written to in place between the passes: the pass that reads it again finds
    /// other rows than the first counted, and says so (never a column of another length).
    #[test]
    fn a_file_changed_between_the_passes_is_an_error() {
        let (dir, path) = temp_file("changed", "h\n1\n2\n3\n4\n");
        let file = std::fs::File::open(&path).expect("open");
        let c = count_chunk(&file, 2, 10, 2, 10).expect("counted");
        assert_eq!(c.rows, 4);
        assert!(columns_fields(&c, b',', &[0]).is_ok());
        // The same length, three rows now.
        std::fs::write(&path, "h\n12\n34\n56").expect("rewrite");
        assert!(matches!(
            columns_fields(&c, b',', &[0]),
            Err(ChunkError::Read)
        ));
        let mut slab = vec![Vec::with_capacity(4)];
        let slots = slots_of(&mut slab, std::slice::from_ref(&c))
            .pop()
            .expect("slots");
        let (_, rows) = parse_chunk(&c, b',', slots).ok().expect("parses");
        assert_eq!(rows, 3, "counted 4: `type_chunks` refuses the table");
        let _ = std::fs::remove_dir_all(&dir);
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
