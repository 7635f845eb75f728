//! The session cookie: an HttpOnly, SameSite=Lax cookie holding a random secret whose hash
//! is the key of a server-side session row, so signing out and expiry really end it.

use std::time::Duration;

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};

use super::AppState;

pub const SESSION_COOKIE: &str = "omegi_session";

/// The value of cookie `name` in the request, if any.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

pub fn session_token(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE)
}

/// A `Set-Cookie` header for an HttpOnly, SameSite=Lax cookie, Secure when Omegi is reached
/// over https (by its public URL or a proxy's `X-Forwarded-Proto`). `max_age` zero deletes.
pub fn set_cookie(
    state: &AppState,
    request: &HeaderMap,
    name: &str,
    value: &str,
    path: &str,
    max_age: Duration,
) -> (axum::http::HeaderName, HeaderValue) {
    let forwarded_https = request
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let cookie = Cookie::build((name, value))
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies() || forwarded_https)
        .max_age(cookie::time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
        ))
        .build();
    let value = HeaderValue::from_str(&cookie.to_string())
        .expect("cookie names and random values are valid header text");
    (SET_COOKIE, value)
}
