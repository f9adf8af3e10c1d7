//! Providers' answers (授权确认, Art. 13), the authorizations and delivery
//! tasks they open (Art. 14), termination (Art. 16), and the platform's
//! own steps on a demand once its answers and deliveries change.

use chrono::{Months, NaiveDate};
use rongshu_domain::resource::{DeidentificationLevel, ServiceMode};
use rongshu_domain::workflow::{
    AgreementKind, AgreementStatus, AssessmentAction, AuthorizationAction, By, DeliveryTaskAction,
    DeliveryTaskStatus, DemandAction, Machine, platform_step,
};
use rongshu_domain::{Actor, PartyType};
use rongshu_ledger::{Attribution, EntryDraft};
use rongshu_store::{
    AssessmentDecision, Authorization, AuthorizationScope, AuthorizedResource, Demand, Store,
    WriteTx,
};

use crate::notices::{To, notify};
use crate::{Workflow, WorkflowError, acting, text};

/// What a provider authorizes, as it writes it.
#[derive(Clone, Debug, Default)]
pub struct AuthorizationTerms {
    /// (resource code, fields); none means the demand's resources of this
    /// provider as asked.
    pub resources: Vec<(String, Vec<String>)>,
    /// Allowed usage modes, among those asked; none means all asked.
    pub modes: Vec<String>,
    pub deidentification: String,
    pub reidentification: bool,
    pub quota: String,
    /// A cap on each user organisation's uses a day across every product
    /// made under the authorization, enforced on every call.
    pub daily_use_limit: Option<i64>,
    pub conditions: String,
    pub term_from: Option<NaiveDate>,
    pub term_until: Option<NaiveDate>,
}

/// A provider's answer to one demand.
#[derive(Clone, Debug)]
pub enum Answer {
    Authorize(AuthorizationTerms),
    /// With legal grounds; a justification when the demand carries the
    /// data subjects' consent.
    Refuse {
        grounds: String,
    },
}

fn invalid(field: &'static str, problem: &'static str) -> WorkflowError {
    WorkflowError::Invalid { field, problem }
}

impl Workflow {
    /// The provider's answer to an assessment.
    pub async fn answer(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        assessment_id: i64,
        answer: &Answer,
    ) -> Result<Demand, WorkflowError> {
        acting(actor)?;
        let assessment = self.store.assessment(assessment_id).await?;
        if actor.party == PartyType::Provider && actor.org_id != assessment.provider_org_id {
            return Err(WorkflowError::Forbidden("another provider was asked this"));
        }
        let action = match answer {
            Answer::Authorize(_) => AssessmentAction::Authorize,
            Answer::Refuse { .. } => AssessmentAction::Refuse,
        };
        let status = assessment.status.apply(action, By::Party(actor.party))?;
        let demand = self.store.demand(assessment.demand_id).await?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        let mut decision = AssessmentDecision {
            status,
            decided_by: Some(actor.account_id),
            grounds: String::new(),
            flagged: false,
            authorization_id: None,
        };
        match answer {
            Answer::Refuse { grounds } => {
                let consented = !demand.about.consent.is_empty();
                let min = if consented { 20 } else { 1 };
                decision.grounds = text("grounds", grounds, min, 4000).map_err(|_| {
                    invalid(
                        "grounds",
                        if consented {
                            "the data subjects consented: a refusal needs a written justification of at least 20 characters"
                        } else {
                            "a refusal states its legal grounds"
                        },
                    )
                })?;
                decision.flagged = consented;
            }
            Answer::Authorize(terms) => {
                let scope = self
                    .scope(&demand, assessment.provider_org_id, terms)
                    .await?;
                let id = self
                    .grant(
                        &mut tx,
                        by,
                        actor,
                        assessment.provider_org_id,
                        &scope,
                        &demand,
                    )
                    .await?;
                decision.authorization_id = Some(id);
            }
        }
        tx.decide_assessment(assessment_id, &decision, now).await?;
        tx.append(EntryDraft {
            reason: (!decision.grounds.is_empty()).then(|| decision.grounds.clone()),
            ..by.entry(
                &format!("assessment.{}", action.as_str()),
                "assessment",
                Some(assessment_id.to_string()),
            )
        })
        .await?;
        let mut to = vec![
            To::Party(PartyType::Operator),
            To::Party(PartyType::Governance),
            To::Org(demand.user_org_id),
        ];
        let kind = match (action, decision.flagged) {
            (AssessmentAction::Refuse, true) => "assessment.refused-despite-consent",
            (AssessmentAction::Refuse, false) => "assessment.refused",
            _ => {
                to.push(To::Party(PartyType::BigDataCenter));
                "assessment.authorized"
            }
        };
        self.notify(&mut tx, &to, kind, ("demand", demand.id), &decision.grounds)
            .await?;
        self.settle(&mut tx, by, demand.id).await?;
        tx.commit().await?;
        Ok(self.store.demand(demand.id).await?)
    }

