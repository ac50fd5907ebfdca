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
//!    CollectWhite proposes the rest, in groups no snapshot edge joins
//!    (`Snapshot::white_groups`).
//! 4. **Settle: validate and sweep (program thread, over later safepoints).** The program
//!    takes the proposal in, then settles it a bounded batch per safepoint: the nodes not
//!    proposed are unpinned `UNPIN_BATCH` at a time, and the proposed groups are taken one
//!    by one while the step's budget lasts (at least one a step): trial deletion re-runs
//!    on the group with the *current* counts and edges, and only what passes is garbage:
//!    its destructors run on the program's thread (each member held by one extra reference
//!    meanwhile), then it is freed (`Heap::free_cycle_garbage`, which re-checks for
//!    resurrection). While a proposal is being settled, or roots wait, steps come every
//!    `PACE_BYTES` allocated, so the program runs between them.
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
//!   edges remain, so a huge list costs no more than a small one). A step does one kind of
//!   work: a snapshot, taking in a proposal (linear in the snapshot), or settling (one
//!   unpin batch, then groups until `SWEEP_BUDGET` is spent). The two wall-clock budgets
//!   apply only with a collector thread: `background=false` promises the same steps on
//!   every run, however loaded the machine, so there the counts alone bound a step. Nothing a step does grows
//!   with the live heap or with the garbage waiting: the backlog waits in the root buffer
//!   and in the groups still to settle. The collector thread is started outside any timed
//!   step. Every step is timed, wall and CPU (`pauses.rs`).
//! - **C5 (groups settle alone).** A proposal's groups are validated and swept one at a
//!   time, and only one proposal is settled at once (the next snapshot waits until it is
//!   done, so pins never pile up). Validating a group alone is sound by C3: a reference
//!   from another group, or from a proposed node not yet swept, only makes the group look
//!   referenced, and it is kept; every group member stays pinned (C2) until its own group
//!   is validated, so a member freed meanwhile is seen `DEAD` and left out.
//! - **C6 (the garbage waits for the program, never the reverse, within a bound).** The
//!   program never waits for the collector thread, except when the thread has had a
//!   snapshot for `STARVED_BYTES` of the program's allocation without finishing it: then the
//!   next step waits for the mark (a pause, timed as any). Without this, a thread that gets
//!   no CPU would let cyclic garbage grow without bound while the program runs on.

pub mod concurrent;
pub mod pauses;
pub mod snapshot;
pub(crate) mod state;

