//! Building OTLP requests and sending them, for the ingestion tests.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    span, status, ResourceSpans, ScopeSpans, Span, Status,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{Api, Reply, TestServer};

pub fn trace_id(n: u64) -> Vec<u8> {
    let mut id = vec![0xab; 8];
    id.extend(n.to_be_bytes());
    id
}

pub fn trace_hex(n: u64) -> String {
    trace_id(n).iter().map(|b| format!("{b:02x}")).collect()
}

pub fn span_id(trace: u64, n: u64) -> Vec<u8> {
    ((trace << 16) | n).to_be_bytes().to_vec()
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..Default::default()
    }
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// A span of trace `trace` with id `n` under `parent`, starting `at_ms` after now.
pub fn span(trace: u64, n: u64, parent: Option<u64>, name: &str, kind: span::SpanKind) -> Span {
    let start = now_ns() + n * 1_000_000;
    Span {
        trace_id: trace_id(trace),
        span_id: span_id(trace, n),
        parent_span_id: parent.map(|p| span_id(trace, p)).unwrap_or_default(),
        name: name.into(),
        kind: kind as i32,
        start_time_unix_nano: start,
        end_time_unix_nano: start + 5_000_000,
        ..Default::default()
    }
}

pub fn failed(mut s: Span) -> Span {
    s.status = Some(Status {
        code: status::StatusCode::Error as i32,
        message: "failed".into(),
    });
    s
}

/// Records a Python-style exception on the span, as OpenTelemetry SDKs do.
pub fn throws(s: Span, ty: &str, message: &str, function: &str) -> Span {
    let mut s = failed(s);
    let stack = format!(
        "Traceback (most recent call last):\n  File \"/app/shop/{function}.py\", line 12, in {function}\n    do()\n{ty}: {message}"
    );
    s.events.push(span::Event {
        name: "exception".into(),
        time_unix_nano: s.end_time_unix_nano,
        attributes: vec![
            kv("exception.type", ty),
            kv("exception.message", message),
            kv("exception.stacktrace", &stack),
        ],
        ..Default::default()
    });
    s
}

pub fn with_attr(mut s: Span, key: &str, value: &str) -> Span {
    s.attributes.push(kv(key, value));
    s
}

pub fn request(groups: Vec<(&str, Vec<Span>)>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: groups
            .into_iter()
            .map(|(service, spans)| ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![
                        kv("service.name", service),
                        kv("deployment.environment", "test"),
                    ],
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            })
            .collect(),
    }
}

/// gateway → orders → inventory, where inventory's `inventory.reserve` throws OutOfStock and
/// the failure propagates up through every caller.
pub fn checkout(trace: u64) -> Vec<(&'static str, Vec<Span>)> {
    use span::SpanKind::{Client, Internal, Server};
    vec![
        (
            "gateway",
            vec![
                with_attr(
                    failed(span(trace, 1, None, "GET /checkout", Server)),
                    "http.route",
                    "/checkout",
                ),
                failed(span(trace, 2, Some(1), "POST /orders", Client)),
            ],
        ),
        (
            "orders",
            vec![
                throws(
                    span(trace, 3, Some(2), "POST /orders", Server),
                    "UpstreamError",
                    "inventory said 500",
                    "api",
                ),
                failed(span(trace, 4, Some(3), "orders.place", Internal)),
                failed(span(trace, 5, Some(4), "POST /reserve", Client)),
            ],
        ),
        (
            "inventory",
            vec![
                failed(span(trace, 6, Some(5), "POST /reserve", Server)),
                with_attr(
                    throws(
                        span(trace, 7, Some(6), "inventory.reserve", Internal),
                        "OutOfStock",
                        "sku 42 is sold out",
                        "reserve",
                    ),
                    "code.function",
                    "reserve",
                ),
            ],
        ),
    ]
}

/// A signed-in owner with a project and a token for its `gateway` service.
pub struct Ingest {
    pub api: Api,
    pub project: i64,
    pub token: String,
}

pub async fn setup(t: &TestServer) -> Ingest {
    let api = t.user("alice").await;
    let project = api.project("shop").await;
    let service = api.service(project, "gateway").await;
    let token = api
        .post(
            &format!("/api/projects/{project}/services/{service}/tokens"),
            json!({}),
        )
        .await
        .expect(StatusCode::CREATED)["secret"]
        .as_str()
        .unwrap()
        .to_string();
    Ingest {
        api,
        project,
        token,
    }
}

pub async fn post(t: &TestServer, token: &str, content_type: &str, body: Vec<u8>) -> Reply {
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/traces", t.base))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    Api::read(resp).await
}

pub async fn post_proto(t: &TestServer, token: &str, req: &ExportTraceServiceRequest) -> Reply {
    use prost::Message;
    post(t, token, "application/x-protobuf", req.encode_to_vec()).await
}

/// Polls the error list until it has `n` errors (or fails after 15 s).
pub async fn wait_for_errors(api: &Api, n: usize) -> Vec<Value> {
    wait_errors(api, |e| e.len() == n).await
}

/// Polls the error list until `ok` holds for its rows; returns them.
pub async fn wait_errors(api: &Api, ok: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let page = wait_until(api, "/api/errors?limit=500", |v| {
        v["errors"].as_array().is_some_and(|e| ok(e))
    })
    .await;
    page[0]["errors"].as_array().unwrap().clone()
}

/// Polls `path` until `ok` holds for its answer.
pub async fn wait_until(api: &Api, path: &str, ok: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let body = api.get(path).await.expect(StatusCode::OK);
        if ok(&body) {
            return body.as_array().cloned().unwrap_or_else(|| vec![body]);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting on {path}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
