//! STARK's front end: spans, diagnostics, the lexer (with indentation), and the
//! recursive-descent parser that builds the AST.

pub mod ast;
pub mod data_op;
pub mod diagnostic;
pub mod lexer;
pub mod parser;
pub mod span;
pub mod token;

pub use data_op::DataOp;
pub use diagnostic::{codes, Diagnostic, Label};
pub use span::Span;

/// Parses a whole file. Always returns a program (possibly partial, with `ExprKind::Error`
/// placeholders) together with every diagnostic found, so one file with three mistakes
/// reports three errors.
pub fn parse(source: &str) -> (ast::Program, Vec<Diagnostic>) {
    let (tokens, mut diags) = lexer::lex(source);
    let (program, parse_diags) = parser::parse_tokens(source, &tokens);
    diags.extend(parse_diags);
    (program, diags)
}
