//! The HTTP API: one router per resource, assembled here with the OpenAPI document that
//! `utoipa` builds from the handlers' annotations.

mod access;
mod alerts;
mod auth;
mod comments;
mod dashboard;
pub mod error;
pub mod errors;
mod extract;
pub mod front_door;
mod health;
pub mod ingest_token;
mod knowledge;
mod live;
mod metrics;
mod notes;
mod notifications;
pub mod otlp;
mod projects;
pub mod sentry;
pub mod serve;
mod services;
mod session;
mod settings;
mod users;
mod vault;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::routing::get;
use axum::Router;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::config::Config;
use crate::ingest::Ingest;
use crate::live::LiveHub;
use crate::store::Store;
use error::ApiError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    /// Where users reach this server: `--public-url`, or the address it listens on.
    pub public_url: Arc<str>,
    /// The port OTLP/gRPC is served on (as bound: `--grpc-addr` may ask for any free one).
    pub grpc_port: u16,
    /// Outbound HTTP (GitHub OAuth); no redirects, as the OAuth spec asks.
    pub http: reqwest::Client,
    /// Receiving traces: token check, in-flight budget, decoding, the span writer.
    pub ingest: Ingest,
    pub live: LiveHub,
    /// Sign-in attempts per address and per account.
    pub login_limits: Arc<front_door::LoginLimits>,
    /// What the retention worker of this node deleted.
    pub deleted: Arc<crate::retention::Deleted>,
    /// Sends test alerts and checks channel targets.
    pub alerts: crate::alerts::Alerts,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Omegi API", description = "Error tracking for distributed systems, with a knowledge base of how errors were solved."),
    modifiers(&SessionCookie),
    components(schemas(
        crate::store::ErrorSort,
        crate::alerts::message::AlertBody,
        crate::model::Activity
    )),
    tags(
        (name = "auth", description = "Accounts and sign-in"),
        (name = "users", description = "Accounts"),
        (name = "projects", description = "Projects and members"),
        (name = "services", description = "Services and ingest tokens"),
        (name = "dashboard", description = "Service map and statistics"),
        (name = "errors", description = "Error groups, occurrences and traces"),
        (name = "alerts", description = "Alert channels (webhook, Slack, Discord, Teams, email), rules and delivery history. The generic webhook body is the AlertBody schema."),
        (name = "notes", description = "The knowledge base: notes, links, tags, comments, graph"),
        (name = "ingest", description = "Endpoints for agents, authenticated by ingest token"),
        (name = "settings", description = "Server settings: retention, storage, Kafka intake"),
        (name = "health", description = "Probes"),
    )
)]
struct ApiDoc;

struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, doc: &mut OpenApiDoc) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(session::SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "sentry_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Sentry-Auth",
                "Sentry sentry_key=<the DSN's public key>, …",
            ))),
        );
        components.add_security_scheme(
            "ingest_token",
            SecurityScheme::Http(utoipa::openapi::security::Http::new(
                utoipa::openapi::security::HttpAuthScheme::Bearer,
            )),
        );
        doc.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "session",
            Vec::<String>::new(),
        )]);
    }
}

