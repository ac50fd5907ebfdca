//! What the checker hands to lowering: types of every expression and what every name,
//! call, field and index resolved to. Keyed by `ExprId`.

use crate::types::*;
use stark_syntax::ast::{ExprId, ParamMode};
use std::collections::HashMap;

/// A built-in operation the checker resolved a call to: a row of the registry
/// (`stark_syntax::builtin`); lowering maps it to bytecode.
pub use stark_syntax::Builtin;

/// One operand of a resolved call, in the callee's parameter order.
#[derive(Clone, Debug, PartialEq)]
pub enum CallArg {
    /// The receiver of a method call (`recv` in `recv.m(…)`).
    Receiver,
    /// `args[i]` of the call expression.
    Arg(usize),
    /// An omitted optional argument.
    None,
    /// An omitted argument with an Int default (e.g. `range` step 1).
    Int(i64),
    /// An omitted argument with a Bool default.
    Bool(bool),
    /// An omitted argument of a user function whose parameter has a default value:
    /// parameter `i` of the callee (`self` counts). Lowering evaluates the parameter's
    /// default expression at the call, so a list default is a new list each time.
    Default(usize),
}

/// The expression a resolved operand stands for in the call expression `call`: its
/// receiver or one of its arguments (`None` for an omitted argument with a default).
pub fn call_operand<'e>(
    call: &'e stark_syntax::ast::Expr,
    arg: &CallArg,
) -> Option<&'e stark_syntax::ast::Expr> {
    use stark_syntax::ast::ExprKind;
    let ExprKind::Call { callee, args } = &call.kind else {
        return None;
    };
    match arg {
        CallArg::Receiver => match &callee.kind {
            ExprKind::Field(recv, _) => Some(recv),
            _ => None,
        },
        CallArg::Arg(i) => args.get(*i).map(|a| &a.value),
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum CallRes {
    /// A user function or method; for a method the receiver is `CallArg::Receiver`.
    Fn {
        func: FuncId,
        args: Vec<CallArg>,
    },
    /// Struct construction; `args[i]` initialises field `i`.
    Ctor {
        ty: StructId,
        args: Vec<CallArg>,
    },
    Builtin {
        op: Builtin,
        args: Vec<CallArg>,
    },
    /// A call of a function value (SPEC §7): the callee is an expression of type `Fn`;
    /// every argument is passed owned.
    Value {
        args: Vec<CallArg>,
    },
    /// A list's higher-order method or a call with `key=` (SPEC §7): the list, the
    /// function, then `reduce`'s initial value or the sorts' `reverse` (`false` for
    /// `min`/`max`). Lowered to a loop that calls the function value.
    ListFn {
        op: ListFn,
        args: Vec<CallArg>,
    },
}

/// `xs.map(f)`, `xs.filter(f)`, `xs.any(f)`, `xs.all(f)`, `xs.reduce(f, init)`, and the
/// calls with `key=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFn {
    Map,
    Filter,
    Any,
    All,
    Reduce,
    /// `xs.sort(key=f, reverse=…)`, in place.
    SortKey,
    /// `sorted(xs, key=f, reverse=…)`.
    SortedKey,
    /// `min(xs, key=f)`.
    MinKey,
    /// `max(xs, key=f)`.
    MaxKey,
}

impl ListFn {
    /// The list methods that take a function, by name (typed by hand, not registry rows).
    pub const METHODS: [(&'static str, ListFn); 5] = [
        ("map", ListFn::Map),
        ("filter", ListFn::Filter),
        ("any", ListFn::Any),
        ("all", ListFn::All),
        ("reduce", ListFn::Reduce),
    ];

    pub fn by_name(name: &str) -> Option<ListFn> {
        Self::METHODS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, f)| f)
    }

    /// The form a call with `key=` takes: the method `sort` (`method`), or the free
    /// functions `sorted`, `min`, `max`.
    pub fn keyed(name: &str, method: bool) -> Option<ListFn> {
        Some(match (name, method) {
            ("sort", true) => ListFn::SortKey,
            ("sorted", false) => ListFn::SortedKey,
            ("min", false) => ListFn::MinKey,
            ("max", false) => ListFn::MaxKey,
            _ => return None,
        })
    }
}

