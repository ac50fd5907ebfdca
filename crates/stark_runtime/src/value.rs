//! The value representation every register, field and list slot holds.

use crate::header::{Header, ObjKind};
use std::ptr::NonNull;

/// One STARK value: 16 bytes, `Copy`. `repr(u64)` puts the tag in the first eight bytes and
/// every payload in the last eight, so a copy is two aligned words rather than an unaligned
/// 15-byte payload (which made LLVM spill through overlapping stack stores: a
/// store-forwarding stall on every `unwrap`). Copying a `Value` never touches a reference count;
/// ownership is tracked by the bytecode (explicit `Incref`/`Decref`, M12), not by Rust.
/// `T?` is represented as either `Value::None` or the `T` value itself.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Obj(ObjRef),
}

impl Value {
    /// Copies `*src` to `*dst` as two 8-byte words. Registers are mostly written a word at a
    /// time (tag, then payload), and a 16-byte load of such a slot cannot be forwarded from
    /// the two pending stores, which stalls the pipeline; the interpreter's `copy` and `move`
    /// use this so each half forwards from its own store.
    ///
    /// # Safety
    /// `src` must point to a live `Value` and `dst` be valid for writing one (both aligned);
    /// they may be the same slot.
    #[inline(always)]
    pub unsafe fn copy_words(dst: *mut Value, src: *const Value) {
        use std::mem::MaybeUninit;
        let s = src as *const MaybeUninit<u64>;
        let d = dst as *mut MaybeUninit<u64>;
        // SAFETY: the caller passes pointers to live, aligned `Value`s (see above); a `Value`
        // is exactly two 8-byte words (`repr(u64)`, checked by a test), and `MaybeUninit`
        // carries a payload's uninitialised padding bytes across unchanged. Volatile keeps
        // LLVM from fusing the two loads back into one 16-byte load.
        unsafe {
            let tag = std::ptr::read_volatile(s);
            let payload = std::ptr::read_volatile(s.add(1));
            d.write(tag);
            d.add(1).write(payload);
        }
    }

    /// `*src`, read as two 8-byte words (see [`Value::copy_words`]).
    ///
    /// # Safety
    /// `src` must point to a live, aligned `Value`.
    #[inline(always)]
    pub unsafe fn read_words(src: *const Value) -> Value {
        let mut out = std::mem::MaybeUninit::<Value>::uninit();
        // SAFETY: `out` is a local slot for one `Value`; `src` is live (the caller's promise).
        // Afterwards all 16 bytes of a valid `Value` are in `out`.
        unsafe {
            Value::copy_words(out.as_mut_ptr(), src);
            out.assume_init()
        }
    }

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
/// (see `heap/mod.rs`), points to an allocation that is still alive (its header is valid)
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

/// A map key. STARK maps are keyed by `Int`, `String`, `Bool` (SPEC §4) and tuples of them
/// (SPEC §5); a `String` key is copied into the map, and a tuple key into its parts, so
/// that keys own no heap objects and need no refcounting.
#[derive(Clone, Debug, Eq)]
pub enum MapKey {
    Int(i64),
    Str(Box<str>),
    Bool(bool),
    Tuple(Box<[MapKey]>),
}

impl MapKey {
    /// Bytes a key owns outside the map's entry table (for memory accounting).
    pub(crate) fn extra_bytes(&self) -> usize {
        match self {
            MapKey::Str(s) => s.len(),
            MapKey::Tuple(parts) => {
                parts.len() * std::mem::size_of::<MapKey>()
                    + parts.iter().map(MapKey::extra_bytes).sum::<usize>()
            }
            _ => 0,
        }
    }
}

/// A borrowed map key, for lookups that should not copy a key: a string's text in place, a
/// tuple object's parts in place. It hashes and compares exactly as the equal `MapKey` does.
#[derive(Clone, Copy, Debug)]
pub enum MapKeyRef<'a> {
    Int(i64),
    Str(&'a str),
    Bool(bool),
    /// A tuple key's copied parts.
    Parts(&'a [MapKey]),
    /// A tuple object whose parts are keys themselves (the checker's rule for key types).
    Tuple(ObjRef),
}

impl MapKey {
    pub fn as_ref(&self) -> MapKeyRef<'_> {
        match self {
            MapKey::Int(i) => MapKeyRef::Int(*i),
            MapKey::Str(s) => MapKeyRef::Str(s),
            MapKey::Bool(b) => MapKeyRef::Bool(*b),
            MapKey::Tuple(parts) => MapKeyRef::Parts(parts),
        }
    }
}

/// The key a tuple object's part stands for: a scalar, or the string or tuple object
/// itself (compared through [`Norm`]).
fn part_key<'a>(v: Value) -> Option<MapKeyRef<'a>> {
    match v {
        Value::Int(i) => Some(MapKeyRef::Int(i)),
        Value::Bool(b) => Some(MapKeyRef::Bool(b)),
        Value::Obj(o) if matches!(o.kind(), ObjKind::Str | ObjKind::Struct) => {
            Some(MapKeyRef::Tuple(o))
        }
        _ => None,
    }
}

/// What a key is, whichever way it is held.
enum Norm<'b> {
    Int(i64),
    Str(&'b str),
    Bool(bool),
    Tuple(usize),
}

impl<'a> MapKeyRef<'a> {
    fn norm(&self) -> Norm<'_> {
        match self {
            MapKeyRef::Int(i) => Norm::Int(*i),
            MapKeyRef::Str(s) => Norm::Str(s),
            MapKeyRef::Bool(b) => Norm::Bool(*b),
            MapKeyRef::Parts(p) => Norm::Tuple(p.len()),
            MapKeyRef::Tuple(o) if o.kind() == ObjKind::Str => Norm::Str(o.as_str()),
            MapKeyRef::Tuple(o) => Norm::Tuple(o.fields().len()),
        }
    }

