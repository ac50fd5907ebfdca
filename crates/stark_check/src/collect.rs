//! Pass 1: every struct, function, method and const is entered into the global tables
//! before any body is checked, so items may refer to each other in any order.

use crate::checker::Checker;
use crate::types::*;
use stark_syntax::ast::{EnumDecl, FnDecl, Item, ParamMode, TypeExpr};

/// Whose method a function is: its name is `Owner.name`, and a bare `self` has its type.
#[derive(Clone, Copy)]
enum Owner {
    None,
    Struct(StructId),
    Enum(EnumId),
}
use stark_syntax::{codes, Diagnostic, Span};

/// Built-in structs the runtime constructs (`Memory.profile()`, `Memory.usage_by_type()`);
/// their order matches `stark_bytecode::instr::builtin_types`.
fn builtin_structs() -> Vec<StructDef> {
    let def = |name: &str, fields: Vec<(&str, Ty)>| StructDef {
        name: name.to_string(),
        params: Vec::new(),
        fields: fields
            .into_iter()
            .map(|(n, ty)| FieldDef {
                name: n.to_string(),
                ty,
            })
            .collect(),
        methods: Vec::new(),
        destructor: None,
        builtin: true,
        span: Span::default(),
    };
    vec![
        def(
            "MemoryStats",
            vec![
                ("total_bytes", Ty::Int),
                ("live_objects", Ty::Int),
                ("peak_bytes", Ty::Int),
                (
                    "zones",
                    Ty::Map(Box::new(Ty::Str), Box::new(Ty::Struct(1, Vec::new()))),
                ),
                ("arena_bytes", Ty::Int),
                ("collections", Ty::Int),
                ("cycles_collected", Ty::Int),
                ("gc_pause_max_us", Ty::Int),
                ("gc_pause_p99_us", Ty::Int),
                ("tensor_pool_bytes", Ty::Int),
            ],
        ),
        def(
            "ZoneStats",
            vec![
                ("live_bytes", Ty::Int),
                ("live_objects", Ty::Int),
                ("allocations", Ty::Int),
                ("deallocations", Ty::Int),
                ("peak_bytes", Ty::Int),
                ("alloc_rate", Ty::Float),
                ("dealloc_rate", Ty::Float),
            ],
        ),
        def("TypeUsage", vec![("count", Ty::Int), ("bytes", Ty::Int)]),
        // Tuples (`builtin_types::TUPLE`): not a name a program can use.
        def(TUPLE_NAME, vec![]),
        // The layouts of `Result`'s variants (`builtin_types::RESULT_OK`, `RESULT_ERR`),
        // named as they print; the enum is `enums[RESULT]`.
        def("Ok", vec![("value", Ty::Param(0))]),
        def("Err", vec![("error", Ty::Param(1))]),
    ]
}

/// The struct ids of `Result`'s two variant layouts in `builtin_structs`.
const RESULT_OK: StructId = 4;
const RESULT_ERR: StructId = 5;

/// The built-in enums: `Result<T, E>` (`enums[RESULT]`).
fn builtin_enums() -> Vec<EnumDef> {
    let variant = |name: &str, strukt| VariantDef {
        name: name.to_string(),
        strukt,
    };
    vec![EnumDef {
        name: "Result".to_string(),
        params: vec!["T".to_string(), "E".to_string()],
        variants: vec![variant("Ok", RESULT_OK), variant("Err", RESULT_ERR)],
        methods: Vec::new(),
        destructor: None,
        builtin: true,
        span: Span::default(),
    }]
}

/// The type name tuples are counted under in `Memory.usage_by_type()`, Python's.
pub const TUPLE_NAME: &str = "tuple";

/// Type names of the SPEC that belong to features not built yet.
const UNSUPPORTED_TYPES: &[&str] = &[];

