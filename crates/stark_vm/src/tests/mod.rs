//! VM tests on hand-built modules (no parser or lowering involved).

mod basics;
mod floats;
mod memory;
mod natives;
mod table;

use crate::{Vm, VmExit, VmOptions};
use stark_bytecode::instr::{builtin_types, Function, Instr, Module, StructInfo};
use stark_syntax::ast::ParamMode;
use stark_syntax::Span;
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

/// Output captured for assertions.
#[derive(Clone, Default)]
pub(crate) struct Capture(Rc<RefCell<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.borrow().clone()).unwrap()
    }
}

/// A function whose instruction `i` has span `i..i+1` (so tests can check error spans).
pub(crate) fn func(name: &str, params: &[ParamMode], num_regs: u16, code: Vec<Instr>) -> Function {
    let spans = (0..code.len()).map(|i| Span::new(i, i + 1)).collect();
    Function {
        name: name.to_string(),
        param_modes: params.to_vec(),
        num_regs,
        reg_names: vec![None; num_regs as usize],
        code,
        spans,
        span: Span::new(1000, 1001),
        inlined: Vec::new(),
        generic: false,
    }
}

pub(crate) fn structs(user: &[(&str, &[&str], Option<u32>)]) -> Vec<StructInfo> {
    let mut all = vec![
        StructInfo {
            name: "MemoryStats".into(),
            fields: builtin_types::MEMORY_STATS_FIELDS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            destructor: None,
            variant: false,
            views: false,
        },
        StructInfo {
            name: "ZoneStats".into(),
            fields: builtin_types::ZONE_STATS_FIELDS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            destructor: None,
            variant: false,
            views: false,
        },
        StructInfo {
            name: "TypeUsage".into(),
            fields: builtin_types::TYPE_USAGE_FIELDS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            destructor: None,
            variant: false,
            views: false,
        },
        StructInfo {
            name: "tuple".into(),
            fields: Vec::new(),
            destructor: None,
            variant: false,
            views: false,
        },
        // `builtin_types::RESULT_OK` and `RESULT_ERR`, so user structs start at `USER`.
        StructInfo {
            name: "Ok".into(),
            fields: vec!["value".into()],
            destructor: None,
            variant: true,
            views: false,
        },
        StructInfo {
            name: "Err".into(),
            fields: vec!["error".into()],
            destructor: None,
            variant: true,
            views: false,
        },
    ];
    for (name, fields, dtor) in user {
        all.push(StructInfo {
            name: name.to_string(),
            fields: fields.iter().map(|s| s.to_string()).collect(),
            destructor: *dtor,
            variant: false,
            views: false,
        });
    }
    all
}

/// First user struct's type id.
pub(crate) const USER: u32 = builtin_types::COUNT as u32;

pub(crate) fn module(
    functions: Vec<Function>,
    structs: Vec<StructInfo>,
    strings: &[&str],
) -> Module {
    Module {
        functions,
        structs,
        strings: strings.iter().map(|s| s.to_string()).collect(),
        formats: Vec::new(),
        main: 0,
    }
}

pub(crate) struct Outcome {
    pub result: Result<(), VmExit>,
    pub out: String,
    pub live: u64,
}

pub(crate) fn run_with(m: &Module, options: VmOptions) -> Outcome {
    let capture = Capture::default();
    let mut vm = Vm::new(m, options);
    vm.set_output(Box::new(capture.clone()));
    let result = vm.run_main();
    let live = vm.live_objects();
    Outcome {
        result,
        out: capture.text(),
        live,
    }
}

pub(crate) fn run(m: &Module) -> Outcome {
    run_with(m, VmOptions::default())
}

/// Runs a module expected to succeed without leaks; returns its output.
pub(crate) fn run_ok(m: &Module) -> String {
    let o = run(m);
    if let Err(e) = &o.result {
        panic!("run failed: {e:?}\noutput:\n{}", o.out);
    }
    assert_eq!(o.live, 0, "leaked objects; output:\n{}", o.out);
    o.out
}

/// Runs a module expected to fail with a runtime error; returns it.
pub(crate) fn run_err(m: &Module) -> crate::RuntimeError {
    match run(m).result {
        Err(VmExit::RuntimeError(e)) => e,
        other => panic!("expected a runtime error, got {other:?}"),
    }
}

pub(crate) const OWNED: ParamMode = ParamMode::Owned;
pub(crate) const BORROWED_MUT: ParamMode = ParamMode::BorrowedMut;
