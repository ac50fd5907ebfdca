//! Recursive-descent parser over the lexer's tokens.
//!
//! Error handling: a function that hits a syntax error reports exactly one diagnostic and
//! returns `Err(Fail)`. The failure unwinds to the nearest statement or item loop, which
//! skips to the end of the line (and past any block that line opened) and carries on. So
//! each broken line yields one diagnostic, never a cascade.
//!
//! Depth: every recursive construct goes through [`Parser::nested`], and long operator or
//! postfix chains count each application via [`Parser::deeper`], so neither the parser nor
//! the later passes walking the tree can overflow the stack on hostile input.

mod expr;
mod items;
mod stmt;

use crate::ast::{Expr, ExprId, ExprKind, Program};
use crate::diagnostic::{codes, Diagnostic};
use crate::span::Span;
use crate::token::{Token, TokenKind};

/// Nesting budget shared by expressions, types and blocks.
pub const MAX_DEPTH: u32 = 256;

/// Parses a whole file's tokens (as produced by [`crate::lexer::lex`]).
pub fn parse_tokens(source: &str, tokens: &[Token]) -> (Program, Vec<Diagnostic>) {
    let mut parser = Parser::new(source, tokens);
    let items = parser.parse_items();
    let program = Program {
        items,
        expr_count: parser.next_id,
        items_intact: parser.diags.len() == parser.body_diags,
        comments: Vec::new(),
        warnings: Vec::new(),
    };
    (program, parser.diags)
}

/// The error has been reported already; unwind to a recovery point.
#[derive(Debug)]
pub(crate) struct Fail;

pub(crate) type PResult<T> = Result<T, Fail>;

