//! Parser: every statement and item form, precedence, spans and ids.

mod common;

use common::*;
use stark_syntax::ast::*;

#[test]
fn precedence() {
    assert_eq!(expr("1 + 2 * 3"), "(+ 1 (* 2 3))");
    assert_eq!(expr("(1 + 2) * 3"), "(* (+ 1 2) 3)");
    assert_eq!(expr("1 - 2 - 3"), "(- (- 1 2) 3)");
    assert_eq!(expr("-2 ** 2"), "(neg (** 2 2))");
    assert_eq!(expr("2 ** 3 ** 2"), "(** 2 (** 3 2))");
    assert_eq!(expr("2 ** -1"), "(** 2 (neg 1))");
    assert_eq!(expr("-a * b"), "(* (neg a) b)");
    assert_eq!(expr("not a == b"), "(not (== a b))");
    assert_eq!(expr("not a and b"), "(and (not a) b)");
    assert_eq!(expr("a and b or c"), "(or (and a b) c)");
    assert_eq!(expr("a or b and c"), "(or a (and b c))");
    assert_eq!(expr("a @ b + c % d / e"), "(+ (@ a b) (/ (% c d) e))");
    assert_eq!(expr("a < b + 1 and c >= d"), "(and (< a (+ b 1)) (>= c d))");
    assert_eq!(expr("x != None"), "(!= x None)");
    assert_eq!(expr("- - x"), "(neg (neg x))");
    assert_eq!(expr("-t.shape()[0]"), "(neg (index (call (. t shape)) 0))");
}

#[test]
fn chained_comparisons() {
    assert_eq!(expr("0 <= x < 10"), "(chain 0 <= x < 10)");
    assert_eq!(expr("a < b < c < d"), "(chain a < b < c < d)");
    assert_eq!(expr("a == b != c"), "(chain a == b != c)");
    assert_eq!(expr("a < b + 1 <= c"), "(chain a < (+ b 1) <= c)");
    // A parenthesised comparison is an operand, not a link of the chain.
    assert_eq!(expr("(a < b) == c"), "(== (< a b) c)");
    assert_eq!(expr("a < b and b < c"), "(and (< a b) (< b c))");
    assert_eq!(expr("not 0 < x < 1"), "(not (chain 0 < x < 1))");
}

#[test]
fn membership() {
    assert_eq!(expr("x in xs"), "(in x xs)");
    assert_eq!(expr("x not in xs"), "(not in x xs)");
    assert_eq!(expr("not x in xs"), "(not (in x xs))");
    assert_eq!(expr("a + 1 in xs and b"), "(and (in (+ a 1) xs) b)");
    assert_eq!(expr("0 < x in xs"), "(chain 0 < x in xs)");
}

#[test]
fn conditional_expression() {
    assert_eq!(expr("a if c else b"), "(if c a b)");
    assert_eq!(
        expr("a + 1 if x > 0 else -a"),
        "(if (> x 0) (+ a 1) (neg a))"
    );
    assert_eq!(expr("a if x else b if y else c"), "(if x a (if y b c))");
    assert_eq!(expr("f(a if c else b)"), "(call f (if c a b))");
    assert_eq!(expr("a or b if c or d else e"), "(if (or c d) (or a b) e)");
    // In a comprehension the `if` after the iterable is the filter (Python's grammar).
    assert_eq!(
        expr("[a if c else b for x in xs if p]"),
        "(comp (if c a b) in xs if p)"
    );
    assert_eq!(
        expr("[x for x in (xs if c else ys) if x in zs]"),
        "(comp x in (if c xs ys) if (in x zs))"
    );
    let (_, diags) = stark_syntax::parse("fn main():\n    print(1 if c)\n");
    assert_eq!(codes(&diags), vec!["E0001"]);
    assert!(diags[0].message.contains("`else`"), "{diags:?}");
}

