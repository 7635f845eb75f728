//! The knowledge base as a graph: notes (the viewer's own, and what links to or from them, or
//! every note they can see), their tags and the errors they are about, each node sized by its
//! edges.

use std::collections::{BTreeMap, HashMap};

use crate::model::{Graph, GraphEdge, GraphNode};
use crate::store::{Result, Store};

/// The words of an error message worth searching notes for ("solved before?"): at least three
/// characters, not plain numbers, the first twelve.
pub fn message_words(message: &str) -> Vec<&str> {
    message
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3 && !w.chars().all(|c| c.is_ascii_digit()))
        .take(12)
        .collect()
}

/// The graph `viewer` sees: `mine` for their notes and their neighbours, else every visible
/// note; only notes with `tag` when given.
pub async fn graph(store: &Store, viewer: i64, mine: bool, tag: Option<&str>) -> Result<Graph> {
    let data = store.note_graph(viewer, mine, tag).await?;
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
