//! Release (I2–I4, I7): destructor bookkeeping, freeing an object whose count reached
//! zero, weak references, deallocation, and freeing everything when the heap goes.

// The heap's shared imports and helpers (`mod.rs`).
use super::*;
use crate::data::{ColumnObj, DatasetObj, StreamObj, TensorObj};

impl Heap {
    // ---------------------------------------------------------------- destructor support

    /// Whether `obj`'s destructor still has to run (it runs at most once).
    #[inline]
    pub fn needs_destructor(&self, obj: ObjRef) -> bool {
        !obj.header().has_flag(flags::DESTRUCTED)
    }

    /// `obj`'s destructor must never run: another object stands for it now (a struct sent
    /// to another heap runs its destructor there, once, M1).
    pub fn skip_destructor(&mut self, obj: ObjRef) {
        obj.header().set_flag(flags::DESTRUCTED);
    }

    /// Marks `obj` as being finalized: while the flag is set, its count reaching zero does
    /// not queue it (I3), so a destructor that clones and drops `self` cannot double-free.
    pub fn begin_finalize(&mut self, obj: ObjRef) {
        let h = obj.header();
        h.set_flag(flags::FINALIZING | flags::DESTRUCTED);
        // A destructor is STARK code of any length: a collector step sweeping groups
        // reads its clock before the next one.
        self.collector.unclocked = u32::MAX;
    }

    /// Ends finalization. Returns `true` if the object may now be released (its count is
    /// still zero); `false` if the destructor resurrected it (stored a clone of `self`).
    pub fn end_finalize(&mut self, obj: ObjRef) -> bool {
        let h = obj.header();
        h.clear_flag(flags::FINALIZING);
        h.strong.get() == 0
    }

    // ---------------------------------------------------------------- release

    /// Releases a pending object (strong count zero): queues its children (I7), drops its
    /// body, updates the counters, and deallocates unless weak references keep the header.
    ///
    /// # Safety
    /// `obj` was taken off the pending stack ([`Heap::pop_pending`]) and nothing has made it
    /// live again (a destructor's resurrection: [`Heap::end_finalize`] returned `true`), or
    /// the caller holds the only other pointer to it (the cycle collector's garbage). A
    /// second pointer still in use, such as the same object still queued, would be left
    /// pointing at freed memory (I1, I3).
    pub unsafe fn release(&mut self, obj: ObjRef) {
        let h = obj.header();
        assert!(
            h.strong.get() == 0 && !h.has_flag(flags::DEAD),
            "release of a live or already released object"
        );
        let released = if h.kind == ObjKind::List {
            // A list's items are given up in a loop of their own rather than through
            // `take_children`'s callback, which is not inlined there: the call cost a list
            // of words as much again as freeing each word.
            // SAFETY: `obj` is a List being released (count zero, not yet DEAD).
            let items = unsafe { take_list_items(obj) };
            for v in items.iter().rev() {
                // SAFETY: `obj` owned each reference it held (I3), and its body is being
                // emptied: the reference is given up exactly once.
                unsafe { self.decref_child(*v) };
            }
            true
        } else {
            self.take_children(obj, |heap, v| {
                // SAFETY: as for a list's items just above.
                unsafe { heap.decref_child(v) }
            })
        };
        if !released {
            match h.kind {
                ObjKind::Weak => {
                    let target = obj.weak_target();
                    self.release_weak(target);
                }
                ObjKind::Tensor | ObjKind::Dataset | ObjKind::Column | ObjKind::Stream => {
                    self.release_data_body(obj)
                }
                // SAFETY: a live Task's body is initialised; DEAD is set right below (I2).
                ObjKind::Task => unsafe { crate::actor::drop_task_body(obj) },
                ObjKind::Struct | ObjKind::List | ObjKind::Map | ObjKind::Str => {}
            }
        }
        h.set_flag(flags::DEAD);
        if h.has_flag(flags::LOCAL) {
            self.local_objects -= 1;
        } else {
            self.account_free(h);
        }
        self.dealloc_if_unreferenced(obj);
    }

