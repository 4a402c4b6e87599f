//! A small Prometheus registry: counters and histograms with labels, rendered as text.
//!
//! Owned by [`AppState`](crate::http::AppState) rather than global, so tests and several servers
//! in one process do not share counts. Other modules count their own events with
//! [`Metrics::inc`] / [`Metrics::add`] (e.g. `danvan_sync_documents_total{result="accepted"}`).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Histogram bucket upper bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Inner {
    help: BTreeMap<String, String>,
    counters: BTreeMap<(String, String), u64>,
    histograms: BTreeMap<(String, String), Histogram>,
}

/// The registry.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

fn render_labels(labels: &[(&str, &str)]) -> String {
    let mut s = String::new();
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let v = v
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        let _ = write!(s, "{k}=\"{v}\"");
    }
    s
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Set the `# HELP` text of a metric.
    pub fn describe(&self, name: &str, help: &str) {
        self.lock().help.insert(name.into(), help.into());
    }

    /// Add one to a counter.
    pub fn inc(&self, name: &str, labels: &[(&str, &str)]) {
        self.add(name, labels, 1);
    }

    /// Add `n` to a counter.
    pub fn add(&self, name: &str, labels: &[(&str, &str)], n: u64) {
        *self
            .lock()
            .counters
            .entry((name.into(), render_labels(labels)))
            .or_default() += n;
    }

    /// Record a duration or size in a histogram.
    pub fn observe(&self, name: &str, labels: &[(&str, &str)], value: f64) {
        let mut inner = self.lock();
        let h = inner
            .histograms
            .entry((name.into(), render_labels(labels)))
            .or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if value <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += value;
    }

    /// The current value of a counter (0 if never counted).
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.lock()
            .counters
            .get(&(name.into(), render_labels(labels)))
            .copied()
            .unwrap_or(0)
    }

    /// Everything in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let inner = self.lock();
        let mut out = String::new();
        let mut last = "";
        let header = |out: &mut String, name: &str, kind: &str| {
            if let Some(help) = inner.help.get(name) {
                let _ = writeln!(out, "# HELP {name} {help}");
            }
            let _ = writeln!(out, "# TYPE {name} {kind}");
        };
        for ((name, labels), v) in &inner.counters {
            if name != last {
                header(&mut out, name, "counter");
                last = name;
            }
            let _ = writeln!(out, "{name}{{{labels}}} {v}");
        }
        for ((name, labels), h) in &inner.histograms {
            if name != last {
                header(&mut out, name, "histogram");
                last = name;
            }
            let sep = if labels.is_empty() { "" } else { "," };
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "{name}_sum{{{labels}}} {}", h.sum);
            let _ = writeln!(out, "{name}_count{{{labels}}} {}", h.count);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::new();
        m.describe("x_total", "Things.");
        m.inc("x_total", &[("route", "/a\"b")]);
        m.add("x_total", &[("route", "/a\"b")], 2);
        m.observe("lat_seconds", &[("route", "/a")], 0.003);
        let text = m.render();
        assert!(text.contains("# HELP x_total Things.\n# TYPE x_total counter\n"));
        assert!(text.contains("x_total{route=\"/a\\\"b\"} 3\n"));
        assert!(text.contains("lat_seconds_bucket{route=\"/a\",le=\"0.001\"} 0\n"));
        assert!(text.contains("lat_seconds_bucket{route=\"/a\",le=\"0.005\"} 1\n"));
        assert!(text.contains("lat_seconds_count{route=\"/a\"} 1\n"));
    }
}
