//! Views over the whole knowledge base: tags, the graph, note statistics, and the notes
//! that may explain an error ("solved before?").

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, OrNotFound};
use super::extract::{ApiPath, ApiQuery, CurrentUser};
use super::views::NoteStatsView;
use super::AppState;
use crate::model::{normalize_tag, NoteSummary};
use crate::store::NoteFilter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tags))
        .routes(routes!(graph))
        .routes(routes!(note_stats))
        .routes(routes!(error_notes))
}

#[derive(Serialize, ToSchema)]
struct TagCount {
    tag: String,
    notes: i64,
}

/// Tags of the notes the caller can read, most used first.
#[utoipa::path(get, path = "/api/tags", tag = "notes",
    responses((status = 200, body = [TagCount]), (status = 401, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn tags(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<TagCount>>, ApiError> {
    let rows = state.store.tags_for(user.id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(tag, notes)| TagCount { tag, notes })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct GraphQuery {
    /// `mine` (default): the caller's notes and the notes linked to or from them; `all`:
    /// every note the caller can read.
    scope: Option<String>,
    /// Only notes with this tag.
    tag: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct Graph {
    nodes: Vec<GraphNode>,
    edges: Vec<GraphEdge>,
}

#[derive(Serialize, ToSchema)]
struct GraphNode {
    /// `note:12`, `tag:postgres`, `error:7`.
    id: String,
    /// `note`, `tag` or `error`.
    kind: String,
    label: String,
    /// Edges touching this node, to size it.
    degree: usize,
    /// For notes: written by the caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    mine: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    /// For notes: `error` or `general`; for errors: the error's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct GraphEdge {
    source: String,
    target: String,
    /// `link` (note to note), `tag` (note to tag) or `error` (note to the error it is about).
    kind: String,
}

/// Notes, tags and errors as a graph.
#[utoipa::path(get, path = "/api/notes/graph", tag = "notes", params(GraphQuery),
    responses((status = 200, body = Graph), (status = 400, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn graph(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<GraphQuery>,
) -> Result<Json<Graph>, ApiError> {
    let mine = match q.scope.as_deref().unwrap_or("mine") {
        "mine" => true,
        "all" => false,
        other => {
            return Err(ApiError::invalid(
                "scope",
                format!("{other:?} is not mine or all"),
            ))
        }
    };
    let tag = q.tag.map(|t| normalize_tag(&t)).filter(|t| !t.is_empty());
    let data = state
        .store
        .note_graph(user.id, mine, tag.as_deref())
        .await?;
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
                mine: Some(n.author_id == user.id),
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
        if let Some((eid, ty, status)) = n
            .error_id
            .and_then(|e| data.errors.iter().find(|(id, _, _)| *id == e))
        {
            let nid = format!("error:{eid}");
            nodes.entry(nid.clone()).or_insert_with(|| GraphNode {
                id: nid.clone(),
                kind: "error".into(),
                label: ty.clone(),
                degree: 0,
                mine: None,
                author: None,
                detail: Some(status.clone()),
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
    Ok(Json(Graph {
        nodes: nodes.into_values().collect(),
        edges,
    }))
}

/// The caller's knowledge-base statistics for the dashboard.
#[utoipa::path(get, path = "/api/notes/stats", tag = "notes",
    responses((status = 200, body = NoteStatsView), (status = 401, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn note_stats(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<NoteStatsView>, ApiError> {
    Ok(Json(state.store.note_stats(user.id).await?.into()))
}

#[derive(Serialize, ToSchema)]
struct ErrorNote {
    /// `this_error`: written on this error; `same_type`: on another error of the same
    /// exception type in the caller's projects; `text_match`: mentions words of the message.
    reason: String,
    note: NoteSummary,
}

/// Notes for an error: its own first, then notes on errors of the same type ("solved
/// before?"), then notes whose text matches the error message.
#[utoipa::path(get, path = "/api/errors/{id}/notes", tag = "errors",
    params(("id" = i64, Path, description = "Error id")),
    responses((status = 200, body = [ErrorNote]), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn error_notes(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<ErrorNote>>, ApiError> {
    let error = state
        .store
        .error_for(user.id, id)
        .await
        .or_404(format_args!("error {id}"))?;
    let own = state
        .store
        .search_notes(
            user.id,
            &NoteFilter {
                error: Some(id),
                limit: 100,
                ..Default::default()
            },
        )
        .await?;
    let same_type = state
        .store
        .notes_on_errors_of_type(user.id, id, &error.exception_type, 20)
        .await?;
    let mut out: Vec<ErrorNote> = Vec::new();
    let push = |reason: &str, notes: Vec<NoteSummary>, out: &mut Vec<ErrorNote>| {
        for note in notes {
            if !out.iter().any(|e| e.note.id == note.id) {
                out.push(ErrorNote {
                    reason: reason.into(),
                    note,
                });
            }
        }
    };
    push("this_error", own, &mut out);
    push("same_type", same_type, &mut out);
    let words: Vec<&str> = error
        .message
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3 && !w.chars().all(|c| c.is_ascii_digit()))
        .take(12)
        .collect();
    if !words.is_empty() {
        let matches = state
            .store
            .search_notes(
                user.id,
                &NoteFilter {
                    q: Some(words.join(" ")),
                    any_word: true,
                    exclude: out.iter().map(|e| e.note.id).collect(),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await?;
        push("text_match", matches, &mut out);
    }
    Ok(Json(out))
}
