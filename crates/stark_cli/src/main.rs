//! The `stark` command: `run`, `check` and `ir` (SPEC §1), `test` and `fmt` (SPEC §10).

// Memory safety lives in the runtime and the VM; the command itself needs no `unsafe`.
#![forbid(unsafe_code)]

// `eprintln!` panics when stderr is a closed pipe (`stark check f 2>&1 | head -1`); a
// diagnostic nobody reads is no reason to crash, so writes to stderr ignore errors.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

// Likewise stdout for `stark ir f | head`: the reader went away, nothing is lost.
macro_rules! print {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

mod driver;
mod files;
mod format;
mod json;
mod lsp;
mod mem_html;
mod render;
mod repl;
mod testing;
mod trace_json;

use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;

/// Running out of memory is exit 3 with a message, never an abort (SPEC §1): the system
/// allocator plus an emergency reserve (`stark_runtime::sysalloc` explains the protocol).
#[global_allocator]
static ALLOCATOR: stark_runtime::sysalloc::ReserveAllocator =
    stark_runtime::sysalloc::ReserveAllocator;

use std::path::PathBuf;
use std::process::ExitCode;

/// STARK: a statically typed language for data and tensor work, with ownership,
/// compiler-inserted reference counting and built-in memory observability.
#[derive(Parser)]
#[command(name = "stark", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile and run `fn main()`; exit 0 ok, 1 runtime error, 2 compile error, 3 out of memory.
    Run {
        /// The program, then the arguments `args()` returns. Everything after FILE is the
        /// program's, flags included, as with `python3 script.py --help`.
        // One positional holding FILE and ARGS: clap's trailing mode begins at the first
        // value of the last positional, so with FILE separate, flags right after it
        // (`--trace`, `--help`) were still taken as `stark`'s.
        #[arg(
            value_names = ["FILE", "ARGS"],
            required = true,
            num_args = 1..,
            trailing_var_arg = true
        )]
        program: Vec<OsString>,
        /// After the run, print the final `Memory.profile()` and per-zone peaks to stderr;
        /// `--mem-report=FILE.html` writes a page with memory over time instead.
        #[arg(
            long,
            value_name = "FILE.html",
            num_args = 0..=1,
            require_equals = true,
            default_missing_value = "-"
        )]
        mem_report: Option<PathBuf>,
        /// Write traced allocations, frees and collections as Chrome trace-event JSON.
        #[arg(long, value_name = "OUT.json")]
        trace: Option<PathBuf>,
        /// Cap the whole program's heap at BYTES; exceeding it exits with status 3.
        #[arg(long, value_name = "BYTES")]
        max_memory: Option<u64>,
        /// `json`: each diagnostic and runtime error as one JSON object a line on stderr.
        #[arg(long, value_enum, default_value_t)]
        message_format: MessageFormat,
    },
    /// Report every compile-time diagnostic without running anything.
    Check {
        /// The program to check.
        file: PathBuf,
        /// `json`: each diagnostic as one JSON object a line on stderr.
        #[arg(long, value_enum, default_value_t)]
        message_format: MessageFormat,
    },
    /// Rewrite files in the one canonical style, keeping every comment; exit 1 with
    /// `--check` when a file would change, 2 when one does not parse.
    Fmt {
        /// Files or folders (every `*.stark` under a folder); default: the current folder.
        /// `-` formats standard input to standard output.
        paths: Vec<PathBuf>,
        /// Change nothing: list the files that would change.
        #[arg(long)]
        check: bool,
    },
    /// An interactive session: definitions and bindings persist, values are echoed;
    /// `:mem`, `:ir NAME`, `:quit`.
    Repl,
    /// A Language Server Protocol server on stdin/stdout (diagnostics, formatting, document
    /// symbols, go to definition).
    Lsp,
    /// Run every `fn test_…()`, each in a fresh heap; exit 0 all passed, 1 any failed, 2
    /// compile error.
    Test {
        /// Files or folders (every `*.stark` under a folder); default: `tests/` if there is
        /// one, else the current folder.
        paths: Vec<PathBuf>,
        /// Run only the tests whose name (`FILE::test_name`) contains TEXT.
        #[arg(short = 'k', value_name = "TEXT")]
        filter: Option<String>,
        /// `json`: one JSON object a line for each test and the summary on stdout, each
        /// diagnostic on stderr.
        #[arg(long, value_enum, default_value_t)]
        message_format: MessageFormat,
    },
    /// Print the bytecode, with the compiler-inserted incref/decref/drop visible.
    Ir {
        /// The program to compile.
        file: PathBuf,
        /// Add per function: RC ops a naive insertion would emit, RC ops emitted, percent removed.
        #[arg(long)]
        stats: bool,
    },
}

/// How `stark` reports diagnostics and errors (`--message-format`).
#[derive(Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
enum MessageFormat {
    /// rustc-shaped text (SPEC §1).
    #[default]
    Human,
    /// One JSON object a line.
    Json,
}

fn main() -> ExitCode {
    // Before anything can use up the address space the error path will need.
    stark_runtime::sysalloc::arm_reserve();
    let cli = Cli::parse();
    // Compilation recurses over the syntax tree; a large stack keeps deeply nested (but
    // parser-accepted) programs from overflowing it.
    let worker = std::thread::Builder::new()
        .name("stark".into())
        .stack_size(256 << 20)
        .spawn(move || driver::execute(cli.command))
        .expect("spawn the compiler thread");
    match worker.join() {
        Ok(code) => ExitCode::from(code),
        Err(_) => {
            eprintln!("error: internal compiler error (this is a bug in stark; please report it)");
            ExitCode::from(2)
        }
    }
}

pub(crate) use Command as Cmd;