    /// The authorization's scope from the provider's terms, checked
    /// against what the demand asked.
    async fn scope(
        &self,
        demand: &Demand,
        provider: i64,
        terms: &AuthorizationTerms,
    ) -> Result<AuthorizationScope, WorkflowError> {
        let mut resources = Vec::new();
        if terms.resources.is_empty() {
            for item in &demand.about.items {
                if self.store.resource(item.resource_id).await?.provider_id == provider {
                    resources.push(AuthorizedResource {
                        resource_id: item.resource_id,
                        fields: item.fields.clone(),
                    });
                }
            }
        }
        for (code, fields) in &terms.resources {
            let resource = self.store.resource_by_code(code).await.map_err(|_| {
                invalid("resources", "names a resource the catalogue does not have")
            })?;
            if resource.provider_id != provider {
                return Err(invalid("resources", "names another provider's resource"));
            }
            resources.push(AuthorizedResource {
                resource_id: resource.id,
                fields: fields.clone(),
            });
        }
        if resources.is_empty() {
            return Err(invalid(
                "resources",
                "name the resources this authorization covers",
            ));
        }
        let modes = if terms.modes.is_empty() {
            demand.about.modes.clone()
        } else {
            let modes = terms
                .modes
                .iter()
                .map(|m| m.parse::<ServiceMode>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| invalid("modes", "names an unknown usage mode"))?;
            if modes.iter().any(|m| !demand.about.modes.contains(m)) {
                return Err(invalid(
                    "modes",
                    "may only allow usage modes the demand asked for",
                ));
            }
            modes
        };
        let chosen = terms.deidentification.parse::<DeidentificationLevel>();
        if !chosen.is_ok_and(|level| DeidentificationLevel::CHOSEN_BY_PROVIDERS.contains(&level)) {
            return Err(invalid(
                "deidentification",
                "must be de-identified, anonymised, aggregated or sandbox-only",
            ));
        }
        let from = terms.term_from.unwrap_or_else(|| self.today());
        let until = match terms.term_until {
            Some(until) => until,
            None => from
                .checked_add_months(Months::new(demand.about.term_months as u32))
                .ok_or(invalid("term_until", "is out of range"))?,
        };
        if until <= from || until > from + chrono::Days::new(5 * 366) {
            return Err(invalid(
                "term_until",
                "must be after the start and within five years",
            ));
        }
        Ok(AuthorizationScope {
            resources,
            scenario: demand.about.scenario.clone(),
            modes,
            deidentification: terms.deidentification.clone(),
            reidentification: terms.reidentification,
            quota: text("quota", &terms.quota, 0, 500)?,
            daily_use_limit: match terms.daily_use_limit {
                Some(limit) if limit < 1 => {
                    return Err(invalid("daily_use_limit", "must be at least 1 use a day"));
                }
                limit => limit,
            },
            conditions: text("conditions", &terms.conditions, 0, 4000)?,
            term_from: from,
            term_until: Some(until),
        })
    }

    /// Records an authorization with its delivery task and agreements.
    async fn grant(
        &self,
        tx: &mut WriteTx<'_>,
        by: &impl Attribution,
        actor: &Actor,
        provider: i64,
        scope: &AuthorizationScope,
        demand: &Demand,
    ) -> Result<i64, WorkflowError> {
        let operator = self.the(PartyType::Operator).await?;
        let now = self.now_ms();
        let id = tx
            .insert_authorization(
                provider,
                operator,
                false,
                scope,
                Some(actor.account_id),
                now,
            )
            .await?;
        tx.append(by.entry("authorization.grant", "authorization", Some(id.to_string())))
            .await?;
        let due = self.deadline(self.deadlines.delivery);
        let task = tx.insert_delivery_task(id, provider, due, now).await?;
        tx.append(EntryDraft {
            reason: Some(format!("due {due}")),
            ..by.entry(
                "delivery-task.open",
                "delivery-task",
                Some(task.to_string()),
            )
        })
        .await?;
        self.draft_agreements(
            tx,
            by,
            id,
            provider,
            scope,
            demand,
            &[AgreementKind::Tripartite, AgreementKind::DataUse],
        )
        .await?;
        Ok(id)
    }

