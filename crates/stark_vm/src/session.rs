//! A REPL session (`stark repl`): one heap that outlives the module of each line.
//!
//! Each line is compiled into a new module (the session's source grows by that line) and
//! linked so that every id the previous module had keeps its meaning
//! (`stark_bytecode::link`). The session's values stay in one heap, which a fresh `Vm` for
//! each line takes over ([`Vm::resume`]) and gives back ([`Vm::suspend`]). String constants
//! are immortal and uncounted (a value may hold one without a reference), so they are
//! carried by their text from one module's constant table to the next, and freed only when
//! the session ends.

use crate::error::{RuntimeError, VmExit};
use crate::vm::{Vm, VmOptions};
use stark_bytecode::{FuncId, Module};
use stark_runtime::{Heap, ObjRef, Value};
use std::collections::HashMap;

/// What one line's `Vm` hands to the next: the heap and the constants allocated so far.
pub struct Carried {
    heap: Heap,
    /// Each immortal string constant of the session, by its text.
    constants: HashMap<String, ObjRef>,
}

impl Carried {
    pub fn new(max_memory: Option<u64>) -> Carried {
        Carried {
            heap: Heap::new(max_memory),
            constants: HashMap::new(),
        }
    }

    pub fn heap(&self) -> &Heap {
        &self.heap
    }
}

impl<'m> Vm<'m> {
    /// A VM for `module` (the session's module after linking) over the session's heap.
    pub fn resume(module: &'m Module, options: VmOptions, carried: Carried) -> Vm<'m> {
        let Carried {
            heap,
            mut constants,
        } = carried;
        let mut vm = Vm::with_heap(module, options, true, heap);
        for (k, text) in module.strings.iter().enumerate() {
            if let Some(obj) = constants.remove(text) {
                vm.constants[k] = Some(obj);
            }
        }
        // Constants no string of this module names (none, while modules only grow) stay
        // alive, held in the table past its end, until the session ends.
        vm.constants.extend(constants.into_values().map(Some));
        vm
    }

    /// Runs `func`, one line of the session, with `args` (the session's values, each a
    /// reference the call takes over) and returns the fields of the struct it returns:
    /// the values the session keeps, each now a reference of the caller's. A line that
    /// returns nothing keeps nothing.
    pub fn run_line(&mut self, func: FuncId, args: &[Value]) -> Result<Vec<Value>, VmExit> {
        if let Err(e) = &self.verified {
            return Err(VmExit::RuntimeError(RuntimeError::unlocated(format!(
                "internal error: invalid bytecode: {e}"
            ))));
        }
        self.prepare_constants()?;
        let result = self.call_function(func, args);
        let oom = self.finish_actors(result.is_ok());
        self.out.flush();
        let kept = result?;
        if let Some(m) = oom {
            // SAFETY: the line's result is this caller's to drop.
            unsafe { self.heap.decref(kept) };
            return Err(VmExit::OutOfMemory(m));
        }
        let values = match kept {
            Value::Obj(o) if o.kind() == stark_runtime::ObjKind::Struct => {
                let fields = o.fields().to_vec();
                for &v in &fields {
                    self.heap.incref(v);
                }
                fields
            }
            _ => Vec::new(),
        };
        // SAFETY: the result was returned owned; its fields were retained above.
        unsafe { self.heap.decref(kept) };
        self.drain()?;
        self.gc_finish()?;
        self.heap_checkpoint("after a line")?;
        Ok(values)
    }

    /// Drops `v`, one of the session's references (a binding rebound, or the session
    /// ending), running what destructors that frees.
    pub fn release(&mut self, v: Value) -> Result<(), VmExit> {
        // SAFETY: the session owns `v`'s reference and gives it up here, once.
        unsafe { self.heap.decref(v) };
        self.drain()
    }

    /// `Memory.profile()`'s table, as `--mem-report` prints it.
    pub fn profile_report(&self) -> String {
        self.heap.profile().report()
    }

    /// Ends the line: the heap and the constants go back to the session. A line that
    /// failed may have left frames and an arena open: the frames' values stay alive
    /// (never freed while something may point at them), and so does the arena's region.
    pub fn suspend(mut self) -> Carried {
        self.finish_actors(false);
        self.out.flush();
        self.heap.set_arena_active(false);
        let mut constants = HashMap::new();
        let table = std::mem::take(&mut self.constants);
        for (k, obj) in table.into_iter().enumerate() {
            if let Some(obj) = obj {
                let text = self.module.strings.get(k).cloned().unwrap_or_default();
                // A second object of the same text (a constant carried past the table's
                // end) keeps its own entry under a key no string has.
                let key = if constants.contains_key(&text) {
                    format!("\u{0}{k}")
                } else {
                    text
                };
                constants.insert(key, obj);
            }
        }
        let heap = std::mem::replace(&mut self.heap, Heap::new(None));
        Carried { heap, constants }
    }

    /// Ends the session once its values were released: cyclic garbage collected (with its
    /// destructors), then the constants freed. Returns the objects still alive, which the
    /// session leaked (a line that failed mid-way may leave some).
    pub fn end_session(&mut self) -> Result<u64, VmExit> {
        self.gc_finish()?;
        if self.heap.live_objects() > self.live_constants() {
            self.collect_cycles(None)?;
        }
        self.release_constants()?;
        self.heap_checkpoint("at the end of the session")?;
        Ok(self.live_objects())
    }
}
