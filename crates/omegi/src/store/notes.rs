//! Notes: writing them (with revisions, tags and `[[wikilinks]]`), links, comments, and
//! reading them as a given viewer — a private note exists only for its author.

use std::collections::HashMap;

use sqlx::{Any, FromRow, Transaction};

use super::note_sql::{mark_html, summary_select, visible};
use super::notifications::{notify, Recipient};
use super::params::{escape_like, Params};
use super::{decode_json, found, stored, touched, Result, Store, StoreError};
use crate::model::{
    inline_tags, rfc3339, wikilinks, Comment, Millis, Note, NoteKind, NoteRef, NoteSummary,
    Revision, Visibility, WikiLink,
};

/// What a note is written with.
#[derive(Debug, PartialEq)]
pub struct NoteInput {
    pub title: String,
    pub body: String,
    pub kind: NoteKind,
    pub error_id: Option<i64>,
    pub occurrence_id: Option<i64>,
    pub tags: Vec<String>,
    pub visibility: Visibility,
}

impl NoteInput {
    /// What `note` is written with now: its given tags, not the `#tags` of its body.
    pub fn of(note: &Note) -> NoteInput {
        NoteInput {
            title: note.summary.title.clone(),
            body: note.body.clone(),
            kind: note.summary.kind,
            error_id: note.summary.error_id,
            occurrence_id: note.summary.occurrence_id,
            tags: note.given_tags(),
            visibility: note.summary.visibility,
        }
    }
}

#[derive(FromRow)]
struct SummaryRow {
    id: i64,
    title: String,
    kind: String,
    visibility: String,
    author_id: i64,
    author: String,
    error_id: Option<i64>,
    occurrence_id: Option<i64>,
    revision: i64,
    created_at: i64,
    updated_at: i64,
    link_count: i64,
    backlink_count: i64,
    comment_count: i64,
    /// Present in searches: the matching passage with match marks.
    #[sqlx(default)]
    snippet: Option<String>,
}

#[derive(FromRow)]
struct RefRow {
    id: i64,
    title: String,
    author: String,
    visibility: String,
    kind: String,
    label: String,
}

#[derive(FromRow)]
struct CommentRow {
    id: i64,
    note_id: i64,
    author_id: i64,
    author: String,
    body: String,
    created_at: i64,
    updated_at: i64,
}

impl From<CommentRow> for Comment {
    fn from(r: CommentRow) -> Comment {
        Comment {
            id: r.id,
            note_id: r.note_id,
            author_id: r.author_id,
            author: r.author,
            body: r.body,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all, fields(author = ?author))]
    pub async fn create_note(&self, author: i64, input: &NoteInput, now: Millis) -> Result<i64> {
        let mut tx = self.write().await?;
        let id = insert_note(&mut tx, author, input, now).await?;
        tx.commit().await?;
        self.after_note_saved(input).await;
        Ok(id)
    }

    /// Derived data a saved note needs outside its transaction: the features of the error
    /// it is on, which "solved before?" compares other errors with. The note is saved
    /// whatever happens here: a failure is logged, and start-up fills in what is missing.
    pub(super) async fn after_note_saved(&self, input: &NoteInput) {
        if let Some(error) = input.error_id {
            self.refresh_features_or_log(error).await;
        }
    }

