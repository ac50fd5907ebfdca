//! The STARK heap: allocation, reference counting and deterministic release (M3).
//!
//! # Invariants
//!
//! The `unsafe` code of this crate is sound because of these rules; each `SAFETY:` comment
//! names the ones it relies on.
//!
//! - **I1 (liveness).** Every `ObjRef` the program can reach — in a register (owning or a
//!   view), a struct field, a list element, a map value, a `WeakRef` body or the pending
//!   stack — points to an allocation that has not been deallocated. Owning references are
//!   counted in `strong`; a view is valid because its source owns a reference for as long as
//!   the view is used (the bytecode contract in `stark_bytecode::instr`).
//! - **I2 (shape).** `header.kind` (and `header.len` for structs) fixes the allocation's
//!   layout (`object::layout_of`). The body is initialised at allocation and stays so until
//!   `release` drops it and sets `DEAD`; after that only the header is read.
//! - **I3 (strong count).** `strong` counts owning references. When it drops to zero the
//!   object is pushed on the pending stack exactly once — except while `FINALIZING`, when the
//!   destructor loop that set the flag decides its fate itself. A pending object is released
//!   (by `release`) exactly once, after its destructor (if any) has run.
//! - **I4 (weak count).** `weak` counts live `WeakRef` objects pointing at the object. The
//!   allocation itself is deallocated only once it is `DEAD` *and* `weak == 0`; whichever of
//!   the two happens last deallocates. So a weak target's header is always readable.
//! - **I5 (borrows).** A borrow of a body (`list_mut`, `fields_mut`, …) lasts for one
//!   operation and never spans running STARK code. Releasing inside such an operation is
//!   fine: `decref` never frees, it only queues (I7).
//! - **I6 (accounting).** Each live (not `DEAD`) allocation other than a struct or an arena
//!   string (`arena.rs` A4) has exactly one metadata row, at index `header.meta()`; a live struct's row is its header (it lives
//!   in the struct slabs, `slab.rs`, and is charged `struct_layout(len)` bytes). Each zone's
//!   `live_bytes`/`live_objects` are the sums over its live allocations.
//!   `LOCAL` structs (M9: proved not to escape their function) are the exception: no row, no
//!   counters; they are counted in `local_objects` only.
//! - **I7 (no recursion).** `decref` never frees: a count reaching zero is queued on the
//!   pending stack, and `release` only decrefs an object's children (queueing them in turn).
//!   Freeing a structure of any depth therefore uses constant Rust stack; the pending stack
//!   is the worklist. Children are queued in reverse so they pop in field order, depth-first
//!   (Rust's drop order).
//!
//! # Trust boundary
//!
//! The heap trusts its caller to follow the bytecode's ownership contract: one `decref` per
//! owned reference, `release` only for objects popped from the pending stack. The VM upholds
//! this for verified bytecode whose RC operations the compiler inserted correctly. Cheap
//! checks turn the most likely contract violations (a count going below zero, releasing a
//! live object) into panics instead of heap corruption.

use crate::metadata::{MetaEntry, MetaTable, OwnerKind};
use crate::object::{
    flags, gc_bits, layout_of, struct_layout, Header, ListObj, MapBody, MapObj, ObjKind, StrObj,
    WeakObj, FIELDS_OFFSET,
};
use crate::pool::Pool;
use crate::trace::{TraceEvent, TraceKind, TraceSink, Tracer};
use crate::value::{ObjRef, Value};
use crate::zone::{Zone, ZoneCounters};
use std::alloc::Layout;
use std::cell::Cell;
use std::ptr::NonNull;
use std::time::Instant;

/// An allocation (or growth) was refused: it would pass `--max-memory` or an actor's quota
/// (or the system allocator failed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutOfMemory {
    pub requested: u64,
    pub live: u64,
    pub limit: Option<u64>,
    /// The limit is an actor's quota (M15: that actor fails alone), not the program's cap.
    pub quota: bool,
}

impl std::fmt::Display for OutOfMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.limit {
            Some(limit) => write!(
                f,
                "out of memory: allocating {} bytes with {} bytes live would exceed the {} of {} bytes",
                self.requested,
                self.live,
                if self.quota { "quota" } else { "limit" },
                limit
            ),
            None => write!(
                f,
                "out of memory: the system refused an allocation of {} bytes",
                self.requested
            ),
        }
    }
}

