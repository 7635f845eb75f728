//! Real OpenTelemetry SDKs as clients: the Python SDK (HTTP protobuf and gRPC exporters)
//! and the Rust `opentelemetry-otlp` exporter (HTTP protobuf and gRPC).

use std::collections::HashMap;

use opentelemetry::trace::{
    Span as _, SpanKind, Status, TraceContextExt, Tracer, TracerProvider as _,
};
use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::TestServer;
use crate::otlp::{setup, wait_errors};

/// The venv `scripts/test.sh` installs the Python SDK into.
pub fn python() -> String {
    std::env::var("OMEGI_TEST_PYTHON").unwrap_or_else(|_| {
        let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/test-venv/bin/python");
        assert!(
            std::path::Path::new(venv).exists(),
            "the OpenTelemetry Python SDK is missing: run scripts/test.sh (or set OMEGI_TEST_PYTHON)"
        );
        venv.to_string()
    })
}

/// Waits for the error of `trace_id` and checks what a checkout failure must show.
async fn assert_sdk_checkout(
    api: &crate::common::Api,
    trace_id: &str,
    ty: &str,
    flow: Value,
) -> Value {
    let errors = wait_errors(api, |v| !v.is_empty()).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!(e["exception_type"], ty);
    assert_eq!(e["service"], "inventory");
    let detail = api
        .get(&format!("/api/errors/{}", e["id"]))
        .await
        .expect(StatusCode::OK);
    let o = &detail["latest"];
    assert_eq!(o["trace_id"], trace_id);
    assert_eq!(o["summary"]["flow"], flow);
    assert_eq!(
        o["trace"]["services"],
        json!(["gateway", "orders", "inventory"])
    );
    o.clone()
}

async fn python_checkout(protocol: &str) {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let endpoint = if protocol == "http" { &t.base } else { &t.grpc };
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/send_checkout.py"
    );
    let out = tokio::process::Command::new(python())
        .args([script, protocol, endpoint, &s.token])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace_id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let o = assert_sdk_checkout(
        &s.api,
        &trace_id,
        // The Python SDK records the qualified class name.
        "__main__.OutOfStock",
        json!([
            "1. gateway: GET /checkout",
            "2. gateway: POST /orders",
            "3. orders: POST /orders",
            "4. orders: POST /reserve",
            "5. inventory: POST /reserve",
            "6. inventory: inventory.reserve"
        ]),
    )
    .await;
    assert_eq!(o["summary"]["message"], "sku 42 is sold out");
    assert_eq!(
        o["summary"]["operation"]["code_namespace"],
        "shop.inventory"
    );
    assert_eq!(o["summary"]["environment"]["deployment.environment"], "ci");
    let stack = o["log"]["stacktrace"].as_str().unwrap();
    assert!(
        stack.contains("Traceback") && stack.contains("in reserve"),
        "{stack}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_over_http_protobuf() {
    python_checkout("http").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_over_grpc() {
    python_checkout("grpc").await;
}

/// Sends the checkout trace with the Rust SDK: one provider per service, nested spans,
/// the deepest one recording the exception.
fn rust_checkout(exporters: Vec<(&'static str, opentelemetry_otlp::SpanExporter)>) -> String {
    let providers: HashMap<&str, SdkTracerProvider> = exporters
        .into_iter()
        .map(|(service, exporter)| {
            let p = SdkTracerProvider::builder()
                .with_resource(Resource::builder().with_service_name(service).build())
                .with_simple_exporter(exporter)
                .build();
            (service, p)
        })
        .collect();
    let tracer = |s: &str| providers[s].tracer("omegi-test");
    let (gateway, orders, inventory) = (tracer("gateway"), tracer("orders"), tracer("inventory"));
    let root = gateway
        .span_builder("GET /checkout")
        .with_kind(SpanKind::Server)
        .start(&gateway);
    let trace_id = root.span_context().trace_id().to_string();
    let cx = opentelemetry::Context::current_with_span(root);
    let call = orders
        .span_builder("POST /orders")
        .with_kind(SpanKind::Server)
        .start_with_context(&orders, &cx);
    let cx2 = cx.with_span(call);
    let mut deep = inventory
        .span_builder("inventory.reserve")
        .with_attributes([KeyValue::new("code.function", "reserve")])
        .start_with_context(&inventory, &cx2);
    deep.add_event(
        "exception",
        vec![
            KeyValue::new("exception.type", "OutOfStock"),
            KeyValue::new("exception.message", "sku 42 is sold out"),
            KeyValue::new(
                "exception.stacktrace",
                "OutOfStock: sku 42\n   at inventory::reserve (src/stock.rs:42)",
            ),
        ],
    );
    deep.set_status(Status::error("sku 42 is sold out"));
    deep.end();
    for cx in [cx2, cx] {
        cx.span().set_status(Status::error("failed"));
        cx.span().end();
    }
    for p in providers.values() {
        p.force_flush().unwrap();
    }
    trace_id
}

#[derive(Clone, Copy, PartialEq)]
enum Transport {
    HttpProtobuf,
    HttpJson,
    Grpc,
}

async fn rust_sdk(transport: Transport) {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let (base, grpc_url, token) = (t.base.clone(), t.grpc.clone(), s.token.clone());
    let handle = tokio::runtime::Handle::current();
    let trace_id = tokio::task::spawn_blocking(move || {
        let _rt = handle.enter();
        let exporters = ["gateway", "orders", "inventory"]
            .into_iter()
            .map(|service| {
                let exporter = if transport == Transport::Grpc {
                    let mut md = tonic::metadata::MetadataMap::new();
                    md.insert("x-omegi-token", token.parse().unwrap());
                    opentelemetry_otlp::SpanExporter::builder()
                        .with_tonic()
                        .with_endpoint(&grpc_url)
                        .with_metadata(md)
                        .build()
                } else {
                    let protocol = match transport {
                        Transport::HttpJson => Protocol::HttpJson,
                        _ => Protocol::HttpBinary,
                    };
                    opentelemetry_otlp::SpanExporter::builder()
                        .with_http()
                        .with_protocol(protocol)
                        .with_endpoint(format!("{base}/v1/traces"))
                        .with_headers(HashMap::from([(
                            "authorization".into(),
                            format!("Bearer {token}"),
                        )]))
                        .build()
                };
                (service, exporter.unwrap())
            })
            .collect();
        rust_checkout(exporters)
    })
    .await
    .unwrap();
    let o = assert_sdk_checkout(
        &s.api,
        &trace_id,
        "OutOfStock",
        json!([
            "1. gateway: GET /checkout",
            "2. orders: POST /orders",
            "3. inventory: inventory.reserve"
        ]),
    )
    .await;
    assert!(o["log"]["stacktrace"]
        .as_str()
        .unwrap()
        .contains("inventory::reserve"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_otlp_exporter_over_http_protobuf() {
    rust_sdk(Transport::HttpProtobuf).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_otlp_exporter_over_http_json() {
    rust_sdk(Transport::HttpJson).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_otlp_exporter_over_grpc() {
    rust_sdk(Transport::Grpc).await;
}
