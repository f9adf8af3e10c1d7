//! Notices the workflow owes: to whoever must act next, and the formal
//! notices the regulation requires (terminations to the Office and the
//! Committee, refusals of consented demands to the Office).

use rongshu_domain::PartyType;
use rongshu_store::{NewNotification, Store, WriteTx};

use crate::WorkflowError;

/// Who a notice goes to.
#[derive(Clone, Copy, Debug)]
pub enum To {
    Org(i64),
    /// Every organisation of a party (the Office, the Committee, the
    /// operator and the Big Data Center are usually one each).
    Party(PartyType),
}

/// Adds a notice for each recipient inside `tx`.
pub async fn notify(
    store: &Store,
    tx: &mut WriteTx<'_>,
    to: &[To],
    kind: &str,
    subject: (&str, i64),
    message: &str,
    now_ms: i64,
) -> Result<(), WorkflowError> {
    let mut orgs = Vec::new();
    for recipient in to {
        match *recipient {
            To::Org(id) => orgs.push(id),
            To::Party(party) => orgs.extend(orgs_of(store, party).await?),
        }
    }
    orgs.sort_unstable();
    orgs.dedup();
    for org_id in orgs {
        let notice = NewNotification {
            org_id,
            kind: kind.to_owned(),
            subject_type: subject.0.to_owned(),
            subject_id: subject.1,
            message: message.to_owned(),
        };
        tx.notify(&notice, now_ms).await?;
    }
    Ok(())
}

pub(crate) async fn orgs_of(store: &Store, party: PartyType) -> Result<Vec<i64>, WorkflowError> {
    Ok(store
        .organizations()
        .await?
        .into_iter()
        .filter(|o| o.party == party)
        .map(|o| o.id)
        .collect())
}

/// The one organisation of a party the workflow needs (the operator, the
/// Big Data Center): the first registered.
pub(crate) async fn the(store: &Store, party: PartyType) -> Result<i64, WorkflowError> {
    orgs_of(store, party)
        .await?
        .first()
        .copied()
        .ok_or(WorkflowError::MissingParty(party.as_str()))
}

impl crate::Workflow {
    pub(crate) async fn notify(
        &self,
        tx: &mut WriteTx<'_>,
        to: &[To],
        kind: &str,
        subject: (&str, i64),
        message: &str,
    ) -> Result<(), WorkflowError> {
        notify(&self.store, tx, to, kind, subject, message, self.now_ms()).await
    }

    pub(crate) async fn the(&self, party: PartyType) -> Result<i64, WorkflowError> {
        the(&self.store, party).await
    }
}
