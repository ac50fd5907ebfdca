//! Sending values between heaps (M1: arguments are moved into an actor, results moved
//! back). A heap's objects never leave its thread: `export` turns the values into a
//! `Graph` of plain Rust data (`Send`, no `ObjRef`, no reference count) and `import`
//! rebuilds them as new objects of the receiving heap.
//!
//! The copy-vs-transfer rule: the sender always gives up its own reference (the caller
//! releases it after `export`). An object reachable only through uniquely owned objects
//! (every count on the path is 1) is *transferred*: nobody else can observe it, so it is
//! rebuilt on the other side and freed here; for a tensor this means its buffer moves
//! without its data being copied. An object that is shared (count above one) stays with its
//! other owners and the receiver gets a copy. Sharing and cycles inside the sent values are
//! preserved (each object is sent once and referenced by index), and the walks use
//! worklists, so a million-node list crosses without recursion.
//!
//! Destructors run once per value, by its last owner: a transferred struct is freed here
//! without its destructor (it lives on, rebuilt, on the other side, which runs it), and a
//! copied struct's copy never runs it (the original, still owned here, does).

use stark_runtime::tensor::DType;
use stark_runtime::tensor_pool::TensorBuf;
use stark_runtime::{Heap, MapBody, MapKey, ObjKind, ObjRef, OutOfMemory, TaskBody, Value};
use stark_runtime::{TensorBody, TensorStore};
use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

/// One value of a graph: a scalar, or a reference to `Graph::nodes[i]`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SVal {
    None,
    Int(i64),
    Float(f64),
    Bool(bool),
    Node(u32),
}

/// One object, as plain data.
pub(crate) enum Node {
    Str(Box<str>),
    List(Vec<SVal>),
    Map(Vec<(MapKey, SVal)>),
    Struct {
        ty: u32,
        fields: Vec<SVal>,
        /// The receiver's object takes over the destructor: the struct was transferred,
        /// not copied (see the module doc).
        owns_destructor: bool,
    },
    /// A tensor's dtype, shape and own contiguous buffer (no heap reference crosses).
    Tensor(DType, Vec<usize>, TensorBuf),
    /// A `Task` handle: the task itself is shared state, counted atomically.
    Task(Arc<dyn Any + Send + Sync>, Box<str>),
}

/// Values on their way to another heap.
pub(crate) struct Graph {
    nodes: Vec<Node>,
    roots: Vec<SVal>,
}

impl Graph {
    /// The first root, if it is a scalar (scalars can be read any number of times).
    pub(crate) fn scalar_root(&self) -> Option<SVal> {
        match self.roots.first() {
            Some(SVal::Node(_)) => None,
            Some(v) => Some(*v),
            None => Some(SVal::None),
        }
    }
}

pub(crate) fn scalar_value(v: SVal) -> Value {
    match v {
        SVal::None | SVal::Node(_) => Value::None,
        SVal::Int(i) => Value::Int(i),
        SVal::Float(f) => Value::Float(f),
        SVal::Bool(b) => Value::Bool(b),
    }
}

/// Reads `values` (references the caller owns and releases afterwards) into a graph.
/// Uniquely owned tensors give up their buffers (see the module doc).
pub(crate) fn export(heap: &mut Heap, values: &[Value]) -> Result<Graph, OutOfMemory> {
    let mut g = Graph {
        nodes: Vec::new(),
        roots: Vec::with_capacity(values.len()),
    };
    let mut memo: HashMap<ObjRef, u32> = HashMap::new();
    // (object, its node, reached only through uniquely owned objects)
    let mut work: Vec<(ObjRef, u32, bool)> = Vec::new();
    for &v in values {
        let root = link(heap, v, true, &mut g, &mut memo, &mut work)?;
        g.roots.push(root);
    }
    // Structs that move: freed here without their destructor, once the graph is whole.
    let mut moved: Vec<ObjRef> = Vec::new();
    while let Some((o, index, unique)) = work.pop() {
        if unique && o.kind() == ObjKind::Struct {
            moved.push(o);
        }
        let children: Vec<Value> = match o.kind() {
            ObjKind::Struct => o.fields().to_vec(),
            ObjKind::List => o.list().clone(),
            ObjKind::Map => o.map().values().copied().collect(),
            _ => Vec::new(),
        };
        let mut sent = Vec::with_capacity(children.len());
        for c in children {
            sent.push(link(heap, c, unique, &mut g, &mut memo, &mut work)?);
        }
        match &mut g.nodes[index as usize] {
            Node::List(items) => *items = sent,
            Node::Struct { fields, .. } => *fields = sent,
            Node::Map(pairs) => {
                for (slot, v) in pairs.iter_mut().zip(sent) {
                    slot.1 = v;
                }
            }
            _ => {}
        }
    }
    for o in moved {
        heap.skip_destructor(o);
    }
    Ok(g)
}

