//! Error groups, their occurrences (Trace, Summary, Log) and stored traces.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, OrNotFound};
use super::extract::{page_limit, parse_time, ApiJson, ApiPath, ApiQuery, CurrentUser};
use super::AppState;
use crate::knowledge::resolution::{Resolved, Told};
use crate::model::{
    now_ms, rfc3339, ErrorGroup, ErrorStatus, Occurrence, Summary, TraceView, Visibility,
};
use crate::pipeline::trace_view::trace_view;
use crate::store::{ErrorFilter, ErrorSort, OccurrenceRecord, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_errors))
        .routes(routes!(get_error, update_error))
        .routes(routes!(list_occurrences))
        .routes(routes!(get_occurrence))
        .routes(routes!(get_trace))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ErrorQuery {
    /// Only this project.
    project: Option<i64>,
    /// Only this service.
    service: Option<String>,
    /// `unresolved`, `resolved` or `ignored`.
    status: Option<ErrorStatus>,
    /// Only this exception type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    exception_type: Option<String>,
    /// Text in the exception type or message.
    q: Option<String>,
    /// Only errors that occurred in this trace (32 hexadecimal digits).
    trace: Option<String>,
    /// Only errors with an occurrence in this deployment environment.
    environment: Option<String>,
    /// Only errors with an occurrence of this release (`service.version`).
    release: Option<String>,
    /// Seen at or after this time (RFC 3339).
    since: Option<String>,
    /// First seen at or before this time (RFC 3339).
    until: Option<String>,
    /// `last_seen` (default), `first_seen` or `count`; newest or most first.
    sort: Option<ErrorSort>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Rows per page (1–500, default 50).
    limit: Option<i64>,
}

/// One page of the error list.
#[derive(Serialize, ToSchema)]
struct ErrorPage {
    errors: Vec<ErrorGroup>,
    /// Pass as `cursor` for the next page; absent on the last page.
    next_cursor: Option<String>,
}

/// A trace id as stored: 32 hexadecimal digits, lowercase.
fn trace_id(field: &'static str, id: &str) -> Result<String, ApiError> {
    let id = id.trim().to_ascii_lowercase();
    if id.len() != 32 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::invalid(field, "must be 32 hexadecimal digits"));
    }
    Ok(id)
}

fn parse_cursor(cursor: &str) -> Result<(i64, i64), ApiError> {
    cursor
        .split_once('_')
        .and_then(|(v, id)| Some((v.parse().ok()?, id.parse().ok()?)))
        .ok_or_else(|| ApiError::invalid("cursor", "not a cursor this endpoint returned"))
}

