//! Allocation: headers from the pool, the struct slabs or the innermost arena, and the
//! objects built on them (strings, lists, maps, structs, weak references, tensors,
//! datasets, streams and tasks), with the metadata each store updates (M14).

// The heap's shared imports and helpers (`mod.rs`).
use super::*;
use crate::actor::{TaskBody, TaskObj};
use crate::column::ColumnBody;
use crate::data::TensorBody;
use crate::data::{
    ColumnObj, DatasetBody, DatasetObj, StreamBody, StreamObj, TensorObj, STREAM_BUFFER_BYTES,
};

impl Heap {
    /// Allocates and initialises a header; the caller writes the body right after.
    /// `extra` is the size of buffers the body owns (charged to the object).
    pub(crate) fn alloc_header(
        &mut self,
        kind: ObjKind,
        type_id: u32,
        len: u32,
        extra: u64,
    ) -> Result<NonNull<Header>, OutOfMemory> {
        let layout = layout_of(kind, len);
        let bytes = layout.size() as u64 + extra;
        self.alloc_header_sized(kind, type_id, len, extra, layout, bytes)
    }

    /// `alloc_header` with the block's layout and the bytes charged given: an inline
    /// string's block holds its text too (`alloc_str`), but it is charged as any string is.
    #[inline]
    fn alloc_header_sized(
        &mut self,
        kind: ObjKind,
        type_id: u32,
        len: u32,
        extra: u64,
        layout: Layout,
        bytes: u64,
    ) -> Result<NonNull<Header>, OutOfMemory> {
        self.check_limit(bytes)?;
        self.collector.allocated += bytes;
        if self.collector.allocated >= self.step_bytes() {
            self.collector.due = true;
        }
        if self.arena_active {
            let Some(ptr) = self.alloc_header_arena(kind, type_id, len, extra, layout) else {
                return Err(self.system_oom(bytes));
            };
            self.account_alloc(ptr, bytes);
            return Ok(ptr);
        }
        let is_struct = kind == ObjKind::Struct;
        let raw = if is_struct {
            self.slabs.alloc(len)
        } else {
            self.pool.alloc(layout)
        };
        let Some(ptr) = NonNull::new(raw as *mut Header) else {
            return Err(self.system_oom(bytes));
        };
        let zone = self.current_zone;
        let slot = if is_struct {
            Header::struct_slot(type_id, len)
        } else {
            let row = self.meta.insert(MetaEntry {
                obj: ObjRef(ptr),
                zone,
                owner: OwnerKind::Binding,
                kind,
                type_id,
                bytes,
            });
            let Some(slot) = row else {
                // SAFETY: `ptr` came from `self.pool.alloc(layout)` just above and nothing
                // else has seen it.
                unsafe { self.pool.dealloc(ptr.as_ptr() as *mut u8, layout) };
                return Err(self.system_oom(bytes));
            };
            slot
        };
        // SAFETY: `ptr` is a fresh allocation of `layout`, which starts with a Header (I2).
        // Owner bits 0 = `OwnerKind::Binding`.
        unsafe {
            ptr.as_ptr().write(Header {
                strong: Cell::new(1),
                weak: Cell::new(0),
                kind,
                zone,
                flags: Cell::new(0),
                gc: Cell::new(0),
                slot: Cell::new(slot),
            });
        }
        self.account_alloc(ptr, bytes);
        Ok(ptr)
    }

    /// Puts a new object (its header written) on the books, and in the trace when its zone
    /// is traced.
    #[inline]
    fn account_alloc(&mut self, ptr: NonNull<Header>, bytes: u64) {
        // SAFETY: the caller just wrote the header at `ptr` (I2); it lives until released.
        let h = unsafe { ptr.as_ref() };
        let zone = h.zone;
        self.zones[zone.index()].on_alloc(bytes);
        if let Some(m) = &self.mirror {
            m.on_alloc(zone, bytes);
        }
        self.total_live += bytes;
        if self.total_live > self.total_peak {
            self.total_peak = self.total_live;
        }
        self.publish_live();
        if self.tracer.any && self.tracer.enabled[zone.index()] {
            h.gc.set(h.gc.get() | gc_bits::TRACED);
            let live = self.zones[zone.index()].live_bytes;
            self.trace_object(TraceKind::Alloc, h, bytes, 0, live);
        }
    }

