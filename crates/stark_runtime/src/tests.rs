//! Heap unit tests: counts, release order, weak references, deep structures, zone counters,
//! memory limits and cycle collection.

use crate::*;

fn drain(heap: &mut Heap) {
    // SAFETY: the tests give up only references they own (`give_up`) and keep no view of an
    // object after its last reference is gone.
    unsafe { heap.drain_pending() };
}

/// Gives up a reference the test owns: an allocation's or an `incref`'s, each once.
fn give_up(heap: &mut Heap, v: Value) {
    // SAFETY: every test passes a reference it owns (see above).
    unsafe { heap.decref(v) };
}

#[test]
fn value_is_16_bytes() {
    assert_eq!(std::mem::size_of::<Value>(), 16);
    assert_eq!(std::mem::size_of::<header::Header>(), 16);
    // `Value::copy_words` relies on the payload being the second word.
    // SAFETY: an `Int` has no padding: both words are initialised.
    let words: [u64; 2] = unsafe { std::mem::transmute(Value::Int(-7)) };
    assert_eq!(words[1], -7i64 as u64);
    let mut copy = Value::None;
    // SAFETY: both are live locals.
    unsafe { Value::copy_words(&mut copy, &Value::Float(2.5)) };
    assert!(matches!(copy, Value::Float(f) if f == 2.5));
}

#[test]
fn alloc_and_free_string_updates_counters() {
    let mut heap = Heap::new(None);
    let s = heap.alloc_str("hello").unwrap();
    assert_eq!(s.as_str(), "hello");
    assert_eq!(s.strong_count(), 1);
    assert_eq!(heap.live_objects(), 1);
    let c = heap.zone_counters(Zone::Global);
    assert_eq!(c.allocations, 1);
    assert!(c.live_bytes >= 5);
    heap.incref(Value::Obj(s));
    assert_eq!(s.strong_count(), 2);
    give_up(&mut heap, Value::Obj(s));
    assert!(!heap.has_pending());
    give_up(&mut heap, Value::Obj(s));
    assert!(heap.has_pending());
    drain(&mut heap);
    let c = heap.zone_counters(Zone::Global);
    assert_eq!(heap.live_objects(), 0);
    assert_eq!(c.live_bytes, 0);
    assert_eq!(c.deallocations, 1);
    assert!(c.peak_bytes >= 5);
    assert_eq!(heap.live_bytes(), 0);
}

#[test]
fn struct_fields_are_released_with_it() {
    let mut heap = Heap::new(None);
    let a = heap.alloc_str("a").unwrap();
    let l = heap.alloc_list(vec![Value::Int(1), Value::Int(2)]).unwrap();
    let s = heap
        .alloc_struct(7, &[Value::Obj(a), Value::Int(3), Value::Obj(l)])
        .unwrap();
    assert_eq!(s.field_count(), 3);
    assert_eq!(s.type_id(), 7);
    assert!(matches!(s.field(1), Value::Int(3)));
    assert_eq!(heap.live_objects(), 3);
    give_up(&mut heap, Value::Obj(s));
    drain(&mut heap);
    assert_eq!(heap.live_objects(), 0);
}

#[test]
fn children_pop_in_field_order() {
    let mut heap = Heap::new(None);
    // Lists, not strings: a string child whose last reference goes is freed at once.
    let a = heap.alloc_list(vec![Value::Int(1)]).unwrap();
    let b = heap.alloc_list(vec![Value::Int(2)]).unwrap();
    let s = heap
        .alloc_struct(0, &[Value::Obj(a), Value::Obj(b)])
        .unwrap();
    give_up(&mut heap, Value::Obj(s));
    let top = heap.pop_pending().unwrap();
    assert_eq!(top, s);
    // SAFETY: popped from the pending stack just above.
    unsafe { heap.release(top) };
    let first = heap.pop_pending().unwrap();
    assert!(matches!(first.list()[0], Value::Int(1)));
    // SAFETY: popped from the pending stack just above.
    unsafe { heap.release(first) };
    let second = heap.pop_pending().unwrap();
    assert!(matches!(second.list()[0], Value::Int(2)));
    // SAFETY: popped from the pending stack just above.
    unsafe { heap.release(second) };
    assert_eq!(heap.live_objects(), 0);
}

