//! A column's methods: its dtype and values (`to_tensor`, `ints`, `floats`, `strings`),
//! its aggregations (skipping missing values, as pandas'), `unique`, `value_counts`, and
//! the comparisons that make masks.

use super::super::operands::{arg, NativeCx};
use super::super::tensor::new_tensor;
use super::{column_arg, make, Part};
use crate::error::{fail, Fallible};
use arrow_array::{Array, BooleanArray, StringArray};
use arrow_buffer::BooleanBuffer;
use stark_runtime::tensor::DType;
use stark_runtime::tensor_pool::TensorBuf;
use stark_runtime::{ColType, ColumnBody, ObjKind, ObjRef, TensorBody, TensorStore, Value};
use std::cmp::Ordering;

pub(crate) fn dtype(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let c = column_arg(a, 0)?;
    Ok(Value::Obj(cx.heap.alloc_str(c.column().dtype().name())?))
}

pub(crate) fn column_len(a: &[Value]) -> Fallible<Value> {
    Ok(Value::Int(column_arg(a, 0)?.column().len() as i64))
}

pub(crate) fn to_tensor(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let c = column_arg(a, 0)?;
    to_tensor_of(cx, c, "the column")
}

/// The column's values as a 1-D tensor: an int64 or float64 column lends its buffer (no
/// copy; the tensor holds the column); a bool one is copied (Arrow packs bools in bits),
/// to float64 with NaN if a value is missing. `what` names the column for the error.
pub(crate) fn to_tensor_of(cx: &mut NativeCx<'_>, c: ObjRef, what: &str) -> Fallible<Value> {
    let body = c.column();
    let n = body.len();
    let dtype = match body.dtype() {
        ColType::Int => DType::I64,
        ColType::Float => DType::F64,
        ColType::Bool => {
            let b = body.bool_values().expect("a bool column");
            if b.null_count() == 0 {
                let bytes: Vec<u8> = (0..n).map(|i| b.value(i) as u8).collect();
                return from_vec(cx, DType::Bool, &bytes);
            }
            let xs: Vec<f64> = (0..n).map(|i| body.f64_at(i)).collect();
            return from_vec(cx, DType::F64, &xs);
        }
        ColType::Str => {
            return fail(format!(
                "{what} is not numeric (its dtype is string): a tensor needs an int64, float64 or bool column"
            ));
        }
    };
    cx.heap.incref(Value::Obj(c));
    let made = cx.heap.alloc_tensor(TensorBody {
        dtype,
        shape: vec![n],
        strides: vec![1],
        offset: 0,
        store: TensorStore::Column(c),
    });
    match made {
        Ok(t) => Ok(Value::Obj(t)),
        Err(e) => {
            // SAFETY: the reference taken just above for the tensor that was not made; the
            // caller's operand still holds the column, so this frees nothing.
            unsafe { cx.heap.decref_obj(c) };
            Err(e.into())
        }
    }
}

fn from_vec<T: stark_runtime::tensor_pool::Elem>(
    cx: &mut NativeCx<'_>,
    dtype: DType,
    values: &[T],
) -> Fallible<Value> {
    cx.heap.check_room(std::mem::size_of_val(values) as u64)?;
    let Some(buf) = TensorBuf::from_slice(values) else {
        return Err(cx
            .heap
            .check_room(u64::MAX)
            .err()
            .map(Into::into)
            .unwrap_or_else(|| crate::error::Fault::msg("out of memory".to_string())));
    };
    new_tensor(cx, dtype, vec![values.len()], buf)
}

/// A new list of `items` (each an owned value).
fn list_of(cx: &mut NativeCx<'_>, items: Vec<Value>) -> Fallible<Value> {
    Ok(Value::Obj(cx.heap.alloc_list(items)?))
}

/// `col.ints()`: an int64 column's values.
pub(crate) fn ints(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let c = column_arg(a, 0)?;
    let Some(v) = c.column().int_values() else {
        return fail(format!(
            "ints() needs an int64 column, found {} (use floats() or strings())",
            c.column().dtype().name()
        ));
    };
    cx.heap.check_room(v.len() as u64 * 16)?;
    let items = v.iter().map(|&x| Value::Int(x)).collect();
    list_of(cx, items)
}

/// `col.floats()`: a numeric column's values as Floats, missing as nan.
pub(crate) fn floats(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let c = column_arg(a, 0)?;
    let body = c.column();
    numeric(body, "floats()")?;
    cx.heap.check_room(body.len() as u64 * 16)?;
    let items = (0..body.len())
        .map(|i| Value::Float(body.f64_at(i)))
        .collect();
    list_of(cx, items)
}

