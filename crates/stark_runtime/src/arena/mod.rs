//! Arenas (M10): `arena NAME:` blocks allocate from one region, by bumping a pointer through
//! chunks, and free the whole region at once when the block ends.
//!
//! The end of an arena costs O(objects that need work), not O(objects): a string's text and
//! a struct's fields lie in the region, structs and strings are taken off the books in one
//! subtraction per zone, and only lists, maps, weak references, structs whose type has a
//! destructor and structs holding references out of the arena are remembered one by one.
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
//!   counted references; [`Heap::close_arena`] releases them, in reverse allocation order
//!   of their holders. Every store into an arena struct or list goes through
//!   `Heap::note_stored` (or `note_arena_store`), which sets `gc_bits::ARENA_OUTWARD` on the
//!   holder when the value is a counted object outside every arena. A struct so marked at
//!   its allocation is put on its arena's `work` list; one marked later would be out of
//!   allocation order there, so it sets `walk_all` on the open arenas instead, and their
//!   close visits every object as it did before this list existed. Lists and maps are on
//!   `work` from their allocation (their buffers are freed one by one anyway); a list
//!   without the mark is freed without visiting its elements. A string constant stored with
//!   a count of one is not an outward edge: compiled code stores constants uncounted
//!   (`flags::IMMORTAL`), so its release would change nothing.
//! - **A4 (accounting).** Arena objects are counted in their zone like any object (so
//!   `--max-memory` sees them), and in `arena_live` (the `arena_bytes` of
//!   `Memory.profile()`), until the arena closes. Lists, maps and weak references have
//!   metadata rows with owner `arena`; structs and strings (fixed size once allocated) have
//!   none: `Heap::live_entries` enumerates them from the arena's `objects`, and their bytes
//!   and count are summed per zone in `bulk`, subtracted at once at close. While tracing is
//!   on, close takes each object off the books one by one instead, so that each gets its
//!   free event.
//! - **A5 (memory).** Arena objects are never handed to the pool, and an arena string's
//!   text is never a `Box`: both lie in a chunk, which is deallocated (or kept for the next
//!   arena, with nothing in it) only after close has dropped every body that owns heap
//!   memory (list and map buffers).
//! - **A6 (weak references).** A weak reference never keeps its target, and an arena's
//!   values are freed with their region whatever their weak count. So every `WeakRef`
//!   object whose target is an arena value is in `Heap::arena_weaks` from its making, with
//!   a dead stand-in header allocated alongside (so the close allocates nothing), and the
//!   registry pins the weak object's own header (its `weak` count, I4) until the target's
//!   arena closes. At that close each such weak reference still alive is pointed at the
//!   stand-in; `is_alive` is then false for good.

use crate::header::{flags, gc_bits, Header, ObjKind, OwnerKind};
use crate::heap::Heap;
use crate::metadata::MetaEntry;
use crate::object::{ListObj, StrObj, WeakObj};
use crate::value::{ObjRef, Value};
use crate::zone::Zone;
use crate::OutOfMemory;
use std::alloc::Layout;
use std::cell::Cell;
use std::ptr::NonNull;

pub(crate) mod region;
use region::Arena;

