//! The alert outbox. Assembly tests new occurrences against the project's rules in the
//! transaction that saves them and writes an outbox row per alert and channel there, so an
//! alert exists exactly when its cause was committed. Senders claim due rows with a lease
//! (on PostgreSQL skipping rows another node holds, so each alert is sent by one node), and
//! record each attempt; the rows are the delivery history.

use std::collections::{HashMap, HashSet};

use sqlx::{Any, FromRow, Transaction};

use super::alerts::rules_of;
use super::params::Params;
use super::{Backend, Result, Store};
use crate::model::{Millis, RuleSpec, Seen, Trigger};

/// An outbox row as a sender works with it.
#[derive(Clone, Debug, FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub project_id: i64,
    pub rule_id: Option<i64>,
    pub rule_name: String,
    pub channel_id: Option<i64>,
    pub channel_name: String,
    pub error_id: Option<i64>,
    pub fires_on: String,
    pub detail: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub delivery_id: Option<String>,
    pub response_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const COLUMNS: &str = "id, project_id, rule_id, rule_name, channel_id, channel_name, error_id, \
     fires_on, detail, status, attempts, next_attempt_at, delivery_id, response_code, last_error, \
     created_at, sent_at";

/// How an attempt ended.
pub enum Attempt<'a> {
    Sent {
        code: Option<i64>,
    },
    /// Failed; tried again at `retry_at`, or given up when `None`.
    Failed {
        code: Option<i64>,
        error: &'a str,
        retry_at: Option<Millis>,
    },
}

/// Tests `seen` (occurrences saved in `tx`) against their projects' rules and writes the
/// alerts that fire to the outbox; returns how many rows it wrote for each of `seen`.
pub(super) async fn enqueue(
    tx: &mut Transaction<'_, Any>,
    seen: &[Seen],
    now: Millis,
) -> Result<Vec<usize>> {
    let mut written = vec![0; seen.len()];
    if seen.is_empty() {
        return Ok(written);
    }
    let mut projects: Vec<i64> = seen.iter().map(|s| s.project_id).collect();
    projects.sort_unstable();
    projects.dedup();
    let rules = rules_of(tx, &projects).await?;
    if rules.is_empty() {
        return Ok(written);
    }
    let names = channel_names(tx, &projects).await?;
    // Errors that became unresolved in this batch: none of them kept its service green.
    let opened: Vec<i64> = seen
        .iter()
        .filter(|s| s.new || s.regressed)
        .map(|s| s.error_id)
        .collect();
    let mut reddened: HashSet<(i64, i64, String)> = HashSet::new();
    // A rule decides once per error and batch, however often the error occurred in it.
    let mut decided: HashSet<(i64, i64)> = HashSet::new();
    let mut order: Vec<(usize, &Seen)> = seen.iter().enumerate().collect();
    // One lock order for throttle rows, so two nodes never wait on each other in a circle.
    order.sort_by_key(|(_, s)| s.error_id);
    for (i, s) in order {
        for rule in rules.iter().map(|r| &r.spec) {
            if !rule.applies(s, now) || !decided.insert((rule.id, s.error_id)) {
                continue;
            }
            if throttled(tx, rule, s.error_id, now).await? {
                continue;
            }
            let Some(detail) = fires(tx, rule, s, &opened, &mut reddened, now).await? else {
                continue;
            };
            if !throttle(tx, rule, s.error_id, now).await? {
                continue;
            }
            for channel in &rule.channel_ids {
                let name = names.get(channel).map(String::as_str).unwrap_or_default();
                insert(tx, rule, *channel, name, s, &detail, now).await?;
                written[i] += 1;
            }
        }
    }
    Ok(written)
}

/// What the rule's trigger saw, when it fires for `s` beyond what [`RuleSpec::applies`]
/// decides: a spike's count in its window, a service's first unresolved error.
async fn fires(
    tx: &mut Transaction<'_, Any>,
    rule: &RuleSpec,
    s: &Seen,
    opened: &[i64],
    reddened: &mut HashSet<(i64, i64, String)>,
    now: Millis,
) -> Result<Option<serde_json::Value>> {
    Ok(match rule.trigger {
        Trigger::Spike => {
            let since = now.saturating_sub(rule.spike_minutes.saturating_mul(60_000));
            // Counted up to the threshold only: a hot error's window can hold many rows.
            let count: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM (SELECT 1 FROM occurrences \
                 WHERE error_id = $1 AND occurred_at >= $2 LIMIT $3) AS w",
            )
            .bind(s.error_id)
            .bind(since)
            .bind(rule.spike_count)
            .fetch_one(&mut **tx)
            .await?;
            (count >= rule.spike_count)
                .then(|| serde_json::json!({"count": count, "minutes": rule.spike_minutes}))
        }
        Trigger::ServiceRed => {
            if !reddened.insert((rule.id, s.project_id, s.service.clone())) {
                return Ok(None);
            }
            let mut p = Params::default();
            let sql = format!(
                "SELECT COUNT(*) FROM errors WHERE project_id = {} AND service = {} \
                 AND status = 'unresolved' AND passed_from IS NULL AND id NOT IN ({})",
                p.int(s.project_id),
                p.text(s.service.as_str()),
                p.ints(opened)
            );
            let others: i64 = sqlx::query_scalar_with(&sql, p.into_args())
                .fetch_one(&mut **tx)
                .await?;
            (others == 0).then(|| serde_json::json!({"service": s.service}))
        }
        _ => Some(serde_json::json!({})),
    })
}

