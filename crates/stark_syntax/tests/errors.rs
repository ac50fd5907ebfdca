//! Error recovery: one diagnostic per broken line, limits, and no panics on garbage.

mod common;

use common::{codes, sexpr};
use stark_syntax::ast::{Item, Stmt, StmtKind};
use stark_syntax::{parse, Span};

/// An expression statement's expression, or a `let`'s `name = value`, as an s-expression.
fn stmt_sexpr(stmt: &Stmt) -> String {
    match &stmt.kind {
        StmtKind::Expr(e) => sexpr(e),
        StmtKind::Let { name, value, .. } => format!("{} = {}", name.name, sexpr(value)),
        StmtKind::LetTuple { value, .. } => format!("(names) = {}", sexpr(value)),
        StmtKind::Assign { target, value, .. } => {
            format!("{} = {}", sexpr(target), sexpr(value))
        }
        StmtKind::Return(Some(e)) => format!("return {}", sexpr(e)),
        other => format!("{other:?}"),
    }
}

/// The statements of `fn main()`, with the diagnostics' codes.
fn main_stmts(src: &str) -> (Vec<Stmt>, Vec<&'static str>) {
    let (program, diags) = parse(src);
    let Some(Item::Fn(f)) = program.items.first() else {
        panic!("no function in {src:?}: {diags:?}")
    };
    assert!(f.broken || diags.is_empty());
    (f.body.stmts.clone(), codes(&diags))
}

#[test]
fn broken_statements_keep_what_was_parsed() {
    let cases = [
        // A `let` with a broken initialiser keeps its binding.
        ("let x = ", "x = <error>"),
        ("let x = 1 +", "x = (+ 1 <error>)"),
        ("mutable x = [1, 2", "x = <error [1 2]>"),
        ("let x: List<Int = 5", "x = <error>"),
        ("let x 5", "x = <error>"),
        // A call with a broken argument keeps the call, with an error argument.
        ("print(1 +, 2)", "(call print (+ 1 <error>) <error>)"),
        ("print(x y)", "(call print x <error>)"),
        ("f(a, g(b, ), c", "(call f a (call g b) c <error>)"),
        (
            "f(a, g(b +), c)",
            "(call f a (call g (+ b <error>) <error>) <error>)",
        ),
        // A field access without its name keeps its base (`p.` asks what can follow).
        ("p.", "<error p>"),
        ("let n = p.items.", "n = <error (. p items)>"),
        // An expression followed by junk is kept, but as an error: not what was meant.
        ("retrun x", "<error retrun>"),
        ("let n = len xs", "n = <error len>"),
        ("x = = 1", "x = <error>"),
        ("return a *", "return (* a <error>)"),
        ("t[]", "<error t>"),
        ("t[1, 2 +", "<error t 1 (+ 2 <error>)>"),
        // Tuples and comprehensions.
        ("let a, b = 1 +", "(names) = (+ 1 <error>)"),
        ("let a, b = ", "(names) = <error>"),
        ("let p = (1, 2", "p = <error 1 2>"),
        ("return a, b +", "return (tuple a (+ b <error>))"),
        ("a, b = b, +", "(tuple a b) = <error b <error>>"),
        (
            "let xs = [y for y in ys if",
            "xs = <error (comp y in ys if <error>)>",
        ),
        // A modifier without `let` still binds, when a binding follows.
        ("mutable x = 1", "x = 1"),
        ("spawn f with quota=1", "<error f>"),
        ("spawn f(1) with quota", "(spawn (call f 1))"),
    ];
    // The next line starts with a keyword: a bracket left open does not join it.
    for (line, want) in cases {
        let src = format!("fn main():\n    {line}\n    pass\n");
        let (stmts, codes) = main_stmts(&src);
        assert_eq!(codes, vec!["E0001"], "{line}");
        assert_eq!(stmts.len(), 2, "{line}: {stmts:#?}");
        assert_eq!(stmt_sexpr(&stmts[0]), want, "{line}");
    }
}

