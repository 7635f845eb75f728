//! The one configuration struct. Values come from command-line flags, then `OMEGI_*` environment
//! variables (both handled by clap), then an optional TOML file, then defaults — resolved and
//! validated once at start-up so the rest of the server never sees a half-valid setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde::Deserialize;

/// Whether anybody may create an account, or only an admin (`omegi user create`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signup {
    Open,
    Closed,
}

/// Flags of `omegi serve`. Every field is optional here so that a missing flag can fall back
/// to the file and then the default; the defaults are written in the help texts.
#[derive(Args, Debug, Default, Clone)]
pub struct ServeArgs {
    /// TOML file with any of the options below (keys in snake_case, e.g. `http_addr`).
    #[arg(long, env = "OMEGI_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Also run a demo: a `demo` account (password printed), a project fed with a gentle
    /// stream of shop traces with some failures, and example notes.
    #[arg(long)]
    pub demo: bool,

    /// Address of the HTTP server (API, OTLP/HTTP, web UI). [default: 127.0.0.1:8080]
    #[arg(long, env = "OMEGI_HTTP_ADDR", value_name = "ADDR")]
    pub http_addr: Option<SocketAddr>,

    /// Address of the OTLP/gRPC receiver. [default: 127.0.0.1:4317]
    #[arg(long, env = "OMEGI_GRPC_ADDR", value_name = "ADDR")]
    pub grpc_addr: Option<SocketAddr>,

    /// Quiet time after a trace's last span (once its root arrived) before it is assembled.
    /// [default: 2s]
    #[arg(long, env = "OMEGI_TRACE_SETTLE", value_name = "DURATION", value_parser = parse_duration)]
    pub trace_settle: Option<Duration>,

    /// Longest wait for a trace's spans, counted from its first span. [default: 30s]
    #[arg(long, env = "OMEGI_TRACE_MAX_WAIT", value_name = "DURATION", value_parser = parse_duration)]
    pub trace_max_wait: Option<Duration>,

    /// Most spans waiting to be written; beyond it exports get 503 and are retried.
    /// [default: 50000]
    #[arg(long, env = "OMEGI_INGEST_QUEUE", value_name = "SPANS")]
    pub ingest_queue: Option<usize>,

    /// Most HTTP connections served at once; more wait to be accepted. [default: 1024]
    #[arg(long, env = "OMEGI_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,

    /// Time a client has to send a request's headers before its connection is closed.
    /// [default: 10s]
    #[arg(long, env = "OMEGI_HEADER_TIMEOUT", value_name = "DURATION", value_parser = parse_duration)]
    pub header_timeout: Option<Duration>,

    /// Longest pause while a client sends a request body; then it gets 408. [default: 10s]
    #[arg(long, env = "OMEGI_BODY_TIMEOUT", value_name = "DURATION", value_parser = parse_duration)]
    pub body_timeout: Option<Duration>,

    /// Most spans of one trace that are assembled and shown; beyond it spans are still stored,
    /// and the trace is assembled from its earliest spans and marked truncated. [default: 10000]
    #[arg(long, env = "OMEGI_MAX_SPANS_PER_TRACE", value_name = "SPANS")]
    pub max_spans_per_trace: Option<usize>,

    /// Directory of the embedded SQLite database. [default: ./omegi-data]
    #[arg(long, env = "OMEGI_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Use this PostgreSQL database instead of the embedded SQLite one (postgres://user@host/db).
    #[arg(long, env = "OMEGI_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,

    /// Whether anyone may sign up, or only an admin creates users. [default: open]
    #[arg(long, env = "OMEGI_SIGNUP", value_name = "MODE")]
    pub signup: Option<Signup>,

    /// The URL users reach Omegi at; used for OAuth redirects and, when https, Secure cookies.
    /// [default: http://<address the server listens on>]
    #[arg(long, env = "OMEGI_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// Bearer token that may read `/metrics` (for Prometheus); without it only a signed-in
    /// admin may.
    #[arg(
        long,
        env = "OMEGI_METRICS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,

