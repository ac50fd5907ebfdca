//! M4: through an immutable binding nothing may be mutated. A place expression (`x`,
//! `x.f`, `x[i]`, `x.f.g`) is mutable exactly when its root binding is.

use crate::checker::Checker;
use crate::types::LocalKind;
use stark_syntax::ast::{Expr, ExprKind, ParamMode};
use stark_syntax::{codes, Diagnostic};

impl Checker<'_> {
    /// The local a place expression is rooted in, if any (a call result is a temporary and
    /// may be mutated freely).
    fn place_root<'e>(&self, place: &'e Expr) -> Option<(&'e Expr, &'e str)> {
        match &place.kind {
            ExprKind::Name(n) => Some((place, n.as_str())),
            ExprKind::Field(base, _) | ExprKind::Index(base, _) => self.place_root(base),
            _ => None,
        }
    }

    /// Reports E0596 when `place` is reached through an immutable binding; `why` says what
    /// mutates it (shown as the label).
    pub fn require_mutable(&mut self, place: &Expr, why: &str) {
        let Some((root, name)) = self.place_root(place) else {
            return;
        };
        let Some(local) = self.lookup_local(name) else {
            return;
        };
        let info = self.out.locals[local as usize].clone();
        let help = match info.kind {
            LocalKind::Param(ParamMode::BorrowedMut) => return,
            LocalKind::Let | LocalKind::Param(ParamMode::Owned) | LocalKind::ForVar
                if info.mutable =>
            {
                return
            }
            LocalKind::Let => format!("declare it as `mutable let {name}`"),
            LocalKind::Param(_) if name == "self" => {
                "declare the method with `&mutable self`".to_string()
            }
            LocalKind::Param(ParamMode::Borrowed) => {
                format!("declare the parameter as `&mutable {name}`")
            }
            LocalKind::Param(_) => {
                format!("bind it mutably first: `mutable let {name}2 = {name}`")
            }
            LocalKind::ForVar => {
                format!("write `for mutable {name} in …` to mutate each element through `{name}`")
            }
            LocalKind::CaseBind => {
                format!("bind it mutably first: `mutable let {name}2 = {name}.copy()`")
            }
        };
        self.error(
            Diagnostic::error(
                codes::MUTATE_IMMUTABLE,
                format!("cannot mutate `{name}`, as it is not declared as mutable"),
                place.span,
            )
            .label(why.to_string())
            .secondary(info.span, format!("`{name}` declared immutable here"))
            .help(help),
        );
        let _ = root;
    }

    /// Reports E0384 when assigning to an immutable local.
    pub fn require_assignable(&mut self, target: &Expr, name: &str) {
        let Some(local) = self.lookup_local(name) else {
            return;
        };
        let info = self.out.locals[local as usize].clone();
        let (message, help) = match info.kind {
            LocalKind::Let | LocalKind::Param(ParamMode::Owned) if info.mutable => return,
            LocalKind::Let => (
                format!("cannot assign twice to immutable variable `{name}`"),
                format!("declare it as `mutable let {name}`"),
            ),
            LocalKind::Param(ParamMode::Owned) => (
                format!("cannot assign to immutable parameter `{name}`"),
                format!("bind it mutably first: `mutable let {name}2 = {name}`"),
            ),
            LocalKind::Param(_) => (
                format!("cannot assign to borrowed parameter `{name}`"),
                "a borrowed parameter may be mutated through, not rebound".to_string(),
            ),
            LocalKind::ForVar if info.mutable => (
                format!("cannot assign to loop variable `{name}`"),
                format!("`for mutable` mutates each element through `{name}` (`{name}.field = v`, `{name}.push(v)`) but cannot replace it: to replace elements, loop over the indices and assign `xs[i] = v`"),
            ),
            LocalKind::ForVar => (
                format!("cannot assign to loop variable `{name}`"),
                format!("copy it first: `mutable let {name}2 = {name}`"),
            ),
            LocalKind::CaseBind => (
                format!("cannot assign to pattern binding `{name}`"),
                format!("copy it first: `mutable let {name}2 = {name}`"),
            ),
        };
        let (label, first) = if info.kind == LocalKind::ForVar {
            (
                "cannot assign to a loop variable".to_string(),
                format!("`{name}` borrows each element in turn"),
            )
        } else {
            (
                "cannot assign twice to immutable variable".to_string(),
                format!("first assignment to `{name}`"),
            )
        };
        self.error(
            Diagnostic::error(codes::ASSIGN_IMMUTABLE, message, target.span)
                .label(label)
                .secondary(info.span, first)
                .help(help),
        );
    }
}
