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
//!
//! Every instruction is declared once, in the `instructions!` table below: its operands and
//! their roles, its branch target, and what else it may do ([`Facts`]). The optimisers, the
//! RC pass, the printer and the VM's verifier read those facts from it instead of each
//! keeping its own list (docs/decisions.md, "The instruction table").

use crate::native::Native;
use stark_syntax::ast::ParamMode;
use stark_syntax::Span;

pub type Reg = u16;
pub type FuncId = u32;
pub type TypeId = u32;
pub type Label = u32;

/// The most parts of a tuple a function returns as values (`ret_multi`); a larger tuple is
/// returned as one object.
pub const MAX_RET_PARTS: usize = 8;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CmpOp {
    #[default]
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

/// How an instruction uses a register operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Written, not read.
    Def,
    /// Read as a plain value (a scalar or a view); another register holding the same bits
    /// may be read instead.
    Read,
    /// Read, then overwritten with a new value (a loop counter's step), or left as it was
    /// (`for_list`'s element when the loop ends): never a kill for liveness.
    Update,
    /// Read for its identity: ownership is taken over or released through this register
    /// (`move`, `ret`, stores, `decref`/`drop`, a consumed `concat` operand; `clears`: the
    /// register is left `None`) or its count changes (`incref`). Never substituted.
    Owner { clears: bool },
    /// The first of `n` contiguous operands (calls, constructors, natives); the callee may
    /// take them over, so they count as read and written.
    Range(u32),
}

/// What executing an instruction may do besides reading and writing its register operands
/// (those are its [`Role`]s). Every field is a "may": `false` is a promise the optimisers
/// rely on, `true` only a possibility.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facts {
    /// Raises a runtime error on some well-typed operands (overflow, a bad index, `None`).
    /// Running out of memory is not counted: every allocation may.
    pub fail: bool,
    /// Releases a reference: may free objects and run destructors (STARK code).
    pub release: bool,
    /// Reads the contents of a heap object (a field, an element, a string's text).
    pub reads_heap: bool,
    /// Stores into a heap object that existed before the instruction.
    pub writes_heap: bool,
    /// Allocates (a new string, list, map or struct; a string constant on first use).
    pub allocates: bool,
    /// Runs other code: a STARK function or a built-in.
    pub call: bool,
    /// Polls the collector every time it runs, as a call does (destructors of cyclic
    /// garbage may run there). Independently of this, every branch polls when it is taken
    /// backward: see [`Instr::polls_collector`].
    pub safepoint: bool,
    /// Never falls through to the next instruction: it goes to its target.
    pub jump: bool,
    /// Never falls through: it leaves the function.
    pub returns: bool,
}

impl Facts {
    /// An instruction that only reads and writes its registers.
    pub const NONE: Facts = Facts {
        fail: false,
        release: false,
        reads_heap: false,
        writes_heap: false,
        allocates: false,
        call: false,
        safepoint: false,
        jump: false,
        returns: false,
    };
}

/// The type of a field from its table spec: the role keywords and `target` fix it.
macro_rules! field_ty {
    (def) => {
        Reg
    };
    (read) => {
        Reg
    };
    (update) => {
        Reg
    };
    (retain) => {
        Reg
    };
    (consume) => {
        Reg
    };
    ((range $($e:tt)*)) => {
        Reg
    };
    ((role $($e:tt)*)) => {
        Reg
    };
    (target) => {
        Label
    };
    ($t:ty) => {
        $t
    };
}

/// The role of a register field, as an expression over the instruction's fields (bound by
/// value); nothing for the rest. `$on` is `reads` (every role but `Def`) or `defs`, so that
/// visitors see the reads before the writes.
macro_rules! field_visit {
    (reads $f:ident $x:ident read) => {
        $f($x, Role::Read)
    };
    (reads $f:ident $x:ident update) => {
        $f($x, Role::Update)
    };
    (reads $f:ident $x:ident retain) => {
        $f($x, Role::Owner { clears: false })
    };
    (reads $f:ident $x:ident consume) => {
        $f($x, Role::Owner { clears: true })
    };
    (reads $f:ident $x:ident (range $e:expr)) => {
        $f($x, Role::Range(u32::from($e)))
    };
    (reads $f:ident $x:ident (role $e:expr)) => {
        $f($x, $e)
    };
    (defs $f:ident $x:ident def) => {
        $f($x, Role::Def)
    };
    ($on:ident $f:ident $x:ident $other:tt) => {};
}

