//! Layout: line ends, and indentation turned into `Indent`/`Dedent` tokens the way
//! Python does it (tabs in indentation are an error, SPEC §2).

use super::*;

impl Lexer<'_> {
    /// A line break outside string literals.
    pub(super) fn newline(&mut self) {
        let start = self.pos;
        self.eat_newline();
        if !self.layout {
            return;
        }
        if self.bracket_depth > 0 {
            if !self.next_line_starts_statement() {
                return;
            }
            self.bracket_depth = 0;
        }
        if self.line_has_tokens {
            self.push_layout(TokenKind::Newline, start, self.pos);
            self.line_has_tokens = false;
        }
        self.start_line();
    }

    /// Whether the line at the cursor begins with a statement-only keyword.
    pub(super) fn next_line_starts_statement(&self) -> bool {
        let mut p = self.pos;
        while p < self.end && matches!(self.bytes[p], b' ' | b'\t') {
            p += 1;
        }
        let word_end = self.bytes[p..self.end]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .map_or(self.end, |n| p + n);
        STATEMENT_KEYWORDS.contains(&&self.src[p..word_end])
    }

    /// At the start of a physical line (outside brackets): measure indentation, skip lines
    /// that hold nothing but whitespace and comments, and emit `Indent`/`Dedent` for the
    /// first line that holds code.
    pub(super) fn start_line(&mut self) {
        loop {
            let line_start = self.pos;
            let mut col = 0;
            let mut tab_reported = false;
            while let Some(b) = self.peek() {
                match b {
                    b' ' => col += 1,
                    b'\t' => {
                        if !tab_reported {
                            tab_reported = true;
                            self.diags.push(
                                Diagnostic::error(
                                    codes::TAB_INDENT,
                                    "tab character in indentation",
                                    Span::new(self.pos, self.pos + 1),
                                )
                                .label("tab here")
                                .help("indent with spaces only"),
                            );
                        }
                        col += TAB_WIDTH - col % TAB_WIDTH;
                    }
                    _ => break,
                }
                self.pos += 1;
            }
            let code_start = self.pos;
            self.skip_inline_space();
            if self.pos >= self.end {
                return;
            }
            if self.at_newline() {
                self.eat_newline();
                continue;
            }
            if self.peek() == Some(b'/') && self.peek2() == Some(b'/') {
                self.skip_line_comment();
                continue;
            }
            if self.peek() == Some(b'/') && self.peek2() == Some(b'*') {
                self.skip_block_comment();
                self.skip_inline_space();
                let comment_only = self.pos >= self.end
                    || self.at_newline()
                    || (self.peek() == Some(b'/') && self.peek2() == Some(b'/'));
                if comment_only {
                    continue;
                }
            }
            self.indent_to(col, line_start, code_start);
            return;
        }
    }

    pub(super) fn indent_to(&mut self, col: usize, line_start: usize, code_start: usize) {
        let top = *self.indents.last().unwrap_or(&0);
        if col > top {
            self.indents.push(col);
            self.push_layout(TokenKind::Indent, line_start, code_start);
            return;
        }
        while col < *self.indents.last().unwrap_or(&0) {
            self.indents.pop();
            let outer = *self.indents.last().unwrap_or(&0);
            if col > outer {
                // Matches no open level. Treat the line as still inside the block it
                // unindented from (now at this column), so the token stream stays
                // balanced and only this one error is reported.
                let end = self.src[code_start..self.end]
                    .chars()
                    .next()
                    .map_or(code_start, |c| code_start + c.len_utf8());
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_DEDENT,
                        "unindent does not match any outer indentation level",
                        Span::new(code_start, end),
                    )
                    .label("this line's indentation matches no enclosing block"),
                );
                self.indents.push(col);
                return;
            }
            self.push_layout(TokenKind::Dedent, code_start, code_start);
        }
    }

    pub(super) fn finish(&mut self) {
        let end = self.end;
        if self.layout {
            if self.line_has_tokens {
                self.push_layout(TokenKind::Newline, end, end);
                self.line_has_tokens = false;
            }
            while self.indents.len() > 1 {
                self.indents.pop();
                self.push_layout(TokenKind::Dedent, end, end);
            }
        }
        self.push_layout(TokenKind::Eof, end, end);
    }
}
