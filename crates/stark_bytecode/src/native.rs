//! Built-in operations called through `Instr::CallNative`. The type checker has already
//! resolved which one applies (so `len` on a String is `StrLen`, on a List `ListLen`).
//! Arguments are views unless `consumes` says the native takes the reference over.

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Native {
    // ---- free functions ----
    /// `print(a, b, …)`: any values, separated by one space, then a newline (SPEC §4).
    #[default]
    Print,
    /// `str(x)` for any x: the text `print` would show.
    ToStr,
    /// f-strings: concatenates `str()` of every operand (strings as they are) into a new
    /// String.
    Format,
    /// `print(f"…")`: prints what `Format` would build, then a newline, without building it.
    PrintFormat,
    /// `int(s: String) -> Int`; "abc" is a runtime error naming the text.
    ParseInt,
    /// `int(f: Float) -> Int` truncating; NaN/inf/out of range are runtime errors.
    FloatToInt,
    /// `float(s: String) -> Float`.
    ParseFloat,
    /// `assert(cond: Bool, message: String)`: false is "assertion failed: message".
    Assert,
    /// `args() -> List<String>`: a new list, owned by the caller.
    Args,
    /// `args()` where the compiler proved the list is only read (`len(args())`,
    /// `args()[i]`, `for a in args()`, an immutable binding never moved or cloned): a view
    /// of the VM's one argument list, which is immortal like a string constant, so the call
    /// allocates nothing and its result needs no release.
    ArgsView,
    /// `exit(code: Int)`: flushes output and ends the program with that status.
    Exit,
    /// `range(start, end, step) -> List<Int>` (outside `for`, which lowers to a counter loop).
    RangeList,

    // ---- String ----
    StrLen,
    /// `s.split(sep) -> List<String>`.
    StrSplit,
    StrContains,
    StrUpper,
    StrLower,
    StrTrim,

    // ---- List<T> ----
    /// `l.push(v)`; consumes `v`.
    ListPush,
    /// `l.pop() -> T`; empty list is a runtime error.
    ListPop,
    ListLen,
    /// `l.get(i) -> T?` (owned: increfs the element).
    ListGetOpt,
    /// `list[i]` of a temporary list, which it consumes: the element, owned (moved out
    /// when nothing else holds the list). Lowering's form of `args()[0]`.
    ListTake,
    /// `l.insert(i, v)`; consumes `v`; `i` may equal len.
    ListInsert,
    /// `l.remove(i) -> T`.
    ListRemove,
    ListClear,
    /// `l.contains(v) -> Bool` (structural equality).
    ListContains,
    /// `l.sort()` in place (Int, Float or String elements).
    ListSort,

    // ---- Map<K, V> (K is Int, String or Bool) ----
    /// `m.insert(k, v)`; consumes `k` and `v`; releases a replaced value.
    MapInsert,
    /// `m.get(k) -> V?` (owned).
    MapGet,
    /// `m[k] -> V` (owned); a missing key is a runtime error naming it.
    MapIndex,
    /// `m[k] = v`; consumes `k` and `v`.
    MapSet,
    MapContains,
    /// `m.remove(k) -> V?`.
    MapRemove,
    MapLen,
    /// `m.keys() -> List<K>` in insertion order.
    MapKeys,
    /// `m.values() -> List<V>` in insertion order (each element increfed).
    MapValues,
    MapClear,

    // ---- memory model ----
    /// `x.copy()`: independent deep copy (M5).
    DeepCopy,
    /// `Memory.refcount(x) -> Int`: current strong count (M5).
    Refcount,
    /// `WeakRef(x) -> WeakRef<T>`: does not change the strong count (M6).
    WeakNew,
    /// `w.get() -> T?` (owned when present).
    WeakGet,
    /// `w.exists() -> Bool`.
    WeakExists,
    /// `Memory.profile() -> MemoryStats` (M13).
    MemProfile,
    /// `Memory.collect(zone?) -> Int`: argument is a `String?` zone name (`None` = all).
    MemCollect,
    /// `GC.config(threshold_bytes: Int?, cycle_interval_ms: Int?, background: Bool?)`.
    GcConfig,
    /// `Memory.usage_by_type() -> Map<String, TypeUsage>`.
    MemUsageByType,
    /// `Memory.trace(zone: String?, enabled: Bool)`.
    MemTrace,

    // ---- actors (the VM runs these: `stark_vm::actor`) ----
    /// `spawn func(args…) [with quota=q]`: operands are the arguments (all taken over: they
    /// are sent to the actor) and, when `quota`, the Int quota last. Returns a `Task`.
    Spawn {
        func: u32,
        quota: bool,
    },
    /// `task.join()`: the actor's result (moved out) or its error, failing the caller.
    TaskJoin,
    /// `task.error() -> String?`.
    TaskError,

    // ---- tensors, datasets, streams (the checker's `DataOp` list; operands are views) ----
    Data(stark_syntax::DataOp),
    /// `Tensor.zeros/ones/rand([d0, …], …)` with the shape written as a list literal: the
    /// `rank` dimensions are the first operands, the op's other operands follow, and no
    /// shape list is allocated (nor released).
    DataDims {
        op: stark_syntax::DataOp,
        rank: u8,
    },
}