/// A lambda (SPEC §7): the function its body became and what it captures, each as
/// (the enclosing function's local, the lambda's local that reads it).
#[derive(Clone, Debug)]
pub struct LambdaRes {
    pub func: FuncId,
    pub captures: Vec<(LocalId, LocalId)>,
    /// The body, for lowering its function.
    pub body: stark_syntax::ast::Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRes {
    Local(LocalId),
    Const(usize),
    /// A top-level function named without a call: a value of its `Fn` type (SPEC §7).
    Func(FuncId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexRes {
    List,
    Map,
    /// `s[i]` on a String: the code point at `i` (negative from the end), a new String.
    Str,
    /// `s[a:b:c]` on a String: a new String.
    StrSlice,
    /// `xs[a:b:c]` on a List: a new list sharing the elements.
    ListSlice,
    /// `t[…]` on a Tensor (Ints, slices or a bool mask): a Tensor, a view or (a mask) a
    /// copy.
    Tensor,
    /// `t[i, j, …]` with Int indices where a Float is expected: one element read in place.
    TensorFloat,
    /// The same where an Int is expected (an int64 or bool tensor).
    TensorInt,
    /// `d["name"]` on a Dataset: the column, shared.
    Dataset,
}

/// How a `for` loop iterates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForRes {
    /// `for i in range(a, b[, step])`: a counter loop, no list built.
    Range { var: LocalId },
    /// Over the elements of a `List` (including `map.keys()`, which builds one).
    List { var: LocalId },
    /// Over the characters (code points) of a `String`, each a new one-character String.
    Str { var: LocalId },
}

#[derive(Clone, Debug, Default)]
pub struct Checked {
    pub structs: Vec<StructDef>,
    /// Enums; entry 0 is the built-in `Result<T, E>` ([`RESULT`]).
    pub enums: Vec<EnumDef>,
    /// Every `match` statement, keyed by the ExprId of its subject.
    pub matches: HashMap<ExprId, MatchRes>,
    /// Warnings (W0102): printed, never a change of the exit status.
    pub warnings: Vec<stark_syntax::Diagnostic>,
    pub functions: Vec<FnInfo>,
    pub locals: Vec<LocalInfo>,
    pub consts: Vec<ConstInfo>,
    pub main: Option<FuncId>,
    /// Fully resolved type of every expression.
    pub expr_ty: Vec<Ty>,
    pub names: HashMap<ExprId, NameRes>,
    pub calls: HashMap<ExprId, CallRes>,
    /// The type arguments of every call of a generic function or method (SPEC §7), by the
    /// call's ExprId, in the callee's `type_params` order. In a generic body they may name
    /// its own parameters (`Ty::Param`), which lowering substitutes per instance.
    pub type_args: HashMap<ExprId, Vec<Ty>>,
    /// Every lambda expression.
    pub lambdas: HashMap<ExprId, LambdaRes>,
    /// Lambdas that take their heap captures over (moved in, M1) rather than share them.
    pub moving_lambdas: std::collections::HashSet<ExprId>,
    /// Field accesses: the field's index (the base is unwrapped if optional).
    pub fields: HashMap<ExprId, usize>,
    pub indexes: HashMap<ExprId, IndexRes>,
    /// Tensor expressions used where a Float or an Int is expected (SPEC §8: a one-element
    /// tensor converts): the type they convert to. Their recorded type is that type.
    pub tensor_scalars: HashMap<ExprId, Ty>,
    /// `t.T` field expressions on tensors (the axes reversed, a view).
    pub tensor_t: std::collections::HashSet<ExprId>,
    /// Constants of a namespace (`math.pi`): the field expression's value.
    pub float_consts: HashMap<ExprId, f64>,
    /// `let` statements, keyed by the ExprId of their initialiser.
    pub lets: HashMap<ExprId, LocalId>,
    /// `for` statements, keyed by the ExprId of their iterable.
    pub fors: HashMap<ExprId, ForRes>,
    /// The locals a tuple pattern binds, in `Pattern::names` order: a `let (a, b) = e`
    /// keyed by `e`'s ExprId, a `for a, b in e` by `e`'s (its `ForRes` var is then the
    /// hidden element the names unpack).
    pub patterns: HashMap<ExprId, Vec<LocalId>>,
    /// Values of `a, b = …` assignments (by ExprId): the targets are unpacked from them.
    pub tuple_assigns: std::collections::HashSet<ExprId>,
    /// Tuple expressions `(a, b)`, for the escape analysis (M9).
    pub tuples: std::collections::HashSet<ExprId>,
    /// Struct constructions escape analysis proved local to their function (M9).
    pub stack_allocs: std::collections::HashSet<ExprId>,
    /// Bindings that may be moved out of, reassigned, cloned or weakly referenced (the move
    /// checker's escape set). An immutable binding outside it keeps the same object from
    /// its `let` to the end of its scope.
    pub escaping_locals: std::collections::HashSet<LocalId>,
    /// Bindings moved out of or reassigned somewhere in their function: a lambda that does
    /// not escape borrows its captures (no count) only when none is one of these (SPEC §7).
    pub unstable_locals: std::collections::HashSet<LocalId>,
    /// Functions (by `FuncId`) whose body had a syntax or type error: the memory rules
    /// (moves, borrows, arenas) are checked only on the others, so each mistake is
    /// reported once and never through a cascade.
    pub failed: std::collections::HashSet<FuncId>,
    /// What the move checker saw at every use of a binding (for tools: hover shows a
    /// binding as moved at line N).
    pub move_facts: MoveFacts,
}

/// The move checker's view of each use of a binding by name: whether the use moves the
/// value, and whether the value was already moved (on every path or on some) when the
/// use is reached. Only functions the memory rules ran on (not `failed`) have entries.
#[derive(Clone, Debug, Default)]
pub struct MoveFacts {
    /// By the use's span, in source order.
    pub uses: Vec<NameUse>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NameUse {
    pub span: stark_syntax::Span,
    pub local: LocalId,
    /// The use hands the value over (the binding moves here).
    pub moves: bool,
    /// Where the value had been moved when the use is reached, if it had.
    pub moved_at: Vec<stark_syntax::Span>,
    /// `moved_at` holds on some paths only.
    pub maybe: bool,
}

impl MoveFacts {
    /// The use whose name covers byte `offset` of file `file`.
    pub fn use_at(&self, file: stark_syntax::FileId, offset: u32) -> Option<&NameUse> {
        self.uses
            .iter()
            .find(|u| u.span.file == file && u.span.start <= offset && offset <= u.span.end)
    }

    /// Where `local` is moved out of, in source order.
    pub fn moves_of(&self, local: LocalId) -> impl Iterator<Item = stark_syntax::Span> + '_ {
        self.uses
            .iter()
            .filter(move |u| u.local == local && u.moves)
            .map(|u| u.span)
    }
}

impl Checked {
    pub fn ty(&self, id: ExprId) -> &Ty {
        &self.expr_ty[id.0 as usize]
    }

    pub fn local(&self, id: LocalId) -> &LocalInfo {
        &self.locals[id as usize]
    }

    pub fn param_modes(&self, func: FuncId) -> Vec<ParamMode> {
        self.functions[func as usize]
            .params
            .iter()
            .map(|p| p.mode)
            .collect()
    }

    /// The default value of parameter `param` (`self` counts) of function `func`, as
    /// written in its declaration.
    pub fn param_default<'p>(
        &self,
        program: &'p stark_syntax::ast::Program,
        func: FuncId,
        param: usize,
    ) -> Option<&'p stark_syntax::ast::Expr> {
        let decl = self.functions.get(func as usize)?.decl(program)?;
        decl.params.get(param)?.default.as_ref()
    }

