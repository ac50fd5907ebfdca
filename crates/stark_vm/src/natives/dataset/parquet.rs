//! Parquet files, through the `parquet` crate's Arrow reader and writer.
//!
//! Reading turns the file's types into the four column types as pandas would see them:
//! narrower integers are int64 (an integer column with a missing value float64), float32
//! float64, any string or dictionary of strings a string column. The file's size is
//! charged to the `io` zone before it is read (the file is read whole, then its columns
//! decoded in parallel), so
//! `--max-memory` refuses a file too large first. The reader panics on some corrupt files:
//! each call is run under `catch_unwind`, its panic a runtime error like any other failure.

use super::super::stream::reason;
use super::csv::Table;
use crate::error::{fail, Fallible, Fault};
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;
use stark_runtime::sysalloc::fallible;
use stark_runtime::{BufferCharge, ColType, ColumnBody, Heap, OutOfMemory};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Runs `f`, turning a panic into the error "cannot load …: the file is corrupt".
fn guarded<R>(what: &str, path: &str, f: impl FnOnce() -> Fallible<R>) -> Fallible<R> {
    crate::panics::quiet(|| catch_unwind(AssertUnwindSafe(f))).unwrap_or_else(|_| {
        fail(format!(
            "cannot {what} \"{path}\": the Parquet file is corrupt"
        ))
    })
}

pub(super) fn read(heap: &mut Heap, charge: &mut BufferCharge, path: &str) -> Fallible<Table> {
    let cannot = |e: std::io::Error| Fault::msg(format!("cannot load \"{path}\": {}", reason(&e)));
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if meta.is_dir() {
        return fail(format!("cannot load \"{path}\": it is a directory"));
    }
    // The file's bytes, then the decoded columns, which take about what the file does,
    // often more: charged up front, before the file is read.
    charge.charge(heap, meta.len().saturating_mul(2))?;
    let mut bytes = Vec::new();
    let len = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    if fallible(|| bytes.try_reserve_exact(len)).is_err() {
        return Err(Fault::from(OutOfMemory {
            requested: meta.len(),
            live: heap.live_bytes(),
            limit: None,
            quota: false,
        }));
    }
    std::io::Read::read_to_end(&mut file, &mut bytes).map_err(cannot)?;
    let bytes = bytes::Bytes::from(bytes);
    guarded("load", path, || read_bytes(&bytes, path))
}

/// The columns of a Parquet file in memory, decoded in parallel (one reader a column, all
/// over the same bytes and the footer read once), as pyarrow decodes them.
fn read_bytes(bytes: &bytes::Bytes, path: &str) -> Fallible<Table> {
    let bad = |e: &dyn std::fmt::Display| format!("cannot load \"{path}\": {e}");
    let meta =
        ArrowReaderMetadata::load(bytes, ArrowReaderOptions::new()).or_else(|e| fail(bad(&e)))?;
    let schema = meta.schema().clone();
    let rows = meta.metadata().file_metadata().num_rows().max(0) as usize;
    // A panic in a reader on the rayon pool is caught there (`guarded` runs on the thread
    // that panics), so each column's failure is an error of its own.
    let decoded: Vec<Fallible<ArrayRef>> = (0..schema.fields().len())
        .into_par_iter()
        .map(|k| {
            guarded("load", path, || {
                let mask = ProjectionMask::roots(meta.parquet_schema(), [k]);
                let reader =
                    ParquetRecordBatchReaderBuilder::new_with_metadata(bytes.clone(), meta.clone())
                        .with_projection(mask)
                        .with_batch_size(rows.clamp(1, 1 << 20))
                        .build()
                        .or_else(|e| fail(bad(&e)))?;
                let mut pieces: Vec<ArrayRef> = Vec::new();
                for batch in reader {
                    let batch = batch.or_else(|e| fail(bad(&e)))?;
                    match batch.columns() {
                        [col] => pieces.push(col.clone()),
                        _ => return fail(bad(&"a column read as more than one")),
                    }
                }
                let refs: Vec<&dyn Array> = pieces.iter().map(|a| a.as_ref()).collect();
                match refs.len() {
                    0 => Ok(arrow_array::new_empty_array(schema.field(k).data_type())),
                    // One batch (the usual case: batches are a million rows): no copy.
                    1 => Ok(pieces[0].clone()),
                    _ => arrow_select::concat::concat(&refs).or_else(|e| fail(bad(&e))),
                }
            })
        })
        .collect();
    let mut names = Vec::new();
    let mut columns = Vec::new();
    for (field, whole) in schema.fields().iter().zip(decoded) {
        let whole = whole?;
        let Some(c) = as_column(&whole) else {
            return fail(format!(
                "cannot load \"{path}\": column \"{}\" has the Parquet type {}, which datasets do not hold (int, float, bool and string columns only)",
                field.name(),
                field.data_type()
            ));
        };
        names.push(field.name().clone());
        columns.push(c);
    }
    let rows = columns.first().map_or(rows, |c: &ColumnBody| c.len());
    Ok(Table {
        names,
        rows,
        columns,
    })
}

