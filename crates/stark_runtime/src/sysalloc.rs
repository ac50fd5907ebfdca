//! When the system refuses memory: exit 3 with a message, never an abort (SPEC §1, M15).
//!
//! Rust's infallible allocations (a `Vec` growing, a `String` being formatted) abort the
//! process when the allocator returns null, and stable Rust offers no hook to change that.
//! So the `stark` binary installs [`ReserveAllocator`] as its global allocator. It keeps an
//! emergency reserve allocated from the start ([`arm_reserve`]); the first time the system
//! refuses a request, it frees the reserve, notes the refusal ([`refused`]) and retries:
//!
//! - The retry succeeds (the request was small): the program goes on just long enough to
//!   reach the heap's next limit check, which sees the refusal and fails with the
//!   out-of-memory runtime error (file:line:col, stack trace, exit 3). Reporting it needs
//!   memory too; what the reserve left free pays for it.
//! - The retry fails and the caller can cope with null (it allocated inside [`fallible`]: a
//!   `try_reserve`, a tensor buffer, a heap block): null is returned and the caller turns it
//!   into the same runtime error.
//! - The retry fails and the caller cannot cope (std would abort): a fixed message goes to
//!   stderr with one raw `write` and the process ends with `_exit(3)`. Not
//!   `std::process::exit`: that runs exit handlers and flushes stdout, which takes locks
//!   another thread (or this one, mid-allocation) may hold and may allocate again.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

/// Address space the reserve holds. The error path needs little (formatting the message,
/// the stack trace, a few `String`s), but under an address-space limit glibc may then have
/// to serve each small block with its own page, so it gets room for thousands.
pub const RESERVE_BYTES: usize = 16 << 20;

static RESERVE: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
/// Bytes of the first request the system refused (0: none yet).
static REFUSED: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// How many [`fallible`] sections this thread is inside. A plain counter without a
    /// destructor, so reading it from inside the allocator never allocates.
    static FALLIBLE: Cell<u32> = const { Cell::new(0) };
}

fn reserve_layout() -> Layout {
    // A constant size and a power-of-two alignment: always a valid layout.
    Layout::from_size_align(RESERVE_BYTES, 4096).expect("reserve layout")
}

/// Allocates the emergency reserve (once; later calls do nothing). Call it first thing in
/// `main`, before the program can use up the address space.
pub fn arm_reserve() {
    if !RESERVE.load(Ordering::Acquire).is_null() {
        return;
    }
    // SAFETY: a non-zero-sized layout. The block is never written: it only holds address
    // space (what an address-space limit counts), so it costs no resident memory.
    let p = unsafe { System.alloc(reserve_layout()) };
    if !p.is_null()
        && RESERVE
            .compare_exchange(std::ptr::null_mut(), p, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
    {
        // SAFETY: allocated just above with this layout and never published.
        unsafe { System.dealloc(p, reserve_layout()) };
    }
}

/// Frees the reserve if it is still held; true if this call freed it.
fn release_reserve() -> bool {
    let p = RESERVE.swap(std::ptr::null_mut(), Ordering::AcqRel);
    if p.is_null() {
        return false;
    }
    // SAFETY: `p` came from `arm_reserve` with `reserve_layout()`; the swap made this the
    // only call that sees it.
    unsafe { System.dealloc(p, reserve_layout()) };
    true
}

/// Runs `f` with allocation failures reported as null (so `try_reserve` and friends return
/// an error) instead of ending the process. Everything that checks for null runs inside one.
#[inline]
pub fn fallible<R>(f: impl FnOnce() -> R) -> R {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            FALLIBLE.with(|c| c.set(c.get() - 1));
        }
    }
    FALLIBLE.with(|c| c.set(c.get() + 1));
    let _leave = Leave;
    f()
}

fn in_fallible() -> bool {
    FALLIBLE.try_with(|c| c.get() > 0).unwrap_or(false)
}

/// The size of the first allocation the system refused, if one was: the program has to
/// end with the out-of-memory error (the heap's limit check reports it).
#[inline]
pub fn refused() -> Option<u64> {
    match REFUSED.load(Ordering::Relaxed) {
        0 => None,
        n => Some(n),
    }
}

/// Forgets a refusal once what the failed run held is freed, and takes the reserve again:
/// `stark test` runs the next test on a fresh heap, which must not inherit the failure of
/// the one that ran out of memory.
pub fn recover() {
    REFUSED.store(0, Ordering::Relaxed);
    arm_reserve();
}

/// The global allocator of the `stark` binary: the system's, plus the reserve.
pub struct ReserveAllocator;

impl ReserveAllocator {
    #[cold]
    #[inline(never)]
    fn refused(&self, size: usize, retry: impl FnOnce() -> *mut u8) -> *mut u8 {
        let _ = REFUSED.compare_exchange(
            0,
            (size as u64).max(1),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        if release_reserve() {
            let p = retry();
            if !p.is_null() {
                return p;
            }
        }
        if in_fallible() {
            return std::ptr::null_mut();
        }
        die()
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged (a retry
// repeats the same call after the first returned null, which left any old block untouched),
// so `System`'s guarantees hold for every pointer handed out.
unsafe impl GlobalAlloc for ReserveAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`, passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            return p;
        }
        // SAFETY: as above.
        self.refused(layout.size(), || unsafe { System.alloc(layout) })
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc_zeroed`, passed on.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            return p;
        }
        // SAFETY: as above.
        self.refused(layout.size(), || unsafe { System.alloc_zeroed(layout) })
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc`, passed on.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            return p;
        }
        // SAFETY: a failed `realloc` leaves `ptr` allocated and unchanged, so the same call
        // is still valid.
        self.refused(new_size, || unsafe {
            System.realloc(ptr, layout, new_size)
        })
    }
}

const DIE_MESSAGE: &[u8] =
    b"error: out of memory: the system refused an allocation and no memory was left to report where\n";

/// Ends the process with exit status 3 without allocating, locking or unwinding.
#[cold]
fn die() -> ! {
    #[cfg(unix)]
    {
        extern "C" {
            fn write(fd: i32, buf: *const u8, count: usize) -> isize;
            fn _exit(status: i32) -> !;
        }
        // SAFETY: `write` reads `DIE_MESSAGE.len()` bytes of a static buffer; `_exit` ends
        // the process at once (both async-signal-safe: no locks, no allocation).
        unsafe {
            let _ = write(2, DIE_MESSAGE.as_ptr(), DIE_MESSAGE.len());
            _exit(3)
        }
    }
    #[cfg(not(unix))]
    {
        use std::io::Write as _;
        let _ = std::io::stderr().write_all(DIE_MESSAGE);
        std::process::exit(3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallible_sections_nest_and_unwind() {
        assert!(!in_fallible());
        fallible(|| {
            assert!(in_fallible());
            fallible(|| assert!(in_fallible()));
            assert!(in_fallible());
        });
        assert!(!in_fallible());
        let r = std::panic::catch_unwind(|| fallible(|| panic!("inside")));
        assert!(r.is_err());
        assert!(!in_fallible());
    }
}
