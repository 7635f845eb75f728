//! The SQLite and PostgreSQL migrations, kept in step by hand, produce the same tables,
//! columns and indexes; the one intended difference is how full-text search is stored.
//! Runs in the PostgreSQL pass of the suite (it needs both databases).

use std::collections::BTreeSet;

use omegi::config::Database;
use omegi::model::{duration_bin, Assembly, Edge, ServiceStat};
use omegi::store::{DueTrace, Store, TraceFilter};
use sqlx::{AnyConnection, Connection, Row};

use crate::common::{database_url, fresh_database};

/// Full text: SQLite's FTS5 table (and its shadow tables) against PostgreSQL's generated
/// `tsvector` column and its GIN index.
fn intended_difference(item: &str) -> bool {
    item.starts_with("notes_fts") || item == "notes.search" || item == "index notes_search"
}

async fn schema(url: &str, sqlite: bool) -> BTreeSet<String> {
    let mut conn = AnyConnection::connect(url).await.unwrap();
    let mut items = BTreeSet::new();
    let tables: Vec<String> = if sqlite {
        sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name <> '_sqlx_migrations'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
    } else {
        sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
             AND table_name <> '_sqlx_migrations'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
    };
    for table in tables {
        items.insert(table.clone());
        let columns: Vec<String> = if sqlite {
            sqlx::query(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect()
        } else {
            sqlx::query_scalar(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = $1",
            )
            .bind(&table)
            .fetch_all(&mut conn)
            .await
            .unwrap()
        };
        items.extend(columns.into_iter().map(|c| format!("{table}.{c}")));
    }
    // Named indexes (not the ones keys and UNIQUE constraints make by themselves).
    let indexes: Vec<String> = if sqlite {
        sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
    } else {
        sqlx::query_scalar(
            "SELECT i.indexname::text FROM pg_indexes i WHERE i.schemaname = 'public' \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
    };
    items.extend(indexes.into_iter().map(|i| format!("index {i}")));
    items.retain(|i| !intended_difference(i));
    items
}

#[tokio::test]
async fn sqlite_and_postgresql_migrations_make_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let postgres = fresh_database(dir.path()).await;
    if !matches!(postgres, Database::Postgres { .. }) {
        eprintln!("skipped here: runs in the PostgreSQL pass (OMEGI_TEST_POSTGRES_URL)");
        return;
    }
    let sqlite = Database::Sqlite {
        path: dir.path().join("parity.db"),
    };
    Store::open(&sqlite).await.unwrap().close().await;
    Store::open(&postgres).await.unwrap().close().await;
    let lite = schema(&database_url(&sqlite), true).await;
    let pg = schema(&database_url(&postgres), false).await;
    let only_sqlite: Vec<_> = lite.difference(&pg).collect();
    let only_postgres: Vec<_> = pg.difference(&lite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "migrations differ:\n  only in SQLite: {only_sqlite:?}\n  only in PostgreSQL: {only_postgres:?}"
    );
    assert!(
        lite.contains("occurrences.summary") && lite.len() > 50,
        "{lite:?}"
    );
}

/// Spans stored one a row (before migration 13) are moved into chunks by the upgrade and read
/// back whole: attributes, events, and the resource, whether named by digest or (older
/// still) stored on the span itself.
/// A fresh database of the suite's back-end migrated up to `version` only, with a project:
/// the database, a connection to it, whether it is SQLite, and the project's id.
async fn database_at(dir: &std::path::Path, version: i64) -> (Database, AnyConnection, bool, i64) {
    let database = fresh_database(dir).await;
    let sqlite = matches!(database, Database::Sqlite { .. });
    let url = if sqlite {
        format!("{}?mode=rwc", database_url(&database))
    } else {
        database_url(&database)
    };
    let folder = if sqlite { "sqlite" } else { "postgres" };
    let mut before = sqlx::migrate::Migrator::new(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("migrations/{folder}")),
    )
    .await
    .unwrap();
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version <= version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(&url).await.unwrap();
    before.run(&mut conn).await.unwrap();
    sqlx::query("INSERT INTO projects (name, created_at) VALUES ('shop', 0)")
        .execute(&mut conn)
        .await
        .unwrap();
    let p: i64 = sqlx::query_scalar("SELECT id FROM projects")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    (database, conn, sqlite, p)
}

