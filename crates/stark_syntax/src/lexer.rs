//! The lexer: source text to tokens, turning indentation into `Indent`/`Dedent` tokens the
//! way Python does. It never fails: every problem becomes a diagnostic and lexing goes on,
//! so the parser always receives a well-formed stream ending in `Eof` with balanced
//! `Indent`/`Dedent` pairs.

use crate::diagnostic::{codes, Diagnostic};
use crate::span::{FileId, Span};
use crate::token::{FStrPiece, Token, TokenKind};

/// Width a tab in indentation counts as, after it has been reported (E0002).
const TAB_WIDTH: usize = 4;

/// Keywords that can only start a statement. Seeing one at the start of a line while a
/// bracket is still open means the bracket was never closed; the lexer then abandons the
/// bracket so the parser can report one error and resume at this line, instead of the rest
/// of the file collapsing into one logical line.
const STATEMENT_KEYWORDS: &[&str] = &[
    "let",
    "fn",
    "struct",
    "const",
    "return",
    "while",
    "for",
    "if",
    "elif",
    "else",
    "break",
    "continue",
    "pass",
    "arena",
    "immutable",
];

/// A file's tokens, the problems found, and the comments the tokens leave out.
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub diags: Vec<Diagnostic>,
    /// Spans of every `//` and `/* */` comment, in source order.
    pub comments: Vec<Span>,
}

/// Lexes a whole file.
pub fn lex(source: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let lexed = lex_file(source, FileId::default());
    (lexed.tokens, lexed.diags)
}

/// Lexes a whole file, every span marked as being in `file`.
pub fn lex_file(source: &str, file: FileId) -> Lexed {
    let mut lexer = Lexer::new(source, 0, source.len(), true);
    lexer.run();
    let mut lexed = Lexed {
        tokens: lexer.tokens,
        diags: lexer.diags,
        comments: lexer.comments,
    };
    stamp_file(&mut lexed.tokens, &mut lexed.diags, file);
    for s in &mut lexed.comments {
        s.file = file;
    }
    lexed
}

/// The lexer makes spans in file 0; this marks them (and an f-string's hole ranges, lexed
/// later from those spans) as being in `file`.
fn stamp_file(tokens: &mut [Token], diags: &mut [Diagnostic], file: FileId) {
    for t in tokens {
        t.span.file = file;
        if let TokenKind::FStr(pieces) = &mut t.kind {
            for p in pieces {
                if let FStrPiece::Expr(span) = p {
                    span.file = file;
                }
            }
        }
    }
    for d in diags {
        d.set_file(file);
    }
}

