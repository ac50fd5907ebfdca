//! Static types and the program-wide tables (structs, functions, locals) the checker builds.

use stark_syntax::ast::ParamMode;
use stark_syntax::Span;
use std::fmt;

pub type StructId = u32;
pub type EnumId = u32;
pub type FuncId = u32;
pub type LocalId = u32;
pub type TyVar = u32;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    Int,
    Float,
    Bool,
    Str,
    /// The result of a function without `-> T`.
    Unit,
    /// The type of the literal `None` before it meets an optional.
    NoneLit,
    List(Box<Ty>),
    Map(Box<Ty>, Box<Ty>),
    /// A struct value, with the type arguments of a generic struct (`Pair<Int, String>`;
    /// empty otherwise). Every instance of a generic struct shares one runtime layout:
    /// fields hold tagged values, so the layout does not depend on the arguments.
    Struct(StructId, Vec<Ty>),
    Optional(Box<Ty>),
    Weak(Box<Ty>),
    /// f32, row-major (SPEC §4); its buffer lives in the `tensor` zone.
    Tensor,
    /// A table of named columns (SPEC §9). Immutable: every operation makes a new one.
    Dataset,
    /// One column of a dataset (an Arrow array), immutable.
    Column,
    /// `d.group_by(key)`: a dataset waiting for its `agg(…)`.
    GroupBy,
    Stream,
    /// `Task<T>` (`spawn f(…)`): a handle to an actor running `f`; `T` is `Unit` for a
    /// function without a return type (`join()` then returns nothing).
    Task(Box<Ty>),
    /// `(A, B)`: an immutable value (SPEC §5). It is kept as a small immutable object
    /// where it must be one value (a list slot, a field, a return value); unpacked
    /// tuples and `for` patterns over `enumerate`/`zip`/`items` never make one.
    Tuple(Vec<Ty>),
    /// A value of an enum (SPEC §6), with its type arguments (`Result<Int, String>` is the
    /// built-in enum `Result` with `[Int, String]`; a user enum has none yet).
    Enum(EnumId, Vec<Ty>),
    /// The `i`th type parameter of the generic definition it appears in (`T` of
    /// `Result<T, E>` in its `Ok` variant's field): replaced by the type argument
    /// ([`Ty::subst`]) wherever a value's type is read.
    Param(u32),
    /// `Fn(A, B) -> R` (SPEC §7): a function value, at run time a closure object (the
    /// function's id and its captures). `R` is `Unit` for `Fn(A)`.
    Fn(Vec<Ty>, Box<Ty>),
    /// An inference variable (`[]`, `Map()`, `None` in a `let`).
    Var(TyVar),
    /// Already reported; accepted everywhere so one mistake gives one diagnostic.
    Error,
}

impl Ty {
    /// Whether values of this type live on the heap and carry a reference count.
    pub fn is_heap(&self) -> bool {
        match self {
            Ty::Str | Ty::List(_) | Ty::Map(..) | Ty::Struct(..) | Ty::Weak(_) => true,
            // A type parameter may stand for a heap type: the checker's rules treat it as
            // one (it moves, like Rust's `T` without `Copy`); lowering sees only concrete
            // types (each instance is lowered with its arguments substituted).
            Ty::Param(_) => true,
            Ty::Tensor | Ty::Dataset | Ty::Stream | Ty::Task(_) | Ty::Tuple(_) => true,
            Ty::Column | Ty::GroupBy => true,
            Ty::Enum(..) | Ty::Fn(..) => true,
            Ty::Optional(inner) => inner.is_heap(),
            _ => false,
        }
    }

    /// Whether a value of this type can hold a reference that something could be stored
    /// into (a struct field, a list or map slot): strings, tensors, datasets, streams,
    /// weak references and tasks cannot.
    pub fn holds_references(&self) -> bool {
        match self {
            Ty::List(_) | Ty::Map(..) | Ty::Struct(..) | Ty::Var(_) | Ty::Error => true,
            Ty::Enum(..) | Ty::Param(_) => true,
            Ty::Optional(inner) => inner.holds_references(),
            Ty::Tuple(parts) => parts.iter().any(Ty::holds_references),
            _ => false,
        }
    }

    /// M1: whether handing a value of this type over (`let b = a`, an owned argument, a
    /// store, a `return`, a send) moves it out of its binding. Strings are immutable, so
    /// they are shared instead (one more reference, or a copy into an actor's heap) and
    /// the old binding stays usable; scalars are copied.
    pub fn moves(&self) -> bool {
        match self {
            // A function value is immutable too: it is shared like a String, and so are
            // datasets and their columns, which no operation changes (SPEC §9 makes new
            // ones), as pandas' copy-on-write semantics promise.
            Ty::Str | Ty::Fn(..) | Ty::Dataset | Ty::Column | Ty::GroupBy => false,
            Ty::Optional(inner) => inner.moves(),
            // An immutable tuple of copied or shared parts is shared like a String (M1).
            Ty::Tuple(parts) => parts.iter().any(Ty::moves),
            other => other.is_heap(),
        }
    }

