//! Sending OTLP requests and waiting for what they become, for the ingestion tests. The trace
//! builders themselves are the shared test kit's (`omegi-testkit`).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{Api, Reply, TestServer};

pub use omegi_testkit::otlp::*;

/// A signed-in owner with a project and a token for its `gateway` service.
pub struct Ingest {
    pub api: Api,
    pub project: i64,
    pub token: String,
}

pub async fn setup(t: &TestServer) -> Ingest {
    setup_as(t, "alice", "shop", "gateway").await
}

/// `user` signed up, owning `project` with `service` and an ingest token for it.
pub async fn setup_as(t: &TestServer, user: &str, project: &str, service: &str) -> Ingest {
    let api = t.user(user).await;
    let project = api.project(project).await;
    let service = api.service(project, service).await;
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
