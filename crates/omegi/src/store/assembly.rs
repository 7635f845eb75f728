//! The assembler's side of storage: finding traces that are due, claiming one so that only
//! one worker (of possibly several `omegi` nodes) assembles it, and saving what assembly
//! derived in one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sqlx::{Any, FromRow, Transaction};

use super::alert_outbox;
use super::events::{self, ERROR_NEW, ERROR_REGRESSED};
use super::{decode_json, encode_error, Backend, Result, Store};
use crate::model::Millis;
use crate::model::{Activity, Assembly, OccurrenceDraft, Seen};

/// A trace whose spans have settled, at the version that was seen. Read as a row, or as
/// an array `[key, project_id, trace_id, version]` of a [`Backend::json_agg`] answer.
#[derive(Clone, Debug, FromRow, Deserialize)]
pub struct DueTrace {
    /// The trace row's key (`traces.id`): claims and saves find the row by it.
    pub key: i64,
    pub project_id: i64,
    pub trace_id: String,
    pub version: i64,
}

/// What saving an assembly changed about error groups, for live notifications.
#[derive(Debug, Default)]
pub struct Saved {
    pub new_errors: Vec<i64>,
    pub regressed_errors: Vec<i64>,
    /// Alerts written to the outbox.
    pub alerts: usize,
    /// The error groups that got an occurrence.
    pub seen_errors: Vec<i64>,
}

/// What a batch of saved assemblies changed, for live updates; `None` when nothing was saved.
pub fn activity_of(saved: &[(i64, Saved)]) -> Option<Activity> {
    let activity = Activity::new(
        saved.iter().map(|(p, _)| *p),
        saved
            .iter()
            .flat_map(|(_, s)| s.seen_errors.iter().copied()),
    );
    (!activity.is_empty()).then_some(activity)
}

