//! The service map as the dashboard draws it.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ServiceMap {
    pub nodes: Vec<MapNode>,
    pub edges: Vec<MapEdge>,
}

#[derive(Serialize, ToSchema)]
pub struct MapNode {
    /// The service name (or, for untraced peers such as databases, the peer's name).
    pub id: String,
    pub kind: Option<String>,
    /// Whether the service sends spans (registered or seen), or is only called.
    pub traced: bool,
    pub requests: i64,
    pub errors: i64,
    /// Some error this service caused itself is unresolved: drawn red. Errors passed up from
    /// a failed call to another service do not count.
    pub unresolved: bool,
    /// Notes the viewer can read on the unresolved errors this service caused, newest first
    /// (at most three): what is known about why it is red.
    pub notes: Vec<MapNote>,
}

#[derive(Serialize, ToSchema)]
pub struct MapNote {
    pub id: i64,
    pub title: String,
}

#[derive(Serialize, ToSchema)]
pub struct MapEdge {
    pub caller: String,
    pub callee: String,
    pub calls: i64,
    pub errors: i64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    /// The failures on this edge are the callee's own (it is red, or sends no spans): the
    /// edge to look at, rather than one a failure was only passed up through.
    pub culprit: bool,
}

/// A stored trace in a list: where it entered, how long it took, how much failed.
#[derive(Serialize, ToSchema)]
pub struct TraceSummary {
    pub trace_id: String,
    pub root_service: Option<String>,
    pub root_name: Option<String>,
    /// When its first span started (RFC 3339).
    pub started_at: String,
    pub duration_us: i64,
    pub span_count: i64,
    /// Failures recorded as error occurrences.
    pub error_count: i64,
}
