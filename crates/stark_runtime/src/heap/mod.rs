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
//! - **I5 (borrows).** A borrow of a body — shared (`list`, `fields`, `as_str`, `tensor`, …)
//!   or mutable (`list_mut`, `fields_mut`, …) — lasts for one operation: no mutable borrow
//!   overlaps another borrow of the same body, and none spans a heap operation that changes
//!   that body (`Heap::list_push`, …) or running STARK code. Releasing inside such an
//!   operation is fine: `decref` never frees, it only queues (I7).
//! - **I6 (accounting).** Each live (not `DEAD`) allocation other than a struct, a short
//!   string or an arena string (`arena/mod.rs` A4) has exactly one metadata row, at index
//!   `header.meta()`. A live struct's row is its header (it lives in the struct slabs,
//!   `slab.rs`, and is charged `struct_layout(len)` bytes). So is a short string's (its text
//!   in its own pool block, `ObjRef::is_short_str`: found by walking the pool, `pool.rs` P3,
//!   charged `StrObj` plus its text, its owner kind in its flags like a struct's, and its
//!   `slot` caching its length in code points, `object::NO_CHAR_LEN` until counted): a
//!   row's insert and removal were ~35 of the ~240 instructions of making and freeing a
//!   short string, and a text's lines are a million of them. Each zone's `live_bytes`/`live_objects` are the sums over its live
//!   allocations.
//!   `LOCAL` structs (M9: proved not to escape their function) are the exception: no row, no
//!   counters; they are counted in `local_objects` only.
//! - **I7 (no recursion).** `decref` never frees: a count reaching zero is queued on the
//!   pending stack, and `release` only decrefs an object's children (queueing them in turn).
//!   Freeing a structure of any depth therefore uses constant Rust stack; the pending stack
//!   is the worklist. Children are queued in reverse so they pop in field order, depth-first
//!   (Rust's drop order). Strings are the one exception to the queue: a child string whose
//!   last reference `release` drops (`decref_child`), and a string whose last reference the
//!   VM drops (`try_free_str`), are freed at once; a string has no children and no
//!   destructor, so that runs no code and recurses no deeper.
//!
//! # Trust boundary
//!
//! An `ObjRef` is a `Copy` pointer: the borrow checker sees neither who owns a reference
//! nor how long a borrow of a body lasts. So what the heap cannot check is split in two.
//!
//! - **`unsafe fn`s**, whose caller vouches for a fact that, if false, is undefined
//!   behaviour: giving up a reference (`decref`, `decref_obj`, `list_take`: the caller owns
//!   it, I3), freeing (`release`, `drain_pending`, `free_cycle_garbage`, `close_arena`,
//!   `release_immortal`: nothing still points at what is freed, I1, A2), and borrowing a
//!   body mutably (`list_mut`, `map_mut`, `fields_mut`, `tensor_mut`, `stream_mut`: no other
//!   borrow overlaps, I5). Each call says why its promise holds (`// SAFETY:`).
//! - **The ownership contract the safe methods assume**: an `ObjRef` handed to the heap is
//!   alive (I1), a reference handed over to a container (`alloc_list`, `list_push`,
//!   `map_insert`, …) is one the caller owns, and a shared borrow of a body is not held
//!   across a heap operation that changes that body (I5). Taking a reference over or adding
//!   one (`incref`) frees nothing by itself: a reference handed over that was not owned
//!   falsifies the promise of a later unsafe call above, where the harm happens. The one
//!   hole left in the safe surface is a shared borrow (`list()`, …) held across a heap
//!   operation on the same body, which the borrow checker cannot see through a copied
//!   `ObjRef`; closing it needs body borrows tied to the heap (a token), a later change.
//!
//! The VM keeps the contract for verified bytecode whose RC operations the compiler
//! inserted correctly. Cheap checks turn the most likely violations (a count going below
//! zero, releasing a live object, a body of the wrong kind) into panics instead of heap
//! corruption.

// One concern a file: the limits and what is charged where (`accounting`), making objects
// (`alloc`), reference counts and the pending stack (`counts`), and freeing (`release`).
// The shared imports below serve them all (`use super::*`).
mod accounting;
mod alloc;
mod counts;
mod release;

pub(crate) use accounting::{
    arena_str_bytes, list_buffer_bytes, map_buffer_bytes, MAP_ENTRY_BYTES,
};
pub use accounting::{BufferCharge, Growable, OutOfMemory};
pub use alloc::push_str_short;
pub(crate) use counts::incref_obj;

use crate::header::{flags, gc_bits, Header, ObjKind, OwnerKind};
use crate::metadata::{MetaEntry, MetaTable};
use crate::object::{
    inline_str_layout, layout_of, str_is_inline, struct_layout, ListObj, MapBody, MapObj, StrObj,
    WeakObj, FIELDS_OFFSET, INLINE_STR_MAX,
};
use crate::pool::Pool;
use crate::trace::{TraceEvent, TraceKind, TraceSink, Tracer};
use crate::value::{ObjRef, Value};
use crate::zone::{Zone, ZoneCounters};
use std::alloc::Layout;
use std::cell::Cell;
use std::ptr::NonNull;
use std::time::Instant;

/// Cycle-collector settings (`GC.config`) and statistics (`Memory.profile`).
#[derive(Clone, Debug)]
pub struct GcState {
    pub threshold_bytes: u64,
    pub cycle_interval_ms: u64,
    pub background: bool,
    pub collections: u64,
    pub cycles_collected: u64,
    /// Every collector pause, timed (`collector/pauses.rs`).
    pub pauses: crate::collector::pauses::PauseLog,
}

impl Default for GcState {
    fn default() -> Self {
        GcState {
            threshold_bytes: 8 * 1024 * 1024,
            cycle_interval_ms: 100,
            background: true,
            collections: 0,
            cycles_collected: 0,
            pauses: Default::default(),
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
    /// Open arenas, innermost last (`arena/mod.rs`).
    pub(crate) arenas: Vec<crate::arena::region::Arena>,
    /// Whether allocations go to the innermost arena right now (A2).
    pub(crate) arena_active: bool,
    /// Bytes charged to objects of open arenas.
    pub(crate) arena_live: u64,
    /// The last closed arena, emptied, kept for the next one (`Arena::reset`).
    pub(crate) spare_arena: Option<crate::arena::region::Arena>,
    /// Which struct types (by id) have a destructor: arenas list those structs (`arena/mod.rs`).
    pub(crate) has_destructor: Vec<bool>,
    /// A stream released without `close()` whose buffered output could not be written
    /// (its path and the error); the VM reports it as a runtime error after the release.
    pub(crate) io_failure: Option<(String, std::io::Error)>,
    /// Weak references to arena values, each with a dead stand-in header for when the
    /// target's arena closes (`arena/mod.rs` A6).
    pub(crate) arena_weaks: Vec<(ObjRef, ObjRef)>,
    /// The background cycle collector's state on the program's side (`collector`).
    pub(crate) collector: crate::collector::state::CollectorState,
    /// An actor's heap: its accounting is mirrored into the spawner's view (`actor.rs`).
    pub(crate) mirror: Option<std::sync::Arc<crate::actor::SharedCounters>>,
    /// The sums over the actors this program spawned, added to `profile()`.
    pub(crate) actors: Option<std::sync::Arc<crate::actor::SharedCounters>>,
    /// Memory over time, when `--mem-report=FILE.html` asked for it (`timeline.rs`).
    pub(crate) timeline: Option<Box<crate::timeline::Timeline>>,
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
            collector: crate::collector::state::CollectorState::default(),
            mirror: None,
            actors: None,
            timeline: None,
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
}
