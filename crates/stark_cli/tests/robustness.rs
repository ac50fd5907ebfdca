//! No input may make `stark` panic, hang or crash (SPEC §1). Mutated versions of every test
//! program go through the whole compiler in-process, and the valid ones also run through the
//! binary; hostile files go through the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn corpus() -> Vec<String> {
    let mut out = Vec::new();
    for dir in [
        "tests/ui/run",
        "tests/ui/run_fail",
        "tests/ui/compile_fail",
        "examples",
    ] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "stark") {
                if let Ok(s) = std::fs::read_to_string(e.path()) {
                    out.push(s);
                }
            }
        }
    }
    out.sort();
    out
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const FRAGMENTS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    "\n",
    "    ",
    "\t",
    "\"",
    "f\"{",
    "}",
    "let ",
    "mutable ",
    "fn ",
    "struct ",
    "return ",
    "None",
    "if ",
    "else:",
    "while ",
    "for x in ",
    "@",
    "&",
    "&mutable ",
    "?",
    ".",
    ",",
    "=",
    "+=",
    "**",
    "9999999999999999999999",
    "0x",
    "1e",
    "/*",
    "*/",
    "//",
    "\\",
    "é",
    "\0",
    "break",
    "arena a:",
    "spawn ",
    "with quota=",
    ".clone()",
    ".copy()",
    "Node",
    "List<",
    "Map<",
    ">",
];

