//! Demands (Art. 11), the operator's pre-review, demand lists and the
//! Governance Office's review (Art. 12).

use rongshu_domain::resource::{DeidentificationLevel, ServiceMode};
use rongshu_domain::workflow::{
    AgreementKind, AssessmentAction, AssessmentStatus, By, DemandAction, DemandListAction,
    DemandListStatus, DemandStatus, Machine,
};
use rongshu_domain::{Actor, PartyType};
use rongshu_ledger::{Attribution, EntryDraft};
use rongshu_store::{
    AssessmentDecision, AuthorizationScope, AuthorizedResource, Demand, DemandFilter, DemandInput,
    DemandItem, DemandList, Resource, WriteTx,
};

use crate::notices::To;
use crate::{Workflow, WorkflowError, acting, text};

/// A demand as its author writes it; resources by catalogue code.
#[derive(Clone, Debug, Default)]
pub struct DemandDraft {
    pub title: String,
    pub wanted: String,
    pub modes: Vec<String>,
    pub scenario: String,
    pub purpose: String,
    pub term_months: i64,
    pub consent: String,
    /// The use claims to serve the public interest.
    pub public_interest: bool,
    /// (resource code, fields; none for every field)
    pub items: Vec<(String, Vec<String>)>,
}

/// The Governance Office's decision on one item of a submitted list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListItemDecision {
    Pass,
    Return,
}

fn invalid(field: &'static str, problem: &'static str) -> WorkflowError {
    WorkflowError::Invalid { field, problem }
}

impl Workflow {
    async fn validate(&self, draft: &DemandDraft) -> Result<DemandInput, WorkflowError> {
        let title = text("title", &draft.title, 1, 200)?;
        let scenario = text("scenario", &draft.scenario, 1, 2000).map_err(|_| {
            invalid(
                "scenario",
                "is required: no application scenario, no authorization (Art. 11)",
            )
        })?;
        let purpose = text("purpose", &draft.purpose, 1, 2000)?;
        let wanted = text("wanted", &draft.wanted, 0, 4000)?;
        let consent = text("consent", &draft.consent, 0, 4000)?;
        let modes = draft
            .modes
            .iter()
            .map(|m| m.parse::<ServiceMode>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| invalid("modes", "must be download, query-api, verification-api, sandbox, joint-computation or consulting"))?;
        if modes.is_empty() {
            return Err(invalid("modes", "name at least one usage mode"));
        }
        if !(1..=60).contains(&draft.term_months) {
            return Err(invalid("term_months", "must be 1 to 60 months"));
        }
        if draft.items.is_empty() && wanted.is_empty() {
            return Err(invalid(
                "items",
                "name catalogue resources, or describe the data wanted",
            ));
        }
        let mut items = Vec::new();
        for (code, fields) in &draft.items {
            let resource =
                self.store.resource_by_code(code).await.map_err(|_| {
                    invalid("items", "names a resource the catalogue does not have")
                })?;
            if items
                .iter()
                .any(|i: &DemandItem| i.resource_id == resource.id)
            {
                return Err(invalid("items", "names a resource twice"));
            }
            check_fields(&self.store.resource_fields(resource.id).await?, fields)?;
            items.push(DemandItem {
                resource_id: resource.id,
                fields: fields.clone(),
            });
        }
        Ok(DemandInput {
            title,
            wanted,
            modes,
            scenario,
            purpose,
            term_months: draft.term_months,
            consent,
            public_interest: draft.public_interest,
            items,
        })
    }

    /// Files a demand for the caller's organisation, or, by the operator,
    /// for the user organisation `on_behalf_of`; `submit` sends it to
    /// pre-review at once.
    pub async fn file_demand(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        on_behalf_of: Option<i64>,
        draft: &DemandDraft,
        submit: bool,
    ) -> Result<Demand, WorkflowError> {
        acting(actor)?;
        let user_org_id = match (actor.party, on_behalf_of) {
            (PartyType::User, None) => actor.org_id,
            (PartyType::Operator, Some(org)) => {
                if self.store.organization(org).await?.party != PartyType::User {
                    return Err(invalid("user_org_id", "must be a data user's organisation"));
                }
                org
            }
            (PartyType::Operator, None) => {
                return Err(invalid(
                    "user_org_id",
                    "names the user the operator files for",
                ));
            }
            _ => {
                return Err(WorkflowError::Forbidden(
                    "only data users, or the operator on their behalf, file demands",
                ));
            }
        };
        let about = self.validate(draft).await?;
        let now = self.now_ms();
        let mut tx = self.store.begin_aside().await?;
        let id = tx
            .insert_demand(user_org_id, Some(actor.account_id), &about, now)
            .await?;
        tx.append(by.entry("demand.create", "demand", Some(id.to_string())))
            .await?;
        if submit {
            self.move_demand(
                &mut tx,
                by,
                id,
                DemandStatus::Draft,
                DemandAction::Submit,
                actor,
                None,
            )
            .await?;
            self.notify(
                &mut tx,
                &[To::Party(PartyType::Operator)],
                "demand.submitted",
                ("demand", id),
                "",
            )
            .await?;
        }
        tx.commit().await?;
        Ok(self.store.demand(id).await?)
    }

