//! Allocation tracing (`Memory.trace`, M13): which zones are traced and where events go.

use crate::zone::Zone;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    Alloc,
    Free,
    Collect,
}

impl TraceKind {
    pub fn name(self) -> &'static str {
        match self {
            TraceKind::Alloc => "alloc",
            TraceKind::Free => "free",
            TraceKind::Collect => "collect",
        }
    }
}

/// One traced event. `type_name` is the object's type ("String", "Node"…); for a collection
/// it is "cycles" and `bytes` the bytes reclaimed.
#[derive(Clone, Debug)]
pub struct TraceEvent {
    pub kind: TraceKind,
    pub type_name: String,
    pub bytes: u64,
    pub zone: Zone,
    /// Microseconds since the heap was created.
    pub time_us: u64,
}

impl TraceEvent {
    /// The stderr line used when no `--trace` file is set.
    pub fn line(&self) -> String {
        format!(
            "trace: {} {} {} bytes zone={}",
            self.kind.name(),
            self.type_name,
            self.bytes,
            self.zone.name()
        )
    }
}

/// Where events go: stderr lines by default, or a sink the CLI installs (Chrome JSON).
pub type TraceSink = Box<dyn FnMut(&TraceEvent)>;

pub(crate) struct Tracer {
    pub enabled: [bool; Zone::COUNT],
    pub any: bool,
    pub sink: Option<TraceSink>,
}

impl Default for Tracer {
    fn default() -> Self {
        Tracer {
            enabled: [false; Zone::COUNT],
            any: false,
            sink: None,
        }
    }
}

impl Tracer {
    pub fn set(&mut self, zone: Option<Zone>, on: bool) {
        match zone {
            Some(z) => self.enabled[z.index()] = on,
            None => self.enabled = [on; Zone::COUNT],
        }
        self.any = self.enabled.iter().any(|&e| e);
    }

    pub fn emit(&mut self, start: Instant, kind: TraceKind, type_name: String, bytes: u64, zone: Zone) {
        let event = TraceEvent {
            kind,
            type_name,
            bytes,
            zone,
            time_us: start.elapsed().as_micros() as u64,
        };
        match &mut self.sink {
            Some(sink) => sink(&event),
            // A closed stderr must not abort the program: tracing is best-effort.
            None => {
                use std::io::Write;
                let _ = writeln!(std::io::stderr(), "{}", event.line());
            }
        }
    }
}
