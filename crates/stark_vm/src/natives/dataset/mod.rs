//! Datasets at pandas' level (SPEC §9): the natives of `Dataset`, `Column` and `GroupBy`.
//!
//! A dataset is an immutable list of named `Column` objects (Arrow arrays, in the `tensor`
//! zone); every operation makes a new dataset, sharing the column objects it does not
//! change (`select`, `with_column`, `group_by`, a `filter` that keeps every row), so each
//! column's bytes are counted once however many datasets hold it.
//!
//! - `csv.rs`: reading CSV with pandas' typing, and writing it;
//! - `parquet.rs`: reading and writing Parquet;
//! - `column.rs`: a column's methods (accessors, aggregations, comparisons);
//! - `ops.rs`: the operations that make new datasets (filter, sort, group-by, join, …);
//! - `table.rs`: printing a dataset or a column as pandas does.

mod column;
mod csv;
mod ops;
mod parquet;
pub(crate) mod table;

pub(crate) use column::*;
pub(crate) use ops::*;

use super::operands::{arg, bad_operand, int_arg, opt_str_arg, NativeCx};
use crate::error::{fail, Fallible};
use stark_runtime::{
    BufferCharge, ColumnBody, DatasetBody, MapBody, MapKey, ObjKind, ObjRef, Value, Zone,
};

// ---- operands ----

fn dataset_arg(a: &[Value], i: usize) -> Fallible<ObjRef> {
    match arg(a, i) {
        Value::Obj(o) if o.kind() == ObjKind::Dataset => Ok(o),
        Value::None => fail("expected a Dataset, found None"),
        _ => Err(bad_operand(i, "Dataset")),
    }
}

fn column_arg(a: &[Value], i: usize) -> Fallible<ObjRef> {
    match arg(a, i) {
        Value::Obj(o) if o.kind() == ObjKind::Column => Ok(o),
        Value::None => fail("expected a Column, found None"),
        _ => Err(bad_operand(i, "Column")),
    }
}

fn str_arg(a: &[Value], i: usize) -> Fallible<ObjRef> {
    match arg(a, i) {
        Value::Obj(o) if o.kind() == ObjKind::Str => Ok(o),
        _ => Err(bad_operand(i, "String")),
    }
}

/// How error messages name a dataset: ` in "sales.csv"` for a loaded one, nothing else.
fn origin(d: &DatasetBody) -> String {
    if d.origin.is_empty() {
        String::new()
    } else {
        format!(" in {}", d.origin)
    }
}

/// The column `name` of `d`, or the runtime error naming the columns there are.
fn lookup(d: &DatasetBody, name: &str) -> Fallible<ObjRef> {
    match d.get(name) {
        Some(c) => Ok(c),
        None => {
            let names: Vec<&str> = d.columns.iter().map(|(n, _)| n.as_str()).collect();
            fail(format!(
                "no column \"{name}\"{} (columns: {})",
                origin(d),
                names.join(", ")
            ))
        }
    }
}

// ---- making datasets ----

/// A column of a dataset being made: one the dataset shares, or a new one.
enum Part {
    Share(ObjRef),
    New(ColumnBody),
}

/// Gives up the references a list of columns holds (a dataset that was not made).
fn release_all(cx: &mut NativeCx<'_>, refs: &[ObjRef]) {
    for &c in refs.iter().rev() {
        // SAFETY: each is a reference this native took (an incref or a new object) for
        // a dataset that will not exist: given up once.
        unsafe { cx.heap.decref_obj(c) };
    }
}

/// A new dataset of `parts` (all `rows` long); `group_keys` non-empty for a `GroupBy`.
fn make(
    cx: &mut NativeCx<'_>,
    origin: String,
    rows: usize,
    parts: Vec<(String, Part)>,
    group_keys: Vec<String>,
) -> Fallible<Value> {
    let mut columns: Vec<(String, ObjRef)> = Vec::with_capacity(parts.len());
    for (name, p) in parts {
        let obj = match p {
            Part::Share(o) => {
                cx.heap.incref(Value::Obj(o));
                o
            }
            Part::New(body) => match cx.heap.alloc_column(body) {
                Ok(o) => o,
                Err(e) => {
                    let refs: Vec<ObjRef> = columns.iter().map(|c| c.1).collect();
                    release_all(cx, &refs);
                    return Err(e.into());
                }
            },
        };
        columns.push((name, obj));
    }
    let refs: Vec<ObjRef> = columns.iter().map(|c| c.1).collect();
    let body = DatasetBody {
        origin,
        rows,
        columns,
        group_keys,
    };
    match cx.heap.alloc_dataset(body) {
        Ok(d) => Ok(Value::Obj(d)),
        Err(e) => {
            release_all(cx, &refs);
            Err(e.into())
        }
    }
}

// ---- loading and saving ----

/// Whether `path` names a Parquet file (by its extension, as pandas' users name them).
fn is_parquet(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".parquet") || lower.ends_with(".pq")
}

