//! f-strings: literal pieces are decoded here; each `{…}` hole is kept as a source range
//! that the parser lexes and parses on its own (`lex_fragment`), with its conversion
//! (`!r`) and its format spec, whose nested fields (`{x:>{w}.{p}f}`) are holes too.
//!
//! A hole is scanned as CPython 3.11 scans one: its expression ends at the first `!`, `:`,
//! `=` or `}` outside brackets and string literals that is not part of `!=`, `==`, `<=` or
//! `>=`. A `=` there makes the hole self-documenting (`{x = }`), then come `!c` and `:spec`.
//! Inside a spec, `{` opens a nested field and `}` ends the spec (`{{` is no escape there,
//! as in Python); a nested field's own spec cannot nest again.

use super::*;
use crate::format_spec::{Conversion, FormatSpec};
use crate::token::SpecPiece;

/// One replacement field as scanned.
struct Field {
    expr: Span,
    /// `{x = }`: the text from after `{` through the `=` and the blanks after it, which
    /// the f-string shows before the value.
    debug: Option<String>,
    conv: Option<Conversion>,
    spec: Option<SpecSrc>,
}

impl Field {
    /// The conversion the value gets: the written one, else `!r` for `{x=}` without a
    /// spec (Python shows a self-documenting field's `repr` unless a spec is given).
    fn conversion(&self) -> Option<Conversion> {
        self.conv.or(match (&self.debug, &self.spec) {
            (Some(_), None) => Some(Conversion::Repr),
            _ => None,
        })
    }
}

/// A spec as scanned: its span, and its literal text and nested fields in order.
struct SpecSrc {
    span: Span,
    pieces: Vec<SrcPiece>,
    /// It held a field nested too deeply (reported): the spec is dropped.
    broken: bool,
}

enum SrcPiece {
    Lit(String),
    Field(Field),
}

