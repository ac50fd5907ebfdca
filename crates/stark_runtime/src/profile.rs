//! Snapshots of the heap's counters (`Memory.profile`, `Memory.usage_by_type`, M13) and the
//! table they print as.

use crate::heap::Heap;
use crate::zone::Zone;
use std::fmt::Write;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZoneSnapshot {
    pub name: String,
    pub live_bytes: i64,
    pub live_objects: i64,
    pub allocations: i64,
    pub deallocations: i64,
    pub peak_bytes: i64,
    /// Allocations per second since the heap started.
    pub alloc_rate: f64,
    pub dealloc_rate: f64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfileSnapshot {
    pub total_bytes: i64,
    pub live_objects: i64,
    pub peak_bytes: i64,
    pub zones: Vec<ZoneSnapshot>,
    pub arena_bytes: i64,
    pub collections: i64,
    pub cycles_collected: i64,
    pub gc_pause_max_us: i64,
    /// The wall time 99% of collector pauses stay within (`collector/pauses.rs`).
    pub gc_pause_p99_us: i64,
    /// Bytes of free tensor buffers the `tensor` zone's pool keeps for reuse (M8).
    pub tensor_pool_bytes: i64,
}

impl Heap {
    /// The counters right now, before anything is allocated to hold them.
    pub fn profile(&self) -> ProfileSnapshot {
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        let zones = Zone::ALL
            .iter()
            .map(|&z| {
                let mut c = self.zones[z.index()];
                // Actors' heaps (M8): their sums, as the spawning program sees them.
                if let Some(a) = &self.actors {
                    let x = a.zone(z);
                    c.live_bytes += x.live_bytes;
                    c.live_objects += x.live_objects;
                    c.allocations += x.allocations;
                    c.deallocations += x.deallocations;
                    c.peak_bytes += x.peak_bytes;
                }
                ZoneSnapshot {
                    name: z.name().to_string(),
                    live_bytes: c.live_bytes as i64,
                    live_objects: c.live_objects as i64,
                    allocations: c.allocations as i64,
                    deallocations: c.deallocations as i64,
                    peak_bytes: c.peak_bytes as i64,
                    alloc_rate: c.allocations as f64 / secs,
                    dealloc_rate: c.deallocations as f64 / secs,
                }
            })
            .collect();
        let (actor_live, actor_peak) = match &self.actors {
            Some(a) => (a.total_live(), a.total_peak()),
            None => (0, 0),
        };
        let actor_objects: u64 = match &self.actors {
            Some(a) => Zone::ALL.iter().map(|&z| a.zone(z).live_objects).sum(),
            None => 0,
        };
        ProfileSnapshot {
            total_bytes: (self.total_live + actor_live) as i64,
            live_objects: (self.live_objects() + actor_objects) as i64,
            peak_bytes: (self.total_peak + actor_peak) as i64,
            zones,
            arena_bytes: self.arena_bytes() as i64,
            collections: self.gc.collections as i64,
            cycles_collected: self.gc.cycles_collected as i64,
            gc_pause_max_us: self.gc.pauses.max_wall_us as i64,
            gc_pause_p99_us: self.gc.pauses.p99_wall_us() as i64,
            tensor_pool_bytes: crate::tensor_pool::pooled_bytes() as i64,
        }
    }

    /// Live objects and bytes per type name (M14), largest total first (ties by name), the
    /// order a memory profiler lists them in.
    pub fn usage_by_type(&self) -> Vec<(String, i64, i64)> {
        let mut order: Vec<(String, i64, i64)> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        for e in self.live_entries() {
            let name = self.type_name(e.kind, e.type_id);
            let i = match index.get(name) {
                Some(&i) => i,
                None => {
                    index.insert(name.to_string(), order.len());
                    order.push((name.to_string(), 0, 0));
                    order.len() - 1
                }
            };
            order[i].1 += 1;
            order[i].2 += e.bytes as i64;
        }
        order.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        order
    }
}

impl ProfileSnapshot {
    /// The readable table `print(Memory.profile())` and `--mem-report` show.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "MemoryStats");
        let _ = writeln!(s, "  total_bytes       {}", self.total_bytes);
        let _ = writeln!(s, "  live_objects      {}", self.live_objects);
        let _ = writeln!(s, "  peak_bytes        {}", self.peak_bytes);
        let _ = writeln!(s, "  arena_bytes       {}", self.arena_bytes);
        let _ = writeln!(s, "  collections       {}", self.collections);
        let _ = writeln!(s, "  cycles_collected  {}", self.cycles_collected);
        let _ = writeln!(s, "  gc_pause_max_us   {}", self.gc_pause_max_us);
        let _ = writeln!(s, "  gc_pause_p99_us   {}", self.gc_pause_p99_us);
        let _ = writeln!(s, "  tensor_pool_bytes {}", self.tensor_pool_bytes);
        let _ = writeln!(
            s,
            "  {:<8} {:>12} {:>12} {:>12} {:>13} {:>12} {:>14} {:>14}",
            "zone",
            "live_bytes",
            "live_objects",
            "allocations",
            "deallocations",
            "peak_bytes",
            "alloc_rate/s",
            "dealloc_rate/s"
        );
        for z in &self.zones {
            let _ = writeln!(
                s,
                "  {:<8} {:>12} {:>12} {:>12} {:>13} {:>12} {:>14.1} {:>14.1}",
                z.name,
                z.live_bytes,
                z.live_objects,
                z.allocations,
                z.deallocations,
                z.peak_bytes,
                z.alloc_rate,
                z.dealloc_rate
            );
        }
        // No trailing newline: `print` adds one.
        s.pop();
        s
    }

    /// `--mem-report`: the profile, then the peak of each zone.
    pub fn report(&self) -> String {
        let mut s = self.render();
        s.push_str("\npeak per zone:");
        for z in &self.zones {
            let _ = write!(s, "\n  {:<8} {} bytes", z.name, z.peak_bytes);
        }
        s
    }
}
