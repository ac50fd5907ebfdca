//! The collector thread: runs trial deletion on snapshots while the program goes on, and
//! raises the program's attention flag on a timer (`cycle_interval_ms`) and when a result
//! is ready. It never touches the heap (C1): it only sees `Snapshot`s, which hold numbers.

use super::snapshot::Snapshot;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the thread sends back: the white nodes in groups (`Snapshot::white_groups`), when
/// its marking ran, and the snapshot itself, emptied, for the program to copy the next one
/// into (`state::Scratch`).
pub(crate) struct MarkResult {
    pub white: Vec<u32>,
    pub ends: Vec<u32>,
    pub spare: Snapshot,
    pub started: Instant,
    pub finished: Instant,
}

pub(crate) struct Worker {
    jobs: Option<Sender<Snapshot>>,
    results: Receiver<MarkResult>,
    /// Results sent and not yet received.
    ready: Arc<AtomicU64>,
    interval_ms: Arc<AtomicU64>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the thread; `None` if the system refuses one (collection then stays on the
    /// program's thread).
    /// `attention`: the program's flag, which the thread raises (shared with the memory
    /// report's sampler, `timeline.rs`).
    pub fn start(interval_ms: u64, attention: Arc<AtomicBool>) -> Option<Worker> {
        let (job_tx, job_rx) = channel::<Snapshot>();
        let (res_tx, res_rx) = channel::<MarkResult>();
        let interval = Arc::new(AtomicU64::new(interval_ms));
        let ready = Arc::new(AtomicU64::new(0));
        let (a, i, r) = (attention, interval.clone(), ready.clone());
        let handle = std::thread::Builder::new()
            .name("stark-gc".into())
            .stack_size(256 << 10)
            .spawn(move || run(job_rx, res_tx, a, i, r))
            .ok()?;
        Some(Worker {
            jobs: Some(job_tx),
            results: res_rx,
            ready,
            interval_ms: interval,
            handle: Some(handle),
        })
    }

    pub fn set_interval(&self, ms: u64) {
        self.interval_ms.store(ms, Ordering::Relaxed);
    }

    /// Hands a snapshot to the thread; gives it back if the thread is gone (the program then
    /// marks it itself, without having paid for a copy).
    pub fn submit(&self, snapshot: Snapshot) -> Result<(), Snapshot> {
        match &self.jobs {
            Some(tx) => tx.send(snapshot).map_err(|e| e.0),
            None => Err(snapshot),
        }
    }

    /// Whether a result waits to be received (a relaxed load: a late `false` only delays
    /// the step to the next safepoint the flag brings).
    pub fn ready(&self) -> bool {
        self.ready.load(Ordering::Acquire) > 0
    }

    pub fn try_result(&self) -> Option<MarkResult> {
        let r = self.results.try_recv().ok()?;
        self.ready.fetch_sub(1, Ordering::AcqRel);
        Some(r)
    }

    /// Waits for the result of the snapshot in flight (used only when the program ends).
    pub fn wait_result(&self) -> Option<MarkResult> {
        let r = self.results.recv().ok()?;
        self.ready.fetch_sub(1, Ordering::AcqRel);
        Some(r)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the job channel ends the thread's loop.
        self.jobs = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn run(
    jobs: Receiver<Snapshot>,
    results: Sender<MarkResult>,
    attention: Arc<AtomicBool>,
    interval_ms: Arc<AtomicU64>,
    ready: Arc<AtomicU64>,
) {
    loop {
        let ms = interval_ms.load(Ordering::Relaxed);
        // 0 means "no timer": wait for work only (a day stands in for forever).
        let wait = Duration::from_millis(if ms == 0 { 86_400_000 } else { ms });
        match jobs.recv_timeout(wait) {
            Ok(mut snapshot) => {
                let started = Instant::now();
                let (white, ends) = snapshot.white_groups();
                let finished = Instant::now();
                snapshot.clear();
                // Counted before it is sent, so `try_result` never sees it negative.
                ready.fetch_add(1, Ordering::AcqRel);
                if results
                    .send(MarkResult {
                        white,
                        ends,
                        spare: snapshot,
                        started,
                        finished,
                    })
                    .is_err()
                {
                    return;
                }
                attention.store(true, Ordering::Release);
            }
            Err(RecvTimeoutError::Timeout) => attention.store(true, Ordering::Release),
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}