impl Checker<'_> {
    pub fn collect_items(&mut self) {
        self.out.structs = builtin_structs();
        for (i, s) in self.out.structs.iter().enumerate() {
            if i < RESULT_OK as usize && s.name != TUPLE_NAME {
                self.struct_names.insert(s.name.clone(), i as StructId);
            }
        }
        self.out.enums = builtin_enums();
        self.enum_names
            .insert("Result".to_string(), crate::results::RESULT);
        let program = self.program;
        // Before any name is entered: qualification needs each file's own names.
        self.file_scopes();
        // Struct names first, so field and parameter types can name any struct.
        for item in &program.items {
            if let Item::Struct(s) = item {
                let name = self.qualified(&s.name);
                if self.name_taken(&name, s.name.span) {
                    continue;
                }
                let id = self.out.structs.len() as StructId;
                self.struct_names.insert(name.clone(), id);
                let params = self.type_param_list(&s.type_params, &[]);
                self.out.structs.push(StructDef {
                    name,
                    params,
                    fields: Vec::new(),
                    methods: Vec::new(),
                    destructor: None,
                    builtin: false,
                    span: s.name.span,
                });
            }
            if let Item::Enum(en) = item {
                self.declare_enum(en);
            }
        }
        for (index, item) in program.items.iter().enumerate() {
            match item {
                Item::Enum(en) => self.enum_members(en, index),
                Item::Struct(s) => {
                    let Some(&id) = self.struct_names.get(&self.qualified(&s.name)) else {
                        continue;
                    };
                    if self.out.structs[id as usize].span != s.name.span {
                        continue; // a duplicate, already reported
                    }
                    // A field is addressed by a 16-bit index in the bytecode.
                    if s.fields.len() > usize::from(u16::MAX) {
                        self.error(Diagnostic::error(
                            codes::TOO_DEEP,
                            format!(
                                "struct `{}` is too large to compile: {} fields (at most {})",
                                s.name.name,
                                s.fields.len(),
                                u16::MAX
                            ),
                            s.name.span,
                        ));
                    }
                    self.type_params = self.out.structs[id as usize].params.clone();
                    let fields = self.resolve_fields(&s.fields);
                    self.type_params.clear();
                    self.out.structs[id as usize].fields = fields;
                    for (m, method) in s.methods.iter().enumerate() {
                        let func = self.declare_fn(method, Owner::Struct(id), index, Some(m));
                        let def = &mut self.out.structs[id as usize];
                        if def.method(&method.name.name).is_some() {
                            let d = Diagnostic::error(
                                codes::DUPLICATE,
                                format!("method `{}` is defined twice", method.name.name),
                                method.name.span,
                            );
                            self.error(d);
                            continue;
                        }
                        def.methods.push((method.name.name.clone(), func));
                        let generic = !def.params.is_empty();
                        if method.is_destructor
                            && self.destructor_signature(method, func)
                            && !self.generic_destructor(method, generic)
                        {
                            let def = &mut self.out.structs[id as usize];
                            if def.destructor.is_some() {
                                self.second_destructor(method);
                            } else {
                                def.destructor = Some(func);
                            }
                        }
                    }
                }
                Item::Fn(f) => {
                    let name = self.qualified(&f.name);
                    if self.name_taken(&name, f.name.span) {
                        continue;
                    }
                    let func = self.declare_fn(f, Owner::None, index, None);
                    self.fn_names.insert(name, func);
                    if f.is_destructor {
                        self.error(
                            Diagnostic::error(
                                codes::SYNTAX,
                                "`@destructor` is only allowed on a struct method",
                                f.name.span,
                            )
                            .label("not inside a struct"),
                        );
                    }
                }
                Item::Const(c) => {
                    let name = self.qualified(&c.name);
                    if self.name_taken(&name, c.name.span) {
                        continue;
                    }
                    let ty = self.resolve_type(&c.ty);
                    self.const_names.insert(name.clone(), self.out.consts.len());
                    self.out.consts.push(ConstInfo {
                        name,
                        ty,
                        item: index,
                    });
                }
            }
        }
        self.check_imports();
        match self.fn_names.get("main") {
            Some(&main) => {
                let f = &self.out.functions[main as usize];
                // SPEC §6: `main` may return `Result<None, String>`; an `Err` ends the run.
                let result = Ty::Enum(crate::results::RESULT, vec![Ty::Unit, Ty::Str]);
                if !f.params.is_empty() || (f.ret != Ty::Unit && f.ret != result) {
                    let span = f.span;
                    self.error(
                        Diagnostic::error(
                            codes::MISMATCH,
                            "`main` must take no parameters and return nothing",
                            span,
                        )
                        .help("declare it as `fn main():` or `fn main() -> Result<None, String>:`"),
                    );
                }
                self.out.main = Some(main);
            }
            None => self.error(
                Diagnostic::error(codes::NO_MAIN, "`main` function not found", Span::default())
                    .help("add `fn main():` as the program's entry point"),
            ),
        }
    }

    /// The table name of an item declared in its file (`geometry.Point`).
    fn qualified(&self, name: &stark_syntax::ast::Ident) -> String {
        self.global(&name.name, name.span.file).into_owned()
    }

    fn name_taken(&mut self, name: &str, span: Span) -> bool {
        let taken = self.fn_names.contains_key(name)
            || self.struct_names.contains_key(name)
            || self.enum_names.contains_key(name)
            || self.const_names.contains_key(name);
        if taken {
            self.error(
                Diagnostic::error(
                    codes::DUPLICATE,
                    format!("the name `{name}` is defined more than once"),
                    span,
                )
                .label("redefined here"),
            );
        }
        taken
    }

    /// The fields of a struct or of an enum variant's payload, with their types; a name
    /// declared twice is reported and its second declaration left out.
    fn resolve_fields(&mut self, decls: &[stark_syntax::ast::FieldDecl]) -> Vec<FieldDef> {
        let mut fields: Vec<FieldDef> = Vec::new();
        for f in decls {
            if fields.iter().any(|g| g.name == f.name.name) {
                self.error(
                    Diagnostic::error(
                        codes::DUPLICATE,
                        format!("field `{}` is declared twice", f.name.name),
                        f.name.span,
                    )
                    .label("declared again here"),
                );
                continue;
            }
            let ty = self.resolve_type(&f.ty);
            fields.push(FieldDef {
                name: f.name.name.clone(),
                ty,
            });
        }
        fields
    }

    /// Whether a `@destructor` method has the one signature a destructor may have
    /// (reported otherwise).
    fn destructor_signature(&mut self, method: &FnDecl, func: FuncId) -> bool {
        let f = &self.out.functions[func as usize];
        let ok = f.params.len() == 1
            && f.params[0].name == "self"
            && f.params[0].mode == ParamMode::BorrowedMut
            && f.ret == Ty::Unit;
        if !ok {
            self.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    "a destructor must be declared `fn drop(&mutable self)`",
                    method.span,
                )
                .label("wrong signature for a destructor"),
            );
        }
        ok
    }

    /// A generic type has no destructor (docs/decisions.md, "Generics"): every instance
    /// shares one runtime layout, and so one destructor, whose body could not be lowered
    /// for the types each instance holds. Reported; true when `generic`.
    fn generic_destructor(&mut self, method: &FnDecl, generic: bool) -> bool {
        if generic {
            self.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    "a generic type cannot have a destructor",
                    method.name.span,
                )
                .label("`@destructor` on a generic type")
                .help("give the destructor to a non-generic type the generic one holds"),
            );
        }
        generic
    }

    /// The names of an item's type parameters (after `outer`, its owner's, for a method);
    /// a name given twice, or that would hide a type, is reported.
    fn type_param_list(
        &mut self,
        params: &[stark_syntax::ast::Ident],
        outer: &[String],
    ) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for p in params {
            if names.contains(&p.name) || outer.contains(&p.name) {
                self.error(Diagnostic::error(
                    codes::DUPLICATE,
                    format!("type parameter `{}` is declared twice", p.name),
                    p.span,
                ));
            } else if self.names_a_type(&p.name, p.span.file) {
                self.error(
                    Diagnostic::error(
                        codes::DUPLICATE,
                        format!(
                            "type parameter `{}` would hide the type of that name",
                            p.name
                        ),
                        p.span,
                    )
                    .label("a type already has this name")
                    .help("name type parameters with a letter or two: `T`, `K`, `V`"),
                );
            }
            names.push(p.name.clone());
        }
        names
    }

    /// Whether `name`, written in `file`, names a built-in or declared type.
    fn names_a_type(&self, name: &str, file: stark_syntax::FileId) -> bool {
        const BUILTIN: &[&str] = &[
            "Int", "Float", "Bool", "String", "None", "List", "Map", "WeakRef", "Task", "Tensor",
            "Dataset", "Column", "GroupBy", "Stream", "Result", "Fn",
        ];
        let qualified = self.global(name, file);
        BUILTIN.contains(&name)
            || self.struct_names.contains_key(qualified.as_ref())
            || self.enum_names.contains_key(qualified.as_ref())
    }

    fn second_destructor(&mut self, method: &FnDecl) {
        let d = Diagnostic::error(
            codes::DUPLICATE,
            "a type may have only one destructor",
            method.name.span,
        );
        self.error(d);
    }

    /// Enters an enum's name, and one struct per variant to lay out its payload (named
    /// `Shape.Circle`, as it prints), so types may name the enum before its fields resolve.
    fn declare_enum(&mut self, en: &EnumDecl) {
        let name = self.qualified(&en.name);
        if self.name_taken(&name, en.name.span) {
            return;
        }
        let id = self.out.enums.len() as EnumId;
        self.enum_names.insert(name.clone(), id);
        let mut variants: Vec<VariantDef> = Vec::new();
        for v in &en.variants {
            if variants.iter().any(|w| w.name == v.name.name) {
                self.error(
                    Diagnostic::error(
                        codes::DUPLICATE,
                        format!("variant `{}` is declared twice", v.name.name),
                        v.name.span,
                    )
                    .label("declared again here"),
                );
                continue;
            }
            let strukt = self.out.structs.len() as StructId;
            self.out.structs.push(StructDef {
                name: format!("{name}.{}", v.name.name),
                params: Vec::new(),
                fields: Vec::new(),
                methods: Vec::new(),
                destructor: None,
                builtin: false,
                span: v.name.span,
            });
            variants.push(VariantDef {
                name: v.name.name.clone(),
                strukt,
            });
        }
        if variants.is_empty() {
            self.error(
                Diagnostic::error(
                    codes::SYNTAX,
                    format!("enum `{}` has no variants", en.name.name),
                    en.name.span,
                )
                .help("declare one variant a line: `Circle(radius: Float)` or `Empty`"),
            );
        }
        let params = self.type_param_list(&en.type_params, &[]);
        self.out.enums.push(EnumDef {
            name,
            params,
            variants,
            methods: Vec::new(),
            destructor: None,
            builtin: false,
            span: en.name.span,
        });
    }

    /// Resolves an enum's payload field types and declares its methods; a destructor
    /// applies to every variant.
    fn enum_members(&mut self, en: &EnumDecl, index: usize) {
        let Some(&id) = self.enum_names.get(&self.qualified(&en.name)) else {
            return;
        };
        if self.out.enums[id as usize].span != en.name.span {
            return; // a duplicate name, already reported
        }
        for v in &en.variants {
            let Some((_, var)) = self.out.enums[id as usize].variant(&v.name.name) else {
                continue;
            };
            let strukt = var.strukt;
            if self.out.structs[strukt as usize].span != v.name.span {
                continue;
            }
            self.type_params = self.out.enums[id as usize].params.clone();
            let fields = self.resolve_fields(&v.fields);
            self.type_params.clear();
            self.out.structs[strukt as usize].fields = fields;
        }
        for (m, method) in en.methods.iter().enumerate() {
            let func = self.declare_fn(method, Owner::Enum(id), index, Some(m));
            if self.out.enums[id as usize]
                .method(&method.name.name)
                .is_some()
            {
                let d = Diagnostic::error(
                    codes::DUPLICATE,
                    format!("method `{}` is defined twice", method.name.name),
                    method.name.span,
                );
                self.error(d);
                continue;
            }
            self.out.enums[id as usize]
                .methods
                .push((method.name.name.clone(), func));
            let generic = !self.out.enums[id as usize].params.is_empty();
            if method.is_destructor
                && self.destructor_signature(method, func)
                && !self.generic_destructor(method, generic)
            {
                if self.out.enums[id as usize].destructor.is_some() {
                    self.second_destructor(method);
                    continue;
                }
                self.out.enums[id as usize].destructor = Some(func);
                let layouts: Vec<StructId> = self.out.enums[id as usize]
                    .variants
                    .iter()
                    .map(|v| v.strukt)
                    .collect();
                for s in layouts {
                    self.out.structs[s as usize].destructor = Some(func);
                }
            }
        }
    }

    fn declare_fn(
        &mut self,
        decl: &FnDecl,
        owner: Owner,
        item: usize,
        method: Option<usize>,
    ) -> FuncId {
        let id = self.out.functions.len() as FuncId;
        // A method of a generic type is generic over the type's parameters, then its own.
        let owner_params = match owner {
            Owner::Struct(s) => self.out.structs[s as usize].params.clone(),
            Owner::Enum(en) => self.out.enums[en as usize].params.clone(),
            Owner::None => Vec::new(),
        };
        let own = self.type_param_list(&decl.type_params, &owner_params);
        let as_params = |n: usize| (0..n as u32).map(Ty::Param).collect::<Vec<_>>();
        let (name, self_ty) = match owner {
            Owner::Struct(s) => (
                format!("{}.{}", self.out.structs[s as usize].name, decl.name.name),
                Some(Ty::Struct(s, as_params(owner_params.len()))),
            ),
            Owner::Enum(en) => (
                format!("{}.{}", self.out.enums[en as usize].name, decl.name.name),
                Some(Ty::Enum(en, as_params(owner_params.len()))),
            ),
            Owner::None => (self.qualified(&decl.name), None),
        };
        let mut type_params = owner_params;
        type_params.extend(own);
        self.type_params = type_params.clone();
        let mut params = Vec::new();
        let mut first_default: Option<&stark_syntax::ast::Param> = None;
        for (i, p) in decl.params.iter().enumerate() {
            match (first_default, &p.default) {
                (None, Some(_)) => first_default = Some(p),
                (Some(d), None) => self.error(
                    Diagnostic::error(
                        codes::SYNTAX,
                        format!(
                            "parameter `{}` without a default follows a parameter with one",
                            p.name.name
                        ),
                        p.span,
                    )
                    .label("no default value")
                    .secondary(d.span, format!("`{}` has a default", d.name.name))
                    .help(format!(
                        "give `{}` a default too, or move it before `{}`",
                        p.name.name, d.name.name
                    )),
                ),
                _ => {}
            }
            let ty = match (&p.ty, &self_ty) {
                (Some(t), _) => self.resolve_type(t),
                (None, Some(s)) if i == 0 && p.name.name == "self" => s.clone(),
                (None, _) => {
                    self.error(
                        Diagnostic::error(
                            codes::SYNTAX,
                            format!("parameter `{}` needs a type", p.name.name),
                            p.span,
                        )
                        .help(format!("write `{}: Int`, for example", p.name.name)),
                    );
                    Ty::Error
                }
            };
            if params.iter().any(|q: &ParamInfo| q.name == p.name.name) {
                self.error(Diagnostic::error(
                    codes::DUPLICATE,
                    format!("parameter `{}` is declared twice", p.name.name),
                    p.name.span,
                ));
            }
            params.push(ParamInfo {
                name: p.name.name.clone(),
                ty,
                mode: p.mode,
                local: 0,
                has_default: p.default.is_some(),
            });
        }
        let ret = match &decl.ret {
            Some(t) => self.resolve_type(t),
            None => Ty::Unit,
        };
        self.type_params.clear();
        self.out.functions.push(FnInfo {
            type_params,
            name,
            params,
            ret,
            owner: match owner {
                Owner::Struct(s) => Some(s),
                _ => None,
            },
            item,
            method,
            locals: Vec::new(),
            span: decl.span,
            lambda: None,
        });
        id
    }

    pub fn resolve_type(&mut self, t: &TypeExpr) -> Ty {
        match t {
            TypeExpr::Optional(inner, _) => self.resolve_type(inner).optional(),
            TypeExpr::Tuple(parts, _) => {
                Ty::Tuple(parts.iter().map(|p| self.resolve_type(p)).collect())
            }
            TypeExpr::Fn { params, ret, .. } => Ty::Fn(
                params.iter().map(|p| self.resolve_type(p)).collect(),
                Box::new(ret.as_ref().map_or(Ty::Unit, |r| self.resolve_type(r))),
            ),
            TypeExpr::Named { name, args, span } => {
                if let Some(i) = self.type_params.iter().position(|p| *p == name.name) {
                    if !args.is_empty() {
                        self.error(
                            Diagnostic::error(
                                codes::UNKNOWN_TYPE,
                                format!("type parameter `{}` takes no type arguments", name.name),
                                *span,
                            )
                            .label("wrong number of type arguments"),
                        );
                    }
                    return Ty::Param(i as u32);
                }
                let arity = |n: usize, this: &mut Self| -> bool {
                    if args.len() != n {
                        this.error(
                            Diagnostic::error(
                                codes::UNKNOWN_TYPE,
                                format!(
                                    "type `{}` takes {n} type argument{}, found {}",
                                    name.name,
                                    if n == 1 { "" } else { "s" },
                                    args.len()
                                ),
                                *span,
                            )
                            .label("wrong number of type arguments"),
                        );
                        false
                    } else {
                        true
                    }
                };
                let simple = match name.name.as_str() {
                    "Int" => Some(Ty::Int),
                    "Float" => Some(Ty::Float),
                    "Bool" => Some(Ty::Bool),
                    "String" => Some(Ty::Str),
                    _ => None,
                };
                if let Some(ty) = simple {
                    return if arity(0, self) { ty } else { Ty::Error };
                }
                match name.name.as_str() {
                    "List" => {
                        if !arity(1, self) {
                            return Ty::Error;
                        }
                        Ty::List(Box::new(self.resolve_type(&args[0])))
                    }
                    "WeakRef" => {
                        if !arity(1, self) {
                            return Ty::Error;
                        }
                        Ty::Weak(Box::new(self.resolve_type(&args[0])))
                    }
                    "Task" => {
                        if !arity(1, self) {
                            return Ty::Error;
                        }
                        Ty::Task(Box::new(self.resolve_type(&args[0])))
                    }
                    "Map" => {
                        if !arity(2, self) {
                            return Ty::Error;
                        }
                        let k = self.resolve_type(&args[0]);
                        let v = self.resolve_type(&args[1]);
                        if !k.is_map_key() {
                            let shown = self.show(&k);
                            self.error(
                                Diagnostic::error(
                                    codes::MISMATCH,
                                    format!("`{shown}` cannot be a map key"),
                                    args[0].span(),
                                )
                                .help("map keys are `Int`, `String`, `Bool` or tuples of them"),
                            );
                        }
                        Ty::Map(Box::new(k), Box::new(v))
                    }
                    "Tensor" | "Dataset" | "Column" | "GroupBy" | "Stream" => {
                        if !arity(0, self) {
                            return Ty::Error;
                        }
                        match name.name.as_str() {
                            "Tensor" => Ty::Tensor,
                            "Dataset" => Ty::Dataset,
                            "Column" => Ty::Column,
                            "GroupBy" => Ty::GroupBy,
                            _ => Ty::Stream,
                        }
                    }
                    "Result" => {
                        if !arity(2, self) {
                            return Ty::Error;
                        }
                        let t = self.resolve_type(&args[0]);
                        let e = self.resolve_type(&args[1]);
                        Ty::Enum(crate::results::RESULT, vec![t, e])
                    }
                    // SPEC §6: `None` is also the name of the type whose only value is
                    // `None` (`Result<None, String>`), the type of a function without `->`.
                    "None" => {
                        if arity(0, self) {
                            Ty::Unit
                        } else {
                            Ty::Error
                        }
                    }
                    written => {
                        let other = self.global(written, name.span.file).into_owned();
                        if let Some((module, last)) = other.rsplit_once('.') {
                            if self.is_module_alias(written, name.span.file)
                                && !self.check_visible(module, last, name.span)
                            {
                                return Ty::Error;
                            }
                        }
                        let other = other.as_str();
                        if let Some(&id) = self.struct_names.get(other) {
                            if arity(self.out.structs[id as usize].params.len(), self) {
                                let args = args.iter().map(|a| self.resolve_type(a)).collect();
                                return Ty::Struct(id, args);
                            }
                            return Ty::Error;
                        }
                        if let Some(&id) = self.enum_names.get(other) {
                            if arity(self.out.enums[id as usize].params.len(), self) {
                                let args = args.iter().map(|a| self.resolve_type(a)).collect();
                                return Ty::Enum(id, args);
                            }
                            return Ty::Error;
                        }
                        let mut d = Diagnostic::error(
                            codes::UNKNOWN_TYPE,
                            format!("cannot find type `{written}`"),
                            name.span,
                        )
                        .label("not a known type");
                        if UNSUPPORTED_TYPES.contains(&other) {
                            d = d.note(format!("`{other}` is not implemented in this build yet"));
                        }
                        self.error(d);
                        Ty::Error
                    }
                }
            }
        }
    }
}
