//! Disputes between a provider and the operator about an authorization or
//! a use (Art. 19): the Office and the Committee coordinate, the expert
//! committee may give an opinion, the resolution is recorded.

use rongshu_domain::workflow::{By, DisputeAction, Machine};
use rongshu_domain::{Actor, PartyType};
use rongshu_ledger::{Attribution, EntryDraft};
use rongshu_store::Dispute;

use crate::notices::To;
use crate::{Workflow, WorkflowError, acting, text};

const COORDINATORS: [To; 2] = [
    To::Party(PartyType::Governance),
    To::Party(PartyType::Economy),
];

impl Workflow {
    /// Raises a dispute about an authorization: its provider or the operator.
    pub async fn raise_dispute(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        authorization_id: i64,
        subject: &str,
        statement: &str,
    ) -> Result<Dispute, WorkflowError> {
        acting(actor)?;
        let authorization = self.store.authorization(authorization_id).await?;
        let side = match actor.party {
            PartyType::Provider => actor.org_id == authorization.provider_org_id,
            PartyType::Operator => true,
            _ => false,
        };
        if !side {
            return Err(WorkflowError::Forbidden(
                "disputes are between the authorization's provider and the operator",
            ));
        }
        let subject = text("subject", subject, 1, 200)?;
        let statement = text("statement", statement, 1, 8000)?;
        let mut tx = self.store.begin().await?;
        let id = tx
            .insert_dispute(
                authorization_id,
                actor.org_id,
                &subject,
                &statement,
                self.now_ms(),
            )
            .await?;
        tx.append(by.entry("dispute.raise", "dispute", Some(id.to_string())))
            .await?;
        let other = match actor.party {
            PartyType::Provider => To::Party(PartyType::Operator),
            _ => To::Org(authorization.provider_org_id),
        };
        let to = [COORDINATORS[0], COORDINATORS[1], other];
        self.notify(&mut tx, &to, "dispute.raised", ("dispute", id), &subject)
            .await?;
        tx.commit().await?;
        Ok(self.store.dispute(id).await?)
    }

    /// A step on a dispute; `note` is the expert opinion, the resolution,
    /// or a remark.
    pub async fn dispute_step(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        id: i64,
        action: DisputeAction,
        note: &str,
    ) -> Result<Dispute, WorkflowError> {
        acting(actor)?;
        let dispute = self.store.dispute(id).await?;
        if action == DisputeAction::Withdraw && actor.org_id != dispute.raised_by_org {
            return Err(WorkflowError::Forbidden(
                "only the side that raised a dispute withdraws it",
            ));
        }
        let to = dispute.status.apply(action, By::Party(actor.party))?;
        let (opinion, resolution, note) = match action {
            DisputeAction::GiveOpinion => {
                let opinion =
                    text("opinion", note, 1, 8000).map_err(|_| WorkflowError::Invalid {
                        field: "opinion",
                        problem: "is required",
                    })?;
                (Some(opinion), None, String::new())
            }
            DisputeAction::Resolve => {
                let resolution =
                    text("resolution", note, 1, 8000).map_err(|_| WorkflowError::Invalid {
                        field: "resolution",
                        problem: "is required",
                    })?;
                (None, Some(resolution), String::new())
            }
            _ => (None, None, text("note", note, 0, 2000)?),
        };
        let authorization = self.store.authorization(dispute.authorization_id).await?;
        let mut tx = self.store.begin().await?;
        tx.update_dispute(
            id,
            dispute.status,
            to,
            opinion.as_deref(),
            resolution.as_deref(),
            self.now_ms(),
        )
        .await?;
        tx.append(EntryDraft {
            reason: (!note.is_empty()).then(|| note.clone()),
            ..by.entry(
                &format!("dispute.{}", action.as_str()),
                "dispute",
                Some(id.to_string()),
            )
        })
        .await?;
        let sides = [
            To::Org(authorization.provider_org_id),
            To::Party(PartyType::Operator),
        ];
        let recipients: Vec<To> = match action {
            DisputeAction::RequestOpinion => vec![To::Party(PartyType::Expert)],
            DisputeAction::GiveOpinion | DisputeAction::Withdraw => COORDINATORS.to_vec(),
            DisputeAction::TakeUp | DisputeAction::Resolve => sides.to_vec(),
        };
        let kind = format!("dispute.{}", action.as_str());
        self.notify(&mut tx, &recipients, &kind, ("dispute", id), &note)
            .await?;
        tx.commit().await?;
        Ok(self.store.dispute(id).await?)
    }

    /// Disputes `actor` may read: its own side's, or all for supervisors,
    /// the operator and the expert committee.
    pub async fn visible_disputes(&self, actor: &Actor) -> Result<Vec<Dispute>, WorkflowError> {
        let all = self.store.disputes().await?;
        if actor.party != PartyType::Provider {
            return Ok(if actor.party == PartyType::User {
                Vec::new()
            } else {
                all
            });
        }
        let mut mine = Vec::new();
        for d in all {
            if self
                .store
                .authorization(d.authorization_id)
                .await?
                .provider_org_id
                == actor.org_id
            {
                mine.push(d);
            }
        }
        Ok(mine)
    }
}
