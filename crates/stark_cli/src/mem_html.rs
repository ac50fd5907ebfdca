//! `stark run --mem-report=FILE.html` (SPEC §10): one self-contained page (inline CSS and
//! hand-drawn SVG, no script, nothing fetched) showing the run's memory over time from
//! `stark_runtime::timeline`: live bytes per zone, allocation and free rates, the
//! collector's pauses on the same time axis, the live objects by type near the peak, and
//! the peaks.

use stark_runtime::collector::pauses::PauseLog;
use stark_runtime::timeline::{Sample, Timeline};
use std::fmt::Write as _;

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 220.0;
/// Left and bottom margins of a chart, for the axis labels.
const LEFT: f64 = 78.0;
const BOTTOM: f64 = 28.0;
/// Most points a line is drawn with (samples are merged, keeping each bucket's maximum).
const POINTS: usize = 1000;
const ZONE_COLORS: [&str; 4] = ["#3b6fd4", "#d4833b", "#3bab5a", "#a33bd4"];

pub fn render(program: &str, t: &Timeline, pauses: &PauseLog) -> String {
    let mut h = String::new();
    let title = format!("STARK memory report: {}", escape(program));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    let samples = &t.samples;
    let end_us = samples.last().map_or(1, |s| s.t_us).max(1);
    summary(&mut h, t, pauses, end_us);
    h.push_str("<h2>Live bytes by zone</h2>\n");
    live_chart(&mut h, samples, end_us);
    h.push_str("<h2>Allocations and frees per second</h2>\n");
    rate_chart(&mut h, samples, end_us);
    h.push_str("<h2>Collector pauses</h2>\n");
    pause_chart(&mut h, &t.pauses, end_us, pauses);
    types_tables(&mut h, t);
    h.push_str("</body>\n</html>\n");
    h
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}\
h1{font-size:20px}h2{font-size:16px;margin-top:28px}\
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 10px;text-align:right;border-bottom:1px solid #ddd}\
th:first-child,td:first-child{text-align:left}.cards{display:flex;flex-wrap:wrap;gap:10px}\
.card{border:1px solid #ccc;border-radius:6px;padding:8px 12px;min-width:130px}\
.card b{display:block;font-size:18px}.legend span{margin-right:16px}\
svg{background:#fafafa;border:1px solid #ddd}.axis{font-size:11px;fill:#555}\
.tables{display:flex;gap:40px;flex-wrap:wrap}";

fn summary(h: &mut String, t: &Timeline, pauses: &PauseLog, end_us: u64) {
    let peak = t
        .samples
        .iter()
        .map(|s| s.profile.peak_bytes)
        .max()
        .unwrap_or(0);
    let last = t.samples.last().map(|s| &s.profile);
    let card = |h: &mut String, label: &str, value: String| {
        let _ = write!(h, "<div class=\"card\">{label}<b>{value}</b></div>");
    };
    h.push_str("<div class=\"cards\">");
    card(h, "run time", format!("{:.3} s", end_us as f64 / 1e6));
    card(h, "peak live bytes", bytes(peak as f64));
    if let Some(p) = last {
        card(h, "collections", p.collections.to_string());
        card(h, "cycles collected", p.cycles_collected.to_string());
    }
    card(h, "collector pauses", pauses.count.to_string());
    card(h, "pause p99", format!("{} µs", pauses.p99_wall_us()));
    card(h, "pause max", format!("{} µs", pauses.max_wall_us));
    h.push_str("</div>\n<h2>Peaks by zone</h2>\n<table><tr><th>zone</th><th>peak bytes</th><th>allocations</th><th>frees</th><th>live at the end</th></tr>\n");
    if let Some(p) = last {
        for z in &p.zones {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&z.name),
                bytes(z.peak_bytes as f64),
                z.allocations,
                z.deallocations,
                bytes(z.live_bytes as f64)
            );
        }
    }
    h.push_str("</table>\n");
}

/// A chart's frame: the SVG element, the time axis, and `ticks` labels on the value axis
/// (`label(v)` for a value `v` of `0..=max`).
fn frame(h: &mut String, end_us: u64, max: f64, label: &dyn Fn(f64) -> String) {
    let _ = write!(
        h,
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\">"
    );
    let plot_h = HEIGHT - BOTTOM - 10.0;
    for k in 0..=4 {
        let v = max * k as f64 / 4.0;
        let y = 10.0 + plot_h * (1.0 - k as f64 / 4.0);
        let _ = write!(
            h,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{WIDTH}\" y2=\"{y:.1}\" stroke=\"#e4e4e4\"/>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            y + 4.0,
            escape(&label(v))
        );
    }
    for k in 0..=6 {
        let t = end_us as f64 * k as f64 / 6.0;
        let x = x_of(t as u64, end_us);
        let _ = write!(
            h,
            "<text class=\"axis\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            HEIGHT - 8.0,
            seconds(t)
        );
    }
}

fn x_of(t_us: u64, end_us: u64) -> f64 {
    LEFT + (WIDTH - LEFT - 10.0) * (t_us as f64 / end_us as f64)
}

fn y_of(v: f64, max: f64) -> f64 {
    let plot_h = HEIGHT - BOTTOM - 10.0;
    10.0 + plot_h * (1.0 - if max > 0.0 { v / max } else { 0.0 })
}

/// `values` (one per sample) merged into at most `POINTS` buckets, each the largest of its
/// samples, as (time, value).
fn buckets(samples: &[Sample], values: &[f64]) -> Vec<(u64, f64)> {
    let per = samples.len().div_ceil(POINTS).max(1);
    samples
        .chunks(per)
        .zip(values.chunks(per))
        .map(|(s, v)| {
            let top = v.iter().copied().fold(f64::MIN, f64::max);
            (s[s.len() - 1].t_us, top)
        })
        .collect()
}

