//! Lexer: layout tokens, literals, operators and lexical errors.

use stark_syntax::codes;
use stark_syntax::lexer::lex;
use stark_syntax::token::{FStrPiece, TokenKind, TokenKind::*};

fn kinds(src: &str) -> Vec<TokenKind> {
    let (tokens, diags) = lex(src);
    assert!(
        diags.is_empty(),
        "unexpected diagnostics for {src:?}: {diags:#?}"
    );
    tokens.into_iter().map(|t| t.kind).collect()
}

fn diag_codes(src: &str) -> Vec<&'static str> {
    lex(src).1.iter().map(|d| d.code).collect()
}

fn id(name: &str) -> TokenKind {
    Ident(name.to_string())
}

#[test]
fn nested_blocks_and_multi_level_dedent() {
    let src = "fn f():\n    if a:\n        b\n    c\nd\n";
    assert_eq!(
        kinds(src),
        vec![
            Fn,
            id("f"),
            LParen,
            RParen,
            Colon,
            Newline,
            Indent,
            If,
            id("a"),
            Colon,
            Newline,
            Indent,
            id("b"),
            Newline,
            Dedent,
            id("c"),
            Newline,
            Dedent,
            id("d"),
            Newline,
            Eof,
        ]
    );
    // Dedent by two levels at once, and the remaining dedents at end of file.
    let src = "a:\n  b:\n    c\nd:\n  e";
    assert_eq!(
        kinds(src),
        vec![
            id("a"),
            Colon,
            Newline,
            Indent,
            id("b"),
            Colon,
            Newline,
            Indent,
            id("c"),
            Newline,
            Dedent,
            Dedent,
            id("d"),
            Colon,
            Newline,
            Indent,
            id("e"),
            Newline,
            Dedent,
            Eof,
        ]
    );
}

#[test]
fn blank_and_comment_lines_do_not_affect_layout() {
    let src = "a:\n\n    b\n  // comment at another column\n\n        \n    /* block\n  comment */\n    c\n";
    assert_eq!(
        kinds(src),
        vec![
            id("a"),
            Colon,
            Newline,
            Indent,
            id("b"),
            Newline,
            id("c"),
            Newline,
            Dedent,
            Eof
        ]
    );
    assert_eq!(kinds("// only a comment\n"), vec![Eof]);
    assert_eq!(kinds(""), vec![Eof]);
    assert_eq!(kinds("x // trailing\n"), vec![id("x"), Newline, Eof]);
}

#[test]
fn newlines_inside_brackets_are_ignored() {
    let src = "f(1,\n      2,\n  [3,\n4], {\n5: 6})\ny\n";
    assert_eq!(
        kinds(src),
        vec![
            id("f"),
            LParen,
            Int(1),
            Comma,
            Int(2),
            Comma,
            LBracket,
            Int(3),
            Comma,
            Int(4),
            RBracket,
            Comma,
            LBrace,
            Int(5),
            Colon,
            Int(6),
            RBrace,
            RParen,
            Newline,
            id("y"),
            Newline,
            Eof,
        ]
    );
    // A stray closer does not make the depth negative: the next newline still counts.
    assert_eq!(
        kinds(")\nx\n"),
        vec![RParen, Newline, id("x"), Newline, Eof]
    );
}

#[test]
fn unclosed_bracket_gives_up_at_a_statement_keyword() {
    let kinds = kinds("f(1,\nlet x = 2\n");
    assert_eq!(
        kinds,
        vec![
            id("f"),
            LParen,
            Int(1),
            Comma,
            Newline,
            Let,
            id("x"),
            Eq,
            Int(2),
            Newline,
            Eof
        ]
    );
}

#[test]
fn crlf_and_lone_cr() {
    assert_eq!(
        kinds("a:\r\n    b\r\nc\r\n"),
        vec![
            id("a"),
            Colon,
            Newline,
            Indent,
            id("b"),
            Newline,
            Dedent,
            id("c"),
            Newline,
            Eof
        ]
    );
    assert_eq!(kinds("a\rb"), vec![id("a"), id("b"), Newline, Eof]);
}