#[test]
fn positional_after_keyword_is_an_error() {
    let (_, diags) = stark_syntax::parse("fn main():\n    f(a=1, 2)\n");
    assert_eq!(codes(&diags), vec!["E0001"]);
    assert!(
        diags[0]
            .message
            .contains("positional argument follows keyword"),
        "{diags:?}"
    );
}

#[test]
fn default_parameters_and_for_mutable() {
    let program = parse_ok("fn f(a: Int, scale: Float = 1.0, name: String = \"x\"):\n    for mutable p in ps:\n        pass\n    x %= 3\n");
    let Some(Item::Fn(f)) = program.items.first() else {
        panic!()
    };
    let defaults: Vec<Option<String>> = f
        .params
        .iter()
        .map(|p| p.default.as_ref().map(sexpr))
        .collect();
    assert_eq!(
        defaults,
        vec![None, Some("1.0".into()), Some("\"x\"".into())]
    );
    let StmtKind::For { mutable, var, .. } = &f.body.stmts[0].kind else {
        panic!()
    };
    assert!(*mutable && matches!(var, Pattern::Name(n) if n.name == "p"));
    let StmtKind::Assign { op, .. } = &f.body.stmts[1].kind else {
        panic!()
    };
    assert_eq!(*op, Some(BinOp::Mod));
}

#[test]
fn literals() {
    assert_eq!(
        expr("[1, 2.5, \"s\", true, false, None,]"),
        "[1 2.5 \"s\" true false None]"
    );
    assert_eq!(expr("[]"), "[]");
    assert_eq!(expr("{}"), "{}");
    assert_eq!(expr("{\"a\": 1, \"b\": [2],}"), "{\"a\": 1, \"b\": [2]}");
    assert_eq!(expr("0xff + 1_000"), "(+ 255 1000)");
    assert_eq!(
        expr("f\"x = {x}, sum = {a + b}!\""),
        "(f \"x = \" {x} \", sum = \" {(+ a b)} \"!\")"
    );
    assert_eq!(expr("f\"{{}}\""), "(f \"{}\")");
    assert_eq!(expr("f\"{ {1: 2}[1] }\""), "(f {(index {1: 2} 1)})");
}

#[test]
fn slices_are_indices() {
    assert_eq!(expr("s[1:3]"), "(index s (slice 1 3 _))");
    assert_eq!(expr("s[:n]"), "(index s (slice _ n _))");
    assert_eq!(expr("s[-3:]"), "(index s (slice (neg 3) _ _))");
    assert_eq!(expr("s[::-1]"), "(index s (slice _ _ (neg 1)))");
    assert_eq!(expr("s[:]"), "(index s (slice _ _ _))");
    assert_eq!(expr("s[a:b:c]"), "(index s (slice a b c))");
    assert_eq!(expr("t[:, 0]"), "(index t (slice _ _ _) 0)");
    assert_eq!(expr("s[i]"), "(index s i)");
}

#[test]
fn fstring_specs_and_nested_strings() {
    assert_eq!(
        expr("f\"{x:.2f}|{n:>8}\""),
        "(f {x} (spec Some('f') 0) \"|\" {n} (spec None 8))"
    );
    assert_eq!(expr("f\"{m[\"k\"]}\""), "(f {(index m \"k\")})");
    assert_eq!(expr("f\"{xs[1:2]}\""), "(f {(index xs (slice 1 2 _))})");
    assert_eq!(
        expr("f\"{m[\"a:b\"]:>5}\""),
        "(f {(index m \"a:b\")} (spec None 5))"
    );
    assert_eq!(expr("f\"{x:}\""), "(f {x})");
    assert_eq!(
        expr("f\"{x:>{w + 1}.{p!r:3}f}|{s=}\""),
        "(f {x} (nested \">\" {(+ w 1)} \".\" {p (conv Repr) (spec \"3\")} \"f\") \"|s=\" {s} (conv Repr))"
    );
}

