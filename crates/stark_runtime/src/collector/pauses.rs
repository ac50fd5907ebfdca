//! Every pause the collector makes the program take, timed twice: wall time (what the user
//! waits) and the program thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`: the work done), so
//! that a step that waited on the run queue can be told from one that worked.
//! `Memory.profile()` reports the worst and the 99th percentile of the wall times;
//! `--mem-report` adds the histogram, the CPU times' 99th percentile and worst, and what
//! the step with the most CPU time did (`StepWork`): on a machine whose host takes the CPU
//! away (a VM), that time is charged to whichever thread was running, so a step that did
//! a few nodes' work in 300 µs of "CPU time" was interrupted, not working.

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

    /// The CPU clock is read before the wall clock, as it was read after it at the start:
    /// the CPU interval lies inside the wall one, so an interruption between the two reads
    /// is never charged to the CPU time alone (it once made a 30 µs step read 352 µs).
    pub fn stop(&self) -> Pause {
        let cpu_us = thread_cpu_ns().saturating_sub(self.cpu_ns) / 1000;
        Pause {
            wall_us: self.wall.elapsed().as_micros() as u64,
            cpu_us,
        }
    }
}

/// What one step did, so that the report can say what the step with the most CPU time
/// was doing: a step's work is bounded in units (nodes, groups), its time only by the
/// budgets, and a step that did little work yet took long was interrupted, not working.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StepWork {
    pub kind: StepKind,
    /// Nodes copied, taken in or unpinned, by `kind`.
    pub nodes: u32,
    /// Groups of proposed garbage validated (and, where confirmed, swept).
    pub groups: u32,
    /// Objects freed (cycle members and what only they kept alive).
    pub freed: u64,
}

/// The one kind of work a step does besides sweeping groups (C4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StepKind {
    /// Only groups swept (a proposal being settled with nothing left to unpin), or nothing.
    #[default]
    Sweep,
    Snapshot,
    TakeIn,
    /// Took in a mark the program waited for (C6).
    WaitedTakeIn,
    Unpin,
}

impl std::fmt::Display for StepWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.nodes;
        let kind = match self.kind {
            StepKind::Sweep => None,
            StepKind::Snapshot => Some(format!("copied a snapshot of {n} nodes")),
            StepKind::TakeIn => Some(format!("took in a marked snapshot of {n} nodes")),
            StepKind::WaitedTakeIn => Some(format!(
                "waited for the collector thread's mark and took in {n} nodes"
            )),
            StepKind::Unpin => Some(format!("unpinned {n} nodes")),
        };
        let sweep = (self.groups > 0 || kind.is_none()).then(|| {
            let plural = if self.groups == 1 { "" } else { "s" };
            format!(
                "validated {} group{plural} of proposed garbage ({} objects freed)",
                self.groups, self.freed
            )
        });
        let parts: Vec<String> = kind.into_iter().chain(sweep).collect();
        write!(f, "a step that {}", parts.join(" and "))
    }
}

/// Times in µs: 0 to `LINEAR - 1` counted to the microsecond (so the 99th percentile of
/// short pauses is exact), longer ones in powers of two.
#[derive(Clone, Debug)]
struct Histogram {
    linear: Box<[u64; LINEAR]>,
    /// `log[k]`: times of `LINEAR << k` to `(LINEAR << (k + 1)) - 1` µs.
    log: [u64; LOG],
    count: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            linear: Box::new([0; LINEAR]),
            log: [0; LOG],
            count: 0,
            max: 0,
        }
    }
}

impl Histogram {
    fn record(&mut self, us: u64) {
        self.count += 1;
        self.max = self.max.max(us);
        match usize::try_from(us) {
            Ok(us) if us < LINEAR => self.linear[us] += 1,
            _ => {
                let k = (us / LINEAR as u64).ilog2() as usize;
                self.log[k.min(LOG - 1)] += 1;
            }
        }
    }

    /// Counts and the least time of each bucket, in order.
    fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let linear = (self.linear.iter().enumerate()).map(|(us, &n)| (n, us as u64));
        let log = (self.log.iter().enumerate()).map(|(k, &n)| (n, (LINEAR as u64) << k));
        linear.chain(log)
    }

    /// The time 99% of samples stay within (exact below `LINEAR` µs; the bucket's upper
    /// end, capped at the worst sample, above). 0 with no sample.
    fn p99(&self) -> u64 {
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
                return high.min(self.max);
            }
        }
        self.max
    }

    /// Samples of at least `us` µs (exact below `LINEAR`).
    fn at_least(&self, us: u64) -> u64 {
        self.buckets()
            .filter(|&(_, low)| low >= us)
            .map(|(n, _)| n)
            .sum()
    }
}

/// The pauses so far: histograms of their wall and CPU times, their sum, and the work of
/// the step that took the most CPU time.
#[derive(Clone, Debug, Default)]
pub struct PauseLog {
    wall: Histogram,
    cpu: Histogram,
    pub count: u64,
    pub max_wall_us: u64,
    pub max_cpu_us: u64,
    /// All the pauses' wall time together.
    pub total_wall_us: u64,
    /// The step with the most CPU time: its times and its work.
    pub worst_cpu: Option<(Pause, StepWork)>,
}

