//! STARK's front end: spans, diagnostics, the lexer (with indentation), and the
//! recursive-descent parser that builds the AST.

#![forbid(unsafe_code)]

pub mod ast;
pub mod builtin;
pub mod diagnostic;
pub mod floor_div;
pub mod fmt;
pub mod format_spec;
pub mod lexer;
pub mod parser;
pub mod span;
pub mod token;

pub use builtin::{
    math_constant, Builtin, BuiltinFacts, Recv, Sig, SigDefault, SigParam, SigTy, MATH_CONSTANTS,
};
pub use diagnostic::{codes, Diagnostic, Label, Severity};
pub use format_spec::{
    Align, Conversion, FieldFormat, FieldSpec, FormatSpec, Sign, SpecError, SpecTarget,
};
pub use span::{FileId, LineIndex, Span};

/// Parses a whole file. Always returns a program (possibly partial, with `ExprKind::Error`
/// placeholders) together with every diagnostic found, so one file with three mistakes
/// reports three errors.
pub fn parse(source: &str) -> (ast::Program, Vec<Diagnostic>) {
    parse_file(source, FileId::default())
}

/// [`parse`] for the source of `file`: every span of the program and its diagnostics says
/// which file it is in, and the program keeps the file's comments (for a formatter).
pub fn parse_file(source: &str, file: FileId) -> (ast::Program, Vec<Diagnostic>) {
    parse_file_from(source, file, 0)
}

/// [`parse_file`] numbering expressions from `first_expr`: the files of a program are
/// parsed one by one and joined, and `ExprId`s must stay unique across them.
pub fn parse_file_from(
    source: &str,
    file: FileId,
    first_expr: u32,
) -> (ast::Program, Vec<Diagnostic>) {
    let lexed = lexer::lex_file(source, file);
    let mut diags = lexed.diags;
    let (mut program, parse_diags) = parser::parse_tokens_from(source, &lexed.tokens, first_expr);
    diags.extend(parse_diags);
    program.warnings = floor_div::floor_division_warnings(source, &lexed.tokens, &lexed.comments);
    program.comments = lexed.comments;
    (program, diags)
}
