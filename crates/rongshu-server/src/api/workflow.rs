//! Demands, demand lists, providers' answers, authorizations, delivery
//! tasks, agreements, disputes, the inbox and the use check. Each handler
//! is one call into `rongshu_workflow`, which checks who acts.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::workflow::{DemandAction, DisputeAction};
use rongshu_store::Demand;
use rongshu_workflow::{Answer, AuthorizationTerms, DemandDraft, ListItemDecision, UseBasis};

use super::workflow_types::*;
use crate::context::{Json, Path, Query, SignedIn};
use crate::error::ApiError;
use crate::state::{AppState, now_ms};

/// Demands as sent, their items named by catalogue code.
async fn demand_views(state: &AppState, demands: &[Demand]) -> Result<Vec<DemandView>, ApiError> {
    let mut codes: HashMap<i64, String> = HashMap::new();
    for item in demands.iter().flat_map(|d| &d.about.items) {
        if let std::collections::hash_map::Entry::Vacant(slot) = codes.entry(item.resource_id) {
            slot.insert(state.store().resource(item.resource_id).await?.code);
        }
    }
    Ok(demands
        .iter()
        .map(|d| DemandView::of(d, |id| codes.get(&id).cloned().unwrap_or_default()))
        .collect())
}

async fn detail(state: &AppState, demand: Demand) -> Result<Json<DemandDetail>, ApiError> {
    let flow = state.workflow();
    let assessments = state.store().assessments(Some(demand.id), None).await?;
    let mut views = demand_views(state, std::slice::from_ref(&demand)).await?;
    Ok(Json(DemandDetail {
        demand: views.remove(0),
        assessments: assessments
            .iter()
            .map(|a| AssessmentView::of(a, flow))
            .collect(),
    }))
}

fn draft(r: &DemandRequest) -> DemandDraft {
    DemandDraft {
        title: r.title.clone(),
        wanted: r.wanted.clone(),
        modes: r.modes.clone(),
        scenario: r.scenario.clone(),
        purpose: r.purpose.clone(),
        term_months: r.term_months,
        consent: r.consent.clone(),
        public_interest: r.public_interest,
        items: r
            .items
            .iter()
            .map(|i| (i.resource.clone(), i.fields.clone()))
            .collect(),
    }
}

