//! The built-in registry: every built-in function, method and constructor is one row of the
//! `builtin_rows!` table below (docs/decisions.md, "The built-in registry").
//!
//! It lives in the lowest crate so that the checker, lowering, the bytecode passes and the
//! VM all read the same rows: the table expands here to [`Builtin`] and its facts, and
//! `stark_bytecode` expands it again (through the callback) into the mapping to its
//! `Native` calls, so a row cannot name a native that does not exist, and a native cannot
//! disagree with its row about what it consumes or releases.

use crate::ast::BinOp;

/// What a built-in is called on, for the checker's lookup by (receiver, name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Recv {
    /// A free function or constructor: `print(x)`, `List()`.
    Free,
    Str,
    List,
    Map,
    Weak,
    /// A `Result<T, E>` (SPEC §6): its `E` row type is `T`, its `V` is the error type.
    Result,
    Task,
    /// Any heap value: `x.clone()`, `x.copy()`.
    Heap,
    /// The `Memory` namespace: `Memory.refcount(x)`.
    Memory,
    /// The `GC` namespace: `GC.config(…)`.
    Gc,
    /// The `math` namespace: `math.sqrt(x)` (SPEC §5), always in scope like `Memory`.
    Math,
    /// A Tensor: its methods (`t.sum()`), and its operators and indexing, whose rows are
    /// named by their symbol (`+`, `@`, `[]`, `[]=`), which no method call can spell.
    Tensor,
    Dataset,
    /// A dataset's column: its methods, and its comparisons (rows named by their symbol).
    Column,
    /// `d.group_by(key)`: `agg`.
    GroupBy,
    Stream,
    /// The `Tensor` namespace: `Tensor.zeros(…)`.
    TensorNs,
    /// The `Dataset` namespace: `Dataset.load(…)`.
    DatasetNs,
    /// The `File` namespace: `File.open(…)`.
    File,
}

impl Recv {
    /// The namespace a static call names (`Memory.collect`), for the namespace receivers.
    pub fn namespace(self) -> Option<&'static str> {
        match self {
            Recv::Memory => Some("Memory"),
            Recv::Gc => Some("GC"),
            Recv::Math => Some("math"),
            Recv::TensorNs => Some("Tensor"),
            Recv::DatasetNs => Some("Dataset"),
            Recv::File => Some("File"),
            _ => None,
        }
    }
}

/// A type in a built-in's signature, relative to its receiver's type parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigTy {
    Int,
    Float,
    Bool,
    Str,
    Unit,
    Tensor,
    Dataset,
    Column,
    GroupBy,
    Stream,
    /// The element type: `T` of `List<T>`, `WeakRef<T>`, `Task<T>`.
    E,
    /// `K` of `Map<K, V>`.
    K,
    /// `V` of `Map<K, V>`.
    V,
    /// The receiver's own type (`x.clone()` is another `x`).
    Recv,
    /// One of the structs the runtime builds (`MemoryStats`, `TypeUsage`), by name.
    Struct(&'static str),
    Opt(&'static SigTy),
    List(&'static SigTy),
    Map(&'static SigTy, &'static SigTy),
    /// A two-part tuple `(A, B)`.
    Pair(&'static SigTy, &'static SigTy),
    /// `Result<T, E>`: what the fallible built-ins' twins return (SPEC §6).
    Result(&'static SigTy, &'static SigTy),
    // Parameters that take more than one type: each is a fresh type for the argument,
    // checked after binding (`stark_check`'s `check_operand`).
    /// Any reference-counted value (not an Int, Float, Bool or None).
    Heap,
    /// A `List<Int>` or a `List<Float>` (`Tensor.from_list`).
    Numbers,
    /// A Tensor or a number (the tensor operators, `t.add_(x)`).
    TensorOrNumber,
    /// An Int or a Float (`Tensor.arange`), passed as it is.
    Number,
    /// A Column, or a scalar to compare each value with (`d["qty"] > 3`).
    ColumnOrScalar,
    /// What can become a column: a Column, a Tensor, or a `List` of Int, Float, Bool or
    /// String (`with_column`).
    ColumnData,
    /// A `Map<String, …>` of what can become columns (`Dataset.from_columns`).
    ColumnsMap,
    /// A bool Column or a bool Tensor (`filter`).
    Mask,
    /// A reduction's result (SPEC §8): the inner type when the call gives neither `axis`
    /// nor `keepdims`, a Tensor when it gives either.
    Reduced(&'static SigTy),
}

/// What an omitted argument is (`Memory.collect(zone=None)`): the checker's operand for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigDefault {
    None,
    Int(i64),
    Bool(bool),
}

/// One parameter of a signature; with a default it may be left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigParam {
    pub name: &'static str,
    pub ty: SigTy,
    pub default: Option<SigDefault>,
}

/// A built-in's parameters (after the receiver) and result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sig {
    pub params: &'static [SigParam],
    pub ret: SigTy,
}

/// The facts a pass needs about a built-in. Every fact is a "may"; the default is the
/// harmless answer, so a row names only the facts that hold for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuiltinFacts {
    /// The receiver (operand 0) is changed in place, so it needs a mutable binding (M4)
    /// and the caller's views into it may be invalidated.
    pub mutates_receiver: bool,
    /// The operands (indices into the bound operands, receiver first) that are taken
    /// over, stored into the receiver, rather than read: moved in (M1), an arena escape
    /// when the receiver is outside (M10), passed owned (M12).
    pub consumes: &'static [usize],
    /// The operands (lists) whose elements are stored into the receiver shared, each
    /// increfed, the operand keeping them: not a move, but an arena escape when the
    /// receiver is outside the arena (M10), as for `consumes`.
    pub shares: &'static [usize],
    /// It may release a reference, and so free objects and run destructors: it replaces
    /// or clears what a container holds, collects, ends the program, or ends an actor.
    pub releases: bool,
    /// It takes an element out of a list, ending a `for` loop's view of it.
    pub takes_elements: bool,
    /// Its result is a new object graph whose release, inside the same expression, may
    /// run destructors (a deep copy of structs).
    pub result_may_destruct: bool,
    /// The VM runs it itself (it runs destructors or other frames), not `natives::call`.
    pub needs_vm: bool,
    /// Its result is a new object no other reference reaches (so a `for` loop over it
    /// needs no guard against the list changing under it). Unlike the others this fact is
    /// a "must": false is the safe answer.
    pub fresh_result: bool,
    /// Its result is operand 0 itself, the same object (`x.clone()`, `str(s)` of a
    /// String): the arena check follows the alias to operand 0's binding (M10). A "must".
    pub returns_operand: bool,
    /// Its result is a new reference, strong or weak, to operand 0's object (`x.clone()`,
    /// `WeakRef(x)`), which may outlive the binding: the binding escapes (M9, and a `let`
    /// bound to it is no longer stable for lowering).
    pub refers_to_operand: bool,
    /// It never returns (`exit`): the code after it is unreachable, so a function may end
    /// with it instead of a `return`. A "must".
    pub diverges: bool,
}

impl BuiltinFacts {
    pub const NONE: BuiltinFacts = BuiltinFacts {
        mutates_receiver: false,
        consumes: &[],
        shares: &[],
        releases: false,
        takes_elements: false,
        result_may_destruct: false,
        needs_vm: false,
        fresh_result: false,
        returns_operand: false,
        refers_to_operand: false,
        diverges: false,
    };
}