/// `col.strings()`: any column as text (as `save` writes each value), missing as "".
pub(crate) fn strings(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let c = column_arg(a, 0)?;
    let body = c.column();
    cx.heap.check_room(body.len() as u64 * 48)?;
    let mut items = Vec::with_capacity(body.len());
    let mut text = String::new();
    for i in 0..body.len() {
        text.clear();
        super::csv::write_value(&mut text, body, i);
        match cx.heap.alloc_str(text.as_str()) {
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
    list_of(cx, items)
}

/// The runtime error for a string column where a numeric one is needed.
fn numeric(c: &ColumnBody, what: &str) -> Fallible<()> {
    if c.dtype().is_numeric() {
        Ok(())
    } else {
        fail(format!(
            "{what} needs a numeric column (int64, float64 or bool), found {}",
            c.dtype().name()
        ))
    }
}

/// The present values of a numeric column as f64s.
pub(super) fn present(c: &ColumnBody) -> Vec<f64> {
    (0..c.len())
        .filter(|&i| !c.is_missing(i))
        .map(|i| c.f64_at(i))
        .collect()
}

/// NumPy's pairwise summation (`np.sum` of a float64 array): blocks of up to 128 values
/// summed in eight running totals, halves added. Matching it makes the last bits agree
/// with pandas'.
pub(super) fn np_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        return a.iter().fold(0.0, |s, x| s + x);
    }
    if n <= 128 {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let full = n - n % 8;
        let mut i = 8;
        while i < full {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for x in &a[full..] {
            res += x;
        }
        return res;
    }
    let mut n2 = n / 2;
    n2 -= n2 % 8;
    np_sum(&a[..n2]) + np_sum(&a[n2..])
}

/// pandas' `nansum`, `nanmean` and `nanstd` (`ddof=1`) of a numeric column: the values with
/// missing ones as 0 summed as NumPy sums, divided by the count of present values; the
/// squares of the deviations likewise. An int64 or bool sum is exact.
pub(super) struct Moments {
    pub sum: f64,
    pub count: usize,
    pub mean: f64,
    pub std: f64,
}

pub(super) fn moments(c: &ColumnBody) -> Moments {
    let n = c.len();
    let count = c.count();
    let v: Vec<f64> = match c.float_values() {
        Some(v) => v
            .iter()
            .map(|&x| if x.is_nan() { 0.0 } else { x })
            .collect(),
        None => (0..n)
            .map(|i| if c.is_missing(i) { 0.0 } else { c.f64_at(i) })
            .collect(),
    };
    let float_sum = np_sum(&v);
    let sum = match c.int_values() {
        Some(ints) => ints.iter().fold(0i64, |s, &x| s.wrapping_add(x)) as f64,
        None => float_sum,
    };
    let mean = if count == 0 {
        f64::NAN
    } else {
        float_sum / count as f64
    };
    let std = if count < 2 {
        f64::NAN
    } else {
        let sq: Vec<f64> = (0..n)
            .map(|i| {
                if c.is_missing(i) {
                    0.0
                } else {
                    (mean - v[i]) * (mean - v[i])
                }
            })
            .collect();
        (np_sum(&sq) / (count - 1) as f64).sqrt()
    };
    Moments {
        sum,
        count,
        mean,
        std,
    }
}

pub(crate) fn aggregate(a: &[Value], what: &str) -> Fallible<Value> {
    let c = column_arg(a, 0)?;
    let body = c.column();
    numeric(body, &format!("{what}()"))?;
    let r = match what {
        "sum" => moments(body).sum,
        "mean" => moments(body).mean,
        "std" => moments(body).std,
        "min" => present(body).into_iter().fold(f64::NAN, f64::min),
        _ => present(body).into_iter().fold(f64::NAN, f64::max),
    };
    Ok(Value::Float(r))
}

pub(crate) fn count(a: &[Value]) -> Fallible<Value> {
    Ok(Value::Int(column_arg(a, 0)?.column().count() as i64))
}

/// A hashable stand-in for a present value: its bits (a float's, -0.0 as 0.0), or its text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) enum Key<'a> {
    Num(u64),
    Text(&'a str),
}

/// Value `i`'s key; `None` when missing.
pub(super) fn key_at(c: &ColumnBody, i: usize) -> Option<Key<'_>> {
    if c.is_missing(i) {
        return None;
    }
    Some(match c.dtype() {
        ColType::Int => Key::Num(c.int_values().expect("int64")[i] as u64),
        ColType::Float => {
            let x = c.f64_at(i);
            Key::Num(if x == 0.0 { 0 } else { x.to_bits() })
        }
        ColType::Bool => Key::Num(c.f64_at(i) as u64),
        ColType::Str => Key::Text(c.str_values().expect("string").value(i)),
    })
}

