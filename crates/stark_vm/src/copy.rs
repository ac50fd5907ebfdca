//! `x.copy()`: an independent deep copy (M5). Sharing and cycles inside the original are
//! preserved in the copy (each original object is copied once), and the walk uses a
//! worklist, so a million-node list copies without recursion.

use stark_runtime::{Heap, MapBody, ObjKind, ObjRef, OutOfMemory, Value};
use std::collections::HashMap;

pub fn deep_copy(heap: &mut Heap, v: Value) -> Result<Value, OutOfMemory> {
    let Value::Obj(root) = v else {
        return Ok(v);
    };
    let mut memo: HashMap<ObjRef, ObjRef> = HashMap::new();
    // (original, copy) pairs whose children still have to be copied into the copy.
    let mut work: Vec<(ObjRef, ObjRef)> = Vec::new();
    let copy = copy_shell(heap, root, &mut memo, &mut work)?;
    while let Some((orig, dup)) = work.pop() {
        match orig.kind() {
            ObjKind::Struct => {
                for i in 0..orig.field_count() {
                    let child = link(heap, orig.field(i), &mut memo, &mut work)?;
                    dup.fields_mut()[i] = child;
                }
            }
            ObjKind::List => {
                for i in 0..orig.list().len() {
                    let child = link(heap, orig.list()[i], &mut memo, &mut work)?;
                    dup.list_mut()[i] = child;
                }
            }
            ObjKind::Map => {
                for i in 0..orig.map().len() {
                    let (_, v) = orig.map().get_index(i).expect("index in range");
                    let child = link(heap, *v, &mut memo, &mut work)?;
                    *dup.map_mut().get_index_mut(i).expect("index in range").1 = child;
                }
            }
            ObjKind::Str | ObjKind::Weak => {}
        }
    }
    Ok(Value::Obj(copy))
}

/// The copy of a child value: scalars as they are, objects copied once (a second reference
/// to an already-copied object shares the copy, with one more strong count).
fn link(
    heap: &mut Heap,
    v: Value,
    memo: &mut HashMap<ObjRef, ObjRef>,
    work: &mut Vec<(ObjRef, ObjRef)>,
) -> Result<Value, OutOfMemory> {
    let Value::Obj(o) = v else {
        return Ok(v);
    };
    if let Some(&dup) = memo.get(&o) {
        heap.incref(Value::Obj(dup));
        return Ok(Value::Obj(dup));
    }
    Ok(Value::Obj(copy_shell(heap, o, memo, work)?))
}

/// Allocates the copy of `o` with its children still `None` (filled in from `work`).
fn copy_shell(
    heap: &mut Heap,
    o: ObjRef,
    memo: &mut HashMap<ObjRef, ObjRef>,
    work: &mut Vec<(ObjRef, ObjRef)>,
) -> Result<ObjRef, OutOfMemory> {
    let dup = match o.kind() {
        ObjKind::Str => heap.alloc_str(o.as_str())?,
        ObjKind::List => heap.alloc_list(vec![Value::None; o.list().len()])?,
        ObjKind::Map => {
            let mut body = MapBody::default();
            body.reserve(o.map().len());
            for k in o.map().keys() {
                body.insert(k.clone(), Value::None);
            }
            heap.alloc_map(body)?
        }
        ObjKind::Struct => heap.alloc_struct(o.type_id(), &vec![Value::None; o.field_count()])?,
        // A copied weak reference points at the same target (it holds no strong edge).
        ObjKind::Weak => heap.alloc_weak(o.weak_target())?,
    };
    memo.insert(o, dup);
    if matches!(o.kind(), ObjKind::Struct | ObjKind::List | ObjKind::Map) {
        work.push((o, dup));
    }
    Ok(dup)
}
