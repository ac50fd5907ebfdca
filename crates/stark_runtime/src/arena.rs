//! Arenas (M10): `arena NAME:` blocks allocate from one region, by bumping a pointer through
//! chunks, and free the whole region at once when the block ends.
//!
//! # Invariants
//!
//! - **A1 (flag).** An object carved from an arena has `flags::ARENA` set from allocation to
//!   the arena's close. `incref`/`decref` test the flag first and change no count, so
//!   values inside the block cost no refcount traffic and are never queued for release.
//! - **A2 (no escape).** No reference to an arena object outlives its arena: the checker
//!   rejects escapes (E0713), and only the frame that opened the arena allocates from it (the
//!   VM turns arena allocation off while a callee or a destructor runs, so a callee can
//!   never store an arena value into an object it was handed by `&mutable`).
//! - **A3 (outward edges).** An arena object may own references to objects outside the
//!   arena (a clone of an outer string pushed into an arena list). Those are ordinary
//!   counted references; [`Heap::close_arena`] releases them.
//! - **A4 (accounting).** Arena objects have metadata rows with owner `arena` and are
//!   counted in their zone like any object (so `--max-memory` sees them), and in
//!   `arena_live` (the `arena_bytes` of `Memory.profile()`), until the arena closes.
//! - **A5 (memory).** Arena objects are never handed to the pool: their storage belongs to a
//!   chunk, deallocated by `Drop for Arena` after every body in it has been dropped.

use crate::heap::Heap;
use crate::metadata::{MetaEntry, OwnerKind};
use crate::object::{flags, Header, ObjKind};
use crate::value::{ObjRef, Value};
use std::alloc::Layout;
use std::cell::Cell;
use std::ptr::NonNull;

/// First chunk size; later chunks double up to `MAX_CHUNK`.
const FIRST_CHUNK: usize = 16 << 10;
const MAX_CHUNK: usize = 1 << 20;
const CHUNK_ALIGN: usize = 16;

pub(crate) struct Arena {
    chunks: Vec<(NonNull<u8>, Layout)>,
    /// Next free byte of the current chunk, and its end (both 0 before the first chunk).
    cursor: usize,
    end: usize,
    /// Every object allocated here, in allocation order (destructors run in reverse).
    pub(crate) objects: Vec<ObjRef>,
}

impl Arena {
    pub(crate) fn new() -> Arena {
        Arena {
            chunks: Vec::new(),
            cursor: 0,
            end: 0,
            objects: Vec::new(),
        }
    }

    /// Storage for `layout`, or null if the system refuses a chunk.
    #[inline]
    pub(crate) fn bump(&mut self, layout: Layout) -> *mut u8 {
        let align = layout.align().max(8);
        let start = (self.cursor + align - 1) & !(align - 1);
        if self.cursor != 0 && start + layout.size() <= self.end {
            self.cursor = start + layout.size();
            return start as *mut u8;
        }
        self.bump_slow(layout)
    }

    #[cold]
    fn bump_slow(&mut self, layout: Layout) -> *mut u8 {
        let last = self
            .chunks
            .last()
            .map(|c| c.1.size())
            .unwrap_or(FIRST_CHUNK / 2);
        let size = (last * 2)
            .min(MAX_CHUNK)
            .max(layout.size() + layout.align());
        let Ok(chunk) = Layout::from_size_align(size, CHUNK_ALIGN.max(layout.align())) else {
            return std::ptr::null_mut();
        };
        // SAFETY: `chunk` has a non-zero size (at least the object's header).
        let Some(p) = NonNull::new(unsafe { std::alloc::alloc(chunk) }) else {
            return std::ptr::null_mut();
        };
        self.chunks.push((p, chunk));
        self.cursor = p.as_ptr() as usize;
        self.end = self.cursor + size;
        self.bump(layout)
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        for &(p, layout) in &self.chunks {
            // SAFETY: A5 — the chunk came from `alloc(layout)`; every object body in it was
            // dropped by `close_arena` (or by `Drop for Heap`) before the arena is dropped.
            unsafe { std::alloc::dealloc(p.as_ptr(), layout) };
        }
    }
}

impl Heap {
    /// `ArenaEnter`: opens an arena; allocations go to it while `set_arena_active(true)`.
    pub fn open_arena(&mut self) {
        self.arenas.push(Arena::new());
    }

    /// Whether new objects come from the innermost open arena. The VM switches this off
    /// while a callee or destructor runs (A2) and back on when the arena's frame resumes.
    #[inline]
    pub fn set_arena_active(&mut self, active: bool) {
        self.arena_active = active && !self.arenas.is_empty();
    }

    #[inline]
    pub fn arena_active(&self) -> bool {
        self.arena_active
    }

    pub fn open_arenas(&self) -> usize {
        self.arenas.len()
    }

