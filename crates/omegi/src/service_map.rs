//! Building the service map from stored traffic: services as nodes (a peer that sends no spans
//! of its own is drawn as such), calls as edges with p50/p95 latency.

use std::collections::BTreeMap;

use crate::model::{MapEdge, MapNode, ServiceMap};
use crate::store::{MapData, Result, Store};

/// The map of `project` over `since..until` (Unix ms).
pub async fn build(store: &Store, project: i64, since: i64, until: i64) -> Result<ServiceMap> {
    let data = store.service_map(project, since, until).await?;
    let mut nodes: BTreeMap<String, MapNode> = BTreeMap::new();
    for name in data.services.keys() {
        node(&mut nodes, &data, name, true);
    }
    for (name, (requests, errors)) in &data.traffic {
        let n = node(&mut nodes, &data, name, true);
        n.requests = *requests;
        n.errors = *errors;
    }
    let mut edges = Vec::new();
    for ((caller, callee), (calls, errors, durations)) in &data.edges {
        let (calls, errors, mut durations) = (*calls, *errors, durations.clone());
        node(&mut nodes, &data, caller, true);
        let peer = node(&mut nodes, &data, callee, false);
        if !peer.traced {
            peer.requests += calls;
            peer.errors += errors;
        }
        durations.sort_unstable();
        edges.push(MapEdge {
            caller: caller.clone(),
            callee: callee.clone(),
            calls,
            errors,
            p50_ms: percentile(&durations, 0.50),
            p95_ms: percentile(&durations, 0.95),
        });
    }
    Ok(ServiceMap {
        nodes: nodes.into_values().collect(),
        edges,
    })
}

/// The node of `name`, added on first mention.
fn node<'a>(
    nodes: &'a mut BTreeMap<String, MapNode>,
    data: &MapData,
    name: &str,
    traced: bool,
) -> &'a mut MapNode {
    let n = nodes.entry(name.to_string()).or_insert_with(|| MapNode {
        id: name.to_string(),
        kind: data.services.get(name).cloned().flatten(),
        traced,
        requests: 0,
        errors: 0,
        unresolved: data.unresolved.iter().any(|s| s == name),
    });
    n.traced |= traced;
    n
}

/// Nearest-rank percentile of sorted microseconds, in milliseconds.
pub fn percentile(sorted_us: &[i64], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted_us.len() as f64).ceil() as usize).clamp(1, sorted_us.len());
    sorted_us[rank - 1] as f64 / 1000.0
}