#[test]
fn tab_in_indentation_reported_once_per_line() {
    let (tokens, diags) = lex("a:\n\t\tb\n\t \tc\n");
    assert_eq!(
        diags.iter().map(|d| d.code).collect::<Vec<_>>(),
        vec![codes::TAB_INDENT; 2]
    );
    assert_eq!(diags[0].primary.span.start, 3);
    // Tokens keep flowing: b and c are both lexed.
    assert!(tokens.iter().any(|t| t.kind == id("b")));
    assert!(tokens.iter().any(|t| t.kind == id("c")));
    // A tab between tokens is fine.
    assert!(lex("a\t= 1\n").1.is_empty());
}

#[test]
fn bad_dedent() {
    let (tokens, diags) = lex("a:\n    b\n  c\nd\n");
    assert_eq!(
        diags.iter().map(|d| d.code).collect::<Vec<_>>(),
        vec![codes::BAD_DEDENT]
    );
    let indents = tokens.iter().filter(|t| t.kind == Indent).count();
    let dedents = tokens.iter().filter(|t| t.kind == Dedent).count();
    assert_eq!(indents, dedents, "layout stays balanced: {tokens:?}");
}

#[test]
fn integers() {
    assert_eq!(
        kinds("42 1_000_000 0xff 0XFF 0xdead_beef 0"),
        vec![
            Int(42),
            Int(1_000_000),
            Int(255),
            Int(255),
            Int(0xdead_beef),
            Int(0),
            Newline,
            Eof
        ]
    );
    assert_eq!(
        kinds("9223372036854775807"),
        vec![Int(i64::MAX), Newline, Eof]
    );
}

#[test]
fn huge_integer_is_e0006() {
    let (tokens, diags) = lex("99999999999999999999 + 0xffffffffffffffff");
    assert_eq!(
        diags.iter().map(|d| d.code).collect::<Vec<_>>(),
        vec![codes::INT_TOO_LARGE; 2]
    );
    assert_eq!(diags[0].primary.span.range(), 0..20);
    assert_eq!(tokens[0].kind, Int(0));
    assert_eq!(diag_codes("0x"), vec![codes::SYNTAX]);
}

#[test]
#[allow(clippy::approx_constant)] // 3.14 is the spec's example literal
fn floats() {
    assert_eq!(
        kinds("3.14 1e-3 2.5E+10 1_000.5 7e2"),
        vec![
            Float(3.14),
            Float(1e-3),
            Float(2.5e10),
            Float(1000.5),
            Float(700.0),
            Newline,
            Eof
        ]
    );
    // `3.` followed by a non-digit is an Int and a Dot.
    assert_eq!(kinds("3.foo"), vec![Int(3), Dot, id("foo"), Newline, Eof]);
    assert_eq!(kinds("x.0"), vec![id("x"), Dot, Int(0), Newline, Eof]);
}

