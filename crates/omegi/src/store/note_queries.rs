//! Questions asked of the knowledge base: full-text search (SQLite FTS5 or PostgreSQL
//! full-text, the one place the back-ends need their own SQL), the graph, the notes that may
//! explain an error, and note statistics.

use sqlx::FromRow;

use super::note_sql::{
    postgres_text_match, sqlite_text_match, summary_select, visible, SummaryQuery,
};
use super::params::Params;
use super::{Backend, Result, Store};
use crate::model::{NoteKind, NoteSummary};

#[derive(Default)]
pub struct NoteFilter {
    pub q: Option<String>,
    pub tag: Option<String>,
    pub author: Option<String>,
    pub kind: Option<NoteKind>,
    pub error: Option<i64>,
    /// Only notes on errors of this project.
    pub project: Option<i64>,
    /// Match notes with any word of `q` rather than all of them.
    pub any_word: bool,
    /// Leave these notes out.
    pub exclude: Vec<i64>,
    pub limit: i64,
}

/// Words of a search, quoted for FTS5 as prefix terms: `"pool"* "size"*`. Quoting makes any
/// input safe; an input without words matches nothing.
fn fts5_query(q: &str, any: bool) -> Option<String> {
    let terms: Vec<String> = words(q).map(|w| format!("\"{w}\"*")).collect();
    (!terms.is_empty()).then(|| terms.join(if any { " OR " } else { " " }))
}

fn words(q: &str) -> impl Iterator<Item = &str> {
    q.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
}

/// Which notes a graph shows.
pub enum GraphSelect {
    /// The viewer's notes and the notes linked to or from them.
    Mine,
    /// Every note the viewer can read.
    All,
    /// These notes (those the viewer can read).
    Notes(Vec<i64>),
}

/// The graph's raw material: visible notes, their links, tags and errors.
pub struct GraphData {
    pub notes: Vec<NoteSummary>,
    pub links: Vec<(i64, i64)>,
    /// (error id, exception type, status) of errors the viewer may see.
    pub errors: Vec<(i64, String, String)>,
}

/// The caller's knowledge-base statistics, as stored and as the API answers them.
#[derive(FromRow, Default, Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = NoteStatsView)]
pub struct NoteStats {
    pub notes: i64,
    pub error_notes: i64,
    pub general_notes: i64,
    /// Links from the caller's notes to other users' notes.
    pub links_to_others: i64,
    /// Links from other users' public notes to the caller's.
    pub backlinks_from_others: i64,
    /// Resolved errors in the caller's projects that have a note.
    pub resolved_errors_with_notes: i64,
}

impl Store {
    /// Notes matching the filters, best match first for a text search (title matches above
    /// body mentions), else most recently updated first.
    #[tracing::instrument(level = "debug", skip_all, fields(viewer = ?viewer))]
    pub async fn search_notes(&self, viewer: i64, f: &NoteFilter) -> Result<Vec<NoteSummary>> {
        let mut p = Params::default();
        let v = p.int(viewer);
        let mut query = SummaryQuery::new(&v);
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let text_match = match self.backend() {
                Backend::Sqlite => {
                    let Some(m) = fts5_query(q, f.any_word) else {
                        return Ok(Vec::new());
                    };
                    sqlite_text_match(&p.text(m))
                }
                Backend::Postgres => {
                    let tsq = if f.any_word {
                        let any: Vec<&str> = words(q).collect();
                        if any.is_empty() {
                            return Ok(Vec::new());
                        }
                        format!("to_tsquery('simple', {})", p.text(any.join(" | ")))
                    } else {
                        format!("websearch_to_tsquery('simple', {})", p.text(q))
                    };
                    postgres_text_match(&tsq)
                }
            };
            query.text_match(text_match);
        }
        if let Some(tag) = &f.tag {
            query.and(format!(
                "EXISTS (SELECT 1 FROM note_tags g WHERE g.note_id = n.id AND g.tag = {})",
                p.text(tag.clone())
            ));
        }
        if let Some(author) = &f.author {
            query.and(format!(
                "lower(u.username) = lower({})",
                p.text(author.clone())
            ));
        }
        if let Some(kind) = f.kind {
            query.and(format!("n.kind = {}", p.text(kind.as_str())));
        }
        if let Some(error) = f.error {
            query.and(format!("n.error_id = {}", p.int(error)));
        }
        if let Some(project) = f.project {
            query.and(format!(
                "n.error_id IN (SELECT e.id FROM errors e WHERE e.project_id = {})",
                p.int(project)
            ));
        }
        for id in &f.exclude {
            query.and(format!("n.id <> {}", p.int(*id)));
        }
        let sql = format!(
            "{} ORDER BY {} LIMIT {}",
            query.select(),
            query.order,
            p.int(f.limit)
        );
        self.summaries(sql, p).await
    }
}

