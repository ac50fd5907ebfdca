//! The program thread's collector state (`collector/mod.rs`): buffered roots, the snapshot
//! in flight and the worker. The heap holds it; the collector's steps read and change it.

use super::concurrent::Worker;
use super::pauses::StepWork;
use super::snapshot::Snapshot;
use crate::value::ObjRef;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// The program thread's side of the collector.
#[derive(Default)]
pub(crate) struct CollectorState {
    /// Possible cycle roots (purple), each pinned with `IN_ROOTS`.
    pub(super) roots: Vec<ObjRef>,
    /// Bytes allocated since the last step.
    pub(crate) allocated: u64,
    /// A step is due (threshold crossed or root buffer full).
    pub(crate) due: bool,
    /// The objects of the snapshot the thread is marking, each pinned with `IN_SNAPSHOT`.
    pub(super) in_flight: Option<Vec<ObjRef>>,
    /// Bytes the program allocated since the snapshot in flight was handed over (counted
    /// at safepoints): past `STARVED_BYTES` the program waits for the mark (C6).
    pub(crate) unmarked_bytes: u64,
    /// A marked snapshot being settled a bounded batch per safepoint (C5): the nodes the
    /// proposal did not name, still pinned, unpinned from the end; and the proposed
    /// groups, still pinned, validated and swept one at a time from the front.
    pub(super) unpin: Vec<ObjRef>,
    pub(super) groups: Groups,
    /// While `unpin` or `groups` hold work: a step is due after this many bytes are
    /// allocated (less than `threshold_bytes`), so the work is spread over the program's
    /// run and not done in one pause.
    pub(crate) pace: Option<u64>,
    /// What the current step has done (reported for the step with the most CPU time).
    pub(crate) step: StepWork,
    /// Group members validated in this step since its clock was last read (the sweep's
    /// budget is checked every `SWEEP_CLOCK_MEMBERS`; a step's start and a destructor run
    /// set it past that, so the clock is read after the first group and after a
    /// destructor).
    pub(crate) unclocked: u32,
    pub(super) worker: Option<Worker>,
    pub(super) worker_failed: bool,
    /// The tables a snapshot is copied with, kept from one snapshot to the next (cleared,
    /// not freed): see `Scratch`.
    pub(super) scratch: Scratch,
    pub(super) attention: Option<Arc<AtomicBool>>,
}

impl CollectorState {
    /// The flag the interpreter polls, made on first use; the collector thread and the
    /// memory report's sampler raise it.
    pub(crate) fn attention_flag(&mut self) -> Arc<AtomicBool> {
        self.attention.get_or_insert_with(Default::default).clone()
    }

    /// Every object the collector pins (C2), for `Drop for Heap` (without copying them:
    /// that drop may run after the system refused memory).
    pub fn pinned(&self) -> impl Iterator<Item = ObjRef> + '_ {
        self.roots
            .iter()
            .chain(self.in_flight.iter().flatten())
            .chain(&self.unpin)
            .chain(self.groups.pending())
            .copied()
    }

    /// Whether a marked snapshot is still being settled.
    pub fn settling(&self) -> bool {
        !self.unpin.is_empty() || !self.groups.is_empty()
    }
}

/// Proposed garbage in groups (`Snapshot::white_groups`), the first `next` done.
#[derive(Default)]
pub(crate) struct Groups {
    pub members: Vec<ObjRef>,
    /// Group `k` is `members[ends[k - 1]..ends[k]]` (from 0 for the first).
    pub ends: Vec<u32>,
    pub next: usize,
}

impl Groups {
    fn start(&self, k: usize) -> usize {
        if k == 0 {
            0
        } else {
            self.ends[k - 1] as usize
        }
    }

    pub fn is_empty(&self) -> bool {
        self.next >= self.ends.len()
    }

    /// The members of the groups not yet settled (all still pinned).
    pub fn pending(&self) -> &[ObjRef] {
        &self.members[self.start(self.next).min(self.members.len())..]
    }

    /// The next group's members, taken out of the pending ones.
    pub fn take_next(&mut self) -> Option<Vec<ObjRef>> {
        if self.is_empty() {
            return None;
        }
        let k = self.next;
        self.next += 1;
        let group = self.members[self.start(k)..self.ends[k] as usize].to_vec();
        if self.is_empty() {
            *self = Groups::default();
        }
        Some(group)
    }
}

/// The buffers of `take_snapshot`, reused: the object-to-index map, and the vectors of the
/// snapshot and its node list, which come back once the collector thread has marked them
/// (`MarkResult::spare`) and the program has settled them. Made afresh for every snapshot,
/// growing a map of two thousand entries and freeing it again took 20–50 µs in a step that
/// should take 40, and now and then a step paid for the pages too: steps whose CPU time
/// was three times the snapshot's budget.
#[derive(Default)]
pub(crate) struct Scratch {
    pub index: std::collections::HashMap<
        ObjRef,
        u32,
        std::hash::BuildHasherDefault<crate::object::FxHasher>,
    >,
    pub snapshot: Snapshot,
    pub nodes: Vec<ObjRef>,
}
