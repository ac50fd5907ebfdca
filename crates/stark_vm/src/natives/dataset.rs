//! `Dataset.load` and Dataset methods.
//!
//! A CSV file with a header row, split into records by `csv_core` (quoted fields, `""`
//! escapes, `\r\n`, a UTF-8 byte-order mark). Every buffer the load needs — the input, the
//! record being read, the columns being built — is an `io` zone buffer (M8): each growth is
//! charged first, so `--max-memory` stops it, and reserved fallibly, so the system refusing
//! memory stops it too. A huge or endless file (`/dev/zero`) is then an out-of-memory error
//! (exit 3), never an abort.
//!
//! A column is numeric when its field in the first data row parses as a number; its values
//! become one f32 tensor in the `tensor` zone (an empty field is NaN, a missing value).
//! Every column keeps its fields' text, so `row(i)` gives them as they are in the file. A
//! column of whole numbers that an f32 cannot all hold exactly (16777217) gets no tensor:
//! `column()` refuses it rather than hand out other numbers than the file's (SPEC §9 makes
//! such columns int64 later). Errors name the path and, for a bad row, its line.

use super::operands::{arg, bad_operand, int_arg, NativeCx};
use super::stream::reason;
use super::tensor::new_tensor;
use crate::error::{fail, Fallible};
use stark_runtime::tensor::DType;
use stark_runtime::tensor_pool::TensorBuf;
use stark_runtime::{
    BufferCharge, Column, DatasetBody, FieldTexts, Heap, MapBody, MapKey, ObjKind, ObjRef, Value,
    Zone,
};
use std::io::Read;

/// Bytes read from the file at a time.
const INPUT_BYTES: usize = 64 << 10;

enum Building {
    Numeric {
        values: Vec<f32>,
        fields: FieldTexts,
        /// Every field so far is a whole number (or missing).
        whole: bool,
        /// The first whole number an f32 would round: its row and line.
        inexact: Option<(usize, u64)>,
    },
    Text(FieldTexts),
}

impl Building {
    fn numeric() -> Building {
        Building::Numeric {
            values: Vec::new(),
            fields: FieldTexts::default(),
            whole: true,
            inexact: None,
        }
    }
}

fn parse_number(field: &str) -> Option<f32> {
    let s = field.trim();
    if s.is_empty() {
        return Some(f32::NAN);
    }
    s.parse::<f32>().ok()
}

/// Whether `n` survives the round trip through f32 (every whole number up to 2^24 does;
/// 16777217 does not).
fn f32_holds(n: i64) -> bool {
    (n as f32) as i128 == n as i128
}

/// Header names made unique as pandas does: a repeated `x` becomes `x.1`, `x.2`, … (skipping
/// names the file already has), so `column()` and `row()` see every column under one name.
fn unique_names(headers: impl Iterator<Item = String>) -> Vec<String> {
    let headers: Vec<String> = headers.collect();
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

/// The file's records, one at a time, in buffers charged to the `io` zone.
struct Records<'p> {
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
}

