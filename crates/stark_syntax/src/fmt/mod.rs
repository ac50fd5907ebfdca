//! `stark fmt` (SPEC §10): the one canonical layout of a STARK file.
//!
//! The formatter works on tokens, not on the syntax tree: it re-emits every token of the
//! file, in order, and decides only the whitespace between them (indentation, spaces,
//! blank lines, line breaks inside brackets), so what the program does cannot change. It
//! never adds, drops or reorders a token (not even a trailing comma: dropping the one in
//! `(x,)` would change a tuple into `x`), and it checks that promise: the output is lexed
//! again and must give the same tokens and the same comments, or the file is left alone
//! with an internal error. Comments are kept where they were: on their own line (indented
//! with the code around them) or after the code of a line (two spaces before `//`).
//!
//! A logical line is rendered on one line when it fits in [`WIDTH`] columns, else split
//! inside its brackets (`wrap.rs`). Blank lines: none at the start of a block, at most one
//! inside a block, two around a top-level `fn`, `struct` or `enum` (and the comments
//! right above it), at most two elsewhere at the top level.

mod spacing;
#[cfg(test)]
mod tests;
mod wrap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::lexer;
use crate::span::FileId;
use crate::token::{Token, TokenKind as K};

/// Lines are wrapped at this many columns (characters) where brackets allow.
pub const WIDTH: usize = 100;
const INDENT: &str = "    ";

/// Why a file could not be formatted.
#[derive(Debug)]
pub enum FormatError {
    /// It does not parse: the errors, as `stark check` reports them.
    Syntax(Vec<Diagnostic>),
    /// The formatter would have changed the tokens or comments (a bug in it); the file is
    /// left as it is.
    Internal(String),
}

/// The canonical layout of `source`, a whole file.
pub fn format_source(source: &str) -> Result<String, FormatError> {
    let (_, diags) = crate::parse(source);
    let errors: Vec<Diagnostic> = diags
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        return Err(FormatError::Syntax(errors));
    }
    let lexed = lexer::lex_file(source, FileId::default());
    let out = Printer::new(source, &lexed.tokens, &lexed.comments).print();
    same_program(source, &out)?;
    Ok(out)
}

/// A line of code or a comment on its own line, in source order.
enum Element {
    Code(Line),
    /// A comment alone on its line(s), by its span.
    Comment {
        start: usize,
        end: usize,
    },
}

/// One logical line: its tokens, its block depth, and what sits after it on its last line.
struct Line {
    tokens: Vec<Token>,
    level: usize,
    /// Comments after the code on the line's last physical line.
    trailing: Vec<(usize, usize)>,
    /// Comments between its tokens (inside brackets): the line keeps its line breaks.
    inner: Vec<(usize, usize)>,
    /// The column the user indented it to (for placing comments between blocks).
    column: usize,
}

impl Line {
    fn start(&self) -> usize {
        self.tokens.first().map_or(0, |t| t.span.start as usize)
    }

    fn end(&self) -> usize {
        let code = self.tokens.last().map_or(0, |t| t.span.end as usize);
        self.trailing.last().map_or(code, |c| c.1.max(code))
    }

    /// `fn`, `struct` or `enum` at the start: an item with a body.
    fn opens_item(&self) -> bool {
        matches!(
            self.tokens.first().map(|t| &t.kind),
            Some(K::Fn | K::Struct | K::At)
        ) || matches!(self.tokens.first().map(|t| &t.kind), Some(K::Ident(w)) if w == "enum")
    }

    fn opens_block(&self) -> bool {
        matches!(self.tokens.last().map(|t| &t.kind), Some(K::Colon))
    }
}

struct Printer<'s> {
    source: &'s str,
    elements: Vec<Element>,
}

