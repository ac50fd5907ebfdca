//! Expressions, by precedence climbing.
//!
//! Binding powers, loosest first: `or` 1, `and` 2, prefix `not` 3, comparisons 4
//! (not chainable), `+ -` 5, `* / % @` 6, prefix `-` 7, `**` 8 (right-associative), then
//! postfix call / field / index. So `-2 ** 2` is `-(2 ** 2)` and `not a == b` is
//! `not (a == b)`, as in Python.

use super::{Fail, PResult, Parser};
use crate::ast::{Arg, BinOp, Expr, ExprKind, FStrPart, UnOp};
use crate::diagnostic::{codes, Diagnostic};
use crate::lexer;
use crate::span::Span;
use crate::token::{FStrPiece, TokenKind};

const BP_OR: u8 = 1;
const BP_NOT: u8 = 3;
const BP_CMP: u8 = 4;
const BP_ADD: u8 = 5;
const BP_UNARY: u8 = 7;
const BP_POW: u8 = 8;

fn binary_op(kind: &TokenKind) -> Option<(BinOp, u8)> {
    use TokenKind as T;
    Some(match kind {
        T::Or => (BinOp::Or, BP_OR),
        T::And => (BinOp::And, 2),
        T::EqEq => (BinOp::Eq, BP_CMP),
        T::NotEq => (BinOp::Ne, BP_CMP),
        T::Lt => (BinOp::Lt, BP_CMP),
        T::Le => (BinOp::Le, BP_CMP),
        T::Gt => (BinOp::Gt, BP_CMP),
        T::Ge => (BinOp::Ge, BP_CMP),
        T::Plus => (BinOp::Add, BP_ADD),
        T::Minus => (BinOp::Sub, BP_ADD),
        T::Star => (BinOp::Mul, 6),
        T::Slash => (BinOp::Div, 6),
        T::Percent => (BinOp::Mod, 6),
        T::At => (BinOp::MatMul, 6),
        T::StarStar => (BinOp::Pow, BP_POW),
        _ => return None,
    })
}

