//! The operations that make a new dataset from one (SPEC §9): `head`, `select`, `filter`,
//! `drop_missing`, `sort_by`, `with_column`, `Dataset.from_columns`, `group_by(…).agg(…)`,
//! `join` and `describe`. Columns an operation does not change are shared, not copied.

use super::super::operands::{arg, int_arg, opt_str_arg, NativeCx};
use super::column::{key_at, moments, present, take, take_rows, Key};
use super::{dataset_arg, lookup, make, origin, str_arg, Part};
use crate::error::{fail, Fallible};
use arrow_array::{Array, ArrayRef, BooleanArray, StringArray};
use rayon::prelude::*;
use stark_runtime::tensor::DType;
use stark_runtime::{ColType, ColumnBody, DatasetBody, ObjKind, ObjRef, Value};
use std::cmp::Ordering;
use std::sync::Arc;

/// Every column of `d` as rows `rows` of it.
/// Every column of `d` as rows `rows` of it, the columns gathered in parallel.
fn take_all(d: &DatasetBody, rows: &[u32]) -> Fallible<Vec<(String, Part)>> {
    let bodies: Vec<&ColumnBody> = d.columns.iter().map(|(_, c)| c.column()).collect();
    let taken: Vec<Fallible<ColumnBody>> = bodies.par_iter().map(|c| take_rows(c, rows)).collect();
    d.columns
        .iter()
        .zip(taken)
        .map(|((n, _), t)| Ok((n.clone(), Part::New(t?))))
        .collect()
}

/// Checks there is room for `rows` more rows of `d` (a kernel's output) before it is made.
fn room_for(cx: &NativeCx<'_>, d: &DatasetBody, rows: usize) -> Fallible<()> {
    let per_row: u64 = d
        .columns
        .iter()
        .map(|(_, c)| {
            let c = c.column();
            let text = match c.str_values() {
                Some(s) if !s.is_empty() => s.value_data().len() as u64 / s.len() as u64,
                _ => 0,
            };
            8 + text
        })
        .sum();
    cx.heap.check_room(per_row.saturating_mul(rows as u64))?;
    Ok(())
}

/// `d.head(n=5)`: the first `n` rows (all but the last `-n` for a negative `n`, as pandas).
pub(crate) fn head(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a, 0)?;
    let n = int_arg(a, 1)?;
    let body = d.dataset();
    let rows = body.rows as i64;
    let k = if n >= 0 {
        n.min(rows)
    } else {
        (rows + n).max(0)
    } as usize;
    let idx: Vec<u32> = (0..k as u32).collect();
    let parts = take_all(body, &idx)?;
    make(cx, String::new(), k, parts, Vec::new())
}

/// `d.select(names)`: those columns, shared, in that order.
pub(crate) fn select(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a, 0)?;
    let names = match arg(a, 1) {
        Value::Obj(o) if o.kind() == ObjKind::List => o,
        _ => return fail("internal error: select takes a list"),
    };
    let body = d.dataset();
    let mut parts = Vec::new();
    for v in names.list().iter() {
        let Value::Obj(s) = v else { continue };
        let name = s.as_str();
        if parts.iter().any(|(n, _): &(String, Part)| n == name) {
            return fail(format!("select names column \"{name}\" twice"));
        }
        parts.push((name.to_string(), Part::Share(lookup(body, name)?)));
    }
    make(cx, String::new(), body.rows, parts, Vec::new())
}

/// The mask operand: a bool column or a 1-D bool tensor of the dataset's length, as a
/// bool array without nulls (a missing value selects nothing).
fn mask_of(a: &[Value], i: usize, rows: usize) -> Fallible<BooleanArray> {
    let mask: BooleanArray = match arg(a, i) {
        Value::Obj(o) if o.kind() == ObjKind::Column => {
            let c = o.column();
            let Some(b) = c.bool_values() else {
                return fail(format!(
                    "a mask must be a bool column, found {} (compare it: `d[\"x\"] > 0`)",
                    c.dtype().name()
                ));
            };
            match b.nulls() {
                None => b.clone(),
                Some(nulls) => BooleanArray::new(b.values() & nulls.inner(), None),
            }
        }
        Value::Obj(o) if o.kind() == ObjKind::Tensor => {
            let t = o.tensor();
            if t.dtype != DType::Bool || t.shape.len() != 1 {
                return fail(format!(
                    "a mask must be a 1-D bool tensor, found {} of shape {:?}",
                    t.dtype.name(),
                    t.shape
                ));
            }
            t.scalars()
                .iter()
                .map(|s| Some(s.as_f64() != 0.0))
                .collect()
        }
        _ => return fail("internal error: a mask is a Column or a Tensor"),
    };
    if mask.len() != rows {
        return fail(format!(
            "the mask has {} values but the dataset has {rows} rows",
            mask.len()
        ));
    }
    Ok(mask)
}

