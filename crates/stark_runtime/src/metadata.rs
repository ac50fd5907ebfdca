//! The allocation metadata table (M14), so that profiles, traces, `usage_by_type` and the
//! cycle collector can enumerate the live objects of a zone without walking the object
//! graph. This table holds one row per live allocation whose size can change (long
//! strings, lists, maps, weak refs, tensors, datasets, streams, tasks). Structs and short
//! strings have no row here: their header (and a short string's length) carries the same
//! facts, and the struct slabs (`slab.rs`) and the pool (`pool.rs`) enumerate them;
//! `Heap::live_entries` gives all of them as one list of `MetaEntry`.

use crate::header::{ObjKind, OwnerKind};
use crate::value::ObjRef;
use crate::zone::Zone;

/// One row: what the allocation is and how many bytes it accounts for.
#[derive(Clone, Copy, Debug)]
pub struct MetaEntry {
    pub obj: ObjRef,
    pub zone: Zone,
    pub owner: OwnerKind,
    pub kind: ObjKind,
    /// Struct type id (meaningful for `ObjKind::Struct`).
    pub type_id: u32,
    /// Bytes charged: the allocation itself plus buffers it owns (list storage, text…).
    pub bytes: u64,
}

/// Rows live in a vector indexed by the header's `meta` field; freed rows are recycled
/// through a free list so the table stays as large as the peak object count.
#[derive(Default)]
pub struct MetaTable {
    rows: Vec<Option<MetaEntry>>,
    free: Vec<u32>,
}

impl MetaTable {
    /// A row for `entry`, or `None` when the system refuses the memory to grow the table
    /// (the caller reports out of memory).
    #[inline]
    pub(crate) fn insert(&mut self, entry: MetaEntry) -> Option<u32> {
        if let Some(slot) = self.free.pop() {
            self.rows[slot as usize] = Some(entry);
            return Some(slot);
        }
        if self.rows.len() == self.rows.capacity() {
            self.grow()?;
        }
        self.rows.push(Some(entry));
        Some((self.rows.len() - 1) as u32)
    }

    /// Doubles the table, fallibly. The free list gets room for every row at the same time,
    /// so `remove` (which runs while objects are released, maybe after the system refused
    /// memory) never allocates.
    #[cold]
    fn grow(&mut self) -> Option<()> {
        let add = self.rows.capacity().max(64);
        crate::sysalloc::fallible(|| {
            self.rows.try_reserve(add)?;
            let rows = self.rows.capacity();
            self.free.try_reserve(rows - self.free.len())
        })
        .ok()
    }

    #[inline]
    pub(crate) fn remove(&mut self, slot: u32) -> MetaEntry {
        let entry = self.rows[slot as usize]
            .take()
            .expect("metadata row of a live object");
        self.free.push(slot);
        entry
    }

    #[inline]
    pub fn get(&self, slot: u32) -> Option<&MetaEntry> {
        self.rows.get(slot as usize).and_then(|r| r.as_ref())
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, slot: u32) -> &mut MetaEntry {
        self.rows[slot as usize]
            .as_mut()
            .expect("metadata row of a live object")
    }

    /// All live allocations, in slot order.
    pub fn live(&self) -> impl Iterator<Item = &MetaEntry> + '_ {
        self.rows.iter().filter_map(|r| r.as_ref())
    }

    /// Live allocations of one zone (the collector sweeps zone-locally, M8).
    pub fn live_in(&self, zone: Zone) -> impl Iterator<Item = &MetaEntry> + '_ {
        self.live().filter(move |e| e.zone == zone)
    }

    /// Number of slots (live or free): an upper bound for slot indices.
    pub fn capacity(&self) -> usize {
        self.rows.len()
    }
}
