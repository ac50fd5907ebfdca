//! Object layouts: the body that follows the header (`header.rs`) for each kind, and the
//! accessors that read it.
//!
//! Layouts are computed here with `std::alloc::Layout` (never `Box`/`Rc`), so an arena can
//! later bump-allocate exactly the same shapes.

use crate::header::{flags, gc_bits, Header, ObjKind};
use crate::value::{MapKey, ObjRef, Value};
use crate::zone::Zone;
use std::alloc::Layout;
use std::hash::BuildHasherDefault;
use std::ptr::NonNull;

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

/// `Header::slot` of a short string whose length in code points is not known yet (a short
/// string has no metadata row, so the slot caches that length instead: I6).
pub(crate) const NO_CHAR_LEN: u32 = u32::MAX;

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
        ObjKind::Column => Layout::new::<crate::data::ColumnObj>(),
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
///
/// The mutable ones (`list_mut`, `map_mut`, `fields_mut`, and `tensor_mut`, `stream_mut` in
/// `data.rs`) are `unsafe fn`s: an `ObjRef` is a `Copy` pointer, so the borrow checker cannot
/// see two borrows of one body through two copies of it; their caller promises that none
/// overlaps (I5). The heap's own operations on bodies (`Heap::list_push`, `map_insert`, …,
/// `containers.rs`) are the safe way to change one: they check the kind and the bounds and
/// hold the mutable borrow only inside the call.
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
    /// header (`gc_bits::STR_ASCII_KNOWN`); the cached answer is all a loop over words
    /// asks for, so that part is inlined and the scan is not.
    #[inline(always)]
    pub fn str_is_ascii(&self) -> bool {
        let g = self.header().gc.get();
        if g & gc_bits::STR_ASCII_KNOWN != 0 {
            return g & gc_bits::STR_ASCII != 0;
        }
        self.str_check_ascii()
    }

    #[inline(never)]
    fn str_check_ascii(&self) -> bool {
        let h = self.header();
        let ascii = self.as_str().is_ascii();
        let bits = gc_bits::STR_ASCII_KNOWN | if ascii { gc_bits::STR_ASCII } else { 0 };
        h.gc.set(h.gc.get() | bits);
        ascii
    }

    /// Whether this is a short string: its text in its own pool block, right after the
    /// `StrObj`, and no metadata row (I6). Arena strings, whose text may follow them in the
    /// region too, are not.
    #[inline]
    pub(crate) fn is_short_str(&self) -> bool {
        let h = self.header();
        // SAFETY: a string's body is initialised while it is live and its text pointer is
        // kept after DEAD (I2), which is all `str_is_inline` reads.
        h.kind == ObjKind::Str && !h.has_flag(flags::ARENA) && unsafe { str_is_inline(*self) }
    }

    /// The length of a string in code points, as Python's `len`: its byte length when it is
    /// ASCII; otherwise counted, once for a short string (cached in its `slot`, which has no
    /// row to point at: I6), every time for a long one.
    #[inline(always)]
    pub fn str_char_len(&self) -> usize {
        if self.str_is_ascii() {
            return self.as_str().len();
        }
        self.str_count_chars()
    }

    #[inline(never)]
    fn str_count_chars(&self) -> usize {
        if !self.is_short_str() {
            return self.as_str().chars().count();
        }
        let h = self.header();
        let cached = h.slot.get();
        if cached != NO_CHAR_LEN {
            return cached as usize;
        }
        let n = self.as_str().chars().count();
        // A short string's text is at most `INLINE_STR_MAX` bytes: the count fits.
        h.slot.set(n as u32);
        n
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

    /// Mutable access to a list body.
    ///
    /// # Safety
    /// The object is alive (I1), and for as long as the returned borrow lives nothing else
    /// reads or writes this list's body: no other borrow of it (`list()`, `list_mut()`, a
    /// reference to an element), through any copy of the `ObjRef`, is live or made, no heap
    /// operation on the object runs, and no STARK code runs (I5). The kind is checked (a
    /// mismatch panics), so it is not a precondition.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn list_mut(&self) -> &mut Vec<Value> {
        self.expect_kind(ObjKind::List);
        // SAFETY: I1 and I2 (kind List ⇒ ListObj with a live body), and the caller's promise
        // that no other borrow of this body overlaps this one (I5).
        unsafe { &mut (*(self.raw() as *mut ListObj)).items }
    }

    #[inline]
    pub fn map(&self) -> &MapBody {
        self.expect_kind(ObjKind::Map);
        // SAFETY: I1, I2 (kind Map ⇒ MapObj with a live body).
        unsafe { &(*(self.raw() as *const MapObj)).map }
    }

    /// Mutable access to a map body.
    ///
    /// # Safety
    /// The object is alive (I1), and for as long as the returned borrow lives nothing else
    /// reads or writes this map's body: no other borrow of it (`map()`, `map_mut()`, a
    /// reference to a key or value), through any copy of the `ObjRef`, is live or made, no
    /// heap operation on the object runs, and no STARK code runs (I5). The kind is checked
    /// (a mismatch panics), so it is not a precondition.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn map_mut(&self) -> &mut MapBody {
        self.expect_kind(ObjKind::Map);
        // SAFETY: I1 and I2 (kind Map ⇒ MapObj with a live body), and the caller's promise
        // that no other borrow of this body overlaps this one (I5).
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

    /// Mutable access to a struct's inline fields.
    ///
    /// # Safety
    /// The object is alive (I1), and for as long as the returned borrow lives nothing else
    /// reads or writes this struct's fields: no other borrow of them (`fields()`,
    /// `fields_mut()`), through any copy of the `ObjRef`, is live or made, no heap
    /// operation on the object runs, and no STARK code runs (I5). The kind is checked (a
    /// mismatch panics), so it is not a precondition.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn fields_mut(&self) -> &mut [Value] {
        self.expect_kind(ObjKind::Struct);
        // SAFETY: I1 and I2 (kind Struct ⇒ `len` initialised Values follow the header), and
        // the caller's promise that no other borrow of the fields overlaps this one (I5).
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
