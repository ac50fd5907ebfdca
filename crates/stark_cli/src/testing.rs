//! `stark test` (SPEC §10): every `fn test_…()` of the given files, each run as a whole
//! program of its own on a fresh `Vm` (a fresh heap), so that one test's objects, leaks
//! or collector state never reach another. A test fails on a failed `assert` or any
//! runtime error, on returning an `Err`, on `exit()`, and on leaving objects alive once
//! it returned and its cycles were collected (the leak check `stark run` has under
//! `STARK_CHECK_LEAKS`, always on here).

use crate::driver::{self, Mode, EXIT_COMPILE, EXIT_OK, EXIT_RUNTIME};
use crate::json;
use crate::render::{self, SourceFile};
use serde_json::json;
use stark_vm::{RuntimeError, Vm, VmExit, VmOptions};
use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;

const TEST: Mode = Mode {
    optimise: true,
    need_main: false,
};

/// The prefix that makes a function a test.
const PREFIX: &str = "test_";

pub fn run(paths: &[PathBuf], filter: Option<&str>) -> u8 {
    let files = match discover(paths) {
        Ok(files) => files,
        Err(code) => return code,
    };
    // Every file is compiled before any test runs: a compile error anywhere is reported
    // (all of them, each file's) and nothing runs, as with `cargo test`.
    let mut suites = Vec::new();
    let mut broken = false;
    for path in files {
        let name = path.display().to_string();
        match driver::compile(&path, &name, TEST) {
            Ok((sources, compiled)) => {
                let tests = tests_of(&compiled.program);
                suites.push((name, sources, compiled.module, tests));
            }
            Err(_) => broken = true,
        }
    }
    if broken {
        return EXIT_COMPILE;
    }
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for (file, sources, module, tests) in &suites {
        for (test, generic) in tests {
            let f = module
                .functions
                .iter()
                .enumerate()
                .find(|(_, f)| &f.name == test);
            let name = format!("{file}::{test}");
            if filter.is_some_and(|k| !name.contains(k)) {
                tally.filtered += 1;
                continue;
            }
            let why = match f {
                _ if *generic => Some("a test function cannot be generic"),
                Some((_, f)) if !f.param_modes.is_empty() => {
                    Some("a test function takes no parameters")
                }
                Some(_) => None,
                None => Some("internal error: the test was not compiled"),
            };
            let (failure, output) = match (why, f) {
                (None, Some((id, _))) => run_one(module, id as u32),
                (why, _) => (
                    Some(Failure::Text(why.unwrap_or_default().to_string())),
                    String::new(),
                ),
            };
            report(&name, file, failure.as_ref(), &output, sources);
            match failure {
                None => tally.passed += 1,
                Some(failure) => {
                    tally.failed += 1;
                    failures.push((name, failure, output, sources));
                }
            }
        }
    }
    if !json::enabled() && !failures.is_empty() {
        print!("\nfailures:\n");
        for (name, failure, output, sources) in &failures {
            print!("\n---- {name} ----\n{output}");
            if !output.is_empty() && !output.ends_with('\n') {
                print!("\n");
            }
            print!("{}", failure.text(sources));
        }
    }
    tally.summary();
    if tally.failed > 0 {
        EXIT_RUNTIME
    } else {
        EXIT_OK
    }
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    filtered: usize,
}

impl Tally {
    fn summary(&self) {
        if json::enabled() {
            let v = json!({"type": "summary", "passed": self.passed, "failed": self.failed,
                           "filtered_out": self.filtered});
            print!("{v}\n");
            return;
        }
        let filtered = if self.filtered > 0 {
            format!(", {} filtered out", self.filtered)
        } else {
            String::new()
        };
        print!(
            "\n{} passed, {} failed{filtered}\n",
            self.passed, self.failed
        );
    }
}

/// Why a test failed.
enum Failure {
    /// A runtime error, shown as `stark run` shows it (place, source line, stack trace).
    Error(RuntimeError),
    Text(String),
}