impl<'s> Printer<'s> {
    fn new(source: &'s str, tokens: &[Token], comments: &[crate::span::Span]) -> Self {
        let mut lines: Vec<Line> = Vec::new();
        let mut level = 0usize;
        let mut current: Vec<Token> = Vec::new();
        for t in tokens {
            match t.kind {
                K::Indent => level += 1,
                K::Dedent => level = level.saturating_sub(1),
                K::Newline | K::Eof => {
                    if !current.is_empty() {
                        let column = column_of(source, current[0].span.start as usize);
                        lines.push(Line {
                            tokens: std::mem::take(&mut current),
                            level,
                            trailing: Vec::new(),
                            inner: Vec::new(),
                            column,
                        });
                    }
                }
                _ => current.push(t.clone()),
            }
        }
        // Each comment goes after the code of a line (on that line's last physical line),
        // inside a line (between its tokens), or on a line of its own.
        let mut elements = Vec::new();
        let mut alone = Vec::new();
        for c in comments {
            let (start, end) = (c.start as usize, c.end as usize);
            // The last line that starts before the comment.
            let before = lines.partition_point(|l| l.start() < start);
            match before.checked_sub(1).map(|k| &mut lines[k]) {
                Some(line) if start < line.tokens_end() => line.inner.push((start, end)),
                Some(line) if same_line(source, line.tokens_end(), start) => {
                    line.trailing.push((start, end))
                }
                _ => alone.push((start, end)),
            }
        }
        // Merge lines and lone comments by position.
        let mut alone = alone.into_iter().peekable();
        for line in lines {
            while let Some(&(s, e)) = alone.peek() {
                if s < line.start() {
                    elements.push(Element::Comment { start: s, end: e });
                    alone.next();
                } else {
                    break;
                }
            }
            elements.push(Element::Code(line));
        }
        elements.extend(alone.map(|(start, end)| Element::Comment { start, end }));
        Printer { source, elements }
    }

    fn print(&self) -> String {
        let mut out = String::new();
        let (next_code, attached) = self.lookahead();
        let levels = self.comment_levels(&next_code);
        let mut last_code: Option<&Line> = None;
        // Whether the last top-level item had a body (lines below it).
        let mut prev_end = None;
        let mut prev_was_comment = false;
        // The element before was a comment inside a block: the top level starts afresh.
        let mut prev_comment_nested = false;
        let mut top_item_had_body = false;
        for (i, e) in self.elements.iter().enumerate() {
            let (start, end) = match e {
                Element::Code(l) => (l.start(), l.end()),
                Element::Comment { start, end } => (*start, *end),
            };
            let level = match e {
                Element::Code(l) => l.level,
                Element::Comment { .. } => levels[i],
            };
            let written = prev_end.map_or(0, |p| blank_lines(&self.source[p..start]));
            let blanks = match prev_end {
                None => 0,
                Some(_) if level > 0 => {
                    if last_code.is_some_and(|l| l.opens_block() && l.level < level)
                        && !prev_was_comment
                    {
                        0
                    } else {
                        written.min(1)
                    }
                }
                Some(_) => {
                    // A group: a top-level line and the comments right above it.
                    let starts_group = !prev_was_comment || written > 0 || prev_comment_nested;
                    let next = next_code[i].and_then(|k| match &self.elements[k] {
                        Element::Code(l) => Some(l),
                        Element::Comment { .. } => None,
                    });
                    let item = attached[i] && next.is_some_and(|l| l.level == 0 && l.opens_item());
                    if starts_group && (item || top_item_had_body) {
                        2
                    } else {
                        written.min(2)
                    }
                }
            };
            for _ in 0..blanks {
                out.push('\n');
            }
            match e {
                Element::Code(line) => {
                    self.code(line, &mut out);
                    top_item_had_body = line.level > 0;
                    last_code = Some(line);
                    prev_was_comment = false;
                    prev_comment_nested = false;
                }
                Element::Comment { start, end } => {
                    let text = &self.source[*start..*end];
                    push_indented(&mut out, level, text, column_of(self.source, *start));
                    out.push('\n');
                    prev_was_comment = true;
                    prev_comment_nested = level > 0;
                }
            }
            prev_end = Some(end);
        }
        out
    }

    /// Per element: the index of the first line of code at or after it, and whether the
    /// comments from it on run straight (no blank line) into that line, so that they
    /// belong to it. One pass from the end, so a file of many comments stays linear.
    fn lookahead(&self) -> (Vec<Option<usize>>, Vec<bool>) {
        let n = self.elements.len();
        let mut next_code = vec![None; n];
        let mut attached = vec![false; n];
        for i in (0..n).rev() {
            match &self.elements[i] {
                Element::Code(_) => {
                    next_code[i] = Some(i);
                    attached[i] = true;
                }
                Element::Comment { end, .. } => {
                    next_code[i] = next_code.get(i + 1).copied().flatten();
                    attached[i] = self.elements.get(i + 1).is_some_and(|e| {
                        let start = match e {
                            Element::Code(l) => l.start(),
                            Element::Comment { start, .. } => *start,
                        };
                        blank_lines(&self.source[*end..start]) == 0 && attached[i + 1]
                    });
                }
            }
        }
        (next_code, attached)
    }

