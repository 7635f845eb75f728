//! The knowledge base as a graph: notes, tags and errors, and what connects them.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Graph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

#[derive(Serialize, ToSchema)]
pub struct GraphNode {
    /// `note:12`, `tag:postgres`, `error:7`.
    pub id: String,
    /// `note`, `tag` or `error`.
    pub kind: String,
    pub label: String,
    /// Edges touching this node, to size it.
    pub degree: usize,
    /// For notes: written by the caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mine: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// For notes: `error` or `general`; for errors: the error's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GraphEdge {
    pub source: String,
    pub target: String,
    /// `link` (note to note), `tag` (note to tag) or `error` (note to the error it is about).
    pub kind: String,
}
