//! The server's Prometheus metrics, on the `prometheus-client` crate: counters are atomics,
//! label sets are typed structs (no label string is built per request), and `GET /metrics`
//! renders the Prometheus text format (version 0.0.4).
//!
//! Owned by [`AppState`](crate::state::AppState) rather than global, so tests and several servers
//! in one process do not share counts. Handlers count through the typed methods below
//! ([`Metrics::http_request`], [`Metrics::sync_push`]…). Two gauges are read at each scrape:
//! the process's resident memory (`process_resident_memory_bytes`, Linux only: absent
//! elsewhere) and the size of the in-memory fact index (`danvan_fact_index_records`,
//! `danvan_fact_index_bytes`).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::{Method, StatusCode};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Latency histogram bucket upper bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The request's method, as a label value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct MethodLabel(Method);

impl EncodeLabelValue for MethodLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> fmt::Result {
        fmt::Write::write_str(encoder, self.0.as_str())
    }
}

/// The route template that matched (`/api/v1/units/{code}`), or `unmatched`: bounded, unlike
/// raw paths.
#[derive(Debug, Clone)]
struct RouteLabel(Option<MatchedPath>);

impl RouteLabel {
    fn as_str(&self) -> &str {
        self.0.as_ref().map_or("unmatched", MatchedPath::as_str)
    }
}

impl PartialEq for RouteLabel {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RouteLabel {}

impl Hash for RouteLabel {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl EncodeLabelValue for RouteLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> fmt::Result {
        fmt::Write::write_str(encoder, self.as_str())
    }
}

/// The response's status code, as a label value (`200`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct StatusLabel(StatusCode);

impl EncodeLabelValue for StatusLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> fmt::Result {
        fmt::Write::write_str(encoder, self.0.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    method: MethodLabel,
    route: RouteLabel,
    status: StatusLabel,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct LatencyLabels {
    method: MethodLabel,
    route: RouteLabel,
}

/// How an enrollment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Enrollment {
    /// A device was enrolled.
    Enrolled,
    /// The code was invalid, used or expired.
    Refused,
}

impl EncodeLabelValue for Enrollment {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> fmt::Result {
        let v = match self {
            Enrollment::Enrolled => "enrolled",
            Enrollment::Refused => "refused",
        };
        fmt::Write::write_str(encoder, v)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct EnrollmentLabels {
    result: Enrollment,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PushLabels {
    outcome: &'static str,
}

/// Size of the in-memory fact index, read at each scrape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactIndexSize {
    /// Records held.
    pub records: u64,
    /// Bytes held (approximate).
    pub bytes: u64,
}

/// The registry and the server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<LatencyLabels, Histogram, fn() -> Histogram>,
    enrollments: Family<EnrollmentLabels, Counter>,
    sync_resets: Counter,
    sync_pushes: Family<PushLabels, Counter>,
    sync_pulled_docs: Counter,
}

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every counter at zero and the process gauge (no fact index gauges: see
    /// [`with_fact_index`](Self::with_fact_index)).
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status.",
            requests.clone(),
        );
        let latency = Family::<LatencyLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency in seconds by method and route.",
            latency.clone(),
        );
        let enrollments = Family::<EnrollmentLabels, Counter>::default();
        registry.register(
            "danvan_enrollments",
            "Device enrollments by result (enrolled, refused).",
            enrollments.clone(),
        );
        let sync_resets = Counter::default();
        registry.register(
            "danvan_sync_resets",
            "Sync requests answered with a reset (the device's epoch is not the server's).",
            sync_resets.clone(),
        );
        let sync_pushes = Family::<PushLabels, Counter>::default();
        registry.register(
            "danvan_sync_pushes",
            "Pushed record changes by outcome (accepted, or the rejection reason).",
            sync_pushes.clone(),
        );
        let sync_pulled_docs = Counter::default();
        registry.register(
            "danvan_sync_pulled_docs",
            "Documents sent to devices by sync.",
            sync_pulled_docs.clone(),
        );
        registry.register_collector(Box::new(ProcessCollector));
        Metrics {
            registry,
            requests,
            latency,
            enrollments,
            sync_resets,
            sync_pushes,
            sync_pulled_docs,
        }
    }

    /// Add the fact index gauges, read from `size` at each scrape.
    pub fn with_fact_index(
        mut self,
        size: impl Fn() -> FactIndexSize + Send + Sync + 'static,
    ) -> Self {
        self.registry
            .register_collector(Box::new(FactIndexCollector {
                size: Box::new(size),
            }));
        self
    }

