//! The instruction table against the VM: the verifier checks every register operand the
//! table declares, every branch polls the collector when taken backward, and the kind
//! checks that keep a wrong operand a fault rather than undefined behaviour.

use super::*;
use crate::verify::verify_module;
use stark_bytecode::instr::Role;
use stark_bytecode::{CmpOp, Native};
use std::mem::discriminant;

const FRAME: u16 = 12;

/// `instr` made verifiable apart from its registers: ranges of one operand (a pair for
/// `new_map`), a callee and a struct of that arity, a non-zero divisor.
fn with_operands(instr: Instr) -> Instr {
    match instr {
        Instr::Call { dst, args, .. } => Instr::Call {
            dst,
            func: 1,
            args,
            argc: 1,
        },
        Instr::NewStruct {
            dst, args, stack, ..
        } => Instr::NewStruct {
            dst,
            ty: USER,
            args,
            argc: 1,
            stack,
        },
        Instr::NewList { dst, args, .. } => Instr::NewList { dst, args, argc: 1 },
        Instr::NewMap { dst, args, .. } => Instr::NewMap { dst, args, argc: 1 },
        Instr::CallNative {
            dst, native, args, ..
        } => Instr::CallNative {
            dst,
            native,
            args,
            argc: 1,
        },
        Instr::IDivImm { dst, a, .. } => Instr::IDivImm { dst, a, imm: 1 },
        Instr::IModImm { dst, a, .. } => Instr::IModImm { dst, a, imm: 1 },
        other => other,
    }
}

/// Register operand `k` (in the table's order) of `instr` moved to the end of the frame,
/// so that it (or its range) ends one register past it; the others at distinct registers
/// inside.
fn place(instr: Instr, outside: Option<usize>) -> Instr {
    let (mut k, mut next) = (0usize, 0u16);
    instr.map_operands(|_, role| {
        let n = match role {
            Role::Range(n) => n as u16,
            _ => 1,
        };
        let r = if outside == Some(k) {
            FRAME + 1 - n
        } else {
            next
        };
        next += n;
        k += 1;
        r
    })
}

fn verify_one(instr: Instr) -> Result<(), String> {
    let callee = func("callee", &[OWNED], 1, vec![Instr::RetNone]);
    let main = func("main", &[], FRAME, vec![instr, Instr::RetNone]);
    verify_module(&module(
        vec![main, callee],
        structs(&[("S", &["x"], None)]),
        &["s"],
    ))
}

#[test]
fn the_verifier_checks_every_register_operand_the_table_declares() {
    // These need their partners to verify at all (`case` entries after a `switch`, a
    // callee returning values): `switch_and_multiple_values_are_verified` covers them.
    let alone = |i: &Instr| {
        !matches!(
            i,
            Instr::Switch { .. } | Instr::CallMulti { .. } | Instr::RetMulti { .. }
        )
    };
    for instr in Instr::every_kind()
        .into_iter()
        .filter(alone)
        .map(with_operands)
    {
        let inside = place(instr, None);
        assert_eq!(verify_one(inside), Ok(()), "{inside:?}");
        let mut count = 0;
        instr.visit_operands(|_, _| count += 1);
        for k in 0..count {
            let bad = place(instr, Some(k));
            let err = verify_one(bad).expect_err(&format!("{bad:?} verified"));
            assert!(err.contains("outside a frame"), "{bad:?}: {err}");
        }
    }
}

#[test]
fn switch_and_multiple_values_are_verified() {
    let s = structs(&[("S", &["x"], None)]);
    let check = |main: Vec<Instr>, callee: Vec<Instr>| {
        verify_module(&module(
            vec![
                func("main", &[], FRAME, main),
                func("callee", &[], FRAME, callee),
            ],
            s.clone(),
            &[],
        ))
    };
    let switch = |count| Instr::Switch {
        src: 0,
        base: USER,
        count,
    };
    let case = Instr::Case { target: 3 };
    let pair = vec![Instr::RetMulti { src: 0, n: 2 }];
    let call = |n| Instr::CallMulti {
        dst: 1,
        n,
        func: 1,
        args: 0,
        argc: 0,
    };
    // A switch with its table verifies; one whose entries are missing or not `case`s,
    // or with no entry, does not.
    assert_eq!(
        check(
            vec![switch(2), case, case, Instr::RetNone],
            vec![Instr::RetNone]
        ),
        Ok(())
    );
    assert!(check(vec![switch(2), case, Instr::RetNone], vec![Instr::RetNone]).is_err());
    assert!(check(vec![switch(0), Instr::RetNone], vec![Instr::RetNone]).is_err());
    // `call_multi` must take as many values as the callee's `ret_multi` returns, and a
    // plain `call` none of them; a function returning values returns nothing else.
    assert_eq!(check(vec![call(2), Instr::RetNone], pair.clone()), Ok(()));
    assert!(check(vec![call(3), Instr::RetNone], pair.clone()).is_err());
    let plain = Instr::Call {
        dst: 1,
        func: 1,
        args: 0,
        argc: 0,
    };
    assert!(check(vec![plain, Instr::RetNone], pair.clone()).is_err());
    assert!(check(vec![call(2), Instr::RetNone], vec![Instr::RetNone]).is_err());
    let mixed = vec![Instr::RetMulti { src: 0, n: 2 }, Instr::RetNone];
    assert!(check(vec![call(2), Instr::RetNone], mixed).is_err());
}

