//! Sentry SDKs send here by changing only their DSN: `POST /api/{project}/envelope/` and the
//! legacy `POST /api/{project}/store/`, authenticated by the DSN's public key (`X-Sentry-Auth`,
//! `Authorization: Sentry …`, or `?sentry_key=`). Bodies may be gzip, deflate or br; the size
//! limit applies after decompression. Success is 200 `{"id": "<event id>"}`, stored first;
//! overload is 429 with `Retry-After`, which the SDKs honour. Open to any origin (CORS), as
//! browser SDKs need.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::routing::{options, post};
use axum::Json;
use serde::{Deserialize, Serialize};
use tower_http::cors::{Any, CorsLayer};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::otlp::read_body;
use super::AppState;
use crate::metrics::Protocol;
use crate::pipeline::writer::WriteError;
use crate::sentry::{self, Accepted};
use crate::store::SentryKeyOwner;

/// The header Sentry SDKs authenticate with.
const SENTRY_AUTH: &str = "x-sentry-auth";

/// Whether a path is one of these endpoints (authenticated by DSN key, open to any origin).
pub fn is_sentry_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/api/") else {
        return false;
    };
    let mut parts = rest.trim_end_matches('/').split('/');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(id), Some("envelope" | "store"), None) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
    )
}

pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    let budget = state.ingest.budget.clone();
    let max_body = state.config.max_body;
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers([
            axum::http::header::CONTENT_TYPE,
            axum::http::header::CONTENT_ENCODING,
            AUTHORIZATION,
            HeaderName::from_static(SENTRY_AUTH),
            HeaderName::from_static("sentry-trace"),
            HeaderName::from_static("baggage"),
        ])
        .expose_headers([
            axum::http::header::RETRY_AFTER,
            HeaderName::from_static("x-sentry-rate-limits"),
        ]);
    OpenApiRouter::new()
        .routes(routes!(envelope))
        .routes(routes!(store))
        .route("/api/{project}/envelope", post(envelope).options(preflight))
        .route("/api/{project}/store", post(store).options(preflight))
        .route("/api/{project}/envelope/", options(preflight))
        .route("/api/{project}/store/", options(preflight))
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .layer(axum::middleware::from_fn(|request, next| {
            super::supported_encoding(&["gzip", "deflate", "br"], request, next)
        }))
        .layer(axum::middleware::from_fn(move |request, next| {
            super::otlp::admit(
                budget.clone(),
                max_body,
                StatusCode::TOO_MANY_REQUESTS,
                request,
                next,
            )
        }))
        .layer(cors)
}

/// CORS preflight requests are answered by the CORS layer; the route only has to exist, so
/// that the layer sees them instead of the 405 fallback.
async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[derive(Deserialize, IntoParams)]
struct KeyQuery {
    /// The DSN's public key, for SDKs that cannot set headers.
    sentry_key: Option<String>,
}

/// What Sentry SDKs expect back.
#[derive(Serialize, ToSchema)]
struct EventAccepted {
    /// The event id of the envelope or event; null when it held none (sessions only).
    id: Option<String>,
}

/// Receives a Sentry envelope: events become error occurrences, transactions become spans of
/// their trace; other item types (sessions, client reports, attachments, …) are skipped.
#[utoipa::path(post, path = "/api/{project}/envelope/", tag = "ingest",
    security(("sentry_key" = [])),
    params(("project" = i64, Path, description = "Project id, as in the DSN"), KeyQuery),
    request_body(description = "A Sentry envelope, optionally gzip, deflate or br", content_type = "application/x-sentry-envelope"),
    responses(
        (status = 200, description = "Stored", body = EventAccepted),
        (status = 400, description = "A malformed envelope or item; nothing of it is stored", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked DSN key", body = ErrorBody),
        (status = 403, description = "The key belongs to another project", body = ErrorBody),
        (status = 413, description = "Body over the size limit (after decompression)", body = ErrorBody),
        (status = 415, description = "A content-encoding other than gzip, deflate or br", body = ErrorBody),
        (status = 429, description = "Overloaded; retry after the Retry-After seconds", body = ErrorBody),
    ))]
async fn envelope(
    State(state): State<AppState>,
    Path(project): Path<String>,
    Query(query): Query<KeyQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<EventAccepted>, ApiError> {
    receive(&state, &project, query, &headers, body, sentry::envelope).await
}

/// Receives one Sentry event as JSON (the protocol before envelopes).
#[utoipa::path(post, path = "/api/{project}/store/", tag = "ingest",
    security(("sentry_key" = [])),
    params(("project" = i64, Path, description = "Project id, as in the DSN"), KeyQuery),
    request_body(description = "A Sentry event, optionally gzip, deflate or br", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored", body = EventAccepted),
        (status = 400, description = "Not an event; nothing is stored", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked DSN key", body = ErrorBody),
        (status = 403, description = "The key belongs to another project", body = ErrorBody),
        (status = 413, description = "Body over the size limit (after decompression)", body = ErrorBody),
        (status = 415, description = "A content-encoding other than gzip, deflate or br", body = ErrorBody),
        (status = 429, description = "Overloaded; retry after the Retry-After seconds", body = ErrorBody),
    ))]
