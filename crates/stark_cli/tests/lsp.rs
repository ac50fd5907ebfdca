//! `stark lsp` (SPEC §10, issue 22) spoken to as an editor does: a client here writes
//! JSON-RPC messages to the binary's stdin and reads its answers (diagnostics, formatting,
//! document symbols, go to definition), then shuts it down.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stark"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start stark lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut c = Client {
            child,
            stdin,
            stdout,
            next_id: 1,
        };
        let init = c.request("initialize", json!({"capabilities": {}}));
        assert!(
            init["capabilities"]["documentFormattingProvider"] == true,
            "{init}"
        );
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn read(&mut self) -> Value {
        let mut len = 0;
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "the server hung up"
            );
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                len = n.parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its result, keeping the notifications that came first.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.read();
            if m["id"] == id {
                assert!(m.get("error").is_none(), "{m}");
                return m["result"].clone();
            }
        }
    }

    /// The next `publishDiagnostics` for `uri`.
    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let m = self.read();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }

    /// What hover shows at `line`, `character` (from 0) of `uri`.
    fn hover(&mut self, uri: &str, line: u32, character: u32) -> String {
        let h = self.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
        );
        h["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The next `window/logMessage`'s text.
    fn log(&mut self) -> String {
        loop {
            let m = self.read();
            if m["method"] == "window/logMessage" {
                return m["params"]["message"].as_str().unwrap().to_string();
            }
        }
    }

    fn finish(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "exit status {status}");
    }
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("stark_lsp_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d.canonicalize().unwrap()
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn open(c: &mut Client, path: &Path, text: &str) {
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri(path), "languageId": "stark", "version": 1, "text": text}}),
    );
}

#[test]
fn diagnostics_follow_the_unsaved_text_as_it_changes() {
    let d = scratch("diags");
    let main = d.join("main.stark");
    // On disk the file is fine; the editor's text is what counts.
    std::fs::write(&main, "fn main():\n    print(1)\n").unwrap();
    let mut c = Client::start();
    let text = "fn main():\n    let x: Int = \"é\"\n    let y = 1\n    print(total // 5)\n";
    open(&mut c, &main, text);
    let diags = c.diagnostics_for(&uri(&main));
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"E0308"), "{diags:?}");
    let mismatch = diags.iter().find(|d| d["code"] == "E0308").unwrap();
    // Line 2, columns 17..20 in UTF-16 units (`"é"` is three).
    assert_eq!(
        mismatch["range"]["start"],
        json!({"line": 1, "character": 17})
    );
    assert_eq!(
        mismatch["range"]["end"],
        json!({"line": 1, "character": 20})
    );
    assert_eq!(mismatch["severity"], 1);
    // The fix arrives as a change: the errors go.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&main), "version": 2},
               "contentChanges": [{"text": "fn main():\n    let x: Int = 3\n    print(x)\n"}]}),
    );
    assert_eq!(c.diagnostics_for(&uri(&main)), Vec::<Value>::new());
    // A warning is published as one.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&main), "version": 3},
               "contentChanges": [{"text": "fn main():\n    let n = 4\n    let h = n // 2\n    print(h)\n"}]}),
    );
    let diags = c.diagnostics_for(&uri(&main));
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(
        (diags[0]["code"].as_str(), diags[0]["severity"].as_u64()),
        (Some("W0101"), Some(2))
    );
    c.finish();
}

#[test]
fn an_error_in_an_imported_module_is_published_for_that_file() {
    let d = scratch("modules");
    let main = d.join("main.stark");
    let geo = d.join("geometry.stark");
    std::fs::write(
        &geo,
        "fn area(w: Float, h: Float) -> Float:\n    return w * h\n",
    )
    .unwrap();
    let mut c = Client::start();
    open(
        &mut c,
        &main,
        "import geometry\n\nfn main():\n    print(geometry.area(2.0, 3.0))\n",
    );
    assert_eq!(c.diagnostics_for(&uri(&main)), Vec::<Value>::new());
    // The module, open in the editor with a mistake, not saved.
    open(
        &mut c,
        &geo,
        "fn area(w: Float, h: Float) -> Float:\n    return w * \"h\"\n",
    );
    // (Checking main.stark published an empty list for geometry.stark first.)
    let mut diags = c.diagnostics_for(&uri(&geo));
    if diags.is_empty() {
        diags = c.diagnostics_for(&uri(&geo));
    }
    assert_eq!(diags[0]["code"], "E0369", "{diags:?}");
    // Go to definition across modules: `area` in main.stark is declared in geometry.stark.
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri(&main)}, "position": {"line": 3, "character": 21}}),
    );
    assert_eq!(def["uri"], uri(&geo));
    assert_eq!(def["range"]["start"], json!({"line": 0, "character": 3}));
    c.finish();
}

