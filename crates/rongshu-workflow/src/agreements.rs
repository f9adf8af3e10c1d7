//! The tripartite agreement (Art. 18) and the data use agreement (Art. 15),
//! generated from an authorization and signed with each organisation's SM2
//! key over the SM3 digest of their canonical text.

use rongshu_crypto::sign::SigningKeyPair;
use rongshu_crypto::sm3_hex;
use rongshu_domain::workflow::{AgreementKind, AgreementStatus, Signatories};
use rongshu_domain::{Actor, PartyType};
use rongshu_ledger::Attribution;
use rongshu_store::{
    Agreement, AuthorizationScope, Demand, NewAgreement, Organization, SigningKeyRecord, WriteTx,
};

use crate::notices::To;
use crate::{Workflow, WorkflowError, acting};

fn title(kind: AgreementKind) -> &'static str {
    match kind {
        AgreementKind::Tripartite => "公共数据授权运营三方协议 (Tripartite agreement, Art. 18)",
        AgreementKind::DataUse => "公共数据利用协议 (Data use agreement, Art. 15)",
    }
}

/// The duties each kind states, in the regulation's words.
fn duties(kind: AgreementKind) -> &'static [&'static str] {
    match kind {
        AgreementKind::Tripartite => &[
            "提供单位负责数据提供单位至共享平台前置端的数据安全 (provider → front end: the provider)",
            "市大数据中心负责共享平台至运营平台的数据安全 (sharing platform → operation platform: the Big Data Center)",
            "运营单位负责运营平台至使用单位的数据安全 (operation platform → user: the operator)",
            "提供单位可依法说明理由终止授权 (the provider may terminate with stated grounds, Art. 16)",
        ],
        AgreementKind::DataUse => &[
            "使用单位负责数据使用及其结果的安全 (use and results: the user)",
            "数据经清洗、脱敏、格式转换后使用 (data is cleaned, de-identified and converted before use)",
            "成果须注明数据来源 (outputs cite the data source)",
            "使用单位向运营单位反馈使用情况 (the user reports usage back to the operator)",
            "授权终止时本协议随之终止 (this agreement ends when its authorization ends)",
        ],
    }
}

/// What an organisation's sealed signing key is bound to, so a sealed key
/// copied onto another organisation does not open.
pub fn signing_key_context(org_id: i64) -> Vec<u8> {
    format!("rongshu signing key of organisation {org_id}").into_bytes()
}

/// One line of canonical text: `key: value`, newlines escaped, so the
/// text (and its digest) has exactly one form.
fn line(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(": ");
    out.push_str(&value.replace('\\', "\\\\").replace('\n', "\\n"));
    out.push('\n');
}

/// A party's line names the organisation by code first: verification
/// checks each signer's code against it.
fn party_line(org: &Organization) -> String {
    format!("{} {}", org.code, org.name)
}

