//! The VM's side of arenas (M10) and of the background cycle collector (M7): the work
//! that runs STARK code (destructors) and so cannot live in the heap. (An arena block's
//! entry and exit, which the dispatch loop runs rarely, are in `rare.rs`.)

use crate::error::VmExit;
use crate::vm::Vm;
use stark_runtime::collector::pauses::PauseClock;
use stark_runtime::ObjRef;
use std::time::Instant;

impl<'m> Vm<'m> {
    /// Runs the destructors of held cyclic garbage on the program's thread, then frees it
    /// (and drains what only it kept alive). Returns objects and bytes freed.
    ///
    /// # Safety
    /// As for [`stark_runtime::Heap::free_cycle_garbage`]: `garbage` is what the collector
    /// returned, each member still held by its extra reference.
    pub(crate) unsafe fn finalize_and_free(
        &mut self,
        garbage: Vec<ObjRef>,
    ) -> Result<(u64, u64), VmExit> {
        for &obj in &garbage {
            if let Some(dtor) = self.destructor_of(obj) {
                self.heap.begin_finalize(obj);
                // The collector's hold keeps the count above zero during the destructor.
                let result = self.run_destructor(dtor, obj);
                self.heap.end_finalize(obj);
                result?;
            }
        }
        // Count what the collection freed: the cycle members and everything only they kept
        // alive (released by the drain below). Temporaries of destructors cancel out.
        let (objects_before, bytes_before) = (self.heap.live_objects(), self.heap.live_bytes());
        // SAFETY: the collector's garbage with its holds (this function's contract); the
        // destructors above ran between `begin_finalize` and `end_finalize`, which leave
        // the holds alone.
        unsafe { self.heap.free_cycle_garbage(garbage) };
        self.drain()?;
        let freed = objects_before.saturating_sub(self.heap.live_objects());
        let freed_bytes = bytes_before.saturating_sub(self.heap.live_bytes());
        Ok((freed, freed_bytes))
    }

    /// A safepoint the collector asked for (`Heap::gc_poll`): one bounded step, then the
    /// groups of garbage it has time for (each validated, its destructors run, freed), all
    /// timed as one pause of the program. The caller has saved the frame's pc.
    #[cold]
    pub(crate) fn gc_safepoint(&mut self) -> Result<(), VmExit> {
        if self.destructor_depth > 0 {
            // Not inside a destructor: the step may run destructors itself.
            return Ok(());
        }
        // Outside the timed section: spawning the collector thread is not a pause, nor is
        // a sample for the memory report.
        self.heap.gc_start_worker();
        self.heap.sample_if_due();
        if !self.heap.gc_has_work() {
            return Ok(());
        }
        let clock = PauseClock::start();
        self.heap.gc_step();
        let (mut freed, mut bytes, mut swept) = (0, 0, false);
        while let Some(garbage) = self.heap.gc_next_group(&clock) {
            let sweep = self.heap.tracing().then(Instant::now);
            // SAFETY: `gc_next_group`'s garbage, as it returned it.
            let (f, b) = unsafe { self.finalize_and_free(garbage) }?;
            if let Some(sweep) = sweep {
                self.heap.trace_phase("sweep", sweep, Instant::now(), 0);
            }
            (freed, bytes, swept) = (freed + f, bytes + b, true);
        }
        self.heap.record_sweep(freed, bytes, clock.stop());
        if swept {
            self.heap_checkpoint("after a background collection")?;
        }
        Ok(())
    }

    /// The end of the run: the snapshot in flight is validated and its garbage freed, so a
    /// background collection never outlives the program.
    pub(crate) fn gc_finish(&mut self) -> Result<(), VmExit> {
        let garbage = self.heap.gc_finish();
        if !garbage.is_empty() {
            // SAFETY: `gc_finish`'s garbage, as it returned it.
            unsafe { self.finalize_and_free(garbage) }?;
        }
        Ok(())
    }

    /// Allocation goes to the innermost arena only while the frame that opened it runs.
    #[inline]
    pub(crate) fn resume_arena(&mut self, fi: usize) {
        if !self.arena_frames.is_empty() || self.heap.arena_active() {
            let on = self.arena_frames.last().map(|f| f.0) == Some(fi);
            self.heap.set_arena_active(on);
        }
    }
}