    /// Releases `o`'s last reference at once when it is a plain string nothing else holds
    /// (count one, no weak reference pending on its header, not a constant, not in an
    /// arena): strings have no children and no destructor, so freeing one runs no code and
    /// cannot recurse (I7). Returns false, changing nothing, for anything else, which the
    /// caller then `decref`s as usual. For a register the VM is dropping: no view of the
    /// string can outlive that release, as none could outlive the drain that would follow.
    ///
    /// # Safety
    /// The caller owns the reference to `o` it gives up here, and no view of the string
    /// outlives the call.
    #[inline]
    pub unsafe fn try_free_str(&mut self, o: ObjRef) -> bool {
        let h = o.header();
        if h.kind != ObjKind::Str || h.strong.get() != 1 || h.flags.get() & !flags::OWNER_MASK != 0
        {
            return false;
        }
        // SAFETY: checked just above: a plain string whose last reference the caller gives up.
        unsafe { self.free_plain_str(o) };
        true
    }

    /// What `release` does for a plain string (kind `Str`, count one, no flag but its owner
    /// bits: not a constant, not in an arena, not dead), without the general path's
    /// dispatch on kinds and flags: its last reference is the caller's, so it is freed now
    /// (its text, its row and counters, I6, and its block unless a weak reference or a
    /// collector pin keeps the header, I4, C2).
    ///
    /// # Safety
    /// `o` is such a string, the caller owns its last reference and gives it up, and
    /// nothing reads it afterwards.
    #[inline(always)]
    unsafe fn free_plain_str(&mut self, o: ObjRef) {
        let h = o.header();
        debug_assert!(h.kind == ObjKind::Str && h.strong.get() == 1);
        debug_assert!(h.flags.get() & !flags::OWNER_MASK == 0);
        h.strong.set(0);
        // SAFETY: a live string's body is initialised (I2).
        let inline = unsafe { str_is_inline(o) };
        let len = obj_text_len(o);
        if !inline {
            // SAFETY: not inline and not an arena string (no ARENA flag): its text came
            // from `Box::leak` (`alloc_str`) and is freed once, here.
            unsafe { drop_str_text(o) };
        }
        h.set_flag(flags::DEAD);
        // A short string has no row: its size is its row (I6).
        let bytes = if inline {
            (std::mem::size_of::<StrObj>() + len) as u64
        } else {
            self.meta.remove(h.meta()).bytes
        };
        self.zones[h.zone.index()].on_free(bytes);
        if let Some(m) = &self.mirror {
            m.on_free(h.zone, bytes);
        }
        self.total_live -= bytes;
        self.publish_live();
        if h.gc.get() & gc_bits::TRACED != 0 {
            self.trace_free(h, bytes);
        }
        if h.weak.get() == 0 && h.gc.get() & gc_bits::PINS == 0 {
            let size = if inline {
                std::mem::size_of::<StrObj>() + len
            } else {
                std::mem::size_of::<StrObj>()
            };
            // SAFETY: DEAD, no weak reference and no collector pin remain (I4, C2); the block
            // came from this pool with that size (`alloc_str_inline`, or `alloc_header` with
            // StrObj's layout; an inline string grows only within its size class).
            unsafe { self.pool.dealloc_small(o.raw(), size) };
        }
    }

    /// `decref` of a child of an object being released. A string child whose last
    /// reference this was is freed at once instead of being queued: it has no children and
    /// no destructor, so nothing can run or recurse (I7 holds), and nothing can still read
    /// it (its owner is being freed, outside any native's borrow, I5). With tracing on the
    /// queue keeps the frees in their documented order (children after their owner).
    ///
    /// # Safety
    /// The caller owned the reference `v` and gives it up (as for `decref`).
    #[inline(always)]
    pub(crate) unsafe fn decref_child(&mut self, v: Value) {
        if let Value::Obj(o) = v {
            let h = o.header();
            if h.kind == ObjKind::Str
                && h.strong.get() == 1
                && h.flags.get() & !flags::OWNER_MASK == 0
                && !self.tracer.any
            {
                // SAFETY: checked just above: a plain string whose last reference this is.
                unsafe { self.free_plain_str(o) };
                return;
            }
            // SAFETY: the caller gives up the reference it owned (this function's contract).
            unsafe { self.decref_obj(o) };
        }
    }

