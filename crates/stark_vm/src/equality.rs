//! Structural equality (`Instr::Equal`, `list.contains`): lists element-wise, maps by key
//! regardless of order (as Python dicts), structs field by field.

use stark_runtime::{ObjKind, ObjRef, Value};
use std::collections::HashSet;

/// After this many object pairs, remember visited pairs so that comparing two cyclic
/// structures terminates (a pair seen again is assumed equal: bisimilarity).
const REMEMBER_AFTER: usize = 10_000;

pub fn values_equal(a: Value, b: Value) -> bool {
    // Scalars and identical objects need no worklist.
    match (a, b) {
        (Value::Obj(p), Value::Obj(q)) if p != q => {}
        _ => return scalar_equal(a, b),
    }
    let mut work: Vec<(Value, Value)> = vec![(a, b)];
    let mut steps = 0usize;
    let mut seen: HashSet<(ObjRef, ObjRef)> = HashSet::new();
    while let Some((x, y)) = work.pop() {
        let (Value::Obj(p), Value::Obj(q)) = (x, y) else {
            if !scalar_equal(x, y) {
                return false;
            }
            continue;
        };
        if p == q {
            continue;
        }
        steps += 1;
        if steps > REMEMBER_AFTER && !seen.insert((p, q)) {
            continue;
        }
        if p.kind() != q.kind() {
            return false;
        }
        match p.kind() {
            ObjKind::Str => {
                if p.as_str() != q.as_str() {
                    return false;
                }
            }
            ObjKind::List => {
                let (l, r) = (p.list(), q.list());
                if l.len() != r.len() {
                    return false;
                }
                work.extend(l.iter().copied().zip(r.iter().copied()).rev());
            }
            ObjKind::Map => {
                let (l, r) = (p.map(), q.map());
                if l.len() != r.len() {
                    return false;
                }
                for (k, v) in l.iter() {
                    match r.get(k) {
                        Some(w) => work.push((*v, *w)),
                        None => return false,
                    }
                }
            }
            ObjKind::Struct => {
                if p.type_id() != q.type_id() || p.field_count() != q.field_count() {
                    return false;
                }
                work.extend(
                    p.fields()
                        .iter()
                        .copied()
                        .zip(q.fields().iter().copied())
                        .rev(),
                );
            }
            ObjKind::Weak => {
                if p.weak_target() != q.weak_target() {
                    return false;
                }
            }
            // Same shape and the same values (IEEE: a NaN never equals itself).
            ObjKind::Tensor => {
                if !p.tensor().same_values(q.tensor()) {
                    return false;
                }
            }
            // Datasets and streams are equal only to themselves (`p == q` was handled above).
            ObjKind::Dataset | ObjKind::Column | ObjKind::Stream | ObjKind::Task => return false,
        }
    }
    true
}

fn scalar_equal(a: Value, b: Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Obj(p), Value::Obj(q)) => p == q,
        _ => false,
    }
}

/// Python's ordering of two values of one orderable type (SPEC §5): numbers, Bools,
/// strings by code point, and tuples lexicographically, part by part. `None` when they are
/// unordered (a NaN part), so that every comparison of them is false, as in Python.
pub fn values_order(a: Value, b: Value) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(&y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(&y),
        (Value::Int(x), Value::Float(y)) => (x as f64).partial_cmp(&y),
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(y as f64)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(&y)),
        (Value::Obj(p), Value::Obj(q)) => match (p.kind(), q.kind()) {
            (ObjKind::Str, ObjKind::Str) => Some(p.as_str().cmp(q.as_str())),
            (ObjKind::Struct, ObjKind::Struct) => {
                // Tuples hold only orderable parts (the checker's rule) and nest finitely:
                // a tuple is immutable, so it cannot contain itself.
                let (l, r) = (p.fields(), q.fields());
                for (x, y) in l.iter().zip(r) {
                    match values_order(*x, *y)? {
                        Ordering::Equal => continue,
                        other => return Some(other),
                    }
                }
                Some(l.len().cmp(&r.len()))
            }
            _ => None,
        },
        _ => None,
    }
}
