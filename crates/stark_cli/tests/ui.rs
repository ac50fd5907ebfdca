//! File-based UI tests, in the manner of rustc's `tests/ui`: every `.stark` file under
//! `tests/ui/` and `examples/` is run through the `stark` binary and its stdout, stderr and
//! exit status compared with the files beside it.
//!
//! - `tests/ui/run/` and `examples/`: `stark run`; expects exit 0, stdout = `NAME.stdout`,
//!   and no live objects left after `main` (the leak check).
//! - `tests/ui/run_fail/`: `stark run`; expects exit 1 (or `// exit: N`), stderr =
//!   `NAME.stderr`.
//! - `tests/ui/compile_fail/`: `stark check`; expects exit 2, stderr = `NAME.stderr`.
//! - `tests/ui/ir/`: `stark ir --stats`; stdout = `NAME.stdout`.
//!
//! Header comments adjust a test: `// args: a b c` (program arguments), `// exit: N`
//! (expected status), `// error: TEXT` (stderr must contain TEXT), `// opt-dependent: WHY`
//! (its output measures an optimisation, so it is not compared with an unoptimised run).
//!
//! Every `run/` program and example also runs compiled without optimisations
//! (`STARK_NO_OPT=1`) and must print the same: a differential check of the optimisers.
//!
//! `STARK_BLESS=1 cargo test --test ui` rewrites the expected files from the actual output.

use std::path::{Path, PathBuf};
use std::process::Command;

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

#[test]
fn ui() {
    let root = root();
    let mut cases = Vec::new();
    collect(&root.join("tests/ui"), None, &mut cases);
    collect(&root.join("examples"), Some(Mode::Run), &mut cases);
    assert!(cases.len() > 10, "found only {} UI tests", cases.len());
    let bless = std::env::var_os("STARK_BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let rel = case
            .path
            .strip_prefix(&root)
            .unwrap_or(&case.path)
            .to_string_lossy()
            .into_owned();
        let source = std::fs::read_to_string(&case.path).unwrap_or_default();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stark"));
        cmd.current_dir(&root).env("NO_COLOR", "1");
        match case.mode {
            Mode::Run | Mode::RunFail => {
                cmd.arg("run").arg(&rel).env("STARK_CHECK_LEAKS", "1");
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
        let output = cmd.output().expect("run stark");
        // The differential check of every optimisation: a `run/` program compiled without
        // the RC optimisation and the bytecode optimiser must print the same and end the same
        // way (leak check included). `// opt-dependent: why` exempts a program whose output
        // measures an optimisation itself (an allocation count, a constant's count).
        if case.mode == Mode::Run && header(&source, "opt-dependent:").is_none() {
            let plain = cmd.env("STARK_NO_OPT", "1").output().expect("run stark");
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
            continue;
        }
        if let Some(text) = header(&source, "error:") {
            if !stderr.contains(&text) {
                failures.push(format!(
                    "{rel}: stderr does not contain `{text}`\nstderr:\n{stderr}"
                ));
            }
        }
        let with = |ext: &str| case.path.with_extension(ext);
        match case.mode {
            Mode::Run | Mode::Ir => {
                compare(
                    &with("stdout"),
                    &stdout,
                    bless,
                    &mut failures,
                    "stdout",
                    &rel,
                );
                if !stderr.is_empty() || with("stderr").exists() {
                    compare(
                        &with("stderr"),
                        &stderr,
                        bless,
                        &mut failures,
                        "stderr",
                        &rel,
                    );
                }
            }
            Mode::RunFail | Mode::CompileFail => {
                compare(
                    &with("stderr"),
                    &stderr,
                    bless,
                    &mut failures,
                    "stderr",
                    &rel,
                );
                if !stdout.is_empty() || with("stdout").exists() {
                    compare(
                        &with("stdout"),
                        &stdout,
                        bless,
                        &mut failures,
                        "stdout",
                        &rel,
                    );
                }
            }
        }
    }
    if !failures.is_empty() {
        panic!(
            "{} of {} UI tests failed:\n\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n\n")
        );
    }
    eprintln!("{} UI tests passed", cases.len());
}