#[test]
fn new_map_reads_two_registers_per_pair() {
    // r10, r11 fit a frame of 12; r11, r12 do not.
    for (args, ok) in [(10, true), (11, false)] {
        let instr = Instr::NewMap {
            dst: 0,
            args,
            argc: 1,
        };
        assert_eq!(verify_one(instr).is_ok(), ok, "{instr:?}");
        assert!(instr.touches(args + 1));
    }
}

/// The start of a program whose loop must poll the collector: r0 = 0 (the counter),
/// r1 = 50 (the limit), a garbage cycle (a list holding itself) and a collection asked for
/// at the next safepoint. r2..r4 are the loop's scratch registers.
fn prelude() -> Vec<Instr> {
    vec![
        Instr::LoadInt { dst: 0, value: 0 },
        Instr::LoadInt { dst: 1, value: 50 },
        // GC.config(threshold_bytes=0, None, background=false): due at the next safepoint,
        // marked there.
        Instr::LoadInt { dst: 2, value: 0 },
        Instr::LoadNone { dst: 3 },
        Instr::LoadBool {
            dst: 4,
            value: false,
        },
        Instr::CallNative {
            dst: 5,
            native: Native::GcConfig,
            args: 2,
            argc: 3,
        },
        // l = []; l.push(l); release l: a cycle only the collector frees.
        Instr::NewList {
            dst: 6,
            args: 0,
            argc: 0,
        },
        Instr::Copy { dst: 7, src: 6 },
        Instr::Incref { reg: 7 },
        Instr::CallNative {
            dst: 5,
            native: Native::ListPush,
            args: 6,
            argc: 2,
        },
        Instr::Decref { reg: 6 },
    ]
}

