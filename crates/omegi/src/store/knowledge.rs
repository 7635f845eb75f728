//! What the knowledge base reads about errors: the stored features of errors that have
//! notes, the errors that share features with another, the root causes in an error's
//! traces, and the notes on a service's unresolved errors.

use std::collections::HashMap;

use sqlx::FromRow;

use super::note_sql::{summary_select, visible};
use super::params::Params;
use super::{found, Result, Store, StoreError};
use crate::model::{ErrorFeatures, GroupFacts, NoteSummary};

/// Whose view a knowledge query answers for: `viewer`'s notes (public ones, and their own
/// private ones; viewer 0 is nobody, so public only) on errors of `viewer`'s projects, or of
/// `project` alone when given.
#[derive(Clone, Copy, Debug)]
pub struct NoteScope {
    pub viewer: i64,
    pub project: Option<i64>,
}

impl NoteScope {
    /// A condition on errors `e` (after `WHERE`), with its parameters in `p`.
    fn errors(&self, p: &mut Params) -> String {
        match self.project {
            Some(project) => format!("e.project_id = {}", p.int(project)),
            None => format!(
                "e.project_id IN (SELECT m.project_id FROM project_members m WHERE m.user_id = {})",
                p.int(self.viewer)
            ),
        }
    }
}

#[derive(FromRow)]
struct FactsRow {
    #[sqlx(flatten)]
    brief: ErrorBrief,
    fingerprint: String,
    operation: String,
}

/// An error as a suggestion names it.
#[derive(Clone, Debug, FromRow)]
pub struct ErrorBrief {
    pub id: i64,
    pub service: String,
    pub exception_type: String,
    pub message: String,
    pub status: String,
    /// The service or peer its latest occurrence was passed up from.
    pub passed_from: Option<String>,
}

