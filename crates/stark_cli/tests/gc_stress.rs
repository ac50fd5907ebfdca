//! Longer runs of `tests/ui/run/gc_stress_rewire.stark` (the UI suite runs its short default):
//! the background collector races a mutator that keeps rewiring a cyclic graph, with several
//! seeds. The program itself asserts, after every step, that every node still reachable is
//! intact and was never finalized, and at the end that each unreachable node was freed exactly
//! once; a collector bug shows up as a failed `assert` (exit 1), a crash, or a leak.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn run(steps: u32, seed: u32) -> Result<(), String> {
    let out = Command::new(env!("CARGO_BIN_EXE_stark"))
        .args([
            "run",
            "tests/ui/run/gc_stress_rewire.stark",
            &steps.to_string(),
            &seed.to_string(),
        ])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("STARK_CHECK_LEAKS", "1")
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(0) || !stderr.is_empty() {
        return Err(format!(
            "seed {seed}: exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status.code()
        ));
    }
    // The last line reports every node made as freed once all rings are dropped.
    let last = stdout.lines().last().unwrap_or_default();
    let words: Vec<&str> = last.split_whitespace().collect();
    match words.as_slice() {
        [.., freed, "of", made] if freed == made => Ok(()),
        _ => Err(format!(
            "seed {seed}: unexpected summary `{last}`\n{stdout}"
        )),
    }
}

#[test]
fn background_collector_never_frees_a_reachable_node() {
    let seeds = [1u32, 99, 31337, 2024];
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = seeds
            .iter()
            .map(|&seed| s.spawn(move || run(1200, seed)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