/// Memory a native holds while it runs, outside any object (a reader's buffer), charged to
/// one zone through [`Heap::charge_buffer`]: it grows only after the limit check passes,
/// and fallibly, so neither `--max-memory` nor the system refusing memory can make it
/// abort. Whatever is still charged must be given back with [`BufferCharge::refund_all`]
/// before the native returns, on every path.
#[derive(Debug)]
pub struct BufferCharge {
    zone: Zone,
    bytes: u64,
}

/// A buffer a [`BufferCharge`] can grow.
pub trait Growable {
    /// Bytes per element.
    const ELEM: usize;
    /// Elements in use.
    fn used(&self) -> usize;
    fn capacity(&self) -> usize;
    /// Room for at least `used() + additional` elements, or the allocator's refusal.
    fn try_grow(&mut self, additional: usize) -> Result<(), std::collections::TryReserveError>;
}

impl<T> Growable for Vec<T> {
    const ELEM: usize = std::mem::size_of::<T>();
    fn used(&self) -> usize {
        self.len()
    }
    fn capacity(&self) -> usize {
        Vec::capacity(self)
    }
    fn try_grow(&mut self, additional: usize) -> Result<(), std::collections::TryReserveError> {
        self.try_reserve_exact(additional)
    }
}

impl Growable for String {
    const ELEM: usize = 1;
    fn used(&self) -> usize {
        self.len()
    }
    fn capacity(&self) -> usize {
        String::capacity(self)
    }
    fn try_grow(&mut self, additional: usize) -> Result<(), std::collections::TryReserveError> {
        self.try_reserve_exact(additional)
    }
}

impl BufferCharge {
    pub fn new(zone: Zone) -> BufferCharge {
        BufferCharge { zone, bytes: 0 }
    }

    /// Bytes charged now.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn charge(&mut self, heap: &mut Heap, bytes: u64) -> Result<(), OutOfMemory> {
        let delta = i64::try_from(bytes).map_err(|_| OutOfMemory {
            requested: bytes,
            live: heap.total_live,
            limit: None,
            quota: false,
        })?;
        heap.charge_buffer(self.zone, delta)?;
        self.bytes += bytes;
        Ok(())
    }

    /// Gives back `bytes` of the charge (a buffer was dropped or handed to an object).
    pub fn refund(&mut self, heap: &mut Heap, bytes: u64) {
        let bytes = bytes.min(self.bytes);
        // A refund never fails.
        let _ = heap.charge_buffer(self.zone, -(bytes as i64));
        self.bytes -= bytes;
    }

    pub fn refund_all(mut self, heap: &mut Heap) {
        let all = self.bytes;
        self.refund(heap, all);
    }

    /// Makes room in `buf` for `additional` more elements: the capacity at least doubles,
    /// the growth is charged first, then reserved fallibly. The system refusing it is
    /// `OutOfMemory`, as passing the limit is.
    pub fn grow<B: Growable>(
        &mut self,
        heap: &mut Heap,
        buf: &mut B,
        additional: usize,
    ) -> Result<(), OutOfMemory> {
        let (len, old) = (buf.used(), buf.capacity());
        let Some(needed) = len.checked_add(additional) else {
            return Err(self.refused(heap, u64::MAX));
        };
        if needed <= old {
            return Ok(());
        }
        let want = needed.max(old.saturating_mul(2)).max(64);
        let bytes = |elems: usize| (elems as u64).saturating_mul(B::ELEM as u64);
        let extra = bytes(want - old);
        self.charge(heap, extra)?;
        if crate::sysalloc::fallible(|| buf.try_grow(want - len)).is_err() {
            self.refund(heap, extra);
            return Err(self.refused(heap, extra));
        }
        // The allocator may round up: charge what was really reserved.
        let actual = bytes(buf.capacity() - old);
        if actual > extra {
            self.charge(heap, actual - extra)?;
        } else {
            self.refund(heap, extra - actual);
        }
        Ok(())
    }

    fn refused(&self, heap: &Heap, bytes: u64) -> OutOfMemory {
        OutOfMemory {
            requested: bytes,
            live: heap.total_live,
            limit: None,
            quota: false,
        }
    }
}

