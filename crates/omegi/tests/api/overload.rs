//! Memory is bounded under overload: 64 clients sending 4 MB exports at once never take the
//! server above the bound the README states as a formula of the settings, exports beyond the
//! in-flight budget are refused at once with 503 + Retry-After, and admitted ones are stored.

use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use reqwest::StatusCode;

use crate::common::{fresh_database, Process};
use crate::otlp::{request, span, with_attr};

const MIB: u64 = 1 << 20;

/// Peak resident memory of a process so far (VmHWM), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// The README's bound: 64 MiB + 10 × --ingest-inflight + 4 KiB × --ingest-queue.
fn stated_bound(inflight: u64, queue: u64) -> u64 {
    64 * MIB + 10 * inflight + 4096 * queue
}

/// One export of about 3.9 MB: 6,000 spans with realistic attributes.
fn big_export(n: u64) -> Vec<u8> {
    let spans = (0..6_000)
        .map(|i| {
            let s = span(n * 10_000 + i / 20, i % 20 + 1, (i % 20 > 0).then_some(i % 20), "GET /api/orders/{id}", SpanKind::Server);
            let s = with_attr(s, "http.request.method", "GET");
            let s = with_attr(s, "url.full", &format!("https://shop.example.com/api/orders/{i}?expand=items,customer,payments&trace=1"));
            let s = with_attr(s, "db.query.text", &"SELECT o.id, o.total, i.sku FROM orders o JOIN items i ON i.order_id = o.id WHERE o.id = $1 ".repeat(4));
            with_attr(s, "user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)")
        })
        .collect();
    request(vec![("orders", spans)]).encode_to_vec()
}

#[tokio::test]
async fn sixty_four_clients_sending_4mb_exports_stay_within_the_stated_memory_bound() {
    let (inflight, queue) = (16 * MIB, 5_000);
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(dir.path()).await;
    let server = Process::spawn(
        &database,
        &[
            "--ingest-queue",
            "5000",
            "--ingest-inflight",
            "16MiB",
            "--max-body",
            "4MiB",
            "--trace-max-wait",
            "60s",
        ],
    )
    .await;
    let token = crate::durability::token_for(&server.api()).await;
    let body = bytes::Bytes::from(big_export(1));
    assert!(
        body.len() > 3_500_000 && body.len() < 4 << 20,
        "{}",
        body.len()
    );

    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(8);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let (client, body, url, token) = (
            client.clone(),
            body.clone(),
            format!("{}/v1/traces", server.base),
            token.clone(),
        );
        tasks.spawn(async move {
            let (mut stored, mut refused) = (0, 0);
            while Instant::now() < deadline {
                let reply = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/x-protobuf")
                    .body(body.clone())
                    .send()
                    .await;
                // Refused before its body was read, the connection closes under the client
                // while it is still sending: it sees the 503 or a broken pipe, and retries.
                let Ok(reply) = reply else {
                    refused += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                match reply.status() {
                    StatusCode::OK => stored += 1,
                    StatusCode::SERVICE_UNAVAILABLE => {
                        assert!(reply.headers().contains_key("retry-after"));
                        refused += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    other => panic!("unexpected {other}: {}", reply.text().await.unwrap()),
                }
            }
            (stored, refused)
        });
    }
    let (mut stored, mut refused) = (0, 0);
    while let Some(counts) = tasks.join_next().await {
        let (s, r) = counts.unwrap();
        stored += s;
        refused += r;
    }
    let peak = peak_rss(server.child.id());
    let bound = stated_bound(inflight, queue);
    eprintln!(
        "stored {stored} exports, refused {refused}; peak RSS {} MiB, bound {} MiB",
        peak / MIB,
        bound / MIB
    );
    assert!(
        stored > 0 && refused > 0,
        "stored {stored}, refused {refused}"
    );
    assert!(
        peak <= bound,
        "peak RSS {} MiB over the stated bound of {} MiB",
        peak / MIB,
        bound / MIB
    );
}
