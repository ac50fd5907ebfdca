//! W0101: `//` starts a comment in STARK, so Python's floor division `total // 5` silently
//! becomes `total` followed by a comment. When a `//` comment follows an operand on the same
//! line and its text (leading spaces skipped) parses on its own as an expression, the
//! program probably meant to divide: warn (SPEC §5). An ordinary comment after code
//! (`p  // moves here`) does not parse as an expression and never warns.

use crate::diagnostic::{codes, Diagnostic};
use crate::span::Span;
use crate::token::{Token, TokenKind};

/// The W0101 warnings of a file, from its tokens and the spans of its comments.
pub fn floor_division_warnings(
    source: &str,
    tokens: &[Token],
    comments: &[Span],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for &c in comments {
        let (start, end) = (c.start as usize, c.end as usize);
        if !source.get(start..end).is_some_and(|t| t.starts_with("//")) {
            continue;
        }
        // The last real token before the comment (layout tokens carry no operand).
        let before = tokens.partition_point(|t| t.span.end <= c.start);
        let Some(prev) = tokens[..before].iter().rev().find(|t| !t.kind.is_layout()) else {
            continue;
        };
        if !ends_operand(&prev.kind) {
            continue;
        }
        let gap = source.get(prev.span.end as usize..start).unwrap_or("\n");
        if gap.contains('\n') {
            continue;
        }
        let text = &source[start + 2..end];
        let skipped = text.len() - text.trim_start_matches([' ', '\t']).len();
        let body = Span {
            start: (start + 2 + skipped) as u32,
            end: c.end,
            file: c.file,
        };
        if body.start >= body.end || !crate::parser::parses_as_expression(source, body) {
            continue;
        }
        out.push(
            Diagnostic::warning(
                codes::FLOOR_DIV_COMMENT,
                "`//` starts a comment in STARK",
                c,
            )
            .label("a comment, not floor division: the rest of the line is ignored")
            .help(
                "Int / Int divides truncating toward zero; for floor division of Floats use \
                 math.floor(a / b)",
            ),
        );
    }
    out
}

/// Whether a token can end an operand (so a following `//` reads as a binary operator).
fn ends_operand(kind: &TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Int(_)
            | TokenKind::Float(_)
            | TokenKind::Str(_)
            | TokenKind::FStr(_)
            | TokenKind::Ident(_)
            | TokenKind::True
            | TokenKind::False
            | TokenKind::None
            | TokenKind::RParen
            | TokenKind::RBracket
            | TokenKind::RBrace
    )
}