#[test]
fn fstring_spans_are_absolute() {
    let src = "fn main():\n    print(f\"v={ value + 1 }\")\n";
    let stmts = main_body(src);
    let StmtKind::Expr(call) = &stmts[0].kind else {
        panic!()
    };
    let ExprKind::Call { args, .. } = &call.kind else {
        panic!()
    };
    let ExprKind::FStr(parts) = &args[0].value.kind else {
        panic!()
    };
    let FStrPart::Expr(e) = &parts[1] else {
        panic!()
    };
    assert_eq!(&src[e.span.range()], "value + 1");
    let ExprKind::Binary(_, lhs, _) = &e.kind else {
        panic!()
    };
    assert_eq!(&src[lhs.span.range()], "value");
}

#[test]
fn fstring_errors_are_contained() {
    let (program, diags) =
        stark_syntax::parse("fn main():\n    print(f\"{}\")\n    print(f\"{1 +}\")\n    x = 1\n");
    assert_eq!(codes(&diags), vec!["E0001", "E0001"]);
    let Item::Fn(f) = &program.items[0] else {
        panic!()
    };
    assert_eq!(f.body.stmts.len(), 3);
}

#[test]
fn postfix_and_calls() {
    assert_eq!(expr("a.b.c"), "(. (. a b) c)");
    assert_eq!(expr("m.keys()"), "(call (. m keys))");
    assert_eq!(expr("t[i, j]"), "(index t i j)");
    assert_eq!(expr("f(1)(2)[3].x"), "(. (index (call (call f 1) 2) 3) x)");
    assert_eq!(
        expr("Tensor.rand([2, 3], seed=1)"),
        "(call (. Tensor rand) [2 3] seed=1)"
    );
    assert_eq!(
        expr("Node(left=None, right=None,)"),
        "(call Node left=None right=None)"
    );
    assert_eq!(expr("f(a == b)"), "(call f (== a b))");
    assert_eq!(expr("f(\n  1,\n  2\n)"), "(call f 1 2)");
}

#[test]
fn spawn() {
    assert_eq!(expr("spawn f(a, b)"), "(spawn (call f a b))");
    assert_eq!(
        expr("spawn work(x) with quota=1_000_000"),
        "(spawn (call work x) quota=1000000)"
    );
    // What follows the spawned call applies to the task: spawn-then-join in one line.
    assert_eq!(
        expr("spawn open(7).join()"),
        "(call (. (spawn (call open 7)) join))"
    );
    let (_, diags) = stark_syntax::parse("fn main():\n    let t = spawn f\n");
    assert_eq!(codes(&diags), vec!["E0001"]);
}

#[test]
fn spans() {
    let src = "fn main():\n    let r = foo.bar(1, x) + (y * 2)\n";
    let stmts = main_body(src);
    let StmtKind::Let { value, name, .. } = &stmts[0].kind else {
        panic!()
    };
    assert_eq!(&src[name.span.range()], "r");
    assert_eq!(
        &src[stmts[0].span.range()],
        "let r = foo.bar(1, x) + (y * 2)"
    );
    assert_eq!(&src[value.span.range()], "foo.bar(1, x) + (y * 2)");
    let ExprKind::Binary(_, call, paren) = &value.kind else {
        panic!()
    };
    assert_eq!(&src[call.span.range()], "foo.bar(1, x)");
    assert_eq!(&src[paren.span.range()], "(y * 2)");
    let ExprKind::Call { callee, args } = &call.kind else {
        panic!()
    };
    assert_eq!(&src[callee.span.range()], "foo.bar");
    assert_eq!(&src[args[1].value.span.range()], "x");
    let ExprKind::Field(base, field) = &callee.kind else {
        panic!()
    };
    assert_eq!(&src[base.span.range()], "foo");
    assert_eq!(&src[field.span.range()], "bar");
}

