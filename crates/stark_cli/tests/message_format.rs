//! `--message-format=json` (SPEC §10) says what the text output says: for every program of
//! `tests/ui/compile_fail/` and `tests/ui/run_fail/`, each JSON object's code and place
//! are those of the rustc-shaped text of the same run, in the same order.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ui() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/ui")
}

fn stark(args: &[&str], json: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stark"));
    cmd.arg(args[0]);
    if json {
        cmd.arg("--message-format=json");
    }
    cmd.args(&args[1..])
        .current_dir(ui())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run stark")
}

fn programs(folder: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(ui().join(folder))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "stark"))
        .map(|p| format!("{folder}/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    out.sort();
    out
}

fn objects(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The place a JSON object gives, as the text shows it (`file:line:col`).
fn place(v: &serde_json::Value) -> String {
    format!(
        "{}:{}:{}",
        v["file"].as_str().unwrap(),
        v["line"],
        v["column"]
    )
}

#[test]
fn every_compile_error_has_the_code_and_place_of_its_text() {
    let mut checked = 0;
    for program in programs("compile_fail") {
        let text = stark(&["check", &program], false);
        let json = stark(&["check", &program], true);
        assert_eq!(
            text.status.code(),
            json.status.code(),
            "{program}: exit status"
        );
        let text = String::from_utf8_lossy(&text.stderr).into_owned();
        // Each diagnostic's header (`error[E0382]: …`) then the primary place (`┌─ f:l:c`).
        let mut want = Vec::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let Some(code) = line
                .strip_prefix("error[")
                .or_else(|| line.strip_prefix("warning["))
                .and_then(|r| r.split(']').next())
            else {
                continue;
            };
            let at = lines
                .find_map(|l| l.trim_start().strip_prefix("┌─ "))
                .unwrap_or_else(|| panic!("{program}: no place after {line}"));
            want.push(format!("{code} {at}"));
        }
        let got: Vec<String> = objects(&json)
            .iter()
            .map(|v| {
                assert_eq!(v["type"], "diagnostic");
                assert!(
                    v["labels"][0]["primary"] == true,
                    "{program}: primary label first"
                );
                format!("{} {}", v["code"].as_str().unwrap(), place(v))
            })
            .collect();
        assert_eq!(got, want, "{program}");
        checked += want.len();
    }
    assert!(checked > 200, "only {checked} diagnostics compared");
}

#[test]
fn every_runtime_error_has_the_place_and_trace_of_its_text() {
    let mut checked = 0;
    for program in programs("run_fail") {
        let source = std::fs::read_to_string(ui().join(&program)).unwrap();
        if source.contains("// args:") || ui().join(program.replace(".stark", ".stdin")).exists() {
            continue;
        }
        let text = stark(&["run", &program], false);
        let json = stark(&["run", &program], true);
        assert_eq!(
            text.status.code(),
            json.status.code(),
            "{program}: exit status"
        );
        let text = String::from_utf8_lossy(&text.stderr).into_owned();
        let Some(at) = text.lines().find_map(|l| l.strip_prefix("  --> ")) else {
            continue;
        };
        let frames: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("  at "))
            .collect();
        let objects = objects(&json);
        let err = objects
            .iter()
            .find(|v| v["type"] == "runtime_error")
            .unwrap_or_else(|| panic!("{program}: no runtime_error object"));
        assert_eq!(place(err), at, "{program}");
        let message = text.lines().find_map(|l| l.strip_prefix("runtime error: "));
        assert_eq!(err["message"].as_str(), message, "{program}");
        // The text shows the two ends of a long trace; compare those frames.
        let trace = err["trace"].as_array().unwrap();
        if !text.contains("more frames") {
            let got: Vec<String> = trace
                .iter()
                .map(|f| format!("{} ({})", f["function"].as_str().unwrap(), place(f)))
                .collect();
            assert_eq!(got, frames, "{program}");
        }
        checked += 1;
    }
    assert!(checked > 50, "only {checked} runtime errors compared");
}
