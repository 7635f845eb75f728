//! Notifications: a comment on a user's note, or an `@mention` of them in a comment, until
//! they read it.

use sqlx::{Any, FromRow, Transaction};

use super::note_sql::visible;
use super::params::Params;
use super::{Result, Store};
use crate::model::{rfc3339, Millis, Notification};

#[derive(FromRow)]
struct NotificationRow {
    id: i64,
    kind: String,
    note_id: i64,
    note_title: String,
    comment_id: i64,
    excerpt: String,
    actor: Option<String>,
    created_at: i64,
    read_at: Option<i64>,
}

/// Who a new comment notifies: the user and why (`comment` or `mention`).
pub type Recipient = (i64, &'static str);

/// Records a comment's notifications in the transaction that adds it.
pub(super) async fn notify(
    tx: &mut Transaction<'_, Any>,
    note: i64,
    comment: i64,
    actor: i64,
    recipients: &[Recipient],
    now: Millis,
) -> Result<()> {
    for (user, kind) in recipients {
        sqlx::query(
            "INSERT INTO notifications (user_id, kind, note_id, comment_id, actor_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(user)
        .bind(*kind)
        .bind(note)
        .bind(comment)
        .bind(actor)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Users named by `@username` in a comment who can read `note` (its author always can;
    /// others only if it is public), other than the commenter.
    #[tracing::instrument(level = "debug", skip_all, fields(note = ?note))]
    pub async fn mentioned_readers(
        &self,
        note: i64,
        commenter: i64,
        usernames: &[String],
    ) -> Result<Vec<i64>> {
        if usernames.is_empty() {
            return Ok(Vec::new());
        }
        let mut p = Params::default();
        let names: Vec<String> = usernames
            .iter()
            .map(|u| format!("lower({})", p.text(u.clone())))
            .collect();
        let sql = format!(
            "SELECT u.id FROM users u JOIN notes n ON n.id = {} \
             WHERE lower(u.username) IN ({}) AND u.id <> {} \
             AND {} ORDER BY u.id",
            p.int(note),
            names.join(", "),
            p.int(commenter),
            visible("n", "u.id")
        );
        Ok(sqlx::query_scalar_with(&sql, p.into_args())
            .fetch_all(&self.pool)
            .await?)
    }

    /// The user's notifications, newest first, and how many are unread; only those on notes
    /// the user can still read (a note turned private takes its notifications with it).
    #[tracing::instrument(level = "debug", skip_all, fields(user = ?user))]
    pub async fn notifications(
        &self,
        user: i64,
        unread_only: bool,
        limit: i64,
    ) -> Result<(Vec<Notification>, i64)> {
        let rows: Vec<NotificationRow> = sqlx::query_as(&format!(
            "SELECT f.id, f.kind, f.note_id, n.title AS note_title, f.comment_id, \
             substr(c.body, 1, 200) AS excerpt, u.username AS actor, f.created_at, f.read_at \
             FROM notifications f JOIN notes n ON n.id = f.note_id \
             JOIN note_comments c ON c.id = f.comment_id \
             LEFT JOIN users u ON u.id = f.actor_id \
             WHERE f.user_id = $1 AND (NOT $2 OR f.read_at IS NULL) \
             AND {} ORDER BY f.id DESC LIMIT $3",
            visible("n", "$1")
        ))
        .bind(user)
        .bind(unread_only)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let unread: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM notifications f JOIN notes n ON n.id = f.note_id \
             WHERE f.user_id = $1 AND f.read_at IS NULL AND {}",
            visible("n", "$1")
        ))
        .bind(user)
        .fetch_one(&self.pool)
        .await?;
        let items = rows
            .into_iter()
            .map(|r| Notification {
                id: r.id,
                kind: r.kind,
                note_id: r.note_id,
                note_title: r.note_title,
                comment_id: r.comment_id,
                excerpt: r.excerpt,
                actor: r.actor,
                created_at: rfc3339(r.created_at),
                read: r.read_at.is_some(),
            })
            .collect();
        Ok((items, unread))
    }

    /// Marks the user's notifications read: those listed, or all when `ids` is empty.
    /// Returns how many changed.
    #[tracing::instrument(level = "debug", skip_all, fields(user = ?user))]
    pub async fn mark_notifications_read(
        &self,
        user: i64,
        ids: &[i64],
        now: Millis,
    ) -> Result<u64> {
        let mut p = Params::default();
        let mut sql = format!(
            "UPDATE notifications SET read_at = {} WHERE user_id = {} AND read_at IS NULL",
            p.int(now),
            p.int(user)
        );
        if !ids.is_empty() {
            sql.push_str(&format!(" AND id IN ({})", p.ints(ids)));
        }
        Ok(sqlx::query_with(&sql, p.into_args())
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
