//! Object layouts: the header every allocation starts with, and the body that follows it.
//!
//! Layouts are computed here with `std::alloc::Layout` (never `Box`/`Rc`), so an arena can
//! later bump-allocate exactly the same shapes.

use crate::value::{MapKey, ObjRef, Value};
use crate::zone::Zone;
use std::alloc::Layout;
use std::cell::Cell;
use std::hash::BuildHasherDefault;

/// What an allocation holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ObjKind {
    Str = 0,
    List = 1,
    Map = 2,
    /// A user (or built-in) struct; its fields follow the header inline.
    Struct = 3,
    Weak = 4,
    /// `Tensor`, `Dataset`, `Stream`: a header and one Rust body (`data.rs`).
    Tensor = 5,
    Dataset = 6,
    Stream = 7,
    /// `Task<T>`: a handle to an actor (`actor.rs`); its body holds an `Arc`.
    Task = 8,
}

impl ObjKind {
    /// The type name profiles and traces show for non-struct kinds.
    pub fn name(self) -> &'static str {
        match self {
            ObjKind::Str => "String",
            ObjKind::List => "List",
            ObjKind::Map => "Map",
            ObjKind::Struct => "Struct",
            ObjKind::Weak => "WeakRef",
            ObjKind::Tensor => "Tensor",
            ObjKind::Dataset => "Dataset",
            ObjKind::Stream => "Stream",
            ObjKind::Task => "Task",
        }
    }
}

/// Header flag bits. The colour bits are reserved for the Bacon–Rajan collector (black = in
/// use / free, gray = possible member of garbage cycle, white = member of garbage cycle,
/// purple = possible root of a cycle).
pub mod flags {
    pub const COLOR_MASK: u8 = 0b0000_0011;
    pub const BLACK: u8 = 0;
    pub const GRAY: u8 = 1;
    pub const WHITE: u8 = 2;
    pub const PURPLE: u8 = 3;
    /// A string constant of the program (the VM's constant table owns it for the whole
    /// run). Compiled code stores constants without an `incref`, so releases can outnumber
    /// retains: a count reaching zero is set back to one instead of freeing the object
    /// (checked only on that cold path). [`crate::Heap::release_immortal`] ends it.
    pub const IMMORTAL: u8 = 1 << 2;
    /// Its destructor is running right now: a count reaching zero meanwhile must not queue it
    /// again (the destructor may `clone()` self and drop the clone).
    pub const FINALIZING: u8 = 1 << 3;
    /// Its destructor has run (it never runs twice, even after a resurrection).
    pub const DESTRUCTED: u8 = 1 << 4;
    /// Contents released; only the header allocation remains, kept for weak references.
    pub const DEAD: u8 = 1 << 5;
    /// A struct escape analysis proved local to its function (M9): refcounted and released
    /// as usual, but not a heap allocation to the program (no metadata row, no counters).
    pub const LOCAL: u8 = 1 << 6;
    /// Carved from an arena (M10, `arena.rs` A1): counts never change, the arena frees it.
    pub const ARENA: u8 = 1 << 7;
}

/// Bits of `Header::gc`: pointers the cycle collector keeps to the object (`collector`
/// module, C2). While any is set, a released object's header is not deallocated.
pub mod gc_bits {
    /// In the buffer of possible cycle roots (Bacon–Rajan's purple set).
    pub const IN_ROOTS: u8 = 1 << 0;
    /// Part of a snapshot the collector thread is working on.
    pub const IN_SNAPSHOT: u8 = 1 << 1;
}

/// The header at the start of every allocation (24 bytes).
#[repr(C)]
pub struct Header {
    pub(crate) strong: Cell<u32>,
    pub(crate) weak: Cell<u32>,
    pub(crate) kind: ObjKind,
    pub(crate) zone: Zone,
    pub(crate) flags: Cell<u8>,
    /// `gc_bits`: the collector's pins on this header.
    pub(crate) gc: Cell<u8>,
    /// Struct type id (`module.structs` index); 0 for other kinds.
    pub(crate) type_id: u32,
    /// Index of this allocation's row in the metadata table (M14).
    pub(crate) meta: Cell<u32>,
    /// Number of inline fields (structs); 0 for other kinds.
    pub(crate) len: u32,
}

impl Header {
    #[inline]
    pub(crate) fn has_flag(&self, flag: u8) -> bool {
        self.flags.get() & flag != 0
    }

    #[inline]
    pub(crate) fn set_flag(&self, flag: u8) {
        self.flags.set(self.flags.get() | flag);
    }

    #[inline]
    pub(crate) fn clear_flag(&self, flag: u8) {
        self.flags.set(self.flags.get() & !flag);
    }

    // The colour accessors are for the Bacon–Rajan root buffer (background collector).
    #[inline]
    #[allow(dead_code)]
    pub(crate) fn color(&self) -> u8 {
        self.flags.get() & flags::COLOR_MASK
    }

    #[inline]
    #[allow(dead_code)]
    pub(crate) fn set_color(&self, color: u8) {
        self.flags
            .set((self.flags.get() & !flags::COLOR_MASK) | color);
    }
}

/// A small, fast hasher (FxHash) for map keys: STARK maps are not exposed to hostile input
/// the way a web server's are, and SipHash would dominate map-heavy benchmarks.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.hash = (self.hash.rotate_left(5) ^ i).wrapping_mul(FX_SEED);
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

pub type MapBody = indexmap::IndexMap<MapKey, Value, BuildHasherDefault<FxHasher>>;

/// Allocation shapes for the kinds with a fixed-size body.
#[repr(C)]
pub(crate) struct StrObj {
    pub header: Header,
    pub text: Box<str>,
}

