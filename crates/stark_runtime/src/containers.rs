//! List, map, string and tensor operations that change how much memory an object owns. They
//! live in the heap so that growth is charged to the object (I6) and checked against
//! `--max-memory`, and so that a huge request becomes `OutOfMemory` instead of an allocator
//! abort. They are the safe way to change a body: each checks the kind and bounds and holds
//! the body's mutable borrow only inside the call (I5).

use crate::header::{flags, gc_bits, ObjKind};
use crate::heap::{list_buffer_bytes, Heap, OutOfMemory, MAP_ENTRY_BYTES};
use crate::object::StrObj;
use crate::sysalloc::fallible;
use crate::value::{MapKey, MapKeyRef, ObjRef, Value};

impl Heap {
    /// Makes room for `additional` more elements, charging the buffer growth.
    // Out of line: `list_push` inlines into the dispatch loop, and only its growth (one
    // push in many) comes here.
    #[inline(never)]
    pub fn list_reserve(&mut self, list: ObjRef, additional: usize) -> Result<(), OutOfMemory> {
        let items = list.list();
        let needed = items
            .len()
            .checked_add(additional)
            .ok_or_else(|| self.system_oom(u64::MAX))?;
        if needed <= items.capacity() {
            return Ok(());
        }
        let old_cap = items.capacity();
        let new_cap = needed.max(old_cap.saturating_mul(2)).max(4);
        let grow = list_buffer_bytes(new_cap - old_cap);
        if grow > i64::MAX as u64 {
            return Err(self.system_oom(grow));
        }
        self.resize(list, grow as i64)?;
        // SAFETY: the only borrow of the list's body here (`items` above has ended, `resize`
        // reads the header and the row); the caller holds none across this call (I5).
        let items = unsafe { list.list_mut() };
        if fallible(|| items.try_reserve_exact(new_cap - items.len())).is_err() {
            self.resize(list, -(grow as i64))?;
            return Err(self.system_oom(grow));
        }
        // try_reserve_exact may round up; charge what was actually reserved.
        let actual = list_buffer_bytes(items.capacity()) as i64 - list_buffer_bytes(old_cap) as i64;
        self.resize(list, actual - grow as i64)
    }

    /// `list[index]` out of a list whose reference the caller gives up (a temporary, as in
    /// `args()[0]`), as an owned value. A list nobody else holds gives the element up: it
    /// is moved out, with no count change, and the list is then released. A shared (or
    /// arena) list keeps it, and the element gets one more reference. `index` must be in
    /// range (the caller checks).
    ///
    /// # Safety
    /// As for [`Heap::decref_obj`]: the caller owns the reference to `list` it gives up.
    pub unsafe fn list_take(&mut self, list: ObjRef, index: usize) -> Value {
        let h = list.header();
        let v = if h.strong.get() == 1 && !h.has_flag(flags::ARENA) {
            // SAFETY: the caller's reference is the only one, so nothing else borrows the
            // body; this borrow ends with the statement (I5).
            std::mem::replace(unsafe { &mut list.list_mut()[index] }, Value::None)
        } else {
            let v = list.list()[index];
            self.incref(v);
            v
        };
        // SAFETY: the caller owns this reference and gives it up (this function's contract).
        unsafe { self.decref_obj(list) };
        v
    }

    /// `list.push(v)`, taking over `v`'s reference.
    #[inline(always)]
    pub fn list_push(&mut self, list: ObjRef, v: Value) -> Result<(), OutOfMemory> {
        if list.list().len() == list.list().capacity() {
            self.list_reserve(list, 1)?;
        }
        self.note_stored(v, list);
        // SAFETY: the only borrow of the list's body here (the reads above have ended;
        // `note_stored` reads headers and rows); the caller holds none across this call (I5).
        unsafe { list.list_mut() }.push(v);
        Ok(())
    }

    /// `list.insert(i, v)` with `i <= len` (checked by the caller).
    pub fn list_insert(&mut self, list: ObjRef, index: usize, v: Value) -> Result<(), OutOfMemory> {
        self.list_reserve(list, 1)?;
        self.note_stored(v, list);
        // SAFETY: as in `list_push`: the only borrow of the body (I5).
        unsafe { list.list_mut() }.insert(index, v);
        Ok(())
    }

    /// Empties a list, releasing its elements (in order) and keeping the buffer.
    pub fn list_clear(&mut self, list: ObjRef) {
        // SAFETY: the only borrow of the list's body, ended with the statement (I5).
        let items = std::mem::take(unsafe { list.list_mut() });
        for v in items.iter().rev() {
            // SAFETY: the list owned each element's reference (I3), and the elements are
            // out of it now: this gives up exactly the list's reference.
            unsafe { self.decref(*v) };
        }
        // Keep the (now empty) buffer so accounting stays equal to the capacity.
        let mut items = items;
        items.clear();
        // SAFETY: as above; `decref` queues and never touches a body (I7).
        *unsafe { list.list_mut() } = items;
    }