#[test]
fn string_children_are_freed_with_their_owner() {
    let mut heap = Heap::new(None);
    let a = heap.alloc_str("first").unwrap();
    let b = heap.alloc_str("second").unwrap();
    let shared = heap.alloc_str("shared").unwrap();
    heap.incref(Value::Obj(shared));
    let s = heap
        .alloc_struct(0, &[Value::Obj(a), Value::Obj(b), Value::Obj(shared)])
        .unwrap();
    // SAFETY: the struct's only reference, given up once.
    unsafe { heap.decref_obj(s) };
    let top = heap.pop_pending().unwrap();
    // SAFETY: popped from the pending stack just above.
    unsafe { heap.release(top) };
    // The two strings it alone held went with it; the shared one lives on, unqueued.
    assert!(heap.pop_pending().is_none());
    assert_eq!(heap.live_objects(), 1);
    assert_eq!(shared.as_str(), "shared");
    // SAFETY: the last reference to `shared`, given up once; nothing reads it afterwards.
    assert!(unsafe { heap.try_free_str(shared) });
    assert_eq!(heap.live_objects(), 0);
}

#[test]
fn million_node_list_frees_without_recursion() {
    let mut heap = Heap::new(None);
    let mut head = Value::None;
    for i in 0..1_000_000 {
        let node = heap.alloc_struct(0, &[Value::Int(i), head]).unwrap();
        head = Value::Obj(node);
    }
    assert_eq!(heap.live_objects(), 1_000_000);
    give_up(&mut heap, head);
    drain(&mut heap);
    assert_eq!(heap.live_objects(), 0);
    assert_eq!(heap.live_bytes(), 0);
}

#[test]
fn weak_ref_dies_with_target_and_keeps_header() {
    let mut heap = Heap::new(None);
    let t = heap.alloc_str("target").unwrap();
    let w = heap.alloc_weak(t).unwrap();
    assert_eq!(t.strong_count(), 1);
    assert_eq!(t.weak_count(), 1);
    assert!(heap.weak_exists(w));
    let got = heap.weak_get(w);
    assert!(matches!(got, Value::Obj(o) if o == t));
    assert_eq!(t.strong_count(), 2);
    give_up(&mut heap, got);
    give_up(&mut heap, Value::Obj(t));
    drain(&mut heap);
    // The target is freed (counted as such); its header stays for the weak ref.
    assert_eq!(heap.live_objects(), 1);
    assert!(!heap.weak_exists(w));
    assert!(heap.weak_get(w).is_none());
    give_up(&mut heap, Value::Obj(w));
    drain(&mut heap);
    assert_eq!(heap.live_objects(), 0);
}

#[test]
fn weak_ref_released_before_target() {
    let mut heap = Heap::new(None);
    let t = heap.alloc_list(vec![]).unwrap();
    let w = heap.alloc_weak(t).unwrap();
    give_up(&mut heap, Value::Obj(w));
    drain(&mut heap);
    assert_eq!(t.weak_count(), 0);
    assert_eq!(heap.live_objects(), 1);
    give_up(&mut heap, Value::Obj(t));
    drain(&mut heap);
    assert_eq!(heap.live_objects(), 0);
}

#[test]
fn list_growth_is_charged_and_limit_enforced() {
    let mut heap = Heap::new(Some(4096));
    let l = heap.alloc_list(Vec::new()).unwrap();
    let before = heap.live_bytes();
    heap.list_push(l, Value::Int(1)).unwrap();
    assert!(heap.live_bytes() > before);
    let mut result = Ok(());
    for i in 0..10_000 {
        result = heap.list_push(l, Value::Int(i));
        if result.is_err() {
            break;
        }
    }
    let err = result.unwrap_err();
    assert_eq!(err.limit, Some(4096));
    assert!(heap.live_bytes() <= 4096);
    assert!(heap.alloc_str("x".repeat(5000)).is_err());
    give_up(&mut heap, Value::Obj(l));
    drain(&mut heap);
    assert_eq!(heap.live_bytes(), 0);
}

