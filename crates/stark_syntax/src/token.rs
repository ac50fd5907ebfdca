//! Tokens produced by the lexer, including the layout tokens (`Newline`, `Indent`, `Dedent`)
//! that turn indentation into explicit block structure.

use crate::span::Span;

/// One piece of an f-string as the lexer sees it. A hole is its `Expr`, then its `Conv`
/// and its `Spec` or `NestedSpec` when written; `{x=}` is the literal text `x=` before the
/// hole (and `!r` unless a conversion or a spec was written, as in Python).
#[derive(Clone, Debug, PartialEq)]
pub enum FStrPiece {
    /// Literal text with escapes (and `{{` / `}}`) already decoded.
    Lit(String),
    /// The absolute source range of an embedded expression, between (not including) the
    /// braces. The parser lexes and parses this range on its own.
    Expr(Span),
    /// The conversion of the hole just before (`!r`, `!s`, `!a`).
    Conv(crate::format_spec::Conversion),
    /// The format spec of the hole just before (`{x:.2f}`: the span of `.2f`), parsed; a
    /// bad spec was reported (E0010) and left out.
    Spec(Box<crate::format_spec::FormatSpec>, Span),
    /// A format spec with nested fields (`{x:>{w}.{p}f}`), built when the f-string runs;
    /// the span and the text are the whole spec's, as written.
    NestedSpec {
        pieces: Vec<SpecPiece>,
        span: Span,
        text: String,
    },
}

/// A piece of a spec with nested fields.
#[derive(Clone, Debug, PartialEq)]
pub enum SpecPiece {
    Lit(String),
    /// `{w}`, `{w!r}`, `{w:>3}`: the expression's range, its conversion and its own spec
    /// (which cannot nest further, as in Python).
    Field {
        expr: Span,
        conv: Option<crate::format_spec::Conversion>,
        spec: Option<(Box<crate::format_spec::FormatSpec>, Span)>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    // Literals and names.
    Int(i64),
    Float(f64),
    /// Escapes already decoded.
    Str(String),
    FStr(Vec<FStrPiece>),
    Ident(String),

    // Keywords.
    Fn,
    Struct,
    Let,
    Mutable,
    Mut,
    Immutable,
    Const,
    Return,
    If,
    Elif,
    Else,
    While,
    For,
    In,
    Break,
    Continue,
    And,
    Or,
    Not,
    True,
    False,
    None,
    Arena,
    Spawn,
    With,
    Pass,

    // Operators and punctuation.
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    StarStar,
    At,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    PlusEq,
    MinusEq,
    StarEq,
    SlashEq,
    PercentEq,
    Arrow,
    FatArrow,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    Dot,
    Question,
    Amp,
    /// `|`, between the alternatives of a `case` pattern.
    Pipe,

    // Layout.
    Newline,
    Indent,
    Dedent,
    Eof,
}

/// The reserved words: each is a token of its own (`TokenKind::keyword`), never a name.
/// Editors' grammars are checked against this list (`editors/vscode`).
pub const KEYWORDS: &[&str] = &[
    "fn",
    "struct",
    "let",
    "mutable",
    "mut",
    "immutable",
    "const",
    "return",
    "if",
    "elif",
    "else",
    "while",
    "for",
    "in",
    "break",
    "continue",
    "and",
    "or",
    "not",
    "true",
    "false",
    "None",
    "arena",
    "spawn",
    "with",
    "pass",
];

/// Words the parser reads as keywords only where an item or statement they start may
/// stand (`enum Name:`, `match x:`, `case …:`, `import m`, `from m import x as y`);
/// elsewhere they are ordinary names.
pub const SOFT_KEYWORDS: &[&str] = &["enum", "match", "case", "import", "from", "as"];

impl TokenKind {
    /// The keyword spelled `word`, if it is one (one of [`KEYWORDS`]).
    pub fn keyword(word: &str) -> Option<TokenKind> {
        use TokenKind::*;
        Some(match word {
            "fn" => Fn,
            "struct" => Struct,
            "let" => Let,
            "mutable" => Mutable,
            "mut" => Mut,
            "immutable" => Immutable,
            "const" => Const,
            "return" => Return,
            "if" => If,
            "elif" => Elif,
            "else" => Else,
            "while" => While,
            "for" => For,
            "in" => In,
            "break" => Break,
            "continue" => Continue,
            "and" => And,
            "or" => Or,
            "not" => Not,
            "true" => True,
            "false" => False,
            "None" => None,
            "arena" => Arena,
            "spawn" => Spawn,
            "with" => With,
            "pass" => Pass,
            _ => return Option::None,
        })
    }

    /// How the token is named in "expected …, found …" messages.
    pub fn describe(&self) -> String {
        use TokenKind::*;
        let fixed = match self {
            Int(v) => return format!("integer `{v}`"),
            Float(v) => return format!("float `{v}`"),
            Str(_) => "string literal",
            FStr(_) => "f-string",
            Ident(name) => return format!("`{name}`"),
            Newline => "newline",
            Indent => "indent",
            Dedent => "dedent",
            Eof => "end of file",
            other => return format!("`{}`", other.symbol()),
        };
        fixed.to_string()
    }

    /// The spelling of a keyword or punctuation token (empty for the others).
    pub fn symbol(&self) -> &'static str {
        use TokenKind::*;
        match self {
            Fn => "fn",
            Struct => "struct",
            Let => "let",
            Mutable => "mutable",
            Mut => "mut",
            Immutable => "immutable",
            Const => "const",
            Return => "return",
            If => "if",
            Elif => "elif",
            Else => "else",
            While => "while",
            For => "for",
            In => "in",
            Break => "break",
            Continue => "continue",
            And => "and",
            Or => "or",
            Not => "not",
            True => "true",
            False => "false",
            None => "None",
            Arena => "arena",
            Spawn => "spawn",
            With => "with",
            Pass => "pass",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Percent => "%",
            StarStar => "**",
            At => "@",
            EqEq => "==",
            NotEq => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Eq => "=",
            PlusEq => "+=",
            MinusEq => "-=",
            StarEq => "*=",
            SlashEq => "/=",
            PercentEq => "%=",
            Arrow => "->",
            FatArrow => "=>",
            LParen => "(",
            RParen => ")",
            LBracket => "[",
            RBracket => "]",
            LBrace => "{",
            RBrace => "}",
            Comma => ",",
            Colon => ":",
            Dot => ".",
            Question => "?",
            Amp => "&",
            Pipe => "|",
            Int(_) | Float(_) | Str(_) | FStr(_) | Ident(_) | Newline | Indent | Dedent | Eof => "",
        }
    }

    /// Layout tokens carry no text; spans of statements end at the last non-layout token.
    pub fn is_layout(&self) -> bool {
        matches!(
            self,
            TokenKind::Newline | TokenKind::Indent | TokenKind::Dedent | TokenKind::Eof
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

#[cfg(test)]
mod keyword_tests {
    use super::{TokenKind, KEYWORDS, SOFT_KEYWORDS};

    #[test]
    fn the_keyword_list_is_the_lexers() {
        for word in KEYWORDS {
            let kind = TokenKind::keyword(word).unwrap_or_else(|| panic!("{word} is no keyword"));
            assert_eq!(kind.symbol(), *word);
        }
        for word in SOFT_KEYWORDS {
            assert!(
                TokenKind::keyword(word).is_none(),
                "{word} is a reserved word"
            );
        }
    }
}
