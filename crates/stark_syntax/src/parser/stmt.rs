//! Blocks and statements.

use super::{Fail, PResult, Parser};
use crate::ast::{
    BinOp, Block, CaseField, CasePattern, Expr, ExprKind, MatchArm, Pattern, Stmt, StmtKind, UnOp,
};
use crate::diagnostic::{codes, Diagnostic};
use crate::token::TokenKind;

impl Parser<'_> {
    /// After a block header's `:`. Either an indented block on the following lines, or —
    /// as Python allows — one simple statement on the same line (`if x: return 1`).
    pub(super) fn block_body(&mut self) -> PResult<Block> {
        let colon = self.prev_span;
        if !self.at(&TokenKind::Newline) && !self.at_eof() {
            if is_compound_start(self.peek()) {
                let diag = Diagnostic::error(
                    codes::SYNTAX,
                    format!(
                        "expected a simple statement after `:`, found {}",
                        self.describe_current()
                    ),
                    self.span(),
                )
                .label("a block statement cannot follow `:` on the same line")
                .help("put the block on its own, indented lines");
                self.report(diag);
                self.absorb()?;
                return self.block_after_broken_header();
            }
            let stmts = match self.parse_simple_stmt() {
                Ok(stmt) => vec![stmt],
                Err(Fail) => {
                    // Nothing of it to keep: the header stands with an empty body.
                    self.absorb()?;
                    self.eat(&TokenKind::Newline);
                    Vec::new()
                }
            };
            let span = stmts.first().map_or(colon, |s| s.span);
            return Ok(Block { stmts, span });
        }
        self.bump();
        if !self.eat(&TokenKind::Indent) {
            // Not fatal: the next line is a statement of the enclosing block, and skipping
            // it as recovery would hide it.
            let diag = Diagnostic::error(
                codes::SYNTAX,
                format!(
                    "expected an indented block, found {}",
                    self.describe_current()
                ),
                colon,
            )
            .label("block expected after this `:`")
            .help("indent the block's lines, or write `pass` for an empty block");
            self.diags.push(diag);
            return Ok(Block {
                stmts: Vec::new(),
                span: colon,
            });
        }
        let stmts = self.parse_block_stmts();
        let span = match (stmts.first(), stmts.last()) {
            (Some(first), Some(last)) => first.span.to(last.span),
            _ => colon,
        };
        Ok(Block { stmts, span })
    }

    /// The body of a header whose line broke (reported, the rest of the line skipped): the
    /// indented block after the line, if there is one, still belongs to it; otherwise the
    /// body is empty.
    fn block_after_broken_header(&mut self) -> PResult<Block> {
        let at = self.prev_span;
        if !(self.at(&TokenKind::Newline) && *self.peek_at(1) == TokenKind::Indent) {
            // The header's line is the whole statement (an `elif` may continue it).
            self.eat(&TokenKind::Newline);
            return Ok(Block {
                stmts: Vec::new(),
                span: at,
            });
        }
        let stmts = self.nested(|p| {
            p.bump();
            p.bump();
            Ok(p.parse_block_stmts())
        })?;
        let span = match (stmts.first(), stmts.last()) {
            (Some(first), Some(last)) => first.span.to(last.span),
            _ => at,
        };
        Ok(Block { stmts, span })
    }

    /// After an `Indent`: statements up to and including the matching `Dedent`.
    fn parse_block_stmts(&mut self) -> Vec<Stmt> {
        let mut stmts = Vec::new();
        loop {
            let before = self.pos;
            match self.peek() {
                TokenKind::Eof => break,
                TokenKind::Dedent => {
                    self.bump();
                    break;
                }
                TokenKind::Newline => {
                    self.bump();
                }
                TokenKind::Indent => {
                    // Report once, then keep the over-indented lines as part of this block.
                    self.unexpected_indent();
                    self.bump();
                    match self.nested(|p| Ok(p.parse_block_stmts())) {
                        Ok(inner) => stmts.extend(inner),
                        Err(Fail) => {
                            // Too deep: drop the rest of this over-indented block.
                            self.pos -= 1;
                            self.skip_block();
                        }
                    }
                }
                _ => self.parse_or_recover(&mut stmts, Self::parse_stmt),
            }
            if self.pos == before && !self.at_eof() {
                self.bump();
            }
        }
        stmts
    }

    /// Parses one item or statement with `parse` into `out`. Most syntax errors leave a
    /// partial node (the module doc); after one that cannot, skips to where the next item or
    /// statement can start (and past the `elif`/`else` clauses of a broken `if`), so one
    /// mistake yields one diagnostic.
    pub(super) fn parse_or_recover<T>(
        &mut self,
        out: &mut Vec<T>,
        parse: fn(&mut Self) -> PResult<T>,
    ) {
        let starts_if = matches!(
            self.peek(),
            TokenKind::If | TokenKind::Elif | TokenKind::Else
        );
        self.line_error = false;
        match parse(self) {
            Ok(x) => out.push(x),
            Err(Fail) => {
                self.too_deep = false;
                self.recover();
                if starts_if {
                    self.skip_orphan_clauses();
                }
            }
        }
    }

    fn parse_stmt(&mut self) -> PResult<Stmt> {
        let start = self.span();
        let kind = match self.peek() {
            TokenKind::If => self.parse_if()?,
            TokenKind::While => {
                self.bump();
                let cond = self.expr_or_error()?;
                let body = self.parse_block("`:` after the while condition")?;
                StmtKind::While { cond, body }
            }
            TokenKind::For => {
                self.bump();
                // `for mutable x in xs:` (or `mut`): the body may mutate each element.
                let mutable = self.eat(&TokenKind::Mutable) || self.eat(&TokenKind::Mut);
                let var = self.parse_pattern_list("a loop variable after `for`")?;
                let iter = if self.eat(&TokenKind::In) {
                    self.expr_or_error()?
                } else {
                    let start = self.span();
                    self.unexpected("`in` after the loop variable");
                    self.absorb()?;
                    self.error_node(start, Vec::new())
                };
                let body = self.parse_block("`:` after the for loop's iterable")?;
                StmtKind::For {
                    var,
                    mutable,
                    iter,
                    body,
                }
            }
            TokenKind::Ident(word) if word == "match" && self.match_header_ahead() => {
                self.parse_match()?
            }
            TokenKind::Arena => {
                self.bump();
                let name = self.expect_ident("an arena name after `arena`")?;
                let body = self.parse_block("`:` after the arena name")?;
                StmtKind::Arena { name, body }
            }
            TokenKind::Elif | TokenKind::Else => {
                let word = self.peek().symbol();
                let diag = Diagnostic::error(
                    codes::SYNTAX,
                    format!("`{word}` without a matching `if`"),
                    self.span(),
                )
                .label(format!("this `{word}` follows no `if` block"))
                .help("`elif` and `else` must line up with the `if` they continue");
                return Err(self.report(diag));
            }
            TokenKind::Fn | TokenKind::Struct | TokenKind::Const | TokenKind::At => {
                let diag = Diagnostic::error(
                    codes::SYNTAX,
                    format!("{} is only allowed at top level", self.describe_current()),
                    self.span(),
                )
                .label("nested declaration")
                .help("move this declaration out of the block, to the top level of the file");
                return Err(self.report(diag));
            }
            _ => return self.parse_simple_stmt(),
        };
        Ok(Stmt {
            kind,
            span: start.to(self.prev_span),
        })
    }

    /// Expects the header's `:` and parses the block after it. A header without its `:`
    /// (reported) keeps the indented block after it as its body.
    fn parse_block(&mut self, colon_what: &str) -> PResult<Block> {
        if self.eat(&TokenKind::Colon) {
            return self.nested(|p| p.block_body());
        }
        let help = self
            .at(&TokenKind::Eq)
            .then_some("use `==` to compare values");
        self.unexpected_help(colon_what, help);
        self.absorb()?;
        self.block_after_broken_header()
    }

    /// Whether the line at `match` is a match statement's header: `match` is a soft
    /// keyword (as in Python), so `match = 3` and `match(x)` stay ordinary statements. A
    /// header ends in `:` and is followed by an indented block that starts with `case`.
    fn match_header_ahead(&self) -> bool {
        let mut n = 1;
        if matches!(
            self.peek_at(1),
            TokenKind::Colon | TokenKind::Newline | TokenKind::Eq | TokenKind::Dot
        ) {
            return false;
        }
        while !matches!(self.peek_at(n), TokenKind::Newline | TokenKind::Eof) {
            n += 1;
        }
        *self.peek_at(n - 1) == TokenKind::Colon
            && *self.peek_at(n + 1) == TokenKind::Indent
            && matches!(self.peek_at(n + 2), TokenKind::Ident(w) if w == "case")
    }

    /// `match subject:` and its `case` arms (SPEC §6).
    fn parse_match(&mut self) -> PResult<StmtKind> {
        self.bump();
        let subject = self.or_error(Self::parse_expr_or_tuple)?;
        self.expect(&TokenKind::Colon, "`:` after the match subject")?;
        self.expect(&TokenKind::Newline, "a newline after `match …:`")?;
        self.expect(&TokenKind::Indent, "an indented block of `case` arms")?;
        let arms = self.nested(|p| {
            let mut arms = Vec::new();
            loop {
                let before = p.pos;
                match p.peek() {
                    TokenKind::Eof => break,
                    TokenKind::Dedent => {
                        p.bump();
                        break;
                    }
                    TokenKind::Newline => {
                        p.bump();
                    }
                    TokenKind::Indent => {
                        p.unexpected_indent();
                        p.skip_block();
                    }
                    _ => p.parse_or_recover(&mut arms, Self::parse_case_arm),
                }
                if p.pos == before && !p.at_eof() {
                    p.bump();
                }
            }
            Ok(arms)
        })?;
        Ok(StmtKind::Match { subject, arms })
    }

    fn parse_case_arm(&mut self) -> PResult<MatchArm> {
        let start = self.span();
        if !matches!(self.peek(), TokenKind::Ident(w) if w == "case") {
            let fail = self.unexpected("`case` in a match block");
            if let Some(last) = self.diags.last_mut() {
                last.help = Some("every line of a match block starts a `case PATTERN:` arm".into());
            }
            return Err(fail);
        }
        self.bump();
        let pattern = self.parse_case_pattern()?;
        let guard = if self.eat(&TokenKind::If) {
            Some(self.expr_or_error()?)
        } else {
            None
        };
        let span = start.to(self.prev_span);
        let body = self.parse_block("`:` after the case pattern")?;
        Ok(MatchArm {
            pattern,
            guard,
            body,
            span,
        })
    }

    /// A case pattern; `case 0, y:` is the tuple `(0, y)`, as in Python.
    fn parse_case_pattern(&mut self) -> PResult<CasePattern> {
        let first = self.parse_or_pattern()?;
        if !self.at(&TokenKind::Comma) {
            return Ok(first);
        }
        let start = first.span();
        let mut parts = vec![first];
        while self.eat(&TokenKind::Comma) {
            if matches!(self.peek(), TokenKind::Colon | TokenKind::If) {
                break;
            }
            parts.push(self.parse_or_pattern()?);
        }
        Ok(CasePattern::Tuple(parts, start.to(self.prev_span)))
    }

    fn parse_or_pattern(&mut self) -> PResult<CasePattern> {
        let first = self.nested(|p| p.parse_closed_pattern())?;
        if !self.at(&TokenKind::Pipe) {
            return Ok(first);
        }
        let start = first.span();
        let mut alts = vec![first];
        while self.eat(&TokenKind::Pipe) {
            alts.push(self.nested(|p| p.parse_closed_pattern())?);
        }
        Ok(CasePattern::Or(alts, start.to(self.prev_span)))
    }

    fn parse_closed_pattern(&mut self) -> PResult<CasePattern> {
        let start = self.span();
        match self.peek().clone() {
            TokenKind::Ident(w) if w == "_" => {
                self.bump();
                Ok(CasePattern::Wild(start))
            }
            TokenKind::Int(_)
            | TokenKind::Float(_)
            | TokenKind::Str(_)
            | TokenKind::True
            | TokenKind::False
            | TokenKind::None => Ok(CasePattern::Literal(self.parse_primary()?)),
            TokenKind::Minus
                if matches!(self.peek_at(1), TokenKind::Int(_) | TokenKind::Float(_)) =>
            {
                self.bump();
                let number = self.parse_primary()?;
                let span = start.to(number.span);
                Ok(CasePattern::Literal(
                    self.mk(ExprKind::Unary(UnOp::Neg, Box::new(number)), span),
                ))
            }
            TokenKind::Ident(_) => {
                let mut path = vec![self.expect_ident("a name")?];
                while self.eat(&TokenKind::Dot) {
                    path.push(self.expect_ident("a variant name after `.`")?);
                }
                if !self.eat(&TokenKind::LParen) {
                    if path.len() == 1 {
                        return Ok(CasePattern::Name(path.pop().expect("one name")));
                    }
                    let span = start.to(self.prev_span);
                    return Ok(CasePattern::Variant {
                        path,
                        args: Vec::new(),
                        parens: false,
                        span,
                    });
                }
                let mut args = Vec::new();
                while !self.at(&TokenKind::RParen) {
                    let name = match (self.peek(), self.peek_at(1)) {
                        (TokenKind::Ident(_), TokenKind::Eq) => {
                            let name = self.expect_ident("a field name")?;
                            self.bump();
                            Some(name)
                        }
                        _ => None,
                    };
                    let pattern = self.parse_or_pattern()?;
                    args.push(CaseField { name, pattern });
                    if !self.eat(&TokenKind::Comma) {
                        break;
                    }
                }
                self.expect(&TokenKind::RParen, "`,` or `)` in the variant pattern")?;
                Ok(CasePattern::Variant {
                    path,
                    args,
                    parens: true,
                    span: start.to(self.prev_span),
                })
            }
            TokenKind::LParen => {
                self.bump();
                let mut parts = Vec::new();
                let mut trailing_comma = false;
                while !self.at(&TokenKind::RParen) {
                    parts.push(self.parse_or_pattern()?);
                    trailing_comma = self.eat(&TokenKind::Comma);
                    if !trailing_comma {
                        break;
                    }
                }
                self.expect(&TokenKind::RParen, "`,` or `)` in the tuple pattern")?;
                if parts.len() == 1 && !trailing_comma {
                    return Ok(parts.pop().expect("one pattern"));
                }
                Ok(CasePattern::Tuple(parts, start.to(self.prev_span)))
            }
            _ => {
                let fail = self.unexpected("a pattern");
                if let Some(last) = self.diags.last_mut() {
                    last.help = Some(
                        "patterns are literals, `_`, names, variants like `Circle(r)`, tuples and `a | b`"
                            .into(),
                    );
                }
                Err(fail)
            }
        }
    }

    fn parse_if(&mut self) -> PResult<StmtKind> {
        self.bump();
        let mut branches = Vec::new();
        let cond = self.expr_or_error()?;
        let block = self.parse_block("`:` after the if condition")?;
        branches.push((cond, block));
        while self.eat(&TokenKind::Elif) {
            let cond = self.expr_or_error()?;
            let block = self.parse_block("`:` after the elif condition")?;
            branches.push((cond, block));
        }
        let else_block = if self.eat(&TokenKind::Else) {
            Some(self.parse_block("`:` after `else`")?)
        } else {
            None
        };
        Ok(StmtKind::If {
            branches,
            else_block,
        })
    }

    /// A one-line statement, including its line end.
    fn parse_simple_stmt(&mut self) -> PResult<Stmt> {
        let start = self.span();
        let kind = match self.peek() {
            TokenKind::Let | TokenKind::Mutable | TokenKind::Mut | TokenKind::Immutable => {
                self.parse_let()?
            }
            TokenKind::Return => {
                self.bump();
                if matches!(
                    self.peek(),
                    TokenKind::Newline | TokenKind::Dedent | TokenKind::Eof
                ) {
                    StmtKind::Return(None)
                } else {
                    StmtKind::Return(Some(self.or_error(Self::parse_expr_or_tuple)?))
                }
            }
            TokenKind::Break => {
                self.bump();
                StmtKind::Break
            }
            TokenKind::Continue => {
                self.bump();
                StmtKind::Continue
            }
            TokenKind::Pass => {
                self.bump();
                StmtKind::Pass
            }
            _ => {
                let target = self.parse_expr_or_tuple()?;
                let op = match self.peek() {
                    TokenKind::Eq => Some(None),
                    TokenKind::PlusEq => Some(Some(BinOp::Add)),
                    TokenKind::MinusEq => Some(Some(BinOp::Sub)),
                    TokenKind::StarEq => Some(Some(BinOp::Mul)),
                    TokenKind::SlashEq => Some(Some(BinOp::Div)),
                    TokenKind::PercentEq => Some(Some(BinOp::Mod)),
                    _ => None,
                };
                match op {
                    Some(op) => {
                        self.bump();
                        let value = self.or_error(Self::parse_expr_or_tuple)?;
                        StmtKind::Assign { target, op, value }
                    }
                    None => StmtKind::Expr(target),
                }
            }
        };
        let span = start.to(self.prev_span);
        let kind = self.finish_line(kind)?;
        Ok(Stmt { kind, span })
    }

    /// The end of a simple statement. Something else there is reported (unless the line
    /// has an error already) and skipped, and the statement's last expression becomes an
    /// error node holding it: it is not what the line meant (`retrun x` is not `retrun`).
    fn finish_line(&mut self, kind: StmtKind) -> PResult<StmtKind> {
        if matches!(
            self.peek(),
            TokenKind::Newline | TokenKind::Dedent | TokenKind::Eof
        ) {
            self.eat(&TokenKind::Newline);
            return Ok(kind);
        }
        self.unexpected("the end of the statement");
        self.absorb()?;
        self.eat(&TokenKind::Newline);
        let mut wrap = |e: Expr| {
            let span = e.span;
            self.error_node(span, vec![e])
        };
        Ok(match kind {
            StmtKind::Let {
                name,
                mutable,
                ty,
                value,
            } => StmtKind::Let {
                name,
                mutable,
                ty,
                value: wrap(value),
            },
            StmtKind::LetTuple {
                pattern,
                mutable,
                value,
            } => StmtKind::LetTuple {
                pattern,
                mutable,
                value: wrap(value),
            },
            StmtKind::Assign { target, op, value } => StmtKind::Assign {
                target,
                op,
                value: wrap(value),
            },
            StmtKind::Expr(e) => StmtKind::Expr(wrap(e)),
            StmtKind::Return(Some(e)) => StmtKind::Return(Some(wrap(e))),
            other => other,
        })
    }

    /// `let` up to its line end. The binding is kept whenever there are names: a broken
    /// type or value, or a missing `=`, leaves an error expression as its value, so later
    /// uses of the names are not reported as unknown on top of the error.
    fn parse_let(&mut self) -> PResult<StmtKind> {
        let mutable = match self.peek() {
            TokenKind::Let => false,
            TokenKind::Mutable | TokenKind::Mut => true,
            _ => false,
        };
        if !self.at(&TokenKind::Let) {
            let modifier = self.peek().symbol();
            self.bump();
            if !self.eat(&TokenKind::Let) {
                let fail = self.unexpected(&format!("`let` after `{modifier}`"));
                // `mutable x = 1`: read on as if `let` were there.
                let binds = matches!(self.peek(), TokenKind::Ident(_))
                    && matches!(self.peek_at(1), TokenKind::Eq | TokenKind::Colon);
                if !binds {
                    return Err(fail);
                }
            }
        } else {
            self.bump();
        }
        let pattern = self.parse_pattern_list("a variable name after `let`")?;
        let name = match pattern {
            Pattern::Name(name) => name,
            pattern => {
                let value = self.let_value("`=` after the names to unpack", None)?;
                return Ok(StmtKind::LetTuple {
                    pattern,
                    mutable,
                    value,
                });
            }
        };
        let mut ty = None;
        if self.eat(&TokenKind::Colon) {
            match self.parse_type() {
                Ok(t) => ty = Some(t),
                Err(Fail) => {
                    let start = self.span();
                    self.absorb()?;
                    let value = self.error_node(start, Vec::new());
                    return Ok(StmtKind::Let {
                        name,
                        mutable,
                        ty,
                        value,
                    });
                }
            }
        }
        let value = self.let_value(
            "`=` in the let statement",
            Some("every `let` needs an initial value: `let x = 0`"),
        )?;
        Ok(StmtKind::Let {
            name,
            mutable,
            ty,
            value,
        })
    }

    /// `= value` of a `let`, or an error expression where it is missing (reported as
    /// `expected`) or broken. Even past the nesting budget the binding is kept: the value
    /// is then one error node, however deep the broken expression was.
    fn let_value(&mut self, expected: &str, help: Option<&str>) -> PResult<Expr> {
        let start = self.span();
        if !self.eat(&TokenKind::Eq) {
            self.unexpected_help(expected, help);
            self.absorb()?;
            return Ok(self.error_node(start, Vec::new()));
        }
        let start = self.span();
        match self.parse_expr_or_tuple() {
            Ok(value) => Ok(value),
            Err(Fail) => {
                self.too_deep = false;
                self.skip_line();
                Ok(self.error_node(start, Vec::new()))
            }
        }
    }

    /// `a`, `a, b`, `(a, b)`, `i, (k, v)`: what `let` and `for` bind.
    pub(super) fn parse_pattern_list(&mut self, what: &str) -> PResult<Pattern> {
        let first = self.parse_pattern(what)?;
        if !self.at(&TokenKind::Comma) {
            return Ok(first);
        }
        let start = first.span();
        let mut parts = vec![first];
        while self.eat(&TokenKind::Comma) {
            parts.push(self.parse_pattern(what)?);
        }
        Ok(Pattern::Tuple(parts, start.to(self.prev_span)))
    }

    fn parse_pattern(&mut self, what: &str) -> PResult<Pattern> {
        if !self.at(&TokenKind::LParen) {
            return Ok(Pattern::Name(self.expect_ident(what)?));
        }
        self.deeper()?;
        let open = self.bump();
        let mut parts = Vec::new();
        while !self.at(&TokenKind::RParen) {
            parts.push(self.parse_pattern(what)?);
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        let close = self.expect(&TokenKind::RParen, "`,` or `)` in the names to unpack")?;
        if parts.is_empty() {
            let diag = Diagnostic::error(codes::SYNTAX, "nothing to unpack into", open.to(close))
                .label("expected names inside `()`");
            return Err(self.report(diag));
        }
        Ok(Pattern::Tuple(parts, open.to(close)))
    }

    /// The end of a simple statement: a `Newline` (or the end of the input).
    pub(super) fn expect_line_end(&mut self) -> PResult<()> {
        match self.peek() {
            TokenKind::Newline => {
                self.bump();
                Ok(())
            }
            TokenKind::Eof | TokenKind::Dedent => Ok(()),
            _ => Err(self.unexpected("the end of the statement")),
        }
    }
}

fn is_compound_start(kind: &TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::If
            | TokenKind::Elif
            | TokenKind::Else
            | TokenKind::While
            | TokenKind::For
            | TokenKind::Arena
            | TokenKind::Fn
            | TokenKind::Struct
            | TokenKind::Const
            | TokenKind::At
    )
}
