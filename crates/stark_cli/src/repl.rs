//! `stark repl` (SPEC §10): an interactive session over one heap.
//!
//! The session is a STARK module that only grows. A definition (`fn`, `struct`, `enum`,
//! `const`, `import`) joins the session's source as written; statements are compiled with
//! that source as a function of their own, `__line_N`, whose parameters are the session's
//! bindings and whose result is a struct `__Keep_N` of the bindings that live on:
//!
//! ```text
//! fn __line_3(xs: List<Int>, total: Int) -> __Keep_3:
//!     mutable let total = total
//!     <the entry, indented>
//!     return __Keep_3(xs, total, y)
//! ```
//!
//! So the checker and the lowering see ordinary code, and every memory rule holds as it
//! does in a file: a binding the entry moved is not returned (and leaves the session), a
//! rebound one is released when the line ends, running its destructor. Each entry's module
//! is linked onto the running one (`stark_bytecode::link`): what existed keeps its id and
//! its code (an earlier line's lambdas, which a session value may hold), what is new is
//! appended, so the values of earlier lines (struct headers, closures) keep meaning what
//! they meant. The heap is carried from line to line (`stark_vm::Carried`).
//!
//! The session holds one reference to each binding's value and passes the line another
//! (`incref`): a line that fails half-way leaves the session's bindings as they were.

use crate::driver::{front_end, texts, Mode, Source};
use crate::render::{self, SourceFile};
use stark_bytecode::{printer, Module};
use stark_check::{Checked, LocalId, Ty};
use stark_runtime::Value;
use stark_syntax::ast::{FnDecl, Item, Program, StmtKind};
use stark_syntax::{codes, Diagnostic, FileId, Span};
use stark_vm::{Carried, Vm, VmExit, VmOptions};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

/// The session's source as the loader sees it: a file of the current folder, so that an
/// `import` finds the modules beside it.
const SESSION_FILE: &str = "__repl__.stark";
/// How the user's entry is named in diagnostics and stack traces.
const INPUT_NAME: &str = "<input>";

const MODE: Mode = Mode {
    optimise: true,
    need_main: false,
};

/// One binding of the session: its value (one reference, the session's) and what the
/// next line's parameter needs to say about it.
struct Binding {
    name: String,
    ty: String,
    mutable: bool,
    /// Its value is a reference (`Ty::is_heap`) ...
    heap: bool,
    /// ... that handing over moves (`Ty::moves`), rather than shares (a String).
    moves: bool,
    value: Value,
}

/// How a line's function takes a binding it names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// The entry does not name it: not a parameter, untouched.
    Unused,
    /// A scalar: an owned parameter holding a copy, returned.
    Copy,
    /// A reference the entry only reads or mutates in place: a borrowed parameter (`&x`,
    /// `&mutable x`). The session keeps its one reference, so counts, weak references
    /// and destructors behave as in a file, and a failed line changes nothing.
    Borrow,
    /// A reference the entry moves, reassigns or captures: the session hands its
    /// reference over (an owned parameter) and gets it back in the result, if the entry
    /// did not move it away. A line that fails with it loses it.
    Take,
    /// As `Take` for a shared value (a String, a function): the line gets a reference of
    /// its own, and a failed line loses nothing.
    Share,
}

/// A binding the line returns: name, type as written, mutable, heap, moves.
#[derive(Clone)]
struct Kept {
    name: String,
    ty: String,
    mutable: bool,
    heap: bool,
    moves: bool,
}

/// A piece of the entry placed in the generated source: `len` bytes at `at` there are
/// the entry's bytes from `from`.
#[derive(Clone, Copy)]
struct Segment {
    at: usize,
    from: usize,
    len: usize,
}

/// A chunk of generated source and where the entry's text lies in it.
struct Chunk {
    text: String,
    segments: Vec<Segment>,
    /// For a line: where the `return __Keep_N(…)` arguments are, one span each.
    keep_args: Vec<(String, std::ops::Range<usize>)>,
}

/// A compiled candidate source.
struct Build {
    module: Module,
    program: Program,
    checked: Checked,
    files: Vec<SourceFile>,
    /// The entry's warnings.
    warnings: Vec<Diagnostic>,
    /// Modules read for the first time, kept if the entry is.
    read: Vec<(PathBuf, String)>,
}

/// A failed candidate: its diagnostics and the files to show them in.
struct Failure {
    diags: Vec<Diagnostic>,
    files: Vec<SourceFile>,
    internal: Option<String>,
}

struct Session {
    /// Every accepted entry's chunk, in order.
    source: String,
    /// Lines run so far (`__line_N` numbers them).
    lines: usize,
    bindings: Vec<Binding>,
    /// The linked module of the last accepted entry.
    module: Option<Module>,
    /// The heap, between lines.
    carried: Option<Carried>,
    path: PathBuf,
    /// Bindings a line moved away, and the entry that moved each: a later use is
    /// reported as E0382, as in a file, not as an unknown name.
    moved: Vec<(String, String)>,
    /// `exit(code)` ended the session.
    exit: Option<u8>,
    /// While a line is compiled and run: how it takes each of `bindings`.
    pass: Vec<Pass>,
    /// The entry of each line run, by line number less one: their functions' spans are
    /// in these texts (`own_line`).
    inputs: Vec<String>,
    /// The text of each imported module, as first read.
    modules: std::collections::HashMap<PathBuf, String>,
}

