//! What a stream consumer (Kafka) did with its messages: counted for the settings page, and
//! skipped messages logged at most once a minute per kind, naming where the latest one sat,
//! so a stream of bad messages cannot flood the log.

use std::fmt::Display;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::model::KafkaView;

const LOG_EVERY: Duration = Duration::from_secs(60);

/// Why a message was skipped (never retried: it would fail the same way again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Not an OTLP protobuf ExportTraceServiceRequest.
    Undecodable,
    /// No ingest token, or one that is unknown or revoked.
    Unauthenticated,
    /// Spans of a stored message that were refused one by one (bad ids, too many new
    /// services): what OTLP/HTTP and gRPC report as partial success.
    RejectedSpans,
}

#[derive(Default)]
pub struct ConsumerStats {
    messages: AtomicU64,
    spans: AtomicU64,
    undecodable: AtomicU64,
    unauthenticated: AtomicU64,
    rejected_spans: AtomicU64,
    /// Per kind: when it was last logged, and how many were skipped since.
    log: Mutex<[(Option<Instant>, u64); 3]>,
}

impl ConsumerStats {
    /// A message whose `spans` spans are stored.
    pub fn stored(&self, spans: usize) {
        self.messages.fetch_add(1, Relaxed);
        self.spans.fetch_add(spans as u64, Relaxed);
    }

    /// A skipped message; `place` says where it is (topic/partition/offset).
    pub fn skipped(&self, kind: Skip, place: &dyn Display, why: &str) {
        self.count(kind, 1, place, why);
    }

    /// `spans` spans of the message at `place` refused one by one; the rest is stored.
    pub fn rejected(&self, spans: i64, place: &dyn Display, why: &str) {
        self.count(
            Skip::RejectedSpans,
            u64::try_from(spans).unwrap_or(0),
            place,
            why,
        );
    }

    fn count(&self, kind: Skip, n: u64, place: &dyn Display, why: &str) {
        let (counter, slot) = match kind {
            Skip::Undecodable => (&self.undecodable, 0),
            Skip::Unauthenticated => (&self.unauthenticated, 1),
            Skip::RejectedSpans => (&self.rejected_spans, 2),
        };
        counter.fetch_add(n, Relaxed);
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let (last, since) = &mut log[slot];
        *since += n;
        if last.is_none_or(|at| at.elapsed() >= LOG_EVERY) {
            tracing::warn!(
                "skipped {since} {} in the last minute; the latest, at {place}: {why}",
                match kind {
                    Skip::Undecodable => "undecodable message(s)",
                    Skip::Unauthenticated => "unauthenticated message(s)",
                    Skip::RejectedSpans => "refused span(s)",
                }
            );
            *last = Some(Instant::now());
            *since = 0;
        }
    }

    /// The counts, under the consumer's settings.
    pub fn view(&self, brokers: &str, topic: &str, group: &str) -> KafkaView {
        KafkaView {
            brokers: brokers.into(),
            topic: topic.into(),
            group: group.into(),
            messages: self.messages.load(Relaxed),
            spans: self.spans.load(Relaxed),
            skipped_undecodable: self.undecodable.load(Relaxed),
            skipped_unauthenticated: self.unauthenticated.load(Relaxed),
            rejected_spans: self.rejected_spans.load(Relaxed),
        }
    }
}
