//! The pipeline behind each subcommand: read, parse, check, lower, then run or print.

use crate::render::{self, SourceFile};
use crate::Cmd;
use stark_bytecode::{printer, Module};
use stark_syntax::{codes, Diagnostic, FileId, Span};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const EXIT_OK: u8 = 0;
pub const EXIT_RUNTIME: u8 = 1;
pub const EXIT_COMPILE: u8 = 2;
pub const EXIT_MEMORY: u8 = 3;

pub(crate) struct Compiled {
    pub module: Module,
    pub program: stark_syntax::ast::Program,
    checked: stark_check::Checked,
}

/// What a command needs of a compilation.
#[derive(Clone, Copy)]
pub(crate) struct Mode {
    /// `false` (`stark check`) lowers without the optimisation passes: they report
    /// nothing, and they are most of the time of checking a large program.
    pub optimise: bool,
    /// `false` for `stark test`: a test file has tests, not necessarily a `main`.
    pub need_main: bool,
}

const RUN: Mode = Mode {
    optimise: true,
    need_main: true,
};

/// What the front end (parse, load, check) made of a program: its files in `FileId`
/// order, the program, the checker's results when it could run, and every diagnostic,
/// warnings included, sorted by place.
pub(crate) struct FrontEnd {
    pub files: Vec<SourceFile>,
    pub program: stark_syntax::ast::Program,
    pub checked: Option<stark_check::Checked>,
    pub diags: Vec<Diagnostic>,
    /// Whether a diagnostic is an error.
    pub failed: bool,
}

/// Parses the program whose entry file is `path` (its text, and its modules', from
/// `source`), loads its modules and checks it. `Err` only when the entry file cannot be
/// read (reported). `stark check`/`run` and the language server share it.
pub(crate) fn front_end(
    path: &Path,
    display: &str,
    mode: Mode,
    source: &Source,
) -> Result<FrontEnd, u8> {
    front_end_some(path, display, mode, source, &|_| false)
}

/// `front_end`, checking every function body but those `skip` names
/// (`stark_check::check_some`): the language server's re-check after an edit.
pub(crate) fn front_end_some(
    path: &Path,
    display: &str,
    mode: Mode,
    source: &Source,
    skip: &dyn Fn(&stark_syntax::ast::FnDecl) -> bool,
) -> Result<FrontEnd, u8> {
    let Loaded {
        files,
        program,
        mut errors,
    } = load(path, display, source)?;
    let sorted = |mut diags: Vec<Diagnostic>| {
        diags.sort_by_key(|d| {
            (
                d.primary.span.file,
                d.primary.span.start,
                d.primary.span.end,
            )
        });
        diags
    };
    let load_failed = errors
        .iter()
        .any(|d| d.code == codes::UNRESOLVED_IMPORT || d.code == codes::IMPORT_CYCLE);
    if load_failed || (!errors.is_empty() && !program.items_intact) {
        // A broken item or signature, or a module that could not be loaded: checking the
        // rest would report what its absence causes (an unknown function, say), not the
        // user's mistakes.
        errors.extend(program.warnings.iter().cloned());
        return Ok(FrontEnd {
            files,
            program,
            checked: None,
            diags: sorted(errors),
            failed: true,
        });
    }
    // Syntax errors inside function bodies leave every other function checkable: one run
    // reports a syntax error in one function, a type error in a second and a use after a
    // move in a third, each once.
    let (checked, mut diags) = stark_check::check_some(&program, skip);
    if !mode.need_main {
        diags.retain(|d| d.code != codes::NO_MAIN);
    }
    errors.extend(diags);
    let failed = !errors.is_empty();
    // Warnings (the parser's W0101, the checker's W0102) go with the errors, or alone;
    // they never change the exit status.
    errors.extend(program.warnings.iter().cloned());
    errors.extend(checked.warnings.iter().cloned());
    Ok(FrontEnd {
        files,
        program,
        checked: Some(checked),
        diags: sorted(errors),
        failed,
    })
}

