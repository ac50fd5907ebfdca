//! `File.open`, Stream methods, `read_file` and `write_file`. Every I/O failure is an error
//! naming the path: a runtime error, or the `Err` of a twin (SPEC §6, `result::attempt`).
//! The stream object (and its buffer) lives in the `io` zone; releasing it without `close`
//! flushes and closes the file (the body's `BufWriter` does so when dropped).

use super::operands::{arg, bad_operand, NativeCx};
use crate::error::{fail, Fallible, Fault};
use stark_runtime::data::STREAM_BUFFER_BYTES;
use stark_runtime::{BufferCharge, Heap, ObjKind, ObjRef, StreamBody, StreamMode, Value, Zone};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};

/// An I/O error as a short lowercase reason ("no such file or directory").
pub(crate) fn reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or directory".to_string(),
        PermissionDenied => "permission denied".to_string(),
        IsADirectory => "it is a directory".to_string(),
        InvalidData => "it is not valid UTF-8".to_string(),
        _ => {
            let s = e.to_string();
            // Drop std's " (os error N)" suffix.
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s,
            }
        }
    }
}

fn str_obj(a: &[Value], i: usize) -> Fallible<ObjRef> {
    match arg(a, i) {
        Value::Obj(o) if o.kind() == ObjKind::Str => Ok(o),
        Value::None => fail("expected a String, found None"),
        _ => Err(bad_operand(i, "String")),
    }
}

fn stream_arg(a: &[Value]) -> Fallible<ObjRef> {
    match arg(a, 0) {
        Value::Obj(o) if o.kind() == ObjKind::Stream => Ok(o),
        Value::None => fail("expected a Stream, found None"),
        _ => Err(bad_operand(0, "Stream")),
    }
}

/// The file `File.open` opens for `mode`, or its runtime error naming the path.
fn open_file(path: &str, mode: StreamMode) -> Fallible<File> {
    let file = match mode {
        StreamMode::Read => File::open(path),
        StreamMode::Write => File::create(path),
        StreamMode::Append => OpenOptions::new().append(true).create(true).open(path),
    };
    let file = match file {
        Ok(f) => f,
        Err(e) => return fail(format!("cannot open \"{path}\": {}", reason(&e))),
    };
    // Opening a directory for reading succeeds on Unix; reading it would fail later, less
    // clearly.
    if mode == StreamMode::Read && file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return fail(format!("cannot open \"{path}\": it is a directory"));
    }
    Ok(file)
}

pub(crate) fn open(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let path_obj = str_obj(a, 0)?;
    let path = path_obj.as_str();
    let mode_obj = match arg(a, 1) {
        Value::None => None,
        _ => Some(str_obj(a, 1)?),
    };
    let mode = match mode_obj {
        None => StreamMode::Read,
        Some(m) => match m.as_str() {
            "r" => StreamMode::Read,
            "w" => StreamMode::Write,
            "a" => StreamMode::Append,
            other => {
                return fail(format!(
                "cannot open \"{path}\": unknown mode \"{other}\" (expected \"r\", \"w\" or \"a\")"
            ))
            }
        },
    };
    let file = open_file(path, mode)?;
    let (reader, writer) = match mode {
        StreamMode::Read => (
            Some(BufReader::with_capacity(STREAM_BUFFER_BYTES as usize, file)),
            None,
        ),
        _ => (
            None,
            Some(BufWriter::with_capacity(STREAM_BUFFER_BYTES as usize, file)),
        ),
    };
    let body = StreamBody {
        path: path.to_string(),
        mode,
        reader,
        writer,
        closed: false,
    };
    Ok(Value::Obj(cx.heap.alloc_stream(body)?))
}

/// The reader of a stream open for reading, with the path for messages, or the error
/// naming the path.
fn reader(s: &mut StreamBody) -> Fallible<(&str, &mut BufReader<File>)> {
    if s.closed {
        return fail(format!(
            "cannot read from \"{}\": the stream is closed",
            s.path
        ));
    }
    match s.reader.as_mut() {
        Some(r) => Ok((&s.path, r)),
        None => fail(format!(
            "cannot read from \"{}\": it was opened for writing (mode \"{}\")",
            s.path,
            s.mode.name()
        )),
    }
}

/// Reads up to and including the next `\n` (`line`) or to the end of the file into `out`.
///
/// `out` is a reader buffer of the `io` zone (M8): each growth is charged to `charge`
/// first, so `--max-memory` (or a quota) is checked as it grows, and reserved fallibly, so
/// the system refusing memory is an error too. A huge file or an endless one (`/dev/zero`)
/// is then an out-of-memory failure (exit 3) rather than an abort or the OS killing the
/// program.
pub(crate) fn read_capped(
    heap: &mut Heap,
    charge: &mut BufferCharge,
    r: &mut impl BufRead,
    out: &mut Vec<u8>,
    line: bool,
) -> Fallible<()> {
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Fault::msg(reason(&e))),
        };
        if chunk.is_empty() {
            return Ok(());
        }
        let (take, done) = match line
            .then(|| chunk.iter().position(|&b| b == b'\n'))
            .flatten()
        {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        charge.grow(heap, out, take)?;
        out.extend_from_slice(&chunk[..take]);
        r.consume(take);
        if done {
            return Ok(());
        }
    }
}

