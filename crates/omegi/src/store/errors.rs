//! Reading error groups and occurrences, always through the caller's project memberships,
//! and changing a group's status.

use sqlx::FromRow;

use super::events;
use super::notes::{insert_note, NoteInput};
use super::params::{escape_like, Params};
use super::{decode_json, found, stored, touched, Backend, Result, Store, StoreError};
use crate::model::{rfc3339, ErrorGroup, ErrorStatus, Log, Millis, Resolution, Summary};

/// How an error was resolved: the release the fix shipped in, and the note telling the
/// cause and the fix, written with the resolution.
pub struct ResolutionInput {
    pub release: Option<String>,
    pub note: Option<NoteInput>,
}

#[derive(FromRow)]
struct ErrorRow {
    id: i64,
    project_id: i64,
    project: String,
    service: String,
    exception_type: String,
    message: String,
    operation: String,
    status: String,
    regressed: i64,
    first_seen: i64,
    last_seen: i64,
    occurrence_count: i64,
    status_changed_at: Option<i64>,
    status_changed_by: Option<String>,
    note_count: i64,
    passed_from: Option<String>,
    resolved_at: Option<i64>,
    resolved_by: Option<String>,
    resolved_in: Option<String>,
    resolution_note_id: Option<i64>,
    resolution_note_title: Option<String>,
}

impl TryFrom<ErrorRow> for ErrorGroup {
    type Error = StoreError;

    fn try_from(r: ErrorRow) -> Result<ErrorGroup> {
        Ok(ErrorGroup {
            id: r.id,
            project_id: r.project_id,
            project: r.project,
            service: r.service,
            exception_type: r.exception_type,
            message: r.message,
            operation: r.operation,
            status: stored(ErrorStatus::parse(&r.status), "error status", &r.status)?,
            regressed: r.regressed != 0,
            first_seen: rfc3339(r.first_seen),
            last_seen: rfc3339(r.last_seen),
            occurrence_count: r.occurrence_count,
            status_changed_at: r.status_changed_at.map(rfc3339),
            status_changed_by: r.status_changed_by,
            note_count: r.note_count,
            passed_from: r.passed_from,
            resolution: r.resolved_at.map(|at| Resolution {
                resolved_by: r.resolved_by,
                resolved_at: rfc3339(at),
                release: r.resolved_in,
                note_id: r.resolution_note_id,
                note_title: r.resolution_note_title,
            }),
        })
    }
}

/// Error groups visible to member `$1`: [`ERROR_COLUMNS`] `FROM` [`ERROR_JOINS`].
const ERROR_COLUMNS: &str = "SELECT e.id, e.project_id, p.name AS project, e.service, \
     e.exception_type, e.message, e.operation, e.status, e.regressed, e.first_seen, e.last_seen, \
     e.occurrence_count, e.status_changed_at, u.username AS status_changed_by, e.passed_from, \
     (SELECT COUNT(*) FROM notes n WHERE n.error_id = e.id \
      AND (n.visibility = 'public' OR n.author_id = $1)) AS note_count, \
     e.resolved_at, ru.username AS resolved_by, e.resolved_in, \
     rn.id AS resolution_note_id, rn.title AS resolution_note_title";

/// The groups' table and what their rows name, for [`ERROR_COLUMNS`].
const ERROR_JOINS: &str = "errors e JOIN projects p ON p.id = e.project_id \
     JOIN project_members m ON m.project_id = e.project_id AND m.user_id = $1 \
     LEFT JOIN users u ON u.id = e.status_changed_by \
     LEFT JOIN users ru ON ru.id = e.resolved_by \
     LEFT JOIN notes rn ON rn.id = e.resolution_note_id \
      AND (rn.visibility = 'public' OR rn.author_id = $1)";

/// An occurrence as stored, its Summary and Log decoded; the trace is read from the spans.
pub struct OccurrenceRecord {
    pub id: i64,
    pub error_id: i64,
    pub project_id: i64,
    pub trace_id: String,
    pub span_id: String,
    pub occurred_at: i64,
    pub summary: Summary,
    pub log: Log,
}

