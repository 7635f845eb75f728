//! Authentication of agents and collectors by ingest token (`Authorization: Bearer omg_…` or
//! `x-omegi-token: omg_…`). The token decides the project and service data is stored under.
//! Its own error type tells the transports what to answer: a wrong token is final, a token
//! that could not be checked is temporary.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;

use crate::auth::secret;
use crate::model::now_ms;
use crate::store::{Store, StoreError, TokenOwner};

/// Header agents may use instead of `Authorization: Bearer`.
pub const TOKEN_HEADER: &str = "x-omegi-token";

/// How often a token's "last used" time is written; more often would be a write per export.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Missing, unknown or revoked: HTTP 401, gRPC UNAUTHENTICATED (exporters drop the data).
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The token store could not be asked: HTTP 503, gRPC UNAVAILABLE (exporters retry).
    #[error("the ingest token cannot be checked right now; retry later")]
    Unavailable,
}

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

/// The ingest token in the request headers (HTTP headers or gRPC metadata), if any.
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

/// Resolves a token to its project and service.
pub async fn authenticate(
    store: &Store,
    token_use: &TokenUse,
    token: Option<&str>,
) -> Result<TokenOwner, AuthError> {
    let token = token.ok_or(AuthError::Unauthenticated(
        "missing ingest token: send Authorization: Bearer <token> or x-omegi-token",
    ))?;
    let owner = match store.token_owner(&secret::digest(token)).await {
        Ok(owner) => owner,
        Err(StoreError::NotFound) => {
            return Err(AuthError::Unauthenticated(
                "unknown or revoked ingest token",
            ))
        }
        Err(e) => return Err(unavailable(e)),
    };
    if token_use.due(owner.token_id) {
        store
            .touch_token(owner.token_id, now_ms())
            .await
            .map_err(unavailable)?;
    }
    Ok(owner)
}

fn unavailable(e: StoreError) -> AuthError {
    tracing::error!("checking an ingest token failed: {e}");
    AuthError::Unavailable
}
