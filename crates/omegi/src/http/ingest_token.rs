//! The ingest token as the HTTP API sees it: an extractor for agents' endpoints, `whoami`, and
//! the HTTP answers to a failed token check.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::ingest::auth::{token_in, AuthError};
use crate::store::TokenOwner;

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        match e {
            AuthError::Unauthenticated(message) => ApiError::unauthorized(message),
            // A token that could not be checked is not a wrong token: 503 with Retry-After,
            // which exporters retry, instead of 401, on which they drop the data.
            AuthError::Unavailable => {
                let mut err = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    e.to_string(),
                );
                err.retry_after = Some(5);
                err
            }
        }
    }
}

/// The project and service of the request's ingest token.
pub struct IngestAuth(pub TokenOwner);

impl FromRequestParts<AppState> for IngestAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(IngestAuth(
            state.ingest.authenticate(token_in(&parts.headers)).await?,
        ))
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
#[tracing::instrument(level = "debug", skip_all)]
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