impl Drop for BufferCharge {
    fn drop(&mut self) {
        // A charge dropped unrefunded would leave the zone's counters too high for good.
        debug_assert!(
            self.bytes == 0 || std::thread::panicking(),
            "BufferCharge dropped with {} bytes still charged",
            self.bytes
        );
    }
}

/// Cycle-collector settings (`GC.config`) and statistics (`Memory.profile`).
#[derive(Clone, Debug)]
pub struct GcState {
    pub threshold_bytes: u64,
    pub cycle_interval_ms: u64,
    pub background: bool,
    pub collections: u64,
    pub cycles_collected: u64,
    pub pause_max_us: u64,
}

impl Default for GcState {
    fn default() -> Self {
        GcState {
            threshold_bytes: 8 * 1024 * 1024,
            cycle_interval_ms: 100,
            background: true,
            collections: 0,
            cycles_collected: 0,
            pause_max_us: 0,
        }
    }
}

pub struct Heap {
    pub(crate) zones: [ZoneCounters; Zone::COUNT],
    pub(crate) total_live: u64,
    pub(crate) total_peak: u64,
    pub(crate) start: Instant,
    pub(crate) max_memory: Option<u64>,
    pub(crate) meta: MetaTable,
    /// Objects whose strong count reached zero, waiting for their destructor and release.
    pending: Vec<ObjRef>,
    /// Struct names by type id, for profiles and traces.
    pub(crate) type_names: Vec<String>,
    pub(crate) tracer: Tracer,
    pub gc: GcState,
    /// The zone new objects go to.
    pub(crate) current_zone: Zone,
    /// Recycled blocks for small objects other than structs.
    pool: Pool,
    /// Where structs live (and how they are enumerated: I6).
    pub(crate) slabs: crate::slab::Slabs,
    /// Live `LOCAL` structs (not heap objects to the program, see I6).
    local_objects: u64,
    /// Open arenas, innermost last (`arena.rs`).
    pub(crate) arenas: Vec<crate::arena::Arena>,
    /// Whether allocations go to the innermost arena right now (A2).
    pub(crate) arena_active: bool,
    /// Bytes charged to objects of open arenas.
    pub(crate) arena_live: u64,
    /// The last closed arena, emptied, kept for the next one (`Arena::reset`).
    pub(crate) spare_arena: Option<crate::arena::Arena>,
    /// Which struct types (by id) have a destructor: arenas list those structs (`arena.rs`).
    pub(crate) has_destructor: Vec<bool>,
    /// A stream released without `close()` whose buffered output could not be written
    /// (its path and the error); the VM reports it as a runtime error after the release.
    pub(crate) io_failure: Option<(String, std::io::Error)>,
    /// Weak references to arena values, each with a dead stand-in header for when the
    /// target's arena closes (`arena.rs` A6).
    pub(crate) arena_weaks: Vec<(ObjRef, ObjRef)>,
    /// The background cycle collector's state on the program's side (`collector`).
    pub(crate) collector: crate::collector::CollectorState,
    /// An actor's heap: its accounting is mirrored into the spawner's view (`actor.rs`).
    pub(crate) mirror: Option<std::sync::Arc<crate::actor::SharedCounters>>,
    /// The sums over the actors this program spawned, added to `profile()`.
    pub(crate) actors: Option<std::sync::Arc<crate::actor::SharedCounters>>,
}

impl Default for Heap {
    fn default() -> Self {
        Heap::new(None)
    }
}

impl Heap {
    pub fn new(max_memory: Option<u64>) -> Heap {
        Heap {
            zones: [ZoneCounters::default(); Zone::COUNT],
            total_live: 0,
            total_peak: 0,
            start: Instant::now(),
            max_memory,
            meta: MetaTable::default(),
            pending: Vec::new(),
            type_names: Vec::new(),
            tracer: Tracer::default(),
            gc: GcState::default(),
            current_zone: Zone::Global,
            pool: Pool::default(),
            slabs: crate::slab::Slabs::default(),
            local_objects: 0,
            arenas: Vec::new(),
            arena_active: false,
            arena_live: 0,
            spare_arena: None,
            has_destructor: Vec::new(),
            arena_weaks: Vec::new(),
            io_failure: None,
            collector: crate::collector::CollectorState::default(),
            mirror: None,
            actors: None,
        }
    }

