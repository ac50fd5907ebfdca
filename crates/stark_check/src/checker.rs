//! The checker's state: global name tables, the scope stack of the function being checked,
//! and small helpers shared by the expression and statement checkers.

use crate::infer::Infer;
use crate::results::Checked;
use crate::types::*;
use stark_syntax::ast::{ExprId, FnDecl, Program};
use stark_syntax::{codes, Diagnostic, Span};
use std::collections::HashMap;

pub(crate) struct Checker<'p> {
    pub program: &'p Program,
    pub out: Checked,
    pub diags: Vec<Diagnostic>,
    pub infer: Infer,
    pub fn_names: HashMap<String, FuncId>,
    pub struct_names: HashMap<String, StructId>,
    /// User enums and the built-in `Result`.
    pub enum_names: HashMap<String, EnumId>,
    pub const_names: HashMap<String, usize>,
    /// Innermost scope last; each maps a name to the local it denotes.
    pub scopes: Vec<HashMap<String, LocalId>>,
    pub cur_fn: FuncId,
    pub loop_depth: u32,
    /// Locals introduced by `let` whose type must be fully inferred by the end.
    pub inferred_lets: Vec<LocalId>,
    /// Above zero while typing the parts of an error node (`ExprKind::Error`): nothing is
    /// reported there.
    pub quiet: u32,
    /// Typing the body of a function with a syntax error (`FnDecl::broken`): names it
    /// cannot find are not reported (`error`).
    pub in_broken: bool,
    /// Narrowing: bindings of type `T?` known not to be `None` here (inside `if x !=
    /// None:`, after `if x == None: return`, right of `x != None and …`), with their `T`.
    /// Only bindings that cannot be rebound are narrowed (`narrow.rs`); a `mutable let`
    /// that would have been is kept as `None`, to explain E0369.
    pub narrow: HashMap<LocalId, Option<Ty>>,
    /// What top-level names mean in each file, by `FileId` (`modules.rs`); empty for a
    /// one-file program.
    pub files: Vec<crate::modules::FileScope>,
    /// The lambdas being typed, innermost last (`lambda.rs`).
    pub lambdas: Vec<LambdaFrame>,
    /// The type a lambda argument is expected to have, set before it is typed so that its
    /// parameters without types take theirs from it.
    pub lambda_hints: HashMap<ExprId, Ty>,
    /// While collecting a generic item's signature or fields, its type parameter names:
    /// `resolve_type` reads these names as `Ty::Param` (SPEC §7).
    pub type_params: Vec<String>,
    /// The type a call is expected to have (a `let` annotation, the parameter it is passed
    /// to, the function's result), set before it is typed: a generic callee or
    /// construction takes its type arguments from it first (`let p: Pair<Int?, Int?> =
    /// Pair(None, 1)`).
    pub expected: HashMap<ExprId, Ty>,
    /// Callees whose written type arguments a generic callee took (`type_arguments`); any
    /// other callee with some is reported.
    pub used_type_args: std::collections::HashSet<ExprId>,
    /// Bodies not to check (`check_some`): a tool re-checking only what an edit changed.
    pub skip: Option<&'p dyn Fn(&FnDecl) -> bool>,
}

/// A lambda being typed: its function, the first scope that belongs to it, and what it
/// has captured so far (the enclosing function's local, the lambda's local).
pub(crate) struct LambdaFrame {
    pub func: FuncId,
    pub base: usize,
    pub captures: Vec<(LocalId, LocalId)>,
}

