//! File-based UI tests, in the manner of rustc's `tests/ui`: every `.stark` file under
//! `tests/ui/` and `examples/` is run through the `stark` binary and its stdout, stderr and
//! exit status compared with the files beside it.
//!
//! - `tests/ui/run/` and `examples/`: `stark run`; expects exit 0, stdout = `NAME.stdout`,
//!   and no live objects left after `main` (the leak check), with the heap checker on
//!   (`STARK_CHECK_HEAP=1`: every collection and the end of the run validate the heap).
//! - `tests/ui/run_fail/`: `stark run`; expects exit 1 (or `// exit: N`), stderr =
//!   `NAME.stderr`.
//! - `tests/ui/compile_fail/`: `stark check`; expects exit 2, stderr = `NAME.stderr`.
//! - `tests/ui/ir/`: `stark ir --stats`; stdout = `NAME.stdout`.
//!
//! A folder holding a `main.stark` (`run/modules_basic/main.stark`) is one program of
//! several files: `main.stark` is the test, its expected files lie beside it, and the
//! other `.stark` files there are the modules it imports.
//!
//! A `NAME.stdin` file beside a `run/` or `run_fail/` program is its standard input (for
//! `input()`); without one, standard input is empty.
//!
//! Header comments adjust a test: `// args: a b c` (program arguments), `// exit: N`
//! (expected status), `// error: TEXT` (stderr must contain TEXT), `// opt-dependent: WHY`
//! (its output measures an optimisation, so it is not compared with an unoptimised run).
//!
//! Every `run/` program and example also runs compiled without optimisations
//! (`STARK_NO_OPT=1`) and must print the same: a differential check of the optimisers.
//!
//! Every diagnostic code of `stark_syntax::codes` must show in some `compile_fail/*.stderr`
//! (tests `codes/E0xxx`), and docs/diagnostics.md must list exactly those codes.
//!
//! Each program is its own test, named by its path without `.stark` (`run/arena_blocks`,
//! `compile_fail/arena_escape`, `examples/hello`), so `cargo test -p stark_cli --test ui --
//! arena` runs the programs whose name contains `arena`, in parallel.
//!
//! `STARK_BLESS=1 cargo test -p stark_cli --test ui` rewrites the expected files from the
//! actual output.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use libtest_mimic::{Arguments, Failed, Trial};

struct Case {
    path: PathBuf,
    mode: Mode,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Run,
    RunFail,
    CompileFail,
    Ir,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn collect(dir: &Path, mode: Option<Mode>, out: &mut Vec<Case>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            let sub = match path.file_name().and_then(|n| n.to_str()) {
                Some("run") => Some(Mode::Run),
                Some("run_fail") => Some(Mode::RunFail),
                Some("compile_fail") => Some(Mode::CompileFail),
                Some("ir") => Some(Mode::Ir),
                _ => mode,
            };
            // A folder with a `main.stark` is one program of several files (SPEC §7): the
            // other files are the modules it imports, not tests.
            let main = path.join("main.stark");
            if let (Some(mode), true) = (sub, main.is_file()) {
                out.push(Case { path: main, mode });
                continue;
            }
            collect(&path, sub, out);
        } else if path.extension().is_some_and(|e| e == "stark") {
            if let Some(mode) = mode {
                out.push(Case { path, mode });
            }
        }
    }
}

fn header(source: &str, key: &str) -> Option<String> {
    source
        .lines()
        .take_while(|l| l.starts_with("//") || l.trim().is_empty())
        .filter_map(|l| l.strip_prefix("//"))
        .map(str::trim)
        .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
}

fn compare(
    expected_path: &Path,
    actual: &str,
    bless: bool,
    failures: &mut Vec<String>,
    what: &str,
    rel: &str,
) {
    if bless {
        if actual.is_empty() {
            let _ = std::fs::remove_file(expected_path);
        } else {
            std::fs::write(expected_path, actual).expect("write expected output");
        }
        return;
    }
    let expected = std::fs::read_to_string(expected_path).unwrap_or_default();
    if expected != actual {
        failures.push(format!(
            "{rel}: {what} differs\n--- expected ({})\n{expected}\n--- actual\n{actual}",
            expected_path.display()
        ));
    }
}

