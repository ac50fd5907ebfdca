//! Release order, destructors, deep structures, weak references, cycles and profiles.

use super::*;
use stark_bytecode::{CmpOp, Native};

/// `drop(&mutable self)` that prints field 0.
fn print_name_destructor() -> Function {
    func(
        "Node.drop",
        &[BORROWED_MUT],
        3,
        vec![
            Instr::GetField {
                dst: 1,
                obj: 0,
                field: 0,
            },
            Instr::CallNative {
                dst: 2,
                native: Native::Print,
                args: 1,
                argc: 1,
            },
            Instr::RetNone,
        ],
    )
}

fn print_const(reg: u16, konst: u32) -> Vec<Instr> {
    vec![
        Instr::LoadStr { dst: reg, konst },
        // `LoadStr` gives a view of a constant; make it owned for the `Drop`.
        Instr::Incref { reg },
        Instr::CallNative {
            dst: reg + 1,
            native: Native::Print,
            args: reg,
            argc: 1,
        },
        Instr::Drop { reg },
    ]
}

#[test]
fn destructor_runs_before_fields_are_released_in_field_order() {
    // Node(name, child) has a destructor; Pair(first, second) does not.
    let mut code = vec![
        // a = Node("a", Node("a.child", None)); each name constant (a view) is made owned
        // before `NewStruct` takes it over.
        Instr::LoadStr { dst: 0, konst: 0 },
        Instr::Incref { reg: 0 },
        Instr::LoadNone { dst: 1 },
        Instr::NewStruct {
            dst: 2,
            ty: USER,
            args: 0,
            argc: 2,
            stack: false,
        },
        Instr::LoadStr { dst: 3, konst: 1 },
        Instr::Incref { reg: 3 },
        Instr::Move { dst: 4, src: 2 },
        Instr::NewStruct {
            dst: 5,
            ty: USER,
            args: 3,
            argc: 2,
            stack: false,
        },
        // b = Node("b", None)
        Instr::LoadStr { dst: 6, konst: 2 },
        Instr::Incref { reg: 6 },
        Instr::LoadNone { dst: 7 },
        Instr::NewStruct {
            dst: 8,
            ty: USER,
            args: 6,
            argc: 2,
            stack: false,
        },
        // pair = Pair(a, b)
        Instr::Move { dst: 9, src: 5 },
        Instr::Move { dst: 10, src: 8 },
        Instr::NewStruct {
            dst: 11,
            ty: USER + 1,
            args: 9,
            argc: 2,
            stack: false,
        },
    ];
    code.extend(print_const(12, 3));
    code.push(Instr::Drop { reg: 11 });
    code.extend(print_const(12, 4));
    code.push(Instr::RetNone);
    let main = func("main", &[], 14, code);
    let m = module(
        vec![main, print_name_destructor()],
        structs(&[
            ("Node", &["name", "child"], Some(1)),
            ("Pair", &["first", "second"], None),
        ]),
        &["a.child", "a", "b", "before", "after"],
    );
    assert_eq!(run_ok(&m), "before\na\na.child\nb\nafter\n");
}

fn linked_list_module(n: i64, with_destructor: bool) -> Module {
    let main = func(
        "main",
        &[],
        8,
        vec![
            Instr::LoadInt { dst: 0, value: 0 },
            Instr::LoadInt { dst: 1, value: n },
            Instr::LoadNone { dst: 2 },
            Instr::LoadInt { dst: 3, value: 1 },
            Instr::ICmp {
                op: CmpOp::Lt,
                dst: 4,
                a: 0,
                b: 1,
            },
            Instr::JumpIfNot {
                cond: 4,
                target: 11,
            },
            Instr::Copy { dst: 5, src: 0 },
            Instr::Move { dst: 6, src: 2 },
            Instr::NewStruct {
                dst: 2,
                ty: USER,
                args: 5,
                argc: 2,
                stack: false,
            },
            Instr::IAdd { dst: 0, a: 0, b: 3 },
            Instr::Jump { target: 4 },
            Instr::Drop { reg: 2 },
            Instr::RetNone,
        ],
    );
    let noop = func("Cell.drop", &[BORROWED_MUT], 1, vec![Instr::RetNone]);
    let dtor = if with_destructor { Some(1) } else { None };
    module(
        vec![main, noop],
        structs(&[("Cell", &["value", "next"], dtor)]),
        &[],
    )
}