/// Lexes `source[range]` as a bare expression (an f-string hole): no layout tokens, just the
/// tokens and a final `Eof`, all with absolute spans into `source`.
pub fn lex_fragment(source: &str, range: Span) -> (Vec<Token>, Vec<Diagnostic>) {
    let (start, end) = (range.start as usize, range.end as usize);
    let valid = start <= end
        && end <= source.len()
        && source.is_char_boundary(start)
        && source.is_char_boundary(end);
    let (start, end) = if valid { (start, end) } else { (end, end) };
    let end = end.min(source.len());
    let start = start.min(end);
    let mut lexer = Lexer::new(source, start, end, false);
    lexer.run();
    stamp_file(&mut lexer.tokens, &mut lexer.diags, range.file);
    (lexer.tokens, lexer.diags)
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    end: usize,
    /// False for f-string fragments, which have no lines or indentation.
    layout: bool,
    tokens: Vec<Token>,
    diags: Vec<Diagnostic>,
    /// Indentation columns of the open blocks; always starts with 0.
    indents: Vec<usize>,
    /// Open `(`, `[`, `{`; newlines inside them are not line ends.
    bracket_depth: usize,
    /// Whether the current logical line produced a token (so it needs a `Newline`).
    line_has_tokens: bool,
    /// Every comment's span, in source order: the parser does not see them, a formatter
    /// must keep them (Ruff's comment side table).
    comments: Vec<Span>,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str, start: usize, end: usize, layout: bool) -> Lexer<'a> {
        Lexer {
            src,
            bytes: src.as_bytes(),
            pos: start,
            end,
            layout,
            tokens: Vec::new(),
            diags: Vec::new(),
            indents: vec![0],
            bracket_depth: 0,
            line_has_tokens: false,
            comments: Vec::new(),
        }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        if at < self.end {
            Some(self.bytes[at])
        } else {
            None
        }
    }

    fn peek(&self) -> Option<u8> {
        self.byte(self.pos)
    }

    fn peek2(&self) -> Option<u8> {
        self.byte(self.pos + 1)
    }

    fn current_char(&self) -> Option<char> {
        if self.pos < self.end {
            self.src[self.pos..self.end].chars().next()
        } else {
            None
        }
    }

    /// A line break at the cursor: `\n` or `\r\n` (a lone `\r` is plain whitespace).
    fn at_newline(&self) -> bool {
        match self.peek() {
            Some(b'\n') => true,
            Some(b'\r') => self.peek2() == Some(b'\n'),
            _ => false,
        }
    }

    fn eat_newline(&mut self) {
        if self.peek() == Some(b'\r') {
            self.pos += 1;
        }
        if self.peek() == Some(b'\n') {
            self.pos += 1;
        }
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            span: Span::new(start, self.pos),
        });
        self.line_has_tokens = true;
    }

    fn push_layout(&mut self, kind: TokenKind, start: usize, end: usize) {
        self.tokens.push(Token {
            kind,
            span: Span::new(start, end),
        });
    }

    fn error(&mut self, code: &'static str, message: impl Into<String>, span: Span) {
        self.diags.push(Diagnostic::error(code, message, span));
    }

    fn run(&mut self) {
        if self.layout {
            self.start_line();
        }
        loop {
            self.skip_inline_space();
            let Some(b) = self.peek() else { break };
            if self.at_newline() {
                self.newline();
                continue;
            }
            match b {
                b'/' if self.peek2() == Some(b'/') => self.skip_line_comment(),
                b'/' if self.peek2() == Some(b'*') => self.skip_block_comment(),
                b'0'..=b'9' => self.number(),
                b'"' => self.string(),
                b'f' if self.peek2() == Some(b'"') => self.fstring(),
                _ => {
                    let c = self.current_char().unwrap_or('\u{fffd}');
                    if c == '_' || c.is_alphabetic() {
                        self.ident();
                    } else if !self.operator() {
                        self.bad_char(c);
                    }
                }
            }
        }
        self.finish();
    }

    fn skip_inline_space(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | 0x0c => self.pos += 1,
                b'\r' if self.peek2() != Some(b'\n') => self.pos += 1,
                _ => break,
            }
        }
    }

    fn skip_line_comment(&mut self) {
        let start = self.pos;
        while self.pos < self.end && !self.at_newline() {
            self.pos += 1;
        }
        self.comments.push(Span::new(start, self.pos));
        // Stopping on a char boundary matters: `at_newline` only matches ASCII, and all
        // multi-byte UTF-8 continuation bytes are >= 0x80, so we can only stop before `\r`
        // or `\n`, or at the end.
    }

    fn skip_block_comment(&mut self) {
        let start = self.pos;
        self.pos += 2;
        while self.pos < self.end {
            if self.bytes[self.pos] == b'*' && self.peek2() == Some(b'/') {
                self.pos += 2;
                self.comments.push(Span::new(start, self.pos));
                return;
            }
            self.pos += 1;
        }
        self.diags.push(
            Diagnostic::error(
                codes::UNTERMINATED,
                "unterminated block comment",
                Span::new(start, start + 2),
            )
            .label("comment starts here and is never closed with `*/`"),
        );
    }

    /// A line break outside string literals.
    fn newline(&mut self) {
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
    fn next_line_starts_statement(&self) -> bool {
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
    fn start_line(&mut self) {
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

    fn indent_to(&mut self, col: usize, line_start: usize, code_start: usize) {
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

    fn finish(&mut self) {
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

    fn ident(&mut self) {
        let start = self.pos;
        for (i, c) in self.src[start..self.end].char_indices() {
            if !(c == '_' || c.is_alphanumeric()) {
                self.pos = start + i;
                break;
            }
            self.pos = start + i + c.len_utf8();
        }
        let word = &self.src[start..self.pos];
        let kind = TokenKind::keyword(word).unwrap_or_else(|| TokenKind::Ident(word.to_string()));
        self.push(kind, start);
    }

    fn eat_digits(&mut self, hex: bool) {
        while let Some(b) = self.peek() {
            let ok = b == b'_'
                || if hex {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                };
            if !ok {
                break;
            }
            self.pos += 1;
        }
    }

    fn number(&mut self) {
        let start = self.pos;
        if self.peek() == Some(b'0') && matches!(self.peek2(), Some(b'x' | b'X')) {
            self.pos += 2;
            let digits_start = self.pos;
            self.eat_digits(true);
            let digits: String = self.src[digits_start..self.pos]
                .chars()
                .filter(|c| *c != '_')
                .collect();
            let value = if digits.is_empty() {
                self.error(
                    codes::SYNTAX,
                    "hexadecimal literal has no digits",
                    Span::new(start, self.pos),
                );
                0
            } else {
                self.int_value(&digits, 16, start)
            };
            self.push(TokenKind::Int(value), start);
            return;
        }

        self.eat_digits(false);
        let mut is_float = false;
        // `3.` followed by a non-digit stays an Int so that `3.foo` is Int, Dot, Ident.
        if self.peek() == Some(b'.') && self.peek2().is_some_and(|b| b.is_ascii_digit()) {
            is_float = true;
            self.pos += 1;
            self.eat_digits(false);
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let mut p = self.pos + 1;
            if matches!(self.byte(p), Some(b'+' | b'-')) {
                p += 1;
            }
            if self.byte(p).is_some_and(|b| b.is_ascii_digit()) {
                is_float = true;
                self.pos = p;
                self.eat_digits(false);
            }
        }
        let text: String = self.src[start..self.pos]
            .chars()
            .filter(|c| *c != '_')
            .collect();
        let kind = if is_float {
            TokenKind::Float(text.parse().unwrap_or(0.0))
        } else {
            TokenKind::Int(self.int_value(&text, 10, start))
        };
        self.push(kind, start);
    }

    /// The literal's value, or 0 with E0006 when it does not fit.
    fn int_value(&mut self, digits: &str, radix: u32, start: usize) -> i64 {
        i64::from_str_radix(digits, radix).unwrap_or_else(|_| {
            let mut diag = Diagnostic::error(
                codes::INT_TOO_LARGE,
                "integer literal is too large",
                Span::new(start, self.pos),
            )
            .label("does not fit in a 64-bit signed integer")
            .note(format!("the largest Int is {}", i64::MAX));
            // `-9223372036854775808` is a negation applied to a literal one past the
            // largest Int, so the smallest Int cannot be written as one literal.
            if u64::from_str_radix(digits, radix) == Ok(1 << 63) {
                diag = diag.help(format!("for the smallest Int, write `-{} - 1`", i64::MAX));
            }
            self.diags.push(diag);
            0
        })
    }

    fn unterminated(&mut self, what: &str, start: usize) {
        let end = self.pos.max(start + 1).min(self.end.max(start));
        self.diags.push(
            Diagnostic::error(
                codes::UNTERMINATED,
                format!("unterminated {what}"),
                Span::new(start, end),
            )
            .label("missing closing `\"`"),
        );
    }

    fn string(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            if self.pos >= self.end || self.at_newline() {
                self.unterminated("string literal", start);
                break;
            }
            match self.bytes[self.pos] {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => self.escape(&mut value),
                _ => self.take_char(&mut value),
            }
        }
        self.push(TokenKind::Str(value), start);
    }

    fn take_char(&mut self, into: &mut String) {
        if let Some(c) = self.current_char() {
            into.push(c);
            self.pos += c.len_utf8();
        } else {
            self.pos += 1;
        }
    }

    /// Decodes the escape at the cursor (which is on the backslash) into `into`.
    fn escape(&mut self, into: &mut String) {
        let start = self.pos;
        self.pos += 1;
        // A backslash right before the line end: leave the break for the caller, which
        // reports the literal as unterminated.
        if self.pos >= self.end || self.at_newline() {
            return;
        }
        let Some(c) = self.current_char() else { return };
        self.pos += c.len_utf8();
        let decoded = match c {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            '\\' => '\\',
            '"' => '"',
            '0' => '\0',
            '{' => '{',
            '}' => '}',
            'u' => match self.unicode_escape() {
                Some(c) => c,
                None => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_ESCAPE,
                            "invalid unicode escape",
                            Span::new(start, self.pos),
                        )
                        .label("expected `\\u{XXXX}` with 1 to 6 hex digits naming a character"),
                    );
                    return;
                }
            },
            other => {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_ESCAPE,
                        format!("unknown escape sequence `\\{}`", other.escape_default()),
                        Span::new(start, self.pos),
                    )
                    .label("unknown escape")
                    .help("valid escapes: \\n \\t \\r \\\\ \\\" \\0 \\{ \\} \\u{XXXX}"),
                );
                other
            }
        };
        into.push(decoded);
    }

    /// After `\u`: `{` 1–6 hex digits `}`. Consumes as much as looks like the escape.
    fn unicode_escape(&mut self) -> Option<char> {
        if self.peek() != Some(b'{') {
            return None;
        }
        self.pos += 1;
        let digits_start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_hexdigit()) {
            self.pos += 1;
        }
        let digits = &self.src[digits_start..self.pos];
        if self.peek() != Some(b'}') {
            return None;
        }
        self.pos += 1;
        if digits.is_empty() || digits.len() > 6 {
            return None;
        }
        u32::from_str_radix(digits, 16)
            .ok()
            .and_then(char::from_u32)
    }

    fn fstring(&mut self) {
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
    fn fstring_hole(&mut self) -> Option<Span> {
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

    /// Lexes an operator or punctuation token; false if none starts here.
    fn operator(&mut self) -> bool {
        use TokenKind::*;
        let start = self.pos;
        let Some(b) = self.peek() else { return false };
        let next = self.peek2();
        let (kind, len) = match (b, next) {
            (b'*', Some(b'*')) => (StarStar, 2),
            (b'*', Some(b'=')) => (StarEq, 2),
            (b'*', _) => (Star, 1),
            (b'+', Some(b'=')) => (PlusEq, 2),
            (b'+', _) => (Plus, 1),
            (b'-', Some(b'>')) => (Arrow, 2),
            (b'-', Some(b'=')) => (MinusEq, 2),
            (b'-', _) => (Minus, 1),
            (b'/', Some(b'=')) => (SlashEq, 2),
            (b'/', _) => (Slash, 1),
            (b'%', _) => (Percent, 1),
            (b'@', _) => (At, 1),
            (b'=', Some(b'=')) => (EqEq, 2),
            (b'=', _) => (Eq, 1),
            (b'!', Some(b'=')) => (NotEq, 2),
            (b'<', Some(b'=')) => (Le, 2),
            (b'<', _) => (Lt, 1),
            // `>>` is deliberately never one token: `Map<String, List<Int>>` closes twice.
            (b'>', Some(b'=')) => (Ge, 2),
            (b'>', _) => (Gt, 1),
            (b'(', _) => (LParen, 1),
            (b')', _) => (RParen, 1),
            (b'[', _) => (LBracket, 1),
            (b']', _) => (RBracket, 1),
            (b'{', _) => (LBrace, 1),
            (b'}', _) => (RBrace, 1),
            (b',', _) => (Comma, 1),
            (b':', _) => (Colon, 1),
            (b'.', _) => (Dot, 1),
            (b'?', _) => (Question, 1),
            (b'&', _) => (Amp, 1),
            _ => return false,
        };
        match kind {
            LParen | LBracket | LBrace => self.bracket_depth += 1,
            RParen | RBracket | RBrace => self.bracket_depth = self.bracket_depth.saturating_sub(1),
            _ => {}
        }
        self.pos += len;
        self.push(kind, start);
        true
    }

    /// Skips a character that starts no token. A run of them is reported once.
    fn bad_char(&mut self, c: char) {
        let start = self.pos;
        self.pos += c.len_utf8();
        if let Some(last) = self.diags.last_mut() {
            if last.code == codes::BAD_CHAR && last.primary.span.end as usize == start {
                last.primary.span.end = self.pos as u32;
                return;
            }
        }
        let mut diag = Diagnostic::error(
            codes::BAD_CHAR,
            format!("unexpected character {c:?}"),
            Span::new(start, self.pos),
        )
        .label("this character starts no token");
        diag = match c {
            '!' => diag.help("use `not` for logical negation, `!=` for inequality"),
            '\'' => diag.help("strings use double quotes: \"text\""),
            '|' => diag.help("use `or` for logical or"),
            _ => diag,
        };
        self.diags.push(diag);
    }
}
