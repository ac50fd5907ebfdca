//! The built-in registry: every built-in function, method and constructor is one row of the
//! `builtin_rows!` table below (docs/decisions.md, "The built-in registry").
//!
//! It lives in the lowest crate so that the checker, lowering, the bytecode passes and the
//! VM all read the same rows: the table expands here to [`Builtin`] and its facts, and
//! `stark_bytecode` expands it again (through the callback) into the mapping to its
//! `Native` calls, so a row cannot name a native that does not exist, and a native cannot
//! disagree with its row about what it consumes or releases.

use crate::DataOp;

/// What a built-in is called on, for the checker's lookup by (receiver, name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Recv {
    /// A free function or constructor: `print(x)`, `List()`.
    Free,
    Str,
    List,
    Map,
    Weak,
    Task,
    /// Any heap value: `x.clone()`, `x.copy()`.
    Heap,
    /// The `Memory` namespace: `Memory.refcount(x)`.
    Memory,
    /// The `GC` namespace: `GC.config(…)`.
    Gc,
    /// Tensors, datasets and streams: their own table, [`DataOp`].
    Data,
}

impl Recv {
    /// The namespace a static call names (`Memory.collect`), for the namespace receivers.
    pub fn namespace(self) -> Option<&'static str> {
        match self {
            Recv::Memory => Some("Memory"),
            Recv::Gc => Some("GC"),
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
    /// The element type: `T` of `List<T>`, `WeakRef<T>`, `Task<T>`.
    E,
    /// `K` of `Map<K, V>`.
    K,
    /// `V` of `Map<K, V>`.
    V,
    Opt(&'static SigTy),
    List(&'static SigTy),
}

/// The value an omitted optional parameter takes; the handler sees it as if passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigDefault {
    None,
    Int(i64),
    Bool(bool),
}

/// One parameter of a built-in: its name (for keyword arguments), type, and default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigParam {
    pub name: &'static str,
    pub ty: SigTy,
    /// `Some` for an optional parameter; optional parameters come after required ones.
    pub default: Option<SigDefault>,
}

/// A method's parameters (after the receiver) and result.
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
}

impl BuiltinFacts {
    pub const NONE: BuiltinFacts = BuiltinFacts {
        mutates_receiver: false,
        consumes: &[],
        releases: false,
        takes_elements: false,
        result_may_destruct: false,
        needs_vm: false,
        fresh_result: false,
    };
}

