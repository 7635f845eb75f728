//! OTLP/HTTP: `POST /v1/traces` with a protobuf or JSON `ExportTraceServiceRequest`, gzip
//! bodies accepted. Success answers in the request's encoding, as the OTLP spec asks; errors
//! use Omegi's JSON error body with the status codes OTLP clients act on (400 and 413 are
//! final, 429/503 with `Retry-After` are retried).

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use super::error::ApiError;
use super::AppState;
use crate::ingest::auth::token_in;
use crate::ingest::budget::IngestBudget;
use crate::ingest::otlp_json;
use crate::metrics::Protocol;
use crate::pipeline::writer::WriteError;

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Protobuf,
    Json,
}

/// Receives OTLP trace data (OpenTelemetry's `/v1/traces`), authenticated by ingest token.
#[utoipa::path(post, path = "/v1/traces", tag = "ingest",
    security(("ingest_token" = [])),
    request_body(description = "OTLP ExportTraceServiceRequest, protobuf or JSON, optionally gzip",
        content(("application/x-protobuf"), ("application/json"))),
    responses(
        (status = 200, description = "Stored; a partial success names the rejected spans"),
        (status = 400, description = "Undecodable body", body = crate::http::error::ErrorBody),
        (status = 401, description = "Missing, unknown or revoked ingest token", body = crate::http::error::ErrorBody),
        (status = 413, description = "Body over the size limit", body = crate::http::error::ErrorBody),
        (status = 415, description = "Neither protobuf nor JSON", body = crate::http::error::ErrorBody),
        (status = 503, description = "Overloaded; retry after the Retry-After seconds", body = crate::http::error::ErrorBody),
    ))]
pub async fn traces(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    match receive(&state, &headers, body).await {
        Ok(response) => response,
        Err(e) => {
            // Spans refused after decoding are counted by the ingest service.
            if e.code != "unavailable" {
                state.ingest.metrics.refused(Protocol::Http, e.code);
            }
            e.into_response()
        }
    }
}

async fn receive(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Response, ApiError> {
    let owner = state.ingest.authenticate(token_in(headers)).await?;
    let encoding = encoding(headers)?;
    let bytes = read_body(body, state.config.max_body).await?;
    let request = match encoding {
        Encoding::Protobuf => ExportTraceServiceRequest::decode(bytes).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_protobuf",
                format!("not an OTLP protobuf trace export: {e}"),
            )
        })?,
        Encoding::Json => otlp_json::parse(&bytes)
            .map_err(|m| ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", m))?,
    };
    let response = state
        .ingest
        .export(Protocol::Http, &owner, request)
        .await
        .map_err(retry_later)?;
    Ok(match encoding {
        Encoding::Protobuf => (
            [(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-protobuf"),
            )],
            response.encode_to_vec(),
        )
            .into_response(),
        Encoding::Json => axum::Json(response).into_response(),
    })
}

/// Reserves the export's size in the in-flight budget before its body is read, or answers
/// `refusal` (503 for OTLP, 429 for Sentry) with `Retry-After` at once. A compressed or
/// unsized body counts as `--max-body`.
pub async fn admit(
    budget: IngestBudget,
    max_body: usize,
    refusal: StatusCode,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = request.headers();
    let compressed = headers.contains_key(axum::http::header::CONTENT_ENCODING);
    let size = match super::extract::declared_length(headers) {
        Some(n) if !compressed => usize::try_from(n).unwrap_or(max_body).min(max_body),
        _ => max_body,
    };
    match budget.try_reserve(size) {
        Some(_reserved) => next.run(request).await,
        None => {
            let mut err = ApiError::new(refusal, "overloaded", crate::ingest::budget::OVERLOADED);
            err.retry_after = Some(1);
            err.into_response()
        }
    }
}

fn encoding(headers: &HeaderMap) -> Result<Encoding, ApiError> {
    let ctype = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(Encoding::Protobuf),
        "application/json" => Ok(Encoding::Json),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("content-type {ctype:?}: send application/x-protobuf or application/json"),
        )),
    }
}

/// An ingest body, decompressed, up to `limit` bytes: 413 past it (so a small compressed bomb
/// cannot inflate into memory), 408 when it stops arriving, 400 when it cannot be read.
pub async fn read_body(body: Body, limit: usize) -> Result<axum::body::Bytes, ApiError> {
    to_bytes(body, limit).await.map_err(|e| {
        let e = e.into_inner();
        if e.is::<http_body_util::LengthLimitError>() {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body is over the {limit}-byte limit (--max-body, counted decompressed); send smaller batches"),
            )
        } else if super::error::body_timed_out(e.as_ref()) {
            super::error::body_timeout()
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                format!("cannot read the body (bad compression?): {e}"),
            )
        }
    })
}

/// Overload and storage failures are temporary: 503 with `Retry-After`, which OTLP
/// exporters honour.
fn retry_later(e: WriteError) -> ApiError {
    let mut err = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        e.to_string(),
    );
    err.retry_after = Some(if matches!(e, WriteError::Overloaded) {
        1
    } else {
        5
    });
    err
}
