//! The thread pool actors run on: one worker per core, started on a program's first
//! `spawn`, pulling tasks from one FIFO queue.
//!
//! No worker ever waits for work that only the pool could do: a worker's `join` of a task
//! nobody started runs it inline (`TaskShared::claim`), and a worker waits only for a task
//! that is already running on some thread. The program's own thread is not a worker: its
//! `join` of an unstarted task just waits, because running it inline would put one more
//! runner than there are cores on the machine. Since a task can only join
//! tasks spawned before it was handed their handle, those waits form no cycle, so actors
//! that spawn and join actors cannot deadlock the pool, whatever its size.

use super::task::{Job, TaskShared};
use crate::error::RuntimeError;
use stark_bytecode::Module;
use stark_runtime::SharedCounters;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

thread_local! {
    /// Set on the pool's worker threads: only they run a joined, unstarted task inline.
    static ON_WORKER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the current thread is one of the pool's workers.
pub(crate) fn on_worker() -> bool {
    ON_WORKER.with(|w| w.get())
}

/// Rust stack of a worker: actors joined inline nest a VM per level.
const WORKER_STACK: usize = 64 << 20;

/// What runs a claimed task on the current thread (`actor::run_claimed`: a fresh VM). The
/// pool is handed it when it starts, so that it only queues and hands out work and never
/// names the VM that owns it.
pub(crate) type Runner = fn(&Arc<Pool>, &TaskShared, Job);

#[derive(Default)]
struct Queue {
    tasks: VecDeque<Arc<TaskShared>>,
    /// Spawned and not yet finished (queued or running).
    outstanding: usize,
    shutdown: bool,
}

pub(crate) struct Pool {
    /// The program, shared by every actor's VM (read-only).
    pub module: Arc<Module>,
    /// The sums of all actor heaps, shown in the spawning program's profile.
    pub counters: Arc<SharedCounters>,
    /// What `args()` returns inside actors.
    pub args: Vec<String>,
    /// Runs a task a worker (or an inline join) claimed.
    pub run: Runner,
    queue: Mutex<Queue>,
    /// Signalled when a task is queued or the pool shuts down.
    work: Condvar,
    /// Signalled when `outstanding` drops to zero.
    idle: Condvar,
    workers: Mutex<Vec<JoinHandle<()>>>,
    /// The first actor that took the program past `--max-memory` (M15: exit 3).
    out_of_memory: Mutex<Option<RuntimeError>>,
    /// How many workers started (a refused thread only shrinks the pool).
    started: std::sync::atomic::AtomicUsize,
    /// `stark run --trace`: each actor's heap traced into a sink of its own.
    pub trace: Option<crate::vm::ActorTrace>,
    /// Actors spawned so far, numbering their trace tracks.
    pub spawned: std::sync::atomic::AtomicU64,
}

impl Pool {
    /// A pool of one worker per core (at least one), whose tasks `run` runs.
    pub(crate) fn start(
        module: Arc<Module>,
        args: Vec<String>,
        limit: Option<u64>,
        run: Runner,
        trace: Option<crate::vm::ActorTrace>,
    ) -> Arc<Pool> {
        let pool = Arc::new(Pool {
            module,
            run,
            counters: Arc::new(SharedCounters::new(limit)),
            out_of_memory: Mutex::new(None),
            args,
            queue: Mutex::new(Queue::default()),
            work: Condvar::new(),
            idle: Condvar::new(),
            workers: Mutex::new(Vec::new()),
            started: std::sync::atomic::AtomicUsize::new(0),
            trace,
            spawned: std::sync::atomic::AtomicU64::new(0),
        });
        let n = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let mut handles = Vec::with_capacity(n);
        for i in 0..n {
            let p = pool.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("stark-actor-{i}"))
                .stack_size(WORKER_STACK)
                .spawn(move || p.worker());
            // A refused thread only shrinks the pool: joins run unstarted tasks inline.
            if let Ok(h) = spawned {
                handles.push(h);
            }
        }
        pool.started
            .store(handles.len(), std::sync::atomic::Ordering::Release);
        *pool.workers.lock().unwrap_or_else(|e| e.into_inner()) = handles;
        pool
    }

    /// Whether a joiner on this thread should run an unstarted task itself. A worker must
    /// (it could otherwise wait on work only the pool can do); any other thread leaves it
    /// to the workers, so the joiner's core is not a third runner fighting two workers.
    pub(crate) fn run_inline_here(&self) -> bool {
        on_worker() || self.started.load(std::sync::atomic::Ordering::Acquire) == 0
    }

    pub(crate) fn record_out_of_memory(&self, error: &RuntimeError) {
        let mut m = self.out_of_memory.lock().unwrap_or_else(|e| e.into_inner());
        m.get_or_insert_with(|| error.clone());
    }

    pub(crate) fn out_of_memory(&self) -> Option<RuntimeError> {
        self.out_of_memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn submit(&self, task: Arc<TaskShared>) {
        let mut q = self.lock();
        q.outstanding += 1;
        q.tasks.push_back(task);
        self.work.notify_one();
    }

    /// A task finished (on a worker or inline).
    pub(crate) fn finished(&self) {
        let mut q = self.lock();
        q.outstanding -= 1;
        if q.outstanding == 0 {
            self.idle.notify_all();
        }
    }

    fn worker(self: Arc<Self>) {
        ON_WORKER.with(|w| w.set(true));
        loop {
            let task = {
                let mut q = self.lock();
                loop {
                    if let Some(t) = q.tasks.pop_front() {
                        break t;
                    }
                    if q.shutdown {
                        return;
                    }
                    q = self.work.wait(q).unwrap_or_else(|e| e.into_inner());
                }
            };
            // A joiner may have run it inline already.
            if let Some(job) = task.claim() {
                (self.run)(&self, &task, job);
            }
        }
    }

    /// Waits until every spawned actor has finished, then stops the workers.
    pub(crate) fn shutdown(&self, wait: bool) {
        {
            let mut q = self.lock();
            while wait && q.outstanding > 0 {
                q = self.idle.wait(q).unwrap_or_else(|e| e.into_inner());
            }
            q.shutdown = true;
            if !wait {
                q.tasks.clear();
            }
            self.work.notify_all();
        }
        if wait {
            let handles =
                std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
            for h in handles {
                let _ = h.join();
            }
        }
    }
}