#[test]
fn map_insert_replace_remove_clear() {
    let mut heap = Heap::new(None);
    let m = heap.alloc_map(MapBody::default()).unwrap();
    let v1 = heap.alloc_str("v1").unwrap();
    assert!(heap
        .map_insert(m, MapKey::Str("k".into()), Value::Obj(v1))
        .unwrap()
        .is_none());
    assert!(heap
        .map_insert(m, MapKey::Int(2), Value::Int(5))
        .unwrap()
        .is_none());
    let old = heap.map_insert(m, MapKey::Int(2), Value::Int(6)).unwrap();
    assert!(matches!(old, Some(Value::Int(5))));
    assert_eq!(m.map().len(), 2);
    let removed = heap.map_remove(m, MapKeyRef::Str("k")).unwrap();
    give_up(&mut heap, removed);
    drain(&mut heap);
    assert_eq!(heap.live_objects(), 1);
    heap.map_clear(m);
    assert_eq!(m.map().len(), 0);
    give_up(&mut heap, Value::Obj(m));
    drain(&mut heap);
    assert_eq!(heap.live_objects(), 0);
    assert_eq!(heap.live_bytes(), 0);
}

#[test]
fn metadata_and_usage_by_type() {
    let mut heap = Heap::new(None);
    heap.set_type_names(vec!["Node".into()]);
    let a = heap.alloc_struct(0, &[Value::None]).unwrap();
    let b = heap.alloc_struct(0, &[Value::None]).unwrap();
    let s = heap.alloc_str("abc").unwrap();
    let usage = heap.usage_by_type();
    assert_eq!(usage[0].0, "Node");
    assert_eq!(usage[0].1, 2);
    assert_eq!(usage[1].0, "String");
    let live = heap.live_entries();
    assert_eq!(live.iter().filter(|e| e.zone == Zone::Global).count(), 3);
    assert_eq!(live.iter().filter(|e| e.zone == Zone::Tensor).count(), 0);
    // Structs and short strings have no row: their headers are their rows (I6); a long
    // string has one.
    assert_eq!(heap.metadata().live().count(), 0);
    let long = heap.alloc_str("x".repeat(200)).unwrap();
    assert_eq!(heap.metadata().live().count(), 1);
    assert_eq!(heap.live_entries().len(), 4);
    heap.check_heap().unwrap();
    give_up(&mut heap, Value::Obj(long));
    for o in [a, b, s] {
        give_up(&mut heap, Value::Obj(o));
    }
    drain(&mut heap);
    assert!(heap.live_entries().is_empty());
}

#[test]
fn profile_snapshot_and_render() {
    let mut heap = Heap::new(None);
    let s = heap.alloc_str("abc").unwrap();
    let p = heap.profile();
    assert_eq!(p.live_objects, 1);
    assert_eq!(p.zones.len(), 4);
    assert_eq!(p.zones[0].name, "global");
    assert_eq!(p.zones[0].allocations, 1);
    let text = p.render();
    assert!(text.contains("live_objects"));
    assert!(text.contains("tensor"));
    give_up(&mut heap, Value::Obj(s));
    drain(&mut heap);
}

#[test]
fn cycle_collection_frees_unreachable_cycles_only() {
    let mut heap = Heap::new(None);
    // a <-> b cycle, unreachable after the registers drop it.
    let a = heap.alloc_struct(0, &[Value::None]).unwrap();
    let b = heap.alloc_struct(0, &[Value::Obj(a)]).unwrap();
    heap.incref_obj_for_test(b);
    // SAFETY: `a` is the test's own struct and nothing else borrows its fields.
    unsafe { a.fields_mut()[0] = Value::Obj(b) };
    // c is held by a "register" and points into another cycle d <-> e.
    let d = heap.alloc_struct(0, &[Value::None]).unwrap();
    let e = heap.alloc_struct(0, &[Value::Obj(d)]).unwrap();
    heap.incref_obj_for_test(e);
    // SAFETY: as for `a`.
    unsafe { d.fields_mut()[0] = Value::Obj(e) };
    heap.incref_obj_for_test(d);
    let c = heap.alloc_struct(0, &[Value::Obj(d)]).unwrap();
    give_up(&mut heap, Value::Obj(b)); // the register that held b (a is held by b only)
    give_up(&mut heap, Value::Obj(e));
    drain(&mut heap);
    assert_eq!(heap.live_objects(), 5);
    let garbage = heap.find_cycle_garbage(None);
    assert_eq!(garbage.len(), 2);
    // SAFETY: `garbage` is what `find_cycle_garbage` just returned, with its holds.
    let freed = unsafe { heap.free_cycle_garbage(garbage) };
    assert_eq!(freed, 2);
    drain(&mut heap);
    assert_eq!(heap.live_objects(), 3);
    give_up(&mut heap, Value::Obj(c));
    drain(&mut heap);
    // d <-> e is garbage now.
    assert_eq!(heap.live_objects(), 2);
    let garbage = heap.find_cycle_garbage(Some(Zone::Global));
    // SAFETY: as above.
    assert_eq!(unsafe { heap.free_cycle_garbage(garbage) }, 2);
    assert_eq!(heap.live_objects(), 0);
    assert_eq!(heap.live_bytes(), 0);
}