/// The table. Each row: `Variant: receiver "source name" "ir name" [fn(params) -> result]
/// => native [facts]`. The signature is written over the receiver's type parameters (`E`,
/// `K`, `V`, `Recv`; `(Opt T)`, `(List T)`, `(Map K V)`, `(Pair A B)`, `(Struct Name)`), and a parameter
/// may have a default, `name: T = None`, `= (Int n)` or `= (Bool b)`, which makes it
/// optional. Rows without one are typed by the checker itself (free functions that choose
/// a row by the argument's type, or take any values; the tensor indexing, whose indices are
/// as many as the tensor's axes). `native` is the bytecode's `Native` variant that runs it,
/// or `-` for the few that lowering turns into plain instructions (`NewList`, `IToF`, a
/// `Copy` and an `Incref`). Facts are `BuiltinFacts` fields set to true, and
/// `consumes = [i, …]`.
///
/// A callback macro receives the rows, so each crate expands what it needs from one list.
#[doc(hidden)]
#[macro_export]
macro_rules! builtin_rows {
    ($callback:ident) => {
        $callback! {
            // ---- free functions and constructors ----
            /// `print(a, b, …)`: any values, separated by one space, then a newline (SPEC §4).
            Print: Free "print" "print" => Print [];
            /// `str(x)` for x not a String.
            /// `str(x)` for any x: the text `print` would show.
            Str: Free "str" "str" => ToStr [];
            /// `int(s: String) -> Int`; "abc" is a runtime error naming the text.
            ParseInt: Free "int" "int_parse" => ParseInt [];
            /// `int(f: Float) -> Int` truncating; NaN/inf/out of range are runtime errors.
            FloatToInt: Free "int" "float_to_int" => FloatToInt [];
            /// `float(s: String) -> Float`.
            ParseFloat: Free "float" "float_parse" => ParseFloat [];
            /// `parse_int(text) -> Result<Int, String>`: `int(text)` without ending the
            /// program (SPEC §6); the error is the message `int` would end it with.
            TryParseInt: Free "parse_int" "parse_int" fn(text: Str) -> (Result Int Str) => TryParseInt [];
            /// `parse_float(text) -> Result<Float, String>`, as `parse_int`.
            TryParseFloat: Free "parse_float" "parse_float" fn(text: Str) -> (Result Float Str) => TryParseFloat [];
            /// `read_file(path) -> Result<String, String>`: the whole file's text, or the
            /// message `File.open(path).read_all()` would end the program with (SPEC §6).
            ReadFile: Free "read_file" "read_file" fn(path: Str) -> (Result Str Str) => ReadFile [];
            /// `write_file(path, text) -> Result<None, String>`: creates or truncates the file
            /// and writes `text`, or the message `File.open(path, mode="w")`, `write` or
            /// `close` would end the program with.
            WriteFile: Free "write_file" "write_file" fn(path: Str, text: Str) -> (Result Unit Str) => WriteFile [];
            /// `float(Int)`
            IntToFloat: Free "float" "int_to_float" => - [];
            /// `int(Int)`, `float(Float)`, `str(String)`: the value itself.
            Identity: Free "identity" "identity" => - [returns_operand];
            /// `assert(cond: Bool, message: String)`: false is "assertion failed: message".
            Assert: Free "assert" "assert" fn(cond: Bool, message: Str = None) -> Unit => Assert [];
            /// `args() -> List<String>`: a new list, owned by the caller.
            Args: Free "args" "args" fn() -> (List Str) => Args [fresh_result];
            /// `exit(code: Int)`: flushes output and ends the program with that status.
            Exit: Free "exit" "exit" fn(code: Int) -> Unit => Exit [releases, diverges];
            /// `range(start, end, step) -> List<Int>` (outside `for`, which lowers to a counter
            /// loop).
            Range: Free "range" "range_list" => RangeList [fresh_result];
            /// `enumerate(xs) -> List<(Int, T)>`: each element shared into a new tuple.
            Enumerate: Free "enumerate" "enumerate" => Enumerate [fresh_result];
            /// `zip(a, b) -> List<(A, B)>`, as long as the shorter list.
            Zip: Free "zip" "zip" => Zip [fresh_result];
            /// `divmod(a, b) -> (a / b, a % b)` of two Ints or two Floats (SPEC §5).
            DivMod: Free "divmod" "divmod" => DivMod [];
            ListNew: Free "List" "list.new" => - [fresh_result];
            MapNew: Free "Map" "map.new" => - [];
            /// `WeakRef(x) -> WeakRef<T>`: does not change the strong count (M6).
            WeakNew: Free "WeakRef" "WeakRef.new" => WeakNew [refers_to_operand];
            /// `input(prompt="") -> String?`: prints the prompt (no newline, output flushed),
            /// reads one line of standard input without its line end; `None` at its end.
            Input: Free "input" "input" fn(prompt: Str = None) -> (Opt Str) => Input [];
            /// `try_input(prompt="") -> Result<String?, String>`: `input` with its I/O and
            /// UTF-8 failures as `Err` (SPEC §6).
            TryInput: Free "try_input" "try_input" fn(prompt: Str = None) -> (Result (Opt Str) Str) => TryInput [];

            // ---- String ----
            StrLen: Str "len" "str.len" fn() -> Int => StrLen [];
            /// `s.split(sep=None) -> List<String>`: on `sep`, or without one on runs of
            /// whitespace (empty pieces at the ends dropped), as Python.
            StrSplit: Str "split" "str.split" fn(sep: (Opt Str) = None) -> (List Str) => StrSplit [fresh_result];
            StrContains: Str "contains" "str.contains" fn(text: Str) -> Bool => StrContains [];
            StrUpper: Str "upper" "str.upper" fn() -> Str => StrUpper [];
            StrLower: Str "lower" "str.lower" fn() -> Str => StrLower [];
            StrTrim: Str "trim" "str.trim" fn() -> Str => StrTrim [];

            // ---- String (§5) ----
            /// `s.replace(old, new, count=-1)`: every occurrence, or only the first `count`.
            StrReplace: Str "replace" "str.replace" fn(old: Str, new: Str, count: Int = (Int -1)) -> Str => StrReplace [];
            StrStartsWith: Str "startswith" "str.startswith" fn(prefix: Str) -> Bool => StrStartsWith [];
            StrEndsWith: Str "endswith" "str.endswith" fn(suffix: Str) -> Bool => StrEndsWith [];
            /// `s.find(sub) -> Int`: the code point index of the first occurrence, -1 if none.
            StrFind: Str "find" "str.find" fn(sub: Str) -> Int => StrFind [];
            /// `s.count(sub) -> Int`: non-overlapping occurrences.
            StrCount: Str "count" "str.count" fn(sub: Str) -> Int => StrCount [];
            /// `s.strip(chars=None)`: without `chars`, whitespace; with it, any of its characters.
            StrStrip: Str "strip" "str.strip" fn(chars: (Opt Str) = None) -> Str => StrStrip [];
            StrLstrip: Str "lstrip" "str.lstrip" fn(chars: (Opt Str) = None) -> Str => StrLstrip [];
            StrRstrip: Str "rstrip" "str.rstrip" fn(chars: (Opt Str) = None) -> Str => StrRstrip [];
            /// `s.splitlines() -> List<String>` at Python's line boundaries.
            StrSplitlines: Str "splitlines" "str.splitlines" fn() -> (List Str) => StrSplitlines [fresh_result];
            /// `sep.join(items) -> String`.
            StrJoin: Str "join" "str.join" fn(items: (List Str)) -> Str => StrJoin [];
            /// `s.ljust(width, fill=" ")`: `fill` is one character.
            StrLjust: Str "ljust" "str.ljust" fn(width: Int, fill: (Opt Str) = None) -> Str => StrLjust [];
            StrRjust: Str "rjust" "str.rjust" fn(width: Int, fill: (Opt Str) = None) -> Str => StrRjust [];
            StrCenter: Str "center" "str.center" fn(width: Int, fill: (Opt Str) = None) -> Str => StrCenter [];
            StrIsDigit: Str "isdigit" "str.isdigit" fn() -> Bool => StrIsDigit [];
            StrIsAlpha: Str "isalpha" "str.isalpha" fn() -> Bool => StrIsAlpha [];
            StrIsSpace: Str "isspace" "str.isspace" fn() -> Bool => StrIsSpace [];

            // ---- List<T> ----
            /// `l.push(v)`; consumes `v`.
            ListPush: List "push" "list.push" fn(value: E) -> Unit => ListPush [mutates_receiver, consumes = [1]];
            /// `l.pop() -> T`, `l.pop(i) -> T`: the element at `i` (negative from the end; the
            /// last by default), moved out; an empty list or an index out of range is a
            /// runtime error.
            ListPop: List "pop" "list.pop" fn(index: Int = (Int -1)) -> E => ListPop [mutates_receiver, takes_elements];
            ListLen: List "len" "list.len" fn() -> Int => ListLen [];
            /// `l.get(i) -> T?` (owned: increfs the element); negative from the end, `None`
            /// out of range.
            ListGet: List "get" "list.get" fn(index: Int) -> (Opt E) => ListGetOpt [];
            /// `l.insert(i, v)`; consumes `v`; `i` is clamped to the list as in Python
            /// (negative from the end).
            ListInsert: List "insert" "list.insert" fn(index: Int, value: E) -> Unit => ListInsert [mutates_receiver, consumes = [2]];
            /// `l.remove(v)`: removes (and releases) the first element equal to `v`; absent is
            /// the runtime error "value not in list".
            ListRemove: List "remove" "list.remove" fn(value: E) -> Unit => ListRemove [mutates_receiver, takes_elements, releases];
            ListClear: List "clear" "list.clear" fn() -> Unit => ListClear [mutates_receiver, takes_elements, releases];
            /// `l.contains(v) -> Bool` (structural equality).
            ListContains: List "contains" "list.contains" fn(value: E) -> Bool => ListContains [];
            /// `l.sort(reverse=false)` in place, stable (Int, Float, String or Bool elements).
            ListSort: List "sort" "list.sort" fn(reverse: Bool = (Bool false)) -> Unit => ListSort [mutates_receiver];

            // ---- Map<K, V> ----
            /// `m.insert(k, v)`; consumes `k` and `v`; releases a replaced value.
            MapInsert: Map "insert" "map.insert" fn(key: K, value: V) -> Unit => MapInsert [mutates_receiver, consumes = [1, 2], releases];
            /// `m.get(k) -> V?` (owned); `m.get(k, default) -> V` (the checker types the result
            /// `V` when a `default` that is not optional is given).
            MapGet: Map "get" "map.get" fn(key: K, default: (Opt V) = None) -> (Opt V) => MapGet [];
            MapContains: Map "contains" "map.contains" fn(key: K) -> Bool => MapContains [];
            /// `m.remove(k) -> V?`.
            MapRemove: Map "remove" "map.remove" fn(key: K) -> (Opt V) => MapRemove [mutates_receiver];
            MapLen: Map "len" "map.len" fn() -> Int => MapLen [];
            /// `m.keys() -> List<K>` in insertion order.
            MapKeys: Map "keys" "map.keys" fn() -> (List K) => MapKeys [fresh_result];
            /// `m.values() -> List<V>` in insertion order (each element increfed).
            MapValues: Map "values" "map.values" fn() -> (List V) => MapValues [fresh_result];
            MapClear: Map "clear" "map.clear" fn() -> Unit => MapClear [mutates_receiver, releases];
            /// `m.items() -> List<(K, V)>` in insertion order (each value shared).
            MapItems: Map "items" "map.items" fn() -> (List (Pair K V)) => MapItems [fresh_result];

            // ---- List (§5) ----
            /// `l.extend(other)`: appends `other`'s elements, each shared (increfed).
            ListExtend: List "extend" "list.extend" fn(other: (List E)) -> Unit => ListExtend [mutates_receiver, shares = [1]];
            /// `l.index(v, start=0, stop=…) -> Int`: the first equal element's index in
            /// `l[start:stop]` (bounds as a slice's: negative from the end, clamped), counted
            /// from the list's start; absent is a runtime error.
            ListIndex: List "index" "list.index" fn(value: E, start: Int = (Int 0), stop: Int = (Int i64::MAX)) -> Int => ListIndex [];
            /// `l.count(v) -> Int`: how many elements equal `v`.
            ListCount: List "count" "list.count" fn(value: E) -> Int => ListCount [];
            /// `l.reverse()` in place.
            ListReverse: List "reverse" "list.reverse" fn() -> Unit => ListReverse [mutates_receiver];
            /// `a + b` on lists: a new list sharing both lists' elements (the operator's row;
            /// `+` is no method name, so no program calls it by name).
            ListConcat: List "+" "list.concat" fn(other: (List E)) -> (List E) => ListConcat [fresh_result];
            /// `l * n` (and `n * l`): a new list of `l`'s elements `n` times over, shared; `n <= 0`
            /// gives `[]`.
            ListRepeat: List "*" "list.repeat" fn(times: Int) -> (List E) => ListRepeat [fresh_result];

            // ---- Map (§5) ----
            /// `m.pop(k) -> V?`: removes `k` and moves its value out (`None` when absent);
            /// `m.pop(k, default) -> V` as for `get`.
            MapPop: Map "pop" "map.pop" fn(key: K, default: (Opt V) = None) -> (Opt V) => MapPop [mutates_receiver];

            // ---- free functions (§5) ----
            /// `abs(x: Int) -> Int`; the smallest Int has no absolute value (overflow error).
            AbsInt: Free "abs" "abs_int" => AbsInt [];
            /// `abs(x: Float) -> Float`.
            AbsFloat: Free "abs" "abs_float" => AbsFloat [];
            /// `min(a, b, …)` of Ints, Floats or Strings (converted to one type), or `min(xs)`
            /// of one list (empty: a runtime error); the first of equal values, as Python.
            Min: Free "min" "min" => Min [];
            /// `max(…)`, as `min`.
            Max: Free "max" "max" => Max [];
            /// `min(xs, default=d)`: `d` when the list is empty (operands: the list, `d`
            /// converted to the result's type; a Float `d` makes an Int winner a Float).
            MinDefault: Free "min" "min_default" => MinDefault [];
            /// `max(xs, default=d)`, as `min`.
            MaxDefault: Free "max" "max_default" => MaxDefault [];
            /// `sum(xs: List<Int>, start: Int = 0) -> Int` (overflow is a runtime error; `[]`
            /// gives `start`).
            SumInt: Free "sum" "sum_int" => SumInt [];
            /// `sum(xs, start) -> Float` of a `List<Float>`, or of a `List<Int>` from a Float
            /// `start`: `start` first, then each element added left to right.
            SumFloat: Free "sum" "sum_float" => SumFloat [];
            /// `round(x: Float) -> Int`, half to even; NaN and inf are runtime errors.
            Round: Free "round" "round" => Round [];
            /// `round(x: Float, n: Int) -> Float` to `n` decimal digits (negative: tens,
            /// hundreds, …), half to even on the exact value, as Python.
            RoundDigits: Free "round" "round_digits" => RoundDigits [];
            /// `round(x: Int, n: Int) -> Int`: `x` itself for `n >= 0`, else rounded to a
            /// multiple of `10**-n`, half to even, as Python.
            RoundIntDigits: Free "round" "round_int_digits" => RoundIntDigits [];
            /// `sorted(xs, reverse=false) -> List<T>`: a new sorted list sharing the elements.
            Sorted: Free "sorted" "sorted" fn(xs: (List E), reverse: Bool = (Bool false)) -> (List E) => Sorted [fresh_result];
            /// `ord(c: String) -> Int`: the code point of a one-character string.
            Ord: Free "ord" "ord" fn(c: Str) -> Int => Ord [];
            /// `chr(i: Int) -> String`: the one-character string of a code point.
            Chr: Free "chr" "chr" fn(i: Int) -> Str => Chr [];
            /// `hex(n: Int) -> String`: `"0xff"`, `"-0x1"`.
            Hex: Free "hex" "hex" fn(n: Int) -> Str => Hex [];

            // ---- math (§5) ----
            /// `math.sqrt(x) -> Float`; a negative `x` is "math domain error", as in Python.
            MathSqrt: Math "sqrt" "math.sqrt" fn(x: Float) -> Float => MathSqrt [];
            /// `math.exp(x)`; a result too large is "math range error".
            MathExp: Math "exp" "math.exp" fn(x: Float) -> Float => MathExp [];
            /// `math.log(x)`, `math.log(x, base)`; `x <= 0` is "math domain error".
            MathLog: Math "log" "math.log" fn(x: Float, base: (Opt Float) = None) -> Float => MathLog [];
            MathLog2: Math "log2" "math.log2" fn(x: Float) -> Float => MathLog2 [];
            MathLog10: Math "log10" "math.log10" fn(x: Float) -> Float => MathLog10 [];
            /// `math.sin(x)`; an infinite `x` is "math domain error" (so for `cos`, `tan`).
            MathSin: Math "sin" "math.sin" fn(x: Float) -> Float => MathSin [];
            MathCos: Math "cos" "math.cos" fn(x: Float) -> Float => MathCos [];
            MathTan: Math "tan" "math.tan" fn(x: Float) -> Float => MathTan [];
            MathAtan2: Math "atan2" "math.atan2" fn(y: Float, x: Float) -> Float => MathAtan2 [];
            /// `math.floor(x) -> Int` (of an Int: the Int itself); NaN, inf and values outside
            /// the Int range are runtime errors.
            MathFloor: Math "floor" "math.floor" fn(x: Float) -> Int => MathFloor [];
            /// `math.ceil(x) -> Int`, as `floor`.
            MathCeil: Math "ceil" "math.ceil" fn(x: Float) -> Int => MathCeil [];
            MathIsnan: Math "isnan" "math.isnan" fn(x: Float) -> Bool => MathIsnan [];
            MathIsinf: Math "isinf" "math.isinf" fn(x: Float) -> Bool => MathIsinf [];
            /// `math.pow(x, y) -> Float`, with Python's domain and range errors.
            MathPow: Math "pow" "math.pow" fn(x: Float, y: Float) -> Float => MathPow [];
            MathHypot: Math "hypot" "math.hypot" fn(x: Float, y: Float) -> Float => MathHypot [];

            // ---- the memory model ----
            /// `x.clone()`: one more strong reference to the same object (M5).
            Clone: Heap "clone" "clone" fn() -> Recv => - [returns_operand, refers_to_operand];
            /// `x.copy()`: independent deep copy (M5).
            Copy: Heap "copy" "copy" fn() -> Recv => DeepCopy [result_may_destruct, fresh_result];
            /// `w.get() -> T?` (owned when present).
            WeakGet: Weak "get" "weak.get" fn() -> (Opt E) => WeakGet [];
            /// `w.exists() -> Bool`.
            WeakExists: Weak "exists" "weak.exists" fn() -> Bool => WeakExists [];

            // ---- Result (§6): `E` is the `Ok` type, `V` the error type ----
            ResultIsOk: Result "is_ok" "result.is_ok" fn() -> Bool => ResultIsOk [];
            ResultIsErr: Result "is_err" "result.is_err" fn() -> Bool => ResultIsErr [];
            /// `r.unwrap() -> T` (owned); an `Err` is a runtime error carrying its text.
            ResultUnwrap: Result "unwrap" "result.unwrap" fn() -> E => ResultUnwrap [];
            /// `r.unwrap_or(default) -> T` (owned): the `Ok` value, or the default.
            ResultUnwrapOr: Result "unwrap_or" "result.unwrap_or" fn(default: E) -> E => ResultUnwrapOr [];
            /// `r.error() -> E?` (owned when present).
            ResultError: Result "error" "result.error" fn() -> (Opt V) => ResultError [];
            /// `Memory.refcount(x) -> Int`: current strong count (M5).
            Refcount: Memory "refcount" "Memory.refcount" fn(value: Heap) -> Int => Refcount [];
            /// `Memory.profile() -> MemoryStats` (M13).
            MemProfile: Memory "profile" "Memory.profile" fn() -> (Struct MemoryStats) => MemProfile [];
            /// `Memory.collect(zone?) -> Int`: argument is a `String?` zone name (`None` = all).
            MemCollect: Memory "collect" "Memory.collect" fn(zone: (Opt Str) = None) -> Int
                => MemCollect [releases, needs_vm];
            /// `Memory.usage_by_type() -> Map<String, TypeUsage>`.
            MemUsageByType: Memory "usage_by_type" "Memory.usage_by_type"
                fn() -> (Map Str (Struct TypeUsage)) => MemUsageByType [];
            /// `Memory.trace(zone: String?, enabled: Bool)`.
            MemTrace: Memory "trace" "Memory.trace"
                fn(zone: (Opt Str) = None, enabled: Bool = (Bool true)) -> Unit => MemTrace [];
            /// `GC.config(threshold_bytes: Int?, cycle_interval_ms: Int?, background: Bool?)`.
            GcConfig: Gc "config" "GC.config"
                fn(threshold_bytes: (Opt Int) = None, cycle_interval_ms: (Opt Int) = None,
                   background: (Opt Bool) = None) -> Unit => GcConfig [];

            // ---- actors ----
            /// `task.join()`: waits for the actor and moves its result out.
            /// `task.join()`: the actor's result (moved out) or its error, failing the caller.
            TaskJoin: Task "join" "task.join" fn() -> E => TaskJoin [releases, needs_vm];
            /// `task.error() -> String?`: waits for the actor; its error message or `None`.
            /// `task.error() -> String?`.
            TaskError: Task "error" "task.error" fn() -> (Opt Str) => TaskError [releases, needs_vm];

            // ---- tensors (SPEC §8), datasets and streams (operands are views) ----
            /// `Tensor.zeros(shape, device=None, dtype=None)`: `device` is a `String?` (`None`
            /// = "cpu"), `dtype` one of "float32" (`None`), "float64", "int64", "bool".
            TensorZeros: TensorNs "zeros" "Tensor.zeros"
                fn(shape: (List Int), device: (Opt Str) = None, dtype: (Opt Str) = None) -> Tensor => TensorZeros [];
            TensorOnes: TensorNs "ones" "Tensor.ones"
                fn(shape: (List Int), device: (Opt Str) = None, dtype: (Opt Str) = None) -> Tensor => TensorOnes [];
            /// `Tensor.full(shape, value, dtype=None)`.
            TensorFull: TensorNs "full" "Tensor.full"
                fn(shape: (List Int), value: Number, dtype: (Opt Str) = None, device: (Opt Str) = None) -> Tensor => TensorFull [];
            /// `Tensor.range(start, end)`: start, start + 1, … below end.
            TensorRange: TensorNs "range" "Tensor.range"
                fn(start: Float, end: Float, device: (Opt Str) = None, dtype: (Opt Str) = None) -> Tensor => TensorRange [];
            /// `Tensor.arange(start, stop=None, step=None, dtype=None)`: int64 of Ints, else
            /// float32 (SPEC §8).
            TensorArange: TensorNs "arange" "Tensor.arange"
                fn(start: Number, stop: (Opt Number) = None, step: (Opt Number) = None, dtype: (Opt Str) = None) -> Tensor => TensorArange [];
            /// `Tensor.linspace(start, stop, num, dtype=None)`.
            TensorLinspace: TensorNs "linspace" "Tensor.linspace"
                fn(start: Float, stop: Float, num: Int, dtype: (Opt Str) = None) -> Tensor => TensorLinspace [];
            /// `Tensor.eye(n, dtype=None)`.
            TensorEye: TensorNs "eye" "Tensor.eye" fn(n: Int, dtype: (Opt Str) = None) -> Tensor => TensorEye [];
            /// `Tensor.rand(shape, seed=None)`: uniform in [0, 1), reproducible with a seed.
            TensorRand: TensorNs "rand" "Tensor.rand"
                fn(shape: (List Int), seed: (Opt Int) = None, device: (Opt Str) = None, dtype: (Opt Str) = None) -> Tensor
                => TensorRand [];
            /// `Tensor.randn(shape, seed=None)`: standard normal (Box–Muller on SplitMix64).
            TensorRandn: TensorNs "randn" "Tensor.randn"
                fn(shape: (List Int), seed: (Opt Int) = None, dtype: (Opt Str) = None, device: (Opt Str) = None) -> Tensor
                => TensorRandn [];
            /// `Tensor.from_list(values, shape=None)`: a flat `List<Int>` or `List<Float>`.
            TensorFromList: TensorNs "from_list" "Tensor.from_list"
                fn(values: Numbers, shape: (Opt (List Int)) = None, device: (Opt Str) = None, dtype: (Opt Str) = None)
                -> Tensor => TensorFromList [];
            /// `Tensor(values, dtype=None)` from nested lists of numbers: the shape is the
            /// nesting's; Ints give int64, Floats float32 (SPEC §8).
            TensorNew: Free "Tensor" "Tensor.new" fn(values: Heap, dtype: (Opt Str) = None) -> Tensor => TensorNew [];
            /// `Tensor.maximum(a, b)` / `minimum`: elementwise, broadcast, NaN propagating.
            TensorMaximum: TensorNs "maximum" "Tensor.maximum"
                fn(a: TensorOrNumber, b: TensorOrNumber) -> Tensor => TensorMaximum [];
            TensorMinimum: TensorNs "minimum" "Tensor.minimum"
                fn(a: TensorOrNumber, b: TensorOrNumber) -> Tensor => TensorMinimum [];
            /// `Tensor.where(cond, a, b)`: `a` where the bool tensor `cond` holds, else `b`.
            TensorWhere: TensorNs "where" "Tensor.where"
                fn(cond: Tensor, a: TensorOrNumber, b: TensorOrNumber) -> Tensor => TensorWhere [];
            /// `Tensor.concat(tensors, axis=0)`, `Tensor.stack(tensors, axis=0)`.
            TensorConcat: TensorNs "concat" "Tensor.concat"
                fn(tensors: (List Tensor), axis: Int = (Int 0)) -> Tensor => TensorConcat [];
            TensorStack: TensorNs "stack" "Tensor.stack"
                fn(tensors: (List Tensor), axis: Int = (Int 0)) -> Tensor => TensorStack [];
            TensorShape: Tensor "shape" "tensor.shape" fn() -> (List Int) => TensorShape [];
            /// `t.len()` and `len(t)`: the first axis' length, as NumPy's.
            TensorLen: Tensor "len" "tensor.len" fn() -> Int => TensorLen [];
            /// `t.size()`: the number of elements.
            TensorSize: Tensor "size" "tensor.size" fn() -> Int => TensorSize [];
            TensorDtype: Tensor "dtype" "tensor.dtype" fn() -> Str => TensorDtype [];
            TensorAstype: Tensor "astype" "tensor.astype" fn(dtype: Str) -> Tensor => TensorAstype [];
            TensorToList: Tensor "to_list" "tensor.to_list" fn() -> (List Float) => TensorToList [fresh_result];
            TensorToIntList: Tensor "to_int_list" "tensor.to_int_list" fn() -> (List Int) => TensorToIntList [fresh_result];
            /// `t.item() -> Float`: a one-element tensor's value; what a tensor converts to
            /// where a Float is expected.
            TensorItem: Tensor "item" "tensor.item" fn() -> Float => TensorItem [];
            /// `t.int_item() -> Int`: the same for an int64 (or bool) tensor, where an Int is
            /// expected.
            TensorIntItem: Tensor "int_item" "tensor.int_item" fn() -> Int => TensorIntItem [];
            /// `int(t)` (Python's `t.__int__()`): a one-element tensor's value as an Int, a
            /// float truncated toward zero as NumPy's `int(a)` (NaN or an infinity is the
            /// runtime error `int` of such a Float is).
            TensorDunderInt: Tensor "__int__" "tensor.__int__" fn() -> Int => TensorDunderInt [];
            /// A tensor where a Bool is expected (`if t[0]:`, Python's `t.__bool__()`): the
            /// truth of its one element, as NumPy's `bool(a)`; more or fewer elements are a
            /// runtime error (ambiguous).
            TensorDunderBool: Tensor "__bool__" "tensor.__bool__" fn() -> Bool => TensorDunderBool [];
            /// Reductions: `axis=None` (negative from the end) and `keepdims=false`; without
            /// either the result is a number (`Reduced`), with them a Tensor.
            TensorSum: Tensor "sum" "tensor.sum" fn(axis: (Opt Int) = None, keepdims: (Opt Bool) = None) -> (Reduced Float) => TensorSum [];
            TensorMean: Tensor "mean" "tensor.mean" fn(axis: (Opt Int) = None, keepdims: (Opt Bool) = None) -> (Reduced Float) => TensorMean [];
            TensorMax: Tensor "max" "tensor.max" fn(axis: (Opt Int) = None, keepdims: (Opt Bool) = None) -> (Reduced Float) => TensorMax [];
            TensorMin: Tensor "min" "tensor.min" fn(axis: (Opt Int) = None, keepdims: (Opt Bool) = None) -> (Reduced Float) => TensorMin [];
            TensorProd: Tensor "prod" "tensor.prod" fn(axis: (Opt Int) = None, keepdims: (Opt Bool) = None) -> (Reduced Float) => TensorProd [];
            TensorStd: Tensor "std" "tensor.std" fn(axis: (Opt Int) = None, keepdims: (Opt Bool) = None) -> (Reduced Float) => TensorStd [];
            TensorVar: Tensor "var" "tensor.var" fn(axis: (Opt Int) = None, keepdims: (Opt Bool) = None) -> (Reduced Float) => TensorVar [];
            TensorArgmax: Tensor "argmax" "tensor.argmax" fn(axis: (Opt Int) = None, keepdims: (Opt Bool) = None) -> (Reduced Int) => TensorArgmax [];
            TensorArgmin: Tensor "argmin" "tensor.argmin" fn(axis: (Opt Int) = None, keepdims: (Opt Bool) = None) -> (Reduced Int) => TensorArgmin [];
            TensorAny: Tensor "any" "tensor.any" fn(axis: (Opt Int) = None, keepdims: (Opt Bool) = None) -> (Reduced Bool) => TensorAny [];
            TensorAll: Tensor "all" "tensor.all" fn(axis: (Opt Int) = None, keepdims: (Opt Bool) = None) -> (Reduced Bool) => TensorAll [];
            /// Elementwise functions: new tensors.
            TensorExp: Tensor "exp" "tensor.exp" fn() -> Tensor => TensorExp [];
            TensorLog: Tensor "log" "tensor.log" fn() -> Tensor => TensorLog [];
            TensorSqrt: Tensor "sqrt" "tensor.sqrt" fn() -> Tensor => TensorSqrt [];
            TensorAbs: Tensor "abs" "tensor.abs" fn() -> Tensor => TensorAbs [];
            TensorSin: Tensor "sin" "tensor.sin" fn() -> Tensor => TensorSin [];
            TensorCos: Tensor "cos" "tensor.cos" fn() -> Tensor => TensorCos [];
            TensorTanh: Tensor "tanh" "tensor.tanh" fn() -> Tensor => TensorTanh [];
            TensorSigmoid: Tensor "sigmoid" "tensor.sigmoid" fn() -> Tensor => TensorSigmoid [];
            TensorRelu: Tensor "relu" "tensor.relu" fn() -> Tensor => TensorRelu [];
            TensorFloor: Tensor "floor" "tensor.floor" fn() -> Tensor => TensorFloor [];
            TensorRound: Tensor "round" "tensor.round" fn() -> Tensor => TensorRound [];
            TensorClip: Tensor "clip" "tensor.clip" fn(lo: Number, hi: Number) -> Tensor => TensorClip [];
            /// Shape operations: `reshape` (one -1 allowed), `transpose`, `T`, `squeeze` and
            /// `unsqueeze` are views of a contiguous tensor; `flatten` copies.
            TensorReshape: Tensor "reshape" "tensor.reshape" fn(shape: (List Int)) -> Tensor
                => TensorReshape [refers_to_operand];
            TensorTranspose: Tensor "transpose" "tensor.transpose" fn(axes: (Opt (List Int)) = None) -> Tensor
                => TensorTranspose [refers_to_operand];
            /// `t.T`: the axes reversed (a view), written as a field.
            TensorT: Tensor "T" "tensor.T" fn() -> Tensor => TensorT [refers_to_operand];
            TensorFlatten: Tensor "flatten" "tensor.flatten" fn() -> Tensor => TensorFlatten [];
            TensorSqueeze: Tensor "squeeze" "tensor.squeeze" fn(axis: (Opt Int) = None) -> Tensor
                => TensorSqueeze [refers_to_operand];
            TensorUnsqueeze: Tensor "unsqueeze" "tensor.unsqueeze" fn(axis: Int) -> Tensor
                => TensorUnsqueeze [refers_to_operand];
            /// `t[…]` -> Tensor: operands `(t, tag, a, b, c, …)`, four per index (tag 0 an Int
            /// `a`; 1 a slice `a:b:c`; 2 a bool mask `a`): a view, or a copy for a mask.
            TensorGet: Tensor "[]" "tensor.get" => TensorGet [refers_to_operand];
            /// `t[i, j, …]` where a Float is expected: operands `(t, i, j, …)`, one element
            /// read in place (no tensor is made).
            TensorGetFloat: Tensor "[]f" "tensor.get_float" => TensorGetFloat [];
            /// `t[i, j, …]` where an Int is expected (an int64 or bool tensor).
            TensorGetInt: Tensor "[]i" "tensor.get_int" => TensorGetInt [];
            /// `t[…] = v`: operands `(t, v, tag, a, b, c, …)`.
            TensorSet: Tensor "[]=" "tensor.set" => TensorSet [mutates_receiver];
            /// `t + x`, `x + t`: elementwise, broadcast (NumPy's rules), dtypes promoted.
            TensorAdd: Tensor "+" "tensor.add" fn(other: TensorOrNumber) -> Tensor => TensorAdd [];
            TensorSub: Tensor "-" "tensor.sub" fn(other: TensorOrNumber) -> Tensor => TensorSub [];
            TensorMul: Tensor "*" "tensor.mul" fn(other: TensorOrNumber) -> Tensor => TensorMul [];
            TensorDiv: Tensor "/" "tensor.div" fn(other: TensorOrNumber) -> Tensor => TensorDiv [];
            TensorPow: Tensor "**" "tensor.pow" fn(other: TensorOrNumber) -> Tensor => TensorPow [];
            /// `t < x` and the other orderings: bool tensors.
            TensorLt: Tensor "<" "tensor.lt" fn(other: TensorOrNumber) -> Tensor => TensorLt [];
            TensorLe: Tensor "<=" "tensor.le" fn(other: TensorOrNumber) -> Tensor => TensorLe [];
            TensorGt: Tensor ">" "tensor.gt" fn(other: TensorOrNumber) -> Tensor => TensorGt [];
            TensorGe: Tensor ">=" "tensor.ge" fn(other: TensorOrNumber) -> Tensor => TensorGe [];
            /// `t == x`, `t != x`: elementwise, bool tensors (SPEC §8); `(a == b).all()` asks
            /// whether two tensors are equal.
            TensorEq: Tensor "==" "tensor.eq" fn(other: TensorOrNumber) -> Tensor => TensorEq [];
            TensorNe: Tensor "!=" "tensor.ne" fn(other: TensorOrNumber) -> Tensor => TensorNe [];
            /// `-t` (and `t.neg()`): elementwise negation.
            TensorNeg: Tensor "neg" "tensor.neg" fn() -> Tensor => TensorNeg [];
            /// `a @ b`: matrix product (NumPy's matmul: 1-D, 2-D, batched).
            TensorMatMul: Tensor "@" "tensor.matmul" fn(other: Tensor) -> Tensor => TensorMatMul [];
            TensorAddInPlace: Tensor "add_" "tensor.add_" fn(other: TensorOrNumber) -> Unit
                => TensorAddInPlace [mutates_receiver];
            TensorSubInPlace: Tensor "sub_" "tensor.sub_" fn(other: TensorOrNumber) -> Unit
                => TensorSubInPlace [mutates_receiver];
            TensorMulInPlace: Tensor "mul_" "tensor.mul_" fn(other: TensorOrNumber) -> Unit
                => TensorMulInPlace [mutates_receiver];
            TensorFillInPlace: Tensor "fill_" "tensor.fill_" fn(value: Float) -> Unit
                => TensorFillInPlace [mutates_receiver];
            /// `t.pin(device)`: checks the device exists (M16).
            TensorPin: Tensor "pin" "tensor.pin" fn(device: Str) -> Unit => TensorPin [];
            /// `Dataset.load(path, sep=None)`: a CSV file with a header row (fields split
            /// on `sep`, a comma by default), or a Parquet file (`.parquet`); columns typed
            /// as pandas types them (SPEC §9).
            DatasetLoad: DatasetNs "load" "Dataset.load" fn(path: Str, sep: (Opt Str) = None) -> Dataset => DatasetLoad [];
            /// `Dataset.try_load(path) -> Result<Dataset, String>`: `load` with its runtime
            /// errors as `Err` (SPEC §6).
            DatasetTryLoad: DatasetNs "try_load" "Dataset.try_load" fn(path: Str, sep: (Opt Str) = None) -> (Result Dataset Str)
                => DatasetTryLoad [];
            /// `Dataset.from_columns(m)`: one column per entry, in the map's order.
            DatasetFromColumns: DatasetNs "from_columns" "Dataset.from_columns" fn(columns: ColumnsMap) -> Dataset
                => DatasetFromColumns [];
            DatasetLen: Dataset "len" "dataset.len" fn() -> Int => DatasetLen [];
            DatasetColumns: Dataset "columns" "dataset.columns" fn() -> (List Str)
                => DatasetColumns [fresh_result];
            /// `d.column(name)`: `d[name].to_tensor()`.
            DatasetColumn: Dataset "column" "dataset.column" fn(name: Str) -> Tensor
                => DatasetColumn [];
            /// `d.try_column(name) -> Result<Tensor, String>`: whether a column is numeric,
            /// or there at all, is the file's say, so it has a twin (docs/decisions.md).
            DatasetTryColumn: Dataset "try_column" "dataset.try_column" fn(name: Str) -> (Result Tensor Str)
                => DatasetTryColumn [];
            /// `d.row(i)`: column name → the field's text, as it is in the file.
            DatasetRow: Dataset "row" "dataset.row" fn(index: Int) -> (Map Str Str)
                => DatasetRow [fresh_result];
            /// `d.dtypes()`: column name → "int64", "float64", "bool" or "string".
            DatasetDtypes: Dataset "dtypes" "dataset.dtypes" fn() -> (Map Str Str)
                => DatasetDtypes [fresh_result];
            /// `d["price"]`: the column, shared (+1).
            DatasetGet: Dataset "[]" "dataset.get" fn(name: Str) -> Column => DatasetGet [];
            DatasetHead: Dataset "head" "dataset.head" fn(n: Int = (Int 5)) -> Dataset => DatasetHead [];
            DatasetDescribe: Dataset "describe" "dataset.describe" fn() -> Dataset => DatasetDescribe [];
            /// `d.filter(mask)`: the rows where the bool mask holds.
            DatasetFilter: Dataset "filter" "dataset.filter" fn(mask: Mask) -> Dataset => DatasetFilter [];
            DatasetSelect: Dataset "select" "dataset.select" fn(columns: (List Str)) -> Dataset => DatasetSelect [];
            /// `d.sort_by(name, descending=false)`: stable, missing values last.
            DatasetSortBy: Dataset "sort_by" "dataset.sort_by" fn(column: Str, descending: Bool = (Bool false)) -> Dataset
                => DatasetSortBy [];
            /// `d.with_column(name, values)`: a new dataset with the column added (or
            /// replaced): a Column is shared into it, other values are copied.
            DatasetWithColumn: Dataset "with_column" "dataset.with_column" fn(name: Str, values: ColumnData) -> Dataset
                => DatasetWithColumn [];
            DatasetDropMissing: Dataset "drop_missing" "dataset.drop_missing" fn() -> Dataset => DatasetDropMissing [];
            DatasetGroupBy: Dataset "group_by" "dataset.group_by" fn(key: Str) -> GroupBy => DatasetGroupBy [];
            /// `g.agg({"price": "mean", "qty": "sum"})`: one row per key, in order of first
            /// appearance.
            GroupByAgg: GroupBy "agg" "groupby.agg" fn(spec: (Map Str Str)) -> Dataset => GroupByAgg [];
            /// `d.join(other, on=name, how="inner")`: "inner" or "left"; the left rows' order.
            DatasetJoin: Dataset "join" "dataset.join" fn(other: Dataset, on: Str, how: (Opt Str) = None) -> Dataset
                => DatasetJoin [];
            /// `d.save(path)`: CSV, or Parquet for a `.parquet` path.
            DatasetSave: Dataset "save" "dataset.save" fn(path: Str) -> Unit => DatasetSave [];
            DatasetTrySave: Dataset "try_save" "dataset.try_save" fn(path: Str) -> (Result Unit Str) => DatasetTrySave [];
            ColumnDtype: Column "dtype" "column.dtype" fn() -> Str => ColumnDtype [];
            ColumnLen: Column "len" "column.len" fn() -> Int => ColumnLen [];
            /// `col.to_tensor()`: int64 or float64 (missing as nan), sharing the column's
            /// buffer when it can.
            ColumnToTensor: Column "to_tensor" "column.to_tensor" fn() -> Tensor => ColumnToTensor [refers_to_operand];
            ColumnInts: Column "ints" "column.ints" fn() -> (List Int) => ColumnInts [fresh_result];
            ColumnFloats: Column "floats" "column.floats" fn() -> (List Float) => ColumnFloats [fresh_result];
            ColumnStrings: Column "strings" "column.strings" fn() -> (List Str) => ColumnStrings [fresh_result];
            /// Aggregations skip missing values, as pandas'.
            ColumnSum: Column "sum" "column.sum" fn() -> Float => ColumnSum [];
            ColumnMean: Column "mean" "column.mean" fn() -> Float => ColumnMean [];
            ColumnMin: Column "min" "column.min" fn() -> Float => ColumnMin [];
            ColumnMax: Column "max" "column.max" fn() -> Float => ColumnMax [];
            ColumnStd: Column "std" "column.std" fn() -> Float => ColumnStd [];
            ColumnCount: Column "count" "column.count" fn() -> Int => ColumnCount [];
            ColumnUnique: Column "unique" "column.unique" fn() -> Column => ColumnUnique [];
            ColumnValueCounts: Column "value_counts" "column.value_counts" fn() -> Dataset => ColumnValueCounts [];
            /// `col < x` and the other comparisons: bool columns (masks); missing compares
            /// false (true for `!=`), as in pandas.
            ColumnLt: Column "<" "column.lt" fn(other: ColumnOrScalar) -> Column => ColumnLt [];
            ColumnLe: Column "<=" "column.le" fn(other: ColumnOrScalar) -> Column => ColumnLe [];
            ColumnGt: Column ">" "column.gt" fn(other: ColumnOrScalar) -> Column => ColumnGt [];
            ColumnGe: Column ">=" "column.ge" fn(other: ColumnOrScalar) -> Column => ColumnGe [];
            ColumnEq: Column "==" "column.eq" fn(other: ColumnOrScalar) -> Column => ColumnEq [];
            ColumnNe: Column "!=" "column.ne" fn(other: ColumnOrScalar) -> Column => ColumnNe [];
            /// `File.open(path, mode=None)`: `mode` is "r" (`None`), "w" or "a".
            FileOpen: File "open" "File.open" fn(path: Str, mode: (Opt Str) = None) -> Stream
                => FileOpen [];
            StreamReadLine: Stream "read_line" "stream.read_line" fn() -> (Opt Str)
                => StreamReadLine [];
            StreamReadAll: Stream "read_all" "stream.read_all" fn() -> Str => StreamReadAll [];
            StreamWrite: Stream "write" "stream.write" fn(text: Str) -> Unit => StreamWrite [];
            StreamClose: Stream "close" "stream.close" fn() -> Unit => StreamClose [];
            /// `File.try_open(path, mode=None) -> Result<Stream, String>` and the stream
            /// methods' twins (SPEC §6): the same operations, their runtime errors as `Err`.
            FileTryOpen: File "try_open" "File.try_open"
                fn(path: Str, mode: (Opt Str) = None) -> (Result Stream Str) => FileTryOpen [];
            StreamTryReadLine: Stream "try_read_line" "stream.try_read_line"
                fn() -> (Result (Opt Str) Str) => StreamTryReadLine [];
            StreamTryReadAll: Stream "try_read_all" "stream.try_read_all"
                fn() -> (Result Str Str) => StreamTryReadAll [];
            StreamTryWrite: Stream "try_write" "stream.try_write"
                fn(text: Str) -> (Result Unit Str) => StreamTryWrite [];
            StreamTryClose: Stream "try_close" "stream.try_close"
                fn() -> (Result Unit Str) => StreamTryClose [];
        }
    };
}