/// Documents the error answers every operation of a kind can give, in the one error format,
/// where its own annotation did not: 401 where a session is needed, 404 where the path names
/// something, and for a JSON body 400 (not JSON), 413 (too large), 415 (not JSON content
/// type) and 422 (JSON of the wrong shape).
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, doc: &mut OpenApiDoc) {
        use utoipa::openapi::path::Operation;
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for (path, item) in doc.paths.paths.iter_mut() {
            let ops: [&mut Option<Operation>; 5] = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                let mut add = |status: &str, description: &str| {
                    if !op.responses.responses.contains_key(status) {
                        op.responses
                            .responses
                            .insert(status.to_string(), error(description).into());
                    }
                };
                if op.security.is_none() {
                    add("401", "Not signed in");
                }
                if path.contains('{') {
                    add("404", "Not found, or not visible to the caller");
                }
                // OTLP (/v1/…) and Sentry document their own answers, which their clients
                // act on.
                let ingest = path.starts_with("/v1/") || sentry::is_sentry_path(path);
                if op.request_body.is_some() && !ingest {
                    add("400", "The body is not JSON");
                    add("413", "The body is over the size limit");
                    add("415", "The body is not application/json");
                    add(
                        "422",
                        "JSON of the wrong shape; the message names the field",
                    );
                }
            }
        }
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body;
    let body_timeout = state.config.body_timeout;
    let public_url = state.public_url.clone();
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(auth::router())
        .merge(users::router())
        .merge(projects::router())
        .merge(services::router())
        .merge(errors::router())
        .merge(alerts::router())
        .merge(live::router())
        .merge(dashboard::router())
        .merge(notes::router())
        .merge(comments::router())
        .merge(knowledge::router())
        .merge(notifications::router())
        .merge(vault::router())
        .merge(ingest_token::router())
        .merge(settings::router())
        .merge(metrics::router())
        .merge(otlp_router(&state))
        .merge(sentry::router(&state))
        .split_for_parts();
    // After the merge: the routers' operations are in the document only now.
    let mut doc = doc;
    CommonErrors.modify(&mut doc);
    // Kept as its JSON text, not as the document: the document is ~2.4 MiB of small
    // allocations that an idle server would hold (docs/benchmarks.md, fifteenth pass).
    let doc_json = bytes::Bytes::from(
        serde_json::to_vec(&doc).expect("the OpenAPI document serialises to JSON"),
    );
    api.route(
        "/api/openapi.json",
        get(move || {
            let body = doc_json.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body) }
        }),
    )
    .fallback(crate::web::serve)
    .method_not_allowed_fallback(method_not_allowed)
    .layer(DefaultBodyLimit::max(max_body))
    .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        body_timeout,
    ))
    .layer(axum::middleware::from_fn(move |request, next| {
        front_door::declared_size(max_body, request, next)
    }))
    .layer(axum::middleware::from_fn(move |request, next| {
        front_door::same_origin_writes(public_url.clone(), request, next)
    }))
    .layer(axum::middleware::from_fn(front_door::security_headers))
    // 5xx answers are logged where they are made (ApiError), with the reason; a refusal
    // under overload (503) is expected and must not flood the log with a line each.
    .layer(
        TraceLayer::new_for_http()
            .on_failure(tower_http::trace::DefaultOnFailure::new().level(tracing::Level::DEBUG)),
    )
    .route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        metrics::timed,
    ))
    .with_state(state)
}

/// `/v1/traces`, which accepts gzip-compressed bodies (the size limit applies after
/// decompression, so a small compressed bomb cannot exhaust memory). An export is admitted
/// into the in-flight budget before its body is read.
fn otlp_router(state: &AppState) -> OpenApiRouter<AppState> {
    let budget = state.ingest.budget.clone();
    let max_body = state.config.max_body;
    OpenApiRouter::new()
        .routes(utoipa_axum::routes!(otlp::traces))
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .layer(axum::middleware::from_fn(|request, next| {
            supported_encoding(&["gzip"], request, next)
        }))
        .layer(axum::middleware::from_fn(move |request, next| {
            otlp::admit(
                budget.clone(),
                max_body,
                StatusCode::SERVICE_UNAVAILABLE,
                request,
                next,
            )
        }))
}

/// Refuses a body encoding other than `supported`, with the JSON error body (the
/// decompression layer itself would answer 415 with an empty body).
async fn supported_encoding(
    supported: &'static [&'static str],
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let encoding = request
        .headers()
        .get(axum::http::header::CONTENT_ENCODING)
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .trim()
                .to_ascii_lowercase()
        });
    match encoding.as_deref() {
        None | Some("" | "identity") => next.run(request).await,
        Some(e) if supported.contains(&e) => next.run(request).await,
        Some(other) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_encoding",
            format!(
                "content-encoding {other:?} is not supported: send {} or no encoding",
                supported.join(", ")
            ),
        )
        .into_response(),
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept that method",
    )
}