/// Runs the session on standard input; with a terminal, with line editing and history.
pub(crate) fn run() -> u8 {
    let path = std::env::current_dir()
        .unwrap_or_default()
        .join(SESSION_FILE);
    let mut session = Session {
        source: String::new(),
        lines: 0,
        bindings: Vec::new(),
        module: None,
        carried: Some(Carried::new(None)),
        path,
        moved: Vec::new(),
        exit: None,
        pass: Vec::new(),
        modules: Default::default(),
        inputs: Vec::new(),
    };
    let interactive = std::io::stdin().is_terminal();
    let mut input: Box<dyn Input> = if interactive {
        match Editor::new() {
            Some(e) => Box::new(e),
            None => Box::new(Piped::new()),
        }
    } else {
        Box::new(Piped::new())
    };
    if interactive {
        println!(
            "STARK {} — :mem, :ir NAME, :quit",
            env!("CARGO_PKG_VERSION")
        );
    }
    while let Some(entry) = read_entry(input.as_mut()) {
        let trimmed = entry.trim();
        if let Some(command) = trimmed.strip_prefix(':') {
            if !session.command(command.trim()) {
                break;
            }
            continue;
        }
        session.entry(&entry);
        if session.exit.is_some() {
            break;
        }
    }
    input.save();
    session.end()
}

/// Where entries come from: a line editor, or a pipe (no prompts).
trait Input {
    /// The next line (without its newline), `None` at the end of input.
    fn line(&mut self, continued: bool) -> Option<String>;
    fn add_history(&mut self, _entry: &str) {}
    fn save(&mut self) {}
}

/// Lines from standard input. The lock is taken for each line only: `input()` in an
/// entry reads the lines after it from the same buffer.
struct Piped;

impl Piped {
    fn new() -> Piped {
        Piped
    }
}

impl Input for Piped {
    fn line(&mut self, _continued: bool) -> Option<String> {
        let mut buf = Vec::new();
        match std::io::stdin().lock().read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    buf.pop();
                }
                Some(String::from_utf8_lossy(&buf).into_owned())
            }
        }
    }
}

struct Editor {
    editor: rustyline::DefaultEditor,
    history: Option<PathBuf>,
}

impl Editor {
    fn new() -> Option<Editor> {
        let mut editor = rustyline::DefaultEditor::new().ok()?;
        let history = history_file();
        if let Some(h) = &history {
            let _ = editor.load_history(h);
        }
        Some(Editor { editor, history })
    }
}

/// `$XDG_DATA_HOME/stark/history`, else `~/.local/share/stark/history`.
fn history_file() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("stark").join("history"))
}

impl Input for Editor {
    fn line(&mut self, continued: bool) -> Option<String> {
        let prompt = if continued { "... " } else { ">>> " };
        loop {
            match self.editor.readline(prompt) {
                Ok(line) => return Some(line),
                // Ctrl-C drops the line being typed, as in Python.
                Err(rustyline::error::ReadlineError::Interrupted) => {
                    if continued {
                        return Some(String::new());
                    }
                }
                Err(_) => return None,
            }
        }
    }

    fn add_history(&mut self, entry: &str) {
        let _ = self.editor.add_history_entry(entry);
    }

    fn save(&mut self) {
        if let Some(h) = &self.history {
            if let Some(dir) = h.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = self.editor.save_history(h);
        }
    }
}

/// One entry: a line, or a block (a line ending in `:` and the lines after it, up to an
/// empty line). `None` at the end of input.
fn read_entry(input: &mut dyn Input) -> Option<String> {
    let first = loop {
        let line = input.line(false)?;
        if !line.trim().is_empty() {
            break line;
        }
    };
    let mut entry = first.clone();
    // Newlines inside brackets are ignored (SPEC §2): an open bracket continues the entry.
    let mut depth = bracket_depth(&first);
    while depth > 0 {
        let Some(line) = input.line(true) else {
            break;
        };
        depth += bracket_depth(&line);
        entry.push('\n');
        entry.push_str(&line);
    }
    if opens_block(entry.lines().last().unwrap_or("")) {
        while let Some(line) = input.line(true) {
            if line.trim().is_empty() {
                break;
            }
            entry.push('\n');
            entry.push_str(&line);
        }
    }
    input.add_history(&entry);
    Some(entry)
}

/// How many brackets a line opens minus how many it closes, outside strings and `//`
/// comments.
fn bracket_depth(line: &str) -> i64 {
    let mut depth = 0;
    let mut quote = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '/') if chars.peek() == Some(&'/') => break,
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// Whether a line ends in `:` (a trailing `//` comment aside): it opens a block.
fn opens_block(line: &str) -> bool {
    let code = match line.find("//") {
        Some(i) if !line[..i].contains('"') => &line[..i],
        _ => line,
    };
    code.trim_end().ends_with(':') && !code.trim_start().starts_with(':')
}

/// Whether an entry is a definition the session keeps as written.
fn is_definition(entry: &str) -> bool {
    let first = entry.trim_start();
    let word: String = first
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '@')
        .collect();
    matches!(
        word.as_str(),
        "fn" | "struct" | "enum" | "const" | "import" | "from" | "@destructor"
    )
}

impl Session {
    /// A `:` command; `false` ends the session.
    fn command(&mut self, command: &str) -> bool {
        let (name, arg) = command
            .split_once(char::is_whitespace)
            .map_or((command, ""), |(n, a)| (n, a.trim()));
        match name {
            "quit" | "q" | "exit" => return false,
            "mem" => {
                if let Some(c) = &self.carried {
                    println!("{}", c.heap().profile().render());
                }
            }
            "ir" if arg.is_empty() => render::error("`:ir` takes a function's name: `:ir NAME`"),
            "ir" => self.print_ir(arg),
            _ => render::error(&format!(
                "unknown command `:{name}` (the commands are :mem, :ir NAME and :quit)"
            )),
        }
        true
    }

