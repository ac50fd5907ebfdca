//! Synchronous cycle collection by trial deletion (the "collect cycles" step of Bacon and
//! Rajan, run over every live object of a zone rather than a root buffer).
//!
//! Collection is split in two so the VM can run destructors of cyclic garbage before its
//! memory is released (M7):
//! 1. [`Heap::find_cycle_garbage`] subtracts internal references from each candidate's
//!    strong count; what keeps a positive count is referenced from outside (registers,
//!    pending objects, other zones) and, with everything reachable from it, is live. The rest
//!    is garbage, returned with one extra strong reference each (the collector's hold), so
//!    that destructors dropping fields cannot free a member early.
//! 2. [`Heap::free_cycle_garbage`] drops the holds, repeats the count (a destructor may
//!    have resurrected part of the garbage by storing `self` somewhere), and frees what is
//!    still garbage: references between garbage objects are simply forgotten, references to
//!    outside objects are released normally.

use crate::collector::pauses::{Pause, StepWork};
use crate::header::{flags, ObjKind};
use crate::heap::{incref_obj, Heap};
use crate::object::FxHasher;
use crate::value::{ObjRef, Value};
use crate::zone::Zone;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Calls `f` with each object `obj` holds a strong reference to, in field order.
pub fn trace(obj: ObjRef, mut f: impl FnMut(ObjRef)) {
    let mut visit = |v: &Value| {
        if let Value::Obj(o) = v {
            f(*o)
        }
    };
    match obj.kind() {
        ObjKind::Struct => obj.fields().iter().for_each(&mut visit),
        ObjKind::List => obj.list().iter().for_each(&mut visit),
        ObjKind::Map => obj.map().values().for_each(&mut visit),
        // A weak reference is not a strong edge; a string holds none.
        ObjKind::Dataset => obj.dataset().children().for_each(f),
        // A view holds its base, a tensor lent a column's buffer that column (neither
        // holds anything).
        ObjKind::Tensor => obj.tensor().held().into_iter().for_each(f),
        ObjKind::Weak | ObjKind::Str | ObjKind::Stream | ObjKind::Task | ObjKind::Column => {}
    }
}

/// Like [`trace`], but stops as soon as `f` returns `false`: a bounded snapshot step must
/// not walk the rest of a million-element list whose edges it will not copy (C4).
pub fn trace_while(obj: ObjRef, mut f: impl FnMut(ObjRef) -> bool) {
    let mut visit = |v: &Value| match v {
        Value::Obj(o) => f(*o),
        _ => true,
    };
    match obj.kind() {
        ObjKind::Struct => {
            obj.fields().iter().all(&mut visit);
        }
        ObjKind::List => {
            obj.list().iter().all(&mut visit);
        }
        ObjKind::Map => {
            obj.map().values().all(&mut visit);
        }
        ObjKind::Dataset => {
            obj.dataset().children().all(f);
        }
        ObjKind::Tensor => {
            obj.tensor().held().into_iter().all(f);
        }
        ObjKind::Weak | ObjKind::Str | ObjKind::Stream | ObjKind::Task | ObjKind::Column => {}
    }
}

/// Where each object of a set is in it: a scan for a few (the collector validates many
/// small groups, C5, where building a hash map would cost more than the search), a hash
/// map for more.
enum Members<'a> {
    Few(&'a [ObjRef]),
    Many(HashMap<ObjRef, usize, BuildHasherDefault<FxHasher>>),
}

impl<'a> Members<'a> {
    fn of(objs: &'a [ObjRef]) -> Members<'a> {
        if objs.len() <= 16 {
            Members::Few(objs)
        } else {
            Members::Many(objs.iter().enumerate().map(|(i, &o)| (o, i)).collect())
        }
    }

    #[inline]
    fn index(&self, o: ObjRef) -> Option<usize> {
        match self {
            Members::Few(objs) => objs.iter().position(|&x| x == o),
            Members::Many(map) => map.get(&o).copied(),
        }
    }
}

/// Trial deletion over `objs` (no object twice): the members not reachable from outside
/// the set.
pub(crate) fn unreachable_members(objs: &[ObjRef]) -> Vec<ObjRef> {
    let members = Members::of(objs);
    let mut count: Vec<i64> = objs.iter().map(|o| o.strong_count() as i64).collect();
    for &o in objs {
        trace(o, |c| {
            if let Some(i) = members.index(c) {
                count[i] -= 1;
            }
        });
    }
    // Scan: everything reachable from an externally referenced member is live.
    let mut live = vec![false; objs.len()];
    let mut stack: Vec<usize> = (0..objs.len()).filter(|&i| count[i] > 0).collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut live[i], true) {
            continue;
        }
        trace(objs[i], |c| {
            if let Some(j) = members.index(c) {
                if !live[j] {
                    stack.push(j);
                }
            }
        });
    }
    objs.iter()
        .zip(&live)
        .filter(|(_, &l)| !l)
        .map(|(&o, _)| o)
        .collect()
}

