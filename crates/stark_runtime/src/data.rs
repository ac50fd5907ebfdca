//! Heap objects for data work: `Tensor` (its buffer in the `tensor` zone), `Dataset` and
//! `Stream` (in the `io` zone) — their bodies, layouts and accessors (M8). The heap makes
//! and releases them (`heap/alloc.rs`, `heap/release.rs`).
//!
//! Each is a header followed by one Rust value (the body), like strings and lists. A body
//! owns plain Rust resources (a pooled buffer, a file handle) whose `Drop` does the right
//! thing when `release` drops it: a tensor buffer goes back to the pool, a stream's writer
//! is flushed and its file closed. A dataset's numeric columns are tensor objects it holds a
//! strong reference to (so `column(name)` can hand one out with +1, no copy); every column
//! also keeps its fields' text, for `row(i)`.

use crate::header::{Header, ObjKind};
use crate::tensor::TensorBody;
use crate::value::ObjRef;
use std::fs::File;
use std::io::{BufReader, BufWriter};

/// The text of every field of one column, exactly as it is in the file (`row(i)`, SPEC
/// §9), end to end in one buffer: a field costs its bytes and one offset, not an
/// allocation of its own.
#[derive(Clone, Debug, Default)]
pub struct FieldTexts {
    pub text: String,
    /// `ends[i]`: where field `i` ends in `text` (it starts where field `i - 1` ends).
    pub ends: Vec<usize>,
}