    /// Whether values of this type may key a map: Int, String, Bool, and tuples of them
    /// (SPEC §5). Unresolved and erroneous types pass, so one mistake is reported once.
    pub fn is_map_key(&self) -> bool {
        match self {
            Ty::Int | Ty::Str | Ty::Bool | Ty::Var(_) | Ty::Error => true,
            Ty::Tuple(parts) => parts.iter().all(Ty::is_map_key),
            _ => false,
        }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Float)
    }

    /// This type with every `Param(i)` replaced by `args[i]` (a parameter without an
    /// argument is left as it is).
    pub fn subst(&self, args: &[Ty]) -> Ty {
        match self {
            Ty::Param(i) => args.get(*i as usize).cloned().unwrap_or(Ty::Param(*i)),
            Ty::List(t) => Ty::List(Box::new(t.subst(args))),
            Ty::Map(k, v) => Ty::Map(Box::new(k.subst(args)), Box::new(v.subst(args))),
            // `T?` with `T = Int?` is `Int?`: `None` already stands for the missing value.
            Ty::Optional(t) => t.subst(args).optional(),
            Ty::Weak(t) => Ty::Weak(Box::new(t.subst(args))),
            Ty::Task(t) => Ty::Task(Box::new(t.subst(args))),
            Ty::Tuple(parts) => Ty::Tuple(parts.iter().map(|p| p.subst(args)).collect()),
            Ty::Enum(id, a) => Ty::Enum(*id, a.iter().map(|p| p.subst(args)).collect()),
            Ty::Struct(id, a) => Ty::Struct(*id, a.iter().map(|p| p.subst(args)).collect()),
            Ty::Fn(ps, r) => Ty::Fn(
                ps.iter().map(|p| p.subst(args)).collect(),
                Box::new(r.subst(args)),
            ),
            other => other.clone(),
        }
    }

    pub fn optional(self) -> Ty {
        match self {
            // `None`'s type already holds `None` (SPEC §6: `Result<None, String>`).
            Ty::Optional(_) | Ty::Error | Ty::Unit => self,
            other => Ty::Optional(Box::new(other)),
        }
    }
}

/// Renders a type the way a user writes it, with struct names filled in.
pub struct TyDisplay<'a> {
    pub ty: &'a Ty,
    pub structs: &'a [StructDef],
    pub enums: &'a [EnumDef],
    /// The names of the type parameters in scope (`Ty::Param(i)` shows as `params[i]`).
    pub params: &'a [String],
}

impl fmt::Display for TyDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (structs, enums) = (self.structs, self.enums);
        let params = self.params;
        let sub = move |ty| TyDisplay {
            ty,
            structs,
            enums,
            params,
        };
        match self.ty {
            Ty::Int => write!(f, "Int"),
            Ty::Float => write!(f, "Float"),
            Ty::Bool => write!(f, "Bool"),
            Ty::Str => write!(f, "String"),
            // SPEC §6: `None` names the type of a function without `-> T`.
            Ty::Unit => write!(f, "None"),
            Ty::NoneLit => write!(f, "None"),
            Ty::List(t) => write!(f, "List<{}>", sub(t)),
            Ty::Map(k, v) => write!(f, "Map<{}, {}>", sub(k), sub(v)),
            Ty::Struct(id, args) | Ty::Enum(id, args) => {
                let name = match self.ty {
                    Ty::Struct(..) => structs.get(*id as usize).map(|s| s.name.as_str()),
                    _ => enums.get(*id as usize).map(|e| e.name.as_str()),
                };
                write!(f, "{}", name.unwrap_or("?"))?;
                for (i, a) in args.iter().enumerate() {
                    write!(f, "{}{}", if i == 0 { "<" } else { ", " }, sub(a))?;
                }
                if !args.is_empty() {
                    write!(f, ">")?;
                }
                Ok(())
            }
            Ty::Optional(t) => write!(f, "{}?", sub(t)),
            Ty::Weak(t) => write!(f, "WeakRef<{}>", sub(t)),
            Ty::Tensor => write!(f, "Tensor"),
            Ty::Dataset => write!(f, "Dataset"),
            Ty::Column => write!(f, "Column"),
            Ty::GroupBy => write!(f, "GroupBy"),
            Ty::Stream => write!(f, "Stream"),
            Ty::Task(t) => write!(f, "Task<{}>", sub(t)),
            Ty::Tuple(parts) => {
                write!(f, "(")?;
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{}", sub(p))?;
                }
                if parts.len() == 1 {
                    write!(f, ",")?;
                }
                write!(f, ")")
            }
            Ty::Fn(params, ret) => {
                write!(f, "Fn(")?;
                for (i, p) in params.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{}", sub(p))?;
                }
                write!(f, ")")?;
                if **ret != Ty::Unit {
                    write!(f, " -> {}", sub(ret))?;
                }
                Ok(())
            }
            Ty::Param(i) => match self.params.get(*i as usize) {
                Some(name) => write!(f, "{name}"),
                None => write!(f, "T{i}"),
            },
            Ty::Var(_) => write!(f, "_"),
            Ty::Error => write!(f, "{{error}}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct FieldDef {
    pub name: String,
    pub ty: Ty,
}