    /// Puts `v` into child slot `slot` of a struct, list or map (a map's `slot`-th entry's
    /// value), taking over its reference, and returns what the slot held (the caller owns it
    /// now). For objects whose children are filled in after they exist (`x.copy()`, an
    /// actor's import); the caller notes the store first (`note_stored`,
    /// `note_arena_store`). Panics when the object has no such slot.
    pub fn set_child(&mut self, holder: ObjRef, slot: usize, v: Value) -> Value {
        // SAFETY: the only borrow of the holder's body, ended with the statement below; the
        // caller holds none across this call (I5).
        let place = unsafe {
            match holder.kind() {
                ObjKind::Struct => &mut holder.fields_mut()[slot],
                ObjKind::List => &mut holder.list_mut()[slot],
                ObjKind::Map => {
                    holder
                        .map_mut()
                        .get_index_mut(slot)
                        .expect("slot in range")
                        .1
                }
                other => panic!("internal error: a {} has no child slots", other.name()),
            }
        };
        std::mem::replace(place, v)
    }

    /// Builds a fresh list of strings.
    pub fn alloc_str_list<I, S>(&mut self, texts: I) -> Result<ObjRef, OutOfMemory>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str> + Into<Box<str>>,
    {
        let list = self.alloc_list(Vec::new())?;
        for t in texts {
            let s = match self.alloc_str(t) {
                Ok(s) => s,
                Err(e) => {
                    // SAFETY: the list is this function's own, made above.
                    unsafe { self.decref_obj(list) };
                    return Err(e);
                }
            };
            if let Err(e) = self.list_push(list, Value::Obj(s)) {
                // SAFETY: both are this function's own: the push failed, so the list did
                // not take the string over.
                unsafe {
                    self.decref_obj(s);
                    self.decref_obj(list);
                }
                return Err(e);
            }
        }
        Ok(list)
    }

    /// `map[key] = v`, taking over `v`; returns the replaced value (still owned: the caller
    /// releases it).
    pub fn map_insert(
        &mut self,
        map: ObjRef,
        key: MapKey,
        v: Value,
    ) -> Result<Option<Value>, OutOfMemory> {
        self.note_stored(v, map);
        // SAFETY: the only borrow of the map's body here, until the `try_reserve` below
        // (`check_limit` reads counters only); the caller holds none across this call (I5).
        let body = unsafe { map.map_mut() };
        if let Some(slot) = body.get_mut(&key) {
            return Ok(Some(std::mem::replace(slot, v)));
        }
        let old_cap = body.capacity();
        let key_bytes = key.extra_bytes();
        if body.len() == old_cap {
            let want = (old_cap.max(4)) as u64 * MAP_ENTRY_BYTES as u64;
            self.check_limit(want)?;
            // SAFETY: `body` is not used past here; this is again the only borrow (I5).
            if fallible(|| unsafe { map.map_mut() }.try_reserve(1)).is_err() {
                return Err(self.system_oom(want));
            }
        }
        // SAFETY: the only borrow of the body again; `resize` below runs after its last use.
        let body = unsafe { map.map_mut() };
        body.insert(key, v);
        let grown = (body.capacity() - old_cap) * MAP_ENTRY_BYTES + key_bytes;
        self.resize(map, grown as i64)?;
        Ok(None)
    }

    /// Removes `key`, keeping the other entries in insertion order; returns the value (owned).
    pub fn map_remove(&mut self, map: ObjRef, key: MapKeyRef<'_>) -> Option<Value> {
        // SAFETY: the only borrow of the map's body, ended with the statement; `key` is the
        // caller's text, not a key of this map (I5).
        let (k, v) = unsafe { map.map_mut() }.shift_remove_entry(&key)?;
        // A refund never fails.
        let _ = self.resize(map, -(k.extra_bytes() as i64));
        Some(v)
    }

    /// Empties a map, releasing its values (in insertion order).
    pub fn map_clear(&mut self, map: ObjRef) {
        // SAFETY: the only borrow of the map's body; it ends before `resize` (I5).
        let body = unsafe { map.map_mut() };
        let key_bytes: usize = body.keys().map(|k| k.extra_bytes()).sum();
        let values: Vec<Value> = body.drain(..).map(|(_, v)| v).collect();
        let _ = self.resize(map, -(key_bytes as i64));
        for v in values.iter().rev() {
            // SAFETY: the map owned each value's reference (I3), and they are out of it now.
            unsafe { self.decref(*v) };
        }
    }
}

