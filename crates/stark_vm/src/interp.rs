//! The dispatch loop: one `match` over `Instr`, with the current frame's code, pc and
//! register base in locals. Calls and returns switch those locals instead of recursing, so
//! STARK recursion depth is bounded by `MAX_CALL_DEPTH`, not by the Rust stack.

use crate::arith;
use crate::equality::values_equal;
use crate::error::{Fault, VmExit};
use crate::natives::{self, NativeCx};
use crate::rare;
use crate::vm::{CallFrame, OwnedParams, Vm, MAX_CALL_DEPTH};
use stark_bytecode::instr::{TAKE_A, TAKE_B};
use stark_bytecode::{Instr, Native};
use stark_runtime::{ObjKind, Value};

impl<'m> Vm<'m> {
    /// Runs from the top frame until the frame at index `stop` returns; yields its result.
    pub(crate) fn execute(&mut self, stop: usize) -> Result<Value, VmExit> {
        let module = self.module;
        let mut fi = self.frames.len() - 1;
        let mut code: &'m [Instr] = &module.functions[self.frames[fi].func as usize].code;
        let mut pc = self.frames[fi].pc;
        let mut base = self.frames[fi].base;
        // The current frame's registers: `self.stack`'s buffer plus `base`, kept in a local
        // so that a register operand costs one add rather than reloading the buffer pointer
        // and `base` (R1: re-derived by `sync!` whenever the buffer may have moved or been
        // borrowed — after a call, a return, anything that can run a destructor or the
        // collector, and every handler that takes a slice of `self.stack`).
        let mut regs: *mut Value;
        macro_rules! sync {
            () => {
                debug_assert!(base <= self.stack.len());
                // SAFETY: F1 (vm.rs): `base` is at most the stack's length, so the result
                // points into the buffer or one past its end.
                regs = unsafe { self.stack.as_mut_ptr().add(base) };
            };
        }
        sync!();

        // Register `r` of the current frame, without a bounds check.
        macro_rules! reg {
            ($r:expr) => {
                *{
                    let r = $r as usize;
                    debug_assert!(base + r < self.stack.len());
                    debug_assert!(std::ptr::eq(
                        regs,
                        self.stack.as_mut_ptr().wrapping_add(base)
                    ));
                    // SAFETY: V1 (verify.rs) — every register operand is below its function's
                    // `num_regs` — and F1 (vm.rs) — while a frame runs, the stack holds at
                    // least `base + num_regs` values — so `base + r` is in bounds; R1 keeps
                    // `regs` pointing at `base` in the stack's current buffer.
                    unsafe { &mut *regs.add(r) }
                }
            };
        }
        // Register `r` as a raw pointer, for the word-wise copies (`Value::copy_words`), so
        // that a copy whose source and destination are the same register makes no aliasing
        // references.
        macro_rules! reg_ptr {
            ($r:expr) => {{
                let r = $r as usize;
                debug_assert!(base + r < self.stack.len());
                // SAFETY: as for `reg!`: V1 and F1 keep `base + r` inside the stack's buffer.
                unsafe { regs.add(r) }
            }};
        }
        // Leaves the loop with a runtime error at the current instruction.
        macro_rules! fault {
            ($f:expr) => {{
                let f: Fault = $f;
                self.frames[fi].pc = pc;
                return Err(self.error_exit(f));
            }};
        }
        macro_rules! check {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(f) => fault!(Fault::from(f)),
                }
            };
        }
        // Runs destructors and frees whatever the instruction released.
        macro_rules! drain {
            () => {
                if self.heap.pending_len() > self.drain_floor {
                    self.frames[fi].pc = pc;
                    self.drain()?;
                    sync!();
                }
            };
        }
        // Takes a branch. Taken backward (every loop iteration: a back `jump`, a rotated
        // loop's test, a `for` step) it is a collector safepoint. Every instruction with a
        // target branches through here (the table's rule, `Instr::polls_collector`), so
        // no loop starves the collector whichever instruction closes it.
        macro_rules! jump_to {
            ($target:expr) => {{
                let target = $target as usize;
                if target < pc && self.heap.gc_poll() {
                    self.frames[fi].pc = pc;
                    self.gc_safepoint()?;
                    sync!();
                }
                pc = target;
            }};
        }
        macro_rules! int_op {
            ($dst:expr, $a:expr, $b:expr, $f:path) => {{
                let v = check!($f(reg!($a), reg!($b)));
                reg!($dst) = v;
            }};
        }
        // Checked Int arithmetic written straight into the destination register: going
        // through a `Result<Value, _>` made the result round-trip through the Rust stack
        // (a byte and a qword store read back as one 16-byte load, a store-forwarding stall
        // that was the hottest instruction of spectral_norm).
        macro_rules! int_checked {
            ($dst:expr, $x:expr, $y:expr, $m:ident) => {{
                match ($x, $y) {
                    (Value::Int(x), Value::Int(y)) => match x.$m(y) {
                        Some(v) => reg!($dst) = Value::Int(v),
                        None => fault!(Fault::msg("integer overflow")),
                    },
                    _ => fault!(arith::operand_fault("int")),
                }
            }};
        }
        macro_rules! float_op {
            ($dst:expr, $a:expr, $b:expr, |$x:ident, $y:ident| $e:expr) => {{
                match (reg!($a), reg!($b)) {
                    (Value::Float($x), Value::Float($y)) => reg!($dst) = Value::Float($e),
                    _ => fault!(arith::operand_fault("float")),
                }
            }};
        }
        // Moves register `src` into the heap slot `slot` (a field or list element), then
        // releases what the slot held. Scalars are written as their variant rather than
        // copied as a whole `Value`: a copy moved the padding bytes through a stack
        // temporary in pieces, and reading them back stalled store forwarding (a quarter of
        // nbody's time was the `set_field` of a Float).
        macro_rules! store_moved {
            ($container:expr, $slot:expr, $src:expr) => {{
                let slot: &mut Value = $slot;
                let old = match *slot {
                    Value::Obj(o) => Some(o),
                    _ => None,
                };
                match reg!($src) {
                    Value::Float(x) => *slot = Value::Float(x),
                    Value::Int(x) => *slot = Value::Int(x),
                    v => {
                        self.heap.note_stored(v, $container);
                        *slot = v;
                    }
                }
                reg!($src) = Value::None;
                if let Some(old) = old {
                    // SAFETY: the container's reference to the value the store replaced,
                    // which the slot no longer holds.
                    unsafe { self.heap.decref_obj(old) };
                    drain!();
                }
            }};
        }
        macro_rules! do_return {
            ($v:expr) => {{
                let v: Value = $v;
                let done = self.frames.pop().expect("a frame to return from");
                self.stack.truncate(done.base);
                if self.frames.len() == stop {
                    return Ok(v);
                }
                fi -= 1;
                let caller = self.frames[fi];
                code = &module.functions[caller.func as usize].code;
                pc = caller.pc;
                base = caller.base;
                sync!();
                reg!(done.ret_dst) = v;
                self.resume_arena(fi);
            }};
        }

        // Enters `func` with the caller's registers `args .. args + argc` as its arguments;
        // `call` and `call_value` share it.
        macro_rules! enter_call {
            ($dst:expr, $func:expr, $args:expr, $argc:expr) => {{
                let (dst, func, args, argc) = ($dst, $func, $args, $argc);
                let Some(callee) = module.functions.get(func as usize) else {
                    fault!(rare::no_function(func))
                };
                if self.frames.len() >= MAX_CALL_DEPTH {
                    fault!(rare::stack_overflow());
                }
                if self.heap.gc_poll() {
                    // `regs` is re-derived below, once the stack has grown.
                    self.frames[fi].pc = pc;
                    self.gc_safepoint()?;
                }
                self.resume_arena(fi + 1);
                // The stack's length is the top of the current frame. The arguments
                // are copied a word at a time (they were just written that way: a
                // `memcpy` of them stalls on store forwarding), then the rest of the
                // callee's registers are set to `None`.
                let new_base = self.stack.len();
                let argc = argc as usize;
                let size = (callee.num_regs as usize).max(argc);
                let from = base + args as usize;
                self.stack.reserve(size);
                // SAFETY: V1 (verify.rs) puts `args + argc` within the caller's
                // `num_regs`, and F1 keeps those registers below `new_base`, so the
                // sources are initialised values; `reserve` made room for `argc` more
                // past `new_base`, and `set_len` covers exactly the slots written.
                unsafe {
                    let p = self.stack.as_mut_ptr();
                    for i in 0..argc {
                        Value::copy_words(p.add(new_base + i), p.add(from + i));
                    }
                    self.stack.set_len(new_base + argc);
                }
                self.stack.resize(new_base + size, Value::None);
                sync!();
                // The callee takes over an owned argument's reference; which parameters
                // are owned was worked out once, at load time (`Vm::owned_params`).
                match self.owned_params.get(func as usize) {
                    Some(&OwnedParams::Mask(mut mask)) => {
                        while mask != 0 {
                            let i = mask.trailing_zeros() as usize;
                            mask &= mask - 1;
                            reg!(args as usize + i) = Value::None;
                        }
                    }
                    _ => self.clear_owned_args(callee, from, argc),
                }
                self.frames[fi].pc = pc;
                self.frames.push(CallFrame {
                    func,
                    pc: 0,
                    base: new_base,
                    ret_dst: dst,
                });
                fi += 1;
                code = &callee.code;
                pc = 0;
                base = new_base;
                sync!();
            }};
        }

        loop {
            debug_assert!(pc < code.len());
            // SAFETY: V2 (verify.rs) — every function's code is non-empty, ends in a `Jump`,
            // `Ret` or `RetNone`, and jumps only to indices below its length — so control
            // never runs off the end: `pc` starts at 0, a call's resumption point follows a
            // `Call` (never the last instruction), and every other step goes to the next
            // instruction after a non-final one or to a jump target.
            let instr: &Instr = unsafe { code.get_unchecked(pc) };
            pc += 1;
            // Matched through the reference, so each handler loads only its own operands:
            // copying the whole instruction first had LLVM decode every operand slot before
            // the jump, and the registers that took left `pc` spilled to memory (a store and
            // a reload on every instruction).
            match *instr {
                Instr::LoadInt { dst, value } => reg!(dst) = Value::Int(value),
                Instr::LoadFunc { dst, func } => reg!(dst) = Value::Int(i64::from(func)),
                Instr::LoadFloat { dst, value } => reg!(dst) = Value::Float(value),
                Instr::LoadBool { dst, value } => reg!(dst) = Value::Bool(value),
                Instr::LoadNone { dst } => reg!(dst) = Value::None,
                Instr::LoadStr { dst, konst } => {
                    // String constants are allocated once, owned by the constant table, and
                    // loaded as views: a literal costs no allocation and no RC operation.
                    let s = match self.constants.get(konst as usize).copied().flatten() {
                        Some(s) => s,
                        None => check!(self.alloc_constant(konst as usize)),
                    };
                    reg!(dst) = Value::Obj(s);
                }
                Instr::Copy { dst, src } => {
                    let (d, s) = (reg_ptr!(dst), reg_ptr!(src));
                    // SAFETY: both are registers of the running frame (`reg_ptr!`).
                    unsafe { Value::copy_words(d, s) };
                }
                Instr::Move { dst, src } => {
                    let (d, s) = (reg_ptr!(dst), reg_ptr!(src));
                    // SAFETY: both are registers of the running frame (`reg_ptr!`).
                    unsafe { Value::copy_words(d, s) };
                    if dst != src {
                        reg!(src) = Value::None;
                    }
                }
                Instr::Incref { reg } => {
                    let v = reg!(reg);
                    self.heap.incref(v);
                }
                Instr::Decref { reg } | Instr::Drop { reg } => {
                    let v = std::mem::replace(&mut reg!(reg), Value::None);
                    if let Value::Obj(o) = v {
                        // A string's last reference frees it here (no destructor, no
                        // children); anything else goes through the pending stack.
                        // SAFETY: `decref` and `drop` name an owning register (the compiler's
                        // RC insertion, M12); its reference is given up once, and the
                        // register was cleared above.
                        if !unsafe { self.heap.try_free_str(o) } {
                            // SAFETY: as above; the string fast path declined it.
                            unsafe { self.heap.decref_obj(o) };
                            drain!();
                        }
                    }
                }

                Instr::IAdd { dst, a, b } => int_checked!(dst, reg!(a), reg!(b), checked_add),
                Instr::ISub { dst, a, b } => int_checked!(dst, reg!(a), reg!(b), checked_sub),
                Instr::IMul { dst, a, b } => int_checked!(dst, reg!(a), reg!(b), checked_mul),
                Instr::IDiv { dst, a, b } => match (reg!(a), reg!(b)) {
                    (Value::Int(_), Value::Int(0)) => {
                        fault!(Fault::msg("integer division by zero"))
                    }
                    (x, y) => int_checked!(dst, x, y, checked_div),
                },
                Instr::IMod { dst, a, b } => match (reg!(a), reg!(b)) {
                    (Value::Int(_), Value::Int(0)) => fault!(Fault::msg("integer modulo by zero")),
                    // i64::MIN % -1 is 0 mathematically; checked_rem reports it as overflow.
                    (Value::Int(x), Value::Int(y)) => {
                        reg!(dst) = Value::Int(x.checked_rem(y).unwrap_or(0))
                    }
                    _ => fault!(arith::operand_fault("int")),
                },
                Instr::IPow { dst, a, b } => int_op!(dst, a, b, arith::ipow),
                Instr::IAddImm { dst, a, imm } => {
                    int_checked!(dst, reg!(a), Value::Int(imm as i64), checked_add)
                }
                Instr::IMulImm { dst, a, imm } => {
                    int_checked!(dst, reg!(a), Value::Int(imm as i64), checked_mul)
                }
                // `imm` is not 0 (V1, verify.rs); only `i64::MIN / -1` overflows.
                Instr::IDivImm { dst, a, imm } => match reg!(a) {
                    Value::Int(x) => {
                        let d = imm as i64;
                        if d > 0 && d & (d - 1) == 0 {
                            // A power of two: a shift, rounded toward zero as `/` is (the
                            // bias makes a negative dividend round up), instead of `idiv`.
                            let k = d.trailing_zeros();
                            let bias = (x >> 63) & (d - 1);
                            reg!(dst) = Value::Int((x + bias) >> k);
                        } else {
                            match x.checked_div(d) {
                                Some(v) => reg!(dst) = Value::Int(v),
                                None => fault!(Fault::msg("integer overflow")),
                            }
                        }
                    }
                    _ => fault!(arith::operand_fault("int")),
                },
                Instr::IModImm { dst, a, imm } => match reg!(a) {
                    Value::Int(x) => reg!(dst) = Value::Int(x.checked_rem(imm as i64).unwrap_or(0)),
                    _ => fault!(arith::operand_fault("int")),
                },
                Instr::INeg { dst, src } => match reg!(src) {
                    Value::Int(x) => match x.checked_neg() {
                        Some(v) => reg!(dst) = Value::Int(v),
                        None => fault!(Fault::msg("integer overflow")),
                    },
                    _ => fault!(arith::operand_fault("int")),
                },
                Instr::ICmp { op, dst, a, b } => match (reg!(a), reg!(b)) {
                    (Value::Int(x), Value::Int(y)) => {
                        reg!(dst) = Value::Bool(arith::compare(op, x.cmp(&y)))
                    }
                    _ => fault!(arith::operand_fault("int")),
                },
                Instr::FAdd { dst, a, b } => float_op!(dst, a, b, |x, y| x + y),
                Instr::FSub { dst, a, b } => float_op!(dst, a, b, |x, y| x - y),
                Instr::FMul { dst, a, b } => float_op!(dst, a, b, |x, y| x * y),
                Instr::FDiv { dst, a, b } => float_op!(dst, a, b, |x, y| x / y),
                Instr::FMod { dst, a, b } => float_op!(dst, a, b, |x, y| arith::fmod(x, y)),
                Instr::FPow { dst, a, b } => float_op!(dst, a, b, |x, y| arith::fpow(x, y)),
                Instr::FMulAdd { dst, acc, a, b } => match (reg!(acc), reg!(a), reg!(b)) {
                    (Value::Float(s), Value::Float(x), Value::Float(y)) => {
                        reg!(dst) = Value::Float(s + x * y)
                    }
                    _ => fault!(arith::operand_fault("float")),
                },
                Instr::FMulSub { dst, acc, a, b } => match (reg!(acc), reg!(a), reg!(b)) {
                    (Value::Float(s), Value::Float(x), Value::Float(y)) => {
                        reg!(dst) = Value::Float(s - x * y)
                    }
                    _ => fault!(arith::operand_fault("float")),
                },
                Instr::FieldFMulAdd { obj, field, a, b }
                | Instr::FieldFMulSub { obj, field, a, b } => {
                    let Value::Obj(o) = reg!(obj) else {
                        fault!(Fault::msg("internal error: field store on a non-object"))
                    };
                    // SAFETY: the only borrow of `o`'s fields while this instruction runs; the
                    // operands `a` and `b` are registers, not fields (I5).
                    let Some(slot) = unsafe { o.fields_mut() }.get_mut(field as usize) else {
                        fault!(Fault::msg("internal error: field index out of range"))
                    };
                    let (Value::Float(s), Value::Float(x), Value::Float(y)) =
                        (*slot, reg!(a), reg!(b))
                    else {
                        fault!(arith::operand_fault("float"))
                    };
                    // A Float field holds no reference: nothing to release.
                    *slot = Value::Float(if matches!(*instr, Instr::FieldFMulAdd { .. }) {
                        s + x * y
                    } else {
                        s - x * y
                    });
                }
                Instr::FieldFSub { dst, a, fa, b, fb } => {
                    let (Value::Obj(p), Value::Obj(q)) = (reg!(a), reg!(b)) else {
                        fault!(Fault::msg("internal error: field access on a non-object"))
                    };
                    let (Some(&x), Some(&y)) =
                        (p.fields().get(fa as usize), q.fields().get(fb as usize))
                    else {
                        fault!(Fault::msg("internal error: field index out of range"))
                    };
                    match (x, y) {
                        (Value::Float(x), Value::Float(y)) => reg!(dst) = Value::Float(x - y),
                        _ => fault!(arith::operand_fault("float")),
                    }
                }
                Instr::FieldFMul { dst, obj, field, b } => {
                    let Value::Obj(o) = reg!(obj) else {
                        fault!(Fault::msg("internal error: field access on a non-object"))
                    };
                    let Some(&x) = o.fields().get(field as usize) else {
                        fault!(Fault::msg("internal error: field index out of range"))
                    };
                    match (x, reg!(b)) {
                        (Value::Float(x), Value::Float(y)) => reg!(dst) = Value::Float(x * y),
                        _ => fault!(arith::operand_fault("float")),
                    }
                }
                Instr::FNeg { dst, src } => match reg!(src) {
                    Value::Float(x) => reg!(dst) = Value::Float(-x),
                    _ => fault!(arith::operand_fault("float")),
                },
                Instr::FCmp { op, dst, a, b } => match (reg!(a), reg!(b)) {
                    (Value::Float(x), Value::Float(y)) => {
                        reg!(dst) = Value::Bool(arith::compare_floats(op, x, y))
                    }
                    _ => fault!(arith::operand_fault("float")),
                },
                Instr::IToF { dst, src } => match reg!(src) {
                    Value::Int(x) => reg!(dst) = Value::Float(x as f64),
                    Value::Float(x) => reg!(dst) = Value::Float(x),
                    _ => fault!(arith::operand_fault("int")),
                },
                Instr::Not { dst, src } => match reg!(src) {
                    Value::Bool(x) => reg!(dst) = Value::Bool(!x),
                    _ => fault!(arith::operand_fault("bool")),
                },
                Instr::BCmp { op, dst, a, b } => match (reg!(a), reg!(b)) {
                    (Value::Bool(x), Value::Bool(y)) => {
                        reg!(dst) = Value::Bool(arith::compare(op, x.cmp(&y)))
                    }
                    _ => fault!(arith::operand_fault("bool")),
                },
                Instr::Concat { dst, a, b, take } => {
                    let (Value::Obj(x), Value::Obj(y)) = (reg!(a), reg!(b)) else {
                        fault!(arith::operand_fault("string"))
                    };
                    // The accessors below trust the kind (`ObjRef::as_str`); the verifier
                    // checks registers, not what they hold, so a wrong kind is a fault here.
                    if x.kind() != ObjKind::Str || y.kind() != ObjKind::Str {
                        fault!(arith::operand_fault("string"))
                    }
                    // A consumed operand nothing else refers to becomes the result.
                    let (take_a, take_b) = (take & TAKE_A != 0, take & TAKE_B != 0);
                    let reused = if take_a && x != y {
                        check!(self.heap.str_extend_unique(x, y.as_str(), false)).then_some(x)
                    } else {
                        None
                    };
                    let reused = match reused {
                        None if take_b && x != y => {
                            check!(self.heap.str_extend_unique(y, x.as_str(), true)).then_some(y)
                        }
                        r => r,
                    };
                    let s = match reused {
                        Some(s) => s,
                        None => {
                            check!(natives::string::concat(
                                &mut self.heap,
                                x.as_str(),
                                y.as_str()
                            ))
                        }
                    };
                    if take_a {
                        reg!(a) = Value::None;
                    }
                    if take_b {
                        reg!(b) = Value::None;
                    }
                    reg!(dst) = Value::Obj(s);
                    let mut released = false;
                    for (taken, o) in [(take_a, x), (take_b, y)] {
                        if taken && o != s {
                            // SAFETY: a consumed operand (`take`): its register, cleared above,
                            // gave its owned reference to this instruction.
                            unsafe { self.heap.decref_obj(o) };
                            released = true;
                        }
                    }
                    if released {
                        drain!();
                    }
                }
                Instr::SCmp { op, dst, a, b } => {
                    let (Value::Obj(x), Value::Obj(y)) = (reg!(a), reg!(b)) else {
                        fault!(arith::operand_fault("string"))
                    };
                    let strings = x.kind() == ObjKind::Str && y.kind() == ObjKind::Str;
                    let result = if strings {
                        arith::compare(op, x.as_str().cmp(y.as_str()))
                    } else if x.kind() == ObjKind::Struct && y.kind() == ObjKind::Struct {
                        // Tuples: lexicographic; unordered (a NaN part) compares false.
                        crate::equality::values_order(reg!(a), reg!(b))
                            .is_some_and(|o| arith::compare(op, o))
                    } else {
                        fault!(arith::operand_fault("string"))
                    };
                    reg!(dst) = Value::Bool(result);
                }
                Instr::Equal { dst, a, b, negate } => {
                    let eq = values_equal(reg!(a), reg!(b));
                    reg!(dst) = Value::Bool(eq != negate);
                }
                Instr::IsNone { dst, src } => {
                    let v = reg!(src).is_none();
                    reg!(dst) = Value::Bool(v);
                }
                // The string queries as instructions (the optimiser's form of their
                // `call_native`): the same code as the native call's fast path, with the
                // native known here, so `query`'s `match` folds away. Only an operand that is
                // not a string (hand-made bytecode) gets `None`.
                Instr::StrLen { dst, s } => {
                    match natives::string::query(Native::StrLen, 1, reg!(s), Value::None) {
                        Some(v) => reg!(dst) = v,
                        None => fault!(arith::operand_fault("string")),
                    }
                }
                Instr::StrIsDigit { dst, s } => {
                    match natives::string::query(Native::StrIsDigit, 1, reg!(s), Value::None) {
                        Some(v) => reg!(dst) = v,
                        None => fault!(arith::operand_fault("string")),
                    }
                }
                Instr::JumpUnlessStartsWith { s, prefix, target } => {
                    let (a0, a1) = (reg!(s), reg!(prefix));
                    match natives::string::query(Native::StrStartsWith, 2, a0, a1) {
                        Some(Value::Bool(true)) => {}
                        Some(_) => jump_to!(target),
                        None => fault!(arith::operand_fault("string")),
                    }
                }
                Instr::JumpUnlessEndsWith { s, suffix, target } => {
                    let (a0, a1) = (reg!(s), reg!(suffix));
                    match natives::string::query(Native::StrEndsWith, 2, a0, a1) {
                        Some(Value::Bool(true)) => {}
                        Some(_) => jump_to!(target),
                        None => fault!(arith::operand_fault("string")),
                    }
                }
                Instr::JumpUnlessIsDigit { s, target } => {
                    match natives::string::query(Native::StrIsDigit, 1, reg!(s), Value::None) {
                        Some(Value::Bool(true)) => {}
                        Some(_) => jump_to!(target),
                        None => fault!(arith::operand_fault("string")),
                    }
                }
                Instr::StrStartsWith { dst, s, prefix } => {
                    let (a0, a1) = (reg!(s), reg!(prefix));
                    match natives::string::query(Native::StrStartsWith, 2, a0, a1) {
                        Some(v) => reg!(dst) = v,
                        None => fault!(arith::operand_fault("string")),
                    }
                }
                Instr::StrEndsWith { dst, s, suffix } => {
                    let (a0, a1) = (reg!(s), reg!(suffix));
                    match natives::string::query(Native::StrEndsWith, 2, a0, a1) {
                        Some(v) => reg!(dst) = v,
                        None => fault!(arith::operand_fault("string")),
                    }
                }

                Instr::Jump { target } | Instr::Case { target } => jump_to!(target),
                Instr::Switch { src, base, count } => {
                    let Value::Obj(o) = reg!(src) else {
                        fault!(Fault::msg("internal error: switch on a non-object"))
                    };
                    // The verifier checked that `count` `case` entries follow; a type
                    // outside the enum (never produced) takes the last.
                    let k = o.type_id().wrapping_sub(base).min(u32::from(count) - 1);
                    pc += k as usize;
                }
                Instr::JumpUnlessType { src, ty, target } => {
                    let is = matches!(reg!(src), Value::Obj(o) if o.type_id() == ty);
                    if !is {
                        jump_to!(target);
                    }
                }
                Instr::JumpIf { cond, target } => {
                    if let Value::Bool(true) = reg!(cond) {
                        jump_to!(target);
                    }
                }
                Instr::JumpIfNot { cond, target } => {
                    if let Value::Bool(false) = reg!(cond) {
                        jump_to!(target);
                    }
                }
                Instr::JumpICmp { op, a, b, target } => match (reg!(a), reg!(b)) {
                    (Value::Int(x), Value::Int(y)) => {
                        if arith::compare_ints(op, x, y) {
                            jump_to!(target);
                        }
                    }
                    _ => fault!(arith::operand_fault("int")),
                },
                Instr::JumpICmpImm { op, a, imm, target } => match reg!(a) {
                    Value::Int(x) => {
                        if arith::compare_ints(op, x, imm as i64) {
                            jump_to!(target);
                        }
                    }
                    _ => fault!(arith::operand_fault("int")),
                },
                Instr::IncJumpICmp {
                    op,
                    a,
                    imm,
                    b,
                    target,
                } => match (reg!(a), reg!(b)) {
                    (Value::Int(x), Value::Int(y)) => {
                        let Some(x) = x.checked_add(imm as i64) else {
                            fault!(Fault::msg("integer overflow"))
                        };
                        reg!(a) = Value::Int(x);
                        if arith::compare_ints(op, x, y) {
                            jump_to!(target);
                        }
                    }
                    _ => fault!(arith::operand_fault("int")),
                },
                Instr::IncJumpICmpImm {
                    op,
                    a,
                    imm,
                    limit,
                    target,
                } => match reg!(a) {
                    Value::Int(x) => {
                        let Some(x) = x.checked_add(imm as i64) else {
                            fault!(Fault::msg("integer overflow"))
                        };
                        reg!(a) = Value::Int(x);
                        if arith::compare_ints(op, x, limit as i64) {
                            jump_to!(target);
                        }
                    }
                    _ => fault!(arith::operand_fault("int")),
                },
                Instr::ForStep {
                    a,
                    step,
                    end,
                    target,
                } => match (reg!(a), reg!(step), reg!(end)) {
                    (Value::Int(x), Value::Int(s), Value::Int(e)) => {
                        // An overflowing sum lies beyond `end`: the loop is over.
                        if let Some(x) = x.checked_add(s) {
                            reg!(a) = Value::Int(x);
                            if (s > 0 && x < e) || (s < 0 && x > e) {
                                jump_to!(target);
                            }
                        }
                    }
                    _ => fault!(arith::operand_fault("int")),
                },
                Instr::JumpFCmpNot { op, a, b, target } => match (reg!(a), reg!(b)) {
                    (Value::Float(x), Value::Float(y)) => {
                        if !arith::compare_floats(op, x, y) {
                            jump_to!(target);
                        }
                    }
                    _ => fault!(arith::operand_fault("float")),
                },
                // Two arms, not one or-pattern: the variants keep their fields at different
                // offsets, and a shared arm made those offsets values that every dispatch
                // jump had to set up for it (three register loads per instruction, on every
                // instruction: an indirect jump's edges cannot be split).
                Instr::Call {
                    dst,
                    func,
                    args,
                    argc,
                } => enter_call!(dst, func, args, argc),
                Instr::CallMulti {
                    dst,
                    func,
                    args,
                    argc,
                    ..
                } => enter_call!(dst, func, args, argc),
                // A function value (SPEC §7): a closure object whose field 0 is the
                // function's id; it is the first argument, which the callee borrows.
                Instr::CallValue { dst, args, argc } => {
                    let func = match reg!(args) {
                        Value::Obj(o) => match o.fields().first() {
                            Some(&Value::Int(f)) => f as u32,
                            _ => fault!(Fault::msg("internal error: a closure without a function")),
                        },
                        _ => fault!(Fault::msg("internal error: calling a non-closure")),
                    };
                    enter_call!(dst, func, args, argc)
                }
                Instr::Ret { src } => {
                    let s = reg_ptr!(src);
                    // SAFETY: a register of the running frame (`reg_ptr!`).
                    let v = unsafe { Value::read_words(s) };
                    reg!(src) = Value::None;
                    do_return!(v);
                }
                Instr::RetNone => do_return!(Value::None),
                Instr::RetMulti { src, n } => {
                    // The verifier bounds `n` by MAX_RET_PARTS (V1 put the range in the frame).
                    let n = n as usize;
                    let mut parts = [Value::None; crate::verify::MAX_RET_PARTS];
                    for (i, part) in parts.iter_mut().enumerate().take(n) {
                        *part = reg!(src as usize + i);
                        reg!(src as usize + i) = Value::None;
                    }
                    if self.frames.len() - 1 == stop {
                        // Called from outside the bytecode (an actor's function): the
                        // caller takes one value, so the parts become a tuple object
                        // (built before the frame goes, so a failure is reported in it).
                        let t = check!(self.heap.alloc_struct(
                            stark_bytecode::instr::builtin_types::TUPLE,
                            &parts[..n]
                        ));
                        let done = self.frames.pop().expect("a frame to return from");
                        self.stack.truncate(done.base);
                        return Ok(Value::Obj(t));
                    }
                    let done = self.frames.pop().expect("a frame to return from");
                    self.stack.truncate(done.base);
                    fi -= 1;
                    let caller = self.frames[fi];
                    code = &module.functions[caller.func as usize].code;
                    pc = caller.pc;
                    base = caller.base;
                    sync!();
                    for (i, part) in parts.iter().enumerate().take(n) {
                        reg!(done.ret_dst as usize + i) = *part;
                    }
                    self.resume_arena(fi);
                }
                Instr::ArenaEnter { name } => self.arena_enter(fi, name),
                Instr::ArenaExit => {
                    self.frames[fi].pc = pc;
                    self.arena_exit(fi)?;
                    sync!();
                }

                Instr::NewStruct {
                    dst,
                    ty,
                    args,
                    argc,
                    stack,
                } => {
                    let from = base + args as usize;
                    let fields = &self.stack[from..from + argc as usize];
                    let obj = if stack {
                        // A closure borrowing its captures (SPEC §7): its fields are views.
                        let views = module.structs.get(ty as usize).is_some_and(|s| s.views);
                        check!(self.heap.alloc_struct_local(ty, fields, views))
                    } else {
                        check!(self.heap.alloc_struct(ty, fields))
                    };
                    for slot in &mut self.stack[from..from + argc as usize] {
                        *slot = Value::None;
                    }
                    sync!();
                    reg!(dst) = Value::Obj(obj);
                }
                Instr::GetField { dst, obj, field } => {
                    let Value::Obj(o) = reg!(obj) else {
                        fault!(Fault::msg("internal error: field access on a non-object"))
                    };
                    let Some(&v) = o.fields().get(field as usize) else {
                        fault!(Fault::msg("internal error: field index out of range"))
                    };
                    reg!(dst) = v;
                }
                Instr::SetField { obj, field, src } => {
                    let Value::Obj(o) = reg!(obj) else {
                        fault!(Fault::msg("internal error: field store on a non-object"))
                    };
                    // SAFETY: the only borrow of `o`'s fields while the store runs:
                    // `note_stored` reads headers and rows, and the replaced value is
                    // released after the slot's last use (`decref` never frees, I5, I7).
                    let Some(slot) = unsafe { o.fields_mut() }.get_mut(field as usize) else {
                        fault!(Fault::msg("internal error: field index out of range"))
                    };
                    store_moved!(o, slot, src);
                }

                Instr::NewList { dst, args, argc } => {
                    let from = base + args as usize;
                    let items: Vec<Value> = self.stack[from..from + argc as usize].to_vec();
                    let list = check!(self.heap.alloc_list(items));
                    for slot in &mut self.stack[from..from + argc as usize] {
                        *slot = Value::None;
                    }
                    sync!();
                    reg!(dst) = Value::Obj(list);
                }
                Instr::NewMap { dst, args, argc } => {
                    let r = self.new_map(base + dst as usize, base + args as usize, argc as usize);
                    sync!();
                    check!(r);
                    drain!();
                }
                Instr::ListGet { dst, list, index } => {
                    let (Value::Obj(l), Value::Int(i)) = (reg!(list), reg!(index)) else {
                        fault!(arith::operand_fault("list"))
                    };
                    // `ObjRef::list` trusts the kind; as for `concat`, check it.
                    if l.kind() != ObjKind::List {
                        fault!(arith::operand_fault("list"))
                    }
                    let items = l.list();
                    // Python's indexing: a negative index counts from the end.
                    match natives::list::list_index(i, items.len()) {
                        // SAFETY: `list_index` returns only positions below the length.
                        Some(j) => reg!(dst) = unsafe { *items.get_unchecked(j) },
                        None => fault!(natives::list::index_error(i, items.len())),
                    }
                }
                Instr::ForList {
                    dst,
                    list,
                    index,
                    target,
                } => {
                    let (Value::Obj(l), Value::Int(i)) = (reg!(list), reg!(index)) else {
                        fault!(arith::operand_fault("list"))
                    };
                    if l.kind() != ObjKind::List {
                        fault!(arith::operand_fault("list"))
                    }
                    // The loop's index starts at 0 and only grows, so `i` is never negative
                    // here; a failed conversion would end the loop like the end of the list.
                    match usize::try_from(i).ok().and_then(|i| l.list().get(i)) {
                        Some(v) => {
                            let (d, s) = (reg_ptr!(dst), v as *const Value);
                            // SAFETY: `d` is a register of the running frame (`reg_ptr!`) and
                            // `s` an element of a live list, which no other code touches
                            // during this copy.
                            unsafe { Value::copy_words(d, s) };
                        }
                        None => jump_to!(target),
                    }
                }
                Instr::ForSplit { dst, state, target } => {
                    // The three state registers lie in the frame (V1: a range operand).
                    let (text, sep, pos) = (reg!(state), reg!(state + 1), reg!(state + 2));
                    match check!(natives::string::split_next(&mut self.heap, text, sep, pos)) {
                        Some((piece, next)) => {
                            reg!(dst) = Value::Obj(piece);
                            reg!(state + 2) = Value::Int(next);
                        }
                        None => jump_to!(target),
                    }
                }
                Instr::ForListNext {
                    dst,
                    list,
                    index,
                    target,
                } => {
                    let (Value::Obj(l), Value::Int(i)) = (reg!(list), reg!(index)) else {
                        fault!(arith::operand_fault("list"))
                    };
                    if l.kind() != ObjKind::List {
                        fault!(arith::operand_fault("list"))
                    }
                    let Some(i) = i.checked_add(1) else {
                        fault!(Fault::msg("integer overflow"))
                    };
                    reg!(index) = Value::Int(i);
                    // As `for_list`: the index only grows from 0, and a failed conversion
                    // ends the loop like the end of the list.
                    if let Some(v) = usize::try_from(i).ok().and_then(|i| l.list().get(i)) {
                        let (d, s) = (reg_ptr!(dst), v as *const Value);
                        // SAFETY: as for `for_list`: `d` is a register of the running frame
                        // and `s` an element of a live list, untouched during this copy.
                        unsafe { Value::copy_words(d, s) };
                        jump_to!(target);
                    }
                }
                Instr::ListSet { list, index, src } => {
                    let (Value::Obj(l), Value::Int(i)) = (reg!(list), reg!(index)) else {
                        fault!(arith::operand_fault("list"))
                    };
                    if l.kind() != ObjKind::List {
                        fault!(arith::operand_fault("list"))
                    }
                    // SAFETY: the only borrow of the list's body while the store runs, as
                    // for `set_field` (I5, I7).
                    let items = unsafe { l.list_mut() };
                    let len = items.len();
                    let Some(slot) = natives::list::list_index(i, len).map(|j| &mut items[j])
                    else {
                        fault!(natives::list::index_error(i, len))
                    };
                    store_moved!(l, slot, src);
                }
                Instr::Unwrap { dst, src, expr } => {
                    let v = reg!(src);
                    if v.is_none() {
                        fault!(self.unwrap_of_none(expr));
                    }
                    reg!(dst) = v;
                }
                Instr::CallNative {
                    dst,
                    native,
                    args,
                    argc,
                } => {
                    // The natives every list loop runs (a list's length, a push) and the
                    // string queries every word of a text loop asks, handled here without
                    // building a `NativeCx` or going through `natives::call`'s dispatch.
                    // Anything unusual (an operand of another kind) takes the general path
                    // below. (Tests of the tag, not a `match` on the native: that costs the
                    // whole loop more than it saves here.)
                    if native == Native::ListLen && argc == 1 {
                        if let Value::Obj(l) = reg!(args) {
                            if l.kind() == ObjKind::List {
                                reg!(dst) = Value::Int(l.list().len() as i64);
                                continue;
                            }
                        }
                    } else if natives::string::is_query(native) && argc >= 1 {
                        // The operand registers read are the instruction's own (V1).
                        let a1 = if argc >= 2 {
                            reg!(args + 1)
                        } else {
                            Value::None
                        };
                        if let Some(v) = natives::string::query(native, argc, reg!(args), a1) {
                            reg!(dst) = v;
                            continue;
                        }
                    } else if native == Native::ListPush && argc == 2 {
                        if let Value::Obj(l) = reg!(args) {
                            if l.kind() == ObjKind::List {
                                // On failure the register still owns the element and the
                                // error exit releases it, as on the general path.
                                check!(self.heap.list_push(l, reg!(args + 1)));
                                reg!(args + 1) = Value::None;
                                reg!(dst) = Value::None;
                                continue;
                            }
                        }
                    }
                    let from = base + args as usize;
                    let to = from + argc as usize;
                    if to > self.stack.len() {
                        fault!(Fault::msg("internal error: native operands out of frame"));
                    }
                    let facts = native.call_facts();
                    let result = if facts.needs_vm {
                        // Its registry row says it runs destructors or other frames
                        // (`needs_vm`): the VM runs it (`rare.rs`), with pc saved for traces.
                        self.frames[fi].pc = pc;
                        self.vm_native(native, from, to)?
                    } else {
                        let mut cx = NativeCx {
                            heap: &mut self.heap,
                            module,
                            out: &mut self.out,
                            args: &self.args,
                            argv: &mut self.argv,
                        };
                        check!(natives::call(&mut cx, native, &self.stack[from..to]))
                    };
                    let taken = facts.consumed_mask;
                    if taken != 0 {
                        for i in 0..argc as usize {
                            let consumed = if i < 32 {
                                taken & (1 << i) != 0
                            } else {
                                native.consumes(i)
                            };
                            if consumed {
                                self.stack[from + i] = Value::None;
                            }
                        }
                    }
                    sync!();
                    reg!(dst) = result;
                    drain!();
                }
            }
        }
    }
}