    /// Whether `s` (an entry of `structs`) lays out an enum variant.
    pub fn is_variant_layout(&self, s: &StructDef) -> bool {
        self.enums
            .iter()
            .flat_map(|e| &e.variants)
            .any(|v| std::ptr::eq(&self.structs[v.strukt as usize], s))
    }

    pub fn display<'a>(&'a self, ty: &'a Ty) -> TyDisplay<'a> {
        TyDisplay {
            ty,
            structs: &self.structs,
            enums: &self.enums,
            params: &[],
        }
    }
}

/// The built-in `Result<T, E>`: `enums[RESULT]`, variant 0 `Ok(value: T)`, 1 `Err(error: E)`.
pub const RESULT: EnumId = 0;

/// A `case` pattern as the checker resolved it against the subject's type (SPEC §6).
/// Exhaustiveness (`usefulness.rs`) and lowering read this, never the syntax.
#[derive(Clone, Debug, PartialEq)]
pub enum TPat {
    /// `_`, or a part a variant pattern leaves out (`Rect(w=w)` says nothing of `h`).
    Wild,
    /// A name: matches anything at its position (of its type) and binds it.
    Bind(LocalId),
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// `None` on a `T?`.
    None,
    /// Any pattern of `T` used on a `T?`: matches when the value is not `None` and the
    /// value matches the inner pattern (a bare name on a `T?` is `Some(Bind)`).
    Some(Box<TPat>),
    /// A variant of `Ty::Enum(enum_id, _)` and a pattern for each of its fields, in
    /// declaration order.
    Variant {
        enum_id: EnumId,
        variant: u32,
        fields: Vec<TPat>,
    },
    /// A tuple of the subject's arity.
    Tuple(Vec<TPat>),
    /// `p | q | …`: every alternative binds the same names.
    Or(Vec<TPat>),
}

impl TPat {
    /// The locals this pattern binds (an or-pattern's alternatives bind the same ones:
    /// those of the first are listed).
    pub fn binds(&self) -> Vec<LocalId> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(p) = stack.pop() {
            match p {
                TPat::Bind(l) => out.push(*l),
                TPat::Some(inner) => stack.push(inner),
                TPat::Variant { fields: parts, .. } | TPat::Tuple(parts) => {
                    stack.extend(parts.iter().rev())
                }
                TPat::Or(alts) => stack.extend(alts.first()),
                _ => {}
            }
        }
        out
    }
}

/// One `match` statement: its subject's type and each arm's resolved pattern.
#[derive(Clone, Debug)]
pub struct MatchRes {
    pub subject_ty: Ty,
    pub arms: Vec<TPat>,
    /// Some arm matches every value (no `missing` pattern): control cannot pass the
    /// statement without running an arm.
    pub exhaustive: bool,
}

/// Whether a `match` subject is a place (a binding, field or element: borrowed for the
/// statement) rather than a temporary whose parts the arms' names own (SPEC §6).
pub fn is_place(e: &stark_syntax::ast::Expr) -> bool {
    use stark_syntax::ast::ExprKind;
    match &e.kind {
        ExprKind::Name(_) => true,
        ExprKind::Field(base, _) | ExprKind::Index(base, _) => is_place(base),
        _ => false,
    }
}
