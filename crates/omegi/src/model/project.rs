use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Service kinds the service map draws with their own icon.
/// Longest service name, in characters, whether created in Settings or named by a span.
pub const MAX_SERVICE_NAME: usize = 200;

pub const SERVICE_KINDS: &[&str] = &[
    "python", "java", "node", "go", "rust", "dotnet", "ruby", "php", "browser", "gateway",
    "database", "cache", "queue", "external", "other",
];

/// A group of services watched together; members see it, owners change it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    /// The caller's role in this project.
    pub role: MemberRole,
    pub service_count: i64,
    pub member_count: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MemberRole {
    Owner,
    Member,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Owner => "owner",
            MemberRole::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<MemberRole> {
        match s {
            "owner" => Some(MemberRole::Owner),
            "member" => Some(MemberRole::Member),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Member {
    pub user_id: i64,
    pub username: String,
    pub role: MemberRole,
    pub added_at: String,
}

/// One instrumented service of a project; ingest tokens belong to it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Service {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    /// One of `GET /api/service-kinds`, for the service map's icon.
    pub kind: Option<String>,
    pub created_at: String,
}

/// An ingest token as listed: the secret itself is only ever shown once, at creation.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IngestToken {
    pub id: i64,
    pub service_id: i64,
    /// The first characters of the token, to tell tokens apart.
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// A Sentry DSN key of a service. The public key is public by design (browser SDKs ship it),
/// so it can be listed at any time; revoking the key is what stops its use.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SentryKey {
    pub id: i64,
    pub service_id: i64,
    pub public_key: String,
    /// The DSN to give a Sentry SDK: `http(s)://<public key>@<omegi host>/<project id>`.
    pub dsn: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// What a service's setup guide fills in: where this server takes traces, and what the
/// service's agent last said it runs with.
#[derive(Serialize, ToSchema)]
pub struct SetupInfo {
    /// Where users and agents reach this server (`--public-url`).
    pub public_url: String,
    /// OTLP over HTTP: `public_url` + `/v1/traces`.
    pub otlp_http_endpoint: String,
    /// OTLP over gRPC: the public host on the gRPC port this server listens on.
    pub otlp_grpc_endpoint: String,
    /// Libraries Omegi's agent found installed in the service when it last started (Flask,
    /// requests…), so the guide installs their extras; empty before the first trace.
    pub frameworks: Vec<String>,
    /// The language of the service's OpenTelemetry SDK, once it sent a trace.
    pub sdk_language: Option<String>,
}