    /// Rewrites a draft or returned demand.
    pub async fn edit_demand(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        id: i64,
        draft: &DemandDraft,
    ) -> Result<Demand, WorkflowError> {
        acting(actor)?;
        let demand = self.store.demand(id).await?;
        self.check_author(actor, &demand)?;
        if !demand.status.is_editable() {
            return Err(invalid(
                "status",
                "only a draft or returned demand can be changed",
            ));
        }
        let about = self.validate(draft).await?;
        let mut tx = self.store.begin().await?;
        tx.update_demand(id, &about, self.now_ms()).await?;
        tx.append(by.entry("demand.update", "demand", Some(id.to_string())))
            .await?;
        tx.commit().await?;
        Ok(self.store.demand(id).await?)
    }

    /// The user who filed, or the operator, who acts on users' behalf.
    fn check_author(&self, actor: &Actor, demand: &Demand) -> Result<(), WorkflowError> {
        if actor.org_id == demand.user_org_id || actor.party == PartyType::Operator {
            Ok(())
        } else {
            Err(WorkflowError::Forbidden(
                "this demand belongs to another organisation",
            ))
        }
    }

    /// A step of the author or the operator on a demand: submit,
    /// withdraw, accept (naming `providers` for uncatalogued data),
    /// return or reject (with reasons), or requeue after the Office
    /// returned it.
    pub async fn demand_step(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        id: i64,
        action: DemandAction,
        note: &str,
        providers: &[i64],
    ) -> Result<Demand, WorkflowError> {
        acting(actor)?;
        use DemandAction as A;
        if !matches!(
            action,
            A::Submit | A::Withdraw | A::Accept | A::Return | A::Reject | A::Requeue
        ) {
            return Err(invalid(
                "action",
                "is taken through the demand list or by the platform",
            ));
        }
        let demand = self.store.demand(id).await?;
        if matches!(action, A::Submit | A::Withdraw) {
            self.check_author(actor, &demand)?;
        }
        let note = match action {
            A::Return | A::Reject => text("reason", note, 1, 2000).map_err(|_| {
                invalid("reason", "is required when returning or rejecting a demand")
            })?,
            _ => text("note", note, 0, 2000)?,
        };
        let mut named = Vec::new();
        if action == A::Accept {
            for &provider in providers {
                if self.store.organization(provider).await?.party != PartyType::Provider {
                    return Err(invalid(
                        "providers",
                        "must be data providers' organisations",
                    ));
                }
                named.push(provider);
            }
            if demand.about.items.is_empty() && named.is_empty() {
                return Err(invalid(
                    "providers",
                    "name the providers who hold the data this demand describes",
                ));
            }
        }
        let mut tx = self.store.begin().await?;
        let note = (!note.is_empty() || matches!(action, A::Accept)).then_some(note.as_str());
        self.move_demand(&mut tx, by, id, demand.status, action, actor, note)
            .await?;
        tx.name_demand_providers(id, &named).await?;
        let (to, kind) = match action {
            A::Submit => (To::Party(PartyType::Operator), "demand.submitted"),
            A::Withdraw => (To::Party(PartyType::Operator), "demand.withdrawn"),
            A::Accept => (To::Org(demand.user_org_id), "demand.accepted"),
            A::Return => (To::Org(demand.user_org_id), "demand.returned"),
            A::Reject => (To::Org(demand.user_org_id), "demand.rejected"),
            _ => (To::Org(demand.user_org_id), "demand.requeued"),
        };
        self.notify(
            &mut tx,
            &[to],
            kind,
            ("demand", id),
            note.unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(self.store.demand(id).await?)
    }

    /// Applies one demand transition and ledgers it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn move_demand(
        &self,
        tx: &mut WriteTx<'_>,
        by: &impl Attribution,
        id: i64,
        from: DemandStatus,
        action: DemandAction,
        actor: &Actor,
        note: Option<&str>,
    ) -> Result<DemandStatus, WorkflowError> {
        let to = from.apply(action, By::Party(actor.party))?;
        tx.set_demand_status(id, from, to, note, self.now_ms())
            .await?;
        tx.append(EntryDraft {
            reason: note.filter(|n| !n.is_empty()).map(str::to_owned),
            ..by.entry(
                &format!("demand.{}", action.as_str()),
                "demand",
                Some(id.to_string()),
            )
        })
        .await?;
        Ok(to)
    }

