//! Outbound webhooks and their delivery queue.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::notifications::{Notification, notification};
use crate::{Store, StoreError, WriteTx};

/// An organisation's webhook. `Debug` leaves the sealed secret out.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: i64,
    pub org_id: i64,
    pub url: String,
    pub sealed_secret: String,
    pub master_key_id: String,
    pub created_at_ms: i64,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Webhook({} of org {}: {})",
            self.id, self.org_id, self.url
        )
    }
}

/// A notice waiting to be posted to a webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingDelivery {
    pub id: i64,
    pub webhook: Webhook,
    pub notification: Notification,
    pub attempts: i64,
}

fn webhook(row: &AnyRow) -> Result<Webhook, StoreError> {
    Ok(Webhook {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        url: row.try_get("url")?,
        sealed_secret: row.try_get("sealed_secret")?,
        master_key_id: row.try_get("master_key_id")?,
        created_at_ms: row.try_get("created_at")?,
    })
}

impl Store {
    /// Live webhooks: one organisation's, or all.
    pub async fn webhooks(&self, org_id: Option<i64>) -> Result<Vec<Webhook>, StoreError> {
        sqlx::query(
            "SELECT * FROM webhooks WHERE disabled = 0 AND ($1 = 0 OR org_id = $1) ORDER BY id",
        )
        .bind(org_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(webhook)
        .collect()
    }

    /// Deliveries due at `now_ms`, oldest first.
    pub async fn due_webhook_deliveries(
        &self,
        now_ms: i64,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.id AS delivery_id, d.attempts, d.webhook_id, d.notification_id \
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.delivered_at IS NULL AND d.next_attempt_at <= $1 AND w.disabled = 0 \
             ORDER BY d.id LIMIT $2",
        )
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let hook = sqlx::query("SELECT * FROM webhooks WHERE id = $1")
                .bind(row.try_get::<i64, _>("webhook_id")?)
                .fetch_one(&self.pool)
                .await?;
            let notice = sqlx::query(
                "SELECT n.*, CAST(NULL AS BIGINT) AS read_at FROM notifications n WHERE n.id = $1",
            )
            .bind(row.try_get::<i64, _>("notification_id")?)
            .fetch_one(&self.pool)
            .await?;
            out.push(PendingDelivery {
                id: row.try_get("delivery_id")?,
                webhook: webhook(&hook)?,
                notification: notification(&notice)?,
                attempts: row.try_get("attempts")?,
            });
        }
        Ok(out)
    }

    /// Records one attempt: delivered, or the next try at `retry_at_ms`
    /// (None gives up). Bookkeeping of the queue, not a ledgered change.
    pub async fn record_webhook_attempt(
        &self,
        id: i64,
        status: &str,
        delivered_at_ms: Option<i64>,
        retry_at_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $1, \
             delivered_at = $2, next_attempt_at = COALESCE($3, next_attempt_at) WHERE id = $4",
        )
        .bind(status.to_owned())
        .bind(delivered_at_ms)
        .bind(
            retry_at_ms
                .or(delivered_at_ms.map(|_| i64::MAX))
                .unwrap_or(i64::MAX),
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

impl WriteTx<'_> {
    pub async fn insert_webhook(
        &mut self,
        org_id: i64,
        url: &str,
        sealed_secret: &str,
        master_key_id: &str,
        created_by: Option<i64>,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO webhooks (org_id, url, sealed_secret, master_key_id, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(org_id)
        .bind(url.to_owned())
        .bind(sealed_secret.to_owned())
        .bind(master_key_id.to_owned())
        .bind(created_by)
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Turns one of the organisation's webhooks off.
    pub async fn disable_webhook(&mut self, org_id: i64, id: i64) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE webhooks SET disabled = 1 WHERE id = $1 AND org_id = $2 AND disabled = 0",
        )
        .bind(id)
        .bind(org_id)
        .execute(&mut *self.tx)
        .await?;
        crate::accounts::found(done.rows_affected(), "webhook", id)
    }
}
