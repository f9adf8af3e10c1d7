//! Consent evidence files of demands, sealed by the caller.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, WriteTx};

/// A demand's consent evidence. `Debug` leaves the sealed bytes out.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsentEvidence {
    pub demand_id: i64,
    pub file_name: String,
    pub byte_size: i64,
    /// SM3 of the plaintext, hex.
    pub digest: String,
    /// Hex of what the master key sealed.
    pub sealed: String,
    pub master_key_id: String,
    pub uploaded_by: Option<i64>,
    pub uploaded_at_ms: i64,
}

impl std::fmt::Debug for ConsentEvidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ConsentEvidence(demand {}, {:?}, {} bytes)",
            self.demand_id, self.file_name, self.byte_size
        )
    }
}

fn evidence(row: &AnyRow) -> Result<ConsentEvidence, StoreError> {
    Ok(ConsentEvidence {
        demand_id: row.try_get("demand_id")?,
        file_name: row.try_get("file_name")?,
        byte_size: row.try_get("byte_size")?,
        digest: row.try_get("digest")?,
        sealed: row.try_get("sealed")?,
        master_key_id: row.try_get("master_key_id")?,
        uploaded_by: row.try_get("uploaded_by")?,
        uploaded_at_ms: row.try_get("uploaded_at")?,
    })
}

impl Store {
    pub async fn consent_evidence(
        &self,
        demand_id: i64,
    ) -> Result<Option<ConsentEvidence>, StoreError> {
        let row = sqlx::query("SELECT * FROM consent_evidence WHERE demand_id = $1")
            .bind(demand_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(evidence).transpose()
    }

    /// Every evidence file, for master key rotation.
    pub async fn all_consent_evidence(&self) -> Result<Vec<ConsentEvidence>, StoreError> {
        sqlx::query("SELECT * FROM consent_evidence ORDER BY demand_id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(evidence)
            .collect()
    }
}

impl WriteTx<'_> {
    /// Stores a demand's evidence, replacing any earlier file.
    pub async fn put_consent_evidence(&mut self, e: &ConsentEvidence) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM consent_evidence WHERE demand_id = $1")
            .bind(e.demand_id)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "INSERT INTO consent_evidence (demand_id, file_name, byte_size, digest, sealed, \
             master_key_id, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(e.demand_id)
        .bind(e.file_name.clone())
        .bind(e.byte_size)
        .bind(e.digest.clone())
        .bind(e.sealed.clone())
        .bind(e.master_key_id.clone())
        .bind(e.uploaded_by)
        .bind(e.uploaded_at_ms)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
