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

/// The file follows the trace-event format Perfetto's UI reads (issue 22, item 4): every
/// event a known phase with integer `pid`/`tid` and a non-negative `ts`; counters carry
/// numeric args (one series a zone, drawn as a memory curve); the collector's phases are
/// complete events on the collector thread's track or the program's, and complete events
/// on one track nest (one inside another, or apart, never half-overlapping); the tracks
/// are named by metadata events. (Perfetto's trace processor itself is not run: its
/// PyPI package downloads the binary at first use, which this machine cannot.)
#[test]
fn the_trace_follows_the_trace_event_format() {
    let p = write(
        "format.stark",
        "struct Node:\n    id: Int\n    next: Node?\n\n\
         fn make_cycle(i: Int):\n    mutable let a = Node(i, None)\n    let b = Node(i + 1, a.clone())\n    a.next = b.clone()\n\n\
         fn main():\n    GC.config(threshold_bytes=4096, cycle_interval_ms=1, background=true)\n    \
         for i in range(20000):\n        make_cycle(i)\n    \
         arena scratch:\n        mutable let xs: List<String> = []\n        for i in range(100):\n            xs.push(f\"s{i}\")\n    \
         let t = Tensor.ones([64, 64])\n    print(t.sum(), Memory.collect(zone=\"global\") >= 0)\n",
    );
    let json = p.with_extension("json");
    run(&["--trace", json.to_str().unwrap()], &p);
    let all: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let mut named_threads = BTreeMap::new();
    let mut counters = BTreeMap::<String, usize>::new();
    let mut slices: BTreeMap<u64, Vec<(u64, u64, String)>> = BTreeMap::new();
    for e in &all {
        let ph = e["ph"].as_str().expect("a phase");
        assert!(["M", "i", "C", "X"].contains(&ph), "unknown phase {e}");
        assert!(e["pid"].is_u64(), "pid {e}");
        assert!(e["name"].is_string(), "name {e}");
        match ph {
            "M" => {
                if e["name"] == "thread_name" {
                    named_threads.insert(e["tid"].as_u64().unwrap(), e["args"]["name"].clone());
                }
            }
            "C" => {
                let args = e["args"].as_object().expect("counter args");
                assert_eq!(args.len(), 1, "one series a counter: {e}");
                assert!(args.values().all(|v| v.is_number()), "numeric: {e}");
                assert!(e["ts"].is_u64(), "ts {e}");
                *counters
                    .entry(e["name"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
            "X" => {
                let tid = e["tid"].as_u64().expect("tid");
                let (ts, dur) = (e["ts"].as_u64().unwrap(), e["dur"].as_u64().expect("dur"));
                assert!(e["name"].as_str().unwrap().starts_with("gc "), "{e}");
                slices
                    .entry(tid)
                    .or_default()
                    .push((ts, ts + dur, e["name"].to_string()));
            }
            _ => {
                assert!(e["tid"].is_u64() && e["ts"].is_u64(), "{e}");
                assert!(
                    ["t", "p", "g"].contains(&e["s"].as_str().unwrap_or("t")),
                    "scope {e}"
                );
            }
        }
    }
    assert_eq!(named_threads.get(&1), Some(&serde_json::json!("program")));
    assert_eq!(
        named_threads.get(&2),
        Some(&serde_json::json!("cycle collector"))
    );
    assert!(counters.contains_key("live bytes (global)"), "{counters:?}");
    assert!(counters.contains_key("live bytes (tensor)"), "{counters:?}");
    assert!(
        slices.contains_key(&2),
        "the collector thread's marking is on its own track"
    );
    for (tid, list) in &mut slices {
        assert!(named_threads.contains_key(tid), "track {tid} has no name");
        list.sort();
        // Complete events on one track nest: each starts after the enclosing one ends or
        // ends within it.
        let mut open: Vec<u64> = Vec::new();
        for (start, end, name) in list.iter() {
            while open.last().is_some_and(|&e| e <= *start) {
                open.pop();
            }
            if let Some(&outer) = open.last() {
                assert!(
                    *end <= outer,
                    "{name} on track {tid} half-overlaps the one around it"
                );
            }
            open.push(*end);
        }
    }
}

/// Actors are tracks of their own: each actor's heap traces into the file (the `--trace`
/// flag reaches every actor the program spawns), on a thread named `actor N: function`,
/// with its own collector steps (an actor collects on its own thread) and its own live-bytes
/// counter. Which actor starts first, and so is actor 1, is the pool's choice.
#[test]
fn actors_are_tracks_of_their_own() {
    let p = write(
        "actors.stark",
        "struct Node:\n    id: Int\n    next: Node?\n\n\
         fn make_cycle(i: Int):\n    mutable let a = Node(i, None)\n    let b = Node(i + 1, a.clone())\n    a.next = b.clone()\n\n\
         fn cycles(n: Int) -> Int:\n    GC.config(threshold_bytes=4096)\n    for i in range(n):\n        make_cycle(i)\n    return n\n\n\
         fn strings(n: Int) -> Int:\n    mutable let xs: List<String> = []\n    for i in range(n):\n        xs.push(f\"item {i}\")\n    return len(xs)\n\n\
         fn main():\n    let a = spawn cycles(5000)\n    let b = spawn strings(300)\n    print(a.join() + b.join())\n",
    );
    let json = p.with_extension("json");
    run(&["--trace", json.to_str().unwrap()], &p);
    let all: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    // Each actor's track: its thread id by the function it runs, and its number.
    let mut tracks = BTreeMap::new();
    for e in all.iter().filter(|e| e["name"] == "thread_name") {
        let name = e["args"]["name"].as_str().unwrap();
        if let Some(rest) = name.strip_prefix("actor ") {
            let (n, f) = rest.split_once(": ").expect("actor N: function");
            let tid = e["tid"].as_u64().unwrap();
            assert_eq!(tid, 10 + n.parse::<u64>().unwrap(), "{name}");
            tracks.insert(f.to_string(), (tid, n.to_string()));
        }
    }
    assert_eq!(
        tracks.keys().collect::<Vec<_>>(),
        ["cycles", "strings"],
        "{tracks:?}"
    );
    let on = |tid: u64, ph: &str, name: &str| {
        all.iter()
            .filter(|e| e["tid"] == tid && e["ph"] == ph && e["name"] == name)
            .count()
    };
    let (cycles, n_cycles) = &tracks["cycles"];
    // 5,000 cycles of two nodes, every one freed (by the actor's collector or its end).
    assert_eq!(on(*cycles, "i", "alloc"), 10_000);
    assert_eq!(on(*cycles, "i", "free"), 10_000);
    let gc_slices = all
        .iter()
        .filter(|e| e["tid"] == *cycles && e["ph"] == "X")
        .count();
    assert!(
        gc_slices > 0,
        "the actor's collector steps are on its track"
    );
    let (strings, n_strings) = &tracks["strings"];
    assert!(on(*strings, "i", "alloc") >= 300);
    assert_eq!(on(*strings, "i", "alloc"), on(*strings, "i", "free"));
    // Nothing of the actors' on the program's tracks: its own allocations are few.
    assert!(on(1, "i", "alloc") < 10, "{}", on(1, "i", "alloc"));
    for n in [n_cycles, n_strings] {
        let series = format!("live bytes (actor {n})");
        assert!(
            all.iter()
                .any(|e| e["ph"] == "C" && e["name"] == series.as_str()),
            "no counter {series}"
        );
    }
}
