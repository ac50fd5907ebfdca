//! Heap objects for data work: `Tensor` (its buffer in the `tensor` zone), `Dataset` and
//! `Stream` (in the `io` zone), and a dataset's `Column` (`column.rs`, in the `tensor`
//! zone) — their bodies, layouts and accessors (M8). The heap makes and releases them
//! (`heap/alloc.rs`, `heap/release.rs`).
//!
//! Each is a header followed by one Rust value (the body), like strings and lists. A body
//! owns plain Rust resources (a pooled buffer, a file handle) whose `Drop` does the right
//! thing when `release` drops it: a tensor buffer goes back to the pool, a stream's writer
//! is flushed and its file closed, a column's Arrow array is dropped. A dataset holds strong
//! references to its column objects (so `d[name]` can hand one out with +1, no copy).

use crate::column::ColumnBody;
use crate::header::{Header, ObjKind};
use crate::tensor::{contiguous_strides, numel, DType};
use crate::tensor_pool::{Elem, TensorBuf};
use crate::value::ObjRef;
use std::fs::File;
use std::io::{BufReader, BufWriter};

/// Where a tensor's elements live: its own buffer, or the buffer of the tensor it is a view
/// of (SPEC §8).
pub enum TensorStore {
    Own(TensorBuf),
    /// A view: a strong reference to the tensor that owns the buffer (never itself a view,
    /// so one hop reaches the bytes; views of views name the same owner). The reference keeps
    /// the buffer alive, and the bytes stay charged to the owner alone: counted once.
    View(ObjRef),
    /// The values buffer of an int64 or float64 `Column` object, shared: a strong
    /// reference to the column, which keeps the bytes alive and charged to it alone. The
    /// buffer is Arrow's and immutable: writing into such a tensor first gives it a buffer
    /// of its own (copy on write, `natives/tensor.rs`).
    Column(ObjRef),
}

/// A tensor: a dtype, a shape and strides (in elements, possibly negative or zero) over a
/// buffer, starting at `offset` elements into it. A tensor made by an operation is
/// contiguous and row-major at offset 0; a view (slice, index, transpose) shares its base's
/// buffer with other strides and offset.
pub struct TensorBody {
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub strides: Vec<isize>,
    pub offset: usize,
    pub store: TensorStore,
}

impl TensorBody {
    /// A contiguous row-major tensor over its own buffer.
    pub fn owned(dtype: DType, shape: Vec<usize>, buf: TensorBuf) -> TensorBody {
        let strides = contiguous_strides(&shape);
        TensorBody {
            dtype,
            shape,
            strides,
            offset: 0,
            store: TensorStore::Own(buf),
        }
    }

    pub fn numel(&self) -> usize {
        numel(&self.shape).unwrap_or(0)
    }

    /// The buffer the elements are in (the base's, for a view), when it is a tensor
    /// buffer (not a column's).
    pub fn buf(&self) -> &TensorBuf {
        match &self.store {
            TensorStore::Own(b) => b,
            TensorStore::View(base) => match &base.tensor().store {
                TensorStore::Own(b) => b,
                // A view's base is never a view (views are made on the owner); an empty
                // buffer stands in should that ever fail.
                _ => &EMPTY,
            },
            TensorStore::Column(_) => &EMPTY,
        }
    }

    /// The owner of the buffer, when this is a view.
    pub fn base(&self) -> Option<ObjRef> {
        match self.store {
            TensorStore::View(b) => Some(b),
            _ => None,
        }
    }

    /// The object this tensor holds a strong reference to: a view's base, or the column
    /// whose buffer it shares.
    pub fn held(&self) -> Option<ObjRef> {
        match self.store {
            TensorStore::View(b) | TensorStore::Column(b) => Some(b),
            TensorStore::Own(_) => None,
        }
    }

    /// Whether the elements are a column's (immutable) buffer, here or at the base.
    pub fn shares_column(&self) -> bool {
        match &self.store {
            TensorStore::Column(_) => true,
            TensorStore::View(base) => matches!(base.tensor().store, TensorStore::Column(_)),
            TensorStore::Own(_) => false,
        }
    }

    /// Whether the elements are contiguous and row-major from `offset`.
    pub fn is_contiguous(&self) -> bool {
        let want = contiguous_strides(&self.shape);
        self.numel() <= 1
            || self
                .shape
                .iter()
                .zip(self.strides.iter().zip(&want))
                .all(|(&d, (s, w))| d == 1 || s == w)
    }

    /// The whole underlying buffer as `T` (the element type of `dtype`).
    pub fn raw<T: Elem>(&self) -> &[T] {
        match &self.store {
            TensorStore::Own(b) => b.as_slice::<T>(),
            TensorStore::Column(c) => c.column().values_as::<T>(),
            TensorStore::View(base) => match &base.tensor().store {
                TensorStore::Own(b) => b.as_slice::<T>(),
                TensorStore::Column(c) => c.column().values_as::<T>(),
                // A view's base is never a view (views are made on the owner).
                TensorStore::View(_) => &[],
            },
        }
    }

    /// The elements as one row-major slice, when they are contiguous.
    pub fn contiguous<T: Elem>(&self) -> Option<&[T]> {
        if !self.is_contiguous() {
            return None;
        }
        self.raw::<T>().get(self.offset..self.offset + self.numel())
    }