    /// `:ir NAME`: the bytecode of the functions named NAME (a generic function's
    /// instances too).
    fn print_ir(&self, name: &str) {
        let Some(module) = &self.module else {
            render::error(&format!("no function `{name}` in this session"));
            return;
        };
        let mut out = String::new();
        for f in &module.functions {
            let base = f.name.split('<').next().unwrap_or("");
            if f.name == name || base == name {
                printer::print_function(module, f, &mut out);
            }
        }
        if out.is_empty() {
            render::error(&format!("no function `{name}` in this session"));
        } else {
            print!("{out}");
        }
    }

    fn entry(&mut self, entry: &str) {
        // A comment alone does nothing (as in Python).
        if entry
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with("//"))
        {
            return;
        }
        if entry.starts_with([' ', '\t']) {
            render::error("unexpected indent: an entry starts at the first column");
            return;
        }
        if let Some(name) = ["__line_", "__Keep_", "__echo"]
            .iter()
            .find(|r| words(entry).iter().any(|w| w.starts_with(**r)))
        {
            render::error(&format!(
                "names beginning with `{name}` are the session's own; choose another name"
            ));
            return;
        }
        if is_definition(entry) {
            self.definition(entry);
        } else {
            self.statements(entry);
        }
    }

    /// A definition joins the session's source if the session still compiles with it.
    fn definition(&mut self, entry: &str) {
        let mut text = entry.to_string();
        text.push('\n');
        let chunk = Chunk {
            segments: vec![Segment {
                at: self.source.len(),
                from: 0,
                len: entry.len(),
            }],
            text,
            keep_args: Vec::new(),
        };
        let Some(build) = self.build(&chunk, entry) else {
            return;
        };
        let read = build.read;
        let Some(module) = self.link(build.module) else {
            return;
        };
        self.source.push_str(&chunk.text);
        self.module = Some(module);
        self.modules.extend(read);
    }

    /// Statements run as the next line, and the bindings they leave become the session's.
    fn statements(&mut self, entry: &str) {
        let n = self.lines + 1;
        // Only the bindings the entry names are its function's parameters: the others
        // cannot be touched by it, and a line then costs the same however many the
        // session holds. (A word of a string counts too, which only passes one more.)
        let words = words(entry);
        self.pass = self
            .bindings
            .iter()
            .map(|b| match (words.contains(b.name.as_str()), b.heap) {
                (false, _) => Pass::Unused,
                (true, false) => Pass::Copy,
                (true, true) => Pass::Borrow,
            })
            .collect();
        let mut outcome = None;
        'attempt: for attempt in 0..3 {
            // First without keeping anything, to learn the types of the bindings the entry
            // makes and whether it is one expression to echo; and which bindings it must own:
            // a borrowed one it moves, reassigns or lets escape is an error naming it.
            let mut probe_failure = None;
            let mut build = None;
            for _ in 0..4 {
                let probe = self.line_chunk(n, entry, None, &Echo::None);
                match self.try_build(&probe) {
                    Ok(b) => {
                        build = Some((b, probe));
                        break;
                    }
                    Err(failure) => {
                        if !self.own_blamed(&failure) {
                            probe_failure = Some((failure, probe));
                            break;
                        }
                        probe_failure = Some((failure, probe));
                    }
                }
            }
            let Some((build, probe)) = build else {
                if let Some((failure, probe)) = probe_failure {
                    self.report(failure, &probe, entry);
                }
                return;
            };
            self.show_warnings(&build, &probe, entry);
            let Some(found) = inspect(&build, n, self.prologue_len()) else {
                eprintln!("error: internal error: the line's function was not found");
                return;
            };
            if let Some(d) = unfixed_empty(&build, n, self.prologue_len(), entry) {
                self.report(
                    Failure {
                        diags: vec![d],
                        files: build.files,
                        internal: None,
                    },
                    &probe,
                    entry,
                );
                return;
            }
            let echo = match &found.echo {
                Some(Ty::Unit | Ty::NoneLit | Ty::Error) | None => Echo::None,
                Some(Ty::Optional(_)) if is_name(entry.trim()) => {
                    Echo::OptionalName(entry.trim().to_string())
                }
                Some(Ty::Optional(_)) => Echo::Optional,
                Some(_) => Echo::Plain,
            };
            // What the line returns: the bindings it owns, then the ones it makes, a name once.
            let made = |name: &str| found.lets.iter().any(|(n, ..)| n == name);
            let mut keep: Vec<Kept> = Vec::new();
            for (b, pass) in self.bindings.iter().zip(&self.pass) {
                if matches!(pass, Pass::Copy | Pass::Take | Pass::Share) && !made(&b.name) {
                    keep.push(Kept {
                        name: b.name.clone(),
                        ty: b.ty.clone(),
                        mutable: b.mutable,
                        heap: b.heap,
                        moves: b.moves,
                    });
                }
            }
            for (name, ty, mutable) in &found.lets {
                let shown = build.checked.display(ty).to_string();
                if !writable(ty) {
                    eprintln!(
                        "note: `{name}` (a `{shown}`) is not kept after this line: its type cannot be written"
                    );
                    continue;
                }
                keep.push(Kept {
                    name: name.clone(),
                    ty: shown,
                    mutable: *mutable,
                    heap: ty.is_heap(),
                    moves: ty.moves(),
                });
            }
            // A binding the entry moved away cannot be returned: the checker says which
            // (E0382 at its argument of the `return`), and it leaves the session.
            let mut build = None;
            for _ in 0..3 {
                let chunk = self.line_chunk(n, entry, Some(&keep), &echo);
                match self.try_build(&chunk) {
                    Ok(b) => {
                        build = Some(b);
                        break;
                    }
                    Err(failure) => {
                        // The keep argument each error is at, if it is a use after a move there.
                        let at_keep = |d: &Diagnostic| {
                            let at = d.primary.span.start as usize;
                            chunk.keep_args.iter().find(|(_, r)| {
                                d.code == codes::MOVED
                                    && d.primary.span.file == FileId(0)
                                    && r.contains(&at)
                            })
                        };
                        let moved: Vec<(String, bool)> = failure
                            .diags
                            .iter()
                            .filter_map(|d| {
                                at_keep(d)
                                    .map(|(name, _)| (name.clone(), d.message.contains("possibly")))
                            })
                            .collect();
                        let only_moves = failure
                            .diags
                            .iter()
                            .all(|d| d.is_warning() || at_keep(d).is_some());
                        if moved.is_empty() || !only_moves {
                            // A borrowed binding the returned ones capture must be owned.
                            if self.own_blamed(&failure) && attempt < 2 {
                                continue 'attempt;
                            }
                            self.report(failure, &chunk, entry);
                            return;
                        }
                        keep.retain(|k| !moved.iter().any(|(m, _)| *m == k.name));
                        self.moved
                            .retain(|(name, _)| !moved.iter().any(|(m, _)| m == name));
                        self.moved.extend(moved.into_iter().map(|(name, possibly)| {
                            let how = if possibly { "possibly moved" } else { "moved" };
                            (
                                name,
                                format!("{how} by an earlier entry: `{}`", first_line(entry)),
                            )
                        }));
                    }
                }
            }
            outcome = Some((build, keep, echo, found));
            break;
        }
        let Some((build, keep, echo, found)) = outcome else {
            return;
        };
        let Some(build) = build else {
            eprintln!("error: internal error: the line could not keep its bindings");
            return;
        };
        let files = build.files;
        self.modules.extend(build.read);
        let chunk = self.line_chunk(n, entry, Some(&keep), &echo);
        let Some(module) = self.link(build.module) else {
            return;
        };
        let func_name = format!("__line_{n}");
        let Some(func) = module.functions.iter().position(|f| f.name == func_name) else {
            eprintln!("error: internal error: `{func_name}` is missing from the module");
            return;
        };
        // The module is the session's from here on, whether the line succeeds or not: a
        // value a failed line left alive may be of one of its types. The line's source is
        // not kept: it never runs again, and its functions stay in the module as compiled.
        self.lines = n;
        let source = self.session_files(&files, &chunk);
        let args: Vec<(Value, Pass)> = self
            .bindings
            .iter()
            .zip(&self.pass)
            .filter(|(_, p)| **p != Pass::Unused)
            .map(|(b, p)| (b.value, *p))
            .collect();
        let mut module = module;
        self.inputs.push(entry.to_string());
        own_line(&mut module, n, &chunk);
        let module = self.module.insert(module);
        let carried = self.carried.take().unwrap_or_else(|| Carried::new(None));
        let mut vm = Vm::resume(module, VmOptions::default(), carried);
        for &(v, pass) in &args {
            if pass == Pass::Share {
                vm.heap_mut().incref(v);
            }
        }
        let args: Vec<Value> = args.into_iter().map(|(v, _)| v).collect();
        let passes = std::mem::take(&mut self.pass);
        let old = std::mem::take(&mut self.bindings);
        match vm.run_line(func as u32, &args) {
            Ok(values) => {
                self.moved
                    .retain(|(name, _)| !keep.iter().any(|k| k.name == *name));
                let mut returned: Vec<Binding> = keep
                    .into_iter()
                    .zip(values)
                    .map(|(k, value)| Binding {
                        name: k.name,
                        ty: k.ty,
                        mutable: k.mutable,
                        heap: k.heap,
                        moves: k.moves,
                        value,
                    })
                    .collect();
                // A binding the line took and returned stays in its place; one it made
                // or rebound comes last, as made last. The session's references it still
                // holds to what it lent or shared go now (a rebound value's destructor
                // runs here, after the line's output).
                let mut release = Vec::new();
                for (b, pass) in old.into_iter().zip(passes) {
                    let back = returned
                        .iter()
                        .position(|r| r.name == b.name)
                        .filter(|_| !found.lets.iter().any(|(n, ..)| *n == b.name));
                    match pass {
                        Pass::Unused => self.bindings.push(b),
                        Pass::Borrow
                            if back.is_none() && !found.lets.iter().any(|(n, ..)| *n == b.name) =>
                        {
                            self.bindings.push(b)
                        }
                        Pass::Borrow | Pass::Share => {
                            if let Some(i) = back {
                                self.bindings.push(returned.remove(i));
                            }
                            release.push(b.value);
                        }
                        Pass::Copy | Pass::Take => {
                            if let Some(i) = back {
                                self.bindings.push(returned.remove(i));
                            }
                        }
                    }
                }
                self.bindings.extend(returned);
                for v in release.into_iter().rev() {
                    if let Err(e) = vm.release(v) {
                        report_exit(&source, &self.inputs, e);
                    }
                }
            }
            Err(e) => {
                // What the line was handed over died with it (never freed: its frame was
                // not unwound); everything else is as it was.
                let mut lost = Vec::new();
                for (b, pass) in old.into_iter().zip(passes) {
                    if pass == Pass::Take {
                        lost.push(b.name);
                    } else {
                        self.bindings.push(b);
                    }
                }
                match e {
                    // What the line printed is out; the session ends with `code`.
                    VmExit::Exit(code) => {
                        self.exit = Some(u8::try_from(code.rem_euclid(256)).unwrap_or(1));
                    }
                    e => {
                        report_exit(&source, &self.inputs, e);
                        for name in lost {
                            eprintln!(
                                "note: `{name}` was handed to the failed line and is lost with it"
                            );
                            self.moved
                                .push((name, "lost with a line that failed".to_string()));
                        }
                    }
                }
            }
        }
        self.carried = Some(vm.suspend());
    }

    /// The files of a build of the session's source with `chunk`.
    fn session_files(&self, files: &[SourceFile], chunk: &Chunk) -> Vec<SourceFile> {
        let mut out = vec![SourceFile {
            name: SESSION_FILE.into(),
            text: format!("{}{}", self.source, chunk.text),
        }];
        out.extend(files.iter().skip(1).map(|f| SourceFile {
            name: f.name.clone(),
            text: f.text.clone(),
        }));
        out
    }

    /// The `mutable let b = b` lines at the top of each line's function.
    fn prologue_len(&self) -> usize {
        self.params()
            .filter(|(b, p)| b.mutable && *p != Pass::Borrow)
            .count()
    }

    /// The bindings this line's function takes, in the session's order, and how.
    fn params(&self) -> impl Iterator<Item = (&Binding, Pass)> {
        self.bindings
            .iter()
            .zip(self.pass.iter().copied())
            .filter(|(_, p)| *p != Pass::Unused)
    }

    /// The function (and keep struct) of line `n`: `keep` `None` for the probe.
    fn line_chunk(&self, n: usize, entry: &str, keep: Option<&[Kept]>, echo: &Echo) -> Chunk {
        let base = self.source.len();
        let mut text = format!("fn __line_{n}(");
        for (i, (b, pass)) in self.params().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            let borrow = match (pass, b.mutable) {
                (Pass::Borrow, true) => "&mutable ",
                (Pass::Borrow, false) => "&",
                _ => "",
            };
            text.push_str(&format!("{borrow}{}: {}", b.name, b.ty));
        }
        text.push(')');
        let keeps = keep.filter(|k| !k.is_empty());
        if keeps.is_some() {
            text.push_str(&format!(" -> __Keep_{n}"));
        }
        text.push_str(":\n");
        for (b, _) in self
            .params()
            .filter(|(b, p)| b.mutable && *p != Pass::Borrow)
        {
            text.push_str(&format!("    mutable let {0} = {0}\n", b.name));
        }
        let (open, close) = match echo {
            Echo::None => ("", ""),
            Echo::Plain => ("    print(\n", "    )\n"),
            Echo::Optional => (
                "    let __echo = (\n",
                "    )\n    if __echo != None:\n        print(__echo)\n",
            ),
            Echo::OptionalName(_) => ("    if (\n", "    ) != None:\n"),
        };
        text.push_str(open);
        let mut segments = Vec::new();
        let mut from = 0;
        for line in entry.split('\n') {
            text.push_str("    ");
            segments.push(Segment {
                at: base + text.len(),
                from,
                len: line.len(),
            });
            text.push_str(line);
            text.push('\n');
            from += line.len() + 1;
        }
        text.push_str(close);
        if let Echo::OptionalName(name) = echo {
            text.push_str(&format!("        print({name})\n"));
        }
        if entry.trim().is_empty() {
            text.push_str("    pass\n");
        }
        let mut keep_args = Vec::new();
        if let Some(keep) = keeps {
            text.push_str(&format!("    return __Keep_{n}("));
            for (i, Kept { name, .. }) in keep.iter().enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                let at = base + text.len();
                text.push_str(name);
                keep_args.push((name.clone(), at..at + name.len()));
            }
            text.push_str(&format!(")\n\nstruct __Keep_{n}:\n"));
            for Kept { name, ty, .. } in keep {
                text.push_str(&format!("    {name}: {ty}\n"));
            }
        }
        text.push('\n');
        Chunk {
            text,
            segments,
            keep_args,
        }
    }

    /// Compiles the session with `chunk` added, reporting what fails.
    fn build(&self, chunk: &Chunk, entry: &str) -> Option<Build> {
        match self.try_build(chunk) {
            Ok(b) => {
                self.show_warnings(&b, chunk, entry);
                Some(b)
            }
            Err(failure) => {
                self.report(failure, chunk, entry);
                None
            }
        }
    }

    /// Turns each borrowed binding an error names into one the line owns (the entry
    /// moves, reassigns or captures it); whether any was.
    fn own_blamed(&mut self, failure: &Failure) -> bool {
        let mut changed = false;
        for (b, pass) in self.bindings.iter().zip(self.pass.iter_mut()) {
            let named = format!("`{}`", b.name);
            let blamed = failure.diags.iter().any(|d| {
                !d.is_warning()
                    && (d.message.contains(&named)
                        || d.primary.message.contains(&named)
                        || d.secondary.iter().any(|l| l.message.contains(&named)))
            });
            if *pass == Pass::Borrow && blamed {
                *pass = if b.moves { Pass::Take } else { Pass::Share };
                changed = true;
            }
        }
        changed
    }

    /// The entry's warnings (W0101, W0102), in the entry's text.
    fn show_warnings(&self, b: &Build, chunk: &Chunk, entry: &str) {
        if b.warnings.is_empty() {
            return;
        }
        let failure = Failure {
            diags: b.warnings.clone(),
            files: b
                .files
                .iter()
                .map(|f| SourceFile {
                    name: f.name.clone(),
                    text: f.text.clone(),
                })
                .collect(),
            internal: None,
        };
        self.report(failure, chunk, entry);
    }

    fn try_build(&self, chunk: &Chunk) -> Result<Build, Failure> {
        let candidate = format!("{}{}", self.source, chunk.text);
        let path = self.path.clone();
        // A module is read when first imported, and that text is the session's from then
        // on (as Python imports once): a later edit of the file must not change what the
        // values the session made from it mean.
        let read = std::cell::RefCell::new(Vec::new());
        let overlay = |p: &std::path::Path| {
            if p == path {
                return Some(candidate.clone());
            }
            if let Some(text) = self.modules.get(p) {
                return Some(text.clone());
            }
            let text = std::fs::read_to_string(p).ok()?;
            read.borrow_mut().push((p.to_path_buf(), text.clone()));
            Some(text)
        };
        let front = match front_end(&self.path, SESSION_FILE, MODE, &Source::Overlay(&overlay)) {
            Ok(f) => f,
            Err(_) => {
                return Err(Failure {
                    diags: Vec::new(),
                    files: Vec::new(),
                    internal: Some("the session's source could not be read".into()),
                })
            }
        };
        let (Some(checked), false) = (front.checked, front.failed) else {
            return Err(Failure {
                diags: front.diags,
                files: front.files,
                internal: None,
            });
        };
        // Warnings of the entry are shown; the session's earlier ones were already.
        let warnings: Vec<Diagnostic> = front
            .diags
            .iter()
            .filter(|d| {
                d.is_warning()
                    && d.primary.span.file == FileId(0)
                    && d.primary.span.start as usize >= self.source.len()
            })
            .cloned()
            .collect();
        let module = match stark_lower::compile(&front.program, &checked, &texts(&front.files)) {
            Ok(m) => m,
            Err(d) => {
                return Err(Failure {
                    diags: vec![*d],
                    files: front.files,
                    internal: None,
                })
            }
        };
        Ok(Build {
            module,
            read: read.into_inner(),
            program: front.program,
            checked,
            files: front.files,
            warnings,
        })
    }

    /// Renders a failed build's diagnostics with the entry's spans in the entry's text.
    fn report(&self, failure: Failure, chunk: &Chunk, entry: &str) {
        if let Some(why) = failure.internal {
            eprintln!("error: {why}");
            return;
        }
        let mut files = failure.files;
        let input = files.len();
        files.push(SourceFile {
            name: INPUT_NAME.into(),
            text: entry.to_string(),
        });
        let map = |s: Span| map_span(s, chunk, input);
        let diags: Vec<Diagnostic> = failure
            .diags
            .into_iter()
            .map(|d| self.moved_use(d))
            .map(|d| self.as_binding(d))
            .map(|mut d| {
                d.primary.span = map(d.primary.span);
                for l in &mut d.secondary {
                    l.span = map(l.span);
                }
                // A label on the generated code (a binding's parameter) says nothing the
                // user wrote; the message names the binding.
                let generated =
                    |s: Span| s.file == FileId(0) && s.start as usize >= self.source.len();
                d.secondary.retain(|l| !generated(l.span));
                let binding = self
                    .bindings
                    .iter()
                    .find(|b| d.message == format!("cannot find value `{}` in this scope", b.name));
                if let (Some(b), true) = (binding, is_definition(entry)) {
                    d.notes.push(format!(
                        "`{}` is a binding of the session: a definition sees the session's \
                         definitions, not its bindings; pass it as an argument",
                        b.name
                    ));
                }
                if d.code == codes::UNKNOWN_TYPE && is_definition(entry) {
                    d.notes.push(
                        "definitions that refer to each other are entered as one block, \
                         with no empty line between them"
                            .into(),
                    );
                }
                d
            })
            .collect();
        render::emit_diagnostics(&files, &diags);
    }

    /// A use of a binding an earlier line moved away is E0382 "use of moved value", as in
    /// a file, rather than the unknown name the checker sees.
    fn moved_use(&self, d: Diagnostic) -> Diagnostic {
        if d.code != codes::UNKNOWN_NAME {
            return d;
        }
        let Some((name, by)) = self
            .moved
            .iter()
            .rev()
            .find(|(name, _)| d.message == format!("cannot find value `{name}` in this scope"))
        else {
            return d;
        };
        let mut out = Diagnostic::error(
            codes::MOVED,
            format!("use of moved value `{name}`"),
            d.primary.span,
        )
        .label("value used here after move");
        out.notes.push(format!("`{name}` was {by}"));
        out
    }

    /// A session binding is a parameter of the line's function: the checker's words for
    /// one ("immutable parameter", "bind it mutably first") become a binding's.
    fn as_binding(&self, mut d: Diagnostic) -> Diagnostic {
        let Some(b) = self
            .bindings
            .iter()
            .find(|b| d.message.contains(&format!("`{}`", b.name)))
        else {
            return d;
        };
        if d.help
            .as_deref()
            .is_some_and(|h| h.starts_with("bind it mutably first"))
        {
            d.message = d
                .message
                .replace("immutable parameter", "immutable binding");
            d.help = Some(format!(
                "declare it as `mutable let {}` where it is made, or bind it again: `mutable let {0} = {0}`",
                b.name
            ));
        }
        d
    }

    /// Links `module` onto the session's; `None` (reported) when it cannot be.
    fn link(&self, module: Module) -> Option<Module> {
        let Some(prev) = &self.module else {
            return Some(module);
        };
        match stark_bytecode::link::link(prev, module) {
            Ok(m) => Some(m),
            Err(e) => {
                eprintln!("error: internal error: {e}");
                None
            }
        }
    }

    /// Ends the session: the bindings are released, last made first, with their
    /// destructors; then cycles are collected and the constants freed.
    fn end(mut self) -> u8 {
        let status = self.release_all();
        self.exit.unwrap_or(status)
    }

    fn release_all(&mut self) -> u8 {
        let Some(carried) = self.carried.take() else {
            return crate::driver::EXIT_OK;
        };
        let empty = Module {
            functions: Vec::new(),
            structs: Vec::new(),
            strings: Vec::new(),
            formats: Vec::new(),
            main: 0,
        };
        let module = self.module.as_ref().unwrap_or(&empty);
        let mut vm = Vm::resume(module, VmOptions::default(), carried);
        let files = vec![SourceFile {
            name: SESSION_FILE.into(),
            text: self.source.clone(),
        }];
        for b in std::mem::take(&mut self.bindings).into_iter().rev() {
            if let Err(e) = vm.release(b.value) {
                report_exit(&files, &self.inputs, e);
            }
        }
        match vm.end_session() {
            // After `exit` the line that called it never finished: what it held is not
            // a leak of the session's (a program's `exit` is not checked either).
            Ok(leaked)
                if leaked > 0
                    && self.exit.is_none()
                    && std::env::var_os("STARK_CHECK_LEAKS").is_some() =>
            {
                let s = if leaked == 1 { "" } else { "s" };
                eprintln!("error: {leaked} object{s} still alive at the end of the session");
                crate::driver::EXIT_RUNTIME
            }
            Ok(_) => crate::driver::EXIT_OK,
            Err(e) => {
                report_exit(&files, &self.inputs, e);
                crate::driver::EXIT_OK
            }
        }
    }
}