/// `Dataset.load(path, sep=None)`.
pub(crate) fn load(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let path = str_arg(a, 0)?.as_str().to_string();
    let sep = match opt_str_arg(a, 1)? {
        None => b',',
        Some(s) => match s.as_str().as_bytes() {
            [b] if *b != b'"' && *b != b'\n' && *b != b'\r' => *b,
            _ => {
                return fail(format!(
                    "sep must be one character other than a quote or a line break, found {:?}",
                    s.as_str()
                ))
            }
        },
    };
    let mut charge = BufferCharge::new(Zone::Io);
    let read = if is_parquet(&path) {
        parquet::read(cx.heap, &mut charge, &path)
    } else {
        csv::read(cx.heap, &mut charge, &path, sep)
    };
    // The columns' buffers are the `io` zone's until the column objects take them over
    // (then the `tensor` zone's, M8).
    charge.refund_all(cx.heap);
    let table = read?;
    let parts = table
        .names
        .into_iter()
        .zip(table.columns)
        .map(|(n, c)| (n, Part::New(c)))
        .collect();
    make(cx, format!("\"{path}\""), table.rows, parts, Vec::new())
}

/// `d.save(path)`: CSV, or Parquet by extension.
pub(crate) fn save(a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a, 0)?;
    let path = str_arg(a, 1)?.as_str().to_string();
    let body = d.dataset();
    let names: Vec<&str> = body.columns.iter().map(|(n, _)| n.as_str()).collect();
    let columns: Vec<&ColumnBody> = body.columns.iter().map(|(_, c)| c.column()).collect();
    if is_parquet(&path) {
        parquet::write(&path, &names, &columns)?;
    } else {
        csv::write(&path, &names, &columns, body.rows)?;
    }
    Ok(Value::None)
}

// ---- plain accessors ----

pub(crate) fn len(a: &[Value]) -> Fallible<Value> {
    Ok(Value::Int(dataset_arg(a, 0)?.dataset().rows as i64))
}

pub(crate) fn columns(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a, 0)?;
    let mut items = Vec::with_capacity(d.dataset().columns.len());
    for (name, _) in &d.dataset().columns {
        match cx.heap.alloc_str(name.as_str()) {
            Ok(s) => items.push(Value::Obj(s)),
            Err(e) => {
                for v in items {
                    // SAFETY: strings made above for a list that will not exist.
                    unsafe { cx.heap.decref(v) };
                }
                return Err(e.into());
            }
        }
    }
    Ok(Value::Obj(cx.heap.alloc_list(items)?))
}

/// `d[name]`: the dataset's own column object, shared (+1).
pub(crate) fn get(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a, 0)?;
    let name = str_arg(a, 1)?;
    let c = lookup(d.dataset(), name.as_str())?;
    cx.heap.incref(Value::Obj(c));
    Ok(Value::Obj(c))
}

/// `d[name]` where lowering made it a view (`Native::DatasetColumnView`): the column
/// object, not counted.
pub(crate) fn column_view(a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a, 0)?;
    let name = str_arg(a, 1)?;
    Ok(Value::Obj(lookup(d.dataset(), name.as_str())?))
}

/// `d.column(name)`: `d[name].to_tensor()`.
pub(crate) fn column(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a, 0)?;
    let name = str_arg(a, 1)?;
    let c = lookup(d.dataset(), name.as_str())?;
    let what = format!(
        "column \"{}\"{}",
        name.as_str(),
        origin(d.dataset()).replacen(" in ", " of ", 1)
    );
    to_tensor_of(cx, c, &what)
}

/// A map of string keys to what `f` makes of each column, in column order.
fn map_of_columns(
    cx: &mut NativeCx<'_>,
    d: &DatasetBody,
    mut f: impl FnMut(&ColumnBody) -> String,
) -> Fallible<Value> {
    let mut map = MapBody::default();
    map.reserve(d.columns.len());
    for (name, c) in &d.columns {
        let text = f(c.column());
        let v = match cx.heap.alloc_str(text) {
            Ok(s) => Value::Obj(s),
            Err(e) => {
                for v in map.values() {
                    // SAFETY: strings made above for a map that will not exist.
                    unsafe { cx.heap.decref(*v) };
                }
                return Err(e.into());
            }
        };
        // Names are unique (the loader and every operation keep them so).
        map.insert(MapKey::Str(name.as_str().into()), v);
    }
    Ok(Value::Obj(cx.heap.alloc_map(map)?))
}

/// `d.row(i)`: column name → the field's text, as it is in the file; for a value not read
/// from a file (or read and then moved by an operation), as `save` writes it.
pub(crate) fn row(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a, 0)?;
    let i = int_arg(a, 1)?;
    let body = d.dataset();
    if i < 0 || i as u64 >= body.rows as u64 {
        let of = if body.origin.is_empty() {
            "the dataset".to_string()
        } else {
            body.origin.clone()
        };
        return fail(format!(
            "row {i} is out of range for {of} ({} rows)",
            body.rows
        ));
    }
    let i = i as usize;
    map_of_columns(cx, body, |c| match c.file_text(i) {
        Some(t) => t.to_string(),
        None => {
            let mut s = String::new();
            csv::write_value(&mut s, c, i);
            s
        }
    })
}

/// `d.dtypes()`.
pub(crate) fn dtypes(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a, 0)?;
    map_of_columns(cx, d.dataset(), |c| c.dtype().name().to_string())
}