    /// Empties the body of a struct, list, map or string being released: hands each
    /// reference it held to `each`, last first (so the pending stack pops them in field
    /// order, I7), and drops the body's storage. Returns `false` for the other kinds, whose
    /// bodies the caller releases itself. The caller sets `DEAD` right after (I2).
    pub(crate) fn take_children(
        &mut self,
        obj: ObjRef,
        mut each: impl FnMut(&mut Heap, Value),
    ) -> bool {
        let base = obj.raw();
        match obj.header().kind {
            ObjKind::Struct => {
                // SAFETY: `obj` is being released (count zero, not yet DEAD), so nothing else
                // borrows its fields; `each` only changes counts (`decref` never reads a
                // body, I7), so this stays the only borrow while it runs (I5).
                let fields = unsafe { obj.fields_mut() };
                // A closure borrowing its captures holds views (`gc_bits::VIEWS`): their
                // owners release them, not it.
                let views = obj.header().gc.get() & gc_bits::VIEWS != 0;
                for slot in fields.iter_mut().rev() {
                    let v = std::mem::replace(slot, Value::None);
                    if !views {
                        each(self, v);
                    }
                }
            }
            ObjKind::List => {
                // SAFETY: `obj` is a List being released (this function's caller).
                let items = unsafe { take_list_items(obj) };
                for v in items.iter().rev() {
                    each(self, *v);
                }
            }
            ObjKind::Map => {
                // SAFETY: as for List: the body is moved out once and never touched again.
                let map = unsafe { std::ptr::read(&(*(base as *const MapObj)).map) };
                for v in map.values().rev() {
                    each(self, *v);
                }
            }
            // SAFETY: a live Str's body is initialised and is not read again: the caller
            // sets DEAD right after (I2).
            ObjKind::Str => unsafe { drop_str_text(obj) },
            _ => return false,
        }
        true
    }

    /// Releases a data object's body (called by `release`): the dataset's column tensors are
    /// decref'd (queued, I7), then the body is dropped.
    pub(crate) fn release_data_body(&mut self, obj: ObjRef) {
        let base = obj.raw();
        match obj.kind() {
            ObjKind::Tensor => {
                // SAFETY: I2 — a live Tensor's body is initialised; it is moved out once here
                // and the caller sets DEAD, so it is never read or dropped again.
                let body = unsafe { std::ptr::read(&(*(base as *const TensorObj)).body) };
                if let Some(owner) = body.held() {
                    // SAFETY: a view owns one reference to its base, a lent tensor one to
                    // its column (alloc_tensor's contract), and its body is gone: it is
                    // given up once (queued, I7).
                    unsafe { self.decref_obj(owner) };
                }
                drop(body);
            }
            ObjKind::Dataset => {
                // SAFETY: as for Tensor.
                let body = unsafe { std::ptr::read(&(*(base as *const DatasetObj)).body) };
                let children: Vec<ObjRef> = body.children().collect();
                for t in children.into_iter().rev() {
                    // SAFETY: the dataset owned a reference to each column, and its body
                    // is gone: each is given up once.
                    unsafe { self.decref_obj(t) };
                }
            }
            ObjKind::Column => {
                // SAFETY: as for Tensor. Dropping the body drops the Arrow array (and its
                // buffers, unless a kernel's result still shares them).
                drop(unsafe { std::ptr::read(&(*(base as *const ColumnObj)).body) });
            }
            ObjKind::Stream => {
                // SAFETY: as for Tensor. Dropping the body closes the file (M3: a stream
                // released without `close` is closed by its release).
                let mut body = unsafe { std::ptr::read(&(*(base as *const StreamObj)).body) };
                // Flushed here rather than by `BufWriter`'s drop, which would swallow a
                // failure: data lost on the way to the file must not go unnoticed.
                if let Some(w) = body.writer.as_mut() {
                    if let Err(e) = std::io::Write::flush(w) {
                        self.io_failure.get_or_insert((body.path.clone(), e));
                    }
                }
                drop(body);
            }
            _ => {}
        }
    }

    /// Takes a released object off the books: its row, its zone's and the program's
    /// counters (I6), and the trace. Returns the bytes it was charged.
    pub(crate) fn account_free(&mut self, h: &Header) -> u64 {
        let bytes = self.forget_row(h);
        self.zones[h.zone.index()].on_free(bytes);
        if let Some(m) = &self.mirror {
            m.on_free(h.zone, bytes);
        }
        self.total_live -= bytes;
        self.publish_live();
        if h.gc.get() & gc_bits::TRACED != 0 {
            self.trace_free(h, bytes);
        }
        bytes
    }

