//! The SQLite and PostgreSQL migrations, kept in step by hand, produce the same tables,
//! columns and indexes; the one intended difference is how full-text search is stored.
//! Runs in the PostgreSQL pass of the suite (it needs both databases).

use std::collections::BTreeSet;

use omegi::config::Database;
use omegi::store::Store;
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
