//! Request extractors that answer in Omegi's error format, and `CurrentUser`, which every
//! signed-in endpoint takes so that no handler can forget to check who is asking.

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::Json;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::session::session_token;
use super::AppState;
use crate::auth::secret;
use crate::model::{now_ms, User, UserRole};
use crate::store::StoreError;

/// JSON body; malformed JSON is 400, a wrong shape 422, an oversized body 413.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(value))
    }
}

/// Path parameters; a non-numeric id is 400.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(value) = Path::<T>::from_request_parts(parts, state).await?;
        Ok(ApiPath(value))
    }
}

/// Query string parameters.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(value) = Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(value))
    }
}

/// The signed-in user, from the session cookie; 401 without a live session.
pub struct CurrentUser(pub User);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = session_token(&parts.headers)
            .ok_or_else(|| ApiError::unauthorized("sign in first: no session cookie"))?;
        match state
            .store
            .session_user(&secret::digest(&token), now_ms())
            .await
        {
            Ok(user) => Ok(CurrentUser(user)),
            Err(StoreError::NotFound) => Err(ApiError::unauthorized(
                "sign in again: the session has ended or was signed out",
            )),
            Err(e) => Err(e.into()),
        }
    }
}

impl CurrentUser {
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.0.role == UserRole::Admin {
            Ok(())
        } else {
            Err(ApiError::forbidden("only an admin may do this"))
        }
    }
}

/// The `limit` query parameter of a list: 1–500, `default` when absent.
pub fn page_limit(requested: Option<i64>, default: i64) -> Result<i64, ApiError> {
    match requested {
        None => Ok(default),
        Some(n) if (1..=500).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid("limit", "must be between 1 and 500")),
    }
}

/// RFC 3339 time of a query parameter, in Unix ms.
pub fn parse_time(field: &str, value: &str) -> Result<i64, ApiError> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| t.timestamp_millis())
        .map_err(|e| ApiError::invalid(field, format!("{value:?} is not an RFC 3339 time ({e})")))
}

/// The body size a request declares in `Content-Length`, if it declares a valid one.
pub fn declared_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}
