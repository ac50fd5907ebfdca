//! Size-class free lists in front of the system allocator.
//!
//! Programs like binary-trees free and reallocate millions of same-sized objects; recycling
//! those blocks directly (one pointer pop) is much cheaper than a `malloc`/`free` pair. Small
//! blocks (up to `MAX_SMALL` bytes) are rounded up to a 16-byte size class and carved, in
//! order, from chunks of `CHUNK` bytes; a freed block goes on its class's intrusive free list
//! (its first word links to the next) and is handed out again by the next allocation of that
//! class. A program that makes a million short strings at once (the lines of a big text)
//! thus costs a few hundred chunk allocations rather than a million `malloc`s, and as many
//! `free`s at its end. The chunks go back to the system with the pool (the heap's end, an
//! actor's): the pool keeps what the program's peak of small objects needed.
//! Memory accounting is unaffected: the heap charges objects, not blocks.
//!
//! # Invariants
//!
//! - **P1 (free lists).** Each list holds only blocks of its class carved from this pool's
//!   chunks, currently unused by any object; a block's first word points to the next block
//!   (or is null).
//! - **P2 (carving).** Every small block the pool hands out lies in one of `chunks`, inside
//!   its class's block grid; `carve[c]..carve_end[c]` is the uncarved rest of class `c`'s
//!   current chunk, which is the last of `class_chunks[c]`. Chunks are freed only when the
//!   pool is dropped, so a small block is never given to the system allocator on its own.
//! - **P3 (walking).** Every carved small block is either free (P1, its kind byte
//!   `FREE_BLOCK`, written by `dealloc_small` beside the link) or holds an object header
//!   (the heap writes one into every block it takes before anything can walk the pool).
//!   So `for_each_header` finds every header in the pool's blocks: that is how the heap
//!   enumerates the short strings, which have no metadata row (`heap/mod.rs` I6).

use crate::header::{Header, FREE_BLOCK, KIND_OFFSET};
use crate::sysalloc::fallible;
use crate::value::ObjRef;
use std::alloc::{alloc, dealloc, Layout};
use std::ptr::{null_mut, NonNull};

const GRANULE: usize = 16;
pub(crate) const MAX_SMALL: usize = 128;
const CLASSES: usize = MAX_SMALL / GRANULE;
/// Bytes per chunk: a multiple of every class's block size (16 to 128), big enough that a
/// chunk allocation is rare, small enough that a program with a few small objects of each
/// class stays small.
const CHUNK: usize = 32 << 10;

fn chunk_layout() -> Layout {
    Layout::from_size_align(CHUNK, GRANULE).expect("chunk layout")
}

pub(crate) struct Pool {
    /// P1.
    free: [*mut u8; CLASSES],
    /// P2: the next block to carve of each class, and the end of its chunk.
    carve: [*mut u8; CLASSES],
    carve_end: [*mut u8; CLASSES],
    /// P2: every chunk, freed with the pool.
    chunks: Vec<*mut u8>,
    /// P2, P3: the chunks of each class, in the order they were carved.
    class_chunks: [Vec<*mut u8>; CLASSES],
}

impl Default for Pool {
    fn default() -> Self {
        Pool {
            free: [null_mut(); CLASSES],
            carve: [null_mut(); CLASSES],
            carve_end: [null_mut(); CLASSES],
            chunks: Vec::new(),
            class_chunks: Default::default(),
        }
    }
}

#[inline]
fn class_of(layout: Layout) -> Option<usize> {
    if layout.size() <= MAX_SMALL && layout.align() <= GRANULE && layout.size() > 0 {
        Some(layout.size().div_ceil(GRANULE) - 1)
    } else {
        None
    }
}

/// Whether a block allocated for `a` also serves `b`: both fall in the same size class
/// (blocks of a class all have the class's size, so `dealloc` with either layout frees it).
#[inline]
pub(crate) fn same_block(a: Layout, b: Layout) -> bool {
    match (class_of(a), class_of(b)) {
        (Some(x), Some(y)) => x == y && a.align() == b.align(),
        _ => false,
    }
}

