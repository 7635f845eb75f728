//! "Solved before?" latency with 10,000 errors and 10,000 notes on SQLite.
//!
//! `cargo bench -p omegi --bench suggestions` seeds a fresh SQLite database (errors with a
//! Python stack trace each, an error note on every one of them, and the stored features
//! "solved before?" compares, computed by Omegi's own code), starts the real server on it and
//! times `GET /api/errors/{id}/notes` over HTTP for errors picked across the set.

mod common;

use std::time::{Duration, Instant};

use common::Bench;

use omegi::model::{ErrorFeatures, GroupFacts, Log, Summary};
use serde_json::json;
use sqlx::{Connection, Executor};

const ERRORS: i64 = 10_000;
const SERVICES: [&str; 5] = ["gateway", "orders", "inventory", "payments", "search"];
/// 50 exception types: 200 errors share each, the hard case for "same type".
const TYPES: i64 = 50;
const FUNCTIONS: i64 = 200;
const RUNS: usize = 200;

struct Seeded {
    service: &'static str,
    exception_type: String,
    message: String,
    operation: String,
    summary: serde_json::Value,
    log: serde_json::Value,
}

/// Error `e` as the seed writes it: deterministic, with overlapping types, messages, frames
/// and operations so that every error has many partial matches.
fn error(e: i64) -> Seeded {
    let service = SERVICES[(e % 5) as usize];
    let exception_type = format!("Failure{}Error", e % TYPES);
    let message = format!(
        "request {} for customer 'c{}' failed in step {}",
        e * 7919 % 100_000,
        e,
        e % 40
    );
    let operation = format!("POST /api/handler{}", e % 100);
    let frames: Vec<String> = (0..4)
        .map(|k| format!("func{}", (e * 3 + k * 17) % FUNCTIONS))
        .collect();
    let mut stack = String::from("Traceback (most recent call last):\n");
    for f in &frames {
        stack.push_str(&format!(
            "  File \"/srv/app/shop/{f}.py\", line {}, in {f}\n    call()\n",
            e % 300
        ));
    }
    stack.push_str(&format!("{exception_type}: {message}"));
    let summary = json!({
        "exception_type": exception_type, "message": message, "service": service,
        "operation": {"name": operation, "kind": "server", "code_function": null,
            "code_namespace": null, "code_filepath": null, "code_lineno": null,
            "http_method": "POST", "http_route": null, "http_status_code": 500},
        "timestamp": "2026-11-26T00:00:00.000Z", "trace_id": format!("{e:032x}"),
        "span_id": format!("{e:016x}"), "environment": {},
        "flow": ["1. gateway: GET /checkout", format!("2. {service}: {operation}")]
    });
    let log = json!({"stacktrace": stack, "events": []});
    Seeded {
        service,
        exception_type,
        message,
        operation,
        summary,
        log,
    }
}

#[tokio::main]
async fn main() {
    let bench = Bench::start().await;
    let project = bench.project;
    let me = bench.get("/api/auth/me").await;
    let user = me["id"].as_i64().unwrap();

    let started = Instant::now();
    seed(&bench.database(), project, user).await;
    println!(
        "seeded {ERRORS} errors, {ERRORS} notes and their features in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    let mut times = Vec::with_capacity(RUNS);
    let mut offered = 0;
    for run in 0..RUNS as i64 {
        let id = run * 4999 % ERRORS + 1;
        let t = Instant::now();
        let list = bench.get(&format!("/api/errors/{id}/notes")).await;
        times.push(t.elapsed());
        offered += list.as_array().expect("a list of suggestions").len();
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "GET /api/errors/{{id}}/notes: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms; {:.1} notes offered on average",
        ms(times[RUNS / 2]),
        ms(times[RUNS * 95 / 100]),
        ms(times[RUNS - 1]),
        offered as f64 / RUNS as f64
    );
    bench.server.shutdown().await.unwrap();
}

/// Writes errors, their latest occurrence, a note on each and the stored features directly,
/// in one transaction.
async fn seed(path: &std::path::Path, project: i64, user: i64) {
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    db.execute("PRAGMA synchronous = OFF").await.unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let mut tx = db.begin().await.unwrap();
    for e in 1..=ERRORS {
        let s = error(e);
        let fingerprint = format!("fp{e}");
        sqlx::query(
            "INSERT INTO errors (id, project_id, fingerprint, service, exception_type, message, \
             operation, status, first_seen, last_seen, occurrence_count) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'unresolved', $8, $8, 1)",
        )
        .bind(e)
        .bind(project)
        .bind(&fingerprint)
        .bind(s.service)
        .bind(&s.exception_type)
        .bind(&s.message)
        .bind(&s.operation)
        .bind(now - (ERRORS - e) * 1000)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO occurrences (error_id, project_id, trace_id, span_id, occurred_at, \
             summary, log, path, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, '[]', $5, $5)",
        )
        .bind(e)
        .bind(project)
        .bind(format!("{e:032x}"))
        .bind(format!("{e:016x}"))
        .bind(now - (ERRORS - e) * 1000)
        .bind(s.summary.to_string())
        .bind(s.log.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO notes (author_id, title, body, kind, error_id, visibility, created_at, \
             updated_at) VALUES ($1, $2, $3, 'error', $4, 'public', $5, $5)",
        )
        .bind(user)
        .bind(format!("How {} {e} was fixed", s.exception_type))
        .bind(format!(
            "The {} handler in {} failed; we changed step {}.",
            s.operation,
            s.service,
            e % 40
        ))
        .bind(e)
        .bind(now)
        .execute(&mut *tx)
        .await
        .unwrap();
        let summary: Summary = serde_json::from_value(s.summary.clone()).unwrap();
        let log: Log = serde_json::from_value(s.log.clone()).unwrap();
        let features = ErrorFeatures::of(
            &GroupFacts {
                fingerprint: &fingerprint,
                service: s.service,
                exception_type: &s.exception_type,
                message: &s.message,
                operation: &s.operation,
            },
            Some((&summary, &log)),
        );
        for (kind, value) in features.rows() {
            sqlx::query("INSERT INTO error_features (error_id, kind, value) VALUES ($1, $2, $3)")
                .bind(e)
                .bind(kind)
                .bind(value)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
}
