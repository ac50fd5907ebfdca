//! The `tensor` zone's buffer pool (M8): 64-byte aligned byte buffers, recycled by size
//! class. A buffer holds the elements of one dtype (`f32`, `f64`, `i64` or a `bool` byte);
//! the tensor body says which, the buffer only knows its length in bytes.
//!
//! Numeric loops allocate and drop same-shaped temporaries over and over (`c = a + b` in a
//! loop); handing the previous buffer back avoids both the allocator and, for large buffers,
//! the page faults of fresh `mmap`ed memory. Sizes are rounded up to a class with four steps
//! per power of two (at most 25% slack). A freed buffer goes back to its class's free list
//! unless the pool already holds `MAX_POOLED_BYTES`, in which case it returns to the system.
//!
//! The pool is process-wide (behind a mutex) so a buffer may be freed on any thread; the
//! lock is taken once per tensor allocation or free, never per element.
//!
//! Every buffer's contents are always initialised bytes: fresh memory is zeroed, and a
//! recycled buffer holds the bytes its previous owner wrote. Every element type a buffer is
//! read as ([`Elem`]) is valid for any bit pattern, so reading a recycled buffer as another
//! dtype is never undefined behaviour (a `bool` byte is read as `!= 0`).

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ptr::NonNull;
use std::sync::Mutex;

/// Cache-line (and AVX-512) alignment of every tensor buffer.
pub const ALIGN: usize = 64;
/// Free buffers kept for reuse stay below this many bytes in all.
const MAX_POOLED_BYTES: usize = 512 << 20;
/// Classes: 64 bytes and up, four per power of two, to 2^47 bytes.
const CLASSES: usize = 4 * 42;

struct PoolState {
    /// P1: `free[c]` holds buffers allocated with `class_layout(c)` that no tensor owns.
    free: Vec<Vec<NonNull<u8>>>,
    pooled_bytes: usize,
}

// SAFETY: the pointers in the free lists are owned by the pool alone (P1); moving them between
// threads is no different from moving a `Box<[f32]>`.
unsafe impl Send for PoolState {}

static POOL: Mutex<PoolState> = Mutex::new(PoolState {
    free: Vec::new(),
    pooled_bytes: 0,
});

fn lock() -> std::sync::MutexGuard<'static, PoolState> {
    // A panic while holding the lock leaves the lists consistent (each push/pop is atomic
    // with respect to the invariant), so a poisoned lock is still usable.
    POOL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The class index and its size in bytes for a request of `bytes`.
fn class_of(bytes: usize) -> Option<(usize, usize)> {
    let bytes = bytes.max(ALIGN);
    // Smallest power of two p with p >= bytes/2..: find k with 2^k <= bytes <= 2^(k+1), then
    // the quarter step above bytes.
    let k = usize::BITS - 1 - bytes.leading_zeros(); // 2^k <= bytes
    let base = 1usize << k;
    let step = (base / 4).max(1);
    let quarters = (bytes - base).div_ceil(step); // 0..=4
    let size = base.checked_add(quarters.checked_mul(step)?)?;
    let index = (k as usize - 6) * 4 + quarters;
    (index < CLASSES).then_some((index, size))
}

fn class_layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size, ALIGN).ok()
}

/// The bytes a buffer of `bytes` bytes would hold (its size class), or `None` if no class
/// fits; lets a caller check a memory limit before the buffer is allocated and filled.
pub fn capacity_for(bytes: usize) -> Option<usize> {
    if bytes == 0 {
        return Some(0);
    }
    class_of(bytes).map(|(_, size)| size)
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for i64 {}
    impl Sealed for u8 {}
}

/// An element type a buffer may be viewed as: plain data valid for every bit pattern, with
/// an alignment that divides [`ALIGN`] (sealed: only these four).
pub trait Elem: sealed::Sealed + Copy + Send + Sync + 'static {}
impl Elem for f32 {}
impl Elem for f64 {}
impl Elem for i64 {}
impl Elem for u8 {}

/// A buffer of `len` initialised bytes, 64-byte aligned, owned uniquely.
pub struct TensorBuf {
    ptr: NonNull<u8>,
    /// Length in bytes.
    len: usize,
    /// The class size in bytes (the allocation's layout size); 0 for an empty buffer, which
    /// owns no allocation.
    cap_bytes: usize,
    class: usize,
}

// SAFETY: a TensorBuf owns its allocation exclusively, like a Vec<u8>.
unsafe impl Send for TensorBuf {}
// SAFETY: as for Vec<u8>: shared references only read the bytes.
unsafe impl Sync for TensorBuf {}

impl TensorBuf {
    /// A buffer of `len` bytes with unspecified (but initialised) contents; `None` if the
    /// size overflows or the system refuses the memory.
    pub fn new(len: usize) -> Option<TensorBuf> {
        if len == 0 {
            return Some(TensorBuf {
                ptr: NonNull::dangling(),
                len: 0,
                cap_bytes: 0,
                class: 0,
            });
        }
        let (class, size) = class_of(len)?;
        let reused = {
            let mut pool = lock();
            let hit = pool.free.get_mut(class).and_then(|l| l.pop());
            if hit.is_some() {
                pool.pooled_bytes -= size;
            }
            hit
        };
        let raw = match reused {
            Some(p) => p,
            None => {
                let layout = class_layout(size)?;
                // SAFETY: `layout` has a non-zero size (at least ALIGN bytes).
                NonNull::new(crate::sysalloc::fallible(|| unsafe {
                    alloc_zeroed(layout)
                }))?
            }
        };
        Some(TensorBuf {
            ptr: raw,
            len,
            cap_bytes: size,
            class,
        })
    }

