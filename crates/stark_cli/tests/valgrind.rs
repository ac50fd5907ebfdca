//! Runs a sample of `tests/ui/run` programs under Valgrind's memcheck with the debug `stark`
//! binary: the runtime frees objects by hand (pool slots, arena chunks, the collector's
//! snapshot), so an invalid read or write, a use of uninitialised memory or a bad free must
//! fail the build even when the program happens to print the right thing.
//!
//! Leak checking is left to `STARK_CHECK_LEAKS=1` (the heap's own live count): Valgrind's
//! would also report process-lifetime allocations of the standard library.
//!
//! Skipped, with a note, when `valgrind` is not on `PATH`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Small programs covering destructors, weak references, recursive structs, arenas, the
/// cycle collector (background thread included), tensors, datasets and streams.
const SAMPLE: &[&str] = &[
    "destructor_scope",
    "destructor_containers",
    "destructor_nested",
    "weakref",
    "linked_list",
    "arena_blocks",
    "gc_automatic_cycles",
    "gc_stress_rewire",
    "tensor_basics",
    "tensor_memory",
    "dataset_basics",
    "stream_basics",
    "copy_deep",
    "clone_refcount",
    "arena_callee_temporary",
    "arena_outward",
    "for_list_borrow",
    "rc_constants",
    "conditional_expr_memory",
    "chain_membership_memory",
];

/// Programs whose output depends on the collector thread getting CPU time: Valgrind runs
/// one thread at a time and can starve it, so only their exit status and Valgrind's verdict
/// count.
const TIMING_DEPENDENT: &[&str] = &["gc_automatic_cycles"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn have_valgrind() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs one program; `Err` describes the failure.
fn check(root: &Path, name: &str) -> Result<(), String> {
    let rel = format!("tests/ui/run/{name}.stark");
    if !root.join(&rel).exists() {
        return Err(format!("{rel}: missing"));
    }
    let out = Command::new("valgrind")
        .args(["--error-exitcode=99", "--leak-check=no", "-q"])
        .arg(env!("CARGO_BIN_EXE_stark"))
        .arg("run")
        .arg(&rel)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env("STARK_CHECK_LEAKS", "1")
        .output()
        .map_err(|e| format!("{rel}: cannot start valgrind: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(0) {
        return Err(format!(
            "{rel}: exit status {:?}\nstderr:\n{stderr}",
            out.status.code()
        ));
    }
    // With `-q` memcheck writes nothing unless it found an error; a run test's own stderr
    // is compared below, so anything else on stderr is Valgrind's.
    let expected_err = std::fs::read_to_string(root.join(format!("tests/ui/run/{name}.stderr")))
        .unwrap_or_default();
    if stderr != expected_err {
        return Err(format!(
            "{rel}: unexpected stderr (valgrind report?)\n{stderr}"
        ));
    }
    let expected = std::fs::read_to_string(root.join(format!("tests/ui/run/{name}.stdout")))
        .unwrap_or_default();
    if stdout != expected && !TIMING_DEPENDENT.contains(&name) {
        return Err(format!(
            "{rel}: stdout differs under valgrind\n--- expected\n{expected}\n--- actual\n{stdout}"
        ));
    }
    Ok(())
}

#[test]
fn sample_programs_are_clean_under_memcheck() {
    if !have_valgrind() {
        eprintln!("note: valgrind is not on PATH; skipping the memcheck run");
        return;
    }
    let root = root();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    // Each run is single-threaded under Valgrind (it serialises threads), so one worker per
    // core keeps the whole sample to a few seconds per program.
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(name) = SAMPLE.get(i) else { break };
                if let Err(e) = check(&root, name) {
                    failures.lock().unwrap().push(e);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} programs failed under valgrind:\n\n{}",
        failures.len(),
        SAMPLE.len(),
        failures.join("\n\n")
    );
}

/// `stark repl` carries one heap across modules (`stark_vm/src/session.rs`) and links each
/// line's module onto the session's: three sessions (destructors on rebinding, moves, tuples;
/// closures kept across new definitions; borrowed and handed-over bindings) must be clean
/// and print what they print natively.
#[test]
fn repl_sessions_are_clean_under_memcheck() {
    if !have_valgrind() {
        eprintln!("note: valgrind is not on PATH; skipping the memcheck run");
        return;
    }
    let dir = root().join("tests/repl");
    for name in ["memory", "closures", "ownership"] {
        let input = std::fs::File::open(dir.join(format!("{name}.session"))).unwrap();
        let out = Command::new("valgrind")
            .args(["--error-exitcode=99", "--leak-check=no", "-q"])
            .arg(env!("CARGO_BIN_EXE_stark"))
            .arg("repl")
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .env("STARK_CHECK_LEAKS", "1")
            .env("STARK_CHECK_HEAP", "1")
            .stdin(input)
            .output()
            .expect("start valgrind");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}.session:\n{stderr}");
        let expected_err =
            std::fs::read_to_string(dir.join(format!("{name}.stderr"))).unwrap_or_default();
        assert_eq!(stderr, expected_err, "{name}.session: valgrind report?");
        let expected = std::fs::read_to_string(dir.join(format!("{name}.stdout"))).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected,
            "{name}.session"
        );
    }
}
