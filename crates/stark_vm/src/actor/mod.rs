//! Actors (SPEC §2 "Concurrency", M1, M8, M15): `spawn f(a, b)`, `task.join()` and
//! `task.error()`.
//!
//! Every actor runs `f` on a VM of its own, with a heap of its own whose objects are
//! charged to the `actor` zone and which belongs to the thread running it: reference counts
//! stay plain `Cell`s because no object is ever shared between threads. Arguments and
//! results cross as plain data (`transfer`), the heap is freed wholesale when the actor
//! ends (after its result was moved out), and its cycle collector runs on that heap alone
//! (on the actor's own thread: `background=false`), so one actor's garbage never pauses
//! another. The spawning program sees the actors' memory through atomic per-zone sums
//! (`stark_runtime::actor::SharedCounters`) added to its `Memory.profile()`.
//!
//! Actors run on a pool of one worker per core (`pool`); the whole program — main and
//! every actor — shares one copy of the module behind an `Arc`.

pub(crate) mod pool;
mod task;
mod transfer;

use crate::error::{Fallible, Fault, Frame, RuntimeError, VmExit};
use crate::vm::{Vm, VmOptions};
use pool::Pool;
use stark_bytecode::{Module, Native};
use stark_runtime::{ObjKind, TaskBody, Value};
use stark_syntax::ast::ParamMode;
use std::sync::Arc;
use task::{Job, Outcome, State, TaskShared};

/// How `OutOfMemory` words an actor's quota (as opposed to the program's `limit`).
pub(crate) const QUOTA_WORDING: &str = "exceed the quota of";

pub(crate) fn quota_message(quota: u64, name: &str) -> String {
    format!("memory quota of {quota} bytes exceeded in actor `{name}`")
}

impl<'m> Vm<'m> {
    /// This program's pool, started on the first spawn.
    fn pool(&mut self) -> Arc<Pool> {
        if let Some(p) = &self.actors {
            return p.clone();
        }
        let pool = Pool::start(
            Arc::new(self.module.clone()),
            self.args.clone(),
            self.heap.max_memory(),
            run_claimed,
            self.actor_trace.clone(),
        );
        self.heap.show_actors(pool.counters.clone());
        self.actors = Some(pool.clone());
        self.owns_pool = true;
        pool
    }

    /// The end of the main program: wait for every actor (`ok`), or abandon the queued
    /// ones after an error (running ones finish on their own; they share nothing with us).
    /// Returns the error of an actor that took the program past `--max-memory`, if any.
    pub(crate) fn finish_actors(&mut self, ok: bool) -> Option<RuntimeError> {
        let mut oom = None;
        if self.owns_pool {
            if let Some(pool) = self.actors.take() {
                pool.shutdown(ok);
                oom = pool.out_of_memory();
            }
            self.owns_pool = false;
        }
        oom
    }

    /// `spawn`, `join` and `error`: the natives that need the VM. `ops` are the operands.
    pub(crate) fn actor_native(&mut self, native: Native, ops: &[Value]) -> Fallible<Value> {
        match native {
            Native::Spawn { func, quota } => self.spawn(func, quota, ops),
            Native::TaskJoin | Native::TaskError => {
                let task = match ops.first() {
                    Some(Value::Obj(o)) if o.kind() == ObjKind::Task => o.task().shared.clone(),
                    _ => return Err(Fault::msg("internal error: join of a non-task")),
                };
                let Ok(task) = task.downcast::<TaskShared>() else {
                    return Err(Fault::msg("internal error: foreign task"));
                };
                self.wait(&task);
                let mut st = task.state.lock().unwrap_or_else(|e| e.into_inner());
                let State::Done(outcome) = &mut *st else {
                    return Err(Fault::msg("internal error: task not done"));
                };
                match (native, outcome) {
                    (_, Outcome::OutOfMemory(e)) => Err(Fault::ActorOutOfMemory(e.clone())),
                    (Native::TaskError, Outcome::Failed(e)) => {
                        Ok(Value::Obj(self.heap.alloc_str(e.message.as_str())?))
                    }
                    (Native::TaskError, Outcome::Returned(_)) => Ok(Value::None),
                    (_, Outcome::Failed(e)) => Err(Fault::Actor(e.clone())),
                    (_, Outcome::Returned(slot)) => {
                        if let Some(v) = slot.as_ref().and_then(|g| g.scalar_root()) {
                            return Ok(transfer::scalar_value(v));
                        }
                        let Some(graph) = slot.take() else {
                            return Err(Fault::msg(format!(
                                "the result of task `{}` was already moved out by an earlier join()",
                                task.name
                            )));
                        };
                        drop(st);
                        let values = transfer::import(&mut self.heap, graph)?;
                        Ok(values.into_iter().next().unwrap_or(Value::None))
                    }
                }
            }
            _ => Err(Fault::msg("internal error: not an actor operation")),
        }
    }