#[derive(FromRow)]
struct OccurrenceRow {
    id: i64,
    error_id: i64,
    project_id: i64,
    trace_id: String,
    span_id: String,
    occurred_at: i64,
    summary: String,
    log: String,
}

impl TryFrom<OccurrenceRow> for OccurrenceRecord {
    type Error = StoreError;

    fn try_from(r: OccurrenceRow) -> Result<OccurrenceRecord> {
        Ok(OccurrenceRecord {
            summary: decode_json(&r.summary, format_args!("occurrence {} summary", r.id))?,
            log: decode_json(&r.log, format_args!("occurrence {} log", r.id))?,
            id: r.id,
            error_id: r.error_id,
            project_id: r.project_id,
            trace_id: r.trace_id,
            span_id: r.span_id,
            occurred_at: r.occurred_at,
        })
    }
}

/// The occurrence columns, Summary and Log read back as JSON text.
fn occurrence_columns(backend: Backend) -> String {
    format!(
        "o.id, o.error_id, o.project_id, o.trace_id, o.span_id, o.occurred_at, {}, {}",
        backend.json_column("o.summary"),
        backend.json_column("o.log")
    )
}

/// How the error list is ordered; always newest/most first, ties broken by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorSort {
    LastSeen,
    FirstSeen,
    Count,
}

impl ErrorSort {
    fn column(self) -> &'static str {
        match self {
            ErrorSort::LastSeen => "e.last_seen",
            ErrorSort::FirstSeen => "e.first_seen",
            ErrorSort::Count => "e.occurrence_count",
        }
    }

    /// The sort value of a row, which a cursor carries.
    pub fn value(self, e: &ErrorRowKeys) -> i64 {
        match self {
            ErrorSort::LastSeen => e.last_seen,
            ErrorSort::FirstSeen => e.first_seen,
            ErrorSort::Count => e.occurrence_count,
        }
    }
}

/// The values of a row that orderings and cursors use.
pub struct ErrorRowKeys {
    pub id: i64,
    pub last_seen: i64,
    pub first_seen: i64,
    pub occurrence_count: i64,
}

/// Filters of the error list; every one is optional.
pub struct ErrorFilter {
    pub project: Option<i64>,
    pub service: Option<String>,
    pub status: Option<ErrorStatus>,
    pub exception_type: Option<String>,
    /// Text in the type or the message (case-insensitive).
    pub q: Option<String>,
    /// Only groups with an occurrence in this trace (32 lowercase hex digits).
    pub trace: Option<String>,
    /// Only groups with an occurrence in this deployment environment.
    pub environment: Option<String>,
    /// Only groups with an occurrence of this release (`service.version`).
    pub release: Option<String>,
    /// Seen at or after (last seen), Unix ms.
    pub since: Option<Millis>,
    /// Seen at or before (first seen), Unix ms.
    pub until: Option<Millis>,
    pub sort: ErrorSort,
    /// Continue after this (sort value, id).
    pub after: Option<(i64, i64)>,
    pub limit: i64,
}

