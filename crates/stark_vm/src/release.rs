//! Deterministic release with destructors (M3), and `Memory.collect()` (M7).
//!
//! The heap queues objects whose count reached zero; after any instruction that can
//! release, the VM drains the queue here: run the object's destructor (if its struct has
//! one and it has not run yet) while the object is still intact, then let the heap release
//! its fields (queueing children that reach zero) and free it. The queue is a stack, so a
//! structure is torn down depth-first in field order, with constant Rust stack.

use crate::error::{Fault, VmExit};
use crate::vm::{Vm, MAX_DESTRUCTOR_NESTING};
use stark_bytecode::FuncId;
use stark_runtime::{ObjKind, ObjRef, Value, Zone};
use std::time::Instant;

impl<'m> Vm<'m> {
    /// Releases everything queued above the current floor. Objects below the floor belong
    /// to an enclosing drain (we are inside a destructor it started).
    pub(crate) fn drain(&mut self) -> Result<(), VmExit> {
        if self.destructor_depth >= MAX_DESTRUCTOR_NESTING {
            // Too deeply nested: leave the objects queued; the enclosing drain (which owns
            // everything above its own floor) releases them when this destructor returns.
            return Ok(());
        }
        while self.heap.pending_len() > self.drain_floor {
            let obj = self.heap.pop_pending().expect("pending above floor");
            if let Some(dtor) = self.destructor_of(obj) {
                self.heap.begin_finalize(obj);
                self.run_destructor(dtor, obj)?;
                if !self.heap.end_finalize(obj) {
                    // Resurrected: the destructor stored `self` somewhere. It stays alive;
                    // when its count reaches zero again it is released without a destructor.
                    continue;
                }
            }
            // SAFETY: `obj` was popped from the pending stack above, and a destructor
            // that resurrected it made `end_finalize` return false (skipped above).
            unsafe { self.heap.release(obj) };
            if let Some((path, e)) = self.heap.take_io_failure() {
                return Err(self.error_exit(Fault::msg(format!(
                    "cannot write to \"{path}\": {} (flushing a stream released without close())",
                    crate::natives::stream::reason(&e)
                ))));
            }
        }
        Ok(())
    }

    /// The destructor still to run for `obj`, if any.
    pub(crate) fn destructor_of(&self, obj: ObjRef) -> Option<FuncId> {
        if obj.kind() != ObjKind::Struct || !self.heap.needs_destructor(obj) {
            return None;
        }
        self.module.structs.get(obj.type_id() as usize)?.destructor
    }

    /// Calls `drop(&mutable self)` with `obj` borrowed. Its own releases drain above a new
    /// floor, so they never pop entries that belong to this drain.
    pub(crate) fn run_destructor(&mut self, dtor: FuncId, obj: ObjRef) -> Result<(), VmExit> {
        let saved_floor = self.drain_floor;
        self.drain_floor = self.heap.pending_len();
        self.destructor_depth += 1;
        let result = self.call_function(dtor, &[Value::Obj(obj)]);
        self.destructor_depth -= 1;
        self.drain_floor = saved_floor;
        let ret = result?;
        // SAFETY: a call's result is owned by its caller, this function, which drops it.
        unsafe { self.heap.decref(ret) };
        Ok(())
    }

    /// `Memory.collect(zone)`: frees unreachable cycles now, running their destructors
    /// first; returns how many objects were freed.
    pub(crate) fn collect_cycles(&mut self, zone: Option<&str>) -> Result<Value, VmExit> {
        let zone = match zone {
            None => None,
            Some(name) => match Zone::from_name(name) {
                Some(z) => Some(z),
                None => {
                    return Err(self.error_exit(Fault::msg(format!(
                        "unknown memory zone \"{name}\" (zones: global, actor, tensor, io)"
                    ))))
                }
            },
        };
        let start = Instant::now();
        let garbage = self.heap.find_cycle_garbage(zone);
        // SAFETY: `find_cycle_garbage`'s garbage, as it returned it.
        let (freed, freed_bytes) = unsafe { self.finalize_and_free(garbage) }?;
        self.heap
            .trace_phase("full collection", start, Instant::now(), 0);
        self.heap.record_collection(zone, freed, freed_bytes);
        self.heap_checkpoint("after Memory.collect()")?;
        Ok(Value::Int(freed as i64))
    }
}