/// A dataset of the rows of `d` where `mask` holds: every column shared when it keeps
/// them all, else each filtered by Arrow's kernel.
fn keep_rows(cx: &mut NativeCx<'_>, d: ObjRef, mask: &BooleanArray) -> Fallible<Value> {
    let body = d.dataset();
    let kept = mask.true_count();
    let mut parts = Vec::with_capacity(body.columns.len());
    if kept == body.rows {
        for (n, c) in &body.columns {
            parts.push((n.clone(), Part::Share(*c)));
        }
    } else {
        room_for(cx, body, kept)?;
        let bodies: Vec<&ColumnBody> = body.columns.iter().map(|(_, c)| c.column()).collect();
        let filtered: Vec<_> = bodies
            .par_iter()
            .map(|c| arrow_select::filter::filter(c.array.as_ref(), mask))
            .collect();
        for ((n, _), array) in body.columns.iter().zip(filtered) {
            let array = array.or_else(|e| fail(format!("internal error: filter: {e}")))?;
            parts.push((n.clone(), Part::New(ColumnBody::new(array))));
        }
    }
    make(cx, String::new(), kept, parts, Vec::new())
}

/// `d.filter(mask)`.
pub(crate) fn filter(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a, 0)?;
    let mask = mask_of(a, 1, d.dataset().rows)?;
    keep_rows(cx, d, &mask)
}

/// `d.drop_missing()`: the rows with no missing value.
pub(crate) fn drop_missing(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a, 0)?;
    let body = d.dataset();
    let mut keep = arrow_buffer::BooleanBuffer::new_set(body.rows);
    for (_, c) in &body.columns {
        if let Some(nulls) = c.column().array.nulls() {
            keep = &keep & nulls.inner();
        }
    }
    keep_rows(cx, d, &BooleanArray::new(keep, None))
}

/// A float's bits mapped so that unsigned order is numeric order.
fn ordered_bits(x: f64) -> u64 {
    let b = (if x == 0.0 { 0.0 } else { x }).to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// The permutation that sorts `c` stably, missing values last in both directions.
fn sort_order(c: &ColumnBody, descending: bool) -> Vec<u32> {
    let n = c.len();
    if let ColType::Str = c.dtype() {
        let s = c.str_values().expect("string");
        let mut idx: Vec<u32> = (0..n as u32).collect();
        idx.sort_by(
            |&x, &y| match (s.is_null(x as usize), s.is_null(y as usize)) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    let o = s.value(x as usize).cmp(s.value(y as usize));
                    if descending {
                        o.reverse()
                    } else {
                        o
                    }
                }
            },
        );
        return idx;
    }
    // Numbers: (key, row) pairs sorted unstably, which is stable since rows differ; a
    // missing value's key is the greatest in both directions.
    let mut pairs: Vec<(u64, u32)> = (0..n)
        .map(|i| {
            let key = if c.is_missing(i) {
                u64::MAX
            } else {
                let k = match c.dtype() {
                    ColType::Int => (c.int_values().expect("int64")[i] as u64) ^ (1 << 63),
                    _ => ordered_bits(c.f64_at(i)),
                };
                // Keys of present values stay below u64::MAX in both directions.
                if descending {
                    !k - 1
                } else {
                    k.min(u64::MAX - 1)
                }
            };
            (key, i as u32)
        })
        .collect();
    if n > 1 << 16 {
        use rayon::slice::ParallelSliceMut;
        pairs.par_sort_unstable();
    } else {
        pairs.sort_unstable();
    }
    pairs.into_iter().map(|(_, i)| i).collect()
}