/// Minute buckets for the service map.
pub(super) const BUCKET_MS: i64 = 60_000;

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
        // A trace's wait starts no later than its last span (`pending_since` <=
        // `last_received_at`), so none that became pending within the shorter of the two
        // waits is due: the scan of the pending traces' index ends there instead of reading
        // the row of every trace still settling (5 ms a query at 70,000 spans/s, when fewer
        // than `limit` were due; docs/benchmarks.md, tenth pass). (Were a clock to step
        // back, or the node that stored a trace's last span to run behind the one that
        // stored its first, the trace would wait that much longer.)
        let due: String = sqlx::query_scalar(&format!(
            "SELECT {} FROM (SELECT id, project_id, trace_id, version, pending_since \
               FROM traces WHERE version > assembled_version AND claimed_until < $1 \
                AND pending_since <= $5 \
                AND ((has_root = 1 AND last_received_at <= $2) OR pending_since <= $3) \
               ORDER BY pending_since LIMIT $4) AS due",
            self.backend.json_agg(
                &["id", "project_id", "trace_id", "version"],
                "pending_since"
            )
        ))
        .bind(now)
        .bind(now - settle_ms)
        .bind(now - max_wait_ms)
        .bind(limit)
        .bind(now - settle_ms.min(max_wait_ms))
        .fetch_one(&self.pool)
        .await?;
        decode_json(&due, "due traces")
    }

    /// How many traces wait for assembly, and when the first of them was due (Unix ms).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn pending_traces(
        &self,
        settle_ms: i64,
        max_wait_ms: i64,
    ) -> Result<(i64, Option<Millis>)> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), MIN(CASE WHEN has_root = 1 AND last_received_at + $1 < pending_since + $2 \
                                       THEN last_received_at + $1 ELSE pending_since + $2 END) \
             FROM traces WHERE version > assembled_version",
        )
        .bind(settle_ms)
        .bind(max_wait_ms)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Claims traces for `lease_ms` in one statement; returns those this worker won. A trace
    /// is lost when another worker holds it, already assembled it, or it changed since it
    /// was found due. The conditional update is atomic on both back-ends, so one claimer
    /// wins; on PostgreSQL rows another node is claiming are skipped, not waited for.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn claim_traces(
        &self,
        due: &[DueTrace],
        now: Millis,
        lease_ms: i64,
    ) -> Result<Vec<DueTrace>> {
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, i64)> = due.iter().map(|t| (t.key, t.version)).collect();
        let rows = serde_json::to_string(&rows).map_err(encode_error)?;
        let claimable = "FROM batch JOIN traces t ON t.id = CAST(value ->> 0 AS BIGINT) \
              AND t.version = CAST(value ->> 1 AS BIGINT) \
             WHERE t.version > t.assembled_version AND t.claimed_until < $1";
        let mut tx = self.write().await?;
        let won = match self.backend {
            // Which traces can be claimed, as one row (see [`Backend::json_agg`]), then
            // those claimed: nothing else writes between the two, as the transaction holds
            // SQLite's write lock from its start.
            Backend::Sqlite => {
                let won: String = sqlx::query_scalar(&format!(
                    "{}SELECT {} {claimable}",
                    self.backend.json_rows("$2"),
                    self.backend
                        .json_agg(&["t.id", "t.project_id", "t.trace_id", "t.version"], "t.id")
                ))
                .bind(now)
                .bind(&rows)
                .fetch_one(&mut **tx)
                .await?;
                let won: Vec<DueTrace> = decode_json(&won, "claimed traces")?;
                if won.is_empty() {
                    return Ok(Vec::new());
                }
                sqlx::query(&format!(
                    "{}UPDATE traces SET claimed_until = $1, claims = claims + 1 \
                     WHERE id IN (SELECT CAST(value ->> 0 AS BIGINT) FROM batch)",
                    self.backend.json_rows("$2")
                ))
                .bind(now + lease_ms)
                .bind(super::id_rows(won.iter().map(|t| t.key))?)
                .execute(&mut **tx)
                .await?;
                won
            }
            // Rows another node is claiming are skipped instead of waited for.
            Backend::Postgres => {
                sqlx::query_as(&format!(
                    "{}UPDATE traces SET claimed_until = $2, claims = claims + 1 \
                     WHERE id IN (SELECT t.id {claimable} FOR UPDATE OF t SKIP LOCKED) \
                     RETURNING id AS key, project_id, trace_id, version",
                    self.backend.json_rows("$3")
                ))
                .bind(now)
                .bind(now + lease_ms)
                .bind(&rows)
                .fetch_all(&mut **tx)
                .await?
            }
        };
        tx.commit().await?;
        Ok(won)
    }

    /// Saves assemblies in one transaction (one durable commit for the batch), a statement
    /// a table for the whole batch, new occurrences and their groups included; only an
    /// occurrence updated or removed, and an event, take statements of their own (through
    /// sqlx every statement is a round trip to the database's thread: a statement an
    /// occurrence was half of the saves' statements; docs/benchmarks.md, twelfth pass).
    /// Occurrences are keyed by (trace, span), so saving a re-assembled trace updates them
    /// instead of counting them twice; occurrences that no longer exist (a late span moved
    /// the cause deeper) are removed from their group. A trace whose newer assembly was
    /// saved meanwhile is skipped.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn save_assemblies(
        &self,
        items: &[(DueTrace, Assembly)],
        now: Millis,
    ) -> Result<Vec<(i64, Saved)>> {
        let mut tx = self.write().await?;
        let parts: Vec<MapPart> = items.iter().map(|(_, a)| MapPart::of(a)).collect();
        let before = earlier_parts(&mut tx, self.backend, items).await?;
        let marked = mark_assembled(&mut tx, self.backend, items, &parts).await?;
        let mut minutes = MapMinutes::default();
        for ((t, _), part) in items.iter().zip(&parts) {
            if marked.contains(&t.key) {
                minutes.add(t.project_id, part, 1);
                if let Some(earlier) = before.get(&t.key) {
                    minutes.add(t.project_id, earlier, -1);
                }
            }
        }
        let items: Vec<&(DueTrace, Assembly)> = items
            .iter()
            .filter(|(t, _)| marked.contains(&t.key))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        // New occurrences, and the item each belongs to.
        let mut seen = Vec::new();
        let mut seen_in = Vec::new();
        if !items.is_empty() {
            let mut existing = existing_occurrences(&mut tx, self.backend, &items).await?;
            // Each draft updates the occurrence stored for its span, or is new; stored
            // occurrences no draft names are gone.
            let mut news: Vec<(usize, &DueTrace, &OccurrenceDraft)> = Vec::new();
            let mut gone = Vec::new();
            for (i, (t, a)) in items.iter().enumerate() {
                let key = (t.project_id, t.trace_id.clone());
                let stored = existing.remove(&key).unwrap_or_default();
                for d in &a.occurrences {
                    match stored.iter().find(|(_, span, _)| *span == d.span_id) {
                        Some((id, _, error_id)) => {
                            update_occurrence(&mut tx, self.backend, *id, *error_id, d, now).await?
                        }
                        None => news.push((i, t, d)),
                    }
                }
                gone.extend(
                    stored
                        .into_iter()
                        .filter(|(_, span, _)| !a.occurrences.iter().any(|d| d.span_id == *span)),
                );
            }
            let grouped = group(&mut tx, self.backend, &news, now).await?;
            insert_occurrences(&mut tx, self.backend, &news, &grouped, now).await?;
            // After all of the save's new occurrences, not each trace's after its own: a
            // group that loses one trace's occurrence and gains another's in the same save
            // is kept, not deleted and created again as a new error.
            remove_occurrences(&mut tx, &gone).await?;
            // What a rule sees of a group is its count once the save is done: one that gains
            // an occurrence as it loses another counts as before, not one more.
            let mut removed: HashMap<i64, i64> = HashMap::new();
            for (_, _, error_id) in &gone {
                *removed.entry(*error_id).or_default() += 1;
            }
            let mut saved: Vec<Saved> = items.iter().map(|_| Saved::default()).collect();
            for (&(i, t, d), &(error_id, count, regressed_now)) in news.iter().zip(&grouped) {
                let saved = &mut saved[i];
                saved.seen_errors.push(error_id);
                seen.push(Seen {
                    project_id: t.project_id,
                    error_id,
                    service: d.service.clone(),
                    environment: d.summary.deployment_environment(),
                    exception_type: d.exception_type.clone(),
                    count: count - removed.get(&error_id).copied().unwrap_or(0),
                    new: count == 1,
                    regressed: regressed_now,
                    passed_up: d.passed_from.is_some(),
                });
                seen_in.push(i);
                if count == 1 {
                    saved.new_errors.push(error_id);
                } else if regressed_now && !saved.regressed_errors.contains(&error_id) {
                    saved.regressed_errors.push(error_id);
                }
            }
            for ((t, _), saved) in items.iter().zip(saved) {
                for (kind, ids) in [
                    (ERROR_NEW, &saved.new_errors),
                    (ERROR_REGRESSED, &saved.regressed_errors),
                ] {
                    for &id in ids {
                        events::record(&mut tx, t.project_id, kind, id, now).await?;
                    }
                }
                out.push((t.project_id, saved));
            }
        }
        // Last before the commit: every node saving now adds to the same rows of this
        // minute, so they are held locked as briefly as possible.
        minutes.save(&mut tx, self.backend).await?;
        let alerts = alert_outbox::enqueue(&mut tx, &seen, now).await?;
        for (item, n) in seen_in.into_iter().zip(alerts) {
            out[item].1.alerts += n;
        }
        let evented = out
            .iter()
            .any(|(_, s)| !s.new_errors.is_empty() || !s.regressed_errors.is_empty());
        if evented {
            events::announce(&mut tx, self.backend).await?;
        }
        // On SQLite the one node hears it from its assembler instead.
        if self.backend == Backend::Postgres {
            if let Some(activity) = activity_of(&out) {
                events::announce_activity(&mut tx, &activity).await?;
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}

/// Records each trace's assembly on its row, unless a newer one was saved meanwhile; returns
/// the keys of the traces marked.
async fn mark_assembled(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    items: &[(DueTrace, Assembly)],
    parts: &[MapPart],
) -> Result<HashSet<i64>> {
    let rows: Vec<_> = items
        .iter()
        .zip(parts)
        .map(|((t, a), part)| {
            (
                t.key,
                t.version,
                a.span_count,
                a.start_ns,
                a.end_ns,
                &a.root_service,
                &a.root_name,
                a.occurrences.len() as i64,
                &a.truncated,
                part,
            )
        })
        .collect();
    let rows = serde_json::to_string(&rows).map_err(encode_error)?;
    match backend {
        // Those whose stored assembly is older are found first, as one row (see
        // [`Backend::json_agg`]): nothing else writes in the transaction meanwhile.
        Backend::Sqlite => {
            let versions: Vec<(i64, i64)> = items.iter().map(|(t, _)| (t.key, t.version)).collect();
            let marked: String = sqlx::query_scalar(&format!(
                "{}SELECT {} FROM batch JOIN traces t ON t.id = CAST(value ->> 0 AS BIGINT) \
                 WHERE t.assembled_version < CAST(value ->> 1 AS BIGINT)",
                backend.json_rows("$1"),
                backend.json_agg(&["t.id"], "t.id")
            ))
            .bind(serde_json::to_string(&versions).map_err(encode_error)?)
            .fetch_one(&mut **tx)
            .await?;
            let marked: Vec<[i64; 1]> = decode_json(&marked, "traces to mark assembled")?;
            update_assembled(tx, backend, &rows, "").await?;
            Ok(marked.into_iter().map(|[id]| id).collect())
        }
        Backend::Postgres => Ok(update_assembled(tx, backend, &rows, " RETURNING traces.id")
            .await?
            .into_iter()
            .collect()),
    }
}

/// Records the assemblies of `rows` (see [`mark_assembled`]) on the traces' rows whose
/// stored assembly is older; the ids of those rows when `returning` asks for them.
async fn update_assembled(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    rows: &str,
    returning: &str,
) -> Result<Vec<i64>> {
    let sql = format!(
        "{}UPDATE traces SET assembled_version = a.version, claimed_until = 0, \
            span_count = a.span_count, start_ns = a.start_ns, end_ns = a.end_ns, \
            root_service = a.root_service, root_name = a.root_name, \
            error_count = a.error_count, truncated = a.truncated, map_part = a.map_part \
         FROM (SELECT CAST(value ->> 0 AS BIGINT) AS id, \
                      CAST(value ->> 1 AS BIGINT) AS version, \
                      CAST(value ->> 2 AS BIGINT) AS span_count, \
                      CAST(value ->> 3 AS BIGINT) AS start_ns, \
                      CAST(value ->> 4 AS BIGINT) AS end_ns, \
                      value ->> 5 AS root_service, value ->> 6 AS root_name, \
                      CAST(value ->> 7 AS BIGINT) AS error_count, value ->> 8 AS truncated, \
                      value -> 9 AS map_part \
               FROM batch) AS a \
         WHERE traces.id = a.id AND traces.assembled_version < a.version{returning}",
        backend.json_rows("$1")
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(rows)
        .fetch_all(&mut **tx)
        .await?)
}

/// `[project, trace]` of each trace, as JSON rows.
fn project_traces<'a>(traces: impl IntoIterator<Item = &'a DueTrace>) -> Result<String> {
    let keys: Vec<(i64, &str)> = traces
        .into_iter()
        .map(|t| (t.project_id, t.trace_id.as_str()))
        .collect();
    serde_json::to_string(&keys).map_err(encode_error)
}

/// Calls by duration: (duration bin, calls, errors); see [`crate::model::duration_bin`].
type DurationBins = Vec<(i64, i64, i64)>;

/// A minute's calls on one edge, in one duration bin: (project, bucket, caller, callee, bin).
type CallsKey = (i64, i64, String, String, i64);

/// A trace's part of the service map, as kept on its row (`map_part`): what saving its
/// assembly added to the minute sums, so that saving a later assembly can take it away.
#[derive(Default, Deserialize, Serialize)]
struct MapPart {
    /// The minute the trace started in.
    #[serde(rename = "b")]
    bucket: i64,
    /// (caller, callee, calls, errors, [(duration bin, calls, errors)])
    #[serde(rename = "e")]
    edges: Vec<(String, String, i64, i64, DurationBins)>,
    /// (service, spans, requests, errors)
    #[serde(rename = "s")]
    services: Vec<(String, i64, i64, i64)>,
}

impl MapPart {
    fn of(a: &Assembly) -> MapPart {
        MapPart {
            bucket: (a.start_ns / 1_000_000).div_euclid(BUCKET_MS) * BUCKET_MS,
            edges: a
                .edges
                .iter()
                .map(|e| {
                    let (caller, callee) = (e.caller.clone(), e.callee.clone());
                    (caller, callee, e.calls, e.errors, e.durations.clone())
                })
                .collect(),
            services: a
                .services
                .iter()
                .map(|s| (s.service.clone(), s.spans, s.requests, s.errors))
                .collect(),
        }
    }
}

/// Changes to the service map's minute sums, in key order (so that PostgreSQL nodes saving
/// at once lock the rows they share in one order).
#[derive(Default)]
struct MapMinutes {
    /// -> (calls, errors)
    calls: BTreeMap<CallsKey, (i64, i64)>,
    /// (project, bucket, service) -> (spans, requests, errors)
    services: BTreeMap<(i64, i64, String), (i64, i64, i64)>,
}

impl MapMinutes {
    /// Adds `part` of a trace of `project` to the sums `sign` times (-1: takes it away).
    fn add(&mut self, project: i64, part: &MapPart, sign: i64) {
        for (caller, callee, calls, errors, durations) in &part.edges {
            let mut row = |bin: i64, c: i64, e: i64| {
                let key = (project, part.bucket, caller.clone(), callee.clone(), bin);
                let sum = self.calls.entry(key).or_default();
                sum.0 += sign * c;
                sum.1 += sign * e;
            };
            for &(bin, c, e) in durations {
                row(bin, c, e);
            }
            // Calls whose duration was not kept (stored before durations were binned).
            let binned = durations.iter().fold((0, 0), |s, d| (s.0 + d.1, s.1 + d.2));
            if (*calls, *errors) != binned {
                row(-1, calls - binned.0, errors - binned.1);
            }
        }
        for (service, spans, requests, errors) in &part.services {
            let key = (project, part.bucket, service.clone());
            let sum = self.services.entry(key).or_default();
            sum.0 += sign * spans;
            sum.1 += sign * requests;
            sum.2 += sign * errors;
        }
    }

    /// Adds the changes to the stored sums, a statement a table for the whole batch.
    async fn save(self, tx: &mut Transaction<'_, Any>, backend: Backend) -> Result<()> {
        let calls: Vec<_> = self
            .calls
            .into_iter()
            .filter(|(_, sum)| *sum != (0, 0))
            .map(|((p, b, caller, callee, bin), (c, e))| (p, b, caller, callee, bin, c, e))
            .collect();
        if !calls.is_empty() {
            // (`WHERE true`: SQLite reads `ON` after a bare `FROM batch` as a join.)
            sqlx::query(&format!(
                "{}INSERT INTO map_calls (project_id, bucket, caller, callee, duration_us, calls, \
                                        errors) \
                 SELECT CAST(value ->> 0 AS BIGINT), CAST(value ->> 1 AS BIGINT), value ->> 2, \
                        value ->> 3, CAST(value ->> 4 AS BIGINT), CAST(value ->> 5 AS BIGINT), \
                        CAST(value ->> 6 AS BIGINT) FROM batch WHERE true \
                 ON CONFLICT (project_id, bucket, caller, callee, duration_us) DO UPDATE SET \
                   calls = map_calls.calls + excluded.calls, \
                   errors = map_calls.errors + excluded.errors",
                backend.json_rows("$1")
            ))
            .bind(serde_json::to_string(&calls).map_err(encode_error)?)
            .execute(&mut **tx)
            .await?;
        }
        let services: Vec<_> = self
            .services
            .into_iter()
            .filter(|(_, sum)| *sum != (0, 0, 0))
            .map(|((p, b, service), (s, r, e))| (p, b, service, s, r, e))
            .collect();
        if !services.is_empty() {
            sqlx::query(&format!(
                "{}INSERT INTO map_services (project_id, bucket, service, spans, requests, errors) \
                 SELECT CAST(value ->> 0 AS BIGINT), CAST(value ->> 1 AS BIGINT), value ->> 2, \
                        CAST(value ->> 3 AS BIGINT), CAST(value ->> 4 AS BIGINT), \
                        CAST(value ->> 5 AS BIGINT) FROM batch WHERE true \
                 ON CONFLICT (project_id, bucket, service) DO UPDATE SET \
                   spans = map_services.spans + excluded.spans, \
                   requests = map_services.requests + excluded.requests, \
                   errors = map_services.errors + excluded.errors",
                backend.json_rows("$1")
            ))
            .bind(serde_json::to_string(&services).map_err(encode_error)?)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// The parts of the service map that earlier assemblies of the items' traces added, by
/// trace, as stored now (not as claimed: a save whose lease ran out may have landed since);
/// on PostgreSQL their rows stay locked until the save commits, so that no other node's
/// save replaces a part between this read and this save.
async fn earlier_parts(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    items: &[(DueTrace, Assembly)],
) -> Result<HashMap<i64, MapPart>> {
    let lock = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE OF t",
    };
    let rows: Vec<(i64, String, String)> = sqlx::query_as(&format!(
        "{}SELECT t.id, t.trace_id, {} FROM batch \
         JOIN traces t ON t.id = CAST(value ->> 0 AS BIGINT) \
         WHERE t.map_part IS NOT NULL{lock}",
        backend.json_rows("$1"),
        backend.json_column("t.map_part")
    ))
    .bind(super::id_rows(items.iter().map(|(t, _)| t.key))?)
    .fetch_all(&mut **tx)
    .await?;
    // A part that cannot be read is not taken away (the map keeps counting it) rather than
    // keeping the trace from being saved.
    Ok(rows
        .into_iter()
        .filter_map(|(key, t, part)| {
            decode_json(&part, format_args!("trace {t}'s part of the service map"))
                .inspect_err(|e| tracing::warn!(error = %e, "service map part skipped"))
                .ok()
                .map(|part| (key, part))
        })
        .collect())
}

/// An occurrence already stored: id, span, error group.
type Existing = (i64, String, i64);

/// The stored occurrences of the traces, by trace.
async fn existing_occurrences(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    items: &[&(DueTrace, Assembly)],
) -> Result<HashMap<(i64, String), Vec<Existing>>> {
    let rows: Vec<(i64, String, i64, String, i64)> = sqlx::query_as(&format!(
        "{}SELECT o.project_id, o.trace_id, o.id, o.span_id, o.error_id FROM batch \
         JOIN occurrences o ON o.project_id = CAST(value ->> 0 AS BIGINT) \
          AND o.trace_id = value ->> 1",
        backend.json_rows("$1")
    ))
    .bind(project_traces(items.iter().map(|(t, _)| t))?)
    .fetch_all(&mut **tx)
    .await?;
    let mut by_trace: HashMap<(i64, String), Vec<Existing>> = HashMap::new();
    for (project, trace, id, span, error) in rows {
        by_trace
            .entry((project, trace))
            .or_default()
            .push((id, span, error));
    }
    Ok(by_trace)
}

/// Adds the new occurrences to their error groups (creating a group on first sight), one
/// statement for all of them. A resolved group re-opens and is marked as a regression.
/// Returns, for each occurrence in turn: its group, the group's count with it, and whether
/// the group regressed now. The groups are written in key order, so PostgreSQL nodes saving
/// at once lock the rows they share in one order.
async fn group(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    news: &[(usize, &DueTrace, &OccurrenceDraft)],
    now: Millis,
) -> Result<Vec<(i64, i64, bool)>> {
    if news.is_empty() {
        return Ok(Vec::new());
    }
    /// A group's new occurrences: the first names what a new group is created with, the
    /// latest (the last of the latest) its message and where it was passed from. Once
    /// written, `handed` is the group's id, its count before these occurrences (counted up
    /// as they are handed out), and whether it regressed now.
    struct Adding<'a> {
        first: &'a OccurrenceDraft,
        latest: &'a OccurrenceDraft,
        first_seen: i64,
        count: i64,
        handed: Option<(i64, i64, bool)>,
    }
    let mut adding: BTreeMap<(i64, &str), Adding> = BTreeMap::new();
    for &(_, t, d) in news {
        adding
            .entry((t.project_id, d.fingerprint.as_str()))
            .and_modify(|a| {
                a.count += 1;
                a.first_seen = a.first_seen.min(d.occurred_at);
                if d.occurred_at >= a.latest.occurred_at {
                    a.latest = d;
                }
            })
            .or_insert(Adding {
                first: d,
                latest: d,
                first_seen: d.occurred_at,
                count: 1,
                handed: None,
            });
    }
    let rows: Vec<_> = adding
        .iter()
        .map(|(&(project, fingerprint), a)| {
            (
                project,
                fingerprint,
                &a.first.service,
                &a.first.exception_type,
                &a.latest.message,
                &a.first.operation,
                a.first_seen,
                a.latest.occurred_at,
                a.count,
                &a.latest.passed_from,
            )
        })
        .collect();
    let mut groups: Vec<(i64, i64, String, i64, Option<i64>)> = sqlx::query_as(&format!(
        "{}INSERT INTO errors (project_id, fingerprint, service, exception_type, message, \
                             operation, first_seen, last_seen, occurrence_count, passed_from) \
         SELECT CAST(value ->> 0 AS BIGINT), value ->> 1, value ->> 2, value ->> 3, value ->> 4, \
                value ->> 5, CAST(value ->> 6 AS BIGINT), CAST(value ->> 7 AS BIGINT), \
                CAST(value ->> 8 AS BIGINT), value ->> 9 FROM batch WHERE true \
         ON CONFLICT (project_id, fingerprint) DO UPDATE SET \
           occurrence_count = errors.occurrence_count + excluded.occurrence_count, \
           message = CASE WHEN excluded.last_seen >= errors.last_seen \
                     THEN excluded.message ELSE errors.message END, \
           passed_from = CASE WHEN excluded.last_seen >= errors.last_seen \
                         THEN excluded.passed_from ELSE errors.passed_from END, \
           last_seen = CASE WHEN excluded.last_seen > errors.last_seen \
                       THEN excluded.last_seen ELSE errors.last_seen END, \
           first_seen = CASE WHEN excluded.first_seen < errors.first_seen \
                        THEN excluded.first_seen ELSE errors.first_seen END, \
           regressed = CASE WHEN errors.status = 'resolved' THEN 1 ELSE errors.regressed END, \
           regressed_at = CASE WHEN errors.status = 'resolved' THEN $2 ELSE errors.regressed_at END, \
           status_changed_at = CASE WHEN errors.status = 'resolved' \
                               THEN $2 ELSE errors.status_changed_at END, \
           status = CASE WHEN errors.status = 'resolved' THEN 'unresolved' ELSE errors.status END \
         RETURNING id, project_id, fingerprint, occurrence_count, regressed_at",
        backend.json_rows("$1")
    ))
    .bind(serde_json::to_string(&rows).map_err(encode_error)?)
    .bind(now)
    .fetch_all(&mut **tx)
    .await?;
    // In the groups' key order, each answer beside the group it is for (an answer missing
    // leaves the groups after it unpaired, and their occurrences fail below).
    groups.sort_unstable_by(|a, b| (a.1, &a.2).cmp(&(b.1, &b.2)));
    for ((&key, a), (id, project, fingerprint, count, regressed_at)) in
        adding.iter_mut().zip(groups)
    {
        if key == (project, fingerprint.as_str()) {
            a.handed = Some((id, count - a.count, regressed_at == Some(now)));
        }
    }
    news.iter()
        .map(|&(_, t, d)| {
            let handed = adding
                .get_mut(&(t.project_id, d.fingerprint.as_str()))
                .and_then(|a| a.handed.as_mut());
            let (id, count, regressed) = handed.ok_or_else(|| {
                super::StoreError::Corrupt(format!(
                    "error group {} of project {} was not returned by its upsert",
                    d.fingerprint, t.project_id
                ))
            })?;
            *count += 1;
            Ok((*id, *count, *regressed))
        })
        .collect()
}

/// Stores the new occurrences, each in the group [`group`] gave it, in one statement.
async fn insert_occurrences(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    news: &[(usize, &DueTrace, &OccurrenceDraft)],
    grouped: &[(i64, i64, bool)],
    now: Millis,
) -> Result<()> {
    if news.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = news
        .iter()
        .zip(grouped)
        .map(|(&(_, t, d), &(error_id, _, _))| {
            (
                error_id,
                t.project_id,
                &t.trace_id,
                &d.span_id,
                d.occurred_at,
                &d.summary,
                &d.log,
                serde_json::to_string(&d.path).unwrap_or_default(),
                d.summary.deployment_environment(),
                d.summary.release(),
            )
        })
        .collect();
    sqlx::query(&format!(
        "{}INSERT INTO occurrences (error_id, project_id, trace_id, span_id, occurred_at, \
                                  summary, log, path, created_at, updated_at, environment, \
                                  release) \
         SELECT CAST(value ->> 0 AS BIGINT), CAST(value ->> 1 AS BIGINT), value ->> 2, \
                value ->> 3, CAST(value ->> 4 AS BIGINT), value -> 5, value -> 6, value ->> 7, \
                $2, $2, value ->> 8, value ->> 9 FROM batch",
        backend.json_rows("$1")
    ))
    .bind(serde_json::to_string(&rows).map_err(encode_error)?)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Removes occurrences that a newer assembly of their trace no longer has (a late span
/// moved the cause deeper) from their groups; a group left empty goes too.
async fn remove_occurrences(tx: &mut Transaction<'_, Any>, gone: &[Existing]) -> Result<()> {
    for (id, _, error_id) in gone {
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
    Ok(())
}

/// Updates an occurrence from a newer assembly of its trace (late spans arrived), and its
/// group's `passed_from` when it is the group's latest occurrence.
async fn update_occurrence(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    id: i64,
    error_id: i64,
    d: &OccurrenceDraft,
    now: Millis,
) -> Result<()> {
    let sql = format!(
        "UPDATE occurrences SET summary = {}, log = {}, path = $3, occurred_at = $4, \
         updated_at = $5, environment = $7, release = $8 WHERE id = $6",
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
        .bind(d.summary.deployment_environment())
        .bind(d.summary.release())
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE errors SET passed_from = $1 WHERE id = $2 AND last_seen <= $3")
        .bind(&d.passed_from)
        .bind(error_id)
        .bind(d.occurred_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
