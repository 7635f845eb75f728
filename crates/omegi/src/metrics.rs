//! Omegi's own metrics, served at `GET /metrics` in the Prometheus text format
//! (`prometheus-client`, the Prometheus project's Rust client). One registry a server, so
//! several servers in one process (the tests) do not mix their figures. The receivers, the
//! span writer, the assembler and the HTTP layer each record what they do; the gauges that
//! describe the database (pending traces) are set by the worker that reads them.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

/// How spans arrived.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Grpc,
    Kafka,
    Sentry,
}

impl Protocol {
    fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "otlp_http",
            Protocol::Grpc => "otlp_grpc",
            Protocol::Kafka => "kafka",
            Protocol::Sentry => "sentry",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Via {
    protocol: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Refusal {
    protocol: &'static str,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    method: String,
    route: String,
    status: u16,
}

type Timings<L> = Family<L, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    spans_received: Family<Via, Counter>,
    spans_rejected: Family<Refusal, Counter>,
    exports_refused: Family<Refusal, Counter>,
    spans_stored: Counter,
    queue_spans: Gauge,
    write_batch_spans: Histogram,
    write_commit: Histogram,
    traces_pending: Gauge,
    assembly_lag_ms: Gauge,
    traces_assembled: Counter,
    occurrences: Counter,
    sse_clients: Gauge,
    http: Timings<Route>,
}

fn seconds() -> Histogram {
    // 0.5 ms to ~16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    pub fn new(queue_capacity: usize) -> Metrics {
        let m = Metrics {
            registry: Registry::with_prefix("omegi"),
            spans_received: Family::default(),
            spans_rejected: Family::default(),
            exports_refused: Family::default(),
            spans_stored: Counter::default(),
            queue_spans: Gauge::default(),
            write_batch_spans: Histogram::new(exponential_buckets(1.0, 4.0, 8)),
            write_commit: seconds(),
            traces_pending: Gauge::default(),
            assembly_lag_ms: Gauge::default(),
            traces_assembled: Counter::default(),
            occurrences: Counter::default(),
            sse_clients: Gauge::default(),
            http: Family::new_with_constructor(seconds),
        };
        m.registered(queue_capacity)
    }

    /// Registers every metric under its name and help text.
    fn registered(mut self, queue_capacity: usize) -> Metrics {
        let r = &mut self.registry;
        r.register(
            "spans_received",
            "Spans decoded from exports",
            self.spans_received.clone(),
        );
        r.register(
            "spans_rejected",
            "Spans refused, by reason",
            self.spans_rejected.clone(),
        );
        r.register(
            "exports_refused",
            "Exports refused as a whole, by reason",
            self.exports_refused.clone(),
        );
        r.register(
            "spans_stored",
            "Spans committed to the database",
            self.spans_stored.clone(),
        );
        r.register(
            "span_queue_spans",
            "Spans waiting for the writer",
            self.queue_spans.clone(),
        );
        let capacity = Gauge::<i64>::default();
        capacity.set(i64::try_from(queue_capacity).unwrap_or(i64::MAX));
        r.register(
            "span_queue_capacity_spans",
            "Most spans that may wait",
            capacity,
        );
        r.register(
            "write_batch_spans",
            "Spans a commit",
            self.write_batch_spans.clone(),
        );
        r.register_with_unit(
            "write_commit",
            "Time to store one batch of spans",
            Unit::Seconds,
            self.write_commit.clone(),
        );
        r.register(
            "traces_pending",
            "Traces with spans not yet assembled (read by the assembler)",
            self.traces_pending.clone(),
        );
        r.register(
            "assembly_lag_milliseconds",
            "How long past its due time the oldest due trace waited when last assembled",
            self.assembly_lag_ms.clone(),
        );
        r.register(
            "traces_assembled",
            "Traces assembled",
            self.traces_assembled.clone(),
        );
        r.register(
            "occurrences_created",
            "Error occurrences created by assembly",
            self.occurrences.clone(),
        );
        r.register(
            "sse_clients",
            "Open live-event streams",
            self.sse_clients.clone(),
        );
        r.register_with_unit(
            "http_request_duration",
            "HTTP requests by route and status",
            Unit::Seconds,
            self.http.clone(),
        );
        self
    }

    /// The registry in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub fn received(&self, via: Protocol, spans: usize) {
        self.spans_received
            .get_or_create(&Via {
                protocol: via.as_str(),
            })
            .inc_by(spans as u64);
    }

    /// `spans` spans refused for `reason` (invalid ids, overloaded, …).
    pub fn rejected(&self, via: Protocol, reason: &str, spans: u64) {
        if spans > 0 {
            self.spans_rejected
                .get_or_create(&Refusal {
                    protocol: via.as_str(),
                    reason: reason.to_string(),
                })
                .inc_by(spans);
        }
    }

    /// A whole export refused before its spans were counted (bad token, too large, …).
    pub fn refused(&self, via: Protocol, reason: &str) {
        self.exports_refused
            .get_or_create(&Refusal {
                protocol: via.as_str(),
                reason: reason.to_string(),
            })
            .inc();
    }

    /// A batch of `spans` spans was committed after `took`.
    pub fn committed(&self, spans: usize, took: Duration) {
        self.spans_stored.inc_by(spans as u64);
        self.write_batch_spans.observe(spans as f64);
        self.write_commit.observe(took.as_secs_f64());
    }

    pub fn queue_depth(&self, spans: usize) {
        self.queue_spans
            .set(i64::try_from(spans).unwrap_or(i64::MAX));
    }

    pub fn pending(&self, traces: i64, lag_ms: i64) {
        self.traces_pending.set(traces);
        self.assembly_lag_ms.set(lag_ms);
    }

    pub fn assembled(&self, traces: usize, occurrences: usize) {
        self.traces_assembled.inc_by(traces as u64);
        self.occurrences.inc_by(occurrences as u64);
    }

    /// A live stream opened (+1) or closed (-1).
    pub fn sse(&self, delta: i64) {
        self.sse_clients.inc_by(delta);
    }

    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.http
            .get_or_create(&Route {
                method: method.to_string(),
                route: route.to_string(),
                status,
            })
            .observe(took.as_secs_f64());
    }
}
