//! End-to-end checks of datasets (SPEC §9) that a UI test cannot make: a corrupt Parquet
//! file in any of a few hundred ways is a runtime error, never a crash; `--max-memory`
//! stops a CSV or Parquet load while it reads (exit 3, located at the load).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn stark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stark"))
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("stark_dataset_cli_{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(name: &str, text: &str) -> PathBuf {
    let p = dir().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn run(args: &[&str], p: &Path) -> Output {
    stark().arg("run").args(args).arg(p).output().unwrap()
}

/// A CSV of `rows` rows: an id, a text key, two floats.
fn csv(rows: usize) -> String {
    let mut s = String::from("id,key,x,y\n");
    for i in 0..rows {
        s.push_str(&format!(
            "{i},k{},{}.25,{}\n",
            i % 7,
            i % 1000,
            i as f64 * 0.5
        ));
    }
    s
}

/// A small xorshift, so the mutations are the same on every run.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn corrupt_parquet_files_are_runtime_errors() {
    let data = write("good.csv", &csv(300));
    let good = dir().join("good.parquet");
    let save = write(
        "save.stark",
        &format!(
            "fn main():\n    Dataset.load({:?}).save({:?})\n",
            data.to_str().unwrap(),
            good.to_str().unwrap()
        ),
    );
    let out = run(&[], &save);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&good).unwrap();
    let bad = dir().join("bad.parquet");
    let load = write(
        "load.stark",
        &format!(
            "fn main():\n    let d = Dataset.load({:?})\n    print(d.len(), d[\"x\"].sum())\n",
            bad.to_str().unwrap()
        ),
    );
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let (mut failed, mut loaded) = (0, 0);
    for round in 0..150 {
        let mut m = bytes.clone();
        match round % 3 {
            // A few bytes anywhere.
            0 | 1 => {
                for _ in 0..1 + next(&mut seed) % 6 {
                    let i = (next(&mut seed) % m.len() as u64) as usize;
                    m[i] = next(&mut seed) as u8;
                }
            }
            // Cut short.
            _ => m.truncate((next(&mut seed) % m.len() as u64) as usize),
        }
        std::fs::write(&bad, &m).unwrap();
        let out = run(&[], &load);
        let err = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => loaded += 1,
            Some(1) => {
                assert!(
                    err.contains("runtime error: cannot load"),
                    "round {round}: {err}"
                );
                failed += 1;
            }
            other => panic!("round {round}: exit {other:?}\n{err}"),
        }
        assert!(!err.contains("panicked"), "round {round}: {err}");
    }
    assert!(failed > 50, "{failed} failed, {loaded} loaded");
}

#[test]
fn max_memory_stops_a_load_while_it_reads() {
    let data = write("big.csv", &csv(200_000));
    let pq = dir().join("big.parquet");
    let save = write(
        "save_big.stark",
        &format!(
            "fn main():\n    Dataset.load({:?}).save({:?})\n",
            data.to_str().unwrap(),
            pq.to_str().unwrap()
        ),
    );
    assert!(run(&[], &save).status.success());
    for path in [data, pq] {
        let p = write(
            "capped.stark",
            &format!(
                "fn main():\n    print(\"start\")\n    let d = Dataset.load({:?})\n    print(d.len())\n",
                path.to_str().unwrap()
            ),
        );
        let out = run(&["--max-memory", "2000000"], &p);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{}: {err}", path.display());
        assert!(
            err.contains("out of memory") && err.contains("capped.stark:3:13"),
            "{err}"
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "start\n");
        // With room, the same load runs.
        let out = run(&["--max-memory", "200000000"], &p);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "start\n200000\n");
    }
}