    /// Opens a demand list for a period (e.g. `2026-11`).
    pub async fn create_list(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        period: &str,
    ) -> Result<DemandList, WorkflowError> {
        acting(actor)?;
        if actor.party != PartyType::Operator {
            return Err(WorkflowError::Forbidden(
                "the operator gathers demand lists",
            ));
        }
        let period = text("period", period, 1, 40)?;
        let mut tx = self.store.begin().await?;
        let id = tx
            .insert_demand_list(&period, Some(actor.account_id), self.now_ms())
            .await?;
        tx.append(by.entry("demand-list.create", "demand-list", Some(id.to_string())))
            .await?;
        tx.commit().await?;
        Ok(self.store.demand_list(id).await?)
    }

    /// Puts an accepted demand on a draft list, or takes it off.
    pub async fn set_listed(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        list_id: i64,
        demand_id: i64,
        listed: bool,
    ) -> Result<Demand, WorkflowError> {
        acting(actor)?;
        let list = self.store.demand_list(list_id).await?;
        if list.status != DemandListStatus::Draft {
            return Err(invalid(
                "list",
                "is submitted; a submitted list does not change",
            ));
        }
        let demand = self.store.demand(demand_id).await?;
        if !listed && demand.list_id != Some(list_id) {
            return Err(invalid("demand", "is not on this list"));
        }
        let action = if listed {
            DemandAction::List
        } else {
            DemandAction::Unlist
        };
        let mut tx = self.store.begin().await?;
        self.move_demand(&mut tx, by, demand_id, demand.status, action, actor, None)
            .await?;
        tx.set_demand_list(demand_id, listed.then_some(list_id))
            .await?;
        tx.commit().await?;
        Ok(self.store.demand(demand_id).await?)
    }

    /// Sends a list to the Governance Office, due in its working days.
    pub async fn submit_list(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        list_id: i64,
    ) -> Result<DemandList, WorkflowError> {
        acting(actor)?;
        let list = self.store.demand_list(list_id).await?;
        let to = list
            .status
            .apply(DemandListAction::Submit, By::Party(actor.party))?;
        let demands = self.demands_on(list_id).await?;
        if demands.is_empty() {
            return Err(invalid(
                "list",
                "has no demands; put accepted demands on it first",
            ));
        }
        let due = self.deadline(self.deadlines.office_review);
        let mut tx = self.store.begin().await?;
        tx.set_demand_list_status(list_id, list.status, to, Some((self.now_ms(), due)))
            .await?;
        tx.append(EntryDraft {
            reason: Some(format!("{} demands, due {due}", demands.len())),
            ..by.entry(
                "demand-list.submit",
                "demand-list",
                Some(list_id.to_string()),
            )
        })
        .await?;
        for demand in &demands {
            self.move_demand(
                &mut tx,
                by,
                demand.id,
                demand.status,
                DemandAction::SubmitList,
                actor,
                None,
            )
            .await?;
        }
        self.notify(
            &mut tx,
            &[To::Party(PartyType::Governance)],
            "demand-list.submitted",
            ("demand-list", list_id),
            &format!("due {due}"),
        )
        .await?;
        tx.commit().await?;
        Ok(self.store.demand_list(list_id).await?)
    }

    async fn demands_on(&self, list_id: i64) -> Result<Vec<Demand>, WorkflowError> {
        let filter = DemandFilter {
            list_id: Some(list_id),
            ..DemandFilter::default()
        };
        Ok(self.store.demands(&filter).await?)
    }

