//! Sentry DSN keys. The public key is stored as it is: Sentry SDKs send it in the clear, and
//! browser SDKs publish it, so it identifies a service rather than proving a secret.

use sqlx::FromRow;

use super::{found, touched, Result, Store};
use crate::model::Millis;

/// A key as stored; the DSN is made from it by whoever knows the public address.
#[derive(Clone, Debug, FromRow)]
pub struct SentryKeyRow {
    pub id: i64,
    pub service_id: i64,
    pub public_key: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// Whom a DSN key speaks for.
#[derive(Clone, Debug, FromRow)]
pub struct SentryKeyOwner {
    pub key_id: i64,
    pub project_id: i64,
    pub service_id: i64,
    pub service_name: String,
}

const COLUMNS: &str = "id, service_id, public_key, created_at, last_used_at";

impl Store {
    #[tracing::instrument(level = "debug", skip_all, fields(service = ?service))]
    pub async fn create_sentry_key(
        &self,
        service: i64,
        public_key: &str,
        created_by: i64,
        now: Millis,
    ) -> Result<SentryKeyRow> {
        Ok(sqlx::query_as(&format!(
            "INSERT INTO sentry_keys (service_id, public_key, created_by, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
        ))
        .bind(service)
        .bind(public_key)
        .bind(created_by)
        .bind(now)
        .fetch_one(&self.pool)
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(service = ?service))]
    pub async fn sentry_keys(&self, service: i64) -> Result<Vec<SentryKeyRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM sentry_keys WHERE service_id = $1 ORDER BY id"
        ))
        .bind(service)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Revokes a key: it is deleted, so SDKs using its DSN are refused from then on.
    #[tracing::instrument(level = "debug", skip_all, fields(service = ?service, key = ?key))]
    pub async fn delete_sentry_key(&self, service: i64, key: i64) -> Result<()> {
        touched(
            sqlx::query("DELETE FROM sentry_keys WHERE service_id = $1 AND id = $2")
                .bind(service)
                .bind(key)
                .execute(&self.pool)
                .await?,
        )?;
        Ok(())
    }

    /// The project and service of a public key, or [`StoreError::NotFound`].
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn sentry_key_owner(&self, public_key: &str) -> Result<SentryKeyOwner> {
        let row: Option<SentryKeyOwner> = sqlx::query_as(
            "SELECT k.id AS key_id, s.project_id, k.service_id, s.name AS service_name \
             FROM sentry_keys k JOIN services s ON s.id = k.service_id WHERE k.public_key = $1",
        )
        .bind(public_key)
        .fetch_optional(&self.pool)
        .await?;
        found(row)
    }

    /// Records that a key was used; callers throttle this so it is not a write per event.
    #[tracing::instrument(level = "debug", skip_all, fields(key = ?key))]
    pub async fn touch_sentry_key(&self, key: i64, now: Millis) -> Result<()> {
        sqlx::query("UPDATE sentry_keys SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