/// Runs one program the way its folder says and returns every way it went wrong.
fn run_case(root: &Path, case: &Case, bless: bool) -> Vec<String> {
    let mut failures = Vec::new();
    let rel = case
        .path
        .strip_prefix(root)
        .unwrap_or(&case.path)
        .to_string_lossy()
        .into_owned();
    let source = std::fs::read_to_string(&case.path).unwrap_or_default();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stark"));
    cmd.current_dir(root).env("NO_COLOR", "1");
    match case.mode {
        Mode::Run | Mode::RunFail => {
            cmd.arg("run")
                .arg(&rel)
                .env("STARK_CHECK_LEAKS", "1")
                .env("STARK_CHECK_HEAP", "1");
            if let Some(args) = header(&source, "args:") {
                cmd.args(args.split_whitespace());
            }
        }
        Mode::CompileFail => {
            cmd.arg("check").arg(&rel);
        }
        Mode::Ir => {
            cmd.arg("ir").arg("--stats").arg(&rel);
        }
    }
    // Standard input: `NAME.stdin` if there is one, else empty. Opened anew for each run.
    let stdin_path = case.path.with_extension("stdin");
    let stdin = || match std::fs::File::open(&stdin_path) {
        Ok(file) => std::process::Stdio::from(file),
        Err(_) => std::process::Stdio::null(),
    };
    let output = cmd.stdin(stdin()).output().expect("run stark");
    // The differential check of every optimisation: a `run/` program compiled without
    // the RC optimisation and the bytecode optimiser must print the same and end the same
    // way (leak check included). `// opt-dependent: why` exempts a program whose output
    // measures an optimisation itself (an allocation count, a constant's count).
    if case.mode == Mode::Run && header(&source, "opt-dependent:").is_none() {
        let plain = cmd
            .env("STARK_NO_OPT", "1")
            .stdin(stdin())
            .output()
            .expect("run stark");
        if plain.stdout != output.stdout || plain.status.code() != output.status.code() {
            failures.push(format!(
                "{rel}: differs without optimisations (STARK_NO_OPT=1), exit {:?}\n--- optimised\n{}\n--- unoptimised\n{}{}",
                plain.status.code(),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&plain.stdout),
                String::from_utf8_lossy(&plain.stderr),
            ));
        }
    }
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output.status.code().unwrap_or(-1);
    let expected_code = header(&source, "exit:")
        .and_then(|c| c.parse().ok())
        .unwrap_or(match case.mode {
            Mode::Run | Mode::Ir => 0,
            Mode::RunFail => 1,
            Mode::CompileFail => 2,
        });
    if code != expected_code {
        failures.push(format!(
            "{rel}: exit status {code}, expected {expected_code}\nstderr:\n{stderr}"
        ));
        return failures;
    }
    if let Some(text) = header(&source, "error:") {
        if !stderr.contains(&text) {
            failures.push(format!(
                "{rel}: stderr does not contain `{text}`\nstderr:\n{stderr}"
            ));
        }
    }
    let with = |ext: &str| case.path.with_extension(ext);
    let (main, other) = match case.mode {
        Mode::Run | Mode::Ir => (("stdout", &stdout), ("stderr", &stderr)),
        Mode::RunFail | Mode::CompileFail => (("stderr", &stderr), ("stdout", &stdout)),
    };
    compare(&with(main.0), main.1, bless, &mut failures, main.0, &rel);
    // The other stream is compared only where it says something or is expected to.
    if !other.1.is_empty() || with(other.0).exists() {
        compare(&with(other.0), other.1, bless, &mut failures, other.0, &rel);
    }
    failures
}

/// Codes no source file can produce, each with the test that covers it instead. Empty today:
/// even E0009 (bad UTF-8) has `compile_fail/bad_utf8.stark`, a file with a Latin-1 byte.
const CODES_WITHOUT_A_UI_TEST: &[(&str, &str)] = &[];