#[derive(Clone, Debug)]
pub struct StructDef {
    pub name: String,
    /// Type parameter names of a generic struct (`A`, `B` of `Pair<A, B>`); field types
    /// refer to them as `Ty::Param`.
    pub params: Vec<String>,
    pub fields: Vec<FieldDef>,
    /// Method name -> function.
    pub methods: Vec<(String, FuncId)>,
    pub destructor: Option<FuncId>,
    /// Built-in (MemoryStats, ZoneStats, TypeUsage): the runtime builds these, users cannot.
    pub builtin: bool,
    pub span: Span,
}

impl StructDef {
    pub fn field(&self, name: &str) -> Option<(usize, &FieldDef)> {
        self.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }

    pub fn method(&self, name: &str) -> Option<FuncId> {
        self.methods
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| *f)
    }
}

/// An enum (SPEC §6). Each variant is laid out as a struct of its own (`structs[strukt]`,
/// named `Shape.Circle`, its fields the payload; field types may be `Ty::Param`), so a
/// value of the enum is an object whose type says which variant it is.
#[derive(Clone, Debug)]
pub struct EnumDef {
    pub name: String,
    /// Type parameter names (`T`, `E` of the built-in `Result`); empty for user enums.
    pub params: Vec<String>,
    pub variants: Vec<VariantDef>,
    /// Method name -> function.
    pub methods: Vec<(String, FuncId)>,
    pub destructor: Option<FuncId>,
    /// `Result`: its variants are named bare (`Ok(v)`, `Err(e)`).
    pub builtin: bool,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct VariantDef {
    pub name: String,
    /// The struct that lays out this variant's payload.
    pub strukt: StructId,
}

impl EnumDef {
    pub fn variant(&self, name: &str) -> Option<(usize, &VariantDef)> {
        self.variants
            .iter()
            .enumerate()
            .find(|(_, v)| v.name == name)
    }

    pub fn method(&self, name: &str) -> Option<FuncId> {
        self.methods
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| *f)
    }
}

impl FnInfo {
    /// The declaration of this function or method in the program's items.
    pub fn decl<'p>(
        &self,
        program: &'p stark_syntax::ast::Program,
    ) -> Option<&'p stark_syntax::ast::FnDecl> {
        use stark_syntax::ast::Item;
        if self.lambda.is_some() {
            return None;
        }
        match (program.items.get(self.item)?, self.method) {
            (Item::Fn(f), None) => Some(f),
            (Item::Struct(s), Some(m)) => s.methods.get(m),
            (Item::Enum(en), Some(m)) => en.methods.get(m),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ParamInfo {
    pub name: String,
    pub ty: Ty,
    pub mode: ParamMode,
    pub local: LocalId,
    /// Declared with a default value (`scale: Float = 1.0`): a call may leave it out.
    pub has_default: bool,
}

#[derive(Clone, Debug)]
pub struct FnInfo {
    /// `main`, or `Node.area` for a method.
    pub name: String,
    pub params: Vec<ParamInfo>,
    pub ret: Ty,
    /// For a method, the struct it belongs to (its first parameter is `self`).
    pub owner: Option<StructId>,
    /// Where the declaration sits: `items[item]`, and for a method `methods[method]`.
    pub item: usize,
    pub method: Option<usize>,
    /// Every local of the body, parameters first.
    pub locals: Vec<LocalId>,
    pub span: Span,
    /// Type parameter names (SPEC §7): `T` of `fn first<T>`; for a method of a generic
    /// struct or enum, the owner's first, then its own. A function with any is generic:
    /// lowering makes one instance per list of type arguments it is called with.
    pub type_params: Vec<String>,
    /// For a lambda's function, the lambda expression (it has no declaration; its first
    /// parameter is the closure itself, read for the captures).
    pub lambda: Option<stark_syntax::ast::ExprId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalKind {
    Param(ParamMode),
    Let,
    /// A `for` loop variable: it borrows each element (M11). `for mutable x` makes it
    /// `mutable`: the body may mutate the element through it, never rebind it.
    ForVar,
    /// A name bound by a `case` pattern: it reads its part of the subject like a field,
    /// and using it as an owner shares that part (SPEC §6).
    CaseBind,
}

#[derive(Clone, Debug)]
pub struct LocalInfo {
    pub name: String,
    pub ty: Ty,
    pub mutable: bool,
    pub kind: LocalKind,
    pub span: Span,
}

impl LocalInfo {
    /// Borrowed parameters and loop variables do not own their value.
    pub fn is_borrowed(&self) -> bool {
        matches!(
            self.kind,
            LocalKind::Param(ParamMode::Borrowed | ParamMode::BorrowedMut) | LocalKind::ForVar
        )
    }
}

#[derive(Clone, Debug)]
pub struct ConstInfo {
    pub name: String,
    pub ty: Ty,
    pub item: usize,
}
