//! The abstract syntax tree. Every node carries a span; every expression carries an
//! `ExprId` (dense, unique within one program) that later stages key their side tables on.

use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExprId(pub u32);

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct Program {
    pub items: Vec<Item>,
    /// One more than the largest `ExprId` handed out.
    pub expr_count: u32,
    /// Every syntax error lies inside a function body that still parsed (`FnDecl::broken`):
    /// every item, signature and struct is whole, so the other functions can be checked.
    pub items_intact: bool,
    /// Spans of the file's comments in source order: the tree leaves them out, a formatter
    /// puts them back (`lexer::Lexed::comments`).
    pub comments: Vec<Span>,
    /// Warnings about the file (W0101): printed on stderr, never a change of the exit
    /// status, and kept apart from the errors `parse` returns.
    pub warnings: Vec<crate::Diagnostic>,
    /// The file's `import` and `from … import` lines, in order (SPEC §7); the driver
    /// follows them to load the other files.
    pub imports: Vec<Import>,
    /// Set by the driver when it joins the files of a program into one: the dotted module
    /// name of each file, indexed by `FileId` (the entry file's is empty, so its names stay
    /// bare). Empty for a one-file program.
    pub modules: Vec<String>,
    /// The type arguments written on a called name, `Pair<Int, String>(1, "a")` (SPEC §7),
    /// keyed by the `Name` expression: a side table, so that every pass that walks names
    /// keeps working unchanged.
    pub type_args: std::collections::HashMap<ExprId, Vec<TypeExpr>>,
}

/// `import a.b`, `import a.b as c`, `from a.b import X, Y` (SPEC §7).
#[derive(Clone, Debug)]
pub struct Import {
    /// The dotted module path, one identifier a segment.
    pub path: Vec<Ident>,
    /// `as c`; without it `import a.b` binds `a.b` (used as `a.b.name`).
    pub alias: Option<Ident>,
    /// The names a `from … import` brings in unqualified; `None` for a plain `import`.
    pub names: Option<Vec<Ident>>,
    pub span: Span,
}

impl Import {
    /// `shapes.circle`.
    pub fn module(&self) -> String {
        let parts: Vec<&str> = self.path.iter().map(|i| i.name.as_str()).collect();
        parts.join(".")
    }

