//! Top-level items (`fn`, `struct`, `const`), parameters and type expressions.

use super::{Fail, PResult, Parser};
use crate::ast::{
    ConstDecl, EnumDecl, ExprKind, FieldDecl, FnDecl, Item, Param, ParamMode, StructDecl, TypeExpr,
    VariantDecl,
};
use crate::diagnostic::{codes, Diagnostic};
use crate::token::TokenKind;

impl Parser<'_> {
    pub(super) fn parse_items(&mut self) -> Vec<Item> {
        let mut items = Vec::new();
        loop {
            let before = self.pos;
            match self.peek() {
                TokenKind::Eof => break,
                TokenKind::Newline | TokenKind::Dedent => {
                    self.bump();
                }
                TokenKind::Indent => {
                    self.unexpected_indent();
                    self.skip_block();
                }
                // Soft keywords, as `enum` is: only at the start of a top-level line.
                TokenKind::Ident(word)
                    if (word == "import" || word == "from")
                        && matches!(self.peek_at(1), TokenKind::Ident(_)) =>
                {
                    let mut one = Vec::new();
                    self.parse_or_recover(&mut one, Self::parse_import);
                    self.imports.extend(one);
                }
                _ => self.parse_or_recover(&mut items, Self::parse_item),
            }
            if self.pos == before && !self.at_eof() {
                self.bump();
            }
        }
        items
    }

    fn parse_item(&mut self) -> PResult<Item> {
        match self.peek() {
            TokenKind::Fn => Ok(Item::Fn(self.parse_fn(false)?)),
            TokenKind::At => {
                self.parse_attribute()?;
                Ok(Item::Fn(self.parse_fn(true)?))
            }
            TokenKind::Struct => Ok(Item::Struct(self.parse_struct()?)),
            // `enum` is a soft keyword, as `match` is: a top-level line can only be an item,
            // so `enum Name` there is a declaration, and `enum` stays usable as a name.
            TokenKind::Ident(word)
                if word == "enum" && matches!(self.peek_at(1), TokenKind::Ident(_)) =>
            {
                Ok(Item::Enum(self.parse_enum()?))
            }
            TokenKind::Const => Ok(Item::Const(self.parse_const()?)),
            TokenKind::Let | TokenKind::Mutable | TokenKind::Mut | TokenKind::Immutable => {
                let diag = Diagnostic::error(
                    codes::SYNTAX,
                    "`let` is not allowed at top level",
                    self.span(),
                )
                .label("top-level variable")
                .help("use `const NAME: Type = value` for a global constant, or move this into `fn main():`");
                Err(self.report(diag))
            }
            _ => {
                let fail = self.unexpected("`fn`, `struct`, `enum` or `const` at top level");
                if let Some(last) = self.diags.last_mut() {
                    last.help =
                        Some("statements must be inside a function such as `fn main():`".into());
                }
                Err(fail)
            }
        }
    }

    /// `import a.b [as c]` or `from a.b import X, Y`.
    fn parse_import(&mut self) -> PResult<crate::ast::Import> {
        let from = matches!(self.peek(), TokenKind::Ident(w) if w == "from");
        let start = self.bump();
        let mut path = vec![self.expect_ident("a module name")?];
        while self.eat(&TokenKind::Dot) {
            path.push(self.expect_ident("a module name after `.`")?);
        }
        let mut alias = None;
        let mut names = None;
        if from {
            if !matches!(self.peek(), TokenKind::Ident(w) if w == "import") {
                return Err(self.unexpected("`import` after the module name"));
            }
            self.bump();
            let mut list = vec![self.expect_ident("a name to import")?];
            while self.eat(&TokenKind::Comma) {
                list.push(self.expect_ident("a name to import")?);
            }
            names = Some(list);
        } else if matches!(self.peek(), TokenKind::Ident(w) if w == "as") {
            self.bump();
            alias = Some(self.expect_ident("a name after `as`")?);
        }
        let span = start.to(self.prev_span);
        self.expect_line_end()?;
        Ok(crate::ast::Import {
            path,
            alias,
            names,
            span,
        })
    }

    /// `@destructor`, the only attribute; the `fn` must follow.
    fn parse_attribute(&mut self) -> PResult<()> {
        let at = self.bump();
        match self.peek() {
            TokenKind::Ident(name) if name == "destructor" => {
                self.bump();
            }
            TokenKind::Ident(name) => {
                let message = format!("unknown attribute `@{name}`");
                let span = at.to(self.span());
                let diag = Diagnostic::error(codes::SYNTAX, message, span)
                    .label("unknown attribute")
                    .help("the only attribute is `@destructor`");
                return Err(self.report(diag));
            }
            _ => return Err(self.unexpected("`destructor` after `@`")),
        }
        // The attribute may sit on its own line above the `fn`.
        if self.at(&TokenKind::Newline) && *self.peek_at(1) == TokenKind::Fn {
            self.bump();
        }
        if !self.at(&TokenKind::Fn) {
            return Err(self.unexpected("`fn` after `@destructor`"));
        }
        Ok(())
    }

    /// At `fn`. Methods use the same function; `self` parameters are allowed anywhere and
    /// left for the checker to judge.
    pub(super) fn parse_fn(&mut self, is_destructor: bool) -> PResult<FnDecl> {
        let start = self.bump();
        let name = self.expect_ident("a function name after `fn`")?;
        let type_params = self.parse_type_params()?;
        self.expect(&TokenKind::LParen, "`(` after the function name")?;
        let params = self.comma_separated(
            &TokenKind::RParen,
            "`,` or `)` in the parameter list",
            Self::parse_param,
        )?;
        let ret = if self.eat(&TokenKind::Arrow) {
            Some(self.parse_type()?)
        } else {
            None
        };
        self.expect(&TokenKind::Colon, "`:` after the function signature")?;
        let span = start.to(self.prev_span);
        let before = self.diags.len();
        let body = self.nested(|p| p.block_body())?;
        // The body's broken lines were reported and skipped; the rest of the function, and
        // every other function, can still be checked (`FnDecl::broken`).
        let in_body = self.diags.len() - before;
        self.body_diags += in_body;
        Ok(FnDecl {
            name,
            type_params,
            params,
            ret,
            body,
            is_destructor,
            span,
            broken: in_body > 0,
        })
    }

    /// `<T>`, `<A, B>` after the name of a generic function, struct or enum (SPEC §7);
    /// nothing when no `<` follows.
    fn parse_type_params(&mut self) -> PResult<Vec<crate::ast::Ident>> {
        if !self.eat(&TokenKind::Lt) {
            return Ok(Vec::new());
        }
        self.comma_separated(
            &TokenKind::Gt,
            "`,` or `>` after the type parameters",
            |p| p.expect_ident("a type parameter name"),
        )
    }

    fn parse_param(&mut self) -> PResult<Param> {
        let start = self.span();
        let mode = if self.eat(&TokenKind::Amp) {
            if self.eat(&TokenKind::Mutable) || self.eat(&TokenKind::Mut) {
                ParamMode::BorrowedMut
            } else {
                ParamMode::Borrowed
            }
        } else {
            ParamMode::Owned
        };
        let name = self.expect_ident("a parameter name")?;
        let ty = if name.name == "self" && !self.at(&TokenKind::Colon) {
            None
        } else {
            self.expect(&TokenKind::Colon, "`:` and a type after the parameter name")?;
            Some(self.parse_type()?)
        };
        // `scale: Float = 1.0`: a default value (the checker judges that it is constant).
        let default = if ty.is_some() && self.eat(&TokenKind::Eq) {
            Some(self.parse_expr()?)
        } else {
            None
        };
        Ok(Param {
            name,
            ty,
            mode,
            default,
            span: start.to(self.prev_span),
        })
    }

    fn parse_struct(&mut self) -> PResult<StructDecl> {
        let start = self.bump();
        let name = self.expect_ident("a struct name after `struct`")?;
        let type_params = self.parse_type_params()?;
        self.expect(&TokenKind::Colon, "`:` after the struct name")?;
        let mut decl = StructDecl {
            name,
            type_params,
            fields: Vec::new(),
            methods: Vec::new(),
            span: start.to(self.prev_span),
        };
        // `struct Empty: pass` on one line.
        if self.eat(&TokenKind::Pass) {
            self.expect_line_end()?;
            return Ok(decl);
        }
        self.expect(&TokenKind::Newline, "a newline after `struct Name:`")?;
        let span = decl.span;
        self.member_block(
            &mut decl,
            span,
            "fields and methods",
            "struct",
            Self::parse_member,
        );
        Ok(decl)
    }

    /// The indented block of a `struct` or `enum` declaration: one member a line, each
    /// parsed by `member` into `decl`; a broken line is reported and skipped.
    fn member_block<D>(
        &mut self,
        decl: &mut D,
        header: crate::Span,
        what: &str,
        kind: &str,
        member: fn(&mut Self, &mut D) -> PResult<()>,
    ) {
        if !self.eat(&TokenKind::Indent) {
            let diag = Diagnostic::error(
                codes::SYNTAX,
                format!("expected an indented block of {what}"),
                header,
            )
            .label(format!("{kind} body expected after this"));
            self.diags.push(diag);
            return;
        }
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
                    self.unexpected_indent();
                    self.skip_block();
                }
                _ => {
                    self.line_error = false;
                    if member(self, decl).is_err() {
                        self.too_deep = false;
                        self.recover();
                    }
                }
            }
            if self.pos == before && !self.at_eof() {
                self.bump();
            }
        }
    }

    /// `enum Name:` and its block: one variant a line (`Circle(radius: Float)`, `Empty`),
    /// then methods as in a struct.
    fn parse_enum(&mut self) -> PResult<EnumDecl> {
        let start = self.bump();
        let name = self.expect_ident("an enum name after `enum`")?;
        let type_params = self.parse_type_params()?;
        self.expect(&TokenKind::Colon, "`:` after the enum name")?;
        let mut decl = EnumDecl {
            name,
            type_params,
            variants: Vec::new(),
            methods: Vec::new(),
            span: start.to(self.prev_span),
        };
        self.expect(&TokenKind::Newline, "a newline after `enum Name:`")?;
        let span = decl.span;
        self.member_block(
            &mut decl,
            span,
            "variants and methods",
            "enum",
            Self::parse_enum_member,
        );
        Ok(decl)
    }

    /// A method (`fn`, `@destructor fn`) or `pass` line of a struct or enum body, into
    /// `methods`; false when the line is neither (a field or a variant).
    fn parse_method_or_pass(&mut self, methods: &mut Vec<FnDecl>) -> PResult<bool> {
        match self.peek() {
            TokenKind::Fn => methods.push(self.parse_fn(false)?),
            TokenKind::At => {
                self.parse_attribute()?;
                methods.push(self.parse_fn(true)?);
            }
            TokenKind::Pass => {
                self.bump();
                self.expect_line_end()?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `name: Type`, a struct's field or a variant's payload field.
    fn parse_field_decl(&mut self, what: &str) -> PResult<FieldDecl> {
        let name = self.expect_ident(what)?;
        self.expect(&TokenKind::Colon, "`:` and a type after the field name")?;
        let ty = self.parse_type()?;
        let span = name.span.to(self.prev_span);
        Ok(FieldDecl { name, ty, span })
    }

    fn parse_enum_member(&mut self, decl: &mut EnumDecl) -> PResult<()> {
        if self.parse_method_or_pass(&mut decl.methods)? {
            return Ok(());
        }
        match self.peek() {
            TokenKind::Ident(_) => {
                let name = self.expect_ident("a variant name")?;
                let mut fields = Vec::new();
                if self.eat(&TokenKind::LParen) {
                    while !self.at(&TokenKind::RParen) {
                        fields.push(self.parse_field_decl("a payload field name")?);
                        if !self.eat(&TokenKind::Comma) {
                            break;
                        }
                    }
                    self.expect(&TokenKind::RParen, "`,` or `)` after the payload fields")?;
                }
                let span = name.span.to(self.prev_span);
                self.expect_line_end()?;
                decl.variants.push(VariantDecl { name, fields, span });
            }
            _ => {
                return Err(
                    self.unexpected("a variant (`Name` or `Name(field: Type)`) or a method (`fn`)")
                );
            }
        }
        Ok(())
    }

    fn parse_member(&mut self, decl: &mut StructDecl) -> PResult<()> {
        if self.parse_method_or_pass(&mut decl.methods)? {
            return Ok(());
        }
        match self.peek() {
            TokenKind::Ident(_) => {
                let field = self.parse_field_decl("a field name")?;
                self.expect_line_end()?;
                decl.fields.push(field);
            }
            _ => {
                return Err(self.unexpected("a field (`name: Type`) or a method (`fn`)"));
            }
        }
        Ok(())
    }

    fn parse_const(&mut self) -> PResult<ConstDecl> {
        let start = self.bump();
        let name = self.expect_ident("a constant name after `const`")?;
        if !self.at(&TokenKind::Colon) {
            let fail = self.unexpected("`:` and a type after the constant name");
            if let Some(last) = self.diags.last_mut() {
                last.help = Some("constants need a type: `const LIMIT: Int = 10`".into());
            }
            return Err(fail);
        }
        self.bump();
        let ty = self.parse_type()?;
        self.expect(
            &TokenKind::Eq,
            "`=` and a value in the constant declaration",
        )?;
        let value = match self.parse_expr() {
            Ok(value) => value,
            Err(Fail) => {
                // Keep the declaration so later uses of the name do not cascade.
                let span = start.to(self.prev_span);
                let value = self.mk(ExprKind::Error(Vec::new()), span);
                self.recover();
                return Ok(ConstDecl {
                    name,
                    ty,
                    value,
                    span,
                });
            }
        };
        let span = start.to(self.prev_span);
        self.expect_line_end()?;
        Ok(ConstDecl {
            name,
            ty,
            value,
            span,
        })
    }

    /// `Name`, `Name<T, U>`, with any number of trailing `?`.
    pub(super) fn parse_type(&mut self) -> PResult<TypeExpr> {
        self.nested(|p| p.parse_type_inner())
    }

    fn parse_type_inner(&mut self) -> PResult<TypeExpr> {
        if self.at(&TokenKind::LParen) {
            let open = self.bump();
            let mut parts = Vec::new();
            let mut trailing_comma = false;
            while !self.at(&TokenKind::RParen) {
                parts.push(self.parse_type()?);
                trailing_comma = self.eat(&TokenKind::Comma);
                if !trailing_comma {
                    break;
                }
            }
            let close = self.expect(&TokenKind::RParen, "`,` or `)` in the tuple type")?;
            if parts.len() == 1 && !trailing_comma {
                let diag = Diagnostic::error(
                    codes::SYNTAX,
                    "a one-element tuple type needs a trailing comma",
                    open.to(close),
                )
                .help("write `(T,)`, or drop the parentheses");
                return Err(self.report(diag));
            }
            if parts.is_empty() {
                let diag = Diagnostic::error(codes::SYNTAX, "empty tuple type", open.to(close))
                    .label("STARK has no unit type");
                return Err(self.report(diag));
            }
            let mut ty = TypeExpr::Tuple(parts, open.to(close));
            while self.at(&TokenKind::Question) {
                self.deeper()?;
                let q = self.bump();
                ty = TypeExpr::Optional(Box::new(ty), open.to(q));
            }
            return Ok(ty);
        }
        // `None` is also the name of the type whose only value is `None` (SPEC §6).
        let name = if self.at(&TokenKind::None) {
            let span = self.bump();
            crate::ast::Ident {
                name: "None".to_string(),
                span,
            }
        } else {
            let mut name = self.expect_ident("a type")?;
            // `geometry.Point`: a type of another module, kept as one dotted name for the
            // checker's name lookup.
            while self.at(&TokenKind::Dot) && matches!(self.peek_at(1), TokenKind::Ident(_)) {
                self.bump();
                let part = self.expect_ident("a type name after `.`")?;
                name.name = format!("{}.{}", name.name, part.name);
                name.span = name.span.to(part.span);
            }
            name
        };
        let start = name.span;
        if name.name == "Fn" && self.eat(&TokenKind::LParen) {
            let params = self.comma_separated(
                &TokenKind::RParen,
                "`,` or `)` in the `Fn` type",
                Self::parse_type,
            )?;
            let ret = if self.eat(&TokenKind::Arrow) {
                Some(Box::new(self.parse_type()?))
            } else {
                None
            };
            let mut ty = TypeExpr::Fn {
                params,
                ret,
                span: start.to(self.prev_span),
            };
            while self.at(&TokenKind::Question) {
                self.deeper()?;
                let q = self.bump();
                ty = TypeExpr::Optional(Box::new(ty), start.to(q));
            }
            return Ok(ty);
        }
        let mut args = Vec::new();
        if self.eat(&TokenKind::Lt) {
            args = self.comma_separated(
                &TokenKind::Gt,
                "`,` or `>` in the type arguments",
                Self::parse_type,
            )?;
        }
        let mut ty = TypeExpr::Named {
            name,
            args,
            span: start.to(self.prev_span),
        };
        while self.at(&TokenKind::Question) {
            // Each `?` nests the type once more.
            self.deeper()?;
            let q = self.bump();
            ty = TypeExpr::Optional(Box::new(ty), start.to(q));
        }
        Ok(ty)
    }
}
