//! The one diagnostic type every compiler stage reports with; the CLI renders it.

use crate::span::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// Whether a diagnostic stops compilation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Severity {
    #[default]
    Error,
    /// Printed (`warning[W0xxx]`) but never changes the exit status.
    Warning,
}

/// A compile-time error in rustc's shape: `error[CODE]: message`, a primary span with an
/// optional label, secondary labelled spans, and an optional `help:` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    /// Rendered as one `help:` line per line of the text.
    pub help: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    /// A warning: rendered like an error as `warning[CODE]`, but compilation goes on.
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, span)
        }
    }

    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }

    /// Marks every span of the diagnostic as being in `file` (the lexer's spans start in
    /// file 0).
    pub fn set_file(&mut self, file: crate::span::FileId) {
        self.primary.span.file = file;
        for l in &mut self.secondary {
            l.span.file = file;
        }
    }

    /// Sets the label printed under the primary carets.
    pub fn label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }
}

/// Every diagnostic code the compiler emits, with a one-line meaning. Kept in one place so
/// that `docs/diagnostics.md` and the UI tests can be checked against it.
pub mod codes {
    // Syntax (lexer and parser).
    pub const SYNTAX: &str = "E0001"; // unexpected token / expected something else
    pub const TAB_INDENT: &str = "E0002"; // a tab character in indentation
    pub const BAD_DEDENT: &str = "E0003"; // unindent does not match any outer level
    pub const UNTERMINATED: &str = "E0004"; // unterminated string, f-string or block comment
    pub const BAD_CHAR: &str = "E0005"; // a character that starts no token
    pub const INT_TOO_LARGE: &str = "E0006"; // integer literal does not fit in i64
    pub const TOO_DEEP: &str = "E0007"; // expression or block nesting too deep
    pub const BAD_ESCAPE: &str = "E0008"; // unknown escape sequence in a string
    pub const BAD_UTF8: &str = "E0009"; // source is not valid UTF-8
    pub const BAD_FORMAT_SPEC: &str = "E0010"; // bad f-string format spec, or not for this type

    // Names and types.
    pub const ARG_COUNT: &str = "E0061"; // wrong number of arguments
    pub const MISSING_FIELD: &str = "E0063"; // struct construction misses a field
    pub const NON_EXHAUSTIVE: &str = "E0030"; // a match can miss a value of its subject
    pub const BAD_TRY: &str = "E0033"; // `?` where the function's return type cannot take it
    pub const MISSING_RETURN: &str = "E0069"; // function may end without returning a value
    pub const BAD_ASSIGN_TARGET: &str = "E0070"; // left side of `=` is not assignable
    pub const BREAK_OUTSIDE_LOOP: &str = "E0268"; // break/continue outside a loop
    pub const NOT_OPTIONAL: &str = "E0277"; // non-optional value compared with None
    pub const CANNOT_INFER: &str = "E0282"; // type annotations needed
    pub const MISMATCH: &str = "E0308"; // mismatched types
    pub const BAD_BINARY: &str = "E0369"; // operator not defined for these types
    pub const UNKNOWN_TYPE: &str = "E0412"; // unknown type name
    pub const UNKNOWN_NAME: &str = "E0425"; // unknown variable or function
    pub const DUPLICATE: &str = "E0428"; // name defined twice
    pub const UNKNOWN_FIELD: &str = "E0609"; // no such field
    pub const UNKNOWN_METHOD: &str = "E0599"; // no such method
    pub const BAD_UNARY: &str = "E0600"; // unary operator not defined for this type
    pub const NO_MAIN: &str = "E0601"; // no `fn main()`
    pub const BAD_ARG_NAME: &str = "E0560"; // unknown keyword argument or field name
    pub const NOT_CONST: &str = "E0015"; // const initialiser is not a constant expression

    // Modules (SPEC §7).
    pub const IMPORT_CYCLE: &str = "E0391"; // modules import each other in a cycle
    pub const UNRESOLVED_IMPORT: &str = "E0432"; // unknown module, or name not in it
    pub const PRIVATE: &str = "E0603"; // a `_name` of another file

    // Ownership (M1, M4, M10, M11).
    pub const MOVED: &str = "E0382"; // use of moved value
    pub const ASSIGN_IMMUTABLE: &str = "E0384"; // assign twice to immutable binding
    pub const ALIAS_MUT: &str = "E0499"; // value passed as &mutable and as another argument
    pub const BORROW_ESCAPE: &str = "E0505"; // borrowed value cannot escape
    pub const MUTATE_IMMUTABLE: &str = "E0596"; // mutation through an immutable binding
    pub const ARENA_ESCAPE: &str = "E0713"; // value allocated in arena escapes it

    // Warnings: printed, never a change of the exit status.
    pub const FLOOR_DIV_COMMENT: &str = "W0101"; // `//` after an operand starts a comment
    pub const UNREACHABLE_PATTERN: &str = "W0102"; // a case arm that can never match
}