    /// Bytes of buffer this object is charged for: its own buffer's class, none for a view.
    pub fn charged_bytes(&self) -> usize {
        match &self.store {
            TensorStore::Own(b) => b.capacity_bytes(),
            TensorStore::View(_) | TensorStore::Column(_) => 0,
        }
    }

    /// Bytes the `tensor` zone charges this object beyond its header: its own buffer's
    /// size class (none for a view) and the shape and strides.
    pub fn charge(&self) -> u64 {
        (self.charged_bytes() + (self.shape.capacity() + self.strides.capacity()) * 8) as u64
    }

    /// The elements in row-major order in a new buffer of the same dtype (`None` if the
    /// system refuses the memory): what `copy()` and sending to an actor give.
    pub fn contiguous_copy(&self) -> Option<TensorBuf> {
        crate::with_dtype!(self.dtype, T => {
            if let Some(s) = self.contiguous::<T>() {
                return TensorBuf::from_slice(s);
            }
            let mut buf = TensorBuf::of::<T>(self.numel())?;
            let out = buf.as_mut_slice::<T>();
            let src = self.raw::<T>();
            let mut k = 0;
            crate::tensor::for_each_offset(&self.shape, &self.strides, self.offset, |o| {
                out[k] = src[o];
                k += 1;
            });
            Some(buf)
        })
    }

    /// The elements in row-major order as [`Scalar`]s.
    pub fn scalars(&self) -> Vec<crate::tensor::Scalar> {
        use crate::tensor::Num;
        let mut out = Vec::with_capacity(self.numel());
        crate::with_dtype!(self.dtype, T => {
            let src = self.raw::<T>();
            crate::tensor::for_each_offset(&self.shape, &self.strides, self.offset, |o| {
                out.push(src[o].to_scalar())
            });
        });
        out
    }

    /// Structural equality (`==` on tensors): the same shape and equal elements, compared
    /// as numbers whatever the dtypes (IEEE: NaN never equals itself).
    pub fn same_values(&self, other: &TensorBody) -> bool {
        use crate::tensor::Scalar;
        self.shape == other.shape
            && self
                .scalars()
                .into_iter()
                .zip(other.scalars())
                .all(|(a, b)| match (a, b) {
                    (Scalar::I(x), Scalar::I(y)) => x == y,
                    (a, b) => a.as_f64() == b.as_f64(),
                })
    }

    /// Bytes a contiguous copy of the elements takes.
    pub fn nbytes(&self) -> usize {
        self.numel() * self.dtype.size()
    }

    /// The old f32 accessor, for float32 contiguous tensors (datasets' columns, tests).
    pub fn data(&self) -> &[f32] {
        self.contiguous::<f32>().unwrap_or(&[])
    }
}

static EMPTY: std::sync::LazyLock<TensorBuf> =
    std::sync::LazyLock::new(|| TensorBuf::new(0).expect("an empty buffer needs no memory"));

/// A dataset (SPEC §9): named columns of one length, each a strong reference to a
/// `Column` object (`column.rs`), so datasets made from others share the columns they do
/// not change. A `GroupBy` (`d.group_by(key)`) is a dataset with its keys set.
pub struct DatasetBody {
    /// Where it came from, as error messages name it: `"sales.csv"` (quoted) for a
    /// loaded file, empty for a dataset made by an operation.
    pub origin: String,
    pub rows: usize,
    pub columns: Vec<(String, ObjRef)>,
    /// The grouping keys of a `GroupBy`; empty for a plain dataset.
    pub group_keys: Vec<String>,
}

impl DatasetBody {
    /// Column objects the dataset holds strong references to (the cycle collector's edges).
    pub fn children(&self) -> impl Iterator<Item = ObjRef> + '_ {
        self.columns.iter().map(|(_, c)| *c)
    }

    /// The column named `name`.
    pub fn get(&self, name: &str) -> Option<ObjRef> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| *c)
    }

    /// Bytes the io zone is charged for the names.
    pub fn text_bytes(&self) -> u64 {
        let mut n = self.origin.len();
        for (name, _) in &self.columns {
            n += name.len() + 24;
        }
        for k in &self.group_keys {
            n += k.len() + 24;
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
pub(crate) struct ColumnObj {
    pub header: Header,
    pub body: ColumnBody,
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
            ObjKind::Column => std::ptr::drop_in_place(&mut (*(base as *mut ColumnObj)).body),
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

    #[inline]
    pub fn column(&self) -> &ColumnBody {
        self.expect_kind(ObjKind::Column);
        // SAFETY: I1, I2 (kind Column ⇒ ColumnObj with a live body).
        unsafe { &(*(self.raw() as *const ColumnObj)).body }
    }

    /// Mutable access to a dataset's body (its columns), for the natives that build one
    /// in place.
    ///
    /// # Safety
    /// As for [`ObjRef::tensor_mut`]: the object is alive, and no other borrow of this
    /// body is live or made while the returned one lives (I5).
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn dataset_mut(&self) -> &mut DatasetBody {
        self.expect_kind(ObjKind::Dataset);
        // SAFETY: I1 and I2 (kind Dataset ⇒ DatasetObj with a live body), and the caller's
        // promise that no other borrow of this body overlaps this one (I5).
        unsafe { &mut (*(self.raw() as *mut DatasetObj)).body }
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
