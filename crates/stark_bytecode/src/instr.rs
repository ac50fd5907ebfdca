//! The bytecode: a register machine whose instruction set makes every reference-count
//! operation explicit (M12). Types are static, so arithmetic is typed (`IAdd` is not `FAdd`).
//!
//! Ownership conventions (the contract between lowering and the VM):
//! - A register that holds a heap object either *owns* one strong reference to it (it will be
//!   released by exactly one `Decref`/`Drop`, or handed on by a `Move`, a consuming operand, or
//!   `Ret`) or is a *view* (a `Copy` of a register or a `GetField`/`ListGet` result) that is
//!   valid while its source is alive and is never released.
//! - Instructions that store a value (`SetField`, `ListSet`, `NewStruct`, `NewList`, `NewMap`,
//!   `Ret`, owned call arguments, consuming native operands) take over the reference held by
//!   the source register; lowering emits an `Incref` first when the source was only a view,
//!   except a string constant (`LoadStr`): the VM keeps constants immortal, so one is stored
//!   uncounted and releasing it later frees nothing.
//! - `Decref` and `Drop` release the reference and then set the register to `None`; on a
//!   register holding a non-object (`None`, an `Int`, …) they do nothing.

use crate::native::Native;
use stark_syntax::ast::ParamMode;
use stark_syntax::Span;