impl<'p> Checker<'p> {
    pub fn new(program: &'p Program) -> Checker<'p> {
        let out = Checked {
            expr_ty: vec![Ty::Error; program.expr_count as usize],
            ..Checked::default()
        };
        Checker {
            program,
            out,
            diags: Vec::new(),
            infer: Infer::default(),
            fn_names: HashMap::new(),
            struct_names: HashMap::new(),
            enum_names: HashMap::new(),
            const_names: HashMap::new(),
            scopes: Vec::new(),
            cur_fn: 0,
            loop_depth: 0,
            inferred_lets: Vec::new(),
            quiet: 0,
            in_broken: false,
            narrow: HashMap::new(),
            lambdas: Vec::new(),
            lambda_hints: HashMap::new(),
            files: Vec::new(),
            type_params: Vec::new(),
            expected: HashMap::new(),
            used_type_args: Default::default(),
            skip: None,
        }
    }

    /// Records that call or literal `e` (list, map, tuple), about to be typed, is expected
    /// to have type `ty`.
    pub fn expect_hint(&mut self, e: &stark_syntax::ast::Expr, ty: &Ty) {
        use stark_syntax::ast::ExprKind;
        if matches!(
            e.kind,
            ExprKind::Call { .. } | ExprKind::List(_) | ExprKind::Map(_) | ExprKind::Tuple(_)
        ) {
            self.expected.insert(e.id, ty.clone());
        }
    }

    /// Fixes what it can of a generic call's result type `found` (its type arguments still
    /// variables) from the type expected of call `e`; a conflict is left for the check of
    /// the result to report.
    pub fn take_expected(&mut self, e: &stark_syntax::ast::Expr, found: &Ty) {
        let Some(expected) = self.expected.remove(&e.id) else {
            return;
        };
        let expected = self.infer.resolve(&expected);
        let expected = match (found, expected) {
            // A `Pair<…>` where a `Pair<…>?` is expected.
            (Ty::Optional(_), e) => e,
            (_, Ty::Optional(inner)) => *inner,
            (_, e) => e,
        };
        self.infer.try_unify(found, &expected);
    }

    pub fn error(&mut self, diag: Diagnostic) {
        // In a body with a syntax error, a name may be unknown because the broken line
        // would have bound it (`mutab.le let first = …`, or the lines an unclosed bracket
        // joined to it): no "unknown name" there.
        let lost_binding = self.in_broken && diag.code == codes::UNKNOWN_NAME;
        if self.quiet == 0 && !lost_binding {
            self.diags.push(diag);
        }
    }

    pub fn show(&self, ty: &Ty) -> String {
        let ty = self.infer.resolve(ty);
        TyDisplay {
            ty: &ty,
            structs: &self.out.structs,
            enums: &self.out.enums,
            params: self.type_param_names(),
        }
        .to_string()
    }

    pub fn mismatch(&mut self, expected: &Ty, found: &Ty, span: Span) {
        let (e, f) = (self.show(expected), self.show(found));
        self.error(
            Diagnostic::error(codes::MISMATCH, "mismatched types", span)
                .label(format!("expected `{e}`, found `{f}`")),
        );
    }

    /// Checks that `found` is accepted where `expected` is, reporting E0308 if not.
    pub fn expect(&mut self, found: &Ty, expected: &Ty, span: Span) {
        if !self.infer.coerce(found, expected) {
            self.mismatch(expected, found, span);
        }
    }

    /// `expect` for the value of expression `e`: a Tensor where a Float, an Int or a Bool
    /// (a condition) is expected converts (SPEC §8; NumPy's `float(a)`, `int(a)`,
    /// `bool(a)`), recorded for lowering.
    pub fn expect_expr(&mut self, e: &stark_syntax::ast::Expr, found: &Ty, expected: &Ty) {
        let (f, want) = (self.infer.shallow(found), self.infer.shallow(expected));
        let want = match want {
            Ty::Optional(inner) => self.infer.shallow(&inner),
            w => w,
        };
        if f == Ty::Tensor && matches!(want, Ty::Float | Ty::Int | Ty::Bool) {
            self.tensor_scalar(e, &want);
            return;
        }
        self.expect(found, expected, e.span);
    }

    /// Records that tensor expression `e` converts to `want` (Float, Int or Bool).
    pub fn tensor_scalar(&mut self, e: &stark_syntax::ast::Expr, want: &Ty) {
        use crate::results::IndexRes;
        use stark_syntax::ast::ExprKind;
        let scalar_index = match &e.kind {
            ExprKind::Index(_, indices) => {
                self.out.indexes.get(&e.id) == Some(&IndexRes::Tensor)
                    && indices.iter().all(|i| {
                        !matches!(i.kind, ExprKind::Slice { .. })
                            && self
                                .infer
                                .shallow(&self.out.expr_ty[i.id.0 as usize].clone())
                                == Ty::Int
                    })
            }
            _ => false,
        };
        // A Bool is a truth test of the element, never a load of it as a number.
        if scalar_index && *want != Ty::Bool {
            let res = if *want == Ty::Int {
                IndexRes::TensorInt
            } else {
                IndexRes::TensorFloat
            };
            self.out.indexes.insert(e.id, res);
        } else {
            self.out.tensor_scalars.insert(e.id, want.clone());
        }
        self.record(e.id, want);
    }

    pub fn record(&mut self, id: ExprId, ty: &Ty) {
        if let Some(slot) = self.out.expr_ty.get_mut(id.0 as usize) {
            *slot = ty.clone();
        }
    }

    pub fn new_local(
        &mut self,
        name: &str,
        ty: Ty,
        mutable: bool,
        kind: LocalKind,
        span: Span,
    ) -> LocalId {
        let id = self.out.locals.len() as LocalId;
        self.out.locals.push(LocalInfo {
            name: name.to_string(),
            ty,
            mutable,
            kind,
            span,
        });
        self.out.functions[self.cur_fn as usize].locals.push(id);
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_string(), id);
        }
        id
    }

    pub fn lookup_local(&self, name: &str) -> Option<LocalId> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    /// The local `name` denotes and the index of the scope that declares it.
    pub fn lookup_local_at(&self, name: &str) -> Option<(usize, LocalId)> {
        self.scopes
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, s)| s.get(name).map(|l| (i, *l)))
    }

    /// The names `Ty::Param`s show as: the type parameters of what is being collected
    /// (`type_params`), else those of the function being checked.
    pub fn type_param_names(&self) -> &[String] {
        if !self.type_params.is_empty() {
            return &self.type_params;
        }
        self.out
            .functions
            .get(self.cur_fn as usize)
            .map_or(&[], |f| f.type_params.as_slice())
    }

    /// For an operation refused on a type parameter, what a parameter supports (SPEC §7).
    pub fn param_note(&self, ty: &Ty) -> Option<String> {
        let Ty::Param(_) = self.infer.shallow(ty) else {
            return None;
        };
        let name = self.show(ty);
        Some(format!(
            "`{name}` is a type parameter: a value of it can only be moved, cloned, copied, \
             compared with `==`, and printed or formatted"
        ))
    }

    pub fn struct_def(&self, id: StructId) -> &StructDef {
        &self.out.structs[id as usize]
    }

    /// E0282's help: the `let` written with its type, what is known of it kept and each
    /// unknown part filled with a likely choice (`String` for a map key, `Int` elsewhere),
    /// and an initializer of that shape: `let m: Map<String, Int> = Map()`.
    fn annotation_help(&self, local: &LocalInfo) -> String {
        let example = self.example_ty(&local.ty, false);
        let (what, init) = match &example {
            Ty::List(_) => ("the element type", "[]"),
            Ty::Map(..) => ("the key and value types", "Map()"),
            Ty::Optional(_) => ("its type", "None"),
            _ => ("its type", "…"),
        };
        let shown = TyDisplay {
            ty: &example,
            structs: &self.out.structs,
            enums: &self.out.enums,
            params: self.type_param_names(),
        };
        let (binding, name) = (
            if local.mutable { "mutable let" } else { "let" },
            &local.name,
        );
        format!("give {what}, e.g. `{binding} {name}: {shown} = {init}`")
    }

    /// `ty` resolved, with each unknown part replaced as `annotation_help` says.
    fn example_ty(&self, ty: &Ty, is_key: bool) -> Ty {
        let each = |t: &Ty| Box::new(self.example_ty(t, false));
        match self.infer.shallow(ty) {
            Ty::Var(_) if is_key => Ty::Str,
            Ty::Var(_) => Ty::Int,
            Ty::List(t) => Ty::List(each(&t)),
            Ty::Map(k, v) => Ty::Map(Box::new(self.example_ty(&k, true)), each(&v)),
            Ty::Optional(t) => self.example_ty(&t, false).optional(),
            Ty::Weak(t) => Ty::Weak(each(&t)),
            Ty::Task(t) => Ty::Task(each(&t)),
            other => other,
        }
    }

    /// Resolves all inferred types, reports uninferable `let`s, and hands back the results.
    pub fn finish(mut self) -> (Checked, Vec<Diagnostic>) {
        for &local in &self.inferred_lets {
            let info = &self.out.locals[local as usize];
            if self.infer.has_vars(&info.ty) && self.diags.is_empty() {
                let shown = self.show(&info.ty);
                let diag = Diagnostic::error(
                    codes::CANNOT_INFER,
                    format!("type annotations needed for `{}`", info.name),
                    info.span,
                )
                .label(format!("type `{shown}` is not fully known"))
                .help(self.annotation_help(info));
                self.diags.push(diag);
            }
        }
        let default = Ty::Int;
        for ty in &mut self.out.expr_ty {
            *ty = self.infer.resolve_or(ty, &default);
        }
        for local in &mut self.out.locals {
            local.ty = self.infer.resolve_or(&local.ty, &default);
        }
        for args in self.out.type_args.values_mut() {
            for ty in args {
                *ty = self.infer.resolve_or(ty, &default);
            }
        }
        for f in &mut self.out.functions {
            for p in &mut f.params {
                p.ty = self.infer.resolve_or(&p.ty, &default);
            }
            // A lambda's result may be an inference variable (the `U` of the `Fn(T) -> U`
            // it was passed as).
            f.ret = self.infer.resolve_or(&f.ret, &default);
        }
        self.diags
            .sort_by_key(|d| (d.primary.span.start, d.primary.span.end));
        (self.out, self.diags)
    }
}
