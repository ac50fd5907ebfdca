//! Struct slabs: the storage of every heap struct, and the struct half of the metadata
//! table (M14).
//!
//! A struct is fixed-size and its header already says everything a metadata row would:
//! zone, owner kind (flag bits), type id, and — from its field count — its size. So structs
//! get no row; the table's struct rows *are* their headers, and walking the slabs
//! enumerates them. That saves a row and a `malloc` block header per struct: a binary-trees
//! node is 48 bytes in all, where a CPython object with two slots is 48 plus its GC header.
//!
//! # Invariants
//!
//! - **S1 (carving).** Class `len` (a struct with `len` fields, `len <= MAX_SLAB_FIELDS`)
//!   carves blocks of `struct_layout(len).size()` bytes, in order, from chunks of `CHUNK`
//!   bytes; every chunk but the last is carved full, the last up to `carved` blocks.
//! - **S2 (block state).** A carved block either holds a struct header (a live struct, a
//!   `LOCAL` one, or a `DEAD` one kept for weak references or collector pins) or is free: on
//!   its class's free list, its first word the next link and its kind byte `FREE_BLOCK`.
//! - **S3 (big structs).** Structs with more fields are allocated one by one from the
//!   system allocator and listed in `big` until deallocated.

use crate::header::{Header, FREE_BLOCK, KIND_OFFSET};
use crate::object::struct_layout;
use crate::sysalloc::fallible;
use crate::value::ObjRef;
use std::alloc::{alloc, dealloc, Layout};
use std::collections::HashSet;
use std::ptr::{null_mut, NonNull};

/// Bytes per chunk: big enough that chunk bookkeeping is negligible, small enough that a
/// program with a few structs of many shapes stays small.
const CHUNK: usize = 64 << 10;
/// Structs with more fields than this are allocated one by one (S3).
pub(crate) const MAX_SLAB_FIELDS: u32 = 30;

fn chunk_layout() -> Layout {
    Layout::from_size_align(CHUNK, 16).expect("chunk layout")
}

struct Class {
    /// Block size in bytes.
    size: usize,
    chunks: Vec<NonNull<u8>>,
    /// Blocks carved from the last chunk (S1).
    carved: usize,
    /// Head of the free list (S2), or null.
    free: *mut u8,
}

impl Class {
    fn per_chunk(&self) -> usize {
        CHUNK / self.size
    }
}

#[derive(Default)]
pub(crate) struct Slabs {
    /// Indexed by field count; created on first use.
    classes: Vec<Option<Class>>,
    big: HashSet<usize>,
}

impl Slabs {
    /// A block for a struct of `len` fields, or null if the system allocator refuses.
    #[inline]
    pub(crate) fn alloc(&mut self, len: u32) -> *mut u8 {
        if len > MAX_SLAB_FIELDS {
            return self.alloc_big(len);
        }
        let i = len as usize;
        if let Some(Some(class)) = self.classes.get_mut(i) {
            if !class.free.is_null() {
                let head = class.free;
                // SAFETY: S2 — `head` is a free block of this class; its first word (aligned:
                // blocks are 16-aligned) holds the next link.
                class.free = unsafe { *(head as *mut *mut u8) };
                return head;
            }
            if class.carved < class.per_chunk() {
                if let Some(last) = class.chunks.last() {
                    // SAFETY: S1 — block `carved` of the last chunk lies inside it.
                    let p = unsafe { last.as_ptr().add(class.carved * class.size) };
                    class.carved += 1;
                    return p;
                }
            }
        }
        self.alloc_slow(len)
    }

    #[cold]
    fn alloc_slow(&mut self, len: u32) -> *mut u8 {
        let i = len as usize;
        if self.classes.len() <= i {
            self.classes.resize_with(i + 1, || None);
        }
        let class = self.classes[i].get_or_insert_with(|| Class {
            size: struct_layout(len).size(),
            chunks: Vec::new(),
            carved: 0,
            free: null_mut(),
        });
        // SAFETY: the chunk layout has a non-zero size.
        let Some(chunk) = NonNull::new(fallible(|| unsafe { alloc(chunk_layout()) })) else {
            return null_mut();
        };
        class.chunks.push(chunk);
        class.carved = 1;
        chunk.as_ptr()
    }

    #[cold]
    fn alloc_big(&mut self, len: u32) -> *mut u8 {
        // SAFETY: struct layouts have a non-zero size (a header at least).
        let p = fallible(|| unsafe { alloc(struct_layout(len)) });
        if !p.is_null() {
            self.big.insert(p as usize);
        }
        p
    }

    /// Returns a struct's block.
    ///
    /// # Safety
    /// `ptr` came from `self.alloc(len)`, is not on a free list, and is not used afterwards.
    #[inline]
    pub(crate) unsafe fn dealloc(&mut self, ptr: *mut u8, len: u32) {
        if len > MAX_SLAB_FIELDS {
            self.big.remove(&(ptr as usize));
            // SAFETY: S3 — allocated by `alloc_big` with this layout.
            unsafe { dealloc(ptr, struct_layout(len)) };
            return;
        }
        let Some(Some(class)) = self.classes.get_mut(len as usize) else {
            unreachable!("struct block of a class never allocated");
        };
        // SAFETY: the block is at least 16 bytes and 16-aligned (S1): the link fits in its
        // first word and the kind byte lies inside it; S2 holds afterwards.
        unsafe {
            *(ptr as *mut *mut u8) = class.free;
            *ptr.add(KIND_OFFSET) = FREE_BLOCK;
        }
        class.free = ptr;
    }

    /// Calls `f` on every block holding a struct header (live, `LOCAL` or `DEAD`: S2).
    pub(crate) fn for_each(&self, mut f: impl FnMut(ObjRef)) {
        for class in self.classes.iter().flatten() {
            let n = class.chunks.len();
            for (c, chunk) in class.chunks.iter().enumerate() {
                let blocks = if c + 1 == n {
                    class.carved
                } else {
                    class.per_chunk()
                };
                for b in 0..blocks {
                    // SAFETY: S1 — carved blocks lie inside the chunk; S2 — the kind byte
                    // of a carved block is initialised (a header's or FREE_BLOCK).
                    unsafe {
                        let p = chunk.as_ptr().add(b * class.size);
                        if *p.add(KIND_OFFSET) != FREE_BLOCK {
                            f(ObjRef(NonNull::new_unchecked(p as *mut Header)));
                        }
                    }
                }
            }
        }
        for &p in &self.big {
            // SAFETY: S3 — a listed address is a live allocation holding a struct header.
            f(ObjRef(unsafe { NonNull::new_unchecked(p as *mut Header) }));
        }
    }
}

impl Drop for Slabs {
    /// Frees every chunk and big struct; the heap has dropped what bodies needed dropping
    /// (struct fields are plain `Value`s, with no Rust destructor).
    fn drop(&mut self) {
        for class in self.classes.iter().flatten() {
            for chunk in &class.chunks {
                // SAFETY: allocated by `alloc_slow` with `chunk_layout()`, freed once here.
                unsafe { dealloc(chunk.as_ptr(), chunk_layout()) };
            }
        }
        for &p in &self.big {
            // SAFETY: S3 — allocated by `alloc_big`; its header gives the layout.
            unsafe {
                let len = (*(p as *const Header)).len();
                dealloc(p as *mut u8, struct_layout(len));
            }
        }
    }
}
