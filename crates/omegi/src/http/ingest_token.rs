//! Authentication of agents and collectors by ingest token (`Authorization: Bearer omg_…` or
//! `x-omegi-token: omg_…`). The token decides the project and service data is stored under.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header::AUTHORIZATION, HeaderMap, StatusCode};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::auth::secret;
use crate::model::now_ms;
use crate::store::{StoreError, TokenOwner};

/// Header agents may use instead of `Authorization: Bearer`.
pub const TOKEN_HEADER: &str = "x-omegi-token";

/// How often a token's "last used" time is written; more often would be a write per export.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// Remembers when each token's last use was written, so the write happens once a minute.
#[derive(Default)]
pub struct TokenUse {
    touched: Mutex<HashMap<i64, Instant>>,
}

impl TokenUse {
    fn due(&self, token: i64) -> bool {
        let mut touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match touched.get(&token) {
            Some(at) if now.duration_since(*at) < TOUCH_EVERY => false,
            _ => {
                touched.insert(token, now);
                true
            }
        }
    }
}

/// The ingest token in the request headers, if any.
pub fn token_in(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    bearer
        .or_else(|| headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()))
        .map(str::trim)
}

/// Resolves a token to its project and service; 401 for a missing, unknown or revoked one.
pub async fn authenticate(state: &AppState, token: Option<&str>) -> Result<TokenOwner, ApiError> {
    let token = token.ok_or_else(|| {
        ApiError::unauthorized(
            "missing ingest token: send Authorization: Bearer <token> or x-omegi-token",
        )
    })?;
    let owner = match state.store.token_owner(&secret::digest(token)).await {
        Ok(owner) => owner,
        Err(StoreError::NotFound) => {
            return Err(ApiError::unauthorized("unknown or revoked ingest token"))
        }
        Err(e) => return Err(storage_unavailable(e)),
    };
    if state.token_use.due(owner.token_id) {
        state
            .store
            .touch_token(owner.token_id, now_ms())
            .await
            .map_err(storage_unavailable)?;
    }
    Ok(owner)
}

/// A token that could not be checked is not a wrong token: 503 with `Retry-After`, which
/// exporters retry, instead of 401, on which they drop the data.
fn storage_unavailable(e: StoreError) -> ApiError {
    tracing::error!("checking an ingest token failed: {e}");
    let mut err = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the ingest token cannot be checked right now; retry later",
    );
    err.retry_after = Some(5);
    err
}

/// The project and service of the request's ingest token.
pub struct IngestAuth(pub TokenOwner);

impl FromRequestParts<AppState> for IngestAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(state, token_in(&parts.headers))
            .await
            .map(IngestAuth)
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(whoami))
}

#[derive(Serialize, ToSchema)]
struct TokenIdentity {
    project_id: i64,
    project: String,
    service_id: i64,
    service: String,
}

/// What an ingest token identifies; agents and the setup guide use it to check a token.
#[utoipa::path(get, path = "/api/ingest/whoami", tag = "ingest",
    security(("ingest_token" = [])),
    responses(
        (status = 200, body = TokenIdentity),
        (status = 401, description = "Missing, unknown or revoked token", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
async fn whoami(
    State(state): State<AppState>,
    IngestAuth(owner): IngestAuth,
) -> Result<Json<TokenIdentity>, ApiError> {
    let (project, service) = state.store.token_names(&owner).await?;
    Ok(Json(TokenIdentity {
        project_id: owner.project_id,
        project,
        service_id: owner.service_id,
        service,
    }))
}
