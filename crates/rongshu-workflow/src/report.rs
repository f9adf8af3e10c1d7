//! Counts for the operator's regular reports to the Office, the Committee
//! and the providers (Art. 17): where demands stand and what is overdue.

use std::collections::BTreeMap;

use rongshu_domain::workflow::{
    AgreementStatus, AssessmentStatus, AuthorizationStatus, DeliveryTaskStatus, DemandListStatus,
};
use rongshu_store::DemandFilter;

use crate::{Workflow, WorkflowError};

/// The workflow at a glance, as of today.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkflowReport {
    /// Demands by status name.
    pub demands: BTreeMap<&'static str, u64>,
    pub lists_with_office: u64,
    pub lists_overdue: u64,
    pub answers_pending: u64,
    pub answers_overdue: u64,
    /// Refusals of demands the data subjects consented to.
    pub refusals_flagged: u64,
    pub deliveries_open: u64,
    pub deliveries_overdue: u64,
    pub authorizations_active: u64,
    pub authorizations_terminated: u64,
    pub agreements_awaiting_signatures: u64,
    pub agreements_signed: u64,
    pub disputes_open: u64,
}

impl Workflow {
    pub async fn report(&self) -> Result<WorkflowReport, WorkflowError> {
        let mut r = WorkflowReport::default();
        let overdue = |due| u64::from(self.due(due).state.is_overdue());
        for d in self.store.demands(&DemandFilter::default()).await? {
            *r.demands.entry(d.status.as_str()).or_default() += 1;
        }
        for l in self.store.demand_lists().await? {
            if let (DemandListStatus::Submitted, Some(due)) = (l.status, l.due_on) {
                r.lists_with_office += 1;
                r.lists_overdue += overdue(due);
            }
        }
        for a in self.store.assessments(None, None).await? {
            if a.status == AssessmentStatus::Pending {
                r.answers_pending += 1;
                r.answers_overdue += overdue(a.due_on);
            }
            r.refusals_flagged += u64::from(a.flagged);
        }
        for t in self.store.delivery_tasks(None).await? {
            if t.status == DeliveryTaskStatus::Open {
                r.deliveries_open += 1;
                r.deliveries_overdue += overdue(t.due_on);
            }
        }
        for a in self.store.authorizations(None).await? {
            match a.status {
                AuthorizationStatus::Active => r.authorizations_active += 1,
                AuthorizationStatus::Terminated => r.authorizations_terminated += 1,
            }
        }
        for a in self.store.agreements(None, None).await? {
            match a.status {
                AgreementStatus::AwaitingSignatures => r.agreements_awaiting_signatures += 1,
                AgreementStatus::Signed => r.agreements_signed += 1,
                AgreementStatus::Terminated => {}
            }
        }
        r.disputes_open = self
            .store
            .disputes()
            .await?
            .iter()
            .filter(|d| d.status.is_open())
            .count() as u64;
        Ok(r)
    }
}