    /// Replaces a note's content, keeping what it was as a revision.
    #[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
    pub async fn update_note(&self, id: i64, input: &NoteInput, now: Millis) -> Result<()> {
        let mut tx = self.write().await?;
        update_note(&mut tx, self.backend, id, input, now).await?;
        tx.commit().await?;
        self.after_note_saved(input).await;
        Ok(())
    }
    /// Deletes a note with its links both ways, comments, tags and revisions.
    #[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
    pub async fn delete_note(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM notes WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The note's author, for edit rights; NotFound if the viewer cannot see it.
    #[tracing::instrument(level = "debug", skip_all, fields(viewer = ?viewer, id = ?id))]
    pub async fn note_author(&self, viewer: i64, id: i64) -> Result<i64> {
        let sql = format!(
            "SELECT n.author_id FROM notes n WHERE n.id = $2 AND {}",
            visible("n", "$1")
        );
        let author: Option<i64> = sqlx::query_scalar(&sql)
            .bind(viewer)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        found(author)
    }

    /// Summaries for the ids in `where_sql` (a condition on `n`), as the viewer sees them.
    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn summaries(&self, sql: String, p: Params) -> Result<Vec<NoteSummary>> {
        let rows: Vec<SummaryRow> = sqlx::query_as_with(&sql, p.into_args())
            .fetch_all(&self.pool)
            .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut tags = self.tags_of_notes(&ids).await?;
        rows.into_iter()
            .map(|r| {
                Ok(NoteSummary {
                    kind: stored(NoteKind::parse(&r.kind), "note kind", &r.kind)?,
                    visibility: stored(
                        Visibility::parse(&r.visibility),
                        "visibility",
                        &r.visibility,
                    )?,
                    tags: tags.remove(&r.id).unwrap_or_default(),
                    id: r.id,
                    title: r.title,
                    author_id: r.author_id,
                    author: r.author,
                    error_id: r.error_id,
                    occurrence_id: r.occurrence_id,
                    revision: r.revision,
                    created_at: rfc3339(r.created_at),
                    updated_at: rfc3339(r.updated_at),
                    link_count: r.link_count,
                    backlink_count: r.backlink_count,
                    comment_count: r.comment_count,
                    snippet_html: r.snippet.as_deref().map(mark_html),
                })
            })
            .collect()
    }

    async fn tags_of_notes(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
        let mut map: HashMap<i64, Vec<String>> = HashMap::new();
        for chunk in ids.chunks(500) {
            let mut p = Params::default();
            let list = p.ints(chunk);
            let sql = format!(
                "SELECT note_id, tag FROM note_tags WHERE note_id IN ({}) ORDER BY tag",
                list
            );
            let rows: Vec<(i64, String)> = sqlx::query_as_with(&sql, p.into_args())
                .fetch_all(&self.pool)
                .await?;
            for (id, tag) in rows {
                map.entry(id).or_default().push(tag);
            }
        }
        Ok(map)
    }

    /// A whole note as `viewer` sees it: links and backlinks only to notes they can see.
    #[tracing::instrument(level = "debug", skip_all, fields(viewer = ?viewer, id = ?id))]
    pub async fn note_for(&self, viewer: i64, id: i64) -> Result<Note> {
        let mut p = Params::default();
        let v = p.int(viewer);
        let sql = format!("{} AND n.id = {}", summary_select(&v), p.int(id));
        let summary = found(self.summaries(sql, p).await?.pop())?;
        let body: String = sqlx::query_scalar("SELECT body FROM notes WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        let links = self.note_refs(viewer, id, true).await?;
        let backlinks = self.note_refs(viewer, id, false).await?;
        let wikilinks = self.resolve_wikilinks(viewer, &body, &links).await?;
        let inline_tags = sqlx::query_scalar(
            "SELECT tag FROM note_tags WHERE note_id = $1 AND inline = 1 ORDER BY tag",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Note {
            summary,
            body,
            links,
            backlinks,
            unresolved_links: wikilinks
                .iter()
                .filter(|w| w.id.is_none())
                .map(|w| w.label.clone())
                .collect(),
            wikilinks,
            inline_tags,
        })
    }

    /// Each `[[label]]` of `body` with the note it opens for `viewer`: the note it is linked
    /// to (among `links`, those the viewer can read), else the viewer's readable note of that
    /// title, their own first.
    async fn resolve_wikilinks(
        &self,
        viewer: i64,
        body: &str,
        links: &[NoteRef],
    ) -> Result<Vec<WikiLink>> {
        let labels = wikilinks(body);
        let linked = |label: &str| {
            links
                .iter()
                .find(|l| {
                    l.label
                        .as_deref()
                        .is_some_and(|k| k.eq_ignore_ascii_case(label))
                })
                .map(|l| l.id)
        };
        let unlinked: Vec<String> = labels
            .iter()
            .filter(|l| linked(l).is_none())
            .map(|l| l.to_lowercase())
            .collect();
        let by_title = self.readable_notes_titled(viewer, &unlinked).await?;
        Ok(labels
            .into_iter()
            .map(|label| WikiLink {
                id: linked(&label).or_else(|| by_title.get(&label.to_lowercase()).copied()),
                label,
            })
            .collect())
    }

    async fn note_refs(&self, viewer: i64, id: i64, outgoing: bool) -> Result<Vec<NoteRef>> {
        let (near, far) = if outgoing {
            ("source_id", "target_id")
        } else {
            ("target_id", "source_id")
        };
        let sql = format!(
            "SELECT o.id, o.title, u.username AS author, o.visibility, l.kind, l.label \
             FROM note_links l JOIN notes o ON o.id = l.{far} JOIN users u ON u.id = o.author_id \
             WHERE l.{near} = $2 AND {} ORDER BY lower(o.title), l.kind",
            visible("o", "$1")
        );
        let rows: Vec<RefRow> = sqlx::query_as(&sql)
            .bind(viewer)
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(NoteRef {
                    visibility: stored(
                        Visibility::parse(&r.visibility),
                        "visibility",
                        &r.visibility,
                    )?,
                    id: r.id,
                    title: r.title,
                    author: r.author,
                    label: (r.kind == "wikilink").then_some(r.label),
                    via: r.kind,
                })
            })
            .collect()
    }

