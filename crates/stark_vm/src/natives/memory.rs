//! The memory model's built-ins: copy, refcount, weak references, profile, usage by type,
//! GC settings and tracing (M5, M6, M7, M13).

use super::operands::{arg, obj_arg, opt_str_arg, NativeCx};
use crate::copy;
use crate::error::{fail, Fallible};
use stark_bytecode::instr::builtin_types;
use stark_runtime::{MapBody, MapKey, ObjKind, Value, Zone};

pub(crate) fn deep_copy(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    Ok(copy::deep_copy(cx.heap, arg(a, 0))?)
}

/// The strong count of an object (0 for a scalar, which the checker rejects anyway).
pub(crate) fn refcount(a: &[Value]) -> Fallible<Value> {
    Ok(Value::Int(match arg(a, 0) {
        Value::Obj(o) => o.strong_count() as i64,
        _ => 0,
    }))
}

pub(crate) fn weak_new(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    match arg(a, 0) {
        Value::Obj(o) => Ok(Value::Obj(cx.heap.alloc_weak(o)?)),
        _ => fail("WeakRef needs a heap object"),
    }
}

pub(crate) fn weak_get(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let w = obj_arg(a, 0, ObjKind::Weak)?;
    Ok(cx.heap.weak_get(w))
}

pub(crate) fn weak_exists(a: &[Value]) -> Fallible<Value> {
    let w = obj_arg(a, 0, ObjKind::Weak)?;
    Ok(Value::Bool(w.weak_target().is_alive()))
}

/// `Memory.profile()`. The counters are read before the result objects are allocated, so
/// the profile does not count itself.
pub(crate) fn profile(cx: &mut NativeCx<'_>) -> Fallible<Value> {
    let snap = cx.heap.profile();
    let zones = cx.heap.alloc_map(MapBody::default())?;
    // Owned by `zones` from here on; building fails only on out-of-memory, which ends the run.
    for z in &snap.zones {
        let stats = cx.heap.alloc_struct(
            builtin_types::ZONE_STATS,
            &[
                Value::Int(z.live_bytes),
                Value::Int(z.live_objects),
                Value::Int(z.allocations),
                Value::Int(z.deallocations),
                Value::Int(z.peak_bytes),
                Value::Float(z.alloc_rate),
                Value::Float(z.dealloc_rate),
            ],
        )?;
        cx.heap.map_insert(
            zones,
            MapKey::Str(z.name.as_str().into()),
            Value::Obj(stats),
        )?;
    }
    let stats = cx.heap.alloc_struct(
        builtin_types::MEMORY_STATS,
        &[
            Value::Int(snap.total_bytes),
            Value::Int(snap.live_objects),
            Value::Int(snap.peak_bytes),
            Value::Obj(zones),
            Value::Int(snap.arena_bytes),
            Value::Int(snap.collections),
            Value::Int(snap.cycles_collected),
            Value::Int(snap.gc_pause_max_us),
            Value::Int(snap.gc_pause_p99_us),
            Value::Int(snap.tensor_pool_bytes),
        ],
    )?;
    Ok(Value::Obj(stats))
}

/// `Memory.usage_by_type()`: type name → `TypeUsage{count, bytes}`, snapshot first.
pub(crate) fn usage_by_type(cx: &mut NativeCx<'_>) -> Fallible<Value> {
    let usage = cx.heap.usage_by_type();
    let map = cx.heap.alloc_map(MapBody::default())?;
    for (name, count, bytes) in usage {
        let entry = cx.heap.alloc_struct(
            builtin_types::TYPE_USAGE,
            &[Value::Int(count), Value::Int(bytes)],
        )?;
        cx.heap
            .map_insert(map, MapKey::Str(name.into()), Value::Obj(entry))?;
    }
    Ok(Value::Obj(map))
}

/// `GC.config(threshold_bytes?, cycle_interval_ms?, background?)`: `None` keeps a setting.
pub(crate) fn gc_config(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    match arg(a, 0) {
        Value::Int(n) if n < 0 => return fail("GC.config: threshold_bytes must not be negative"),
        Value::Int(n) => cx.heap.gc.threshold_bytes = n as u64,
        _ => {}
    }
    match arg(a, 1) {
        Value::Int(n) if n < 0 => return fail("GC.config: cycle_interval_ms must not be negative"),
        Value::Int(n) => cx.heap.gc.cycle_interval_ms = n as u64,
        _ => {}
    }
    if let Value::Bool(b) = arg(a, 2) {
        cx.heap.gc.background = b;
    }
    Ok(Value::None)
}

/// `Memory.trace(zone?, enabled)`.
pub(crate) fn trace(cx: &mut NativeCx<'_>, a: &[Value]) -> Fallible<Value> {
    let zone = match opt_str_arg(a, 0)? {
        None => None,
        Some(name) => match Zone::from_name(name.as_str()) {
            Some(z) => Some(z),
            None => {
                return fail(format!(
                    "unknown memory zone \"{}\" (zones: global, actor, tensor, io)",
                    name.as_str()
                ))
            }
        },
    };
    let enabled = !matches!(arg(a, 1), Value::Bool(false));
    cx.heap.set_trace(zone, enabled);
    Ok(Value::None)
}