/// A field mapped by `map_operands`: registers through `$f` with their role, the rest as
/// they are.
macro_rules! field_map {
    ($f:ident $x:ident def) => {
        $f($x, Role::Def)
    };
    ($f:ident $x:ident read) => {
        $f($x, Role::Read)
    };
    ($f:ident $x:ident update) => {
        $f($x, Role::Update)
    };
    ($f:ident $x:ident retain) => {
        $f($x, Role::Owner { clears: false })
    };
    ($f:ident $x:ident consume) => {
        $f($x, Role::Owner { clears: true })
    };
    ($f:ident $x:ident (range $e:expr)) => {
        $f($x, Role::Range(u32::from($e)))
    };
    ($f:ident $x:ident (role $e:expr)) => {
        $f($x, $e)
    };
    ($f:ident $x:ident $other:tt) => {
        $x
    };
}

macro_rules! field_target {
    ($x:ident target) => {
        return Some($x)
    };
    ($x:ident $other:tt) => {};
}

macro_rules! fact_value {
    () => {
        true
    };
    ($e:expr) => {
        $e
    };
}

/// The instruction table: each instruction once, with its mnemonic, its fields and their
/// specs, and its [`Facts`]. A field spec is a role keyword for a register — `def`, `read`,
/// `update`, `retain` (`Owner`, not cleared), `consume` (`Owner`, cleared), `(range N)`
/// (`Range(N)`, N an expression over the fields), `(role R)` (any role expression) — or
/// `target` for a branch target, or the type of an immediate. Facts are `name` (true) or
/// `name = expression over the fields`. The expansion is the `Instr` enum (the fields in the
/// order written: the layout the dispatch loop is tuned for) and the accessors that every
/// pass, the verifier and the printer read those facts through.
macro_rules! instructions {
    ($(
        $(#[$doc:meta])*
        $name:ident $mnemonic:literal $({ $($field:ident : $spec:tt),* $(,)? })?
            [$($fact:ident $(= $value:expr)?),* $(,)?];
    )*) => {
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub enum Instr {
            $(
                $(#[$doc])*
                $name $({ $($field: field_ty!($spec)),* })?,
            )*
        }

        impl Instr {
            /// The name `stark ir` prints; `{op}` stands for the comparison's name.
            pub fn mnemonic(&self) -> &'static str {
                match self {
                    $(Instr::$name { .. } => $mnemonic,)*
                }
            }

            /// Calls `f` on every register operand with its role: every read (and update,
            /// owner, range) first, then the registers written.
            #[allow(unused_variables)]
            pub fn visit_operands(&self, mut f: impl FnMut(Reg, Role)) {
                match *self {
                    $(Instr::$name $({ $($field),* })? => {
                        $($(field_visit!(reads f $field $spec);)*)?
                        $($(field_visit!(defs f $field $spec);)*)?
                    })*
                }
            }

            /// This instruction with every register operand replaced by `f(register, role)`.
            #[allow(unused_variables)]
            pub fn map_operands(self, mut f: impl FnMut(Reg, Role) -> Reg) -> Instr {
                match self {
                    $(Instr::$name $({ $($field),* })? => Instr::$name $({
                        $($field: field_map!(f $field $spec)),*
                    })?,)*
                }
            }

            /// The jump target of a branch instruction, mutably; `None` for every other
            /// instruction.
            #[allow(unused_variables, unreachable_code)]
            pub fn target_mut(&mut self) -> Option<&mut Label> {
                match self {
                    $(Instr::$name $({ $($field),* })? => {
                        $($(field_target!($field $spec);)*)?
                        None
                    })*
                }
            }

            /// The jump target of a branch instruction, if this is one.
            #[allow(unused_variables, unreachable_code)]
            pub fn target(&self) -> Option<Label> {
                match *self {
                    $(Instr::$name $({ $($field),* })? => {
                        $($(field_target!($field $spec);)*)?
                        None
                    })*
                }
            }

            /// What the instruction may do besides its register operands.
            #[allow(unused_variables)]
            pub fn facts(&self) -> Facts {
                match *self {
                    $(Instr::$name $({ $($field),* })? => Facts {
                        $($fact: fact_value!($($value)?),)*
                        ..Facts::NONE
                    },)*
                }
            }

            /// One instruction of every kind, its fields zero or default: for tests that
            /// must cover the whole instruction set.
            pub fn every_kind() -> Vec<Instr> {
                vec![$(Instr::$name $({ $($field: Default::default()),* })?,)*]
            }
        }
    };
}

/// The role of a `concat` operand: consumed when its `take` bit is set.
fn taken(take: u8, bit: u8) -> Role {
    match take & bit {
        0 => Role::Read,
        _ => Role::Owner { clears: true },
    }
}

instructions! {
    // ---- loads ----
    LoadInt "load_int" { dst: def, value: i64 } [];
    /// `dst` = the Int id of function `func`: field 0 of a closure (SPEC §7). Not a
    /// `LoadInt`, so that a module's function ids can be renumbered (`link`): the one
    /// place an id is data rather than an operand names itself.
    LoadFunc "load_func" { dst: def, func: FuncId } [];
    LoadFloat "load_float" { dst: def, value: f64 } [];
    LoadBool "load_bool" { dst: def, value: bool } [];
    LoadNone "load_none" { dst: def } [];
    /// `dst` = a view of the program's constant string `module.strings[konst]` (allocated
    /// once per run and owned by the VM's constant table; strings are immutable). Constants
    /// are immortal for the run: storing one needs no `Incref`, and a release of an
    /// uncounted one only restores the table's count.
    LoadStr "load_str" { dst: def, konst: u32 } [allocates];

    // ---- register transfer ----
    /// `dst = src` with no refcount change: scalars, or making a view.
    Copy "copy" { dst: def, src: read } [];
    /// Ownership transfer: `dst = src; src = None`.
    Move "move" { dst: def, src: consume } [];

    // ---- reference counting (M12) ----
    /// +1 strong count; no-op on a non-object.
    Incref "incref" { reg: retain } [];
    /// Releases a temporary's reference (freeing at zero, M3), then `reg = None`.
    Decref "decref" { reg: consume } [release];
    /// Releases an owning binding leaving scope, then `reg = None`. No-op on `None`, which is
    /// what a binding moved out of holds.
    Drop "drop" { reg: consume } [release];

    // ---- typed arithmetic: Int (overflow and division by zero are runtime errors) ----
    IAdd "iadd" { dst: def, a: read, b: read } [fail];
    ISub "isub" { dst: def, a: read, b: read } [fail];
    IMul "imul" { dst: def, a: read, b: read } [fail];
    /// Truncates toward zero (as Rust).
    IDiv "idiv" { dst: def, a: read, b: read } [fail];
    /// Takes the dividend's sign (as Rust's `%`).
    IMod "imod" { dst: def, a: read, b: read } [fail];
    /// Negative exponent is a runtime error.
    IPow "ipow" { dst: def, a: read, b: read } [fail];
    INeg "ineg" { dst: def, src: read } [fail];
    ICmp "icmp.{op}" { op: CmpOp, dst: def, a: read, b: read } [];
    /// `dst = a + imm`, overflow a runtime error: lowering's form of `x + 1`, `1 + x` and
    /// `x - 1` (as `x + -1`) on Ints, which saves a `LoadInt` and a register.
    IAddImm "iadd_imm" { dst: def, a: read, imm: i32 } [fail];
    /// `dst = a * imm`, overflow a runtime error (the optimiser's form of `x * 2`).
    IMulImm "imul_imm" { dst: def, a: read, imm: i32 } [fail];
    /// `dst = a / imm` truncating toward zero; `imm` is never 0 (the optimiser folds only
    /// non-zero divisors, so division by zero stays `IDiv`'s error).
    IDivImm "idiv_imm" { dst: def, a: read, imm: i32 } [fail];
    /// `dst = a % imm` (the dividend's sign); `imm` is never 0, so it cannot fail.
    IModImm "imod_imm" { dst: def, a: read, imm: i32 } [];
    // ---- typed arithmetic: Float (IEEE, never an error) ----
    FAdd "fadd" { dst: def, a: read, b: read } [];
    FSub "fsub" { dst: def, a: read, b: read } [];
    FMul "fmul" { dst: def, a: read, b: read } [];
    FDiv "fdiv" { dst: def, a: read, b: read } [];
    /// Python's float `%` (result takes the divisor's sign).
    FMod "fmod" { dst: def, a: read, b: read } [];
    FPow "fpow" { dst: def, a: read, b: read } [];
    FNeg "fneg" { dst: def, src: read } [];
    FCmp "fcmp.{op}" { op: CmpOp, dst: def, a: read, b: read } [];
    /// `dst = acc + a * b`, rounded after the product and after the sum exactly as the
    /// `fmul` + `fadd` pair it replaces (not a fused multiply-add).
    FMulAdd "fmul_add" { dst: def, acc: read, a: read, b: read } [];
    /// `dst = acc - a * b`, rounded as the `fmul` + `fsub` pair it replaces.
    FMulSub "fmul_sub" { dst: def, acc: read, a: read, b: read } [];
    /// `obj.field = obj.field + a * b` on a Float field, rounded as `fmul` + `fadd`: the
    /// optimiser's form of `get_field` + `fmul_add` + `set_field` (`p.x += dt * p.vx`).
    /// A Float field holds no reference, so the store releases nothing.
    FieldFMulAdd "field_fmul_add" { obj: read, field: u16, a: read, b: read }
        [reads_heap, writes_heap];
    /// `obj.field = obj.field - a * b` on a Float field.
    FieldFMulSub "field_fmul_sub" { obj: read, field: u16, a: read, b: read }
        [reads_heap, writes_heap];
    /// `dst = a.fa - b.fb` on Float fields: the optimiser's form of `get_field` +
    /// `get_field` + `fsub` (`p.x - q.x`), one dispatch instead of three.
    FieldFSub "field_fsub" { dst: def, a: read, fa: u16, b: read, fb: u16 } [reads_heap];
    /// `dst = obj.field * b` on a Float field: `get_field` + `fmul` (`p.mass * m`).
    FieldFMul "field_fmul" { dst: def, obj: read, field: u16, b: read } [reads_heap];
    /// Int -> Float (for mixed arithmetic).
    IToF "itof" { dst: def, src: read } [];
    Not "not" { dst: def, src: read } [];
    /// Bool equality.
    BCmp "bcmp.{op}" { op: CmpOp, dst: def, a: read, b: read } [];
    // ---- strings ----
    /// New string `a + b`. `take` (`TAKE_A | TAKE_B`) says which operands the instruction
    /// consumes (bit 0: `a`, bit 1: `b`; a consumed register is left `None`): `rc_opt` folds
    /// a release of a dead operand into the concatenation, which then appends to (or
    /// prepends onto) a uniquely owned operand's buffer instead of allocating a new string.
    /// Other operands are views.
    Concat "concat" {
        dst: def,
        a: (role taken(take, TAKE_A)),
        b: (role taken(take, TAKE_B)),
        take: u8,
    } [reads_heap, allocates, release = take != 0];
    /// Lexicographic comparison of two strings.
    SCmp "scmp.{op}" { op: CmpOp, dst: def, a: read, b: read } [reads_heap];
    /// Structural equality of any two values of the same static type (lists, maps, structs
    /// compared field by field; `None` equals only `None`). `negate` gives `!=`.
    Equal "equal" { dst: def, a: read, b: read, negate: bool } [reads_heap];
    /// `dst = (src is None)`.
    IsNone "is_none" { dst: def, src: read } [];
    /// `dst = len(s)` of a String (in code points): the `str.len` native as an instruction
    /// of its own, which the optimiser substitutes for the call (a text loop asks it of
    /// every word; docs/decisions.md, "The instruction table"). Like `concat`, a wrong kind
    /// is an internal error, not a runtime error of a well-typed program.
    StrLen "str_len" { dst: def, s: read } [reads_heap];
    /// `dst = s.startswith(prefix)`, the `str.startswith` native as an instruction.
    StrStartsWith "str_startswith" { dst: def, s: read, prefix: read } [reads_heap];
    /// `dst = s.endswith(suffix)`, the `str.endswith` native as an instruction.
    StrEndsWith "str_endswith" { dst: def, s: read, suffix: read } [reads_heap];
    /// `dst = s.isdigit()`, the `str.isdigit` native as an instruction.
    StrIsDigit "str_isdigit" { dst: def, s: read } [reads_heap];

    // ---- control (every branch polls the collector when taken backward) ----
    Jump "jump" { target: target } [jump];
    JumpIf "jump_if" { cond: read, target: target } [];
    JumpIfNot "jump_if_not" { cond: read, target: target } [];
    /// Fused Int compare-and-branch: jumps when `a op b` holds. Lowering emits it for Int
    /// comparisons that are `if`/`while` conditions (with `op` negated, to skip the body)
    /// and for the test of a `for … in range` loop.
    JumpICmp "jump_i{op}" { op: CmpOp, a: read, b: read, target: target } [];
    /// `JumpICmp` against an immediate: jumps when `a op imm` holds.
    JumpICmpImm "jump_i{op}" { op: CmpOp, a: read, imm: i32, target: target } [];
    /// A counted loop's step and test in one: `a = a + imm` (overflow a runtime error), then
    /// jumps when `a op b` holds. The optimiser's form of `iadd_imm` + `JumpICmp`.
    IncJumpICmp "inc_jump_i{op}" { op: CmpOp, a: update, imm: i16, b: read, target: target }
        [fail];
    /// The step and test of a `for … in range(a, b, step)` loop: `a = a + step`, then jumps
    /// when `a < end` (`step > 0`) or `a > end` (`step < 0`) holds. A sum past the Int range
    /// is past `end` too, so it ends the loop rather than failing: Python's `range(MAX - 1,
    /// MAX, 2)` yields one value.
    ForStep "for_step" { a: update, step: read, end: read, target: target } [];
    /// The head of a `for x in list` loop: jumps to `target` when `index` is past the end of
    /// `list`, and otherwise sets `dst` to a view of `list[index]`. `dst` keeps its old value
    /// on the jump, so the optimiser's tables treat it as updated, not just written. The
    /// optimiser's form of `list.len` + `icmp.lt` + `jump_if_not` + `list_get`.
    ForList "for_list" { dst: update, list: read, index: read, target: target } [reads_heap];
    /// The step of a `for x in list` loop whose head is a `for_list` at `target - 1`:
    /// `index = index + 1` (overflow a runtime error), then, when `index` is inside `list`,
    /// sets `dst` to a view of `list[index]` and jumps back to `target`, the body's first
    /// instruction; past the end it falls through, `dst` unchanged. The optimiser's form of
    /// the loop's `iadd_imm index, 1` + `jump` back to the head: one dispatch per iteration
    /// instead of three.
    ForListNext "for_list_next" { dst: update, list: read, index: update, target: target }
        [fail, reads_heap];
    /// The head of a `for x in s.split(sep)` loop, which builds no list: `state` is three
    /// registers, the text, the separator (`None`: runs of whitespace, as `split()`) and the
    /// byte position where the next piece starts (-1 once the last one is taken). Jumps to
    /// `target` when no piece is left (`dst` unchanged: `update`, as `for_list`'s);
    /// otherwise sets `dst` to a new String of the next piece, which the iteration owns, and
    /// the position past the piece and its separator. An empty separator is a runtime
    /// error, as `split` reports it.
    ForSplit "for_split" { dst: update, state: (range 3u8), target: target }
        [fail, reads_heap, allocates];
    /// `str_startswith` + `jump_if_not` on its dead result: jumps unless `s` starts with
    /// `prefix`.
    JumpUnlessStartsWith "jump_unless_startswith" { s: read, prefix: read, target: target }
        [reads_heap];
    /// `str_endswith` + `jump_if_not`: jumps unless `s` ends with `suffix`.
    JumpUnlessEndsWith "jump_unless_endswith" { s: read, suffix: read, target: target }
        [reads_heap];
    /// `str_isdigit` + `jump_if_not`: jumps unless `s` is all digits (and not empty).
    JumpUnlessIsDigit "jump_unless_isdigit" { s: read, target: target } [reads_heap];
    /// `IncJumpICmp` against an immediate bound: `a = a + imm`, then jumps when
    /// `a op limit` holds.
    IncJumpICmpImm "inc_jump_i{op}" {
        op: CmpOp,
        a: update,
        imm: i16,
        limit: i32,
        target: target,
    } [fail];
    /// Fused Float compare-and-branch: jumps unless `a op b` holds. Lowering emits it for
    /// Float comparisons that are `if`/`while` conditions; unlike `JumpICmp` it cannot take
    /// the negated comparison, since a NaN operand makes `<` and `>=` both false.
    JumpFCmpNot "jump_unless_f{op}" { op: CmpOp, a: read, b: read, target: target } [];
    /// A `match` on an enum (SPEC §6): jumps to `pc + 1 + k`, where `k` is the variant of
    /// the object in `src` (its type id minus `base`, the enum's first variant layout),
    /// clamped to `count - 1`. The `count` instructions after it are `case` jumps, one per
    /// variant: dispatch costs the same for every variant, however many arms come first.
    Switch "switch" { src: read, base: TypeId, count: u16 } [reads_heap, jump];
    /// One entry of the table after a `switch`: a jump that no pass may remove or merge
    /// with its neighbours, since its position is what the `switch` selects.
    Case "case" { target: target } [jump];
    /// Jumps unless the object in `src` is of struct type `ty` (an enum variant's layout):
    /// one test of a `case` pattern, of `?` and of the `Result` methods.
    JumpUnlessType "jump_unless_type" { src: read, ty: TypeId, target: target } [reads_heap];
    /// Calls `func` with arguments in registers `args .. args+argc`. For an owned parameter
    /// the callee takes over the argument register's reference; a borrowed one is a view.
    /// The result (owned) lands in `dst`. A call deeper than the VM's limit is the runtime
    /// error "stack overflow". Every call polls the collector.
    Call "call" { dst: def, func: FuncId, args: (range argc), argc: u16 }
        [fail, release, reads_heap, writes_heap, allocates, call, safepoint];
    /// Returns `src` (ownership passes to the caller).
    /// A call of a function that returns a tuple as `n` values (`ret_multi`): the callee
    /// writes them to `dst .. dst + n`, the caller owns each (SPEC §5: a tuple is a value,
    /// never a heap object, so `return lo, hi` allocates nothing).
    CallMulti "call_multi" {
        dst: (range u32::from(n)),
        n: u16,
        func: FuncId,
        args: (range argc),
        argc: u16,
    } [fail, release, reads_heap, writes_heap, allocates, call, safepoint];
    /// Calls a function value (SPEC §7): `args` holds the closure (a struct whose field 0
    /// is the function's id and whose other fields are its captures), which the callee
    /// borrows as its first parameter; the arguments after it are owned, as for `call`.
    CallValue "call_value" { dst: def, args: (range argc), argc: u16 }
        [fail, release, reads_heap, writes_heap, allocates, call, safepoint];
    Ret "ret" { src: consume } [returns];
    /// Returns the `n` values in `src .. src + n` to a `call_multi`'s registers, handing
    /// over their references.
    RetMulti "ret_multi" { src: (range u32::from(n)), n: u16 } [returns];
    RetNone "ret_none" [returns];

    // ---- structs ----
    /// New instance of `module.structs[ty]`, fields taken (moved) from `args .. args+argc`.
    /// `stack` marks an allocation escape analysis proved local (M9); `stark ir` prints it.
    /// A stack closure whose layout has `views` (`StructInfo::views`) takes views, not
    /// references: the registers are read, and the closure's release releases none of them.
    NewStruct "new_struct" { dst: def, ty: TypeId, args: (range argc), argc: u16, stack: bool }
        [allocates];
    /// `dst` = view of field `field` of `obj`.
    GetField "get_field" { dst: def, obj: read, field: u16 } [reads_heap];
    /// Stores `src` (moved) into field `field` of `obj`, releasing the old value.
    SetField "set_field" { obj: read, field: u16, src: consume } [writes_heap, release];

    // ---- lists and maps (the hot ones; the rest go through `CallNative`) ----
    /// New list of the `argc` values in `args ..` (moved in).
    NewList "new_list" { dst: def, args: (range argc), argc: u16 } [allocates];
    /// New map from `argc` key/value pairs in `args ..` (key, value, key, value, …; moved
    /// in): `2 * argc` registers. A key's String object is released once its text is in the
    /// key, and a repeated key releases the value it replaces.
    NewMap "new_map" { dst: def, args: (range u32::from(argc) * 2), argc: u16 }
        [allocates, release];
    /// `dst` = view of `list[index]`; out of range is a runtime error.
    ListGet "list_get" { dst: def, list: read, index: read } [fail, reads_heap];
    /// `list[index] = src` (moved in; old element released).
    ListSet "list_set" { list: read, index: read, src: consume }
        [fail, reads_heap, writes_heap, release];

    /// If `src` is `None`: runtime error "`{module.strings[expr]}` is None"; else `dst = src`
    /// (a view; no refcount change).
    Unwrap "unwrap" { dst: def, src: read, expr: u32 } [fail];
    /// Opens an `arena NAME:` block (M10): until the matching `ArenaExit`, heap values
    /// allocated by this frame come from one region, and `Incref`/`Decref`/`Drop` on them
    /// change no count. `name` indexes `module.strings`.
    ArenaEnter "arena_enter" { name: u32 } [writes_heap];
    /// Closes the innermost open arena: runs the destructors of its values in reverse
    /// allocation order, releases what they reference outside the arena, and frees the
    /// region at once. Lowering emits it on every path out of the block. A value of the
    /// arena still referenced from outside it is a runtime error.
    ArenaExit "arena_exit" [fail, release, writes_heap, call];
    /// Calls a built-in. Operands are views except those `native.consumes(i)` says are taken
    /// over. The result is owned.
    CallNative "call_native" { dst: def, native: Native, args: (range argc), argc: u16 }
        [fail, release = native.releases(), reads_heap, writes_heap, allocates, call];
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
    /// The slot of a generic function (SPEC §7): never called, its instances (`first<Int>`)
    /// are functions of their own; `stark ir` names it and prints no code.
    pub generic: bool,
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
    /// May raise a runtime error ([`Facts::fail`]).
    pub fn may_fail(&self) -> bool {
        self.facts().fail
    }

    /// May release a reference, so free objects and run destructors ([`Facts::release`]).
    pub fn may_release(&self) -> bool {
        self.facts().release
    }

    /// Whether control may go on to the next instruction.
    pub fn falls_through(&self) -> bool {
        let facts = self.facts();
        !facts.jump && !facts.returns
    }

    /// Whether this instruction, at index `pc`, is a collector safepoint when it runs: a
    /// call always; every branch whenever it is taken backward (to `pc` or before), so that
    /// a loop, whatever instruction closes it, polls once per iteration.
    pub fn polls_collector(&self, pc: usize) -> bool {
        self.facts().safepoint || self.target().is_some_and(|t| t as usize <= pc)
    }

    /// Where control can go after this instruction at index `pc`: its target (if it has
    /// one), then the next instruction (if it falls through; `pc + 1` may be the end of the
    /// code, where the function returns None).
    pub fn successors(&self, pc: usize) -> impl Iterator<Item = usize> {
        let next = self.falls_through().then_some(pc + 1);
        // A `switch` goes to one of the `case` entries right after it.
        let table = match *self {
            Instr::Switch { count, .. } => pc + 1..pc + 1 + usize::from(count),
            _ => 0..0,
        };
        self.target()
            .map(|t| t as usize)
            .into_iter()
            .chain(next)
            .chain(table)
    }

    /// Whether `r` is one of this instruction's register operands (in a range or not).
    pub fn touches(&self, r: Reg) -> bool {
        let mut hit = false;
        self.visit_operands(|x, role| {
            hit |= match role {
                Role::Range(n) => r >= x && (r as u32) < x as u32 + n,
                _ => x == r,
            }
        });
        hit
    }

    /// Registers the instruction reads and registers it (may) write, as the optimisers'
    /// dataflow sees them: an update, a consumed or released owner, and a range the callee
    /// may take over are both.
    pub fn uses_defs(&self, uses: &mut Vec<Reg>, defs: &mut Vec<Reg>) {
        uses.clear();
        defs.clear();
        self.visit_operands(|r, role| match role {
            Role::Def => defs.push(r),
            Role::Read | Role::Owner { clears: false } => uses.push(r),
            Role::Owner { clears: true } | Role::Update => {
                uses.push(r);
                defs.push(r);
            }
            Role::Range(n) => {
                let range = (0..n).filter_map(|i| Reg::try_from(r as u32 + i).ok());
                uses.extend(range.clone());
                defs.extend(range);
            }
        });
    }

    /// The registers of [`Instr::uses_defs`]'s `defs` alone.
    pub fn defs(&self, out: &mut Vec<Reg>) {
        out.clear();
        self.visit_operands(|r, role| match role {
            Role::Read | Role::Owner { clears: false } => {}
            Role::Def | Role::Owner { clears: true } | Role::Update => out.push(r),
            Role::Range(n) => out.extend((0..n).filter_map(|i| Reg::try_from(r as u32 + i).ok())),
        });
    }

    /// Only plain register reads and writes: no owner, update or range operand.
    pub fn plain_operands(&self) -> bool {
        let mut plain = true;
        self.visit_operands(|_, role| plain &= matches!(role, Role::Read | Role::Def));
        plain
    }

    /// Whether this is a branch or leaves the function: it ends a straight-line stretch.
    pub fn is_control(&self) -> bool {
        self.target().is_some() || !self.falls_through()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_map_uses_two_registers_per_pair() {
        let instr = Instr::NewMap {
            dst: 0,
            args: 1,
            argc: 2,
        };
        let (mut uses, mut defs) = (Vec::new(), Vec::new());
        instr.uses_defs(&mut uses, &mut defs);
        assert_eq!(uses, [1, 2, 3, 4]);
        assert_eq!(defs, [1, 2, 3, 4, 0]);
        assert!(instr.touches(4) && !instr.touches(5));
    }

    #[test]
    fn every_branch_polls_the_collector_when_taken_backward() {
        for mut instr in Instr::every_kind() {
            let Some(target) = instr.target_mut() else {
                continue;
            };
            *target = 5;
            assert!(instr.polls_collector(5), "{instr:?}");
            assert!(instr.polls_collector(9), "{instr:?}");
            assert!(!instr.polls_collector(4), "{instr:?}");
        }
        assert!(Instr::every_kind()
            .iter()
            .filter(|i| i.target().is_none())
            .all(|i| i.polls_collector(0)
                == matches!(
                    i,
                    Instr::Call { .. } | Instr::CallMulti { .. } | Instr::CallValue { .. }
                )));
    }

    #[test]
    fn successors_follow_the_table() {
        let next_and_target: Vec<usize> =
            Instr::JumpIf { cond: 0, target: 2 }.successors(7).collect();
        assert_eq!(next_and_target, [2, 8]);
        assert_eq!(
            Instr::Jump { target: 2 }.successors(7).collect::<Vec<_>>(),
            [2]
        );
        assert_eq!(Instr::Ret { src: 0 }.successors(7).count(), 0);
        assert_eq!(Instr::RetNone.successors(7).count(), 0);
        assert_eq!(
            Instr::IAdd { dst: 0, a: 1, b: 2 }
                .successors(7)
                .collect::<Vec<_>>(),
            [8]
        );
    }

    /// A `concat` operand is read, or consumed (and then written) when its `take` bit says.
    #[test]
    fn concat_roles_follow_take() {
        let roles = |take| {
            let mut out = Vec::new();
            Instr::Concat {
                dst: 0,
                a: 1,
                b: 2,
                take,
            }
            .visit_operands(|r, role| out.push((r, role)));
            out
        };
        let owner = Role::Owner { clears: true };
        assert_eq!(roles(0), [(1, Role::Read), (2, Role::Read), (0, Role::Def)]);
        assert_eq!(roles(TAKE_B), [(1, Role::Read), (2, owner), (0, Role::Def)]);
        assert!(!Instr::Concat {
            dst: 0,
            a: 1,
            b: 2,
            take: 0
        }
        .may_release());
        assert!(Instr::Concat {
            dst: 0,
            a: 1,
            b: 2,
            take: TAKE_A
        }
        .may_release());
    }

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
    /// The layout of an enum variant (SPEC §6): one without fields prints as its bare
    /// name (`Shape.Empty`), not `Shape.Empty()`.
    pub variant: bool,
    /// The closure of a lambda that borrows its captures (SPEC §7): always built `stack`,
    /// its fields are views of the creator's bindings, which outlive it, so releasing it
    /// gives none of them up (no `incref` at creation, no `decref` at release).
    pub views: bool,
}

/// Built-in struct types the runtime constructs itself; lowering registers them first, at
/// these indices, so `module.structs[MEMORY_STATS]` is `MemoryStats`.
pub mod builtin_types {
    use super::TypeId;
    pub const MEMORY_STATS: TypeId = 0;
    pub const ZONE_STATS: TypeId = 1;
    pub const TYPE_USAGE: TypeId = 2;
    /// Every tuple, whatever its arity (the object's field count is its arity).
    pub const TUPLE: TypeId = 3;
    /// `Ok(value)` and `Err(error)`, the variants of the built-in `Result` (SPEC §6).
    pub const RESULT_OK: TypeId = 4;
    pub const RESULT_ERR: TypeId = 5;
    pub const COUNT: usize = 6;
    pub const MEMORY_STATS_FIELDS: &[&str] = &[
        "total_bytes",
        "live_objects",
        "peak_bytes",
        "zones",
        "arena_bytes",
        "collections",
        "cycles_collected",
        "gc_pause_max_us",
        "gc_pause_p99_us",
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
    /// How the operands of f-strings with conversions or specs are written
    /// (`Native::FormatSpecs { fmt }`): for each, one entry per operand, plain where the
    /// operand is shown as `str()` shows it; a nested spec's fields follow its operand.
    pub formats: Vec<Vec<stark_syntax::FieldFormat>>,
    pub main: FuncId,
}

/// `Instr::Concat`'s `take` bits: the instruction consumes operand `a` / `b`.
pub const TAKE_A: u8 = 1;
pub const TAKE_B: u8 = 2;
