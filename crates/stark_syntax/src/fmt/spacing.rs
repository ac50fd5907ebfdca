//! Whether one space goes between two tokens of a logical line: the one place the canonical
//! style's spacing (SPEC §10: one space around binary operators, none inside brackets, a
//! space after a comma and after a colon) is decided.

use crate::token::{Token, TokenKind as K};

/// `space[i]`: whether token `i` of `line` follows its predecessor after one space (the
/// first token's entry is unused).
pub(super) fn spaces(line: &[Token]) -> Vec<bool> {
    let generic = generic_angles(line);
    let declaration = matches!(
        (line.first().map(|t| &t.kind), line.get(1).map(|t| &t.kind)),
        (Some(K::Fn), Some(K::Ident(_)))
    );
    // The open brackets around the current token, innermost last.
    let mut brackets: Vec<&K> = Vec::new();
    let mut out = Vec::with_capacity(line.len());
    let mut unary_before = false;
    for (i, t) in line.iter().enumerate() {
        if i == 0 {
            out.push(false);
            unary_before = is_unary(None, &t.kind);
            if opens(&t.kind) {
                brackets.push(&t.kind);
            }
            continue;
        }
        let p = &line[i - 1].kind;
        let n = &t.kind;
        let inner = brackets.last().copied();
        let space = if is_number(p) && matches!(n, K::Dot) || matches!(p, K::Dot) && is_number(n) {
            // `t.0 .1` (a field of a field): tightened it would read `t.0.1`, a Float.
            // Kept as the user wrote it.
            line[i - 1].span.end != t.span.start
        } else if closes(n) || opens(p) {
            false
        } else if matches!(p, K::Comma) {
            true
        } else if matches!(n, K::Comma | K::Dot | K::Colon | K::Question)
            || matches!(p, K::Dot | K::Amp)
            || unary_before
        {
            false
        } else if matches!(p, K::At) && i == 1 {
            // A decorator, `@destructor`.
            false
        } else if generic[i] || generic[i - 1] && matches!(line[i - 1].kind, K::Lt) {
            // Inside `List<Int>`: `<` and `>` hug their neighbours.
            false
        } else if matches!(n, K::Eq) || matches!(p, K::Eq) {
            let eq = if matches!(n, K::Eq) { i } else { i - 1 };
            !keyword_argument(line, eq, inner, brackets.len(), declaration)
        } else if i == 1 && soft_keyword(line) {
            // `match (a, b):`, `case (0, y):`
            true
        } else if matches!(n, K::LParen) {
            // A call (`f(x)`, `xs[0](x)`, `Pair<Int, String>(…)`, a lambda `fn(x)`).
            !(ends_operand(p) || matches!(p, K::Fn) || generic[i - 1])
        } else if matches!(n, K::LBracket) {
            !ends_operand(p)
        } else if matches!(p, K::Colon) {
            // A slice `xs[1:3]` is tight; a type or a map entry takes a space.
            !matches!(inner, Some(K::LBracket))
        } else {
            true
        };
        out.push(space);
        // After `case` a sign belongs to the pattern's number: `case -1:`.
        unary_before = is_unary(Some(p), n) || i == 1 && soft_keyword(line) && is_unary(None, n);
        if opens(n) {
            brackets.push(n);
        } else if closes(n) {
            brackets.pop();
        }
    }
    out
}

/// A line that starts with `match` or `case` (names to the lexer, keywords to the parser
/// at the start of a line ending in `:`).
fn soft_keyword(line: &[Token]) -> bool {
    matches!(line.first().map(|t| &t.kind), Some(K::Ident(w)) if w == "match" || w == "case")
        && matches!(line.last().map(|t| &t.kind), Some(K::Colon))
}

fn is_number(k: &K) -> bool {
    matches!(k, K::Int(_) | K::Float(_))
}

fn opens(k: &K) -> bool {
    matches!(k, K::LParen | K::LBracket | K::LBrace)
}

fn closes(k: &K) -> bool {
    matches!(k, K::RParen | K::RBracket | K::RBrace)
}

/// Whether a token ends an operand, so that `(` or `[` after it is a call or an index.
fn ends_operand(k: &K) -> bool {
    matches!(
        k,
        K::Ident(_)
            | K::Str(_)
            | K::FStr(_)
            | K::Int(_)
            | K::Float(_)
            | K::RParen
            | K::RBracket
            | K::RBrace
            | K::Question
            | K::True
            | K::False
            | K::None
    )
}

/// Whether `n`, coming after `p`, is a sign (`-x`, `[-1]`, `return -1`) rather than a
/// binary operator.
fn is_unary(p: Option<&K>, n: &K) -> bool {
    if !matches!(n, K::Minus | K::Plus) {
        return false;
    }
    match p {
        None => true,
        Some(p) => !(ends_operand(p)),
    }
}

/// `f(x=1)`, `Node(left=None)`, `spawn f() with quota=100`: a keyword argument's `=` hugs
/// its name; a default in a declaration (`fn f(scale: Float = 1.0)`) and an assignment
/// take spaces.
fn keyword_argument(
    line: &[Token],
    eq: usize,
    inner: Option<&K>,
    depth: usize,
    declaration: bool,
) -> bool {
    if eq >= 2 && matches!(line[eq - 2].kind, K::With) {
        return true;
    }
    matches!(inner, Some(K::LParen)) && !(declaration && depth == 1)
}

/// Which `<` and `>` tokens are a type's angle brackets: a `<` written right after a name
/// (`List<Int>`, `first<T>`; a comparison written `a<b` is left as it is, hugging too),
/// closed by a `>` with only type tokens between.
fn generic_angles(line: &[Token]) -> Vec<bool> {
    let mut out = vec![false; line.len()];
    let mut i = 1;
    while i < line.len() {
        let hugs = line[i - 1].span.end == line[i].span.start;
        if matches!(line[i].kind, K::Lt) && hugs && matches!(line[i - 1].kind, K::Ident(_)) {
            if let Some(close) = angle_close(line, i) {
                for (j, t) in line.iter().enumerate().take(close + 1).skip(i) {
                    if matches!(t.kind, K::Lt | K::Gt) {
                        out[j] = true;
                    }
                }
                i = close + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// The `>` closing the `<` at `open`, if everything between can be part of a type.
fn angle_close(line: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (j, t) in line.iter().enumerate().skip(open) {
        match t.kind {
            K::Lt => depth += 1,
            K::Gt => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            K::Ident(_)
            | K::Comma
            | K::Question
            | K::LParen
            | K::RParen
            | K::Arrow
            | K::Dot
            | K::None
            | K::Fn => {}
            _ => return None,
        }
    }
    None
}
