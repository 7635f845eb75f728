//! The event log behind live updates (SSE). On PostgreSQL each event also sends a
//! notification on [`CHANNEL`] when its transaction commits, which wakes the streams of every
//! node at once; the table stays what streams read and resume from.

use sqlx::postgres::PgListener;
use sqlx::{Any, FromRow, Transaction};

use super::{Backend, Result, Store};
use crate::model::{Activity, Millis};

pub const ERROR_NEW: &str = "error.new";
pub const ERROR_REGRESSED: &str = "error.regressed";
pub const ERROR_STATUS: &str = "error.status";

/// The PostgreSQL notification channel of new events.
pub const CHANNEL: &str = "omegi_events";
/// The PostgreSQL notification channel of [`Activity`], its JSON the payload.
pub const ACTIVITY_CHANNEL: &str = "omegi_activity";

/// How long events are kept for clients that reconnect.
const KEEP_MS: i64 = 24 * 3600 * 1000;

#[derive(Clone, Debug, FromRow)]
pub struct EventRow {
    pub id: i64,
    pub kind: String,
    pub error_id: i64,
}

#[tracing::instrument(level = "debug", skip_all, fields(project = ?project, error = ?error))]
pub(super) async fn record(
    tx: &mut Transaction<'_, Any>,
    project: i64,
    kind: &str,
    error: i64,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO events (project_id, kind, error_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(project)
    .bind(kind)
    .bind(error)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Tells every node, when `tx` commits, that it recorded events: once per transaction,
/// after its events. PostgreSQL only; on SQLite the one node wakes its own streams.
pub(super) async fn announce(tx: &mut Transaction<'_, Any>, backend: Backend) -> Result<()> {
    if backend == Backend::Postgres {
        sqlx::query(&format!("NOTIFY {CHANNEL}"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Tells every node, when `tx` commits, what it changed (PostgreSQL only). Activity is a
/// hint to refresh, so it is not stored.
pub(super) async fn announce_activity(
    tx: &mut Transaction<'_, Any>,
    activity: &Activity,
) -> Result<()> {
    // At most 200 error ids: far below PostgreSQL's 8000-byte payload limit.
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(ACTIVITY_CHANNEL)
        .bind(serde_json::to_string(activity).map_err(super::encode_error)?)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// On PostgreSQL, a connection listening on [`CHANNEL`] and [`ACTIVITY_CHANNEL`]; `None`
    /// on SQLite, where one process serves the file and its own writes wake its streams.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn event_listener(&self) -> Result<Option<PgListener>> {
        let Some(url) = &self.postgres_url else {
            return Ok(None);
        };
        let mut listener = PgListener::connect(url).await?;
        listener.listen_all([CHANNEL, ACTIVITY_CHANNEL]).await?;
        Ok(Some(listener))
    }

    /// The newest event id, where a client without `Last-Event-ID` starts.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn last_event_id(&self) -> Result<i64> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM events")
            .fetch_one(&self.pool)
            .await?;
        Ok(id.unwrap_or(0))
    }

    /// Events after `after`, and any written since `recent_since` (ids are handed out at
    /// insert but become visible at commit, so on PostgreSQL a lower id can appear after a
    /// higher one was read; the caller skips the ones it already sent), in projects `user`
    /// is a member of, oldest first.
    #[tracing::instrument(level = "debug", skip_all, fields(user = ?user))]
    pub async fn events_for(
        &self,
        user: i64,
        after: i64,
        recent_since: Millis,
        limit: i64,
    ) -> Result<Vec<EventRow>> {
        Ok(sqlx::query_as(
            "SELECT v.id, v.kind, v.error_id FROM events v JOIN project_members m \
             ON m.project_id = v.project_id AND m.user_id = $1 \
             WHERE v.id > $2 OR v.created_at >= $3 ORDER BY v.id LIMIT $4",
        )
        .bind(user)
        .bind(after)
        .bind(recent_since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Drops events older than a day.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn prune_events(&self, now: Millis) -> Result<()> {
        sqlx::query("DELETE FROM events WHERE created_at < $1")
            .bind(now - KEEP_MS)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