/// How a single-expression entry is echoed.
enum Echo {
    None,
    /// `print(e)`.
    Plain,
    /// An optional, held in a temporary: printed unless `None`.
    Optional,
    /// An optional binding (or field path), read twice rather than moved.
    OptionalName(String),
}

/// What the probe build says about line `n`'s entry.
struct Found {
    /// Top-level bindings the entry makes, in order: name, type, mutable.
    lets: Vec<(String, Ty, bool)>,
    /// The type of the entry when it is one expression statement.
    echo: Option<Ty>,
}

fn inspect(build: &Build, n: usize, prologue: usize) -> Option<Found> {
    let name = format!("__line_{n}");
    let f: &FnDecl = build.program.items.iter().find_map(|i| match i {
        Item::Fn(f) if f.name.name == name => Some(f),
        _ => None,
    })?;
    let stmts = f.body.stmts.get(prologue..).unwrap_or(&[]);
    let ck = &build.checked;
    let mut lets = Vec::new();
    let mut push = |id: LocalId, mutable: bool| {
        let info = ck.local(id);
        lets.retain(|(n, ..): &(String, Ty, bool)| *n != info.name);
        lets.push((info.name.clone(), info.ty.clone(), mutable));
    };
    for s in stmts {
        match &s.kind {
            StmtKind::Let { value, mutable, .. } => {
                if let Some(&id) = ck.lets.get(&value.id) {
                    push(id, *mutable);
                }
            }
            StmtKind::LetTuple { value, mutable, .. } => {
                for &id in ck.patterns.get(&value.id).into_iter().flatten() {
                    push(id, *mutable);
                }
            }
            _ => {}
        }
    }
    let echo = match stmts {
        [s] => match &s.kind {
            StmtKind::Expr(e) => ck.expr_ty.get(e.id.0 as usize).cloned(),
            _ => None,
        },
        _ => None,
    };
    Some(Found { lets, echo })
}

