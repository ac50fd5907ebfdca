//! Built-in operations called through `Instr::CallNative`. The type checker has already
//! resolved which one applies (so `len` on a String is `StrLen`, on a List `ListLen`).
//! Arguments are views unless `consumes` says the native takes the reference over. Most
//! natives are the runner of one row of the built-in registry (`stark_syntax::builtin`),
//! whose facts they take; the rest are forms only lowering emits.

use stark_syntax::{Builtin, BuiltinFacts};

/// The bit mask of the operand indices in `consumes` below 32.
const fn mask_of(consumes: &[usize]) -> u32 {
    let mut m = 0;
    let mut k = 0;
    while k < consumes.len() {
        if consumes[k] < 32 {
            m |= 1 << consumes[k];
        }
        k += 1;
    }
    m
}

/// The registry's rows, expanded into the `Native` enum and the mapping between a checked
/// `Builtin` and the native that runs it: a row's native is a variant by construction.
macro_rules! native_of_rows {
    (@some -) => { None };
    (@some $native:ident) => { Some(Native::$native) };
    // The enum: one variant per row that has a native, then the forms only lowering emits.
    (@enum [$($vs:tt)*]) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Native {
            $($vs)*
            /// f-strings: concatenates `str()` of every operand (strings as they are) into a new
            /// String.
            Format,
            /// `print(f"…")`: prints what `Format` would build, then a newline, without building it.
            PrintFormat,
            /// An f-string with conversions or format specs (`{s!r}`, `{x:.2f}`, `{x:{w}}`): as
            /// `Format`, each operand written by its `FieldFormat` in `Module::formats[fmt]`
            /// (one per operand; a nested spec's fields are operands too, written into it).
            FormatSpecs {
                fmt: u32,
            },
            /// `print(f"…")` of an f-string with format specs.
            PrintFormatSpecs {
                fmt: u32,
            },
            /// `s[i]` on a String: the code point at `i` (negative counts from the end) as a new
            /// String; out of range is a runtime error naming the index and the length.
            StrIndex,
            /// `s[lo:hi:step]` on a String (operands: the string, then each bound or `None`):
            /// a new String, with Python's clamping.
            StrSlice,
            /// `xs[lo:hi:step]` on a List: a new list sharing the elements (each increfed).
            ListSlice,
            /// `s * n` (operands: the string, then the count): `n` copies; none for `n <= 0`.
            StrRepeat,
            /// `for c in s`: the byte offset of the character after the one at byte `pos`
            /// (operands: the string, `pos`), or -1 when `pos` is at the end.
            StrNextByte,
            /// `for c in s`: the character at byte offset `pos` (operands: the string, `pos`), a
            /// new one-character String.
            StrCharAtByte,
            /// `args()` where the compiler proved the list is only read (`len(args())`,
            /// `args()[i]`, `for a in args()`, an immutable binding never moved or cloned): a view
            /// of the VM's one argument list, which is immortal like a string constant, so the call
            /// allocates nothing and its result needs no release.
            ArgsView,
            /// `list[i]` of a temporary list, which it consumes: the element, owned (moved out
            /// when nothing else holds the list). Lowering's form of `args()[0]`.
            ListTake,
            /// `m[k] -> V` (owned); a missing key is a runtime error naming it.
            MapIndex,
            /// `d[name]` (operands: the dataset, the name): the dataset's own column object,
            /// not counted — a view, as `ListGet`'s element is; lowering retains it where it
            /// must outlive the dataset. (A dataset never drops a column: it is immutable.)
            DatasetColumnView,
            /// `xs.sort(key=f)` (operands: the list, the list of its keys in the same order,
            /// `reverse`): reorders the list in place by its keys, stably (SPEC §7). The
            /// keys were computed by a loop calling `f` before.
            SortByKeys,
            /// `min(xs, key=f)` (`max` false) and `max(…)`: the index of the first element
            /// whose key (operand 0: the keys) is least (greatest); an empty list is the
            /// runtime error `min`/`max` give.
            KeyBest {
                max: bool,
            },
            /// `m[k] = v`; consumes `k` and `v`.
            MapSet,
            /// `spawn func(args…) [with quota=q]`: operands are the arguments (all taken over: they
            /// are sent to the actor) and, when `quota`, the Int quota last. Returns a `Task`.
            Spawn {
                func: u32,
                quota: bool,
            },
            /// `Tensor.zeros/ones/rand([d0, …], …)` with the shape written as a list literal: the
            /// `rank` dimensions are the first operands, the row's other operands follow, and no
            /// shape list is allocated (nor released). `op` is the row.
            DataDims {
                op: Builtin,
                rank: u8,
            },
            /// Tensor row `op` (an elementwise function or operator) whose operand `taken` is a
            /// temporary that dies with the call, which consumes it: when nothing else holds
            /// it and its buffer has the result's dtype and shape, the result is written
            /// into that buffer and the temporary becomes the result, so a chain such as
            /// `((x - m) / s).exp()` allocates one buffer (SPEC §8 issue, item 2).
            TensorReuse {
                op: Builtin,
                taken: u8,
            },
        }
    };
    (@enum [$($vs:tt)*] $variant:ident - [$($doc:tt)*], $($rest:tt)*) => {
        native_of_rows! { @enum [$($vs)*] $($rest)* }
    };
    (@enum [$($vs:tt)*] $variant:ident $native:ident [$($doc:tt)*], $($rest:tt)*) => {
        native_of_rows! { @enum [$($vs)*
            $($doc)*
            #[doc = concat!("\n\nRuns the registry row `Builtin::", stringify!($variant), "`.")]
            $native,
        ] $($rest)* }
    };
    // The reverse mapping is a `match` (the VM asks `consumes` on every native call), so
    // the rows without a native are filtered out first.
    (@rev $self:tt [$($arms:tt)*]) => {
        match $self {
            $($arms)*
            Native::DataDims { op, .. } | Native::TensorReuse { op, .. } => Some(op),
            _ => None,
        }
    };
    // The consumed-operand mask of each row's native, computed at compile time from the
    // row's facts: the dispatch loop asks it on every native call.
    (@fact) => { true };
    (@fact $($i:literal),*) => { &[$($i),*] };
    (@mask $self:tt [$($arms:tt)*]) => {
        match $self {
            $($arms)*
            Native::ListTake => CallFacts { needs_vm: false, consumed_mask: 1 },
            Native::MapSet => CallFacts { needs_vm: false, consumed_mask: 0b110 },
            Native::Spawn { .. } => CallFacts { needs_vm: true, consumed_mask: u32::MAX },
            // Its row is an operand, not the variant: asked at run time (tensor rows).
            Native::DataDims { op, .. } => CallFacts {
                needs_vm: op.facts().needs_vm,
                consumed_mask: 0,
            },
            Native::TensorReuse { taken, .. } => CallFacts {
                needs_vm: false,
                consumed_mask: 1 << (taken & 31),
            },
            _ => CallFacts { needs_vm: false, consumed_mask: 0 },
        }
    };
    (@mask $self:tt [$($arms:tt)*] - [$($facts:tt)*], $($rest:tt)*) => {
        native_of_rows!(@mask $self [$($arms)*] $($rest)*)
    };
    (@mask $self:tt [$($arms:tt)*] $native:ident [$($fact:ident $(= [$($i:literal),*])?),*], $($rest:tt)*) => {
        native_of_rows!(@mask $self [$($arms)* Native::$native => const {
            let facts = BuiltinFacts {
                $($fact: native_of_rows!(@fact $($($i),*)?),)*
                ..BuiltinFacts::NONE
            };
            CallFacts { needs_vm: facts.needs_vm, consumed_mask: mask_of(facts.consumes) }
        },] $($rest)*)
    };
    (@rev $self:tt [$($arms:tt)*] $variant:ident -, $($rest:tt)*) => {
        native_of_rows!(@rev $self [$($arms)*] $($rest)*)
    };
    (@rev $self:tt [$($arms:tt)*] $variant:ident $native:ident, $($rest:tt)*) => {
        native_of_rows!(@rev $self [$($arms)* Native::$native => Some(Builtin::$variant),] $($rest)*)
    };
    ($(
        $(#[$doc:meta])*
        $variant:ident: $recv:ident $name:literal $ir:literal $(fn $params:tt -> $ret:tt)?
            => $native:tt [$($fact:ident $(= [$($i:literal),*])?),*];
    )*) => {
        native_of_rows! { @enum [] $($variant $native [$(#[$doc])*],)* }

        impl Native {
            /// The native a checked built-in runs as, or `None` for the rows lowering turns
            /// into plain instructions.
            pub fn of_builtin(b: Builtin) -> Option<Native> {
                match b {
                    $(Builtin::$variant => native_of_rows!(@some $native),)*
                }
            }

            /// The registry row this native runs, or `None` for the forms only lowering
            /// emits (`Format`, `ArgsView`, `ListTake`, `MapIndex`, `DatasetColumnView`,
            /// `MapSet`, `Spawn`).
            pub fn builtin(self) -> Option<Builtin> {
                native_of_rows!(@rev self [] $($variant $native,)*)
            }

            /// What the dispatch loop asks on every call of a native: [`Native::needs_vm`]
            /// and [`Native::consumes`] for operands 0 to 31 as a bit mask (bit i: operand
            /// i). One `match` arm per native with both computed at compile time from its
            /// row: asking the registry at run time (a `match` to the row, another to its
            /// facts) cost a string workload 3% to 7% of its instructions.
            #[inline]
            pub fn call_facts(self) -> CallFacts {
                native_of_rows!(@mask self [] $($native [$($fact $(= [$($i),*])?),*],)*)
            }
        }
    };
}

stark_syntax::builtin_rows!(native_of_rows);

/// The facts of a native the dispatch loop needs on every call ([`Native::call_facts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallFacts {
    /// [`Native::needs_vm`].
    pub needs_vm: bool,
    /// [`Native::consumed_mask`].
    pub consumed_mask: u32,
}

// By hand: the variants come from the registry's rows, which know nothing of a default.
#[allow(clippy::derivable_impls)]
impl Default for Native {
    fn default() -> Native {
        Native::Print
    }
}

impl Native {
    /// Whether operand `index` is taken over (moved in) rather than viewed: the row's
    /// `consumes`, and by hand for the forms only lowering emits.
    pub fn consumes(self, index: usize) -> bool {
        if let Native::TensorReuse { taken, .. } = self {
            return index == usize::from(taken & 31);
        }
        if let Some(b) = self.builtin() {
            return b.consumes(index);
        }
        match self {
            Native::ListTake => index == 0,
            Native::MapSet => index == 1 || index == 2,
            // Every argument is sent; the quota (an Int) has nothing to take over.
            Native::Spawn { .. } => true,
            _ => false,
        }
    }

    /// [`Native::consumes`] for operands 0 to 31 as a bit mask (bit i: operand i).
    #[inline]
    pub fn consumed_mask(self) -> u32 {
        self.call_facts().consumed_mask
    }

    /// Whether the native may release a reference (and so free objects and run
    /// destructors): the row's `releases`, and by hand for the forms only lowering emits.
    pub fn releases(self) -> bool {
        // It frees the temporary it took when the result could not be written into it.
        if let Native::TensorReuse { .. } = self {
            return true;
        }
        if let Some(b) = self.builtin() {
            return b.facts().releases;
        }
        matches!(
            self,
            Native::ListTake | Native::MapSet | Native::Spawn { .. }
        )
    }

    /// Whether the VM runs it itself rather than `natives::call` (it runs destructors or
    /// other frames): the row's `needs_vm`, and `spawn`.
    #[inline]
    pub fn needs_vm(self) -> bool {
        self.call_facts().needs_vm
    }

    /// The name `stark ir` prints.
    pub fn name(self) -> &'static str {
        if let Some(b) = self.builtin() {
            return b.ir_name();
        }
        match self {
            Native::Format => "format",
            Native::PrintFormat => "print_format",
            Native::FormatSpecs { .. } => "format_specs",
            Native::PrintFormatSpecs { .. } => "print_format_specs",
            Native::StrIndex => "str.index",
            Native::StrSlice => "str.slice",
            Native::ListSlice => "list.slice",
            Native::StrRepeat => "str.repeat",
            Native::StrNextByte => "str.next_byte",
            Native::StrCharAtByte => "str.char_at_byte",
            Native::ArgsView => "args_view",
            Native::ListTake => "list.take",
            Native::MapIndex => "map.index",
            Native::DatasetColumnView => "dataset.column_view",
            Native::SortByKeys => "list.sort_by_keys",
            Native::KeyBest { max: false } => "list.min_key_index",
            Native::KeyBest { max: true } => "list.max_key_index",
            Native::MapSet => "map.set",
            Native::Spawn { .. } => "spawn",
            _ => unreachable!("{self:?} has a registry row"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_consumed_mask_agrees_with_consumes() {
        let hand = [
            Native::ListTake,
            Native::MapSet,
            Native::Format,
            Native::ArgsView,
            Native::DatasetColumnView,
            Native::FormatSpecs { fmt: 0 },
            Native::StrIndex,
            Native::StrSlice,
            Native::ListSlice,
            Native::StrRepeat,
            Native::StrNextByte,
            Native::StrCharAtByte,
            Native::SortByKeys,
            Native::KeyBest { max: true },
            Native::TensorReuse {
                op: Builtin::TensorAdd,
                taken: 1,
            },
            Native::TensorReuse {
                op: Builtin::TensorExp,
                taken: 0,
            },
        ];
        let rows = Builtin::ROWS.iter().filter_map(|&b| Native::of_builtin(b));
        for n in rows.chain(hand) {
            let mask = n.consumed_mask();
            for i in 0..32 {
                assert_eq!(mask & (1 << i) != 0, n.consumes(i), "{n:?} operand {i}");
            }
            let needs_vm = match n.builtin() {
                Some(b) => b.facts().needs_vm,
                None => matches!(n, Native::Spawn { .. }),
            };
            assert_eq!(n.call_facts().needs_vm, needs_vm, "{n:?} needs_vm");
        }
    }

    #[test]
    fn every_row_maps_to_a_native_that_maps_back_and_shares_its_facts() {
        for &b in Builtin::ROWS {
            let Some(n) = Native::of_builtin(b) else {
                // Lowering emits plain instructions for these (`stark_lower/src/call.rs`).
                assert!(
                    matches!(
                        b,
                        Builtin::Identity
                            | Builtin::IntToFloat
                            | Builtin::ListNew
                            | Builtin::MapNew
                            | Builtin::Clone
                    ),
                    "{b:?} has no native and no lowering of its own"
                );
                continue;
            };
            assert_eq!(n.builtin(), Some(b), "{n:?} maps back to another row");
            assert_eq!(n.name(), b.ir_name());
            assert_eq!(n.releases(), b.facts().releases, "{b:?}");
            assert_eq!(n.needs_vm(), b.facts().needs_vm, "{b:?}");
            for i in 0..4 {
                assert_eq!(n.consumes(i), b.consumes(i), "{b:?} operand {i}");
            }
        }
    }

    #[test]
    fn the_rc_pass_sees_what_the_rows_say() {
        // `rc_opt` and the optimisers read a call's facts from the instruction table,
        // which reads `Native::releases`: a row that releases must make its call release.
        for &b in Builtin::ROWS {
            if let Some(native) = Native::of_builtin(b) {
                let call = crate::Instr::CallNative {
                    dst: 0,
                    native,
                    args: 0,
                    argc: 0,
                };
                assert_eq!(call.facts().release, b.facts().releases, "{b:?}");
            }
        }
    }
}
