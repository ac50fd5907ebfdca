//! Allocation tracing (`Memory.trace`, M13): which zones are traced and where events go.

use crate::zone::Zone;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    Alloc,
    Free,
    Collect,
    /// A collector phase with a duration (`TraceEvent::dur_us`): "snapshot" and "sweep" on
    /// the program's thread, "mark" on the collector's.
    Phase,
}

impl TraceKind {
    pub fn name(self) -> &'static str {
        match self {
            TraceKind::Alloc => "alloc",
            TraceKind::Free => "free",
            TraceKind::Collect => "collect",
            TraceKind::Phase => "gc-phase",
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
    /// Microseconds since the heap was created (for a phase: when it began).
    pub time_us: u64,
    /// The zone's live bytes right after the event (the memory curve of a trace).
    pub zone_live_bytes: u64,
    /// A phase's length in microseconds (0 for the other kinds).
    pub dur_us: u64,
    /// Which thread did the work: 0 the program's, 1 the collector's.
    pub thread: u8,
}

impl TraceEvent {
    /// The stderr line used when no `--trace` file is set.
    pub fn line(&self) -> String {
        if self.kind == TraceKind::Phase {
            return format!("trace: gc-phase {} {} us", self.type_name, self.dur_us);
        }
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

    #[allow(clippy::too_many_arguments)]
    pub fn emit(
        &mut self,
        start: Instant,
        kind: TraceKind,
        type_name: String,
        bytes: u64,
        zone: Zone,
        zone_live_bytes: u64,
    ) {
        let event = TraceEvent {
            kind,
            type_name,
            bytes,
            zone,
            time_us: start.elapsed().as_micros() as u64,
            zone_live_bytes,
            dur_us: 0,
            thread: 0,
        };
        self.send(event);
    }

    pub fn send(&mut self, event: TraceEvent) {
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