impl Heap {
    /// `ArenaEnter`: opens an arena; allocations go to it while `set_arena_active(true)`.
    pub fn open_arena(&mut self) {
        let mut arena = self.spare_arena.take().unwrap_or_else(Arena::new);
        arena.ensure_chunk();
        self.arenas.push(arena);
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

    /// Bytes the open arenas hold (`Memory.profile().arena_bytes`): their objects (with
    /// the list and map buffers outside the region) and the region bytes reserved but not
    /// yet handed out, so an open arena counts from its first line (A4).
    pub fn arena_bytes(&self) -> u64 {
        self.arena_live + self.arenas.iter().map(Arena::unused).sum::<u64>()
    }

    /// The index in `arenas` of the open arena `o` was carved from (`o` has `flags::ARENA`).
    /// With one arena open that is the only one; nested arenas look at their chunks.
    pub(crate) fn arena_index(&self, o: ObjRef) -> Option<usize> {
        match self.arenas.len() {
            0 => None,
            1 => Some(0),
            n => (0..n).rev().find(|&i| self.arenas[i].contains(o)),
        }
    }

    /// A value of an arena was stored into `holder` (`None`: an object about to be made
    /// outside every arena). If the holder outlives the value's arena (it is outside every
    /// arena, or in an outer one), that arena's end must look for the reference (A2).
    #[cold]
    #[inline(never)]
    pub(crate) fn note_arena_value(&mut self, value: ObjRef, holder: Option<ObjRef>) {
        let holder_arena = match holder {
            Some(h) if h.in_arena() => {
                if self.arenas.len() == 1 {
                    return;
                }
                self.arena_index(h)
            }
            _ => None,
        };
        let Some(i) = self.arena_index(value) else {
            return;
        };
        if holder_arena.is_none_or(|j| j < i) {
            self.arenas[i].stored_out = true;
        }
    }

    /// Says which struct types have a destructor (indexed by type id), so that an arena
    /// remembers its finalizable structs as it allocates them.
    pub fn set_destructor_types(&mut self, has_destructor: Vec<bool>) {
        self.has_destructor = has_destructor;
    }

    /// The structs of the innermost arena whose type has a destructor, in allocation order
    /// (the VM runs their destructors, in reverse, before [`Heap::close_arena`]).
    pub fn take_arena_finalizers(&mut self) -> Vec<ObjRef> {
        self.arenas
            .last_mut()
            .map(|a| std::mem::take(&mut a.finalizers))
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
        let zone = self.current_zone;
        let arena = self.arenas.last_mut()?;
        let ptr = NonNull::new(arena.bump(layout) as *mut Header)?;
        let obj = ObjRef(ptr);
        let slot = match kind {
            // A struct's header is its row (I6); strings need no row either (A4).
            ObjKind::Struct | ObjKind::Str => {
                let b = &mut arena.bulk[zone.index()];
                b.0 += bytes;
                b.1 += 1;
                if kind == ObjKind::Str {
                    0
                } else {
                    if self.has_destructor.get(type_id as usize) == Some(&true) {
                        arena.finalizers.push(obj);
                    }
                    Header::struct_slot(type_id, len)
                }
            }
            _ => {
                // The row first: if the table cannot grow, nothing refers to the storage.
                let slot = self.meta.insert(MetaEntry {
                    obj,
                    zone,
                    owner: OwnerKind::Arena,
                    kind,
                    type_id,
                    bytes,
                })?;
                arena.work.push(obj);
                slot
            }
        };
        arena.objects.push(obj);
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

    /// `alloc_str` while an arena is active: the text is copied into the region (A5), so
    /// the string costs no `malloc` and its end no `free`.
    pub(crate) fn alloc_str_arena(&mut self, text: &str) -> Result<ObjRef, OutOfMemory> {
        let len = text.len();
        let bytes = if len == 0 {
            NonNull::dangling()
        } else {
            let refused = self.system_oom(len as u64);
            let (Some(arena), Ok(layout)) =
                (self.arenas.last_mut(), Layout::from_size_align(len, 1))
            else {
                return Err(refused);
            };
            let Some(p) = NonNull::new(arena.bump(layout)) else {
                return Err(refused);
            };
            // SAFETY: `p` is fresh region storage of `len` bytes, so it cannot overlap `text`.
            unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), p.as_ptr(), len) };
            p
        };
        // `arena_active` is on, so the header comes from the same arena (A1).
        let ptr = self.alloc_header(ObjKind::Str, 0, 0, len as u64)?;
        let text = std::ptr::slice_from_raw_parts_mut(bytes.as_ptr(), len) as *mut str;
        // SAFETY: StrObj layout (I2), body written once; `text` is `len` bytes copied from a
        // `str` (valid UTF-8), non-null (a chunk address or `dangling` for no bytes), and
        // lives as long as the region (A5).
        unsafe {
            std::ptr::addr_of_mut!((*(ptr.as_ptr() as *mut StrObj)).text)
                .write(NonNull::new_unchecked(text))
        };
        Ok(ObjRef(ptr))
    }

    /// Whether storing `v` into an object gives it an outward edge (A3): `v` is a counted
    /// object outside every arena. Constants stored with their table's count alone are
    /// left out (see A3).
    #[inline]
    pub(crate) fn is_outward(v: Value) -> bool {
        match v {
            Value::Obj(o) => {
                let h = o.header();
                let uncounted_constant = h.has_flag(flags::IMMORTAL) && h.strong.get() <= 1;
                !h.has_flag(flags::ARENA) && !uncounted_constant
            }
            _ => false,
        }
    }

    /// `v` was stored into arena object `holder` (A3).
    #[inline]
    pub(crate) fn note_outward(&mut self, holder: ObjRef, v: Value) {
        if Self::is_outward(v) {
            self.mark_outward(holder, false);
        }
    }

    /// Marks `holder` as holding an outward edge (A3); `fresh`: it is the object the
    /// innermost arena allocated last.
    #[cold]
    pub(crate) fn mark_outward(&mut self, holder: ObjRef, fresh: bool) {
        let h = holder.header();
        if h.gc.get() & gc_bits::ARENA_OUTWARD != 0 {
            return;
        }
        h.gc.set(h.gc.get() | gc_bits::ARENA_OUTWARD);
        if h.kind == ObjKind::Struct {
            if fresh {
                if let Some(a) = self.arenas.last_mut() {
                    a.work.push(holder);
                }
            } else {
                for a in &mut self.arenas {
                    a.walk_all = true;
                }
            }
        }
    }

    /// A store the heap did not make itself (`x.copy()` filling its fresh containers): if
    /// `holder` is an arena object, `v` may be an outward edge (A3).
    #[inline]
    pub fn note_arena_store(&mut self, v: Value, holder: ObjRef) {
        if holder.in_arena() {
            self.note_outward(holder, v);
        }
    }

    /// Whether a value of the innermost arena is still referenced from outside it, at its
    /// end (after its destructors ran): `(value's type, holder's type)` of one such
    /// reference. Only looked for when an arena value was stored into a non-arena
    /// container meanwhile (`note_stored`), which a checked program does only in ways
    /// that end before the arena does (a callee's temporary list) — or by an escape the
    /// checker cannot see, such as a destructor storing `self` (E0713 covers the rest).
    pub fn arena_escape(&mut self) -> Option<(String, String)> {
        let arena = self.arenas.last_mut()?;
        if !std::mem::take(&mut arena.stored_out) {
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
    ///
    /// # Safety
    /// Nothing outside the innermost arena references one of its values any more (A2): the
    /// checker rejects the escapes it can see (E0713), and [`Heap::arena_escape`] returned
    /// `None` for the rest. A reference that survived would point into the freed region.
    pub unsafe fn close_arena(&mut self) {
        if self.arenas.is_empty() {
            return;
        }
        self.retire_weak_refs();
        let Some(mut arena) = self.arenas.pop() else {
            return;
        };
        self.arena_active = false;
        // A trace names every freed object (A4); a late outward edge needs every object
        // visited in order (A3).
        let traced = self.tracer.any;
        if traced || arena.walk_all {
            for &obj in arena.objects.iter().rev() {
                self.close_object(obj, traced);
            }
        } else {
            #[cfg(debug_assertions)]
            check_outward_marked(&arena);
            for &obj in arena.work.iter().rev() {
                self.close_object(obj, false);
            }
        }
        if !traced {
            for z in Zone::ALL {
                let (bytes, objects) = arena.bulk[z.index()];
                if objects == 0 {
                    continue;
                }
                self.zones[z.index()].on_free_many(bytes, objects);
                if let Some(m) = &self.mirror {
                    m.on_free_many(z, bytes, objects);
                }
                self.total_live -= bytes;
                self.arena_live -= bytes;
            }
            self.publish_live();
        }
        arena.reset();
        self.spare_arena = Some(arena);
    }

    /// A6 at the innermost arena's close: every weak reference to one of its values, made
    /// however and stored wherever, is pointed at a dead stand-in header, so it reports
    /// `exists() == false` and `get() == None` instead of reading the freed region.
    fn retire_weak_refs(&mut self) {
        if self.arena_weaks.is_empty() {
            return;
        }
        let last = self.arenas.len() - 1;
        let in_closing =
            |heap: &Heap, o: ObjRef| o.in_arena() && (last == 0 || heap.arenas[last].contains(o));
        // Weak references to one target share one stand-in, so they still compare equal and
        // references to distinct values stay distinct (`equality.rs` compares targets).
        let mut used: Vec<(ObjRef, ObjRef)> = Vec::new();
        let mut kept = Vec::with_capacity(self.arena_weaks.len());
        for (w, ghost) in std::mem::take(&mut self.arena_weaks) {
            let target = w.weak_target();
            let w_goes = in_closing(self, w);
            if !w_goes && !in_closing(self, target) {
                kept.push((w, ghost));
                continue;
            }
            let wh = w.header();
            let mut ghost_used = false;
            if !w_goes && !wh.has_flag(flags::DEAD) {
                let g = match used.iter().find(|u| u.0 == target) {
                    Some(&(_, g)) => g,
                    None => {
                        used.push((target, ghost));
                        ghost_used = true;
                        ghost
                    }
                };
                let th = target.header();
                th.weak.set(th.weak.get() - 1);
                let gh = g.header();
                gh.weak.set(gh.weak.get() + 1);
                // SAFETY: `w` is a live Weak object (I2), outside the closing region; its
                // target field is rewritten while no borrow of its body exists (I5). The
                // stand-in is DEAD with a weak count, so it stays allocated while `w`
                // points at it (I4).
                unsafe { (*(w.raw() as *mut WeakObj)).target = g };
            }
            if !ghost_used {
                // SAFETY: a stand-in nothing points at (A6), from the pool with Weak's layout.
                unsafe { self.dealloc_object(ghost) };
            }
            if !w_goes {
                // The registry's pin on the weak reference's own header (A6) ends.
                wh.weak.set(wh.weak.get() - 1);
                self.dealloc_if_unreferenced(w);
            }
        }
        self.arena_weaks = kept;
    }

    /// Drops one arena object's body at close, releasing its outward edges (A3). Objects
    /// with a metadata row are taken off the books here, the others too when `each` (A4).
    fn close_object(&mut self, obj: ObjRef, each: bool) {
        let h = obj.header();
        match h.kind {
            // An arena string's text lies in the region (A5).
            ObjKind::Str => {}
            ObjKind::List if h.gc.get() & gc_bits::ARENA_OUTWARD == 0 => {
                // SAFETY: I2 — a live List's body is initialised; it is moved out and
                // dropped once here, and DEAD is set right below. Unmarked, it holds no
                // counted reference (A3), so its elements need no release.
                drop(unsafe { std::ptr::read(&(*(obj.raw() as *const ListObj)).items) });
            }
            _ => {
                let emptied = self.take_children(obj, |heap, v| {
                    // SAFETY: `obj` is closing and gives up each reference it held once.
                    unsafe { heap.release_outward(v) }
                });
                if !emptied {
                    match h.kind {
                        ObjKind::Weak => {
                            let t = obj.weak_target();
                            let th = t.header();
                            th.weak.set(th.weak.get() - 1);
                            if !th.has_flag(flags::ARENA) {
                                self.dealloc_if_unreferenced(t);
                            }
                        }
                        // Tensors, datasets, streams and tasks are never arena-allocated
                        // (`alloc_header_in`).
                        _ => self.release_data_body(obj),
                    }
                }
            }
        }
        h.set_flag(flags::DEAD);
        h.strong.set(0);
        if each || !matches!(h.kind, ObjKind::Struct | ObjKind::Str) {
            let bytes = self.account_free(h);
            self.arena_live -= bytes;
        }
    }

    /// Releases a reference an arena object holds, unless it points into an arena too.
    ///
    /// # Safety
    /// `v` was held by an arena object being closed, which owned it (A3) and holds it no
    /// more.
    #[inline]
    unsafe fn release_outward(&mut self, v: Value) {
        if let Value::Obj(o) = v {
            if !o.header().has_flag(flags::ARENA) {
                // SAFETY: the closing object's reference (this function's contract).
                unsafe { self.decref_obj(o) };
            }
        }
    }
}

/// Debug builds: every struct or list that close will not visit holds no outward edge, i.e.
/// every store path marked its holder (A3). A miss would leak what the edge keeps alive.
#[cfg(debug_assertions)]
fn check_outward_marked(arena: &Arena) {
    for &o in &arena.objects {
        let h = o.header();
        if h.gc.get() & gc_bits::ARENA_OUTWARD != 0 {
            continue;
        }
        let children: &[Value] = match h.kind {
            ObjKind::Struct => o.fields(),
            ObjKind::List => o.list(),
            _ => continue,
        };
        for &v in children {
            assert!(
                !Heap::is_outward(v)
                    || matches!(v, Value::Obj(c) if c.header().has_flag(flags::IMMORTAL)),
                "arena object holds an unrecorded outward reference"
            );
        }
    }
}