    /// Traces the free of a traced object charged `bytes` (already off the books): with the
    /// bytes of its `Alloc`, after a `Resize` back to them if its size changed meanwhile.
    #[cold]
    fn trace_free(&mut self, h: &Header, bytes: u64) {
        let obj = ObjRef(NonNull::from(h));
        let (allocated, reported) = match self.tracer.resized.remove(&obj) {
            Some(sizes) => sizes,
            None => (bytes, bytes),
        };
        if !self.tracer.enabled[h.zone.index()] {
            return;
        }
        let live = self.zones[h.zone.index()].live_bytes;
        if reported != allocated {
            let delta = allocated as i64 - reported as i64;
            self.trace_object(TraceKind::Resize, h, allocated, delta, live + allocated);
        }
        self.trace_object(TraceKind::Free, h, allocated, 0, live);
    }

    /// Removes a released object's metadata row (I6); returns the bytes it was charged.
    #[inline]
    pub(crate) fn forget_row(&mut self, h: &Header) -> u64 {
        match h.kind {
            ObjKind::Struct => struct_layout(h.len()).size() as u64,
            ObjKind::Str if ObjRef(NonNull::from(h)).is_short_str() || h.has_flag(flags::ARENA) => {
                // A short string (I6) or an arena string (A4) has no row: its header leads
                // its object, whose size its text's length gives.
                arena_str_bytes(ObjRef(NonNull::from(h)))
            }
            _ => self.meta.remove(h.meta()).bytes,
        }
    }

    /// Deallocates a DEAD object's header once nothing points to it any more: no weak
    /// reference (I4), no collector pin (C2), and not arena storage (A5).
    #[inline]
    pub(crate) fn dealloc_if_unreferenced(&mut self, obj: ObjRef) {
        let h = obj.header();
        if h.has_flag(flags::DEAD)
            && h.weak.get() == 0
            && h.gc.get() & gc_bits::PINS == 0
            && !h.has_flag(flags::ARENA)
        {
            // SAFETY: DEAD (contents gone, strong == 0), no weak reference and no collector
            // pin remain (I1, I4, C2), and the block came from the pool (A5).
            unsafe { self.dealloc_object(obj) };
        }
    }

    /// Drops a weak reference to `target`; deallocates the header if it was the last
    /// thing keeping a dead object's allocation (I4).
    fn release_weak(&mut self, target: ObjRef) {
        let h = target.header();
        h.weak.set(h.weak.get() - 1);
        self.dealloc_if_unreferenced(target);
    }

    /// `w.get()`: a new strong reference to the target, or `None` once it was freed (or is
    /// being freed right now: strong count zero).
    pub fn weak_get(&mut self, weak: ObjRef) -> Value {
        let target = weak.weak_target();
        if target.is_alive() {
            incref_obj(target);
            Value::Obj(target)
        } else {
            Value::None
        }
    }

    pub fn weak_exists(&self, weak: ObjRef) -> bool {
        weak.weak_target().is_alive()
    }
}

impl Drop for Heap {
    /// Frees whatever is still live (a program that ended with an error, or leaked cycles)
    /// so that a `Heap` never leaks Rust memory. Counts are ignored: everything goes.
    fn drop(&mut self) {
        // An actor's pool is freed wholesale: the spawner's view loses what was still live.
        if let Some(m) = &self.mirror {
            m.forget(&self.zones);
        }
        // Structs have no body to drop and their storage goes with the slabs (S1–S3), so
        // only the objects with rows are visited here. The table is walked in place, never
        // copied: a program that ran out of memory still ends here, so freeing must not
        // need memory in proportion to what it frees.
        let meta = std::mem::take(&mut self.meta);
        // First drop every body (without touching children: they have rows too), then
        // deallocate every header, including dead ones kept only by weak references.
        for obj in meta.live().map(|e| e.obj) {
            let base = obj.raw();
            let h = obj.header();
            // SAFETY: the row exists, so the object is not DEAD and its body is initialised
            // (I2, I6); each body is dropped exactly once here.
            unsafe {
                match h.kind {
                    ObjKind::List => std::ptr::drop_in_place(&mut (*(base as *mut ListObj)).items),
                    ObjKind::Map => std::ptr::drop_in_place(&mut (*(base as *mut MapObj)).map),
                    ObjKind::Str => drop_str_text(obj),
                    ObjKind::Tensor | ObjKind::Dataset | ObjKind::Column | ObjKind::Stream => {
                        crate::data::drop_data_body(obj)
                    }
                    ObjKind::Task => crate::actor::drop_task_body(obj),
                    ObjKind::Struct | ObjKind::Weak => {}
                }
            }
        }
        // Dead headers still referenced by weak refs: find them through the weak objects.
        // There are rarely many; if even this list cannot get memory, they are left to the
        // process's end rather than risking an abort.
        let mut dead: Vec<ObjRef> = Vec::new();
        let mut complete = true;
        let weak_targets = meta
            .live()
            .filter(|e| e.kind == ObjKind::Weak)
            .map(|e| e.obj.weak_target());
        // Weak references to values of arenas still open (A6): their stand-ins, and their
        // own headers if they died meanwhile (the registry pinned them).
        let registered = self.arena_weaks.iter().flat_map(|&(w, ghost)| {
            let w_dead = w.header().has_flag(flags::DEAD) && !w.in_arena();
            std::iter::once(ghost).chain(w_dead.then_some(w))
        });
        for obj in weak_targets
            .chain(registered)
            .chain(self.collector.pinned())
        {
            if obj.header().has_flag(flags::DEAD) && obj.kind() != ObjKind::Struct {
                if crate::sysalloc::fallible(|| dead.try_reserve(1)).is_err() {
                    complete = false;
                    break;
                }
                dead.push(obj);
            }
        }
        dead.sort_unstable_by_key(|o| o.addr());
        dead.dedup();
        if !complete {
            dead.clear();
        }
        for obj in meta.live().map(|e| e.obj).chain(dead) {
            // SAFETY: each live header and each distinct dead header is deallocated once;
            // the heap is going away, so no reference is used afterwards.
            unsafe { self.dealloc_object(obj) };
        }
    }
}