fn link(
    heap: &mut Heap,
    v: Value,
    parent_unique: bool,
    g: &mut Graph,
    memo: &mut HashMap<ObjRef, u32>,
    work: &mut Vec<(ObjRef, u32, bool)>,
) -> Result<SVal, OutOfMemory> {
    let o = match v {
        Value::None => return Ok(SVal::None),
        Value::Int(i) => return Ok(SVal::Int(i)),
        Value::Float(f) => return Ok(SVal::Float(f)),
        Value::Bool(b) => return Ok(SVal::Bool(b)),
        Value::Obj(o) => o,
    };
    if let Some(&i) = memo.get(&o) {
        return Ok(SVal::Node(i));
    }
    let unique = parent_unique && o.strong_count() == 1;
    let node = match o.kind() {
        ObjKind::Str => Node::Str(o.as_str().into()),
        ObjKind::List => Node::List(Vec::new()),
        ObjKind::Map => Node::Map(o.map().keys().map(|k| (k.clone(), SVal::None)).collect()),
        ObjKind::Struct => Node::Struct {
            ty: o.type_id(),
            fields: Vec::new(),
            owns_destructor: unique,
        },
        // A view is sent as a copy of its elements (docs/decisions.md, "Tensors"): its
        // base stays with the sender, and the actor gets an independent tensor.
        ObjKind::Tensor if unique && matches!(o.tensor().store, TensorStore::Own(_)) => {
            let body = heap.take_tensor_body(o);
            match body.store {
                TensorStore::Own(buf) => Node::Tensor(body.dtype, body.shape, buf),
                _ => unreachable!("only a tensor owning its buffer is taken"),
            }
        }
        ObjKind::Tensor => {
            let body = o.tensor();
            let bytes = body.nbytes() as u64;
            let Some(buf) = body.contiguous_copy() else {
                return Err(OutOfMemory {
                    requested: bytes,
                    live: heap.live_bytes(),
                    limit: None,
                    quota: false,
                });
            };
            Node::Tensor(body.dtype, body.shape.clone(), buf)
        }
        ObjKind::Task => Node::Task(o.task().shared.clone(), o.task().name.clone()),
        // The checker refuses to send these (`stark_check::task`); as a fallback the
        // receiver gets `None`.
        ObjKind::Weak | ObjKind::Dataset | ObjKind::Column | ObjKind::Stream => {
            return Ok(SVal::None)
        }
    };
    let index = g.nodes.len() as u32;
    g.nodes.push(node);
    memo.insert(o, index);
    if matches!(o.kind(), ObjKind::Struct | ObjKind::List | ObjKind::Map) {
        work.push((o, index, unique));
    }
    Ok(SVal::Node(index))
}