impl Heap {
    /// Phase 1: the cyclic garbage of `zone` (all zones for `None`), each member held by
    /// one extra strong reference until [`Heap::free_cycle_garbage`].
    pub fn find_cycle_garbage(&mut self, zone: Option<Zone>) -> Vec<ObjRef> {
        let candidates: Vec<ObjRef> = self
            .live_entries()
            .into_iter()
            .filter(|e| zone.is_none_or(|z| e.zone == z))
            // Strings and weak refs cannot be part of a cycle (no strong edges out), and
            // objects at count zero are already queued for release (or finalizing).
            .filter(|e| matches!(e.kind, ObjKind::Struct | ObjKind::List | ObjKind::Map))
            .map(|e| e.obj)
            // Arena objects are freed with their arena (A1), never by the collector.
            .filter(|o| {
                o.strong_count() > 0 && !o.header().has_flag(flags::FINALIZING | flags::ARENA)
            })
            .collect();
        let garbage = unreachable_members(&candidates);
        for &o in &garbage {
            incref_obj(o);
        }
        garbage
    }

    /// Phase 2: frees what is still garbage after destructors ran; returns how many objects
    /// were freed. Releasing references to outside objects may queue them: the caller drains.
    ///
    /// # Safety
    /// `garbage` is what [`Heap::find_cycle_garbage`], [`Heap::gc_step`] or
    /// [`Heap::gc_finish`] returned, each member still held by the one extra reference they
    /// took, which is given up here. (The members are then recounted: only those nothing
    /// outside the set references are freed.)
    pub unsafe fn free_cycle_garbage(&mut self, garbage: Vec<ObjRef>) -> usize {
        for &o in &garbage {
            // Drop the hold without queueing: the count is settled below.
            let h = o.header();
            h.strong.set(h.strong.get() - 1);
        }
        let dead = unreachable_members(&garbage);
        let dead_set = Members::of(&dead);
        // A resurrected member (and what it reaches) is live again. A member whose count
        // fell to zero while held (a destructor dropped its last reference) is in `dead`.
        for &o in &dead {
            // Forget edges inside the garbage; release edges leaving it.
            match o.kind() {
                ObjKind::Struct => {
                    // SAFETY: `o` is garbage nothing outside the set reaches, and this loop
                    // is the only borrow of its body; no STARK code runs here (I5).
                    for slot in unsafe { o.fields_mut() }.iter_mut() {
                        if let Value::Obj(c) = *slot {
                            if dead_set.index(c).is_some() {
                                *slot = Value::None;
                            }
                        }
                    }
                }
                ObjKind::List => {
                    // SAFETY: see above.
                    for slot in unsafe { o.list_mut() }.iter_mut() {
                        if let Value::Obj(c) = *slot {
                            if dead_set.index(c).is_some() {
                                *slot = Value::None;
                            }
                        }
                    }
                }
                ObjKind::Map => {
                    // SAFETY: see above.
                    for slot in unsafe { o.map_mut() }.values_mut() {
                        if let Value::Obj(c) = *slot {
                            if dead_set.index(c).is_some() {
                                *slot = Value::None;
                            }
                        }
                    }
                }
                // A dataset's edges go to columns, a view's to a base tensor, a lent
                // tensor's to a column, which hold none: never part of a cycle.
                ObjKind::Str
                | ObjKind::Weak
                | ObjKind::Tensor
                | ObjKind::Dataset
                | ObjKind::Column
                | ObjKind::Stream
                | ObjKind::Task => {}
            }
        }
        for &o in &dead {
            let h = o.header();
            h.strong.set(0);
            h.set_flag(flags::DESTRUCTED);
            // SAFETY: `o` is unreachable garbage whose in-cycle references were just
            // cleared and whose count was forced to zero; `dead` holds it once and it is
            // not on the pending stack.
            unsafe { self.release(o) };
        }
        dead.len()
    }

    /// Records a `Memory.collect()` in the statistics `Memory.profile` reports: `freed`
    /// objects and `freed_bytes` bytes were reclaimed in `zone` (`None`: all). Not a
    /// collector pause: the program asked for it and waits on it.
    pub fn record_collection(&mut self, zone: Option<Zone>, freed: u64, freed_bytes: u64) {
        self.gc.collections += 1;
        self.record_freed(zone, freed, freed_bytes);
    }

    /// Records a background step (`collector/mod.rs`) that swept `freed` objects and
    /// `freed_bytes` bytes of cyclic garbage, and the pause it cost. (The heap counts the
    /// collection itself when a snapshot's last group is settled.)
    pub fn record_sweep(&mut self, freed: u64, freed_bytes: u64, pause: Pause) {
        let work = StepWork {
            freed,
            ..self.collector.step
        };
        self.gc.pauses.record(pause, work);
        if self.timeline.is_some() {
            self.timeline_pause(pause.wall_us);
        }
        if freed > 0 {
            self.record_freed(None, freed, freed_bytes);
        }
    }

    fn record_freed(&mut self, zone: Option<Zone>, freed: u64, freed_bytes: u64) {
        self.gc.cycles_collected += freed;
        let traced = match zone {
            Some(z) => self.tracer.enabled[z.index()],
            None => self.tracer.any,
        };
        if traced {
            let z = zone.unwrap_or(Zone::Global);
            let live = self.zones[z.index()].live_bytes;
            self.tracer.emit(
                self.start,
                crate::trace::TraceKind::Collect,
                "cycles".to_string(),
                freed_bytes,
                z,
                live,
            );
        }
    }
}
