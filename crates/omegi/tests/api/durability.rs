//! What is acknowledged survives a crash, and nodes sharing a database share the work.

use prost::Message;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;

use omegi::config::Database;

use crate::common::{database_url, fresh_database, Api, Process, TestServer};
use crate::otlp::{checkout, request, trace_hex, wait_for_errors};

pub async fn token_for(api: &Api) -> String {
    api.post(
        "/api/auth/signup",
        json!({"username": "alice", "password": "password-1"}),
    )
    .await
    .expect(StatusCode::CREATED);
    let p = api.project("shop").await;
    let s = api.service(p, "gateway").await;
    api.post(&format!("/api/projects/{p}/services/{s}/tokens"), json!({}))
        .await
        .expect(StatusCode::CREATED)["secret"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn spans_acknowledged_before_a_sigkill_are_assembled_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(dir.path()).await;
    // A settle time far beyond the test, so nothing is assembled before the kill.
    let first = Process::spawn(
        &database,
        &["--trace-settle", "1h", "--trace-max-wait", "1h"],
    )
    .await;
    let api = first.api();
    let token = token_for(&api).await;
    for trace in 1..=5 {
        let resp = reqwest::Client::new()
            .post(format!("{}/v1/traces", first.base))
            .header("x-omegi-token", &token)
            .header("content-type", "application/x-protobuf")
            .body(request(checkout(trace)).encode_to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }
    first.kill();

    let second = Process::spawn(&database, &["--trace-settle", "100ms"]).await;
    let api = second.api();
    api.post(
        "/api/auth/login",
        json!({"username": "alice", "password": "password-1"}),
    )
    .await
    .expect(StatusCode::OK);
    wait_for_errors(&api, 1).await;
    let errors =
        crate::otlp::wait_errors(&api, |v| !v.is_empty() && v[0]["occurrence_count"] == 5).await;
    assert_eq!(errors[0]["exception_type"], "OutOfStock");
    for trace in 1..=5 {
        let t = api
            .get(&format!("/api/traces/{}", trace_hex(trace)))
            .await
            .expect(StatusCode::OK);
        assert_eq!(t["span_count"], 7);
    }
}

#[tokio::test]
async fn two_servers_sharing_a_database_assemble_each_trace_once() {
    let a = TestServer::start().await;
    let database = a.database.clone();
    let b = TestServer::start_with(|c| c.database = database.clone()).await;
    let s = crate::otlp::setup(&a).await;
    let traces: Vec<u64> = (500..540).collect();
    for &n in &traces {
        let node = if n % 2 == 0 { &a } else { &b };
        crate::otlp::post_proto(node, &s.token, &request(checkout(n)))
            .await
            .expect(StatusCode::OK);
    }
    let errors = crate::otlp::wait_errors(&s.api, |v| {
        !v.is_empty() && v[0]["occurrence_count"] == traces.len()
    })
    .await;
    assert_eq!(errors.len(), 1);
    // Give both workers time to (wrongly) pick a trace up again.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(&database_url(&database))
        .await
        .unwrap();
    let (count, claims, assembled): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(SUM(claims) AS BIGINT), \
         CAST(SUM(CASE WHEN assembled_version = version THEN 1 ELSE 0 END) AS BIGINT) FROM traces",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(count, traces.len() as i64);
    assert_eq!(assembled, count);
    assert_eq!(claims, count, "some trace was assembled more than once");
}

/// SQLite: the write-ahead log is copied into the database file within moments of a commit,
/// by a task of its own, not by the commit that takes it past a size: the file itself holds
/// what was acknowledged moments ago (read here from a copy of `omegi.db` without its
/// `-wal`; a copy taken during a checkpoint may not open, and is taken again).
#[tokio::test]
async fn acknowledged_spans_reach_the_sqlite_file_itself_within_moments() {
    let server = TestServer::start().await;
    let Database::Sqlite { path } = server.database.clone() else {
        return; // PostgreSQL keeps its own log; nothing of Omegi's to check.
    };
    let s = crate::otlp::setup(&server).await;
    for trace in 1..=3 {
        crate::otlp::post_proto(&server, &s.token, &request(checkout(trace)))
            .await
            .expect(StatusCode::OK);
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let spans_in_copy = || -> Option<i64> {
        std::fs::copy(&path, &copy).ok()?;
        let db = rusqlite::Connection::open(&copy).ok()?;
        db.query_row(
            "SELECT COALESCE(SUM(span_count), 0) FROM span_chunks",
            [],
            |r| r.get(0),
        )
        .ok()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut found = spans_in_copy();
    while found != Some(21) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        found = spans_in_copy();
    }
    assert_eq!(found, Some(21), "the 3 traces' 21 spans in the file alone");
}