macro_rules! define_builtins {
    (@sig) => { None };
    (@sig ($($param:ident: $ty:tt $(= $default:tt)?),*) $ret:tt) => {
        Some(Sig {
            params: &[$(SigParam {
                name: stringify!($param),
                ty: define_builtins!(@ty $ty),
                default: define_builtins!(@default $($default)?),
            }),*],
            ret: define_builtins!(@ty $ret),
        })
    };
    (@ty (Struct $name:ident)) => { SigTy::Struct(stringify!($name)) };
    (@ty (Map $k:tt $v:tt)) => {
        SigTy::Map(&define_builtins!(@ty $k), &define_builtins!(@ty $v))
    };
    (@ty (Result $a:tt $b:tt)) => {
        SigTy::Result(&define_builtins!(@ty $a), &define_builtins!(@ty $b))
    };
    (@ty (Pair $a:tt $b:tt)) => {
        SigTy::Pair(&define_builtins!(@ty $a), &define_builtins!(@ty $b))
    };
    (@ty ($wrap:ident $inner:tt)) => { SigTy::$wrap(&define_builtins!(@ty $inner)) };
    (@ty $ty:ident) => { SigTy::$ty };
    (@default) => { None };
    (@default None) => { Some(SigDefault::None) };
    (@default (Int $n:expr)) => { Some(SigDefault::Int($n)) };
    (@default (Bool $b:expr)) => { Some(SigDefault::Bool($b)) };
    (@fact) => { true };
    (@fact $($i:literal),*) => { &[$($i),*] };
    ($(
        $(#[$doc:meta])*
        $variant:ident: $recv:ident $name:literal $ir:literal $(fn $params:tt -> $ret:tt)?
            => $native:tt [$($fact:ident $(= [$($i:literal),*])?),*];
    )*) => {
        /// A built-in operation the checker resolved a call to; one row of `builtin_rows!`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Builtin {
            $($(#[$doc])* $variant,)*
        }

        impl Builtin {
            /// Every row of the table.
            pub const ROWS: &'static [Builtin] = &[$(Builtin::$variant),*];

            pub fn receiver(self) -> Recv {
                match self {
                    $(Builtin::$variant => Recv::$recv,)*
                }
            }

            /// The name a program calls it by (after the receiver or namespace), or the
            /// operator's symbol.
            pub fn name(self) -> &'static str {
                match self {
                    $(Builtin::$variant => $name,)*
                }
            }

            /// The name `stark ir` prints.
            pub fn ir_name(self) -> &'static str {
                match self {
                    $(Builtin::$variant => $ir,)*
                }
            }

            /// The parameters after the receiver and the result; `None` where the checker
            /// types the call itself (free functions that choose a row by their argument's
            /// type or take any values, and the tensor indexing).
            pub fn sig(self) -> Option<Sig> {
                match self {
                    $(Builtin::$variant => define_builtins!(@sig $($params $ret)?),)*
                }
            }

            pub fn facts(self) -> BuiltinFacts {
                match self {
                    $(Builtin::$variant => BuiltinFacts {
                        $($fact: define_builtins!(@fact $($($i),*)?),)*
                        ..BuiltinFacts::NONE
                    },)*
                }
            }
        }
    };
}