impl<'p> Records<'p> {
    fn open(path: &'p str, heap: &mut Heap, charge: &mut BufferCharge) -> Fallible<Records<'p>> {
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
            core: csv_core::Reader::new(),
            out: Vec::new(),
            ends: Vec::new(),
            fields: 0,
            line: 1,
        })
    }

    /// Bytes of the buffers (what their charge was).
    fn bytes(&self) -> u64 {
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
        self.line = self.core.line();
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

/// Appends `text` to `fields`, charging the growth.
fn push_field(
    heap: &mut Heap,
    charge: &mut BufferCharge,
    fields: &mut FieldTexts,
    text: &str,
) -> Fallible<()> {
    charge.grow(heap, &mut fields.text, text.len())?;
    fields.text.push_str(text);
    charge.grow(heap, &mut fields.ends, 1)?;
    fields.ends.push(fields.text.len());
    Ok(())
}

/// Reads `path` into columns: (names, rows, columns). Every buffer is charged to `charge`.
fn read_csv(
    heap: &mut Heap,
    charge: &mut BufferCharge,
    path: &str,
) -> Fallible<(Vec<String>, usize, Vec<Building>)> {
    let mut rec = Records::open(path, heap, charge)?;
    let read = read_columns(heap, charge, &mut rec);
    // The input and record buffers go with `rec`.
    charge.refund(heap, rec.bytes());
    read
}

fn read_columns(
    heap: &mut Heap,
    charge: &mut BufferCharge,
    rec: &mut Records<'_>,
) -> Fallible<(Vec<String>, usize, Vec<Building>)> {
    let path = rec.path;
    if !rec.next(heap, charge)? || (rec.fields == 1 && rec.field(0)?.is_empty()) {
        return fail(format!(
            "cannot load \"{path}\": the file is empty (expected a header row)"
        ));
    }
    let headers = (0..rec.fields)
        .map(|i| rec.field(i).map(|h| h.trim().to_string()))
        .collect::<Fallible<Vec<String>>>()?;
    let names = unique_names(headers.into_iter());
    let mut columns: Vec<Building> = Vec::new();
    let mut rows = 0usize;
    while rec.next(heap, charge)? {
        let line = rec.line;
        if rec.fields != names.len() {
            return fail(format!(
                "{path}:{line}: expected {} fields, found {}",
                names.len(),
                rec.fields
            ));
        }
        if rows == 0 {
            // The first data row decides which columns are numeric.
            for i in 0..rec.fields {
                columns.push(match parse_number(rec.field(i)?) {
                    Some(x) if !x.is_nan() => Building::numeric(),
                    _ => Building::Text(FieldTexts::default()),
                });
            }
        }
        for (i, col) in columns.iter_mut().enumerate() {
            let text = rec.field(i)?;
            match col {
                Building::Numeric {
                    values,
                    fields,
                    whole,
                    inexact,
                } => {
                    let Some(x) = parse_number(text) else {
                        return fail(format!(
                            "{path}:{line}: column \"{}\": cannot parse \"{text}\" as a number",
                            names[i]
                        ));
                    };
                    let t = text.trim();
                    if !t.is_empty() {
                        match t.parse::<i64>() {
                            Ok(n) if inexact.is_none() && !f32_holds(n) => {
                                *inexact = Some((rows, line))
                            }
                            Ok(_) => {}
                            Err(_) => *whole = false,
                        }
                    }
                    charge.grow(heap, values, 1)?;
                    values.push(x);
                    push_field(heap, charge, fields, text)?;
                }
                Building::Text(fields) => push_field(heap, charge, fields, text)?,
            }
        }
        rows += 1;
    }
    if rows == 0 {
        // No data: every column is an empty numeric one.
        columns = names.iter().map(|_| Building::numeric()).collect();
    }
    Ok((names, rows, columns))
}

pub(crate) fn load(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let path = match arg(a, 0) {
        Value::Obj(o) if o.kind() == ObjKind::Str => o.as_str().to_string(),
        _ => return Err(bad_operand(0, "String")),
    };
    let mut charge = BufferCharge::new(Zone::Io);
    let loaded = build(cx, &mut charge, path);
    charge.refund_all(cx.heap);
    loaded
}

/// `read_csv`, then the columns' tensors and the dataset object.
fn build(cx: &mut NativeCx<'_>, charge: &mut BufferCharge, path: String) -> Fallible<Value> {
    let (names, rows, built) = read_csv(cx.heap, charge, &path)?;
    let mut columns: Vec<(String, Column)> = Vec::with_capacity(names.len());
    for (name, b) in names.into_iter().zip(built) {
        let c = match b {
            Building::Numeric {
                fields,
                whole: true,
                inexact: Some(inexact),
                ..
            } => Column::Whole { fields, inexact },
            Building::Numeric { values, fields, .. } => {
                let made = match TensorBuf::from_slice(&values) {
                    Some(buf) => new_tensor(cx, DType::F32, vec![values.len()], buf),
                    None => Err(stark_runtime::OutOfMemory {
                        requested: (values.len() * 4) as u64,
                        live: cx.heap.live_bytes(),
                        limit: None,
                        quota: false,
                    }
                    .into()),
                };
                // The values now live in the tensor (charged to its zone).
                charge.refund(cx.heap, (values.capacity() * 4) as u64);
                match made {
                    Ok(Value::Obj(tensor)) => Column::Numeric { tensor, fields },
                    Ok(_) => unreachable!("new_tensor returns an object"),
                    Err(e) => {
                        release_columns(cx, columns);
                        return Err(e);
                    }
                }
            }
            Building::Text(fields) => Column::Text(fields),
        };
        columns.push((name, c));
    }
    let body = DatasetBody {
        path,
        rows,
        columns,
    };
    // The fields' text is the dataset's now: it is charged for it.
    charge.refund(cx.heap, charge.bytes());
    Ok(Value::Obj(cx.heap.alloc_dataset(body)?))
}

fn release_columns(cx: &mut NativeCx<'_>, columns: Vec<(String, Column)>) {
    for (_, c) in columns {
        if let Some(t) = c.tensor() {
            // SAFETY: a column tensor made for a dataset that was never built: this list of
            // columns owns its only reference.
            unsafe { cx.heap.decref_obj(t) };
        }
    }
}

fn dataset_arg(a: &[Value]) -> Fallible<ObjRef> {
    match arg(a, 0) {
        Value::Obj(o) if o.kind() == ObjKind::Dataset => Ok(o),
        Value::None => fail("expected a Dataset, found None"),
        _ => Err(bad_operand(0, "Dataset")),
    }
}

pub(crate) fn len(a: &[Value]) -> Fallible<Value> {
    Ok(Value::Int(dataset_arg(a)?.dataset().rows as i64))
}

pub(crate) fn columns(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a)?;
    let mut items = Vec::with_capacity(d.dataset().columns.len());
    for (name, _) in &d.dataset().columns {
        items.push(Value::Obj(cx.heap.alloc_str(name.as_str())?));
    }
    Ok(Value::Obj(cx.heap.alloc_list(items)?))
}