#[test]
fn formatting_symbols_and_definitions_in_one_file() {
    let d = scratch("format");
    let main = d.join("main.stark");
    let text = "struct Point:\n    x: Int\n    y: Int\n    fn sum(&self) -> Int:\n        return self.x+self.y\nenum Shape:\n    Dot\n    Line(n: Int)\nfn main():\n    let p=Point(1,2)  // here\n    print(p.sum())\n";
    std::fs::write(&main, text).unwrap();
    let mut c = Client::start();
    open(&mut c, &main, text);
    c.diagnostics_for(&uri(&main));
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri(&main)}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    let new_text = edits[0]["newText"].as_str().unwrap();
    assert_eq!(new_text, stark_syntax::fmt::format_source(text).unwrap());
    assert!(new_text.contains("    let p = Point(1, 2)  // here\n"));
    let symbols = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri(&main)}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Point", "Shape", "main"]);
    let point: Vec<&str> = symbols[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(point, ["x", "y", "sum"]);
    // `sum` in `p.sum()` goes to the method.
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri(&main)}, "position": {"line": 10, "character": 13}}),
    );
    assert_eq!(def["range"]["start"], json!({"line": 3, "character": 7}));
    c.finish();
}

#[test]
fn hover_shows_a_bindings_type_and_how_it_holds_its_value() {
    let d = scratch("hover");
    let main = d.join("main.stark");
    let text = "struct Point:\n    x: Int\n    y: Int\n\nfn total(&ps: List<Point>, scale: Int) -> Int:\n    mutable let sum = 0\n    for p in ps:\n        sum += p.x * scale\n    return sum\n\nfn main():\n    let pts = [Point(1, 2)]\n    print(total(pts, 2))\n";
    std::fs::write(&main, text).unwrap();
    let mut c = Client::start();
    open(&mut c, &main, text);
    assert_eq!(c.diagnostics_for(&uri(&main)), Vec::<Value>::new());
    let file = uri(&main);
    let mut hover = |line: u32, character: u32| c.hover(&file, line, character);
    // `ps` in `for p in ps:` (line 7): a borrowed parameter.
    let ps = hover(6, 14);
    assert!(
        ps.contains("ps: List<Point>") && ps.contains("borrowed"),
        "{ps}"
    );
    // `sum` in `return sum`: an owned, mutable Int.
    let sum = hover(8, 12);
    assert!(
        sum.contains("mutable let sum: Int") && sum.contains("owned, mutable"),
        "{sum}"
    );
    // `p` in `p.x`: the loop variable borrows each element.
    let p = hover(7, 15);
    assert!(
        p.contains("p: Point") && p.contains("borrows each element"),
        "{p}"
    );
    // `scale`: an owned parameter.
    assert!(hover(7, 21).contains("owned (parameter)"));
    // `Point` in `[Point(1, 2)]`: the declaration's first line.
    assert!(hover(11, 16).contains("struct Point:"));
    // `total` in main: its signature.
    assert!(hover(12, 11).contains("fn total(&ps: List<Point>, scale: Int) -> Int:"));
    c.finish();
}