/// An empty list or map bound at the top of an entry that nothing else in it uses: in
/// a file a later use fixes its element type (or E0282 asks for it); a session binding's
/// type is fixed by the entry that makes it, so it is E0282 here.
fn unfixed_empty(build: &Build, n: usize, prologue: usize, entry: &str) -> Option<Diagnostic> {
    use stark_syntax::ast::ExprKind;
    let name = format!("__line_{n}");
    let f = build.program.items.iter().find_map(|i| match i {
        Item::Fn(f) if f.name.name == name => Some(f),
        _ => None,
    })?;
    for st in f.body.stmts.get(prologue..).unwrap_or(&[]) {
        let StmtKind::Let {
            name,
            ty: None,
            value,
            mutable,
        } = &st.kind
        else {
            continue;
        };
        let empty = match &value.kind {
            ExprKind::List(items) => items.is_empty(),
            ExprKind::Map(pairs) => pairs.is_empty(),
            ExprKind::Call { callee, args } => {
                args.is_empty()
                    && matches!(&callee.kind, ExprKind::Name(n) if n == "List" || n == "Map")
            }
            _ => false,
        };
        let uses = entry
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| *w == name.name)
            .count();
        if empty && uses == 1 {
            let kind = if matches!(&value.kind, ExprKind::Map(_))
                || matches!(&value.kind, ExprKind::Call { callee, .. } if matches!(&callee.kind, ExprKind::Name(n) if n == "Map"))
            {
                format!("let {}: Map<String, Int> = Map()", name.name)
            } else {
                format!("let {}: List<Int> = []", name.name)
            };
            let kind = if *mutable {
                format!("mutable {kind}")
            } else {
                kind
            };
            return Some(
                Diagnostic::error(
                    codes::CANNOT_INFER,
                    format!("type annotations needed for `{}`", name.name),
                    name.span,
                )
                .label("a session binding's type is fixed by the entry that makes it")
                .help(format!("give the element type, e.g. `{kind}`")),
            );
        }
    }
    None
}