    /// Part `i` of a tuple key.
    fn part(&self, i: usize) -> Option<MapKeyRef<'a>> {
        match self {
            MapKeyRef::Parts(p) => p.get(i).map(MapKey::as_ref),
            MapKeyRef::Tuple(o) => part_key(*o.fields().get(i)?),
            _ => None,
        }
    }

    pub fn to_owned(self) -> MapKey {
        match self.norm() {
            Norm::Int(i) => MapKey::Int(i),
            Norm::Str(s) => MapKey::Str(s.into()),
            Norm::Bool(b) => MapKey::Bool(b),
            Norm::Tuple(n) => MapKey::Tuple(
                (0..n)
                    .filter_map(|i| self.part(i).map(MapKeyRef::to_owned))
                    .collect(),
            ),
        }
    }
}

impl PartialEq for MapKeyRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self.norm(), other.norm()) {
            (Norm::Int(a), Norm::Int(b)) => a == b,
            (Norm::Str(a), Norm::Str(b)) => a == b,
            (Norm::Bool(a), Norm::Bool(b)) => a == b,
            (Norm::Tuple(n), Norm::Tuple(m)) => {
                n == m && (0..n).all(|i| self.part(i) == other.part(i))
            }
            _ => false,
        }
    }
}

impl Eq for MapKeyRef<'_> {}

impl std::hash::Hash for MapKeyRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self.norm() {
            Norm::Int(i) => {
                state.write_u8(0);
                state.write_i64(i);
            }
            Norm::Str(s) => {
                state.write_u8(1);
                s.hash(state);
            }
            Norm::Bool(b) => {
                state.write_u8(2);
                state.write_u8(b as u8);
            }
            Norm::Tuple(n) => {
                state.write_u8(3);
                state.write_usize(n);
                for i in 0..n {
                    if let Some(p) = self.part(i) {
                        p.hash(state);
                    }
                }
            }
        }
    }
}

impl PartialEq for MapKey {
    // Out of line on purpose: inlined into hashbrown's probe loop, the derived comparison
    // let LLVM hoist a test of a string key's length above the variant check, so an `Int`
    // key's unused second word was branched on (harmless, but valgrind reports it as a use
    // of uninitialised memory and the memcheck sweep must stay clean). A probe compares keys
    // only when their 7-bit tags match, so the call costs little.
    #[inline(never)]
    fn eq(&self, other: &Self) -> bool {
        self.as_ref() == other.as_ref()
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
