//! Services of a project and their ingest tokens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access;
use super::error::{ApiError, ErrorBody, OrNotFound};
use super::extract::{ApiJson, ApiPath, CurrentUser};
use super::AppState;
use crate::auth::secret;
use crate::model::{
    now_ms, rfc3339, IngestToken, SentryKey, Service, SetupInfo, MAX_SERVICE_NAME, SERVICE_KINDS,
};
use crate::store::SentryKeyRow;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(service_kinds))
        .routes(routes!(list_services, create_service))
        .routes(routes!(delete_service))
        .routes(routes!(service_setup))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(list_sentry_keys, create_sentry_key))
        .routes(routes!(revoke_sentry_key))
}

/// The service kinds the service map has icons for.
#[utoipa::path(get, path = "/api/service-kinds", tag = "services",
    responses((status = 200, body = [String])))]
#[tracing::instrument(level = "debug", skip_all)]
async fn service_kinds() -> Json<&'static [&'static str]> {
    Json(SERVICE_KINDS)
}

#[derive(Deserialize, ToSchema)]
struct ServiceInput {
    /// The service's `service.name`, 1–200 characters, unique in the project.
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// One of `GET /api/service-kinds`.
    kind: Option<String>,
}

#[utoipa::path(get, path = "/api/projects/{id}/services", tag = "services",
    params(("id" = i64, Path, description = "Project id")),
    responses((status = 200, body = [Service]), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn list_services(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<Service>>, ApiError> {
    access::member(&state, &user, id).await?;
    Ok(Json(state.store.services(id).await?))
}

/// Registers a service (owners only).
#[utoipa::path(post, path = "/api/projects/{id}/services", tag = "services", request_body = ServiceInput,
    params(("id" = i64, Path, description = "Project id")),
    responses(
        (status = 201, body = Service),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn create_service(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ServiceInput>,
) -> Result<(StatusCode, Json<Service>), ApiError> {
    access::owner(&state, &user, id).await?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > MAX_SERVICE_NAME {
        return Err(ApiError::invalid(
            "name",
            format!("must be 1 to {MAX_SERVICE_NAME} characters"),
        ));
    }
    let kind = body.kind.as_deref().filter(|k| !k.is_empty());
    if let Some(kind) = kind {
        if !SERVICE_KINDS.contains(&kind) {
            return Err(ApiError::invalid(
                "kind",
                format!("{kind:?} is not one of {}", SERVICE_KINDS.join(", ")),
            ));
        }
    }
    let service = state.store.create_service(id, name, kind, now_ms()).await?;
    Ok((StatusCode::CREATED, Json(service)))
}

/// Deletes a service and its tokens (owners only).
#[utoipa::path(delete, path = "/api/projects/{id}/services/{sid}", tag = "services",
    params(("id" = i64, Path, description = "Project id"), ("sid" = i64, Path, description = "Service id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn delete_service(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, sid)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    access::owner(&state, &user, id).await?;
    state
        .store
        .delete_service(id, sid)
        .await
        .or_404(format_args!("service {sid}"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the service's setup guide fills in: this server's public endpoints and what the
/// service's agent last reported (its installed frameworks, its SDK language).
#[utoipa::path(get, path = "/api/projects/{id}/services/{sid}/setup", tag = "services",
    params(("id" = i64, Path, description = "Project id"), ("sid" = i64, Path, description = "Service id")),
    responses((status = 200, body = SetupInfo), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn service_setup(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, sid)): ApiPath<(i64, i64)>,
) -> Result<Json<SetupInfo>, ApiError> {
    access::member(&state, &user, id).await?;
    let service = state
        .store
        .service(id, sid)
        .await
        .or_404(format_args!("service {sid}"))?;
    let resource = state
        .store
        .latest_resource(id, &service.name)
        .await?
        .unwrap_or_default();
    let text = |k: &str| resource.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let public_url = state.public_url.trim_end_matches('/').to_string();
    Ok(Json(SetupInfo {
        otlp_http_endpoint: format!("{public_url}/v1/traces"),
        otlp_grpc_endpoint: grpc_endpoint(&public_url, state.grpc_port),
        public_url,
        frameworks: text("omegi.frameworks")
            .map(|f| {
                f.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        sdk_language: text("telemetry.sdk.language"),
    }))
}

/// The public URL's host on the gRPC port: `https://omegi.example.com` → `http://omegi.example.com:4317`.
fn grpc_endpoint(public_url: &str, port: u16) -> String {
    // An IPv6 host comes in brackets already.
    let host = reqwest::Url::parse(public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "localhost".into());
    format!("http://{host}:{port}")
}

/// A token as created: the only answer that ever contains the secret.
#[derive(Serialize, ToSchema)]
struct CreatedToken {
    #[serde(flatten)]
    token: IngestToken,
    /// The secret to configure in the agent; it cannot be shown again.
    secret: String,
}

/// Creates an ingest token for a service (owners only). The secret is in this answer only.
#[utoipa::path(post, path = "/api/projects/{id}/services/{sid}/tokens", tag = "services",
    params(("id" = i64, Path, description = "Project id"), ("sid" = i64, Path, description = "Service id")),
    responses(
        (status = 201, body = CreatedToken),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn create_token(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, sid)): ApiPath<(i64, i64)>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    access::owner_service(&state, &user, id, sid).await?;
    let plain = secret::generate_ingest_token();
    let token = state
        .store
        .create_token(
            sid,
            &secret::display_prefix(&plain),
            &secret::digest(&plain),
            user.id,
            now_ms(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token,
            secret: plain,
        }),
    ))
}

/// The service's tokens: prefix, creation and last use; never the secret.
#[utoipa::path(get, path = "/api/projects/{id}/services/{sid}/tokens", tag = "services",
    params(("id" = i64, Path, description = "Project id"), ("sid" = i64, Path, description = "Service id")),
    responses((status = 200, body = [IngestToken]), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn list_tokens(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, sid)): ApiPath<(i64, i64)>,
) -> Result<Json<Vec<IngestToken>>, ApiError> {
    access::member_service(&state, &user, id, sid).await?;
    Ok(Json(state.store.tokens(sid).await?))
}

/// Revokes a token (owners only); agents using it are refused from then on.
#[utoipa::path(delete, path = "/api/projects/{id}/services/{sid}/tokens/{tid}", tag = "services",
    params(
        ("id" = i64, Path, description = "Project id"),
        ("sid" = i64, Path, description = "Service id"),
        ("tid" = i64, Path, description = "Token id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn revoke_token(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, sid, tid)): ApiPath<(i64, i64, i64)>,
) -> Result<StatusCode, ApiError> {
    access::owner_service(&state, &user, id, sid).await?;
    state
        .store
        .delete_token(sid, tid)
        .await
        .or_404(format_args!("token {tid}"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// A Sentry DSN for `key`: the public URL with the key as its user and the project as its
/// path, which is how Sentry SDKs find where to send and how to authenticate.
pub fn dsn(public_url: &str, key: &str, project: i64) -> String {
    let base = public_url.trim_end_matches('/');
    match base.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{key}@{rest}/{project}"),
        None => format!("http://{key}@{base}/{project}"),
    }
}

fn sentry_key(state: &AppState, project: i64, row: SentryKeyRow) -> SentryKey {
    SentryKey {
        id: row.id,
        service_id: row.service_id,
        dsn: dsn(&state.public_url, &row.public_key, project),
        public_key: row.public_key,
        created_at: rfc3339(row.created_at),
        last_used_at: row.last_used_at.map(rfc3339),
    }
}

/// The service's Sentry DSNs (members). A DSN key is public by design, so it is listed.
#[utoipa::path(get, path = "/api/projects/{id}/services/{sid}/sentry-keys", tag = "services",
    params(("id" = i64, Path, description = "Project id"), ("sid" = i64, Path, description = "Service id")),
    responses((status = 200, body = [SentryKey]), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn list_sentry_keys(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, sid)): ApiPath<(i64, i64)>,
) -> Result<Json<Vec<SentryKey>>, ApiError> {
    access::member_service(&state, &user, id, sid).await?;
    let rows = state.store.sentry_keys(sid).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| sentry_key(&state, id, r))
            .collect(),
    ))
}

/// Creates a Sentry DSN for a service (owners only): Sentry SDKs given it send to Omegi.
#[utoipa::path(post, path = "/api/projects/{id}/services/{sid}/sentry-keys", tag = "services",
    params(("id" = i64, Path, description = "Project id"), ("sid" = i64, Path, description = "Service id")),
    responses(
        (status = 201, body = SentryKey),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn create_sentry_key(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, sid)): ApiPath<(i64, i64)>,
) -> Result<(StatusCode, Json<SentryKey>), ApiError> {
    access::owner_service(&state, &user, id, sid).await?;
    let row = state
        .store
        .create_sentry_key(sid, &secret::generate_sentry_key(), user.id, now_ms())
        .await?;
    Ok((StatusCode::CREATED, Json(sentry_key(&state, id, row))))
}

/// Revokes a DSN (owners only): SDKs using it are refused (401) from then on.
#[utoipa::path(delete, path = "/api/projects/{id}/services/{sid}/sentry-keys/{kid}", tag = "services",
    params(
        ("id" = i64, Path, description = "Project id"),
        ("sid" = i64, Path, description = "Service id"),
        ("kid" = i64, Path, description = "Key id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn revoke_sentry_key(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, sid, kid)): ApiPath<(i64, i64, i64)>,
) -> Result<StatusCode, ApiError> {
    access::owner_service(&state, &user, id, sid).await?;
    state
        .store
        .delete_sentry_key(sid, kid)
        .await
        .or_404(format_args!("DSN key {kid}"))?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_dsn_puts_the_key_before_the_host_and_the_project_after() {
        assert_eq!(
            super::dsn("https://omegi.example.com/", "abc", 3),
            "https://abc@omegi.example.com/3"
        );
        assert_eq!(
            super::dsn("http://127.0.0.1:8080", "abc", 3),
            "http://abc@127.0.0.1:8080/3"
        );
    }
}