pub(crate) async fn demands(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<DemandView>>, ApiError> {
    let found = state
        .workflow()
        .visible_demands(&who.account().actor())
        .await?;
    Ok(Json(demand_views(&state, &found).await?))
}

pub(crate) async fn show_demand(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<DemandDetail>, ApiError> {
    let demand = state
        .workflow()
        .visible_demand(&who.account().actor(), id)
        .await?;
    detail(&state, demand).await
}

pub(crate) async fn file_demand(
    State(state): State<AppState>,
    who: SignedIn,
    Json(req): Json<DemandRequest>,
) -> Result<(StatusCode, Json<DemandDetail>), ApiError> {
    let demand = state
        .workflow()
        .file_demand(
            &who.account().actor(),
            &who.ctx,
            req.user_org_id,
            &draft(&req),
            req.submit,
        )
        .await?;
    Ok((StatusCode::CREATED, detail(&state, demand).await?))
}

pub(crate) async fn edit_demand(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Json(req): Json<DemandRequest>,
) -> Result<Json<DemandDetail>, ApiError> {
    let demand = state
        .workflow()
        .edit_demand(&who.account().actor(), &who.ctx, id, &draft(&req))
        .await?;
    detail(&state, demand).await
}

pub(crate) async fn demand_step(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Json(req): Json<DemandStepRequest>,
) -> Result<Json<DemandDetail>, ApiError> {
    let action: DemandAction = req.action.parse()?;
    let demand = state
        .workflow()
        .demand_step(
            &who.account().actor(),
            &who.ctx,
            id,
            action,
            &req.note,
            &req.providers,
        )
        .await?;
    detail(&state, demand).await
}

pub(crate) async fn review(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Json(req): Json<ReviewRequest>,
) -> Result<Json<DemandDetail>, ApiError> {
    let decision = match req.decision.as_str() {
        "pass" => ListItemDecision::Pass,
        "return" => ListItemDecision::Return,
        _ => return Err(ApiError::invalid("decision", "must be pass or return")),
    };
    let demand = state
        .workflow()
        .review_item(&who.account().actor(), &who.ctx, id, decision, &req.reason)
        .await?;
    detail(&state, demand).await
}

pub(crate) async fn lists(
    State(state): State<AppState>,
) -> Result<Json<Vec<DemandListView>>, ApiError> {
    let flow = state.workflow();
    let lists = state.store().demand_lists().await?;
    Ok(Json(
        lists.iter().map(|l| DemandListView::of(l, flow)).collect(),
    ))
}

pub(crate) async fn create_list(
    State(state): State<AppState>,
    who: SignedIn,
    Json(req): Json<ListRequest>,
) -> Result<(StatusCode, Json<DemandListView>), ApiError> {
    let flow = state.workflow();
    let list = flow
        .create_list(&who.account().actor(), &who.ctx, &req.period)
        .await?;
    Ok((StatusCode::CREATED, Json(DemandListView::of(&list, flow))))
}

pub(crate) async fn list_demand(
    State(state): State<AppState>,
    who: SignedIn,
    Path((list, demand)): Path<(i64, i64)>,
) -> Result<Json<DemandDetail>, ApiError> {
    set_listed(&state, &who, list, demand, true).await
}

pub(crate) async fn unlist_demand(
    State(state): State<AppState>,
    who: SignedIn,
    Path((list, demand)): Path<(i64, i64)>,
) -> Result<Json<DemandDetail>, ApiError> {
    set_listed(&state, &who, list, demand, false).await
}

async fn set_listed(
    state: &AppState,
    who: &SignedIn,
    list: i64,
    demand: i64,
    listed: bool,
) -> Result<Json<DemandDetail>, ApiError> {
    let demand = state
        .workflow()
        .set_listed(&who.account().actor(), &who.ctx, list, demand, listed)
        .await?;
    detail(state, demand).await
}

pub(crate) async fn submit_list(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<DemandListView>, ApiError> {
    let flow = state.workflow();
    let list = flow
        .submit_list(&who.account().actor(), &who.ctx, id)
        .await?;
    Ok(Json(DemandListView::of(&list, flow)))
}

pub(crate) async fn assessments(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<AssessmentView>>, ApiError> {
    let flow = state.workflow();
    let found = flow.visible_assessments(&who.account().actor()).await?;
    Ok(Json(
        found.iter().map(|a| AssessmentView::of(a, flow)).collect(),
    ))
}

fn date(field: &'static str, value: &Option<String>) -> Result<Option<NaiveDate>, ApiError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<NaiveDate>()
                .map_err(|_| ApiError::invalid(field, "must be a date, YYYY-MM-DD"))
        })
        .transpose()
}

pub(crate) async fn answer(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Json(req): Json<AnswerRequest>,
) -> Result<Json<DemandDetail>, ApiError> {
    let answer = match req.decision.as_str() {
        "refuse" => Answer::Refuse {
            grounds: req.grounds.clone(),
        },
        "authorize" => Answer::Authorize(AuthorizationTerms {
            resources: req
                .resources
                .iter()
                .map(|r| (r.resource.clone(), r.fields.clone()))
                .collect(),
            modes: req.modes.clone(),
            deidentification: req.deidentification.clone(),
            reidentification: req.reidentification,
            quota: req.quota.clone(),
            daily_use_limit: req.daily_use_limit,
            conditions: req.conditions.clone(),
            term_from: date("term_from", &req.term_from)?,
            term_until: date("term_until", &req.term_until)?,
        }),
        _ => return Err(ApiError::invalid("decision", "must be authorize or refuse")),
    };
    let demand = state
        .workflow()
        .answer(&who.account().actor(), &who.ctx, id, &answer)
        .await?;
    detail(&state, demand).await
}

pub(crate) async fn authorizations(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<AuthorizationView>>, ApiError> {
    let found = state
        .workflow()
        .visible_authorizations(&who.account().actor())
        .await?;
    Ok(Json(found.iter().map(AuthorizationView::from).collect()))
}

pub(crate) async fn show_authorization(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<AuthorizationView>, ApiError> {
    let found = state
        .workflow()
        .visible_authorization(&who.account().actor(), id)
        .await?;
    Ok(Json(AuthorizationView::from(&found)))
}

pub(crate) async fn terminate(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Json(req): Json<TerminateRequest>,
) -> Result<Json<AuthorizationView>, ApiError> {
    let ended = state
        .workflow()
        .terminate(&who.account().actor(), &who.ctx, id, &req.grounds)
        .await?;
    Ok(Json(AuthorizationView::from(&ended)))
}

pub(crate) async fn delivery_tasks(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<DeliveryTaskView>>, ApiError> {
    let flow = state.workflow();
    let found = flow.visible_delivery_tasks(&who.account().actor()).await?;
    Ok(Json(
        found
            .iter()
            .map(|t| DeliveryTaskView::of(t, flow))
            .collect(),
    ))
}

pub(crate) async fn agreements(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<AgreementView>>, ApiError> {
    let flow = state.workflow();
    let found = flow.visible_agreements(&who.account().actor()).await?;
    Ok(Json(
        found.iter().map(|a| AgreementView::of(a, flow)).collect(),
    ))
}

pub(crate) async fn show_agreement(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<AgreementView>, ApiError> {
    let flow = state.workflow();
    let found = flow.visible_agreement(&who.account().actor(), id).await?;
    Ok(Json(AgreementView::of(&found, flow)))
}

pub(crate) async fn sign(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Json<AgreementView>, ApiError> {
    let flow = state.workflow();
    let signed = flow.sign(&who.account().actor(), &who.ctx, id).await?;
    Ok(Json(AgreementView::of(&signed, flow)))
}

/// The agreement as a file to keep and check offline with
/// `rongshu agreement verify`.
pub(crate) async fn export(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    agreement_file(&state, &who, id).await
}

/// The exported agreement as a download, if the caller may read it.
pub(crate) async fn agreement_file(
    state: &AppState,
    who: &SignedIn,
    id: i64,
) -> Result<Response, ApiError> {
    let flow = state.workflow();
    flow.visible_agreement(&who.account().actor(), id).await?;
    let file = flow.export(id).await?;
    let body = serde_json::to_vec_pretty(&file).map_err(|e| ApiError::Integrity(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                super::disposition(&format!("agreement-{id}.json")),
            ),
        ],
        body,
    )
        .into_response())
}

pub(crate) async fn disputes(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<DisputeView>>, ApiError> {
    let found = state
        .workflow()
        .visible_disputes(&who.account().actor())
        .await?;
    Ok(Json(found.iter().map(DisputeView::from).collect()))
}

pub(crate) async fn raise_dispute(
    State(state): State<AppState>,
    who: SignedIn,
    Json(req): Json<DisputeRequest>,
) -> Result<(StatusCode, Json<DisputeView>), ApiError> {
    let raised = state
        .workflow()
        .raise_dispute(
            &who.account().actor(),
            &who.ctx,
            req.authorization_id,
            &req.subject,
            &req.statement,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(DisputeView::from(&raised))))
}

pub(crate) async fn dispute_step(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Json(req): Json<DisputeStepRequest>,
) -> Result<Json<DisputeView>, ApiError> {
    let action: DisputeAction = req.action.parse()?;
    let moved = state
        .workflow()
        .dispute_step(&who.account().actor(), &who.ctx, id, action, &req.note)
        .await?;
    Ok(Json(DisputeView::from(&moved)))
}

pub(crate) async fn inbox(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Inbox>, ApiError> {
    let account = who.account();
    let store = state.store();
    Ok(Json(Inbox {
        unread: store
            .unread_notifications(account.org_id, account.id)
            .await?,
        notifications: store
            .notifications(account.org_id, account.id, 100)
            .await?
            .iter()
            .map(NotificationView::from)
            .collect(),
    }))
}

pub(crate) async fn mark_read(
    State(state): State<AppState>,
    who: SignedIn,
    Json(req): Json<ReadRequest>,
) -> Result<Json<Inbox>, ApiError> {
    read_notices(&state, &who, req.id).await?;
    inbox(State(state), who).await
}

/// Marks one notice, or all, read for the caller, with its ledger entry.
pub(crate) async fn read_notices(
    state: &AppState,
    who: &SignedIn,
    only: Option<i64>,
) -> Result<(), ApiError> {
    let account = who.account();
    let mut tx = state.store().begin_aside().await?;
    let marked = tx
        .mark_notifications_read(account.org_id, account.id, only, now_ms())
        .await?;
    tx.append(rongshu_ledger::EntryDraft {
        reason: Some(format!("{marked} notices marked read")),
        ..who.ctx.entry(
            "notification.read",
            "notification",
            only.map(|id| id.to_string()),
        )
    })
    .await?;
    crate::auth::commit(state, tx).await
}

/// The access check every use of data passes: the caller's organisation
/// may use the resource by the mode only under an in-force data use
/// agreement over an active authorization.
pub(crate) async fn use_check(
    State(state): State<AppState>,
    who: SignedIn,
    Path(code): Path<String>,
    Query(q): Query<UseQuery>,
) -> Result<Json<UseView>, ApiError> {
    let mode: ServiceMode = q.mode.parse()?;
    let resource = state.store().resource_by_code(&code).await?;
    let grant = state
        .workflow()
        .may_use(
            who.account().org_id,
            resource.id,
            mode,
            UseBasis::AnyAgreement,
        )
        .await?
        .map_err(ApiError::UseRefused)?;
    Ok(Json(UseView {
        agreement_id: grant.agreement_id,
        authorization_id: grant.authorization_id,
        fields: grant.fields,
    }))
}

/// Where demands stand and what is overdue, for the regular reports.
pub(crate) async fn report(State(state): State<AppState>) -> Result<Json<ReportView>, ApiError> {
    Ok(Json(state.workflow().report().await?.into()))
}

/// Attaches the body as the demand's consent evidence (its author, while
/// the demand can change).
pub(crate) async fn put_evidence(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
    Query(q): Query<EvidenceQuery>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<EvidenceView>), ApiError> {
    attach_evidence(&state, &who, id, &q.file_name, &body).await
}

pub(crate) async fn attach_evidence(
    state: &AppState,
    who: &SignedIn,
    id: i64,
    file_name: &str,
    body: &[u8],
) -> Result<(StatusCode, Json<EvidenceView>), ApiError> {
    let evidence = state
        .workflow()
        .attach_consent(&who.account().actor(), &who.ctx, id, file_name, body)
        .await?;
    Ok((StatusCode::CREATED, Json(EvidenceView::from(&evidence))))
}

pub(crate) async fn get_evidence(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    evidence_file(&state, &who, id).await
}

/// The consent evidence file as a download, for whoever may see the demand.
pub(crate) async fn evidence_file(
    state: &AppState,
    who: &SignedIn,
    id: i64,
) -> Result<Response, ApiError> {
    let (evidence, bytes) = state
        .workflow()
        .consent_file(&who.account().actor(), id)
        .await?;
    Ok(super::attachment(&evidence.file_name, bytes))
}

pub(crate) async fn webhooks(
    State(state): State<AppState>,
    who: SignedIn,
) -> Result<Json<Vec<WebhookView>>, ApiError> {
    let hooks = state.store().webhooks(Some(who.account().org_id)).await?;
    Ok(Json(hooks.iter().map(WebhookView::from).collect()))
}

pub(crate) async fn add_webhook(
    State(state): State<AppState>,
    who: SignedIn,
    Json(req): Json<WebhookRequest>,
) -> Result<(StatusCode, Json<WebhookCreated>), ApiError> {
    let (hook, secret) = state
        .workflow()
        .add_webhook(&who.account().actor(), &who.ctx, &req.url)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookCreated {
            webhook: WebhookView::from(&hook),
            secret,
        }),
    ))
}

pub(crate) async fn remove_webhook(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .workflow()
        .remove_webhook(&who.account().actor(), &who.ctx, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
