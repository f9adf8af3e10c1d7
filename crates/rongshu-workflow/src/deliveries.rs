//! Delivery tasks closing as versions arrive (Art. 14), and the check every
//! use of data makes: an in-force data use agreement over an active
//! authorization that covers the resource and the mode (Art. 15, 16).

use chrono::NaiveDate;
use rongshu_domain::PartyType;
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::workflow::{
    AgreementKind, AuthorizationStatus, By, DeliveryTaskAction, Machine, Term,
};
use rongshu_ledger::Attribution;
use rongshu_store::{Agreement, Authorization, Store, WriteTx};

use crate::authorizations::settle;
use crate::notices::{To, notify};
use crate::{Workflow, WorkflowError};

/// Closes the open delivery tasks whose authorization covers `resource_id`
/// once version `version_id` of it is published and every other resource
/// they cover has a version since the task opened, inside the publishing
/// transaction; then moves their demands on.
pub async fn close_delivery_tasks(
    store: &Store,
    tx: &mut WriteTx<'_>,
    by: &(impl Attribution + ?Sized),
    resource_id: i64,
    version_id: i64,
    now_ms: i64,
) -> Result<u32, WorkflowError> {
    let mut closed = 0;
    for task in tx.open_delivery_tasks_for(resource_id).await? {
        let waiting = tx
            .resources_awaiting_delivery(task.authorization_id, task.opened_at_ms)
            .await?;
        if waiting > 0 {
            continue;
        }
        let to = task
            .status
            .apply(DeliveryTaskAction::Deliver, By::Platform)?;
        tx.close_delivery_task(task.id, to, Some(version_id), now_ms)
            .await?;
        tx.append(rongshu_ledger::EntryDraft {
            reason: Some(format!("version {version_id}")),
            ..by.entry(
                "delivery-task.deliver",
                "delivery-task",
                Some(task.id.to_string()),
            )
        })
        .await?;
        notify(
            store,
            tx,
            &[
                To::Party(PartyType::Operator),
                To::Org(task.provider_org_id),
            ],
            "delivery-task.delivered",
            ("delivery-task", task.id),
            "",
            now_ms,
        )
        .await?;
        for demand in tx.demands_answered_by(task.authorization_id).await? {
            settle(store, tx, by, demand, now_ms).await?;
        }
        closed += 1;
    }
    Ok(closed)
}

/// Why a use of data is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UseRefusal {
    #[error("no data use agreement of this organisation covers the resource")]
    NoAgreement,
    #[error("the data use agreement is not signed by every party yet")]
    NotSigned,
    #[error("the authorization was terminated by its provider: every use built on it has stopped")]
    Terminated,
    #[error("the agreement's term does not include today")]
    OutsideTerm,
    #[error("the authorization does not allow the {0} usage mode")]
    ModeNotAllowed(&'static str),
}

impl UseRefusal {
    /// A stable code for problem responses.
    pub fn code(&self) -> &'static str {
        match self {
            UseRefusal::NoAgreement => "no-agreement",
            UseRefusal::NotSigned => "agreement-not-signed",
            UseRefusal::Terminated => "authorization-terminated",
            UseRefusal::OutsideTerm => "outside-term",
            UseRefusal::ModeNotAllowed(_) => "mode-not-authorized",
        }
    }

    /// How near the use came: of several agreements, the nearest one's
    /// refusal tells the user what to do, whatever order they are read in.
    fn nearness(&self) -> u8 {
        match self {
            UseRefusal::NoAgreement => 0,
            UseRefusal::Terminated => 1,
            UseRefusal::OutsideTerm => 2,
            UseRefusal::NotSigned => 3,
            UseRefusal::ModeNotAllowed(_) => 4,
        }
    }
}

/// The grounds on which a use is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseGrant {
    pub agreement_id: i64,
    pub authorization_id: i64,
    pub fields: Vec<String>,
    /// The demand behind the agreement serves the public interest, as
    /// reviewed: its use is free of charge.
    pub public_interest: bool,
    /// The authorization's cap on the organisation's uses a day, across
    /// every product made under it.
    pub daily_use_limit: Option<i64>,
}

/// The closest a user organisation comes to using `resource_id` by `mode`
/// on `day`: the grant, or the most telling refusal.
pub fn check_use(
    candidates: &[(Agreement, Authorization)],
    resource_id: i64,
    mode: ServiceMode,
    day: NaiveDate,
) -> Result<UseGrant, UseRefusal> {
    let mut refusal = UseRefusal::NoAgreement;
    for (agreement, authorization) in candidates {
        let Some(covered) = authorization
            .scope
            .resources
            .iter()
            .find(|r| r.resource_id == resource_id)
        else {
            continue;
        };
        let term = Term {
            from: agreement.term_from,
            until: agreement.term_until,
        };
        let why = if authorization.status == AuthorizationStatus::Terminated {
            UseRefusal::Terminated
        } else if !agreement.status.in_force(term, day) {
            if term.contains(day) {
                UseRefusal::NotSigned
            } else {
                UseRefusal::OutsideTerm
            }
        } else if !authorization.scope.modes.contains(&mode) {
            UseRefusal::ModeNotAllowed(mode.as_str())
        } else {
            return Ok(UseGrant {
                agreement_id: agreement.id,
                authorization_id: authorization.id,
                fields: covered.fields.clone(),
                // Read from the agreement's demand by `may_use`.
                public_interest: false,
                daily_use_limit: authorization.scope.daily_use_limit,
            });
        };
        if why.nearness() > refusal.nearness() {
            refusal = why;
        }
    }
    Err(refusal)
}