/// Whether a type can be written as a parameter's (no inference variable left).
fn writable(ty: &Ty) -> bool {
    match ty {
        Ty::Var(_) | Ty::Error | Ty::Param(_) | Ty::NoneLit => false,
        // `Fn(Int) -> Int?` reads as a function returning `Int?`: an optional function
        // has no spelling yet.
        Ty::Optional(t) if matches!(**t, Ty::Fn(..)) => false,
        Ty::List(t) | Ty::Optional(t) | Ty::Weak(t) | Ty::Task(t) => writable(t),
        Ty::Map(k, v) => writable(k) && writable(v),
        Ty::Struct(_, args) | Ty::Enum(_, args) | Ty::Tuple(args) => args.iter().all(writable),
        Ty::Fn(params, ret) => params.iter().all(writable) && (writable(ret) || **ret == Ty::Unit),
        _ => true,
    }
}

/// `name` or `a.b.c`: read twice without effect.
fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|p| {
            let mut cs = p.chars();
            cs.next().is_some_and(|c| c.is_alphabetic() || c == '_')
                && cs.all(|c| c.is_alphanumeric() || c == '_')
        })
}

/// A span of the candidate source that falls in the entry, as a span of the entry's own
/// text (file `input`); any other span is left as it is.
fn map_span(span: Span, chunk: &Chunk, input: usize) -> Span {
    if span.file != FileId(0) {
        return span;
    }
    let (start, end) = (span.start as usize, span.end as usize);
    for seg in &chunk.segments {
        if start >= seg.at && start <= seg.at + seg.len {
            let s = seg.from + (start - seg.at);
            let e = seg.from + (end.min(seg.at + seg.len) - seg.at);
            return Span {
                file: FileId(input as u32),
                start: s as u32,
                end: e.max(s) as u32,
            };
        }
    }
    span
}