/// Error groups of the caller's projects, filtered, sorted and paged by cursor.
#[utoipa::path(get, path = "/api/errors", tag = "errors", params(ErrorQuery),
    responses(
        (status = 200, body = ErrorPage),
        (status = 400, description = "Bad filter value", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn list_errors(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<ErrorQuery>,
) -> Result<Json<ErrorPage>, ApiError> {
    let sort = q.sort.unwrap_or(ErrorSort::LastSeen);
    let filter = ErrorFilter {
        project: q.project,
        service: q.service.filter(|s| !s.is_empty()),
        status: q.status,
        exception_type: q.exception_type.filter(|s| !s.is_empty()),
        q: q.q.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        trace: q
            .trace
            .as_deref()
            .map(|t| trace_id("trace", t))
            .transpose()?,
        environment: q.environment.filter(|s| !s.is_empty()),
        release: q.release.filter(|s| !s.is_empty()),
        since: q
            .since
            .as_deref()
            .map(|v| parse_time("since", v))
            .transpose()?,
        until: q
            .until
            .as_deref()
            .map(|v| parse_time("until", v))
            .transpose()?,
        sort,
        after: q.cursor.as_deref().map(parse_cursor).transpose()?,
        limit: page_limit(q.limit, 50)?,
    };
    let rows = state.store.errors_for(user.id, &filter).await?;
    let next_cursor = (rows.len() as i64 == filter.limit)
        .then(|| {
            rows.last()
                .map(|(_, k)| format!("{}_{}", sort.value(k), k.id))
        })
        .flatten();
    Ok(Json(ErrorPage {
        errors: rows.into_iter().map(|(e, _)| e).collect(),
        next_cursor,
    }))
}

/// An error group with its latest occurrence.
#[derive(Serialize, ToSchema)]
struct ErrorDetail {
    #[serde(flatten)]
    error: ErrorGroup,
    /// Null when every occurrence is older than the retention and was deleted; the group,
    /// its counts and notes are kept.
    latest: Option<Occurrence>,
}

#[utoipa::path(get, path = "/api/errors/{id}", tag = "errors",
    params(("id" = i64, Path, description = "Error id")),
    responses((status = 200, body = ErrorDetail), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
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
    let latest = match state.store.latest_occurrence(id).await {
        Ok(row) => Some(occurrence(&state, row).await?),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(Json(ErrorDetail { error, latest }))
}

#[derive(Deserialize, ToSchema)]
struct StatusChange {
    status: ErrorStatus,
    /// Only with `status: resolved`, and optional: how it was resolved. Saved as an error
    /// note (tagged `resolution`) pinned on the error, and told when the error regresses.
    resolution: Option<ResolutionBody>,
}

#[derive(Deserialize, ToSchema)]
struct ResolutionBody {
    /// What caused the error (Markdown).
    #[serde(default)]
    cause: String,
    /// What fixed it (Markdown). A cause or a fix is required.
    #[serde(default)]
    fix: String,
    /// The commit or pull request of the fix: an http(s) URL.
    fix_link: Option<String>,
    /// The release the fix shipped in (`service.version`).
    release: Option<String>,
    /// Of the note; default `public` (readable by every signed-in user, like any public
    /// note), or `private` (the resolver's alone).
    visibility: Option<Visibility>,
}

/// Resolves, ignores or re-opens an error; records who and when. Resolving may tell how
/// (cause, fix, release): the note it becomes is returned in `resolution`.
#[utoipa::path(patch, path = "/api/errors/{id}", tag = "errors", request_body = StatusChange,
    params(("id" = i64, Path, description = "Error id")),
    responses(
        (status = 200, body = ErrorGroup),
        (status = 400, description = "A resolution without resolving, or an invalid field of it", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn update_error(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<StatusChange>,
) -> Result<Json<ErrorGroup>, ApiError> {
    let error = state
        .store
        .error_for(user.id, id)
        .await
        .or_404(format_args!("error {id}"))?;
    let resolution = match body.resolution {
        None => None,
        Some(_) if body.status != ErrorStatus::Resolved => {
            return Err(ApiError::invalid(
                "resolution",
                "only given when the status is resolved",
            ))
        }
        Some(r) => Some(
            Told {
                cause: r.cause,
                fix: r.fix,
                fix_link: r.fix_link,
                release: r.release,
                visibility: r.visibility.unwrap_or(Visibility::Public),
            }
            .resolution(&Resolved {
                id,
                exception_type: &error.exception_type,
                service: &error.service,
            })
            .map_err(|p| ApiError::invalid(p.field, p.problem))?,
        ),
    };
    state
        .store
        .set_error_status(
            error.project_id,
            id,
            body.status,
            user.id,
            now_ms(),
            resolution.as_ref(),
        )
        .await?;
    state.live.notify();
    Ok(Json(state.store.error_for(user.id, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct OccurrenceQuery {
    limit: Option<i64>,
}

/// Occurrences of an error, newest first (summary and log; the trace is on the occurrence).
#[utoipa::path(get, path = "/api/errors/{id}/occurrences", tag = "errors",
    params(("id" = i64, Path, description = "Error id"), OccurrenceQuery),
    responses((status = 200, body = [OccurrenceListItem]), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
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
    let rows = state
        .store
        .occurrences(id, page_limit(q.limit, 50)?)
        .await?;
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
    /// The failing service's deployment environment, when it sent one.
    environment: Option<String>,
    /// The failing service's `service.version`, when it sent one.
    release: Option<String>,
    summary: Summary,
}

impl From<OccurrenceRecord> for OccurrenceListItem {
    fn from(r: OccurrenceRecord) -> Self {
        OccurrenceListItem {
            id: r.id,
            trace_id: r.trace_id,
            span_id: r.span_id,
            occurred_at: rfc3339(r.occurred_at),
            environment: r.summary.deployment_environment(),
            release: r.summary.release(),
            summary: r.summary,
        }
    }
}

/// One occurrence: Trace (span tree across services, failing path marked), Summary and Log.
#[utoipa::path(get, path = "/api/occurrences/{id}", tag = "errors",
    params(("id" = i64, Path, description = "Occurrence id")),
    responses((status = 200, body = Occurrence), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
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

async fn occurrence(state: &AppState, row: OccurrenceRecord) -> Result<Occurrence, ApiError> {
    let (spans, stored) = state
        .store
        .trace_spans(
            row.project_id,
            &row.trace_id,
            state.config.max_spans_per_trace,
        )
        .await?;
    let trace = trace_view(
        row.project_id,
        &row.trace_id,
        spans,
        stored,
        Some(&row.span_id),
    );
    Ok(Occurrence {
        id: row.id,
        error_id: row.error_id,
        project_id: row.project_id,
        trace_id: row.trace_id,
        span_id: row.span_id,
        occurred_at: rfc3339(row.occurred_at),
        summary: row.summary,
        log: row.log,
        trace,
    })
}

/// Any stored trace of the caller's projects, error or not.
#[utoipa::path(get, path = "/api/traces/{trace_id}", tag = "errors",
    params(("trace_id" = String, Path, description = "Trace id, 32 hex digits")),
    responses(
        (status = 200, body = TraceView),
        (status = 400, description = "Not 32 hexadecimal digits", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn get_trace(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(trace_id): ApiPath<String>,
) -> Result<Json<TraceView>, ApiError> {
    let trace_id = self::trace_id("trace_id", &trace_id)?;
    let projects = state.store.trace_projects_for(user.id, &trace_id).await?;
    let project = *projects
        .first()
        .ok_or_else(|| ApiError::not_found(format_args!("trace {trace_id}")))?;
    let (spans, stored) = state
        .store
        .trace_spans(project, &trace_id, state.config.max_spans_per_trace)
        .await?;
    Ok(Json(trace_view(project, &trace_id, spans, stored, None)))
}