    fn spawn(&mut self, func: u32, has_quota: bool, ops: &[Value]) -> Fallible<Value> {
        let n = ops.len() - usize::from(has_quota);
        let quota = match (has_quota, ops.get(n)) {
            (false, _) => None,
            (true, Some(Value::Int(q))) if *q >= 0 => Some(*q as u64),
            (true, Some(Value::Int(q))) => {
                return Err(Fault::msg(format!(
                    "memory quota must not be negative, found {q}"
                )))
            }
            _ => return Err(Fault::msg("internal error: quota is not an Int")),
        };
        let name = match self.module.functions.get(func as usize) {
            Some(f) => f.name.clone(),
            None => return Err(Fault::msg(format!("internal error: no function #{func}"))),
        };
        let args = &ops[..n];
        let graph = transfer::export(&mut self.heap, args)?;
        // The actor owns the values now: this side's references go (the operands are
        // consumed), which frees whatever was uniquely owned.
        for &v in args {
            // SAFETY: spawn consumes its operands (`Native::consumes`): the registers give
            // their references up to this call, which releases each once.
            unsafe { self.heap.decref(v) };
        }
        let pool = self.pool();
        let task = Arc::new(TaskShared::new(
            Job {
                func,
                args: graph,
                quota,
            },
            name.clone(),
        ));
        // What was printed before the spawn appears before anything the actor prints.
        self.out.flush();
        pool.submit(task.clone());
        let handle = self.heap.alloc_task(TaskBody {
            shared: task,
            name: name.into(),
        })?;
        Ok(Value::Obj(handle))
    }

    /// Waits until `task` is done, running it here if nobody started it yet.
    fn wait(&mut self, task: &Arc<TaskShared>) {
        let pool = self.pool();
        if pool.run_inline_here() {
            if let Some(job) = task.claim() {
                run_claimed(&pool, task, job);
                return;
            }
        }
        let mut st = task.state.lock().unwrap_or_else(|e| e.into_inner());
        while !matches!(*st, State::Done(_)) {
            st = task.done.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Runs a job taken with `claim` on this thread and publishes the outcome.
fn run_claimed(pool: &Arc<Pool>, task: &TaskShared, job: Job) {
    let outcome = run_job(pool, &task.name, job);
    task.finish(outcome);
    pool.finished();
}

/// One actor's whole life: a fresh VM and heap, the call, the result moved out, and the
/// heap freed wholesale — all before the outcome is published, so a joiner sees the actor's
/// memory gone from the `actor` zone.
fn run_job(pool: &Arc<Pool>, name: &str, job: Job) -> Outcome {
    let module: &Module = &pool.module;
    let options = VmOptions {
        args: pool.args.clone(),
        max_memory: job.quota,
    };
    let mut vm = Vm::build(module, options, false);
    vm.heap.make_actor_heap(pool.counters.clone());
    if let Some(trace) = &pool.trace {
        let n = pool
            .spawned
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        vm.heap.set_trace_sink(trace(n, name, vm.heap.started()));
        vm.heap.trace_by_default();
    }
    // The actor's thread is its collector's thread: bounded steps at its own safepoints.
    vm.heap.gc.background = false;
    vm.actors = Some(pool.clone());
    vm.quota = job.quota.map(|q| (q, name.to_string()));
    let outcome = match vm.actor_body(job) {
        Ok(graph) => Outcome::Returned(Some(graph)),
        // Not the actor's quota: the whole program is out of memory (exit 3, M15).
        Err(VmExit::OutOfMemory(mut e)) if !e.message.contains(QUOTA_WORDING) => {
            e.message = format!("{} (in actor `{name}`)", e.message);
            // Mark where the actor's stack ends and a joiner's begins.
            if let Some(last) = e.trace.last_mut() {
                last.function = format!("actor {}", last.function);
            }
            pool.record_out_of_memory(&e);
            Outcome::OutOfMemory(e)
        }
        Err(exit) => Outcome::Failed(vm.actor_error(exit, name)),
    };
    vm.out.flush();
    drop(vm);
    outcome
}

impl Vm<'_> {
    fn actor_body(&mut self, job: Job) -> Result<transfer::Graph, VmExit> {
        let values = transfer::import(&mut self.heap, job.args)
            .map_err(|e| VmExit::OutOfMemory(RuntimeError::unlocated(e.to_string())))?;
        let result = self.call_function(job.func, &values)?;
        // Borrowed parameters were lent the actor's own copies: release them.
        let modes = &self.module.functions[job.func as usize].param_modes;
        for (v, mode) in values.iter().zip(modes) {
            if *mode != ParamMode::Owned {
                // SAFETY: `import` gave this side one reference to each value; a borrowed
                // parameter did not take it over, so it is still ours to give up.
                unsafe { self.heap.decref(*v) };
            }
        }
        let graph = transfer::export(&mut self.heap, &[result])
            .map_err(|e| VmExit::OutOfMemory(RuntimeError::unlocated(e.to_string())))?;
        // SAFETY: the call's result is owned by its caller, this function; the export copied it.
        unsafe { self.heap.decref(result) };
        self.drain()?;
        self.gc_finish()?;
        if self.heap.live_objects() > self.live_constants() {
            self.collect_cycles(None)?;
        }
        self.release_constants()?;
        Ok(graph)
    }

    fn actor_error(&self, exit: VmExit, name: &str) -> RuntimeError {
        let span = self
            .module
            .functions
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.span)
            .unwrap_or_default();
        let plain = |message: String| RuntimeError {
            message,
            span,
            trace: vec![Frame {
                function: name.to_string(),
                span,
            }],
        };
        let mut e = match exit {
            VmExit::RuntimeError(e) => e,
            VmExit::OutOfMemory(e) => match &self.quota {
                Some((q, _)) if e.message.contains(QUOTA_WORDING) => plain(quota_message(*q, name)),
                _ if e.trace.is_empty() => plain(e.message),
                _ => e,
            },
            VmExit::Exit(code) => plain(format!("exit({code}) called inside actor `{name}`")),
            // An actor runs a function, never `main`.
            VmExit::MainErr(m) => plain(m),
        };
        // Mark where the actor's stack ends and the joiner's begins.
        if let Some(last) = e.trace.last_mut() {
            last.function = format!("actor {}", last.function);
        }
        e
    }
}

impl Drop for Vm<'_> {
    fn drop(&mut self) {
        self.finish_actors(false);
    }
}
