//! Rendering of compile-time diagnostics (rustc's shape, via codespan-reporting) and of
//! runtime errors with their STARK stack trace.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use codespan_reporting::term::{self, Config};
use stark_syntax::LineIndex;
use stark_syntax::{Diagnostic, Span};
use std::io::IsTerminal;

fn color() -> ColorChoice {
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    }
}

/// Clamps a span to the source so that a bad span can never make rendering fail.
fn clamp(span: Span, source: &str) -> std::ops::Range<usize> {
    let mut start = (span.start as usize).min(source.len());
    let mut end = (span.end as usize).min(source.len()).max(start);
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    while !source.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// One file of the program as the user named it, and its text; a program's files are kept
/// in `FileId` order, so a span's file indexes them.
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// The file a span is in (the entry file for a span of no file, such as E0601's).
pub(crate) fn file_of(files: &[SourceFile], span: Span) -> usize {
    let i = span.file.0 as usize;
    if i < files.len() {
        i
    } else {
        0
    }
}

/// Renders `diags`, each label in its own file; the summary names `files[0]`, the file
/// given to `stark`.
pub fn diagnostics(files: &[SourceFile], diags: &[Diagnostic]) {
    if crate::json::enabled() {
        // One object each; a tool counts them itself, so no summary line.
        for d in diags {
            crate::json::emit(&crate::json::diagnostic(files, d));
        }
        return;
    }
    emit_diagnostics(files, diags);
    let path = files.first().map_or("", |f| f.name.as_str());
    let warnings = diags.iter().filter(|d| d.is_warning()).count();
    let errors = diags.len() - warnings;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    // Warnings never stop compilation; with errors, rustc's summary counts both.
    if errors > 0 {
        let also = if warnings > 0 {
            format!("; {warnings} warning{} emitted", plural(warnings))
        } else {
            String::new()
        };
        eprintln!(
            "error: could not compile `{path}` due to {errors} previous error{}{also}",
            plural(errors)
        );
    } else if warnings > 0 {
        eprintln!("warning: {warnings} warning{} emitted", plural(warnings));
    }
}

/// Renders each of `diags` as text, without the summary line (`stark repl` reports an
/// entry's errors alone).
pub fn emit_diagnostics(files: &[SourceFile], diags: &[Diagnostic]) {
    let mut table = SimpleFiles::new();
    for f in files {
        table.add(f.name.as_str(), f.text.as_str());
    }
    let writer = StandardStream::stderr(color());
    let config = Config::default();
    let at = |span: Span| {
        let i = file_of(files, span);
        (i, clamp(span, &files[i].text))
    };
    for d in diags {
        let (file, range) = at(d.primary.span);
        let mut labels = vec![CsLabel::primary(file, range).with_message(&d.primary.message)];
        for s in &d.secondary {
            let (file, range) = at(s.span);
            labels.push(CsLabel::secondary(file, range).with_message(&s.message));
        }
        let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
        // One `help:` line per line of the help text (a diagnostic may suggest two fixes).
        if let Some(h) = &d.help {
            notes.extend(h.lines().map(|line| format!("help: {line}")));
        }
        let diag = if d.is_warning() {
            CsDiagnostic::warning()
        } else {
            CsDiagnostic::error()
        };
        let diag = diag
            .with_code(d.code)
            .with_message(&d.message)
            .with_labels(labels)
            .with_notes(notes);
        let _ = term::emit(&mut writer.lock(), &config, &table, &diag);
    }
}

pub fn location(path: &str, source: &str, lines: &LineIndex, span: Span) -> String {
    let (line, col) = lines.line_col(source, span.start);
    format!("{path}:{line}:{col}")
}

/// An error `stark` itself reports with no place in a program (a file it cannot read, an
/// argument it cannot pass): `error: TEXT`, or one JSON object.
pub fn error(text: &str) {
    if crate::json::enabled() {
        crate::json::emit(&crate::json::message("error", text));
    } else {
        eprintln!("error: {text}");
    }
}

/// Prints a runtime error on stderr, as text or as one JSON object.
pub fn runtime_error(files: &[SourceFile], err: &stark_vm::RuntimeError) {
    if crate::json::enabled() {
        crate::json::emit(&crate::json::runtime_error(files, err));
    } else {
        eprint!("{}", runtime_error_text(files, err));
    }
}

/// `runtime error: …`, the place with the source line and carets, and the STARK stack
/// trace (its two ends when it is long).
pub fn runtime_error_text(files: &[SourceFile], err: &stark_vm::RuntimeError) -> String {
    // A failure of the run as a whole (its output could not be written) has no place in
    // the program to point at.
    if (err.trace.is_empty() && err.span == Default::default()) || files.is_empty() {
        return format!("runtime error: {}\n", err.message);
    }
    // Each file's line index is built once, when a frame first points into it.
    let mut indexes: Vec<Option<LineIndex>> = files.iter().map(|_| None).collect();
    let mut locate = |span: Span| {
        let i = file_of(files, span);
        let f = &files[i];
        let lines = indexes[i].get_or_insert_with(|| LineIndex::new(&f.text));
        location(&f.name, &f.text, lines, span)
    };
    let mut out = format!(
        "runtime error: {}\n  --> {}\n",
        err.message,
        locate(err.span)
    );
    let source = files[file_of(files, err.span)].text.as_str();
    let lines = LineIndex::new(source);
    let range = clamp(err.span, source);
    let (line, col) = lines.line_col(source, err.span.start);
    if let Some(text) = source.lines().nth(line - 1) {
        let width = source[range]
            .chars()
            .take_while(|c| *c != '\n')
            .count()
            .max(1);
        out.push_str(&format!(
            "   |\n{line:>3} | {text}\n   | {}{}\n",
            " ".repeat(col - 1),
            "^".repeat(width)
        ));
    }
    out.push_str("stack trace (most recent call first):\n");
    // A stack overflow carries thousands of frames: show the two ends.
    let (head, tail) = (10, 5);
    for (i, frame) in err.trace.iter().enumerate() {
        if err.trace.len() > head + tail + 1 && i >= head && i < err.trace.len() - tail {
            if i == head {
                out.push_str(&format!(
                    "  ... {} more frames ...\n",
                    err.trace.len() - head - tail
                ));
            }
            continue;
        }
        out.push_str(&format!(
            "  at {} ({})\n",
            frame.function,
            locate(frame.span)
        ));
    }
    out
}
