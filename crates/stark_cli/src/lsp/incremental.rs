//! Re-checking only what an edit changed: editing one function does not re-check the
//! others (issue 22).
//!
//! After each check of a document the diagnostics that lie in each function of the entry
//! file (from `fn` to the end of its body) are kept, with the function's body text. The
//! next check skips every body whose text is unchanged (`stark_check::check_some`) and
//! takes its diagnostics from the last check, moved to where the function now is. Three
//! things make a body be checked again although its text is the same:
//! - the text outside the bodies changed (a signature, a struct, a `const`, an import) or
//!   another file of the program did: everything is checked;
//! - a changed body names the function (it may call it: whether a callee only reads a
//!   parameter decides E0382's borrowing hint, and a skipped callee is treated as
//!   unknown);
//! - the function is new.
//!
//! A skipped body is treated by every analysis as one that failed, so nothing learned from
//! it can differ; `tests` hold the result to a full check on every program of `tests/ui`.

use crate::driver::{front_end_some, FrontEnd, Mode, Source};
use stark_syntax::ast::{FnDecl, Program};
use stark_syntax::{Diagnostic, FileId, Span};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;

/// What the last check of a document left for the next.
#[derive(Default)]
pub(super) struct Kept {
    /// The entry file's text outside its function bodies, and the program's other files.
    context: (u64, u64),
    /// By function (its name and its body's text): where it began (`fn`) and ended, and
    /// the diagnostics that lie in it.
    functions: HashMap<(String, u64), (u32, u32, Vec<Diagnostic>)>,
    /// The bodies, in order, as `(start, end)`: to move a span outside them.
    bodies: Vec<(u32, u32)>,
}

/// A check of a document: its front end (diagnostics merged), what to keep for the next,
/// and how many of its entry file's functions it checked.
pub(super) struct Checked {
    pub front: FrontEnd,
    pub kept: Kept,
    pub checked: usize,
    pub functions: usize,
}

/// One function of the entry file.
struct Function {
    key: (String, u64),
    /// The function's own name, as a call would write it.
    name: String,
    /// From `fn` to the end of its body, and where its body starts.
    start: u32,
    body: u32,
    end: u32,
}

