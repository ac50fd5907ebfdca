//! `Dataset.load` and Dataset methods.
//!
//! A CSV file with a header row, parsed by the `csv` crate. A column is numeric when its
//! field in the first data row parses as a number; its values become one f32 tensor in the
//! `tensor` zone (an empty field is NaN, a missing value). Other columns keep their text.
//! Errors name the path and, for a bad row, its line.

use super::stream::reason;
use super::tensor::new_tensor;
use super::{arg, bad_operand, int_arg, NativeCx};
use crate::error::{fail, Fallible};
use crate::format::write_f32;
use stark_runtime::tensor_pool::TensorBuf;
use stark_runtime::{Column, DatasetBody, MapBody, MapKey, ObjKind, ObjRef, Value};

enum Building {
    Numeric(Vec<f32>),
    Text(Vec<Box<str>>),
}

fn parse_number(field: &[u8]) -> Option<f32> {
    let s = std::str::from_utf8(field).ok()?.trim();
    if s.is_empty() {
        return Some(f32::NAN);
    }
    s.parse::<f32>().ok()
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

/// Reads `path` into columns: (names, rows, columns).
fn read_csv(path: &str) -> Result<(Vec<String>, usize, Vec<Building>), String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot load \"{path}\": {}", reason(&e)))?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(format!("cannot load \"{path}\": it is a directory"));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .buffer_capacity(1 << 20)
        .from_reader(file);
    let describe = |e: &csv::Error| -> String {
        match e.kind() {
            csv::ErrorKind::UnequalLengths {
                pos,
                expected_len,
                len,
            } => {
                let line = pos.as_ref().map(|p| p.line()).unwrap_or(0);
                format!("{path}:{line}: expected {expected_len} fields, found {len}")
            }
            csv::ErrorKind::Io(io) => format!("cannot load \"{path}\": {}", reason(io)),
            csv::ErrorKind::Utf8 { pos, .. } => {
                let line = pos.as_ref().map(|p| p.line()).unwrap_or(0);
                format!("{path}:{line}: the row is not valid UTF-8")
            }
            _ => format!("cannot load \"{path}\": {e}"),
        }
    };
    let headers = rdr.headers().map_err(|e| describe(&e))?.clone();
    if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
        return Err(format!(
            "cannot load \"{path}\": the file is empty (expected a header row)"
        ));
    }
    let names = unique_names(headers.iter().map(|h| h.trim().to_string()));
    let mut columns: Vec<Building> = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut rows = 0usize;
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(describe(&e)),
        }
        let line = || record.position().map(|p| p.line()).unwrap_or(0);
        if rows == 0 {
            // The first data row decides which columns are numeric.
            columns = record
                .iter()
                .map(|f| match parse_number(f) {
                    Some(x) if !x.is_nan() => Building::Numeric(vec![x]),
                    _ => Building::Text(vec![String::from_utf8_lossy(f).into()]),
                })
                .collect();
        } else {
            for (i, (col, f)) in columns.iter_mut().zip(record.iter()).enumerate() {
                match col {
                    Building::Numeric(v) => match parse_number(f) {
                        Some(x) => v.push(x),
                        None => {
                            return Err(format!(
                                "{path}:{}: column \"{}\": cannot parse \"{}\" as a number",
                                line(),
                                names[i],
                                String::from_utf8_lossy(f)
                            ))
                        }
                    },
                    Building::Text(v) => match std::str::from_utf8(f) {
                        Ok(s) => v.push(s.into()),
                        Err(_) => {
                            return Err(format!("{path}:{}: the row is not valid UTF-8", line()))
                        }
                    },
                }
            }
        }
        rows += 1;
    }
    if rows == 0 {
        // No data: every column is an empty numeric one.
        columns = names
            .iter()
            .map(|_| Building::Numeric(Vec::new()))
            .collect();
    }
    Ok((names, rows, columns))
}

pub(crate) fn load(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let path = match arg(a, 0) {
        Value::Obj(o) if o.kind() == ObjKind::Str => o.as_str().to_string(),
        _ => return Err(bad_operand(0, "String")),
    };
    let (names, rows, built) = match read_csv(&path) {
        Ok(r) => r,
        Err(message) => return fail(message),
    };
    let mut columns: Vec<(String, Column)> = Vec::with_capacity(names.len());
    for (name, b) in names.into_iter().zip(built) {
        let c = match b {
            Building::Numeric(v) => {
                let Some(buf) = TensorBuf::from_slice(&v) else {
                    release_columns(cx, columns);
                    return fail(format!("out of memory loading \"{path}\""));
                };
                match new_tensor(cx, vec![v.len()], buf) {
                    Ok(Value::Obj(t)) => Column::Numeric(t),
                    Ok(_) => unreachable!("new_tensor returns an object"),
                    Err(e) => {
                        release_columns(cx, columns);
                        return Err(e);
                    }
                }
            }
            Building::Text(v) => Column::Text(v),
        };
        columns.push((name, c));
    }
    let body = DatasetBody {
        path,
        rows,
        columns,
    };
    Ok(Value::Obj(cx.heap.alloc_dataset(body)?))
}

fn release_columns(cx: &mut NativeCx<'_>, columns: Vec<(String, Column)>) {
    for (_, c) in columns {
        if let Column::Numeric(t) = c {
            cx.heap.decref_obj(t);
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
        Some((_, Column::Numeric(t))) => {
            cx.heap.incref(Value::Obj(*t));
            Ok(Value::Obj(*t))
        }
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

/// `row(i)`: column name → the field's text (numbers as a Float prints them).
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
        let text = match c {
            Column::Numeric(t) => {
                let x = t.tensor().data()[i];
                // Whole numbers read back as they were written in a CSV ("25", not "25.0").
                if x.fract() == 0.0 && x.abs() < 16_777_216.0 {
                    format!("{}", x as i64)
                } else {
                    let mut s = String::new();
                    write_f32(&mut s, x);
                    s
                }
            }
            Column::Text(v) => v[i].to_string(),
        };
        let v = Value::Obj(cx.heap.alloc_str(text)?);
        if let Some(old) = map.insert(MapKey::Str(name.as_str().into()), v) {
            // Names are unique (`unique_names`); kept for safety.
            cx.heap.decref(old);
        }
    }
    Ok(Value::Obj(cx.heap.alloc_map(map)?))
}