    /// The block depth of each lone comment: that of the code around it, choosing among
    /// the depths between the line before and the line after by the comment's column.
    fn comment_levels(&self, next_code: &[Option<usize>]) -> Vec<usize> {
        let mut levels = vec![0; self.elements.len()];
        // The column of the latest line at each depth.
        let mut columns: Vec<usize> = Vec::new();
        let mut prev: Option<&Line> = None;
        for (i, e) in self.elements.iter().enumerate() {
            match e {
                Element::Code(l) => {
                    columns.truncate(l.level);
                    columns.resize(l.level, 0);
                    columns.push(l.column);
                    prev = Some(l);
                }
                Element::Comment { start, .. } => {
                    let column = column_of(self.source, *start);
                    let next = next_code[i].and_then(|k| match &self.elements[k] {
                        Element::Code(l) => Some(l.level),
                        Element::Comment { .. } => None,
                    });
                    let low = next.unwrap_or(0);
                    let Some(p) = prev else {
                        levels[i] = low;
                        continue;
                    };
                    let high = if p.opens_block() {
                        p.level + 1
                    } else {
                        p.level
                    };
                    let mut level = low.min(high);
                    for d in (low.min(high)..=high).rev() {
                        let col = if d < columns.len() {
                            columns[d]
                        } else {
                            p.column + 1
                        };
                        if column >= col {
                            level = d;
                            break;
                        }
                    }
                    levels[i] = level;
                }
            }
        }
        levels
    }

    fn code(&self, line: &Line, out: &mut String) {
        let texts: Vec<&str> = line
            .tokens
            .iter()
            .map(|t| &self.source[t.span.start as usize..t.span.end as usize])
            .collect();
        let spaces = spacing::spaces(&line.tokens);
        let mut rendered = if line.inner.is_empty() {
            wrap::lines(&line.tokens, &texts, &spaces, line.level)
        } else {
            self.as_broken(line, &texts, &spaces)
        };
        if let Some(last) = rendered.last_mut() {
            for &(s, e) in &line.trailing {
                last.push_str("  ");
                last.push_str(&comment_lines(&self.source[s..e], 0));
            }
        }
        for l in rendered {
            out.push_str(l.trim_end());
            out.push('\n');
        }
    }

    /// A line with comments inside its brackets, broken where the user broke it: each
    /// physical line's tokens spaced as usual, indented one level a bracket open at its
    /// start (a line starting with a closing bracket one less), comments kept at the end
    /// of their line or on lines of their own.
    fn as_broken(&self, line: &Line, texts: &[&str], spaces: &[bool]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut cur = String::new();
        let mut depth = 0usize;
        let mut prev_end: Option<usize> = None;
        let mut comments = line.inner.iter().copied().peekable();
        let mut after_comment = false;
        let mut k = 0;
        // The first line is started before anything is written to it.
        let start_line = |out: &mut Vec<String>, cur: &mut String, depth: usize| {
            if !cur.is_empty() {
                out.push(std::mem::take(cur));
            }
            *cur = INDENT.repeat(line.level + depth);
        };
        loop {
            let token_start = line.tokens.get(k).map(|t| t.span.start as usize);
            let comment = comments.peek().copied();
            let take_comment = match (comment, token_start) {
                (Some((c, _)), Some(t)) => c < t,
                (Some(_), None) => true,
                (None, None) => break,
                (None, Some(_)) => false,
            };
            if let (true, Some((s, e))) = (take_comment, comment) {
                comments.next();
                if prev_end.is_none_or(|p| !same_line(self.source, p, s)) {
                    start_line(&mut out, &mut cur, depth);
                } else {
                    cur.push_str("  ");
                }
                cur.push_str(&comment_lines(&self.source[s..e], 0));
                prev_end = Some(e);
                after_comment = true;
                continue;
            }
            let t = &line.tokens[k];
            let start = t.span.start as usize;
            let closing = matches!(t.kind, K::RParen | K::RBracket | K::RBrace);
            if prev_end.is_none_or(|p| !same_line(self.source, p, start)) {
                start_line(
                    &mut out,
                    &mut cur,
                    depth - usize::from(closing && depth > 0),
                );
            } else if after_comment || spaces[k] {
                cur.push(' ');
            }
            after_comment = false;
            cur.push_str(texts[k]);
            match t.kind {
                K::LParen | K::LBracket | K::LBrace => depth += 1,
                K::RParen | K::RBracket | K::RBrace => depth = depth.saturating_sub(1),
                _ => {}
            }
            prev_end = Some(t.span.end as usize);
            k += 1;
        }
        out.push(cur);
        out
    }
}