    /// Adds a hand-made link; adding it again changes nothing.
    #[tracing::instrument(level = "debug", skip_all, fields(source = ?source, target = ?target))]
    pub async fn add_link(&self, source: i64, target: i64, now: Millis) -> Result<()> {
        sqlx::query(
            "INSERT INTO note_links (source_id, target_id, kind, label, created_at) \
             VALUES ($1, $2, 'manual', '', $3) ON CONFLICT DO NOTHING",
        )
        .bind(source)
        .bind(target)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The `[[labels]]` of `source`'s body that are links to `target`.
    #[tracing::instrument(level = "debug", skip_all, fields(source = ?source, target = ?target))]
    pub async fn link_labels(&self, source: i64, target: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT label FROM note_links WHERE source_id = $1 AND target_id = $2 \
             AND kind = 'wikilink' ORDER BY label",
        )
        .bind(source)
        .bind(target)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Removes every link from `source` to `target`; NotFound if there was none.
    #[tracing::instrument(level = "debug", skip_all, fields(source = ?source, target = ?target))]
    pub async fn remove_link(&self, source: i64, target: i64) -> Result<()> {
        touched(
            sqlx::query("DELETE FROM note_links WHERE source_id = $1 AND target_id = $2")
                .bind(source)
                .bind(target)
                .execute(&self.pool)
                .await?,
        )?;
        Ok(())
    }

    /// A note's earlier versions, newest first. A version saved while the note was private is
    /// its author's alone, even after the note turned public.
    #[tracing::instrument(level = "debug", skip_all, fields(note = ?note))]
    pub async fn revisions(&self, note: i64, viewer_is_author: bool) -> Result<Vec<Revision>> {
        self.revisions_matching(note, viewer_is_author, None).await
    }

    /// One earlier version of a note, under the same rule as [`Store::revisions`].
    #[tracing::instrument(level = "debug", skip_all, fields(note = ?note, revision = ?revision))]
    pub async fn revision(
        &self,
        note: i64,
        viewer_is_author: bool,
        revision: i64,
    ) -> Result<Revision> {
        found(
            self.revisions_matching(note, viewer_is_author, Some(revision))
                .await?
                .pop(),
        )
    }

    async fn revisions_matching(
        &self,
        note: i64,
        viewer_is_author: bool,
        only: Option<i64>,
    ) -> Result<Vec<Revision>> {
        let sql = format!(
            "SELECT revision, title, body, {}, visibility, saved_at FROM note_revisions \
             WHERE note_id = $1 AND ($2 OR visibility = 'public'){} ORDER BY revision DESC",
            self.backend.json_column("tags"),
            if only.is_some() {
                " AND revision = $3"
            } else {
                ""
            }
        );
        let mut query = sqlx::query_as(&sql).bind(note).bind(viewer_is_author);
        if let Some(revision) = only {
            query = query.bind(revision);
        }
        let rows: Vec<(i64, String, String, String, String, i64)> =
            query.fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|(revision, title, body, tags, visibility, saved_at)| {
                Ok(Revision {
                    tags: decode_json(&tags, format_args!("note {note} revision {revision} tags"))?,
                    visibility: stored(Visibility::parse(&visibility), "visibility", &visibility)?,
                    revision,
                    title,
                    body,
                    saved_at: rfc3339(saved_at),
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(note = ?note))]
    pub async fn comments(&self, note: i64) -> Result<Vec<Comment>> {
        let rows: Vec<CommentRow> = sqlx::query_as(
            "SELECT c.id, c.note_id, c.author_id, u.username AS author, c.body, c.created_at, \
             c.updated_at FROM note_comments c JOIN users u ON u.id = c.author_id \
             WHERE c.note_id = $1 ORDER BY c.id",
        )
        .bind(note)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Comment::from).collect())
    }

    /// Adds a comment and the notifications it causes, in one transaction.
    #[tracing::instrument(level = "debug", skip_all, fields(note = ?note, author = ?author))]
    pub async fn add_comment(
        &self,
        note: i64,
        author: i64,
        body: &str,
        recipients: &[Recipient],
        now: Millis,
    ) -> Result<i64> {
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO note_comments (note_id, author_id, body, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(note)
        .bind(author)
        .bind(body)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        notify(&mut tx, note, id, author, recipients, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A comment with the note it is on, if `viewer` can see that note.
    #[tracing::instrument(level = "debug", skip_all, fields(viewer = ?viewer, id = ?id))]
    pub async fn comment_for(&self, viewer: i64, id: i64) -> Result<Comment> {
        let sql = format!(
            "SELECT c.id, c.note_id, c.author_id, u.username AS author, c.body, c.created_at, \
             c.updated_at FROM note_comments c JOIN users u ON u.id = c.author_id \
             JOIN notes n ON n.id = c.note_id WHERE c.id = $2 AND {}",
            visible("n", "$1")
        );
        let row: Option<CommentRow> = sqlx::query_as(&sql)
            .bind(viewer)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        found(row).map(Comment::from)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
    pub async fn update_comment(&self, id: i64, body: &str, now: Millis) -> Result<()> {
        sqlx::query("UPDATE note_comments SET body = $1, updated_at = $2 WHERE id = $3")
            .bind(body)
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
    pub async fn delete_comment(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM note_comments WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Tags of the notes `viewer` can see, with how many notes carry each.
    #[tracing::instrument(level = "debug", skip_all, fields(viewer = ?viewer))]
    pub async fn tags_for(&self, viewer: i64) -> Result<Vec<(String, i64)>> {
        let sql = format!(
            "SELECT t.tag, COUNT(*) AS n FROM note_tags t JOIN notes n ON n.id = t.note_id \
             WHERE {} GROUP BY t.tag ORDER BY n DESC, t.tag",
            visible("n", "$1")
        );
        Ok(sqlx::query_as(&sql)
            .bind(viewer)
            .fetch_all(&self.pool)
            .await?)
    }
}

/// Inserts a note with its tags and links in `tx`.
pub(super) async fn insert_note(
    tx: &mut Transaction<'_, Any>,
    author: i64,
    input: &NoteInput,
    now: Millis,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notes (author_id, title, body, kind, error_id, occurrence_id, visibility, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(author)
    .bind(&input.title)
    .bind(&input.body)
    .bind(input.kind.as_str())
    .bind(input.error_id)
    .bind(input.occurrence_id)
    .bind(input.visibility.as_str())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    derive_from_note(tx, id, author, input, now).await?;
    Ok(id)
}

/// Replaces a note's content in `tx`, keeping what it was as a revision.
pub(super) async fn update_note(
    tx: &mut Transaction<'_, Any>,
    backend: super::Backend,
    id: i64,
    input: &NoteInput,
    now: Millis,
) -> Result<()> {
    // Counting the revision up first locks the note's row (PostgreSQL; SQLite's write
    // transaction is exclusive anyway), so concurrent edits queue instead of both saving
    // the same revision number.
    let (author, revision): (i64, i64) = sqlx::query_as(
        "UPDATE notes SET revision = revision + 1 WHERE id = $1 RETURNING author_id, revision",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let sql = format!(
        "INSERT INTO note_revisions (note_id, revision, title, body, tags, visibility, saved_at) \
         SELECT n.id, $4, n.title, n.body, {}, n.visibility, $3 FROM notes n WHERE n.id = $1",
        backend.json_param("$2")
    );
    sqlx::query(&sql)
        .bind(id)
        .bind(serde_json::to_string(&tags_of(tx, id).await?).unwrap_or_default())
        .bind(now)
        .bind(revision - 1)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE notes SET title = $1, body = $2, kind = $3, error_id = $4, occurrence_id = $5, \
         visibility = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(&input.title)
    .bind(&input.body)
    .bind(input.kind.as_str())
    .bind(input.error_id)
    .bind(input.occurrence_id)
    .bind(input.visibility.as_str())
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    derive_from_note(tx, id, author, input, now).await
}

/// What a saved note's content makes in `tx`: its tags (listed and inline), its
/// `[[wikilinks]]`, and the links of notes that waited for its title.
async fn derive_from_note(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    author: i64,
    input: &NoteInput,
    now: Millis,
) -> Result<()> {
    set_tags(tx, id, &input.tags, &input.body).await?;
    sync_wikilinks(tx, id, author, &input.body, now).await?;
    link_waiting_notes(tx, id, author, input, now).await?;
    Ok(())
}

async fn tags_of(tx: &mut Transaction<'_, Any>, note: i64) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT tag FROM note_tags WHERE note_id = $1 ORDER BY tag")
            .bind(note)
            .fetch_all(&mut **tx)
            .await?,
    )
}

/// The note's tags: those given with it, and the `#tags` of its body (marked inline; a tag
/// that is both counts as given).
async fn set_tags(
    tx: &mut Transaction<'_, Any>,
    note: i64,
    tags: &[String],
    body: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM note_tags WHERE note_id = $1")
        .bind(note)
        .execute(&mut **tx)
        .await?;
    let inline = inline_tags(body);
    let all = tags
        .iter()
        .map(|t| (t, 0))
        .chain(inline.iter().map(|t| (t, 1)));
    for (tag, is_inline) in all {
        sqlx::query(
            "INSERT INTO note_tags (note_id, tag, inline) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(note)
        .bind(tag)
        .bind(is_inline)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Makes the note's wikilinks match the `[[labels]]` of its body. A label already linked
/// keeps its link — so renaming the target does not break it — and a new label links to the
/// note of that title the author can link to (their own first). Labels gone from the body
/// lose their link.
async fn sync_wikilinks(
    tx: &mut Transaction<'_, Any>,
    note: i64,
    author: i64,
    body: &str,
    now: Millis,
) -> Result<()> {
    let labels = wikilinks(body);
    let existing: Vec<String> = sqlx::query_scalar(
        "SELECT label FROM note_links WHERE source_id = $1 AND kind = 'wikilink'",
    )
    .bind(note)
    .fetch_all(&mut **tx)
    .await?;
    for old in &existing {
        if !labels.iter().any(|l| l.eq_ignore_ascii_case(old)) {
            sqlx::query(
                "DELETE FROM note_links WHERE source_id = $1 AND kind = 'wikilink' AND label = $2",
            )
            .bind(note)
            .bind(old)
            .execute(&mut **tx)
            .await?;
        }
    }
    for label in labels {
        if existing.iter().any(|l| l.eq_ignore_ascii_case(&label)) {
            continue;
        }
        let sql = format!(
            "SELECT n.id FROM notes n WHERE lower(n.title) = lower($1) AND n.id <> $2 AND {} \
             ORDER BY CASE WHEN n.author_id = $3 THEN 0 ELSE 1 END, n.id LIMIT 1",
            visible("n", "$3")
        );
        let target: Option<i64> = sqlx::query_scalar(&sql)
            .bind(&label)
            .bind(note)
            .bind(author)
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(target) = target {
            insert_wikilink(tx, note, target, &label, now).await?;
        }
    }
    Ok(())
}

/// Links notes that were waiting for this one: their body has `[[title]]` with no link for
/// it yet (written before this note existed or had this title). Only where the source's
/// author could have linked it: the note is public, or both are theirs.
async fn link_waiting_notes(
    tx: &mut Transaction<'_, Any>,
    note: i64,
    author: i64,
    input: &NoteInput,
    now: Millis,
) -> Result<()> {
    let pattern = format!("%[[%{}%", escape_like(&input.title.to_lowercase()));
    let candidates: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT id, author_id, body FROM notes WHERE id <> $1 AND lower(body) LIKE $2 ESCAPE '\\'",
    )
    .bind(note)
    .bind(pattern)
    .fetch_all(&mut **tx)
    .await?;
    for (source, source_author, body) in candidates {
        if input.visibility == Visibility::Private && source_author != author {
            continue;
        }
        let Some(label) = wikilinks(&body)
            .into_iter()
            .find(|l| l.eq_ignore_ascii_case(&input.title))
        else {
            continue;
        };
        let linked: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM note_links WHERE source_id = $1 AND kind = 'wikilink' AND lower(label) = lower($2)",
        )
        .bind(source)
        .bind(&label)
        .fetch_optional(&mut **tx)
        .await?;
        if linked.is_none() {
            insert_wikilink(tx, source, note, &label, now).await?;
        }
    }
    Ok(())
}

/// Records that `[[label]]` in `source`'s body links to `target`.
async fn insert_wikilink(
    tx: &mut Transaction<'_, Any>,
    source: i64,
    target: i64,
    label: &str,
    now: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO note_links (source_id, target_id, kind, label, created_at) \
         VALUES ($1, $2, 'wikilink', $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(source)
    .bind(target)
    .bind(label)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
