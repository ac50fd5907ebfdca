//! End-to-end checks of the memory flags of `stark run`: `--max-memory` (exit 3 with a
//! message, never a crash) and `--trace` (a Chrome trace-event JSON array), and of what
//! happens when the system itself refuses memory (exit 3 too, never an abort).

use std::path::PathBuf;
use std::process::Command;

fn stark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stark"))
}

fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stark_memory_cli_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `stark run --max-memory 10000000 P` under a 1 GB address-space limit: a cap checked too
/// late shows as the system refusing the allocation instead of exit 3.
#[cfg(target_os = "linux")]
fn run_capped(p: &std::path::Path) -> std::process::Output {
    run_limited(p, "--max-memory 10000000")
}

/// `stark run FLAGS P` under a 1 GB address-space limit (RLIMIT_AS): there the system
/// refuses memory within a second or two, as it would a program that outgrew the machine.
#[cfg(target_os = "linux")]
fn run_limited(p: &std::path::Path, flags: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 1000000 && exec \"$0\" run {flags} \"$1\""
        ))
        .arg(env!("CARGO_BIN_EXE_stark"))
        .arg(p)
        .output()
        .unwrap()
}

/// Exit 3 ended the run, not a signal (SIGABRT would be `code() == None`), and stderr
/// has no trace of an abort or a panic.
fn assert_exit_3(out: &std::process::Output, what: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{what}: {:?}\n{err}",
        out.status
    );
    for bad in ["memory allocation of", "panicked", "stack backtrace"] {
        assert!(!err.contains(bad), "{what}: {err}");
    }
    err
}

/// The out-of-memory error is reported as every runtime error is (SPEC §1): the message,
/// `--> FILE:LINE:COL` of the failing expression, and the STARK stack trace.
fn assert_located(err: &str, p: &std::path::Path, line_col: &str) {
    assert!(err.starts_with("runtime error: out of memory: "), "{err}");
    assert_eq!(err.matches("out of memory").count(), 1, "{err}");
    let at = format!("--> {}:{line_col}", p.display());
    assert!(err.contains(&at), "expected `{at}` in:\n{err}");
    let frame = format!(
        "stack trace (most recent call first):\n  at main ({}:",
        p.display()
    );
    assert!(err.contains(&frame), "{err}");
}

#[test]
fn max_memory_is_exit_3_with_a_message() {
    let p = write(
        "oom.stark",
        "fn main():\n    mutable let xs: List<String> = []\n    while true:\n        xs.push(\"abcdefgh\" + \"ijklmnop\")\n",
    );
    let out = stark()
        .args(["run", "--max-memory", "1000000"])
        .arg(&p)
        .output()
        .unwrap();
    let err = assert_exit_3(&out, "--max-memory");
    assert!(
        err.contains("would exceed the limit of 1000000 bytes"),
        "{err}"
    );
    assert!(
        err.starts_with("runtime error: out of memory: allocating "),
        "{err}"
    );
    // The push or the concatenation, whichever passed the cap, in main.
    assert_located(&err, &p, "4:");
}

#[test]
fn max_memory_caps_actors_too() {
    // M15: --max-memory caps the whole program. Four actors each building a list of
    // strings pass 2 MB together (none has a quota); the run ends with exit 3, not a crash.
    let p = write(
        "oom_actors.stark",
        "fn hog(n: Int) -> Int:\n    mutable let xs: List<String> = []\n    for i in range(n):\n        xs.push(\"abcdefgh\" + str(i))\n    return len(xs)\n\nfn main():\n    print(\"start\")\n    mutable let tasks: List<Task<Int>> = []\n    for i in range(4):\n        tasks.push(spawn hog(100000))\n    mutable let total = 0\n    for t in tasks:\n        total += t.join()\n    print(total)\n",
    );
    let out = stark()
        .args(["run", "--max-memory", "2000000"])
        .arg(&p)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.starts_with("runtime error: out of memory: allocating ")
            && err.contains("would exceed the limit of 2000000 bytes (in actor `hog`)"),
        "{err}"
    );
    // Where the actor was when it passed the cap, then where main joined it.
    assert!(err.contains("  at actor hog ("), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "start\n");
    // Without the cap the same program runs to the end.
    let out = stark().arg("run").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "start\n400000\n");
}

