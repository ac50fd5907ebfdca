//! The `Vm` value and its public API.

use crate::error::{RuntimeError, VmExit};
use crate::output::Output;
use crate::verify::verify_module;
use stark_bytecode::{FuncId, Module, Native, Reg};
use stark_runtime::{Heap, ObjRef, OutOfMemory, ProfileSnapshot, Value, Zone};
use std::io::Write;

/// Deepest STARK call stack before "stack overflow".
pub const MAX_CALL_DEPTH: usize = 10_000;

/// How deep destructors may nest (a destructor freeing an object with a destructor…) before
/// further releases wait for the enclosing drain; bounds Rust recursion.
pub(crate) const MAX_DESTRUCTOR_NESTING: usize = 64;

#[derive(Clone, Debug, Default)]
pub struct VmOptions {
    /// What `args()` returns.
    pub args: Vec<String>,
    /// `--max-memory BYTES`: live heap bytes above this are an out-of-memory exit.
    pub max_memory: Option<u64>,
}

/// One activation record. Registers of the frame are `stack[base .. base + num_regs]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CallFrame {
    pub func: FuncId,
    /// Next instruction to run (for a caller: the one after its `Call`).
    pub pc: usize,
    pub base: usize,
    /// Caller register receiving the result.
    pub ret_dst: Reg,
}

/// Which parameters of a function are owned (the callee takes over the argument's
/// reference), precomputed at load time so that a call does not look at `param_modes`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum OwnedParams {
    /// Bit `i` set: parameter `i` is owned (functions of at most 64 parameters).
    Mask(u64),
    /// More than 64 parameters: the call consults `param_modes`.
    Many,
}

impl OwnedParams {
    fn of(f: &stark_bytecode::Function) -> OwnedParams {
        if f.param_modes.len() > 64 {
            return OwnedParams::Many;
        }
        let mut mask = 0u64;
        for (i, mode) in f.param_modes.iter().enumerate() {
            if *mode == stark_syntax::ast::ParamMode::Owned {
                mask |= 1 << i;
            }
        }
        OwnedParams::Mask(mask)
    }
}

/// The interpreter. Borrowing the module keeps instruction slices valid across calls
/// without cloning.
pub struct Vm<'m> {
    pub(crate) module: &'m Module,
    pub(crate) heap: Heap,
    /// All frames' registers, contiguous. F1: its length is always the top of the current
    /// frame, at least `base + num_regs` (calls grow it, returns truncate it to the
    /// returning frame's base, which is above the caller's registers).
    pub(crate) stack: Vec<Value>,
    pub(crate) frames: Vec<CallFrame>,
    pub(crate) args: Vec<String>,
    pub(crate) out: Output,
    /// Destructors running right now, nested.
    pub(crate) destructor_depth: usize,
    /// Pending-release entries below this index belong to an enclosing drain.
    pub(crate) drain_floor: usize,
    /// The load-time verification result; a module that failed it never runs.
    pub(crate) verified: Result<(), String>,
    /// String constants, allocated on first `LoadStr` and owned here (one reference each)
    /// until the run ends.
    pub(crate) constants: Vec<Option<stark_runtime::ObjRef>>,
    /// The immortal argument list `Native::ArgsView` returns (allocated on first use, or up
    /// front by `run_main`), freed with the constants.
    pub(crate) argv: Option<stark_runtime::ObjRef>,
    /// Frames that opened the open arenas, innermost last, with each arena's name
    /// (an index into `module.strings`).
    pub(crate) arena_frames: Vec<(usize, u32)>,
    /// Per function (indexed by `FuncId`): its owned parameters.
    pub(crate) owned_params: Vec<OwnedParams>,
    /// Actors (`actor/`): this program's pool, once something was spawned.
    pub(crate) actors: Option<std::sync::Arc<crate::actor::pool::Pool>>,
    /// This VM started the pool (the main program's): it waits for the actors at the end.
    pub(crate) owns_pool: bool,
    /// `stark run --trace`: makes each actor's trace sink (`Vm::trace_actors`).
    pub(crate) actor_trace: Option<ActorTrace>,
    /// In an actor spawned `with quota=N`: N and the function's name (M15).
    pub(crate) quota: Option<(u64, String)>,
    /// `STARK_CHECK_HEAP=1`: the heap checker runs after every collection and at the end.
    pub(crate) check_heap: bool,
}

/// What traces an actor's heap (`stark run --trace`): called on the actor's thread when it
/// starts, with its number (1 for the first actor to start), the function it runs and the
/// moment its heap was made (its events' times count from there), it gives the sink for
/// the actor's events.
pub type ActorTrace =
    std::sync::Arc<dyn Fn(u64, &str, std::time::Instant) -> stark_runtime::TraceSink + Send + Sync>;

impl<'m> Vm<'m> {
    /// Traces every actor this program spawns from now on, each into the sink `trace` makes
    /// for it (the main heap's sink is `Heap::set_trace_sink`).
    pub fn trace_actors(&mut self, trace: ActorTrace) {
        self.actor_trace = Some(trace);
    }