/// The rows of the first appearance of each distinct present value, in that order, and
/// how many times each appears.
pub(super) fn distinct(c: &ColumnBody) -> (Vec<u32>, Vec<i64>) {
    let mut seen: hashbrown::HashMap<Key<'_>, usize> = hashbrown::HashMap::new();
    let (mut first, mut counts) = (Vec::new(), Vec::new());
    for i in 0..c.len() {
        let Some(k) = key_at(c, i) else { continue };
        match seen.entry(k) {
            hashbrown::hash_map::Entry::Occupied(e) => counts[*e.get()] += 1,
            hashbrown::hash_map::Entry::Vacant(e) => {
                e.insert(first.len());
                first.push(i as u32);
                counts.push(1);
            }
        }
    }
    (first, counts)
}

/// The rows `rows` of `c`, in that order (`None`: a missing value), as a new column body
/// keeping C1/C2 (and turning an int64 column with a missing value into float64, as
/// pandas does).
pub(super) fn take(c: &ColumnBody, rows: &[Option<u32>]) -> Fallible<ColumnBody> {
    let idx: arrow_array::UInt32Array = rows.iter().copied().collect();
    let taken = arrow_select::take::take(c.array.as_ref(), &idx, None)
        .or_else(|e| fail(format!("internal error: take: {e}")))?;
    Ok(normalise(taken))
}

/// `take` for plain row numbers.
pub(super) fn take_rows(c: &ColumnBody, rows: &[u32]) -> Fallible<ColumnBody> {
    let idx = arrow_array::UInt32Array::from(rows.to_vec());
    let taken = arrow_select::take::take(c.array.as_ref(), &idx, None)
        .or_else(|e| fail(format!("internal error: take: {e}")))?;
    Ok(ColumnBody::new(taken))
}

/// An array made by a kernel as a column: float64 with NaN in its null slots (C1), int64
/// with a missing value as float64.
pub(super) fn normalise(array: arrow_array::ArrayRef) -> ColumnBody {
    let c = ColumnBody::new(array);
    if c.array.null_count() == 0 {
        return c;
    }
    match c.dtype() {
        ColType::Int | ColType::Float => {
            ColumnBody::floats((0..c.len()).map(|i| c.f64_at(i)).collect())
        }
        _ => c,
    }
}

/// `col.unique()`: the distinct present values, in order of first appearance.
pub(crate) fn unique(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let c = column_arg(a, 0)?;
    let (first, _) = distinct(c.column());
    let body = take_rows(c.column(), &first)?;
    Ok(Value::Obj(cx.heap.alloc_column(body)?))
}

/// `col.value_counts()`: a dataset of each distinct present value and its count, the most
/// frequent first (ties in order of first appearance), as pandas' `value_counts()`; the
/// value column is named after the column when it comes from a dataset (`value` else).
pub(crate) fn value_counts(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let c = column_arg(a, 0)?;
    let (first, counts) = distinct(c.column());
    let mut order: Vec<usize> = (0..first.len()).collect();
    order.sort_by(|&x, &y| counts[y].cmp(&counts[x]));
    let rows: Vec<u32> = order.iter().map(|&k| first[k]).collect();
    let values = take_rows(c.column(), &rows)?;
    let n = rows.len();
    let counts = ColumnBody::ints(order.iter().map(|&k| counts[k]).collect());
    make(
        cx,
        String::new(),
        n,
        vec![
            ("value".to_string(), Part::New(values)),
            ("count".to_string(), Part::New(counts)),
        ],
        Vec::new(),
    )
}

/// Comparison operators on columns.
#[derive(Clone, Copy)]
pub(crate) enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Cmp {
    fn holds(self, o: Ordering) -> bool {
        match self {
            Cmp::Lt => o == Ordering::Less,
            Cmp::Le => o != Ordering::Greater,
            Cmp::Gt => o == Ordering::Greater,
            Cmp::Ge => o != Ordering::Less,
            Cmp::Eq => o == Ordering::Equal,
            Cmp::Ne => o != Ordering::Equal,
        }
    }

    /// `x op c` as `c op' x`.
    fn flipped(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            other => other,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
        }
    }
}