#[test]
fn million_node_list_is_freed_without_overflow() {
    run_ok(&linked_list_module(1_000_000, false));
}

#[test]
fn million_node_list_with_destructors_is_freed_without_overflow() {
    run_ok(&linked_list_module(1_000_000, true));
}

#[test]
fn weak_ref_dies_with_its_target() {
    let main = func(
        "main",
        &[],
        5,
        vec![
            // The target must be a fresh string: a constant lives in the VM's constant table
            // until the run ends, so it would neither die nor have refcount 1.
            Instr::LoadStr { dst: 2, konst: 0 },
            Instr::LoadStr { dst: 3, konst: 1 },
            Instr::Concat {
                dst: 0,
                a: 2,
                b: 3,
                take: 0,
            },
            Instr::CallNative {
                dst: 1,
                native: Native::WeakNew,
                args: 0,
                argc: 1,
            },
            Instr::CallNative {
                dst: 2,
                native: Native::WeakExists,
                args: 1,
                argc: 1,
            },
            Instr::CallNative {
                dst: 3,
                native: Native::Refcount,
                args: 0,
                argc: 1,
            },
            Instr::CallNative {
                dst: 4,
                native: Native::Print,
                args: 1,
                argc: 3,
            },
            Instr::Drop { reg: 0 },
            Instr::CallNative {
                dst: 2,
                native: Native::WeakExists,
                args: 1,
                argc: 1,
            },
            Instr::CallNative {
                dst: 3,
                native: Native::WeakGet,
                args: 1,
                argc: 1,
            },
            Instr::CallNative {
                dst: 4,
                native: Native::Print,
                args: 1,
                argc: 3,
            },
            Instr::Drop { reg: 1 },
            Instr::RetNone,
        ],
    );
    let out = run_ok(&module(vec![main], structs(&[]), &["tar", "get"]));
    assert_eq!(out, "WeakRef(alive) true 1\nWeakRef(dead) false None\n");
}

#[test]
fn weak_get_returns_a_new_strong_reference() {
    let main = func(
        "main",
        &[],
        5,
        vec![
            // A fresh string (not a constant, which the constant table also references), so
            // its refcount is r0's reference plus the one `WeakGet` returns.
            Instr::LoadStr { dst: 2, konst: 0 },
            Instr::LoadStr { dst: 3, konst: 1 },
            Instr::Concat {
                dst: 0,
                a: 2,
                b: 3,
                take: 0,
            },
            Instr::CallNative {
                dst: 1,
                native: Native::WeakNew,
                args: 0,
                argc: 1,
            },
            Instr::CallNative {
                dst: 2,
                native: Native::WeakGet,
                args: 1,
                argc: 1,
            },
            Instr::CallNative {
                dst: 3,
                native: Native::Refcount,
                args: 0,
                argc: 1,
            },
            Instr::CallNative {
                dst: 4,
                native: Native::Print,
                args: 2,
                argc: 2,
            },
            Instr::Drop { reg: 2 },
            Instr::Drop { reg: 0 },
            Instr::Drop { reg: 1 },
            Instr::RetNone,
        ],
    );
    assert_eq!(
        run_ok(&module(vec![main], structs(&[]), &["t", ""])),
        "t 2\n"
    );
}

