//! Consulting work orders (Art. 5) and usage feedback (Art. 15).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::products::{IN_SCOPE, UseScope};
use crate::{Store, StoreError, WriteTx, by_id};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsultingOrder {
    pub id: i64,
    pub product_id: i64,
    pub user_org_id: i64,
    pub opened_by: Option<i64>,
    pub subject: String,
    /// open, answered or closed.
    pub status: String,
    /// The data use agreement the order was opened under.
    pub agreement_id: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A file sealed under the master key. `Debug` leaves the sealed bytes out.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedFile {
    pub file_name: String,
    pub byte_size: i64,
    /// SM3 of the plaintext, hex.
    pub digest: String,
    /// Hex of what the master key sealed.
    pub sealed: String,
    pub master_key_id: String,
}

impl std::fmt::Debug for SealedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SealedFile({}, {} bytes)",
            self.file_name, self.byte_size
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsultingMessage {
    pub id: i64,
    pub order_id: i64,
    pub author_id: Option<i64>,
    pub author_org_id: i64,
    pub body: String,
    /// A deliverable file, when the message carries one.
    pub file: Option<SealedFile>,
    pub created_at_ms: i64,
}

/// What a user reports it made with a product's data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feedback {
    pub id: i64,
    pub product_id: i64,
    pub org_id: i64,
    /// product, report, paper or application.
    pub kind: String,
    pub title: String,
    /// Empty when the feedback came as a file only.
    pub link: String,
    pub file: Option<SealedFile>,
    pub filed_by: Option<i64>,
    pub filed_at_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFeedback {
    pub product_id: i64,
    pub org_id: i64,
    pub kind: String,
    pub title: String,
    pub link: String,
    pub file: Option<SealedFile>,
    pub filed_by: Option<i64>,
}

fn order(row: &AnyRow) -> Result<ConsultingOrder, StoreError> {
    Ok(ConsultingOrder {
        id: row.try_get("id")?,
        product_id: row.try_get("product_id")?,
        user_org_id: row.try_get("user_org_id")?,
        opened_by: row.try_get("opened_by")?,
        subject: row.try_get("subject")?,
        status: row.try_get("status")?,
        agreement_id: row.try_get("agreement_id")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
    })
}

/// The sealed file a row carries in its `file_name`, `byte_size`,
/// `digest`, `sealed` and `master_key_id` columns, if any.
fn sealed_file(row: &AnyRow) -> Result<Option<SealedFile>, StoreError> {
    let file_name: Option<String> = row.try_get("file_name")?;
    let Some(file_name) = file_name else {
        return Ok(None);
    };
    Ok(Some(SealedFile {
        file_name,
        byte_size: row.try_get::<Option<i64>, _>("byte_size")?.unwrap_or(0),
        digest: row
            .try_get::<Option<String>, _>("digest")?
            .unwrap_or_default(),
        sealed: row
            .try_get::<Option<String>, _>("sealed")?
            .unwrap_or_default(),
        master_key_id: row
            .try_get::<Option<String>, _>("master_key_id")?
            .unwrap_or_default(),
    }))
}

fn message(row: &AnyRow) -> Result<ConsultingMessage, StoreError> {
    let file = sealed_file(row)?;
    Ok(ConsultingMessage {
        id: row.try_get("id")?,
        order_id: row.try_get("order_id")?,
        author_id: row.try_get("author_id")?,
        author_org_id: row.try_get("author_org_id")?,
        body: row.try_get("body")?,
        file,
        created_at_ms: row.try_get("created_at")?,
    })
}

fn feedback(row: &AnyRow) -> Result<Feedback, StoreError> {
    Ok(Feedback {
        id: row.try_get("id")?,
        product_id: row.try_get("product_id")?,
        org_id: row.try_get("org_id")?,
        kind: row.try_get("kind")?,
        title: row.try_get("title")?,
        link: row.try_get("link")?,
        file: sealed_file(row)?,
        filed_by: row.try_get("filed_by")?,
        filed_at_ms: row.try_get("filed_at")?,
    })
}

impl Store {
    /// One organisation's orders, or all; newest first.
    pub async fn consulting_orders(
        &self,
        user_org_id: Option<i64>,
    ) -> Result<Vec<ConsultingOrder>, StoreError> {
        sqlx::query(
            "SELECT * FROM consulting_orders WHERE ($1 = 0 OR user_org_id = $1) ORDER BY id DESC",
        )
        .bind(user_org_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(order)
        .collect()
    }

    pub async fn consulting_order(&self, id: i64) -> Result<ConsultingOrder, StoreError> {
        by_id(
            &self.pool,
            "SELECT * FROM consulting_orders WHERE id = $1",
            id,
            "consulting order",
            order,
        )
        .await
    }

    pub async fn consulting_messages(
        &self,
        order_id: i64,
    ) -> Result<Vec<ConsultingMessage>, StoreError> {
        sqlx::query("SELECT * FROM consulting_messages WHERE order_id = $1 ORDER BY id")
            .bind(order_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(message)
            .collect()
    }

    pub async fn consulting_message(&self, id: i64) -> Result<ConsultingMessage, StoreError> {
        by_id(
            &self.pool,
            "SELECT * FROM consulting_messages WHERE id = $1",
            id,
            "consulting message",
            message,
        )
        .await
    }

    /// Messages that carry files, for master key rotation.
    pub async fn consulting_files(&self) -> Result<Vec<ConsultingMessage>, StoreError> {
        sqlx::query("SELECT * FROM consulting_messages WHERE file_name IS NOT NULL ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(message)
            .collect()
    }

    /// Feedback within `scope`, newest first.
    pub async fn feedback(&self, scope: UseScope) -> Result<Vec<Feedback>, StoreError> {
        let (org, provider) = scope.binds();
        sqlx::query(&format!(
            "SELECT * FROM usage_feedback WHERE {IN_SCOPE} ORDER BY id DESC"
        ))
        .bind(org)
        .bind(provider)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(feedback)
        .collect()
    }
}

impl WriteTx<'_> {
    pub async fn insert_consulting_order(
        &mut self,
        product_id: i64,
        user_org_id: i64,
        opened_by: Option<i64>,
        subject: &str,
        agreement_id: i64,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO consulting_orders (product_id, user_org_id, opened_by, subject, status, \
             agreement_id, created_at, updated_at) VALUES ($1, $2, $3, $4, 'open', $5, $6, $6) \
             RETURNING id",
        )
        .bind(product_id)
        .bind(user_org_id)
        .bind(opened_by)
        .bind(subject.to_owned())
        .bind(agreement_id)
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Moves an order from `from` to `to`, if it is still at `from`.
    pub async fn set_consulting_status(
        &mut self,
        id: i64,
        from: &str,
        to: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.move_status(
            "consulting_orders",
            "consulting order",
            id,
            from,
            to,
            now_ms,
        )
        .await
    }

    pub async fn insert_consulting_message(
        &mut self,
        order_id: i64,
        author_id: Option<i64>,
        author_org_id: i64,
        body: &str,
        file: Option<&SealedFile>,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO consulting_messages (order_id, author_id, author_org_id, body, \
             file_name, byte_size, digest, sealed, master_key_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(order_id)
        .bind(author_id)
        .bind(author_org_id)
        .bind(body.to_owned())
        .bind(file.map(|f| f.file_name.clone()))
        .bind(file.map(|f| f.byte_size))
        .bind(file.map(|f| f.digest.clone()))
        .bind(file.map(|f| f.sealed.clone()))
        .bind(file.map(|f| f.master_key_id.clone()))
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    pub async fn insert_feedback(
        &mut self,
        new: &NewFeedback,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let file = new.file.as_ref();
        Ok(sqlx::query_scalar(
            "INSERT INTO usage_feedback (product_id, org_id, kind, title, link, filed_by, \
             filed_at, file_name, byte_size, digest, sealed, master_key_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(new.product_id)
        .bind(new.org_id)
        .bind(new.kind.clone())
        .bind(new.title.clone())
        .bind(new.link.clone())
        .bind(new.filed_by)
        .bind(now_ms)
        .bind(file.map(|f| f.file_name.clone()))
        .bind(file.map(|f| f.byte_size))
        .bind(file.map(|f| f.digest.clone()))
        .bind(file.map(|f| f.sealed.clone()))
        .bind(file.map(|f| f.master_key_id.clone()))
        .fetch_one(&mut *self.tx)
        .await?)
    }
}