#[tokio::test]
async fn spans_stored_before_the_upgrade_read_back_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let (database, mut conn, sqlite, p) = database_at(dir.path(), 12).await;
    let (resource, json) = if sqlite {
        ("'{}'", "")
    } else {
        ("'{}'::jsonb", "::jsonb")
    };
    for sql in [
        format!(
            "INSERT INTO resources (project_id, digest, attributes, last_used_at) \
             VALUES ({p}, 'd1', '{{\"service.name\": \"orders\"}}'{json}, 0)"
        ),
        format!(
            "INSERT INTO spans (project_id, trace_id, span_id, parent_span_id, service, name, \
               kind, start_ns, end_ns, status_code, status_message, attributes, events, \
               resource, received_at, resource_digest) VALUES \
             ({p}, 't1', 'a', NULL, 'orders', 'POST /orders', 'server', 10, 90, 0, '', \
              '{{\"http.route\": \"/orders\"}}'{json}, '[]'{json}, {resource}, 5, 'd1'), \
             ({p}, 't1', 'b', 'a', 'orders', 'SELECT', 'client', 20, 30, 2, 'boom', \
              '{{\"db.system\": \"postgresql\"}}'{json}, \
              '[{{\"name\": \"exception\", \"time_ns\": 25, \"attributes\": {{}}}}]'{json}, \
              '{{\"service.name\": \"legacy\"}}'{json}, 5, NULL)"
        ),
    ] {
        sqlx::query(&sql).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();

    let store = Store::open(&database).await.unwrap();
    let (spans, stored) = store.trace_spans(p, "t1", 100).await.unwrap();
    store.close().await;
    assert_eq!(stored, 2);
    let a = &spans[0];
    assert_eq!(
        (a.span_id.as_str(), a.parent_span_id.as_deref()),
        ("a", None)
    );
    assert_eq!(a.attributes["http.route"], "/orders");
    assert_eq!(a.resource["service.name"], "orders");
    let b = &spans[1];
    assert_eq!((b.span_id.as_str(), b.status_code), ("b", 2));
    assert_eq!(b.status_message, "boom");
    assert_eq!(b.events[0].name, "exception");
    assert_eq!(b.resource["service.name"], "legacy");
    assert_eq!(b.attributes["db.system"], "postgresql");
}