/// Reads and compiles the program whose entry file is `path`, with every module it
/// imports, rendering any diagnostics; `Err` carries the exit status. The files come back
/// in `FileId` order, for rendering runtime errors.
pub(crate) fn compile(
    path: &Path,
    display: &str,
    mode: Mode,
) -> Result<(Vec<SourceFile>, Compiled), u8> {
    let optimise = mode.optimise;
    let front = front_end(path, display, mode, &Source::Disk)?;
    if !front.diags.is_empty() {
        render::diagnostics(&front.files, &front.diags);
    }
    let (Some(checked), false) = (front.checked, front.failed) else {
        return Err(EXIT_COMPILE);
    };
    let (files, program) = (front.files, front.program);
    // `STARK_NO_OPT=1`: lowering's ownership-aware RC insertion with no optimisation pass
    // after it (no `rc_opt`, no `opt`), for the differential tests: every program must
    // print the same either way. (The `naive` insertion is only counted, for `--stats`:
    // its extra references show in `Memory.refcount`.)
    let no_opt = std::env::var_os("STARK_NO_OPT").is_some_and(|v| v == "1");
    let texts = texts(&files);
    let module = match if no_opt || !optimise {
        stark_lower::lower(&program, &checked, &texts, false)
    } else {
        stark_lower::compile(&program, &checked, &texts)
    } {
        Ok(m) => m,
        Err(diag) => {
            render::diagnostics(&files, &[*diag]);
            return Err(EXIT_COMPILE);
        }
    };
    Ok((
        files,
        Compiled {
            module,
            program,
            checked,
        },
    ))
}

pub(crate) fn texts(files: &[SourceFile]) -> Vec<&str> {
    files.iter().map(|f| f.text.as_str()).collect()
}

/// A program's files, parsed and joined into one `Program` (SPEC §7).
struct Loaded {
    /// In `FileId` order: the entry file first, then each module as first imported.
    files: Vec<SourceFile>,
    program: stark_syntax::ast::Program,
    /// Syntax errors of every file, unknown modules (E0432) and an import cycle (E0391).
    errors: Vec<stark_syntax::Diagnostic>,
}

/// Reads the entry file and, breadth first, every module it imports, each once however
/// many files import it. A module's path is relative to the entry file's folder whichever
/// file imports it, so one name means one file in the whole program. Each file is parsed
/// with its own `FileId` and with `ExprId`s following the previous file's, so the files
/// join into one `Program`; its `modules` says which module each file is.
fn load(path: &Path, display: &str, source: &Source) -> Result<Loaded, u8> {
    let root = path.parent().unwrap_or(Path::new(""));
    let text = source.read(path, display)?;
    let (first, mut errors) = stark_syntax::parse_file(&text, FileId(0));
    let mut next_expr = first.expr_count;
    let mut files = vec![SourceFile {
        name: display.to_string(),
        text,
    }];
    // The file name of each file relative to the root, for E0391's list.
    let entry_name = path
        .file_name()
        .map_or(display.to_string(), |n| n.to_string_lossy().into_owned());
    let mut short = vec![entry_name];
    // The entry file is the module named by its file name: importing it is a cycle.
    let mut modules = vec![String::new()];
    let mut by_name: HashMap<String, usize> = HashMap::new();
    if let Some(stem) = path.file_stem() {
        by_name.insert(stem.to_string_lossy().into_owned(), 0);
    }
    let mut programs = vec![first];
    let mut edges: Vec<Vec<(usize, Span)>> = vec![Vec::new()];
    let mut at = 0;
    while at < programs.len() {
        let imports: Vec<(String, Vec<String>, Span)> = programs[at]
            .imports
            .iter()
            .map(|i| {
                let parts = i.path.iter().map(|p| p.name.clone()).collect();
                (i.module(), parts, i.path_span())
            })
            .collect();
        for (module, parts, span) in imports {
            if let Some(&to) = by_name.get(&module) {
                edges[at].push((to, span));
                continue;
            }
            let rel = format!("{}.stark", parts.join("/"));
            let file = root.join(&rel);
            let shown = file.display().to_string();
            if !file.is_file() {
                errors.push(
                    Diagnostic::error(
                        codes::UNRESOLVED_IMPORT,
                        format!("unresolved import `{module}`"),
                        span,
                    )
                    .label(format!("no file `{shown}`")),
                );
                continue;
            }
            let text = source.read(&file, &shown)?;
            let id = programs.len();
            let (program, diags) =
                stark_syntax::parse_file_from(&text, FileId(id as u32), next_expr);
            next_expr = program.expr_count;
            errors.extend(diags);
            by_name.insert(module.clone(), id);
            modules.push(module);
            short.push(rel);
            files.push(SourceFile { name: shown, text });
            programs.push(program);
            edges.push(Vec::new());
            edges[at].push((id, span));
        }
        at += 1;
    }
    if let Some((cycle, span)) = find_cycle(&edges) {
        let list: Vec<String> = cycle.iter().map(|&f| format!("`{}`", short[f])).collect();
        errors.push(
            Diagnostic::error(
                codes::IMPORT_CYCLE,
                format!("import cycle: {}", list.join(" → ")),
                span,
            )
            .label("this import closes the cycle")
            .help("move what the modules share into a module that imports neither"),
        );
    }
    let mut program = stark_syntax::ast::Program {
        items_intact: true,
        ..Default::default()
    };
    for p in programs {
        program.items.extend(p.items);
        program.items_intact &= p.items_intact;
        program.comments.extend(p.comments);
        program.warnings.extend(p.warnings);
        program.imports.extend(p.imports);
        program.type_args.extend(p.type_args);
    }
    program.expr_count = next_expr;
    program.modules = modules;
    Ok(Loaded {
        files,
        program,
        errors,
    })
}

