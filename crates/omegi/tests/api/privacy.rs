//! Privacy and limits: what a user can learn about others' notes, projects and accounts, and
//! what one export can make of a project.

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::TestServer;
use crate::otlp::{request, setup, span};

async fn export(
    t: &TestServer,
    token: &str,
    req: &ExportTraceServiceRequest,
) -> ExportTraceServiceResponse {
    let reply = reqwest::Client::new()
        .post(format!("{}/v1/traces", t.base))
        .bearer_auth(token)
        .header("content-type", "application/x-protobuf")
        .body(req.encode_to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    ExportTraceServiceResponse::decode(reply.bytes().await.unwrap()).unwrap()
}

#[tokio::test]
async fn versions_saved_while_a_note_was_private_stay_its_authors() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let bob = t.user("bob").await;
    let id = alice
        .post("/api/notes", json!({"title": "draft", "body": "secret plan", "kind": "general", "visibility": "private"}))
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    alice
        .patch(&format!("/api/notes/{id}"), json!({"body": "still secret"}))
        .await
        .expect(StatusCode::OK);
    alice
        .patch(
            &format!("/api/notes/{id}"),
            json!({"body": "the public version", "visibility": "public"}),
        )
        .await
        .expect(StatusCode::OK);
    alice
        .patch(
            &format!("/api/notes/{id}"),
            json!({"body": "edited in public"}),
        )
        .await
        .expect(StatusCode::OK);

    let own = alice
        .get(&format!("/api/notes/{id}/revisions"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(own.as_array().unwrap().len(), 3);
    let seen = bob
        .get(&format!("/api/notes/{id}/revisions"))
        .await
        .expect(StatusCode::OK);
    let bodies: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["the public version"]);
    for rev in [1, 2] {
        bob.get(&format!("/api/notes/{id}/revisions/{rev}"))
            .await
            .expect_error(StatusCode::NOT_FOUND, "not_found");
        alice
            .get(&format!("/api/notes/{id}/revisions/{rev}"))
            .await
            .expect(StatusCode::OK);
    }
}

#[tokio::test]
async fn ingested_service_names_have_the_apis_limit_and_a_project_gains_services_at_a_bounded_rate()
{
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let long = "s".repeat(1_000_000);
    let answer = export(
        &t,
        &s.token,
        &request(vec![(
            long.as_str(),
            vec![span(1, 1, None, "op", SpanKind::Server)],
        )]),
    )
    .await;
    let partial = answer.partial_success.expect("the span is rejected");
    assert_eq!(partial.rejected_spans, 1);
    assert_eq!(
        partial.error_message,
        "service.name is longer than 200 characters"
    );

    let names: Vec<String> = (0..60).map(|n| format!("svc-{n:02}")).collect();
    let groups = names
        .iter()
        .enumerate()
        .map(|(n, name)| {
            (
                name.as_str(),
                vec![span(100 + n as u64, 1, None, "op", SpanKind::Server)],
            )
        })
        .collect();
    let partial = export(&t, &s.token, &request(groups))
        .await
        .partial_success
        .expect("some are rejected");
    assert_eq!(partial.rejected_spans, 10);
    assert!(
        partial
            .error_message
            .contains("50 new services within a minute"),
        "{}",
        partial.error_message
    );
    let services = s
        .api
        .get(&format!("/api/projects/{}/services", s.project))
        .await
        .expect(StatusCode::OK);
    // The token's own service and the first fifty new ones.
    assert_eq!(services.as_array().unwrap().len(), 51);
    // Spans of services the project already has are always accepted.
    let again = export(
        &t,
        &s.token,
        &request(vec![(
            "svc-00",
            vec![span(999, 1, None, "op", SpanKind::Server)],
        )]),
    )
    .await;
    assert!(again.partial_success.is_none());
}

#[tokio::test]
async fn a_taken_project_name_is_named_only_to_who_can_see_that_project() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let bob = t.user("bob").await;
    alice.project("Secret Launch").await;
    let msg = bob
        .post("/api/projects", json!({"name": "secret launch"}))
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    assert!(!msg.to_lowercase().contains("secret launch"), "{msg}");
    let own = alice
        .post("/api/projects", json!({"name": "SECRET LAUNCH"}))
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    assert!(own.contains("you already have a project named"), "{own}");
    let p = bob.project("open").await;
    let msg = bob
        .patch(
            &format!("/api/projects/{p}"),
            json!({"name": "Secret Launch"}),
        )
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    assert!(!msg.to_lowercase().contains("secret"), "{msg}");
}

#[tokio::test]
async fn user_search_finds_accounts_by_name_and_shows_roles_only_to_admins() {
    let t = TestServer::start().await;
    let admin = t.user("admin").await; // the first account is the admin
    let bob = t.user("bob").await;
    t.user("carol").await;
    bob.get("/api/users")
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_field");
    let found = bob.get("/api/users?q=ca").await.expect(StatusCode::OK);
    assert_eq!(found, json!([{"id": found[0]["id"], "username": "carol"}]));
    let all = admin.get("/api/users").await.expect(StatusCode::OK);
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(all[0]["role"], "admin");
}

#[tokio::test]
async fn a_public_note_named_like_a_private_notes_open_link_learns_nothing_of_it() {
    let t = TestServer::start().await;
    let alice = t.user("alice").await;
    let bob = t.user("bob").await;
    alice
        .post("/api/notes", json!({"title": "my plans", "body": "see [[Shared plan]]", "kind": "general", "visibility": "private"}))
        .await
        .expect(StatusCode::CREATED);
    let id = bob
        .post(
            "/api/notes",
            json!({"title": "Shared plan", "body": "bait", "kind": "general"}),
        )
        .await
        .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    let note = bob
        .get(&format!("/api/notes/{id}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(note["backlinks"], json!([]), "{note}");
    let graph = bob.get("/api/notes/graph").await.expect(StatusCode::OK);
    assert_eq!(graph["nodes"].as_array().unwrap().len(), 1, "{graph}");
    assert_eq!(graph["edges"], json!([]), "{graph}");
    let listed = bob.get("/api/notes").await.expect(StatusCode::OK);
    assert_eq!(listed[0]["backlink_count"], 0, "{listed}");
    let stats = bob.get("/api/notes/stats").await.expect(StatusCode::OK);
    assert_eq!(stats["backlinks_from_others"], 0, "{stats}");
}
