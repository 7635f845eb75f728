//! The assembler's side of storage: finding traces that are due, claiming one so that only
//! one worker (of possibly several `omegi` nodes) assembles it, and saving what assembly
//! derived in one transaction.

use sqlx::{Any, FromRow, Transaction};

use super::events::{self, ERROR_NEW, ERROR_REGRESSED};
use super::{encode_error, Backend, Result, Store};
use crate::model::Millis;
use crate::model::{Assembly, OccurrenceDraft};

/// A trace whose spans have settled, at the version that was seen.
#[derive(Clone, Debug, FromRow)]
pub struct DueTrace {
    pub project_id: i64,
    pub trace_id: String,
    pub version: i64,
}

/// What saving an assembly changed about error groups, for live notifications.
#[derive(Debug, Default)]
pub struct Saved {
    pub new_errors: Vec<i64>,
    pub regressed_errors: Vec<i64>,
}

/// Minute buckets for the service map.
const BUCKET_MS: i64 = 60_000;

impl Store {
    /// Pending traces whose root arrived and that got no span for `settle_ms`, or that have
    /// waited `max_wait_ms` since they became pending; oldest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn due_traces(
        &self,
        now: Millis,
        settle_ms: i64,
        max_wait_ms: i64,
        limit: i64,
    ) -> Result<Vec<DueTrace>> {
        Ok(sqlx::query_as(
            "SELECT project_id, trace_id, version FROM traces \
             WHERE version > assembled_version AND claimed_until < $1 \
               AND ((has_root = 1 AND last_received_at <= $2) OR pending_since <= $3) \
             ORDER BY pending_since LIMIT $4",
        )
        .bind(now)
        .bind(now - settle_ms)
        .bind(now - max_wait_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Claims traces for `lease_ms`, all in one transaction; returns those this worker won.
    /// A trace is lost when another worker holds it, already assembled it, or it changed
    /// since it was found due. Each conditional update is atomic on both back-ends, so one
    /// claimer wins; rows are taken in key order so two nodes never deadlock.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn claim_traces(
        &self,
        due: &[DueTrace],
        now: Millis,
        lease_ms: i64,
    ) -> Result<Vec<DueTrace>> {
        let mut sorted: Vec<&DueTrace> = due.iter().collect();
        sorted.sort_by(|a, b| (a.project_id, &a.trace_id).cmp(&(b.project_id, &b.trace_id)));
        let mut tx = self.write().await?;
        let mut won = Vec::new();
        for t in sorted {
            let done = sqlx::query(
                "UPDATE traces SET claimed_until = $1, claims = claims + 1 \
                 WHERE project_id = $2 AND trace_id = $3 AND version = $4 \
                   AND version > assembled_version AND claimed_until < $5",
            )
            .bind(now + lease_ms)
            .bind(t.project_id)
            .bind(&t.trace_id)
            .bind(t.version)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                won.push(t.clone());
            }
        }
        tx.commit().await?;
        Ok(won)
    }

    /// Saves assemblies in one transaction (one durable commit for the batch). Occurrences
    /// are keyed by (trace, span), so saving a re-assembled trace updates them instead of
    /// counting them twice; occurrences that no longer exist (a late span moved the cause
    /// deeper) are removed from their group. A trace whose newer assembly was saved
    /// meanwhile is skipped.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn save_assemblies(
        &self,
        items: &[(DueTrace, Assembly)],
        now: Millis,
    ) -> Result<Vec<(i64, Saved)>> {
        let mut tx = self.write().await?;
        let mut out = Vec::with_capacity(items.len());
        for (t, a) in items {
            if let Some(saved) = save_one(&mut tx, self.backend, t, a, now).await? {
                out.push((t.project_id, saved));
            }
        }
        let evented = out
            .iter()
            .any(|(_, s)| !s.new_errors.is_empty() || !s.regressed_errors.is_empty());
        if evented {
            events::announce(&mut tx, self.backend).await?;
        }
        tx.commit().await?;
        Ok(out)
    }
}

