//! Object layouts: the header every allocation starts with, and the body that follows it.
//!
//! Layouts are computed here with `std::alloc::Layout` (never `Box`/`Rc`), so an arena can
//! later bump-allocate exactly the same shapes.

use crate::value::{MapKey, ObjRef, Value};
use crate::zone::Zone;
use std::alloc::Layout;
use std::cell::Cell;
use std::hash::BuildHasherDefault;
use std::ptr::NonNull;

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

/// Header flag bits.
pub mod flags {
    /// Bits 0–1: the owner kind (M14) of a struct, whose header is its metadata row
    /// (`slab.rs`); other kinds keep their owner in their row.
    pub const OWNER_MASK: u8 = 0b0000_0011;
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
    /// Not the collector's: on an arena object (which the collector never pins, C2), it
    /// says the object may hold counted references to objects outside every arena, which
    /// its arena's close must release (`arena.rs` A3).
    pub const ARENA_OUTWARD: u8 = 1 << 2;
    /// Not the collector's either: the object's allocation was traced (M13), so its resizes
    /// and its free are traced too; an object allocated before tracing began is not.
    pub const TRACED: u8 = 1 << 3;
    /// The bits that keep a released object's header allocated.
    pub const PINS: u8 = IN_ROOTS | IN_SNAPSHOT;
    /// Not the collector's either: a string's text was checked for ASCII (strings are
    /// immutable, so once is enough; `str_extend_unique`, which grows a uniquely owned one
    /// in place, clears it). With `STR_ASCII` the answer was yes, so a code point index is
    /// a byte index (`ObjRef::str_is_ascii`).
    pub const STR_ASCII_KNOWN: u8 = 1 << 4;
    pub const STR_ASCII: u8 = 1 << 5;
}

/// The header at the start of every allocation (16 bytes: object-heavy programs are
/// mostly headers and small structs, so every word here is paid a million times).
#[repr(C)]
pub struct Header {
    pub(crate) strong: Cell<u32>,
    pub(crate) weak: Cell<u32>,
    pub(crate) kind: ObjKind,
    pub(crate) zone: Zone,
    pub(crate) flags: Cell<u8>,
    /// `gc_bits`: the collector's pins on this header.
    pub(crate) gc: Cell<u8>,
    /// Structs: type id (low 16 bits) and field count (high 16 bits); a struct needs no
    /// metadata row, its header is its row (`slab.rs`). Other kinds: the index of their
    /// metadata row (M14).
    pub(crate) slot: Cell<u32>,
}

/// Byte offset of `Header::kind`, where a free slab block keeps `slab::FREE_BLOCK`.
pub(crate) const KIND_OFFSET: usize = std::mem::offset_of!(Header, kind);

/// Most struct types, and fields per struct, a module may have (`Header::slot` halves).
pub const MAX_STRUCT_TYPES: usize = 1 << 16;

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

    /// The `slot` of a struct header.
    #[inline]
    pub(crate) fn struct_slot(type_id: u32, len: u32) -> u32 {
        debug_assert!((type_id as usize) < MAX_STRUCT_TYPES && (len as usize) < MAX_STRUCT_TYPES);
        (type_id & 0xFFFF) | (len << 16)
    }

    /// Struct type id (`module.structs` index); 0 for other kinds.
    #[inline]
    pub(crate) fn type_id(&self) -> u32 {
        if self.kind == ObjKind::Struct {
            self.slot.get() & 0xFFFF
        } else {
            0
        }
    }

    /// Number of inline fields (structs); 0 for other kinds.
    #[inline]
    pub(crate) fn len(&self) -> u32 {
        if self.kind == ObjKind::Struct {
            self.slot.get() >> 16
        } else {
            0
        }
    }

    /// The metadata row of a non-struct object.
    #[inline]
    pub(crate) fn meta(&self) -> u32 {
        debug_assert!(self.kind != ObjKind::Struct);
        self.slot.get()
    }

    /// A struct's owner kind (M14), kept in its flags.
    #[inline]
    pub(crate) fn owner(&self) -> crate::metadata::OwnerKind {
        crate::metadata::OwnerKind::from_bits(self.flags.get() & flags::OWNER_MASK)
    }

    #[inline]
    pub(crate) fn set_owner(&self, owner: crate::metadata::OwnerKind) {
        self.flags
            .set((self.flags.get() & !flags::OWNER_MASK) | owner as u8);
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
    /// The text. A heap string owns it as a `Box<str>` (made raw here, freed by
    /// `heap::release::drop_str_text`), or, when short, keeps it in its own block right
    /// after this struct (`str_is_inline`); an arena string's bytes lie in its arena's
    /// region (A5), which frees them with everything else. `flags::ARENA` says which.
    pub text: NonNull<str>,
}

/// Strings this short keep their text in their own block (`alloc_str_inline`), so that the
/// block stays in the pool's largest size class.
pub(crate) const INLINE_STR_MAX: usize = 96;

/// The block of an inline string of `len` bytes: the `StrObj`, then the text.
#[inline]
pub(crate) fn inline_str_layout(len: usize) -> Layout {
    Layout::from_size_align(
        std::mem::size_of::<StrObj>() + len,
        std::mem::align_of::<StrObj>(),
    )
    .expect("inline string layout")
}

