//! Retention: what is older than its limit is deleted (occurrences and their traces after
//! `--retention-days`, traces without errors after `--trace-retention-hours`), and nothing
//! else: error groups keep their counts and notes. Runs on both databases.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{on_postgres, TestServer};
use crate::otlp::*;

async fn trace_status(api: &crate::common::Api, trace: u64) -> StatusCode {
    api.get(&format!("/api/traces/{}", trace_hex(trace)))
        .await
        .status
}

/// Waits until the assembler has nothing pending (settle is 200 ms in tests).
async fn settled() {
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

#[tokio::test]
async fn retention_removes_exactly_what_is_older_than_its_limit() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    let send = |groups| {
        let t = &t;
        let token = s.token.clone();
        async move {
            let r = post_proto(t, &token, &request(groups)).await;
            assert_eq!(r.status, StatusCode::OK);
        }
    };
    // Older: a failing trace 1 and a successful trace 2. Newer: the same as 3 and 4.
    send(checkout(1)).await;
    send(checkout_ok(2)).await;
    let errors = wait_for_errors(&s.api, 1).await;
    let id = errors[0]["id"].as_i64().unwrap();
    settled().await;
    let boundary = omegi::model::now_ms();
    tokio::time::sleep(Duration::from_millis(20)).await;
    send(checkout(3)).await;
    send(checkout_ok(4)).await;
    wait_errors(&s.api, |e| e[0]["occurrence_count"] == 2).await;
    settled().await;
    s.api
        .post("/api/notes", json!({"title": "Restock first", "body": "Fixed by restocking.", "kind": "error", "error_id": id}))
        .await
        .expect(StatusCode::CREATED);

    // Traces without errors expire first: only trace 2 is older than that limit.
    let done = t.store().expire(0, boundary, 500).await.unwrap();
    assert_eq!((done.occurrences, done.traces), (0, 1));
    let statuses = [
        trace_status(&s.api, 1).await,
        trace_status(&s.api, 2).await,
        trace_status(&s.api, 3).await,
        trace_status(&s.api, 4).await,
    ];
    use StatusCode as S;
    assert_eq!(statuses, [S::OK, S::NOT_FOUND, S::OK, S::OK]);

    // Then errors: trace 1 and its occurrence go; the newer ones stay.
    let done = t.store().expire(boundary, boundary, 500).await.unwrap();
    assert_eq!((done.occurrences, done.traces), (1, 1));
    assert_eq!(trace_status(&s.api, 1).await, S::NOT_FOUND);
    assert_eq!(trace_status(&s.api, 3).await, S::OK);
    let occurrences = s
        .api
        .get(&format!("/api/errors/{id}/occurrences"))
        .await
        .expect(S::OK);
    let traces: Vec<_> = occurrences
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["trace_id"].clone())
        .collect();
    assert_eq!(traces, [json!(trace_hex(3))]);

    // Everything expired: the group keeps its count and its note.
    let later = omegi::model::now_ms() + 1;
    t.store().expire(later, later, 500).await.unwrap();
    let detail = s.api.get(&format!("/api/errors/{id}")).await.expect(S::OK);
    assert_eq!(detail["occurrence_count"], 2);
    assert_eq!(detail["latest"], json!(null));
    let notes = s
        .api
        .get(&format!("/api/errors/{id}/notes"))
        .await
        .expect(S::OK);
    assert_eq!(notes[0]["note"]["title"], "Restock first", "{notes}");
    t.stop().await;
}

#[tokio::test]
async fn retention_runs_in_the_background_while_ingestion_continues() {
    let t = TestServer::start_with(|c| {
        c.retention.traces = Duration::from_millis(1500);
        c.retention.every = Duration::from_millis(200);
    })
    .await;
    let s = setup(&t).await;
    // A successful trace every 100 ms for 4 s: the early ones expire while new ones arrive.
    for n in 0..40 {
        let r = post_proto(&t, &s.token, &request(checkout_ok(n))).await;
        assert_eq!(r.status, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(trace_status(&s.api, 0).await, StatusCode::NOT_FOUND);
    assert_eq!(trace_status(&s.api, 39).await, StatusCode::OK);
    let settings = s.api.get("/api/settings").await.expect(StatusCode::OK);
    assert!(
        settings["retention"]["deleted_traces"].as_u64().unwrap() >= 10,
        "{settings}"
    );
    assert_eq!(settings["retention"]["retention_days"], 30.0);
    assert!(settings["database"]["size_bytes"].as_i64().unwrap() > 0);
    t.stop().await;
}

#[tokio::test]
async fn freed_pages_go_back_to_the_file_system_on_sqlite() {
    if on_postgres() {
        return; // PostgreSQL reuses freed space through autovacuum.
    }
    let t = TestServer::start().await;
    let s = setup(&t).await;
    // 20 successful traces of 7 spans, each span carrying 4 KiB that do not compress
    // (spans are stored LZ4-compressed).
    let padding = || -> String {
        use rand::Rng;
        rand::thread_rng()
            .sample_iter(rand::distributions::Alphanumeric)
            .take(4096)
            .map(char::from)
            .collect()
    };
    for n in 0..20 {
        let groups = checkout_ok(n)
            .into_iter()
            .map(|(service, spans)| {
                (
                    service,
                    spans
                        .into_iter()
                        .map(|sp| with_attr(sp, "padding", &padding()))
                        .collect(),
                )
            })
            .collect();
        post_proto(&t, &s.token, &request(groups)).await;
    }
    settled().await;
    let size = |s: &serde_json::Value| s["database"]["size_bytes"].as_i64().unwrap();
    let before = size(&s.api.get("/api/settings").await.expect(StatusCode::OK));
    let later = omegi::model::now_ms() + 1;
    let done = t.store().expire(later, later, 500).await.unwrap();
    assert_eq!(done.traces, 20);
    t.store().release_free_pages(100_000).await.unwrap();
    let after = size(&s.api.get("/api/settings").await.expect(StatusCode::OK));
    assert!(after < before - 500_000, "{before} -> {after} bytes");
    t.stop().await;
}
