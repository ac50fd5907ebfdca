//! `stark repl` (SPEC §10) as a user drives it through a pipe: each `tests/repl/NAME.session`
//! is piped in, and what the session prints is compared with `NAME.stdout`, `NAME.stderr`
//! (none when absent) and the exit status in `NAME.exit` (0 when absent). `STARK_BLESS=1`
//! rewrites the expected files. The heap checker runs after every line and objects still
//! alive at the end fail the session (`STARK_CHECK_LEAKS=1`), so a session that leaks says
//! so in its `.stderr`. The line editor is driven in tmux, where tmux is installed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Pipes `input` into `stark repl` run in `cwd`.
fn repl(cwd: &Path, input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stark"))
        .arg("repl")
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("STARK_CHECK_LEAKS", "1")
        .env("STARK_CHECK_HEAP", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start stark repl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().expect("run stark repl")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_session_prints_what_its_files_say() {
    let dir = root().join("tests/repl");
    let bless = std::env::var_os("STARK_BLESS").is_some();
    let mut sessions: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "session"))
        .collect();
    sessions.sort();
    assert!(sessions.len() >= 5, "the sessions are missing");
    let mut failures = Vec::new();
    for session in &sessions {
        let input = std::fs::read_to_string(session).unwrap();
        let out = repl(&dir, &input);
        let expected = |ext: &str| session.with_extension(ext);
        let code = out.status.code().unwrap_or(-1);
        if bless {
            std::fs::write(expected("stdout"), &out.stdout).unwrap();
            if out.stderr.is_empty() {
                let _ = std::fs::remove_file(expected("stderr"));
            } else {
                std::fs::write(expected("stderr"), &out.stderr).unwrap();
            }
            if code == 0 {
                let _ = std::fs::remove_file(expected("exit"));
            } else {
                std::fs::write(expected("exit"), format!("{code}\n")).unwrap();
            }
            continue;
        }
        let read = |ext: &str| std::fs::read_to_string(expected(ext)).unwrap_or_default();
        let name = session.file_name().unwrap().to_string_lossy();
        if text(&out.stdout) != read("stdout") {
            failures.push(format!(
                "{name}: stdout differs\n--- expected\n{}--- actual\n{}",
                read("stdout"),
                text(&out.stdout)
            ));
        }
        if text(&out.stderr) != read("stderr") {
            failures.push(format!(
                "{name}: stderr differs\n--- expected\n{}--- actual\n{}",
                read("stderr"),
                text(&out.stderr)
            ));
        }
        let want: i32 = read("exit").trim().parse().unwrap_or(0);
        if code != want {
            failures.push(format!("{name}: exit status {code}, expected {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn mem_prints_live_objects_per_zone_and_they_fall_when_a_binding_is_rebound() {
    let out = repl(
        &std::env::temp_dir(),
        "let xs = [[1], [2], [3]]\n:mem\nlet xs = 0\n:mem\n",
    );
    let stdout = text(&out.stdout);
    // The `global` row of each table: zone, live_bytes, live_objects, ...
    let live: Vec<u64> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("global"))
        .map(|l| l.split_whitespace().nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(live.len(), 2, "{stdout}");
    assert_eq!(
        live[0] - live[1],
        4,
        "the outer list and its three lists: {stdout}"
    );
    for zone in ["actor", "tensor", "io"] {
        assert!(stdout.contains(&format!("  {zone} ")), "{stdout}");
    }
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn quit_and_the_end_of_input_end_the_session_and_release_its_values() {
    let defs = "struct R:\n    n: Int\n    @destructor\n    fn drop(&mutable self):\n        print(f\"drop {self.n}\")\n\nlet a = R(n=1)\nlet b = R(n=2)\n";
    for end in [":quit\nprint(\"after quit\")\n", ""] {
        let out = repl(&std::env::temp_dir(), &format!("{defs}{end}"));
        assert_eq!(text(&out.stdout), "drop 2\ndrop 1\n");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
}

#[test]
fn imports_are_found_beside_the_session() {
    let dir = std::env::temp_dir().join(format!("stark_repl_import_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("geom.stark"),
        "fn area(w: Int, h: Int) -> Int:\n    return w * h\n",
    )
    .unwrap();
    let out = repl(&dir, "import geom\ngeom.area(3, 4)\n");
    assert_eq!(text(&out.stdout), "12\n", "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_line_editor_recalls_history_and_saves_it_in_the_data_folder() {
    let have_tmux = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_tmux {
        eprintln!("note: tmux is not on PATH; skipping the line-editor test");
        return;
    }
    let id = std::process::id();
    let data = std::env::temp_dir().join(format!("stark_repl_data_{id}"));
    let _ = std::fs::remove_dir_all(&data);
    let socket = format!("stark_repl_{id}");
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-L")
            .arg(&socket)
            .args(args)
            .output()
            .expect("run tmux")
    };
    let command = format!(
        "XDG_DATA_HOME={} {} repl",
        data.display(),
        env!("CARGO_BIN_EXE_stark")
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "100",
        "-y",
        "20",
        &command,
    ]);
    let screen = |want: &str| {
        for _ in 0..100 {
            let shown = text(&tmux(&["capture-pane", "-t", "t", "-p"]).stdout);
            if shown.contains(want) {
                return shown;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        text(&tmux(&["capture-pane", "-t", "t", "-p"]).stdout)
    };
    screen(">>>");
    tmux(&["send-keys", "-t", "t", "let x = 41", "Enter"]);
    tmux(&["send-keys", "-t", "t", "fn sq(n: Int) -> Int:", "Enter"]);
    screen("...");
    tmux(&["send-keys", "-t", "t", "    return n * n", "Enter"]);
    tmux(&["send-keys", "-t", "t", "Enter"]);
    tmux(&["send-keys", "-t", "t", "sq(x)", "Enter"]);
    let shown = screen("1681");
    assert!(shown.contains(">>> sq(x)\n1681"), "{shown}");
    // Up recalls the last entry; the edited line runs.
    tmux(&["send-keys", "-t", "t", "Up"]);
    tmux(&["send-keys", "-t", "t", "End", "BSpace", " + 1)", "Enter"]);
    let shown = screen("1764");
    assert!(shown.contains(">>> sq(x + 1)\n1764"), "{shown}");
    tmux(&["send-keys", "-t", "t", ":quit", "Enter"]);
    let history = data.join("stark/history");
    let mut saved = String::new();
    for _ in 0..100 {
        saved = std::fs::read_to_string(&history).unwrap_or_default();
        if saved.contains(":quit") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    tmux(&["kill-server"]);
    assert!(saved.contains("let x = 41"), "history: {saved}");
    assert!(saved.contains("sq(x + 1)"), "history: {saved}");
    let _ = std::fs::remove_dir_all(&data);
}
