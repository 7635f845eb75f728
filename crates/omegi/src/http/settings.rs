//! `GET /api/settings`: what the settings page shows about the server: the retention in force
//! (and what it deleted), the database and its size, and this node's Kafka consumer.

use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::CurrentUser;
use super::AppState;
use crate::model::{DatabaseView, ServerSettings};
use crate::store::Backend;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(settings))
}

/// Server settings in force, for any signed-in user.
#[utoipa::path(get, path = "/api/settings", tag = "settings",
    responses((status = 200, body = ServerSettings), (status = 401, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn settings(
    State(state): State<AppState>,
    CurrentUser(_user): CurrentUser,
) -> Result<Json<ServerSettings>, ApiError> {
    let config = &state.config;
    Ok(Json(ServerSettings {
        retention: state.deleted.view(&config.retention),
        database: DatabaseView {
            backend: match state.store.backend() {
                Backend::Sqlite => "sqlite",
                Backend::Postgres => "postgresql",
            }
            .into(),
            size_bytes: state.store.database_size().await?,
        },
        kafka: config
            .kafka
            .as_ref()
            .map(|k| state.ingest.consumed.view(&k.brokers, &k.topic, &k.group)),
    }))
}