#[test]
fn destructor_cloning_self_does_not_double_free() {
    let main = func(
        "main",
        &[],
        3,
        vec![
            Instr::LoadStr { dst: 0, konst: 0 },
            Instr::Incref { reg: 0 }, // owned, for `NewStruct` to take over
            Instr::NewStruct {
                dst: 1,
                ty: USER,
                args: 0,
                argc: 1,
                stack: false,
            },
            Instr::Drop { reg: 1 },
            Instr::RetNone,
        ],
    );
    // drop(&mutable self): let c = self.clone(); print(c.name); (c dropped)
    let dtor = func(
        "Obj.drop",
        &[BORROWED_MUT],
        4,
        vec![
            Instr::Copy { dst: 1, src: 0 },
            Instr::Incref { reg: 1 },
            Instr::GetField {
                dst: 2,
                obj: 1,
                field: 0,
            },
            Instr::CallNative {
                dst: 3,
                native: Native::Print,
                args: 2,
                argc: 1,
            },
            Instr::Decref { reg: 1 },
            Instr::RetNone,
        ],
    );
    let m = module(
        vec![main, dtor],
        structs(&[("Obj", &["name"], Some(1))]),
        &["cloned"],
    );
    assert_eq!(run_ok(&m), "cloned\n");
}

#[test]
fn resurrected_object_survives_and_collect_frees_it_without_rerunning_destructor() {
    let mut code = vec![
        Instr::LoadStr { dst: 0, konst: 0 },
        Instr::Incref { reg: 0 }, // owned, for `NewStruct` to take over
        Instr::LoadNone { dst: 1 },
        Instr::NewStruct {
            dst: 2,
            ty: USER,
            args: 0,
            argc: 2,
            stack: false,
        },
        Instr::Drop { reg: 2 },
        // Memory.profile().live_objects: the phoenix and its name are alive.
        Instr::CallNative {
            dst: 3,
            native: Native::MemProfile,
            args: 0,
            argc: 0,
        },
        Instr::GetField {
            dst: 4,
            obj: 3,
            field: 1,
        },
        Instr::CallNative {
            dst: 5,
            native: Native::Print,
            args: 4,
            argc: 1,
        },
        Instr::Drop { reg: 3 },
        Instr::LoadNone { dst: 6 },
        Instr::CallNative {
            dst: 7,
            native: Native::MemCollect,
            args: 6,
            argc: 1,
        },
        Instr::CallNative {
            dst: 8,
            native: Native::Print,
            args: 7,
            argc: 1,
        },
    ];
    code.push(Instr::RetNone);
    let main = func("main", &[], 9, code);
    // drop(&mutable self): print(self.name); self.me = self.clone()
    let dtor = func(
        "Phoenix.drop",
        &[BORROWED_MUT],
        4,
        vec![
            Instr::GetField {
                dst: 1,
                obj: 0,
                field: 0,
            },
            Instr::CallNative {
                dst: 2,
                native: Native::Print,
                args: 1,
                argc: 1,
            },
            Instr::Copy { dst: 3, src: 0 },
            Instr::Incref { reg: 3 },
            Instr::SetField {
                obj: 0,
                field: 1,
                src: 3,
            },
            Instr::RetNone,
        ],
    );
    let m = module(
        vec![main, dtor],
        structs(&[("Phoenix", &["name", "me"], Some(1))]),
        &["phoenix"],
    );
    // Collect frees only the phoenix (1): its name is a string constant, which the VM's
    // constant table still references until the run ends (it was 2 when `LoadStr` allocated
    // a fresh string per load). `run_ok` still checks nothing is left alive at the end.
    assert_eq!(run_ok(&m), "phoenix\n2\n1\n");
}

