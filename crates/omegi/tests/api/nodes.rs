//! Several nodes on one PostgreSQL database (the PostgreSQL pass runs these; SQLite is one
//! node's file): they migrate safely when started together, a session made on one works on
//! the others, and live events reach browsers on every node at once (LISTEN/NOTIFY).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{fresh_database, on_postgres, Api, TestServer};
use crate::otlp::*;
use crate::sse::SseStream;

/// A second node on the first one's database.
async fn second_node(first: &TestServer) -> TestServer {
    let database = first.database.clone();
    TestServer::start_with(|c| c.database = database).await
}

/// `api`'s signed-in user (same cookie jar), talking to `node`.
fn on(node: &TestServer, api: &Api) -> Api {
    Api {
        http: api.http.clone(),
        base: node.base.clone(),
    }
}

#[tokio::test]
async fn nodes_started_together_on_a_new_database_all_come_up() {
    if !on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(dir.path()).await;
    // Three nodes migrate one empty database at once; the advisory lock serialises them.
    let start = |database: omegi::config::Database| async move {
        TestServer::start_with(move |c| c.database = database).await
    };
    let (a, b, c) = tokio::join!(
        start(database.clone()),
        start(database.clone()),
        start(database.clone())
    );
    let alice = a.user("alice").await;
    for node in [&b, &c] {
        let me = on(node, &alice)
            .get("/api/auth/me")
            .await
            .expect(StatusCode::OK);
        assert_eq!(me["username"], "alice");
    }
    for node in [a, b, c] {
        node.stop().await;
    }
}

#[tokio::test]
async fn a_browser_on_one_node_hears_at_once_of_errors_on_another() {
    if !on_postgres() {
        return;
    }
    let a = TestServer::start().await;
    let b = second_node(&a).await;
    let s = setup(&a).await;
    let on_b = on(&b, &s.api);
    let mut live = SseStream::open(&on_b, None).await;

    // An error that node A's span writer stored (and either node assembled).
    assert_eq!(
        post_proto(&a, &s.token, &request(checkout(1))).await.status,
        StatusCode::OK
    );
    let new = live
        .next(Duration::from_secs(10))
        .await
        .expect("error.new on node B");
    assert_eq!(new.event, "error.new");
    let id = new.data["id"].as_i64().unwrap();
    // Its occurrence as activity, whichever node assembled it.
    let activity = live
        .next_activity(Duration::from_secs(5))
        .await
        .expect("activity on node B");
    assert_eq!(activity.data["projects"], json!([s.project]));
    assert_eq!(activity.data["errors"], json!([id]));

    // A status change made on node A. Node B's streams poll only every 30 s on PostgreSQL,
    // so arriving within 5 s means the notification woke them.
    s.api
        .patch(&format!("/api/errors/{id}"), json!({"status": "resolved"}))
        .await
        .expect(StatusCode::OK);
    let changed = live
        .next(Duration::from_secs(5))
        .await
        .expect("error.status on node B");
    assert_eq!(changed.event, "error.status");
    assert_eq!(changed.data["status"], "resolved");
    b.stop().await;
    a.stop().await;
}