/// The first import cycle reachable from the entry file, as the files along it (the
/// first repeated at the end) and the span of the import that closes it.
fn find_cycle(edges: &[Vec<(usize, Span)>]) -> Option<(Vec<usize>, Span)> {
    // 0: not seen, 1: on the current path, 2: done.
    let mut state = vec![0u8; edges.len()];
    let mut path = vec![0usize];
    // Per file on the path, the next edge to follow: an explicit stack, since a chain of
    // imports may be long.
    let mut next = vec![0usize];
    state[0] = 1;
    while let Some(&file) = path.last() {
        let i = *next.last().expect("parallel stacks");
        if let Some(&(to, span)) = edges[file].get(i) {
            *next.last_mut().expect("parallel stacks") += 1;
            match state[to] {
                0 => {
                    state[to] = 1;
                    path.push(to);
                    next.push(0);
                }
                1 => {
                    let from = path.iter().position(|&f| f == to).expect("on the path");
                    let mut cycle = path[from..].to_vec();
                    cycle.push(to);
                    return Some((cycle, span));
                }
                _ => {}
            }
        } else {
            state[file] = 2;
            path.pop();
            next.pop();
        }
    }
    None
}

/// Where a program's texts come from: the files on disk, or (the language server) the
/// editor's unsaved texts first.
pub(crate) enum Source<'a> {
    Disk,
    Overlay(&'a dyn Fn(&Path) -> Option<String>),
}

impl Source<'_> {
    fn read(&self, path: &Path, display: &str) -> Result<String, u8> {
        match self {
            Source::Overlay(open) => match open(path) {
                Some(text) => Ok(text),
                None => read_text(path, display),
            },
            Source::Disk => read_text(path, display),
        }
    }
}

/// A source file's text: refused when unreadable, too large or not UTF-8 (reported); a
/// byte-order mark is skipped.
pub(crate) fn read_text(path: &Path, display: &str) -> Result<String, u8> {
    let bytes = match read_source(path) {
        Ok(b) => b,
        Err(e) => {
            render::error(&format!("cannot read `{display}`: {}", io_reason(&e)));
            return Err(EXIT_COMPILE);
        }
    };
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        render::error(&format!(
            "cannot read `{display}`: larger than {MAX_SOURCE_BYTES} bytes"
        ));
        return Err(EXIT_COMPILE);
    }
    let source = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let diag = Diagnostic::error(
                codes::BAD_UTF8,
                "source file is not valid UTF-8",
                Span::new(at.min(lossy.len()), at.min(lossy.len())),
            )
            .label("invalid byte sequence here");
            let file = SourceFile {
                name: display.to_string(),
                text: lossy,
            };
            render::diagnostics(&[file], &[diag]);
            return Err(EXIT_COMPILE);
        }
    };
    // Editors on Windows save UTF-8 with a byte-order mark; like rustc and Python, skip it.
    Ok(match source.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => source,
    })
}