use crate::header::{flags, gc_bits, ObjKind};
use crate::heap::{incref_obj, Heap};
use crate::trace::{TraceEvent, TraceKind};
use crate::value::ObjRef;
use crate::zone::Zone;
use concurrent::Worker;
use pauses::{PauseClock, StepKind, StepWork};
pub use snapshot::Snapshot;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Most objects copied into one snapshot.
pub const STEP_NODES: usize = 2048;
/// Most edges followed while copying one snapshot.
pub const STEP_EDGES: usize = 8192;
/// A root buffer this long asks for a step even before the byte threshold.
const ROOTS_SOFT_LIMIT: usize = 64 * 1024;
/// Wall-clock budget of a snapshot copy. The node and edge caps bound a copy's work, but
/// not its time (cache misses on a large heap, releasing dead roots), so the copy also
/// stops early once this much time has gone; a smaller snapshot is still sound (C3).
/// Handing the snapshot to the collector thread (a channel send that wakes it) adds
/// 10–60 µs on a 2-core VM (the most when the other core is idle and must be woken), so
/// the step stays under 100 µs.
const SNAPSHOT_BUDGET: std::time::Duration = std::time::Duration::from_micros(30);
/// Wall-clock budget of the groups one step sweeps, checked between groups. Both budgets
/// are 30 µs: at 40 the wall p99 was 73–87 µs on a 2-core VM, at 30 57–66 µs with the
/// same total time and garbage, at 20 the sweeps fell behind (four times the garbage
/// alive). The steps of a few nodes that now and then take 100–800 µs are the host
/// taking the CPU away mid-step (docs/decisions.md, "Pauses under 100 µs").
const SWEEP_BUDGET: std::time::Duration = std::time::Duration::from_micros(30);
/// Group members validated between two reads of the clock while a step sweeps (~1.5 µs
/// of work): most groups are two or three objects, and a clock read for each was a
/// twentieth of a sweep's time. A destructor run forces a read at the next group.
const SWEEP_CLOCK_MEMBERS: u32 = 8;
/// Nodes of a settled snapshot unpinned per step.
const UNPIN_BATCH: usize = 512;
/// While a snapshot is being settled, or roots wait for the next one, a step is due after
/// this many bytes are allocated (or on the collector thread's timer): often enough to keep
/// up with a program that makes cyclic garbage fast, with program work between the steps.
const PACE_BYTES: u64 = 64 << 10;
/// Allocation while one snapshot is marked after which the program waits for the mark
/// (C6). The thread marks a snapshot in 50–200 µs, in which a program allocates far less
/// than this; only a thread kept off the CPU (an overloaded machine, Valgrind's scheduler)
/// gets here, and then the wait is what bounds the garbage.
pub(crate) const STARVED_BYTES: u64 = 1 << 20;
/// How many nodes or dead roots are handled between two clock reads.
const CLOCK_EVERY: usize = 64;
/// Nodes a snapshot always copies before the budget applies, so that on a slow or
/// overloaded machine (Valgrind, a busy core) each step still makes progress against the
/// garbage the program produces.
const STEP_MIN_WORK: usize = 256;

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
        // A backlog this long asks for a step at every safepoint until it shrinks (the
        // collector's most work per allocation); a safepoint with nothing to do returns
        // at once ([`Heap::gc_has_work`]).
        if self.collector.roots.len() >= ROOTS_SOFT_LIMIT {
            self.collector.due = true;
        }
    }

    /// Bytes allocated after which a collector step is due.
    #[inline]
    pub(crate) fn step_bytes(&self) -> u64 {
        match self.collector.pace {
            Some(pace) => pace.min(self.gc.threshold_bytes),
            None => self.gc.threshold_bytes,
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

    /// Whether a step at this safepoint has work: a snapshot being settled, a marked one to
    /// take in, or roots and no snapshot in flight. When not, the request is dropped
    /// without a step, so no empty pause is timed or counted.
    pub fn gc_has_work(&mut self) -> bool {
        let c = &mut self.collector;
        if c.in_flight.is_some() {
            c.unmarked_bytes += c.allocated;
        }
        let starved = c.unmarked_bytes >= STARVED_BYTES;
        let work = c.settling()
            || match (&c.in_flight, &c.worker) {
                (Some(_), Some(w)) => w.ready() || starved,
                (Some(_), None) => true,
                (None, _) => !c.roots.is_empty(),
            };
        if !work {
            // As a step would: the next request comes after the next pace of allocation
            // (or the thread's flag), not at every allocation until then.
            self.collector.allocated = 0;
            self.collector.due = false;
            if let Some(a) = &self.collector.attention {
                a.store(false, Ordering::Relaxed);
            }
        }
        work
    }

    /// Buffered possible roots (for tests and `Memory.profile` debugging).
    pub fn gc_roots_len(&self) -> usize {
        self.collector.roots.len()
    }

    /// Whether a snapshot is being marked by the collector thread.
    pub fn gc_in_flight(&self) -> bool {
        self.collector.in_flight.is_some()
    }

    /// One short collector step at a safepoint, one kind of work per step (C4, C5): settle
    /// a marked snapshot (unpin a batch of its nodes; the VM then sweeps its groups with
    /// [`Heap::gc_next_group`] while the step's budget lasts), or take in a finished
    /// proposal, or copy the next snapshot (marked on the collector thread when
    /// `background`, right here otherwise).
    pub fn gc_step(&mut self) {
        self.collector.due = false;
        self.collector.allocated = 0;
        self.collector.step = StepWork::default();
        // The clock is read after the first group whatever its size: the step's other
        // work may have spent the budget already.
        self.collector.unclocked = u32::MAX;
        if let Some(a) = &self.collector.attention {
            a.store(false, Ordering::Relaxed);
        }
        if self.collector.settling() {
            let n = self.unpin_batch();
            if n > 0 {
                self.collector.step.kind = StepKind::Unpin;
                self.collector.step.nodes = n as u32;
            }
        } else if self.collector.in_flight.is_some() {
            // Still marking: the program goes on and a later safepoint picks it up, unless
            // the thread has been starved of CPU for too long (C6).
            let starved = self.collector.unmarked_bytes >= STARVED_BYTES;
            let result = self.collector.worker.as_ref().and_then(|w| {
                if starved {
                    w.wait_result()
                } else {
                    w.try_result()
                }
            });
            if let Some(r) = result {
                let nodes = self.collector.in_flight.take().unwrap_or_default();
                self.collector.step.kind = match starved {
                    true => StepKind::WaitedTakeIn,
                    false => StepKind::TakeIn,
                };
                self.collector.step.nodes = nodes.len() as u32;
                self.trace_phase("mark", r.started, r.finished, 1);
                self.collector.scratch.snapshot = r.spare;
                self.settle(nodes, r.white, r.ends);
            }
        } else if !self.collector.roots.is_empty() {
            self.start_snapshot();
        }
        // While the thread marks, no pace: it raises the attention flag when it is done.
        let waiting = self.collector.in_flight.is_none() && !self.collector.roots.is_empty();
        self.collector.pace = (self.collector.settling() || waiting).then_some(PACE_BYTES);
    }

    fn start_snapshot(&mut self) {
        self.gc_start_worker();
        let t0 = Instant::now();
        let (nodes, snapshot) = self.take_snapshot();
        self.trace_phase("snapshot", t0, Instant::now(), 0);
        self.collector.step.kind = StepKind::Snapshot;
        self.collector.step.nodes = nodes.len() as u32;
        if snapshot.is_empty() {
            return;
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
                        self.collector.unmarked_bytes = 0;
                        return;
                    }
                    Err(back) => back,
                }
            }
            None => snapshot,
        };
        // No thread (background=false, or none could start): mark here, still bounded.
        let t1 = Instant::now();
        let (white, ends) = snapshot.white_groups();
        self.trace_phase("mark", t1, Instant::now(), 0);
        self.collector.scratch.snapshot = snapshot;
        self.settle(nodes, white, ends);
    }

    /// Takes in a marked snapshot: its proposed groups (`white`, ending at `ends`) to be
    /// validated and swept one at a time, its other nodes to be unpinned in batches. All
    /// stay pinned until then (C2). Linear in the snapshot, which `STEP_NODES` bounds.
    fn settle(&mut self, nodes: Vec<ObjRef>, white: Vec<u32>, ends: Vec<u32>) {
        let mut proposed = vec![false; nodes.len()];
        let mut members = Vec::with_capacity(white.len());
        for &i in &white {
            if let Some(&o) = nodes.get(i as usize) {
                proposed[i as usize] = true;
                members.push(o);
            }
        }
        self.collector.unpin = nodes
            .iter()
            .zip(&proposed)
            .filter(|(_, &p)| !p)
            .map(|(&o, _)| o)
            .collect();
        if ends.is_empty() || members.len() != white.len() {
            // Nothing proposed (or a result that does not fit its snapshot, which the
            // collector thread never sends): a collection that found nothing.
            self.collector.unpin.extend(members);
            self.gc.collections += 1;
            self.keep_nodes(nodes);
            return;
        }
        self.collector.groups = state::Groups {
            members,
            ends,
            next: 0,
        };
        self.keep_nodes(nodes);
    }

    /// Keeps a settled snapshot's node list, emptied, for the next snapshot to fill.
    fn keep_nodes(&mut self, mut nodes: Vec<ObjRef>) {
        nodes.clear();
        self.collector.scratch.nodes = nodes;
    }

    /// Unpins up to `UNPIN_BATCH` nodes of the snapshot being settled that were not
    /// proposed (freeing those that died meanwhile, C2); returns how many.
    fn unpin_batch(&mut self) -> usize {
        let at = self.collector.unpin.len().saturating_sub(UNPIN_BATCH);
        let batch: Vec<ObjRef> = self.collector.unpin.drain(at..).collect();
        let n = batch.len();
        for o in batch {
            self.unpin(o);
        }
        n
    }

    fn unpin(&mut self, o: ObjRef) {
        let h = o.header();
        h.gc.set(h.gc.get() & !gc_bits::IN_SNAPSHOT);
        self.dealloc_if_unreferenced(o);
    }

    /// The next group of proposed garbage, validated on current counts (C3) and held (one
    /// extra reference each) for the VM to run its destructors and free it; `None` when
    /// no group is left, or when this step already swept one and has used its budget
    /// (`clock`: when the step began). Each step sweeps at least one group, so the work
    /// always moves on, however slow the machine.
    pub fn gc_next_group(&mut self, clock: &PauseClock) -> Option<Vec<ObjRef>> {
        // The budget only with a collector thread, as for the snapshot: with
        // `background=false` a step settles its whole proposal, the same on every run.
        let c = &mut self.collector;
        if self.gc.background && c.step.groups > 0 && c.unclocked >= SWEEP_CLOCK_MEMBERS {
            c.unclocked = 0;
            if clock.wall_elapsed() >= SWEEP_BUDGET {
                return None;
            }
        }
        let group = c.groups.take_next()?;
        c.step.groups += 1;
        c.unclocked = c.unclocked.saturating_add(group.len() as u32);
        // The clock is read only for a trace: a step sweeps many small groups.
        let t0 = self.tracer.any.then(Instant::now);
        let garbage = self.validate(group);
        if let Some(t0) = t0 {
            self.trace_phase("validate", t0, Instant::now(), 0);
        }
        if self.collector.groups.is_empty() {
            self.gc.collections += 1;
        }
        Some(garbage)
    }

    /// Unpins a group and confirms it is garbage on current counts and edges (C3); the
    /// confirmed garbage is returned held.
    fn validate(&mut self, group: Vec<ObjRef>) -> Vec<ObjRef> {
        let candidates: Vec<ObjRef> = group.iter().copied().filter(|&o| collectable(o)).collect();
        for o in group {
            self.unpin(o);
        }
        let garbage = crate::cycle::unreachable_members(&candidates);
        for &o in &garbage {
            incref_obj(o);
        }
        garbage
    }

    /// Starts the collector thread if `background` asks for one. The VM calls this before
    /// it starts timing a safepoint, so spawning a thread never counts as a pause.
    pub fn gc_start_worker(&mut self) {
        if self.gc.background && self.collector.worker.is_none() && !self.collector.worker_failed {
            match Worker::start(self.gc.cycle_interval_ms, self.collector.attention_flag()) {
                Some(w) => self.collector.worker = Some(w),
                None => self.collector.worker_failed = true,
            }
        }
    }

    /// Copies a bounded subgraph reachable from buffered roots (C4), pinning its nodes.
    fn take_snapshot(&mut self) -> (Vec<ObjRef>, Snapshot) {
        // The tables of the last snapshot, emptied (`state::Scratch`).
        let mut index = std::mem::take(&mut self.collector.scratch.index);
        index.clear();
        let mut nodes = std::mem::take(&mut self.collector.scratch.nodes);
        nodes.clear();
        let mut snap = std::mem::take(&mut self.collector.scratch.snapshot);
        snap.clear();
        let mut edges_left = STEP_EDGES;
        let mut next = 0usize;
        // Only with a collector thread: `background=false` promises the same steps on every
        // run (C4), so there the node and edge caps alone bound a copy.
        let deadline = self.gc.background.then(|| Instant::now() + SNAPSHOT_BUDGET);
        let late = || deadline.is_some_and(|d| Instant::now() >= d);
        let mut ticks = 0usize;
        loop {
            ticks += 1;
            // Progress is counted in work (a node copied or a dead root released), not in
            // nodes: a step that only meets dead roots must stop on time too.
            if ticks.is_multiple_of(CLOCK_EVERY) && ticks >= STEP_MIN_WORK && late() {
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
            // Nodes are processed in index order, so this is node `next - 1`'s start; its
            // children go straight after it.
            snap.offsets.push(snap.edges.len() as u32);
            let edges = &mut snap.edges;
            let mut cut = false;
            crate::cycle::trace_while(o, |c| {
                if edges_left == 0 {
                    return false;
                }
                edges_left -= 1;
                // A node with thousands of children (a big list) is a cache miss a child
                // on a large heap: the budget is checked between its edges too, once the
                // step has done its least work (edges count as work here).
                if edges_left.is_multiple_of(CLOCK_EVERY)
                    && STEP_EDGES - edges_left >= STEP_MIN_WORK
                    && late()
                {
                    cut = true;
                    return false;
                }
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
                edges.push(i);
                true
            });
            if cut {
                break;
            }
        }
        // Nodes whose children were not followed get no edges (C3).
        snap.offsets
            .resize(nodes.len() + 1, snap.edges.len() as u32);
        snap.counts
            .extend(nodes.iter().map(|o| o.header().strong.get()));
        for o in &nodes {
            let h = o.header();
            h.gc.set(h.gc.get() | gc_bits::IN_SNAPSHOT);
        }
        self.collector.scratch.index = index;
        (nodes, snap)
    }

    /// The end of the run: the snapshot in flight is marked and settled whole, with the
    /// rest of the one being settled, so a background collection never outlives the
    /// program. The confirmed garbage is returned held.
    pub fn gc_finish(&mut self) -> Vec<ObjRef> {
        if let Some(nodes) = self.collector.in_flight.take() {
            let (white, ends) = self
                .collector
                .worker
                .as_ref()
                .and_then(|w| w.wait_result())
                .map(|r| (r.white, r.ends))
                .unwrap_or_default();
            // A snapshot still being settled is finished first (they never overlap: a
            // snapshot is taken only once the one before is settled).
            self.settle(nodes, white, ends);
        }
        while !self.collector.unpin.is_empty() {
            self.unpin_batch();
        }
        let mut garbage = Vec::new();
        while let Some(group) = self.collector.groups.take_next() {
            garbage.extend(self.validate(group));
            if self.collector.groups.is_empty() {
                self.gc.collections += 1;
            }
        }
        garbage
    }

    /// Whether collector phases are traced (`--trace`), so that a step reads the clock
    /// for them only then.
    pub fn tracing(&self) -> bool {
        self.tracer.any
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