    /// `alloc_header` for a `kind` that always lives in `zone` (tensors, datasets, streams).
    pub(crate) fn alloc_header_in(
        &mut self,
        zone: Zone,
        kind: ObjKind,
        extra: u64,
    ) -> Result<NonNull<Header>, OutOfMemory> {
        // Tensors, datasets and streams own pooled or OS resources: never arena-allocated.
        let saved = std::mem::replace(&mut self.current_zone, zone);
        let saved_arena = std::mem::replace(&mut self.arena_active, false);
        let r = self.alloc_header(kind, 0, 0, extra);
        self.current_zone = saved;
        self.arena_active = saved_arena;
        r
    }

    /// A new string holding `text`; the caller owns the one strong reference. In an
    /// arena the text is copied into the region, elsewhere an owned `text` is kept as is.
    pub fn alloc_str<S>(&mut self, text: S) -> Result<ObjRef, OutOfMemory>
    where
        S: AsRef<str> + Into<Box<str>>,
    {
        if self.arena_active {
            return self.alloc_str_arena(text.as_ref());
        }
        let len = text.as_ref().len();
        if len <= INLINE_STR_MAX {
            return self.alloc_str_inline(text.as_ref(), 0);
        }
        let text: Box<str> = text.into();
        let ptr = self.alloc_header(ObjKind::Str, 0, 0, text.len() as u64)?;
        // SAFETY: the allocation has StrObj's layout (I2); the body field is uninitialised
        // and written exactly once here. The box is freed by `drop_str_text` (A5: this is
        // not an arena string, `arena_active` is off).
        unsafe {
            std::ptr::addr_of_mut!((*(ptr.as_ptr() as *mut StrObj)).text)
                .write(NonNull::from(Box::leak(text)))
        };
        Ok(ObjRef(ptr))
    }

    /// A new string holding a copy of `text`, its ASCII-ness recorded (`ObjRef::set_str_ascii`):
    /// `ascii` says the caller knows it is ASCII (a piece of an ASCII string); otherwise the
    /// text is checked here, while it is in cache, rather than by a later query. The same as
    /// `alloc_str` without the generic conversion (the hot path of `split`).
    #[inline(always)]
    pub fn alloc_str_copy(&mut self, text: &str, ascii: bool) -> Result<ObjRef, OutOfMemory> {
        let ascii = ascii || text.is_ascii();
        if !self.arena_active && text.len() <= INLINE_STR_MAX {
            let bits = gc_bits::STR_ASCII_KNOWN | if ascii { gc_bits::STR_ASCII } else { 0 };
            return self.alloc_str_inline(text, bits);
        }
        let o = self.alloc_str(text)?;
        o.set_str_ascii(ascii);
        Ok(o)
    }

    /// A short string whose text lies in its own block, right after the `StrObj`: one pool
    /// allocation instead of a header and a boxed text (`object::str_is_inline`). It is
    /// charged what any string of that text is (I6). `gc` holds the ASCII bits known of the
    /// text (`gc_bits::STR_ASCII_KNOWN`, `STR_ASCII`), or 0. The caller checked that no
    /// arena is active. This is `alloc_header_sized` for this one shape, without its
    /// layouts and its dispatch on kinds: every short string a program makes passes here.
    #[inline(always)]
    fn alloc_str_inline(&mut self, text: &str, gc: u8) -> Result<ObjRef, OutOfMemory> {
        self.alloc_str_inline_with(text.len(), gc, |dst| {
            // SAFETY: `dst` has room for `text.len()` bytes (`alloc_str_inline_with`) and is
            // a fresh block, apart from `text`.
            unsafe { copy_short(text.as_ptr(), dst, text.len()) };
            text.len()
        })
    }

