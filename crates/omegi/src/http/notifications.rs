//! Notifications: comments on the caller's notes and `@mentions` of the caller, with the
//! unread count the nav shows.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::{page_limit, ApiJson, ApiQuery, CurrentUser};
use super::AppState;
use crate::model::{now_ms, Notification};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(mark_read))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct NotificationQuery {
    /// Only unread ones.
    #[serde(default)]
    unread: bool,
    /// 1–500, default 50.
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct Notifications {
    /// How many are unread in all.
    unread: i64,
    /// Newest first.
    items: Vec<Notification>,
}

/// The caller's notifications, newest first, and the unread count.
#[utoipa::path(get, path = "/api/notifications", tag = "notes", params(NotificationQuery),
    responses((status = 200, body = Notifications), (status = 401, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn list_notifications(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> Result<Json<Notifications>, ApiError> {
    let limit = page_limit(q.limit, 50)?;
    let (items, unread) = state.store.notifications(user.id, q.unread, limit).await?;
    Ok(Json(Notifications { unread, items }))
}

#[derive(Deserialize, ToSchema)]
struct ReadInput {
    /// The notifications read; empty or absent: all of the caller's.
    #[serde(default)]
    ids: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
struct ReadResult {
    /// How many turned read.
    marked: u64,
}

/// Marks the caller's notifications read (only the caller's: other ids change nothing).
#[utoipa::path(post, path = "/api/notifications/read", tag = "notes", request_body = ReadInput,
    responses((status = 200, body = ReadResult), (status = 401, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn mark_read(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(input): ApiJson<ReadInput>,
) -> Result<Json<ReadResult>, ApiError> {
    if input.ids.len() > 500 {
        return Err(ApiError::invalid("ids", "at most 500 at once"));
    }
    let marked = state
        .store
        .mark_notifications_read(user.id, &input.ids, now_ms())
        .await?;
    Ok(Json(ReadResult { marked }))
}
