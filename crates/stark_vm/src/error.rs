//! How a run ends when it does not end normally.

use stark_runtime::OutOfMemory;
use stark_syntax::Span;

/// One line of a STARK stack trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The function's name (`main`, `Node.area`).
    pub function: String,
    /// The instruction executing in that function: the failing one for the innermost
    /// frame, the call for the others.
    pub span: Span,
}

/// A runtime error: the message, where it happened, and the call stack (innermost first;
/// `trace[0]` is the function the error happened in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeError {
    pub message: String,
    pub span: Span,
    pub trace: Vec<Frame>,
}

impl RuntimeError {
    /// An error with no place in the program to point at (the run as a whole failed).
    pub fn unlocated(message: impl Into<String>) -> RuntimeError {
        RuntimeError {
            message: message.into(),
            span: Span::default(),
            trace: Vec::new(),
        }
    }
}

impl std::fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RuntimeError {}

/// Why `run_main` stopped early. The CLI maps these to exit statuses 1, the code, and 3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VmExit {
    RuntimeError(RuntimeError),
    /// `exit(code)` was called (stdout is already flushed).
    Exit(i32),
    /// An allocation would pass `--max-memory` (or the system refused it): reported like
    /// a runtime error, where it happened and with the stack trace, but with exit 3.
    OutOfMemory(RuntimeError),
    /// `fn main() -> Result<None, String>` returned `Err(message)` (SPEC §6): the run
    /// ended normally otherwise (every owner released), and reports `error: message`.
    MainErr(String),
}

impl std::fmt::Display for VmExit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VmExit::RuntimeError(e) => write!(f, "runtime error: {}", e.message),
            VmExit::Exit(code) => write!(f, "exit({code})"),
            VmExit::OutOfMemory(e) => f.write_str(&e.message),
            VmExit::MainErr(m) => write!(f, "error: {m}"),
        }
    }
}

/// A failure inside one instruction, before the VM attaches the span and stack trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    Error(String),
    /// A joined actor failed: its error, whose trace the joiner's frames extend.
    Actor(RuntimeError),
    Exit(i32),
    OutOfMemory(String),
    /// A joined actor took the whole program out of memory: its error, whose trace the
    /// joiner's frames extend.
    ActorOutOfMemory(RuntimeError),
}

impl Fault {
    pub(crate) fn msg(message: impl Into<String>) -> Fault {
        Fault::Error(message.into())
    }
}

impl From<OutOfMemory> for Fault {
    fn from(e: OutOfMemory) -> Fault {
        Fault::OutOfMemory(e.to_string())
    }
}

/// Result of one instruction's work.
pub(crate) type Fallible<T> = Result<T, Fault>;

/// Shorthand for an error result.
pub(crate) fn fail<T>(message: impl Into<String>) -> Fallible<T> {
    Err(Fault::Error(message.into()))
}