/// The floor the collector's steps are held to (issue "Pauses a user never notices").
const FLOOR_US: u64 = 100;

impl PauseLog {
    pub fn record(&mut self, p: Pause, work: StepWork) {
        self.count += 1;
        self.max_wall_us = self.max_wall_us.max(p.wall_us);
        self.total_wall_us += p.wall_us;
        if self.worst_cpu.is_none_or(|(w, _)| p.cpu_us > w.cpu_us) {
            self.worst_cpu = Some((p, work));
        }
        self.max_cpu_us = self.max_cpu_us.max(p.cpu_us);
        self.wall.record(p.wall_us);
        self.cpu.record(p.cpu_us);
    }

    /// The wall time 99% of pauses stay within (µs; exact below 1 ms). 0 with no pause.
    pub fn p99_wall_us(&self) -> u64 {
        self.wall.p99()
    }

    /// The CPU time 99% of pauses stay within, as `p99_wall_us`.
    pub fn p99_cpu_us(&self) -> u64 {
        self.cpu.p99()
    }

    /// The histogram `--mem-report` shows: pauses by wall time in a few ranges, then the
    /// step with the most CPU time and what it did.
    pub fn render(&self) -> String {
        const EDGES: [u64; 8] = [10, 25, 50, 100, 250, 500, 1000, 10_000];
        let mut counts = [0u64; EDGES.len() + 1];
        for (n, low) in self.wall.buckets() {
            let i = EDGES.iter().position(|&e| low < e).unwrap_or(EDGES.len());
            counts[i] += n;
        }
        let mut s = format!(
            "collector pauses: {}, {} ms in all (wall p99 {} µs, max {} µs; CPU p99 {} µs, max {} µs, {} over {FLOOR_US} µs)",
            self.count,
            self.total_wall_us / 1000,
            self.p99_wall_us(),
            self.max_wall_us,
            self.p99_cpu_us(),
            self.max_cpu_us,
            self.cpu.at_least(FLOOR_US),
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
        if let Some((p, work)) = self.worst_cpu {
            let _ = write!(
                s,
                "\n  most CPU time: {} µs (wall {} µs), {work}",
                p.cpu_us, p.wall_us
            );
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
            l.record(
                Pause {
                    wall_us: w,
                    cpu_us: w / 2,
                },
                StepWork::default(),
            );
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
        assert!(
            text.starts_with("collector pauses: 7, 22 ms in all (wall p99 20000 µs, max 20000 µs; CPU p99 10000 µs, max 10000 µs, 2 over 100 µs)"),
            "{text}"
        );
        assert!(text.contains("0–9 µs           1"), "{text}");
        assert!(text.contains("50–99 µs         2"), "{text}");
        assert!(text.contains("≥ 10000 µs       1"), "{text}");
    }

    #[test]
    fn the_step_with_the_most_cpu_time_is_kept_with_its_work() {
        let mut l = PauseLog::default();
        let step = |wall_us, cpu_us| Pause { wall_us, cpu_us };
        let snapshot = StepWork {
            kind: StepKind::Snapshot,
            nodes: 2048,
            groups: 0,
            freed: 0,
        };
        let sweep = StepWork {
            kind: StepKind::Unpin,
            nodes: 512,
            groups: 3,
            freed: 6,
        };
        l.record(step(90, 80), snapshot);
        // Longer on the wall but less CPU: not the worst by CPU.
        l.record(step(400, 30), StepWork::default());
        l.record(step(310, 300), sweep);
        l.record(step(50, 40), snapshot);
        assert_eq!(l.worst_cpu, Some((step(310, 300), sweep)));
        assert_eq!(
            (l.max_cpu_us, l.max_wall_us, l.total_wall_us),
            (300, 400, 850)
        );
        assert_eq!(l.cpu.at_least(100), 1);
        assert_eq!(l.wall.at_least(100), 2);
        assert_eq!(
            snapshot.to_string(),
            "a step that copied a snapshot of 2048 nodes"
        );
        assert_eq!(
            StepWork::default().to_string(),
            "a step that validated 0 groups of proposed garbage (0 objects freed)"
        );
        let one = StepWork {
            kind: StepKind::WaitedTakeIn,
            nodes: 128,
            groups: 1,
            freed: 2,
        };
        assert_eq!(
            one.to_string(),
            "a step that waited for the collector thread's mark and took in 128 nodes and \
             validated 1 group of proposed garbage (2 objects freed)"
        );
        let text = l.render();
        assert!(
            text.ends_with("most CPU time: 300 µs (wall 310 µs), a step that unpinned 512 nodes and validated 3 groups of proposed garbage (6 objects freed)"),
            "{text}"
        );
        // The CPU times' percentile is their own: 3 of 4 within 80 µs, the 4th is the p99.
        assert_eq!(l.p99_cpu_us(), 300);
        assert_eq!(l.p99_wall_us(), 400);
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
