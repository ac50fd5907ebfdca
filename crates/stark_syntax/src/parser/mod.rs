//! Recursive-descent parser over the lexer's tokens.
//!
//! Error handling: a function that hits a syntax error reports one diagnostic and returns
//! `Err(Fail)`. The failure unwinds to the nearest construct that can stand with a part
//! missing, which keeps what it parsed and puts an `ExprKind::Error` where the rest would
//! be (a `let` whose value is an error expression, a call with an error argument, an `if`
//! whose condition is one), skips the rest of the line, and returns the partial node. Its
//! enclosing constructs find the line's end where they expected more and close quietly:
//! after the first error on a line, no other is reported for it (`line_error`). A header
//! that lost its `:` still owns the indented block after it, so recovery resumes at the next
//! statement at the same indentation. Only what has no partial form (a `let` without a
//! name, an `else` without an `if`, a nested `fn`, nesting past the depth budget) unwinds to
//! the statement or item loop, which skips the line and the block it opened. Each broken
//! line yields one diagnostic, never a cascade.
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
    parse_tokens_from(source, tokens, 0)
}

/// [`parse_tokens`] numbering expressions from `first_expr`, so that the files of one
/// program, parsed apart, have disjoint `ExprId`s and can be joined into one `Program`.
pub fn parse_tokens_from(
    source: &str,
    tokens: &[Token],
    first_expr: u32,
) -> (Program, Vec<Diagnostic>) {
    let mut parser = Parser::new(source, tokens);
    parser.next_id = first_expr;
    let items = parser.parse_items();
    let program = Program {
        items,
        expr_count: parser.next_id,
        items_intact: parser.diags.len() == parser.body_diags,
        comments: Vec::new(),
        warnings: Vec::new(),
        imports: std::mem::take(&mut parser.imports),
        modules: Vec::new(),
        type_args: std::mem::take(&mut parser.type_args),
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
    /// A syntax error was reported on the current line: the rest of the line is being
    /// skipped or closed quietly, so no second diagnostic is reported for it. Cleared at
    /// each line end and at the start of every statement and item.
    line_error: bool,
    /// The nesting budget ran out: no partial node is kept, the failure unwinds to the
    /// statement or item loop (a partial node that deep would be as deep).
    too_deep: bool,
    imports: Vec<crate::ast::Import>,
    /// `Program::type_args`, filled as calls with written type arguments are parsed.
    type_args: std::collections::HashMap<crate::ast::ExprId, Vec<crate::ast::TypeExpr>>,
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
            line_error: false,
            too_deep: false,
            imports: Vec::new(),
            type_args: Default::default(),
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

    /// Items separated by commas, a trailing comma allowed, up to `close`, which is then
    /// expected (`what` names it in the error: "`,` or `)` in the parameter list").
    fn comma_separated<T>(
        &mut self,
        close: &TokenKind,
        what: &str,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        let mut items = Vec::new();
        while !self.at(close) {
            items.push(item(self)?);
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(close, what)?;
        Ok(items)
    }

    fn at_eof(&self) -> bool {
        matches!(self.peek(), TokenKind::Eof)
    }

    /// Consumes the current token (never moves past the end) and returns its span.
    fn bump(&mut self) -> Span {
        let tok = self.tok();
        let span = tok.span;
        let layout = tok.kind.is_layout();
        if tok.kind == TokenKind::Newline {
            self.line_error = false;
        }
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

    /// Reports "expected {what}, found {current}" (unless the line has reported its error
    /// already) and returns the failure to propagate.
    fn unexpected(&mut self, what: &str) -> Fail {
        self.unexpected_help(what, None)
    }

    /// [`Parser::unexpected`] with a help line.
    fn unexpected_help(&mut self, what: &str, help: Option<&str>) -> Fail {
        if self.line_error {
            return Fail;
        }
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
        let diag = match help {
            Some(help) => diag.help(help),
            None => diag,
        };
        self.report(diag)
    }

    /// Reports a syntax error on the current line, unless it has one already.
    fn report(&mut self, diag: Diagnostic) -> Fail {
        if !self.line_error {
            self.line_error = true;
            self.diags.push(diag);
        }
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
        self.too_deep = true;
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

    /// Takes a failure where a partial node can stand in: skips the rest of the line and
    /// returns `Ok`, so the caller builds the node with what it has. Past the nesting
    /// budget the failure goes on unwinding instead.
    fn absorb(&mut self) -> PResult<()> {
        if self.too_deep {
            return Err(Fail);
        }
        self.skip_line();
        Ok(())
    }

    /// Skips to the end of the line (its `Newline`, a `Dedent` or the end), not consuming it.
    fn skip_line(&mut self) {
        while !matches!(
            self.peek(),
            TokenKind::Newline | TokenKind::Dedent | TokenKind::Eof
        ) {
            self.bump();
        }
    }

    /// An expression, or where it fails, an error expression in its place (the rest of the
    /// line skipped): the partial node's missing part.
    fn expr_or_error(&mut self) -> PResult<Expr> {
        self.or_error(Self::parse_expr)
    }

    /// Runs `parse`; a failure becomes an `ExprKind::Error` from where it started to where
    /// the skipped line ends.
    fn or_error(&mut self, parse: impl FnOnce(&mut Self) -> PResult<Expr>) -> PResult<Expr> {
        let start = self.span();
        match parse(self) {
            Ok(e) => Ok(e),
            Err(Fail) => {
                self.absorb()?;
                Ok(self.error_node(start, Vec::new()))
            }
        }
    }

    /// An error expression starting at `start` (a token not yet consumed when the broken
    /// part began) and holding the `parts` that were parsed.
    fn error_node(&mut self, start: Span, parts: Vec<Expr>) -> Expr {
        let start = parts.first().map_or(start, |p| p.span);
        let span = if self.prev_span.start >= start.start {
            start.to(self.prev_span)
        } else {
            Span {
                end: start.start,
                ..start
            }
        };
        self.mk(ExprKind::Error(parts), span)
    }

    /// Consumes the closing `kind` of a bracketed construct. Missing, it reports (unless the
    /// line has reported already), skips the rest of the line and returns `Ok(None)`: the
    /// construct ends where the line does.
    fn close(&mut self, kind: &TokenKind, what: &str) -> PResult<Option<Span>> {
        if self.at(kind) {
            return Ok(Some(self.bump()));
        }
        self.unexpected(what);
        self.absorb()?;
        Ok(None)
    }

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