#[test]
fn trace_file_is_chrome_trace_json() {
    let p = write(
        "trace.stark",
        "struct Node:\n    next: Node?\n\nfn main():\n    Memory.trace()\n    mutable let a = Node(None)\n    let b = Node(a.clone())\n    a.next = b.clone()\n    let s = \"x\" + \"y\"\n    print(len(s))\n",
    );
    let json = p.with_extension("json");
    let out = stark()
        .arg("run")
        .arg("--trace")
        .arg(&json)
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&json).unwrap();
    let events: Vec<serde_json::Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    let field =
        |e: &serde_json::Value, k: &str| e.get(k).and_then(|v| v.as_str()).map(str::to_string);
    // Every event has the fields Chrome's trace-event format requires.
    for e in &events {
        assert!(
            field(e, "name").is_some() && field(e, "ph").is_some(),
            "{e}"
        );
        // Metadata events (`ph: M`, the process and thread names) carry no timestamp.
        if field(e, "ph").as_deref() != Some("M") {
            assert!(e.get("ts").is_some_and(|t| t.is_number()), "{e}");
        }
        assert!(e.get("pid").is_some(), "{e}");
    }
    let named = |n: &'static str| {
        events
            .iter()
            .filter(move |e| field(e, "name").as_deref() == Some(n))
    };
    // Allocations and frees are instant events carrying type, bytes and zone.
    let allocs: Vec<_> = named("alloc").collect();
    assert!(allocs.iter().any(|e| e["args"]["type"] == "Node"), "{text}");
    assert!(
        allocs.iter().any(|e| e["args"]["type"] == "String"),
        "{text}"
    );
    for e in allocs.iter().copied().chain(named("free")) {
        assert_eq!(field(e, "ph").as_deref(), Some("i"), "{e}");
        assert!(e["args"]["bytes"].as_u64().is_some_and(|b| b > 0), "{e}");
        assert_eq!(e["args"]["zone"], "global", "{e}");
    }
    // Both nodes (a cycle, freed by the final collection) are freed.
    let nodes = |n: &'static str| named(n).filter(|e| e["args"]["type"] == "Node").count();
    assert_eq!((nodes("alloc"), nodes("free")), (2, 2), "{text}");
    // A counter series per zone draws the live-bytes curve; it ends at zero.
    let counters: Vec<_> = events
        .iter()
        .filter(|e| field(e, "ph").as_deref() == Some("C"))
        .collect();
    assert!(!counters.is_empty(), "a live-bytes counter series: {text}");
    let last = counters.last().unwrap();
    let values: Vec<u64> = last["args"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|v| v.as_u64())
        .collect();
    assert_eq!(values, vec![0], "live bytes at the end: {last}");
    // Collector phases are complete (duration) events.
    assert!(
        events
            .iter()
            .any(|e| field(e, "ph").as_deref() == Some("X") && e["dur"].is_number()),
        "collector phases as duration events: {text}"
    );
}

#[test]
fn max_memory_is_checked_before_a_tensor_buffer_is_built() {
    // A 4 GB tensor under a 10 MB cap is refused before its buffer exists. Run under a 1 GB
    // address-space limit: had the buffer been allocated first, the system would refuse it
    // (or, without the ulimit, the program would touch 4 GB before failing).
    let p = write(
        "oom_tensor.stark",
        "fn main():\n    print(\"start\")\n    let a = Tensor.ones([1000, 1000000])\n    print(a.len())\n",
    );
    let q = write(
        "oom_matmul.stark",
        "fn main():\n    let a = Tensor.ones([1, 40000])\n    let b = Tensor.ones([40000, 1])\n    print((b @ a).len())\n",
    );
    for p in [p, q] {
        let out = run_capped(&p);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(
            err.contains("would exceed the limit of 10000000 bytes"),
            "{err}"
        );
    }
}

#[test]
#[cfg(target_os = "linux")]
fn max_memory_caps_reading_an_endless_file() {
    // `read_all` and `read_line` on /dev/zero grow without end; the text is checked against
    // the cap as it is read, so this is exit 3 long before the 1 GB address-space limit.
    for call in ["len(f.read_all())", "f.read_line()"] {
        let p = write(
            "read_zero.stark",
            &format!("fn main():\n    let f = File.open(\"/dev/zero\")\n    print({call})\n"),
        );
        let out = run_capped(&p);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{call}: {err}");
        assert!(
            err.contains("would exceed the limit of 10000000 bytes"),
            "{err}"
        );
    }
}