#[test]
fn expr_ids_are_dense_and_unique() {
    let program = parse_ok("const N: Int = 1 + 2\nfn f(a: Int = 1 + 2):\n    pass\nfn main():\n    let x = f\"{a}{b.c}\"\n    if x:\n        g(x if 0 < a <= 2 else y, y=[1, 2])\n");
    let mut ids = all_ids(&program);
    ids.sort();
    let expected: Vec<u32> = (0..program.expr_count).collect();
    assert_eq!(ids, expected);
}

#[test]
fn let_forms() {
    let stmts = main_body(
        "fn main():\n    let a = 1\n    let b: List<Int>? = None\n    immutable let c = 2\n    mutable let d = 3\n    mut let e: Int = 4\n",
    );
    let lets: Vec<(String, bool, bool)> = stmts
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Let {
                name, mutable, ty, ..
            } => (name.name.clone(), *mutable, ty.is_some()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        lets,
        vec![
            ("a".into(), false, false),
            ("b".into(), false, true),
            ("c".into(), false, false),
            ("d".into(), true, false),
            ("e".into(), true, true),
        ]
    );
    let StmtKind::Let {
        ty: Some(TypeExpr::Optional(inner, _)),
        ..
    } = &stmts[1].kind
    else {
        panic!()
    };
    let TypeExpr::Named { name, args, .. } = &**inner else {
        panic!()
    };
    assert_eq!((name.name.as_str(), args.len()), ("List", 1));
}

#[test]
fn assignments() {
    let stmts =
        main_body("fn main():\n    x = 1\n    a[i] += 2\n    p.x -= 3\n    y *= 4\n    z /= 5\n");
    let ops: Vec<Option<BinOp>> = stmts
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Assign { op, .. } => *op,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        ops,
        vec![
            None,
            Some(BinOp::Add),
            Some(BinOp::Sub),
            Some(BinOp::Mul),
            Some(BinOp::Div)
        ]
    );
    let StmtKind::Assign { target, .. } = &stmts[1].kind else {
        panic!()
    };
    assert_eq!(sexpr(target), "(index a i)");
}

#[test]
fn control_flow() {
    let src = "fn main():
    if a:
        pass
    elif b:
        x = 1
    elif c:
        x = 2
    else:
        x = 3
    while i < 10:
        i += 1
        if i == 5:
            break
        continue
    for k in m.keys():
        print(k)
    arena scratch:
        let t = Tensor.zeros([2])
    return
";
    let stmts = main_body(src);
    assert_eq!(stmts.len(), 5);
    let StmtKind::If {
        branches,
        else_block,
    } = &stmts[0].kind
    else {
        panic!()
    };
    assert_eq!(branches.len(), 3);
    assert!(matches!(branches[0].1.stmts[0].kind, StmtKind::Pass));
    assert!(else_block.is_some());
    let StmtKind::While { body, .. } = &stmts[1].kind else {
        panic!()
    };
    assert_eq!(body.stmts.len(), 3);
    assert!(matches!(body.stmts[2].kind, StmtKind::Continue));
    let StmtKind::If { branches, .. } = &body.stmts[1].kind else {
        panic!()
    };
    assert!(matches!(branches[0].1.stmts[0].kind, StmtKind::Break));
    let StmtKind::For {
        var: Pattern::Name(var),
        iter,
        ..
    } = &stmts[2].kind
    else {
        panic!()
    };
    assert_eq!(
        (var.name.as_str(), sexpr(iter).as_str()),
        ("k", "(call (. m keys))")
    );
    let StmtKind::Arena { name, body } = &stmts[3].kind else {
        panic!()
    };
    assert_eq!((name.name.as_str(), body.stmts.len()), ("scratch", 1));
    assert!(matches!(stmts[4].kind, StmtKind::Return(None)));
    // The if statement's span covers through its last block.
    assert!(src[stmts[0].span.range()].ends_with("x = 3"));
}

