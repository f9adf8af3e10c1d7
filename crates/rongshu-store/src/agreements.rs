//! Agreements and their signatures (Art. 15, 18), organisations' signing
//! keys, and disputes (Art. 19).

use chrono::NaiveDate;
use rongshu_domain::PartyType;
use rongshu_domain::workflow::{AgreementKind, AgreementStatus, DisputeStatus};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::unchanged;
use crate::demands::{date, optional_date};
use crate::{Store, StoreError, WriteTx, by_id, parse_code};

/// An organisation's SM2 key pair, its secret sealed under the master key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    pub org_id: i64,
    pub public_key: String,
    pub sealed_secret: String,
    pub master_key_id: String,
}

impl std::fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SigningKeyRecord(org {}, {})",
            self.org_id, self.public_key
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAgreement {
    pub kind: AgreementKind,
    pub authorization_id: i64,
    pub demand_id: Option<i64>,
    /// The canonical text every signature covers (through its digest).
    pub body: String,
    pub digest: String,
    pub term_from: NaiveDate,
    pub term_until: Option<NaiveDate>,
    /// Each signing party and the organisation that signs for it.
    pub parties: Vec<(PartyType, i64)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agreement {
    pub id: i64,
    pub kind: AgreementKind,
    pub authorization_id: i64,
    pub demand_id: Option<i64>,
    pub body: String,
    pub digest: String,
    pub term_from: NaiveDate,
    pub term_until: Option<NaiveDate>,
    pub status: AgreementStatus,
    pub created_at_ms: i64,
    pub signed_at_ms: Option<i64>,
    pub terminated_at_ms: Option<i64>,
    pub signatures: Vec<AgreementSignature>,
}

/// One party's place on an agreement; unsigned until `signature` is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementSignature {
    pub party: PartyType,
    pub org_id: i64,
    pub public_key: Option<String>,
    pub signature: Option<String>,
    pub signed_by: Option<i64>,
    pub signed_at_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dispute {
    pub id: i64,
    pub authorization_id: i64,
    pub raised_by_org: i64,
    pub subject: String,
    pub statement: String,
    pub status: DisputeStatus,
    pub expert_opinion: String,
    pub resolution: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

fn signing_key(row: &AnyRow) -> Result<SigningKeyRecord, StoreError> {
    Ok(SigningKeyRecord {
        org_id: row.try_get("org_id")?,
        public_key: row.try_get("public_key")?,
        sealed_secret: row.try_get("sealed_secret")?,
        master_key_id: row.try_get("master_key_id")?,
    })
}

fn signature(row: &AnyRow) -> Result<AgreementSignature, StoreError> {
    Ok(AgreementSignature {
        party: parse_code("party type", row.try_get("party")?)?,
        org_id: row.try_get("org_id")?,
        public_key: row.try_get("public_key")?,
        signature: row.try_get("signature")?,
        signed_by: row.try_get("signed_by")?,
        signed_at_ms: row.try_get("signed_at")?,
    })
}

fn agreement(row: &AnyRow, signatures: Vec<AgreementSignature>) -> Result<Agreement, StoreError> {
    Ok(Agreement {
        id: row.try_get("id")?,
        kind: parse_code("agreement kind", row.try_get("kind")?)?,
        authorization_id: row.try_get("authorization_id")?,
        demand_id: row.try_get("demand_id")?,
        body: row.try_get("body")?,
        digest: row.try_get("digest")?,
        term_from: date("term", row.try_get("term_from")?)?,
        term_until: optional_date("term", row.try_get("term_until")?)?,
        status: parse_code("agreement status", row.try_get("status")?)?,
        created_at_ms: row.try_get("created_at")?,
        signed_at_ms: row.try_get("signed_at")?,
        terminated_at_ms: row.try_get("terminated_at")?,
        signatures,
    })
}

fn dispute(row: &AnyRow) -> Result<Dispute, StoreError> {
    Ok(Dispute {
        id: row.try_get("id")?,
        authorization_id: row.try_get("authorization_id")?,
        raised_by_org: row.try_get("raised_by_org")?,
        subject: row.try_get("subject")?,
        statement: row.try_get("statement")?,
        status: parse_code("dispute status", row.try_get("status")?)?,
        expert_opinion: row.try_get("expert_opinion")?,
        resolution: row.try_get("resolution")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
    })
}

/// Parties are listed in the order the regulation names them.
const SIGNATURE_ORDER: &str = "CASE party WHEN 'operator' THEN 0 WHEN 'bigdata_center' THEN 1 \
                               WHEN 'provider' THEN 2 ELSE 3 END";

impl Store {
    pub async fn signing_key(&self, org_id: i64) -> Result<Option<SigningKeyRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM signing_keys WHERE org_id = $1")
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(signing_key).transpose()
    }

    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        sqlx::query("SELECT * FROM signing_keys ORDER BY org_id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(signing_key)
            .collect()
    }

    pub async fn agreement(&self, id: i64) -> Result<Agreement, StoreError> {
        let row = sqlx::query("SELECT * FROM agreements WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound {
                what: "agreement",
                id: id.to_string(),
            })?;
        agreement(&row, self.signatures(id).await?)
    }

    async fn signatures(&self, agreement_id: i64) -> Result<Vec<AgreementSignature>, StoreError> {
        sqlx::query(&format!(
            "SELECT * FROM agreement_signatures WHERE agreement_id = $1 ORDER BY {SIGNATURE_ORDER}"
        ))
        .bind(agreement_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(signature)
        .collect()
    }

    /// Agreements of one authorization, or those an organisation is party
    /// to, or all; newest first.
    pub async fn agreements(
        &self,
        authorization_id: Option<i64>,
        org_id: Option<i64>,
    ) -> Result<Vec<Agreement>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM agreements WHERE ($1 = 0 OR authorization_id = $1) AND ($2 = 0 OR id IN \
             (SELECT agreement_id FROM agreement_signatures WHERE org_id = $2)) ORDER BY id DESC",
        )
        .bind(authorization_id.unwrap_or(0))
        .bind(org_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?;
        self.with_signatures(&rows).await
    }

    /// The agreements drafted for a demand's authorizations.
    pub async fn agreements_of_demand(&self, demand_id: i64) -> Result<Vec<Agreement>, StoreError> {
        let rows = sqlx::query("SELECT * FROM agreements WHERE demand_id = $1 ORDER BY id")
            .bind(demand_id)
            .fetch_all(&self.pool)
            .await?;
        self.with_signatures(&rows).await
    }

    async fn with_signatures(&self, rows: &[AnyRow]) -> Result<Vec<Agreement>, StoreError> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.try_get("id")?;
            out.push(agreement(row, self.signatures(id).await?)?);
        }
        Ok(out)
    }

    pub async fn disputes(&self) -> Result<Vec<Dispute>, StoreError> {
        sqlx::query("SELECT * FROM disputes ORDER BY id DESC")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(dispute)
            .collect()
    }

    pub async fn dispute(&self, id: i64) -> Result<Dispute, StoreError> {
        by_id(
            &self.pool,
            "SELECT * FROM disputes WHERE id = $1",
            id,
            "dispute",
            dispute,
        )
        .await
    }
}