/// The table. Each row: `Variant: receiver "source name" "ir name" [fn(params) -> result]
/// => native [facts]`, the signature written for methods whose types follow from the
/// receiver's (`E`, `K`, `V`; `(Opt T)`, `(List T)`),
/// a parameter may have a default (`chars: (Opt Str) = None`, `n: Int = (Int 1)`,
/// `reverse: Bool = (Bool false)`) and is then optional, by position or keyword;
/// where `native` is the bytecode's `Native` variant that runs it, or `-` for the few
/// that lowering turns into plain instructions (`NewList`, `IToF`, a `Copy` and an
/// `Incref`). Facts are `BuiltinFacts` fields set to true, and `consumes = [i, …]`.
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
            /// `float(Int)`
            IntToFloat: Free "float" "int_to_float" => - [];
            /// `int(Int)`, `float(Float)`, `str(String)`: the value itself.
            Identity: Free "identity" "identity" => - [];
            /// `assert(cond: Bool, message: String)`: false is "assertion failed: message".
            Assert: Free "assert" "assert" => Assert [];
            /// `args() -> List<String>`: a new list, owned by the caller.
            Args: Free "args" "args" => Args [fresh_result];
            /// `exit(code: Int)`: flushes output and ends the program with that status.
            Exit: Free "exit" "exit" => Exit [releases];
            /// `range(start, end, step) -> List<Int>` (outside `for`, which lowers to a counter
            /// loop).
            Range: Free "range" "range_list" => RangeList [fresh_result];
            ListNew: Free "List" "list.new" => - [fresh_result];
            MapNew: Free "Map" "map.new" => - [];
            /// `WeakRef(x) -> WeakRef<T>`: does not change the strong count (M6).
            WeakNew: Free "WeakRef" "WeakRef.new" => WeakNew [];

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
            /// `l.pop() -> T`; empty list is a runtime error.
            ListPop: List "pop" "list.pop" fn() -> E => ListPop [mutates_receiver, takes_elements];
            ListLen: List "len" "list.len" fn() -> Int => ListLen [];
            /// `l.get(i) -> T?` (owned: increfs the element).
            ListGet: List "get" "list.get" fn(index: Int) -> (Opt E) => ListGetOpt [];
            /// `l.insert(i, v)`; consumes `v`; `i` may equal len.
            ListInsert: List "insert" "list.insert" fn(index: Int, value: E) -> Unit => ListInsert [mutates_receiver, consumes = [2]];
            /// `l.remove(i) -> T`.
            ListRemove: List "remove" "list.remove" fn(index: Int) -> E => ListRemove [mutates_receiver, takes_elements];
            ListClear: List "clear" "list.clear" fn() -> Unit => ListClear [mutates_receiver, takes_elements, releases];
            /// `l.contains(v) -> Bool` (structural equality).
            ListContains: List "contains" "list.contains" fn(value: E) -> Bool => ListContains [];
            /// `l.sort()` in place (Int, Float or String elements).
            ListSort: List "sort" "list.sort" fn() -> Unit => ListSort [mutates_receiver];

            // ---- Map<K, V> ----
            /// `m.insert(k, v)`; consumes `k` and `v`; releases a replaced value.
            MapInsert: Map "insert" "map.insert" fn(key: K, value: V) -> Unit => MapInsert [mutates_receiver, consumes = [1, 2], releases];
            /// `m.get(k) -> V?` (owned).
            MapGet: Map "get" "map.get" fn(key: K) -> (Opt V) => MapGet [];
            MapContains: Map "contains" "map.contains" fn(key: K) -> Bool => MapContains [];
            /// `m.remove(k) -> V?`.
            MapRemove: Map "remove" "map.remove" fn(key: K) -> (Opt V) => MapRemove [mutates_receiver];
            MapLen: Map "len" "map.len" fn() -> Int => MapLen [];
            /// `m.keys() -> List<K>` in insertion order.
            MapKeys: Map "keys" "map.keys" fn() -> (List K) => MapKeys [fresh_result];
            /// `m.values() -> List<V>` in insertion order (each element increfed).
            MapValues: Map "values" "map.values" fn() -> (List V) => MapValues [fresh_result];
            MapClear: Map "clear" "map.clear" fn() -> Unit => MapClear [mutates_receiver, releases];

            // ---- the memory model ----
            /// `x.clone()`: one more strong reference to the same object (M5).
            Clone: Heap "clone" "clone" => - [];
            /// `x.copy()`: independent deep copy (M5).
            Copy: Heap "copy" "copy" => DeepCopy [result_may_destruct, fresh_result];
            /// `w.get() -> T?` (owned when present).
            WeakGet: Weak "get" "weak.get" fn() -> (Opt E) => WeakGet [];
            /// `w.exists() -> Bool`.
            WeakExists: Weak "exists" "weak.exists" fn() -> Bool => WeakExists [];
            /// `Memory.refcount(x) -> Int`: current strong count (M5).
            Refcount: Memory "refcount" "Memory.refcount" => Refcount [];
            /// `Memory.profile() -> MemoryStats` (M13).
            MemProfile: Memory "profile" "Memory.profile" => MemProfile [];
            /// `Memory.collect(zone?) -> Int`: argument is a `String?` zone name (`None` = all).
            MemCollect: Memory "collect" "Memory.collect" => MemCollect [releases, needs_vm];
            /// `Memory.usage_by_type() -> Map<String, TypeUsage>`.
            MemUsageByType: Memory "usage_by_type" "Memory.usage_by_type" => MemUsageByType [];
            /// `Memory.trace(zone: String?, enabled: Bool)`.
            MemTrace: Memory "trace" "Memory.trace" => MemTrace [];
            /// `GC.config(threshold_bytes: Int?, cycle_interval_ms: Int?, background: Bool?)`.
            GcConfig: Gc "config" "GC.config" => GcConfig [];

            // ---- actors ----
            /// `task.join()`: waits for the actor and moves its result out.
            /// `task.join()`: the actor's result (moved out) or its error, failing the caller.
            TaskJoin: Task "join" "task.join" fn() -> E => TaskJoin [releases, needs_vm];
            /// `task.error() -> String?`: waits for the actor; its error message or `None`.
            /// `task.error() -> String?`.
            TaskError: Task "error" "task.error" fn() -> (Opt Str) => TaskError [releases, needs_vm];
        }
    };
}