    /// How long a sign-in lasts, e.g. 12h or 14d. [default: 14d]
    #[arg(long, env = "OMEGI_SESSION_TTL", value_name = "DURATION", value_parser = parse_duration)]
    pub session_ttl: Option<Duration>,

    /// Largest accepted request body, e.g. 1MiB. [default: 4MiB]
    #[arg(long, env = "OMEGI_MAX_BODY", value_name = "SIZE", value_parser = parse_size)]
    pub max_body: Option<usize>,

    /// Export bodies being read and decoded at once, in bytes (an export of unknown size counts
    /// as --max-body); beyond it exports get 503 / UNAVAILABLE before their body is read.
    /// [default: 32MiB]
    #[arg(long, env = "OMEGI_INGEST_INFLIGHT", value_name = "SIZE", value_parser = parse_size)]
    pub ingest_inflight: Option<usize>,

    /// Kafka brokers to consume spans from (host:port[,host:port…]); without it Kafka is off.
    /// Messages are OTLP protobuf ExportTraceServiceRequests, as the Omegi agents and the
    /// OpenTelemetry Collector's Kafka exporter (encoding otlp_proto) write them.
    #[arg(long, env = "OMEGI_KAFKA_BROKERS", value_name = "HOSTS")]
    pub kafka_brokers: Option<String>,

    /// Kafka topic the spans are read from. [default: omegi-spans]
    #[arg(long, env = "OMEGI_KAFKA_TOPIC", value_name = "TOPIC")]
    pub kafka_topic: Option<String>,

    /// Kafka consumer group; nodes with the same group share the topic's partitions.
    /// [default: omegi]
    #[arg(long, env = "OMEGI_KAFKA_GROUP", value_name = "GROUP")]
    pub kafka_group: Option<String>,

    /// Days occurrences (and the spans of their traces) are kept; error groups, their counts
    /// and notes are kept for ever. Fractions are allowed (0.5 = 12 hours). [default: 30]
    #[arg(long, env = "OMEGI_RETENTION_DAYS", value_name = "DAYS")]
    pub retention_days: Option<f64>,

    /// Hours the spans of traces without errors are kept. [default: 24]
    #[arg(long, env = "OMEGI_TRACE_RETENTION_HOURS", value_name = "HOURS")]
    pub trace_retention_hours: Option<f64>,

    /// Let alert channels post to loopback and link-local addresses (127.0.0.1, ::1,
    /// 169.254.x.x, …). Off, such URLs are refused so that a channel cannot reach services
    /// only this machine sees (server-side request forgery).
    #[arg(long, env = "OMEGI_ALERT_ALLOW_LOCAL_TARGETS")]
    pub alert_allow_local_targets: bool,

    /// After a channel gets a message, alerts for it within this window are folded into one
    /// digest sent when the window ends. [default: 1m]
    #[arg(long, env = "OMEGI_ALERT_DIGEST_WINDOW", value_name = "DURATION", value_parser = parse_duration)]
    pub alert_digest_window: Option<Duration>,

    /// First pause before a failed alert is sent again; it doubles each attempt (up to an hour),
    /// and the alert is given up after 10 attempts. [default: 10s]
    #[arg(long, env = "OMEGI_ALERT_RETRY", value_name = "DURATION", value_parser = parse_duration)]
    pub alert_retry: Option<Duration>,

    /// SMTP server for email alerts; without it email channels are off.
    #[arg(long, env = "OMEGI_SMTP_HOST", value_name = "HOST")]
    pub smtp_host: Option<String>,

    /// SMTP port. [default: 587 with starttls, 465 with tls, 25 with none]
    #[arg(long, env = "OMEGI_SMTP_PORT", value_name = "PORT")]
    pub smtp_port: Option<u16>,

    /// How the SMTP connection is encrypted: starttls, tls or none. [default: starttls]
    #[arg(long, env = "OMEGI_SMTP_TLS", value_name = "MODE")]
    pub smtp_tls: Option<SmtpTls>,

