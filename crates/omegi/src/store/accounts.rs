//! Users and their server-side sessions.

use sqlx::FromRow;

use super::params::escape_like;
use super::{conflict, found, stored, Result, Store, StoreError};
use crate::model::{rfc3339, Millis, User, UserRole};

#[derive(FromRow)]
struct UserRow {
    id: i64,
    username: String,
    role: String,
    github_id: Option<i64>,
    created_at: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(r: UserRow) -> Result<User> {
        Ok(User {
            role: stored(UserRole::parse(&r.role), "user role", &r.role)?,
            id: r.id,
            username: r.username,
            github: r.github_id.is_some(),
            created_at: rfc3339(r.created_at),
        })
    }
}

const USER_COLUMNS: &str = "id, username, role, github_id, created_at";

/// What a new account is created with.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: Option<&'a str>,
    pub github_id: Option<i64>,
    /// Forces the admin role; otherwise only the very first account is admin.
    pub admin: bool,
}

impl Store {
    /// Creates an account; the first account of an installation is the admin.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_user(&self, new: NewUser<'_>, now: Millis) -> Result<User> {
        let sql = format!(
            "INSERT INTO users (username, password_hash, github_id, role, created_at) \
             SELECT $1, $2, $3, CASE WHEN $4 = 1 OR NOT EXISTS (SELECT 1 FROM users) \
             THEN 'admin' ELSE 'user' END, $5 RETURNING {USER_COLUMNS}"
        );
        let row: UserRow = sqlx::query_as(&sql)
            .bind(new.username)
            .bind(new.password_hash)
            .bind(new.github_id)
            .bind(i64::from(new.admin))
            .bind(now)
            .fetch_one(&self.pool)
            .await
            .map_err(conflict(format!(
                "the username {:?} is already taken",
                new.username
            )))?;
        row.try_into()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
    pub async fn user(&self, id: i64) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        found(row)?.try_into()
    }

    /// The account and its password hash, by case-insensitive username.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn user_with_password(&self, username: &str) -> Result<(User, Option<String>)> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE lower(username) = lower($1)"
        );
        let row: Option<(UserRow, Option<String>)> = sqlx::query(&sql)
            .bind(username)
            .try_map(|r: sqlx::any::AnyRow| {
                use sqlx::Row;
                Ok((UserRow::from_row(&r)?, r.try_get("password_hash")?))
            })
            .fetch_optional(&self.pool)
            .await?;
        let (user, hash) = found(row)?;
        Ok((user.try_into()?, hash))
    }

    /// Replaces an account's password hash.
    #[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
    pub async fn set_password_hash(&self, id: i64, hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn user_by_username(&self, username: &str) -> Result<User> {
        self.user_with_password(username).await.map(|(u, _)| u)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn user_by_github_id(&self, github_id: i64) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE github_id = $1");
        let row: Option<UserRow> = sqlx::query_as(&sql)
            .bind(github_id)
            .fetch_optional(&self.pool)
            .await?;
        found(row)?.try_into()
    }

    /// Accounts whose name starts with `prefix`, for pickers (e.g. adding a member).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn search_users(&self, prefix: &str, limit: i64) -> Result<Vec<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE lower(username) LIKE $1 ESCAPE '\\' \
             ORDER BY lower(username) LIMIT $2"
        );
        let pattern = format!("{}%", escape_like(&prefix.to_lowercase()));
        let rows: Vec<UserRow> = sqlx::query_as(&sql)
            .bind(pattern)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(User::try_from).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn user_count(&self) -> Result<i64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    /// Stores a session by the hash of its cookie value; expired sessions are swept here.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: Millis,
        expires_at: Millis,
    ) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user of a live session; expired or deleted sessions are not found.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn session_user(&self, token_hash: &str, now: Millis) -> Result<User> {
        let sql = "SELECT u.id, u.username, u.role, u.github_id, u.created_at \
                   FROM sessions s JOIN users u ON u.id = s.user_id \
                   WHERE s.token_hash = $1 AND s.expires_at > $2";
        let row: Option<UserRow> = sqlx::query_as(sql)
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        found(row)?.try_into()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
