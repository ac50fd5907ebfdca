//! End-to-end checks of the memory flags of `stark run`: `--max-memory` (exit 3 with a
//! message, never a crash) and `--trace` (a Chrome trace-event JSON array).

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
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("would exceed the limit of 1000000 bytes"),
        "{err}"
    );
    assert!(
        err.starts_with("error: out of memory: allocating "),
        "{err}"
    );
    assert_eq!(err.matches("out of memory").count(), 1, "{err}");
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
    let t = text.trim();
    assert!(t.starts_with('[') && t.ends_with(']'), "{t}");
    assert!(
        t.contains(r#""name":"alloc""#) && t.contains(r#""type":"Node""#),
        "{t}"
    );
    assert!(
        t.contains(r#""name":"free""#) && t.contains(r#""zone":"global""#),
        "{t}"
    );
    assert!(
        t.contains(r#""ph":"C""#),
        "a live-bytes counter series: {t}"
    );
    assert!(
        t.contains(r#""ph":"X""#),
        "collector phases as duration events: {t}"
    );
    // Every event is one object on its own line, separated by commas.
    for line in t.lines().skip(1).filter(|l| *l != "]") {
        let l = line.trim_end_matches(',');
        assert!(l.starts_with('{') && l.ends_with('}'), "{l}");
    }
}