    /// SMTP user name, when the server wants one.
    #[arg(long, env = "OMEGI_SMTP_USER", value_name = "USER")]
    pub smtp_user: Option<String>,

    /// SMTP password.
    #[arg(
        long,
        env = "OMEGI_SMTP_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub smtp_password: Option<String>,

    /// Sender of alert emails, e.g. "Omegi <omegi@example.com>". [default: omegi@<smtp host>]
    #[arg(long, env = "OMEGI_SMTP_FROM", value_name = "ADDRESS")]
    pub smtp_from: Option<String>,

    /// GitHub OAuth app client id; without it GitHub sign-in is off.
    #[arg(long, env = "OMEGI_GITHUB_CLIENT_ID", value_name = "ID")]
    pub github_client_id: Option<String>,

    /// GitHub OAuth app client secret.
    #[arg(
        long,
        env = "OMEGI_GITHUB_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub github_client_secret: Option<String>,

    /// GitHub authorize URL (change for GitHub Enterprise).
    /// [default: https://github.com/login/oauth/authorize]
    #[arg(long, env = "OMEGI_GITHUB_AUTHORIZE_URL", value_name = "URL")]
    pub github_authorize_url: Option<String>,

    /// GitHub token URL. [default: https://github.com/login/oauth/access_token]
    #[arg(long, env = "OMEGI_GITHUB_TOKEN_URL", value_name = "URL")]
    pub github_token_url: Option<String>,

    /// GitHub API URL of the signed-in user. [default: https://api.github.com/user]
    #[arg(long, env = "OMEGI_GITHUB_USER_URL", value_name = "URL")]
    pub github_user_url: Option<String>,
}

/// The same options as read from the TOML file. Unknown keys are refused so a typo is not
/// silently ignored.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    http_addr: Option<SocketAddr>,
    grpc_addr: Option<SocketAddr>,
    #[serde(default, deserialize_with = "de_duration")]
    trace_settle: Option<Duration>,
    #[serde(default, deserialize_with = "de_duration")]
    trace_max_wait: Option<Duration>,
    ingest_queue: Option<usize>,
    max_spans_per_trace: Option<usize>,
    max_connections: Option<usize>,
    #[serde(default, deserialize_with = "de_duration")]
    header_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "de_duration")]
    body_timeout: Option<Duration>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    signup: Option<Signup>,
    public_url: Option<String>,
    metrics_token: Option<String>,
    #[serde(default, deserialize_with = "de_duration")]
    session_ttl: Option<Duration>,
    #[serde(default, deserialize_with = "de_size")]
    max_body: Option<usize>,
    #[serde(default, deserialize_with = "de_size")]
    ingest_inflight: Option<usize>,
    kafka_brokers: Option<String>,
    kafka_topic: Option<String>,
    kafka_group: Option<String>,
    retention_days: Option<f64>,
    trace_retention_hours: Option<f64>,
    #[serde(default)]
    alert_allow_local_targets: bool,
    #[serde(default, deserialize_with = "de_duration")]
    alert_digest_window: Option<Duration>,
    #[serde(default, deserialize_with = "de_duration")]
    alert_retry: Option<Duration>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_tls: Option<SmtpTls>,
    smtp_user: Option<String>,
    smtp_password: Option<String>,
    smtp_from: Option<String>,
    github_client_id: Option<String>,
    github_client_secret: Option<String>,
    github_authorize_url: Option<String>,
    github_token_url: Option<String>,
    github_user_url: Option<String>,
}

/// How the connection to the SMTP server is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (refused if the server does not offer it).
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No encryption: for a relay on the same host or network only.
    None,
}

/// The SMTP server email alerts go through.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub credentials: Option<(String, String)>,
    pub from: String,
}

/// How alerts are delivered.
#[derive(Clone, Debug)]
pub struct AlertConfig {
    pub allow_local_targets: bool,
    pub digest_window: Duration,
    pub retry: Duration,
    pub smtp: Option<SmtpConfig>,
}

/// Where the data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    Sqlite { path: PathBuf },
    Postgres { url: String },
}

