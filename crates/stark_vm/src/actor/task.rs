//! A task's shared state: what the spawner's `Task` handle, the worker running the actor
//! and any joiner see. It holds only plain data (a transfer graph or an error), behind a
//! mutex; `join`/`error` wait on the condition variable.

use super::transfer::Graph;
use crate::error::RuntimeError;
use stark_bytecode::FuncId;
use std::sync::{Condvar, Mutex};

/// What an actor is asked to run.
pub(crate) struct Job {
    pub func: FuncId,
    pub args: Graph,
    pub quota: Option<u64>,
}

/// How an actor ended.
pub(crate) enum Outcome {
    /// Its result; `None` once a join moved a heap result out.
    Returned(Option<Graph>),
    Failed(RuntimeError),
    /// The whole program passed `--max-memory` while this actor allocated (M15): the
    /// program ends with exit 3, whoever joins.
    OutOfMemory(RuntimeError),
}

pub(crate) enum State {
    /// Waiting in the pool's queue; whoever takes the job first (a worker, or a joiner
    /// running it inline) runs it.
    Queued(Job),
    Running,
    Done(Outcome),
}

pub(crate) struct TaskShared {
    pub state: Mutex<State>,
    pub done: Condvar,
    /// The spawned function's name (quota errors, printing).
    pub name: String,
}

impl TaskShared {
    pub(crate) fn new(job: Job, name: String) -> TaskShared {
        TaskShared {
            state: Mutex::new(State::Queued(job)),
            done: Condvar::new(),
            name,
        }
    }

    /// Takes the job if nobody started it yet.
    pub(crate) fn claim(&self) -> Option<Job> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match std::mem::replace(&mut *st, State::Running) {
            State::Queued(job) => Some(job),
            other => {
                *st = other;
                None
            }
        }
    }

    pub(crate) fn finish(&self, outcome: Outcome) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *st = State::Done(outcome);
        self.done.notify_all();
    }
}