/// `d.sort_by(name, descending=false)`.
pub(crate) fn sort_by(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a, 0)?;
    let name = str_arg(a, 1)?;
    let descending = matches!(arg(a, 2), Value::Bool(true));
    let body = d.dataset();
    let c = lookup(body, name.as_str())?;
    room_for(cx, body, body.rows)?;
    let order = sort_order(c.column(), descending);
    let parts = take_all(body, &order)?;
    make(cx, String::new(), body.rows, parts, Vec::new())
}

/// A column body from a value `with_column` or `from_columns` was given: a Column (shared),
/// a 1-D Tensor or a list of Ints, Floats, Bools or Strings. `name` is for errors.
fn part_of(v: Value, name: &str) -> Fallible<Part> {
    let Value::Obj(o) = v else {
        return fail(format!(
            "column \"{name}\": expected values, found a scalar"
        ));
    };
    Ok(match o.kind() {
        ObjKind::Column => Part::Share(o),
        ObjKind::Tensor => {
            let t = o.tensor();
            if t.shape.len() != 1 {
                return fail(format!(
                    "column \"{name}\": a column takes a 1-D tensor, found shape {:?}",
                    t.shape
                ));
            }
            let xs = t.scalars();
            Part::New(match t.dtype {
                DType::F32 | DType::F64 => {
                    ColumnBody::floats(xs.iter().map(|s| s.as_f64()).collect())
                }
                DType::I64 => ColumnBody::ints(
                    xs.iter()
                        .map(|s| match s {
                            stark_runtime::tensor::Scalar::I(n) => *n,
                            other => other.as_f64() as i64,
                        })
                        .collect(),
                ),
                DType::Bool => ColumnBody::bools(
                    &xs.iter()
                        .map(|s| Some(s.as_f64() != 0.0))
                        .collect::<Vec<_>>(),
                ),
            })
        }
        ObjKind::List => {
            let items = o.list();
            match items.first() {
                None | Some(Value::Float(_))
                    if items
                        .iter()
                        .all(|v| matches!(v, Value::Float(_) | Value::Int(_)))
                        || items.is_empty() =>
                {
                    Part::New(ColumnBody::floats(
                        items
                            .iter()
                            .map(|v| match v {
                                Value::Float(x) => *x,
                                Value::Int(n) => *n as f64,
                                _ => f64::NAN,
                            })
                            .collect(),
                    ))
                }
                Some(Value::Int(_)) => Part::New(ColumnBody::ints(
                    items
                        .iter()
                        .map(|v| match v {
                            Value::Int(n) => *n,
                            _ => 0,
                        })
                        .collect(),
                )),
                Some(Value::Bool(_)) => Part::New(ColumnBody::bools(
                    &items
                        .iter()
                        .map(|v| match v {
                            Value::Bool(b) => Some(*b),
                            _ => None,
                        })
                        .collect::<Vec<_>>(),
                )),
                _ => {
                    let strs: Vec<Option<&str>> = items
                        .iter()
                        .map(|v| match v {
                            Value::Obj(s) if s.kind() == ObjKind::Str => Some(s.as_str()),
                            _ => None,
                        })
                        .collect();
                    Part::New(ColumnBody::new(
                        Arc::new(StringArray::from(strs)) as ArrayRef
                    ))
                }
            }
        }
        other => {
            return fail(format!(
                "column \"{name}\": a column is made of a Column, a Tensor or a List, not a {}",
                other.name()
            ))
        }
    })
}

fn part_len(p: &Part) -> usize {
    match p {
        Part::Share(c) => c.column().len(),
        Part::New(b) => b.len(),
    }
}

/// `d.with_column(name, values)`: the dataset with that column added at the end, or
/// replaced in place. A Column is shared (`make` counts it), other values copied into a
/// new one, so the operand is only read.
pub(crate) fn with_column(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let values = arg(a, 2);
    let d = dataset_arg(a, 0)?;
    let name = str_arg(a, 1)?.as_str().to_string();
    let body = d.dataset();
    let part = part_of(values, &name)?;
    let n = part_len(&part);
    if n != body.rows && !(body.columns.is_empty()) {
        return fail(format!(
            "with_column(\"{name}\"): {n} values for a dataset of {} rows",
            body.rows
        ));
    }
    let rows = if body.columns.is_empty() {
        n
    } else {
        body.rows
    };
    let mut parts: Vec<(String, Part)> = Vec::with_capacity(body.columns.len() + 1);
    let mut part = Some(part);
    for (cn, c) in &body.columns {
        if *cn == name {
            parts.push((cn.clone(), part.take().expect("one column replaced")));
        } else {
            parts.push((cn.clone(), Part::Share(*c)));
        }
    }
    if let Some(p) = part {
        parts.push((name, p));
    }
    make(cx, String::new(), rows, parts, Vec::new())
}

