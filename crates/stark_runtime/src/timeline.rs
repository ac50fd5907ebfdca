//! Memory over time, for `stark run --mem-report=FILE.html` (SPEC §10): samples of the
//! heap's counters taken every `INTERVAL` of wall time, the collector's pauses with the
//! time each began, and the live objects by type near the peak.
//!
//! Sampling costs the program nothing between samples: a ticker thread raises the
//! collector's attention flag (which the interpreter already polls at every backward jump
//! and call), and the safepoint that follows takes the sample. A sample is
//! `Heap::profile()` (a handful of counters); the by-type table walks the live objects, so
//! it is retaken only when live bytes have grown by a quarter since the last one, a
//! geometric schedule whose total cost is a few walks of the peak heap.

use crate::heap::Heap;
use crate::profile::ProfileSnapshot;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Time between two samples.
pub const INTERVAL: Duration = Duration::from_millis(5);
/// Pauses kept with their times (the histogram keeps counting them all).
const MAX_PAUSES: usize = 200_000;

/// One sample: microseconds since the run began, and the counters then.
#[derive(Clone, Debug)]
pub struct Sample {
    pub t_us: u64,
    pub profile: ProfileSnapshot,
}

#[derive(Default)]
pub struct Timeline {
    pub samples: Vec<Sample>,
    /// (start, wall µs) of each collector pause, up to `MAX_PAUSES`.
    pub pauses: Vec<(u64, u64)>,
    /// Live objects and bytes by type at the sample nearest the peak (`usage_by_type`).
    pub types_at_peak: Vec<(String, i64, i64)>,
    /// Live bytes when `types_at_peak` was taken, and that sample's time.
    pub types_bytes: i64,
    pub types_t_us: u64,
    last: Option<Instant>,
    stop: Option<Arc<AtomicBool>>,
}

impl Drop for Timeline {
    fn drop(&mut self) {
        if let Some(stop) = &self.stop {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

impl Heap {
    /// Starts sampling (before the run): the first sample now, then one every `INTERVAL`.
    pub fn start_timeline(&mut self) {
        let flag = self.collector.attention_flag();
        let stop = Arc::new(AtomicBool::new(false));
        let ticker_stop = stop.clone();
        // Without the thread, samples still come at allocation-driven safepoints.
        let _ = std::thread::Builder::new()
            .name("stark-sampler".into())
            .stack_size(64 << 10)
            .spawn(move || {
                while !ticker_stop.load(Ordering::Relaxed) {
                    std::thread::sleep(INTERVAL);
                    flag.store(true, Ordering::Release);
                }
            });
        let mut timeline = Box::<Timeline>::default();
        timeline.stop = Some(stop);
        self.timeline = Some(timeline);
        self.take_sample();
    }

    /// At a safepoint: a sample, if one is due.
    #[inline]
    pub fn sample_if_due(&mut self) {
        if let Some(t) = &self.timeline {
            if t.last.is_none_or(|l| l.elapsed() >= INTERVAL) {
                self.take_sample();
            }
        }
    }

    /// A sample now (the run's last one: after the program ended), and the sampler stops.
    pub fn finish_timeline(&mut self) -> Option<Box<Timeline>> {
        self.take_sample();
        let mut t = self.timeline.take()?;
        if let Some(stop) = t.stop.take() {
            stop.store(true, Ordering::Relaxed);
        }
        Some(t)
    }

    fn take_sample(&mut self) {
        let profile = self.profile();
        let t_us = self.start.elapsed().as_micros() as u64;
        let retake = self
            .timeline
            .as_ref()
            .is_some_and(|t| profile.total_bytes > t.types_bytes + t.types_bytes / 4);
        let types = retake.then(|| self.usage_by_type());
        let Some(t) = self.timeline.as_mut() else {
            return;
        };
        if let Some(types) = types {
            t.types_at_peak = types;
            t.types_bytes = profile.total_bytes;
            t.types_t_us = t_us;
        }
        t.samples.push(Sample { t_us, profile });
        t.last = Some(Instant::now());
    }

    /// Notes a collector pause that just ended, for the timeline.
    pub(crate) fn timeline_pause(&mut self, wall_us: u64) {
        let now = self.start.elapsed().as_micros() as u64;
        if let Some(t) = self.timeline.as_mut() {
            if t.pauses.len() < MAX_PAUSES {
                t.pauses.push((now.saturating_sub(wall_us), wall_us));
            }
        }
    }
}