/// Which of an organisation's agreements a use may rest on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UseBasis {
    /// Any of its data use agreements (the console's use check).
    AnyAgreement,
    /// Only agreements under this authorization: a product serves on the
    /// authorization it is built on, stops with it, and bills by its
    /// agreement, whatever other agreements cover the same resource.
    Authorization(i64),
}

impl UseBasis {
    fn admits(self, agreement: &Agreement) -> bool {
        agreement.kind == AgreementKind::DataUse
            && match self {
                UseBasis::AnyAgreement => true,
                UseBasis::Authorization(id) => agreement.authorization_id == id,
            }
    }
}

impl Workflow {
    /// Whether `user_org_id` may use `resource_id` by `mode` today on
    /// `basis`; every product, API key and sandbox access goes through here.
    pub async fn may_use(
        &self,
        user_org_id: i64,
        resource_id: i64,
        mode: ServiceMode,
        basis: UseBasis,
    ) -> Result<Result<UseGrant, UseRefusal>, WorkflowError> {
        let mut candidates = Vec::new();
        for agreement in self.store.agreements(None, Some(user_org_id)).await? {
            if !basis.admits(&agreement) {
                continue;
            }
            // Agreements under one authorization read it once.
            let read = candidates
                .iter()
                .find(|(_, a): &&(_, Authorization)| a.id == agreement.authorization_id);
            let authorization = match read {
                Some((_, a)) => a.clone(),
                None => self.store.authorization(agreement.authorization_id).await?,
            };
            candidates.push((agreement, authorization));
        }
        let mut checked = check_use(&candidates, resource_id, mode, self.today());
        if let Ok(grant) = &mut checked {
            let demand = candidates
                .iter()
                .find(|(a, _)| a.id == grant.agreement_id)
                .and_then(|(a, _)| a.demand_id);
            if let Some(demand) = demand {
                grant.public_interest = self.store.demand(demand).await?.about.public_interest;
            }
        }
        Ok(checked)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use rongshu_domain::resource::ServiceMode;
    use rongshu_domain::workflow::{AgreementKind, AgreementStatus, AuthorizationStatus};
    use rongshu_store::{Agreement, Authorization, AuthorizationScope, AuthorizedResource};

    use super::{UseRefusal, check_use};

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    /// Agreement `id` over resource 1, for the query API, under an
    /// authorization of its own.
    fn candidate(
        id: i64,
        status: AgreementStatus,
        until: &str,
        authorization: AuthorizationStatus,
    ) -> (Agreement, Authorization) {
        let agreement = Agreement {
            id,
            kind: AgreementKind::DataUse,
            authorization_id: id,
            demand_id: None,
            body: String::new(),
            digest: String::new(),
            term_from: day("2026-01-01"),
            term_until: Some(day(until)),
            status,
            created_at_ms: 0,
            signed_at_ms: None,
            terminated_at_ms: None,
            signatures: Vec::new(),
        };
        let scope = AuthorizationScope {
            resources: vec![AuthorizedResource {
                resource_id: 1,
                fields: Vec::new(),
            }],
            scenario: String::new(),
            modes: vec![ServiceMode::QueryApi],
            deidentification: String::new(),
            reidentification: false,
            quota: String::new(),
            daily_use_limit: None,
            conditions: String::new(),
            term_from: day("2026-01-01"),
            term_until: None,
        };
        let authorization = Authorization {
            id,
            provider_org_id: 1,
            operator_org_id: 2,
            standing: false,
            scope,
            status: authorization,
            granted_by: None,
            created_at_ms: 0,
            terminated_at_ms: None,
            termination_grounds: None,
        };
        (agreement, authorization)
    }

    #[test]
    fn of_several_agreements_the_nearest_refusal_is_given_in_any_order() {
        use AgreementStatus::{AwaitingSignatures, Signed};
        use AuthorizationStatus::{Active, Terminated};
        let today = day("2026-12-03");
        let check =
            |candidates: &[(Agreement, Authorization)], mode| check_use(candidates, 1, mode, today);
        let ended = candidate(1, Signed, "2026-06-30", Active);
        let unsigned = candidate(2, AwaitingSignatures, "2027-06-30", Active);
        let terminated = candidate(3, Signed, "2027-06-30", Terminated);
        let signed = candidate(4, Signed, "2027-06-30", Active);
        let query = ServiceMode::QueryApi;

        assert_eq!(check(&[], query), Err(UseRefusal::NoAgreement));
        let all = [ended.clone(), unsigned.clone(), terminated.clone()];
        let mut reversed = all.clone();
        reversed.reverse();
        for candidates in [all, reversed] {
            assert_eq!(check(&candidates, query), Err(UseRefusal::NotSigned));
        }
        for candidates in [
            [ended.clone(), terminated.clone()],
            [terminated.clone(), ended.clone()],
        ] {
            assert_eq!(check(&candidates, query), Err(UseRefusal::OutsideTerm));
        }
        assert_eq!(
            check(&[signed.clone(), unsigned], ServiceMode::Download),
            Err(UseRefusal::ModeNotAllowed("download"))
        );
        let granted = check(&[ended, terminated, signed], query);
        assert_eq!(granted.map(|g| g.agreement_id), Ok(4));
    }
}
