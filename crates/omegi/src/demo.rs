//! `omegi serve --demo`: a live Omegi for a newcomer in one command. A `demo` account (its
//! fresh password printed at every start), a `demo-shop` project with an ingest token, the
//! load generator sending a gentle stream of shop traces with occasional failures of several
//! kinds, and, once the first errors exist, a few notes of how they were solved, linked to
//! those errors and to each other, so the dashboard, the service map, the error list and the
//! note graph all have something to show within a minute.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use rand::distributions::{Alphanumeric, DistString};
use serde_json::json;

use crate::accounts;
use crate::loadgen::api::ApiClient;
use crate::loadgen::send::Protocol;
use crate::loadgen::LoadgenArgs;
use crate::store::Store;

const USER: &str = "demo";
const PROJECT: &str = "demo-shop";

/// Spans a second the demo sends: enough to move the charts, far from any limit.
const RATE: u64 = 200;

/// The notes seeded beside the demo's errors: (exception type or None for a general note,
/// title, tags, Markdown body).
const NOTES: [(Option<&str>, &str, &[&str], &str); 4] = [
    (
        None,
        "Runbook: database connection pool",
        &["runbook", "database"],
        "When services time out waiting for a connection:\n\n\
         1. Check the pool's active and pending connections on the service's dashboard.\n\
         2. Look for slow queries holding connections (`pg_stat_activity`, state `active`).\n\
         3. Raise `maximumPoolSize` only after the slow query is fixed; more connections \
         make a slow database slower.\n",
    ),
    (
        Some("java.sql.SQLTransientConnectionException"),
        "Inventory: pool exhausted during stock reservation",
        &["database", "incident"],
        "The `SELECT … FOR UPDATE` on `inventory` held rows while the service called \
         payments, so every checkout waited for the one before it.\n\n\
         **Fix:** reserve stock in its own short transaction, call payments after commit. \
         See [[Runbook: database connection pool]].\n",
    ),
    (
        Some("java.lang.NullPointerException"),
        "Orders: guest checkout has no address",
        &["orders", "bug"],
        "Guest customers have no saved address; `ShippingQuote.forCustomer` assumed one.\n\n\
         **Fix:** take the address from the checkout form when the customer has none; \
         added a test with a guest customer.\n",
    ),
    (
        Some("KeyError"),
        "Payments: order without a currency",
        &["payments", "bug"],
        "Orders created by the old mobile app omit `currency`.\n\n\
         **Fix:** default to the shop's currency in `to_minor_units` and log the client \
         version; the app is fixed in 4.2. Same family of problem as \
         [[Orders: guest checkout has no address]]: a field every client was assumed to send.\n",
    ),
];

/// Sets the demo up against the server at `addr` and keeps traces flowing until the
/// returned task is aborted.
pub async fn start(store: &Store, addr: SocketAddr) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let password = Alphanumeric.sample_string(&mut rand::thread_rng(), 16);
    accounts::set_local_password(store, USER, password.clone())
        .await
        .context("creating the demo account")?;
    let base = format!("http://{addr}");
    let api = ApiClient::sign_in(&base, USER, &password).await?;
    let project = project(&api).await?;
    let service = first_service(&api, project).await?;
    let token = api
        .post(
            &format!("/api/projects/{project}/services/{service}/tokens"),
            &json!({}),
        )
        .await?["secret"]
        .as_str()
        .context("no token secret")?
        .to_string();
    println!(
        "\n  Omegi demo: open {base} and sign in as `{USER}` with the password `{password}`\n  \
         (a new one is printed at every start with --demo)\n"
    );
    let args = LoadgenArgs {
        target: base.clone(),
        token,
        protocol: Protocol::HttpProtobuf,
        rate: RATE,
        duration: Duration::from_secs(100 * 365 * 24 * 3600),
        spans_per_trace: 10,
        services: 6,
        error_ratio: 0.05,
        exception_kinds: 6,
        traces_per_export: 2,
        concurrency: 2,
        kafka_brokers: None,
        kafka_topic: String::new(),
        api: None,
        user: None,
        password: None,
        watch_per_sec: 0.0,
        watch_after: Duration::ZERO,
        probes_per_sec: 0.0,
        json: false,
        quiet: true,
    };
    Ok(tokio::spawn(async move {
        let seeding = tokio::spawn(async move {
            if let Err(e) = seed_notes(&api, project).await {
                tracing::warn!("seeding the demo notes failed: {e:#}");
            }
        });
        if let Err(e) = crate::loadgen::run(args).await {
            tracing::warn!("the demo's load generator stopped: {e:#}");
        }
        seeding.abort();
    }))
}

/// The demo project's id, made on first start.
async fn project(api: &ApiClient) -> anyhow::Result<i64> {
    let projects = api.get("/api/projects").await?;
    let known = projects
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == PROJECT)
        .and_then(|p| p["id"].as_i64());
    match known {
        Some(id) => Ok(id),
        None => api.post("/api/projects", &json!({"name": PROJECT})).await?["id"]
            .as_i64()
            .context("no project id"),
    }
}

/// The service the demo's token belongs to (traces name their own services).
async fn first_service(api: &ApiClient, project: i64) -> anyhow::Result<i64> {
    let services = api
        .get(&format!("/api/projects/{project}/services"))
        .await?;
    let known = services
        .as_array()
        .and_then(|s| s.first())
        .and_then(|s| s["id"].as_i64());
    match known {
        Some(id) => Ok(id),
        None => api
            .post(
                &format!("/api/projects/{project}/services"),
                &json!({"name": "gateway"}),
            )
            .await?["id"]
            .as_i64()
            .context("no service id"),
    }
}

/// Writes each note once the error it is about exists and the notes it links to are written
/// (only into a project that has no notes yet, so restarts do not repeat them).
async fn seed_notes(api: &ApiClient, project: i64) -> anyhow::Result<()> {
    let existing = api.get("/api/notes").await?;
    if existing.as_array().is_some_and(|n| !n.is_empty()) {
        return Ok(());
    }
    let mut written: Vec<&str> = Vec::new();
    // Failures are rare at the demo's rate: look for ten minutes at most.
    for _ in 0..300 {
        let page = api
            .get(&format!("/api/errors?project={project}&limit=100"))
            .await?;
        let errors = page["errors"].as_array().cloned().unwrap_or_default();
        for (ty, title, tags, body) in NOTES {
            let links_ready = NOTES
                .iter()
                .filter(|(_, other, ..)| body.contains(&format!("[[{other}]]")))
                .all(|(_, other, ..)| written.contains(other));
            if written.contains(&title) || !links_ready {
                continue;
            }
            let error = ty.and_then(|ty| {
                errors
                    .iter()
                    .find(|e| e["exception_type"] == ty)
                    .and_then(|e| e["id"].as_i64())
            });
            if ty.is_some() && error.is_none() {
                continue;
            }
            api.post(
                "/api/notes",
                &json!({
                    "title": title,
                    "body": body,
                    "kind": if error.is_some() { "error" } else { "general" },
                    "error_id": error,
                    "tags": tags,
                }),
            )
            .await?;
            written.push(title);
        }
        if written.len() == NOTES.len() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    Ok(())
}
