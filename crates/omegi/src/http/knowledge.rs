//! Views over the whole knowledge base: tags, the graph, note statistics, and the notes
//! that may explain an error ("solved before?").

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, OrNotFound};
use super::extract::{ApiPath, ApiQuery, CurrentUser};
use super::AppState;
use crate::knowledge::{self, suggest};
use crate::model::{normalize_tag, Graph, Suggestion};
use crate::store::{GraphSelect, NoteScope, NoteStats};

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
    /// A note's local graph: the notes at most `depth` links from this note, either way
    /// (`scope` is then ignored).
    around: Option<i64>,
    /// 1 to 3, default 2; only with `around`.
    depth: Option<u32>,
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
    let select = match (q.around, q.scope.as_deref().unwrap_or("mine")) {
        (Some(centre), _) => {
            let depth = q.depth.unwrap_or(2);
            if !(1..=knowledge::MAX_DEPTH).contains(&depth) {
                return Err(ApiError::invalid(
                    "depth",
                    format!("1 to {}", knowledge::MAX_DEPTH),
                ));
            }
            state
                .store
                .note_author(user.id, centre)
                .await
                .or_404(format_args!("note {centre}"))?;
            GraphSelect::Notes(
                knowledge::neighbourhood(&state.store, user.id, centre, depth).await?,
            )
        }
        (None, "mine") => GraphSelect::Mine,
        (None, "all") => GraphSelect::All,
        (None, other) => {
            return Err(ApiError::invalid(
                "scope",
                format!("{other:?} is not mine or all"),
            ))
        }
    };
    let tag = q.tag.map(|t| normalize_tag(&t)).filter(|t| !t.is_empty());
    Ok(Json(
        knowledge::graph(&state.store, user.id, &select, tag.as_deref()).await?,
    ))
}

/// The caller's knowledge-base statistics for the dashboard.
#[utoipa::path(get, path = "/api/notes/stats", tag = "notes",
    responses((status = 200, body = NoteStats), (status = 401, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn note_stats(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<NoteStats>, ApiError> {
    Ok(Json(state.store.note_stats(user.id).await?))
}

/// Notes for an error, each with why: its own first, then notes on the error that caused
/// it in another service (same trace), then notes on errors sharing enough of its features
/// (fingerprint, type, masked message, the application's top frames, operation, route, the
/// failing call), best first, then general notes naming its exception type ("solved
/// before?"). Only notes the caller can read, on errors of the caller's projects.
#[utoipa::path(get, path = "/api/errors/{id}/notes", tag = "errors",
    params(("id" = i64, Path, description = "Error id")),
    responses((status = 200, body = [Suggestion]), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn error_notes(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<Suggestion>>, ApiError> {
    state
        .store
        .error_for(user.id, id)
        .await
        .or_404(format_args!("error {id}"))?;
    let scope = NoteScope {
        viewer: user.id,
        project: None,
    };
    Ok(Json(suggest::suggestions(&state.store, scope, id).await?))
}