impl WriteTx<'_> {
    /// Stores an organisation's key pair unless it has one; returns the
    /// one that is stored, so two first signatures cannot make two keys.
    pub async fn insert_signing_key(
        &mut self,
        key: &SigningKeyRecord,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO signing_keys (org_id, public_key, sealed_secret, master_key_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id) DO NOTHING",
        )
        .bind(key.org_id)
        .bind(key.public_key.clone())
        .bind(key.sealed_secret.clone())
        .bind(key.master_key_id.clone())
        .bind(now_ms)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub async fn insert_agreement(
        &mut self,
        new: &NewAgreement,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO agreements (kind, authorization_id, demand_id, body, digest, term_from, \
             term_until, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id",
        )
        .bind(new.kind.as_str())
        .bind(new.authorization_id)
        .bind(new.demand_id)
        .bind(new.body.clone())
        .bind(new.digest.clone())
        .bind(new.term_from.to_string())
        .bind(new.term_until.map(|d| d.to_string()))
        .bind(AgreementStatus::AwaitingSignatures.as_str())
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await?;
        for (party, org_id) in &new.parties {
            sqlx::query(
                "INSERT INTO agreement_signatures (agreement_id, party, org_id) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(party.as_str())
            .bind(*org_id)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(id)
    }

    /// Records a party's signature, only if that party has not signed:
    /// returns false when someone else's signature got there first.
    pub async fn record_signature(
        &mut self,
        agreement_id: i64,
        party: PartyType,
        public_key: &str,
        signature: &str,
        signed_by: Option<i64>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE agreement_signatures SET public_key = $1, signature = $2, signed_by = $3, \
             signed_at = $4 WHERE agreement_id = $5 AND party = $6 AND signature IS NULL",
        )
        .bind(public_key.to_owned())
        .bind(signature.to_owned())
        .bind(signed_by)
        .bind(now_ms)
        .bind(agreement_id)
        .bind(party.as_str())
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_agreement_status(
        &mut self,
        id: i64,
        from: AgreementStatus,
        to: AgreementStatus,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let column = match to {
            AgreementStatus::Signed => "signed_at",
            AgreementStatus::Terminated => "terminated_at",
            AgreementStatus::AwaitingSignatures => "created_at",
        };
        let done = sqlx::query(&format!(
            "UPDATE agreements SET status = $1, {column} = $2 WHERE id = $3 AND status = $4"
        ))
        .bind(to.as_str())
        .bind(now_ms)
        .bind(id)
        .bind(from.as_str())
        .execute(&mut *self.tx)
        .await?;
        unchanged(done.rows_affected(), "agreement", id)
    }

    pub async fn insert_dispute(
        &mut self,
        authorization_id: i64,
        raised_by_org: i64,
        subject: &str,
        statement: &str,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO disputes (authorization_id, raised_by_org, subject, statement, status, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(authorization_id)
        .bind(raised_by_org)
        .bind(subject.to_owned())
        .bind(statement.to_owned())
        .bind(DisputeStatus::Open.as_str())
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// Moves a dispute on; an opinion or resolution replaces the old one.
    pub async fn update_dispute(
        &mut self,
        id: i64,
        from: DisputeStatus,
        to: DisputeStatus,
        expert_opinion: Option<&str>,
        resolution: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE disputes SET status = $1, expert_opinion = COALESCE($2, expert_opinion), \
             resolution = COALESCE($3, resolution), updated_at = $4 WHERE id = $5 AND status = $6",
        )
        .bind(to.as_str())
        .bind(expert_opinion.map(str::to_owned))
        .bind(resolution.map(str::to_owned))
        .bind(now_ms)
        .bind(id)
        .bind(from.as_str())
        .execute(&mut *self.tx)
        .await?;
        unchanged(done.rows_affected(), "dispute", id)
    }
}
