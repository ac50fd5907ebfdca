//! Number and string literals, with their escapes.

use super::*;

impl Lexer<'_> {
    pub(super) fn eat_digits(&mut self, hex: bool) {
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

    pub(super) fn number(&mut self) {
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
    pub(super) fn int_value(&mut self, digits: &str, radix: u32, start: usize) -> i64 {
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

    pub(super) fn unterminated(&mut self, what: &str, start: usize) {
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

    pub(super) fn string(&mut self) {
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

    pub(super) fn take_char(&mut self, into: &mut String) {
        if let Some(c) = self.current_char() {
            into.push(c);
            self.pos += c.len_utf8();
        } else {
            self.pos += 1;
        }
    }

    /// Decodes the escape at the cursor (which is on the backslash) into `into`.
    pub(super) fn escape(&mut self, into: &mut String) {
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
    pub(super) fn unicode_escape(&mut self) -> Option<char> {
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
}