impl Heap {
    /// `s + text` (or `text + s`, `at_front`) written into `s` itself, when `s` is a heap
    /// string nothing else refers to: no other owner, no weak reference, not in the
    /// collector's buffers, not a constant, arena or local object. Returns `Ok(false)`, and
    /// changes nothing, when `s` does not qualify or `text` is part of `s`'s own text. The
    /// caller gives up its reference to `s` for the result, which is `s`.
    pub fn str_extend_unique(
        &mut self,
        s: ObjRef,
        text: &str,
        at_front: bool,
    ) -> Result<bool, OutOfMemory> {
        let h = s.header();
        if h.kind != ObjKind::Str
            || h.strong.get() != 1
            || h.weak.get() != 0
            || h.gc.get() & gc_bits::PINS != 0
            || h.flags.get() & !flags::OWNER_MASK != 0
        {
            return Ok(false);
        }
        let add = text.len();
        if add == 0 {
            return Ok(true);
        }
        // `text` read out of `s` itself would be freed by the growth below (I5): decline.
        let own = s.as_str().as_bytes().as_ptr_range();
        if own.contains(&text.as_ptr()) {
            return Ok(false);
        }
        // SAFETY: a live string (checked above) with an initialised body.
        if unsafe { crate::object::str_is_inline(s) } {
            // Its text shares its block: it grows in place only while the block's size
            // class has room (the block is then the right one for the longer text too);
            // past that the caller makes a new string, boxed once past `INLINE_STR_MAX`.
            let old = s.as_str().len();
            let new = old + add;
            if add > crate::object::INLINE_STR_MAX
                || !crate::pool::same_block(
                    crate::object::inline_str_layout(old),
                    crate::object::inline_str_layout(new),
                )
            {
                return Ok(false);
            }
            self.resize(s, add as i64)?;
            if h.gc.get() & gc_bits::STR_ASCII != 0 && !text.is_ascii() {
                h.gc.set(h.gc.get() & !(gc_bits::STR_ASCII_KNOWN | gc_bits::STR_ASCII));
            }
            // The length in code points it may have cached is the old text's.
            h.slot.set(crate::object::NO_CHAR_LEN);
            // SAFETY: an inline string's text lies right after its StrObj in a block whose
            // size class holds `new` bytes there (`same_block`); the caller owns the only
            // reference and gives it up, so nothing reads the text while it changes. The
            // result is valid UTF-8: two whole strings, one after the other.
            unsafe {
                let at = s.raw().add(std::mem::size_of::<crate::object::StrObj>());
                if at_front {
                    std::ptr::copy(at, at.add(add), old);
                    std::ptr::copy_nonoverlapping(text.as_ptr(), at, add);
                } else {
                    std::ptr::copy_nonoverlapping(text.as_ptr(), at.add(old), add);
                }
                let slice = std::ptr::slice_from_raw_parts_mut(at, new) as *mut str;
                (*(s.raw() as *mut crate::object::StrObj)).text =
                    std::ptr::NonNull::new_unchecked(slice);
            }
            return Ok(true);
        }
        if s.as_str().len().checked_add(add).is_none() || add > i64::MAX as usize {
            return Err(self.system_oom(u64::MAX));
        }
        self.resize(s, add as i64)?;
        // The text changes: what was known of it being ASCII holds only if `text` is.
        if h.gc.get() & gc_bits::STR_ASCII != 0 && !text.is_ascii() {
            h.gc.set(h.gc.get() & !(gc_bits::STR_ASCII_KNOWN | gc_bits::STR_ASCII));
        }
        // SAFETY: I2 — kind Str, so the allocation is a StrObj with a live body (not DEAD:
        // flags are clear). Not an arena string (flags are clear), so its text is a leaked
        // `Box<str>` (`alloc_str`) that only this object owns. The caller owns the only
        // strong reference and gives it up, so no other register, field or view reads the
        // text while it is replaced; the slot holds a valid box again before returning.
        let slot = unsafe { &mut (*(s.raw() as *mut StrObj)).text };
        // SAFETY: see above; the box is put back into the slot on every path below.
        let mut buf = unsafe { Box::from_raw(slot.as_ptr()) }.into_string();
        if fallible(|| buf.try_reserve_exact(add)).is_err() {
            *slot = std::ptr::NonNull::from(Box::leak(buf.into_boxed_str()));
            self.resize(s, -(add as i64))?;
            return Err(self.system_oom(add as u64));
        }
        if at_front {
            buf.insert_str(0, text);
        } else {
            buf.push_str(text);
        }
        *slot = std::ptr::NonNull::from(Box::leak(buf.into_boxed_str()));
        Ok(true)
    }

    /// Moves a uniquely owned tensor's body out (the buffer is not copied), leaving an
    /// empty 0-element tensor behind, refunded its bytes; the caller then releases it.
    /// Only for a tensor that owns its buffer (a view's body refers to its base).
    pub fn take_tensor_body(&mut self, t: ObjRef) -> crate::data::TensorBody {
        let dtype = t.tensor().dtype;
        let empty = crate::data::TensorBody::owned(
            dtype,
            vec![0],
            crate::tensor_pool::TensorBuf::new(0).expect("an empty buffer needs no memory"),
        );
        // SAFETY: the only borrow of the tensor's body, ended with the statement; the caller
        // holds none across this call (I5).
        let body = std::mem::replace(unsafe { t.tensor_mut() }, empty);
        let bytes = body.charge() as i64 - t.tensor().charge() as i64;
        let _ = self.resize(t, -bytes);
        body
    }
}
