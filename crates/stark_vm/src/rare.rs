//! What the dispatch loop (`interp.rs`) runs rarely, kept out of its hot `match`: arena
//! blocks' entry and exit, map literals, calls to a callee of more than 64 parameters, the
//! natives that need the whole VM (`Memory.collect`, and the actors' `spawn`, `join` and
//! `error`), and the faults whose message takes work to build (a missing function, a stack
//! overflow, `unwrap` of `None`). Every function here is `#[cold]` and `#[inline(never)]`,
//! so the loop keeps only a call for each, and LLVM lays their callers' branches out of the
//! way.
//!
//! The other faults stay where they are: a fixed message built in place, or
//! `arith::operand_fault`. Moving those out too (cold constructors, a cold `error_exit`)
//! was measured and made nbody run 2–5% more instructions: the loop's register allocation
//! got worse, not better.

use crate::call::stack_overflow_message;
use crate::error::{Fallible, Fault, VmExit};
use crate::natives::map_key_of;
use crate::vm::Vm;
use stark_bytecode::{Function, Native};
use stark_runtime::{MapBody, ObjKind, Value};
use stark_syntax::ast::ParamMode;

/// `call` of a function the module does not have.
#[cold]
#[inline(never)]
pub(crate) fn no_function(func: u32) -> Fault {
    Fault::msg(format!("internal error: no function #{func}"))
}

/// `call` past `MAX_CALL_DEPTH`.
#[cold]
#[inline(never)]
pub(crate) fn stack_overflow() -> Fault {
    Fault::Error(stack_overflow_message())
}

impl<'m> Vm<'m> {
    /// `unwrap` of `None`: the error names the unwrapped expression (`module.strings[expr]`).
    #[cold]
    #[inline(never)]
    pub(crate) fn unwrap_of_none(&self, expr: u32) -> Fault {
        let text = self
            .module
            .strings
            .get(expr as usize)
            .map(|s| s.as_str())
            .unwrap_or("value");
        Fault::msg(format!("`{text}` is None"))
    }

    /// A call's owned parameters for a callee of more than 64 parameters, whose owned
    /// ones are not a mask (`OwnedParams::Many`): the caller's registers `from..` give
    /// their references to the callee.
    #[cold]
    #[inline(never)]
    pub(crate) fn clear_owned_args(&mut self, callee: &Function, from: usize, argc: usize) {
        for i in 0..argc {
            if callee.param_modes.get(i) == Some(&ParamMode::Owned) {
                self.stack[from + i] = Value::None;
            }
        }
    }

    /// `ArenaEnter` in frame `fi`.
    #[cold]
    #[inline(never)]
    pub(crate) fn arena_enter(&mut self, fi: usize, name: u32) {
        self.heap.open_arena();
        self.arena_frames.push((fi, name));
        self.heap.set_arena_active(true);
    }

    /// `ArenaExit` in frame `fi`: destructors of the arena's values in reverse allocation
    /// order (with allocation going to the heap meanwhile), then the region goes at once.
    #[cold]
    #[inline(never)]
    pub(crate) fn arena_exit(&mut self, fi: usize) -> Result<(), VmExit> {
        let Some(&(top, name)) = self.arena_frames.last() else {
            return Ok(());
        };
        if top != fi {
            return Ok(());
        }
        self.heap.set_arena_active(false);
        for obj in self.heap.take_arena_finalizers().into_iter().rev() {
            if let Some(dtor) = self.destructor_of(obj) {
                self.heap.begin_finalize(obj);
                let result = self.run_destructor(dtor, obj);
                self.heap.end_finalize(obj);
                result?;
            }
        }
        if let Some((value, holder)) = self.heap.arena_escape() {
            // Freeing the region now would leave `holder` pointing into freed memory.
            let name = self
                .module
                .strings
                .get(name as usize)
                .map_or("", |s| s.as_str());
            return Err(self.error_exit(Fault::msg(format!(
                "a `{value}` allocated in arena `{name}` is still referenced from a `{holder}` outside it when the arena ends"
            ))));
        }
        // SAFETY: `arena_escape` found no reference to the arena's values from outside it,
        // and the checker rejected the escapes it can see (E0713): nothing outside points
        // into the region (A2).
        unsafe { self.heap.close_arena() };
        self.arena_frames.pop();
        self.drain()?;
        self.resume_arena(fi);
        Ok(())
    }

    /// `NewMap`: a map of the `argc` key/value pairs in the registers `from..`, which it
    /// takes over, written to the stack slot `dst` (before the pairs go in, so that a
    /// failure leaves it for the error exit to release). The caller drains.
    #[cold]
    #[inline(never)]
    pub(crate) fn new_map(&mut self, dst: usize, from: usize, argc: usize) -> Fallible<()> {
        let mut body = MapBody::default();
        body.reserve(argc);
        let map = self.heap.alloc_map(body)?;
        self.stack[dst] = Value::Obj(map);
        for i in 0..argc {
            let k = std::mem::replace(&mut self.stack[from + 2 * i], Value::None);
            let v = std::mem::replace(&mut self.stack[from + 2 * i + 1], Value::None);
            let key = map_key_of(k)?;
            // The key object (if a String) was moved in; its text now lives in the key.
            // SAFETY: `new_map` consumes its operands; the key's register, cleared above,
            // gave its reference up to this instruction.
            unsafe { self.heap.decref(k) };
            if let Some(old) = self.heap.map_insert(map, key, v)? {
                // SAFETY: the map's reference to the value a repeated key replaced.
                unsafe { self.heap.decref(old) };
            }
        }
        Ok(())
    }

    /// A native the VM runs itself, not `natives::call`: those whose registry row says
    /// `needs_vm` (they run destructors or other frames) — `Memory.collect`, `join` and
    /// `error` — and `spawn`. Its operands are the registers `from..to`; the caller has
    /// saved the frame's pc (for the stack traces of the destructors and errors).
    #[cold]
    #[inline(never)]
    pub(crate) fn vm_native(
        &mut self,
        native: Native,
        from: usize,
        to: usize,
    ) -> Result<Value, VmExit> {
        match native {
            Native::MemCollect => {
                let zone = match self.stack[from..to].first() {
                    Some(Value::Obj(o)) if o.kind() == ObjKind::Str => Some(o.as_str().to_string()),
                    _ => None,
                };
                self.collect_cycles(zone.as_deref())
            }
            // Actors (`actor/`).
            Native::Spawn { .. } | Native::TaskJoin | Native::TaskError => {
                let ops = self.stack[from..to].to_vec();
                self.actor_native(native, &ops)
                    .map_err(|f| self.error_exit(f))
            }
            other => Err(self.error_exit(Fault::msg(format!(
                "internal error: `{}` needs the VM, which has no handler for it",
                other.name()
            )))),
        }
    }
}