    /// From the first segment to the last.
    pub fn path_span(&self) -> Span {
        match (self.path.first(), self.path.last()) {
            (Some(a), Some(b)) => a.span.to(b.span),
            _ => self.span,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Item {
    Fn(FnDecl),
    Struct(StructDecl),
    Enum(EnumDecl),
    Const(ConstDecl),
}

#[derive(Clone, Debug)]
pub struct FnDecl {
    pub name: Ident,
    /// `fn first<T>(…)`: the type parameters (SPEC §7); empty for most functions.
    pub type_params: Vec<Ident>,
    pub params: Vec<Param>,
    pub ret: Option<TypeExpr>,
    pub body: Block,
    /// `@destructor` was written before `fn`.
    pub is_destructor: bool,
    /// From `fn` to the end of the signature (the `:`), for diagnostics about the function.
    pub span: Span,
    /// Its body had a syntax error (reported; the broken statements are kept as partial
    /// nodes with `ExprKind::Error` parts): the checker types the body, error nodes
    /// silently, but runs no memory rule on it and does not ask for a missing `return`.
    pub broken: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamMode {
    /// `name: T` — the caller moves (or shares, for a non-local) the value in.
    Owned,
    /// `&name: T` — borrowed, read-only, no refcount traffic (M11).
    Borrowed,
    /// `&mutable name: T` (or `&mut name: T`) — borrowed, may be mutated through.
    BorrowedMut,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: Ident,
    /// `None` only for `self` / `&self` / `&mutable self`.
    pub ty: Option<TypeExpr>,
    pub mode: ParamMode,
    /// `scale: Float = 1.0`: the default value, a constant expression evaluated at each
    /// call that leaves the argument out.
    pub default: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct StructDecl {
    pub name: Ident,
    /// `struct Pair<A, B>:`.
    pub type_params: Vec<Ident>,
    pub fields: Vec<FieldDecl>,
    pub methods: Vec<FnDecl>,
    pub span: Span,
}

/// `enum Shape:` with one variant a line, then methods as in a struct (SPEC §6).
#[derive(Clone, Debug)]
pub struct EnumDecl {
    pub name: Ident,
    /// `enum Tree<T>:`.
    pub type_params: Vec<Ident>,
    pub variants: Vec<VariantDecl>,
    pub methods: Vec<FnDecl>,
    pub span: Span,
}

/// `Circle(radius: Float)`, `Empty`: a variant and its payload fields.
#[derive(Clone, Debug)]
pub struct VariantDecl {
    pub name: Ident,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ConstDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TypeExpr {
    /// `Int`, `List<Int>`, `Map<String, Int>`, `Node`.
    Named {
        name: Ident,
        args: Vec<TypeExpr>,
        span: Span,
    },
    /// `T?`
    Optional(Box<TypeExpr>, Span),
    /// `(A, B)`, `(A,)`.
    Tuple(Vec<TypeExpr>, Span),
    /// `Fn(Int, Float) -> Bool`; `ret` is `None` for `Fn(String)`, which returns nothing.
    Fn {
        params: Vec<TypeExpr>,
        ret: Option<Box<TypeExpr>>,
        span: Span,
    },
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named { span, .. }
            | TypeExpr::Optional(_, span)
            | TypeExpr::Tuple(_, span)
            | TypeExpr::Fn { span, .. } => *span,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum StmtKind {
    /// `let x = e`, `immutable let x = e`, `mutable let x: T = e`, `mut let x = e`.
    Let {
        name: Ident,
        mutable: bool,
        ty: Option<TypeExpr>,
        value: Expr,
    },
    /// `target = value`, or `target op= value` when `op` is `Some` (`+= -= *= /= %=`).
    /// The parser accepts any expression as target; the checker rejects non-places (E0070).
    Assign {
        target: Expr,
        op: Option<BinOp>,
        value: Expr,
    },
    Expr(Expr),
    /// `if c: … elif c: … else: …` — `branches` holds the `if` and each `elif` in order.
    If {
        branches: Vec<(Expr, Block)>,
        else_block: Option<Block>,
    },
    While {
        cond: Expr,
        body: Block,
    },
    /// `let (a, b) = e`, `let a, b = e`, `mutable let (a, (b, c)) = e`: unpacks a tuple.
    LetTuple {
        pattern: Pattern,
        mutable: bool,
        value: Expr,
    },
    /// `for var in iter:` — `iter` is usually `range(…)`, a list, or `map.keys()`;
    /// `for i, x in enumerate(xs):` unpacks each element. `for mutable var in iter:` lets
    /// the body mutate each element through the variables.
    For {
        var: Pattern,
        mutable: bool,
        iter: Expr,
        body: Block,
    },
    Break,
    Continue,
    Return(Option<Expr>),
    /// `arena NAME:` block (M10).
    Arena {
        name: Ident,
        body: Block,
    },
    /// `pass` — an empty statement, as in Python.
    Pass,
    /// `match subject:` with its `case` arms, tried in order (SPEC §6).
    Match {
        subject: Expr,
        arms: Vec<MatchArm>,
    },
}

/// `case PATTERN if GUARD:` and its block.
#[derive(Clone, Debug)]
pub struct MatchArm {
    pub pattern: CasePattern,
    pub guard: Option<Expr>,
    pub body: Block,
    /// From `case` to the `:`.
    pub span: Span,
}

/// A pattern of a `case` (SPEC §6). What a bare name means (a binding, or a unit variant
/// of the enum at that position) is the checker's decision.
#[derive(Clone, Debug)]
pub enum CasePattern {
    /// `_`
    Wild(Span),
    /// `x`, or a unit variant written bare (`Empty`).
    Name(Ident),
    /// `0`, `-1`, `"a"`, `true`, `None`, `1.5`.
    Literal(Expr),
    /// `Circle(r)`, `Shape.Rect(w, h)`, `Rect(w=w)`, `Shape.Empty`, `Ok(v)`: the path
    /// names the variant (with its enum or bare); `parens` says whether `(…)` followed.
    Variant {
        path: Vec<Ident>,
        args: Vec<CaseField>,
        parens: bool,
        span: Span,
    },
    /// `(0, y)`
    Tuple(Vec<CasePattern>, Span),
    /// `1 | 2 | 3`
    Or(Vec<CasePattern>, Span),
}

/// One payload pattern of a variant pattern, by position or by field name (`w=w`).
#[derive(Clone, Debug)]
pub struct CaseField {
    pub name: Option<Ident>,
    pub pattern: CasePattern,
}

impl CasePattern {
    pub fn span(&self) -> Span {
        match self {
            CasePattern::Wild(s) => *s,
            CasePattern::Name(n) => n.span,
            CasePattern::Literal(e) => e.span,
            CasePattern::Variant { span, .. } => *span,
            CasePattern::Tuple(_, s) | CasePattern::Or(_, s) => *s,
        }
    }
}

/// What a `let` or `for` binds: a name, or a tuple of patterns to unpack into.
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    Name(Ident),
    Tuple(Vec<Pattern>, Span),
}

impl Pattern {
    pub fn span(&self) -> Span {
        match self {
            Pattern::Name(n) => n.span,
            Pattern::Tuple(_, span) => *span,
        }
    }

    /// The names it binds, left to right.
    pub fn names(&self) -> Vec<&Ident> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(p) = stack.pop() {
            match p {
                Pattern::Name(n) => out.push(n),
                Pattern::Tuple(parts, _) => stack.extend(parts.iter().rev()),
            }
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    MatMul,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    /// `x in xs`: list element, map key or substring.
    In,
    /// `x not in xs`.
    NotIn,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::MatMul => "@",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub id: ExprId,
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    /// Whether this is an error node left by parser recovery.
    pub fn is_error(&self) -> bool {
        matches!(self.kind, ExprKind::Error(_))
    }
}

/// A list (no `key`) or map comprehension. Its loop variable borrows each element, as in
/// `for`; `elem` (and `key`) are evaluated once per element that passes `cond`.
#[derive(Clone, Debug)]
pub struct Comprehension {
    pub key: Option<Expr>,
    pub elem: Expr,
    pub var: Pattern,
    pub iter: Expr,
    pub cond: Option<Expr>,
}

#[derive(Clone, Debug)]
pub struct Arg {
    /// `Some` for keyword arguments: `seed=1`, `left=None`, `quota=…`.
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Clone, Debug)]
pub enum FStrPart {
    Lit(String),
    Expr(Expr),
    /// The conversion of the `Expr` part before it (`{s!r}`; `{x=}` has `!r` too).
    Conv(crate::format_spec::Conversion),
    /// The format spec of the `Expr` part before it (`{x:.2f}`), parsed; its span is
    /// the spec's text.
    Spec(Box<crate::format_spec::FormatSpec>, Span),
    /// A format spec with nested fields (`{x:>{w}.{p}f}`) for the `Expr` part before it,
    /// built when the f-string runs. The fields are evaluated
    /// after that expression, left to right, as in Python.
    NestedSpec {
        pieces: Vec<SpecPart>,
        span: Span,
        /// The spec as written, for messages.
        text: String,
    },
}

/// A piece of a spec with nested fields.
#[derive(Clone, Debug)]
pub enum SpecPart {
    Lit(String),
    /// `{w}`, with its conversion and its own (plain) spec.
    Field {
        expr: Expr,
        conv: Option<crate::format_spec::Conversion>,
        spec: Option<(Box<crate::format_spec::FormatSpec>, Span)>,
    },
}

impl FStrPart {
    /// The expressions in this part, in evaluation order: the hole's, or its spec's
    /// nested fields'.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        let (one, nested) = match self {
            FStrPart::Expr(e) => (Some(e), None),
            FStrPart::NestedSpec { pieces, .. } => (None, Some(pieces)),
            FStrPart::Lit(_) | FStrPart::Conv(_) | FStrPart::Spec(..) => (None, None),
        };
        one.into_iter()
            .chain(nested.into_iter().flatten().filter_map(|p| match p {
                SpecPart::Field { expr, .. } => Some(expr),
                SpecPart::Lit(_) => None,
            }))
    }
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    /// The string with escapes already decoded.
    Str(String),
    /// `f"x = {x}"`: literal pieces (escapes decoded) and embedded expressions.
    FStr(Vec<FStrPart>),
    Bool(bool),
    None,
    /// A bare name: a local, a parameter, a const, a function, a struct, or a built-in
    /// namespace such as `Memory`, `GC`, `Tensor`, `Dataset`, `File`, `WeakRef`, `List`, `Map`.
    Name(String),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Unary(UnOp, Box<Expr>),
    /// Includes `and`/`or` (short-circuiting), `@`, `in` and `not in`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A chain of two or more comparisons, `0 <= x < n`: `first`, then each operator with
    /// its right operand. Each operand is evaluated once, left to right, and the chain
    /// stops at the first comparison that is false (Python's semantics). A single
    /// comparison is a `Binary`.
    Compare {
        first: Box<Expr>,
        rest: Vec<(BinOp, Expr)>,
    },
    /// `then if cond else otherwise`: `cond` first, then one of the arms.
    IfElse {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `callee(args)`; a method call is a `Call` whose callee is a `Field`.
    Call {
        callee: Box<Expr>,
        args: Vec<Arg>,
    },
    /// `base.name`
    Field(Box<Expr>, Ident),
    /// `(a, b)`, `(a,)`, and the bare `a, b` of `return a, b` and `a, b = b, a`.
    Tuple(Vec<Expr>),
    /// `[elem for var in iter if cond]` and `{key: elem for var in iter if cond}`.
    Comp(Box<Comprehension>),
    /// `e?`: the `Ok` value of a `Result` or the value of a `T?`, returning the `Err` or
    /// `None` from the function at once otherwise (SPEC §6).
    Try(Box<Expr>),
    /// `base[i]` or `base[i, j]`; an index may be a `Slice`.
    Index(Box<Expr>, Vec<Expr>),
    /// `lo:hi:step` with each part optional (`xs[1:3]`, `s[::-1]`): only ever an index of
    /// an `Index` expression.
    Slice {
        lo: Option<Box<Expr>>,
        hi: Option<Box<Expr>>,
        step: Option<Box<Expr>>,
    },
    /// `spawn f(a, b)` or `spawn f(a) with quota=N`; `call` is always an `ExprKind::Call`.
    Spawn {
        call: Box<Expr>,
        quota: Option<Box<Expr>>,
    },
    /// What parser recovery puts where a broken expression was: the parts it parsed before
    /// the error (a field access that lost its name keeps its base; an expression followed
    /// by junk on its line is kept whole, since it is not what the line meant), often none.
    /// It has the error type, which unifies with anything silently; the checker types its
    /// parts for tools but reports nothing about them.
    /// `fn(x) => x * 2` (SPEC §7): one expression; a parameter's type may be left out
    /// when the expected `Fn` type gives it.
    Lambda {
        params: Vec<Param>,
        body: Box<Expr>,
    },
    Error(Vec<Expr>),
}
