//! Rendering of compile-time diagnostics (rustc's shape, via codespan-reporting) and of
//! runtime errors with their STARK stack trace.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel};
use codespan_reporting::files::SimpleFile;
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

pub fn diagnostics(path: &str, source: &str, diags: &[Diagnostic]) {
    let file = SimpleFile::new(path, source);
    let writer = StandardStream::stderr(color());
    let config = Config::default();
    for d in diags {
        let mut labels =
            vec![CsLabel::primary((), clamp(d.primary.span, source))
                .with_message(&d.primary.message)];
        for s in &d.secondary {
            labels.push(CsLabel::secondary((), clamp(s.span, source)).with_message(&s.message));
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
        let _ = term::emit(&mut writer.lock(), &config, &file, &diag);
    }
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

pub fn location(path: &str, source: &str, lines: &LineIndex, span: Span) -> String {
    let (line, col) = lines.line_col(source, span.start);
    format!("{path}:{line}:{col}")
}

pub fn runtime_error(path: &str, source: &str, err: &stark_vm::RuntimeError) {
    // A failure of the run as a whole (its output could not be written) has no place in
    // the program to point at.
    if err.trace.is_empty() && err.span == Default::default() {
        eprintln!("runtime error: {}", err.message);
        return;
    }
    let lines = LineIndex::new(source);
    let mut out = format!(
        "runtime error: {}\n  --> {}\n",
        err.message,
        location(path, source, &lines, err.span)
    );
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
            location(path, source, &lines, frame.span)
        ));
    }
    eprint!("{out}");
}