/// `Dataset.from_columns(m)`: one column per entry, in the map's order.
pub(crate) fn from_columns(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let m = match arg(a, 0) {
        Value::Obj(o) if o.kind() == ObjKind::Map => o,
        _ => return fail("internal error: from_columns takes a map"),
    };
    let mut parts: Vec<(String, Part)> = Vec::new();
    let mut rows: Option<(usize, String)> = None;
    for (k, v) in m.map().iter() {
        let name = match k {
            stark_runtime::MapKey::Str(s) => s.to_string(),
            other => format!("{other:?}"),
        };
        let p = part_of(*v, &name)?;
        let n = part_len(&p);
        match &rows {
            None => rows = Some((n, name.clone())),
            Some((r, first)) if *r != n => {
                return fail(format!(
                    "column \"{name}\" has {n} values but \"{first}\" has {r}"
                ))
            }
            _ => {}
        }
        parts.push((name, p));
    }
    make(
        cx,
        String::new(),
        rows.map_or(0, |r| r.0),
        parts,
        Vec::new(),
    )
}

// ---- group-by ----

/// `d.group_by(key)`: the same columns, shared, waiting for `agg`.
pub(crate) fn group_by(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a, 0)?;
    let key = str_arg(a, 1)?.as_str().to_string();
    let body = d.dataset();
    lookup(body, &key)?;
    let parts = body
        .columns
        .iter()
        .map(|(n, c)| (n.clone(), Part::Share(*c)))
        .collect();
    make(cx, body.origin.clone(), body.rows, parts, vec![key])
}

/// Each row's group (`u32::MAX` for a missing key, which pandas leaves out) and each
/// group's first row, groups in order of first appearance. Keys are hashed as what they
/// are: the strings themselves, an int64's or a float's bits.
fn groups_of(c: &ColumnBody) -> (Vec<u32>, Vec<u32>) {
    fn number<K: std::hash::Hash + Eq>(
        n: usize,
        key: impl Fn(usize) -> Option<K>,
    ) -> (Vec<u32>, Vec<u32>) {
        let mut ids: hashbrown::HashMap<K, u32> = hashbrown::HashMap::new();
        let mut first = Vec::new();
        let group = (0..n)
            .map(|i| match key(i) {
                None => u32::MAX,
                Some(k) => *ids.entry(k).or_insert_with(|| {
                    first.push(i as u32);
                    first.len() as u32 - 1
                }),
            })
            .collect();
        (group, first)
    }
    let n = c.len();
    if let Some(v) = c.int_values() {
        return number(n, |i| Some(v[i]));
    }
    if let Some(v) = c.float_values() {
        return number(n, |i| {
            let x = v[i];
            (!x.is_nan()).then_some(if x == 0.0 { 0 } else { x.to_bits() })
        });
    }
    if let Some(s) = c.str_values() {
        return number(n, |i| (!s.is_null(i)).then(|| s.value(i)));
    }
    number(n, |i| key_at(c, i))
}

/// The values of a numeric column as f64, NaN where missing: a float64 column's own
/// buffer (C1), the others converted.
fn as_floats(c: &ColumnBody) -> std::borrow::Cow<'_, [f64]> {
    match c.float_values() {
        Some(v) => v.into(),
        None => (0..c.len())
            .map(|i| c.f64_at(i))
            .collect::<Vec<f64>>()
            .into(),
    }
}

