//! A dataset's column (SPEC §9): one Apache Arrow array in a heap object of the `tensor`
//! zone, so a column can be shared by several datasets (`select`, `with_column`) and lent to
//! a tensor (`to_tensor`) while its bytes are counted once, by the column.
//!
//! Four Arrow types are used, one per STARK dtype: `Int64`, `Float64`, `Boolean`, `Utf8`.
//! Missing values are Arrow nulls. A float64 column keeps two more invariants (C1, C2),
//! which make its values buffer a NumPy-style float array as it stands, so `to_tensor` can
//! hand it out without a copy, and make "missing" mean one thing, as in pandas:
//! - C1: every null slot of a float64 column holds NaN;
//! - C2: every NaN of a float64 column is a null.
//!
//! A column loaded from a CSV file also keeps the text of each field whose value would not
//! print back as it is written in the file (`12.50`, `007`, `NA`), so `row(i)` can give
//! the file's text (SPEC §9) without keeping every field's text.

use crate::tensor_pool::Elem;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow_buffer::{BooleanBuffer, NullBuffer, ScalarBuffer};
use arrow_schema::DataType;
use std::sync::Arc;

/// A column's element type, as `dtype()` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColType {
    Int,
    Float,
    Bool,
    Str,
}

impl ColType {
    pub fn name(self) -> &'static str {
        match self {
            ColType::Int => "int64",
            ColType::Float => "float64",
            ColType::Bool => "bool",
            ColType::Str => "string",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, ColType::Int | ColType::Float | ColType::Bool)
    }
}

pub struct ColumnBody {
    pub array: ArrayRef,
    /// The fields of the file whose text is not what their value prints as (none for a
    /// column not read from a CSV file).
    pub texts: FileTexts,
}

/// Some fields' text as the file wrote it, by row: end to end in one string, so that a
/// column with many (`12.50`, a price printed with four decimals) costs no allocation a
/// field. Most columns have none, and then cost a pointer (a column's body is part of its
/// object).
#[derive(Default, Debug, PartialEq, Eq)]
pub struct FileTexts(Option<Box<Texts>>);

#[derive(Default, Debug, PartialEq, Eq)]
struct Texts {
    /// The rows that have a text, increasing.
    rows: Vec<u32>,
    /// Where each row's text ends in `text` (it starts where the one before ends).
    ends: Vec<u32>,
    text: String,
}

impl FileTexts {
    /// Adds row `row`'s text; rows come in increasing order (a row out of order is not
    /// found by `get`). Past 4 GiB of text the rest is not kept (a row then prints as its
    /// value does).
    pub fn push(&mut self, row: u32, text: &str) {
        let t = self.0.get_or_insert_default();
        let Ok(end) = u32::try_from(t.text.len() + text.len()) else {
            return;
        };
        debug_assert!(t.rows.last().is_none_or(|&r| r < row));
        t.rows.push(row);
        t.text.push_str(text);
        t.ends.push(end);
    }

    /// Adds many rows' texts at once: row `base + rows[i]`'s text ends at `ends[i]` in
    /// `text` (each starts where the one before ends); the rows come after those already
    /// kept, in increasing order. Nothing is added past 4 GiB of text.
    pub fn extend(&mut self, base: u32, rows: &[u32], ends: &[u32], text: &str) {
        if rows.is_empty() {
            return;
        }
        let t = self.0.get_or_insert_default();
        let Ok(at) = u32::try_from(t.text.len()) else {
            return;
        };
        if u32::try_from(t.text.len() + text.len()).is_err() || rows.len() != ends.len() {
            return;
        }
        debug_assert!(t.rows.last().is_none_or(|&r| r < base + rows[0]));
        t.rows.extend(rows.iter().map(|&r| base + r));
        t.ends.extend(ends.iter().map(|&e| at + e));
        t.text.push_str(text);
    }

    /// Gives back the room that growing left over (the texts are kept as long as their
    /// column, and charged as what they hold).
    pub fn shrink_to_fit(&mut self) {
        if let Some(t) = &mut self.0 {
            t.rows.shrink_to_fit();
            t.ends.shrink_to_fit();
            t.text.shrink_to_fit();
        }
    }

    /// Row `row`'s text, if it has one.
    pub fn get(&self, row: u32) -> Option<&str> {
        let t = self.0.as_deref()?;
        let k = t.rows.binary_search(&row).ok()?;
        let start = if k == 0 { 0 } else { t.ends[k - 1] as usize };
        t.text.get(start..t.ends[k] as usize)
    }

    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |t| t.rows.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.0.as_ref().map_or(0, |t| {
            std::mem::size_of::<Texts>()
                + t.rows.capacity() * 4
                + t.ends.capacity() * 4
                + t.text.capacity()
        })
    }
}

