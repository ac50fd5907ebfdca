//! Control flow, calls, arithmetic errors and stack traces.

use super::*;
use stark_bytecode::CmpOp;
use stark_syntax::Span;

#[test]
fn loop_sums_ints() {
    let main = func(
        "main",
        &[],
        6,
        vec![
            Instr::LoadInt { dst: 0, value: 0 },
            Instr::LoadInt { dst: 1, value: 100 },
            Instr::LoadInt { dst: 2, value: 0 },
            Instr::LoadInt { dst: 4, value: 1 },
            Instr::ICmp {
                op: CmpOp::Lt,
                dst: 3,
                a: 0,
                b: 1,
            },
            Instr::JumpIfNot { cond: 3, target: 9 },
            Instr::IAdd { dst: 2, a: 2, b: 0 },
            Instr::IAdd { dst: 0, a: 0, b: 4 },
            Instr::Jump { target: 4 },
            Instr::CallNative {
                dst: 5,
                native: Native::Print,
                args: 2,
                argc: 1,
            },
            Instr::RetNone,
        ],
    );
    assert_eq!(run_ok(&module(vec![main], structs(&[]), &[])), "4950\n");
}

fn fib_module(n: i64) -> Module {
    let main = func(
        "main",
        &[],
        3,
        vec![
            Instr::LoadInt { dst: 0, value: n },
            Instr::Call {
                dst: 1,
                func: 1,
                args: 0,
                argc: 1,
            },
            Instr::CallNative {
                dst: 2,
                native: Native::Print,
                args: 1,
                argc: 1,
            },
            Instr::RetNone,
        ],
    );
    let fib = func(
        "fib",
        &[OWNED],
        7,
        vec![
            Instr::LoadInt { dst: 1, value: 2 },
            Instr::ICmp {
                op: CmpOp::Lt,
                dst: 2,
                a: 0,
                b: 1,
            },
            Instr::JumpIfNot { cond: 2, target: 4 },
            Instr::Ret { src: 0 },
            Instr::LoadInt { dst: 6, value: 1 },
            Instr::ISub { dst: 3, a: 0, b: 6 },
            Instr::Call {
                dst: 4,
                func: 1,
                args: 3,
                argc: 1,
            },
            Instr::ISub { dst: 3, a: 0, b: 1 },
            Instr::Call {
                dst: 5,
                func: 1,
                args: 3,
                argc: 1,
            },
            Instr::IAdd { dst: 4, a: 4, b: 5 },
            Instr::Ret { src: 4 },
        ],
    );
    module(vec![main, fib], structs(&[]), &[])
}

#[test]
fn recursive_calls() {
    assert_eq!(run_ok(&fib_module(20)), "6765\n");
}

use stark_bytecode::Native;

#[test]
fn integer_overflow_is_a_runtime_error_with_span() {
    let main = func(
        "main",
        &[],
        3,
        vec![
            Instr::LoadInt {
                dst: 0,
                value: i64::MAX,
            },
            Instr::LoadInt { dst: 1, value: 1 },
            Instr::IAdd { dst: 2, a: 0, b: 1 },
            Instr::RetNone,
        ],
    );
    let e = run_err(&module(vec![main], structs(&[]), &[]));
    assert_eq!(e.message, "integer overflow");
    assert_eq!(e.span, Span::new(2, 3));
    assert_eq!(e.trace.len(), 1);
    assert_eq!(e.trace[0].function, "main");
}

fn binop_error(instr: Instr, a: i64, b: i64) -> String {
    let main = func(
        "main",
        &[],
        3,
        vec![
            Instr::LoadInt { dst: 0, value: a },
            Instr::LoadInt { dst: 1, value: b },
            instr,
            Instr::RetNone,
        ],
    );
    run_err(&module(vec![main], structs(&[]), &[])).message
}

