//! `stark fmt` (SPEC §10, issue 21): idempotent, comment-preserving, and never changing
//! what a program does, checked on every program the project has: each `.stark` file under
//! `tests/ui/`, `examples/`, `bench/` and `tests/stark_test/` is formatted (in a copy of
//! its folder), formatted again (no change), and must give the same `stark ir` as the
//! original; a `run/` program must also print its expected output. `tests/fmt/messy.stark`
//! shows the style on a file written in none (`messy.formatted`; `STARK_BLESS=1` rewrites
//! it), and the command's exit statuses are checked as a user meets them.

use stark_syntax::fmt::{format_source, FormatError};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn stark(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stark"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run stark")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("stark_fmt_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let target = to.join(e.file_name());
        if p.is_dir() {
            copy_tree(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

fn stark_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            stark_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "stark") {
            out.push(p);
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

/// Checks one program (original at `orig`, formatted copy at `copy`); the problems found.
/// `ui_root`: the workspace root and its mirror, for a `tests/ui` program.
fn check_one(orig: &Path, copy: &Path, ui_root: Option<(&Path, &Path)>) -> Vec<String> {
    let name = orig.display().to_string();
    let source = std::fs::read_to_string(orig).unwrap_or_default();
    let formatted = match format_source(&source) {
        Ok(f) => f,
        Err(FormatError::Syntax(_)) if name.contains("compile_fail") => return Vec::new(),
        Err(e) => return vec![format!("{name}: cannot format: {e:?}")],
    };
    let mut problems = Vec::new();
    match format_source(&formatted) {
        Ok(again) if again == formatted => {}
        Ok(_) => problems.push(format!("{name}: formatting twice changes it again")),
        Err(e) => problems.push(format!("{name}: the formatted file does not format: {e:?}")),
    }
    std::fs::write(copy, &formatted).unwrap();
    let ir = |file: &Path| {
        let out = stark(
            &["ir", &file.file_name().unwrap().to_string_lossy()],
            file.parent().unwrap(),
        );
        (out.status.code(), out.stdout)
    };
    if ir(orig) != ir(copy) {
        problems.push(format!("{name}: `stark ir` differs once formatted"));
    }
    // A run/ program prints its expected output (run as the UI runner runs it: from the
    // workspace root, where its data files are found).
    if let Some((root, mirror)) = ui_root {
        let rel = orig.strip_prefix(root).unwrap();
        let expected = orig.with_extension("stdout");
        let plain = rel.starts_with("tests/ui/run")
            && header(&source, "args:").is_none()
            && !orig.with_extension("stdin").exists()
            && expected.exists();
        if plain {
            let out = stark(&["run", &rel.to_string_lossy()], mirror);
            let want = std::fs::read(&expected).unwrap();
            if out.stdout != want {
                problems.push(format!("{name}: prints something else once formatted"));
            }
        }
    }
    problems
}

#[test]
fn every_program_formats_to_the_same_program_once_and_for_all() {
    let root = root();
    let mirror = scratch("all");
    let mut jobs: Vec<(PathBuf, PathBuf, bool)> = Vec::new();
    for (folder, ui) in [
        ("tests/ui", true),
        ("examples", false),
        ("bench", false),
        ("tests/stark_test", false),
    ] {
        let from = root.join(folder);
        let to = mirror.join(folder);
        copy_tree(&from, &to);
        let mut files = Vec::new();
        stark_files(&from, &mut files);
        files.sort();
        for f in files {
            let copy = to.join(f.strip_prefix(&from).unwrap());
            jobs.push((f, copy, ui));
        }
    }
    assert!(jobs.len() > 500, "only {} programs", jobs.len());
    let (ui, ui_mirror) = (root.clone(), mirror.clone());
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    let chunk = jobs.len().div_ceil(threads);
    let problems: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                let (ui, ui_mirror) = (&ui, &ui_mirror);
                s.spawn(move || {
                    part.iter()
                        .flat_map(|(orig, copy, is_ui)| {
                            check_one(
                                orig,
                                copy,
                                is_ui.then_some((ui.as_path(), ui_mirror.as_path())),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let _ = std::fs::remove_dir_all(&mirror);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_messy_file_comes_out_in_the_canonical_style() {
    let dir = root().join("tests/fmt");
    let source = std::fs::read_to_string(dir.join("messy.stark")).unwrap();
    let formatted = format_source(&source).expect("it formats");
    let expected = dir.join("messy.formatted");
    if std::env::var_os("STARK_BLESS").is_some() {
        std::fs::write(&expected, &formatted).unwrap();
    }
    assert_eq!(formatted, std::fs::read_to_string(&expected).unwrap());
    // Every comment is kept, word for word.
    for line in source.lines() {
        if let Some(at) = line.find("//") {
            let comment = line[at..].trim_end();
            assert!(formatted.contains(comment), "lost {comment}");
        }
    }
    // The SPEC's rules, read off the result.
    let mut in_block_comment = false;
    for line in formatted.lines() {
        assert_eq!(line, line.trim_end(), "a trailing space");
        let indent = line.len() - line.trim_start().len();
        // A block comment's later lines keep their place under its first.
        if !in_block_comment {
            assert_eq!(indent % 4, 0, "indents are four spaces: {line}");
        }
        if line.contains("/*") {
            in_block_comment = true;
        }
        if line.contains("*/") {
            in_block_comment = false;
        }
        assert!(
            line.chars().count() <= 100,
            "wider than 100 columns: {line}"
        );
    }
    assert!(!formatted.contains("\n\n\n\n"), "at most two blank lines");
    assert!(
        formatted.contains("\n\n\nfn main():"),
        "two blank lines before an item"
    );
    // The program does the same.
    let run = |name: &str, text: &str| {
        let d = scratch(name);
        std::fs::write(d.join("messy.stark"), text).unwrap();
        std::fs::copy(dir.join("geometry.stark"), d.join("geometry.stark")).unwrap();
        let out = stark(&["run", "messy.stark"], &d);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    assert_eq!(run("messy_before", &source), run("messy_after", &formatted));
}

#[test]
fn check_lists_what_would_change_and_exits_1_and_a_bad_file_exits_2() {
    let d = scratch("cli");
    std::fs::write(d.join("ugly.stark"), "fn main():\n    print(1+2)\n").unwrap();
    std::fs::write(d.join("tidy.stark"), "fn main():\n    print(1 + 2)\n").unwrap();
    let out = stark(&["fmt", "--check", "."], &d);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "would reformat ./ugly.stark\n"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("ugly.stark")).unwrap(),
        "fn main():\n    print(1+2)\n",
        "--check changes nothing"
    );
    // Without --check the file is rewritten, and then there is nothing left to do.
    let out = stark(&["fmt"], &d);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(d.join("ugly.stark")).unwrap(),
        "fn main():\n    print(1 + 2)\n"
    );
    assert_eq!(stark(&["fmt", "--check", "."], &d).status.code(), Some(0));
    // A file that does not parse is reported as `stark check` would, and left alone.
    std::fs::write(d.join("broken.stark"), "fn main(:\n    print(1+2)\n").unwrap();
    let out = stark(&["fmt", "broken.stark"], &d);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[E0001]"));
    assert_eq!(
        std::fs::read_to_string(d.join("broken.stark")).unwrap(),
        "fn main(:\n    print(1+2)\n"
    );
    // `-`: standard input to standard output, for editors.
    let mut child = Command::new(env!("CARGO_BIN_EXE_stark"))
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"fn main():\n  let x=[1,2]  // two\n  print(x)\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "fn main():\n    let x = [1, 2]  // two\n    print(x)\n"
    );
}