fn hash(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// The entry file's functions and methods, in order.
fn functions(program: &Program, text: &str) -> Vec<Function> {
    let mut out: Vec<Function> = super::entry_functions(program)
        .filter_map(|(owner, f)| {
            let (body, end) = (f.span.end, f.body.span.end.max(f.span.end));
            let body_text = text.get(body as usize..end as usize)?;
            Some(Function {
                key: (format!("{owner}.{}", f.name.name), hash(body_text)),
                name: f.name.name.clone(),
                start: f.span.start,
                body,
                end,
            })
        })
        .collect();
    out.sort_by_key(|f| f.start);
    out
}

/// The entry file's function bodies a request at `offset` needs checked (by where their
/// functions start): the one around it, and with `callees` every function its body names,
/// and theirs in turn (hover's "stack-allocated" depends on whether a callee lets a lent
/// value escape, and so on down). Hover and completion check only these.
pub(super) fn needed(text: &str, offset: usize, callees: bool) -> HashSet<u32> {
    let (parsed, _) = stark_syntax::parse(text);
    let fns = functions(&parsed, text);
    let mut keep = HashSet::new();
    let mut todo: Vec<&Function> = fns
        .iter()
        .filter(|f| f.start as usize <= offset && offset <= f.end as usize)
        .collect();
    while let Some(f) = todo.pop() {
        if !keep.insert(f.start) || !callees {
            continue;
        }
        let words: HashSet<&str> = text[f.body as usize..f.end as usize]
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .collect();
        todo.extend(
            fns.iter()
                .filter(|g| words.contains(g.name.as_str()) && !keep.contains(&g.start)),
        );
    }
    keep
}

/// Checks the program whose entry file is `path` (its text `text`), re-checking only the
/// bodies that changed since `last` (module comment).
pub(super) fn check(
    path: &Path,
    display: &str,
    mode: Mode,
    source: &Source,
    text: &str,
    last: Option<&Kept>,
) -> Option<Checked> {
    let (parsed, _) = stark_syntax::parse(text);
    let fns = functions(&parsed, text);
    // The entry file without its bodies.
    let mut outside = String::new();
    let mut at = 0usize;
    for f in &fns {
        outside.push_str(text.get(at..f.body as usize).unwrap_or_default());
        at = f.end as usize;
    }
    outside.push_str(text.get(at..).unwrap_or_default());
    let entry_context = hash(&outside);
    // The bodies that may be skipped: unchanged, in an unchanged context, and named by
    // no changed body.
    let mut reuse: HashSet<u32> = HashSet::new();
    if let Some(last) = last.filter(|l| l.context.0 == entry_context) {
        let changed: Vec<&Function> = fns
            .iter()
            .filter(|f| !last.functions.contains_key(&f.key))
            .collect();
        let named: HashSet<&str> = changed
            .iter()
            .flat_map(|f| {
                text[f.body as usize..f.end as usize]
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            })
            .collect();
        reuse = fns
            .iter()
            .filter(|f| last.functions.contains_key(&f.key) && !named.contains(f.name.as_str()))
            .map(|f| f.start)
            .collect();
    }
    let run = |reuse: &HashSet<u32>| {
        let skip = |d: &FnDecl| d.span.file == FileId(0) && reuse.contains(&d.span.start);
        front_end_some(path, display, mode, source, &skip).ok()
    };
    let mut front = run(&reuse)?;
    let others = front.files.iter().skip(1).fold(0u64, |h, f| {
        h ^ hash(&f.name).rotate_left(7) ^ hash(&f.text)
    });
    let last = last.filter(|l| l.context == (entry_context, others));
    if last.is_none() && !reuse.is_empty() {
        // Another file changed: its names may mean something else in every body.
        reuse.clear();
        front = run(&reuse)?;
    }
    // The skipped bodies' diagnostics, from the last check, moved to where they are now.
    if let Some(last) = last {
        let moved = Mover {
            old: &last.bodies,
            new: fns.iter().map(|f| (f.body, f.end)).collect(),
        };
        let inside = |d: &Diagnostic, f: &Function| {
            d.primary.span.file == FileId(0)
                && f.start <= d.primary.span.start
                && d.primary.span.start <= f.end
        };
        for f in fns.iter().filter(|f| reuse.contains(&f.start)) {
            front.diags.retain(|d| !inside(d, f));
            if let Some((_, _, diags)) = last.functions.get(&f.key) {
                front
                    .diags
                    .extend(diags.iter().filter_map(|d| moved.diagnostic(d)));
            }
        }
        front.diags.sort_by_key(|d| {
            (
                d.primary.span.file,
                d.primary.span.start,
                d.primary.span.end,
            )
        });
    }
    let functions = fns
        .iter()
        .map(|f| {
            let diags: Vec<Diagnostic> = front
                .diags
                .iter()
                .filter(|d| {
                    d.primary.span.file == FileId(0)
                        && f.start <= d.primary.span.start
                        && d.primary.span.start <= f.end
                })
                .cloned()
                .collect();
            (f.key.clone(), (f.start, f.end, diags))
        })
        .collect();
    Some(Checked {
        front,
        kept: Kept {
            context: (entry_context, others),
            functions,
            bodies: fns.iter().map(|f| (f.body, f.end)).collect(),
        },
        checked: fns.len() - reuse.len(),
        functions: fns.len(),
    })
}

/// Moves the entry file's spans from the last text to this one: only bodies changed, and
/// as many as before (the text outside them is the same), so a span outside the bodies
/// moves by how much the bodies before it grew, and one inside an unchanged body with it.
struct Mover<'a> {
    old: &'a [(u32, u32)],
    new: Vec<(u32, u32)>,
}