/// One aggregation of a column over the groups, in one pass over the rows, computed as
/// pandas' grouped kernels compute it (so the last bits agree): sums and means with Kahan
/// summation, `std` with Welford's method (`ddof=1`).
fn agg_column(
    c: &ColumnBody,
    how: &str,
    group: &[u32],
    groups: usize,
    name: &str,
) -> Fallible<ColumnBody> {
    let numeric_only = |what: &str| -> Fallible<()> {
        if c.dtype().is_numeric() {
            Ok(())
        } else {
            fail(format!(
                "cannot take the {what} of column \"{name}\": its dtype is {}",
                c.dtype().name()
            ))
        }
    };
    let present = |i: usize| !c.is_missing(i);
    let rows = group.iter().enumerate().filter(|(_, &g)| g != u32::MAX);
    Ok(match how {
        "count" => {
            let mut n = vec![0i64; groups];
            for (i, &g) in rows {
                n[g as usize] += present(i) as i64;
            }
            ColumnBody::ints(n)
        }
        "sum" | "mean" if c.dtype() != ColType::Str && (how == "mean" || c.dtype() == ColType::Float) => {
            let v = as_floats(c);
            let (mut sum, mut comp, mut n) = (vec![0.0f64; groups], vec![0.0f64; groups], vec![0i64; groups]);
            for (i, &g) in rows {
                let (x, g) = (v[i], g as usize);
                if x.is_nan() {
                    continue;
                }
                n[g] += 1;
                let y = x - comp[g];
                let t = sum[g] + y;
                comp[g] = t - sum[g] - y;
                if comp[g].is_nan() {
                    comp[g] = 0.0;
                }
                sum[g] = t;
            }
            if how == "sum" {
                ColumnBody::floats(sum)
            } else {
                ColumnBody::floats(sum.iter().zip(&n).map(|(s, &k)| if k == 0 { f64::NAN } else { s / k as f64 }).collect())
            }
        }
        "sum" => {
            numeric_only("sum")?;
            // int64 and bool: an exact integer sum, as pandas'.
            let mut sum = vec![0i64; groups];
            let ints = c.int_values();
            for (i, &g) in rows {
                if present(i) {
                    let x = match ints {
                        Some(v) => v[i],
                        None => c.f64_at(i) as i64,
                    };
                    sum[g as usize] = sum[g as usize].wrapping_add(x);
                }
            }
            ColumnBody::ints(sum)
        }
        "std" => {
            numeric_only("std")?;
            let v = as_floats(c);
            let (mut mean, mut m2, mut n) = (vec![0.0f64; groups], vec![0.0f64; groups], vec![0i64; groups]);
            for (i, &g) in rows {
                let (x, g) = (v[i], g as usize);
                if x.is_nan() {
                    continue;
                }
                n[g] += 1;
                let old = mean[g];
                mean[g] += (x - old) / n[g] as f64;
                m2[g] += (x - mean[g]) * (x - old);
            }
            ColumnBody::floats(
                m2.iter()
                    .zip(&n)
                    .map(|(m, &k)| if k <= 1 { f64::NAN } else { (m / (k - 1) as f64).sqrt() })
                    .collect(),
            )
        }
        "mean" => {
            numeric_only("mean")?;
            unreachable!("a numeric mean is computed above")
        }
        "min" | "max" | "first" | "last" => {
            let mut best: Vec<Option<u32>> = vec![None; groups];
            let strs = c.str_values();
            let v = if strs.is_none() { Some(as_floats(c)) } else { None };
            let better = |i: usize, b: usize| -> bool {
                let o = match (strs, &v) {
                    (Some(s), _) => s.value(i).cmp(s.value(b)),
                    (None, Some(v)) => v[i].partial_cmp(&v[b]).unwrap_or(Ordering::Equal),
                    _ => Ordering::Equal,
                };
                if how == "min" {
                    o == Ordering::Less
                } else {
                    o == Ordering::Greater
                }
            };
            for (i, &g) in rows {
                if !present(i) {
                    continue;
                }
                let slot = &mut best[g as usize];
                match (how, *slot) {
                    (_, None) | ("last", _) => *slot = Some(i as u32),
                    ("first", _) => {}
                    (_, Some(b)) => {
                        if better(i, b as usize) {
                            *slot = Some(i as u32)
                        }
                    }
                }
            }
            take(c, &best)?
        }
        other => {
            return fail(format!(
                "unknown aggregation \"{other}\" for column \"{name}\" (sum, mean, min, max, count, std, first, last)"
            ))
        }
    })
}

