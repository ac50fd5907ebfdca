//! The program thread's collector state (`collector/mod.rs`): buffered roots, the snapshot
//! in flight and the worker. The heap holds it; the collector's steps read and change it.

use super::concurrent::Worker;
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
    pub(super) worker: Option<Worker>,
    pub(super) worker_failed: bool,
    pub(super) attention: Option<Arc<AtomicBool>>,
}

impl CollectorState {
    /// Every object the collector pins (C2), for `Drop for Heap` (without copying them:
    /// that drop may run after the system refused memory).
    pub fn pinned(&self) -> impl Iterator<Item = ObjRef> + '_ {
        self.roots
            .iter()
            .chain(self.in_flight.iter().flatten())
            .copied()
    }
}
