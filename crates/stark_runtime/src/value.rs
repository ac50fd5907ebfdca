//! The value representation every register, field and list slot holds.

use crate::object::{Header, ObjKind};
use std::ptr::NonNull;

/// One STARK value: 16 bytes, `Copy`. Copying a `Value` never touches a reference count;
/// ownership is tracked by the bytecode (explicit `Incref`/`Decref`, M12), not by Rust.
/// `T?` is represented as either `Value::None` or the `T` value itself.
#[derive(Clone, Copy, Debug)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Obj(ObjRef),
}

impl Value {
    #[inline]
    pub fn is_none(self) -> bool {
        matches!(self, Value::None)
    }

    #[inline]
    pub fn as_obj(self) -> Option<ObjRef> {
        match self {
            Value::Obj(o) => Some(o),
            _ => None,
        }
    }
}

/// A pointer to a heap object's header.
///
/// An `ObjRef` is only created by the [`Heap`](crate::Heap) and, per heap invariant I1
/// (see `heap.rs`), points to an allocation that is still alive (its header is valid)
/// whenever the program can observe it: a register, field or list slot holding it either owns
/// a strong reference or is a view whose source owns one. A `WeakRef` object's target pointer
/// is kept valid by the target's weak count (I4).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObjRef(pub(crate) NonNull<Header>);

impl std::fmt::Debug for ObjRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ObjRef({:?} {:p})", self.kind(), self.0.as_ptr())
    }
}

impl ObjRef {
    #[inline]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: I1 — an ObjRef reachable by the program points to a header that is alive
        // (freed headers are unreachable: the last strong and weak reference are gone).
        unsafe { self.0.as_ref() }
    }

    #[inline]
    pub(crate) fn raw(self) -> *mut u8 {
        self.0.as_ptr() as *mut u8
    }

    #[inline]
    pub fn kind(self) -> ObjKind {
        self.header().kind
    }

    /// The struct type id (`module.structs` index) for `ObjKind::Struct`; 0 otherwise.
    #[inline]
    pub fn type_id(self) -> u32 {
        self.header().type_id()
    }

    #[inline]
    pub fn strong_count(self) -> u32 {
        self.header().strong.get()
    }

    #[inline]
    pub fn weak_count(self) -> u32 {
        self.header().weak.get()
    }

    /// The address, for identity comparisons and memo tables.
    #[inline]
    pub fn addr(self) -> usize {
        self.0.as_ptr() as usize
    }
}

/// A map key. STARK maps are keyed by `Int`, `String` or `Bool` (SPEC §4); a `String` key is
/// copied into the map so that keys own no heap objects and need no refcounting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapKey {
    Int(i64),
    Str(Box<str>),
    Bool(bool),
}

impl MapKey {
    /// Bytes a key owns outside the map's entry table (for memory accounting).
    pub(crate) fn extra_bytes(&self) -> usize {
        match self {
            MapKey::Str(s) => s.len(),
            _ => 0,
        }
    }
}

/// A borrowed map key, for lookups that should not copy a string key's text. It hashes
/// exactly as the equal `MapKey` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapKeyRef<'a> {
    Int(i64),
    Str(&'a str),
    Bool(bool),
}

impl MapKey {
    pub fn as_ref(&self) -> MapKeyRef<'_> {
        match self {
            MapKey::Int(i) => MapKeyRef::Int(*i),
            MapKey::Str(s) => MapKeyRef::Str(s),
            MapKey::Bool(b) => MapKeyRef::Bool(*b),
        }
    }
}

impl MapKeyRef<'_> {
    pub fn to_owned(self) -> MapKey {
        match self {
            MapKeyRef::Int(i) => MapKey::Int(i),
            MapKeyRef::Str(s) => MapKey::Str(s.into()),
            MapKeyRef::Bool(b) => MapKey::Bool(b),
        }
    }
}

impl std::hash::Hash for MapKeyRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            MapKeyRef::Int(i) => {
                state.write_u8(0);
                state.write_i64(*i);
            }
            MapKeyRef::Str(s) => {
                state.write_u8(1);
                s.hash(state);
            }
            MapKeyRef::Bool(b) => {
                state.write_u8(2);
                state.write_u8(*b as u8);
            }
        }
    }
}

impl std::hash::Hash for MapKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_ref().hash(state)
    }
}

impl indexmap::Equivalent<MapKey> for MapKeyRef<'_> {
    fn equivalent(&self, key: &MapKey) -> bool {
        *self == key.as_ref()
    }
}
