//! Accounting (I6): the limit checks (`--max-memory`, quotas, M15), what objects and
//! buffers are charged to their zones, the mirror of an actor heap's counters (`actor.rs`),
//! and the trace events of allocations and frees.

// The heap's shared imports and helpers (`mod.rs`).
use super::*;
use crate::actor::SharedCounters;
use std::sync::Arc;

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

impl Heap {
    /// The system allocator refused `bytes` (no limit was passed).
    pub(crate) fn system_oom(&self, bytes: u64) -> OutOfMemory {
        OutOfMemory {
            requested: bytes,
            live: self.live_bytes(),
            limit: None,
            quota: false,
        }
    }

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

    /// Makes this heap an actor's: new objects go to the `actor` zone, and every
    /// allocation and free is mirrored into `counters` (the spawning program's view).
    pub fn make_actor_heap(&mut self, counters: Arc<SharedCounters>) {
        self.current_zone = Zone::Actor;
        self.mirror = Some(counters);
    }

    /// Adds the sums in `counters` (the actors this program spawned) to `profile()`.
    pub fn show_actors(&mut self, counters: Arc<SharedCounters>) {
        self.actors = Some(counters);
        self.publish_live();
    }

    /// The actors' sums this heap's profile includes, if any.
    pub fn actor_counters(&self) -> Option<&Arc<SharedCounters>> {
        self.actors.as_ref()
    }

    /// Every live allocation's metadata (M14): the rows of non-struct objects, then the
    /// structs of the slabs and of open arenas, whose headers are their rows (I6), the short
    /// strings of the pool and the strings of open arenas, whose headers and lengths are
    /// theirs (I6, `arena/mod.rs` A4).
    pub fn live_entries(&self) -> Vec<MetaEntry> {
        let mut out: Vec<MetaEntry> = self.meta.live().copied().collect();
        self.pool.for_each_header(|o| {
            let h = o.header();
            if o.is_short_str() && !h.has_flag(flags::DEAD) {
                out.push(MetaEntry {
                    obj: o,
                    zone: h.zone,
                    owner: h.owner(),
                    kind: ObjKind::Str,
                    type_id: 0,
                    bytes: arena_str_bytes(o),
                });
            }
        });
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

    /// Charges (or refunds, `delta < 0`) a live object for a change in the buffers it owns.
    pub fn resize(&mut self, obj: ObjRef, delta: i64) -> Result<(), OutOfMemory> {
        if delta == 0 {
            return Ok(());
        }
        if delta > 0 {
            self.check_limit(delta as u64)?;
        }
        let h = obj.header();
        // Structs own no buffers: only other kinds resize, and they have rows (I6) — except
        // short strings, whose size their text's length gives: the caller changes the text
        // right after, so the size is the current one plus `delta`.
        let now = if obj.is_short_str() {
            (arena_str_bytes(obj) as i64 + delta) as u64
        } else {
            let row = self.meta.get_mut(h.meta());
            row.bytes = (row.bytes as i64 + delta) as u64;
            row.bytes
        };
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
    pub(crate) fn trace_object(
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
}

/// Bytes charged to a string without a row, an arena string (`alloc_str_arena`, A4) or a
/// short one (`alloc_str_inline`, I6): its object and its text.
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
