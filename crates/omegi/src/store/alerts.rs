//! Alert channels and rules of a project, as owners edit them. The outbox they feed is in
//! `alert_outbox`.

use std::collections::HashMap;

use sqlx::{AnyConnection, FromRow};

use super::params::Params;
use super::{found, stored, touched, Result, Store, StoreError};
use crate::model::{type_glob, ChannelKind, Millis, RuleFilter, RuleSpec, Trigger};

/// A channel as stored, secret included; the API decides what a caller sees of it.
#[derive(Clone, Debug, FromRow)]
pub struct ChannelRow {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub kind: String,
    pub target: String,
    pub secret: Option<String>,
    pub created_at: i64,
}

impl ChannelRow {
    pub fn kind(&self) -> Result<ChannelKind> {
        stored(ChannelKind::parse(&self.kind), "channel kind", &self.kind)
    }
}

/// A new channel.
pub struct NewChannel<'a> {
    pub name: &'a str,
    pub kind: ChannelKind,
    pub target: &'a str,
    pub secret: Option<&'a str>,
}

/// A rule's settings, as created or replaced.
pub struct RuleInput {
    pub name: String,
    pub trigger: Trigger,
    pub spike_count: Option<i64>,
    pub spike_minutes: Option<i64>,
    pub filter: RuleFilter,
    pub interval_minutes: i64,
    pub muted_until: Option<Millis>,
    pub channel_ids: Vec<i64>,
}

/// A rule as stored, with its channels.
#[derive(Clone, Debug)]
pub struct RuleRecord {
    pub spec: RuleSpec,
    pub spike_count: Option<i64>,
    pub spike_minutes: Option<i64>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(FromRow)]
