//! Secrets sealed and data keys wrapped under the master key, wherever
//! they are stored: rotating the master key rewrites them all, one way.

use crate::accounts::found;
use crate::{StoreError, WriteTx};

/// A column holding something the master key sealed or wrapped, with the
/// master key's id beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sealed {
    /// A version's data key, by version id.
    VersionKey,
    /// A kept sandbox table's data key, by table id.
    SandboxTableKey,
    /// An organisation's SM2 signing key, by organisation id.
    SigningKey,
    /// A demand's consent evidence file, by demand id.
    ConsentEvidence,
    /// A webhook's secret, by webhook id.
    WebhookSecret,
    /// A consulting deliverable, by message id.
    ConsultingFile,
    /// A feedback file, by feedback id.
    FeedbackFile,
    /// A sandbox export's result, by export id.
    SandboxExport,
    /// A product's pseudonym and token keys, by product id.
    ProductKeys,
}

impl Sealed {
    /// Table, sealed column, the column its id is in, and what it is.
    fn place(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Sealed::VersionKey => ("resource_versions", "wrapped_key", "id", "version"),
            Sealed::SandboxTableKey => ("sandbox_tables", "wrapped_key", "id", "sandbox table"),
            Sealed::SigningKey => ("signing_keys", "sealed_secret", "org_id", "signing key"),
            Sealed::ConsentEvidence => (
                "consent_evidence",
                "sealed",
                "demand_id",
                "consent evidence",
            ),
            Sealed::WebhookSecret => ("webhooks", "sealed_secret", "id", "webhook"),
            Sealed::ConsultingFile => ("consulting_messages", "sealed", "id", "consulting message"),
            Sealed::FeedbackFile => ("usage_feedback", "sealed", "id", "feedback"),
            Sealed::SandboxExport => ("sandbox_exports", "sealed", "id", "sandbox export"),
            Sealed::ProductKeys => ("products", "wrapped_key", "id", "product"),
        }
    }
}

impl WriteTx<'_> {
    /// Stores `value`, sealed or wrapped under master key `master_key_id`,
    /// in place of what `id`'s record held.
    pub async fn reseal(
        &mut self,
        sealed: Sealed,
        id: i64,
        value: &str,
        master_key_id: &str,
    ) -> Result<(), StoreError> {
        let (table, column, key, what) = sealed.place();
        let sql = format!("UPDATE {table} SET {column} = $1, master_key_id = $2 WHERE {key} = $3");
        let done = sqlx::query(&sql)
            .bind(value.to_owned())
            .bind(master_key_id.to_owned())
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        found(done.rows_affected(), what, id)
    }
}
