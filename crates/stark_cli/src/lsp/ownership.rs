//! What hover says about a binding at one point of its function: its type and how it holds
//! its value there — owned, borrowed, stack-allocated, in arena NAME, moved at line N —
//! read off the checker's results (`Checked::move_facts`, `Checked::stack_allocs`) and the
//! function's `arena` blocks. Nothing is computed here that the checker does not decide.

use super::position;
use stark_check::{Checked, LocalId, LocalInfo, LocalKind};
use stark_syntax::ast::{Block, ParamMode, Program, StmtKind};
use stark_syntax::{FileId, Span};

/// The binding `name` at `offset` of the entry file (`text`), shown with its type and how
/// it holds its value at that point.
pub(super) fn binding(
    program: &Program,
    checked: &Checked,
    text: &str,
    name: &str,
    offset: usize,
) -> Option<String> {
    // A use by name is the checker's own answer; elsewhere (a declaration) the binding
    // declared last before the offset in the function.
    let at = checked
        .move_facts
        .use_at(FileId(0), offset as u32)
        .filter(|u| checked.local(u.local).name == name);
    let id = match at {
        Some(u) => u.local,
        None => visible_local(program, checked, name, offset)?,
    };
    let local = checked.local(id);
    let line = |s: Span| position(text, s.start as usize).line + 1;
    let lines = |spans: &[Span]| {
        let mut ns: Vec<u32> = spans.iter().map(|&s| line(s)).collect();
        ns.sort_unstable();
        ns.dedup();
        ns.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
    };
    let mut how = vec![holding(local).to_string()];
    if local.kind == LocalKind::Let {
        if stack_allocated(checked, id) {
            how.push(
                "stack-allocated: escape analysis found it never outlives its function, so \
                 it costs no heap allocation and no reference counting"
                    .into(),
            );
        }
        if local.ty.is_heap() {
            if let Some(arena) = arena_around(program, local.span) {
                how.push(format!(
                    "in arena `{arena}`: made in the arena, freed all at once when its block ends"
                ));
            }
        }
    }
    match at {
        Some(u) if !u.moved_at.is_empty() => {
            let (what, paths) = if u.maybe {
                ("possibly moved", " on some paths")
            } else {
                ("moved", "")
            };
            how.push(format!(
                "**{what} at line {}**{paths}: using it here is an error (E0382)",
                lines(&u.moved_at)
            ));
        }
        Some(u) if u.moves => how.push(format!(
            "moved here (line {}): its value is handed over, and `{name}` cannot be used \
             after this unless assigned again",
            line(u.span)
        )),
        _ => {
            let later: Vec<Span> = checked
                .move_facts
                .moves_of(id)
                .filter(|s| s.file == FileId(0) && s.start as usize > offset)
                .collect();
            if !later.is_empty() {
                how.push(format!("moved later, at line {}", lines(&later)));
            }
        }
    }
    let keyword = match local.kind {
        LocalKind::Let if local.mutable => "mutable let",
        LocalKind::Let => "let",
        _ => "",
    };
    let ty = checked.display(&local.ty).to_string();
    let decl = format!("{keyword} {name}: {ty}").trim_start().to_string();
    Some(format!("```stark\n{decl}\n```\n{}", how.join("  \n")))
}

/// How a kind of binding holds its value.
fn holding(local: &LocalInfo) -> &'static str {
    match local.kind {
        LocalKind::Param(ParamMode::Borrowed) => {
            "borrowed (`&` parameter): read without reference counting, its owner keeps it"
        }
        LocalKind::Param(ParamMode::BorrowedMut) => {
            "borrowed mutably (`&mutable` parameter): changed in place, its owner keeps it"
        }
        LocalKind::Param(_) => "owned (parameter): moved in by the caller",
        LocalKind::Let if local.mutable => "owned, mutable",
        LocalKind::Let => "owned",
        LocalKind::ForVar => "borrows each element in turn (loop variable)",
        LocalKind::CaseBind => "bound by a `case` pattern: reads its part of the subject",
    }
}

/// Whether `local` is bound by a `let` whose value escape analysis keeps on the stack.
fn stack_allocated(checked: &Checked, local: LocalId) -> bool {
    checked
        .lets
        .iter()
        .any(|(value, &l)| l == local && checked.stack_allocs.contains(value))
}

/// The name of the innermost `arena` block of the entry file around `span` (a span of
/// the entry file: locals are only looked for there).
fn arena_around(program: &Program, span: Span) -> Option<String> {
    fn inner(block: &Block, span: Span, found: &mut Option<String>) {
        for stmt in &block.stmts {
            if !(stmt.span.start <= span.start && span.end <= stmt.span.end) {
                continue;
            }
            match &stmt.kind {
                StmtKind::Arena { name, body } => {
                    *found = Some(name.name.clone());
                    inner(body, span, found);
                }
                StmtKind::If {
                    branches,
                    else_block,
                } => {
                    for (_, b) in branches {
                        inner(b, span, found);
                    }
                    if let Some(b) = else_block {
                        inner(b, span, found);
                    }
                }
                StmtKind::While { body, .. } | StmtKind::For { body, .. } => {
                    inner(body, span, found)
                }
                StmtKind::Match { arms, .. } => {
                    for arm in arms {
                        inner(&arm.body, span, found);
                    }
                }
                _ => {}
            }
        }
    }
    let mut found = None;
    for (_, f) in super::entry_functions(program) {
        if f.body.span.start <= span.start && span.end <= f.body.span.end {
            inner(&f.body, span, &mut found);
        }
    }
    found
}

/// The binding `name` visible at `offset` of the entry file: the latest one declared
/// before it inside the same function (not yet block-scoped).
pub(super) fn visible_local(
    program: &Program,
    checked: &Checked,
    name: &str,
    offset: usize,
) -> Option<LocalId> {
    let fn_start = super::function_start(program, offset)?;
    checked
        .locals
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l.name == name
                && l.span.file == FileId(0)
                && (l.span.start as usize) >= fn_start
                && (l.span.start as usize) <= offset
        })
        .max_by_key(|(_, l)| l.span.start)
        .map(|(i, _)| i as LocalId)
}