impl Workflow {
    /// Drafts the agreements of a new authorization (both for a provider's
    /// answer, the data use agreement alone under the standing
    /// authorization) and asks the parties to sign.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn draft_agreements(
        &self,
        tx: &mut WriteTx<'_>,
        by: &impl Attribution,
        authorization_id: i64,
        provider: i64,
        scope: &AuthorizationScope,
        demand: &Demand,
        kinds: &[AgreementKind],
    ) -> Result<(), WorkflowError> {
        let operator = self.the(PartyType::Operator).await?;
        let center = self.the(PartyType::BigDataCenter).await?;
        for &kind in kinds {
            let parties = match kind {
                AgreementKind::Tripartite => vec![
                    (PartyType::Operator, operator),
                    (PartyType::BigDataCenter, center),
                    (PartyType::Provider, provider),
                ],
                AgreementKind::DataUse => vec![
                    (PartyType::Operator, operator),
                    (PartyType::User, demand.user_org_id),
                ],
            };
            let body = self
                .canonical_text(kind, authorization_id, &parties, scope, demand)
                .await?;
            let new = NewAgreement {
                kind,
                authorization_id,
                demand_id: Some(demand.id),
                digest: sm3_hex(&body),
                body,
                term_from: scope.term_from,
                term_until: scope.term_until,
                parties: parties.clone(),
            };
            let id = tx.insert_agreement(&new, self.now_ms()).await?;
            tx.append(by.entry(
                &format!("agreement.draft-{}", kind.as_str()),
                "agreement",
                Some(id.to_string()),
            ))
            .await?;
            let to: Vec<_> = parties.iter().map(|&(_, org)| To::Org(org)).collect();
            self.notify(tx, &to, "agreement.to-sign", ("agreement", id), "")
                .await?;
        }
        Ok(())
    }

    async fn canonical_text(
        &self,
        kind: AgreementKind,
        authorization_id: i64,
        parties: &[(PartyType, i64)],
        scope: &AuthorizationScope,
        demand: &Demand,
    ) -> Result<String, WorkflowError> {
        let mut out = String::new();
        line(&mut out, "agreement", title(kind));
        line(&mut out, "kind", kind.as_str());
        line(&mut out, "authorization", &authorization_id.to_string());
        line(
            &mut out,
            "demand",
            &format!("{} {}", demand.id, demand.about.title),
        );
        for &(party, org_id) in parties {
            let org = self.store.organization(org_id).await?;
            line(&mut out, party.as_str(), &party_line(&org));
        }
        let mut resources = Vec::new();
        for r in &scope.resources {
            let resource = self.store.resource(r.resource_id).await?;
            let fields = if r.fields.is_empty() {
                "*".to_owned()
            } else {
                r.fields.join(",")
            };
            resources.push(format!(
                "{} [{fields}] {}",
                resource.code, resource.about.title
            ));
        }
        line(&mut out, "resources", &resources.join("; "));
        line(&mut out, "scenario", &scope.scenario);
        line(&mut out, "purpose", &demand.about.purpose);
        line(
            &mut out,
            "modes",
            &rongshu_domain::resource::ServiceMode::join(&scope.modes),
        );
        line(&mut out, "de-identification", &scope.deidentification);
        line(
            &mut out,
            "re-identification",
            if scope.reidentification {
                "allowed"
            } else {
                "not allowed"
            },
        );
        line(&mut out, "quota", &scope.quota);
        if let Some(limit) = scope.daily_use_limit {
            let limit =
                format!("{limit} uses a day by each user organisation, all products together");
            line(&mut out, "daily use limit", &limit);
        }
        line(&mut out, "conditions", &scope.conditions);
        let until = scope
            .term_until
            .map_or("standing".to_owned(), |d| d.to_string());
        line(&mut out, "term", &format!("{} .. {until}", scope.term_from));
        for duty in duties(kind) {
            line(&mut out, "duty", duty);
        }
        Ok(out)
    }

    /// Signs an agreement for the caller's organisation. The agreement is
    /// in force once every party has signed.
    pub async fn sign(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        agreement_id: i64,
    ) -> Result<Agreement, WorkflowError> {
        acting(actor)?;
        let agreement = self.store.agreement(agreement_id).await?;
        let slot = agreement
            .signatures
            .iter()
            .find(|s| s.party == actor.party && s.org_id == actor.org_id)
            .ok_or(WorkflowError::Forbidden(
                "the caller's organisation is not a party to this agreement",
            ))?;
        let mut signed = Signatories::none(agreement.kind);
        for s in agreement
            .signatures
            .iter()
            .filter(|s| s.signature.is_some())
        {
            signed.signed = signed.signed.with(s.party);
        }
        let after = signed.sign(agreement.status, slot.party)?;
        let key = self.signing_key(actor.org_id).await?;
        let digest = hex::decode(&agreement.digest).map_err(|_| {
            WorkflowError::Store(rongshu_store::StoreError::Corrupt {
                what: "agreement digest",
                value: agreement.digest.clone(),
            })
        })?;
        let signature = key.sign(&digest);
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        if !tx
            .record_signature(
                agreement_id,
                slot.party,
                &key.public_hex(),
                &signature,
                Some(actor.account_id),
                now,
            )
            .await?
        {
            return Err(rongshu_store::StoreError::Changed {
                what: "agreement",
                id: agreement_id,
            }
            .into());
        }
        tx.append(by.entry(
            "agreement.sign",
            "agreement",
            Some(agreement_id.to_string()),
        ))
        .await?;
        let status = after.status(false);
        if status == AgreementStatus::Signed {
            tx.set_agreement_status(agreement_id, agreement.status, status, now)
                .await?;
            tx.append(by.entry(
                "agreement.in-force",
                "agreement",
                Some(agreement_id.to_string()),
            ))
            .await?;
            let to: Vec<_> = agreement
                .signatures
                .iter()
                .map(|s| To::Org(s.org_id))
                .collect();
            self.notify(
                &mut tx,
                &to,
                "agreement.signed",
                ("agreement", agreement_id),
                "",
            )
            .await?;
        }
        tx.commit().await?;
        Ok(self.store.agreement(agreement_id).await?)
    }

    /// The organisation's key pair, made and sealed the first time.
    async fn signing_key(&self, org_id: i64) -> Result<SigningKeyPair, WorkflowError> {
        let org = self.store.organization(org_id).await?;
        let context = signing_key_context(org_id);
        if self.store.signing_key(org_id).await?.is_none() {
            let pair = SigningKeyPair::generate(&org.code).map_err(|_| WorkflowError::Sealed {
                what: "signing key",
                org_id,
            })?;
            let record = SigningKeyRecord {
                org_id,
                public_key: pair.public_hex(),
                sealed_secret: hex::encode(self.master.seal_secret(&pair.secret_bytes(), &context)),
                master_key_id: self.master.id(),
            };
            let mut tx = self.store.begin().await?;
            tx.insert_signing_key(&record, self.now_ms()).await?;
            tx.commit().await?;
        }
        // Whichever key was stored first is the organisation's.
        let record = self
            .store
            .signing_key(org_id)
            .await?
            .ok_or(WorkflowError::Sealed {
                what: "signing key",
                org_id,
            })?;
        let sealed = hex::decode(&record.sealed_secret).map_err(|_| WorkflowError::Sealed {
            what: "signing key",
            org_id,
        })?;
        let secret =
            self.master
                .open_secret(&sealed, &context)
                .map_err(|_| WorkflowError::Sealed {
                    what: "signing key",
                    org_id,
                })?;
        SigningKeyPair::from_secret(&org.code, &secret).map_err(|_| WorkflowError::Sealed {
            what: "signing key",
            org_id,
        })
    }

    /// Agreements `actor` may read: its own organisation's, or all for the
    /// operator and supervisors.
    pub async fn visible_agreements(&self, actor: &Actor) -> Result<Vec<Agreement>, WorkflowError> {
        let org = match actor.party {
            PartyType::Provider | PartyType::User => Some(actor.org_id),
            _ => None,
        };
        Ok(self.store.agreements(None, org).await?)
    }

    pub async fn visible_agreement(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<Agreement, WorkflowError> {
        let agreement = self.store.agreement(id).await?;
        let party = agreement
            .signatures
            .iter()
            .any(|s| s.org_id == actor.org_id);
        if party || !matches!(actor.party, PartyType::Provider | PartyType::User) {
            Ok(agreement)
        } else {
            Err(WorkflowError::Forbidden(
                "this agreement is between other parties",
            ))
        }
    }
}
