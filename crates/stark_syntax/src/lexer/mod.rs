//! The lexer: source text to tokens, turning indentation into `Indent`/`Dedent` tokens the
//! way Python does. It never fails: every problem becomes a diagnostic and lexing goes on,
//! so the parser always receives a well-formed stream ending in `Eof` with balanced
//! `Indent`/`Dedent` pairs.

use crate::diagnostic::{codes, Diagnostic};
use crate::span::{FileId, Span};
use crate::token::{FStrPiece, SpecPiece, Token, TokenKind};

// One concern a file: line ends and indentation (`layout`), number and string literals
// (`literals`), f-strings (`fstring`); tokens, comments and operators stay here.
mod fstring;
mod layout;
mod literals;

/// Width a tab in indentation counts as, after it has been reported (E0002).
const TAB_WIDTH: usize = 4;

/// Keywords that can only start a statement. Seeing one at the start of a line while a
/// bracket is still open means the bracket was never closed; the lexer then abandons the
/// bracket so the parser can report one error and resume at this line, instead of the rest
/// of the file collapsing into one logical line.
pub(crate) const STATEMENT_KEYWORDS: &[&str] = &[
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
                match p {
                    FStrPiece::Expr(span) | FStrPiece::Spec(_, span) => span.file = file,
                    FStrPiece::NestedSpec { pieces, span, .. } => {
                        span.file = file;
                        for n in pieces {
                            if let SpecPiece::Field { expr, spec, .. } = n {
                                expr.file = file;
                                if let Some((_, span)) = spec {
                                    span.file = file;
                                }
                            }
                        }
                    }
                    FStrPiece::Lit(_) | FStrPiece::Conv(_) => {}
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
            (b'%', Some(b'=')) => (PercentEq, 2),
            (b'%', _) => (Percent, 1),
            (b'@', _) => (At, 1),
            (b'=', Some(b'=')) => (EqEq, 2),
            (b'=', Some(b'>')) => (FatArrow, 2),
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
            (b'|', _) => (Pipe, 1),
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