#[test]
fn collect_frees_cycles_and_runs_their_destructors() {
    let main = func(
        "main",
        &[],
        9,
        vec![
            Instr::LoadStr { dst: 0, konst: 0 },
            Instr::Incref { reg: 0 }, // owned, for `NewStruct` to take over
            Instr::LoadNone { dst: 1 },
            Instr::NewStruct {
                dst: 2,
                ty: USER,
                args: 0,
                argc: 2,
                stack: false,
            },
            Instr::LoadStr { dst: 3, konst: 1 },
            Instr::Incref { reg: 3 },
            Instr::Copy { dst: 4, src: 2 },
            Instr::Incref { reg: 4 },
            Instr::NewStruct {
                dst: 5,
                ty: USER,
                args: 3,
                argc: 2,
                stack: false,
            },
            Instr::Copy { dst: 6, src: 5 },
            Instr::Incref { reg: 6 },
            Instr::SetField {
                obj: 2,
                field: 1,
                src: 6,
            },
            Instr::Drop { reg: 2 },
            Instr::Drop { reg: 5 },
            Instr::CallNative {
                dst: 8,
                native: Native::MemCollect,
                args: 7,
                argc: 0,
            },
            Instr::CallNative {
                dst: 7,
                native: Native::Print,
                args: 8,
                argc: 1,
            },
            // A second collection finds nothing.
            Instr::CallNative {
                dst: 8,
                native: Native::MemCollect,
                args: 7,
                argc: 0,
            },
            Instr::CallNative {
                dst: 7,
                native: Native::Print,
                args: 8,
                argc: 1,
            },
            Instr::RetNone,
        ],
    );
    let m = module(
        vec![main, print_name_destructor()],
        structs(&[("Node", &["name", "next"], Some(1))]),
        &["a", "b"],
    );
    // Collect frees the two nodes (2): their names are string constants, which the VM's
    // constant table still references until the run ends (it was 4 when `LoadStr` allocated
    // a fresh string per load). `run_ok` still checks nothing is left alive at the end.
    assert_eq!(run_ok(&m), "a\nb\n2\n0\n");
}

#[test]
fn profile_prints_as_a_table_and_counts_live_objects() {
    let main = func(
        "main",
        &[],
        4,
        vec![
            Instr::LoadStr { dst: 0, konst: 0 },
            Instr::Incref { reg: 0 }, // owned, for the `Drop` below
            Instr::CallNative {
                dst: 1,
                native: Native::MemProfile,
                args: 0,
                argc: 0,
            },
            Instr::CallNative {
                dst: 2,
                native: Native::Print,
                args: 1,
                argc: 1,
            },
            Instr::GetField {
                dst: 2,
                obj: 1,
                field: 3,
            },
            Instr::CallNative {
                dst: 3,
                native: Native::MapLen,
                args: 2,
                argc: 1,
            },
            Instr::CallNative {
                dst: 2,
                native: Native::Print,
                args: 3,
                argc: 1,
            },
            Instr::Drop { reg: 1 },
            Instr::Drop { reg: 0 },
            Instr::RetNone,
        ],
    );
    let out = run_ok(&module(vec![main], structs(&[]), &["x"]));
    assert!(out.starts_with("MemoryStats\n"), "{out}");
    assert!(out.contains("  live_objects      1\n"), "{out}");
    for zone in ["global", "actor", "tensor", "io"] {
        assert!(out.contains(&format!("\n  {zone} ")), "{out}");
    }
    assert!(out.ends_with("\n4\n"), "{out}");
}

#[test]
fn usage_by_type_names_types() {
    let main = func(
        "main",
        &[],
        5,
        vec![
            Instr::LoadInt { dst: 0, value: 1 },
            Instr::NewStruct {
                dst: 1,
                ty: USER,
                args: 0,
                argc: 1,
                stack: false,
            },
            Instr::CallNative {
                dst: 2,
                native: Native::MemUsageByType,
                args: 0,
                argc: 0,
            },
            Instr::CallNative {
                dst: 3,
                native: Native::Print,
                args: 2,
                argc: 1,
            },
            Instr::Drop { reg: 2 },
            Instr::Drop { reg: 1 },
            Instr::RetNone,
        ],
    );
    let m = module(vec![main], structs(&[("Point", &["x"], None)]), &[]);
    // 16-byte header + one 16-byte field.
    assert_eq!(run_ok(&m), "{\"Point\": TypeUsage(count=1, bytes=32)}\n");
}