    /// Ends an authorization with stated grounds (Art. 16): its open
    /// delivery task is cancelled and its agreements end at once; the
    /// Office and the Committee receive formal notice, the operator and
    /// the users are informed.
    pub async fn terminate(
        &self,
        actor: &Actor,
        by: &impl Attribution,
        authorization_id: i64,
        grounds: &str,
    ) -> Result<Authorization, WorkflowError> {
        acting(actor)?;
        let authorization = self.store.authorization(authorization_id).await?;
        if actor.org_id != authorization.provider_org_id {
            return Err(WorkflowError::Forbidden(
                "only the provider that granted it ends an authorization",
            ));
        }
        authorization
            .status
            .apply(AuthorizationAction::Terminate, By::Party(actor.party))?;
        let grounds = text("grounds", grounds, 1, 4000).map_err(|_| {
            invalid(
                "grounds",
                "are required: a provider ends an authorization only with stated grounds (Art. 16)",
            )
        })?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        tx.terminate_authorization(authorization_id, &grounds, now)
            .await?;
        tx.append(EntryDraft {
            reason: Some(grounds.clone()),
            ..by.entry(
                "authorization.terminate",
                "authorization",
                Some(authorization_id.to_string()),
            )
        })
        .await?;
        if let Some(task) = self.store.delivery_task_of(authorization_id).await?
            && let Ok(to) = task.status.apply(DeliveryTaskAction::Cancel, By::Platform)
        {
            tx.close_delivery_task(task.id, to, None, now).await?;
            tx.append(by.entry(
                "delivery-task.cancel",
                "delivery-task",
                Some(task.id.to_string()),
            ))
            .await?;
        }
        let mut users = Vec::new();
        for agreement in self.store.agreements(Some(authorization_id), None).await? {
            if agreement.status == AgreementStatus::Terminated {
                continue;
            }
            tx.set_agreement_status(
                agreement.id,
                agreement.status,
                AgreementStatus::Terminated,
                now,
            )
            .await?;
            tx.append(by.entry(
                "agreement.terminate",
                "agreement",
                Some(agreement.id.to_string()),
            ))
            .await?;
            users.extend(
                agreement
                    .signatures
                    .iter()
                    .filter(|s| s.party == PartyType::User)
                    .map(|s| To::Org(s.org_id)),
            );
        }
        let mut to = vec![
            To::Party(PartyType::Governance),
            To::Party(PartyType::Economy),
            To::Party(PartyType::Operator),
        ];
        to.extend(users);
        self.notify(
            &mut tx,
            &to,
            "authorization.terminated",
            ("authorization", authorization_id),
            &grounds,
        )
        .await?;
        for demand in tx.demands_answered_by(authorization_id).await? {
            self.settle(&mut tx, by, demand).await?;
        }
        tx.commit().await?;
        Ok(self.store.authorization(authorization_id).await?)
    }

    pub(crate) async fn settle(
        &self,
        tx: &mut WriteTx<'_>,
        by: &impl Attribution,
        demand_id: i64,
    ) -> Result<(), WorkflowError> {
        settle(&self.store, tx, by, demand_id, self.now_ms()).await
    }
}

/// Takes the platform's own steps on a demand (authorized, refused,
/// delivered) for as long as its answers and tasks call for one.
pub(crate) async fn settle(
    store: &Store,
    tx: &mut WriteTx<'_>,
    by: &(impl Attribution + ?Sized),
    demand_id: i64,
    now_ms: i64,
) -> Result<(), WorkflowError> {
    loop {
        let status = tx.demand_status(demand_id).await?;
        let progress = tx.demand_progress(demand_id).await?;
        let answers: Vec<_> = progress.iter().map(|p| p.answer).collect();
        // Open resources under the standing authorization are already on
        // the platform: their delivery is done.
        let tasks: Vec<_> = progress
            .iter()
            .filter_map(|p| {
                if p.standing {
                    Some(DeliveryTaskStatus::Delivered)
                } else {
                    p.task
                }
            })
            .collect();
        let Some(action) = platform_step(status, &answers, &tasks) else {
            return Ok(());
        };
        let to = status.apply(action, By::Platform)?;
        tx.set_demand_status(demand_id, status, to, None, now_ms)
            .await?;
        tx.append(by.entry(
            &format!("demand.{}", action.as_str()),
            "demand",
            Some(demand_id.to_string()),
        ))
        .await?;
        let user: i64 = store.demand(demand_id).await?.user_org_id;
        let kind = match action {
            DemandAction::Authorize => "demand.authorized",
            DemandAction::Refuse => "demand.refused",
            _ => "demand.delivered",
        };
        notify(
            store,
            tx,
            &[To::Org(user), To::Party(PartyType::Operator)],
            kind,
            ("demand", demand_id),
            "",
            now_ms,
        )
        .await?;
    }
}
