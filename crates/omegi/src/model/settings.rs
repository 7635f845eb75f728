//! What the settings page shows about a running server: retention, storage, Kafka intake.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ServerSettings {
    pub retention: RetentionView,
    pub database: DatabaseView,
    /// The Kafka consumer of this node; absent when Kafka is off.
    pub kafka: Option<KafkaView>,
}

#[derive(Serialize, ToSchema)]
pub struct RetentionView {
    /// Days occurrences and the spans of their traces are kept.
    pub retention_days: f64,
    /// Hours the spans of traces without errors are kept.
    pub trace_retention_hours: f64,
    /// Rows removed by this node since it started.
    pub deleted_occurrences: u64,
    pub deleted_traces: u64,
}

#[derive(Serialize, ToSchema)]
pub struct DatabaseView {
    /// `sqlite` or `postgresql`.
    pub backend: String,
    /// Size on disk: the SQLite file with its WAL, or the PostgreSQL database.
    pub size_bytes: i64,
}

/// What this node's Kafka consumer did since it started.
#[derive(Serialize, ToSchema, Default, Clone, Debug, PartialEq)]
pub struct KafkaView {
    pub brokers: String,
    pub topic: String,
    pub group: String,
    /// Messages whose spans were stored.
    pub messages: u64,
    pub spans: u64,
    /// Messages skipped because they were not OTLP protobuf trace exports.
    pub skipped_undecodable: u64,
    /// Messages skipped because their ingest token was missing, unknown or revoked.
    pub skipped_unauthenticated: u64,
    /// Spans of stored messages refused one by one (bad ids, more new services a minute
    /// than allowed); the rest of their message was stored.
    pub rejected_spans: u64,
}
