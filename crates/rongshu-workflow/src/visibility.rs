//! Who may read which assessments, authorizations and delivery tasks: a
//! provider its own, the operator and the supervisors all. Routes decide
//! which parties reach a list at all; this decides which records.

use rongshu_domain::{Actor, PartyType};
use rongshu_store::{Assessment, Authorization, DeliveryTask};

use crate::{Workflow, WorkflowError};

/// The provider whose records alone `actor` sees, when it is one.
fn own_provider(actor: &Actor) -> Option<i64> {
    (actor.party == PartyType::Provider).then_some(actor.org_id)
}

impl Workflow {
    pub async fn visible_assessments(
        &self,
        actor: &Actor,
    ) -> Result<Vec<Assessment>, WorkflowError> {
        Ok(self.store.assessments(None, own_provider(actor)).await?)
    }

    pub async fn visible_authorizations(
        &self,
        actor: &Actor,
    ) -> Result<Vec<Authorization>, WorkflowError> {
        Ok(self.store.authorizations(own_provider(actor)).await?)
    }

    pub async fn visible_authorization(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<Authorization, WorkflowError> {
        let authorization = self.store.authorization(id).await?;
        match own_provider(actor) {
            Some(org) if org != authorization.provider_org_id => Err(WorkflowError::Forbidden(
                "this authorization is another provider's",
            )),
            _ => Ok(authorization),
        }
    }

    pub async fn visible_delivery_tasks(
        &self,
        actor: &Actor,
    ) -> Result<Vec<DeliveryTask>, WorkflowError> {
        Ok(self.store.delivery_tasks(own_provider(actor)).await?)
    }
}