pub(crate) struct Parser<'a> {
    src: &'a str,
    tokens: &'a [Token],
    pos: usize,
    diags: Vec<Diagnostic>,
    next_id: u32,
    depth: u32,
    too_deep_reported: bool,
    /// Span of the last consumed token that is not layout; "expected X" errors at a line
    /// end point here, like rustc's "expected `;` after this".
    prev_span: Span,
    /// Returned once the tokens run out, so a stream without `Eof` is still safe.
    eof: Token,
    /// Parsing an f-string hole: its end reads better as "`}`" than "end of file".
    in_fragment: bool,
    /// Diagnostics reported inside function bodies that still parsed (`FnDecl::broken`).
    body_diags: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, tokens: &'a [Token]) -> Parser<'a> {
        let end = tokens.last().map_or(src.len(), |t| t.span.end as usize);
        Parser {
            src,
            tokens,
            pos: 0,
            diags: Vec::new(),
            next_id: 0,
            depth: 0,
            too_deep_reported: false,
            prev_span: tokens.first().map_or(Span::new(0, 0), |t| t.span),
            eof: Token {
                kind: TokenKind::Eof,
                span: Span {
                    file: tokens.first().map_or(Default::default(), |t| t.span.file),
                    ..Span::new(end, end)
                },
            },
            in_fragment: false,
            body_diags: 0,
        }
    }

    // ----- token access -------------------------------------------------------------

    fn tok(&self) -> &Token {
        self.tokens.get(self.pos).unwrap_or(&self.eof)
    }

    fn peek(&self) -> &TokenKind {
        &self.tok().kind
    }

    fn peek_at(&self, n: usize) -> &TokenKind {
        self.tokens
            .get(self.pos + n)
            .map_or(&self.eof.kind, |t| &t.kind)
    }

    fn span(&self) -> Span {
        self.tok().span
    }

    fn at(&self, kind: &TokenKind) -> bool {
        self.peek() == kind
    }

    fn at_eof(&self) -> bool {
        matches!(self.peek(), TokenKind::Eof)
    }

    /// Consumes the current token (never moves past the end) and returns its span.
    fn bump(&mut self) -> Span {
        let tok = self.tok();
        let span = tok.span;
        let layout = tok.kind.is_layout();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        if !layout {
            self.prev_span = span;
        }
        span
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        if self.at(kind) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Consumes `kind` or reports "expected {what}, found …".
    fn expect(&mut self, kind: &TokenKind, what: &str) -> PResult<Span> {
        if self.at(kind) {
            Ok(self.bump())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn expect_ident(&mut self, what: &str) -> PResult<crate::ast::Ident> {
        if let TokenKind::Ident(name) = self.peek() {
            let name = name.clone();
            let span = self.bump();
            Ok(crate::ast::Ident { name, span })
        } else {
            Err(self.unexpected(what))
        }
    }

    // ----- diagnostics --------------------------------------------------------------

    fn describe_current(&self) -> String {
        match self.peek() {
            TokenKind::Eof if self.in_fragment => "`}`".to_string(),
            kind => kind.describe(),
        }
    }

    /// Reports "expected {what}, found {current}" and returns the failure to propagate.
    fn unexpected(&mut self, what: &str) -> Fail {
        let message = format!("expected {what}, found {}", self.describe_current());
        let diag = if self.peek().is_layout() {
            Diagnostic::error(codes::SYNTAX, message, self.prev_span).label(
                if what.contains(" after ") {
                    format!("expected {what}")
                } else {
                    format!("expected {what} after this")
                },
            )
        } else {
            Diagnostic::error(codes::SYNTAX, message, self.span()).label(format!("expected {what}"))
        };
        self.diags.push(diag);
        Fail
    }

    fn report(&mut self, diag: Diagnostic) -> Fail {
        self.diags.push(diag);
        Fail
    }

    // ----- depth budget -------------------------------------------------------------

    /// Runs `f` one nesting level deeper, failing with E0007 past [`MAX_DEPTH`].
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        let saved = self.depth;
        let result = match self.deeper() {
            Ok(()) => f(self),
            Err(fail) => Err(fail),
        };
        self.depth = saved;
        result
    }

    /// Spends one level of the budget until the enclosing [`Parser::nested`] returns; used
    /// for each link of an operator or postfix chain, which deepens the tree without
    /// recursing here.
    fn deeper(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth <= MAX_DEPTH {
            return Ok(());
        }
        if !self.too_deep_reported {
            self.too_deep_reported = true;
            let diag =
                Diagnostic::error(codes::TOO_DEEP, "expression nested too deeply", self.span())
                    .label("nesting limit reached here")
                    .note(format!(
                    "expressions, operator chains and blocks may nest at most {MAX_DEPTH} levels"
                ));
            self.diags.push(diag);
        }
        Err(Fail)
    }

    // ----- recovery -----------------------------------------------------------------

    /// Skips the rest of a broken line: through its `Newline` (and the block it opened,
    /// if an indented block follows), or up to the `Dedent` closing the current block.
    fn recover(&mut self) {
        let mut nest = 0usize;
        loop {
            match self.peek() {
                TokenKind::Eof => return,
                TokenKind::Newline if nest == 0 => {
                    self.bump();
                    if self.at(&TokenKind::Indent) {
                        self.skip_block();
                    }
                    return;
                }
                TokenKind::Dedent if nest == 0 => return,
                TokenKind::Indent => nest += 1,
                TokenKind::Dedent => nest -= 1,
                _ => {}
            }
            self.bump();
        }
    }

    /// At an `Indent`: skips through its matching `Dedent`.
    fn skip_block(&mut self) {
        let mut nest = 0usize;
        loop {
            match self.peek() {
                TokenKind::Eof => return,
                TokenKind::Indent => nest += 1,
                TokenKind::Dedent => {
                    nest = nest.saturating_sub(1);
                    if nest == 0 {
                        self.bump();
                        return;
                    }
                }
                _ => {}
            }
            self.bump();
        }
    }

    /// After a failed `if`/`elif`/`else` line: its remaining `elif`/`else` clauses belong
    /// to the broken statement, so skip them instead of reporting each as orphaned.
    fn skip_orphan_clauses(&mut self) {
        while matches!(self.peek(), TokenKind::Elif | TokenKind::Else) {
            let before = self.pos;
            self.recover();
            if self.pos == before {
                self.bump();
            }
        }
    }

    fn unexpected_indent(&mut self) {
        let diag = Diagnostic::error(codes::SYNTAX, "unexpected indent", self.span())
            .label("this line is indented more than the one before")
            .help("only a line ending in `:` opens an indented block");
        self.diags.push(diag);
    }

    // ----- nodes --------------------------------------------------------------------

    fn mk(&mut self, kind: ExprKind, span: Span) -> Expr {
        let id = ExprId(self.next_id);
        self.next_id += 1;
        Expr { id, kind, span }
    }
}

/// Whether `source[range]` lexes and parses, on its own and in full, as one expression
/// (W0101 asks it of the text of a `//` comment).
pub(crate) fn parses_as_expression(source: &str, range: Span) -> bool {
    let (tokens, lex_diags) = crate::lexer::lex_fragment(source, range);
    if !lex_diags.is_empty() || tokens.len() <= 1 {
        return false;
    }
    let mut parser = Parser::new(source, &tokens);
    parser.in_fragment = true;
    parser.parse_expr().is_ok() && parser.at_eof() && parser.diags.is_empty()
}
