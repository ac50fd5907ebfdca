//! Every pause the collector makes the program take, timed twice: wall time (what the user
//! waits) and the program thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`: the work done), so
//! that a step that waited on the run queue can be told from one that worked.
//! `Memory.profile()` reports the worst and the 99th percentile of the wall times;
//! `--mem-report` adds the histogram and the worst CPU time.

use std::fmt::Write;
use std::time::Instant;

/// Pauses of 0 to `LINEAR - 1` µs are counted to the microsecond (so the 99th percentile of
/// short pauses is exact); longer ones in powers of two.
const LINEAR: usize = 1024;
const LOG: usize = 44;

/// The clocks of one pause, read when it starts.
pub struct PauseClock {
    wall: Instant,
    cpu_ns: u64,
}

/// One pause: wall and CPU time, in µs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pause {
    pub wall_us: u64,
    pub cpu_us: u64,
}

/// This thread's CPU time in ns (0 if the clock cannot be read).
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration, and
    // CLOCK_THREAD_CPUTIME_ID is a clock every Linux and macOS kernel has.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl PauseClock {
    pub fn start() -> PauseClock {
        PauseClock {
            wall: Instant::now(),
            cpu_ns: thread_cpu_ns(),
        }
    }

    /// Wall time since the pause began.
    pub fn wall_elapsed(&self) -> std::time::Duration {
        self.wall.elapsed()
    }

    pub fn stop(&self) -> Pause {
        Pause {
            wall_us: self.wall.elapsed().as_micros() as u64,
            cpu_us: thread_cpu_ns().saturating_sub(self.cpu_ns) / 1000,
        }
    }
}

/// The pauses so far, as a histogram of wall times.
#[derive(Clone, Debug)]
pub struct PauseLog {
    linear: Box<[u64; LINEAR]>,
    /// `log[k]`: pauses of `LINEAR << k` to `(LINEAR << (k + 1)) - 1` µs.
    log: [u64; LOG],
    pub count: u64,
    pub max_wall_us: u64,
    pub max_cpu_us: u64,
}

impl Default for PauseLog {
    fn default() -> Self {
        PauseLog {
            linear: Box::new([0; LINEAR]),
            log: [0; LOG],
            count: 0,
            max_wall_us: 0,
            max_cpu_us: 0,
        }
    }
}

impl PauseLog {
    pub fn record(&mut self, p: Pause) {
        self.count += 1;
        self.max_wall_us = self.max_wall_us.max(p.wall_us);
        self.max_cpu_us = self.max_cpu_us.max(p.cpu_us);
        match usize::try_from(p.wall_us) {
            Ok(us) if us < LINEAR => self.linear[us] += 1,
            _ => {
                let k = (p.wall_us / LINEAR as u64).ilog2() as usize;
                self.log[k.min(LOG - 1)] += 1;
            }
        }
    }

    /// Pauses and the least wall time of each bucket, in order.
    fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let linear = self
            .linear
            .iter()
            .enumerate()
            .map(|(us, &n)| (n, us as u64));
        let log = (self.log.iter().enumerate()).map(|(k, &n)| (n, (LINEAR as u64) << k));
        linear.chain(log)
    }

    /// The wall time 99% of pauses stay within (µs; exact below `LINEAR` µs, the bucket's
    /// upper end, capped at the worst pause, above). 0 with no pause.
    pub fn p99_wall_us(&self) -> u64 {
        if self.count == 0 {
            return 0;
        }
        // The rank of the 99th percentile sample: ceil(0.99 · count), from 1.
        let rank = (self.count * 99).div_ceil(100).max(1);
        let mut seen = 0;
        for (k, (n, low)) in self.buckets().enumerate() {
            seen += n;
            if seen >= rank {
                let high = if k < LINEAR { low } else { low * 2 - 1 };
                return high.min(self.max_wall_us);
            }
        }
        self.max_wall_us
    }

    /// The histogram `--mem-report` shows: pauses by wall time in a few ranges.
    pub fn render(&self) -> String {
        const EDGES: [u64; 8] = [10, 25, 50, 100, 250, 500, 1000, 10_000];
        let mut counts = [0u64; EDGES.len() + 1];
        for (n, low) in self.buckets() {
            let i = EDGES.iter().position(|&e| low < e).unwrap_or(EDGES.len());
            counts[i] += n;
        }
        let mut s = format!(
            "collector pauses: {} (wall p99 {} µs, max {} µs; worst CPU time {} µs)",
            self.count,
            self.p99_wall_us(),
            self.max_wall_us,
            self.max_cpu_us
        );
        let mut from = 0;
        for (i, &n) in counts.iter().enumerate() {
            let label = match EDGES.get(i) {
                Some(&to) => format!("{from}–{} µs", to - 1),
                None => format!("≥ {from} µs"),
            };
            let _ = write!(s, "\n  {label:<16} {n}");
            if let Some(&to) = EDGES.get(i) {
                from = to;
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(walls: &[u64]) -> PauseLog {
        let mut l = PauseLog::default();
        for &w in walls {
            l.record(Pause {
                wall_us: w,
                cpu_us: w / 2,
            });
        }
        l
    }

    #[test]
    fn the_99th_percentile_is_the_sample_of_that_rank() {
        // 100 pauses of 1..=100 µs: the 99th is 99 µs (NumPy's percentile with
        // method="inverted_cdf" gives the same: np.percentile(range(1, 101), 99,
        // method="inverted_cdf") == 99).
        let walls: Vec<u64> = (1..=100).collect();
        assert_eq!(log(&walls).p99_wall_us(), 99);
        assert_eq!(log(&[]).p99_wall_us(), 0);
        assert_eq!(log(&[7]).p99_wall_us(), 7);
        // One long pause in 200 does not move it; three do.
        let mut walls = vec![20; 199];
        walls.push(5000);
        assert_eq!(log(&walls).p99_wall_us(), 20);
        let mut walls = vec![20; 197];
        walls.extend([5000, 5000, 5000]);
        let l = log(&walls);
        assert_eq!(l.p99_wall_us(), 5000);
        assert_eq!((l.max_wall_us, l.max_cpu_us, l.count), (5000, 2500, 200));
    }

    #[test]
    fn the_histogram_counts_every_pause_once() {
        let text = log(&[3, 12, 60, 60, 120, 2000, 20_000]).render();
        assert!(text.starts_with("collector pauses: 7 (wall p99 20000 µs, max 20000 µs"));
        assert!(text.contains("0–9 µs           1"), "{text}");
        assert!(text.contains("50–99 µs         2"), "{text}");
        assert!(text.contains("≥ 10000 µs       1"), "{text}");
    }

    #[test]
    fn a_thread_uses_cpu_time() {
        let clock = PauseClock::start();
        let mut x = 0u64;
        while clock.wall.elapsed().as_millis() < 5 {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        assert!(x > 0 && clock.stop().cpu_us > 1000);
    }
}