impl Parser<'_> {
    pub(super) fn parse_expr(&mut self) -> PResult<Expr> {
        self.parse_expr_bp(BP_OR)
    }

    /// An expression whose binary operators all bind at least as tightly as `min_bp`.
    fn parse_expr_bp(&mut self, min_bp: u8) -> PResult<Expr> {
        self.nested(|p| p.expr_bp(min_bp))
    }

    fn expr_bp(&mut self, min_bp: u8) -> PResult<Expr> {
        let mut lhs = self.parse_prefix()?;
        let mut prev_cmp: Option<Span> = None;
        while let Some((op, bp)) = binary_op(self.peek()) {
            if bp < min_bp {
                break;
            }
            let op_span = self.span();
            if bp == BP_CMP {
                if let Some(prev) = prev_cmp {
                    let diag = Diagnostic::error(
                        codes::SYNTAX,
                        "comparison operators cannot be chained",
                        op_span,
                    )
                    .label("second comparison")
                    .secondary(prev, "first comparison")
                    .help("split it with `and`: `a < b and b < c`");
                    return Err(self.report(diag));
                }
                prev_cmp = Some(op_span);
            }
            // A left-associative chain deepens the tree by one per operator.
            self.deeper()?;
            self.bump();
            let rhs_bp = if op == BinOp::Pow { bp } else { bp + 1 };
            let rhs = self.parse_expr_bp(rhs_bp)?;
            let span = lhs.span.to(rhs.span);
            lhs = self.mk(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span);
        }
        Ok(lhs)
    }

    fn parse_prefix(&mut self) -> PResult<Expr> {
        let (op, bp) = match self.peek() {
            TokenKind::Minus => (UnOp::Neg, BP_UNARY),
            TokenKind::Not => (UnOp::Not, BP_NOT),
            _ => return self.parse_postfix(),
        };
        let start = self.bump();
        let operand = self.parse_expr_bp(bp)?;
        let span = start.to(operand.span);
        Ok(self.mk(ExprKind::Unary(op, Box::new(operand)), span))
    }

    fn parse_postfix(&mut self) -> PResult<Expr> {
        self.parse_postfix_chain(false)
    }

    /// A primary and its postfix operations; with `to_first_call`, only up to the first
    /// call, so `spawn f(x).join()` is `(spawn f(x)).join()`: what follows the spawned call
    /// applies to the task (a spawned call is a plain function's, never a method chain's).
    fn parse_postfix_chain(&mut self, to_first_call: bool) -> PResult<Expr> {
        let mut expr = self.parse_primary()?;
        loop {
            match self.peek() {
                TokenKind::LParen => {
                    self.deeper()?;
                    self.bump();
                    let args = self.parse_args()?;
                    let close = self.expect(&TokenKind::RParen, "`,` or `)` in the arguments")?;
                    let span = expr.span.to(close);
                    let callee = Box::new(expr);
                    expr = self.mk(ExprKind::Call { callee, args }, span);
                    if to_first_call {
                        return Ok(expr);
                    }
                }
                TokenKind::Dot => {
                    self.deeper()?;
                    self.bump();
                    let name = self.expect_ident("a field or method name after `.`")?;
                    let span = expr.span.to(name.span);
                    expr = self.mk(ExprKind::Field(Box::new(expr), name), span);
                }
                TokenKind::LBracket => {
                    self.deeper()?;
                    let open = self.bump();
                    let indices = self.parse_indices()?;
                    let close = self.expect(&TokenKind::RBracket, "`,` or `]` in the index")?;
                    if indices.is_empty() {
                        let diag = Diagnostic::error(codes::SYNTAX, "empty index", open.to(close))
                            .label("expected an index expression inside `[]`");
                        return Err(self.report(diag));
                    }
                    let span = expr.span.to(close);
                    expr = self.mk(ExprKind::Index(Box::new(expr), indices), span);
                }
                _ => return Ok(expr),
            }
        }
    }

    /// Call arguments up to (not including) `)`: positional or `name=value`.
    fn parse_args(&mut self) -> PResult<Vec<Arg>> {
        let mut args = Vec::new();
        while !self.at(&TokenKind::RParen) {
            let keyword =
                matches!(self.peek(), TokenKind::Ident(_)) && *self.peek_at(1) == TokenKind::Eq;
            let name = if keyword {
                let name = self.expect_ident("an argument name")?;
                self.bump();
                Some(name)
            } else {
                None
            };
            let value = self.parse_expr()?;
            args.push(Arg { name, value });
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        Ok(args)
    }

    /// The indices of `base[…]` up to (not including) `]`: expressions or slices
    /// `lo:hi:step` with every part optional (`xs[1:]`, `s[::-1]`, `t[:, 0]`).
    fn parse_indices(&mut self) -> PResult<Vec<Expr>> {
        let mut items = Vec::new();
        while !self.at(&TokenKind::RBracket) {
            let start = self.span();
            let lo = if self.at(&TokenKind::Colon) {
                None
            } else {
                Some(self.parse_expr()?)
            };
            if !self.at(&TokenKind::Colon) {
                items.push(lo.expect("an index without `:` is an expression"));
            } else {
                let mut end = self.bump();
                let bound = |p: &mut Self, end: &mut Span| -> PResult<Option<Box<Expr>>> {
                    if matches!(
                        p.peek(),
                        TokenKind::Colon | TokenKind::Comma | TokenKind::RBracket
                    ) {
                        return Ok(None);
                    }
                    let e = p.parse_expr()?;
                    *end = e.span;
                    Ok(Some(Box::new(e)))
                };
                let hi = bound(self, &mut end)?;
                let step = if self.at(&TokenKind::Colon) {
                    end = self.bump();
                    bound(self, &mut end)?
                } else {
                    None
                };
                let lo = lo.map(Box::new);
                items.push(self.mk(ExprKind::Slice { lo, hi, step }, start.to(end)));
            }
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        Ok(items)
    }

    /// Comma-separated expressions (trailing comma allowed) up to, not including, `close`.
    fn parse_comma_list(&mut self, close: &TokenKind) -> PResult<Vec<Expr>> {
        let mut items = Vec::new();
        while !self.at(close) {
            items.push(self.parse_expr()?);
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        Ok(items)
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let span = self.span();
        let kind = match self.peek() {
            TokenKind::Int(v) => ExprKind::Int(*v),
            TokenKind::Float(v) => ExprKind::Float(*v),
            TokenKind::Str(s) => ExprKind::Str(s.clone()),
            TokenKind::True => ExprKind::Bool(true),
            TokenKind::False => ExprKind::Bool(false),
            TokenKind::None => ExprKind::None,
            TokenKind::Ident(name) => ExprKind::Name(name.clone()),
            TokenKind::FStr(pieces) => {
                let pieces = pieces.clone();
                self.bump();
                return Ok(self.parse_fstring(&pieces, span));
            }
            TokenKind::LParen => return self.parse_paren(),
            TokenKind::LBracket => {
                self.bump();
                let items = self.parse_comma_list(&TokenKind::RBracket)?;
                let close = self.expect(&TokenKind::RBracket, "`,` or `]` in the list")?;
                return Ok(self.mk(ExprKind::List(items), span.to(close)));
            }
            TokenKind::LBrace => return self.parse_map(),
            TokenKind::Spawn => return self.parse_spawn(),
            _ => return Err(self.unexpected("an expression")),
        };
        self.bump();
        Ok(self.mk(kind, span))
    }

    /// `( e )`. The result's span is widened to include the parentheses, so a binary
    /// expression with a parenthesised operand still covers exactly its source text.
    fn parse_paren(&mut self) -> PResult<Expr> {
        let open = self.bump();
        if self.at(&TokenKind::RParen) {
            let close = self.span();
            let diag = Diagnostic::error(codes::SYNTAX, "empty parentheses", open.to(close))
                .label("expected an expression inside `()`")
                .help("STARK has no tuples or unit value");
            return Err(self.report(diag));
        }
        let mut inner = self.parse_expr()?;
        let close = self.expect(&TokenKind::RParen, "`)`")?;
        inner.span = open.to(close);
        Ok(inner)
    }

    /// `{}` or `{k: v, …}`.
    fn parse_map(&mut self) -> PResult<Expr> {
        let open = self.bump();
        let mut entries = Vec::new();
        while !self.at(&TokenKind::RBrace) {
            let key = self.parse_expr()?;
            self.expect(&TokenKind::Colon, "`:` after the map key")?;
            let value = self.parse_expr()?;
            entries.push((key, value));
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        let close = self.expect(&TokenKind::RBrace, "`,` or `}` in the map")?;
        Ok(self.mk(ExprKind::Map(entries), open.to(close)))
    }

    /// `spawn f(a, b)` with an optional `with quota=N`.
    fn parse_spawn(&mut self) -> PResult<Expr> {
        let start = self.bump();
        let call = self.nested(|p| p.parse_postfix_chain(true))?;
        if !matches!(call.kind, ExprKind::Call { .. }) {
            let diag = Diagnostic::error(codes::SYNTAX, "`spawn` needs a function call", call.span)
                .label("this is not a call")
                .help("write `spawn f(args)`");
            return Err(self.report(diag));
        }
        let mut span = start.to(call.span);
        let quota = if self.eat(&TokenKind::With) {
            match self.peek() {
                TokenKind::Ident(name) if name == "quota" => {
                    self.bump();
                }
                _ => return Err(self.unexpected("`quota=` after `with`")),
            }
            self.expect(&TokenKind::Eq, "`=` after `quota`")?;
            let quota = self.parse_expr_bp(BP_ADD)?;
            span = span.to(quota.span);
            Some(Box::new(quota))
        } else {
            None
        };
        Ok(self.mk(
            ExprKind::Spawn {
                call: Box::new(call),
                quota,
            },
            span,
        ))
    }

    fn parse_fstring(&mut self, pieces: &[FStrPiece], span: Span) -> Expr {
        let mut parts = Vec::new();
        for piece in pieces {
            match piece {
                FStrPiece::Lit(text) => parts.push(FStrPart::Lit(text.clone())),
                FStrPiece::Expr(range) => {
                    let expr = self.parse_fstring_hole(*range);
                    parts.push(FStrPart::Expr(expr));
                }
                FStrPiece::Spec(spec, range) => parts.push(FStrPart::Spec(spec.clone(), *range)),
            }
        }
        self.mk(ExprKind::FStr(parts), span)
    }

    /// Lexes and parses the source between an f-string's braces on its own. An error
    /// there is reported and leaves an `Error` placeholder; the enclosing statement is
    /// unaffected.
    fn parse_fstring_hole(&mut self, range: Span) -> Expr {
        let text = self.src.get(range.range()).unwrap_or("");
        if text.trim().is_empty() {
            let braces = Span {
                start: range.start.saturating_sub(1),
                end: range.end + 1,
                file: range.file,
            };
            let diag = Diagnostic::error(codes::SYNTAX, "empty expression in f-string", braces)
                .label("expected an expression between the braces")
                .help("write `{{` and `}}` for literal braces");
            self.diags.push(diag);
            return self.mk(ExprKind::Error, range);
        }
        let (tokens, lex_diags) = lexer::lex_fragment(self.src, range);
        self.diags.extend(lex_diags);
        let mut sub = Parser::new(self.src, &tokens);
        sub.in_fragment = true;
        sub.next_id = self.next_id;
        sub.depth = self.depth;
        sub.too_deep_reported = self.too_deep_reported;
        let result = sub.parse_expr().and_then(|expr| {
            if sub.at_eof() {
                Ok(expr)
            } else {
                Err(sub.unexpected("`}` after the f-string expression"))
            }
        });
        self.next_id = sub.next_id;
        self.too_deep_reported = sub.too_deep_reported;
        self.diags.append(&mut sub.diags);
        match result {
            Ok(expr) => expr,
            Err(Fail) => self.mk(ExprKind::Error, range),
        }
    }
}