    /// The Office's decision on one item of a submitted list. A passed
    /// demand goes to each provider it concerns, due in their working days;
    /// a provider asked only for open resources answers at once under its
    /// standing authorization (Art. 13).
    pub async fn review_item(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        demand_id: i64,
        decision: ListItemDecision,
        reason: &str,
    ) -> Result<Demand, WorkflowError> {
        acting(actor)?;
        let demand = self.store.demand(demand_id).await?;
        let list_id = demand
            .list_id
            .ok_or(invalid("demand", "is on no demand list"))?;
        let (action, reason) = match decision {
            ListItemDecision::Pass => (DemandAction::OfficePass, text("reason", reason, 0, 2000)?),
            ListItemDecision::Return => (
                DemandAction::OfficeReturn,
                text("reason", reason, 1, 2000).map_err(|_| {
                    invalid("reason", "is required when the Office returns a demand")
                })?,
            ),
        };
        let note = (!reason.is_empty()).then_some(reason.as_str());
        let mut tx = self.store.begin().await?;
        self.move_demand(&mut tx, by, demand_id, demand.status, action, actor, note)
            .await?;
        if decision == ListItemDecision::Pass {
            self.ask_providers(&mut tx, by, &demand).await?;
        } else {
            self.notify(
                &mut tx,
                &[To::Party(PartyType::Operator), To::Org(demand.user_org_id)],
                "demand.office-returned",
                ("demand", demand_id),
                &reason,
            )
            .await?;
        }
        // The list is reviewed once no item waits for the Office.
        let waiting = self
            .demands_on(list_id)
            .await?
            .iter()
            .filter(|d| d.id != demand_id && d.status == DemandStatus::OfficeReview)
            .count();
        if waiting == 0 {
            let list = self.store.demand_list(list_id).await?;
            let to = list
                .status
                .apply(DemandListAction::Complete, By::Platform)?;
            tx.set_demand_list_status(list_id, list.status, to, None)
                .await?;
            tx.append(by.entry(
                "demand-list.complete",
                "demand-list",
                Some(list_id.to_string()),
            ))
            .await?;
            self.notify(
                &mut tx,
                &[To::Party(PartyType::Operator)],
                "demand-list.reviewed",
                ("demand-list", list_id),
                "",
            )
            .await?;
        }
        tx.commit().await?;
        Ok(self.store.demand(demand_id).await?)
    }

    /// Opens an assessment for every provider the demand concerns.
    async fn ask_providers(
        &self,
        tx: &mut WriteTx<'_>,
        by: &impl Attribution,
        demand: &Demand,
    ) -> Result<(), WorkflowError> {
        let mut resources: Vec<(Resource, &DemandItem)> = Vec::new();
        for item in &demand.about.items {
            resources.push((self.store.resource(item.resource_id).await?, item));
        }
        let named = self.store.demand_providers(demand.id).await?;
        let mut providers: Vec<i64> = resources.iter().map(|(r, _)| r.provider_id).collect();
        providers.extend(&named);
        providers.sort_unstable();
        providers.dedup();
        let due = self.deadline(self.deadlines.provider_answer);
        let now = self.now_ms();
        for provider in providers {
            let asked: Vec<_> = resources
                .iter()
                .filter(|(r, _)| r.provider_id == provider)
                .collect();
            let assessment = tx.insert_assessment(demand.id, provider, due, now).await?;
            // Open, already delivered resources, and nothing uncatalogued:
            // the standing authorization answers.
            let standing = !named.contains(&provider)
                && !asked.is_empty()
                && asked
                    .iter()
                    .all(|(r, _)| r.about.open_data && r.latest_version.is_some());
            if !standing {
                tx.append(by.entry(
                    "assessment.open",
                    "assessment",
                    Some(assessment.to_string()),
                ))
                .await?;
                self.notify(
                    tx,
                    &[To::Org(provider)],
                    "assessment.due",
                    ("demand", demand.id),
                    &format!("due {due}"),
                )
                .await?;
                continue;
            }
            let covered: Vec<_> = asked
                .iter()
                .map(|(r, _)| AuthorizedResource {
                    resource_id: r.id,
                    fields: Vec::new(),
                })
                .collect();
            let authorization = self
                .standing_authorization(tx, by, provider, &covered)
                .await?;
            let status =
                AssessmentStatus::Pending.apply(AssessmentAction::Standing, By::Platform)?;
            tx.decide_assessment(
                assessment,
                &AssessmentDecision {
                    status,
                    decided_by: None,
                    grounds: String::new(),
                    flagged: false,
                    authorization_id: Some(authorization),
                },
                now,
            )
            .await?;
            // Every use is under an agreement, open data too: the user
            // signs a data use agreement with the operator (Art. 15), for
            // the term the demand asked, like any other.
            let term_from = self.today();
            let term_until = term_from
                .checked_add_months(chrono::Months::new(demand.about.term_months as u32))
                .ok_or(WorkflowError::Invalid {
                    field: "term_months",
                    problem: "is out of range",
                })?;
            let scope = AuthorizationScope {
                resources: covered,
                scenario: demand.about.scenario.clone(),
                modes: demand.about.modes.clone(),
                deidentification: DeidentificationLevel::OpenData.as_str().into(),
                reidentification: false,
                quota: String::new(),
                daily_use_limit: None,
                conditions: String::new(),
                term_from,
                term_until: Some(term_until),
            };
            self.draft_agreements(
                tx,
                by,
                authorization,
                provider,
                &scope,
                demand,
                &[AgreementKind::DataUse],
            )
            .await?;
            tx.append(EntryDraft {
                reason: Some(format!(
                    "standing authorization {authorization} of open resources"
                )),
                ..by.entry(
                    "assessment.standing",
                    "assessment",
                    Some(assessment.to_string()),
                )
            })
            .await?;
        }
        self.settle(tx, by, demand.id).await
    }