#[test]
fn cycle_with_outside_child_releases_it() {
    let mut heap = Heap::new(None);
    let s = heap.alloc_str("outside").unwrap();
    let a = heap.alloc_list(vec![Value::Obj(s)]).unwrap();
    heap.incref_obj_for_test(a);
    heap.list_push(a, Value::Obj(a)).unwrap(); // a list containing itself
    give_up(&mut heap, Value::Obj(a)); // the owning register goes away
    drain(&mut heap);
    assert_eq!(heap.live_objects(), 2);
    let garbage = heap.find_cycle_garbage(None);
    // SAFETY: what `find_cycle_garbage` just returned, with its holds.
    assert_eq!(unsafe { heap.free_cycle_garbage(garbage) }, 1);
    drain(&mut heap);
    assert_eq!(heap.live_objects(), 0);
}

#[test]
fn heap_drop_frees_leftovers() {
    let mut heap = Heap::new(None);
    let t = heap.alloc_str("t").unwrap();
    let _w = heap.alloc_weak(t).unwrap();
    let _l = heap.alloc_list(vec![Value::Obj(t)]).unwrap();
    drop(heap); // must not crash or double free (run under Miri to check leaks)
}

#[test]
fn trace_sink_receives_events() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let events: Rc<RefCell<Vec<String>>> = Default::default();
    let sink = events.clone();
    let mut heap = Heap::new(None);
    heap.set_trace_sink(Box::new(move |e| sink.borrow_mut().push(e.line())));
    heap.set_trace(Some(Zone::Global), true);
    let s = heap.alloc_str("abc").unwrap();
    give_up(&mut heap, Value::Obj(s));
    drain(&mut heap);
    heap.set_trace(None, false);
    let s = heap.alloc_str("untraced").unwrap();
    give_up(&mut heap, Value::Obj(s));
    drain(&mut heap);
    let events = events.borrow();
    assert_eq!(events.len(), 2);
    assert!(
        events[0].starts_with("trace: alloc String "),
        "{}",
        events[0]
    );
    assert!(events[0].ends_with("bytes zone=global"));
    assert!(events[1].starts_with("trace: free String "));
}

#[test]
fn local_structs_skip_accounting_but_release_children() {
    let mut heap = Heap::new(None);
    let s = heap.alloc_str("child").unwrap();
    let p = heap
        .alloc_struct_local(0, &[Value::Obj(s), Value::Int(1)], false)
        .unwrap();
    assert_eq!(heap.live_objects(), 1);
    assert_eq!(heap.local_objects(), 1);
    // Only the string is a heap allocation to the program.
    assert_eq!(heap.live_entries().len(), 1);
    give_up(&mut heap, Value::Obj(p));
    drain(&mut heap);
    assert_eq!(heap.local_objects(), 0);
    assert_eq!(heap.live_objects(), 0);
}

#[test]
fn buffer_charge_is_checked_counted_and_refunded() {
    // A reader's buffer: charged to the io zone as it grows, refused past --max-memory
    // before the memory is taken, and gone from the counters once refunded.
    let mut heap = Heap::new(Some(10_000));
    let mut charge = BufferCharge::new(Zone::Io);
    let mut buf: Vec<u8> = Vec::new();
    charge.grow(&mut heap, &mut buf, 3_000).unwrap();
    buf.resize(3_000, 1);
    assert!(buf.capacity() >= 3_000);
    assert_eq!(
        heap.zone_counters(Zone::Io).live_bytes,
        buf.capacity() as u64
    );
    assert_eq!(heap.live_bytes(), buf.capacity() as u64);
    // 10,500 bytes would pass the limit: refused, and nothing more was reserved.
    let before = buf.capacity();
    let err = charge.grow(&mut heap, &mut buf, 7_500).unwrap_err();
    assert_eq!(err.limit, Some(10_000));
    assert_eq!(buf.capacity(), before);
    assert_eq!(charge.bytes(), before as u64);
    charge.refund_all(&mut heap);
    assert_eq!(heap.zone_counters(Zone::Io).live_bytes, 0);
    assert_eq!(heap.live_bytes(), 0);
    assert!(heap.peak_bytes() >= 3_000);
}