impl Pool {
    /// A block for `layout` (null if the system allocator refuses).
    #[inline]
    pub(crate) fn alloc(&mut self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            Some(_) => self.alloc_small(layout.size()),
            // SAFETY: callers pass non-zero-sized layouts (every object has a header).
            None => fallible(|| unsafe { alloc(layout) }),
        }
    }

    /// A block of `size` bytes (1 to `MAX_SMALL`), 16-aligned: `alloc` for a layout of that
    /// size with an alignment of at most 16, without the layout's checks (the hot path of
    /// short strings, whose size is all that varies). Null if the system refuses a chunk.
    #[inline(always)]
    pub(crate) fn alloc_small(&mut self, size: usize) -> *mut u8 {
        debug_assert!(size > 0 && size <= MAX_SMALL);
        let c = (size - 1) / GRANULE;
        let head = self.free[c];
        if head.is_null() {
            return self.carve_block(c);
        }
        // SAFETY: P1 — `head` is an unused block of this class whose first word holds the
        // next link (blocks are 16-aligned, so the read is aligned).
        self.free[c] = unsafe { *(head as *mut *mut u8) };
        head
    }

    /// The next uncarved block of class `c`, from a new chunk when the current one is used up.
    #[cold]
    fn carve_block(&mut self, c: usize) -> *mut u8 {
        let size = (c + 1) * GRANULE;
        if self.carve[c] == self.carve_end[c] {
            if fallible(|| {
                self.chunks.try_reserve(1)?;
                self.class_chunks[c].try_reserve(1)
            })
            .is_err()
            {
                return null_mut();
            }
            // SAFETY: the chunk layout has a non-zero size.
            let chunk = fallible(|| unsafe { alloc(chunk_layout()) });
            if chunk.is_null() {
                return null_mut();
            }
            self.chunks.push(chunk);
            self.class_chunks[c].push(chunk);
            // Whole blocks only: CHUNK is a multiple of 16 but not of every class size.
            let blocks = CHUNK / size;
            self.carve[c] = chunk;
            // SAFETY: `blocks * size <= CHUNK`: the end lies inside the chunk or one past it.
            self.carve_end[c] = unsafe { chunk.add(blocks * size) };
        }
        let p = self.carve[c];
        // SAFETY: P2 — `carve[c] < carve_end[c]` and the distance is a multiple of `size`, so
        // the block `p..p + size` lies in the chunk and the new cursor at most at its end.
        self.carve[c] = unsafe { p.add(size) };
        p
    }

    /// Returns a block obtained from `alloc_small(size)`, or from `alloc` with a layout of
    /// that size.
    ///
    /// # Safety
    /// As for `dealloc`: `ptr` came from this pool with that size and is not used afterwards.
    #[inline(always)]
    pub(crate) unsafe fn dealloc_small(&mut self, ptr: *mut u8, size: usize) {
        debug_assert!(size > 0 && size <= MAX_SMALL);
        let c = (size - 1) / GRANULE;
        // SAFETY: the block is unused from now on (caller) and at least 16 bytes,
        // 16-aligned: it can hold the link word (P1) and, after it, the kind byte (P3).
        unsafe {
            *(ptr as *mut *mut u8) = self.free[c];
            *ptr.add(KIND_OFFSET) = FREE_BLOCK;
        }
        self.free[c] = ptr;
    }

    /// Calls `f` on every header in the pool's small blocks (P3): live objects, and dead
    /// headers kept for weak references or collector pins.
    pub(crate) fn for_each_header(&self, mut f: impl FnMut(ObjRef)) {
        for (c, chunks) in self.class_chunks.iter().enumerate() {
            let size = (c + 1) * GRANULE;
            let n = chunks.len();
            for (i, &chunk) in chunks.iter().enumerate() {
                // P2: the last chunk is carved up to the cursor, the others whole.
                let end = if i + 1 == n {
                    self.carve[c] as usize
                } else {
                    chunk as usize + (CHUNK / size) * size
                };
                let mut p = chunk;
                while (p as usize) < end {
                    // SAFETY: P2 — `p` is a carved block inside the chunk; P3 — its kind
                    // byte is initialised (a header's or FREE_BLOCK), and a block that is not
                    // free starts with a header.
                    unsafe {
                        if *p.add(KIND_OFFSET) != FREE_BLOCK {
                            f(ObjRef(NonNull::new_unchecked(p as *mut Header)));
                        }
                        p = p.add(size);
                    }
                }
            }
        }
    }

    /// Returns a block obtained from `alloc(layout)` with the same `layout`.
    ///
    /// # Safety
    /// `ptr` came from `self.alloc(layout)` and is not used afterwards.
    #[inline]
    pub(crate) unsafe fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        match class_of(layout) {
            // SAFETY: a small block of this size class (the caller's promise).
            Some(_) => unsafe { self.dealloc_small(ptr, layout.size()) },
            // SAFETY: allocated by `alloc(layout)` (caller).
            None => unsafe { dealloc(ptr, layout) },
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for &chunk in &self.chunks {
            // SAFETY: P2 — each chunk was allocated with `chunk_layout()` and is freed once,
            // here; the heap has given back every block in it (or drops with it).
            unsafe { dealloc(chunk, chunk_layout()) };
        }
    }
}
