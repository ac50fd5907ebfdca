//! Names across files (SPEC §7). The driver joins a program's files into one `Program`
//! whose items keep their written names; here each file gets a scope that says what a
//! top-level name written in it denotes. The global tables hold every item under its
//! qualified name (`geometry.area`, `shapes.circle.Point`; the entry file's names stay
//! bare), so one table lookup serves every file, and types print with their module.

use crate::checker::Checker;
use crate::results::NameRes;
use crate::types::Ty;
use stark_syntax::ast::{Expr, ExprKind, Item};
use stark_syntax::{codes, Diagnostic, FileId, Span};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

#[derive(Default)]
pub(crate) struct FileScope {
    /// `geometry.`: what this file's own top-level names are qualified with (empty for
    /// the entry file).
    prefix: String,
    /// This file's top-level names, as written.
    own: HashSet<String>,
    /// `import geometry as g` → `g` ↦ `geometry`; a plain `import shapes.circle` binds
    /// `shapes.circle` to itself.
    aliases: HashMap<String, String>,
    /// `from geometry import Point` → `Point` ↦ `geometry.Point`.
    imported: HashMap<String, String>,
}

/// What a dotted path of names in an expression denotes.
pub(crate) enum Path {
    /// A module: `geometry`, `g`, `shapes.circle` (its qualified name).
    Module(String),
    /// Anything else, qualified (`geometry.Shape`): the caller looks it up.
    Item(String),
}

fn item_name(item: &Item) -> &stark_syntax::ast::Ident {
    match item {
        Item::Fn(f) => &f.name,
        Item::Struct(s) => &s.name,
        Item::Enum(e) => &e.name,
        Item::Const(c) => &c.name,
    }
}

