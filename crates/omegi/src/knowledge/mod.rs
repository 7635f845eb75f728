//! The knowledge base as a service: the graph of notes, tags and errors; "solved before?"
//! ([`suggest`]); the resolution note written when resolving an error ([`resolution`]); and
//! notes as an Obsidian vault ([`vault`]).

pub mod resolution;
pub mod suggest;
pub mod vault;

use std::collections::{BTreeMap, HashMap};

use crate::model::{Graph, GraphEdge, GraphNode};
use crate::store::{GraphSelect, Result, Store};

/// The deepest local graph: notes this many links away from the centre.
pub const MAX_DEPTH: u32 = 3;
/// The most notes a local graph shows (the centre and the nearest first).
const MAX_LOCAL: usize = 500;

/// The notes at most `depth` links (either way) from `centre`, centre included, as `viewer`
/// can read them: a note's local graph.
pub async fn neighbourhood(
    store: &Store,
    viewer: i64,
    centre: i64,
    depth: u32,
) -> Result<Vec<i64>> {
    let mut order = vec![centre];
    let mut seen = std::collections::HashSet::from([centre]);
    let mut frontier = vec![centre];
    for _ in 0..depth.min(MAX_DEPTH) {
        let next: Vec<i64> = store
            .linked_notes(viewer, &frontier)
            .await?
            .into_iter()
            .filter(|id| seen.insert(*id))
            .collect();
        if next.is_empty() {
            break;
        }
        order.extend(&next);
        if order.len() >= MAX_LOCAL {
            order.truncate(MAX_LOCAL);
            break;
        }
        frontier = next;
    }
    Ok(order)
}

/// The graph `viewer` sees of the notes `select` picks, only notes with `tag` when given:
/// the notes, their tags and the errors they are on, each node sized by its edges.
pub async fn graph(
    store: &Store,
    viewer: i64,
    select: &GraphSelect,
    tag: Option<&str>,
) -> Result<Graph> {
    let data = store.note_graph(viewer, select, tag).await?;
    let errors: HashMap<i64, (&String, &String)> = data
        .errors
        .iter()
        .map(|(id, ty, status)| (*id, (ty, status)))
        .collect();
    let mut edges = Vec::new();
    let mut nodes: BTreeMap<String, GraphNode> = BTreeMap::new();
    for n in &data.notes {
        let id = format!("note:{}", n.id);
        nodes.insert(
            id.clone(),
            GraphNode {
                id: id.clone(),
                kind: "note".into(),
                label: n.title.clone(),
                degree: 0,
                mine: Some(n.author_id == viewer),
                author: Some(n.author.clone()),
                detail: Some(n.kind.as_str().into()),
            },
        );
        for t in &n.tags {
            let tid = format!("tag:{t}");
            nodes.entry(tid.clone()).or_insert_with(|| GraphNode {
                id: tid.clone(),
                kind: "tag".into(),
                label: format!("#{t}"),
                degree: 0,
                mine: None,
                author: None,
                detail: None,
            });
            edges.push(GraphEdge {
                source: id.clone(),
                target: tid,
                kind: "tag".into(),
            });
        }
        if let Some((eid, (ty, status))) = n
            .error_id
            .and_then(|e| errors.get(&e).map(|found| (e, *found)))
        {
            let nid = format!("error:{eid}");
            nodes.entry(nid.clone()).or_insert_with(|| GraphNode {
                id: nid.clone(),
                kind: "error".into(),
                label: (*ty).clone(),
                degree: 0,
                mine: None,
                author: None,
                detail: Some((*status).clone()),
            });
            edges.push(GraphEdge {
                source: id.clone(),
                target: nid,
                kind: "error".into(),
            });
        }
    }
    for (s, t) in &data.links {
        edges.push(GraphEdge {
            source: format!("note:{s}"),
            target: format!("note:{t}"),
            kind: "link".into(),
        });
    }
    for e in &edges {
        for end in [&e.source, &e.target] {
            if let Some(n) = nodes.get_mut(end) {
                n.degree += 1;
            }
        }
    }
    Ok(Graph {
        nodes: nodes.into_values().collect(),
        edges,
    })
}
