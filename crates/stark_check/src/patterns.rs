//! `match` statements (SPEC §6): each `case` pattern resolved against the subject's type
//! into a `TPat`, its names bound, its guard and body typed; then exhaustiveness (E0030)
//! and unreachable arms (W0102) from the usefulness analysis (`usefulness.rs`).

use crate::checker::Checker;
use crate::results::{MatchRes, TPat};
use crate::types::*;
use stark_syntax::ast::{CaseField, CasePattern, Expr, ExprKind, MatchArm, UnOp};
use stark_syntax::{codes, Diagnostic, Span};
use std::collections::HashMap;

/// The names one arm's pattern binds, in order; the alternatives of an or-pattern must
/// bind the same ones, to the same locals.
#[derive(Default)]
struct Binds {
    names: Vec<(String, LocalId, Span)>,
    /// While resolving an alternative after the first: the names it must bind.
    expected: Option<Vec<(String, LocalId, Span)>>,
    /// Names already bound by the alternative being resolved.
    seen: Vec<String>,
}

impl Checker<'_> {
    pub(crate) fn match_stmt(&mut self, subject: &Expr, arms: &[MatchArm]) {
        let st = self.expr(subject);
        self.require_value(&st, subject);
        let st = self.infer.resolve(&st);
        // A subject that is a place is borrowed; a temporary's parts are owned by the names
        // that bind them (SPEC §6, Memory). Both read as views in the arm; `moves.rs` tells
        // them apart by the subject's expression.
        let mut tpats = Vec::with_capacity(arms.len());
        let before = self.narrow.clone();
        // A pattern that did not resolve stands as `_`, which would make the arms after
        // it look unreachable: such a match is not analysed.
        let errors_before = self.diags.len();
        for arm in arms {
            self.scopes.push(HashMap::new());
            let mut binds = Binds::default();
            let pat = self.case_pattern(&arm.pattern, &st, &mut binds);
            if let Some(g) = &arm.guard {
                self.expr_expect(g, &Ty::Bool);
            }
            self.block(&arm.body);
            self.scopes.pop();
            self.narrow = before.clone();
            tpats.push(pat);
        }
        let mut exhaustive = true;
        if st != Ty::Error && self.diags.len() == errors_before {
            let rows: Vec<(TPat, bool)> = tpats
                .iter()
                .zip(arms)
                .map(|(p, a)| (p.clone(), a.guard.is_some()))
                .collect();
            let report = crate::usefulness::analyze(&self.out.structs, &self.out.enums, &st, &rows);

            let must_cover = matches!(st, Ty::Enum(..) | Ty::Bool | Ty::Tuple(_) | Ty::Optional(_));
            // A missing pattern is E0030 on these types; reported, the match counts as
            // exhaustive so no E0069 follows from it.
            exhaustive = report.missing.is_none() || must_cover;
            if let (Some(missing), true) = (&report.missing, must_cover) {
                let shown = self.show(&st);
                self.error(
                    Diagnostic::error(
                        codes::NON_EXHAUSTIVE,
                        format!("non-exhaustive patterns: `{missing}` not covered"),
                        subject.span,
                    )
                    .label(format!("pattern `{missing}` not covered"))
                    .note(format!("the matched value is of type `{shown}`"))
                    .help(if missing == "_" {
                        "add an arm `case _:` for the values the arms leave out".to_string()
                    } else {
                        format!("add an arm `case {missing}:`, or `case _:` for every other value")
                    }),
                );
            }
            for i in report.unreachable {
                self.out.warnings.push(
                    Diagnostic::warning(
                        codes::UNREACHABLE_PATTERN,
                        "unreachable pattern",
                        arms[i].pattern.span(),
                    )
                    .label("no value reaches this arm: the arms above match all it could"),
                );
            }
        }
        self.out.matches.insert(
            subject.id,
            MatchRes {
                subject_ty: st,
                arms: tpats,
                exhaustive,
            },
        );
    }

    /// `pat` resolved against a value of type `ty`, its names bound in the current scope.
    fn case_pattern(&mut self, pat: &CasePattern, ty: &Ty, binds: &mut Binds) -> TPat {
        let ty = self.infer.shallow(ty);
        if ty == Ty::Error {
            self.bind_quietly(pat, binds);
            return TPat::Wild;
        }
        // On a `T?`, `None` and `_` see the optional itself; every other pattern is one of
        // `T`, matched when the value is not `None` (a bare name binds the `T`).
        if let Ty::Optional(inner) = &ty {
            return match pat {
                CasePattern::Wild(_) => TPat::Wild,
                CasePattern::Literal(e) if matches!(e.kind, ExprKind::None) => TPat::None,
                CasePattern::Or(alts, _) => self.alternatives(alts, &ty, binds),
                _ => TPat::Some(Box::new(self.case_pattern(pat, inner, binds))),
            };
        }
        match pat {
            CasePattern::Wild(_) => TPat::Wild,
            CasePattern::Name(n) => {
                if let Ty::Enum(en, _) = &ty {
                    let def = &self.out.enums[*en as usize];
                    if let Some((v, var)) = def.variant(&n.name) {
                        let arity = self.out.structs[var.strukt as usize].fields.len();
                        if arity == 0 {
                            return TPat::Variant {
                                enum_id: *en,
                                variant: v as u32,
                                fields: Vec::new(),
                            };
                        }
                        let ename = def.name.clone();
                        self.error(
                            Diagnostic::error(
                                codes::MISMATCH,
                                format!("variant `{ename}.{}` carries a payload", n.name),
                                n.span,
                            )
                            .label("a bare variant name matches only a variant without one")
                            .help(format!("match its fields: `case {}(…)`", n.name)),
                        );
                        return TPat::Wild;
                    }
                }
                TPat::Bind(self.bind_name(&n.name, n.span, ty.clone(), binds))
            }
            CasePattern::Literal(e) => self.literal_pattern(e, &ty),
            CasePattern::Variant {
                path, args, span, ..
            } => self.variant_pattern(path, args, *span, &ty, binds),
            CasePattern::Tuple(parts, span) => {
                let Ty::Tuple(tys) = &ty else {
                    self.pattern_mismatch("a tuple pattern", &ty, *span);
                    self.bind_all_quietly(parts.iter(), binds);
                    return TPat::Wild;
                };
                if tys.len() != parts.len() {
                    let shown = self.show(&ty);
                    self.error(
                        Diagnostic::error(
                            codes::MISMATCH,
                            format!(
                                "a tuple pattern of {} parts cannot match `{shown}`",
                                parts.len()
                            ),
                            *span,
                        )
                        .label(format!("the subject has {} parts", tys.len())),
                    );
                    self.bind_all_quietly(parts.iter(), binds);
                    return TPat::Wild;
                }
                let tys = tys.clone();
                TPat::Tuple(
                    parts
                        .iter()
                        .zip(&tys)
                        .map(|(p, t)| self.case_pattern(p, t, binds))
                        .collect(),
                )
            }
            CasePattern::Or(alts, _) => self.alternatives(alts, &ty, binds),
        }
    }

    /// `p | q | …`: every alternative must bind the same names (each to one local).
    fn alternatives(&mut self, alts: &[CasePattern], ty: &Ty, binds: &mut Binds) -> TPat {
        let outer_expected = binds.expected.take();
        let outer_seen = std::mem::take(&mut binds.seen);
        let start = binds.names.len();
        let mut out = Vec::with_capacity(alts.len());
        for (i, alt) in alts.iter().enumerate() {
            if i > 0 {
                binds.expected = Some(binds.names[start..].to_vec());
                binds.seen.clear();
            }
            out.push(self.case_pattern(alt, ty, binds));
            if let Some(expected) = binds.expected.take() {
                for (name, _, span) in &expected {
                    if !binds.seen.contains(name) {
                        self.error(
                            Diagnostic::error(
                                codes::MISMATCH,
                                format!("variable `{name}` is not bound in every alternative"),
                                alt.span(),
                            )
                            .label(format!("this alternative does not bind `{name}`"))
                            .secondary(*span, "bound here"),
                        );
                    }
                }
            }
        }
        binds.expected = outer_expected;
        binds.seen = outer_seen;
        TPat::Or(out)
    }

    fn bind_name(&mut self, name: &str, span: Span, ty: Ty, binds: &mut Binds) -> LocalId {
        if let Some(expected) = &binds.expected {
            binds.seen.push(name.to_string());
            if let Some((_, local, _)) = expected.iter().find(|(n, _, _)| n == name) {
                let local = *local;
                let have = self.out.locals[local as usize].ty.clone();
                self.expect(&ty, &have, span);
                return local;
            }
            self.error(
                Diagnostic::error(
                    codes::MISMATCH,
                    format!("variable `{name}` is not bound in every alternative"),
                    span,
                )
                .label("bound only in this alternative"),
            );
        }
        if let Some((_, _, first)) = binds.names.iter().find(|(n, _, _)| n == name) {
            self.error(
                Diagnostic::error(
                    codes::DUPLICATE,
                    format!("`{name}` is bound more than once in the same pattern"),
                    span,
                )
                .secondary(*first, "first bound here"),
            );
        }
        let local = self.new_local(name, ty, false, LocalKind::CaseBind, span);
        binds.names.push((name.to_string(), local, span));
        local
    }

    /// Binds a broken pattern's names (typed as errors) so the arm's body reports only its
    /// own mistakes.
    fn bind_quietly(&mut self, pat: &CasePattern, binds: &mut Binds) {
        match pat {
            CasePattern::Name(n) => {
                self.bind_name(&n.name, n.span, Ty::Error, binds);
            }
            CasePattern::Variant { args, .. } => {
                self.bind_all_quietly(args.iter().map(|a| &a.pattern), binds)
            }
            CasePattern::Tuple(parts, _) => self.bind_all_quietly(parts.iter(), binds),
            CasePattern::Or(alts, _) => {
                if let Some(first) = alts.first() {
                    self.bind_quietly(first, binds);
                }
            }
            CasePattern::Wild(_) | CasePattern::Literal(_) => {}
        }
    }

    fn bind_all_quietly<'a>(
        &mut self,
        parts: impl Iterator<Item = &'a CasePattern>,
        binds: &mut Binds,
    ) {
        for p in parts {
            self.bind_quietly(p, binds);
        }
    }

    fn pattern_mismatch(&mut self, what: &str, ty: &Ty, span: Span) {
        let shown = self.show(ty);
        self.error(
            Diagnostic::error(
                codes::MISMATCH,
                format!("{what} cannot match a value of type `{shown}`"),
                span,
            )
            .label(format!("the subject is `{shown}`")),
        );
    }

    fn literal_pattern(&mut self, e: &Expr, ty: &Ty) -> TPat {
        let (neg, lit) = match &e.kind {
            ExprKind::Unary(UnOp::Neg, inner) => (true, &inner.kind),
            other => (false, other),
        };
        let pat = match (lit, ty) {
            (ExprKind::Int(n), Ty::Int) => Some(TPat::Int(if neg { n.wrapping_neg() } else { *n })),
            (ExprKind::Int(n), Ty::Float) => {
                Some(TPat::Float(if neg { -(*n as f64) } else { *n as f64 }))
            }
            (ExprKind::Float(x), Ty::Float) => Some(TPat::Float(if neg { -x } else { *x })),
            (ExprKind::Str(s), Ty::Str) => Some(TPat::Str(s.clone())),
            (ExprKind::Bool(b), Ty::Bool) => Some(TPat::Bool(*b)),
            _ => None,
        };
        self.out.expr_ty[e.id.0 as usize] = ty.clone();
        pat.unwrap_or_else(|| {
            let what = match lit {
                ExprKind::Int(_) => "an Int literal",
                ExprKind::Float(_) => "a Float literal",
                ExprKind::Str(_) => "a String literal",
                ExprKind::Bool(_) => "a Bool literal",
                _ => "`None`",
            };
            self.pattern_mismatch(what, ty, e.span);
            TPat::Wild
        })
    }

    /// `Circle(r)`, `Shape.Rect(w, h)`, `Rect(w=w)`, `Shape.Empty`, `Ok(v)`.
    fn variant_pattern(
        &mut self,
        path: &[stark_syntax::ast::Ident],
        args: &[CaseField],
        span: Span,
        ty: &Ty,
        binds: &mut Binds,
    ) -> TPat {
        let quiet = |this: &mut Self, binds: &mut Binds| {
            this.bind_all_quietly(args.iter().map(|a| &a.pattern), binds);
            TPat::Wild
        };
        let Ty::Enum(en, targs) = ty else {
            self.pattern_mismatch("a variant pattern", ty, span);
            return quiet(self, binds);
        };
        let (en, targs) = (*en, targs.clone());
        let def = self.out.enums[en as usize].clone();
        let (qualifier, vname) = match path {
            [v] => (None, v),
            [q, v] => (Some((q.name.clone(), q.span)), v),
            // `geometry.Shape.Rect`: an enum of another module.
            [m, .., q, v] if self.module_path_names(path).is_some() => {
                let written = format!(
                    "{}.{}",
                    m.name,
                    &path[1..path.len() - 1]
                        .iter()
                        .map(|i| i.name.as_str())
                        .collect::<Vec<_>>()
                        .join(".")
                );
                (Some((written, m.span.to(q.span))), v)
            }
            _ => {
                self.error(
                    Diagnostic::error(codes::SYNTAX, "a variant is `Enum.Variant`", span)
                        .label("too many `.` in this pattern"),
                );
                return quiet(self, binds);
            }
        };
        if let Some((q, q_span)) = qualifier {
            if *self.global(&q, q_span.file) != def.name {
                let shown = self.show(ty);
                self.error(
                    Diagnostic::error(
                        codes::MISMATCH,
                        format!("a `{q}` pattern cannot match a value of type `{shown}`"),
                        q_span,
                    )
                    .label(format!("the subject is `{shown}`")),
                );
                return quiet(self, binds);
            }
        }
        let Some((v, var)) = def.variant(&vname.name) else {
            let names: Vec<String> = def
                .variants
                .iter()
                .map(|v| format!("`{}`", v.name))
                .collect();
            self.error(
                Diagnostic::error(
                    codes::UNKNOWN_NAME,
                    format!("no variant named `{}` in `{}`", vname.name, def.name),
                    vname.span,
                )
                .label("unknown variant")
                .help(format!(
                    "the variants of `{}` are {}",
                    def.name,
                    names.join(", ")
                )),
            );
            return quiet(self, binds);
        };
        let layout = self.out.structs[var.strukt as usize].clone();
        let field_tys: Vec<Ty> = layout.fields.iter().map(|f| f.ty.subst(&targs)).collect();
        let mut fields: Vec<Option<TPat>> = vec![None; field_tys.len()];
        let mut positional = 0;
        for a in args {
            let slot = match &a.name {
                Some(n) => match layout.field(&n.name) {
                    Some((i, _)) => Some(i),
                    None => {
                        self.error(
                            Diagnostic::error(
                                codes::BAD_ARG_NAME,
                                format!("variant `{}` has no field `{}`", layout.name, n.name),
                                n.span,
                            )
                            .label("unknown field"),
                        );
                        None
                    }
                },
                None => {
                    positional += 1;
                    (positional <= field_tys.len()).then_some(positional - 1)
                }
            };
            match slot {
                Some(i) if fields[i].is_none() => {
                    fields[i] = Some(self.case_pattern(&a.pattern, &field_tys[i], binds));
                }
                Some(i) => {
                    self.error(
                        Diagnostic::error(
                            codes::DUPLICATE,
                            format!("field `{}` is matched twice", layout.fields[i].name),
                            a.pattern.span(),
                        )
                        .label("matched again here"),
                    );
                    self.bind_quietly(&a.pattern, binds);
                }
                None => {
                    if a.name.is_none() {
                        self.error(
                            Diagnostic::error(
                                codes::ARG_COUNT,
                                format!(
                                    "variant `{}` has {} field{}, but the pattern has more",
                                    layout.name,
                                    field_tys.len(),
                                    if field_tys.len() == 1 { "" } else { "s" }
                                ),
                                a.pattern.span(),
                            )
                            .label("extra pattern"),
                        );
                    }
                    self.bind_quietly(&a.pattern, binds);
                }
            }
        }
        TPat::Variant {
            enum_id: en,
            variant: v as u32,
            fields: fields
                .into_iter()
                .map(|f| f.unwrap_or(TPat::Wild))
                .collect(),
        }
    }
}
