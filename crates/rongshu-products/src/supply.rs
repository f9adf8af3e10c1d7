//! Suspension of supply (Art. 17): the Big Data Center suspends, with
//! findings, per resource, provider, user organisation or platform-wide;
//! the operator records its rectification; the Big Data Center resumes.
//! Every data call reads open suspensions from the database, so one takes
//! effect on the next call in every server process.

use rongshu_domain::supply::{SuspensionKind, SuspensionScope};
use rongshu_domain::{Actor, PartyType, Role};
use rongshu_ledger::{Attribution, EntryDraft};
use rongshu_store::Suspension;
use rongshu_workflow::To;

use crate::{ProductError, Products};

fn acting(actor: &Actor, party: PartyType, what: &'static str) -> Result<(), ProductError> {
    if actor.party != party || actor.role == Role::Auditor {
        return Err(ProductError::Forbidden(what));
    }
    Ok(())
}

fn text(field: &'static str, value: &str) -> Result<String, ProductError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 4000 {
        return Err(ProductError::Invalid {
            field,
            problem: "is required, at most 4000 characters".into(),
        });
    }
    Ok(value.to_owned())
}

impl Products {
    /// Every suspension, open and resumed, that `viewer` may see.
    pub async fn suspensions(&self, viewer: &Actor) -> Result<Vec<Suspension>, ProductError> {
        let mut all = self.store().suspensions(true).await?;
        all.retain(|s| s.scope.is_seen_by(viewer.party, viewer.org_id));
        Ok(all)
    }

    /// Who hears of a suspension: the operator, the Governance Office, and
    /// the organisation it names.
    async fn told(&self, scope: SuspensionScope) -> Result<Vec<To>, ProductError> {
        let mut to = vec![
            To::Party(PartyType::Operator),
            To::Party(PartyType::Governance),
        ];
        match (scope.kind, scope.target) {
            (SuspensionKind::Resource, Some(resource)) => {
                to.push(To::Org(self.store().resource(resource).await?.provider_id));
            }
            (SuspensionKind::Provider | SuspensionKind::UserOrg, Some(org)) => {
                to.push(To::Org(org));
            }
            _ => {}
        }
        Ok(to)
    }

    pub async fn suspend(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        scope: SuspensionScope,
        findings: &str,
    ) -> Result<Suspension, ProductError> {
        acting(
            actor,
            PartyType::BigDataCenter,
            "only the Big Data Center suspends supply",
        )?;
        let findings = text("findings", findings)?;
        match (scope.kind, scope.target) {
            (SuspensionKind::Resource, Some(id)) => {
                self.store().resource(id).await?;
            }
            (SuspensionKind::Provider | SuspensionKind::UserOrg, Some(id)) => {
                let org = self.store().organization(id).await?;
                if SuspensionKind::naming(org.party) != Some(scope.kind) {
                    return Err(ProductError::Invalid {
                        field: "target_id",
                        problem: format!(
                            "names {} ({}), which is not a {} organisation",
                            org.name, org.party, scope.kind
                        ),
                    });
                }
            }
            _ => {}
        }
        let to = self.told(scope).await?;
        let now = self.workflow().now_ms();
        let mut tx = self.store().begin().await?;
        let id = tx
            .insert_suspension(scope, &findings, Some(actor.account_id), now)
            .await?;
        tx.append(EntryDraft {
            reason: Some(format!(
                "{} {}: {findings}",
                scope.kind,
                scope.target.map_or(String::new(), |t| t.to_string())
            )),
            ..by.entry("supply.suspend", "suspension", Some(id.to_string()))
        })
        .await?;
        rongshu_workflow::notify(
            self.store(),
            &mut tx,
            &to,
            "supply.suspended",
            ("suspension", id),
            &findings,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(self.store().suspension(id).await?)
    }

    pub async fn rectify(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        id: i64,
        rectification: &str,
    ) -> Result<Suspension, ProductError> {
        acting(
            actor,
            PartyType::Operator,
            "the operator records its rectification",
        )?;
        let rectification = text("rectification", rectification)?;
        let suspension = self.store().suspension(id).await?;
        suspension.status().rectify()?;
        let now = self.workflow().now_ms();
        let mut tx = self.store().begin().await?;
        tx.record_rectification(id, &rectification, Some(actor.account_id), now)
            .await?;
        tx.append(EntryDraft {
            reason: Some(rectification.clone()),
            ..by.entry("supply.rectify", "suspension", Some(id.to_string()))
        })
        .await?;
        rongshu_workflow::notify(
            self.store(),
            &mut tx,
            &[To::Party(PartyType::BigDataCenter)],
            "supply.rectified",
            ("suspension", suspension.id),
            &rectification,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(self.store().suspension(id).await?)
    }

    pub async fn resume(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        id: i64,
    ) -> Result<Suspension, ProductError> {
        acting(
            actor,
            PartyType::BigDataCenter,
            "only the Big Data Center resumes supply",
        )?;
        let suspension = self.store().suspension(id).await?;
        suspension.status().resume()?;
        let to = self.told(suspension.scope).await?;
        let now = self.workflow().now_ms();
        let mut tx = self.store().begin().await?;
        tx.resume_supply(id, Some(actor.account_id), now).await?;
        tx.append(by.entry("supply.resume", "suspension", Some(id.to_string())))
            .await?;
        rongshu_workflow::notify(
            self.store(),
            &mut tx,
            &to,
            "supply.resumed",
            ("suspension", id),
            "",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(self.store().suspension(id).await?)
    }
}