fn mutate(src: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = src.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(4) {
            0 if !chars.is_empty() => {
                let end = (at + rng.below(12)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            1 => {
                let frag = FRAGMENTS[rng.below(FRAGMENTS.len())];
                for (k, c) in frag.chars().enumerate() {
                    chars.insert(at + k, c);
                }
            }
            2 if !chars.is_empty() => {
                let from = rng.below(chars.len());
                let end = (from + rng.below(20)).min(chars.len());
                let piece: Vec<char> = chars[from..end].to_vec();
                for (k, c) in piece.into_iter().enumerate() {
                    chars.insert(at.min(chars.len()) + k, c);
                }
            }
            _ if !chars.is_empty() => {
                let i = rng.below(chars.len());
                chars[i] = char::from_u32(rng.below(0x80) as u32).unwrap_or(' ');
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// The whole compile pipeline `stark check` and `stark ir` run.
/// Returns whether the program was valid (and so went through lowering and the optimiser).
fn compile(src: &str) -> bool {
    let (program, diags) = stark_syntax::parse(src);
    if !diags.is_empty() {
        return false;
    }
    let (checked, diags) = stark_check::check(&program);
    if diags.is_empty() {
        // Whatever the optimiser makes of a valid program, the VM must accept it.
        let Ok(module) = stark_lower::compile(&program, &checked, &[src]) else {
            return false;
        };
        let _ = stark_bytecode::printer::print_module(&module);
        if let Err(e) = stark_vm::verify(&module) {
            panic!("compiled bytecode fails verification: {e}");
        }
        let _ = stark_lower::lower(&program, &checked, &[src], true);
        return true;
    }
    false
}

const MUTANT_SEED: u64 = 0x5eed_cafe_f00d;
const MUTANTS: usize = 4000;

/// The same mutants on every run, so a failure reproduces: (iteration, source).
fn mutants() -> impl Iterator<Item = (usize, String)> {
    let corpus = corpus();
    assert!(!corpus.is_empty(), "no seed programs found");
    let mut rng = Rng(MUTANT_SEED);
    (0..MUTANTS).map(move |i| (i, mutate(&corpus[i % corpus.len()], &mut rng)))
}

#[test]
fn thousands_of_mutated_programs_compile_or_fail_cleanly() {
    let mut panics = Vec::new();
    let mut valid = 0;
    for (i, src) in mutants() {
        let result = std::panic::catch_unwind(|| compile(&src));
        if matches!(result, Ok(true)) {
            valid += 1;
            if let Some(dir) = std::env::var_os("STARK_DUMP_MUTANTS") {
                let _ =
                    std::fs::write(std::path::Path::new(&dir).join(format!("m{i}.stark")), &src);
            }
        }
        if result.is_err() {
            panics.push(src);
            if panics.len() >= 3 {
                break;
            }
        }
    }
    assert!(
        panics.is_empty(),
        "the compiler panicked on:\n{}",
        panics.join("\n-----\n")
    );
    // Enough mutants stay valid that lowering and the optimiser are exercised too.
    eprintln!("{valid} of {MUTANTS} mutated programs were valid");
    assert!(valid >= MUTANTS / 20, "only {valid} valid mutants");
}

/// How many valid mutants are run; past it an evenly spaced sample, to bound the test's time.
const MUTANTS_RUN: usize = 400;
/// Long enough for every seed program; a mutant past it is killed (an endless loop is a valid
/// program, so that alone is not a failure).
const RUN_LIMIT: Duration = Duration::from_secs(3);
const MAX_MEMORY: &str = "67108864";

/// A mutated path could name any file on the machine, so programs that can write one are
/// compiled above but never run.
fn may_write_files(src: &str) -> bool {
    src.contains("File") || src.contains("write_file")
}

/// Runs `stark run` on `path` with the leak check, under `--max-memory` and [`RUN_LIMIT`].
/// Returns its exit status (`None` if it was killed for time) and stderr.
fn run_bounded(path: &Path) -> (Option<std::process::ExitStatus>, String) {
    let err_path = path.with_extension("stderr");
    let err = std::fs::File::create(&err_path).expect("create stderr file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_stark"))
        .args(["run", "--max-memory", MAX_MEMORY])
        .arg(path)
        // Data-reading seeds name their CSV files from the workspace root.
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("STARK_CHECK_LEAKS", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .expect("start stark");
    let deadline = Instant::now() + RUN_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for stark") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stderr = std::fs::read(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&err_path);
    (status, String::from_utf8_lossy(&stderr).into_owned())
}

#[test]
fn valid_mutants_run_to_an_exit_status_of_the_spec() {
    let runnable: Vec<(usize, String)> = mutants()
        .filter(|(_, src)| !may_write_files(src))
        .filter(|(_, src)| matches!(std::panic::catch_unwind(|| compile(src)), Ok(true)))
        .collect();
    let step = runnable.len().div_ceil(MUTANTS_RUN).max(1);
    let dir = std::env::temp_dir().join(format!("stark-mutants-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    let (mut ran, mut killed) = (0, 0);
    for (i, src) in runnable.iter().step_by(step) {
        let path = dir.join(format!("m{i}.stark"));
        std::fs::write(&path, src).unwrap();
        let (status, stderr) = run_bounded(&path);
        let _ = std::fs::remove_file(&path);
        ran += 1;
        let Some(status) = status else {
            killed += 1;
            continue;
        };
        let spec_exit = matches!(status.code(), Some(0..=3));
        // A leak after `main` returned is exit 1 too, but it is the runtime's fault.
        let broken = ["panicked", "internal error", "leak check:"]
            .into_iter()
            .find(|s| stderr.contains(s));
        if !spec_exit || broken.is_some() {
            failures.push(format!(
                "mutant {i} ({status}):\n{src}\n--- stderr\n{stderr}"
            ));
        }
    }
    let _ = std::fs::remove_dir(&dir);
    eprintln!(
        "ran {ran} of {} valid mutants; {killed} killed after {RUN_LIMIT:?}",
        runnable.len()
    );
    assert!(ran >= 50, "only {ran} mutants ran");
    assert!(
        failures.is_empty(),
        "{} mutant(s) did not end with exit 0-3 cleanly:\n{}",
        failures.len(),
        failures.join("\n-----\n")
    );
}

fn stark(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stark"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run stark")
}

fn with_file(name: &str, bytes: &[u8], f: impl FnOnce(&str)) {
    let dir = std::env::temp_dir().join(format!("stark-robust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    f(path.to_str().unwrap());
    let _ = std::fs::remove_file(&path);
}

fn assert_compile_error(out: &std::process::Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains(needle), "expected `{needle}` in: {stderr}");
}

#[test]
fn missing_file_is_a_clear_error() {
    let out = stark(&["check", "/no/such/dir/prog.stark"]);
    assert_compile_error(&out, "cannot read `/no/such/dir/prog.stark`: no such file");
    let out = stark(&["run", "/no/such/dir/prog.stark"]);
    assert_compile_error(&out, "no such file");
}

#[test]
fn invalid_utf8_is_a_diagnostic() {
    with_file("bad.stark", b"fn main():\n    print(\"\xff\xfe\")\n", |p| {
        assert_compile_error(&stark(&["check", p]), "error[E0009]");
    });
}

#[test]
fn utf8_byte_order_mark_is_skipped() {
    with_file(
        "bom.stark",
        b"\xef\xbb\xbffn main():\n    print(1)\n",
        |p| {
            let out = stark(&["run", p]);
            assert_eq!(out.status.code(), Some(0), "{out:?}");
            assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n");
        },
    );
}

#[test]
fn ten_thousand_nested_parentheses() {
    let src = format!(
        "fn main():\n    print({}1{})\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    with_file("deep.stark", src.as_bytes(), |p| {
        assert_compile_error(&stark(&["check", p]), "error[E0007]");
    });
}

#[test]
fn a_struct_with_more_fields_than_the_bytecode_addresses_is_e0007() {
    let fields: String = (0..70_000).map(|i| format!("    f{i}: Int\n")).collect();
    let src = format!("struct Big:\n{fields}fn main():\n    print(1)\n");
    with_file("big_struct.stark", src.as_bytes(), |p| {
        assert_compile_error(
            &stark(&["run", p]),
            "error[E0007]: struct `Big` is too large",
        );
    });
}

#[test]
fn long_operator_chain() {
    let src = format!("fn main():\n    print(1{})\n", " + 1".repeat(100_000));
    with_file("chain.stark", src.as_bytes(), |p| {
        let out = stark(&["check", p]);
        assert!(matches!(out.status.code(), Some(0) | Some(2)), "{out:?}");
    });
}

#[test]
fn function_needing_too_many_registers() {
    // Registers are u16: past 65,535 they used to wrap, and rc_opt indexed out of bounds.
    let items: Vec<String> = (0..40_000).map(|i| i.to_string()).collect();
    let src = format!("fn main():\n    print(len([{}]))\n", items.join(", "));
    with_file("regs.stark", src.as_bytes(), |p| {
        assert_compile_error(&stark(&["check", p]), "is too large to compile");
    });
}

#[test]
fn closed_stderr_is_not_a_crash() {
    with_file(
        "dup.stark",
        b"fn f():\n    pass\nfn f():\n    pass\n",
        |p| {
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            let status = Command::new(env!("CARGO_BIN_EXE_stark"))
                .args(["check", p])
                .stderr(writer)
                .status()
                .unwrap();
            assert_eq!(status.code(), Some(2));
        },
    );
}

#[test]
fn program_output_lost_to_a_full_disk_is_an_error_but_a_closed_pipe_is_not() {
    with_file("out.stark", b"fn main():\n    print(\"hello\")\n", |p| {
        if let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") {
            let out = Command::new(env!("CARGO_BIN_EXE_stark"))
                .args(["run", p])
                .stdout(full)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1));
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                err,
                "runtime error: cannot write the program's output: no space left on device\n"
            );
        }
        // `stark run x | head -1` that stops reading: not the program's failure.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let status = Command::new(env!("CARGO_BIN_EXE_stark"))
            .args(["run", p])
            .stdout(writer)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0));
    });
}

#[test]
fn endless_source_is_refused() {
    if Path::new("/dev/zero").exists() {
        assert_compile_error(&stark(&["check", "/dev/zero"]), "larger than");
    }
}

#[test]
fn huge_integer_literal() {
    let src = format!("fn main():\n    print({})\n", "9".repeat(500));
    with_file("huge.stark", src.as_bytes(), |p| {
        assert_compile_error(&stark(&["check", p]), "error[E0006]");
    });
}

#[test]
fn random_bytes() {
    let mut rng = Rng(42);
    for i in 0..50 {
        let bytes: Vec<u8> = (0..rng.below(400)).map(|_| rng.next() as u8).collect();
        with_file(&format!("random{i}.stark"), &bytes, |p| {
            let out = stark(&["check", p]);
            assert_eq!(out.status.code(), Some(2), "random input {i}: {out:?}");
        });
    }
}
