//! The data subjects' consent as a file (Art. 13): attached by the
//! demand's author while the demand can change, sealed under the master
//! key, read by whoever may see the demand.

use rongshu_crypto::{seal::MasterKey, sm3_hex_of};
use rongshu_domain::Actor;
use rongshu_ledger::{Attribution, EntryDraft};
use rongshu_store::ConsentEvidence;

use crate::{Workflow, WorkflowError, acting, text};

/// The largest evidence file taken.
pub const MAX_EVIDENCE_BYTES: usize = 8 << 20;

/// What a consent evidence file is sealed to.
pub fn evidence_context(demand_id: i64) -> Vec<u8> {
    format!("rongshu consent evidence of demand {demand_id}").into_bytes()
}

/// The context a consulting order's deliverable files are sealed under
/// (files travel under the order's data use agreement).
pub fn consulting_file_context(order_id: i64) -> Vec<u8> {
    format!("rongshu consulting deliverable of order {order_id}").into_bytes()
}

/// The context an organisation's feedback files on a product are sealed
/// under.
pub fn feedback_file_context(org_id: i64, product_id: i64) -> Vec<u8> {
    format!("rongshu feedback of organisation {org_id} on product {product_id}").into_bytes()
}

/// The context a sandbox export's result is sealed under, bound to its
/// workspace (the data use agreement) and the query that made it.
pub fn sandbox_export_context(agreement_id: i64, query_id: i64) -> Vec<u8> {
    format!("rongshu sandbox export of query {query_id} in workspace {agreement_id}").into_bytes()
}

fn invalid(field: &'static str, problem: &'static str) -> WorkflowError {
    WorkflowError::Invalid { field, problem }
}

impl Workflow {
    /// Attaches (or replaces) the demand's consent evidence file.
    pub async fn attach_consent(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        demand_id: i64,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ConsentEvidence, WorkflowError> {
        acting(actor)?;
        let demand = self.store.demand(demand_id).await?;
        if actor.org_id != demand.user_org_id && actor.party != rongshu_domain::PartyType::Operator
        {
            return Err(WorkflowError::Forbidden(
                "this demand belongs to another organisation",
            ));
        }
        if !demand.status.is_editable() {
            return Err(invalid(
                "status",
                "evidence is attached while the demand is a draft or returned",
            ));
        }
        let file_name = text("file_name", file_name, 1, 200)?;
        if bytes.is_empty() || bytes.len() > MAX_EVIDENCE_BYTES {
            return Err(invalid("file", "must be 1 byte to 8 MiB"));
        }
        let digest = sm3_hex_of(bytes).map_err(|_| invalid("file", "could not be read"))?;
        let evidence = ConsentEvidence {
            demand_id,
            file_name,
            byte_size: bytes.len() as i64,
            sealed: hex::encode(self.master.seal_secret(bytes, &evidence_context(demand_id))),
            master_key_id: self.master.id(),
            digest,
            uploaded_by: Some(actor.account_id),
            uploaded_at_ms: self.now_ms(),
        };
        let mut tx = self.store.begin().await?;
        tx.put_consent_evidence(&evidence).await?;
        tx.append(EntryDraft {
            reason: Some(format!(
                "{} ({} bytes, SM3 {})",
                evidence.file_name, evidence.byte_size, evidence.digest
            )),
            ..by.entry(
                "demand.consent-evidence",
                "demand",
                Some(demand_id.to_string()),
            )
        })
        .await?;
        tx.commit().await?;
        Ok(evidence)
    }

    /// The evidence file, opened and checked against its digest, for
    /// whoever may see the demand.
    pub async fn consent_file(
        &self,
        actor: &Actor,
        demand_id: i64,
    ) -> Result<(ConsentEvidence, Vec<u8>), WorkflowError> {
        self.visible_demand(actor, demand_id).await?;
        let evidence = self.store.consent_evidence(demand_id).await?.ok_or(
            rongshu_store::StoreError::NotFound {
                what: "consent evidence of demand",
                id: demand_id.to_string(),
            },
        )?;
        let bytes = open_evidence(&self.master, &evidence)?;
        Ok((evidence, bytes))
    }
}

/// Opens a sealed evidence file and checks its digest.
pub fn open_evidence(
    master: &MasterKey,
    evidence: &ConsentEvidence,
) -> Result<Vec<u8>, WorkflowError> {
    let corrupt = || {
        WorkflowError::Store(rongshu_store::StoreError::Corrupt {
            what: "consent evidence",
            value: evidence.demand_id.to_string(),
        })
    };
    let sealed = hex::decode(&evidence.sealed).map_err(|_| corrupt())?;
    let bytes = master
        .open_secret(&sealed, &evidence_context(evidence.demand_id))
        .map_err(|_| corrupt())?;
    if sm3_hex_of(bytes.as_slice()).ok().as_deref() != Some(evidence.digest.as_str()) {
        return Err(corrupt());
    }
    Ok(bytes)
}