#[test]
fn deep_copy_is_independent_and_equal() {
    let main = func(
        "main",
        &[],
        12,
        vec![
            Instr::LoadStr { dst: 0, konst: 0 },
            Instr::Incref { reg: 0 }, // owned, for `NewList` to take over
            Instr::LoadInt { dst: 1, value: 1 },
            Instr::LoadInt { dst: 2, value: 2 },
            Instr::NewList {
                dst: 3,
                args: 1,
                argc: 2,
            },
            Instr::Move { dst: 1, src: 0 },
            Instr::Move { dst: 2, src: 3 },
            Instr::NewList {
                dst: 4,
                args: 1,
                argc: 2,
            }, // ["s", [1, 2]]
            Instr::CallNative {
                dst: 5,
                native: Native::DeepCopy,
                args: 4,
                argc: 1,
            },
            Instr::Equal {
                dst: 6,
                a: 4,
                b: 5,
                negate: false,
            },
            Instr::CallNative {
                dst: 7,
                native: Native::Refcount,
                args: 4,
                argc: 1,
            },
            // copy[1].push(3) leaves the original alone
            Instr::LoadInt { dst: 8, value: 1 },
            Instr::ListGet {
                dst: 9,
                list: 5,
                index: 8,
            },
            Instr::LoadInt { dst: 10, value: 3 },
            Instr::CallNative {
                dst: 11,
                native: Native::ListPush,
                args: 9,
                argc: 2,
            },
            Instr::CallNative {
                dst: 11,
                native: Native::Print,
                args: 4,
                argc: 4,
            },
            Instr::Drop { reg: 4 },
            Instr::Drop { reg: 5 },
            Instr::RetNone,
        ],
    );
    let out = run_ok(&module(vec![main], structs(&[]), &["s"]));
    assert_eq!(out, "[\"s\", [1, 2]] [\"s\", [1, 2, 3]] true 1\n");
}

#[test]
fn max_memory_is_an_out_of_memory_exit() {
    // Push forever onto a list.
    let main = func(
        "main",
        &[],
        4,
        vec![
            Instr::NewList {
                dst: 0,
                args: 0,
                argc: 0,
            },
            Instr::LoadInt { dst: 1, value: 7 },
            Instr::CallNative {
                dst: 2,
                native: Native::ListPush,
                args: 0,
                argc: 2,
            },
            Instr::Jump { target: 1 },
        ],
    );
    let m = module(vec![main], structs(&[]), &[]);
    let o = run_with(
        &m,
        VmOptions {
            args: vec![],
            max_memory: Some(1 << 20),
        },
    );
    match o.result {
        Err(VmExit::OutOfMemory(e)) => {
            assert!(e.message.contains("1048576"), "{e:?}");
            // Located like any runtime error: the failing instruction's frame.
            assert_eq!(e.trace.len(), 1, "{e:?}");
            assert_eq!(e.trace[0].function, "main");
        }
        other => panic!("expected out of memory, got {other:?}"),
    }
}

#[test]
fn trace_prints_lines_and_unknown_zone_is_an_error() {
    let main = func(
        "main",
        &[],
        4,
        vec![
            Instr::LoadStr { dst: 0, konst: 0 },
            Instr::LoadBool {
                dst: 1,
                value: true,
            },
            Instr::CallNative {
                dst: 2,
                native: Native::MemTrace,
                args: 0,
                argc: 2,
            },
            Instr::RetNone,
        ],
    );
    let e = run_err(&module(vec![main], structs(&[]), &["heap"]));
    assert!(
        e.message.contains("unknown memory zone \"heap\""),
        "{}",
        e.message
    );
}

#[test]
fn huge_range_is_out_of_memory_not_an_abort() {
    let main = func(
        "main",
        &[],
        4,
        vec![
            Instr::LoadInt { dst: 0, value: 0 },
            Instr::LoadInt {
                dst: 1,
                value: i64::MAX,
            },
            Instr::CallNative {
                dst: 2,
                native: Native::RangeList,
                args: 0,
                argc: 2,
            },
            Instr::Drop { reg: 2 },
            Instr::RetNone,
        ],
    );
    let o = run(&module(vec![main], structs(&[]), &[]));
    assert!(
        matches!(o.result, Err(VmExit::OutOfMemory(_))),
        "{:?}",
        o.result
    );
}

