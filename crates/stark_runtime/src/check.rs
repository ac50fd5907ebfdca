//! The heap checker (`STARK_CHECK_HEAP=1`), in the spirit of Lua's `lua_checkmemory`: it
//! walks every live allocation and checks the invariants the rest of the crate relies on,
//! so that a bookkeeping error shows up at the collection or the exit after it happens,
//! named, instead of as a wrong figure or a crash much later.
//!
//! What it checks (the invariants are written at the top of `heap/mod.rs` and `arena/mod.rs`):
//! - I2/I6: every metadata row's object is live, of the row's kind and zone, and its header
//!   points back at the row; slab and arena structs are live structs.
//! - I6/A4: each zone's `live_bytes` and `live_objects` are the sums over its live
//!   allocations, the program's `total_live` is the sum over the zones, and `arena_live`
//!   the sum over the objects of open arenas.
//! - I3: every live object has a positive strong count, at least the number of references
//!   other live objects hold to it (registers hold the rest, which the checker cannot see).
//! - I4/A6: a live object's weak count is the number of live `WeakRef` objects pointing at
//!   it, plus the arena registry's pin on a weak reference to an arena value.
//!
//! It costs a walk of the whole heap with a hash map per object, so it runs only when asked.

use crate::header::{flags, ObjKind};
use crate::heap::Heap;
use crate::value::ObjRef;
use crate::zone::Zone;
use std::collections::HashMap;

impl Heap {
    /// Checks the heap's invariants (see the module doc); `Err` names the first one broken.
    /// Call it only where no object is half-built and the pending stack has been drained.
    pub fn check_heap(&self) -> Result<(), String> {
        let entries = self.live_entries();
        let mut zones = [(0u64, 0u64); Zone::COUNT];
        let mut arena_bytes = 0u64;
        for e in &entries {
            let h = e.obj.header();
            let what = || format!("a {} in zone {}", e.kind.name(), e.zone.name());
            if h.has_flag(flags::DEAD) {
                return Err(format!("{} is listed as live but was released", what()));
            }
            if h.kind != e.kind || h.zone != e.zone {
                return Err(format!(
                    "{}: its header says a {} in zone {}",
                    what(),
                    h.kind.name(),
                    h.zone.name()
                ));
            }
            // Structs, short strings and arena strings have no row (I6, A4).
            let rowless = h.kind == ObjKind::Struct
                || (h.kind == ObjKind::Str && (h.has_flag(flags::ARENA) || e.obj.is_short_str()));
            let has_row = !rowless;
            if has_row && self.meta.get(h.meta()).map(|r| r.obj) != Some(e.obj) {
                return Err(format!("{}: its header does not point at its row", what()));
            }
            let z = &mut zones[e.zone.index()];
            z.0 += e.bytes;
            z.1 += 1;
            if h.has_flag(flags::ARENA) {
                arena_bytes += e.bytes;
            }
        }
        for zone in Zone::ALL {
            let c = self.zones[zone.index()];
            let (bytes, objects) = zones[zone.index()];
            if (c.live_bytes, c.live_objects) != (bytes, objects) {
                return Err(format!(
                    "zone {}: counters say {} bytes in {} objects, its allocations add up to {} bytes in {}",
                    zone.name(),
                    c.live_bytes,
                    c.live_objects,
                    bytes,
                    objects
                ));
            }
        }
        let zone_sum: u64 = self.zones.iter().map(|z| z.live_bytes).sum();
        if zone_sum != self.total_live {
            return Err(format!(
                "the program's live bytes are {} but its zones add up to {zone_sum}",
                self.total_live
            ));
        }
        if arena_bytes != self.arena_live {
            return Err(format!(
                "open arenas are charged {} bytes but their objects add up to {arena_bytes}",
                self.arena_live
            ));
        }
        self.check_counts(&entries.iter().map(|e| e.obj).collect::<Vec<_>>())
    }

    /// I3 and I4 over the live objects `live`.
    fn check_counts(&self, live: &[ObjRef]) -> Result<(), String> {
        let mut strong_in: HashMap<ObjRef, u64> = HashMap::new();
        let mut weak_in: HashMap<ObjRef, u64> = HashMap::new();
        for &o in live {
            if o.kind() == ObjKind::Weak {
                *weak_in.entry(o.weak_target()).or_default() += 1;
            }
            crate::cycle::trace(o, |c| *strong_in.entry(c).or_default() += 1);
        }
        for &(w, _) in &self.arena_weaks {
            *weak_in.entry(w).or_default() += 1;
        }
        let name = |o: ObjRef| self.type_name(o.kind(), o.type_id()).to_string();
        for &o in live {
            let h = o.header();
            // Arena objects are never counted (A1); constants keep their table's count.
            if h.has_flag(flags::ARENA) {
                continue;
            }
            let strong = u64::from(h.strong.get());
            let held = strong_in.get(&o).copied().unwrap_or(0);
            if strong == 0 || (strong < held && !h.has_flag(flags::IMMORTAL)) {
                return Err(format!(
                    "a live `{}` has a strong count of {strong} but {held} references from other objects",
                    name(o)
                ));
            }
            let weak = u64::from(h.weak.get());
            let expected = weak_in.get(&o).copied().unwrap_or(0);
            if weak != expected {
                return Err(format!(
                    "a live `{}` has a weak count of {weak} but {expected} weak references",
                    name(o)
                ));
            }
        }
        Ok(())
    }
}