#[test]
fn heap_checker_accepts_a_sound_heap_and_names_what_is_broken() {
    let mut heap = Heap::new(None);
    // The list takes over the string's one reference; the test keeps its own to the list.
    let s = heap.alloc_str("shared").unwrap();
    let list = heap.alloc_list(vec![Value::Obj(s), Value::Int(1)]).unwrap();
    let w = heap.alloc_weak(list).unwrap();
    assert_eq!(heap.check_heap(), Ok(()));

    // A reference stored without its count: the string is held twice, counted once.
    heap.list_push(list, Value::Obj(s)).unwrap();
    let err = heap.check_heap().unwrap_err();
    assert!(err.contains("strong count of 1 but 2 references"), "{err}");
    heap.incref(Value::Obj(s));
    assert_eq!(heap.check_heap(), Ok(()));

    // A weak count that disagrees with the weak references.
    let h = list.header();
    h.weak.set(2);
    assert!(heap
        .check_heap()
        .unwrap_err()
        .contains("weak count of 2 but 1"));
    h.weak.set(1);

    // A zone counter that disagrees with its allocations.
    heap.zones[Zone::Global.index()].live_bytes += 8;
    assert!(heap.check_heap().unwrap_err().contains("zone global"));
    heap.zones[Zone::Global.index()].live_bytes -= 8;
    assert_eq!(heap.check_heap(), Ok(()));

    give_up(&mut heap, Value::Obj(w));
    give_up(&mut heap, Value::Obj(list));
    drain(&mut heap);
    assert_eq!(heap.live_objects(), 0);
    assert_eq!(heap.check_heap(), Ok(()));
}

/// `s + s` written into `s` would read its own text while growing it: declined.
#[test]
fn a_string_is_not_extended_with_its_own_text() {
    let mut heap = Heap::new(None);
    let s = heap.alloc_str("ab").unwrap();
    assert_eq!(
        heap.str_extend_unique(s, &s.as_str()[1..], false),
        Ok(false)
    );
    assert_eq!(s.as_str(), "ab");
    assert_eq!(heap.str_extend_unique(s, "cd", false), Ok(true));
    assert_eq!(s.as_str(), "abcd");
    give_up(&mut heap, Value::Obj(s));
    drain(&mut heap);
    assert_eq!(heap.live_objects(), 0);
}

/// A string written from parts is charged as any string of its text, knows whether it is
/// ASCII, and lies in its own block when short (boxed when long), and parts that do not add
/// up to the length announced are refused.
#[test]
fn strings_are_built_from_parts() {
    let mut heap = Heap::new(None);
    let short = heap
        .alloc_str_parts(7, true, ["ab", "-", "cd", "-", "e"].into_iter())
        .unwrap();
    assert_eq!(short.as_str(), "ab-cd-e");
    assert!(short.str_is_ascii());
    let long_text = "é".repeat(100);
    let long = heap
        .alloc_str_parts(
            long_text.len() + 1,
            false,
            [long_text.as_str(), "x"].into_iter(),
        )
        .unwrap();
    assert_eq!(long.as_str().len(), 201);
    assert!(!long.str_is_ascii());
    let plain = heap.alloc_str("ab-cd-e").unwrap();
    let bytes: u64 = heap.live_entries().iter().map(|e| e.bytes).sum();
    assert_eq!(bytes, 2 * (32 + 7) + 32 + 201);
    assert_eq!(heap.check_heap(), Ok(()));
    let lying = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        heap.alloc_str_parts(3, true, ["abcd"].into_iter())
    }));
    assert!(lying.is_err());
    for s in [short, long, plain] {
        give_up(&mut heap, Value::Obj(s));
    }
    drain(&mut heap);
    assert_eq!(heap.live_objects(), 0);
    assert_eq!(heap.check_heap(), Ok(()));
}

