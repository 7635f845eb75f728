//! Concurrent writes never answer 500: note edits, membership changes and ingestion at full
//! speed, all at once, on both back-ends.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{Api, TestServer};
use crate::otlp::{checkout, request, setup};

async fn export(
    base: &str,
    token: &str,
    req: &opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest,
) -> StatusCode {
    use prost::Message;
    reqwest::Client::new()
        .post(format!("{base}/v1/traces"))
        .bearer_auth(token)
        .header("content-type", "application/x-protobuf")
        .body(req.encode_to_vec())
        .send()
        .await
        .unwrap()
        .status()
}

async fn note(api: &Api, title: &str) -> i64 {
    api.post(
        "/api/notes",
        json!({"title": title, "body": "first", "kind": "general", "tags": ["a"], "visibility": "public"}),
    )
    .await
    .expect(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn concurrent_note_edits_membership_changes_and_ingestion_get_no_5xx() {
    let t = TestServer::start().await;
    let ingest = setup(&t).await;
    let alice = ingest.api.clone();
    let bob = t.user("bob").await;
    let bob_id = bob.get("/api/auth/me").await.expect(StatusCode::OK)["id"]
        .as_i64()
        .unwrap();
    let notes = [
        note(&alice, "one").await,
        note(&alice, "two").await,
        note(&alice, "three").await,
        note(&alice, "four").await,
    ];

    let mut tasks = tokio::task::JoinSet::new();
    for (writer, id) in notes.into_iter().enumerate() {
        for editor in 0..2 {
            let api = alice.clone();
            tasks.spawn(async move {
                let mut statuses = Vec::new();
                for n in 0..15 {
                    let body = json!({
                        "title": format!("note {writer} edit {editor}-{n}"),
                        "body": format!("body {n} [[note {}]]", (writer + 1) % 4),
                        "tags": [format!("t{n}"), "shared"],
                    });
                    let reply = api.patch(&format!("/api/notes/{id}"), body).await;
                    statuses.push((reply.status, reply.body.to_string()));
                }
                statuses
            });
        }
    }
    let (api, project) = (alice.clone(), ingest.project);
    tasks.spawn(async move {
        let mut statuses = Vec::new();
        for _ in 0..15 {
            let add = api
                .post(
                    &format!("/api/projects/{project}/members"),
                    json!({"username": "bob", "role": "member"}),
                )
                .await;
            statuses.push((add.status, add.body.to_string()));
            let remove = api
                .delete(&format!("/api/projects/{project}/members/{bob_id}"))
                .await;
            statuses.push((remove.status, remove.body.to_string()));
        }
        statuses
    });
    for client in 0..2u64 {
        let (base, token) = (t.base.clone(), ingest.token.clone());
        tasks.spawn(async move {
            let mut statuses = Vec::new();
            for n in 0..20u64 {
                let mut groups = Vec::new();
                for trace in 0..20u64 {
                    groups.extend(checkout(1_000_000 * (client + 1) + n * 100 + trace));
                }
                statuses.push((export(&base, &token, &request(groups)).await, String::new()));
            }
            statuses
        });
    }

    let mut answers = 0;
    while let Some(statuses) = tasks.join_next().await {
        for (status, body) in statuses.unwrap() {
            answers += 1;
            assert!(
                !status.is_server_error(),
                "a concurrent write answered {status}: {body}"
            );
        }
    }
    assert_eq!(answers, 4 * 2 * 15 + 30 + 2 * 20);
    for id in notes {
        let revisions = alice
            .get(&format!("/api/notes/{id}/revisions"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(revisions.as_array().unwrap().len(), 30, "note {id}");
    }
}