    /// Names struct type ids (`module.structs[i].name`) for profiles and traces.
    pub fn set_type_names(&mut self, names: Vec<String>) {
        self.type_names = names;
    }

    pub fn type_name(&self, kind: ObjKind, type_id: u32) -> &str {
        match kind {
            ObjKind::Struct => self
                .type_names
                .get(type_id as usize)
                .map(|s| s.as_str())
                .unwrap_or("Struct"),
            other => other.name(),
        }
    }

    pub fn set_zone(&mut self, zone: Zone) {
        self.current_zone = zone;
    }

    pub fn max_memory(&self) -> Option<u64> {
        self.max_memory
    }

    /// Objects allocated and not yet freed, in all zones (the leak check).
    pub fn live_objects(&self) -> u64 {
        self.zones.iter().map(|z| z.live_objects).sum()
    }

    pub fn live_bytes(&self) -> u64 {
        self.total_live
    }

    pub fn peak_bytes(&self) -> u64 {
        self.total_peak
    }

    pub fn zone_counters(&self, zone: Zone) -> ZoneCounters {
        self.zones[zone.index()]
    }

    /// Every live allocation's metadata (M14): the rows of non-struct objects, then the
    /// structs of the slabs and of open arenas, whose headers are their rows (I6), and the
    /// strings of open arenas, whose headers and lengths are theirs (`arena.rs` A4).
    pub fn live_entries(&self) -> Vec<MetaEntry> {
        let mut out: Vec<MetaEntry> = self.meta.live().copied().collect();
        let struct_row = |o: ObjRef| {
            let h = o.header();
            (!h.has_flag(flags::DEAD | flags::LOCAL)).then(|| MetaEntry {
                obj: o,
                zone: h.zone,
                owner: h.owner(),
                kind: ObjKind::Struct,
                type_id: h.type_id(),
                bytes: struct_layout(h.len()).size() as u64,
            })
        };
        self.slabs.for_each(|o| out.extend(struct_row(o)));
        for arena in &self.arenas {
            for &o in &arena.objects {
                match o.header().kind {
                    ObjKind::Struct => out.extend(struct_row(o)),
                    // An arena string's row is its header and its length (A4).
                    ObjKind::Str => out.push(MetaEntry {
                        obj: o,
                        zone: o.header().zone,
                        owner: OwnerKind::Arena,
                        kind: ObjKind::Str,
                        type_id: 0,
                        bytes: arena_str_bytes(o),
                    }),
                    _ => {}
                }
            }
        }
        out
    }

    /// The metadata rows of non-struct objects (see [`Heap::live_entries`] for all).
    pub fn metadata(&self) -> &MetaTable {
        &self.meta
    }

    pub fn started(&self) -> Instant {
        self.start
    }

    /// Turns tracing on or off for one zone (`None` = all zones).
    pub fn set_trace(&mut self, zone: Option<Zone>, enabled: bool) {
        self.tracer.set(zone, enabled);
    }

    /// Traces every zone from now on, until the program's first `Memory.trace(…)`, which
    /// narrows (a zone given: only that zone) or stops it (`stark run --trace`).
    pub fn trace_by_default(&mut self) {
        self.tracer.set(None, true);
        self.tracer.by_default = true;
    }

    /// Sends trace events to `sink` instead of stderr lines (the CLI's `--trace FILE`).
    pub fn set_trace_sink(&mut self, sink: TraceSink) {
        self.tracer.sink = Some(sink);
    }

    // ---------------------------------------------------------------- accounting