#[test]
fn integer_error_messages() {
    assert_eq!(
        binop_error(Instr::IDiv { dst: 2, a: 0, b: 1 }, 1, 0),
        "integer division by zero"
    );
    assert_eq!(
        binop_error(Instr::IMod { dst: 2, a: 0, b: 1 }, 1, 0),
        "integer modulo by zero"
    );
    assert_eq!(
        binop_error(Instr::IMul { dst: 2, a: 0, b: 1 }, i64::MAX, 2),
        "integer overflow"
    );
    assert_eq!(
        binop_error(Instr::ISub { dst: 2, a: 0, b: 1 }, i64::MIN, 1),
        "integer overflow"
    );
    assert_eq!(
        binop_error(Instr::IDiv { dst: 2, a: 0, b: 1 }, i64::MIN, -1),
        "integer overflow"
    );
    assert_eq!(
        binop_error(Instr::IPow { dst: 2, a: 0, b: 1 }, 2, 64),
        "integer overflow"
    );
    assert!(binop_error(Instr::IPow { dst: 2, a: 0, b: 1 }, 2, -1).contains("negative exponent"));
}

#[test]
fn integer_arithmetic_semantics() {
    let cases: Vec<(Instr, i64, i64, &str)> = vec![
        (Instr::IDiv { dst: 2, a: 0, b: 1 }, -7, 2, "-3"),
        (Instr::IMod { dst: 2, a: 0, b: 1 }, -7, 2, "-1"),
        (Instr::IMod { dst: 2, a: 0, b: 1 }, 7, -2, "1"),
        (
            Instr::IPow { dst: 2, a: 0, b: 1 },
            2,
            62,
            "4611686018427387904",
        ),
        (Instr::IPow { dst: 2, a: 0, b: 1 }, -3, 3, "-27"),
        (Instr::IPow { dst: 2, a: 0, b: 1 }, 5, 0, "1"),
        (Instr::IMod { dst: 2, a: 0, b: 1 }, i64::MIN, -1, "0"),
    ];
    for (instr, a, b, want) in cases {
        let main = func(
            "main",
            &[],
            4,
            vec![
                Instr::LoadInt { dst: 0, value: a },
                Instr::LoadInt { dst: 1, value: b },
                instr,
                Instr::CallNative {
                    dst: 3,
                    native: Native::Print,
                    args: 2,
                    argc: 1,
                },
                Instr::RetNone,
            ],
        );
        assert_eq!(
            run_ok(&module(vec![main], structs(&[]), &[])),
            format!("{want}\n"),
            "{instr:?}"
        );
    }
}

#[test]
fn error_trace_lists_callers_innermost_first() {
    let main = func(
        "main",
        &[],
        2,
        vec![
            Instr::LoadInt { dst: 0, value: 1 },
            Instr::Call {
                dst: 1,
                func: 1,
                args: 0,
                argc: 1,
            },
            Instr::RetNone,
        ],
    );
    let g = func(
        "g",
        &[OWNED],
        3,
        vec![
            Instr::LoadInt { dst: 1, value: 0 },
            Instr::IDiv { dst: 2, a: 0, b: 1 },
            Instr::Ret { src: 2 },
        ],
    );
    let e = run_err(&module(vec![main, g], structs(&[]), &[]));
    assert_eq!(e.message, "integer division by zero");
    assert_eq!(e.span, Span::new(1, 2));
    let names: Vec<&str> = e.trace.iter().map(|f| f.function.as_str()).collect();
    assert_eq!(names, ["g", "main"]);
    assert_eq!(e.trace[1].span, Span::new(1, 2));
}

#[test]
fn unbounded_recursion_is_a_stack_overflow_error() {
    let main = func(
        "main",
        &[],
        2,
        vec![
            Instr::LoadInt { dst: 0, value: 1 },
            Instr::Call {
                dst: 1,
                func: 1,
                args: 0,
                argc: 1,
            },
            Instr::RetNone,
        ],
    );
    let f = func(
        "forever",
        &[OWNED],
        2,
        vec![
            Instr::Call {
                dst: 1,
                func: 1,
                args: 0,
                argc: 1,
            },
            Instr::Ret { src: 1 },
        ],
    );
    let e = run_err(&module(vec![main, f], structs(&[]), &[]));
    assert_eq!(e.message, "stack overflow: call depth exceeded 10000");
    assert_eq!(e.trace.len(), crate::MAX_CALL_DEPTH);
    assert_eq!(e.trace[0].function, "forever");
    assert_eq!(e.trace.last().unwrap().function, "main");
}

#[test]
fn unwrap_none_names_the_expression() {
    let main = func(
        "main",
        &[],
        2,
        vec![
            Instr::LoadNone { dst: 0 },
            Instr::Unwrap {
                dst: 1,
                src: 0,
                expr: 0,
            },
            Instr::RetNone,
        ],
    );
    let e = run_err(&module(vec![main], structs(&[]), &["node.next"]));
    assert_eq!(e.message, "`node.next` is None");
}

