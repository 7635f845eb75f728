//! The OpenAPI document is valid and true: it passes the OpenAPI 3.1 validator, and answers
//! from a seeded server (successes and errors) match the schemas it gives for them.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{Api, TestServer};
use crate::otlp::{checkout, post_proto, request, setup, trace_hex, wait_for_errors};

struct Recorder {
    answers: Vec<Value>,
}

impl Recorder {
    /// Sends `method path` (with the template's placeholders filled) and records the answer
    /// under the template.
    async fn call(
        &mut self,
        api: &Api,
        method: Method,
        template: &str,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let reply = api.send(method.clone(), path, body).await;
        self.answers.push(json!({
            "method": method.as_str().to_lowercase(),
            "path": template,
            "status": reply.status.as_u16(),
            "body": reply.body,
        }));
        reply.body
    }

    async fn get(&mut self, api: &Api, template: &str, path: &str) -> Value {
        self.call(api, Method::GET, template, path, None).await
    }
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_answers_match_it() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let api = &s.api;
    let p = s.project;
    post_proto(&t, &s.token, &request(checkout(1)))
        .await
        .expect(StatusCode::OK);
    let errors = wait_for_errors(api, 1).await;
    let e = errors[0]["id"].as_i64().unwrap();

    let mut r = Recorder {
        answers: Vec::new(),
    };
    r.get(api, "/api/auth/me", "/api/auth/me").await;
    r.get(&t.client(), "/api/auth/me", "/api/auth/me").await;
    r.get(&t.client(), "/api/auth/providers", "/api/auth/providers")
        .await;
    r.get(api, "/api/projects", "/api/projects").await;
    r.get(api, "/api/projects/{id}", &format!("/api/projects/{p}"))
        .await;
    r.get(api, "/api/projects/{id}", "/api/projects/999").await;
    r.get(
        api,
        "/api/projects/{id}/members",
        &format!("/api/projects/{p}/members"),
    )
    .await;
    let services = r
        .get(
            api,
            "/api/projects/{id}/services",
            &format!("/api/projects/{p}/services"),
        )
        .await;
    let sid = services[0]["id"].as_i64().unwrap();
    r.get(
        api,
        "/api/projects/{id}/services/{sid}/tokens",
        &format!("/api/projects/{p}/services/{sid}/tokens"),
    )
    .await;
    r.get(api, "/api/service-kinds", "/api/service-kinds").await;
    r.get(api, "/api/errors", "/api/errors?limit=10&sort=count")
        .await;
    r.get(api, "/api/errors", "/api/errors?sort=sideways").await;
    r.get(api, "/api/errors/{id}", &format!("/api/errors/{e}"))
        .await;
    let occurrences = r
        .get(
            api,
            "/api/errors/{id}/occurrences",
            &format!("/api/errors/{e}/occurrences"),
        )
        .await;
    let o = occurrences[0]["id"].as_i64().unwrap();
    r.get(
        api,
        "/api/occurrences/{id}",
        &format!("/api/occurrences/{o}"),
    )
    .await;
    r.get(
        api,
        "/api/traces/{trace_id}",
        &format!("/api/traces/{}", trace_hex(1)),
    )
    .await;
    r.get(api, "/api/traces/{trace_id}", "/api/traces/not-hex")
        .await;
    r.get(
        api,
        "/api/projects/{id}/service-map",
        &format!("/api/projects/{p}/service-map"),
    )
    .await;
    r.get(api, "/api/stats", "/api/stats").await;
    r.call(
        api,
        Method::PATCH,
        "/api/errors/{id}",
        &format!("/api/errors/{e}"),
        Some(json!({"status": "resolved"})),
    )
    .await;
    r.call(
        api,
        Method::PATCH,
        "/api/errors/{id}",
        &format!("/api/errors/{e}"),
        Some(json!({"status": "sideways"})),
    )
    .await;
    let note = r
        .call(api, Method::POST, "/api/notes", "/api/notes", Some(json!({"title": "Fix", "body": "see [[Other]]", "kind": "error", "error_id": e, "tags": ["db"]})))
        .await;
    let n = note["id"].as_i64().unwrap();
    r.call(
        api,
        Method::POST,
        "/api/notes",
        "/api/notes",
        Some(json!({"title": ""})),
    )
    .await;
    r.call(
        api,
        Method::PATCH,
        "/api/notes/{id}",
        &format!("/api/notes/{n}"),
        Some(json!({"body": "v2"})),
    )
    .await;
    r.get(api, "/api/notes", "/api/notes?q=fix").await;
    r.get(api, "/api/notes/{id}", &format!("/api/notes/{n}"))
        .await;
    r.get(
        api,
        "/api/notes/{id}/revisions",
        &format!("/api/notes/{n}/revisions"),
    )
    .await;
    r.get(
        api,
        "/api/notes/{id}/revisions/{rev}",
        &format!("/api/notes/{n}/revisions/1"),
    )
    .await;
    r.call(
        api,
        Method::POST,
        "/api/notes/{id}/comments",
        &format!("/api/notes/{n}/comments"),
        Some(json!({"body": "thanks"})),
    )
    .await;
    r.get(
        api,
        "/api/notes/{id}/comments",
        &format!("/api/notes/{n}/comments"),
    )
    .await;
    r.get(
        api,
        "/api/errors/{id}/notes",
        &format!("/api/errors/{e}/notes"),
    )
    .await;
    r.get(api, "/api/notes/graph", "/api/notes/graph").await;
    r.get(api, "/api/notes/stats", "/api/notes/stats").await;
    r.get(api, "/api/tags", "/api/tags").await;
    r.get(api, "/api/users", "/api/users?q=al").await;
    r.call(
        api,
        Method::POST,
        "/api/projects",
        "/api/projects",
        Some(json!({"name": "shop"})),
    )
    .await;
    r.get(&t.client(), "/healthz", "/healthz").await;
    r.get(&t.client(), "/readyz", "/readyz").await;

    let dir = tempfile::tempdir().unwrap();
    let doc = t
        .client()
        .get("/api/openapi.json")
        .await
        .expect(StatusCode::OK);
    let doc_path = dir.path().join("openapi.json");
    let answers_path = dir.path().join("answers.json");
    std::fs::write(&doc_path, doc.to_string()).unwrap();
    std::fs::write(&answers_path, Value::Array(r.answers).to_string()).unwrap();
    let out = tokio::process::Command::new(crate::sdk_clients::python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/check_openapi.py"
        ))
        .arg(&doc_path)
        .arg(&answers_path)
        .output()
        .await
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{report}");
}

/// `web/openapi.json` is the API as reviewed and as the web UI's types are generated from:
/// any change to the API shows in review as a change to that file.
#[tokio::test]
async fn the_openapi_document_matches_the_reviewed_snapshot() {
    let t = TestServer::start().await;
    let doc = t
        .client()
        .get("/api/openapi.json")
        .await
        .expect(StatusCode::OK);
    let current = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/openapi.json");
    if std::env::var_os("OMEGI_UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &current).unwrap();
        return;
    }
    let reviewed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        reviewed == current,
        "the API changed: run `OMEGI_UPDATE_OPENAPI=1 cargo test -p omegi --test api \
         the_openapi_document_matches_the_reviewed_snapshot`, review the change to \
         web/openapi.json and commit it"
    );
}