    /// Refuses `bytes` more if they would pass the memory limit, or once the system has
    /// refused an allocation anywhere in the process (`sysalloc`): that allocation was
    /// served from the emergency reserve, and the program must now end with this error.
    #[inline]
    pub(crate) fn check_limit(&self, bytes: u64) -> Result<(), OutOfMemory> {
        if let Some(requested) = crate::sysalloc::refused() {
            return Err(OutOfMemory {
                requested,
                live: self.total_live,
                limit: None,
                quota: false,
            });
        }
        if let Some(limit) = self.max_memory {
            if self.total_live.saturating_add(bytes) > limit {
                return Err(OutOfMemory {
                    requested: bytes,
                    live: self.total_live,
                    limit: Some(limit),
                    // An actor heap's own limit is its quota; the program's heap's is --max-memory.
                    quota: self.mirror.is_some(),
                });
            }
        }
        // M15: --max-memory caps the whole program, actors included.
        if let Some(c) = self.mirror.as_ref().or(self.actors.as_ref()) {
            if let Some(limit) = c.limit {
                let live = c.program_live(self.mirror.is_none().then_some(self.total_live));
                if live.saturating_add(bytes) > limit {
                    return Err(OutOfMemory {
                        requested: bytes,
                        live,
                        limit: Some(limit),
                        quota: false,
                    });
                }
            }
        }
        Ok(())
    }

    /// Refuses `bytes` more if they would pass `--max-memory` or a quota, before a caller
    /// builds a large buffer it would only be charged for afterwards (a tensor's).
    pub fn check_room(&self, bytes: u64) -> Result<(), OutOfMemory> {
        self.check_limit(bytes)
    }

    /// Charges (or refunds, `delta < 0`) `zone` for memory a native holds outside any
    /// object while it runs — a reader's growing buffer, the columns of a dataset being
    /// loaded — so `--max-memory` and quotas stop it like any allocation, and peaks count
    /// it. No object carries the bytes: the native refunds them before it returns
    /// ([`BufferCharge`]).
    pub fn charge_buffer(&mut self, zone: Zone, delta: i64) -> Result<(), OutOfMemory> {
        if delta > 0 {
            self.check_limit(delta as u64)?;
        }
        self.zones[zone.index()].on_resize(delta);
        if let Some(m) = &self.mirror {
            m.on_resize(zone, delta);
        }
        self.total_live = (self.total_live as i64 + delta) as u64;
        self.total_peak = self.total_peak.max(self.total_live);
        self.publish_live();
        Ok(())
    }

    /// Tells the actors what the program's own heap holds (their share of the
    /// `--max-memory` check), once any exist.
    #[inline]
    pub(crate) fn publish_live(&self) {
        if let Some(a) = &self.actors {
            a.set_main_live(self.total_live);
        }
    }

    /// Charges (or refunds, `delta < 0`) a live object for a change in the buffers it owns.
    pub fn resize(&mut self, obj: ObjRef, delta: i64) -> Result<(), OutOfMemory> {
        if delta == 0 {
            return Ok(());
        }
        if delta > 0 {
            self.check_limit(delta as u64)?;
        }
        let h = obj.header();
        // Structs own no buffers: only other kinds resize, and they have rows (I6).
        let row = self.meta.get_mut(h.meta());
        row.bytes = (row.bytes as i64 + delta) as u64;
        let now = row.bytes;
        self.zones[h.zone.index()].on_resize(delta);
        if let Some(m) = &self.mirror {
            m.on_resize(h.zone, delta);
        }
        if h.has_flag(flags::ARENA) {
            self.arena_live = (self.arena_live as i64 + delta) as u64;
        }
        self.total_live = (self.total_live as i64 + delta) as u64;
        self.total_peak = self.total_peak.max(self.total_live);
        self.publish_live();
        if h.gc.get() & gc_bits::TRACED != 0 {
            self.trace_resize(obj, now, delta);
        }
        Ok(())
    }

    /// Traces a resize of a traced object to `now` bytes, and remembers its allocated size
    /// for its `Free` (see `Tracer::resized`), whether or not its zone is traced right now.
    #[cold]
    fn trace_resize(&mut self, obj: ObjRef, now: u64, delta: i64) {
        let h = obj.header();
        let before = (now as i64 - delta) as u64;
        let sizes = self.tracer.resized.entry(obj).or_insert((before, before));
        let reported = sizes.1;
        if self.tracer.enabled[h.zone.index()] {
            sizes.1 = now;
            let live = self.zones[h.zone.index()].live_bytes;
            self.trace_object(
                TraceKind::Resize,
                h,
                now,
                now as i64 - reported as i64,
                live,
            );
        }
    }

