//! The runtime's side of actors (SPEC §2 "Concurrency", M8, M15): the `Task` handle object
//! and the counters that make every actor's heap visible in the spawning program's
//! `Memory.profile()`.
//!
//! Each actor runs on its own `Heap` (its pool in the `actor` zone), which belongs to the
//! actor's thread; no `ObjRef` and no reference count ever crosses threads. What does cross
//! is plain data (the VM's transfer graph), a `TaskBody`'s `Arc` (atomically counted), and
//! the atomic counters here. The heap makes tasks (`heap/alloc.rs`) and mirrors its
//! accounting into the counters (`heap/accounting.rs`).

use crate::header::{Header, ObjKind};
use crate::value::ObjRef;
use crate::zone::{Zone, ZoneCounters};
use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A `Task<T>` object's body: the VM's shared task state, type-erased so the runtime does
/// not depend on the VM, and the spawned function's name (for printing).
pub struct TaskBody {
    pub shared: Arc<dyn Any + Send + Sync>,
    pub name: Box<str>,
}

#[repr(C)]
pub(crate) struct TaskObj {
    pub header: Header,
    pub body: TaskBody,
}

/// One zone's counters, updated by many actor heaps at once.
#[derive(Default)]
struct AtomicZone {
    live_bytes: AtomicU64,
    live_objects: AtomicU64,
    allocations: AtomicU64,
    deallocations: AtomicU64,
    peak_bytes: AtomicU64,
}

/// The sum of the counters of every actor heap of one program run, per zone. An actor's
/// heap *mirrors* its accounting here as it allocates and frees (a few relaxed atomic adds,
/// no lock); the spawning program's heap adds the sums to its own profile. Peaks are the
/// peak of the sum, so they hold across actors that ran at the same time.
#[derive(Default)]
pub struct SharedCounters {
    zones: [AtomicZone; Zone::COUNT],
    total_live: AtomicU64,
    total_peak: AtomicU64,
    /// `--max-memory`, which caps the program's heap and every actor heap together (M15).
    pub(crate) limit: Option<u64>,
    /// What the program's own heap holds (published by it as it changes).
    main_live: AtomicU64,
}

impl SharedCounters {
    /// The counters of one program run whose heaps together may hold at most `limit`.
    pub fn new(limit: Option<u64>) -> SharedCounters {
        SharedCounters {
            limit,
            ..SharedCounters::default()
        }
    }

    pub(crate) fn set_main_live(&self, live: u64) {
        self.main_live.store(live, Ordering::Relaxed);
    }

    /// Live bytes of the whole program: the actors' sum plus the program heap's (`main`,
    /// exact when asked by that heap, else as last published).
    pub(crate) fn program_live(&self, main: Option<u64>) -> u64 {
        let main = main.unwrap_or_else(|| self.main_live.load(Ordering::Relaxed));
        main.saturating_add(self.total_live.load(Ordering::Relaxed))
    }

    #[inline]
    pub(crate) fn on_alloc(&self, zone: Zone, bytes: u64) {
        let z = &self.zones[zone.index()];
        let live = z.live_bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        z.peak_bytes.fetch_max(live, Ordering::Relaxed);
        z.live_objects.fetch_add(1, Ordering::Relaxed);
        z.allocations.fetch_add(1, Ordering::Relaxed);
        let total = self.total_live.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.total_peak.fetch_max(total, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn on_free(&self, zone: Zone, bytes: u64) {
        let z = &self.zones[zone.index()];
        z.live_bytes.fetch_sub(bytes, Ordering::Relaxed);
        z.live_objects.fetch_sub(1, Ordering::Relaxed);
        z.deallocations.fetch_add(1, Ordering::Relaxed);
        self.total_live.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// `objects` frees of `bytes` in all at once (an arena's end).
    pub(crate) fn on_free_many(&self, zone: Zone, bytes: u64, objects: u64) {
        let z = &self.zones[zone.index()];
        z.live_bytes.fetch_sub(bytes, Ordering::Relaxed);
        z.live_objects.fetch_sub(objects, Ordering::Relaxed);
        z.deallocations.fetch_add(objects, Ordering::Relaxed);
        self.total_live.fetch_sub(bytes, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn on_resize(&self, zone: Zone, delta: i64) {
        let z = &self.zones[zone.index()];
        if delta >= 0 {
            let d = delta as u64;
            let live = z.live_bytes.fetch_add(d, Ordering::Relaxed) + d;
            z.peak_bytes.fetch_max(live, Ordering::Relaxed);
            let total = self.total_live.fetch_add(d, Ordering::Relaxed) + d;
            self.total_peak.fetch_max(total, Ordering::Relaxed);
        } else {
            let d = delta.unsigned_abs();
            z.live_bytes.fetch_sub(d, Ordering::Relaxed);
            self.total_live.fetch_sub(d, Ordering::Relaxed);
        }
    }

    /// A heap mirrored here is going away with `live` still in it (freed wholesale).
    pub(crate) fn forget(&self, zones: &[ZoneCounters; Zone::COUNT]) {
        for (z, c) in self.zones.iter().zip(zones) {
            z.live_bytes.fetch_sub(c.live_bytes, Ordering::Relaxed);
            z.live_objects.fetch_sub(c.live_objects, Ordering::Relaxed);
            z.deallocations.fetch_add(c.live_objects, Ordering::Relaxed);
            self.total_live.fetch_sub(c.live_bytes, Ordering::Relaxed);
        }
    }

    /// The current sums.
    pub fn zone(&self, zone: Zone) -> ZoneCounters {
        let z = &self.zones[zone.index()];
        ZoneCounters {
            live_bytes: z.live_bytes.load(Ordering::Relaxed),
            live_objects: z.live_objects.load(Ordering::Relaxed),
            allocations: z.allocations.load(Ordering::Relaxed),
            deallocations: z.deallocations.load(Ordering::Relaxed),
            peak_bytes: z.peak_bytes.load(Ordering::Relaxed),
        }
    }

    pub fn total_live(&self) -> u64 {
        self.total_live.load(Ordering::Relaxed)
    }

    pub fn total_peak(&self) -> u64 {
        self.total_peak.load(Ordering::Relaxed)
    }
}

impl ObjRef {
    #[inline]
    pub fn task(&self) -> &TaskBody {
        self.expect_kind(ObjKind::Task);
        // SAFETY: I1, I2 (kind Task ⇒ TaskObj with a live body).
        unsafe { &(*(self.raw() as *const TaskObj)).body }
    }
}

/// Drops a task object's body (its release, or the heap going away).
///
/// # Safety
/// The object is a live Task and its body is dropped exactly once.
pub(crate) unsafe fn drop_task_body(obj: ObjRef) {
    // SAFETY: the caller's contract; kind Task ⇒ TaskObj (I2).
    unsafe { std::ptr::drop_in_place(&mut (*(obj.raw() as *mut TaskObj)).body) }
}
