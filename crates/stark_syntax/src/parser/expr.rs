//! Expressions, by precedence climbing.
//!
//! Binding powers, loosest first: the conditional `a if c else b` (parsed above the
//! operators, right-associative), `or` 1, `and` 2, prefix `not` 3, comparisons 4 (`== != <
//! <= > >= in not in`; a chain `a < b <= c` becomes one `Compare` node, as in Python), `+ -`
//! 5, `* / % @` 6, prefix `-` 7, `**` 8 (right-associative), then postfix call / field /
//! index. So `-2 ** 2` is `-(2 ** 2)` and `not a == b` is `not (a == b)`, as in Python.

use super::{Fail, PResult, Parser};
use crate::ast::{Arg, BinOp, Comprehension, Expr, ExprKind, FStrPart, Ident, SpecPart, UnOp};
use crate::diagnostic::{codes, Diagnostic};
use crate::lexer;
use crate::span::Span;
use crate::token::{FStrPiece, SpecPiece, TokenKind};

/// How many tokens after a name and `<` are read to tell type arguments from a comparison.
const MAX_TYPE_ARGS_LOOKAHEAD: usize = 256;

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
        T::In => (BinOp::In, BP_CMP),
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
    /// An expression, or a bare tuple `a, b` (`return lo, hi`, `a, b = b, a`).
    pub(super) fn parse_expr_or_tuple(&mut self) -> PResult<Expr> {
        let first = self.parse_expr()?;
        if !self.at(&TokenKind::Comma) {
            return Ok(first);
        }
        let start = first.span;
        let mut items = vec![first];
        while self.eat(&TokenKind::Comma) {
            if matches!(
                self.peek(),
                TokenKind::Newline | TokenKind::Dedent | TokenKind::Eof | TokenKind::Eq
            ) {
                break;
            }
            let item = self.expr_or_error()?;
            if item.is_error() {
                // Its arity is unknown: keep the parts.
                items.push(item);
                return Ok(self.error_node(start, items));
            }
            items.push(item);
        }
        let span = start.to(self.prev_span);
        Ok(self.mk(ExprKind::Tuple(items), span))
    }

    pub(super) fn parse_expr(&mut self) -> PResult<Expr> {
        self.nested(|p| p.parse_conditional())
    }

    /// An expression without a trailing `if … else …` (Python's `or_test`): where an `if`
    /// after the expression belongs to something else, such as a comprehension's filter
    /// (`[x for x in xs if p(x)]`).
    pub(super) fn parse_or_test(&mut self) -> PResult<Expr> {
        self.parse_expr_bp(BP_OR)
    }

    /// `then if cond else otherwise`, or just `then`. `else` binds to the nearest `if`
    /// and the last arm may itself be conditional: `a if x else b if y else c`.
    fn parse_conditional(&mut self) -> PResult<Expr> {
        // Already one level deeper (`parse_expr`): the common case costs one level.
        let then = self.expr_bp(BP_OR)?;
        if !self.at(&TokenKind::If) {
            return Ok(then);
        }
        self.bump();
        let cond = self.parse_expr_bp(BP_OR)?;
        if !self.at(&TokenKind::Else) {
            let fail = self.unexpected("`else` in the conditional expression");
            if let Some(last) = self.diags.last_mut() {
                last.help =
                    Some("a conditional expression needs both arms: `a if cond else b`".into());
            }
            return Err(fail);
        }
        self.bump();
        let otherwise = self.parse_expr()?;
        let span = then.span.to(otherwise.span);
        Ok(self.mk(
            ExprKind::IfElse {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            },
            span,
        ))
    }

    /// An expression whose binary operators all bind at least as tightly as `min_bp`.
    fn parse_expr_bp(&mut self, min_bp: u8) -> PResult<Expr> {
        self.nested(|p| p.expr_bp(min_bp))
    }

    /// The binary operator at the cursor, its binding power and how many tokens it takes
    /// (`not in` is two).
    fn infix_op(&self) -> Option<(BinOp, u8, usize)> {
        if *self.peek() == TokenKind::Not && *self.peek_at(1) == TokenKind::In {
            return Some((BinOp::NotIn, BP_CMP, 2));
        }
        binary_op(self.peek()).map(|(op, bp)| (op, bp, 1))
    }

    fn expr_bp(&mut self, min_bp: u8) -> PResult<Expr> {
        let mut lhs = self.parse_prefix()?;
        // `lhs` is a comparison built by this loop (not a parenthesised one), so another
        // comparison continues its chain.
        let mut chaining = false;
        while let Some((op, bp, width)) = self.infix_op() {
            if bp < min_bp {
                break;
            }
            // A left-associative chain deepens the tree by one per operator.
            self.deeper()?;
            for _ in 0..width {
                self.bump();
            }
            let rhs_bp = if op == BinOp::Pow { bp } else { bp + 1 };
            let rhs = self.or_error(|p| p.parse_expr_bp(rhs_bp))?;
            let span = lhs.span.to(rhs.span);
            if bp == BP_CMP && chaining {
                lhs = match lhs.kind {
                    ExprKind::Binary(first_op, first, second) => {
                        // The chain takes over the first comparison's id: ids stay dense.
                        let kind = ExprKind::Compare {
                            first,
                            rest: vec![(first_op, *second), (op, rhs)],
                        };
                        Expr {
                            id: lhs.id,
                            kind,
                            span,
                        }
                    }
                    ExprKind::Compare { first, mut rest } => {
                        rest.push((op, rhs));
                        Expr {
                            id: lhs.id,
                            kind: ExprKind::Compare { first, rest },
                            span,
                        }
                    }
                    _ => unreachable!("a comparison chain is a Binary or a Compare"),
                };
                continue;
            }
            chaining = bp == BP_CMP;
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
        let operand = self.or_error(|p| p.parse_expr_bp(bp))?;
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
                    let mut args = self.parse_args()?;
                    let close = self.close(&TokenKind::RParen, "`,` or `)` in the arguments")?;
                    // A call that lost its `)` keeps its arguments and an error argument
                    // for what was lost (so its argument count is not judged).
                    if close.is_none() && !args.last().is_some_and(|a| a.value.is_error()) {
                        let start = self.span();
                        let value = self.error_node(start, Vec::new());
                        args.push(Arg { name: None, value });
                    }
                    let span = expr.span.to(close.unwrap_or(self.prev_span));
                    let callee = Box::new(expr);
                    expr = self.mk(ExprKind::Call { callee, args }, span);
                    if to_first_call || close.is_none() {
                        return Ok(expr);
                    }
                }
                TokenKind::Question => {
                    self.deeper()?;
                    let q = self.bump();
                    let span = expr.span.to(q);
                    expr = self.mk(ExprKind::Try(Box::new(expr)), span);
                }
                TokenKind::Dot => {
                    self.deeper()?;
                    self.bump();
                    if let TokenKind::Int(_) | TokenKind::Float(_) = self.peek() {
                        expr = self.tuple_fields(expr)?;
                        continue;
                    }
                    let name = match self.expect_ident("a field or method name after `.`") {
                        Ok(name) => name,
                        Err(Fail) => {
                            // `p.` (a tool asking what can follow): keep `p`.
                            self.absorb()?;
                            let span = expr.span;
                            return Ok(self.error_node(span, vec![expr]));
                        }
                    };
                    let span = expr.span.to(name.span);
                    expr = self.mk(ExprKind::Field(Box::new(expr), name), span);
                    // `geo.Pair<Int, String>(…)`, `m.first<Int>(xs)`.
                    self.written_type_args(&expr)?;
                }
                TokenKind::LBracket => {
                    self.deeper()?;
                    let open = self.bump();
                    let indices = self.parse_indices()?;
                    let close = self.close(&TokenKind::RBracket, "`,` or `]` in the index")?;
                    if indices.is_empty() {
                        if let Some(close) = close {
                            let diag =
                                Diagnostic::error(codes::SYNTAX, "empty index", open.to(close))
                                    .label("expected an index expression inside `[]`");
                            self.report(diag);
                            self.absorb()?;
                        }
                        let span = expr.span;
                        return Ok(self.error_node(span, vec![expr]));
                    }
                    let Some(close) = close else {
                        // What was being indexed, and how, is unclear: keep the parts.
                        let span = expr.span;
                        let mut parts = vec![expr];
                        parts.extend(indices);
                        return Ok(self.error_node(span, parts));
                    };
                    let span = expr.span.to(close);
                    expr = self.mk(ExprKind::Index(Box::new(expr), indices), span);
                }
                _ => return Ok(expr),
            }
        }
    }

    /// `t.0`, and `t.0.1`, which the lexer reads as `t`, `.`, `0.1`: each field is an
    /// `ExprKind::Field` named by its digits.
    fn tuple_fields(&mut self, mut expr: Expr) -> PResult<Expr> {
        let span = self.span();
        let text = self.src.get(span.range()).unwrap_or("").to_string();
        let parts: Vec<&str> = text.split('.').collect();
        let valid = parts.len() <= 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if !valid {
            let diag = Diagnostic::error(
                codes::SYNTAX,
                format!("`{text}` is not a tuple field"),
                span,
            )
            .label("expected a field number such as `0`");
            return Err(self.report(diag));
        }
        self.bump();
        let mut at = span.start as usize;
        for part in parts {
            let field_span = Span::new(at, at + part.len());
            at += part.len() + 1;
            let name = Ident {
                name: part.trim_start_matches('0').to_string(),
                span: field_span,
            };
            let name = if name.name.is_empty() {
                Ident {
                    name: "0".into(),
                    ..name
                }
            } else {
                name
            };
            let full = expr.span.to(field_span);
            expr = self.mk(ExprKind::Field(Box::new(expr), name), full);
        }
        Ok(expr)
    }

    /// Call arguments up to (not including) `)`: positional or `name=value`, positional
    /// ones first. A broken argument becomes an error argument, the last (the rest of the
    /// line is skipped).
    fn parse_args(&mut self) -> PResult<Vec<Arg>> {
        let mut args = Vec::new();
        let mut first_keyword: Option<Span> = None;
        while !self.at(&TokenKind::RParen) {
            let keyword =
                matches!(self.peek(), TokenKind::Ident(_)) && *self.peek_at(1) == TokenKind::Eq;
            let name = if keyword {
                let name = self.expect_ident("an argument name")?;
                self.bump();
                first_keyword.get_or_insert(name.span);
                Some(name)
            } else {
                None
            };
            let mut value = self.expr_or_error()?;
            let broken = value.is_error();
            if let (None, Some(kw), false) = (&name, first_keyword, broken) {
                // Python's rule: which parameter it would fill is anyone's guess.
                let diag = Diagnostic::error(
                    codes::SYNTAX,
                    "positional argument follows keyword argument",
                    value.span,
                )
                .label("positional argument")
                .secondary(kw, "keyword argument given before it")
                .help("put the positional arguments first");
                self.diags.push(diag);
                // Which parameter it fills is unknown: an error argument holding it, so the
                // call is not judged on it.
                let span = value.span;
                value = self.error_node(span, vec![value]);
            }
            args.push(Arg { name, value });
            if broken || !self.eat(&TokenKind::Comma) {
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

    /// Comma-separated expressions (trailing comma allowed) up to, not including, `close`;
    /// a broken one ends the list (the rest of the line is skipped).
    fn parse_comma_list(&mut self, close: &TokenKind) -> PResult<Vec<Expr>> {
        let mut items = Vec::new();
        while !self.at(close) {
            let item = self.expr_or_error()?;
            let broken = item.is_error();
            items.push(item);
            if broken || !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        Ok(items)
    }

    pub(super) fn parse_primary(&mut self) -> PResult<Expr> {
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
                if !self.at(&TokenKind::RBracket) {
                    let first = self.expr_or_error()?;
                    if !first.is_error() && self.at(&TokenKind::For) {
                        let comp = self.parse_comp_tail(None, first)?;
                        let close =
                            self.close(&TokenKind::RBracket, "`]` after the comprehension")?;
                        return Ok(self.bracketed(ExprKind::Comp(Box::new(comp)), span, close));
                    }
                    let broken = first.is_error();
                    let mut items = vec![first];
                    if !broken && self.eat(&TokenKind::Comma) {
                        items.extend(self.parse_comma_list(&TokenKind::RBracket)?);
                    }
                    let close = self.close(&TokenKind::RBracket, "`,` or `]` in the list")?;
                    return Ok(self.bracketed(ExprKind::List(items), span, close));
                }
                let items = self.parse_comma_list(&TokenKind::RBracket)?;
                let close = self.close(&TokenKind::RBracket, "`,` or `]` in the list")?;
                return Ok(self.bracketed(ExprKind::List(items), span, close));
            }
            TokenKind::LBrace => return self.parse_map(),
            TokenKind::Spawn => return self.parse_spawn(),
            TokenKind::Fn => return self.parse_lambda(),
            _ => return Err(self.unexpected("an expression")),
        };
        self.bump();
        let is_name = matches!(kind, ExprKind::Name(_));
        let e = self.mk(kind, span);
        if is_name {
            // `Pair<Int, String>(1, "a")`, `first<Int>(xs)`.
            self.written_type_args(&e)?;
        }
        Ok(e)
    }

    /// After the name a call is made through (`callee`): the type arguments written
    /// before its `(`, if any, into `Program::type_args`.
    fn written_type_args(&mut self, callee: &Expr) -> PResult<()> {
        if !self.type_args_follow() {
            return Ok(());
        }
        self.bump();
        let types = self.comma_separated(
            &TokenKind::Gt,
            "`,` or `>` in the type arguments",
            Self::parse_type,
        )?;
        self.type_args.insert(callee.id, types);
        Ok(())
    }

    /// At `<` after a name: whether what follows is a list of type arguments closed by `>`
    /// right before `(` (a generic call), read ahead without consuming anything. Only
    /// tokens a type can hold may appear between the brackets, and each type must begin
    /// as one does (a capitalised name, a module path, `(` or `None`), so `a < b` and
    /// `f(x < hi, lo > (x))` stay comparisons; `A < B > (c)` reads as a generic call
    /// (docs/decisions.md, "Generics").
    fn type_args_follow(&self) -> bool {
        if !self.at(&TokenKind::Lt) {
            return false;
        }
        let mut depth = 0usize;
        // Bounded, so that a long run of comparisons (`a < b < c < …`) is not read ahead
        // from every name in it (quadratic); a type argument list is far shorter.
        for n in 0..MAX_TYPE_ARGS_LOOKAHEAD {
            let starts_type =
                n > 0 && matches!(self.peek_at(n - 1), TokenKind::Lt | TokenKind::Comma);
            if starts_type {
                let begins = match self.peek_at(n) {
                    TokenKind::Ident(name) => {
                        name.starts_with(|c: char| c.is_ascii_uppercase())
                            || *self.peek_at(n + 1) == TokenKind::Dot
                    }
                    TokenKind::LParen | TokenKind::None | TokenKind::Gt => true,
                    _ => false,
                };
                if !begins {
                    return false;
                }
            }
            match self.peek_at(n) {
                TokenKind::Lt => depth += 1,
                TokenKind::Gt => {
                    depth -= 1;
                    if depth == 0 {
                        return n > 1 && *self.peek_at(n + 1) == TokenKind::LParen;
                    }
                }
                TokenKind::Ident(_)
                | TokenKind::Comma
                | TokenKind::Question
                | TokenKind::Dot
                | TokenKind::None
                | TokenKind::Fn
                | TokenKind::Arrow
                | TokenKind::LParen
                | TokenKind::RParen => {}
                _ => return false,
            }
        }
        false
    }

    /// `( e )`. The result's span is widened to include the parentheses, so a binary
    /// expression with a parenthesised operand still covers exactly its source text.
    fn parse_paren(&mut self) -> PResult<Expr> {
        let open = self.bump();
        if self.at(&TokenKind::RParen) {
            let close = self.span();
            let diag = Diagnostic::error(codes::SYNTAX, "empty parentheses", open.to(close))
                .label("expected an expression inside `()`")
                .help("STARK has no unit value; a one-element tuple is written `(x,)`");
            return Err(self.report(diag));
        }
        let mut inner = self.expr_or_error()?;
        if !inner.is_error() && self.eat(&TokenKind::Comma) {
            // `(a,)` and `(a, b, …)`: a tuple.
            let mut items = vec![inner];
            items.extend(self.parse_comma_list(&TokenKind::RParen)?);
            let Some(close) = self.close(&TokenKind::RParen, "`,` or `)` in the tuple")? else {
                // Its arity is unknown: keep the parts.
                let start = open;
                return Ok(self.error_node(start, items));
            };
            return Ok(self.mk(ExprKind::Tuple(items), open.to(close)));
        }
        let Some(close) = self.close(&TokenKind::RParen, "`)`")? else {
            return Ok(self.error_node(open, vec![inner]));
        };
        inner.span = open.to(close);
        Ok(inner)
    }

    /// A bracketed expression from `open` to its `close`. A bracket left open keeps what it
    /// holds inside an error node (typed quietly): the lexer joins the lines after an open
    /// bracket to it, so what it holds may have taken in those lines (`[x for x in xs if`
    /// with `print(x)` on the next line has the condition `print(x)`).
    fn bracketed(&mut self, kind: ExprKind, open: Span, close: Option<Span>) -> Expr {
        match close {
            Some(close) => self.mk(kind, open.to(close)),
            None => {
                let node = self.mk(kind, open.to(self.prev_span));
                self.error_node(open, vec![node])
            }
        }
    }

    /// `{}` or `{k: v, …}`.
    fn parse_map(&mut self) -> PResult<Expr> {
        let open = self.bump();
        let mut entries = Vec::new();
        while !self.at(&TokenKind::RBrace) {
            let key = self.expr_or_error()?;
            if key.is_error() {
                break;
            }
            if !self.at(&TokenKind::Colon) {
                self.unexpected("`:` after the map key");
                self.absorb()?;
                break;
            }
            self.bump();
            let value = self.expr_or_error()?;
            let broken = value.is_error();
            if entries.is_empty() && !broken && self.at(&TokenKind::For) {
                let comp = self.parse_comp_tail(Some(key), value)?;
                let close = self.close(&TokenKind::RBrace, "`}` after the comprehension")?;
                return Ok(self.bracketed(ExprKind::Comp(Box::new(comp)), open, close));
            }
            entries.push((key, value));
            if broken || !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        let close = self.close(&TokenKind::RBrace, "`,` or `}` in the map")?;
        Ok(self.bracketed(ExprKind::Map(entries), open, close))
    }

    /// `for var in iter [if cond]` after a comprehension's element.
    fn parse_comp_tail(&mut self, key: Option<Expr>, elem: Expr) -> PResult<Comprehension> {
        self.deeper()?;
        self.expect(&TokenKind::For, "`for`")?;
        let var = self.parse_pattern_list("a loop variable after `for`")?;
        self.expect(&TokenKind::In, "`in` after the loop variable")?;
        // Python's `or_test`s: an `if` after the iterable is the filter, not a conditional
        // expression (`[x for x in xs if p(x)]`).
        let iter = self.or_error(Self::parse_or_test)?;
        let cond = if !iter.is_error() && self.eat(&TokenKind::If) {
            Some(self.or_error(Self::parse_or_test)?)
        } else {
            None
        };
        Ok(Comprehension {
            key,
            elem,
            var,
            iter,
            cond,
        })
    }

    /// `spawn f(a, b)` with an optional `with quota=N`.
    /// `fn(x, y: Int) => body`: the body is one expression, which binds as loosely as
    /// any (`fn(x) => x + 1 if x > 0 else 0` is one lambda).
    fn parse_lambda(&mut self) -> PResult<Expr> {
        let start = self.bump();
        self.expect(&TokenKind::LParen, "`(` after `fn` in a lambda")?;
        let mut params = Vec::new();
        while !self.at(&TokenKind::RParen) {
            let name = self.expect_ident("a parameter name")?;
            let ty = if self.eat(&TokenKind::Colon) {
                Some(self.parse_type()?)
            } else {
                None
            };
            params.push(crate::ast::Param {
                span: name.span.to(self.prev_span),
                name,
                ty,
                mode: crate::ast::ParamMode::Owned,
                default: None,
            });
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(&TokenKind::RParen, "`,` or `)` in the lambda's parameters")?;
        self.expect(&TokenKind::FatArrow, "`=>` and the lambda's body")?;
        let body = self.nested(|p| p.expr_or_error())?;
        let span = start.to(body.span);
        Ok(self.mk(
            ExprKind::Lambda {
                params,
                body: Box::new(body),
            },
            span,
        ))
    }

    fn parse_spawn(&mut self) -> PResult<Expr> {
        let start = self.bump();
        let call = self.nested(|p| p.parse_postfix_chain(true))?;
        if !matches!(call.kind, ExprKind::Call { .. }) {
            let diag = Diagnostic::error(codes::SYNTAX, "`spawn` needs a function call", call.span)
                .label("this is not a call")
                .help("write `spawn f(args)`");
            self.report(diag);
            self.absorb()?;
            return Ok(self.error_node(start, vec![call]));
        }
        let mut span = start.to(call.span);
        let quota = if self.eat(&TokenKind::With) {
            let named = matches!(self.peek(), TokenKind::Ident(name) if name == "quota");
            if named && *self.peek_at(1) == TokenKind::Eq {
                self.bump();
                self.bump();
                let quota = self.or_error(|p| p.parse_expr_bp(BP_ADD))?;
                span = span.to(quota.span);
                Some(Box::new(quota))
            } else {
                // The spawn stands without its quota.
                if named {
                    self.bump();
                    self.unexpected("`=` after `quota`");
                } else {
                    self.unexpected("`quota=` after `with`");
                }
                self.absorb()?;
                None
            }
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
                FStrPiece::Conv(conv) => parts.push(FStrPart::Conv(*conv)),
                FStrPiece::Spec(spec, range) => parts.push(FStrPart::Spec(spec.clone(), *range)),
                FStrPiece::NestedSpec { pieces, span, text } => {
                    let nested = pieces
                        .iter()
                        .map(|p| match p {
                            SpecPiece::Lit(text) => SpecPart::Lit(text.clone()),
                            SpecPiece::Field { expr, conv, spec } => SpecPart::Field {
                                expr: self.parse_fstring_hole(*expr),
                                conv: *conv,
                                spec: spec.clone(),
                            },
                        })
                        .collect();
                    parts.push(FStrPart::NestedSpec {
                        pieces: nested,
                        span: *span,
                        text: text.clone(),
                    });
                }
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
            return self.mk(ExprKind::Error(Vec::new()), range);
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
            Err(Fail) => self.mk(ExprKind::Error(Vec::new()), range),
        }
    }
}
