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
use crate::knowledge;
use crate::model::{normalize_tag, Graph, NoteSummary};
use crate::store::{NoteFilter, NoteStats};

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
    Ok(Json(
        knowledge::graph(&state.store, user.id, mine, tag.as_deref()).await?,
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
    let words = knowledge::message_words(&error.message);
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