struct RuleRow {
    id: i64,
    project_id: i64,
    name: String,
    fires_on: String,
    spike_count: Option<i64>,
    spike_minutes: Option<i64>,
    service: Option<String>,
    environment: Option<String>,
    exception_type: Option<String>,
    min_count: i64,
    interval_minutes: i64,
    muted_until: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

const CHANNEL_COLUMNS: &str = "id, project_id, name, kind, target, secret, created_at";
const RULE_COLUMNS: &str = "id, project_id, name, fires_on, spike_count, spike_minutes, service, \
     environment, exception_type, min_count, interval_minutes, muted_until, created_at, updated_at";

impl Store {
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn create_channel(
        &self,
        project: i64,
        c: &NewChannel<'_>,
        by: i64,
        now: Millis,
    ) -> Result<ChannelRow> {
        Ok(sqlx::query_as(&format!(
            "INSERT INTO alert_channels (project_id, name, kind, target, secret, created_by, \
                                         created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {CHANNEL_COLUMNS}"
        ))
        .bind(project)
        .bind(c.name)
        .bind(c.kind.as_str())
        .bind(c.target)
        .bind(c.secret)
        .bind(by)
        .bind(now)
        .fetch_one(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn channels(&self, project: i64) -> Result<Vec<ChannelRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CHANNEL_COLUMNS} FROM alert_channels WHERE project_id = $1 ORDER BY id"
        ))
        .bind(project)
        .fetch_all(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project, id = ?id))]
    pub async fn channel(&self, project: i64, id: i64) -> Result<ChannelRow> {
        found(
            sqlx::query_as(&format!(
                "SELECT {CHANNEL_COLUMNS} FROM alert_channels WHERE project_id = $1 AND id = $2"
            ))
            .bind(project)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?,
        )
    }

    /// Deletes a channel; its alerts still waiting are marked failed, its history stays.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project, id = ?id))]
    pub async fn delete_channel(&self, project: i64, id: i64) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE alert_deliveries SET status = 'failed', last_error = 'the channel was deleted' \
             WHERE channel_id = $1 AND status = 'pending'",
        )
        .bind(id)
        .execute(&mut **tx)
        .await?;
        touched(
            sqlx::query("DELETE FROM alert_channels WHERE project_id = $1 AND id = $2")
                .bind(project)
                .bind(id)
                .execute(&mut **tx)
                .await?,
        )?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a rule, or replaces rule `id`'s settings; `NotFound` when `id` is not one of
    /// the project's rules or a channel is not one of its channels.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn save_rule(
        &self,
        project: i64,
        id: Option<i64>,
        r: &RuleInput,
        by: i64,
        now: Millis,
    ) -> Result<RuleRecord> {
        let mut tx = self.write().await?;
        let known: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM alert_channels WHERE project_id = $1")
                .bind(project)
                .fetch_all(&mut **tx)
                .await?;
        if r.channel_ids.iter().any(|c| !known.contains(c)) {
            return Err(StoreError::NotFound);
        }
        let mut p = Params::default();
        let settings = [
            ("name", p.text(r.name.as_str())),
            ("fires_on", p.text(r.trigger.as_str())),
            ("spike_count", p.value(r.spike_count)),
            ("spike_minutes", p.value(r.spike_minutes)),
            ("service", p.value(r.filter.service.clone())),
            ("environment", p.value(r.filter.environment.clone())),
            ("exception_type", p.value(r.filter.exception_type.clone())),
            ("min_count", p.int(r.filter.min_count)),
            ("interval_minutes", p.int(r.interval_minutes)),
            ("muted_until", p.value(r.muted_until)),
            ("updated_at", p.int(now)),
        ];
        let sql = match id {
            None => {
                let (columns, values): (Vec<&str>, Vec<String>) = settings.into_iter().unzip();
                format!(
                    "INSERT INTO alert_rules (project_id, created_by, created_at, {}) \
                     VALUES ({}, {}, {}, {}) RETURNING {RULE_COLUMNS}",
                    columns.join(", "),
                    p.int(project),
                    p.int(by),
                    p.int(now),
                    values.join(", ")
                )
            }
            Some(id) => {
                let set: Vec<String> = settings.iter().map(|(c, v)| format!("{c} = {v}")).collect();
                format!(
                    "UPDATE alert_rules SET {} WHERE project_id = {} AND id = {} \
                     RETURNING {RULE_COLUMNS}",
                    set.join(", "),
                    p.int(project),
                    p.int(id)
                )
            }
        };
        let row: Option<RuleRow> = sqlx::query_as_with(&sql, p.into_args())
            .fetch_optional(&mut **tx)
            .await?;
        let row = found(row)?;
        let mut channels = r.channel_ids.clone();
        channels.sort_unstable();
        channels.dedup();
        sqlx::query("DELETE FROM alert_rule_channels WHERE rule_id = $1")
            .bind(row.id)
            .execute(&mut **tx)
            .await?;
        for channel in &channels {
            sqlx::query("INSERT INTO alert_rule_channels (rule_id, channel_id) VALUES ($1, $2)")
                .bind(row.id)
                .bind(channel)
                .execute(&mut **tx)
                .await?;
        }
        tx.commit().await?;
        record(row, channels)
    }

    /// The project's rules, oldest first.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn rules(&self, project: i64) -> Result<Vec<RuleRecord>> {
        let mut db = self.pool.acquire().await?;
        rules_of(&mut db, &[project]).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project, id = ?id))]
    pub async fn delete_rule(&self, project: i64, id: i64) -> Result<()> {
        touched(
            sqlx::query("DELETE FROM alert_rules WHERE project_id = $1 AND id = $2")
                .bind(project)
                .bind(id)
                .execute(&self.pool)
                .await?,
        )?;
        Ok(())
    }
}