#[test]
fn a_header_without_its_colon_keeps_its_block() {
    let src = "fn main():
    while n > 0
        let a = 1 +
        print(a)
    for x xs:
        print(x)
    if n == 1 print(n)
    elif n == 2:
        pass
    print(2)
";
    let (stmts, codes) = main_stmts(src);
    assert_eq!(codes, vec!["E0001"; 4]);
    assert_eq!(stmts.len(), 4, "{stmts:#?}");
    let StmtKind::While { body, .. } = &stmts[0].kind else {
        panic!("{:#?}", stmts[0])
    };
    assert_eq!(body.stmts.len(), 2);
    assert_eq!(stmt_sexpr(&body.stmts[0]), "a = (+ 1 <error>)");
    let StmtKind::For { iter, body, .. } = &stmts[1].kind else {
        panic!("{:#?}", stmts[1])
    };
    assert_eq!(sexpr(iter), "<error>");
    assert_eq!(body.stmts.len(), 1);
    let StmtKind::If { branches, .. } = &stmts[2].kind else {
        panic!("{:#?}", stmts[2])
    };
    assert_eq!(branches.len(), 2, "the `elif` still continues the `if`");
    assert!(branches[0].1.stmts.is_empty());
}

#[test]
fn one_diagnostic_per_broken_line() {
    for line in [
        "f(1 +) + ]",
        "x = [1, (2 +] ) ]",
        "let = 1 )",
        "if x = = 1: ) (",
    ] {
        let src = format!("fn main():\n    {line}\n    pass\n");
        let (stmts, codes) = main_stmts(&src);
        assert_eq!(codes, vec!["E0001"], "{line}");
        assert!(
            matches!(stmts.last().unwrap().kind, StmtKind::Pass),
            "{line}"
        );
    }
}

