//! Authentication of agents and collectors by ingest token (`Authorization: Bearer omg_…` or
//! `x-omegi-token: omg_…`). The token decides the project and service data is stored under.
//! Its own error type tells the transports what to answer: a wrong token is final, a token
//! that could not be checked is temporary.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;

use crate::auth::secret;
use crate::model::now_ms;
use crate::store::{SentryKeyOwner, Store, StoreError, TokenOwner};

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
    pub fn due(&self, token: i64) -> bool {
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

/// Owners of tokens checked in the last [`RECENT_FOR`], for a stream consumer whose messages
/// may each carry one trace: a database read per message would cost more than storing it.
/// A revoked token is refused at most this much later on such streams.
pub const RECENT_FOR: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct RecentOwners {
    owners: Mutex<HashMap<String, (TokenOwner, Instant)>>,
}

impl RecentOwners {
    pub fn get(&self, token: &str) -> Option<TokenOwner> {
        let owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        owners
            .get(token)
            .filter(|(_, at)| at.elapsed() < RECENT_FOR)
            .map(|(owner, _)| owner.clone())
    }

    pub fn put(&self, token: &str, owner: &TokenOwner) {
        let mut owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: a stream of many tokens only drops what it remembered.
        if owners.len() >= 1024 {
            owners.retain(|_, (_, at)| at.elapsed() < RECENT_FOR);
            if owners.len() >= 1024 {
                owners.clear();
            }
        }
        owners.insert(token.to_string(), (owner.clone(), Instant::now()));
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

/// Resolves a Sentry DSN public key to its project and service.
pub async fn authenticate_sentry(
    store: &Store,
    key_use: &TokenUse,
    key: Option<&str>,
) -> Result<SentryKeyOwner, AuthError> {
    let key = key
        .filter(|k| !k.is_empty())
        .ok_or(AuthError::Unauthenticated(
            "missing DSN key: send X-Sentry-Auth: Sentry sentry_key=<public key>, or ?sentry_key=",
        ))?;
    let owner = match store.sentry_key_owner(key).await {
        Ok(owner) => owner,
        Err(StoreError::NotFound) => {
            return Err(AuthError::Unauthenticated("unknown or revoked DSN key"))
        }
        Err(e) => return Err(unavailable(e)),
    };
    if key_use.due(owner.key_id) {
        store
            .touch_sentry_key(owner.key_id, now_ms())
            .await
            .map_err(unavailable)?;
    }
    Ok(owner)
}

fn unavailable(e: StoreError) -> AuthError {
    tracing::error!("checking an ingest token failed: {e}");
    AuthError::Unavailable
}

/// Resource attribute that carries the ingest token where no header can (an OpenTelemetry
/// Collector pipeline writing to Kafka sets it with its `resource` processor).
pub const TOKEN_ATTRIBUTE: &str = "omegi.token";

/// Splits a request by the token each of its resources is sent with: `header` when given,
/// else the resource's `omegi.token` attribute. The attribute is removed either way, so a
/// token is never stored as span data.
pub fn split_by_token(
    request: ExportTraceServiceRequest,
    header: Option<&str>,
) -> Vec<(Option<String>, ExportTraceServiceRequest)> {
    let mut parts: Vec<(Option<String>, ExportTraceServiceRequest)> = Vec::new();
    for mut resource_spans in request.resource_spans {
        let mut attribute = None;
        if let Some(resource) = resource_spans.resource.as_mut() {
            resource.attributes.retain(|kv| {
                if kv.key != TOKEN_ATTRIBUTE {
                    return true;
                }
                if let Some(any_value::Value::StringValue(v)) =
                    kv.value.as_ref().and_then(|v| v.value.as_ref())
                {
                    attribute = Some(v.trim().to_string());
                }
                false
            });
        }
        let token = header.map(str::to_string).or(attribute);
        match parts.iter_mut().find(|(t, _)| *t == token) {
            Some((_, part)) => part.resource_spans.push(resource_spans),
            None => parts.push((
                token,
                ExportTraceServiceRequest {
                    resource_spans: vec![resource_spans],
                },
            )),
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::ResourceSpans;

    fn resource(token: Option<&str>) -> ResourceSpans {
        let attribute = |key: &str, value: &str| KeyValue {
            key: key.into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(value.into())),
            }),
            ..Default::default()
        };
        let mut attributes = vec![attribute("service.name", "api")];
        attributes.extend(token.map(|t| attribute(TOKEN_ATTRIBUTE, t)));
        ResourceSpans {
            resource: Some(Resource {
                attributes,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn resources_are_grouped_by_their_token_attribute_which_is_removed() {
        let request = ExportTraceServiceRequest {
            resource_spans: vec![resource(Some("a")), resource(None), resource(Some("a"))],
        };
        let parts = split_by_token(request, None);
        let shape: Vec<_> = parts
            .iter()
            .map(|(t, r)| (t.as_deref(), r.resource_spans.len()))
            .collect();
        assert_eq!(shape, [(Some("a"), 2), (None, 1)]);
        let keys: Vec<_> = parts[0].1.resource_spans[0]
            .resource
            .as_ref()
            .unwrap()
            .attributes
            .iter()
            .map(|kv| kv.key.as_str())
            .collect();
        assert_eq!(keys, ["service.name"]);
    }

    #[test]
    fn a_header_token_wins_and_the_attribute_is_still_removed() {
        let request = ExportTraceServiceRequest {
            resource_spans: vec![resource(Some("a")), resource(None)],
        };
        let parts = split_by_token(request, Some("h"));
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].0.as_deref(), Some("h"));
        assert!(parts[0].1.resource_spans.iter().all(|r| r
            .resource
            .as_ref()
            .unwrap()
            .attributes
            .iter()
            .all(|kv| kv.key != TOKEN_ATTRIBUTE)));
    }
}