#[test]
fn hover_shows_where_a_binding_moves_and_where_its_value_lives() {
    let d = scratch("hover_moves");
    let main = d.join("main.stark");
    // Lines (from 0): 8 `let a`, 9 a read, 10 the move into `keep`, 11 `let b`, 14 `let c`
    // in the arena, 16 `let s` moved on one path only, 18 its move, 19 a read after it.
    let text =
        "struct Point:\n    x: Int\n    y: Int\n\nfn keep(p: Point) -> Int:\n    return p.x\n\n\
                fn main():\n    let a = Point(1, 2)\n    print(a.x)\n    let n = keep(a)\n    \
                let b = Point(3, 4)\n    print(b.x + n)\n    arena scratch:\n        \
                let c = [Point(5, 6)]\n        print(c[0].y)\n    let s = Point(7, 8)\n    \
                if n > 0:\n        keep(s)\n    print(s.x)\n";
    std::fs::write(&main, text).unwrap();
    let mut c = Client::start();
    open(&mut c, &main, text);
    let diags = c.diagnostics_for(&uri(&main));
    // The one error: `s` read after a move on one path.
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "E0382");
    let file = uri(&main);
    let mut hover = |line: u32, character: u32| c.hover(&file, line, character);
    // `a` where it is declared and where it is read: owned, moved later at line 11 (from 1).
    for (line, col) in [(8, 8), (9, 10)] {
        let a = hover(line, col);
        assert!(
            a.contains("let a: Point")
                && a.contains("owned")
                && a.contains("moved later, at line 11"),
            "{line}:{col}: {a}"
        );
    }
    // `a` in `keep(a)`: moved here.
    let moved = hover(10, 17);
    assert!(moved.contains("moved here (line 11)"), "{moved}");
    // `c` in the arena block: its list is the arena's.
    let c_hover = hover(15, 15);
    assert!(c_hover.contains("in arena `scratch`"), "{c_hover}");
    // `s` read after the `if` that may move it: possibly moved at line 19.
    let s = hover(19, 10);
    assert!(
        s.contains("possibly moved at line 19") && s.contains("E0382"),
        "{s}"
    );
    // `n`: an Int, owned, never moved.
    let n = hover(12, 16);
    assert!(n.contains("let n: Int") && !n.contains("moved"), "{n}");
    c.finish();
}

#[test]
fn hover_shows_a_stack_allocated_binding() {
    let d = scratch("hover_stack");
    let main = d.join("main.stark");
    let text = "struct Point:\n    x: Int\n    y: Int\n\nfn main():\n    let p = Point(1, 2)\n    print(p.x + p.y)\n";
    std::fs::write(&main, text).unwrap();
    let mut c = Client::start();
    open(&mut c, &main, text);
    assert_eq!(c.diagnostics_for(&uri(&main)), Vec::<Value>::new());
    let shown = c.hover(&uri(&main), 6, 10);
    assert!(shown.contains("stack-allocated"), "{shown}");
    c.finish();
}

#[test]
fn an_edit_rechecks_only_the_function_it_changed() {
    let d = scratch("incremental");
    let main = d.join("main.stark");
    let text =
        "fn double(x: Int) -> Int:\n    return x * 2\n\nfn keep(xs: List<Int>) -> Int:\n    \
                return xs[0]\n\nfn unused(s: String) -> Int:\n    let n: Int = s\n    return n\n\n\
                fn main():\n    let xs = [1, 2]\n    print(keep(xs), double(3))\n";
    let mut c = Client::start();
    open(&mut c, &main, text);
    let first = c.diagnostics_for(&uri(&main));
    assert_eq!(
        c.log(),
        format!("checked 4 of 4 functions of {}", main.display())
    );
    // `unused` has a type error (E0308); the edit is in `main`: a new line before its end.
    assert_eq!(first.len(), 1, "{first:?}");
    let edited = text.replace(
        "    let xs = [1, 2]\n",
        "    let xs = [1, 2]\n    let ys = xs\n",
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&main), "version": 2}, "contentChanges": [{"text": edited}]}),
    );
    let after = c.diagnostics_for(&uri(&main));
    // `main` and the functions it names (`keep`, `double`: a callee decides E0382's hint)
    // are checked again; `unused` is not, and its error is still reported where it is.
    assert_eq!(
        c.log(),
        format!("checked 3 of 4 functions of {}", main.display())
    );
    // `xs` moved into `ys`, then used: E0382 in `main`, and `unused`'s E0308 unchanged.
    let codes: Vec<&str> = after.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["E0308", "E0382"], "{after:?}");
    assert_eq!(after[0], first[0]);
    // A signature changes: everything is checked again.
    let signature = edited.replace("fn keep(xs: List<Int>)", "fn keep(&xs: List<Int>)");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&main), "version": 3}, "contentChanges": [{"text": signature}]}),
    );
    c.diagnostics_for(&uri(&main));
    assert_eq!(
        c.log(),
        format!("checked 4 of 4 functions of {}", main.display())
    );
    c.finish();
}