#[test]
fn three_broken_statements_three_diagnostics() {
    let src = "fn main():
    let x = 1 +
    if x == 1
        print(x)
    else:
        print(2)
    foo(1, 2
    let y = x
    print(y)
";
    let (program, diags) = parse(src);
    assert_eq!(codes(&diags), vec!["E0001"; 3], "{diags:#?}");
    assert!(
        diags[1]
            .message
            .contains("expected `:` after the if condition"),
        "{}",
        diags[1].message
    );
    let Item::Fn(f) = &program.items[0] else {
        panic!()
    };
    // `let x` is kept with an error placeholder, the `if` without its `:` keeps its block
    // and its `else`, the unclosed call keeps its arguments, and the last two statements
    // survive.
    assert!(matches!(f.body.stmts[0].kind, StmtKind::Let { .. }));
    assert_eq!(f.body.stmts.len(), 5, "{:#?}", f.body.stmts);
    let StmtKind::If {
        branches,
        else_block: Some(else_block),
    } = &f.body.stmts[1].kind
    else {
        panic!("{:#?}", f.body.stmts[1])
    };
    assert_eq!(branches[0].1.stmts.len(), 1);
    assert_eq!(else_block.stmts.len(), 1);
    assert_eq!(stmt_sexpr(&f.body.stmts[2]), "(call foo 1 2 <error>)");
}

#[test]
fn errors_in_separate_functions() {
    let src = "fn a(:\n    pass\nfn b():\n    x = = 1\nstruct S:\n    x Int\n    y: Int\nfn main():\n    pass\n";
    let (program, diags) = parse(src);
    assert_eq!(codes(&diags), vec!["E0001"; 3], "{diags:#?}");
    assert_eq!(program.items.len(), 3);
}

#[test]
fn error_points_at_the_right_place() {
    let src = "fn main():\n    if x\n        pass\n";
    let (_, diags) = parse(src);
    assert_eq!(diags.len(), 1);
    // "expected `:` after this" points at the condition.
    assert_eq!(diags[0].primary.span, Span::new(18, 19));
    let src = "fn main():\n    x = )\n";
    let (_, diags) = parse(src);
    assert_eq!(&src[diags[0].primary.span.range()], ")");
}

#[test]
fn top_level_statements_are_reported() {
    let (_, diags) = parse("print(1)\nlet x = 2\nfn main():\n    pass\n");
    assert_eq!(codes(&diags), vec!["E0001"; 2]);
}

#[test]
fn unexpected_indent_reported_once() {
    let (program, diags) =
        parse("fn main():\n    a = 1\n        b = 2\n        c = 3\n    d = 4\n");
    assert_eq!(codes(&diags), vec!["E0001"]);
    let Item::Fn(f) = &program.items[0] else {
        panic!()
    };
    assert_eq!(f.body.stmts.len(), 4);
}

#[test]
fn missing_block() {
    let (program, diags) = parse("fn main():\n    if x:\n    y = 1\n");
    assert_eq!(codes(&diags), vec!["E0001"]);
    let Item::Fn(f) = &program.items[0] else {
        panic!()
    };
    assert_eq!(f.body.stmts.len(), 2);
}

#[test]
fn orphan_else_after_broken_if_is_not_reported() {
    let (_, diags) = parse("fn main():\n    if x = 1:\n        a\n    elif y:\n        b\n    else:\n        c\n    d\n");
    assert_eq!(codes(&diags), vec!["E0001"]);
    assert_eq!(diags[0].help.as_deref(), Some("use `==` to compare values"));
    let (_, diags) = parse("fn main():\n    else:\n        c\n");
    assert_eq!(codes(&diags), vec!["E0001"]);
}

#[test]
fn lexer_and_parser_errors_combine() {
    let (_, diags) = parse("fn main():\n\tx = 99999999999999999999\n    y = \"abc\n");
    assert_eq!(codes(&diags), vec!["E0002", "E0006", "E0004"]);
}

#[test]
fn deeply_nested_parens_are_e0007() {
    let depth = 10_000;
    let src = format!(
        "fn main():\n    x = {}1{}\n    y = 2\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let (program, diags) = parse(&src);
    assert_eq!(codes(&diags), vec!["E0007"]);
    let Item::Fn(f) = &program.items[0] else {
        panic!()
    };
    assert_eq!(f.body.stmts.len(), 1, "parsing resumes after the deep line");
}

#[test]
fn nesting_just_under_the_limit_is_fine() {
    // Runs on the test harness's 2 MiB thread stack, which the full depth budget must fit.
    let depth = stark_syntax::parser::MAX_DEPTH as usize - 2;
    let src = format!(
        "fn main():\n    x = {}1{}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let (_, diags) = parse(&src);
    assert!(diags.is_empty(), "{diags:?}");
    let src = format!(
        "fn main():\n    x = {}1{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert!(parse(&src).1.is_empty());
}

#[test]
fn long_operator_chains_are_e0007() {
    let src = format!("fn main():\n    x = 1{}\n", "+1".repeat(100_000));
    assert_eq!(codes(&parse(&src).1), vec!["E0007"]);
    let src = format!("fn main():\n    x = a{}\n", ".b".repeat(100_000));
    assert_eq!(codes(&parse(&src).1), vec!["E0007"]);
    let src = format!("fn main():\n    x = {}1\n", "-".repeat(100_000));
    assert_eq!(codes(&parse(&src).1), vec!["E0007"]);
    let src = format!("fn main():\n    x = {}1\n", "not ".repeat(100_000));
    assert_eq!(codes(&parse(&src).1), vec!["E0007"]);
    let src = format!("fn main():\n    x = {}f()\n", "spawn ".repeat(100_000));
    assert_eq!(codes(&parse(&src).1), vec!["E0007"]);
    let src = format!("fn f(x: Int{}):\n    pass\n", "?".repeat(100_000));
    assert_eq!(codes(&parse(&src).1), vec!["E0007"]);
    let src = format!(
        "fn f(x: {}Int{}):\n    pass\n",
        "List<".repeat(10_000),
        ">".repeat(10_000)
    );
    assert_eq!(codes(&parse(&src).1), vec!["E0007"]);
    // A long but shallow chain is fine.
    let src = format!("fn main():\n    x = 1{}\n", "+1".repeat(100));
    assert!(parse(&src).1.is_empty());
}

#[test]
fn deeply_nested_blocks_are_e0007() {
    let mut src = String::from("fn main():\n");
    for level in 1..2_000 {
        src.push_str(&" ".repeat(level));
        src.push_str("if x:\n");
    }
    src.push_str(&" ".repeat(2_000));
    src.push_str("pass\n");
    assert_eq!(codes(&parse(&src).1), vec!["E0007"]);
    // Ever-deeper indentation without headers.
    let mut src = String::from("fn main():\n");
    for level in 1..2_000 {
        src.push_str(&" ".repeat(level));
        src.push_str("x\n");
    }
    let diags = parse(&src).1;
    assert!(diags.iter().any(|d| d.code == "E0007"));
    assert!(diags.len() < 300);
}

#[test]
fn deep_fstring_nesting() {
    let src = format!(
        "fn main():\n    x = f\"{{{}1{}}}\"\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert_eq!(codes(&parse(&src).1), vec!["E0007"]);
}

#[test]
fn unclosed_paren_recovers_at_next_statement() {
    let (program, diags) = parse("fn main():\n    foo(1,\n    let y = 2\n    print(y)\n");
    assert_eq!(codes(&diags), vec!["E0001"]);
    let Item::Fn(f) = &program.items[0] else {
        panic!()
    };
    // The call is kept, with an error argument for what its line lost.
    assert_eq!(f.body.stmts.len(), 3);
    assert_eq!(stmt_sexpr(&f.body.stmts[0]), "(call foo 1 <error>)");
}

/// A small deterministic generator (xorshift) so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    "struct Node:\n    left: Node?\n    value: Int\n    fn sum(&self) -> Int:\n        return self.value\n    @destructor\n    fn drop(&mutable self):\n        print(f\"drop {self.value}\")\n",
    "const N: Int = 0xff\nfn main():\n    mutable let xs: List<Int> = [1, 2, 3,]\n    for x in range(0, N, 2):\n        if x % 2 == 0 and not done: xs.push(x ** 2)\n        elif x > 3:\n            break\n        else:\n            continue\n    let m = {\"a\": 1.5e-3}\n    m[\"a\"] += 1\n",
    "fn work(&t: Tensor) -> Float:\n    arena scratch:\n        let y = t @ t.transpose() / 2.0\n    return -y.sum() ** 2\nfn main():\n    let task = spawn work(Tensor.rand([2, 2], seed=1)) with quota=1_000_000\n    print(task.join(), \"\\u{1F600}\")\n",
];

const SNIPPETS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    "\n",
    "\n    ",
    "\t",
    "\"",
    "f\"{",
    "}",
    "/*",
    "*/",
    "//",
    "if ",
    "else",
    "fn ",
    "let ",
    "=",
    "==",
    "**",
    "-",
    "not ",
    "spawn ",
    "with quota=",
    "@",
    "é",
    "\0",
    "\r",
    "\r\n",
    "99999999999999999999",
    "0x",
    "1e",
    ".",
    ",",
    "&mutable ",
    "?",
    "\\",
];

fn mutate(rng: &mut Rng, seed: &str) -> String {
    let mut bytes: Vec<u8> = seed.as_bytes().to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = if bytes.is_empty() {
            0
        } else {
            rng.below(bytes.len() + 1)
        };
        match rng.below(4) {
            0 => {
                let snippet = SNIPPETS[rng.below(SNIPPETS.len())];
                bytes.splice(at..at, snippet.bytes());
            }
            1 if at < bytes.len() => {
                let len = rng.below(16).min(bytes.len() - at);
                bytes.drain(at..at + len);
            }
            2 => bytes.insert(at, (rng.next() & 0x7f) as u8),
            _ => {
                // Duplicate a chunk elsewhere, which builds odd nesting.
                if !bytes.is_empty() {
                    let from = rng.below(bytes.len());
                    let len = rng.below(32).min(bytes.len() - from);
                    let chunk: Vec<u8> = bytes[from..from + len].to_vec();
                    bytes.splice(at..at, chunk);
                }
            }
        }
    }
    // Deletions may split a multi-byte character; keep only valid UTF-8 like the CLI does.
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn mutated_programs_never_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for seed in SEEDS {
        // The seeds themselves are valid.
        assert!(parse(seed).1.is_empty(), "{seed}: {:#?}", parse(seed).1);
    }
    for i in 0..2_000 {
        let seed = SEEDS[i % SEEDS.len()];
        let src = mutate(&mut rng, seed);
        let (program, diags) = parse(&src);
        for d in &diags {
            assert!(
                d.primary.span.end as usize <= src.len(),
                "span out of range for {src:?}"
            );
            assert!(d.primary.span.start <= d.primary.span.end);
        }
        let _ = program.expr_count;
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x0bad_cafe_f00d_0042);
    for _ in 0..500 {
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let src = String::from_utf8_lossy(&bytes).into_owned();
        let _ = parse(&src);
    }
    for _ in 0..500 {
        let len = rng.below(60);
        let src: String = (0..len)
            .map(|_| SNIPPETS[rng.below(SNIPPETS.len())])
            .collect();
        let _ = parse(&src);
    }
}
