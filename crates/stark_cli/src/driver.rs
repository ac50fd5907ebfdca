//! The pipeline behind each subcommand: read, parse, check, lower, then run or print.

use crate::render;
use crate::Cmd;
use stark_bytecode::{printer, Module};
use std::path::{Path, PathBuf};

pub const EXIT_OK: u8 = 0;
pub const EXIT_RUNTIME: u8 = 1;
pub const EXIT_COMPILE: u8 = 2;
pub const EXIT_MEMORY: u8 = 3;

struct Compiled {
    module: Module,
    program: stark_syntax::ast::Program,
    checked: stark_check::Checked,
}

/// Reads and compiles `path`, rendering any diagnostics; `Err` carries the exit status.
fn compile(path: &Path, display: &str) -> Result<(String, Compiled), u8> {
    let bytes = match read_source(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read `{display}`: {}", io_reason(&e));
            return Err(EXIT_COMPILE);
        }
    };
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        eprintln!("error: cannot read `{display}`: larger than {MAX_SOURCE_BYTES} bytes");
        return Err(EXIT_COMPILE);
    }
    let source = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let diag = stark_syntax::Diagnostic::error(
                stark_syntax::codes::BAD_UTF8,
                "source file is not valid UTF-8",
                stark_syntax::Span::new(at.min(lossy.len()), at.min(lossy.len())),
            )
            .label("invalid byte sequence here");
            render::diagnostics(display, &lossy, &[diag]);
            return Err(EXIT_COMPILE);
        }
    };
    // Editors on Windows save UTF-8 with a byte-order mark; like rustc and Python, skip it.
    let source = match source.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => source,
    };
    let (program, syntax) = stark_syntax::parse(&source);
    // Warnings (W0101) are printed with the errors, or alone before the program runs;
    // they never change the exit status.
    let with_warnings = |mut errors: Vec<stark_syntax::Diagnostic>| {
        errors.extend(program.warnings.iter().cloned());
        errors.sort_by_key(|d| (d.primary.span.start, d.primary.span.end));
        errors
    };
    if !syntax.is_empty() && !program.items_intact {
        // A broken item or signature: checking the rest would report what its absence
        // causes (an unknown function, say), not the user's mistakes.
        render::diagnostics(display, &source, &with_warnings(syntax));
        return Err(EXIT_COMPILE);
    }
    // Syntax errors inside function bodies leave every other function checkable: one run
    // reports a syntax error in one function, a type error in a second and a use after a
    // move in a third, each once.
    let (checked, diags) = stark_check::check(&program);
    // The checker's warnings (W0102) join the parser's.
    let with_all_warnings = |mut errors: Vec<stark_syntax::Diagnostic>| {
        errors.extend(checked.warnings.iter().cloned());
        with_warnings(errors)
    };
    if !syntax.is_empty() || !diags.is_empty() {
        let mut all = syntax;
        all.extend(diags);
        render::diagnostics(display, &source, &with_all_warnings(all));
        return Err(EXIT_COMPILE);
    }
    if !program.warnings.is_empty() || !checked.warnings.is_empty() {
        render::diagnostics(display, &source, &with_all_warnings(Vec::new()));
    }
    // `STARK_NO_OPT=1`: lowering's ownership-aware RC insertion with no optimisation pass
    // after it (no `rc_opt`, no `opt`), for the differential tests: every program must
    // print the same either way. (The `naive` insertion is only counted, for `--stats`:
    // its extra references show in `Memory.refcount`.)
    let no_opt = std::env::var_os("STARK_NO_OPT").is_some_and(|v| v == "1");
    let module = match if no_opt {
        stark_lower::lower(&program, &checked, &source, false)
    } else {
        stark_lower::compile(&program, &checked, &source)
    } {
        Ok(m) => m,
        Err(diag) => {
            render::diagnostics(display, &source, &[*diag]);
            return Err(EXIT_COMPILE);
        }
    };
    Ok((
        source,
        Compiled {
            module,
            program,
            checked,
        },
    ))
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

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

pub fn execute(cmd: Cmd) -> u8 {
    match cmd {
        Cmd::Check { file } => {
            let display = file.display().to_string();
            match compile(&file, &display) {
                Ok(_) => EXIT_OK,
                Err(code) => code,
            }
        }
        Cmd::Ir { file, stats } => {
            let display = file.display().to_string();
            let (source, c) = match compile(&file, &display) {
                Ok(x) => x,
                Err(code) => return code,
            };
            print!("{}", printer::print_module(&c.module));
            if stats {
                // The naive insertion may need more registers than the optimised one.
                if let Ok(naive) = stark_lower::lower(&c.program, &c.checked, &source, true) {
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
                        eprintln!(
                            "error: program argument `{}` is not valid UTF-8",
                            a.to_string_lossy()
                        );
                        return EXIT_COMPILE;
                    }
                }
            }
            let (source, c) = match compile(&file, &display) {
                Ok(x) => x,
                Err(code) => return code,
            };
            let options = stark_vm::VmOptions { args, max_memory };
            let mut vm = stark_vm::Vm::new(&c.module, options);
            let trace_file = match &trace {
                None => None,
                Some(path) => match crate::trace_json::TraceFile::create(path) {
                    Ok(t) => {
                        let sink = t.clone();
                        let heap = vm.heap_mut();
                        heap.set_trace_sink(Box::new(move |e| sink.borrow_mut().event(e)));
                        // `--trace` alone traces every zone from the first allocation on;
                        // `Memory.trace(…)` in the program narrows or stops it.
                        heap.trace_by_default();
                        Some(t)
                    }
                    Err(e) => {
                        eprintln!(
                            "error: cannot write trace file `{}`: {}",
                            path.display(),
                            io_reason(&e)
                        );
                        return EXIT_RUNTIME;
                    }
                },
            };
            let result = vm.run_main();
            if let Some(t) = &trace_file {
                t.borrow_mut().finish();
            }
            // `exit(code)` ends the program where it is, like Rust's `process::exit`: the
            // frames' owners are not released, so the leak check is for a `main` that returned.
            let returned = matches!(result, Ok(()) | Err(stark_vm::VmExit::MainErr(_)));
            let code = match result {
                Ok(()) => EXIT_OK,
                Err(stark_vm::VmExit::Exit(code)) => code.clamp(0, 255) as u8,
                Err(stark_vm::VmExit::RuntimeError(err)) => {
                    render::runtime_error(&display, &source, &err);
                    EXIT_RUNTIME
                }
                Err(stark_vm::VmExit::OutOfMemory(err)) => {
                    // Reported as every runtime error is (SPEC §1); only the status differs.
                    render::runtime_error(&display, &source, &err);
                    EXIT_MEMORY
                }
                Err(stark_vm::VmExit::MainErr(message)) => {
                    eprintln!("error: {message}");
                    EXIT_RUNTIME
                }
            };
            if mem_report {
                eprint!("{}", vm.mem_report());
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
