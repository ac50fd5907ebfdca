//! Counting (I3, I7): `incref`, `decref` (which queues, never frees), immortal constants
//! and the pending stack.

// The heap's shared imports and helpers (`mod.rs`).
use super::*;

impl Heap {
    #[inline]
    pub fn incref(&mut self, v: Value) {
        if let Value::Obj(o) = v {
            incref_obj(o);
        }
    }

    /// Releases one strong reference. Never frees (I7): a count reaching zero queues the
    /// object; the caller drains with [`Heap::pop_pending`] + [`Heap::release`] (the VM runs
    /// destructors in between).
    ///
    /// # Safety
    /// As for [`Heap::decref_obj`], when `v` is an object.
    #[inline]
    pub unsafe fn decref(&mut self, v: Value) {
        if let Value::Obj(o) = v {
            // SAFETY: the caller's promise, passed on.
            unsafe { self.decref_obj(o) };
        }
    }

    /// [`Heap::decref`] of an object.
    ///
    /// # Safety
    /// The caller owns the reference it gives up (I3) — an allocation's, an `incref`'s, or
    /// one a container or register held and no longer does — and uses it no more; it is not
    /// a view. Giving up a reference nobody owned leaves the count below the number of
    /// holders, and the object is freed, by a later `release`, while something still points
    /// at it (I1). `o` is alive (I1); arena objects are ignored (A1).
    #[inline]
    pub unsafe fn decref_obj(&mut self, o: ObjRef) {
        let h = o.header();
        // A1: arena objects are freed with their arena, never by count.
        if h.has_flag(flags::ARENA) {
            return;
        }
        let n = h.strong.get();
        assert!(
            n > 0,
            "reference count underflow: a value was released twice"
        );
        if n > 1 {
            h.strong.set(n - 1);
            // Bacon–Rajan: a count decremented to non-zero may have left a garbage cycle.
            if h.gc.get() & gc_bits::IN_ROOTS == 0 {
                self.possible_root(o);
            }
        } else if h.has_flag(flags::IMMORTAL) {
            // Constants are stored uncounted (see `flags::IMMORTAL`): the table's own
            // reference is all that was ever guaranteed, so the count goes back to it.
            h.strong.set(1);
        } else {
            h.strong.set(0);
            // I3: a finalizing object is not queued again; its destructor loop checks the
            // count itself once the destructor returns.
            if !h.has_flag(flags::FINALIZING) {
                self.pending.push(o);
            }
        }
    }

    /// Makes `o` (a string constant the caller's constant table owns) immortal: compiled
    /// code may then store and release it without counting (`flags::IMMORTAL`).
    pub fn make_immortal(&mut self, o: ObjRef) {
        o.header().set_flag(flags::IMMORTAL);
    }

    /// Ends a constant's immortality at the end of a run and releases the table's
    /// reference: it is queued for release like any object whose count reaches zero.
    ///
    /// # Safety
    /// `o` is a constant made immortal by [`Heap::make_immortal`] whose table's reference is
    /// the one given up here, and nothing else references it any more (I1): its count is
    /// forced to one first, since uncounted stores made it meaningless.
    pub unsafe fn release_immortal(&mut self, o: ObjRef) {
        let h = o.header();
        h.clear_flag(flags::IMMORTAL);
        h.strong.set(1);
        // SAFETY: the table's reference, the only one left (this function's contract).
        unsafe { self.decref_obj(o) };
    }

    /// The write failure of a stream closed by its release, if one happened since the last
    /// call (see `io_failure`).
    pub fn take_io_failure(&mut self) -> Option<(String, std::io::Error)> {
        self.io_failure.take()
    }

    #[inline]
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    #[inline]
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    #[inline]
    pub fn pop_pending(&mut self) -> Option<ObjRef> {
        self.pending.pop()
    }

    /// Releases every queued object, without destructors (for runtime-only users and tests;
    /// the VM drains itself so that it can run destructors).
    ///
    /// # Safety
    /// Every queued object is unreachable: each reference given up on the way to its count
    /// reaching zero was one its giver owned ([`Heap::decref_obj`]'s contract, and the
    /// references containers took over were owned by whoever handed them over), so no
    /// register, field or view still points at it (I1).
    pub unsafe fn drain_pending(&mut self) {
        while let Some(o) = self.pending.pop() {
            // SAFETY: just popped from the pending stack, no destructor runs here, and the
            // caller vouches that nothing points at it any more.
            unsafe { self.release(o) };
        }
    }
}

#[inline]
pub(crate) fn incref_obj(o: ObjRef) {
    let h = o.header();
    if h.has_flag(flags::ARENA) {
        return;
    }
    // 2^32 references would need 64 GiB of 16-byte slots; still, never wrap.
    h.strong.set(
        h.strong
            .get()
            .checked_add(1)
            .expect("reference count overflow"),
    );
}
