//! f-strings (SPEC §5): every hole's expression is typed; a spec must suit its value's type
//! (E0010), and a spec with nested fields (`{x:>{w}.{p}f}`) is E0010 too when no value of
//! its fields could make it valid (docs/decisions.md, "f-string format specs").

use crate::checker::Checker;
use crate::types::*;
use stark_syntax::ast::{Expr, ExprKind, FStrPart, SpecPart, UnOp};
use stark_syntax::format_spec::{invalid_for_all, SpecSample, INT_SAMPLES};
use stark_syntax::{codes, Diagnostic, FormatSpec, Span, SpecTarget};

impl Checker<'_> {
    pub(crate) fn fstring(&mut self, parts: &[FStrPart]) -> Ty {
        // The hole the conversion and spec that follow belong to: its value and the type
        // the spec formats (a String after a conversion).
        let mut last: Option<(Ty, &Expr)> = None;
        for part in parts {
            match part {
                FStrPart::Expr(inner) => {
                    let t = self.expr(inner);
                    self.require_value(&t, inner);
                    last = Some((t, inner));
                }
                FStrPart::Conv(_) => {
                    if let Some((t, _)) = &mut last {
                        *t = Ty::Str;
                    }
                }
                FStrPart::Spec(spec, span) => {
                    if let Some((t, inner)) = last.take() {
                        self.check_spec(spec, *span, &t, inner);
                    }
                }
                FStrPart::NestedSpec { pieces, span, text } => {
                    for piece in pieces {
                        if let SpecPart::Field { expr, conv, spec } = piece {
                            let t = self.expr(expr);
                            self.require_value(&t, expr);
                            if let Some((spec, at)) = spec {
                                let t = if conv.is_some() { Ty::Str } else { t };
                                self.check_spec(spec, *at, &t, expr);
                            }
                        }
                    }
                    if let Some((t, inner)) = last.take() {
                        self.check_nested_spec(pieces, text, *span, &t, inner);
                    }
                }
                FStrPart::Lit(_) => {}
            }
        }
        Ty::Str
    }

    /// What a spec formats a value of type `ty` as; E0010 (and `None`) for a type no spec
    /// formats.
    fn spec_target(&mut self, text: &str, span: Span, ty: &Ty, value: &Expr) -> Option<SpecTarget> {
        let t = self.infer.shallow(ty);
        match t {
            Ty::Int => Some(SpecTarget::Int),
            Ty::Float => Some(SpecTarget::Float),
            Ty::Str => Some(SpecTarget::Str),
            Ty::Error => None,
            other => {
                let shown = self.show(&other);
                let help = if matches!(other, Ty::Optional(_)) {
                    "compare it with `None` first: inside `if x != None:` it has its plain type"
                } else {
                    "format `str(x)` or `{x!s:…}` instead, or give no spec"
                };
                self.error(
                    Diagnostic::error(
                        codes::BAD_FORMAT_SPEC,
                        format!("format spec `{text}` is not valid for a value of type `{shown}`"),
                        span,
                    )
                    .label("format specs are for Int, Float and String values")
                    .secondary(value.span, format!("this is `{shown}`"))
                    .help(help),
                );
                None
            }
        }
    }

    /// A format spec (`{x:.2f}`) must suit the type of its value (E0010).
    fn check_spec(&mut self, spec: &FormatSpec, span: Span, ty: &Ty, value: &Expr) {
        let Some(target) = self.spec_target(&spec.text, span, ty, value) else {
            return;
        };
        if let Err(why) = spec.check(target) {
            let shown = target.name();
            self.error(
                Diagnostic::error(
                    codes::BAD_FORMAT_SPEC,
                    format!(
                        "format spec `{}` is not valid for a value of type `{shown}`",
                        spec.text
                    ),
                    span,
                )
                .label(why.explain())
                .secondary(value.span, format!("this is `{shown}`")),
            );
        }
    }

    /// A spec with nested fields is parsed when it runs; it is E0010 here when it is
    /// invalid whatever its fields hold. A field's texts are known when it is a literal,
    /// or an Int or a Bool without a spec of its own (`INT_SAMPLES` stand for every Int);
    /// any other field could print anything, and the spec is left to run time.
    fn check_nested_spec(
        &mut self,
        pieces: &[SpecPart],
        text: &str,
        span: Span,
        ty: &Ty,
        value: &Expr,
    ) {
        let Some(target) = self.spec_target(text, span, ty, value) else {
            return;
        };
        let mut samples: Vec<Vec<String>> = Vec::new();
        for piece in pieces {
            if let SpecPart::Field { expr, conv, spec } = piece {
                match self.field_texts(expr, conv.is_some(), spec.is_some()) {
                    Some(texts) => samples.push(texts),
                    None => return,
                }
            }
        }
        let mut fields = samples.iter();
        let pieces: Vec<SpecSample<'_>> = pieces
            .iter()
            .map(|p| match p {
                SpecPart::Lit(s) => SpecSample::Lit(s),
                SpecPart::Field { .. } => {
                    SpecSample::Field(fields.next().map_or(&[][..], Vec::as_slice))
                }
            })
            .collect();
        if let Some((reads, why)) = invalid_for_all(&pieces, target) {
            let shown = target.name();
            self.error(
                Diagnostic::error(
                    codes::BAD_FORMAT_SPEC,
                    format!("invalid format spec `{text}` for a value of type `{shown}`"),
                    span,
                )
                .label(why.explain())
                .secondary(value.span, format!("this is `{shown}`"))
                .help(format!(
                    "so it is whatever its nested fields hold (`{reads}` is one of the specs \
                     they make)"
                )),
            );
        }
    }

    /// The texts a nested field may show, for the spec check; `None` when it could show
    /// any text.
    fn field_texts(&self, e: &Expr, converted: bool, has_spec: bool) -> Option<Vec<String>> {
        if has_spec {
            return None;
        }
        let literal = match &e.kind {
            ExprKind::Int(n) => Some(n.to_string()),
            ExprKind::Unary(UnOp::Neg, inner) => match inner.kind {
                ExprKind::Int(n) => Some((-(n as i128)).to_string()),
                _ => None,
            },
            ExprKind::Bool(b) => Some(b.to_string()),
            // `!r` would quote it.
            ExprKind::Str(s) if !converted => Some(s.clone()),
            _ => None,
        };
        if let Some(text) = literal {
            return Some(vec![text]);
        }
        // An Int or a Bool shows the same under every conversion.
        match self.infer.resolve(&self.out.expr_ty[e.id.0 as usize]) {
            Ty::Int => Some(INT_SAMPLES.iter().map(|s| s.to_string()).collect()),
            Ty::Bool => Some(vec!["true".to_string(), "false".to_string()]),
            _ => None,
        }
    }
}
