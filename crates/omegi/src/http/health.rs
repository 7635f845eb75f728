//! Liveness and readiness probes for process supervisors and load balancers.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// What a probe answers: `ok` / `ready`, or `unavailable` with the reason.
#[derive(Serialize, utoipa::ToSchema)]
struct Probe {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl Probe {
    fn up(status: &'static str) -> Json<Probe> {
        Json(Probe {
            status,
            error: None,
        })
    }
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()),
    responses((status = 200, body = Probe)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn healthz() -> Json<Probe> {
    Probe::up("ok")
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "health", security(()),
    responses((status = 200, body = Probe), (status = 503, description = "Database unreachable", body = Probe)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Probe>) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Probe::up("ready")),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Probe {
                status: "unavailable",
                error: Some(e.to_string()),
            }),
        ),
    }
}