/// Larger sources are refused: `stark check /dev/zero` would otherwise read forever.
const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// At most one byte past [`MAX_SOURCE_BYTES`], so a caller can tell the file was too large.
fn read_source(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

pub(crate) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

pub fn execute(cmd: Cmd) -> u8 {
    let format = match &cmd {
        Cmd::Run { message_format, .. }
        | Cmd::Check { message_format, .. }
        | Cmd::Test { message_format, .. } => *message_format,
        Cmd::Ir { .. } | Cmd::Fmt { .. } | Cmd::Lsp | Cmd::Repl => crate::MessageFormat::Human,
    };
    if format == crate::MessageFormat::Json {
        crate::json::enable();
    }
    match cmd {
        Cmd::Test { paths, filter, .. } => crate::testing::run(&paths, filter.as_deref()),
        Cmd::Fmt { paths, check } => crate::format::run(&paths, check),
        Cmd::Lsp => crate::lsp::run(),
        Cmd::Repl => crate::repl::run(),
        Cmd::Check { file, .. } => {
            let display = file.display().to_string();
            let mode = Mode {
                optimise: false,
                ..RUN
            };
            match compile(&file, &display, mode) {
                // The process ends here: freeing a large program's tree and tables node by
                // node would only add to the time `stark check` takes.
                Ok(compiled) => {
                    std::mem::forget(compiled);
                    EXIT_OK
                }
                Err(code) => code,
            }
        }
        Cmd::Ir { file, stats } => {
            let display = file.display().to_string();
            let (files, c) = match compile(&file, &display, RUN) {
                Ok(x) => x,
                Err(code) => return code,
            };
            print!("{}", printer::print_module(&c.module));
            if stats {
                // The naive insertion may need more registers than the optimised one.
                if let Ok(naive) = stark_lower::lower(&c.program, &c.checked, &texts(&files), true)
                {
                    print!("{}", rc_stats(&naive, &c.module));
                }
            }
            EXIT_OK
        }
        Cmd::Run {
            program,
            mem_report,
            trace,
            max_memory,
            ..
        } => {
            let mut program = program.into_iter();
            let file = PathBuf::from(program.next().unwrap_or_default());
            let display = file.display().to_string();
            // `args()` is a `List<String>`: an argument that is not UTF-8 cannot be one.
            let mut args = Vec::new();
            for arg in program {
                match arg.into_string() {
                    Ok(a) => args.push(a),
                    Err(a) => {
                        render::error(&format!(
                            "program argument `{}` is not valid UTF-8",
                            a.to_string_lossy()
                        ));
                        return EXIT_COMPILE;
                    }
                }
            }
            let (files, c) = match compile(&file, &display, RUN) {
                Ok(x) => x,
                Err(code) => return code,
            };
            let options = stark_vm::VmOptions { args, max_memory };
            let mut vm = stark_vm::Vm::new(&c.module, options);
            let trace_file = match &trace {
                None => None,
                Some(path) => {
                    match crate::trace_json::TraceFile::create(path, vm.heap_mut().started()) {
                        Ok(t) => {
                            let sink = t.clone();
                            let program = crate::trace_json::Track::program();
                            let heap = vm.heap_mut();
                            heap.set_trace_sink(Box::new(move |e| {
                                if let Ok(mut f) = sink.lock() {
                                    f.event(e, &program);
                                }
                            }));
                            // `--trace` alone traces every zone from the first allocation on;
                            // `Memory.trace(…)` in the program narrows or stops it.
                            heap.trace_by_default();
                            // Each actor's heap on a track of its own.
                            let file = t.clone();
                            vm.trace_actors(std::sync::Arc::new(move |n, function, heap_start| {
                                let track = match file.lock() {
                                    Ok(mut f) => f.actor_track(n, function, heap_start),
                                    Err(_) => crate::trace_json::Track::program(),
                                };
                                let sink = file.clone();
                                Box::new(move |e| {
                                    if let Ok(mut f) = sink.lock() {
                                        f.event(e, &track);
                                    }
                                })
                            }));
                            Some(t)
                        }
                        Err(e) => {
                            render::error(&format!(
                                "cannot write trace file `{}`: {}",
                                path.display(),
                                io_reason(&e)
                            ));
                            return EXIT_RUNTIME;
                        }
                    }
                }
            };
            // `--mem-report=FILE.html`: memory over time, sampled from the start.
            let html = mem_report.as_ref().filter(|p| p.as_os_str() != "-");
            if html.is_some() {
                vm.heap_mut().start_timeline();
            }
            let result = vm.run_main();
            if let Some(t) = &trace_file {
                if let Ok(mut f) = t.lock() {
                    f.finish();
                }
            }
            // `exit(code)` ends the program where it is, like Rust's `process::exit`: the
            // frames' owners are not released, so the leak check is for a `main` that returned.
            let returned = matches!(result, Ok(()) | Err(stark_vm::VmExit::MainErr(_)));
            let code = match result {
                Ok(()) => EXIT_OK,
                Err(stark_vm::VmExit::Exit(code)) => code.clamp(0, 255) as u8,
                Err(stark_vm::VmExit::RuntimeError(err)) => {
                    render::runtime_error(&files, &err);
                    EXIT_RUNTIME
                }
                Err(stark_vm::VmExit::OutOfMemory(err)) => {
                    // Reported as every runtime error is (SPEC §1); only the status differs.
                    render::runtime_error(&files, &err);
                    EXIT_MEMORY
                }
                Err(stark_vm::VmExit::MainErr(message)) => {
                    render::error(&message);
                    EXIT_RUNTIME
                }
            };
            match html {
                Some(path) => {
                    if let Some(timeline) = vm.heap_mut().finish_timeline() {
                        let page =
                            crate::mem_html::render(&display, &timeline, &vm.heap().gc.pauses);
                        if let Err(e) = std::fs::write(path, page) {
                            render::error(&format!(
                                "cannot write the memory report `{}`: {}",
                                path.display(),
                                io_reason(&e)
                            ));
                            return EXIT_RUNTIME;
                        }
                    }
                }
                None if mem_report.is_some() => eprint!("{}", vm.mem_report()),
                None => {}
            }
            if returned && std::env::var_os("STARK_CHECK_LEAKS").is_some() {
                let live = vm.live_objects();
                if live != 0 {
                    eprintln!("leak check: {live} object(s) still live after main returned");
                    return EXIT_RUNTIME;
                }
            }
            code
        }
    }
}

fn rc_stats(naive: &Module, emitted: &Module) -> String {
    let mut out = String::from("\nRC statistics (naive insertion vs emitted):\n");
    out.push_str(&format!(
        "  {:<28} {:>8} {:>8} {:>8}\n",
        "function", "naive", "emitted", "removed"
    ));
    let (mut total_n, mut total_e) = (0usize, 0usize);
    for (n, e) in naive.functions.iter().zip(&emitted.functions) {
        if e.generic {
            continue;
        }
        let (cn, ce) = (printer::rc_ops(n), printer::rc_ops(e));
        total_n += cn;
        total_e += ce;
        out.push_str(&format!(
            "  {:<28} {:>8} {:>8} {:>8}\n",
            e.name,
            cn,
            ce,
            percent(cn, ce)
        ));
    }
    out.push_str(&format!(
        "  {:<28} {:>8} {:>8} {:>8}\n",
        "total",
        total_n,
        total_e,
        percent(total_n, total_e)
    ));
    out
}

fn percent(naive: usize, emitted: usize) -> String {
    if naive == 0 {
        return "-".to_string();
    }
    format!(
        "{:.1}%",
        100.0 * (naive.saturating_sub(emitted)) as f64 / naive as f64
    )
}
