//! Overdue stages (Art. 12-14 deadlines): the responsible party and its
//! supervisor are told once, the first time the platform sees a stage late.

use rongshu_domain::PartyType;
use rongshu_domain::workflow::{AssessmentStatus, DeliveryTaskStatus, DemandListStatus};
use rongshu_ledger::{Attribution, EntryDraft};

use crate::notices::To;
use crate::{Workflow, WorkflowError};

/// One late stage: what it is, who answers for it and who supervises.
struct Late {
    kind: &'static str,
    subject: (&'static str, i64),
    to: Vec<To>,
    due: chrono::NaiveDate,
}

impl Workflow {
    /// Tells the responsible party and its supervisor of every stage that
    /// became overdue since the last run; returns how many it found.
    pub async fn notify_overdue(&self, by: &impl Attribution) -> Result<usize, WorkflowError> {
        let mut late = Vec::new();
        let overdue = |due| self.due(due).state.is_overdue();
        for list in self.store.demand_lists().await? {
            if let (DemandListStatus::Submitted, Some(due)) = (list.status, list.due_on)
                && overdue(due)
            {
                // The Office answers for the review; the operator waits on it.
                late.push(Late {
                    kind: "demand-list.overdue",
                    subject: ("demand-list", list.id),
                    to: vec![
                        To::Party(PartyType::Governance),
                        To::Party(PartyType::Operator),
                    ],
                    due,
                });
            }
        }
        for a in self.store.assessments(None, None).await? {
            if a.status == AssessmentStatus::Pending && overdue(a.due_on) {
                late.push(Late {
                    kind: "assessment.overdue",
                    subject: ("demand", a.demand_id),
                    to: vec![To::Org(a.provider_org_id), To::Party(PartyType::Governance)],
                    due: a.due_on,
                });
            }
        }
        for task in self.store.delivery_tasks(None).await? {
            if task.status == DeliveryTaskStatus::Open && overdue(task.due_on) {
                late.push(Late {
                    kind: "delivery-task.overdue",
                    subject: ("authorization", task.authorization_id),
                    to: vec![
                        To::Org(task.provider_org_id),
                        To::Party(PartyType::Governance),
                        To::Party(PartyType::BigDataCenter),
                    ],
                    due: task.due_on,
                });
            }
        }
        let mut told = 0;
        for stage in late {
            let (kind, (subject_type, subject_id)) = (stage.kind, stage.subject);
            if self.store.notified(kind, subject_type, subject_id).await? {
                continue;
            }
            let mut tx = self.store.begin().await?;
            let message = format!("due {}", stage.due);
            self.notify(&mut tx, &stage.to, kind, stage.subject, &message)
                .await?;
            tx.append(EntryDraft {
                reason: Some(message),
                ..by.entry(kind, subject_type, Some(subject_id.to_string()))
            })
            .await?;
            tx.commit().await?;
            told += 1;
        }
        Ok(told)
    }
}