/// Span chunks named their trace by (project, hex id) before migration 15 and by the trace's
/// integer key after it: those stored before read back after the upgrade, a span written
/// later to the same trace reads back beside them, and retention still deletes a trace's
/// chunks with it.
#[tokio::test]
async fn chunks_stored_before_trace_keys_stay_with_their_trace() {
    let dir = tempfile::tempdir().unwrap();
    let (database, mut conn, sqlite, p) = database_at(dir.path(), 14).await;
    let blob = |json: &str| {
        if sqlite {
            format!("CAST('{json}' AS BLOB)")
        } else {
            format!("convert_to('{json}', 'UTF8')")
        }
    };
    let span = |id: &str| {
        blob(&format!(
            r#"[["{id}", null, "orders", "GET /orders", "server", 10, 90, 0, "", {{"http.route": "/orders"}}, [], {{"service.name": "orders"}}]]"#
        ))
    };
    let now = omegi::model::now_ms();
    for sql in [
        // t1 was received now, t2 long ago; both assembled.
        format!(
            "INSERT INTO traces (project_id, trace_id, first_received_at, last_received_at, \
               pending_since, has_root, version, assembled_version, span_count) VALUES \
             ({p}, 't1', {now}, {now}, {now}, 1, 1, 1, 1), ({p}, 't2', 0, 0, 0, 1, 1, 1, 1)"
        ),
        format!(
            "INSERT INTO span_chunks (project_id, trace_id, span_count, first_start_ns, \
               received_at, spans) VALUES \
             ({p}, 't2', 1, 10, 0, {}), ({p}, 't1', 1, 10, {now}, {})",
            span("c"),
            span("a")
        ),
    ] {
        sqlx::query(&sql).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();

    let store = Store::open(&database).await.unwrap();
    let late = omegi::model::SpanRecord {
        project_id: p,
        trace_id: "t1".into(),
        span_id: "b".into(),
        parent_span_id: Some("a".into()),
        service: "orders".into(),
        name: "SELECT".into(),
        kind: "client".into(),
        start_ns: 20,
        end_ns: 30,
        status_code: 0,
        status_message: String::new(),
        attributes: Default::default(),
        events: Vec::new(),
        resource: Default::default(),
    };
    store.insert_spans(&[&late], now).await.unwrap();
    let (spans, stored) = store.trace_spans(p, "t1", 100).await.unwrap();
    let ids: Vec<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    assert_eq!((ids, stored), (vec!["a", "b"], 2));
    assert_eq!(spans[0].attributes["http.route"], "/orders");
    assert_eq!(spans[0].resource["service.name"], "orders");
    assert_eq!(store.trace_spans(p, "t2", 100).await.unwrap().1, 1);

    // t2 is past a one-second limit (t1 is newer and waits for assembly again).
    let done = store.expire(0, 1, 500).await.unwrap();
    assert_eq!(done.traces, 1);
    assert_eq!(store.trace_spans(p, "t2", 100).await.unwrap().1, 0);
    assert_eq!(store.trace_spans(p, "t1", 100).await.unwrap().1, 2);
    store.close().await;
    let mut conn = AnyConnection::connect(&database_url(&database))
        .await
        .unwrap();
    let chunks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM span_chunks")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(chunks, 2, "the expired trace's chunk is deleted with it");
}

/// The service map stored a row a trace (before migration 14) is summed into minutes by the
/// upgrade: the same calls, errors, traffic and percentiles, the traces still found by the
/// calls and services they took, and a migrated trace assembled again replaces its part of
/// the map instead of being counted twice, calls whose durations were not kept included.
#[tokio::test]
async fn the_service_map_stored_before_the_upgrade_shows_the_same_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let (database, mut conn, sqlite, p) = database_at(dir.path(), 13).await;
    let json = if sqlite { "" } else { "::jsonb" };
    let minute = 1_700_000_040_000_i64;
    let start_ns = (minute + 1_000) * 1_000_000;
    for sql in [
        // Two assembled traces of the same minute; t1 made three calls to inventory, one of
        // them beyond what an edge kept of durations, and one failed; a late span of t1 is
        // waiting to be assembled (version 2).
        format!(
            "INSERT INTO traces (project_id, trace_id, first_received_at, last_received_at, \
               pending_since, has_root, version, assembled_version, span_count, start_ns, \
               end_ns, error_count) VALUES \
             ({p}, 't1', 0, 0, 0, 1, 2, 1, 5, {start_ns}, {start_ns}, 1), \
             ({p}, 't2', 0, 0, 0, 1, 1, 1, 2, {start_ns}, {start_ns}, 0), \
             ({p}, 't3', 0, 0, 0, 1, 2, 0, 0, NULL, NULL, 0)"
        ),
        format!(
            "INSERT INTO trace_edges (project_id, trace_id, bucket, caller, callee, calls, \
               errors, durations_us) VALUES \
             ({p}, 't1', {minute}, 'orders', 'inventory', 3, 1, '[5000, 7000]'{json}), \
             ({p}, 't2', {minute}, 'orders', 'inventory', 1, 0, '[5000]'{json})"
        ),
        format!(
            "INSERT INTO trace_services (project_id, trace_id, bucket, service, spans, \
               requests, errors) VALUES \
             ({p}, 't1', {minute}, 'orders', 2, 1, 1), \
             ({p}, 't1', {minute}, 'inventory', 3, 3, 1), \
             ({p}, 't2', {minute}, 'orders', 1, 1, 0), \
             ({p}, 't2', {minute}, 'inventory', 1, 1, 0)"
        ),
    ] {
        sqlx::query(&sql).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();

    let store = Store::open(&database).await.unwrap();
    let range = (minute - 60_000, minute + 60_000);
    let map = store.service_map(p, range.0, range.1).await.unwrap();
    let (calls, errors, durations) = &map.edges[&("orders".into(), "inventory".into())];
    assert_eq!((*calls, *errors), (4, 1));
    // Of the three durations kept, 5, 5 and 7 ms.
    assert!((durations.quantile_ms(0.5) - 5.0).abs() < 0.1);
    assert!((durations.quantile_ms(0.95) - 7.0).abs() < 0.1);
    assert_eq!(map.traffic["inventory"], (4, 1));
    assert_eq!(map.traffic["orders"], (2, 1));
    let listed = |caller: Option<&str>, service: Option<&str>, failing: bool| {
        let store = &store;
        let filter = TraceFilter {
            project: p,
            since_ms: range.0,
            until_ms: range.1,
            caller: caller.map(String::from),
            service: service.map(String::from),
            failing,
            limit: 10,
            ..TraceFilter::default()
        };
        async move {
            let mut ids: Vec<String> = store
                .traces(&filter)
                .await
                .unwrap()
                .into_iter()
                .map(|t| t.trace_id)
                .collect();
            ids.sort();
            ids
        }
    };
    assert_eq!(listed(Some("orders"), None, false).await, ["t1", "t2"]);
    assert_eq!(listed(Some("orders"), None, true).await, ["t1"]);
    assert_eq!(listed(None, Some("inventory"), true).await, ["t1"]);
    assert!(listed(Some("inventory"), None, false).await.is_empty());

    // t1 assembled again, now one 9 ms call that succeeded, by one request of inventory's.
    let again = Assembly {
        span_count: 3,
        root_service: Some("orders".into()),
        root_name: Some("POST /orders".into()),
        edges: vec![Edge {
            caller: "orders".into(),
            callee: "inventory".into(),
            calls: 1,
            errors: 0,
            durations: vec![(duration_bin(9_000), 1, 0)],
        }],
        services: vec![
            ServiceStat {
                service: "orders".into(),
                spans: 2,
                requests: 1,
                errors: 0,
            },
            ServiceStat {
                service: "inventory".into(),
                spans: 1,
                requests: 1,
                errors: 0,
            },
        ],
        ..started_at(start_ns)
    };
    // The traces waiting for assembly (t1's late span and t3), as the assembler finds them.
    let waiting = store.due_traces(1, 0, 0, 10).await.unwrap();
    let due = |trace: &str, version: i64| DueTrace {
        version,
        ..waiting
            .iter()
            .find(|t| t.trace_id == trace)
            .unwrap()
            .clone()
    };
    store
        .save_assemblies(&[(due("t1", 2), again)], 0)
        .await
        .unwrap();
    let map = store.service_map(p, range.0, range.1).await.unwrap();
    let (calls, errors, durations) = &map.edges[&("orders".into(), "inventory".into())];
    assert_eq!((*calls, *errors), (2, 0));
    assert!((durations.quantile_ms(0.95) - 9.0).abs() < 9.0 / 16.0);
    assert_eq!(map.traffic["inventory"], (2, 0));
    assert_eq!(map.traffic["orders"], (2, 0));
    assert_eq!(
        listed(Some("orders"), None, true).await,
        Vec::<String>::new()
    );

    // A claim whose lease ran out: t3 is claimed at version 1 and again (by another worker)
    // at version 2 before the first one's save lands; the second save replaces the first
    // one's part, though its claim saw the trace never assembled.
    let to_payments = |calls: i64| Assembly {
        edges: vec![Edge {
            caller: "orders".into(),
            callee: "payments".into(),
            calls,
            errors: 0,
            durations: vec![(duration_bin(3_000), calls, 0)],
        }],
        ..started_at(start_ns)
    };
    for (version, calls) in [(1, 2), (2, 1)] {
        store
            .save_assemblies(&[(due("t3", version), to_payments(calls))], 0)
            .await
            .unwrap();
    }
    let map = store.service_map(p, range.0, range.1).await.unwrap();
    assert_eq!(map.edges[&("orders".into(), "payments".into())].0, 1);
    store.close().await;
}

/// An assembly of a trace that started at `start_ns` and took no calls.
fn started_at(start_ns: i64) -> Assembly {
    Assembly {
        span_count: 1,
        start_ns,
        end_ns: start_ns,
        root_service: None,
        root_name: None,
        edges: Vec::new(),
        services: Vec::new(),
        occurrences: Vec::new(),
        truncated: None,
    }
}