#[test]
fn one_line_blocks() {
    let stmts = main_body("fn main():\n    if x: return 1\n    elif y: pass\n    else: return 2\n    while a: a -= 1\n    for i in range(3): print(i)\n");
    assert_eq!(stmts.len(), 3);
    let StmtKind::If {
        branches,
        else_block,
    } = &stmts[0].kind
    else {
        panic!()
    };
    assert!(matches!(
        branches[0].1.stmts[0].kind,
        StmtKind::Return(Some(_))
    ));
    assert!(matches!(
        else_block.as_ref().unwrap().stmts[0].kind,
        StmtKind::Return(Some(_))
    ));
    let (_, diags) = stark_syntax::parse("fn main():\n    if x: while y: pass\n");
    assert_eq!(codes(&diags), vec!["E0001"]);
}

#[test]
fn functions_and_params() {
    let program = parse_ok(
        "fn operate(a: Int, &t: Tensor, &mutable m: Map<String, List<Int>>, &mut n: Int) -> Float:\n    return 1.0\nfn main():\n    pass\n",
    );
    let Item::Fn(f) = &program.items[0] else {
        panic!()
    };
    assert_eq!(f.name.name, "operate");
    let modes: Vec<ParamMode> = f.params.iter().map(|p| p.mode).collect();
    assert_eq!(
        modes,
        vec![
            ParamMode::Owned,
            ParamMode::Borrowed,
            ParamMode::BorrowedMut,
            ParamMode::BorrowedMut
        ]
    );
    let TypeExpr::Named { args, .. } = f.params[2].ty.as_ref().unwrap() else {
        panic!()
    };
    assert_eq!(args.len(), 2);
    assert!(f.ret.is_some());
    assert!(!f.is_destructor);
    let Item::Fn(main) = &program.items[1] else {
        panic!()
    };
    assert!(main.ret.is_none() && main.params.is_empty());
}

#[test]
fn fn_span_covers_signature() {
    let src = "fn f(a: Int) -> Int:\n    return a\n";
    let program = parse_ok(src);
    let Item::Fn(f) = &program.items[0] else {
        panic!()
    };
    assert_eq!(&src[f.span.range()], "fn f(a: Int) -> Int:");
    assert_eq!(&src[f.params[0].span.range()], "a: Int");
}

