//! The background cycle collector (M7): Bacon and Rajan's synchronous cycle collection
//! ("Concurrent Cycle Collection in Reference Counted Systems", ECOOP 2001) split so that
//! the expensive marking runs on a thread of its own while the program keeps running.
//!
//! Reference counts are plain `Cell`s and the heap belongs to the program's thread, so the
//! collector thread never reads the heap. A collection goes like this:
//!
//! 1. **Possible roots.** `decref` of an object to a non-zero count buffers it (Bacon–Rajan's
//!    purple set, `gc_bits::IN_ROOTS`): only such an object can have become the entry of a
//!    garbage cycle. Acyclic garbage never gets here: it is freed at count zero (M3).
//! 2. **Snapshot (program thread, short).** At a safepoint — the interpreter polls
//!    [`Heap::gc_poll`] on backward jumps and calls — once `threshold_bytes` were allocated
//!    since the last step, or the thread's timer (`cycle_interval_ms`) raised the attention
//!    flag, the program copies the subgraph reachable from buffered roots into a
//!    [`Snapshot`]: each node's count and the indices of its children. The copy is bounded
//!    (`STEP_NODES` nodes, `STEP_EDGES` edges) so the pause does not grow with the heap;
//!    roots not reached stay buffered for the next step. Each copied object is pinned
//!    (`gc_bits::IN_SNAPSHOT`).
//! 3. **Mark (collector thread, concurrent).** Trial deletion on the snapshot: MarkGray
//!    subtracts internal edges, Scan re-blackens what a still-positive node reaches,
//!    CollectWhite proposes the rest.
//! 4. **Validate and sweep (program thread, at a later safepoint).** The program takes the
//!    proposal, drops members freed meanwhile, and re-runs trial deletion on the proposed
//!    set with the *current* counts and edges. Only what passes is garbage: its destructors
//!    run on the program's thread (each member held by one extra reference meanwhile), then
//!    it is freed (`Heap::free_cycle_garbage`, which re-checks for resurrection).
//!
//! # Invariants
//!
//! - **C1 (no shared heap).** The collector thread only ever sees `Snapshot`s (numbers),
//!   never an `ObjRef`; every read or write of a header happens on the program's thread.
//!   Non-atomic counts are therefore never raced.
//! - **C2 (pins).** An object whose header the collector still names (buffered root or
//!   in-flight snapshot) is not deallocated when released: it is marked `DEAD` and kept
//!   until the pin is dropped ([`Heap::dealloc_if_unreferenced`]). So a stale pointer in
//!   the root buffer or the snapshot always reads a valid header.
//! - **C3 (the proposal is only a hint).** A snapshot may be incomplete (bounded) and
//!   stale (the program ran on); missing nodes or edges only make nodes look referenced
//!   from outside, which can hide garbage but never invent it. Whatever the thread
//!   proposes, the program frees only what trial deletion confirms at the safepoint on
//!   exact counts: a set whose every strong reference comes from inside the set is
//!   unreachable (registers and every owner are counted; views live only while an
//!   owner does), and the program cannot reach it again except through a `WeakRef`,
//!   which the validation sees as a changed count. No dirty bits are needed on the hot
//!   paths because validation recounts instead of trusting the snapshot.
//! - **C4 (bounded pauses).** Snapshot work is capped per step (nodes, edges, and a
//!   wall-clock budget checked as it goes; an object's children are visited only while
//!   edges remain, so a huge list costs no more than a small one); validation and sweep
//!   work is proportional to the garbage found, itself bounded by the snapshot size. The
//!   collector thread is started outside any timed step.

pub mod concurrent;
pub mod snapshot;
pub(crate) mod state;

use crate::header::{flags, gc_bits, ObjKind};
use crate::heap::{incref_obj, Heap};
use crate::object::FxHasher;
use crate::trace::{TraceEvent, TraceKind};
use crate::value::ObjRef;
use crate::zone::Zone;
use concurrent::Worker;
pub use snapshot::Snapshot;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Most objects copied into one snapshot.
pub const STEP_NODES: usize = 2048;
/// Most edges followed while copying one snapshot.
pub const STEP_EDGES: usize = 8192;
/// A root buffer this long asks for a step even before the byte threshold.
const ROOTS_SOFT_LIMIT: usize = 64 * 1024;
/// Wall-clock budget of one snapshot copy. The node and edge caps bound the work, but not
/// its time (cache misses on a large heap, releasing dead roots), so the copy also stops
/// early once this much time has gone; a smaller snapshot is still sound (C3).
const STEP_BUDGET: std::time::Duration = std::time::Duration::from_micros(300);
/// How many nodes or dead roots are handled between two clock reads.
const CLOCK_EVERY: usize = 64;
/// Nodes a snapshot always copies before the budget applies, so that on a slow or
/// overloaded machine (Valgrind, a busy core) each step still makes progress against the
/// garbage the program produces.
const STEP_MIN_NODES: usize = 512;