/// `column(name)`: the dataset's own tensor, shared (+1, like `clone`).
pub(crate) fn column(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a)?;
    let name = match arg(a, 1) {
        Value::Obj(o) if o.kind() == ObjKind::Str => o,
        _ => return Err(bad_operand(1, "String")),
    };
    let body = d.dataset();
    match body.columns.iter().find(|(n, _)| n == name.as_str()) {
        Some((_, Column::Numeric { tensor, .. })) => {
            cx.heap.incref(Value::Obj(*tensor));
            Ok(Value::Obj(*tensor))
        }
        Some((_, Column::Whole { fields, inexact })) => fail(format!(
            "column \"{}\" of \"{}\" holds whole numbers that float32 cannot represent exactly ({} on line {})",
            name.as_str(),
            body.path,
            fields.get(inexact.0).trim(),
            inexact.1
        )),
        Some((_, Column::Text(_))) => fail(format!(
            "column \"{}\" of \"{}\" is not numeric (it holds text)",
            name.as_str(),
            body.path
        )),
        None => {
            let names: Vec<&str> = body.columns.iter().map(|(n, _)| n.as_str()).collect();
            fail(format!(
                "no column \"{}\" in \"{}\" (columns: {})",
                name.as_str(),
                body.path,
                names.join(", ")
            ))
        }
    }
}

/// `row(i)`: column name → the field's text, as it is in the file (SPEC §9).
pub(crate) fn row(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a)?;
    let i = int_arg(a, 1)?;
    let body = d.dataset();
    if i < 0 || i as u64 >= body.rows as u64 {
        return fail(format!(
            "row {i} is out of range for \"{}\" ({} rows)",
            body.path, body.rows
        ));
    }
    let i = i as usize;
    let mut map = MapBody::default();
    map.reserve(body.columns.len());
    for (name, c) in &body.columns {
        let v = Value::Obj(cx.heap.alloc_str(c.fields().get(i))?);
        if let Some(old) = map.insert(MapKey::Str(name.as_str().into()), v) {
            // Names are unique (`unique_names`); kept for safety.
            // SAFETY: the string the map held for that name, made above and owned by it.
            unsafe { cx.heap.decref(old) };
        }
    }
    Ok(Value::Obj(cx.heap.alloc_map(map)?))
}
