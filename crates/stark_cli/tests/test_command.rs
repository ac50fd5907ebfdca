//! `stark test` (SPEC §10) as a user runs it: the sample folder `tests/stark_test/`
//! (what it prints is `tests/stark_test/expected.stdout`; `STARK_BLESS=1` rewrites it),
//! selection with `-k`, discovery, compile errors and `--message-format=json`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `stark test ARGS` in `cwd`.
fn stark_test(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stark"))
        .arg("test")
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run stark test")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("stark_test_cmd_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("tests")).unwrap();
    d
}

#[test]
fn the_sample_folder_prints_a_line_a_test_then_the_failures_and_a_summary() {
    let out = stark_test(&root(), &["tests/stark_test"]);
    let expected = root().join("tests/stark_test/expected.stdout");
    if std::env::var_os("STARK_BLESS").is_some() {
        std::fs::write(&expected, &out.stdout).unwrap();
    }
    let want = std::fs::read_to_string(&expected).unwrap();
    assert_eq!(stdout(&out), want);
    assert_eq!(out.status.code(), Some(1), "a test failed");
    // The passing tests' output is not shown; the failing one's is, before its error.
    assert!(!stdout(&out).contains("using 1"));
    assert!(stdout(&out).contains("about to fail\nruntime error: assertion failed"));
}

#[test]
fn k_selects_tests_by_name_and_counts_the_rest_as_filtered_out() {
    let out = stark_test(&root(), &["tests/stark_test", "-k", "fresh_heap"]);
    let text = stdout(&out);
    assert!(text.contains(
        "test tests/stark_test/basics_test.stark::test_each_test_has_a_fresh_heap ... ok"
    ));
    assert!(
        text.ends_with("1 passed, 0 failed, 11 filtered out\n"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(0));
    // The file part of the name selects too.
    let out = stark_test(&root(), &["tests/stark_test", "-k", "parsing_test"]);
    assert!(stdout(&out).ends_with("2 passed, 0 failed, 10 filtered out\n"));
}

#[test]
fn a_compile_error_in_any_file_runs_no_test_and_exits_2() {
    let d = scratch("compile");
    std::fs::write(d.join("tests/good_test.stark"), "fn test_ok():\n    pass\n").unwrap();
    std::fs::write(
        d.join("tests/bad_test.stark"),
        "fn test_bad():\n    let x: Int = \"text\"\n",
    )
    .unwrap();
    let out = stark_test(&d, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "", "nothing ran");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[E0308]: mismatched types"), "{err}");
    assert!(err.contains("tests/bad_test.stark:2:18"), "{err}");
}

#[test]
fn without_paths_the_tests_folder_is_searched_and_files_without_tests_are_left_alone() {
    let d = scratch("discover");
    std::fs::write(
        d.join("tests/a_test.stark"),
        "fn test_a():\n    assert(1 + 1 == 2, \"sum\")\n",
    )
    .unwrap();
    // Not under tests/: not run by default.
    std::fs::write(
        d.join("outside_test.stark"),
        "fn test_out():\n    assert(false, \"no\")\n",
    )
    .unwrap();
    // Under tests/ but with no test: a module (this one would not even compile alone).
    std::fs::write(d.join("tests/helper.stark"), "fn broken(:\n").unwrap();
    let out = stark_test(&d, &[]);
    assert_eq!(
        stdout(&out),
        "test tests/a_test.stark::test_a ... ok\n\n1 passed, 0 failed\n"
    );
    assert_eq!(out.status.code(), Some(0));
    // With no tests/ folder, the current folder.
    std::fs::remove_dir_all(d.join("tests")).unwrap();
    let out = stark_test(&d, &[]);
    assert!(stdout(&out).contains("test ./outside_test.stark::test_out ... FAILED"));
    assert_eq!(out.status.code(), Some(1));
    // A path that does not exist is an error, like an unreadable program.
    let out = stark_test(&d, &["nowhere"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn json_gives_one_object_a_test_and_a_summary() {
    let out = stark_test(
        &root(),
        &["--message-format=json", "tests/stark_test", "-k", "test_r"],
    );
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object a line"))
        .collect();
    let tests: Vec<_> = lines.iter().filter(|v| v["type"] == "test").collect();
    let outcome = |name: &str| {
        tests
            .iter()
            .find(|v| v["name"].as_str().unwrap().ends_with(name))
            .map(|v| v["outcome"].as_str().unwrap().to_string())
    };
    assert_eq!(outcome("::test_returns_ok").as_deref(), Some("ok"));
    assert_eq!(outcome("::test_returns_err").as_deref(), Some("failed"));
    let runtime = tests
        .iter()
        .find(|v| {
            v["name"]
                .as_str()
                .unwrap()
                .ends_with("::test_runtime_error")
        })
        .expect("selected by -k test_r");
    let failure = &runtime["failure"];
    assert_eq!(failure["type"], "runtime_error");
    assert_eq!(
        failure["message"],
        "index 5 out of range for list of length 3"
    );
    assert_eq!(
        (failure["line"].as_u64(), failure["column"].as_u64()),
        (Some(67), Some(11))
    );
    assert_eq!(failure["trace"][0]["function"], "test_runtime_error");
    assert_eq!(tests.len(), 3, "-k test_r selects three");
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary");
    let counted = tests.len() as u64;
    assert_eq!(
        summary["passed"].as_u64().unwrap() + summary["failed"].as_u64().unwrap(),
        counted
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_generic_test_and_a_test_with_parameters_are_reported_failed() {
    let d = scratch("odd");
    std::fs::write(
        d.join("tests/odd_test.stark"),
        "fn test_generic<T>():\n    pass\n\nfn test_param(x: Int):\n    pass\n\nfn test_fine():\n    pass\n",
    )
    .unwrap();
    let out = stark_test(&d, &[]);
    let text = stdout(&out);
    assert!(
        text.contains("test tests/odd_test.stark::test_generic ... FAILED"),
        "{text}"
    );
    assert!(text.contains("a test function cannot be generic"), "{text}");
    assert!(
        text.contains("a test function takes no parameters"),
        "{text}"
    );
    assert!(text.ends_with("1 passed, 2 failed\n"), "{text}");
    // A test file that is not UTF-8 is not skipped: it is reported, as by `stark check`.
    std::fs::write(
        d.join("tests/latin1_test.stark"),
        b"fn test_x():\n    print(\"\xff\")\n",
    )
    .unwrap();
    let out = stark_test(&d, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[E0009]"));
}

/// A test that runs out of memory fails alone: the next one starts on a fresh heap with
/// the system's refusal forgotten (under a 1 GB address-space limit).
#[cfg(target_os = "linux")]
#[test]
fn running_out_of_memory_fails_that_test_only() {
    let d = scratch("oom");
    std::fs::write(
        d.join("tests/oom_test.stark"),
        "fn test_a_grows_forever():\n    mutable let xs = List()\n    for i in range(1000000000):\n        xs.push([i, i, i, i, i, i, i, i])\n\n\
         fn test_b_after():\n    let s = [1, 2, 3]\n    assert(len(s) == 3, \"three\")\n",
    )
    .unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1000000 && exec \"$0\" test")
        .arg(env!("CARGO_BIN_EXE_stark"))
        .current_dir(&d)
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("test tests/oom_test.stark::test_a_grows_forever ... FAILED"),
        "{text}"
    );
    assert!(
        text.contains("test tests/oom_test.stark::test_b_after ... ok"),
        "{text}"
    );
    assert!(text.contains("out of memory"), "{text}");
    assert_eq!(out.status.code(), Some(1));
}
