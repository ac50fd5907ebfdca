//! The header every allocation starts with: what the object is (`ObjKind`), its counts,
//! its flags and the collector's pins, and the owner kind (M14) a struct keeps in its flags.
//!
//! This is the bottom of the runtime: it names nothing of the crate but zones, so the value
//! representation (`value.rs`), the body layouts (`object.rs`) and the metadata table
//! (`metadata.rs`) can all build on it.

use crate::zone::Zone;
use std::cell::Cell;

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
    /// A dataset's column: an Arrow array (`column.rs`).
    Column = 9,
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
            ObjKind::Column => "Column",
        }
    }
}

/// Header flag bits.
pub mod flags {
    /// Bits 0–1: the owner kind (M14) of a struct or a short string, whose header is its
    /// metadata row (`slab.rs`, `heap/mod.rs` I6); other kinds keep their owner in their row.
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
    /// Carved from an arena (M10, `arena/mod.rs` A1): counts never change, the arena frees it.
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
    /// its arena's close must release (`arena/mod.rs` A3).
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
    /// Not the collector's either: on a `LOCAL` struct (which the collector never sees), its
    /// fields are views, not references: a closure that borrows its captures (SPEC §7).
    /// Releasing it gives none of them up ([`crate::Heap::alloc_struct_local`]).
    pub const VIEWS: u8 = 1 << 6;
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
    /// metadata row, its header is its row (`slab.rs`). Short strings: no row either, their
    /// length in code points once counted (`object::NO_CHAR_LEN` before). Other kinds: the
    /// index of their metadata row (M14).
    pub(crate) slot: Cell<u32>,
}

/// Byte offset of `Header::kind`, where a free slab or pool block keeps `FREE_BLOCK`.
pub(crate) const KIND_OFFSET: usize = std::mem::offset_of!(Header, kind);
/// The kind byte of a free slab or pool block (no `ObjKind` has this value), so that walking
/// the blocks tells the free ones from those holding a header (`slab.rs` S2, `pool.rs` P3).
pub(crate) const FREE_BLOCK: u8 = 0xFF;

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
    pub(crate) fn owner(&self) -> OwnerKind {
        OwnerKind::from_bits(self.flags.get() & flags::OWNER_MASK)
    }

    #[inline]
    pub(crate) fn set_owner(&self, owner: OwnerKind) {
        self.flags
            .set((self.flags.get() & !flags::OWNER_MASK) | owner as u8);
    }
}

/// Who owns an allocation, as far as the runtime knows. Plain heap values are owned by a
/// binding (their owner may later move them into a field; the table is not updated on every
/// move, which would cost a write per store); arena and actor allocations are tagged so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum OwnerKind {
    Binding = 0,
    Field = 1,
    Arena = 2,
    Actor = 3,
}

impl OwnerKind {
    /// The owner kind stored in a struct header's `OWNER_MASK` bits.
    #[inline]
    pub(crate) fn from_bits(bits: u8) -> OwnerKind {
        match bits & 3 {
            0 => OwnerKind::Binding,
            1 => OwnerKind::Field,
            2 => OwnerKind::Arena,
            _ => OwnerKind::Actor,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            OwnerKind::Binding => "binding",
            OwnerKind::Field => "field",
            OwnerKind::Arena => "arena",
            OwnerKind::Actor => "actor",
        }
    }
}