/// Short strings come from chunks carved block by block (P2): many more than a chunk holds
/// stay distinct and intact, and their blocks are reused once freed.
#[test]
fn short_strings_fill_and_reuse_pool_chunks() {
    let mut heap = Heap::new(None);
    let texts: Vec<String> = (0..5000).map(|i| format!("word number {i:05}")).collect();
    let strings: Vec<ObjRef> = texts
        .iter()
        .map(|t| heap.alloc_str(t.as_str()).unwrap())
        .collect();
    for (s, t) in strings.iter().zip(&texts) {
        assert_eq!(s.as_str(), t);
    }
    let mut addrs: Vec<usize> = strings.iter().map(|s| s.addr()).collect();
    addrs.sort_unstable();
    addrs.dedup();
    assert_eq!(addrs.len(), strings.len());
    assert_eq!(heap.check_heap(), Ok(()));
    for s in &strings {
        give_up(&mut heap, Value::Obj(*s));
    }
    drain(&mut heap);
    let again = heap.alloc_str("word number 99999").unwrap();
    assert!(addrs.binary_search(&again.addr()).is_ok());
    give_up(&mut heap, Value::Obj(again));
    drain(&mut heap);
    assert_eq!(heap.live_objects(), 0);
}

/// A view holds its base (SPEC §8): the base outlives its own reference, the buffer is
/// charged once (to the base), and the heap checker counts the view's edge.
#[test]
fn tensor_view_keeps_base_alive_and_buffer_counted_once() {
    use crate::tensor::DType;
    use crate::tensor_pool::TensorBuf;
    let mut heap = Heap::new(None);
    let buf = TensorBuf::filled(1000, 1.0f32).expect("buffer");
    let base = heap
        .alloc_tensor(TensorBody::owned(DType::F32, vec![1000], buf))
        .expect("base");
    let with_base = heap.live_bytes();
    heap.incref(Value::Obj(base));
    let view = heap
        .alloc_tensor(TensorBody {
            dtype: DType::F32,
            shape: vec![10],
            strides: vec![2],
            offset: 5,
            store: TensorStore::View(base),
        })
        .expect("view");
    assert!(
        heap.live_bytes() - with_base < 200,
        "the view is charged no buffer"
    );
    assert_eq!(view.tensor().buf().len(), base.tensor().buf().len());
    assert_eq!(base.strong_count(), 2);
    heap.check_heap().expect("consistent heap");
    // SAFETY: the test's own references: the allocation's of `base`, then of `view`.
    unsafe {
        heap.decref(Value::Obj(base));
        heap.drain_pending();
    }
    assert_eq!(heap.live_objects(), 2, "the view keeps its base");
    assert_eq!(view.tensor().scalars().len(), 10);
    heap.check_heap().expect("consistent heap");
    // SAFETY: as above; the view's release gives up its reference to the base.
    unsafe {
        heap.decref(Value::Obj(view));
        heap.drain_pending();
    }
    assert_eq!(heap.live_objects(), 0);
}

#[test]
fn short_strings_are_found_by_walking_the_pool() {
    let mut heap = Heap::new(None);
    // Enough strings of several sizes to fill more than one chunk of a class.
    let strs: Vec<ObjRef> = (0..3000)
        .map(|i| {
            heap.alloc_str(format!("héllo {i} {}", "w".repeat(i % 40)))
                .unwrap()
        })
        .collect();
    assert_eq!(heap.live_entries().len(), 3000);
    assert_eq!(heap.metadata().live().count(), 0);
    heap.check_heap().unwrap();
    let s = strs[7];
    // The code point count is cached in the header of a short non-ASCII string.
    assert_eq!(s.str_char_len(), s.as_str().chars().count());
    assert_eq!(s.str_char_len(), s.as_str().chars().count());
    let bytes: u64 = heap.live_entries().iter().map(|e| e.bytes).sum();
    assert_eq!(bytes, heap.live_bytes());
    for (i, &o) in strs.iter().enumerate() {
        if i % 3 == 0 {
            give_up(&mut heap, Value::Obj(o));
        }
    }
    drain(&mut heap);
    assert_eq!(heap.live_entries().len(), 2000);
    heap.check_heap().unwrap();
    let bytes: u64 = heap.live_entries().iter().map(|e| e.bytes).sum();
    assert_eq!(bytes, heap.live_bytes());
    for (i, &o) in strs.iter().enumerate() {
        if i % 3 != 0 {
            give_up(&mut heap, Value::Obj(o));
        }
    }
    drain(&mut heap);
    assert!(heap.live_entries().is_empty());
    assert_eq!(heap.live_objects(), 0);
}

