//! Reading error groups and occurrences, always through the caller's project memberships,
//! and changing a group's status.

use sqlx::FromRow;

use super::{found, Result, Store, StoreError};
use crate::model::{rfc3339, ErrorGroup, ErrorStatus, Millis};

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
}

impl From<ErrorRow> for ErrorGroup {
    fn from(r: ErrorRow) -> ErrorGroup {
        ErrorGroup {
            id: r.id,
            project_id: r.project_id,
            project: r.project,
            service: r.service,
            exception_type: r.exception_type,
            message: r.message,
            operation: r.operation,
            status: ErrorStatus::parse(&r.status),
            regressed: r.regressed != 0,
            first_seen: rfc3339(r.first_seen),
            last_seen: rfc3339(r.last_seen),
            occurrence_count: r.occurrence_count,
            status_changed_at: r.status_changed_at.map(rfc3339),
            status_changed_by: r.status_changed_by,
        }
    }
}

/// Error groups visible to member `$1`.
const ERROR_SELECT: &str = "SELECT e.id, e.project_id, p.name AS project, e.service, \
     e.exception_type, e.message, e.operation, e.status, e.regressed, e.first_seen, e.last_seen, \
     e.occurrence_count, e.status_changed_at, u.username AS status_changed_by \
     FROM errors e JOIN projects p ON p.id = e.project_id \
     JOIN project_members m ON m.project_id = e.project_id AND m.user_id = $1 \
     LEFT JOIN users u ON u.id = e.status_changed_by";

/// An occurrence as stored; the trace is read from the spans.
#[derive(FromRow)]
pub struct OccurrenceRow {
    pub id: i64,
    pub error_id: i64,
    pub project_id: i64,
    pub trace_id: String,
    pub span_id: String,
    pub occurred_at: i64,
    pub summary: String,
    pub log: String,
}

const OCCURRENCE_COLUMNS: &str =
    "o.id, o.error_id, o.project_id, o.trace_id, o.span_id, o.occurred_at, o.summary, o.log";

/// Filters of the error list.
#[derive(Default)]
pub struct ErrorFilter {
    pub project: Option<i64>,
    pub status: Option<ErrorStatus>,
    pub limit: i64,
}

impl Store {
    pub async fn errors_for(&self, user: i64, f: &ErrorFilter) -> Result<Vec<ErrorGroup>> {
        let sql = format!(
            "{ERROR_SELECT} WHERE ($2 = 0 OR e.project_id = $2) AND ($3 = '' OR e.status = $3) \
             ORDER BY e.last_seen DESC, e.id DESC LIMIT $4"
        );
        let rows: Vec<ErrorRow> = sqlx::query_as(&sql)
            .bind(user)
            .bind(f.project.unwrap_or(0))
            .bind(f.status.map(ErrorStatus::as_str).unwrap_or(""))
            .bind(f.limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(ErrorGroup::from).collect())
    }

    /// The group if `user` is a member of its project.
    pub async fn error_for(&self, user: i64, id: i64) -> Result<ErrorGroup> {
        let sql = format!("{ERROR_SELECT} WHERE e.id = $2");
        let row: Option<ErrorRow> = sqlx::query_as(&sql)
            .bind(user)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        found(row).map(ErrorGroup::from)
    }

    pub async fn set_error_status(
        &self,
        id: i64,
        status: ErrorStatus,
        by: i64,
        now: Millis,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE errors SET status = $1, status_changed_at = $2, status_changed_by = $3, \
             regressed = CASE WHEN $1 = 'unresolved' THEN regressed ELSE 0 END WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(by)
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The most recent occurrence of a group.
    pub async fn latest_occurrence(&self, error: i64) -> Result<OccurrenceRow> {
        let sql = format!(
            "SELECT {OCCURRENCE_COLUMNS} FROM occurrences o WHERE o.error_id = $1 \
             ORDER BY o.occurred_at DESC, o.id DESC LIMIT 1"
        );
        let row: Option<OccurrenceRow> = sqlx::query_as(&sql)
            .bind(error)
            .fetch_optional(&self.pool)
            .await?;
        found(row)
    }

    /// Occurrences of a group, newest first.
    pub async fn occurrences(&self, error: i64, limit: i64) -> Result<Vec<OccurrenceRow>> {
        let sql = format!(
            "SELECT {OCCURRENCE_COLUMNS} FROM occurrences o WHERE o.error_id = $1 \
             ORDER BY o.occurred_at DESC, o.id DESC LIMIT $2"
        );
        Ok(sqlx::query_as(&sql)
            .bind(error)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The occurrence if `user` is a member of its project.
    pub async fn occurrence_for(&self, user: i64, id: i64) -> Result<OccurrenceRow> {
        let sql = format!(
            "SELECT {OCCURRENCE_COLUMNS} FROM occurrences o JOIN project_members m \
             ON m.project_id = o.project_id AND m.user_id = $1 WHERE o.id = $2"
        );
        let row: Option<OccurrenceRow> = sqlx::query_as(&sql)
            .bind(user)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        found(row)
    }

    /// Projects of `user` that hold spans of `trace`.
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