    /// A buffer of `len` elements of `T`, with unspecified (initialised) contents.
    pub fn of<T: Elem>(len: usize) -> Option<TensorBuf> {
        TensorBuf::new(len.checked_mul(std::mem::size_of::<T>())?)
    }

    /// A buffer of `len` copies of `value`.
    pub fn filled<T: Elem>(len: usize, value: T) -> Option<TensorBuf> {
        let mut b = TensorBuf::of::<T>(len)?;
        b.as_mut_slice::<T>().fill(value);
        Some(b)
    }

    pub fn from_slice<T: Elem>(values: &[T]) -> Option<TensorBuf> {
        let mut b = TensorBuf::of::<T>(values.len())?;
        b.as_mut_slice::<T>().copy_from_slice(values);
        Some(b)
    }

    /// Length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes this buffer holds (its size class), as charged to the `tensor` zone.
    #[inline]
    pub fn capacity_bytes(&self) -> usize {
        self.cap_bytes
    }

    /// The buffer as `T`s (whole elements only: trailing bytes of a partial one are left
    /// out).
    #[inline]
    pub fn as_slice<T: Elem>(&self) -> &[T] {
        let n = self.len / std::mem::size_of::<T>();
        // SAFETY: `ptr` points to at least `len` initialised bytes (module doc) and is
        // 64-byte aligned, which satisfies every `Elem`'s alignment (or is dangling with
        // len 0: NonNull::dangling of u8 is not aligned for T, so an empty slice is made
        // from T's own dangling pointer); every bit pattern is a valid `Elem`.
        unsafe {
            if n == 0 {
                return std::slice::from_raw_parts(NonNull::<T>::dangling().as_ptr(), 0);
            }
            std::slice::from_raw_parts(self.ptr.as_ptr() as *const T, n)
        }
    }

    #[inline]
    pub fn as_mut_slice<T: Elem>(&mut self) -> &mut [T] {
        let n = self.len / std::mem::size_of::<T>();
        // SAFETY: as in `as_slice`, and `&mut self` makes the borrow unique.
        unsafe {
            if n == 0 {
                return std::slice::from_raw_parts_mut(NonNull::<T>::dangling().as_ptr(), 0);
            }
            std::slice::from_raw_parts_mut(self.ptr.as_ptr() as *mut T, n)
        }
    }

    /// Whether the buffer's address is 64-byte aligned (always true; for tests).
    pub fn is_aligned(&self) -> bool {
        self.cap_bytes == 0 || (self.ptr.as_ptr() as usize).is_multiple_of(ALIGN)
    }
}

impl Drop for TensorBuf {
    fn drop(&mut self) {
        if self.cap_bytes == 0 {
            return;
        }
        let ptr: NonNull<u8> = self.ptr;
        {
            let mut pool = lock();
            if pool.pooled_bytes + self.cap_bytes <= MAX_POOLED_BYTES {
                if pool.free.len() < CLASSES {
                    pool.free.resize_with(CLASSES, Vec::new);
                }
                pool.free[self.class].push(ptr);
                pool.pooled_bytes += self.cap_bytes;
                return;
            }
        }
        if let Some(layout) = class_layout(self.cap_bytes) {
            // SAFETY: allocated with exactly this layout (class size, ALIGN) and owned by us.
            unsafe { dealloc(ptr.as_ptr(), layout) };
        }
    }
}

/// Bytes held by free buffers waiting for reuse (shown by `Memory.profile()`).
pub fn pooled_bytes() -> u64 {
    lock().pooled_bytes as u64
}

/// Returns every pooled buffer to the system.
pub fn trim() {
    let mut pool = lock();
    let lists = std::mem::take(&mut pool.free);
    for (class, list) in lists.into_iter().enumerate() {
        for p in list {
            let size = class_size(class);
            if let Some(layout) = class_layout(size) {
                // SAFETY: P1: every buffer in list `class` has this layout and no owner.
                unsafe { dealloc(p.as_ptr(), layout) };
            }
        }
    }
    pool.pooled_bytes = 0;
}

fn class_size(class: usize) -> usize {
    let k = class / 4 + 6;
    let q = class % 4;
    let base = 1usize << k;
    if q == 0 && class > 0 {
        // Quarter 4 of the previous power equals quarter 0 of this one; class_of never
        // produces q == 0 except for exact powers, handled the same way.
        base
    } else {
        base + q * (base / 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_up_and_match_sizes() {
        for bytes in [1usize, 64, 65, 100, 128, 129, 1000, 4096, 4097, 40_000_000] {
            let (c, size) = class_of(bytes).unwrap();
            assert!(size >= bytes, "{bytes} -> {size}");
            assert!(size <= bytes.max(64) * 5 / 4 + 64, "{bytes} -> {size}");
            assert_eq!(class_size(c), size, "class {c}");
        }
    }

    #[test]
    fn buffers_are_aligned_and_recycled() {
        let a = TensorBuf::filled(1000, 1.5f32).unwrap();
        assert!(a.is_aligned());
        assert!(a.as_slice::<f32>().iter().all(|&x| x == 1.5));
        assert_eq!(a.as_slice::<f64>().len(), 500);
        let addr = a.as_slice::<u8>().as_ptr() as usize;
        drop(a);
        let b = TensorBuf::of::<f32>(1000).unwrap();
        assert!(b.is_aligned());
        // Another test thread may have taken it; if not, it is the same block.
        let _ = addr == b.as_slice::<u8>().as_ptr() as usize;
        assert_eq!(TensorBuf::new(0).unwrap().len(), 0);
        assert!(TensorBuf::new(0).unwrap().as_slice::<f64>().is_empty());
    }
}