/// One of the four column types from an Arrow array of another type, as pandas reads it;
/// an array already of its column type (an int64 without nulls, a float64 whose nulls
/// and NaNs agree, a string array) is kept as it is.
fn as_column(a: &ArrayRef) -> Option<ColumnBody> {
    match a.data_type() {
        DataType::Int64 if a.null_count() == 0 => return Some(ColumnBody::new(a.clone())),
        DataType::Float64 => {
            let f = a.as_primitive::<Float64Type>();
            let nan = f.values().iter().any(|x| x.is_nan());
            if a.null_count() == 0 && !nan {
                return Some(ColumnBody::new(a.clone()));
            }
        }
        DataType::LargeUtf8 => {
            // Offsets narrowed to i32 when the text fits; the bytes are shared.
            let s = a.as_string::<i64>();
            let offsets = s.value_offsets();
            if offsets.last().is_some_and(|&end| end <= i32::MAX as i64) {
                let narrow: Vec<i32> = offsets.iter().map(|&o| o as i32).collect();
                let array = StringArray::try_new(
                    arrow_buffer::OffsetBuffer::new(arrow_buffer::ScalarBuffer::from(narrow)),
                    s.values().clone(),
                    s.nulls().cloned(),
                )
                .ok()?;
                return Some(ColumnBody::new(Arc::new(array)));
            }
        }
        _ => {}
    }
    fn ints<T: ArrowPrimitiveType>(a: &ArrayRef) -> Vec<Option<i64>>
    where
        T::Native: num_like::ToI64,
    {
        a.as_primitive::<T>()
            .iter()
            .map(|v| v.map(num_like::ToI64::to_i64))
            .collect()
    }
    let int_values: Option<Vec<Option<i64>>> = match a.data_type() {
        DataType::Int8 => Some(ints::<Int8Type>(a)),
        DataType::Int16 => Some(ints::<Int16Type>(a)),
        DataType::Int32 => Some(ints::<Int32Type>(a)),
        DataType::Int64 => Some(ints::<Int64Type>(a)),
        DataType::UInt8 => Some(ints::<UInt8Type>(a)),
        DataType::UInt16 => Some(ints::<UInt16Type>(a)),
        DataType::UInt32 => Some(ints::<UInt32Type>(a)),
        DataType::UInt64 => Some(ints::<UInt64Type>(a)),
        _ => None,
    };
    // uint64 beyond int64 is float64, as the CSV reader makes too-large whole numbers.
    if let DataType::UInt64 = a.data_type() {
        let u = a.as_primitive::<UInt64Type>();
        if u.iter().flatten().any(|x| x > i64::MAX as u64) {
            return Some(ColumnBody::floats(
                u.iter().map(|v| v.map_or(f64::NAN, |x| x as f64)).collect(),
            ));
        }
    }
    if let Some(v) = int_values {
        return Some(if v.iter().any(Option::is_none) {
            ColumnBody::floats(v.iter().map(|x| x.map_or(f64::NAN, |n| n as f64)).collect())
        } else {
            ColumnBody::ints(v.into_iter().map(|x| x.unwrap_or(0)).collect())
        });
    }
    Some(match a.data_type() {
        DataType::Float64 => ColumnBody::floats(
            a.as_primitive::<Float64Type>()
                .iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect(),
        ),
        DataType::Float32 => ColumnBody::floats(
            a.as_primitive::<Float32Type>()
                .iter()
                .map(|v| v.map_or(f64::NAN, |x| x as f64))
                .collect(),
        ),
        DataType::Float16 => ColumnBody::floats(
            a.as_primitive::<Float16Type>()
                .iter()
                .map(|v| v.map_or(f64::NAN, |x| x.to_f64()))
                .collect(),
        ),
        DataType::Boolean => ColumnBody::new(a.clone()),
        DataType::Utf8 => ColumnBody::new(a.clone()),
        DataType::LargeUtf8 => strings(a.as_string::<i64>().iter()),
        DataType::Utf8View => strings(a.as_string_view().iter()),
        DataType::Dictionary(_, value)
            if matches!(**value, DataType::Utf8 | DataType::LargeUtf8) =>
        {
            let d = a.as_any_dictionary();
            let values = as_column(d.values())?;
            let keys: Vec<Option<u32>> = (0..a.len())
                .map(|i| (!a.is_null(i)).then(|| d.normalized_keys()[i] as u32))
                .collect();
            return super::column::take(&values, &keys).ok();
        }
        DataType::Null => ColumnBody::floats(vec![f64::NAN; a.len()]),
        _ => return None,
    })
}

fn strings<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ColumnBody {
    ColumnBody::new(Arc::new(values.collect::<StringArray>()))
}

/// Integer types widened to i64 (u64 beyond i64 wraps, as NumPy's cast does).
mod num_like {
    pub trait ToI64 {
        fn to_i64(self) -> i64;
    }
    macro_rules! to_i64 {
        ($($t:ty),*) => {$(impl ToI64 for $t { fn to_i64(self) -> i64 { self as i64 } })*};
    }
    to_i64!(i8, i16, i32, i64, u8, u16, u32, u64);
}

/// Writes the columns to a Parquet file (Snappy-compressed, as pandas writes them).
pub(super) fn write(path: &str, names: &[&str], columns: &[&ColumnBody]) -> Fallible<()> {
    let fields: Vec<Field> = names
        .iter()
        .zip(columns)
        .map(|(n, c)| {
            let t = match c.dtype() {
                ColType::Int => DataType::Int64,
                ColType::Float => DataType::Float64,
                ColType::Bool => DataType::Boolean,
                ColType::Str => DataType::Utf8,
            };
            Field::new(*n, t, true)
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let arrays: Vec<ArrayRef> = columns.iter().map(|c| c.array.clone()).collect();
    let bad = |e: &dyn std::fmt::Display| format!("cannot save \"{path}\": {e}");
    let batch = RecordBatch::try_new(schema.clone(), arrays).or_else(|e| fail(bad(&e)))?;
    let file = std::fs::File::create(path)
        .or_else(|e| fail(format!("cannot save \"{path}\": {}", reason(&e))))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    guarded("save", path, || {
        let mut w = ArrowWriter::try_new(file, schema, Some(props)).or_else(|e| fail(bad(&e)))?;
        w.write(&batch).or_else(|e| fail(bad(&e)))?;
        w.close().or_else(|e| fail(bad(&e)))?;
        Ok(())
    })
}