/// Whether `rule` alerted of `error` within its interval: read before the work a trigger
/// needs, which [`throttle`] then settles atomically.
async fn throttled(
    tx: &mut Transaction<'_, Any>,
    rule: &RuleSpec,
    error: i64,
    now: Millis,
) -> Result<bool> {
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT last_alerted_at FROM alert_throttle WHERE rule_id = $1 AND error_id = $2",
    )
    .bind(rule.id)
    .bind(error)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(last.is_some_and(|t| t > now.saturating_sub(rule.interval_ms())))
}

/// Storm control: whether `rule` may alert of `error` now (at most once per interval), and
/// if so, that it did. The conditional upsert is atomic on both back-ends; on PostgreSQL a
/// second node's upsert waits for the first and then sees its time.
async fn throttle(
    tx: &mut Transaction<'_, Any>,
    rule: &RuleSpec,
    error: i64,
    now: Millis,
) -> Result<bool> {
    let won: Option<i64> = sqlx::query_scalar(
        "INSERT INTO alert_throttle (rule_id, error_id, last_alerted_at) VALUES ($1, $2, $3) \
         ON CONFLICT (rule_id, error_id) DO UPDATE SET last_alerted_at = excluded.last_alerted_at \
         WHERE alert_throttle.last_alerted_at <= $4 RETURNING rule_id",
    )
    .bind(rule.id)
    .bind(error)
    .bind(now)
    .bind(now.saturating_sub(rule.interval_ms()))
    .fetch_optional(&mut **tx)
    .await?;
    Ok(won.is_some())
}

async fn channel_names(
    tx: &mut Transaction<'_, Any>,
    projects: &[i64],
) -> Result<HashMap<i64, String>> {
    let mut p = Params::default();
    let sql = format!(
        "SELECT id, name FROM alert_channels WHERE project_id IN ({})",
        p.ints(projects)
    );
    let rows: Vec<(i64, String)> = sqlx::query_as_with(&sql, p.into_args())
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.into_iter().collect())
}

