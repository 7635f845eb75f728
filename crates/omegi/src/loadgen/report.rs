//! What the load generator counts while it runs, and the report it prints: throughput,
//! refusals, export latency and error-to-visible latency, as percentiles from HDR histograms.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::send::Outcome;

/// Counters and histograms shared by the sending tasks.
pub struct Tally {
    sent_spans: AtomicU64,
    accepted_spans: AtomicU64,
    rejected_spans: AtomicU64,
    failed_exports: AtomicU64,
    failing_traces: AtomicU64,
    never_listed: AtomicU64,
    refused: Mutex<BTreeMap<&'static str, u64>>,
    /// Microseconds.
    export: Mutex<Histogram<u64>>,
    api_visible: Mutex<Histogram<u64>>,
    sse_visible: Mutex<Histogram<u64>>,
}

impl Default for Tally {
    fn default() -> Self {
        let histogram =
            || Mutex::new(Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds"));
        Tally {
            sent_spans: AtomicU64::new(0),
            accepted_spans: AtomicU64::new(0),
            rejected_spans: AtomicU64::new(0),
            failed_exports: AtomicU64::new(0),
            failing_traces: AtomicU64::new(0),
            never_listed: AtomicU64::new(0),
            refused: Mutex::new(BTreeMap::new()),
            export: histogram(),
            api_visible: histogram(),
            sse_visible: histogram(),
        }
    }
}

fn record(h: &Mutex<Histogram<u64>>, d: Duration) {
    if let Ok(mut h) = h.lock() {
        h.saturating_record(d.as_micros().max(1) as u64);
    }
}

impl Tally {
    /// One export of `spans` spans was sent and answered after `took`.
    pub fn sent(&self, spans: u64, took: Duration, outcome: &anyhow::Result<Outcome>) {
        self.sent_spans.fetch_add(spans, Ordering::Relaxed);
        match outcome {
            Ok(Outcome::Accepted { rejected }) => {
                record(&self.export, took);
                self.accepted_spans
                    .fetch_add(spans.saturating_sub(*rejected), Ordering::Relaxed);
                self.rejected_spans.fetch_add(*rejected, Ordering::Relaxed);
            }
            Ok(Outcome::Refused(why)) => {
                record(&self.export, took);
                self.rejected_spans.fetch_add(spans, Ordering::Relaxed);
                if let Ok(mut r) = self.refused.lock() {
                    *r.entry(why).or_default() += 1;
                }
            }
            Err(e) => {
                self.failed_exports.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("an export failed: {e:#}");
            }
        }
    }

    /// Failing traces in an accepted export.
    pub fn failing(&self, n: u64) {
        self.failing_traces.fetch_add(n, Ordering::Relaxed);
    }

    pub fn api_visible(&self, d: Duration) {
        record(&self.api_visible, d);
    }

    pub fn sse_visible(&self, d: Duration) {
        record(&self.sse_visible, d);
    }

    pub fn never_listed(&self) {
        self.never_listed.fetch_add(1, Ordering::Relaxed);
    }

    /// One progress line.
    pub fn progress(&self, elapsed: Duration) -> String {
        let secs = elapsed.as_secs_f64().max(1e-3);
        let sent = self.sent_spans.load(Ordering::Relaxed);
        let accepted = self.accepted_spans.load(Ordering::Relaxed);
        let export = Latency::of(&self.export);
        let visible = Latency::of(&self.api_visible);
        format!(
            "{:>5.0}s  sent {sent} spans ({:.0}/s)  accepted {accepted} ({:.0}/s)  rejected {}  \
             export p50 {:.1} ms p99 {:.1} ms  visible p99 {:.0} ms",
            secs,
            sent as f64 / secs,
            accepted as f64 / secs,
            self.rejected_spans.load(Ordering::Relaxed),
            export.p50_ms,
            export.p99_ms,
            visible.p99_ms,
        )
    }

    pub fn report(&self, elapsed: Duration, probes_unseen: u64) -> Report {
        let secs = elapsed.as_secs_f64().max(1e-3);
        let sent = self.sent_spans.load(Ordering::Relaxed);
        let accepted = self.accepted_spans.load(Ordering::Relaxed);
        Report {
            seconds: secs,
            sent_spans: sent,
            sent_per_sec: sent as f64 / secs,
            accepted_spans: accepted,
            accepted_per_sec: accepted as f64 / secs,
            rejected_spans: self.rejected_spans.load(Ordering::Relaxed),
            refused_exports: self.refused.lock().map(|r| r.clone()).unwrap_or_default(),
            failed_exports: self.failed_exports.load(Ordering::Relaxed),
            failing_traces: self.failing_traces.load(Ordering::Relaxed),
            export: Latency::of(&self.export),
            api_visible: Latency::of(&self.api_visible),
            never_listed: self.never_listed.load(Ordering::Relaxed),
            sse_visible: Latency::of(&self.sse_visible),
            probes_unseen,
        }
    }
}

/// Percentiles of a latency, in milliseconds.
#[derive(Debug, Default, Serialize)]
pub struct Latency {
    pub samples: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    fn of(h: &Mutex<Histogram<u64>>) -> Latency {
        let Ok(h) = h.lock() else {
            return Latency::default();
        };
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            samples: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p95_ms: ms(h.value_at_quantile(0.95)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
        }
    }
}

/// The end-of-run report (`--json` prints it as is).
#[derive(Debug, Serialize)]
pub struct Report {
    pub seconds: f64,
    pub sent_spans: u64,
    pub sent_per_sec: f64,
    pub accepted_spans: u64,
    pub accepted_per_sec: f64,
    /// Spans the server refused: in refused exports or named in partial successes.
    pub rejected_spans: u64,
    /// Refused exports by status.
    pub refused_exports: BTreeMap<&'static str, u64>,
    /// Exports that got no answer (connection errors, timeouts).
    pub failed_exports: u64,
    /// Failing traces in accepted exports.
    pub failing_traces: u64,
    pub export: Latency,
    /// From sending a failing trace until the API lists its error.
    pub api_visible: Latency,
    /// Watched failing traces the API had not listed after 60 s.
    pub never_listed: u64,
    /// From sending a probe until its new error arrived over SSE.
    pub sse_visible: Latency,
    pub probes_unseen: u64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let line = |f: &mut std::fmt::Formatter<'_>, name: &str, l: &Latency| {
            writeln!(
                f,
                "{name:<22} p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms  max {:.1} ms  ({} samples)",
                l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms, l.samples
            )
        };
        writeln!(f, "ran {:.1} s", self.seconds)?;
        writeln!(
            f,
            "sent                   {} spans, {:.0} spans/s",
            self.sent_spans, self.sent_per_sec
        )?;
        writeln!(
            f,
            "accepted               {} spans, {:.0} spans/s",
            self.accepted_spans, self.accepted_per_sec
        )?;
        writeln!(f, "rejected               {} spans", self.rejected_spans)?;
        for (why, n) in &self.refused_exports {
            writeln!(f, "  refused exports      {n} × {why}")?;
        }
        writeln!(f, "exports without answer {}", self.failed_exports)?;
        writeln!(f, "failing traces         {}", self.failing_traces)?;
        line(f, "export latency", &self.export)?;
        line(f, "error visible (API)", &self.api_visible)?;
        if self.never_listed > 0 {
            writeln!(f, "  not listed after 60 s {}", self.never_listed)?;
        }
        line(f, "new error (SSE)", &self.sse_visible)?;
        if self.probes_unseen > 0 {
            writeln!(f, "  probes never seen    {}", self.probes_unseen)?;
        }
        Ok(())
    }
}