    /// Bytes of the objects of all open arenas (`Memory.profile().arena_bytes`).
    pub fn arena_bytes(&self) -> u64 {
        self.arena_live
    }

    /// The objects of the innermost arena, in allocation order (the VM runs their
    /// destructors, in reverse, before [`Heap::close_arena`]).
    pub fn arena_objects(&self) -> Vec<ObjRef> {
        self.arenas
            .last()
            .map(|a| a.objects.clone())
            .unwrap_or_default()
    }

    /// Allocates a header in the innermost arena (A1, A4).
    pub(crate) fn alloc_header_arena(
        &mut self,
        kind: ObjKind,
        type_id: u32,
        len: u32,
        extra: u64,
        layout: Layout,
    ) -> Option<NonNull<Header>> {
        let bytes = layout.size() as u64 + extra;
        let arena = self.arenas.last_mut()?;
        let ptr = NonNull::new(arena.bump(layout) as *mut Header)?;
        let obj = ObjRef(ptr);
        arena.objects.push(obj);
        let zone = self.current_zone;
        // A struct's header is its row (I6); the arena's object list enumerates it.
        let slot = if kind == ObjKind::Struct {
            Header::struct_slot(type_id, len)
        } else {
            self.meta.insert(MetaEntry {
                obj,
                zone,
                owner: OwnerKind::Arena,
                kind,
                type_id,
                bytes,
            })
        };
        // SAFETY: `ptr` is fresh arena storage of `layout`, which starts with a Header.
        unsafe {
            ptr.as_ptr().write(Header {
                strong: Cell::new(1),
                weak: Cell::new(0),
                kind,
                zone,
                flags: Cell::new(flags::ARENA | OwnerKind::Arena as u8),
                gc: Cell::new(0),
                slot: Cell::new(slot),
            });
        }
        self.arena_live += bytes;
        Some(ptr)
    }

    /// Whether a value of the innermost arena is still referenced from outside it, at its
    /// end (after its destructors ran): `(value's type, holder's type)` of one such
    /// reference. Only looked for when an arena value was stored into a non-arena
    /// container meanwhile (`note_stored`), which a checked program does only in ways
    /// that end before the arena does (a callee's temporary list) — or by an escape the
    /// checker cannot see, such as a destructor storing `self` (E0713 covers the rest).
    pub fn arena_escape(&mut self) -> Option<(String, String)> {
        if !std::mem::take(&mut self.arena_stored_out) {
            return None;
        }
        let arena = self.arenas.last()?;
        let inside: std::collections::HashSet<ObjRef> = arena.objects.iter().copied().collect();
        for e in self.live_entries() {
            if inside.contains(&e.obj) {
                continue;
            }
            let mut hit = None;
            if e.kind == ObjKind::Weak {
                let t = e.obj.weak_target();
                if inside.contains(&t) {
                    hit = Some(t);
                }
            } else {
                crate::cycle::trace(e.obj, |c| {
                    if hit.is_none() && inside.contains(&c) {
                        hit = Some(c);
                    }
                });
            }
            if let Some(c) = hit {
                let name = |o: ObjRef| self.type_name(o.kind(), o.type_id()).to_string();
                return Some((name(c), name(e.obj)));
            }
        }
        None
    }

    /// `ArenaExit`: drops the bodies of the innermost arena's objects, releases what they
    /// own outside the arena (A3, queued on the pending stack: the caller drains), and frees
    /// the region. Destructors must already have run.
    pub fn close_arena(&mut self) {
        let Some(arena) = self.arenas.pop() else {
            return;
        };
        self.arena_active = false;
        for &obj in arena.objects.iter().rev() {
            let h = obj.header();
            if !self.take_children(obj, |heap, v| heap.release_outward(v)) {
                match h.kind {
                    ObjKind::Weak => {
                        let t = obj.weak_target();
                        let th = t.header();
                        th.weak.set(th.weak.get() - 1);
                        if !th.has_flag(flags::ARENA) {
                            self.dealloc_if_unreferenced(t);
                        }
                    }
                    // Tensors, datasets and streams are never arena-allocated (`alloc_header_in`).
                    ObjKind::Tensor | ObjKind::Dataset | ObjKind::Stream | ObjKind::Task => {
                        self.release_data_body(obj)
                    }
                    ObjKind::Struct | ObjKind::List | ObjKind::Map | ObjKind::Str => {}
                }
            }
            h.set_flag(flags::DEAD);
            h.strong.set(0);
            let bytes = self.account_free(h);
            self.arena_live -= bytes;
        }
        drop(arena);
    }

    /// Releases a reference an arena object holds, unless it points into an arena too.
    #[inline]
    fn release_outward(&mut self, v: Value) {
        if let Value::Obj(o) = v {
            if !o.header().has_flag(flags::ARENA) {
                self.decref_obj(o);
            }
        }
    }
}
