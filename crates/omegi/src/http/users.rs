//! Looking up accounts (to add project members) and creating them as an admin, which is how
//! users arrive when sign-up is closed.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery, CurrentUser};
use super::AppState;
use crate::model::{User, UserRole};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search_users, create_user))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UserSearch {
    /// Start of the username (case-insensitive).
    #[serde(default)]
    q: String,
}

/// An account as a search shows it: what sharing a project needs, the role only to admins.
#[derive(Serialize, ToSchema)]
struct UserMatch {
    id: i64,
    username: String,
    /// Shown to admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<UserRole>,
}

/// Accounts whose username starts with `q` (at most 20), to add as project members. Admins
/// may leave `q` empty to list accounts, and see their roles.
#[utoipa::path(get, path = "/api/users", tag = "users", params(UserSearch),
    responses(
        (status = 200, body = [UserMatch]),
        (status = 400, description = "No search given", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn search_users(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(query): ApiQuery<UserSearch>,
) -> Result<Json<Vec<UserMatch>>, ApiError> {
    let admin = user.role == UserRole::Admin;
    let q = query.q.trim();
    if q.is_empty() && !admin {
        return Err(ApiError::invalid(
            "q",
            "give the start of a username to search for",
        ));
    }
    let found = state.store.search_users(q, 20).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|u| UserMatch {
                id: u.id,
                username: u.username,
                role: admin.then_some(u.role),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
struct NewAccount {
    username: String,
    password: String,
    /// Make the account an admin too.
    #[serde(default)]
    admin: bool,
}

/// Creates an account (admins only), whether or not sign-up is open.
#[utoipa::path(post, path = "/api/users", tag = "users", request_body = NewAccount,
    responses(
        (status = 201, body = User),
        (status = 400, body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn create_user(
    State(state): State<AppState>,
    caller: CurrentUser,
    ApiJson(body): ApiJson<NewAccount>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    caller.require_admin()?;
    let user =
        crate::accounts::create_local(&state.store, &body.username, body.password, body.admin)
            .await?;
    Ok((StatusCode::CREATED, Json(user)))
}
