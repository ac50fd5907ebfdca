//! Small CSV files, and any with a quote: read record by record with `csv_core`, each
//! column's fields gathered as text for `type_column`.

use super::super::super::stream::reason;
use super::{unique_names, FieldTexts, INPUT_BYTES};
use crate::error::{fail, Fallible};
use stark_runtime::{BufferCharge, Heap};
use std::io::Read;

/// The file's records, one at a time, in buffers charged to the `io` zone.
pub(super) struct Records<'p> {
    path: &'p str,
    file: std::fs::File,
    /// `input[start..end]` is read but not yet parsed.
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    core: csv_core::Reader,
    /// The record last read: its fields end to end, and where each ends (both kept as long
    /// as their capacity, since `csv_core` writes into slices).
    out: Vec<u8>,
    ends: Vec<usize>,
    fields: usize,
    /// The line the record last read starts on.
    line: u64,
    /// The record last read had a quote (a quoted `"  "` is a value, not a blank line).
    quoted: bool,
    /// Line breaks read so far, for `line`: `csv_core`'s count lags behind a `\r\n` and
    /// the blank lines it skips before a record.
    breaks: u64,
}

impl<'p> Records<'p> {
    pub(super) fn open(
        path: &'p str,
        sep: u8,
        heap: &mut Heap,
        charge: &mut BufferCharge,
    ) -> Fallible<Records<'p>> {
        let file = std::fs::File::open(path)
            .or_else(|e| fail(format!("cannot load \"{path}\": {}", reason(&e))))?;
        if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return fail(format!("cannot load \"{path}\": it is a directory"));
        }
        let mut input = Vec::new();
        charge.grow(heap, &mut input, INPUT_BYTES)?;
        input.resize(input.capacity(), 0);
        Ok(Records {
            path,
            file,
            input,
            start: 0,
            end: 0,
            eof: false,
            core: csv_core::ReaderBuilder::new().delimiter(sep).build(),
            out: Vec::new(),
            ends: Vec::new(),
            fields: 0,
            line: 1,
            quoted: false,
            breaks: 0,
        })
    }

    /// Bytes of the buffers (what their charge was).
    pub(super) fn bytes(&self) -> u64 {
        (self.input.capacity() + self.out.capacity() + self.ends.capacity() * 8) as u64
    }

    fn fill(&mut self) -> Fallible<()> {
        loop {
            match self.file.read(&mut self.input) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end = n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return fail(format!("cannot load \"{}\": {}", self.path, reason(&e))),
            }
            self.start = 0;
            if self.eof {
                self.end = 0;
            }
            return Ok(());
        }
    }

    /// Reads the next record; false at the end of the file.
    fn next(&mut self, heap: &mut Heap, charge: &mut BufferCharge) -> Fallible<bool> {
        use csv_core::ReadRecordResult::*;
        // The record's line: one past the breaks before its first byte (the first that is
        // not a line break, which `csv_core` skips as blank lines).
        let mut started = false;
        self.quoted = false;
        let (mut outlen, mut endlen) = (0, 0);
        loop {
            if self.start == self.end && !self.eof {
                self.fill()?;
            }
            // Empty input tells `csv_core` the file has ended.
            let (res, nin, nout, nend) = self.core.read_record(
                &self.input[self.start..self.end],
                &mut self.out[outlen..],
                &mut self.ends[endlen..],
            );
            let read = &self.input[self.start..self.start + nin];
            if !started {
                if let Some(p) = read.iter().position(|&b| b != b'\r' && b != b'\n') {
                    started = true;
                    self.line = self.breaks + 1 + breaks_in(&read[..p]);
                }
            }
            self.breaks += breaks_in(read);
            self.quoted |= memchr::memchr(b'"', read).is_some();
            self.start += nin;
            outlen += nout;
            endlen += nend;
            match res {
                InputEmpty => continue,
                OutputFull => {
                    charge.grow(heap, &mut self.out, 1)?;
                    self.out.resize(self.out.capacity(), 0);
                }
                OutputEndsFull => {
                    charge.grow(heap, &mut self.ends, 1)?;
                    self.ends.resize(self.ends.capacity(), 0);
                }
                Record => {
                    self.fields = endlen;
                    return Ok(true);
                }
                End => return Ok(false),
            }
        }
    }

    /// Field `i` of the record last read, as bytes.
    fn raw(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.out[start..self.ends[i]]
    }

    /// Field `i` of the record last read, checked as UTF-8.
    fn field(&self, i: usize) -> Fallible<&str> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        std::str::from_utf8(&self.out[start..self.ends[i]]).or_else(|_| {
            fail(format!(
                "{}:{}: the row is not valid UTF-8",
                self.path, self.line
            ))
        })
    }
}

/// The line breaks in `bytes`.
fn breaks_in(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Appends `text` to `fields`, charging the growth.
fn push_field(
    heap: &mut Heap,
    charge: &mut BufferCharge,
    fields: &mut FieldTexts,
    text: &[u8],
    path: &str,
) -> Fallible<()> {
    charge.grow(heap, &mut fields.text, text.len())?;
    fields.text.extend_from_slice(text);
    charge.grow(heap, &mut fields.ends, 1)?;
    let end = u32::try_from(fields.text.len()).or_else(|_| {
        fail(format!(
            "cannot load \"{path}\": a column holds more than 4 GiB of text"
        ))
    })?;
    fields.ends.push(end);
    Ok(())
}

pub(super) fn read_fields(
    heap: &mut Heap,
    charge: &mut BufferCharge,
    rec: &mut Records<'_>,
) -> Fallible<(Vec<String>, usize, Vec<FieldTexts>)> {
    let path = rec.path;
    if !rec.next(heap, charge)? || (rec.fields == 1 && rec.field(0)?.is_empty()) {
        return fail(format!(
            "cannot load \"{path}\": the file is empty (expected a header row)"
        ));
    }
    // An empty name is pandas' `Unnamed: i`.
    let headers = (0..rec.fields)
        .map(|i| {
            rec.field(i).map(|h| match h {
                "" => format!("Unnamed: {i}"),
                h => h.to_string(),
            })
        })
        .collect::<Fallible<Vec<String>>>()?;
    let names = unique_names(headers);
    let mut columns: Vec<FieldTexts> = names.iter().map(|_| FieldTexts::default()).collect();
    let mut rows = 0usize;
    while rec.next(heap, charge)? {
        let line = rec.line;
        // pandas reads a blank line as no row at all, and a line of spaces and tabs only
        // (not quoted) as blank.
        if rec.fields == 1 && !rec.quoted && super::is_blank(rec.raw(0)) {
            continue;
        }
        if rec.fields != names.len() {
            return fail(format!(
                "{path}:{line}: expected {} fields, found {}",
                names.len(),
                rec.fields
            ));
        }
        for (i, col) in columns.iter_mut().enumerate() {
            let text = rec.raw(i);
            push_field(heap, charge, col, text, path)?;
        }
        rows += 1;
    }
    Ok((names, rows, columns))
}
