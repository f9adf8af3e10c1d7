//! The in-app inbox: notices addressed to an organisation, read per account.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, WriteTx};

/// A notice to an organisation about something that needs its action or
/// formally informs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotification {
    pub org_id: i64,
    /// What happened, e.g. `assessment.due`; the console words it.
    pub kind: String,
    /// What it is about, e.g. `demand` 7.
    pub subject_type: String,
    pub subject_id: i64,
    /// Details in the words of whoever acted (reasons, grounds).
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub notice: NewNotification,
    pub created_at_ms: i64,
    /// When the reading account read it.
    pub read_at_ms: Option<i64>,
}

pub(crate) fn notification(row: &AnyRow) -> Result<Notification, StoreError> {
    Ok(Notification {
        id: row.try_get("id")?,
        notice: NewNotification {
            org_id: row.try_get("org_id")?,
            kind: row.try_get("kind")?,
            subject_type: row.try_get("subject_type")?,
            subject_id: row.try_get("subject_id")?,
            message: row.try_get("message")?,
        },
        created_at_ms: row.try_get("created_at")?,
        read_at_ms: row.try_get("read_at")?,
    })
}

impl Store {
    /// The newest notices of `org_id`, as `account_id` has read them.
    pub async fn notifications(
        &self,
        org_id: i64,
        account_id: i64,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        sqlx::query(
            "SELECT n.*, r.read_at FROM notifications n LEFT JOIN notification_reads r \
             ON r.notification_id = n.id AND r.account_id = $2 \
             WHERE n.org_id = $1 ORDER BY n.id DESC LIMIT $3",
        )
        .bind(org_id)
        .bind(account_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(notification)
        .collect()
    }

    /// Whether a notice of `kind` about the subject was ever sent.
    pub async fn notified(
        &self,
        kind: &str,
        subject_type: &str,
        subject_id: i64,
    ) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE kind = $1 AND subject_type = $2 \
             AND subject_id = $3",
        )
        .bind(kind.to_owned())
        .bind(subject_type.to_owned())
        .bind(subject_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    pub async fn unread_notifications(
        &self,
        org_id: i64,
        account_id: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications n WHERE n.org_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id \
             AND r.account_id = $2)",
        )
        .bind(org_id)
        .bind(account_id)
        .fetch_one(&self.pool)
        .await?)
    }
}

impl WriteTx<'_> {
    /// Marks notices of `org_id` read by `account_id`: one, or all of them.
    pub async fn mark_notifications_read(
        &mut self,
        org_id: i64,
        account_id: i64,
        only: Option<i64>,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "INSERT INTO notification_reads (notification_id, account_id, read_at) \
             SELECT n.id, $2, $3 FROM notifications n WHERE n.org_id = $1 \
             AND ($4 = 0 OR n.id = $4) AND NOT EXISTS (SELECT 1 FROM notification_reads r \
             WHERE r.notification_id = n.id AND r.account_id = $2)",
        )
        .bind(org_id)
        .bind(account_id)
        .bind(now_ms)
        .bind(only.unwrap_or(0))
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected())
    }

    /// Stores a notice and queues it for each of the organisation's live
    /// webhooks, in this transaction.
    pub async fn notify(
        &mut self,
        notice: &NewNotification,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO notifications (org_id, kind, subject_type, subject_id, message, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(notice.org_id)
        .bind(notice.kind.clone())
        .bind(notice.subject_type.clone())
        .bind(notice.subject_id)
        .bind(notice.message.clone())
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await?;
        sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, notification_id, next_attempt_at) \
             SELECT id, $1, $2 FROM webhooks WHERE org_id = $3 AND disabled = 0",
        )
        .bind(id)
        .bind(now_ms)
        .bind(notice.org_id)
        .execute(&mut *self.tx)
        .await?;
        Ok(id)
    }
}
