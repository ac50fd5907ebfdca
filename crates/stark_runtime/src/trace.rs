//! Allocation tracing (`Memory.trace`, M13): which zones are traced and where events go.

use crate::value::ObjRef;
use crate::zone::Zone;
use std::collections::HashMap;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    Alloc,
    Free,
    /// A traced object's owned buffers grew or shrank (`TraceEvent::delta`): a list or
    /// map growing, a string appended to in place. Also emitted right before the `Free` of
    /// an object whose size changed, taking it back to its allocated size, so that every
    /// `Free` carries the bytes of its `Alloc`.
    Resize,
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
            TraceKind::Resize => "resize",
            TraceKind::Collect => "collect",
            TraceKind::Phase => "gc-phase",
        }
    }
}

/// One traced event. `type_name` is the object's type ("String", "Node"…); for a collection
/// it is "cycles" and `bytes` the bytes reclaimed. For an object, `bytes` is its size after
/// the event (an `Alloc`'s and its `Free`'s are equal); a `Resize` also has the change.
#[derive(Clone, Debug)]
pub struct TraceEvent {
    pub kind: TraceKind,
    pub type_name: String,
    pub bytes: u64,
    /// A `Resize`'s change in bytes (0 for the other kinds).
    pub delta: i64,
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
        if self.kind == TraceKind::Resize {
            return format!(
                "trace: resize {} {:+} bytes to {} zone={}",
                self.type_name,
                self.delta,
                self.bytes,
                self.zone.name()
            );
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
    /// Every zone is traced because `stark run --trace` asked for it, not the program: the
    /// program's first `Memory.trace(zone=Z)` narrows tracing to Z instead of adding Z.
    pub by_default: bool,
    pub sink: Option<TraceSink>,
    /// Traced objects (`gc_bits::TRACED`) whose size changed since their `Alloc`: the bytes
    /// of that `Alloc`, and the size the trace last reported. A `Free` reports the first,
    /// after a `Resize` from the second, so each object's events sum to zero even when its
    /// zone was not traced during some of its resizes.
    pub resized: HashMap<ObjRef, (u64, u64)>,
}

impl Default for Tracer {
    fn default() -> Self {
        Tracer {
            enabled: [false; Zone::COUNT],
            any: false,
            by_default: false,
            sink: None,
            resized: HashMap::new(),
        }
    }
}

impl Tracer {
    pub fn set(&mut self, zone: Option<Zone>, on: bool) {
        if std::mem::take(&mut self.by_default) && on && zone.is_some() {
            self.enabled = [false; Zone::COUNT];
        }
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
            delta: 0,
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
