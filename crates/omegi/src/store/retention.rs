//! Retention: deleting what is older than its limit, in small batches so that each delete
//! holds the write lock briefly and ingestion keeps going. Error groups, their counts and
//! notes are never deleted; a group whose occurrences all expired keeps its counts.

use super::assembly::BUCKET_MS;
use super::{Backend, Result, Store};
use crate::model::Millis;

/// An assembled trace past its limit: `$1` for traces without errors, `$2` for the others.
const EXPIRED: &str = "version = assembled_version \
     AND ((error_count = 0 AND last_received_at < $1) \
          OR (error_count > 0 AND last_received_at < $2))";

/// What one round deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expired {
    pub occurrences: u64,
    pub traces: u64,
}

/// How much longer than spans a resource is kept.
const RESOURCE_GRACE_MS: i64 = 24 * 3600 * 1000;

impl Store {
    /// Deletes at most `batch` occurrences recorded before `errors_before`, and at most
    /// `batch` assembled traces (with their spans) last written to before `errors_before` if
    /// they have errors, or before `traces_before` if they have none, and the service map's
    /// minutes before both.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn expire(
        &self,
        errors_before: Millis,
        traces_before: Millis,
        batch: i64,
    ) -> Result<Expired> {
        let mut tx = self.write().await?;
        let occurrences = sqlx::query(
            "DELETE FROM occurrences WHERE id IN \
             (SELECT id FROM occurrences WHERE created_at < $1 ORDER BY created_at LIMIT $2)",
        )
        .bind(errors_before)
        .bind(batch)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        // The trace rows go first, re-checked as they are deleted: a span that arrives
        // meanwhile updates its trace row (or waits for this transaction's lock on it), so
        // its trace is no longer expired, or gets a new row after this commit, and its spans
        // (not yet committed when the spans below are deleted) are kept.
        let traces: Vec<i64> = sqlx::query_scalar(&format!(
            "DELETE FROM traces WHERE id IN \
               (SELECT id FROM traces WHERE {EXPIRED} ORDER BY last_received_at LIMIT $3) \
             AND {EXPIRED} RETURNING id"
        ))
        .bind(traces_before)
        .bind(errors_before)
        .bind(batch)
        .fetch_all(&mut **tx)
        .await?;
        if !traces.is_empty() {
            let keys = super::id_rows(traces.iter().copied())?;
            sqlx::query(&format!(
                "{}DELETE FROM span_chunks WHERE trace_key IN \
                 (SELECT CAST(value ->> 0 AS BIGINT) FROM batch)",
                self.backend.json_rows("$1")
            ))
            .bind(&keys)
            .execute(&mut **tx)
            .await?;
        }
        // The service map's minutes go when even traces with errors have expired: a map of
        // a range shows the traffic of the traces stored then. (A trace re-assembled after
        // its start's minute went takes its earlier part away from a row that is no longer
        // there: that row counts below zero, is never shown, and goes in the next round.)
        // (By project: the keys begin with it.)
        let oldest_kept = errors_before.min(traces_before);
        for table in ["map_calls", "map_services"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE project_id IN (SELECT id FROM projects) AND bucket < $1"
            ))
            .bind(oldest_kept - BUCKET_MS)
            .execute(&mut **tx)
            .await?;
        }
        // A resource unused for a day longer than the longest-kept spans (those of traces
        // with errors) has no span left that names it.
        sqlx::query("DELETE FROM resources WHERE last_used_at < $1")
            .bind(errors_before.min(traces_before) - RESOURCE_GRACE_MS)
            .execute(&mut **tx)
            .await?;
        tx.commit().await?;
        Ok(Expired {
            occurrences,
            traces: traces.len() as u64,
        })
    }

    /// On SQLite, returns up to `pages` free pages to the file system (the file is in
    /// incremental auto-vacuum mode); PostgreSQL's autovacuum does this by itself.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn release_free_pages(&self, pages: i64) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query(&format!("PRAGMA incremental_vacuum({pages})"))
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Bytes the database takes: SQLite's pages in use and free, or PostgreSQL's database.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn database_size(&self) -> Result<i64> {
        Ok(match self.backend {
            Backend::Sqlite => {
                let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
                    .fetch_one(&self.pool)
                    .await?;
                let size: i64 = sqlx::query_scalar("PRAGMA page_size")
                    .fetch_one(&self.pool)
                    .await?;
                pages * size
            }
            Backend::Postgres => {
                sqlx::query_scalar("SELECT pg_database_size(current_database())")
                    .fetch_one(&self.pool)
                    .await?
            }
        })
    }
}