impl Mover<'_> {
    fn offset(&self, o: u32) -> Option<u32> {
        if self.old.len() != self.new.len() {
            return None;
        }
        let mut shift: i64 = 0;
        for (&(os, oe), &(ns, ne)) in self.old.iter().zip(&self.new) {
            if oe <= o {
                shift += i64::from(ne - ns) - i64::from(oe - os);
            } else if os <= o {
                // Inside a body: the same body now (its text is unchanged) or none.
                return (oe - os == ne - ns).then(|| o - os + ns);
            } else {
                break;
            }
        }
        u32::try_from(i64::from(o) + shift).ok()
    }

    fn span(&self, s: Span) -> Option<Span> {
        if s.file != FileId(0) {
            return Some(s);
        }
        Some(Span {
            start: self.offset(s.start)?,
            end: self.offset(s.end)?,
            file: s.file,
        })
    }

    fn diagnostic(&self, d: &Diagnostic) -> Option<Diagnostic> {
        let mut d = d.clone();
        d.primary.span = self.span(d.primary.span)?;
        for label in &mut d.secondary {
            label.span = self.span(label.span)?;
        }
        Some(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// What a check reported, as the editor gets it: code, message, every label's place
    /// and text, help.
    fn shown(front: &FrontEnd) -> Vec<String> {
        front
            .diags
            .iter()
            .map(|d| {
                let labels: Vec<String> = std::iter::once(&d.primary)
                    .chain(&d.secondary)
                    .map(|l| {
                        format!(
                            "{:?}@{}..{} {}",
                            l.span.file, l.span.start, l.span.end, l.message
                        )
                    })
                    .collect();
                format!("{} {} {labels:?} {:?}", d.code, d.message, d.help)
            })
            .collect()
    }

    /// A diagnostic at a skipped function's signature (outside its body) moves with the
    /// bodies before it: one edit makes `a`'s body longer, and `b`'s missing return moves.
    #[test]
    fn a_skipped_functions_signature_diagnostic_moves_with_the_text() {
        let dir = std::env::temp_dir().join(format!("stark_incremental_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("main.stark");
        let text = "fn a():\n    print(1)\n\nfn b() -> Int:\n    print(2)\n\nfn main():\n    a()\n";
        let edited = text.replace("print(1)", "print(1 + 2 + 3)");
        let mode = Mode {
            optimise: false,
            need_main: true,
        };
        let display = path.display().to_string();
        let read = |t: String| {
            let p = path.clone();
            move |q: &Path| (q == p).then(|| t.clone())
        };
        let (first, second) = (read(text.to_string()), read(edited.clone()));
        let before =
            check(&path, &display, mode, &Source::Overlay(&first), text, None).expect("checks");
        let part = check(
            &path,
            &display,
            mode,
            &Source::Overlay(&second),
            &edited,
            Some(&before.kept),
        )
        .expect("checks");
        let full = check(
            &path,
            &display,
            mode,
            &Source::Overlay(&second),
            &edited,
            None,
        )
        .expect("checks");
        assert_eq!((part.checked, part.functions), (1, 3));
        assert_eq!(shown(&full.front).len(), 1, "{:?}", shown(&full.front));
        assert_eq!(shown(&part.front), shown(&full.front));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Every program of `tests/ui` (those that run, and those that must not compile):
    /// each of its first functions is edited (a space at the end of its body's first
    /// line), and the check that re-checks only what changed must report exactly what a
    /// check of everything reports on the edited text, while checking fewer functions.
    #[test]
    fn an_edit_rechecks_its_function_and_reports_what_a_full_check_does() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/ui");
        let mut programs: Vec<PathBuf> = ["run", "compile_fail"]
            .iter()
            .flat_map(|d| std::fs::read_dir(root.join(d)).expect("tests/ui").flatten())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "stark"))
            .collect();
        programs.sort();
        let mode = Mode {
            optimise: false,
            need_main: false,
        };
        let (mut edits, mut skipped) = (0, 0);
        for path in &programs {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let display = path.display().to_string();
            let with = |t: &str| {
                let t = t.to_string();
                let p = path.clone();
                move |q: &Path| (q == p).then(|| t.clone())
            };
            let first = with(&text);
            let Some(before) = check(path, &display, mode, &Source::Overlay(&first), &text, None)
            else {
                continue;
            };
            let (parsed, _) = stark_syntax::parse(&text);
            for f in functions(&parsed, &text).iter().take(4) {
                let body = &text[f.body as usize..f.end as usize];
                // The end of the body's first line: a trailing space changes nothing else.
                let Some(nl) = body[1..].find('\n').map(|i| f.body as usize + 1 + i) else {
                    continue;
                };
                let edited = format!("{} {}", &text[..nl], &text[nl..]);
                let source = with(&edited);
                let source = Source::Overlay(&source);
                let part = check(path, &display, mode, &source, &edited, Some(&before.kept))
                    .expect("checks");
                let full = check(path, &display, mode, &source, &edited, None).expect("checks");
                assert_eq!(
                    shown(&part.front),
                    shown(&full.front),
                    "{display}, {}",
                    f.key.0
                );
                assert_eq!(full.checked, full.functions);
                edits += 1;
                skipped += part.functions - part.checked;
            }
        }
        assert!(
            edits > 300 && skipped > 300,
            "{edits} edits, {skipped} bodies skipped"
        );
    }
}