/// One side of a comparison: a column's value `i`, or a scalar.
enum Side<'a> {
    Col(&'a ColumnBody),
    Num(f64),
    Text(&'a str),
}

fn side_name(s: &Side<'_>) -> &'static str {
    match s {
        Side::Col(c) => c.dtype().name(),
        Side::Num(_) => "number",
        Side::Text(_) => "String",
    }
}

/// `a op b` where one side is a column: a bool column (a mask), missing values comparing
/// false (`!=` true), as pandas'.
pub(crate) fn compare(cx: &mut NativeCx<'_>, op: Cmp, a: &[Value]) -> Fallible<Value> {
    fn side(v: &Value) -> Fallible<Side<'_>> {
        Ok(match v {
            Value::Int(n) => Side::Num(*n as f64),
            Value::Float(x) => Side::Num(*x),
            Value::Bool(b) => Side::Num(*b as u8 as f64),
            Value::Obj(o) if o.kind() == ObjKind::Column => Side::Col(o.column()),
            Value::Obj(o) if o.kind() == ObjKind::Str => Side::Text(o.as_str()),
            _ => return fail("a column compares with a column or a scalar"),
        })
    }
    let (va, vb) = (arg(a, 0), arg(a, 1));
    let (x, y) = (side(&va)?, side(&vb)?);
    let (c, other, op) = match (x, y) {
        (Side::Col(c), o) => (c, o, op),
        (o, Side::Col(c)) => (c, o, op.flipped()),
        _ => return fail("internal error: no column in a column comparison"),
    };
    let n = c.len();
    let mismatch = |o: &Side<'_>| {
        fail(format!(
            "cannot compare a {} column with a {} using `{}`",
            c.dtype().name(),
            side_name(o),
            op.symbol()
        ))
    };
    let text = c.dtype() == ColType::Str;
    let out: BooleanArray = match &other {
        Side::Num(x) if !text => {
            // IEEE comparisons are pandas' for a missing value (NaN in a float64 column,
            // C1): false, and true for `!=`.
            let x = *x;
            macro_rules! by_op {
                ($v:expr, $conv:expr) => {{
                    let v = $v;
                    let conv = $conv;
                    match op {
                        Cmp::Lt => BooleanBuffer::collect_bool(n, |i| conv(v[i]) < x),
                        Cmp::Le => BooleanBuffer::collect_bool(n, |i| conv(v[i]) <= x),
                        Cmp::Gt => BooleanBuffer::collect_bool(n, |i| conv(v[i]) > x),
                        Cmp::Ge => BooleanBuffer::collect_bool(n, |i| conv(v[i]) >= x),
                        Cmp::Eq => BooleanBuffer::collect_bool(n, |i| conv(v[i]) == x),
                        Cmp::Ne => BooleanBuffer::collect_bool(n, |i| conv(v[i]) != x),
                    }
                }};
            }
            let bits = match (c.float_values(), c.int_values()) {
                (Some(v), _) => by_op!(v, |y: f64| y),
                (_, Some(v)) => by_op!(v, |y: i64| y as f64),
                _ => {
                    let v: Vec<f64> = (0..n).map(|i| c.f64_at(i)).collect();
                    by_op!(&v[..], |y: f64| y)
                }
            };
            BooleanArray::new(bits, None)
        }
        Side::Text(s) if text => {
            let v: &StringArray = c.str_values().expect("string");
            (0..n)
                .map(|i| {
                    Some(if v.is_null(i) {
                        matches!(op, Cmp::Ne)
                    } else {
                        op.holds(v.value(i).cmp(s))
                    })
                })
                .collect()
        }
        Side::Col(d) => {
            if d.len() != n {
                return fail(format!(
                    "cannot compare columns of {} and {} values",
                    n,
                    d.len()
                ));
            }
            match (text, d.dtype() == ColType::Str) {
                (false, false) => (0..n)
                    .map(|i| {
                        Some(match c.f64_at(i).partial_cmp(&d.f64_at(i)) {
                            Some(o) => op.holds(o),
                            None => matches!(op, Cmp::Ne),
                        })
                    })
                    .collect(),
                (true, true) => {
                    let (u, v) = (
                        c.str_values().expect("string"),
                        d.str_values().expect("string"),
                    );
                    (0..n)
                        .map(|i| {
                            Some(if u.is_null(i) || v.is_null(i) {
                                matches!(op, Cmp::Ne)
                            } else {
                                op.holds(u.value(i).cmp(v.value(i)))
                            })
                        })
                        .collect()
                }
                _ => return mismatch(&other),
            }
        }
        _ => return mismatch(&other),
    };
    let body = ColumnBody::new(std::sync::Arc::new(out));
    Ok(Value::Obj(cx.heap.alloc_column(body)?))
}