/// What one safepoint step did.
#[derive(Default)]
pub struct GcStep {
    /// A proposal was validated: this is a collection (possibly freeing nothing).
    pub applied: bool,
    /// Confirmed cyclic garbage, each member held by one extra strong reference; the VM
    /// runs destructors, then calls `free_cycle_garbage`.
    pub garbage: Vec<ObjRef>,
}

#[inline]
fn collectable(o: ObjRef) -> bool {
    let h = o.header();
    matches!(h.kind, ObjKind::Struct | ObjKind::List | ObjKind::Map)
        && !h.has_flag(flags::LOCAL | flags::ARENA | flags::DEAD | flags::FINALIZING)
        && h.strong.get() > 0
}

impl Heap {
    /// Buffers `o` as a possible cycle root (its count just dropped to non-zero).
    #[inline(never)]
    pub(crate) fn possible_root(&mut self, o: ObjRef) {
        let h = o.header();
        if !matches!(h.kind, ObjKind::Struct | ObjKind::List | ObjKind::Map)
            || h.has_flag(flags::LOCAL)
        {
            return;
        }
        h.gc.set(h.gc.get() | gc_bits::IN_ROOTS);
        self.collector.roots.push(o);
        if self.collector.roots.len() >= ROOTS_SOFT_LIMIT {
            self.collector.due = true;
        }
    }

    /// Whether the program should call [`Heap::gc_step`] at this safepoint. Cheap: a bool
    /// and a relaxed atomic load.
    #[inline]
    pub fn gc_poll(&self) -> bool {
        self.collector.due
            || self
                .collector
                .attention
                .as_ref()
                .is_some_and(|a| a.load(Ordering::Relaxed))
    }

    /// Buffered possible roots (for tests and `Memory.profile` debugging).
    pub fn gc_roots_len(&self) -> usize {
        self.collector.roots.len()
    }

    /// Whether a snapshot is being marked by the collector thread.
    pub fn gc_in_flight(&self) -> bool {
        self.collector.in_flight.is_some()
    }

    /// One short collector step at a safepoint: validate a finished proposal, and start the
    /// next snapshot (marked on the collector thread when `background`, right here
    /// otherwise).
    pub fn gc_step(&mut self) -> GcStep {
        self.collector.due = false;
        self.collector.allocated = 0;
        if let Some(a) = &self.collector.attention {
            a.store(false, Ordering::Relaxed);
        }
        let mut step = GcStep::default();
        if self.collector.in_flight.is_some() {
            let result = self.collector.worker.as_ref().and_then(|w| w.try_result());
            match result {
                Some(r) => {
                    let nodes = self.collector.in_flight.take().unwrap_or_default();
                    self.trace_phase("mark", r.started, r.finished, 1);
                    step.garbage = self.validate(nodes, &r.white);
                    step.applied = true;
                    // The sweep of this garbage follows in the same pause; the next
                    // snapshot waits for the next safepoint so the two costs never add up.
                    if !self.collector.roots.is_empty() {
                        self.collector.due = true;
                    }
                    return step;
                }
                // Still marking: the program goes on; a later safepoint picks it up.
                None => return step,
            }
        }
        if self.collector.roots.is_empty() {
            return step;
        }
        self.gc_start_worker();
        let t0 = Instant::now();
        let (nodes, snapshot) = self.take_snapshot();
        self.trace_phase("snapshot", t0, Instant::now(), 0);
        if snapshot.is_empty() {
            return step;
        }
        let worker = self
            .collector
            .worker
            .as_ref()
            .filter(|_| self.gc.background);
        let snapshot = match worker {
            Some(w) => {
                w.set_interval(self.gc.cycle_interval_ms);
                match w.submit(snapshot) {
                    Ok(()) => {
                        self.collector.in_flight = Some(nodes);
                        return step;
                    }
                    Err(back) => back,
                }
            }
            None => snapshot,
        };
        // No thread (background=false, or none could start): mark here, still bounded.
        let t1 = Instant::now();
        let white = snapshot.white_nodes();
        self.trace_phase("mark", t1, Instant::now(), 0);
        let mut garbage = self.validate(nodes, &white);
        step.garbage.append(&mut garbage);
        step.applied = true;
        step
    }

    /// Starts the collector thread if `background` asks for one. The VM calls this before
    /// it starts timing a safepoint, so spawning a thread never counts as a pause.
    pub fn gc_start_worker(&mut self) {
        if self.gc.background && self.collector.worker.is_none() && !self.collector.worker_failed {
            match Worker::start(self.gc.cycle_interval_ms) {
                Some(w) => {
                    self.collector.attention = Some(w.attention.clone());
                    self.collector.worker = Some(w);
                }
                None => self.collector.worker_failed = true,
            }
        }
    }