impl Heap {
    /// Deallocates an object's memory (its body must already be dropped).
    ///
    /// # Safety
    /// No reference to `obj` may be used afterwards (I1, I4).
    pub(crate) unsafe fn dealloc_object(&mut self, obj: ObjRef) {
        let h = obj.header();
        if h.has_flag(flags::ARENA) {
            // A5: the arena's chunk owns this storage.
            return;
        }
        if h.kind == ObjKind::Struct {
            // SAFETY: the caller guarantees no further use; structs come from the slabs
            // with their field count (I2).
            unsafe { self.slabs.dealloc(obj.raw(), h.len()) };
            return;
        }
        // SAFETY: a string's body was initialised (its pointer outlives DEAD).
        let layout: Layout = if h.kind == ObjKind::Str && unsafe { str_is_inline(obj) } {
            inline_str_layout(obj_text_len(obj))
        } else {
            layout_of(h.kind, 0)
        };
        // SAFETY: the caller guarantees no further use; `layout` is the one the block was
        // allocated with from this pool (I2).
        unsafe { self.pool.dealloc(obj.raw(), layout) };
    }
}

/// Frees a string's text, unless it lies in an arena's region (A5: the region frees it).
///
/// # Safety
/// `obj` is a string whose body is initialised and is never read again.
pub(crate) unsafe fn drop_str_text(obj: ObjRef) {
    // SAFETY: the caller guarantees an initialised string body.
    if !obj.in_arena() && !unsafe { str_is_inline(obj) } {
        // SAFETY: a string outside the arenas got its text from `Box::leak` (`alloc_str`);
        // the caller guarantees this is the only time it is freed.
        drop(unsafe { Box::from_raw((*(obj.raw() as *const StrObj)).text.as_ptr()) });
    }
}

/// The length of a string's text, read from its body's pointer (which a DEAD string keeps).
fn obj_text_len(obj: ObjRef) -> usize {
    // SAFETY: called on strings whose body was initialised; the fat pointer's length is
    // read without touching the text.
    let text = unsafe { (*(obj.raw() as *const StrObj)).text };
    (text.as_ptr() as *const [u8]).len()
}

#[cfg(test)]
impl Heap {
    pub(crate) fn incref_obj_for_test(&mut self, o: ObjRef) {
        incref_obj(o);
    }
}

/// Moves the items out of the body of a list being released, last first to be handed on
/// (I7: the pending stack then pops them in order).
///
/// # Safety
/// `obj` is a List whose count reached zero and which is being released now: the caller
/// sets `DEAD` right after, so the body is never read or dropped again (I2).
#[inline(always)]
unsafe fn take_list_items(obj: ObjRef) -> Vec<Value> {
    // SAFETY: I2 — a live List's body is initialised; it is moved out once here, and the
    // caller's DEAD flag means it is never read or dropped again.
    unsafe { std::ptr::read(&(*(obj.raw() as *const ListObj)).items) }
}