async fn store(
    State(state): State<AppState>,
    Path(project): Path<String>,
    Query(query): Query<KeyQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<EventAccepted>, ApiError> {
    receive(&state, &project, query, &headers, body, sentry::store).await
}

async fn receive(
    state: &AppState,
    project: &str,
    query: KeyQuery,
    headers: &HeaderMap,
    body: Body,
    parse: fn(&SentryKeyOwner, &[u8]) -> Result<Accepted, String>,
) -> Result<Json<EventAccepted>, ApiError> {
    let result: Result<Json<EventAccepted>, ApiError> = async {
        let mut key = key_in(headers).or(query.sentry_key);
        // A `tunnel` forwards envelopes without auth headers: the DSN is in the envelope's
        // header, so the body is read first (it is within the in-flight budget either way).
        let limit = state.config.max_body;
        let (owner, bytes) = if key.is_some() {
            let owner = authenticate(state, project, key).await?;
            (owner, read_body(body, limit).await?)
        } else {
            let bytes = read_body(body, limit).await?;
            key = sentry::header_key(&bytes);
            (authenticate(state, project, key).await?, bytes)
        };
        let accepted = parse(&owner, &bytes)
            .map_err(|m| ApiError::new(StatusCode::BAD_REQUEST, "malformed_envelope", m))?;
        state
            .ingest
            .store_spans(Protocol::Sentry, owner.project_id, accepted.spans)
            .await
            .map_err(retry_later)?;
        Ok(Json(EventAccepted {
            id: accepted.event_id,
        }))
    }
    .await;
    if let Err(e) = &result {
        if e.code != "unavailable" && e.code != "overloaded" {
            state.ingest.metrics.refused(Protocol::Sentry, e.code);
        }
    }
    result
}

async fn authenticate(
    state: &AppState,
    project: &str,
    key: Option<String>,
) -> Result<SentryKeyOwner, ApiError> {
    // Public keys are 32 hex digits; anything else is no key of ours (and never a query).
    if key
        .as_deref()
        .is_some_and(|k| k.len() != 32 || !k.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(ApiError::unauthorized("unknown or revoked DSN key"));
    }
    let owner = state.ingest.authenticate_sentry(key.as_deref()).await?;
    if project.parse::<i64>().ok() != Some(owner.project_id) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_project",
            format!(
                "this DSN key belongs to project {}, not {project:?}: use the DSN shown for the service",
                owner.project_id
            ),
        ));
    }
    Ok(owner)
}

/// `sentry_key` from `X-Sentry-Auth: Sentry sentry_key=…, sentry_version=7, …` or the same in
/// `Authorization`.
fn key_in(headers: &HeaderMap) -> Option<String> {
    [SENTRY_AUTH, AUTHORIZATION.as_str()]
        .iter()
        .filter_map(|h| headers.get(*h)?.to_str().ok())
        .find_map(|value| {
            let fields = value.trim().strip_prefix("Sentry").unwrap_or(value);
            fields.split(',').find_map(|field| {
                let (k, v) = field.split_once('=')?;
                (k.trim() == "sentry_key").then(|| v.trim().to_string())
            })
        })
}

/// Overload answers 429 with `Retry-After`, what Sentry SDKs back off on; a storage failure
/// 503.
fn retry_later(e: WriteError) -> ApiError {
    if matches!(e, WriteError::Overloaded) {
        let mut err = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "overloaded", e.to_string());
        err.retry_after = Some(1);
        return err;
    }
    let mut err = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        e.to_string(),
    );
    err.retry_after = Some(5);
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentry_paths() {
        assert!(is_sentry_path("/api/12/envelope/"));
        assert!(is_sentry_path("/api/12/store"));
        assert!(!is_sentry_path("/api/projects/envelope/"));
        assert!(!is_sentry_path("/api/12/envelope/x"));
        assert!(!is_sentry_path("/v1/traces"));
    }

    #[test]
    fn the_key_comes_from_either_auth_header() {
        let mut h = HeaderMap::new();
        h.insert(
            SENTRY_AUTH,
            "Sentry sentry_version=7, sentry_client=sentry.python/2.0, sentry_key=abc123"
                .parse()
                .unwrap(),
        );
        assert_eq!(key_in(&h).as_deref(), Some("abc123"));
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            "Sentry sentry_key=def, sentry_version=7".parse().unwrap(),
        );
        assert_eq!(key_in(&h).as_deref(), Some("def"));
        assert_eq!(key_in(&HeaderMap::new()), None);
    }
}