impl Store {
    /// An error as it is now: its brief, and its features from its group and latest
    /// occurrence.
    pub async fn error_features(&self, error: i64) -> Result<(ErrorBrief, ErrorFeatures)> {
        let facts: FactsRow = found(
            sqlx::query_as(
                "SELECT id, service, exception_type, message, status, passed_from, fingerprint, \
                        operation FROM errors WHERE id = $1",
            )
            .bind(error)
            .fetch_optional(&self.pool)
            .await?,
        )?;
        let latest = match self.latest_occurrence(error).await {
            Ok(o) => Some(o),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e),
        };
        let features = ErrorFeatures::of(
            &GroupFacts {
                fingerprint: &facts.fingerprint,
                service: &facts.brief.service,
                exception_type: &facts.brief.exception_type,
                message: &facts.brief.message,
                operation: &facts.operation,
            },
            latest.as_ref().map(|o| (&o.summary, &o.log)),
        );
        Ok((facts.brief, features))
    }

    /// Stores the features of an error that has (or just got) a note, replacing what was
    /// stored; only such errors can be suggested, so only they are kept.
    #[tracing::instrument(level = "debug", skip_all, fields(error = ?error))]
    pub async fn refresh_error_features(&self, error: i64) -> Result<()> {
        let features = match self.error_features(error).await {
            Ok((_, f)) => f,
            // The error is gone; its features went with it.
            Err(StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e),
        };
        self.store_error_features(error, &features).await
    }

    /// [`Store::refresh_error_features`] after a commit: what was committed stands, and a
    /// failure here is logged (start-up fills in features that are missing).
    pub async fn refresh_features_or_log(&self, error: i64) {
        if let Err(e) = self.refresh_error_features(error).await {
            tracing::warn!(
                error_id = error,
                "could not store the error's features: {e}"
            );
        }
    }

    /// Stores the features of every error with notes that has none stored (notes written
    /// before features were kept, or whose refresh failed), a batch at a time.
    pub async fn backfill_error_features(&self) -> Result<usize> {
        let mut done = 0;
        let mut last = None;
        loop {
            let missing = self.errors_missing_features(200).await?;
            // Nothing left, or nothing this batch could store: stop rather than spin.
            if missing.is_empty() || missing.first() == last.as_ref() {
                return Ok(done);
            }
            last = missing.first().copied();
            for error in &missing {
                self.refresh_error_features(*error).await?;
            }
            done += missing.len();
        }
    }

    /// Writes `features` as the stored features of `error`.
    pub async fn store_error_features(&self, error: i64, features: &ErrorFeatures) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM error_features WHERE error_id = $1")
            .bind(error)
            .execute(&mut **tx)
            .await?;
        for (kind, value) in features.rows() {
            sqlx::query(
                "INSERT INTO error_features (error_id, kind, value) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(error)
            .bind(kind)
            .bind(value)
            .execute(&mut **tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Errors in `scope` other than `error` (with notes) whose stored features share one of
    /// `features`: per feature the `per_feature` newest errors, without duplicates. A feature
    /// thousands of errors share says little on its own; the errors that matter share rarer
    /// ones too and come through those, so the work stays bounded however common a type or a
    /// message template is.
    #[tracing::instrument(level = "debug", skip_all, fields(error = ?error))]
    pub async fn errors_sharing(
        &self,
        scope: NoteScope,
        error: i64,
        features: &ErrorFeatures,
        per_feature: i64,
    ) -> Result<Vec<i64>> {
        let rows = features.rows();
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut p = Params::default();
        let me = p.int(error);
        let limit = p.int(per_feature);
        let in_scope = scope.errors(&mut p);
        let each: Vec<String> = rows
            .into_iter()
            .enumerate()
            .map(|(i, (kind, value))| {
                format!(
                    "SELECT * FROM (SELECT f.error_id FROM error_features f \
                     JOIN errors e ON e.id = f.error_id \
                     WHERE f.kind = {} AND f.value = {} AND f.error_id <> {me} AND {in_scope} \
                     AND EXISTS (SELECT 1 FROM notes n WHERE n.error_id = f.error_id) \
                     ORDER BY f.error_id DESC LIMIT {limit}) AS f{i}",
                    p.text(kind),
                    p.text(value),
                )
            })
            .collect();
        Ok(
            sqlx::query_scalar_with(&each.join(" UNION "), p.into_args())
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The stored features of `errors`.
    pub async fn stored_features(&self, errors: &[i64]) -> Result<HashMap<i64, ErrorFeatures>> {
        let mut rows: Vec<(i64, String, String)> = Vec::new();
        for chunk in errors.chunks(500) {
            let mut p = Params::default();
            let sql = format!(
                "SELECT error_id, kind, value FROM error_features WHERE error_id IN ({}) \
                 ORDER BY error_id, kind, value",
                p.ints(chunk)
            );
            rows.extend(
                sqlx::query_as_with::<_, (i64, String, String), _>(&sql, p.into_args())
                    .fetch_all(&self.pool)
                    .await?,
            );
        }
        let mut grouped: HashMap<i64, Vec<(String, String)>> = HashMap::new();
        for (id, kind, value) in rows {
            grouped.entry(id).or_default().push((kind, value));
        }
        Ok(grouped
            .into_iter()
            .map(|(id, rows)| {
                let features =
                    ErrorFeatures::from_rows(rows.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                (id, features)
            })
            .collect())
    }

    /// Errors with notes whose features are not stored yet (notes written before features
    /// were kept): filled in at start-up.
    pub async fn errors_missing_features(&self, limit: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT n.error_id FROM notes n WHERE n.error_id IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM error_features f WHERE f.error_id = n.error_id) \
             ORDER BY n.error_id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The errors named, as suggestions show them.
    pub async fn error_briefs(&self, errors: &[i64]) -> Result<HashMap<i64, ErrorBrief>> {
        let mut out = HashMap::new();
        for chunk in errors.chunks(500) {
            let mut p = Params::default();
            let sql = format!(
                "SELECT id, service, exception_type, message, status, passed_from FROM errors \
                 WHERE id IN ({})",
                p.ints(chunk)
            );
            let rows: Vec<ErrorBrief> = sqlx::query_as_with(&sql, p.into_args())
                .fetch_all(&self.pool)
                .await?;
            out.extend(rows.into_iter().map(|r| (r.id, r)));
        }
        Ok(out)
    }

    /// Notes the scope's viewer can read on `errors`, newest first.
    pub async fn notes_on_errors(&self, viewer: i64, errors: &[i64]) -> Result<Vec<NoteSummary>> {
        let mut out = Vec::new();
        for chunk in errors.chunks(500) {
            let mut p = Params::default();
            let v = p.int(viewer);
            let sql = format!(
                "{} AND n.error_id IN ({}) ORDER BY n.updated_at DESC, n.id DESC",
                summary_select(&v),
                p.ints(chunk)
            );
            out.extend(self.summaries(sql, p).await?);
        }
        Ok(out)
    }

    /// Errors of other services that failed in the same traces as `error`'s latest
    /// occurrences (at most 50 traces looked at), newest first, for telling a symptom's
    /// root cause.
    #[tracing::instrument(level = "debug", skip_all, fields(error = ?error))]
    pub async fn errors_in_same_traces(&self, error: i64) -> Result<Vec<ErrorBrief>> {
        Ok(sqlx::query_as(
            "SELECT DISTINCT e.id, e.service, e.exception_type, e.message, e.status, e.passed_from \
             FROM (SELECT project_id, trace_id FROM occurrences WHERE error_id = $1 \
                   ORDER BY occurred_at DESC LIMIT 50) t \
             JOIN occurrences o ON o.project_id = t.project_id AND o.trace_id = t.trace_id \
             JOIN errors e ON e.id = o.error_id \
             JOIN errors me ON me.id = $1 \
             WHERE o.error_id <> $1 AND e.service <> me.service AND e.passed_from IS NULL \
             ORDER BY e.id",
        )
        .bind(error)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Notes `viewer` can read on the unresolved errors `project`'s services caused
    /// themselves (not passed up), per service, newest first: what the service map shows on
    /// a red service.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn notes_by_service(
        &self,
        viewer: i64,
        project: i64,
    ) -> Result<Vec<(String, i64, String)>> {
        let sql = format!(
            "SELECT e.service, n.id, n.title FROM notes n JOIN errors e ON e.id = n.error_id \
             WHERE e.project_id = $2 AND e.status = 'unresolved' AND e.passed_from IS NULL \
             AND {} \
             ORDER BY n.updated_at DESC, n.id DESC LIMIT 500",
            visible("n", "$1")
        );
        Ok(sqlx::query_as(&sql)
            .bind(viewer)
            .bind(project)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Notes for a vault: the viewer's own (`project` None), or the public notes on the
    /// errors of `project`; with their bodies and the titles of the notes they link to by
    /// hand.
    #[tracing::instrument(level = "debug", skip_all, fields(viewer = ?viewer))]
    pub async fn notes_for_vault(
        &self,
        viewer: i64,
        project: Option<i64>,
    ) -> Result<Vec<VaultRow>> {
        let mut p = Params::default();
        let v = p.int(viewer);
        let only = match project {
            None => format!("n.author_id = {v}"),
            Some(project) => format!(
                "n.visibility = 'public' AND n.error_id IN \
                 (SELECT e.id FROM errors e WHERE e.project_id = {})",
                p.int(project)
            ),
        };
        let sql = format!("{} AND {only} ORDER BY n.id", summary_select(&v));
        let notes = self.summaries(sql, p).await?;
        let ids: Vec<i64> = notes.iter().map(|n| n.id).collect();
        let mut bodies: HashMap<i64, String> = HashMap::new();
        let mut links: HashMap<i64, Vec<String>> = HashMap::new();
        for chunk in ids.chunks(500) {
            let mut p = Params::default();
            let list = p.ints(chunk);
            let sql = format!("SELECT id, body FROM notes WHERE id IN ({list})");
            let rows: Vec<(i64, String)> = sqlx::query_as_with(&sql, p.into_args())
                .fetch_all(&self.pool)
                .await?;
            bodies.extend(rows);
            let mut p = Params::default();
            let v = p.int(viewer);
            let list = p.ints(chunk);
            let sql = format!(
                "SELECT l.source_id, t.title FROM note_links l JOIN notes t ON t.id = l.target_id \
                 WHERE l.kind = 'manual' AND l.source_id IN ({list}) AND {} ORDER BY t.title",
                visible("t", &v)
            );
            let rows: Vec<(i64, String)> = sqlx::query_as_with(&sql, p.into_args())
                .fetch_all(&self.pool)
                .await?;
            for (source, title) in rows {
                links.entry(source).or_default().push(title);
            }
        }
        Ok(notes
            .into_iter()
            .map(|summary| VaultRow {
                body: bodies.remove(&summary.id).unwrap_or_default(),
                links: links.remove(&summary.id).unwrap_or_default(),
                summary,
            })
            .collect())
    }

    /// `author`'s notes with id `id` or titled `title` (in any case), that note first, then
    /// oldest first.
    pub async fn own_notes_matching(
        &self,
        author: i64,
        id: Option<i64>,
        title: &str,
    ) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM notes WHERE author_id = $1 AND (id = $2 OR lower(title) = lower($3)) \
             ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END, id",
        )
        .bind(author)
        .bind(id.unwrap_or(0))
        .bind(title)
        .fetch_all(&self.pool)
        .await?)
    }

    /// For each of `titles` (lower-cased), the note of that title `viewer` can read, their
    /// own first; titles without one are absent.
    pub async fn readable_notes_titled(
        &self,
        viewer: i64,
        titles: &[String],
    ) -> Result<HashMap<String, i64>> {
        let mut out: HashMap<String, i64> = HashMap::new();
        for chunk in titles.chunks(500) {
            let mut p = Params::default();
            let v = p.int(viewer);
            let list: Vec<String> = chunk
                .iter()
                .map(|t| format!("lower({})", p.text(t.clone())))
                .collect();
            let sql = format!(
                "SELECT lower(n.title), n.id FROM notes n WHERE lower(n.title) IN ({}) AND {} \
                 ORDER BY CASE WHEN n.author_id = {v} THEN 0 ELSE 1 END, n.id",
                list.join(", "),
                visible("n", &v)
            );
            let rows: Vec<(String, i64)> = sqlx::query_as_with(&sql, p.into_args())
                .fetch_all(&self.pool)
                .await?;
            for (title, id) in rows {
                out.entry(title).or_insert(id);
            }
        }
        Ok(out)
    }
}

/// A note as a vault file holds it.
pub struct VaultRow {
    pub summary: NoteSummary,
    pub body: String,
    /// Titles of the notes it links to by hand (not by `[[label]]` in the body).
    pub links: Vec<String>,
}
