//! An arena's region (`arena/mod.rs`, A5): chunks a bump pointer runs through, and the
//! lists its close reads (every object, the ones close must visit, the finalizable
//! structs, the bulk byte counts). It knows nothing of the heap: the heap holds the open
//! arenas, and `arena/mod.rs` carves objects from them and closes them.

use crate::value::ObjRef;
use crate::zone::Zone;
use std::alloc::Layout;
use std::ptr::NonNull;

/// First chunk size; later chunks double up to `MAX_CHUNK`.
const FIRST_CHUNK: usize = 16 << 10;
const MAX_CHUNK: usize = 1 << 20;
const CHUNK_ALIGN: usize = 16;
/// A closed arena's lists keep their buffers for the next arena up to this many entries.
const KEEP_ENTRIES: usize = 1 << 16;

pub(crate) struct Arena {
    chunks: Vec<(NonNull<u8>, Layout)>,
    /// Next free byte of the current chunk, and its end (both 0 before the first chunk).
    cursor: usize,
    end: usize,
    /// Every object allocated here, in allocation order (A4).
    pub(crate) objects: Vec<ObjRef>,
    /// The objects close must visit, in allocation order (A3).
    pub(crate) work: Vec<ObjRef>,
    /// Structs whose type has a destructor, in allocation order (run in reverse).
    pub(crate) finalizers: Vec<ObjRef>,
    /// Bytes and number of the objects without a metadata row, per zone (A4).
    pub(crate) bulk: [(u64, u64); Zone::COUNT],
    /// A struct got an outward reference after its allocation: close visits every object.
    pub(crate) walk_all: bool,
    /// A value of this arena was stored into an object that outlives it (outside every
    /// arena, or in an outer arena) since it opened: its end must look for escapes (A2).
    pub(crate) stored_out: bool,
    /// Bytes of the chunks this arena holds, and bytes handed out of them (with padding):
    /// what it has reserved but not yet used counts in `arena_bytes` (A4).
    reserved: u64,
    bumped: u64,
}

impl Arena {
    pub(crate) fn new() -> Arena {
        Arena {
            chunks: Vec::new(),
            cursor: 0,
            end: 0,
            objects: Vec::new(),
            work: Vec::new(),
            finalizers: Vec::new(),
            bulk: [(0, 0); Zone::COUNT],
            walk_all: false,
            stored_out: false,
            reserved: 0,
            bumped: 0,
        }
    }

    /// Whether `o` lies in one of this arena's chunks.
    pub(crate) fn contains(&self, o: ObjRef) -> bool {
        let a = o.addr();
        self.chunks.iter().any(|&(p, layout)| {
            let start = p.as_ptr() as usize;
            a >= start && a < start + layout.size()
        })
    }

    /// Region bytes reserved and not yet handed out.
    pub(crate) fn unused(&self) -> u64 {
        self.reserved.saturating_sub(self.bumped)
    }

    /// Storage for `layout`, or null if the system refuses a chunk.
    #[inline]
    pub(crate) fn bump(&mut self, layout: Layout) -> *mut u8 {
        let align = layout.align().max(8);
        let start = (self.cursor + align - 1) & !(align - 1);
        if self.cursor != 0 && start + layout.size() <= self.end {
            self.bumped += (start + layout.size() - self.cursor) as u64;
            self.cursor = start + layout.size();
            return start as *mut u8;
        }
        self.bump_slow(layout)
    }

    #[cold]
    fn bump_slow(&mut self, layout: Layout) -> *mut u8 {
        let last = self
            .chunks
            .last()
            .map(|c| c.1.size())
            .unwrap_or(FIRST_CHUNK / 2);
        let size = (last * 2)
            .min(MAX_CHUNK)
            .max(layout.size() + layout.align());
        let Ok(chunk) = Layout::from_size_align(size, CHUNK_ALIGN.max(layout.align())) else {
            return std::ptr::null_mut();
        };
        // SAFETY: `chunk` has a non-zero size (at least the object's header).
        let Some(p) = NonNull::new(crate::sysalloc::fallible(|| unsafe {
            std::alloc::alloc(chunk)
        })) else {
            return std::ptr::null_mut();
        };
        self.chunks.push((p, chunk));
        // The tail of the previous chunk is never handed out now: it counts as used.
        self.bumped = self.reserved;
        self.reserved += size as u64;
        self.cursor = p.as_ptr() as usize;
        self.end = self.cursor + size;
        self.bump(layout)
    }

    /// Reserves the first chunk when the arena opens without one, so that `arena_bytes` is
    /// above zero from the block's first line (A4). A refused chunk is left to the first
    /// allocation, which reports it.
    pub(crate) fn ensure_chunk(&mut self) {
        if self.chunks.is_empty() {
            let first = self.bump_slow(Layout::new::<u64>());
            if !first.is_null() {
                // Nothing was handed out: rewind the one word taken to make the chunk.
                self.cursor = first as usize;
                self.bumped = 0;
            }
        }
    }

    /// Empties a closed arena for reuse by the next one: its largest chunk (if of ordinary
    /// size) and its lists' buffers are kept, so a loop of arena blocks reaches a steady
    /// state with no chunk allocation at all.
    pub(crate) fn reset(&mut self) {
        let keep = self
            .chunks
            .iter()
            .enumerate()
            .filter(|(_, c)| c.1.size() <= MAX_CHUNK)
            .max_by_key(|(_, c)| c.1.size())
            .map(|(i, _)| i);
        let kept = keep.map(|i| self.chunks.swap_remove(i));
        self.reserved = kept.map_or(0, |c| c.1.size() as u64);
        self.bumped = 0;
        for &(p, layout) in &self.chunks {
            // SAFETY: A5 — the chunk came from `alloc(layout)` and close has dropped every
            // body in it; it is removed from the list right below, so it is freed once.
            unsafe { std::alloc::dealloc(p.as_ptr(), layout) };
        }
        self.chunks.clear();
        match kept {
            Some(c) => {
                self.chunks.push(c);
                self.cursor = c.0.as_ptr() as usize;
                self.end = self.cursor + c.1.size();
            }
            None => {
                self.cursor = 0;
                self.end = 0;
            }
        }
        for v in [&mut self.objects, &mut self.work, &mut self.finalizers] {
            v.clear();
            if v.capacity() > KEEP_ENTRIES {
                *v = Vec::new();
            }
        }
        self.bulk = [(0, 0); Zone::COUNT];
        self.walk_all = false;
        self.stored_out = false;
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        for &(p, layout) in &self.chunks {
            // SAFETY: A5 — the chunk came from `alloc(layout)`; every object body in it was
            // dropped by `close_arena` (or by `Drop for Heap`) before the arena is dropped.
            unsafe { std::alloc::dealloc(p.as_ptr(), layout) };
        }
    }
}