#[test]
fn structs_with_methods_and_destructor() {
    let src = "struct Node:
    value: Int
    left: Node?
    children: List<Node>

    fn area(&self) -> Float:
        return 1.0
    fn grow(&mutable self, by: Int):
        self.value += by
    fn take(self):
        pass
    @destructor
    fn drop(&mutable self):
        print(\"bye\")
";
    let program = parse_ok(src);
    let Item::Struct(s) = &program.items[0] else {
        panic!()
    };
    assert_eq!(s.name.name, "Node");
    let fields: Vec<&str> = s.fields.iter().map(|f| f.name.name.as_str()).collect();
    assert_eq!(fields, vec!["value", "left", "children"]);
    assert!(matches!(s.fields[1].ty, TypeExpr::Optional(..)));
    assert_eq!(s.methods.len(), 4);
    assert_eq!(s.methods[0].params[0].mode, ParamMode::Borrowed);
    assert!(s.methods[0].params[0].ty.is_none());
    assert_eq!(s.methods[1].params[0].mode, ParamMode::BorrowedMut);
    assert_eq!(s.methods[2].params[0].mode, ParamMode::Owned);
    assert!(s.methods[3].is_destructor);
    assert!(!s.methods[2].is_destructor);
    // `@destructor fn` on one line too.
    let program =
        parse_ok("struct R:\n    x: Int\n    @destructor fn drop(&mut self):\n        pass\n");
    let Item::Struct(s) = &program.items[0] else {
        panic!()
    };
    assert!(s.methods[0].is_destructor);
}

#[test]
fn consts() {
    let program = parse_ok("const LIMIT: Int = 10 * 1_000\nconst NAME: String = \"x\"\n");
    assert_eq!(program.items.len(), 2);
    let Item::Const(c) = &program.items[0] else {
        panic!()
    };
    assert_eq!(c.name.name, "LIMIT");
    assert_eq!(sexpr(&c.value), "(* 10 1000)");
}

#[test]
fn nested_generic_types() {
    let program =
        parse_ok("fn f(m: Map<String, List<Map<Int, Float?>>>) -> List<Int>?:\n    pass\n");
    let Item::Fn(f) = &program.items[0] else {
        panic!()
    };
    assert!(matches!(f.ret, Some(TypeExpr::Optional(..))));
}

#[test]
fn comments_and_blank_lines_in_program() {
    parse_ok("// header\n\nfn main(): // trailing\n    /* c */ let x = 1\n\n    // inside\n    print(x)\n");
}

#[test]
fn spans_say_which_file_they_are_in() {
    let src = "// a comment\nfn main():\n    let x = f\"{1 +}\"\n    print(x)\n";
    let file = stark_syntax::FileId(7);
    let (program, diags) = stark_syntax::parse_file(src, file);
    assert_eq!(program.comments.len(), 1);
    let Item::Fn(f) = &program.items[0] else {
        panic!("a function")
    };
    assert_eq!(f.span.file, file);
    assert_eq!(f.body.span.file, file);
    // Diagnostics from inside an f-string hole (lexed on their own) too.
    assert!(!diags.is_empty());
    assert!(
        diags.iter().all(|d| d.primary.span.file == file),
        "{diags:#?}"
    );
}

#[test]
fn tuples_fields_and_unpacking() {
    assert_eq!(expr("(1, \"a\")"), "(tuple 1 \"a\")");
    assert_eq!(expr("(1,)"), "(tuple 1)");
    assert_eq!(expr("(1)"), "1");
    assert_eq!(expr("t.0"), "(. t 0)");
    // The lexer reads `0.1` as one number: it is two fields.
    assert_eq!(expr("t.0.1"), "(. (. t 0) 1)");
    assert_eq!(expr("f(x).1 + 2"), "(+ (. (call f x) 1) 2)");
    let body = main_body(
        "fn main():\n    let (a, (b, c)) = x\n    let q, r = 1, 2\n    a, b = b, a\n    \
         for i, (k, v) in items:\n        pass\n    return lo, hi\n",
    );
    let StmtKind::LetTuple { pattern, value, .. } = &body[0].kind else {
        panic!("{:?}", body[0].kind)
    };
    let names: Vec<&str> = pattern.names().iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(sexpr(value), "x");
    let StmtKind::LetTuple { pattern, value, .. } = &body[1].kind else {
        panic!()
    };
    assert!(matches!(pattern, Pattern::Tuple(p, _) if p.len() == 2));
    assert_eq!(sexpr(value), "(tuple 1 2)");
    let StmtKind::Assign { target, value, .. } = &body[2].kind else {
        panic!()
    };
    assert_eq!(
        (sexpr(target), sexpr(value)),
        ("(tuple a b)".into(), "(tuple b a)".into())
    );
    let StmtKind::For { var, .. } = &body[3].kind else {
        panic!()
    };
    let names: Vec<&str> = var.names().iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["i", "k", "v"]);
    let StmtKind::Return(Some(v)) = &body[4].kind else {
        panic!()
    };
    assert_eq!(sexpr(v), "(tuple lo hi)");
}

#[test]
fn tuple_syntax_errors() {
    for src in [
        "fn main():\n    let () = x\n",
        "fn main():\n    print(t.-1)\n",
        "fn f(p: (Int)) -> Int:\n    return 1\n",
        "fn f(p: ()) -> Int:\n    return 1\n",
    ] {
        let (_, diags) = stark_syntax::parse(src);
        assert_eq!(codes(&diags), vec!["E0001"], "{src:?}: {diags:#?}");
    }
}

