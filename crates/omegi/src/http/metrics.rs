//! `GET /metrics`: this node's metrics in the Prometheus text format, for a scraper holding
//! `--metrics-token` or a signed-in admin; and the middleware that times every request by
//! its route.

use std::time::Instant;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::CurrentUser;
use super::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// Spans received, stored and refused by protocol and reason, the span queue, commit
/// latency, pending traces and assembly lag, occurrences, live streams and HTTP latency by
/// route. Send `Authorization: Bearer <--metrics-token>`, or be signed in as an admin.
#[utoipa::path(get, path = "/metrics", tag = "health", security(("ingest_token" = []), ("session" = [])),
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
async fn metrics(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let (mut parts, _) = request.into_parts();
    let bearer = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (bearer, state.config.metrics_token.as_deref()) {
        (Some(given), Some(token)) if same(given, token) => {}
        (Some(_), _) => return Err(ApiError::unauthorized("not the metrics token")),
        (None, _) => CurrentUser::from_request_parts(&mut parts, &state)
            .await?
            .require_admin()?,
    }
    let body = state.ingest.metrics.render();
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
        .into_response())
}

/// Compares digests, so the time taken says nothing about the token.
fn same(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// Times each request under its route pattern (never the raw path, which would make a
/// series per id). A route layer: only matched routes pass through it.
pub async fn timed(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let Some(route) = request.extensions().get::<MatchedPath>().cloned() else {
        return next.run(request).await;
    };
    let response = next.run(request).await;
    state.ingest.metrics.request(
        method.as_str(),
        route.as_str(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