    /// Copies a bounded subgraph reachable from buffered roots (C4), pinning its nodes.
    fn take_snapshot(&mut self) -> (Vec<ObjRef>, Snapshot) {
        type Index = HashMap<ObjRef, u32, BuildHasherDefault<FxHasher>>;
        let mut index: Index = Index::default();
        let mut nodes: Vec<ObjRef> = Vec::new();
        let mut snap = Snapshot::default();
        let mut edges_left = STEP_EDGES;
        let mut next = 0usize;
        let deadline = Instant::now() + STEP_BUDGET;
        let mut ticks = 0usize;
        loop {
            ticks += 1;
            if ticks.is_multiple_of(CLOCK_EVERY)
                && nodes.len() >= STEP_MIN_NODES
                && Instant::now() >= deadline
            {
                break;
            }
            // Take the next root once the previous one's subgraph is copied.
            if next == nodes.len() {
                if nodes.len() >= STEP_NODES || edges_left == 0 {
                    break;
                }
                let Some(root) = self.collector.roots.pop() else {
                    break;
                };
                let h = root.header();
                h.gc.set(h.gc.get() & !gc_bits::IN_ROOTS);
                if h.has_flag(flags::DEAD) {
                    self.dealloc_if_unreferenced(root);
                    continue;
                }
                if !collectable(root) || index.contains_key(&root) {
                    continue;
                }
                index.insert(root, nodes.len() as u32);
                nodes.push(root);
                continue;
            }
            if edges_left == 0 {
                break;
            }
            let o = nodes[next];
            next += 1;
            let mut children: Vec<u32> = Vec::new();
            crate::cycle::trace_while(o, |c| {
                if edges_left == 0 {
                    return false;
                }
                edges_left -= 1;
                let i = match index.get(&c) {
                    Some(&i) => i,
                    None if nodes.len() < STEP_NODES && collectable(c) => {
                        let i = nodes.len() as u32;
                        index.insert(c, i);
                        nodes.push(c);
                        i
                    }
                    // Beyond the bound: the edge is left out, which is safe (C3).
                    None => return true,
                };
                children.push(i);
                true
            });
            // Nodes are processed in index order, so this is node `next - 1`'s start.
            snap.offsets.push(snap.edges.len() as u32);
            snap.edges.extend_from_slice(&children);
        }
        // Nodes whose children were not followed get no edges (C3).
        snap.offsets
            .resize(nodes.len() + 1, snap.edges.len() as u32);
        snap.counts = nodes.iter().map(|o| o.header().strong.get()).collect();
        for o in &nodes {
            let h = o.header();
            h.gc.set(h.gc.get() | gc_bits::IN_SNAPSHOT);
        }
        (nodes, snap)
    }

    /// Unpins a snapshot and confirms its proposal on current counts (C3); the confirmed
    /// garbage is returned held (one extra reference each).
    fn validate(&mut self, nodes: Vec<ObjRef>, white: &[u32]) -> Vec<ObjRef> {
        let t0 = Instant::now();
        let candidates: Vec<ObjRef> = white
            .iter()
            .filter_map(|&i| nodes.get(i as usize).copied())
            .filter(|&o| collectable(o))
            .collect();
        for &o in &nodes {
            let h = o.header();
            h.gc.set(h.gc.get() & !gc_bits::IN_SNAPSHOT);
            self.dealloc_if_unreferenced(o);
        }
        let garbage = crate::cycle::unreachable_members(&candidates);
        for &o in &garbage {
            incref_obj(o);
        }
        self.trace_phase("validate", t0, Instant::now(), 0);
        garbage
    }

    /// Lets the thread finish the snapshot in flight and validates it (end of the run).
    pub fn gc_finish(&mut self) -> Vec<ObjRef> {
        let Some(nodes) = self.collector.in_flight.take() else {
            return Vec::new();
        };
        let white = self
            .collector
            .worker
            .as_ref()
            .and_then(|w| w.wait_result())
            .map(|r| r.white)
            .unwrap_or_default();
        self.validate(nodes, &white)
    }

    /// Records a pause of the program for collector work (`gc_pause_max_us`).
    pub fn record_pause(&mut self, us: u64) {
        self.gc.pause_max_us = self.gc.pause_max_us.max(us);
    }

    /// Emits a collector phase as a duration event when tracing is on.
    pub fn trace_phase(&mut self, name: &str, start: Instant, end: Instant, thread: u8) {
        if !self.tracer.any {
            return;
        }
        let event = TraceEvent {
            kind: TraceKind::Phase,
            type_name: name.to_string(),
            bytes: 0,
            delta: 0,
            zone: Zone::Global,
            time_us: start.saturating_duration_since(self.start).as_micros() as u64,
            zone_live_bytes: self.zones[Zone::Global.index()].live_bytes,
            dur_us: end.saturating_duration_since(start).as_micros() as u64,
            thread,
        };
        self.tracer.send(event);
    }
}