    /// `alloc_str_inline` of a text of `len` bytes that `write` puts at the pointer it is
    /// given (room for exactly `len` bytes) and whose length it returns; anything but `len`
    /// stops the program, as the block would be the wrong size. Private: every caller
    /// writes the bytes of whole `&str`s, so the text is valid UTF-8.
    #[inline(always)]
    fn alloc_str_inline_with(
        &mut self,
        len: usize,
        gc: u8,
        write: impl FnOnce(*mut u8) -> usize,
    ) -> Result<ObjRef, OutOfMemory> {
        debug_assert!(!self.arena_active && len <= INLINE_STR_MAX);
        let size = std::mem::size_of::<StrObj>() + len;
        let bytes = size as u64;
        self.check_limit(bytes)?;
        self.collector.allocated += bytes;
        if self.collector.allocated >= self.step_bytes() {
            self.collector.due = true;
        }
        let Some(ptr) = NonNull::new(self.pool.alloc_small(size) as *mut Header) else {
            return Err(self.system_oom(bytes));
        };
        // The text first, while the block is nobody's: a `write` that panics or lies about
        // its length leaves no header behind for the heap's walks or its teardown to read.
        // Until the header is written the block reads as free to a walk of the pool (P3).
        // SAFETY: the block has room for a StrObj and then `len` bytes (`size`); the kind
        // byte lies in the header's place, before the text.
        let bytes_at = unsafe {
            let block = ptr.as_ptr() as *mut u8;
            *block.add(crate::header::KIND_OFFSET) = crate::header::FREE_BLOCK;
            block.add(std::mem::size_of::<StrObj>())
        };
        let written = write(bytes_at);
        if written != len {
            // SAFETY: `ptr` came from `self.pool.alloc_small(size)` just above and nothing
            // else has seen it.
            unsafe { self.pool.dealloc_small(ptr.as_ptr() as *mut u8, size) };
            panic!("a string's text is not the size announced");
        }
        let zone = self.current_zone;
        // SAFETY: the block has `inline_str_layout(len)`'s size: a StrObj followed by `len`
        // bytes (I2). The header and the body are written once here; `write` filled exactly
        // those bytes (checked) and `text` points at them; they are valid UTF-8 because they
        // are copies of whole `&str`s (the callers above). Owner bits 0 = `OwnerKind::Binding`.
        // No metadata row: a short string's header and length are its row (I6), and the
        // pool's walk finds it (`Heap::live_entries`). `slot` caches its length in code
        // points once known (`ObjRef::str_char_len`), `NO_CHAR_LEN` until then.
        unsafe {
            ptr.as_ptr().write(Header {
                strong: Cell::new(1),
                weak: Cell::new(0),
                kind: ObjKind::Str,
                zone,
                flags: Cell::new(0),
                gc: Cell::new(gc),
                slot: Cell::new(crate::object::NO_CHAR_LEN),
            });
            let slice = std::ptr::slice_from_raw_parts_mut(bytes_at, len) as *mut str;
            std::ptr::addr_of_mut!((*(ptr.as_ptr() as *mut StrObj)).text)
                .write(NonNull::new_unchecked(slice));
        }
        self.account_alloc(ptr, bytes);
        Ok(ObjRef(ptr))
    }