#[derive(Clone, Debug)]
pub struct GithubConfig {
    pub client_id: String,
    pub client_secret: String,
    pub authorize_url: String,
    pub token_url: String,
    pub user_url: String,
}

/// Where spans are consumed from when Kafka is on.
#[derive(Clone, Debug)]
pub struct KafkaConfig {
    pub brokers: String,
    pub topic: String,
    pub group: String,
}

/// How long stored data is kept.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Retention {
    /// Occurrences, and the spans of traces that have any.
    pub errors: Duration,
    /// Spans of traces without errors.
    pub traces: Duration,
    /// Pause between background deletion rounds.
    pub every: Duration,
}

/// Validated settings of a running server.
#[derive(Clone, Debug)]
pub struct Config {
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    pub trace_settle: Duration,
    pub trace_max_wait: Duration,
    pub ingest_queue: usize,
    pub max_spans_per_trace: usize,
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub database: Database,
    pub signup: Signup,
    /// As configured; [`crate::http::AppState::public_url`] holds the effective one.
    pub public_url: Option<String>,
    /// Who may read `/metrics` besides admins.
    pub metrics_token: Option<String>,
    pub session_ttl: Duration,
    pub max_body: usize,
    pub ingest_inflight: usize,
    pub github: Option<GithubConfig>,
    pub kafka: Option<KafkaConfig>,
    /// `--demo`: run the demo beside the server (`crate::demo`).
    pub demo: bool,
    pub retention: Retention,
    pub alerts: AlertConfig,
}