async fn save_one(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    t: &DueTrace,
    a: &Assembly,
    now: Millis,
) -> Result<Option<Saved>> {
    let marked = sqlx::query(
        "UPDATE traces SET assembled_version = $1, claimed_until = 0, span_count = $2, \
            start_ns = $3, end_ns = $4, root_service = $5, root_name = $6, error_count = $7, \
            truncated = $10 \
         WHERE project_id = $8 AND trace_id = $9 AND assembled_version < $1",
    )
    .bind(t.version)
    .bind(a.span_count)
    .bind(a.start_ns)
    .bind(a.end_ns)
    .bind(&a.root_service)
    .bind(&a.root_name)
    .bind(a.occurrences.len() as i64)
    .bind(t.project_id)
    .bind(&t.trace_id)
    .bind(&a.truncated)
    .execute(&mut **tx)
    .await?;
    if marked.rows_affected() == 0 {
        return Ok(None);
    }
    let bucket = (a.start_ns / 1_000_000).div_euclid(BUCKET_MS) * BUCKET_MS;
    save_map(tx, backend, t, a, bucket).await?;
    let saved = save_occurrences(tx, backend, t, &a.occurrences, now).await?;
    for (kind, ids) in [
        (ERROR_NEW, &saved.new_errors),
        (ERROR_REGRESSED, &saved.regressed_errors),
    ] {
        for &id in ids {
            events::record(tx, t.project_id, kind, id, now).await?;
        }
    }
    Ok(Some(saved))
}

