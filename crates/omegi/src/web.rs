//! The web UI, embedded in the binary at build time (see build.rs). Hashed assets are cached
//! for a year; every other path that is not an API path gets index.html, so client-side
//! routes survive a reload.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

use crate::http::error::ApiError;

#[derive(Embed)]
#[folder = "../../web/dist"]
struct Assets;

pub async fn serve(method: Method, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") || path.starts_with("v1/") {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API endpoint")
            .into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "the web UI is read with GET",
        )
        .into_response();
    }
    match Assets::get(path).filter(|_| !path.is_empty()) {
        Some(file) => {
            let cache = if path.starts_with("assets/") {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            file_response(file, cache)
        }
        None => match Assets::get("index.html") {
            Some(index) => file_response(index, "no-cache"),
            None => (
                StatusCode::NOT_FOUND,
                "the web UI was not built into this binary",
            )
                .into_response(),
        },
    }
}

fn file_response(file: rust_embed::EmbeddedFile, cache: &'static str) -> Response {
    let mime = file.metadata.mimetype().to_string();
    let mut response = file.data.into_owned().into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&mime) {
        headers.insert(CONTENT_TYPE, v);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