/// `n` two-node cycles, unreachable: each buffered as a possible root when its register
/// goes, as the VM's `decref` does.
fn garbage_rings(heap: &mut Heap, n: usize) {
    for _ in 0..n {
        let a = heap.alloc_struct(0, &[Value::None]).unwrap();
        let b = heap.alloc_struct(0, &[Value::Obj(a)]).unwrap();
        heap.incref_obj_for_test(b);
        // SAFETY: `a` is the test's own struct and nothing else borrows its fields.
        unsafe { a.fields_mut()[0] = Value::Obj(b) };
        give_up(heap, Value::Obj(b));
    }
    drain(heap);
}

/// Frees what `gc_next_group` returned.
fn sweep(heap: &mut Heap, garbage: Vec<ObjRef>) -> usize {
    // SAFETY: `gc_next_group`'s garbage, with its holds.
    let freed = unsafe { heap.free_cycle_garbage(garbage) };
    drain(heap);
    freed
}

#[test]
fn a_step_sweeps_one_group_once_its_budget_is_spent() {
    // C4/C5: a proposal is settled a group at a time; a step whose budget is gone still
    // sweeps one group (so the work moves on) and no more. The budget is the collector
    // thread's mode: the snapshot is marked there.
    let mut heap = Heap::new(None);
    heap.gc.background = true;
    garbage_rings(&mut heap, 40);
    assert_eq!(heap.live_objects(), 80);
    let spent = collector::pauses::PauseClock::start();
    std::thread::sleep(std::time::Duration::from_millis(2));
    // The first step copies the snapshot; a later one takes in the thread's 40 groups.
    step_until_settling(&mut heap);
    let mut steps = 0;
    let mut freed = 0;
    while heap.live_objects() > 0 {
        let group = heap.gc_next_group(&spent).expect("a group every step");
        assert_eq!(group.len(), 2);
        freed += sweep(&mut heap, group);
        assert!(
            heap.gc_next_group(&spent).is_none(),
            "one group when the budget is spent"
        );
        steps += 1;
        heap.gc_step();
        assert!(steps <= 40);
    }
    assert_eq!((steps, freed), (40, 80));
    assert_eq!(heap.gc.collections, 1);
    // With its budget fresh, one step sweeps many small groups.
    garbage_rings(&mut heap, 10);
    step_until_settling(&mut heap);
    let fresh = collector::pauses::PauseClock::start();
    let mut groups = 0;
    while let Some(group) = heap.gc_next_group(&fresh) {
        sweep(&mut heap, group);
        groups += 1;
    }
    assert!(groups >= 1 && heap.live_objects() <= 20 - 2 * groups);
    while heap.live_objects() > 0 {
        heap.gc_step();
        while let Some(group) = heap.gc_next_group(&fresh) {
            sweep(&mut heap, group);
        }
    }
    assert_eq!(heap.gc.collections, 2);
    assert!(!heap.collector.settling());
    assert!(heap.gc_finish().is_empty());
}

#[test]
fn a_starved_collector_thread_is_waited_for() {
    // C6: once the program has allocated `STARVED_BYTES` while a snapshot is being marked,
    // the next step waits for the mark instead of letting the garbage grow.
    let mut heap = Heap::new(None);
    heap.gc.background = true;
    heap.gc.cycle_interval_ms = 60_000;
    garbage_rings(&mut heap, 40);
    heap.gc_step();
    assert!(heap.gc_in_flight(), "the snapshot went to the thread");
    heap.collector.unmarked_bytes = collector::STARVED_BYTES - 1;
    heap.collector.allocated = 1;
    assert!(heap.gc_has_work(), "a step is due, ready or not");
    heap.gc_step();
    assert!(heap.collector.settling(), "the step took the mark in");
    // Sweeping is budgeted by the wall clock with a collector thread: on a loaded machine
    // (CI, a debug build) one step may sweep only some groups, the next steps the rest.
    for _ in 0..10_000 {
        let clock = collector::pauses::PauseClock::start();
        while let Some(group) = heap.gc_next_group(&clock) {
            sweep(&mut heap, group);
        }
        if heap.live_objects() == 0 {
            break;
        }
        heap.gc_step();
    }
    assert_eq!(heap.live_objects(), 0);
    assert!(heap.gc_finish().is_empty());
}