#[test]
fn strings_and_escapes() {
    assert_eq!(
        kinds(r#""text\n" "a\tb\r\\\"\0\{\}" "\u{48}\u{1F600}" "é""#),
        vec![
            Str("text\n".into()),
            Str("a\tb\r\\\"\0{}".into()),
            Str("H\u{1F600}".into()),
            Str("é".into()),
            Newline,
            Eof
        ]
    );
    assert_eq!(diag_codes(r#""\q""#), vec![codes::BAD_ESCAPE]);
    assert_eq!(diag_codes(r#""\u{110000}""#), vec![codes::BAD_ESCAPE]);
    assert_eq!(diag_codes(r#""\u{}" "\u41""#), vec![codes::BAD_ESCAPE; 2]);
    assert_eq!(diag_codes("\"abc\nx\n"), vec![codes::UNTERMINATED]);
    assert_eq!(diag_codes("\"abc"), vec![codes::UNTERMINATED]);
    assert_eq!(diag_codes("\"abc\\"), vec![codes::UNTERMINATED]);
}

#[test]
fn fstrings() {
    let src = r#"f"x = {x}, sum = {a + b}{{lit}}\n""#;
    let (tokens, diags) = lex(src);
    assert!(diags.is_empty(), "{diags:#?}");
    let TokenKind::FStr(pieces) = &tokens[0].kind else {
        panic!("{tokens:?}")
    };
    let x_start = src.find("{x}").unwrap() + 1;
    let ab_start = src.find("a + b").unwrap();
    assert_eq!(
        pieces,
        &vec![
            FStrPiece::Lit("x = ".into()),
            FStrPiece::Expr(stark_syntax::Span::new(x_start, x_start + 1)),
            FStrPiece::Lit(", sum = ".into()),
            FStrPiece::Expr(stark_syntax::Span::new(ab_start, ab_start + 5)),
            FStrPiece::Lit("{lit}\n".into()),
        ]
    );
    assert_eq!(tokens[0].span.range(), 0..src.len());
    // A map literal inside a hole: braces nest.
    let (tokens, diags) = lex(r#"f"{ {1: 2}[1] }""#);
    assert!(diags.is_empty());
    let TokenKind::FStr(pieces) = &tokens[0].kind else {
        panic!()
    };
    assert_eq!(pieces.len(), 1);
    // `f` alone is still an identifier.
    assert_eq!(
        kinds("f(x)"),
        vec![id("f"), LParen, id("x"), RParen, Newline, Eof]
    );
}

#[test]
fn fstring_conversions_debug_and_nested_specs() {
    use stark_syntax::token::SpecPiece;
    use stark_syntax::Conversion;
    let pieces = |src: &str| {
        let (tokens, diags) = lex(src);
        assert!(diags.is_empty(), "{src}: {diags:#?}");
        let TokenKind::FStr(pieces) = &tokens[0].kind else {
            panic!("{tokens:?}")
        };
        pieces.clone()
    };
    let span = |src: &str, part: &str| {
        let at = src.find(part).unwrap();
        stark_syntax::Span::new(at, at + part.len())
    };
    let src = r#"f"{s!r}{x = }{y=:.2f}""#;
    let p = pieces(src);
    assert_eq!(p[0], FStrPiece::Expr(span(src, "s")));
    assert_eq!(p[1], FStrPiece::Conv(Conversion::Repr));
    // `{x = }` shows its text, then the value's repr; with a spec, its str.
    assert_eq!(p[2], FStrPiece::Lit("x = ".into()));
    assert_eq!(p[3], FStrPiece::Expr(span(src, "x ")));
    assert_eq!(p[4], FStrPiece::Conv(Conversion::Repr));
    assert_eq!(p[5], FStrPiece::Lit("y=".into()));
    assert!(matches!(p[7], FStrPiece::Spec(..)), "{p:?}");
    assert_eq!(p.len(), 8);
    // `!=`, `==`, `<=` and `>=` stay in the expression.
    let src = r#"f"{a != b}{a <= b:>5}""#;
    let p = pieces(src);
    assert_eq!(p[0], FStrPiece::Expr(span(src, "a != b")));
    assert_eq!(p[1], FStrPiece::Expr(span(src, "a <= b")));
    let src = r#"f"{x:>{w}.{p!s}f}""#;
    let FStrPiece::NestedSpec {
        pieces: nested,
        text,
        ..
    } = &pieces(src)[1]
    else {
        panic!()
    };
    assert_eq!(text, ">{w}.{p!s}f");
    assert_eq!(
        nested,
        &vec![
            SpecPiece::Lit(">".into()),
            SpecPiece::Field {
                expr: span(src, "w"),
                conv: Option::None,
                spec: Option::None
            },
            SpecPiece::Lit(".".into()),
            SpecPiece::Field {
                expr: span(src, "p"),
                conv: Some(Conversion::Str),
                spec: Option::None
            },
            SpecPiece::Lit("f".into()),
        ]
    );
}

#[test]
fn fstring_errors() {
    assert_eq!(diag_codes(r#"f"{x""#), vec![codes::UNTERMINATED]);
    assert_eq!(diag_codes("f\"abc\n"), vec![codes::UNTERMINATED]);
    assert_eq!(diag_codes(r#"f"a } b""#), vec![codes::SYNTAX]);
    assert_eq!(diag_codes(r#"f"{x!q}""#), vec![codes::SYNTAX]);
    assert_eq!(diag_codes(r#"f"{x!r }""#), vec![codes::SYNTAX]);
    assert_eq!(
        diag_codes(r#"f"{x:{w:{v}}}""#),
        vec![codes::BAD_FORMAT_SPEC]
    );
    assert_eq!(diag_codes(r#"f"{x:{w""#), vec![codes::UNTERMINATED]);
    assert_eq!(diag_codes(r#"f"{x:>{w}" + s"#), vec![codes::UNTERMINATED]);
}

#[test]
fn keywords() {
    assert_eq!(
        kinds("fn struct let mutable mut immutable const return if elif else while for in break continue and or not true false None arena spawn with pass"),
        vec![
            Fn, Struct, Let, Mutable, Mut, Immutable, Const, Return, If, Elif, Else, While, For,
            In, Break, Continue, And, Or, Not, True, False, None, Arena, Spawn, With, Pass,
            Newline, Eof
        ]
    );
    assert_eq!(
        kinds("self none _x ünï"),
        vec![id("self"), id("none"), id("_x"), id("ünï"), Newline, Eof]
    );
}

#[test]
fn operators() {
    assert_eq!(
        kinds("+ - * / % ** @ == != < <= > >= = += -= *= /= %= -> ( ) [ ] { } , : . ? &"),
        vec![
            Plus, Minus, Star, Slash, Percent, StarStar, At, EqEq, NotEq, Lt, Le, Gt, Ge, Eq,
            PlusEq, MinusEq, StarEq, SlashEq, PercentEq, Arrow, LParen, RParen, LBracket, RBracket,
            LBrace, RBrace, Comma, Colon, Dot, Question, Amp, Newline, Eof
        ]
    );
    // `>>` is two tokens so nested generics close.
    assert_eq!(
        kinds("List<Int>>"),
        vec![id("List"), Lt, id("Int"), Gt, Gt, Newline, Eof]
    );
}

#[test]
fn bad_characters_are_skipped() {
    let (tokens, diags) = lex("a $ b\n#!~ c\0d");
    assert_eq!(
        diags.iter().map(|d| d.code).collect::<Vec<_>>(),
        vec![codes::BAD_CHAR; 3]
    );
    let names: Vec<_> = tokens
        .iter()
        .filter(|t| matches!(t.kind, Ident(_)))
        .collect();
    assert_eq!(names.len(), 4);
}

#[test]
fn block_comments() {
    assert_eq!(
        kinds("a /* x\ny */ b"),
        vec![id("a"), id("b"), Newline, Eof]
    );
    assert_eq!(diag_codes("a /* never closed"), vec![codes::UNTERMINATED]);
}

#[test]
fn spans_are_byte_offsets() {
    let (tokens, _) = lex("é = \"ü\"");
    assert_eq!(tokens[0].span.range(), 0..2);
    assert_eq!(tokens[1].span.range(), 3..4);
    assert_eq!(tokens[2].span.range(), 5..9);
}

#[test]
fn comments_are_kept_beside_the_tokens() {
    // The parser never sees a comment; a formatter needs every one, in order.
    let src = "// head\nfn main(): /* inline */\n    print(1) // tail\n/* open";
    let lexed = stark_syntax::lexer::lex_file(src, stark_syntax::FileId(3));
    let texts: Vec<&str> = lexed.comments.iter().map(|s| &src[s.range()]).collect();
    assert_eq!(texts, ["// head", "/* inline */", "// tail"]);
    assert!(lexed
        .comments
        .iter()
        .all(|s| s.file == stark_syntax::FileId(3)));
    // The unterminated one is a diagnostic, in the same file.
    assert_eq!(lexed.diags.len(), 1);
    assert_eq!(lexed.diags[0].primary.span.file, stark_syntax::FileId(3));
    assert!(lexed
        .tokens
        .iter()
        .all(|t| t.span.file == stark_syntax::FileId(3)));
}