impl Store {
    /// One page of the error list. Keyset pagination on (sort value, id) means rows that
    /// arrive while a user pages do not shift the pages after the cursor.
    #[tracing::instrument(level = "debug", skip_all, fields(user = ?user))]
    pub async fn errors_for(
        &self,
        user: i64,
        f: &ErrorFilter,
    ) -> Result<Vec<(ErrorGroup, ErrorRowKeys)>> {
        let mut p = Params::default();
        // ERROR_COLUMNS and ERROR_JOINS refer to the user as $1, the first parameter.
        p.int(user);
        let mut sql = match &f.trace {
            // The trace's few groups, found first by (project, trace) in the user's projects
            // and materialized, so that the groups are then looked up by key whatever the
            // statistics say. As a condition on the groups (`e.id IN (…)`),
            // PostgreSQL's plan for the first polls of a growing database walked the groups
            // and each group's occurrences (2,656 pages, 8.6 ms a query under load; as a
            // correlated `EXISTS` earlier, the groups' dead versions too: docs/benchmarks.md,
            // tenth and eleventh passes). SQLite joins the tables in the order written after
            // a CROSS JOIN: the trace's groups first, each group then found by its key (else
            // it walks the project's groups and probes the list); PostgreSQL plans it as any
            // inner join.
            Some(trace) => format!(
                "WITH in_trace AS MATERIALIZED (SELECT DISTINCT o.error_id FROM occurrences o \
                   JOIN project_members om ON om.project_id = o.project_id AND om.user_id = $1 \
                   WHERE o.trace_id = {}) \
                 {ERROR_COLUMNS} FROM in_trace CROSS JOIN {ERROR_JOINS} \
                 WHERE e.id = in_trace.error_id",
                p.text(trace)
            ),
            None => format!("{ERROR_COLUMNS} FROM {ERROR_JOINS} WHERE 1 = 1"),
        };
        if let Some(project) = f.project {
            sql.push_str(&format!(" AND e.project_id = {}", p.int(project)));
        }
        if let Some(service) = &f.service {
            sql.push_str(&format!(" AND e.service = {}", p.text(service)));
        }
        if let Some(status) = f.status {
            sql.push_str(&format!(" AND e.status = {}", p.text(status.as_str())));
        }
        if let Some(ty) = &f.exception_type {
            sql.push_str(&format!(" AND e.exception_type = {}", p.text(ty)));
        }
        if let Some(q) = &f.q {
            let pattern = p.text(format!("%{}%", escape_like(&q.to_lowercase())));
            sql.push_str(&format!(
                " AND (lower(e.exception_type) LIKE {pattern} ESCAPE '\\' \
                 OR lower(e.message) LIKE {pattern} ESCAPE '\\')"
            ));
        }
        for (column, value) in [("environment", &f.environment), ("release", &f.release)] {
            if let Some(v) = value {
                sql.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM occurrences o WHERE o.error_id = e.id \
                       AND o.{column} = {})",
                    p.text(v.as_str())
                ));
            }
        }
        if let Some(since) = f.since {
            sql.push_str(&format!(" AND e.last_seen >= {}", p.int(since)));
        }
        if let Some(until) = f.until {
            sql.push_str(&format!(" AND e.first_seen <= {}", p.int(until)));
        }
        let col = f.sort.column();
        if let Some((value, id)) = f.after {
            let (v, i) = (p.int(value), p.int(id));
            sql.push_str(&format!(
                " AND ({col} < {v} OR ({col} = {v} AND e.id < {i}))"
            ));
        }
        sql.push_str(&format!(
            " ORDER BY {col} DESC, e.id DESC LIMIT {}",
            p.int(f.limit)
        ));
        let rows: Vec<ErrorRow> = sqlx::query_as_with(&sql, p.into_args())
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| {
                let keys = ErrorRowKeys {
                    id: r.id,
                    last_seen: r.last_seen,
                    first_seen: r.first_seen,
                    occurrence_count: r.occurrence_count,
                };
                Ok((ErrorGroup::try_from(r)?, keys))
            })
            .collect()
    }

    /// The group if `user` is a member of its project.
    #[tracing::instrument(level = "debug", skip_all, fields(user = ?user, id = ?id))]
    pub async fn error_for(&self, user: i64, id: i64) -> Result<ErrorGroup> {
        let sql = format!("{ERROR_COLUMNS} FROM {ERROR_JOINS} WHERE e.id = $2");
        let row: Option<ErrorRow> = sqlx::query_as(&sql)
            .bind(user)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        found(row)?.try_into()
    }

    /// Changes a group's status and records the change for live clients.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project, id = ?id))]
    pub async fn set_error_status(
        &self,
        project: i64,
        id: i64,
        status: ErrorStatus,
        by: i64,
        now: Millis,
        resolution: Option<&ResolutionInput>,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        let note = match resolution.and_then(|r| r.note.as_ref()) {
            Some(note) => Some(insert_note(&mut tx, by, note, now).await?),
            None => None,
        };
        // Resolving again without telling how forgets the last resolution's release and note:
        // "fixed before" must speak of the latest fix.
        touched(
            sqlx::query(
                "UPDATE errors SET status = $1, status_changed_at = $2, status_changed_by = $3, \
             regressed = CASE WHEN $1 = 'unresolved' THEN regressed ELSE 0 END, \
             resolved_at = CASE WHEN $1 = 'resolved' THEN $2 ELSE resolved_at END, \
             resolved_by = CASE WHEN $1 = 'resolved' THEN $3 ELSE resolved_by END, \
             resolved_in = CASE WHEN $1 = 'resolved' THEN $5 ELSE resolved_in END, \
             resolution_note_id = CASE WHEN $1 = 'resolved' THEN $6 ELSE resolution_note_id END \
             WHERE id = $4",
            )
            .bind(status.as_str())
            .bind(now)
            .bind(by)
            .bind(id)
            .bind(resolution.and_then(|r| r.release.clone()))
            .bind(note)
            .execute(&mut **tx)
            .await?,
        )?;
        events::record(&mut tx, project, events::ERROR_STATUS, id, now).await?;
        events::announce(&mut tx, self.backend).await?;
        tx.commit().await?;
        if let Some(note) = resolution.and_then(|r| r.note.as_ref()) {
            self.after_note_saved(note).await;
        }
        Ok(())
    }

    /// The most recent occurrence of a group.
    #[tracing::instrument(level = "debug", skip_all, fields(error = ?error))]
    pub async fn latest_occurrence(&self, error: i64) -> Result<OccurrenceRecord> {
        let columns = occurrence_columns(self.backend);
        let sql = format!(
            "SELECT {columns} FROM occurrences o WHERE o.error_id = $1 \
             ORDER BY o.occurred_at DESC, o.id DESC LIMIT 1"
        );
        let row: Option<OccurrenceRow> = sqlx::query_as(&sql)
            .bind(error)
            .fetch_optional(&self.pool)
            .await?;
        found(row)?.try_into()
    }

    /// Occurrences of a group, newest first.
    #[tracing::instrument(level = "debug", skip_all, fields(error = ?error))]
    pub async fn occurrences(&self, error: i64, limit: i64) -> Result<Vec<OccurrenceRecord>> {
        let columns = occurrence_columns(self.backend);
        let sql = format!(
            "SELECT {columns} FROM occurrences o WHERE o.error_id = $1 \
             ORDER BY o.occurred_at DESC, o.id DESC LIMIT $2"
        );
        let rows: Vec<OccurrenceRow> = sqlx::query_as(&sql)
            .bind(error)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(OccurrenceRecord::try_from).collect()
    }

    /// The occurrence if `user` is a member of its project.
    #[tracing::instrument(level = "debug", skip_all, fields(user = ?user, id = ?id))]
    pub async fn occurrence_for(&self, user: i64, id: i64) -> Result<OccurrenceRecord> {
        let columns = occurrence_columns(self.backend);
        let sql = format!(
            "SELECT {columns} FROM occurrences o JOIN project_members m \
             ON m.project_id = o.project_id AND m.user_id = $1 WHERE o.id = $2"
        );
        let row: Option<OccurrenceRow> = sqlx::query_as(&sql)
            .bind(user)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        found(row)?.try_into()
    }

    /// Projects of `user` that hold spans of `trace`.
    #[tracing::instrument(level = "debug", skip_all, fields(user = ?user, trace = ?trace))]
    pub async fn trace_projects_for(&self, user: i64, trace: &str) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT t.project_id FROM traces t JOIN project_members m \
             ON m.project_id = t.project_id AND m.user_id = $1 WHERE t.trace_id = $2 \
             ORDER BY t.project_id",
        )
        .bind(user)
        .bind(trace)
        .fetch_all(&self.pool)
        .await?)
    }
}
