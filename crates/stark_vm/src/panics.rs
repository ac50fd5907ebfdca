//! Panics the VM expects and turns into runtime errors (the Parquet reader panics on some
//! corrupt files): while `quiet` runs a closure, the panic hook prints nothing for that
//! thread, so the user sees the runtime error alone. Other panics print as before.

use std::cell::Cell;
use std::sync::Once;

thread_local! {
    static QUIET: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f` with this thread's panic messages silenced (`f` catches its own panics).
pub(crate) fn quiet<R>(f: impl FnOnce() -> R) -> R {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(|q| q.get()) == 0 {
                previous(info)
            }
        }));
    });
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            QUIET.with(|q| q.set(q.get() - 1));
        }
    }
    QUIET.with(|q| q.set(q.get() + 1));
    let _leave = Leave;
    f()
}
