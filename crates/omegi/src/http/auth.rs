//! Accounts and sign-in: local accounts with argon2id passwords, and GitHub OAuth.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery, CurrentUser};
use super::front_door::{too_many_attempts, ClientAddr};
use super::session::{cookie_value, session_token, set_cookie, SESSION_COOKIE};
use super::AppState;
use crate::accounts;
use crate::auth::{github, password, secret};
use crate::config::{GithubConfig, Signup};
use crate::model::{now_ms, User};
use crate::store::{NewUser, StoreError};

const STATE_COOKIE: &str = "omegi_oauth_state";
const STATE_COOKIE_PATH: &str = "/api/auth/github";
const STATE_TTL: Duration = Duration::from_secs(600);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(providers))
        .routes(routes!(github_login))
        .routes(routes!(github_callback))
}

#[derive(Deserialize, ToSchema)]
pub struct Credentials {
    /// 2–40 characters: letters, digits, `-`, `_`, `.`.
    #[schema(min_length = 2, max_length = 40, pattern = "^[A-Za-z0-9._-]+$")]
    pub username: String,
    /// At least 8 characters.
    #[schema(min_length = 8)]
    pub password: String,
}

/// Starts a session for `user` and answers `status` with the user and the session cookie.
async fn signed_in(
    state: &AppState,
    request: &HeaderMap,
    user: User,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let cookie = new_session(state, request, user.id).await?;
    Ok((status, [cookie], Json(user)).into_response())
}

async fn new_session(
    state: &AppState,
    request: &HeaderMap,
    user_id: i64,
) -> Result<(axum::http::HeaderName, axum::http::HeaderValue), ApiError> {
    let token = secret::generate();
    let ttl = state.config.session_ttl;
    let now = now_ms();
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
    state
        .store
        .create_session(
            &secret::digest(&token),
            user_id,
            now,
            now.saturating_add(ttl_ms),
        )
        .await?;
    Ok(set_cookie(state, request, SESSION_COOKIE, &token, "/", ttl))
}

/// Creates an account and signs it in. The first account becomes the admin.
#[utoipa::path(post, path = "/api/auth/signup", tag = "auth", request_body = Credentials, security(()),
    responses(
        (status = 201, description = "Account created and signed in (session cookie set)", body = User),
        (status = 400, description = "Invalid username or password", body = ErrorBody),
        (status = 403, description = "Sign-up is closed", body = ErrorBody),
        (status = 409, description = "Username taken", body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn signup(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    if state.config.signup == Signup::Closed {
        return Err(ApiError::forbidden(
            "sign-up is closed on this server; ask an admin to create your account",
        ));
    }
    let user = accounts::create_local(&state.store, &body.username, body.password, false).await?;
    signed_in(&state, &headers, user, StatusCode::CREATED).await
}

/// Signs in with username and password.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = Credentials, security(()),
    responses(
        (status = 200, description = "Signed in (session cookie set)", body = User),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address or for this account from it; see Retry-After", body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn login(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    if let Err(wait) = state.login_limits.attempt(&body.username, address) {
        return Err(too_many_attempts(wait));
    }
    let found = match state.store.user_with_password(&body.username).await {
        Ok(found) => Some(found),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let hash = found.as_ref().and_then(|(_, h)| h.clone());
    let password = body.password;
    let ok = tokio::task::spawn_blocking(move || password::verify(&password, hash.as_deref()))
        .await
        .map_err(ApiError::internal)?;
    match found {
        Some((user, _)) if ok => signed_in(&state, &headers, user, StatusCode::OK).await,
        _ => Err(ApiError::unauthorized("wrong username or password")),
    }
}

/// Ends the current session on the server and clears the cookie.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out")))]
#[tracing::instrument(level = "debug", skip_all)]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = session_token(&headers) {
        state.store.delete_session(&secret::digest(&token)).await?;
    }
    let clear = set_cookie(&state, &headers, SESSION_COOKIE, "", "/", Duration::ZERO);
    Ok((StatusCode::NO_CONTENT, [clear]).into_response())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses(
        (status = 200, body = User),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn me(CurrentUser(user): CurrentUser) -> Json<User> {
    Json(user)
}

/// How users may sign in here, for the sign-in page.
#[derive(Serialize, ToSchema)]
pub struct Providers {
    /// Whether "Sign in with GitHub" is offered.
    pub github: bool,
    /// Whether anyone may create an account.
    pub signup_open: bool,
}

#[utoipa::path(get, path = "/api/auth/providers", tag = "auth", security(()),
    responses((status = 200, body = Providers)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn providers(State(state): State<AppState>) -> Json<Providers> {
    Json(Providers {
        github: state.config.github.is_some(),
        signup_open: state.config.signup == Signup::Open,
    })
}

fn github_config(state: &AppState) -> Result<&GithubConfig, ApiError> {
    state.config.github.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "github_disabled",
            "GitHub sign-in is not configured on this server (no GitHub client id)",
        )
    })
}