impl FieldTexts {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i` (`i < len()`).
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// Bytes the buffers hold.
    pub fn bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * std::mem::size_of::<usize>()
    }
}

/// One column of a dataset. Every kind keeps the fields' text for `row(i)`.
pub enum Column {
    /// A `Tensor` object (1-D, one f32 per row) the dataset holds a strong reference to.
    Numeric {
        tensor: ObjRef,
        fields: FieldTexts,
    },
    /// Whole numbers, some of which an f32 cannot hold exactly (ID 16777217). No tensor is
    /// built, since it would hold other numbers than the file; `column(name)` is a runtime
    /// error naming the first such value (until int64 columns arrive, SPEC §9).
    Whole {
        fields: FieldTexts,
        /// The first field an f32 would round: its row and its line in the file.
        inexact: (usize, u64),
    },
    Text(FieldTexts),
}

impl Column {
    pub fn fields(&self) -> &FieldTexts {
        match self {
            Column::Numeric { fields, .. }
            | Column::Whole { fields, .. }
            | Column::Text(fields) => fields,
        }
    }

    pub fn tensor(&self) -> Option<ObjRef> {
        match self {
            Column::Numeric { tensor, .. } => Some(*tensor),
            _ => None,
        }
    }
}

pub struct DatasetBody {
    pub path: String,
    pub rows: usize,
    pub columns: Vec<(String, Column)>,
}

impl DatasetBody {
    /// Tensor objects the dataset holds strong references to (the cycle collector's edges).
    pub fn tensors(&self) -> impl Iterator<Item = ObjRef> + '_ {
        self.columns.iter().filter_map(|(_, c)| c.tensor())
    }

    /// Bytes the io zone is charged for the fields' text and the names.
    pub fn text_bytes(&self) -> u64 {
        let mut n = self.path.len();
        for (name, c) in &self.columns {
            n += name.len() + c.fields().bytes();
        }
        n as u64
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamMode {
    Read,
    Write,
    Append,
}

impl StreamMode {
    pub fn name(self) -> &'static str {
        match self {
            StreamMode::Read => "r",
            StreamMode::Write => "w",
            StreamMode::Append => "a",
        }
    }
}

pub struct StreamBody {
    pub path: String,
    pub mode: StreamMode,
    pub reader: Option<BufReader<File>>,
    /// Dropping it (on `close` or when the stream is freed) flushes and closes the file.
    pub writer: Option<BufWriter<File>>,
    pub closed: bool,
}

/// Bytes of buffering a stream is charged in the `io` zone (std's default buffer size).
pub const STREAM_BUFFER_BYTES: u64 = 8 * 1024;

#[repr(C)]
pub(crate) struct TensorObj {
    pub header: Header,
    pub body: TensorBody,
}

#[repr(C)]
pub(crate) struct DatasetObj {
    pub header: Header,
    pub body: DatasetBody,
}

#[repr(C)]
pub(crate) struct StreamObj {
    pub header: Header,
    pub body: StreamBody,
}

/// Drops a data object's body without touching children (the heap is going away).
///
/// # Safety
/// The object is live (not DEAD) and its body is dropped exactly once.
pub(crate) unsafe fn drop_data_body(obj: ObjRef) {
    let base = obj.raw();
    // SAFETY: the caller's contract; the layouts follow from the kind (I2).
    unsafe {
        match obj.kind() {
            ObjKind::Tensor => std::ptr::drop_in_place(&mut (*(base as *mut TensorObj)).body),
            ObjKind::Dataset => std::ptr::drop_in_place(&mut (*(base as *mut DatasetObj)).body),
            ObjKind::Stream => std::ptr::drop_in_place(&mut (*(base as *mut StreamObj)).body),
            _ => {}
        }
    }
}

/// Accessors; like the others in `object.rs` they rely on I1 and check the kind themselves,
/// and the mutable ones are `unsafe fn`s whose caller promises that no other borrow of the
/// body overlaps (I5).
impl ObjRef {
    #[inline]
    pub fn tensor(&self) -> &TensorBody {
        self.expect_kind(ObjKind::Tensor);
        // SAFETY: I1, I2 (kind Tensor ⇒ TensorObj with a live body).
        unsafe { &(*(self.raw() as *const TensorObj)).body }
    }

    /// Mutable access to a tensor's body (its shape and buffer).
    ///
    /// # Safety
    /// The object is alive (I1), and for as long as the returned borrow lives nothing else
    /// reads or writes this tensor's body: no other borrow of it (`tensor()`,
    /// `tensor_mut()`, a slice of its data), through any copy of the `ObjRef`, is live or
    /// made, no heap operation on the object runs, and no STARK code runs (I5). The kind is
    /// checked (a mismatch panics), so it is not a precondition.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn tensor_mut(&self) -> &mut TensorBody {
        self.expect_kind(ObjKind::Tensor);
        // SAFETY: I1 and I2 (kind Tensor ⇒ TensorObj with a live body), and the caller's
        // promise that no other borrow of this body overlaps this one (I5).
        unsafe { &mut (*(self.raw() as *mut TensorObj)).body }
    }

    #[inline]
    pub fn dataset(&self) -> &DatasetBody {
        self.expect_kind(ObjKind::Dataset);
        // SAFETY: I1, I2 (kind Dataset ⇒ DatasetObj with a live body).
        unsafe { &(*(self.raw() as *const DatasetObj)).body }
    }

    /// Mutable access to a stream's body (its reader, writer and state).
    ///
    /// # Safety
    /// The object is alive (I1), and for as long as the returned borrow lives nothing else
    /// reads or writes this stream's body: no other borrow of it (`stream()`,
    /// `stream_mut()`), through any copy of the `ObjRef`, is live or made, no heap
    /// operation on the object runs, and no STARK code runs (I5). The kind is checked (a
    /// mismatch panics), so it is not a precondition.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn stream_mut(&self) -> &mut StreamBody {
        self.expect_kind(ObjKind::Stream);
        // SAFETY: I1 and I2 (kind Stream ⇒ StreamObj with a live body), and the caller's
        // promise that no other borrow of this body overlaps this one (I5).
        unsafe { &mut (*(self.raw() as *mut StreamObj)).body }
    }

    #[inline]
    pub fn stream(&self) -> &StreamBody {
        self.expect_kind(ObjKind::Stream);
        // SAFETY: I1, I2 (kind Stream ⇒ StreamObj with a live body).
        unsafe { &(*(self.raw() as *const StreamObj)).body }
    }
}
