//! Cases an adversarial pass found, each the smallest program that showed it.

use super::format_source;

fn fmt(src: &str) -> String {
    let out = format_source(src).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(format_source(&out).unwrap(), out, "not idempotent");
    out
}

#[test]
fn a_field_of_a_field_keeps_the_space_that_stops_it_reading_as_a_float() {
    // Tightened, `t.0 .1` would lex as `t` `.` `0.1`.
    let src = "fn main():\n    let t = ((1, 2), 3)\n    print(t.0 .1)\n";
    assert_eq!(fmt(src), src);
}

#[test]
fn block_comments_lose_trailing_spaces_and_carriage_returns_but_keep_their_layout() {
    let src = "fn main():\n    let x = 1  /* first   \n  second   \n  */\n    print(x)\n";
    assert_eq!(
        fmt(src),
        "fn main():\n    let x = 1  /* first\n  second\n  */\n    print(x)\n"
    );
    let crlf = "fn main():\r\n    print(1,  /* a\r\n    b */ 2)\r\n";
    assert!(!fmt(crlf).contains('\r'));
    // The comment moves with its code, its lines keeping their places relative to it...
    let usage = "fn main():\n  /* usage:\n stark run\n     --verbose\n  */\n  pass\n";
    assert_eq!(
        fmt(usage),
        "fn main():\n    /* usage:\n   stark run\n       --verbose\n    */\n    pass\n"
    );
    // ...unless a line would have to move left of the margin: then they stay where they
    // were.
    let deep = "fn main():\n      /* usage:\n stark run\n     --verbose\n  */\n      pass\n";
    assert_eq!(
        fmt(deep),
        "fn main():\n    /* usage:\n stark run\n     --verbose\n  */\n    pass\n"
    );
}

#[test]
fn a_wide_line_is_split_where_every_line_fits() {
    let src = "fn main():\n    let total = f(1111111111, 2222222222, 3333333333) + f(4444444444, 5555555555, 6666666666) + f(1, 2, 3) + g(7)\n";
    let out = fmt(src);
    assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
}

#[test]
fn a_top_level_item_after_a_comment_inside_a_block_gets_its_two_blank_lines() {
    let src = "struct A:\n    x: Int\n    // about x\nfn main():\n    print(A(1).x)\n";
    assert_eq!(
        fmt(src),
        "struct A:\n    x: Int\n    // about x\n\n\nfn main():\n    print(A(1).x)\n"
    );
}

#[test]
fn many_comments_take_linear_time() {
    let mut src = String::new();
    for i in 0..100_000 {
        src.push_str(&format!("// c{i}\n"));
    }
    src.push_str("fn main():\n    pass\n");
    let t = std::time::Instant::now();
    let out = fmt(&src);
    assert!(out.starts_with("// c0\n// c1\n"));
    // Quadratic took tens of seconds here; linear takes a fraction of one.
    assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
}