macro_rules! define_builtins {
    (@sig) => { None };
    (@sig ($($param:ident: $ty:tt $(= $def:tt)?),*) $ret:tt) => {
        Some(Sig {
            params: &[$(SigParam {
                name: stringify!($param),
                ty: define_builtins!(@ty $ty),
                default: define_builtins!(@default $($def)?),
            }),*],
            ret: define_builtins!(@ty $ret),
        })
    };
    (@default) => { None };
    (@default None) => { Some(SigDefault::None) };
    (@default ($kind:ident $value:expr)) => { Some(SigDefault::$kind($value)) };
    (@ty ($wrap:ident $inner:tt)) => { SigTy::$wrap(&define_builtins!(@ty $inner)) };
    (@ty $ty:ident) => { SigTy::$ty };
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
            /// Tensor, Dataset and Stream operations: their own list, [`DataOp`].
            Data(DataOp),
        }

        impl Builtin {
            /// Every row of the table (the data operations are [`DataOp`]'s).
            pub const ROWS: &'static [Builtin] = &[$(Builtin::$variant),*];

            pub fn receiver(self) -> Recv {
                match self {
                    $(Builtin::$variant => Recv::$recv,)*
                    Builtin::Data(_) => Recv::Data,
                }
            }

            /// The name a program calls it by (after the receiver or namespace).
            pub fn name(self) -> &'static str {
                match self {
                    $(Builtin::$variant => $name,)*
                    Builtin::Data(op) => op.name(),
                }
            }

            /// The name `stark ir` prints.
            pub fn ir_name(self) -> &'static str {
                match self {
                    $(Builtin::$variant => $ir,)*
                    Builtin::Data(op) => op.name(),
                }
            }

            /// The parameters after the receiver and the result, for the methods whose types
            /// follow from their receiver's; `None` where the checker types the call itself
            /// (overloaded free functions, optional parameters with defaults).
            pub fn sig(self) -> Option<Sig> {
                match self {
                    $(Builtin::$variant => define_builtins!(@sig $($params $ret)?),)*
                    Builtin::Data(_) => None,
                }
            }

            pub fn facts(self) -> BuiltinFacts {
                match self {
                    $(Builtin::$variant => BuiltinFacts {
                        $($fact: define_builtins!(@fact $($($i),*)?),)*
                        ..BuiltinFacts::NONE
                    },)*
                    Builtin::Data(op) => BuiltinFacts {
                        mutates_receiver: op.mutates_receiver(),
                        ..BuiltinFacts::NONE
                    },
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

    /// `ns.name(…)` for a namespace `ns` (`Memory`, `GC`).
    pub fn static_fn(ns: &str, name: &str) -> Option<Builtin> {
        Builtin::ROWS
            .iter()
            .copied()
            .find(|b| b.receiver().namespace() == Some(ns) && b.name() == name)
    }
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
        }
    }
}