/// `read_capped` into a String, with the path in any error and the bytes checked as UTF-8;
/// `None` for a line at the end of the file.
fn read_str(
    heap: &mut Heap,
    path: &str,
    r: &mut impl BufRead,
    line: bool,
) -> Fallible<Option<String>> {
    let mut bytes = Vec::new();
    let mut charge = BufferCharge::new(Zone::Io);
    let read = read_capped(heap, &mut charge, r, &mut bytes, line);
    // The buffer becomes the string's text, which the string is charged for.
    charge.refund_all(heap);
    match read {
        Ok(()) => {}
        Err(Fault::Error(why)) => return fail(format!("cannot read from \"{path}\": {why}")),
        Err(e) => return Err(e),
    }
    if line && bytes.is_empty() {
        return Ok(None);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Some(text)),
        Err(_) => fail(format!(
            "cannot read from \"{path}\": it is not valid UTF-8"
        )),
    }
}

fn read_text(cx: &mut NativeCx<'_>, obj: ObjRef, line: bool) -> Fallible<Option<String>> {
    // SAFETY: the only borrow of the stream's body while it reads: the heap calls below
    // charge and refund the io zone without touching a body, and a native runs no STARK
    // code (I5).
    let s = unsafe { obj.stream_mut() };
    let (path, r) = reader(s)?;
    read_str(cx.heap, path, r, line)
}

pub(crate) fn read_line(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let obj = stream_arg(a)?;
    let Some(mut line) = read_text(cx, obj, true)? else {
        return Ok(Value::None);
    };
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    Ok(Value::Obj(cx.heap.alloc_str(line)?))
}

pub(crate) fn read_all(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let obj = stream_arg(a)?;
    let text = read_text(cx, obj, false)?.unwrap_or_default();
    Ok(Value::Obj(cx.heap.alloc_str(text)?))
}

pub(crate) fn write(a: &[Value]) -> Fallible<Value> {
    let obj = stream_arg(a)?;
    // SAFETY: the only borrow of the stream's body; the text read below is another object's
    // (a String, not this Stream), and a native runs no STARK code (I5).
    let s = unsafe { obj.stream_mut() };
    let text_obj = str_obj(a, 1)?;
    let text = text_obj.as_str();
    if s.closed {
        return fail(format!(
            "cannot write to \"{}\": the stream is closed",
            s.path
        ));
    }
    let Some(w) = s.writer.as_mut() else {
        return fail(format!(
            "cannot write to \"{}\": it was opened for reading (mode \"r\")",
            s.path
        ));
    };
    if let Err(e) = w.write_all(text.as_bytes()) {
        return fail(format!("cannot write to \"{}\": {}", s.path, reason(&e)));
    }
    Ok(Value::None)
}

/// `read_file(path)`: the whole file's text, read and failing as
/// `File.open(path).read_all()` would, without a Stream object.
pub(crate) fn read_file(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let path_obj = str_obj(a, 0)?;
    let path = path_obj.as_str();
    let file = open_file(path, StreamMode::Read)?;
    // The reader's buffer is charged to the io zone as a stream's is.
    let mut buffer = BufferCharge::new(Zone::Io);
    buffer.charge(cx.heap, STREAM_BUFFER_BYTES)?;
    let mut r = BufReader::with_capacity(STREAM_BUFFER_BYTES as usize, file);
    let text = read_str(cx.heap, path, &mut r, false);
    drop(r);
    buffer.refund_all(cx.heap);
    let text = text?.unwrap_or_default();
    Ok(Value::Obj(cx.heap.alloc_str(text)?))
}

/// `write_file(path, text)`: creates or truncates the file and writes `text` at once
/// (unbuffered, so every failure shows here), with `File.open` and `write`'s messages.
pub(crate) fn write_file(a: &[Value]) -> Fallible<Value> {
    let path_obj = str_obj(a, 0)?;
    let path = path_obj.as_str();
    let text = str_obj(a, 1)?;
    let mut file = open_file(path, StreamMode::Write)?;
    if let Err(e) = file.write_all(text.as_str().as_bytes()) {
        return fail(format!("cannot write to \"{path}\": {}", reason(&e)));
    }
    Ok(Value::None)
}

/// Flushes and closes; closing twice is allowed (as in Python). The io zone is refunded the
/// buffer.
pub(crate) fn close(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let obj = stream_arg(a)?;
    // SAFETY: the only borrow of the stream's body; the refund below touches counters, not
    // bodies, and a native runs no STARK code (I5).
    let s = unsafe { obj.stream_mut() };
    if s.closed {
        return Ok(Value::None);
    }
    s.closed = true;
    s.reader = None;
    let flushed = match s.writer.take() {
        Some(w) => w.into_inner().map(drop).map_err(|e| reason(e.error())),
        None => Ok(()),
    };
    cx.heap.resize(obj, -(STREAM_BUFFER_BYTES as i64))?;
    match flushed {
        Ok(()) => Ok(Value::None),
        Err(why) => fail(format!("cannot write to \"{}\": {why}", s.path)),
    }
}
