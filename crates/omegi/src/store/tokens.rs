//! Ingest tokens. Only a SHA-256 of each token is stored: tokens are long random secrets,
//! so a fast hash is enough and lets ingestion look a token up on every request.

use sqlx::FromRow;

use super::{found, touched, Result, Store};
use crate::model::{rfc3339, IngestToken, Millis};

#[derive(FromRow)]
struct TokenRow {
    id: i64,
    service_id: i64,
    prefix: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl From<TokenRow> for IngestToken {
    fn from(r: TokenRow) -> IngestToken {
        IngestToken {
            id: r.id,
            service_id: r.service_id,
            prefix: r.prefix,
            created_at: rfc3339(r.created_at),
            last_used_at: r.last_used_at.map(rfc3339),
        }
    }
}

/// Whom an ingest token speaks for.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct TokenOwner {
    pub token_id: i64,
    pub project_id: i64,
    pub service_id: i64,
    /// Spans that name no service of their own are stored under this one.
    pub service_name: String,
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all, fields(service = ?service))]
    pub async fn create_token(
        &self,
        service: i64,
        prefix: &str,
        token_hash: &str,
        created_by: i64,
        now: Millis,
    ) -> Result<IngestToken> {
        let row: TokenRow = sqlx::query_as(
            "INSERT INTO ingest_tokens (service_id, prefix, token_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, service_id, prefix, created_at, last_used_at",
        )
        .bind(service)
        .bind(prefix)
        .bind(token_hash)
        .bind(created_by)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.into())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(service = ?service))]
    pub async fn tokens(&self, service: i64) -> Result<Vec<IngestToken>> {
        let rows: Vec<TokenRow> = sqlx::query_as(
            "SELECT id, service_id, prefix, created_at, last_used_at FROM ingest_tokens \
             WHERE service_id = $1 ORDER BY id",
        )
        .bind(service)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(IngestToken::from).collect())
    }

    /// Revokes a token: it is deleted, so it no longer authenticates anything.
    #[tracing::instrument(level = "debug", skip_all, fields(service = ?service, token = ?token))]
    pub async fn delete_token(&self, service: i64, token: i64) -> Result<()> {
        touched(
            sqlx::query("DELETE FROM ingest_tokens WHERE service_id = $1 AND id = $2")
                .bind(service)
                .bind(token)
                .execute(&self.pool)
                .await?,
        )?;
        Ok(())
    }

    /// The project and service a token belongs to, or [`StoreError::NotFound`].
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn token_owner(&self, token_hash: &str) -> Result<TokenOwner> {
        let row: Option<TokenOwner> = sqlx::query_as(
            "SELECT t.id AS token_id, s.project_id, t.service_id, s.name AS service_name \
             FROM ingest_tokens t \
             JOIN services s ON s.id = t.service_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        found(row)
    }

    /// Records that a token was used; callers throttle this so it is not a write per request.
    #[tracing::instrument(level = "debug", skip_all, fields(token = ?token))]
    pub async fn touch_token(&self, token: i64, now: Millis) -> Result<()> {
        sqlx::query("UPDATE ingest_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(token)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Store {
    /// The project and service names a token speaks for.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn token_names(&self, owner: &TokenOwner) -> Result<(String, String)> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT p.name, s.name FROM services s JOIN projects p ON p.id = s.project_id \
             WHERE s.id = $1",
        )
        .bind(owner.service_id)
        .fetch_optional(&self.pool)
        .await?;
        found(row)
    }
}
