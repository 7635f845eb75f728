//! Sentry's ingestion protocol at the edges: DSN keys, authentication, envelopes that are
//! malformed, oversized or compressed, the legacy store endpoint, CORS and overload. The real
//! SDKs (Python, Node, Java) are tested in `tests/sentry_sdks/`.

use std::io::Write;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::common::{Api, Reply, TestServer};
use crate::loadgen::{metric, metrics, METRICS_TOKEN};
use crate::otlp::{setup_as, wait_errors};

struct Dsn {
    sid: i64,
    key: String,
    project: i64,
    dsn: String,
}

async fn dsn_for(api: &Api, project: i64, service: &str) -> Dsn {
    let sid = api.service(project, service).await;
    let created = api
        .post(
            &format!("/api/projects/{project}/services/{sid}/sentry-keys"),
            json!({}),
        )
        .await
        .expect(StatusCode::CREATED);
    Dsn {
        sid,
        key: created["public_key"].as_str().unwrap().to_string(),
        project,
        dsn: created["dsn"].as_str().unwrap().to_string(),
    }
}

fn event(id: &str, ty: &str, value: &str) -> Value {
    json!({
        "event_id": id,
        "timestamp": 1_790_000_000.5,
        "platform": "python",
        "level": "error",
        "exception": {"values": [{"type": ty, "value": value, "module": "shop.stock",
            "stacktrace": {"frames": [{"function": "reserve", "module": "shop.stock",
                "abs_path": "/app/shop/stock.py", "lineno": 42, "in_app": true}]}}]}
    })
}

fn envelope(items: &[(&str, Value)]) -> Vec<u8> {
    let mut out = b"{\"sent_at\":\"2026-11-26T00:00:00Z\"}\n".to_vec();
    for (kind, payload) in items {
        let payload = serde_json::to_vec(payload).unwrap();
        writeln!(out, "{{\"type\":\"{kind}\",\"length\":{}}}", payload.len()).unwrap();
        out.extend_from_slice(&payload);
        out.push(b'\n');
    }
    out
}

async fn send(
    t: &TestServer,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", t.base))
        .body(body);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.send().await.unwrap()
}

fn auth(key: &str) -> String {
    format!("Sentry sentry_version=7, sentry_client=omegi-test/1.0, sentry_key={key}")
}

async fn post_envelope(t: &TestServer, d: &Dsn, body: Vec<u8>) -> Reply {
    let auth = auth(&d.key);
    Api::read(
        send(
            t,
            &format!("/api/{}/envelope/", d.project),
            &[("x-sentry-auth", &auth)],
            body,
        )
        .await,
    )
    .await
}

async fn stored(t: &TestServer) -> f64 {
    metric(&metrics(t).await, "omegi_spans_stored_total")
}

async fn server() -> TestServer {
    TestServer::start_with(|c| {
        c.metrics_token = Some(METRICS_TOKEN.into());
        c.max_body = 64 * 1024;
        c.ingest_inflight = 64 * 1024;
    })
    .await
}