    /// A new string whose text is `parts` one after the other, `len` bytes in all (`ascii`:
    /// the caller knows they are all ASCII). A short one is written straight into its block,
    /// with no buffer in between. Parts that do not add up to `len` stop the program.
    pub fn alloc_str_parts<'t>(
        &mut self,
        len: usize,
        ascii: bool,
        parts: impl Iterator<Item = &'t str>,
    ) -> Result<ObjRef, OutOfMemory> {
        self.alloc_str_joined(len, ascii, "", parts)
    }

    /// `alloc_str_parts` with `sep` between the parts (`sep.join(xs)`, which knows its
    /// length before it copies): one loop over the parts, rather than an iterator that
    /// interleaves the separator, which cost `join` more than its copying.
    pub fn alloc_str_joined<'t>(
        &mut self,
        len: usize,
        ascii: bool,
        sep: &str,
        parts: impl Iterator<Item = &'t str>,
    ) -> Result<ObjRef, OutOfMemory> {
        if self.arena_active || len > INLINE_STR_MAX {
            let mut text = String::new();
            if crate::sysalloc::fallible(|| text.try_reserve_exact(len)).is_err() {
                return Err(self.system_oom(len as u64));
            }
            for (i, p) in parts.enumerate() {
                if i > 0 {
                    text.push_str(sep);
                }
                text.push_str(p);
            }
            assert_eq!(text.len(), len, "a string's text is not the size announced");
            let o = self.alloc_str(text)?;
            if ascii {
                o.set_str_ascii(true);
            }
            return Ok(o);
        }
        let bits = if ascii {
            gc_bits::STR_ASCII_KNOWN | gc_bits::STR_ASCII
        } else {
            0
        };
        self.alloc_str_inline_with(len, bits, |dst| {
            let mut at = 0;
            let mut put = |p: &str| {
                assert!(
                    p.len() <= len - at,
                    "a string's text is not the size announced"
                );
                // SAFETY: `dst` has room for `len` bytes and `at + p.len() <= len` (checked
                // just above); the block is fresh, apart from every part.
                unsafe { copy_short(p.as_ptr(), dst.add(at), p.len()) };
                at += p.len();
            };
            let mut parts = parts;
            if let Some(p) = parts.next() {
                put(p);
                for p in parts {
                    put(sep);
                    put(p);
                }
            }
            at
        })
    }

    /// `split()`'s result: a new list of new strings, the pieces `text[start..end]` of
    /// `pieces` (with `ascii`: the caller knows the piece is ASCII; otherwise it is checked
    /// here, while in cache). The objects are those `alloc_str_copy` of every piece and
    /// `alloc_list` of them make, but what can be done once for the whole list is: one check
    /// against the memory limit, one update of the books (the zone's counters, the live
    /// total, the collector's count of bytes), and the strings are made owned by a field
    /// (what `alloc_list` would note on each) instead of noted one by one. In an arena, with
    /// a zone traced (one event per object) or in an actor's heap (its mirror) each piece is
    /// made on its own instead, as is a piece too long to be a short string.
    pub fn alloc_str_slices(
        &mut self,
        text: &str,
        pieces: &[(usize, usize, bool)],
    ) -> Result<ObjRef, OutOfMemory> {
        let mut items: Vec<Value> = Vec::new();
        self.push_str_slices(&mut items, text, pieces)?;
        self.finish_str_slices(items)
    }

    /// Whether `push_str_slices` makes its strings in one batch, owned by a field.
    fn str_batch(&self) -> bool {
        !self.arena_active && !self.tracer.any && self.mirror.is_none()
    }

    /// The list of the strings `push_str_slices` made into `items` (taken over).
    pub fn finish_str_slices(&mut self, items: Vec<Value>) -> Result<ObjRef, OutOfMemory> {
        if self.str_batch() {
            // Fresh strings outside any arena, already owned by a field: nothing to note.
            self.alloc_list_noted(items)
        } else {
            self.alloc_list(items)
        }
    }

    /// `alloc_str_slices`' strings, pushed onto `items`, a list's items being built piece
    /// list by piece list (a caller splitting a long text keeps only a few thousand pieces
    /// at a time, not one entry per line of it); `finish_str_slices` makes the list. On
    /// failure every string in `items` is released (those of earlier calls too).
    pub fn push_str_slices(
        &mut self,
        items: &mut Vec<Value>,
        text: &str,
        pieces: &[(usize, usize, bool)],
    ) -> Result<(), OutOfMemory> {
        if crate::sysalloc::fallible(|| items.try_reserve(pieces.len())).is_err() {
            self.release_new(items);
            let n = items.len() + pieces.len();
            return Err(self.system_oom((n * std::mem::size_of::<Value>()) as u64));
        }
        if !self.str_batch() {
            for &(a, b, ascii) in pieces {
                match self.alloc_str_copy(&text[a..b], ascii) {
                    Ok(o) => items.push(Value::Obj(o)),
                    Err(e) => {
                        self.release_new(items);
                        return Err(e);
                    }
                }
            }
            return Ok(());
        }
        let total: u64 = pieces
            .iter()
            .filter(|&&(a, b, _)| b - a <= INLINE_STR_MAX)
            .map(|&(a, b, _)| (std::mem::size_of::<StrObj>() + b - a) as u64)
            .sum();
        if let Err(e) = self.check_limit(total) {
            self.release_new(items);
            return Err(e);
        }
        let zone = self.current_zone;
        let (mut made, mut count) = (0u64, 0u64);
        for &(a, b, ascii) in pieces {
            let piece = &text[a..b];
            let len = piece.len();
            if len > INLINE_STR_MAX {
                // Too long to be a short string: made (and put on the books) on its own,
                // and noted as the list's, as `alloc_list` would.
                match self.alloc_str_copy(piece, ascii) {
                    Ok(o) => {
                        self.note_value(Value::Obj(o), false);
                        items.push(Value::Obj(o));
                    }
                    Err(e) => {
                        self.account_many(zone, count, made);
                        self.release_new(items);
                        return Err(e);
                    }
                }
                continue;
            }
            let size = std::mem::size_of::<StrObj>() + len;
            let Some(ptr) = NonNull::new(self.pool.alloc_small(size) as *mut Header) else {
                // The strings made so far go on the books, then are freed with the rest.
                self.account_many(zone, count, made);
                self.release_new(items);
                return Err(self.system_oom(size as u64));
            };
            let ascii = ascii || piece.is_ascii();
            let gc = gc_bits::STR_ASCII_KNOWN | if ascii { gc_bits::STR_ASCII } else { 0 };
            // SAFETY: as in `alloc_str_inline_with`: the block has room for a StrObj and then
            // `len` bytes (`size`), apart from `text`; the header and body are written once
            // (I2), the text first (P3: the block reads as free until the header is
            // written) and copied from a whole `&str` (valid UTF-8). No metadata row: a
            // short string's header and length are its row (I6). Owner bits 1 =
            // `OwnerKind::Field`, the list's element, as `alloc_list` would note it.
            unsafe {
                let block = ptr.as_ptr() as *mut u8;
                *block.add(crate::header::KIND_OFFSET) = crate::header::FREE_BLOCK;
                let bytes_at = block.add(std::mem::size_of::<StrObj>());
                copy_short(piece.as_ptr(), bytes_at, len);
                ptr.as_ptr().write(Header {
                    strong: Cell::new(1),
                    weak: Cell::new(0),
                    kind: ObjKind::Str,
                    zone,
                    flags: Cell::new(OwnerKind::Field as u8),
                    gc: Cell::new(gc),
                    slot: Cell::new(crate::object::NO_CHAR_LEN),
                });
                let slice = std::ptr::slice_from_raw_parts_mut(bytes_at, len) as *mut str;
                std::ptr::addr_of_mut!((*(ptr.as_ptr() as *mut StrObj)).text)
                    .write(NonNull::new_unchecked(slice));
            }
            made += size as u64;
            count += 1;
            items.push(Value::Obj(ObjRef(ptr)));
        }
        self.account_many(zone, count, made);
        Ok(())
    }

    /// `account_alloc` of `count` new untraced objects of `bytes` in all, in `zone`, made in
    /// a heap without a mirror (`alloc_str_slices`), and the collector's count of them.
    fn account_many(&mut self, zone: Zone, count: u64, bytes: u64) {
        debug_assert!(self.mirror.is_none() && !self.tracer.any);
        self.collector.allocated += bytes;
        if self.collector.allocated >= self.step_bytes() {
            self.collector.due = true;
        }
        self.zones[zone.index()].on_alloc_many(count, bytes);
        self.total_live += bytes;
        if self.total_live > self.total_peak {
            self.total_peak = self.total_live;
        }
        self.publish_live();
    }

    /// Gives up the only references to objects just made, none of them yet in a container
    /// (a list that could not be built).
    fn release_new(&mut self, items: &[Value]) {
        for &v in items {
            // SAFETY: each was made by the caller and is held nowhere else; each reference
            // is given up once.
            unsafe { self.decref(v) };
        }
    }

    /// A new list taking over the references in `items`.
    pub fn alloc_list(&mut self, items: Vec<Value>) -> Result<ObjRef, OutOfMemory> {
        let into_arena = self.arena_active;
        let mut outward = false;
        for &v in &items {
            outward |= self.note_value(v, into_arena);
        }
        if outward {
            let l = self.alloc_list_noted(items)?;
            self.mark_outward(l, true);
            return Ok(l);
        }
        self.alloc_list_noted(items)
    }

    /// `alloc_list` once its items are noted (`note_value`), none of them pointing out of
    /// an arena.
    fn alloc_list_noted(&mut self, items: Vec<Value>) -> Result<ObjRef, OutOfMemory> {
        let extra = list_buffer_bytes(items.capacity());
        let ptr = self.alloc_header(ObjKind::List, 0, 0, extra)?;
        // SAFETY: ListObj layout (I2); body written once.
        unsafe { std::ptr::addr_of_mut!((*(ptr.as_ptr() as *mut ListObj)).items).write(items) };
        Ok(ObjRef(ptr))
    }

    /// A new map taking over the references in `map`'s values.
    pub fn alloc_map(&mut self, map: MapBody) -> Result<ObjRef, OutOfMemory> {
        let extra = map_buffer_bytes(&map);
        let ptr = self.alloc_header(ObjKind::Map, 0, 0, extra)?;
        // SAFETY: MapObj layout (I2); body written once.
        unsafe { std::ptr::addr_of_mut!((*(ptr.as_ptr() as *mut MapObj)).map).write(map) };
        Ok(ObjRef(ptr))
    }

    /// A new struct of type `type_id` whose fields take over the references in `fields`.
    #[inline]
    pub fn alloc_struct(&mut self, type_id: u32, fields: &[Value]) -> Result<ObjRef, OutOfMemory> {
        let len = fields.len() as u32;
        let into_arena = self.arena_active;
        let mut outward = false;
        for &v in fields {
            outward |= self.note_value(v, into_arena);
        }
        let ptr = self.alloc_header(ObjKind::Struct, type_id, len, 0)?;
        // SAFETY: the allocation has struct_layout(len): `len` Value slots at FIELDS_OFFSET
        // (I2); `fields` cannot overlap a fresh allocation.
        unsafe {
            let dst = (ptr.as_ptr() as *mut u8).add(FIELDS_OFFSET) as *mut Value;
            copy_fields(dst, fields);
        }
        if outward {
            self.mark_outward(ObjRef(ptr), true);
        }
        Ok(ObjRef(ptr))
    }

    /// A struct that escape analysis proved never leaves its function (M9, `NewStruct` with
    /// `stack: true`). It is refcounted and released like any struct — destructors included —
    /// but the program does not see it as a heap allocation: no metadata row, no zone
    /// counters, no trace events, no memory limit (I6). With `views` (a closure that
    /// borrows its captures, SPEC §7), `fields` are views its creator keeps alive for the
    /// struct's whole life: the struct owns none of them and its release gives none up.
    pub fn alloc_struct_local(
        &mut self,
        type_id: u32,
        fields: &[Value],
        views: bool,
    ) -> Result<ObjRef, OutOfMemory> {
        let len = fields.len() as u32;
        let layout = struct_layout(len);
        let Some(ptr) = NonNull::new(self.slabs.alloc(len) as *mut Header) else {
            return Err(self.system_oom(layout.size() as u64));
        };
        // SAFETY: a fresh allocation of struct_layout(len): a Header followed by `len` Value
        // slots (I2); `fields` cannot overlap it.
        unsafe {
            ptr.as_ptr().write(Header {
                strong: Cell::new(1),
                weak: Cell::new(0),
                kind: ObjKind::Struct,
                zone: self.current_zone,
                flags: Cell::new(flags::LOCAL),
                gc: Cell::new(if views { gc_bits::VIEWS } else { 0 }),
                slot: Cell::new(Header::struct_slot(type_id, len)),
            });
            let dst = (ptr.as_ptr() as *mut u8).add(FIELDS_OFFSET) as *mut Value;
            copy_fields(dst, fields);
        }
        self.local_objects += 1;
        Ok(ObjRef(ptr))
    }

    /// Live structs allocated with [`Heap::alloc_struct_local`].
    pub fn local_objects(&self) -> u64 {
        self.local_objects
    }

    /// A `WeakRef` to `target` (M6): the strong count is unchanged, the weak count rises.
    pub fn alloc_weak(&mut self, target: ObjRef) -> Result<ObjRef, OutOfMemory> {
        // A6: the stand-in for an arena target is made now, so its arena's close cannot fail.
        let ghost = if target.in_arena() {
            Some(self.alloc_ghost()?)
        } else {
            None
        };
        let ptr = match self.alloc_header(ObjKind::Weak, 0, 0, 0) {
            Ok(p) => p,
            Err(e) => {
                if let Some(g) = ghost {
                    // SAFETY: the stand-in was just made and nothing points at it.
                    unsafe { self.dealloc_object(g) };
                }
                return Err(e);
            }
        };
        // SAFETY: WeakObj layout (I2); body written once.
        unsafe { std::ptr::addr_of_mut!((*(ptr.as_ptr() as *mut WeakObj)).target).write(target) };
        let h = target.header();
        h.weak.set(h.weak.get() + 1);
        if let Some(g) = ghost {
            // The registry pins the weak object's header until the target's arena closes.
            let w = ObjRef(ptr);
            let wh = w.header();
            wh.weak.set(wh.weak.get() + 1);
            self.arena_weaks.push((ObjRef(ptr), g));
        }
        Ok(ObjRef(ptr))
    }

    /// A dead header that weak references to a freed arena value point at (`arena/mod.rs` A6):
    /// not a live object (no row, no counters), deallocated when its weak count drops to 0.
    pub(crate) fn alloc_ghost(&mut self) -> Result<ObjRef, OutOfMemory> {
        let layout = layout_of(ObjKind::Weak, 0);
        let Some(ptr) = NonNull::new(self.pool.alloc(layout) as *mut Header) else {
            return Err(self.system_oom(layout.size() as u64));
        };
        // SAFETY: a fresh pool block of Weak's layout, which starts with a Header (I2); the
        // body is never read: the header is DEAD from the start.
        unsafe {
            ptr.as_ptr().write(Header {
                strong: Cell::new(0),
                weak: Cell::new(0),
                kind: ObjKind::Weak,
                zone: Zone::Global,
                flags: Cell::new(flags::DEAD),
                gc: Cell::new(0),
                slot: Cell::new(0),
            });
        }
        Ok(ObjRef(ptr))
    }

    /// M14: `v` was just stored into `holder` (a struct, list or map); its metadata row
    /// now says a field owns it. (Rows are not switched back when a value is read out and
    /// shared: the field still owns one reference.)
    ///
    /// An arena value stored into a container outside any arena is how an escape the
    /// checker could not see (E0713 is syntactic; a destructor may store `self`) would
    /// start; it marks the arena for the check at its end (`arena_escape`). An object from
    /// outside the arenas stored into an arena holder is an outward edge (A3).
    #[inline(always)]
    pub fn note_stored(&mut self, v: Value, holder: ObjRef) {
        // Scalars are most stores (a `Bool` flag, a `None`): they cost one compare here.
        let Value::Obj(o) = v else { return };
        let into_arena = holder.in_arena();
        if into_arena && o.in_arena() && self.arenas.len() > 1 {
            // Nested arenas: an inner arena's value stored into an outer arena's object
            // escapes the inner one (A2).
            self.note_arena_value(o, Some(holder));
        }
        if self.note_obj(o, into_arena) {
            self.mark_outward(holder, false);
        }
    }

    /// `note_stored` before the holder exists (`into_arena`: it will be an arena object).
    /// Returns whether `v` is an outward edge of it (A3).
    #[inline(always)]
    fn note_value(&mut self, v: Value, into_arena: bool) -> bool {
        match v {
            Value::Obj(o) => self.note_obj(o, into_arena),
            _ => false,
        }
    }

    #[inline(always)]
    fn note_obj(&mut self, o: ObjRef, into_arena: bool) -> bool {
        let h = o.header();
        if h.has_flag(flags::ARENA) && !into_arena {
            self.note_arena_value(o, None);
        }
        if !h.has_flag(flags::LOCAL | flags::ARENA) {
            // Structs and short strings keep their owner kind in their header (I6).
            if h.kind == ObjKind::Struct || o.is_short_str() {
                if h.owner() == OwnerKind::Binding {
                    h.set_owner(OwnerKind::Field);
                }
            } else {
                let row = self.meta.get_mut(h.meta());
                if row.owner == OwnerKind::Binding {
                    row.owner = OwnerKind::Field;
                }
            }
        }
        into_arena && Heap::is_outward(Value::Obj(o))
    }

    /// A new tensor object in the `tensor` zone, charged its buffer's size class (a view
    /// is charged no buffer: its base is, nor is a tensor lent a column's buffer). A view's
    /// body holds a strong reference to its base, a lent tensor's to its column, which the
    /// caller has counted (increfed) for it.
    pub fn alloc_tensor(&mut self, body: TensorBody) -> Result<ObjRef, OutOfMemory> {
        let extra = body.charge();
        let ptr = self.alloc_header_in(Zone::Tensor, ObjKind::Tensor, extra)?;
        // SAFETY: the allocation has TensorObj's layout (I2); the body is written once.
        unsafe { std::ptr::addr_of_mut!((*(ptr.as_ptr() as *mut TensorObj)).body).write(body) };
        Ok(ObjRef(ptr))
    }

    /// A new dataset object in the `io` zone; it takes over the references to its column
    /// objects.
    pub fn alloc_dataset(&mut self, body: DatasetBody) -> Result<ObjRef, OutOfMemory> {
        let ptr = self.alloc_header_in(Zone::Io, ObjKind::Dataset, body.text_bytes())?;
        // SAFETY: DatasetObj layout (I2); body written once.
        unsafe { std::ptr::addr_of_mut!((*(ptr.as_ptr() as *mut DatasetObj)).body).write(body) };
        Ok(ObjRef(ptr))
    }

    /// A new column object in the `tensor` zone, charged its Arrow buffers (M8: a column's
    /// buffers are the `io` zone's while a file is read, the `tensor` zone's after).
    pub fn alloc_column(&mut self, body: ColumnBody) -> Result<ObjRef, OutOfMemory> {
        let ptr = self.alloc_header_in(Zone::Tensor, ObjKind::Column, body.charge())?;
        // SAFETY: ColumnObj layout (I2); body written once.
        unsafe { std::ptr::addr_of_mut!((*(ptr.as_ptr() as *mut ColumnObj)).body).write(body) };
        Ok(ObjRef(ptr))
    }

    /// A new stream object in the `io` zone, charged its buffer.
    pub fn alloc_stream(&mut self, body: StreamBody) -> Result<ObjRef, OutOfMemory> {
        let extra = STREAM_BUFFER_BYTES + body.path.len() as u64;
        let ptr = self.alloc_header_in(Zone::Io, ObjKind::Stream, extra)?;
        // SAFETY: StreamObj layout (I2); body written once.
        unsafe { std::ptr::addr_of_mut!((*(ptr.as_ptr() as *mut StreamObj)).body).write(body) };
        Ok(ObjRef(ptr))
    }

    /// A new `Task` handle. Never arena-allocated: it owns an `Arc`.
    pub fn alloc_task(&mut self, body: TaskBody) -> Result<ObjRef, OutOfMemory> {
        let extra = body.name.len() as u64;
        let ptr = self.alloc_header_in(self.current_zone, ObjKind::Task, extra)?;
        // SAFETY: the allocation has TaskObj's layout (I2); the body is written once.
        unsafe { std::ptr::addr_of_mut!((*(ptr.as_ptr() as *mut TaskObj)).body).write(body) };
        Ok(ObjRef(ptr))
    }
}