    pub fn new(module: &'m Module, options: VmOptions) -> Vm<'m> {
        Vm::build(module, options, true)
    }

    /// `verify: false` for an actor's VM: the program's VM verified the same module.
    pub(crate) fn build(module: &'m Module, options: VmOptions, verify: bool) -> Vm<'m> {
        let heap = Heap::new(options.max_memory);
        Vm::with_heap(module, options, verify, heap)
    }

    /// A VM for `module` over `heap` (new, or a REPL session's, which the module's types
    /// extend).
    pub(crate) fn with_heap(
        module: &'m Module,
        options: VmOptions,
        verify: bool,
        mut heap: Heap,
    ) -> Vm<'m> {
        heap.set_type_names(module.structs.iter().map(|s| s.name.clone()).collect());
        heap.set_destructor_types(
            module
                .structs
                .iter()
                .map(|s| s.destructor.is_some())
                .collect(),
        );
        Vm {
            module,
            heap,
            stack: Vec::with_capacity(1024),
            frames: Vec::with_capacity(64),
            args: options.args,
            out: Output::stdout(),
            destructor_depth: 0,
            drain_floor: 0,
            verified: if verify {
                verify_module(module)
            } else {
                Ok(())
            },
            constants: vec![None; module.strings.len()],
            argv: None,
            arena_frames: Vec::new(),
            owned_params: module.functions.iter().map(OwnedParams::of).collect(),
            actors: None,
            owns_pool: false,
            actor_trace: None,
            quota: None,
            check_heap: std::env::var_os("STARK_CHECK_HEAP").is_some_and(|v| v == "1"),
        }
    }

    /// `STARK_CHECK_HEAP=1`: validates the heap's invariants (`Heap::check_heap`) at a
    /// point where nothing is half-built; a broken one ends the run as an internal error.
    pub(crate) fn heap_checkpoint(&mut self, when: &str) -> Result<(), VmExit> {
        if !self.check_heap {
            return Ok(());
        }
        self.heap.check_heap().map_err(|e| {
            VmExit::RuntimeError(RuntimeError::unlocated(format!(
                "internal error: heap check {when}: {e}"
            )))
        })
    }

    /// Sends program output to `sink` instead of stdout (tests, embedding).
    pub fn set_output(&mut self, sink: Box<dyn Write>) {
        self.out.flush();
        self.out = Output::new(sink);
    }

    /// Runs `main()` to completion. Output is flushed before this returns, whatever the
    /// outcome.
    pub fn run_main(&mut self) -> Result<(), VmExit> {
        self.run_entry(self.module.main)
    }

    /// Runs `entry`, a function of no parameters, as a whole run: string constants made
    /// first, an `Err` result reported as `main`'s is, cyclic garbage collected, constants
    /// released and actors waited for at the end (so `live_objects()` after it counts only
    /// leaks). `stark test` runs each test this way, on a fresh `Vm`.
    pub fn run_entry(&mut self, entry: FuncId) -> Result<(), VmExit> {
        let takes_nothing = self
            .module
            .functions
            .get(entry as usize)
            .is_some_and(|f| f.param_modes.is_empty());
        if !takes_nothing {
            return Err(VmExit::RuntimeError(RuntimeError::unlocated(
                "internal error: an entry function must take no parameters",
            )));
        }
        if let Err(e) = &self.verified {
            return Err(VmExit::RuntimeError(RuntimeError {
                message: format!("internal error: invalid bytecode: {e}"),
                span: Default::default(),
                trace: Vec::new(),
            }));
        }
        self.prepare_constants()?;
        let mut main_err = None;
        let result = self.call_function(entry, &[]).and_then(|v| {
            // `main` may return a `Result` (SPEC §6): an `Err` ends the run with its text.
            if let Value::Obj(o) = v {
                if o.type_id() == stark_bytecode::instr::builtin_types::RESULT_ERR {
                    let e = o.fields().first().copied().unwrap_or(Value::None);
                    main_err = Some(crate::format::value_to_string(self.module, e));
                }
            }
            // SAFETY: main's result is owned by its caller, the run, which drops it.
            unsafe { self.heap.decref(v) };
            self.drain()?;
            self.gc_finish()?;
            // Cycles are reclaimed without a call from the program (M7): whatever cyclic
            // garbage is left when main returns is collected (destructors included) before
            // the run ends, so leak checks see only objects that are really still referenced.
            if self.heap.live_objects() > self.live_constants() {
                self.collect_cycles(None)?;
            }
            self.release_constants()?;
            self.heap_checkpoint("at the end of the run")
        });
        // The run ends when every actor has (SPEC §2): their output is part of it.
        let oom = self.finish_actors(result.is_ok());
        self.out.flush();
        let lost = self.out.take_lost();
        match (result, oom, lost) {
            (Ok(()), Some(m), _) => Err(VmExit::OutOfMemory(m)),
            (Ok(()), None, Some(e)) => Err(VmExit::RuntimeError(RuntimeError {
                message: format!(
                    "cannot write the program's output: {}",
                    crate::natives::stream::reason(&e)
                ),
                span: Default::default(),
                trace: Vec::new(),
            })),
            (Ok(()), None, None) => main_err.map_or(Ok(()), |m| Err(VmExit::MainErr(m))),
            (result, _, _) => result,
        }
    }

    /// Allocates every string literal of the module not allocated yet, and the argument
    /// list if the program reads it, so that the objects `Memory.profile()` reports do not
    /// change when a literal is first used.
    pub(crate) fn prepare_constants(&mut self) -> Result<(), VmExit> {
        let module = self.module;
        for f in &module.functions {
            for instr in &f.code {
                if let stark_bytecode::Instr::LoadStr { konst, .. } = *instr {
                    let k = konst as usize;
                    if self.constants.get(k).is_some_and(|c| c.is_none()) {
                        if let Err(e) = self.alloc_constant(k) {
                            return Err(VmExit::OutOfMemory(RuntimeError::unlocated(
                                e.to_string(),
                            )));
                        }
                    }
                }
                // The argument list, likewise (it is as immortal as a constant).
                if let stark_bytecode::Instr::CallNative {
                    native: Native::ArgsView,
                    ..
                } = *instr
                {
                    let argv = crate::natives::core::immortal_argv(
                        &mut self.heap,
                        &self.args,
                        &mut self.argv,
                    );
                    if let Err(e) = argv {
                        return Err(VmExit::OutOfMemory(RuntimeError::unlocated(e.to_string())));
                    }
                }
            }
        }
        Ok(())
    }

    /// Allocates string constant `k` into the constant table: outside any open arena (the
    /// table outlives every arena block) and immortal, since compiled code stores constants
    /// without counting them (`stark_runtime::flags::IMMORTAL`).
    pub(crate) fn alloc_constant(&mut self, k: usize) -> Result<ObjRef, OutOfMemory> {
        let text = self.module.strings.get(k).map(|s| s.as_str()).unwrap_or("");
        let in_arena = self.heap.arena_active();
        self.heap.set_arena_active(false);
        let s = self.heap.alloc_str(text);
        self.heap.set_arena_active(in_arena);
        let s = s?;
        self.heap.make_immortal(s);
        if let Some(slot) = self.constants.get_mut(k) {
            *slot = Some(s);
        }
        Ok(s)
    }

    pub(crate) fn live_constants(&self) -> u64 {
        let argv = self.argv.map_or(0, |l| 1 + l.list().len() as u64);
        self.constants.iter().flatten().count() as u64 + argv
    }

    /// Frees the constant table at the end of a run (or of an actor): last, once every
    /// other object that could hold a constant has been released or collected.
    pub(crate) fn release_constants(&mut self) -> Result<(), VmExit> {
        // SAFETY (both loops): the run is over and every object the program made was
        // released or collected before this is called, so the table's reference to each
        // constant, and to the argument list, is the last one. (A leak, which the leak check
        // reports, is the exception; the heap frees it without reading its fields.)
        for c in std::mem::take(&mut self.constants).into_iter().flatten() {
            // SAFETY: see above.
            unsafe { self.heap.release_immortal(c) };
        }
        if let Some(list) = self.argv.take() {
            // SAFETY: see above.
            unsafe { self.heap.release_immortal(list) };
        }
        self.drain()
    }

    /// Objects still alive (after a successful run: leaks; the test runner expects 0). Counts
    /// heap objects and the structs escape analysis kept off the heap (M9), which
    /// `Memory.profile()` does not show but which must be released all the same.
    pub fn live_objects(&self) -> u64 {
        self.heap.live_objects() + self.heap.local_objects()
    }

    /// `Memory.profile()` now, without allocating anything.
    pub fn memory_profile(&self) -> ProfileSnapshot {
        self.heap.profile()
    }

    /// The `--mem-report` text: the final profile table, then the peak of each zone.
    pub fn mem_report(&self) -> String {
        format!(
            "{}\n{}",
            self.heap.profile().report(),
            self.heap.gc.pauses.render()
        )
    }

    /// Peak live bytes per zone, in zone order (global, actor, tensor, io).
    pub fn zone_peaks(&self) -> Vec<(&'static str, u64)> {
        Zone::ALL
            .iter()
            .map(|&z| (z.name(), self.heap.zone_counters(z).peak_bytes))
            .collect()
    }

    pub fn heap(&self) -> &Heap {
        &self.heap
    }

    /// For installing a trace sink (`--trace FILE`) before the run.
    pub fn heap_mut(&mut self) -> &mut Heap {
        &mut self.heap
    }

    pub fn flush_output(&mut self) {
        self.out.flush();
    }
}
