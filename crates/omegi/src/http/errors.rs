//! Error groups, their occurrences (Trace, Summary, Log) and stored traces.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, OrNotFound};
use super::extract::{ApiJson, ApiPath, ApiQuery, CurrentUser};
use super::AppState;
use crate::model::{now_ms, rfc3339, ErrorGroup, ErrorStatus, Occurrence, TraceView};
use crate::pipeline::trace_view::trace_view;
use crate::store::{ErrorFilter, OccurrenceRow};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_errors))
        .routes(routes!(get_error, update_error))
        .routes(routes!(list_occurrences))
        .routes(routes!(get_occurrence))
        .routes(routes!(get_trace))
}

#[derive(Deserialize, IntoParams)]
struct ErrorQuery {
    /// Only this project.
    project: Option<i64>,
    /// `unresolved`, `resolved` or `ignored`.
    status: Option<ErrorStatus>,
    /// At most this many (1–500, default 100).
    limit: Option<i64>,
}

fn limit(requested: Option<i64>, default: i64) -> Result<i64, ApiError> {
    match requested {
        None => Ok(default),
        Some(n) if (1..=500).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid("limit", "must be between 1 and 500")),
    }
}

/// Error groups of the caller's projects, most recently seen first.
#[utoipa::path(get, path = "/api/errors", tag = "errors", params(ErrorQuery),
    responses((status = 200, body = [ErrorGroup]), (status = 401, body = ErrorBody)))]
async fn list_errors(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<ErrorQuery>,
) -> Result<Json<Vec<ErrorGroup>>, ApiError> {
    let filter = ErrorFilter {
        project: q.project,
        status: q.status,
        limit: limit(q.limit, 100)?,
    };
    Ok(Json(state.store.errors_for(user.id, &filter).await?))
}

/// An error group with its latest occurrence.
#[derive(Serialize, ToSchema)]
struct ErrorDetail {
    #[serde(flatten)]
    error: ErrorGroup,
    latest: Occurrence,
}

#[utoipa::path(get, path = "/api/errors/{id}", tag = "errors",
    params(("id" = i64, Path, description = "Error id")),
    responses((status = 200, body = ErrorDetail), (status = 404, body = ErrorBody)))]
async fn get_error(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ErrorDetail>, ApiError> {
    let error = state
        .store
        .error_for(user.id, id)
        .await
        .or_404(format_args!("error {id}"))?;
    let row = state
        .store
        .latest_occurrence(id)
        .await
        .or_404(format_args!("error {id}"))?;
    let latest = occurrence(&state, row).await?;
    Ok(Json(ErrorDetail { error, latest }))
}

#[derive(Deserialize, ToSchema)]
struct StatusChange {
    status: ErrorStatus,
}

/// Resolves, ignores or re-opens an error; records who and when.
#[utoipa::path(patch, path = "/api/errors/{id}", tag = "errors", request_body = StatusChange,
    params(("id" = i64, Path, description = "Error id")),
    responses((status = 200, body = ErrorGroup), (status = 404, body = ErrorBody)))]
async fn update_error(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StatusChange>,
) -> Result<Json<ErrorGroup>, ApiError> {
    state
        .store
        .error_for(user.id, id)
        .await
        .or_404(format_args!("error {id}"))?;
    state
        .store
        .set_error_status(id, body.status, user.id, now_ms())
        .await?;
    Ok(Json(state.store.error_for(user.id, id).await?))
}

#[derive(Deserialize, IntoParams)]
struct OccurrenceQuery {
    limit: Option<i64>,
}

/// Occurrences of an error, newest first (summary and log; the trace is on the occurrence).
#[utoipa::path(get, path = "/api/errors/{id}/occurrences", tag = "errors",
    params(("id" = i64, Path, description = "Error id"), OccurrenceQuery),
    responses((status = 200, body = [OccurrenceListItem]), (status = 404, body = ErrorBody)))]
async fn list_occurrences(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<OccurrenceQuery>,
) -> Result<Json<Vec<OccurrenceListItem>>, ApiError> {
    state
        .store
        .error_for(user.id, id)
        .await
        .or_404(format_args!("error {id}"))?;
    let rows = state.store.occurrences(id, limit(q.limit, 50)?).await?;
    Ok(Json(
        rows.into_iter().map(OccurrenceListItem::from).collect(),
    ))
}

#[derive(Serialize, ToSchema)]
struct OccurrenceListItem {
    id: i64,
    trace_id: String,
    span_id: String,
    occurred_at: String,
    #[schema(value_type = Object)]
    summary: serde_json::Value,
}

impl From<OccurrenceRow> for OccurrenceListItem {
    fn from(r: OccurrenceRow) -> Self {
        OccurrenceListItem {
            id: r.id,
            trace_id: r.trace_id,
            span_id: r.span_id,
            occurred_at: rfc3339(r.occurred_at),
            summary: serde_json::from_str(&r.summary).unwrap_or_default(),
        }
    }
}

/// One occurrence: Trace (span tree across services, failing path marked), Summary and Log.
#[utoipa::path(get, path = "/api/occurrences/{id}", tag = "errors",
    params(("id" = i64, Path, description = "Occurrence id")),
    responses((status = 200, body = Occurrence), (status = 404, body = ErrorBody)))]
async fn get_occurrence(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Occurrence>, ApiError> {
    let row = state
        .store
        .occurrence_for(user.id, id)
        .await
        .or_404(format_args!("occurrence {id}"))?;
    Ok(Json(occurrence(&state, row).await?))
}

async fn occurrence(state: &AppState, row: OccurrenceRow) -> Result<Occurrence, ApiError> {
    let spans = state
        .store
        .trace_spans(row.project_id, &row.trace_id)
        .await?;
    let trace = trace_view(row.project_id, &row.trace_id, spans, Some(&row.span_id));
    Ok(Occurrence {
        id: row.id,
        error_id: row.error_id,
        project_id: row.project_id,
        trace_id: row.trace_id,
        span_id: row.span_id,
        occurred_at: rfc3339(row.occurred_at),
        summary: serde_json::from_str(&row.summary).unwrap_or_default(),
        log: serde_json::from_str(&row.log).unwrap_or_default(),
        trace,
    })
}

/// Any stored trace of the caller's projects, error or not.
#[utoipa::path(get, path = "/api/traces/{trace_id}", tag = "errors",
    params(("trace_id" = String, Path, description = "Trace id, 32 hex digits")),
    responses((status = 200, body = TraceView), (status = 404, body = ErrorBody)))]
async fn get_trace(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(trace_id): ApiPath<String>,
) -> Result<Json<TraceView>, ApiError> {
    let trace_id = trace_id.to_ascii_lowercase();
    if trace_id.len() != 32 || !trace_id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::invalid(
            "trace_id",
            "must be 32 hexadecimal digits",
        ));
    }
    let projects = state.store.trace_projects_for(user.id, &trace_id).await?;
    let project = *projects
        .first()
        .ok_or_else(|| ApiError::not_found(format_args!("trace {trace_id}")))?;
    let spans = state.store.trace_spans(project, &trace_id).await?;
    Ok(Json(trace_view(project, &trace_id, spans, None)))
}
