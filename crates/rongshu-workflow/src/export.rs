//! Exported agreements and their offline verification (`rongshu agreement
//! verify FILE`): the file carries the canonical text, its SM3 digest and
//! every signature with the signer's public key, so it can be checked with
//! nothing but this code.

use rongshu_crypto::sign::verify;
use rongshu_crypto::sm3_hex;
use rongshu_domain::PartyType;
use rongshu_domain::workflow::AgreementKind;
use serde::{Deserialize, Serialize};

use crate::{Workflow, WorkflowError};

pub const EXPORT_FORMAT: &str = "rongshu-agreement/1";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementExport {
    pub format: String,
    pub id: i64,
    pub kind: String,
    pub status: String,
    /// The canonical text every signature covers through its digest.
    pub body: String,
    /// SM3 of `body`, hex.
    pub digest: String,
    pub signatures: Vec<ExportedSignature>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedSignature {
    pub party: String,
    /// The SM2 distinguishing identifier the signature was made with.
    pub org_code: String,
    pub org_name: String,
    /// Uncompressed SEC1 point, hex; absent while unsigned.
    pub public_key: Option<String>,
    /// `r ‖ s`, hex; absent while unsigned.
    pub signature: Option<String>,
    pub signed_at: Option<String>,
}

/// What a verified export says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedAgreement {
    pub id: i64,
    pub kind: AgreementKind,
    pub digest: String,
    /// (party, organisation code) of each valid signature.
    pub signed_by: Vec<(PartyType, String)>,
}

/// Why an export does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("not an exported agreement: {0}")]
    Malformed(String),
    #[error("the text was changed: its SM3 digest is {found}, the agreement says {expected}")]
    Edited { expected: String, found: String },
    #[error("the {0} party has not signed")]
    Unsigned(&'static str),
    #[error("the {party} signature of {org_code} does not verify over the digest")]
    BadSignature { party: String, org_code: String },
    #[error("the {party} signature is by {org_code}, which the text does not name as {party}")]
    NotNamed { party: String, org_code: String },
}

fn rfc3339(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339())
}

impl Workflow {
    /// The agreement as a file its parties can keep and check offline.
    pub async fn export(&self, id: i64) -> Result<AgreementExport, WorkflowError> {
        let agreement = self.store.agreement(id).await?;
        let mut signatures = Vec::new();
        for s in &agreement.signatures {
            let org = self.store.organization(s.org_id).await?;
            signatures.push(ExportedSignature {
                party: s.party.as_str().to_owned(),
                org_code: org.code,
                org_name: org.name,
                public_key: s.public_key.clone(),
                signature: s.signature.clone(),
                signed_at: s.signed_at_ms.and_then(rfc3339),
            });
        }
        Ok(AgreementExport {
            format: EXPORT_FORMAT.to_owned(),
            id,
            kind: agreement.kind.as_str().to_owned(),
            status: agreement.status.as_str().to_owned(),
            body: agreement.body,
            digest: agreement.digest,
            signatures,
        })
    }
}

/// Checks an exported agreement: the text matches its digest, every party
/// its kind requires has signed, each signature verifies under the
/// signer's key and organisation code, and the text names that code for
/// that party.
pub fn verify_export(json: &str) -> Result<VerifiedAgreement, VerifyError> {
    let export: AgreementExport =
        serde_json::from_str(json).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    if export.format != EXPORT_FORMAT {
        return Err(VerifyError::Malformed(format!(
            "format {:?}, expected {EXPORT_FORMAT:?}",
            export.format
        )));
    }
    let kind: AgreementKind = export
        .kind
        .parse()
        .map_err(|e: rongshu_domain::UnknownName| VerifyError::Malformed(e.to_string()))?;
    let found = sm3_hex(&export.body);
    if found != export.digest {
        return Err(VerifyError::Edited {
            expected: export.digest,
            found,
        });
    }
    let digest = hex::decode(&export.digest).map_err(|e| VerifyError::Malformed(e.to_string()))?;
    let mut signed_by = Vec::new();
    for party in kind.signatories().iter() {
        let entry = export
            .signatures
            .iter()
            .find(|s| s.party == party.as_str())
            .ok_or(VerifyError::Unsigned(party.as_str()))?;
        let (Some(public_key), Some(signature)) = (&entry.public_key, &entry.signature) else {
            return Err(VerifyError::Unsigned(party.as_str()));
        };
        let named = format!("\n{}: {} ", party.as_str(), entry.org_code);
        if !export.body.contains(&named) {
            return Err(VerifyError::NotNamed {
                party: entry.party.clone(),
                org_code: entry.org_code.clone(),
            });
        }
        verify(&entry.org_code, public_key, &digest, signature).map_err(|_| {
            VerifyError::BadSignature {
                party: entry.party.clone(),
                org_code: entry.org_code.clone(),
            }
        })?;
        signed_by.push((party, entry.org_code.clone()));
    }
    Ok(VerifiedAgreement {
        id: export.id,
        kind,
        digest: export.digest,
        signed_by,
    })
}