pub type Reg = u16;
pub type FuncId = u32;
pub type TypeId = u32;
pub type Label = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn name(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
        }
    }

    /// The comparison that holds exactly when this one does not (for totally ordered
    /// operands: Ints, not Floats, where NaN compares false both ways).
    pub fn negate(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Instr {
    // ---- loads ----
    LoadInt {
        dst: Reg,
        value: i64,
    },
    LoadFloat {
        dst: Reg,
        value: f64,
    },
    LoadBool {
        dst: Reg,
        value: bool,
    },
    LoadNone {
        dst: Reg,
    },
    /// `dst` = a view of the program's constant string `module.strings[konst]` (allocated
    /// once per run and owned by the VM's constant table; strings are immutable). Constants
    /// are immortal for the run: storing one needs no `Incref`, and a release of an
    /// uncounted one only restores the table's count.
    LoadStr {
        dst: Reg,
        konst: u32,
    },

    // ---- register transfer ----
    /// `dst = src` with no refcount change: scalars, or making a view.
    Copy {
        dst: Reg,
        src: Reg,
    },
    /// Ownership transfer: `dst = src; src = None`.
    Move {
        dst: Reg,
        src: Reg,
    },

    // ---- reference counting (M12) ----
    /// +1 strong count; no-op on a non-object.
    Incref {
        reg: Reg,
    },
    /// Releases a temporary's reference (freeing at zero, M3), then `reg = None`.
    Decref {
        reg: Reg,
    },
    /// Releases an owning binding leaving scope, then `reg = None`. No-op on `None`, which is
    /// what a binding moved out of holds.
    Drop {
        reg: Reg,
    },

    // ---- typed arithmetic: Int (overflow and division by zero are runtime errors) ----
    IAdd {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    ISub {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    IMul {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// Truncates toward zero (as Rust).
    IDiv {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// Takes the dividend's sign (as Rust's `%`).
    IMod {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// Negative exponent is a runtime error.
    IPow {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    INeg {
        dst: Reg,
        src: Reg,
    },
    ICmp {
        op: CmpOp,
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// `dst = a + imm`, overflow a runtime error: lowering's form of `x + 1`, `1 + x` and
    /// `x - 1` (as `x + -1`) on Ints, which saves a `LoadInt` and a register.
    IAddImm {
        dst: Reg,
        a: Reg,
        imm: i32,
    },
    /// `dst = a * imm`, overflow a runtime error (the optimiser's form of `x * 2`).
    IMulImm {
        dst: Reg,
        a: Reg,
        imm: i32,
    },
    /// `dst = a / imm` truncating toward zero; `imm` is never 0 (the optimiser folds only
    /// non-zero divisors, so division by zero stays `IDiv`'s error).
    IDivImm {
        dst: Reg,
        a: Reg,
        imm: i32,
    },
    /// `dst = a % imm` (the dividend's sign); `imm` is never 0.
    IModImm {
        dst: Reg,
        a: Reg,
        imm: i32,
    },
    // ---- typed arithmetic: Float (IEEE, never an error) ----
    FAdd {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FSub {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FMul {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FDiv {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// Python's float `%` (result takes the divisor's sign).
    FMod {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FPow {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FNeg {
        dst: Reg,
        src: Reg,
    },
    FCmp {
        op: CmpOp,
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// `dst = acc + a * b`, rounded after the product and after the sum exactly as the
    /// `fmul` + `fadd` pair it replaces (not a fused multiply-add).
    FMulAdd {
        dst: Reg,
        acc: Reg,
        a: Reg,
        b: Reg,
    },
    /// `dst = acc - a * b`, rounded as the `fmul` + `fsub` pair it replaces.
    FMulSub {
        dst: Reg,
        acc: Reg,
        a: Reg,
        b: Reg,
    },
    /// `obj.field = obj.field + a * b` on a Float field, rounded as `fmul` + `fadd`: the
    /// optimiser's form of `get_field` + `fmul_add` + `set_field` (`p.x += dt * p.vx`).
    FieldFMulAdd {
        obj: Reg,
        field: u16,
        a: Reg,
        b: Reg,
    },
    /// `obj.field = obj.field - a * b` on a Float field.
    FieldFMulSub {
        obj: Reg,
        field: u16,
        a: Reg,
        b: Reg,
    },
    /// `dst = a.fa - b.fb` on Float fields: the optimiser's form of `get_field` +
    /// `get_field` + `fsub` (`p.x - q.x`), one dispatch instead of three.
    FieldFSub {
        dst: Reg,
        a: Reg,
        fa: u16,
        b: Reg,
        fb: u16,
    },
    /// `dst = obj.field * b` on a Float field: `get_field` + `fmul` (`p.mass * m`).
    FieldFMul {
        dst: Reg,
        obj: Reg,
        field: u16,
        b: Reg,
    },
    /// Int -> Float (for mixed arithmetic).
    IToF {
        dst: Reg,
        src: Reg,
    },
    Not {
        dst: Reg,
        src: Reg,
    },
    /// Bool equality.
    BCmp {
        op: CmpOp,
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    // ---- strings ----
    /// New string `a + b`. `take` (`TAKE_A | TAKE_B`) says which operands the instruction consumes (bit 0: `a`,
    /// bit 1: `b`; a consumed register is left `None`): `rc_opt` folds a release of a dead
    /// operand into the concatenation, which then appends to (or prepends onto) a uniquely
    /// owned operand's buffer instead of allocating a new string. Other operands are views.
    Concat {
        dst: Reg,
        a: Reg,
        b: Reg,
        take: u8,
    },
    /// Lexicographic comparison of two strings.
    SCmp {
        op: CmpOp,
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// Structural equality of any two values of the same static type (lists, maps, structs
    /// compared field by field; `None` equals only `None`). `negate` gives `!=`.
    Equal {
        dst: Reg,
        a: Reg,
        b: Reg,
        negate: bool,
    },
    /// `dst = (src is None)`.
    IsNone {
        dst: Reg,
        src: Reg,
    },

    // ---- control ----
    Jump {
        target: Label,
    },
    JumpIf {
        cond: Reg,
        target: Label,
    },
    JumpIfNot {
        cond: Reg,
        target: Label,
    },
    /// Fused Int compare-and-branch: jumps when `a op b` holds. Lowering emits it for Int
    /// comparisons that are `if`/`while` conditions (with `op` negated, to skip the body)
    /// and for the test of a `for … in range` loop. Like `Jump`, taken backward it is a
    /// collector safepoint.
    JumpICmp {
        op: CmpOp,
        a: Reg,
        b: Reg,
        target: Label,
    },
    /// `JumpICmp` against an immediate: jumps when `a op imm` holds.
    JumpICmpImm {
        op: CmpOp,
        a: Reg,
        imm: i32,
        target: Label,
    },
    /// A counted loop's step and test in one: `a = a + imm` (overflow a runtime error), then
    /// jumps when `a op b` holds. The optimiser's form of `iadd_imm` + `JumpICmp`.
    IncJumpICmp {
        op: CmpOp,
        a: Reg,
        imm: i16,
        b: Reg,
        target: Label,
    },
    /// The step and test of a `for … in range(a, b, step)` loop: `a = a + step`, then jumps
    /// when `a < end` (`step > 0`) or `a > end` (`step < 0`) holds. A sum past the Int range
    /// is past `end` too, so it ends the loop rather than failing: Python's `range(MAX - 1,
    /// MAX, 2)` yields one value. Like `Jump`, taken backward it is a collector safepoint.
    ForStep {
        a: Reg,
        step: Reg,
        end: Reg,
        target: Label,
    },
    /// The head of a `for x in list` loop: jumps to `target` when `index` is past the end of
    /// `list`, and otherwise sets `dst` to a view of `list[index]`. `dst` keeps its old value
    /// on the jump, so the optimiser's tables treat it as updated, not just written. The
    /// optimiser's form of `list.len` + `icmp.lt` + `jump_if_not` + `list_get`.
    ForList {
        dst: Reg,
        list: Reg,
        index: Reg,
        target: Label,
    },
    /// `IncJumpICmp` against an immediate bound: `a = a + imm`, then jumps when
    /// `a op limit` holds.
    IncJumpICmpImm {
        op: CmpOp,
        a: Reg,
        imm: i16,
        limit: i32,
        target: Label,
    },
    /// Fused Float compare-and-branch: jumps unless `a op b` holds. Lowering emits it for
    /// Float comparisons that are `if`/`while` conditions; unlike `JumpICmp` it cannot take
    /// the negated comparison, since a NaN operand makes `<` and `>=` both false.
    JumpFCmpNot {
        op: CmpOp,
        a: Reg,
        b: Reg,
        target: Label,
    },
    /// Calls `func` with arguments in registers `args .. args+argc`. For an owned parameter
    /// the callee takes over the argument register's reference; a borrowed one is a view.
    /// The result (owned) lands in `dst`. A call deeper than the VM's limit is the runtime
    /// error "stack overflow".
    Call {
        dst: Reg,
        func: FuncId,
        args: Reg,
        argc: u16,
    },
    /// Returns `src` (ownership passes to the caller).
    Ret {
        src: Reg,
    },
    RetNone,

    // ---- structs ----
    /// New instance of `module.structs[ty]`, fields taken (moved) from `args .. args+argc`.
    /// `stack` marks an allocation escape analysis proved local (M9); `stark ir` prints it.
    NewStruct {
        dst: Reg,
        ty: TypeId,
        args: Reg,
        argc: u16,
        stack: bool,
    },
    /// `dst` = view of field `field` of `obj`.
    GetField {
        dst: Reg,
        obj: Reg,
        field: u16,
    },
    /// Stores `src` (moved) into field `field` of `obj`, releasing the old value.
    SetField {
        obj: Reg,
        field: u16,
        src: Reg,
    },

    // ---- lists and maps (the hot ones; the rest go through `CallNative`) ----
    /// New list of the `argc` values in `args ..` (moved in).
    NewList {
        dst: Reg,
        args: Reg,
        argc: u16,
    },
    /// New map from `argc` key/value pairs in `args ..` (key, value, key, value, …; moved in).
    NewMap {
        dst: Reg,
        args: Reg,
        argc: u16,
    },
    /// `dst` = view of `list[index]`; out of range is a runtime error.
    ListGet {
        dst: Reg,
        list: Reg,
        index: Reg,
    },
    /// `list[index] = src` (moved in; old element released).
    ListSet {
        list: Reg,
        index: Reg,
        src: Reg,
    },

    /// If `src` is `None`: runtime error "`{module.strings[expr]}` is None"; else `dst = src`
    /// (a view; no refcount change).
    Unwrap {
        dst: Reg,
        src: Reg,
        expr: u32,
    },
    /// Opens an `arena NAME:` block (M10): until the matching `ArenaExit`, heap values
    /// allocated by this frame come from one region, and `Incref`/`Decref`/`Drop` on them
    /// change no count. `name` indexes `module.strings`.
    ArenaEnter {
        name: u32,
    },
    /// Closes the innermost open arena: runs the destructors of its values in reverse
    /// allocation order, releases what they reference outside the arena, and frees the
    /// region at once. Lowering emits it on every path out of the block.
    ArenaExit,
    /// Calls a built-in. Operands are views except those `native.consumes(i)` says are taken
    /// over. The result is owned.
    CallNative {
        dst: Reg,
        native: Native,
        args: Reg,
        argc: u16,
    },
}

/// One compiled function.
#[derive(Clone, Debug)]
pub struct Function {
    /// `main`, `check`, or `Node.area` for methods.
    pub name: String,
    pub param_modes: Vec<ParamMode>,
    /// Registers used; parameters occupy `0 .. param_modes.len()`.
    pub num_regs: u16,
    pub code: Vec<Instr>,
    /// `spans[i]` is the source span of `code[i]`, for runtime errors and stack traces.
    pub spans: Vec<Span>,
    /// Name of the binding a register holds, where it holds one (for `stark ir`).
    pub reg_names: Vec<Option<String>>,
    pub span: Span,
    /// Calls the optimiser replaced by the callee's body (`opt::inline`), so that a runtime
    /// error inside one still shows the callee's frame in the stack trace.
    pub inlined: Vec<InlineSite>,
}

/// The instructions `start .. end` of a function are the inlined body of `callee`, called
/// at `call_span`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InlineSite {
    pub start: u32,
    pub end: u32,
    pub callee: FuncId,
    pub call_span: Span,
}

impl Function {
    pub fn arity(&self) -> usize {
        self.param_modes.len()
    }

    /// The inlined call instruction `pc` belongs to, if any.
    pub fn inline_site(&self, pc: usize) -> Option<&InlineSite> {
        self.inlined
            .iter()
            .find(|s| (s.start as usize) <= pc && pc < s.end as usize)
    }

    /// Deletes the instructions marked in `dead`, renumbering jump targets and inline sites.
    pub fn remove_instrs(&mut self, dead: &[bool]) {
        if !dead.iter().any(|d| *d) {
            return;
        }
        let n = self.code.len();
        let mut new_index = vec![0u32; n + 1];
        let mut k = 0u32;
        for i in 0..=n {
            new_index[i] = k;
            if i < n && !dead[i] {
                k += 1;
            }
        }
        let mut code = Vec::with_capacity(k as usize);
        let mut spans = Vec::with_capacity(k as usize);
        for (i, &is_dead) in dead.iter().enumerate() {
            if is_dead {
                continue;
            }
            let mut instr = self.code[i];
            if let Some(target) = instr.target_mut() {
                *target = new_index[*target as usize];
            }
            code.push(instr);
            spans.push(self.spans[i]);
        }
        self.code = code;
        self.spans = spans;
        for site in &mut self.inlined {
            site.start = new_index[site.start as usize];
            site.end = new_index[site.end as usize];
        }
        self.inlined.retain(|s| s.start < s.end);
    }
}

impl Instr {
    /// The jump target of a branch instruction (`Jump`, `JumpIf`, `JumpIfNot`, `JumpICmp`,
    /// `JumpICmpImm`, `JumpFCmpNot`, `IncJumpICmp`, `IncJumpICmpImm`, `ForStep`, `ForList`),
    /// mutably; `None` for every other instruction.
    pub fn target_mut(&mut self) -> Option<&mut Label> {
        match self {
            Instr::Jump { target }
            | Instr::JumpIf { target, .. }
            | Instr::JumpIfNot { target, .. }
            | Instr::JumpICmp { target, .. }
            | Instr::JumpICmpImm { target, .. }
            | Instr::JumpFCmpNot { target, .. }
            | Instr::IncJumpICmp { target, .. }
            | Instr::IncJumpICmpImm { target, .. }
            | Instr::ForStep { target, .. }
            | Instr::ForList { target, .. } => Some(target),
            _ => None,
        }
    }

    /// The jump target of a branch instruction, if this is one.
    pub fn target(&self) -> Option<Label> {
        let mut copy = *self;
        copy.target_mut().map(|t| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dispatch loop copies an instruction per step: keep them two words at most.
    #[test]
    fn instr_is_at_most_16_bytes() {
        assert!(
            std::mem::size_of::<Instr>() <= 16,
            "{}",
            std::mem::size_of::<Instr>()
        );
    }
}

#[derive(Clone, Debug)]
pub struct StructInfo {
    pub name: String,
    pub fields: Vec<String>,
    /// The `@destructor fn drop(&mutable self)` method, run when an instance is freed.
    pub destructor: Option<FuncId>,
}

/// Built-in struct types the runtime constructs itself; lowering registers them first, at
/// these indices, so `module.structs[MEMORY_STATS]` is `MemoryStats`.
pub mod builtin_types {
    use super::TypeId;
    pub const MEMORY_STATS: TypeId = 0;
    pub const ZONE_STATS: TypeId = 1;
    pub const TYPE_USAGE: TypeId = 2;
    pub const COUNT: usize = 3;
    pub const MEMORY_STATS_FIELDS: &[&str] = &[
        "total_bytes",
        "live_objects",
        "peak_bytes",
        "zones",
        "arena_bytes",
        "collections",
        "cycles_collected",
        "gc_pause_max_us",
        "tensor_pool_bytes",
    ];
    pub const ZONE_STATS_FIELDS: &[&str] = &[
        "live_bytes",
        "live_objects",
        "allocations",
        "deallocations",
        "peak_bytes",
        "alloc_rate",
        "dealloc_rate",
    ];
    pub const TYPE_USAGE_FIELDS: &[&str] = &["count", "bytes"];
}

#[derive(Clone, Debug)]
pub struct Module {
    pub functions: Vec<Function>,
    pub structs: Vec<StructInfo>,
    /// String constants (`LoadStr`) and expression texts (`Unwrap`).
    pub strings: Vec<String>,
    pub main: FuncId,
}

/// `Instr::Concat`'s `take` bits: the instruction consumes operand `a` / `b`.
pub const TAKE_A: u8 = 1;
pub const TAKE_B: u8 = 2;