    /// The provider's standing authorization of its open resources,
    /// created the first time it is needed and widened to `covered`.
    async fn standing_authorization(
        &self,
        tx: &mut WriteTx<'_>,
        by: &impl Attribution,
        provider: i64,
        covered: &[AuthorizedResource],
    ) -> Result<i64, WorkflowError> {
        if let Some(existing) = self.store.standing_authorization(provider).await? {
            tx.add_authorized_resources(existing.id, covered).await?;
            return Ok(existing.id);
        }
        let operator = self.the(PartyType::Operator).await?;
        let scope = AuthorizationScope {
            resources: covered.to_vec(),
            scenario: "公共数据开放平台已开放数据的整体授权 (Art. 13)".into(),
            modes: ServiceMode::ALL.to_vec(),
            deidentification: DeidentificationLevel::OpenData.as_str().into(),
            reidentification: false,
            quota: String::new(),
            daily_use_limit: None,
            conditions: String::new(),
            term_from: self.today(),
            term_until: None,
        };
        let id = tx
            .insert_authorization(provider, operator, true, &scope, None, self.now_ms())
            .await?;
        tx.append(by.entry(
            "authorization.standing",
            "authorization",
            Some(id.to_string()),
        ))
        .await?;
        Ok(id)
    }

    /// The demands `actor` may see: its own as a user, those it was asked
    /// about as a provider, all for the operator and supervisors.
    pub async fn visible_demands(&self, actor: &Actor) -> Result<Vec<Demand>, WorkflowError> {
        let all = match actor.party {
            PartyType::User => {
                let filter = DemandFilter {
                    user_org_id: Some(actor.org_id),
                    ..DemandFilter::default()
                };
                return Ok(self.store.demands(&filter).await?);
            }
            _ => self.store.demands(&DemandFilter::default()).await?,
        };
        if actor.party != PartyType::Provider {
            return Ok(all);
        }
        let asked: Vec<i64> = self
            .store
            .assessments(None, Some(actor.org_id))
            .await?
            .iter()
            .map(|a| a.demand_id)
            .collect();
        Ok(all.into_iter().filter(|d| asked.contains(&d.id)).collect())
    }

    /// One demand, if `actor` may see it.
    pub async fn visible_demand(&self, actor: &Actor, id: i64) -> Result<Demand, WorkflowError> {
        let demand = self.store.demand(id).await?;
        let visible = match actor.party {
            PartyType::User => demand.user_org_id == actor.org_id,
            PartyType::Provider => !self
                .store
                .assessments(Some(id), Some(actor.org_id))
                .await?
                .is_empty(),
            _ => true,
        };
        if visible {
            Ok(demand)
        } else {
            Err(WorkflowError::Forbidden(
                "this demand belongs to another organisation",
            ))
        }
    }
}

/// Named fields must exist once the resource has fields.
fn check_fields(
    known: &[rongshu_store::ResourceField],
    fields: &[String],
) -> Result<(), WorkflowError> {
    if known.is_empty() {
        return Ok(());
    }
    if fields.iter().any(|f| !known.iter().any(|k| &k.name == f)) {
        return Err(invalid("items", "names a field the resource does not have"));
    }
    Ok(())
}
