//! Entering STARK functions from Rust (main, destructors) and turning faults into errors
//! with a stack trace. Calls between STARK functions do not come through here: they push a
//! frame inside the dispatch loop (`interp.rs`), so STARK recursion never recurses in Rust.

use crate::error::{Fault, Frame, RuntimeError, VmExit};
use crate::vm::{CallFrame, Vm, MAX_CALL_DEPTH};
use stark_bytecode::FuncId;
use stark_runtime::Value;

pub(crate) fn stack_overflow_message() -> String {
    format!("stack overflow: call depth exceeded {MAX_CALL_DEPTH}")
}

impl<'m> Vm<'m> {
    /// Calls `func` with `args` (taken over for owned parameters, views for borrowed ones)
    /// and runs it to completion; returns its (owned) result.
    pub(crate) fn call_function(&mut self, func: FuncId, args: &[Value]) -> Result<Value, VmExit> {
        let module = self.module;
        let Some(f) = module.functions.get(func as usize) else {
            return Err(self.error_exit(Fault::msg(format!("internal error: no function #{func}"))));
        };
        if self.frames.len() >= MAX_CALL_DEPTH {
            return Err(self.error_exit(Fault::Error(stack_overflow_message())));
        }
        let base = self.stack.len();
        let size = (f.num_regs as usize).max(args.len());
        self.stack.resize(base + size, Value::None);
        self.stack[base..base + args.len()].copy_from_slice(args);
        self.frames.push(CallFrame {
            func,
            pc: 0,
            base,
            ret_dst: 0,
        });
        let stop = self.frames.len() - 1;
        // Only the frame that opened an arena allocates from it (arena/mod.rs A2).
        let arena = self.heap.arena_active();
        self.heap.set_arena_active(false);
        let result = self.execute(stop);
        self.heap.set_arena_active(arena);
        result
    }

    /// Attaches the current location and stack trace to a fault. Every frame's `pc` must be
    /// the instruction after the one executing (the dispatch loop stores it before failing).
    pub(crate) fn error_exit(&self, fault: Fault) -> VmExit {
        match fault {
            Fault::Exit(code) => VmExit::Exit(code),
            // In an actor with a quota, passing it fails that actor alone (M15).
            Fault::OutOfMemory(m) => match &self.quota {
                Some((quota, name)) if m.contains(crate::actor::QUOTA_WORDING) => {
                    self.error_exit(Fault::Error(crate::actor::quota_message(*quota, name)))
                }
                // Where it happened and the stack trace, as for any runtime error (§1).
                _ => match self.error_exit(Fault::Error(m)) {
                    VmExit::RuntimeError(e) => VmExit::OutOfMemory(e),
                    other => other,
                },
            },
            Fault::Actor(mut e) => {
                if let VmExit::RuntimeError(here) = self.error_exit(Fault::Error(String::new())) {
                    e.trace.extend(here.trace);
                }
                VmExit::RuntimeError(e)
            }
            Fault::ActorOutOfMemory(mut e) => {
                let located = !e.trace.is_empty();
                if let VmExit::RuntimeError(here) = self.error_exit(Fault::Error(String::new())) {
                    e.trace.extend(here.trace);
                }
                // The actor failed before running any code (moving its arguments in): the
                // join is the place to show.
                if !located {
                    e.span = e.trace.first().map(|f| f.span).unwrap_or_default();
                }
                VmExit::OutOfMemory(e)
            }
            Fault::Error(message) => {
                let mut trace: Vec<Frame> = Vec::with_capacity(self.frames.len());
                for fr in self.frames.iter().rev() {
                    let f = &self.module.functions[fr.func as usize];
                    let mut span = if fr.pc == 0 {
                        f.span
                    } else {
                        f.spans.get(fr.pc - 1).copied().unwrap_or(f.span)
                    };
                    // Inside a body the optimiser inlined: the callee's frame, as if the
                    // call had happened, then the caller at the call.
                    if let Some(site) = fr.pc.checked_sub(1).and_then(|pc| f.inline_site(pc)) {
                        let callee = &self.module.functions[site.callee as usize];
                        trace.push(Frame {
                            function: callee.name.clone(),
                            span,
                        });
                        span = site.call_span;
                    }
                    trace.push(Frame {
                        function: f.name.clone(),
                        span,
                    });
                }
                let span = trace.first().map(|f| f.span).unwrap_or_default();
                VmExit::RuntimeError(RuntimeError {
                    message,
                    span,
                    trace,
                })
            }
        }
    }
}