builtin_rows!(define_builtins);

impl Builtin {
    /// Whether the receiver (argument 0) is mutated, which needs a mutable binding (M4).
    pub fn mutates_receiver(self) -> bool {
        self.facts().mutates_receiver
    }

    /// Whether bound operand `index` is taken over rather than read.
    pub fn consumes(self, index: usize) -> bool {
        self.facts().consumes.contains(&index)
    }

    /// The method `name` on a receiver of kind `recv` (or the function `name` of a
    /// namespace receiver), if the table has one. Free functions are not looked up here:
    /// the checker picks among their rows by argument type (`int(x)`).
    pub fn method(recv: Recv, name: &str) -> Option<Builtin> {
        if recv == Recv::Free {
            return None;
        }
        Builtin::ROWS
            .iter()
            .copied()
            .find(|b| b.receiver() == recv && b.name() == name)
    }

    /// `ns.name(…)` for a namespace `ns` (`Memory`, `GC`, `Tensor`, `Dataset`, `File`).
    pub fn static_fn(ns: &str, name: &str) -> Option<Builtin> {
        Builtin::ROWS
            .iter()
            .copied()
            .find(|b| b.receiver().namespace() == Some(ns) && b.name() == name)
    }

    /// The free function `name` when one row with a signature is all there is to it
    /// (`exit`, `args`): typed from its row. `None` for the functions the checker types
    /// itself (`int` and the other conversions pick one of several rows by the argument's
    /// type; `print`, `range`, `WeakRef`, `enumerate`, `zip`, `divmod`, `List` and `Map`
    /// take what a row cannot say).
    pub fn function(name: &str) -> Option<Builtin> {
        let mut rows = Builtin::ROWS
            .iter()
            .copied()
            .filter(|b| b.receiver() == Recv::Free && b.name() == name);
        let row = rows.next()?;
        (rows.next().is_none() && row.sig().is_some()).then_some(row)
    }

