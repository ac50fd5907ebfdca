//! STARK's memory runtime: values, the reference-counted heap with deterministic release
//! (M3), weak references (M6), zones and their counters (M8, M13), the allocation metadata
//! table (M14), memory limits (M15) and synchronous cycle collection (M7).
//!
//! The heap's invariants (I1–I7) are written at the top of `heap/mod.rs`.

// Every `unsafe` block names the invariant it relies on (`// SAFETY:`).
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod actor;
pub mod arena;
mod check;
pub mod collector;
pub mod column;
pub mod containers;
pub mod cycle;
pub mod data;
pub mod header;
pub mod heap;
pub mod metadata;
pub mod object;
mod pool;
pub mod profile;
mod slab;
pub mod sysalloc;
pub mod tensor;
pub mod tensor_pool;
pub mod tensor_simd;
pub mod timeline;
pub mod trace;
pub mod value;
pub mod zone;

pub use actor::{SharedCounters, TaskBody};
pub use column::{ColType, ColumnBody};
pub use cycle::trace as trace_children;
pub use data::{DatasetBody, StreamBody, StreamMode, TensorBody, TensorStore};
pub use header::{ObjKind, OwnerKind};
pub use heap::{push_str_short, BufferCharge, GcState, Growable, Heap, OutOfMemory};
pub use metadata::{MetaEntry, MetaTable};
pub use object::MapBody;
pub use profile::{ProfileSnapshot, ZoneSnapshot};
pub use trace::{TraceEvent, TraceKind, TraceSink};
pub use value::{MapKey, MapKeyRef, ObjRef, Value};
pub use zone::{Zone, ZoneCounters};

#[cfg(test)]
mod tests;