/// Spans of a line's code are placed in files of their own, one a line from
/// `LINE_FILES + n` (the line's entry), so that a runtime error in a lambda an earlier line
/// made shows that line; and its functions are named as the user sees them.
const LINE_FILES: u32 = 1 << 24;

/// Gives line `n`'s functions (the line's, and its lambdas) their entry's spans and
/// the names a user sees: `<input>` and `<lambda>`.
fn own_line(module: &mut Module, n: usize, chunk: &Chunk) {
    let name = format!("__line_{n}");
    let file = LINE_FILES as usize + n;
    let own = |f: &str| f == name || f.strip_prefix(&name).is_some_and(|r| r.starts_with('.'));
    for f in module.functions.iter_mut().filter(|f| own(&f.name)) {
        for span in f.spans.iter_mut().chain(std::iter::once(&mut f.span)) {
            *span = map_span(*span, chunk, file);
        }
        for site in &mut f.inlined {
            site.call_span = map_span(site.call_span, chunk, file);
        }
        f.name = user_name(&f.name, &name);
    }
    // A closure's layout is named after its function, and `print` shows that name.
    for s in &mut module.structs {
        if let Some(inner) = s
            .name
            .strip_prefix("<fn ")
            .and_then(|r| r.strip_suffix('>'))
        {
            if own(inner) {
                s.name = format!("<fn {}>", user_name(inner, &name));
            }
        }
    }
}