    /// Count one HTTP request and its latency.
    pub fn http_request(
        &self,
        method: &Method,
        route: Option<&MatchedPath>,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let method = MethodLabel(method.clone());
        let route = RouteLabel(route.cloned());
        self.latency
            .get_or_create(&LatencyLabels {
                method: method.clone(),
                route: route.clone(),
            })
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status: StatusLabel(status),
            })
            .inc();
    }

    /// Count an enrollment.
    pub fn enrollment(&self, result: Enrollment) {
        self.enrollments
            .get_or_create(&EnrollmentLabels { result })
            .inc();
    }

    /// Count a sync answered with a reset.
    pub fn sync_reset(&self) {
        self.sync_resets.inc();
    }

    /// Count a pushed change by outcome (`accepted` or a rejection reason's code).
    pub fn sync_push(&self, outcome: &'static str) {
        self.sync_pushes
            .get_or_create(&PushLabels { outcome })
            .inc();
    }

    /// Count documents sent to a device.
    pub fn sync_pulled_docs(&self, n: u64) {
        self.sync_pulled_docs.inc_by(n);
    }

    /// Everything in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
        {
            tracing::error!(error = %e, "cannot render metrics");
        }
        out
    }
}

/// `process_resident_memory_bytes`, when the platform tells it.
#[derive(Debug)]
struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        if let Some(rss) = resident_bytes() {
            gauge(
                &mut encoder,
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                rss,
            )?;
        }
        Ok(())
    }
}

/// `danvan_fact_index_records` and `danvan_fact_index_bytes`.
struct FactIndexCollector {
    size: Box<dyn Fn() -> FactIndexSize + Send + Sync>,
}

impl fmt::Debug for FactIndexCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FactIndexCollector").finish_non_exhaustive()
    }
}

impl Collector for FactIndexCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let size = (self.size)();
        gauge(
            &mut encoder,
            "danvan_fact_index_records",
            "Records held by the in-memory fact index.",
            size.records,
        )?;
        gauge(
            &mut encoder,
            "danvan_fact_index_bytes",
            "Bytes held by the in-memory fact index (approximate, by capacity).",
            size.bytes,
        )
    }
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> fmt::Result {
    let g = ConstGauge::new(value);
    let m = encoder.encode_descriptor(name, help, None, g.metric_type())?;
    g.encode(m)
}

/// Resident set size of this process: `/proc/self/statm`'s resident pages times the page size.
#[cfg(target_os = "linux")]
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * rustix::param::page_size() as u64)
}

/// Resident set size of this process (not known on this platform).
#[cfg(not(target_os = "linux"))]
pub fn resident_bytes() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matched(path: &str) -> MatchedPath {
        // A MatchedPath is only made by the router: route one request to read it back.
        use axum::Router;
        use axum::routing::get;
        use tower::ServiceExt;
        let (tx, rx) = std::sync::mpsc::channel();
        let app = Router::new().route(
            path,
            get(move |p: MatchedPath| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(p);
                }
            }),
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let req = axum::http::Request::get(path)
            .body(axum::body::Body::empty())
            .expect("request");
        rt.block_on(app.oneshot(req)).expect("response");
        rx.recv().expect("matched path")
    }

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let m = Metrics::new().with_fact_index(|| FactIndexSize {
            records: 7,
            bytes: 4096,
        });
        let route = matched("/a");
        m.http_request(
            &Method::GET,
            Some(&route),
            StatusCode::OK,
            Duration::from_millis(3),
        );
        m.http_request(
            &Method::GET,
            Some(&route),
            StatusCode::OK,
            Duration::from_millis(3),
        );
        m.http_request(
            &Method::POST,
            None,
            StatusCode::NOT_FOUND,
            Duration::from_millis(1),
        );
        m.enrollment(Enrollment::Refused);
        m.sync_push("accepted");
        m.sync_pulled_docs(3);
        let text = m.render();
        assert!(
            text.contains("# TYPE http_requests_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains("http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "http_requests_total{method=\"POST\",route=\"unmatched\",status=\"404\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "http_request_duration_seconds_bucket{method=\"GET\",route=\"/a\",le=\"0.001\"} 0\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "http_request_duration_seconds_bucket{method=\"GET\",route=\"/a\",le=\"0.005\"} 2\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("http_request_duration_seconds_count{method=\"GET\",route=\"/a\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("danvan_enrollments_total{result=\"refused\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("danvan_sync_pushes_total{outcome=\"accepted\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("danvan_sync_pulled_docs_total 3\n"), "{text}");
        assert!(text.contains("danvan_sync_resets_total 0\n"), "{text}");
        assert!(
            text.contains("# TYPE danvan_fact_index_records gauge\ndanvan_fact_index_records 7\n"),
            "{text}"
        );
        assert!(text.contains("danvan_fact_index_bytes 4096\n"), "{text}");
        if cfg!(target_os = "linux") {
            let rss = resident_bytes().expect("statm");
            assert!(rss > 1024 * 1024, "{rss}");
            assert!(
                text.contains("# TYPE process_resident_memory_bytes gauge\n"),
                "{text}"
            );
        } else {
            assert!(!text.contains("process_resident_memory_bytes"), "{text}");
        }
    }
}