/// Copies a new struct's field values out of the registers a word at a time: the registers
/// were just written that way, and a `memcpy` of them would stall on store forwarding.
///
/// # Safety
/// `dst` must be valid for writes of `fields.len()` values and not overlap `fields`.
#[inline]
unsafe fn copy_fields(dst: *mut Value, fields: &[Value]) {
    for (i, f) in fields.iter().enumerate() {
        // SAFETY: `i < fields.len()`, which the caller guarantees `dst` has room for, and `f`
        // is a live value.
        unsafe { Value::copy_words(dst.add(i), f) };
    }
}

/// Appends `s` to `out`: a text of up to 16 bytes is copied as `copy_short` copies, not by
/// `push_str`'s call to `memcpy`. The pieces a formatted f-string is built from (the `|`
/// between fields, a number's digits, a run of padding) are that short, and the calls cost
/// more than the copying.
#[inline(always)]
pub fn push_str_short(out: &mut String, s: &str) {
    let n = s.len();
    if n > 16 {
        out.push_str(s);
        return;
    }
    out.reserve(n);
    // SAFETY: `reserve` left room for `n` more bytes after the `len` in use, so the copy
    // writes inside the buffer's capacity, which `s` (a shared borrow, while `out` is
    // borrowed mutably) cannot overlap. The bytes written are the whole of `s`, valid
    // UTF-8 after valid UTF-8, so `out` is still UTF-8 when its length takes them in.
    unsafe {
        let v = out.as_mut_vec();
        let len = v.len();
        copy_short(s.as_ptr(), v.as_mut_ptr().add(len), n);
        v.set_len(len + n);
    }
}

