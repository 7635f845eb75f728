//! Building the service map from stored traffic: services as nodes (a peer that sends no spans
//! of its own is drawn as such), calls as edges with p50/p95 latency.

use std::collections::BTreeMap;

use crate::model::{MapEdge, MapNode, MapNote, ServiceMap};
use crate::store::{MapData, Result, Store};

/// Notes shown on one node.
const NOTES_PER_NODE: usize = 3;

/// The map of `project` over `since..until` (Unix ms), as `viewer` sees it (the notes on red
/// services are those they can read).
pub async fn build(
    store: &Store,
    viewer: i64,
    project: i64,
    since: i64,
    until: i64,
) -> Result<ServiceMap> {
    let MapData {
        services,
        traffic,
        unresolved,
        edges: calls_between,
    } = store.service_map(project, since, until).await?;
    let known = Known {
        services: &services,
        unresolved: &unresolved,
    };
    let mut nodes: BTreeMap<String, MapNode> = BTreeMap::new();
    for name in services.keys() {
        node(&mut nodes, &known, name, true);
    }
    for (name, (requests, errors)) in &traffic {
        let n = node(&mut nodes, &known, name, true);
        n.requests = *requests;
        n.errors = *errors;
    }
    let mut edges = Vec::new();
    for ((caller, callee), (calls, errors, durations)) in calls_between {
        node(&mut nodes, &known, &caller, true);
        let peer = node(&mut nodes, &known, &callee, false);
        if !peer.traced {
            peer.requests += calls;
            peer.errors += errors;
        }
        edges.push(MapEdge {
            caller,
            callee,
            calls,
            errors,
            p50_ms: durations.quantile_ms(0.50),
            p95_ms: durations.quantile_ms(0.95),
            culprit: false,
        });
    }
    for e in &mut edges {
        let callee = &nodes[&e.callee];
        e.culprit = e.errors > 0 && (callee.unresolved || !callee.traced);
    }
    for (service, id, title) in store.notes_by_service(viewer, project).await? {
        if let Some(n) = nodes.get_mut(&service).filter(|n| n.unresolved) {
            // (A note is on one error, so it comes once.)
            if n.notes.len() < NOTES_PER_NODE {
                n.notes.push(MapNote { id, title });
            }
        }
    }
    Ok(ServiceMap {
        nodes: nodes.into_values().collect(),
        edges,
    })
}

/// What a node is drawn with: registered services' kinds, services with unresolved errors.
struct Known<'a> {
    services: &'a BTreeMap<String, Option<String>>,
    unresolved: &'a [String],
}

/// The node of `name`, added on first mention.
fn node<'a>(
    nodes: &'a mut BTreeMap<String, MapNode>,
    known: &Known<'_>,
    name: &str,
    traced: bool,
) -> &'a mut MapNode {
    let n = nodes.entry(name.to_string()).or_insert_with(|| MapNode {
        id: name.to_string(),
        kind: known.services.get(name).cloned().flatten(),
        traced,
        requests: 0,
        errors: 0,
        unresolved: known.unresolved.iter().any(|s| s == name),
        notes: Vec::new(),
    });
    n.traced |= traced;
    n
}
