//! `stark run --trace OUT.json`: memory events as Chrome trace-event JSON (the "JSON Array
//! Format" Perfetto and chrome://tracing open). Allocations and frees are instant events
//! carrying type, bytes and zone (a free the bytes of its allocation); resizes carry the
//! new size and the change (`delta`); each event also updates a per-zone counter series of
//! live bytes, so the viewer draws the memory curve; collector phases are complete ("X")
//! duration events, on the program's thread (tid 1) or the collector's (tid 2).

use stark_runtime::{TraceEvent, TraceKind};
use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::rc::Rc;

pub struct TraceFile {
    out: BufWriter<File>,
    first: bool,
}

impl TraceFile {
    pub fn create(path: &Path) -> std::io::Result<Rc<RefCell<TraceFile>>> {
        let mut out = BufWriter::new(File::create(path)?);
        out.write_all(b"[\n")?;
        let mut t = TraceFile { out, first: true };
        t.raw(r#"{"name":"process_name","ph":"M","pid":1,"tid":1,"args":{"name":"stark"}}"#);
        t.raw(r#"{"name":"thread_name","ph":"M","pid":1,"tid":1,"args":{"name":"program"}}"#);
        t.raw(
            r#"{"name":"thread_name","ph":"M","pid":1,"tid":2,"args":{"name":"cycle collector"}}"#,
        );
        Ok(Rc::new(RefCell::new(t)))
    }

    fn raw(&mut self, line: &str) {
        // Tracing is best-effort: a full disk must not fail the program.
        let sep = if self.first { "" } else { ",\n" };
        self.first = false;
        let _ = write!(self.out, "{sep}{line}");
    }

    pub fn event(&mut self, e: &TraceEvent) {
        let ts = e.time_us;
        let zone = e.zone.name();
        match e.kind {
            TraceKind::Resize => {
                self.raw(&format!(
                    r#"{{"name":"resize","cat":"memory","ph":"i","s":"t","ts":{ts},"pid":1,"tid":1,"args":{{"type":{},"bytes":{},"delta":{},"zone":"{zone}"}}}}"#,
                    json_str(&e.type_name),
                    e.bytes,
                    e.delta
                ));
            }
            TraceKind::Alloc | TraceKind::Free => {
                self.raw(&format!(
                    r#"{{"name":"{}","cat":"memory","ph":"i","s":"t","ts":{ts},"pid":1,"tid":1,"args":{{"type":{},"bytes":{},"zone":"{zone}"}}}}"#,
                    e.kind.name(),
                    json_str(&e.type_name),
                    e.bytes
                ));
            }
            TraceKind::Collect => {
                self.raw(&format!(
                    r#"{{"name":"collect","cat":"gc","ph":"i","s":"p","ts":{ts},"pid":1,"tid":1,"args":{{"freed_bytes":{},"zone":"{zone}"}}}}"#,
                    e.bytes
                ));
            }
            TraceKind::Phase => {
                self.raw(&format!(
                    r#"{{"name":{},"cat":"gc","ph":"X","ts":{ts},"dur":{},"pid":1,"tid":{}}}"#,
                    json_str(&format!("gc {}", e.type_name)),
                    e.dur_us,
                    1 + e.thread as u32
                ));
                return;
            }
        }
        self.raw(&format!(
            r#"{{"name":"live bytes ({zone})","cat":"memory","ph":"C","ts":{ts},"pid":1,"args":{{"{zone}":{}}}}}"#,
            e.zone_live_bytes
        ));
    }

    pub fn finish(&mut self) {
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