async fn insert(
    tx: &mut Transaction<'_, Any>,
    rule: &RuleSpec,
    channel: i64,
    channel_name: &str,
    s: &Seen,
    detail: &serde_json::Value,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO alert_deliveries (project_id, rule_id, rule_name, channel_id, channel_name, \
           error_id, fires_on, detail, status, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9)",
    )
    .bind(s.project_id)
    .bind(rule.id)
    .bind(&rule.name)
    .bind(channel)
    .bind(channel_name)
    .bind(s.error_id)
    .bind(rule.trigger.as_str())
    .bind(detail.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `UPDATE … SET {set}` of the rows of `ids` that `claim` holds, in one statement; `p` holds
/// the parameters `set` uses.
async fn update_claimed(
    tx: &mut Transaction<'_, Any>,
    claim: &str,
    ids: &[i64],
    set: &str,
    mut p: Params,
) -> Result<()> {
    let sql = format!(
        "UPDATE alert_deliveries SET {set} WHERE claim = {} AND id IN ({})",
        p.text(claim),
        p.ints(ids)
    );
    sqlx::query_with(&sql, p.into_args())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Claims the due alerts of up to `channels` channels for `lease_ms` under `claim`, and
    /// counts the attempt. An alert is due when its retry time came and it is not claimed; a
    /// first attempt also waits until its channel's digest window (`digest_ms` since the
    /// channel's last message) has passed, so what arrives meanwhile goes out as one digest.
    /// A channel's due alerts are claimed together (on PostgreSQL the channel row is locked
    /// while claiming, and channels another node is claiming are skipped), so a message is
    /// never split between claims. Oldest first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn claim_alerts(
        &self,
        claim: &str,
        now: Millis,
        lease_ms: i64,
        digest_ms: i64,
        channels: i64,
    ) -> Result<Vec<DeliveryRow>> {
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let mut tx = self.write().await?;
        let picked: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT c.id FROM alert_channels c WHERE EXISTS (SELECT 1 FROM alert_deliveries d \
               WHERE d.channel_id = c.id AND d.status = 'pending' AND d.next_attempt_at <= $1 \
                 AND d.claimed_until < $1 \
                 AND (d.delivery_id IS NOT NULL OR c.last_sent_at <= $2)) \
             ORDER BY c.id LIMIT $3{lock}"
        ))
        .bind(now)
        .bind(now - digest_ms)
        .bind(channels)
        .fetch_all(&mut **tx)
        .await?;
        if picked.is_empty() {
            return Ok(Vec::new());
        }
        let mut p = Params::default();
        let sql = format!(
            "UPDATE alert_deliveries SET claimed_until = {lease}, claim = {claim}, \
               attempts = attempts + 1 \
             WHERE id IN (SELECT d.id FROM alert_deliveries d \
               JOIN alert_channels c ON c.id = d.channel_id \
               WHERE d.status = 'pending' AND d.next_attempt_at <= {now} \
                 AND d.claimed_until < {now} AND c.id IN ({channels}) \
                 AND (d.delivery_id IS NOT NULL OR c.last_sent_at <= {gap})) \
             RETURNING {COLUMNS}",
            now = p.int(now),
            gap = p.int(now - digest_ms),
            lease = p.int(now + lease_ms),
            claim = p.text(claim),
            channels = p.ints(&picked),
        );
        let mut rows: Vec<DeliveryRow> = sqlx::query_as_with(&sql, p.into_args())
            .fetch_all(&mut **tx)
            .await?;
        tx.commit().await?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Hands alerts back unsent (the round ran out of time): due again at once, the attempt
    /// not counted.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn release_alerts(&self, claim: &str, ids: &[i64]) -> Result<()> {
        let mut tx = self.write().await?;
        let set = "claimed_until = 0, claim = NULL, attempts = attempts - 1";
        update_claimed(&mut tx, claim, ids, set, Params::default()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives alerts that are about to be sent as one message its delivery id (kept by those
    /// that already have one); only while `claim` holds them.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_delivery_id(&self, claim: &str, ids: &[i64], delivery_id: &str) -> Result<()> {
        let mut p = Params::default();
        let set = format!(
            "delivery_id = COALESCE(delivery_id, {})",
            p.text(delivery_id)
        );
        let mut tx = self.write().await?;
        update_claimed(&mut tx, claim, ids, &set, p).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an attempt at sending alerts `ids` (one message) to `channel`, for the rows
    /// `claim` still holds (a claim whose lease ran out and was taken over records nothing).
    /// Alerts whose channel was deleted meanwhile end as failed.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn finish_alerts(
        &self,
        claim: &str,
        channel: i64,
        ids: &[i64],
        attempt: Attempt<'_>,
        now: Millis,
    ) -> Result<()> {
        let (status, code, error, next) = match &attempt {
            Attempt::Sent { code } => ("sent", *code, None, now),
            Attempt::Failed {
                code,
                error,
                retry_at,
            } => (
                if retry_at.is_some() {
                    "pending"
                } else {
                    "failed"
                },
                *code,
                Some(error.to_string()),
                retry_at.unwrap_or(now),
            ),
        };
        let mut p = Params::default();
        let set = format!(
            "status = CASE WHEN channel_id IS NULL AND {status} = 'pending' THEN 'failed' \
                      ELSE {status} END, \
             sent_at = {sent_at}, next_attempt_at = {next}, response_code = {code}, \
             last_error = {error}, claimed_until = 0",
            status = p.text(status),
            sent_at = p.value((status == "sent").then_some(now)),
            next = p.int(next),
            code = p.value(code),
            error = p.value(error),
        );
        let mut tx = self.write().await?;
        update_claimed(&mut tx, claim, ids, &set, p).await?;
        if status == "sent" {
            sqlx::query("UPDATE alert_channels SET last_sent_at = $1 WHERE id = $2")
                .bind(now)
                .bind(channel)
                .execute(&mut **tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a test alert sent from Settings, in the history with the real ones.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn record_test_alert(
        &self,
        project: i64,
        channel: (i64, &str),
        delivery_id: &str,
        attempt: Attempt<'_>,
        now: Millis,
    ) -> Result<()> {
        let (status, code, error) = match attempt {
            Attempt::Sent { code } => ("sent", code, None),
            Attempt::Failed { code, error, .. } => ("failed", code, Some(error.to_string())),
        };
        sqlx::query(
            "INSERT INTO alert_deliveries (project_id, rule_name, channel_id, channel_name, \
               fires_on, detail, status, attempts, next_attempt_at, delivery_id, response_code, \
               last_error, created_at, sent_at) \
             VALUES ($1, '', $2, $3, 'test', '{}', $4, 1, $5, $6, $7, $8, $5, $9)",
        )
        .bind(project)
        .bind(channel.0)
        .bind(channel.1)
        .bind(status)
        .bind(now)
        .bind(delivery_id)
        .bind(code)
        .bind(error)
        .bind((status == "sent").then_some(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The project's delivery history (of one error when given), newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn alert_deliveries(
        &self,
        project: i64,
        error: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>> {
        let by_error = match error {
            Some(e) => format!(" AND error_id = {e}"),
            None => String::new(),
        };
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM alert_deliveries WHERE project_id = $1{by_error} \
             ORDER BY id DESC LIMIT $2"
        ))
        .bind(project)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
