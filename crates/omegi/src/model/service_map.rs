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
    /// Some error of this service is unresolved: drawn red.
    pub unresolved: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MapEdge {
    pub caller: String,
    pub callee: String,
    pub calls: i64,
    pub errors: i64,
    pub p50_ms: f64,
    pub p95_ms: f64,
}