#[test]
fn completion_offers_members_after_a_dot_and_names_elsewhere() {
    let d = scratch("complete");
    let main = d.join("main.stark");
    std::fs::write(
        d.join("geometry.stark"),
        "fn area(w: Float) -> Float:\n    return w\n\nfn _hidden():\n    pass\n",
    )
    .unwrap();
    let text = "import geometry\n\nstruct Point:\n    x: Int\n    y: Int\n\n    fn norm(&self) -> Int:\n        return self.x\n\nfn main():\n    let p = Point(1, 2)\n    let words = [\"a\"]\n    print(p.x)\n";
    let mut c = Client::start();
    open(&mut c, &main, text);
    c.diagnostics_for(&uri(&main));
    // The user types `p.` on a new line, then `words.`, then `geometry.`, then `ma`.
    let complete = |c: &mut Client, typed: &str| -> Vec<String> {
        let new_text = format!("{text}    {typed}\n");
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(&main), "version": 2}, "contentChanges": [{"text": new_text}]}),
        );
        c.diagnostics_for(&uri(&main));
        let r = c.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri(&main)},
                   "position": {"line": 13, "character": 4 + typed.chars().count()}}),
        );
        r.as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    let point = complete(&mut c, "p.");
    for want in ["x", "y", "norm", "clone"] {
        assert!(point.contains(&want.to_string()), "{want} not in {point:?}");
    }
    let list = complete(&mut c, "words.");
    for want in ["push", "pop", "sort", "map"] {
        assert!(list.contains(&want.to_string()), "{want} not in {list:?}");
    }
    assert!(!list.contains(&"x".to_string()));
    let module = complete(&mut c, "geometry.");
    assert_eq!(module, ["area"], "public names only");
    let math = complete(&mut c, "math.sq");
    assert_eq!(math, ["sqrt"]);
    let names = complete(&mut c, "wo");
    assert_eq!(names, ["words"]);
    let names = complete(&mut c, "pr");
    assert!(names.contains(&"print".to_string()), "{names:?}");
    c.finish();
}

#[test]
fn rename_a_binding_in_its_function_and_an_item_across_modules() {
    let d = scratch("rename");
    let main = d.join("main.stark");
    let geo = d.join("geometry.stark");
    std::fs::write(
        &geo,
        "fn area(w: Float, h: Float) -> Float:\n    return w * h\n",
    )
    .unwrap();
    let text = "import geometry\n\nstruct Box:\n    area: Float\n\nfn main():\n    let w = 2.0\n    let b = Box(geometry.area(w, 3.0))\n    print(b.area, w)\n\nfn other(w: Int) -> Int:\n    return w\n";
    std::fs::write(&main, text).unwrap();
    let mut c = Client::start();
    open(&mut c, &main, text);
    assert_eq!(c.diagnostics_for(&uri(&main)), Vec::<Value>::new());
    let rename = |c: &mut Client, line: u32, character: u32, to: &str| -> Value {
        let id = c.next_id;
        c.next_id += 1;
        c.send(json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/rename",
                      "params": {"textDocument": {"uri": uri(&main)},
                                 "position": {"line": line, "character": character}, "newName": to}}));
        loop {
            let m = c.read();
            if m["id"] == id {
                return m;
            }
        }
    };
    // `w` of main (line 7): its declaration and its uses in main, not `other`'s `w`.
    let r = rename(&mut c, 6, 8, "width");
    let edits = r["result"]["changes"][uri(&main)]
        .as_array()
        .unwrap()
        .clone();
    let lines: Vec<u64> = edits
        .iter()
        .map(|e| e["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [6, 7, 8], "{r}");
    // `area` is also a field's name: renaming by name is refused.
    let r = rename(&mut c, 7, 26, "surface");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("also named `area`"),
        "{r}"
    );
    // With the field renamed (`size`), the module's function is renamed in both files: its
    // declaration and `geometry.area`, not the field access `b.size`.
    let text = text
        .replace("area: Float", "size: Float")
        .replace("b.area", "b.size");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&main), "version": 2}, "contentChanges": [{"text": text}]}),
    );
    assert_eq!(c.diagnostics_for(&uri(&main)), Vec::<Value>::new());
    let r = rename(&mut c, 7, 26, "surface");
    let changes = r["result"]["changes"].as_object().unwrap();
    let in_geo = changes[&uri(&geo)].as_array().unwrap();
    assert_eq!(in_geo.len(), 1);
    assert_eq!(
        in_geo[0]["range"]["start"],
        json!({"line": 0, "character": 3})
    );
    let in_main = changes[&uri(&main)].as_array().unwrap();
    assert_eq!(in_main.len(), 1, "{r}");
    assert_eq!(
        in_main[0]["range"]["start"],
        json!({"line": 7, "character": 25})
    );
    // A keyword is not a name.
    let r = rename(&mut c, 6, 8, "while");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a name"),
        "{r}"
    );
    c.finish();
}