/// `g.agg({column: how, …})`: one row per key, in order of first appearance; the key
/// column first, then one column per entry, named after the column it aggregates.
pub(crate) fn agg(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let g = dataset_arg(a, 0)?;
    let spec = match arg(a, 1) {
        Value::Obj(o) if o.kind() == ObjKind::Map => o,
        _ => return fail("internal error: agg takes a map"),
    };
    let body = g.dataset();
    let Some(key) = body.group_keys.first() else {
        return fail("agg needs a group_by first");
    };
    let kc = lookup(body, key)?;
    let (group, first) = groups_of(kc.column());
    let mut parts: Vec<(String, Part)> =
        vec![(key.clone(), Part::New(take_rows(kc.column(), &first)?))];
    for (k, v) in spec.map().iter() {
        let name = match k {
            stark_runtime::MapKey::Str(s) => s.to_string(),
            other => format!("{other:?}"),
        };
        let how = match v {
            Value::Obj(s) if s.kind() == ObjKind::Str => s.as_str(),
            _ => return fail("internal error: agg's values are strings"),
        };
        if name == *key {
            return fail(format!("cannot aggregate the group key \"{key}\""));
        }
        let c = lookup(body, &name)?;
        parts.push((
            name.clone(),
            Part::New(agg_column(c.column(), how, &group, first.len(), &name)?),
        ));
    }
    make(cx, String::new(), first.len(), parts, Vec::new())
}

// ---- join ----

/// `d.join(other, on=key, how="inner"|"left")`: pandas' `merge`. Rows come in the left
/// dataset's order, each with its matches in the right one's order; a left row without a
/// match is left out (inner) or kept with missing values (left). A missing key matches
/// nothing. The right key column is not repeated; other names both sides have get pandas'
/// suffixes `_x` and `_y`.
pub(crate) fn join(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let l = dataset_arg(a, 0)?;
    let r = dataset_arg(a, 1)?;
    let on = str_arg(a, 2)?.as_str().to_string();
    let left_join = match opt_str_arg(a, 3)? {
        None => false,
        Some(s) => match s.as_str() {
            "inner" => false,
            "left" => true,
            other => {
                return fail(format!(
                    "join: how must be \"inner\" or \"left\", found \"{other}\""
                ))
            }
        },
    };
    let (lb, rb) = (l.dataset(), r.dataset());
    let (lk, rk) = (lookup(lb, &on)?, lookup(rb, &on)?);
    let (lc, rc) = (lk.column(), rk.column());
    let numeric = |c: &ColumnBody| matches!(c.dtype(), ColType::Int | ColType::Float);
    if lc.dtype() != rc.dtype() && !(numeric(lc) && numeric(rc)) {
        return fail(format!(
            "cannot join on \"{on}\": it is {} on the left and {} on the right",
            lc.dtype().name(),
            rc.dtype().name()
        ));
    }
    // Ints and floats meet as numbers: keys by their f64 bits when the dtypes differ.
    let mixed = lc.dtype() != rc.dtype();
    fn key(c: &ColumnBody, i: usize, mixed: bool) -> Option<Key<'_>> {
        if mixed {
            if c.is_missing(i) {
                return None;
            }
            let x = c.f64_at(i);
            return Some(Key::Num(if x == 0.0 { 0 } else { x.to_bits() }));
        }
        key_at(c, i)
    }
    let (li, ri) = match (lc.int_values(), rc.int_values()) {
        // The common case, an int64 key on both sides, hashed as it is.
        (Some(l), Some(r)) => pairs(l.len(), r.len(), |i| Some(l[i]), |j| Some(r[j]), left_join),
        _ => pairs(
            lc.len(),
            rc.len(),
            |i| key(lc, i, mixed),
            |j| key(rc, j, mixed),
            left_join,
        ),
    };
    room_for(cx, lb, li.len())?;
    room_for(cx, rb, li.len())?;
    let both = |n: &str| n != on && lb.get(n).is_some() && rb.get(n).is_some();
    let mut parts: Vec<(String, Part)> = Vec::new();
    // Every left row once, in order (a many-to-one join whose keys all match): the left
    // columns are shared as they are.
    let identity = li.len() == lc.len() && li.iter().enumerate().all(|(i, &k)| k as usize == i);
    for (n, c) in &lb.columns {
        let name = if both(n) { format!("{n}_x") } else { n.clone() };
        let part = if identity {
            Part::Share(*c)
        } else {
            Part::New(take_rows(c.column(), &li)?)
        };
        parts.push((name, part));
    }
    // The right columns, gathered in parallel.
    let all_matched: Option<Vec<u32>> = ri.iter().copied().collect();
    let right: Vec<(&String, &ColumnBody)> = rb
        .columns
        .iter()
        .filter(|(n, _)| *n != on)
        .map(|(n, c)| (n, c.column()))
        .collect();
    let taken: Vec<Fallible<ColumnBody>> = right
        .par_iter()
        .map(|(_, c)| match &all_matched {
            Some(rows) => take_rows(c, rows),
            None => take(c, &ri),
        })
        .collect();
    for ((n, _), part) in right.iter().zip(taken) {
        let name = if both(n) {
            format!("{n}_y")
        } else {
            (*n).clone()
        };
        parts.push((name, Part::New(part?)));
    }
    make(cx, String::new(), li.len(), parts, Vec::new())
}