fn polyline(h: &mut String, points: &[(u64, f64)], end_us: u64, max: f64, color: &str) {
    let _ = write!(
        h,
        "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\""
    );
    for &(t, v) in points {
        let _ = write!(h, "{:.1},{:.1} ", x_of(t, end_us), y_of(v, max));
    }
    h.push_str("\"/>");
}

fn live_chart(h: &mut String, samples: &[Sample], end_us: u64) {
    let zones = samples.first().map_or(0, |s| s.profile.zones.len());
    let series: Vec<Vec<f64>> = (0..zones)
        .map(|z| {
            samples
                .iter()
                .map(|s| s.profile.zones.get(z).map_or(0.0, |z| z.live_bytes as f64))
                .collect()
        })
        .collect();
    let max = nice(series.iter().flatten().copied().fold(0.0, f64::max));
    frame(h, end_us, max, &|v| bytes(v));
    for (z, values) in series.iter().enumerate() {
        polyline(
            h,
            &buckets(samples, values),
            end_us,
            max,
            ZONE_COLORS[z % 4],
        );
    }
    h.push_str("</svg>\n<div class=\"legend\">");
    for (z, s) in samples
        .first()
        .map(|s| s.profile.zones.clone())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let _ = write!(
            h,
            "<span style=\"color:{}\">&#9632; {}</span>",
            ZONE_COLORS[z % 4],
            escape(&s.name)
        );
    }
    h.push_str("</div>\n");
}

/// Objects allocated and freed per second between consecutive samples (all zones).
fn rate_chart(h: &mut String, samples: &[Sample], end_us: u64) {
    let total = |s: &Sample, f: fn(&stark_runtime::ZoneSnapshot) -> i64| -> f64 {
        s.profile.zones.iter().map(f).sum::<i64>() as f64
    };
    let mut allocs = vec![0.0];
    let mut frees = vec![0.0];
    for w in samples.windows(2) {
        let dt = (w[1].t_us.saturating_sub(w[0].t_us)).max(1) as f64 / 1e6;
        allocs.push(
            (total(&w[1], |z| z.allocations) - total(&w[0], |z| z.allocations)).max(0.0) / dt,
        );
        frees.push(
            (total(&w[1], |z| z.deallocations) - total(&w[0], |z| z.deallocations)).max(0.0) / dt,
        );
    }
    allocs.truncate(samples.len());
    frees.truncate(samples.len());
    let max = nice(allocs.iter().chain(&frees).copied().fold(0.0, f64::max));
    frame(h, end_us, max, &|v| format!("{}/s", count(v)));
    polyline(h, &buckets(samples, &allocs), end_us, max, "#3b6fd4");
    polyline(h, &buckets(samples, &frees), end_us, max, "#d43b3b");
    h.push_str("</svg>\n<div class=\"legend\"><span style=\"color:#3b6fd4\">&#9632; allocations</span><span style=\"color:#d43b3b\">&#9632; frees</span></div>\n");
}

fn pause_chart(h: &mut String, list: &[(u64, u64)], end_us: u64, log: &PauseLog) {
    let max = nice(
        list.iter()
            .map(|p| p.1 as f64)
            .fold(0.0, f64::max)
            .max(100.0),
    );
    frame(h, end_us, max, &|v| format!("{v:.0} µs"));
    for &(t, us) in list {
        let x = x_of(t, end_us);
        let _ = write!(
            h,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#c0392b\"/>",
            y_of(0.0, max),
            y_of(us as f64, max)
        );
    }
    let p99 = log.p99_wall_us() as f64;
    let _ = writeln!(
        h,
        "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{WIDTH}\" y2=\"{y:.1}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/></svg>",
        y = y_of(p99, max)
    );
    let _ = writeln!(
        h,
        "<div class=\"legend\"><span style=\"color:#c0392b\">&#9632; a pause (wall time)</span><span>- - - p99: {} µs</span><span>{} pauses{}</span></div>",
        log.p99_wall_us(),
        log.count,
        if (list.len() as u64) < log.count {
            format!(", the first {} drawn", list.len())
        } else {
            String::new()
        }
    );
    // What the text report's last line says: a long step that did little work was
    // interrupted (the host, the scheduler), not working.
    if let Some((p, work)) = log.worst_cpu {
        let _ = writeln!(
            h,
            "<p>CPU time of a step: p99 {} µs; the most, {} µs (wall {} µs), {}.</p>",
            log.p99_cpu_us(),
            p.cpu_us,
            p.wall_us,
            escape(&work.to_string())
        );
    }
}

fn types_tables(h: &mut String, t: &Timeline) {
    let _ = writeln!(
        h,
        "<h2>Live objects by type near the peak</h2>\n<p>At {} into the run, with {} live.</p>\n<div class=\"tables\">",
        seconds(t.types_t_us as f64),
        bytes(t.types_bytes as f64)
    );
    let mut by_count = t.types_at_peak.clone();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for (title, rows) in [("by bytes", &t.types_at_peak), ("by count", &by_count)] {
        let _ = writeln!(
            h,
            "<table><tr><th>type ({title})</th><th>objects</th><th>bytes</th></tr>"
        );
        for (name, n, b) in rows.iter().take(15) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{n}</td><td>{}</td></tr>",
                escape(name),
                bytes(*b as f64)
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("</div>\n");
}

/// A round axis maximum at or above `v`.
fn nice(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * p >= v {
            return m * p;
        }
    }
    10.0 * p
}

fn bytes(v: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = v;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn count(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

fn seconds(us: f64) -> String {
    if us >= 1e6 {
        format!("{:.2} s", us / 1e6)
    } else {
        format!("{:.0} ms", us / 1e3)
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