impl Failure {
    fn text(&self, sources: &[SourceFile]) -> String {
        match self {
            Failure::Error(e) => render::runtime_error_text(sources, e),
            Failure::Text(t) => format!("{t}\n"),
        }
    }

    fn json(&self, sources: &[SourceFile]) -> serde_json::Value {
        match self {
            Failure::Error(e) => json::runtime_error(sources, e),
            Failure::Text(t) => json!({ "message": t }),
        }
    }
}

/// The tests a file declares, in order (an imported module's are its own file's, not
/// these), each with whether it is generic.
fn tests_of(program: &stark_syntax::ast::Program) -> Vec<(String, bool)> {
    program
        .items
        .iter()
        .filter_map(|item| match item {
            stark_syntax::ast::Item::Fn(f)
                if f.name.span.file == stark_syntax::FileId(0)
                    && f.name.name.starts_with(PREFIX) =>
            {
                Some((f.name.name.clone(), !f.type_params.is_empty()))
            }
            _ => None,
        })
        .collect()
}

/// Runs test `id` of `module` on a fresh `Vm`, its output captured; `None` if it passed.
fn run_one(module: &stark_bytecode::Module, id: u32) -> (Option<Failure>, String) {
    let mut vm = Vm::new(
        module,
        VmOptions {
            args: Vec::new(),
            max_memory: None,
        },
    );
    let captured = Captured::default();
    vm.set_output(Box::new(captured.clone()));
    let failure = match vm.run_entry(id) {
        Ok(()) => {
            let live = vm.live_objects();
            (live != 0).then(|| {
                Failure::Text(format!(
                    "leak: {live} object(s) still alive after the test returned"
                ))
            })
        }
        Err(VmExit::RuntimeError(e) | VmExit::OutOfMemory(e)) => Some(Failure::Error(e)),
        Err(VmExit::Exit(code)) => Some(Failure::Text(format!("the test called exit({code})"))),
        Err(VmExit::MainErr(m)) => Some(Failure::Text(format!("the test returned Err: {m}"))),
    };
    drop(vm);
    if matches!(failure, Some(Failure::Error(_))) {
        // Its memory is back: a refusal by the system belongs to this test only.
        stark_runtime::sysalloc::recover();
    }
    (failure, captured.text())
}

/// One line a test as it finishes (`test FILE::NAME ... ok`), or one JSON object.
fn report(name: &str, file: &str, failure: Option<&Failure>, output: &str, sources: &[SourceFile]) {
    if json::enabled() {
        let mut v = json!({"type": "test", "name": name, "file": file,
                           "outcome": if failure.is_some() { "failed" } else { "ok" },
                           "output": output});
        if let Some(f) = failure {
            v["failure"] = f.json(sources);
        }
        print!("{v}\n");
    } else {
        let outcome = if failure.is_some() { "FAILED" } else { "ok" };
        print!("test {name} ... {outcome}\n");
    }
    let _ = std::io::stdout().flush();
}

/// The files to test: each PATH given (a folder: every `*.stark` under it that declares a
/// test, sorted), or by default `tests/` when there is one, else the current folder.
fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, u8> {
    let defaults;
    let paths = if paths.is_empty() {
        let tests = PathBuf::from("tests");
        defaults = [if tests.is_dir() {
            tests
        } else {
            PathBuf::from(".")
        }];
        &defaults[..]
    } else {
        paths
    };
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            // The files that declare a test: the others are modules the tests import, or
            // programs, compiled only as their importers need them.
            files.extend(
                crate::files::stark_files(path)
                    .into_iter()
                    // Bytes, not text: a file that is not UTF-8 is compiled, and reported.
                    .filter(|f| std::fs::read(f).is_ok_and(|b| contains(&b, b"fn test_"))),
            );
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            render::error(&format!(
                "cannot read `{}`: no such file or folder",
                path.display()
            ));
            return Err(EXIT_COMPILE);
        }
    }
    Ok(files)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The program output of a test, kept to be shown only if it fails (as `cargo test` and
/// pytest do).
#[derive(Clone, Default)]
struct Captured(Rc<RefCell<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