#[test]
fn list_index_out_of_range() {
    // -1 .. -3 count from the end (SPEC §5); -4 is past the start.
    for index in [3, 5, -4, i64::MIN] {
        let main = func(
            "main",
            &[],
            6,
            vec![
                Instr::LoadInt { dst: 0, value: 1 },
                Instr::LoadInt { dst: 1, value: 2 },
                Instr::LoadInt { dst: 2, value: 3 },
                Instr::NewList {
                    dst: 3,
                    args: 0,
                    argc: 3,
                },
                Instr::LoadInt {
                    dst: 4,
                    value: index,
                },
                Instr::ListGet {
                    dst: 5,
                    list: 3,
                    index: 4,
                },
                Instr::Drop { reg: 3 },
                Instr::RetNone,
            ],
        );
        let e = run_err(&module(vec![main], structs(&[]), &[]));
        assert_eq!(
            e.message,
            format!("index {index} out of range for list of length 3")
        );
    }
}

#[test]
fn strings_concat_compare_and_equal() {
    let main = func(
        "main",
        &[],
        8,
        vec![
            // `LoadStr` gives a view of a constant; the `Drop`s below need owned references.
            Instr::LoadStr { dst: 0, konst: 0 },
            Instr::Incref { reg: 0 },
            Instr::LoadStr { dst: 1, konst: 1 },
            Instr::Incref { reg: 1 },
            Instr::Concat {
                dst: 2,
                a: 0,
                b: 1,
                take: 0,
            },
            Instr::SCmp {
                op: CmpOp::Lt,
                dst: 3,
                a: 0,
                b: 1,
            },
            Instr::LoadStr { dst: 4, konst: 2 },
            Instr::Incref { reg: 4 },
            Instr::Equal {
                dst: 5,
                a: 2,
                b: 4,
                negate: false,
            },
            Instr::Equal {
                dst: 6,
                a: 0,
                b: 1,
                negate: true,
            },
            Instr::CallNative {
                dst: 7,
                native: Native::Print,
                args: 2,
                argc: 5,
            },
            Instr::Drop { reg: 0 },
            Instr::Drop { reg: 1 },
            Instr::Drop { reg: 2 },
            Instr::Drop { reg: 4 },
            Instr::RetNone,
        ],
    );
    let out = run_ok(&module(vec![main], structs(&[]), &["ab", "cd", "abcd"]));
    assert_eq!(out, "abcd true abcd true true\n");
}

#[test]
fn exit_flushes_and_reports_code() {
    let main = func(
        "main",
        &[],
        3,
        vec![
            Instr::LoadStr { dst: 0, konst: 0 },
            Instr::CallNative {
                dst: 1,
                native: Native::Print,
                args: 0,
                argc: 1,
            },
            Instr::LoadInt { dst: 2, value: 7 },
            Instr::CallNative {
                dst: 1,
                native: Native::Exit,
                args: 2,
                argc: 1,
            },
            Instr::RetNone,
        ],
    );
    let o = run(&module(vec![main], structs(&[]), &["bye"]));
    assert_eq!(o.result, Err(VmExit::Exit(7)));
    assert_eq!(o.out, "bye\n");
}

#[test]
fn owned_arguments_move_into_the_callee() {
    // main passes a string to an owned parameter; the callee drops it.
    let main = func(
        "main",
        &[],
        2,
        vec![
            Instr::LoadStr { dst: 0, konst: 0 },
            // The constant is a view; an owned argument needs its own reference.
            Instr::Incref { reg: 0 },
            Instr::Call {
                dst: 1,
                func: 1,
                args: 0,
                argc: 1,
            },
            Instr::Drop { reg: 0 },
            Instr::RetNone,
        ],
    );
    let take = func(
        "take",
        &[OWNED],
        2,
        vec![
            Instr::CallNative {
                dst: 1,
                native: Native::Print,
                args: 0,
                argc: 1,
            },
            Instr::Drop { reg: 0 },
            Instr::RetNone,
        ],
    );
    assert_eq!(
        run_ok(&module(vec![main, take], structs(&[]), &["moved"])),
        "moved\n"
    );
}