#[test]
#[cfg(target_os = "linux")]
fn max_memory_caps_loading_an_endless_dataset() {
    // Dataset.load reads /dev/zero as one endless header field: its buffers are in the io
    // zone and checked against the cap as they grow, so this is exit 3 at 10 MB, with the
    // error located at the load, long before the 1 GB address-space limit.
    let p = write(
        "load_zero.stark",
        "fn main():\n    print(\"start\")\n    let d = Dataset.load(\"/dev/zero\")\n    print(d.len())\n",
    );
    let out = run_capped(&p);
    let err = assert_exit_3(&out, "Dataset.load(/dev/zero) --max-memory");
    assert!(
        err.contains("would exceed the limit of 10000000 bytes"),
        "{err}"
    );
    assert_located(&err, &p, "3:13");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "start\n");
}

#[test]
#[cfg(target_os = "linux")]
fn twins_running_out_of_memory_exit_3() {
    // A twin (SPEC §6) returns a failure of the file as `Err`, but running out of memory is
    // the program's, not the file's: reading /dev/zero through one is still exit 3, located
    // at the call, and the `Err` arm never runs.
    for (call, col) in [
        ("read_file(\"/dev/zero\")", "3:11"),
        (
            "File.try_open(\"/dev/zero\").unwrap().try_read_line()",
            "3:11",
        ),
        (
            "File.try_open(\"/dev/zero\").unwrap().try_read_all()",
            "3:11",
        ),
        ("Dataset.try_load(\"/dev/zero\")", "3:11"),
    ] {
        let p = write(
            "twin_zero.stark",
            &format!(
                "fn main():\n    print(\"start\")\n    match {call}:\n        case Ok(_):\n            print(\"ok\")\n        case Err(msg):\n            print(\"err\", msg)\n"
            ),
        );
        let out = run_capped(&p);
        let err = assert_exit_3(&out, call);
        assert!(
            err.contains("would exceed the limit of 10000000 bytes"),
            "{call}: {err}"
        );
        assert_located(&err, &p, col);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "start\n", "{call}");
    }
}

#[test]
#[cfg(target_os = "linux")]
fn readers_the_system_refuses_memory_exit_3() {
    // No --max-memory: the reader grows until the address-space limit makes the system
    // refuse it. The buffer grows fallibly, so that is the out-of-memory runtime error,
    // located, with exit 3 — not an abort.
    for (call, col) in [
        ("f.read_line()", "4:11"),
        ("len(f.read_all())", "4:15"),
        ("Dataset.load(\"/dev/zero\").len()", "4:11"),
    ] {
        let p = write(
            "refused_reader.stark",
            &format!(
                "fn main():\n    let f = File.open(\"/dev/zero\")\n    print(\"start\")\n    print({call})\n"
            ),
        );
        let out = run_limited(&p, "");
        let err = assert_exit_3(&out, call);
        assert!(
            err.starts_with("runtime error: out of memory: the system refused an allocation"),
            "{call}: {err}"
        );
        assert_located(&err, &p, col);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "start\n", "{call}");
    }
}

#[test]
#[cfg(target_os = "linux")]
fn a_list_the_system_refuses_to_grow_is_exit_3() {
    // Small strings pushed until the address-space limit refuses memory, somewhere: a
    // heap block, a string's text, the list's buffer or the metadata table. Whichever it
    // is, the run reports the out-of-memory runtime error where the loop was, and then
    // tears down a heap of millions of objects without needing memory to do so.
    let p = write(
        "refused_list.stark",
        "fn main():\n    mutable let xs: List<String> = []\n    while true:\n        xs.push(\"abcdefgh\" + \"ijklmnop\")\n",
    );
    let out = run_limited(&p, "");
    let err = assert_exit_3(&out, "list of strings");
    assert!(
        err.starts_with("runtime error: out of memory: the system refused an allocation"),
        "{err}"
    );
    assert_located(&err, &p, "4:");
}

