use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Span status codes as OTLP numbers them.
pub const STATUS_UNSET: i64 = 0;
pub const STATUS_OK: i64 = 1;
pub const STATUS_ERROR: i64 = 2;

/// Attribute of a span made from a Sentry event (`crate::sentry`): the event id.
pub const SENTRY_EVENT_ID: &str = "sentry.event_id";
/// Attribute of such a span's `exception` event: the [`super::Reported`] details as JSON.
pub const SENTRY_REPORTED: &str = "sentry.reported";

/// The attributes that name the remote a client span talks to, in the order they are looked
/// at (semantic conventions: a traced service, a database, a messaging system, a server).
pub const PEER_ATTRIBUTES: [&str; 5] = [
    "peer.service",
    "db.system.name",
    "db.system",
    "messaging.system",
    "server.address",
];

/// How much of a stored span a reader gets back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanDetail {
    /// All of it.
    Full,
    /// What assembling a trace in which nothing failed looks at: the span's fields, of its
    /// attributes only the [`PEER_ATTRIBUTES`], of its events only the names and times, no
    /// resource; the spans of a trace in which a span failed ([`SpanRecord::is_error`]
    /// reads the same of the outline as of the whole span) whole, for its occurrences. The
    /// others are read without parsing and freeing the attributes nothing looks at.
    Outline,
}

/// A span as Omegi stores it: ids in lower-case hex, times in Unix nanoseconds, attributes
/// as JSON. Decoded once at ingestion, so storage and assembly never see OTLP types.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanRecord {
    pub project_id: i64,
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub service: String,
    pub name: String,
    /// `internal`, `server`, `client`, `producer`, `consumer` or `unspecified`.
    pub kind: String,
    pub start_ns: i64,
    pub end_ns: i64,
    pub status_code: i64,
    pub status_message: String,
    pub attributes: Map<String, Value>,
    pub events: Vec<SpanEvent>,
    /// Resource attributes (host, process, deployment environment, SDK), shared by every
    /// span of the same export batch rather than copied into each.
    pub resource: Arc<Map<String, Value>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpanEvent {
    pub name: String,
    pub time_ns: i64,
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
}

impl SpanRecord {
    pub fn is_root(&self) -> bool {
        self.parent_span_id.is_none()
    }

    pub fn duration_ns(&self) -> i64 {
        self.end_ns.saturating_sub(self.start_ns).max(0)
    }

    /// The first `exception` event, which is where OpenTelemetry records a thrown exception.
    pub fn exception(&self) -> Option<&SpanEvent> {
        self.events.iter().find(|e| e.name == "exception")
    }

    /// A span is an error when its status is ERROR or it recorded an exception.
    pub fn is_error(&self) -> bool {
        self.status_code == STATUS_ERROR || self.exception().is_some()
    }

    /// A span that stands for an event a Sentry SDK captured while `parent` was the active
    /// span (an exception or a message): it happened *in* the parent, which the transaction
    /// sent apart.
    pub fn is_sentry_event(&self) -> bool {
        self.attributes.contains_key(SENTRY_EVENT_ID) && self.exception().is_some()
    }

    /// Such a span for a captured exception (not a message).
    pub fn is_sentry_exception(&self) -> bool {
        self.is_sentry_event() && self.attr_str("sentry.captured") == Some("exception")
    }

    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(Value::as_str)
    }
}

/// Lowercase hexadecimal, as trace and span ids are written.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}