    /// Sends an event about the object `h` heads (its zone must be traced): `bytes` its size
    /// after the event, `delta` a resize's change, `zone_live` its zone's live bytes after it.
    fn trace_object(
        &mut self,
        kind: TraceKind,
        h: &Header,
        bytes: u64,
        delta: i64,
        zone_live: u64,
    ) {
        let event = TraceEvent {
            kind,
            type_name: self.type_name(h.kind, h.type_id()).to_string(),
            bytes,
            delta,
            zone: h.zone,
            time_us: self.start.elapsed().as_micros() as u64,
            zone_live_bytes: zone_live,
            dur_us: 0,
            thread: 0,
        };
        self.tracer.send(event);
    }

    // ---------------------------------------------------------------- allocation

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
        self.check_limit(bytes)?;
        self.collector.allocated += bytes;
        if self.collector.allocated >= self.gc.threshold_bytes {
            self.collector.due = true;
        }
        if self.arena_active {
            let Some(ptr) = self.alloc_header_arena(kind, type_id, len, extra, layout) else {
                return Err(OutOfMemory {
                    requested: bytes,
                    live: self.total_live,
                    limit: None,
                    quota: false,
                });
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
            return Err(OutOfMemory {
                requested: bytes,
                live: self.total_live,
                limit: None,
                quota: false,
            });
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
                return Err(OutOfMemory {
                    requested: bytes,
                    live: self.total_live,
                    limit: None,
                    quota: false,
                });
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

    /// A new list taking over the references in `items`.
    pub fn alloc_list(&mut self, items: Vec<Value>) -> Result<ObjRef, OutOfMemory> {
        let into_arena = self.arena_active;
        let mut outward = false;
        for &v in &items {
            outward |= self.note_value(v, into_arena);
        }
        let extra = list_buffer_bytes(items.capacity());
        let ptr = self.alloc_header(ObjKind::List, 0, 0, extra)?;
        // SAFETY: ListObj layout (I2); body written once.
        unsafe { std::ptr::addr_of_mut!((*(ptr.as_ptr() as *mut ListObj)).items).write(items) };
        if outward {
            self.mark_outward(ObjRef(ptr), true);
        }
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
    /// counters, no trace events, no memory limit (I6).
    pub fn alloc_struct_local(
        &mut self,
        type_id: u32,
        fields: &[Value],
    ) -> Result<ObjRef, OutOfMemory> {
        let len = fields.len() as u32;
        let layout = struct_layout(len);
        let Some(ptr) = NonNull::new(self.slabs.alloc(len) as *mut Header) else {
            return Err(OutOfMemory {
                requested: layout.size() as u64,
                live: self.total_live,
                limit: None,
                quota: false,
            });
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
                gc: Cell::new(0),
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

    /// A dead header that weak references to a freed arena value point at (`arena.rs` A6):
    /// not a live object (no row, no counters), deallocated when its weak count drops to 0.
    pub(crate) fn alloc_ghost(&mut self) -> Result<ObjRef, OutOfMemory> {
        let layout = layout_of(ObjKind::Weak, 0);
        let Some(ptr) = NonNull::new(self.pool.alloc(layout) as *mut Header) else {
            return Err(OutOfMemory {
                requested: layout.size() as u64,
                live: self.total_live,
                limit: None,
                quota: false,
            });
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
    #[inline]
    pub fn note_stored(&mut self, v: Value, holder: ObjRef) {
        let into_arena = holder.in_arena();
        if into_arena && self.arenas.len() > 1 {
            // Nested arenas: an inner arena's value stored into an outer arena's object
            // escapes the inner one (A2).
            if let Value::Obj(o) = v {
                if o.in_arena() {
                    self.note_arena_value(o, Some(holder));
                }
            }
        }
        if self.note_value(v, into_arena) {
            self.mark_outward(holder, false);
        }
    }

    /// `note_stored` before the holder exists (`into_arena`: it will be an arena object).
    /// Returns whether `v` is an outward edge of it (A3).
    #[inline]
    fn note_value(&mut self, v: Value, into_arena: bool) -> bool {
        if let Value::Obj(o) = v {
            let h = o.header();
            if h.has_flag(flags::ARENA) && !into_arena {
                self.note_arena_value(o, None);
            }
            if !h.has_flag(flags::LOCAL | flags::ARENA) {
                if h.kind == ObjKind::Struct {
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
            return into_arena && Heap::is_outward(v);
        }
        false
    }

    // ---------------------------------------------------------------- counting

    #[inline]
    pub fn incref(&mut self, v: Value) {
        if let Value::Obj(o) = v {
            incref_obj(o);
        }
    }

    /// Releases one strong reference. Never frees (I7): a count reaching zero queues the
    /// object; the caller drains with [`Heap::pop_pending`] + [`Heap::release`] (the VM runs
    /// destructors in between).
    #[inline]
    pub fn decref(&mut self, v: Value) {
        if let Value::Obj(o) = v {
            self.decref_obj(o);
        }
    }

    #[inline]
    pub fn decref_obj(&mut self, o: ObjRef) {
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
    /// reference: it is queued for release like any object whose count reaches zero. Call
    /// it only once nothing else can reference the constant.
    pub fn release_immortal(&mut self, o: ObjRef) {
        let h = o.header();
        h.clear_flag(flags::IMMORTAL);
        h.strong.set(1);
        self.decref_obj(o);
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
    pub fn drain_pending(&mut self) {
        while let Some(o) = self.pending.pop() {
            self.release(o);
        }
    }

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
    pub fn release(&mut self, obj: ObjRef) {
        let h = obj.header();
        assert!(
            h.strong.get() == 0 && !h.has_flag(flags::DEAD),
            "release of a live or already released object"
        );
        if !self.take_children(obj, |heap, v| heap.decref(v)) {
            match h.kind {
                ObjKind::Weak => {
                    let target = obj.weak_target();
                    self.release_weak(target);
                }
                ObjKind::Tensor | ObjKind::Dataset | ObjKind::Stream => self.release_data_body(obj),
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
                for slot in obj.fields_mut().iter_mut().rev() {
                    let v = std::mem::replace(slot, Value::None);
                    each(self, v);
                }
            }
            ObjKind::List => {
                // SAFETY: I2 — a live List's body is initialised; it is moved out here and
                // the DEAD flag the caller sets means it is never read or dropped again.
                let items = unsafe { std::ptr::read(&(*(base as *const ListObj)).items) };
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
            ObjKind::Str if h.has_flag(flags::ARENA) => {
                // An arena string has no row (A4); its header leads its object.
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
                    ObjKind::Tensor | ObjKind::Dataset | ObjKind::Stream => {
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
        let layout: Layout = layout_of(h.kind, 0);
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
    if !obj.in_arena() {
        // SAFETY: a string outside the arenas got its text from `Box::leak` (`alloc_str`);
        // the caller guarantees this is the only time it is freed.
        drop(unsafe { Box::from_raw((*(obj.raw() as *const StrObj)).text.as_ptr()) });
    }
}

/// Bytes charged to an arena string (`alloc_str_arena`): its object and its text.
#[inline]
pub(crate) fn arena_str_bytes(o: ObjRef) -> u64 {
    (std::mem::size_of::<StrObj>() + o.as_str().len()) as u64
}

/// Bytes charged for a list buffer of `capacity` slots.
#[inline]
pub(crate) fn list_buffer_bytes(capacity: usize) -> u64 {
    (capacity as u64).saturating_mul(std::mem::size_of::<Value>() as u64)
}

/// Bytes charged for a map's tables plus its string keys' text (an estimate of IndexMap's
/// entry vector and hash index).
pub(crate) fn map_buffer_bytes(map: &MapBody) -> u64 {
    let keys: usize = map.keys().map(|k| k.extra_bytes()).sum();
    (map.capacity() * MAP_ENTRY_BYTES + keys) as u64
}

/// An IndexMap entry (hash, key, value) plus its index slot.
pub(crate) const MAP_ENTRY_BYTES: usize =
    std::mem::size_of::<(u64, crate::value::MapKey, Value)>() + std::mem::size_of::<usize>();

#[cfg(test)]
impl Heap {
    pub(crate) fn incref_obj_for_test(&mut self, o: ObjRef) {
        incref_obj(o);
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
