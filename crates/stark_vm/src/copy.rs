//! `x.copy()`: an independent deep copy (M5). Sharing and cycles inside the original are
//! preserved in the copy (each original object is copied once), and the walk uses a
//! worklist, so a million-node list copies without recursion.

use stark_runtime::TensorBody;
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
                    heap.note_arena_store(child, dup);
                    heap.set_child(dup, i, child);
                }
            }
            ObjKind::List => {
                for i in 0..orig.list().len() {
                    let child = link(heap, orig.list()[i], &mut memo, &mut work)?;
                    heap.note_arena_store(child, dup);
                    heap.set_child(dup, i, child);
                }
            }
            ObjKind::Map => {
                for i in 0..orig.map().len() {
                    let (_, v) = orig.map().get_index(i).expect("index in range");
                    let child = link(heap, *v, &mut memo, &mut work)?;
                    heap.note_arena_store(child, dup);
                    heap.set_child(dup, i, child);
                }
            }
            ObjKind::Str
            | ObjKind::Weak
            | ObjKind::Tensor
            | ObjKind::Dataset
            | ObjKind::Column
            | ObjKind::Stream
            | ObjKind::Task => {}
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
        ObjKind::Tensor => copy_tensor(heap, o)?,
        // An open file cannot be duplicated (the checker rejects `copy` on a Stream); a
        // stream inside a copied structure is shared.
        // A task is one actor: a copied handle shares it. Datasets and columns are
        // immutable (SPEC §9): a copy could not be told from the original, so it is the
        // original, shared.
        ObjKind::Stream | ObjKind::Task | ObjKind::Dataset | ObjKind::Column => {
            heap.incref(Value::Obj(o));
            o
        }
    };
    memo.insert(o, dup);
    if matches!(o.kind(), ObjKind::Struct | ObjKind::List | ObjKind::Map) {
        work.push((o, dup));
    }
    Ok(dup)
}

/// A tensor with its own copy of `t`'s buffer.
fn copy_tensor(heap: &mut Heap, t: ObjRef) -> Result<ObjRef, OutOfMemory> {
    let body = t.tensor();
    let bytes = body.nbytes() as u64;
    // Before the copy is made, not only when it is charged (see natives::tensor::room).
    heap.check_room(bytes)?;
    let Some(buf) = body.contiguous_copy() else {
        return Err(OutOfMemory {
            requested: bytes,
            live: heap.live_bytes(),
            limit: None,
            quota: false,
        });
    };
    heap.alloc_tensor(TensorBody::owned(body.dtype, body.shape.clone(), buf))
}
