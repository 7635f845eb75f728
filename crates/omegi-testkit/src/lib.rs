//! Test data shared by Omegi's API tests and benchmarks, in one place: OTLP traces built span
//! by span (with failures and exceptions as SDKs record them), the checkout trace the suites
//! use, and a signed-up project owner with an ingest token.

pub mod otlp {
    //! OTLP trace builders.

    use std::time::{SystemTime, UNIX_EPOCH};

    pub use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    pub use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
    use opentelemetry_proto::tonic::trace::v1::{
        span, status, ResourceSpans, ScopeSpans, Span, Status,
    };

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

    /// A string attribute.
    pub fn kv(key: &str, value: &str) -> KeyValue {
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

    /// [`checkout`] without its deepest span, which then fails at orders' UpstreamError, and
    /// that span: sent later, it moves the trace's occurrence down to inventory's OutOfStock.
    pub fn checkout_without_deepest(trace: u64) -> (Vec<(&'static str, Vec<Span>)>, Span) {
        let mut groups = checkout(trace);
        let (_, mut inventory) = groups.pop().expect("checkout ends at inventory");
        let deepest = inventory.pop().expect("inventory has spans");
        groups.push(("inventory", inventory));
        (groups, deepest)
    }

    /// The same flow as [`checkout`], succeeding: no span fails.
    pub fn checkout_ok(trace: u64) -> Vec<(&'static str, Vec<Span>)> {
        checkout(trace)
            .into_iter()
            .map(|(service, spans)| {
                let spans = spans
                    .into_iter()
                    .map(|mut s| {
                        s.status = None;
                        s.events.clear();
                        s
                    })
                    .collect();
                (service, spans)
            })
            .collect()
    }
}

pub mod owner {
    //! A signed-up user owning a project with one service and its ingest token.

    use serde_json::{json, Value};

    pub struct Owner {
        /// Signed in (the session cookie is in its jar).
        pub http: reqwest::Client,
        pub project: i64,
        pub service: i64,
        pub token: String,
    }

    /// Signs `username` up on the Omegi at `base`, creates project `project` with the service
    /// `service` and an ingest token for it.
    pub async fn signed_up(base: &str, username: &str, project: &str, service: &str) -> Owner {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("an HTTP client");
        let post = |path: String, body: Value| {
            let http = http.clone();
            async move {
                let reply = http
                    .post(path)
                    .json(&body)
                    .send()
                    .await
                    .expect("omegi answers");
                assert!(reply.status().is_success(), "{}", reply.status());
                reply.json::<Value>().await.expect("a JSON answer")
            }
        };
        post(
            format!("{base}/api/auth/signup"),
            json!({"username": username, "password": format!("password-of-{username}")}),
        )
        .await;
        let project = post(format!("{base}/api/projects"), json!({"name": project})).await["id"]
            .as_i64()
            .expect("a project id");
        let service = post(
            format!("{base}/api/projects/{project}/services"),
            json!({"name": service}),
        )
        .await["id"]
            .as_i64()
            .expect("a service id");
        let token = post(
            format!("{base}/api/projects/{project}/services/{service}/tokens"),
            json!({}),
        )
        .await["secret"]
            .as_str()
            .expect("a token secret")
            .to_string();
        Owner {
            http,
            project,
            service,
            token,
        }
    }
}