impl Checker<'_> {
    /// Builds every file's scope from the program's items and imports, before any item is
    /// entered (an item's table name depends on its file).
    pub(crate) fn file_scopes(&mut self) {
        let program = self.program;
        if program.modules.len() <= 1 {
            return;
        }
        let mut files: Vec<FileScope> = program
            .modules
            .iter()
            .map(|m| FileScope {
                prefix: if m.is_empty() {
                    String::new()
                } else {
                    format!("{m}.")
                },
                ..FileScope::default()
            })
            .collect();
        for item in &program.items {
            let name = item_name(item);
            if let Some(f) = files.get_mut(name.span.file.0 as usize) {
                f.own.insert(name.name.clone());
            }
        }
        for imp in &program.imports {
            let Some(f) = files.get_mut(imp.span.file.0 as usize) else {
                continue;
            };
            let module = imp.module();
            match &imp.names {
                None => {
                    let alias = imp
                        .alias
                        .as_ref()
                        .map_or(module.clone(), |a| a.name.clone());
                    f.aliases.insert(alias, module);
                }
                Some(names) => {
                    for n in names {
                        f.imported
                            .insert(n.name.clone(), format!("{module}.{}", n.name));
                    }
                }
            }
        }
        self.files = files;
    }

    /// Reports `from m import x` of a name `m` lacks (E0432) or keeps private (E0603);
    /// runs once the items are in the tables.
    pub(crate) fn check_imports(&mut self) {
        if self.files.is_empty() {
            return;
        }
        let program = self.program;
        for imp in &program.imports {
            let Some(names) = &imp.names else { continue };
            let module = imp.module();
            for n in names {
                let q = format!("{module}.{}", n.name);
                let file = n.span.file.0 as usize;
                let scope = &self.files[file];
                // One name, one meaning in a file: a `from … import` does not silently
                // lose to (or hide) a definition or another import of the same name.
                if scope.own.contains(&n.name) || scope.imported.get(&n.name) != Some(&q) {
                    self.error(
                        Diagnostic::error(
                            codes::DUPLICATE,
                            format!("the name `{}` is defined more than once", n.name),
                            n.span,
                        )
                        .label("imported here, and defined or imported elsewhere in this file"),
                    );
                    continue;
                }
                if n.name.starts_with('_') {
                    self.private_use(&module, &n.name, n.span);
                } else if !self.is_item(&q) {
                    self.no_such_item(&module, &n.name, n.span);
                }
            }
        }
    }

    /// The table name of a top-level name as written in `file`: its own items and the
    /// names it imported are qualified; a dotted name whose head is a module alias is
    /// rewritten to the module's name (`g.Point` → `geometry.Point`). Anything else
    /// (built-ins, `Result`) is unchanged.
    pub(crate) fn global<'n>(&self, name: &'n str, file: FileId) -> Cow<'n, str> {
        let Some(scope) = self.files.get(file.0 as usize) else {
            return Cow::Borrowed(name);
        };
        if name.contains('.') {
            // The longest alias wins: `shapes.circle.Point` with `import shapes.circle`.
            for (i, _) in name.rmatch_indices('.') {
                if let Some(module) = scope.aliases.get(&name[..i]) {
                    return Cow::Owned(format!("{module}{}", &name[i..]));
                }
            }
            return Cow::Borrowed(name);
        }
        if scope.own.contains(name) {
            return Cow::Owned(format!("{}{name}", scope.prefix));
        }
        if let Some(q) = scope.imported.get(name) {
            return Cow::Owned(q.clone());
        }
        // The entry file's names are bare in the tables but not visible from a module
        // (which could only see them by importing the entry file: a cycle).
        if !scope.prefix.is_empty() && self.files[0].own.contains(name) {
            return Cow::Owned(format!("<entry>.{name}"));
        }
        Cow::Borrowed(name)
    }

    /// The module alias or the module-qualified item a chain of names (`g`,
    /// `shapes.circle`, `g.Shape`) denotes in the file it is written in; `None` when its
    /// head is a local or it names no module.
    pub(crate) fn module_path(&self, e: &Expr) -> Option<Path> {
        if self.files.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        let mut at = e;
        loop {
            match &at.kind {
                ExprKind::Name(n) => {
                    parts.push(n.as_str());
                    if self.lookup_local(n).is_some() {
                        return None;
                    }
                    break;
                }
                ExprKind::Field(base, field) => {
                    parts.push(field.name.as_str());
                    at = base;
                }
                _ => return None,
            }
        }
        parts.reverse();
        let dotted = parts.join(".");
        let scope = self.files.get(e.span.file.0 as usize)?;
        if let Some(module) = scope.aliases.get(&dotted) {
            return Some(Path::Module(module.clone()));
        }
        let q = self.global(&dotted, e.span.file);
        match q {
            Cow::Owned(q) if parts.len() > 1 => Some(Path::Item(q)),
            _ => None,
        }
    }

    /// Whether `written` (`g.Point`) names a member of a module alias of `file`.
    pub(crate) fn is_module_alias(&self, written: &str, file: FileId) -> bool {
        let Some(scope) = self.files.get(file.0 as usize) else {
            return false;
        };
        written
            .rmatch_indices('.')
            .any(|(i, _)| scope.aliases.contains_key(&written[..i]))
    }

    fn is_item(&self, q: &str) -> bool {
        self.fn_names.contains_key(q)
            || self.struct_names.contains_key(q)
            || self.enum_names.contains_key(q)
            || self.const_names.contains_key(q)
    }

    /// `module.name` used from another file: whether it is allowed (a name that begins
    /// with `_` is private to its file: E0603).
    pub(crate) fn check_visible(&mut self, module: &str, name: &str, span: Span) -> bool {
        if name.starts_with('_') {
            self.private_use(module, name, span);
            return false;
        }
        true
    }

    fn private_use(&mut self, module: &str, name: &str, span: Span) {
        self.error(
            Diagnostic::error(
                codes::PRIVATE,
                format!("`{name}` is private to module `{module}`"),
                span,
            )
            .label("private name")
            .note("top-level names that begin with `_` are private to their file"),
        );
    }

    pub(crate) fn no_such_item(&mut self, module: &str, name: &str, span: Span) {
        let file = format!("{}.stark", module.replace('.', "/"));
        self.error(
            Diagnostic::error(
                codes::UNRESOLVED_IMPORT,
                format!("cannot find `{name}` in module `{module}`"),
                span,
            )
            .label(format!("not found in `{file}`")),
        );
    }
}