async fn save_map(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    t: &DueTrace,
    a: &Assembly,
    bucket: i64,
) -> Result<()> {
    for table in ["trace_edges", "trace_services"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE project_id = $1 AND trace_id = $2"
        ))
        .bind(t.project_id)
        .bind(&t.trace_id)
        .execute(&mut **tx)
        .await?;
    }
    let insert_edge = format!(
        "INSERT INTO trace_edges (project_id, trace_id, bucket, caller, callee, calls, errors, \
         durations_us) VALUES ($1, $2, $3, $4, $5, $6, $7, {})",
        backend.json_param("$8")
    );
    for e in &a.edges {
        sqlx::query(&insert_edge)
            .bind(t.project_id)
            .bind(&t.trace_id)
            .bind(bucket)
            .bind(&e.caller)
            .bind(&e.callee)
            .bind(e.calls)
            .bind(e.errors)
            .bind(serde_json::to_string(&e.durations_us).map_err(encode_error)?)
            .execute(&mut **tx)
            .await?;
    }
    for s in &a.services {
        sqlx::query(
            "INSERT INTO trace_services (project_id, trace_id, bucket, service, spans, requests, \
             errors) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(t.project_id)
        .bind(&t.trace_id)
        .bind(bucket)
        .bind(&s.service)
        .bind(s.spans)
        .bind(s.requests)
        .bind(s.errors)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn save_occurrences(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    t: &DueTrace,
    drafts: &[OccurrenceDraft],
    now: Millis,
) -> Result<Saved> {
    let existing: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT id, span_id, error_id FROM occurrences WHERE project_id = $1 AND trace_id = $2",
    )
    .bind(t.project_id)
    .bind(&t.trace_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut saved = Saved::default();
    for d in drafts {
        match existing.iter().find(|(_, span, _)| *span == d.span_id) {
            Some((id, _, _)) => update_occurrence(tx, backend, *id, d, now).await?,
            None => {
                let (error_id, count, regressed_now) = group(tx, t.project_id, d, now).await?;
                insert_occurrence(tx, backend, t, error_id, d, now).await?;
                if count == 1 {
                    saved.new_errors.push(error_id);
                } else if regressed_now && !saved.regressed_errors.contains(&error_id) {
                    saved.regressed_errors.push(error_id);
                }
            }
        }
    }
    for (id, span, error_id) in &existing {
        if !drafts.iter().any(|d| d.span_id == *span) {
            sqlx::query("DELETE FROM occurrences WHERE id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            sqlx::query("UPDATE errors SET occurrence_count = occurrence_count - 1 WHERE id = $1")
                .bind(error_id)
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM errors WHERE id = $1 AND occurrence_count <= 0")
                .bind(error_id)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(saved)
}

/// Adds one occurrence to its error group (creating the group on first sight). A resolved
/// group re-opens and is marked as a regression. Returns the group id, its new count, and
/// whether it regressed now.
async fn group(
    tx: &mut Transaction<'_, Any>,
    project: i64,
    d: &OccurrenceDraft,
    now: Millis,
) -> Result<(i64, i64, bool)> {
    let (id, count, regressed_at): (i64, i64, Option<i64>) = sqlx::query_as(
        "INSERT INTO errors (project_id, fingerprint, service, exception_type, message, operation, \
                             first_seen, last_seen, occurrence_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1) \
         ON CONFLICT (project_id, fingerprint) DO UPDATE SET \
           occurrence_count = errors.occurrence_count + 1, \
           message = CASE WHEN excluded.last_seen >= errors.last_seen \
                     THEN excluded.message ELSE errors.message END, \
           last_seen = CASE WHEN excluded.last_seen > errors.last_seen \
                       THEN excluded.last_seen ELSE errors.last_seen END, \
           first_seen = CASE WHEN excluded.first_seen < errors.first_seen \
                        THEN excluded.first_seen ELSE errors.first_seen END, \
           regressed = CASE WHEN errors.status = 'resolved' THEN 1 ELSE errors.regressed END, \
           regressed_at = CASE WHEN errors.status = 'resolved' THEN $8 ELSE errors.regressed_at END, \
           status_changed_at = CASE WHEN errors.status = 'resolved' \
                               THEN $8 ELSE errors.status_changed_at END, \
           status = CASE WHEN errors.status = 'resolved' THEN 'unresolved' ELSE errors.status END \
         RETURNING id, occurrence_count, regressed_at",
    )
    .bind(project)
    .bind(&d.fingerprint)
    .bind(&d.service)
    .bind(&d.exception_type)
    .bind(&d.message)
    .bind(&d.operation)
    .bind(d.occurred_at)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, count, regressed_at == Some(now)))
}

async fn insert_occurrence(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    t: &DueTrace,
    error_id: i64,
    d: &OccurrenceDraft,
    now: Millis,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO occurrences (error_id, project_id, trace_id, span_id, occurred_at, summary, \
                                  log, path, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, {}, {}, $8, $9, $9)",
        backend.json_param("$6"),
        backend.json_param("$7")
    );
    sqlx::query(&sql)
        .bind(error_id)
        .bind(t.project_id)
        .bind(&t.trace_id)
        .bind(&d.span_id)
        .bind(d.occurred_at)
        .bind(serde_json::to_string(&d.summary).map_err(encode_error)?)
        .bind(serde_json::to_string(&d.log).map_err(encode_error)?)
        .bind(serde_json::to_string(&d.path).unwrap_or_default())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn update_occurrence(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    id: i64,
    d: &OccurrenceDraft,
    now: Millis,
) -> Result<()> {
    let sql = format!(
        "UPDATE occurrences SET summary = {}, log = {}, path = $3, occurred_at = $4, \
         updated_at = $5 WHERE id = $6",
        backend.json_param("$1"),
        backend.json_param("$2")
    );
    sqlx::query(&sql)
        .bind(serde_json::to_string(&d.summary).map_err(encode_error)?)
        .bind(serde_json::to_string(&d.log).map_err(encode_error)?)
        .bind(serde_json::to_string(&d.path).unwrap_or_default())
        .bind(d.occurred_at)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