/// Rebuilds a graph's roots as new objects of `heap`; the caller owns one reference to each.
pub(crate) fn import(heap: &mut Heap, g: Graph) -> Result<Vec<Value>, OutOfMemory> {
    let Graph { nodes, roots } = g;
    // First every object with empty children, then the links: a cycle needs its members
    // to exist before any of them can point at another.
    let mut objs: Vec<ObjRef> = Vec::with_capacity(nodes.len());
    let mut links: Vec<Option<Vec<SVal>>> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let made = match node {
            Node::Str(s) => heap.alloc_str(s).map(|o| (o, None)),
            Node::List(items) => heap
                .alloc_list(vec![Value::None; items.len()])
                .map(|o| (o, Some(items))),
            Node::Map(pairs) => {
                let mut body = MapBody::default();
                body.reserve(pairs.len());
                let mut vals = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    body.insert(k, Value::None);
                    vals.push(v);
                }
                heap.alloc_map(body).map(|o| (o, Some(vals)))
            }
            Node::Struct {
                ty,
                fields,
                owns_destructor,
            } => heap
                .alloc_struct(ty, &vec![Value::None; fields.len()])
                .map(|o| {
                    if !owns_destructor {
                        heap.skip_destructor(o);
                    }
                    (o, Some(fields))
                }),
            Node::Tensor(dtype, shape, buf) => heap
                .alloc_tensor(TensorBody::owned(dtype, shape, buf))
                .map(|o| (o, None)),
            Node::Task(shared, name) => heap
                .alloc_task(TaskBody { shared, name })
                .map(|o| (o, None)),
        };
        match made {
            Ok((o, l)) => {
                objs.push(o);
                links.push(l);
            }
            Err(e) => {
                // The shells made so far hold no children yet: releasing them frees them.
                for o in objs {
                    // SAFETY: each shell's only reference, made above and given up once.
                    unsafe { heap.decref_obj(o) };
                }
                return Err(e);
            }
        }
    }
    // Each object's first reference takes over the count it was allocated with; every
    // further reference adds one.
    let mut used = vec![false; objs.len()];
    let mut value = |heap: &mut Heap, v: SVal| -> Value {
        match v {
            SVal::Node(i) => {
                let o = objs[i as usize];
                if std::mem::replace(&mut used[i as usize], true) {
                    heap.incref(Value::Obj(o));
                }
                Value::Obj(o)
            }
            other => scalar_value(other),
        }
    };
    for (i, l) in links.into_iter().enumerate() {
        let Some(children) = l else { continue };
        let o = objs[i];
        for (slot, c) in children.into_iter().enumerate() {
            let v = value(heap, c);
            // An actor's heap has no arena open while it imports.
            heap.note_stored(v, o);
            let old = heap.set_child(o, slot, v);
            debug_assert!(old.is_none(), "a shell's children start as None");
        }
    }
    Ok(roots.into_iter().map(|r| value(heap, r)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(heap: &mut Heap, values: &[f32]) -> ObjRef {
        let buf = TensorBuf::from_slice(values).expect("buffer");
        heap.alloc_tensor(TensorBody::owned(
            stark_runtime::tensor::DType::F32,
            vec![values.len()],
            buf,
        ))
        .expect("tensor")
    }

    #[test]
    fn a_unique_tensor_moves_its_buffer_and_a_shared_one_is_copied() {
        let mut from = Heap::new(None);
        let mut to = Heap::new(None);
        let unique = tensor(&mut from, &[1.0, 2.0, 3.0]);
        let shared = tensor(&mut from, &[4.0, 5.0]);
        from.incref(Value::Obj(shared));
        let (p_unique, p_shared) = (
            unique.tensor().data().as_ptr(),
            shared.tensor().data().as_ptr(),
        );
        let g = export(&mut from, &[Value::Obj(unique), Value::Obj(shared)]).expect("export");
        // SAFETY: the test's own references (an allocation's each, and the incref's for
        // `shared`, which it keeps); no view of `unique` is used after its release.
        unsafe {
            from.decref(Value::Obj(unique));
            from.decref(Value::Obj(shared));
            from.drain_pending();
        }
        // The shared tensor stays with its other owner; the unique one is gone.
        assert_eq!(from.live_objects(), 1);
        assert_eq!(shared.tensor().data(), &[4.0, 5.0]);
        let got = import(&mut to, g).expect("import");
        let (Value::Obj(a), Value::Obj(b)) = (got[0], got[1]) else {
            panic!("objects")
        };
        assert_eq!(a.tensor().data(), &[1.0, 2.0, 3.0]);
        assert_eq!(
            a.tensor().data().as_ptr(),
            p_unique,
            "moved without copying"
        );
        assert_eq!(b.tensor().data(), &[4.0, 5.0]);
        assert_ne!(b.tensor().data().as_ptr(), p_shared, "copied");
        // SAFETY: the references `import` gave the test, and the one it kept to `shared`.
        unsafe {
            to.decref(got[0]);
            to.decref(got[1]);
            from.decref(Value::Obj(shared));
        }
    }

    #[test]
    fn sharing_and_cycles_survive_the_trip() {
        let mut from = Heap::new(None);
        let mut to = Heap::new(None);
        let s = from.alloc_str("x").expect("str");
        from.incref(Value::Obj(s));
        let list = from
            .alloc_list(vec![Value::Obj(s), Value::Obj(s), Value::Int(3)])
            .expect("list");
        // The list contains itself.
        from.incref(Value::Obj(list));
        from.list_push(list, Value::Obj(list)).expect("push");
        let g = export(&mut from, &[Value::Obj(list)]).expect("export");
        let got = import(&mut to, g).expect("import");
        let Value::Obj(l) = got[0] else {
            panic!("object")
        };
        let items = l.list();
        assert_eq!(items.len(), 4);
        let (Value::Obj(a), Value::Obj(b), Value::Obj(me)) = (items[0], items[1], items[3]) else {
            panic!("objects")
        };
        assert_eq!(a, b);
        assert_eq!(a.strong_count(), 2);
        assert_eq!(me, l);
        assert_eq!(l.strong_count(), 2);
        assert_eq!(to.live_objects(), 2);
    }
}