impl ColumnBody {
    /// A column over `array`, which must be one of the four types (and, for float64, keep
    /// C1 and C2: [`ColumnBody::floats`] makes such arrays).
    pub fn new(array: ArrayRef) -> ColumnBody {
        ColumnBody {
            array,
            texts: FileTexts::default(),
        }
    }

    /// A float64 column of `values`, NaN being missing (C1, C2 hold by construction).
    pub fn floats(values: Vec<f64>) -> ColumnBody {
        let nulls = nan_nulls(&values);
        ColumnBody::new(Arc::new(Float64Array::new(
            ScalarBuffer::from(values),
            nulls,
        )))
    }

    pub fn ints(values: Vec<i64>) -> ColumnBody {
        ColumnBody::new(Arc::new(Int64Array::new(ScalarBuffer::from(values), None)))
    }

    /// A bool column; `None` is missing.
    pub fn bools(values: &[Option<bool>]) -> ColumnBody {
        ColumnBody::new(Arc::new(values.iter().copied().collect::<BooleanArray>()))
    }

    pub fn dtype(&self) -> ColType {
        match self.array.data_type() {
            DataType::Int64 => ColType::Int,
            DataType::Float64 => ColType::Float,
            DataType::Boolean => ColType::Bool,
            _ => ColType::Str,
        }
    }

    pub fn len(&self) -> usize {
        self.array.len()
    }

    pub fn is_empty(&self) -> bool {
        self.array.is_empty()
    }

    pub fn is_missing(&self, i: usize) -> bool {
        self.array.is_null(i)
    }

    /// Values present (not missing).
    pub fn count(&self) -> usize {
        self.array.len() - self.array.null_count()
    }

    pub fn int_values(&self) -> Option<&[i64]> {
        (self.dtype() == ColType::Int)
            .then(|| self.array.as_primitive::<Int64Type>().values().as_ref())
    }

    /// A float64 column's values, NaN where missing (C1).
    pub fn float_values(&self) -> Option<&[f64]> {
        (self.dtype() == ColType::Float)
            .then(|| self.array.as_primitive::<Float64Type>().values().as_ref())
    }

    pub fn bool_values(&self) -> Option<&BooleanArray> {
        self.array.as_boolean_opt()
    }

    pub fn str_values(&self) -> Option<&StringArray> {
        self.array.as_string_opt::<i32>()
    }

    /// Value `i` as an f64 (a bool as 0 or 1); NaN when missing or not numeric.
    pub fn f64_at(&self, i: usize) -> f64 {
        if self.array.is_null(i) {
            return f64::NAN;
        }
        match self.dtype() {
            ColType::Int => self.array.as_primitive::<Int64Type>().value(i) as f64,
            ColType::Float => self.array.as_primitive::<Float64Type>().value(i),
            ColType::Bool => self.array.as_boolean().value(i) as u8 as f64,
            ColType::Str => f64::NAN,
        }
    }

    /// The values buffer of an int64 or float64 column as `T` (the tensor's element type
    /// for that dtype), for a tensor sharing it (`TensorStore::Column`); empty otherwise.
    pub fn values_as<T: Elem>(&self) -> &[T] {
        let bytes: &[u8] = match self.dtype() {
            ColType::Int => self
                .array
                .as_primitive::<Int64Type>()
                .values()
                .inner()
                .as_slice(),
            ColType::Float => self
                .array
                .as_primitive::<Float64Type>()
                .values()
                .inner()
                .as_slice(),
            _ => &[],
        };
        // SAFETY: every `Elem` is a plain number type for which any bit pattern is valid,
        // and `align_to` only yields the aligned, whole middle part of the bytes.
        let (pre, mid, post) = unsafe { bytes.align_to::<T>() };
        if pre.is_empty() && post.is_empty() {
            mid
        } else {
            &[]
        }
    }

    /// The file's text of field `i` when it differs from what its value prints as.
    pub fn file_text(&self, i: usize) -> Option<&str> {
        self.texts.get(u32::try_from(i).ok()?)
    }

    /// Bytes the `tensor` zone charges the column beyond its header.
    pub fn charge(&self) -> u64 {
        (self.array.get_array_memory_size() + self.texts.bytes()) as u64
    }
}

/// The null bitmap that makes every NaN of `values` missing (C2); `None` when none is.
pub fn nan_nulls(values: &[f64]) -> Option<NullBuffer> {
    if !values.iter().any(|x| x.is_nan()) {
        return None;
    }
    let valid = BooleanBuffer::collect_bool(values.len(), |i| !values[i].is_nan());
    Some(NullBuffer::new(valid))
}
