//! Error-list latency with 10,000 errors and 1,000,000 occurrences on SQLite.
//!
//! `cargo bench -p omegi --bench error_list` seeds a fresh SQLite database (the rows are
//! written straight into the tables, as fast as possible), starts the real server on it and
//! times `GET /api/errors` over HTTP for the queries the error list page makes.

mod common;

use std::time::{Duration, Instant};

use common::Bench;

use serde_json::json;
use sqlx::{Connection, Executor};

const ERRORS: i64 = 10_000;
const OCCURRENCES_PER_ERROR: i64 = 100;
const SERVICES: [&str; 5] = ["gateway", "orders", "inventory", "payments", "search"];
const RUNS: usize = 200;

#[tokio::main]
async fn main() {
    let bench = Bench::start().await;
    let project = bench.project;

    let started = Instant::now();
    seed(&bench.database(), project).await;
    println!(
        "seeded {ERRORS} errors and {} occurrences in {:.1}s",
        ERRORS * OCCURRENCES_PER_ERROR,
        started.elapsed().as_secs_f64()
    );

    let queries = [
        "/api/errors".to_string(),
        format!("/api/errors?project={project}&status=unresolved"),
        "/api/errors?service=payments&sort=count".to_string(),
        "/api/errors?q=timeout".to_string(),
        "/api/errors?sort=first_seen&limit=100".to_string(),
    ];
    println!(
        "{:<55} {:>9} {:>9} {:>9}",
        "query", "p50 ms", "p95 ms", "max ms"
    );
    for q in &queries {
        let mut times = Vec::with_capacity(RUNS);
        let mut cursor_query = q.clone();
        for i in 0..RUNS {
            let t = Instant::now();
            let page = bench.get(&cursor_query).await;
            times.push(t.elapsed());
            assert!(page["errors"].as_array().is_some(), "{page}");
            // Every fourth request follows the cursor, as scrolling does.
            cursor_query = match (i % 4, page["next_cursor"].as_str()) {
                (3, _) | (_, None) => q.clone(),
                (_, Some(c)) => format!("{q}{}cursor={c}", if q.contains('?') { "&" } else { "?" }),
            };
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{q:<55} {:>9.2} {:>9.2} {:>9.2}",
            ms(times[RUNS / 2]),
            ms(times[RUNS * 95 / 100]),
            ms(times[RUNS - 1])
        );
    }
    bench.server.shutdown().await.unwrap();
}

/// Writes the errors and occurrences directly, in large transactions.
async fn seed(path: &std::path::Path, project: i64) {
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    db.execute("PRAGMA synchronous = OFF").await.unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let types = [
        "TimeoutError",
        "KeyError",
        "ValueError",
        "OutOfStock",
        "ConnectionError",
    ];
    let mut tx = db.begin().await.unwrap();
    for e in 0..ERRORS {
        let last = now - (ERRORS - e) * 1000;
        sqlx::query(
            "INSERT INTO errors (id, project_id, fingerprint, service, exception_type, message, operation, \
             status, first_seen, last_seen, occurrence_count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(e + 1)
        .bind(project)
        .bind(format!("fp{e}"))
        .bind(SERVICES[(e % 5) as usize])
        .bind(format!("{}{}", types[(e % 5) as usize], e % 97))
        .bind(format!("failure number {e} in {}", SERVICES[(e % 5) as usize]))
        .bind(format!("handler_{}", e % 300))
        .bind(if e % 3 == 0 { "resolved" } else { "unresolved" })
        .bind(last - 86_400_000)
        .bind(last)
        .bind(OCCURRENCES_PER_ERROR)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    // A whole Summary, as assembly writes it (the API reads it back into its type).
    let summary = json!({
        "exception_type": "TimeoutError", "message": "upstream timed out", "service": "orders",
        "operation": {"name": "POST /orders", "kind": "server", "code_function": null,
            "code_namespace": null, "code_filepath": null, "code_lineno": null,
            "http_method": "POST", "http_route": "/orders", "http_status_code": 504},
        "timestamp": "2026-11-25T00:00:00.000Z", "trace_id": "ab".repeat(16),
        "span_id": "cd".repeat(8), "environment": {},
        "flow": ["1. gateway: GET /", "2. orders: POST /orders"]
    })
    .to_string();
    let log = json!({"stacktrace": "Traceback (most recent call last):\n  File \"app.py\", line 1, in main\nTimeoutError", "events": []}).to_string();
    const ROWS: i64 = 500;
    let placeholders: Vec<String> = (0..ROWS)
        .map(|r| {
            let b = r * 8;
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, '[]', ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 8
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO occurrences (error_id, project_id, trace_id, span_id, occurred_at, summary, log, path, \
         created_at, updated_at) VALUES {}",
        placeholders.join(", ")
    );
    let total = ERRORS * OCCURRENCES_PER_ERROR;
    let mut n = 0;
    while n < total {
        let mut q = sqlx::query(&sql);
        for k in n..n + ROWS {
            let error = k % ERRORS + 1;
            q = q
                .bind(error)
                .bind(project)
                .bind(format!("{k:032x}"))
                .bind(format!("{k:016x}"))
                .bind(now - (total - k) * 10)
                .bind(&summary)
                .bind(&log)
                .bind(now);
        }
        q.execute(&mut *tx).await.unwrap();
        n += ROWS;
    }
    tx.commit().await.unwrap();
}