impl Line {
    fn tokens_end(&self) -> usize {
        self.tokens.last().map_or(0, |t| t.span.end as usize)
    }
}

/// Writes a comment alone on its line(s), its first line at `level`'s indentation (it was
/// at `column`).
fn push_indented(out: &mut String, level: usize, text: &str, column: usize) {
    let indent = INDENT.repeat(level);
    out.push_str(&indent);
    out.push_str(&comment_lines(
        text,
        indent.len() as isize - column as isize,
    ));
}

/// A comment's text for the output: every line's end trimmed (spaces, a CR), and its later
/// lines moved by `shift` columns with its first line when every one of them can be (so
/// a block comment's inner layout is kept), else left where they were.
fn comment_lines(text: &str, shift: isize) -> String {
    let lines: Vec<&str> = text.split('\n').map(str::trim_end).collect();
    let indent_of = |l: &str| (l.len() - l.trim_start_matches(' ').len()) as isize;
    let movable = lines[1..]
        .iter()
        .filter(|l| !l.is_empty())
        .all(|l| indent_of(l) + shift >= 0);
    let mut out = String::new();
    for (k, l) in lines.iter().enumerate() {
        if k > 0 {
            out.push('\n');
            if movable && !l.is_empty() {
                let own = indent_of(l);
                out.push_str(&" ".repeat((own + shift) as usize));
                out.push_str(&l[own as usize..]);
                continue;
            }
        }
        out.push_str(l);
    }
    out
}

/// Blank lines in the whitespace between two elements.
fn blank_lines(between: &str) -> usize {
    between.matches('\n').count().saturating_sub(1)
}

/// The column (in bytes of leading spaces) of the line holding `at`.
fn column_of(source: &str, at: usize) -> usize {
    let line_start = source[..at].rfind('\n').map_or(0, |i| i + 1);
    at - line_start
}

fn same_line(source: &str, a: usize, b: usize) -> bool {
    !source[a.min(b)..a.max(b)].contains('\n')
}

/// The promise of this module, checked: the same tokens (by kind and text) and the same
/// comments, in the same order.
fn same_program(before: &str, after: &str) -> Result<(), FormatError> {
    let a = lexer::lex_file(before, FileId::default());
    let b = lexer::lex_file(after, FileId::default());
    let text = |src: &'_ str, t: &Token| -> String {
        match t.kind {
            K::Newline | K::Indent | K::Dedent | K::Eof => format!("{:?}", t.kind),
            _ => src[t.span.start as usize..t.span.end as usize].to_string(),
        }
    };
    let ta: Vec<String> = a.tokens.iter().map(|t| text(before, t)).collect();
    let tb: Vec<String> = b.tokens.iter().map(|t| text(after, t)).collect();
    if let Some(k) = (0..ta.len().max(tb.len())).find(|&k| ta.get(k) != tb.get(k)) {
        return Err(FormatError::Internal(format!(
            "the formatted file would read differently (token {k}: {:?} became {:?})",
            ta.get(k),
            tb.get(k)
        )));
    }
    // A comment's words, not its spacing: a block comment's later lines are re-indented.
    let words = |src: &str, l: &lexer::Lexed| -> Vec<String> {
        l.comments
            .iter()
            .map(|c| {
                src[c.start as usize..c.end as usize]
                    .split_whitespace()
                    .collect()
            })
            .collect()
    };
    if words(before, &a) != words(after, &b) {
        return Err(FormatError::Internal(
            "the formatted file would change a comment".into(),
        ));
    }
    Ok(())
}