impl Lexer<'_> {
    pub(super) fn fstring(&mut self) {
        let start = self.pos;
        self.pos += 2;
        let mut pieces = Vec::new();
        let mut lit = String::new();
        loop {
            if self.pos >= self.end || self.at_newline() {
                self.unterminated("f-string", start);
                break;
            }
            match self.bytes[self.pos] {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => self.escape(&mut lit),
                b'{' if self.peek2() == Some(b'{') => {
                    lit.push('{');
                    self.pos += 2;
                }
                b'}' if self.peek2() == Some(b'}') => {
                    lit.push('}');
                    self.pos += 2;
                }
                b'}' => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::SYNTAX,
                            "single `}` in f-string",
                            Span::new(self.pos, self.pos + 1),
                        )
                        .label("unmatched `}`")
                        .help("write `}}` for a literal brace"),
                    );
                    lit.push('}');
                    self.pos += 1;
                }
                b'{' => {
                    let Some(field) = self.field(0) else {
                        break;
                    };
                    if let Some(debug) = &field.debug {
                        lit.push_str(debug);
                    }
                    if !lit.is_empty() {
                        pieces.push(FStrPiece::Lit(std::mem::take(&mut lit)));
                    }
                    pieces.push(FStrPiece::Expr(field.expr));
                    if let Some(conv) = field.conversion() {
                        pieces.push(FStrPiece::Conv(conv));
                    }
                    if let Some(spec) = field.spec {
                        if let Some(piece) = self.spec_piece(spec) {
                            pieces.push(piece);
                        }
                    }
                }
                _ => self.take_char(&mut lit),
            }
        }
        if !lit.is_empty() {
            pieces.push(FStrPiece::Lit(lit));
        }
        self.push(TokenKind::FStr(pieces), start);
    }

    /// Reports a hole whose `{` (at `open`) is never closed. A `"` that stopped it ends
    /// the f-string too, and is consumed.
    fn unclosed_hole(&mut self, open: usize) {
        self.diags.push(
            Diagnostic::error(
                codes::UNTERMINATED,
                "unclosed `{` in f-string",
                Span::new(open, open + 1),
            )
            .label("this `{` is never closed")
            .help("write `{{` for a literal brace"),
        );
        if self.peek() == Some(b'"') {
            self.pos += 1;
        }
    }

    /// Whether the f-string's line ends here: the source or the line ends.
    fn hole_ends(&self) -> bool {
        self.pos >= self.end || self.at_newline()
    }

    /// At the `{` of a replacement field, `depth` fields deep (0 in the f-string, 1 in a
    /// spec): scans it and leaves the cursor after its closing `}`. String literals in the
    /// expression are skipped whole (`f"{m["k"]}"`), and brackets nest (`{xs[1:2]}`,
    /// `{ {"a": 1}["a"] }`). `None` when the field is never closed; that also ends the
    /// f-string.
    fn field(&mut self, depth: u32) -> Option<Field> {
        let open = self.pos;
        self.pos += 1;
        let expr_start = self.pos;
        let mut nesting = 0usize;
        loop {
            if self.hole_ends() {
                self.unclosed_hole(open);
                return None;
            }
            let next = self.peek2();
            match self.bytes[self.pos] {
                b'"' => {
                    if !self.skip_string(open) {
                        return None;
                    }
                    continue;
                }
                b'(' | b'[' | b'{' => nesting += 1,
                b')' | b']' | b'}' if nesting > 0 => nesting -= 1,
                // Two-character operators never end the expression.
                b'!' | b'=' | b'<' | b'>' if next == Some(b'=') => {
                    self.pos += 2;
                    continue;
                }
                b'!' | b':' | b'=' | b'}' if nesting == 0 => break,
                _ => {}
            }
            self.pos += self.current_char().map_or(1, char::len_utf8);
        }
        let expr = Span::new(expr_start, self.pos);
        let mut debug = None;
        if self.peek() == Some(b'=') {
            self.pos += 1;
            while matches!(self.peek(), Some(b' ' | b'\t' | 0x0b | 0x0c)) {
                self.pos += 1;
            }
            debug = Some(self.src[expr_start..self.pos].to_string());
        }
        let mut conv = None;
        if self.peek() == Some(b'!') {
            let bang = self.pos;
            self.pos += 1;
            let c = if self.hole_ends() {
                None
            } else {
                self.current_char()
            };
            match c.and_then(Conversion::from_char) {
                Some(found) => {
                    conv = Some(found);
                    self.pos += 1;
                }
                None => {
                    let end = bang + 1 + c.map_or(0, char::len_utf8);
                    self.diags.push(
                        Diagnostic::error(
                            codes::SYNTAX,
                            "invalid conversion in f-string",
                            Span::new(bang, end),
                        )
                        .label("expected `!s`, `!r` or `!a`"),
                    );
                    if let Some(c) = c.filter(|c| !matches!(c, ':' | '}' | '"')) {
                        self.pos += c.len_utf8();
                    }
                }
            }
        }
        let mut spec = None;
        if self.peek() == Some(b':') {
            self.pos += 1;
            spec = Some(self.field_spec(open, depth)?);
        }
        if self.peek() != Some(b'}') && !self.hole_ends() && self.peek() != Some(b'"') {
            self.diags.push(
                Diagnostic::error(
                    codes::SYNTAX,
                    "expected `}` to close the f-string field",
                    Span::new(self.pos, self.pos + 1),
                )
                .label("a field ends after its conversion or spec"),
            );
            while !self.hole_ends() && !matches!(self.peek(), Some(b'}' | b'"')) {
                self.pos += self.current_char().map_or(1, char::len_utf8);
            }
        }
        if self.peek() != Some(b'}') {
            self.unclosed_hole(open);
            return None;
        }
        self.pos += 1;
        Some(Field {
            expr,
            debug,
            conv,
            spec,
        })
    }

    /// At the opening `"` of a string literal inside a field: moves past its closing quote.
    /// `false` when the line ends first (reported: the field and the f-string end).
    fn skip_string(&mut self, open: usize) -> bool {
        self.pos += 1;
        while !self.hole_ends() && self.bytes[self.pos] != b'"' {
            if self.bytes[self.pos] == b'\\' && self.pos + 1 < self.end {
                self.pos += 1;
            }
            self.pos += self.current_char().map_or(1, char::len_utf8);
        }
        if self.hole_ends() {
            self.unclosed_hole(open);
            return false;
        }
        self.pos += 1;
        true
    }

    /// After the `:` of the field opened at `open`: scans the spec up to (not past) the
    /// field's closing `}`. A `"` ends the f-string there, as it ends a literal.
    fn field_spec(&mut self, open: usize, depth: u32) -> Option<SpecSrc> {
        let start = self.pos;
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut broken = false;
        loop {
            if self.hole_ends() || self.peek() == Some(b'"') {
                self.unclosed_hole(open);
                return None;
            }
            match self.bytes[self.pos] {
                b'}' => break,
                b'{' if depth > 0 => {
                    let inner = self.pos;
                    self.skip_field(open)?;
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_FORMAT_SPEC,
                            "format spec nested too deeply",
                            Span::new(inner, self.pos),
                        )
                        .label("a nested field's spec cannot hold another field")
                        .help("as in Python, fields nest one level: `{x:>{w}}`"),
                    );
                    broken = true;
                }
                b'{' => {
                    if !lit.is_empty() {
                        pieces.push(SrcPiece::Lit(std::mem::take(&mut lit)));
                    }
                    let field = self.field(depth + 1)?;
                    if let Some(debug) = &field.debug {
                        pieces.push(SrcPiece::Lit(debug.clone()));
                    }
                    pieces.push(SrcPiece::Field(field));
                }
                _ => self.take_char(&mut lit),
            }
        }
        if !lit.is_empty() {
            pieces.push(SrcPiece::Lit(lit));
        }
        Some(SpecSrc {
            span: Span::new(start, self.pos),
            pieces,
            broken,
        })
    }

    /// At a `{` nested too deeply: moves past its matching `}` without recursing (braces
    /// counted, string literals skipped). `None` when it is never closed.
    fn skip_field(&mut self, open: usize) -> Option<()> {
        let mut nesting = 0usize;
        loop {
            if self.hole_ends() {
                self.unclosed_hole(open);
                return None;
            }
            match self.bytes[self.pos] {
                b'"' => {
                    if !self.skip_string(open) {
                        return None;
                    }
                    continue;
                }
                b'{' => nesting += 1,
                b'}' => {
                    nesting -= 1;
                    if nesting == 0 {
                        self.pos += 1;
                        return Some(());
                    }
                }
                _ => {}
            }
            self.pos += self.current_char().map_or(1, char::len_utf8);
        }
    }

    /// The piece a field's spec becomes: a parsed spec, or one with nested fields; `None`
    /// when it is empty (`{x:}` is no spec) or was reported.
    fn spec_piece(&mut self, spec: SpecSrc) -> Option<FStrPiece> {
        if spec.broken {
            return None;
        }
        if !spec.pieces.iter().any(|p| matches!(p, SrcPiece::Field(_))) {
            return self
                .format_spec(spec.span)
                .map(|parsed| FStrPiece::Spec(parsed, spec.span));
        }
        let mut pieces = Vec::new();
        for p in spec.pieces {
            match p {
                SrcPiece::Lit(text) => pieces.push(SpecPiece::Lit(text)),
                SrcPiece::Field(field) => {
                    let conv = field.conversion();
                    let spec = match field.spec {
                        Some(inner) if !inner.broken => self
                            .format_spec(inner.span)
                            .map(|parsed| (parsed, inner.span)),
                        _ => None,
                    };
                    pieces.push(SpecPiece::Field {
                        expr: field.expr,
                        conv,
                        spec,
                    });
                }
            }
        }
        Some(FStrPiece::NestedSpec {
            pieces,
            span: spec.span,
            text: self.src[spec.span.range()].to_string(),
        })
    }

    /// Parses the format spec in `range` (after a hole's `:`); a bad one is E0010, and
    /// the hole is then formatted as if it had none.
    fn format_spec(&mut self, range: Span) -> Option<Box<FormatSpec>> {
        let text = &self.src[range.range()];
        if text.is_empty() {
            return None;
        }
        match FormatSpec::parse(text) {
            Ok(spec) => Some(Box::new(spec)),
            Err(why) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_FORMAT_SPEC,
                        format!("invalid format spec `{text}`"),
                        range,
                    )
                    .label(why.explain())
                    .help(
                        "a spec is [[fill]align][sign][z][#][0][width][,|_][.precision][type], \
                         as in Python: `.2f`, `>8`, `08d`, `,`, `.1%`",
                    ),
                );
                None
            }
        }
    }
}
