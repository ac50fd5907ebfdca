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
fn chained_comparison_is_an_error() {
    let (_, diags) = stark_syntax::parse("fn main():\n    print(0 <= x < 10)\n");
    assert_eq!(codes(&diags), vec!["E0001"]);
    assert!(diags[0].message.contains("chained"), "{diags:?}");
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
    let program = parse_ok("const N: Int = 1 + 2\nfn main():\n    let x = f\"{a}{b.c}\"\n    if x:\n        g(x, y=[1, 2])\n");
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
    let StmtKind::For { var, iter, .. } = &stmts[2].kind else {
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