/// A loop starting at `top` whose backward branch is an instruction of `kind`, taken while
/// the counter r0 < 50; nothing else in it polls.
fn backward_loop(kind: Instr, top: u32) -> Vec<Instr> {
    let step = Instr::IAddImm {
        dst: 0,
        a: 0,
        imm: 1,
    };
    let lt = CmpOp::Lt;
    match kind {
        Instr::Jump { .. } => vec![
            step,
            Instr::JumpICmpImm {
                op: CmpOp::Ge,
                a: 0,
                imm: 50,
                target: top + 3,
            },
            Instr::Jump { target: top },
        ],
        Instr::JumpIf { .. } => vec![
            step,
            Instr::ICmp {
                op: lt,
                dst: 2,
                a: 0,
                b: 1,
            },
            Instr::JumpIf {
                cond: 2,
                target: top,
            },
        ],
        Instr::JumpIfNot { .. } => vec![
            step,
            Instr::ICmp {
                op: CmpOp::Ge,
                dst: 2,
                a: 0,
                b: 1,
            },
            Instr::JumpIfNot {
                cond: 2,
                target: top,
            },
        ],
        Instr::JumpICmp { .. } => vec![
            step,
            Instr::JumpICmp {
                op: lt,
                a: 0,
                b: 1,
                target: top,
            },
        ],
        Instr::JumpICmpImm { .. } => vec![
            step,
            Instr::JumpICmpImm {
                op: lt,
                a: 0,
                imm: 50,
                target: top,
            },
        ],
        Instr::IncJumpICmp { .. } => vec![
            Instr::LoadNone { dst: 2 },
            Instr::IncJumpICmp {
                op: lt,
                a: 0,
                imm: 1,
                b: 1,
                target: top,
            },
        ],
        Instr::IncJumpICmpImm { .. } => vec![
            Instr::LoadNone { dst: 2 },
            Instr::IncJumpICmpImm {
                op: lt,
                a: 0,
                imm: 1,
                limit: 50,
                target: top,
            },
        ],
        // An Int is never of struct type `tuple`: it jumps back until the forward exit.
        Instr::JumpUnlessType { .. } => vec![
            step,
            Instr::JumpICmpImm {
                op: CmpOp::Ge,
                a: 0,
                imm: 50,
                target: top + 3,
            },
            Instr::JumpUnlessType {
                src: 0,
                ty: builtin_types::TUPLE,
                target: top,
            },
        ],
        // A `switch` on a one-part tuple takes its only entry, back to the top.
        Instr::Case { .. } => vec![
            step,
            Instr::JumpICmpImm {
                op: CmpOp::Ge,
                a: 0,
                imm: 50,
                target: top + 6,
            },
            Instr::Decref { reg: 3 },
            Instr::NewStruct {
                dst: 3,
                ty: builtin_types::TUPLE,
                args: 1,
                argc: 1,
                stack: false,
            },
            Instr::Switch {
                src: 3,
                base: builtin_types::TUPLE,
                count: 1,
            },
            Instr::Case { target: top },
        ],
        Instr::ForStep { .. } => vec![
            Instr::LoadInt { dst: 2, value: 1 },
            Instr::ForStep {
                a: 0,
                step: 2,
                end: 1,
                target: top,
            },
        ],
        Instr::JumpFCmpNot { .. } => vec![
            step,
            Instr::IToF { dst: 2, src: 0 },
            Instr::IToF { dst: 3, src: 1 },
            // Jumps back unless counter >= limit.
            Instr::JumpFCmpNot {
                op: CmpOp::Ge,
                a: 2,
                b: 3,
                target: top,
            },
        ],
        // `for_list` over an empty list jumps (the list is done) every time: back to the
        // top until the counter's own forward exit.
        Instr::ForList { .. } => vec![
            step,
            Instr::JumpICmpImm {
                op: CmpOp::Ge,
                a: 0,
                imm: 50,
                target: top + 6,
            },
            Instr::Decref { reg: 3 },
            Instr::NewList {
                dst: 3,
                args: 0,
                argc: 0,
            },
            Instr::LoadInt { dst: 4, value: 0 },
            Instr::ForList {
                dst: 2,
                list: 3,
                index: 4,
                target: top,
            },
        ],
        // `for_split` past the last piece (position -1) jumps every time: back to the top
        // until the counter's own forward exit.
        Instr::ForSplit { .. } => vec![
            step,
            Instr::JumpICmpImm {
                op: CmpOp::Ge,
                a: 0,
                imm: 50,
                target: top + 6,
            },
            Instr::LoadStr { dst: 3, konst: 0 },
            Instr::LoadNone { dst: 4 },
            Instr::LoadInt { dst: 5, value: -1 },
            Instr::ForSplit {
                dst: 2,
                state: 3,
                target: top,
            },
        ],
        // `for_list_next` over a list of 50 (made on the first pass only) jumps back while
        // the counter, its index, is inside it.
        Instr::ForListNext { .. } => vec![
            Instr::JumpICmpImm {
                op: CmpOp::Ne,
                a: 0,
                imm: 0,
                target: top + 6,
            },
            Instr::LoadNone { dst: 4 },
            Instr::NewList {
                dst: 5,
                args: 4,
                argc: 1,
            },
            Instr::LoadInt { dst: 6, value: 50 },
            Instr::CallNative {
                dst: 3,
                native: Native::ListRepeat,
                args: 5,
                argc: 2,
            },
            Instr::Decref { reg: 5 },
            Instr::ForListNext {
                dst: 2,
                list: 3,
                index: 0,
                target: top,
            },
        ],
        // "x" is not a digit, does not start or end with "y": back to the top until the
        // counter's own forward exit.
        Instr::JumpUnlessStartsWith { .. }
        | Instr::JumpUnlessEndsWith { .. }
        | Instr::JumpUnlessIsDigit { .. } => vec![
            step,
            Instr::JumpICmpImm {
                op: CmpOp::Ge,
                a: 0,
                imm: 50,
                target: top + 5,
            },
            Instr::LoadStr { dst: 2, konst: 0 },
            Instr::LoadStr { dst: 4, konst: 1 },
            match kind {
                Instr::JumpUnlessStartsWith { .. } => Instr::JumpUnlessStartsWith {
                    s: 2,
                    prefix: 4,
                    target: top,
                },
                Instr::JumpUnlessEndsWith { .. } => Instr::JumpUnlessEndsWith {
                    s: 2,
                    suffix: 4,
                    target: top,
                },
                _ => Instr::JumpUnlessIsDigit { s: 2, target: top },
            },
        ],
        other => panic!("no loop written for {other:?}: add one"),
    }
}