#[test]
fn cycles_left_at_exit_are_collected_with_destructors() {
    let main = func(
        "main",
        &[],
        4,
        vec![
            Instr::LoadStr { dst: 0, konst: 0 },
            Instr::Incref { reg: 0 }, // owned, for `NewStruct` to take over
            Instr::LoadNone { dst: 1 },
            Instr::NewStruct {
                dst: 2,
                ty: USER,
                args: 0,
                argc: 2,
                stack: false,
            },
            Instr::Copy { dst: 3, src: 2 },
            Instr::Incref { reg: 3 },
            Instr::SetField {
                obj: 2,
                field: 1,
                src: 3,
            },
            Instr::Drop { reg: 2 },
            Instr::RetNone,
        ],
    );
    let m = module(
        vec![main, print_name_destructor()],
        structs(&[("Node", &["name", "next"], Some(1))]),
        &["self-loop"],
    );
    assert_eq!(run_ok(&m), "self-loop\n");
}

#[test]
fn invalid_bytecode_is_rejected_before_running() {
    let main = func(
        "main",
        &[],
        1,
        vec![Instr::LoadInt { dst: 5, value: 1 }, Instr::RetNone],
    );
    let e = run_err(&module(vec![main], structs(&[]), &[]));
    assert!(
        e.message.starts_with("internal error: invalid bytecode"),
        "{}",
        e.message
    );
}

#[test]
fn code_that_can_run_off_its_end_is_rejected() {
    // The dispatch loop fetches instructions unchecked (V2): no falling off the end, and no
    // jump to it.
    let falls_off = func("main", &[], 1, vec![Instr::LoadInt { dst: 0, value: 1 }]);
    let jumps_to_end = func(
        "main",
        &[],
        1,
        vec![Instr::Jump { target: 2 }, Instr::RetNone],
    );
    let loop_exits_to_end = func(
        "main",
        &[],
        3,
        vec![
            Instr::NewList {
                dst: 0,
                args: 0,
                argc: 0,
            },
            Instr::LoadInt { dst: 1, value: 0 },
            Instr::ForList {
                dst: 2,
                list: 0,
                index: 1,
                target: 4,
            },
            Instr::RetNone,
        ],
    );
    for main in [falls_off, jumps_to_end, loop_exits_to_end] {
        let e = run_err(&module(vec![main], structs(&[]), &[]));
        assert!(
            e.message.starts_with("internal error: invalid bytecode"),
            "{}",
            e.message
        );
    }
}

#[test]
fn stack_structs_are_not_heap_objects_but_are_released() {
    // p = Point(1) marked `stack`; print(Memory.profile().live_objects); drop p (destructor runs)
    let main = func(
        "main",
        &[],
        5,
        vec![
            Instr::LoadStr { dst: 0, konst: 0 },
            Instr::Incref { reg: 0 }, // owned, for `NewStruct` to take over
            Instr::NewStruct {
                dst: 1,
                ty: USER,
                args: 0,
                argc: 1,
                stack: true,
            },
            Instr::CallNative {
                dst: 2,
                native: Native::MemProfile,
                args: 0,
                argc: 0,
            },
            Instr::GetField {
                dst: 3,
                obj: 2,
                field: 1,
            },
            Instr::CallNative {
                dst: 4,
                native: Native::Print,
                args: 3,
                argc: 1,
            },
            Instr::Drop { reg: 2 },
            Instr::Drop { reg: 1 },
            Instr::RetNone,
        ],
    );
    let m = module(
        vec![main, print_name_destructor()],
        structs(&[("Local", &["name"], Some(1))]),
        &["local"],
    );
    // Only the name string is a heap object.
    assert_eq!(run_ok(&m), "1\nlocal\n");
}
