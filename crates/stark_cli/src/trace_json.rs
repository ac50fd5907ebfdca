//! `stark run --trace OUT.json`: memory events as Chrome trace-event JSON (the "JSON Array
//! Format" Perfetto and chrome://tracing open). Allocations and frees are instant events
//! carrying type, bytes and zone (a free the bytes of its allocation); resizes carry the
//! new size and the change (`delta`); each event also updates a per-zone counter series of
//! live bytes, so the viewer draws the memory curve; collector phases are complete ("X")
//! duration events, on the program's thread (tid 1) or the collector's (tid 2). Each actor
//! is a track of its own (tid 10 + N for actor N, named `actor N: function`): its heap's
//! events, its collector steps (an actor collects on its own thread), and its own live-bytes
//! counter (`live bytes (actor N)`), its times counted from the program's start.

use stark_runtime::{TraceEvent, TraceKind};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub struct TraceFile {
    out: BufWriter<File>,
    first: bool,
    /// When the program's heap was made: every track's times count from it.
    start: Instant,
    /// The closing bracket is written: an actor still running after the program ended
    /// (after an error, the pool abandons it) writes nothing more.
    closed: bool,
}

/// Where a heap's events go in the file: the program's, or one actor's.
pub struct Track {
    /// The thread id of the heap's own events (an actor's collector steps included).
    tid: u64,
    /// Microseconds from the program's start to this heap's (its events' time origin).
    offset_us: u64,
    /// For an actor: `actor N`, which names its live-bytes counter.
    actor: Option<String>,
}

impl Track {
    pub fn program() -> Track {
        Track {
            tid: 1,
            offset_us: 0,
            actor: None,
        }
    }
}

impl TraceFile {
    /// The file, and the moment the program's heap was made (`Heap::started`).
    pub fn create(path: &Path, start: Instant) -> std::io::Result<Arc<Mutex<TraceFile>>> {
        let mut out = BufWriter::new(File::create(path)?);
        out.write_all(b"[\n")?;
        let mut t = TraceFile {
            out,
            first: true,
            start,
            closed: false,
        };
        t.raw(r#"{"name":"process_name","ph":"M","pid":1,"tid":1,"args":{"name":"stark"}}"#);
        t.raw(r#"{"name":"thread_name","ph":"M","pid":1,"tid":1,"args":{"name":"program"}}"#);
        t.raw(
            r#"{"name":"thread_name","ph":"M","pid":1,"tid":2,"args":{"name":"cycle collector"}}"#,
        );
        Ok(Arc::new(Mutex::new(t)))
    }

    /// A track for actor `n`, running `function`, whose heap was made at `heap_start`.
    pub fn actor_track(&mut self, n: u64, function: &str, heap_start: Instant) -> Track {
        let tid = 10 + n;
        self.raw(&format!(
            r#"{{"name":"thread_name","ph":"M","pid":1,"tid":{tid},"args":{{"name":{}}}}}"#,
            json_str(&format!("actor {n}: {function}"))
        ));
        Track {
            tid,
            offset_us: heap_start.saturating_duration_since(self.start).as_micros() as u64,
            actor: Some(format!("actor {n}")),
        }
    }

    fn raw(&mut self, line: &str) {
        if self.closed {
            return;
        }
        // Tracing is best-effort: a full disk must not fail the program.
        let sep = if self.first { "" } else { ",\n" };
        self.first = false;
        let _ = write!(self.out, "{sep}{line}");
    }

    pub fn event(&mut self, e: &TraceEvent, track: &Track) {
        let ts = e.time_us + track.offset_us;
        let tid = track.tid;
        let zone = e.zone.name();
        match e.kind {
            TraceKind::Resize => {
                self.raw(&format!(
                    r#"{{"name":"resize","cat":"memory","ph":"i","s":"t","ts":{ts},"pid":1,"tid":{tid},"args":{{"type":{},"bytes":{},"delta":{},"zone":"{zone}"}}}}"#,
                    json_str(&e.type_name),
                    e.bytes,
                    e.delta
                ));
            }
            TraceKind::Alloc | TraceKind::Free => {
                self.raw(&format!(
                    r#"{{"name":"{}","cat":"memory","ph":"i","s":"t","ts":{ts},"pid":1,"tid":{tid},"args":{{"type":{},"bytes":{},"zone":"{zone}"}}}}"#,
                    e.kind.name(),
                    json_str(&e.type_name),
                    e.bytes
                ));
            }
            TraceKind::Collect => {
                self.raw(&format!(
                    r#"{{"name":"collect","cat":"gc","ph":"i","s":"p","ts":{ts},"pid":1,"tid":{tid},"args":{{"freed_bytes":{},"zone":"{zone}"}}}}"#,
                    e.bytes
                ));
            }
            TraceKind::Phase => {
                self.raw(&format!(
                    r#"{{"name":{},"cat":"gc","ph":"X","ts":{ts},"dur":{},"pid":1,"tid":{}}}"#,
                    json_str(&format!("gc {}", e.type_name)),
                    e.dur_us,
                    // The program's collector thread is track 2; an actor collects on its
                    // own thread.
                    if track.actor.is_some() {
                        tid
                    } else {
                        tid + e.thread as u64
                    }
                ));
                return;
            }
        }
        let series = match &track.actor {
            Some(actor) => actor.clone(),
            None => zone.to_string(),
        };
        self.raw(&format!(
            r#"{{"name":"live bytes ({series})","cat":"memory","ph":"C","ts":{ts},"pid":1,"args":{{"{series}":{}}}}}"#,
            e.zone_live_bytes
        ));
    }

    pub fn finish(&mut self) {
        if std::mem::replace(&mut self.closed, true) {
            return;
        }
        let _ = self.out.write_all(b"\n]\n");
        let _ = self.out.flush();
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