#[tokio::test]
async fn dsn_keys_are_listed_to_members_created_and_revoked_by_owners_and_revoked_keys_refused() {
    let t = server().await;
    let s = setup_as(&t, "alice", "shop", "gateway").await;
    let d = dsn_for(&s.api, s.project, "checkout").await;
    let host = t.base.trim_start_matches("http://");
    assert_eq!(d.dsn, format!("http://{}@{host}/{}", d.key, s.project));
    assert_eq!(d.key.len(), 32);

    let bob = t.user("bob").await;
    let sid = d.sid;
    let keys = format!("/api/projects/{}/services/{sid}/sentry-keys", s.project);
    bob.get(&keys)
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    s.api
        .post(
            &format!("/api/projects/{}/members", s.project),
            json!({"username": "bob", "role": "member"}),
        )
        .await
        .expect(StatusCode::OK);
    let listed = bob.get(&keys).await.expect(StatusCode::OK);
    assert_eq!(listed[0]["dsn"], d.dsn.as_str());
    bob.post(&keys, json!({}))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");

    let ok = post_envelope(
        &t,
        &d,
        envelope(&[(
            "event",
            event("a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "OutOfStock", "sku 1"),
        )]),
    )
    .await;
    assert_eq!(
        ok.expect(StatusCode::OK),
        json!({"id": "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"})
    );
    let id = listed[0]["id"].as_i64().unwrap();
    bob.delete(&format!("{keys}/{id}"))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    s.api
        .delete(&format!("{keys}/{id}"))
        .await
        .expect(StatusCode::NO_CONTENT);
    let refused = post_envelope(
        &t,
        &d,
        envelope(&[(
            "event",
            event("b1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "OutOfStock", "sku 1"),
        )]),
    )
    .await;
    assert!(refused
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized")
        .contains("revoked"));
    let errors = wait_errors(&s.api, |e| !e.is_empty()).await;
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["service"], "checkout");
    assert_eq!(errors[0]["exception_type"], "shop.stock.OutOfStock");
}

#[tokio::test]
async fn keys_come_from_any_sentry_header_or_the_query_and_bad_or_foreign_keys_store_nothing() {
    let t = server().await;
    let s = setup_as(&t, "alice", "shop", "gateway").await;
    let mine = dsn_for(&s.api, s.project, "checkout").await;
    let other = setup_as(&t, "carol", "blog", "web").await;
    let theirs = dsn_for(&other.api, other.project, "blog-api").await;
    let body = || envelope(&[("event", event("c1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "E", "x"))]);
    let path = format!("/api/{}/envelope/", s.project);

    let missing = Api::read(send(&t, &path, &[], body()).await).await;
    assert!(missing
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized")
        .contains("sentry_key"));
    let unknown = auth("0123456789abcdef0123456789abcdef");
    let unknown = Api::read(send(&t, &path, &[("x-sentry-auth", &unknown)], body()).await).await;
    unknown.expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let foreign = auth(&theirs.key);
    let foreign = Api::read(send(&t, &path, &[("x-sentry-auth", &foreign)], body()).await).await;
    let message = foreign.expect_error(StatusCode::FORBIDDEN, "wrong_project");
    assert!(
        message.contains(&format!("project {}", other.project)),
        "{message}"
    );
    assert_eq!(stored(&t).await, 0.0);

    let by_authorization = format!("Sentry sentry_key={}, sentry_version=7", mine.key);
    let r = send(&t, &path, &[("authorization", &by_authorization)], body()).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Without the trailing slash, with the key in the query string, as browser SDKs may send.
    let query = format!(
        "/api/{}/envelope?sentry_key={}&sentry_version=7",
        s.project, mine.key
    );
    let r = send(
        &t,
        &query,
        &[],
        envelope(&[("event", event("d1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "E", "x"))]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(stored(&t).await, 2.0);
}

#[tokio::test]
async fn malformed_envelopes_are_refused_whole_naming_the_problem() {
    let t = server().await;
    let s = setup_as(&t, "alice", "shop", "gateway").await;
    let d = dsn_for(&s.api, s.project, "checkout").await;
    let good = serde_json::to_vec(&event("e1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "E", "x")).unwrap();
    let with_good = |tail: &[u8]| {
        let mut b =
            format!("{{}}\n{{\"type\":\"event\",\"length\":{}}}\n", good.len()).into_bytes();
        b.extend_from_slice(&good);
        b.push(b'\n');
        b.extend_from_slice(tail);
        b
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"this is not json\n".to_vec(), "envelope header"),
        (
            with_good(b"{\"length\":2}\n{}"),
            "item 2 header: no \"type\"",
        ),
        (
            with_good(b"{\"type\":\"event\",\"length\":500}\n{}"),
            "says it has 500 bytes",
        ),
        (
            with_good(b"{\"type\":\"event\"}\n{not json"),
            "item 2 (event): not JSON",
        ),
        (
            with_good(b"{\"type\":\"transaction\"}\n{\"transaction\":\"x\"}"),
            "contexts.trace",
        ),
    ];
    for (body, problem) in cases {
        let message = post_envelope(&t, &d, body)
            .await
            .expect_error(StatusCode::BAD_REQUEST, "malformed_envelope");
        assert!(
            message.contains(problem),
            "{message:?} should name {problem:?}"
        );
    }
    assert_eq!(
        stored(&t).await,
        0.0,
        "nothing of a refused envelope is stored"
    );

    // Items Omegi does not keep are accepted and skipped.
    let sessions = envelope(&[
        ("session", json!({"sid": "x", "status": "ok"})),
        ("client_report", json!({"discarded_events": []})),
        ("attachment", json!("raw")),
    ]);
    assert_eq!(
        post_envelope(&t, &d, sessions).await.expect(StatusCode::OK),
        json!({"id": null})
    );
    assert_eq!(stored(&t).await, 0.0);
}

#[tokio::test]
async fn oversized_bodies_and_compression_bombs_are_413_and_gzip_deflate_br_are_read() {
    let t = server().await;
    let s = setup_as(&t, "alice", "shop", "gateway").await;
    let d = dsn_for(&s.api, s.project, "checkout").await;
    let auth = auth(&d.key);
    let path = format!("/api/{}/envelope/", d.project);

    let mut big = event("f1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "E", "x");
    big["extra"] = json!({"blob": "x".repeat(100 * 1024)});
    let plain = Api::read(
        send(
            &t,
            &path,
            &[("x-sentry-auth", &auth)],
            envelope(&[("event", big)]),
        )
        .await,
    )
    .await;
    plain.expect_error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");

    // 16 MiB of zeros is 16 KiB gzipped: refused at the limit, not inflated into memory.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![0u8; 16 << 20]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 64 * 1024);
    let r = send(
        &t,
        &path,
        &[("x-sentry-auth", &auth), ("content-encoding", "gzip")],
        bomb,
    )
    .await;
    Api::read(r)
        .await
        .expect_error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");

    let body = |n: u8| {
        envelope(&[(
            "event",
            event(&format!("{n:02x}b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"), "E", "x"),
        )])
    };
    let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    deflate.write_all(&body(1)).unwrap();
    let mut br = Vec::new();
    brotli::BrotliCompress(&mut &body(2)[..], &mut br, &Default::default()).unwrap();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&body(3)).unwrap();
    for (encoding, bytes) in [
        ("deflate", deflate.finish().unwrap()),
        ("br", br),
        ("gzip", gzip.finish().unwrap()),
    ] {
        let r = send(
            &t,
            &path,
            &[("x-sentry-auth", &auth), ("content-encoding", encoding)],
            bytes,
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK, "{encoding}");
    }
    let r = send(
        &t,
        &path,
        &[("x-sentry-auth", &auth), ("content-encoding", "zstd")],
        body(4),
    )
    .await;
    Api::read(r)
        .await
        .expect_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_encoding");
    assert_eq!(stored(&t).await, 3.0);
}

#[tokio::test]
async fn the_store_endpoint_takes_one_event_and_answers_its_id() {
    let t = server().await;
    let s = setup_as(&t, "alice", "shop", "gateway").await;
    let d = dsn_for(&s.api, s.project, "checkout").await;
    let path = format!("/api/{}/store/?sentry_key={}", d.project, d.key);
    let mut message = json!({"event_id": "0badc0de0badc0de0badc0de0badc0de", "level": "warning",
        "logentry": {"message": "disk %s almost full", "params": ["/var"], "formatted": "disk /var almost full"}});
    let r = send(
        &t,
        &path,
        &[("content-type", "application/json")],
        serde_json::to_vec(&message).unwrap(),
    )
    .await;
    assert_eq!(
        Api::read(r).await.expect(StatusCode::OK),
        json!({"id": "0badc0de0badc0de0badc0de0badc0de"})
    );
    // The same template with another value is the same error: grouped by the template.
    message["event_id"] = json!("1badc0de0badc0de0badc0de0badc0de");
    message["logentry"]["formatted"] = json!("disk /home almost full");
    let r = send(&t, &path, &[], serde_json::to_vec(&message).unwrap()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let errors = wait_errors(&s.api, |e| {
        e.first().is_some_and(|e| e["occurrence_count"] == 2)
    })
    .await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["exception_type"], "Message");
    let r = send(&t, &path, &[], b"[1, 2]".to_vec()).await;
    assert!(Api::read(r)
        .await
        .expect_error(StatusCode::BAD_REQUEST, "malformed_envelope")
        .contains("not a JSON object"));
}

#[tokio::test]
async fn browsers_may_send_from_any_origin() {
    let t = server().await;
    let s = setup_as(&t, "alice", "shop", "gateway").await;
    let d = dsn_for(&s.api, s.project, "checkout").await;
    let path = format!("{}/api/{}/envelope/", t.base, d.project);
    let preflight = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, &path)
        .header("origin", "https://shop.example.com")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, x-sentry-auth",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{preflight:?}");
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let r = reqwest::Client::new()
        .post(format!("{path}?sentry_key={}", d.key))
        .header("origin", "https://shop.example.com")
        .header("sec-fetch-site", "cross-site")
        .header("content-type", "text/plain;charset=UTF-8")
        .body(envelope(&[(
            "event",
            event("abcdef01abcdef01abcdef01abcdef01", "E", "x"),
        )]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn overload_answers_429_with_retry_after() {
    let t = server().await;
    let s = setup_as(&t, "alice", "shop", "gateway").await;
    let d = dsn_for(&s.api, s.project, "checkout").await;
    // A client that declares a whole --max-body and sends it slowly holds the in-flight budget.
    let addr = t.base.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/{}/envelope/?sentry_key={} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\n\r\n{{}}",
        d.project,
        d.key,
        64 * 1024
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = post_envelope(
        &t,
        &d,
        envelope(&[("event", event("abcdef02abcdef01abcdef01abcdef01", "E", "x"))]),
    )
    .await;
    assert!(r.headers.contains_key("retry-after"), "{:?}", r.headers);
    r.expect_error(StatusCode::TOO_MANY_REQUESTS, "overloaded");
    drop(slow);
}

#[tokio::test]
async fn nul_characters_are_stored_replaced_and_a_tunnel_authenticates_by_the_header_dsn() {
    let t = server().await;
    let s = setup_as(&t, "alice", "shop", "gateway").await;
    let d = dsn_for(&s.api, s.project, "checkout").await;
    // What a browser `tunnel` forwards: no auth header, the DSN in the envelope header.
    let ev = event(
        "aa0badc0de0badc0de0badc0de0badc0",
        "Nul\u{0}Error",
        "a\u{0}b",
    );
    let payload = serde_json::to_vec(&ev).unwrap();
    let mut body = format!("{{\"dsn\":\"{}\"}}\n{{\"type\":\"event\"}}\n", d.dsn).into_bytes();
    body.extend_from_slice(&payload);
    let r = send(&t, &format!("/api/{}/envelope/", d.project), &[], body).await;
    assert_eq!(
        Api::read(r).await.expect(StatusCode::OK),
        json!({"id": "aa0badc0de0badc0de0badc0de0badc0"})
    );
    let errors = wait_errors(&s.api, |e| !e.is_empty()).await;
    assert_eq!(errors[0]["message"], "a\u{FFFD}b");
    // A key of another shape is refused before any lookup.
    let r = send(
        &t,
        &format!("/api/{}/envelope/?sentry_key=%00", d.project),
        &[],
        b"{}".to_vec(),
    )
    .await;
    Api::read(r)
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
}
