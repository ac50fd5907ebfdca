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
                        Some(span) => pieces.push(FStrPiece::Expr(span)),
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

    /// At the `{` of an f-string hole: returns the span between the braces and leaves the
    /// cursor after `}`. `None` when the hole is never closed; that also ends the f-string
    /// (consuming a `"` if that is what stopped it).
    pub(super) fn fstring_hole(&mut self) -> Option<Span> {
        let open = self.pos;
        self.pos += 1;
        let expr_start = self.pos;
        let mut nesting = 0usize;
        loop {
            if self.pos >= self.end || self.at_newline() || self.peek() == Some(b'"') {
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
                b'{' => nesting += 1,
                b'}' if nesting == 0 => {
                    let span = Span::new(expr_start, self.pos);
                    self.pos += 1;
                    return Some(span);
                }
                b'}' => nesting -= 1,
                _ => {}
            }
            let width = self.current_char().map_or(1, char::len_utf8);
            self.pos += width;
        }
    }
}
