//! Built-ins: printing, conversions, strings, lists and maps.

use super::*;
use stark_bytecode::Native;

/// main: load `consts` as strings into r0.. (each made owned, as `LoadStr` gives a view),
/// call `native` on them into r(n), print it, then drop everything.
fn native_on_strings(native: Native, consts: &[&str]) -> Outcome {
    let n = consts.len() as u16;
    let mut code: Vec<Instr> = (0..n)
        .flat_map(|i| {
            [
                Instr::LoadStr {
                    dst: i,
                    konst: i as u32,
                },
                Instr::Incref { reg: i },
            ]
        })
        .collect();
    code.push(Instr::CallNative {
        dst: n,
        native,
        args: 0,
        argc: n,
    });
    code.push(Instr::CallNative {
        dst: n + 1,
        native: Native::Print,
        args: n,
        argc: 1,
    });
    for r in 0..=n {
        code.push(Instr::Drop { reg: r });
    }
    code.push(Instr::RetNone);
    let main = func("main", &[], n + 2, code);
    run(&module(vec![main], structs(&[]), consts))
}

fn ok_text(o: Outcome) -> String {
    assert!(o.result.is_ok(), "{:?}", o.result);
    assert_eq!(o.live, 0);
    o.out
}

fn err_text(o: Outcome) -> String {
    match o.result {
        Err(VmExit::RuntimeError(e)) => e.message,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn string_methods() {
    assert_eq!(
        ok_text(native_on_strings(Native::StrSplit, &["a,b,,c", ","])),
        "[\"a\", \"b\", \"\", \"c\"]\n"
    );
    assert_eq!(
        ok_text(native_on_strings(Native::StrSplit, &["  a  b "])),
        "[\"a\", \"b\"]\n"
    );
    assert_eq!(
        ok_text(native_on_strings(Native::StrUpper, &["abc"])),
        "ABC\n"
    );
    assert_eq!(
        ok_text(native_on_strings(Native::StrLower, &["AbC"])),
        "abc\n"
    );
    assert_eq!(
        ok_text(native_on_strings(Native::StrTrim, &["  x y \n"])),
        "x y\n"
    );
    assert_eq!(
        ok_text(native_on_strings(Native::StrContains, &["hello", "ell"])),
        "true\n"
    );
    assert_eq!(
        ok_text(native_on_strings(Native::StrLen, &["héllo"])),
        "5\n"
    );
    assert_eq!(
        ok_text(native_on_strings(Native::Format, &["x = ", "1"])),
        "x = 1\n"
    );
}

#[test]
fn conversions() {
    assert_eq!(
        ok_text(native_on_strings(Native::ParseInt, &[" 42 "])),
        "42\n"
    );
    assert_eq!(
        ok_text(native_on_strings(Native::ParseInt, &["-1_000"])),
        "-1000\n"
    );
    assert_eq!(
        err_text(native_on_strings(Native::ParseInt, &["abc"])),
        "invalid literal for int(): \"abc\""
    );
    assert_eq!(
        ok_text(native_on_strings(Native::ParseFloat, &["2.5"])),
        "2.5\n"
    );
    assert_eq!(
        ok_text(native_on_strings(Native::ParseFloat, &["-inf"])),
        "-inf\n"
    );
    assert!(err_text(native_on_strings(Native::ParseFloat, &["x1"])).contains("\"x1\""));
    assert_eq!(ok_text(native_on_strings(Native::ToStr, &["s"])), "s\n");
}

#[test]
fn float_to_int_truncates_and_rejects_nan() {
    for (x, want) in [
        (2.9, Ok("2")),
        (-2.9, Ok("-2")),
        (f64::NAN, Err("NaN")),
        (1e20, Err("out of range")),
    ] {
        let main = func(
            "main",
            &[],
            3,
            vec![
                Instr::LoadFloat { dst: 0, value: x },
                Instr::CallNative {
                    dst: 1,
                    native: Native::FloatToInt,
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
        let o = run(&module(vec![main], structs(&[]), &[]));
        match want {
            Ok(text) => assert_eq!(ok_text(o), format!("{text}\n")),
            Err(part) => assert!(err_text(o).contains(part)),
        }
    }
}

#[test]
fn assert_failure_message() {
    let main = func(
        "main",
        &[],
        3,
        vec![
            Instr::LoadBool {
                dst: 0,
                value: false,
            },
            Instr::LoadStr { dst: 1, konst: 0 },
            Instr::CallNative {
                dst: 2,
                native: Native::Assert,
                args: 0,
                argc: 2,
            },
            Instr::RetNone,
        ],
    );
    let e = run_err(&module(vec![main], structs(&[]), &["x must be positive"]));
    assert_eq!(e.message, "assertion failed: x must be positive");
}

#[test]
fn print_formats_every_kind() {
    // print(1, 2.5, true, None, "s", ["q", 1], {"k": 1, 2: "v"}, Node(value=1, next=None))
    let main = func(
        "main",
        &[],
        20,
        vec![
            Instr::LoadStr { dst: 10, konst: 1 },
            Instr::Incref { reg: 10 },
            Instr::LoadInt { dst: 11, value: 1 },
            Instr::NewList {
                dst: 5,
                args: 10,
                argc: 2,
            },
            Instr::LoadStr { dst: 10, konst: 2 },
            Instr::Incref { reg: 10 },
            Instr::LoadInt { dst: 11, value: 1 },
            Instr::LoadInt { dst: 12, value: 2 },
            Instr::LoadStr { dst: 13, konst: 3 },
            Instr::Incref { reg: 13 },
            Instr::NewMap {
                dst: 6,
                args: 10,
                argc: 2,
            },
            Instr::LoadInt { dst: 10, value: 1 },
            Instr::LoadNone { dst: 11 },
            Instr::NewStruct {
                dst: 7,
                ty: USER,
                args: 10,
                argc: 2,
                stack: false,
            },
            Instr::LoadInt { dst: 0, value: 1 },
            Instr::LoadFloat { dst: 1, value: 2.5 },
            Instr::LoadBool {
                dst: 2,
                value: true,
            },
            Instr::LoadNone { dst: 3 },
            Instr::LoadStr { dst: 4, konst: 0 },
            Instr::Incref { reg: 4 },
            Instr::CallNative {
                dst: 15,
                native: Native::Print,
                args: 0,
                argc: 8,
            },
            Instr::CallNative {
                dst: 16,
                native: Native::ToStr,
                args: 5,
                argc: 1,
            },
            Instr::CallNative {
                dst: 17,
                native: Native::Print,
                args: 16,
                argc: 1,
            },
            Instr::Drop { reg: 16 },
            Instr::Drop { reg: 4 },
            Instr::Drop { reg: 5 },
            Instr::Drop { reg: 6 },
            Instr::Drop { reg: 7 },
            Instr::RetNone,
        ],
    );
    let m = module(
        vec![main],
        structs(&[("Node", &["value", "next"], None)]),
        &["s", "q\"\n", "k", "v"],
    );
    let out = run_ok(&m);
    assert_eq!(
        out,
        "1 2.5 true None s [\"q\\\"\\n\", 1] {\"k\": 1, 2: \"v\"} Node(value=1, next=None)\n[\"q\\\"\\n\", 1]\n"
    );
}

#[test]
fn list_methods() {
    // l = [3, 1, 2]; l.push(5); l.sort(); l.insert(0, 9); x = l.pop(1); y = l.pop();
    // print(l, x, y, l.len(), l.get(10), l.contains(2))
    let main = func(
        "main",
        &[],
        20,
        vec![
            Instr::LoadInt { dst: 10, value: 3 },
            Instr::LoadInt { dst: 11, value: 1 },
            Instr::LoadInt { dst: 12, value: 2 },
            Instr::NewList {
                dst: 0,
                args: 10,
                argc: 3,
            },
            Instr::Copy { dst: 10, src: 0 },
            Instr::LoadInt { dst: 11, value: 5 },
            Instr::CallNative {
                dst: 19,
                native: Native::ListPush,
                args: 10,
                argc: 2,
            },
            Instr::CallNative {
                dst: 19,
                native: Native::ListSort,
                args: 10,
                argc: 1,
            },
            Instr::LoadInt { dst: 11, value: 0 },
            Instr::LoadInt { dst: 12, value: 9 },
            Instr::CallNative {
                dst: 19,
                native: Native::ListInsert,
                args: 10,
                argc: 3,
            },
            Instr::LoadInt { dst: 11, value: 1 },
            Instr::CallNative {
                dst: 1,
                native: Native::ListPop,
                args: 10,
                argc: 2,
            },
            Instr::CallNative {
                dst: 2,
                native: Native::ListPop,
                args: 10,
                argc: 1,
            },
            Instr::CallNative {
                dst: 3,
                native: Native::ListLen,
                args: 10,
                argc: 1,
            },
            Instr::LoadInt { dst: 11, value: 10 },
            Instr::CallNative {
                dst: 4,
                native: Native::ListGetOpt,
                args: 10,
                argc: 2,
            },
            Instr::LoadInt { dst: 11, value: 2 },
            Instr::CallNative {
                dst: 5,
                native: Native::ListContains,
                args: 10,
                argc: 2,
            },
            Instr::CallNative {
                dst: 19,
                native: Native::Print,
                args: 0,
                argc: 6,
            },
            Instr::CallNative {
                dst: 19,
                native: Native::ListClear,
                args: 10,
                argc: 1,
            },
            Instr::CallNative {
                dst: 19,
                native: Native::Print,
                args: 0,
                argc: 1,
            },
            Instr::Drop { reg: 0 },
            Instr::RetNone,
        ],
    );
    assert_eq!(
        run_ok(&module(vec![main], structs(&[]), &[])),
        "[9, 2, 3] 1 5 3 None true\n[]\n"
    );
}

#[test]
fn pop_from_empty_list_fails() {
    let main = func(
        "main",
        &[],
        2,
        vec![
            Instr::NewList {
                dst: 0,
                args: 0,
                argc: 0,
            },
            Instr::CallNative {
                dst: 1,
                native: Native::ListPop,
                args: 0,
                argc: 1,
            },
            Instr::RetNone,
        ],
    );
    assert_eq!(
        run_err(&module(vec![main], structs(&[]), &[])).message,
        "pop from empty list"
    );
}

#[test]
fn map_methods() {
    // m = {"a": 1}; m.insert("b", 2); m["a"] = 3; print(m, m.get("z"), m["b"], m.contains("a"),
    // m.keys(), m.values(), m.len()); m.remove("a"); print(m)
    let main = func(
        "main",
        &[],
        24,
        vec![
            // Each key constant is made owned (`LoadStr` gives a view) before it is moved into
            // the map or dropped; the last lookup's key stays a view.
            Instr::LoadStr { dst: 10, konst: 0 },
            Instr::Incref { reg: 10 },
            Instr::LoadInt { dst: 11, value: 1 },
            Instr::NewMap {
                dst: 0,
                args: 10,
                argc: 1,
            },
            Instr::Copy { dst: 10, src: 0 },
            Instr::LoadStr { dst: 11, konst: 1 },
            Instr::Incref { reg: 11 },
            Instr::LoadInt { dst: 12, value: 2 },
            Instr::CallNative {
                dst: 20,
                native: Native::MapInsert,
                args: 10,
                argc: 3,
            },
            Instr::LoadStr { dst: 11, konst: 0 },
            Instr::Incref { reg: 11 },
            Instr::LoadInt { dst: 12, value: 3 },
            Instr::CallNative {
                dst: 20,
                native: Native::MapSet,
                args: 10,
                argc: 3,
            },
            Instr::LoadStr { dst: 11, konst: 2 },
            Instr::Incref { reg: 11 },
            Instr::CallNative {
                dst: 1,
                native: Native::MapGet,
                args: 10,
                argc: 2,
            },
            Instr::Drop { reg: 11 },
            Instr::LoadStr { dst: 11, konst: 1 },
            Instr::Incref { reg: 11 },
            Instr::CallNative {
                dst: 2,
                native: Native::MapIndex,
                args: 10,
                argc: 2,
            },
            Instr::Drop { reg: 11 },
            Instr::LoadStr { dst: 11, konst: 0 },
            Instr::Incref { reg: 11 },
            Instr::CallNative {
                dst: 3,
                native: Native::MapContains,
                args: 10,
                argc: 2,
            },
            Instr::Drop { reg: 11 },
            Instr::CallNative {
                dst: 4,
                native: Native::MapKeys,
                args: 10,
                argc: 1,
            },
            Instr::CallNative {
                dst: 5,
                native: Native::MapValues,
                args: 10,
                argc: 1,
            },
            Instr::CallNative {
                dst: 6,
                native: Native::MapLen,
                args: 10,
                argc: 1,
            },
            Instr::CallNative {
                dst: 20,
                native: Native::Print,
                args: 0,
                argc: 7,
            },
            Instr::Drop { reg: 4 },
            Instr::Drop { reg: 5 },
            Instr::LoadStr { dst: 11, konst: 0 },
            Instr::Incref { reg: 11 },
            Instr::CallNative {
                dst: 1,
                native: Native::MapRemove,
                args: 10,
                argc: 2,
            },
            Instr::Drop { reg: 11 },
            Instr::CallNative {
                dst: 20,
                native: Native::Print,
                args: 0,
                argc: 2,
            },
            Instr::LoadStr { dst: 11, konst: 2 },
            Instr::CallNative {
                dst: 1,
                native: Native::MapIndex,
                args: 10,
                argc: 2,
            },
            Instr::RetNone,
        ],
    );
    let o = run(&module(vec![main], structs(&[]), &["a", "b", "z"]));
    assert_eq!(
        o.out,
        "{\"a\": 3, \"b\": 2} None 2 true [\"a\", \"b\"] [3, 2] 2\n{\"b\": 2} 3\n"
    );
    assert_eq!(err_text(o), "key \"z\" not found in map");
}

#[test]
fn int_keyed_map_missing_key_is_unquoted() {
    let main = func(
        "main",
        &[],
        4,
        vec![
            Instr::NewMap {
                dst: 0,
                args: 0,
                argc: 0,
            },
            Instr::LoadInt { dst: 1, value: 7 },
            Instr::CallNative {
                dst: 2,
                native: Native::MapIndex,
                args: 0,
                argc: 2,
            },
            Instr::RetNone,
        ],
    );
    assert_eq!(
        run_err(&module(vec![main], structs(&[]), &[])).message,
        "key 7 not found in map"
    );
}

#[test]
fn args_and_range() {
    let main = func(
        "main",
        &[],
        8,
        vec![
            Instr::CallNative {
                dst: 0,
                native: Native::Args,
                args: 0,
                argc: 0,
            },
            Instr::LoadInt { dst: 1, value: 10 },
            Instr::LoadInt { dst: 2, value: 0 },
            Instr::LoadInt { dst: 3, value: -3 },
            Instr::CallNative {
                dst: 4,
                native: Native::RangeList,
                args: 1,
                argc: 3,
            },
            Instr::Move { dst: 1, src: 4 },
            Instr::CallNative {
                dst: 5,
                native: Native::Print,
                args: 0,
                argc: 2,
            },
            Instr::Drop { reg: 0 },
            Instr::Drop { reg: 1 },
            Instr::RetNone,
        ],
    );
    let m = module(vec![main], structs(&[]), &[]);
    let o = run_with(
        &m,
        VmOptions {
            args: vec!["x".into(), "y z".into()],
            max_memory: None,
        },
    );
    assert!(o.result.is_ok());
    assert_eq!(o.live, 0);
    assert_eq!(o.out, "[\"x\", \"y z\"] [10, 7, 4, 1]\n");
}

/// `interp.rs` runs the rows whose `needs_vm` fact holds; `natives::call` runs every other
/// row's native and refuses those.
#[test]
fn natives_call_runs_exactly_the_rows_that_do_not_need_the_vm() {
    let m = module(vec![], structs(&[]), &[]);
    for &b in stark_syntax::Builtin::ROWS {
        let Some(native) = Native::of_builtin(b) else {
            continue;
        };
        let mut heap = stark_runtime::Heap::new(None);
        let mut out = crate::output::Output::new(Box::new(std::io::sink()));
        let mut argv = None;
        let mut cx = crate::natives::NativeCx {
            heap: &mut heap,
            module: &m,
            out: &mut out,
            args: &[],
            argv: &mut argv,
        };
        // Without operands most fail on a missing one; only the VM's own rows say whose they are.
        let refused = matches!(
            crate::natives::call(&mut cx, native, &[]),
            Err(crate::error::Fault::Error(msg)) if msg.contains("handled by the VM")
        );
        assert_eq!(refused, b.facts().needs_vm, "{b:?}");
    }
}

/// The other half: every native that needs the VM (its row's `needs_vm`, and `spawn`) has a
/// handler in `Vm::vm_native`, where the dispatch loop sends it.
#[test]
fn the_vm_runs_every_native_that_needs_it() {
    let main = func("main", &[], 1, vec![Instr::RetNone]);
    let m = module(vec![main], structs(&[]), &[]);
    let rows = stark_syntax::Builtin::ROWS
        .iter()
        .filter_map(|&b| Native::of_builtin(b));
    let spawn = Native::Spawn {
        func: 0,
        quota: false,
    };
    let mut seen = 0;
    for native in rows.chain([spawn]) {
        if !native.needs_vm() {
            continue;
        }
        seen += 1;
        let mut vm = Vm::new(&m, VmOptions::default());
        vm.set_output(Box::new(std::io::sink()));
        // Without operands they fail on a missing one (or, `Memory.collect`, collect);
        // none may fall through to "no handler".
        if let Err(VmExit::RuntimeError(e)) = vm.vm_native(native, 0, 0) {
            assert!(
                !e.message.contains("no handler"),
                "{native:?}: {}",
                e.message
            );
        }
    }
    assert_eq!(seen, 4, "Memory.collect, join, error and spawn");
}
