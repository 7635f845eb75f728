//! Rows decode fallibly: stored data that does not read back as what was written is a clear
//! 500 (`corrupt_data`, named in the log), never silently an empty value.

use reqwest::StatusCode;

use crate::common::{database_url, TestServer};
use crate::otlp::{checkout, post_proto, request, setup, wait_for_errors};

async fn corrupt(t: &TestServer, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&database_url(&t.database))
        .await
        .unwrap();
    sqlx::query(sql).execute(&mut conn).await.unwrap();
}

#[tokio::test]
async fn an_unreadable_summary_or_span_is_a_clear_error_not_an_empty_value() {
    let t = TestServer::start().await;
    let s = setup(&t).await;
    post_proto(&t, &s.token, &request(checkout(1)))
        .await
        .expect(StatusCode::OK);
    let errors = wait_for_errors(&s.api, 1).await;
    let id = errors[0]["id"].as_i64().unwrap();
    let detail = s
        .api
        .get(&format!("/api/errors/{id}"))
        .await
        .expect(StatusCode::OK);
    assert_eq!(detail["latest"]["summary"]["exception_type"], "OutOfStock");

    corrupt(
        &t,
        "UPDATE occurrences SET summary = '{\"exception_type\": 42}'",
    )
    .await;
    s.api
        .get(&format!("/api/errors/{id}"))
        .await
        .expect_error(StatusCode::INTERNAL_SERVER_ERROR, "corrupt_data");

    // Valid JSON of the wrong shape: a span that is `[1, 2]`.
    let wrong = if matches!(t.database, omegi::config::Database::Postgres { .. }) {
        "UPDATE span_chunks SET spans = convert_to('[[1, 2]]', 'UTF8')"
    } else {
        "UPDATE span_chunks SET spans = CAST('[[1, 2]]' AS BLOB)"
    };
    corrupt(&t, wrong).await;
    s.api
        .get(&format!("/api/traces/{}", crate::otlp::trace_hex(1)))
        .await
        .expect_error(StatusCode::INTERNAL_SERVER_ERROR, "corrupt_data");
}
