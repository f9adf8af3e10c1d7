//! Wire types of the demand → authorization → delivery workflow.

use rongshu_domain::calendar::DueState;
use rongshu_store::{
    Agreement, Assessment, Authorization, DeliveryTask, Demand, DemandList, Dispute, Notification,
};
use rongshu_workflow::{Due, Workflow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::types::rfc3339;

/// A stage's due date, counted in working days.
#[derive(Serialize, ToSchema)]
pub(crate) struct DueView {
    /// `YYYY-MM-DD`, China Standard Time.
    pub on: String,
    /// Negative once overdue, zero on the due date.
    pub working_days_left: i64,
    pub overdue: bool,
    /// Counted through a year the calendar does not declare yet.
    pub provisional: bool,
}

impl From<Due> for DueView {
    fn from(due: Due) -> DueView {
        DueView {
            on: due.on.to_string(),
            working_days_left: due.state.working_days_left(),
            overdue: matches!(due.state, DueState::Overdue(_)),
            provisional: due.provisional,
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DemandItemView {
    /// The resource's catalogue code.
    pub resource: String,
    /// Fields wanted; empty for every field.
    #[serde(default)]
    pub fields: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DemandView {
    pub id: i64,
    pub title: String,
    /// draft, pre-review, returned, rejected, withdrawn, accepted, listed,
    /// office-review, office-returned, with-providers, authorized, refused, delivered.
    pub status: String,
    pub user_org_id: i64,
    pub wanted: String,
    pub modes: Vec<String>,
    pub scenario: String,
    pub purpose: String,
    pub term_months: i64,
    /// The data subjects' consent, described; empty when none.
    pub consent: String,
    /// The use claims to serve the public interest.
    pub public_interest: bool,
    pub items: Vec<DemandItemView>,
    pub list_id: Option<i64>,
    /// The latest note or reasons of the operator or the Office.
    pub note: String,
    pub created_at: String,
    pub updated_at: String,
}

impl DemandView {
    /// `codes` maps resource ids to catalogue codes.
    pub fn of(d: &Demand, code: impl Fn(i64) -> String) -> DemandView {
        DemandView {
            id: d.id,
            title: d.about.title.clone(),
            status: d.status.as_str().to_owned(),
            user_org_id: d.user_org_id,
            wanted: d.about.wanted.clone(),
            modes: d
                .about
                .modes
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
            scenario: d.about.scenario.clone(),
            purpose: d.about.purpose.clone(),
            term_months: d.about.term_months,
            consent: d.about.consent.clone(),
            public_interest: d.about.public_interest,
            items: d
                .about
                .items
                .iter()
                .map(|i| DemandItemView {
                    resource: code(i.resource_id),
                    fields: i.fields.clone(),
                })
                .collect(),
            list_id: d.list_id,
            note: d.note.clone(),
            created_at: rfc3339(d.created_at_ms),
            updated_at: rfc3339(d.updated_at_ms),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DemandDetail {
    #[serde(flatten)]
    pub demand: DemandView,
    /// Each provider's answer, with its due date while pending.
    pub assessments: Vec<AssessmentView>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DemandRequest {
    pub title: String,
    /// Data the catalogue does not have yet, described.
    #[serde(default)]
    pub wanted: String,
    /// download, query-api, verification-api, sandbox, joint-computation, consulting.
    pub modes: Vec<String>,
    /// The concrete application scenario (required, Art. 11).
    pub scenario: String,
    pub purpose: String,
    pub term_months: i64,
    /// Evidence of the data subjects' consent, described.
    #[serde(default)]
    pub consent: String,
    /// The use serves the public interest: reviewed with the demand and,
    /// once passed, free of charge.
    #[serde(default)]
    pub public_interest: bool,
    #[serde(default)]
    pub items: Vec<DemandItemView>,
    /// Send to the operator's pre-review at once.
    #[serde(default)]
    pub submit: bool,
    /// The operator filing on a user's behalf names the user organisation.
    #[serde(default)]
    pub user_org_id: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DemandStepRequest {
    /// submit, withdraw, accept, return, reject or requeue.
    pub action: String,
    /// A note; the reasons when returning or rejecting.
    #[serde(default)]
    pub note: String,
    /// On accept: providers holding data the catalogue does not list.
    #[serde(default)]
    pub providers: Vec<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewRequest {
    /// pass or return.
    pub decision: String,
    /// Required when returning.
    #[serde(default)]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DemandListView {
    pub id: i64,
    pub period: String,
    /// draft, submitted or reviewed.
    pub status: String,
    pub submitted_at: Option<String>,
    /// The Office's review deadline while it is submitted.
    pub due: Option<DueView>,
    pub created_at: String,
}

impl DemandListView {
    pub fn of(l: &DemandList, flow: &Workflow) -> DemandListView {
        let pending = l.status == rongshu_domain::workflow::DemandListStatus::Submitted;
        DemandListView {
            id: l.id,
            period: l.period.clone(),
            status: l.status.as_str().to_owned(),
            submitted_at: l.submitted_at_ms.map(rfc3339),
            due: l.due_on.filter(|_| pending).map(|d| flow.due(d).into()),
            created_at: rfc3339(l.created_at_ms),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListRequest {
    /// The period it gathers, e.g. `2026-11`.
    pub period: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AssessmentView {
    pub id: i64,
    pub demand_id: i64,
    pub provider_org_id: i64,
    /// pending, authorized or refused.
    pub status: String,
    /// The answer's deadline while pending.
    pub due: Option<DueView>,
    pub decided_at: Option<String>,
    /// A refusal's legal grounds and justification.
    pub grounds: String,
    /// A refusal despite the data subjects' consent, flagged to the Office.
    pub flagged: bool,
    pub authorization_id: Option<i64>,
}

impl AssessmentView {
    pub fn of(a: &Assessment, flow: &Workflow) -> AssessmentView {
        let pending = a.status == rongshu_domain::workflow::AssessmentStatus::Pending;
        AssessmentView {
            id: a.id,
            demand_id: a.demand_id,
            provider_org_id: a.provider_org_id,
            status: a.status.as_str().to_owned(),
            due: pending.then(|| flow.due(a.due_on).into()),
            decided_at: a.decided_at_ms.map(rfc3339),
            grounds: a.grounds.clone(),
            flagged: a.flagged,
            authorization_id: a.authorization_id,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerRequest {
    /// authorize or refuse.
    pub decision: String,
    /// A refusal's legal grounds (a justification of 20 characters or more
    /// when the data subjects consented).
    #[serde(default)]
    pub grounds: String,
    /// Resources covered; empty for those of this provider the demand asked.
    #[serde(default)]
    pub resources: Vec<DemandItemView>,
    /// Allowed modes among those asked; empty for all asked.
    #[serde(default)]
    pub modes: Vec<String>,
    /// de-identified, anonymised, aggregated or sandbox-only.
    #[serde(default)]
    pub deidentification: String,
    #[serde(default)]
    pub reidentification: bool,
    #[serde(default)]
    pub quota: String,
    /// Uses (calls and downloads) a day by each user organisation across
    /// every product made under the authorization; refused past it
    /// (`use.authorization-limit-reached`). Absent: no such cap.
    #[serde(default)]
    pub daily_use_limit: Option<i64>,
    #[serde(default)]
    pub conditions: String,
    /// `YYYY-MM-DD`; today when absent.
    #[serde(default)]
    pub term_from: Option<String>,
    /// `YYYY-MM-DD`; the demand's requested term when absent.
    #[serde(default)]
    pub term_until: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AuthorizedResourceView {
    pub resource_id: i64,
    pub fields: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AuthorizationView {
    pub id: i64,
    pub provider_org_id: i64,
    pub operator_org_id: i64,
    /// The standing authorization of the provider's open resources.
    pub standing: bool,
    pub resources: Vec<AuthorizedResourceView>,
    pub scenario: String,
    pub modes: Vec<String>,
    pub deidentification: String,
    pub reidentification: bool,
    pub quota: String,
    /// Uses a day by each user organisation, all products together.
    pub daily_use_limit: Option<i64>,
    pub conditions: String,
    pub term_from: String,
    pub term_until: Option<String>,
    /// active or terminated.
    pub status: String,
    pub created_at: String,
    pub terminated_at: Option<String>,
    pub termination_grounds: Option<String>,
}

impl From<&Authorization> for AuthorizationView {
    fn from(a: &Authorization) -> AuthorizationView {
        AuthorizationView {
            id: a.id,
            provider_org_id: a.provider_org_id,
            operator_org_id: a.operator_org_id,
            standing: a.standing,
            resources: a
                .scope
                .resources
                .iter()
                .map(|r| AuthorizedResourceView {
                    resource_id: r.resource_id,
                    fields: r.fields.clone(),
                })
                .collect(),
            scenario: a.scope.scenario.clone(),
            modes: a
                .scope
                .modes
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
            deidentification: a.scope.deidentification.clone(),
            reidentification: a.scope.reidentification,
            quota: a.scope.quota.clone(),
            daily_use_limit: a.scope.daily_use_limit,
            conditions: a.scope.conditions.clone(),
            term_from: a.scope.term_from.to_string(),
            term_until: a.scope.term_until.map(|d| d.to_string()),
            status: a.status.as_str().to_owned(),
            created_at: rfc3339(a.created_at_ms),
            terminated_at: a.terminated_at_ms.map(rfc3339),
            termination_grounds: a.termination_grounds.clone(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TerminateRequest {
    /// The stated grounds (required, Art. 16).
    pub grounds: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryTaskView {
    pub id: i64,
    pub authorization_id: i64,
    pub provider_org_id: i64,
    /// open, delivered or cancelled.
    pub status: String,
    /// The delivery deadline while open.
    pub due: Option<DueView>,
    pub version_id: Option<i64>,
    pub opened_at: String,
    pub closed_at: Option<String>,
}

impl DeliveryTaskView {
    pub fn of(t: &DeliveryTask, flow: &Workflow) -> DeliveryTaskView {
        let open = t.status == rongshu_domain::workflow::DeliveryTaskStatus::Open;
        DeliveryTaskView {
            id: t.id,
            authorization_id: t.authorization_id,
            provider_org_id: t.provider_org_id,
            status: t.status.as_str().to_owned(),
            due: open.then(|| flow.due(t.due_on).into()),
            version_id: t.version_id,
            opened_at: rfc3339(t.opened_at_ms),
            closed_at: t.closed_at_ms.map(rfc3339),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SignatureView {
    pub party: String,
    pub org_id: i64,
    pub signed: bool,
    pub signed_at: Option<String>,
    /// The signer's SM2 public key (uncompressed SEC1, hex).
    pub public_key: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AgreementView {
    pub id: i64,
    /// tripartite or data-use.
    pub kind: String,
    pub authorization_id: i64,
    pub demand_id: Option<i64>,
    /// awaiting-signatures, signed or terminated.
    pub status: String,
    /// Signed by every party, within its term, and not terminated.
    pub in_force: bool,
    pub term_from: String,
    pub term_until: Option<String>,
    /// SM3 of the canonical text, hex; every signature covers it.
    pub digest: String,
    pub body: String,
    pub signatures: Vec<SignatureView>,
}

impl AgreementView {
    pub fn of(a: &Agreement, flow: &Workflow) -> AgreementView {
        let term = rongshu_domain::workflow::Term {
            from: a.term_from,
            until: a.term_until,
        };
        AgreementView {
            id: a.id,
            kind: a.kind.as_str().to_owned(),
            authorization_id: a.authorization_id,
            demand_id: a.demand_id,
            status: a.status.as_str().to_owned(),
            in_force: a.status.in_force(term, flow.today()),
            term_from: a.term_from.to_string(),
            term_until: a.term_until.map(|d| d.to_string()),
            digest: a.digest.clone(),
            body: a.body.clone(),
            signatures: a
                .signatures
                .iter()
                .map(|s| SignatureView {
                    party: s.party.as_str().to_owned(),
                    org_id: s.org_id,
                    signed: s.signature.is_some(),
                    signed_at: s.signed_at_ms.map(rfc3339),
                    public_key: s.public_key.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DisputeView {
    pub id: i64,
    pub authorization_id: i64,
    pub raised_by_org: i64,
    pub subject: String,
    pub statement: String,
    /// open, coordinating, awaiting-expert, resolved or withdrawn.
    pub status: String,
    pub expert_opinion: String,
    pub resolution: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Dispute> for DisputeView {
    fn from(d: &Dispute) -> DisputeView {
        DisputeView {
            id: d.id,
            authorization_id: d.authorization_id,
            raised_by_org: d.raised_by_org,
            subject: d.subject.clone(),
            statement: d.statement.clone(),
            status: d.status.as_str().to_owned(),
            expert_opinion: d.expert_opinion.clone(),
            resolution: d.resolution.clone(),
            created_at: rfc3339(d.created_at_ms),
            updated_at: rfc3339(d.updated_at_ms),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DisputeRequest {
    pub authorization_id: i64,
    pub subject: String,
    pub statement: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DisputeStepRequest {
    /// take-up, request-opinion, give-opinion, resolve or withdraw.
    pub action: String,
    /// The expert opinion, the resolution, or a remark.
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct NotificationView {
    pub id: i64,
    /// What happened, e.g. `assessment.due`, `authorization.terminated`.
    pub kind: String,
    pub subject_type: String,
    pub subject_id: i64,
    pub message: String,
    pub created_at: String,
    pub read: bool,
}

impl From<&Notification> for NotificationView {
    fn from(n: &Notification) -> NotificationView {
        NotificationView {
            id: n.id,
            kind: n.notice.kind.clone(),
            subject_type: n.notice.subject_type.clone(),
            subject_id: n.notice.subject_id,
            message: n.notice.message.clone(),
            created_at: rfc3339(n.created_at_ms),
            read: n.read_at_ms.is_some(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Inbox {
    pub unread: i64,
    pub notifications: Vec<NotificationView>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadRequest {
    /// One notice; all of them when absent.
    #[serde(default)]
    pub id: Option<i64>,
}

#[derive(Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UseQuery {
    /// download, query-api, verification-api, sandbox, joint-computation or consulting.
    pub mode: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UseView {
    pub agreement_id: i64,
    pub authorization_id: i64,
    /// Fields the authorization covers; empty for every field.
    pub fields: Vec<String>,
}

/// The workflow at a glance, for the regular reports (Art. 17).
#[derive(Serialize, ToSchema)]
pub(crate) struct ReportView {
    /// Demands by status.
    pub demands: std::collections::BTreeMap<String, u64>,
    pub lists_with_office: u64,
    pub lists_overdue: u64,
    pub answers_pending: u64,
    pub answers_overdue: u64,
    pub refusals_flagged: u64,
    pub deliveries_open: u64,
    pub deliveries_overdue: u64,
    pub authorizations_active: u64,
    pub authorizations_terminated: u64,
    pub agreements_awaiting_signatures: u64,
    pub agreements_signed: u64,
    pub disputes_open: u64,
}

impl From<rongshu_workflow::WorkflowReport> for ReportView {
    fn from(r: rongshu_workflow::WorkflowReport) -> ReportView {
        ReportView {
            demands: r
                .demands
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            lists_with_office: r.lists_with_office,
            lists_overdue: r.lists_overdue,
            answers_pending: r.answers_pending,
            answers_overdue: r.answers_overdue,
            refusals_flagged: r.refusals_flagged,
            deliveries_open: r.deliveries_open,
            deliveries_overdue: r.deliveries_overdue,
            authorizations_active: r.authorizations_active,
            authorizations_terminated: r.authorizations_terminated,
            agreements_awaiting_signatures: r.agreements_awaiting_signatures,
            agreements_signed: r.agreements_signed,
            disputes_open: r.disputes_open,
        }
    }
}

/// A demand's consent evidence file.
#[derive(Serialize, ToSchema)]
pub(crate) struct EvidenceView {
    pub file_name: String,
    pub byte_size: i64,
    /// SM3 of the file, hex.
    pub digest: String,
    pub uploaded_at: String,
}

impl From<&rongshu_store::ConsentEvidence> for EvidenceView {
    fn from(e: &rongshu_store::ConsentEvidence) -> EvidenceView {
        EvidenceView {
            file_name: e.file_name.clone(),
            byte_size: e.byte_size,
            digest: e.digest.clone(),
            uploaded_at: rfc3339(e.uploaded_at_ms),
        }
    }
}

#[derive(Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EvidenceQuery {
    /// The uploaded file's name.
    pub file_name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct WebhookView {
    pub id: i64,
    pub url: String,
    pub created_at: String,
}

impl From<&rongshu_store::Webhook> for WebhookView {
    fn from(w: &rongshu_store::Webhook) -> WebhookView {
        WebhookView {
            id: w.id,
            url: w.url.clone(),
            created_at: rfc3339(w.created_at_ms),
        }
    }
}

/// A new webhook with its secret, shown this once: every post carries
/// `x-rongshu-signature: hmac-sm3=<hex>` of `<x-rongshu-timestamp>.<body>`
/// under it.
#[derive(Serialize, ToSchema)]
pub(crate) struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: WebhookView,
    pub secret: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookRequest {
    /// Where notices are posted: http:// or https://.
    pub url: String,
}