impl Store {
    /// The graph of `viewer`'s notes (`mine`: their notes and the notes linked to or from
    /// them) or of every note they can see, optionally only notes with `tag`.
    #[tracing::instrument(level = "debug", skip_all, fields(viewer = ?viewer))]
    pub async fn note_graph(
        &self,
        viewer: i64,
        select: &GraphSelect,
        tag: Option<&str>,
    ) -> Result<GraphData> {
        let mut p = Params::default();
        let v = p.int(viewer);
        let mut sql = summary_select(&v);
        if let GraphSelect::Notes(ids) = select {
            if ids.is_empty() {
                return Ok(GraphData {
                    notes: Vec::new(),
                    links: Vec::new(),
                    errors: Vec::new(),
                });
            }
            sql.push_str(&format!(" AND n.id IN ({})", p.ints(ids)));
        }
        if matches!(select, GraphSelect::Mine) {
            sql.push_str(&format!(
                " AND (n.author_id = {v} OR EXISTS (SELECT 1 FROM note_links l JOIN notes o \
                 ON o.id = CASE WHEN l.source_id = n.id THEN l.target_id ELSE l.source_id END \
                 WHERE (l.source_id = n.id OR l.target_id = n.id) AND o.author_id = {v}))"
            ));
        }
        if let Some(tag) = tag {
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM note_tags g WHERE g.note_id = n.id AND g.tag = {})",
                p.text(tag)
            ));
        }
        sql.push_str(" ORDER BY n.id LIMIT 5000");
        let notes = self.summaries(sql, p).await?;
        let ids: Vec<i64> = notes.iter().map(|n| n.id).collect();
        let mut links = Vec::new();
        let mut errors = Vec::new();
        for chunk in ids.chunks(500) {
            let mut p = Params::default();
            let list = p.ints(chunk);
            let sql = format!(
                "SELECT DISTINCT source_id, target_id FROM note_links WHERE source_id IN ({}) \
                 ORDER BY source_id, target_id",
                list
            );
            let rows: Vec<(i64, i64)> = sqlx::query_as_with(&sql, p.into_args())
                .fetch_all(&self.pool)
                .await?;
            links.extend(rows.into_iter().filter(|(_, t)| ids.contains(t)));
        }
        let error_ids: Vec<i64> = notes.iter().filter_map(|n| n.error_id).collect();
        for chunk in error_ids.chunks(500) {
            let mut p = Params::default();
            let v = p.int(viewer);
            let list = p.ints(chunk);
            let sql = format!(
                "SELECT DISTINCT e.id, e.exception_type, e.status FROM errors e JOIN project_members m \
                 ON m.project_id = e.project_id AND m.user_id = {v} WHERE e.id IN ({}) ORDER BY e.id",
                list
            );
            errors.extend(
                sqlx::query_as_with::<_, (i64, String, String), _>(&sql, p.into_args())
                    .fetch_all(&self.pool)
                    .await?,
            );
        }
        Ok(GraphData {
            notes,
            links,
            errors,
        })
    }

    /// Notes the viewer can read that link to or from any of `ids`.
    #[tracing::instrument(level = "debug", skip_all, fields(viewer = ?viewer))]
    pub async fn linked_notes(&self, viewer: i64, ids: &[i64]) -> Result<Vec<i64>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let mut p = Params::default();
            let v = p.int(viewer);
            let list = p.ints(chunk);
            let sql = format!(
                "SELECT DISTINCT n.id FROM note_links l JOIN notes n \
                 ON n.id = CASE WHEN l.source_id IN ({list}) THEN l.target_id ELSE l.source_id END \
                 WHERE (l.source_id IN ({list}) OR l.target_id IN ({list})) AND {} ORDER BY n.id",
                visible("n", &v)
            );
            out.extend(
                sqlx::query_scalar_with::<_, i64, _>(&sql, p.into_args())
                    .fetch_all(&self.pool)
                    .await?,
            );
        }
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(viewer = ?viewer))]
    pub async fn note_stats(&self, viewer: i64) -> Result<NoteStats> {
        Ok(sqlx::query_as(
            "SELECT \
             (SELECT COUNT(*) FROM notes WHERE author_id = $1) AS notes, \
             (SELECT COUNT(*) FROM notes WHERE author_id = $1 AND kind = 'error') AS error_notes, \
             (SELECT COUNT(*) FROM notes WHERE author_id = $1 AND kind = 'general') AS general_notes, \
             (SELECT COUNT(*) FROM (SELECT DISTINCT l.source_id, l.target_id FROM note_links l \
               JOIN notes s ON s.id = l.source_id JOIN notes t ON t.id = l.target_id \
               WHERE s.author_id = $1 AND t.author_id <> $1) x) AS links_to_others, \
             (SELECT COUNT(*) FROM (SELECT DISTINCT l.source_id, l.target_id FROM note_links l \
               JOIN notes s ON s.id = l.source_id JOIN notes t ON t.id = l.target_id \
               WHERE t.author_id = $1 AND s.author_id <> $1 AND s.visibility = 'public') y) \
               AS backlinks_from_others, \
             (SELECT COUNT(*) FROM errors e JOIN project_members m ON m.project_id = e.project_id \
               AND m.user_id = $1 WHERE e.status = 'resolved' AND EXISTS (SELECT 1 FROM notes n \
               WHERE n.error_id = e.id AND (n.visibility = 'public' OR n.author_id = $1))) \
               AS resolved_errors_with_notes",
        )
        .bind(viewer)
        .fetch_one(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_input_is_quoted_and_snippets_escaped() {
        assert_eq!(
            super::fts5_query("pool \"size\" OR *", false),
            Some("\"pool\"* \"size\"* \"OR\"*".into())
        );
        assert_eq!(
            super::fts5_query("a b", true),
            Some("\"a\"* OR \"b\"*".into())
        );
        assert_eq!(super::fts5_query("!!", false), None);
        assert_eq!(
            super::super::note_sql::mark_html("<img src=x onerror=alert(1)> \u{27E6}pool\u{27E7}"),
            "&lt;img src=x onerror=alert(1)&gt; <mark>pool</mark>"
        );
    }
}