impl Native {
    /// Whether operand `index` is taken over (moved in) rather than viewed.
    pub fn consumes(self, index: usize) -> bool {
        match self {
            Native::ListPush => index == 1,
            Native::ListTake => index == 0,
            Native::ListInsert => index == 2,
            Native::MapInsert | Native::MapSet => index == 1 || index == 2,
            // Every argument is sent; the quota (an Int) has nothing to take over.
            Native::Spawn { .. } => true,
            _ => false,
        }
    }

    /// Whether the native may release a reference (and so free objects and run
    /// destructors): it replaces, removes or clears what a container holds, collects, ends
    /// the program, or runs or ends an actor.
    pub fn releases(self) -> bool {
        matches!(
            self,
            Native::ListClear
                | Native::ListTake
                | Native::MapInsert
                | Native::MapSet
                | Native::MapClear
                | Native::MemCollect
                | Native::Exit
                | Native::Spawn { .. }
                | Native::TaskJoin
                | Native::TaskError
        )
    }

    /// The name `stark ir` prints.
    pub fn name(self) -> &'static str {
        match self {
            Native::Print => "print",
            Native::ToStr => "str",
            Native::Format => "format",
            Native::PrintFormat => "print_format",
            Native::ParseInt => "int_parse",
            Native::FloatToInt => "float_to_int",
            Native::ParseFloat => "float_parse",
            Native::Assert => "assert",
            Native::Args => "args",
            Native::ArgsView => "args_view",
            Native::Exit => "exit",
            Native::RangeList => "range_list",
            Native::StrLen => "str.len",
            Native::StrSplit => "str.split",
            Native::StrContains => "str.contains",
            Native::StrUpper => "str.upper",
            Native::StrLower => "str.lower",
            Native::StrTrim => "str.trim",
            Native::ListPush => "list.push",
            Native::ListPop => "list.pop",
            Native::ListLen => "list.len",
            Native::ListGetOpt => "list.get",
            Native::ListTake => "list.take",
            Native::ListInsert => "list.insert",
            Native::ListRemove => "list.remove",
            Native::ListClear => "list.clear",
            Native::ListContains => "list.contains",
            Native::ListSort => "list.sort",
            Native::MapInsert => "map.insert",
            Native::MapGet => "map.get",
            Native::MapIndex => "map.index",
            Native::MapSet => "map.set",
            Native::MapContains => "map.contains",
            Native::MapRemove => "map.remove",
            Native::MapLen => "map.len",
            Native::MapKeys => "map.keys",
            Native::MapValues => "map.values",
            Native::MapClear => "map.clear",
            Native::DeepCopy => "copy",
            Native::Refcount => "Memory.refcount",
            Native::WeakNew => "WeakRef.new",
            Native::WeakGet => "weak.get",
            Native::WeakExists => "weak.exists",
            Native::MemProfile => "Memory.profile",
            Native::MemCollect => "Memory.collect",
            Native::GcConfig => "GC.config",
            Native::MemUsageByType => "Memory.usage_by_type",
            Native::MemTrace => "Memory.trace",
            Native::Spawn { .. } => "spawn",
            Native::TaskJoin => "task.join",
            Native::TaskError => "task.error",
            Native::Data(op) | Native::DataDims { op, .. } => op.name(),
        }
    }
}
