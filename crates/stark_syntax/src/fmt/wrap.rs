//! Splitting a logical line that is too wide inside its brackets, Black's way: the last
//! bracket pair of the line (else the first) opens at the end of the first line, its
//! contents go on the next line one level deeper (or one element a line, split at its
//! commas, each split again as needed), and the closing bracket starts the last line.
//! Newlines inside brackets mean nothing to the lexer, so any of these layouts reads back
//! as the same tokens, with one exception the split avoids: a line inside brackets must not
//! begin with a keyword that only starts a statement (`fn`, `if`, …), which the lexer takes
//! as the sign of a bracket never closed.

use super::{INDENT, WIDTH};
use crate::token::{Token, TokenKind as K};
use std::ops::Range;

/// The rendered lines of one logical line at block depth `level`.
pub(super) fn lines(
    tokens: &[Token],
    texts: &[&str],
    spaces: &[bool],
    level: usize,
) -> Vec<String> {
    let ctx = Ctx {
        tokens,
        texts,
        spaces,
        memo: Default::default(),
    };
    ctx.layout(0..tokens.len(), level, true)
}

/// A piece of a line: its token range, block depth, and whether it starts the line.
type MemoKey = (usize, usize, usize, bool);

struct Ctx<'a> {
    tokens: &'a [Token],
    texts: &'a [&'a str],
    spaces: &'a [bool],
    /// Layouts already found, by (range, level, first): trying every bracket pair of every
    /// piece would otherwise take time exponential in the pairs of a long line.
    memo: std::cell::RefCell<std::collections::HashMap<MemoKey, Vec<String>>>,
}

impl Ctx<'_> {
    fn flat(&self, range: Range<usize>) -> String {
        let mut s = String::new();
        for i in range.clone() {
            if i > range.start && self.spaces[i] {
                s.push(' ');
            }
            s.push_str(self.texts[i]);
        }
        s
    }

    fn layout(&self, range: Range<usize>, level: usize, first: bool) -> Vec<String> {
        let key = (range.start, range.end, level, first);
        if let Some(done) = self.memo.borrow().get(&key) {
            return done.clone();
        }
        let out = self.layout_uncached(range, level, first);
        self.memo.borrow_mut().insert(key, out.clone());
        out
    }

    fn layout_uncached(&self, range: Range<usize>, level: usize, first: bool) -> Vec<String> {
        let indent = INDENT.repeat(level);
        let one = format!("{indent}{}", self.flat(range.clone()));
        if width(&one) <= WIDTH {
            return vec![one];
        }
        // Black's order: the last bracket pair first, then the earlier ones; the first
        // layout whose lines all fit wins, else the one whose widest line is narrowest.
        let mut best: Option<Vec<String>> = None;
        for (open, close) in self.top_pairs(range.clone()).into_iter().rev() {
            if close == open + 1 {
                continue;
            }
            let Some(out) = self.split_at(range.clone(), open, close, level, first) else {
                continue;
            };
            let widest = out.iter().map(|l| width(l)).max().unwrap_or(0);
            if widest <= WIDTH {
                return out;
            }
            let narrower = best
                .as_ref()
                .is_none_or(|b| widest < b.iter().map(|l| width(l)).max().unwrap_or(0));
            if narrower {
                best = Some(out);
            }
        }
        best.filter(|b| b.iter().map(|l| width(l)).max().unwrap_or(0) < width(&one))
            .unwrap_or_else(|| vec![one])
    }

    /// `range` split inside the bracket pair `open`..`close`; `None` when a line of the
    /// result would start with a statement keyword.
    fn split_at(
        &self,
        range: Range<usize>,
        open: usize,
        close: usize,
        level: usize,
        first: bool,
    ) -> Option<Vec<String>> {
        let indent = INDENT.repeat(level);
        let mut out = vec![format!("{indent}{}", self.flat(range.start..open + 1))];
        let body = open + 1..close;
        let inner = format!("{}{}", INDENT.repeat(level + 1), self.flat(body.clone()));
        if width(&inner) <= WIDTH {
            out.push(inner);
        } else {
            let elements = self.elements(body);
            // Short atoms (`1,`, `"the",`) are packed as many a line as fit, as rustfmt
            // packs short array elements; anything larger gets a line each.
            if elements.iter().all(|e| e.len() <= 2) {
                out.extend(self.packed(&elements, level + 1));
            } else {
                for element in elements {
                    out.extend(self.layout(element, level + 1, false));
                }
            }
        }
        out.extend(self.layout(close..range.end, level, false));
        // The first line may start with anything; a later one must not look like a new
        // statement to the lexer.
        let safe = out
            .iter()
            .enumerate()
            .all(|(k, l)| (first && k == 0) || !starts_statement(l));
        safe.then_some(out)
    }

    /// `elements` filling lines of at most [`WIDTH`] columns at depth `level`.
    fn packed(&self, elements: &[Range<usize>], level: usize) -> Vec<String> {
        let indent = INDENT.repeat(level);
        let mut out: Vec<String> = Vec::new();
        for e in elements {
            let text = self.flat(e.clone());
            match out.last_mut() {
                Some(line) if width(line) + 1 + width(&text) <= WIDTH => {
                    line.push(' ');
                    line.push_str(&text);
                }
                _ => out.push(format!("{indent}{text}")),
            }
        }
        out
    }

    /// Bracket pairs not inside another bracket of `range`, as token indices.
    fn top_pairs(&self, range: Range<usize>) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        let mut depth = 0usize;
        let mut open = 0;
        for i in range {
            match self.tokens[i].kind {
                K::LParen | K::LBracket | K::LBrace => {
                    if depth == 0 {
                        open = i;
                    }
                    depth += 1;
                }
                K::RParen | K::RBracket | K::RBrace => {
                    if depth == 1 {
                        pairs.push((open, i));
                    }
                    depth = depth.saturating_sub(1);
                }
                _ => {}
            }
        }
        pairs
    }

    /// `range` cut after each comma not inside a bracket (each piece keeps its comma).
    fn elements(&self, range: Range<usize>) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        let mut start = range.start;
        for i in range.clone() {
            match self.tokens[i].kind {
                K::LParen | K::LBracket | K::LBrace => depth += 1,
                K::RParen | K::RBracket | K::RBrace => depth = depth.saturating_sub(1),
                K::Comma if depth == 0 => {
                    out.push(start..i + 1);
                    start = i + 1;
                }
                _ => {}
            }
        }
        if start < range.end {
            out.push(start..range.end);
        }
        out
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Whether a line begins with a word the lexer reads as the start of a statement.
fn starts_statement(line: &str) -> bool {
    let l = line.trim_start();
    let word: String = l
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    crate::lexer::STATEMENT_KEYWORDS.contains(&word.as_str())
}