#[test]
fn every_branch_taken_backward_polls_the_collector() {
    let branches: Vec<Instr> = Instr::every_kind()
        .into_iter()
        .filter(|i| i.target().is_some())
        .collect();
    assert_eq!(branches.len(), 17);
    for kind in branches {
        let mut code = prelude();
        let top = code.len() as u32;
        code.extend(backward_loop(kind, top));
        let back = code
            .iter()
            .position(|i| discriminant(i) == discriminant(&kind) && i.target() == Some(top))
            .expect("the loop closes with the kind under test");
        assert!(code[back].polls_collector(back), "{:?}", code[back]);
        let mut full = code;
        full.extend([
            // print(Memory.profile().collections)
            Instr::CallNative {
                dst: 8,
                native: Native::MemProfile,
                args: 0,
                argc: 0,
            },
            Instr::GetField {
                dst: 9,
                obj: 8,
                field: 5,
            },
            Instr::CallNative {
                dst: 10,
                native: Native::Print,
                args: 9,
                argc: 1,
            },
            Instr::Decref { reg: 8 },
            Instr::Decref { reg: 3 },
            Instr::RetNone,
        ]);
        let m = module(vec![func("main", &[], 12, full)], structs(&[]), &["x", "y"]);
        let o = run(&m);
        assert!(o.result.is_ok(), "{kind:?}: {:?}", o.result);
        assert_eq!(o.out, "1\n", "{kind:?}: no collection in the loop");
        assert_eq!(o.live, 0, "{kind:?}: the cycle was not collected");
    }
}

/// `list_get`, `list_set`, `for_list`(`_next`), `concat`, `scmp` and the string queries on
/// an object of the wrong kind
/// (only bytecode the compiler never emits gets there): a fault, not a read of a string
/// as a list.
#[test]
fn a_wrong_object_kind_is_a_fault() {
    let list_ops = [
        Instr::ListGet {
            dst: 2,
            list: 0,
            index: 1,
        },
        Instr::ListSet {
            list: 0,
            index: 1,
            src: 2,
        },
        Instr::ForList {
            dst: 2,
            list: 0,
            index: 1,
            target: 3,
        },
        Instr::ForListNext {
            dst: 2,
            list: 0,
            index: 1,
            target: 3,
        },
    ];
    for op in list_ops {
        // r0 = "s" (a string where a list belongs), r1 = 0.
        let main = func(
            "main",
            &[],
            3,
            vec![
                Instr::LoadStr { dst: 0, konst: 0 },
                Instr::LoadInt { dst: 1, value: 0 },
                op,
                Instr::RetNone,
            ],
        );
        let e = run_err(&module(vec![main], structs(&[]), &["s"]));
        assert_eq!(
            e.message, "internal error: expected list operands",
            "{op:?}"
        );
    }
    let string_ops = [
        Instr::Concat {
            dst: 2,
            a: 0,
            b: 1,
            take: 0,
        },
        Instr::SCmp {
            op: CmpOp::Lt,
            dst: 2,
            a: 0,
            b: 1,
        },
        // The string queries (`b` is a list: a wrong kind for the second operand).
        Instr::StrStartsWith {
            dst: 2,
            s: 0,
            prefix: 1,
        },
        Instr::StrEndsWith {
            dst: 2,
            s: 0,
            suffix: 1,
        },
        Instr::StrLen { dst: 2, s: 1 },
        Instr::StrIsDigit { dst: 2, s: 1 },
        Instr::JumpUnlessStartsWith {
            s: 0,
            prefix: 1,
            target: 3,
        },
        Instr::JumpUnlessEndsWith {
            s: 0,
            suffix: 1,
            target: 3,
        },
        Instr::JumpUnlessIsDigit { s: 1, target: 3 },
    ];
    for op in string_ops {
        // r0 = "s", r1 = [] (a list where a string belongs).
        let main = func(
            "main",
            &[],
            3,
            vec![
                Instr::LoadStr { dst: 0, konst: 0 },
                Instr::NewList {
                    dst: 1,
                    args: 0,
                    argc: 0,
                },
                op,
                Instr::RetNone,
            ],
        );
        let e = run_err(&module(vec![main], structs(&[]), &["s"]));
        assert_eq!(
            e.message, "internal error: expected string operands",
            "{op:?}"
        );
    }
}
