//! Memory zones (M8) and the counters kept for each one (M13).

/// The zone an allocation belongs to. Only `Global` is allocated from today; the others keep
/// their counters so profiles and reports already show all four.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Zone {
    Global = 0,
    Actor = 1,
    Tensor = 2,
    Io = 3,
}

impl Zone {
    pub const ALL: [Zone; 4] = [Zone::Global, Zone::Actor, Zone::Tensor, Zone::Io];
    pub const COUNT: usize = 4;

    pub fn name(self) -> &'static str {
        match self {
            Zone::Global => "global",
            Zone::Actor => "actor",
            Zone::Tensor => "tensor",
            Zone::Io => "io",
        }
    }

    pub fn from_name(name: &str) -> Option<Zone> {
        Zone::ALL.into_iter().find(|z| z.name() == name)
    }

    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Running counters for one zone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZoneCounters {
    pub live_bytes: u64,
    pub live_objects: u64,
    pub allocations: u64,
    pub deallocations: u64,
    pub peak_bytes: u64,
}

impl ZoneCounters {
    /// `on_alloc` of `count` objects of `bytes` in all, made one after the other.
    #[inline]
    pub(crate) fn on_alloc_many(&mut self, count: u64, bytes: u64) {
        self.live_bytes += bytes;
        self.live_objects += count;
        self.allocations += count;
        if self.live_bytes > self.peak_bytes {
            self.peak_bytes = self.live_bytes;
        }
    }

    #[inline]
    pub(crate) fn on_alloc(&mut self, bytes: u64) {
        self.live_bytes += bytes;
        self.live_objects += 1;
        self.allocations += 1;
        if self.live_bytes > self.peak_bytes {
            self.peak_bytes = self.live_bytes;
        }
    }

    #[inline]
    pub(crate) fn on_free(&mut self, bytes: u64) {
        self.live_bytes -= bytes;
        self.live_objects -= 1;
        self.deallocations += 1;
    }

    /// `objects` frees of `bytes` in all at once (an arena's end, A4).
    #[inline]
    pub(crate) fn on_free_many(&mut self, bytes: u64, objects: u64) {
        self.live_bytes -= bytes;
        self.live_objects -= objects;
        self.deallocations += objects;
    }

    /// A live object grew (`delta > 0`) or shrank.
    #[inline]
    pub(crate) fn on_resize(&mut self, delta: i64) {
        self.live_bytes = (self.live_bytes as i64 + delta) as u64;
        if self.live_bytes > self.peak_bytes {
            self.peak_bytes = self.live_bytes;
        }
    }
}