fn callback_url(state: &AppState) -> String {
    format!("{}/api/auth/github/callback", state.public_url)
}

/// Redirects to GitHub's authorize page; the `state` value is kept in a short-lived cookie.
#[utoipa::path(get, path = "/api/auth/github/login", tag = "auth", security(()),
    responses(
        (status = 303, description = "Redirect to GitHub"),
        (status = 404, description = "GitHub sign-in is not configured", body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn github_login(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let cfg = github_config(&state)?;
    let (url, csrf) = github::authorize_url(cfg, &callback_url(&state))?;
    let cookie = set_cookie(
        &state,
        &headers,
        STATE_COOKIE,
        &csrf,
        STATE_COOKIE_PATH,
        STATE_TTL,
    );
    Ok(([cookie], Redirect::to(&url)).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Finishes GitHub sign-in: checks `state`, exchanges the code, signs in (creating the
/// account on first use) and redirects to the app.
#[utoipa::path(get, path = "/api/auth/github/callback", tag = "auth", params(CallbackParams), security(()),
    responses(
        (status = 303, description = "Signed in; redirect to the app"),
        (status = 400, description = "State mismatch, or GitHub reported an error", body = ErrorBody),
        (status = 403, description = "New account but sign-up is closed", body = ErrorBody),
        (status = 404, description = "GitHub sign-in is not configured", body = ErrorBody),
        (status = 502, description = "GitHub could not be reached or refused the code", body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn github_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<CallbackParams>,
) -> Result<Response, ApiError> {
    let cfg = github_config(&state)?;
    if let Some(error) = params.error {
        let detail = params.error_description.unwrap_or_default();
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "github_denied",
            format!("GitHub did not sign you in: {error} {detail}")
                .trim_end()
                .to_string(),
        ));
    }
    let expected = cookie_value(&headers, STATE_COOKIE);
    if expected.is_none() || params.state != expected {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "state_mismatch",
            "state: does not match the sign-in that was started here; start again",
        ));
    }
    let code = params
        .code
        .ok_or_else(|| ApiError::invalid("code", "missing from GitHub's callback"))?;
    let gh = github::sign_in(cfg, &callback_url(&state), &state.http, code).await?;
    let user = github_account(&state, &gh).await?;
    let session = new_session(&state, &headers, user.id).await?;
    let clear = set_cookie(
        &state,
        &headers,
        STATE_COOKIE,
        "",
        STATE_COOKIE_PATH,
        Duration::ZERO,
    );
    let home = format!("{}/", state.public_url);
    Ok((AppendHeaders([session, clear]), Redirect::to(&home)).into_response())
}

/// The account linked to a GitHub user, created on first sign-in. A local account that
/// already has the GitHub login as its name is never taken over: the new one gets a suffix.
async fn github_account(state: &AppState, gh: &github::GithubUser) -> Result<User, ApiError> {
    match state.store.user_by_github_id(gh.id).await {
        Ok(user) => return Ok(user),
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    if state.config.signup == Signup::Closed {
        return Err(ApiError::forbidden(
            "sign-up is closed on this server; ask an admin to create your account",
        ));
    }
    for attempt in 0..20 {
        let username = match attempt {
            0 => gh.login.clone(),
            1 => format!("{}-github", gh.login),
            n => format!("{}-github{n}", gh.login),
        };
        let new = NewUser {
            username: &username,
            password_hash: None,
            github_id: Some(gh.id),
            admin: false,
        };
        match state.store.create_user(new, now_ms()).await {
            Ok(user) => return Ok(user),
            // Either the name is taken (try the next) or a parallel callback created the
            // GitHub account first (found on the next lookup).
            Err(StoreError::Conflict(_)) => {
                if let Ok(user) = state.store.user_by_github_id(gh.id).await {
                    return Ok(user);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(format!(
        "no free username for GitHub user {:?}",
        gh.login
    )))
}