impl Config {
    /// Resolves flags/env, then the file named by `--config`, then defaults; the error names
    /// the offending option.
    pub fn load(args: ServeArgs) -> Result<Config, String> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        Self::resolve(args, file)
    }

    fn resolve(a: ServeArgs, f: FileConfig) -> Result<Config, String> {
        let alerts = alert_config(&a, &f)?;
        let http_addr = a
            .http_addr
            .or(f.http_addr)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let grpc_addr = a
            .grpc_addr
            .or(f.grpc_addr)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 4317)));
        let trace_settle = a
            .trace_settle
            .or(f.trace_settle)
            .unwrap_or(Duration::from_secs(2));
        let trace_max_wait = a
            .trace_max_wait
            .or(f.trace_max_wait)
            .unwrap_or(Duration::from_secs(30));
        if trace_max_wait < trace_settle {
            return Err(format!(
                "--trace-max-wait: must not be shorter than --trace-settle ({})",
                humantime::format_duration(trace_settle)
            ));
        }
        let max_spans_per_trace = a
            .max_spans_per_trace
            .or(f.max_spans_per_trace)
            .unwrap_or(10_000);
        if max_spans_per_trace == 0 {
            return Err("--max-spans-per-trace must be at least 1".into());
        }
        let max_connections = a.max_connections.or(f.max_connections).unwrap_or(1024);
        if max_connections == 0 {
            return Err("--max-connections must be at least 1".into());
        }
        let header_timeout = a
            .header_timeout
            .or(f.header_timeout)
            .unwrap_or(Duration::from_secs(10));
        let body_timeout = a
            .body_timeout
            .or(f.body_timeout)
            .unwrap_or(Duration::from_secs(10));
        for (name, value) in [
            ("--header-timeout", header_timeout),
            ("--body-timeout", body_timeout),
        ] {
            if value.is_zero() {
                return Err(format!("{name} must be more than 0"));
            }
        }
        let ingest_queue = a.ingest_queue.or(f.ingest_queue).unwrap_or(50_000);
        if ingest_queue == 0 {
            return Err("--ingest-queue: must be at least 1".into());
        }
        let database = match a.database_url.or(f.database_url) {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Postgres { url }
            }
            Some(url) => {
                return Err(format!(
                    "--database-url: expected a postgres:// URL, got {url:?} \
                     (leave it out to use the embedded SQLite database in --data-dir)"
                ))
            }
            None => {
                let dir = a
                    .data_dir
                    .or(f.data_dir)
                    .unwrap_or_else(|| PathBuf::from("omegi-data"));
                Database::Sqlite {
                    path: dir.join("omegi.db"),
                }
            }
        };
        let public_url = a.public_url.or(f.public_url);
        if let Some(url) = &public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "--public-url: expected an http:// or https:// URL, got {url:?}"
                ));
            }
        }
        let session_ttl = a
            .session_ttl
            .or(f.session_ttl)
            .unwrap_or(Duration::from_secs(14 * 24 * 3600));
        if session_ttl.is_zero() {
            return Err("--session-ttl: must be longer than zero".into());
        }
        let max_body = a.max_body.or(f.max_body).unwrap_or(4 << 20);
        if max_body < 1024 {
            return Err("--max-body: must be at least 1KiB".into());
        }
        let ingest_inflight = a.ingest_inflight.or(f.ingest_inflight).unwrap_or(32 << 20);
        if ingest_inflight < max_body {
            return Err(format!(
                "--ingest-inflight ({ingest_inflight} bytes) must be at least --max-body ({max_body} bytes)"
            ));
        }
        let github = match a.github_client_id.or(f.github_client_id) {
            None => None,
            Some(client_id) => Some(GithubConfig {
                client_id,
                client_secret: a
                    .github_client_secret
                    .or(f.github_client_secret)
                    .ok_or("--github-client-secret: required when --github-client-id is set")?,
                authorize_url: a
                    .github_authorize_url
                    .or(f.github_authorize_url)
                    .unwrap_or_else(|| "https://github.com/login/oauth/authorize".into()),
                token_url: a
                    .github_token_url
                    .or(f.github_token_url)
                    .unwrap_or_else(|| "https://github.com/login/oauth/access_token".into()),
                user_url: a
                    .github_user_url
                    .or(f.github_user_url)
                    .unwrap_or_else(|| "https://api.github.com/user".into()),
            }),
        };
        let kafka = match a.kafka_brokers.or(f.kafka_brokers) {
            None => None,
            Some(_) if !cfg!(feature = "kafka") => {
                return Err(
                    "--kafka-brokers: this omegi was built without the kafka feature".into(),
                )
            }
            Some(brokers) if brokers.trim().is_empty() => {
                return Err("--kafka-brokers: expected host:port[,host:port…]".into())
            }
            Some(brokers) => Some(KafkaConfig {
                brokers,
                topic: a
                    .kafka_topic
                    .or(f.kafka_topic)
                    .unwrap_or_else(|| "omegi-spans".into()),
                group: a
                    .kafka_group
                    .or(f.kafka_group)
                    .unwrap_or_else(|| "omegi".into()),
            }),
        };
        let retention = Retention {
            errors: positive_span(
                "--retention-days",
                a.retention_days.or(f.retention_days).unwrap_or(30.0),
                86_400.0,
            )?,
            traces: positive_span(
                "--trace-retention-hours",
                a.trace_retention_hours
                    .or(f.trace_retention_hours)
                    .unwrap_or(24.0),
                3_600.0,
            )?,
            every: Duration::from_secs(60),
        };
        Ok(Config {
            http_addr,
            grpc_addr,
            trace_settle,
            trace_max_wait,
            ingest_queue,
            max_spans_per_trace,
            max_connections,
            header_timeout,
            body_timeout,
            database,
            signup: a.signup.or(f.signup).unwrap_or(Signup::Open),
            public_url: public_url.map(|u| u.trim_end_matches('/').to_string()),
            metrics_token: a
                .metrics_token
                .or(f.metrics_token)
                .filter(|t| !t.is_empty()),
            session_ttl,
            max_body,
            ingest_inflight,
            github,
            kafka,
            demo: a.demo,
            retention,
            alerts,
        })
    }

    /// Cookies get the Secure flag when users reach Omegi over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

