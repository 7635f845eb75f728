//! What the dashboard draws: the service-flow map and error statistics.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access;
use super::error::{ApiError, ErrorBody, OrNotFound};
use super::extract::{page_limit, parse_time};
use super::extract::{ApiPath, ApiQuery, CurrentUser};
use super::AppState;
use crate::model::{now_ms, rfc3339};
use crate::model::{ServiceMap, TraceSummary};
use crate::service_map;
use crate::store::{NoteStats, TraceFilter};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(service_map))
        .routes(routes!(list_traces))
        .routes(routes!(stats))
        .routes(routes!(error_stats))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Range {
    /// Start (RFC 3339); default 24 hours before `until`.
    since: Option<String>,
    /// End (RFC 3339); default now.
    until: Option<String>,
}

const DAY_MS: i64 = 24 * 3600 * 1000;

impl Range {
    fn resolve(&self) -> Result<(i64, i64), ApiError> {
        let until = match &self.until {
            Some(v) => parse_time("until", v)?,
            None => now_ms(),
        };
        let since = match &self.since {
            Some(v) => parse_time("since", v)?,
            None => until - DAY_MS,
        };
        if since > until {
            return Err(ApiError::invalid("since", "must not be after until"));
        }
        Ok((since, until))
    }
}

/// Services as nodes and calls between them as edges, over a time range.
#[utoipa::path(get, path = "/api/projects/{id}/service-map", tag = "dashboard",
    params(("id" = i64, Path, description = "Project id"), Range),
    responses((status = 200, body = ServiceMap), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn service_map(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(range): ApiQuery<Range>,
) -> Result<Json<ServiceMap>, ApiError> {
    access::member(&state, &user, id).await?;
    let (since, until) = range.resolve()?;
    Ok(Json(
        service_map::build(&state.store, user.id, id, since, until).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TraceQuery {
    /// Start (RFC 3339); default 24 hours before `until`.
    since: Option<String>,
    /// End (RFC 3339); default now.
    until: Option<String>,
    /// Traces with a call from this service (or peer).
    caller: Option<String>,
    /// Traces with a call to this service (or peer).
    callee: Option<String>,
    /// Traces this service took part in (ignored when `caller` or `callee` is given).
    service: Option<String>,
    /// Only traces where that call, that service's request, or anything failed.
    #[serde(default)]
    failing: bool,
    /// At most this many (1-500, default 50).
    limit: Option<i64>,
}

/// Stored traces of a project, newest first: the calls behind a service map edge or node.
#[utoipa::path(get, path = "/api/projects/{id}/traces", tag = "dashboard",
    params(("id" = i64, Path, description = "Project id"), TraceQuery),
    responses((status = 200, body = Vec<TraceSummary>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn list_traces(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TraceQuery>,
) -> Result<Json<Vec<TraceSummary>>, ApiError> {
    access::member(&state, &user, id).await?;
    let (since_ms, until_ms) = Range {
        since: q.since,
        until: q.until,
    }
    .resolve()?;
    let filter = TraceFilter {
        project: id,
        since_ms,
        until_ms,
        caller: q.caller,
        callee: q.callee,
        service: q.service,
        failing: q.failing,
        limit: page_limit(q.limit, 50)?,
    };
    Ok(Json(state.store.traces(&filter).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct StatsQuery {
    /// One project; default all of the caller's projects.
    project: Option<i64>,
    since: Option<String>,
    until: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct Stats {
    since: String,
    until: String,
    /// Size of each timeline bucket, chosen from the range.
    bucket_seconds: i64,
    /// Occurrences per bucket, every bucket of the range present.
    timeline: Vec<TimelinePoint>,
    by_service: Vec<Count>,
    by_type: Vec<Count>,
    unresolved: i64,
    resolved: i64,
    ignored: i64,
    /// The caller's notes: error notes, general notes, links.
    notes: NoteStats,
}

#[derive(Serialize, ToSchema)]
struct TimelinePoint {
    start: String,
    occurrences: i64,
}

#[derive(Serialize, ToSchema)]
struct Count {
    name: String,
    occurrences: i64,
}

/// Bucket sizes a chart reads well with; the smallest giving at most 60 buckets is used.
const BUCKETS_S: &[i64] = &[
    60,
    300,
    900,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    7 * 86_400,
];

fn bucket_ms(range_ms: i64) -> i64 {
    let s = BUCKETS_S
        .iter()
        .copied()
        .find(|s| range_ms / (s * 1000) <= 60)
        .unwrap_or(30 * 86_400);
    s * 1000
}

/// Errors over time, by service and by type, and error groups by status.
#[utoipa::path(get, path = "/api/stats", tag = "dashboard", params(StatsQuery),
    responses((status = 200, body = Stats), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn stats(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> Result<Json<Stats>, ApiError> {
    if let Some(project) = q.project {
        access::member(&state, &user, project).await?;
    }
    let (since, until) = Range {
        since: q.since,
        until: q.until,
    }
    .resolve()?;
    let bucket = bucket_ms(until - since);
    let data = state
        .store
        .stats(user.id, q.project, since, until, bucket)
        .await?;
    let timeline = timeline(since, until, bucket, &data.timeline);
    let count = |rows: Vec<(String, i64)>| {
        rows.into_iter()
            .map(|(name, occurrences)| Count { name, occurrences })
            .collect()
    };
    let status = |s: &str| {
        data.by_status
            .iter()
            .find(|(k, _)| k == s)
            .map_or(0, |(_, n)| *n)
    };
    Ok(Json(Stats {
        since: rfc3339(since),
        until: rfc3339(until),
        bucket_seconds: bucket / 1000,
        unresolved: status("unresolved"),
        resolved: status("resolved"),
        ignored: status("ignored"),
        timeline,
        by_service: count(data.by_service),
        by_type: count(data.by_type),
        notes: state.store.note_stats(user.id).await?,
    }))
}

/// Every bucket of the range, with the occurrences counted in `counts` (bucket index, n).
fn timeline(since: i64, until: i64, bucket: i64, counts: &[(i64, i64)]) -> Vec<TimelinePoint> {
    (0..(until - since) / bucket + 1)
        .map(|i| TimelinePoint {
            start: rfc3339(since + i * bucket),
            occurrences: counts.iter().find(|(b, _)| *b == i).map_or(0, |(_, n)| *n),
        })
        .collect()
}

#[derive(Serialize, ToSchema)]
struct ErrorStats {
    since: String,
    until: String,
    bucket_seconds: i64,
    /// Occurrences per bucket, every bucket of the range present.
    timeline: Vec<TimelinePoint>,
    /// Occurrences per deployment environment, most first; `name` is null where the service
    /// sent none.
    environments: Vec<Facet>,
    /// Occurrences per release (`service.version`), most first.
    releases: Vec<Facet>,
}

#[derive(Serialize, ToSchema)]
struct Facet {
    name: Option<String>,
    occurrences: i64,
}

/// One error's occurrences over a time range (default the last 24 hours): a chart, and how
/// they split by environment and release.
#[utoipa::path(get, path = "/api/errors/{id}/stats", tag = "errors",
    params(("id" = i64, Path, description = "Error id"), Range),
    responses((status = 200, body = ErrorStats), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn error_stats(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(range): ApiQuery<Range>,
) -> Result<Json<ErrorStats>, ApiError> {
    state
        .store
        .error_for(user.id, id)
        .await
        .or_404(format_args!("error {id}"))?;
    let (since, until) = range.resolve()?;
    let bucket = bucket_ms(until - since);
    let data = state.store.error_stats(id, since, until, bucket).await?;
    let facets = |rows: Vec<(Option<String>, i64)>| {
        rows.into_iter()
            .map(|(name, occurrences)| Facet { name, occurrences })
            .collect()
    };
    Ok(Json(ErrorStats {
        since: rfc3339(since),
        until: rfc3339(until),
        bucket_seconds: bucket / 1000,
        timeline: timeline(since, until, bucket, &data.timeline),
        environments: facets(data.environments),
        releases: facets(data.releases),
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn buckets_fit_the_range() {
        assert_eq!(super::bucket_ms(3600 * 1000), 60_000);
        assert_eq!(super::bucket_ms(24 * 3600 * 1000), 1800 * 1000);
    }
}