/// `__line_3` as `<input>`, `__line_3.<lambda>` as `<lambda>`.
fn user_name(f: &str, line: &str) -> String {
    if f == line {
        INPUT_NAME.to_string()
    } else {
        f.replacen(line, "", 1).trim_start_matches('.').to_string()
    }
}

/// Reports a runtime error, each span in the file it is in: the session's definitions, a
/// module, or the entry of the line whose code it is in.
fn report_exit(files: &[SourceFile], inputs: &[String], e: VmExit) {
    let mut files: Vec<SourceFile> = files
        .iter()
        .map(|f| SourceFile {
            name: f.name.clone(),
            text: f.text.clone(),
        })
        .collect();
    let mut placed: std::collections::HashMap<u32, u32> = Default::default();
    let mut map = |s: Span| {
        let Some(line) = s.file.0.checked_sub(LINE_FILES) else {
            return s;
        };
        let index = *placed.entry(line).or_insert_with(|| {
            let text = inputs
                .get((line as usize).wrapping_sub(1))
                .cloned()
                .unwrap_or_default();
            files.push(SourceFile {
                name: INPUT_NAME.into(),
                text,
            });
            (files.len() - 1) as u32
        });
        Span {
            file: FileId(index),
            ..s
        }
    };
    let mut fix = |mut err: stark_vm::RuntimeError| {
        err.span = map(err.span);
        for f in &mut err.trace {
            f.span = map(f.span);
        }
        err
    };
    match e {
        VmExit::RuntimeError(err) => {
            let err = fix(err);
            render::runtime_error(&files, &err)
        }
        VmExit::OutOfMemory(err) => {
            let err = fix(err);
            render::runtime_error(&files, &err)
        }
        VmExit::MainErr(m) => eprintln!("runtime error: {m}"),
        VmExit::Exit(_) => {}
    }
}

/// An entry's first line, for a note that names it.
fn first_line(entry: &str) -> String {
    entry.trim().lines().next().unwrap_or("").to_string()
}

/// The identifier-like words of an entry.
fn words(entry: &str) -> std::collections::HashSet<&str> {
    entry
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}
