//! f-strings: literal pieces are decoded here; each `{…}` hole is kept as a source range
//! that the parser lexes and parses on its own (`lex_fragment`).

use super::*;

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
                    if !lit.is_empty() {
                        pieces.push(FStrPiece::Lit(std::mem::take(&mut lit)));
                    }
                    match self.fstring_hole() {
                        Some((span, spec)) => {
                            pieces.push(FStrPiece::Expr(span));
                            if let Some(spec) = spec.and_then(|r| self.format_spec(r)) {
                                pieces.push(spec);
                            }
                        }
                        None => break,
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

    /// At the `{` of an f-string hole: returns the span of the expression and, after a
    /// top-level `:`, of the format spec, and leaves the cursor after the closing `}`.
    /// String literals inside the hole are skipped whole (`f"{m["k"]}"`), and a `:` inside
    /// brackets (`{xs[1:2]}`, `{ {"a": 1}["a"] }`) is the expression's. `None` when the hole
    /// is never closed; that also ends the f-string (consuming a `"` if that stopped it).
    pub(super) fn fstring_hole(&mut self) -> Option<(Span, Option<Span>)> {
        let open = self.pos;
        self.pos += 1;
        let expr_start = self.pos;
        let mut nesting = 0usize;
        let mut spec_start: Option<usize> = None;
        loop {
            let at_quote = self.peek() == Some(b'"');
            if self.pos >= self.end || self.at_newline() || (at_quote && spec_start.is_some()) {
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
                return None;
            }
            match self.bytes[self.pos] {
                b'"' => {
                    // A string literal inside the expression: skip to its closing quote.
                    self.pos += 1;
                    while self.pos < self.end && !self.at_newline() && self.bytes[self.pos] != b'"'
                    {
                        if self.bytes[self.pos] == b'\\' && self.pos + 1 < self.end {
                            self.pos += 1;
                        }
                        self.pos += self.current_char().map_or(1, char::len_utf8);
                    }
                    if self.pos >= self.end || self.at_newline() {
                        // Never closed: the hole and the f-string end with the line.
                        self.diags.push(
                            Diagnostic::error(
                                codes::UNTERMINATED,
                                "unclosed `{` in f-string",
                                Span::new(open, open + 1),
                            )
                            .label("this `{` is never closed")
                            .help("write `{{` for a literal brace"),
                        );
                        return None;
                    }
                    self.pos += 1;
                    continue;
                }
                b'(' | b'[' | b'{' if spec_start.is_none() => nesting += 1,
                b')' | b']' if spec_start.is_none() => nesting = nesting.saturating_sub(1),
                b':' if nesting == 0 && spec_start.is_none() => spec_start = Some(self.pos),
                b'{' => nesting += 1,
                b'}' if nesting == 0 => {
                    let expr_end = spec_start.unwrap_or(self.pos);
                    let span = Span::new(expr_start, expr_end);
                    let spec = spec_start.map(|colon| Span::new(colon + 1, self.pos));
                    self.pos += 1;
                    return Some((span, spec));
                }
                b'}' => nesting -= 1,
                _ => {}
            }
            let width = self.current_char().map_or(1, char::len_utf8);
            self.pos += width;
        }
    }

    /// Parses the format spec in `range` (after a hole's `:`); a bad one is E0010, and
    /// the hole is then formatted as if it had none.
    fn format_spec(&mut self, range: Span) -> Option<FStrPiece> {
        let text = &self.src[range.range()];
        if text.is_empty() {
            return None;
        }
        let result = if text.contains('{') {
            Err("a format spec cannot contain `{…}` (a nested replacement field)".to_string())
        } else {
            crate::format_spec::FormatSpec::parse(text)
        };
        match result {
            Ok(spec) => Some(FStrPiece::Spec(Box::new(spec), range)),
            Err(why) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_FORMAT_SPEC,
                        format!("invalid format spec `{text}`"),
                        range,
                    )
                    .label(why)
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