/// The (left row, right row) pairs of a join: each left row in order with the right rows
/// of its key in order (a head per key, then a chain), or with `None` for a left join
/// when it has none.
fn pairs<K: std::hash::Hash + Eq>(
    ln: usize,
    rn: usize,
    lkey: impl Fn(usize) -> Option<K>,
    rkey: impl Fn(usize) -> Option<K>,
    left_join: bool,
) -> (Vec<u32>, Vec<Option<u32>>) {
    let mut heads: hashbrown::HashMap<K, (u32, u32)> = hashbrown::HashMap::new();
    let mut next: Vec<u32> = vec![u32::MAX; rn];
    for j in 0..rn {
        if let Some(k) = rkey(j) {
            match heads.entry(k) {
                hashbrown::hash_map::Entry::Occupied(mut e) => {
                    let (_, tail) = e.get_mut();
                    next[*tail as usize] = j as u32;
                    *tail = j as u32;
                }
                hashbrown::hash_map::Entry::Vacant(e) => {
                    e.insert((j as u32, j as u32));
                }
            }
        }
    }
    let (mut li, mut ri) = (Vec::with_capacity(ln), Vec::with_capacity(ln));
    for i in 0..ln {
        match lkey(i).and_then(|k| heads.get(&k)) {
            Some(&(head, _)) => {
                let mut j = head;
                while j != u32::MAX {
                    li.push(i as u32);
                    ri.push(Some(j));
                    j = next[j as usize];
                }
            }
            None if left_join => {
                li.push(i as u32);
                ri.push(None);
            }
            None => {}
        }
    }
    (li, ri)
}

// ---- describe ----

/// The `q` quantile of sorted `xs`, with NumPy's default linear interpolation.
fn quantile(xs: &[f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let pos = q * (xs.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    // NumPy's `_lerp`: from the nearer end, so the last bit agrees with pandas'.
    let (a, b, t) = (xs[lo], xs[hi], pos - lo as f64);
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// `d.describe()`: pandas' summary of the numeric (int64 and float64) columns: a `stat`
/// column naming count, mean, std, min, 25%, 50%, 75% and max, then one float64 column
/// per numeric column.
pub(crate) fn describe(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let d = dataset_arg(a, 0)?;
    let body = d.dataset();
    const STATS: [&str; 8] = ["count", "mean", "std", "min", "25%", "50%", "75%", "max"];
    let labels: ArrayRef = Arc::new(StringArray::from(STATS.to_vec()));
    let mut parts: Vec<(String, Part)> =
        vec![("stat".to_string(), Part::New(ColumnBody::new(labels)))];
    for (n, c) in &body.columns {
        let c = c.column();
        if !matches!(c.dtype(), ColType::Int | ColType::Float) {
            continue;
        }
        let m = moments(c);
        let mut xs = present(c);
        xs.sort_by(|a, b| a.total_cmp(b));
        let stats = vec![
            m.count as f64,
            m.mean,
            m.std,
            xs.first().copied().unwrap_or(f64::NAN),
            quantile(&xs, 0.25),
            quantile(&xs, 0.5),
            quantile(&xs, 0.75),
            xs.last().copied().unwrap_or(f64::NAN),
        ];
        parts.push((n.clone(), Part::New(ColumnBody::floats(stats))));
    }
    if parts.len() == 1 {
        return fail(format!(
            "describe() needs a numeric column{}, and every column is text or bool",
            origin(body)
        ));
    }
    make(cx, String::new(), STATS.len(), parts, Vec::new())
}
