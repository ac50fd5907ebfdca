//! What `stark run --trace` and `Memory.trace(…)` record (M13): `--trace` alone traces every
//! zone from the first allocation; an object's free carries the bytes of its allocation (a
//! size change in between is a `resize` event); an object allocated before tracing began
//! is not traced when it is freed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stark_trace_cli_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn run(args: &[&str], program: &PathBuf) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_stark"))
        .arg("run")
        .args(args)
        .arg(program)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `stark run --trace OUT.json PROGRAM`: the trace's events, metadata left out.
fn traced(name: &str, source: &str) -> Vec<serde_json::Value> {
    let p = write(name, source);
    let json = p.with_extension("json");
    run(&["--trace", json.to_str().unwrap()], &p);
    let text = std::fs::read_to_string(&json).unwrap();
    let events: Vec<serde_json::Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    events.into_iter().filter(|e| e["ph"] != "M").collect()
}

/// How many allocations (or frees) of each (type, bytes) the memory events show.
fn tally(events: &[serde_json::Value], name: &str) -> BTreeMap<(String, u64), usize> {
    let mut counts = BTreeMap::new();
    for e in events.iter().filter(|e| e["name"] == name) {
        let key = (
            e["args"]["type"].as_str().unwrap().to_string(),
            e["args"]["bytes"].as_u64().unwrap(),
        );
        *counts.entry(key).or_default() += 1;
    }
    counts
}

/// A string appended to in place (`s = s + "d"` reuses a string nothing else holds) and a
/// map that grows: both change size between their allocation and their free.
const GROWING: &str = "fn main():
    mutable let s = \"ab\" + \"c\"
    s = s + \"d\"
    mutable let m: Map<String, Int> = Map()
    for i in range(20):
        m[str(i)] = i
    mutable let xs: List<Int> = []
    for i in range(100):
        xs.push(i)
    print(len(s), len(m), len(xs))
";

#[test]
fn trace_flag_alone_traces_every_allocation() {
    let events = traced("alone.stark", GROWING);
    let allocs = tally(&events, "alloc");
    for ty in ["String", "Map", "List"] {
        assert!(
            allocs.keys().any(|(t, _)| t == ty),
            "no {ty} allocation traced: {events:?}"
        );
    }
    // The live-bytes counter series is there too, and ends at zero.
    let last = events
        .iter()
        .rfind(|e| e["ph"] == "C")
        .expect("a live-bytes counter");
    assert_eq!(last["args"]["global"], 0, "{last}");
}

#[test]
fn a_free_carries_the_bytes_of_its_allocation() {
    // `Memory.trace()` first, so that the check does not depend on the flag's default.
    let source = GROWING.replacen("fn main():\n", "fn main():\n    Memory.trace()\n", 1);
    let events = traced("sizes.stark", &source);
    // Everything is freed by the end of the run, so allocations and frees pair up exactly.
    assert_eq!(tally(&events, "alloc"), tally(&events, "free"));
    // The growth shows as resizes, and the events of each zone add up to its live bytes.
    let resizes: Vec<_> = events.iter().filter(|e| e["name"] == "resize").collect();
    for ty in ["String", "Map", "List"] {
        assert!(
            resizes.iter().any(|e| e["args"]["type"] == ty),
            "no {ty} resize: {events:?}"
        );
    }
    let mut live: i64 = 0;
    for e in &events {
        let bytes = e["args"]["bytes"].as_i64().unwrap_or(0);
        match e["name"].as_str().unwrap() {
            "alloc" => live += bytes,
            "free" => live -= bytes,
            "resize" => live += e["args"]["delta"].as_i64().unwrap(),
            n if n.starts_with("live bytes") => {
                assert_eq!(e["args"]["global"].as_i64(), Some(live), "{e}")
            }
            _ => {}
        }
    }
    assert_eq!(live, 0);
}

#[test]
fn memory_trace_with_a_zone_narrows_the_trace_flag() {
    let events = traced(
        "narrow.stark",
        "fn main():
    let early = \"ab\" + \"cd\"
    Memory.trace(zone=\"tensor\")
    let t = Tensor.zeros([4])
    let late = early + \"!\"
    print(len(late), t.len())
",
    );
    let memory: Vec<_> = events
        .iter()
        .filter(|e| e["cat"] == "memory" && e["ph"] == "i")
        .collect();
    let first_tensor = memory
        .iter()
        .position(|e| e["args"]["zone"] == "tensor")
        .expect("the tensor is traced");
    assert!(
        memory[..first_tensor]
            .iter()
            .any(|e| e["args"]["type"] == "String"),
        "before Memory.trace, every zone is traced: {memory:?}"
    );
    assert!(
        memory[first_tensor..]
            .iter()
            .all(|e| e["args"]["zone"] == "tensor"),
        "after Memory.trace(zone=\"tensor\"), only that zone: {memory:?}"
    );
    assert_eq!(tally(&events, "free").len(), 1, "only the tensor's free");
}

#[test]
fn an_object_allocated_before_tracing_is_not_traced_when_freed() {
    // Without --trace the events are lines on stderr.
    let p = write(
        "late.stark",
        "fn main():
    let early = \"ab\" + \"cd\"
    Memory.trace()
    let xs = [len(early)]
    print(xs, early)
",
    );
    let out = run(&[], &p);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let objects = |kind: &str| -> Vec<String> {
        let mut v: Vec<String> = stderr
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("trace: {kind} ")))
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    // `xs` is traced both ways; `early` and the constants "ab" and "cd" came before
    // `Memory.trace()` and are not traced at all.
    assert_eq!(objects("alloc").len(), 1, "{stderr}");
    assert_eq!(objects("alloc"), objects("free"), "{stderr}");
}
