//! What assembly derives from a trace, as the pipeline hands it to the store.

use super::{Log, Summary};

/// Everything assembly derives from a trace.
pub struct Assembly {
    /// Spans stored for the trace (more than were assembled when it was truncated).
    pub span_count: i64,
    pub start_ns: i64,
    pub end_ns: i64,
    pub root_service: Option<String>,
    pub root_name: Option<String>,
    pub edges: Vec<Edge>,
    pub services: Vec<ServiceStat>,
    pub occurrences: Vec<OccurrenceDraft>,
    /// Why the trace was assembled from only part of it, in words; None when whole.
    pub truncated: Option<String>,
}

/// Calls from one service to another within the trace.
#[derive(Debug, PartialEq)]
pub struct Edge {
    pub caller: String,
    pub callee: String,
    pub calls: i64,
    pub errors: i64,
    /// The calls by duration (the callee's span), for percentiles: `(bin, calls, errors)`
    /// in ascending bins, a bin named by its lowest duration in µs ([`super::duration_bin`]).
    pub durations: Vec<(i64, i64, i64)>,
}

#[derive(Debug, PartialEq)]
pub struct ServiceStat {
    pub service: String,
    pub spans: i64,
    /// Server and consumer spans, and the root: the requests the service handled.
    pub requests: i64,
    pub errors: i64,
}

/// An error occurrence before it is stored and grouped.
#[derive(Debug, Clone)]
pub struct OccurrenceDraft {
    pub span_id: String,
    pub fingerprint: String,
    pub service: String,
    pub exception_type: String,
    pub message: String,
    pub operation: String,
    /// When the failing span ended, Unix ms.
    pub occurred_at: i64,
    pub summary: Summary,
    pub log: Log,
    /// Span ids from the root to the failing span.
    pub path: Vec<String>,
    /// See [`Summary::passed_from`](super::Summary).
    pub passed_from: Option<String>,
}
