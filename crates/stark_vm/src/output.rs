//! Program output: buffered stdout that never panics on a closed pipe.

use std::io::{IsTerminal, Write};

pub(crate) struct Output {
    sink: Box<dyn Write>,
    /// Set after the first write error (e.g. `stark run x | head -1`): later output is
    /// dropped silently instead of failing the program.
    broken: bool,
    /// The first write error that was not a closed pipe (a full disk): output was lost
    /// where someone expected it, which the run reports when it ends.
    lost: Option<std::io::Error>,
}

impl Output {
    /// Block-buffered into a pipe or file (fast), line-buffered on a terminal (so
    /// interactive output appears as it is printed), as C stdio and Python do. The stdout
    /// lock is taken per flushed chunk, not held for the VM's lifetime, so VMs on other
    /// threads (actors) can print too.
    pub(crate) fn stdout() -> Output {
        let out = std::io::stdout();
        if out.is_terminal() {
            Output::new(Box::new(std::io::LineWriter::new(out)))
        } else {
            Output::new(Box::new(std::io::BufWriter::with_capacity(64 * 1024, out)))
        }
    }

    pub(crate) fn new(sink: Box<dyn Write>) -> Output {
        Output {
            sink,
            broken: false,
            lost: None,
        }
    }

    pub(crate) fn write_str(&mut self, s: &str) {
        if !self.broken {
            if let Err(e) = self.sink.write_all(s.as_bytes()) {
                self.fail(e);
            }
        }
    }

    pub(crate) fn flush(&mut self) {
        if !self.broken {
            if let Err(e) = self.sink.flush() {
                self.fail(e);
            }
        }
    }

    fn fail(&mut self, e: std::io::Error) {
        self.broken = true;
        // A reader that went away (`| head`) is the reader's choice, as for any Unix tool.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            self.lost.get_or_insert(e);
        }
    }

    /// The error that lost output, if any (see `lost`).
    pub(crate) fn take_lost(&mut self) -> Option<std::io::Error> {
        self.lost.take()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        self.flush();
    }
}