    /// The row of the operator `op` on a receiver of kind `recv` (`t + x` on a Tensor).
    pub fn operator(recv: Recv, op: BinOp) -> Option<Builtin> {
        Builtin::method(recv, op.symbol())
    }

    /// The tensor rows computed element by element into a new tensor of the operands'
    /// dtype: a temporary operand that dies with the call may lend its buffer to the result
    /// (`Native::TensorReuse`). Comparisons (a bool result) are not among them.
    pub fn tensor_elementwise(self) -> bool {
        use Builtin::*;
        matches!(
            self,
            TensorAdd
                | TensorSub
                | TensorMul
                | TensorDiv
                | TensorPow
                | TensorMaximum
                | TensorMinimum
                | TensorNeg
                | TensorExp
                | TensorLog
                | TensorSqrt
                | TensorAbs
                | TensorSin
                | TensorCos
                | TensorTanh
                | TensorSigmoid
                | TensorRelu
                | TensorFloor
                | TensorRound
        )
    }
}

/// The constants of the `math` namespace (`math.pi`), Floats as in Python's `math`.
/// The binary operators a Tensor has rows for (named by their symbol, SPEC §8).
pub const TENSOR_OPERATORS: [crate::ast::BinOp; 12] = {
    use crate::ast::BinOp::*;
    [Add, Sub, Mul, Div, Pow, Lt, Le, Gt, Ge, Eq, Ne, MatMul]
};

