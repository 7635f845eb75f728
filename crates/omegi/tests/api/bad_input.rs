//! Bad input gets a clear error and changes nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::TestServer;
use crate::otlp::*;

async fn raw_post(
    t: &TestServer,
    api: &crate::common::Api,
    path: &str,
    ctype: &str,
    body: String,
) -> crate::common::Reply {
    let resp = api
        .http
        .post(format!("{}{path}", t.base))
        .header("content-type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    crate::common::Api::read(resp).await
}

#[tokio::test]
async fn malformed_or_incomplete_json_is_refused_and_stores_nothing() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;

    let msg = raw_post(
        &t,
        &alice,
        "/api/projects",
        "application/json",
        "{\"name\": ".into(),
    )
    .await
    .expect_error(StatusCode::BAD_REQUEST, "malformed_json");
    assert!(!msg.is_empty());
    let msg = alice
        .post("/api/projects", json!({"title": "shop"}))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(
        msg.contains("name"),
        "the message names the missing field: {msg}"
    );
    let msg = alice
        .post("/api/projects", json!({"name": 42}))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(msg.contains("name"), "{msg}");
    let msg = alice
        .post("/api/projects", json!({"name": "   "}))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    assert!(msg.starts_with("name"), "{msg}");
    raw_post(
        &t,
        &alice,
        "/api/projects",
        "text/plain",
        "{\"name\":\"shop\"}".into(),
    )
    .await
    .expect_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");

    assert_eq!(
        alice.get("/api/projects").await.expect(StatusCode::OK),
        json!([])
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let t = TestServer::start_with(|c| c.max_body = 4096).await;
    let alice = t.user("alice").await;
    let big = json!({"name": "x".repeat(10_000)}).to_string();
    raw_post(&t, &alice, "/api/projects", "application/json", big)
        .await
        .expect_error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    assert_eq!(
        alice.get("/api/projects").await.expect(StatusCode::OK),
        json!([])
    );
}

#[tokio::test]
async fn unknown_ids_and_bad_ids_get_documented_errors() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let p = alice.project("shop").await;
    let msg = alice
        .get("/api/projects/999999")
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    assert!(msg.contains("999999"), "{msg}");
    alice
        .delete(&format!("/api/projects/{p}/services/424242"))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    alice
        .post(
            &format!("/api/projects/{p}/services/424242/tokens"),
            json!({}),
        )
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    alice
        .post(
            &format!("/api/projects/{p}/members"),
            json!({"username": "ghost", "role": "member"}),
        )
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    alice
        .get("/api/projects/shop")
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_path");
    alice
        .get("/api/no-such-thing")
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    alice
        .send(reqwest::Method::PUT, "/api/projects", Some(json!({})))
        .await
        .expect_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let msg = alice
        .post(
            &format!("/api/projects/{p}/members"),
            json!({"username": "alice", "role": "king"}),
        )
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(msg.contains("role") || msg.contains("king"), "{msg}");
    // Still exactly one project with its single owner.
    let projects = alice.get("/api/projects").await.expect(StatusCode::OK);
    assert_eq!(projects.as_array().map(Vec::len), Some(1));
    assert_eq!(projects[0]["member_count"], 1);
}

#[tokio::test]
async fn signed_out_callers_get_401_everywhere_but_the_public_endpoints() {
    let t = TestServer::start().await;
    let c = t.client();
    for path in [
        "/api/projects",
        "/api/auth/me",
        "/api/users",
        "/api/projects/1/services",
    ] {
        c.get(path)
            .await
            .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    c.post("/api/projects", json!({"name": "x"}))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    for path in [
        "/healthz",
        "/readyz",
        "/api/service-kinds",
        "/api/auth/providers",
        "/api/openapi.json",
    ] {
        c.get(path).await.expect(StatusCode::OK);
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let t = TestServer::start().await;
    let doc: Value = t
        .client()
        .get("/api/openapi.json")
        .await
        .expect(StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/auth/signup", "post"),
        ("/api/auth/login", "post"),
        ("/api/auth/logout", "post"),
        ("/api/auth/me", "get"),
        ("/api/auth/github/login", "get"),
        ("/api/auth/github/callback", "get"),
        ("/api/projects", "post"),
        ("/api/projects/{id}", "patch"),
        ("/api/projects/{id}/members/{uid}", "delete"),
        ("/api/projects/{id}/services", "get"),
        ("/api/projects/{id}/services/{sid}/tokens", "post"),
        ("/api/projects/{id}/services/{sid}/tokens/{tid}", "delete"),
        ("/api/service-kinds", "get"),
        ("/api/ingest/whoami", "get"),
        ("/v1/traces", "post"),
        ("/api/errors", "get"),
        ("/api/errors/{id}", "patch"),
        ("/api/errors/{id}/notes", "get"),
        ("/api/occurrences/{id}", "get"),
        ("/api/traces/{trace_id}", "get"),
        ("/api/events", "get"),
        ("/api/stats", "get"),
        ("/api/projects/{id}/service-map", "get"),
        ("/api/notes", "post"),
        ("/api/notes/{id}/revisions/{rev}", "get"),
        ("/api/notes/{id}/links/{target}", "delete"),
        ("/api/notes/{id}/comments", "post"),
        ("/api/comments/{id}", "patch"),
        ("/api/notes/graph", "get"),
        ("/api/notes/stats", "get"),
        ("/api/tags", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}

#[tokio::test]
async fn text_with_a_nul_character_is_stored_with_a_replacement_character() {
    // PostgreSQL's text and jsonb refuse U+0000: such a span must not fail its batch for ever.
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let span = with_attr(
        failed(span(77, 1, None, "GET /nul\0here", SpanKind::Server)),
        "note\0key",
        "value\0with nul",
    );
    let r = post_proto(&t, &s.token, &request(vec![("gateway", vec![span])])).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let trace = s
        .api
        .get(&format!("/api/traces/{}", trace_hex(77)))
        .await
        .expect(StatusCode::OK);
    let stored = &trace["spans"][0];
    assert_eq!(stored["name"], "GET /nul\u{FFFD}here");
    assert_eq!(
        stored["attributes"]["note\u{FFFD}key"],
        "value\u{FFFD}with nul"
    );
    t.stop().await;
}