impl Checker<'_> {
    /// Whether the qualifier of a variant pattern (`g.Shape` in `g.Shape.Rect`) starts
    /// with a module alias of its file.
    pub(crate) fn module_path_names(&self, path: &[stark_syntax::ast::Ident]) -> Option<()> {
        let head = path.first()?;
        let scope = self.files.get(head.span.file.0 as usize)?;
        let mut dotted = head.name.clone();
        for part in &path[1..path.len().saturating_sub(2)] {
            if scope.aliases.contains_key(&dotted) {
                return Some(());
            }
            dotted = format!("{dotted}.{}", part.name);
        }
        scope.aliases.contains_key(&dotted).then_some(())
    }
}

impl Checker<'_> {
    /// `geometry.area(p)`, `g.Point(1, 2)`: a call of a function or a struct of module
    /// `module` (its qualified name).
    pub(crate) fn call_module(
        &mut self,
        e: &Expr,
        module: &str,
        member: &stark_syntax::ast::Ident,
        args: &[stark_syntax::ast::Arg],
    ) -> Ty {
        if !self.check_visible(module, &member.name, member.span) {
            self.type_args(args);
            return Ty::Error;
        }
        let q = format!("{module}.{}", member.name);
        if let Some(&func) = self.fn_names.get(&q) {
            return self.call_fn(e, func, args, None);
        }
        if let Some(&ty) = self.struct_names.get(&q) {
            return self.construct(e, ty, args);
        }
        self.type_args(args);
        if self.enum_names.contains_key(&q) {
            self.error(
                Diagnostic::error(
                    codes::UNKNOWN_NAME,
                    format!("enum `{q}` cannot be called"),
                    member.span,
                )
                .help(format!("build a variant: `{q}.Variant(…)`")),
            );
        } else {
            self.no_such_item(module, &member.name, member.span);
        }
        Ty::Error
    }

    /// `g.LIMIT` (a constant of a module) or `g.Shape.Empty` (a unit variant of an enum
    /// of a module).
    pub(crate) fn module_field(
        &mut self,
        e: &Expr,
        path: Path,
        field: &stark_syntax::ast::Ident,
    ) -> Ty {
        match path {
            Path::Module(module) => {
                if !self.check_visible(&module, &field.name, field.span) {
                    return Ty::Error;
                }
                let q = format!("{module}.{}", field.name);
                if let Some(&c) = self.const_names.get(&q) {
                    self.out.names.insert(e.id, NameRes::Const(c));
                    return self.out.consts[c].ty.clone();
                }
                if let Some(&func) = self.fn_names.get(&q) {
                    // SPEC §7: a function named without a call is a value.
                    return self.fn_value(e, func);
                }
                if self.struct_names.contains_key(&q) {
                    self.error(
                        Diagnostic::error(
                            codes::UNKNOWN_NAME,
                            format!("`{q}` is not a value"),
                            field.span,
                        )
                        .help(format!("call it: `{q}(…)`")),
                    );
                } else if !self.enum_names.contains_key(&q) {
                    self.no_such_item(&module, &field.name, field.span);
                } else {
                    self.error(Diagnostic::error(
                        codes::UNKNOWN_NAME,
                        format!("enum `{q}` is not a value"),
                        field.span,
                    ));
                }
                Ty::Error
            }
            Path::Item(q) => {
                if let Some((module, last)) = q.rsplit_once('.') {
                    if !self.check_visible(module, last, e.span) {
                        return Ty::Error;
                    }
                }
                if let Some(&en) = self.enum_names.get(&q) {
                    return self.unit_variant(e, en, field);
                }
                self.error(
                    Diagnostic::error(
                        codes::UNKNOWN_NAME,
                        format!("cannot find `{q}.{}`", field.name),
                        field.span,
                    )
                    .label("not found"),
                );
                Ty::Error
            }
        }
    }
}