pub const MATH_CONSTANTS: &[(&str, f64)] = &[
    ("pi", std::f64::consts::PI),
    ("e", std::f64::consts::E),
    ("tau", std::f64::consts::TAU),
    ("inf", f64::INFINITY),
    ("nan", f64::NAN),
];

/// The value of `math.NAME`, if it is one of [`MATH_CONSTANTS`].
pub fn math_constant(name: &str) -> Option<f64> {
    MATH_CONSTANTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_row_is_found_by_its_receiver_and_name_alone() {
        for &b in Builtin::ROWS {
            if b.receiver() == Recv::Free {
                continue;
            }
            let found = match b.receiver().namespace() {
                Some(ns) => Builtin::static_fn(ns, b.name()),
                None => Builtin::method(b.receiver(), b.name()),
            };
            assert_eq!(found, Some(b), "{b:?} is shadowed by another row");
        }
    }

    #[test]
    fn facts_are_consistent() {
        for &b in Builtin::ROWS {
            let f = b.facts();
            // A consumed operand is stored into the receiver (arena.rs reads `consumes` as
            // "stored outside the arena when the receiver is"), so the receiver changes.
            if !f.consumes.is_empty() {
                assert!(
                    f.mutates_receiver,
                    "{b:?} consumes into an unchanged receiver"
                );
                assert!(!f.consumes.contains(&0), "{b:?} consumes its own receiver");
            }
            if !f.shares.is_empty() {
                assert!(
                    f.mutates_receiver,
                    "{b:?} shares into an unchanged receiver"
                );
            }
            if f.takes_elements {
                assert!(
                    f.mutates_receiver && b.receiver() == Recv::List,
                    "{b:?} takes elements out of something other than its receiver list"
                );
            }
            if let Some(sig) = b.sig() {
                let first_optional = sig.params.iter().position(|q| q.default.is_some());
                if let Some(i) = first_optional {
                    assert!(
                        sig.params[i..].iter().all(|q| q.default.is_some()),
                        "{b:?} has a required parameter after an optional one"
                    );
                }
            }
            if f.needs_vm {
                assert!(
                    f.releases,
                    "{b:?} runs in the VM but says it releases nothing"
                );
            }
            if f.returns_operand {
                assert!(
                    !f.fresh_result,
                    "{b:?} returns its operand, which is not a new object"
                );
            }
        }
    }

    #[test]
    fn signatures_are_well_formed() {
        for &b in Builtin::ROWS {
            let Some(sig) = b.sig() else {
                continue;
            };
            // Optional parameters come last, so positional arguments fill the others.
            let first_optional = sig.params.iter().position(|p| p.default.is_some());
            if let Some(i) = first_optional {
                assert!(
                    sig.params[i..].iter().all(|p| p.default.is_some()),
                    "{b:?}: a required parameter follows an optional one"
                );
            }
            for (i, p) in sig.params.iter().enumerate() {
                assert!(
                    sig.params[..i].iter().all(|q| q.name != p.name),
                    "{b:?}: parameter `{}` twice",
                    p.name
                );
                // A `None` default needs a type that can be `None`.
                if p.default == Some(SigDefault::None) {
                    assert!(
                        matches!(p.ty, SigTy::Opt(_) | SigTy::Str),
                        "{b:?}: `{}` defaults to None",
                        p.name
                    );
                }
            }
            // A receiver's type parameters exist only on receivers that have them.
            let uses =
                |t: SigTy| sig.params.iter().any(|p| mentions(p.ty, t)) || mentions(sig.ret, t);
            // A free function's `E` is a type inferred from its arguments (`sorted`).
            let generic = matches!(
                b.receiver(),
                Recv::List | Recv::Weak | Recv::Task | Recv::Free | Recv::Result
            );
            assert!(!uses(SigTy::E) || generic, "{b:?} uses `E`");
            let map = matches!(b.receiver(), Recv::Map | Recv::Result);
            assert!(
                !(uses(SigTy::K) || uses(SigTy::V)) || map,
                "{b:?} uses `K`/`V`"
            );
            assert!(
                !uses(SigTy::Recv) || b.receiver() == Recv::Heap,
                "{b:?} uses `Recv`"
            );
        }
    }

    fn mentions(t: SigTy, what: SigTy) -> bool {
        t == what
            || match t {
                SigTy::Opt(inner) | SigTy::List(inner) | SigTy::Reduced(inner) => {
                    mentions(*inner, what)
                }
                SigTy::Map(k, v) | SigTy::Pair(k, v) | SigTy::Result(k, v) => {
                    mentions(*k, what) || mentions(*v, what)
                }
                _ => false,
            }
    }

    /// The tensor operators are the rows named by the operator's symbol; no other row
    /// has a name a method call could not spell.
    #[test]
    fn operator_rows_are_found_by_their_operator() {
        use crate::ast::BinOp;
        let ops = super::TENSOR_OPERATORS;
        for op in ops {
            let row = Builtin::operator(Recv::Tensor, op).expect("tensor operator row");
            assert_eq!(row.name(), op.symbol());
            assert!(row.sig().is_some_and(|s| s.params.len() == 1));
        }
        assert_eq!(Builtin::operator(Recv::Tensor, BinOp::Mod), None);
        // `xs + ys`, `xs * n` (SPEC §5).
        assert_eq!(
            Builtin::operator(Recv::List, BinOp::Add),
            Some(Builtin::ListConcat)
        );
        assert_eq!(
            Builtin::operator(Recv::List, BinOp::Mul),
            Some(Builtin::ListRepeat)
        );
        for &b in Builtin::ROWS {
            let word = b.name().chars().all(|c| c.is_alphanumeric() || c == '_');
            let operator = ops.iter().any(|op| op.symbol() == b.name());
            let index = matches!(
                b,
                Builtin::DatasetGet
                    | Builtin::TensorGet
                    | Builtin::TensorSet
                    | Builtin::TensorGetFloat
                    | Builtin::TensorGetInt
            );
            assert!(word || operator || index, "{b:?} is named `{}`", b.name());
        }
    }

    #[test]
    fn free_functions_typed_from_their_rows() {
        assert_eq!(Builtin::function("exit"), Some(Builtin::Exit));
        assert_eq!(Builtin::function("args"), Some(Builtin::Args));
        assert_eq!(Builtin::function("input"), Some(Builtin::Input));
        assert_eq!(Builtin::function("sorted"), Some(Builtin::Sorted));
        assert_eq!(Builtin::function("ord"), Some(Builtin::Ord));
        assert_eq!(Builtin::function("chr"), Some(Builtin::Chr));
        assert_eq!(Builtin::function("hex"), Some(Builtin::Hex));
        // Several rows, picked by the argument's type: the checker's own.
        assert_eq!(Builtin::function("abs"), None);
        assert_eq!(Builtin::function("round"), None);
        // Several rows (`int`), or no signature (`print`): the checker's own.
        assert_eq!(Builtin::function("int"), None);
        assert_eq!(Builtin::function("print"), None);
        assert_eq!(Builtin::function("nothing"), None);
    }
}
