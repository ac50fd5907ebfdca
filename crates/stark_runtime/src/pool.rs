//! Size-class free lists in front of the system allocator.
//!
//! Programs like binary-trees free and reallocate millions of same-sized objects; recycling
//! those blocks directly (one pointer pop) is much cheaper than a `malloc`/`free` pair. Small
//! blocks (up to `MAX_SMALL` bytes) are rounded up to a 16-byte size class; a freed block goes
//! on its class's intrusive free list (its first word links to the next), up to
//! `MAX_CACHED_BYTES` in all, and is handed out again by the next allocation of that class.
//! Memory accounting is unaffected: the heap charges objects, not blocks.

use crate::sysalloc::fallible;
use std::alloc::{alloc, dealloc, Layout};
use std::ptr::null_mut;

const GRANULE: usize = 16;
const MAX_SMALL: usize = 128;
const CLASSES: usize = MAX_SMALL / GRANULE;
/// Cached free blocks across all classes stay below this many bytes.
const MAX_CACHED_BYTES: usize = 16 << 20;

pub(crate) struct Pool {
    /// P1: each list holds only blocks allocated with `class_layout(class)`, currently unused
    /// by any object; a block's first word points to the next block (or is null).
    free: [*mut u8; CLASSES],
    cached_bytes: usize,
}

impl Default for Pool {
    fn default() -> Self {
        Pool {
            free: [null_mut(); CLASSES],
            cached_bytes: 0,
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

#[inline]
fn class_layout(class: usize) -> Layout {
    // Sizes 16..=128 with alignment 16 are always valid layouts.
    Layout::from_size_align((class + 1) * GRANULE, GRANULE).expect("size class layout")
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
            Some(c) => {
                let head = self.free[c];
                if !head.is_null() {
                    // SAFETY: P1 — `head` is an unused block of this class whose first word
                    // holds the next link (blocks are 16-aligned, so the read is aligned).
                    self.free[c] = unsafe { *(head as *mut *mut u8) };
                    self.cached_bytes -= class_layout(c).size();
                    head
                } else {
                    // SAFETY: class layouts have a non-zero size.
                    fallible(|| unsafe { alloc(class_layout(c)) })
                }
            }
            // SAFETY: callers pass non-zero-sized layouts (every object has a header).
            None => fallible(|| unsafe { alloc(layout) }),
        }
    }

    /// Returns a block obtained from `alloc(layout)` with the same `layout`.
    ///
    /// # Safety
    /// `ptr` came from `self.alloc(layout)` and is not used afterwards.
    #[inline]
    pub(crate) unsafe fn dealloc(&mut self, ptr: *mut u8, layout: Layout) {
        match class_of(layout) {
            Some(c) => {
                let size = class_layout(c).size();
                if self.cached_bytes + size <= MAX_CACHED_BYTES {
                    // SAFETY: the block is unused from now on (caller) and at least 16 bytes,
                    // 16-aligned: it can hold the link word (P1).
                    unsafe { *(ptr as *mut *mut u8) = self.free[c] };
                    self.free[c] = ptr;
                    self.cached_bytes += size;
                } else {
                    // SAFETY: allocated by `alloc` with the class layout (see `Pool::alloc`).
                    unsafe { dealloc(ptr, class_layout(c)) };
                }
            }
            // SAFETY: allocated by `alloc(layout)` (caller).
            None => unsafe { dealloc(ptr, layout) },
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for c in 0..CLASSES {
            let mut p = self.free[c];
            while !p.is_null() {
                // SAFETY: P1 — every listed block is unused and was allocated with the class
                // layout; the link is read before the block is freed.
                unsafe {
                    let next = *(p as *mut *mut u8);
                    dealloc(p, class_layout(c));
                    p = next;
                }
            }
        }
    }
}