#[repr(C)]
pub(crate) struct ListObj {
    pub header: Header,
    pub items: Vec<Value>,
}

#[repr(C)]
pub(crate) struct MapObj {
    pub header: Header,
    pub map: MapBody,
}

#[repr(C)]
pub(crate) struct WeakObj {
    pub header: Header,
    pub target: ObjRef,
}

/// Byte offset of a struct's first inline field.
pub(crate) const FIELDS_OFFSET: usize = {
    let h = std::mem::size_of::<Header>();
    let a = std::mem::align_of::<Value>();
    h.div_ceil(a) * a
};

/// The layout of an allocation of `kind` with `len` inline fields.
pub(crate) fn layout_of(kind: ObjKind, len: u32) -> Layout {
    match kind {
        ObjKind::Str => Layout::new::<StrObj>(),
        ObjKind::List => Layout::new::<ListObj>(),
        ObjKind::Map => Layout::new::<MapObj>(),
        ObjKind::Weak => Layout::new::<WeakObj>(),
        ObjKind::Struct => struct_layout(len),
        ObjKind::Tensor => Layout::new::<crate::data::TensorObj>(),
        ObjKind::Dataset => Layout::new::<crate::data::DatasetObj>(),
        ObjKind::Stream => Layout::new::<crate::data::StreamObj>(),
        ObjKind::Task => Layout::new::<crate::actor::TaskObj>(),
    }
}

pub(crate) fn struct_layout(len: u32) -> Layout {
    let size = FIELDS_OFFSET + len as usize * std::mem::size_of::<Value>();
    let align = std::mem::align_of::<Header>().max(std::mem::align_of::<Value>());
    // A struct has at most u16::MAX fields (`Instr::NewStruct::argc`), so the size is far
    // below isize::MAX and the layout is always valid.
    Layout::from_size_align(size, align).expect("struct layout")
}

/// Accessors for object bodies. Each relies on I1 (the object is alive) and on the kind check
/// the caller performed (the VM's static types guarantee it; debug builds assert it).
impl ObjRef {
    #[inline]
    pub fn as_str(&self) -> &str {
        debug_assert_eq!(self.kind(), ObjKind::Str);
        // SAFETY: I1 (alive) and I2 (kind Str ⇒ the allocation is a StrObj with an
        // initialised body until the DEAD flag is set; a view is never taken of a dead object).
        unsafe { &(*(self.raw() as *const StrObj)).text }
    }

    #[inline]
    pub fn list(&self) -> &Vec<Value> {
        debug_assert_eq!(self.kind(), ObjKind::List);
        // SAFETY: I1, I2 (kind List ⇒ ListObj with a live body).
        unsafe { &(*(self.raw() as *const ListObj)).items }
    }

    /// Mutable access to a list body. I5: callers keep this borrow within one operation
    /// and never run STARK code while holding it.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn list_mut(&self) -> &mut Vec<Value> {
        debug_assert_eq!(self.kind(), ObjKind::List);
        // SAFETY: I1, I2; I5 (no other borrow of this body overlaps this one).
        unsafe { &mut (*(self.raw() as *mut ListObj)).items }
    }

    #[inline]
    pub fn map(&self) -> &MapBody {
        debug_assert_eq!(self.kind(), ObjKind::Map);
        // SAFETY: I1, I2 (kind Map ⇒ MapObj with a live body).
        unsafe { &(*(self.raw() as *const MapObj)).map }
    }

    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn map_mut(&self) -> &mut MapBody {
        debug_assert_eq!(self.kind(), ObjKind::Map);
        // SAFETY: I1, I2; I5 (no overlapping borrow).
        unsafe { &mut (*(self.raw() as *mut MapObj)).map }
    }

    /// The target of a `WeakRef` object (possibly dead: check `is_alive`).
    #[inline]
    pub fn weak_target(&self) -> ObjRef {
        debug_assert_eq!(self.kind(), ObjKind::Weak);
        // SAFETY: I1, I2 (kind Weak ⇒ WeakObj, whose target is written at allocation).
        unsafe { (*(self.raw() as *const WeakObj)).target }
    }

    /// Number of inline fields of a struct object.
    #[inline]
    pub fn field_count(&self) -> usize {
        self.header().len as usize
    }

    #[inline]
    fn fields_ptr(&self) -> *mut Value {
        // SAFETY: FIELDS_OFFSET lies inside every struct allocation (struct_layout adds it).
        unsafe { self.raw().add(FIELDS_OFFSET) as *mut Value }
    }

    /// The inline fields of a struct object.
    #[inline]
    pub fn fields(&self) -> &[Value] {
        debug_assert_eq!(self.kind(), ObjKind::Struct);
        // SAFETY: I1, I2 (kind Struct ⇒ `len` initialised Values follow the header).
        unsafe { std::slice::from_raw_parts(self.fields_ptr(), self.field_count()) }
    }

    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn fields_mut(&self) -> &mut [Value] {
        debug_assert_eq!(self.kind(), ObjKind::Struct);
        // SAFETY: I1, I2; I5 (no overlapping borrow).
        unsafe { std::slice::from_raw_parts_mut(self.fields_ptr(), self.field_count()) }
    }

    /// Field `i` of a struct (bounds-checked).
    #[inline]
    pub fn field(&self, i: usize) -> Value {
        self.fields()[i]
    }

    /// True while the object's strong count is above zero and its contents exist.
    #[inline]
    pub fn is_alive(&self) -> bool {
        let h = self.header();
        h.strong.get() > 0 && !h.has_flag(flags::DEAD)
    }

    #[inline]
    pub fn zone(&self) -> Zone {
        self.header().zone
    }
}