fn alert_config(a: &ServeArgs, f: &FileConfig) -> Result<AlertConfig, String> {
    let smtp = match a.smtp_host.clone().or(f.smtp_host.clone()) {
        None => None,
        Some(host) if host.trim().is_empty() => return Err("--smtp-host: expected a host".into()),
        Some(host) => {
            let tls = a.smtp_tls.or(f.smtp_tls).unwrap_or(SmtpTls::Starttls);
            let port = a.smtp_port.or(f.smtp_port).unwrap_or(match tls {
                SmtpTls::Starttls => 587,
                SmtpTls::Tls => 465,
                SmtpTls::None => 25,
            });
            let user = a.smtp_user.clone().or(f.smtp_user.clone());
            let password = a.smtp_password.clone().or(f.smtp_password.clone());
            let credentials = match (user, password) {
                (Some(u), Some(p)) => Some((u, p)),
                (None, None) => None,
                _ => return Err("--smtp-user and --smtp-password: give both or neither".into()),
            };
            let from = a
                .smtp_from
                .clone()
                .or(f.smtp_from.clone())
                .unwrap_or_else(|| format!("omegi@{host}"));
            if from.parse::<lettre::message::Mailbox>().is_err() {
                return Err(format!("--smtp-from: {from:?} is not an email address"));
            }
            Some(SmtpConfig {
                host,
                port,
                tls,
                credentials,
                from,
            })
        }
    };
    let retry = a
        .alert_retry
        .or(f.alert_retry)
        .unwrap_or(Duration::from_secs(10));
    if retry.is_zero() {
        return Err("--alert-retry: must be more than 0".into());
    }
    Ok(AlertConfig {
        allow_local_targets: a.alert_allow_local_targets || f.alert_allow_local_targets,
        digest_window: a
            .alert_digest_window
            .or(f.alert_digest_window)
            .unwrap_or(Duration::from_secs(60)),
        retry,
        smtp,
    })
}

/// `value` units of `unit_secs` seconds, which must be a positive, finite span.
fn positive_span(option: &str, value: f64, unit_secs: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value * unit_secs)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{option}: expected a number above 0, got {value}"))
}

fn read_file(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--config: cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("--config: {}: {e}", path.display()))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (examples: 2s, 30m, 14d)"))
}

/// Sizes such as `512KiB`, `4MiB`, `1048576`.
fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size (examples: 65536, 512KiB, 4MiB)"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?} (use KiB, MiB or GiB)")),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("{s:?} is too large"))
}

fn de_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn de_size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Number(usize),
        Text(String),
    }
    match Size::deserialize(d)? {
        Size::Number(n) => Ok(Some(n)),
        Size::Text(s) => parse_size(&s).map(Some).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let file: FileConfig = toml::from_str(
            "http_addr = \"0.0.0.0:9000\"\nsignup = \"closed\"\nmax_body = \"2MiB\"",
        )
        .unwrap();
        let args = ServeArgs {
            http_addr: Some("127.0.0.1:7000".parse().unwrap()),
            ..Default::default()
        };
        let c = Config::resolve(args, file).unwrap();
        assert_eq!(c.http_addr.port(), 7000);
        assert_eq!(c.signup, Signup::Closed);
        assert_eq!(c.max_body, 2 << 20);
        assert_eq!(
            c.database,
            Database::Sqlite {
                path: PathBuf::from("omegi-data/omegi.db")
            }
        );
    }

    #[test]
    fn bad_values_name_the_option() {
        let err = toml::from_str::<FileConfig>("htp_addr = \"x\"").unwrap_err();
        assert!(err.to_string().contains("htp_addr"), "{err}");
        let args = ServeArgs {
            database_url: Some("mysql://x".into()),
            ..Default::default()
        };
        let err = Config::resolve(args, FileConfig::default()).unwrap_err();
        assert!(err.starts_with("--database-url"), "{err}");
        let args = ServeArgs {
            github_client_id: Some("id".into()),
            ..Default::default()
        };
        let err = Config::resolve(args, FileConfig::default()).unwrap_err();
        assert!(err.starts_with("--github-client-secret"), "{err}");
        assert!(parse_size("12 parsecs").is_err());
    }
}