#[test]
fn comprehensions() {
    assert_eq!(expr("[x * 2 for x in xs]"), "(comp (* x 2) in xs)");
    assert_eq!(
        expr("[x for x in xs if x > 0]"),
        "(comp x in xs if (> x 0))"
    );
    assert_eq!(
        expr("{k: v for k, v in m.items()}"),
        "(comp k: v in (call (. m items)))"
    );
    assert_eq!(
        expr("[[y for y in r] for r in rows]"),
        "(comp (comp y in r) in rows)"
    );
    assert_eq!(expr("[1, 2]"), "[1 2]");
    assert_eq!(expr("[]"), "[]");
}

#[test]
fn imports() {
    let src = "import geometry\nimport shapes.circle as c\nfrom geometry import Point, area\n\nfn f(p: geometry.Point) -> g.Shape:\n    return p\n";
    let program = parse_ok(src);
    let shown: Vec<(String, Option<String>, Option<Vec<String>>)> = program
        .imports
        .iter()
        .map(|i| {
            (
                i.module(),
                i.alias.as_ref().map(|a| a.name.clone()),
                i.names
                    .as_ref()
                    .map(|ns| ns.iter().map(|n| n.name.clone()).collect()),
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            ("geometry".to_string(), None, None),
            ("shapes.circle".to_string(), Some("c".to_string()), None),
            (
                "geometry".to_string(),
                None,
                Some(vec!["Point".to_string(), "area".to_string()])
            ),
        ]
    );
    let Some(Item::Fn(f)) = program.items.first() else {
        panic!("expected the fn");
    };
    let Some(TypeExpr::Named { name, .. }) = &f.params[0].ty else {
        panic!("expected a named type");
    };
    assert_eq!(name.name, "geometry.Point");
    // `import`, `from` and `as` stay usable as names inside functions.
    parse_ok("fn main():\n    let from = 1\n    let import = from\n    print(import)\n");
}

#[test]
fn expression_ids_continue_across_files() {
    let (a, _) = stark_syntax::parse_file(
        "fn f() -> Int:\n    return 1 + 2\n",
        stark_syntax::FileId(0),
    );
    let (b, _) = stark_syntax::parse_file_from(
        "fn g() -> Int:\n    return 3\n",
        stark_syntax::FileId(1),
        a.expr_count,
    );
    assert_eq!(a.expr_count, 3);
    assert_eq!(b.expr_count, 4);
}

#[test]
fn lambdas_and_fn_types() {
    // At the start of a statement `fn` declares a function, so these stand as arguments.
    assert_eq!(expr("g(fn(x) => x * 2)"), "(call g (fn [x] (* x 2)))");
    assert_eq!(
        expr("g(fn(a: Int, b: Int) => a + b)"),
        "(call g (fn [a b] (+ a b)))"
    );
    assert_eq!(
        expr("g(fn() => 1 if c else 2)"),
        "(call g (fn [] (if c 1 2)))"
    );
    assert_eq!(
        expr("xs.map(fn(x) => x + 1)"),
        "(call (. xs map) (fn [x] (+ x 1)))"
    );
    assert_eq!(expr("f(3)(4)"), "(call (call f 3) 4)");
    let (program, diags) =
        stark_syntax::parse("fn f(g: Fn(Int, Float) -> Bool, h: Fn(String)):\n    pass\n");
    assert!(diags.is_empty(), "{diags:?}");
    let Item::Fn(f) = &program.items[0] else {
        panic!()
    };
    let Some(TypeExpr::Fn { params, ret, .. }) = &f.params[0].ty else {
        panic!("{:?}", f.params[0].ty)
    };
    assert_eq!(params.len(), 2);
    assert!(ret.is_some());
    assert!(matches!(
        &f.params[1].ty,
        Some(TypeExpr::Fn { ret: None, .. })
    ));
}