/// The rules of `projects`, with their channels, oldest first.
pub(super) async fn rules_of(db: &mut AnyConnection, projects: &[i64]) -> Result<Vec<RuleRecord>> {
    if projects.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::default();
    let sql = format!(
        "SELECT {RULE_COLUMNS} FROM alert_rules WHERE project_id IN ({}) ORDER BY id",
        p.ints(projects)
    );
    let rows: Vec<RuleRow> = sqlx::query_as_with(&sql, p.into_args())
        .fetch_all(&mut *db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::default();
    let sql = format!(
        "SELECT c.rule_id, c.channel_id FROM alert_rule_channels c \
         JOIN alert_rules r ON r.id = c.rule_id WHERE r.project_id IN ({}) \
         ORDER BY c.channel_id",
        p.ints(projects)
    );
    let links: Vec<(i64, i64)> = sqlx::query_as_with(&sql, p.into_args())
        .fetch_all(&mut *db)
        .await?;
    let mut channels: HashMap<i64, Vec<i64>> = HashMap::new();
    for (rule, channel) in links {
        channels.entry(rule).or_default().push(channel);
    }
    rows.into_iter()
        .map(|r| {
            let c = channels.remove(&r.id).unwrap_or_default();
            record(r, c)
        })
        .collect()
}

fn record(r: RuleRow, channel_ids: Vec<i64>) -> Result<RuleRecord> {
    let trigger = stored(Trigger::parse(&r.fires_on), "alert trigger", &r.fires_on)?;
    Ok(RuleRecord {
        spec: RuleSpec {
            id: r.id,
            project_id: r.project_id,
            name: r.name,
            trigger,
            spike_count: r.spike_count.unwrap_or(0),
            spike_minutes: r.spike_minutes.unwrap_or(0),
            type_glob: r.exception_type.as_deref().and_then(type_glob),
            filter: RuleFilter {
                service: r.service,
                environment: r.environment,
                exception_type: r.exception_type,
                min_count: r.min_count,
            },
            interval_minutes: r.interval_minutes,
            muted_until: r.muted_until,
            channel_ids,
        },
        spike_count: r.spike_count,
        spike_minutes: r.spike_minutes,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// What an alert tells of its error, as stored.
#[derive(Clone, Debug, FromRow)]
pub struct AlertSubject {
    pub id: i64,
    pub project_id: i64,
    pub project: String,
    pub service: String,
    pub exception_type: String,
    pub message: String,
    pub status: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub occurrence_count: i64,
    pub resolved_at: Option<i64>,
    pub resolved_by_id: Option<i64>,
    pub resolved_by: Option<String>,
    /// The release the last fix shipped in.
    pub resolved_in: Option<String>,
    /// The note written with the last resolution.
    pub resolution_note_id: Option<i64>,
}

/// A public note, as an alert quotes it.
#[derive(Clone, Debug, FromRow)]
pub struct QuotedNote {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub author_id: i64,
    pub author: String,
    pub updated_at: i64,
}

const QUOTED: &str =
    "SELECT n.id, n.title, n.body, n.author_id, u.username AS author, n.updated_at \
     FROM notes n JOIN users u ON u.id = n.author_id WHERE n.visibility = 'public'";

impl Store {
    /// The error an alert is about, with who resolved it last.
    #[tracing::instrument(level = "debug", skip_all, fields(error = ?error))]
    pub async fn alert_subject(&self, error: i64) -> Result<AlertSubject> {
        found(
            sqlx::query_as(
                "SELECT e.id, e.project_id, p.name AS project, e.service, e.exception_type, \
                   e.message, e.status, e.first_seen, e.last_seen, e.occurrence_count, \
                   e.resolved_at, e.resolved_by AS resolved_by_id, u.username AS resolved_by, \
                   e.resolved_in, e.resolution_note_id \
                 FROM errors e JOIN projects p ON p.id = e.project_id \
                 LEFT JOIN users u ON u.id = e.resolved_by WHERE e.id = $1",
            )
            .bind(error)
            .fetch_optional(&self.pool)
            .await?,
        )
    }

    /// Public notes written on `error`, newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(error = ?error))]
    pub async fn public_notes_on(&self, error: i64, limit: i64) -> Result<Vec<QuotedNote>> {
        Ok(sqlx::query_as(&format!(
            "{QUOTED} AND n.error_id = $1 ORDER BY n.updated_at DESC, n.id DESC LIMIT $2"
        ))
        .bind(error)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A public note by id.
    #[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
    pub async fn public_note(&self, id: i64) -> Result<Option<QuotedNote>> {
        Ok(sqlx::query_as(&format!("{QUOTED} AND n.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }
}
