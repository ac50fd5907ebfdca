//! The docs cannot go stale (issue 21): every ```` ```stark ```` block of `docs/*.md` is a
//! program this runner runs, and what it prints must be the ```` ```output ```` block
//! after it. Conventions, written for doc authors in `docs/README.md`:
//!
//! - ```` ```stark ````: a whole program, run (`stark run example.stark`, leak and heap
//!   checks on) in a folder of its own; exit 0 unless the info string says `exit=N`.
//! - ```` ```stark check ````: a program that must not compile; `stark check`, exit 2.
//! - ```` ```stark file=NAME.stark ````: a module, written beside the next program (for
//!   `import`); not run itself.
//! - ```` ```stark repl ````: a session, piped into `stark repl` (leak check on).
//! - ```` ```output ```` right after a program block (prose may come between): its stdout,
//!   then its stderr, exactly. A program block with no output block must print nothing.
//! - ```` ```ir ```` after a program block: an excerpt of `stark ir example.stark`: each of
//!   its lines must appear in the bytecode, in order (spaces at the ends ignored).
//!
//! Each program is a test named `docs/FILE.md:LINE`; `STARK_BLESS=1` rewrites output blocks.

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// A fenced block: its info string, first content line (1-based) and text.
#[derive(Clone)]
struct Block {
    info: String,
    line: usize,
    text: String,
    /// Byte range of the text in the file, for blessing.
    range: std::ops::Range<usize>,
    /// Its place among the file's blocks, which blessing another block does not change.
    index: usize,
}

fn blocks(doc: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(String, usize, usize)> = None;
    let mut offset = 0;
    for (i, line) in doc.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let fence = line.trim_end();
        match &open {
            None => {
                if let Some(info) = fence.strip_prefix("```") {
                    open = Some((info.trim().to_string(), i + 2, offset));
                }
            }
            Some((info, first, text_start)) => {
                if fence == "```" {
                    out.push(Block {
                        index: out.len(),
                        info: info.clone(),
                        line: *first,
                        text: doc[*text_start..start].to_string(),
                        range: *text_start..start,
                    });
                    open = None;
                }
            }
        }
    }
    out
}

/// One program of a doc and what follows it.
struct Example {
    doc: PathBuf,
    program: Block,
    modules: Vec<(String, String)>,
    output: Option<Block>,
    ir: Option<Block>,
}

fn examples(doc: &Path) -> Vec<Example> {
    let text = std::fs::read_to_string(doc).expect("read doc");
    let blocks = blocks(&text);
    let mut out = Vec::new();
    let mut modules = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        let b = &blocks[i];
        let words: Vec<&str> = b.info.split_whitespace().collect();
        i += 1;
        if words.first() != Some(&"stark") {
            continue;
        }
        if let Some(name) = words.iter().find_map(|w| w.strip_prefix("file=")) {
            modules.push((name.to_string(), b.text.clone()));
            continue;
        }
        let mut example = Example {
            doc: doc.to_path_buf(),
            program: b.clone(),
            modules: std::mem::take(&mut modules),
            output: None,
            ir: None,
        };
        while let Some(next) = blocks.get(i) {
            match next.info.as_str() {
                "output" if example.output.is_none() => example.output = Some(next.clone()),
                "ir" if example.ir.is_none() => example.ir = Some(next.clone()),
                _ => break,
            }
            i += 1;
        }
        out.push(example);
    }
    out
}

fn run(example: &Example, bless: bool) -> Result<(), String> {
    let words: Vec<&str> = example.program.info.split_whitespace().collect();
    let check = words.contains(&"check");
    let exit = words
        .iter()
        .find_map(|w| w.strip_prefix("exit="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(if check { 2 } else { 0 });
    let dir = std::env::temp_dir().join(format!(
        "stark_docs_{}_{}_{}",
        std::process::id(),
        example.doc.file_stem().unwrap().to_string_lossy(),
        example.program.line
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in &example.modules {
        std::fs::write(dir.join(name), text).unwrap();
    }
    std::fs::write(dir.join("example.stark"), &example.program.text).unwrap();
    let stark = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_stark"))
            .args(args)
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .env("STARK_CHECK_LEAKS", "1")
            .env("STARK_CHECK_HEAP", "1")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run stark")
    };
    let out = if words.contains(&"repl") {
        // A session: the block is what the user types, piped into `stark repl`.
        let mut child = Command::new(env!("CARGO_BIN_EXE_stark"))
            .arg("repl")
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .env("STARK_CHECK_LEAKS", "1")
            .env("STARK_CHECK_HEAP", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run stark repl");
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(example.program.text.as_bytes()).unwrap();
        drop(stdin);
        child.wait_with_output().expect("run stark repl")
    } else {
        stark(&[if check { "check" } else { "run" }, "example.stark"])
    };
    let mut shown = String::from_utf8_lossy(&out.stdout).into_owned();
    shown.push_str(&String::from_utf8_lossy(&out.stderr));
    let mut failures = Vec::new();
    if out.status.code() != Some(exit) {
        failures.push(format!(
            "exit status {:?}, expected {exit}; it printed:\n{shown}",
            out.status.code()
        ));
    }
    let expected = example.output.as_ref().map_or("", |b| b.text.as_str());
    if shown != expected {
        if let (true, Some(block)) = (bless, &example.output) {
            bless_block(&example.doc, block, &shown);
        } else {
            failures.push(format!(
                "output differs\n--- in the doc\n{expected}--- printed\n{shown}"
            ));
        }
    }
    if let Some(ir) = &example.ir {
        let printed = String::from_utf8_lossy(&stark(&["ir", "example.stark"]).stdout).into_owned();
        let mut lines = printed.lines().map(str::trim_end);
        for want in ir.text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
            if !lines.any(|l| l.contains(want.trim_start())) {
                failures.push(format!(
                    "the ir excerpt's line `{want}` is not in `stark ir` (in order):\n{printed}"
                ));
                break;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// Rewrites one output block in place (blocks are blessed one at a time, from a single
/// test thread: `STARK_BLESS=1 cargo test --test docs -- --test-threads 1`).
fn bless_block(doc: &Path, block: &Block, text: &str) {
    let current = std::fs::read_to_string(doc).unwrap();
    // The block may have moved if an earlier one in the file was blessed: find it again.
    let blocks = blocks(&current);
    let Some(b) = blocks.get(block.index).filter(|b| b.info == block.info) else {
        return;
    };
    let mut new = current[..b.range.start].to_string();
    new.push_str(text);
    if !text.ends_with('\n') && !text.is_empty() {
        new.push('\n');
    }
    new.push_str(&current[b.range.end..]);
    std::fs::write(doc, new).unwrap();
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let bless = std::env::var_os("STARK_BLESS").is_some();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    let mut trials = Vec::new();
    for doc in docs {
        let name = doc.file_name().unwrap().to_string_lossy().into_owned();
        for example in examples(&doc) {
            let test = format!("docs/{name}:{}", example.program.line);
            trials.push(Trial::test(test, move || {
                run(&example, bless).map_err(Failed::from)
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit_code()
}