/// Copies `len` bytes of a short string's text: words that may overlap each other rather
/// than a call to `memcpy`, which costs more than the copy for the few bytes of a word.
///
/// # Safety
/// `src` is valid for reads and `dst` for writes of `len` bytes, and the two do not overlap.
#[inline(always)]
unsafe fn copy_short(src: *const u8, dst: *mut u8, len: usize) {
    // SAFETY: every access below lies within `src[..len]` / `dst[..len]` (the caller's
    // promise): a word at the start and one ending at `len`, of a width that fits.
    unsafe {
        if len >= 8 {
            if len > 16 {
                std::ptr::copy_nonoverlapping(src, dst, len);
                return;
            }
            let a = std::ptr::read_unaligned(src as *const u64);
            let b = std::ptr::read_unaligned(src.add(len - 8) as *const u64);
            std::ptr::write_unaligned(dst as *mut u64, a);
            std::ptr::write_unaligned(dst.add(len - 8) as *mut u64, b);
        } else if len >= 4 {
            let a = std::ptr::read_unaligned(src as *const u32);
            let b = std::ptr::read_unaligned(src.add(len - 4) as *const u32);
            std::ptr::write_unaligned(dst as *mut u32, a);
            std::ptr::write_unaligned(dst.add(len - 4) as *mut u32, b);
        } else if len >= 2 {
            // Two and three bytes as two halfwords, and one byte alone: a loop here was
            // recognised as a copy and became a call to `memcpy` (one for every separator
            // of a `join` and every short word of a `split`).
            let a = std::ptr::read_unaligned(src as *const u16);
            let b = std::ptr::read_unaligned(src.add(len - 2) as *const u16);
            std::ptr::write_unaligned(dst as *mut u16, a);
            std::ptr::write_unaligned(dst.add(len - 2) as *mut u16, b);
        } else if len == 1 {
            *dst = *src;
        }
    }
}