/// `--mem-report` ends with the collector's pauses: how many, their wall p99 and max, the
/// worst step's CPU time, and a histogram whose rows count every pause once.
#[test]
fn mem_report_shows_the_pause_histogram() {
    let p = write(
        "pauses.stark",
        "struct Node:\n    id: Int\n    next: Node?\n\n\
         fn make_cycle(i: Int):\n    mutable let a = Node(i, None)\n    let b = Node(i + 1, a.clone())\n    a.next = b.clone()\n\n\
         fn main():\n    GC.config(threshold_bytes=4096, cycle_interval_ms=1, background=true)\n    \
         for i in range(50000):\n        make_cycle(i)\n    \
         let p = Memory.profile()\n    print(p.collections > 0, p.gc_pause_p99_us <= p.gc_pause_max_us)\n",
    );
    let out = stark()
        .arg("run")
        .arg("--mem-report")
        .arg(&p)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "true true\n");
    let at = err.find("collector pauses: ").expect("the pause line");
    let mut lines = err[at..].lines();
    let head = lines.next().unwrap();
    let nums: Vec<u64> = head
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap())
        .collect();
    // "collector pauses: N, T ms in all (wall p99 P µs, max M µs; CPU p99 Q µs, max C µs,
    // K over 100 µs)"
    let [n, total_ms, 99, p99, max, 99, cpu_p99, cpu, over, 100] = nums[..] else {
        panic!("{head}")
    };
    assert!(n > 0 && p99 <= max && cpu_p99 <= cpu && over <= n, "{head}");
    assert!(total_ms * 1000 <= n * max, "{head}");
    // The CPU time of a step never exceeds its wall time by more than the clocks' grain.
    assert!(cpu <= max + 1000, "{head}");
    let rows: Vec<u64> = lines
        .by_ref()
        .take(9)
        .map(|l| l.split_whitespace().last().unwrap().parse().unwrap())
        .collect();
    assert_eq!(rows.len(), 9, "{err}");
    assert_eq!(rows.iter().sum::<u64>(), n, "{err}");
    // Then what the step with the most CPU time did: at least one group validated or
    // some nodes handled, and its CPU time the worst one above.
    let worst = lines.next().expect("the worst step's line");
    assert!(
        worst.starts_with(&format!("  most CPU time: {cpu} µs (wall "))
            && worst.contains("a step that"),
        "{err}"
    );
}

/// `--mem-report=FILE.html` (SPEC §10): one self-contained page (nothing fetched, no
/// script) with three charts on one time axis, the peaks and the types near the peak, and
/// nothing on stderr. How it looks is checked by `bench/mem_report_check` in headless
/// Chromium (a screenshot to look at, and its console errors).
#[test]
fn mem_report_html_is_one_page_with_the_run_over_time() {
    let p = write(
        "report.stark",
        "struct Node:\n    id: Int\n    next: Node?\n\n\
         struct Blob:\n    data: List<Int>\n\n\
         fn make_cycle(i: Int):\n    mutable let a = Node(i, None)\n    let b = Node(i + 1, a.clone())\n    a.next = b.clone()\n\n\
         fn main():\n    GC.config(threshold_bytes=65536, cycle_interval_ms=1, background=true)\n    \
         mutable let keep: List<Blob> = []\n    \
         for i in range(300000):\n        make_cycle(i)\n        if i % 1000 == 0:\n            keep.push(Blob([i]))\n    \
         print(len(keep), Memory.profile().peak_bytes > 0)\n",
    );
    let html = p.with_file_name("report.html");
    let out = stark()
        .arg("run")
        .arg(format!("--mem-report={}", html.display()))
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "300 true\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "the text report is not printed"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    // Self-contained: no script, nothing to fetch.
    for banned in [
        "<script", "http:", "https:", "src=", "href=", "@import", "url(",
    ] {
        assert!(!page.contains(banned), "the page contains {banned}");
    }
    assert_eq!(page.matches("<svg").count(), 3);
    assert_eq!(page.matches("</svg>").count(), 3);
    // Live bytes per zone: a line per zone, with a point per sample (one every 5 ms).
    let lines: Vec<&str> = page.split("<polyline").skip(1).collect();
    assert_eq!(lines.len(), 4 + 2, "four zones, then allocations and frees");
    let points = |l: &str| {
        l.split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .split_whitespace()
            .count()
    };
    assert!(points(lines[0]) >= 3, "{}", lines[0]);
    assert_eq!(points(lines[0]), points(lines[4]), "one time axis");
    // The collector ran: its pauses are drawn, and counted in a card.
    assert!(page.contains("stroke=\"#c0392b\""), "no pause drawn");
    assert!(
        page.contains("<p>CPU time of a step: p99 ") && page.contains(" a step that "),
        "the step with the most CPU time"
    );
    let pauses: u64 = page
        .split("collector pauses<b>")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .and_then(|n| n.parse().ok())
        .expect("the pause count");
    assert!(pauses > 0);
    // The types live near the peak name the program's own.
    assert!(
        page.contains("<td>Node</td>") && page.contains("<td>Blob</td>"),
        "types table"
    );
    for zone in ["global", "actor", "tensor", "io"] {
        assert!(
            page.contains(&format!("<td>{zone}</td>")),
            "no row for {zone}"
        );
    }
    // Without a file, the text report goes to stderr as before.
    let out = stark()
        .arg("run")
        .arg("--mem-report")
        .arg(&p)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("MemoryStats"));
}