/// Steps until the collector thread's proposal for the buffered roots is taken in.
#[test]
fn a_sweep_reads_its_clock_every_few_members_and_after_a_destructor() {
    // The budget is checked after a step's first group, then every `SWEEP_CLOCK_MEMBERS`
    // members (a clock read per two-object group was a twentieth of a sweep), and at once
    // after a destructor ran, since a destructor is STARK code of any length.
    let mut heap = Heap::new(None);
    heap.gc.background = true;
    garbage_rings(&mut heap, 20);
    step_until_settling(&mut heap);
    // A clock started just before the call has its budget; one started 2 ms ago has not.
    let fresh = collector::pauses::PauseClock::start;
    let spent = collector::pauses::PauseClock::start();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let first = heap
        .gc_next_group(&spent)
        .expect("the first group, budget or not");
    sweep(&mut heap, first);
    // The clock is read before the second group (this one has budget left); the next
    // groups are swept without a read until 8 members have been, whatever the clock says.
    let second = heap.gc_next_group(&fresh()).expect("budget left");
    sweep(&mut heap, second);
    for _ in 0..3 {
        let group = heap
            .gc_next_group(&spent)
            .expect("no read before 8 members");
        sweep(&mut heap, group);
    }
    assert!(heap.gc_next_group(&spent).is_none(), "read after 8 members");
    // A destructor run makes the next group read the clock.
    let group = heap.gc_next_group(&fresh()).expect("a fresh budget");
    sweep(&mut heap, group);
    let obj = heap.alloc_struct(0, &[Value::None]).unwrap();
    heap.begin_finalize(obj);
    heap.end_finalize(obj);
    give_up(&mut heap, Value::Obj(obj));
    drain(&mut heap);
    assert!(
        heap.gc_next_group(&spent).is_none(),
        "read after a destructor"
    );
    while heap.collector.settling() {
        heap.gc_step();
        while let Some(group) = heap.gc_next_group(&fresh()) {
            sweep(&mut heap, group);
        }
    }
    assert_eq!(heap.live_objects(), 0);
}

fn step_until_settling(heap: &mut Heap) {
    heap.gc_step();
    while !heap.collector.settling() {
        std::thread::sleep(std::time::Duration::from_millis(1));
        heap.gc_step();
    }
}

#[test]
fn without_a_collector_thread_a_step_settles_its_whole_proposal() {
    // `background=false` is deterministic: no wall-clock budget, so a step whose clock is
    // long spent (a loaded machine, Valgrind) still sweeps every group it proposed.
    let mut heap = Heap::new(None);
    heap.gc.background = false;
    garbage_rings(&mut heap, 40);
    let spent = collector::pauses::PauseClock::start();
    std::thread::sleep(std::time::Duration::from_millis(2));
    heap.gc_step();
    let mut groups = 0;
    while let Some(group) = heap.gc_next_group(&spent) {
        assert_eq!(sweep(&mut heap, group), 2);
        groups += 1;
    }
    assert_eq!((groups, heap.live_objects()), (40, 0));
    assert_eq!(heap.gc.collections, 1);
}

#[test]
fn a_group_referenced_from_outside_is_kept() {
    // C3 per group: a ring that became reachable again after the snapshot (a register
    // took it) is validated on current counts and kept.
    let mut heap = Heap::new(None);
    heap.gc.background = false;
    let a = heap.alloc_struct(0, &[Value::None]).unwrap();
    let b = heap.alloc_struct(0, &[Value::Obj(a)]).unwrap();
    heap.incref_obj_for_test(b);
    // SAFETY: `a` is the test's own struct and nothing else borrows its fields.
    unsafe { a.fields_mut()[0] = Value::Obj(b) };
    give_up(&mut heap, Value::Obj(b));
    drain(&mut heap);
    heap.gc_step();
    // The program takes `a` again before the group is swept.
    heap.incref_obj_for_test(a);
    let clock = collector::pauses::PauseClock::start();
    let group = heap.gc_next_group(&clock).expect("the ring was proposed");
    assert!(group.is_empty(), "validation keeps a ring a register holds");
    assert_eq!(heap.live_objects(), 2);
    give_up(&mut heap, Value::Obj(a));
    drain(&mut heap);
    let garbage = heap.find_cycle_garbage(None);
    assert_eq!(sweep(&mut heap, garbage), 2);
    assert_eq!(heap.live_objects(), 0);
}
