//! What every browser-facing response and request goes through: security headers on every
//! answer, a cross-site check on every state-changing request, and the sign-in rate limits.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::Request;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::ApiError;

/// The single-page app loads only its own scripts (no inline script), styles may be set
/// inline by components, images may be data: URLs (the favicon), and no page may frame it.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers to every response that does not set its own.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// Answers 413 at once to a request whose declared `Content-Length` is over the limit, rather
/// than waiting for a body that a lying client may never send.
pub async fn declared_size(max_body: usize, request: Request, next: Next) -> Response {
    match super::extract::declared_length(request.headers()) {
        Some(n) if n > max_body as u64 => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "the body is declared as {n} bytes, over the {max_body}-byte limit (--max-body)"
            ),
        )
        .into_response(),
        _ => next.run(request).await,
    }
}

const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Refuses a state-changing request that a browser sent from another site (CSRF). The
/// session cookie is `SameSite=Lax`, which still lets a page on a sibling subdomain post a
/// form; so the browser's own word on where the request came from decides: `Sec-Fetch-Site`
/// must be `same-origin` (or `none`: typed by the user), else `Origin` must be this server.
/// Requests with neither header do not come from a browser and carry no ambient cookie risk.
/// Agents' endpoints (`/v1/…`, `/api/ingest/…`) are authenticated by token, not cookie.
pub async fn same_origin_writes(
    public_url: std::sync::Arc<str>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let path = request.uri().path();
    let token_authenticated = path.starts_with("/v1/")
        || path.starts_with("/api/ingest/")
        || super::sentry::is_sentry_path(path);
    if safe || token_authenticated || same_origin(request.headers(), &public_url) {
        return next.run(request).await;
    }
    ApiError::new(
        StatusCode::FORBIDDEN,
        "cross_site_request",
        "this request came from another site; state-changing requests are accepted only from Omegi's own pages",
    )
    .into_response()
}

fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    if let Some(site) = headers.get(SEC_FETCH_SITE) {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let authority = origin.split_once("://").map(|(_, a)| a);
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    origin == public_url.trim_end_matches('/') || (authority.is_some() && authority == host)
}

/// Sign-in attempts allowed per address, and per account from one address, each minute.
/// Keyed by account *and* address, so attempts against an account from elsewhere never lock
/// its owner out; the per-address limit stops one address guessing across accounts.
pub struct LoginLimits {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    per_account: DefaultKeyedRateLimiter<(String, IpAddr)>,
}

impl LoginLimits {
    pub fn new(per_address_per_minute: u32, per_account_per_minute: u32) -> LoginLimits {
        let quota =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        LoginLimits {
            per_address: RateLimiter::keyed(quota(per_address_per_minute)),
            per_account: RateLimiter::keyed(quota(per_account_per_minute)),
        }
    }

    /// Counts one attempt; refused with the time until the next is allowed.
    pub fn attempt(&self, username: &str, address: IpAddr) -> Result<(), Duration> {
        if self.per_account.len() > 100_000 {
            self.prune();
        }
        let now = DefaultClock::default().now();
        let account = (username.to_ascii_lowercase(), address);
        self.per_address
            .check_key(&address)
            .and_then(|_| self.per_account.check_key(&account))
            .map_err(|not_until| not_until.wait_time_from(now))
    }

    /// Forgets keys whose limits are back to full (bounded memory under attack).
    pub fn prune(&self) {
        self.per_address.retain_recent();
        self.per_account.retain_recent();
    }
}

impl Default for LoginLimits {
    fn default() -> LoginLimits {
        LoginLimits::new(30, 10)
    }
}

/// 429 with `Retry-After`, for a sign-in attempt over the limits.
pub fn too_many_attempts(wait: Duration) -> ApiError {
    let seconds = wait.as_secs().max(1);
    let mut error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!("too many sign-in attempts; try again in {seconds} s"),
    );
    error.retry_after = Some(seconds);
    error
}

/// The address the request came from (the TCP peer; 0.0.0.0 when the server was not told).
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        Ok(ClientAddr(peer))
    }
}
