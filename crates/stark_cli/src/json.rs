//! `--message-format=json` (SPEC §10): each diagnostic and each runtime error as one JSON
//! object a line on stderr, where the text would have gone, so that editors and CI tools
//! read positions instead of parsing rustc-shaped text. The program's own output stays
//! on stdout, untouched.

use crate::render::SourceFile;
use serde_json::{json, Value};
use stark_syntax::{Diagnostic, LineIndex, Span};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once, from the command line, before anything is reported.
static ON: AtomicBool = AtomicBool::new(false);

pub fn enable() {
    ON.store(true, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Where a span is, as the text output prints it: the file as the user named it, and
/// 1-based lines and columns (in characters) of its start and end.
struct Locator<'a> {
    files: &'a [SourceFile],
    /// Built when a span first points into a file.
    indexes: Vec<Option<LineIndex>>,
}

impl<'a> Locator<'a> {
    fn new(files: &'a [SourceFile]) -> Self {
        Locator {
            files,
            indexes: files.iter().map(|_| None).collect(),
        }
    }

    /// `file`, `line`, `column` and `end` of `span`, as JSON fields; none for a program
    /// with no files (cannot happen once something was read).
    fn place(&mut self, span: Span) -> serde_json::Map<String, Value> {
        let mut out = serde_json::Map::new();
        if self.files.is_empty() {
            return out;
        }
        let i = crate::render::file_of(self.files, span);
        let f = &self.files[i];
        let index = self.indexes[i].get_or_insert_with(|| LineIndex::new(&f.text));
        let (line, column) = index.line_col(&f.text, span.start);
        let (end_line, end_column) = index.line_col(&f.text, span.end.max(span.start));
        out.insert("file".into(), json!(f.name));
        out.insert("line".into(), json!(line));
        out.insert("column".into(), json!(column));
        out.insert(
            "end".into(),
            json!({"line": end_line, "column": end_column}),
        );
        out
    }
}

/// One compile-time diagnostic: `type`, `level`, `code`, `message`, its place, `labels`
/// (the primary first, each with its place and message), `help` (or null) and `notes`.
pub fn diagnostic(files: &[SourceFile], d: &Diagnostic) -> Value {
    let mut at = Locator::new(files);
    let mut labels = Vec::new();
    for (label, primary) in
        std::iter::once((&d.primary, true)).chain(d.secondary.iter().map(|l| (l, false)))
    {
        let mut l = at.place(label.span);
        l.insert("message".into(), json!(label.message));
        l.insert("primary".into(), json!(primary));
        labels.push(Value::Object(l));
    }
    let mut out = serde_json::Map::new();
    out.insert("type".into(), json!("diagnostic"));
    out.insert(
        "level".into(),
        json!(if d.is_warning() { "warning" } else { "error" }),
    );
    out.insert("code".into(), json!(d.code));
    out.insert("message".into(), json!(d.message));
    out.extend(at.place(d.primary.span));
    out.insert("labels".into(), Value::Array(labels));
    out.insert("help".into(), json!(d.help));
    out.insert("notes".into(), json!(d.notes));
    Value::Object(out)
}

/// A runtime error: the same fields as a diagnostic (`code` null, no labels) and its STARK
/// stack trace, most recent call first, each frame with its function and place.
pub fn runtime_error(files: &[SourceFile], err: &stark_vm::RuntimeError) -> Value {
    let mut at = Locator::new(files);
    let located = !(err.trace.is_empty() && err.span == Span::default());
    let mut out = serde_json::Map::new();
    out.insert("type".into(), json!("runtime_error"));
    out.insert("level".into(), json!("error"));
    out.insert("code".into(), Value::Null);
    out.insert("message".into(), json!(err.message));
    if located {
        out.extend(at.place(err.span));
    }
    out.insert("labels".into(), json!([]));
    out.insert("help".into(), Value::Null);
    let trace: Vec<Value> = err
        .trace
        .iter()
        .map(|frame| {
            let mut f = at.place(frame.span);
            f.insert("function".into(), json!(frame.function));
            Value::Object(f)
        })
        .collect();
    out.insert("trace".into(), Value::Array(trace));
    Value::Object(out)
}

/// A failure with no place in any file (`cannot read`, a bad argument): still one object.
pub fn message(level: &str, text: &str) -> Value {
    json!({"type": "diagnostic", "level": level, "code": null, "message": text,
           "labels": [], "help": null, "notes": []})
}

/// One object, one line, on stderr.
pub fn emit(v: &Value) {
    eprintln!("{v}");
}
