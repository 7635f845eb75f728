//! End-to-end ingestion throughput on SQLite: OTLP/HTTP protobuf exports over loopback,
//! each answered only once its spans are committed, then the time until every trace is
//! assembled.
//!
//! `cargo bench -p omegi --bench ingest`

use std::sync::Arc;
use std::time::{Duration, Instant};

use omegi::config::{Config, ServeArgs};
use omegi::server::Server;
use omegi_testkit::otlp::kv;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

const CLIENTS: u64 = 8;
const REQUESTS_PER_CLIENT: u64 = 60;
const TRACES_PER_REQUEST: u64 = 100;
const SPANS_PER_TRACE: u64 = 10;

/// One export: `TRACES_PER_REQUEST` complete traces of `SPANS_PER_TRACE` spans each.
fn request(client: u64, n: u64) -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut spans = Vec::new();
    for t in 0..TRACES_PER_REQUEST {
        let mut trace_id = vec![0u8; 16];
        trace_id[..8].copy_from_slice(&(client + 1).to_be_bytes());
        trace_id[8..].copy_from_slice(&(n * TRACES_PER_REQUEST + t + 1).to_be_bytes());
        for s in 0..SPANS_PER_TRACE {
            spans.push(Span {
                trace_id: trace_id.clone(),
                span_id: (s + 1 + (t << 8)).to_be_bytes().to_vec(),
                parent_span_id: if s == 0 {
                    vec![]
                } else {
                    (s + (t << 8)).to_be_bytes().to_vec()
                },
                name: format!("handler.step{s}"),
                kind: if s == 0 { 2 } else { 1 },
                start_time_unix_nano: now + s * 1000,
                end_time_unix_nano: now + 50_000,
                attributes: vec![kv("http.route", "/checkout"), kv("code.function", "step")],
                ..Default::default()
            });
        }
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", "bench")],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(ServeArgs {
        http_addr: Some("127.0.0.1:0".parse().unwrap()),
        grpc_addr: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: Some(dir.path().to_path_buf()),
        trace_settle: Some(Duration::from_millis(500)),
        ..Default::default()
    })
    .unwrap();
    let server = Server::start(config).await.unwrap();
    let base = format!("http://{}", server.http_addr);
    let owner = omegi_testkit::owner::signed_up(&base, "bench", "bench", "bench").await;
    let token = Arc::new(owner.token);

    // Requests are encoded up front so the clients measure the server, not themselves.
    let bodies: Vec<Vec<Vec<u8>>> = (0..CLIENTS)
        .map(|c| (0..REQUESTS_PER_CLIENT).map(|n| request(c, n)).collect())
        .collect();
    let total_spans = CLIENTS * REQUESTS_PER_CLIENT * TRACES_PER_REQUEST * SPANS_PER_TRACE;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client_bodies in bodies {
        let (base, token) = (base.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for body in client_bodies {
                loop {
                    let r = client
                        .post(format!("{base}/v1/traces"))
                        .header("authorization", format!("Bearer {token}"))
                        .header("content-type", "application/x-protobuf")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    if r.status().is_success() {
                        break;
                    }
                    assert_eq!(r.status(), 503, "{}", r.text().await.unwrap());
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let ingest = started.elapsed();
    println!(
        "acknowledged {total_spans} spans ({} traces) in {:.2}s: {:.0} spans/s",
        total_spans / SPANS_PER_TRACE,
        ingest.as_secs_f64(),
        total_spans as f64 / ingest.as_secs_f64()
    );
    let traces = (total_spans / SPANS_PER_TRACE) as i64;
    loop {
        let (done,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM traces WHERE assembled_version = version")
                .fetch_one(&mut *sqlx_conn(dir.path()).await)
                .await
                .unwrap();
        if done >= traces {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let all = started.elapsed();
    println!(
        "all {traces} traces assembled {:.2}s after the first export ({:.0} traces/s overall)",
        all.as_secs_f64(),
        traces as f64 / all.as_secs_f64()
    );
    server.shutdown().await.unwrap();
}

async fn sqlx_conn(dir: &std::path::Path) -> Box<sqlx::SqliteConnection> {
    use sqlx::Connection;
    Box::new(
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", dir.join("omegi.db").display()))
            .await
            .unwrap(),
    )
}
