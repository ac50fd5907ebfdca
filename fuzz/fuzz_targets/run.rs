//! `RUSTC_BOOTSTRAP=1 cargo fuzz run run` (after `cargo build --release -p stark_cli` in the
//! workspace; `STARK_BIN` names another binary): a program that the front end accepts is run
//! by the real `stark` binary twice, optimised and with every optimisation off
//! (`STARK_NO_OPT=1`), each under a time bound and `--max-memory`, with the leak check and
//! the heap checker on.
//! Neither run may crash, panic, abort or leak; both must end with an exit status of the
//! SPEC; and when both finish, they must print the same and exit the same way. Seed it with
//! the UI programs: `mkdir -p corpus/run && cp ../tests/ui/*/*.stark ../examples/*.stark corpus/run/`.
//!
//! Running `stark` as a child process keeps the fuzzer alive through the very failures it
//! looks for (an abort, a stack overflow) and bounds each run's time and memory.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Each run's wall-clock bound; a run past it is killed and not compared.
const TIME_LIMIT: Duration = Duration::from_secs(3);
const MAX_MEMORY: &str = "200000000";

struct Outcome {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    timed_out: bool,
}

fn stark_bin() -> PathBuf {
    std::env::var_os("STARK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/stark")))
}

fn run(file: &std::path::Path, no_opt: bool) -> Outcome {
    let mut cmd = Command::new(stark_bin());
    cmd.arg("run")
        .arg("--max-memory")
        .arg(MAX_MEMORY)
        .arg(file)
        .env("STARK_CHECK_LEAKS", "1")
        .env("STARK_CHECK_HEAP", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if no_opt {
        cmd.env("STARK_NO_OPT", "1");
    }
    let mut child = cmd.spawn().expect("spawn stark (build it first, or set STARK_BIN)");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    // Readers on their own threads, so a chatty program cannot block on a full pipe.
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.by_ref().take(1 << 20).read_to_end(&mut v);
        let _ = std::io::copy(&mut out, &mut std::io::sink());
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.by_ref().take(1 << 20).read_to_end(&mut v);
        let _ = std::io::copy(&mut err, &mut std::io::sink());
        v
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            timed_out = true;
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let stdout = t_out.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap_or_default()).into_owned();
    Outcome {
        code: status.code(),
        stdout,
        stderr,
        timed_out,
    }
}

fn judge(o: &Outcome, what: &str, source: &str) {
    if o.timed_out {
        return;
    }
    // A program may end with any status through `exit(code)`; otherwise only the SPEC's.
    let ok = match o.code {
        Some(0..=3) => true,
        Some(4..=255) => source.contains("exit"),
        _ => false,
    };
    assert!(
        ok && !o.stderr.contains("panicked") && !o.stderr.contains("internal error"),
        "{what}: exit {:?}\nstderr:\n{}\nsource:\n{source}",
        o.code,
        o.stderr
    );
    assert!(
        !o.stderr.contains("leak check:"),
        "{what}: leaked\n{}\nsource:\n{source}",
        o.stderr
    );
}

/// Programs whose output depends on timing, threads or the optimiser itself: run for
/// crashes and leaks, not compared.
fn nondeterministic(source: &str) -> bool {
    ["spawn", "Memory.", "GC.", "rand", "opt-dependent"]
        .iter()
        .any(|w| source.contains(w))
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    // Programs that read files or arguments depend on the folder they run in.
    if source.contains("File.") || source.contains("Dataset.") || source.contains("input(") {
        return;
    }
    let (program, diags) = stark_syntax::parse(source);
    if !diags.is_empty() {
        return;
    }
    let (checked, diags) = stark_check::check(&program);
    if !diags.is_empty() || stark_lower::compile(&program, &checked, &[source]).is_err() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("stark-fuzz-run-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join("prog.stark");
    std::fs::write(&file, source).expect("write program");
    let opt = run(&file, false);
    let plain = run(&file, true);
    judge(&opt, "optimised", source);
    judge(&plain, "unoptimised (STARK_NO_OPT=1)", source);
    if !opt.timed_out && !plain.timed_out && !nondeterministic(source) {
        assert!(
            opt.stdout == plain.stdout && opt.code == plain.code,
            "optimised and unoptimised runs differ: exit {:?} vs {:?}\n--- optimised\n{}\n--- unoptimised\n{}\nsource:\n{source}",
            opt.code,
            plain.code,
            String::from_utf8_lossy(&opt.stdout),
            String::from_utf8_lossy(&plain.stdout)
        );
    }
});