/// The codes `stark_syntax::codes` defines, read from its source: the module holds bare
/// constants, and a list kept by hand beside them is exactly what would fall behind.
fn defined_codes(root: &Path) -> BTreeSet<String> {
    let path = root.join("crates/stark_syntax/src/diagnostic.rs");
    let source = std::fs::read_to_string(&path).expect("read the diagnostic codes");
    let module = source
        .split_once("pub mod codes")
        .map(|(_, rest)| rest)
        .expect("`pub mod codes` in diagnostic.rs");
    module
        .lines()
        .filter(|l| l.trim_start().starts_with("pub const"))
        .filter_map(|l| l.split('"').nth(1))
        .map(str::to_string)
        .collect()
}

/// The codes in the first column of docs/diagnostics.md's table.
fn documented_codes(root: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root.join("docs/diagnostics.md")).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix('|'))
        .filter_map(|l| l.split('|').next())
        .map(|c| c.trim().trim_matches('`').to_string())
        .filter(|c| is_code(c))
        .collect()
}

fn is_code(c: &str) -> bool {
    c.len() == 5
        && (c.starts_with('E') || c.starts_with('W'))
        && c[1..].bytes().all(|b| b.is_ascii_digit())
}

/// One test per diagnostic code: some `compile_fail/*.stderr` shows it as the user sees it.
fn code_trials(root: &Path) -> Vec<Trial> {
    let defined = defined_codes(root);
    let documented = documented_codes(root);
    let mut stderrs = Vec::new();
    let mut cases = Vec::new();
    collect(
        &root.join("tests/ui/compile_fail"),
        Some(Mode::CompileFail),
        &mut cases,
    );
    for case in cases {
        let path = case.path.with_extension("stderr");
        stderrs.push(std::fs::read_to_string(path).unwrap_or_default());
    }
    let mut trials = Vec::new();
    for code in defined.union(&documented) {
        let shown = format!(
            "{}[{code}]",
            if code.starts_with('W') {
                "warning"
            } else {
                "error"
            }
        );
        let covered = stderrs.iter().any(|s| s.contains(&shown));
        let exempt = CODES_WITHOUT_A_UI_TEST.iter().any(|(c, _)| c == code);
        let code = code.clone();
        trials.push(Trial::test(format!("codes/{code}"), move || {
            if covered || exempt {
                Ok(())
            } else {
                Err(format!(
                    "no tests/ui/compile_fail/*.stderr shows `{shown}`: add a program that \
                     produces {code} (STARK_BLESS=1 writes its .stderr)"
                )
                .into())
            }
        }));
    }
    trials.push(Trial::test("codes/docs_list_every_code", move || {
        let undocumented: Vec<_> = defined.difference(&documented).collect();
        let unknown: Vec<_> = documented.difference(&defined).collect();
        if undocumented.is_empty() && unknown.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "docs/diagnostics.md and stark_syntax::codes disagree: not in the docs {undocumented:?}, \
                 not in the codes {unknown:?}"
            )
            .into())
        }
    }));
    trials
}

fn main() -> ExitCode {
    let mut args = Arguments::from_args();
    // libtest honours RUST_TEST_THREADS; libtest-mimic reads only the flag.
    if args.test_threads.is_none() {
        args.test_threads = std::env::var("RUST_TEST_THREADS")
            .ok()
            .and_then(|n| n.parse().ok());
    }
    let root = root();
    let mut cases = Vec::new();
    collect(&root.join("tests/ui"), None, &mut cases);
    collect(&root.join("examples"), Some(Mode::Run), &mut cases);
    assert!(cases.len() > 10, "found only {} UI tests", cases.len());
    let bless = std::env::var_os("STARK_BLESS").is_some();
    let mut trials: Vec<Trial> = cases
        .into_iter()
        .map(|case| {
            let name = case
                .path
                .strip_prefix(root.join("tests/ui"))
                .or_else(|_| case.path.strip_prefix(&root))
                .unwrap_or(&case.path)
                .with_extension("")
                .to_string_lossy()
                .into_owned();
            let root = root.clone();
            Trial::test(name, move || {
                let failures = run_case(&root, &case, bless);
                if failures.is_empty() {
                    Ok(())
                } else {
                    Err(Failed::from(failures.join("\n\n")))
                }
            })
        })
        .collect();
    trials.extend(code_trials(&root));
    libtest_mimic::run(&args, trials).exit_code()
}