/// Whether a (non-arena) string's text lies in its own block, right after its `StrObj`
/// (`alloc_str_inline`), rather than in a box of its own. The pointer says so: a box never
/// starts inside the object's block.
///
/// # Safety
/// `obj` is a string whose body was initialised (it may be DEAD: the body's pointer is
/// still there).
#[inline]
pub(crate) unsafe fn str_is_inline(obj: ObjRef) -> bool {
    // SAFETY: the caller guarantees a string with an initialised body.
    let text = unsafe { (*(obj.raw() as *const StrObj)).text };
    text.as_ptr() as *const u8 as usize == obj.raw() as usize + std::mem::size_of::<StrObj>()
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

/// Accessors for object bodies. Each relies on I1 (the object is alive) and checks the kind
/// itself (I2): the VM's static types and verifier already guarantee it, so the check is
/// one predictable compare, and a broken guarantee stops the program instead of reading a
/// body of another layout.
impl ObjRef {
    #[inline(always)]
    pub(crate) fn expect_kind(&self, kind: ObjKind) {
        if self.kind() != kind {
            kind_mismatch(kind, self.kind());
        }
    }

    #[inline]
    pub fn as_str(&self) -> &str {
        self.expect_kind(ObjKind::Str);
        // SAFETY: I1 (alive) and I2 (kind Str ⇒ the allocation is a StrObj with an
        // initialised body until the DEAD flag is set; a view is never taken of a dead object).
        // The text pointer is valid for as long as the object: a heap string's box is freed
        // only with its body, an arena string's bytes only with its arena's region (A5).
        unsafe { (*(self.raw() as *const StrObj)).text.as_ref() }
    }

    /// Whether a string's text is all ASCII, so that code point `i` is byte `i`: `s[i]`,
    /// `len(s)` and slices are then O(1) in the length. Checked once and cached in the
    /// header (`gc_bits::STR_ASCII_KNOWN`).
    #[inline]
    pub fn str_is_ascii(&self) -> bool {
        let h = self.header();
        let g = h.gc.get();
        if g & gc_bits::STR_ASCII_KNOWN != 0 {
            return g & gc_bits::STR_ASCII != 0;
        }
        let ascii = self.as_str().is_ascii();
        let bits = gc_bits::STR_ASCII_KNOWN | if ascii { gc_bits::STR_ASCII } else { 0 };
        h.gc.set(g | bits);
        ascii
    }

    /// Records what the caller knows of a new string's text (a piece of an ASCII string
    /// is ASCII), sparing [`ObjRef::str_is_ascii`] its scan.
    #[inline]
    pub fn set_str_ascii(&self, ascii: bool) {
        self.expect_kind(ObjKind::Str);
        let h = self.header();
        let bits = gc_bits::STR_ASCII_KNOWN | if ascii { gc_bits::STR_ASCII } else { 0 };
        h.gc.set((h.gc.get() & !gc_bits::STR_ASCII) | bits);
    }

    #[inline]
    pub fn list(&self) -> &Vec<Value> {
        self.expect_kind(ObjKind::List);
        // SAFETY: I1, I2 (kind List ⇒ ListObj with a live body).
        unsafe { &(*(self.raw() as *const ListObj)).items }
    }

    /// Mutable access to a list body. I5: callers keep this borrow within one operation
    /// and never run STARK code while holding it.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn list_mut(&self) -> &mut Vec<Value> {
        self.expect_kind(ObjKind::List);
        // SAFETY: I1, I2; I5 (no other borrow of this body overlaps this one).
        unsafe { &mut (*(self.raw() as *mut ListObj)).items }
    }

    #[inline]
    pub fn map(&self) -> &MapBody {
        self.expect_kind(ObjKind::Map);
        // SAFETY: I1, I2 (kind Map ⇒ MapObj with a live body).
        unsafe { &(*(self.raw() as *const MapObj)).map }
    }

    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn map_mut(&self) -> &mut MapBody {
        self.expect_kind(ObjKind::Map);
        // SAFETY: I1, I2; I5 (no overlapping borrow).
        unsafe { &mut (*(self.raw() as *mut MapObj)).map }
    }

    /// The target of a `WeakRef` object (possibly dead: check `is_alive`).
    #[inline]
    pub fn weak_target(&self) -> ObjRef {
        self.expect_kind(ObjKind::Weak);
        // SAFETY: I1, I2 (kind Weak ⇒ WeakObj, whose target is written at allocation).
        unsafe { (*(self.raw() as *const WeakObj)).target }
    }

    /// Number of inline fields of a struct object.
    #[inline]
    pub fn field_count(&self) -> usize {
        self.header().len() as usize
    }

    #[inline]
    fn fields_ptr(&self) -> *mut Value {
        // SAFETY: FIELDS_OFFSET lies inside every struct allocation (struct_layout adds it).
        unsafe { self.raw().add(FIELDS_OFFSET) as *mut Value }
    }

    /// The inline fields of a struct object.
    #[inline]
    pub fn fields(&self) -> &[Value] {
        self.expect_kind(ObjKind::Struct);
        // SAFETY: I1, I2 (kind Struct ⇒ `len` initialised Values follow the header).
        unsafe { std::slice::from_raw_parts(self.fields_ptr(), self.field_count()) }
    }

    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub fn fields_mut(&self) -> &mut [Value] {
        self.expect_kind(ObjKind::Struct);
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

    /// Whether the object was carved from an arena (M10).
    #[inline]
    pub fn in_arena(&self) -> bool {
        self.header().has_flag(flags::ARENA)
    }

    #[inline]
    pub fn zone(&self) -> Zone {
        self.header().zone
    }
}

#[cold]
#[inline(never)]
fn kind_mismatch(expected: ObjKind, found: ObjKind) -> ! {
    panic!(
        "internal error: a {} was used as a {}",
        found.name(),
        expected.name()
    )
}
